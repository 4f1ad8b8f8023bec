//! Every rule firing and not firing at its threshold, one minute either side.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::domain::engine::evaluate::Evaluation;
use crate::domain::engine::finding::Severity::{self, Pattern, Violation, Warning};
use crate::domain::engine::testing::{oslo, run, run_with, work};
use crate::domain::event::EffectiveEvent;
use crate::domain::policy::EmployeePolicy;

fn count(e: &Evaluation, rule: &str, sev: Severity) -> usize {
    e.findings
        .iter()
        .filter(|f| f.rule_id == rule && f.severity == sev)
        .count()
}

fn at(day: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    use chrono::Datelike;
    oslo(day.year(), day.month(), day.day(), h, m)
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// Mon–Fri 08:00–17:45 with a 30 min break: 6 h 15 min of overtime a week.
fn overtime_weeks(first_monday: NaiveDate, weeks: i64, extra_last: i64) -> Vec<EffectiveEvent> {
    let mut events = Vec::new();
    for w in 0..weeks {
        for k in 0..5 {
            let day = first_monday + Duration::weeks(w) + Duration::days(k);
            let mut end = at(day, 17, 45);
            if w == weeks - 1 && k == 4 {
                end += Duration::minutes(extra_last);
            }
            events.extend(work(
                at(day, 8, 0),
                end,
                &[(at(day, 11, 30), at(day, 12, 0))],
            ));
        }
    }
    events
}

#[test]
fn overtime_7d_at_ten_hours() {
    let mon = d(2026, 10, 12);
    let sat = mon + Duration::days(5);
    let mut exact = overtime_weeks(mon, 1, 0); // 6 h 15 min
    exact.extend(work(at(sat, 9, 0), at(sat, 12, 45), &[])); // + 3 h 45 min = 10 h
    let mut over = overtime_weeks(mon, 1, 0);
    over.extend(work(at(sat, 9, 0), at(sat, 12, 46), &[]));
    assert_eq!(count(&run(&exact), "no.overtime_7d", Violation), 0);
    assert_eq!(
        count(&run(&exact), "no.overtime_7d", Warning),
        1,
        "10 h is over 80 %"
    );
    assert_eq!(count(&run(&over), "no.overtime_7d", Violation), 1);
    assert_eq!(
        count(&run(&over), "no.overtime_7d", Warning),
        0,
        "the violation replaces the warning"
    );
    // Its evidence: each of the six intervals with overtime in the window,
    // once (the weekdays' break splits each into two segments).
    let found = run(&over);
    let v = found
        .findings
        .iter()
        .find(|f| f.rule_id == "no.overtime_7d")
        .unwrap();
    let mut intervals: Vec<_> = v.evidence.iter().map(|e| e.interval).collect();
    assert_eq!(intervals.len(), 6, "{:?}", v.evidence);
    intervals.dedup();
    assert_eq!(intervals.len(), 6);
}

#[test]
fn overtime_7d_warning_at_eighty_percent() {
    let mon = d(2026, 10, 12);
    let sat = mon + Duration::days(5);
    let mut below = overtime_weeks(mon, 1, 0);
    below.extend(work(at(sat, 9, 0), at(sat, 10, 44), &[])); // 6:15 + 1:44 = 7:59
    let mut at_80 = overtime_weeks(mon, 1, 0);
    at_80.extend(work(at(sat, 9, 0), at(sat, 10, 45), &[])); // 8:00
    assert_eq!(count(&run(&below), "no.overtime_7d", Warning), 0);
    assert_eq!(count(&run(&at_80), "no.overtime_7d", Warning), 1);
}

#[test]
fn overtime_4w_at_twenty_five_hours() {
    let mon = d(2026, 9, 7);
    assert_eq!(
        count(
            &run(&overtime_weeks(mon, 4, 0)),
            "no.overtime_4w",
            Violation
        ),
        0
    );
    assert_eq!(
        count(
            &run(&overtime_weeks(mon, 4, 1)),
            "no.overtime_4w",
            Violation
        ),
        1
    );
}

#[test]
fn overtime_52w_at_two_hundred_hours() {
    let mon = d(2026, 1, 5);
    // 32 weeks × 6 h 15 min = 200 h.
    assert_eq!(
        count(
            &run(&overtime_weeks(mon, 32, 0)),
            "no.overtime_52w",
            Violation
        ),
        0
    );
    let e = run(&overtime_weeks(mon, 32, 1));
    assert_eq!(count(&e, "no.overtime_52w", Violation), 1);
    let f = e
        .findings
        .iter()
        .find(|f| f.rule_id == "no.overtime_52w")
        .unwrap();
    assert_eq!((f.measured, f.limit), (12001, 12000));
}

#[test]
fn total_24h_at_thirteen_hours() {
    let day = d(2026, 11, 17);
    let exact = work(
        at(day, 7, 0),
        at(day, 21, 0),
        &[(at(day, 12, 0), at(day, 13, 0))],
    );
    let over = work(
        at(day, 7, 0),
        at(day, 21, 1),
        &[(at(day, 12, 0), at(day, 13, 0))],
    );
    assert_eq!(count(&run(&exact), "no.total_24h", Violation), 0);
    assert_eq!(count(&run(&over), "no.total_24h", Violation), 1);
}

fn two_days(rest_minutes: i64) -> Vec<EffectiveEvent> {
    let day = d(2026, 11, 17);
    let end = at(day, 17, 0);
    let mut e = work(at(day, 13, 0), end, &[]);
    let next = end + Duration::minutes(rest_minutes);
    e.extend(work(next, next + Duration::hours(4), &[]));
    e
}

#[test]
fn daily_rest_at_eleven_hours() {
    assert_eq!(count(&run(&two_days(660)), "no.daily_rest", Violation), 0);
    assert_eq!(count(&run(&two_days(659)), "no.daily_rest", Violation), 1);
}

#[test]
fn weekly_rest_at_thirty_five_hours() {
    // Work 09:00–14:00 daily, one rest of `rest` in the middle of the week.
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
    assert_eq!(count(&run(&week(2100)), "no.weekly_rest", Violation), 0);
    assert_eq!(count(&run(&week(2099)), "no.weekly_rest", Violation), 1);
}

#[test]
fn breaks_at_five_and_a_half_and_eight_hours() {
    let day = d(2026, 11, 18);
    assert_eq!(
        count(
            &run(&work(at(day, 9, 0), at(day, 14, 30), &[])),
            "no.breaks",
            Violation
        ),
        0
    );
    assert_eq!(
        count(
            &run(&work(at(day, 9, 0), at(day, 14, 31), &[])),
            "no.breaks",
            Violation
        ),
        1
    );
    // 8 h worked: 30 min of breaks needed.
    let long = |brk: i64| {
        work(
            at(day, 8, 0),
            at(day, 16, 0) + Duration::minutes(brk),
            &[(at(day, 12, 0), at(day, 12, 0) + Duration::minutes(brk))],
        )
    };
    assert_eq!(count(&run(&long(30)), "no.breaks", Violation), 0);
    assert_eq!(count(&run(&long(29)), "no.breaks", Violation), 1);
}

#[test]
fn extra_break_after_more_than_two_hours_past_the_scheduled_end() {
    let day = d(2026, 11, 18);
    let b = [(at(day, 11, 30), at(day, 12, 0))];
    assert_eq!(
        count(
            &run(&work(at(day, 8, 0), at(day, 18, 0), &b)),
            "no.breaks",
            Violation
        ),
        0
    );
    assert_eq!(
        count(
            &run(&work(at(day, 8, 0), at(day, 18, 1), &b)),
            "no.breaks",
            Violation
        ),
        1
    );
    let with_extra = [
        (at(day, 11, 30), at(day, 12, 0)),
        (at(day, 16, 30), at(day, 17, 0)),
    ];
    assert_eq!(
        count(
            &run(&work(at(day, 8, 0), at(day, 18, 31), &with_extra)),
            "no.breaks",
            Violation
        ),
        0
    );
}

#[test]
fn total_7d_average_at_forty_eight_hours() {
    // Eight weeks Mon–Sat 08:00–16:30 with 30 min break = 48 h a week.
    let weeks = |extra: i64| {
        let mut e = Vec::new();
        let mon = d(2026, 8, 3);
        for w in 0..8 {
            for k in 0..6 {
                let day = mon + Duration::weeks(w) + Duration::days(k);
                let end =
                    at(day, 16, 30) + Duration::minutes(if w == 7 && k == 5 { extra } else { 0 });
                e.extend(work(
                    at(day, 8, 0),
                    end,
                    &[(at(day, 12, 0), at(day, 12, 30))],
                ));
            }
        }
        e
    };
    assert_eq!(count(&run(&weeks(0)), "no.total_7d", Violation), 0);
    assert_eq!(count(&run(&weeks(1)), "no.total_7d", Violation), 1);
}

#[test]
fn sunday_window_opens_at_18_on_saturday() {
    let sat = d(2026, 11, 14);
    assert_eq!(
        count(
            &run(&work(at(sat, 14, 0), at(sat, 18, 0), &[])),
            "no.sunday_holiday",
            Warning
        ),
        0
    );
    assert_eq!(
        count(
            &run(&work(at(sat, 14, 0), at(sat, 18, 1), &[])),
            "no.sunday_holiday",
            Warning
        ),
        1
    );
}

#[test]
fn sunday_off_next_fires_on_the_second_sunday_in_a_row() {
    let one = work(at(d(2026, 11, 15), 10, 0), at(d(2026, 11, 15), 12, 0), &[]);
    let mut two = one.clone();
    two.extend(work(
        at(d(2026, 11, 22), 10, 0),
        at(d(2026, 11, 22), 12, 0),
        &[],
    ));
    assert_eq!(count(&run(&one), "no.sunday_off_next", Warning), 0);
    assert_eq!(count(&run(&two), "no.sunday_off_next", Warning), 1);
}

#[test]
fn eu_and_de_breaks_at_six_hours() {
    let day = d(2026, 11, 18);
    let p = EmployeePolicy::default();
    let six = work(at(day, 9, 0), at(day, 15, 0), &[]);
    let more = work(at(day, 9, 0), at(day, 15, 1), &[]);
    for (pack, rule) in [("eu-wtd", "eu.breaks"), ("de-arbzg", "de.breaks")] {
        assert_eq!(
            count(&run_with(pack, false, &six, &p), rule, Violation),
            0,
            "{pack}"
        );
        assert_eq!(
            count(&run_with(pack, false, &more, &p), rule, Violation),
            1,
            "{pack}"
        );
    }
    // de: more than 9 h needs 45 min.
    let b = |m: i64| [(at(day, 12, 0), at(day, 12, 0) + Duration::minutes(m))];
    let nine_plus = |m: i64| work(at(day, 7, 0), at(day, 16, 1) + Duration::minutes(m), &b(m));
    assert_eq!(
        count(
            &run_with("de-arbzg", false, &nine_plus(45), &p),
            "de.breaks",
            Violation
        ),
        0
    );
    assert_eq!(
        count(
            &run_with("de-arbzg", false, &nine_plus(44), &p),
            "de.breaks",
            Violation
        ),
        1
    );
}

/// `de.breaks`: 45 min are required only for *more than* 9 h. Exactly 9 h
/// with 30 min (no stretch over 6 h) is lawful; 9 h 1 min with 30 min is not
/// (mutation-run survivor: `worked >= long_after`).
#[test]
fn de_breaks_need_45_minutes_only_past_nine_hours() {
    let day = d(2026, 11, 18);
    let p = EmployeePolicy::default();
    let b = [(at(day, 12, 0), at(day, 12, 30))];
    let nine = work(at(day, 7, 0), at(day, 16, 30), &b);
    let more = work(at(day, 7, 0), at(day, 16, 31), &b);
    assert_eq!(
        count(
            &run_with("de-arbzg", false, &nine, &p),
            "de.breaks",
            Violation
        ),
        0
    );
    assert_eq!(
        count(
            &run_with("de-arbzg", false, &more, &p),
            "de.breaks",
            Violation
        ),
        1
    );
}

/// When a `de.breaks` breach began: the work passing 6 h without 30 min of
/// breaks, the work passing 9 h without 45 min, or a stretch passing 6 h
/// without a break, whichever applies first.
#[test]
fn de_breaks_are_reached_when_the_missing_break_was_due() {
    let day = d(2026, 11, 18);
    let p = EmployeePolicy::default();
    let at_of = |events: &[EffectiveEvent]| -> Vec<DateTime<Utc>> {
        run_with("de-arbzg", false, events, &p)
            .findings
            .iter()
            .filter(|f| f.rule_id == "de.breaks")
            .map(|f| f.at)
            .collect()
    };
    // 7 h without a break: due when the work passed 6 h.
    assert_eq!(
        at_of(&work(at(day, 7, 0), at(day, 14, 0), &[])),
        [at(day, 13, 0)]
    );
    // 45 min of breaks early, then 7 h on end: the breaks add up, the
    // stretch does not; due when the stretch passed 6 h, not when the
    // day's work did (13:45).
    assert_eq!(
        at_of(&work(
            at(day, 7, 0),
            at(day, 15, 45),
            &[(at(day, 8, 0), at(day, 8, 45))]
        )),
        [at(day, 14, 45)]
    );
    // 9 h 30 min with 30 min: the first 30 were there at 6 h; the next 15
    // were due when the work passed 9 h.
    assert_eq!(
        at_of(&work(
            at(day, 7, 0),
            at(day, 17, 0),
            &[(at(day, 12, 0), at(day, 12, 30))]
        )),
        [at(day, 16, 30)]
    );
}

/// An evaluation judges only the windows that start in its scope: the
/// same breach a week earlier is another evaluation's. (`rules::evaluate`
/// drops drafts outside the scope, so a rule's own `in_scope` check only
/// saves work: a mutation making it `true` is equivalent.)
#[test]
fn only_windows_starting_in_scope_are_judged() {
    let (mon, next) = (d(2026, 11, 9), d(2026, 11, 16));
    let mut e = work(at(mon, 8, 0), at(mon, 14, 0), &[]);
    e.extend(work(at(next, 8, 0), at(next, 14, 0), &[]));
    let all = crate::domain::engine::testing::run_scoped(
        &e,
        crate::domain::engine::record::Span::new(at(mon, 0, 0), at(next + Duration::days(7), 0, 0)),
    );
    assert_eq!(count(&all, "no.breaks", Violation), 2);
    let second = crate::domain::engine::testing::run_scoped(
        &e,
        crate::domain::engine::record::Span::new(
            at(next, 0, 0),
            at(next + Duration::days(7), 0, 0),
        ),
    );
    assert_eq!(count(&second, "no.breaks", Violation), 1);
    assert!(
        second
            .findings
            .iter()
            .all(|f| f.window.start >= at(next, 0, 0))
    );
}

#[test]
fn de_daily_max_at_ten_hours_and_rest_at_eleven() {
    let day = d(2026, 11, 18);
    let p = EmployeePolicy::default();
    let b = [(at(day, 12, 0), at(day, 12, 45))];
    let ten = work(at(day, 7, 0), at(day, 17, 45), &b);
    let more = work(at(day, 7, 0), at(day, 17, 46), &b);
    assert_eq!(
        count(
            &run_with("de-arbzg", false, &ten, &p),
            "de.daily_max",
            Violation
        ),
        0
    );
    assert_eq!(
        count(
            &run_with("de-arbzg", false, &more, &p),
            "de.daily_max",
            Violation
        ),
        1
    );
    assert_eq!(
        count(
            &run_with("de-arbzg", false, &two_days(660), &p),
            "de.rest",
            Violation
        ),
        0
    );
    assert_eq!(
        count(
            &run_with("de-arbzg", false, &two_days(659), &p),
            "de.rest",
            Violation
        ),
        1
    );
    assert_eq!(
        count(
            &run_with("eu-wtd", false, &two_days(659), &p),
            "eu.daily_rest",
            Violation
        ),
        1
    );
}

#[test]
fn missing_clock_out_after_fourteen_hours_open() {
    use crate::domain::engine::evaluate::{History, Scope, Subject, evaluate};
    use crate::domain::engine::record::Span;
    let start = oslo(2026, 11, 18, 8, 0);
    let events = &work(start, start, &[])[..1];
    let eval = |as_of: DateTime<Utc>| {
        let subject = Subject {
            employee: crate::domain::engine::testing::EMPLOYEE,
            tz: chrono_tz::Europe::Oslo,
            pack: crate::domain::rules::pack::RulePack::NoAml,
            exempt: false,
            locale: crate::domain::employee::Locale::En,
        };
        evaluate(
            subject,
            events,
            &EmployeePolicy::default(),
            as_of,
            Scope::all(Span::new(start - Duration::days(1), as_of)),
            &History::default(),
        )
    };
    assert_eq!(
        count(
            &eval(start + Duration::minutes(14 * 60 - 1)),
            "pol.missing_clock_out",
            Pattern
        ),
        0
    );
    assert_eq!(
        count(
            &eval(start + Duration::hours(14)),
            "pol.missing_clock_out",
            Pattern
        ),
        1
    );
}

/// Four weeks with a night shift 20:00–`end` each Mon (with a 30 min break);
/// the other days are ordinary.
fn night_weeks(end_h: u32, end_m: u32) -> Vec<EffectiveEvent> {
    let mut e = Vec::new();
    let mon = d(2026, 11, 2);
    for w in 0..4 {
        let night = mon + Duration::weeks(w);
        let next = night + Duration::days(1);
        e.extend(work(
            at(night, 20, 0),
            at(next, end_h, end_m),
            &[(at(night, 23, 0), at(night, 23, 30))],
        ));
    }
    e
}

#[test]
fn night_average_at_eight_hours_per_working_day() {
    // 20:00–04:30 with 30 min break = 8 h, 7 h 30 min of it at night.
    assert_eq!(
        count(&run(&night_weeks(4, 30)), "no.night_avg", Violation),
        0
    );
    assert_eq!(
        count(&run(&night_weeks(4, 31)), "no.night_avg", Violation),
        1
    );
    let p = EmployeePolicy::default();
    assert_eq!(
        count(
            &run_with("eu-wtd", false, &night_weeks(4, 30), &p),
            "eu.night_avg",
            Violation
        ),
        0
    );
    assert_eq!(
        count(
            &run_with("eu-wtd", false, &night_weeks(4, 31), &p),
            "eu.night_avg",
            Violation
        ),
        1
    );
}

#[test]
fn eu_average_of_48_hours_over_17_weeks() {
    // 17 weeks of Mon–Sat 08:00–16:30 with 30 min break = 48 h a week.
    let weeks = |extra: i64| {
        let mut e = Vec::new();
        let mon = d(2026, 5, 4);
        for w in 0..17 {
            for k in 0..6 {
                let day = mon + Duration::weeks(w) + Duration::days(k);
                let end =
                    at(day, 16, 30) + Duration::minutes(if w == 16 && k == 5 { extra } else { 0 });
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
        count(
            &run_with("eu-wtd", false, &weeks(0), &p),
            "eu.avg_48h",
            Violation
        ),
        0
    );
    let over = run_with("eu-wtd", false, &weeks(1), &p);
    assert_eq!(count(&over, "eu.avg_48h", Violation), 1);
    // Reached when the 17 weeks' work reached 17 × 48 h: the last
    // Saturday at 16:30, its extra minute the first one over.
    let found: Vec<_> = over
        .findings
        .iter()
        .filter(|f| f.rule_id == "eu.avg_48h")
        .map(|f| f.at)
        .collect();
    assert_eq!(
        found,
        [at(
            d(2026, 5, 4) + Duration::weeks(16) + Duration::days(5),
            16,
            30
        )]
    );
}

/// A Sunday's warning is reached when the Sunday's own work starts, not
/// at midnight because of Saturday's work (a mutation run found the first
/// segment of the record could stand in).
#[test]
fn de_sunday_work_is_reached_when_it_starts() {
    let (sat, sun) = (d(2026, 11, 14), d(2026, 11, 15));
    let mut e = work(at(sat, 10, 0), at(sat, 12, 0), &[]);
    e.extend(work(at(sun, 10, 0), at(sun, 12, 0), &[]));
    let found = run_with("de-arbzg", false, &e, &EmployeePolicy::default());
    let at_of: Vec<_> = found
        .findings
        .iter()
        .filter(|f| f.rule_id == "de.sunday_holiday")
        .map(|f| f.at)
        .collect();
    assert_eq!(at_of, [at(sun, 10, 0)]);
}

#[test]
fn de_sunday_work_is_flagged_and_needs_a_substitute_day() {
    let p = EmployeePolicy::default();
    let sunday = d(2026, 11, 15);
    let mut e = work(at(sunday, 10, 0), at(sunday, 12, 0), &[]);
    assert_eq!(
        count(
            &run_with("de-arbzg", false, &e, &p),
            "de.sunday_holiday",
            Warning
        ),
        1
    );
    assert_eq!(
        count(
            &run_with("de-arbzg", false, &e, &p),
            "de.sunday_comp",
            Violation
        ),
        0,
        "days off follow"
    );
    // Work every Werktag of the two weeks after: no substitute day.
    for k in 1..=14 {
        let day = sunday + Duration::days(k);
        if k % 7 != 0 {
            e.extend(work(at(day, 9, 0), at(day, 12, 0), &[]));
        }
    }
    assert_eq!(
        count(
            &run_with("de-arbzg", false, &e, &p),
            "de.sunday_comp",
            Violation
        ),
        1
    );
}

/// A warning episode starting exactly where a violation's episode ends is
/// its own finding; a minute earlier it overlaps the violation and is not
/// raised (windows are half-open; mutation-run survivor: the overlap test
/// `w.start < v.end` → `<=` in `rolling_max_in`).
#[test]
fn a_warning_touching_a_violation_is_its_own_finding() {
    // Mon 02:00–23:00: 12 h of overtime from 11:00 (9 h normal a day).
    // A week later, 8 h of overtime (the warning's 80 %) from 11:00 + `shift`.
    let first = d(2026, 11, 2);
    let second = first + Duration::weeks(1);
    let case = |shift: i64| {
        let mut events = work(at(first, 2, 0), at(first, 23, 0), &[]);
        let start = at(second, 2, 0) + Duration::minutes(shift);
        events.extend(work(start, start + Duration::hours(17), &[]));
        run(&events)
    };
    let touching = case(0);
    assert_eq!(count(&touching, "no.overtime_7d", Violation), 1);
    let w: Vec<_> = touching
        .findings
        .iter()
        .filter(|f| f.rule_id == "no.overtime_7d" && f.severity == Warning)
        .collect();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].window.start, at(second, 11, 0));
    assert_eq!(w[0].at, at(second, 19, 0));
    assert_eq!(w[0].measured, 8 * 60);
    let overlapping = case(-1);
    assert_eq!(count(&overlapping, "no.overtime_7d", Violation), 1);
    assert_eq!(count(&overlapping, "no.overtime_7d", Warning), 0);
    // The other way round: 8 h of overtime from Mon 11:00, then 12 h from
    // the next Monday 11:00 + `shift`. The warning's episode ends where
    // the violation's begins: both are raised. A minute earlier they
    // overlap, and only the violation is.
    let reversed = |shift: i64| {
        let mut events = work(at(first, 2, 0), at(first, 19, 0), &[]);
        let start = at(second, 2, 0) + Duration::minutes(shift);
        events.extend(work(start, start + Duration::hours(21), &[]));
        run(&events)
    };
    let touching = reversed(0);
    assert_eq!(count(&touching, "no.overtime_7d", Violation), 1);
    assert_eq!(
        only(&touching, "no.overtime_7d", Warning),
        (
            at(first, 11, 0),
            at(second, 11, 0),
            at(first, 19, 0),
            8 * 60,
            10 * 60
        )
    );
    let overlapping = reversed(-1);
    assert_eq!(count(&overlapping, "no.overtime_7d", Violation), 1);
    assert_eq!(count(&overlapping, "no.overtime_7d", Warning), 0);
}

/// The one finding of `rule` with severity `sev`: its window, `at`,
/// measured and limit (exact figures, so that a boundary or an instant
/// moved by a mutation shows).
fn only(
    e: &Evaluation,
    rule: &str,
    sev: Severity,
) -> (DateTime<Utc>, DateTime<Utc>, DateTime<Utc>, i64, i64) {
    let found: Vec<_> = e
        .findings
        .iter()
        .filter(|f| f.rule_id == rule && f.severity == sev)
        .collect();
    assert_eq!(found.len(), 1, "{rule}: {:?}", fired_all(e));
    let f = found[0];
    (f.window.start, f.window.end, f.at, f.measured, f.limit)
}

fn fired_all(e: &Evaluation) -> Vec<(&'static str, Severity)> {
    crate::domain::engine::testing::fired(e)
}

/// The Norwegian maxima and minima, one minute over: the window, the
/// instant the limit was reached (`at`), and the figures.
#[test]
fn norwegian_findings_have_exact_windows_and_instants() {
    // 13 h 1 min in 24 h: 13 h reached at 21:00.
    let day = d(2026, 11, 17);
    let over = work(
        at(day, 7, 0),
        at(day, 21, 1),
        &[(at(day, 12, 0), at(day, 13, 0))],
    );
    assert_eq!(
        only(&run(&over), "no.total_24h", Violation),
        (
            at(day, 7, 0),
            at(day + Duration::days(1), 7, 0),
            at(day, 21, 0),
            781,
            780
        )
    );
    // 10 h 59 min of rest: the window from the first work, the breach at
    // the rest's end.
    let next = day + Duration::days(1);
    assert_eq!(
        only(&run(&two_days(659)), "no.daily_rest", Violation),
        (at(day, 13, 0), at(next, 13, 0), at(next, 3, 59), 659, 660)
    );
    // 5 h 31 min without a break: due at 5 h 30.
    let wed = d(2026, 11, 18);
    assert_eq!(
        only(
            &run(&work(at(wed, 9, 0), at(wed, 14, 31), &[])),
            "no.breaks",
            Violation
        ),
        (at(wed, 9, 0), at(wed, 14, 31), at(wed, 14, 30), 0, 1)
    );
    // 8 h with 29 min of breaks: due at 8 h of work.
    assert_eq!(
        only(
            &run(&work(
                at(wed, 8, 0),
                at(wed, 16, 29),
                &[(at(wed, 12, 0), at(wed, 12, 29))]
            )),
            "no.breaks",
            Violation
        ),
        (at(wed, 8, 0), at(wed, 16, 29), at(wed, 16, 29), 29, 30)
    );
    // 7 h 59 min with 29 min: no 30 min needed yet.
    assert_eq!(
        count(
            &run(&work(
                at(wed, 8, 0),
                at(wed, 16, 28),
                &[(at(wed, 12, 0), at(wed, 12, 29))]
            )),
            "no.breaks",
            Violation
        ),
        0
    );
    // Work to 18:01, more than 2 h past the scheduled 16:00, no extra break.
    assert_eq!(
        only(
            &run(&work(
                at(wed, 8, 0),
                at(wed, 18, 1),
                &[(at(wed, 11, 30), at(wed, 12, 0))]
            )),
            "no.breaks",
            Violation
        ),
        (at(wed, 16, 0), at(wed, 18, 1), at(wed, 18, 0), 0, 30)
    );
    // A minute of work in the Sunday window (Sat 18:00 to Sun 22:00):
    // reached when it opens.
    let (sat, sun) = (d(2026, 11, 14), d(2026, 11, 15));
    assert_eq!(
        only(
            &run(&work(at(sat, 14, 0), at(sat, 18, 1), &[])),
            "no.sunday_holiday",
            Warning
        ),
        (at(sat, 18, 0), at(sun, 22, 0), at(sat, 18, 0), 1, 0)
    );
    // Two Sundays in a row: the window is both, reached on the second.
    let mut two = work(at(sun, 10, 0), at(sun, 12, 0), &[]);
    let sun2 = sun + Duration::weeks(1);
    two.extend(work(at(sun2, 10, 0), at(sun2, 12, 0), &[]));
    assert_eq!(
        only(&run(&two), "no.sunday_off_next", Warning),
        (
            at(sun, 0, 0),
            at(sun2 + Duration::days(1), 0, 0),
            at(sun2, 0, 0),
            0,
            0
        )
    );
}

/// The overtime limits, one minute over: the window starts at the first
/// overtime, `at` is where the limit was reached.
#[test]
fn overtime_findings_have_exact_windows_and_instants() {
    // 6 h 15 min in the week, then Saturday: 10 h reached at 12:45.
    let mon = d(2026, 10, 12);
    let sat = mon + Duration::days(5);
    let with_sat = |end_m: u32| {
        let mut e = overtime_weeks(mon, 1, 0);
        e.extend(work(at(sat, 9, 0), at(sat, 12, end_m), &[]));
        run(&e)
    };
    assert_eq!(
        only(&with_sat(46), "no.overtime_7d", Violation),
        (
            at(mon, 17, 30),
            at(mon + Duration::days(7), 17, 30),
            at(sat, 12, 45),
            601,
            600
        )
    );
    // Exactly 10 h: a warning, reached at 8 h (10:45).
    assert_eq!(
        only(&with_sat(45), "no.overtime_7d", Warning),
        (
            at(mon, 17, 30),
            at(mon + Duration::days(7), 17, 30),
            at(sat, 10, 45),
            600,
            600
        )
    );
    // Four weeks of 6 h 15 min and a minute: 25 h reached on the last
    // Friday at 17:45.
    let mon = d(2026, 9, 7);
    let fri = mon + Duration::weeks(3) + Duration::days(4);
    assert_eq!(
        only(
            &run(&overtime_weeks(mon, 4, 1)),
            "no.overtime_4w",
            Violation
        ),
        (
            at(mon, 17, 30),
            at(mon + Duration::weeks(4), 17, 30),
            at(fri, 17, 45),
            1501,
            1500
        )
    );
}

/// The 48 h average over 8 weeks (`no.total_7d`), a minute over: the
/// window is the 8 weeks, `at` when their work reached 8 × 48 h.
#[test]
fn total_7d_average_is_reached_on_the_last_saturday() {
    let mon = d(2026, 8, 3);
    let mut e = Vec::new();
    for w in 0..8 {
        for k in 0..6 {
            let day = mon + Duration::weeks(w) + Duration::days(k);
            let end = at(day, 16, 30) + Duration::minutes(i64::from(w == 7 && k == 5));
            e.extend(work(
                at(day, 8, 0),
                end,
                &[(at(day, 12, 0), at(day, 12, 30))],
            ));
        }
    }
    let last_sat = mon + Duration::weeks(7) + Duration::days(5);
    assert_eq!(
        only(&run(&e), "no.total_7d", Violation),
        (
            at(mon, 0, 0),
            at(mon + Duration::weeks(8), 0, 0),
            at(last_sat, 16, 30),
            2880,
            2880
        )
    );
}

/// The German and EU findings, one minute over: window, `at` and figures.
#[test]
fn german_and_eu_findings_have_exact_windows_and_instants() {
    let p = EmployeePolicy::default();
    let de = |e: &[EffectiveEvent]| run_with("de-arbzg", false, e, &p);
    let eu = |e: &[EffectiveEvent]| run_with("eu-wtd", false, e, &p);
    let day = d(2026, 11, 18);
    // 10 h 1 min with a 45 min break: 10 h of work reached at 17:45.
    let more = work(
        at(day, 7, 0),
        at(day, 17, 46),
        &[(at(day, 12, 0), at(day, 12, 45))],
    );
    assert_eq!(
        only(&de(&more), "de.daily_max", Violation),
        (at(day, 7, 0), at(day, 17, 46), at(day, 17, 45), 601, 600)
    );
    // 6 h 1 min without a break: due at 6 h.
    let six = work(at(day, 9, 0), at(day, 15, 1), &[]);
    assert_eq!(
        only(&de(&six), "de.breaks", Violation),
        (at(day, 9, 0), at(day, 15, 1), at(day, 15, 0), 0, 30)
    );
    assert_eq!(
        only(&eu(&six), "eu.breaks", Violation),
        (at(day, 9, 0), at(day, 15, 1), at(day, 15, 0), 0, 15)
    );
    // 10 h 59 min of rest.
    let (first, next) = (d(2026, 11, 17), d(2026, 11, 18));
    let rest = (first_at(first), at(next, 13, 0), at(next, 3, 59), 659, 660);
    assert_eq!(only(&de(&two_days(659)), "de.rest", Violation), rest);
    assert_eq!(only(&eu(&two_days(659)), "eu.daily_rest", Violation), rest);
    // A Sunday worked and every Werktag of the two weeks after: the
    // substitute day was due by the end of the 14th day.
    let sunday = d(2026, 11, 15);
    let mut e = work(at(sunday, 10, 0), at(sunday, 12, 0), &[]);
    for k in 1..=14 {
        let day = sunday + Duration::days(k);
        if k % 7 != 0 {
            e.extend(work(at(day, 9, 0), at(day, 12, 0), &[]));
        }
    }
    let deadline = at(sunday + Duration::days(15), 0, 0);
    assert_eq!(
        only(&de(&e), "de.sunday_comp", Violation),
        (at(sunday, 0, 0), deadline, deadline, 0, 1)
    );
    // Night work 8 h 1 min a shift, four Mondays running: judged over the
    // four weeks, the figure per working day.
    let (mon, end) = (d(2026, 11, 2), d(2026, 11, 30));
    let night = (at(mon, 0, 0), at(end, 0, 0), at(end, 0, 0), 481, 480);
    assert_eq!(
        only(&run(&night_weeks(4, 31)), "no.night_avg", Violation),
        night
    );
    assert_eq!(
        only(&eu(&night_weeks(4, 31)), "eu.night_avg", Violation),
        night
    );
}

fn first_at(day: NaiveDate) -> DateTime<Utc> {
    at(day, 13, 0)
}

/// A limit reached exactly where a break begins is reached there, not
/// where work resumes: 10 h of work at 17:00 with a break 17:00–17:15
/// (`de.daily_max`), 8 h of work at 16:00 with the only break after it
/// (`no.breaks`).
#[test]
fn a_limit_reached_at_a_break_is_reached_when_the_break_begins() {
    let day = d(2026, 11, 18);
    let p = EmployeePolicy::default();
    let de = work(
        at(day, 7, 0),
        at(day, 17, 16),
        &[
            (at(day, 12, 0), at(day, 12, 45)),
            (at(day, 17, 0), at(day, 17, 15)),
        ],
    );
    // 9 h 15 min before 17:00 with the lunch: make it 10 h by starting
    // 45 min earlier.
    let de_early = work(
        at(day, 6, 15),
        at(day, 17, 16),
        &[
            (at(day, 12, 0), at(day, 12, 45)),
            (at(day, 17, 0), at(day, 17, 15)),
        ],
    );
    assert_eq!(
        count(
            &run_with("de-arbzg", false, &de, &p),
            "de.daily_max",
            Violation
        ),
        0,
        "9 h 16 min"
    );
    assert_eq!(
        only(
            &run_with("de-arbzg", false, &de_early, &p),
            "de.daily_max",
            Violation
        ),
        (at(day, 6, 15), at(day, 17, 16), at(day, 17, 0), 601, 600)
    );
    let no = work(
        at(day, 8, 0),
        at(day, 16, 30),
        &[(at(day, 16, 0), at(day, 16, 29))],
    );
    assert_eq!(
        only(&run(&no), "no.breaks", Violation),
        (at(day, 8, 0), at(day, 16, 30), at(day, 16, 0), 29, 30)
    );
}

/// A night shift has *more than* 3 h at night: four Mondays of 8 h 1 min
/// with exactly 3 h after 21:00 are no night work; 3 h 1 min are.
#[test]
fn night_average_needs_more_than_three_hours_at_night() {
    let shifts = |start: (u32, u32), end_next_day: Option<(u32, u32)>| {
        let mut e = Vec::new();
        let mon = d(2026, 11, 2);
        for w in 0..4 {
            let day = mon + Duration::weeks(w);
            let end = match end_next_day {
                Some((h, m)) => at(day + Duration::days(1), h, m),
                None => at(day + Duration::days(1), 0, 0),
            };
            e.extend(work(
                at(day, start.0, start.1),
                end,
                &[(at(day, 18, 0), at(day, 18, 30))],
            ));
        }
        e
    };
    let p = EmployeePolicy::default();
    // 15:29–24:00: 8 h 1 min, 3 h at night.
    let exactly = shifts((15, 29), None);
    // 15:30–00:01: 8 h 1 min, 3 h 1 min at night.
    let more = shifts((15, 30), Some((0, 1)));
    assert_eq!(count(&run(&exactly), "no.night_avg", Violation), 0);
    assert_eq!(count(&run(&more), "no.night_avg", Violation), 1);
    assert_eq!(
        count(
            &run_with("eu-wtd", false, &exactly, &p),
            "eu.night_avg",
            Violation
        ),
        0
    );
    assert_eq!(
        count(
            &run_with("eu-wtd", false, &more, &p),
            "eu.night_avg",
            Violation
        ),
        1
    );
    // Three night shifts in four weeks are not regular night work.
    let three: Vec<_> = more[..more.len() / 4 * 3].to_vec();
    assert_eq!(count(&run(&three), "no.night_avg", Violation), 0);
}

/// An interval left open on the *first* day of a locked period is a
/// record gap; one the day before it is not. Its finding is dated at the
/// clock-in, over the 14 h it could have run.
#[test]
fn a_record_gap_starts_on_the_locked_periods_first_day() {
    let day = d(2026, 10, 31);
    let open = &work(at(day, 8, 0), at(day, 8, 0), &[])[..1];
    let locked = |first: NaiveDate, last: NaiveDate| EmployeePolicy {
        locked: vec![(first, last)],
        ..EmployeePolicy::default()
    };
    let from_day = run_with("no-aml", false, open, &locked(day, d(2026, 11, 30)));
    assert_eq!(
        only(&from_day, "no.record", Violation),
        (at(day, 8, 0), at(day, 22, 0), at(day, 8, 0), 0, 0)
    );
    let after = run_with(
        "no-aml",
        false,
        open,
        &locked(d(2026, 11, 1), d(2026, 11, 30)),
    );
    assert_eq!(count(&after, "no.record", Violation), 0);
}

/// § 10-9 (2) at its edges: a shift starting at the scheduled end (16:00)
/// is an evening shift, not extended hours; one starting a minute earlier
/// is. A break starting exactly at the scheduled end is the extra break.
#[test]
fn extra_break_edges_at_the_scheduled_end() {
    let day = d(2026, 11, 18);
    let extra = |e: &[EffectiveEvent]| {
        run(e)
            .findings
            .iter()
            .filter(|f| f.rule_id == "no.breaks" && f.window.start == at(day, 16, 0))
            .map(|f| (f.at, f.measured, f.limit))
            .collect::<Vec<_>>()
    };
    assert_eq!(extra(&work(at(day, 16, 0), at(day, 18, 31), &[])), vec![]);
    assert_eq!(
        extra(&work(at(day, 15, 59), at(day, 18, 31), &[])),
        vec![(at(day, 18, 0), 0, 30)]
    );
    let lunch = (at(day, 11, 30), at(day, 12, 0));
    assert_eq!(
        extra(&work(
            at(day, 8, 0),
            at(day, 18, 31),
            &[lunch, (at(day, 16, 0), at(day, 16, 30))]
        )),
        vec![]
    );
    // A break starting a minute before the end is not the extra break.
    assert_eq!(
        extra(&work(
            at(day, 8, 0),
            at(day, 18, 31),
            &[lunch, (at(day, 15, 59), at(day, 16, 29))]
        )),
        vec![(at(day, 18, 0), 0, 30)]
    );
    // 29 minutes after the end are not enough: measured 29.
    assert_eq!(
        extra(&work(
            at(day, 8, 0),
            at(day, 18, 31),
            &[lunch, (at(day, 16, 30), at(day, 16, 59))]
        )),
        vec![(at(day, 18, 0), 29, 30)]
    );
}

/// `no.sunday_off_next` judged in a scope holding only the first Sunday:
/// the pair's second Sunday lies after the scope, and is still looked at
/// (mutation run 4: the look-ahead `to + 1 week` → `to − 1 week`).
#[test]
fn sunday_off_next_looks_past_the_scope_for_the_second_sunday() {
    use crate::domain::engine::record::Span;
    use crate::domain::engine::testing::run_scoped;
    let (sun, sun2) = (d(2026, 11, 15), d(2026, 11, 22));
    let mut e = work(at(sun, 10, 0), at(sun, 12, 0), &[]);
    e.extend(work(at(sun2, 10, 0), at(sun2, 12, 0), &[]));
    let first_only = run_scoped(&e, Span::new(at(sun, 0, 0), at(sun, 23, 0)));
    assert_eq!(
        only(&first_only, "no.sunday_off_next", Warning),
        (
            at(sun, 0, 0),
            at(sun2 + Duration::days(1), 0, 0),
            at(sun2, 0, 0),
            0,
            0
        )
    );
    // A scope starting after the first Sunday judges no pair.
    let later = run_scoped(&e, Span::new(at(sun, 0, 1), at(sun2, 23, 0)));
    assert_eq!(count(&later, "no.sunday_off_next", Warning), 0);
}

/// A finding whose window starts exactly at the scope's end is another
/// evaluation's (scopes are half-open): an interval left open at 08:00 in
/// a locked period is judged by the scope ending at 08:01, not by the one
/// ending at 08:00 (mutation run 4: the final scope filter `<` → `<=`).
#[test]
fn a_finding_starting_at_the_scopes_end_is_not_this_evaluations() {
    use crate::domain::engine::evaluate::{History, Scope, Subject, evaluate};
    use crate::domain::engine::record::Span;
    let day = d(2026, 10, 31);
    let open = &work(at(day, 8, 0), at(day, 8, 0), &[])[..1];
    let policy = EmployeePolicy {
        locked: vec![(d(2026, 10, 1), day)],
        ..EmployeePolicy::default()
    };
    let eval = |end: DateTime<Utc>| {
        let subject = Subject {
            employee: crate::domain::engine::testing::EMPLOYEE,
            tz: chrono_tz::Europe::Oslo,
            pack: crate::domain::rules::pack::RulePack::NoAml,
            exempt: false,
            locale: crate::domain::employee::Locale::En,
        };
        evaluate(
            subject,
            open,
            &policy,
            oslo(2030, 1, 1, 0, 0),
            Scope::all(Span::new(at(day, 0, 0), end)),
            &History::default(),
        )
    };
    assert_eq!(count(&eval(at(day, 8, 0)), "no.record", Violation), 0);
    assert_eq!(count(&eval(at(day, 8, 1)), "no.record", Violation), 1);
}

/// `eu.avg_48h` leaves sick leave and vacation out (rules.md § 3): 16
/// weeks of 48 h and a week of sick leave average exactly 48 h over the
/// 16 weeks that count; a minute more is over.
#[test]
fn eu_average_leaves_a_week_of_sick_leave_out() {
    use crate::domain::policy::{Absence, AbsenceKind};
    let mon = d(2026, 5, 4);
    let sick_week = mon + Duration::weeks(8);
    let weeks = |extra: i64| {
        let mut e = Vec::new();
        for w in (0..17).filter(|w| *w != 8) {
            for k in 0..6 {
                let day = mon + Duration::weeks(w) + Duration::days(k);
                let end =
                    at(day, 16, 30) + Duration::minutes(if w == 16 && k == 5 { extra } else { 0 });
                e.extend(work(
                    at(day, 8, 0),
                    end,
                    &[(at(day, 12, 0), at(day, 12, 30))],
                ));
            }
        }
        e
    };
    let policy = |kind: AbsenceKind| EmployeePolicy {
        absences: vec![Absence {
            id: uuid::Uuid::from_u128(9),
            employee: crate::domain::engine::testing::EMPLOYEE,
            kind,
            first: sick_week,
            last: sick_week + Duration::days(6),
            minutes_per_day: 0,
            note: String::new(),
            created_at: DateTime::UNIX_EPOCH,
            created_by: "test".into(),
            cancelled_at: None,
            cancel_reason: None,
        }],
        ..EmployeePolicy::default()
    };
    let sick = policy(AbsenceKind::Sick);
    assert_eq!(
        count(
            &run_with("eu-wtd", false, &weeks(0), &sick),
            "eu.avg_48h",
            Violation
        ),
        0
    );
    let over = run_with("eu-wtd", false, &weeks(1), &sick);
    let last_sat = mon + Duration::weeks(16) + Duration::days(5);
    assert_eq!(
        only(&over, "eu.avg_48h", Violation),
        (
            at(mon, 0, 0),
            at(mon + Duration::weeks(17), 0, 0),
            at(last_sat, 16, 30),
            2880,
            2880
        )
    );
    // Vacation is neutral too; other leave is not (its week counts as
    // 7 days with no work, so the average stays under 48 h).
    assert_eq!(
        count(
            &run_with("eu-wtd", false, &weeks(1), &policy(AbsenceKind::Vacation)),
            "eu.avg_48h",
            Violation
        ),
        1
    );
    assert_eq!(
        count(
            &run_with("eu-wtd", false, &weeks(1), &policy(AbsenceKind::Leave)),
            "eu.avg_48h",
            Violation
        ),
        0
    );
}
