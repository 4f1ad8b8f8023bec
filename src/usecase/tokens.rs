//! API tokens: create (the secret returned once), list, revoke; for the
//! gRPC `AdminService` and the HR console's token pages.

use chrono::{DateTime, Utc};

use crate::bootstrap;
use crate::domain::audit::AuditAction;
use crate::domain::employee;
use crate::domain::ids::{EmployeeId, TokenId};
use crate::domain::token::{self, ApiToken, Role};
use crate::grpc::Ctx;
use crate::grpc::auth::Caller;
use crate::grpc::convert;
use crate::grpc::error::{ApiError, ApiResult};
use crate::pb;

/// Longest token name.
const MAX_TOKEN_NAME: usize = 100;

pub async fn create_token(
    ctx: &Ctx,
    caller: &Caller,
    r: pb::CreateApiTokenRequest,
) -> ApiResult<pb::CreateApiTokenResponse> {
    caller.require(&[Role::Admin])?;
    let name = employee::bounded_text("name", &r.name, MAX_TOKEN_NAME)?;
    let role = convert::role("role", r.role)?;
    let employee_id = match (role.is_bound(), r.employee_id.trim().is_empty()) {
        (true, true) => {
            return Err(ApiError::invalid(
                "employee_id",
                format!("is required for role {}", role.as_str()),
            ));
        }
        (false, false) => {
            return Err(ApiError::invalid(
                "employee_id",
                format!(
                    "must be empty for role {}: it acts for no single employee",
                    role.as_str()
                ),
            ));
        }
        (true, false) => {
            let id = EmployeeId(convert::uuid("employee_id", &r.employee_id)?);
            Some(ctx.active_employee(caller, id, "employee_id").await?.id)
        }
        (false, true) => None,
    };
    let now = ctx.clock.now();
    let expires_at = convert::opt_instant("expires_at", r.expires_at.as_ref())?;
    token::check_expiry(role, expires_at, now)
        .map_err(|reason| ApiError::invalid("expires_at", reason))?;
    let department = token::check_department(role, &r.department)
        .map_err(|reason| ApiError::invalid("department", reason))?;
    let (token, secret) = bootstrap::create_token(
        ctx.store.as_ref(),
        caller.org(),
        bootstrap::NewToken {
            name: &name,
            role,
            employee_id,
            department,
            expires_at,
        },
        now,
    )
    .await?;
    tracing::info!(new_token_id = %token.id, role = role.as_str(), "token created");
    ctx.audit(
        caller,
        AuditAction::TokenChange,
        token.employee_id,
        Some(format!("created:{}", token.id)),
        None,
    )
    .await;
    Ok(pb::CreateApiTokenResponse {
        token: Some(convert::token_pb(&token)),
        secret,
    })
}

pub async fn list_tokens(
    ctx: &Ctx,
    caller: &Caller,
    r: pb::ListApiTokensRequest,
) -> ApiResult<pb::ListApiTokensResponse> {
    caller.require(&[Role::Admin])?;
    let limit = convert::page_size(r.page.as_ref())?;
    let after = convert::page_after(r.page.as_ref())?
        .map(|key| {
            parse_token_cursor(&key).ok_or_else(|| {
                ApiError::invalid("page.page_token", "is not a token this server issued")
            })
        })
        .transpose()?;
    let tokens = ctx
        .store
        .list_tokens(caller.org(), r.include_revoked, after, limit + 1)
        .await?;
    let more = tokens.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    let page: Vec<_> = tokens
        .iter()
        .take(usize::try_from(limit).unwrap_or(0))
        .collect();
    Ok(pb::ListApiTokensResponse {
        next_page_token: if more {
            page.last()
                .map(|t| {
                    convert::page_token(&format!("{}:{}", t.created_at.timestamp_micros(), t.id))
                })
                .unwrap_or_default()
        } else {
            String::new()
        },
        tokens: page.into_iter().map(convert::token_pb).collect(),
    })
}

/// Revokes a token at once; revoking a revoked token changes nothing.
pub async fn revoke_token(ctx: &Ctx, caller: &Caller, id: TokenId) -> ApiResult<ApiToken> {
    caller.require(&[Role::Admin])?;
    let now = ctx.clock.now();
    let token = ctx.store.revoke_token(caller.org(), id, now).await?;
    tracing::info!(revoked_token_id = %id, "token revoked");
    ctx.audit(
        caller,
        AuditAction::TokenChange,
        token.employee_id,
        Some(format!("revoked:{id}")),
        None,
    )
    .await;
    Ok(token)
}

fn parse_token_cursor(key: &str) -> Option<(DateTime<Utc>, TokenId)> {
    let (micros, id) = key.split_once(':')?;
    Some((
        DateTime::from_timestamp_micros(micros.parse().ok()?)?,
        id.parse().ok()?,
    ))
}
