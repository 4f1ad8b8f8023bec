//! `ClockService`: events in, status out.

use std::collections::HashMap;
use std::pin::Pin;

use futures::Stream;
use tokio_stream::StreamExt as _;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};
use tracing::Instrument as _;

use super::auth::{Access, Caller};
use super::convert;
use super::error::{self, ApiError, ApiResult};
use super::{Ctx, MAX_SYNC_BATCH};
use crate::domain::audit::AuditAction;
use crate::domain::employee::{Employee, bounded_text};
use crate::domain::event::{AmendmentRequest, Change, ClockEvent};
use crate::domain::ids::{AmendmentId, EmployeeId};
use crate::pb;
use crate::pb::clock_service_server::ClockService;
use crate::storage::{AmendmentWrite, EventWrite};

/// Longest reason a correction may carry.
const MAX_REASON: usize = 500;

pub struct ClockApi {
    ctx: Ctx,
}

impl ClockApi {
    #[must_use]
    pub fn new(ctx: Ctx) -> Self {
        Self { ctx }
    }
}

#[tonic::async_trait]
impl ClockService for ClockApi {
    #[tracing::instrument(
        name = "RecordEvent",
        skip_all,
        fields(token_id, employee_id, event_id)
    )]
    async fn record_event(
        &self,
        request: Request<pb::RecordEventRequest>,
    ) -> Result<Response<pb::RecordEventResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        let reply = record_event(&self.ctx, &caller, request.into_inner()).await;
        if reply.as_ref().is_err_and(judged) {
            count_events(pb::EventOutcome::Rejected, 1);
        }
        Ok(Response::new(reply?))
    }

    type SyncEventsStream =
        Pin<Box<dyn Stream<Item = Result<pb::SyncEventsResponse, Status>> + Send>>;

    #[tracing::instrument(name = "SyncEvents", skip_all, fields(token_id))]
    async fn sync_events(
        &self,
        request: Request<Streaming<pb::SyncEventsRequest>>,
    ) -> Result<Response<Self::SyncEventsStream>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        let open = self.ctx.auth.limiter().open_stream(caller.token.id)?;
        let idle = self.ctx.limits.stream_idle;
        let mut inbound = request.into_inner();
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let ctx = self.ctx.clone();
        tokio::spawn(
            async move {
                // Held while the stream is open: counts toward the token's cap.
                let _open = open;
                loop {
                    // A silent stream is closed: it would hold a slot and a
                    // connection for ever, and keep a stopping server waiting.
                    let Ok(next) = tokio::time::timeout(idle, inbound.next()).await else {
                        let _ = tx
                            .send(Err(Status::deadline_exceeded(format!(
                                "no message for {} s; the stream is closed (send the next batch on a new stream)",
                                idle.as_secs()
                            ))))
                            .await;
                        break;
                    };
                    let Some(message) = next else { break };
                    let reply = match message {
                        Ok(batch) => sync_batch(&ctx, &caller, batch).await.map_err(Status::from),
                        Err(status) => Err(error::inbound(status)),
                    };
                    let failed = reply.is_err();
                    if tx.send(reply).await.is_err() || failed {
                        break;
                    }
                }
            }
            .in_current_span(),
        );
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    #[tracing::instrument(
        name = "CorrectEvent",
        skip_all,
        fields(token_id, employee_id, amendment_id)
    )]
    async fn correct_event(
        &self,
        request: Request<pb::CorrectEventRequest>,
    ) -> Result<Response<pb::CorrectEventResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            correct_event(&self.ctx, &caller, request.into_inner()).await?,
        ))
    }

    #[tracing::instrument(name = "GetClockStatus", skip_all, fields(token_id, employee_id))]
    async fn get_clock_status(
        &self,
        request: Request<pb::GetClockStatusRequest>,
    ) -> Result<Response<pb::GetClockStatusResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            get_clock_status(&self.ctx, &caller, request.get_ref()).await?,
        ))
    }
}

pub async fn get_clock_status(
    ctx: &Ctx,
    caller: &Caller,
    request: &pb::GetClockStatusRequest,
) -> ApiResult<pb::GetClockStatusResponse> {
    let id = EmployeeId(convert::uuid("employee_id", &request.employee_id)?);
    tracing::Span::current().record("employee_id", tracing::field::display(id));
    let employee = ctx.employee(caller, id, "employee_id").await?;
    ctx.authorize(caller, Access::Read, &employee, AuditAction::ReadStatus)
        .await?;
    let status = ctx.clock_status(caller.org(), id).await?;
    Ok(pb::GetClockStatusResponse {
        status: Some(convert::clock_status_pb(id, &status)),
    })
}

pub async fn record_event(
    ctx: &Ctx,
    caller: &Caller,
    request: pb::RecordEventRequest,
) -> ApiResult<pb::RecordEventResponse> {
    let now = ctx.clock.now();
    let sent = request
        .event
        .ok_or_else(|| ApiError::invalid("event", "is required"))?;
    let event = convert::clock_event(
        "event",
        &sent,
        now,
        ctx.limits.max_clock_skew,
        &caller.token.name,
    )?;
    let span = tracing::Span::current();
    span.record("employee_id", tracing::field::display(event.employee_id));
    span.record("event_id", tracing::field::display(event.event_id));
    let employee = ctx
        .active_employee(caller, event.employee_id, "event.employee_id")
        .await?;
    ctx.authorize(caller, Access::Post, &employee, AuditAction::PostEvent)
        .await?;
    let write = ctx
        .store
        .record_events(caller.org(), vec![event], now)
        .await?
        .pop()
        .ok_or_else(|| ApiError::Internal("store returned no result".into()))?;
    let (outcome, stored) = match write {
        EventWrite::New(s) => (pb::EventOutcome::New, s),
        EventWrite::Duplicate(s) => (pb::EventOutcome::Duplicate, s),
        EventWrite::Conflict => return Err(id_taken("event.event_id")),
    };
    tracing::info!(outcome = outcome.as_str_name(), "event recorded");
    count_events(outcome, 1);
    let status = ctx
        .clock_status_after_write(caller.org(), employee.id)
        .await?;
    Ok(pb::RecordEventResponse {
        outcome: outcome as i32,
        stored: Some(convert::stored_event_pb(&stored)),
        status: Some(convert::clock_status_pb(employee.id, &status)),
    })
}

/// Whether a refusal judged the event itself (invalid, not allowed, its id
/// taken), as a `REJECTED` result in `SyncEvents` does; a database outage
/// or an internal error judged nothing, and the client sends it again.
fn judged(e: &ApiError) -> bool {
    !matches!(e, ApiError::Unavailable(_) | ApiError::Internal(_))
}

fn count_events(outcome: pb::EventOutcome, n: i32) {
    let label = match outcome {
        pb::EventOutcome::New => "new",
        pb::EventOutcome::Duplicate => "duplicate",
        _ => "rejected",
    };
    metrics::counter!(crate::metrics::families::EVENTS, "outcome" => label)
        .increment(u64::try_from(n).unwrap_or(0));
}

fn id_taken(field: &str) -> ApiError {
    ApiError::AlreadyExists {
        field: field.to_owned(),
        reason: "this id is already used for a different event; a new event needs a new UUID"
            .into(),
    }
}

/// Answers one `SyncEvents` message: every event gets a result, and the
/// valid ones are stored in one commit before the reply.
async fn sync_batch(
    ctx: &Ctx,
    caller: &Caller,
    batch: pb::SyncEventsRequest,
) -> ApiResult<pb::SyncEventsResponse> {
    if batch.events.len() > MAX_SYNC_BATCH {
        return Err(ApiError::invalid(
            "events",
            format!(
                "{} events in one message; at most {MAX_SYNC_BATCH}",
                batch.events.len()
            ),
        ));
    }
    let now = ctx.clock.now();
    let mut results: Vec<pb::EventResult> = batch
        .events
        .iter()
        .enumerate()
        .map(|(i, e)| pb::EventResult {
            index: i32::try_from(i).unwrap_or(i32::MAX),
            event_id: e.event_id.clone(),
            ..Default::default()
        })
        .collect();
    let parsed: Vec<ApiResult<ClockEvent>> = batch
        .events
        .iter()
        .enumerate()
        .map(|(i, sent)| {
            convert::clock_event(
                &format!("events[{i}]"),
                sent,
                now,
                ctx.limits.max_clock_skew,
                &caller.token.name,
            )
        })
        .collect();
    let employees = check_employees(ctx, caller, &parsed).await;
    let mut accepted: Vec<(usize, ClockEvent)> = Vec::new();
    for (i, parsed) in parsed.into_iter().enumerate() {
        let checked = parsed.and_then(|event| match &employees[&event.employee_id] {
            Ok(_) => Ok(event),
            Err(e) => Err(rename_field(e, &format!("events[{i}].employee_id"))),
        });
        match checked {
            Ok(event) => accepted.push((i, event)),
            Err(e) => reject(&mut results[i], &e),
        }
    }
    let (indexes, events): (Vec<usize>, Vec<ClockEvent>) = accepted.into_iter().unzip();
    let writes = if events.is_empty() {
        Vec::new()
    } else {
        ctx.store.record_events(caller.org(), events, now).await?
    };
    for (i, write) in indexes.into_iter().zip(writes) {
        let r = &mut results[i];
        match write {
            EventWrite::New(s) => {
                r.outcome = pb::EventOutcome::New as i32;
                r.received_at = Some(convert::timestamp(s.received_at));
            }
            EventWrite::Duplicate(s) => {
                r.outcome = pb::EventOutcome::Duplicate as i32;
                r.received_at = Some(convert::timestamp(s.received_at));
            }
            EventWrite::Conflict => reject(r, &id_taken(&format!("events[{i}].event_id"))),
        }
    }
    let count = |o: pb::EventOutcome| {
        i32::try_from(results.iter().filter(|r| r.outcome == o as i32).count()).unwrap_or(i32::MAX)
    };
    let reply = pb::SyncEventsResponse {
        new_count: count(pb::EventOutcome::New),
        duplicate_count: count(pb::EventOutcome::Duplicate),
        rejected_count: count(pb::EventOutcome::Rejected),
        results,
    };
    count_events(pb::EventOutcome::New, reply.new_count);
    count_events(pb::EventOutcome::Duplicate, reply.duplicate_count);
    count_events(pb::EventOutcome::Rejected, reply.rejected_count);
    tracing::info!(
        new = reply.new_count,
        duplicate = reply.duplicate_count,
        rejected = reply.rejected_count,
        "batch synced"
    );
    Ok(reply)
}

/// Each employee the valid events of a batch name, checked once: read all
/// at the same time, so that their reads share statements
/// (`storage::read_batch`) instead of one read after another, then checked
/// (active, and the caller may post for them) in order. An error names the
/// first event that named the employee.
async fn check_employees(
    ctx: &Ctx,
    caller: &Caller,
    parsed: &[ApiResult<ClockEvent>],
) -> HashMap<EmployeeId, ApiResult<Employee>> {
    let mut named: Vec<(EmployeeId, usize)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, p) in parsed.iter().enumerate() {
        if let Ok(event) = p
            && seen.insert(event.employee_id)
        {
            named.push((event.employee_id, i));
        }
    }
    let found = futures::future::join_all(named.iter().map(|&(id, first)| async move {
        ctx.active_employee(caller, id, &format!("events[{first}].employee_id"))
            .await
    }))
    .await;
    // Authorized in the order the events name them, so the audit log's
    // refusals follow the message.
    let mut checked = HashMap::with_capacity(named.len());
    for ((id, _), found) in named.iter().zip(found) {
        let result = match found {
            Ok(e) => ctx
                .authorize(caller, Access::Post, &e, AuditAction::PostEvent)
                .await
                .map(|()| e),
            Err(e) => Err(e),
        };
        checked.insert(*id, result);
    }
    checked
}

/// The same error, reported against another field (an employee checked
/// once per batch is reported at each event that names it).
fn rename_field(e: &ApiError, field: &str) -> ApiError {
    match e {
        ApiError::NotFound(m) => ApiError::NotFound(
            m.split_once(": ")
                .map_or_else(|| m.clone(), |(_, rest)| format!("{field}: {rest}")),
        ),
        ApiError::FailedPrecondition { reason, .. } => ApiError::FailedPrecondition {
            field: field.to_owned(),
            reason: reason.clone(),
        },
        ApiError::PermissionDenied(m) => ApiError::PermissionDenied(m.clone()),
        ApiError::Unavailable(m) => ApiError::Unavailable(m.clone()),
        other => ApiError::Internal(other.to_string()),
    }
}

fn reject(result: &mut pb::EventResult, e: &ApiError) {
    result.outcome = pb::EventOutcome::Rejected as i32;
    result.error = Some(pb::EventError {
        code: code_name(e.code()).to_owned(),
        field: e.field().map(str::to_owned).unwrap_or_default(),
        message: e.to_string(),
    });
}

fn code_name(code: tonic::Code) -> &'static str {
    match code {
        tonic::Code::InvalidArgument => "INVALID_ARGUMENT",
        tonic::Code::NotFound => "NOT_FOUND",
        tonic::Code::AlreadyExists => "ALREADY_EXISTS",
        tonic::Code::PermissionDenied => "PERMISSION_DENIED",
        tonic::Code::FailedPrecondition => "FAILED_PRECONDITION",
        tonic::Code::Unavailable => "UNAVAILABLE",
        _ => "INTERNAL",
    }
}

pub async fn correct_event(
    ctx: &Ctx,
    caller: &Caller,
    request: pb::CorrectEventRequest,
) -> ApiResult<pb::CorrectEventResponse> {
    let now = ctx.clock.now();
    let skew = ctx.limits.max_clock_skew;
    let amendment_id = AmendmentId(convert::uuid("amendment_id", &request.amendment_id)?);
    let employee_id = EmployeeId(convert::uuid("employee_id", &request.employee_id)?);
    let span = tracing::Span::current();
    span.record("employee_id", tracing::field::display(employee_id));
    span.record("amendment_id", tracing::field::display(amendment_id));
    let reason = bounded_text("reason", &request.reason, MAX_REASON)?;
    let change = match request.change {
        None => {
            return Err(ApiError::invalid(
                "change",
                "one of add, void or move is required",
            ));
        }
        Some(pb::correct_event_request::Change::Add(a)) => {
            let kind = convert::event_kind("add.kind", a.kind)?;
            let occurred_at = convert::instant("add.occurred_at", a.occurred_at.as_ref())?;
            convert::check_event_time("add.occurred_at", occurred_at, now, skew)?;
            let location = convert::location_for("add.location", kind, a.location)?;
            Change::Add {
                kind,
                occurred_at,
                location,
            }
        }
        Some(pb::correct_event_request::Change::Void(v)) => Change::Void {
            target: convert::uuid("void.event_id", &v.event_id)?,
        },
        Some(pb::correct_event_request::Change::Move(m)) => {
            let target = convert::uuid("move.event_id", &m.event_id)?;
            let occurred_at = convert::instant("move.occurred_at", m.occurred_at.as_ref())?;
            convert::check_event_time("move.occurred_at", occurred_at, now, skew)?;
            Change::Move {
                target,
                occurred_at,
            }
        }
    };
    // Corrections stay possible after deactivation: the record of someone
    // who has left must still be put right.
    let employee = ctx.employee(caller, employee_id, "employee_id").await?;
    ctx.authorize(caller, Access::Correct, &employee, AuditAction::Correct)
        .await?;
    let request = AmendmentRequest {
        amendment_id,
        employee_id,
        change,
        reason,
    };
    let write = ctx
        .store
        .record_amendment(
            caller.org(),
            request,
            (caller.token.id, caller.token.author()),
            now,
        )
        .await?;
    let (amendment, duplicate) = match write {
        AmendmentWrite::New(a) => (a, false),
        AmendmentWrite::Duplicate(a) => (a, true),
    };
    tracing::info!(duplicate, "correction recorded");
    if !duplicate {
        ctx.audit(
            caller,
            AuditAction::Correct,
            Some(employee_id),
            Some(amendment_id.to_string()),
            Some(amendment.request.reason.clone()),
        )
        .await;
    }
    let status = ctx.clock_status(caller.org(), employee_id).await?;
    Ok(pb::CorrectEventResponse {
        amendment: Some(convert::amendment_pb(&amendment)),
        duplicate,
        status: Some(convert::clock_status_pb(employee_id, &status)),
    })
}
