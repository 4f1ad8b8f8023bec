//! Who a change to the plans re-judges, for the HR console to name before
//! the change is confirmed. The plan store queues the same people in the
//! change's own transaction (`domain::rejudge`, `storage::rejudge`).

use super::Ctx;
use super::error::ApiResult;
use crate::domain::ids::{EmployeeId, OrgId};
use crate::storage::EmployeeFilter;

/// Who a change re-judges: `employee` (nobody when unknown), or (`None`)
/// everyone in the organisation, leavers too, since their record is judged
/// as well: the people `domain::rejudge::Rejudge` names.
///
/// # Errors
/// Storage errors.
pub async fn affected(
    ctx: &Ctx,
    org: OrgId,
    employee: Option<EmployeeId>,
) -> ApiResult<Vec<EmployeeId>> {
    if let Some(e) = employee {
        return Ok(ctx
            .store
            .employee(org, e)
            .await?
            .map(|e| e.id)
            .into_iter()
            .collect());
    }
    let filter = EmployeeFilter {
        include_inactive: true,
        manager_id: None,
    };
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = ctx
            .store
            .list_employees(org, &filter, after.as_deref(), 500)
            .await?;
        after = page.last().map(|e| e.fields.external_id.clone());
        let done = page.len() < 500;
        all.extend(page.into_iter().map(|e| e.id));
        if done {
            return Ok(all);
        }
    }
}
