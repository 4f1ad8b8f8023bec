//! Regressions from the review in issue 13 ("The law, exactly"): each test
//! failed on the code the review drove, and names the item it covers.

use chrono::{Duration, NaiveDate, NaiveTime};
use uuid::Uuid;

use crate::domain::engine::evaluate::Evaluation;
use crate::domain::engine::finding::Severity::Violation;
use crate::domain::engine::ledger::overtime_spans;
use crate::domain::engine::record::Span;
use crate::domain::engine::testing::{minutes, oslo, run, run_with, work};
use crate::domain::policy::{EmployeePolicy, HolidayKind, OrgHoliday};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn rule<'a>(e: &'a Evaluation, id: &str) -> Vec<&'a crate::domain::engine::finding::Draft> {
    e.findings.iter().filter(|f| f.rule_id == id).collect()
}

/// Item 4: 08:00–18:31 on a scheduled day (08:00–16:00) with lunch and the
/// § 10-9 (2) extra break. The extra break is working time (601 min, not
/// 571), and it is paid in the ledger as it falls, but it is not counted
/// toward the overtime limits.
#[test]
fn the_extra_break_is_working_time_but_not_toward_overtime_limits() {
    let e = run(&work(
        oslo(2026, 11, 18, 8, 0),
        oslo(2026, 11, 18, 18, 31),
        &[
            (oslo(2026, 11, 18, 11, 30), oslo(2026, 11, 18, 12, 0)),
            (oslo(2026, 11, 18, 16, 0), oslo(2026, 11, 18, 16, 30)),
        ],
    ));
    let day = e.days[&date(2026, 11, 18)];
    assert_eq!(minutes(day.worked), 601);
    // 9 h of normal time is reached at 17:30 (the extra break counts).
    assert_eq!(minutes(day.overtime), 61);
    assert!(rule(&e, "no.breaks").is_empty(), "{:#?}", e.findings);

    // An extra break inside overtime: paid as overtime, not counted in the
    // limits. 06:00–19:00, lunch 11:30–12:00, extra break 17:00–17:30.
    let e = run(&work(
        oslo(2026, 11, 18, 6, 0),
        oslo(2026, 11, 18, 19, 0),
        &[
            (oslo(2026, 11, 18, 11, 30), oslo(2026, 11, 18, 12, 0)),
            (oslo(2026, 11, 18, 17, 0), oslo(2026, 11, 18, 17, 30)),
        ],
    ));
    let day = e.days[&date(2026, 11, 18)];
    assert_eq!(minutes(day.worked), 750);
    assert_eq!(minutes(day.overtime), 210, "15:30–19:00");
    let limits: Duration = overtime_spans(&e.ledger).iter().map(Span::len).sum();
    assert_eq!(minutes(limits), 180, "the extra break is not in the limits");
    let limits: Duration = e.overtime.iter().map(Span::len).sum();
    assert_eq!(minutes(limits), 180);
}

/// Item 4, the other side: a break before the scheduled end is an ordinary
/// unpaid break, and a day that ends exactly 2 h after it owes no extra one.
#[test]
fn an_ordinary_break_stays_unpaid() {
    let e = run(&work(
        oslo(2026, 11, 18, 8, 0),
        oslo(2026, 11, 18, 18, 0),
        &[
            (oslo(2026, 11, 18, 11, 30), oslo(2026, 11, 18, 12, 0)),
            (oslo(2026, 11, 18, 16, 0), oslo(2026, 11, 18, 16, 30)),
        ],
    ));
    assert_eq!(minutes(e.days[&date(2026, 11, 18)].worked), 540);
}

/// Item 5: an organisation's eve opening the § 10-10 window at 12:00 on
/// 31 Dec; work 12:00–17:00 is 300 Sunday/holiday minutes.
#[test]
fn an_organisation_eve_counts_sunday_holiday_minutes() {
    let policy = EmployeePolicy {
        holidays: vec![OrgHoliday {
            id: Uuid::nil(),
            date: date(2026, 12, 31),
            name: "Nyttårsaften".into(),
            kind: HolidayKind::Eve,
            window_start: NaiveTime::from_hms_opt(12, 0, 0),
        }],
        ..EmployeePolicy::default()
    };
    let events = work(oslo(2026, 12, 31, 12, 0), oslo(2026, 12, 31, 17, 0), &[]);
    let e = run_with("no-aml", false, &events, &policy);
    assert_eq!(minutes(e.days[&date(2026, 12, 31)].sunday_holiday), 300);
    assert_eq!(rule(&e, "no.sunday_holiday").len(), 1);
    // Without the eve, the window opens at 18:00.
    let e = run(&events);
    assert_eq!(minutes(e.days[&date(2026, 12, 31)].sunday_holiday), 0);
}

/// Item 3: Mon 16:00–22:00, then Tue 05:00–09:00: 7 h of rest is one shift
/// (the gap is under 8 h), but `de.rest` must still see it.
#[test]
fn de_rest_sees_a_rest_under_eight_hours() {
    let mut events = work(oslo(2026, 11, 16, 16, 0), oslo(2026, 11, 16, 22, 0), &[]);
    events.extend(work(
        oslo(2026, 11, 17, 5, 0),
        oslo(2026, 11, 17, 9, 0),
        &[],
    ));
    let e = run_with("de-arbzg", false, &events, &EmployeePolicy::default());
    let f = rule(&e, "de.rest");
    assert_eq!(f.len(), 1, "{:#?}", e.findings);
    assert_eq!(f[0].severity, Violation);
    assert_eq!((f[0].measured, f[0].limit), (420, 660));
    assert_eq!(f[0].at, oslo(2026, 11, 17, 5, 0));
    let eu = run_with("eu-wtd", false, &events, &EmployeePolicy::default());
    assert_eq!(rule(&eu, "eu.daily_rest").len(), 1);
    // 11 h of rest exactly is lawful.
    let mut events = work(oslo(2026, 11, 16, 16, 0), oslo(2026, 11, 16, 22, 0), &[]);
    events.extend(work(
        oslo(2026, 11, 17, 9, 0),
        oslo(2026, 11, 17, 13, 0),
        &[],
    ));
    let e = run_with("de-arbzg", false, &events, &EmployeePolicy::default());
    assert!(rule(&e, "de.rest").is_empty(), "{:#?}", e.findings);
}

/// Item 7: `de.daily_max` for 07:00–18:00 with a 12:00–12:30 break: 10 h of
/// work is reached at 17:30, not 17:00.
#[test]
fn finding_instants_count_only_working_time() {
    let events = work(
        oslo(2026, 11, 18, 7, 0),
        oslo(2026, 11, 18, 18, 0),
        &[(oslo(2026, 11, 18, 12, 0), oslo(2026, 11, 18, 12, 30))],
    );
    let e = run_with("de-arbzg", false, &events, &EmployeePolicy::default());
    let f = rule(&e, "de.daily_max");
    assert_eq!(f.len(), 1, "{:#?}", e.findings);
    assert_eq!(f[0].at, oslo(2026, 11, 18, 17, 30));

    // Reached exactly at the end of a stretch of work: 07:00–17:00, a break,
    // then 17:30–18:00. 10 h of work are reached at 17:00 (the sum reaches
    // the limit there, as every window's `at` is found).
    let events = work(
        oslo(2026, 11, 18, 7, 0),
        oslo(2026, 11, 18, 18, 0),
        &[(oslo(2026, 11, 18, 17, 0), oslo(2026, 11, 18, 17, 30))],
    );
    let e = run_with("de-arbzg", false, &events, &EmployeePolicy::default());
    assert_eq!(rule(&e, "de.daily_max")[0].at, oslo(2026, 11, 18, 17, 0));

    // `eu.breaks`: 6 h of work with a break too short to count is reached
    // at 13:10 for 07:00–14:00 with a 10 min break at 10:00.
    let events = work(
        oslo(2026, 11, 18, 7, 0),
        oslo(2026, 11, 18, 14, 0),
        &[(oslo(2026, 11, 18, 10, 0), oslo(2026, 11, 18, 10, 10))],
    );
    let e = run_with("eu-wtd", false, &events, &EmployeePolicy::default());
    let f = rule(&e, "eu.breaks");
    assert_eq!(f.len(), 1, "{:#?}", e.findings);
    assert_eq!(f[0].at, oslo(2026, 11, 18, 13, 10));

    // `de.breaks`: 07:00–14:00 with the same 10 min break (no block of
    // 15 min): more than 6 h of work from 13:10.
    let e = run_with("de-arbzg", false, &events, &EmployeePolicy::default());
    let f = rule(&e, "de.breaks");
    assert_eq!(f.len(), 1, "{:#?}", e.findings);
    assert_eq!(f[0].at, oslo(2026, 11, 18, 13, 10));
}

/// Item 2: an 8-week averaging period at 45 h a week (normal time under
/// the agreement's caps) breaks the 40 h average. A recompute after the
/// period loads about five weeks of events; the weeks it did not load come
/// from stored day totals, and the finding is raised all the same.
#[test]
fn averaging_reads_stored_totals_for_weeks_not_loaded() {
    use crate::domain::engine::evaluate::{History, Scope, evaluate};
    use crate::domain::engine::ledger::overtime_spans_by_day;
    use crate::domain::engine::testing::EMPLOYEE;
    use crate::domain::policy::{Agreement, AgreementBasis, AgreementTerms};
    use chrono::{DateTime, Datelike};
    use chrono_tz::Europe::Oslo;

    let first = date(2026, 9, 7);
    let policy = EmployeePolicy {
        agreements: vec![Agreement {
            id: Uuid::nil(),
            employee: EMPLOYEE,
            basis: AgreementBasis::Individual,
            valid_from: first,
            valid_to: None,
            reference: "avg-8".into(),
            terms: AgreementTerms::Averaging {
                period_weeks: 8,
                daily_cap_minutes: 600,
                weekly_cap_minutes: 2880,
            },
            created_at: DateTime::UNIX_EPOCH,
            created_by: String::new(),
            ended_at: None,
            end_reason: None,
        }],
        ..EmployeePolicy::default()
    };
    let at = |d: NaiveDate, h, m| oslo(d.year(), d.month(), d.day(), h, m);
    let mut events = Vec::new();
    for w in 0..9 {
        for k in 0..5 {
            let day = first + Duration::weeks(w) + Duration::days(k);
            events.extend(work(
                at(day, 8, 0),
                at(day, 17, 30),
                &[(at(day, 12, 0), at(day, 12, 30))],
            ));
        }
    }
    let full = run_with("no-aml", false, &events, &policy);
    assert_eq!(rule(&full, "no.averaging").len(), 1, "{:#?}", full.findings);

    // A recompute of a change in week 9: events from week 5 on (with two
    // days' margin), the ledger exact from week 5's Monday.
    let trusted_from = at(first + Duration::weeks(4), 0, 0);
    let as_of = oslo(2030, 1, 1, 0, 0);
    let loaded = loaded_for(&events, trusted_from);
    let mut history = History {
        trusted: Some(Span::new(trusted_from, as_of)),
        ..History::default()
    };
    let mut by_day = overtime_spans_by_day(Oslo, &full.ledger);
    for (day, t) in full.days.range(..first + Duration::weeks(4)) {
        history.add_day(
            *day,
            t.worked,
            t.normal,
            &by_day.remove(day).unwrap_or_default(),
        );
    }
    let subject = crate::domain::engine::testing::oslo_subject();
    let scope = Scope {
        short: Span::new(trusted_from, as_of),
        long: Span::new(oslo(2026, 1, 1, 0, 0), as_of),
    };
    let part = evaluate(subject, &loaded, &policy, as_of, scope, &history);
    let f = rule(&part, "no.averaging");
    assert_eq!(f.len(), 1, "{:#?}", part.findings);
    assert_eq!(f[0].measured, 45 * 60);
}

fn count(e: &Evaluation, id: &str) -> usize {
    rule(e, id).len()
}

/// Mon–Fri 07:00–17:00 with a 30 min break and Sat 09:00–10:00: 8 h 30 min
/// of overtime a week.
fn overtime_weeks(
    first_monday: NaiveDate,
    weeks: i64,
) -> Vec<crate::domain::event::EffectiveEvent> {
    use chrono::Datelike;
    let at = |d: NaiveDate, h, m| oslo(d.year(), d.month(), d.day(), h, m);
    let mut events = Vec::new();
    for w in 0..weeks {
        for k in 0..5 {
            let day = first_monday + Duration::weeks(w) + Duration::days(k);
            events.extend(work(
                at(day, 7, 0),
                at(day, 17, 0),
                &[(at(day, 11, 30), at(day, 12, 0))],
            ));
        }
        let sat = first_monday + Duration::weeks(w) + Duration::days(5);
        events.extend(work(at(sat, 9, 0), at(sat, 10, 0), &[]));
    }
    events
}

fn agreement(
    terms: crate::domain::policy::AgreementTerms,
    basis: crate::domain::policy::AgreementBasis,
    from: NaiveDate,
) -> crate::domain::policy::Agreement {
    crate::domain::policy::Agreement {
        id: Uuid::nil(),
        employee: crate::domain::engine::testing::EMPLOYEE,
        basis,
        valid_from: from,
        valid_to: None,
        reference: "ref".into(),
        terms,
        created_at: chrono::DateTime::UNIX_EPOCH,
        created_by: String::new(),
        ended_at: None,
        end_reason: None,
    }
}

/// The events a recompute loads for a ledger exact from `trusted_from`:
/// those from two days before it (a shift running into it is whole).
fn loaded_for(
    events: &[crate::domain::event::EffectiveEvent],
    trusted_from: chrono::DateTime<chrono::Utc>,
) -> Vec<crate::domain::event::EffectiveEvent> {
    events
        .iter()
        .filter(|e| e.occurred_at >= trusted_from - crate::domain::clock_status::SHIFT_MARGIN)
        .cloned()
        .collect()
}

/// An individual averaging agreement from `from`: 8-week periods, the
/// daily and weekly caps at their highest (10 h, 48 h).
fn eight_week_averaging(from: NaiveDate) -> crate::domain::policy::Agreement {
    agreement(
        crate::domain::policy::AgreementTerms::Averaging {
            period_weeks: 8,
            daily_cap_minutes: 600,
            weekly_cap_minutes: 2880,
        },
        crate::domain::policy::AgreementBasis::Individual,
        from,
    )
}

/// Item 8: Arbeidstilsynet's 200 h per 26 weeks (§ 10-6 (6)) is enforced
/// when a permission sets it: 26 weeks of 8 h 30 min is 221 h.
#[test]
fn the_26_week_overtime_limit_of_a_permission_is_enforced() {
    use crate::domain::policy::{AgreementBasis, AgreementTerms};
    let first = date(2026, 1, 5);
    let policy = EmployeePolicy {
        agreements: vec![agreement(
            AgreementTerms::ExtendedOvertime {
                limit_7d_minutes: 1500,
                limit_4w_minutes: 0,
                limit_52w_minutes: 0,
                limit_26w_minutes: 12000,
            },
            AgreementBasis::LabourInspectorate,
            first,
        )],
        ..EmployeePolicy::default()
    };
    let over = run_with("no-aml", false, &overtime_weeks(first, 26), &policy);
    let f = rule(&over, "no.overtime_26w");
    let violations: Vec<_> = f.iter().filter(|f| f.severity == Violation).collect();
    assert_eq!(violations.len(), 1, "{f:#?}");
    assert_eq!(violations[0].limit, 12000);
    // 23 weeks are 195 h 30 min: under the limit.
    let under = run_with("no-aml", false, &overtime_weeks(first, 23), &policy);
    assert!(
        rule(&under, "no.overtime_26w")
            .iter()
            .all(|f| f.severity != Violation)
    );
    // Without a permission the rule does not run.
    assert_eq!(
        count(&run(&overtime_weeks(first, 26)), "no.overtime_26w"),
        0
    );
}

/// Item 8: under an individual averaging agreement no single ISO week may
/// hold more than 50 h (§ 10-5 (1)).
#[test]
fn an_averaging_agreement_caps_a_single_week_at_50_hours() {
    let mon = date(2026, 11, 16);
    let policy = EmployeePolicy {
        agreements: vec![eight_week_averaging(mon)],
        ..EmployeePolicy::default()
    };
    let week = |extra: i64| {
        let mut events = Vec::new();
        for k in 0..5 {
            let d = 16 + k;
            let mut end = oslo(2026, 11, d, 18, 0);
            if k == 4 {
                end += Duration::minutes(extra);
            }
            events.extend(work(
                oslo(2026, 11, d, 7, 30),
                end,
                &[(oslo(2026, 11, d, 11, 30), oslo(2026, 11, d, 12, 0))],
            ));
        }
        events
    };
    // 5 × 10 h = 50 h: lawful; one minute more is not.
    let exact = run_with("no-aml", false, &week(0), &policy);
    assert_eq!(
        count(&exact, "no.averaging_week"),
        0,
        "{:#?}",
        exact.findings
    );
    let over = run_with("no-aml", false, &week(1), &policy);
    let f = rule(&over, "no.averaging_week");
    assert_eq!(f.len(), 1, "{:#?}", over.findings);
    assert_eq!((f[0].measured, f[0].limit), (3001, 3000));
    assert_eq!(f[0].at, oslo(2026, 11, 20, 18, 0));
    // Without an agreement the 50 h cap is not this rule's business.
    assert_eq!(count(&run(&week(1)), "no.averaging_week"), 0);
    // An agreement covers the weeks it is in force on at least one day:
    // one from the week's Sunday covers it, one from the next Monday does
    // not (a mutation run found `<` → `<=` unnoticed).
    for (from, found) in [(date(2026, 11, 22), 1), (date(2026, 11, 23), 0)] {
        let mut p = policy.clone();
        p.agreements[0].valid_from = from;
        assert_eq!(
            count(
                &run_with("no-aml", false, &week(1), &p),
                "no.averaging_week"
            ),
            found,
            "from {from}"
        );
    }
}

/// Item 8: after work on a holiday that falls on a Werktag, a substitute
/// day off is due within 8 weeks (`ArbZG` § 11 (3)).
#[test]
fn de_holiday_work_needs_a_substitute_day_within_eight_weeks() {
    use chrono::Datelike;
    let holiday = date(2026, 11, 18); // a Wednesday
    let policy = EmployeePolicy {
        holidays: vec![OrgHoliday {
            id: Uuid::nil(),
            date: holiday,
            name: "Buß- und Bettag".into(),
            kind: HolidayKind::Public,
            window_start: None,
        }],
        ..EmployeePolicy::default()
    };
    let at = |d: NaiveDate, h| oslo(d.year(), d.month(), d.day(), h, 0);
    let events_with_free = |free: Option<i64>| {
        let mut events = work(at(holiday, 9), at(holiday, 12), &[]);
        for k in 1..=56 {
            let day = holiday + Duration::days(k);
            if day.weekday() != chrono::Weekday::Sun && Some(k) != free {
                events.extend(work(at(day, 9), at(day, 12), &[]));
            }
        }
        events
    };
    let none_free = run_with("de-arbzg", false, &events_with_free(None), &policy);
    let f = rule(&none_free, "de.sunday_comp");
    assert_eq!(f.len(), 1, "{:#?}", none_free.findings);
    assert_eq!(f[0].at, oslo(2027, 1, 14, 0, 0));
    // A free Werktag in the eighth week is a substitute.
    let free = run_with("de-arbzg", false, &events_with_free(Some(52)), &policy);
    assert_eq!(count(&free, "de.sunday_comp"), 0, "{:#?}", free.findings);
}

/// Item 8: at least 15 Sundays a year stay free (`ArbZG` § 11 (1)). 2026 has
/// 52 Sundays: work on 37 is lawful, the 38th leaves 14.
#[test]
fn de_fifteen_sundays_a_year_stay_free() {
    use chrono::Datelike;
    let sundays = |n: i64| {
        let mut events = Vec::new();
        for k in 0..n {
            let d = date(2026, 1, 4) + Duration::weeks(k);
            events.extend(work(
                oslo(d.year(), d.month(), d.day(), 9, 0),
                oslo(d.year(), d.month(), d.day(), 11, 0),
                &[],
            ));
        }
        events
    };
    let p = EmployeePolicy::default();
    assert_eq!(
        count(
            &run_with("de-arbzg", false, &sundays(37), &p),
            "de.sundays_off"
        ),
        0
    );
    let e = run_with("de-arbzg", false, &sundays(38), &p);
    let f = rule(&e, "de.sundays_off");
    assert_eq!(f.len(), 1, "{:#?}", e.findings);
    assert_eq!((f[0].measured, f[0].limit), (14, 15));
    assert_eq!(f[0].at, oslo(2026, 9, 20, 0, 0));
    // Its evidence is the work of that Sunday, and only that.
    let ev: Vec<_> = f[0].evidence.iter().map(|e| (e.start, e.end)).collect();
    assert_eq!(
        ev,
        [(
            Some(oslo(2026, 9, 20, 9, 0)),
            Some(oslo(2026, 9, 20, 11, 0))
        )]
    );
}

/// Item 9: an override applies from its effective date, like a schedule.
/// Daily rest of 10 h 30 min twice; an override to 10 h from 20 Nov makes
/// only the second lawful, and each window is judged by its own date.
#[test]
fn an_override_applies_from_its_effective_date() {
    use crate::domain::policy::{OverrideScope, RuleOverride, ValueUnit};
    let mut events = Vec::new();
    for (a, b) in [(17, 18), (23, 24)] {
        events.extend(work(
            oslo(2026, 11, a, 12, 0),
            oslo(2026, 11, a, 22, 30),
            &[(oslo(2026, 11, a, 17, 0), oslo(2026, 11, a, 17, 30))],
        ));
        events.extend(work(oslo(2026, 11, b, 9, 0), oslo(2026, 11, b, 12, 0), &[]));
    }
    let o = |from: NaiveDate| RuleOverride {
        id: Uuid::nil(),
        scope: OverrideScope::Organisation,
        rule_pack: crate::domain::rules::pack::RulePack::NoAml,
        rule_id: "no.daily_rest".into(),
        parameter: "min_rest".into(),
        value: 600,
        unit: ValueUnit::Minutes,
        reason: "tariff".into(),
        effective_from: from,
        updated_at: chrono::DateTime::UNIX_EPOCH,
        updated_by: String::new(),
    };
    let rests = |p: &EmployeePolicy| -> Vec<NaiveDate> {
        let e = run_with("no-aml", false, &events, p);
        rule(&e, "no.daily_rest")
            .iter()
            .map(|f| crate::domain::local_days::local_date(chrono_tz::Europe::Oslo, f.window.start))
            .collect()
    };
    let none = EmployeePolicy::default();
    assert_eq!(rests(&none), vec![date(2026, 11, 17), date(2026, 11, 23)]);
    let always = EmployeePolicy {
        overrides: vec![o(crate::domain::policy::always())],
        ..EmployeePolicy::default()
    };
    assert_eq!(rests(&always), Vec::<NaiveDate>::new());
    let from_20 = EmployeePolicy {
        overrides: vec![o(date(2026, 11, 20))],
        ..EmployeePolicy::default()
    };
    assert_eq!(rests(&from_20), vec![date(2026, 11, 17)]);
    // In force on its effective date itself.
    let from_23 = EmployeePolicy {
        overrides: vec![o(date(2026, 11, 23))],
        ..EmployeePolicy::default()
    };
    assert_eq!(rests(&from_23), vec![date(2026, 11, 17)]);
    let from_24 = EmployeePolicy {
        overrides: vec![o(date(2026, 11, 24))],
        ..EmployeePolicy::default()
    };
    assert_eq!(
        rests(&from_24),
        vec![date(2026, 11, 17), date(2026, 11, 23)]
    );
}

/// Mutation-run survivors, killed: a gap of exactly 8 h ends a shift
/// (rules.md § 5.7); 8 h less a minute does not.
#[test]
fn a_gap_of_eight_hours_ends_a_shift() {
    let shifts = |gap: i64| {
        let end = oslo(2026, 11, 18, 12, 0);
        let mut events = work(oslo(2026, 11, 18, 8, 0), end, &[]);
        let next = end + Duration::minutes(gap);
        events.extend(work(next, next + Duration::hours(2), &[]));
        run(&events).record.shifts.len()
    };
    assert_eq!(shifts(480), 2);
    assert_eq!(shifts(479), 1);
}

/// Mutation-run survivors, killed: the loaded days count inside `trusted`
/// only; outside it the stored history stands in, and no date counts twice.
#[test]
fn loaded_days_and_history_meet_without_overlap() {
    use crate::domain::engine::evaluate::{History, Scope, evaluate};
    use crate::domain::engine::ledger::overtime_spans_by_day;
    use chrono::Datelike;
    use chrono_tz::Europe::Oslo;
    let mut events = Vec::new();
    for k in 0..21 {
        let day = date(2026, 11, 2) + Duration::days(k);
        let at = |h| oslo(day.year(), day.month(), day.day(), h, 0);
        events.extend(work(at(8), at(17), &[]));
    }
    let full = run(&events);
    let trusted = Span::new(oslo(2026, 11, 9, 0, 0), oslo(2026, 11, 16, 0, 0));
    let mut history = History {
        trusted: Some(trusted),
        ..History::default()
    };
    let mut by_day = overtime_spans_by_day(Oslo, &full.ledger);
    for (day, t) in &full.days {
        if *day < date(2026, 11, 9) || *day >= date(2026, 11, 16) {
            history.add_day(
                *day,
                t.worked,
                t.normal,
                &by_day.remove(day).unwrap_or_default(),
            );
        }
    }
    let subject = crate::domain::engine::testing::oslo_subject();
    let part = evaluate(
        subject,
        &events,
        &EmployeePolicy::default(),
        oslo(2030, 1, 1, 0, 0),
        Scope::none(),
        &history,
    );
    assert_eq!(part.weekly_worked, full.weekly_worked);
    assert_eq!(part.daily_worked, full.daily_worked);
    assert_eq!(part.overtime, full.overtime);
}

/// Issue 15, twelfth round: whole weeks of history given as week rows
/// (`History::add_week`, what `week_totals` stores) judge the long windows
/// as the same weeks given day by day do, for a subject whose rules read no
/// history per date (`needs_daily_history`). 40 weeks of Mon–Fri
/// 08:00–18:30 break the 200 h of overtime per 52 weeks; a recompute in
/// week 31 loads from week 31 and reads the 30 weeks before as history.
#[test]
fn week_rows_judge_long_windows_as_day_rows_do() {
    use std::collections::BTreeMap;

    use crate::domain::engine::evaluate::{History, Scope, evaluate, needs_daily_history};
    use crate::domain::engine::ledger::{monday_of, overtime_spans_by_day};
    use crate::domain::rules::pack::RulePack;
    use chrono::Datelike;
    use chrono_tz::Europe::Oslo;

    let first = date(2026, 1, 5);
    let at = |d: NaiveDate, h, m| oslo(d.year(), d.month(), d.day(), h, m);
    let mut events = Vec::new();
    for k in 0..40 * 7 {
        let day = first + Duration::days(k);
        if day.weekday().number_from_monday() <= 5 {
            events.extend(work(at(day, 8, 0), at(day, 18, 30), &[]));
        }
    }
    let policy = EmployeePolicy::default();
    assert!(!needs_daily_history(RulePack::NoAml, &policy));
    let full = run_with("no-aml", false, &events, &policy);
    let full_52w = rule(&full, "no.overtime_52w");
    assert_eq!(full_52w.len(), 1, "{:#?}", full.findings);

    let loaded_from = first + Duration::weeks(30);
    let trusted_from = at(loaded_from, 0, 0);
    let as_of = oslo(2030, 1, 1, 0, 0);
    let loaded = loaded_for(&events, trusted_from);
    let empty = History {
        trusted: Some(Span::new(trusted_from, as_of)),
        ..History::default()
    };
    let (mut by_day, mut by_week) = (empty.clone(), empty);
    let mut spans = overtime_spans_by_day(Oslo, &full.ledger);
    let mut weeks: BTreeMap<NaiveDate, (Duration, Vec<Span>)> = BTreeMap::new();
    for (day, t) in full.days.range(..loaded_from) {
        let day_spans = spans.remove(day).unwrap_or_default();
        by_day.add_day(*day, t.worked, t.normal, &day_spans);
        let week = weeks.entry(monday_of(*day)).or_default();
        week.0 += t.worked;
        week.1.extend(day_spans);
    }
    assert_eq!(weeks.len(), 30);
    for (monday, (worked, week_spans)) in &weeks {
        by_week.add_week(*monday, *worked, week_spans);
    }
    let subject = crate::domain::engine::testing::oslo_subject();
    let scope = Scope {
        short: Span::new(trusted_from, as_of),
        long: Span::new(oslo(2025, 1, 1, 0, 0), as_of),
    };
    let days = evaluate(subject, &loaded, &policy, as_of, scope, &by_day);
    let weeks = evaluate(subject, &loaded, &policy, as_of, scope, &by_week);
    assert_eq!(weeks.findings, days.findings);
    assert_eq!(weeks.weekly_worked, days.weekly_worked);
    assert_eq!(weeks.overtime, days.overtime);
    let part_52w = rule(&weeks, "no.overtime_52w");
    assert_eq!(part_52w.len(), 1, "{:#?}", weeks.findings);
    assert_eq!(
        (part_52w[0].at, part_52w[0].measured),
        (full_52w[0].at, full_52w[0].measured)
    );
}

/// Per-date history is read for the rules that need it: the `de-arbzg`
/// Sunday count and an averaging agreement's periods.
#[test]
fn daily_history_is_read_where_a_rule_counts_dates() {
    use crate::domain::engine::evaluate::needs_daily_history;
    use crate::domain::rules::pack::RulePack;
    let averaging = EmployeePolicy {
        agreements: vec![eight_week_averaging(date(2026, 1, 5))],
        ..EmployeePolicy::default()
    };
    let none = EmployeePolicy::default();
    assert!(needs_daily_history(RulePack::DeArbzg, &none));
    assert!(needs_daily_history(RulePack::NoAml, &averaging));
    assert!(needs_daily_history(RulePack::EuWtd, &averaging));
    assert!(!needs_daily_history(RulePack::NoAml, &none));
    assert!(!needs_daily_history(RulePack::EuWtd, &none));
}

/// Only a clocked break is paid as the § 10-9 (2) extra break. 08:00–17:15
/// with lunch 11:30–12:00 and a clocked extra break 16:00–16:30, clocked
/// out 17:15–18:00, back 18:00–19:00. The clock-out (45 min) is the longest
/// stretch after the scheduled end (16:00); were it chosen as the extra
/// break, nothing would be paid, since a clock-out is never working time.
/// The clocked 30 minutes are paid: 495 + 30 + 60 = 585 minutes.
#[test]
fn a_clock_out_does_not_take_the_pay_from_a_clocked_extra_break() {
    let mut events = work(
        oslo(2026, 11, 18, 8, 0),
        oslo(2026, 11, 18, 17, 15),
        &[
            (oslo(2026, 11, 18, 11, 30), oslo(2026, 11, 18, 12, 0)),
            (oslo(2026, 11, 18, 16, 0), oslo(2026, 11, 18, 16, 30)),
        ],
    );
    events.extend(work(
        oslo(2026, 11, 18, 18, 0),
        oslo(2026, 11, 18, 19, 0),
        &[],
    ));
    let e = run(&events);
    let day = e.days[&date(2026, 11, 18)];
    assert_eq!(minutes(day.worked), 585);
    assert!(rule(&e, "no.breaks").is_empty(), "{:#?}", e.findings);
}

/// `no.averaging` at its edges: 8 weeks of exactly 40 h of normal time are
/// lawful and a minute more is not; an agreement that ends with its first
/// period is judged for that period (mutation run 4: `normal >= limit` and
/// `start < to` went unnoticed).
#[test]
fn averaging_at_exactly_forty_hours_and_with_an_end_date() {
    use chrono::Datelike;
    let first = date(2026, 9, 7);
    let policy = |to: Option<NaiveDate>| {
        let mut a = eight_week_averaging(first);
        a.valid_to = to;
        EmployeePolicy {
            agreements: vec![a],
            ..EmployeePolicy::default()
        }
    };
    let at = |d: NaiveDate, h, m| oslo(d.year(), d.month(), d.day(), h, m);
    // Mon–Fri 08:00–16:30 with 30 min of break: 40 h a week.
    let weeks = |extra: i64| {
        let mut events = Vec::new();
        for w in 0..8 {
            for k in 0..5 {
                let day = first + Duration::weeks(w) + Duration::days(k);
                let mut end = at(day, 16, 30);
                if w == 7 && k == 4 {
                    end += Duration::minutes(extra);
                }
                events.extend(work(
                    at(day, 8, 0),
                    end,
                    &[(at(day, 12, 0), at(day, 12, 30))],
                ));
            }
        }
        events
    };
    assert_eq!(
        count(
            &run_with("no-aml", false, &weeks(0), &policy(None)),
            "no.averaging"
        ),
        0
    );
    let over = run_with("no-aml", false, &weeks(1), &policy(None));
    let f = rule(&over, "no.averaging");
    assert_eq!(f.len(), 1, "{:#?}", over.findings);
    let end = at(first + Duration::weeks(8), 0, 0);
    assert_eq!(
        (f[0].window, f[0].at, f[0].measured, f[0].limit),
        (Span::new(at(first, 0, 0), end), end, 2400, 2400)
    );
    // Ending on the period's last day: that period is still judged.
    let last_day = first + Duration::weeks(8) - Duration::days(1);
    assert_eq!(
        count(
            &run_with("no-aml", false, &weeks(1), &policy(Some(last_day))),
            "no.averaging"
        ),
        1
    );
}

/// `no.averaging_week` judges only weeks the agreement is in force on:
/// one that ended the Sunday before does not cover the week, one ending on
/// its Monday does (mutation run 4: `*monday > to` → `==`).
#[test]
fn an_averaging_agreement_ended_before_a_week_does_not_cap_it() {
    let mut a = eight_week_averaging(date(2026, 11, 2));
    // 5 × 10 h 1 min in the week from Mon 16 Nov: over the 50 h cap.
    let mut events = Vec::new();
    for d in 16..21 {
        events.extend(work(
            oslo(2026, 11, d, 7, 30),
            oslo(2026, 11, d, 18, 1),
            &[(oslo(2026, 11, d, 11, 30), oslo(2026, 11, d, 12, 0))],
        ));
    }
    for (to, found) in [(date(2026, 11, 15), 0), (date(2026, 11, 16), 1)] {
        a.valid_to = Some(to);
        let p = EmployeePolicy {
            agreements: vec![a.clone()],
            ..EmployeePolicy::default()
        };
        assert_eq!(
            count(&run_with("no-aml", false, &events, &p), "no.averaging_week"),
            found,
            "to {to}"
        );
    }
}

/// An averaging period is judged from the agreement's first day in
/// periods while the agreement is in force on the period's first day: one
/// ending on the first day of the second period still has it judged (its
/// first week keeps the agreement's caps: 46 h of normal time), and a
/// period is judged once it has ended, at `as_of` exactly its end too
/// (mutation run 4: `start > to` → `==`, `end > as_of` → `>=`).
#[test]
fn an_averaging_period_is_judged_from_its_first_day_and_once_it_has_ended() {
    use crate::domain::employee::Locale;
    use crate::domain::engine::evaluate::{History, Scope, Subject, evaluate};
    use crate::domain::engine::testing::EMPLOYEE;
    use chrono::Datelike;
    let first = date(2026, 9, 7);
    let second = first + Duration::weeks(8);
    let mut a = eight_week_averaging(first);
    a.valid_to = Some(second);
    let policy = EmployeePolicy {
        agreements: vec![a],
        ..EmployeePolicy::default()
    };
    let at = |d: NaiveDate, h, m| oslo(d.year(), d.month(), d.day(), h, m);
    // 16 weeks of Mon–Fri 8 h (30 min of break), but the second period's
    // first week 10 h on Monday and 9 h on the other days: 46 h.
    let mut events = Vec::new();
    for w in 0..16 {
        for k in 0..5 {
            let day = first + Duration::weeks(w) + Duration::days(k);
            let end = match (w, k) {
                (8, 0) => at(day, 18, 30),
                (8, _) => at(day, 17, 30),
                _ => at(day, 16, 30),
            };
            events.extend(work(
                at(day, 8, 0),
                end,
                &[(at(day, 12, 0), at(day, 12, 30))],
            ));
        }
    }
    let end = at(second + Duration::weeks(8), 0, 0);
    let eval = |as_of| {
        let subject = Subject {
            employee: EMPLOYEE,
            tz: chrono_tz::Europe::Oslo,
            pack: crate::domain::rules::pack::RulePack::NoAml,
            exempt: false,
            locale: Locale::En,
        };
        let scope = Span::new(at(first, 0, 0), oslo(2030, 1, 1, 0, 0));
        evaluate(
            subject,
            &events,
            &policy,
            as_of,
            Scope::all(scope),
            &History::default(),
        )
    };
    let done = eval(end);
    let f = rule(&done, "no.averaging");
    assert_eq!(f.len(), 1, "{:#?}", done.findings);
    assert_eq!(
        (f[0].window, f[0].measured),
        (Span::new(at(second, 0, 0), end), 40 * 60 + 45)
    );
    // A second before its end the period is not over: not judged.
    let before = eval(end - Duration::seconds(1));
    assert_eq!(count(&before, "no.averaging"), 0);
}
