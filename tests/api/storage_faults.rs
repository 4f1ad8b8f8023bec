//! Storage faults (issue 14 items 9 and 11): a read-only or full database
//! keeps reads answering, refuses writes with UNAVAILABLE saying why, says
//! `NOT_SERVING` for the write services only, and recovers by itself; a
//! database that stops answering is reported fast.
//!
//! Real faults, not flags: SQLite's file is made immutable (`chattr +i`,
//! because these tests run as root, where a 0444 mode stops no write), its
//! volume is a small tmpfs filled up, and PostgreSQL's database is made
//! read-only (`default_transaction_read_only`) or closed to connections
//! (`ALLOW_CONNECTIONS false`). Where the machine allows none of that, the
//! test says so loudly and skips.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike as _, NaiveDate, Utc};
use sqlx::{Connection as _, Executor as _};
use tidsvakt::pb;
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;

use crate::durability::{Server, start_server_with};
use crate::helpers::*;
use crate::web_client::Browser;

/// Says loudly, past the test harness's capture, that a test is skipped.
pub fn skip(test: &str, why: &str) {
    let _ = writeln!(std::io::stderr(), "\n!!! {test} SKIPPED: {why}\n");
}

/// Runs a command; `Err` with its output when it fails.
pub fn run(cmd: &str, args: &[&str]) -> Result<(), String> {
    let out = std::process::Command::new(cmd)
        .args(args)
        .output()
        .map_err(|e| format!("{cmd}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd} {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// A health status, as a client asks for it.
pub async fn health(channel: &Channel, service: &str) -> ServingStatus {
    tonic_health::pb::health_client::HealthClient::new(channel.clone())
        .check(tonic_health::pb::HealthCheckRequest {
            service: service.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .status()
}

/// Polls `service`'s health until it is `want`; panics after `bound`.
/// Returns how long it took.
pub async fn health_becomes(
    channel: &Channel,
    service: &str,
    want: ServingStatus,
    since: Instant,
    bound: Duration,
) -> Duration {
    loop {
        if health(channel, service).await == want {
            return since.elapsed();
        }
        assert!(
            since.elapsed() < bound,
            "{service} did not become {want:?} within {bound:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Stops a server started as a child process with SIGTERM.
pub async fn stop(mut server: Server) {
    let pid = server.child.id().unwrap().to_string();
    run("kill", &["-TERM", &pid]).unwrap();
    let status = tokio::time::timeout(Duration::from_secs(30), server.child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "exit status {status:?}");
}

/// What the tests' record looks like: one employee who worked 08:00–16:00
/// UTC yesterday.
pub struct Record {
    pub channel: Channel,
    pub admin: String,
    pub employee_id: String,
    pub day: NaiveDate,
    pub clock_in: pb::ClockEvent,
    pub clock_out: pb::ClockEvent,
    /// The server's clock when the record was posted.
    pub now: DateTime<Utc>,
}

impl Record {
    /// Registers the employee and posts the day's two events; `now` is the
    /// server's clock.
    pub async fn post(addr: &str, admin: &str, now: DateTime<Utc>) -> Self {
        let channel = Channel::from_shared(addr.to_owned())
            .unwrap()
            .connect()
            .await
            .unwrap();
        let employee = pb::admin_service_client::AdminServiceClient::with_interceptor(
            channel.clone(),
            Bearer::for_token(admin),
        )
        .create_employee(pb::CreateEmployeeRequest {
            external_id: "E1".into(),
            name: "Kari".into(),
            email: "kari@example.no".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap();
        let day = now.date_naive() - chrono::Duration::days(1);
        let at = |h| day.and_hms_opt(h, 0, 0).unwrap().and_utc();
        let clock_in = event(&employee.employee_id, pb::EventKind::ClockIn, at(8));
        let clock_out = event(&employee.employee_id, pb::EventKind::ClockOut, at(16));
        let record = Self {
            channel,
            admin: admin.to_owned(),
            employee_id: employee.employee_id,
            day,
            clock_in,
            clock_out,
            now,
        };
        for e in [&record.clock_in, &record.clock_out] {
            record.record(e).await.unwrap();
        }
        record
    }

    pub fn clock(&self) -> ClockClient {
        pb::clock_service_client::ClockServiceClient::with_interceptor(
            self.channel.clone(),
            Bearer::for_token(&self.admin),
        )
    }

    pub async fn record(
        &self,
        e: &pb::ClockEvent,
    ) -> Result<pb::RecordEventResponse, tonic::Status> {
        self.clock()
            .record_event(pb::RecordEventRequest {
                event: Some(e.clone()),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    /// Worked minutes of the day, from `GetTimesheet`.
    pub async fn worked_minutes(&self) -> Result<i64, tonic::Status> {
        let date = pb::LocalDate {
            year: self.day.year(),
            month: i32::try_from(self.day.month()).unwrap(),
            day: i32::try_from(self.day.day()).unwrap(),
        };
        let sheet = pb::timesheet_service_client::TimesheetServiceClient::with_interceptor(
            self.channel.clone(),
            Bearer::for_token(&self.admin),
        )
        .get_timesheet(pb::GetTimesheetRequest {
            employee_id: self.employee_id.clone(),
            dates: Some(pb::LocalDateRange {
                start: Some(date),
                end: Some(date),
            }),
        })
        .await?
        .into_inner();
        Ok(sheet.totals.unwrap().worked_minutes)
    }

    /// The employee's findings about the day, from `ListFindings` (not
    /// those of events a test writes months before it: whether their
    /// recompute could still be stored on a full volume depends on when
    /// the WAL was last checkpointed).
    pub async fn findings(&self) -> Result<usize, tonic::Status> {
        let date = |d: NaiveDate| pb::LocalDate {
            year: d.year(),
            month: i32::try_from(d.month()).unwrap(),
            day: i32::try_from(d.day()).unwrap(),
        };
        Ok(
            pb::timesheet_service_client::TimesheetServiceClient::with_interceptor(
                self.channel.clone(),
                Bearer::for_token(&self.admin),
            )
            .list_findings(pb::ListFindingsRequest {
                scope: Some(pb::list_findings_request::Scope::EmployeeId(
                    self.employee_id.clone(),
                )),
                period: Some(pb::list_findings_request::Period::Dates(
                    pb::LocalDateRange {
                        start: Some(date(self.day - chrono::Duration::days(1))),
                        end: Some(date(self.day + chrono::Duration::days(1))),
                    },
                )),
                ..Default::default()
            })
            .await?
            .into_inner()
            .findings
            .len(),
        )
    }

    /// The employee's WORKED minutes in the day's month and whether its
    /// open findings count waits for a recompute, from `ListTotals`.
    pub async fn pulled(&self) -> Result<(i64, bool), tonic::Status> {
        let mut stream = pb::payroll_service_client::PayrollServiceClient::with_interceptor(
            self.channel.clone(),
            Bearer::for_token(&self.admin),
        )
        .list_totals(pb::ListTotalsRequest {
            period_id: format!("{}-{:02}", self.day.year(), self.day.month()),
            ..Default::default()
        })
        .await?
        .into_inner();
        while let Some(m) = stream.message().await? {
            let t = m.totals.unwrap();
            if t.employee_id == self.employee_id {
                let worked = t
                    .lines
                    .iter()
                    .filter(|l| l.category() == pb::PayCategory::Worked)
                    .map(|l| l.minutes)
                    .sum();
                return Ok((worked, t.open_findings_pending));
            }
        }
        panic!("ListTotals did not send the employee");
    }

    /// Pulls until the employee's open findings count no longer waits for
    /// a recompute (a pooled session opened while writes were refused may
    /// refuse the first drain after they return); panics after `bound`.
    pub async fn judged_again(&self, bound: Duration) {
        let since = Instant::now();
        while self.pulled().await.unwrap().1 {
            assert!(
                since.elapsed() < bound,
                "the count still waited for a recompute {bound:?} after writes returned"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Queues a recompute of the employee, as a write does, so that the next
    /// read has findings to bring up to date (a write).
    pub async fn queue_recompute(&self, database_url: &str) {
        let mut conn = sqlx::AnyConnection::connect(database_url).await.unwrap();
        if database_url.starts_with("postgres") {
            // This session writes even where the database is made read-only.
            conn.execute("SET default_transaction_read_only = off")
                .await
                .unwrap();
        }
        let t = self.now.timestamp_micros();
        sqlx::query(
            "INSERT INTO recompute_queue (organisation_id, employee_id, from_at, to_at, version, queued_at) \
             SELECT organisation_id, id, $2, $3, 1, $3 FROM employees WHERE id = $1 \
             ON CONFLICT (organisation_id, employee_id) DO UPDATE SET version = recompute_queue.version + 1",
        )
        .bind(self.employee_id.clone())
        .bind(t - 86_400_000_000 * 2)
        .bind(t)
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
}

/// Retries `e` until it is stored (the service recovers by itself); panics
/// after `bound`.
async fn recorded_again(record: &Record, e: &pb::ClockEvent, bound: Duration) -> Duration {
    let since = Instant::now();
    loop {
        match record.record(e).await {
            Ok(_) => return since.elapsed(),
            Err(s) => {
                assert_eq!(s.code(), Code::Unavailable, "{}", s.message());
                assert!(
                    since.elapsed() < bound,
                    "writes did not recover within {bound:?}: {}",
                    s.message()
                );
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// While the storage refuses writes: reads answer from the record, a write is
/// UNAVAILABLE naming `fault` (after at most `slack` small ones taken), and
/// health says `NOT_SERVING` for writes only.
async fn reads_answer_writes_refused(record: &Record, fault: &str, findings: usize, slack: i64) {
    let since = Instant::now();
    let took = health_becomes(
        &record.channel,
        "tidsvakt.v1.ClockService",
        ServingStatus::NotServing,
        since,
        Duration::from_secs(10),
    )
    .await;
    eprintln!("ClockService NOT_SERVING after {took:?}");
    for service in [
        "",
        "tidsvakt.v1.TimesheetService",
        "tidsvakt.v1.PayrollService",
    ] {
        assert_eq!(
            health(&record.channel, service).await,
            ServingStatus::Serving,
            "'{service}' keeps serving reads"
        );
    }
    assert_eq!(
        health(&record.channel, "tidsvakt.v1.AdminService").await,
        ServingStatus::NotServing
    );
    assert_eq!(record.worked_minutes().await.unwrap(), 480);
    assert_eq!(record.findings().await.unwrap(), findings);
    // A full volume may still hold a few small writes (`slack`): the WAL
    // keeps the space a refused write had taken. So writes go on until one
    // is refused; a read-only store refuses the first (no slack).
    let mut taken = 0;
    let refused = loop {
        let late = event(
            &record.employee_id,
            pb::EventKind::ClockIn,
            record.now - chrono::Duration::minutes(5) - chrono::Duration::seconds(taken),
        );
        match record.record(&late).await {
            Ok(_) if taken < slack => taken += 1,
            other => break other,
        }
    };
    eprintln!("{taken} writes were taken before one was refused");
    assert_error(refused, Code::Unavailable, fault);
}

/// Keeps an immutable file deletable: clears the flag when dropped.
struct Immutable(PathBuf);

impl Immutable {
    fn set(path: &Path) -> Result<Self, String> {
        run("chattr", &["+i", path.to_str().unwrap()])?;
        Ok(Self(path.to_owned()))
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = run("chattr", &["-i", self.0.to_str().unwrap()]);
    }
}

/// SQLite: the database file is immutable when the server starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_immutable_sqlite_file_keeps_reads_and_refuses_writes_until_writable() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tidsvakt.db");
    let url = format!("sqlite://{}", file.display());
    let server = start_server_with(dir.path(), &url, &[]).await;
    let admin = server.first_admin.clone().unwrap();
    let record = Record::post(&server.addr, &admin, Utc::now()).await;
    assert_eq!(record.worked_minutes().await.unwrap(), 480);
    let findings = record.findings().await.unwrap();
    stop(server).await;
    // A change the recompute worker had not reached when writes stopped.
    record.queue_recompute(&url).await;

    let flag = match Immutable::set(&file) {
        Ok(flag) => flag,
        Err(e) => {
            return skip(
                "an_immutable_sqlite_file_keeps_reads_and_refuses_writes_until_writable",
                &format!("cannot make the file immutable ({e})"),
            );
        }
    };
    let server = start_server_with(dir.path(), &url, &[]).await;
    let record = Record {
        channel: Channel::from_shared(server.addr.clone())
            .unwrap()
            .connect()
            .await
            .unwrap(),
        ..record
    };
    reads_answer_writes_refused(&record, "the storage is read-only", findings, 0).await;
    // The pull answers, and says which count waits for the change it could
    // not judge; its minutes never wait.
    assert_eq!(record.pulled().await.unwrap(), (480, true));

    drop(flag);
    let since = Instant::now();
    let late = event(
        &record.employee_id,
        pb::EventKind::ClockIn,
        record.now - chrono::Duration::minutes(4),
    );
    let took = recorded_again(&record, &late, Duration::from_secs(10)).await;
    eprintln!("writes taken again {took:?} after the file became writable");
    record.judged_again(Duration::from_secs(10)).await;
    health_becomes(
        &record.channel,
        "tidsvakt.v1.ClockService",
        ServingStatus::Serving,
        since,
        Duration::from_secs(10),
    )
    .await;
    stop(server).await;
}

/// Unmounts a test's tmpfs when dropped.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = run("umount", &["-l", self.0.to_str().unwrap()]);
    }
}

/// Fills the volume at `dir` with one file; returns its path.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let chunk = vec![0u8; 16 * 1024];
    while f.write_all(&chunk).is_ok() {}
    let _ = f.sync_all();
    path
}

/// SQLite: the volume fills up while the server runs, then space returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_sqlite_volume_keeps_reads_and_refuses_writes_until_space_returns() {
    let name = "a_full_sqlite_volume_keeps_reads_and_refuses_writes_until_space_returns";
    let outer = tempfile::tempdir().unwrap();
    let dir = outer.path().join("volume");
    std::fs::create_dir(&dir).unwrap();
    if let Err(e) = run(
        "mount",
        &[
            "-t",
            "tmpfs",
            "-o",
            "size=16m",
            "tmpfs",
            dir.to_str().unwrap(),
        ],
    ) {
        return skip(name, &format!("cannot mount a small tmpfs ({e})"));
    }
    let _mounted = Mounted(dir.clone());
    let url = format!("sqlite://{}", dir.join("tidsvakt.db").display());
    let server = start_server_with(&dir, &url, &[]).await;
    let admin = server.first_admin.clone().unwrap();
    let record = Record::post(&server.addr, &admin, Utc::now()).await;
    let findings = record.findings().await.unwrap();

    let filler = fill(&dir);
    // Write until the database needs space it cannot get: single clock-ins
    // long before the day the reads check, each like the next.
    let mut refused = None;
    for i in 0..5000i64 {
        let t = record.now - chrono::Duration::days(300) + chrono::Duration::minutes(i);
        let e = event(&record.employee_id, pb::EventKind::ClockIn, t);
        if let Err(s) = record.record(&e).await {
            refused = Some((i, s));
            break;
        }
    }
    let (taken, status) = refused.expect("a full volume refuses a write");
    eprintln!("the full volume still took {taken} events, then refused one");
    assert_eq!(status.code(), Code::Unavailable, "{}", status.message());
    assert!(
        status.message().contains("the storage is full"),
        "{}",
        status.message()
    );
    reads_answer_writes_refused(&record, "the storage is full", findings, 200).await;

    std::fs::remove_file(filler).unwrap();
    let since = Instant::now();
    let late = event(
        &record.employee_id,
        pb::EventKind::ClockIn,
        record.now - chrono::Duration::minutes(4),
    );
    let took = recorded_again(&record, &late, Duration::from_secs(10)).await;
    eprintln!("writes taken again {took:?} after space returned");
    health_becomes(
        &record.channel,
        "tidsvakt.v1.ClockService",
        ServingStatus::Serving,
        since,
        Duration::from_secs(10),
    )
    .await;
    stop(server).await;
}

/// The database name of a PostgreSQL URL.
fn database_name(url: &str) -> String {
    let path = url.split('?').next().unwrap();
    path.rsplit('/').next().unwrap().to_owned()
}

async fn on_postgres_server(admin_url: &str, sql: &str) {
    let mut conn = sqlx::AnyConnection::connect(admin_url).await.unwrap();
    conn.execute(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    conn.close().await.unwrap();
}

/// Ends every session of `db` (the server's pool must open new ones).
async fn terminate_sessions(admin_url: &str, db: &str) {
    on_postgres_server(
        admin_url,
        &format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{db}' AND pid <> pg_backend_pid()"
        ),
    )
    .await;
}

/// PostgreSQL: the database turns read-only (as a demoted primary does).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_only_postgres_database_keeps_reads_and_refuses_writes_until_writable() {
    let Some(admin_url) = pg_url() else {
        return;
    };
    let app = spawn_app(Db::Postgres(admin_url.clone())).await;
    let record = Record::post(&app.addr, &app.admin_token, test_now()).await;
    let findings = record.findings().await.unwrap();
    let db = database_name(&app.database_url);
    // Signed in while the database takes writes (a sign-in stores a session).
    let mut browser = Browser::with_token(&app.web_url, &app.admin_token).await;
    let payroll_page = format!(
        "/admin/payroll/{}-{:02}",
        record.day.year(),
        record.day.month()
    );

    on_postgres_server(
        &admin_url,
        &format!("ALTER DATABASE {db} SET default_transaction_read_only = on"),
    )
    .await;
    terminate_sessions(&admin_url, &db).await;
    // A change the recompute worker has yet to store: its next round, and
    // every read, meet the refusal.
    record.queue_recompute(&app.database_url).await;
    reads_answer_writes_refused(&record, "the storage is read-only", findings, 0).await;
    // The pull answers, and says which count waits for the change it could
    // not judge; its minutes never wait. So does the payroll page.
    assert_eq!(record.pulled().await.unwrap(), (480, true));
    let page = browser.get(&payroll_page).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.has("class=\"findings-pending\""), "{}", page.body);
    assert!(page.has("id=\"findings-pending-note\""), "{}", page.body);

    on_postgres_server(
        &admin_url,
        &format!("ALTER DATABASE {db} SET default_transaction_read_only = off"),
    )
    .await;
    let since = Instant::now();
    let late = event(
        &record.employee_id,
        pb::EventKind::ClockIn,
        record.now - chrono::Duration::minutes(4),
    );
    let took = recorded_again(&record, &late, Duration::from_secs(10)).await;
    eprintln!("writes taken again {took:?} after the database became writable");
    record.judged_again(Duration::from_secs(10)).await;
    let page = browser.get(&payroll_page).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(!page.has("findings-pending"), "{}", page.body);
    health_becomes(
        &record.channel,
        "tidsvakt.v1.ClockService",
        ServingStatus::Serving,
        since,
        Duration::from_secs(10),
    )
    .await;
}

/// PostgreSQL stops answering (the database takes no connections and its
/// sessions are ended): a call with a 2 s deadline gets UNAVAILABLE, and
/// health says `NOT_SERVING`, each within 2 s; both come back within 2 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_outage_is_unavailable_and_not_serving_within_two_seconds() {
    let Some(admin_url) = pg_url() else {
        return;
    };
    let app = spawn_app(Db::Postgres(admin_url.clone())).await;
    let record = Record::post(&app.addr, &app.admin_token, test_now()).await;
    let db = database_name(&app.database_url);
    let status = |deadline: Duration| {
        let mut clock = record.clock();
        let id = record.employee_id.clone();
        async move {
            let mut request = tonic::Request::new(pb::GetClockStatusRequest { employee_id: id });
            request.set_timeout(deadline);
            clock.get_clock_status(request).await
        }
    };
    status(Duration::from_secs(2)).await.unwrap();

    on_postgres_server(
        &admin_url,
        &format!("ALTER DATABASE {db} ALLOW_CONNECTIONS false"),
    )
    .await;
    terminate_sessions(&admin_url, &db).await;
    let stopped = Instant::now();
    let answer = status(Duration::from_secs(2)).await;
    let unavailable_after = stopped.elapsed();
    assert_error(answer, Code::Unavailable, "retry later");
    let not_serving_after = health_becomes(
        &app.channel,
        "",
        ServingStatus::NotServing,
        stopped,
        Duration::from_secs(5),
    )
    .await;
    eprintln!("UNAVAILABLE after {unavailable_after:?}, NOT_SERVING after {not_serving_after:?}");
    assert!(
        unavailable_after < Duration::from_secs(2),
        "UNAVAILABLE after {unavailable_after:?}"
    );
    assert!(
        not_serving_after < Duration::from_secs(2),
        "NOT_SERVING after {not_serving_after:?}"
    );

    on_postgres_server(
        &admin_url,
        &format!("ALTER DATABASE {db} ALLOW_CONNECTIONS true"),
    )
    .await;
    let back = Instant::now();
    let serving_after = health_becomes(
        &app.channel,
        "",
        ServingStatus::Serving,
        back,
        Duration::from_secs(5),
    )
    .await;
    eprintln!("SERVING again after {serving_after:?}");
    assert!(
        serving_after < Duration::from_secs(2),
        "SERVING after {serving_after:?}"
    );
    status(Duration::from_secs(2)).await.unwrap();
}
