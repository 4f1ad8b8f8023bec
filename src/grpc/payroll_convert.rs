//! Conversions between payroll messages and domain values, with the checks
//! that name the offending field.

use std::collections::BTreeMap;

use chrono::{Datelike, Weekday};
use prost::Message as _;

use super::convert::timestamp;
use super::error::{ApiError, ApiResult};
use super::policy_convert::absence_kind_in;
use super::timesheet_convert::{absence_kind_pb, date_in, date_pb};
use crate::domain::payroll::csv::Dialect;
use crate::domain::payroll::lines::{Category, Line, LineKey};
use crate::domain::payroll::period::{Period, PeriodKind};
use crate::domain::payroll::settings::{PayrollSettings, Tier};
use crate::domain::policy::AbsenceKind;
use crate::pb;
use crate::storage::StoreError;
use crate::storage::payroll::{LockedPeriod, StoredSettings};

#[must_use]
pub fn category_pb(c: Category) -> i32 {
    (match c {
        Category::Scheduled => pb::PayCategory::Scheduled,
        Category::Worked => pb::PayCategory::Worked,
        Category::Normal => pb::PayCategory::Normal,
        Category::Overtime => pb::PayCategory::Overtime,
        Category::Night => pb::PayCategory::Night,
        Category::SundayHoliday => pb::PayCategory::SundayHoliday,
        Category::FlexMovement => pb::PayCategory::FlexMovement,
        Category::Absence => pb::PayCategory::Absence,
        Category::TimeOffInLieu => pb::PayCategory::TimeOffInLieu,
        Category::OpenFindings => pb::PayCategory::OpenFindings,
    }) as i32
}

fn category_in(field: &str, v: i32) -> ApiResult<Category> {
    Category::ALL
        .into_iter()
        .find(|c| category_pb(*c) == v)
        .ok_or_else(|| {
            ApiError::invalid(
                field,
                format!("{v} is not a pay category (SCHEDULED = 1 … OPEN_FINDINGS = 10)"),
            )
        })
}

#[must_use]
pub fn line_pb(l: &Line) -> pb::PayrollLine {
    pb::PayrollLine {
        category: category_pb(l.key.category),
        pay_code: l.pay_code.clone(),
        minutes: l.minutes,
        rate_percent: l.key.rate,
        absence_kind: l.key.absence.map_or(0, absence_kind_pb),
        count: l.count,
        adjustment: l.adjustment.as_ref().map(|a| pb::PayrollAdjustment {
            adjusts_period_id: a.period_id.clone(),
            reason: a.reason.clone(),
        }),
    }
}

#[must_use]
pub fn period_pb(p: &Period, locked: Option<&LockedPeriod>) -> pb::PayrollPeriod {
    pb::PayrollPeriod {
        period_id: p.id.clone(),
        dates: Some(pb::LocalDateRange {
            start: Some(date_pb(p.first)),
            end: Some(date_pb(p.last)),
        }),
        status: if locked.is_some() {
            pb::PeriodStatus::Locked
        } else {
            pb::PeriodStatus::Open
        } as i32,
        locked_at: locked.map(|l| timestamp(l.locked_at)),
        locked_by: locked.map(|l| l.locked_by.clone()).unwrap_or_default(),
    }
}

/// The period kind and anchor as stored ("MONTHLY", "FOUR_WEEKLY:2026-01-05").
#[must_use]
pub fn period_key(kind: PeriodKind) -> String {
    match kind {
        PeriodKind::Monthly => "MONTHLY".into(),
        PeriodKind::SemiMonthly => "SEMI_MONTHLY".into(),
        PeriodKind::FourWeekly { anchor } => format!("FOUR_WEEKLY:{anchor}"),
    }
}

/// Domain settings → message (output-only fields left to the caller).
#[must_use]
pub fn settings_pb(s: &PayrollSettings) -> pb::PayrollSettings {
    let (kind, anchor) = match s.kind {
        PeriodKind::Monthly => (pb::PeriodKind::Monthly, None),
        PeriodKind::SemiMonthly => (pb::PeriodKind::SemiMonthly, None),
        PeriodKind::FourWeekly { anchor } => (pb::PeriodKind::FourWeekly, Some(date_pb(anchor))),
    };
    pb::PayrollSettings {
        period_kind: kind as i32,
        four_weekly_anchor: anchor,
        overtime_tiers: s
            .tiers
            .iter()
            .map(|t| pb::OvertimeRateTier {
                after_week_overtime_minutes: t.after_week_overtime_minutes,
                rate_percent: t.rate,
            })
            .collect(),
        night_overtime_rate_percent: s.night_rate,
        sunday_holiday_overtime_rate_percent: s.sunday_rate,
        pay_codes: s
            .pay_codes
            .iter()
            .map(|(k, code)| pb::PayCodeMapping {
                category: category_pb(k.category),
                rate_percent: k.rate,
                absence_kind: k.absence.map_or(0, absence_kind_pb),
                pay_code: code.clone(),
            })
            .collect(),
        updated_at: None,
        updated_by: String::new(),
    }
}

/// Message → domain settings, every field checked. Field names start with
/// `prefix` ("settings").
///
/// # Errors
/// `INVALID_ARGUMENT` naming the field.
pub fn settings_in(prefix: &str, m: &pb::PayrollSettings) -> ApiResult<PayrollSettings> {
    let kind = match pb::PeriodKind::try_from(m.period_kind) {
        Ok(pb::PeriodKind::Monthly) => PeriodKind::Monthly,
        Ok(pb::PeriodKind::SemiMonthly) => PeriodKind::SemiMonthly,
        Ok(pb::PeriodKind::FourWeekly) => {
            let field = format!("{prefix}.four_weekly_anchor");
            let anchor = date_in(&field, m.four_weekly_anchor.as_ref())?;
            if anchor.weekday() != Weekday::Mon {
                return Err(ApiError::invalid(
                    field,
                    format!(
                        "{anchor} is a {:?}; four-weekly periods start on a Monday",
                        anchor.weekday()
                    ),
                ));
            }
            PeriodKind::FourWeekly { anchor }
        }
        _ => {
            return Err(ApiError::invalid(
                format!("{prefix}.period_kind"),
                "is required: MONTHLY, SEMI_MONTHLY or FOUR_WEEKLY",
            ));
        }
    };
    if !matches!(kind, PeriodKind::FourWeekly { .. }) && m.four_weekly_anchor.is_some() {
        return Err(ApiError::invalid(
            format!("{prefix}.four_weekly_anchor"),
            "is only for FOUR_WEEKLY periods",
        ));
    }
    let tiers = m
        .overtime_tiers
        .iter()
        .map(|t| Tier {
            after_week_overtime_minutes: t.after_week_overtime_minutes,
            rate: t.rate_percent,
        })
        .collect();
    let mut pay_codes: BTreeMap<LineKey, String> = BTreeMap::new();
    for (i, c) in m.pay_codes.iter().enumerate() {
        let field = format!("{prefix}.pay_codes[{i}]");
        let category = category_in(&format!("{field}.category"), c.category)?;
        if category != Category::Overtime && c.rate_percent != 0 {
            return Err(ApiError::invalid(
                format!("{field}.rate_percent"),
                "is only for OVERTIME",
            ));
        }
        let absence = if category == Category::Absence {
            let k = absence_kind_in(&format!("{field}.absence_kind"), c.absence_kind)?;
            if k == AbsenceKind::TimeOffInLieu {
                return Err(ApiError::invalid(
                    format!("{field}.absence_kind"),
                    "time off in lieu has its own category, TIME_OFF_IN_LIEU",
                ));
            }
            Some(k)
        } else {
            if c.absence_kind != 0 {
                return Err(ApiError::invalid(
                    format!("{field}.absence_kind"),
                    "is only for ABSENCE",
                ));
            }
            None
        };
        let key = LineKey {
            category,
            rate: c.rate_percent,
            absence,
        };
        if pay_codes.insert(key, c.pay_code.clone()).is_some() {
            return Err(ApiError::invalid(
                field,
                format!(
                    "{} is mapped twice",
                    crate::domain::payroll::settings::describe(&key)
                ),
            ));
        }
    }
    let s = PayrollSettings {
        kind,
        tiers,
        night_rate: m.night_overtime_rate_percent,
        sunday_rate: m.sunday_holiday_overtime_rate_percent,
        pay_codes,
    };
    s.validate()
        .map_err(|e| ApiError::invalid(e.field.replacen("settings", prefix, 1), e.reason))?;
    Ok(s)
}

/// Settings as stored: the message, protobuf-encoded, in hex.
#[must_use]
pub fn encode(s: &PayrollSettings) -> String {
    hex::encode(settings_pb(s).encode_to_vec())
}

/// The inverse of [`encode`].
///
/// # Errors
/// `Corrupt` when the stored text does not decode to valid settings.
pub fn decode(text: &str) -> Result<PayrollSettings, StoreError> {
    let bytes =
        hex::decode(text).map_err(|e| StoreError::Corrupt(format!("payroll settings: {e}")))?;
    let m = pb::PayrollSettings::decode(bytes.as_slice())
        .map_err(|e| StoreError::Corrupt(format!("payroll settings: {e}")))?;
    settings_in("settings", &m).map_err(|e| StoreError::Corrupt(format!("payroll settings: {e}")))
}

/// The stored row for `s`.
#[must_use]
pub fn stored(
    s: &PayrollSettings,
    now: chrono::DateTime<chrono::Utc>,
    by: String,
) -> StoredSettings {
    StoredSettings {
        encoded: encode(s),
        period_key: period_key(s.kind),
        updated_at: now,
        updated_by: by,
    }
}

/// The CSV dialect of a request; UNSPECIFIED is RFC 4180.
///
/// # Errors
/// `dialect` when the value is not one this server knows.
pub fn dialect_in(value: i32) -> ApiResult<Dialect> {
    match pb::CsvDialect::try_from(value) {
        Ok(pb::CsvDialect::Unspecified | pb::CsvDialect::Rfc4180) => Ok(Dialect::Rfc4180),
        Ok(pb::CsvDialect::ExcelNb) => Ok(Dialect::ExcelNb),
        Err(_) => Err(ApiError::invalid(
            "dialect",
            format!(
                "{value} is not a CSV dialect: use CSV_DIALECT_RFC4180 or CSV_DIALECT_EXCEL_NB"
            ),
        )),
    }
}

#[must_use]
pub fn dialect_pb(d: Dialect) -> pb::CsvDialect {
    match d {
        Dialect::Rfc4180 => pb::CsvDialect::Rfc4180,
        Dialect::ExcelNb => pb::CsvDialect::ExcelNb,
    }
}
