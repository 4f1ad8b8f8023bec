//! Writing recomputes: a page of employees' results in one writer job, as a
//! few multi-row statements for the whole page (issue 15) instead of about
//! ten statements per employee. A single recompute is a page of one, so
//! there is one write path.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row as _};
use uuid::Uuid;

use super::derived::{FINDING_COLUMNS, RecomputeWrite, evidence_text, finding, unit_str};
use super::json_params::{
    Ty, bind_ids, employee_org_is_first, execute_rows, int, of_ids, opt_int, opt_text, row_source,
    rows_json, text,
};
use super::nudge_people::people_on;
use super::outbox::{NudgeCandidate, decide_in_tx};
use super::rows::micros;
use super::statement::{ByIds, is_sqlite, marks_for, rows_for_ids};
use super::writer::classify;
use super::{StoreError, StoreResult};
use crate::domain::engine::finding::Severity;
use crate::domain::engine::reconcile::{Finding, FindingStatus, reconcile};
use crate::domain::ids::{EmployeeId, OrgId};
use crate::domain::nudge::decide::NudgePolicy;

/// Ids per statement (an `IN (…)` list on SQLite, lookups on PostgreSQL).
const IDS_PER_STATEMENT: usize = 500;
/// Rows per statement (each statement's rows are one JSON parameter).
const ROWS_PER_STATEMENT: usize = 500;
/// PostgreSQL: the organisation's employees by id, each locked as
/// [`lock_employees`] locks them.
pub(super) fn employee_locks() -> ByIds {
    ByIds {
        select: format!(
            "SELECT id FROM employees WHERE {}",
            employee_org_is_first(false, "organisation_id")
        ),
        column: "id",
        order: "",
        lock: "FOR NO KEY UPDATE",
    }
}

/// The organisation's queue rows by employee, each locked on PostgreSQL as
/// [`queued_versions`] locks them.
pub(super) fn queue_locks() -> ByIds {
    ByIds {
        select: "SELECT employee_id, version FROM recompute_queue WHERE organisation_id = $1"
            .into(),
        column: "employee_id",
        order: "",
        lock: "FOR UPDATE",
    }
}

/// Writes `writes` (one organisation, each employee at most once) inside
/// the open transaction: for each, `true` when written, `false` when a
/// newer change made it stale (the queue holds another version) and
/// nothing of it was written.
pub(super) async fn apply_page(
    conn: &mut AnyConnection,
    org: OrgId,
    writes: &[RecomputeWrite],
) -> StoreResult<Vec<bool>> {
    if writes.iter().any(|w| w.org != org) {
        return Err(StoreError::Corrupt(
            "a recompute page mixes organisations".into(),
        ));
    }
    let mut ids: Vec<String> = writes.iter().map(|w| w.employee.to_string()).collect();
    ids.sort();
    ids.dedup();
    if ids.len() != writes.len() {
        return Err(StoreError::Corrupt(
            "a recompute page holds an employee twice".into(),
        ));
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // SQLite has one writer connection: its recomputes are serial already.
    if conn.backend_name() != <sqlx::Sqlite as sqlx::Database>::NAME {
        lock_employees(conn, org, &ids).await?;
    }
    let queued = queued_versions(conn, org, &ids).await?;
    let live: Vec<bool> = writes
        .iter()
        .map(|w| {
            w.version
                .is_none_or(|v| queued.get(&w.employee) == Some(&v))
        })
        .collect();
    let current: Vec<&RecomputeWrite> = writes
        .iter()
        .zip(&live)
        .filter_map(|(w, live)| live.then_some(w))
        .collect();
    if current.is_empty() {
        return Ok(live);
    }
    consume_queue(conn, org, &current).await?;
    super::day_rows::replace_days(conn, org, &current).await?;
    let mut stored = findings_in_scope(conn, org, &current).await?;
    let mut to_write: Vec<Finding> = Vec::new();
    let mut nudges: Vec<(&RecomputeWrite, &NudgePolicy, Vec<NudgeCandidate>)> = Vec::new();
    for w in &current {
        let existing = stored.remove(&w.employee).unwrap_or_default();
        let (written, candidates) = reconcile_one(w, existing);
        to_write.extend(written);
        if let Some(policy) = &w.nudges
            && !candidates.is_empty()
        {
            nudges.push((w, policy, candidates));
        }
    }
    upsert_findings(conn, org, &to_write).await?;
    let told: Vec<EmployeeId> = nudges.iter().map(|(w, _, _)| w.employee).collect();
    let people = people_on(conn, org, &told).await?;
    for (w, policy, candidates) in nudges {
        decide_in_tx(conn, org, w.employee, &candidates, w.now, policy, &people).await?;
    }
    Ok(live)
}

/// Serialises recomputes of the page's employees on PostgreSQL (row locks,
/// taken in id order), so two replicas cannot both insert a finding. A
/// lock, not an update: no new row version of each employee per page. It
/// takes the mode an update of a non-key column takes, so it waits for the
/// same writers; writes run at READ COMMITTED, so the page's statements
/// after the wait see what the other page committed.
async fn lock_employees(conn: &mut AnyConnection, org: OrgId, ids: &[String]) -> StoreResult<()> {
    rows_for_ids(conn, org, ids, IDS_PER_STATEMENT, &employee_locks()).await?;
    Ok(())
}

/// The queued version of each of `ids` that has a queue row. On
/// PostgreSQL the rows are locked here, in id order, before
/// [`consume_queue`] deletes them: a `DELETE … IN (SELECT …)` locks in
/// whatever order its plan meets the rows, while event writes and plan
/// changes upsert queue rows in id order, so the two could each hold a row
/// the other waits for (a deadlock, 40P01). The price: the rows of a stale
/// write are held too, until the page commits, so an event for one of its
/// employees waits for the page.
async fn queued_versions(
    conn: &mut AnyConnection,
    org: OrgId,
    ids: &[String],
) -> StoreResult<HashMap<EmployeeId, i64>> {
    let mut out = HashMap::with_capacity(ids.len());
    let rows = rows_for_ids(conn, org, ids, IDS_PER_STATEMENT, &queue_locks()).await?;
    for row in rows {
        let id: String = row
            .try_get("employee_id")
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let version: i64 = row
            .try_get("version")
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let id = Uuid::parse_str(&id)
            .map_err(|_| StoreError::Corrupt(format!("recompute_queue.employee_id: {id}")))?;
        out.insert(EmployeeId(id), version);
    }
    Ok(out)
}

/// Deletes the consumed queue rows, each only at the version it was
/// computed for (a change queued since keeps its row).
async fn consume_queue(
    conn: &mut AnyConnection,
    org: OrgId,
    writes: &[&RecomputeWrite],
) -> StoreResult<()> {
    let mut consumed: Vec<(String, i64)> = writes
        .iter()
        .filter_map(|w| w.version.map(|v| (w.employee.to_string(), v)))
        .collect();
    // On PostgreSQL the rows are locked already, in id order
    // ([`queued_versions`]); sorted only so the statement's parameter is
    // the same for the same page.
    consumed.sort();
    let sqlite = is_sqlite(conn);
    let sql = marks_for(
        format!(
            "DELETE FROM recompute_queue WHERE organisation_id = $1 AND (employee_id, version) IN \
             (SELECT r.employee_id, r.version FROM {})",
            row_source(
                sqlite,
                2,
                &[("employee_id", Ty::Text), ("version", Ty::Int)]
            )
        ),
        sqlite,
    );
    for chunk in consumed.chunks(IDS_PER_STATEMENT) {
        let rows = chunk
            .iter()
            .map(|(id, version)| vec![text(id.clone()), int(*version)])
            .collect();
        execute_rows(conn, &sql, org, rows_json(rows)).await?;
    }
    Ok(())
}

/// The statement of [`findings_in_scope`] for `n` employees: `$1` the
/// organisation, `$2`, `$3` the bounds of `window_start`, `$4`, `$5` those
/// a resolved finding's window must touch, `$6` the earliest start of the
/// short scopes (a finding of a rule not in `long_rules` starting before it
/// is not read), then the ids from `$7` (see `json_params::of_ids`).
///
/// `long_rules` are written into the statement as literals: they are the
/// engine's constants (`rules::LONG_RULES`), not input, and a list of
/// parameters would need a second way of binding on each back-end.
pub(super) fn findings_in_scope_sql(sqlite: bool, long_rules: &[&str], n: usize) -> String {
    let short_only = if long_rules.is_empty() {
        "window_start >= $6".to_string()
    } else {
        let quoted: Vec<String> = long_rules
            .iter()
            .map(|r| format!("'{}'", r.replace('\'', "''")))
            .collect();
        format!("(window_start >= $6 OR rule_id IN ({}))", quoted.join(", "))
    };
    let select = format!(
        "SELECT {FINDING_COLUMNS} FROM findings WHERE organisation_id = $1 \
         AND window_start >= $2 AND window_start < $3 \
         AND (status = 'OPEN' OR (window_start <= $4 AND window_end >= $5)) \
         AND {short_only}"
    );
    of_ids(sqlite, &select, "employee_id", 7, n)
}

/// The stored findings of each write's employee whose windows start in
/// the write's scope (short rules in `short`, long ones in `long`) that
/// reconciling can change: the open ones (kept, updated or resolved) and
/// the resolved ones whose window touches a draft's (a draft reopens a
/// resolved finding of its rule only when their windows overlap or are
/// equal). The resolved rest are left as they are, so they are not read:
/// they pile up with history (a missing clock-out, resolved, for nearly
/// every working day) and were read by every recompute. One read for the
/// page over the union of the scopes, filtered per employee.
///
/// Only the long rules' findings are read from the year a long scope
/// reaches back; every other rule's from the short scopes' weeks. Open
/// findings of short rules pile up with history too (a Sunday worked, a
/// weekend worked: open until someone acts), and read from the long scope
/// they were a year of them per employee, each decoded and then dropped
/// here: 1,213 rows for a page of 64 employees with a year of history,
/// 7.5–10 ms of the writer's time a page (issue 15, thirtieth round). The
/// short rules are read from the earliest short scope of the page; the
/// recompute worker's pages share one reach, so that is every write's.
async fn findings_in_scope(
    conn: &mut AnyConnection,
    org: OrgId,
    writes: &[&RecomputeWrite],
) -> StoreResult<HashMap<EmployeeId, Vec<Finding>>> {
    let lo = writes
        .iter()
        .map(|w| w.short.start.min(w.long.start))
        .min()
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let hi = writes
        .iter()
        .map(|w| w.short.end.max(w.long.end))
        .max()
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let short_lo = writes
        .iter()
        .map(|w| w.short.start)
        .min()
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let mut long_rules: Vec<&str> = writes
        .iter()
        .flat_map(|w| w.long_rules.iter().copied())
        .collect();
    long_rules.sort_unstable();
    long_rules.dedup();
    // The drafts' windows, closed at both ends so that an empty window
    // equal to a draft's is read too.
    let windows = writes
        .iter()
        .flat_map(|w| w.drafts.iter().map(|d| d.window));
    let (drafts_from, drafts_to) = windows.fold(
        (DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC),
        // Both ends each way: a span does not promise start <= end.
        |(a, b), w| (a.min(w.start).min(w.end), b.max(w.end).max(w.start)),
    );
    let by_employee: HashMap<EmployeeId, &RecomputeWrite> =
        writes.iter().map(|w| (w.employee, *w)).collect();
    let ids: Vec<String> = writes.iter().map(|w| w.employee.to_string()).collect();
    let mut out: HashMap<EmployeeId, Vec<Finding>> = HashMap::new();
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let sql = findings_in_scope_sql(is_sqlite(conn), &long_rules, chunk.len());
        let sql = marks_for(sql, is_sqlite(conn));
        let q = sqlx::query(&sql)
            .bind(org.to_string())
            .bind(micros(lo))
            .bind(micros(hi))
            .bind(micros(drafts_to))
            .bind(micros(drafts_from))
            .bind(micros(short_lo));
        for row in bind_ids(q, is_sqlite(conn), chunk)
            .fetch_all(&mut *conn)
            .await
            .map_err(classify)?
        {
            let f = finding(&row)?;
            let Some(w) = by_employee.get(&f.employee) else {
                continue;
            };
            let scope = if w.long_rules.contains(&f.rule_id.as_str()) {
                w.long
            } else {
                w.short
            };
            if f.window.start >= scope.start && f.window.start < scope.end {
                out.entry(f.employee).or_default().push(f);
            }
        }
    }
    Ok(out)
}

/// Matches one employee's drafts against its stored findings: the findings
/// to write, and those to consider for a nudge (new, reopened, or more
/// severe; Violation sorts before Warning).
fn reconcile_one(
    w: &RecomputeWrite,
    existing: Vec<Finding>,
) -> (Vec<Finding>, Vec<NudgeCandidate>) {
    let before: HashMap<Uuid, (Severity, FindingStatus)> = existing
        .iter()
        .map(|f| (f.id, (f.severity, f.status)))
        .collect();
    let changes = reconcile(
        w.employee,
        (&w.pack, &w.pack_version),
        existing,
        &w.drafts,
        w.now,
        &mut Uuid::new_v4,
    );
    let worse = |f: &&Finding| {
        before.get(&f.id).is_some_and(|(severity, status)| {
            *status == FindingStatus::Resolved || f.severity < *severity
        })
    };
    let candidates = changes
        .insert
        .iter()
        .chain(changes.update.iter().filter(worse))
        .filter(|f| f.status == FindingStatus::Open)
        .map(|f| NudgeCandidate {
            finding: f.id,
            rule_id: f.rule_id.clone(),
            severity: f.severity,
            at: f.at,
        })
        .collect();
    let mut written = changes.insert;
    written.extend(changes.update);
    (written, candidates)
}

/// The columns of a finding row sent to the upsert, in the order of
/// [`FINDING_COLUMNS`] (the organisation is a parameter of its own).
const FINDING_ROW: [(&str, Ty); 21] = [
    ("finding_id", Ty::Text),
    ("employee_id", Ty::Text),
    ("rule_id", Ty::Text),
    ("rule_pack", Ty::Text),
    ("rule_pack_version", Ty::Text),
    ("severity", Ty::Text),
    ("status", Ty::Text),
    ("window_start", Ty::Int),
    ("window_end", Ty::Int),
    ("at", Ty::Int),
    ("measured", Ty::Int),
    ("limit_value", Ty::Int),
    ("unit", Ty::Text),
    ("limit_is_minimum", Ty::Int),
    ("explanation", Ty::Text),
    ("citation", Ty::Text),
    ("agreement_id", Ty::Text),
    ("evidence", Ty::Text),
    ("first_seen_at", Ty::Int),
    ("updated_at", Ty::Int),
    ("resolved_at", Ty::Int),
];

/// Inserts new findings and updates changed ones, a page at a time, in one
/// upsert per chunk (a finding's identity is its id).
async fn upsert_findings(
    conn: &mut AnyConnection,
    org: OrgId,
    findings: &[Finding],
) -> StoreResult<()> {
    const UPDATED: &str = "employee_id = excluded.employee_id, rule_id = excluded.rule_id, \
         rule_pack = excluded.rule_pack, rule_pack_version = excluded.rule_pack_version, \
         severity = excluded.severity, status = excluded.status, window_start = excluded.window_start, \
         window_end = excluded.window_end, at = excluded.at, measured = excluded.measured, \
         limit_value = excluded.limit_value, unit = excluded.unit, \
         limit_is_minimum = excluded.limit_is_minimum, explanation = excluded.explanation, \
         citation = excluded.citation, agreement_id = excluded.agreement_id, \
         evidence = excluded.evidence, first_seen_at = excluded.first_seen_at, \
         updated_at = excluded.updated_at, resolved_at = excluded.resolved_at";
    let sqlite = is_sqlite(conn);
    let selected = FINDING_ROW
        .iter()
        .map(|(name, _)| format!("r.{name}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = marks_for(
        format!(
            "INSERT INTO findings (organisation_id, {FINDING_COLUMNS}) SELECT $1, {selected} \
             FROM {} WHERE true \
             ON CONFLICT (organisation_id, finding_id) DO UPDATE SET {UPDATED}",
            row_source(sqlite, 2, &FINDING_ROW)
        ),
        sqlite,
    );
    for chunk in findings.chunks(ROWS_PER_STATEMENT) {
        let rows = chunk
            .iter()
            .map(|f| {
                vec![
                    text(f.id.to_string()),
                    text(f.employee.to_string()),
                    text(f.rule_id.clone()),
                    text(f.rule_pack.clone()),
                    text(f.rule_pack_version.clone()),
                    text(f.severity.as_str()),
                    text(f.status.as_str()),
                    int(micros(f.window.start)),
                    int(micros(f.window.end)),
                    int(micros(f.at)),
                    int(f.measured),
                    int(f.limit),
                    text(unit_str(f.unit)),
                    int(i64::from(f.limit_is_minimum)),
                    text(f.explanation.clone()),
                    text(f.citation.clone()),
                    opt_text(f.agreement.map(|a| a.to_string())),
                    text(evidence_text(&f.evidence)),
                    int(micros(f.first_seen_at)),
                    int(micros(f.updated_at)),
                    opt_int(f.resolved_at.map(micros)),
                ]
            })
            .collect();
        execute_rows(conn, &sql, org, rows_json(rows)).await?;
    }
    Ok(())
}
