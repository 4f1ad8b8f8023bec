//! Splitting work at local midnight (rules.md § 0, "calendar attribution").
//!
//! Instants are UTC; days are the employee's. A local day is 23, 24 or 25
//! hours long, so minutes are counted as elapsed time between the UTC
//! instants of local midnights, never as wall-clock differences.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use super::clock_status::Interval;

/// The UTC instant at which local `date` starts in `tz`. Where midnight does
/// not exist (a DST gap at 00:00), the day starts at the first instant that
/// does.
#[must_use]
pub fn start_of_day(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    let local = tz.from_local_datetime(&midnight).earliest().or_else(|| {
        (1..=180).find_map(|m| {
            tz.from_local_datetime(&(midnight + Duration::minutes(m)))
                .earliest()
        })
    });
    local.map_or_else(
        || Utc.from_utc_datetime(&midnight),
        |t| t.with_timezone(&Utc),
    )
}

/// The local date of an instant.
#[must_use]
pub fn local_date(tz: Tz, t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&tz).date_naive()
}

/// Splits `[start, end)` at local midnights: `(date, elapsed)` pieces in order.
#[must_use]
pub fn split_at_midnight(
    tz: Tz,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Vec<(NaiveDate, Duration)> {
    let mut out = Vec::new();
    let mut from = start;
    while from < end {
        let date = local_date(tz, from);
        let next = date.succ_opt().map_or(end, |d| start_of_day(tz, d));
        let until = next.min(end);
        out.push((date, until - from));
        from = until;
    }
    out
}

/// Worked time per local day: closed intervals minus their breaks, split at
/// local midnight. Open intervals count nothing (rules.md: no hours are
/// guessed). Unless `breaks_paid`, break time is not working time.
#[must_use]
pub fn worked_by_day(
    tz: Tz,
    intervals: &[Interval],
    breaks_paid: bool,
) -> BTreeMap<NaiveDate, Duration> {
    let mut days: BTreeMap<NaiveDate, Duration> = BTreeMap::new();
    for interval in intervals {
        let Some(end) = interval.end else { continue };
        for (date, d) in split_at_midnight(tz, interval.start, end) {
            *days.entry(date).or_insert_with(Duration::zero) += d;
        }
        if breaks_paid {
            continue;
        }
        for b in &interval.breaks {
            let b_end = b.end.unwrap_or(end).min(end);
            for (date, d) in split_at_midnight(tz, b.start.max(interval.start), b_end) {
                *days.entry(date).or_insert_with(Duration::zero) -= d;
            }
        }
    }
    days
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::clock_status::Break;
    use chrono_tz::Europe::Oslo;
    use proptest::prelude::*;
    use uuid::Uuid;

    fn oslo(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Oslo.with_ymd_and_hms(y, m, d, h, min, 0)
            .earliest()
            .unwrap()
            .with_timezone(&Utc)
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn interval(start: DateTime<Utc>, end: DateTime<Utc>, breaks: Vec<Break>) -> Interval {
        Interval {
            start,
            end: Some(end),
            location: None,
            breaks,
            start_event: Uuid::nil(),
            end_event: None,
        }
    }

    #[test]
    fn worked_example_1_shift_across_midnight() {
        let i = interval(oslo(2026, 3, 10, 22, 0), oslo(2026, 3, 11, 3, 0), vec![]);
        let days = worked_by_day(Oslo, &[i], false);
        assert_eq!(days[&date(2026, 3, 10)], Duration::hours(2));
        assert_eq!(days[&date(2026, 3, 11)], Duration::hours(3));
    }

    #[test]
    fn worked_example_2_spring_forward_is_seven_hours() {
        let i = interval(oslo(2026, 3, 28, 22, 0), oslo(2026, 3, 29, 6, 0), vec![]);
        let days = worked_by_day(Oslo, &[i], false);
        assert_eq!(days[&date(2026, 3, 28)], Duration::hours(2));
        assert_eq!(days[&date(2026, 3, 29)], Duration::hours(5));
    }

    #[test]
    fn worked_example_3_fall_back_is_eight_and_a_half_hours() {
        let break_start = oslo(2026, 10, 25, 0, 30);
        let b = Break {
            start: break_start,
            end: Some(break_start + Duration::minutes(30)),
        };
        let i = interval(oslo(2026, 10, 24, 22, 0), oslo(2026, 10, 25, 6, 0), vec![b]);
        let days = worked_by_day(Oslo, &[i], false);
        assert_eq!(days[&date(2026, 10, 24)], Duration::hours(2));
        assert_eq!(days[&date(2026, 10, 25)], Duration::minutes(390));
        let paid = worked_by_day(
            Oslo,
            &[interval(
                oslo(2026, 10, 24, 22, 0),
                oslo(2026, 10, 25, 6, 0),
                vec![],
            )],
            true,
        );
        assert_eq!(paid.values().copied().sum::<Duration>(), Duration::hours(9));
    }

    #[test]
    fn dst_days_are_23_and_25_hours_long() {
        let day = |d: NaiveDate| start_of_day(Oslo, d.succ_opt().unwrap()) - start_of_day(Oslo, d);
        assert_eq!(day(date(2026, 3, 29)), Duration::hours(23));
        assert_eq!(day(date(2026, 10, 25)), Duration::hours(25));
        assert_eq!(day(date(2026, 11, 19)), Duration::hours(24));
    }

    #[test]
    fn open_intervals_count_nothing() {
        let mut i = interval(oslo(2026, 11, 19, 8, 0), oslo(2026, 11, 19, 9, 0), vec![]);
        i.end = None;
        assert!(worked_by_day(Oslo, &[i], false).is_empty());
    }

    proptest! {
        #[test]
        fn day_totals_add_up_to_the_interval(start in 0i64..2_000_000, minutes in 0i64..5000) {
            // Any interval in 2026, DST nights included.
            let s = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::minutes(start / 4);
            let e = s + Duration::minutes(minutes);
            let days = worked_by_day(Oslo, &[interval(s, e, vec![])], false);
            prop_assert_eq!(days.values().copied().sum::<Duration>(), e - s);
        }
    }
}
