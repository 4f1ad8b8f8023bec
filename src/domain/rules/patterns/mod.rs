//! Out-of-hours patterns (rules.md § 4): product policy, not law. Every
//! pattern is a PATTERN finding stored like any other, in every pack, and
//! for exempt employees too (rules.md example 12: patterns go to the
//! employee only), while the `no.*`/`eu.*`/`de.*` checks skip them.
//!
//! Each detector keys its finding by a window whose start decides the
//! scope ([`super::evaluate`]), and reads nothing before that start beyond
//! the shift it belongs to: a recompute loads events from 2 days before its
//! scope, so a finding must not depend on older work, or two recomputes
//! with different scopes would disagree about it. That is why trends are
//! judged per window (each 7 days ending with an evening, each run of
//! weeks ending with a week) rather than merged into open-ended episodes:
//! a long trend gives one finding per day or week it goes on, and the
//! nudge layer sends at most one per pattern per ISO week.
//!
//! `pol.overtime_near` is not a detector here: it is the WARNING of the
//! overtime limits (`common::rolling_max` with `warn`, at `warning_at` of
//! the pack's limits), which the nudge layer maps to `overtime_near`.
//! `pol.missing_clock_out` lives in `common`, beside the record checks.
//!
//! Time-dependent on `as_of` (and so needing a periodic re-evaluation, not
//! only one after each change): `pol.core_hours` (a day is judged once its
//! core hours are over) and `pol.missing_clock_out`.

mod days;
mod hours;
mod weeks;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use super::common::draft;
use super::context::RuleContext;
use crate::domain::engine::days::local_instant;
use crate::domain::engine::finding::{Draft, Evidence, Severity};
use crate::domain::engine::record::Span;
use crate::domain::local_days::{local_date, split_at_midnight, start_of_day};
use crate::domain::policy::ValueUnit;

/// Every pattern detector.
pub fn evaluate(ctx: &RuleContext<'_>, out: &mut Vec<Draft>) {
    hours::evening(ctx, out);
    hours::night(ctx, out);
    hours::weekend(ctx, out);
    hours::long_day(ctx, out);
    weeks::creep(ctx, out);
    weeks::home_share(ctx, out);
    days::core_hours(ctx, out);
    days::sick_or_vacation_work(ctx, out);
}

/// The rule whose `night_start`/`night_end` define night in `pack`: the
/// law's (§ 10-11) in `no-aml`, the policy's (21:00–06:00) elsewhere.
#[must_use]
pub fn night_rule(pack: crate::domain::rules::pack::RulePack) -> &'static str {
    use crate::domain::rules::pack::RulePack;
    match pack {
        RulePack::NoAml => "no.night",
        RulePack::EuWtd | RulePack::DeArbzg => "pol.night",
    }
}

/// The parts of `work` inside `windows`, in time order. Both must be sorted
/// and disjoint.
fn inside(work: &[Span], windows: &[Span]) -> Vec<Span> {
    let mut out = Vec::new();
    for w in windows {
        let from = work.partition_point(|s| s.end <= w.start);
        for s in &work[from..] {
            if s.start >= w.end {
                break;
            }
            let piece = Span::new(s.start.max(w.start), s.end.min(w.end));
            if !piece.is_empty() {
                out.push(piece);
            }
        }
    }
    out.sort();
    out
}

fn total(pieces: &[Span]) -> Duration {
    pieces.iter().map(Span::len).sum()
}

/// The instant the running total of `pieces` reached `threshold`.
fn reached(pieces: &[Span], threshold: Duration) -> Option<DateTime<Utc>> {
    let mut acc = Duration::zero();
    for p in pieces {
        if acc + p.len() >= threshold {
            return Some(p.start + (threshold - acc).max(Duration::zero()));
        }
        acc += p.len();
    }
    None
}

/// The intervals with work in any of `pieces`, each once, in order.
fn evidence_of(ctx: &RuleContext<'_>, pieces: &[Span]) -> Vec<Evidence> {
    let mut out: Vec<Evidence> = Vec::new();
    for p in pieces {
        for e in ctx.evidence(*p) {
            if !out.iter().any(|o| o.interval == e.interval) {
                out.push(e);
            }
        }
    }
    out
}

/// The local date `d` as a span of instants (23, 24 or 25 h).
fn day_span(tz: Tz, d: NaiveDate) -> Span {
    Span::new(start_of_day(tz, d), start_of_day(tz, d + Duration::days(1)))
}

/// The instant of `minutes` after local midnight of `d` (DST-aware).
fn at_minutes(tz: Tz, d: NaiveDate, minutes: i64) -> DateTime<Utc> {
    local_instant(
        tz,
        d.and_time(chrono::NaiveTime::MIN) + Duration::minutes(minutes),
    )
}

/// Local dates with work, in order.
fn work_dates(ctx: &RuleContext<'_>) -> BTreeSet<NaiveDate> {
    ctx.work
        .iter()
        .flat_map(|s| split_at_midnight(ctx.tz, s.start, s.end))
        .map(|(d, _)| d)
        .collect()
}

/// The local date of an instant, in the employee's zone.
fn date_of(ctx: &RuleContext<'_>, t: DateTime<Utc>) -> NaiveDate {
    local_date(ctx.tz, t)
}

/// A PATTERN finding.
#[allow(clippy::too_many_arguments)]
fn pattern(
    ctx: &RuleContext<'_>,
    rule_id: &'static str,
    window: Span,
    at: DateTime<Utc>,
    (measured, limit, unit): (i64, i64, ValueUnit),
    words: String,
    agreement: Option<uuid::Uuid>,
    evidence: Vec<Evidence>,
) -> Draft {
    let mut d = draft(
        ctx,
        rule_id,
        Severity::Pattern,
        window,
        at,
        Duration::zero(),
        Duration::zero(),
        false,
        words,
        agreement,
        evidence,
    );
    d.measured = measured;
    d.limit = limit;
    d.unit = unit;
    d
}
