//! rules.md § 6: every worked example, with its exact figures.
//! Europe/Oslo, `no-aml`, the default schedule (Mon–Fri 08:00–16:00).

use chrono::{Duration, NaiveDate};

use crate::domain::engine::evaluate::Evaluation;
use crate::domain::engine::finding::Severity::{Pattern, Violation, Warning};
use crate::domain::engine::testing::{fired, minutes, oslo, run, run_with, work};
use crate::domain::policy::EmployeePolicy;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The one finding of `rule`.
fn only<'a>(e: &'a Evaluation, rule: &str) -> &'a crate::domain::engine::finding::Draft {
    let found: Vec<_> = e.findings.iter().filter(|f| f.rule_id == rule).collect();
    assert_eq!(found.len(), 1, "{rule}: {:#?}", e.findings);
    found[0]
}

#[test]
fn example_1_shift_across_midnight() {
    let e = run(&work(
        oslo(2026, 3, 10, 22, 0),
        oslo(2026, 3, 11, 3, 0),
        &[],
    ));
    assert_eq!(minutes(e.days[&date(2026, 3, 10)].worked), 120);
    assert_eq!(minutes(e.days[&date(2026, 3, 11)].worked), 180);
    assert_eq!(e.record.shifts[0].day, date(2026, 3, 10));
    assert_eq!(minutes(e.record.shifts[0].worked), 300);
    let night: i64 = e.days.values().map(|d| minutes(d.night)).sum();
    let overtime: i64 = e.days.values().map(|d| minutes(d.overtime)).sum();
    assert_eq!((night, overtime), (300, 0));
    // 5 h needs no break. Tuesday is a scheduled day with work registered
    // but none of it in core hours (09:00–14:30): a core-hours pattern too.
    assert_eq!(
        fired(&e),
        vec![("pol.core_hours", Pattern), ("pol.night", Pattern)]
    );
    let n = only(&e, "pol.night");
    assert_eq!((n.measured, n.limit), (300, 15));
    assert_eq!(n.at, oslo(2026, 3, 10, 22, 15));
    assert_eq!(n.citation, "Tidsvakt policy pol.night");
    assert_eq!(
        n.explanation,
        "5 h of night work (21:00–06:00) in the shift Tue 10 Mar 2026 22:00 to Wed 11 Mar 2026 03:00"
    );
    assert_eq!(only(&e, "pol.core_hours").measured, 330);
}

#[test]
fn example_2_spring_forward() {
    let e = run(&work(
        oslo(2026, 3, 28, 22, 0),
        oslo(2026, 3, 29, 6, 0),
        &[],
    ));
    assert_eq!(minutes(e.days[&date(2026, 3, 28)].worked), 120);
    assert_eq!(minutes(e.days[&date(2026, 3, 29)].worked), 300);
    let sunday: i64 = e.days.values().map(|d| minutes(d.sunday_holiday)).sum();
    let night: i64 = e.days.values().map(|d| minutes(d.night)).sum();
    assert_eq!((sunday, night), (420, 420));
    assert_eq!(
        fired(&e),
        vec![
            ("no.sunday_holiday", Warning),
            ("pol.night", Pattern),
            ("pol.weekend", Pattern),
            ("no.breaks", Violation)
        ]
    );
    assert_eq!(only(&e, "pol.night").measured, 420, "7 h elapsed, not 8");
    let w = only(&e, "pol.weekend");
    assert_eq!(w.measured, 420);
    assert_eq!(
        (w.window.start, w.window.end),
        (oslo(2026, 3, 28, 0, 0), oslo(2026, 3, 29, 22, 0)),
        "Saturday and the Sunday window are one weekend"
    );
}

#[test]
fn example_3_fall_back() {
    let b = (
        oslo(2026, 10, 25, 0, 30),
        oslo(2026, 10, 25, 0, 30) + Duration::minutes(30),
    );
    let e = run(&work(
        oslo(2026, 10, 24, 22, 0),
        oslo(2026, 10, 25, 6, 0),
        &[b],
    ));
    assert_eq!(minutes(e.record.shifts[0].worked), 510);
    assert_eq!(minutes(e.days[&date(2026, 10, 24)].worked), 120);
    assert_eq!(minutes(e.days[&date(2026, 10, 25)].worked), 390);
    let overtime: i64 = e.days.values().map(|d| minutes(d.overtime)).sum();
    let sunday: i64 = e.days.values().map(|d| minutes(d.sunday_holiday)).sum();
    let night: i64 = e.days.values().map(|d| minutes(d.night)).sum();
    assert_eq!((overtime, sunday, night), (0, 510, 510));
    assert_eq!(
        fired(&e),
        vec![
            ("no.sunday_holiday", Warning),
            ("pol.night", Pattern),
            ("pol.weekend", Pattern)
        ]
    );
    assert_eq!(only(&e, "pol.night").measured, 510, "8.5 h, not 7.5 h");
    assert_eq!(only(&e, "pol.weekend").measured, 510);
}

fn example_4_events() -> Vec<crate::domain::event::EffectiveEvent> {
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
    events
}

#[test]
fn example_4_ten_hours_fifteen_minutes_of_overtime_in_one_week() {
    let e = run(&example_4_events());
    let worked: i64 = e.days.values().map(|d| minutes(d.worked)).sum();
    assert_eq!(worked, 3015);
    let ot = |d| minutes(e.days[&date(2026, 10, d)].overtime);
    assert_eq!(
        [ot(12), ot(13), ot(14), ot(15), ot(16), ot(17)],
        [30, 30, 30, 30, 330, 165]
    );
    let v: Vec<_> = e
        .findings
        .iter()
        .filter(|f| f.rule_id == "no.overtime_7d")
        .collect();
    assert_eq!(v.len(), 1, "{:#?}", e.findings);
    assert_eq!(v[0].severity, Violation);
    assert_eq!(v[0].at, oslo(2026, 10, 17, 11, 30));
    assert_eq!((v[0].measured, v[0].limit), (615, 600));
    assert_eq!(v[0].window.start, oslo(2026, 10, 12, 17, 30));
    assert_eq!(
        v[0].explanation,
        "10 h 15 min overtime in the 7 days from Mon 12 Oct 2026 17:30; limit 10 h"
    );
    assert_eq!(v[0].citation, "arbeidsmiljøloven § 10-6 (4)");
    // 18:00 is exactly 2 h after 16:00: no extra break; the rest is lawful.
    let rules: Vec<_> = fired(&e)
        .into_iter()
        .filter(|(r, _)| *r != "no.overtime_7d")
        .collect();
    assert_eq!(
        rules,
        vec![("pol.weekend", Pattern)],
        "Saturday 09:00–11:45 is before the Sunday window opens at 18:00, \
         but it is Saturday work; 18:00 sharp is no evening, 9.5 h no long day"
    );
    assert_eq!(only(&e, "pol.weekend").measured, 165);
}

#[test]
fn example_4_total_7d_average_is_not_exceeded_after_seven_ordinary_weeks() {
    let mut events = example_4_events();
    // The previous 7 weeks: 37.5 h each (Mon–Fri 08:00–16:00, 30 min break).
    for week in 1..=7 {
        for d in 0..5 {
            let day = date(2026, 10, 12) - Duration::weeks(week) + Duration::days(d);
            let at = |h, m| {
                oslo(
                    2026,
                    day.format("%m").to_string().parse().unwrap(),
                    day.format("%d").to_string().parse().unwrap(),
                    h,
                    m,
                )
            };
            events.extend(work(at(8, 0), at(16, 0), &[(at(11, 30), at(12, 0))]));
        }
    }
    let e = run(&events);
    assert!(
        !fired(&e).iter().any(|(r, _)| *r == "no.total_7d"),
        "(50.25 + 262.5) / 8 = 39.09 h"
    );
}

#[test]
fn example_5_twenty_six_hours_in_four_weeks() {
    let mut events = Vec::new();
    let first = date(2026, 9, 7);
    for w in 0..4 {
        for d in 0..5 {
            let day = first + Duration::weeks(w) + Duration::days(d);
            let at = |h, m| {
                oslo(
                    2026,
                    day.format("%m").to_string().parse().unwrap(),
                    day.format("%d").to_string().parse().unwrap(),
                    h,
                    m,
                )
            };
            events.extend(work(at(8, 0), at(17, 48), &[(at(11, 30), at(12, 0))]));
        }
    }
    let e = run(&events);
    let four: Vec<_> = e
        .findings
        .iter()
        .filter(|f| f.rule_id == "no.overtime_4w" && f.severity == Violation)
        .collect();
    assert_eq!(four.len(), 1, "{:#?}", e.findings);
    assert_eq!(four[0].at, oslo(2026, 10, 2, 16, 48));
    assert_eq!((four[0].measured, four[0].limit), (1560, 1500));
    assert!(
        !e.findings
            .iter()
            .any(|f| f.rule_id == "no.overtime_7d" && f.severity == Violation)
    );
}

#[test]
fn example_6_daily_rest_of_ten_and_a_half_hours() {
    let mut events = work(
        oslo(2026, 11, 10, 13, 0),
        oslo(2026, 11, 10, 22, 30),
        &[(oslo(2026, 11, 10, 17, 0), oslo(2026, 11, 10, 17, 30))],
    );
    events.extend(work(
        oslo(2026, 11, 11, 9, 0),
        oslo(2026, 11, 11, 16, 30),
        &[(oslo(2026, 11, 11, 12, 0), oslo(2026, 11, 11, 12, 30))],
    ));
    let e = run(&events);
    // Tuesday's work starts at 13:00: 4 h of core hours missed.
    assert_eq!(
        fired(&e),
        vec![
            ("pol.core_hours", Pattern),
            ("pol.night", Pattern),
            ("no.daily_rest", Violation)
        ]
    );
    assert_eq!(only(&e, "pol.night").measured, 90);
    assert_eq!(only(&e, "pol.core_hours").measured, 240);
    let f = only(&e, "no.daily_rest");
    assert_eq!((f.measured, f.limit), (630, 660));
    assert_eq!(f.window.start, oslo(2026, 11, 10, 13, 0));
    let night: i64 = e.days.values().map(|d| minutes(d.night)).sum();
    assert_eq!(night, 90);
}

#[test]
fn example_7_missing_weekly_rest() {
    let mut events = Vec::new();
    for d in 2..=8 {
        events.extend(work(oslo(2026, 11, d, 9, 0), oslo(2026, 11, d, 14, 0), &[]));
    }
    let e = run(&events);
    let weekly: Vec<_> = e
        .findings
        .iter()
        .filter(|f| f.rule_id == "no.weekly_rest")
        .collect();
    assert_eq!(weekly.len(), 1, "{:#?}", e.findings);
    assert_eq!(weekly[0].window.start, oslo(2026, 11, 2, 9, 0));
    assert_eq!(weekly[0].measured, 19 * 60);
    assert_eq!(minutes(e.days[&date(2026, 11, 8)].sunday_holiday), 300);
    let overtime: i64 = e.days.values().map(|d| minutes(d.overtime)).sum();
    assert_eq!(overtime, 0);
    // 09:00–14:00 leaves 30 min of core hours (to 14:30) on each weekday.
    assert_eq!(
        fired(&e),
        vec![
            ("pol.core_hours", Pattern),
            ("no.weekly_rest", Violation),
            ("pol.core_hours", Pattern),
            ("pol.core_hours", Pattern),
            ("pol.core_hours", Pattern),
            ("pol.core_hours", Pattern),
            ("pol.weekend", Pattern),
            ("no.sunday_holiday", Warning)
        ]
    );
    let w = only(&e, "pol.weekend");
    assert_eq!(w.measured, 600, "Saturday and Sunday: one weekend, 10 h");
    assert_eq!(w.evidence.len(), 2);
}

#[test]
fn example_8_six_hours_without_a_break() {
    let events = work(oslo(2026, 11, 18, 9, 0), oslo(2026, 11, 18, 15, 0), &[]);
    assert_eq!(fired(&run(&events)), vec![("no.breaks", Violation)]);
    assert_eq!(run(&events).findings[0].at, oslo(2026, 11, 18, 14, 30));
    for pack in ["eu-wtd", "de-arbzg"] {
        let e = run_with(pack, false, &events, &EmployeePolicy::default());
        assert_eq!(fired(&e), vec![], "{pack}: 6 h is not more than 6 h");
    }
}

#[test]
fn example_9_saturday_evening_counts_as_sunday_work() {
    let e = run(&work(
        oslo(2026, 11, 14, 19, 0),
        oslo(2026, 11, 14, 21, 30),
        &[],
    ));
    assert_eq!(minutes(e.days[&date(2026, 11, 14)].sunday_holiday), 150);
    assert_eq!(minutes(e.days[&date(2026, 11, 14)].night), 30);
    assert_eq!(
        fired(&e),
        vec![
            ("no.sunday_holiday", Warning),
            ("pol.weekend", Pattern),
            ("pol.night", Pattern)
        ]
    );
    assert_eq!(only(&e, "pol.weekend").measured, 150);
    assert_eq!(only(&e, "pol.night").at, oslo(2026, 11, 14, 21, 15));
}

#[test]
fn example_10_seventeenth_of_may() {
    let mut events = work(oslo(2028, 5, 16, 20, 0), oslo(2028, 5, 16, 23, 0), &[]);
    events.extend(work(
        oslo(2028, 5, 17, 10, 0),
        oslo(2028, 5, 17, 14, 0),
        &[],
    ));
    let e = run(&events);
    assert_eq!(minutes(e.days[&date(2028, 5, 16)].sunday_holiday), 60);
    assert_eq!(minutes(e.days[&date(2028, 5, 17)].sunday_holiday), 240);
    assert_eq!(minutes(e.days[&date(2028, 5, 16)].night), 120);
    // Rest 23:00→10:00 is 11 h: allowed. Tuesday is a working day whose
    // only work is in the evening: core hours missed; 2 h of night.
    assert_eq!(
        fired(&e),
        vec![
            ("pol.core_hours", Pattern),
            ("pol.night", Pattern),
            ("no.sunday_holiday", Warning),
            ("pol.weekend", Pattern)
        ]
    );
    assert_eq!(only(&e, "pol.night").measured, 120);
    let w = only(&e, "pol.weekend");
    assert_eq!(
        w.measured, 300,
        "one holiday window, Tue 22:00 to Wed 22:00"
    );
    assert_eq!(w.window.start, oslo(2028, 5, 16, 22, 0));
}

#[test]
fn example_11_christmas_eve_after_15() {
    let e = run(&work(
        oslo(2026, 12, 24, 12, 0),
        oslo(2026, 12, 24, 17, 0),
        &[],
    ));
    assert_eq!(minutes(e.days[&date(2026, 12, 24)].worked), 300);
    assert_eq!(minutes(e.days[&date(2026, 12, 24)].sunday_holiday), 120);
    // Christmas Eve is a scheduled working day: 09:00–12:00 missed.
    assert_eq!(
        fired(&e),
        vec![
            ("pol.core_hours", Pattern),
            ("no.sunday_holiday", Warning),
            ("pol.weekend", Pattern)
        ]
    );
    assert_eq!(
        only(&e, "no.sunday_holiday").window.end,
        oslo(2026, 12, 27, 22, 0)
    );
    assert_eq!(only(&e, "pol.weekend").measured, 120);
}

#[test]
fn example_12_exempt_leading_position() {
    let e = run_with(
        "no-aml",
        true,
        &work(oslo(2026, 12, 1, 7, 0), oslo(2026, 12, 1, 23, 0), &[]),
        &EmployeePolicy::default(),
    );
    assert_eq!(minutes(e.days[&date(2026, 12, 1)].worked), 960);
    assert_eq!(minutes(e.days[&date(2026, 12, 1)].overtime), 0);
    assert_eq!(minutes(e.days[&date(2026, 12, 1)].night), 120);
    // No `no.*` finding; the patterns still reach the employee.
    assert_eq!(
        fired(&e),
        vec![("pol.long_day", Pattern), ("pol.night", Pattern)]
    );
    let long = only(&e, "pol.long_day");
    assert_eq!((long.measured, long.limit), (960, 600));
    assert_eq!(long.at, oslo(2026, 12, 1, 17, 0));
    assert_eq!(only(&e, "pol.night").measured, 120);
}

#[test]
fn example_13_out_of_order_arrival_gives_the_same_result() {
    let events = work(
        oslo(2026, 11, 19, 8, 0),
        oslo(2026, 11, 19, 16, 0),
        &[(oslo(2026, 11, 19, 11, 30), oslo(2026, 11, 19, 12, 0))],
    );
    let mut shuffled = vec![
        events[3].clone(),
        events[2].clone(),
        events[0].clone(),
        events[1].clone(),
    ];
    let a = run(&events);
    let b = run(&shuffled);
    shuffled.reverse();
    assert_eq!(a.days, b.days);
    assert_eq!(minutes(a.days[&date(2026, 11, 19)].worked), 450);
    assert_eq!(fired(&a), vec![]);
    assert_eq!(fired(&b), vec![]);
}
