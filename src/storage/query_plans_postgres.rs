//! The plans PostgreSQL chooses for the store's id-list statements, on a
//! seeded database nobody has analysed yet (as a new one is until
//! autovacuum runs). Round 15 of issue 15 found two traps the benchmark
//! caught and no test did: an id list unpacked from one parameter, and the
//! generic plan PostgreSQL switches a kept statement to after five runs;
//! both walked the organisation's rows instead of looking the ids up
//! (10–100 ms a statement). Round 22 found a third: a list as long as the
//! store sends (500 ids of a batch, up to 500 employees of a page), which the
//! planner priced above one scan of the organisation's rows; those
//! statements now look each id up in a lateral join (`pg_each_id`). These
//! tests run each statement as sqlx does (a kept statement on a store
//! connection), six times, then read its plan, for a short list and a list
//! of the longest size sent.
//!
//! They need `TIDSVAKT_TEST_PG_URL`, and say so loudly when it is unset.

use sqlx::{Connection as _, Executor as _, Row as _};

use super::chain::not_linked_once_sql;
use super::day_rows::read_days_sql;
use super::event_batch::taken_sql;
use super::json_params::id_params;
use super::page::{open_findings_sql, page_amendments_sql, page_events_sql, page_queued_sql};
use super::recompute_page::findings_in_scope_sql;
use super::sql::SqlStore;
use crate::domain::chain::LinkKind;

/// Rows seeded: enough that a scan of the organisation's rows costs more
/// than the lookups. With about 2,000 amendments or fewer, unanalysed,
/// PostgreSQL reads the organisation's amendments through the
/// `(organisation_id, employee_id, seq)` key and filters them (it guesses a
/// few rows per organisation): cheap at that size, and autovacuum's
/// analyse after the first 50 rows corrects the guess (checked by hand:
/// the primary key after `ANALYZE`).
const EMPLOYEES: usize = 200;
const EVENTS: usize = 20_000;
const AMENDMENTS: usize = 20_000;
/// Days of day totals per employee.
const DAYS: usize = 100;
const FINDINGS: usize = 20_000;
const ORG: &str = "00000000-0000-4000-8000-000000000001";

/// A fresh database with the schema and the seed, its name, and the
/// server's URL to drop it from; `None` (said loudly) without a server.
/// Autovacuum is off for the seeded tables, so nothing analyses them while
/// a test runs.
async fn seeded() -> Option<(SqlStore, String, String)> {
    let Ok(admin) = std::env::var("TIDSVAKT_TEST_PG_URL") else {
        // Past the test harness's capture on purpose (not `eprintln!`).
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"\n!!! TIDSVAKT_TEST_PG_URL is not set: PostgreSQL's plan tests are SKIPPED.\n",
        );
        return None;
    };
    sqlx::any::install_default_drivers();
    let name = format!("tidsvakt_plans_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap();
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path(&name);
    let store = SqlStore::connect(url.as_str()).await.unwrap();
    let mut c = store.reader().acquire().await.unwrap();
    c.execute(
        format!(
            "INSERT INTO organisations (id, name, created_at) VALUES ('{ORG}', 'plans', 0); \
             INSERT INTO employees (id, organisation_id, external_id, name, email, time_zone, \
             locale, rule_pack, exemption, active, created_at, updated_at) \
             SELECT md5(i::text)::uuid::text, '{ORG}', 'x' || i, 'n', 'e' || i || '@x.test', \
             'Europe/Oslo', 'nb', 'no-aml', 'NONE', 1, 0, 0 FROM generate_series(1, {EMPLOYEES}) i; \
             INSERT INTO clock_events (organisation_id, event_id, employee_id, kind, occurred_at, \
             device_id, received_at) \
             SELECT '{ORG}', md5('e' || i)::uuid::text, md5((i % {EMPLOYEES} + 1)::text)::uuid::text, \
             'CLOCK_IN', i::bigint * 60000000, 'd', i::bigint * 60000000 \
             FROM generate_series(1, {EVENTS}) i; \
             INSERT INTO amendments (organisation_id, amendment_id, employee_id, seq, kind, \
             reason, author_token_id, author, created_at) \
             SELECT '{ORG}', md5('a' || i)::uuid::text, md5((i % {EMPLOYEES} + 1)::text)::uuid::text, \
             i, 'VOID', 'r', 't', 'a', 0 FROM generate_series(1, {AMENDMENTS}) i; \
             INSERT INTO day_totals (organisation_id, employee_id, day, worked, normal, overtime, \
             night, sunday_holiday, home, overtime_spans) \
             SELECT '{ORG}', md5(e::text)::uuid::text, \
             to_char(DATE '2026-01-01' + d, 'YYYY-MM-DD'), 1, 1, 0, 0, 0, 0, '' \
             FROM generate_series(1, {EMPLOYEES}) e, generate_series(0, {DAYS} - 1) d; \
             INSERT INTO findings (organisation_id, finding_id, employee_id, rule_id, rule_pack, \
             rule_pack_version, severity, status, window_start, window_end, at, measured, \
             limit_value, unit, limit_is_minimum, explanation, citation, evidence, \
             first_seen_at, updated_at) \
             SELECT '{ORG}', md5('f' || i)::uuid::text, md5((i % {EMPLOYEES} + 1)::text)::uuid::text, \
             'r', 'no-aml', '1', 'WARNING', CASE WHEN i % 3 = 0 THEN 'OPEN' ELSE 'RESOLVED' END, \
             i::bigint * 60000000, i::bigint * 60000000 + 1, i::bigint * 60000000, 1, 1, 'MINUTES', \
             0, '', '', '', 0, 0 FROM generate_series(1, {FINDINGS}) i; \
             INSERT INTO recompute_queue (organisation_id, employee_id, from_at, to_at, \
             version, queued_at) \
             SELECT '{ORG}', md5(e::text)::uuid::text, 0, 1, 1, 0 \
             FROM generate_series(1, {EMPLOYEES}) e; \
             ALTER TABLE clock_events SET (autovacuum_enabled = off); \
             ALTER TABLE amendments SET (autovacuum_enabled = off); \
             ALTER TABLE day_totals SET (autovacuum_enabled = off); \
             ALTER TABLE findings SET (autovacuum_enabled = off); \
             ALTER TABLE recompute_queue SET (autovacuum_enabled = off);"
        )
        .as_str(),
    )
    .await
    .unwrap();
    Some((store, name, admin))
}

async fn drop_database(store: SqlStore, name: &str, admin: &str) {
    drop(store);
    let mut conn = sqlx::AnyConnection::connect(admin).await.unwrap();
    conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
        .await
        .unwrap();
}

/// The plan of `sql` (placeholders `$1…`) for `args` (SQL literals), read
/// with `EXPLAIN EXECUTE` after six runs of the prepared statement on one
/// of the store's connections.
async fn plan_after_six_runs(store: &SqlStore, sql: &str, args: &[String]) -> String {
    let mut c = store.reader().acquire().await.unwrap();
    c.execute(format!("PREPARE planned AS {sql}").as_str())
        .await
        .unwrap();
    let call = format!("EXECUTE planned({})", args.join(", "));
    for _ in 0..6 {
        c.execute(call.as_str()).await.unwrap();
    }
    let rows = sqlx::query(&format!("EXPLAIN (COSTS OFF) {call}"))
        .fetch_all(&mut *c)
        .await
        .unwrap();
    c.execute("DEALLOCATE planned").await.unwrap();
    rows.iter()
        .map(|r| r.try_get::<String, _>(0).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// `n` employee ids as SQL literals.
fn employee_ids(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("md5('{i}')::uuid::text")).collect()
}

/// The plan says each id is looked up: one of `indexes` (any index whose
/// leading columns are the organisation and the id's column) with the id
/// in its condition, and no scan of the organisation's rows filtered by the
/// list (a `Filter` on the id column, or a join hashing the ids against
/// such a scan). A custom plan: `$1`, in every index condition, is the
/// organisation's id there.
fn assert_looked_up_by_id(statement: &str, plan: &str, indexes: &[&str], column: &str) {
    assert!(
        plan.lines().any(|l| {
            let l = l.trim_end();
            indexes.iter().any(|index| {
                l.contains(&format!("using {index} on ")) || l.ends_with(&format!(" on {index}"))
            })
        }),
        "{statement}: not from {indexes:?}: {plan}"
    );
    assert!(
        plan.lines().any(|l| l.contains("Index Cond")
            && l.contains(&format!("{column} = "))
            && !l.contains("ANY")),
        "{statement}: {column} is not in an index condition: {plan}"
    );
    assert!(
        !plan
            .lines()
            .any(|l| l.contains("Filter") && l.contains(column)),
        "{statement}: {column} filtered: {plan}"
    );
    assert!(!plan.contains("Hash Join"), "{statement}: {plan}");
    assert!(!plan.contains("Seq Scan"), "{statement}: {plan}");
    assert!(!plan.contains("$1"), "{statement}: a generic plan: {plan}");
}

/// The arguments `$1`… of a page's statements: the organisation, the
/// `before` values, then `n` employee ids padded as the store pads them.
fn page_args(before: &[String], n: usize) -> Vec<String> {
    let mut args = vec![format!("'{ORG}'")];
    args.extend_from_slice(before);
    args.extend(id_params(false, &employee_ids(n)));
    args
}

/// The lateral id lookups the store sends on PostgreSQL (a batch's
/// duplicate check; a page's events, amendments, open findings, queue rows
/// and day totals; the findings in a recompute page's scope), each at a
/// short length and at the longest it sends (500 ids, padded to 512):
/// every id is looked up. The plans are read first and the database
/// dropped before any assertion, so a failing assertion leaves nothing.
#[tokio::test]
async fn id_lists_are_lookups_per_id_at_every_length_after_six_runs() {
    let Some((store, name, admin)) = seeded().await else {
        return;
    };
    let date = |s: &str| s.parse::<chrono::NaiveDate>().unwrap_or_default();
    let days = [
        (date("2026-02-01"), date("2026-02-28")),
        (date("2026-03-10"), date("2026-03-20")),
    ];
    let span = ["0".to_string(), "99999999999999".to_string()];
    let mut plans: Vec<(&str, String, Vec<&str>, &str)> = Vec::new();
    for n in [8, 500] {
        let events = page_events_sql(false, n);
        let plan = plan_after_six_runs(&store, &events, &page_args(&span, n)).await;
        plans.push((
            "page events",
            plan,
            vec!["clock_events_employee"],
            "employee_id",
        ));
        let open = open_findings_sql(false, n);
        let plan = plan_after_six_runs(&store, &open, &page_args(&span, n)).await;
        plans.push((
            "open findings",
            plan,
            vec!["findings_employee_at"],
            "employee_id",
        ));
        let scope = findings_in_scope_sql(false, n);
        let mut before = span.to_vec();
        before.extend(span.iter().cloned());
        let plan = plan_after_six_runs(&store, &scope, &page_args(&before, n)).await;
        // Both findings indexes by employee serve it: which one depends on
        // the span.
        plans.push((
            "findings in scope",
            plan,
            vec!["findings_employee", "findings_employee_at"],
            "employee_id",
        ));
        let mut before = vec!["'2026-02-01'".to_string(), "'2026-03-20'".to_string()];
        for (a, b) in &days {
            before.push(format!("'{a}'"));
            before.push(format!("'{b}'"));
        }
        let plan = plan_after_six_runs(
            &store,
            &read_days_sql(false, &days, n),
            &page_args(&before, n),
        )
        .await;
        plans.push(("day totals", plan, vec!["day_totals_pkey"], "employee_id"));
        let plan =
            plan_after_six_runs(&store, &page_amendments_sql(false, n), &page_args(&[], n)).await;
        plans.push((
            "amendments",
            plan,
            vec!["amendments_organisation_id_employee_id_seq_key"],
            "employee_id",
        ));
        let plan =
            plan_after_six_runs(&store, &page_queued_sql(false, n), &page_args(&[], n)).await;
        plans.push(("queued", plan, vec!["recompute_queue_pkey"], "employee_id"));
    }
    for n in [8, 500] {
        let ids: Vec<String> = (1..=n)
            .map(|i| format!("md5('e{i}')::uuid::text"))
            .collect();
        let mut args = vec![format!("'{ORG}'")];
        args.extend(id_params(false, &ids));
        let plan = plan_after_six_runs(&store, &taken_sql(false, n), &args).await;
        plans.push((
            "taken events",
            plan.clone(),
            vec!["clock_events_pkey"],
            "event_id",
        ));
        plans.push((
            "taken amendments",
            plan,
            vec!["amendments_pkey"],
            "amendment_id",
        ));
    }
    drop_database(store, &name, &admin).await;
    for (statement, plan, index, column) in &plans {
        assert_looked_up_by_id(statement, plan, index, column);
    }
}

/// `verify`'s search for a row without a link groups the organisation's
/// rows and links by id (`record_chain` has no index by row id since
/// migration 0036), on a database not analysed yet too: an anti-join there
/// was a nested loop, a scan of the links per row (77 s here). Of two rows
/// without a link, it names the first to arrive.
#[tokio::test]
async fn a_row_without_a_link_is_found_by_grouping_before_analyse() {
    let Some((store, name, admin)) = seeded().await else {
        return;
    };
    // Every event but the last two linked, as the service links them.
    let mut c = store.reader().acquire().await.unwrap();
    c.execute(
        format!(
            "INSERT INTO record_chain (organisation_id, seq, kind, row_id, hash) \
             SELECT organisation_id, ROW_NUMBER() OVER (ORDER BY received_at), 'EVENT', event_id, 'h' \
             FROM clock_events WHERE received_at < ({EVENTS}::bigint - 1) * 60000000"
        )
        .as_str(),
    )
    .await
    .unwrap();
    let found: (String, i64) = sqlx::query_as(&not_linked_once_sql(LinkKind::Event))
        .bind(ORG)
        .bind("EVENT")
        .fetch_one(&mut *c)
        .await
        .unwrap();
    let expected: (String,) = sqlx::query_as(&format!("SELECT md5('e{}')::uuid::text", EVENTS - 1))
        .fetch_one(&mut *c)
        .await
        .unwrap();
    drop(c);
    let args = [format!("'{ORG}'"), "'EVENT'".to_string()];
    let plan = plan_after_six_runs(&store, &not_linked_once_sql(LinkKind::Event), &args).await;
    drop_database(store, &name, &admin).await;
    assert_eq!(found, (expected.0, 1));
    // A join would be a nested loop here (nothing is analysed): a scan
    // of the links per row.
    assert!(plan.contains("Aggregate"), "{plan}");
    assert!(!plan.contains("Join"), "{plan}");
    assert!(!plan.contains("Nested Loop"), "{plan}");
}
