//! Keeping findings current after a change to the record or the plans.
//!
//! Handlers call these after their write has committed.

use chrono::NaiveDate;

use super::Ctx;
use super::error::ApiResult;
use crate::domain::ids::{EmployeeId, OrgId};

/// A schedule, agreement, absence, override or holiday changed from local
/// date `from` on, for one employee or (`None`) the whole organisation.
///
/// # Errors
/// Storage errors.
pub async fn after_policy_change(
    ctx: &Ctx,
    org: OrgId,
    employee: Option<EmployeeId>,
    from: NaiveDate,
) -> ApiResult<()> {
    let _ = (ctx, org, employee, from);
    Ok(())
}
