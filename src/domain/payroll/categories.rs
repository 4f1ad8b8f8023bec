//! An employee's payroll figures for one period, from the engine's ledger
//! and the plan (rules.md § 0: every minute once, split at local midnight).
//!
//! Payroll choices, written down:
//! - Minutes are exact to the microsecond until each local date's figures
//!   are rounded, once, by [`crate::domain::engine::minutes`] (the same
//!   rounding the timesheet shows); a period's WORKED, NORMAL, NIGHT and
//!   `SUNDAY_HOLIDAY` are sums of its dates' rounded figures, so payroll and
//!   the timesheet agree to the minute. The period's overtime minutes are
//!   split over the OVERTIME rates by largest remainder, so
//!   NORMAL + Σ OVERTIME = WORKED holds exactly in whole minutes.
//! - `FLEX_MOVEMENT` = WORKED + ABSENCE + `TIME_OFF_IN_LIEU` − SCHEDULED, from
//!   the rounded figures, so it reconciles line by line. As in the
//!   timesheet, an absent scheduled minute (time off in lieu included)
//!   counts as if worked; time off in lieu is reported on its own so payroll
//!   can draw it from the overtime bank.
//! - Scheduled time and absences count only on dates the employee is
//!   employed (from creation or the first registered work, to deactivation
//!   or the last work); worked minutes always count.
//! - Open intervals count nothing (no hours are guessed); they show as open
//!   findings until someone completes the record.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use super::lines::{Category, Line, LineKey, Totals};
use super::settings::PayrollSettings;
use crate::domain::engine::days::{DayTotals, Plan};
use crate::domain::engine::ledger::{LedgerSegment, monday_of};
use crate::domain::engine::minutes::{apportion, flex, micros, period_minutes, round_minutes};
use crate::domain::engine::record::Span;
use crate::domain::local_days::{local_date, split_at_midnight};
use crate::domain::policy::AbsenceKind;

/// What the figures of one employee and period are made from.
pub struct PeriodInput<'a> {
    pub tz: Tz,
    pub first: NaiveDate,
    pub last: NaiveDate,
    /// Dates on which scheduled time and absences count (see module docs).
    pub employed: (NaiveDate, NaiveDate),
    /// The ledger from at least the Monday of `first`'s week.
    pub ledger: &'a [LedgerSegment],
    /// Worked minutes per local date, by category.
    pub days: &'a BTreeMap<NaiveDate, DayTotals>,
    pub nights: &'a [Span],
    pub sundays: &'a [Span],
    pub plan: &'a Plan<'a>,
    /// Open findings whose `at` lies in the period.
    pub open_findings: i64,
}

/// Overtime by rate: each ledger overtime minute gets the rate of its weekly
/// tier, raised to the night or Sunday/holiday rate where those apply and
/// are higher. The week of a minute is the local ISO week it falls in (as in
/// the ledger, which splits segments at Monday 00:00), not the week of its
/// shift day: a Sunday night shift's Monday minutes count in the new week,
/// and the ledger from the Monday of `first`'s week is enough.
fn overtime_by_rate(input: &PeriodInput<'_>, s: &PayrollSettings) -> BTreeMap<i32, Duration> {
    let mut segs: Vec<&LedgerSegment> = input.ledger.iter().filter(|l| l.overtime).collect();
    segs.sort_by_key(|l| (l.span.start, l.interval));
    let mut week_done: BTreeMap<NaiveDate, Duration> = BTreeMap::new();
    let mut out: BTreeMap<i32, Duration> = BTreeMap::new();
    for seg in segs {
        let week = monday_of(local_date(input.tz, seg.span.start));
        let done = week_done.entry(week).or_default();
        let mut at = seg.span.start;
        while at < seg.span.end {
            let idx = s
                .tiers
                .iter()
                .rposition(|t| Duration::minutes(t.after_week_overtime_minutes) <= *done)
                .unwrap_or(0);
            let mut end = seg.span.end;
            if let Some(next) = s.tiers.get(idx + 1) {
                end = end.min(at + (Duration::minutes(next.after_week_overtime_minutes) - *done));
            }
            add_piece(input, s, s.tiers[idx].rate, at, end, &mut out);
            *done += end - at;
            at = end;
        }
    }
    out
}

/// Adds `[from_at, to_at)` at `tier` to `out`, split where the night,
/// Sunday/holiday and calendar-day boundaries fall, counting only dates of
/// the period.
fn add_piece(
    input: &PeriodInput<'_>,
    settings: &PayrollSettings,
    tier: i32,
    from_at: DateTime<Utc>,
    to_at: DateTime<Utc>,
    out: &mut BTreeMap<i32, Duration>,
) {
    let (a, b, s) = (from_at, to_at, settings);
    let mut cuts: Vec<DateTime<Utc>> = vec![a, b];
    for sp in input.nights.iter().chain(input.sundays) {
        for t in [sp.start, sp.end] {
            if t > a && t < b {
                cuts.push(t);
            }
        }
    }
    let mut from = a;
    for (_, len) in split_at_midnight(input.tz, a, b) {
        cuts.push(from);
        from += len;
    }
    cuts.sort();
    cuts.dedup();
    for w in cuts.windows(2) {
        let (start, end) = (w[0], w[1]);
        if !(input.first..=input.last).contains(&local_date(input.tz, start)) {
            continue;
        }
        let inside = |spans: &[Span]| spans.iter().any(|sp| sp.start <= start && start < sp.end);
        let mut rate = tier;
        if s.night_rate > 0 && inside(input.nights) {
            rate = rate.max(s.night_rate);
        }
        if s.sunday_rate > 0 && inside(input.sundays) {
            rate = rate.max(s.sunday_rate);
        }
        *out.entry(rate).or_default() += end - start;
    }
}

/// The period's own figures in whole minutes (and the findings count).
#[must_use]
pub fn figures(input: &PeriodInput<'_>, s: &PayrollSettings) -> Totals {
    let worked = period_minutes(input.days, input.first, input.last);
    let overtime = overtime_by_rate(input, s);
    let mut scheduled = Duration::zero();
    let mut absent: BTreeMap<AbsenceKind, Duration> = BTreeMap::new();
    let (from, to) = (
        input.first.max(input.employed.0),
        input.last.min(input.employed.1),
    );
    let mut d = from;
    while d <= to {
        let p = input.plan.day(d);
        scheduled += p.scheduled;
        for (_, kind, m) in &p.absences {
            *absent.entry(*kind).or_default() += *m;
        }
        d += Duration::days(1);
    }

    let mut out = Totals::new();
    let worked_min = worked.worked;
    let rates: Vec<i32> = overtime.keys().copied().collect();
    let parts: Vec<i64> = overtime.values().map(|d| micros(*d)).collect();
    let split = apportion(worked.overtime, &parts);
    out.insert(
        LineKey::of(Category::Scheduled),
        (round_minutes(scheduled), 0),
    );
    out.insert(LineKey::of(Category::Worked), (worked_min, 0));
    out.insert(LineKey::of(Category::Normal), (worked.normal, 0));
    for (rate, m) in rates.iter().zip(&split) {
        out.insert(LineKey::overtime(*rate), (*m, 0));
    }
    out.insert(LineKey::of(Category::Night), (worked.night, 0));
    out.insert(
        LineKey::of(Category::SundayHoliday),
        (worked.sunday_holiday, 0),
    );
    let mut absent_min = 0;
    for (kind, m) in &absent {
        let key = if *kind == AbsenceKind::TimeOffInLieu {
            LineKey::of(Category::TimeOffInLieu)
        } else {
            LineKey::absence(*kind)
        };
        let m = round_minutes(*m);
        absent_min += m;
        out.insert(key, (m, 0));
    }
    out.insert(
        LineKey::of(Category::FlexMovement),
        (flex(worked_min, absent_min, round_minutes(scheduled)), 0),
    );
    out.insert(
        LineKey::of(Category::OpenFindings),
        (0, input.open_findings),
    );
    out.retain(|_, (m, c)| *m != 0 || *c != 0);
    out
}

/// Lines for `totals` with the settings' pay codes, in key order.
#[must_use]
pub fn lines(totals: &Totals, s: &PayrollSettings) -> Vec<Line> {
    totals
        .iter()
        .filter(|(_, (m, c))| *m != 0 || *c != 0)
        .map(|(key, (minutes, count))| Line {
            key: *key,
            pay_code: s.code(key),
            minutes: *minutes,
            count: *count,
            adjustment: None,
        })
        .collect()
}
