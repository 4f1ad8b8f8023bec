//! The scenarios of issue 15, each beside its ceiling in the same run:
//! rounds alternate between Tidsvakt and the ceiling, so both see the same
//! machine. Before every round the server's recompute queue is drained, and
//! the server's CPU is counted until the work of the round is drained too
//! (background recompute included).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use tidsvakt::pb;

use crate::baseline::{Plan, RawDb};
use crate::database::Backend;
use crate::db_cpu::{self, DbCpu};
use crate::load::{Clock, Reader, round};
use crate::process::{Proc, free_addr};
use crate::schedule;
use crate::server::Server;
use crate::stats::{Side, Spread};

/// Sizes of a run; `--quick` shrinks them.
#[derive(Clone, Debug, Serialize)]
pub struct Settings {
    pub rounds: usize,
    pub employees: usize,
    pub clients: usize,
    pub record_per_round: usize,
    pub sync_streams: usize,
    pub sync_batches_per_round: usize,
    pub batch: usize,
    pub history_weeks: u64,
    pub readers: usize,
    pub reads_per_round: usize,
    /// Employees of the payroll pull (`totals-sqlite`).
    pub totals_employees: usize,
    /// Events per second held by `freshness-sqlite`, and for how long a round.
    pub fresh_rate: usize,
    pub fresh_seconds: u64,
    #[serde(skip)]
    pub server: PathBuf,
    #[serde(skip)]
    pub me: PathBuf,
    #[serde(skip)]
    pub dir: PathBuf,
    #[serde(skip)]
    pub pg_url: String,
}

impl Settings {
    #[must_use]
    pub fn full() -> Self {
        Self {
            rounds: 5,
            employees: 1000,
            clients: 64,
            record_per_round: 6400,
            sync_streams: 8,
            sync_batches_per_round: 16,
            batch: 1000,
            history_weeks: 52,
            readers: 8,
            // About a second a round: at 400 (a tenth of a second) the
            // no-op's CPU was two 10 ms clock ticks a round, the server's
            // twenty, and the server's CPU a call moved by a fifth between
            // runs of one binary (twenty-sixth round).
            reads_per_round: 4000,
            totals_employees: 10_000,
            fresh_rate: 1000,
            fresh_seconds: 10,
            server: PathBuf::new(),
            me: PathBuf::new(),
            dir: PathBuf::new(),
            pg_url: String::new(),
        }
    }

    #[must_use]
    pub fn quick() -> Self {
        Self {
            rounds: 3,
            employees: 50,
            clients: 8,
            record_per_round: 160,
            sync_streams: 2,
            sync_batches_per_round: 2,
            batch: 100,
            history_weeks: 3,
            readers: 2,
            reads_per_round: 8,
            totals_employees: 100,
            fresh_rate: 100,
            fresh_seconds: 2,
            ..Self::full()
        }
    }
}

/// One round: Tidsvakt and its ceiling.
#[derive(Clone, Debug, Serialize)]
pub struct Round {
    pub tidsvakt: Side,
    pub ceiling: Side,
    /// Seconds until the server's recompute queue was empty after the round.
    pub recompute_drained_s: f64,
    /// How far findings lagged behind acknowledged events (freshness only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag: Option<crate::freshness::Lag>,
}

/// Medians and ranges over the rounds.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub per_second: Spread,
    pub p50_ms: Spread,
    pub p99_ms: Spread,
    pub cpu_us_per_op: Option<Spread>,
    pub ceiling_per_second: Spread,
    pub ceiling_p50_ms: Spread,
    pub ceiling_p99_ms: Spread,
    pub ceiling_cpu_us_per_op: Option<Spread>,
    /// The database's CPU per operation for each side (PostgreSQL).
    pub db_cpu_us_per_op: Option<Spread>,
    pub ceiling_db_cpu_us_per_op: Option<Spread>,
    /// Tidsvakt's database CPU while the round's calls ran (see
    /// `Side::db_cpu_in_round_us_per_op`).
    pub db_cpu_in_round_us_per_op: Option<Spread>,
    /// Tidsvakt's throughput over the ceiling's, round by round.
    pub ratio: Spread,
    /// Tidsvakt's p99 over the ceiling's, round by round.
    pub p99_factor: Spread,
    /// Tidsvakt's CPU per operation over the ceiling's, round by round.
    pub cpu_factor: Option<Spread>,
    pub recompute_drained_s: Spread,
    /// The lag's p99 and maximum over the rounds (freshness only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag_p99_s: Option<Spread>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag_max_s: Option<Spread>,
}

/// A measured scenario.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    pub id: &'static str,
    pub title: String,
    pub unit: &'static str,
    pub ceiling: String,
    pub rounds: Vec<Round>,
    pub summary: Summary,
    pub notes: Vec<String>,
}

impl Outcome {
    pub(crate) fn new(
        id: &'static str,
        title: String,
        unit: &'static str,
        ceiling: String,
        rounds: Vec<Round>,
        notes: Vec<String>,
    ) -> Self {
        let f = |get: &dyn Fn(&Round) -> f64| Spread::of(rounds.iter().map(get));
        let opt = |get: &dyn Fn(&Round) -> Option<f64>| {
            let v: Option<Vec<f64>> = rounds.iter().map(get).collect();
            v.map(Spread::of)
        };
        let summary = Summary {
            per_second: f(&|r| r.tidsvakt.per_second),
            p50_ms: f(&|r| r.tidsvakt.p50_ms),
            p99_ms: f(&|r| r.tidsvakt.p99_ms),
            cpu_us_per_op: opt(&|r| r.tidsvakt.cpu_us_per_op),
            ceiling_per_second: f(&|r| r.ceiling.per_second),
            ceiling_p50_ms: f(&|r| r.ceiling.p50_ms),
            ceiling_p99_ms: f(&|r| r.ceiling.p99_ms),
            ceiling_cpu_us_per_op: opt(&|r| r.ceiling.cpu_us_per_op),
            db_cpu_us_per_op: opt(&|r| r.tidsvakt.db_cpu_us_per_op),
            ceiling_db_cpu_us_per_op: opt(&|r| r.ceiling.db_cpu_us_per_op),
            db_cpu_in_round_us_per_op: opt(&|r| r.tidsvakt.db_cpu_in_round_us_per_op),
            ratio: f(&|r| r.tidsvakt.per_second / r.ceiling.per_second),
            p99_factor: f(&|r| r.tidsvakt.p99_ms / r.ceiling.p99_ms),
            cpu_factor: cpu_factor(&rounds),
            recompute_drained_s: f(&|r| r.recompute_drained_s),
            lag_p99_s: opt(&|r| r.lag.map(|l| l.p99_s)),
            lag_max_s: opt(&|r| r.lag.map(|l| l.max_s)),
        };
        Self {
            id,
            title,
            unit,
            ceiling,
            rounds,
            summary,
            notes,
        }
    }
}

/// Tidsvakt's CPU per operation over the ceiling's, round by round; rounds
/// where the ceiling used less than a clock tick are left out.
fn cpu_factor(rounds: &[Round]) -> Option<Spread> {
    let v: Vec<f64> = rounds
        .iter()
        .filter_map(|r| Some(r.tidsvakt.cpu_us_per_op? / r.ceiling.cpu_us_per_op?))
        .filter(|f| f.is_finite())
        .collect();
    (!v.is_empty()).then(|| Spread::of(v))
}

/// Every scenario, most important first.
pub const ALL: [&str; 10] = [
    "record-sqlite",
    "record-postgres",
    "freshness-sqlite",
    "sync-sqlite",
    "sync-postgres",
    "record-sqlite-history",
    "timesheet-sqlite-history",
    "totals-sqlite",
    "totals-sqlite-loaded",
    "plan-change-sqlite",
];

pub(crate) const DRAIN_LIMIT: Duration = Duration::from_secs(900);

/// The no-op server as its own process (this binary, `--noop-server`).
pub(crate) async fn noop(s: &Settings, timesheet: Option<&Path>) -> anyhow::Result<Proc> {
    let addr = free_addr()?;
    let mut args = vec![
        "--noop-server".to_owned(),
        "--listen".to_owned(),
        addr.to_string(),
    ];
    if let Some(file) = timesheet {
        args.extend(["--timesheet".to_owned(), file.display().to_string()]);
    }
    let mut p = Proc::start(&s.me, &args, &s.dir.join("noop.log"), addr)?;
    p.wait_ready(Duration::from_secs(30)).await?;
    Ok(p)
}

/// A server with `employees` employees and `clients` clock tokens, settled.
pub(crate) async fn seeded(
    s: &Settings,
    backend: Backend,
) -> anyhow::Result<(Server, Vec<String>, Vec<String>)> {
    let server = Server::start(&s.server, backend, &s.dir, &s.pg_url).await?;
    let employees = server.employees(s.employees).await?;
    let tokens = server.clock_tokens(s.clients.max(s.sync_streams)).await?;
    server.wait_recomputed(DRAIN_LIMIT).await?;
    Ok((server, employees, tokens))
}

/// Live events start 20 weeks back; a year of history ends before that.
pub(crate) fn live_base() -> chrono::NaiveDate {
    schedule::monday_weeks_before(chrono::Utc::now(), 20)
}

/// The server's CPU from `before` until its recompute queue is empty again;
/// how long the draining took.
pub(crate) async fn settle(server: &Server, before: f64) -> anyhow::Result<(f64, f64)> {
    let drained = server.wait_recomputed(DRAIN_LIMIT).await?;
    Ok((server.proc.cpu_us()? - before, drained.as_secs_f64()))
}

async fn record_rounds(
    s: &Settings,
    server: &Server,
    mut clocks: Vec<Clock>,
    mut ceiling: impl AsyncFnMut() -> anyhow::Result<Side>,
    (server_db, ceiling_db): (Option<&DbCpu>, Option<&DbCpu>),
) -> anyhow::Result<Vec<Round>> {
    let per_client = s.record_per_round / s.clients;
    // For a profiler attached to the server (`perf record -p`).
    eprintln!(
        "bench: record: clocks ready; rounds start (server pid {})",
        server.proc.pid()
    );
    let mut rounds = Vec::new();
    for _ in 0..s.rounds {
        let db = db_cpu::sample(server_db).await?;
        let cpu = server.proc.cpu_us()?;
        let (back, latencies, elapsed) = round(clocks, move |c| c.record(per_client)).await?;
        clocks = back;
        let answered = db_cpu::sample(server_db).await?;
        let (cpu, drained) = settle(server, cpu).await?;
        let tidsvakt = Side::new(latencies, elapsed, Some(cpu))
            .with_db_cpu(db_cpu::since(server_db, db.as_ref()).await?)
            .with_db_cpu_in_round(db_cpu::between(db.as_ref(), answered.as_ref()));
        let db = db_cpu::sample(ceiling_db).await?;
        let ceiling = ceiling().await?;
        let ceiling = ceiling.with_db_cpu(db_cpu::since(ceiling_db, db.as_ref()).await?);
        rounds.push(Round {
            tidsvakt,
            ceiling,
            recompute_drained_s: drained,
            lag: None,
        });
    }
    Ok(rounds)
}

/// A round of the no-op server's `RecordEvent`, CPU counted on its process.
async fn noop_record(
    s: &Settings,
    noop: &Proc,
    clocks: Vec<Clock>,
) -> anyhow::Result<(Vec<Clock>, Side)> {
    let per_client = s.record_per_round / s.clients;
    let cpu = noop.cpu_us()?;
    let (back, latencies, elapsed) = round(clocks, move |c| c.record(per_client)).await?;
    let cpu = noop.cpu_us()? - cpu;
    Ok((back, Side::new(latencies, elapsed, Some(cpu))))
}

pub async fn record_sqlite(s: &Settings, history: bool) -> anyhow::Result<Vec<Outcome>> {
    let (server, employees, tokens) = seeded(s, Backend::Sqlite).await?;
    let mut notes = Vec::new();
    if history {
        notes.push(seed_history(s, &server, &employees, &tokens).await?);
    }
    let base = live_base();
    let clocks = Clock::many(server.proc.addr, &tokens[..s.clients], &employees, base).await?;
    let noop = noop(s, None).await?;
    let mut noop_clocks =
        Some(Clock::many(noop.addr, &tokens[..s.clients], &employees, base).await?);
    let rounds = record_rounds(
        s,
        &server,
        clocks,
        async || {
            let (back, side) =
                noop_record(s, &noop, noop_clocks.take().unwrap_or_default()).await?;
            noop_clocks = Some(back);
            Ok(side)
        },
        (None, None),
    )
    .await?;
    let mut outcomes = Vec::new();
    let (id, title) = if history {
        (
            "record-sqlite-history",
            format!(
                "RecordEvent, SQLite, {} clients, each employee with {} weeks of history",
                s.clients, s.history_weeks
            ),
        )
    } else {
        (
            "record-sqlite",
            format!("RecordEvent, SQLite, {} clients", s.clients),
        )
    };
    let ceiling = format!("no-op gRPC server, {} clients", s.clients);
    outcomes.push(Outcome::new(
        id,
        title,
        "events/s",
        ceiling,
        rounds,
        notes.clone(),
    ));
    if history {
        outcomes.push(timesheet(s, &server, &employees).await?);
    }
    server.stop().await?;
    Ok(outcomes)
}

pub async fn record_postgres(s: &Settings) -> anyhow::Result<Outcome> {
    let (server, employees, tokens) = seeded(s, Backend::Postgres).await?;
    let base = live_base();
    let clocks = Clock::many(server.proc.addr, &tokens[..s.clients], &employees, base).await?;
    let conns = u32::try_from(s.clients)?;
    let raw = RawDb::create(
        Backend::Postgres,
        &s.dir,
        &s.pg_url,
        &s.server,
        s.employees,
        conns,
    )
    .await?;
    let mut plan = Plan::new(raw.employees.clone(), base);
    let (server_db, ceiling_db) = (DbCpu::of(&server.db), DbCpu::of(&raw.db));
    let rounds = record_rounds(
        s,
        &server,
        clocks,
        async || {
            raw.single_rows(s.clients, s.record_per_round, &mut plan)
                .await
        },
        (server_db.as_ref(), ceiling_db.as_ref()),
    )
    .await?;
    raw.pool.close().await;
    raw.db.drop_now().await?;
    server.stop().await?;
    Ok(Outcome::new(
        "record-postgres",
        format!("RecordEvent, PostgreSQL, {} clients", s.clients),
        "events/s",
        format!(
            "1-row insert transactions at {} connections (sqlx)",
            s.clients
        ),
        rounds,
        Vec::new(),
    ))
}

pub async fn sync(s: &Settings, backend: Backend) -> anyhow::Result<Outcome> {
    let (server, employees, tokens) = seeded(s, backend).await?;
    let base = live_base();
    let mut clocks = Clock::many(
        server.proc.addr,
        &tokens[..s.sync_streams],
        &employees,
        base,
    )
    .await?;
    let conns = u32::try_from(s.sync_streams)?;
    let raw = RawDb::create(backend, &s.dir, &s.pg_url, &s.server, s.employees, conns).await?;
    let mut plan = Plan::new(raw.employees.clone(), base);
    let per_stream = s.sync_batches_per_round / s.sync_streams;
    let batch = s.batch;
    let (server_db, ceiling_db) = (DbCpu::of(&server.db), DbCpu::of(&raw.db));
    let mut rounds = Vec::new();
    for _ in 0..s.rounds {
        let db = db_cpu::sample(server_db.as_ref()).await?;
        let cpu = server.proc.cpu_us()?;
        let (back, latencies, elapsed) = round(clocks, move |c| c.sync(per_stream, batch)).await?;
        clocks = back;
        let answered = db_cpu::sample(server_db.as_ref()).await?;
        let (cpu, drained) = settle(&server, cpu).await?;
        let tidsvakt = Side::new(latencies, elapsed, Some(cpu))
            .with_db_cpu(db_cpu::since(server_db.as_ref(), db.as_ref()).await?)
            .with_db_cpu_in_round(db_cpu::between(db.as_ref(), answered.as_ref()))
            .per_item(batch as u64);
        let db = db_cpu::sample(ceiling_db.as_ref()).await?;
        let ceiling = raw
            .batches(s.sync_streams, s.sync_batches_per_round, batch, &mut plan)
            .await?
            .with_db_cpu(db_cpu::since(ceiling_db.as_ref(), db.as_ref()).await?);
        rounds.push(Round {
            tidsvakt,
            ceiling,
            recompute_drained_s: drained,
            lag: None,
        });
    }
    raw.pool.close().await;
    raw.db.drop_now().await?;
    server.stop().await?;
    let (id, ceiling) = match backend {
        Backend::Sqlite => (
            "sync-sqlite",
            format!(
                "{batch}-row insert transactions (sqlx), {} connections",
                s.sync_streams
            ),
        ),
        Backend::Postgres => (
            "sync-postgres",
            format!(
                "{batch}-row multi-row insert transactions (sqlx), {} connections",
                s.sync_streams
            ),
        ),
    };
    Ok(Outcome::new(
        id,
        format!(
            "SyncEvents, {batch} per batch, {}, {} streams",
            backend.name(),
            s.sync_streams
        ),
        "events/s",
        ceiling,
        rounds,
        vec!["latencies are per batch".into()],
    ))
}

/// `history_weeks` of the pattern for every employee, through `SyncEvents`
/// (one stream per clock token, one employee's events per batch of up to
/// 1,000), then the recompute drained. Returns a note on what it cost.
async fn seed_history(
    s: &Settings,
    server: &Server,
    employees: &[String],
    tokens: &[String],
) -> anyhow::Result<String> {
    let started = std::time::Instant::now();
    let base =
        schedule::monday_weeks_before(chrono::Utc::now(), 20 + i64::try_from(s.history_weeks)?);
    let slots = schedule::slots_in_weeks(s.history_weeks);
    let clocks = Clock::many(server.proc.addr, &tokens[..s.sync_streams], employees, base).await?;
    let tasks: Vec<_> = clocks
        .into_iter()
        .map(|mut c| {
            tokio::spawn(async move {
                for e in c.employees().to_vec() {
                    c.sync_history(&e, 0, slots, 1000).await?;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for t in tasks {
        t.await??;
    }
    let stored = started.elapsed();
    let drained = server.wait_recomputed(Duration::from_secs(3600)).await?;
    Ok(format!(
        "history: {} events ({} per employee) through SyncEvents in {:.0} s, recompute drained {:.0} s later",
        slots * employees.len() as u64,
        slots,
        stored.as_secs_f64(),
        drained.as_secs_f64()
    ))
}

/// `GetTimesheet` of a month inside the history, by `readers` people each
/// reading their own record, beside a no-op server sending the same answer.
async fn timesheet(s: &Settings, server: &Server, employees: &[String]) -> anyhow::Result<Outcome> {
    // Months wholly inside the history: it runs from `20 + weeks` to 20 weeks back.
    let now = chrono::Utc::now().date_naive();
    let first = now - chrono::Duration::weeks(19 + i64::try_from(s.history_weeks)?);
    let months: Vec<(i32, i32)> = (1..)
        .map_while(|m| first.checked_add_months(chrono::Months::new(m)))
        .take_while(|d| *d < now - chrono::Duration::weeks(20) - chrono::Duration::days(31))
        .map(|d| {
            use chrono::Datelike as _;
            (d.year(), i32::try_from(d.month()).unwrap_or(1))
        })
        .collect();
    let months = if months.is_empty() {
        vec![first_month(first)]
    } else {
        months
    };
    let mut readers = Vec::new();
    let mut noop_readers = Vec::new();
    let file = s.dir.join("timesheet.bin");
    for e in employees.iter().take(s.readers) {
        let token = server.token(pb::Role::Employee, Some(e)).await?;
        let mut r = Reader::new(server.proc.addr, token.clone(), e.clone(), months.clone()).await?;
        if !file.exists() {
            let answer = r.once().await?;
            std::fs::write(&file, prost::Message::encode_to_vec(&answer))?;
        }
        readers.push(r);
        noop_readers.push((token, e.clone()));
    }
    let noop = noop(s, Some(&file)).await?;
    let mut nr = Vec::new();
    for (token, e) in noop_readers {
        nr.push(Reader::new(noop.addr, token, e, months.clone()).await?);
    }
    let mut noop_readers = nr;
    let per_reader = s.reads_per_round / s.readers;
    // For a profiler attached to the server (`perf record -p`): the record
    // rounds before this one run on the same server.
    eprintln!(
        "bench: timesheet: readers ready; rounds start (server pid {})",
        server.proc.pid()
    );
    let mut rounds = Vec::new();
    for _ in 0..s.rounds {
        let cpu = server.proc.cpu_us()?;
        let (back, latencies, elapsed) = round(readers, move |r| r.read(per_reader)).await?;
        readers = back;
        let (cpu, drained) = settle(server, cpu).await?;
        let tidsvakt = Side::new(latencies, elapsed, Some(cpu));
        let ncpu = noop.cpu_us()?;
        let (back, latencies, elapsed) = round(noop_readers, move |r| r.read(per_reader)).await?;
        noop_readers = back;
        let ceiling = Side::new(latencies, elapsed, Some(noop.cpu_us()? - ncpu));
        rounds.push(Round {
            tidsvakt,
            ceiling,
            recompute_drained_s: drained,
            lag: None,
        });
    }
    let bytes = std::fs::metadata(&file)?.len();
    Ok(Outcome::new(
        "timesheet-sqlite-history",
        format!(
            "GetTimesheet, SQLite, a month with {} weeks stored, {} callers",
            s.history_weeks, s.readers
        ),
        "calls/s",
        format!("no-op gRPC server sending the same answer ({bytes} bytes)"),
        rounds,
        vec![format!("months read in turn: {}", months.len())],
    ))
}

fn first_month(d: chrono::NaiveDate) -> (i32, i32) {
    use chrono::Datelike as _;
    (d.year(), i32::try_from(d.month()).unwrap_or(1))
}
