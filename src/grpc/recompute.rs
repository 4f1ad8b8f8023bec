//! Keeping findings current after a change to the plans.
//!
//! Handlers call this after their write has committed. It queues the
//! affected employees; the recompute worker (and any read of them) does the
//! work. A crash between the write and this call leaves findings stale until
//! the employee's next change: plans change rarely, and the record itself
//! is queued inside its own transaction.

use chrono::{Duration, NaiveDate};

use super::Ctx;
use super::error::ApiResult;
use crate::domain::engine::record::Span;
use crate::domain::ids::{EmployeeId, OrgId};
use crate::domain::local_days::start_of_day;
use crate::storage::EmployeeFilter;

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
    let now = ctx.clock.now();
    let mut ids = Vec::new();
    if let Some(e) = employee {
        ids.push(e);
    } else {
        {
            let filter = EmployeeFilter {
                include_inactive: true,
                manager_id: None,
            };
            let mut after: Option<String> = None;
            loop {
                let page = ctx
                    .store
                    .list_employees(org, &filter, after.as_deref(), 500)
                    .await?;
                after = page.last().map(|e| e.fields.external_id.clone());
                let done = page.len() < 500;
                ids.extend(page.into_iter().map(|e| e.id));
                if done {
                    break;
                }
            }
        }
    }
    for id in ids {
        let Some(e) = ctx.store.employee(org, id).await? else {
            continue;
        };
        let start = start_of_day(e.fields.time_zone, from).min(now);
        ctx.store
            .enqueue_recompute(
                org,
                vec![id],
                Span::new(start, now + Duration::days(1)),
                now,
            )
            .await?;
    }
    Ok(())
}
