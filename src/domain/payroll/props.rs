//! Properties of the payroll figures: whatever the work and the rate tiers,
//! NORMAL + Σ OVERTIME = WORKED and FLEX reconciles line by line, in whole
//! minutes; night and Sunday/holiday minutes are parts of WORKED; and the
//! figures do not depend on the order the events come in.

use chrono::{Duration, NaiveDate};
use chrono_tz::Europe::Oslo;
use proptest::prelude::*;

use super::categories::{PeriodInput, figures};
use super::lines::{Category, LineKey, Totals};
use super::settings::{PayrollSettings, Tier};
use crate::domain::employee::Locale;
use crate::domain::engine::days::Plan;
use crate::domain::engine::evaluate::{History, Scope, Subject, evaluate};
use crate::domain::engine::testing::{EMPLOYEE, oslo, work};
use crate::domain::event::EffectiveEvent;
use crate::domain::policy::EmployeePolicy;

fn date(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 10, d).expect("date")
}

fn totals_of(events: &[EffectiveEvent], s: &PayrollSettings) -> Totals {
    let policy = EmployeePolicy::default();
    let subject = Subject {
        employee: EMPLOYEE,
        tz: Oslo,
        pack: crate::domain::rules::pack::RulePack::NoAml,
        exempt: false,
        locale: Locale::En,
    };
    let eval = evaluate(
        subject,
        events,
        &policy,
        oslo(2030, 1, 1, 0, 0),
        Scope::none(),
        &History::default(),
    );
    let plan = Plan::new(EMPLOYEE, &policy, true);
    let input = PeriodInput {
        tz: Oslo,
        first: date(1),
        last: date(31),
        employed: (date(1), date(31)),
        ledger: &eval.ledger,
        days: &eval.days,
        nights: &eval.nights,
        sundays: &eval.sundays,
        plan: &plan,
        open_findings: 0,
    };
    figures(&input, s)
}

fn get(t: &Totals, c: Category) -> i64 {
    t.iter()
        .filter(|(k, _)| k.category == c)
        .map(|(_, (m, _))| *m)
        .sum()
}

/// Non-overlapping shifts in October 2026 (the DST night included): start
/// day, start minute, length in seconds, a break or not.
fn shifts() -> impl Strategy<Value = Vec<(u32, i64, i64, bool)>> {
    prop::collection::vec(
        (1u32..=30, 0i64..1440, 1800i64..50_000, any::<bool>()),
        1..12,
    )
}

fn settings() -> impl Strategy<Value = PayrollSettings> {
    (40i32..=100, 0i64..=600, 40i32..=200, 0i32..=150, 0i32..=150).prop_map(
        |(first, step, second, night, sunday)| {
            let mut s = PayrollSettings {
                tiers: vec![Tier {
                    after_week_overtime_minutes: 0,
                    rate: first,
                }],
                ..PayrollSettings::default()
            };
            if step > 0 {
                s.tiers.push(Tier {
                    after_week_overtime_minutes: step,
                    rate: second,
                });
            }
            s.night_rate = if night < 40 { 0 } else { night };
            s.sunday_rate = if sunday < 40 { 0 } else { sunday };
            s.pay_codes = s
                .required_keys()
                .into_iter()
                .map(|k: LineKey| (k, k.default_code()))
                .collect();
            s
        },
    )
}

fn events(plan: &[(u32, i64, i64, bool)]) -> Vec<EffectiveEvent> {
    let mut taken: Vec<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> = Vec::new();
    let mut out = Vec::new();
    for &(day, minute, secs, with_break) in plan {
        let start = oslo(2026, 10, day, 0, 0) + Duration::minutes(minute);
        let end = start + Duration::seconds(secs);
        if taken.iter().any(|(a, b)| start < *b && *a < end) {
            continue;
        }
        taken.push((start, end));
        let breaks = if with_break && secs > 7200 {
            vec![(start + Duration::hours(1), start + Duration::minutes(90))]
        } else {
            vec![]
        };
        out.extend(work(start, end, &breaks));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn categories_reconcile_in_whole_minutes(plan in shifts(), s in settings()) {
        prop_assume!(s.validate().is_ok());
        let t = totals_of(&events(&plan), &s);
        let worked = get(&t, Category::Worked);
        prop_assert_eq!(get(&t, Category::Normal) + get(&t, Category::Overtime), worked);
        prop_assert_eq!(
            get(&t, Category::FlexMovement),
            worked + get(&t, Category::Absence) + get(&t, Category::TimeOffInLieu)
                - get(&t, Category::Scheduled)
        );
        prop_assert!(get(&t, Category::Night) <= worked);
        prop_assert!(get(&t, Category::SundayHoliday) <= worked);
        for (k, _) in t.iter().filter(|(k, _)| k.category == Category::Overtime) {
            prop_assert!(s.rates().contains(&k.rate), "rate {} not produced by the settings", k.rate);
        }
    }

    #[test]
    fn figures_do_not_depend_on_event_order(plan in shifts(), s in settings(), seed in any::<u64>()) {
        prop_assume!(s.validate().is_ok());
        let evs = events(&plan);
        let mut shuffled = evs.clone();
        // A deterministic shuffle from the seed.
        let mut x = seed | 1;
        for i in (1..shuffled.len()).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let j = usize::try_from(x % (i as u64 + 1)).unwrap_or(0);
            shuffled.swap(i, j);
        }
        prop_assert_eq!(totals_of(&shuffled, &s), totals_of(&evs, &s));
    }
}
