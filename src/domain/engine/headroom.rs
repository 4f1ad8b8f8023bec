//! How much is left before each limit at an instant (`GetHeadroom`), so a
//! clock can warn before a breach rather than after. Pure: the caller has
//! closed any open interval at `at` (counting it as if clocked out then).

use chrono::{DateTime, Duration, Utc};

use super::days::Plan;
use super::evaluate::{Evaluation, Subject};
use super::ledger::monday_of;
use super::params::Params;
use super::record::Span;
use super::windows::{longest_rest, trailing_sum};
use crate::domain::local_days::{local_date, start_of_day};
use crate::domain::rules::catalog;

/// The headroom of one maximum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitHeadroom {
    pub rule_id: &'static str,
    pub window: Span,
    pub used: Duration,
    pub limit: Duration,
    pub warning: Option<Duration>,
    pub reached_at: Option<DateTime<Utc>>,
    pub citation: String,
}

/// Every limit, and the rest-based bounds of the working day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Headroom {
    pub exempt: bool,
    pub limits: Vec<LimitHeadroom>,
    pub earliest_next_start: Option<(DateTime<Utc>, &'static str)>,
    pub latest_end: Option<(DateTime<Utc>, &'static str)>,
}

/// Headroom at `at`. `working` says whether the employee was working at
/// `at` (the evaluation then holds the interval closed at `at`).
#[must_use]
#[allow(clippy::too_many_lines)]
pub fn headroom(
    subject: Subject<'_>,
    eval: &Evaluation,
    params: &Params<'_>,
    plan: &Plan<'_>,
    at: DateTime<Utc>,
    working: bool,
) -> Headroom {
    let tz = subject.tz;
    let today = local_date(tz, at);
    let work = eval.record.spans();
    let mut limits = Vec::new();
    let mut push = |rule_id: &'static str,
                    window: Span,
                    used: Duration,
                    limit: Duration,
                    warning: Option<Duration>,
                    reached_at: Option<DateTime<Utc>>,
                    agreement: Option<uuid::Uuid>| {
        let mut citation = catalog::citation(params.pack, rule_id).to_string();
        if let Some(a) = agreement {
            citation.push_str("; limit set by agreement ");
            citation.push_str(&a.to_string());
        }
        limits.push(LimitHeadroom {
            rule_id,
            window,
            used,
            limit,
            warning,
            reached_at,
            citation,
        });
    };
    // Normal time left before the next worked minute becomes overtime.
    let current_shift = eval
        .record
        .shifts
        .iter()
        .rev()
        .find(|s| s.span.end >= at && s.span.start <= at);
    let (daily_normal, weekly_normal) = match params.pack {
        "de-arbzg" => (
            params.minutes("de.daily_max", "normal", today),
            params.minutes("de.daily_max", "normal", today) * 6,
        ),
        "eu-wtd" => (Duration::hours(24), Duration::hours(40)),
        _ => (
            params.minutes("no.normal_hours", "daily_normal", today),
            params.minutes("no.normal_hours", "weekly_normal", today),
        ),
    };
    let week_start = start_of_day(tz, monday_of(today));
    let week_normal: Duration = eval
        .ledger
        .iter()
        .filter(|s| !s.overtime)
        .map(|s| s.span.clipped(week_start, at))
        .sum();
    let shift_worked = current_shift.map_or(Duration::zero(), |s| s.worked);
    let normal_left = (daily_normal - shift_worked)
        .min(weekly_normal - week_normal)
        .max(Duration::zero());
    let reach = |remaining: Duration, lead: Duration| {
        (working && remaining > Duration::zero()).then(|| at + lead + remaining)
    };

    if !subject.exempt {
        match params.pack {
            "eu-wtd" | "de-arbzg" => {
                if params.pack == "de-arbzg" {
                    let limit = params.minutes("de.daily_max", "limit", today);
                    let window =
                        current_shift.map_or(Span::new(at, at), |s| Span::new(s.span.start, at));
                    push(
                        "de.daily_max",
                        window,
                        shift_worked,
                        limit,
                        None,
                        reach(limit - shift_worked, Duration::zero()),
                        None,
                    );
                }
                let (rule, weeks, per_week) = if params.pack == "eu-wtd" {
                    (
                        "eu.avg_48h",
                        params.get("eu.avg_48h", "weeks", today).value,
                        params.minutes("eu.avg_48h", "limit", today),
                    )
                } else {
                    (
                        "de.avg_8h",
                        params.get("de.avg_8h", "weeks", today).value,
                        params.minutes("de.daily_max", "normal", today) * 6,
                    )
                };
                average(
                    &mut push, eval, tz, today, at, rule, weeks, per_week, &reach,
                );
            }
            _ => {
                for (rule, len) in [
                    ("no.overtime_7d", Duration::days(7)),
                    ("no.overtime_4w", Duration::weeks(4)),
                    ("no.overtime_52w", Duration::days(364)),
                ] {
                    let v = params.get(rule, "limit", today);
                    let used = trailing_sum(&eval.overtime, len, at);
                    push(
                        rule,
                        Span::new(at - len, at),
                        used,
                        v.minutes(),
                        params.warning(v.minutes(), today),
                        reach(v.minutes() - used, normal_left),
                        v.agreement,
                    );
                }
                let v = params.get("no.total_24h", "limit", today);
                let used = trailing_sum(&work, Duration::hours(24), at);
                push(
                    "no.total_24h",
                    Span::new(at - Duration::hours(24), at),
                    used,
                    v.minutes(),
                    None,
                    reach(v.minutes() - used, Duration::zero()),
                    v.agreement,
                );
                let weeks = params.get("no.total_7d", "weeks", today).value;
                average(
                    &mut push,
                    eval,
                    tz,
                    today,
                    at,
                    "no.total_7d",
                    weeks,
                    params.minutes("no.total_7d", "limit", today),
                    &reach,
                );
            }
        }
    }

    // Rest: when may work start again?
    let last_end = if working {
        Some(at)
    } else {
        work.iter().rev().map(|s| s.end).find(|e| *e <= at)
    };
    let (daily_rule, weekly_rule) = match params.pack {
        "eu-wtd" => ("eu.daily_rest", Some("eu.weekly_rest")),
        "de-arbzg" => ("de.rest", None),
        _ => ("no.daily_rest", Some("no.weekly_rest")),
    };
    let earliest_next_start = (!subject.exempt).then_some(()).and(last_end).map(|end| {
        let daily = params.minutes(daily_rule, "min_rest", local_date(tz, end));
        let mut best = (end + daily, daily_rule);
        if let Some(rule) = weekly_rule {
            let weekly = params.minutes(rule, "min_rest", local_date(tz, end));
            // No long enough rest in the 7 days up to the end: it is due now.
            let (_, longest) = longest_rest(&work, Span::new(end - Duration::days(7), end));
            if longest < weekly && end + weekly > best.0 {
                best = (end + weekly, rule);
            }
        }
        best
    });
    let latest_end = limits
        .iter()
        .filter_map(|l| l.reached_at.map(|t| (t, l.rule_id)))
        .min();
    let _ = plan;
    Headroom {
        exempt: subject.exempt,
        limits,
        earliest_next_start,
        latest_end,
    }
}

/// Receives one limit's headroom.
type Push<'a> = dyn FnMut(
        &'static str,
        Span,
        Duration,
        Duration,
        Option<Duration>,
        Option<DateTime<Utc>>,
        Option<uuid::Uuid>,
    ) + 'a;

/// An average over `weeks` ISO weeks ending with the current one, shown as
/// the block's total against `weeks × per_week`.
#[allow(clippy::too_many_arguments)]
fn average(
    push: &mut Push<'_>,
    eval: &Evaluation,
    tz: chrono_tz::Tz,
    today: chrono::NaiveDate,
    at: DateTime<Utc>,
    rule: &'static str,
    weeks: i64,
    per_week: Duration,
    reach: &dyn Fn(Duration, Duration) -> Option<DateTime<Utc>>,
) {
    let monday = monday_of(today);
    let first = monday - Duration::weeks(weeks - 1);
    let used: Duration = eval
        .weekly_worked
        .range(first..=monday)
        .map(|(_, d)| *d)
        .sum();
    let limit = per_week * i32::try_from(weeks).unwrap_or(1);
    let window = Span::new(
        start_of_day(tz, first),
        start_of_day(tz, monday + Duration::weeks(1)),
    );
    let _ = at;
    push(
        rule,
        window,
        used,
        limit,
        None,
        reach(limit - used, Duration::zero()),
        None,
    );
}
