//! Pack `de-arbzg`: Arbeitszeitgesetz (rules.md § 3).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use super::common::{draft, is_werktag, reached_in, rolling_rest};
use super::context::RuleContext;
use crate::domain::employee::Locale::{En, Nb};
use crate::domain::engine::finding::{Draft, Severity};
use crate::domain::engine::record::{Span, WorkSegment};
use crate::domain::engine::text::{duration, instant, pick};
use crate::domain::local_days::start_of_day;

/// Every `de.*` check.
pub fn evaluate(ctx: &RuleContext<'_>, out: &mut Vec<Draft>) {
    if ctx.exempt {
        return;
    }
    daily_max(ctx, out);
    average(ctx, out);
    breaks(ctx, out);
    rest(ctx, out);
    sunday(ctx, out);
    sundays_off(ctx, out);
}

/// `de.sundays_off` (§ 11 (1)): at least 15 Sundays of each calendar year
/// stay free of work. The breach is certain, and found, on the Sunday that
/// leaves fewer than 15 free Sundays in the year; the window is the year.
/// Sundays with work are read from the stored totals where the events
/// were not loaded.
fn sundays_off(ctx: &RuleContext<'_>, out: &mut Vec<Draft>) {
    const RULE: &str = "de.sundays_off";
    let scope = ctx.scope_of(RULE);
    let last = ctx.date(scope.end.min(ctx.as_of));
    for year in ctx.date(scope.start).year()..=last.year() {
        let (Some(jan1), Some(next)) = (
            NaiveDate::from_ymd_opt(year, 1, 1),
            NaiveDate::from_ymd_opt(year + 1, 1, 1),
        ) else {
            continue;
        };
        let window = Span::new(start_of_day(ctx.tz, jan1), start_of_day(ctx.tz, next));
        if window.start < scope.start || window.start >= scope.end {
            continue;
        }
        let min_off = ctx.params.get("de.sunday_comp", "sundays_off", jan1).value;
        let sundays: Vec<NaiveDate> = jan1
            .iter_days()
            .take_while(|d| *d < next)
            .filter(|d| d.weekday() == chrono::Weekday::Sun)
            .collect();
        let total = i64::try_from(sundays.len()).unwrap_or(0);
        let mut worked = 0i64;
        let mut breach = None;
        for d in &sundays {
            if ctx
                .daily_worked
                .get(d)
                .is_some_and(|w| *w > Duration::zero())
            {
                worked += 1;
                if breach.is_none() && total - worked < min_off {
                    breach = Some(*d);
                }
            }
        }
        let Some(day) = breach else { continue };
        let words = pick(
            ctx.locale,
            format!(
                "arbeid på {worked} av {total} søndager i {year}; minst {min_off} søndager skal være fri"
            ),
            format!(
                "work on {worked} of the {total} Sundays of {year}; at least {min_off} Sundays must stay free"
            ),
        );
        let mut d = draft(
            ctx,
            RULE,
            Severity::Violation,
            window,
            start_of_day(ctx.tz, day),
            Duration::zero(),
            Duration::zero(),
            true,
            words,
            None,
            ctx.evidence(Span::new(
                start_of_day(ctx.tz, day),
                start_of_day(ctx.tz, day + Duration::days(1)),
            )),
        );
        // Counted in Sundays: those left free in the year, against the minimum.
        d.measured = total - worked;
        d.limit = min_off;
        d.unit = crate::domain::policy::ValueUnit::Count;
        out.push(d);
    }
}

/// Worked time per shift day, its span, and its work segments in order.
fn per_day(ctx: &RuleContext<'_>) -> BTreeMap<NaiveDate, (Duration, Span, Vec<WorkSegment>)> {
    let mut m: BTreeMap<NaiveDate, (Duration, Span, Vec<WorkSegment>)> = BTreeMap::new();
    for s in &ctx.record.shifts {
        let e = m
            .entry(s.day)
            .or_insert((Duration::zero(), s.span, Vec::new()));
        e.0 += s.worked;
        e.1.end = s.span.end;
        e.2.extend_from_slice(&ctx.record.segments[s.segments.clone()]);
    }
    m
}

/// `de.daily_max` (§ 3): more than 10 h on a Werktag is a VIOLATION.
fn daily_max(ctx: &RuleContext<'_>, out: &mut Vec<Draft>) {
    const RULE: &str = "de.daily_max";
    for (day, (worked, span, segments)) in per_day(ctx) {
        if !ctx.in_scope(span.start) {
            continue;
        }
        let limit = ctx.params.minutes(RULE, "limit", day);
        if worked > limit {
            let words = pick(
                ctx.locale,
                format!(
                    "{} arbeidstid {day}; grense {}",
                    duration(Nb, worked),
                    duration(Nb, limit)
                ),
                format!(
                    "{} working time on {day}; limit {}",
                    duration(En, worked),
                    duration(En, limit)
                ),
            );
            out.push(draft(
                ctx,
                RULE,
                Severity::Violation,
                span,
                // The instant the limit of working time was reached, not
                // the clock time `limit` after the start (breaks excluded).
                reached_in(&segments, limit).unwrap_or(span.end),
                worked,
                limit,
                false,
                words,
                None,
                ctx.evidence(span),
            ));
        }
    }
}

/// `de.avg_8h` (§ 3): the average per Werktag over 24 weeks (rolling by ISO
/// week, six Werktage a week) must not pass 8 h.
fn average(ctx: &RuleContext<'_>, out: &mut Vec<Draft>) {
    const RULE: &str = "de.avg_8h";
    let day = ctx.date(ctx.scope.start);
    let weeks = ctx.params.get(RULE, "weeks", day).value;
    let per_day = ctx.params.minutes("de.daily_max", "normal", day);
    // Six Werktage a week: the weekly limit is 6 × 8 h.
    super::common::weekly_average(ctx, out, RULE, weeks, per_day * 6, &|_| 0);
}

/// When a `de.breaks` breach began in working time: the work passing 6 h
/// without 30 min of breaks (`short_missing`), else the work passing 9 h
/// without 45 min (`missing`), or a stretch passing 6 h without a break
/// (`stretch_passed`), whichever came first. A day whose breaks add up but
/// whose stretch ran long breached when the stretch passed 6 h, not when
/// the day's work did (a mutation run showed the stretch was never read).
fn breach_began(
    segs: &[WorkSegment],
    (short_after, long_after): (Duration, Duration),
    short_missing: bool,
    missing: bool,
    stretch_passed: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    let by_total = if short_missing {
        reached_in(segs, short_after)
    } else if missing {
        reached_in(segs, long_after)
    } else {
        None
    };
    by_total.into_iter().chain(stretch_passed).min()
}

/// `de.breaks` (§ 4): more than 6 h needs 30 min of breaks, more than 9 h
/// 45 min; only blocks of at least 15 min count; no stretch of more than
/// 6 h without one.
fn breaks(ctx: &RuleContext<'_>, out: &mut Vec<Draft>) {
    const RULE: &str = "de.breaks";
    for shift in &ctx.record.shifts {
        if !ctx.in_scope(shift.span.start) {
            continue;
        }
        let p = |n| ctx.params.minutes(RULE, n, shift.day);
        let (short_after, long_after, block) = (p("short_after"), p("long_after"), p("min_block"));
        let counted: Duration = shift
            .breaks
            .iter()
            .map(Span::len)
            .filter(|l| *l >= block)
            .sum();
        let (short_need, long_need) = (Duration::minutes(30), Duration::minutes(45));
        let required = if shift.worked > long_after {
            long_need
        } else if shift.worked > short_after {
            short_need
        } else {
            Duration::zero()
        };
        // The longest stretch of work without a counting break.
        let mut stretch = Duration::zero();
        let mut longest = Duration::zero();
        let mut stretch_passed = None;
        let mut cursor = shift.span.start;
        let segs = &ctx.record.segments[shift.segments.clone()];
        for s in segs {
            if s.span.start - cursor >= block {
                stretch = Duration::zero();
            }
            if stretch_passed.is_none() && stretch + s.span.len() > short_after {
                stretch_passed = Some(s.span.start + (short_after - stretch));
            }
            stretch += s.span.len();
            longest = longest.max(stretch);
            cursor = s.span.end;
        }
        if counted < required || longest > short_after {
            let words = pick(
                ctx.locale,
                format!(
                    "{} arbeid fra {} med {} pause (blokker på minst {}); {} kreves, og høyst {} uten pause",
                    duration(Nb, shift.worked),
                    instant(Nb, ctx.tz, shift.span.start),
                    duration(Nb, counted),
                    duration(Nb, block),
                    duration(Nb, required),
                    duration(Nb, short_after)
                ),
                format!(
                    "{} worked from {} with {} of breaks (blocks of at least {}); {} required, and at most {} without a break",
                    duration(En, shift.worked),
                    instant(En, ctx.tz, shift.span.start),
                    duration(En, counted),
                    duration(En, block),
                    duration(En, required),
                    duration(En, short_after)
                ),
            );
            out.push(draft(
                ctx,
                RULE,
                Severity::Violation,
                shift.span,
                breach_began(
                    segs,
                    (short_after, long_after),
                    counted < short_need,
                    counted < required,
                    (longest > short_after).then_some(stretch_passed).flatten(),
                )
                .unwrap_or(shift.span.end),
                counted,
                required.max(Duration::minutes(1)),
                true,
                words,
                None,
                ctx.evidence(shift.span),
            ));
        }
    }
}

/// `de.rest` (§ 5): at least 11 h of rest after the end of the daily work.
///
/// Choice, written down: the rest is judged in rolling 24 h windows from
/// every start of work, as Art. 3 of the Directive that § 5 implements. A
/// comparison of consecutive shifts cannot see a rest under 8 h, because
/// such a gap is inside one shift (rules.md § 5.7; issue 13 item 3), and
/// the working day of the Arbeitszeitgesetz is the 24 h from the start of
/// work.
fn rest(ctx: &RuleContext<'_>, out: &mut Vec<Draft>) {
    rolling_rest(
        ctx,
        out,
        "de.rest",
        Duration::hours(24),
        ("24 hours", "24 timer"),
        false,
    );
}

/// `de.sunday_holiday` (§ 9) and `de.sunday_comp` (§ 11): any work on a
/// Sunday or the organisation's public holiday is a WARNING (the § 10
/// exceptions cannot be judged by a machine); a Sunday worked with no
/// substitute day off (a Werktag without work) within two weeks is a
/// VIOLATION once those two weeks have passed.
fn sunday(ctx: &RuleContext<'_>, out: &mut Vec<Draft>) {
    let (from, to) = super::common::scope_dates(ctx);
    let day_span = |d: NaiveDate| {
        Span::new(
            start_of_day(ctx.tz, d),
            start_of_day(ctx.tz, d + Duration::days(1)),
        )
    };
    let worked =
        |d: NaiveDate| -> Duration { ctx.daily_worked.get(&d).copied().unwrap_or_default() };
    let mut d = from;
    while d <= to {
        if ctx.plan.is_sunday_or_holiday(d) {
            let w = worked(d);
            let span = day_span(d);
            if w > Duration::zero() && ctx.in_scope(span.start) {
                let words = pick(
                    ctx.locale,
                    format!("{} arbeid på søn-/helligdag {d}", duration(Nb, w)),
                    format!("{} of work on Sunday/holiday {d}", duration(En, w)),
                );
                let at = ctx
                    .work
                    .iter()
                    .find(|s| s.clipped(span.start, span.end) > Duration::zero())
                    .map_or(span.start, |s| s.start.max(span.start));
                out.push(draft(
                    ctx,
                    "de.sunday_holiday",
                    Severity::Warning,
                    span,
                    at,
                    w,
                    Duration::zero(),
                    false,
                    words,
                    None,
                    ctx.evidence(span),
                ));
                // § 11 (3): a substitute rest day (a Werktag without work)
                // within 2 weeks after Sunday work, within 8 weeks after work
                // on a holiday that falls on a Werktag. Days read from the
                // stored totals where the events were not loaded.
                let (days, en, nb) = if d.weekday() == chrono::Weekday::Sun {
                    (14, "two weeks", "to uker")
                } else {
                    (56, "eight weeks", "åtte uker")
                };
                let deadline = start_of_day(ctx.tz, d + Duration::days(days + 1));
                if deadline <= ctx.as_of {
                    let substitute = (1..=days)
                        .map(|k| d + Duration::days(k))
                        .any(|x| is_werktag(x) && worked(x) == Duration::zero());
                    if !substitute {
                        let words = pick(
                            ctx.locale,
                            format!(
                                "arbeid på søn-/helligdag {d} uten erstatningsfridag innen {nb}"
                            ),
                            format!(
                                "work on Sunday/holiday {d} with no substitute day off within {en}"
                            ),
                        );
                        let window = Span::new(span.start, deadline);
                        out.push(draft(
                            ctx,
                            "de.sunday_comp",
                            Severity::Violation,
                            window,
                            deadline,
                            Duration::zero(),
                            Duration::minutes(1),
                            true,
                            words,
                            None,
                            ctx.evidence(span),
                        ));
                    }
                }
            }
        }
        d += Duration::days(1);
    }
}
