//! Storage of plans: schedules, agreements, absences, rule overrides and
//! the organisation's holidays. Checks that need the stored rows (overlaps)
//! run inside the write transaction, after the employee's row lock.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Timelike, Utc, Weekday};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row as _};
use uuid::Uuid;

use super::json_params;
use super::rows::micros;
use super::sql::SqlStore;
use super::statement::{Bind, bound, is_sqlite, marks_for};
use super::writer::classify;
use super::{StoreError, StoreResult};
use crate::domain::ids::{EmployeeId, OrgId};
use crate::domain::policy::{
    Absence, AbsenceKind, Agreement, AgreementBasis, AgreementKind, AgreementTerms, EmployeePolicy,
    HolidayKind, OrgHoliday, OverrideScope, RuleOverride, Schedule, ScheduleDay, ShiftWork,
    ValueUnit,
};
use crate::domain::rejudge::Rejudge;

/// What list calls filter on; `None` does not filter.
#[derive(Clone, Debug, Default)]
pub struct PlanFilter {
    pub employee: Option<EmployeeId>,
    /// Any of these employees (a page of a payroll pull); empty: no limit.
    pub employees: Vec<EmployeeId>,
    /// Employees whose manager this is (a MANAGER's view), plus the manager.
    pub visible_to_manager: Option<EmployeeId>,
    /// Overlapping these dates (inclusive).
    pub dates: Option<(NaiveDate, NaiveDate)>,
    pub agreement_kind: Option<AgreementKind>,
    pub absence_kinds: Vec<AbsenceKind>,
    pub include_cancelled: bool,
    pub organisation_only: bool,
    pub rule_id: Option<String>,
}

/// Plan storage. Every change also queues the recomputes of whom it
/// re-judges ([`Rejudge`]) as of `now`, in its own transaction.
#[async_trait]
pub trait PolicyStore {
    /// Stores a schedule, cutting back those it overlaps.
    async fn set_schedule(
        &self,
        org: OrgId,
        schedule: Schedule,
        now: DateTime<Utc>,
    ) -> StoreResult<Schedule>;
    async fn list_schedules(
        &self,
        org: OrgId,
        filter: &PlanFilter,
        after: Option<String>,
        limit: i64,
    ) -> StoreResult<Vec<Schedule>>;
    /// `Conflict` when an agreement of the same kind overlaps.
    async fn create_agreement(
        &self,
        org: OrgId,
        agreement: Agreement,
        now: DateTime<Utc>,
    ) -> StoreResult<Agreement>;
    async fn list_agreements(
        &self,
        org: OrgId,
        filter: &PlanFilter,
        after: Option<String>,
        limit: i64,
    ) -> StoreResult<Vec<Agreement>>;
    async fn end_agreement(
        &self,
        org: OrgId,
        id: Uuid,
        last_day: NaiveDate,
        reason: String,
        now: DateTime<Utc>,
    ) -> StoreResult<Agreement>;
    /// `Conflict` naming `absence.dates` when a standing absence overlaps.
    async fn create_absence(
        &self,
        org: OrgId,
        absence: Absence,
        now: DateTime<Utc>,
    ) -> StoreResult<Absence>;
    async fn list_absences(
        &self,
        org: OrgId,
        filter: &PlanFilter,
        after: Option<String>,
        limit: i64,
    ) -> StoreResult<Vec<Absence>>;
    async fn cancel_absence(
        &self,
        org: OrgId,
        id: Uuid,
        reason: String,
        now: DateTime<Utc>,
    ) -> StoreResult<Absence>;
    /// Upserts on scope, pack, rule and parameter; `true` when replaced.
    async fn set_override(
        &self,
        org: OrgId,
        o: RuleOverride,
        now: DateTime<Utc>,
    ) -> StoreResult<(RuleOverride, bool)>;
    async fn list_overrides(
        &self,
        org: OrgId,
        filter: &PlanFilter,
        after: Option<String>,
        limit: i64,
    ) -> StoreResult<Vec<RuleOverride>>;
    async fn delete_override(
        &self,
        org: OrgId,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<RuleOverride>;
    /// `Conflict` when the date already has an organisation holiday.
    async fn add_holiday(
        &self,
        org: OrgId,
        h: OrgHoliday,
        now: DateTime<Utc>,
    ) -> StoreResult<OrgHoliday>;
    async fn list_holidays(
        &self,
        org: OrgId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<OrgHoliday>>;
    async fn remove_holiday(
        &self,
        org: OrgId,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<OrgHoliday>;
    /// Whom a change for `employee` re-judges (everyone for `None`, leavers
    /// too), in id order: the people a change queues.
    async fn rejudged(
        &self,
        org: OrgId,
        employee: Option<EmployeeId>,
    ) -> StoreResult<Vec<EmployeeId>>;
    /// Everything the engine needs about `employee` for `from..=to`.
    async fn policy_of(
        &self,
        org: OrgId,
        employee: EmployeeId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<EmployeePolicy>;
    /// [`Self::policy_of`] with the organisation's plans version already
    /// read (`organisations.plans_version`, read before this call: plans
    /// read after it are at least as new, see `plans_cache`).
    async fn policy_at(
        &self,
        org: OrgId,
        employee: EmployeeId,
        from: NaiveDate,
        to: NaiveDate,
        version: i64,
    ) -> StoreResult<EmployeePolicy>;
}

// ---- encoding --------------------------------------------------------------

fn col<T>(row: &AnyRow, name: &str) -> StoreResult<T>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(name)
        .map_err(|e| StoreError::Corrupt(format!("{name}: {e}")))
}

fn corrupt(what: &str, v: &str) -> StoreError {
    StoreError::Corrupt(format!("{what}: '{v}'"))
}

fn id_col(row: &AnyRow, name: &str) -> StoreResult<Uuid> {
    let v: String = col(row, name)?;
    Uuid::parse_str(&v).map_err(|_| corrupt(name, &v))
}

fn date_col(row: &AnyRow, name: &str) -> StoreResult<NaiveDate> {
    let v: String = col(row, name)?;
    v.parse().map_err(|_| corrupt(name, &v))
}

fn opt_date_col(row: &AnyRow, name: &str) -> StoreResult<Option<NaiveDate>> {
    let v: Option<String> = col(row, name)?;
    v.map(|v| v.parse().map_err(|_| corrupt(name, &v)))
        .transpose()
}

fn instant_col(row: &AnyRow, name: &str) -> StoreResult<DateTime<Utc>> {
    let v: i64 = col(row, name)?;
    DateTime::from_timestamp_micros(v).ok_or_else(|| corrupt(name, &v.to_string()))
}

fn opt_instant_col(row: &AnyRow, name: &str) -> StoreResult<Option<DateTime<Utc>>> {
    let v: Option<i64> = col(row, name)?;
    v.map(|v| DateTime::from_timestamp_micros(v).ok_or_else(|| corrupt(name, &v.to_string())))
        .transpose()
}

fn tod(m: i64) -> Option<NaiveTime> {
    u32::try_from(m)
        .ok()
        .and_then(|m| NaiveTime::from_hms_opt(m / 60, m % 60, 0))
}

fn tod_col(row: &AnyRow, name: &str) -> StoreResult<Option<NaiveTime>> {
    let v: Option<i64> = col(row, name)?;
    Ok(v.and_then(tod))
}

fn minutes(t: NaiveTime) -> i64 {
    i64::from(t.num_seconds_from_midnight() / 60)
}

fn weekday_from(n: i64) -> Option<Weekday> {
    [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ]
    .get(usize::try_from(n - 1).ok()?)
    .copied()
}

fn days_text(days: &[ScheduleDay]) -> String {
    days.iter()
        .map(|d| {
            let (s, e) = d
                .start_end
                .map_or((-1, -1), |(s, e)| (minutes(s), minutes(e)));
            format!(
                "{}:{}:{s}:{e}:{}",
                d.weekday.number_from_monday(),
                d.normal_minutes,
                d.break_minutes
            )
        })
        .collect::<Vec<_>>()
        .join(";")
}

fn parse_days(s: &str) -> StoreResult<Vec<ScheduleDay>> {
    s.split(';')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let n: Vec<i64> = p
                .split(':')
                .map(str::parse)
                .collect::<Result<_, _>>()
                .map_err(|_| corrupt("days", p))?;
            let [wd, normal, start, end, brk] = n[..] else {
                return Err(corrupt("days", p));
            };
            Ok(ScheduleDay {
                weekday: weekday_from(wd).ok_or_else(|| corrupt("days", p))?,
                normal_minutes: normal,
                start_end: tod(start).zip(tod(end)),
                break_minutes: brk,
            })
        })
        .collect()
}

fn shift_text(s: ShiftWork) -> &'static str {
    match s {
        ShiftWork::None => "NONE",
        ShiftWork::Reduced38 => "REDUCED_38",
        ShiftWork::Reduced36 => "REDUCED_36",
    }
}

fn schedule_row(row: &AnyRow) -> StoreResult<Schedule> {
    let shift: String = col(row, "shift_work")?;
    Ok(Schedule {
        id: id_col(row, "schedule_id")?,
        employee: EmployeeId(id_col(row, "employee_id")?),
        valid_from: date_col(row, "valid_from")?,
        valid_to: opt_date_col(row, "valid_to")?,
        days: parse_days(&col::<String>(row, "days")?)?,
        breaks_paid: col::<i64>(row, "breaks_paid")? != 0,
        core_hours: tod_col(row, "core_start")?.zip(tod_col(row, "core_end")?),
        flex_frame: tod_col(row, "flex_start")?.zip(tod_col(row, "flex_end")?),
        flex_min_minutes: col(row, "flex_min")?,
        flex_max_minutes: col(row, "flex_max")?,
        shift_work: match shift.as_str() {
            "REDUCED_38" => ShiftWork::Reduced38,
            "REDUCED_36" => ShiftWork::Reduced36,
            "NONE" => ShiftWork::None,
            _ => return Err(corrupt("shift_work", &shift)),
        },
        created_at: instant_col(row, "created_at")?,
        created_by: col(row, "created_by")?,
    })
}

fn basis_text(b: AgreementBasis) -> &'static str {
    match b {
        AgreementBasis::Individual => "INDIVIDUAL",
        AgreementBasis::TariffRepresentatives => "TARIFF_REPRESENTATIVES",
        AgreementBasis::LabourInspectorate => "LABOUR_INSPECTORATE",
    }
}

fn kind_text(k: AgreementKind) -> &'static str {
    match k {
        AgreementKind::HomeOffice => "HOME_OFFICE",
        AgreementKind::ExtendedOvertime => "EXTENDED_OVERTIME",
        AgreementKind::Averaging => "AVERAGING",
        AgreementKind::ReducedRest => "REDUCED_REST",
    }
}

fn terms_text(t: &AgreementTerms) -> String {
    let ints: Vec<i64> = match t {
        AgreementTerms::HomeOffice {
            max_home_share_percent,
            required_office_weekdays,
            availability,
        } => {
            let mut v = vec![i64::from(*max_home_share_percent)];
            v.push(availability.map_or(-1, |a| minutes(a.0)));
            v.push(availability.map_or(-1, |a| minutes(a.1)));
            v.extend(
                required_office_weekdays
                    .iter()
                    .map(|w| i64::from(w.number_from_monday())),
            );
            v
        }
        AgreementTerms::ExtendedOvertime {
            limit_7d_minutes,
            limit_4w_minutes,
            limit_52w_minutes,
            limit_26w_minutes,
        } => {
            vec![
                *limit_7d_minutes,
                *limit_4w_minutes,
                *limit_52w_minutes,
                *limit_26w_minutes,
            ]
        }
        AgreementTerms::Averaging {
            period_weeks,
            daily_cap_minutes,
            weekly_cap_minutes,
        } => vec![
            i64::from(*period_weeks),
            *daily_cap_minutes,
            *weekly_cap_minutes,
        ],
        AgreementTerms::ReducedRest {
            daily_rest_minutes,
            weekly_rest_minutes,
        } => vec![*daily_rest_minutes, *weekly_rest_minutes],
    };
    ints.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_terms(kind: &str, s: &str) -> StoreResult<AgreementTerms> {
    let v: Vec<i64> = s
        .split(',')
        .filter(|p| !p.is_empty())
        .map(str::parse)
        .collect::<Result<_, _>>()
        .map_err(|_| corrupt("terms", s))?;
    let get = |i: usize| v.get(i).copied().ok_or_else(|| corrupt("terms", s));
    let small = |x: i64| i32::try_from(x).map_err(|_| corrupt("terms", s));
    Ok(match kind {
        "HOME_OFFICE" => AgreementTerms::HomeOffice {
            max_home_share_percent: small(get(0)?)?,
            availability: tod(get(1)?).zip(tod(get(2)?)),
            required_office_weekdays: v.iter().skip(3).filter_map(|w| weekday_from(*w)).collect(),
        },
        "EXTENDED_OVERTIME" => AgreementTerms::ExtendedOvertime {
            limit_7d_minutes: get(0)?,
            limit_4w_minutes: get(1)?,
            limit_52w_minutes: get(2)?,
            limit_26w_minutes: get(3)?,
        },
        "AVERAGING" => AgreementTerms::Averaging {
            period_weeks: small(get(0)?)?,
            daily_cap_minutes: get(1)?,
            weekly_cap_minutes: get(2)?,
        },
        "REDUCED_REST" => AgreementTerms::ReducedRest {
            daily_rest_minutes: get(0)?,
            weekly_rest_minutes: get(1)?,
        },
        _ => return Err(corrupt("kind", kind)),
    })
}

fn agreement_row(row: &AnyRow) -> StoreResult<Agreement> {
    let basis: String = col(row, "basis")?;
    let kind: String = col(row, "kind")?;
    Ok(Agreement {
        id: id_col(row, "agreement_id")?,
        employee: EmployeeId(id_col(row, "employee_id")?),
        basis: match basis.as_str() {
            "INDIVIDUAL" => AgreementBasis::Individual,
            "TARIFF_REPRESENTATIVES" => AgreementBasis::TariffRepresentatives,
            "LABOUR_INSPECTORATE" => AgreementBasis::LabourInspectorate,
            _ => return Err(corrupt("basis", &basis)),
        },
        valid_from: date_col(row, "valid_from")?,
        valid_to: opt_date_col(row, "valid_to")?,
        reference: col(row, "reference")?,
        terms: parse_terms(&kind, &col::<String>(row, "terms")?)?,
        created_at: instant_col(row, "created_at")?,
        created_by: col(row, "created_by")?,
        ended_at: opt_instant_col(row, "ended_at")?,
        end_reason: col(row, "end_reason")?,
    })
}

fn absence_row(row: &AnyRow) -> StoreResult<Absence> {
    let kind: String = col(row, "kind")?;
    Ok(Absence {
        id: id_col(row, "absence_id")?,
        employee: EmployeeId(id_col(row, "employee_id")?),
        kind: AbsenceKind::parse(&kind).ok_or_else(|| corrupt("kind", &kind))?,
        first: date_col(row, "first_day")?,
        last: date_col(row, "last_day")?,
        minutes_per_day: col(row, "minutes_per_day")?,
        note: col(row, "note")?,
        created_at: instant_col(row, "created_at")?,
        created_by: col(row, "created_by")?,
        cancelled_at: opt_instant_col(row, "cancelled_at")?,
        cancel_reason: col(row, "cancel_reason")?,
    })
}

fn unit_text(u: ValueUnit) -> &'static str {
    match u {
        ValueUnit::Minutes => "MINUTES",
        ValueUnit::Count => "COUNT",
        ValueUnit::BasisPoints => "BASIS_POINTS",
        ValueUnit::TimeOfDay => "TIME_OF_DAY",
        ValueUnit::Weeks => "WEEKS",
    }
}

fn override_row(row: &AnyRow) -> StoreResult<RuleOverride> {
    let scope: String = col(row, "scope")?;
    let unit: String = col(row, "unit")?;
    Ok(RuleOverride {
        id: id_col(row, "override_id")?,
        scope: if scope.is_empty() {
            OverrideScope::Organisation
        } else {
            OverrideScope::Employee(EmployeeId(
                Uuid::parse_str(&scope).map_err(|_| corrupt("scope", &scope))?,
            ))
        },
        rule_pack: {
            let p: String = col(row, "rule_pack")?;
            crate::domain::rules::pack::RulePack::parse(&p)
                .ok_or_else(|| corrupt("rule_pack", &p))?
        },
        rule_id: col(row, "rule_id")?,
        parameter: col(row, "parameter")?,
        effective_from: {
            let d: String = col(row, "effective_from")?;
            d.parse().map_err(|_| corrupt("effective_from", &d))?
        },
        value: col(row, "value")?,
        unit: [
            ValueUnit::Minutes,
            ValueUnit::Count,
            ValueUnit::BasisPoints,
            ValueUnit::TimeOfDay,
            ValueUnit::Weeks,
        ]
        .into_iter()
        .find(|u| unit_text(*u) == unit)
        .ok_or_else(|| corrupt("unit", &unit))?,
        reason: col(row, "reason")?,
        updated_at: instant_col(row, "updated_at")?,
        updated_by: col(row, "updated_by")?,
    })
}

fn holiday_row(row: &AnyRow) -> StoreResult<OrgHoliday> {
    let kind: String = col(row, "kind")?;
    Ok(OrgHoliday {
        id: id_col(row, "holiday_id")?,
        date: date_col(row, "day")?,
        name: col(row, "name")?,
        kind: match kind.as_str() {
            "PUBLIC" => HolidayKind::Public,
            "EVE" => HolidayKind::Eve,
            "DAY_OFF" => HolidayKind::DayOff,
            _ => return Err(corrupt("kind", &kind)),
        },
        window_start: tod_col(row, "window_start")?,
    })
}

fn holiday_kind_text(k: HolidayKind) -> &'static str {
    match k {
        HolidayKind::Public => "PUBLIC",
        HolidayKind::Eve => "EVE",
        HolidayKind::DayOff => "DAY_OFF",
    }
}

// ---- reads on any executor ---------------------------------------------------

async fn list_schedules_on(
    ex: &mut AnyConnection,
    org: OrgId,
    filter: &PlanFilter,
    after: Option<String>,
    limit: i64,
) -> StoreResult<Vec<Schedule>> {
    let mut q = Query::new(
        "SELECT * FROM schedules WHERE organisation_id = $1",
        org,
        is_sqlite(ex),
    );
    employee_scope(&mut q, filter);
    if let Some((a, b)) = filter.dates {
        q.and(
            "valid_from <= ? AND (valid_to IS NULL OR valid_to >= ?)",
            vec![Bind::Text(b.to_string()), Bind::Text(a.to_string())],
        );
    }
    keyset(&mut q, after.as_deref(), "valid_from", "schedule_id");
    q.fetch(
        ex,
        "employee_id, valid_from, schedule_id",
        limit,
        schedule_row,
    )
    .await
}

async fn list_agreements_on(
    ex: &mut AnyConnection,
    org: OrgId,
    filter: &PlanFilter,
    after: Option<String>,
    limit: i64,
) -> StoreResult<Vec<Agreement>> {
    let mut q = Query::new(
        "SELECT * FROM agreements WHERE organisation_id = $1",
        org,
        is_sqlite(ex),
    );
    employee_scope(&mut q, filter);
    if let Some(k) = filter.agreement_kind {
        q.and("kind = ?", vec![Bind::Text(kind_text(k).into())]);
    }
    if let Some((a, b)) = filter.dates {
        q.and(
            "valid_from <= ? AND (valid_to IS NULL OR valid_to >= ?)",
            vec![Bind::Text(b.to_string()), Bind::Text(a.to_string())],
        );
    }
    keyset(&mut q, after.as_deref(), "valid_from", "agreement_id");
    q.fetch(
        ex,
        "employee_id, valid_from, agreement_id",
        limit,
        agreement_row,
    )
    .await
}

async fn list_absences_on(
    ex: &mut AnyConnection,
    org: OrgId,
    filter: &PlanFilter,
    after: Option<String>,
    limit: i64,
) -> StoreResult<Vec<Absence>> {
    let mut q = Query::new(
        "SELECT * FROM absences WHERE organisation_id = $1",
        org,
        is_sqlite(ex),
    );
    employee_scope(&mut q, filter);
    if let Some((a, b)) = filter.dates {
        q.and(
            "first_day <= ? AND last_day >= ?",
            vec![Bind::Text(b.to_string()), Bind::Text(a.to_string())],
        );
    }
    if !filter.absence_kinds.is_empty() {
        let marks: Vec<&str> = filter.absence_kinds.iter().map(|_| "?").collect();
        q.and(
            &format!("kind IN ({})", marks.join(", ")),
            filter
                .absence_kinds
                .iter()
                .map(|k| Bind::Text(k.as_str().into()))
                .collect(),
        );
    }
    if !filter.include_cancelled {
        q.and("cancelled_at IS NULL", vec![]);
    }
    keyset(&mut q, after.as_deref(), "first_day", "absence_id");
    q.fetch(ex, "employee_id, first_day, absence_id", limit, absence_row)
        .await
}

async fn list_overrides_on(
    ex: &mut AnyConnection,
    org: OrgId,
    filter: &PlanFilter,
    after: Option<String>,
    limit: i64,
) -> StoreResult<Vec<RuleOverride>> {
    let mut q = Query::new(
        "SELECT * FROM rule_overrides WHERE organisation_id = $1",
        org,
        is_sqlite(ex),
    );
    if let Some(e) = filter.employee {
        q.and("scope = ?", vec![Bind::Text(e.to_string())]);
    }
    any_of(&mut q, "scope", &filter.employees);
    if filter.organisation_only {
        q.and("scope = ''", vec![]);
    }
    if let Some(r) = &filter.rule_id {
        q.and("rule_id = ?", vec![Bind::Text(r.clone())]);
    }
    // The page key is `scope|rule_id|parameter|effective_from`; a key
    // without the date (from before dated overrides) reads as its start.
    if let Some((s, r, rest)) = after_parts(after.as_deref()) {
        let (p, d) = rest
            .split_once('|')
            .map_or((rest.clone(), String::new()), |(p, d)| {
                (p.to_string(), d.to_string())
            });
        q.and(
            "(scope > ? OR (scope = ? AND (rule_id > ? OR (rule_id = ? AND (parameter > ? \
             OR (parameter = ? AND effective_from > ?))))))",
            vec![
                Bind::Text(s.clone()),
                Bind::Text(s),
                Bind::Text(r.clone()),
                Bind::Text(r),
                Bind::Text(p.clone()),
                Bind::Text(p),
                Bind::Text(d),
            ],
        );
    }
    q.fetch(
        ex,
        "scope, rule_id, parameter, effective_from",
        limit,
        override_row,
    )
    .await
}

async fn list_holidays_on(
    ex: &mut AnyConnection,
    org: OrgId,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<Vec<OrgHoliday>> {
    let mut q = Query::new(
        "SELECT * FROM org_holidays WHERE organisation_id = $1",
        org,
        is_sqlite(ex),
    );
    q.and(
        "day >= ? AND day <= ?",
        vec![Bind::Text(from.to_string()), Bind::Text(to.to_string())],
    );
    q.fetch(ex, "day", 10_000, holiday_row).await
}

/// The part of an employee's plans that is the organisation's own for a
/// date range: the same for every employee, so a payroll pull reads it once.
#[derive(Clone, Debug)]
pub(super) struct OrgPlans {
    pub from: NaiveDate,
    pub to: NaiveDate,
    overrides: Vec<RuleOverride>,
    holidays: Vec<OrgHoliday>,
    locked: Vec<(NaiveDate, NaiveDate)>,
}

/// The organisation's overrides, holidays and locked periods for `from..=to`.
pub(super) async fn org_plans_on(
    conn: &mut AnyConnection,
    org: OrgId,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<OrgPlans> {
    let overrides = list_overrides_on(
        &mut *conn,
        org,
        &PlanFilter {
            organisation_only: true,
            ..PlanFilter::default()
        },
        None,
        10_000,
    )
    .await?;
    let holidays = list_holidays_on(&mut *conn, org, from, to).await?;
    let locked: Vec<(String, String)> = sqlx::query_as(
        "SELECT first_day, last_day FROM payroll_periods WHERE organisation_id = $1 \
         AND first_day <= $2 AND last_day >= $3 ORDER BY first_day",
    )
    .bind(org.to_string())
    .bind(to.to_string())
    .bind(from.to_string())
    .fetch_all(&mut *conn)
    .await
    .map_err(classify)?;
    let locked = locked
        .into_iter()
        .map(|(a, b)| match (a.parse(), b.parse()) {
            (Ok(a), Ok(b)) => Ok((a, b)),
            _ => Err(StoreError::Corrupt(format!(
                "payroll_periods: '{a}'..'{b}'"
            ))),
        })
        .collect::<StoreResult<_>>()?;
    Ok(OrgPlans {
        from,
        to,
        overrides,
        holidays,
        locked,
    })
}

/// An employee's plans for `from..=to`, with the organisation's part read
/// before (for the same range).
pub(super) async fn employee_policy_on(
    conn: &mut AnyConnection,
    org: OrgId,
    employee: EmployeeId,
    from: NaiveDate,
    to: NaiveDate,
    shared: &OrgPlans,
) -> StoreResult<EmployeePolicy> {
    debug_assert!(shared.from == from && shared.to == to);
    let f = PlanFilter {
        employee: Some(employee),
        dates: Some((from, to)),
        ..PlanFilter::default()
    };
    let schedules = list_schedules_on(&mut *conn, org, &f, None, 10_000).await?;
    let agreements = list_agreements_on(&mut *conn, org, &f, None, 10_000).await?;
    let absences = list_absences_on(&mut *conn, org, &f, None, 10_000).await?;
    let mut overrides = shared.overrides.clone();
    overrides.extend(
        list_overrides_on(
            &mut *conn,
            org,
            &PlanFilter {
                employee: Some(employee),
                ..PlanFilter::default()
            },
            None,
            10_000,
        )
        .await?,
    );
    Ok(EmployeePolicy {
        schedules,
        agreements,
        absences,
        overrides,
        holidays: shared.holidays.clone(),
        locked: shared.locked.clone(),
    })
}

/// The plans of a page of employees for `from..=to`, with the
/// organisation's part read before (for the same range): four statements
/// per 500 employees instead of four per employee. Each employee's share is
/// what [`employee_policy_on`] reads for it, in the same order.
pub(super) async fn page_policies_on(
    conn: &mut AnyConnection,
    org: OrgId,
    employees: &[EmployeeId],
    shared: &OrgPlans,
) -> StoreResult<HashMap<EmployeeId, EmployeePolicy>> {
    let mut out: HashMap<EmployeeId, EmployeePolicy> = employees
        .iter()
        .map(|e| {
            let p = EmployeePolicy {
                overrides: shared.overrides.clone(),
                holidays: shared.holidays.clone(),
                locked: shared.locked.clone(),
                ..EmployeePolicy::default()
            };
            (*e, p)
        })
        .collect();
    for chunk in employees.chunks(PAGE_CHUNK) {
        let f = PlanFilter {
            employees: chunk.to_vec(),
            dates: Some((shared.from, shared.to)),
            ..PlanFilter::default()
        };
        for s in list_schedules_on(&mut *conn, org, &f, None, UNLIMITED).await? {
            if let Some(p) = out.get_mut(&s.employee) {
                p.schedules.push(s);
            }
        }
        for a in list_agreements_on(&mut *conn, org, &f, None, UNLIMITED).await? {
            if let Some(p) = out.get_mut(&a.employee) {
                p.agreements.push(a);
            }
        }
        for a in list_absences_on(&mut *conn, org, &f, None, UNLIMITED).await? {
            if let Some(p) = out.get_mut(&a.employee) {
                p.absences.push(a);
            }
        }
        let f = PlanFilter {
            employees: chunk.to_vec(),
            ..PlanFilter::default()
        };
        for o in list_overrides_on(&mut *conn, org, &f, None, UNLIMITED).await? {
            if let OverrideScope::Employee(e) = o.scope
                && let Some(p) = out.get_mut(&e)
            {
                p.overrides.push(o);
            }
        }
    }
    Ok(out)
}

/// Employees per statement of [`page_policies_on`].
const PAGE_CHUNK: usize = 500;
/// No limit: a page's plans are read whole.
const UNLIMITED: i64 = i64::MAX;

// ---- queries ---------------------------------------------------------------

struct Query {
    sql: String,
    binds: Vec<Bind>,
    /// Which database the text is for (see [`any_of`]).
    sqlite: bool,
    /// PostgreSQL: the first parameter and length of the id list the rows
    /// are looked up by, one id at a time (see [`any_of`]).
    each_id: Option<(usize, usize)>,
}

impl Query {
    fn new(sql: &str, org: OrgId, sqlite: bool) -> Self {
        Self {
            sql: sql.to_string(),
            binds: vec![Bind::Text(org.to_string())],
            sqlite,
            each_id: None,
        }
    }

    fn mark(&mut self, b: Bind) -> String {
        self.binds.push(b);
        format!("${}", self.binds.len())
    }

    fn and(&mut self, clause: &str, binds: Vec<Bind>) {
        let mut c = clause.to_string();
        for b in binds {
            let m = self.mark(b);
            c = c.replacen('?', &m, 1);
        }
        self.sql.push_str(" AND ");
        self.sql.push_str(&c);
    }

    async fn fetch<T>(
        mut self,
        pool: &mut AnyConnection,
        order: &str,
        limit: i64,
        map: fn(&AnyRow) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        let l = self.mark(Bind::Int(limit));
        if let Some((first, n)) = self.each_id {
            self.sql = json_params::pg_each_id(first, n, &self.sql);
        }
        self.sql.push_str(" ORDER BY ");
        self.sql.push_str(order);
        self.sql.push_str(" LIMIT ");
        self.sql.push_str(&l);
        bound(&self.sql, self.binds)
            .fetch_all(pool)
            .await
            .map_err(classify)?
            .iter()
            .map(map)
            .collect()
    }
}

fn employee_scope(q: &mut Query, f: &PlanFilter) {
    if let Some(e) = f.employee {
        q.and("employee_id = ?", vec![Bind::Text(e.to_string())]);
    }
    any_of(q, "employee_id", &f.employees);
    if let Some(m) = f.visible_to_manager {
        q.and(
            "(employee_id = ? OR employee_id IN (SELECT id FROM employees WHERE organisation_id = ? AND manager_id = ?))",
            vec![Bind::Text(m.to_string()), Bind::Text(q.binds_org()), Bind::Text(m.to_string())],
        );
    }
}

/// Rows whose `column` is one of `employees`, when there are any. SQLite:
/// `column IN (…)`, `json_params::in_list` with this builder's `?` marks
/// (its `$1, $2, …` in order, as `marks_for` turns them). PostgreSQL: each
/// id looked up in a lateral join (`json_params::pg_each_id`, at
/// [`Query::fetch`]); a list of a page's employees as `IN (…)` may be
/// planned as a scan of the organisation's rows before `ANALYZE`.
fn any_of(q: &mut Query, column: &str, employees: &[EmployeeId]) {
    if employees.is_empty() {
        return;
    }
    let ids: Vec<String> = employees.iter().map(ToString::to_string).collect();
    if q.sqlite {
        let binds: Vec<Bind> = json_params::id_params(true, &ids)
            .into_iter()
            .map(Bind::Text)
            .collect();
        let list = marks_for(json_params::in_list(true, 1, ids.len()), true);
        q.and(&format!("{column} {list}"), binds);
        return;
    }
    // One list a query: a second would take the first's place.
    debug_assert!(q.each_id.is_none(), "one id list a query");
    let first = q.binds.len() + 1;
    for id in json_params::id_params(false, &ids) {
        q.binds.push(Bind::Text(id));
    }
    q.each_id = Some((first, ids.len()));
    q.and(&format!("{column} = ids.id"), vec![]);
}

impl Query {
    fn binds_org(&self) -> String {
        match &self.binds[0] {
            Bind::Text(t) => t.clone(),
            Bind::Int(i) => i.to_string(),
        }
    }
}

/// The paging key "employee|date|id" split into its parts.
fn after_parts(after: Option<&str>) -> Option<(String, String, String)> {
    let mut it = after?.splitn(3, '|');
    Some((
        it.next()?.to_string(),
        it.next()?.to_string(),
        it.next()?.to_string(),
    ))
}

fn keyset(q: &mut Query, after: Option<&str>, date_col: &str, id_col: &str) {
    if let Some((e, d, i)) = after_parts(after) {
        q.and(
            &format!("(employee_id > ? OR (employee_id = ? AND ({date_col} > ? OR ({date_col} = ? AND {id_col} > ?))))"),
            vec![Bind::Text(e.clone()), Bind::Text(e), Bind::Text(d.clone()), Bind::Text(d), Bind::Text(i)],
        );
    }
}

async fn lock_employee(
    conn: &mut AnyConnection,
    org: OrgId,
    employee: EmployeeId,
) -> StoreResult<()> {
    let n = sqlx::query(
        "UPDATE employees SET updated_at = updated_at WHERE organisation_id = $1 AND id = $2",
    )
    .bind(org.to_string())
    .bind(employee.to_string())
    .execute(&mut *conn)
    .await
    .map_err(classify)?
    .rows_affected();
    if n == 0 {
        return Err(StoreError::NotFound(format!("employee {employee}")));
    }
    Ok(())
}

async fn schedules_of(
    conn: &mut AnyConnection,
    org: OrgId,
    employee: EmployeeId,
) -> StoreResult<Vec<Schedule>> {
    sqlx::query("SELECT * FROM schedules WHERE organisation_id = $1 AND employee_id = $2 ORDER BY valid_from")
        .bind(org.to_string())
        .bind(employee.to_string())
        .fetch_all(&mut *conn)
        .await
        .map_err(classify)?
        .iter()
        .map(schedule_row)
        .collect()
}

async fn insert_schedule(conn: &mut AnyConnection, org: OrgId, s: &Schedule) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO schedules (organisation_id, schedule_id, employee_id, valid_from, valid_to, days, breaks_paid, \
         core_start, core_end, flex_start, flex_end, flex_min, flex_max, shift_work, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(org.to_string())
    .bind(s.id.to_string())
    .bind(s.employee.to_string())
    .bind(s.valid_from.to_string())
    .bind(s.valid_to.map(|d| d.to_string()))
    .bind(days_text(&s.days))
    .bind(i64::from(s.breaks_paid))
    .bind(s.core_hours.map(|c| minutes(c.0)))
    .bind(s.core_hours.map(|c| minutes(c.1)))
    .bind(s.flex_frame.map(|c| minutes(c.0)))
    .bind(s.flex_frame.map(|c| minutes(c.1)))
    .bind(s.flex_min_minutes)
    .bind(s.flex_max_minutes)
    .bind(shift_text(s.shift_work))
    .bind(micros(s.created_at))
    .bind(s.created_by.clone())
    .execute(&mut *conn)
    .await
    .map_err(classify)?;
    Ok(())
}

async fn set_bounds(
    conn: &mut AnyConnection,
    org: OrgId,
    id: Uuid,
    from: NaiveDate,
    to: Option<NaiveDate>,
) -> StoreResult<()> {
    sqlx::query("UPDATE schedules SET valid_from = $3, valid_to = $4 WHERE organisation_id = $1 AND schedule_id = $2")
        .bind(org.to_string())
        .bind(id.to_string())
        .bind(from.to_string())
        .bind(to.map(|d| d.to_string()))
        .execute(&mut *conn)
        .await
        .map_err(classify)?;
    Ok(())
}

async fn put_schedule(
    conn: &mut AnyConnection,
    org: OrgId,
    new: Schedule,
) -> StoreResult<Schedule> {
    lock_employee(conn, org, new.employee).await?;
    let day = Duration::days(1);
    for old in schedules_of(conn, org, new.employee).await? {
        let old_end = old.valid_to.unwrap_or(NaiveDate::MAX);
        let new_end = new.valid_to.unwrap_or(NaiveDate::MAX);
        if old_end < new.valid_from || old.valid_from > new_end {
            continue;
        }
        // The part after the new schedule survives as a copy.
        if old_end > new_end {
            let mut tail = old.clone();
            tail.id = Uuid::new_v4();
            tail.valid_from = new_end + day;
            insert_schedule(conn, org, &tail).await?;
        }
        if old.valid_from < new.valid_from {
            set_bounds(
                conn,
                org,
                old.id,
                old.valid_from,
                Some(new.valid_from - day),
            )
            .await?;
        } else {
            sqlx::query("DELETE FROM schedules WHERE organisation_id = $1 AND schedule_id = $2")
                .bind(org.to_string())
                .bind(old.id.to_string())
                .execute(&mut *conn)
                .await
                .map_err(classify)?;
        }
    }
    insert_schedule(conn, org, &new).await?;
    Ok(new)
}

fn overlaps(a: (NaiveDate, Option<NaiveDate>), b: (NaiveDate, Option<NaiveDate>)) -> bool {
    a.0 <= b.1.unwrap_or(NaiveDate::MAX) && b.0 <= a.1.unwrap_or(NaiveDate::MAX)
}

async fn put_agreement(
    conn: &mut AnyConnection,
    org: OrgId,
    a: Agreement,
) -> StoreResult<Agreement> {
    lock_employee(conn, org, a.employee).await?;
    let kind = kind_text(a.terms.kind());
    let existing: Vec<Agreement> = sqlx::query(
        "SELECT * FROM agreements WHERE organisation_id = $1 AND employee_id = $2 AND kind = $3",
    )
    .bind(org.to_string())
    .bind(a.employee.to_string())
    .bind(kind)
    .fetch_all(&mut *conn)
    .await
    .map_err(classify)?
    .iter()
    .map(agreement_row)
    .collect::<StoreResult<_>>()?;
    if let Some(o) = existing
        .iter()
        .find(|o| overlaps((o.valid_from, o.valid_to), (a.valid_from, a.valid_to)))
    {
        return Err(StoreError::Conflict {
            field: "agreement.valid_from".into(),
            reason: format!("overlaps agreement {} of the same kind", o.id),
        });
    }
    sqlx::query(
        "INSERT INTO agreements (organisation_id, agreement_id, employee_id, basis, kind, valid_from, valid_to, reference, \
         terms, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(org.to_string())
    .bind(a.id.to_string())
    .bind(a.employee.to_string())
    .bind(basis_text(a.basis))
    .bind(kind)
    .bind(a.valid_from.to_string())
    .bind(a.valid_to.map(|d| d.to_string()))
    .bind(a.reference.clone())
    .bind(terms_text(&a.terms))
    .bind(micros(a.created_at))
    .bind(a.created_by.clone())
    .execute(&mut *conn)
    .await
    .map_err(classify)?;
    Ok(a)
}

async fn one<T>(
    conn: &mut AnyConnection,
    sql: &str,
    org: OrgId,
    id: Uuid,
    what: &str,
    map: fn(&AnyRow) -> StoreResult<T>,
) -> StoreResult<T> {
    sqlx::query(sql)
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await
        .map_err(classify)?
        .as_ref()
        .map(map)
        .transpose()?
        .ok_or_else(|| StoreError::NotFound(format!("{what} {id}")))
}

#[async_trait]
impl PolicyStore for SqlStore {
    async fn set_schedule(
        &self,
        org: OrgId,
        schedule: Schedule,
        now: DateTime<Utc>,
    ) -> StoreResult<Schedule> {
        self.write_plan(org, now, Rejudge::schedule, move |conn| {
            Box::pin(put_schedule(conn, org, schedule))
        })
        .await
    }

    async fn list_schedules(
        &self,
        org: OrgId,
        filter: &PlanFilter,
        after: Option<String>,
        limit: i64,
    ) -> StoreResult<Vec<Schedule>> {
        list_schedules_on(&mut *self.read_conn().await?, org, filter, after, limit).await
    }

    async fn create_agreement(
        &self,
        org: OrgId,
        agreement: Agreement,
        now: DateTime<Utc>,
    ) -> StoreResult<Agreement> {
        self.write_plan(org, now, Rejudge::agreement, move |conn| {
            Box::pin(put_agreement(conn, org, agreement))
        })
        .await
    }

    async fn list_agreements(
        &self,
        org: OrgId,
        filter: &PlanFilter,
        after: Option<String>,
        limit: i64,
    ) -> StoreResult<Vec<Agreement>> {
        list_agreements_on(&mut *self.read_conn().await?, org, filter, after, limit).await
    }

    async fn end_agreement(
        &self,
        org: OrgId,
        id: Uuid,
        last_day: NaiveDate,
        reason: String,
        now: DateTime<Utc>,
    ) -> StoreResult<Agreement> {
        self.write_plan(org, now, Rejudge::agreement_end, move |conn| {
            Box::pin(async move {
                let a = one(conn, "SELECT * FROM agreements WHERE organisation_id = $1 AND agreement_id = $2", org, id, "agreement", agreement_row).await?;
                lock_employee(conn, org, a.employee).await?;
                if last_day < a.valid_from || a.valid_to.is_some_and(|to| last_day > to) {
                    return Err(StoreError::Precondition {
                        field: "last_day".into(),
                        reason: format!("{last_day} is outside the agreement's {}..{}", a.valid_from, a.valid_to.map_or("(open)".to_string(), |d| d.to_string())),
                    });
                }
                sqlx::query("UPDATE agreements SET valid_to = $3, ended_at = $4, end_reason = $5 WHERE organisation_id = $1 AND agreement_id = $2")
                    .bind(org.to_string())
                    .bind(id.to_string())
                    .bind(last_day.to_string())
                    .bind(micros(now))
                    .bind(reason.clone())
                    .execute(&mut *conn)
                    .await
                    .map_err(classify)?;
                Ok(Agreement { valid_to: Some(last_day), ended_at: Some(now), end_reason: Some(reason), ..a })
            })
        })
        .await
    }

    async fn create_absence(
        &self,
        org: OrgId,
        absence: Absence,
        now: DateTime<Utc>,
    ) -> StoreResult<Absence> {
        self.write_plan(org, now, Rejudge::absence, move |conn| {
            Box::pin(async move {
                lock_employee(conn, org, absence.employee).await?;
                let clash = sqlx::query(
                    "SELECT absence_id FROM absences WHERE organisation_id = $1 AND employee_id = $2 AND cancelled_at IS NULL \
                     AND first_day <= $3 AND last_day >= $4",
                )
                .bind(org.to_string())
                .bind(absence.employee.to_string())
                .bind(absence.last.to_string())
                .bind(absence.first.to_string())
                .fetch_optional(&mut *conn)
                .await
                .map_err(classify)?;
                if let Some(row) = clash {
                    let other: String = col(&row, "absence_id")?;
                    return Err(StoreError::Conflict { field: "absence.dates".into(), reason: format!("overlap the standing absence {other}") });
                }
                sqlx::query(
                    "INSERT INTO absences (organisation_id, absence_id, employee_id, kind, first_day, last_day, minutes_per_day, \
                     note, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(org.to_string())
                .bind(absence.id.to_string())
                .bind(absence.employee.to_string())
                .bind(absence.kind.as_str())
                .bind(absence.first.to_string())
                .bind(absence.last.to_string())
                .bind(absence.minutes_per_day)
                .bind(absence.note.clone())
                .bind(micros(absence.created_at))
                .bind(absence.created_by.clone())
                .execute(&mut *conn)
                .await
                .map_err(classify)?;
                Ok(absence)
            })
        })
        .await
    }

    async fn list_absences(
        &self,
        org: OrgId,
        filter: &PlanFilter,
        after: Option<String>,
        limit: i64,
    ) -> StoreResult<Vec<Absence>> {
        list_absences_on(&mut *self.read_conn().await?, org, filter, after, limit).await
    }

    async fn cancel_absence(
        &self,
        org: OrgId,
        id: Uuid,
        reason: String,
        now: DateTime<Utc>,
    ) -> StoreResult<Absence> {
        self.write_plan(org, now, Rejudge::absence, move |conn| {
            Box::pin(async move {
                let a = one(conn, "SELECT * FROM absences WHERE organisation_id = $1 AND absence_id = $2", org, id, "absence", absence_row).await?;
                if a.cancelled_at.is_some() {
                    return Err(StoreError::Precondition { field: "absence_id".into(), reason: format!("absence {id} is already cancelled") });
                }
                sqlx::query("UPDATE absences SET cancelled_at = $3, cancel_reason = $4 WHERE organisation_id = $1 AND absence_id = $2")
                    .bind(org.to_string())
                    .bind(id.to_string())
                    .bind(micros(now))
                    .bind(reason.clone())
                    .execute(&mut *conn)
                    .await
                    .map_err(classify)?;
                Ok(Absence { cancelled_at: Some(now), cancel_reason: Some(reason), ..a })
            })
        })
        .await
    }

    async fn set_override(
        &self,
        org: OrgId,
        o: RuleOverride,
        now: DateTime<Utc>,
    ) -> StoreResult<(RuleOverride, bool)> {
        let rejudged: fn(&(RuleOverride, bool)) -> Rejudge = |(o, _)| Rejudge::rule_override(o);
        self.write_plan(org, now, rejudged, move |conn| {
            Box::pin(async move {
                let scope = match o.scope {
                    OverrideScope::Organisation => String::new(),
                    OverrideScope::Employee(e) => {
                        lock_employee(conn, org, e).await?;
                        e.to_string()
                    }
                };
                let existing = sqlx::query(
                    "SELECT override_id FROM rule_overrides WHERE organisation_id = $1 AND scope = $2 AND rule_pack = $3 \
                     AND rule_id = $4 AND parameter = $5 AND effective_from = $6",
                )
                .bind(org.to_string())
                .bind(scope.clone())
                .bind(o.rule_pack.as_str())
                .bind(o.rule_id.clone())
                .bind(o.parameter.clone())
                .bind(o.effective_from.to_string())
                .fetch_optional(&mut *conn)
                .await
                .map_err(classify)?;
                if let Some(row) = existing {
                    let id = id_col(&row, "override_id")?;
                    sqlx::query("UPDATE rule_overrides SET value = $3, unit = $4, reason = $5, updated_at = $6, updated_by = $7 WHERE organisation_id = $1 AND override_id = $2")
                        .bind(org.to_string())
                        .bind(id.to_string())
                        .bind(o.value)
                        .bind(unit_text(o.unit))
                        .bind(o.reason.clone())
                        .bind(micros(o.updated_at))
                        .bind(o.updated_by.clone())
                        .execute(&mut *conn)
                        .await
                        .map_err(classify)?;
                    return Ok((RuleOverride { id, ..o }, true));
                }
                sqlx::query(
                    "INSERT INTO rule_overrides (organisation_id, override_id, scope, rule_pack, rule_id, parameter, value, unit, \
                     reason, updated_at, updated_by, effective_from) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                )
                .bind(org.to_string())
                .bind(o.id.to_string())
                .bind(scope)
                .bind(o.rule_pack.as_str())
                .bind(o.rule_id.clone())
                .bind(o.parameter.clone())
                .bind(o.value)
                .bind(unit_text(o.unit))
                .bind(o.reason.clone())
                .bind(micros(o.updated_at))
                .bind(o.updated_by.clone())
                .bind(o.effective_from.to_string())
                .execute(&mut *conn)
                .await
                .map_err(classify)?;
                Ok((o, false))
            })
        })
        .await
    }

    async fn list_overrides(
        &self,
        org: OrgId,
        filter: &PlanFilter,
        after: Option<String>,
        limit: i64,
    ) -> StoreResult<Vec<RuleOverride>> {
        list_overrides_on(&mut *self.read_conn().await?, org, filter, after, limit).await
    }

    async fn delete_override(
        &self,
        org: OrgId,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<RuleOverride> {
        self.write_plan(org, now, Rejudge::rule_override, move |conn| {
            Box::pin(async move {
                let o = one(
                    conn,
                    "SELECT * FROM rule_overrides WHERE organisation_id = $1 AND override_id = $2",
                    org,
                    id,
                    "override",
                    override_row,
                )
                .await?;
                sqlx::query(
                    "DELETE FROM rule_overrides WHERE organisation_id = $1 AND override_id = $2",
                )
                .bind(org.to_string())
                .bind(id.to_string())
                .execute(&mut *conn)
                .await
                .map_err(classify)?;
                Ok(o)
            })
        })
        .await
    }

    async fn add_holiday(
        &self,
        org: OrgId,
        h: OrgHoliday,
        now: DateTime<Utc>,
    ) -> StoreResult<OrgHoliday> {
        self.write_plan(org, now, Rejudge::holiday, move |conn| {
            Box::pin(async move {
                let taken = sqlx::query("SELECT holiday_id FROM org_holidays WHERE organisation_id = $1 AND day = $2")
                    .bind(org.to_string())
                    .bind(h.date.to_string())
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(classify)?;
                if taken.is_some() {
                    return Err(StoreError::Conflict { field: "holiday.date".into(), reason: format!("{} already has an organisation holiday", h.date) });
                }
                sqlx::query("INSERT INTO org_holidays (organisation_id, holiday_id, day, name, kind, window_start) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(org.to_string())
                    .bind(h.id.to_string())
                    .bind(h.date.to_string())
                    .bind(h.name.clone())
                    .bind(holiday_kind_text(h.kind))
                    .bind(h.window_start.map(minutes))
                    .execute(&mut *conn)
                    .await
                    .map_err(classify)?;
                Ok(h)
            })
        })
        .await
    }

    async fn list_holidays(
        &self,
        org: OrgId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<Vec<OrgHoliday>> {
        list_holidays_on(&mut *self.read_conn().await?, org, from, to).await
    }

    async fn remove_holiday(
        &self,
        org: OrgId,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<OrgHoliday> {
        self.write_plan(org, now, Rejudge::holiday, move |conn| {
            Box::pin(async move {
                let h = one(
                    conn,
                    "SELECT * FROM org_holidays WHERE organisation_id = $1 AND holiday_id = $2",
                    org,
                    id,
                    "holiday",
                    holiday_row,
                )
                .await?;
                sqlx::query(
                    "DELETE FROM org_holidays WHERE organisation_id = $1 AND holiday_id = $2",
                )
                .bind(org.to_string())
                .bind(id.to_string())
                .execute(&mut *conn)
                .await
                .map_err(classify)?;
                Ok(h)
            })
        })
        .await
    }

    async fn rejudged(
        &self,
        org: OrgId,
        employee: Option<EmployeeId>,
    ) -> StoreResult<Vec<EmployeeId>> {
        let mut conn = self.read_conn().await?;
        let people = super::rejudge::rejudged_on(&mut conn, org, employee).await?;
        Ok(people.into_iter().map(|(id, _)| id).collect())
    }

    async fn policy_of(
        &self,
        org: OrgId,
        employee: EmployeeId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<EmployeePolicy> {
        // The version before the plans: see `plans_cache`.
        let version: i64 =
            sqlx::query_scalar("SELECT plans_version FROM organisations WHERE id = $1")
                .bind(org.to_string())
                .fetch_optional(&mut *self.read_conn().await?)
                .await
                .map_err(classify)?
                .unwrap_or_default();
        self.policy_at(org, employee, from, to, version).await
    }

    async fn policy_at(
        &self,
        org: OrgId,
        employee: EmployeeId,
        from: NaiveDate,
        to: NaiveDate,
        version: i64,
    ) -> StoreResult<EmployeePolicy> {
        let cache = self.plans_cache();
        if let Some(plans) = cache.employee(org, employee, (from, to), version) {
            return Ok(plans);
        }
        let mut conn = self.read_conn().await?;
        let shared = if let Some(shared) = cache.organisation(org, (from, to), version) {
            shared
        } else {
            let shared = org_plans_on(&mut conn, org, from, to).await?;
            cache.keep_organisation(org, (from, to), version, &shared);
            shared
        };
        let plans = employee_policy_on(&mut conn, org, employee, from, to, &shared).await?;
        cache.keep_employee(org, employee, (from, to), version, &plans);
        Ok(plans)
    }
}
