//! The period of a § 10-7 working-time record: a calendar month
//! (`2026-11`) or a range of local dates (`2026-11-01..2026-11-15`), at
//! most one year. One grammar for the RPC, the pages, the CSV and the
//! printable report, so they all read the same days.

use chrono::{Datelike, Months, NaiveDate};

use super::employee::FieldError;

/// The local dates of a record, inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordPeriod {
    pub first: NaiveDate,
    pub last: NaiveDate,
}

impl RecordPeriod {
    /// A calendar month, `YYYY-MM`.
    ///
    /// # Errors
    /// A [`FieldError`] naming `field` when it is not a month.
    pub fn month(field: &str, s: &str) -> Result<Self, FieldError> {
        let t = s.trim();
        let bad = || {
            FieldError::new(
                field,
                format!(
                    "'{}' is not a month; write YYYY-MM, e.g. 2026-11",
                    shorten(t)
                ),
            )
        };
        let (y, m) = t.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let first = NaiveDate::from_ymd_opt(
            y.parse().map_err(|_| bad())?,
            m.parse().map_err(|_| bad())?,
            1,
        )
        .ok_or_else(bad)?;
        let last = first
            .checked_add_months(Months::new(1))
            .and_then(|d| d.pred_opt())
            .ok_or_else(bad)?;
        Ok(Self { first, last })
    }

    /// A range of local dates, `last` not before `first`, at most one year
    /// (`last` before the same date a year after `first`).
    ///
    /// # Errors
    /// A [`FieldError`] naming `field`.
    pub fn range(field: &str, first: NaiveDate, last: NaiveDate) -> Result<Self, FieldError> {
        if last < first {
            return Err(FieldError::new(
                field,
                format!("the last day {last} is before the first {first}"),
            ));
        }
        let year_on = first.checked_add_months(Months::new(12));
        if year_on.is_none_or(|end| last >= end) {
            return Err(FieldError::new(
                field,
                format!(
                    "{first}..{last} is longer than one year; ask for at most a year at a time"
                ),
            ));
        }
        Ok(Self { first, last })
    }

    /// `YYYY-MM` for a month, `YYYY-MM-DD..YYYY-MM-DD` for a range.
    ///
    /// # Errors
    /// A [`FieldError`] naming `field`.
    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        let t = s.trim();
        let Some((a, b)) = t.split_once("..") else {
            return Self::month(field, t);
        };
        let date = |d: &str| {
            NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").map_err(|_| {
                FieldError::new(
                    field,
                    format!(
                        "'{}' is not a date; write YYYY-MM-DD..YYYY-MM-DD, e.g. 2026-11-01..2026-11-15",
                        shorten(d.trim())
                    ),
                )
            })
        };
        Self::range(field, date(a)?, date(b)?)
    }

    /// Whether the period is exactly one calendar month.
    #[must_use]
    pub fn is_month(&self) -> bool {
        self.first.day() == 1
            && self
                .first
                .checked_add_months(Months::new(1))
                .and_then(|d| d.pred_opt())
                == Some(self.last)
    }

    /// The period as [`RecordPeriod::parse`] reads it back.
    #[must_use]
    pub fn label(&self) -> String {
        if self.is_month() {
            self.first.format("%Y-%m").to_string()
        } else {
            format!("{}..{}", self.first, self.last)
        }
    }

    /// How many days it has.
    #[must_use]
    pub fn days(&self) -> i64 {
        (self.last - self.first).num_days() + 1
    }
}

/// At most 40 characters of what someone typed, for a message.
fn shorten(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("a date")
    }

    #[test]
    fn a_month_is_its_first_to_its_last_day() {
        let p = RecordPeriod::parse("period", "2028-02").expect("a month");
        assert_eq!((p.first, p.last), (d(2028, 2, 1), d(2028, 2, 29)));
        assert_eq!(p.days(), 29);
        assert_eq!(p.label(), "2028-02");
        let dec = RecordPeriod::parse("period", "2026-12").expect("a month");
        assert_eq!(dec.last, d(2026, 12, 31));
    }

    #[test]
    fn bad_months_name_the_field() {
        for bad in ["2026-13", "2026-1", "26-11", "november", "", "2026-00"] {
            let e = RecordPeriod::parse("period", bad).expect_err(bad);
            assert_eq!(e.field, "period");
            assert!(e.reason.contains("YYYY-MM"), "{bad}: {}", e.reason);
        }
    }

    #[test]
    fn a_range_is_at_most_one_year() {
        let p = RecordPeriod::parse("period", "2026-01-01..2026-12-31").expect("a year");
        assert_eq!(p.days(), 365);
        assert_eq!(p.label(), "2026-01-01..2026-12-31");
        let e = RecordPeriod::parse("period", "2026-01-01..2027-01-01").expect_err("too long");
        assert!(e.reason.contains("longer than one year"), "{}", e.reason);
        let leap = RecordPeriod::parse("period", "2028-01-01..2028-12-31").expect("366 days");
        assert_eq!(leap.days(), 366);
        let e = RecordPeriod::parse("period", "2026-11-15..2026-11-01").expect_err("backwards");
        assert!(e.reason.contains("before"), "{}", e.reason);
        let e = RecordPeriod::parse("period", "2026-11-01..2026-11-31").expect_err("no such day");
        assert!(e.reason.contains("YYYY-MM-DD"), "{}", e.reason);
    }

    #[test]
    fn a_range_of_one_whole_month_reads_as_the_month() {
        let p = RecordPeriod::parse("period", "2026-11-01..2026-11-30").expect("a month");
        assert_eq!(p.label(), "2026-11");
    }
}
