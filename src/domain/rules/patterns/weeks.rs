//! Trends over ISO weeks: hours creeping above schedule, and the share of
//! work done at home.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use uuid::Uuid;

use super::{evidence_of, pattern};
use crate::domain::employee::Locale::{En, Nb};
use crate::domain::engine::finding::Draft;
use crate::domain::engine::ledger::monday_of;
use crate::domain::engine::record::Span;
use crate::domain::engine::text::{date, duration, percent, pick};
use crate::domain::engine::windows::sum_and_crossing;
use crate::domain::event::Location;
use crate::domain::local_days::{split_at_midnight, start_of_day};
use crate::domain::policy::{AgreementTerms, ValueUnit};
use crate::domain::rules::context::RuleContext;

/// Scheduled time of the ISO week starting `monday`: the plan's scheduled
/// time per date (holidays already give none) less the absences.
fn scheduled_week(ctx: &RuleContext<'_>, monday: NaiveDate) -> Duration {
    (0..7)
        .map(|k| {
            let p = ctx.plan.day(monday + Duration::days(k));
            (p.scheduled - p.absence_total()).max(Duration::zero())
        })
        .sum()
}

fn week_span(ctx: &RuleContext<'_>, monday: NaiveDate, weeks: i64) -> Span {
    Span::new(
        start_of_day(ctx.tz, monday),
        start_of_day(ctx.tz, monday + Duration::weeks(weeks)),
    )
}

/// `pol.creep`: worked at least the scheduled time plus `margin` in each of
/// `weeks` consecutive ISO weeks. One finding per run of `weeks` weeks,
/// keyed by its first Monday, so a trend that goes on gives one finding per
/// further week. Worked time per week is the evaluation's (stored day
/// totals stand in outside the loaded events). Measured: the smallest
/// excess over the schedule among the weeks; limit: the margin.
pub fn creep(ctx: &RuleContext<'_>, out: &mut Vec<Draft>) {
    const RULE: &str = "pol.creep";
    for &first in ctx.weekly_worked.keys() {
        let window_start = start_of_day(ctx.tz, first);
        if !ctx.in_scope(window_start) {
            continue;
        }
        let weeks = ctx.params.get(RULE, "weeks", first).value.max(1);
        let margin = ctx.params.minutes(RULE, "margin", first);
        let figures: Vec<(NaiveDate, Duration, Duration)> = (0..weeks)
            .map(|k| {
                let m = first + Duration::weeks(k);
                let worked = ctx
                    .weekly_worked
                    .get(&m)
                    .copied()
                    .unwrap_or_else(Duration::zero);
                (m, worked, scheduled_week(ctx, m))
            })
            .collect();
        if figures.iter().any(|(_, w, s)| *w < *s + margin) {
            continue;
        }
        let smallest = figures
            .iter()
            .map(|(_, w, s)| *w - *s)
            .min()
            .unwrap_or_else(Duration::zero);
        let window = week_span(ctx, first, weeks);
        let (final_monday, _, last_scheduled) = figures[figures.len() - 1];
        let last_week = week_span(ctx, final_monday, 1);
        let at = sum_and_crossing(&ctx.work, last_week, last_scheduled + margin)
            .1
            .unwrap_or(last_week.end);
        let list = |l| {
            figures
                .iter()
                .map(|(m, w, s)| {
                    let (wk, of) = match l {
                        Nb => ("uke", "planlagt"),
                        En => ("week", "scheduled"),
                    };
                    format!(
                        "{wk} {} {} ({of} {})",
                        m.iso_week().week(),
                        duration(l, *w),
                        duration(l, *s)
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let words = pick(
            ctx.locale,
            format!(
                "minst {} over planlagt arbeidstid {weeks} uker på rad: {}",
                duration(Nb, margin),
                list(Nb)
            ),
            format!(
                "at least {} over the scheduled time {weeks} weeks in a row: {}",
                duration(En, margin),
                list(En)
            ),
        );
        out.push(pattern(
            ctx,
            RULE,
            window,
            at,
            (
                smallest.num_minutes(),
                margin.num_minutes(),
                ValueUnit::Minutes,
            ),
            words,
            None,
            ctx.evidence(window),
        ));
    }
}

/// The valid home-office agreement on `d`: its id and its maximum share in
/// basis points (0 = not set).
fn home_agreement(ctx: &RuleContext<'_>, d: NaiveDate) -> Option<(Uuid, i64)> {
    ctx.plan
        .policy
        .agreements
        .iter()
        .find_map(|a| match a.terms {
            AgreementTerms::HomeOffice {
                max_home_share_percent,
                ..
            } if a.employee == ctx.plan.employee && a.covers(d) => {
                Some((a.id, i64::from(max_home_share_percent) * 100))
            }
            _ => None,
        })
}

/// Work at home, split at local midnight: `(date, piece)` in order.
fn home_pieces(ctx: &RuleContext<'_>) -> Vec<(NaiveDate, Span)> {
    let mut out = Vec::new();
    for seg in ctx
        .record
        .segments
        .iter()
        .filter(|s| s.location == Some(Location::Home))
    {
        let mut from = seg.span.start;
        for (d, len) in split_at_midnight(ctx.tz, seg.span.start, seg.span.end) {
            out.push((d, Span::new(from, from + len)));
            from += len;
        }
    }
    out
}

/// `pol.home_share`, two ways:
/// - work at home on a date no valid home-office agreement covers: one
///   finding per ISO week with such work (window: the week), however many
///   segments;
/// - more than the agreement's share of the working time at home over the
///   `weeks` ISO weeks ending with a week that has home work (window: those
///   weeks). The share is that of the agreement valid on the last date with
///   home work in the window (0 in the agreement: `default_max_share`, 40 %).
///   A window whose last week has no home work is not judged: the trend has
///   already turned.
pub fn home_share(ctx: &RuleContext<'_>, out: &mut Vec<Draft>) {
    let pieces = home_pieces(ctx);
    without_agreement(ctx, out, &pieces);
    share(ctx, out, &pieces);
}

fn without_agreement(ctx: &RuleContext<'_>, out: &mut Vec<Draft>, pieces: &[(NaiveDate, Span)]) {
    const RULE: &str = "pol.home_share";
    let mut by_week: BTreeMap<NaiveDate, Vec<(NaiveDate, Span)>> = BTreeMap::new();
    for (d, p) in pieces {
        if home_agreement(ctx, *d).is_none() {
            by_week.entry(monday_of(*d)).or_default().push((*d, *p));
        }
    }
    for (monday, found) in by_week {
        let window = week_span(ctx, monday, 1);
        if !ctx.in_scope(window.start) {
            continue;
        }
        let spans: Vec<Span> = found.iter().map(|(_, p)| *p).collect();
        let home: Duration = spans.iter().map(Span::len).sum();
        let mut dates: Vec<NaiveDate> = found.iter().map(|(d, _)| *d).collect();
        dates.dedup();
        let list = |l| {
            dates
                .iter()
                .map(|d| date(l, *d))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let words = pick(
            ctx.locale,
            format!(
                "{} arbeid hjemme ({}) uten en gyldig hjemmekontoravtale",
                duration(Nb, home),
                list(Nb)
            ),
            format!(
                "{} of work at home ({}) with no valid home-office agreement",
                duration(En, home),
                list(En)
            ),
        );
        out.push(pattern(
            ctx,
            RULE,
            window,
            spans[0].start,
            (home.num_minutes(), 0, ValueUnit::Minutes),
            words,
            None,
            evidence_of(ctx, &spans),
        ));
    }
}

fn share(ctx: &RuleContext<'_>, out: &mut Vec<Draft>, pieces: &[(NaiveDate, Span)]) {
    const RULE: &str = "pol.home_share";
    let mut mondays: Vec<NaiveDate> = pieces.iter().map(|(d, _)| monday_of(*d)).collect();
    mondays.dedup();
    for last in mondays {
        let weeks = ctx.params.get(RULE, "weeks", last).value.max(1);
        let first = last - Duration::weeks(weeks - 1);
        let window = week_span(ctx, first, weeks);
        if !ctx.in_scope(window.start) {
            continue;
        }
        let in_window: Vec<(NaiveDate, Span)> = pieces
            .iter()
            .filter(|(_, p)| p.start >= window.start && p.start < window.end)
            .copied()
            .collect();
        let Some((agreement, set)) = in_window
            .iter()
            .rev()
            .find_map(|(d, _)| home_agreement(ctx, *d))
        else {
            continue;
        };
        let max = if set > 0 {
            set
        } else {
            ctx.params.get(RULE, "default_max_share", last).value
        };
        let over = |home: Duration, worked: Duration| {
            i128::from(home.num_seconds()) * 10_000
                > i128::from(max) * i128::from(worked.num_seconds())
        };
        let home: Duration = in_window.iter().map(|(_, p)| p.len()).sum();
        let worked: Duration = ctx
            .work
            .iter()
            .map(|s| s.clipped(window.start, window.end))
            .sum();
        if worked <= Duration::zero() || !over(home, worked) {
            continue;
        }
        // When the share first passed the maximum in the last week, judged
        // at the ends of its segments.
        let last_week = week_span(ctx, last, 1);
        let at = ctx
            .record
            .segments
            .iter()
            .filter(|s| s.span.end > last_week.start && s.span.end <= last_week.end)
            .map(|s| s.span.end)
            .find(|t| {
                let h: Duration = in_window
                    .iter()
                    .map(|(_, p)| p.clipped(window.start, *t))
                    .sum();
                let w: Duration = ctx.work.iter().map(|s| s.clipped(window.start, *t)).sum();
                over(h, w)
            })
            .unwrap_or(window.end);
        let measured = home.num_seconds() * 10_000 / worked.num_seconds();
        let week_no = last.iso_week().week();
        let words = pick(
            ctx.locale,
            format!(
                "{} av arbeidstiden hjemme i de {weeks} ukene til og med uke {week_no} ({} av {}); avtalen tillater {}",
                percent(Nb, measured),
                duration(Nb, home),
                duration(Nb, worked),
                percent(Nb, max)
            ),
            format!(
                "{} of working time at home in the {weeks} weeks to week {week_no} ({} of {}); the agreement allows {}",
                percent(En, measured),
                duration(En, home),
                duration(En, worked),
                percent(En, max)
            ),
        );
        let spans: Vec<Span> = in_window.iter().map(|(_, p)| *p).collect();
        out.push(pattern(
            ctx,
            RULE,
            window,
            at,
            (measured, max, ValueUnit::BasisPoints),
            words,
            Some(agreement),
            evidence_of(ctx, &spans),
        ));
    }
}
