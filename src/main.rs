//! `tidsvakt`: configuration → telemetry → `App::build` → run.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Parser as _;
use tidsvakt::app::{App, redact};
use tidsvakt::clock::SystemClock;
use tidsvakt::config::{Cli, Command, LogFormat, ServerConfig};
use tidsvakt::storage::SqlStore;
use tidsvakt::{bootstrap, cli, telemetry};

/// mimalloc instead of glibc's malloc: under 64 clients glibc's malloc and
/// free were 17 % of server CPU, much of it arenas shrinking and growing
/// again between requests (issue 15; docs/bench/before-after.md, "Seventh round").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Cli) -> anyhow::Result<()> {
    match args.command {
        Command::Serve(serve) => {
            telemetry::init(serve.log_format);
            let config = ServerConfig::from_args(&serve)?;
            let app = App::build(config, Arc::new(SystemClock)).await?;
            if let Some(first) = &app.first_admin {
                // Printed to stdout once, never logged.
                println!("First start: created organisation 'default' with an admin token.");
                println!(
                    "It is saved in {} (readable by you only). Token:",
                    first.file.display()
                );
                println!("{}", first.secret);
                println!(
                    "Sign in on the web with it at {}/sign-in/token",
                    app.public_url()
                );
            }
            println!("Tidsvakt on the web: {}/", app.public_url());
            app.run_until_stopped(shutdown_signal()).await
        }
        Command::Migrate(db) => {
            telemetry::init(LogFormat::Plain);
            let url = db.url();
            SqlStore::connect(&url)
                .await
                .with_context(|| format!("migrating {}", redact(&url)))?;
            println!("database is up to date: {}", redact(&url));
            Ok(())
        }
        Command::Verify(db) => {
            telemetry::init(LogFormat::Plain);
            let url = db.url();
            let store = SqlStore::connect(&url)
                .await
                .with_context(|| format!("opening {}", redact(&url)))?;
            let reports = store.verify_chains().await?;
            for r in &reports {
                println!("{r}");
            }
            let broken = reports.iter().filter(|r| r.broken.is_some()).count();
            println!(
                "verified {} organisation(s) in {}: {}",
                reports.len(),
                redact(&url),
                if broken == 0 { "intact" } else { "BROKEN" }
            );
            if broken > 0 {
                anyhow::bail!("the record chain is broken in {broken} organisation(s)");
            }
            Ok(())
        }
        Command::Init(init) => {
            telemetry::init(LogFormat::Plain);
            let url = init.database.url();
            let store = SqlStore::connect(&url)
                .await
                .with_context(|| format!("opening {}", redact(&url)))?;
            let name = tidsvakt::domain::employee::parse_name("--org", &init.org)?;
            let (org, secret) = bootstrap::create_organisation(
                &store,
                &name,
                tidsvakt::clock::Clock::now(&SystemClock),
            )
            .await?;
            println!("created organisation '{}' ({})", org.name, org.id);
            println!("first admin token (shown only now):");
            println!("{secret}");
            Ok(())
        }
        Command::Health(health) => cli::health::run(&health).await,
        Command::Backup(backup) => {
            let done = cli::backup::run(&backup).await?;
            println!(
                "backup written: {} ({} events, {} amendments, {} bytes)",
                backup.to.display(),
                done.events,
                done.amendments,
                done.bytes
            );
            Ok(())
        }
        Command::Client(command) => cli::client::run(command).await,
    }
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
