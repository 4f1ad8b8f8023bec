//! The figures of recently read timesheets, kept while the record they
//! came from is unchanged (issue 15, twenty-seventh round).
//!
//! A timesheet's figures (intervals, day totals, the ledger) are the
//! engine's, judged live from the events of the range's weeks. Read again,
//! say a person refreshing last month or a manager going through a team,
//! the same record gave the same figures: reading and unpacking six weeks
//! of events and judging them was two thirds of a `GetTimesheet`'s server
//! CPU (round 26's profile). An evaluation with no windows judged is a pure
//! function of the employee's rule settings, the events and amendments in
//! its span and the plans, and of nothing else (no clock: `as_of` reaches
//! only the rules, which a timesheet does not judge). So an entry is keyed
//! by the span and is used only when all of those are as they were:
//!
//! - the record's version ([`RecordVersion`], read in the timesheet's own
//!   statement, which skips the events when the version is the one given);
//! - the organisation's plans version, read in that statement too, and the
//!   first date the plans were read from;
//! - the employee's [`Subject`] (time zone, rule pack, exemption, locale).
//!
//! What changes without a new record version is read every time: the
//! stored findings, the work before the range, whether a recompute is
//! queued. Works on both back-ends: the version is the database's, so a
//! write by another replica moves it too.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use chrono::NaiveDate;

use crate::domain::engine::evaluate::{Evaluation, Subject};
use crate::domain::engine::record::Span;
use crate::domain::ids::{EmployeeId, OrgId};
use crate::domain::policy::EmployeePolicy;
use crate::metrics::families;
use crate::storage::derived::RecordVersion;

/// Spans kept at most; past it, a new one takes an old one's place. With
/// [`MAX_KEPT_SPAN`], an entry is at most six weeks of one employee judged
/// (tens of KB), so this bounds the memory at some ten megabytes.
const MAX_ENTRIES: usize = 256;

/// Longest span kept: a month's timesheet loads its first ISO week and two
/// days either side, at most 41 days. Longer ranges (a year's § 10-7
/// record, read for a whole organisation) are judged every time: kept, each
/// would hold a year judged and push everyone's month out.
const MAX_KEPT_SPAN: chrono::Duration = chrono::Duration::days(45);

/// Which timesheet: whose, and the span its events were loaded from.
type Key = (OrgId, EmployeeId, Span);

/// An evaluation and what it was judged from.
pub struct Judged {
    pub version: RecordVersion,
    pub plans_version: i64,
    pub plans_from: NaiveDate,
    pub subject: Subject,
    pub eval: Evaluation,
    pub policy: EmployeePolicy,
    /// The flex target before a range's first date, and that date: the
    /// sum over every day since `plans_from`, a year of days a year in.
    /// Set by the first timesheet that uses this evaluation.
    pub target_before: OnceLock<(NaiveDate, chrono::Duration)>,
}

impl Judged {
    /// Whether this evaluation is what judging the record at `version`
    /// with these plans and settings would give.
    fn holds_for(
        &self,
        version: RecordVersion,
        plans_version: i64,
        plans_from: NaiveDate,
        subject: Subject,
    ) -> bool {
        self.version == version
            && self.plans_version == plans_version
            && self.plans_from == plans_from
            && self.subject == subject
    }
}

/// Recent timesheets' evaluations, shared by every call.
#[derive(Default)]
pub struct TimesheetCache {
    entries: Mutex<HashMap<Key, Arc<Judged>>>,
    /// How many timesheets used a kept evaluation.
    hits: AtomicU64,
}

impl TimesheetCache {
    /// The record version of the evaluation kept for this span, for the
    /// read to skip the events when it is still current.
    pub fn known(&self, org: OrgId, employee: EmployeeId, load: Span) -> Option<RecordVersion> {
        self.lock().get(&(org, employee, load)).map(|j| j.version)
    }

    /// The evaluation kept for this span, when it holds for what the read
    /// found.
    pub fn get(
        &self,
        (org, employee, load): Key,
        version: RecordVersion,
        plans_version: i64,
        plans_from: NaiveDate,
        subject: Subject,
    ) -> Option<Arc<Judged>> {
        let kept = self
            .lock()
            .get(&(org, employee, load))
            .filter(|j| j.holds_for(version, plans_version, plans_from, subject))
            .cloned();
        if kept.is_some() {
            self.hits.fetch_add(1, Ordering::Relaxed);
            metrics::counter!(families::TIMESHEET_EVALUATIONS, "source" => "kept").increment(1);
        }
        kept
    }

    /// How many timesheets used a kept evaluation since the start.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Keeps `judged`, an evaluation just made for a read, for this span in
    /// place of what was kept, unless the span is longer than
    /// [`MAX_KEPT_SPAN`]. Every evaluation a timesheet makes comes here, so
    /// this is where one is counted (`source="judged"`).
    pub fn keep(&self, key: Key, judged: Arc<Judged>) {
        metrics::counter!(families::TIMESHEET_EVALUATIONS, "source" => "judged").increment(1);
        if key.2.len() > MAX_KEPT_SPAN {
            return;
        }
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES
            && !entries.contains_key(&key)
            && let Some(old) = entries.keys().next().copied()
        {
            entries.remove(&old);
        }
        entries.insert(key, judged);
    }

    /// Forgets every employee's evaluations (a test's way to read cold).
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Arc<Judged>>> {
        // A panic while holding the lock leaves a map of whole entries.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::employee::Locale;
    use crate::domain::ids::OrgId;
    use crate::domain::rules::pack::RulePack;
    use chrono::{TimeZone as _, Utc};
    use uuid::Uuid;

    fn key() -> Key {
        let start = Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap();
        (
            OrgId(Uuid::from_u128(1)),
            EmployeeId(Uuid::from_u128(2)),
            Span::new(start, start + chrono::Duration::days(40)),
        )
    }

    fn subject() -> Subject {
        Subject {
            employee: EmployeeId(Uuid::from_u128(2)),
            tz: chrono_tz::Europe::Oslo,
            pack: RulePack::NoAml,
            exempt: false,
            locale: Locale::Nb,
        }
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, d).unwrap_or_default()
    }

    const V: RecordVersion = RecordVersion {
        events: 10,
        amendments: 1,
    };

    fn judged() -> Arc<Judged> {
        Arc::new(Judged {
            version: V,
            plans_version: 3,
            plans_from: day(5),
            subject: subject(),
            eval: Evaluation::default(),
            policy: EmployeePolicy::default(),
            target_before: OnceLock::new(),
        })
    }

    /// An entry is used only when every input of the evaluation is as it
    /// was judged from; any one moved is a miss.
    #[test]
    fn an_entry_holds_only_for_what_it_was_judged_from() {
        let cache = TimesheetCache::default();
        cache.keep(key(), judged());
        assert_eq!(cache.known(key().0, key().1, key().2), Some(V));
        assert!(cache.get(key(), V, 3, day(5), subject()).is_some());
        assert_eq!(cache.hits(), 1);
        let more_events = RecordVersion { events: 11, ..V };
        let amended = RecordVersion { amendments: 2, ..V };
        assert!(
            cache
                .get(key(), more_events, 3, day(5), subject())
                .is_none()
        );
        assert!(cache.get(key(), amended, 3, day(5), subject()).is_none());
        assert!(cache.get(key(), V, 4, day(5), subject()).is_none());
        assert!(cache.get(key(), V, 3, day(4), subject()).is_none());
        let moved = Subject {
            tz: chrono_tz::Europe::Berlin,
            ..subject()
        };
        let exempt = Subject {
            exempt: true,
            ..subject()
        };
        let german = Subject {
            pack: RulePack::DeArbzg,
            ..subject()
        };
        assert!(cache.get(key(), V, 3, day(5), moved).is_none());
        assert!(cache.get(key(), V, 3, day(5), exempt).is_none());
        assert!(cache.get(key(), V, 3, day(5), german).is_none());
        let (org, employee, load) = key();
        let other_span = Span::new(load.start, load.end + chrono::Duration::days(1));
        assert!(
            cache
                .get((org, employee, other_span), V, 3, day(5), subject())
                .is_none()
        );
        assert_eq!(cache.known(org, employee, other_span), None);
        assert_eq!(cache.hits(), 1, "misses are not hits");
    }

    /// The map is bounded: past `MAX_ENTRIES` spans a new one takes an old
    /// one's place, and a span longer than `MAX_KEPT_SPAN` is not kept.
    #[test]
    fn the_map_is_bounded_and_keeps_no_long_spans() {
        let cache = TimesheetCache::default();
        let (org, _, load) = key();
        let someone = |i: usize| EmployeeId(Uuid::from_u128(1000 + i as u128));
        for i in 0..MAX_ENTRIES {
            cache.keep((org, someone(i), load), judged());
        }
        assert_eq!(cache.lock().len(), MAX_ENTRIES);
        cache.keep((org, someone(0), load), judged());
        assert_eq!(cache.lock().len(), MAX_ENTRIES, "the same span replaced");
        cache.keep(key(), judged());
        assert_eq!(
            cache.lock().len(),
            MAX_ENTRIES,
            "one taken out for the new one"
        );
        assert_eq!(cache.known(org, key().1, load), Some(V));
        let year = Span::new(load.start, load.start + chrono::Duration::days(366));
        let longest = Span::new(load.start, load.start + MAX_KEPT_SPAN);
        let fresh = TimesheetCache::default();
        fresh.keep((org, key().1, year), judged());
        fresh.keep((org, key().1, longest), judged());
        assert_eq!(fresh.known(org, key().1, year), None);
        assert_eq!(fresh.known(org, key().1, longest), Some(V));
    }
}
