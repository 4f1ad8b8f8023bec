//! What a change to the plans re-judged: the open findings of the affected
//! employees before the change, and after it once their recomputes have
//! run. The HR console shows the difference ("2 findings opened, 1
//! closed"); the change itself goes through the plan use cases, whose
//! store write queues the recomputes in its own transaction
//! (`storage::rejudge`), as for gRPC.

use std::collections::HashSet;

use uuid::Uuid;

use crate::domain::engine::reconcile::FindingStatus;
use crate::domain::ids::{EmployeeId, OrgId};
use crate::grpc::Ctx;
use crate::grpc::error::ApiResult;
use crate::recompute::drain;
use crate::storage::derived::FindingFilter;

/// More open findings than an organisation plausibly has at once; the
/// count is capped here rather than read without bound.
const MOST_FINDINGS: i64 = 100_000;

/// The open findings of `employees` (empty: the whole organisation), after
/// any recompute already queued for them has run, so that a later
/// difference is this change's alone.
///
/// # Errors
/// Storage errors.
pub async fn open_findings(
    ctx: &Ctx,
    org: OrgId,
    employees: &[EmployeeId],
) -> ApiResult<HashSet<Uuid>> {
    settle(ctx, org, employees).await?;
    let filter = FindingFilter {
        employees: employees.to_vec(),
        statuses: vec![FindingStatus::Open],
        ..FindingFilter::default()
    };
    Ok(ctx
        .store
        .list_findings(org, &filter, None, MOST_FINDINGS)
        .await?
        .into_iter()
        .map(|f| f.id)
        .collect())
}

/// Runs the queued recomputes of `employees` (empty: the organisation).
async fn settle(ctx: &Ctx, org: OrgId, employees: &[EmployeeId]) -> ApiResult<()> {
    let now = ctx.clock.now();
    if employees.is_empty() {
        drain(ctx.store.as_ref(), now, Some(org), None).await?;
    }
    for e in employees {
        drain(ctx.store.as_ref(), now, Some(org), Some(*e)).await?;
    }
    Ok(())
}

/// Findings opened and closed between two sets of open findings.
#[must_use]
#[allow(clippy::implicit_hasher)] // the sets come from `open_findings`
pub fn difference(before: &HashSet<Uuid>, after: &HashSet<Uuid>) -> (usize, usize) {
    (
        after.difference(before).count(),
        before.difference(after).count(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn difference_counts_what_appeared_and_what_went() {
        let (a, b, c) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let before: HashSet<Uuid> = [a, b].into();
        let after: HashSet<Uuid> = [b, c].into();
        assert_eq!(difference(&before, &after), (1, 1));
        assert_eq!(difference(&after, &after), (0, 0));
    }
}
