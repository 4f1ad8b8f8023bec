//! A sliding-window limit on sign-in attempts, per email address and per
//! client address, kept in memory.
//!
//! In memory on purpose: the limit protects mailboxes and the link
//! lookup from floods, and with several replicas each counts its own share,
//! which bounds the total at replicas × limit. Keys are hashed, so the
//! table holds no addresses. Instants come from the service's clock, so
//! tests move time instead of sleeping.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest as _, Sha256};

/// How many tries a key gets in a window.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub max: usize,
    pub window: Duration,
}

/// Links asked for one email address: a few, in case one gets lost.
pub const PER_EMAIL: Rule = Rule {
    max: 5,
    window: Duration::minutes(15),
};
/// Attempts from one client address (a shared office NAT has many people).
pub const PER_CLIENT: Rule = Rule {
    max: 30,
    window: Duration::minutes(15),
};
/// Admin-token sign-ins from one client address.
pub const TOKEN_PER_CLIENT: Rule = Rule {
    max: 10,
    window: Duration::minutes(15),
};

#[derive(Debug, Default)]
pub struct Limiter {
    hits: Mutex<HashMap<[u8; 32], Vec<DateTime<Utc>>>>,
}

impl Limiter {
    /// Counts a try of `key` under `rule`; `Err(wait)` when over the limit,
    /// with how long until the oldest try leaves the window.
    pub fn check(&self, key: &str, rule: Rule, now: DateTime<Utc>) -> Result<(), Duration> {
        let digest: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        let mut hits = self
            .hits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Forget whole keys now and then, so the table stays small.
        if hits.len() > 10_000 {
            hits.retain(|_, v| v.last().is_some_and(|t| now - *t < Duration::hours(1)));
        }
        let tries = hits.entry(digest).or_default();
        tries.retain(|t| now - *t < rule.window);
        if tries.len() >= rule.max {
            let oldest = tries.first().copied().unwrap_or(now);
            return Err(oldest + rule.window - now);
        }
        tries.push(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn a_key_gets_max_tries_per_window_then_waits_for_the_oldest() {
        let l = Limiter::default();
        let t0 = Utc.with_ymd_and_hms(2026, 12, 3, 9, 0, 0).unwrap();
        let rule = Rule {
            max: 2,
            window: Duration::minutes(15),
        };
        assert!(l.check("a", rule, t0).is_ok());
        assert!(l.check("a", rule, t0 + Duration::minutes(5)).is_ok());
        assert_eq!(
            l.check("a", rule, t0 + Duration::minutes(6)),
            Err(Duration::minutes(9))
        );
        assert!(l.check("b", rule, t0 + Duration::minutes(6)).is_ok());
        assert!(l.check("a", rule, t0 + Duration::minutes(15)).is_ok());
    }
}
