//! On PostgreSQL, a recompute page takes the row locks of the queue rows it
//! consumes in employee id order, as event writes and plan changes queue
//! them, so no two of them can wait on each other in a cycle (a deadlock,
//! 40P01, answered `UNAVAILABLE`). A `DELETE … IN (SELECT …)` alone locks
//! in the order its plan meets the rows (a hash semi-join: the table's).

use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

use chrono::Duration;
use sqlx::Connection as _;
use tidsvakt::clock::Clock as _;
use tidsvakt::domain::engine::record::Span;
use tidsvakt::domain::ids::EmployeeId;
use tidsvakt::storage::derived::DerivedStore as _;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recompute_page_locks_queue_rows_in_id_order() {
    let Some(url) = pg_url() else {
        return;
    };
    // The background worker rests for an hour: only this test drains.
    let app = spawn_app_with(Db::Postgres(url), |c| {
        c.jobs.recompute_rest = StdDuration::from_secs(3_600);
    })
    .await;
    let org = app.org_id().await;
    let mut ids = Vec::new();
    for name in ["E1", "E2"] {
        let e = app.create_employee_in(name, "Europe/Oslo").await;
        ids.push(EmployeeId(e.employee_id.parse().unwrap()));
    }
    ids.sort();
    let (low, high) = (ids[0], ids[1]);
    tidsvakt::recompute::drain(app.store.as_ref(), app.clock.now(), Some(org), None)
        .await
        .unwrap();
    let now = app.clock.now();
    let span = Span::new(now - Duration::days(1), now);
    // Queued high first, so the table holds them against id order.
    for id in [high, low] {
        app.store
            .enqueue_recompute(org, BTreeMap::from([(id, span)]), now)
            .await
            .unwrap();
    }

    // Another writer holds the low row, as an event batch queueing both
    // does before it takes the high one.
    let mut other = sqlx::AnyConnection::connect(&app.database_url)
        .await
        .unwrap();
    // Should the two wait on each other, this one finds out first (the
    // page's session keeps the default of 1 s) and is refused: the page's
    // own refusal would be hidden by its one-by-one retry. (Setting it
    // takes a superuser, as the test URL's `postgres` is.)
    sqlx::query("SET deadlock_timeout = '50ms'")
        .execute(&mut other)
        .await
        .unwrap();
    let other_pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut other)
        .await
        .unwrap();
    sqlx::query("BEGIN").execute(&mut other).await.unwrap();
    sqlx::query("SELECT version FROM recompute_queue WHERE employee_id = $1 FOR UPDATE")
        .bind(low.to_string())
        .fetch_all(&mut other)
        .await
        .unwrap();
    let store = app.store.clone();
    let drain = tokio::spawn(async move {
        tidsvakt::recompute::drain(store.as_ref(), now, Some(org), None).await
    });
    // Once the page waits for the low row: locking in id order, it holds no
    // queue row yet, so the other writer takes the high one and commits.
    // (Its DELETE alone met the high row first: the table holds it first,
    // and a hash semi-join walks the table.)
    // Watched from a third session: a transaction sees one snapshot of
    // `pg_stat_activity` throughout.
    let mut watch = sqlx::AnyConnection::connect(&app.database_url)
        .await
        .unwrap();
    let waited = std::time::Instant::now();
    loop {
        let blocked: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))",
        )
        .bind(other_pid)
        .fetch_one(&mut watch)
        .await
        .unwrap();
        if blocked > 0 {
            break;
        }
        assert!(
            waited.elapsed() < StdDuration::from_secs(30),
            "the page never waited for the low row"
        );
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    let high_row =
        sqlx::query("UPDATE recompute_queue SET version = version WHERE employee_id = $1")
            .bind(high.to_string())
            .execute(&mut other)
            .await;
    sqlx::query("COMMIT").execute(&mut other).await.unwrap();
    let drained = drain.await.unwrap();
    assert!(high_row.is_ok(), "the other writer: {high_row:?}");
    assert_eq!(drained.unwrap(), 2);
    let left = app
        .store
        .pending_recomputes(Some(org), None, 10)
        .await
        .unwrap();
    assert_eq!(left.len(), 0);
}
