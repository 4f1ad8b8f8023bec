//! The tokens read to authenticate calls, kept for a second.
//!
//! Every call presents a token, and reading it was one statement of the
//! three or four a RecordEvent costs (issue 15). A token changes rarely:
//! revoked, rotated, anonymised, or its last use recorded. Every such write
//! through this store empties the cache once committed, so in this process
//! a revocation applies to the next call. A write by another process (a
//! second replica on the same PostgreSQL) applies within [`TTL`]: that is
//! the bound the runbook states, chosen short enough that nobody acts in
//! the gap and long enough that a busy clock's calls share one read.
//!
//! Only found tokens are kept: an unknown secret is read every time, so a
//! token created a moment ago works at once, and a flood of wrong secrets
//! fills nothing.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::domain::ids::TokenId;
use crate::domain::token::ApiToken;

/// How long a read token is used without reading it again.
pub const TTL: Duration = Duration::from_secs(1);

/// More distinct secrets than this in one second is not a fleet of clocks
/// but a scan; the cache starts again rather than grow.
const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
pub(super) struct TokenCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// By the hash of the secret.
    tokens: HashMap<String, (ApiToken, Instant)>,
    /// Bumped by every write: a read that began before it must not put
    /// what it read back after the write emptied the cache.
    generation: u64,
}

impl TokenCache {
    /// The token for `secret_hash` if read less than [`TTL`] ago, and the
    /// generation to hand to [`TokenCache::put`] after reading it.
    pub fn get(&self, secret_hash: &str) -> (Option<ApiToken>, u64) {
        let inner = self.lock();
        let hit = inner
            .tokens
            .get(secret_hash)
            .filter(|(_, at)| at.elapsed() < TTL)
            .map(|(t, _)| t.clone());
        (hit, inner.generation)
    }

    /// Keeps a token read at `generation`, unless a write came since.
    pub fn put(&self, secret_hash: &str, token: &ApiToken, generation: u64) {
        let mut inner = self.lock();
        if inner.generation != generation {
            return;
        }
        if inner.tokens.len() >= MAX_ENTRIES {
            inner.tokens.clear();
        }
        inner
            .tokens
            .insert(secret_hash.to_owned(), (token.clone(), Instant::now()));
    }

    /// After a committed write to any token: nothing read before is used.
    pub fn forget_all(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.tokens.clear();
    }

    /// A use of token `id` is being recorded: the kept copy says so at
    /// once, so the calls in the meantime do not each record it again.
    pub fn touched(&self, id: TokenId, now: DateTime<Utc>) {
        let mut inner = self.lock();
        for (token, _) in inner.tokens.values_mut() {
            if token.id == id && token.last_used_at.is_none_or(|t| t < now) {
                token.last_used_at = Some(now);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves a plain map: still usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::OrgId;
    use crate::domain::token::Role;

    fn token() -> ApiToken {
        ApiToken {
            id: TokenId::new_random(),
            org_id: OrgId::new_random(),
            name: "clock".into(),
            role: Role::Clock,
            employee_id: None,
            created_at: Utc::now(),
            revoked_at: None,
            expires_at: None,
            last_used_at: None,
            rotated_at: None,
            previous_valid_until: None,
            department: None,
        }
    }

    #[test]
    fn a_kept_token_is_returned_until_a_write() {
        let cache = TokenCache::default();
        let t = token();
        let (miss, generation) = cache.get("h");
        assert!(miss.is_none());
        cache.put("h", &t, generation);
        assert_eq!(cache.get("h").0.map(|t| t.id), Some(t.id));
        cache.forget_all();
        assert!(cache.get("h").0.is_none());
    }

    #[test]
    fn a_read_from_before_a_write_is_not_kept() {
        let cache = TokenCache::default();
        let (_, generation) = cache.get("h");
        // A revocation commits while the read is under way.
        cache.forget_all();
        cache.put("h", &token(), generation);
        assert!(cache.get("h").0.is_none());
    }

    #[test]
    fn a_touch_updates_the_kept_copy() {
        let cache = TokenCache::default();
        let t = token();
        let (_, generation) = cache.get("h");
        cache.put("h", &t, generation);
        let now = Utc::now();
        cache.touched(t.id, now);
        assert_eq!(cache.get("h").0.and_then(|t| t.last_used_at), Some(now));
    }
}
