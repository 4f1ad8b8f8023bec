//! Words and numbers in findings, in the employee's language.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc, Weekday};
use chrono_tz::Tz;

use crate::domain::employee::Locale;

/// "10 h 15 min", "45 min", "2 h" (nb: "10 t 15 min").
#[must_use]
pub fn duration(locale: Locale, d: Duration) -> String {
    let total = d.num_minutes();
    let sign = if total < 0 { "−" } else { "" };
    let (h, m) = (total.abs() / 60, total.abs() % 60);
    let hour = match locale {
        Locale::Nb => "t",
        Locale::En => "h",
    };
    match (h, m) {
        (0, m) => format!("{sign}{m} min"),
        (h, 0) => format!("{sign}{h} {hour}"),
        (h, m) => format!("{sign}{h} {hour} {m} min"),
    }
}

/// "Mon 12 Oct 2026 11:30" in the employee's time zone (nb: "man. 12. okt. 2026 11:30").
#[must_use]
pub fn instant(locale: Locale, tz: Tz, t: DateTime<Utc>) -> String {
    let l = t.with_timezone(&tz);
    let (wd, month) = match locale {
        Locale::En => (
            ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][weekday_index(l.weekday())],
            [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ][l.month0() as usize],
        ),
        Locale::Nb => (
            ["man.", "tir.", "ons.", "tor.", "fre.", "lør.", "søn."][weekday_index(l.weekday())],
            [
                "jan.", "feb.", "mar.", "apr.", "mai", "jun.", "jul.", "aug.", "sep.", "okt.",
                "nov.", "des.",
            ][l.month0() as usize],
        ),
    };
    match locale {
        Locale::En => format!(
            "{wd} {} {month} {} {:02}:{:02}",
            l.day(),
            l.year(),
            l.hour(),
            l.minute()
        ),
        Locale::Nb => format!(
            "{wd} {}. {month} {} {:02}:{:02}",
            l.day(),
            l.year(),
            l.hour(),
            l.minute()
        ),
    }
}

/// "Tue 10 Nov 2026" (nb: "tir. 10. nov. 2026"): a local date.
#[must_use]
pub fn date(locale: Locale, d: NaiveDate) -> String {
    let i = weekday_index(d.weekday());
    let m = d.month0() as usize;
    match locale {
        Locale::En => format!(
            "{} {} {} {}",
            ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][i],
            d.day(),
            [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ][m],
            d.year()
        ),
        Locale::Nb => format!(
            "{} {}. {} {}",
            ["man.", "tir.", "ons.", "tor.", "fre.", "lør.", "søn."][i],
            d.day(),
            [
                "jan.", "feb.", "mar.", "apr.", "mai", "jun.", "jul.", "aug.", "sep.", "okt.",
                "nov.", "des.",
            ][m],
            d.year()
        ),
    }
}

/// "18:15": the local wall-clock time of an instant.
#[must_use]
pub fn clock(tz: Tz, t: DateTime<Utc>) -> String {
    let l = t.with_timezone(&tz);
    format!("{:02}:{:02}", l.hour(), l.minute())
}

/// "21:00": a time of day given in minutes after midnight.
#[must_use]
pub fn time_of_day(minutes: i64) -> String {
    let m = minutes.rem_euclid(1440);
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// "42 %", "40.5 %" (nb: "40,5 %") from basis points, rounded down to a tenth.
#[must_use]
pub fn percent(locale: Locale, basis_points: i64) -> String {
    let tenths = basis_points / 10;
    let (whole, tenth) = (tenths / 10, tenths % 10);
    let sep = match locale {
        Locale::En => ".",
        Locale::Nb => ",",
    };
    if tenth == 0 {
        format!("{whole} %")
    } else {
        format!("{whole}{sep}{tenth} %")
    }
}

fn weekday_index(w: Weekday) -> usize {
    w.num_days_from_monday() as usize
}

/// Picks the sentence in the employee's language.
#[must_use]
pub fn pick(locale: Locale, nb: String, en: String) -> String {
    match locale {
        Locale::Nb => nb,
        Locale::En => en,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Europe::Oslo;

    #[test]
    fn durations_read_like_rules_md() {
        assert_eq!(duration(Locale::En, Duration::minutes(615)), "10 h 15 min");
        assert_eq!(duration(Locale::En, Duration::minutes(600)), "10 h");
        assert_eq!(duration(Locale::Nb, Duration::minutes(45)), "45 min");
        assert_eq!(duration(Locale::Nb, Duration::minutes(-90)), "−1 t 30 min");
    }

    #[test]
    fn dates_times_and_shares_read_naturally() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 10).unwrap();
        assert_eq!(date(Locale::En, d), "Tue 10 Nov 2026");
        assert_eq!(date(Locale::Nb, d), "tir. 10. nov. 2026");
        assert_eq!(time_of_day(1260), "21:00");
        assert_eq!(percent(Locale::En, 4000), "40 %");
        assert_eq!(percent(Locale::Nb, 4056), "40,5 %");
        let t = Oslo
            .with_ymd_and_hms(2026, 10, 25, 18, 15, 0)
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(clock(Oslo, t), "18:15");
    }

    #[test]
    fn instants_are_local() {
        let t = Oslo
            .with_ymd_and_hms(2026, 10, 12, 17, 30, 0)
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(instant(Locale::En, Oslo, t), "Mon 12 Oct 2026 17:30");
        assert_eq!(instant(Locale::Nb, Oslo, t), "man. 12. okt. 2026 17:30");
    }

    /// The edges: no time is "0 min" without a sign; times of day wrap at
    /// midnight both ways; shares round down to a tenth.
    #[test]
    fn numbers_at_their_edges() {
        assert_eq!(duration(Locale::En, Duration::zero()), "0 min");
        assert_eq!(duration(Locale::En, Duration::seconds(59)), "0 min");
        assert_eq!(duration(Locale::En, Duration::minutes(-45)), "−45 min");
        assert_eq!(duration(Locale::En, Duration::minutes(-120)), "−2 h");
        assert_eq!(duration(Locale::Nb, Duration::minutes(61)), "1 t 1 min");
        assert_eq!(time_of_day(0), "00:00");
        assert_eq!(time_of_day(1439), "23:59");
        assert_eq!(time_of_day(1440 + 75), "01:15");
        assert_eq!(time_of_day(-60), "23:00");
        assert_eq!(percent(Locale::En, 12_345), "123.4 %");
        assert_eq!(percent(Locale::En, 9), "0 %");
        assert_eq!(percent(Locale::Nb, 10_000), "100 %");
        let t = Oslo
            .with_ymd_and_hms(2026, 3, 1, 7, 5, 0)
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(instant(Locale::En, Oslo, t), "Sun 1 Mar 2026 07:05");
        assert_eq!(instant(Locale::Nb, Oslo, t), "søn. 1. mar. 2026 07:05");
        let d = NaiveDate::from_ymd_opt(2027, 1, 3).unwrap();
        assert_eq!(date(Locale::En, d), "Sun 3 Jan 2027");
        assert_eq!(date(Locale::Nb, d), "søn. 3. jan. 2027");
        assert_eq!(pick(Locale::Nb, "ja".into(), "yes".into()), "ja");
        assert_eq!(pick(Locale::En, "ja".into(), "yes".into()), "yes");
    }
}
