//! Quiet hours: no email between 20:00 and 07:00 in the recipient's own time
//! zone. A message decided then waits for the morning (a nudge about night
//! work sent at midnight would defeat itself).

use chrono::{DateTime, Duration, NaiveTime, Utc};
use chrono_tz::Tz;

use crate::domain::engine::days::local_instant;
use crate::domain::local_days::local_date;

/// The quiet period of every night, local wall-clock times.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuietHours {
    /// Quiet from this time of day…
    pub start: NaiveTime,
    /// …until this time of day (the next morning when `end <= start`).
    pub end: NaiveTime,
}

impl Default for QuietHours {
    fn default() -> Self {
        Self {
            start: NaiveTime::from_hms_opt(20, 0, 0).unwrap_or(NaiveTime::MIN),
            end: NaiveTime::from_hms_opt(7, 0, 0).unwrap_or(NaiveTime::MIN),
        }
    }
}

impl QuietHours {
    /// Whether `t` falls in quiet hours in `tz`.
    #[must_use]
    pub fn is_quiet(&self, tz: Tz, t: DateTime<Utc>) -> bool {
        self.release(tz, t) != t
    }

    /// The first instant at or after `t` outside quiet hours in `tz`.
    ///
    /// Wall-clock times are resolved DST-correctly: on a night with a gap or
    /// an overlap, 07:00 is still 07:00 local.
    #[must_use]
    pub fn release(&self, tz: Tz, t: DateTime<Utc>) -> DateTime<Utc> {
        let date = local_date(tz, t);
        let time = t.with_timezone(&tz).time();
        let overnight = self.end <= self.start;
        let quiet = if overnight {
            time >= self.start || time < self.end
        } else {
            time >= self.start && time < self.end
        };
        if !quiet {
            return t;
        }
        // Quiet after `start` in the evening: released the next morning.
        let release_date = if overnight && time >= self.start {
            date + Duration::days(1)
        } else {
            date
        };
        local_instant(tz, release_date.and_time(self.end)).max(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::{America::New_York, Europe::Oslo};

    fn oslo(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Oslo.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn daytime_is_sent_at_once() {
        let q = QuietHours::default();
        let t = oslo(2026, 11, 19, 19, 59);
        assert_eq!(q.release(Oslo, t), t);
        assert!(!q.is_quiet(Oslo, oslo(2026, 11, 19, 7, 0)));
    }

    #[test]
    fn evening_and_night_wait_for_seven_in_the_morning() {
        let q = QuietHours::default();
        assert_eq!(
            q.release(Oslo, oslo(2026, 11, 19, 20, 0)),
            oslo(2026, 11, 20, 7, 0)
        );
        assert_eq!(
            q.release(Oslo, oslo(2026, 11, 20, 3, 30)),
            oslo(2026, 11, 20, 7, 0)
        );
    }

    #[test]
    fn quiet_hours_are_the_recipients_own() {
        let q = QuietHours::default();
        // 21:00 in Oslo is 15:00 in New York: quiet for one, not the other.
        let t = oslo(2026, 11, 19, 21, 0);
        assert!(q.is_quiet(Oslo, t));
        assert!(!q.is_quiet(New_York, t));
    }

    #[test]
    fn the_morning_after_a_dst_change_is_seven_local() {
        let q = QuietHours::default();
        // Sat 2026-10-24 23:00 → Sun 07:00 CET, a 25-hour day: 9 h later, not 8.
        let t = oslo(2026, 10, 24, 23, 0);
        let r = q.release(Oslo, t);
        assert_eq!(r, oslo(2026, 10, 25, 7, 0));
        assert_eq!(r - t, Duration::hours(9));
        // Spring forward: Sat 2026-03-28 23:00 → Sun 07:00 CEST, 7 h later.
        let t = oslo(2026, 3, 28, 23, 0);
        assert_eq!(q.release(Oslo, t) - t, Duration::hours(7));
    }
}
