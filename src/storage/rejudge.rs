//! A change to the plans and the queueing of everyone it re-judges, in one
//! transaction: before, handlers queued them after the plan's commit, so a
//! crash in between kept the new plan with stale findings until each
//! employee's next change.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use futures::future::BoxFuture;
use sqlx::AnyConnection;

use super::StoreResult;
use super::derived::enqueue_many;
use super::rows::parsed;
use super::sql::SqlStore;
use super::writer::classify;
use crate::domain::ids::{EmployeeId, OrgId};
use crate::domain::rejudge::Rejudge;

impl SqlStore {
    /// Runs the plan write `f`, then queues whom its result re-judges
    /// (`rejudged`) as of `now`, in the same transaction.
    pub(super) async fn write_plan<R, F>(
        &self,
        org: OrgId,
        now: DateTime<Utc>,
        rejudged: fn(&R) -> Rejudge,
        f: F,
    ) -> StoreResult<R>
    where
        R: Send + 'static,
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, StoreResult<R>> + Send + 'static,
    {
        self.write(move |conn| {
            Box::pin(async move {
                let stored = f(&mut *conn).await?;
                queue_rejudged(conn, org, rejudged(&stored), now).await?;
                Ok(stored)
            })
        })
        .await
    }
}

/// Whom a change for `employee` re-judges (everyone in the organisation
/// for `None`, leavers too, since their record is judged as well), with
/// their time zones, in id order: what the change queues and what the HR
/// console names before it is confirmed.
pub(super) async fn rejudged_on(
    conn: &mut AnyConnection,
    org: OrgId,
    employee: Option<EmployeeId>,
) -> StoreResult<Vec<(EmployeeId, Tz)>> {
    let rows = match employee {
        Some(e) => sqlx::query(
            "SELECT id, time_zone FROM employees WHERE organisation_id = $1 AND id = $2",
        )
        .bind(org.to_string())
        .bind(e.to_string()),
        None => sqlx::query(
            "SELECT id, time_zone FROM employees WHERE organisation_id = $1 ORDER BY id",
        )
        .bind(org.to_string()),
    }
    .fetch_all(&mut *conn)
    .await
    .map_err(classify)?;
    rows.iter()
        .map(|row| Ok((EmployeeId(parsed(row, "id")?), parsed(row, "time_zone")?)))
        .collect()
}

/// Queues everyone `r` names, each from local midnight of `r.from` in
/// their own time zone, in one statement of the open transaction.
async fn queue_rejudged(
    conn: &mut AnyConnection,
    org: OrgId,
    r: Rejudge,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let changed: BTreeMap<_, _> = rejudged_on(&mut *conn, org, r.employee)
        .await?
        .into_iter()
        .map(|(id, tz)| (id, r.span(tz, now)))
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    enqueue_many(conn, org, &changed, now).await
}
