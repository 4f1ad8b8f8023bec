//! Conversions between rows and domain values. A value that does not parse
//! back is reported as [`StoreError::Corrupt`], never papered over.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use sqlx::Row as _;
use sqlx::any::AnyRow;
use uuid::Uuid;

use super::{StoreError, StoreResult};
use crate::domain::employee::{Employee, EmployeeFields, Exemption, Locale};
use crate::domain::event::{
    Amendment, AmendmentRequest, Change, ClockEvent, EventKind, Location, StoredEvent,
};
use crate::domain::ids::{AmendmentId, EmployeeId, EventId, OrgId, TokenId};
use crate::domain::rules::pack::RulePack;
use crate::domain::token::{ApiToken, Role};

/// An instant as stored: microseconds since the epoch.
pub fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

pub(super) fn col<T>(row: &AnyRow, name: &str) -> StoreResult<T>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(name)
        .map_err(|e| StoreError::Corrupt(format!("{name}: {e}")))
}

pub(super) fn instant(row: &AnyRow, name: &str) -> StoreResult<DateTime<Utc>> {
    let v: i64 = col(row, name)?;
    DateTime::from_timestamp_micros(v).ok_or_else(|| StoreError::Corrupt(format!("{name}: {v}")))
}

pub(super) fn opt_instant(row: &AnyRow, name: &str) -> StoreResult<Option<DateTime<Utc>>> {
    let v: Option<i64> = col(row, name)?;
    v.map(|v| {
        DateTime::from_timestamp_micros(v)
            .ok_or_else(|| StoreError::Corrupt(format!("{name}: {v}")))
    })
    .transpose()
}

pub(super) fn parsed<T: FromStr>(row: &AnyRow, name: &str) -> StoreResult<T> {
    let v: String = col(row, name)?;
    v.parse()
        .map_err(|_| StoreError::Corrupt(format!("{name}: '{v}'")))
}

pub(super) fn opt_parsed<T: FromStr>(row: &AnyRow, name: &str) -> StoreResult<Option<T>> {
    let v: Option<String> = col(row, name)?;
    v.map(|v| {
        v.parse()
            .map_err(|_| StoreError::Corrupt(format!("{name}: '{v}'")))
    })
    .transpose()
}

fn named<T>(row: &AnyRow, name: &str, parse: impl Fn(&str) -> Option<T>) -> StoreResult<T> {
    let v: String = col(row, name)?;
    parse(&v).ok_or_else(|| StoreError::Corrupt(format!("{name}: '{v}'")))
}

fn opt_named<T>(
    row: &AnyRow,
    name: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> StoreResult<Option<T>> {
    let v: Option<String> = col(row, name)?;
    v.map(|v| parse(&v).ok_or_else(|| StoreError::Corrupt(format!("{name}: '{v}'"))))
        .transpose()
}

pub const EVENT_COLUMNS: &str =
    "event_id, employee_id, kind, occurred_at, location, device_id, received_at";

pub fn stored_event(row: &AnyRow) -> StoreResult<StoredEvent> {
    Ok(StoredEvent {
        event: ClockEvent {
            event_id: EventId(parsed(row, "event_id")?),
            employee_id: EmployeeId(parsed(row, "employee_id")?),
            kind: named(row, "kind", EventKind::parse)?,
            occurred_at: instant(row, "occurred_at")?,
            location: opt_named(row, "location", Location::parse)?,
            device_id: col(row, "device_id")?,
        },
        received_at: instant(row, "received_at")?,
    })
}

pub const AMENDMENT_COLUMNS: &str = "amendment_id, employee_id, seq, kind, target_event_id, event_kind, \
     occurred_at, location, reason, author, created_at";

pub fn amendment(row: &AnyRow) -> StoreResult<Amendment> {
    let kind: String = col(row, "kind")?;
    let target = || -> StoreResult<Uuid> {
        opt_parsed::<Uuid>(row, "target_event_id")?
            .ok_or_else(|| StoreError::Corrupt("target_event_id: missing".into()))
    };
    let at = || -> StoreResult<DateTime<Utc>> {
        opt_instant(row, "occurred_at")?
            .ok_or_else(|| StoreError::Corrupt("occurred_at: missing".into()))
    };
    let change = match kind.as_str() {
        "ADD" => Change::Add {
            kind: opt_named(row, "event_kind", EventKind::parse)?
                .ok_or_else(|| StoreError::Corrupt("event_kind: missing".into()))?,
            occurred_at: at()?,
            location: opt_named(row, "location", Location::parse)?,
        },
        "VOID" => Change::Void { target: target()? },
        "MOVE" => Change::Move {
            target: target()?,
            occurred_at: at()?,
        },
        other => return Err(StoreError::Corrupt(format!("amendments.kind: '{other}'"))),
    };
    Ok(Amendment {
        request: AmendmentRequest {
            amendment_id: AmendmentId(parsed(row, "amendment_id")?),
            employee_id: EmployeeId(parsed(row, "employee_id")?),
            change,
            reason: col(row, "reason")?,
        },
        seq: col(row, "seq")?,
        author: col(row, "author")?,
        created_at: instant(row, "created_at")?,
    })
}

/// The stored columns of a change: kind, target, event kind, instant, location.
pub fn change_columns(
    change: &Change,
) -> (
    &'static str,
    Option<String>,
    Option<&'static str>,
    Option<i64>,
    Option<&'static str>,
) {
    match change {
        Change::Add {
            kind,
            occurred_at,
            location,
        } => (
            "ADD",
            None,
            Some(kind.as_str()),
            Some(micros(*occurred_at)),
            location.map(Location::as_str),
        ),
        Change::Void { target } => ("VOID", Some(target.to_string()), None, None, None),
        Change::Move {
            target,
            occurred_at,
        } => (
            "MOVE",
            Some(target.to_string()),
            None,
            Some(micros(*occurred_at)),
            None,
        ),
    }
}

pub const EMPLOYEE_COLUMNS: &str = "id, organisation_id, external_id, name, email, manager_id, \
     time_zone, locale, rule_pack, exemption, active, created_at, updated_at, deactivated_at, department";

pub fn employee(row: &AnyRow) -> StoreResult<Employee> {
    let active: i64 = col(row, "active")?;
    Ok(Employee {
        id: EmployeeId(parsed(row, "id")?),
        org_id: OrgId(parsed(row, "organisation_id")?),
        fields: EmployeeFields {
            external_id: col(row, "external_id")?,
            name: col(row, "name")?,
            email: col(row, "email")?,
            manager_id: opt_parsed::<Uuid>(row, "manager_id")?.map(EmployeeId),
            time_zone: parsed(row, "time_zone")?,
            locale: named(row, "locale", Locale::parse)?,
            // An unknown pack in a row is corrupt data, never "Norway".
            rule_pack: named(row, "rule_pack", RulePack::parse)?,
            exemption: named(row, "exemption", Exemption::parse)?,
            department: col(row, "department")?,
        },
        active: active != 0,
        created_at: instant(row, "created_at")?,
        updated_at: instant(row, "updated_at")?,
        deactivated_at: opt_instant(row, "deactivated_at")?,
    })
}

pub const TOKEN_COLUMNS: &str = "id, organisation_id, name, role, employee_id, created_at, revoked_at, expires_at, \
     last_used_at, rotated_at, previous_valid_until, department";

pub fn token(row: &AnyRow) -> StoreResult<ApiToken> {
    Ok(ApiToken {
        id: TokenId(parsed(row, "id")?),
        org_id: OrgId(parsed(row, "organisation_id")?),
        name: col(row, "name")?,
        role: named(row, "role", Role::parse)?,
        employee_id: opt_parsed::<Uuid>(row, "employee_id")?.map(EmployeeId),
        created_at: instant(row, "created_at")?,
        revoked_at: opt_instant(row, "revoked_at")?,
        expires_at: opt_instant(row, "expires_at")?,
        last_used_at: opt_instant(row, "last_used_at")?,
        rotated_at: opt_instant(row, "rotated_at")?,
        previous_valid_until: opt_instant(row, "previous_valid_until")?,
        department: col(row, "department")?,
    })
}

pub fn organisation(row: &AnyRow) -> StoreResult<super::Organisation> {
    Ok(super::Organisation {
        id: OrgId(parsed(row, "id")?),
        name: col(row, "name")?,
        created_at: instant(row, "created_at")?,
    })
}
