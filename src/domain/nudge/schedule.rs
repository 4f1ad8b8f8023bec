//! When the weekly digest is due: by default Monday 07:00 in the manager's
//! own time zone, about the ISO week that ended before it.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;

use crate::domain::engine::days::local_instant;
use crate::domain::engine::ledger::monday_of;
use crate::domain::local_days::local_date;

/// The weekly send time, local to each manager.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DigestSchedule {
    pub weekday: Weekday,
    pub time: NaiveTime,
}

impl Default for DigestSchedule {
    fn default() -> Self {
        Self {
            weekday: Weekday::Mon,
            time: NaiveTime::from_hms_opt(7, 0, 0).unwrap_or(NaiveTime::MIN),
        }
    }
}

/// A digest to send: the week it covers and when it became due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DueDigest {
    /// The Monday of the covered ISO week.
    pub week: NaiveDate,
    pub due_at: DateTime<Utc>,
}

impl DigestSchedule {
    /// The latest digest due at or before `now` in `tz`: its week is the last
    /// whole ISO week before the send day. A server that was down on Monday
    /// sends it when it comes back; weeks missed before that are not sent
    /// (a digest two weeks late is noise, and the preview RPC shows any week).
    #[must_use]
    pub fn latest_due(&self, tz: Tz, now: DateTime<Utc>) -> DueDigest {
        let today = local_date(tz, now);
        let this_week = monday_of(today);
        let send_day = |monday: NaiveDate| {
            monday + Duration::days(i64::from(self.weekday.num_days_from_monday()))
        };
        let mut day = send_day(this_week);
        let mut due_at = local_instant(tz, day.and_time(self.time));
        if due_at > now {
            day = send_day(this_week - Duration::weeks(1));
            due_at = local_instant(tz, day.and_time(self.time));
        }
        DueDigest {
            week: monday_of(day) - Duration::weeks(1),
            due_at,
        }
    }
}

/// Whether `week` (a Monday) has ended in `tz` at `now`: only past weeks
/// can be previewed.
#[must_use]
pub fn week_has_ended(tz: Tz, week: NaiveDate, now: DateTime<Utc>) -> bool {
    local_date(tz, now) >= week + Duration::weeks(1) && week.weekday() == Weekday::Mon
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::{Asia::Tokyo, Europe::Oslo};

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn monday_seven_sends_last_week() {
        let s = DigestSchedule::default();
        let at = Oslo
            .with_ymd_and_hms(2026, 11, 23, 7, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            s.latest_due(Oslo, at),
            DueDigest {
                week: d(11, 16),
                due_at: at
            }
        );
        // One minute earlier the previous digest is the latest.
        let before = at - Duration::minutes(1);
        assert_eq!(s.latest_due(Oslo, before).week, d(11, 9));
    }

    #[test]
    fn a_missed_monday_is_still_due_on_wednesday() {
        let s = DigestSchedule::default();
        let wed = Oslo
            .with_ymd_and_hms(2026, 11, 25, 15, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        let due = s.latest_due(Oslo, wed);
        assert_eq!(due.week, d(11, 16));
        assert_eq!(
            due.due_at,
            Oslo.with_ymd_and_hms(2026, 11, 23, 7, 0, 0)
                .unwrap()
                .with_timezone(&Utc)
        );
    }

    #[test]
    fn each_manager_gets_their_own_morning() {
        let s = DigestSchedule::default();
        // Monday 00:00 UTC: 09:00 in Tokyo (due), 01:00 in Oslo (not yet).
        let t = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap();
        assert_eq!(s.latest_due(Tokyo, t).week, d(11, 16));
        assert_eq!(s.latest_due(Oslo, t).week, d(11, 9));
    }

    #[test]
    fn a_friday_schedule_covers_the_previous_whole_week() {
        let s = DigestSchedule {
            weekday: Weekday::Fri,
            time: NaiveTime::from_hms_opt(16, 0, 0).unwrap(),
        };
        let fri = Oslo
            .with_ymd_and_hms(2026, 11, 27, 16, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(s.latest_due(Oslo, fri).week, d(11, 16));
    }

    #[test]
    fn only_ended_weeks_can_be_previewed() {
        let now = Oslo
            .with_ymd_and_hms(2026, 11, 22, 23, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        assert!(week_has_ended(Oslo, d(11, 9), now));
        assert!(!week_has_ended(Oslo, d(11, 16), now));
        assert!(!week_has_ended(Oslo, d(11, 10), now), "not a Monday");
    }
}
