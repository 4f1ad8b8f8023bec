//! `AdminService.ListAuditLog`: reading the audit trail (ADMIN only).

use chrono::{DateTime, Duration};
use uuid::Uuid;

use super::Ctx;
use super::auth::Caller;
use super::convert;
use super::error::{ApiError, ApiResult};
use crate::domain::audit::{AuditAction, AuditEntry};
use crate::domain::ids::EmployeeId;
use crate::domain::token::Role;
use crate::pb;
use crate::storage::audit::AuditFilter;

/// Longest period one listing covers.
pub const MAX_AUDIT_DAYS: i64 = 366;

/// The entries of a period, oldest first, paged by (at, entry id).
///
/// # Errors
/// `PermissionDenied` for a token other than ADMIN; `InvalidArgument`
/// naming `from`, `to`, `employee_id`, `actions[i]` or `page.*`;
/// `NotFound` for an unknown employee.
pub async fn list_audit_log(
    ctx: &Ctx,
    caller: &Caller,
    r: pb::ListAuditLogRequest,
) -> ApiResult<pb::ListAuditLogResponse> {
    caller.require(&[Role::Admin])?;
    let from = convert::instant("from", r.from.as_ref())?;
    let to = convert::instant("to", r.to.as_ref())?;
    if to <= from {
        return Err(ApiError::invalid("to", "must be after from"));
    }
    if to - from > Duration::days(MAX_AUDIT_DAYS) {
        return Err(ApiError::invalid(
            "to",
            format!("is more than {MAX_AUDIT_DAYS} days after from; export a longer time in parts"),
        ));
    }
    let subject = if r.employee_id.trim().is_empty() {
        None
    } else {
        let id = EmployeeId(convert::uuid("employee_id", &r.employee_id)?);
        Some(ctx.employee(caller, id, "employee_id").await?.id)
    };
    let actions = r
        .actions
        .iter()
        .enumerate()
        .map(|(i, a)| {
            AuditAction::parse(a)
                .ok_or_else(|| ApiError::invalid(format!("actions[{i}]"), "is not an audit action"))
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let size = convert::page_size(r.page.as_ref())?;
    let after = convert::page_after(r.page.as_ref())?
        .map(|key| {
            parse_cursor(&key).ok_or_else(|| {
                ApiError::invalid("page.page_token", "is not a token this server issued")
            })
        })
        .transpose()?;
    let filter = AuditFilter {
        from,
        to,
        subject,
        actions,
        newest_first: false,
    };
    let mut entries = ctx
        .store
        .list_audit(caller.org(), &filter, after, size + 1)
        .await?;
    let more = i64::try_from(entries.len()).unwrap_or(i64::MAX) > size;
    entries.truncate(usize::try_from(size).unwrap_or(100));
    let next_page_token = match (more, entries.last()) {
        (true, Some(e)) => convert::page_token(&format!("{}_{}", e.at.timestamp_micros(), e.id)),
        _ => String::new(),
    };
    Ok(pb::ListAuditLogResponse {
        entries: entries.iter().map(entry_pb).collect(),
        next_page_token,
    })
}

fn parse_cursor(key: &str) -> Option<(chrono::DateTime<chrono::Utc>, Uuid)> {
    let (micros, id) = key.split_once('_')?;
    Some((
        DateTime::from_timestamp_micros(micros.parse().ok()?)?,
        Uuid::parse_str(id).ok()?,
    ))
}

fn entry_pb(e: &AuditEntry) -> pb::AuditEntry {
    pb::AuditEntry {
        entry_id: e.id.to_string(),
        at: Some(convert::timestamp(e.at)),
        actor_kind: e.actor_kind.as_str().to_owned(),
        actor_id: e.actor_id.map(|a| a.to_string()).unwrap_or_default(),
        actor_name: e.actor_name.clone(),
        action: e.action.as_str().to_owned(),
        subject_employee_id: e.subject.map(|s| s.to_string()).unwrap_or_default(),
        target: e.target.clone().unwrap_or_default(),
        client: e.client.map(|c| c.to_string()).unwrap_or_default(),
        reason: e.reason.clone().unwrap_or_default(),
    }
}
