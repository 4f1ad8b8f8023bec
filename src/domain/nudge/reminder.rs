//! The forgotten clock-out: a reminder soon after the expected end of the
//! day, with a suggested end time the employee can confirm by a correction.
//! The service never closes an interval by itself (rules.md § 4: no hours
//! are guessed); the suggestion is only words in an email.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::domain::engine::days::{PlannedDay, local_instant};

/// When to remind, and what end to suggest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reminder {
    pub due: DateTime<Utc>,
    pub suggested_end: DateTime<Utc>,
}

/// How long after the expected end the reminder goes out.
pub const REMINDER_GRACE: Duration = Duration::minutes(60);

/// A day's length when the plan has none (7 h 30 min plus a 30 min break,
/// the default schedule's day).
const FALLBACK_DAY: Duration = Duration::minutes(480);

/// The reminder for an interval opened at `opened` on a day planned as
/// `planned` (the plan of the local date of `opened`).
///
/// The expected end is the scheduled end of the day when the clock-in came
/// before it; otherwise (an unscheduled day, or an evening clock-in) the
/// clock-in plus a working day.
#[must_use]
pub fn clock_out_reminder(tz: Tz, opened: DateTime<Utc>, planned: &PlannedDay) -> Reminder {
    let scheduled_end = planned
        .scheduled_end
        .map(|end| local_instant(tz, end))
        .filter(|end| *end > opened + Duration::minutes(30));
    let suggested_end = scheduled_end.unwrap_or(opened + FALLBACK_DAY);
    Reminder {
        due: suggested_end + REMINDER_GRACE,
        suggested_end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};
    use chrono_tz::Europe::Oslo;

    fn oslo(h: u32, m: u32) -> DateTime<Utc> {
        Oslo.with_ymd_and_hms(2026, 11, 18, h, m, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn planned_until(h: u32) -> PlannedDay {
        PlannedDay {
            scheduled: Duration::minutes(450),
            scheduled_end: NaiveDate::from_ymd_opt(2026, 11, 18)
                .unwrap()
                .and_hms_opt(h, 0, 0),
            ..PlannedDay::default()
        }
    }

    #[test]
    fn reminds_an_hour_after_the_scheduled_end_and_suggests_it() {
        let r = clock_out_reminder(Oslo, oslo(8, 0), &planned_until(16));
        assert_eq!(r.suggested_end, oslo(16, 0));
        assert_eq!(r.due, oslo(17, 0));
    }

    #[test]
    fn an_evening_clock_in_gets_a_working_day_from_the_clock_in() {
        let r = clock_out_reminder(Oslo, oslo(17, 0), &planned_until(16));
        assert_eq!(r.suggested_end, oslo(17, 0) + Duration::hours(8));
    }

    #[test]
    fn an_unscheduled_day_gets_a_working_day_from_the_clock_in() {
        let r = clock_out_reminder(Oslo, oslo(9, 0), &PlannedDay::default());
        assert_eq!(r.suggested_end, oslo(17, 0));
        assert_eq!(r.due, oslo(18, 0));
    }
}
