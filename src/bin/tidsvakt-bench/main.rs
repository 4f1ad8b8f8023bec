//! `tidsvakt-bench`: the load harness of issue 15. It starts the real
//! release server as its own process on a fresh database (background jobs
//! on), seeds it over gRPC, drives it from this process with many clients,
//! and measures each scenario beside its ceiling in the same run: a no-op
//! tonic server with the same contract (this binary again, `--noop-server`)
//! or raw sqlx inserts of the same rows into the same schema.
//!
//!     cargo build --release --bins
//!     target/release/tidsvakt-bench [--quick] [--json out.json] [SCENARIO…]

#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::missing_panics_doc
)]

/// The allocator the server has, so that the no-op ceiling is served alike.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod baseline;
mod database;
mod db_cpu;
mod freshness;
mod load;
mod noop;
mod plan_change;
mod process;
mod report;
mod scenarios;
mod schedule;
mod server;
mod stats;
mod totals;

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Parser;

use crate::database::Backend;
use crate::scenarios::{ALL, Settings};

/// Load benchmarks of the real server against their ceilings (issue 15).
#[derive(Debug, Parser)]
#[command(name = "tidsvakt-bench")]
struct Args {
    /// Scenarios to run (default: all): record-sqlite, record-postgres,
    /// freshness-sqlite, sync-sqlite, sync-postgres, record-sqlite-history, timesheet-sqlite-history,
    /// totals-sqlite, totals-sqlite-loaded, plan-change-sqlite.
    scenarios: Vec<String>,
    /// A short smoke run: few employees, clients and events (seconds, not minutes).
    #[arg(long)]
    quick: bool,
    /// Also write the results as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// The server binary (default: `tidsvakt` beside this binary).
    #[arg(long)]
    server: Option<PathBuf>,
    /// PostgreSQL to create the fresh databases on.
    #[arg(
        long,
        env = "TIDSVAKT_BENCH_PG_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pg_url: String,
    /// Measured rounds per scenario (default 5; 3 with --quick).
    #[arg(long)]
    rounds: Option<usize>,
    /// Weeks of history per employee for the *-history scenarios (default 52).
    #[arg(long)]
    history_weeks: Option<u64>,
    /// Internal: serve the no-op ceiling on --listen and nothing else.
    #[arg(long, hide = true)]
    noop_server: bool,
    #[arg(long, hide = true)]
    listen: Option<SocketAddr>,
    #[arg(long, hide = true)]
    timesheet: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.noop_server {
        let listen = args.listen.context("--noop-server needs --listen")?;
        return noop::serve(listen, args.timesheet.as_deref());
    }
    let mut chosen: Vec<&str> = Vec::new();
    for s in &args.scenarios {
        match ALL.iter().find(|a| **a == s.as_str()) {
            Some(a) => chosen.push(a),
            None => bail!(
                "unknown scenario '{s}'; the scenarios are: {}",
                ALL.join(", ")
            ),
        }
    }
    if chosen.is_empty() {
        chosen = ALL.to_vec();
    }
    let mut settings = if args.quick {
        Settings::quick()
    } else {
        Settings::full()
    };
    if let Some(r) = args.rounds {
        anyhow::ensure!(r >= 1, "--rounds: must be at least 1");
        settings.rounds = r;
    }
    if let Some(w) = args.history_weeks {
        anyhow::ensure!(
            (1..=52).contains(&w),
            "--history-weeks: {w} is outside 1..=52"
        );
        settings.history_weeks = w;
    }
    settings.server = match args.server {
        Some(p) => p,
        None => process::sibling_server()?,
    };
    if !settings.server.exists() {
        bail!(
            "the server binary {} does not exist; build it with `cargo build --release --bins` or pass --server",
            settings.server.display()
        );
    }
    settings.me = std::env::current_exe()?;
    let dir =
        std::env::temp_dir().join(format!("tidsvakt-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    settings.dir.clone_from(&dir);
    settings.pg_url = args.pg_url;

    let started = chrono::Utc::now();
    let load_before = process::load_average();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let scenarios = rt.block_on(run(&settings, &chosen))?;
    let report = report::Report {
        command: std::env::args().collect::<Vec<_>>().join(" "),
        started: started.to_rfc3339(),
        commit: commit(),
        load_average_before: load_before,
        load_average_after: process::load_average(),
        settings,
        scenarios,
    };
    println!("{}", report::markdown(&report));
    println!(
        "load average before {}, after {}; commit {}; started {}",
        report.load_average_before, report.load_average_after, report.commit, report.started
    );
    if let Some(file) = args.json {
        std::fs::write(&file, serde_json::to_string_pretty(&report)?)?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

async fn run(s: &Settings, chosen: &[&str]) -> anyhow::Result<Vec<scenarios::Outcome>> {
    let mut out = Vec::new();
    let mut history_done = false;
    let mut totals_done = false;
    for id in chosen {
        eprintln!("bench: {id}…");
        match *id {
            "record-sqlite" => out.extend(scenarios::record_sqlite(s, false).await?),
            "record-postgres" => out.push(scenarios::record_postgres(s).await?),
            "freshness-sqlite" => out.push(freshness::freshness_sqlite(s).await?),
            "sync-sqlite" => out.push(scenarios::sync(s, Backend::Sqlite).await?),
            "sync-postgres" => out.push(scenarios::sync(s, Backend::Postgres).await?),
            // Both history scenarios share one seeded server.
            "record-sqlite-history" | "timesheet-sqlite-history" if !history_done => {
                history_done = true;
                let both = scenarios::record_sqlite(s, true).await?;
                out.extend(both.into_iter().filter(|o| chosen.contains(&o.id)));
            }
            // Both payroll pulls share one seeded server.
            "totals-sqlite" | "totals-sqlite-loaded" if !totals_done => {
                totals_done = true;
                let both = totals::totals_sqlite(s).await?;
                out.extend(both.into_iter().filter(|o| chosen.contains(&o.id)));
            }
            "plan-change-sqlite" => out.push(plan_change::plan_change_sqlite(s).await?),
            _ => {}
        }
    }
    Ok(out)
}

/// The commit being measured, when run inside the repository.
fn commit() -> String {
    std::process::Command::new("git")
        .args(["describe", "--always", "--dirty"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map_or_else(|| "unknown".into(), |s| s.trim().to_owned())
}
