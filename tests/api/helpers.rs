//! One harness for every API test: the real server on 127.0.0.1:0 against a
//! real database, talked to with the generated tonic clients.
//!
//! Each test body is an `async fn(TestApp)` and runs on both back-ends via
//! [`both_backends!`]: SQLite always (a fresh file), PostgreSQL when
//! `TIDSVAKT_TEST_PG_URL` names a server (a fresh UUID-named database, dropped
//! afterwards). Without it the PostgreSQL leg is skipped and says so loudly.
//! `TEST_LOG=1` shows the server's traces.

#![allow(dead_code)]

use std::io::Write as _;
use std::sync::{Arc, Once};

use chrono::{DateTime, TimeZone as _, Utc};
use sqlx::{Connection as _, Executor as _};
use tempfile::TempDir;
use tidsvakt::app::App;
use tidsvakt::clock::ManualClock;
use tidsvakt::config::ServerConfig;
use tidsvakt::grpc::Limits;
use tidsvakt::pb;
use tidsvakt::pb::admin_service_client::AdminServiceClient;
use tidsvakt::pb::clock_service_client::ClockServiceClient;
use tidsvakt::storage::SqlStore;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};
use uuid::Uuid;

/// Runs each named `async fn(TestApp)` once per back-end, as
/// `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::spawn_app($crate::helpers::Db::Sqlite).await).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(url) = $crate::helpers::pg_url() {
                        super::$name($crate::helpers::spawn_app($crate::helpers::Db::Postgres(url)).await).await;
                    }
                }
            }
        )*
    };
}

/// Runs each named `async fn(Db)` (a test that starts its own app, or
/// none) once per back-end, as `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both_backends_db {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::Db::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if let Some(url) = $crate::helpers::pg_url() {
                        super::$name($crate::helpers::Db::Postgres(url)).await;
                    }
                }
            }
        )*
    };
}

/// For a property test, whose cases run outside any runtime: a runtime, a
/// test app on `db` served by it, and a CLOCK token of the app.
pub fn app_for_properties(db: &Db) -> (tokio::runtime::Runtime, TestApp, String) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = rt.block_on(spawn_app(db.clone()));
    let token = rt.block_on(app.clock_token());
    (rt, app, token)
}

/// Which database a test app uses.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite,
    /// An admin URL of a PostgreSQL server; a fresh database is created on it.
    Postgres(String),
}

/// The PostgreSQL server for the PostgreSQL leg, or `None` (said loudly once).
pub fn pg_url() -> Option<String> {
    static WARN: Once = Once::new();
    match std::env::var("TIDSVAKT_TEST_PG_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            WARN.call_once(|| {
                // Written past the test harness's capture on purpose.
                let _ = writeln!(
                    std::io::stderr(),
                    "\n!!! TIDSVAKT_TEST_PG_URL is not set: the PostgreSQL leg of every API test is SKIPPED.\n\
                     !!! Set it (e.g. postgres://postgres@127.0.0.1:5432/postgres) to run both back-ends.\n"
                );
            });
            None
        }
    }
}

/// The instant the tests' clock starts at: Thu 2026-11-19 20:00 UTC.
pub fn test_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 19, 20, 0, 0).unwrap()
}

/// An expiry for test tokens: 90 days after [`test_now`] (EMPLOYEE and
/// MANAGER tokens must carry one).
pub fn token_expiry() -> prost_types::Timestamp {
    let t = test_now() + chrono::Duration::days(90);
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: 0,
    }
}

/// An instant on 2026-11-19 (UTC).
pub fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 19, h, m, 0).unwrap()
}

pub fn ts(t: DateTime<Utc>) -> prost_types::Timestamp {
    tidsvakt::grpc::convert::timestamp(t)
}

/// Adds `authorization: Bearer …` to every request.
#[derive(Clone)]
pub struct Bearer(Option<MetadataValue<Ascii>>);

impl Bearer {
    /// Sends `token` as the bearer secret.
    pub fn for_token(token: &str) -> Self {
        Self(Some(format!("Bearer {token}").parse().unwrap()))
    }
}

impl Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(v) = &self.0 {
            request.metadata_mut().insert("authorization", v.clone());
        }
        Ok(request)
    }
}

pub type ClockClient = ClockServiceClient<InterceptedService<Channel, Bearer>>;
pub type AdminClient = AdminServiceClient<InterceptedService<Channel, Bearer>>;

/// A running server and what a test needs to talk to it.
pub struct TestApp {
    pub addr: String,
    /// The web pages' base, like `http://127.0.0.1:PORT` (no trailing slash).
    pub web_url: String,
    /// The service's clock; tests move it instead of sleeping.
    pub clock: Arc<ManualClock>,
    /// The store the server writes to, for checking what was stored.
    pub store: Arc<SqlStore>,
    /// The first admin token, created by the server's first start.
    pub admin_token: String,
    pub channel: Channel,
    pub db: Db,
    /// The URL the server uses, for tests that go around it.
    pub database_url: String,
    /// The server's background jobs, run step by step by the tests.
    pub jobs: Arc<tidsvakt::jobs::Jobs>,
    /// The real SMTP server on loopback the server sends its email to.
    pub mailbox: crate::smtp::SmtpServer,
    /// The timesheets' evaluations the server keeps (`timesheet_cache`).
    pub timesheets: Arc<tidsvakt::grpc::timesheet_cache::TimesheetCache>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    // Declared after the server handle: dropped after the server stops.
    _pg: Option<PgDatabase>,
    _dir: TempDir,
}

/// A UUID-named PostgreSQL database, dropped with this value.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    /// The URL of the new database.
    pub url: String,
}

impl PgDatabase {
    /// Creates a fresh database on the server at `admin_url`.
    pub async fn create(admin_url: &str) -> Self {
        sqlx::any::install_default_drivers();
        let name = format!("tidsvakt_test_{}", Uuid::new_v4().simple());
        let mut conn = sqlx::AnyConnection::connect(admin_url)
            .await
            .expect("PostgreSQL answers at TIDSVAKT_TEST_PG_URL");
        conn.execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .unwrap();
        Self {
            admin_url: admin_url.to_owned(),
            url: with_database(admin_url, &name),
            name,
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin_url.clone(), self.name.clone());
        // From a thread of its own: Drop cannot await, and may run inside a runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut conn) = sqlx::AnyConnection::connect(&admin).await {
                    let _ = conn
                        .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                        .await;
                }
            });
        })
        .join();
    }
}

/// Starts the real server on a random port with a fresh database.
pub async fn spawn_app(db: Db) -> TestApp {
    spawn_app_with(db, |_| {}).await
}

/// Like [`spawn_app`], with the configuration changed by `configure` first.
pub async fn spawn_app_with(db: Db, configure: impl FnOnce(&mut ServerConfig)) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        tidsvakt::telemetry::init(tidsvakt::config::LogFormat::Plain);
    }
    let dir = tempfile::tempdir().unwrap();
    let (database_url, pg) = match &db {
        Db::Sqlite => (
            format!("sqlite://{}", dir.path().join("tidsvakt.db").display()),
            None,
        ),
        Db::Postgres(admin) => {
            let pg = PgDatabase::create(admin).await;
            (pg.url.clone(), Some(pg))
        }
    };
    let mailbox = crate::smtp::SmtpServer::start().await;
    let mut config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        web_listen: "127.0.0.1:0".parse().unwrap(),
        database_url: database_url.clone(),
        data_dir: dir.path().to_owned(),
        outbox_dir: dir.path().join("outbox"),
        // Tests send wrong tokens on purpose: no failure budget or delay
        // here (tests/api/security.rs checks those with its own limits).
        limits: Limits {
            calls: tidsvakt::grpc::limiter::CallLimits {
                failed_auth_per_min: 0,
                failed_auth_delay: std::time::Duration::ZERO,
                ..tidsvakt::grpc::limiter::CallLimits::default()
            },
            ..Limits::default()
        },
        bootstrap: true,
        metrics_listen: None,
        mail: tidsvakt::mail::MailConfig::smtp_plain("127.0.0.1", mailbox.port),
        jobs: tidsvakt::jobs::JobSettings::default(),
        // The tests run each job step themselves, with the manual clock.
        background_jobs: false,
        sso_config: None,
        security: tidsvakt::config::Security::default(),
    };
    configure(&mut config);
    let clock = Arc::new(ManualClock::new(test_now()));
    let app = App::build(config, clock.clone())
        .await
        .expect("the app builds");
    let admin_token = app
        .first_admin
        .as_ref()
        .expect("first start creates an admin")
        .secret
        .clone();
    let addr = format!("http://{}", app.local_addr());
    let web_url = app.public_url().to_owned();
    let store = app.store();
    let jobs = app.jobs();
    let timesheets = app.timesheets();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = rx.await;
    }));
    let channel = Channel::from_shared(addr.clone())
        .unwrap()
        .connect()
        .await
        .expect("server answers");
    TestApp {
        addr,
        web_url,
        clock,
        store,
        admin_token,
        channel,
        db,
        database_url,
        jobs,
        mailbox,
        timesheets,
        shutdown: Some(tx),
        server: Some(server),
        _pg: pg,
        _dir: dir,
    }
}

/// `admin_url` with its database replaced by `name`.
pub fn with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = admin_url
        .split_once('?')
        .map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let base = match base[after_scheme..].find('/') {
        Some(slash) => &base[..after_scheme + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

impl TestApp {
    /// The background jobs of a second replica: its own connection to the
    /// same database and its own worker id, the same clock and SMTP server.
    pub async fn replica_jobs(&self) -> Arc<tidsvakt::jobs::Jobs> {
        self.replica_jobs_with(tidsvakt::jobs::JobSettings::default())
            .await
    }

    /// [`TestApp::replica_jobs`] with its own settings (e.g. one message per claim).
    pub async fn replica_jobs_with(
        &self,
        settings: tidsvakt::jobs::JobSettings,
    ) -> Arc<tidsvakt::jobs::Jobs> {
        let store = Arc::new(SqlStore::connect(&self.database_url).await.unwrap());
        let mailer = tidsvakt::mail::Mailer::from_config(
            &tidsvakt::mail::MailConfig::smtp_plain("127.0.0.1", self.mailbox.port),
            &std::env::temp_dir().join(format!("tidsvakt-replica-{}", Uuid::new_v4())),
        )
        .unwrap();
        Arc::new(tidsvakt::jobs::Jobs::new(
            store,
            self.clock.clone(),
            Arc::new(mailer),
            Arc::new(tidsvakt::mail::Templates::load().unwrap()),
            settings,
        ))
    }

    /// A ClockService client using `token`.
    pub fn clock_client(&self, token: &str) -> ClockClient {
        ClockServiceClient::with_interceptor(self.channel.clone(), Bearer::for_token(token))
    }

    /// An AdminService client using `token`.
    pub fn timesheet_client(
        &self,
        token: &str,
    ) -> pb::timesheet_service_client::TimesheetServiceClient<InterceptedService<Channel, Bearer>>
    {
        pb::timesheet_service_client::TimesheetServiceClient::with_interceptor(
            self.channel.clone(),
            Bearer::for_token(token),
        )
    }

    pub fn payroll_client(
        &self,
        token: &str,
    ) -> pb::payroll_service_client::PayrollServiceClient<InterceptedService<Channel, Bearer>> {
        pb::payroll_service_client::PayrollServiceClient::with_interceptor(
            self.channel.clone(),
            Bearer::for_token(token),
        )
    }

    /// Stops the server as SIGTERM does; `Some` when it stopped within 10 s.
    pub async fn stop(&mut self) -> Option<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let server = self.server.take()?;
        tokio::time::timeout(std::time::Duration::from_secs(10), server)
            .await
            .ok()
            .map(|_| ())
    }

    pub fn admin_client(&self, token: &str) -> AdminClient {
        AdminServiceClient::with_interceptor(self.channel.clone(), Bearer::for_token(token))
    }

    /// Clients that send no authorization at all.
    pub fn anonymous_clock_client(&self) -> ClockClient {
        ClockServiceClient::with_interceptor(self.channel.clone(), Bearer(None))
    }

    pub fn anonymous_admin_client(&self) -> AdminClient {
        AdminServiceClient::with_interceptor(self.channel.clone(), Bearer(None))
    }

    /// An AdminService client with the first admin token.
    pub fn admin(&self) -> AdminClient {
        self.admin_client(&self.admin_token)
    }

    /// The payroll settings in force, as the admin reads them.
    pub async fn payroll_settings(&self) -> pb::PayrollSettings {
        self.admin()
            .get_payroll_settings(pb::GetPayrollSettingsRequest {})
            .await
            .unwrap()
            .into_inner()
            .settings
            .unwrap()
    }

    /// Registers an employee with defaults; returns it.
    pub async fn create_employee(&self, external_id: &str) -> pb::Employee {
        self.create_employee_managed_by(external_id, "").await
    }

    pub async fn create_employee_managed_by(
        &self,
        external_id: &str,
        manager_id: &str,
    ) -> pb::Employee {
        self.create_employee_with(external_id, manager_id, "").await
    }

    /// Registers an employee in time zone `tz` (an IANA name).
    pub async fn create_employee_in(&self, external_id: &str, tz: &str) -> pb::Employee {
        self.create_employee_with(external_id, "", tz).await
    }

    async fn create_employee_with(
        &self,
        external_id: &str,
        manager_id: &str,
        tz: &str,
    ) -> pb::Employee {
        self.admin()
            .create_employee(pb::CreateEmployeeRequest {
                external_id: external_id.into(),
                name: format!("Employee {external_id}"),
                email: format!("{}@example.no", external_id.to_lowercase()),
                manager_id: manager_id.into(),
                time_zone: tz.into(),
                ..Default::default()
            })
            .await
            .expect("employee is created")
            .into_inner()
            .employee
            .unwrap()
    }

    /// Creates a token with `role` (bound to `employee_id` if given); returns the secret.
    pub async fn token(&self, role: pb::Role, employee_id: Option<&str>) -> String {
        self.admin()
            .create_api_token(pb::CreateApiTokenRequest {
                name: format!("{} token", role.as_str_name()),
                role: role as i32,
                employee_id: employee_id.unwrap_or_default().into(),
                expires_at: Some(token_expiry()),
                department: String::new(),
            })
            .await
            .expect("token is created")
            .into_inner()
            .secret
    }

    /// A CLOCK token.
    pub async fn clock_token(&self) -> String {
        self.token(pb::Role::Clock, None).await
    }

    /// The stored events of an employee, straight from the database.
    pub async fn stored_events(
        &self,
        employee_id: &str,
    ) -> Vec<tidsvakt::domain::event::StoredEvent> {
        use tidsvakt::storage::Store as _;
        let org = self.org_id().await;
        self.store
            .events_of(org, employee_id.parse().unwrap())
            .await
            .unwrap()
    }

    /// The employee's clock status, as an ADMIN reads it.
    pub async fn clock_status(&self, employee_id: &str) -> pb::ClockStatus {
        self.clock_client(&self.admin_token)
            .get_clock_status(pb::GetClockStatusRequest {
                employee_id: employee_id.into(),
            })
            .await
            .unwrap()
            .into_inner()
            .status
            .unwrap()
    }

    /// The organisation of the first admin token.
    pub async fn org_id(&self) -> tidsvakt::domain::ids::OrgId {
        let org = self
            .admin()
            .get_organisation(pb::GetOrganisationRequest {})
            .await
            .unwrap()
            .into_inner()
            .organisation
            .unwrap();
        org.organisation_id.parse().unwrap()
    }
}

/// A clock event for `employee_id`.
pub fn event(employee_id: &str, kind: pb::EventKind, t: DateTime<Utc>) -> pb::ClockEvent {
    pb::ClockEvent {
        event_id: Uuid::new_v4().to_string(),
        employee_id: employee_id.into(),
        kind: kind as i32,
        occurred_at: Some(ts(t)),
        location: pb::Location::Office as i32,
        device_id: "test".into(),
    }
}

/// Asserts a gRPC error has `code` and a message mentioning `needle`.
pub fn assert_error<T: std::fmt::Debug>(result: Result<T, Status>, code: Code, needle: &str) {
    match result {
        Ok(v) => panic!("expected {code:?} mentioning '{needle}', got Ok({v:?})"),
        Err(s) => {
            assert_eq!(s.code(), code, "message: {}", s.message());
            assert!(
                s.message().contains(needle),
                "expected the message to mention '{needle}', got '{}'",
                s.message()
            );
        }
    }
}

impl TestApp {
    /// The answer of a `SELECT COUNT(*) …`, straight from the database.
    pub async fn count(&self, sql: &str) -> i64 {
        let mut conn = sqlx::AnyConnection::connect(&self.database_url)
            .await
            .unwrap();
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

/// Sends `events` as one `SyncEvents` message; its one reply.
pub async fn sync_one_message(
    client: &mut ClockClient,
    events: Vec<pb::ClockEvent>,
) -> pb::SyncEventsResponse {
    client
        .sync_events(tokio_stream::iter(vec![pb::SyncEventsRequest { events }]))
        .await
        .unwrap()
        .into_inner()
        .message()
        .await
        .unwrap()
        .unwrap()
}

/// Records `events` one `RecordEvent` at a time, in order; each must be taken.
pub async fn record_each(client: &mut ClockClient, events: &[pb::ClockEvent]) {
    for e in events {
        client
            .record_event(pb::RecordEventRequest {
                event: Some(e.clone()),
            })
            .await
            .unwrap();
    }
}
