//! Employees' plans as last read, by the organisation's plans version.
//!
//! An employee's plans for a date range took seven statements (schedules,
//! agreements, absences, the organisation's and the employee's overrides,
//! holidays, locked periods): half of a timesheet's statements (issue 15).
//! Plans change rarely, and every change bumps `organisations.plans_version`
//! in its own transaction (triggers, migration 0033). So a reader reads the
//! version first and reuses plans read at that version: one key lookup
//! instead of seven statements, and never older than a fresh read would be,
//! in this process or any other on the same database.
//!
//! Why reading the version first is enough: plans read after it are at
//! least as new as it. A change after the version read bumps the version,
//! so the next reader misses and reads again.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::NaiveDate;

use crate::domain::ids::{EmployeeId, OrgId};
use crate::domain::policy::EmployeePolicy;

/// Ranges kept. A recompute sweep over a large organisation reads more than
/// this; the cache then starts again rather than grow (memory stays flat).
const MAX_ENTRIES: usize = 2_048;

type Key = (OrgId, EmployeeId, NaiveDate, NaiveDate);

#[derive(Default)]
pub(super) struct PlansCache {
    entries: Mutex<HashMap<Key, (i64, EmployeePolicy)>>,
}

impl PlansCache {
    /// The plans of `employee` for `from..=to` if read at `version`.
    pub fn get(
        &self,
        org: OrgId,
        employee: EmployeeId,
        (from, to): (NaiveDate, NaiveDate),
        version: i64,
    ) -> Option<EmployeePolicy> {
        let entries = self.lock();
        entries
            .get(&(org, employee, from, to))
            .filter(|(v, _)| *v == version)
            .map(|(_, p)| p.clone())
    }

    /// Keeps plans read after reading `version`.
    pub fn put(
        &self,
        org: OrgId,
        employee: EmployeeId,
        (from, to): (NaiveDate, NaiveDate),
        version: i64,
        plans: &EmployeePolicy,
    ) {
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert((org, employee, from, to), (version, plans.clone()));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, (i64, EmployeePolicy)>> {
        // A panic while holding the lock leaves a plain map: still usable.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_are_reused_only_at_the_version_they_were_read_at() {
        let cache = PlansCache::default();
        let (org, e) = (OrgId::new_random(), EmployeeId::new_random());
        let d = |day| NaiveDate::from_ymd_opt(2026, 3, day).unwrap();
        let plans = EmployeePolicy::default();
        assert!(cache.get(org, e, (d(1), d(31)), 4).is_none());
        cache.put(org, e, (d(1), d(31)), 4, &plans);
        assert!(cache.get(org, e, (d(1), d(31)), 4).is_some());
        assert!(
            cache.get(org, e, (d(1), d(31)), 5).is_none(),
            "a change since"
        );
        assert!(
            cache.get(org, e, (d(2), d(31)), 4).is_none(),
            "another range"
        );
        let other = EmployeeId::new_random();
        assert!(cache.get(org, other, (d(1), d(31)), 4).is_none());
    }
}
