//! Schedules, agreements, absences, overrides and holidays: proto ↔ domain,
//! with every check the contract states (policy.proto), naming the field.

use chrono::{NaiveDate, NaiveTime, Timelike, Weekday};
use uuid::Uuid;

use super::convert::{timestamp, uuid};
use super::error::{ApiError, ApiResult};
use super::timesheet_convert::{date_in, date_pb, date_range, weekday_pb};
use crate::domain::employee::bounded_text;
use crate::domain::ids::EmployeeId;
use crate::domain::policy::{
    Absence, AbsenceKind, Agreement, AgreementBasis, AgreementTerms, HolidayKind, OrgHoliday,
    OverrideScope, RuleOverride, Schedule, ScheduleDay, ShiftWork, ValueUnit,
};
use crate::domain::rules::catalog;
use crate::pb;

fn bad(field: impl Into<String>, reason: impl Into<String>) -> ApiError {
    ApiError::invalid(field, reason)
}

fn time_in(field: &str, t: Option<&pb::LocalTime>) -> ApiResult<Option<NaiveTime>> {
    t.map(|t| {
        u32::try_from(t.hours)
            .ok()
            .zip(u32::try_from(t.minutes).ok())
            .and_then(|(h, m)| NaiveTime::from_hms_opt(h, m, 0))
            .ok_or_else(|| {
                bad(
                    field,
                    format!("{:02}:{:02} is not a time of day", t.hours, t.minutes),
                )
            })
    })
    .transpose()
}

fn time_pb(t: NaiveTime) -> pb::LocalTime {
    pb::LocalTime {
        hours: i32::try_from(t.hour()).unwrap_or_default(),
        minutes: i32::try_from(t.minute()).unwrap_or_default(),
    }
}

fn pair(
    field: &str,
    a: (&str, Option<&pb::LocalTime>),
    b: (&str, Option<&pb::LocalTime>),
) -> ApiResult<Option<(NaiveTime, NaiveTime)>> {
    match (
        time_in(&format!("{field}{}", a.0), a.1)?,
        time_in(&format!("{field}{}", b.0), b.1)?,
    ) {
        (None, None) => Ok(None),
        (Some(x), Some(y)) => Ok(Some((x, y))),
        _ => Err(bad(
            format!("{field}{}", b.0),
            format!(
                "{}{} and {}{} are given together or not at all",
                field, a.0, field, b.0
            ),
        )),
    }
}

fn weekday_in(field: &str, v: i32) -> ApiResult<Weekday> {
    match v {
        1 => Ok(Weekday::Mon),
        2 => Ok(Weekday::Tue),
        3 => Ok(Weekday::Wed),
        4 => Ok(Weekday::Thu),
        5 => Ok(Weekday::Fri),
        6 => Ok(Weekday::Sat),
        7 => Ok(Weekday::Sun),
        _ => Err(bad(
            field,
            format!("{v} is not a weekday (1 = Monday .. 7 = Sunday)"),
        )),
    }
}

/// A schedule from a request.
#[allow(clippy::too_many_lines)] // one check per rule of policy.proto, in order
pub fn schedule_in(s: Option<&pb::Schedule>) -> ApiResult<(EmployeeId, Schedule)> {
    let s = s.ok_or_else(|| bad("schedule", "is required"))?;
    let employee = EmployeeId(uuid("schedule.employee_id", &s.employee_id)?);
    let valid_from = date_in("schedule.valid_from", s.valid_from.as_ref())?;
    let valid_to = s
        .valid_to
        .as_ref()
        .map(|d| date_in("schedule.valid_to", Some(d)))
        .transpose()?;
    if valid_to.is_some_and(|to| to < valid_from) {
        return Err(bad("schedule.valid_to", "is before valid_from"));
    }
    let mut days: Vec<ScheduleDay> = Vec::new();
    for (i, d) in s.days.iter().enumerate() {
        let f = |x: &str| format!("schedule.days[{i}].{x}");
        let weekday = weekday_in(&f("weekday"), d.weekday)?;
        if days.iter().any(|x| x.weekday == weekday) {
            return Err(bad(f("weekday"), "appears twice"));
        }
        if !(0..=1440).contains(&d.normal_minutes) {
            return Err(bad(
                f("normal_minutes"),
                format!("{} is outside 0..1440", d.normal_minutes),
            ));
        }
        if !(0..=600).contains(&d.break_minutes) {
            return Err(bad(
                f("break_minutes"),
                format!("{} is outside 0..600", d.break_minutes),
            ));
        }
        let start_end = pair(
            &format!("schedule.days[{i}]."),
            ("start", d.start.as_ref()),
            ("end", d.end.as_ref()),
        )?;
        if let Some((a, b)) = start_end {
            let span = crate::domain::policy::day_span_minutes(a, b);
            let expected = d.normal_minutes + if s.breaks_paid { 0 } else { d.break_minutes };
            if span != expected {
                return Err(bad(
                    f("end"),
                    format!(
                        "end − start is {span} min, but normal_minutes + break_minutes is {expected}"
                    ),
                ));
            }
        }
        days.push(ScheduleDay {
            weekday,
            normal_minutes: d.normal_minutes,
            start_end,
            break_minutes: d.break_minutes,
        });
    }
    let core_hours = pair(
        "schedule.",
        ("core_start", s.core_start.as_ref()),
        ("core_end", s.core_end.as_ref()),
    )?;
    if core_hours.is_some_and(|(a, b)| b <= a) {
        return Err(bad("schedule.core_end", "is not after core_start"));
    }
    let flex_frame = pair(
        "schedule.",
        ("flex_frame_start", s.flex_frame_start.as_ref()),
        ("flex_frame_end", s.flex_frame_end.as_ref()),
    )?;
    if let Some((a, b)) = flex_frame {
        if b <= a {
            return Err(bad(
                "schedule.flex_frame_end",
                "is not after flex_frame_start",
            ));
        }
        if core_hours.is_some_and(|(c, d)| c < a || d > b) {
            return Err(bad(
                "schedule.flex_frame_start",
                "the flexitime frame must contain core hours",
            ));
        }
    }
    if s.flex_balance_min_minutes > 0 {
        return Err(bad(
            "schedule.flex_balance_min_minutes",
            "must be zero or negative",
        ));
    }
    if s.flex_balance_max_minutes < 0 {
        return Err(bad(
            "schedule.flex_balance_max_minutes",
            "must be zero or positive",
        ));
    }
    let shift_work = match s.shift_work {
        0 | 1 => ShiftWork::None,
        2 => ShiftWork::Reduced38,
        3 => ShiftWork::Reduced36,
        v => {
            return Err(bad(
                "schedule.shift_work",
                format!("{v} is not a shift-work kind"),
            ));
        }
    };
    Ok((
        employee,
        Schedule {
            id: Uuid::new_v4(),
            employee,
            valid_from,
            valid_to,
            days,
            breaks_paid: s.breaks_paid,
            core_hours,
            flex_frame,
            flex_min_minutes: s.flex_balance_min_minutes,
            flex_max_minutes: s.flex_balance_max_minutes,
            shift_work,
            created_at: chrono::DateTime::UNIX_EPOCH,
            created_by: String::new(),
        },
    ))
}

#[must_use]
pub fn schedule_pb(s: &Schedule) -> pb::Schedule {
    pb::Schedule {
        schedule_id: s.id.to_string(),
        employee_id: s.employee.to_string(),
        valid_from: Some(date_pb(s.valid_from)),
        valid_to: s.valid_to.map(date_pb),
        days: s
            .days
            .iter()
            .map(|d| pb::ScheduleDay {
                weekday: weekday_pb(d.weekday),
                normal_minutes: d.normal_minutes,
                start: d.start_end.map(|x| time_pb(x.0)),
                end: d.start_end.map(|x| time_pb(x.1)),
                break_minutes: d.break_minutes,
            })
            .collect(),
        breaks_paid: s.breaks_paid,
        core_start: s.core_hours.map(|x| time_pb(x.0)),
        core_end: s.core_hours.map(|x| time_pb(x.1)),
        flex_frame_start: s.flex_frame.map(|x| time_pb(x.0)),
        flex_frame_end: s.flex_frame.map(|x| time_pb(x.1)),
        flex_balance_min_minutes: s.flex_min_minutes,
        flex_balance_max_minutes: s.flex_max_minutes,
        shift_work: match s.shift_work {
            ShiftWork::None => 1,
            ShiftWork::Reduced38 => 2,
            ShiftWork::Reduced36 => 3,
        },
        created_at: Some(timestamp(s.created_at)),
        created_by: s.created_by.clone(),
    }
}

fn basis_in(v: i32) -> ApiResult<AgreementBasis> {
    match v {
        1 => Ok(AgreementBasis::Individual),
        2 => Ok(AgreementBasis::TariffRepresentatives),
        3 => Ok(AgreementBasis::LabourInspectorate),
        _ => Err(bad(
            "agreement.basis",
            format!("{v} is not an agreement basis"),
        )),
    }
}

fn basis_pb(b: AgreementBasis) -> i32 {
    match b {
        AgreementBasis::Individual => 1,
        AgreementBasis::TariffRepresentatives => 2,
        AgreementBasis::LabourInspectorate => 3,
    }
}

fn at_most(field: &str, v: i64, max: i64, basis: &str) -> ApiResult<()> {
    if v < 0 || v > max {
        return Err(bad(
            field,
            format!("{v} is outside 0..{max} (the most {basis} may agree)"),
        ));
    }
    Ok(())
}

/// An agreement from a request, with the legal limits of its basis.
#[allow(clippy::too_many_lines)] // one check per rule of policy.proto, in order
pub fn agreement_in(a: Option<&pb::Agreement>) -> ApiResult<Agreement> {
    use pb::agreement::Terms;
    let a = a.ok_or_else(|| bad("agreement", "is required"))?;
    let employee = EmployeeId(uuid("agreement.employee_id", &a.employee_id)?);
    let basis = basis_in(a.basis)?;
    let valid_from = date_in("agreement.valid_from", a.valid_from.as_ref())?;
    let valid_to = a
        .valid_to
        .as_ref()
        .map(|d| date_in("agreement.valid_to", Some(d)))
        .transpose()?;
    if valid_to.is_some_and(|to| to < valid_from) {
        return Err(bad("agreement.valid_to", "is before valid_from"));
    }
    let reference = bounded_text("agreement.reference", &a.reference, 500)?;
    if reference.trim().is_empty() {
        return Err(bad(
            "agreement.reference",
            "is required: where the signed agreement is",
        ));
    }
    let terms = match a.terms.as_ref() {
        None => {
            return Err(bad(
                "agreement.terms",
                "one of home_office, extended_overtime, averaging or reduced_rest is required",
            ));
        }
        Some(Terms::HomeOffice(h)) => {
            if basis != AgreementBasis::Individual {
                return Err(bad(
                    "agreement.basis",
                    "a home-office agreement is made with the employee (INDIVIDUAL)",
                ));
            }
            if !(1..=100).contains(&h.max_home_share_percent) {
                return Err(bad(
                    "agreement.home_office.max_home_share_percent",
                    format!("{} is outside 1..100", h.max_home_share_percent),
                ));
            }
            let required_office_weekdays = h
                .required_office_weekdays
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    weekday_in(
                        &format!("agreement.home_office.required_office_weekdays[{i}]"),
                        *w,
                    )
                })
                .collect::<ApiResult<Vec<_>>>()?;
            let availability = pair(
                "agreement.home_office.",
                ("availability_start", h.availability_start.as_ref()),
                ("availability_end", h.availability_end.as_ref()),
            )?;
            if availability.is_some_and(|(x, y)| y <= x) {
                return Err(bad(
                    "agreement.home_office.availability_end",
                    "is not after availability_start",
                ));
            }
            AgreementTerms::HomeOffice {
                max_home_share_percent: h.max_home_share_percent,
                required_office_weekdays,
                availability,
            }
        }
        Some(Terms::ExtendedOvertime(o)) => {
            let f = |x: &str| format!("agreement.extended_overtime.{x}");
            if basis == AgreementBasis::Individual {
                return Err(bad(
                    "agreement.basis",
                    "higher overtime limits need tariff representatives or Arbeidstilsynet (§ 10-6 (5), (6))",
                ));
            }
            // The most each basis may agree lives in the catalog.
            for (term, field, value) in [
                (
                    "overtime_7d",
                    "overtime_7d_limit_minutes",
                    o.overtime_7d_limit_minutes,
                ),
                (
                    "overtime_4w",
                    "overtime_4w_limit_minutes",
                    o.overtime_4w_limit_minutes,
                ),
                (
                    "overtime_52w",
                    "overtime_52w_limit_minutes",
                    o.overtime_52w_limit_minutes,
                ),
                (
                    "overtime_26w",
                    "overtime_26w_limit_minutes",
                    o.overtime_26w_limit_minutes,
                ),
            ] {
                let r = catalog::agreement_range(basis, term)
                    .ok_or_else(|| bad(f(field), "cannot be set on this basis"))?;
                at_most(&f(field), value, r.max, r.who)?;
            }
            if valid_to.is_none() {
                return Err(bad(
                    "agreement.valid_to",
                    "is required: permissions for more overtime are time-limited",
                ));
            }
            AgreementTerms::ExtendedOvertime {
                limit_7d_minutes: o.overtime_7d_limit_minutes,
                limit_4w_minutes: o.overtime_4w_limit_minutes,
                limit_52w_minutes: o.overtime_52w_limit_minutes,
                limit_26w_minutes: o.overtime_26w_limit_minutes,
            }
        }
        Some(Terms::Averaging(v)) => {
            let f = |x: &str| format!("agreement.averaging.{x}");
            // The most each basis may agree lives in the catalog.
            let range = |term: &str| {
                catalog::agreement_range(basis, term)
                    .ok_or_else(|| bad(f(term), "cannot be set on this basis"))
            };
            let (weeks, daily, weekly) = (
                range("averaging_weeks")?,
                range("averaging_daily")?,
                range("averaging_weekly")?,
            );
            let who = weeks.who;
            let (weeks, daily, weekly) = (
                i32::try_from(weeks.max).unwrap_or(i32::MAX),
                daily.max,
                weekly.max,
            );
            if !(1..=weeks).contains(&v.period_weeks) {
                return Err(bad(
                    f("period_weeks"),
                    format!(
                        "{} is outside 1..{weeks} (the most {who} may agree)",
                        v.period_weeks
                    ),
                ));
            }
            if v.daily_cap_minutes < 1 {
                return Err(bad(f("daily_cap_minutes"), "is required"));
            }
            at_most(&f("daily_cap_minutes"), v.daily_cap_minutes, daily, who)?;
            if v.weekly_cap_minutes < 1 {
                return Err(bad(f("weekly_cap_minutes"), "is required"));
            }
            at_most(&f("weekly_cap_minutes"), v.weekly_cap_minutes, weekly, who)?;
            AgreementTerms::Averaging {
                period_weeks: v.period_weeks,
                daily_cap_minutes: v.daily_cap_minutes,
                weekly_cap_minutes: v.weekly_cap_minutes,
            }
        }
        Some(Terms::ReducedRest(r)) => {
            if basis != AgreementBasis::TariffRepresentatives {
                return Err(bad(
                    "agreement.basis",
                    "shorter rest needs an agreement with tariff representatives (§ 10-8 (3))",
                ));
            }
            if r.daily_rest_minutes != 0 && !(480..=660).contains(&r.daily_rest_minutes) {
                return Err(bad(
                    "agreement.reduced_rest.daily_rest_minutes",
                    format!(
                        "{} is outside 480..660: daily rest may not go below 8 h (§ 10-8 (3))",
                        r.daily_rest_minutes
                    ),
                ));
            }
            if r.weekly_rest_minutes != 0 && !(1680..=2100).contains(&r.weekly_rest_minutes) {
                return Err(bad(
                    "agreement.reduced_rest.weekly_rest_minutes",
                    format!(
                        "{} is outside 1680..2100: weekly rest may not go below 28 h (§ 10-8 (3))",
                        r.weekly_rest_minutes
                    ),
                ));
            }
            if valid_to.is_none() {
                return Err(bad(
                    "agreement.valid_to",
                    "is required: shorter rest is agreed for a limited time",
                ));
            }
            AgreementTerms::ReducedRest {
                daily_rest_minutes: r.daily_rest_minutes,
                weekly_rest_minutes: r.weekly_rest_minutes,
            }
        }
    };
    Ok(Agreement {
        id: Uuid::new_v4(),
        employee,
        basis,
        valid_from,
        valid_to,
        reference,
        terms,
        created_at: chrono::DateTime::UNIX_EPOCH,
        created_by: String::new(),
        ended_at: None,
        end_reason: None,
    })
}

#[must_use]
pub fn agreement_pb(a: &Agreement) -> pb::Agreement {
    use pb::agreement::Terms;
    let terms = match &a.terms {
        AgreementTerms::HomeOffice {
            max_home_share_percent,
            required_office_weekdays,
            availability,
        } => Terms::HomeOffice(pb::HomeOfficeTerms {
            max_home_share_percent: *max_home_share_percent,
            required_office_weekdays: required_office_weekdays
                .iter()
                .map(|w| weekday_pb(*w))
                .collect(),
            availability_start: availability.map(|x| time_pb(x.0)),
            availability_end: availability.map(|x| time_pb(x.1)),
        }),
        AgreementTerms::ExtendedOvertime {
            limit_7d_minutes,
            limit_4w_minutes,
            limit_52w_minutes,
            limit_26w_minutes,
        } => Terms::ExtendedOvertime(pb::ExtendedOvertimeTerms {
            overtime_7d_limit_minutes: *limit_7d_minutes,
            overtime_4w_limit_minutes: *limit_4w_minutes,
            overtime_52w_limit_minutes: *limit_52w_minutes,
            overtime_26w_limit_minutes: *limit_26w_minutes,
        }),
        AgreementTerms::Averaging {
            period_weeks,
            daily_cap_minutes,
            weekly_cap_minutes,
        } => Terms::Averaging(pb::AveragingTerms {
            period_weeks: *period_weeks,
            daily_cap_minutes: *daily_cap_minutes,
            weekly_cap_minutes: *weekly_cap_minutes,
        }),
        AgreementTerms::ReducedRest {
            daily_rest_minutes,
            weekly_rest_minutes,
        } => Terms::ReducedRest(pb::ReducedRestTerms {
            daily_rest_minutes: *daily_rest_minutes,
            weekly_rest_minutes: *weekly_rest_minutes,
        }),
    };
    pb::Agreement {
        agreement_id: a.id.to_string(),
        employee_id: a.employee.to_string(),
        basis: basis_pb(a.basis),
        valid_from: Some(date_pb(a.valid_from)),
        valid_to: a.valid_to.map(date_pb),
        reference: a.reference.clone(),
        terms: Some(terms),
        created_at: Some(timestamp(a.created_at)),
        created_by: a.created_by.clone(),
        ended_at: a.ended_at.map(timestamp),
        end_reason: a.end_reason.clone().unwrap_or_default(),
    }
}

pub fn absence_kind_in(field: &str, v: i32) -> ApiResult<AbsenceKind> {
    match v {
        1 => Ok(AbsenceKind::Sick),
        2 => Ok(AbsenceKind::Vacation),
        3 => Ok(AbsenceKind::Leave),
        4 => Ok(AbsenceKind::TimeOffInLieu),
        _ => Err(bad(field, format!("{v} is not an absence kind"))),
    }
}

/// An absence from a request.
pub fn absence_in(a: Option<&pb::Absence>) -> ApiResult<Absence> {
    let a = a.ok_or_else(|| bad("absence", "is required"))?;
    let employee = EmployeeId(uuid("absence.employee_id", &a.employee_id)?);
    let kind = absence_kind_in("absence.kind", a.kind)?;
    let (first, last) = date_range("absence.dates", a.dates.as_ref(), 366)?;
    if !(0..=1440).contains(&a.minutes_per_day) {
        return Err(bad(
            "absence.minutes_per_day",
            format!("{} is outside 0..1440", a.minutes_per_day),
        ));
    }
    // Optional, unlike the other texts.
    let note = if a.note.is_empty() {
        String::new()
    } else {
        bounded_text("absence.note", &a.note, 500)?
    };
    Ok(Absence {
        id: Uuid::new_v4(),
        employee,
        kind,
        first,
        last,
        minutes_per_day: a.minutes_per_day,
        note,
        created_at: chrono::DateTime::UNIX_EPOCH,
        created_by: String::new(),
        cancelled_at: None,
        cancel_reason: None,
    })
}

#[must_use]
pub fn absence_pb(a: &Absence) -> pb::Absence {
    pb::Absence {
        absence_id: a.id.to_string(),
        employee_id: a.employee.to_string(),
        kind: super::timesheet_convert::absence_kind_pb(a.kind),
        dates: Some(pb::LocalDateRange {
            start: Some(date_pb(a.first)),
            end: Some(date_pb(a.last)),
        }),
        minutes_per_day: a.minutes_per_day,
        note: a.note.clone(),
        created_at: Some(timestamp(a.created_at)),
        created_by: a.created_by.clone(),
        cancelled_at: a.cancelled_at.map(timestamp),
        cancel_reason: a.cancel_reason.clone().unwrap_or_default(),
    }
}

fn unit_in(v: i32) -> ApiResult<ValueUnit> {
    match v {
        1 => Ok(ValueUnit::Minutes),
        2 => Ok(ValueUnit::Count),
        3 => Ok(ValueUnit::BasisPoints),
        4 => Ok(ValueUnit::TimeOfDay),
        5 => Ok(ValueUnit::Weeks),
        _ => Err(bad("rule_override.unit", format!("{v} is not a unit"))),
    }
}

/// An override from a request, checked against the pack's catalog and the
/// range the law allows.
pub fn override_in(o: Option<&pb::RuleOverride>) -> ApiResult<RuleOverride> {
    use pb::rule_override::Scope;
    let o = o.ok_or_else(|| bad("rule_override", "is required"))?;
    let scope = match &o.scope {
        Some(Scope::Organisation(true)) => OverrideScope::Organisation,
        Some(Scope::Organisation(false)) => {
            return Err(bad("rule_override.organisation", "must be true when given"));
        }
        Some(Scope::EmployeeId(id)) => {
            OverrideScope::Employee(EmployeeId(uuid("rule_override.employee_id", id)?))
        }
        None => {
            return Err(bad(
                "rule_override.scope",
                "organisation or employee_id is required",
            ));
        }
    };
    let Some(rule_pack) = crate::domain::rules::pack::RulePack::parse(o.rule_pack.trim()) else {
        let packs: Vec<&str> = catalog::PACKS.iter().map(|p| p.0).collect();
        return Err(bad(
            "rule_override.rule_pack",
            format!(
                "'{}' is not a rule pack; known: {}",
                o.rule_pack,
                packs.join(", ")
            ),
        ));
    };
    if !catalog::rule_exists(&o.rule_pack, &o.rule_id) {
        return Err(bad(
            "rule_override.rule_id",
            format!("'{}' is not a rule of {}", o.rule_id, o.rule_pack),
        ));
    }
    let spec = catalog::param(&o.rule_pack, &o.rule_id, &o.parameter).ok_or_else(|| {
        let names: Vec<&str> = catalog::PARAMS
            .iter()
            .filter(|p| p.pack == o.rule_pack && p.rule == o.rule_id)
            .map(|p| p.name)
            .collect();
        bad(
            "rule_override.parameter",
            format!(
                "'{}' is not a parameter of {}; it has: {}",
                o.parameter,
                o.rule_id,
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            ),
        )
    })?;
    let unit = unit_in(o.unit)?;
    if unit != spec.unit {
        return Err(bad(
            "rule_override.unit",
            format!("{} is measured in {:?}", o.parameter, spec.unit),
        ));
    }
    if o.value < spec.min || o.value > spec.max {
        return Err(bad(
            "rule_override.value",
            format!(
                "{} is outside {}..{}, what the law allows for {} {} ({})",
                o.value, spec.min, spec.max, o.rule_id, o.parameter, spec.doc
            ),
        ));
    }
    let reason = bounded_text("rule_override.reason", &o.reason, 500)?;
    if reason.trim().is_empty() {
        return Err(bad("rule_override.reason", "is required"));
    }
    // Unset: the override applies always (as before dated overrides).
    let effective_from = match o.effective_from.as_ref() {
        Some(d) => date_in("rule_override.effective_from", Some(d))?,
        None => crate::domain::policy::always(),
    };
    Ok(RuleOverride {
        id: Uuid::new_v4(),
        effective_from,
        scope,
        rule_pack,
        rule_id: o.rule_id.clone(),
        parameter: o.parameter.clone(),
        value: o.value,
        unit,
        reason,
        updated_at: chrono::DateTime::UNIX_EPOCH,
        updated_by: String::new(),
    })
}

#[must_use]
pub fn override_pb(o: &RuleOverride) -> pb::RuleOverride {
    use pb::rule_override::Scope;
    pb::RuleOverride {
        override_id: o.id.to_string(),
        scope: Some(match o.scope {
            OverrideScope::Organisation => Scope::Organisation(true),
            OverrideScope::Employee(e) => Scope::EmployeeId(e.to_string()),
        }),
        rule_pack: o.rule_pack.to_string(),
        rule_id: o.rule_id.clone(),
        parameter: o.parameter.clone(),
        value: o.value,
        unit: super::timesheet_convert::unit_pb(o.unit),
        reason: o.reason.clone(),
        updated_at: Some(timestamp(o.updated_at)),
        updated_by: o.updated_by.clone(),
        effective_from: Some(super::timesheet_convert::date_pb(o.effective_from)),
    }
}

/// An organisation holiday from a request.
pub fn holiday_in(h: Option<&pb::Holiday>) -> ApiResult<OrgHoliday> {
    let h = h.ok_or_else(|| bad("holiday", "is required"))?;
    let date = date_in("holiday.date", h.date.as_ref())?;
    let name = bounded_text("holiday.name", &h.name, 100)?;
    if name.trim().is_empty() {
        return Err(bad("holiday.name", "is required"));
    }
    let kind = match h.kind {
        1 => HolidayKind::Public,
        2 => HolidayKind::Eve,
        3 => HolidayKind::DayOff,
        v => return Err(bad("holiday.kind", format!("{v} is not a holiday kind"))),
    };
    let window_start = time_in("holiday.window_start", h.window_start.as_ref())?;
    match (kind, window_start) {
        (HolidayKind::Eve, None) => {
            return Err(bad("holiday.window_start", "is required for an EVE"));
        }
        (HolidayKind::Public | HolidayKind::DayOff, Some(_)) => {
            return Err(bad("holiday.window_start", "is only for an EVE"));
        }
        _ => {}
    }
    Ok(OrgHoliday {
        id: Uuid::new_v4(),
        date,
        name,
        kind,
        window_start,
    })
}

#[must_use]
pub fn holiday_pb(h: &OrgHoliday, national: bool) -> pb::Holiday {
    pb::Holiday {
        holiday_id: if national {
            String::new()
        } else {
            h.id.to_string()
        },
        date: Some(date_pb(h.date)),
        name: h.name.clone(),
        kind: super::timesheet_convert::holiday_kind_pb(Some(h.kind)),
        window_start: h.window_start.map(time_pb),
        source: if national { 1 } else { 2 },
    }
}

/// Dates as text for storage ("YYYY-MM-DD" sorts like the dates).
#[must_use]
pub fn date_key(d: NaiveDate) -> String {
    d.to_string()
}
