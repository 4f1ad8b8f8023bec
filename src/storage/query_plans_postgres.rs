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
use super::day_rows::{delete_days_sql, read_days_sql};
use super::derived::pg_employees_by_id;
use super::event_batch::{amended_sql, amendment_ids_by_id, events_by_id, insert_sql};
use super::json_params::id_params;
use super::nudge_people::mutes_by_ids;
use super::page::{
    first_worked_sql, open_findings_sql, page_amendments_sql, page_events_sql, page_queued_sql,
};
use super::read_batch::MAX_KEYS;
use super::recompute_page::{employee_locks, findings_in_scope_sql, queue_locks};
use super::sql::SqlStore;
use super::status_read::latest_of_many_sql;
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
/// Muted nudge categories per employee: 20,000 rows in all, so that a scan
/// of the organisation's mutes costs more than the lookups.
const MUTES: usize = 100;
const ORG: &str = "00000000-0000-4000-8000-000000000001";
/// Run before the seed: nothing analyses the seeded tables while a test
/// runs (an analysed 200-row `employees` is read whole, rightly, at that
/// size).
const NO_AUTOVACUUM: &str = "ALTER TABLE organisations SET (autovacuum_enabled = off); \
     ALTER TABLE employees SET (autovacuum_enabled = off); \
     ALTER TABLE clock_events SET (autovacuum_enabled = off); \
     ALTER TABLE amendments SET (autovacuum_enabled = off); \
     ALTER TABLE day_totals SET (autovacuum_enabled = off); \
     ALTER TABLE findings SET (autovacuum_enabled = off); \
     ALTER TABLE recompute_queue SET (autovacuum_enabled = off); \
     ALTER TABLE nudge_mutes SET (autovacuum_enabled = off); \
     ALTER TABLE record_chain SET (autovacuum_enabled = off);";

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
            "{NO_AUTOVACUUM} \
             INSERT INTO organisations (id, name, created_at) VALUES ('{ORG}', 'plans', 0); \
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
             INSERT INTO nudge_mutes (organisation_id, employee_id, category, muted_at) \
             SELECT '{ORG}', md5(e::text)::uuid::text, 'c' || c, 0 \
             FROM generate_series(1, {EMPLOYEES}) e, generate_series(1, {MUTES}) c; \
"
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

/// How PostgreSQL plans a kept statement: with its values each run, or
/// once for any values (which `plan_cache_mode = auto`, the store's
/// setting, may choose after five runs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Custom,
    Generic,
}

/// The plan of `sql` (placeholders `$1…`) for `args` (SQL literals), read
/// with `EXPLAIN EXECUTE` after six runs of the prepared statement on one
/// of the store's connections, planned as `mode` says.
async fn plan_after_six_runs(store: &SqlStore, sql: &str, args: &[String], mode: Mode) -> String {
    let mut c = store.reader().acquire().await.unwrap();
    let setting = match mode {
        Mode::Custom => "force_custom_plan",
        Mode::Generic => "force_generic_plan",
    };
    c.execute(format!("SET plan_cache_mode = {setting}").as_str())
        .await
        .unwrap();
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
    c.execute("DEALLOCATE planned; RESET plan_cache_mode")
        .await
        .unwrap();
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
/// in its condition, and no scan of the
/// organisation's rows filtered by the list (a `Filter` naming the id's
/// column, or a join hashing the ids against such a scan). A custom plan
/// has the organisation's id where `$1` was; a generic one keeps `$1`.
fn lookup_problem(statement: &Statement, mode: Mode, plan: &str) -> Option<String> {
    let name = format!("{} ({mode:?}, {} ids)", statement.name, statement.n);
    let from_index = plan.lines().any(|l| {
        let l = l.trim_end();
        statement.indexes.iter().any(|index| {
            l.contains(&format!("using {index} on ")) || l.ends_with(&format!(" on {index}"))
        })
    });
    let problem = if !from_index {
        format!("not from {:?}", statement.indexes)
    } else if !plan.lines().any(|l| {
        l.contains("Index Cond") && tests_the_id(l, statement.column) && !l.contains("ANY")
    }) {
        format!("{} is not an index condition", statement.column)
    } else if plan
        .lines()
        .any(|l| l.contains("Filter") && tests_the_id(l, statement.column))
    {
        format!("{} filtered", statement.column)
    } else if plan
        .lines()
        .any(|l| (l.contains("Hash") && l.contains("Join")) || l.contains("Seq Scan"))
    {
        "a hash join or a sequential scan".to_string()
    } else if mode == Mode::Custom && !plan.contains(&format!("'{ORG}'::text")) {
        "a generic plan".to_string()
    } else if mode == Mode::Generic
        && (!names_parameter_one(plan) || plan.contains(&format!("'{ORG}'::text")))
    {
        "a custom plan".to_string()
    } else if statement.locks && !locks_in_id_order(plan) {
        "rows not locked one id at a time, in the ids' order".to_string()
    } else {
        return None;
    };
    Some(format!("{name}: {problem}:\n{plan}"))
}

/// Whether a plan names `$1` (not `$10`…): a generic plan keeps the
/// organisation as its parameter.
fn names_parameter_one(plan: &str) -> bool {
    plan.match_indices("$1")
        .any(|(i, _)| !plan[i + 2..].starts_with(|c: char| c.is_ascii_digit()))
}

/// Whether a plan locks each id's rows in the ids' byte order: a nested
/// loop whose outer side sorts the distinct ids `COLLATE "C"` and whose
/// inner side locks (`LockRows` below the sort's line).
fn locks_in_id_order(plan: &str) -> bool {
    const SORTED: &str = "Sort Key: d.id COLLATE \"C\"";
    plan.trim_start().starts_with("Nested Loop")
        && matches!(
            (plan.find(SORTED), plan.find("LockRows")),
            (Some(sort), Some(lock)) if sort < lock
        )
}

/// Whether a plan's line tests `column` against an id of the list (the
/// derived table `ids`, the distinct ids `d` inside it, or their `VALUES`,
/// as far as the planner pulls the subqueries up).
fn tests_the_id(line: &str, column: &str) -> bool {
    ["(", " "].iter().any(|before| {
        [
            "ids.id",
            "ids_1.id",
            "d.id",
            "wanted.id",
            "\"*VALUES*\".column1",
        ]
        .iter()
        .any(|list| line.contains(&format!("{before}{column} = {list}")))
    })
}

/// The arguments `$1`… of a page's statements: the organisation, the
/// `before` values, then `n` employee ids padded as the store pads them.
fn page_args(before: &[String], n: usize) -> Vec<String> {
    let mut args = vec![format!("'{ORG}'")];
    args.extend_from_slice(before);
    args.extend(id_params(false, &employee_ids(n)));
    args
}

/// A statement whose plan is read, and what its plan must look up.
struct Statement {
    name: &'static str,
    n: usize,
    sql: String,
    args: Vec<String>,
    /// Any of these indexes serves it.
    indexes: Vec<&'static str>,
    /// The id's column, which no filter may name.
    column: &'static str,
    /// Whether it locks the rows it reads (in the ids' order).
    locks: bool,
}

/// A statement of a page's rows by employee, and the indexes that serve it.
fn by_employee(
    name: &'static str,
    n: usize,
    sql: String,
    args: Vec<String>,
    indexes: Vec<&'static str>,
) -> Statement {
    Statement {
        name,
        n,
        sql,
        args,
        indexes,
        column: "employee_id",
        locks: false,
    }
}

/// The id-list statements of a recompute page, for `n` employees.
fn page_statements(n: usize) -> Vec<Statement> {
    let date = |s: &str| s.parse::<chrono::NaiveDate>().unwrap_or_default();
    let days = [
        (date("2026-02-01"), date("2026-02-28")),
        (date("2026-03-10"), date("2026-03-20")),
    ];
    let span = ["0".to_string(), "99999999999999".to_string()];
    let mut scope_span = span.to_vec();
    scope_span.extend(span.iter().cloned());
    // `$6`, where the short scopes start: before it only the long rules'
    // findings are read.
    scope_span.push("50000000000000".to_string());
    let mut day_args = vec!["'2026-02-01'".to_string(), "'2026-03-20'".to_string()];
    for (a, b) in &days {
        day_args.push(format!("'{a}'"));
        day_args.push(format!("'{b}'"));
    }
    vec![
        by_employee(
            "page events",
            n,
            page_events_sql(false, n),
            page_args(&span, n),
            vec!["clock_events_employee"],
        ),
        by_employee(
            "open findings",
            n,
            open_findings_sql(false, n),
            page_args(&span, n),
            vec!["findings_open"],
        ),
        // Both findings indexes by employee serve it: which one depends on
        // the span.
        by_employee(
            "findings in scope",
            n,
            findings_in_scope_sql(false, crate::domain::rules::LONG_RULES, n),
            page_args(&scope_span, n),
            vec!["findings_employee", "findings_employee_at"],
        ),
        by_employee(
            "day totals",
            n,
            read_days_sql(false, &days, n),
            page_args(&day_args, n),
            vec!["day_totals_pkey"],
        ),
        by_employee(
            "amendments",
            n,
            page_amendments_sql(false, n),
            page_args(&[], n),
            vec!["amendments_organisation_id_employee_id_seq_key"],
        ),
        by_employee(
            "queued",
            n,
            page_queued_sql(false, n),
            page_args(&[], n),
            vec!["recompute_queue_pkey"],
        ),
        Statement {
            locks: true,
            ..by_employee(
                "queued versions, locked",
                n,
                queue_locks().sql(false, n),
                page_args(&[], n),
                vec!["recompute_queue_pkey"],
            )
        },
    ]
}

/// The statements of employees and events by id, for `n` ids.
fn by_id_statements(n: usize) -> Vec<Statement> {
    let employee_row = |name, sql| Statement {
        name,
        n,
        sql,
        args: page_args(&[], n),
        indexes: vec!["employees_pkey"],
        column: "id",
        locks: false,
    };
    let event_ids: Vec<String> = (1..=n)
        .map(|i| format!("md5('e{i}')::uuid::text"))
        .collect();
    let mut event_args = vec![format!("'{ORG}'")];
    event_args.extend(id_params(false, &event_ids));
    let by_event = |name, sql, indexes, column| Statement {
        name,
        n,
        sql,
        args: event_args.clone(),
        indexes,
        column,
        locks: false,
    };
    vec![
        Statement {
            locks: true,
            ..employee_row("employees, locked", employee_locks().sql(false, n))
        },
        employee_row("employees", pg_employees_by_id().sql(false, n)),
        employee_row("first worked date", first_worked_sql(false, n)),
        // A batch of status reads: up to `read_batch::MAX_KEYS` employees.
        by_employee(
            "statuses",
            n.min(MAX_KEYS),
            latest_of_many_sql(n.min(MAX_KEYS)),
            page_args(&["8".to_string()], n.min(MAX_KEYS)),
            vec!["clock_events_employee"],
        ),
        // A recompute page's nudges read the mutes of its employees.
        by_employee(
            "nudge mutes",
            n,
            mutes_by_ids().sql(false, n),
            page_args(&[], n),
            vec!["nudge_mutes_pkey"],
        ),
        // A write confirming the statuses it keeps: up to 500 employees.
        by_employee(
            "amended employees",
            n,
            amended_sql(n),
            page_args(&[], n),
            vec!["amendments_organisation_id_employee_id_seq_key"],
        ),
        by_event(
            "events by id",
            events_by_id().sql(false, n),
            vec!["clock_events_pkey"],
            "event_id",
        ),
        by_event(
            "ids amendments hold (ids an insert skipped)",
            amendment_ids_by_id().sql(false, n),
            vec!["amendments_pkey"],
            "amendment_id",
        ),
    ]
}

/// The id lookups the store sends on PostgreSQL (a batch's duplicate
/// check and its probe of amendments; a page's events, amendments, open
/// findings, queue rows, day totals and first worked dates; the findings
/// in a recompute page's scope; the rows a page locks; the nudge mutes of
/// a page's employees; employees and events by id), each at a short
/// length and at the longest it sends (500 ids, padded to 512), planned
/// with the values and planned once for any (the store's
/// `plan_cache_mode = auto` may keep either): every id is looked up. The
/// plans are read first and the database dropped before any assertion, so
/// a failing assertion leaves nothing.
#[tokio::test]
async fn id_lists_are_lookups_per_id_at_every_length_after_six_runs() {
    let Some((store, name, admin)) = seeded().await else {
        return;
    };
    let statements: Vec<Statement> = [8, 500]
        .into_iter()
        .flat_map(|n| page_statements(n).into_iter().chain(by_id_statements(n)))
        .collect();
    let mut plans = Vec::new();
    for statement in &statements {
        for mode in [Mode::Custom, Mode::Generic] {
            let plan = plan_after_six_runs(&store, &statement.sql, &statement.args, mode).await;
            plans.push((statement, mode, plan));
        }
    }
    drop_database(store, &name, &admin).await;
    let problems: Vec<String> = plans
        .iter()
        .filter_map(|(statement, mode, plan)| lookup_problem(statement, *mode, plan))
        .collect();
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
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
    let found: (String, i64) = sqlx::query_as(&not_linked_once_sql(LinkKind::Event, false))
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
    let plan = plan_after_six_runs(
        &store,
        &not_linked_once_sql(LinkKind::Event, false),
        &args,
        Mode::Custom,
    )
    .await;
    drop_database(store, &name, &admin).await;
    assert_eq!(found, (expected.0, 1));
    // A join would be a nested loop here (nothing is analysed): a scan
    // of the links per row.
    assert!(plan.contains("Aggregate"), "{plan}");
    assert!(!plan.contains("Join"), "{plan}");
    assert!(!plan.contains("Nested Loop"), "{plan}");
}

/// A batch's insert tests each row's id against the amendments' key, row
/// by row (`insert_sql`'s `OFFSET 0`), never by a scan or a hash of the
/// organisation's 20,000 amendments, planned with the values and once for
/// any; and it skips the id an amendment holds (the fifth row here).
#[tokio::test]
async fn an_event_insert_probes_the_amendments_key_per_row() {
    let Some((store, name, admin)) = seeded().await else {
        return;
    };
    let mut c = store.reader().acquire().await.unwrap();
    // 500 rows of the seed's employees, one of them with an amendment's id.
    let (rows,): (String,) = sqlx::query_as(&format!(
        "SELECT CAST(json_agg(json_build_array( \
           CASE WHEN i = 5 THEN md5('a1')::uuid::text ELSE md5('n' || i)::uuid::text END, \
           md5((i % {EMPLOYEES} + 1)::text)::uuid::text, 'CLOCK_IN', i, NULL, 'd') ORDER BY i) AS TEXT) \
         FROM generate_series(1, 500) i"
    ))
    .fetch_one(&mut *c)
    .await
    .unwrap();
    drop(c);
    let args = [format!("'{ORG}'"), "0".to_string(), format!("'{rows}'")];
    let mut plans = Vec::new();
    for mode in [Mode::Custom, Mode::Generic] {
        plans.push((
            mode,
            plan_after_six_runs(&store, &insert_sql(false), &args, mode).await,
        ));
    }
    let mut c = store.reader().acquire().await.unwrap();
    let (stored, amended): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(*) FILTER (WHERE event_id = md5('a1')::uuid::text) \
         FROM clock_events WHERE received_at = 0",
    )
    .fetch_one(&mut *c)
    .await
    .unwrap();
    drop(c);
    drop_database(store, &name, &admin).await;
    assert_eq!((stored, amended), (499, 0));
    for (mode, plan) in plans {
        let per_row = plan.contains("SubPlan")
            && plan
                .lines()
                .any(|l| l.contains("using amendments_pkey on amendments"))
            && plan
                .lines()
                .any(|l| l.contains("Index Cond") && l.contains("amendment_id = (j.v ->> 0)"));
        let scanned = plan.contains("Seq Scan on amendments")
            || plan.contains("Anti Join")
            || plan.to_lowercase().contains("hash");
        assert!(per_row && !scanned, "{mode:?}:\n{plan}");
    }
}

/// Employees whose day rows `a_page_deletes_its_day_rows_through_the_key`
/// adds to the seed: a page of 64 is then a small share of the
/// organisation, as in one of any size. (In the seed's 200, a page is a
/// third of the organisation, and PostgreSQL rightly reads the
/// organisation's rows and filters them.)
const DAY_EMPLOYEES: usize = 2_000;

/// A recompute page deletes the day rows it no longer writes (days no
/// longer worked after a correction) by (employee, day) pairs unpacked
/// from JSON, with the pairs' employees as a list beside them
/// (`delete_days_sql`): on a database not analysed yet, for a short page
/// and a whole one (64 employees) of an organisation of 2,000 with 100
/// days each, PostgreSQL reaches the rows through the key with the
/// employee in its condition (by index or by bitmap), never a scan of the
/// organisation's rows. Exactly the pairs named are deleted.
#[tokio::test]
async fn a_page_deletes_its_day_rows_through_the_key() {
    let Some((store, name, admin)) = seeded().await else {
        return;
    };
    let mut c = store.reader().acquire().await.unwrap();
    c.execute(
        format!(
            "INSERT INTO day_totals (organisation_id, employee_id, day, worked, normal, \
             overtime, night, sunday_holiday, home, overtime_spans) \
             SELECT '{ORG}', md5(e::text)::uuid::text, \
             to_char(DATE '2026-01-01' + d, 'YYYY-MM-DD'), 1, 1, 0, 0, 0, 0, '' \
             FROM generate_series({EMPLOYEES} + 1, {DAY_EMPLOYEES}) e, \
             generate_series(0, {DAYS} - 1) d"
        )
        .as_str(),
    )
    .await
    .unwrap();
    drop(c);
    let mut plans = Vec::new();
    let mut left = Vec::new();
    for (employees, first_day) in [(8, 10), (64, 20)] {
        // Three days of each of the first `employees` employees.
        let mut c = store.reader().acquire().await.unwrap();
        let (pairs,): (String,) = sqlx::query_as(&format!(
            "SELECT CAST(json_agg(json_build_array(md5(e::text)::uuid::text, \
               to_char(DATE '2026-01-01' + d, 'YYYY-MM-DD'))) AS TEXT) \
             FROM generate_series(1, {employees}) e, \
             generate_series({first_day}, {first_day} + 2) d"
        ))
        .fetch_one(&mut *c)
        .await
        .unwrap();
        drop(c);
        let args = page_args(&[format!("'{pairs}'")], employees);
        let sql = delete_days_sql(false, employees);
        for mode in [Mode::Custom, Mode::Generic] {
            plans.push((
                employees,
                mode,
                plan_after_six_runs(&store, &sql, &args, mode).await,
            ));
        }
        let mut c = store.reader().acquire().await.unwrap();
        let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM day_totals")
            .fetch_one(&mut *c)
            .await
            .unwrap();
        left.push(rows);
    }
    drop_database(store, &name, &admin).await;
    let all = i64::try_from(DAY_EMPLOYEES * DAYS).unwrap();
    assert_eq!(left, vec![all - 8 * 3, all - 8 * 3 - 64 * 3]);
    for (employees, mode, plan) in plans {
        let keyed = plan.lines().any(|l| {
            l.contains("using day_totals_pkey on day_totals")
                || l.contains("Bitmap Index Scan on day_totals_pkey")
        }) && plan
            .lines()
            .any(|l| l.contains("Index Cond") && l.contains("employee_id"));
        let scanned = plan.contains("Seq Scan on day_totals");
        assert!(
            keyed && !scanned,
            "{employees} employees, {mode:?}:\n{plan}"
        );
    }
}
