//! The working-time engine, measured three ways (issue 4):
//!
//! 1. Pure evaluation: one year of realistic events for 1,000 employees
//!    through the whole `no-aml` pack → events per second.
//! 2. `GetTimesheet` for one employee's month with a year of history behind
//!    it, over gRPC against the real server (SQLite, or PostgreSQL with
//!    `TIDSVAKT_BENCH_PG_URL` naming an existing empty database).
//! 3. Recompute after one late event: the incremental recompute (the
//!    affected weeks, plus stored day totals for the 52-week windows)
//!    against a recompute of the whole history.
//!
//! `cargo bench --bench engine`. Medians of several runs.

#![allow(
    clippy::unwrap_used,
    clippy::cast_precision_loss,
    clippy::too_many_lines
)]

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use chrono_tz::Europe::Oslo;
use tidsvakt::app::App;
use tidsvakt::clock::ManualClock;
use tidsvakt::config::ServerConfig;
use tidsvakt::domain::employee::Locale;
use tidsvakt::domain::engine::evaluate::{History, Scope, Subject, evaluate};
use tidsvakt::domain::engine::record::Span;
use tidsvakt::domain::event::{EffectiveEvent, EventKind};
use tidsvakt::domain::ids::{EmployeeId, OrgId};
use tidsvakt::domain::policy::EmployeePolicy;
use tidsvakt::grpc::Limits;
use tidsvakt::pb;
use tidsvakt::storage::Store;
use tonic::transport::Channel;
use uuid::Uuid;

const EMPLOYEES: u64 = 1000;

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
            Oslo.from_local_datetime(&(d.and_hms_opt(4, 0, 0).unwrap()))
                .unwrap()
        })
        .with_timezone(&Utc)
}

/// A year of one employee: office days Mon–Fri 07:30–09:00 to 15:30–18:30
/// with a lunch break most days, an evening session on one day in eight, a
/// Saturday now and then, three weeks of summer off.
fn year(seed: u64) -> Vec<(EventKind, DateTime<Utc>)> {
    let mut r = Lcg(seed);
    let mut out = Vec::new();
    let mut d = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
    while d < NaiveDate::from_ymd_opt(2027, 1, 1).unwrap() {
        let summer = d.iso_week().week() >= 28 && d.iso_week().week() < 31;
        let work = match d.weekday() {
            Weekday::Sat => r.next(10) == 0,
            Weekday::Sun => false,
            _ => !summer && r.next(20) != 0,
        };
        if work {
            let start = 450 + r.next(90);
            let end = 930 + r.next(180);
            out.push((EventKind::ClockIn, local(d, start)));
            if r.next(10) != 0 {
                let b = 690 + r.next(30);
                out.push((EventKind::BreakStart, local(d, b)));
                out.push((EventKind::BreakEnd, local(d, b + 30)));
            }
            out.push((EventKind::ClockOut, local(d, end)));
            if r.next(8) == 0 {
                out.push((EventKind::ClockIn, local(d, 1200)));
                out.push((EventKind::ClockOut, local(d, 1200 + 30 + r.next(120))));
            }
        }
        d += Duration::days(1);
    }
    out
}

fn effective(events: &[(EventKind, DateTime<Utc>)]) -> Vec<EffectiveEvent> {
    events
        .iter()
        .map(|(kind, t)| EffectiveEvent {
            id: Uuid::new_v4(),
            kind: *kind,
            occurred_at: *t,
            location: None,
        })
        .collect()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn pure_engine() {
    let years: Vec<Vec<EffectiveEvent>> = (0..EMPLOYEES).map(|s| effective(&year(s + 1))).collect();
    let events: usize = years.iter().map(Vec::len).sum();
    let policy = EmployeePolicy::default();
    let as_of = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
    let scope = Scope::all(Span::new(
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        as_of,
    ));
    let mut rates = Vec::new();
    let mut findings = 0;
    for _ in 0..3 {
        let started = Instant::now();
        findings = 0;
        for (i, y) in years.iter().enumerate() {
            let subject = Subject {
                employee: EmployeeId(Uuid::from_u128(i as u128)),
                tz: Oslo,
                pack: tidsvakt::domain::rules::pack::RulePack::NoAml,
                exempt: false,
                locale: Locale::En,
            };
            findings += evaluate(subject, y, &policy, as_of, scope, &History::default())
                .findings
                .len();
        }
        rates.push(events as f64 / started.elapsed().as_secs_f64());
    }
    println!(
        "pure engine: {EMPLOYEES} employees × 1 year = {events} events, {findings} findings; median of 3: {:.0} events/s",
        median(rates)
    );
}

async fn server() {
    let dir = tempfile::tempdir().unwrap();
    let url = std::env::var("TIDSVAKT_BENCH_PG_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let now = Utc.with_ymd_and_hms(2026, 12, 31, 20, 0, 0).unwrap();
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
    let store = app.store();
    let admin = app
        .first_admin
        .as_ref()
        .expect("an empty database")
        .secret
        .clone();
    let admin_secret = admin.clone();
    let addr = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let channel = Channel::from_shared(addr).unwrap().connect().await.unwrap();
    let auth = format!("Bearer {admin}");
    let with_auth = move |mut r: tonic::Request<()>| {
        r.metadata_mut()
            .insert("authorization", auth.parse().unwrap());
        Ok(r)
    };
    let mut admin_client = pb::admin_service_client::AdminServiceClient::with_interceptor(
        channel.clone(),
        with_auth.clone(),
    );
    let mut clock = pb::clock_service_client::ClockServiceClient::with_interceptor(
        channel.clone(),
        with_auth.clone(),
    );
    let mut sheets = pb::timesheet_service_client::TimesheetServiceClient::with_interceptor(
        channel.clone(),
        with_auth.clone(),
    );
    let backend = if url.starts_with("sqlite") {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    let employee = admin_client
        .create_employee(pb::CreateEmployeeRequest {
            external_id: "bench".into(),
            name: "Bench".into(),
            email: "bench@example.no".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap()
        .employee_id;
    let history = year(7);
    let events: Vec<pb::ClockEvent> = history
        .iter()
        .map(|(kind, t)| pb::ClockEvent {
            event_id: Uuid::new_v4().to_string(),
            employee_id: employee.clone(),
            kind: match kind {
                EventKind::ClockIn => pb::EventKind::ClockIn,
                EventKind::ClockOut => pb::EventKind::ClockOut,
                EventKind::BreakStart => pb::EventKind::BreakStart,
                EventKind::BreakEnd => pb::EventKind::BreakEnd,
            } as i32,
            occurred_at: Some(tidsvakt::grpc::convert::timestamp(*t)),
            location: if matches!(kind, EventKind::ClockIn) {
                pb::Location::Office as i32
            } else {
                0
            },
            device_id: "bench".into(),
        })
        .collect();
    let n = events.len();
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    for chunk in events.chunks(1000) {
        tx.send(pb::SyncEventsRequest {
            events: chunk.to_vec(),
        })
        .await
        .unwrap();
    }
    drop(tx);
    let mut replies = clock
        .sync_events(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap()
        .into_inner();
    while replies.message().await.unwrap().is_some() {}
    // The first read drains the queue: a recompute of the whole year.
    let started = Instant::now();
    let month = |m: i32| pb::GetTimesheetRequest {
        employee_id: employee.clone(),
        dates: Some(pb::LocalDateRange {
            start: Some(pb::LocalDate {
                year: 2026,
                month: m,
                day: 1,
            }),
            end: Some(pb::LocalDate {
                year: 2026,
                month: m,
                day: 30,
            }),
        }),
    };
    let first = sheets.get_timesheet(month(11)).await.unwrap().into_inner();
    println!(
        "{backend}: {n} events of one employee's year synced; first GetTimesheet (drains the whole-year recompute): {:.1} ms, {} findings in November",
        started.elapsed().as_secs_f64() * 1000.0,
        first.findings.len()
    );
    let mut times = Vec::new();
    for _ in 0..21 {
        let started = Instant::now();
        sheets.get_timesheet(month(11)).await.unwrap();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "{backend}: GetTimesheet for November with a year behind it: median of 21: {:.2} ms",
        median(times)
    );

    // Recompute after a late event in March, incremental against whole history.
    let token = store
        .token_by_hash(&tidsvakt::domain::token::hash_secret(&admin_secret))
        .await
        .unwrap()
        .unwrap();
    let org: OrgId = token.org_id;
    let emp = EmployeeId(employee.parse().unwrap());
    let late = Span::new(
        local(NaiveDate::from_ymd_opt(2026, 3, 11).unwrap(), 1200),
        local(NaiveDate::from_ymd_opt(2026, 3, 11).unwrap(), 1260),
    );
    let whole = Span::new(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(), now);
    let mut incremental = Vec::new();
    let mut full = Vec::new();
    let s: &dyn Store = store.as_ref();
    for _ in 0..7 {
        let started = Instant::now();
        tidsvakt::recompute::recompute(s, now, org, emp, late, None)
            .await
            .unwrap();
        incremental.push(started.elapsed().as_secs_f64() * 1000.0);
        let started = Instant::now();
        tidsvakt::recompute::recompute(s, now, org, emp, whole, None)
            .await
            .unwrap();
        full.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    let (i, f) = (median(incremental), median(full));
    println!(
        "{backend}: recompute after a late event on 11 March: incremental {i:.1} ms (reads events of 13 weeks and stored day totals for the 52-week windows) vs whole history {f:.1} ms: {:.1}x less",
        f / i
    );
    let _ = StdDuration::ZERO;
}

fn main() {
    pure_engine();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(server());
}
