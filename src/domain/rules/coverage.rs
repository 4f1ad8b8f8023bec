//! Every rule of every pack has a firing case and a non-firing case one
//! minute (or one unit) the other side of its threshold (issue 13). The
//! table below names where each rule's pair lives; `every_rule_is_covered`
//! fails when the catalog gains a rule the table does not list, or the
//! table names a rule the catalog does not have. The pairs not found
//! elsewhere are in this file.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use uuid::Uuid;

use super::catalog::RULES;
use crate::domain::engine::evaluate::Evaluation;
use crate::domain::engine::finding::Severity::Violation;
use crate::domain::engine::testing::{EMPLOYEE, oslo, run_with, work};
use crate::domain::event::EffectiveEvent;
use crate::domain::policy::{Agreement, AgreementBasis, AgreementTerms, EmployeePolicy};

/// (pack, rule, where its firing and non-firing pair is tested).
const COVERED: &[(&str, &str, &str)] = &[
    (
        "no-aml",
        "no.overtime_7d",
        "thresholds::overtime_7d_at_ten_hours",
    ),
    (
        "no-aml",
        "no.overtime_4w",
        "thresholds::overtime_4w_at_twenty_five_hours",
    ),
    (
        "no-aml",
        "no.overtime_52w",
        "thresholds::overtime_52w_at_two_hundred_hours",
    ),
    (
        "no-aml",
        "no.overtime_26w",
        "coverage::overtime_26w_at_two_hundred_hours",
    ),
    (
        "no-aml",
        "no.total_24h",
        "thresholds::total_24h_at_thirteen_hours",
    ),
    (
        "no-aml",
        "no.total_7d",
        "thresholds::total_7d_average_at_forty_eight_hours",
    ),
    (
        "no-aml",
        "no.averaging",
        "coverage::averaging_at_forty_hours_a_week",
    ),
    (
        "no-aml",
        "no.averaging_week",
        "regressions::an_averaging_agreement_caps_a_single_week_at_50_hours",
    ),
    (
        "no-aml",
        "no.daily_rest",
        "thresholds::daily_rest_at_eleven_hours",
    ),
    (
        "no-aml",
        "no.weekly_rest",
        "thresholds::weekly_rest_at_thirty_five_hours",
    ),
    (
        "no-aml",
        "no.breaks",
        "thresholds::breaks_at_five_and_a_half_and_eight_hours",
    ),
    (
        "no-aml",
        "no.sunday_holiday",
        "thresholds::sunday_window_opens_at_18_on_saturday",
    ),
    (
        "no-aml",
        "no.sunday_off_next",
        "thresholds::sunday_off_next_fires_on_the_second_sunday_in_a_row",
    ),
    (
        "no-aml",
        "no.night_avg",
        "thresholds::night_average_at_eight_hours_per_working_day",
    ),
    (
        "no-aml",
        "no.record",
        "coverage::record_gap_only_in_a_locked_period",
    ),
    (
        "eu-wtd",
        "eu.avg_48h",
        "thresholds::eu_average_of_48_hours_over_17_weeks",
    ),
    (
        "eu-wtd",
        "eu.daily_rest",
        "coverage::eu_daily_and_weekly_rest_at_their_minimum",
    ),
    (
        "eu-wtd",
        "eu.weekly_rest",
        "coverage::eu_daily_and_weekly_rest_at_their_minimum",
    ),
    (
        "eu-wtd",
        "eu.breaks",
        "thresholds::eu_and_de_breaks_at_six_hours",
    ),
    (
        "eu-wtd",
        "eu.night_avg",
        "thresholds::night_average_at_eight_hours_per_working_day",
    ),
    (
        "eu-wtd",
        "eu.record",
        "coverage::record_gap_only_in_a_locked_period",
    ),
    (
        "de-arbzg",
        "de.daily_max",
        "thresholds::de_daily_max_at_ten_hours_and_rest_at_eleven",
    ),
    (
        "de-arbzg",
        "de.avg_8h",
        "coverage::de_average_of_48_hours_over_24_weeks",
    ),
    (
        "de-arbzg",
        "de.breaks",
        "thresholds::eu_and_de_breaks_at_six_hours",
    ),
    (
        "de-arbzg",
        "de.rest",
        "thresholds::de_daily_max_at_ten_hours_and_rest_at_eleven",
    ),
    (
        "de-arbzg",
        "de.sunday_holiday",
        "coverage::de_sunday_work_from_the_first_minute",
    ),
    (
        "de-arbzg",
        "de.sunday_comp",
        "regressions::de_holiday_work_needs_a_substitute_day_within_eight_weeks",
    ),
    (
        "de-arbzg",
        "de.sundays_off",
        "regressions::de_fifteen_sundays_a_year_stay_free",
    ),
    (
        "de-arbzg",
        "de.record",
        "coverage::record_gap_only_in_a_locked_period",
    ),
];

/// The out-of-hours patterns run in every pack; their pairs are in
/// `pattern_thresholds` (and `pol.missing_clock_out` in `thresholds`).
const PATTERNS_COVERED_IN: &str = "pattern_thresholds";

#[test]
fn every_rule_is_covered() {
    let patterns: Vec<&str> = super::catalog::POLICY_RULES
        .iter()
        .map(|(id, _)| *id)
        .collect();
    let mut missing = Vec::new();
    for r in RULES.iter() {
        if patterns.contains(&r.id) || r.id == "pol.missing_clock_out" {
            continue;
        }
        if !COVERED.iter().any(|(p, id, _)| *p == r.pack && *id == r.id) {
            missing.push(format!("{}/{}", r.pack, r.id));
        }
    }
    assert!(
        missing.is_empty(),
        "rules without a threshold pair: {missing:?}"
    );
    for (p, id, _) in COVERED {
        assert!(
            RULES.iter().any(|r| r.pack == *p && r.id == *id),
            "{p}/{id} is not in the catalog"
        );
    }
    assert!(!PATTERNS_COVERED_IN.is_empty());
}

fn count(e: &Evaluation, rule: &str) -> usize {
    e.findings
        .iter()
        .filter(|f| f.rule_id == rule && f.severity == Violation)
        .count()
}

fn at(day: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    oslo(day.year(), day.month(), day.day(), h, m)
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn agreement(terms: AgreementTerms, basis: AgreementBasis, from: NaiveDate) -> Agreement {
    Agreement {
        id: Uuid::nil(),
        employee: EMPLOYEE,
        basis,
        valid_from: from,
        valid_to: None,
        reference: "ref".into(),
        terms,
        created_at: DateTime::UNIX_EPOCH,
        created_by: String::new(),
        ended_at: None,
        end_reason: None,
    }
}

/// 26 weeks from Mon 5 Jan 2026 of Mon–Fri 07:00–17:00 (30 min break) plus
/// a Saturday of `sat` minutes: 7 h 30 min + `sat` of overtime a week.
fn weeks_of_overtime(sat: &dyn Fn(i64) -> i64) -> Vec<EffectiveEvent> {
    let first = d(2026, 1, 5);
    let mut events = Vec::new();
    for w in 0..26 {
        for k in 0..5 {
            let day = first + Duration::weeks(w) + Duration::days(k);
            events.extend(work(
                at(day, 7, 0),
                at(day, 17, 0),
                &[(at(day, 11, 30), at(day, 12, 0))],
            ));
        }
        let s = first + Duration::weeks(w) + Duration::days(5);
        let m = sat(w);
        if m > 0 {
            events.extend(work(at(s, 9, 0), at(s, 9, 0) + Duration::minutes(m), &[]));
        }
    }
    events
}

#[test]
fn overtime_26w_at_two_hundred_hours() {
    let policy = EmployeePolicy {
        agreements: vec![agreement(
            AgreementTerms::ExtendedOvertime {
                limit_7d_minutes: 1500,
                limit_4w_minutes: 3000,
                limit_52w_minutes: 18000,
                limit_26w_minutes: 12000,
            },
            AgreementBasis::LabourInspectorate,
            d(2026, 1, 5),
        )],
        ..EmployeePolicy::default()
    };
    // 26 × 7 h 30 min = 195 h; 300 min more on the last Saturday is 200 h.
    let exact = weeks_of_overtime(&|w| if w == 25 { 300 } else { 0 });
    let over = weeks_of_overtime(&|w| if w == 25 { 301 } else { 0 });
    assert_eq!(
        count(
            &run_with("no-aml", false, &exact, &policy),
            "no.overtime_26w"
        ),
        0
    );
    assert_eq!(
        count(
            &run_with("no-aml", false, &over, &policy),
            "no.overtime_26w"
        ),
        1
    );
}

#[test]
fn averaging_at_forty_hours_a_week() {
    // A 2-week averaging period from Mon 2 Nov 2026: week 1 of 45 h, week 2
    // of 35 h averages 40 h; one more minute is over.
    let from = d(2026, 11, 2);
    let policy = EmployeePolicy {
        agreements: vec![agreement(
            AgreementTerms::Averaging {
                period_weeks: 2,
                daily_cap_minutes: 600,
                weekly_cap_minutes: 2880,
            },
            AgreementBasis::Individual,
            from,
        )],
        ..EmployeePolicy::default()
    };
    let events = |extra: i64| {
        let mut e = Vec::new();
        for k in 0..5 {
            let day = from + Duration::days(k);
            e.extend(work(
                at(day, 8, 0),
                at(day, 17, 30),
                &[(at(day, 12, 0), at(day, 12, 30))],
            ));
        }
        for k in 0..5 {
            let day = from + Duration::days(7 + k);
            let end = at(day, 15, 0) + Duration::minutes(if k == 4 { extra } else { 0 });
            e.extend(work(at(day, 8, 0), end, &[]));
        }
        e
    };
    assert_eq!(
        count(
            &run_with("no-aml", false, &events(0), &policy),
            "no.averaging"
        ),
        0
    );
    assert_eq!(
        count(
            &run_with("no-aml", false, &events(1), &policy),
            "no.averaging"
        ),
        1
    );
}

#[test]
fn record_gap_only_in_a_locked_period() {
    use crate::domain::event::EventKind;
    let open = vec![EffectiveEvent {
        id: Uuid::new_v4(),
        kind: EventKind::ClockIn,
        occurred_at: oslo(2026, 10, 31, 8, 0),
        location: None,
    }];
    let locked = |first: NaiveDate, last: NaiveDate| EmployeePolicy {
        locked: vec![(first, last)],
        ..EmployeePolicy::default()
    };
    for (pack, rule) in [
        ("no-aml", "no.record"),
        ("eu-wtd", "eu.record"),
        ("de-arbzg", "de.record"),
    ] {
        // The lock ends the day before: no gap in what was paid.
        let before = locked(d(2026, 10, 1), d(2026, 10, 30));
        assert_eq!(
            count(&run_with(pack, false, &open, &before), rule),
            0,
            "{pack}"
        );
        let with = locked(d(2026, 10, 1), d(2026, 10, 31));
        assert_eq!(
            count(&run_with(pack, false, &open, &with), rule),
            1,
            "{pack}"
        );
    }
}

#[test]
fn eu_daily_and_weekly_rest_at_their_minimum() {
    let p = EmployeePolicy::default();
    let two_days = |rest: i64| {
        let end = oslo(2026, 11, 17, 17, 0);
        let mut e = work(oslo(2026, 11, 17, 13, 0), end, &[]);
        let next = end + Duration::minutes(rest);
        e.extend(work(next, next + Duration::hours(4), &[]));
        e
    };
    assert_eq!(
        count(
            &run_with("eu-wtd", false, &two_days(660), &p),
            "eu.daily_rest"
        ),
        0
    );
    assert_eq!(
        count(
            &run_with("eu-wtd", false, &two_days(659), &p),
            "eu.daily_rest"
        ),
        1
    );
    let week = |rest: i64| {
        let mut e = Vec::new();
        let mon = d(2026, 11, 2);
        for k in 0..3 {
            let day = mon + Duration::days(k);
            e.extend(work(at(day, 9, 0), at(day, 14, 0), &[]));
        }
        let resume = at(mon + Duration::days(2), 14, 0) + Duration::minutes(rest);
        for k in 0..4 {
            let s = resume + Duration::days(k);
            e.extend(work(s, s + Duration::hours(5), &[]));
        }
        e
    };
    assert_eq!(
        count(
            &run_with("eu-wtd", false, &week(2100), &p),
            "eu.weekly_rest"
        ),
        0
    );
    assert_eq!(
        count(
            &run_with("eu-wtd", false, &week(2099), &p),
            "eu.weekly_rest"
        ),
        1
    );
}

#[test]
fn de_average_of_48_hours_over_24_weeks() {
    // 24 weeks of Mon–Sat 08:00–16:30 with a 30 min break = 48 h a week.
    let weeks = |extra: i64| {
        let mut e = Vec::new();
        let mon = d(2026, 3, 2);
        for w in 0..24 {
            for k in 0..6 {
                let day = mon + Duration::weeks(w) + Duration::days(k);
                let end =
                    at(day, 16, 30) + Duration::minutes(if w == 23 && k == 5 { extra } else { 0 });
                e.extend(work(
                    at(day, 8, 0),
                    end,
                    &[(at(day, 12, 0), at(day, 12, 30))],
                ));
            }
        }
        e
    };
    let p = EmployeePolicy::default();
    assert_eq!(
        count(&run_with("de-arbzg", false, &weeks(0), &p), "de.avg_8h"),
        0
    );
    assert_eq!(
        count(&run_with("de-arbzg", false, &weeks(1), &p), "de.avg_8h"),
        1
    );
}

#[test]
fn de_sunday_work_from_the_first_minute() {
    use crate::domain::engine::finding::Severity::Warning;
    let p = EmployeePolicy::default();
    let warnings = |e: &Evaluation| {
        e.findings
            .iter()
            .filter(|f| f.rule_id == "de.sunday_holiday" && f.severity == Warning)
            .count()
    };
    // Saturday until midnight: no Sunday work; one minute past it is.
    let sat = work(oslo(2026, 11, 14, 20, 0), oslo(2026, 11, 15, 0, 0), &[]);
    let into = work(oslo(2026, 11, 14, 20, 0), oslo(2026, 11, 15, 0, 1), &[]);
    assert_eq!(warnings(&run_with("de-arbzg", false, &sat, &p)), 0);
    assert_eq!(warnings(&run_with("de-arbzg", false, &into, &p)), 1);
}
