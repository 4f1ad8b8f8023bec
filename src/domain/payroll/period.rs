//! Payroll periods: ranges of local dates named by a period id whose shape
//! follows the organisation's period kind (see `payroll.proto`).

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use crate::domain::employee::FieldError;

/// How an organisation cuts time into payroll periods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeriodKind {
    /// Calendar months ("2026-11").
    Monthly,
    /// 1st–15th ("2026-11-H1") and 16th–last day ("2026-11-H2").
    SemiMonthly,
    /// 28 days from Mondays a whole number of 4-week steps from `anchor`
    /// ("2026-W45-4W").
    FourWeekly { anchor: NaiveDate },
}

/// One payroll period: local dates `first..=last`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub id: String,
}

impl Period {
    /// Whether `date` lies in the period.
    #[must_use]
    pub fn contains(&self, date: NaiveDate) -> bool {
        date >= self.first && date <= self.last
    }
}

fn month_last(year: i32, month: u32) -> Option<NaiveDate> {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)?.pred_opt()
}

fn bad(s: &str, expected: &str) -> FieldError {
    FieldError::new(
        "period_id",
        format!("{s:?} is not a period id of this organisation; expected {expected}"),
    )
}

/// Parses exactly `digits` ASCII digits.
fn number(s: &str, digits: usize) -> Option<u32> {
    (s.len() == digits && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn year_month(s: &str) -> Option<(i32, u32)> {
    let (y, m) = s.split_once('-')?;
    let year = i32::try_from(number(y, 4)?)
        .ok()
        .filter(|y| crate::domain::years::accepts_year(*y))?;
    let month = number(m, 2)?;
    (1..=12).contains(&month).then_some((year, month))
}

impl PeriodKind {
    /// What ids of this kind look like, for error messages.
    #[must_use]
    pub fn shape(self) -> &'static str {
        match self {
            Self::Monthly => "YYYY-MM, e.g. \"2026-11\"",
            Self::SemiMonthly => "YYYY-MM-H1 or YYYY-MM-H2, e.g. \"2026-11-H1\"",
            Self::FourWeekly { .. } => {
                "GGGG-Www-4W on the organisation's 4-week cycle, e.g. \"2026-W45-4W\""
            }
        }
    }

    /// The period named `s`.
    ///
    /// # Errors
    /// `period_id` when `s` is malformed, of another kind, or (four-weekly)
    /// off the organisation's 4-week cycle.
    pub fn parse(self, s: &str) -> Result<Period, FieldError> {
        let err = || bad(s, self.shape());
        match self {
            Self::Monthly => {
                let (y, m) = year_month(s).ok_or_else(err)?;
                self.period_of(NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(err)?)
                    .filter(|p| p.id == s)
                    .ok_or_else(err)
            }
            Self::SemiMonthly => {
                let (ym, half) = s.rsplit_once('-').ok_or_else(err)?;
                let (y, m) = year_month(ym).ok_or_else(err)?;
                let day = match half {
                    "H1" => 1,
                    "H2" => 16,
                    _ => return Err(err()),
                };
                self.period_of(NaiveDate::from_ymd_opt(y, m, day).ok_or_else(err)?)
                    .filter(|p| p.id == s)
                    .ok_or_else(err)
            }
            Self::FourWeekly { anchor } => {
                let rest = s.strip_suffix("-4W").ok_or_else(err)?;
                let (g, w) = rest.split_once("-W").ok_or_else(err)?;
                let year = i32::try_from(number(g, 4).ok_or_else(err)?)
                    .ok()
                    .filter(|y| crate::domain::years::accepts_year(*y))
                    .ok_or_else(err)?;
                let week = number(w, 2).ok_or_else(err)?;
                let monday =
                    NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or_else(err)?;
                if (monday - anchor).num_days().rem_euclid(28) != 0 {
                    return Err(FieldError::new(
                        "period_id",
                        format!(
                            "{s:?} does not start a period: four-weekly periods start every 28 days from {anchor}"
                        ),
                    ));
                }
                self.period_of(monday).filter(|p| p.id == s).ok_or_else(err)
            }
        }
    }

    /// The period containing `date`; `None` only at the ends of the calendar.
    #[must_use]
    pub fn period_of(self, date: NaiveDate) -> Option<Period> {
        match self {
            Self::Monthly => {
                let first = date.with_day(1)?;
                Some(Period {
                    first,
                    last: month_last(date.year(), date.month())?,
                    id: format!("{:04}-{:02}", date.year(), date.month()),
                })
            }
            Self::SemiMonthly => {
                let (first, last, half) = if date.day() <= 15 {
                    (date.with_day(1)?, date.with_day(15)?, "H1")
                } else {
                    (
                        date.with_day(16)?,
                        month_last(date.year(), date.month())?,
                        "H2",
                    )
                };
                Some(Period {
                    first,
                    last,
                    id: format!("{:04}-{:02}-{half}", date.year(), date.month()),
                })
            }
            Self::FourWeekly { anchor } => {
                let steps = (date - anchor).num_days().div_euclid(28);
                let first = anchor.checked_add_signed(Duration::days(steps * 28))?;
                let last = first.checked_add_signed(Duration::days(27))?;
                let iso = first.iso_week();
                Some(Period {
                    first,
                    last,
                    id: format!("{:04}-W{:02}-4W", iso.year(), iso.week()),
                })
            }
        }
    }

    /// The period after `p`.
    #[must_use]
    pub fn next(self, p: &Period) -> Option<Period> {
        self.period_of(p.last.succ_opt()?)
    }

    /// The period before `p`.
    #[must_use]
    pub fn previous(self, p: &Period) -> Option<Period> {
        self.period_of(p.first.pred_opt()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn monthly_ids_round_trip() {
        let p = PeriodKind::Monthly.parse("2026-11").expect("valid");
        assert_eq!((p.first, p.last), (d(2026, 11, 1), d(2026, 11, 30)));
        let feb = PeriodKind::Monthly.parse("2028-02").expect("leap year");
        assert_eq!(feb.last, d(2028, 2, 29));
        let dec = PeriodKind::Monthly.parse("2026-12").expect("december");
        assert_eq!(dec.last, d(2026, 12, 31));
        assert_eq!(PeriodKind::Monthly.next(&dec).expect("next").id, "2027-01");
        for s in [
            "2026-13",
            "2026-1",
            "26-11",
            "2026-11-H1",
            "2026-W45-4W",
            "",
            "2026/11",
            "+026-11",
        ] {
            let e = PeriodKind::Monthly.parse(s).expect_err(s);
            assert_eq!(e.field, "period_id");
            assert!(e.reason.contains("YYYY-MM"), "{}", e.reason);
        }
    }

    #[test]
    fn semi_monthly_halves() {
        let k = PeriodKind::SemiMonthly;
        let h1 = k.parse("2026-02-H1").expect("valid");
        assert_eq!((h1.first, h1.last), (d(2026, 2, 1), d(2026, 2, 15)));
        let h2 = k.next(&h1).expect("next");
        assert_eq!(
            (h2.id.as_str(), h2.first, h2.last),
            ("2026-02-H2", d(2026, 2, 16), d(2026, 2, 28))
        );
        assert_eq!(k.next(&h2).expect("next").id, "2026-03-H1");
        assert_eq!(k.previous(&h1).expect("prev").id, "2026-01-H2");
        for s in ["2026-02", "2026-02-H3", "2026-02-h1"] {
            assert!(k.parse(s).is_err(), "{s}");
        }
    }

    #[test]
    fn four_weekly_follows_the_anchor() {
        let k = PeriodKind::FourWeekly {
            anchor: d(2026, 1, 5),
        };
        // 2 Nov 2026 is 301 days = 43 weeks after 5 Jan: not on the cycle.
        let e = k.parse("2026-W45-4W").expect_err("off cycle");
        assert!(e.reason.contains("every 28 days"), "{}", e.reason);
        // 9 Nov 2026 (ISO week 46) is 44 weeks after the anchor.
        let p = k.parse("2026-W46-4W").expect("on cycle");
        assert_eq!((p.first, p.last), (d(2026, 11, 9), d(2026, 12, 6)));
        assert_eq!(k.next(&p).expect("next").id, "2026-W50-4W");
        assert_eq!(k.period_of(d(2026, 12, 6)).expect("p"), p);
        // Before the anchor the cycle runs backwards.
        assert_eq!(
            k.period_of(d(2025, 12, 31)).expect("p").first,
            d(2025, 12, 8)
        );
        for s in ["2026-W44", "2026-W4-4W", "2026-W54-4W", "2026-11"] {
            assert!(k.parse(s).is_err(), "{s}");
        }
    }
}
