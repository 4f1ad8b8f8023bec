//! Rows read a moment ago, kept for a second: the token that authenticates
//! a call and the employee it posts for.
//!
//! Every call presents a token, and most name an employee; reading the two
//! was two of the three or four statements a `RecordEvent` costs (issue 15).
//! Both change rarely. Every write to them through this store empties its
//! cache once committed, so in this process a revocation or a deactivation
//! applies to the next call. A write by another process (a second replica
//! on the same PostgreSQL) applies within [`TTL`]: the bound the runbook
//! states, short enough that nobody acts in the gap, long enough that a
//! busy clock's calls share one read.
//!
//! Only found rows are kept: an unknown secret or id is read every time,
//! so a token or employee created a moment ago works at once, and a flood
//! of wrong secrets fills nothing.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a row read is used without reading it again.
pub const TTL: Duration = Duration::from_secs(1);

/// More distinct keys than this in one second is not a fleet of clocks but
/// a scan; the cache starts again rather than grow.
const MAX_ENTRIES: usize = 10_000;

pub(super) struct Recent<K, V> {
    inner: Mutex<Inner<K, V>>,
}

struct Inner<K, V> {
    rows: HashMap<K, (V, Instant)>,
    /// Bumped by every write: a read that began before it must not put
    /// what it read back after the write emptied the cache.
    generation: u64,
}

impl<K, V> Default for Recent<K, V> {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Inner {
                rows: HashMap::new(),
                generation: 0,
            }),
        }
    }
}

impl<K: Eq + Hash + Clone, V: Clone> Recent<K, V> {
    /// The row for `key` if read less than [`TTL`] ago, and the generation
    /// to hand to [`Recent::put`] after reading it.
    pub fn get(&self, key: &K) -> (Option<V>, u64) {
        let inner = self.lock();
        let hit = inner
            .rows
            .get(key)
            .filter(|(_, at)| at.elapsed() < TTL)
            .map(|(v, _)| v.clone());
        (hit, inner.generation)
    }

    /// Keeps a row read at `generation`, unless a write came since.
    pub fn put(&self, key: &K, row: &V, generation: u64) {
        let mut inner = self.lock();
        if inner.generation != generation {
            return;
        }
        if inner.rows.len() >= MAX_ENTRIES {
            inner.rows.clear();
        }
        inner
            .rows
            .insert(key.clone(), (row.clone(), Instant::now()));
    }

    /// After a committed write: nothing read before is used.
    pub fn forget_all(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.rows.clear();
    }

    /// Changes the kept copies in place, for a write whose effect is known
    /// (a token's last use).
    pub fn update(&self, mut change: impl FnMut(&mut V)) {
        let mut inner = self.lock();
        for (row, _) in inner.rows.values_mut() {
            change(row);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<K, V>> {
        // A panic while holding the lock leaves a plain map: still usable.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::domain::ids::{OrgId, TokenId};
    use crate::domain::token::{ApiToken, Role};

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
        let cache = Recent::<String, ApiToken>::default();
        let t = token();
        let (miss, generation) = cache.get(&"h".to_owned());
        assert!(miss.is_none());
        cache.put(&"h".to_owned(), &t, generation);
        assert_eq!(cache.get(&"h".to_owned()).0.map(|t| t.id), Some(t.id));
        cache.forget_all();
        assert!(cache.get(&"h".to_owned()).0.is_none());
    }

    #[test]
    fn a_read_from_before_a_write_is_not_kept() {
        let cache = Recent::<String, ApiToken>::default();
        let (_, generation) = cache.get(&"h".to_owned());
        // A revocation commits while the read is under way.
        cache.forget_all();
        cache.put(&"h".to_owned(), &token(), generation);
        assert!(cache.get(&"h".to_owned()).0.is_none());
    }

    #[test]
    fn a_touch_updates_the_kept_copy() {
        let cache = Recent::<String, ApiToken>::default();
        let t = token();
        let (_, generation) = cache.get(&"h".to_owned());
        cache.put(&"h".to_owned(), &t, generation);
        let now = Utc::now();
        cache.update(|k| k.last_used_at = Some(now));
        assert_eq!(
            cache.get(&"h".to_owned()).0.and_then(|t| t.last_used_at),
            Some(now)
        );
    }
}
