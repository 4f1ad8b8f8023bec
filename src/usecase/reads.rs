//! Who read my record: the audit trail's reads of the caller's own record
//! by someone else, for *My data* (the product brief: "every read is
//! logged and shown to the employee").

use chrono::Duration;

use crate::domain::audit::{AuditAction, AuditEntry};
use crate::grpc::Ctx;
use crate::grpc::auth::Caller;
use crate::grpc::error::{ApiError, ApiResult};
use crate::storage::audit::AuditFilter;

/// How far back the page looks.
pub const READS_SHOWN_DAYS: i64 = 366;

/// The latest reads of the caller's own record by others, newest first.
/// Only reads of another person's record are logged, so every one is by
/// someone else.
///
/// # Errors
/// `PermissionDenied` for a caller bound to no employee.
pub async fn reads_of_own_record(
    ctx: &Ctx,
    caller: &Caller,
    limit: i64,
) -> ApiResult<Vec<AuditEntry>> {
    let me = caller.bound_employee().ok_or_else(|| {
        ApiError::PermissionDenied(
            "only a person signed in as themselves sees who read their record".into(),
        )
    })?;
    let now = ctx.clock.now();
    let filter = AuditFilter {
        from: now - Duration::days(READS_SHOWN_DAYS),
        to: now + Duration::seconds(1),
        subject: Some(me),
        actions: AuditAction::ALL
            .into_iter()
            .filter(|a| a.is_read())
            .collect(),
        newest_first: true,
    };
    Ok(ctx
        .store
        .list_audit(caller.org(), &filter, None, limit)
        .await?)
}
