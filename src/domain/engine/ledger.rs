//! The overtime ledger (rules.md § 0): every worked minute is classified
//! once, in time order, as normal or overtime.
//!
//! 1. If the shift day's running total is already at the daily normal limit,
//!    the minute is overtime.
//! 2. Otherwise, if the local ISO week already holds the weekly normal limit
//!    of normal minutes, the minute is overtime.
//! 3. Otherwise it is normal.
//!
//! The whole shift counts on its shift day (rules.md § 5.1), so a night
//! shift split 6 + 6 at midnight cannot hide overtime. The week of a minute
//! is the ISO week it falls in.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

use super::record::{Record, Span};
use crate::domain::event::Location;
use crate::domain::local_days::{local_date, start_of_day};

/// A piece of work, classified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LedgerSegment {
    pub span: Span,
    pub overtime: bool,
    pub shift_day: NaiveDate,
    pub interval: Uuid,
    pub location: Option<Location>,
    /// The § 10-9 (2) extra break: paid as working time (normal or
    /// overtime, as the ledger classifies it) but left out of the overtime
    /// limits ([`overtime_spans`]).
    pub extra_break: bool,
}

/// The normal limits that apply on a shift day / in a week.
pub trait NormalLimits {
    /// Daily normal limit for a shift that starts on `shift_day`.
    fn daily(&self, shift_day: NaiveDate) -> Duration;
    /// Weekly normal limit of the ISO week starting on Monday `monday`.
    fn weekly(&self, monday: NaiveDate) -> Duration;
}

/// Fixed limits, for tests and simple packs.
#[derive(Clone, Copy, Debug)]
pub struct FixedLimits {
    pub daily: Duration,
    pub weekly: Duration,
}

impl NormalLimits for FixedLimits {
    fn daily(&self, _: NaiveDate) -> Duration {
        self.daily
    }
    fn weekly(&self, _: NaiveDate) -> Duration {
        self.weekly
    }
}

/// The Monday of `date`'s ISO week.
#[must_use]
pub fn monday_of(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

/// Classifies every minute of `record`. With `exempt`, nothing is overtime
/// (§ 10-12: no overtime classification).
#[must_use]
pub fn classify(
    tz: Tz,
    record: &Record,
    limits: &dyn NormalLimits,
    exempt: bool,
) -> Vec<LedgerSegment> {
    let mut out = Vec::with_capacity(record.segments.len() + 8);
    let mut day_total: HashMap<NaiveDate, Duration> = HashMap::new();
    let mut week_normal: HashMap<NaiveDate, Duration> = HashMap::new();
    for shift in &record.shifts {
        let daily_limit = limits.daily(shift.day);
        for seg in &record.segments[shift.segments.clone()] {
            for piece in split_at_weeks(tz, seg.span) {
                let monday = monday_of(local_date(tz, piece.start));
                let used_day = day_total.entry(shift.day).or_insert_with(Duration::zero);
                let used_week = week_normal.entry(monday).or_insert_with(Duration::zero);
                let len = piece.len();
                let normal = if exempt {
                    len
                } else {
                    len.min(nonneg(daily_limit - *used_day))
                        .min(nonneg(limits.weekly(monday) - *used_week))
                };
                *used_day += len;
                *used_week += normal;
                let mid = piece.start + normal;
                let mut push = |span: Span, overtime: bool| {
                    if !span.is_empty() {
                        out.push(LedgerSegment {
                            span,
                            overtime,
                            shift_day: shift.day,
                            interval: seg.interval,
                            location: seg.location,
                            extra_break: seg.extra_break,
                        });
                    }
                };
                push(Span::new(piece.start, mid), false);
                push(Span::new(mid, piece.end), true);
            }
        }
    }
    out
}

/// The overtime spans of a ledger that count toward the overtime limits,
/// in order: every overtime minute but the § 10-9 (2) extra break. Every
/// overtime limit (findings, headroom, stored day totals) reads this.
#[must_use]
pub fn overtime_spans(ledger: &[LedgerSegment]) -> Vec<Span> {
    ledger
        .iter()
        .filter(|s| s.overtime && !s.extra_break)
        .map(|s| s.span)
        .collect()
}

/// [`overtime_spans`] split at local midnight, per local date: what a
/// stored day total keeps for the windows that read it later.
#[must_use]
pub fn overtime_spans_by_day(
    tz: Tz,
    ledger: &[LedgerSegment],
) -> std::collections::BTreeMap<NaiveDate, Vec<Span>> {
    let mut out: std::collections::BTreeMap<NaiveDate, Vec<Span>> =
        std::collections::BTreeMap::new();
    for span in overtime_spans(ledger) {
        let mut at = span.start;
        for (date, len) in crate::domain::local_days::split_at_midnight(tz, span.start, span.end) {
            out.entry(date).or_default().push(Span::new(at, at + len));
            at += len;
        }
    }
    out
}

fn nonneg(d: Duration) -> Duration {
    d.max(Duration::zero())
}

/// Splits a span at local Monday 00:00.
fn split_at_weeks(tz: Tz, span: Span) -> Vec<Span> {
    let mut out = Vec::new();
    let mut from = span.start;
    while from < span.end {
        let next_monday = monday_of(local_date(tz, from)) + Duration::days(7);
        let boundary: DateTime<Utc> = start_of_day(tz, next_monday);
        let until = boundary.min(span.end);
        out.push(Span::new(from, until));
        from = until;
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    /// Overtime running past midnight is kept per local date, each part
    /// where it was worked (a mutation run found `at += len` → `-=`
    /// unnoticed).
    #[test]
    fn overtime_across_midnight_is_kept_per_local_date() {
        let tz = chrono_tz::Europe::Oslo;
        let date = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap_or_default();
        let t = |d, h| {
            tz.with_ymd_and_hms(2026, 11, d, h, 0, 0)
                .unwrap()
                .with_timezone(&chrono::Utc)
        };
        let seg = |a, b, overtime| LedgerSegment {
            span: Span::new(a, b),
            overtime,
            shift_day: date(17),
            interval: Uuid::nil(),
            location: None,
            extra_break: false,
        };
        let ledger = [
            seg(t(17, 14), t(17, 22), false),
            seg(t(17, 22), t(18, 2), true),
        ];
        let by_day = overtime_spans_by_day(tz, &ledger);
        assert_eq!(by_day.len(), 2);
        assert_eq!(by_day[&date(17)], [Span::new(t(17, 22), t(18, 0))]);
        assert_eq!(by_day[&date(18)], [Span::new(t(18, 0), t(18, 2))]);
    }
}
