//! `NudgeService`: what an employee can see and mute of the nudges about
//! them, digest previews, and the outbox's dead letters.

use chrono::{DateTime, Utc};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::Ctx;
use super::auth::{Access, Caller};
use super::convert::{self, timestamp};
use super::error::{ApiError, ApiResult};
use super::timesheet_convert::{date_in, date_pb, severity_pb};
use crate::domain::audit::AuditAction;
use crate::domain::employee::Employee;
use crate::domain::engine::finding::Severity;
use crate::domain::engine::ledger::monday_of;
use crate::domain::ids::EmployeeId;
use crate::domain::nudge::Category;
use crate::domain::nudge::decide::Audience;
use crate::domain::nudge::schedule::week_has_ended;
use crate::domain::token::Role;
use crate::jobs::digest;
use crate::pb;
use crate::pb::nudge_service_server::NudgeService;
use crate::storage::outbox::{MessageKind, MessageStatus, NudgeRow, OutboxMessage};

pub struct NudgeApi {
    ctx: Ctx,
}

impl NudgeApi {
    #[must_use]
    pub fn new(ctx: Ctx) -> Self {
        Self { ctx }
    }
}

/// The employee `id`, if the caller may read them (EMPLOYEE itself, MANAGER
/// itself and reports, ADMIN anyone; CLOCK and PAYROLL tokens see no nudges).
async fn readable(ctx: &Ctx, caller: &Caller, field: &str, id: &str) -> ApiResult<Employee> {
    ctx.require(
        caller,
        &[Role::Employee, Role::Manager, Role::Admin],
        AuditAction::ReadNudges,
    )
    .await?;
    let id = EmployeeId(convert::uuid(field, id)?);
    let employee = ctx.employee(caller, id, field).await?;
    ctx.authorize(caller, Access::Read, &employee, AuditAction::ReadNudges)
        .await?;
    Ok(employee)
}

fn kind_pb(k: MessageKind) -> i32 {
    (match k {
        MessageKind::Nudge => pb::MessageKind::Nudge,
        MessageKind::ManagerAlerts => pb::MessageKind::ManagerAlerts,
        MessageKind::Digest => pb::MessageKind::Digest,
        MessageKind::Reminder => pb::MessageKind::Reminder,
    }) as i32
}

fn status_pb(s: MessageStatus) -> i32 {
    (match s {
        MessageStatus::Pending => pb::MessageStatus::Pending,
        MessageStatus::Sent => pb::MessageStatus::Sent,
        MessageStatus::Dead => pb::MessageStatus::Dead,
        MessageStatus::Cancelled => pb::MessageStatus::Cancelled,
    }) as i32
}

fn nudge_pb(n: &NudgeRow) -> pb::Nudge {
    pb::Nudge {
        nudge_id: n.id.to_string(),
        employee_id: n.employee.to_string(),
        recipient_employee_id: n.recipient.to_string(),
        audience: (match n.audience {
            Audience::Employee => pb::NudgeAudience::Employee,
            Audience::Manager => pb::NudgeAudience::Manager,
        }) as i32,
        category: n.category.clone(),
        rule_id: n.rule_id.clone(),
        finding_id: n.finding.map(|f| f.to_string()).unwrap_or_default(),
        severity: Severity::parse(&n.severity).map_or(0, severity_pb),
        decided_at: Some(timestamp(n.decided_at)),
        message_id: n.message.to_string(),
        message_kind: kind_pb(n.kind),
        message_status: status_pb(n.status),
        send_after: Some(timestamp(n.send_after)),
        sent_at: n.sent_at.map(timestamp),
        subject: n.subject.clone().unwrap_or_default(),
    }
}

fn message_pb(m: &OutboxMessage) -> pb::OutboxMessage {
    pb::OutboxMessage {
        message_id: m.id.to_string(),
        kind: kind_pb(m.kind),
        recipient_employee_id: m.recipient.to_string(),
        status: status_pb(m.status),
        attempts: m.attempts,
        last_error: m.last_error.clone().unwrap_or_default(),
        created_at: Some(timestamp(m.created_at)),
        send_after: Some(timestamp(m.send_after)),
        sent_at: m.sent_at.map(timestamp),
    }
}

/// A page cursor `(instant, id)` from a request's page token.
fn cursor(page: Option<&pb::PageRequest>) -> ApiResult<Option<(DateTime<Utc>, Uuid)>> {
    convert::page_after(page)?
        .map(|t| {
            t.split_once('_')
                .and_then(|(micros, id)| {
                    Some((
                        DateTime::from_timestamp_micros(micros.parse().ok()?)?,
                        Uuid::parse_str(id).ok()?,
                    ))
                })
                .ok_or_else(|| {
                    ApiError::invalid("page.page_token", "is not a token this server issued")
                })
        })
        .transpose()
}

fn next_token<T>(
    items: &mut Vec<T>,
    size: i64,
    key: impl Fn(&T) -> (DateTime<Utc>, Uuid),
) -> String {
    let more = i64::try_from(items.len()).unwrap_or(i64::MAX) > size;
    items.truncate(usize::try_from(size).unwrap_or(100));
    match (more, items.last()) {
        (true, Some(last)) => {
            let (t, id) = key(last);
            convert::page_token(&format!("{}_{id}", t.timestamp_micros()))
        }
        _ => String::new(),
    }
}

async fn settings(ctx: &Ctx, caller: &Caller, employee: &Employee) -> ApiResult<pb::NudgeSettings> {
    let muted = ctx.store.mutes(caller.org(), employee.id).await?;
    Ok(pb::NudgeSettings {
        employee_id: employee.id.to_string(),
        categories: Category::ALL
            .into_iter()
            .map(|c| pb::NudgeCategory {
                category: c.as_str().to_string(),
                mutable: c.is_mutable(),
                muted: c.is_mutable() && muted.contains(&c),
            })
            .collect(),
    })
}

pub async fn get_nudge_settings(
    ctx: &Ctx,
    caller: &Caller,
    req: &pb::GetNudgeSettingsRequest,
) -> ApiResult<pb::NudgeSettings> {
    let employee = readable(ctx, caller, "employee_id", &req.employee_id).await?;
    settings(ctx, caller, &employee).await
}

pub async fn list_nudges(
    ctx: &Ctx,
    caller: &Caller,
    req: pb::ListNudgesRequest,
) -> ApiResult<pb::ListNudgesResponse> {
    let employee = readable(ctx, caller, "employee_id", &req.employee_id).await?;
    let size = convert::page_size(req.page.as_ref())?;
    let after = cursor(req.page.as_ref())?;
    // Read your writes: findings (and so nudges) of queued changes first.
    crate::recompute::drain_for_read(
        ctx.store.as_ref(),
        ctx.clock.now(),
        Some(caller.org()),
        Some(employee.id),
    )
    .await?;
    let mut rows = ctx
        .store
        .nudges_about(caller.org(), employee.id, after, size + 1)
        .await?;
    let next_page_token = next_token(&mut rows, size, |n| (n.decided_at, n.id));
    Ok(pb::ListNudgesResponse {
        nudges: rows.iter().map(nudge_pb).collect(),
        next_page_token,
    })
}

pub async fn set_mute(
    ctx: &Ctx,
    caller: &Caller,
    req: pb::SetNudgeMuteRequest,
) -> ApiResult<pb::NudgeSettings> {
    caller.require(&[Role::Employee, Role::Manager, Role::Admin])?;
    let id = EmployeeId(convert::uuid("employee_id", &req.employee_id)?);
    let employee = ctx.employee(caller, id, "employee_id").await?;
    if caller.bound_employee() != Some(employee.id) {
        return Err(ApiError::PermissionDenied(format!(
            "only employee {id} may mute or unmute their own nudges; use a token bound to them"
        )));
    }
    let category = Category::parse(req.category.trim()).ok_or_else(|| {
        let known: Vec<&str> = Category::ALL.iter().map(|c| c.as_str()).collect();
        ApiError::invalid(
            "category",
            format!(
                "'{}' is not a nudge category; one of {}",
                req.category,
                known.join(", ")
            ),
        )
    })?;
    if !category.is_mutable() {
        return Err(ApiError::FailedPrecondition {
            field: "category".into(),
            reason: format!(
                "'{}' is a legal category and cannot be muted: the law requires it to be followed up",
                category.as_str()
            ),
        });
    }
    ctx.store
        .set_mute(
            caller.org(),
            employee.id,
            category,
            req.muted,
            ctx.clock.now(),
        )
        .await?;
    tracing::info!(employee_id = %employee.id, category = category.as_str(), muted = req.muted, "nudge category changed");
    settings(ctx, caller, &employee).await
}

pub async fn preview_digest(
    ctx: &Ctx,
    caller: &Caller,
    req: pb::PreviewDigestRequest,
) -> ApiResult<pb::PreviewDigestResponse> {
    caller.require(&[Role::Manager, Role::Admin])?;
    let id = EmployeeId(convert::uuid(
        "manager_employee_id",
        &req.manager_employee_id,
    )?);
    let manager = ctx.employee(caller, id, "manager_employee_id").await?;
    if caller.role() == Role::Manager && caller.bound_employee() != Some(manager.id) {
        return Err(ApiError::PermissionDenied(format!(
            "a MANAGER token may preview only its own digest, not that of employee {id}"
        )));
    }
    let date = date_in("week", req.week.as_ref())?;
    let monday = monday_of(date);
    let tz = manager.fields.time_zone;
    let now = ctx.clock.now();
    if !week_has_ended(tz, monday, now) {
        return Err(ApiError::invalid(
            "week",
            format!(
                "the week of {monday} has not ended yet in {}; only past weeks can be previewed",
                tz.name()
            ),
        ));
    }
    let jobs = ctx
        .jobs
        .as_ref()
        .ok_or_else(|| ApiError::Unavailable("digests cannot be rendered by this server".into()))?;
    let d = digest::compute(ctx.store.as_ref(), caller.org(), &manager, monday, now).await?;
    if d.reports.is_empty() {
        return Err(ApiError::FailedPrecondition {
            field: "manager_employee_id".into(),
            reason: format!("employee {id} has no active direct reports, so has no digest"),
        });
    }
    let locale = manager.fields.locale;
    let common = crate::jobs::render::common(&manager, jobs.settings.app_url.as_deref());
    let rendered = jobs
        .templates
        .digest(&digest::view(&d, common, locale))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(pb::PreviewDigestResponse {
        week_start: Some(date_pb(monday)),
        locale: locale.as_str().to_string(),
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        report_count: i32::try_from(d.reports.len()).unwrap_or(i32::MAX),
    })
}

pub async fn list_dead(
    ctx: &Ctx,
    caller: &Caller,
    req: pb::ListDeadMessagesRequest,
) -> ApiResult<pb::ListDeadMessagesResponse> {
    caller.require(&[Role::Admin])?;
    let size = convert::page_size(req.page.as_ref())?;
    let after = cursor(req.page.as_ref())?;
    let mut rows = ctx
        .store
        .messages_in(caller.org(), MessageStatus::Dead, after, size + 1)
        .await?;
    let next_page_token = next_token(&mut rows, size, |m| (m.created_at, m.id));
    Ok(pb::ListDeadMessagesResponse {
        messages: rows.iter().map(message_pb).collect(),
        next_page_token,
    })
}

pub async fn retry_dead(
    ctx: &Ctx,
    caller: &Caller,
    req: pb::RetryDeadMessageRequest,
) -> ApiResult<pb::OutboxMessage> {
    caller.require(&[Role::Admin])?;
    let id = convert::uuid("message_id", &req.message_id)?;
    let m = ctx
        .store
        .retry_dead(caller.org(), id, ctx.clock.now())
        .await?;
    tracing::info!(message_id = %m.id, "dead message queued again");
    Ok(message_pb(&m))
}

#[tonic::async_trait]
impl NudgeService for NudgeApi {
    async fn list_nudges(
        &self,
        request: Request<pb::ListNudgesRequest>,
    ) -> Result<Response<pb::ListNudgesResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            list_nudges(&self.ctx, &caller, request.into_inner()).await?,
        ))
    }

    async fn get_nudge_settings(
        &self,
        request: Request<pb::GetNudgeSettingsRequest>,
    ) -> Result<Response<pb::NudgeSettings>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            get_nudge_settings(&self.ctx, &caller, &request.into_inner()).await?,
        ))
    }

    async fn set_nudge_mute(
        &self,
        request: Request<pb::SetNudgeMuteRequest>,
    ) -> Result<Response<pb::NudgeSettings>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            set_mute(&self.ctx, &caller, request.into_inner()).await?,
        ))
    }

    async fn preview_digest(
        &self,
        request: Request<pb::PreviewDigestRequest>,
    ) -> Result<Response<pb::PreviewDigestResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            preview_digest(&self.ctx, &caller, request.into_inner()).await?,
        ))
    }

    async fn list_dead_messages(
        &self,
        request: Request<pb::ListDeadMessagesRequest>,
    ) -> Result<Response<pb::ListDeadMessagesResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            list_dead(&self.ctx, &caller, request.into_inner()).await?,
        ))
    }

    async fn retry_dead_message(
        &self,
        request: Request<pb::RetryDeadMessageRequest>,
    ) -> Result<Response<pb::OutboxMessage>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            retry_dead(&self.ctx, &caller, request.into_inner()).await?,
        ))
    }
}
