//! Dates and labels in the recipient's language, for the views the mail
//! templates lay out. Instants and durations use the findings' own words
//! (`domain::engine::text`).

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;

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

/// "torsdag 3. desember" / "Thursday 3 December": a day of recent work,
/// written out as people say it (no year; [`date_span`] adds it across a
/// new year).
#[must_use]
pub fn day_month(locale: Locale, d: NaiveDate) -> String {
    match locale {
        Locale::En => format!("{} {} {}", DAYS_EN[weekday(d)], d.day(), month(locale, d)),
        Locale::Nb => format!("{} {}. {}", DAYS_NB[weekday(d)], d.day(), month(locale, d)),
    }
}

/// The days some work happened on: one day as [`day_month`]; several as a
/// range, "17.–19. november" / "17–19 November", "30. november – 2.
/// desember" / "30 November – 2 December", with the years when it crosses
/// a new year.
#[must_use]
pub fn date_span(locale: Locale, first: NaiveDate, last: NaiveDate) -> String {
    let (first, last) = (first.min(last), first.max(last));
    if first == last {
        return day_month(locale, first);
    }
    let m = |d| month(locale, d);
    match locale {
        Locale::Nb if first.year() != last.year() => format!(
            "{}. {} {} – {}. {} {}",
            first.day(),
            m(first),
            first.year(),
            last.day(),
            m(last),
            last.year()
        ),
        Locale::Nb if first.month() != last.month() => {
            format!(
                "{}. {} – {}. {}",
                first.day(),
                m(first),
                last.day(),
                m(last)
            )
        }
        Locale::Nb => format!("{}.–{}. {}", first.day(), last.day(), m(last)),
        Locale::En if first.year() != last.year() => format!(
            "{} {} {} – {} {} {}",
            first.day(),
            m(first),
            first.year(),
            last.day(),
            m(last),
            last.year()
        ),
        Locale::En if first.month() != last.month() => {
            format!("{} {} – {} {}", first.day(), m(first), last.day(), m(last))
        }
        Locale::En => format!("{}–{} {}", first.day(), last.day(), m(last)),
    }
}

fn hh_mm(t: DateTime<Tz>) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// "tirsdag 17. november kl. 08:02" / "Tuesday 17 November at 08:02".
#[must_use]
pub fn day_time(locale: Locale, tz: Tz, t: DateTime<Utc>) -> String {
    let l = t.with_timezone(&tz);
    match locale {
        Locale::Nb => format!("{} kl. {}", day_month(locale, l.date_naive()), hh_mm(l)),
        Locale::En => format!("{} at {}", day_month(locale, l.date_naive()), hh_mm(l)),
    }
}

/// Some hours of work in the reader's zone: "tirsdag 17. november
/// 13:00–22:30", or across midnight "tirsdag 17. november 22:00 – onsdag
/// 18. november 02:00".
#[must_use]
pub fn hours_span(locale: Locale, tz: Tz, start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    let (s, e) = (start.with_timezone(&tz), end.with_timezone(&tz));
    if s.date_naive() == e.date_naive() {
        format!(
            "{} {}–{}",
            day_month(locale, s.date_naive()),
            hh_mm(s),
            hh_mm(e)
        )
    } else {
        format!(
            "{} {} – {} {}",
            day_month(locale, s.date_naive()),
            hh_mm(s),
            day_month(locale, e.date_naive()),
            hh_mm(e)
        )
    }
}

/// A length of time in words, for prose: "1 time", "2 timer og 30
/// minutter", "1 minutt" / "1 hour", "2 hours and 30 minutes". (Tables and
/// figures keep the short "2 t 30 min" of `domain::engine::text`.)
#[must_use]
pub fn hours(locale: Locale, d: Duration) -> String {
    let total = d.num_minutes().abs();
    let (h, m) = (total / 60, total % 60);
    let (hour, hours, minute, minutes, and) = match locale {
        Locale::Nb => ("time", "timer", "minutt", "minutter", "og"),
        Locale::En => ("hour", "hours", "minute", "minutes", "and"),
    };
    let hs = format!("{h} {}", if h == 1 { hour } else { hours });
    let ms = format!("{m} {}", if m == 1 { minute } else { minutes });
    match (h, m) {
        (0, _) => ms,
        (_, 0) => hs,
        _ => format!("{hs} {and} {ms}"),
    }
}

/// The first name, for a greeting: the first word of the name ("Kari" of
/// "Kari Nordmann"); empty when there is no name.
#[must_use]
pub fn first_name(name: &str) -> String {
    name.split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
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

    #[test]
    fn days_of_work_read_as_people_say_them() {
        assert_eq!(day_month(Locale::Nb, d(12, 3)), "torsdag 3. desember");
        assert_eq!(day_month(Locale::En, d(12, 3)), "Thursday 3 December");
        assert_eq!(
            date_span(Locale::Nb, d(11, 19), d(11, 19)),
            "torsdag 19. november"
        );
        assert_eq!(
            date_span(Locale::Nb, d(11, 19), d(11, 17)),
            "17.–19. november"
        );
        assert_eq!(
            date_span(Locale::En, d(11, 17), d(11, 19)),
            "17–19 November"
        );
        assert_eq!(
            date_span(Locale::Nb, d(11, 30), d(12, 2)),
            "30. november – 2. desember"
        );
        let new_year = NaiveDate::from_ymd_opt(2027, 1, 2).unwrap();
        assert_eq!(
            date_span(Locale::En, d(12, 31), new_year),
            "31 December 2026 – 2 January 2027"
        );
    }

    #[test]
    fn hours_and_instants_in_the_readers_zone() {
        use chrono::TimeZone as _;
        use chrono_tz::Europe::Oslo;
        let at = |day: u32, h: u32, m: u32| {
            Oslo.with_ymd_and_hms(2026, 11, day, h, m, 0)
                .unwrap()
                .with_timezone(&Utc)
        };
        assert_eq!(
            hours_span(Locale::Nb, Oslo, at(17, 13, 0), at(17, 22, 30)),
            "tirsdag 17. november 13:00–22:30"
        );
        assert_eq!(
            hours_span(Locale::En, Oslo, at(17, 22, 0), at(18, 2, 0)),
            "Tuesday 17 November 22:00 – Wednesday 18 November 02:00"
        );
        assert_eq!(
            day_time(Locale::Nb, Oslo, at(17, 8, 2)),
            "tirsdag 17. november kl. 08:02"
        );
        assert_eq!(
            day_time(Locale::En, Oslo, at(17, 8, 2)),
            "Tuesday 17 November at 08:02"
        );
    }

    #[test]
    fn one_time_two_timer() {
        let h = |m| hours(Locale::Nb, Duration::minutes(m));
        assert_eq!(h(60), "1 time");
        assert_eq!(h(120), "2 timer");
        assert_eq!(h(90), "1 time og 30 minutter");
        assert_eq!(h(61), "1 time og 1 minutt");
        assert_eq!(h(45), "45 minutter");
        assert_eq!(hours(Locale::En, Duration::minutes(60)), "1 hour");
        assert_eq!(
            hours(Locale::En, Duration::minutes(150)),
            "2 hours and 30 minutes"
        );
    }

    #[test]
    fn greetings_use_the_first_name() {
        assert_eq!(first_name("Kari Nordmann"), "Kari");
        assert_eq!(first_name("  Per  Ås "), "Per");
        assert_eq!(first_name(""), "");
    }
}
