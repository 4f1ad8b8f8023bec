//! Wires configuration, storage and services into a running server.
//!
//! [`App::build`] binds the listener first, so a test can ask for port 0 and
//! read the real port with [`App::port`] before the server runs.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio_stream::StreamExt as _;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;

use crate::bootstrap;
use crate::clock::Clock;
use crate::config::ServerConfig;
use crate::grpc::Ctx;
use crate::grpc::admin_service::AdminApi;
use crate::grpc::clock_service::ClockApi;
use crate::grpc::nudge_service::NudgeApi;
use crate::grpc::payroll_service::PayrollApi;
use crate::grpc::timesheet_service::TimesheetApi;
use crate::jobs::Jobs;
use crate::mail::{Mailer, Templates};
use crate::pb;
use crate::storage::{SqlStore, Store};

/// The name of the file that holds the first admin token.
pub const ADMIN_TOKEN_FILE: &str = "admin.token";

/// Names under which health is reported: the whole server ("") and each service.
const SERVICE_NAMES: &[&str] = &[
    "",
    "tidsvakt.v1.ClockService",
    "tidsvakt.v1.AdminService",
    "tidsvakt.v1.TimesheetService",
    "tidsvakt.v1.PayrollService",
    "tidsvakt.v1.NudgeService",
];

/// The services that are mostly writes: `NOT_SERVING` while the storage
/// refuses writes (full or read-only), when the others still answer.
const WRITE_SERVICE_NAMES: &[&str] = &["tidsvakt.v1.ClockService", "tidsvakt.v1.AdminService"];

/// How often readiness re-checks the database while it answers, and while
/// it does not (to see it back soon). With [`PING_TIMEOUT`] these bound how
/// long health takes to say `NOT_SERVING`: under a 2 s client deadline.
const HEALTH_INTERVAL: Duration = Duration::from_millis(500);
const HEALTH_INTERVAL_FAILING: Duration = Duration::from_millis(250);
/// The longest a health check waits for the database.
const PING_TIMEOUT: Duration = Duration::from_secs(1);
/// How often a probe write checks, while writes are taken, that they still
/// are (a refused write also shows at once).
const PROBE_EVERY: Duration = Duration::from_secs(60);

pub struct App {
    listener: TcpListener,
    web_listener: TcpListener,
    web: crate::web::WebState,
    store: Arc<SqlStore>,
    ctx: Ctx,
    jobs: Arc<Jobs>,
    background_jobs: bool,
    recompute_rest: std::time::Duration,
    security: crate::config::Security,
    tls: Option<crate::tls::Tls>,
    /// The `/metrics` listener and the recorder's handle, with `--metrics-listen`.
    metrics: Option<(TcpListener, metrics_exporter_prometheus::PrometheusHandle)>,
    /// Set when this start created the first organisation: the admin secret,
    /// for `main` to print once.
    pub first_admin: Option<FirstAdmin>,
}

/// The admin token created on the first start against an empty database.
pub struct FirstAdmin {
    pub secret: String,
    pub file: PathBuf,
}

impl App {
    /// Connects to the database (migrating it), prepares the outbox folder,
    /// bootstraps an empty database, and binds the listener.
    ///
    /// # Errors
    /// When the database, the folders or the address cannot be used.
    pub async fn build(mut config: ServerConfig, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let tls = check_exposure(&config)?;
        let store = Arc::new(
            SqlStore::connect(&config.database_url)
                .await
                .with_context(|| {
                    format!("opening the database ({})", redact(&config.database_url))
                })?,
        );
        std::fs::create_dir_all(&config.outbox_dir).with_context(|| {
            format!("creating the outbox folder {}", config.outbox_dir.display())
        })?;
        // Both fail fast: a wrong mail setting or a broken template stops the
        // start, not a message hours later.
        let mailer = Arc::new(Mailer::from_config(&config.mail, &config.outbox_dir)?);
        let templates = Arc::new(Templates::load()?);
        tracing::info!(mail = %mailer.describe(), "mail delivery");
        let first_admin = if config.bootstrap && store.organisation_count().await? == 0 {
            let (org, secret) =
                bootstrap::create_organisation(store.as_ref(), "default", clock.now()).await?;
            let file = config.data_dir.join(ADMIN_TOKEN_FILE);
            write_owner_only(&file, &secret)?;
            tracing::info!(organisation_id = %org.id, file = %file.display(), "created the default organisation and its first admin token");
            Some(FirstAdmin { secret, file })
        } else {
            None
        };
        let metrics = match config.metrics_listen {
            Some(addr) => {
                let handle = crate::metrics::install()?;
                let listener = TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("serving metrics on {addr}"))?;
                tracing::info!(%addr, "serving Prometheus metrics at /metrics");
                Some((listener, handle))
            }
            None => None,
        };
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("listening on {}", config.listen))?;
        let web_listener = TcpListener::bind(config.web_listen)
            .await
            .with_context(|| format!("listening for the web on {}", config.web_listen))?;
        // Every link the service writes starts here: the --public-url, or
        // this server's own web address on the embedded default.
        let public_url = config.mail.public_url.clone().unwrap_or_else(|| {
            format!(
                "http://{}",
                web_listener.local_addr().map_or(config.web_listen, |a| a)
            )
        });
        config.jobs.app_url = Some(public_url.clone());
        let dyn_store: Arc<dyn Store> = store.clone();
        let jobs = Arc::new(Jobs::new(
            Arc::clone(&dyn_store),
            Arc::clone(&clock),
            Arc::clone(&mailer),
            templates,
            config.jobs.clone(),
        ));
        let ctx = Ctx::new(dyn_store, clock, config.limits).with_jobs(Arc::clone(&jobs));
        let eml_dir = matches!(config.mail.transport, crate::mail::MailTransport::Eml)
            .then(|| config.outbox_dir.clone());
        let sso = Arc::new(crate::sso::Providers::new(
            sso_providers(config.sso_config.as_deref(), store.as_ref()).await?,
            &public_url,
        )?);
        if !sso.list().is_empty() {
            let discovering = Arc::clone(&sso);
            tokio::spawn(async move { discovering.discover_all().await });
        }
        let web = crate::web::WebState {
            ctx: ctx.clone(),
            mailer: Arc::clone(&mailer),
            settings: Arc::new(crate::web::WebSettings::new(&public_url, eml_dir)),
            limiter: Arc::default(),
            sso,
        };
        Ok(Self {
            listener,
            web_listener,
            web,
            store,
            ctx,
            jobs,
            background_jobs: config.background_jobs,
            recompute_rest: config.jobs.recompute_rest,
            security: config.security,
            tls,
            metrics,
            first_admin,
        })
    }

    /// The bound address (the real port when 0 was asked for).
    ///
    /// # Panics
    /// Never: a bound listener has an address.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has a local address")
    }

    /// The web pages' bound address.
    ///
    /// # Panics
    /// Never: a bound listener has an address.
    #[must_use]
    pub fn web_addr(&self) -> SocketAddr {
        self.web_listener
            .local_addr()
            .expect("a bound listener has a local address")
    }

    /// The base of every link the service writes (`--public-url`, or the
    /// web address).
    #[must_use]
    pub fn public_url(&self) -> &str {
        &self.web.settings.public_url
    }

    #[must_use]
    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    /// The background jobs, for tests that run their steps by hand.
    #[must_use]
    pub fn jobs(&self) -> Arc<Jobs> {
        Arc::clone(&self.jobs)
    }

    /// The timesheets' evaluations kept in memory, for tests that compare a
    /// kept one with one judged afresh.
    #[must_use]
    pub fn timesheets(&self) -> Arc<crate::grpc::timesheet_cache::TimesheetCache> {
        Arc::clone(&self.ctx.timesheets)
    }

    /// The store, for tests that inspect what was written.
    #[must_use]
    pub fn store(&self) -> Arc<SqlStore> {
        Arc::clone(&self.store)
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish.
    ///
    /// # Errors
    /// When the transport fails.
    #[allow(clippy::too_many_lines)] // the start-up order, in one place
    pub async fn run_until_stopped(
        mut self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> anyhow::Result<()> {
        let (health, health_service) = tonic_health::server::health_reporter();
        health
            .set_serving::<pb::clock_service_server::ClockServiceServer<ClockApi>>()
            .await;
        health
            .set_serving::<pb::admin_service_server::AdminServiceServer<AdminApi>>()
            .await;
        health
            .set_serving::<pb::timesheet_service_server::TimesheetServiceServer<TimesheetApi>>()
            .await;
        health
            .set_serving::<pb::payroll_service_server::PayrollServiceServer<PayrollApi>>()
            .await;
        health
            .set_serving::<pb::nudge_service_server::NudgeServiceServer<NudgeApi>>()
            .await;
        let watcher = tokio::spawn(watch_database(
            Arc::clone(&self.store),
            Arc::clone(&self.ctx.clock),
            health.clone(),
        ));
        // Findings are kept current in the background; reads also drain
        // their own employees first, so this only bounds staleness: a rest
        // (250 ms), then a pass, again and again (`run_worker`; freshness
        // goal 1 s).
        let store: Arc<dyn crate::storage::Store> = self.store.clone();
        let recomputer = tokio::spawn(crate::recompute::run_worker(
            store,
            Arc::clone(&self.ctx.clock),
            self.recompute_rest,
        ));
        let jobs = self
            .background_jobs
            .then(|| tokio::spawn(Arc::clone(&self.jobs).run()));
        let (stop_metrics, metrics) = self.spawn_metrics();

        let reflection = self.security.reflection;
        let reflection_v1 = reflection
            .then(|| {
                tonic_reflection::server::Builder::configure()
                    .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
                    .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
                    .build_v1()
            })
            .transpose()?;
        let reflection_v1alpha = reflection
            .then(|| {
                tonic_reflection::server::Builder::configure()
                    .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
                    .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
                    .build_v1alpha()
            })
            .transpose()?;
        let tls_watch = self.tls.clone().map(|t| tokio::spawn(t.watch()));
        let limiter_ctx = self.ctx.clone();
        let forget = tokio::spawn(async move {
            // Keeps the limiter's memory to the clients of the last minutes.
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                limiter_ctx.auth.limiter().forget_idle();
            }
        });

        let addr = self.local_addr();
        // One shutdown signal for both servers: the web stops with gRPC.
        let (stop_web, web_stopped) = tokio::sync::watch::channel(false);
        let web_addr = self.web_addr();
        tracing::info!(url = %self.web.settings.public_url, addr = %web_addr, "serving the web pages");
        let web = tokio::spawn(crate::web::serve(
            self.web_listener,
            self.tls.clone(),
            self.web.clone(),
            async move {
                let mut rx = web_stopped;
                let _ = rx.wait_for(|stopped| *stopped).await;
            },
        ));
        tracing::info!(%addr, tls = self.tls.is_some(), reflection, "serving gRPC");
        let router = Server::builder()
            .timeout(self.security.request_timeout)
            .trace_fn(|request| tracing::info_span!("grpc", method = %request.uri().path()))
            .layer(crate::metrics::RpcMetricsLayer)
            .layer(crate::grpc::status_layer::InboundStatusLayer)
            .add_service(health_service)
            .add_optional_service(reflection_v1)
            .add_optional_service(reflection_v1alpha)
            .add_service(pb::clock_service_server::ClockServiceServer::new(
                ClockApi::new(self.ctx.clone()),
            ))
            .add_service(pb::admin_service_server::AdminServiceServer::new(
                AdminApi::new(self.ctx.clone()),
            ))
            .add_service(pb::timesheet_service_server::TimesheetServiceServer::new(
                TimesheetApi::new(self.ctx.clone()),
            ))
            .add_service(pb::payroll_service_server::PayrollServiceServer::new(
                PayrollApi::new(self.ctx.clone()),
            ))
            .add_service(pb::nudge_service_server::NudgeServiceServer::new(
                NudgeApi::new(self.ctx.clone()),
            ));
        // A stop waits for calls in flight, but no longer than the grace:
        // a client holding a stream open must not keep the process alive.
        let (stopping, stop_seen) = tokio::sync::oneshot::channel::<()>();
        let shutdown = async move {
            shutdown.await;
            let _ = stopping.send(());
        };
        let grace = self.security.shutdown_grace;
        let deadline = async move {
            if stop_seen.await.is_ok() {
                tokio::time::sleep(grace).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        let listener = self.listener;
        let tls = self.tls.clone();
        let serve = async move {
            match tls {
                Some(tls) => {
                    let incoming = tls.accept(listener, false);
                    let incoming = tokio_stream::wrappers::ReceiverStream::new(incoming)
                        .map(|(stream, _)| Ok::<_, std::io::Error>(stream));
                    router
                        .serve_with_incoming_shutdown(incoming, shutdown)
                        .await
                }
                None => {
                    router
                        .serve_with_incoming_shutdown(
                            TcpIncoming::from(listener).with_nodelay(Some(true)),
                            shutdown,
                        )
                        .await
                }
            }
        };
        let result = tokio::select! {
            r = serve => r,
            () = deadline => {
                tracing::warn!(grace_secs = grace.as_secs(), "calls still in flight at the end of the shutdown grace; stopping anyway");
                Ok(())
            }
        };
        let _ = stop_web.send(true);
        let _ = stop_metrics.send(true);
        match tokio::time::timeout(Duration::from_secs(10), web).await {
            Ok(Ok(Err(e))) => tracing::error!(error = %e, "the web server failed"),
            Err(_) => tracing::warn!("the web server did not stop within 10 s"),
            _ => {}
        }
        watcher.abort();
        recomputer.abort();
        forget.abort();
        if let Some(t) = tls_watch {
            t.abort();
        }
        if let Some(metrics) = metrics {
            metrics.abort();
        }
        if let Some(jobs) = jobs {
            jobs.abort();
        }
        self.store.close().await;
        tracing::info!("stopped");
        Ok(result?)
    }
}

/// The single sign-on providers of `--sso-config`, each with the
/// organisation its people belong to (the only one when it names none).
async fn sso_providers(
    file: Option<&Path>,
    store: &SqlStore,
) -> anyhow::Result<Vec<(crate::sso::ProviderConfig, crate::domain::ids::OrgId)>> {
    use crate::storage::sso::SsoStore as _;
    let Some(file) = file else {
        return Ok(Vec::new());
    };
    let configs = crate::sso::config::load(file, &|name: &str| std::env::var(name).ok())?;
    let sole = store.sole_organisation().await?;
    let mut out = Vec::with_capacity(configs.len());
    for c in configs {
        let org = match c.organisation {
            Some(org) if store.organisation(org).await?.is_some() => org,
            Some(org) => anyhow::bail!(
                "single sign-on setting {} {}: provider \"{}\": organisation: no organisation has the id {org}",
                crate::sso::config::FLAG,
                file.display(),
                c.id
            ),
            None => sole.ok_or_else(|| {
                anyhow::anyhow!(
                    "single sign-on setting {} {}: provider \"{}\": organisation: the database has several organisations (or none); name one",
                    crate::sso::config::FLAG,
                    file.display(),
                    c.id
                )
            })?,
        };
        out.push((c, org));
    }
    Ok(out)
}

/// Refuses to serve people's data in clear text beyond this machine: a
/// non-loopback address needs TLS, or `--insecure-listen` (a proxy in front
/// terminates TLS), which is logged. Loads the TLS files when set.
fn check_exposure(config: &ServerConfig) -> anyhow::Result<Option<crate::tls::Tls>> {
    let exposed = !config.listen.ip().is_loopback() || !config.web_listen.ip().is_loopback();
    match &config.security.tls {
        Some(files) => Ok(Some(crate::tls::Tls::load(files.clone())?)),
        None if exposed && !config.security.insecure_listen => anyhow::bail!(
            "refusing to listen on {} / {} without TLS: tokens and personal data would cross the network in clear. \
             Give --tls-cert and --tls-key, or --insecure-listen when a proxy in front terminates TLS",
            config.listen,
            config.web_listen
        ),
        None => {
            if exposed {
                tracing::warn!(grpc = %config.listen, web = %config.web_listen, "listening beyond this machine WITHOUT TLS (--insecure-listen): only safe behind a TLS-terminating proxy");
            }
            Ok(None)
        }
    }
}

impl App {
    /// Serves `/metrics` when `--metrics-listen` was given, until the sender
    /// returned says stop.
    fn spawn_metrics(
        &mut self,
    ) -> (
        tokio::sync::watch::Sender<bool>,
        Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    ) {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let task = self.metrics.take().map(|(listener, handle)| {
            tokio::spawn(crate::metrics::scrape::serve(
                listener,
                handle,
                Arc::clone(&self.store),
                Arc::clone(&self.ctx.clock),
                async move {
                    let mut rx = stopped;
                    let _ = rx.wait_for(|stopped| *stopped).await;
                },
            ))
        });
        (stop, task)
    }
}

/// What health reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Readiness {
    Serving,
    /// Reads answer, writes are refused (full or read-only storage).
    ReadsOnly,
    Down,
}

/// Marks every service `NOT_SERVING` while the database does not answer, so a
/// load balancer stops sending traffic to this replica, and the write
/// services alone while the storage refuses writes but reads still answer.
/// Checks faster while failing, so the replica is back soon after the
/// database.
async fn watch_database(
    store: Arc<SqlStore>,
    clock: Arc<dyn Clock>,
    health: tonic_health::server::HealthReporter,
) {
    let mut reported = Readiness::Serving;
    // The first round probes: a database read-only at start shows at once.
    let mut last_probe: Option<tokio::time::Instant> = None;
    loop {
        let reads = matches!(
            tokio::time::timeout(PING_TIMEOUT, store.ping()).await,
            Ok(Ok(()))
        );
        let due = last_probe.is_none_or(|t| t.elapsed() >= PROBE_EVERY);
        if reads && (store.write_fault().is_some() || due) {
            // Sets or clears the store's fault itself.
            let _ = tokio::time::timeout(PING_TIMEOUT, store.probe_writes(clock.now())).await;
            last_probe = Some(tokio::time::Instant::now());
        }
        let now = match (reads, store.write_fault()) {
            (false, _) => Readiness::Down,
            (true, Some(_)) => Readiness::ReadsOnly,
            (true, None) => Readiness::Serving,
        };
        metrics::gauge!(crate::metrics::families::DATABASE_UP).set(if reads { 1.0 } else { 0.0 });
        metrics::gauge!(crate::metrics::families::DATABASE_WRITABLE)
            .set(if now == Readiness::Serving { 1.0 } else { 0.0 });
        if now != reported {
            match now {
                Readiness::Down => {
                    tracing::error!("database is not answering; reporting NOT_SERVING");
                }
                Readiness::ReadsOnly => tracing::error!(
                    fault = %store.write_fault().map(|f| f.to_string()).unwrap_or_default(),
                    "the storage refuses writes; reporting NOT_SERVING for the write services"
                ),
                Readiness::Serving => tracing::info!("database is back; reporting SERVING"),
            }
            for name in SERVICE_NAMES {
                let serving = match now {
                    Readiness::Serving => true,
                    Readiness::ReadsOnly => !WRITE_SERVICE_NAMES.contains(name),
                    Readiness::Down => false,
                };
                let status = if serving {
                    tonic_health::ServingStatus::Serving
                } else {
                    tonic_health::ServingStatus::NotServing
                };
                health.set_service_status(*name, status).await;
            }
            reported = now;
        }
        tokio::time::sleep(if now == Readiness::Serving {
            HEALTH_INTERVAL
        } else {
            HEALTH_INTERVAL_FAILING
        })
        .await;
    }
}

/// Writes a secret to a file only its owner can read.
fn write_owner_only(path: &Path, secret: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut f = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    writeln!(f, "{secret}")?;
    Ok(())
}

/// A database URL without its password, for messages.
#[must_use]
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or_default();
            format!("{}://{user}:***@{}", &url[..s], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}
