//! Dates and labels in the recipient's language, for the views the mail
//! templates lay out. Instants and durations use the findings' own words
//! (`domain::engine::text`).

use chrono::{Datelike, Duration, NaiveDate};

use crate::domain::employee::Locale;

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTHS_NB: [&str; 12] = [
    "januar",
    "februar",
    "mars",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "desember",
];
const DAYS_EN: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const DAYS_NB: [&str; 7] = [
    "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag",
];
const SHORT_EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const SHORT_NB: [&str; 7] = ["man.", "tir.", "ons.", "tor.", "fre.", "lør.", "søn."];

fn month(locale: Locale, d: NaiveDate) -> &'static str {
    match locale {
        Locale::En => MONTHS_EN[d.month0() as usize],
        Locale::Nb => MONTHS_NB[d.month0() as usize],
    }
}

fn weekday(d: NaiveDate) -> usize {
    d.weekday().num_days_from_monday() as usize
}

/// "Wednesday 18 November 2026" / "onsdag 18. november 2026".
#[must_use]
pub fn long_date(locale: Locale, d: NaiveDate) -> String {
    match locale {
        Locale::En => format!(
            "{} {} {} {}",
            DAYS_EN[weekday(d)],
            d.day(),
            month(locale, d),
            d.year()
        ),
        Locale::Nb => format!(
            "{} {}. {} {}",
            DAYS_NB[weekday(d)],
            d.day(),
            month(locale, d),
            d.year()
        ),
    }
}

/// "Mon" / "man.".
#[must_use]
pub fn short_weekday(locale: Locale, d: NaiveDate) -> &'static str {
    match locale {
        Locale::En => SHORT_EN[weekday(d)],
        Locale::Nb => SHORT_NB[weekday(d)],
    }
}

/// "week 47, 16–22 November 2026" / "uke 47, 16.–22. november 2026"; a week
/// across two months names both.
#[must_use]
pub fn week_label(locale: Locale, monday: NaiveDate) -> String {
    let sunday = monday + Duration::days(6);
    let n = monday.iso_week().week();
    let same_month = monday.month() == sunday.month();
    match (locale, same_month) {
        (Locale::En, true) => format!(
            "week {n}, {}–{} {} {}",
            monday.day(),
            sunday.day(),
            month(locale, sunday),
            sunday.year()
        ),
        (Locale::En, false) => format!(
            "week {n}, {} {} – {} {} {}",
            monday.day(),
            month(locale, monday),
            sunday.day(),
            month(locale, sunday),
            sunday.year()
        ),
        (Locale::Nb, true) => format!(
            "uke {n}, {}.–{}. {} {}",
            monday.day(),
            sunday.day(),
            month(locale, sunday),
            sunday.year()
        ),
        (Locale::Nb, false) => format!(
            "uke {n}, {}. {} – {}. {} {}",
            monday.day(),
            month(locale, monday),
            sunday.day(),
            month(locale, sunday),
            sunday.year()
        ),
    }
}

/// "week 44" / "uke 44".
#[must_use]
pub fn short_week(locale: Locale, monday: NaiveDate) -> String {
    let n = monday.iso_week().week();
    match locale {
        Locale::En => format!("week {n}"),
        Locale::Nb => format!("uke {n}"),
    }
}

/// "7 days", "4 weeks", "52 weeks" (nb: "7 dager", "4 uker", "52 uker").
#[must_use]
pub fn window_label(locale: Locale, days: i64) -> String {
    match (locale, days) {
        (Locale::En, 7) => "7 days".into(),
        (Locale::Nb, 7) => "7 dager".into(),
        (Locale::En, d) => format!("{} weeks", d / 7),
        (Locale::Nb, d) => format!("{} uker", d / 7),
    }
}

/// "+2 h 30 min" / "−45 min" / "0 min": a difference against the schedule.
#[must_use]
pub fn signed(locale: Locale, d: Duration) -> String {
    let s = crate::domain::engine::text::duration(locale, d);
    if d > Duration::zero() {
        format!("+{s}")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn dates_read_naturally() {
        assert_eq!(
            long_date(Locale::En, d(11, 18)),
            "Wednesday 18 November 2026"
        );
        assert_eq!(long_date(Locale::Nb, d(11, 18)), "onsdag 18. november 2026");
        assert_eq!(
            week_label(Locale::En, d(11, 16)),
            "week 47, 16–22 November 2026"
        );
        assert_eq!(
            week_label(Locale::Nb, d(11, 16)),
            "uke 47, 16.–22. november 2026"
        );
        assert_eq!(
            week_label(Locale::En, d(11, 30)),
            "week 49, 30 November – 6 December 2026"
        );
        assert_eq!(signed(Locale::En, Duration::minutes(150)), "+2 h 30 min");
        assert_eq!(window_label(Locale::Nb, 364), "52 uker");
    }
}
