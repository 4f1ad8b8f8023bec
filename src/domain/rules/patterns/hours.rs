//! Patterns of *when* work happens: evenings, nights, weekends and long days.

use chrono::{Datelike, Duration, NaiveDate, Timelike, Weekday};

use super::{
    at_minutes, day_span, evidence_of, inside, night_rule, pattern, reached, total, work_dates,
};
use crate::domain::employee::Locale::{En, Nb};
use crate::domain::engine::finding::Draft;
use crate::domain::engine::record::Span;
use crate::domain::engine::text::{clock, date, duration, instant, pick, time_of_day};
use crate::domain::engine::windows::merged;
use crate::domain::local_days::start_of_day;
use crate::domain::policy::ValueUnit;
use crate::domain::rules::context::RuleContext;

/// The evening of local date `d`: from the end of the schedule's flexitime
/// frame (or `pol.evening` `frame_end` when the schedule has none) to the
/// start of night. Empty when the frame runs into the night.
fn evening_of(ctx: &RuleContext<'_>, d: NaiveDate) -> Option<(Span, i64)> {
    let frame_end = ctx.plan.schedule(d).flex_frame.map_or_else(
        || ctx.params.get("pol.evening", "frame_end", d).value,
        |(_, end)| i64::from(end.num_seconds_from_midnight() / 60),
    );
    let night_start = ctx
        .params
        .get(night_rule(ctx.params.pack), "night_start", d)
        .value;
    (frame_end < night_start).then(|| {
        (
            Span::new(
                at_minutes(ctx.tz, d, frame_end),
                at_minutes(ctx.tz, d, night_start),
            ),
            frame_end,
        )
    })
}

/// `pol.evening`: work after the flexitime frame ends and before night on
/// at least `min_days` local dates within a rolling 7 days. A date is an
/// evening when it has at least `min_minutes` of such work, so a clock-out
/// at 18:01 does not make one.
///
/// A finding for every evening that completes `min_days` in the 7 days
/// ending with it; its window is those 7 local days, so it depends on
/// nothing before its start (see the module doc). Measured in days.
pub fn evening(ctx: &RuleContext<'_>, out: &mut Vec<Draft>) {
    const RULE: &str = "pol.evening";
    let mut evenings: Vec<(NaiveDate, Vec<Span>, i64)> = Vec::new();
    for d in work_dates(ctx) {
        let Some((span, frame_end)) = evening_of(ctx, d) else {
            continue;
        };
        let pieces = inside(&ctx.work, &[span]);
        if !pieces.is_empty() && total(&pieces) >= ctx.params.minutes(RULE, "min_minutes", d) {
            evenings.push((d, pieces, frame_end));
        }
    }
    for (i, (d, pieces, frame_end)) in evenings.iter().enumerate() {
        let first = *d - Duration::days(6);
        let window = Span::new(
            start_of_day(ctx.tz, first),
            start_of_day(ctx.tz, *d + Duration::days(1)),
        );
        if !ctx.in_scope(window.start) {
            continue;
        }
        let min_days = ctx.params.get(RULE, "min_days", *d).value;
        let counted: Vec<_> = evenings[..=i]
            .iter()
            .filter(|(e, _, _)| *e >= first)
            .collect();
        let n = i64::try_from(counted.len()).unwrap_or(i64::MAX);
        if n < min_days {
            continue;
        }
        let min = ctx.params.minutes(RULE, "min_minutes", *d);
        let at = reached(pieces, min).unwrap_or(window.end);
        let list = |l| {
            counted
                .iter()
                .map(|(e, p, _)| {
                    format!(
                        "{} {}–{} ({})",
                        date(l, *e),
                        clock(ctx.tz, p[0].start),
                        clock(ctx.tz, p[p.len() - 1].end),
                        duration(l, total(p))
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let after = time_of_day(*frame_end);
        let words = pick(
            ctx.locale,
            format!(
                "arbeid etter {after} på {n} dager i de 7 dagene til og med {}: {}",
                date(Nb, *d),
                list(Nb)
            ),
            format!(
                "work after {after} on {n} days in the 7 days to {}: {}",
                date(En, *d),
                list(En)
            ),
        );
        let all: Vec<Span> = counted.iter().flat_map(|(_, p, _)| p.clone()).collect();
        out.push(pattern(
            ctx,
            RULE,
            window,
            at,
            (n, min_days, ValueUnit::Count),
            words,
            None,
            evidence_of(ctx, &all),
        ));
    }
}

/// `pol.night`: at least `min_minutes` of a shift inside the pack's night
/// hours (`no.night` in `no-aml`, `pol.night` elsewhere). One finding per
/// shift, keyed by the shift.
pub fn night(ctx: &RuleContext<'_>, out: &mut Vec<Draft>) {
    const RULE: &str = "pol.night";
    for shift in &ctx.record.shifts {
        if !ctx.in_scope(shift.span.start) {
            continue;
        }
        let segs: Vec<Span> = ctx.record.segments[shift.segments.clone()]
            .iter()
            .map(|s| s.span)
            .collect();
        let pieces = inside(&segs, &ctx.nights);
        let min = ctx.params.minutes(RULE, "min_minutes", shift.day);
        let night = total(&pieces);
        let Some(at) = reached(&pieces, min).filter(|_| night >= min && !pieces.is_empty()) else {
            continue;
        };
        let rule = night_rule(ctx.params.pack);
        let hours = format!(
            "{}–{}",
            time_of_day(ctx.params.get(rule, "night_start", shift.day).value),
            time_of_day(ctx.params.get(rule, "night_end", shift.day).value)
        );
        let words = pick(
            ctx.locale,
            format!(
                "{} nattarbeid ({hours}) i skiftet {} til {}",
                duration(Nb, night),
                instant(Nb, ctx.tz, shift.span.start),
                instant(Nb, ctx.tz, shift.span.end)
            ),
            format!(
                "{} of night work ({hours}) in the shift {} to {}",
                duration(En, night),
                instant(En, ctx.tz, shift.span.start),
                instant(En, ctx.tz, shift.span.end)
            ),
        );
        out.push(pattern(
            ctx,
            RULE,
            shift.span,
            at,
            (night.num_minutes(), min.num_minutes(), ValueUnit::Minutes),
            words,
            None,
            ctx.evidence(shift.span),
        ));
    }
}

/// The weekend and holiday periods touching the dates with work: in
/// `no-aml` the § 10-10 windows plus every Saturday; elsewhere Saturdays,
/// Sundays and the organisation's holidays by calendar date. Touching
/// periods merge, so a weekend is one period (Sat 00:00 to Sun 22:00 in
/// `no-aml`, a whole Easter too).
fn weekend_periods(ctx: &RuleContext<'_>) -> Vec<Span> {
    let dates = work_dates(ctx);
    let (Some(first), Some(last)) = (dates.first(), dates.last()) else {
        return Vec::new();
    };
    let off = |d: NaiveDate| d.weekday() == Weekday::Sat || ctx.plan.is_sunday_or_holiday(d);
    // Whole periods, whatever else the record holds: from the start of a
    // run of days off that the first date with work is in, to the end of
    // the run the last one is in.
    let (mut from, mut to) = (*first - Duration::days(1), *last + Duration::days(1));
    for _ in 0..366 {
        if !off(from) {
            break;
        }
        from -= Duration::days(1);
    }
    for _ in 0..366 {
        if !off(to) {
            break;
        }
        to += Duration::days(1);
    }
    let mut spans: Vec<Span> = Vec::new();
    let mut d = from;
    while d <= to {
        let calendar = d.weekday() == Weekday::Sat
            || (ctx.params.pack != crate::domain::rules::pack::RulePack::NoAml
                && ctx.plan.is_sunday_or_holiday(d));
        if calendar {
            spans.push(day_span(ctx.tz, d));
        }
        d += Duration::days(1);
    }
    if ctx.params.pack == crate::domain::rules::pack::RulePack::NoAml {
        spans.extend(ctx.sundays.iter().copied());
    }
    merged(spans)
}

/// `pol.weekend`: at least `min_minutes` inside one weekend or holiday
/// period ([`weekend_periods`]). One finding per period, not per shift.
pub fn weekend(ctx: &RuleContext<'_>, out: &mut Vec<Draft>) {
    const RULE: &str = "pol.weekend";
    for w in weekend_periods(ctx) {
        if !ctx.in_scope(w.start) {
            continue;
        }
        let pieces = inside(&ctx.work, &[w]);
        let day = super::date_of(ctx, w.start);
        let min = ctx.params.minutes(RULE, "min_minutes", day);
        let worked = total(&pieces);
        let Some(at) = reached(&pieces, min).filter(|_| worked >= min && !pieces.is_empty()) else {
            continue;
        };
        let words = pick(
            ctx.locale,
            format!(
                "{} arbeid i helgen eller helligdagene {} til {}",
                duration(Nb, worked),
                instant(Nb, ctx.tz, w.start),
                instant(Nb, ctx.tz, w.end)
            ),
            format!(
                "{} of work in the weekend or holiday period {} to {}",
                duration(En, worked),
                instant(En, ctx.tz, w.start),
                instant(En, ctx.tz, w.end)
            ),
        );
        out.push(pattern(
            ctx,
            RULE,
            w,
            at,
            (worked.num_minutes(), min.num_minutes(), ValueUnit::Minutes),
            words,
            None,
            evidence_of(ctx, &pieces),
        ));
    }
}

/// `pol.long_day`: a shift with more than `limit` worked (10 h; the legal
/// limit in 24 h is 13 h). `at` is when the shift reached the limit.
pub fn long_day(ctx: &RuleContext<'_>, out: &mut Vec<Draft>) {
    const RULE: &str = "pol.long_day";
    for shift in &ctx.record.shifts {
        if !ctx.in_scope(shift.span.start) {
            continue;
        }
        let limit = ctx.params.minutes(RULE, "limit", shift.day);
        if shift.worked <= limit {
            continue;
        }
        let segs: Vec<Span> = ctx.record.segments[shift.segments.clone()]
            .iter()
            .map(|s| s.span)
            .collect();
        let at = reached(&segs, limit).unwrap_or(shift.span.end);
        let words = pick(
            ctx.locale,
            format!(
                "{} arbeid i skiftet {} til {}; en lang dag er over {}",
                duration(Nb, shift.worked),
                instant(Nb, ctx.tz, shift.span.start),
                instant(Nb, ctx.tz, shift.span.end),
                duration(Nb, limit)
            ),
            format!(
                "{} worked in the shift {} to {}; a long day is more than {}",
                duration(En, shift.worked),
                instant(En, ctx.tz, shift.span.start),
                instant(En, ctx.tz, shift.span.end),
                duration(En, limit)
            ),
        );
        out.push(pattern(
            ctx,
            RULE,
            shift.span,
            at,
            (
                shift.worked.num_minutes(),
                limit.num_minutes(),
                ValueUnit::Minutes,
            ),
            words,
            None,
            ctx.evidence(shift.span),
        ));
    }
}
