//! Patterns judged against the plan of a day: core hours missed, and work
//! while on sick leave or vacation.

use std::collections::BTreeSet;

use chrono::{Duration, NaiveDate, Timelike};

use super::{at_minutes, day_span, evidence_of, inside, pattern, reached, total};
use crate::domain::employee::Locale::{En, Nb};
use crate::domain::engine::finding::Draft;
use crate::domain::engine::ledger::monday_of;
use crate::domain::engine::record::Span;
use crate::domain::engine::text::{clock, date, duration, pick};
use crate::domain::engine::windows::merged;
use crate::domain::local_days::local_date;
use crate::domain::policy::{AbsenceKind, ValueUnit};
use crate::domain::rules::context::RuleContext;

/// Where the employee was clocked in: each interval from its clock-in to
/// its clock-out (clocked breaks included: a break is taken at work), and
/// an open interval to the end of its local day (no hours are guessed for
/// it, but neither is the employee called absent).
fn presence(ctx: &RuleContext<'_>) -> Vec<Span> {
    let mut spans: Vec<Span> = Vec::new();
    let mut current: Option<(uuid::Uuid, Span)> = None;
    for s in &ctx.record.segments {
        match &mut current {
            Some((id, span)) if *id == s.interval => span.end = s.span.end,
            _ => {
                if let Some((_, span)) = current.take() {
                    spans.push(span);
                }
                current = Some((s.interval, s.span));
            }
        }
    }
    spans.extend(current.map(|(_, s)| s));
    for o in &ctx.record.open {
        let day = day_span(ctx.tz, local_date(ctx.tz, o.start));
        spans.push(Span::new(o.start, day.end));
    }
    merged(spans)
}

/// `pol.core_hours`: on a scheduled working day (scheduled time, not a
/// holiday, no absence of any kind that day), the employee was clocked out
/// for more than `max_out` within the schedule's core hours (none in the
/// schedule: nothing to miss). One gap between two intervals, up to the
/// schedule's break length, is the lunch break and does not count.
///
/// Only days with registered work are judged (a shift starting that day or
/// an open interval): a day with nothing registered is a missing
/// registration or an unrecorded absence, not a pattern of leaving during
/// core hours, and flagging it would turn every unregistered day off into
/// a nudge. A day is judged once its core hours are over at `as_of`, so
/// this rule depends on the evaluation time.
pub fn core_hours(ctx: &RuleContext<'_>, out: &mut Vec<Draft>) {
    const RULE: &str = "pol.core_hours";
    let mut days: BTreeSet<NaiveDate> = ctx.record.shifts.iter().map(|s| s.day).collect();
    days.extend(ctx.record.open.iter().map(|o| local_date(ctx.tz, o.start)));
    let here = presence(ctx);
    for d in days {
        let day_start = day_span(ctx.tz, d).start;
        let schedule = ctx.plan.schedule(d);
        let Some((from, to)) = schedule.core_hours else {
            continue;
        };
        let minutes = |t: chrono::NaiveTime| i64::from(t.num_seconds_from_midnight() / 60);
        let core = Span::new(
            at_minutes(ctx.tz, d, minutes(from)),
            at_minutes(ctx.tz, d, minutes(to)),
        );
        if core.is_empty() || !ctx.in_scope(core.start) || ctx.as_of < core.end {
            continue;
        }
        let plan = ctx.plan.day(d);
        if plan.scheduled <= Duration::zero() || !plan.absences.is_empty() {
            continue;
        }
        // The clocked-out stretches inside the core hours.
        let mut gaps: Vec<(Span, bool)> = Vec::new();
        let mut cursor = core.start;
        let mut seen_presence = false;
        for p in &here {
            if p.end <= core.start {
                seen_presence |= p.end > day_start;
                continue;
            }
            if p.start >= core.end {
                break;
            }
            if p.start > cursor {
                // Between two presences: a possible lunch break.
                gaps.push((Span::new(cursor, p.start), seen_presence));
            }
            seen_presence = true;
            cursor = cursor.max(p.end);
        }
        if cursor < core.end {
            gaps.push((Span::new(cursor, core.end), false));
        }
        let out_total: Duration = gaps.iter().map(|(g, _)| g.len()).sum();
        let break_allowance = schedule
            .day(chrono::Datelike::weekday(&d))
            .map_or(0, |s| s.break_minutes);
        let lunch = gaps
            .iter()
            .filter(|(_, between)| *between)
            .map(|(g, _)| g.len())
            .max()
            .unwrap_or_else(Duration::zero)
            .min(Duration::minutes(break_allowance));
        let counted = out_total - lunch;
        let max_out = ctx.params.minutes(RULE, "max_out", d);
        if counted <= max_out {
            continue;
        }
        let list = gaps
            .iter()
            .map(|(g, _)| format!("{}–{}", clock(ctx.tz, g.start), clock(ctx.tz, g.end)))
            .collect::<Vec<_>>()
            .join(", ");
        let core_text = format!("{}–{}", clock(ctx.tz, core.start), clock(ctx.tz, core.end));
        let words = pick(
            ctx.locale,
            format!(
                "{} utstemplet i kjernetiden {core_text} {} ({list}); mer enn {} regnes",
                duration(Nb, counted),
                date(Nb, d),
                duration(Nb, max_out)
            ),
            format!(
                "{} clocked out within core hours {core_text} on {} ({list}); more than {} counts",
                duration(En, counted),
                date(En, d),
                duration(En, max_out)
            ),
        );
        out.push(pattern(
            ctx,
            RULE,
            core,
            core.end,
            (
                counted.num_minutes(),
                max_out.num_minutes(),
                ValueUnit::Minutes,
            ),
            words,
            None,
            ctx.evidence(day_span(ctx.tz, d)),
        ));
    }
}

/// `pol.sick_or_vacation_work`: any work on a local date covered by a sick
/// leave or vacation. A partial-day absence (`minutes_per_day > 0`) covers
/// its dates too: the record cannot tell which hours were the absent ones,
/// so work on such a date is worth a look as well. One finding per absence
/// and ISO week (window: the absence's dates in that week), not per
/// interval.
pub fn sick_or_vacation_work(ctx: &RuleContext<'_>, out: &mut Vec<Draft>) {
    const RULE: &str = "pol.sick_or_vacation_work";
    for a in &ctx.plan.policy.absences {
        if a.employee != ctx.plan.employee
            || a.cancelled_at.is_some()
            || !matches!(a.kind, AbsenceKind::Sick | AbsenceKind::Vacation)
            || a.last < a.first
        {
            continue;
        }
        let mut monday = monday_of(a.first);
        while monday <= a.last {
            let from = a.first.max(monday);
            let to = a.last.min(monday + Duration::days(6));
            monday += Duration::weeks(1);
            let window = Span::new(day_span(ctx.tz, from).start, day_span(ctx.tz, to).end);
            if !ctx.in_scope(window.start) {
                continue;
            }
            let pieces = inside(&ctx.work, &[window]);
            let worked = total(&pieces);
            let Some(at) = reached(&pieces, Duration::zero()).filter(|_| !pieces.is_empty()) else {
                continue;
            };
            let (what_nb, what_en) = match a.kind {
                AbsenceKind::Sick => ("sykefravær", "sick leave"),
                _ => ("ferie", "vacation"),
            };
            let partial = |l| match (a.minutes_per_day > 0, l) {
                (false, _) => String::new(),
                (true, Nb) => format!(
                    ", delvis fravær {} per dag",
                    duration(Nb, Duration::minutes(a.minutes_per_day))
                ),
                (true, En) => format!(
                    ", partly absent {} a day",
                    duration(En, Duration::minutes(a.minutes_per_day))
                ),
            };
            let list = |l| {
                pieces
                    .iter()
                    .map(|p| {
                        format!(
                            "{} {}–{}",
                            date(l, local_date(ctx.tz, p.start)),
                            clock(ctx.tz, p.start),
                            clock(ctx.tz, p.end)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let words = pick(
                ctx.locale,
                format!(
                    "{} arbeid registrert under {what_nb} ({} til {}{}): {}",
                    duration(Nb, worked),
                    date(Nb, a.first),
                    date(Nb, a.last),
                    partial(Nb),
                    list(Nb)
                ),
                format!(
                    "{} of work registered during {what_en} ({} to {}{}): {}",
                    duration(En, worked),
                    date(En, a.first),
                    date(En, a.last),
                    partial(En),
                    list(En)
                ),
            );
            out.push(pattern(
                ctx,
                RULE,
                window,
                at,
                (worked.num_minutes(), 0, ValueUnit::Minutes),
                words,
                None,
                evidence_of(ctx, &pieces),
            ));
        }
    }
}
