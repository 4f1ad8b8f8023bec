//! Conversions for TimesheetService: local dates, findings, intervals.

use chrono::{Datelike, NaiveDate, Weekday};

use super::convert::timestamp;
use super::error::{ApiError, ApiResult};
use crate::domain::engine::finding::Severity;
use crate::domain::engine::reconcile::{Finding, FindingStatus};
use crate::domain::policy::{AbsenceKind, HolidayKind, ValueUnit};
use crate::pb;

/// A required local date.
pub fn date_in(field: &str, d: Option<&pb::LocalDate>) -> ApiResult<NaiveDate> {
    let d = d.ok_or_else(|| ApiError::invalid(field, "is required"))?;
    u32::try_from(d.month)
        .ok()
        .zip(u32::try_from(d.day).ok())
        .and_then(|(m, day)| NaiveDate::from_ymd_opt(d.year, m, day))
        .ok_or_else(|| {
            ApiError::invalid(
                field,
                format!("{}-{:02}-{:02} is not a date", d.year, d.month, d.day),
            )
        })
        .and_then(|date| {
            if crate::domain::years::accepts_date(date) {
                Ok(date)
            } else {
                Err(ApiError::invalid(
                    field,
                    format!(
                        "{date} is outside the accepted {}",
                        crate::domain::years::span()
                    ),
                ))
            }
        })
}

/// A required local date range, `end` not before `start`, at most `max_days`.
pub fn date_range(
    field: &str,
    r: Option<&pb::LocalDateRange>,
    max_days: i64,
) -> ApiResult<(NaiveDate, NaiveDate)> {
    let r = r.ok_or_else(|| ApiError::invalid(field, "is required"))?;
    let start = date_in(&format!("{field}.start"), r.start.as_ref())?;
    let end = date_in(&format!("{field}.end"), r.end.as_ref())?;
    if end < start {
        return Err(ApiError::invalid(
            field,
            format!("end {end} is before start {start}"),
        ));
    }
    let days = (end - start).num_days() + 1;
    if days > max_days {
        return Err(ApiError::invalid(
            field,
            format!("{days} days is more than the {max_days} allowed"),
        ));
    }
    Ok((start, end))
}

#[must_use]
pub fn date_pb(d: NaiveDate) -> pb::LocalDate {
    pb::LocalDate {
        year: d.year(),
        month: i32::try_from(d.month()).unwrap_or_default(),
        day: i32::try_from(d.day()).unwrap_or_default(),
    }
}

#[must_use]
pub fn weekday_pb(w: Weekday) -> i32 {
    i32::try_from(w.number_from_monday()).unwrap_or_default()
}

#[must_use]
pub fn severity_pb(s: Severity) -> i32 {
    match s {
        Severity::Violation => pb::Severity::Violation as i32,
        Severity::Warning => pb::Severity::Warning as i32,
        Severity::Pattern => pb::Severity::Pattern as i32,
    }
}

pub fn severity_in(field: &str, v: i32) -> ApiResult<Severity> {
    match pb::Severity::try_from(v) {
        Ok(pb::Severity::Violation) => Ok(Severity::Violation),
        Ok(pb::Severity::Warning) => Ok(Severity::Warning),
        Ok(pb::Severity::Pattern) => Ok(Severity::Pattern),
        _ => Err(ApiError::invalid(field, format!("{v} is not a severity"))),
    }
}

#[must_use]
pub fn status_pb(s: FindingStatus) -> i32 {
    match s {
        FindingStatus::Open => pb::FindingStatus::Open as i32,
        FindingStatus::Resolved => pb::FindingStatus::Resolved as i32,
    }
}

pub fn status_in(field: &str, v: i32) -> ApiResult<FindingStatus> {
    match pb::FindingStatus::try_from(v) {
        Ok(pb::FindingStatus::Open) => Ok(FindingStatus::Open),
        Ok(pb::FindingStatus::Resolved) => Ok(FindingStatus::Resolved),
        _ => Err(ApiError::invalid(
            field,
            format!("{v} is not a finding status"),
        )),
    }
}

#[must_use]
pub fn unit_pb(u: ValueUnit) -> i32 {
    (match u {
        ValueUnit::Minutes => pb::ValueUnit::Minutes,
        ValueUnit::Count => pb::ValueUnit::Count,
        ValueUnit::BasisPoints => pb::ValueUnit::BasisPoints,
        ValueUnit::TimeOfDay => pb::ValueUnit::TimeOfDay,
        ValueUnit::Weeks => pb::ValueUnit::Weeks,
    }) as i32
}

#[must_use]
pub fn absence_kind_pb(k: AbsenceKind) -> i32 {
    (match k {
        AbsenceKind::Sick => pb::AbsenceKind::Sick,
        AbsenceKind::Vacation => pb::AbsenceKind::Vacation,
        AbsenceKind::Leave => pb::AbsenceKind::Leave,
        AbsenceKind::TimeOffInLieu => pb::AbsenceKind::TimeOffInLieu,
    }) as i32
}

#[must_use]
pub fn holiday_kind_pb(k: Option<HolidayKind>) -> i32 {
    (match k {
        None => pb::HolidayKind::Unspecified,
        Some(HolidayKind::Public) => pb::HolidayKind::Public,
        Some(HolidayKind::Eve) => pb::HolidayKind::Eve,
        Some(HolidayKind::DayOff) => pb::HolidayKind::DayOff,
    }) as i32
}

#[must_use]
pub fn finding_pb(f: &Finding) -> pb::Finding {
    pb::Finding {
        finding_id: f.id.to_string(),
        employee_id: f.employee.to_string(),
        rule_id: f.rule_id.clone(),
        rule_pack: f.rule_pack.clone(),
        rule_pack_version: f.rule_pack_version.clone(),
        severity: severity_pb(f.severity),
        status: status_pb(f.status),
        window_start: Some(timestamp(f.window.start)),
        window_end: Some(timestamp(f.window.end)),
        at: Some(timestamp(f.at)),
        measured: f.measured,
        limit: f.limit,
        unit: unit_pb(f.unit),
        limit_is_minimum: f.limit_is_minimum,
        explanation: f.explanation.clone(),
        citation: f.citation.clone(),
        agreement_id: f.agreement.map(|a| a.to_string()).unwrap_or_default(),
        evidence: f
            .evidence
            .iter()
            .map(|e| pb::IntervalRef {
                interval_id: e.interval.to_string(),
                start: e.start.map(timestamp),
                end: e.end.map(timestamp),
            })
            .collect(),
        first_seen_at: Some(timestamp(f.first_seen_at)),
        updated_at: Some(timestamp(f.updated_at)),
        resolved_at: f.resolved_at.map(timestamp),
    }
}
