//! Conversions between protobuf messages and domain values. Parsing checks
//! everything a client can get wrong and names the field it got wrong.

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use prost_types::Timestamp;
use uuid::Uuid;

use super::error::{ApiError, ApiResult};
use crate::domain::clock_status::{ClockState, ClockStatus};
use crate::domain::employee::{Employee, Exemption, Locale};
use crate::domain::event::{
    Amendment, Change, ClockEvent, EventKind, Location, StoredEvent, to_storage_precision,
};
use crate::domain::ids::{EmployeeId, EventId};
use crate::domain::token::{ApiToken, Role};
use crate::pb;

/// Events before this are refused: a clock that reports 1970 has lost its time.
fn earliest_event() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// A required UUID field.
pub fn uuid(field: &str, s: &str) -> ApiResult<Uuid> {
    let s = s.trim();
    if s.is_empty() {
        return Err(ApiError::invalid(field, "is required"));
    }
    // Only the hyphenated form, so one id has one spelling everywhere; and
    // the nil UUID names nobody (a zeroed field is a client bug).
    match Uuid::try_parse(s) {
        Ok(id) if id.is_nil() => Err(ApiError::invalid(field, "the nil UUID is not an id")),
        Ok(id) if s.len() == 36 => Ok(id),
        _ => Err(ApiError::invalid(
            field,
            format!("'{s}' is not a UUID in the hyphenated form (8-4-4-4-12 hex digits)"),
        )),
    }
}

/// A required instant.
pub fn instant(field: &str, t: Option<&Timestamp>) -> ApiResult<DateTime<Utc>> {
    let t = t.ok_or_else(|| ApiError::invalid(field, "is required"))?;
    let nanos = u32::try_from(t.nanos)
        .ok()
        .filter(|n| *n < 1_000_000_000)
        .ok_or_else(|| {
            ApiError::invalid(field, format!("nanos {} is outside 0..999999999", t.nanos))
        })?;
    DateTime::from_timestamp(t.seconds, nanos)
        .filter(|t| crate::domain::years::accepts_instant(*t))
        .map(to_storage_precision)
        .ok_or_else(|| {
            ApiError::invalid(
                field,
                format!(
                    "seconds {} is outside the accepted {}",
                    t.seconds,
                    crate::domain::years::span()
                ),
            )
        })
}

/// An optional instant: absent stays `None`.
pub fn opt_instant(field: &str, t: Option<&Timestamp>) -> ApiResult<Option<DateTime<Utc>>> {
    t.map(|t| instant(field, Some(t))).transpose()
}

/// An optional non-negative duration, whole seconds or finer.
pub fn opt_duration(field: &str, d: Option<&prost_types::Duration>) -> ApiResult<Option<Duration>> {
    let Some(d) = d else { return Ok(None) };
    if d.seconds < 0 || d.nanos < 0 || d.nanos >= 1_000_000_000 {
        return Err(ApiError::invalid(
            field,
            format!(
                "{} s {} ns is not a non-negative duration",
                d.seconds, d.nanos
            ),
        ));
    }
    Duration::try_seconds(d.seconds)
        .and_then(|s| s.checked_add(&Duration::nanoseconds(i64::from(d.nanos))))
        .map(Some)
        .ok_or_else(|| ApiError::invalid(field, format!("{} s is too long", d.seconds)))
}

/// An instant as a protobuf Timestamp.
#[must_use]
pub fn timestamp(t: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: t.timestamp(),
        nanos: i32::try_from(t.timestamp_subsec_nanos()).unwrap_or_default(),
    }
}

/// Checks an event instant against the server's clock.
pub fn check_event_time(
    field: &str,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
    max_skew: Duration,
) -> ApiResult<()> {
    if at > now + max_skew {
        let ahead = (at - now).num_seconds();
        return Err(ApiError::invalid(
            field,
            format!(
                "{} is {ahead} s ahead of the server's clock; at most {} s is allowed (is the clock's time set?)",
                at.to_rfc3339(),
                max_skew.num_seconds()
            ),
        ));
    }
    if at < earliest_event() {
        return Err(ApiError::invalid(
            field,
            format!(
                "{} is before 2000-01-01 (is the clock's time set?)",
                at.to_rfc3339()
            ),
        ));
    }
    Ok(())
}

pub fn event_kind(field: &str, v: i32) -> ApiResult<EventKind> {
    match pb::EventKind::try_from(v) {
        Ok(pb::EventKind::ClockIn) => Ok(EventKind::ClockIn),
        Ok(pb::EventKind::ClockOut) => Ok(EventKind::ClockOut),
        Ok(pb::EventKind::BreakStart) => Ok(EventKind::BreakStart),
        Ok(pb::EventKind::BreakEnd) => Ok(EventKind::BreakEnd),
        Ok(pb::EventKind::Unspecified) => Err(ApiError::invalid(
            field,
            "is required (EVENT_KIND_UNSPECIFIED)",
        )),
        Err(_) => Err(ApiError::invalid(field, format!("unknown value {v}"))),
    }
}

fn location_value(field: &str, v: i32) -> ApiResult<Option<Location>> {
    match pb::Location::try_from(v) {
        Ok(pb::Location::Unspecified) => Ok(None),
        Ok(pb::Location::Office) => Ok(Some(Location::Office)),
        Ok(pb::Location::Home) => Ok(Some(Location::Home)),
        Ok(pb::Location::Remote) => Ok(Some(Location::Remote)),
        Ok(pb::Location::Travel) => Ok(Some(Location::Travel)),
        Err(_) => Err(ApiError::invalid(field, format!("unknown value {v}"))),
    }
}

/// The location an event of `kind` carries: required where work starts from
/// nothing (`CLOCK_IN`), optional on `BREAK_END`, dropped where no work follows.
pub fn location_for(field: &str, kind: EventKind, v: i32) -> ApiResult<Option<Location>> {
    let loc = location_value(field, v)?;
    match kind {
        EventKind::ClockIn if loc.is_none() => Err(ApiError::invalid(
            field,
            "is required for CLOCK_IN (LOCATION_UNSPECIFIED)",
        )),
        EventKind::ClockIn | EventKind::BreakEnd => Ok(loc),
        EventKind::ClockOut | EventKind::BreakStart => Ok(None),
    }
}

#[must_use]
pub fn location_pb(l: Option<Location>) -> i32 {
    (match l {
        None => pb::Location::Unspecified,
        Some(Location::Office) => pb::Location::Office,
        Some(Location::Home) => pb::Location::Home,
        Some(Location::Remote) => pb::Location::Remote,
        Some(Location::Travel) => pb::Location::Travel,
    }) as i32
}

#[must_use]
pub fn event_kind_pb(k: EventKind) -> i32 {
    (match k {
        EventKind::ClockIn => pb::EventKind::ClockIn,
        EventKind::ClockOut => pb::EventKind::ClockOut,
        EventKind::BreakStart => pb::EventKind::BreakStart,
        EventKind::BreakEnd => pb::EventKind::BreakEnd,
    }) as i32
}

/// Longest device id kept.
const MAX_DEVICE_ID: usize = 128;

/// Parses a client's event. `prefix` names it in errors, e.g. "events[3]".
pub fn clock_event(
    prefix: &str,
    e: &pb::ClockEvent,
    now: DateTime<Utc>,
    max_skew: Duration,
    default_device: &str,
) -> ApiResult<ClockEvent> {
    let event_id = EventId(uuid(&format!("{prefix}.event_id"), &e.event_id)?);
    let employee_id = EmployeeId(uuid(&format!("{prefix}.employee_id"), &e.employee_id)?);
    let kind = event_kind(&format!("{prefix}.kind"), e.kind)?;
    let field = format!("{prefix}.occurred_at");
    let occurred_at = instant(&field, e.occurred_at.as_ref())?;
    check_event_time(&field, occurred_at, now, max_skew)?;
    let location = location_for(&format!("{prefix}.location"), kind, e.location)?;
    let device = e.device_id.trim();
    if device.chars().count() > MAX_DEVICE_ID || device.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            format!("{prefix}.device_id"),
            format!("must be at most {MAX_DEVICE_ID} printable characters"),
        ));
    }
    Ok(ClockEvent {
        event_id,
        employee_id,
        kind,
        occurred_at,
        location,
        device_id: if device.is_empty() {
            default_device.to_owned()
        } else {
            device.to_owned()
        },
    })
}

#[must_use]
pub fn clock_event_pb(e: &ClockEvent) -> pb::ClockEvent {
    pb::ClockEvent {
        event_id: e.event_id.to_string(),
        employee_id: e.employee_id.to_string(),
        kind: event_kind_pb(e.kind),
        occurred_at: Some(timestamp(e.occurred_at)),
        location: location_pb(e.location),
        device_id: e.device_id.clone(),
    }
}

#[must_use]
pub fn stored_event_pb(s: &StoredEvent) -> pb::StoredEvent {
    pb::StoredEvent {
        event: Some(clock_event_pb(&s.event)),
        received_at: Some(timestamp(s.received_at)),
    }
}

#[must_use]
pub fn amendment_pb(a: &Amendment) -> pb::Amendment {
    let r = &a.request;
    let mut out = pb::Amendment {
        amendment_id: r.amendment_id.to_string(),
        employee_id: r.employee_id.to_string(),
        reason: r.reason.clone(),
        author: a.author.clone(),
        created_at: Some(timestamp(a.created_at)),
        ..Default::default()
    };
    match &r.change {
        Change::Add {
            kind,
            occurred_at,
            location,
        } => {
            out.kind = pb::AmendmentKind::Add as i32;
            out.event_kind = event_kind_pb(*kind);
            out.occurred_at = Some(timestamp(*occurred_at));
            out.location = location_pb(*location);
        }
        Change::Void { target } => {
            out.kind = pb::AmendmentKind::Void as i32;
            out.target_event_id = target.to_string();
        }
        Change::Move {
            target,
            occurred_at,
        } => {
            out.kind = pb::AmendmentKind::Move as i32;
            out.target_event_id = target.to_string();
            out.occurred_at = Some(timestamp(*occurred_at));
        }
    }
    out
}

#[must_use]
pub fn clock_status_pb(employee: EmployeeId, s: &ClockStatus) -> pb::ClockStatus {
    pb::ClockStatus {
        employee_id: employee.to_string(),
        state: (match s.state {
            ClockState::ClockedOut => pb::ClockState::ClockedOut,
            ClockState::Working => pb::ClockState::Working,
            ClockState::OnBreak => pb::ClockState::OnBreak,
        }) as i32,
        clocked_in_since: s.clocked_in_since.map(timestamp),
        state_since: s.state_since.map(timestamp),
        location: location_pb(s.location),
        last_event_id: s
            .last_event
            .map(|(id, _)| id.to_string())
            .unwrap_or_default(),
        last_event_at: s.last_event.map(|(_, at)| timestamp(at)),
        event_count: i64::try_from(s.event_count).unwrap_or(i64::MAX),
    }
}

pub fn locale(field: &str, v: i32) -> ApiResult<Option<Locale>> {
    match pb::Locale::try_from(v) {
        Ok(pb::Locale::Unspecified) => Ok(None),
        Ok(pb::Locale::Nb) => Ok(Some(Locale::Nb)),
        Ok(pb::Locale::En) => Ok(Some(Locale::En)),
        Err(_) => Err(ApiError::invalid(field, format!("unknown value {v}"))),
    }
}

pub fn exemption(field: &str, v: i32) -> ApiResult<Option<Exemption>> {
    match pb::Exemption::try_from(v) {
        Ok(pb::Exemption::Unspecified) => Ok(None),
        Ok(pb::Exemption::None) => Ok(Some(Exemption::None)),
        Ok(pb::Exemption::LeadingPosition) => Ok(Some(Exemption::LeadingPosition)),
        Ok(pb::Exemption::ParticularlyIndependent) => Ok(Some(Exemption::ParticularlyIndependent)),
        Err(_) => Err(ApiError::invalid(field, format!("unknown value {v}"))),
    }
}

pub fn role(field: &str, v: i32) -> ApiResult<Role> {
    match pb::Role::try_from(v) {
        Ok(pb::Role::Clock) => Ok(Role::Clock),
        Ok(pb::Role::Employee) => Ok(Role::Employee),
        Ok(pb::Role::Manager) => Ok(Role::Manager),
        Ok(pb::Role::Payroll) => Ok(Role::Payroll),
        Ok(pb::Role::Admin) => Ok(Role::Admin),
        Ok(pb::Role::SafetyRep) => Ok(Role::SafetyRep),
        Ok(pb::Role::Inspector) => Ok(Role::Inspector),
        Ok(pb::Role::Unspecified) => {
            Err(ApiError::invalid(field, "is required (ROLE_UNSPECIFIED)"))
        }
        Err(_) => Err(ApiError::invalid(field, format!("unknown value {v}"))),
    }
}

#[must_use]
pub fn role_pb(r: Role) -> i32 {
    (match r {
        Role::Clock => pb::Role::Clock,
        Role::Employee => pb::Role::Employee,
        Role::Manager => pb::Role::Manager,
        Role::Payroll => pb::Role::Payroll,
        Role::Admin => pb::Role::Admin,
        Role::SafetyRep => pb::Role::SafetyRep,
        Role::Inspector => pb::Role::Inspector,
    }) as i32
}

#[must_use]
pub fn employee_pb(e: &Employee) -> pb::Employee {
    let f = &e.fields;
    pb::Employee {
        employee_id: e.id.to_string(),
        external_id: f.external_id.clone(),
        name: f.name.clone(),
        email: f.email.clone(),
        manager_id: f.manager_id.map(|m| m.to_string()).unwrap_or_default(),
        time_zone: f.time_zone.name().to_owned(),
        locale: (match f.locale {
            Locale::Nb => pb::Locale::Nb,
            Locale::En => pb::Locale::En,
        }) as i32,
        rule_pack: f.rule_pack.to_string(),
        exemption: (match f.exemption {
            Exemption::None => pb::Exemption::None,
            Exemption::LeadingPosition => pb::Exemption::LeadingPosition,
            Exemption::ParticularlyIndependent => pb::Exemption::ParticularlyIndependent,
        }) as i32,
        active: e.active,
        created_at: Some(timestamp(e.created_at)),
        updated_at: Some(timestamp(e.updated_at)),
        deactivated_at: e.deactivated_at.map(timestamp),
        department: f.department.clone().unwrap_or_default(),
    }
}

#[must_use]
pub fn token_pb(t: &ApiToken) -> pb::ApiToken {
    pb::ApiToken {
        token_id: t.id.to_string(),
        name: t.name.clone(),
        role: role_pb(t.role),
        employee_id: t.employee_id.map(|e| e.to_string()).unwrap_or_default(),
        created_at: Some(timestamp(t.created_at)),
        revoked_at: t.revoked_at.map(timestamp),
        expires_at: t.expires_at.map(timestamp),
        last_used_at: t.last_used_at.map(timestamp),
        rotated_at: t.rotated_at.map(timestamp),
        previous_secret_valid_until: t.previous_valid_until.map(timestamp),
        department: t.department.clone().unwrap_or_default(),
    }
}

/// Page size from a request: 0 means 100; at most 500.
pub fn page_size(page: Option<&pb::PageRequest>) -> ApiResult<i64> {
    let size = page.map_or(0, |p| p.page_size);
    match size {
        0 => Ok(100),
        1..=500 => Ok(i64::from(size)),
        _ => Err(ApiError::invalid(
            "page.page_size",
            format!("{size} is outside 1..500"),
        )),
    }
}

/// The opaque page token: hex of the last item's sort key.
pub fn page_after(page: Option<&pb::PageRequest>) -> ApiResult<Option<String>> {
    let token = page.map_or("", |p| p.page_token.as_str());
    if token.is_empty() {
        return Ok(None);
    }
    hex::decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .map(Some)
        .ok_or_else(|| ApiError::invalid("page.page_token", "is not a token this server issued"))
}

#[must_use]
pub fn page_token(key: &str) -> String {
    hex::encode(key.as_bytes())
}
