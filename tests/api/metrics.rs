//! `/metrics` of a real server: every family with its HELP and TYPE lines,
//! durations as histograms, and exact figures after a known sequence of
//! calls. The recorder is process-wide, so the server runs as a child
//! process (as in `durability.rs`), one per back-end.

use std::collections::HashMap;

use chrono::{Duration, Utc};
use sqlx::Connection as _;
use tidsvakt::metrics::families::{ALL, Kind};
use tidsvakt::pb;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::durability::start_server_with;
use crate::helpers::*;

/// One scrape, parsed.
struct Scrape {
    body: String,
    help: HashMap<String, String>,
    kind: HashMap<String, String>,
    /// `name{labels}` (as written) to value.
    values: HashMap<String, f64>,
}

impl Scrape {
    async fn take(addr: &str) -> Self {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
        conn.write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
            .await
            .unwrap();
        let mut raw = String::new();
        conn.read_to_string(&mut raw).await.unwrap();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap();
        assert!(
            head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
            "{head}"
        );
        assert!(head.contains("text/plain; version=0.0.4"), "{head}");
        let mut scrape = Self {
            body: body.to_owned(),
            help: HashMap::new(),
            kind: HashMap::new(),
            values: HashMap::new(),
        };
        for line in body.lines().filter(|l| !l.is_empty()) {
            if let Some(rest) = line.strip_prefix("# HELP ") {
                let (name, text) = rest.split_once(' ').unwrap();
                scrape.help.insert(name.into(), text.into());
            } else if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').unwrap();
                scrape.kind.insert(name.into(), kind.into());
            } else {
                let (series, value) = line.rsplit_once(' ').unwrap();
                scrape.values.insert(series.into(), value.parse().unwrap());
            }
        }
        scrape
    }

    fn value(&self, series: &str) -> f64 {
        *self
            .values
            .get(series)
            .unwrap_or_else(|| panic!("no series {series} in\n{}", self.body))
    }

    /// Asserts a series has exactly `expected`.
    fn is(&self, series: &str, expected: f64) {
        let v = self.value(series);
        assert!(
            (v - expected).abs() < 1e-9,
            "{series} is {v}, expected {expected}"
        );
    }
}

/// Inserts outbox and recompute rows the server's workers leave alone: due
/// messages held by another replica's claim, one scheduled for tomorrow, a
/// dead one, and a recompute of an organisation that does not exist.
async fn seed_queues(database_url: &str, now: chrono::DateTime<Utc>) {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(database_url).await.unwrap();
    let org = Uuid::new_v4().to_string();
    let micros = |t: chrono::DateTime<Utc>| t.timestamp_micros();
    let claim_until = micros(now + Duration::hours(1));
    let rows: [(&str, i64, Option<i64>); 4] = [
        (
            "PENDING",
            micros(now - Duration::hours(1)),
            Some(claim_until),
        ),
        (
            "PENDING",
            micros(now - Duration::minutes(1)),
            Some(claim_until),
        ),
        ("PENDING", micros(now + Duration::days(1)), None),
        ("DEAD", micros(now - Duration::days(2)), None),
    ];
    for (i, (status, send_after, lease)) in rows.into_iter().enumerate() {
        sqlx::query(
            "INSERT INTO outbox (organisation_id, message_id, message_key, kind, recipient_id, \
             reference, status, send_after, attempts, lease_until, claimed_by, created_at) \
             VALUES ($1, $2, $3, 'NUDGE', $4, '', $5, $6, 1, $7, $8, $9)",
        )
        .bind(&org)
        .bind(Uuid::new_v4().to_string())
        .bind(format!("nudge:metrics-test:{i}"))
        .bind(Uuid::new_v4().to_string())
        .bind(status)
        .bind(send_after)
        .bind(lease)
        .bind(lease.map(|_| "another-replica"))
        .bind(micros(now - Duration::days(3)))
        .execute(&mut conn)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO recompute_queue (organisation_id, employee_id, from_at, to_at, version, queued_at) \
         VALUES ($1, $2, $3, $3, 1, $4)",
    )
    .bind(&org)
    .bind(Uuid::new_v4().to_string())
    .bind(micros(now))
    .bind(micros(now - Duration::minutes(10)))
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
}

async fn metrics_scrape(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let (database_url, _pg) = match &db {
        Db::Sqlite => (
            format!("sqlite://{}", dir.path().join("tidsvakt.db").display()),
            None,
        ),
        Db::Postgres(admin) => {
            let pg = PgDatabase::create(admin).await;
            (pg.url.clone(), Some(pg))
        }
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let metrics_addr = format!("127.0.0.1:{port}");
    let server = start_server_with(
        dir.path(),
        &database_url,
        &["--metrics-listen", &metrics_addr],
    )
    .await;

    // Before any call: the queue gauges and the labelled counters are there.
    let first = Scrape::take(&metrics_addr).await;
    for series in [
        "tidsvakt_outbox_pending_messages",
        "tidsvakt_outbox_due_messages",
        "tidsvakt_outbox_oldest_due_age_seconds",
        "tidsvakt_outbox_dead_messages",
        "tidsvakt_recompute_queue_depth",
        "tidsvakt_recompute_lag_seconds",
        "tidsvakt_outbox_retries_total",
        "tidsvakt_outbox_dead_total",
        "tidsvakt_events_total{outcome=\"new\"}",
        "tidsvakt_events_total{outcome=\"duplicate\"}",
        "tidsvakt_events_total{outcome=\"rejected\"}",
        "tidsvakt_outbox_sent_total{kind=\"NUDGE\"}",
        "tidsvakt_outbox_sent_total{kind=\"DIGEST\"}",
        "tidsvakt_timesheet_evaluations_total{source=\"judged\"}",
        "tidsvakt_timesheet_evaluations_total{source=\"kept\"}",
    ] {
        first.is(series, 0.0);
    }
    first.is("tidsvakt_database_up", 1.0);
    first.is("tidsvakt_build_info{version=\"0.1.0\"}", 1.0);

    // A known sequence of calls.
    let admin = server.first_admin.clone().unwrap();
    let channel = Channel::from_shared(server.addr.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let employee = pb::admin_service_client::AdminServiceClient::with_interceptor(
        channel.clone(),
        Bearer::for_token(&admin),
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
    let id = employee.employee_id.clone();
    let mut clock = pb::clock_service_client::ClockServiceClient::with_interceptor(
        channel.clone(),
        Bearer::for_token(&admin),
    );
    let clock_in = event(&id, pb::EventKind::ClockIn, Utc::now() - Duration::hours(3));
    for _ in 0..2 {
        let request = pb::RecordEventRequest {
            event: Some(clock_in.clone()),
        };
        clock.record_event(request).await.unwrap();
    }
    let mut bad = event(&id, pb::EventKind::ClockOut, Utc::now());
    bad.employee_id = "not-an-id".into();
    let refused = clock
        .record_event(pb::RecordEventRequest {
            event: Some(bad.clone()),
        })
        .await;
    assert_eq!(refused.unwrap_err().code(), tonic::Code::InvalidArgument);
    let batch = vec![
        event(
            &id,
            pb::EventKind::BreakStart,
            Utc::now() - Duration::hours(2),
        ),
        event(
            &id,
            pb::EventKind::BreakEnd,
            Utc::now() - Duration::minutes(90),
        ),
        bad,
    ];
    let reply = sync_one_message(&mut clock, batch).await;
    assert_eq!((reply.new_count, reply.rejected_count), (2, 1));
    // A read drains Kari's recompute, so only the seeded one waits.
    let mut timesheets = pb::timesheet_service_client::TimesheetServiceClient::with_interceptor(
        channel,
        Bearer::for_token(&admin),
    );
    timesheets
        .list_findings(pb::ListFindingsRequest {
            scope: Some(pb::list_findings_request::Scope::EmployeeId(id.clone())),
            ..Default::default()
        })
        .await
        .unwrap();
    // One day's timesheet (today's in UTC) three times: judged once, then
    // kept twice.
    let today = {
        use chrono::Datelike as _;
        let d = Utc::now().date_naive();
        pb::LocalDate {
            year: d.year(),
            month: i32::try_from(d.month()).unwrap(),
            day: i32::try_from(d.day()).unwrap(),
        }
    };
    for _ in 0..3 {
        timesheets
            .get_timesheet(pb::GetTimesheetRequest {
                employee_id: id.clone(),
                dates: Some(pb::LocalDateRange {
                    start: Some(today),
                    end: Some(today),
                }),
            })
            .await
            .unwrap();
    }
    let seeded_at = Utc::now();
    seed_queues(&database_url, seeded_at).await;

    let before = Utc::now();
    let s = Scrape::take(&metrics_addr).await;
    let after = Utc::now();
    #[allow(clippy::cast_precision_loss)]
    let seconds = |d: Duration| d.num_microseconds().unwrap() as f64 / 1e6;

    // Every family: its HELP from the one table, its TYPE, and no summaries.
    for f in ALL {
        if f.name == tidsvakt::metrics::families::WRITE_GROUP_SIZE && matches!(db, Db::Postgres(_))
        {
            continue; // group commit is SQLite's
        }
        assert_eq!(
            s.help.get(f.name).map(String::as_str),
            Some(f.help),
            "HELP of {}",
            f.name
        );
        let kind = match f.kind {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        };
        assert_eq!(
            s.kind.get(f.name).map(String::as_str),
            Some(kind),
            "TYPE of {}",
            f.name
        );
    }
    assert!(!s.body.contains("quantile="), "no summaries:\n{}", s.body);
    assert!(!s.body.contains(&id), "no employee ids in metrics");

    // Events: new 1 + 2, duplicate 1, rejected 1 (RecordEvent) + 1 (SyncEvents).
    s.is("tidsvakt_events_total{outcome=\"new\"}", 3.0);
    s.is("tidsvakt_events_total{outcome=\"duplicate\"}", 1.0);
    s.is("tidsvakt_events_total{outcome=\"rejected\"}", 2.0);
    s.is("tidsvakt_rpc_errors_total{code=\"InvalidArgument\"}", 1.0);
    s.is(
        "tidsvakt_timesheet_evaluations_total{source=\"judged\"}",
        1.0,
    );
    s.is("tidsvakt_timesheet_evaluations_total{source=\"kept\"}", 2.0);
    let record = "method=\"tidsvakt.v1.ClockService/RecordEvent\"";
    s.is(&format!("tidsvakt_rpc_requests_total{{{record}}}"), 3.0);
    s.is(
        &format!("tidsvakt_rpc_duration_seconds_count{{{record}}}"),
        3.0,
    );
    s.is(
        &format!("tidsvakt_rpc_duration_seconds_bucket{{{record},le=\"+Inf\"}}"),
        3.0,
    );
    s.is(
        &format!("tidsvakt_rpc_duration_seconds_bucket{{{record},le=\"10\"}}"),
        3.0,
    );
    let sync = "method=\"tidsvakt.v1.ClockService/SyncEvents\"";
    s.is(
        &format!("tidsvakt_rpc_duration_seconds_count{{{sync}}}"),
        1.0,
    );
    // The buckets are the documented ones, the same on every replica.
    for le in tidsvakt::metrics::DURATION_BUCKETS {
        assert!(
            s.values.contains_key(&format!(
                "tidsvakt_rpc_duration_seconds_bucket{{{record},le=\"{le}\"}}"
            )),
            "bucket {le} missing"
        );
    }

    // Queues: 3 pending of which 2 due (the oldest an hour late), 1 dead,
    // 1 recompute waiting for 10 minutes.
    // The events above may also make the server decide a nudge of its own
    // (whether depends on the time of day the test runs): counted apart.
    let (own_pending, own_due) = {
        let mut conn = sqlx::AnyConnection::connect(&database_url).await.unwrap();
        let own: Vec<(i64,)> = sqlx::query_as(
            "SELECT send_after FROM outbox WHERE status = 'PENDING' \
             AND message_key NOT LIKE 'nudge:metrics-test:%'",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        let due = own
            .iter()
            .filter(|(t,)| *t <= after.timestamp_micros())
            .count();
        (own.len(), due)
    };
    let count = |n: usize| f64::from(u32::try_from(n).unwrap());
    s.is("tidsvakt_outbox_pending_messages", 3.0 + count(own_pending));
    s.is("tidsvakt_outbox_due_messages", 2.0 + count(own_due));
    s.is("tidsvakt_outbox_dead_messages", 1.0);
    s.is("tidsvakt_recompute_queue_depth", 1.0);
    s.is("tidsvakt_database_up", 1.0);
    let within = |series: &str, base: Duration| {
        let v = s.value(series);
        let (low, high) = (
            seconds(base + (before - seeded_at)),
            seconds(base + (after - seeded_at)),
        );
        assert!(
            low <= v && v <= high,
            "{series} is {v}, outside [{low}, {high}]"
        );
    };
    within("tidsvakt_outbox_oldest_due_age_seconds", Duration::hours(1));
    within("tidsvakt_recompute_lag_seconds", Duration::minutes(10));
}

crate::both_backends_db!(metrics_scrape);
