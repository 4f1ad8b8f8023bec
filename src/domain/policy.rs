//! What the rules measure against: schedules, agreements, absences,
//! rule-parameter overrides and the organisation's own holidays.
//!
//! Plain data; the engine reads it, the admin RPCs validate and store it.
//! Times of day are local wall-clock times in the employee's time zone.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc, Weekday};
use uuid::Uuid;

use super::ids::EmployeeId;

/// Minutes from a planned start to a planned end; an end at or before
/// the start is after midnight.
#[must_use]
pub fn day_span_minutes(start: NaiveTime, end: NaiveTime) -> i64 {
    use chrono::Timelike as _;
    let m = |t: NaiveTime| i64::from(t.num_seconds_from_midnight() / 60);
    let span = m(end) - m(start);
    if span <= 0 { span + 1440 } else { span }
}

/// A day's normal working time from its planned start, end and break: the
/// span, less the break unless breaks are paid. `SetSchedule` requires a
/// day's `normal_minutes` to be exactly this.
#[must_use]
pub fn day_normal_minutes(
    start: NaiveTime,
    end: NaiveTime,
    break_minutes: i64,
    breaks_paid: bool,
) -> i64 {
    day_span_minutes(start, end) - if breaks_paid { 0 } else { break_minutes }
}

/// The plan for one weekday.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleDay {
    pub weekday: Weekday,
    /// Scheduled working time, breaks excluded unless paid.
    pub normal_minutes: i64,
    /// Planned start and end; `end <= start` means the day ends after midnight.
    pub start_end: Option<(NaiveTime, NaiveTime)>,
    pub break_minutes: i64,
}

/// Which statutory normal weekly hours apply (§ 10-4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ShiftWork {
    /// Day work: 40 h per week.
    #[default]
    None,
    /// § 10-4 (4): 38 h.
    Reduced38,
    /// § 10-4 (5): 36 h.
    Reduced36,
}

impl ShiftWork {
    /// Statutory normal minutes per ISO week.
    #[must_use]
    pub fn weekly_normal_minutes(self) -> i64 {
        match self {
            Self::None => 40 * 60,
            Self::Reduced38 => 38 * 60,
            Self::Reduced36 => 36 * 60,
        }
    }
}

/// An employee's working-time plan for a range of local dates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub id: Uuid,
    pub employee: EmployeeId,
    pub valid_from: NaiveDate,
    /// Inclusive; `None` means until further notice.
    pub valid_to: Option<NaiveDate>,
    pub days: Vec<ScheduleDay>,
    pub breaks_paid: bool,
    pub core_hours: Option<(NaiveTime, NaiveTime)>,
    pub flex_frame: Option<(NaiveTime, NaiveTime)>,
    /// Lowest allowed flex balance (<= 0), minutes.
    pub flex_min_minutes: i64,
    /// Highest allowed flex balance (>= 0), minutes.
    pub flex_max_minutes: i64,
    pub shift_work: ShiftWork,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

impl Schedule {
    /// The schedule of a date no stored schedule covers (policy.proto):
    /// Mon–Fri 08:00–16:00 with a 30 min unpaid break, core hours
    /// 09:00–14:30, flexitime frame 07:00–18:00.
    #[must_use]
    pub fn default_for(employee: EmployeeId) -> Self {
        let days = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
        ]
        .into_iter()
        .map(|weekday| ScheduleDay {
            weekday,
            normal_minutes: 450,
            start_end: Some((hm(8, 0), hm(16, 0))),
            break_minutes: 30,
        })
        .collect();
        Self {
            id: Uuid::nil(),
            employee,
            valid_from: NaiveDate::MIN,
            valid_to: None,
            days,
            breaks_paid: false,
            core_hours: Some((hm(9, 0), hm(14, 30))),
            flex_frame: Some((hm(7, 0), hm(18, 0))),
            flex_min_minutes: -600,
            flex_max_minutes: 3000,
            shift_work: ShiftWork::None,
            created_at: DateTime::UNIX_EPOCH,
            created_by: String::new(),
        }
    }

    /// Whether the schedule is in force on `date`.
    #[must_use]
    pub fn covers(&self, date: NaiveDate) -> bool {
        date >= self.valid_from && self.valid_to.is_none_or(|to| date <= to)
    }

    /// The plan for `date`'s weekday, if it is a working day of the schedule.
    #[must_use]
    pub fn day(&self, weekday: Weekday) -> Option<&ScheduleDay> {
        self.days
            .iter()
            .find(|d| d.weekday == weekday && d.normal_minutes > 0)
    }
}

/// Who made an agreement; it decides what the law lets the agreement change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgreementBasis {
    Individual,
    TariffRepresentatives,
    LabourInspectorate,
}

/// What was agreed. Limits of 0 mean "keep the default".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AgreementTerms {
    HomeOffice {
        max_home_share_percent: i32,
        required_office_weekdays: Vec<Weekday>,
        availability: Option<(NaiveTime, NaiveTime)>,
    },
    ExtendedOvertime {
        limit_7d_minutes: i64,
        limit_4w_minutes: i64,
        limit_52w_minutes: i64,
        limit_26w_minutes: i64,
    },
    Averaging {
        period_weeks: i32,
        daily_cap_minutes: i64,
        weekly_cap_minutes: i64,
    },
    ReducedRest {
        daily_rest_minutes: i64,
        weekly_rest_minutes: i64,
    },
}

/// The kinds of agreement, for filtering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgreementKind {
    HomeOffice,
    ExtendedOvertime,
    Averaging,
    ReducedRest,
}

impl AgreementTerms {
    #[must_use]
    pub fn kind(&self) -> AgreementKind {
        match self {
            Self::HomeOffice { .. } => AgreementKind::HomeOffice,
            Self::ExtendedOvertime { .. } => AgreementKind::ExtendedOvertime,
            Self::Averaging { .. } => AgreementKind::Averaging,
            Self::ReducedRest { .. } => AgreementKind::ReducedRest,
        }
    }
}

/// A dated agreement for one employee.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Agreement {
    pub id: Uuid,
    pub employee: EmployeeId,
    pub basis: AgreementBasis,
    pub valid_from: NaiveDate,
    /// Inclusive; `None` means until further notice. `EndAgreement` moves it back.
    pub valid_to: Option<NaiveDate>,
    pub reference: String,
    pub terms: AgreementTerms,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub ended_at: Option<DateTime<Utc>>,
    pub end_reason: Option<String>,
}

impl Agreement {
    #[must_use]
    pub fn covers(&self, date: NaiveDate) -> bool {
        date >= self.valid_from && self.valid_to.is_none_or(|to| date <= to)
    }
}

/// Kinds of absence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AbsenceKind {
    Sick,
    Vacation,
    Leave,
    TimeOffInLieu,
}

impl AbsenceKind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sick => "sick",
            Self::Vacation => "vacation",
            Self::Leave => "leave",
            Self::TimeOffInLieu => "time_off_in_lieu",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Sick, Self::Vacation, Self::Leave, Self::TimeOffInLieu]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// An absence over local dates `first..=last`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Absence {
    pub id: Uuid,
    pub employee: EmployeeId,
    pub kind: AbsenceKind,
    pub first: NaiveDate,
    pub last: NaiveDate,
    /// Minutes absent per scheduled day; 0 means the whole scheduled day.
    pub minutes_per_day: i64,
    pub note: String,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
}

impl Absence {
    #[must_use]
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.cancelled_at.is_none() && date >= self.first && date <= self.last
    }
}

/// Whom an override applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OverrideScope {
    Organisation,
    Employee(EmployeeId),
}

/// The unit of a rule parameter's integer value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueUnit {
    Minutes,
    Count,
    BasisPoints,
    TimeOfDay,
    Weeks,
}

/// A changed parameter of one rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleOverride {
    pub id: Uuid,
    pub scope: OverrideScope,
    pub rule_pack: crate::domain::rules::pack::RulePack,
    pub rule_id: String,
    pub parameter: String,
    pub value: i64,
    pub unit: ValueUnit,
    pub reason: String,
    /// The first local date it applies to. Like a schedule, an override
    /// applies from a date: an earlier one of the same key (or the pack's
    /// default) holds before it, and a change re-judges the record from
    /// here on only (issue 13 item 9). `1970-01-01` means always.
    pub effective_from: NaiveDate,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

/// The effective date of an override stored or sent without one.
#[must_use]
pub fn always() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN)
}

/// What an organisation holiday does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HolidayKind {
    /// Counts as a Sunday (§ 10-10 window, Sunday/holiday pay, no schedule).
    Public,
    /// The § 10-10 window starts early on this date, at `window_start`.
    Eve,
    /// No scheduled time, but not a legal holiday.
    DayOff,
}

/// A holiday the organisation adds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgHoliday {
    pub id: Uuid,
    pub date: NaiveDate,
    pub name: String,
    pub kind: HolidayKind,
    /// For `Eve` only.
    pub window_start: Option<NaiveTime>,
}

/// Everything about one employee's plans that the engine needs for a range
/// of dates: what storage loads before an evaluation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EmployeePolicy {
    /// Schedules overlapping the range, by `valid_from`; never two on one date.
    pub schedules: Vec<Schedule>,
    /// Agreements overlapping the range (ended ones with `valid_to` moved back).
    pub agreements: Vec<Agreement>,
    /// Absences overlapping the range that are not cancelled.
    pub absences: Vec<Absence>,
    /// Organisation- and employee-level overrides for the employee's pack.
    pub overrides: Vec<RuleOverride>,
    /// The organisation's own holidays in the range.
    pub holidays: Vec<OrgHoliday>,
    /// Locked payroll periods (local dates, inclusive): an interval still
    /// open on their days is a gap in the record that was paid.
    pub locked: Vec<(NaiveDate, NaiveDate)>,
}
