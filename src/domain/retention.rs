//! How long a leaver's identity is kept, and what anonymising leaves.
//!
//! The working-time record is the employer's evidence under
//! arbeidsmiljøloven § 10-7 and the basis of pay, so its events, amendments
//! and totals stay. What identifies the person (name, email address, the
//! HR system's id, sign-in sessions and links, token names, the subjects of
//! the emails sent to them) is kept only while there is a reason to.
//!
//! The default period is **5 years after the employee left**: the record
//! underlies payroll, and bokføringsloven § 13 keeps payroll documentation
//! for 5 years after the end of the financial year. A careful HR lead can
//! shorten it (`--retention-days`) but a shorter period risks losing the
//! evidence of a pay or working-time dispute; 0 turns anonymising off.

use chrono::{DateTime, Duration, Utc};

use super::ids::EmployeeId;

/// 5 years, counting the leap days they may hold.
pub const DEFAULT_RETENTION: Duration = Duration::days(5 * 365 + 2);

/// The name an anonymised employee is shown by.
pub const ANONYMOUS_NAME: &str = "Former employee";

/// The instant before which a leaver's identity is due to go.
#[must_use]
pub fn cutoff(now: DateTime<Utc>, retention: Duration) -> DateTime<Utc> {
    now - retention
}

/// Whether an employee who left at `deactivated_at` is due at `now`.
#[must_use]
pub fn due(deactivated_at: DateTime<Utc>, now: DateTime<Utc>, retention: Duration) -> bool {
    deactivated_at <= cutoff(now, retention)
}

/// The external id an anonymised employee keeps: unique, and free of the
/// HR system's id.
#[must_use]
pub fn anonymous_external_id(id: EmployeeId) -> String {
    format!("anonymised-{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_leaver_is_due_exactly_at_the_end_of_the_period() {
        let left = DateTime::from_timestamp(1_700_000_000, 0).expect("in range");
        assert!(!due(
            left,
            left + DEFAULT_RETENTION - Duration::seconds(1),
            DEFAULT_RETENTION
        ));
        assert!(due(left, left + DEFAULT_RETENTION, DEFAULT_RETENTION));
        assert_eq!(DEFAULT_RETENTION.num_days(), 1827);
    }
}
