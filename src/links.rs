//! The web pages' addresses: the one place that knows them. The router in
//! `web/` serves these paths and every email links to them, so a page that
//! moves moves for both.
//!
//! `base` is the `--public-url` without a trailing slash, e.g.
//! `https://tid.example.com`; the functions only join strings.

use chrono::NaiveDate;

use crate::domain::ids::EmployeeId;

/// The start page: clocked in or not, today, headroom.
#[must_use]
pub fn now(base: &str) -> String {
    format!("{base}/")
}

/// My time for the ISO week that holds `day`.
#[must_use]
pub fn my_week(base: &str, day: NaiveDate) -> String {
    format!("{base}/time?week={}", iso_week(day))
}

/// My time for a calendar month (`YYYY-MM`).
#[must_use]
pub fn my_month(base: &str, year: i32, month: u32) -> String {
    format!("{base}/time?month={year:04}-{month:02}")
}

/// One day of my own record, where it can be corrected.
#[must_use]
pub fn my_day(base: &str, day: NaiveDate) -> String {
    format!("{base}/time/{day}")
}

/// A finding explained on the day it belongs to.
#[must_use]
pub fn my_finding(base: &str, day: NaiveDate, finding_id: &str) -> String {
    format!("{base}/time/{day}#finding-{finding_id}")
}

/// What Tidsvakt told about me, and the mutes.
#[must_use]
pub fn messages(base: &str) -> String {
    format!("{base}/messages")
}

/// The mute setting of one nudge category.
#[must_use]
pub fn mute(base: &str, category: &str) -> String {
    format!("{base}/messages#mute-{category}")
}

/// Starts single sign-on with a provider (`next`: where to land after).
#[must_use]
pub fn sso_start(base: &str, provider: &str) -> String {
    format!("{base}/sign-in/sso/{provider}")
}

/// Where a single sign-on provider sends the browser back to: the
/// redirect URI to register with the provider.
#[must_use]
pub fn sso_callback(base: &str, provider: &str) -> String {
    format!("{base}/sign-in/sso/{provider}/callback")
}

/// The manager's team now.
#[must_use]
pub fn team(base: &str) -> String {
    format!("{base}/team")
}

/// The weekly digests as sent, and this week's preview.
#[must_use]
pub fn digests(base: &str) -> String {
    format!("{base}/team/digests")
}

/// A report's week, read only (for the manager).
#[must_use]
pub fn person_week(base: &str, employee: EmployeeId, day: NaiveDate) -> String {
    format!("{base}/people/{employee}/time?week={}", iso_week(day))
}

/// A report's finding on its day (for the manager).
#[must_use]
pub fn person_finding(
    base: &str,
    employee: EmployeeId,
    day: NaiveDate,
    finding_id: &str,
) -> String {
    format!("{base}/people/{employee}/time/{day}#finding-{finding_id}")
}

/// `YYYY-Www` of the ISO week that holds `day`.
#[must_use]
pub fn iso_week(day: NaiveDate) -> String {
    use chrono::Datelike as _;
    let w = day.iso_week();
    format!("{:04}-W{:02}", w.year(), w.week())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn weeks_are_iso_weeks_across_the_new_year() {
        assert_eq!(iso_week(d(2027, 1, 1)), "2026-W53");
        assert_eq!(iso_week(d(2026, 12, 3)), "2026-W49");
        assert_eq!(
            my_week("https://t.example", d(2026, 12, 3)),
            "https://t.example/time?week=2026-W49"
        );
    }

    #[test]
    fn findings_are_anchors_on_their_day() {
        assert_eq!(
            my_finding("http://x", d(2026, 3, 29), "f1"),
            "http://x/time/2026-03-29#finding-f1"
        );
        assert_eq!(
            mute("http://x", "evening"),
            "http://x/messages#mute-evening"
        );
    }
}
