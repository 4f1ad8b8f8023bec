//! What a recompute page's nudge decisions need to know about its people:
//! each employee's row (email, time zone, whether active), their managers'
//! rows and their muted categories.
//!
//! Read for the whole page in three statements inside its transaction.
//! Before, each employee with a candidate cost two or three statements (the
//! employee, the manager, the mutes): at 64 clients on PostgreSQL, 4,000 of
//! a round's statements against 219 event batches, and on `SQLite` all of
//! them on the one writing connection (issue 15, fourteenth round).

use std::collections::HashMap;

use sqlx::{AnyConnection, Row as _};

use super::derived::employees_on;
use super::statement::{ByIds, rows_for_ids};
use super::{StoreError, StoreResult};
use crate::domain::employee::Employee;
use crate::domain::ids::{EmployeeId, OrgId};
use crate::domain::nudge::Category;

/// Ids per statement (an `IN (…)` list on SQLite, lookups on PostgreSQL).
const IDS_PER_STATEMENT: usize = 500;

/// The page's employees, their managers and their mutes.
#[derive(Default)]
pub(super) struct People {
    employees: HashMap<EmployeeId, Employee>,
    mutes: HashMap<EmployeeId, Vec<Category>>,
}

impl People {
    /// The employee's row, if stored.
    pub(super) fn employee(&self, id: EmployeeId) -> Option<&Employee> {
        self.employees.get(&id)
    }

    /// The employee's muted categories, sorted.
    pub(super) fn muted(&self, id: EmployeeId) -> Vec<Category> {
        self.mutes.get(&id).cloned().unwrap_or_default()
    }
}

/// Reads `ids` (one organisation), their managers and their mutes inside
/// the open transaction.
pub(super) async fn people_on(
    conn: &mut AnyConnection,
    org: OrgId,
    ids: &[EmployeeId],
) -> StoreResult<People> {
    let mut people = People::default();
    if ids.is_empty() {
        return Ok(people);
    }
    for e in employees_on(conn, org, ids).await? {
        people.employees.insert(e.id, e);
    }
    let mut managers: Vec<EmployeeId> = people
        .employees
        .values()
        .filter_map(|e| e.fields.manager_id)
        .filter(|m| !people.employees.contains_key(m))
        .collect();
    managers.sort();
    managers.dedup();
    for e in employees_on(conn, org, &managers).await? {
        people.employees.insert(e.id, e);
    }
    people.mutes = mutes_on(conn, org, ids).await?;
    Ok(people)
}

/// The muted categories of a list of employees, in order.
pub(super) fn mutes_by_ids() -> ByIds {
    ByIds {
        select: "SELECT employee_id, category FROM nudge_mutes WHERE organisation_id = $1".into(),
        column: "employee_id",
        order: "employee_id, category",
        lock: "",
    }
}

/// The muted categories of each of `ids` that has any, sorted. A category
/// this version does not know (or cannot read) mutes nothing it sends.
pub(super) async fn mutes_on(
    conn: &mut AnyConnection,
    org: OrgId,
    ids: &[EmployeeId],
) -> StoreResult<HashMap<EmployeeId, Vec<Category>>> {
    let wanted: Vec<String> = ids.iter().map(ToString::to_string).collect();
    let rows = rows_for_ids(conn, org, &wanted, IDS_PER_STATEMENT, &mutes_by_ids()).await?;
    let mut mutes: HashMap<EmployeeId, Vec<Category>> = HashMap::new();
    for row in rows {
        let employee: String = row
            .try_get("employee_id")
            .map_err(|e| StoreError::Corrupt(format!("nudge_mutes.employee_id: {e}")))?;
        let employee: EmployeeId = employee
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("nudge_mutes.employee_id: {employee}")))?;
        if let Some(c) = row
            .try_get::<String, _>("category")
            .ok()
            .and_then(|c| Category::parse(&c))
        {
            mutes.entry(employee).or_default().push(c);
        }
    }
    Ok(mutes)
}
