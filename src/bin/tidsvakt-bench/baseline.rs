//! The raw-insert ceiling: the same `clock_events` rows written with sqlx
//! straight into the same schema (migrated by the server binary itself), with
//! nothing else: no authentication, no chain link, no recompute queue.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use sqlx::AnyPool;
use tidsvakt::domain::event::Location;
use tidsvakt::pb;
use uuid::Uuid;

use crate::database::{Backend, FreshDb};
use crate::stats::Side;

/// SQLite's pragmas as the server sets them, so a commit costs the same fsync.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;";

/// A migrated database with one organisation and its employees, nothing else.
pub struct RawDb {
    pub db: FreshDb,
    pub pool: AnyPool,
    organisation: String,
    pub employees: Vec<String>,
}

/// One row as the server would store it.
struct Row {
    event: pb::ClockEvent,
    received_at: i64,
}

impl RawDb {
    pub async fn create(
        backend: Backend,
        dir: &Path,
        pg_url: &str,
        server: &Path,
        employees: usize,
        connections: u32,
    ) -> anyhow::Result<Self> {
        let db = FreshDb::create(backend, dir, pg_url).await?;
        let out = Command::new(server)
            .args(["migrate", "--data-dir"])
            .arg(dir)
            .args(["--database-url", &db.url])
            .output()
            .context("running `tidsvakt migrate`")?;
        if !out.status.success() {
            bail!(
                "`tidsvakt migrate` failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        sqlx::any::install_default_drivers();
        let sqlite = backend == Backend::Sqlite;
        let pool = sqlx::any::AnyPoolOptions::new()
            .max_connections(connections)
            .min_connections(connections)
            // As the server's pools: no ping on acquire on SQLite.
            .test_before_acquire(!sqlite)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if sqlite {
                        sqlx::Executor::execute(conn, SQLITE_PRAGMAS).await?;
                    }
                    Ok(())
                })
            })
            .connect(&db.url)
            .await?;
        let organisation = Uuid::new_v4().to_string();
        let now = micros(chrono::Utc::now());
        sqlx::query("INSERT INTO organisations (id, name, created_at) VALUES ($1, 'bench', $2)")
            .bind(&organisation)
            .bind(now)
            .execute(&pool)
            .await?;
        let ids: Vec<String> = (0..employees).map(|_| Uuid::new_v4().to_string()).collect();
        for chunk in ids.chunks(500) {
            let sql = format!(
                "INSERT INTO employees (id, organisation_id, external_id, name, email, time_zone, \
                 locale, rule_pack, exemption, active, created_at, updated_at) VALUES {}",
                placeholders(chunk.len(), 12, backend == Backend::Sqlite)
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q
                    .bind(id.clone())
                    .bind(organisation.clone())
                    .bind(id.clone())
                    .bind("Bench")
                    .bind("bench@example.no")
                    .bind("Europe/Oslo")
                    .bind("nb")
                    .bind("no-aml")
                    .bind("none")
                    .bind(1_i64)
                    .bind(now)
                    .bind(now);
            }
            q.execute(&pool).await?;
        }
        Ok(Self {
            db,
            pool,
            organisation,
            employees: ids,
        })
    }

    /// Queues every employee for a recompute in one transaction, as a plan
    /// change for the whole organisation does (multi-row upserts of 500);
    /// how long that took. The queue is emptied after, untimed.
    pub async fn queue_everyone(&self) -> anyhow::Result<Duration> {
        let now = micros(chrono::Utc::now());
        let t = Instant::now();
        let mut tx = self.pool.begin().await?;
        let sqlite = tx.backend_name() == "SQLite";
        for chunk in self.employees.chunks(500) {
            let sql = format!(
                "INSERT INTO recompute_queue (organisation_id, employee_id, from_at, to_at, \
                 version, queued_at) VALUES {} ON CONFLICT (organisation_id, employee_id) \
                 DO UPDATE SET version = recompute_queue.version + 1",
                placeholders(chunk.len(), 6, sqlite)
            );
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q
                    .bind(self.organisation.clone())
                    .bind(id.clone())
                    .bind(now - 86_400_000_000)
                    .bind(now + 86_400_000_000)
                    .bind(1_i64)
                    .bind(now);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        let elapsed = t.elapsed();
        sqlx::query("DELETE FROM recompute_queue")
            .execute(&self.pool)
            .await?;
        Ok(elapsed)
    }

    /// `count` rows, one transaction each, from `connections` tasks at once.
    pub async fn single_rows(
        &self,
        connections: usize,
        count: usize,
        plan: &mut Plan,
    ) -> anyhow::Result<Side> {
        let per_task = count / connections;
        let mut tasks = Vec::new();
        let started = Instant::now();
        for _ in 0..connections {
            let rows: Vec<Row> = (0..per_task).map(|_| plan.row()).collect();
            let (pool, org) = (self.pool.clone(), self.organisation.clone());
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(rows.len());
                for row in rows {
                    let t = Instant::now();
                    let mut tx = pool.begin().await?;
                    insert(&mut tx, &org, std::slice::from_ref(&row)).await?;
                    tx.commit().await?;
                    latencies.push(t.elapsed());
                }
                anyhow::Ok(latencies)
            }));
        }
        collect(tasks, started, 1).await
    }

    /// `batches` multi-row INSERTs of `batch` rows, each its own transaction,
    /// from `connections` tasks at once.
    pub async fn batches(
        &self,
        connections: usize,
        batches: usize,
        batch: usize,
        plan: &mut Plan,
    ) -> anyhow::Result<Side> {
        let per_task = batches / connections;
        let mut tasks = Vec::new();
        let started = Instant::now();
        for _ in 0..connections {
            let work: Vec<Vec<Row>> = (0..per_task)
                .map(|_| (0..batch).map(|_| plan.row()).collect())
                .collect();
            let (pool, org) = (self.pool.clone(), self.organisation.clone());
            tasks.push(tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(work.len());
                for rows in work {
                    let t = Instant::now();
                    let mut tx = pool.begin().await?;
                    insert(&mut tx, &org, &rows).await?;
                    tx.commit().await?;
                    latencies.push(t.elapsed());
                }
                anyhow::Ok(latencies)
            }));
        }
        collect(tasks, started, batch as u64).await
    }
}

async fn collect(
    tasks: Vec<tokio::task::JoinHandle<anyhow::Result<Vec<Duration>>>>,
    started: Instant,
    per_call: u64,
) -> anyhow::Result<Side> {
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(Side::new(all, started.elapsed(), None).per_item(per_call))
}

/// `($1, $2, …), (…)` for `rows` rows of `cols` columns on PostgreSQL;
/// `(?, ?, …)` on SQLite, which binds anonymous parameters by position
/// without looking a name up per parameter (as the server's batch
/// statements do, so the ceiling is the fastest way sqlx inserts).
fn placeholders(rows: usize, cols: usize, sqlite: bool) -> String {
    (0..rows)
        .map(|r| {
            let row: Vec<String> = (1..=cols)
                .map(|c| {
                    if sqlite {
                        "?".to_owned()
                    } else {
                        format!("${}", r * cols + c)
                    }
                })
                .collect();
            format!("({})", row.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Inserts `rows` with one multi-row INSERT on `conn`.
async fn insert(
    conn: &mut sqlx::AnyConnection,
    organisation: &str,
    rows: &[Row],
) -> anyhow::Result<()> {
    let sql = format!(
        "INSERT INTO clock_events (organisation_id, event_id, employee_id, kind, occurred_at, \
         location, device_id, received_at) VALUES {}",
        placeholders(rows.len(), 8, conn.backend_name() == "SQLite")
    );
    let mut q = sqlx::query(&sql);
    for row in rows {
        let e = &row.event;
        let kind = tidsvakt::grpc::convert::event_kind("kind", e.kind)?;
        let location = tidsvakt::grpc::convert::location_for("location", kind, e.location)?
            .map(Location::as_str);
        let at = e
            .occurred_at
            .as_ref()
            .map_or(0, |t| t.seconds * 1_000_000 + i64::from(t.nanos) / 1000);
        q = q
            .bind(organisation.to_owned())
            .bind(e.event_id.clone())
            .bind(e.employee_id.clone())
            .bind(kind.as_str())
            .bind(at)
            .bind(location)
            .bind(e.device_id.clone())
            .bind(row.received_at);
    }
    q.execute(conn).await?;
    Ok(())
}

fn micros(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_micros()
}

/// The rows of the raw side: the same event pattern, employee after employee.
pub struct Plan {
    employees: Vec<String>,
    next: Vec<u64>,
    turn: usize,
    base: chrono::NaiveDate,
}

impl Plan {
    #[must_use]
    pub fn new(employees: Vec<String>, base: chrono::NaiveDate) -> Self {
        let next = vec![0; employees.len()];
        Self {
            employees,
            next,
            turn: 0,
            base,
        }
    }

    fn row(&mut self) -> Row {
        let i = self.turn % self.employees.len();
        self.turn += 1;
        let event = crate::schedule::event(&self.employees[i], self.base, self.next[i]);
        self.next[i] += 1;
        Row {
            event,
            received_at: micros(chrono::Utc::now()),
        }
    }
}
