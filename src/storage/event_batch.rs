//! Storing a batch of clock events in a few statements, whatever its size:
//! on SQLite one lookup of the ids already taken ([`taken_sql`]: by events
//! and amendments), one insert per chunk that skips the ids events hold
//! (and, on PostgreSQL, amendments: [`insert_sql`]), a read of those it
//! skipped (duplicates are rare), then the results in the order sent. Rows
//! and ids go as one JSON parameter each (see `json_params`).
//!
//! The single-event path (`RecordEvent`) is a batch of one, so both RPCs
//! share one way of deciding new, duplicate and conflict.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row as _};

use super::derived;
use super::json_params::{
    Ty, bind_ids, execute_rows, in_list, int, opt_text, pg_each_id, row_source, rows_json, text,
};
use super::rows::{self, micros};
use super::statement::{ByIds, is_sqlite, marks_for, rows_for_ids};
use super::writer::classify;
use super::{EventWrite, StoreError, StoreResult};
use crate::domain::engine::record::Span;
use crate::domain::event::{ClockEvent, Location, StoredEvent};
use crate::domain::ids::{EmployeeId, OrgId};

/// Rows (or ids) per statement.
const CHUNK: usize = 500;

/// The columns of an event row sent to the insert (the organisation and
/// the time received are parameters of their own).
const EVENT_ROW: [(&str, Ty); 6] = [
    ("event_id", Ty::Text),
    ("employee_id", Ty::Text),
    ("kind", Ty::Text),
    ("occurred_at", Ty::Int),
    ("location", Ty::Text),
    ("device_id", Ty::Text),
];

/// The organisation's events by id.
pub(super) fn events_by_id() -> ByIds {
    ByIds {
        select: format!(
            "SELECT {} FROM clock_events WHERE organisation_id = $1",
            rows::EVENT_COLUMNS
        ),
        column: "event_id",
        ..ByIds::default()
    }
}

/// The stored events among `ids` (one organisation), by id.
pub(super) async fn existing_events(
    conn: &mut AnyConnection,
    org: OrgId,
    ids: &[String],
) -> StoreResult<HashMap<String, StoredEvent>> {
    let rows = rows_for_ids(conn, org, ids, CHUNK, &events_by_id()).await?;
    let mut found = HashMap::with_capacity(rows.len());
    for row in &rows {
        let e = rows::stored_event(row)?;
        found.insert(e.event.event_id.to_string(), e);
    }
    Ok(found)
}

/// The organisation's amendments by id, their ids only: on PostgreSQL,
/// which of the ids an insert skipped amendments hold.
pub(super) fn amendment_ids_by_id() -> ByIds {
    ByIds {
        select: "SELECT amendment_id FROM amendments WHERE organisation_id = $1".to_owned(),
        column: "amendment_id",
        ..ByIds::default()
    }
}

/// SQLite: the ids among `n` already taken, the events among them, then
/// the amendments. Each row says which in `taken_by` (`E`, `A`) and the id
/// is in `event_id`. `$1` is the organisation and the ids follow
/// ([`bind_ids`]); `?` marks are positional, so both come again for the
/// amendments. An event may not reuse an amendment's id.
///
/// PostgreSQL reads neither first: the insert skips both ([`insert_sql`]),
/// and only the ids it skipped are read back ([`write_events`]). Reading
/// every id before inserting it was a second descent of `clock_events`' key
/// per event for the rare duplicate (issue 15, twenty-fourth round), and a
/// statement of its own per 500 ids for the amendments (twenty-ninth).
/// SQLite must: its guard against `INSERT OR REPLACE`
/// (`clock_events_no_replace`, a `BEFORE INSERT` trigger) refuses a taken
/// key before any conflict clause is reached, and its single writer has no
/// concurrent insert to race with.
pub(super) fn taken_sql(n: usize) -> String {
    format!(
        "SELECT 'E' AS taken_by, {} FROM clock_events WHERE organisation_id = $1 \
         AND event_id {} \
         UNION ALL SELECT 'A', amendment_id, NULL, NULL, NULL, NULL, NULL, NULL FROM amendments \
         WHERE organisation_id = $3 AND amendment_id {}",
        rows::EVENT_COLUMNS,
        in_list(true, 2, n),
        in_list(true, 4, n)
    )
}

/// What already holds each of `ids` (one organisation), in one statement
/// per chunk ([`taken_sql`]): the stored events by id, and the ids
/// amendments hold. SQLite only; PostgreSQL's insert skips both.
async fn taken(
    conn: &mut AnyConnection,
    org: OrgId,
    ids: &[String],
) -> StoreResult<(HashMap<String, StoredEvent>, HashSet<String>)> {
    let mut events = HashMap::new();
    let mut amended = HashSet::new();
    if !is_sqlite(conn) {
        return Ok((events, amended));
    }
    for chunk in ids.chunks(CHUNK) {
        let sql = marks_for(taken_sql(chunk.len()), true);
        let q = bind_ids(sqlx::query(&sql).bind(org.to_string()), true, chunk);
        let q = bind_ids(q.bind(org.to_string()), true, chunk);
        let rows = q.fetch_all(&mut *conn).await.map_err(classify)?;
        for row in &rows {
            let by: String = rows::col(row, "taken_by")?;
            if by == "A" {
                amended.insert(rows::col::<String>(row, "event_id")?);
            } else {
                let e = rows::stored_event(row)?;
                events.insert(e.event.event_id.to_string(), e);
            }
        }
    }
    Ok((events, amended))
}

/// The insert of a chunk of events: `$1` the organisation, `$2` the time
/// received, `$3` the rows ([`EVENT_ROW`]); it returns the ids inserted.
/// An id an event already holds is skipped by the conflict clause. On
/// PostgreSQL so is an id an amendment holds, tested row by row: the
/// `OFFSET 0` keeps the planner from making the test an anti-join, which
/// it may plan as a hash over every amendment of the organisation.
pub(super) fn insert_sql(sqlite: bool) -> String {
    let not_amended = if sqlite {
        "true"
    } else {
        "NOT EXISTS (SELECT 1 FROM amendments a \
         WHERE a.organisation_id = $1 AND a.amendment_id = r.event_id OFFSET 0)"
    };
    format!(
        "INSERT INTO clock_events (organisation_id, event_id, employee_id, kind, occurred_at, \
         location, device_id, received_at) \
         SELECT $1, r.event_id, r.employee_id, r.kind, r.occurred_at, r.location, r.device_id, $2 \
         FROM {} WHERE {not_amended} \
         ON CONFLICT (organisation_id, event_id) DO NOTHING RETURNING event_id",
        row_source(sqlite, 3, &EVENT_ROW)
    )
}

/// Inserts `events` (ids sent once, not taken as far as [`taken`] saw);
/// returns the ids the database actually inserted. On PostgreSQL one
/// already stored, by an earlier call or a concurrent one, or held by an
/// amendment, is skipped ([`insert_sql`]) and the caller reads it back.
async fn insert(
    conn: &mut AnyConnection,
    org: OrgId,
    events: &[&ClockEvent],
    now: DateTime<Utc>,
) -> StoreResult<HashSet<String>> {
    let mut inserted = HashSet::new();
    let sqlite = is_sqlite(conn);
    let sql = marks_for(insert_sql(sqlite), sqlite);
    for chunk in events.chunks(CHUNK) {
        let rows = chunk
            .iter()
            .map(|e| {
                vec![
                    text(e.event_id.to_string()),
                    text(e.employee_id.to_string()),
                    text(e.kind.as_str()),
                    int(micros(e.occurred_at)),
                    opt_text(e.location.map(Location::as_str)),
                    text(e.device_id.clone()),
                ]
            })
            .collect();
        let q = sqlx::query(&sql)
            .bind(org.to_string())
            .bind(micros(now))
            .bind(rows_json(rows));
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
    let (mut known, mut amended) = taken(conn, org, &ids).await?;
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
    // Skipped by the insert: stored before (a duplicate or a conflict), or
    // on PostgreSQL an amendment's id. On PostgreSQL every one, by an
    // earlier call or a concurrent one; SQLite read them in `taken`.
    let stored_before: Vec<String> = claimed
        .keys()
        .filter(|id| !inserted.contains(*id))
        .cloned()
        .collect();
    if !stored_before.is_empty() {
        known.extend(existing_events(conn, org, &stored_before).await?);
        // Every skipped id, not only those no event holds: an id held by
        // both (an amendment and an event written at the same moment) is a
        // conflict, as SQLite's `taken` reports it.
        if !is_sqlite(conn) {
            let by_id = amendment_ids_by_id();
            for row in rows_for_ids(conn, org, &stored_before, CHUNK, &by_id).await? {
                amended.insert(rows::col::<String>(&row, "amendment_id")?);
            }
        }
    }
    let mut first_seen = HashSet::new();
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

/// Queues the changed employees for recompute ([`derived::enqueue_sql`])
/// and adds each one's newly stored events to their count
/// (`event_counts`), in the transaction that stored them. On `PostgreSQL`
/// one statement does both (the queue's upsert as a data-modifying `WITH`)
/// and returns each employee's new count, which confirms their status
/// tails (see [`Confirmed`](super::status_tails::Confirmed)); `SQLite`
/// has no such statements, its statements cost no round trip, and its
/// tails need no confirmation (one process writes), so it returns none.
pub(super) async fn queue_and_count(
    conn: &mut AnyConnection,
    org: OrgId,
    changed: &BTreeMap<EmployeeId, Span>,
    added: &BTreeMap<EmployeeId, i64>,
    now: DateTime<Utc>,
) -> StoreResult<HashMap<EmployeeId, i64>> {
    if changed.is_empty() && added.is_empty() {
        return Ok(HashMap::new());
    }
    let counts = rows_json(
        added
            .iter()
            .map(|(employee, n)| vec![text(employee.to_string()), int(*n)])
            .collect(),
    );
    if is_sqlite(conn) {
        derived::enqueue_many(conn, org, changed, now).await?;
        execute_rows(conn, &marks_for(count_sql(true, 2), true), org, counts).await?;
        return Ok(HashMap::new());
    }
    // PostgreSQL runs a `WITH` that the main statement does not read after
    // it: the counts are upserted, then the queue. Only event writes, which
    // run this one statement with employees in id order, take both. The
    // count returned is the row's latest: an upsert that waits for another
    // writer's row reads it as that writer committed it.
    let sql = format!(
        "WITH queued AS ({} RETURNING 1) {} RETURNING employee_id, events",
        derived::enqueue_sql(false),
        count_sql(false, 5)
    );
    let found = sqlx::query(&sql)
        .bind(org.to_string())
        .bind(derived::first_version())
        .bind(micros(now))
        .bind(derived::queue_rows(changed))
        .bind(counts)
        .fetch_all(&mut *conn)
        .await
        .map_err(classify)?;
    found
        .iter()
        .map(|row| Ok((rows::parsed(row, "employee_id")?, rows::col(row, "events")?)))
        .collect()
}

/// Most employees one [`amended_sql`] statement probes.
pub(super) const AMENDED_PER_STATEMENT: usize = 500;

/// PostgreSQL: which of `n` employees (`$2` on) have any amendment, one
/// probe of `amendments`' (organisation, employee, seq) key each.
pub(super) fn amended_sql(n: usize) -> String {
    pg_each_id(
        2,
        n,
        "SELECT employee_id FROM amendments \
         WHERE organisation_id = $1 AND employee_id = ids.id LIMIT 1",
    )
}

/// Which of `employees` have any amendment (PostgreSQL), for
/// [`Confirmed`](super::status_tails::Confirmed). It must begin after
/// [`queue_and_count`], and ask only of employees that statement queued:
/// every transaction storing an amendment upserts its employee's queue row
/// before it commits (`write_amendment`), so one that commits before this
/// write took the row first and the queue upsert waited for its commit
/// (one that took it after commits after this write). A statement begun
/// after the upsert sees them all; the count statement's own snapshot,
/// taken before that wait, does not (a review reproduced that with two
/// sessions). The chain head's statement is such a statement
/// (`chain::lock_head`); this one serves past its limit.
pub(super) async fn amended_among(
    conn: &mut AnyConnection,
    org: OrgId,
    employees: &[EmployeeId],
) -> StoreResult<HashSet<EmployeeId>> {
    let mut out = HashSet::new();
    for chunk in employees.chunks(AMENDED_PER_STATEMENT) {
        let ids: Vec<String> = chunk.iter().map(ToString::to_string).collect();
        let sql = amended_sql(ids.len());
        let q = bind_ids(sqlx::query(&sql).bind(org.to_string()), false, &ids);
        for row in q.fetch_all(&mut *conn).await.map_err(classify)? {
            out.insert(rows::parsed(&row, "employee_id")?);
        }
    }
    Ok(out)
}

/// The upsert adding to each employee's count: `$1` the organisation,
/// `$rows` the (employee, events added) rows.
fn count_sql(sqlite: bool, rows: usize) -> String {
    format!(
        "INSERT INTO event_counts (organisation_id, employee_id, events) \
         SELECT $1, r.employee_id, r.events FROM {} WHERE true \
         ON CONFLICT (organisation_id, employee_id) \
         DO UPDATE SET events = event_counts.events + excluded.events",
        row_source(
            sqlite,
            rows,
            &[("employee_id", Ty::Text), ("events", Ty::Int)]
        )
    )
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
