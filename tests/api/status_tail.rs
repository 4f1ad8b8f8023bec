//! Property: the status every call answers equals the status the engine
//! computes from the employee's whole stored record, after any sequence of
//! events (late, repeated, at the same instant, in batches) and
//! corrections. On `SQLite` the status comes from the tail kept in memory
//! (`storage::status_tails`); this is what keeps that tail honest. On
//! PostgreSQL a `RecordEvent` answers from a tail its write confirmed, so
//! the cases there also write through a second store on the same database
//! (another replica, whose writes never pass this server's tails).

use chrono::Duration;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use tidsvakt::clock::Clock as _;
use tidsvakt::domain::clock_status::pair;
use tidsvakt::domain::event::{effective_count, effective_events};
use tidsvakt::domain::ids::EmployeeId;
use tidsvakt::pb;
use tidsvakt::pb::correct_event_request::Change;
use tidsvakt::storage::Store as _;

use crate::helpers::*;

/// What a step does; indexes point into the case's events.
#[derive(Clone, Debug)]
enum Step {
    Record(usize),
    Sync(Vec<usize>),
    Void(usize),
    Move(usize, i64),
    /// Stored by another replica (PostgreSQL; through this server on `SQLite`).
    Replica(Vec<usize>),
    /// Voided by another replica (likewise).
    ReplicaVoid(usize),
}

/// One event: kind, half hours after 06:00 (so instants collide).
type Spec = (i32, i64);

fn cases() -> impl Strategy<Value = (Vec<Spec>, Vec<Step>)> {
    prop::collection::vec((1..=4i32, 0..24i64), 1..10).prop_flat_map(|events| {
        let n = events.len();
        let step = prop_oneof![
            6 => (0..n).prop_map(Step::Record),
            2 => prop::collection::vec(0..n, 1..5).prop_map(Step::Sync),
            1 => (0..n).prop_map(Step::Void),
            1 => ((0..n), 0..24i64).prop_map(|(i, h)| Step::Move(i, h)),
            2 => prop::collection::vec(0..n, 1..3).prop_map(Step::Replica),
            1 => (0..n).prop_map(Step::ReplicaVoid),
        ];
        (Just(events), prop::collection::vec(step, 1..14))
    })
}

fn instant(half_hours: i64) -> prost_types::Timestamp {
    ts(at(6, 0) + Duration::minutes(30 * half_hours))
}

/// The status computed by the engine from everything stored.
async fn whole_record_status(app: &TestApp, employee_id: &str) -> pb::ClockStatus {
    let org = app.org_id().await;
    let id: EmployeeId = employee_id.parse().unwrap();
    let events = app.store.events_of(org, id).await.unwrap();
    let amendments = app.store.amendments_of(org, id).await.unwrap();
    let mut status = pair(&effective_events(&events, &amendments)).status;
    status.event_count = effective_count(events.len(), &amendments);
    tidsvakt::grpc::convert::clock_status_pb(id, &status)
}

/// A second store on the test app's database: another replica. `None` on
/// `SQLite`, whose file one process serves.
async fn replica_of(app: &TestApp) -> Option<tidsvakt::storage::SqlStore> {
    if app.database_url.starts_with("sqlite") {
        return None;
    }
    Some(
        tidsvakt::storage::SqlStore::connect(&app.database_url)
            .await
            .unwrap(),
    )
}

/// Stores `events` through `replica`, or this server's `SyncEvents` without one.
async fn store_elsewhere(
    app: &TestApp,
    token: &str,
    replica: Option<&tidsvakt::storage::SqlStore>,
    events: Vec<pb::ClockEvent>,
) {
    let Some(replica) = replica else {
        let mut clock = app.clock_client(token);
        let message = pb::SyncEventsRequest { events };
        let mut replies = clock
            .sync_events(tokio_stream::iter([message]))
            .await
            .unwrap()
            .into_inner();
        replies.message().await.unwrap().unwrap();
        return;
    };
    let now = app.clock.now();
    let events = events
        .iter()
        .map(|e| {
            tidsvakt::grpc::convert::clock_event("event", e, now, Duration::days(365), "replica")
                .unwrap()
        })
        .collect();
    replica
        .record_events(app.org_id().await, events, now)
        .await
        .unwrap();
}

/// Voids `event_id` through `replica`, or this server without one; refused
/// when it is not stored or already voided, which is fine.
async fn void_elsewhere(
    app: &TestApp,
    replica: Option<&tidsvakt::storage::SqlStore>,
    employee: &str,
    event_id: &str,
) {
    let Some(replica) = replica else {
        let change = Change::Void(pb::VoidEventChange {
            event_id: event_id.to_owned(),
        });
        let _ = app
            .clock_client(&app.admin_token)
            .correct_event(crate::clock::correction(employee, change))
            .await;
        return;
    };
    let request = tidsvakt::domain::event::AmendmentRequest {
        amendment_id: tidsvakt::domain::ids::AmendmentId(uuid::Uuid::new_v4()),
        employee_id: employee.parse().unwrap(),
        change: tidsvakt::domain::event::Change::Void {
            target: event_id.parse().unwrap(),
        },
        reason: "voided on another replica".into(),
    };
    let author = (
        tidsvakt::domain::ids::TokenId(uuid::Uuid::new_v4()),
        "replica".to_owned(),
    );
    let _ = replica
        .record_amendment(app.org_id().await, request, author, app.clock.now())
        .await;
}

/// Runs `steps`; after each, the status answered must be the whole record's.
async fn run_case(
    app: &TestApp,
    replica: Option<&tidsvakt::storage::SqlStore>,
    token: &str,
    k: usize,
    specs: &[Spec],
    steps: &[Step],
) -> Result<(), TestCaseError> {
    let employee = app.create_employee(&format!("S{k}")).await.employee_id;
    let events: Vec<pb::ClockEvent> = specs
        .iter()
        .map(|&(kind, h)| {
            let mut e = event(&employee, pb::EventKind::try_from(kind).unwrap(), at(6, 0));
            e.occurred_at = Some(instant(h));
            e
        })
        .collect();
    let mut clock = app.clock_client(token);
    let mut admin = app.clock_client(&app.admin_token);
    for (n, step) in steps.iter().enumerate() {
        let answered = match step {
            Step::Record(i) => clock
                .record_event(pb::RecordEventRequest {
                    event: Some(events[*i].clone()),
                })
                .await
                .unwrap()
                .into_inner()
                .status
                .unwrap(),
            Step::Sync(batch) => {
                let message = pb::SyncEventsRequest {
                    events: batch.iter().map(|&i| events[i].clone()).collect(),
                };
                let mut replies = clock
                    .sync_events(tokio_stream::iter([message]))
                    .await
                    .unwrap()
                    .into_inner();
                let r = replies.message().await.unwrap().unwrap();
                prop_assert_eq!(r.rejected_count, 0, "{:?}", r);
                app.clock_status(&employee).await
            }
            Step::Void(i) | Step::Move(i, _) => {
                let event_id = events[*i].event_id.clone();
                let change = match step {
                    Step::Move(_, h) => Change::Move(pb::MoveEventChange {
                        event_id,
                        occurred_at: Some(instant(*h)),
                    }),
                    _ => Change::Void(pb::VoidEventChange { event_id }),
                };
                // Refused when the event is not stored yet or already
                // voided: the status must be right either way.
                let _ = admin
                    .correct_event(crate::clock::correction(&employee, change))
                    .await;
                app.clock_status(&employee).await
            }
            // Nothing is asked of this server after another replica's
            // write (its read would keep the new status): the next write
            // here must find out for itself.
            Step::Replica(batch) => {
                let sent = batch.iter().map(|&i| events[i].clone()).collect();
                store_elsewhere(app, token, replica, sent).await;
                continue;
            }
            Step::ReplicaVoid(i) => {
                void_elsewhere(app, replica, &employee, &events[*i].event_id).await;
                continue;
            }
        };
        let expected = whole_record_status(app, &employee).await;
        prop_assert_eq!(answered, expected, "after step {} ({:?})", n, step);
    }
    Ok(())
}

fn answered_status_is_the_whole_records(db: &Db) {
    let (rt, app, token) = app_for_properties(db);
    let mut runner = TestRunner::new(Config {
        cases: 96,
        ..Config::default()
    });
    let next = std::sync::atomic::AtomicUsize::new(0);
    let replica = rt.block_on(replica_of(&app));
    runner
        .run(&cases(), |(specs, steps)| {
            let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            rt.block_on(run_case(&app, replica.as_ref(), &token, k, &specs, &steps))
        })
        .unwrap();
}

#[test]
fn the_status_answered_is_the_whole_records_on_sqlite() {
    answered_status_is_the_whole_records(&Db::Sqlite);
}

#[test]
fn the_status_answered_is_the_whole_records_on_postgres() {
    if let Some(url) = pg_url() {
        answered_status_is_the_whole_records(&Db::Postgres(url));
    }
}

/// Many calls for the same two people at once, in any order, some of them
/// late: reads racing writes must never keep a stale tail.
async fn racing_writes_and_reads_leave_the_status_exact(app: TestApp) {
    let token = app.clock_token().await;
    let people = [
        app.create_employee("R1").await.employee_id,
        app.create_employee("R2").await.employee_id,
    ];
    // Readers ask all the time, so some read while a write commits.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut readers = Vec::new();
    for r in 0..4usize {
        let mut reader = app.clock_client(&app.admin_token);
        let who = people[r % 2].clone();
        let done = std::sync::Arc::clone(&done);
        readers.push(tokio::spawn(async move {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                reader
                    .get_clock_status(pb::GetClockStatusRequest {
                        employee_id: who.clone(),
                    })
                    .await
                    .unwrap();
            }
        }));
    }
    let mut writers = Vec::new();
    for t in 0..8i64 {
        let mut client = app.clock_client(&token);
        let people = people.clone();
        writers.push(tokio::spawn(async move {
            for i in 0..12i64 {
                let who = &people[usize::try_from((t + i) % 2).unwrap()];
                // Kinds cycle; instants go forward with a late one now and then.
                let kind = [1, 3, 4, 2][usize::try_from((t + i) % 4).unwrap()];
                let mut minutes = 5 * (t * 12 + i);
                if i % 5 == 4 {
                    minutes -= 300;
                }
                let mut e = event(who, pb::EventKind::try_from(kind).unwrap(), at(6, 0));
                e.occurred_at = Some(ts(at(6, 0) + Duration::minutes(minutes)));
                client
                    .record_event(pb::RecordEventRequest { event: Some(e) })
                    .await
                    .unwrap();
            }
        }));
    }
    for t in writers {
        t.await.unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in readers {
        t.await.unwrap();
    }
    for who in &people {
        let answered = app.clock_status(who).await;
        assert_eq!(answered, whole_record_status(&app, who).await);
        assert_eq!(answered.event_count, 48, "8 callers × 12 events, half each");
    }
}

crate::both_backends!(racing_writes_and_reads_leave_the_status_exact);

/// Statuses asked for at the same moment are read together (on PostgreSQL
/// one statement for all, `storage::read_batch`); each must still be its
/// own employee's, whatever its record holds: nothing, an open shift, a
/// closed one, more events since the clock-in than the narrow window, a
/// moved event and a voided one.
async fn statuses_read_together_are_each_employees_own(app: TestApp) {
    use futures::future::join_all;
    use pb::EventKind::{BreakEnd, BreakStart, ClockIn, ClockOut};
    use pb::correct_event_request::Change;

    let token = app.clock_token().await;
    let mut clock = app.clock_client(&token);
    let mut admin = app.clock_client(&app.admin_token);
    let mut people = Vec::new();
    let mut sent = Vec::new();
    for k in 0..12usize {
        let who = app.create_employee(&format!("T{k}")).await.employee_id;
        let events: Vec<pb::ClockEvent> = match k % 6 {
            0 => Vec::new(),
            1 => vec![event(&who, ClockIn, at(7, 0))],
            2 => vec![
                event(&who, ClockIn, at(7, 0)),
                event(&who, ClockOut, at(15, 0)),
            ],
            // A clock-in and twelve break events: 13 since the anchor.
            3 => std::iter::once(event(&who, ClockIn, at(6, 0)))
                .chain((0..12i64).map(|i| {
                    let kind = if i % 2 == 0 { BreakStart } else { BreakEnd };
                    let mut e = event(&who, kind, at(6, 0));
                    e.occurred_at = Some(ts(at(6, 10) + Duration::minutes(10 * i)));
                    e
                }))
                .collect(),
            _ => vec![
                event(&who, ClockIn, at(8, 0)),
                event(&who, ClockOut, at(12, 0)),
                event(&who, ClockIn, at(13, 0)),
            ],
        };
        record_each(&mut clock, &events).await;
        let change = match k % 6 {
            4 => Some(Change::Move(pb::MoveEventChange {
                event_id: events[2].event_id.clone(),
                occurred_at: Some(ts(at(12, 30))),
            })),
            5 => Some(Change::Void(pb::VoidEventChange {
                event_id: events[1].event_id.clone(),
            })),
            _ => None,
        };
        if let Some(change) = change {
            admin
                .correct_event(crate::clock::correction(&who, change))
                .await
                .unwrap();
        }
        sent.push(events.len());
        people.push(who);
    }
    let expected: Vec<pb::ClockStatus> =
        join_all(people.iter().map(|who| whole_record_status(&app, who))).await;
    // Through the store: polled together, the first read runs alone and the
    // other eleven queue behind it, then are read as one.
    let org = app.org_id().await;
    let records = join_all(people.iter().map(|who| {
        let id: EmployeeId = who.parse().unwrap();
        app.store.status_record(org, id)
    }))
    .await;
    for (k, record) in records.into_iter().enumerate() {
        let record = record.unwrap();
        let id: EmployeeId = people[k].parse().unwrap();
        let effective = effective_events(&record.events, &record.amendments);
        let mut status = pair(&effective).status;
        status.event_count = effective_count(
            usize::try_from(record.stored_count).unwrap(),
            &record.amendments,
        );
        let status = tidsvakt::grpc::convert::clock_status_pb(id, &status);
        assert_eq!(status, expected[k], "employee {k}, read through the store");
        assert_eq!(record.stored_count, i64::try_from(sent[k]).unwrap());
    }
    // Through the API, all at once.
    let answered = join_all(people.iter().map(|who| {
        let mut reader = app.clock_client(&app.admin_token);
        let who = who.clone();
        async move {
            reader
                .get_clock_status(pb::GetClockStatusRequest { employee_id: who })
                .await
                .unwrap()
                .into_inner()
                .status
                .unwrap()
        }
    }))
    .await;
    assert_eq!(answered, expected);
    // Exact figures for a few: nothing stored; thirteen events, on break.
    assert_eq!(expected[0].event_count, 0);
    assert_eq!(expected[3].event_count, 13);
    assert_eq!(expected[4].event_count, 3);
    assert_eq!(expected[5].event_count, 2, "one of three voided");
    assert_eq!(expected[1].state(), pb::ClockState::Working);
    assert_eq!(expected[2].state(), pb::ClockState::ClockedOut);
    // Twelve break events, the last a break end: working again.
    assert_eq!(expected[3].state(), pb::ClockState::Working);
    assert_eq!(expected[3].state_since, Some(ts(at(8, 0))));
}

crate::both_backends!(statuses_read_together_are_each_employees_own);

/// Records `kind` at `h`:00 for `employee` through this server; its answer.
async fn record_here(
    app: &TestApp,
    token: &str,
    employee: &str,
    kind: pb::EventKind,
    h: u32,
) -> pb::ClockStatus {
    app.clock_client(token)
        .record_event(pb::RecordEventRequest {
            event: Some(event(employee, kind, at(h, 0))),
        })
        .await
        .unwrap()
        .into_inner()
        .status
        .unwrap()
}

/// PostgreSQL, step by step: a status kept by this server's writes, then
/// an event and a correction stored by another replica. The next
/// `RecordEvent` here answers with both, not with what it kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replicas_event_or_correction_is_in_the_next_answer_here() {
    let Some(url) = pg_url() else { return };
    let app = spawn_app(Db::Postgres(url)).await;
    let replica = replica_of(&app).await;
    let token = app.clock_token().await;
    let kari = app.create_employee("K").await.employee_id;
    record_here(&app, &token, &kari, pb::EventKind::ClockIn, 7).await;
    // Kept, then confirmed by this write.
    let answered = record_here(&app, &token, &kari, pb::EventKind::BreakStart, 10).await;
    assert_eq!(answered, whole_record_status(&app, &kari).await);
    // Another replica stores the break's end; this server's next write
    // stores a clock-out. Its count is one more than kept plus its own.
    let end = event(&kari, pb::EventKind::BreakEnd, at(11, 0));
    store_elsewhere(&app, &token, replica.as_ref(), vec![end]).await;
    let answered = record_here(&app, &token, &kari, pb::EventKind::ClockOut, 15).await;
    assert_eq!(answered, whole_record_status(&app, &kari).await);
    assert_eq!(
        (answered.state(), answered.event_count),
        (pb::ClockState::ClockedOut, 4)
    );
    // Another replica voids the clock-out; the next write here must see it.
    let out_id = app
        .store
        .events_of(app.org_id().await, kari.parse().unwrap())
        .await
        .unwrap()
        .iter()
        .find(|e| e.event.occurred_at == at(15, 0))
        .unwrap()
        .event
        .event_id
        .to_string();
    void_elsewhere(&app, replica.as_ref(), &kari, &out_id).await;
    let answered = record_here(&app, &token, &kari, pb::EventKind::BreakStart, 16).await;
    assert_eq!(answered, whole_record_status(&app, &kari).await);
    assert_eq!(
        answered.state(),
        pb::ClockState::OnBreak,
        "the clock-out is voided"
    );
}

/// PostgreSQL: a correction that commits while this server's event write
/// waits for it (the correction holds the employee's queue row) is in that
/// write's answer. A probe in the count statement, whose snapshot is
/// taken before the wait, missed it (found in review, reproduced here).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_correction_committing_during_the_write_is_in_its_answer() {
    use sqlx::{Connection as _, Executor as _};
    let Some(url) = pg_url() else { return };
    let app = spawn_app(Db::Postgres(url)).await;
    let token = app.clock_token().await;
    let kari = app.create_employee("K").await.employee_id;
    let org = app.org_id().await.to_string();
    record_here(&app, &token, &kari, pb::EventKind::ClockIn, 7).await;
    record_here(&app, &token, &kari, pb::EventKind::BreakStart, 10).await;
    let clock_in = app
        .store
        .events_of(app.org_id().await, kari.parse().unwrap())
        .await
        .unwrap()[0]
        .event
        .event_id
        .to_string();
    // A correction in flight, as `write_amendment` makes it: the
    // employee queued, then the amendment stored, not yet committed.
    let mut other = sqlx::PgConnection::connect(&app.database_url)
        .await
        .unwrap();
    other.execute("BEGIN").await.unwrap();
    sqlx::query(
        "INSERT INTO recompute_queue (organisation_id, employee_id, from_at, to_at, version, queued_at) \
         VALUES ($1, $2, 0, 0, 1, 0) ON CONFLICT (organisation_id, employee_id) \
         DO UPDATE SET version = recompute_queue.version + 1",
    )
    .bind(&org)
    .bind(&kari)
    .execute(&mut other)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO amendments (organisation_id, amendment_id, employee_id, seq, kind, \
         target_event_id, reason, author_token_id, author, created_at) \
         VALUES ($1, $2, $3, 1, 'VOID', $4, 'wrong button', $5, 'elsewhere', 0)",
    )
    .bind(&org)
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(&kari)
    .bind(&clock_in)
    .bind(uuid::Uuid::new_v4().to_string())
    .execute(&mut other)
    .await
    .unwrap();
    let write = {
        let (app_token, kari) = (token.clone(), kari.clone());
        let mut clock = app.clock_client(&app_token);
        tokio::spawn(async move {
            clock
                .record_event(pb::RecordEventRequest {
                    event: Some(event(&kari, pb::EventKind::BreakEnd, at(11, 0))),
                })
                .await
                .unwrap()
                .into_inner()
                .status
                .unwrap()
        })
    };
    // The write's count statement waits for the correction's queue row
    // (waited for here: were it to begin after the commit, this would test
    // nothing); then the correction commits.
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut other)
        .await
        .unwrap();
    let mut watch = sqlx::PgConnection::connect(&app.database_url)
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let waits: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity \
             WHERE $1 = ANY (pg_blocking_pids(pid)) AND query LIKE 'WITH queued AS%')",
        )
        .bind(pid)
        .fetch_one(&mut watch)
        .await
        .unwrap();
        if waits {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the write never reached the queue row"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        !write.is_finished(),
        "the write waits for the correction's queue row"
    );
    other.execute("COMMIT").await.unwrap();
    let answered = write.await.unwrap();
    assert_eq!(answered, whole_record_status(&app, &kari).await);
    assert_eq!(
        answered.state(),
        pb::ClockState::ClockedOut,
        "the clock-in is voided"
    );
}
