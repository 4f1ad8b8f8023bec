//! The plans SQLite chooses for the reads that once ran on an index's
//! prefix and filtered or sorted the rest (migration 0032) and for the
//! statements issue 15 rewrote: a page of employees, listed employees'
//! findings, an employee's recompute entry, a recompute page's reads and
//! deletes. Without statistics the planner decides from the indexes alone,
//! so these plans are the same on an empty database as on a big one. The
//! page of employees is the statement's shape; the others are the store's
//! own statements.

use chrono::DateTime;
use sqlx::Row as _;

use super::chain::not_linked_once_sql;
use super::day_rows::delete_days_sql;
use super::derived::{FindingFilter, list_findings_sql, pending_sql};
use super::event_batch::taken_sql;
use super::nudge_people::mutes_by_ids;
use super::page::page_events_sql;
use super::recompute_page::findings_in_scope_sql;
use super::sql::{SqlStore, sqlite_store};
use super::statement::marks_for;
use crate::domain::chain::LinkKind;
use crate::domain::engine::record::Span;
use crate::domain::ids::{EmployeeId, OrgId};
use crate::domain::rules::LONG_RULES;

/// The plan's lines for `sql`, with `?` marks unbound (NULL).
async fn plan(store: &SqlStore, sql: &str) -> String {
    let mut conn = store.reader().acquire().await.unwrap();
    let rows = sqlx::query(&format!("EXPLAIN QUERY PLAN {sql}"))
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.try_get::<String, _>("detail").unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The lines of `plan` that name `table` (not the id lists' `json_each`).
fn lines_on<'a>(plan: &'a str, table: &str) -> Vec<&'a str> {
    plan.lines().filter(|l| l.contains(table)).collect()
}

#[tokio::test]
async fn a_page_of_employees_starts_at_the_cursor_in_order() {
    let (_dir, store) = sqlite_store().await;
    let p = plan(
        &store,
        "SELECT id FROM employees e WHERE organisation_id = ? AND id > ? AND \
         (created_at < ? OR EXISTS (SELECT 1 FROM clock_events c WHERE c.organisation_id = ? \
         AND c.employee_id = e.id AND c.occurred_at >= ? AND c.occurred_at < ?)) \
         ORDER BY id LIMIT ?",
    )
    .await;
    assert!(
        p.contains("USING INDEX employees_page (organisation_id=? AND id>?)"),
        "{p}"
    );
    assert!(!p.contains("TEMP B-TREE"), "{p}");
}

/// `list_findings` for `employees` listed employees, within a span of
/// `at` or not, on the page after a cursor or the first: the store's own
/// statement.
fn listed_findings_sql(employees: usize, span: bool, cursor: bool) -> String {
    let filter = FindingFilter {
        employees: (0..employees)
            .map(|i| EmployeeId(uuid::Uuid::from_u128(i as u128 + 1)))
            .collect(),
        at: span.then(|| Span::new(DateTime::UNIX_EPOCH, DateTime::UNIX_EPOCH)),
        ..FindingFilter::default()
    };
    let after = cursor.then(|| (DateTime::UNIX_EPOCH, uuid::Uuid::nil()));
    list_findings_sql(true, OrgId(uuid::Uuid::nil()), &filter, after, 50).0
}

/// Listed employees' findings (one employee's timesheet, a manager's
/// reports in `ListFindings`) are read from their own range of
/// `findings_employee_at`, never by walking the organisation's findings
/// newest first (`findings_at`) and filtering out everyone else's: that
/// took 17 ms for 10 employees of 5,000 with 100,000 findings, 0.2 ms with
/// their range (issue 15, thirty-first round, `scripts/findings_plan.py`).
/// With no one listed (HR's whole organisation) the organisation's newest
/// come first. Without the store's `INDEXED BY` the cases of 10 fail.
#[tokio::test]
async fn listed_employees_findings_are_ranges_of_their_own() {
    let (_dir, store) = sqlite_store().await;
    for employees in [1, 10] {
        for span in [false, true] {
            for cursor in [false, true] {
                let p = plan(&store, &listed_findings_sql(employees, span, cursor)).await;
                // A span bounds the range at both ends; a cursor alone,
                // from above.
                let range = match (span, cursor) {
                    (true, _) => "(organisation_id=? AND employee_id=? AND at>? AND at<?)",
                    (false, true) => "(organisation_id=? AND employee_id=? AND at<?)",
                    (false, false) => "(organisation_id=? AND employee_id=?)",
                };
                assert!(
                    p.contains(&format!("USING INDEX findings_employee_at {range}"))
                        && !p.contains("findings_at "),
                    "{employees} employees, span {span}, cursor {cursor}:\n{p}"
                );
            }
        }
    }
    let everyone = plan(&store, &listed_findings_sql(0, false, false)).await;
    assert!(
        everyone.contains("USING INDEX findings_at (organisation_id=?)"),
        "{everyone}"
    );
}

#[tokio::test]
async fn an_employees_recompute_entry_is_a_key_lookup_and_the_oldest_come_first() {
    let (_dir, store) = sqlite_store().await;
    let one = plan(&store, &pending_sql(true, true)).await;
    assert!(
        one.contains("(organisation_id=? AND employee_id=?)"),
        "{one}"
    );
    let all = plan(&store, &pending_sql(false, false)).await;
    assert!(all.contains("USING INDEX recompute_queue_age"), "{all}");
    assert!(!all.contains("TEMP B-TREE"), "{all}");
}

/// A recompute page's stored findings: each employee's range of window
/// starts in the scopes, with the long rules' test on the rows in that
/// range, not a second way into the table.
#[tokio::test]
async fn a_pages_findings_are_each_employees_range_of_window_starts() {
    let (_dir, store) = sqlite_store().await;
    let sql = marks_for(findings_in_scope_sql(true, LONG_RULES, 64), true);
    assert!(sql.contains("'no.overtime_52w'"), "{sql}");
    let p = plan(&store, &sql).await;
    assert_eq!(
        lines_on(&p, "findings"),
        ["SEARCH findings USING INDEX findings_employee \
          (organisation_id=? AND employee_id=? AND window_start>? AND window_start<?)"],
        "{p}"
    );
}

/// A recompute page's last statements: the day rows no longer worked are
/// deleted by key, and the nudges' mutes of its employees are read by key,
/// never a scan of the organisation's rows.
#[tokio::test]
async fn a_page_deletes_its_days_and_reads_its_mutes_by_key() {
    let (_dir, store) = sqlite_store().await;
    let delete = plan(&store, &delete_days_sql(true, 64)).await;
    assert_eq!(
        lines_on(&delete, "day_totals"),
        [
            "SEARCH day_totals USING COVERING INDEX sqlite_autoindex_day_totals_1 \
          (organisation_id=? AND employee_id=? AND day=?)"
        ],
        "{delete}"
    );
    let mutes = plan(&store, &mutes_by_ids().sql(true, 64)).await;
    assert_eq!(
        lines_on(&mutes, "nudge_mutes"),
        [
            "SEARCH nudge_mutes USING COVERING INDEX sqlite_autoindex_nudge_mutes_1 \
          (organisation_id=? AND employee_id=?)"
        ],
        "{mutes}"
    );
    assert!(!mutes.contains("TEMP B-TREE"), "{mutes}");
}

/// Issue 15: a payroll page's events (the store's own statement, 64 ids)
/// come from the covering index alone, in its order; the writes' duplicate
/// check stays a key lookup per id; one employee's latest events (the
/// status) are a range of the covering index.
#[tokio::test]
async fn events_are_read_from_the_covering_index_and_checked_by_key() {
    let (_dir, store) = sqlite_store().await;
    let page = plan(&store, &marks_for(page_events_sql(true, 64), true)).await;
    assert!(
        page.contains(
            "USING COVERING INDEX clock_events_covering (employee_id=? AND occurred_at>? AND occurred_at<?)"
        ),
        "{page}"
    );
    assert!(!page.contains("TEMP B-TREE"), "{page}");
    let duplicates = plan(&store, &marks_for(taken_sql(64), true)).await;
    assert!(
        duplicates.contains("sqlite_autoindex_clock_events_1 (organisation_id=? AND event_id=?)"),
        "{duplicates}"
    );
    assert!(
        duplicates.contains("sqlite_autoindex_amendments_1 (organisation_id=? AND amendment_id=?)"),
        "{duplicates}"
    );
    let latest = plan(
        &store,
        "SELECT event_id FROM clock_events WHERE organisation_id = ? AND employee_id = ? \
         ORDER BY occurred_at DESC, event_id DESC LIMIT ?",
    )
    .await;
    assert!(
        latest.contains("clock_events_covering (employee_id=?)"),
        "{latest}"
    );
    assert!(!latest.contains("TEMP B-TREE"), "{latest}");
}

/// `verify`'s search for a row without a link (or in two) groups the
/// organisation's rows and links by id (`record_chain` has no index by row
/// id since migration 0036), never a scan of the links per row.
#[tokio::test]
async fn a_row_without_a_link_is_found_by_grouping_rows_and_links() {
    let (_dir, store) = sqlite_store().await;
    for kind in [LinkKind::Event, LinkKind::Amendment] {
        let p = plan(&store, &not_linked_once_sql(kind, true)).await;
        assert!(p.contains("USE TEMP B-TREE FOR GROUP BY"), "{p}");
        assert!(!p.contains("CORRELATED"), "{p}");
    }
}
