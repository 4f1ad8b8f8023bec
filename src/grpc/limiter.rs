//! Limits on callers: calls per token and per client address, failed
//! authentications per address, and open streams per token. In memory, per
//! replica (a load balancer spreads a client over replicas, so the limits
//! are per replica by design, and set with that in mind).
//!
//! Over a limit, a call is refused with `RESOURCE_EXHAUSTED` and a retry
//! delay (`RetryInfo` and `retry-after`), before it touches the database.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use super::error::{ApiError, ApiResult};
use crate::domain::ids::TokenId;

/// The limits, from flags (see `config.rs`); zero turns a rate off.
#[derive(Clone, Copy, Debug)]
pub struct CallLimits {
    /// Sustained calls a second per token (bursts of twice that pass).
    pub per_token_per_sec: u32,
    /// Sustained calls a second per client address.
    pub per_address_per_sec: u32,
    /// Failed authentications a minute per client address before further
    /// failures are answered `RESOURCE_EXHAUSTED`.
    pub failed_auth_per_min: u32,
    /// Open `SyncEvents` streams per token.
    pub streams_per_token: usize,
    /// How long a failed authentication waits before it is answered: a
    /// guesser's slower path; a real client does not fail twice.
    pub failed_auth_delay: Duration,
}

impl Default for CallLimits {
    fn default() -> Self {
        // Generous for real clients: a time clock syncing a backlog or a
        // payroll pull stays far below; a runaway loop or a scan does not.
        Self {
            per_token_per_sec: 2_000,
            per_address_per_sec: 5_000,
            failed_auth_per_min: 30,
            streams_per_token: 8,
            failed_auth_delay: Duration::from_millis(250),
        }
    }
}

/// The limiter state of one replica.
pub struct Limiter {
    limits: CallLimits,
    tokens: Option<DefaultKeyedRateLimiter<TokenId>>,
    addresses: Option<DefaultKeyedRateLimiter<IpAddr>>,
    failures: Option<DefaultKeyedRateLimiter<IpAddr>>,
    streams: Arc<Mutex<HashMap<TokenId, usize>>>,
}

fn keyed<K: std::hash::Hash + Eq + Clone>(
    quota: Option<Quota>,
) -> Option<DefaultKeyedRateLimiter<K>> {
    quota.map(governor::RateLimiter::keyed)
}

/// `rate` a second with bursts of twice that; `None` for 0 (off).
fn per_second(rate: u32) -> Option<Quota> {
    let rate = NonZeroU32::new(rate)?;
    Some(
        Quota::per_second(rate).allow_burst(rate.saturating_mul(NonZeroU32::MIN.saturating_add(1))),
    )
}

/// `rate` a minute, all of it available at once.
fn per_minute(rate: u32) -> Option<Quota> {
    NonZeroU32::new(rate).map(Quota::per_minute)
}

/// Checks one key; the wait until it would pass when over.
fn check<K: std::hash::Hash + Eq + Clone>(
    limiter: Option<&DefaultKeyedRateLimiter<K>>,
    key: &K,
) -> Result<(), Duration> {
    match limiter.map(|l| l.check_key(key)) {
        Some(Err(not_until)) => Err(not_until.wait_time_from(DefaultClock::default().now())),
        _ => Ok(()),
    }
}

fn exhausted(limit: &'static str, what: &str, wait: Duration) -> ApiError {
    metrics::counter!(crate::metrics::families::RATE_LIMITED, "limit" => limit).increment(1);
    ApiError::ResourceExhausted {
        what: what.to_owned(),
        retry_after: wait.max(Duration::from_secs(1)),
    }
}

impl Limiter {
    #[must_use]
    pub fn new(limits: CallLimits) -> Self {
        Self {
            limits,
            tokens: keyed(per_second(limits.per_token_per_sec)),
            addresses: keyed(per_second(limits.per_address_per_sec)),
            failures: keyed(per_minute(limits.failed_auth_per_min)),
            streams: Arc::default(),
        }
    }

    #[must_use]
    pub fn limits(&self) -> CallLimits {
        self.limits
    }

    /// Counts a call from `address` (before authentication).
    ///
    /// # Errors
    /// `ResourceExhausted` over the per-address rate.
    pub fn address(&self, address: Option<IpAddr>) -> ApiResult<()> {
        let Some(ip) = address else { return Ok(()) };
        check(self.addresses.as_ref(), &ip)
            .map_err(|wait| exhausted("address", "too many calls from this client address", wait))
    }

    /// Counts a call by an authenticated token.
    ///
    /// # Errors
    /// `ResourceExhausted` over the per-token rate.
    pub fn token(&self, token: TokenId) -> ApiResult<()> {
        check(self.tokens.as_ref(), &token)
            .map_err(|wait| exhausted("token", "too many calls with this token", wait))
    }

    /// Counts a failed authentication from `address`; `Some(wait)` once the
    /// address is over its budget, to be answered `RESOURCE_EXHAUSTED`.
    #[must_use]
    pub fn failed_auth(&self, address: Option<IpAddr>) -> Option<Duration> {
        let ip = address?;
        check(self.failures.as_ref(), &ip).err()
    }

    /// The wait before a failed authentication is answered.
    #[must_use]
    pub fn failed_auth_delay(&self) -> Duration {
        self.limits.failed_auth_delay
    }

    /// Opens a stream for `token`; the guard closes it when dropped.
    ///
    /// # Errors
    /// `ResourceExhausted` when the token has its maximum open.
    pub fn open_stream(&self, token: TokenId) -> ApiResult<StreamGuard> {
        let mut open = self
            .streams
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = open.entry(token).or_insert(0);
        if *n >= self.limits.streams_per_token {
            return Err(exhausted(
                "streams",
                &format!(
                    "this token has {} streams open, the most allowed; close one first",
                    self.limits.streams_per_token
                ),
                Duration::from_secs(1),
            ));
        }
        *n += 1;
        Ok(StreamGuard {
            streams: Arc::clone(&self.streams),
            token,
        })
    }

    /// Forgets idle keys, so memory does not grow with every address seen.
    pub fn forget_idle(&self) {
        for l in [self.addresses.as_ref(), self.failures.as_ref()]
            .into_iter()
            .flatten()
        {
            l.retain_recent();
        }
        if let Some(l) = &self.tokens {
            l.retain_recent();
        }
    }
}

/// An open stream; dropping it makes room for another.
pub struct StreamGuard {
    streams: Arc<Mutex<HashMap<TokenId, usize>>>,
    token: TokenId,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        let mut open = self
            .streams
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = open.get_mut(&self.token) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.token);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(per_token: u32, failures: u32, streams: usize) -> Limiter {
        Limiter::new(CallLimits {
            per_token_per_sec: per_token,
            per_address_per_sec: 0,
            failed_auth_per_min: failures,
            streams_per_token: streams,
            failed_auth_delay: Duration::ZERO,
        })
    }

    #[test]
    fn a_token_gets_a_burst_of_twice_its_rate_then_waits() {
        let l = limiter(5, 0, 1);
        let t = TokenId::new_random();
        for _ in 0..10 {
            l.token(t).expect("within the burst");
        }
        let e = l.token(t).expect_err("over the burst");
        assert!(matches!(e, ApiError::ResourceExhausted { .. }), "{e:?}");
        // Another token is not affected.
        l.token(TokenId::new_random()).expect("own budget");
    }

    #[test]
    fn failures_beyond_the_budget_are_reported() {
        let l = limiter(0, 3, 1);
        let ip: IpAddr = [10, 0, 0, 1].into();
        assert_eq!(l.failed_auth(Some(ip)), None);
        assert_eq!(l.failed_auth(Some(ip)), None);
        assert_eq!(l.failed_auth(Some(ip)), None);
        assert!(l.failed_auth(Some(ip)).is_some());
        assert_eq!(l.failed_auth(Some([10, 0, 0, 2].into())), None);
    }

    #[test]
    fn streams_are_capped_per_token_and_freed_on_drop() {
        let l = limiter(0, 0, 2);
        let t = TokenId::new_random();
        let a = l.open_stream(t).expect("first");
        let _b = l.open_stream(t).expect("second");
        assert!(l.open_stream(t).is_err());
        drop(a);
        l.open_stream(t).expect("room again");
    }
}
