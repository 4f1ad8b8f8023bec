//! Every out-of-hours pattern (rules.md § 4) firing at its threshold and
//! silent just below it, one minute either side, in the style of
//! `thresholds.rs`.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use uuid::Uuid;

use crate::domain::engine::evaluate::{Evaluation, History, Scope, Subject, evaluate};
use crate::domain::engine::finding::{
    Draft,
    Severity::{self, Pattern, Violation, Warning},
};
use crate::domain::engine::record::Span;
use crate::domain::engine::testing::{EMPLOYEE, oslo, run, run_with, work};
use crate::domain::event::{EffectiveEvent, EventKind, Location};
use crate::domain::policy::{
    Absence, AbsenceKind, Agreement, AgreementBasis, AgreementTerms, EmployeePolicy, HolidayKind,
    OrgHoliday, Schedule, ValueUnit,
};

fn count(e: &Evaluation, rule: &str, sev: Severity) -> usize {
    e.findings
        .iter()
        .filter(|f| f.rule_id == rule && f.severity == sev)
        .count()
}

fn patterns<'a>(e: &'a Evaluation, rule: &str) -> Vec<&'a Draft> {
    e.findings
        .iter()
        .filter(|f| f.rule_id == rule && f.severity == Pattern)
        .collect()
}

fn at(day: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    oslo(day.year(), day.month(), day.day(), h, m)
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn no_policy() -> EmployeePolicy {
    EmployeePolicy::default()
}

/// Evaluates with `as_of` as given (for the rules that depend on it).
fn run_at(events: &[EffectiveEvent], policy: &EmployeePolicy, as_of: DateTime<Utc>) -> Evaluation {
    let subject = Subject {
        employee: EMPLOYEE,
        tz: chrono_tz::Europe::Oslo,
        pack: crate::domain::rules::pack::RulePack::NoAml,
        exempt: false,
        locale: crate::domain::employee::Locale::En,
    };
    evaluate(
        subject,
        events,
        policy,
        as_of,
        Scope::all(Span::new(oslo(2000, 1, 1, 0, 0), as_of)),
        &History::default(),
    )
}

/// The same work, clocked at home.
fn at_home(events: Vec<EffectiveEvent>) -> Vec<EffectiveEvent> {
    events
        .into_iter()
        .map(|mut e| {
            e.location = Some(Location::Home);
            e
        })
        .collect()
}

fn home_agreement(from: NaiveDate, to: Option<NaiveDate>, percent: i32) -> Agreement {
    Agreement {
        id: Uuid::from_u128(7),
        employee: EMPLOYEE,
        basis: AgreementBasis::Individual,
        valid_from: from,
        valid_to: to,
        reference: "HO-1".into(),
        terms: AgreementTerms::HomeOffice {
            max_home_share_percent: percent,
            required_office_weekdays: Vec::new(),
            availability: None,
        },
        created_at: DateTime::UNIX_EPOCH,
        created_by: "test".into(),
        ended_at: None,
        end_reason: None,
    }
}

fn absence(kind: AbsenceKind, first: NaiveDate, last: NaiveDate, minutes_per_day: i64) -> Absence {
    Absence {
        id: Uuid::from_u128(9),
        employee: EMPLOYEE,
        kind,
        first,
        last,
        minutes_per_day,
        note: String::new(),
        created_at: DateTime::UNIX_EPOCH,
        created_by: "test".into(),
        cancelled_at: None,
        cancel_reason: None,
    }
}

// ---- pol.evening ------------------------------------------------------

/// Work 17:00 to `end` on each of `days`.
fn evenings(days: &[NaiveDate], last_end: (u32, u32)) -> Vec<EffectiveEvent> {
    let mut e = Vec::new();
    for (i, day) in days.iter().enumerate() {
        let end = if i + 1 == days.len() {
            at(*day, last_end.0, last_end.1)
        } else {
            at(*day, 18, 15)
        };
        e.extend(work(at(*day, 17, 0), end, &[]));
    }
    e
}

#[test]
fn evening_on_three_days_of_fifteen_minutes() {
    let days = [d(2026, 11, 16), d(2026, 11, 18), d(2026, 11, 20)];
    let e = run(&evenings(&days, (18, 15)));
    let found = patterns(&e, "pol.evening");
    assert_eq!(found.len(), 1, "{:#?}", e.findings);
    let f = found[0];
    assert_eq!((f.measured, f.limit, f.unit), (3, 3, ValueUnit::Count));
    assert_eq!(f.at, at(days[2], 18, 15));
    assert_eq!(
        (f.window.start, f.window.end),
        (at(d(2026, 11, 14), 0, 0), at(d(2026, 11, 21), 0, 0))
    );
    assert_eq!(f.evidence.len(), 3);
    assert_eq!(f.citation, "Tidsvakt policy pol.evening");
    assert_eq!(
        f.explanation,
        "work after 18:00 on 3 days in the 7 days to Fri 20 Nov 2026: \
         Mon 16 Nov 2026 18:00–18:15 (15 min), Wed 18 Nov 2026 18:00–18:15 (15 min), \
         Fri 20 Nov 2026 18:00–18:15 (15 min)"
    );
    // 14 minutes on the third day is not an evening.
    assert_eq!(
        count(&run(&evenings(&days, (18, 14))), "pol.evening", Pattern),
        0
    );
    // Two evenings are not a pattern.
    assert_eq!(
        count(
            &run(&evenings(&days[..2], (18, 15))),
            "pol.evening",
            Pattern
        ),
        0
    );
}

#[test]
fn evening_days_must_fall_within_seven_days() {
    let mon = d(2026, 11, 16);
    let within = [mon, mon + Duration::days(2), mon + Duration::days(6)];
    let beyond = [mon, mon + Duration::days(2), mon + Duration::days(7)];
    assert_eq!(
        count(&run(&evenings(&within, (18, 15))), "pol.evening", Pattern),
        1
    );
    assert_eq!(
        count(&run(&evenings(&beyond, (18, 15))), "pol.evening", Pattern),
        0
    );
}

#[test]
fn evening_is_judged_in_local_time_across_the_autumn_dst_change() {
    // Fri 23, Sat 24 and Sun 25 October 2026 (25 h long, CEST → CET).
    let days = [d(2026, 10, 23), d(2026, 10, 24), d(2026, 10, 25)];
    let e = run(&evenings(&days, (18, 15)));
    let found = patterns(&e, "pol.evening");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].at, oslo(2026, 10, 25, 18, 15));
    assert_eq!(found[0].at.to_rfc3339(), "2026-10-25T17:15:00+00:00");
    // 18:01 local on the DST day leaves 14 minutes.
    let mut short = evenings(&days[..2], (18, 15));
    short.extend(work(at(days[2], 18, 1), at(days[2], 18, 15), &[]));
    assert_eq!(count(&run(&short), "pol.evening", Pattern), 0);
}

#[test]
fn evening_starts_at_the_schedules_flexitime_frame() {
    let mut schedule = Schedule::default_for(EMPLOYEE);
    schedule.flex_frame = Some((
        NaiveTime::from_hms_opt(7, 0, 0).unwrap(),
        NaiveTime::from_hms_opt(17, 0, 0).unwrap(),
    ));
    let policy = EmployeePolicy {
        schedules: vec![schedule],
        ..EmployeePolicy::default()
    };
    let days = [d(2026, 11, 16), d(2026, 11, 17), d(2026, 11, 18)];
    let ev = |end_m| {
        let mut e = Vec::new();
        for day in days {
            e.extend(work(at(day, 16, 0), at(day, 17, end_m), &[]));
        }
        e
    };
    let fired = |end_m| {
        count(
            &run_with("no-aml", false, &ev(end_m), &policy),
            "pol.evening",
            Pattern,
        )
    };
    assert_eq!(fired(15), 1);
    assert_eq!(fired(14), 0);
    assert_eq!(
        count(&run(&ev(15)), "pol.evening", Pattern),
        0,
        "default frame ends 18:00"
    );
}

// ---- pol.night --------------------------------------------------------

#[test]
fn night_at_fifteen_minutes_in_a_shift() {
    let day = d(2026, 11, 18);
    let e = run(&work(at(day, 20, 0), at(day, 21, 15), &[]));
    let found = patterns(&e, "pol.night");
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].measured, found[0].limit), (15, 15));
    assert_eq!(found[0].at, at(day, 21, 15));
    assert_eq!(
        count(
            &run(&work(at(day, 20, 0), at(day, 21, 14), &[])),
            "pol.night",
            Pattern
        ),
        0
    );
}

#[test]
fn night_ends_at_six_local_on_the_spring_forward_morning() {
    // Sun 29 March 2026: 02:00 CET jumps to 03:00 CEST; 06:00 is 04:00 UTC.
    let sun = d(2026, 3, 29);
    let fifteen = work(at(sun, 5, 45), at(sun, 6, 30), &[]);
    let fourteen = work(at(sun, 5, 46), at(sun, 6, 30), &[]);
    let e = run(&fifteen);
    assert_eq!(patterns(&e, "pol.night")[0].measured, 15);
    assert_eq!(count(&run(&fourteen), "pol.night", Pattern), 0);
}

#[test]
fn night_outside_norway_is_the_policys_21_to_6() {
    let day = d(2026, 11, 18);
    for pack in ["eu-wtd", "de-arbzg"] {
        let p = no_policy();
        let evening = work(at(day, 20, 0), at(day, 21, 15), &[]);
        let daytime = work(at(day, 9, 0), at(day, 15, 0), &[]);
        assert_eq!(
            count(&run_with(pack, false, &evening, &p), "pol.night", Pattern),
            1,
            "{pack}"
        );
        let e = run_with(pack, false, &daytime, &p);
        assert_eq!(count(&e, "pol.night", Pattern), 0, "{pack}");
        // Before, a pack without no.night counted every minute as night.
        assert_eq!(e.days[&day].night, Duration::zero(), "{pack}");
    }
}

// ---- pol.weekend ------------------------------------------------------

#[test]
fn weekend_at_fifteen_minutes_on_a_saturday() {
    let sat = d(2026, 11, 14);
    assert_eq!(
        count(
            &run(&work(at(sat, 10, 0), at(sat, 10, 15), &[])),
            "pol.weekend",
            Pattern
        ),
        1
    );
    assert_eq!(
        count(
            &run(&work(at(sat, 10, 0), at(sat, 10, 14), &[])),
            "pol.weekend",
            Pattern
        ),
        0
    );
}

#[test]
fn weekend_ends_with_the_sunday_window_in_norway_and_at_midnight_elsewhere() {
    let sun = d(2026, 11, 15);
    let until_22 = work(at(sun, 21, 45), at(sun, 23, 0), &[]);
    let from_21_46 = work(at(sun, 21, 46), at(sun, 23, 0), &[]);
    assert_eq!(count(&run(&until_22), "pol.weekend", Pattern), 1);
    assert_eq!(
        count(&run(&from_21_46), "pol.weekend", Pattern),
        0,
        "Sunday after 22:00 is outside the § 10-10 window"
    );
    assert_eq!(
        count(
            &run_with("eu-wtd", false, &from_21_46, &no_policy()),
            "pol.weekend",
            Pattern
        ),
        1,
        "without § 10-10 the calendar Sunday counts"
    );
}

#[test]
fn one_weekend_is_one_finding() {
    let sat = d(2026, 11, 14);
    let sun = d(2026, 11, 15);
    let mut e = work(at(sat, 10, 0), at(sat, 12, 0), &[]);
    e.extend(work(at(sun, 10, 0), at(sun, 12, 0), &[]));
    for pack in ["no-aml", "eu-wtd", "de-arbzg"] {
        let found = run_with(pack, false, &e, &no_policy());
        let w = patterns(&found, "pol.weekend");
        assert_eq!(w.len(), 1, "{pack}");
        assert_eq!((w[0].measured, w[0].evidence.len()), (240, 2), "{pack}");
    }
}

/// Holidays on the Thursday and Friday before a weekend make one period
/// from Thursday 00:00: Sunday work is a finding of that period, whichever
/// day of it the work was on (a mutation run found the run of days off
/// could stop at the Saturday unnoticed).
#[test]
fn a_period_starts_with_the_first_holiday_of_its_run() {
    let (thu, fri, sun) = (d(2026, 11, 19), d(2026, 11, 20), d(2026, 11, 22));
    let holiday = |n: u128, date| OrgHoliday {
        id: Uuid::from_u128(n),
        date,
        name: "Fridager".into(),
        kind: HolidayKind::Public,
        window_start: None,
    };
    let policy = EmployeePolicy {
        holidays: vec![holiday(1, thu), holiday(2, fri)],
        ..EmployeePolicy::default()
    };
    let e = work(at(sun, 10, 0), at(sun, 12, 0), &[]);
    for pack in ["eu-wtd", "de-arbzg"] {
        let found = run_with(pack, false, &e, &policy);
        let w = patterns(&found, "pol.weekend");
        assert_eq!(w.len(), 1, "{pack}");
        assert_eq!(
            (w[0].window.start, w[0].window.end),
            (at(thu, 0, 0), at(d(2026, 11, 23), 0, 0)),
            "{pack}: Thursday to the end of Sunday"
        );
    }
}

#[test]
fn an_organisation_holiday_is_a_weekend_day_in_every_pack() {
    let wed = d(2026, 11, 18);
    let policy = EmployeePolicy {
        holidays: vec![OrgHoliday {
            id: Uuid::from_u128(1),
            date: wed,
            name: "Founders' day".into(),
            kind: HolidayKind::Public,
            window_start: None,
        }],
        ..EmployeePolicy::default()
    };
    let e = work(at(wed, 10, 0), at(wed, 10, 15), &[]);
    for pack in ["no-aml", "eu-wtd", "de-arbzg"] {
        assert_eq!(
            count(&run_with(pack, false, &e, &policy), "pol.weekend", Pattern),
            1,
            "{pack}"
        );
        assert_eq!(
            count(
                &run_with(pack, false, &e, &no_policy()),
                "pol.weekend",
                Pattern
            ),
            0,
            "{pack}"
        );
    }
}

// ---- pol.long_day -----------------------------------------------------

#[test]
fn long_day_above_ten_hours() {
    let day = d(2026, 11, 18);
    let b = [(at(day, 12, 0), at(day, 12, 30))];
    let ten = work(at(day, 8, 0), at(day, 18, 30), &b);
    let more = work(at(day, 8, 0), at(day, 18, 31), &b);
    assert_eq!(
        count(&run(&ten), "pol.long_day", Pattern),
        0,
        "10 h is not more"
    );
    let e = run(&more);
    let f = patterns(&e, "pol.long_day");
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].measured, f[0].limit), (601, 600));
    assert_eq!(f[0].at, at(day, 18, 30));
    // Patterns reach exempt employees in every pack.
    for pack in ["no-aml", "eu-wtd", "de-arbzg"] {
        assert_eq!(
            count(
                &run_with(pack, true, &more, &no_policy()),
                "pol.long_day",
                Pattern
            ),
            1,
            "{pack}"
        );
    }
}

// ---- pol.creep --------------------------------------------------------

/// `weeks` weeks of Mon–Fri 08:00–16:24 with a 30 min break (39 h 30 min:
/// schedule + 2 h), the last day ending `short` minutes earlier.
fn creeping_weeks(first: NaiveDate, weeks: i64, short: i64) -> Vec<EffectiveEvent> {
    let mut e = Vec::new();
    for w in 0..weeks {
        for k in 0..5 {
            let day = first + Duration::weeks(w) + Duration::days(k);
            let mut end = at(day, 16, 24);
            if w == weeks - 1 && k == 4 {
                end -= Duration::minutes(short);
            }
            e.extend(work(
                at(day, 8, 0),
                end,
                &[(at(day, 12, 0), at(day, 12, 30))],
            ));
        }
    }
    e
}

#[test]
fn creep_at_two_hours_over_schedule_three_weeks_running() {
    let mon = d(2026, 11, 2);
    let e = run(&creeping_weeks(mon, 3, 0));
    let f = patterns(&e, "pol.creep");
    assert_eq!(f.len(), 1, "{:#?}", e.findings);
    assert_eq!((f[0].measured, f[0].limit), (120, 120));
    assert_eq!(
        (f[0].window.start, f[0].window.end),
        (at(mon, 0, 0), at(mon + Duration::weeks(3), 0, 0))
    );
    assert_eq!(f[0].at, at(d(2026, 11, 20), 16, 24));
    assert_eq!(
        f[0].explanation,
        "at least 2 h over the scheduled time 3 weeks in a row: \
         week 45 39 h 30 min (scheduled 37 h 30 min), week 46 39 h 30 min (scheduled 37 h 30 min), \
         week 47 39 h 30 min (scheduled 37 h 30 min)"
    );
    assert_eq!(
        count(&run(&creeping_weeks(mon, 3, 1)), "pol.creep", Pattern),
        0
    );
    assert_eq!(
        count(&run(&creeping_weeks(mon, 2, 0)), "pol.creep", Pattern),
        0
    );
    // A trend that goes on: one finding per further week.
    assert_eq!(
        count(&run(&creeping_weeks(mon, 4, 0)), "pol.creep", Pattern),
        2
    );
}

#[test]
fn creep_measures_against_the_schedule_less_absences() {
    let mon = d(2026, 11, 2);
    // Week 3 has a vacation day on Friday: scheduled 30 h, worked 4 × 7 h 54.
    let mut e = creeping_weeks(mon, 2, 0);
    let third = mon + Duration::weeks(2);
    for k in 0..4 {
        let day = third + Duration::days(k);
        e.extend(work(
            at(day, 8, 0),
            at(day, 16, 24),
            &[(at(day, 12, 0), at(day, 12, 30))],
        ));
    }
    let fri = third + Duration::days(4);
    let policy = |kind| EmployeePolicy {
        absences: vec![absence(kind, fri, fri, 0)],
        ..EmployeePolicy::default()
    };
    // 31 h 36 min against 30 h: only 1 h 36 min over.
    assert_eq!(
        count(
            &run_with("no-aml", false, &e, &policy(AbsenceKind::Vacation)),
            "pol.creep",
            Pattern
        ),
        0
    );
    // A fifth day of 30 more minutes makes it 2 h 6 min.
    let mut more = e.clone();
    more.extend(work(at(fri, 9, 0), at(fri, 9, 30), &[]));
    assert_eq!(
        count(
            &run_with("no-aml", false, &more, &policy(AbsenceKind::Vacation)),
            "pol.creep",
            Pattern
        ),
        1
    );
}

// ---- pol.overtime_near: the WARNING of the overtime limits --------------

/// Mon–Fri 08:00–17:45 with a 30 min break: 6 h 15 min of overtime a week,
/// the last Friday `extra` minutes longer.
fn overtime_weeks(first: NaiveDate, weeks: i64, extra: i64) -> Vec<EffectiveEvent> {
    let mut e = Vec::new();
    for w in 0..weeks {
        for k in 0..5 {
            let day = first + Duration::weeks(w) + Duration::days(k);
            let mut end = at(day, 17, 45);
            if w == weeks - 1 && k == 4 {
                end += Duration::minutes(extra);
            }
            e.extend(work(
                at(day, 8, 0),
                end,
                &[(at(day, 11, 30), at(day, 12, 0))],
            ));
        }
    }
    e
}

#[test]
fn overtime_near_is_the_4_week_warning_at_twenty_hours() {
    let mon = d(2026, 9, 7);
    // 3 × 6 h 15 min + 1 h 15 min = 20 h = 80 % of 25 h.
    let e = run(&overtime_weeks(mon, 3, 75));
    let w: Vec<_> = e
        .findings
        .iter()
        .filter(|f| f.rule_id == "no.overtime_4w" && f.severity == Warning)
        .collect();
    assert_eq!(w.len(), 1);
    assert_eq!((w[0].measured, w[0].limit), (1200, 1500));
    assert_eq!(
        count(&run(&overtime_weeks(mon, 3, 74)), "no.overtime_4w", Warning),
        0
    );
}

#[test]
fn overtime_near_is_the_52_week_warning_at_160_hours() {
    let mon = d(2026, 1, 5);
    // 25 × 6 h 15 min + 3 h 45 min = 160 h = 80 % of 200 h.
    let e = run(&overtime_weeks(mon, 25, 225));
    let w: Vec<_> = e
        .findings
        .iter()
        .filter(|f| f.rule_id == "no.overtime_52w" && f.severity == Warning)
        .collect();
    assert_eq!(w.len(), 1);
    assert_eq!((w[0].measured, w[0].limit), (9600, 12000));
    assert_eq!(
        count(
            &run(&overtime_weeks(mon, 25, 224)),
            "no.overtime_52w",
            Warning
        ),
        0
    );
    assert_eq!(count(&e, "no.overtime_52w", Violation), 0);
}

// ---- pol.home_share ---------------------------------------------------

/// Four weeks of Mon–Fri 08:00–16:00 (7 h 30 min), Mon and Tue at home:
/// 60 h of 150 h = 40 %. `short` takes minutes off the last office day.
fn home_weeks(first: NaiveDate, short: i64) -> Vec<EffectiveEvent> {
    let mut e = Vec::new();
    for w in 0..4 {
        for k in 0..5 {
            let day = first + Duration::weeks(w) + Duration::days(k);
            let mut end = at(day, 16, 0);
            if w == 3 && k == 4 {
                end -= Duration::minutes(short);
            }
            let events = work(at(day, 8, 0), end, &[(at(day, 11, 30), at(day, 12, 0))]);
            e.extend(if k < 2 { at_home(events) } else { events });
        }
    }
    e
}

#[test]
fn home_share_above_the_agreements_maximum_over_four_weeks() {
    let mon = d(2026, 11, 2);
    for percent in [40, 0] {
        let policy = EmployeePolicy {
            agreements: vec![home_agreement(d(2026, 1, 1), None, percent)],
            ..EmployeePolicy::default()
        };
        let exact = run_with("no-aml", false, &home_weeks(mon, 0), &policy);
        assert_eq!(
            count(&exact, "pol.home_share", Pattern),
            0,
            "40 % is not above 40 %"
        );
        let e = run_with("no-aml", false, &home_weeks(mon, 1), &policy);
        let f = patterns(&e, "pol.home_share");
        assert_eq!(f.len(), 1, "{percent}: {:#?}", e.findings);
        assert_eq!((f[0].limit, f[0].unit), (4000, ValueUnit::BasisPoints));
        assert_eq!(f[0].measured, 4000, "40.004 % rounds down");
        assert_eq!(f[0].agreement, Some(Uuid::from_u128(7)));
        assert_eq!(
            (f[0].window.start, f[0].window.end),
            (at(mon, 0, 0), at(mon + Duration::weeks(4), 0, 0))
        );
    }
}

/// A share over the maximum is reached in the window's last week: at the
/// end of its first piece of work there, not at a Sunday-evening piece
/// that ends at the week's first instant (a mutation run found `end >
/// start` → `>=` unnoticed).
#[test]
fn home_share_is_reached_in_its_last_week() {
    let mon = d(2026, 11, 2);
    let mut e = Vec::new();
    for w in 0..4 {
        for k in 0..5 {
            let day = mon + Duration::weeks(w) + Duration::days(k);
            let events = work(
                at(day, 8, 0),
                at(day, 16, 0),
                &[(at(day, 11, 30), at(day, 12, 0))],
            );
            // Home every day of the first three weeks and on the last Friday.
            e.extend(if w < 3 || k == 4 {
                at_home(events)
            } else {
                events
            });
        }
    }
    let last = mon + Duration::weeks(3);
    let sun = last - Duration::days(1);
    e.extend(at_home(work(at(sun, 20, 0), at(last, 0, 0), &[])));
    let policy = EmployeePolicy {
        agreements: vec![home_agreement(d(2026, 1, 1), None, 40)],
        ..EmployeePolicy::default()
    };
    let found = run_with("no-aml", false, &e, &policy);
    let f: Vec<_> = patterns(&found, "pol.home_share")
        .into_iter()
        .filter(|f| f.window.end == at(last + Duration::weeks(1), 0, 0))
        .collect();
    assert_eq!(f.len(), 1, "{:#?}", found.findings);
    assert_eq!(f[0].at, at(last, 11, 30));
}

#[test]
fn home_work_without_a_valid_agreement() {
    let tue = d(2026, 11, 17);
    let one = at_home(work(at(tue, 9, 0), at(tue, 9, 1), &[]));
    assert_eq!(count(&run(&one), "pol.home_share", Pattern), 1);
    assert_eq!(
        count(
            &run(&work(at(tue, 9, 0), at(tue, 9, 1), &[])),
            "pol.home_share",
            Pattern
        ),
        0,
        "office work needs no agreement"
    );
    let covered = EmployeePolicy {
        agreements: vec![home_agreement(tue, Some(tue), 40)],
        ..EmployeePolicy::default()
    };
    // With an agreement on the day (and the week mostly at the office) it is fine.
    let mut with_office = one.clone();
    let wed = tue + Duration::days(1);
    with_office.extend(work(at(wed, 9, 0), at(wed, 17, 0), &[]));
    assert_eq!(
        count(
            &run_with("no-aml", false, &with_office, &covered),
            "pol.home_share",
            Pattern
        ),
        0
    );
    assert_eq!(
        count(
            &run_with("no-aml", false, &with_office, &no_policy()),
            "pol.home_share",
            Pattern
        ),
        1
    );
    let expired = EmployeePolicy {
        agreements: vec![home_agreement(
            d(2026, 1, 1),
            Some(tue - Duration::days(1)),
            40,
        )],
        ..EmployeePolicy::default()
    };
    // Two home days in one week without an agreement: one finding.
    let mut two = one.clone();
    two.extend(at_home(work(at(tue, 13, 0), at(tue, 14, 0), &[])));
    two.extend(at_home(work(
        at(tue + Duration::days(1), 9, 0),
        at(tue + Duration::days(1), 10, 0),
        &[],
    )));
    let e = run_with("no-aml", false, &two, &expired);
    let f = patterns(&e, "pol.home_share");
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].measured, f[0].limit), (121, 0));
    assert_eq!(f[0].evidence.len(), 3);
    assert_eq!(
        f[0].explanation,
        "2 h 1 min of work at home (Tue 17 Nov 2026, Wed 18 Nov 2026) with no valid home-office agreement"
    );
}

// ---- pol.core_hours ---------------------------------------------------

#[test]
fn core_hours_missed_by_more_than_fifteen_minutes() {
    let wed = d(2026, 11, 18);
    let late = |m| {
        work(
            at(wed, 9, m),
            at(wed, 16, 0),
            &[(at(wed, 11, 30), at(wed, 12, 0))],
        )
    };
    let after = at(wed, 14, 30);
    assert_eq!(
        count(
            &run_at(&late(15), &no_policy(), after),
            "pol.core_hours",
            Pattern
        ),
        0
    );
    let e = run_at(&late(16), &no_policy(), after);
    let f = patterns(&e, "pol.core_hours");
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].measured, f[0].limit), (16, 15));
    assert_eq!(f[0].at, after);
    assert_eq!(
        f[0].explanation,
        "16 min clocked out within core hours 09:00–14:30 on Wed 18 Nov 2026 (09:00–09:16); more than 15 min counts"
    );
    // Not judged before the core hours are over.
    assert_eq!(
        count(
            &run_at(&late(16), &no_policy(), after - Duration::minutes(1)),
            "pol.core_hours",
            Pattern
        ),
        0
    );
}

#[test]
fn a_clocked_out_lunch_up_to_the_scheduled_break_is_not_missing_core_hours() {
    let wed = d(2026, 11, 18);
    let split = |lunch: i64| {
        let mut e = work(at(wed, 8, 0), at(wed, 11, 30), &[]);
        e.extend(work(
            at(wed, 11, 30) + Duration::minutes(lunch),
            at(wed, 16, 0),
            &[],
        ));
        e
    };
    let as_of = at(wed, 20, 0);
    // 30 min of break allowed, and 15 min more tolerated.
    assert_eq!(
        count(
            &run_at(&split(45), &no_policy(), as_of),
            "pol.core_hours",
            Pattern
        ),
        0
    );
    let e = run_at(&split(46), &no_policy(), as_of);
    assert_eq!(patterns(&e, "pol.core_hours")[0].measured, 16);
}

/// Work before the core hours makes the first stretch out inside them a
/// break between two presences, allowed up to the scheduled break
/// (mutation-run survivor: `seen_presence |=` → `&=`).
#[test]
fn a_break_after_early_work_counts_as_the_lunch() {
    let wed = d(2026, 11, 18);
    let early = |back: i64| {
        let mut e = work(at(wed, 7, 0), at(wed, 8, 30), &[]);
        e.extend(work(
            at(wed, 9, 0) + Duration::minutes(back),
            at(wed, 16, 0),
            &[],
        ));
        e
    };
    let as_of = at(wed, 20, 0);
    // 09:00–09:45 out: 30 min of it is the break, 15 min tolerated.
    assert_eq!(
        count(
            &run_at(&early(45), &no_policy(), as_of),
            "pol.core_hours",
            Pattern
        ),
        0
    );
    let e = run_at(&early(46), &no_policy(), as_of);
    assert_eq!(patterns(&e, "pol.core_hours")[0].measured, 16);
}

/// Work that ended at midnight belongs to the day before: it is no
/// presence that makes the first gap in the core hours a lunch (a
/// mutation run found `end > day_start` → `>=` unnoticed).
#[test]
fn work_ending_at_midnight_is_no_presence_the_next_day() {
    let (tue, wed) = (d(2026, 11, 17), d(2026, 11, 18));
    let day = |night: bool| {
        let mut e = if night {
            work(at(tue, 20, 0), at(wed, 0, 0), &[])
        } else {
            Vec::new()
        };
        e.extend(work(at(wed, 9, 46), at(wed, 16, 0), &[]));
        e
    };
    let as_of = at(wed, 20, 0);
    // 09:00–09:46 out with nothing before it that day: all 46 minutes,
    // with or without the night before.
    for night in [false, true] {
        let e = run_at(&day(night), &no_policy(), as_of);
        let f: Vec<_> = patterns(&e, "pol.core_hours")
            .into_iter()
            .filter(|f| f.window.start >= at(wed, 0, 0))
            .collect();
        assert_eq!(f.len(), 1, "night before: {night}");
        assert_eq!(f[0].measured, 46, "night before: {night}");
    }
}

#[test]
fn core_hours_are_not_judged_without_a_working_day_or_any_work() {
    let wed = d(2026, 11, 18);
    let afternoon = work(at(wed, 13, 0), at(wed, 16, 0), &[]);
    let as_of = at(wed, 20, 0);
    assert_eq!(
        count(
            &run_at(&afternoon, &no_policy(), as_of),
            "pol.core_hours",
            Pattern
        ),
        1
    );
    for kind in [AbsenceKind::Leave, AbsenceKind::TimeOffInLieu] {
        let off = EmployeePolicy {
            absences: vec![absence(kind, wed, wed, 240)],
            ..EmployeePolicy::default()
        };
        assert_eq!(
            count(&run_at(&afternoon, &off, as_of), "pol.core_hours", Pattern),
            0
        );
    }
    // A Saturday is not a scheduled day; a day with no work is not judged.
    let sat = d(2026, 11, 21);
    let sat_work = work(at(sat, 13, 0), at(sat, 16, 0), &[]);
    assert_eq!(
        count(
            &run_at(&sat_work, &no_policy(), at(sat, 20, 0)),
            "pol.core_hours",
            Pattern
        ),
        0
    );
    assert_eq!(
        count(&run_at(&[], &no_policy(), as_of), "pol.core_hours", Pattern),
        0
    );
    // An open interval counts as present; its missing clock-out is its own pattern.
    let open = &work(at(wed, 8, 0), at(wed, 8, 0), &[])[..1];
    assert_eq!(
        count(
            &run_at(open, &no_policy(), as_of),
            "pol.core_hours",
            Pattern
        ),
        0
    );
}

// ---- pol.sick_or_vacation_work ----------------------------------------

#[test]
fn work_during_sick_leave_or_vacation_from_the_first_minute() {
    let wed = d(2026, 11, 18);
    for kind in [AbsenceKind::Sick, AbsenceKind::Vacation] {
        for minutes_per_day in [0, 120] {
            let p = EmployeePolicy {
                absences: vec![absence(kind, wed, wed, minutes_per_day)],
                ..EmployeePolicy::default()
            };
            let one = work(at(wed, 10, 0), at(wed, 10, 1), &[]);
            let e = run_with("no-aml", false, &one, &p);
            let f = patterns(&e, "pol.sick_or_vacation_work");
            assert_eq!(f.len(), 1, "{kind:?} {minutes_per_day}");
            assert_eq!((f[0].measured, f[0].at), (1, at(wed, 10, 0)));
            // Work that ends at the midnight the absence starts.
            let before = work(at(wed - Duration::days(1), 23, 0), at(wed, 0, 0), &[]);
            assert_eq!(
                count(
                    &run_with("no-aml", false, &before, &p),
                    "pol.sick_or_vacation_work",
                    Pattern
                ),
                0
            );
        }
    }
    let leave = EmployeePolicy {
        absences: vec![absence(AbsenceKind::Leave, wed, wed, 0)],
        ..EmployeePolicy::default()
    };
    let one = work(at(wed, 10, 0), at(wed, 11, 0), &[]);
    assert_eq!(
        count(
            &run_with("no-aml", false, &one, &leave),
            "pol.sick_or_vacation_work",
            Pattern
        ),
        0
    );
}

#[test]
fn work_during_a_long_vacation_is_one_finding_per_week() {
    let first = d(2026, 11, 9);
    let p = EmployeePolicy {
        absences: vec![absence(
            AbsenceKind::Vacation,
            first,
            first + Duration::days(13),
            0,
        )],
        ..EmployeePolicy::default()
    };
    let mut e = Vec::new();
    for k in [0, 1, 8] {
        let day = first + Duration::days(k);
        e.extend(work(at(day, 10, 0), at(day, 11, 0), &[]));
    }
    let found = run_with("no-aml", false, &e, &p);
    let f = patterns(&found, "pol.sick_or_vacation_work");
    assert_eq!(f.len(), 2);
    assert_eq!((f[0].measured, f[1].measured), (120, 60));
    assert_eq!(
        f[0].explanation,
        "2 h of work registered during vacation (Mon 9 Nov 2026 to Sun 22 Nov 2026): \
         Mon 9 Nov 2026 10:00–11:00, Tue 10 Nov 2026 10:00–11:00"
    );
}

// ---- pol.missing_clock_out --------------------------------------------

#[test]
fn a_clock_out_without_a_clock_in_after_one_hour_of_grace() {
    let out = EffectiveEvent {
        id: Uuid::new_v4(),
        kind: EventKind::ClockOut,
        occurred_at: oslo(2026, 11, 18, 16, 0),
        location: None,
    };
    let t = out.occurred_at;
    let events = [out];
    assert_eq!(
        count(
            &run_at(&events, &no_policy(), t + Duration::minutes(59)),
            "pol.missing_clock_out",
            Pattern
        ),
        0
    );
    assert_eq!(
        count(
            &run_at(&events, &no_policy(), t + Duration::hours(1)),
            "pol.missing_clock_out",
            Pattern
        ),
        1
    );
}

/// A clock-in while an interval is open is a finding at once, at that
/// instant (no grace): the open interval stays open and is closed by the
/// clock-out, which makes it one interval of 08:00–16:00 (mutation run 4:
/// deleting the `ClockInWhileOpen` arm went unnoticed).
#[test]
fn a_clock_in_while_one_is_open_is_a_finding_at_once() {
    let wed = d(2026, 11, 18);
    let mut events = work(at(wed, 8, 0), at(wed, 16, 0), &[]);
    events.push(EffectiveEvent {
        id: Uuid::new_v4(),
        kind: EventKind::ClockIn,
        occurred_at: at(wed, 9, 0),
        location: None,
    });
    let e = run_at(&events, &no_policy(), at(wed, 17, 0));
    let f = patterns(&e, "pol.missing_clock_out");
    assert_eq!(f.len(), 1, "{:#?}", e.findings);
    assert_eq!(
        (f[0].window.start, f[0].window.end, f[0].at),
        (at(wed, 9, 0), at(wed, 9, 0), at(wed, 9, 0))
    );
    assert_eq!(
        f[0].explanation,
        "new clock-in Wed 18 Nov 2026 09:00 while an interval was still open"
    );
    assert_eq!(f[0].evidence.len(), 1);
    assert_eq!(e.record.spans().len(), 1);
}

// ---- every pattern ----------------------------------------------------

#[test]
fn every_pattern_finding_is_explained_in_both_languages_and_cited() {
    // One of each, in one record.
    let mon = d(2026, 11, 2);
    let mut events = creeping_weeks(mon, 3, 0);
    let wk3 = mon + Duration::weeks(2);
    for k in 0..3 {
        let day = wk3 + Duration::days(k);
        events.extend(work(at(day, 18, 30), at(day, 22, 0), &[]));
    }
    let sat = wk3 + Duration::days(5);
    events.extend(at_home(work(at(sat, 7, 0), at(sat, 18, 0), &[])));
    let thu = wk3 + Duration::days(3);
    let p = EmployeePolicy {
        absences: vec![absence(AbsenceKind::Sick, thu, thu, 0)],
        ..EmployeePolicy::default()
    };
    // A Monday afternoon in week 4: core hours missed.
    let wk4 = mon + Duration::weeks(3);
    events.extend(work(at(wk4, 13, 0), at(wk4, 16, 0), &[]));
    let expected = [
        "pol.core_hours",
        "pol.evening",
        "pol.night",
        "pol.weekend",
        "pol.long_day",
        "pol.creep",
        "pol.home_share",
        "pol.sick_or_vacation_work",
    ];
    for locale in [
        crate::domain::employee::Locale::En,
        crate::domain::employee::Locale::Nb,
    ] {
        let subject = Subject {
            employee: EMPLOYEE,
            tz: chrono_tz::Europe::Oslo,
            pack: crate::domain::rules::pack::RulePack::NoAml,
            exempt: false,
            locale,
        };
        let as_of = oslo(2030, 1, 1, 0, 0);
        let e = evaluate(
            subject,
            &events,
            &p,
            as_of,
            Scope::all(Span::new(oslo(2000, 1, 1, 0, 0), as_of)),
            &History::default(),
        );
        for rule in expected {
            let f = patterns(&e, rule);
            assert!(!f.is_empty(), "{rule}: {:#?}", e.findings);
            for x in f {
                assert_eq!(x.citation, format!("Tidsvakt policy {rule}"));
                assert!(!x.evidence.is_empty(), "{rule}");
                assert!(
                    x.window.start <= x.at && x.at <= x.window.end,
                    "{rule}: {x:#?}"
                );
                let norwegian = ["arbeid", "natt", "uke", "hjemme", "kjerne"]
                    .iter()
                    .any(|w| x.explanation.contains(w));
                assert_eq!(
                    norwegian,
                    locale == crate::domain::employee::Locale::Nb,
                    "{rule}: {}",
                    x.explanation
                );
            }
        }
    }
}

#[test]
fn a_holiday_period_is_whole_even_when_the_record_starts_inside_it() {
    // Work on Easter Monday 2026 only: the period (and the § 10-10 window)
    // opened on Easter Eve, before the first date with work.
    let mon = d(2026, 4, 6);
    let e = run(&work(at(mon, 10, 0), at(mon, 12, 0), &[]));
    assert_eq!(e.days[&mon].sunday_holiday, Duration::hours(2));
    assert_eq!(count(&e, "no.sunday_holiday", Warning), 1);
    let w = patterns(&e, "pol.weekend");
    assert_eq!(w.len(), 1);
    assert_eq!(
        (w[0].window.start, w[0].window.end),
        (oslo(2026, 4, 4, 0, 0), oslo(2026, 4, 6, 22, 0))
    );
    // Elsewhere: a Monday holiday after a weekend is one period from Saturday.
    let holiday = d(2026, 11, 16);
    let policy = EmployeePolicy {
        holidays: vec![OrgHoliday {
            id: Uuid::from_u128(1),
            date: holiday,
            name: "Day off".into(),
            kind: HolidayKind::Public,
            window_start: None,
        }],
        ..EmployeePolicy::default()
    };
    let e = run_with(
        "eu-wtd",
        false,
        &work(at(holiday, 10, 0), at(holiday, 12, 0), &[]),
        &policy,
    );
    let w = patterns(&e, "pol.weekend");
    assert_eq!(
        (w[0].window.start, w[0].window.end),
        (oslo(2026, 11, 14, 0, 0), oslo(2026, 11, 17, 0, 0))
    );
}

/// A weekend's finding: the window is the whole period (to the Sunday
/// window's 22:00 in `no-aml`, to midnight elsewhere), `at` is where its
/// work reached 15 minutes.
#[test]
fn weekend_findings_have_exact_windows_and_instants() {
    let (sat, sun, mon) = (d(2026, 11, 14), d(2026, 11, 15), d(2026, 11, 16));
    let e = work(at(sat, 10, 0), at(sat, 10, 16), &[]);
    let figures = |pack: &str| {
        let found = run_with(pack, false, &e, &no_policy());
        let w = patterns(&found, "pol.weekend");
        assert_eq!(w.len(), 1, "{pack}");
        (w[0].window, w[0].at, w[0].measured, w[0].limit)
    };
    assert_eq!(
        figures("no-aml"),
        (
            Span::new(at(sat, 0, 0), at(sun, 22, 0)),
            at(sat, 10, 15),
            16,
            15
        )
    );
    assert_eq!(
        figures("eu-wtd"),
        (
            Span::new(at(sat, 0, 0), at(mon, 0, 0)),
            at(sat, 10, 15),
            16,
            15
        )
    );
}

/// A long day reaching 10 h exactly where a break begins reached it then,
/// not when work resumed.
#[test]
fn a_long_day_is_reached_when_the_break_at_ten_hours_begins() {
    let day = d(2026, 11, 18);
    let e = run(&work(
        at(day, 8, 0),
        at(day, 18, 16),
        &[(at(day, 18, 0), at(day, 18, 15))],
    ));
    let f = patterns(&e, "pol.long_day");
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].measured, f[0].at), (601, at(day, 18, 0)));
}

/// The agreement's own maximum applies, not the default 40 %: a share of
/// 40.004 % is over an agreement of 40 % and within one of 50 % (mutation
/// run 4: `set > 0` → `<` fell back to the default unnoticed, as every
/// test's agreement was at the default).
#[test]
fn home_share_is_judged_against_the_agreements_own_maximum() {
    let mon = d(2026, 11, 2);
    let policy = EmployeePolicy {
        agreements: vec![home_agreement(d(2026, 1, 1), None, 50)],
        ..EmployeePolicy::default()
    };
    let e = run_with("no-aml", false, &home_weeks(mon, 1), &policy);
    assert_eq!(count(&e, "pol.home_share", Pattern), 0, "{:#?}", e.findings);
}
