//! Plans as last read, by the organisation's plans version.
//!
//! An employee's plans for a date range took seven statements (schedules,
//! agreements, absences, the organisation's and the employee's overrides,
//! holidays, locked periods): half of a timesheet's statements (issue 15).
//! Plans change rarely, and every change bumps `organisations.plans_version`
//! in its own transaction (triggers, migration 0033). So a reader reads the
//! version first and reuses what it read at that version: the
//! organisation's three statements are shared by every employee's read, and
//! a repeated read of one employee's range needs none of the seven. Plans
//! taken from it are at least as new as the version the reader read (a
//! timesheet reads it in the same statement as the record), in this
//! process or any other on the same database.
//!
//! Why reading the version first is enough: plans read after it are at
//! least as new as it. A change after the version read bumps the version,
//! so the next reader misses and reads again.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

use chrono::NaiveDate;

use super::policy::OrgPlans;
use crate::domain::ids::{EmployeeId, OrgId};
use crate::domain::policy::EmployeePolicy;

/// Entries kept of each kind. A recompute sweep over a large organisation
/// reads more ranges than this; a full map starts again rather than grow
/// (memory stays flat).
const MAX_ENTRIES: usize = 2_048;

type Range = (NaiveDate, NaiveDate);

/// Kept values with the plans version they were read at.
type Kept<K, V> = Mutex<HashMap<K, (i64, V)>>;

/// Two levels: the organisation's part (overrides, holidays, locked
/// periods) is the same for every employee, so reads of different people's
/// plans share it; an employee's whole plans serve a repeated read (a phone
/// asking for its headroom) with no statement but the version.
#[derive(Default)]
pub(super) struct PlansCache {
    organisations: Kept<(OrgId, Range), OrgPlans>,
    employees: Kept<(OrgId, EmployeeId, Range), EmployeePolicy>,
}

impl PlansCache {
    /// The organisation's part for `range` if read at `version`.
    pub fn organisation(&self, org: OrgId, range: Range, version: i64) -> Option<OrgPlans> {
        found(&self.organisations, &(org, range), version)
    }

    /// Keeps the organisation's part read after reading `version`.
    pub fn keep_organisation(&self, org: OrgId, range: Range, version: i64, plans: &OrgPlans) {
        keep(&self.organisations, (org, range), version, plans);
    }

    /// The plans of `employee` for `range` if read at `version`.
    pub fn employee(
        &self,
        org: OrgId,
        employee: EmployeeId,
        range: Range,
        version: i64,
    ) -> Option<EmployeePolicy> {
        found(&self.employees, &(org, employee, range), version)
    }

    /// Keeps an employee's plans read after reading `version`.
    pub fn keep_employee(
        &self,
        org: OrgId,
        employee: EmployeeId,
        range: Range,
        version: i64,
        plans: &EmployeePolicy,
    ) {
        keep(&self.employees, (org, employee, range), version, plans);
    }
}

fn found<K: Eq + Hash, V: Clone>(map: &Kept<K, V>, key: &K, version: i64) -> Option<V> {
    lock(map)
        .get(key)
        .filter(|(v, _)| *v == version)
        .map(|(_, p)| p.clone())
}

fn keep<K: Eq + Hash, V: Clone>(map: &Kept<K, V>, key: K, version: i64, value: &V) {
    let mut entries = lock(map);
    if entries.len() >= MAX_ENTRIES {
        entries.clear();
    }
    entries.insert(key, (version, value.clone()));
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock leaves a plain map: still usable.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
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
        assert!(cache.employee(org, e, (d(1), d(31)), 4).is_none());
        cache.keep_employee(org, e, (d(1), d(31)), 4, &plans);
        assert!(cache.employee(org, e, (d(1), d(31)), 4).is_some());
        assert!(
            cache.employee(org, e, (d(1), d(31)), 5).is_none(),
            "a change since"
        );
        assert!(
            cache.employee(org, e, (d(2), d(31)), 4).is_none(),
            "another range"
        );
        let other = EmployeeId::new_random();
        assert!(cache.employee(org, other, (d(1), d(31)), 4).is_none());
    }
}
