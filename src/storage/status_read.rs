//! Reading an employee's clock status: the latest events from the last
//! clean clock-in on (`clock_status::status_anchor`), the amendments when
//! there are any, and the stored count. Usually one statement: the latest
//! few events carry the counts beside them.
//!
//! [`latest_of`] reads several employees' narrow windows in one statement
//! (PostgreSQL, where a status asked for on its own is always read; see
//! `read_batch` and `status_tails`); each
//! caller then finishes its own as [`read_status`] does.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row as _};
use uuid::Uuid;

use super::event_batch;
use super::read_batch;
use super::rows;
use super::sql::{find_event, load_amendments, load_events};
use super::statement::{NO_ID, is_sqlite, padded};
use super::writer::classify;
use super::{StatusRecord, StoreError, StoreResult};
use crate::domain::clock_status;
use crate::domain::event::{Amendment, StoredEvent};
use crate::domain::ids::{EmployeeId, OrgId};

/// How many of the latest events the status reads, narrow first, before
/// falling back to the whole record; a working day has a handful.
const STATUS_WINDOWS: [i64; 2] = [8, 64];

/// An employee's latest events, newest first, with what the status needs
/// beside them.
#[derive(Clone)]
pub(super) struct Latest {
    events: Vec<StoredEvent>,
    stored_count: i64,
    amendment_count: i64,
}

/// The statement of the latest `limit` events of the employee `employee`
/// names (a parameter or a column), each row with the stored count and the
/// amendment count beside it, so the usual status (no amendments) is one
/// read. Organisation `$1`.
fn latest_sql(employee: &str, limit: &str) -> String {
    format!(
        "SELECT {}, \
         CAST((SELECT events FROM event_counts \
               WHERE organisation_id = $1 AND employee_id = {employee}) AS BIGINT) AS stored_count, \
         CAST((SELECT COUNT(*) FROM amendments \
               WHERE organisation_id = $1 AND employee_id = {employee}) AS BIGINT) AS amendment_count \
         FROM clock_events WHERE organisation_id = $1 AND employee_id = {employee} \
         ORDER BY occurred_at DESC, event_id DESC LIMIT {limit}",
        rows::EVENT_COLUMNS
    )
}

/// The [`Latest`] of each employee among rows of [`latest_sql`] (newest
/// first within an employee).
fn latest_of_rows(found: &[AnyRow]) -> StoreResult<HashMap<EmployeeId, Latest>> {
    let mut out: HashMap<EmployeeId, Latest> = HashMap::new();
    for row in found {
        let event = rows::stored_event(row)?;
        let latest = out.entry(event.event.employee_id).or_insert(Latest {
            events: Vec::new(),
            stored_count: count_col(row, "stored_count")?,
            amendment_count: count_col(row, "amendment_count")?,
        });
        latest.events.push(event);
    }
    Ok(out)
}

/// Reads the latest `window` events as [`Latest`] in one statement. `None`
/// when the employee has no events.
async fn latest_events(
    conn: &mut AnyConnection,
    org: OrgId,
    employee: EmployeeId,
    window: i64,
) -> StoreResult<Option<Latest>> {
    let found = sqlx::query(&latest_sql("$2", "$3"))
        .bind(org.to_string())
        .bind(employee.to_string())
        .bind(window)
        .fetch_all(&mut *conn)
        .await
        .map_err(classify)?;
    Ok(latest_of_rows(&found)?.remove(&employee))
}

/// The events of `latest` from `anchor` on, plus the events the amendments
/// target that lie before it (an amendment may move one past the anchor).
async fn since_anchor(
    conn: &mut AnyConnection,
    org: OrgId,
    employee: EmployeeId,
    latest: Vec<StoredEvent>,
    anchor: DateTime<Utc>,
    amendments: &[Amendment],
) -> StoreResult<Vec<StoredEvent>> {
    let targets: HashSet<Uuid> = amendments
        .iter()
        .filter_map(|a| a.request.change.target())
        .collect();
    let mut events: Vec<StoredEvent> = latest
        .into_iter()
        .filter(|e| e.event.occurred_at >= anchor)
        .collect();
    for target in &targets {
        if events.iter().any(|e| e.event.event_id.0 == *target) {
            continue;
        }
        if let Some(e) = find_event(&mut *conn, org, &target.to_string()).await?
            && e.event.employee_id == employee
        {
            events.push(e);
        }
    }
    Ok(events)
}

/// Reads what the status needs (see [`StatusRecord`]), and the anchor its
/// events start at (`None`: they are the whole record).
pub(super) async fn read_status(
    conn: &mut AnyConnection,
    org: OrgId,
    employee: EmployeeId,
) -> StoreResult<(StatusRecord, Option<DateTime<Utc>>)> {
    let first = latest_events(&mut *conn, org, employee, STATUS_WINDOWS[0]).await?;
    finish_status(conn, org, employee, first).await
}

/// The status from the narrow window alone, when it holds all the status
/// needs: no amendments, and the latest clean clock-in inside it (or the
/// window is the whole record). The usual case; then no other statement.
pub(super) fn from_window(first: &Latest) -> Option<(StatusRecord, Option<DateTime<Utc>>)> {
    if first.amendment_count != 0 {
        return None;
    }
    let complete = i64::try_from(first.events.len()).unwrap_or(i64::MAX) < STATUS_WINDOWS[0];
    let anchor = clock_status::status_anchor(&first.events, complete, &[]);
    let events = match anchor {
        Some(anchor) => first
            .events
            .iter()
            .filter(|e| e.event.occurred_at >= anchor)
            .cloned()
            .collect(),
        None if complete => first.events.clone(),
        None => return None,
    };
    let record = StatusRecord {
        events,
        amendments: Vec::new(),
        stored_count: first.stored_count,
    };
    Some((record, anchor))
}

/// [`read_status`] given the narrow window's read (`None`: no events).
pub(super) async fn finish_status(
    conn: &mut AnyConnection,
    org: OrgId,
    employee: EmployeeId,
    first: Option<Latest>,
) -> StoreResult<(StatusRecord, Option<DateTime<Utc>>)> {
    if let Some(done) = first.as_ref().and_then(from_window) {
        return Ok(done);
    }
    let Some(first) = first else {
        // No events: amendments may still add some.
        let record = StatusRecord {
            events: Vec::new(),
            amendments: load_amendments(&mut *conn, org, employee).await?,
            stored_count: event_batch::stored_count(&mut *conn, org, employee).await?,
        };
        return Ok((record, None));
    };
    let amendments = if first.amendment_count == 0 {
        Vec::new()
    } else {
        load_amendments(&mut *conn, org, employee).await?
    };
    let stored_count = first.stored_count;
    // The narrow window almost always holds the anchor (the latest
    // clock-in); each row read is a table page, so the wide one is the
    // fallback, and the whole record the last resort.
    let mut read = Some(first.events);
    for window in STATUS_WINDOWS {
        let latest = match read.take() {
            Some(events) => events,
            None => latest_events(&mut *conn, org, employee, window)
                .await?
                .map(|l| l.events)
                .unwrap_or_default(),
        };
        let complete = i64::try_from(latest.len()).unwrap_or(i64::MAX) < window;
        let anchor = clock_status::status_anchor(&latest, complete, &amendments);
        let events = match anchor {
            Some(anchor) => {
                since_anchor(&mut *conn, org, employee, latest, anchor, &amendments).await?
            }
            // Every event the employee has: the whole record.
            None if complete => latest,
            None => continue,
        };
        let record = StatusRecord {
            events,
            amendments,
            stored_count,
        };
        return Ok((record, anchor));
    }
    let events = load_events(&mut *conn, org, employee).await?;
    let record = StatusRecord {
        events,
        amendments,
        stored_count,
    };
    Ok((record, None))
}

/// The narrow window ([`finish_status`]'s `first`) of each of `employees`
/// (one organisation, each once) that has events: one employee's in the
/// usual statement, several in one lateral join (PostgreSQL only: it has
/// no `SQLite` form, and `SQLite` answers statuses from memory, see
/// `status_tails`). Each caller finishes its own status ([`from_window`],
/// else [`finish_status`] on its own connection), so an employee whose
/// status needs more reads does not hold up the others.
pub(super) async fn latest_of(
    conn: &mut AnyConnection,
    org: OrgId,
    employees: &[EmployeeId],
) -> StoreResult<HashMap<EmployeeId, Latest>> {
    if let [only] = employees {
        let mut out = HashMap::new();
        if let Some(first) = latest_events(conn, org, *only, STATUS_WINDOWS[0]).await? {
            out.insert(*only, first);
        }
        return Ok(out);
    }
    if is_sqlite(conn) {
        return Err(StoreError::Corrupt(
            "statuses are read together on PostgreSQL only".into(),
        ));
    }
    latest_of_many(conn, org, employees).await
}

/// PostgreSQL: the latest `$2` events of each of `size` employees (`$3`
/// on), newest first within an employee.
pub(super) fn latest_of_many_sql(size: usize) -> String {
    let ids = (0..size)
        .map(|i| format!("(${})", i + 3))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT l.* FROM (VALUES {ids}) AS wanted (id) CROSS JOIN LATERAL ({}) AS l \
         ORDER BY l.employee_id, l.occurred_at DESC, l.event_id DESC",
        latest_sql("wanted.id", "$2")
    )
}

/// The narrow window of each of `employees` in one statement (a lateral
/// join over the ids, padded to a power of two so that a few statements
/// serve every batch size).
async fn latest_of_many(
    conn: &mut AnyConnection,
    org: OrgId,
    employees: &[EmployeeId],
) -> StoreResult<HashMap<EmployeeId, Latest>> {
    let size = padded(employees.len(), read_batch::MAX_KEYS);
    let sql = latest_of_many_sql(size);
    let mut q = sqlx::query(&sql)
        .bind(org.to_string())
        .bind(STATUS_WINDOWS[0]);
    for i in 0..size {
        q = q.bind(
            employees
                .get(i)
                .map_or_else(|| NO_ID.to_owned(), ToString::to_string),
        );
    }
    let found = q.fetch_all(&mut *conn).await.map_err(classify)?;
    latest_of_rows(&found)
}

/// A count column, 0 when NULL (no row counted yet).
fn count_col(row: &AnyRow, name: &str) -> StoreResult<i64> {
    row.try_get::<Option<i64>, _>(name)
        .map(Option::unwrap_or_default)
        .map_err(|e| StoreError::Corrupt(format!("{name}: {e}")))
}
