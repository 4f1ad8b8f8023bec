//! The span of years the service accepts for instants and periods.
//!
//! Every stored instant is Unix time, and working-time records begin long
//! after 1970; protobuf's `Timestamp` ends with year 9999. A date outside is
//! a client's mistake, refused at the edge rather than stored or computed
//! with (a payroll period "0000-01" or a headroom "at" before year 1 once
//! passed).

use chrono::{DateTime, Datelike as _, NaiveDate, Utc};

pub const FIRST_YEAR: i32 = 1970;
pub const LAST_YEAR: i32 = 9999;

/// Whether `year` lies in the accepted span.
#[must_use]
pub fn accepts_year(year: i32) -> bool {
    (FIRST_YEAR..=LAST_YEAR).contains(&year)
}

/// Whether the instant lies in the accepted span.
#[must_use]
pub fn accepts_instant(t: DateTime<Utc>) -> bool {
    accepts_year(t.year())
}

/// Whether the date lies in the accepted span.
#[must_use]
pub fn accepts_date(d: NaiveDate) -> bool {
    accepts_year(d.year())
}

/// The accepted span in words, for error messages.
#[must_use]
pub fn span() -> String {
    format!("years {FIRST_YEAR}..={LAST_YEAR}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_span_ends_are_inclusive() {
        assert!(!accepts_year(FIRST_YEAR - 1));
        assert!(accepts_year(FIRST_YEAR));
        assert!(accepts_year(LAST_YEAR));
        assert!(!accepts_year(LAST_YEAR + 1));
    }
}
