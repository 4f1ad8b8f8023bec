//! Norwegian public holidays and the Sunday/holiday window of
//! arbeidsmiljøloven § 10-10 (rules.md § 2).
//!
//! Dates and times here are local (the employee's time zone): the law speaks
//! of calendar days and clock times, and converting to instants is the
//! caller's job, where DST is known.

use chrono::{Datelike as _, NaiveDate, NaiveDateTime, NaiveTime, Weekday};

/// Easter Sunday of `year` by the anonymous Gregorian computus, exactly as
/// rules.md § 2 writes it (all divisions are integer divisions).
#[must_use]
#[allow(clippy::many_single_char_names)] // the letters of the published algorithm
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let n = h + l - 7 * m + 114;
    let month = u32::try_from(n / 31).ok()?;
    let day = u32::try_from(n % 31 + 1).ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Why a date is a public holiday.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holiday {
    NewYearsDay,
    MaundyThursday,
    GoodFriday,
    EasterSunday,
    EasterMonday,
    LabourDay,
    ConstitutionDay,
    Ascension,
    WhitSunday,
    WhitMonday,
    ChristmasDay,
    BoxingDay,
}

impl Holiday {
    /// The Norwegian name, as on a payslip.
    #[must_use]
    pub fn name_nb(self) -> &'static str {
        match self {
            Self::NewYearsDay => "Første nyttårsdag",
            Self::MaundyThursday => "Skjærtorsdag",
            Self::GoodFriday => "Langfredag",
            Self::EasterSunday => "Første påskedag",
            Self::EasterMonday => "Andre påskedag",
            Self::LabourDay => "Offentlig høytidsdag (1. mai)",
            Self::ConstitutionDay => "Grunnlovsdag (17. mai)",
            Self::Ascension => "Kristi himmelfartsdag",
            Self::WhitSunday => "Første pinsedag",
            Self::WhitMonday => "Andre pinsedag",
            Self::ChristmasDay => "Første juledag",
            Self::BoxingDay => "Andre juledag",
        }
    }
}

/// The first and last (month, day) a movable feast can fall on.
const MOVABLE_FIRST: (u32, u32) = (3, 19);
const MOVABLE_LAST: (u32, u32) = (6, 14);

/// The national public holiday on `date`, if any (Sundays aside).
#[must_use]
pub fn norwegian_holiday(date: NaiveDate) -> Option<Holiday> {
    let fixed = fixed_holiday(date);
    if fixed.is_some() {
        return fixed;
    }
    // Easter falls on 22 March at the earliest and 25 April at the latest,
    // so its feasts (Maundy Thursday, −3 days, to Whit Monday, +50) lie in
    // 19 March–14 June. The engine asks for every day of every load; most
    // days are outside, and the computus was a tenth of a recompute's
    // evaluation (issue 15, twenty-eighth round's profile).
    if !(MOVABLE_FIRST..=MOVABLE_LAST).contains(&(date.month(), date.day())) {
        return None;
    }
    movable_feast(date)
}

/// The holiday of a fixed date, if `date` is one.
fn fixed_holiday(date: NaiveDate) -> Option<Holiday> {
    match (date.month(), date.day()) {
        (1, 1) => Some(Holiday::NewYearsDay),
        (5, 1) => Some(Holiday::LabourDay),
        (5, 17) => Some(Holiday::ConstitutionDay),
        (12, 25) => Some(Holiday::ChristmasDay),
        (12, 26) => Some(Holiday::BoxingDay),
        _ => None,
    }
}

/// The feast of `date` counted from its year's Easter, if it is one.
fn movable_feast(date: NaiveDate) -> Option<Holiday> {
    match (date - easter_sunday(date.year())?).num_days() {
        -3 => Some(Holiday::MaundyThursday),
        -2 => Some(Holiday::GoodFriday),
        0 => Some(Holiday::EasterSunday),
        1 => Some(Holiday::EasterMonday),
        39 => Some(Holiday::Ascension),
        49 => Some(Holiday::WhitSunday),
        50 => Some(Holiday::WhitMonday),
        _ => None,
    }
}

/// A calendar of days off: the national holidays, every Sunday, and the
/// organisation's own days.
#[derive(Clone, Debug, Default)]
pub struct HolidayCalendar {
    /// Days the organisation adds (sorted or not).
    pub extra: Vec<NaiveDate>,
    /// The organisation's own eves: on these dates the § 10-10 window opens
    /// at the given local time (policy `HOLIDAY_KIND_EVE`).
    pub eves: Vec<(NaiveDate, NaiveTime)>,
}

impl HolidayCalendar {
    /// A Sunday or a public holiday ("helgedag"). Every other date is a
    /// working day in the sense of § 10-10, Saturdays included.
    #[must_use]
    pub fn is_sunday_or_holiday(&self, date: NaiveDate) -> bool {
        date.weekday() == Weekday::Sun
            || norwegian_holiday(date).is_some()
            || self.extra.contains(&date)
    }

    /// When the § 10-10 window opens on the eve `eve` of a run of Sundays
    /// and holidays starting the next day.
    fn window_opens(&self, eve: NaiveDate) -> NaiveTime {
        let next = eve.succ_opt().unwrap_or(eve);
        let easter = easter_sunday(eve.year());
        let days_from_easter = easter.map(|e| (eve - e).num_days());
        let at = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap_or(NaiveTime::MIN);
        // Christmas, Easter and Whitsun Eve: from 15:00.
        if (eve.month(), eve.day()) == (12, 24) || matches!(days_from_easter, Some(-1 | 48)) {
            return at(15);
        }
        // The eve of 1 and 17 May is an ordinary working day (1947 law § 2)
        // unless it is a Saturday or the day before Ascension; the window
        // then opens when work must stop, at 22:00. This reading of § 2 is
        // the one rules.md recommends.
        let may_holiday = matches!(
            norwegian_holiday(next),
            Some(Holiday::LabourDay | Holiday::ConstitutionDay)
        );
        let next_is_other_day_off = next.weekday() == Weekday::Sun
            || matches!(norwegian_holiday(next), Some(h) if !matches!(h, Holiday::LabourDay | Holiday::ConstitutionDay))
            || self.extra.contains(&next);
        let before_ascension = days_from_easter == Some(38);
        if may_holiday
            && !next_is_other_day_off
            && eve.weekday() != Weekday::Sat
            && !before_ascension
        {
            return at(22);
        }
        at(18)
    }

    /// The § 10-10 windows that overlap the local dates `from..=to`, as
    /// local date-times `[start, end)`. Consecutive Sundays and holidays
    /// merge into one window, which closes at 22:00 on the day before the
    /// next working day.
    #[must_use]
    pub fn sunday_holiday_windows(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Vec<(NaiveDateTime, NaiveDateTime)> {
        let mut out = Vec::new();
        // Start a day early: a window opening on the eve of `from` reaches into it.
        let mut d = from.pred_opt().unwrap_or(from);
        let ten_pm = NaiveTime::from_hms_opt(22, 0, 0).unwrap_or(NaiveTime::MIN);
        while d <= to {
            let Some(next) = d.succ_opt() else { break };
            let org_eve = self.eves.iter().find(|(e, _)| *e == d).map(|(_, t)| *t);
            if !self.is_sunday_or_holiday(d) && self.is_sunday_or_holiday(next) {
                let mut last = next;
                while let Some(after) = last.succ_opt().filter(|a| self.is_sunday_or_holiday(*a)) {
                    last = after;
                }
                // An organisation's eve can only open the window earlier:
                // it widens the protection, never narrows the law's.
                let opens = org_eve.map_or(self.window_opens(d), |t| t.min(self.window_opens(d)));
                out.push((d.and_time(opens), last.and_time(ten_pm)));
                d = last;
            } else if let Some(t) = org_eve.filter(|t| *t < ten_pm && !self.is_sunday_or_holiday(d))
            {
                // An eve before an ordinary working day: the window runs to
                // 22:00 on the day before the next working day, which is the
                // eve itself (the § 10-10 rule, read for an own eve).
                out.push((d.and_time(t), d.and_time(ten_pm)));
            }
            match d.succ_opt() {
                Some(n) => d = n,
                None => break,
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn at(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
        date(y, m, d).and_hms_opt(h, 0, 0).unwrap()
    }

    #[test]
    fn the_range_check_skips_no_movable_feast() {
        // The computus gives 22 March to 25 April in every year a date can
        // be entered for (the API takes 1970–9999), so its feasts lie in
        // 19 March (−3 days) to 14 June (+50).
        for year in 1583..=9999 {
            let easter = easter_sunday(year).unwrap();
            assert!(
                (date(year, 3, 22)..=date(year, 4, 25)).contains(&easter),
                "{easter}"
            );
        }
        // And day by day over four centuries, the check against none.
        let mut d = date(1900, 1, 1);
        while d < date(2300, 1, 1) {
            assert_eq!(
                norwegian_holiday(d),
                fixed_holiday(d).or_else(|| movable_feast(d)),
                "{d}"
            );
            d = d.succ_opt().unwrap();
        }
        // The extremes: Easter on 22 March (2285) and on 25 April (2038).
        assert_eq!(easter_sunday(2285), Some(date(2285, 3, 22)));
        assert_eq!(
            norwegian_holiday(date(2285, 3, 19)),
            Some(Holiday::MaundyThursday)
        );
        assert_eq!(easter_sunday(2038), Some(date(2038, 4, 25)));
        assert_eq!(
            norwegian_holiday(date(2038, 6, 14)),
            Some(Holiday::WhitMonday)
        );
    }

    #[test]
    fn easter_matches_rules_md() {
        assert_eq!(easter_sunday(2026), Some(date(2026, 4, 5)));
        assert_eq!(easter_sunday(2027), Some(date(2027, 3, 28)));
        assert_eq!(easter_sunday(2028), Some(date(2028, 4, 16)));
    }

    #[test]
    fn movable_holidays_of_2026() {
        assert_eq!(
            norwegian_holiday(date(2026, 5, 14)),
            Some(Holiday::Ascension)
        );
        assert_eq!(
            norwegian_holiday(date(2026, 5, 25)),
            Some(Holiday::WhitMonday)
        );
        assert_eq!(
            norwegian_holiday(date(2026, 4, 2)),
            Some(Holiday::MaundyThursday)
        );
        assert_eq!(
            norwegian_holiday(date(2026, 4, 4)),
            None,
            "Easter Eve is not a holiday"
        );
    }

    #[test]
    fn saturday_evening_opens_the_sunday_window() {
        // rules.md example 9.
        let cal = HolidayCalendar::default();
        let w = cal.sunday_holiday_windows(date(2026, 11, 14), date(2026, 11, 14));
        assert_eq!(w, vec![(at(2026, 11, 14, 18), at(2026, 11, 15, 22))]);
    }

    #[test]
    fn christmas_window_runs_from_the_eve_at_15_to_sunday_22() {
        // rules.md example 11: Mon 28 Dec is the next working day.
        let cal = HolidayCalendar::default();
        let w = cal.sunday_holiday_windows(date(2026, 12, 24), date(2026, 12, 24));
        assert_eq!(w, vec![(at(2026, 12, 24, 15), at(2026, 12, 27, 22))]);
    }

    #[test]
    fn eve_of_17_may_opens_at_22() {
        // rules.md example 10: Tue 16 May 2028 is an ordinary working day.
        let cal = HolidayCalendar::default();
        let w = cal.sunday_holiday_windows(date(2028, 5, 16), date(2028, 5, 17));
        assert_eq!(w, vec![(at(2028, 5, 16, 22), at(2028, 5, 17, 22))]);
    }

    #[test]
    fn an_organisation_eve_opens_the_window_early() {
        // Issue 13 item 5: New Year's Eve from 12:00 (Thu 31 Dec 2026; Fri
        // 1 Jan is a holiday, Sat 2 Jan the next working day).
        let noon = NaiveTime::from_hms_opt(12, 0, 0).unwrap();
        let cal = HolidayCalendar {
            eves: vec![(date(2026, 12, 31), noon)],
            ..HolidayCalendar::default()
        };
        let w = cal.sunday_holiday_windows(date(2026, 12, 31), date(2026, 12, 31));
        assert_eq!(w, vec![(at(2026, 12, 31, 12), at(2027, 1, 1, 22))]);
        // An eve later than the law's opening changes nothing.
        let late = HolidayCalendar {
            eves: vec![(
                date(2026, 12, 31),
                NaiveTime::from_hms_opt(20, 0, 0).unwrap(),
            )],
            ..HolidayCalendar::default()
        };
        let w = late.sunday_holiday_windows(date(2026, 12, 31), date(2026, 12, 31));
        assert_eq!(w, vec![(at(2026, 12, 31, 18), at(2027, 1, 1, 22))]);
        // An eve before a working day: to 22:00 the same day.
        let wed = HolidayCalendar {
            eves: vec![(date(2026, 12, 23), noon)],
            ..HolidayCalendar::default()
        };
        let w = wed.sunday_holiday_windows(date(2026, 12, 23), date(2026, 12, 23));
        assert_eq!(w, vec![(at(2026, 12, 23, 12), at(2026, 12, 23, 22))]);
    }

    #[test]
    fn organisation_days_extend_a_window() {
        let cal = HolidayCalendar {
            extra: vec![date(2026, 11, 16)],
            ..HolidayCalendar::default()
        };
        let w = cal.sunday_holiday_windows(date(2026, 11, 14), date(2026, 11, 16));
        assert_eq!(w, vec![(at(2026, 11, 14, 18), at(2026, 11, 16, 22))]);
    }
}
