//! Checks several packs share: rolling maxima, rest, averages and the
//! missing clock-out.

use chrono::{Datelike, Duration, NaiveDate};

use super::catalog;
use super::context::RuleContext;
use crate::domain::clock_status::AnomalyKind;
use crate::domain::employee::Locale::{En, Nb};
use crate::domain::engine::days::Overlaps;
use crate::domain::engine::finding::{Draft, Evidence, Severity};
use crate::domain::engine::record::Span;
use crate::domain::engine::text::{duration, instant, pick};
use crate::domain::engine::windows::{self, max_episodes, rest_breaches};
use crate::domain::local_days::start_of_day;
use crate::domain::policy::ValueUnit;

/// The instant at which `segments` (in order) hold `threshold` of working
/// time: breaks and gaps do not count (issue 13 item 7). `None` if they
/// never do.
#[must_use]
pub fn reached_in(
    segments: &[crate::domain::engine::record::WorkSegment],
    threshold: Duration,
) -> Option<chrono::DateTime<chrono::Utc>> {
    let mut acc = Duration::zero();
    for s in segments {
        if acc + s.span.len() >= threshold {
            return Some(s.span.start + (threshold - acc));
        }
        acc += s.span.len();
    }
    None
}

/// Minutes of a duration, rounded down.
#[must_use]
pub fn minutes(d: Duration) -> i64 {
    d.num_minutes()
}

/// A finding in minutes with the pack's citation.
#[allow(clippy::too_many_arguments)]
#[must_use]
pub fn draft(
    ctx: &RuleContext<'_>,
    rule_id: &'static str,
    severity: Severity,
    window: Span,
    at: chrono::DateTime<chrono::Utc>,
    measured: Duration,
    limit: Duration,
    limit_is_minimum: bool,
    explanation: String,
    agreement: Option<uuid::Uuid>,
    evidence: Vec<Evidence>,
) -> Draft {
    Draft {
        rule_id,
        severity,
        window,
        at,
        measured: minutes(measured),
        limit: minutes(limit),
        unit: ValueUnit::Minutes,
        limit_is_minimum,
        explanation,
        citation: catalog::citation(ctx.params.pack.as_str(), rule_id),
        agreement,
        evidence,
    }
}

/// What a rolling maximum measures, for the words.
#[derive(Clone, Copy)]
pub enum Measure {
    Overtime,
    WorkingTime,
}

/// A rolling-window maximum (`no.overtime_7d`, `no.total_24h`, …): a
/// VIOLATION for each episode over the limit and, with `warn`, a WARNING for
/// each episode at or over the warning threshold that is not also a
/// violation. Warnings are raised for the overtime limits only: rules.md's
/// worked example 6 (12 h 30 min in 24 h against 13 h) lists no finding
/// besides the rest, so approaching the 24 h total is not warned about.
///
/// Each window is judged against the limit in force on the local date it
/// starts (an agreement or a dated override changes it from its first
/// date on; issue 13 item 9).
#[allow(clippy::too_many_arguments)]
pub fn rolling_max(
    ctx: &RuleContext<'_>,
    out: &mut Vec<Draft>,
    rule_id: &'static str,
    spans: &[Span],
    len: Duration,
    words: (&str, &str),
    measure: Measure,
    warn: bool,
) {
    // A limit whose default is 0 exists only where an agreement sets it
    // (`no.overtime_26w`): 0 there means "no such limit", not "none allowed".
    let optional =
        catalog::param(ctx.params.pack.as_str(), rule_id, "limit").is_some_and(|p| p.default == 0);
    for (scope, value) in value_runs(ctx, rule_id, "limit", spans, ctx.scope_of(rule_id)) {
        if optional && value.value == 0 {
            continue;
        }
        rolling_max_in(
            ctx, out, rule_id, spans, len, words, measure, warn, scope, value,
        );
    }
}

/// The parts of `scope` in which `rule`/`name` keeps one value, judged at
/// the local dates on which `spans` start: `(part, value)` in order. Each
/// part runs from the start of its first such date to the next part's.
#[must_use]
pub fn value_runs(
    ctx: &RuleContext<'_>,
    rule: &str,
    name: &str,
    spans: &[Span],
    scope: Span,
) -> Vec<(Span, crate::domain::engine::params::Value)> {
    let mut runs: Vec<(Span, crate::domain::engine::params::Value)> = Vec::new();
    let mut last_date = None;
    for s in spans
        .iter()
        .filter(|s| s.start >= scope.start && s.start < scope.end)
    {
        let date = ctx.date(s.start);
        if last_date == Some(date) {
            continue;
        }
        last_date = Some(date);
        let value = ctx.params.get(rule, name, date);
        match runs.last_mut() {
            Some((_, v)) if *v == value => {}
            _ => {
                let from = start_of_day(ctx.tz, date).max(scope.start);
                if let Some((part, _)) = runs.last_mut() {
                    part.end = from;
                }
                runs.push((Span::new(from, scope.end), value));
            }
        }
    }
    if let Some((first, _)) = runs.first_mut() {
        first.start = scope.start;
    }
    runs
}

#[allow(clippy::too_many_arguments)]
fn rolling_max_in(
    ctx: &RuleContext<'_>,
    out: &mut Vec<Draft>,
    rule_id: &'static str,
    spans: &[Span],
    len: Duration,
    (len_en, len_nb): (&str, &str),
    measure: Measure,
    warn: bool,
    scope: Span,
    value: crate::domain::engine::params::Value,
) {
    let Some(first) = spans
        .iter()
        .find(|s| s.start >= scope.start && s.start < scope.end)
    else {
        return;
    };
    let limit = value.minutes();
    let violations = max_episodes(spans, len, limit, true, scope);
    for v in &violations {
        out.push(draft(
            ctx,
            rule_id,
            Severity::Violation,
            v.window,
            v.at,
            v.measured,
            limit,
            false,
            max_words(ctx, v.measured, limit, v.window, len_en, len_nb, measure),
            value.agreement,
            ctx.evidence(v.window),
        ));
    }
    let Some(warn) = ctx
        .params
        .warning(limit, ctx.date(first.start))
        .filter(|_| warn)
    else {
        return;
    };
    for w in max_episodes(spans, len, warn, false, scope) {
        if violations
            .iter()
            .any(|v| v.extent.start < w.extent.end && w.extent.start < v.extent.end)
        {
            continue;
        }
        out.push(draft(
            ctx,
            rule_id,
            Severity::Warning,
            w.window,
            w.at,
            w.measured,
            limit,
            false,
            max_words(ctx, w.measured, limit, w.window, len_en, len_nb, measure),
            value.agreement,
            ctx.evidence(w.window),
        ));
    }
}

fn max_words(
    ctx: &RuleContext<'_>,
    measured: Duration,
    limit: Duration,
    window: Span,
    len_en: &str,
    len_nb: &str,
    measure: Measure,
) -> String {
    let (what_en, what_nb) = match measure {
        Measure::Overtime => ("overtime", "overtid"),
        Measure::WorkingTime => ("working time", "arbeidstid"),
    };
    let from_en = instant(En, ctx.tz, window.start);
    let from_nb = instant(Nb, ctx.tz, window.start);
    let m = |l| duration(l, measured);
    let lim = |l| duration(l, limit);
    pick(
        ctx.locale,
        format!(
            "{} {what_nb} i {len_nb} fra {from_nb}; grense {}",
            m(Nb),
            lim(Nb)
        ),
        format!(
            "{} {what_en} in the {len_en} from {from_en}; limit {}",
            m(En),
            lim(En)
        ),
    )
}

/// A minimum rest in rolling windows (`no.daily_rest`, `no.weekly_rest`):
/// one VIOLATION per too-short rest (daily) or per episode (weekly).
pub fn rolling_rest(
    ctx: &RuleContext<'_>,
    out: &mut Vec<Draft>,
    rule_id: &'static str,
    len: Duration,
    (len_en, len_nb): (&str, &str),
    per_episode: bool,
) {
    // Each window is judged against the minimum in force on the date it
    // starts (agreements and dated overrides change it from a date).
    for (scope, value) in value_runs(ctx, rule_id, "min_rest", &ctx.work, ctx.scope) {
        rolling_rest_in(
            ctx,
            out,
            rule_id,
            len,
            (len_en, len_nb),
            per_episode,
            scope,
            value,
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn rolling_rest_in(
    ctx: &RuleContext<'_>,
    out: &mut Vec<Draft>,
    rule_id: &'static str,
    len: Duration,
    (len_en, len_nb): (&str, &str),
    per_episode: bool,
    scope: Span,
    value: crate::domain::engine::params::Value,
) {
    let min = value.minutes();
    for b in rest_breaches(&ctx.work, len, min, scope, per_episode) {
        let words = pick(
            ctx.locale,
            format!(
                "lengste hvile i {len_nb} fra {} var {} ({} til {}); minst {} kreves, {} for lite",
                instant(Nb, ctx.tz, b.window.start),
                duration(Nb, b.measured),
                instant(Nb, ctx.tz, b.rest.start),
                instant(Nb, ctx.tz, b.rest.end),
                duration(Nb, min),
                duration(Nb, min - b.measured),
            ),
            format!(
                "longest rest in the {len_en} from {} was {} ({} to {}); at least {} required, {} short",
                instant(En, ctx.tz, b.window.start),
                duration(En, b.measured),
                instant(En, ctx.tz, b.rest.start),
                instant(En, ctx.tz, b.rest.end),
                duration(En, min),
                duration(En, min - b.measured),
            ),
        );
        out.push(draft(
            ctx,
            rule_id,
            Severity::Violation,
            b.window,
            b.rest.end,
            b.measured,
            min,
            true,
            words,
            value.agreement,
            ctx.evidence(b.window),
        ));
    }
}

/// An average of weekly working time over `weeks` ISO weeks, rolling by
/// week (`no.total_7d`, `eu.avg_48h`): a VIOLATION for each week whose
/// trailing average is over `limit` per week. `neutral_days(monday)` is the
/// number of days of that week that do not count (leave, rules.md § 3).
#[allow(clippy::too_many_arguments)]
pub fn weekly_average(
    ctx: &RuleContext<'_>,
    out: &mut Vec<Draft>,
    rule_id: &'static str,
    weeks: i64,
    limit: Duration,
    neutral_days: &dyn Fn(NaiveDate) -> i64,
) {
    let scope = ctx.scope_of(rule_id);
    let scope_first = crate::domain::engine::ledger::monday_of(ctx.date(scope.start));
    let scope_last = ctx.date(scope.end);
    let mondays: Vec<NaiveDate> = ctx
        .weekly_worked
        .keys()
        .copied()
        .filter(|m| {
            *m >= scope_first - Duration::weeks(1) && *m <= scope_last + Duration::weeks(weeks)
        })
        .collect();
    for monday in mondays {
        let first = monday - Duration::weeks(weeks - 1);
        // Findings are keyed by where their window starts (see `rules::evaluate`).
        let start = start_of_day(ctx.tz, first);
        if start < scope.start || start >= scope.end {
            continue;
        }
        let total: Duration = ctx
            .weekly_worked
            .range(first..=monday)
            .map(|(_, d)| *d)
            .sum();
        let days: i64 = (0..weeks)
            .map(|k| 7 - neutral_days(first + Duration::weeks(k)).clamp(0, 7))
            .sum();
        if days == 0 {
            continue;
        }
        // average per week = total × 7 / days; compare without rounding.
        if total.num_seconds() * 7 <= limit.num_seconds() * days {
            continue;
        }
        let average = Duration::seconds(total.num_seconds() * 7 / days);
        let window = Span::new(
            start_of_day(ctx.tz, first),
            start_of_day(ctx.tz, monday + Duration::weeks(1)),
        );
        let threshold = Duration::seconds(limit.num_seconds() * days / 7);
        let (_, reached) = windows::sum_and_crossing(&ctx.work, window, threshold);
        let week_no = monday.iso_week().week();
        let words = pick(
            ctx.locale,
            format!(
                "gjennomsnittlig {} arbeidstid per uke over {weeks} uker til og med uke {week_no} ({} i alt); grense {}",
                duration(Nb, average),
                duration(Nb, total),
                duration(Nb, limit)
            ),
            format!(
                "average {} working time per week over the {weeks} weeks to week {week_no} ({} in total); limit {}",
                duration(En, average),
                duration(En, total),
                duration(En, limit)
            ),
        );
        out.push(draft(
            ctx,
            rule_id,
            Severity::Violation,
            window,
            reached.unwrap_or(window.end),
            average,
            limit,
            false,
            words,
            None,
            ctx.evidence(Span::new(start_of_day(ctx.tz, monday), window.end)),
        ));
    }
}

/// `pol.missing_clock_out` (rules.md § 4): an interval open for 14 h, a
/// clock-in while one is open, or a clock-out with no clock-in after 1 h grace.
/// No hours are guessed; open intervals count 0 h.
pub fn missing_clock_out(ctx: &RuleContext<'_>, out: &mut Vec<Draft>) {
    const RULE: &str = "pol.missing_clock_out";
    let open_limit = Duration::hours(14);
    let grace = Duration::hours(1);
    for o in &ctx.record.open {
        let at = o.start + open_limit;
        if !ctx.in_scope(o.start) || ctx.as_of < at {
            continue;
        }
        let open_for = ctx.as_of - o.start;
        let words = pick(
            ctx.locale,
            format!(
                "stemplet inn {} uten å stemple ut (åpen i {}); ingen timer er talt",
                instant(Nb, ctx.tz, o.start),
                duration(Nb, open_for)
            ),
            format!(
                "clocked in {} with no clock-out (open for {}); no hours are counted",
                instant(En, ctx.tz, o.start),
                duration(En, open_for)
            ),
        );
        let mut d = draft(
            ctx,
            RULE,
            Severity::Pattern,
            Span::new(o.start, at),
            at,
            open_for,
            open_limit,
            false,
            words,
            None,
            vec![Evidence {
                interval: o.interval,
                start: Some(o.start),
                end: None,
            }],
        );
        d.citation = catalog::citation(ctx.params.pack.as_str(), RULE);
        out.push(d);
    }
    for a in ctx.anomalies {
        if !ctx.in_scope(a.at) {
            continue;
        }
        let (words, window) = match a.kind {
            AnomalyKind::ClockInWhileOpen => (
                pick(
                    ctx.locale,
                    format!(
                        "ny innstempling {} mens en periode fortsatt var åpen",
                        instant(Nb, ctx.tz, a.at)
                    ),
                    format!(
                        "new clock-in {} while an interval was still open",
                        instant(En, ctx.tz, a.at)
                    ),
                ),
                Span::new(a.at, a.at),
            ),
            AnomalyKind::ClockOutWithoutIn if ctx.as_of >= a.at + grace => (
                pick(
                    ctx.locale,
                    format!(
                        "utstempling {} uten innstempling",
                        instant(Nb, ctx.tz, a.at)
                    ),
                    format!("clock-out {} with no clock-in", instant(En, ctx.tz, a.at)),
                ),
                Span::new(a.at, a.at + grace),
            ),
            _ => continue,
        };
        out.push(draft(
            ctx,
            RULE,
            Severity::Pattern,
            window,
            window.end,
            Duration::zero(),
            Duration::zero(),
            false,
            words,
            None,
            vec![Evidence {
                interval: a.event,
                start: None,
                end: None,
            }],
        ));
    }
}

/// Local dates from the scope's first to its last.
#[must_use]
pub fn scope_dates(ctx: &RuleContext<'_>) -> (NaiveDate, NaiveDate) {
    (ctx.date(ctx.scope.start), ctx.date(ctx.scope.end))
}

/// Whether `date` is Monday to Saturday.
#[must_use]
pub fn is_werktag(date: NaiveDate) -> bool {
    date.weekday() != chrono::Weekday::Sun
}

/// Night workers' average (`no.night_avg`, § 10-11 (6); `eu.night_avg`,
/// Art. 8): in every 4 ISO weeks (rolling by week) in which the employee
/// *regularly* works more than `threshold` at night — read as at least one
/// such shift a week on average, a choice the law leaves open — the working
/// time per working day must average at most `limit`. `normal_only` counts
/// only the ledger's normal minutes (Norway: "alminnelig arbeidstid").
/// The average is per day with work, not per calendar day: dividing by 28
/// could never reach 8 h and would make the rule dead letter.
pub fn night_average(
    ctx: &RuleContext<'_>,
    out: &mut Vec<Draft>,
    rule_id: &'static str,
    normal_only: bool,
) {
    let day = ctx.date(ctx.scope.start);
    let threshold = ctx.params.minutes(rule_id, "threshold", day);
    let limit = ctx.params.minutes(rule_id, "limit", day);
    let weeks = ctx.params.get(rule_id, "weeks", day).value.max(1);
    // Whether each shift is a night shift, once: asked per window, each
    // segment against every night of the load was most of this rule's CPU.
    let nights = Overlaps::new(&ctx.nights);
    let is_night: Vec<bool> = ctx
        .record
        .shifts
        .iter()
        .map(|s| {
            let segs = &ctx.record.segments[s.segments.clone()];
            segs.iter().map(|g| nights.with(g.span)).sum::<Duration>() > threshold
        })
        .collect();
    let mut mondays: Vec<NaiveDate> = ctx
        .record
        .shifts
        .iter()
        .map(|s| crate::domain::engine::ledger::monday_of(s.day))
        .collect();
    mondays.dedup();
    for monday in mondays {
        let first = monday - Duration::weeks(weeks - 1);
        let window = Span::new(
            start_of_day(ctx.tz, first),
            start_of_day(ctx.tz, monday + Duration::weeks(1)),
        );
        if !ctx.in_scope(window.start) {
            continue;
        }
        let in_window: Vec<usize> = (0..ctx.record.shifts.len())
            .filter(|&i| {
                let day = ctx.record.shifts[i].day;
                day >= first && day <= monday + Duration::days(6)
            })
            .collect();
        let night_shifts = in_window.iter().filter(|&&i| is_night[i]).count();
        if i64::try_from(night_shifts).unwrap_or(0) < weeks {
            continue;
        }
        let mut days: Vec<NaiveDate> = in_window
            .iter()
            .map(|&i| ctx.record.shifts[i].day)
            .collect();
        days.dedup();
        let time: Duration = if normal_only {
            ctx.ledger
                .iter()
                .filter(|s| !s.overtime)
                .map(|s| s.span.clipped(window.start, window.end))
                .sum()
        } else {
            ctx.work
                .iter()
                .map(|s| s.clipped(window.start, window.end))
                .sum()
        };
        let n = i32::try_from(days.len()).unwrap_or(1).max(1);
        let average = time / n;
        if average <= limit {
            continue;
        }
        let words = pick(
            ctx.locale,
            format!(
                "nattarbeid i {night_shifts} skift over {weeks} uker; gjennomsnittlig {} arbeidstid per arbeidsdag; grense {}",
                duration(Nb, average),
                duration(Nb, limit)
            ),
            format!(
                "night work in {night_shifts} shifts over {weeks} weeks; average {} working time per working day; limit {}",
                duration(En, average),
                duration(En, limit)
            ),
        );
        out.push(draft(
            ctx,
            rule_id,
            Severity::Violation,
            window,
            window.end,
            average,
            limit,
            false,
            words,
            None,
            ctx.evidence(window),
        ));
    }
}

/// `no.record` (`eu.record`, `de.record`): an interval still open on a day
/// of a locked payroll period. The period was paid without those hours, so
/// the record the law requires is incomplete; completing it (a correction)
/// resolves the finding and pays the hours as an adjustment.
pub fn record_gaps_at_lock(ctx: &RuleContext<'_>, out: &mut Vec<Draft>) {
    let rule = ctx.params.pack.record_rule();
    for o in &ctx.record.open {
        let day = crate::domain::local_days::local_date(ctx.tz, o.start);
        let Some((first, last)) = ctx
            .plan
            .policy
            .locked
            .iter()
            .find(|(a, b)| day >= *a && day <= *b)
        else {
            continue;
        };
        let words = pick(
            ctx.locale,
            format!(
                "stemplet inn {} uten å stemple ut, i en låst lønnsperiode ({first}–{last}); timene mangler i registreringen og er ikke utbetalt",
                instant(Nb, ctx.tz, o.start)
            ),
            format!(
                "clocked in {} with no clock-out, in a locked payroll period ({first} to {last}); the hours are missing from the record and were not paid",
                instant(En, ctx.tz, o.start)
            ),
        );
        let mut d = draft(
            ctx,
            rule,
            Severity::Violation,
            Span::new(o.start, o.start + Duration::hours(14)),
            o.start,
            Duration::zero(),
            Duration::zero(),
            false,
            words,
            None,
            vec![Evidence {
                interval: o.interval,
                start: Some(o.start),
                end: None,
            }],
        );
        d.citation = catalog::citation(ctx.params.pack.as_str(), rule);
        out.push(d);
    }
}
