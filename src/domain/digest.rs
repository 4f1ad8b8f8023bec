//! The weekly digest's figures for a manager: per direct report, the week
//! against the schedule, overtime against each legal limit, out-of-hours
//! patterns, open violations, home-office share and a four-week trend; and
//! the team's totals. Pure arithmetic over figures storage has read; the
//! mail layer words and draws them.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};

use crate::domain::ids::EmployeeId;
use crate::domain::nudge::Category;

/// One local date of a report's record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DayFigures {
    pub worked: Duration,
    /// Scheduled time less absences: what the plan expected to be worked.
    pub expected: Duration,
    pub overtime: Duration,
    /// Night and Sunday/holiday time (the § 10-10 window).
    pub out_of_hours: Duration,
    pub home: Duration,
}

/// A legal overtime limit and how much of it is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitUse {
    pub days: i64,
    pub used: Duration,
    pub limit: Duration,
}

impl LimitUse {
    /// Share of the limit used, in whole percent (may pass 100).
    #[must_use]
    pub fn percent(&self) -> u32 {
        percent(self.used, self.limit)
    }

    #[must_use]
    pub fn is_over(&self) -> bool {
        self.used > self.limit
    }
}

/// What storage reads for one report.
#[derive(Clone, Debug, Default)]
pub struct ReportInput {
    /// Whom it is about (`None` in figures-only tests).
    pub employee: Option<EmployeeId>,
    pub name: String,
    /// The 28 local dates ending with the digest week's Sunday; missing
    /// dates had nothing worked or planned.
    pub days: BTreeMap<NaiveDate, DayFigures>,
    /// Ledger overtime over the 52 weeks (364 days) ending with the week.
    pub overtime_52w: Duration,
    /// The pack's overtime limits for 7 days, 4 weeks and 52 weeks; empty
    /// for packs that have none (the Directive, the `ArbZG`).
    pub limits: Vec<(i64, Duration)>,
    /// Pattern findings whose `at` falls in the week, by category.
    pub patterns: BTreeMap<Category, i64>,
    /// Violations of the digest week (their `at` falls in it) that are
    /// still open; older ones were counted by the digests of their weeks.
    pub open_violations: i64,
}

/// One ISO week of the trend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WeekFigures {
    pub monday: NaiveDate,
    pub worked: Duration,
    pub expected: Duration,
}

/// A report's digest figures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportDigest {
    pub employee: Option<EmployeeId>,
    pub name: String,
    pub week: WeekFigures,
    pub overtime_week: Duration,
    pub limits: Vec<LimitUse>,
    pub patterns: Vec<(Category, i64)>,
    pub open_violations: i64,
    pub home: Duration,
    /// Four weeks, oldest first; the digest week last.
    pub trend: Vec<WeekFigures>,
    /// Monday to Sunday of the digest week.
    pub days: Vec<(NaiveDate, DayFigures)>,
}

impl ReportDigest {
    /// HOME share of the week's worked time, whole percent; `None` when
    /// nothing was worked.
    #[must_use]
    pub fn home_percent(&self) -> Option<u32> {
        (self.week.worked > Duration::zero()).then(|| percent(self.home, self.week.worked))
    }
}

/// The whole digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Digest {
    pub monday: NaiveDate,
    pub reports: Vec<ReportDigest>,
    pub team_worked: Duration,
    pub team_expected: Duration,
    pub team_overtime: Duration,
    pub team_home: Duration,
    pub team_open_violations: i64,
    pub team_patterns: i64,
    /// The longest single day of any report (or schedule), for scaling bars.
    pub longest_day: Duration,
}

/// `part / whole` in whole percent, rounded half up; 0 for an empty whole.
#[must_use]
pub fn percent(part: Duration, whole: Duration) -> u32 {
    let (p, w) = (part.num_seconds().max(0), whole.num_seconds());
    if w <= 0 {
        return 0;
    }
    u32::try_from((p * 200 + w) / (2 * w)).unwrap_or(u32::MAX)
}

/// The figures of the week starting `monday`, reports sorted by name.
#[must_use]
pub fn build(monday: NaiveDate, mut reports: Vec<ReportInput>) -> Digest {
    reports.sort_by(|a, b| a.name.cmp(&b.name));
    let week_of = |r: &ReportInput, m: NaiveDate| -> WeekFigures {
        let (mut worked, mut expected) = (Duration::zero(), Duration::zero());
        for (_, d) in r.days.range(m..m + Duration::days(7)) {
            worked += d.worked;
            expected += d.expected;
        }
        WeekFigures {
            monday: m,
            worked,
            expected,
        }
    };
    let sum = |r: &ReportInput, from: NaiveDate, f: fn(&DayFigures) -> Duration| -> Duration {
        r.days
            .range(from..monday + Duration::days(7))
            .map(|(_, d)| f(d))
            .sum()
    };
    let mut out = Vec::new();
    let mut longest = Duration::zero();
    for r in &reports {
        let overtime_week = sum(r, monday, |d| d.overtime);
        let overtime_4w = sum(r, monday - Duration::weeks(3), |d| d.overtime);
        let limits = r
            .limits
            .iter()
            .map(|&(days, limit)| LimitUse {
                days,
                used: match days {
                    7 => overtime_week,
                    28 => overtime_4w,
                    _ => r.overtime_52w,
                },
                limit,
            })
            .collect();
        let days: Vec<(NaiveDate, DayFigures)> = (0..7)
            .map(|k| {
                let d = monday + Duration::days(k);
                (d, r.days.get(&d).copied().unwrap_or_default())
            })
            .collect();
        for (_, d) in &days {
            longest = longest.max(d.worked).max(d.expected);
        }
        out.push(ReportDigest {
            employee: r.employee,
            name: r.name.clone(),
            week: week_of(r, monday),
            overtime_week,
            limits,
            patterns: r
                .patterns
                .iter()
                .filter(|(_, n)| **n > 0)
                .map(|(c, n)| (*c, *n))
                .collect(),
            open_violations: r.open_violations,
            home: sum(r, monday, |d| d.home),
            trend: (0..4)
                .rev()
                .map(|k| week_of(r, monday - Duration::weeks(k)))
                .collect(),
            days,
        });
    }
    Digest {
        monday,
        team_worked: out.iter().map(|r| r.week.worked).sum(),
        team_expected: out.iter().map(|r| r.week.expected).sum(),
        team_overtime: out.iter().map(|r| r.overtime_week).sum(),
        team_home: out.iter().map(|r| r.home).sum(),
        team_open_violations: out.iter().map(|r| r.open_violations).sum(),
        team_patterns: out
            .iter()
            .flat_map(|r| r.patterns.iter().map(|p| p.1))
            .sum(),
        longest_day: longest,
        reports: out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    fn day(worked_min: i64, expected_min: i64, overtime_min: i64) -> DayFigures {
        DayFigures {
            worked: Duration::minutes(worked_min),
            expected: Duration::minutes(expected_min),
            overtime: Duration::minutes(overtime_min),
            ..DayFigures::default()
        }
    }

    fn report(name: &str) -> ReportInput {
        let mut days = BTreeMap::new();
        // Four weeks of 37.5 h, the digest week (16–22 Nov) with 10 h Mon–Fri.
        for w in 0..4 {
            for k in 0..5 {
                let d = date(10, 26) + Duration::days(w * 7 + k);
                let (worked, ot) = if w == 3 { (600, 60) } else { (450, 0) };
                days.insert(d, day(worked, 450, ot));
            }
        }
        ReportInput {
            employee: None,
            name: name.into(),
            days,
            overtime_52w: Duration::hours(150),
            limits: vec![
                (7, Duration::hours(10)),
                (28, Duration::hours(25)),
                (364, Duration::hours(200)),
            ],
            patterns: BTreeMap::from([(Category::Evening, 2), (Category::Night, 0)]),
            open_violations: 1,
        }
    }

    #[test]
    fn a_report_week_against_schedule_limits_and_trend() {
        let d = build(date(11, 16), vec![report("Kari")]);
        let r = &d.reports[0];
        assert_eq!(r.week.worked, Duration::hours(50));
        assert_eq!(r.week.expected, Duration::minutes(5 * 450));
        assert_eq!(r.overtime_week, Duration::hours(5));
        assert_eq!(r.limits[0].percent(), 50);
        assert_eq!(r.limits[1].used, Duration::hours(5));
        assert_eq!(r.limits[2].percent(), 75);
        assert!(!r.limits[2].is_over());
        assert_eq!(
            r.patterns,
            vec![(Category::Evening, 2)],
            "zero counts are left out"
        );
        assert_eq!(r.trend.len(), 4);
        assert_eq!(r.trend[0].monday, date(10, 26));
        assert_eq!(r.trend[3].worked, Duration::hours(50));
        assert_eq!(r.days.len(), 7);
        assert_eq!(r.days[5].1, DayFigures::default(), "Saturday is empty");
        assert_eq!(d.longest_day, Duration::hours(10));
    }

    #[test]
    fn team_totals_add_up_and_reports_are_sorted() {
        let d = build(date(11, 16), vec![report("Ola"), report("Kari")]);
        assert_eq!(d.reports[0].name, "Kari");
        assert_eq!(d.team_worked, Duration::hours(100));
        assert_eq!(d.team_overtime, Duration::hours(10));
        assert_eq!(d.team_open_violations, 2);
        assert_eq!(d.team_patterns, 4);
    }

    #[test]
    fn home_share_is_none_without_work() {
        let d = build(date(11, 16), vec![ReportInput::default()]);
        assert_eq!(d.reports[0].home_percent(), None);
        assert_eq!(percent(Duration::minutes(1), Duration::minutes(3)), 33);
        assert_eq!(percent(Duration::minutes(1), Duration::minutes(2)), 50);
    }
}
