//! Storing a batch of clock events in a few statements, whatever its size:
//! one lookup of the ids already taken (by events or amendments), one
//! multi-row insert per chunk, then the results in the order sent.
//!
//! The single-event path (`RecordEvent`) is a batch of one, so both RPCs
//! share one way of deciding new, duplicate and conflict.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row as _};

use super::rows::{self, micros};
use super::statement::{is_sqlite, marks_for, placeholders, rows_for_ids};
use super::writer::classify;
use super::{EventWrite, StoreError, StoreResult};
use crate::domain::event::{ClockEvent, Location, StoredEvent};
use crate::domain::ids::{EmployeeId, OrgId};

/// Rows per statement: 8 parameters each stays far below `SQLite`'s 32,766
/// and `PostgreSQL`'s 65,535 bound parameters.
const CHUNK: usize = 500;

/// The stored events among `ids` (one organisation).
async fn existing_events(
    conn: &mut AnyConnection,
    org: OrgId,
    ids: &[String],
) -> StoreResult<HashMap<String, StoredEvent>> {
    let rows = rows_for_ids(conn, org, ids, CHUNK, |marks| {
        format!(
            "SELECT {} FROM clock_events WHERE organisation_id = $1 AND event_id IN ({marks})",
            rows::EVENT_COLUMNS
        )
    })
    .await?;
    let mut found = HashMap::with_capacity(rows.len());
    for row in &rows {
        let e = rows::stored_event(row)?;
        found.insert(e.event.event_id.to_string(), e);
    }
    Ok(found)
}

/// The ids among `ids` that amendments hold (an event may not reuse one).
async fn amendment_ids(
    conn: &mut AnyConnection,
    org: OrgId,
    ids: &[String],
) -> StoreResult<std::collections::HashSet<String>> {
    let rows = rows_for_ids(conn, org, ids, CHUNK, |marks| {
        format!(
            "SELECT amendment_id FROM amendments WHERE organisation_id = $1 AND amendment_id IN ({marks})"
        )
    })
    .await?;
    rows.iter()
        .map(|row| {
            row.try_get::<String, _>("amendment_id")
                .map_err(|e| StoreError::Corrupt(format!("amendment_id: {e}")))
        })
        .collect()
}

/// Inserts `events` (ids not yet stored); returns the ids the database
/// actually inserted. On PostgreSQL a concurrent writer may have inserted one
/// of them since the lookup: the conflict clause skips it and the caller
/// reads it back.
async fn insert(
    conn: &mut AnyConnection,
    org: OrgId,
    events: &[&ClockEvent],
    now: DateTime<Utc>,
) -> StoreResult<std::collections::HashSet<String>> {
    let mut inserted = std::collections::HashSet::new();
    for chunk in events.chunks(CHUNK) {
        let values = (0..chunk.len())
            .map(|i| format!("({})", placeholders(i * 8 + 1, 8)))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO clock_events (organisation_id, event_id, employee_id, kind, occurred_at, \
             location, device_id, received_at) VALUES {values} \
             ON CONFLICT (organisation_id, event_id) DO NOTHING RETURNING event_id"
        );
        let sql = marks_for(sql, is_sqlite(conn));
        let mut q = sqlx::query(&sql);
        for e in chunk {
            q = q
                .bind(org.to_string())
                .bind(e.event_id.to_string())
                .bind(e.employee_id.to_string())
                .bind(e.kind.as_str())
                .bind(micros(e.occurred_at))
                .bind(e.location.map(Location::as_str))
                .bind(e.device_id.clone())
                .bind(micros(now));
        }
        for row in q.fetch_all(&mut *conn).await.map_err(classify)? {
            inserted.insert(
                row.try_get::<String, _>("event_id")
                    .map_err(|e| StoreError::Corrupt(format!("event_id: {e}")))?,
            );
        }
    }
    Ok(inserted)
}

/// Stores `events` inside the open transaction and says what became of
/// each, in the order given. An id sent twice in one batch is stored once:
/// the second is a duplicate (or a conflict, if its content differs).
pub(super) async fn write_events(
    conn: &mut AnyConnection,
    org: OrgId,
    events: &[ClockEvent],
    now: DateTime<Utc>,
) -> StoreResult<Vec<EventWrite>> {
    let mut ids: Vec<String> = events.iter().map(|e| e.event_id.to_string()).collect();
    ids.sort_unstable();
    ids.dedup();
    let amended = amendment_ids(conn, org, &ids).await?;
    let mut known = existing_events(conn, org, &ids).await?;
    // Decide in input order; the first of an id sent twice is the one stored.
    let mut fresh: Vec<&ClockEvent> = Vec::new();
    let mut claimed: HashMap<String, &ClockEvent> = HashMap::new();
    for e in events {
        let id = e.event_id.to_string();
        if amended.contains(&id) || known.contains_key(&id) || claimed.contains_key(&id) {
            continue;
        }
        claimed.insert(id, e);
        fresh.push(e);
    }
    // Inserted in id order, so two batches holding the same events in
    // different orders take their locks in the same order and cannot
    // deadlock on PostgreSQL.
    fresh.sort_by_key(|e| e.event_id);
    let inserted = insert(conn, org, &fresh, now).await?;
    let raced: Vec<String> = claimed
        .keys()
        .filter(|id| !inserted.contains(*id))
        .cloned()
        .collect();
    if !raced.is_empty() {
        known.extend(existing_events(conn, org, &raced).await?);
    }
    let mut first_seen = std::collections::HashSet::new();
    events
        .iter()
        .map(|e| {
            let id = e.event_id.to_string();
            if amended.contains(&id) {
                return Ok(EventWrite::Conflict);
            }
            if inserted.contains(&id) && first_seen.insert(id.clone()) {
                return Ok(EventWrite::New(StoredEvent {
                    event: e.clone(),
                    received_at: now,
                }));
            }
            let existing = match known.get(&id) {
                Some(s) => s.clone(),
                // Stored by this batch: its first copy.
                None if inserted.contains(&id) => StoredEvent {
                    event: (*claimed.get(&id).ok_or_else(|| {
                        StoreError::Corrupt(format!("event {id} inserted but not claimed"))
                    })?)
                    .clone(),
                    received_at: now,
                },
                None => {
                    return Err(StoreError::Corrupt(format!(
                        "event {id} neither inserted nor found"
                    )));
                }
            };
            Ok(if existing.event.same_content(e) {
                EventWrite::Duplicate(existing)
            } else {
                EventWrite::Conflict
            })
        })
        .collect()
}

/// Adds each employee's newly stored events to their count
/// (`event_counts`), in the transaction that stored them.
pub(super) async fn count_new(
    conn: &mut AnyConnection,
    org: OrgId,
    added: &std::collections::BTreeMap<EmployeeId, i64>,
) -> StoreResult<()> {
    let all: Vec<(&EmployeeId, &i64)> = added.iter().collect();
    for chunk in all.chunks(CHUNK) {
        let values = (0..chunk.len())
            .map(|i| format!("({})", placeholders(i * 3 + 1, 3)))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO event_counts (organisation_id, employee_id, events) VALUES {values} \
             ON CONFLICT (organisation_id, employee_id) \
             DO UPDATE SET events = event_counts.events + excluded.events"
        );
        let sql = marks_for(sql, is_sqlite(conn));
        let mut q = sqlx::query(&sql);
        for (employee, n) in chunk {
            q = q.bind(org.to_string()).bind(employee.to_string()).bind(**n);
        }
        q.execute(&mut *conn).await.map_err(classify)?;
    }
    Ok(())
}

/// The number of events stored for `employee`.
pub(super) async fn stored_count<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    ex: E,
    org: OrgId,
    employee: EmployeeId,
) -> StoreResult<i64> {
    let row = sqlx::query(
        "SELECT events FROM event_counts WHERE organisation_id = $1 AND employee_id = $2",
    )
    .bind(org.to_string())
    .bind(employee.to_string())
    .fetch_optional(ex)
    .await
    .map_err(classify)?;
    row.map_or(Ok(0), |r| {
        r.try_get::<i64, _>("events")
            .map_err(|e| StoreError::Corrupt(format!("events: {e}")))
    })
}
