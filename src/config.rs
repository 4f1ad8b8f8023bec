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
    Serve(Box<ServeArgs>),
    /// Apply database migrations and exit.
    Migrate(DatabaseArgs),
    /// Check every organisation's record chain (tamper evidence) and exit;
    /// exits non-zero when a link is broken.
    Verify(DatabaseArgs),
    /// Create an organisation; prints its first admin token alone on the last line.
    Init(InitArgs),
    /// Ask a server's gRPC health service; exit 0 when it is SERVING (for
    /// container health checks and Kubernetes exec probes).
    Health(crate::cli::health::HealthArgs),
    /// Copy a running server's `SQLite` database to a file, consistently.
    Backup(crate::cli::backup::BackupArgs),
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
    /// Single sign-on providers (OIDC): a TOML file, see the
    /// README's "Single sign-on". Off when not given.
    #[arg(long, env = "TIDSVAKT_SSO_CONFIG")]
    pub sso_config: Option<PathBuf>,
    #[command(flatten)]
    pub mail: crate::mail::MailArgs,
    #[command(flatten)]
    pub jobs: JobArgs,
    #[command(flatten)]
    pub security: SecurityArgs,
}

/// TLS, call limits, deadlines and what the server exposes.
#[derive(Clone, Debug, Args)]
pub struct SecurityArgs {
    /// PEM certificate chain for TLS on both ports (reloaded when it changes).
    #[arg(long, env = "TIDSVAKT_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "TIDSVAKT_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// PEM CA of client certificates (mTLS for time clocks): verified when presented.
    #[arg(long, env = "TIDSVAKT_TLS_CLIENT_CA", requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,
    /// Refuse TLS clients without a certificate from --tls-client-ca.
    #[arg(
        long,
        env = "TIDSVAKT_TLS_REQUIRE_CLIENT_CERT",
        requires = "tls_client_ca"
    )]
    pub tls_require_client_cert: bool,
    /// Listen on a non-loopback address without TLS (behind a TLS-terminating proxy).
    #[arg(long, env = "TIDSVAKT_INSECURE_LISTEN")]
    pub insecure_listen: bool,
    /// Turn gRPC server reflection off.
    #[arg(long, env = "TIDSVAKT_DISABLE_REFLECTION")]
    pub disable_reflection: bool,
    /// Calls a second per token, sustained (bursts of twice pass); 0 = no limit.
    #[arg(long, env = "TIDSVAKT_RATE_PER_TOKEN", default_value_t = 2_000)]
    pub rate_per_token: u32,
    /// Calls a second per client address, sustained; 0 = no limit.
    #[arg(long, env = "TIDSVAKT_RATE_PER_ADDRESS", default_value_t = 5_000)]
    pub rate_per_address: u32,
    /// Failed authentications a minute per client address; 0 = no limit.
    #[arg(long, env = "TIDSVAKT_FAILED_AUTH_PER_MINUTE", default_value_t = 30)]
    pub failed_auth_per_minute: u32,
    /// Open `SyncEvents` streams per token.
    #[arg(long, env = "TIDSVAKT_STREAMS_PER_TOKEN", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub streams_per_token: u32,
    /// Seconds a stream may stay silent before it is closed.
    #[arg(long, env = "TIDSVAKT_STREAM_IDLE_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub stream_idle_secs: u64,
    /// Deadline of a call whose client sets none, in seconds.
    #[arg(long, env = "TIDSVAKT_REQUEST_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub request_timeout_secs: u64,
    /// Seconds SIGTERM waits for calls in flight before the server stops anyway.
    #[arg(long, env = "TIDSVAKT_SHUTDOWN_GRACE_SECS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub shutdown_grace_secs: u64,
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
    /// Days after leaving before an employee's name, email and sign-ins are
    /// anonymised (the record and its totals stay); 0 = never.
    #[arg(long, env = "TIDSVAKT_RETENTION_DAYS", default_value_t = 1827)]
    pub retention_days: u32,
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
    pub security: Security,
    /// The single sign-on providers' file (`--sso-config`), if any.
    pub sso_config: Option<PathBuf>,
}

/// TLS, exposure and deadlines of the listening server.
#[derive(Clone, Debug)]
pub struct Security {
    /// TLS on both ports, when set.
    pub tls: Option<crate::tls::TlsFiles>,
    /// Allow a non-loopback address without TLS.
    pub insecure_listen: bool,
    /// Serve gRPC server reflection.
    pub reflection: bool,
    /// The deadline of a call whose client sets none.
    pub request_timeout: std::time::Duration,
    /// How long a stop waits for calls in flight.
    pub shutdown_grace: std::time::Duration,
}

impl Default for Security {
    fn default() -> Self {
        Self {
            tls: None,
            insecure_listen: false,
            reflection: true,
            request_timeout: std::time::Duration::from_secs(30),
            shutdown_grace: std::time::Duration::from_secs(15),
        }
    }
}

impl ServerConfig {
    /// # Errors
    /// A mail setting that is wrong, named with its flag and variable.
    pub fn from_args(args: &ServeArgs) -> Result<Self, crate::mail::MailError> {
        let mail = args.mail.config()?;
        let sec = &args.security;
        let jobs = crate::jobs::JobSettings {
            digest: crate::domain::nudge::schedule::DigestSchedule {
                weekday: args.jobs.digest_weekday,
                time: args.jobs.digest_time,
            },
            outbox_every: std::time::Duration::from_secs(args.jobs.outbox_interval_secs),
            sweep_every: std::time::Duration::from_secs(args.jobs.sweep_interval_secs),
            app_url: mail.public_url.clone(),
            retention: (args.jobs.retention_days > 0)
                .then(|| chrono::Duration::days(i64::from(args.jobs.retention_days))),
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
                calls: crate::grpc::limiter::CallLimits {
                    per_token_per_sec: sec.rate_per_token,
                    per_address_per_sec: sec.rate_per_address,
                    failed_auth_per_min: sec.failed_auth_per_minute,
                    streams_per_token: usize::try_from(sec.streams_per_token).unwrap_or(usize::MAX),
                    ..crate::grpc::limiter::CallLimits::default()
                },
                stream_idle: std::time::Duration::from_secs(sec.stream_idle_secs),
            },
            bootstrap: true,
            metrics_listen: args.metrics_listen,
            sso_config: args.sso_config.clone(),
            mail,
            jobs,
            background_jobs: true,
            security: Security {
                tls: sec
                    .tls_cert
                    .clone()
                    .zip(sec.tls_key.clone())
                    .map(|(cert, key)| crate::tls::TlsFiles {
                        cert,
                        key,
                        client_ca: sec.tls_client_ca.clone(),
                        require_client_cert: sec.tls_require_client_cert,
                        reload_every: std::time::Duration::from_secs(5),
                    }),
                insecure_listen: sec.insecure_listen,
                reflection: !sec.disable_reflection,
                request_timeout: std::time::Duration::from_secs(sec.request_timeout_secs),
                shutdown_grace: std::time::Duration::from_secs(sec.shutdown_grace_secs),
            },
        })
    }
}
