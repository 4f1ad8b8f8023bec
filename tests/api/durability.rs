//! Durability: the server process is killed with SIGKILL while clients are
//! still posting; after a restart every acknowledged event is there, once.

use std::collections::HashSet;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Duration as Span;
use sqlx::{Connection as _, Row as _};
use tidsvakt::pb;
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};
use tonic::transport::Channel;

use crate::helpers::*;

/// A server running as a child process.
pub struct Server {
    pub child: Child,
    pub addr: String,
    /// The first admin token, if this start printed one.
    pub first_admin: Option<String>,
}

async fn start_server(data_dir: &Path, database_url: &str) -> Server {
    start_server_with(data_dir, database_url, &[]).await
}

pub async fn start_server_with(data_dir: &Path, database_url: &str, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tidsvakt"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--web-listen",
            "127.0.0.1:0",
        ])
        .args(["--log-format", "plain"])
        .args(extra)
        .arg("--data-dir")
        .arg(data_dir)
        .args(["--database-url", database_url])
        .env("RUST_LOG", "info")
        .env_remove("TIDSVAKT_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the tidsvakt binary starts");
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = stderr.next_line().await.unwrap() {
            if let Some(rest) = line
                .split("addr=")
                .nth(1)
                .filter(|_| line.contains("serving gRPC"))
            {
                return rest.split_whitespace().next().unwrap().to_owned();
            }
        }
        panic!("the server exited before serving");
    })
    .await
    .expect("the server starts within a minute");
    // Keep draining stderr so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = stderr.next_line().await {} });
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut first_admin = None;
    while let Ok(Ok(Some(line))) =
        tokio::time::timeout(Duration::from_millis(300), stdout.next_line()).await
    {
        if line.starts_with("tv1_") {
            first_admin = Some(line);
        }
    }
    Server {
        child,
        addr: format!("http://{addr}"),
        first_admin,
    }
}

/// Registers one employee through a server started as a child process.
async fn register_kari(channel: &Channel, admin: &str) -> pb::Employee {
    pb::admin_service_client::AdminServiceClient::with_interceptor(
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
    .unwrap()
}

async fn acknowledged_events_survive_kill_9(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let (database_url, _guard) = match &db {
        Db::Sqlite => (
            format!("sqlite://{}", dir.path().join("tidsvakt.db").display()),
            None,
        ),
        Db::Postgres(admin) => {
            let pg = PgDatabase::create(admin).await;
            (pg.url.clone(), Some(pg))
        }
    };
    let server = start_server(dir.path(), &database_url).await;
    let admin = server
        .first_admin
        .clone()
        .expect("first start prints the admin token");
    let channel = Channel::from_shared(server.addr.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let bearer = |t: &str| Bearer::for_token(t);
    let mut admin_client = pb::admin_service_client::AdminServiceClient::with_interceptor(
        channel.clone(),
        bearer(&admin),
    );
    let employee = register_kari(&channel, &admin).await;
    let clock_token = admin_client
        .create_api_token(pb::CreateApiTokenRequest {
            name: "clock".into(),
            role: pb::Role::Clock as i32,
            employee_id: String::new(),
            expires_at: None,
            department: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .secret;

    // Eight clients post as fast as they can; the server is killed mid-stream.
    let acked: Arc<Mutex<Vec<pb::ClockEvent>>> = Arc::default();
    let mut tasks = Vec::new();
    for worker in 0..8i64 {
        let mut client = pb::clock_service_client::ClockServiceClient::with_interceptor(
            channel.clone(),
            bearer(&clock_token),
        );
        let acked = Arc::clone(&acked);
        let employee_id = employee.employee_id.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..10_000i64 {
                let t = test_now() - Span::days(300) + Span::seconds(worker * 100_000 + i);
                let e = event(&employee_id, pb::EventKind::ClockIn, t);
                match client
                    .record_event(pb::RecordEventRequest {
                        event: Some(e.clone()),
                    })
                    .await
                {
                    Ok(_) => acked.lock().unwrap().push(e),
                    Err(_) => break,
                }
            }
        }));
    }
    let mut server = server;
    loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if acked.lock().unwrap().len() >= 300 {
            break;
        }
    }
    server.child.start_kill().unwrap(); // SIGKILL: no shutdown, no flush.
    server.child.wait().await.unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 300);

    // Everything acknowledged is stored exactly once.
    let mut conn = sqlx::AnyConnection::connect(&database_url).await.unwrap();
    let rows = sqlx::query("SELECT event_id FROM clock_events")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    let ids: Vec<String> = rows
        .iter()
        .map(|r| r.get::<String, _>("event_id"))
        .collect();
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "no event is stored twice");
    let missing: Vec<_> = acked
        .iter()
        .filter(|e| !unique.contains(&e.event_id))
        .collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged events were lost",
        missing.len()
    );
    conn.close().await.unwrap();

    // A restarted server answers DUPLICATE for every one of them.
    let server = start_server(dir.path(), &database_url).await;
    assert!(
        server.first_admin.is_none(),
        "a restart does not bootstrap again"
    );
    let channel = Channel::from_shared(server.addr.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = pb::clock_service_client::ClockServiceClient::with_interceptor(
        channel,
        bearer(&clock_token),
    );
    for chunk in acked.chunks(1000) {
        let mut replies = client
            .sync_events(tokio_stream::iter(vec![pb::SyncEventsRequest {
                events: chunk.to_vec(),
            }]))
            .await
            .unwrap()
            .into_inner();
        let reply = replies.message().await.unwrap().unwrap();
        assert_eq!(usize::try_from(reply.duplicate_count).unwrap(), chunk.len());
    }
}

/// SIGTERM lets the server finish and exit 0 (Kubernetes stops pods so).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_server_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("tidsvakt.db").display());
    let mut server = start_server(dir.path(), &url).await;
    let pid = server.child.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(30), server.child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "exit status {status:?}");
}

/// `--metrics-listen` serves Prometheus text with the event and RPC counters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_events_and_calls() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("tidsvakt.db").display());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let metrics_addr = format!("127.0.0.1:{port}");
    let server = start_server_with(dir.path(), &url, &["--metrics-listen", &metrics_addr]).await;
    let admin = server.first_admin.clone().unwrap();
    let channel = Channel::from_shared(server.addr.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let employee = register_kari(&channel, &admin).await;
    let mut clock = pb::clock_service_client::ClockServiceClient::with_interceptor(
        channel,
        Bearer::for_token(&admin),
    );
    let e = event(
        &employee.employee_id,
        pb::EventKind::ClockIn,
        chrono::Utc::now() - Span::hours(1),
    );
    for _ in 0..2 {
        clock
            .record_event(pb::RecordEventRequest {
                event: Some(e.clone()),
            })
            .await
            .unwrap();
    }
    let _ = clock
        .get_clock_status(pb::GetClockStatusRequest {
            employee_id: "bad".into(),
        })
        .await;

    let mut conn = tokio::net::TcpStream::connect(&metrics_addr).await.unwrap();
    conn.write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut body = String::new();
    conn.read_to_string(&mut body).await.unwrap();
    for expected in [
        "tidsvakt_events_total{outcome=\"new\"} 1",
        "tidsvakt_events_total{outcome=\"duplicate\"} 1",
        "tidsvakt_rpc_requests_total{method=\"tidsvakt.v1.ClockService/RecordEvent\"} 2",
        "tidsvakt_rpc_errors_total{code=\"InvalidArgument\"} 1",
        "tidsvakt_rpc_duration_seconds",
    ] {
        assert!(body.contains(expected), "missing {expected} in\n{body}");
    }
    assert!(
        !body.contains(&employee.employee_id),
        "no employee ids in metrics"
    );
}

crate::both_backends_db!(acknowledged_events_survive_kill_9);
