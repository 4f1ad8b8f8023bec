//! Worked payroll examples with exact expected totals, computed by hand from
//! rules.md (§ 0 ledger, § 1 night and § 10-10 window, § 2 holidays), and
//! invariants of the figures by proptest. Pure: events are evaluated by the
//! engine, and the `PeriodInput` is built from the evaluation as the service
//! builds it.
//!
//! Europe/Oslo throughout; the default schedule is Mon–Fri 08:00–16:00 with
//! a 30 min unpaid break, 450 scheduled minutes a day.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Europe::Oslo;
use proptest::prelude::*;
use uuid::Uuid;

use super::categories::{PeriodInput, figures, lines};
use super::lines::{Category, LineKey, Totals};
use super::period::{Period, PeriodKind};
use super::settings::{PayrollSettings, Tier};
use crate::domain::engine::days::Plan;
use crate::domain::engine::evaluate::Evaluation;
use crate::domain::engine::ledger::LedgerSegment;
use crate::domain::engine::minutes::period_minutes;
use crate::domain::engine::testing::{EMPLOYEE, oslo, run_with, work};
use crate::domain::event::EffectiveEvent;
use crate::domain::local_days::start_of_day;
use crate::domain::policy::{Absence, AbsenceKind, EmployeePolicy};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn evaluate(events: &[EffectiveEvent], policy: &EmployeePolicy) -> Evaluation {
    run_with("no-aml", false, events, policy)
}

/// The figures of `first..=last` from `eval` (built as the service does).
fn figures_of(
    eval: &Evaluation,
    ledger: &[LedgerSegment],
    policy: &EmployeePolicy,
    (first, last): (NaiveDate, NaiveDate),
    employed: (NaiveDate, NaiveDate),
    s: &PayrollSettings,
) -> Totals {
    let plan = Plan::new(EMPLOYEE, policy, true);
    let input = PeriodInput {
        tz: Oslo,
        first,
        last,
        employed,
        ledger,
        days: &eval.days,
        nights: &eval.nights,
        sundays: &eval.sundays,
        plan: &plan,
        open_findings: 0,
    };
    figures(&input, s)
}

/// The figures of `first..=last`, employed throughout.
fn range_totals(
    eval: &Evaluation,
    policy: &EmployeePolicy,
    first: NaiveDate,
    last: NaiveDate,
    s: &PayrollSettings,
) -> Totals {
    figures_of(eval, &eval.ledger, policy, (first, last), (first, last), s)
}

fn period_totals(
    eval: &Evaluation,
    policy: &EmployeePolicy,
    p: &Period,
    s: &PayrollSettings,
) -> Totals {
    range_totals(eval, policy, p.first, p.last, s)
}

fn monthly(id: &str) -> Period {
    PeriodKind::Monthly.parse(id).unwrap()
}

fn semi_monthly(id: &str) -> Period {
    PeriodKind::SemiMonthly.parse(id).unwrap()
}

/// Settings with `(after_week_overtime_minutes, rate)` tiers, night and
/// Sunday/holiday rates, and every required key mapped to its default code.
fn settings(tiers: &[(i64, i32)], night_rate: i32, sunday_rate: i32) -> PayrollSettings {
    let mut s = PayrollSettings {
        tiers: tiers
            .iter()
            .map(|&(after, rate)| Tier {
                after_week_overtime_minutes: after,
                rate,
            })
            .collect(),
        night_rate,
        sunday_rate,
        ..PayrollSettings::default()
    };
    s.pay_codes = s
        .required_keys()
        .into_iter()
        .map(|k| (k, k.default_code()))
        .collect();
    s.validate().unwrap();
    s
}

fn key(c: Category) -> LineKey {
    LineKey::of(c)
}

fn ot(rate: i32) -> LineKey {
    LineKey::overtime(rate)
}

/// A totals map from `(key, minutes)`; zero lines are left out, as in
/// [`figures`].
fn expect(pairs: &[(LineKey, i64)]) -> Totals {
    pairs
        .iter()
        .filter(|(_, m)| *m != 0)
        .map(|&(k, m)| (k, (m, 0)))
        .collect()
}

fn minutes_of(t: &Totals, k: LineKey) -> i64 {
    t.get(&k).map_or(0, |v| v.0)
}

/// A working day with the 30-minute lunch break 11:30–12:00.
fn day_with_lunch(y: i32, m: u32, d: u32, end: (u32, u32)) -> Vec<EffectiveEvent> {
    work(
        oslo(y, m, d, 8, 0),
        oslo(y, m, d, end.0, end.1),
        &[(oslo(y, m, d, 11, 30), oslo(y, m, d, 12, 0))],
    )
}

fn absence(kind: AbsenceKind, first: NaiveDate, last: NaiveDate, per_day: i64) -> Absence {
    Absence {
        id: Uuid::new_v4(),
        employee: EMPLOYEE,
        kind,
        first,
        last,
        minutes_per_day: per_day,
        note: String::new(),
        created_at: DateTime::UNIX_EPOCH,
        created_by: String::new(),
        cancelled_at: None,
        cancel_reason: None,
    }
}

// ---------------------------------------------------------------------------
// 1. An overtime week: Mon 9 – Fri 13 November 2026, 08:00–18:00 with the
//    break 11:30–12:00 = 570 min a day, 2,850 min in the week.
//
//    Ledger (rules.md § 0): the daily normal limit is 9 h = 540 min, so
//    17:30–18:00 is overtime Mon–Thu (4 × 30 = 120). After Thursday the week
//    has 4 × 540 = 2,160 normal minutes; Friday reaches the weekly 2,400 after
//    240 more minutes: 08:00–11:30 (210) + 12:00–12:30 (30). Friday
//    12:30–18:00 = 330 min is overtime. OVERTIME = 120 + 330 = 450 =
//    2,850 − 2,400; NORMAL = 2,400.
//
//    November 2026 has 30 days from a Sunday: 9 weekend days, 21 weekdays,
//    no public holiday, so SCHEDULED = 21 × 450 = 9,450 and FLEX_MOVEMENT =
//    2,850 − 9,450 = −6,600. Nothing is at night (ends 18:00) or in a § 10-10
//    window (Friday is not an eve; Saturday's window opens at 18:00).
// ---------------------------------------------------------------------------

fn overtime_week() -> Vec<EffectiveEvent> {
    (9..=13)
        .flat_map(|d| day_with_lunch(2026, 11, d, (18, 0)))
        .collect()
}

#[test]
fn an_overtime_week_at_the_default_fifty_percent() {
    let policy = EmployeePolicy::default();
    let eval = evaluate(&overtime_week(), &policy);
    let s = PayrollSettings::default();
    let t = period_totals(&eval, &policy, &monthly("2026-11"), &s);
    assert_eq!(
        t,
        expect(&[
            (key(Category::Scheduled), 9450),
            (key(Category::Worked), 2850),
            (key(Category::Normal), 2400),
            (ot(50), 450),
            (key(Category::FlexMovement), -6600),
        ])
    );
    // Lines carry the default pay codes in key order.
    let codes: Vec<(String, i64)> = lines(&t, &s)
        .into_iter()
        .map(|l| (l.pay_code, l.minutes))
        .collect();
    assert_eq!(
        codes,
        [
            ("SCHEDULED", 9450),
            ("WORKED", 2850),
            ("NORMAL", 2400),
            ("OVERTIME_50", 450),
            ("FLEX_MOVEMENT", -6600),
        ]
        .map(|(c, m)| (c.to_string(), m))
    );
}

// Same week, tiers 50 % from 0 and 100 % after 600 min of overtime in the
// ISO week. The week has only 450 overtime minutes, so all stay at 50 % and
// no 100 % line appears.
//
// Adding Sat 14 Nov 09:00–13:00 (240 min, all overtime: the week already
// has its 2,400 normal minutes; 13:00 is before the 18:00 window): 690
// overtime minutes, the first 600 at 50 %, the last 90 (Sat 11:30–13:00)
// at 100 %. WORKED 3,090, NORMAL 2,400, FLEX 3,090 − 9,450 = −6,360.
// Per date: Friday alone is 570 worked, 240 normal, 330 at 50 % (the week
// reaches 450 < 600), scheduled 450, flex +120; Saturday alone is 240
// worked: 600 − 450 = 150 at 50 %, then 90 at 100 %, scheduled 0.
#[test]
fn an_overtime_week_with_a_hundred_percent_tier_after_ten_hours() {
    let policy = EmployeePolicy::default();
    let tiered = settings(&[(0, 50), (600, 100)], 0, 0);
    let nov = monthly("2026-11");

    let eval = evaluate(&overtime_week(), &policy);
    let t = period_totals(&eval, &policy, &nov, &tiered);
    assert_eq!(
        t,
        period_totals(&eval, &policy, &nov, &PayrollSettings::default())
    );
    assert_eq!(minutes_of(&t, ot(100)), 0);

    let mut events = overtime_week();
    events.extend(work(
        oslo(2026, 11, 14, 9, 0),
        oslo(2026, 11, 14, 13, 0),
        &[],
    ));
    let eval = evaluate(&events, &policy);
    assert_eq!(
        period_totals(&eval, &policy, &nov, &tiered),
        expect(&[
            (key(Category::Scheduled), 9450),
            (key(Category::Worked), 3090),
            (key(Category::Normal), 2400),
            (ot(50), 600),
            (ot(100), 90),
            (key(Category::FlexMovement), -6360),
        ])
    );
    let friday = date(2026, 11, 13);
    assert_eq!(
        range_totals(&eval, &policy, friday, friday, &tiered),
        expect(&[
            (key(Category::Scheduled), 450),
            (key(Category::Worked), 570),
            (key(Category::Normal), 240),
            (ot(50), 330),
            (key(Category::FlexMovement), 120),
        ])
    );
    let saturday = date(2026, 11, 14);
    assert_eq!(
        range_totals(&eval, &policy, saturday, saturday, &tiered),
        expect(&[
            (key(Category::Worked), 240),
            (ot(50), 150),
            (ot(100), 90),
            (key(Category::FlexMovement), 240),
        ])
    );
}

// Scheduled time counts only on employed dates; worked time always counts.
// Employed from Mon 9 Nov: the weekdays 9–13, 16–20, 23–27 and 30 = 16 ×
// 450 = 7,200, flex 2,850 − 7,200 = −4,350. Employed until Fri 13 Nov
// (deactivated): weekdays 2–6 and 9–13 = 10 × 450 = 4,500, flex −1,650.
#[test]
fn scheduled_time_counts_only_on_employed_dates() {
    let policy = EmployeePolicy::default();
    let eval = evaluate(&overtime_week(), &policy);
    let s = PayrollSettings::default();
    let nov = monthly("2026-11");
    for (employed, scheduled) in [
        ((date(2026, 11, 9), nov.last), 7200),
        ((nov.first, date(2026, 11, 13)), 4500),
    ] {
        let t = figures_of(
            &eval,
            &eval.ledger,
            &policy,
            (nov.first, nov.last),
            employed,
            &s,
        );
        assert_eq!(
            t,
            expect(&[
                (key(Category::Scheduled), scheduled),
                (key(Category::Worked), 2850),
                (key(Category::Normal), 2400),
                (ot(50), 450),
                (key(Category::FlexMovement), 2850 - scheduled),
            ]),
            "employed {employed:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// 2a. A night shift over Whitsun and 17 May: Sun 16 May 2027 19:00 → Mon
//     17 May 07:00, no break, 720 min. Easter 2027 is 28 March, so 16 May
//     is Whit Sunday (E+49) and 17 May is both Whit Monday and Constitution
//     Day. The § 10-10 window opens on Whitsun Eve (Sat 15 May) at 15:00 and
//     closes Mon 17 May 22:00 (Tue 18 May is the next working day): all
//     720 min are SUNDAY_HOLIDAY. Night 21:00–06:00 = 540 min.
//
//     Ledger: shift day Sunday, 540 normal minutes to 04:00, then
//     04:00–07:00 = 180 overtime (all on 17 May). The Sunday part is in the
//     ISO week of 10 May, the Monday part in the week of 17 May; neither has
//     other work, so the weekly limit does not bite.
//
//     May 2027: 21 weekdays, minus Ascension (Thu 6 May) and Mon 17 May =
//     19 × 450 = 8,550 scheduled (1 May is a Saturday). Flex 720 − 8,550 =
//     −7,830.
//
//     Overtime rates: default 50 % → 180 at 50. night_rate 100 → 04:00–06:00
//     (night) 120 at 100, 06:00–07:00 60 at 50. sunday_rate 150 (with or
//     without night 100) → all 180 in the window at 150.
//
//     Per date: 16 May 19:00–24:00 = 300 worked, all normal, night 180
//     (21–24), Sunday 300, scheduled 0; 17 May 00:00–07:00 = 420 worked,
//     240 normal, 180 overtime, night 360, Sunday 420, scheduled 0 (holiday).
// ---------------------------------------------------------------------------

#[test]
fn a_night_shift_over_whitsun_and_constitution_day() {
    let policy = EmployeePolicy::default();
    let eval = evaluate(
        &work(oslo(2027, 5, 16, 19, 0), oslo(2027, 5, 17, 7, 0), &[]),
        &policy,
    );
    let may = monthly("2027-05");
    let base = |overtime: &[(LineKey, i64)]| {
        let mut v = vec![
            (key(Category::Scheduled), 8550),
            (key(Category::Worked), 720),
            (key(Category::Normal), 540),
            (key(Category::Night), 540),
            (key(Category::SundayHoliday), 720),
            (key(Category::FlexMovement), -7830),
        ];
        v.extend_from_slice(overtime);
        expect(&v)
    };
    let cases = [
        (PayrollSettings::default(), vec![(ot(50), 180)]),
        (
            settings(&[(0, 50)], 100, 0),
            vec![(ot(50), 60), (ot(100), 120)],
        ),
        (settings(&[(0, 50)], 0, 150), vec![(ot(150), 180)]),
        (settings(&[(0, 50)], 100, 150), vec![(ot(150), 180)]),
    ];
    for (s, overtime) in cases {
        assert_eq!(
            period_totals(&eval, &policy, &may, &s),
            base(&overtime),
            "night {} sunday {}",
            s.night_rate,
            s.sunday_rate
        );
    }

    let s = settings(&[(0, 50)], 100, 0);
    let sunday = date(2027, 5, 16);
    assert_eq!(
        range_totals(&eval, &policy, sunday, sunday, &s),
        expect(&[
            (key(Category::Worked), 300),
            (key(Category::Normal), 300),
            (key(Category::Night), 180),
            (key(Category::SundayHoliday), 300),
            (key(Category::FlexMovement), 300),
        ])
    );
    let monday = date(2027, 5, 17);
    assert_eq!(
        range_totals(&eval, &policy, monday, monday, &s),
        expect(&[
            (key(Category::Worked), 420),
            (key(Category::Normal), 240),
            (ot(50), 60),
            (ot(100), 120),
            (key(Category::Night), 360),
            (key(Category::SundayHoliday), 420),
            (key(Category::FlexMovement), 420),
        ])
    );
}

// ---------------------------------------------------------------------------
// 2b. Christmas Eve into Christmas Day: Thu 24 Dec 2026 14:00 → Fri 25 Dec
//     02:00 with the break 18:00–18:30: 690 min worked. The window opens on
//     Christmas Eve at 15:00 (not 18:00) and runs to Sun 27 Dec 22:00:
//     15:00–18:00 (180) + 18:30–02:00 (450) = 630 SUNDAY_HOLIDAY. Night
//     21:00–02:00 = 300.
//
//     Ledger: 14:00–18:00 (240) + 18:30–23:30 (300) = 540 normal; 23:30–02:00
//     = 150 overtime, all at night and in the window.
//
//     Period 2026-12-H2 (16–31 Dec): weekdays 16–18, 21–24, 28–31 = 11 (25
//     Dec, a Friday, is a holiday; 24 Dec is an ordinary working day) →
//     4,950 scheduled, flex 690 − 4,950 = −4,260.
//
//     Rates: default 150 at 50; night 75 → 150 at 75; Sunday 100 → 150 at
//     100; night 75 + Sunday 100 → the higher, 100.
// ---------------------------------------------------------------------------

#[test]
fn christmas_eve_into_christmas_day() {
    let policy = EmployeePolicy::default();
    let eval = evaluate(
        &work(
            oslo(2026, 12, 24, 14, 0),
            oslo(2026, 12, 25, 2, 0),
            &[(oslo(2026, 12, 24, 18, 0), oslo(2026, 12, 24, 18, 30))],
        ),
        &policy,
    );
    let h2 = semi_monthly("2026-12-H2");
    for (s, rate) in [
        (PayrollSettings::default(), 50),
        (settings(&[(0, 50)], 75, 0), 75),
        (settings(&[(0, 50)], 0, 100), 100),
        (settings(&[(0, 50)], 75, 100), 100),
    ] {
        assert_eq!(
            period_totals(&eval, &policy, &h2, &s),
            expect(&[
                (key(Category::Scheduled), 4950),
                (key(Category::Worked), 690),
                (key(Category::Normal), 540),
                (ot(rate), 150),
                (key(Category::Night), 300),
                (key(Category::SundayHoliday), 630),
                (key(Category::FlexMovement), -4260),
            ])
        );
    }
}

// ---------------------------------------------------------------------------
// 3. DST nights (rules.md § 6 examples 2 and 3, without breaks).
//
//    Fall back: Sat 24 Oct 2026 22:00 → Sun 25 Oct 06:00 local is 9 h = 540
//    min elapsed (25 October is 25 h long). Sat 24 Oct gets 22:00–24:00 =
//    120, Sun 25 Oct 00:00–06:00 = 7 h = 420. Shift day 540 ≤ 540: no
//    overtime. All of it is night (21–06) and in the Sunday window (Sat
//    18:00 → Sun 22:00). October 2026: 31 days from a Thursday, 22 weekdays
//    → 9,900 scheduled; flex 540 − 9,900 = −9,360. The one-date periods are
//    weekend dates (scheduled 0), so flex = worked.
//
//    One hour earlier (Sat 21:00 → Sun 06:00 = 600 min) crosses the daily
//    limit at 05:00: 60 min overtime on 25 Oct, at night and in the window.
//
//    Spring forward: Sat 28 Mar 2026 22:00 → Sun 29 Mar 06:00 local is 7 h =
//    420 min: Sat 120, Sun 00:00–06:00 = 5 h = 300. March 2026: 31 days from
//    a Sunday, 22 weekdays (Easter is in April) → 9,900; flex −9,480.
// ---------------------------------------------------------------------------

/// Worked, normal, night and Sunday/holiday time all `m`, with `scheduled`.
fn all_night_sunday(m: i64, scheduled: i64) -> Totals {
    expect(&[
        (key(Category::Scheduled), scheduled),
        (key(Category::Worked), m),
        (key(Category::Normal), m),
        (key(Category::Night), m),
        (key(Category::SundayHoliday), m),
        (key(Category::FlexMovement), m - scheduled),
    ])
}

#[test]
fn the_fall_back_night_is_nine_hours() {
    let policy = EmployeePolicy::default();
    let s = PayrollSettings::default();
    let eval = evaluate(
        &work(oslo(2026, 10, 24, 22, 0), oslo(2026, 10, 25, 6, 0), &[]),
        &policy,
    );
    assert_eq!(
        period_totals(&eval, &policy, &monthly("2026-10"), &s),
        all_night_sunday(540, 9900)
    );
    let (sat, sun) = (date(2026, 10, 24), date(2026, 10, 25));
    assert_eq!(
        range_totals(&eval, &policy, sat, sat, &s),
        all_night_sunday(120, 0)
    );
    assert_eq!(
        range_totals(&eval, &policy, sun, sun, &s),
        all_night_sunday(420, 0)
    );

    let eval = evaluate(
        &work(oslo(2026, 10, 24, 21, 0), oslo(2026, 10, 25, 6, 0), &[]),
        &policy,
    );
    let sunday_100 = settings(&[(0, 50)], 0, 100);
    assert_eq!(
        period_totals(&eval, &policy, &monthly("2026-10"), &sunday_100),
        expect(&[
            (key(Category::Scheduled), 9900),
            (key(Category::Worked), 600),
            (key(Category::Normal), 540),
            (ot(100), 60),
            (key(Category::Night), 600),
            (key(Category::SundayHoliday), 600),
            (key(Category::FlexMovement), 600 - 9900),
        ])
    );
    assert_eq!(
        range_totals(&eval, &policy, sun, sun, &sunday_100),
        expect(&[
            (key(Category::Worked), 420),
            (key(Category::Normal), 360),
            (ot(100), 60),
            (key(Category::Night), 420),
            (key(Category::SundayHoliday), 420),
            (key(Category::FlexMovement), 420),
        ])
    );
}

#[test]
fn the_spring_forward_night_is_seven_hours() {
    let policy = EmployeePolicy::default();
    let s = PayrollSettings::default();
    let eval = evaluate(
        &work(oslo(2026, 3, 28, 22, 0), oslo(2026, 3, 29, 6, 0), &[]),
        &policy,
    );
    assert_eq!(
        period_totals(&eval, &policy, &monthly("2026-03"), &s),
        all_night_sunday(420, 9900)
    );
    let (sat, sun) = (date(2026, 3, 28), date(2026, 3, 29));
    assert_eq!(
        range_totals(&eval, &policy, sat, sat, &s),
        all_night_sunday(120, 0)
    );
    assert_eq!(
        range_totals(&eval, &policy, sun, sun, &s),
        all_night_sunday(300, 0)
    );
}

// ---------------------------------------------------------------------------
// 4. Time off in lieu and sick leave in November 2026 (21 weekdays, 9,450
//    scheduled). Absences (whole scheduled day unless a minute count):
//    - time off in lieu Wed 11 Nov → 450;
//    - sick Fri 13 – Sun 15 Nov → 450 (the weekend has no scheduled time);
//    - time off in lieu of 120 min on Fri 27 Nov, who works 08:00–14:00
//      with the lunch break = 330 min that day.
//    Every other weekday is worked 08:00–16:00 with the break = 450. Worked:
//    18 × 450 + 330 = 8,430, all normal (no day over 540, no week over
//    2,400). TIME_OFF_IN_LIEU = 450 + 120 = 570; ABSENCE (Sick) = 450.
//    FLEX_MOVEMENT = 8,430 + 570 + 450 − 9,450 = 0: an absent scheduled
//    minute counts as if worked, so the line is left out.
//
//    Deactivated on Thu 12 Nov (employed 1–12 Nov): scheduled 2–6 and 9–12
//    = 9 × 450 = 4,050; only the time off on 11 Nov counts (450); sick leave
//    on 13 Nov and the time off on 27 Nov do not; worked still counts all
//    8,430. Flex 8,430 + 450 − 4,050 = 4,830.
// ---------------------------------------------------------------------------

#[test]
fn time_off_in_lieu_and_sick_leave_count_as_if_worked() {
    let policy = EmployeePolicy {
        absences: vec![
            absence(
                AbsenceKind::TimeOffInLieu,
                date(2026, 11, 11),
                date(2026, 11, 11),
                0,
            ),
            absence(AbsenceKind::Sick, date(2026, 11, 13), date(2026, 11, 15), 0),
            absence(
                AbsenceKind::TimeOffInLieu,
                date(2026, 11, 27),
                date(2026, 11, 27),
                120,
            ),
        ],
        ..EmployeePolicy::default()
    };
    let nov = monthly("2026-11");
    let plan = Plan::new(EMPLOYEE, &policy, true);
    let mut events = Vec::new();
    let mut d = nov.first;
    while d <= nov.last {
        let day = d.day();
        if plan.day(d).scheduled > Duration::zero() && ![11, 13].contains(&day) {
            let end = if day == 27 { (14, 0) } else { (16, 0) };
            events.extend(day_with_lunch(2026, 11, day, end));
        }
        d += Duration::days(1);
    }
    let eval = evaluate(&events, &policy);
    let s = PayrollSettings::default();
    let t = period_totals(&eval, &policy, &nov, &s);
    let sick = LineKey::absence(AbsenceKind::Sick);
    assert_eq!(sick.absence, Some(AbsenceKind::Sick));
    assert_eq!(
        t,
        expect(&[
            (key(Category::Scheduled), 9450),
            (key(Category::Worked), 8430),
            (key(Category::Normal), 8430),
            (sick, 450),
            (key(Category::TimeOffInLieu), 570),
        ])
    );
    assert_eq!(minutes_of(&t, key(Category::FlexMovement)), 0);
    let codes: Vec<String> = lines(&t, &s).into_iter().map(|l| l.pay_code).collect();
    assert_eq!(
        codes,
        [
            "SCHEDULED",
            "WORKED",
            "NORMAL",
            "ABSENCE_SICK",
            "TIME_OFF_IN_LIEU"
        ]
    );

    let t = figures_of(
        &eval,
        &eval.ledger,
        &policy,
        (nov.first, nov.last),
        (nov.first, date(2026, 11, 12)),
        &s,
    );
    assert_eq!(
        t,
        expect(&[
            (key(Category::Scheduled), 4050),
            (key(Category::Worked), 8430),
            (key(Category::Normal), 8430),
            (key(Category::FlexMovement), 4830),
            (key(Category::TimeOffInLieu), 450),
        ])
    );
}

// ---------------------------------------------------------------------------
// 5. Rounding to whole minutes, half away from zero, once per local date
//    (domain::engine::minutes; issue 13 item 6: the timesheet shows the
//    same rows, so a period's lines are the sums of its rows).
//    - Mon 16 Nov 2026 08:00:20 → 16:00:50, no break: 480.5 min → 481.
//    - Tue 17 Nov 08:00:00 → 17:00:40: 540 min + 40 s; the 40 s after the
//      9 h are overtime. 540.67 → 541, split NORMAL 540, OVERTIME 1 (the
//      overtime part has the larger remainder).
//    - Wed 18 Nov 08:00:00 → 16:00:29: 480 min 29 s → 480.
//    One-date periods: Mon 481 (flex +31), Tue 541 = 540 + 1 (flex +91),
//    Wed 480 (flex +30).
//    Mon + Tue (November, without Wed): 481 + 541 = 1,022 (rounding the
//    exact 1,021 min 10 s once would give 1,021 and disagree with the
//    timesheet's rows): NORMAL 481 + 540 = 1,021, OVERTIME 1. Flex
//    1,022 − 9,450 = −8,428.
//    Mon + Tue + Wed: 481 + 541 + 480 = 1,502: NORMAL 1,501, OVERTIME 1,
//    flex 1,502 − 9,450 = −7,948.
// ---------------------------------------------------------------------------

/// Issue 13 item 6: three days of 08:00:00–15:29:40 showed 22:27 on the
/// timesheet (truncated per day) and 22:29 in payroll (rounded per period).
/// Both now read the rows rounded once per date: 3 × 450 = 1,350.
#[test]
fn timesheet_rows_and_payroll_agree_with_seconds() {
    let policy = EmployeePolicy::default();
    let mut events = Vec::new();
    for d in 16..=18 {
        events.extend(work(
            oslo(2026, 11, d, 8, 0),
            oslo(2026, 11, d, 15, 29) + Duration::seconds(40),
            &[],
        ));
    }
    let eval = evaluate(&events, &policy);
    let (first, last) = (date(2026, 11, 16), date(2026, 11, 18));
    let rows: Vec<i64> = (16..=18)
        .map(|d| {
            crate::domain::engine::minutes::DayMinutes::of(&eval.days[&date(2026, 11, d)]).worked
        })
        .collect();
    assert_eq!(rows, vec![450, 450, 450]);
    let t = range_totals(&eval, &policy, first, last, &PayrollSettings::default());
    assert_eq!(minutes_of(&t, key(Category::Worked)), 1350);
    assert_eq!(period_minutes(&eval.days, first, last).worked, 1350);
}

fn at_seconds(d: u32, h: u32, m: u32, s: i64) -> DateTime<Utc> {
    oslo(2026, 11, d, h, m) + Duration::seconds(s)
}

#[test]
fn seconds_round_half_away_from_zero_and_the_split_keeps_the_total() {
    let policy = EmployeePolicy::default();
    let s = PayrollSettings::default();
    let mon = work(at_seconds(16, 8, 0, 20), at_seconds(16, 16, 0, 50), &[]);
    let tue = work(at_seconds(17, 8, 0, 0), at_seconds(17, 17, 0, 40), &[]);
    let wed = work(at_seconds(18, 8, 0, 0), at_seconds(18, 16, 0, 29), &[]);
    let nov = monthly("2026-11");

    let all: Vec<EffectiveEvent> = [mon.clone(), tue.clone(), wed].concat();
    let eval = evaluate(&all, &policy);
    for (d, worked, normal, overtime) in [(16, 481, 481, 0), (17, 541, 540, 1), (18, 480, 480, 0)] {
        let day = date(2026, 11, d);
        assert_eq!(
            range_totals(&eval, &policy, day, day, &s),
            expect(&[
                (key(Category::Scheduled), 450),
                (key(Category::Worked), worked),
                (key(Category::Normal), normal),
                (ot(50), overtime),
                (key(Category::FlexMovement), worked - 450),
            ]),
            "{day}"
        );
    }
    assert_eq!(
        period_totals(&eval, &policy, &nov, &s),
        expect(&[
            (key(Category::Scheduled), 9450),
            (key(Category::Worked), 1502),
            (key(Category::Normal), 1501),
            (ot(50), 1),
            (key(Category::FlexMovement), 1502 - 9450),
        ])
    );

    let eval = evaluate(&[mon, tue].concat(), &policy);
    assert_eq!(
        period_totals(&eval, &policy, &nov, &s),
        expect(&[
            (key(Category::Scheduled), 9450),
            (key(Category::Worked), 1022),
            (key(Category::Normal), 1021),
            (ot(50), 1),
            (key(Category::FlexMovement), 1022 - 9450),
        ])
    );
}

// ---------------------------------------------------------------------------
// 6. Overtime tiers count per ISO week of the minute (Mon 00:00 to Mon
//    00:00, rules.md § 0), not per week of the shift day.
//
//    The overtime week of example 1 (Mon 9 – Fri 13 Nov, 450 overtime), then
//    a night shift Sun 15 Nov 20:00 → Mon 16 Nov 07:00 (660 min, no break).
//    Ledger: Sunday 20:00–24:00 (240) is overtime because the week of 9 Nov
//    already has its 2,400 normal minutes; from Mon 00:00 the week of 16 Nov
//    is fresh, the shift day has 240 minutes, so 00:00–05:00 (300) is
//    normal and 05:00–07:00 (120) is overtime (daily 9 h).
//
//    Tiers 50 % from 0, 100 % after 600. Week of 9 Nov: 450 + 240 = 690
//    overtime → 600 at 50 (the 450 of Mon–Fri and Sun 20:00–22:30), 90 at
//    100 (Sun 22:30–24:00). Week of 16 Nov: 120, its first overtime → 120
//    at 50.
//
//    November: WORKED 2,850 + 660 = 3,510, NORMAL 2,400 + 300 = 2,700,
//    OVERTIME 720 at 50 + 90 at 100 = 810. NIGHT Sun 21:00 → Mon 06:00 =
//    540. SUNDAY_HOLIDAY: the window Sat 14 Nov 18:00 → Sun 15 Nov 22:00
//    holds Sunday 20:00–22:00 = 120. Flex 3,510 − 9,450 = −5,940.
//
//    Period 2026-11-H2 (16–30 Nov): Monday 00:00–07:00 = 420 worked, 300
//    normal, 120 at 50 %, night 00:00–06:00 = 360; 11 weekdays → 4,950
//    scheduled, flex −4,530. The same with the ledger only from Monday 16
//    Nov, which PeriodInput promises is enough (the service loads two days
//    before that Monday, not the rest of the week of 9 Nov).
//
//    Tiering by the week of the shift day (the code before this test) put
//    the Monday minutes in the week of 9 Nov: November came out as 600 at
//    50 % + 210 at 100 %, and 2026-11-H2 as 120 at 100 % with the full
//    ledger but 120 at 50 % with the ledger from Monday.
// ---------------------------------------------------------------------------

#[test]
fn overtime_tiers_follow_the_iso_week_of_the_minute() {
    let policy = EmployeePolicy::default();
    let tiered = settings(&[(0, 50), (600, 100)], 0, 0);
    let mut events = overtime_week();
    events.extend(work(
        oslo(2026, 11, 15, 20, 0),
        oslo(2026, 11, 16, 7, 0),
        &[],
    ));
    let eval = evaluate(&events, &policy);
    assert_eq!(
        period_totals(&eval, &policy, &monthly("2026-11"), &tiered),
        expect(&[
            (key(Category::Scheduled), 9450),
            (key(Category::Worked), 3510),
            (key(Category::Normal), 2700),
            (ot(50), 720),
            (ot(100), 90),
            (key(Category::Night), 540),
            (key(Category::SundayHoliday), 120),
            (key(Category::FlexMovement), -5940),
        ])
    );
    let h2 = semi_monthly("2026-11-H2");
    let want = expect(&[
        (key(Category::Scheduled), 4950),
        (key(Category::Worked), 420),
        (key(Category::Normal), 300),
        (ot(50), 120),
        (key(Category::Night), 360),
        (key(Category::FlexMovement), -4530),
    ]);
    assert_eq!(period_totals(&eval, &policy, &h2, &tiered), want);
    let monday = start_of_day(Oslo, h2.first);
    let from_monday: Vec<LedgerSegment> = eval
        .ledger
        .iter()
        .filter(|l| l.span.start >= monday)
        .copied()
        .collect();
    assert_eq!(
        figures_of(
            &eval,
            &from_monday,
            &policy,
            (h2.first, h2.last),
            (h2.first, h2.last),
            &tiered,
        ),
        want
    );
}

// ---------------------------------------------------------------------------
// Invariants, by proptest.
// ---------------------------------------------------------------------------

/// Work intervals from a base Monday (28 Sep 2026, the Monday of 1
/// October's week, or 23 Feb 2026, that of 1 March) for 40 days: (day
/// offset, start minute, length in minutes, second offset, optional offset
/// of a 30-minute break).
type Shape = (i64, i64, i64, i64, Option<i64>);

fn shapes() -> impl Strategy<Value = Vec<Shape>> {
    prop::collection::vec(
        (
            0i64..40,
            0i64..1440,
            1i64..840,
            prop_oneof![Just(0i64), 0i64..60],
            prop::option::of(30i64..400),
        ),
        0..24,
    )
}

/// The base Monday: autumn (the October DST change) or spring (March's).
fn base_of(spring: bool) -> NaiveDate {
    if spring {
        date(2026, 2, 23)
    } else {
        date(2026, 9, 28)
    }
}

/// Non-overlapping intervals (at least a minute apart) as events.
fn events_of(shapes: &[Shape], spring: bool) -> Vec<EffectiveEvent> {
    let b = base_of(spring);
    let base = oslo(b.year(), b.month(), b.day(), 0, 0);
    let mut taken: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    let mut out = Vec::new();
    for &(day, start, len, sec, brk) in shapes {
        let s = base + Duration::days(day) + Duration::minutes(start) + Duration::seconds(sec);
        let e = s + Duration::minutes(len);
        let gap = Duration::minutes(1);
        if taken.iter().any(|(a, b)| s < *b + gap && *a < e + gap) {
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

/// (kind, first day offset from the base Monday, days, minutes per day or 0).
type AbsenceShape = (usize, i64, i64, i64);

fn absences_of(shapes: &[AbsenceShape], spring: bool) -> Vec<Absence> {
    const KINDS: [AbsenceKind; 4] = [
        AbsenceKind::Sick,
        AbsenceKind::Vacation,
        AbsenceKind::Leave,
        AbsenceKind::TimeOffInLieu,
    ];
    shapes
        .iter()
        .map(|&(kind, first, days, per_day)| {
            let first = base_of(spring) + Duration::days(first);
            absence(KINDS[kind], first, first + Duration::days(days), per_day)
        })
        .collect()
}

/// Lawful tiers (rates ≥ 40 %, thresholds strictly increasing from 0), and
/// night and Sunday rates (0 = none).
fn any_settings() -> impl Strategy<Value = PayrollSettings> {
    let rate = 40i32..=300;
    (
        prop::collection::vec((1i64..900, rate.clone()), 0..3),
        rate.clone(),
        prop_oneof![Just(0), rate.clone()],
        prop_oneof![Just(0), rate],
    )
        .prop_map(|(more, first_rate, night, sunday)| {
            let mut tiers = vec![(0, first_rate)];
            let mut after = 0;
            for (step, rate) in more {
                after += step;
                tiers.push((after, rate));
            }
            settings(&tiers, night, sunday)
        })
}

/// October 2026 (with the autumn DST change) cut by each period kind, or
/// March 2026 (with the spring one).
fn any_period(spring: bool) -> BoxedStrategy<Period> {
    if spring {
        return prop_oneof![
            Just(monthly("2026-03")),
            Just(semi_monthly("2026-03-H2")),
            Just(
                PeriodKind::FourWeekly {
                    anchor: date(2026, 1, 5)
                }
                .parse("2026-W10-4W")
                .unwrap()
            ),
        ]
        .boxed();
    }
    prop_oneof![
        Just(monthly("2026-10")),
        Just(semi_monthly("2026-10-H1")),
        Just(semi_monthly("2026-10-H2")),
        Just(
            PeriodKind::FourWeekly {
                anchor: date(2026, 1, 5)
            }
            .parse("2026-W42-4W")
            .unwrap()
        ),
    ]
    .boxed()
}

/// A deterministic Fisher–Yates shuffle driven by `seed` (xorshift).
fn shuffled<T: Clone>(v: &[T], mut seed: u64) -> Vec<T> {
    let mut out = v.to_vec();
    seed |= 1;
    for i in (1..out.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let j = usize::try_from(seed % (u64::try_from(i).unwrap() + 1)).unwrap();
        out.swap(i, j);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn figures_reconcile_for_any_work_and_tiers(
        (spring, period) in any::<bool>().prop_flat_map(|spring| (Just(spring), any_period(spring))),
        intervals in shapes(),
        absent in prop::collection::vec(
            (0usize..4, 0i64..40, 0i64..5, prop_oneof![Just(0i64), 1i64..450]),
            0..4,
        ),
        s in any_settings(),
        employed_cut in prop::option::of((0i64..10, 0i64..10)),
        seed in any::<u64>(),
    ) {
        let events = events_of(&intervals, spring);
        let policy = EmployeePolicy {
            absences: absences_of(&absent, spring),
            ..EmployeePolicy::default()
        };
        let employed = employed_cut.map_or((period.first, period.last), |(a, b)| {
            (period.first + Duration::days(a), period.last - Duration::days(b))
        });
        let eval = evaluate(&events, &policy);
        let range = (period.first, period.last);
        let t = figures_of(&eval, &eval.ledger, &policy, range, employed, &s);
        let m = |k: LineKey| minutes_of(&t, k);
        let worked = m(key(Category::Worked));

        let overtime: i64 = t
            .iter()
            .filter(|(k, _)| k.category == Category::Overtime)
            .map(|(_, v)| v.0)
            .sum();
        prop_assert_eq!(m(key(Category::Normal)) + overtime, worked);

        let absences: i64 = t
            .iter()
            .filter(|(k, _)| k.category == Category::Absence)
            .map(|(_, v)| v.0)
            .sum();
        prop_assert_eq!(
            m(key(Category::FlexMovement)),
            worked + absences + m(key(Category::TimeOffInLieu)) - m(key(Category::Scheduled))
        );
        prop_assert!(m(key(Category::Night)) <= worked);
        prop_assert!(m(key(Category::SundayHoliday)) <= worked);
        for (k, (minutes, count)) in &t {
            prop_assert!(*minutes >= 0 || k.category == Category::FlexMovement, "{:?}", k);
            prop_assert_eq!(*count, 0);
            // Every line the figures produce has a pay code in the settings,
            // and every overtime rate is one the settings can produce.
            prop_assert!(s.pay_codes.contains_key(k), "{:?} unmapped", k);
            if k.category == Category::Overtime {
                prop_assert!(s.rates().contains(&k.rate), "{:?}", k);
            }
        }

        // The timesheet's totals (its rows, each rounded once, summed) and
        // payroll's lines agree to the minute for any period (issue 13).
        let sheet = period_minutes(&eval.days, period.first, period.last);
        prop_assert_eq!(worked, sheet.worked);
        prop_assert_eq!(m(key(Category::Normal)), sheet.normal);
        prop_assert_eq!(overtime, sheet.overtime);
        prop_assert_eq!(m(key(Category::Night)), sheet.night);
        prop_assert_eq!(m(key(Category::SundayHoliday)), sheet.sunday_holiday);
        // And the overtime lines are the ledger's overtime in the period,
        // off by at most half a minute per date.
        let exact: Duration = eval
            .days
            .range(period.first..=period.last)
            .map(|(_, d)| d.overtime)
            .sum();
        let dates = i64::try_from(eval.days.range(period.first..=period.last).count()).unwrap();
        let diff = (Duration::minutes(overtime) - exact).num_seconds().abs();
        prop_assert!(diff <= 30 * dates, "overtime {} vs exact {:?}", overtime, exact);

        // Arrival order never matters.
        let again = evaluate(&shuffled(&events, seed), &policy);
        let u = figures_of(&again, &again.ledger, &policy, range, employed, &s);
        prop_assert_eq!(&t, &u);

        // The ledger from the Monday of `first`'s week on is enough.
        let monday = start_of_day(
            Oslo,
            crate::domain::engine::ledger::monday_of(period.first),
        );
        let from_monday: Vec<LedgerSegment> = eval
            .ledger
            .iter()
            .filter(|l| l.span.start >= monday)
            .copied()
            .collect();
        let v = figures_of(&eval, &from_monday, &policy, range, employed, &s);
        prop_assert_eq!(&t, &v);
    }
}
