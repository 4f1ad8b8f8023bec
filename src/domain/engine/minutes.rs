//! Whole minutes: the one place where exact durations become the minutes
//! people read on a timesheet and are paid by (issue 13 item 6).
//!
//! Payroll choices, written down:
//! - Instants are exact to the microsecond, and so is every legal check.
//! - Each local date's figures are rounded once, half away from zero, to
//!   whole minutes ([`DayMinutes::of`]); NORMAL and OVERTIME are then split
//!   by largest remainder so that they add up to WORKED on every row.
//! - A period's figure is the sum of its dates' figures. The timesheet's
//!   rows and totals and payroll's lines therefore agree to the minute for
//!   any period, which per-period rounding cannot give (three days of
//!   08:00:00–15:29:40 are 3 × 450 min on both).

use chrono::Duration;

use super::days::DayTotals;

const MINUTE_US: i64 = 60_000_000;

/// Microseconds of a duration (saturating; no working time comes near).
#[must_use]
pub fn micros(d: Duration) -> i64 {
    d.num_microseconds().unwrap_or(i64::MAX)
}

/// Whole minutes, rounded half away from zero.
#[must_use]
pub fn round_minutes(d: Duration) -> i64 {
    let us = micros(d);
    let (q, r) = (us / MINUTE_US, us % MINUTE_US);
    if r.abs() * 2 >= MINUTE_US {
        q + r.signum()
    } else {
        q
    }
}

/// Flex: worked and absent minutes against the scheduled ones. The
/// timesheet adds it up day by day for days that have ended (the balance);
/// payroll takes it over a period (the movement). One formula for both.
#[must_use]
pub fn flex(worked: i64, absent: i64, scheduled: i64) -> i64 {
    worked + absent - scheduled
}

/// Splits `total` whole minutes over exact non-negative `parts` (in
/// microseconds, summing to about `total`) by largest remainder: each part
/// gets its floor, the minutes left go to the largest remainders (ties to
/// the earlier part), and minutes too many come off the smallest remainders
/// among parts that have one. The result always sums to `total` when
/// `total` is between 0 and the sum of the parts' ceilings.
#[must_use]
pub fn apportion(total: i64, parts: &[i64]) -> Vec<i64> {
    let mut out: Vec<i64> = parts.iter().map(|p| p.div_euclid(MINUTE_US)).collect();
    if parts.is_empty() {
        return out;
    }
    let mut left = total - out.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(parts[i].rem_euclid(MINUTE_US)), i));
    for &i in order.iter().cycle().take(parts.len() * 2) {
        if left <= 0 {
            break;
        }
        out[i] += 1;
        left -= 1;
    }
    for &i in order.iter().rev().cycle().take(parts.len() * 2) {
        if left >= 0 {
            break;
        }
        if out[i] > 0 {
            out[i] -= 1;
            left += 1;
        }
    }
    out
}

/// One local date's figures in whole minutes: what a timesheet row shows
/// and what payroll adds up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DayMinutes {
    pub worked: i64,
    pub normal: i64,
    pub overtime: i64,
    pub night: i64,
    pub sunday_holiday: i64,
    pub home: i64,
}

impl DayMinutes {
    /// The date's figures, each rounded once; `normal + overtime = worked`.
    #[must_use]
    pub fn of(t: &DayTotals) -> Self {
        let worked = round_minutes(t.worked);
        let split = apportion(worked, &[micros(t.normal), micros(t.overtime)]);
        Self {
            worked,
            normal: split[0],
            overtime: split[1],
            night: round_minutes(t.night),
            sunday_holiday: round_minutes(t.sunday_holiday),
            home: round_minutes(t.home),
        }
    }
}

impl std::ops::AddAssign for DayMinutes {
    fn add_assign(&mut self, o: Self) {
        self.worked += o.worked;
        self.normal += o.normal;
        self.overtime += o.overtime;
        self.night += o.night;
        self.sunday_holiday += o.sunday_holiday;
        self.home += o.home;
    }
}

/// The sum of the dates' figures over `first..=last` of `days`.
#[must_use]
pub fn period_minutes(
    days: &std::collections::BTreeMap<chrono::NaiveDate, DayTotals>,
    first: chrono::NaiveDate,
    last: chrono::NaiveDate,
) -> DayMinutes {
    let mut out = DayMinutes::default();
    for t in days.range(first..=last).map(|(_, t)| t) {
        out += DayMinutes::of(t);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_minutes(Duration::seconds(29)), 0);
        assert_eq!(round_minutes(Duration::seconds(30)), 1);
        assert_eq!(round_minutes(Duration::seconds(-30)), -1);
        assert_eq!(round_minutes(Duration::seconds(-89)), -1);
        assert_eq!(round_minutes(Duration::seconds(90)), 2);
    }

    #[test]
    fn apportioning_keeps_the_total() {
        let m = MINUTE_US;
        // 10.5 + 10.5 = 21 minutes: the first part takes the extra minute.
        assert_eq!(
            apportion(21, &[10 * m + m / 2, 10 * m + m / 2]),
            vec![11, 10]
        );
        // 0.4 + 0.4 + 0.4 = 1.2 → 1 minute, to the first.
        assert_eq!(
            apportion(1, &[2 * m / 5, 2 * m / 5, 2 * m / 5]),
            vec![1, 0, 0]
        );
        assert_eq!(apportion(0, &[0, 0]), vec![0, 0]);
        // Fewer minutes than the floors: taken off the smallest remainder.
        assert_eq!(apportion(1, &[m + m / 5, m + m / 2]), vec![0, 1]);
    }

    #[test]
    fn a_day_row_adds_up() {
        let t = DayTotals {
            worked: Duration::seconds(449 * 60 + 40),
            normal: Duration::seconds(420 * 60 + 20),
            overtime: Duration::seconds(29 * 60 + 20),
            ..DayTotals::default()
        };
        let m = DayMinutes::of(&t);
        assert_eq!(m.worked, 450);
        assert_eq!(m.normal + m.overtime, 450);
    }

    /// Rounding at every edge: exact minutes stay, half a minute goes away
    /// from zero, a microsecond less goes toward it.
    #[test]
    fn rounding_at_the_half_minute_exactly() {
        let half = Duration::seconds(30);
        let us = Duration::microseconds(1);
        assert_eq!(round_minutes(Duration::minutes(120)), 120);
        assert_eq!(round_minutes(Duration::minutes(449) + half), 450);
        assert_eq!(round_minutes(Duration::minutes(449) + half - us), 449);
        assert_eq!(round_minutes(Duration::minutes(-2) - half), -3);
        assert_eq!(round_minutes(Duration::minutes(-2) - half + us), -2);
        assert_eq!(
            round_minutes(Duration::minutes(7) + Duration::seconds(59)),
            8
        );
        assert_eq!(micros(Duration::minutes(2)), 2 * MINUTE_US);
        assert_eq!(micros(Duration::microseconds(-7)), -7);
    }

    #[test]
    fn flex_is_worked_and_absent_against_scheduled() {
        assert_eq!(flex(480, 60, 450), 90);
        assert_eq!(flex(300, 0, 450), -150);
        assert_eq!(flex(0, 450, 450), 0);
    }

    /// Apportioning: a single part takes the whole total; minutes too many
    /// never come off a part that has none.
    #[test]
    fn apportioning_at_the_edges() {
        let m = MINUTE_US;
        assert_eq!(apportion(1, &[m / 2]), vec![1]);
        assert_eq!(apportion(3, &[2 * m + m / 2]), vec![3]);
        assert_eq!(apportion(2, &[2 * m + m / 2]), vec![2]);
        assert_eq!(apportion(5, &[]), Vec::<i64>::new());
        // Floors 1 and 0, total 0: the minute comes off the first part, not
        // off the empty second one (which has the smaller remainder).
        assert_eq!(apportion(0, &[m + m / 2, 0]), vec![0, 0]);
        // Three parts of 0.6: 1.8 → 2 minutes, to the first two.
        assert_eq!(
            apportion(2, &[3 * m / 5, 3 * m / 5, 3 * m / 5]),
            vec![1, 1, 0]
        );
        // Three parts of 1.4 (floors 3), total 2: one off the last.
        assert_eq!(
            apportion(2, &[m + 2 * m / 5, m + 2 * m / 5, m + 2 * m / 5]),
            vec![1, 1, 0]
        );
    }

    /// A period's figures are the sum of its dates' rounded figures, every
    /// field, and only the dates in the period.
    #[test]
    fn a_period_is_the_sum_of_its_days() {
        use chrono::NaiveDate;
        let day = |worked: i64, overtime: i64, night: i64, sunday: i64, home: i64| DayTotals {
            worked: Duration::seconds(worked),
            normal: Duration::seconds(worked - overtime),
            overtime: Duration::seconds(overtime),
            night: Duration::seconds(night),
            sunday_holiday: Duration::seconds(sunday),
            home: Duration::seconds(home),
        };
        let d = |n: u32| NaiveDate::from_ymd_opt(2026, 11, n).unwrap();
        let mut days = std::collections::BTreeMap::new();
        days.insert(d(1), day(600, 120, 60, 180, 240));
        days.insert(d(2), day(3600, 1200, 1800, 0, 3000));
        days.insert(d(3), day(6000, 0, 600, 1200, 0));
        days.insert(d(4), day(99_999, 0, 0, 0, 0));
        let one = DayMinutes::of(&days[&d(1)]);
        assert_eq!(
            one,
            DayMinutes {
                worked: 10,
                normal: 8,
                overtime: 2,
                night: 1,
                sunday_holiday: 3,
                home: 4
            }
        );
        assert_eq!(
            period_minutes(&days, d(1), d(3)),
            DayMinutes {
                worked: 170,
                normal: 148,
                overtime: 22,
                night: 41,
                sunday_holiday: 23,
                home: 54
            }
        );
        assert_eq!(period_minutes(&days, d(2), d(2)).home, 50);
    }
}
