//! One person's record as stored: the events of a day with what
//! corrections did to them, and the whole record for a download.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::domain::audit::AuditAction;
use crate::domain::employee::Employee;
use crate::domain::engine::reconcile::Finding;
use crate::domain::event::{Amendment, Change, EventKind, Location, effective_events};
use crate::domain::ids::EmployeeId;
use crate::domain::local_days::start_of_day;
use crate::grpc::Ctx;
use crate::grpc::auth::{Access, Caller};
use crate::grpc::error::ApiResult;
use crate::storage::derived::FindingFilter;
use crate::storage::outbox::NudgeRow;

/// What became of an event in the effective record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventFate {
    /// In the record as recorded.
    Kept,
    /// Taken out by a correction.
    Voided,
    /// Moved to another instant by a correction.
    Moved(DateTime<Utc>),
    /// Added by a correction (it has no stored event).
    Added,
}

/// An event as the day page shows it.
#[derive(Clone, Debug)]
pub struct DayEvent {
    pub id: Uuid,
    pub kind: EventKind,
    /// When it was recorded (for an added event: when the correction says).
    pub occurred_at: DateTime<Utc>,
    pub location: Option<Location>,
    /// Device or client that sent it; "correction" for an added event.
    pub source: String,
    pub fate: EventFate,
}

/// One local day of an employee's record.
#[derive(Clone, Debug)]
pub struct DayRecord {
    pub employee: Employee,
    /// Events recorded on the day, or moved to or from it, by time.
    pub events: Vec<DayEvent>,
    /// Corrections that touch those events, oldest first.
    pub amendments: Vec<Amendment>,
    /// The payroll period holding the day is locked: a correction is paid
    /// as an adjustment in the next open period.
    pub locked: bool,
}

/// The record of `employee` on local day `date` (their zone).
pub async fn day_record(
    ctx: &Ctx,
    caller: &Caller,
    employee: EmployeeId,
    date: NaiveDate,
) -> ApiResult<DayRecord> {
    let employee = ctx.employee(caller, employee, "employee_id").await?;
    ctx.authorize(caller, Access::Read, &employee, AuditAction::ReadRecord)
        .await?;
    let org = caller.org();
    let tz = employee.fields.time_zone;
    // The day's stored events and every event a correction targets (so
    // one moved onto the day from elsewhere too): not the whole history.
    let (stored, amendments) = ctx
        .store
        .record_between(
            org,
            employee.id,
            start_of_day(tz, date),
            start_of_day(tz, date + chrono::Duration::days(1)),
        )
        .await?;
    let effective: HashMap<Uuid, DateTime<Utc>> = effective_events(&stored, &amendments)
        .into_iter()
        .map(|e| (e.id, e.occurred_at))
        .collect();
    let on_day = |t: DateTime<Utc>| t.with_timezone(&tz).date_naive() == date;
    let mut events: Vec<DayEvent> = stored
        .iter()
        .map(|s| {
            let e = &s.event;
            let id = e.event_id.0;
            let fate = match effective.get(&id) {
                None => EventFate::Voided,
                Some(t) if *t == e.occurred_at => EventFate::Kept,
                Some(t) => EventFate::Moved(*t),
            };
            DayEvent {
                id,
                kind: e.kind,
                occurred_at: e.occurred_at,
                location: e.location,
                source: e.device_id.clone(),
                fate,
            }
        })
        .collect();
    for a in &amendments {
        if let Change::Add {
            kind,
            occurred_at,
            location,
        } = &a.request.change
        {
            let id = a.request.amendment_id.0;
            let fate = match effective.get(&id) {
                None => EventFate::Voided,
                Some(t) if t == occurred_at => EventFate::Added,
                Some(t) => EventFate::Moved(*t),
            };
            events.push(DayEvent {
                id,
                kind: *kind,
                occurred_at: *occurred_at,
                location: *location,
                source: "correction".into(),
                fate,
            });
        }
    }
    events.retain(|e| on_day(e.occurred_at) || matches!(e.fate, EventFate::Moved(t) if on_day(t)));
    events.sort_by_key(|e| (e.occurred_at, e.id));
    let ids: std::collections::HashSet<Uuid> = events.iter().map(|e| e.id).collect();
    let amendments = amendments
        .into_iter()
        .filter(|a| match &a.request.change {
            Change::Add { .. } => ids.contains(&a.request.amendment_id.0),
            Change::Void { target } | Change::Move { target, .. } => ids.contains(target),
        })
        .collect();
    let mut snapshot = ctx.store.payroll_snapshot(org).await?;
    let locked = snapshot
        .locked_periods()
        .await?
        .iter()
        .any(|p| p.first <= date && date <= p.last);
    Ok(DayRecord {
        employee,
        events,
        amendments,
        locked,
    })
}

/// Everything known about one person, for their own download.
#[derive(Clone, Debug)]
pub struct FullRecord {
    pub employee: Employee,
    pub events: Vec<DayEvent>,
    pub amendments: Vec<Amendment>,
    pub findings: Vec<Finding>,
    pub nudges: Vec<NudgeRow>,
}

/// The caller's own whole record. Only the person themselves downloads it:
/// a manager reads a report's timesheet, not a data export.
pub async fn own_record(ctx: &Ctx, caller: &Caller) -> ApiResult<FullRecord> {
    let id = caller.bound_employee().ok_or_else(|| {
        crate::grpc::error::ApiError::PermissionDenied(
            "only a person signed in as themselves downloads their record".into(),
        )
    })?;
    let employee = ctx.employee(caller, id, "employee_id").await?;
    ctx.authorize(caller, Access::Read, &employee, AuditAction::ReadRecord)
        .await?;
    let org = caller.org();
    let stored = ctx.store.events_of(org, id).await?;
    let amendments = ctx.store.amendments_of(org, id).await?;
    let effective: HashMap<Uuid, DateTime<Utc>> = effective_events(&stored, &amendments)
        .into_iter()
        .map(|e| (e.id, e.occurred_at))
        .collect();
    let events = stored
        .iter()
        .map(|s| {
            let e = &s.event;
            DayEvent {
                id: e.event_id.0,
                kind: e.kind,
                occurred_at: e.occurred_at,
                location: e.location,
                source: e.device_id.clone(),
                fate: match effective.get(&e.event_id.0) {
                    None => EventFate::Voided,
                    Some(t) if *t == e.occurred_at => EventFate::Kept,
                    Some(t) => EventFate::Moved(*t),
                },
            }
        })
        .collect();
    let filter = FindingFilter {
        employees: vec![id],
        ..FindingFilter::default()
    };
    let mut findings = Vec::new();
    let mut after = None;
    loop {
        let page = ctx.store.list_findings(org, &filter, after, 500).await?;
        let done = page.len() < 500;
        after = page.last().map(|f| (f.at, f.id));
        findings.extend(page);
        if done {
            break;
        }
    }
    let mut nudges = Vec::new();
    let mut after = None;
    loop {
        let page = ctx.store.nudges_about(org, id, after, 500).await?;
        let done = page.len() < 500;
        after = page.last().map(|n| (n.decided_at, n.id));
        nudges.extend(page);
        if done {
            break;
        }
    }
    Ok(FullRecord {
        employee,
        events,
        amendments,
        findings,
        nudges,
    })
}
