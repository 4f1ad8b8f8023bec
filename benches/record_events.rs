//! Throughput of `RecordEvent` against the real server, by number of
//! concurrent clients: shows what SQLite group commit buys.
//!
//! `cargo bench --bench record_events` (add `TIDSVAKT_BENCH_PG_URL=postgres://…/db`
//! for a PostgreSQL run against an existing, empty database). Prints the
//! median of five runs per concurrency level.

#![allow(clippy::unwrap_used, clippy::cast_precision_loss)]

use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, TimeZone as _, Utc};
use tidsvakt::app::App;
use tidsvakt::clock::ManualClock;
use tidsvakt::config::ServerConfig;
use tidsvakt::grpc::Limits;
use tidsvakt::pb;
use tonic::transport::Channel;
use uuid::Uuid;

const EVENTS_PER_RUN: usize = 2000;
const RUNS: usize = 5;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let url = std::env::var("TIDSVAKT_BENCH_PG_URL")
            .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
        let now = Utc.with_ymd_and_hms(2026, 11, 19, 20, 0, 0).unwrap();
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
        let app = App::build(config, Arc::new(ManualClock::new(now))).await.unwrap();
        let admin = app.first_admin.as_ref().expect("an empty database").secret.clone();
        let addr = format!("http://{}", app.local_addr());
        tokio::spawn(app.run_until_stopped(std::future::pending()));
        let channel = Channel::from_shared(addr).unwrap().connect().await.unwrap();
        let auth = format!("Bearer {admin}");
        let with_auth = move |mut r: tonic::Request<()>| {
            r.metadata_mut().insert("authorization", auth.parse().unwrap());
            Ok(r)
        };
        let mut admin_client =
            pb::admin_service_client::AdminServiceClient::with_interceptor(channel.clone(), with_auth.clone());
        let backend = if url.starts_with("sqlite") { "SQLite" } else { "PostgreSQL" };
        println!("RecordEvent throughput on {backend}, {EVENTS_PER_RUN} events per run, median of {RUNS} runs");
        for (level, clients) in [1usize, 8, 64].into_iter().enumerate() {
            let mut rates = Vec::new();
            for run in 0..RUNS {
                // A fresh employee per run keeps status derivation comparable.
                let employee = admin_client
                    .create_employee(pb::CreateEmployeeRequest {
                        external_id: format!("bench-{level}-{run}"),
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
                let started = Instant::now();
                let mut tasks = Vec::new();
                for c in 0..clients {
                    let mut client =
                        pb::clock_service_client::ClockServiceClient::with_interceptor(channel.clone(), with_auth.clone());
                    let employee = employee.clone();
                    tasks.push(tokio::spawn(async move {
                        for i in 0..EVENTS_PER_RUN / clients {
                            let seconds = i64::try_from(c * EVENTS_PER_RUN + i).unwrap();
                            let event = pb::ClockEvent {
                                event_id: Uuid::new_v4().to_string(),
                                employee_id: employee.clone(),
                                kind: if i % 2 == 0 { pb::EventKind::ClockIn } else { pb::EventKind::ClockOut } as i32,
                                occurred_at: Some(tidsvakt::grpc::convert::timestamp(
                                    now - Duration::days(200) + Duration::seconds(seconds),
                                )),
                                location: pb::Location::Office as i32,
                                device_id: "bench".into(),
                            };
                            client.record_event(pb::RecordEventRequest { event: Some(event) }).await.unwrap();
                        }
                    }));
                }
                for t in tasks {
                    t.await.unwrap();
                }
                rates.push(EVENTS_PER_RUN as f64 / started.elapsed().as_secs_f64());
            }
            rates.sort_by(f64::total_cmp);
            println!("  {clients:>3} concurrent clients: {:>8.0} events/s (runs: {:.0?})", rates[RUNS / 2], rates);
        }
    });
}
