//! The *My time* page against `GetTimesheet` (issue 12): what a month costs
//! the server as a web page, beside the RPC that reads the same figures.
//!
//! Measured as issue 15 asks benchmarks to be: the real release binary in
//! its own process (`tidsvakt serve` on random loopback ports, background
//! jobs on, a fresh data folder), the load from this process, medians of 5
//! rounds, and the ceilings beside it in the same run:
//!
//! - `GET /time?month=YYYY-MM` of the signed-in employee (a session cookie
//!   from the emailed link), for last month, with a year of history stored
//!   (about 250 working days of clock-in, lunch break, clock-out);
//! - `GetTimesheet` of the same employee and month over gRPC, with a token
//!   bound to that employee (the same role the page's session acts as);
//! - ceilings: `GET /static/style.css` through the same HTTP stack, and the
//!   gRPC health check through the same gRPC stack.
//!
//! Each scenario runs with 1 and 8 concurrent callers, each caller on its
//! own keep-alive connection. Reported per scenario: client-side latency
//! over loopback (p50, p99) and the server process's CPU time per request
//! (utime + stime from `/proc/<pid>/stat` across the round, divided by the
//! requests; the clock-tick resolution is 10 ms, so the ceilings run 25× as
//! many requests). Rounds interleave the scenarios, so drift hits all alike.
//!
//! `cargo bench --bench web_page`. `TIDSVAKT_BENCH_PG_URL` (an admin URL of
//! a PostgreSQL server) runs it on a fresh database there, dropped after.
//! `TIDSVAKT_BENCH_REQUESTS` (default 200) sets the requests per round.
//! `TIDSVAKT_BENCH_PROFILE=page` (or `rpc`, `css`, `health`) skips the
//! rounds and loads that scenario alone for 30 s, for a profiler.

#![allow(
    clippy::unwrap_used,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::too_many_lines
)]

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Europe::Oslo;
use prost::Message as _;
use sqlx::{Connection as _, Executor as _};
use tidsvakt::pb;
use tokio::io::{
    AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader, BufStream,
};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tonic::transport::Channel;
use uuid::Uuid;

const ROUNDS: usize = 5;
const CALLERS: [usize; 2] = [1, 8];
/// The ceilings are cheap: more requests, so CPU ticks are not all zero.
const CEILING_FACTOR: usize = 25;
const EMAIL: &str = "kari.bench@example.no";

// ---------------------------------------------------------------------------
// A year of history.

/// A small deterministic generator, so every run sees the same year.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> i64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        i64::try_from((self.0 >> 33) % n).unwrap()
    }
}

fn local(d: NaiveDate, minutes: i64) -> DateTime<Utc> {
    Oslo.from_local_datetime(&(d.and_hms_opt(0, 0, 0).unwrap() + Duration::minutes(minutes)))
        .earliest()
        .unwrap_or_else(|| {
            Oslo.from_local_datetime(&d.and_hms_opt(4, 0, 0).unwrap())
                .unwrap()
        })
        .with_timezone(&Utc)
}

/// Office days Mon–Fri from `first` to `last`: in 07:30–09:00, out
/// 15:30–18:30, a 30-minute lunch break on most days, an evening session
/// at home one day in eight, a day off one weekday in twenty, a Saturday
/// now and then. Returns the events and the number of working days.
fn history(
    first: NaiveDate,
    last: NaiveDate,
) -> (Vec<(pb::EventKind, pb::Location, DateTime<Utc>)>, usize) {
    use pb::{EventKind as K, Location as L};
    let mut r = Lcg(7);
    let mut out = Vec::new();
    let mut days = 0;
    let mut d = first;
    while d <= last {
        let work = match d.weekday() {
            Weekday::Sat => r.next(10) == 0,
            Weekday::Sun => false,
            _ => r.next(20) != 0,
        };
        if work {
            days += 1;
            let start = 450 + r.next(90);
            let end = 930 + r.next(180);
            out.push((K::ClockIn, L::Office, local(d, start)));
            if r.next(10) != 0 {
                let b = 690 + r.next(30);
                out.push((K::BreakStart, L::Unspecified, local(d, b)));
                out.push((K::BreakEnd, L::Unspecified, local(d, b + 30)));
            }
            out.push((K::ClockOut, L::Unspecified, local(d, end)));
            if r.next(8) == 0 {
                out.push((K::ClockIn, L::Home, local(d, 1200)));
                out.push((K::ClockOut, L::Unspecified, local(d, 1230 + r.next(120))));
            }
        }
        d += Duration::days(1);
    }
    (out, days)
}

// ---------------------------------------------------------------------------
// The server in its own process.

struct Server {
    child: Child,
    pid: u32,
    grpc_url: String,
    web: SocketAddr,
    admin_token: String,
    outbox: PathBuf,
    backend: &'static str,
    /// `(admin URL, database)` to drop afterwards, on PostgreSQL.
    pg: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

async fn database() -> Option<(String, String, String)> {
    let admin = std::env::var("TIDSVAKT_BENCH_PG_URL")
        .ok()
        .filter(|u| !u.is_empty())?;
    sqlx::any::install_default_drivers();
    let name = format!("tidsvakt_bench_{}", Uuid::new_v4().simple());
    let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap();
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    conn.close().await.unwrap();
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    Some((format!("{base}/{name}"), admin, name))
}

/// Starts `tidsvakt serve` on random ports and reads from its output the
/// admin token (stdout, first start), the web URL (stdout) and the gRPC
/// address (the JSON log line "serving gRPC" on stderr). Both pipes are
/// drained afterwards so the server never blocks on its log.
async fn start_server() -> Server {
    let dir = tempfile::tempdir().unwrap();
    let pg = database().await;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tidsvakt"));
    cmd.args([
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--web-listen",
        "127.0.0.1:0",
    ])
    .arg("--data-dir")
    .arg(dir.path())
    .args(["--log-format", "json"])
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .kill_on_drop(true);
    if let Some((url, _, _)) = &pg {
        cmd.args(["--database-url", url]);
    }
    let mut child = cmd.spawn().expect("the release binary starts");
    let pid = child.id().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();

    let read_stdout = async {
        let (mut token, mut web) = (None, None);
        let mut token_next = false;
        while let Some(line) = stdout.next_line().await.unwrap() {
            if token_next {
                token = Some(line.trim().to_owned());
                token_next = false;
            } else if line.trim_end().ends_with("Token:") {
                token_next = true;
            } else if let Some(url) = line.strip_prefix("Tidsvakt on the web: ") {
                web = Some(url.trim().to_owned());
                break;
            }
        }
        (
            token.expect("an admin token on first start"),
            web.expect("the web URL"),
        )
    };
    let read_stderr = async {
        while let Some(line) = stderr.next_line().await.unwrap() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            if v["message"] == "serving gRPC" {
                return v["addr"].as_str().unwrap().to_owned();
            }
        }
        panic!("the server stopped before serving gRPC");
    };
    let ((admin_token, web_url), grpc) = tokio::time::timeout(
        StdDuration::from_secs(60),
        futures::future::join(read_stdout, read_stderr),
    )
    .await
    .expect("the server starts within 60 s");
    tokio::spawn(async move { while let Ok(Some(_)) = stdout.next_line().await {} });
    tokio::spawn(async move { while let Ok(Some(_)) = stderr.next_line().await {} });

    let web = web_url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    Server {
        child,
        pid,
        grpc_url: format!("http://{grpc}"),
        web,
        admin_token,
        outbox: dir.path().join("outbox"),
        backend: if pg.is_some() { "PostgreSQL" } else { "SQLite" },
        pg: pg.map(|(_, admin, name)| (admin, name)),
        _dir: dir,
    }
}

impl Server {
    async fn stop(mut self) {
        self.child.kill().await.unwrap();
        if let Some((admin, name)) = self.pg.take() {
            let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap();
            conn.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                .await
                .unwrap();
        }
    }
}

/// The server's CPU time so far (user + system, all threads), in µs.
fn cpu_us(pid: u32, tick_us: f64) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name, which is in parentheses: state is
    // field 3, utime 14, stime 15.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap();
    ticks as f64 * tick_us
}

fn tick_us() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .map_or(10_000.0, |hz| 1e6 / hz)
}

// ---------------------------------------------------------------------------
// A minimal HTTP/1.1 client: one keep-alive connection, no pipelining.

struct Http {
    io: BufStream<TcpStream>,
    host: String,
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn set_cookies(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .filter_map(|(_, v)| v.split(';').next()?.split_once('='))
    }
}

impl Http {
    async fn connect(addr: SocketAddr) -> Self {
        let s = TcpStream::connect(addr).await.unwrap();
        s.set_nodelay(true).unwrap();
        Self {
            io: BufStream::new(s),
            host: addr.to_string(),
        }
    }

    async fn send(&mut self, method: &str, path: &str, cookie: &str, form: Option<&str>) -> Reply {
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.host);
        if !cookie.is_empty() {
            write!(req, "Cookie: {cookie}\r\n").unwrap();
        }
        if let Some(body) = form {
            write!(
                req,
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
        } else {
            req.push_str("\r\n");
        }
        self.io.write_all(req.as_bytes()).await.unwrap();
        self.io.flush().await.unwrap();

        let mut line = String::new();
        self.io.read_line(&mut line).await.unwrap();
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP status line: {line:?}"));
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.io.read_line(&mut line).await.unwrap();
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let (k, v) = l.split_once(':').unwrap();
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        let mut body = Vec::new();
        if let Some(n) = header("content-length") {
            body.resize(n.parse().unwrap(), 0);
            self.io.read_exact(&mut body).await.unwrap();
        } else if header("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
            loop {
                line.clear();
                self.io.read_line(&mut line).await.unwrap();
                let size =
                    usize::from_str_radix(line.trim().split(';').next().unwrap(), 16).unwrap();
                let at = body.len();
                body.resize(at + size, 0);
                self.io.read_exact(&mut body[at..]).await.unwrap();
                line.clear();
                self.io.read_line(&mut line).await.unwrap();
                if size == 0 {
                    break;
                }
            }
        }
        Reply {
            status,
            headers,
            body,
        }
    }
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn hidden(html: &str, name: &str) -> String {
    let key = format!("name=\"{name}\" value=\"");
    let at = html
        .find(&key)
        .unwrap_or_else(|| panic!("no hidden {name} in:\n{html}"))
        + key.len();
    html[at..].chars().take_while(|c| *c != '"').collect()
}

/// The sign-in link in the outbox folder, waiting for it up to 20 s.
async fn link_in_outbox(outbox: &Path) -> String {
    let started = Instant::now();
    loop {
        if let Ok(entries) = std::fs::read_dir(outbox) {
            for e in entries.flatten() {
                let path = e.path();
                if path.extension().is_none_or(|x| x != "eml") {
                    continue;
                }
                let raw = std::fs::read(&path).unwrap();
                let Some(msg) = mail_parser::MessageParser::default().parse(&raw) else {
                    continue;
                };
                let text = msg.body_text(0).unwrap_or_default();
                if let Some(at) = text.find("/sign-in/link?token=") {
                    return text[at..]
                        .chars()
                        .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '<' && *c != '>')
                        .collect();
                }
            }
        }
        assert!(
            started.elapsed() < StdDuration::from_secs(20),
            "no sign-in link in {} after 20 s",
            outbox.display()
        );
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
}

/// Signs in on the web as a person would, and returns the session cookie
/// (`tv_session=…`).
async fn sign_in(web: SocketAddr, outbox: &Path) -> String {
    let mut http = Http::connect(web).await;
    let mut jar: HashMap<String, String> = HashMap::new();
    let cookie = |jar: &HashMap<String, String>| {
        jar.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let keep = |jar: &mut HashMap<String, String>, r: &Reply| {
        for (k, v) in r.set_cookies() {
            jar.insert(k.to_owned(), v.to_owned());
        }
    };
    let r = http.send("GET", "/sign-in", "", None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    keep(&mut jar, &r);
    let csrf = hidden(&r.text(), "csrf");
    let body = form(&[("email", EMAIL), ("csrf", &csrf), ("next", "/")]);
    let r = http
        .send("POST", "/sign-in", &cookie(&jar), Some(&body))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    keep(&mut jar, &r);

    let link = link_in_outbox(outbox).await;
    let r = http.send("GET", &link, &cookie(&jar), None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    keep(&mut jar, &r);
    let html = r.text();
    let body = form(&[
        ("csrf", &hidden(&html, "csrf")),
        ("token", &hidden(&html, "token")),
        ("next", "/"),
    ]);
    let r = http
        .send("POST", "/sign-in/link", &cookie(&jar), Some(&body))
        .await;
    assert_eq!(r.status, 303, "{}", r.text());
    r.set_cookies()
        .find(|(k, _)| *k == "tv_session")
        .map(|(k, v)| format!("{k}={v}"))
        .expect("a session cookie")
}

// ---------------------------------------------------------------------------
// gRPC.

/// Adds `authorization: Bearer <token>` to every call.
#[derive(Clone)]
struct Bearer(tonic::metadata::MetadataValue<tonic::metadata::Ascii>);

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut r: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        r.metadata_mut().insert("authorization", self.0.clone());
        Ok(r)
    }
}

fn with_bearer(token: &str) -> Bearer {
    Bearer(format!("Bearer {token}").parse().unwrap())
}

async fn channel(url: &str) -> Channel {
    Channel::from_shared(url.to_owned())
        .unwrap()
        .tcp_nodelay(true)
        .connect()
        .await
        .unwrap()
}

fn date_pb(d: NaiveDate) -> pb::LocalDate {
    pb::LocalDate {
        year: d.year(),
        month: i32::try_from(d.month()).unwrap(),
        day: i32::try_from(d.day()).unwrap(),
    }
}

/// What the bench knows after setting up.
struct Fixture {
    employee: String,
    employee_token: String,
    session: String,
    month: NaiveDate,
    month_end: NaiveDate,
}

impl Fixture {
    fn page_path(&self) -> String {
        format!(
            "/time?month={:04}-{:02}",
            self.month.year(),
            self.month.month()
        )
    }

    fn sheet_request(&self) -> pb::GetTimesheetRequest {
        pb::GetTimesheetRequest {
            employee_id: self.employee.clone(),
            dates: Some(pb::LocalDateRange {
                start: Some(date_pb(self.month)),
                end: Some(date_pb(self.month_end)),
            }),
        }
    }
}

async fn set_up(server: &Server) -> Fixture {
    let channel = channel(&server.grpc_url).await;
    let mut admin = pb::admin_service_client::AdminServiceClient::with_interceptor(
        channel.clone(),
        with_bearer(&server.admin_token),
    );
    let mut clock = pb::clock_service_client::ClockServiceClient::with_interceptor(
        channel.clone(),
        with_bearer(&server.admin_token),
    );
    let employee = admin
        .create_employee(pb::CreateEmployeeRequest {
            external_id: "bench-1".into(),
            name: "Kari Bench".into(),
            email: EMAIL.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap()
        .employee_id;
    let employee_token = admin
        .create_api_token(pb::CreateApiTokenRequest {
            name: "bench employee".into(),
            role: pb::Role::Employee as i32,
            employee_id: employee.clone(),
            expires_at: Some(prost_types::Timestamp {
                seconds: (chrono::Utc::now() + chrono::Duration::days(30)).timestamp(),
                nanos: 0,
            }),
            department: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .secret;

    // Last whole month in Oslo, and the twelve months that end with it.
    let today = Utc::now().with_timezone(&Oslo).date_naive();
    let this_month = today.with_day(1).unwrap();
    let month = this_month - Months::new(1);
    let month_end = this_month - Duration::days(1);
    let first = month - Months::new(11);
    let (events, days) = history(first, month_end);
    let n = events.len();
    let started = Instant::now();
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let batches: Vec<pb::SyncEventsRequest> = events
        .chunks(1000)
        .map(|chunk| pb::SyncEventsRequest {
            events: chunk
                .iter()
                .map(|(kind, location, t)| pb::ClockEvent {
                    event_id: Uuid::new_v4().to_string(),
                    employee_id: employee.clone(),
                    kind: *kind as i32,
                    occurred_at: Some(tidsvakt::grpc::convert::timestamp(*t)),
                    location: *location as i32,
                    device_id: "bench".into(),
                })
                .collect(),
        })
        .collect();
    tokio::spawn(async move {
        for b in batches {
            tx.send(b).await.unwrap();
        }
    });
    let mut replies = clock
        .sync_events(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap()
        .into_inner();
    let (mut new, mut rejected) = (0, 0);
    while let Some(r) = replies.message().await.unwrap() {
        new += r.new_count;
        rejected += r.rejected_count;
        if r.rejected_count > 0 {
            let e = r.results.iter().find_map(|x| x.error.as_ref());
            eprintln!("rejected: {e:?}");
        }
    }
    assert_eq!(rejected, 0, "every event of the year is accepted");
    println!(
        "history: {days} working days {first} – {month_end}, {n} events synced ({new} new) in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // The first read drains the employee's recompute queue (the whole year).
    let mut sheets = pb::timesheet_service_client::TimesheetServiceClient::with_interceptor(
        channel.clone(),
        with_bearer(&employee_token),
    );
    let fixture = Fixture {
        employee,
        employee_token,
        session: String::new(),
        month,
        month_end,
    };
    let started = Instant::now();
    let sheet = sheets
        .get_timesheet(fixture.sheet_request())
        .await
        .unwrap()
        .into_inner();
    let worked: i64 = sheet.days.iter().map(|d| d.worked_minutes).sum();
    println!(
        "first GetTimesheet (drains the year's recompute): {:.0} ms; {}: {} days, {} worked, {} findings, reply {} bytes",
        started.elapsed().as_secs_f64() * 1000.0,
        fixture.page_path(),
        sheet.days.len(),
        format_minutes(worked),
        sheet.findings.len(),
        sheet.encoded_len()
    );

    let session = sign_in(server.web, &server.outbox).await;
    let mut http = Http::connect(server.web).await;
    let r = http.send("GET", &fixture.page_path(), &session, None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    // The page shows the days the RPC returns: the same month was read.
    let shown = r.text().matches("id=\"day-").count();
    assert_eq!(shown, sheet.days.len(), "days on the page and in the RPC");
    println!("the page: {} bytes of HTML, {shown} days", r.body.len());
    Fixture { session, ..fixture }
}

fn format_minutes(m: i64) -> String {
    format!("{} h {:02} min", m / 60, m % 60)
}

// ---------------------------------------------------------------------------
// The load.

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Target {
    Page,
    Rpc,
    Css,
    Health,
}

impl Target {
    const ALL: [Self; 4] = [Self::Page, Self::Rpc, Self::Css, Self::Health];

    fn name(self) -> &'static str {
        match self {
            Self::Page => "GET /time?month (My time)",
            Self::Rpc => "GetTimesheet (gRPC)",
            Self::Css => "ceiling: GET /static/style.css",
            Self::Health => "ceiling: grpc.health Check",
        }
    }

    fn requests(self, base: usize) -> usize {
        match self {
            Self::Page | Self::Rpc => base,
            Self::Css | Self::Health => base * CEILING_FACTOR,
        }
    }
}

type Sheets = pb::timesheet_service_client::TimesheetServiceClient<
    tonic::service::interceptor::InterceptedService<Channel, Bearer>,
>;

/// One caller's connection.
enum Caller {
    Http(Http, String, String),
    Sheets(Sheets, pb::GetTimesheetRequest),
    Health(tonic_health::pb::health_client::HealthClient<Channel>),
}

impl Caller {
    async fn new(target: Target, server: &Server, f: &Fixture) -> Self {
        match target {
            Target::Page => Self::Http(
                Http::connect(server.web).await,
                f.page_path(),
                f.session.clone(),
            ),
            Target::Css => Self::Http(
                Http::connect(server.web).await,
                "/static/style.css".into(),
                String::new(),
            ),
            Target::Rpc => Self::Sheets(
                pb::timesheet_service_client::TimesheetServiceClient::with_interceptor(
                    channel(&server.grpc_url).await,
                    with_bearer(&f.employee_token),
                ),
                f.sheet_request(),
            ),
            Target::Health => Self::Health(tonic_health::pb::health_client::HealthClient::new(
                channel(&server.grpc_url).await,
            )),
        }
    }

    async fn call(&mut self) {
        match self {
            Self::Http(http, path, cookie) => {
                let r = http.send("GET", path, cookie, None).await;
                assert_eq!(r.status, 200, "{path}: {}", r.text());
            }
            Self::Sheets(client, req) => {
                let sheet = client
                    .get_timesheet(req.clone())
                    .await
                    .unwrap()
                    .into_inner();
                assert!(!sheet.days.is_empty());
            }
            Self::Health(client) => {
                client
                    .check(tonic_health::pb::HealthCheckRequest {
                        service: String::new(),
                    })
                    .await
                    .unwrap();
            }
        }
    }
}

/// One round's figures.
#[derive(Clone, Copy, Debug)]
struct RoundFigures {
    p50_ms: f64,
    p99_ms: f64,
    cpu_us: f64,
    per_s: f64,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// `n` requests shared by `callers` (each on its own connection), as fast
/// as they answer.
async fn round(callers: &mut Vec<Caller>, n: usize, pid: u32, tick: f64) -> RoundFigures {
    let tickets = Arc::new(AtomicUsize::new(0));
    let cpu_before = cpu_us(pid, tick);
    let started = Instant::now();
    let tasks: Vec<_> = std::mem::take(callers)
        .into_iter()
        .map(|mut c| {
            let tickets = Arc::clone(&tickets);
            tokio::spawn(async move {
                let mut times = Vec::new();
                while tickets.fetch_add(1, Ordering::Relaxed) < n {
                    let t = Instant::now();
                    c.call().await;
                    times.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                (c, times)
            })
        })
        .collect();
    let mut all = Vec::with_capacity(n);
    for t in tasks {
        let (c, times) = t.await.unwrap();
        callers.push(c);
        all.extend(times);
    }
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu_us(pid, tick) - cpu_before;
    all.sort_by(f64::total_cmp);
    RoundFigures {
        p50_ms: percentile(&all, 50.0),
        p99_ms: percentile(&all, 99.0),
        cpu_us: cpu / n as f64,
        per_s: n as f64 / wall,
    }
}

/// Waits until the server is idle (under 10 ms of CPU in a second), at
/// most 60 s, and returns its CPU per second when idle.
async fn settle(pid: u32, tick: f64) -> f64 {
    let started = Instant::now();
    loop {
        let before = cpu_us(pid, tick);
        tokio::time::sleep(StdDuration::from_secs(1)).await;
        let used = cpu_us(pid, tick) - before;
        if used < 10_000.0 || started.elapsed() > StdDuration::from_secs(60) {
            return used;
        }
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

async fn run() {
    let base: usize = std::env::var("TIDSVAKT_BENCH_REQUESTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let tick = tick_us();
    println!("load average before: {}", load_average());
    let server = start_server().await;
    println!(
        "tidsvakt serve (pid {}, {}): gRPC {}, web http://{}",
        server.pid, server.backend, server.grpc_url, server.web
    );
    let fixture = set_up(&server).await;

    // Connections for every scenario, warmed up with a few calls each.
    let mut callers: HashMap<(Target, usize), Vec<Caller>> = HashMap::new();
    for target in Target::ALL {
        for n in CALLERS {
            let mut cs = Vec::new();
            for _ in 0..n {
                let mut c = Caller::new(target, &server, &fixture).await;
                for _ in 0..5 {
                    c.call().await;
                }
                cs.push(c);
            }
            callers.insert((target, n), cs);
        }
    }
    let idle = settle(server.pid, tick).await;
    println!(
        "server idle before the rounds: {:.1} ms CPU per second; {base} requests a round ({} for the ceilings), {ROUNDS} rounds",
        idle / 1000.0,
        base * CEILING_FACTOR
    );

    if let Ok(which) = std::env::var("TIDSVAKT_BENCH_PROFILE") {
        profile(&which, &mut callers, &server, tick).await;
        server.stop().await;
        return;
    }

    let mut figures: Figures = HashMap::new();
    for r in 0..ROUNDS {
        for n in CALLERS {
            for target in Target::ALL {
                let cs = callers.get_mut(&(target, n)).unwrap();
                let f = round(cs, target.requests(base), server.pid, tick).await;
                figures.entry((target, n)).or_default().push(f);
            }
        }
        eprintln!("round {} of {ROUNDS} done", r + 1);
    }
    drop(callers);

    println!();
    println!(
        "{} ({}), {}, medians of {ROUNDS} rounds; latency measured by the client over loopback, CPU is the server process's",
        fixture.page_path(),
        server.backend,
        fixture.month.format("%B %Y")
    );
    report(&figures);
    println!("load average after: {}", load_average());
    server.stop().await;
}

/// Loads one scenario alone (one caller) for 30 s instead of the rounds,
/// so that `perf record -p <pid>` sees nothing else.
async fn profile(
    which: &str,
    callers: &mut HashMap<(Target, usize), Vec<Caller>>,
    server: &Server,
    tick: f64,
) {
    let target = match which {
        "page" => Target::Page,
        "rpc" => Target::Rpc,
        "css" => Target::Css,
        "health" => Target::Health,
        other => panic!("TIDSVAKT_BENCH_PROFILE: '{other}' is not page, rpc, css or health"),
    };
    let cs = callers.get_mut(&(target, 1)).unwrap();
    println!(
        "profiling {} alone for 30 s: perf record -g -p {}",
        target.name(),
        server.pid
    );
    let started = Instant::now();
    while started.elapsed() < StdDuration::from_secs(30) {
        let f = round(cs, target.requests(100), server.pid, tick).await;
        println!(
            "p50 {:.2} ms, p99 {:.2} ms, CPU {:.0} µs/req",
            f.p50_ms, f.p99_ms, f.cpu_us
        );
    }
}

type Figures = HashMap<(Target, usize), Vec<RoundFigures>>;
type Pick = fn(&RoundFigures) -> f64;

const P50: Pick = |f| f.p50_ms;
const P99: Pick = |f| f.p99_ms;
const CPU: Pick = |f| f.cpu_us;
const PER_S: Pick = |f| f.per_s;

/// Prints the table, the page/RPC ratios with their spread by round, and
/// the rounds of the page and the RPC.
fn report(figures: &Figures) {
    let med = |t: Target, n: usize, pick: Pick| median(figures[&(t, n)].iter().map(pick).collect());
    // "p50 / p99 / CPU" of `a` over `b`, each a ratio of medians.
    let ratios = |a: Target, b: Target, n: usize| {
        [P50, P99, CPU]
            .map(|pick| {
                let under = med(b, n, pick);
                if under > 0.0 {
                    format!("{:.2}", med(a, n, pick) / under)
                } else {
                    "n/a".into()
                }
            })
            .join(" / ")
    };
    println!(
        "| {:<32} | callers | {:>8} | {:>8} | {:>11} | {:>7} | {:<24} | {:<24} |",
        "scenario",
        "p50 ms",
        "p99 ms",
        "CPU µs/req",
        "req/s",
        "× RPC (p50/p99/CPU)",
        "× ceiling (p50/p99/CPU)"
    );
    println!(
        "|{:-<34}|---------|{:-<10}|{:-<10}|{:-<13}|{:-<9}|{:-<26}|{:-<26}|",
        "", "", "", "", "", "", ""
    );
    for n in CALLERS {
        for target in Target::ALL {
            let vs_rpc = match target {
                Target::Page => ratios(Target::Page, Target::Rpc, n),
                _ => "—".into(),
            };
            let vs_ceiling = match target {
                Target::Page => ratios(Target::Page, Target::Css, n),
                Target::Rpc => ratios(Target::Rpc, Target::Health, n),
                _ => "—".into(),
            };
            println!(
                "| {:<32} | {n:>7} | {:>8.2} | {:>8.2} | {:>11.0} | {:>7.0} | {vs_rpc:<24} | {vs_ceiling:<24} |",
                target.name(),
                med(target, n, P50),
                med(target, n, P99),
                med(target, n, CPU),
                med(target, n, PER_S),
            );
        }
    }
    println!();
    for n in CALLERS {
        // The ratio of medians, the spread of the ratio by round, and the verdict.
        let line = |name: &str, pick: Pick| {
            let by_round: Vec<f64> = figures[&(Target::Page, n)]
                .iter()
                .zip(&figures[&(Target::Rpc, n)])
                .map(|(page, rpc)| pick(page) / pick(rpc))
                .collect();
            let lo = by_round.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = by_round.iter().copied().fold(0.0, f64::max);
            let ratio = med(Target::Page, n, pick) / med(Target::Rpc, n, pick);
            let verdict = if ratio <= 1.5 {
                "within 1.5"
            } else {
                "OVER 1.5"
            };
            format!("{name} ×{ratio:.2} ({lo:.2}–{hi:.2} by round, {verdict})")
        };
        println!(
            "page / RPC, {n} caller(s): {}, {}, {}",
            line("p50", P50),
            line("p99", P99),
            line("CPU", CPU)
        );
    }
    println!();
    for n in CALLERS {
        for target in [Target::Page, Target::Rpc] {
            let rounds: Vec<String> = figures[&(target, n)]
                .iter()
                .map(|f| format!("{:.2}/{:.2}/{:.0}", f.p50_ms, f.p99_ms, f.cpu_us))
                .collect();
            println!(
                "by round, {n} caller(s), {} (p50 ms/p99 ms/CPU µs): {}",
                target.name(),
                rounds.join("  ")
            );
        }
    }
}

/// `/proc/loadavg`: other work on the machine shows in every figure.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}
