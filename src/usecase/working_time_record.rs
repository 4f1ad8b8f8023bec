//! The working-time record of arbeidsmiljøloven § 10-7, for the safety
//! representative, the Labour Inspection and HR: per employee in the
//! reader's scope, the period's timesheet (the very `GetTimesheet` answer,
//! so the figures cannot differ), the corrections with their reasons and
//! authors, and the findings with the rules in words.
//!
//! Both doors call [`records`]: the RPC `GetWorkingTimeRecord` and the
//! `/record` pages (list, one employee, CSV, printable report). Every
//! employee read is one `read_working_time_record` entry in the audit
//! trail (through [`Ctx::authorize`]), which the employee sees on *My data*.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use uuid::Uuid;

use crate::domain::audit::AuditAction;
use crate::domain::employee::Employee;
use crate::domain::event::{Amendment, Change};
use crate::domain::ids::EmployeeId;
use crate::domain::local_days::{local_date, start_of_day};
use crate::domain::record_period::RecordPeriod;
use crate::domain::rules::names;
use crate::domain::token::Role;
use crate::grpc::Ctx;
use crate::grpc::auth::{Access, Caller};
use crate::grpc::convert::{self, timestamp};
use crate::grpc::error::{ApiError, ApiResult};
use crate::grpc::timesheet_convert::{date_in, date_pb};
use crate::grpc::timesheet_service::timesheet_of;
use crate::pb;
use crate::storage::EmployeeFilter;

/// The roles that read the record.
pub const READERS: [Role; 3] = [Role::Admin, Role::SafetyRep, Role::Inspector];

/// How many employees one read of the store lists while looking for those
/// in scope.
const LIST_BATCH: i64 = 200;

/// Which employees to read.
#[derive(Clone, Debug)]
pub enum Who {
    /// Everyone in the caller's scope, by external id, after this one
    /// (exclusive), at most this many.
    Page { after: Option<String>, limit: usize },
    /// One employee; refused (and logged) outside the caller's scope.
    One(EmployeeId),
}

/// The records of `who` for `period`, and whether more employees follow.
///
/// # Errors
/// `PermissionDenied` for a role that does not read the record, or an
/// employee outside the caller's department; `NotFound` for an unknown
/// employee.
pub async fn records(
    ctx: &Ctx,
    caller: &Caller,
    period: RecordPeriod,
    who: Who,
) -> ApiResult<(Vec<pb::EmployeeWorkingTimeRecord>, bool)> {
    ctx.require(caller, &READERS, AuditAction::ReadWorkingTimeRecord)
        .await?;
    let (employees, more) = match who {
        Who::One(id) => (vec![ctx.employee(caller, id, "employee_id").await?], false),
        Who::Page { after, limit } => in_scope(ctx, caller, period, after, limit).await?,
    };
    let mut out = Vec::with_capacity(employees.len());
    for e in &employees {
        ctx.authorize(caller, Access::Read, e, AuditAction::ReadWorkingTimeRecord)
            .await?;
        out.push(record_of(ctx, caller, e, period).await?);
    }
    tracing::info!(
        employees = out.len(),
        role = caller.role().as_str(),
        "working-time record read"
    );
    Ok((out, more))
}

/// The employees of the caller's scope employed during `period`, by
/// external id, after `after`, at most `limit`; and whether there are more.
async fn in_scope(
    ctx: &Ctx,
    caller: &Caller,
    period: RecordPeriod,
    mut after: Option<String>,
    limit: usize,
) -> ApiResult<(Vec<Employee>, bool)> {
    let filter = EmployeeFilter {
        include_inactive: true,
        manager_id: None,
    };
    let mut found = Vec::new();
    loop {
        let batch = ctx
            .store
            .list_employees(caller.org(), &filter, after.as_deref(), LIST_BATCH)
            .await?;
        let exhausted = batch.len() < usize::try_from(LIST_BATCH).unwrap_or(usize::MAX);
        after = batch.last().map(|e| e.fields.external_id.clone());
        for e in batch {
            if caller.in_scope(&e) && employed_during(&e, period) {
                if found.len() == limit {
                    return Ok((found, true));
                }
                found.push(e);
            }
        }
        if exhausted {
            return Ok((found, false));
        }
    }
}

/// Whether `e` was employed on any day of `period` (their zone).
fn employed_during(e: &Employee, period: RecordPeriod) -> bool {
    let tz = e.fields.time_zone;
    local_date(tz, e.created_at) <= period.last
        && e.deactivated_at
            .is_none_or(|d| local_date(tz, d) >= period.first)
}

/// One employee's record for `period`; the caller has been authorized.
async fn record_of(
    ctx: &Ctx,
    caller: &Caller,
    e: &Employee,
    period: RecordPeriod,
) -> ApiResult<pb::EmployeeWorkingTimeRecord> {
    let timesheet = timesheet_of(ctx, e, period.first, period.last).await?;
    let tz = e.fields.time_zone;
    let from = start_of_day(tz, period.first);
    let to = start_of_day(tz, period.last + Duration::days(1));
    let (stored, amendments) = ctx
        .store
        .record_between(caller.org(), e.id, from, to)
        .await?;
    let event_at: HashMap<Uuid, DateTime<Utc>> = stored
        .iter()
        .map(|s| (s.event.event_id.0, s.event.occurred_at))
        .collect();
    let inside = |t: Option<&DateTime<Utc>>| t.is_some_and(|t| *t >= from && *t < to);
    let amendments = amendments
        .iter()
        .filter(|a| match &a.request.change {
            Change::Add { occurred_at, .. } => inside(Some(occurred_at)),
            Change::Void { target } => inside(event_at.get(target)),
            Change::Move {
                target,
                occurred_at,
            } => inside(Some(occurred_at)) || inside(event_at.get(target)),
        })
        .map(amendment_pb)
        .collect();
    let rule_names: BTreeMap<String, String> = timesheet
        .findings
        .iter()
        .map(|f| {
            (
                f.rule_id.clone(),
                names::name(&f.rule_id, e.fields.locale).to_owned(),
            )
        })
        .collect();
    Ok(pb::EmployeeWorkingTimeRecord {
        employee_id: e.id.to_string(),
        external_id: e.fields.external_id.clone(),
        name: e.fields.name.clone(),
        department: e.fields.department.clone().unwrap_or_default(),
        timesheet: Some(timesheet),
        amendments,
        rule_names: rule_names.into_iter().collect(),
    })
}

fn amendment_pb(a: &Amendment) -> pb::RecordAmendment {
    let (change, event_kind, target, at) = match &a.request.change {
        Change::Add {
            kind, occurred_at, ..
        } => ("ADD", kind.as_str(), String::new(), Some(*occurred_at)),
        Change::Void { target } => ("VOID", "", target.to_string(), None),
        Change::Move {
            target,
            occurred_at,
        } => ("MOVE", "", target.to_string(), Some(*occurred_at)),
    };
    pb::RecordAmendment {
        amendment_id: a.request.amendment_id.to_string(),
        change: change.into(),
        event_kind: event_kind.into(),
        target_event_id: target,
        occurred_at: at.map(timestamp),
        reason: a.request.reason.clone(),
        author: a.author.clone(),
        created_at: Some(timestamp(a.created_at)),
    }
}

/// The request's period.
///
/// # Errors
/// `InvalidArgument` naming `month`, `dates` (or a part of it), or
/// `period` when neither is set.
pub fn period_of(req: &pb::GetWorkingTimeRecordRequest) -> ApiResult<RecordPeriod> {
    use pb::get_working_time_record_request::Period;
    match &req.period {
        None => Err(ApiError::invalid(
            "period",
            "is required: set month (YYYY-MM) or dates",
        )),
        Some(Period::Month(m)) => Ok(RecordPeriod::month("month", m)?),
        Some(Period::Dates(r)) => {
            let first: NaiveDate = date_in("dates.start", r.start.as_ref())?;
            let last: NaiveDate = date_in("dates.end", r.end.as_ref())?;
            Ok(RecordPeriod::range("dates", first, last)?)
        }
    }
}

/// `TimesheetService.GetWorkingTimeRecord`.
///
/// # Errors
/// See [`records`] and [`period_of`].
pub async fn get_working_time_record(
    ctx: &Ctx,
    caller: &Caller,
    req: pb::GetWorkingTimeRecordRequest,
) -> ApiResult<pb::GetWorkingTimeRecordResponse> {
    // The role first: a clock learns nothing from a period's error.
    ctx.require(caller, &READERS, AuditAction::ReadWorkingTimeRecord)
        .await?;
    let period = period_of(&req)?;
    let who = if req.employee_id.trim().is_empty() {
        let limit = convert::page_size(req.page.as_ref())?;
        Who::Page {
            after: convert::page_after(req.page.as_ref())?,
            limit: usize::try_from(limit).unwrap_or(100),
        }
    } else {
        Who::One(EmployeeId(convert::uuid("employee_id", &req.employee_id)?))
    };
    let (employees, more) = records(ctx, caller, period, who).await?;
    let next_page_token = if more {
        employees
            .last()
            .map(|e| convert::page_token(&e.external_id))
            .unwrap_or_default()
    } else {
        String::new()
    };
    Ok(pb::GetWorkingTimeRecordResponse {
        dates: Some(pb::LocalDateRange {
            start: Some(date_pb(period.first)),
            end: Some(date_pb(period.last)),
        }),
        employees,
        next_page_token,
    })
}
