//! Keeping findings current after a change to the plans.
//!
//! Handlers call this after their write has committed. It queues the
//! affected employees, all in one transaction; the recompute worker (and
//! any read of them) does the work. A crash between the write and this
//! call leaves findings stale until the employee's next change: plans
//! change rarely, and the record itself is queued inside its own
//! transaction.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};

use super::Ctx;
use super::error::ApiResult;
use crate::domain::employee::Employee;
use crate::domain::engine::record::Span;
use crate::domain::ids::{EmployeeId, OrgId};
use crate::domain::local_days::start_of_day;
use crate::storage::EmployeeFilter;

/// Who a change re-judges: `employee`, or (`None`) everyone in the
/// organisation, leavers too, since their record is judged as well. The
/// HR console's confirmation page names the same people.
///
/// # Errors
/// Storage errors.
pub async fn affected(
    ctx: &Ctx,
    org: OrgId,
    employee: Option<EmployeeId>,
) -> ApiResult<Vec<EmployeeId>> {
    Ok(affected_employees(ctx, org, employee)
        .await?
        .into_iter()
        .map(|e| e.id)
        .collect())
}

/// [`affected`], each as stored (an unknown `employee` is nobody).
async fn affected_employees(
    ctx: &Ctx,
    org: OrgId,
    employee: Option<EmployeeId>,
) -> ApiResult<Vec<Employee>> {
    if let Some(e) = employee {
        return Ok(ctx.store.employee(org, e).await?.into_iter().collect());
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
        all.extend(page);
        if done {
            return Ok(all);
        }
    }
}

/// The first local date a holiday on `date` changes: the § 10-10 window of
/// a holiday opens on its eve.
#[must_use]
pub fn holiday_rejudged_from(date: NaiveDate) -> NaiveDate {
    date - Duration::days(1)
}

/// The first local date ending an agreement on `last_day` changes.
#[must_use]
pub fn agreement_end_rejudged_from(last_day: NaiveDate) -> NaiveDate {
    last_day + Duration::days(1)
}

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
    // One write for everyone: an organisation-wide holiday queued each
    // employee in a write of its own, 10,000 writer jobs and 7 s for the
    // call, and a pull meanwhile saw the new plan with neither the new
    // findings nor the mark that they wait for some of them. That window is
    // now only between the plan's own commit and this one.
    let changed: BTreeMap<EmployeeId, Span> = affected_employees(ctx, org, employee)
        .await?
        .into_iter()
        .map(|e| {
            let start = start_of_day(e.fields.time_zone, from).min(now);
            (e.id, Span::new(start, now + Duration::days(1)))
        })
        .collect();
    ctx.store.enqueue_recompute(org, changed, now).await?;
    Ok(())
}
