//! Sample views with realistic content in both languages: the start-up smoke
//! render of [`crate::mail::Templates::load`], the template tests, the mail
//! API tests and previews use them.

use chrono::NaiveDate;
use uuid::Uuid;

use super::copy::copy;
use super::views::{
    Bar, Common, DigestView, Item, LimitUse, ManagerAlertsView, MuteLink, NudgeView, PatternCount,
    ReminderView, ReportRow, Seen, TrendWeek,
};
use crate::domain::employee::Locale;
use crate::domain::ids::EmployeeId;
use crate::links;

/// The samples' public base URL.
pub const BASE: &str = "https://tid.example.com";

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap_or_default()
}

fn kari() -> EmployeeId {
    EmployeeId(Uuid::from_u128(0x0193_a5b2_0000_7000_8000_0000_0000_0001))
}

fn per() -> EmployeeId {
    EmployeeId(Uuid::from_u128(0x0193_a5b2_0000_7000_8000_0000_0000_0002))
}

fn nb(locale: Locale) -> bool {
    locale == Locale::Nb
}

fn pick(locale: Locale, nb_text: &str, en_text: &str) -> String {
    if nb(locale) { nb_text } else { en_text }.to_owned()
}

fn common(locale: Locale, name: &str) -> Common {
    Common {
        locale: locale.as_str().to_owned(),
        recipient_name: name.to_owned(),
        first_name: name
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned(),
        product_name: "Tidsvakt".to_owned(),
        app_url: Some(BASE.to_owned()),
    }
}

fn seen(locale: Locale, category: &str, text: String, citation: &str) -> Seen {
    let c = copy(category, locale).expect("sample categories have copy");
    Seen {
        headline: c.headline.to_owned(),
        text,
        citation: citation.to_owned(),
    }
}

/// An item of `seen` findings, the first the most severe.
fn item(
    locale: Locale,
    (categories, severity): (&[&str], &str),
    seen: Vec<Seen>,
    when: String,
    employee: &str,
    link: String,
    mutable: bool,
) -> Item {
    let c = copy(categories[0], locale).expect("sample categories have copy");
    let mut citations: Vec<String> = Vec::new();
    for s in &seen {
        if !citations.contains(&s.citation) {
            citations.push(s.citation.clone());
        }
    }
    Item {
        categories: categories.iter().map(|c| (*c).to_owned()).collect(),
        severity: severity.to_owned(),
        headline: c.headline.to_owned(),
        why: c.why.to_owned(),
        what_to_do: c.what_to_do.to_owned(),
        when,
        citation: citations.join("; "),
        employee_name: employee.to_owned(),
        link: Some(link),
        mutes: if mutable {
            categories
                .iter()
                .filter(|c| matches!(**c, "evening" | "night"))
                .map(|c| MuteLink {
                    label: copy(c, locale)
                        .map(|x| x.headline.to_owned())
                        .unwrap_or_default(),
                    url: links::mute(BASE, c),
                })
                .collect()
        } else {
            Vec::new()
        },
        seen,
    }
}

fn aml(locale: Locale, section: &str) -> String {
    pick(
        locale,
        &format!("arbeidsmiljøloven {section}"),
        &format!("Working Environment Act {section}"),
    )
}

fn own_advice(locale: Locale) -> String {
    pick(
        locale,
        "Tidsvakts egne retningslinjer (ikke et lovkrav)",
        "Tidsvakt’s own guidelines (not a legal requirement)",
    )
}

/// A nudge to Kari: a Tuesday evening into the night followed by too short
/// a rest (one item), and evening work on three days.
#[must_use]
pub fn nudge(locale: Locale) -> NudgeView {
    NudgeView {
        common: common(locale, "Kari Nordmann"),
        items: vec![
            item(
                locale,
                (&["rest", "night"], "VIOLATION"),
                vec![
                    seen(
                        locale,
                        "rest",
                        pick(
                            locale,
                            "Mellom arbeidsdagene tirsdag og onsdag hadde du 8 t 30 min hvile, der loven krever 11 timer.",
                            "Between Tuesday and Wednesday you had 8 h 30 min of rest, where the law requires 11 hours.",
                        ),
                        &aml(locale, "§ 10-8 (1)"),
                    ),
                    seen(
                        locale,
                        "night",
                        pick(
                            locale,
                            "1 t 30 min nattarbeid (21:00–06:00) tirsdag kveld.",
                            "1 h 30 min of night work (21:00–06:00) on Tuesday evening.",
                        ),
                        &own_advice(locale),
                    ),
                ],
                pick(
                    locale,
                    "tirsdag 10. november 13:00–22:30",
                    "Tuesday 10 November 13:00–22:30",
                ),
                "Kari Nordmann",
                links::my_finding(BASE, day(11, 11), "f-rest"),
                true,
            ),
            item(
                locale,
                (&["evening"], "PATTERN"),
                vec![seen(
                    locale,
                    "evening",
                    pick(
                        locale,
                        "Du jobbet etter kl. 18 på tre dager denne uka: mandag, tirsdag og torsdag.",
                        "You worked after 18:00 on three days this week: Monday, Tuesday and Thursday.",
                    ),
                    &own_advice(locale),
                )],
                pick(locale, "9.–12. november", "9–12 November"),
                "Kari Nordmann",
                links::my_finding(BASE, day(11, 12), "f-evening"),
                true,
            ),
        ],
        mutable_note: true,
        messages_link: Some(links::messages(BASE)),
    }
}

/// The legal violations of two reports, to their manager.
#[must_use]
pub fn manager_alerts(locale: Locale) -> ManagerAlertsView {
    let one = |category: &str, text: String, section: &str| {
        vec![seen(locale, category, text, &aml(locale, section))]
    };
    ManagerAlertsView {
        common: common(locale, "Ola Hansen"),
        date: pick(locale, "17.–18. november", "17–18 November"),
        items: vec![
            item(
                locale,
                (&["rest"], "VIOLATION"),
                one(
                    "rest",
                    pick(
                        locale,
                        "8 t 30 min hvile mellom tirsdag og onsdag; loven krever 11 timer.",
                        "8 h 30 min of rest between Tuesday and Wednesday; the law requires 11 hours.",
                    ),
                    "§ 10-8 (1)",
                ),
                pick(
                    locale,
                    "tirsdag 17. november 13:00–22:30",
                    "Tuesday 17 November 13:00–22:30",
                ),
                "Kari Nordmann",
                links::person_finding(BASE, kari(), day(11, 18), "f-rest"),
                false,
            ),
            item(
                locale,
                (&["overtime_limit"], "VIOLATION"),
                one(
                    "overtime_limit",
                    pick(
                        locale,
                        "11 t overtid de siste 7 dagene; grensen er 10 t.",
                        "11 h of overtime in the last 7 days; the limit is 10 h.",
                    ),
                    "§ 10-6 (4)",
                ),
                pick(locale, "12.–18. november", "12–18 November"),
                "Kari Nordmann",
                links::person_finding(BASE, kari(), day(11, 18), "f-overtime"),
                false,
            ),
            item(
                locale,
                (&["breaks"], "VIOLATION"),
                one(
                    "breaks",
                    pick(
                        locale,
                        "9 t arbeid uten registrert pause.",
                        "9 h of work without a registered break.",
                    ),
                    "§ 10-9 (1)",
                ),
                pick(
                    locale,
                    "onsdag 18. november 07:00–16:00",
                    "Wednesday 18 November 07:00–16:00",
                ),
                "Per Ås",
                links::person_finding(BASE, per(), day(11, 18), "f-breaks"),
                false,
            ),
        ],
        employee_count: 2,
        team_link: Some(links::team(BASE)),
    }
}

/// A forgotten clock-out.
#[must_use]
pub fn reminder(locale: Locale) -> ReminderView {
    ReminderView {
        common: common(locale, "Kari Nordmann"),
        clocked_in_at: pick(
            locale,
            "tirsdag 17. november kl. 08:02",
            "Tuesday 17 November at 08:02",
        ),
        suggested_end: pick(
            locale,
            "tirsdag 17. november kl. 15:32",
            "Tuesday 17 November at 15:32",
        ),
        suggested_end_rfc3339: "2026-11-17T15:32:00+01:00".to_owned(),
        interval_id: "0193a5b2-6c1e-7d4f-9a80-2b3c4d5e6f70".to_owned(),
        open_for: pick(locale, "8 timer", "8 hours"),
        day_link: Some(links::my_day(BASE, day(11, 17))),
    }
}

fn bar(
    label: &str,
    worked: i64,
    scheduled: i64,
    overtime: i64,
    out_of_hours: i64,
    text: &str,
) -> Bar {
    // The sample's largest day is 600 minutes.
    let pct = |m: i64| u32::try_from(m * 100 / 600).unwrap_or(0);
    Bar {
        label: label.to_owned(),
        worked_minutes: worked,
        scheduled_minutes: scheduled,
        overtime_minutes: overtime,
        out_of_hours_minutes: out_of_hours,
        worked_pct: pct(worked),
        scheduled_pct: pct(scheduled),
        overtime_pct: pct(overtime),
        worked_text: text.to_owned(),
    }
}

fn limits(locale: Locale, used: [(&str, u32); 3], over: bool) -> Vec<LimitUse> {
    let labels = if nb(locale) {
        ["7 dager", "4 uker", "52 uker"]
    } else {
        ["7 days", "4 weeks", "52 weeks"]
    };
    let caps = ["10 t", "25 t", "200 t"];
    labels
        .iter()
        .zip(caps)
        .zip(used)
        .enumerate()
        .map(|(i, ((label, limit), (used, pct)))| LimitUse {
            label: (*label).to_owned(),
            used: used.to_owned(),
            limit: if nb(locale) {
                limit.to_owned()
            } else {
                limit.replace(" t", " h")
            },
            pct,
            over: over && i == 0,
        })
        .collect()
}

fn trend(locale: Locale, weeks: [(&str, &str, u32); 4]) -> Vec<TrendWeek> {
    weeks
        .iter()
        .enumerate()
        .map(|(i, (worked, diff, pct))| TrendWeek {
            label: format!("{} {}", if nb(locale) { "uke" } else { "week" }, 44 + i),
            worked: (*worked).to_owned(),
            scheduled: "37 t 30 min".to_owned(),
            diff: (*diff).to_owned(),
            worked_pct: *pct,
        })
        .collect()
}

/// A week's digest for a manager with two reports, one of them over the 7-day limit.
#[allow(clippy::too_many_lines)] // Sample data: two whole reports read best in one place.
#[must_use]
pub fn digest(locale: Locale) -> DigestView {
    let days: [&str; 7] = if nb(locale) {
        ["man.", "tir.", "ons.", "tor.", "fre.", "lør.", "søn."]
    } else {
        ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    };
    let h = |nb_text: &str| {
        if nb(locale) {
            nb_text.to_owned()
        } else {
            nb_text.replace(" t", " h")
        }
    };
    let kari = ReportRow {
        name: "Kari Nordmann".to_owned(),
        link: Some(links::person_week(BASE, kari(), day(11, 16))),
        worked: h("48 t 30 min"),
        scheduled: h("37 t 30 min"),
        diff: h("+11 t"),
        over_schedule: true,
        overtime: limits(
            locale,
            [(&h("11 t"), 100), (&h("19 t"), 76), (&h("64 t"), 32)],
            true,
        ),
        patterns: vec![
            PatternCount {
                category: "evening".to_owned(),
                label: pick(locale, "Kveld", "Evening"),
                count: 3,
            },
            PatternCount {
                category: "weekend".to_owned(),
                label: pick(locale, "Helg", "Weekend"),
                count: 1,
            },
        ],
        open_violations: 2,
        home_share: "35 %".to_owned(),
        trend: trend(
            locale,
            [
                (&h("38 t"), &h("+30 min"), 78),
                (&h("41 t"), &h("+3 t 30 min"), 85),
                (&h("44 t"), &h("+6 t 30 min"), 91),
                (&h("48 t 30 min"), &h("+11 t"), 100),
            ],
        ),
        bars: vec![
            bar(days[0], 600, 450, 150, 120, &h("10 t")),
            bar(days[1], 570, 450, 120, 90, &h("9 t 30 min")),
            bar(days[2], 450, 450, 0, 0, &h("7 t 30 min")),
            bar(days[3], 540, 450, 90, 60, &h("9 t")),
            bar(days[4], 450, 450, 0, 0, &h("7 t 30 min")),
            bar(days[5], 300, 0, 300, 300, &h("5 t")),
            bar(days[6], 0, 0, 0, 0, "–"),
        ],
    };
    let per = ReportRow {
        name: "Per Ås".to_owned(),
        link: Some(links::person_week(BASE, per(), day(11, 16))),
        worked: h("36 t"),
        scheduled: h("37 t 30 min"),
        diff: h("−1 t 30 min"),
        over_schedule: false,
        overtime: limits(
            locale,
            [(&h("0 t"), 0), (&h("2 t"), 8), (&h("31 t"), 16)],
            false,
        ),
        patterns: vec![],
        open_violations: 0,
        home_share: "–".to_owned(),
        trend: trend(
            locale,
            [
                (&h("37 t 30 min"), &h("0 t"), 77),
                (&h("37 t"), &h("−30 min"), 76),
                (&h("38 t"), &h("+30 min"), 78),
                (&h("36 t"), &h("−1 t 30 min"), 74),
            ],
        ),
        bars: vec![
            bar(days[0], 450, 450, 0, 0, &h("7 t 30 min")),
            bar(days[1], 450, 450, 0, 0, &h("7 t 30 min")),
            bar(days[2], 360, 450, 0, 0, &h("6 t")),
            bar(days[3], 450, 450, 0, 0, &h("7 t 30 min")),
            bar(days[4], 450, 450, 0, 0, &h("7 t 30 min")),
            bar(days[5], 0, 0, 0, 0, "–"),
            bar(days[6], 0, 0, 0, 0, "–"),
        ],
    };
    DigestView {
        common: common(locale, "Ola Hansen"),
        week_label: pick(
            locale,
            "uke 47, 16.–22. november 2026",
            "week 47, 16–22 November 2026",
        ),
        reports: vec![kari, per],
        team_worked: h("84 t 30 min"),
        team_scheduled: h("75 t"),
        team_diff: h("+9 t 30 min"),
        team_overtime: h("11 t"),
        team_open_violations: 2,
        team_pattern_total: 4,
        team_home_share: "21 %".to_owned(),
        team_link: Some(links::team(BASE)),
    }
}
