//! The outbox, measured end to end (issue 5): 1,000 employees under 100
//! managers each break a rule once; their recomputes decide the nudges (in
//! the same transactions), then the next morning the outbox job renders and
//! delivers every message (1,000 nudges and 100 manager batches) into the
//! `.eml` folder, as the embedded default does; then the weekly digests of
//! the 100 managers are queued and sent.
//!
//! `cargo bench --bench outbox`: SQLite, or PostgreSQL with
//! `TIDSVAKT_BENCH_PG_URL` naming a server (a fresh database is made per
//! run). Medians of 3 runs.

#![allow(
    clippy::unwrap_used,
    clippy::cast_precision_loss,
    clippy::too_many_lines
)]

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Europe::Oslo;
use sqlx::{Connection as _, Executor as _};
use tidsvakt::app::App;
use tidsvakt::clock::ManualClock;
use tidsvakt::config::ServerConfig;
use tidsvakt::grpc::Limits;
use tidsvakt::pb;
use tonic::transport::Channel;
use uuid::Uuid;

const MANAGERS: usize = 100;
const REPORTS: usize = 10;

fn oslo(d: u32, h: u32) -> DateTime<Utc> {
    Oslo.with_ymd_and_hms(2026, 11, d, h, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn with_bearer(token: &str) -> impl tonic::service::Interceptor + Clone {
    let value: tonic::metadata::MetadataValue<_> = format!("Bearer {token}").parse().unwrap();
    move |mut r: tonic::Request<()>| {
        r.metadata_mut().insert("authorization", value.clone());
        Ok(r)
    }
}

struct Run {
    send_s: f64,
    sent: usize,
    digest_s: f64,
    digests: usize,
}

async fn database(dir: &std::path::Path) -> (String, Option<(String, String)>) {
    match std::env::var("TIDSVAKT_BENCH_PG_URL") {
        Ok(admin) if !admin.is_empty() => {
            sqlx::any::install_default_drivers();
            let name = format!("tidsvakt_bench_{}", Uuid::new_v4().simple());
            let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap();
            conn.execute(format!("CREATE DATABASE {name}").as_str())
                .await
                .unwrap();
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            (format!("{base}/{name}"), Some((admin.clone(), name)))
        }
        _ => (format!("sqlite://{}", dir.join("bench.db").display()), None),
    }
}

async fn one_run() -> Run {
    let dir = tempfile::tempdir().unwrap();
    let (url, pg) = database(dir.path()).await;
    let clock = Arc::new(ManualClock::new(oslo(23, 15)));
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        web_listen: "127.0.0.1:0".parse().unwrap(),
        database_url: url,
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
    let app = App::build(config, clock.clone()).await.unwrap();
    let token = app.first_admin.as_ref().unwrap().secret.clone();
    let addr = format!("http://{}", app.local_addr());
    let jobs = app.jobs();
    let store: Arc<dyn tidsvakt::storage::Store> = app.store();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = rx.await;
    }));
    let channel = Channel::from_shared(addr).unwrap().connect().await.unwrap();
    let mut admin = pb::admin_service_client::AdminServiceClient::with_interceptor(
        channel.clone(),
        with_bearer(&token),
    );
    let mut clock_rpc = pb::clock_service_client::ClockServiceClient::with_interceptor(
        channel,
        with_bearer(&token),
    );
    let mut employees = Vec::new();
    for m in 0..MANAGERS {
        let manager = admin
            .create_employee(pb::CreateEmployeeRequest {
                external_id: format!("M{m:04}"),
                name: format!("Manager {m}"),
                email: format!("m{m}@example.no"),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .employee
            .unwrap();
        for r in 0..REPORTS {
            let e = admin
                .create_employee(pb::CreateEmployeeRequest {
                    external_id: format!("E{m:04}{r:02}"),
                    name: format!("Employee {m}.{r}"),
                    email: format!("e{m}.{r}@example.no"),
                    manager_id: manager.employee_id.clone(),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner()
                .employee
                .unwrap();
            employees.push(e.employee_id);
        }
    }
    // Monday 08:00–14:30 with no break: a no.breaks violation each.
    let events: Vec<pb::ClockEvent> = employees
        .iter()
        .flat_map(|id| {
            [
                (pb::EventKind::ClockIn, oslo(23, 8)),
                (
                    pb::EventKind::ClockOut,
                    oslo(23, 8) + chrono::Duration::minutes(390),
                ),
            ]
            .map(|(kind, t)| pb::ClockEvent {
                event_id: Uuid::new_v4().to_string(),
                employee_id: id.clone(),
                kind: kind as i32,
                occurred_at: Some(tidsvakt::grpc::convert::timestamp(t)),
                location: pb::Location::Office as i32,
                device_id: "bench".into(),
            })
        })
        .collect();
    for e in events {
        clock_rpc
            .record_event(pb::RecordEventRequest { event: Some(e) })
            .await
            .unwrap();
    }
    // Findings and their nudge decisions (the background worker may have
    // done some already; this finishes the rest).
    tidsvakt::recompute::drain(store.as_ref(), oslo(23, 15), None, None)
        .await
        .unwrap();

    // Tuesday 07:00: every employee's nudge and every manager's batch is due.
    clock.set(oslo(24, 7));
    let started = Instant::now();
    let round = jobs.drain_outbox(10_000).await.unwrap();
    let send_s = started.elapsed().as_secs_f64();

    clock.set(oslo(30, 7));
    let started = Instant::now();
    let queued = jobs.schedule_digests_once().await.unwrap();
    let delivered = jobs.drain_outbox(10_000).await.unwrap().sent;
    let digest_s = started.elapsed().as_secs_f64();
    assert_eq!(queued, MANAGERS);
    assert_eq!(delivered, MANAGERS);

    let _ = tx.send(());
    let _ = server.await;
    if let Some((admin, name)) = pg {
        let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap();
        let _ = conn
            .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
            .await;
    }
    Run {
        send_s,
        sent: round.sent,
        digest_s,
        digests: queued,
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let backend = if std::env::var("TIDSVAKT_BENCH_PG_URL").is_ok_and(|u| !u.is_empty()) {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let runs: Vec<Run> = (0..3).map(|_| rt.block_on(one_run())).collect();
    let sent = runs[0].sent;
    assert_eq!(
        sent,
        MANAGERS * REPORTS + MANAGERS,
        "every nudge and batch once"
    );
    let outbox_secs = median(runs.iter().map(|r| r.send_s).collect());
    let digest = median(runs.iter().map(|r| r.digest_s).collect());
    println!(
        "{backend}: outbox sent {sent} emails (.eml) in {outbox_secs:.2} s median of 3 = {:.0} emails/s",
        sent as f64 / outbox_secs
    );
    println!(
        "{backend}: {} weekly digests of {REPORTS} reports queued and sent in {digest:.2} s median of 3 = {:.1} digests/s",
        runs[0].digests,
        runs[0].digests as f64 / digest
    );
}
