//! Command-line and environment configuration (clap). Every flag has a
//! `TIDSVAKT_*` variable and a default that needs nothing: an `SQLite` file and
//! an `.eml` outbox folder under `./data`, listening on 127.0.0.1:50051.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::cli::client::ClientCommand;
use crate::grpc::Limits;

#[derive(Debug, Parser)]
#[command(
    name = "tidsvakt",
    version,
    about = "Working-time registration with overtime alerts"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gRPC server (creates the database and a first admin token on first start).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(DatabaseArgs),
    /// Check every organisation's record chain (tamper evidence) and exit;
    /// exits non-zero when a link is broken.
    Verify(DatabaseArgs),
    /// Create an organisation; prints its first admin token alone on the last line.
    Init(InitArgs),
    /// Talk to a running server.
    #[command(flatten)]
    Client(ClientCommand),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Plain,
    Json,
}

#[derive(Debug, Args)]
pub struct DatabaseArgs {
    /// Folder for the `SQLite` file, the outbox and the first admin token.
    #[arg(long, env = "TIDSVAKT_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// `sqlite://FILE` or `postgres://…`. Default: sqlite://<data-dir>/tidsvakt.db
    #[arg(long, env = "TIDSVAKT_DATABASE_URL")]
    pub database_url: Option<String>,
}

impl DatabaseArgs {
    /// The database URL, defaulting to a file in the data folder.
    #[must_use]
    pub fn url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("tidsvakt.db").display()))
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "TIDSVAKT_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,
    /// Address the web pages are served on (HTTP).
    #[arg(long, env = "TIDSVAKT_WEB_LISTEN", default_value = "127.0.0.1:8080")]
    pub web_listen: SocketAddr,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Folder where emails are written as .eml files when no SMTP server is set.
    /// Default: <data-dir>/outbox
    #[arg(long, env = "TIDSVAKT_OUTBOX_DIR")]
    pub outbox_dir: Option<PathBuf>,
    /// Log format.
    #[arg(long, env = "TIDSVAKT_LOG_FORMAT", value_enum, default_value = "plain")]
    pub log_format: LogFormat,
    /// Serve Prometheus metrics at `http://ADDR/metrics` (off when not given).
    #[arg(long, env = "TIDSVAKT_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    /// How many seconds ahead of the server's clock an event may be.
    #[arg(long, env = "TIDSVAKT_MAX_CLOCK_SKEW_SECS", default_value_t = 300)]
    pub max_clock_skew_secs: u32,
    #[command(flatten)]
    pub mail: crate::mail::MailArgs,
    #[command(flatten)]
    pub jobs: JobArgs,
}

/// Background work: the outbox, the weekly digest and the sweep.
#[derive(Clone, Debug, Args)]
pub struct JobArgs {
    /// Weekday of the managers' weekly digest, in each manager's own time zone.
    #[arg(long, env = "TIDSVAKT_DIGEST_WEEKDAY", default_value = "mon", value_parser = parse_weekday)]
    pub digest_weekday: chrono::Weekday,
    /// Local time of the weekly digest (HH:MM), in each manager's own time zone.
    #[arg(long, env = "TIDSVAKT_DIGEST_TIME", default_value = "07:00", value_parser = parse_time_of_day)]
    pub digest_time: chrono::NaiveTime,
    /// Seconds between outbox rounds (sending due email).
    #[arg(long, env = "TIDSVAKT_OUTBOX_INTERVAL_SECS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub outbox_interval_secs: u64,
    /// Seconds between sweeps (clock-out reminders, findings that time makes true).
    #[arg(long, env = "TIDSVAKT_SWEEP_INTERVAL_SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(10..=86_400))]
    pub sweep_interval_secs: u64,
}

fn parse_weekday(s: &str) -> Result<chrono::Weekday, String> {
    s.parse::<chrono::Weekday>()
        .map_err(|_| format!("'{s}' is not a weekday; use mon, tue, wed, thu, fri, sat or sun"))
}

fn parse_time_of_day(s: &str) -> Result<chrono::NaiveTime, String> {
    chrono::NaiveTime::parse_from_str(s, "%H:%M")
        .map_err(|_| format!("'{s}' is not a time of day; use HH:MM, e.g. 07:00"))
}

#[derive(Debug, Args)]
pub struct InitArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Name of the organisation.
    #[arg(long)]
    pub org: String,
}

/// Everything the server needs, built from flags or directly by tests.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Where the web pages are served.
    pub web_listen: SocketAddr,
    pub database_url: String,
    pub data_dir: PathBuf,
    pub outbox_dir: PathBuf,
    pub limits: Limits,
    /// On an empty database, create a default organisation and admin token.
    pub bootstrap: bool,
    /// Where to serve Prometheus metrics, if anywhere (one per process).
    pub metrics_listen: Option<SocketAddr>,
    pub mail: crate::mail::MailConfig,
    pub jobs: crate::jobs::JobSettings,
    /// Run the outbox, digest and sweep loops. Tests turn them off and drive
    /// each step themselves with a manual clock.
    pub background_jobs: bool,
}

impl ServerConfig {
    /// # Errors
    /// A mail setting that is wrong, named with its flag and variable.
    pub fn from_args(args: &ServeArgs) -> Result<Self, crate::mail::MailError> {
        let mail = args.mail.config()?;
        let jobs = crate::jobs::JobSettings {
            digest: crate::domain::nudge::schedule::DigestSchedule {
                weekday: args.jobs.digest_weekday,
                time: args.jobs.digest_time,
            },
            outbox_every: std::time::Duration::from_secs(args.jobs.outbox_interval_secs),
            sweep_every: std::time::Duration::from_secs(args.jobs.sweep_interval_secs),
            app_url: mail.public_url.clone(),
            ..crate::jobs::JobSettings::default()
        };
        Ok(Self {
            listen: args.listen,
            web_listen: args.web_listen,
            database_url: args.database.url(),
            data_dir: args.database.data_dir.clone(),
            outbox_dir: args
                .outbox_dir
                .clone()
                .unwrap_or_else(|| args.database.data_dir.join("outbox")),
            limits: Limits {
                max_clock_skew: chrono::Duration::seconds(i64::from(args.max_clock_skew_secs)),
            },
            bootstrap: true,
            metrics_listen: args.metrics_listen,
            mail,
            jobs,
            background_jobs: true,
        })
    }
}
