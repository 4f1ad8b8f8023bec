//! Pack `no-aml`: arbeidsmiljøloven chapter 10 (rules.md § 1).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use super::common::{self, Measure, draft, rolling_max, rolling_rest};
use super::context::RuleContext;
use crate::domain::employee::Locale::{En, Nb};
use crate::domain::engine::days::{Plan, local_instant};
use crate::domain::engine::finding::{Draft, Severity};
use crate::domain::engine::ledger::monday_of;
use crate::domain::engine::params::Params;
use crate::domain::engine::record::{Record, Shift, Span};
use crate::domain::engine::text::{duration, instant, pick};
use crate::domain::local_days::{local_date, start_of_day};
use crate::domain::policy::{AbsenceKind, AgreementBasis, AgreementTerms};

/// Every `no.*` check. An exempt employee (§ 10-12) gets none of them.
pub fn evaluate(ctx: &RuleContext<'_>, out: &mut Vec<Draft>) {
    if ctx.exempt {
        return;
    }
    let ot = ctx.overtime.clone();
    rolling_max(
        ctx,
        out,
        "no.overtime_7d",
        &ot,
        Duration::days(7),
        ("7 days", "7 dager"),
        Measure::Overtime,
        true,
    );
    rolling_max(
        ctx,
        out,
        "no.overtime_4w",
        &ot,
        Duration::weeks(4),
        ("4 weeks", "4 uker"),
        Measure::Overtime,
        true,
    );
    rolling_max(
        ctx,
        out,
        "no.overtime_52w",
        &ot,
        Duration::days(364),
        ("52 weeks", "52 uker"),
        Measure::Overtime,
        true,
    );
    // § 10-6 (6): Arbeidstilsynet may permit up to 200 h of overtime per
    // 26 weeks. Only such a permission (an `ExtendedOvertime` agreement
    // with a 26-week limit) sets it, so without one the rule does not run
    // (`rolling_max` skips a 0 limit of a rule whose default is 0).
    // Choice: the 52-week limit still holds beside it; a permission raises
    // what it names and nothing else.
    rolling_max(
        ctx,
        out,
        "no.overtime_26w",
        &ot,
        Duration::weeks(26),
        ("26 weeks", "26 uker"),
        Measure::Overtime,
        true,
    );
    rolling_max(
        ctx,
        out,
        "no.total_24h",
        &ctx.work,
        Duration::hours(24),
        ("24 hours", "24 timer"),
        Measure::WorkingTime,
        false,
    );
    let day = ctx.date(ctx.scope.start);
    let weeks = ctx.params.get("no.total_7d", "weeks", day).value;
    let limit = ctx.params.minutes("no.total_7d", "limit", day);
    common::weekly_average(ctx, out, "no.total_7d", weeks, limit, &|_| 0);
    rolling_rest(
        ctx,
        out,
        "no.daily_rest",
        Duration::hours(24),
        ("24 hours", "24 timer"),
        false,
    );
    rolling_rest(
        ctx,
        out,
        "no.weekly_rest",
        Duration::days(7),
        ("7 days", "7 dager"),
        true,
    );
    breaks(ctx, out);
    sunday_holiday(ctx, out);
    sunday_off_next(ctx, out);
    averaging(ctx, out);
    averaging_week(ctx, out);
    common::night_average(ctx, out, "no.night_avg", true);
}

/// `no.breaks` (§ 10-9): per shift, a break when worked time passes 5 h 30;
/// breaks totalling 30 min from 8 h; and an extra break of 30 min when work
/// goes on more than 2 h after the scheduled end (rules.md § 5.6). Breaks
/// that were not clocked are never assumed.
#[allow(clippy::too_many_lines)]
fn breaks(ctx: &RuleContext<'_>, out: &mut Vec<Draft>) {
    const RULE: &str = "no.breaks";
    for shift in &ctx.record.shifts {
        if !ctx.in_scope(shift.span.start) {
            continue;
        }
        let p = |name| ctx.params.minutes(RULE, name, shift.day);
        let (after, long, min_total, extra) = (
            p("break_after"),
            p("long_shift"),
            p("min_total_break"),
            p("extra_break"),
        );
        let total_break: Duration = shift.breaks.iter().map(Span::len).sum();
        let segs = &ctx.record.segments[shift.segments.clone()];
        let reached = |threshold: Duration| {
            let mut acc = Duration::zero();
            for s in segs {
                if acc + s.span.len() >= threshold {
                    return s.span.start + (threshold - acc);
                }
                acc += s.span.len();
            }
            shift.span.end
        };
        let evidence = ctx.evidence(shift.span);
        if shift.worked > after && shift.breaks.is_empty() {
            let words = pick(
                ctx.locale,
                format!(
                    "{} arbeid uten pause fra {}; pause kreves etter {}",
                    duration(Nb, shift.worked),
                    instant(Nb, ctx.tz, shift.span.start),
                    duration(Nb, after)
                ),
                format!(
                    "{} worked with no break from {}; a break is required after {}",
                    duration(En, shift.worked),
                    instant(En, ctx.tz, shift.span.start),
                    duration(En, after)
                ),
            );
            out.push(draft(
                ctx,
                RULE,
                Severity::Violation,
                shift.span,
                reached(after),
                Duration::zero(),
                Duration::minutes(1),
                true,
                words,
                None,
                evidence.clone(),
            ));
        } else if shift.worked >= long && total_break < min_total {
            let words = pick(
                ctx.locale,
                format!(
                    "{} arbeid fra {} med {} pause; minst {} kreves",
                    duration(Nb, shift.worked),
                    instant(Nb, ctx.tz, shift.span.start),
                    duration(Nb, total_break),
                    duration(Nb, min_total)
                ),
                format!(
                    "{} worked from {} with {} of breaks; at least {} required",
                    duration(En, shift.worked),
                    instant(En, ctx.tz, shift.span.start),
                    duration(En, total_break),
                    duration(En, min_total)
                ),
            );
            out.push(draft(
                ctx,
                RULE,
                Severity::Violation,
                shift.span,
                reached(long),
                total_break,
                min_total,
                true,
                words,
                None,
                evidence.clone(),
            ));
        }
        let extra_after = p("extra_after");
        let Some(scheduled_end) = extra_break_due(ctx.tz, ctx.plan, &ctx.params, shift) else {
            continue;
        };
        let extra_taken =
            extra_break_taken(shift, scheduled_end).map_or_else(Duration::zero, |b| b.len());
        if extra_taken < extra {
            let words = pick(
                ctx.locale,
                format!(
                    "arbeid til {}, mer enn {} etter planlagt slutt {}, uten en ekstra pause på {}",
                    instant(Nb, ctx.tz, shift.span.end),
                    duration(Nb, extra_after),
                    instant(Nb, ctx.tz, scheduled_end),
                    duration(Nb, extra)
                ),
                format!(
                    "work until {}, more than {} after the scheduled end {}, without an extra break of {}",
                    instant(En, ctx.tz, shift.span.end),
                    duration(En, extra_after),
                    instant(En, ctx.tz, scheduled_end),
                    duration(En, extra)
                ),
            );
            out.push(draft(
                ctx,
                RULE,
                Severity::Violation,
                Span::new(scheduled_end, shift.span.end),
                scheduled_end + extra_after,
                extra_taken,
                extra,
                true,
                words,
                None,
                evidence,
            ));
        }
    }
}

/// § 10-9 (2) for one shift: the scheduled end of its shift day when the
/// shift is a working day that goes on more than `extra_after` past it.
/// "Normal working hours" end at the scheduled end (rules.md § 5.6). Only a
/// working day that runs on past its scheduled end counts: a shift that
/// starts after it (an evening or night shift) is not extended working
/// hours (rules.md examples 1 and 10 need no extra break).
#[must_use]
pub fn extra_break_due(
    tz: Tz,
    plan: &Plan<'_>,
    params: &Params<'_>,
    shift: &Shift,
) -> Option<DateTime<Utc>> {
    let end_local = plan.day(shift.day).scheduled_end?;
    let scheduled_end = local_instant(tz, end_local);
    let extra_after = params.minutes("no.breaks", "extra_after", shift.day);
    (shift.span.start < scheduled_end && shift.span.end - scheduled_end > extra_after)
        .then_some(scheduled_end)
}

/// The break that serves as the § 10-9 (2) extra break: the longest
/// work-free stretch of the shift starting at or after the scheduled end.
#[must_use]
pub fn extra_break_taken(shift: &Shift, scheduled_end: DateTime<Utc>) -> Option<Span> {
    shift
        .breaks
        .iter()
        .filter(|b| b.start >= scheduled_end)
        .max_by_key(|b| b.len())
        .copied()
}

/// The break that is paid as the § 10-9 (2) extra break: the longest
/// *clocked* break (between two segments of one interval) starting at or
/// after the scheduled end. A stretch where the employee clocked out is a
/// break for `no.breaks`, but never paid; were it chosen, a longer clock-out
/// after a clocked extra break would take the pay from the break the
/// employee did clock.
fn paid_extra_break(record: &Record, shift: &Shift, scheduled_end: DateTime<Utc>) -> Option<Span> {
    let segments = &record.segments[shift.segments.clone()];
    let clocked = |b: &Span| {
        segments.windows(2).any(|w| {
            w[0].span.end == b.start && w[1].span.start == b.end && w[0].interval == w[1].interval
        })
    };
    shift
        .breaks
        .iter()
        .filter(|b| b.start >= scheduled_end && clocked(b))
        .max_by_key(|b| b.len())
        .copied()
}

/// The parts of clocked breaks that count as working time under § 10-9 (2)
/// ("counted as working time but not toward the overtime limits"), for
/// every shift of `record` that is owed an extra break.
///
/// Choices, written down: only the first `extra_break` minutes (30) of the
/// break count, since that is what the law grants; a longer break is
/// otherwise an ordinary unpaid break. A short extra break (still a
/// `no.breaks` finding) counts in full. A shift's only break is its
/// ordinary § 10-9 (1) break and stays unpaid, although `no.breaks`
/// accepts it as the extra break too (rules.md example 6 has no finding). A stretch where the employee
/// clocked out is not paid: [`Record::build_with_extra`] only pays time
/// inside an interval, so only a clocked break becomes working time.
#[must_use]
pub fn extra_break_spans(
    tz: Tz,
    record: &Record,
    plan: &Plan<'_>,
    params: &Params<'_>,
) -> Vec<Span> {
    record
        .shifts
        .iter()
        .filter_map(|shift| {
            let scheduled_end = extra_break_due(tz, plan, params, shift)?;
            let b = paid_extra_break(record, shift, scheduled_end)?;
            // The extra break comes on top of the ordinary one (§ 10-9 (1)):
            // a shift's only break is its ordinary break, unpaid. rules.md
            // example 6 (13:00–22:30 with one break at 17:00) is worked 9 h.
            if shift.breaks.len() < 2 {
                return None;
            }
            let owed = params.minutes("no.breaks", "extra_break", shift.day);
            Some(Span::new(b.start, b.start + b.len().min(owed)))
        })
        .collect()
}

/// `no.sunday_holiday` (§ 10-10): work inside a Sunday/holiday window is a
/// WARNING, since only the nature of the work can make it lawful.
fn sunday_holiday(ctx: &RuleContext<'_>, out: &mut Vec<Draft>) {
    const RULE: &str = "no.sunday_holiday";
    let (from, to) = common::scope_dates(ctx);
    for w in crate::domain::engine::days::sunday_spans(ctx.tz, &ctx.plan.holidays, from, to) {
        let inside: Duration = ctx.work.iter().map(|s| s.clipped(w.start, w.end)).sum();
        let Some(first) = ctx
            .work
            .iter()
            .find(|s| s.clipped(w.start, w.end) > Duration::zero())
        else {
            continue;
        };
        let at = first.start.max(w.start);
        if !ctx.in_scope(w.start) {
            continue;
        }
        let words = pick(
            ctx.locale,
            format!(
                "{} arbeid i søn- og helgedagsvinduet {} til {}",
                duration(Nb, inside),
                instant(Nb, ctx.tz, w.start),
                instant(Nb, ctx.tz, w.end)
            ),
            format!(
                "{} of work in the Sunday/holiday window {} to {}",
                duration(En, inside),
                instant(En, ctx.tz, w.start),
                instant(En, ctx.tz, w.end)
            ),
        );
        out.push(draft(
            ctx,
            RULE,
            Severity::Warning,
            w,
            at,
            inside,
            Duration::zero(),
            false,
            words,
            None,
            ctx.evidence(w),
        ));
    }
}

/// `no.sunday_off_next` (§ 10-8 (4)): work on a Sunday or holiday and again
/// on the next one. A WARNING: a written agreement may allow it.
fn sunday_off_next(ctx: &RuleContext<'_>, out: &mut Vec<Draft>) {
    const RULE: &str = "no.sunday_off_next";
    let (from, to) = common::scope_dates(ctx);
    let worked_on = |d: NaiveDate| {
        let day = Span::new(
            start_of_day(ctx.tz, d),
            start_of_day(ctx.tz, d + Duration::days(1)),
        );
        ctx.work
            .iter()
            .any(|s| s.clipped(day.start, day.end) > Duration::zero())
    };
    let mut d = from - Duration::days(7);
    let mut previous: Option<NaiveDate> = None;
    // A pair starting in scope ends on the next Sunday at the latest.
    let to = to + Duration::weeks(1);
    while d <= to {
        if ctx.plan.is_sunday_or_holiday(d) {
            let worked = worked_on(d);
            if let (Some(p), true) = (previous, worked) {
                let at = start_of_day(ctx.tz, d);
                if ctx.in_scope(start_of_day(ctx.tz, p)) {
                    let window = Span::new(
                        start_of_day(ctx.tz, p),
                        start_of_day(ctx.tz, d + Duration::days(1)),
                    );
                    let words = pick(
                        ctx.locale,
                        format!("arbeid både {p} og neste søn-/helgedag {d}"),
                        format!("work on {p} and again on the next Sunday/holiday {d}"),
                    );
                    out.push(draft(
                        ctx,
                        RULE,
                        Severity::Warning,
                        window,
                        at,
                        Duration::zero(),
                        Duration::zero(),
                        false,
                        words,
                        None,
                        ctx.evidence(window),
                    ));
                }
            }
            previous = worked.then_some(d);
        }
        d += Duration::days(1);
    }
}

/// `no.averaging` (§ 10-5): with an averaging agreement, the normal time of
/// each completed averaging period must average at most the statutory
/// weekly normal hours. The daily and weekly caps are applied by the ledger
/// (minutes beyond them are overtime).
fn averaging(ctx: &RuleContext<'_>, out: &mut Vec<Draft>) {
    const RULE: &str = "no.averaging";
    for a in &ctx.plan.policy.agreements {
        let AgreementTerms::Averaging { period_weeks, .. } = a.terms else {
            continue;
        };
        let weeks = i64::from(period_weeks.max(1));
        let mut start = a.valid_from;
        loop {
            let end = start + Duration::weeks(weeks);
            if a.valid_to.is_some_and(|to| start > to) || start_of_day(ctx.tz, end) > ctx.as_of {
                break;
            }
            let window = Span::new(start_of_day(ctx.tz, start), start_of_day(ctx.tz, end));
            let scope = ctx.scope_of(RULE);
            if window.start >= scope.start && window.start < scope.end {
                // Stored day totals stand in for the part of the period the
                // recompute did not load (issue 13 item 2).
                let normal: Duration = ctx.daily_normal.range(start..end).map(|(_, d)| *d).sum();
                let statutory = ctx.plan.schedule(start).shift_work.weekly_normal_minutes();
                let limit = Duration::minutes(statutory * weeks);
                if normal > limit {
                    let avg = normal / i32::try_from(weeks).unwrap_or(1);
                    let words = pick(
                        ctx.locale,
                        format!(
                            "gjennomsnittlig {} alminnelig arbeidstid per uke i gjennomsnittsperioden {start} til {end}; grense {}",
                            duration(Nb, avg),
                            duration(Nb, Duration::minutes(statutory))
                        ),
                        format!(
                            "average {} normal working time per week in the averaging period {start} to {end}; limit {}",
                            duration(En, avg),
                            duration(En, Duration::minutes(statutory))
                        ),
                    );
                    out.push(draft(
                        ctx,
                        RULE,
                        Severity::Violation,
                        window,
                        window.end,
                        avg,
                        Duration::minutes(statutory),
                        false,
                        words,
                        Some(a.id),
                        ctx.evidence(window),
                    ));
                }
            }
            start = end;
        }
    }
}

/// `no.averaging_week` (§ 10-5 (1),(2)): while an averaging agreement is
/// in force, working time in any single ISO week may not pass 50 h (an
/// individual agreement) or 54 h (tariff representatives). Arbeidstilsynet
/// sets its own terms, which the agreement's caps carry; no cap is added.
/// Choice: the cap is on total working time, overtime included, as the 48 h
/// average beside it in § 10-5 (1) is; the week is the local ISO week.
fn averaging_week(ctx: &RuleContext<'_>, out: &mut Vec<Draft>) {
    const RULE: &str = "no.averaging_week";
    let scope = ctx.scope_of(RULE);
    for a in &ctx.plan.policy.agreements {
        let AgreementTerms::Averaging { .. } = a.terms else {
            continue;
        };
        let param = match a.basis {
            AgreementBasis::Individual => "individual",
            AgreementBasis::TariffRepresentatives => "tariff",
            AgreementBasis::LabourInspectorate => continue,
        };
        for (monday, worked) in &ctx.weekly_worked {
            // Weeks the agreement covers at least in part.
            let sunday = *monday + Duration::days(6);
            if sunday < a.valid_from || a.valid_to.is_some_and(|to| *monday > to) {
                continue;
            }
            let cap = ctx.params.minutes(RULE, param, *monday);
            let window = Span::new(
                start_of_day(ctx.tz, *monday),
                start_of_day(ctx.tz, *monday + Duration::weeks(1)),
            );
            if *worked <= cap || window.start < scope.start || window.start >= scope.end {
                continue;
            }
            let (_, reached) =
                crate::domain::engine::windows::sum_and_crossing(&ctx.work, window, cap);
            let words = pick(
                ctx.locale,
                format!(
                    "{} arbeidstid i uken fra {monday} under gjennomsnittsberegning; grense {} i en enkelt uke",
                    duration(Nb, *worked),
                    duration(Nb, cap)
                ),
                format!(
                    "{} working time in the week from {monday} under an averaging agreement; limit {} in any single week",
                    duration(En, *worked),
                    duration(En, cap)
                ),
            );
            out.push(draft(
                ctx,
                RULE,
                Severity::Violation,
                window,
                reached.unwrap_or(window.end),
                *worked,
                cap,
                false,
                words,
                Some(a.id),
                ctx.evidence(window),
            ));
        }
    }
}

/// Days of a week that count as neutral in EU averages: sick leave and
/// vacation (rules.md § 3).
#[must_use]
pub fn neutral_days(ctx: &RuleContext<'_>, monday: NaiveDate) -> i64 {
    (0..7)
        .map(|k| monday + Duration::days(k))
        .filter(|d| {
            ctx.plan
                .day(*d)
                .absences
                .iter()
                .any(|a| matches!(a.1, AbsenceKind::Sick | AbsenceKind::Vacation))
        })
        .count()
        .try_into()
        .unwrap_or(0)
}

#[allow(dead_code)]
fn week_of(ctx: &RuleContext<'_>, t: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    monday_of(local_date(ctx.tz, t))
}
