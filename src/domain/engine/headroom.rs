//! How much is left before each limit at an instant (`GetHeadroom`), so a
//! clock can warn before a breach rather than after. Pure: the caller has
//! closed any open interval at `at` (counting it as if clocked out then).

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::domain::clock_status::pair;
use crate::domain::event::{EffectiveEvent, EventKind};

use super::days::Plan;
use super::evaluate::{Evaluation, PackLimits, Subject};
use super::ledger::NormalLimits;
use super::ledger::monday_of;
use super::params::Params;
use super::record::Span;
use super::windows::{longest_rest, trailing_sum};
use crate::domain::local_days::{local_date, start_of_day};
use crate::domain::rules::catalog;
use crate::domain::rules::pack::RulePack;

/// A shift running into the loaded range is whole when events are loaded
/// this much earlier.
const SHIFT_MARGIN: Duration = Duration::days(2);

/// What `GetHeadroom` loads for `at`: events in the first span, whose
/// ledger is exact in the second; stored day totals stand in before it.
///
/// The ledger of an ISO week is exact only from its Monday (a partly
/// loaded week starts its normal-hours count from zero and finds too
/// little overtime; issue 13 item 1), so the exact part starts at the
/// Monday of the week holding `at − 28 days`, the start of the longest
/// window judged from events, with two days' margin for a shift running
/// into it.
#[must_use]
pub fn load_span(tz: Tz, at: DateTime<Utc>) -> (Span, Span) {
    let monday = start_of_day(tz, monday_of(local_date(tz, at - Duration::days(28))));
    let end = at + Duration::microseconds(1);
    (
        Span::new(monday - SHIFT_MARGIN, end),
        Span::new(monday, end),
    )
}

/// `GetHeadroom`'s contract: an interval still open at `at` counts as if
/// clocked out then. Keeps the events up to `at`; returns whether the
/// employee was working.
pub fn close_at(events: &mut Vec<EffectiveEvent>, from: DateTime<Utc>, at: DateTime<Utc>) -> bool {
    events.retain(|e| e.occurred_at >= from && e.occurred_at <= at);
    let working = pair(events)
        .intervals
        .last()
        .is_some_and(|i| i.end.is_none());
    if working {
        events.push(EffectiveEvent {
            id: uuid::Uuid::nil(),
            kind: EventKind::ClockOut,
            occurred_at: at,
            location: None,
        });
    }
    working
}

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
    subject: Subject,
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
        let mut citation = catalog::citation(params.pack.as_str(), rule_id).to_string();
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
    // The ledger's own limits (one definition: shift work's 38 h / 36 h and
    // averaging agreements included), and its own running totals: the
    // shift day's worked time and the ISO week's normal time up to `at`.
    let pack_limits = PackLimits { params, plan };
    let shift_day = current_shift.map_or(today, |s| s.day);
    let daily_normal = pack_limits.daily(shift_day);
    let weekly_normal = pack_limits.weekly(monday_of(today));
    let week_start = start_of_day(tz, monday_of(today));
    let week_normal: Duration = eval
        .ledger
        .iter()
        .filter(|s| !s.overtime)
        .map(|s| s.span.clipped(week_start, at))
        .sum();
    let day_worked: Duration = eval
        .ledger
        .iter()
        .filter(|s| current_shift.is_some() && s.shift_day == shift_day)
        .map(|s| s.span.clipped(s.span.start, at))
        .sum();
    let normal_left = if subject.exempt {
        Duration::zero()
    } else {
        (daily_normal - day_worked)
            .min(weekly_normal - week_normal)
            .max(Duration::zero())
    };
    let reach = |remaining: Duration, lead: Duration| {
        (working && remaining > Duration::zero()).then(|| at + lead + remaining)
    };

    if !subject.exempt {
        match params.pack {
            RulePack::EuWtd | RulePack::DeArbzg => {
                if params.pack == RulePack::DeArbzg {
                    let limit = params.minutes("de.daily_max", "limit", today);
                    let window =
                        current_shift.map_or(Span::new(at, at), |s| Span::new(s.span.start, at));
                    push(
                        "de.daily_max",
                        window,
                        day_worked,
                        limit,
                        None,
                        reach(limit - day_worked, Duration::zero()),
                        None,
                    );
                }
                let (rule, weeks, per_week) = if params.pack == RulePack::EuWtd {
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
            RulePack::NoAml => {
                for (rule, len) in [
                    ("no.overtime_7d", Duration::days(7)),
                    ("no.overtime_4w", Duration::weeks(4)),
                    ("no.overtime_26w", Duration::weeks(26)),
                    ("no.overtime_52w", Duration::days(364)),
                ] {
                    let v = params.get(rule, "limit", today);
                    // The 26-week limit exists only where a permission sets it.
                    if v.value == 0 && rule == "no.overtime_26w" {
                        continue;
                    }
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
    let (daily_rule, weekly_rule) = params.pack.rest_rules();
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

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration, NaiveDate, Utc};
    use chrono_tz::Europe::Oslo;
    use proptest::prelude::*;

    use super::*;
    use crate::domain::employee::Locale;
    use crate::domain::engine::days::Plan;
    use crate::domain::engine::evaluate::{History, Scope, evaluate};
    use crate::domain::engine::ledger::{overtime_spans, overtime_spans_by_day};
    use crate::domain::engine::params::Params;
    use crate::domain::engine::testing::{EMPLOYEE, oslo, work};
    use crate::domain::engine::windows::trailing_sum;
    use crate::domain::event::EffectiveEvent;
    use crate::domain::policy::{EmployeePolicy, Schedule, ShiftWork};

    fn subject() -> Subject {
        Subject {
            employee: EMPLOYEE,
            tz: Oslo,
            pack: crate::domain::rules::pack::RulePack::NoAml,
            exempt: false,
            locale: Locale::En,
        }
    }

    /// What the service does: the whole record evaluated once (the stored
    /// day totals a recompute keeps), then `GetHeadroom`'s partial load
    /// with those totals standing in before its exact part. Returns the
    /// headroom and the whole record's evaluation closed at `at` (the truth).
    fn served(
        events: &[EffectiveEvent],
        policy: &EmployeePolicy,
        at: DateTime<Utc>,
    ) -> (Headroom, Evaluation) {
        let far = Span::new(oslo(2000, 1, 1, 0, 0), oslo(2000, 1, 1, 0, 0));
        let mut all = events.to_vec();
        close_at(&mut all, oslo(2000, 1, 1, 0, 0), at);
        let truth = evaluate(
            subject(),
            &all,
            policy,
            at,
            Scope::all(far),
            &History::default(),
        );
        let stored = evaluate(
            subject(),
            events,
            policy,
            at,
            Scope::all(far),
            &History::default(),
        );
        let (load, trusted) = load_span(Oslo, at);
        let mut loaded = events.to_vec();
        let working = close_at(&mut loaded, load.start, at);
        let mut history = History {
            trusted: Some(trusted),
            ..History::default()
        };
        let mut by_day = overtime_spans_by_day(Oslo, &stored.ledger);
        let first: NaiveDate = local_date(Oslo, at - Duration::days(371));
        let before = local_date(Oslo, trusted.start);
        for (day, t) in stored.days.range(first..before) {
            let spans = by_day.remove(day).unwrap_or_default();
            history.add_day(*day, t.worked, t.normal, &spans);
        }
        let eval = evaluate(
            subject(),
            &loaded,
            policy,
            at,
            Scope::all(Span::new(at, at)),
            &history,
        );
        let params = Params::new(RulePack::NoAml, policy);
        let plan = Plan::new(EMPLOYEE, policy, true);
        (
            headroom(subject(), &eval, &params, &plan, at, working),
            truth,
        )
    }

    fn limit<'a>(h: &'a Headroom, rule: &str) -> &'a LimitHeadroom {
        h.limits.iter().find(|l| l.rule_id == rule).unwrap()
    }

    fn day_at(day: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
        use chrono::Datelike;
        oslo(day.year(), day.month(), day.day(), h, m)
    }

    /// Issue 13 item 1: a steady overtime pattern (Mon–Fri 07:30–17:30 with
    /// a 30 min break) over six weeks. On every weekday of the last week the
    /// 4- and 52-week `used` equal the ledger's own overtime in the window.
    #[test]
    fn headroom_used_equals_the_ledger_on_every_weekday() {
        let first = NaiveDate::from_ymd_opt(2026, 10, 5).unwrap();
        let mut events = Vec::new();
        for w in 0..6 {
            for k in 0..5 {
                let day = first + Duration::weeks(w) + Duration::days(k);
                events.extend(work(
                    day_at(day, 7, 30),
                    day_at(day, 17, 30),
                    &[(day_at(day, 11, 30), day_at(day, 12, 0))],
                ));
            }
        }
        for k in 0..7 {
            let day = first + Duration::weeks(5) + Duration::days(k);
            let at = day_at(day, 16, 0);
            let (h, truth) = served(&events, &EmployeePolicy::default(), at);
            let ot = overtime_spans(&truth.ledger);
            for (rule, len) in [
                ("no.overtime_7d", Duration::days(7)),
                ("no.overtime_4w", Duration::weeks(4)),
                ("no.overtime_52w", Duration::days(364)),
            ] {
                assert_eq!(
                    limit(&h, rule).used,
                    trailing_sum(&ot, len, at),
                    "{rule} on {day}"
                );
            }
        }
    }

    /// The 26-week limit of an Arbeidstilsynet permission is shown only where
    /// one is in force, and reads the ledger like the others.
    #[test]
    fn the_26_week_limit_shows_with_a_permission() {
        use crate::domain::policy::{Agreement, AgreementBasis, AgreementTerms};
        let first = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let mut events = Vec::new();
        for w in 0..10 {
            for k in 0..5 {
                let day = first + Duration::weeks(w) + Duration::days(k);
                events.extend(work(day_at(day, 7, 0), day_at(day, 17, 0), &[]));
            }
        }
        let at = day_at(first + Duration::weeks(9) + Duration::days(2), 16, 0);
        let (h, _) = served(&events, &EmployeePolicy::default(), at);
        assert!(h.limits.iter().all(|l| l.rule_id != "no.overtime_26w"));
        let policy = EmployeePolicy {
            agreements: vec![Agreement {
                id: uuid::Uuid::nil(),
                employee: EMPLOYEE,
                basis: AgreementBasis::LabourInspectorate,
                valid_from: first,
                valid_to: None,
                reference: "AT".into(),
                terms: AgreementTerms::ExtendedOvertime {
                    limit_7d_minutes: 1500,
                    limit_4w_minutes: 3000,
                    limit_52w_minutes: 0,
                    limit_26w_minutes: 12000,
                },
                created_at: DateTime::UNIX_EPOCH,
                created_by: String::new(),
                ended_at: None,
                end_reason: None,
            }],
            ..EmployeePolicy::default()
        };
        let (h, truth) = served(&events, &policy, at);
        let l = limit(&h, "no.overtime_26w");
        assert_eq!(l.limit, Duration::hours(200));
        assert_eq!(
            l.used,
            trailing_sum(&overtime_spans(&truth.ledger), Duration::weeks(26), at)
        );
        assert!(l.used > Duration::zero());
    }

    /// Issue 13 item 1: a shift worker's weekly normal limit is 36 h
    /// (§ 10-4 (5)). After Mon–Thu of 9 h, every Friday minute is overtime,
    /// so the 10 h of the 7-day limit run out 10 h after the first minute.
    #[test]
    fn headroom_applies_the_shift_workers_weekly_normal_limit() {
        let policy = EmployeePolicy {
            schedules: vec![Schedule {
                shift_work: ShiftWork::Reduced36,
                ..Schedule::default_for(EMPLOYEE)
            }],
            ..EmployeePolicy::default()
        };
        let mon = NaiveDate::from_ymd_opt(2026, 11, 16).unwrap();
        let mut events = Vec::new();
        for k in 0..4 {
            let day = mon + Duration::days(k);
            events.extend(work(
                day_at(day, 8, 0),
                day_at(day, 17, 30),
                &[(day_at(day, 12, 0), day_at(day, 12, 30))],
            ));
        }
        let fri = mon + Duration::days(4);
        events.extend(work(day_at(fri, 8, 0), day_at(fri, 20, 0), &[]));
        let at = day_at(fri, 10, 0);
        let (h, truth) = served(&events, &policy, at);
        let l = limit(&h, "no.overtime_7d");
        assert_eq!(l.used, Duration::hours(2));
        assert_eq!(
            l.used,
            trailing_sum(&overtime_spans(&truth.ledger), Duration::days(7), at)
        );
        assert_eq!(l.reached_at, Some(day_at(fri, 18, 0)));
    }

    /// Headroom and findings read one ledger: on rules.md example 4 the
    /// 7-day overtime limit's `remaining` reaches zero exactly at the
    /// finding's `at` (Sat 11:30), and `reached_at` predicts it.
    #[test]
    fn remaining_reaches_zero_where_the_finding_is() {
        let mut events = Vec::new();
        for d in 12..=16 {
            events.extend(work(
                oslo(2026, 10, d, 8, 0),
                oslo(2026, 10, d, 18, 0),
                &[(oslo(2026, 10, d, 11, 30), oslo(2026, 10, d, 12, 0))],
            ));
        }
        events.extend(work(
            oslo(2026, 10, 17, 9, 0),
            oslo(2026, 10, 17, 11, 45),
            &[],
        ));
        let found = crate::domain::engine::testing::run(&events);
        let at = found
            .findings
            .iter()
            .find(|f| f.rule_id == "no.overtime_7d")
            .unwrap()
            .at;
        assert_eq!(at, oslo(2026, 10, 17, 11, 30));
        let (h, _) = served(&events, &EmployeePolicy::default(), at);
        let l = limit(&h, "no.overtime_7d");
        assert_eq!(l.limit - l.used, Duration::zero());
        let before = at - Duration::minutes(1);
        let (h, _) = served(&events, &EmployeePolicy::default(), before);
        let l = limit(&h, "no.overtime_7d");
        assert_eq!(l.limit - l.used, Duration::minutes(1));
        assert_eq!(l.reached_at, Some(at));
    }

    /// (day offset, start minute, seconds, length in minutes, break offset).
    type Shape = (i64, i64, i64, i64, Option<i64>);

    fn histories() -> impl Strategy<Value = Vec<Shape>> {
        prop::collection::vec(
            (
                0i64..70,
                0i64..1440,
                0i64..60,
                30i64..800,
                prop::option::of(60i64..400),
            ),
            0..60,
        )
    }

    /// Non-overlapping intervals from 2 March 2026 (across the spring DST
    /// change), with second precision and an optional 30 min break.
    fn events_of(shapes: &[Shape]) -> Vec<EffectiveEvent> {
        let base = oslo(2026, 3, 2, 0, 0);
        let mut taken: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
        let mut out = Vec::new();
        for &(day, start, sec, len, brk) in shapes {
            let s = base + Duration::days(day) + Duration::minutes(start) + Duration::seconds(sec);
            let e = s + Duration::minutes(len);
            if taken.iter().any(|(a, b)| s <= *b && *a <= e) {
                continue;
            }
            taken.push((s, e));
            let breaks: Vec<_> = brk
                .filter(|b| b + 30 < len)
                .map(|b| (s + Duration::minutes(b), s + Duration::minutes(b + 30)))
                .into_iter()
                .collect();
            out.extend(work(s, e, &breaks));
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// For any history and instant, every `used` equals the whole
        /// ledger's sum over that window at that instant (issue 13).
        #[test]
        fn headroom_used_is_the_ledgers_sum(shapes in histories(), at_min in 0i64..(72 * 1440), at_sec in 0i64..60) {
            let events = events_of(&shapes);
            let at = oslo(2026, 3, 2, 0, 0) + Duration::minutes(at_min) + Duration::seconds(at_sec);
            let (h, truth) = served(&events, &EmployeePolicy::default(), at);
            let ot = overtime_spans(&truth.ledger);
            for (rule, len) in [
                ("no.overtime_7d", Duration::days(7)),
                ("no.overtime_4w", Duration::weeks(4)),
                ("no.overtime_52w", Duration::days(364)),
            ] {
                prop_assert_eq!(limit(&h, rule).used, trailing_sum(&ot, len, at), "{}", rule);
            }
            let work_spans = truth.record.spans();
            prop_assert_eq!(
                limit(&h, "no.total_24h").used,
                trailing_sum(&work_spans, Duration::hours(24), at)
            );
        }
    }
}
