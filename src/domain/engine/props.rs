//! Invariants of the engine, by proptest.

use chrono::Duration;
use proptest::prelude::*;

use super::evaluate::Evaluation;
use super::finding::{Draft, Severity};
use super::record::Span;
use super::testing::{oslo, run, run_scoped, work};
use crate::domain::clock_status::{SHIFT_MARGIN, loaded_between};
use crate::domain::event::EffectiveEvent;

/// The pattern findings (bar the missing clock-out, which is about events,
/// not time worked) whose window starts at or after `from`.
fn patterns_from(e: &Evaluation, from: chrono::DateTime<chrono::Utc>) -> Vec<Draft> {
    e.findings
        .iter()
        .filter(|f| {
            f.severity == Severity::Pattern
                && f.rule_id != "pol.missing_clock_out"
                && f.window.start >= from
        })
        .cloned()
        .collect()
}

/// Up to 12 working days in March 2026 around the spring-forward night:
/// (day offset, start minute, length, optional break offset).
fn days() -> impl Strategy<Value = Vec<(i64, i64, i64, Option<i64>)>> {
    prop::collection::vec(
        (
            0i64..20,
            0i64..1440,
            30i64..900,
            prop::option::of(60i64..300),
        ),
        0..12,
    )
}

fn events_of(days: &[(i64, i64, i64, Option<i64>)]) -> Vec<EffectiveEvent> {
    let mut out = Vec::new();
    let mut taken: Vec<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> = Vec::new();
    for (day, start, len, brk) in days {
        let s = oslo(2026, 3, 20, 0, 0) + Duration::days(*day) + Duration::minutes(*start);
        let e = s + Duration::minutes(*len);
        if taken.iter().any(|(a, b)| s < *b && *a < e) {
            continue;
        }
        taken.push((s, e));
        let breaks: Vec<_> = brk
            .filter(|b| b + 30 < *len)
            .map(|b| (s + Duration::minutes(b), s + Duration::minutes(b + 30)))
            .into_iter()
            .collect();
        out.extend(work(s, e, &breaks));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn totals_and_findings_do_not_depend_on_event_order(days in days(), seed in any::<u64>()) {
        let events = events_of(&days);
        let mut shuffled = events.clone();
        // A deterministic shuffle from the seed.
        let n = shuffled.len();
        for i in (1..n).rev() {
            let j = usize::try_from((seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i as u64)) % (i as u64 + 1)).unwrap();
            shuffled.swap(i, j);
        }
        let a = run(&events);
        let b = run(&shuffled);
        prop_assert_eq!(&a.days, &b.days);
        prop_assert_eq!(&a.ledger, &b.ledger);
        prop_assert_eq!(&a.findings, &b.findings);
    }

    /// A recompute loads events from 2 days before its scope: a pattern
    /// finding must not depend on older work, or two recomputes whose scopes
    /// both hold its window start would disagree about it.
    #[test]
    fn pattern_findings_need_no_work_from_before_their_window(days in days(), cut in 1i64..20) {
        let events = events_of(&days);
        let split = oslo(2026, 3, 20, 0, 0) + Duration::days(cut);
        let full = run(&events);
        let loaded: Vec<EffectiveEvent> = events
            .iter()
            .filter(|e| e.occurred_at >= split - SHIFT_MARGIN)
            .cloned()
            .collect();
        let part = run_scoped(&loaded, Span::new(split, oslo(2030, 1, 1, 0, 0)));
        prop_assert_eq!(patterns_from(&full, split), patterns_from(&part, split));
    }

    /// A recompute loads events from 2 days before the dates it trusts
    /// (`SHIFT_MARGIN`): the day totals of those dates must not
    /// depend on where the load cut, also when it cuts an interval that
    /// the next one touches (a clock that splits a shift at midnight or
    /// at a change of task clocks out and in at the same instant).
    #[test]
    fn trusted_day_totals_do_not_depend_on_where_the_load_cut(
        first in 0i64..2880,
        lengths in prop::collection::vec(30i64..720, 1..12),
        cut in 0i64..4320,
    ) {
        let mut events = Vec::new();
        let mut at = oslo(2026, 3, 20, 0, 0) + Duration::minutes(first);
        for len in &lengths {
            let end = at + Duration::minutes(*len);
            events.extend(work(at, end, &[]));
            at = end;
        }
        let load = oslo(2026, 3, 20, 0, 0) + Duration::minutes(cut);
        let trusted = (load + SHIFT_MARGIN).with_timezone(&chrono_tz::Europe::Oslo).date_naive() + Duration::days(1);
        let margin_end = load + SHIFT_MARGIN;
        let loaded = loaded_between(events.clone(), Span::new(load, oslo(2030, 1, 1, 0, 0)), margin_end);
        let full = run(&events);
        let part = run(&loaded);
        let after = |e: &Evaluation| -> Vec<_> {
            e.days.iter().filter(|(d, _)| **d >= trusted).map(|(d, t)| (*d, t.worked)).collect()
        };
        prop_assert_eq!(after(&full), after(&part));
    }

    #[test]
    fn day_totals_add_up_to_the_worked_intervals(days in days()) {
        let e = run(&events_of(&days));
        let by_days: Duration = e.days.values().map(|d| d.worked).sum();
        let by_segments: Duration = e.record.segments.iter().map(|s| s.span.len()).sum();
        let by_shifts: Duration = e.record.shifts.iter().map(|s| s.worked).sum();
        prop_assert_eq!(by_days, by_segments);
        prop_assert_eq!(by_days, by_shifts);
        for d in e.days.values() {
            prop_assert_eq!(d.normal + d.overtime, d.worked);
            prop_assert!(d.night <= d.worked && d.sunday_holiday <= d.worked);
        }
    }
}

#[test]
fn a_dst_day_sums_to_its_elapsed_length() {
    // Work the whole of Sun 29 March 2026 (23 h) and Sun 25 October (25 h).
    for (m, d, hours) in [(3, 29, 23), (10, 25, 25)] {
        let e = run(&work(
            oslo(2026, m, d, 0, 0),
            oslo(2026, m, d + 1, 0, 0),
            &[],
        ));
        let day = chrono::NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        assert_eq!(e.days[&day].worked, Duration::hours(hours));
        assert_eq!(e.days.len(), 1);
    }
}
