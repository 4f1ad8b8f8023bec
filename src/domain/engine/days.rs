//! Timesheet rows: minutes split at local midnight (rules.md § 0), with the
//! plan of each date (schedule, holidays, absences) beside them.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

use super::ledger::LedgerSegment;
use super::record::Span;
use crate::domain::event::Location;
use crate::domain::holidays::{Holiday, HolidayCalendar, norwegian_holiday};
use crate::domain::ids::EmployeeId;
use crate::domain::local_days::split_at_midnight;
use crate::domain::policy::{
    AbsenceKind, EmployeePolicy, HolidayKind, OrgHoliday, Schedule, ScheduleDay,
};

/// Worked minutes of one local date, by category.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DayTotals {
    pub worked: Duration,
    pub normal: Duration,
    pub overtime: Duration,
    pub night: Duration,
    pub sunday_holiday: Duration,
    pub home: Duration,
}

impl std::ops::AddAssign for DayTotals {
    fn add_assign(&mut self, o: Self) {
        self.worked += o.worked;
        self.normal += o.normal;
        self.overtime += o.overtime;
        self.night += o.night;
        self.sunday_holiday += o.sunday_holiday;
        self.home += o.home;
    }
}

/// The UTC instant of a local wall-clock time; in a DST gap, the first
/// instant after it; when it occurs twice, the first.
#[must_use]
pub fn local_instant(tz: Tz, at: NaiveDateTime) -> DateTime<Utc> {
    tz.from_local_datetime(&at)
        .earliest()
        .or_else(|| {
            (1..=180).find_map(|m| {
                tz.from_local_datetime(&(at + Duration::minutes(m)))
                    .earliest()
            })
        })
        .map_or_else(|| Utc.from_utc_datetime(&at), |t| t.with_timezone(&Utc))
}

/// The night spans touching local dates `from..=to`: the night starting on
/// local date `d` runs from `hours(d).0` minutes after its midnight to
/// `hours(d).1` minutes after the next one. Each night reads its own date's
/// hours, as the night and evening rules do, so a figure does not depend on
/// which range was evaluated.
#[must_use]
pub fn night_spans(
    tz: Tz,
    from: NaiveDate,
    to: NaiveDate,
    hours: impl Fn(NaiveDate) -> (i64, i64),
) -> Vec<Span> {
    let mut out = Vec::new();
    let mut d = from.pred_opt().unwrap_or(from);
    while d <= to {
        let Some(next) = d.succ_opt() else { break };
        let (night_start, night_end) = hours(d);
        let s = local_instant(
            tz,
            d.and_time(NaiveTime::MIN) + Duration::minutes(night_start),
        );
        let e = local_instant(
            tz,
            next.and_time(NaiveTime::MIN) + Duration::minutes(night_end),
        );
        out.push(Span::new(s, e));
        d = next;
    }
    out
}

/// The § 10-10 Sunday/holiday windows touching local dates `from..=to`.
#[must_use]
pub fn sunday_spans(
    tz: Tz,
    calendar: &HolidayCalendar,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<Span> {
    // A window is found from its eve: when `from` lies inside a run of
    // Sundays and holidays (work on Easter Monday only), look from the eve
    // of the run, or the window would be missed.
    let mut from = from;
    for _ in 0..366 {
        match from.pred_opt() {
            Some(p) if calendar.is_sunday_or_holiday(from) => from = p,
            _ => break,
        }
    }
    calendar
        .sunday_holiday_windows(from, to)
        .into_iter()
        .map(|(s, e)| Span::new(local_instant(tz, s), local_instant(tz, e)))
        .collect()
}

/// Spans (nights, Sunday windows) ready for the overlap of many pieces:
/// each piece looks only at the spans that can reach it instead of every
/// span of the evaluation (a timesheet's two months of nights, for each of
/// its hundred pieces, were 4 % of `GetTimesheet`'s CPU).
pub(crate) struct Overlaps<'a> {
    spans: &'a [Span],
    /// Whether the spans are in order of start (the index needs it).
    sorted: bool,
    /// `latest_end[i]`: the latest end among `spans[..=i]`.
    latest_end: Vec<DateTime<Utc>>,
}

impl<'a> Overlaps<'a> {
    pub(crate) fn new(spans: &'a [Span]) -> Self {
        let sorted = spans.windows(2).all(|w| w[0].start <= w[1].start);
        let mut latest_end = Vec::with_capacity(spans.len());
        for s in spans {
            let latest = latest_end
                .last()
                .map_or(s.end, |e: &DateTime<Utc>| (*e).max(s.end));
            latest_end.push(latest);
        }
        Self {
            spans,
            sorted,
            latest_end,
        }
    }

    /// The time `piece` shares with the spans (overlapping spans count
    /// each).
    pub(crate) fn with(&self, piece: Span) -> Duration {
        let (from, to) = if self.sorted {
            // Spans from `to` on start after the piece; spans before
            // `from` all end before it.
            let to = self.spans.partition_point(|s| s.start < piece.end);
            let from = self.latest_end[..to].partition_point(|e| *e <= piece.start);
            (from, to)
        } else {
            (0, self.spans.len())
        };
        self.spans[from..to]
            .iter()
            .map(|s| s.clipped(piece.start, piece.end))
            .sum()
    }
}

/// Splits the ledger into local days and categories.
#[must_use]
pub fn day_totals(
    tz: Tz,
    ledger: &[LedgerSegment],
    nights: &[Span],
    sundays: &[Span],
) -> BTreeMap<NaiveDate, DayTotals> {
    let mut out: BTreeMap<NaiveDate, DayTotals> = BTreeMap::new();
    let (nights, sundays) = (Overlaps::new(nights), Overlaps::new(sundays));
    for seg in ledger {
        let mut from = seg.span.start;
        for (date, len) in split_at_midnight(tz, seg.span.start, seg.span.end) {
            let piece = Span::new(from, from + len);
            from += len;
            let t = out.entry(date).or_default();
            t.worked += len;
            if seg.overtime {
                t.overtime += len;
            } else {
                t.normal += len;
            }
            t.night += nights.with(piece);
            t.sunday_holiday += sundays.with(piece);
            if seg.location == Some(Location::Home) {
                t.home += len;
            }
        }
    }
    out
}

/// The plan side of the calendar: schedules, holidays and absences.
#[derive(Clone, Debug)]
pub struct Plan<'a> {
    pub employee: EmployeeId,
    pub policy: &'a EmployeePolicy,
    pub holidays: HolidayCalendar,
    /// Whether the Norwegian national holidays apply (pack `no-aml`); other
    /// packs use the organisation's calendar alone (German holidays vary by
    /// Land, rules.md § 3).
    pub national_holidays: bool,
    default_schedule: Schedule,
}

/// A date's holiday kind: the organisation's day wins over a national one.
fn holiday_kind(org: Option<&OrgHoliday>, national: Option<Holiday>) -> Option<HolidayKind> {
    match (org, national) {
        (Some(h), _) => Some(h.kind),
        (None, Some(_)) => Some(HolidayKind::Public),
        (None, None) => None,
    }
}

/// What the plan says about one date.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlannedDay {
    pub scheduled: Duration,
    /// Scheduled end of the working day (for § 10-9 (2)), local.
    pub scheduled_end: Option<NaiveDateTime>,
    pub holiday_name: Option<String>,
    pub holiday_kind: Option<HolidayKind>,
    pub absences: Vec<(Uuid, AbsenceKind, Duration)>,
}

impl PlannedDay {
    #[must_use]
    pub fn absence_total(&self) -> Duration {
        self.absences.iter().map(|a| a.2).sum()
    }
}

impl<'a> Plan<'a> {
    #[must_use]
    pub fn new(employee: EmployeeId, policy: &'a EmployeePolicy, national_holidays: bool) -> Self {
        let extra = policy
            .holidays
            .iter()
            .filter(|h| h.kind == HolidayKind::Public)
            .map(|h| h.date)
            .collect();
        // An eve without a time opens at the law's hour (18:00), which the
        // calendar already does: only an earlier time changes anything.
        let eves = policy
            .holidays
            .iter()
            .filter(|h| h.kind == HolidayKind::Eve)
            .filter_map(|h| h.window_start.map(|t| (h.date, t)))
            .collect();
        Self {
            employee,
            policy,
            holidays: HolidayCalendar { extra, eves },
            national_holidays,
            default_schedule: Schedule::default_for(employee),
        }
    }

    /// A Sunday or a public holiday (national where they apply, or the
    /// organisation's).
    #[must_use]
    pub fn is_sunday_or_holiday(&self, date: NaiveDate) -> bool {
        if self.national_holidays {
            self.holidays.is_sunday_or_holiday(date)
        } else {
            date.weekday() == chrono::Weekday::Sun || self.holidays.extra.contains(&date)
        }
    }

    /// The schedule in force on `date`.
    #[must_use]
    pub fn schedule(&self, date: NaiveDate) -> &Schedule {
        self.policy
            .schedules
            .iter()
            .find(|s| s.covers(date))
            .unwrap_or(&self.default_schedule)
    }

    /// The plan of `date`.
    #[must_use]
    pub fn day(&self, date: NaiveDate) -> PlannedDay {
        let (org, national) = self.holidays_on(date);
        let holiday_kind = holiday_kind(org, national);
        let holiday_name = match (org, national) {
            (Some(h), _) => Some(h.name.clone()),
            (None, Some(h)) => Some(h.name_nb().to_string()),
            (None, None) => None,
        };
        let plan = self.planned_hours(date, holiday_kind);
        let scheduled = plan.map_or(Duration::zero(), |p| Duration::minutes(p.normal_minutes));
        let scheduled_end = plan.and_then(|p| p.start_end).map(|(s, e)| {
            let end_date = if e <= s {
                date.succ_opt().unwrap_or(date)
            } else {
                date
            };
            end_date.and_time(e)
        });
        PlannedDay {
            scheduled,
            scheduled_end,
            holiday_name,
            holiday_kind,
            absences: self.absences_on(date, scheduled).collect(),
        }
    }

    /// What `date` adds to the flex balance before any work: its absence
    /// minus its scheduled time, as [`Plan::day`] has them. A timesheet sums
    /// it over every day since the employee's first (a year is 365 calls),
    /// so it builds no names and no lists.
    #[must_use]
    pub fn flex_target(&self, date: NaiveDate) -> Duration {
        let (org, national) = self.holidays_on(date);
        let scheduled = self
            .planned_hours(date, holiday_kind(org, national))
            .map_or(Duration::zero(), |p| Duration::minutes(p.normal_minutes));
        let absent: Duration = self.absences_on(date, scheduled).map(|a| a.2).sum();
        absent - scheduled
    }

    /// The organisation's holiday on `date`, and the national one where
    /// national holidays apply.
    fn holidays_on(&self, date: NaiveDate) -> (Option<&OrgHoliday>, Option<Holiday>) {
        (
            self.policy.holidays.iter().find(|h| h.date == date),
            norwegian_holiday(date).filter(|_| self.national_holidays),
        )
    }

    /// The schedule's hours of `date`, none on a day off.
    fn planned_hours(
        &self,
        date: NaiveDate,
        holiday_kind: Option<HolidayKind>,
    ) -> Option<&ScheduleDay> {
        let day_off = matches!(
            holiday_kind,
            Some(HolidayKind::Public | HolidayKind::DayOff)
        );
        self.schedule(date).day(date.weekday()).filter(|_| !day_off)
    }

    /// The employee's absences covering `date`, in minutes of `scheduled`.
    fn absences_on(
        &self,
        date: NaiveDate,
        scheduled: Duration,
    ) -> impl Iterator<Item = (Uuid, AbsenceKind, Duration)> + '_ {
        self.policy
            .absences
            .iter()
            .filter(move |a| a.employee == self.employee && a.covers(date))
            .map(move |a| {
                let m = if a.minutes_per_day == 0 {
                    scheduled
                } else {
                    Duration::minutes(a.minutes_per_day).min(scheduled)
                };
                (a.id, a.kind, m)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `flex_target` is `day`'s absence minus its scheduled time on every
    /// date of a year: national and organisation holidays, a day off, eves
    /// (one on a national holiday, where the organisation's day wins),
    /// whole-day and part-day absences (one over Easter), another
    /// employee's absence.
    #[test]
    fn the_flex_target_of_a_day_is_its_plan() {
        use crate::domain::policy::Absence;
        let me = EmployeeId(Uuid::from_u128(7));
        let date = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap_or_default();
        let absence = |n: u128, employee, kind, first, last, minutes_per_day| Absence {
            id: Uuid::from_u128(n),
            employee,
            kind,
            first,
            last,
            minutes_per_day,
            note: String::new(),
            created_at: DateTime::UNIX_EPOCH,
            created_by: "test".into(),
            cancelled_at: None,
            cancel_reason: None,
        };
        let holiday = |n: u128, date, kind| OrgHoliday {
            id: Uuid::from_u128(n),
            date,
            name: "Fridag".into(),
            kind,
            window_start: None,
        };
        let policy = EmployeePolicy {
            absences: vec![
                absence(1, me, AbsenceKind::Vacation, date(7, 6), date(7, 24), 0),
                absence(2, me, AbsenceKind::Sick, date(3, 2), date(3, 4), 150),
                absence(3, me, AbsenceKind::Vacation, date(3, 3), date(3, 3), 60),
                absence(
                    4,
                    EmployeeId(Uuid::from_u128(8)),
                    AbsenceKind::Vacation,
                    date(9, 1),
                    date(9, 30),
                    0,
                ),
                // Over Easter: Maundy Thursday, Good Friday, Easter Monday.
                absence(8, me, AbsenceKind::Vacation, date(4, 1), date(4, 10), 0),
            ],
            holidays: vec![
                holiday(5, date(6, 12), HolidayKind::Public),
                holiday(6, date(8, 14), HolidayKind::DayOff),
                holiday(7, date(12, 24), HolidayKind::Eve),
                // An eve on Ascension Day: the organisation's day wins.
                holiday(9, date(5, 14), HolidayKind::Eve),
            ],
            ..EmployeePolicy::default()
        };
        for national in [true, false] {
            let plan = Plan::new(me, &policy, national);
            let mut nonzero = 0;
            let mut d = date(1, 1);
            while d.year() == 2026 {
                let p = plan.day(d);
                assert_eq!(
                    plan.flex_target(d),
                    p.absence_total() - p.scheduled,
                    "{d} {national}"
                );
                nonzero += i32::from(p.absence_total() != Duration::zero());
                d += Duration::days(1);
            }
            // 15 whole days of vacation in July, three part days in
            // March, and April's eight weekdays less Easter's three
            // national holidays where they apply.
            assert_eq!(nonzero, if national { 23 } else { 26 }, "{national}");
            assert_eq!(plan.flex_target(date(5, 14)), Duration::minutes(-450));
        }
    }

    /// A wall-clock time in the spring-forward gap (02:00–03:00 in Oslo on
    /// 29 March 2026) is the first instant after it, 03:00; one that occurs
    /// twice (02:30 on 25 October) is the first of the two.
    #[test]
    fn a_time_in_a_dst_gap_is_the_first_instant_after_it() {
        let tz = chrono_tz::Europe::Oslo;
        let local = |m, d, h, min| {
            NaiveDate::from_ymd_opt(2026, m, d)
                .and_then(|d| d.and_hms_opt(h, min, 0))
                .unwrap_or_default()
        };
        let utc = |m, d, h, min| Utc.from_utc_datetime(&local(m, d, h, min));
        assert_eq!(local_instant(tz, local(3, 29, 2, 30)), utc(3, 29, 1, 0));
        assert_eq!(local_instant(tz, local(3, 29, 3, 0)), utc(3, 29, 1, 0));
        assert_eq!(local_instant(tz, local(10, 25, 2, 30)), utc(10, 25, 0, 30));
        assert_eq!(local_instant(tz, local(11, 18, 8, 0)), utc(11, 18, 7, 0));
    }

    /// Work at home counts as home time of its date, work at the office
    /// does not (a mutation run found the location test inverted
    /// unnoticed).
    #[test]
    fn home_time_is_the_work_done_at_home() {
        let tz = chrono_tz::Europe::Oslo;
        let date = NaiveDate::from_ymd_opt(2026, 11, 18).unwrap_or_default();
        let t = |h| {
            tz.with_ymd_and_hms(2026, 11, 18, h, 0, 0)
                .unwrap()
                .with_timezone(&Utc)
        };
        let seg = |a, b, location| LedgerSegment {
            span: Span::new(t(a), t(b)),
            overtime: false,
            shift_day: date,
            interval: Uuid::nil(),
            location,
            extra_break: false,
        };
        let ledger = [
            seg(8, 11, Some(Location::Home)),
            seg(12, 16, Some(Location::Office)),
        ];
        let days = day_totals(tz, &ledger, &[], &[]);
        assert_eq!(days[&date].worked, Duration::hours(7));
        assert_eq!(days[&date].home, Duration::hours(3));
    }

    /// `h`:00 on `d` November 2026 in Oslo.
    fn oslo_november(d: u32, h: u32) -> DateTime<Utc> {
        chrono_tz::Europe::Oslo
            .with_ymd_and_hms(2026, 11, d, h, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    /// Night hours that change (an override from Sunday on) apply night by
    /// night: each night takes the hours of the date it starts on, whatever
    /// range is evaluated.
    #[test]
    fn each_night_takes_the_hours_of_its_own_date() {
        let tz = chrono_tz::Europe::Oslo;
        let date = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).unwrap_or_default();
        let t = oslo_november;
        let hours = |d: NaiveDate| {
            if d < date(15) {
                (21 * 60, 6 * 60)
            } else {
                (23 * 60, 5 * 60)
            }
        };
        let both = night_spans(tz, date(14), date(15), hours);
        assert_eq!(
            both,
            vec![
                Span::new(t(13, 21), t(14, 6)),
                Span::new(t(14, 21), t(15, 6)),
                Span::new(t(15, 23), t(16, 5)),
            ]
        );
        // The Sunday night alone is the same night.
        assert_eq!(night_spans(tz, date(16), date(16), hours)[0], both[2]);
    }

    /// A ledger across midnight: each local date gets its own part of
    /// every category (night and Sunday time clipped to the date's piece).
    #[test]
    fn totals_across_midnight_are_split_per_date_and_category() {
        let tz = chrono_tz::Europe::Oslo;
        let (sat, sun) = (
            NaiveDate::from_ymd_opt(2026, 11, 14).unwrap_or_default(),
            NaiveDate::from_ymd_opt(2026, 11, 15).unwrap_or_default(),
        );
        let t = oslo_november;
        let nights = night_spans(tz, sat, sun, |_| (21 * 60, 6 * 60));
        assert_eq!(
            nights,
            vec![
                Span::new(t(13, 21), t(14, 6)),
                Span::new(t(14, 21), t(15, 6)),
                Span::new(t(15, 21), t(16, 6)),
            ]
        );
        let sundays = [Span::new(t(14, 18), t(15, 22))];
        let seg = |a: DateTime<Utc>, b: DateTime<Utc>, overtime, location| LedgerSegment {
            span: Span::new(a, b),
            overtime,
            shift_day: sat,
            interval: Uuid::nil(),
            location,
            extra_break: false,
        };
        let ledger = [
            seg(t(14, 20), t(14, 23), false, None),
            seg(t(14, 23), t(15, 2), true, Some(Location::Home)),
        ];
        let days = day_totals(tz, &ledger, &nights, &sundays);
        let h = Duration::hours;
        assert_eq!(
            days[&sat],
            DayTotals {
                worked: h(4),
                normal: h(3),
                overtime: h(1),
                night: h(3),
                sunday_holiday: h(4),
                home: h(1),
            }
        );
        assert_eq!(
            days[&sun],
            DayTotals {
                worked: h(2),
                normal: h(0),
                overtime: h(2),
                night: h(2),
                sunday_holiday: h(2),
                home: h(2),
            }
        );
        let mut both = days[&sat];
        both += days[&sun];
        assert_eq!(
            both,
            DayTotals {
                worked: h(6),
                normal: h(3),
                overtime: h(3),
                night: h(5),
                sunday_holiday: h(6),
                home: h(3),
            }
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// The indexed overlap is the sum over every span, for spans in
        /// order or not, overlapping or apart, empty or not.
        #[test]
        fn indexed_overlap_is_the_sum_over_every_span(
            spans in proptest::collection::vec((0i64..3000, 0i64..900), 0..30),
            shuffle: bool,
            pieces in proptest::collection::vec((0i64..4000, 0i64..900), 1..20),
        ) {
            let at = |m: i64| DateTime::<Utc>::UNIX_EPOCH + Duration::minutes(m);
            let mut spans: Vec<Span> = spans.iter().map(|(s, l)| Span::new(at(*s), at(s + l))).collect();
            spans.sort();
            if shuffle {
                spans.reverse();
            }
            let index = Overlaps::new(&spans);
            for (s, l) in pieces {
                let piece = Span::new(at(s), at(s + l));
                let every: Duration = spans.iter().map(|x| x.clipped(piece.start, piece.end)).sum();
                proptest::prop_assert_eq!(index.with(piece), every);
            }
        }
    }
}
