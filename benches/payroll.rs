//! Payroll pull (issue 6): `ListTotals` for one month over gRPC against the
//! real server, at 1,000 and 10,000 employees (about 90 events each, so
//! ~900,000 events at 10,000). Reports, as medians of several runs, the time
//! to the first and to the last message, and the peak memory the pull adds
//! to the process (server and client share it here; the client keeps only
//! a count). Bounded memory shows as a peak that does not grow with the
//! organisation.
//!
//! `cargo bench --bench payroll` (SQLite); with `TIDSVAKT_BENCH_PG_URL`
//! naming an admin URL of a PostgreSQL server, a fresh database is created
//! there and dropped afterwards. `TIDSVAKT_BENCH_SIZES=1000,10000` and
//! `TIDSVAKT_BENCH_RUNS=3` change what is run.

#![allow(clippy::unwrap_used, clippy::cast_precision_loss)]

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Europe::Oslo;
use sqlx::{Connection as _, Executor as _};
use tidsvakt::app::App;
use tidsvakt::clock::ManualClock;
use tidsvakt::config::ServerConfig;
use tidsvakt::grpc::Limits;
use tidsvakt::pb;
use tonic::transport::Channel;
use uuid::Uuid;

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

fn local(d: NaiveDate, minutes: i64) -> i64 {
    Oslo.from_local_datetime(&(d.and_hms_opt(0, 0, 0).unwrap() + Duration::minutes(minutes)))
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
        .timestamp_micros()
}

/// November 2026 for one employee: workdays with a lunch break, an evening
/// now and then, a Saturday rarely. `(kind, location, micros)`.
fn month(seed: u64) -> Vec<(&'static str, Option<&'static str>, i64)> {
    let mut r = Lcg(seed);
    let mut out = Vec::new();
    let mut d = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    while d.month() == 11 {
        let work = match d.weekday() {
            Weekday::Sat => r.next(8) == 0,
            Weekday::Sun => false,
            _ => r.next(20) != 0,
        };
        if work {
            let start = 450 + r.next(90);
            let lunch = 690 + r.next(60);
            let end = 930 + r.next(150);
            let at = if r.next(3) == 0 { "HOME" } else { "OFFICE" };
            out.push(("CLOCK_IN", Some(at), local(d, start)));
            out.push(("BREAK_START", None, local(d, lunch)));
            out.push(("BREAK_END", None, local(d, lunch + 30)));
            out.push(("CLOCK_OUT", None, local(d, end)));
            if r.next(8) == 0 {
                out.push(("CLOCK_IN", Some("HOME"), local(d, 1200)));
                out.push(("CLOCK_OUT", None, local(d, 1290)));
            }
        }
        d += Duration::days(1);
    }
    out
}

/// Bulk-loads `n` employees and their month straight into the database
/// (the API path is measured elsewhere); returns the event count.
async fn load(url: &str, n: usize, now: DateTime<Utc>) -> usize {
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    let (org,): (String,) = sqlx::query_as("SELECT id FROM organisations LIMIT 1")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let created = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .unwrap()
        .timestamp_micros();
    let mut events = 0;
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        conn.execute("BEGIN").await.unwrap();
        for &i in chunk {
            let id = Uuid::new_v4().to_string();
            sqlx::query(
                "INSERT INTO employees (id, organisation_id, external_id, name, email, manager_id, time_zone, \
                 locale, rule_pack, exemption, active, created_at, updated_at, deactivated_at) \
                 VALUES ($1, $2, $3, $4, $5, NULL, 'Europe/Oslo', 'nb', 'no-aml', 'NONE', 1, $6, $6, NULL)",
            )
            .bind(id.clone())
            .bind(org.clone())
            .bind(format!("HR{i:06}"))
            .bind(format!("Employee {i}"))
            .bind(format!("e{i}@example.no"))
            .bind(created)
            .execute(&mut conn)
            .await
            .unwrap();
            let m = month(i as u64 + 1);
            events += m.len();
            let mut sql = String::from(
                "INSERT INTO clock_events (organisation_id, event_id, employee_id, kind, occurred_at, location, device_id, received_at) VALUES ",
            );
            for (j, _) in m.iter().enumerate() {
                let b = j * 5;
                if j > 0 {
                    sql.push_str(", ");
                }
                let _ = write!(
                    sql,
                    "($1, ${}, $2, ${}, ${}, ${}, 'bench', ${})",
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7
                );
            }
            let mut q = sqlx::query(&sql).bind(org.clone()).bind(id.clone());
            for (kind, at, t) in m {
                q = q
                    .bind(Uuid::new_v4().to_string())
                    .bind(kind)
                    .bind(t)
                    .bind(at.map(str::to_string))
                    .bind(now.timestamp_micros());
            }
            q.execute(&mut conn).await.unwrap();
        }
        conn.execute("COMMIT").await.unwrap();
    }
    events
}

/// Current and peak resident memory of this process, in KiB (Linux).
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Resets the peak (`VmHWM`) to the current RSS.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn run(n: usize, runs: usize, pg: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let mut dropper = None;
    let url = match pg {
        Some(admin) => {
            let name = format!("tidsvakt_bench_{}", Uuid::new_v4().simple());
            let mut c = sqlx::AnyConnection::connect(admin).await.unwrap();
            c.execute(format!("CREATE DATABASE {name}").as_str())
                .await
                .unwrap();
            let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
            dropper = Some((admin.to_string(), name.clone()));
            format!("{base}/{name}")
        }
        None => format!("sqlite://{}", dir.path().join("bench.db").display()),
    };
    let now = Utc.with_ymd_and_hms(2026, 12, 3, 9, 0, 0).unwrap();
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        web_listen: "127.0.0.1:0".parse().unwrap(),
        database_url: url.clone(),
        data_dir: dir.path().to_owned(),
        outbox_dir: dir.path().join("outbox"),
        limits: Limits::default(),
        bootstrap: true,
        metrics_listen: None,
        mail: tidsvakt::mail::MailConfig::eml(),
        jobs: tidsvakt::jobs::JobSettings::default(),
        background_jobs: false,
        sso_config: None,
        security: tidsvakt::config::Security::default(),
    };
    let app = App::build(config, Arc::new(ManualClock::new(now)))
        .await
        .unwrap();
    let admin = app.first_admin.as_ref().unwrap().secret.clone();
    let addr = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let t = Instant::now();
    let events = load(&url, n, now).await;
    eprintln!(
        "loaded {n} employees, {events} events in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let channel = Channel::from_shared(addr).unwrap().connect().await.unwrap();
    let auth = format!("Bearer {admin}");
    let mut client = pb::payroll_service_client::PayrollServiceClient::with_interceptor(
        channel,
        move |mut r: tonic::Request<()>| {
            r.metadata_mut()
                .insert("authorization", auth.parse().unwrap());
            Ok(r)
        },
    );
    let (mut first, mut last, mut peak) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        let (before, _) = memory();
        reset_peak();
        let t = Instant::now();
        let mut stream = client
            .list_totals(pb::ListTotalsRequest {
                period_id: "2026-11".into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let mut count = 0;
        let mut t_first = None;
        while let Some(m) = stream.message().await.unwrap() {
            if t_first.is_none() {
                t_first = Some(t.elapsed());
            }
            count += usize::from(m.totals.is_some());
        }
        let t_last = t.elapsed();
        let (_, hwm) = memory();
        assert_eq!(count, n);
        first.push(t_first.unwrap().as_secs_f64() * 1000.0);
        last.push(t_last.as_secs_f64());
        peak.push(hwm.saturating_sub(before) as f64 / 1024.0);
    }
    let backend = if pg.is_some() { "PostgreSQL" } else { "SQLite" };
    println!(
        "{backend:10} {n:>6} employees {events:>7} events: first message {:7.1} ms, last {:6.2} s ({:6.0} employees/s), peak memory +{:5.1} MiB (median of {runs})",
        median(first),
        median(last.clone()),
        n as f64 / median(last),
        median(peak),
    );
    if let Some((admin, name)) = dropper
        && let Ok(mut c) = sqlx::AnyConnection::connect(&admin).await
    {
        let _ = c
            .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
            .await;
    }
}

#[tokio::main]
async fn main() {
    sqlx::any::install_default_drivers();
    let sizes: Vec<usize> = std::env::var("TIDSVAKT_BENCH_SIZES")
        .unwrap_or_else(|_| "1000,10000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let runs = std::env::var("TIDSVAKT_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let pg = std::env::var("TIDSVAKT_BENCH_PG_URL").ok();
    for n in sizes {
        run(n, runs, pg.as_deref()).await;
    }
}
