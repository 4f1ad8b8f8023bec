//! ClockService over gRPC: recording, syncing, correcting, status, and every
//! way a client can get it wrong.

use chrono::Duration;
use sqlx::{Connection as _, Executor as _};
use tidsvakt::clock::Clock as _;
use tidsvakt::pb;
use tonic::Code;
use uuid::Uuid;

use crate::helpers::*;

use pb::EventKind::{BreakEnd, BreakStart, ClockIn, ClockOut};
use pb::EventOutcome::{Duplicate, New, Rejected};

/// A change to a valid event that makes it invalid.
type Edit = fn(&mut pb::ClockEvent, chrono::DateTime<chrono::Utc>);

async fn record(
    client: &mut ClockClient,
    e: &pb::ClockEvent,
) -> Result<pb::RecordEventResponse, tonic::Status> {
    client
        .record_event(pb::RecordEventRequest {
            event: Some(e.clone()),
        })
        .await
        .map(tonic::Response::into_inner)
}

/// Records `e` (which must be accepted) and returns the status it answers.
async fn status_after(client: &mut ClockClient, e: &pb::ClockEvent) -> pb::ClockStatus {
    record(client, e).await.unwrap().status.unwrap()
}

async fn status(app: &TestApp, employee_id: &str) -> pb::ClockStatus {
    app.clock_status(employee_id).await
}

async fn record_event_reports_new_then_duplicate(app: TestApp) {
    let kari = app.create_employee("E1").await;
    let mut clock = app.clock_client(&app.clock_token().await);
    let e = event(&kari.employee_id, ClockIn, at(8, 0));

    let first = record(&mut clock, &e).await.unwrap();
    assert_eq!(first.outcome(), pb::EventOutcome::New);
    let s = first.status.unwrap();
    assert_eq!(s.state(), pb::ClockState::Working);
    assert_eq!(s.clocked_in_since, Some(ts(at(8, 0))));
    assert_eq!(s.location(), pb::Location::Office);

    let again = record(&mut clock, &e).await.unwrap();
    assert_eq!(again.outcome(), pb::EventOutcome::Duplicate);
    assert_eq!(
        again.stored.unwrap().received_at,
        first.stored.unwrap().received_at
    );
    assert_eq!(app.stored_events(&kari.employee_id).await.len(), 1);
}

async fn reusing_an_event_id_for_other_content_is_already_exists(app: TestApp) {
    let kari = app.create_employee("E1").await;
    let mut clock = app.clock_client(&app.clock_token().await);
    let e = event(&kari.employee_id, ClockIn, at(8, 0));
    record(&mut clock, &e).await.unwrap();

    let mut other = e.clone();
    other.occurred_at = Some(ts(at(9, 0)));
    assert_error(
        record(&mut clock, &other).await,
        Code::AlreadyExists,
        "event.event_id",
    );

    let stored = app.stored_events(&kari.employee_id).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].event.occurred_at,
        at(8, 0),
        "the stored event is untouched"
    );
}

async fn record_event_rejects_bad_input_naming_the_field(app: TestApp) {
    let kari = app.create_employee("E1").await;
    let mut clock = app.clock_client(&app.clock_token().await);
    let good = event(&kari.employee_id, ClockIn, at(8, 0));
    let now = app.clock.now();
    let cases: Vec<(&str, Edit, Code, &str)> = vec![
        (
            "empty event id",
            |e, _| e.event_id.clear(),
            Code::InvalidArgument,
            "event.event_id",
        ),
        (
            "malformed event id",
            |e, _| e.event_id = "42".into(),
            Code::InvalidArgument,
            "event.event_id",
        ),
        (
            "empty employee",
            |e, _| e.employee_id.clear(),
            Code::InvalidArgument,
            "event.employee_id",
        ),
        (
            "malformed employee",
            |e, _| e.employee_id = "kari".into(),
            Code::InvalidArgument,
            "event.employee_id",
        ),
        (
            "unknown employee",
            |e, _| e.employee_id = Uuid::new_v4().to_string(),
            Code::NotFound,
            "event.employee_id",
        ),
        (
            "unspecified kind",
            |e, _| e.kind = 0,
            Code::InvalidArgument,
            "event.kind",
        ),
        (
            "unknown kind",
            |e, _| e.kind = 99,
            Code::InvalidArgument,
            "event.kind",
        ),
        (
            "no instant",
            |e, _| e.occurred_at = None,
            Code::InvalidArgument,
            "event.occurred_at",
        ),
        (
            "bad nanos",
            |e, _| e.occurred_at.as_mut().unwrap().nanos = -1,
            Code::InvalidArgument,
            "event.occurred_at",
        ),
        (
            "six minutes ahead",
            |e, now| e.occurred_at = Some(ts(now + Duration::minutes(6))),
            Code::InvalidArgument,
            "event.occurred_at",
        ),
        (
            "a clock stuck in 1970",
            |e, _| {
                e.occurred_at = Some(prost_types::Timestamp {
                    seconds: 0,
                    nanos: 0,
                });
            },
            Code::InvalidArgument,
            "event.occurred_at",
        ),
        (
            "clock-in without location",
            |e, _| e.location = 0,
            Code::InvalidArgument,
            "event.location",
        ),
        (
            "unknown location",
            |e, _| e.location = 42,
            Code::InvalidArgument,
            "event.location",
        ),
        (
            "over-long device",
            |e, _| e.device_id = "d".repeat(129),
            Code::InvalidArgument,
            "event.device_id",
        ),
    ];
    for (what, edit, code, field) in cases {
        let mut e = good.clone();
        edit(&mut e, now);
        let r = record(&mut clock, &e).await;
        assert!(r.is_err(), "{what}: accepted");
        assert_error(r, code, field);
    }
    let missing = clock
        .record_event(pb::RecordEventRequest { event: None })
        .await;
    assert_error(missing, Code::InvalidArgument, "event");
    assert!(
        app.stored_events(&kari.employee_id).await.is_empty(),
        "nothing stored"
    );

    // Four minutes ahead is within the default skew of five.
    let mut ahead = good.clone();
    ahead.occurred_at = Some(ts(now + Duration::minutes(4)));
    assert_eq!(
        record(&mut clock, &ahead).await.unwrap().outcome(),
        pb::EventOutcome::New
    );
}

async fn tokens_may_post_only_for_whom_their_role_allows(app: TestApp) {
    let boss = app.create_employee("B1").await;
    let kari = app
        .create_employee_managed_by("E1", &boss.employee_id)
        .await;
    let ola = app.create_employee("E2").await;
    let kari_token = app.token(pb::Role::Employee, Some(&kari.employee_id)).await;
    let boss_token = app.token(pb::Role::Manager, Some(&boss.employee_id)).await;
    let payroll = app.token(pb::Role::Payroll, None).await;

    let mut as_kari = app.clock_client(&kari_token);
    record(&mut as_kari, &event(&kari.employee_id, ClockIn, at(8, 0)))
        .await
        .unwrap();
    assert_error(
        record(&mut as_kari, &event(&ola.employee_id, ClockIn, at(8, 0))).await,
        Code::PermissionDenied,
        "EMPLOYEE",
    );
    let mut as_boss = app.clock_client(&boss_token);
    record(&mut as_boss, &event(&boss.employee_id, ClockIn, at(8, 0)))
        .await
        .unwrap();
    assert_error(
        record(&mut as_boss, &event(&kari.employee_id, ClockOut, at(9, 0))).await,
        Code::PermissionDenied,
        "MANAGER",
    );
    assert_error(
        record(
            &mut app.clock_client(&payroll),
            &event(&kari.employee_id, ClockOut, at(9, 0)),
        )
        .await,
        Code::PermissionDenied,
        "PAYROLL",
    );
    assert_error(
        record(
            &mut app.anonymous_clock_client(),
            &event(&kari.employee_id, ClockOut, at(9, 0)),
        )
        .await,
        Code::Unauthenticated,
        "authorization",
    );
    assert_error(
        record(
            &mut app.clock_client("tv1_not-a-token"),
            &event(&kari.employee_id, ClockOut, at(9, 0)),
        )
        .await,
        Code::Unauthenticated,
        "token",
    );
    assert!(app.stored_events(&ola.employee_id).await.is_empty());
    assert_eq!(app.stored_events(&kari.employee_id).await.len(), 1);
}

async fn another_organisation_sees_nothing(app: TestApp) {
    let kari = app.create_employee("E1").await;
    let (_, other_admin) =
        tidsvakt::bootstrap::create_organisation(app.store.as_ref(), "other", app.clock.now())
            .await
            .unwrap();
    let other_clock = app
        .admin_client(&other_admin)
        .create_api_token(pb::CreateApiTokenRequest {
            name: "their clock".into(),
            role: pb::Role::Clock as i32,
            employee_id: String::new(),
            expires_at: None,
            department: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .secret;
    let mut theirs = app.clock_client(&other_clock);
    let e = event(&kari.employee_id, ClockIn, at(8, 0));
    assert_error(
        record(&mut theirs, &e).await,
        Code::NotFound,
        "event.employee_id",
    );
    assert_error(
        theirs
            .get_clock_status(pb::GetClockStatusRequest {
                employee_id: kari.employee_id.clone(),
            })
            .await,
        Code::NotFound,
        "employee_id",
    );
    assert!(app.stored_events(&kari.employee_id).await.is_empty());

    // Event ids are scoped by organisation: theirs cannot block ours.
    let their_employee = app
        .admin_client(&other_admin)
        .create_employee(pb::CreateEmployeeRequest {
            external_id: "E1".into(),
            name: "Per".into(),
            email: "per@example.no".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap();
    let mut same_id = event(&their_employee.employee_id, ClockIn, at(8, 0));
    same_id.event_id.clone_from(&e.event_id);
    assert_eq!(
        record(&mut theirs, &same_id).await.unwrap().outcome(),
        pb::EventOutcome::New
    );
    let mut ours = app.clock_client(&app.clock_token().await);
    assert_eq!(
        record(&mut ours, &e).await.unwrap().outcome(),
        pb::EventOutcome::New
    );
}

/// rules.md worked example 13: events arrive out of order and twice.
async fn worked_example_13_events_arrive_out_of_order(app: TestApp) {
    let kari = app.create_employee("E1").await;
    let mut clock = app.clock_client(&app.clock_token().await);
    let id = &kari.employee_id;
    let clock_in = event(id, ClockIn, at(7, 0));
    let break_start = event(id, BreakStart, at(10, 30));
    let break_end = event(id, BreakEnd, at(11, 0));
    let clock_out = event(id, ClockOut, at(15, 0));
    let mut outcomes = Vec::new();
    for e in [&clock_out, &break_end, &clock_in, &clock_in, &break_start] {
        outcomes.push(record(&mut clock, e).await.unwrap().outcome());
    }
    assert_eq!(outcomes, vec![New, New, New, Duplicate, New]);
    let s = status(&app, id).await;
    assert_eq!(s.state(), pb::ClockState::ClockedOut);
    assert_eq!(s.state_since, Some(ts(at(15, 0))));
    assert_eq!(s.last_event_id, clock_out.event_id);
    assert_eq!(s.event_count, 4);
}

/// The status reads the latest 8 events first; a day with more events
/// after its clock-in than that (many short breaks) still answers from the
/// clock-in, through the wider window, and counts every event.
async fn status_of_a_day_with_many_breaks_reads_back_to_its_clock_in(app: TestApp) {
    let kari = app.create_employee("E1").await;
    let mut clock = app.clock_client(&app.clock_token().await);
    let id = &kari.employee_id;
    record(&mut clock, &event(id, ClockIn, at(7, 0)))
        .await
        .unwrap();
    for i in 0..6 {
        let h = 8 + i;
        record(&mut clock, &event(id, BreakStart, at(h, 0)))
            .await
            .unwrap();
        record(&mut clock, &event(id, BreakEnd, at(h, 10)))
            .await
            .unwrap();
    }
    let last = status_after(&mut clock, &event(id, BreakStart, at(14, 0))).await;
    assert_eq!(last.state(), pb::ClockState::OnBreak);
    assert_eq!(last.clocked_in_since, Some(ts(at(7, 0))));
    assert_eq!(last.event_count, 14);
    let s = status(&app, id).await;
    assert_eq!((s.state(), s.event_count), (pb::ClockState::OnBreak, 14));
    assert_eq!(s.clocked_in_since, Some(ts(at(7, 0))));
}

async fn status_follows_breaks_and_location(app: TestApp) {
    let kari = app.create_employee("E1").await;
    let mut clock = app.clock_client(&app.clock_token().await);
    let id = &kari.employee_id;
    let s = status(&app, id).await;
    assert_eq!(s.state(), pb::ClockState::ClockedOut);
    assert_eq!(s.event_count, 0);
    let mut home = event(id, ClockIn, at(7, 0));
    home.location = pb::Location::Home as i32;
    record(&mut clock, &home).await.unwrap();
    let on_break = status_after(&mut clock, &event(id, BreakStart, at(10, 0))).await;
    assert_eq!(on_break.state(), pb::ClockState::OnBreak);
    assert_eq!(on_break.state_since, Some(ts(at(10, 0))));
    assert_eq!(on_break.clocked_in_since, Some(ts(at(7, 0))));
    let mut back = event(id, BreakEnd, at(10, 30));
    back.location = pb::Location::Office as i32;
    let working = record(&mut clock, &back).await.unwrap().status.unwrap();
    assert_eq!(working.state(), pb::ClockState::Working);
    assert_eq!(
        working.location(),
        pb::Location::Office,
        "work resumed at the office"
    );
}

async fn sync_events_answers_every_event_of_a_batch(app: TestApp) {
    let kari = app.create_employee("E1").await;
    let mut clock = app.clock_client(&app.clock_token().await);
    let id = &kari.employee_id;
    let stored_before = event(id, ClockIn, at(7, 0));
    record(&mut clock, &stored_before).await.unwrap();
    let mut conflicting = stored_before.clone();
    conflicting.kind = ClockOut as i32;
    let out = event(id, ClockOut, at(15, 0));
    let mut bad_id = event(id, BreakStart, at(10, 0));
    bad_id.event_id = "nope".into();
    let stranger = event(&Uuid::new_v4().to_string(), ClockIn, at(7, 0));
    let batch = vec![
        event(id, BreakStart, at(10, 0)),
        stored_before.clone(),
        bad_id,
        out.clone(),
        out.clone(),
        stranger,
        conflicting,
    ];
    let mut replies = clock
        .sync_events(tokio_stream::iter(vec![pb::SyncEventsRequest {
            events: batch,
        }]))
        .await
        .unwrap()
        .into_inner();
    let reply = replies
        .message()
        .await
        .unwrap()
        .expect("one reply per message");
    assert!(replies.message().await.unwrap().is_none());
    let outcomes: Vec<_> = reply.results.iter().map(pb::EventResult::outcome).collect();
    assert_eq!(
        outcomes,
        vec![New, Duplicate, Rejected, New, Duplicate, Rejected, Rejected]
    );
    let errors: Vec<_> = reply
        .results
        .iter()
        .filter_map(|r| r.error.clone())
        .collect();
    assert_eq!(errors[0].field, "events[2].event_id");
    assert_eq!(errors[0].code, "INVALID_ARGUMENT");
    assert_eq!(errors[1].code, "NOT_FOUND");
    assert!(
        errors[1].message.contains("events[5].employee_id"),
        "{}",
        errors[1].message
    );
    assert_eq!(errors[2].code, "ALREADY_EXISTS");
    assert_eq!(errors[2].field, "events[6].event_id");
    assert_eq!(
        (reply.new_count, reply.duplicate_count, reply.rejected_count),
        (2, 2, 3)
    );
    assert_eq!(app.stored_events(id).await.len(), 3);
}

async fn sync_events_refuses_an_over_long_message_but_keeps_earlier_ones(app: TestApp) {
    let kari = app.create_employee("E1").await;
    let mut clock = app.clock_client(&app.clock_token().await);
    let id = &kari.employee_id;
    let first = pb::SyncEventsRequest {
        events: vec![event(id, ClockIn, at(7, 0))],
    };
    let too_long = pb::SyncEventsRequest {
        events: (0..1001)
            .map(|i| event(id, ClockOut, at(8, 0) + Duration::seconds(i)))
            .collect(),
    };
    let mut replies = clock
        .sync_events(tokio_stream::iter(vec![first, too_long]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(replies.message().await.unwrap().unwrap().new_count, 1);
    assert_error(replies.message().await, Code::InvalidArgument, "events");
    assert_eq!(
        app.stored_events(id).await.len(),
        1,
        "the first batch stays, the long one stored nothing"
    );
}

async fn replaying_a_sync_changes_nothing(app: TestApp) {
    let kari = app.create_employee("E1").await;
    let mut clock = app.clock_client(&app.clock_token().await);
    let id = &kari.employee_id;
    let events = vec![event(id, ClockIn, at(7, 0)), event(id, ClockOut, at(15, 0))];
    for expected_new in [2, 0] {
        let mut replies = clock
            .sync_events(tokio_stream::iter(vec![pb::SyncEventsRequest {
                events: events.clone(),
            }]))
            .await
            .unwrap()
            .into_inner();
        let reply = replies.message().await.unwrap().unwrap();
        assert_eq!(reply.new_count, expected_new);
        assert_eq!(reply.duplicate_count, 2 - expected_new);
    }
    assert_eq!(app.stored_events(id).await.len(), 2);
}

/// An event may not take an id an amendment holds: one call is refused
/// naming the id, a batch refuses that event alone and stores the rest,
/// and neither stores or counts it.
async fn an_event_may_not_take_an_amendments_id(app: TestApp) {
    let kari = app.create_employee("E1").await;
    let id = &kari.employee_id;
    let mut clock = app.clock_client(&app.clock_token().await);
    record(&mut clock, &event(id, ClockIn, at(7, 0)))
        .await
        .unwrap();
    let add = adding_clock_out(id, at(15, 0));
    app.clock_client(&app.admin_token)
        .correct_event(add.clone())
        .await
        .unwrap();

    let mut taken = event(id, BreakStart, at(10, 0));
    taken.event_id = add.amendment_id.clone();
    assert_error(
        record(&mut clock, &taken).await,
        Code::AlreadyExists,
        "event.event_id",
    );

    let fresh = event(id, BreakEnd, at(10, 30));
    let reply = sync_one_message(&mut clock, vec![fresh.clone(), taken]).await;
    let outcomes: Vec<_> = reply.results.iter().map(pb::EventResult::outcome).collect();
    assert_eq!(outcomes, vec![New, Rejected]);
    let error = reply.results[1].error.clone().unwrap();
    assert_eq!(
        (error.code.as_str(), error.field.as_str()),
        ("ALREADY_EXISTS", "events[1].event_id")
    );
    let stored: Vec<String> = app
        .stored_events(id)
        .await
        .iter()
        .map(|s| s.event.event_id.to_string())
        .collect();
    assert_eq!(stored.len(), 2, "{stored:?}");
    assert!(stored.contains(&fresh.event_id));
    assert!(!stored.contains(&add.amendment_id));
    assert_eq!(
        status(&app, id).await.event_count,
        3,
        "the clock-in, the break's end and the added clock-out; not the refused one"
    );
}

pub(crate) fn correction(
    employee_id: &str,
    change: pb::correct_event_request::Change,
) -> pb::CorrectEventRequest {
    pb::CorrectEventRequest {
        amendment_id: Uuid::new_v4().to_string(),
        employee_id: employee_id.into(),
        reason: "forgot to clock out".into(),
        change: Some(change),
    }
}

/// The correction adding a forgotten clock-out at `at`.
fn adding_clock_out(
    employee_id: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> pb::CorrectEventRequest {
    correction(
        employee_id,
        pb::correct_event_request::Change::Add(pb::AddEventChange {
            kind: ClockOut as i32,
            occurred_at: Some(ts(at)),
            location: 0,
        }),
    )
}

async fn corrections_add_void_and_move_without_touching_events(app: TestApp) {
    use pb::correct_event_request::Change;
    let kari = app.create_employee("E1").await;
    let id = &kari.employee_id;
    let kari_token = app.token(pb::Role::Employee, Some(id)).await;
    let mut mine = app.clock_client(&kari_token);
    let clock_in = event(id, ClockIn, at(7, 0));
    record(&mut mine, &clock_in).await.unwrap();

    let add = adding_clock_out(id, at(15, 0));
    let added = mine.correct_event(add.clone()).await.unwrap().into_inner();
    assert!(!added.duplicate);
    assert_eq!(added.status.unwrap().state(), pb::ClockState::ClockedOut);
    let amendment = added.amendment.unwrap();
    assert_eq!(amendment.kind(), pb::AmendmentKind::Add);
    assert!(
        amendment.author.contains("EMPLOYEE"),
        "{}",
        amendment.author
    );
    assert_eq!(amendment.reason, "forgot to clock out");

    // The same request again is reported, not stored twice.
    assert!(
        mine.correct_event(add.clone())
            .await
            .unwrap()
            .into_inner()
            .duplicate
    );
    let mut changed = add.clone();
    changed.reason = "something else".into();
    assert_error(
        mine.correct_event(changed).await,
        Code::AlreadyExists,
        "amendment_id",
    );

    // Move the added clock-out, then void the clock-in.
    let mv = correction(
        id,
        Change::Move(pb::MoveEventChange {
            event_id: add.amendment_id.clone(),
            occurred_at: Some(ts(at(16, 0))),
        }),
    );
    let moved = mine
        .correct_event(mv)
        .await
        .unwrap()
        .into_inner()
        .status
        .unwrap();
    assert_eq!(moved.state_since, Some(ts(at(16, 0))));
    let void = correction(
        id,
        Change::Void(pb::VoidEventChange {
            event_id: clock_in.event_id.clone(),
        }),
    );
    let voided = mine
        .correct_event(void.clone())
        .await
        .unwrap()
        .into_inner()
        .status
        .unwrap();
    assert_eq!(voided.event_count, 1, "only the moved clock-out is left");

    let again = correction(
        id,
        Change::Void(pb::VoidEventChange {
            event_id: clock_in.event_id.clone(),
        }),
    );
    assert_error(
        mine.correct_event(again).await,
        Code::FailedPrecondition,
        "void.event_id",
    );

    let stored = app.stored_events(id).await;
    assert_eq!(
        stored.len(),
        1,
        "corrections never add or remove stored events"
    );
    assert_eq!(stored[0].event.occurred_at, at(7, 0), "nor edit them");
}

async fn correct_event_rejects_bad_input_naming_the_field(app: TestApp) {
    use pb::correct_event_request::Change;
    let kari = app.create_employee("E1").await;
    let ola = app.create_employee("E2").await;
    let id = &kari.employee_id;
    let clock_token = app.clock_token().await;
    let clock_in = event(id, ClockIn, at(7, 0));
    record(&mut app.clock_client(&clock_token), &clock_in)
        .await
        .unwrap();
    let mut admin = app.clock_client(&app.admin_token);
    let void = |target: &str| {
        Change::Void(pb::VoidEventChange {
            event_id: target.into(),
        })
    };
    let now = app.clock.now();

    let mut no_reason = correction(id, void(&clock_in.event_id));
    no_reason.reason = "   ".into();
    assert_error(
        admin.correct_event(no_reason).await,
        Code::InvalidArgument,
        "reason",
    );
    let mut long_reason = correction(id, void(&clock_in.event_id));
    long_reason.reason = "x".repeat(501);
    assert_error(
        admin.correct_event(long_reason).await,
        Code::InvalidArgument,
        "reason",
    );
    let mut no_change = correction(id, void(&clock_in.event_id));
    no_change.change = None;
    assert_error(
        admin.correct_event(no_change).await,
        Code::InvalidArgument,
        "change",
    );
    let mut bad_amendment = correction(id, void(&clock_in.event_id));
    bad_amendment.amendment_id = "x".into();
    assert_error(
        admin.correct_event(bad_amendment).await,
        Code::InvalidArgument,
        "amendment_id",
    );
    assert_error(
        admin
            .correct_event(correction(id, void("not-a-uuid")))
            .await,
        Code::InvalidArgument,
        "void.event_id",
    );
    assert_error(
        admin
            .correct_event(correction(id, void(&Uuid::new_v4().to_string())))
            .await,
        Code::NotFound,
        "void.event_id",
    );
    // Another employee's event is not in this employee's record.
    assert_error(
        admin
            .correct_event(correction(&ola.employee_id, void(&clock_in.event_id)))
            .await,
        Code::NotFound,
        "void.event_id",
    );
    let future_move = correction(
        id,
        Change::Move(pb::MoveEventChange {
            event_id: clock_in.event_id.clone(),
            occurred_at: Some(ts(now + Duration::hours(1))),
        }),
    );
    assert_error(
        admin.correct_event(future_move).await,
        Code::InvalidArgument,
        "move.occurred_at",
    );
    let add_without_kind = correction(
        id,
        Change::Add(pb::AddEventChange {
            kind: 0,
            occurred_at: Some(ts(at(15, 0))),
            location: 0,
        }),
    );
    assert_error(
        admin.correct_event(add_without_kind).await,
        Code::InvalidArgument,
        "add.kind",
    );
    let add_in_without_location = correction(
        id,
        Change::Add(pb::AddEventChange {
            kind: ClockIn as i32,
            occurred_at: Some(ts(at(15, 0))),
            location: 0,
        }),
    );
    assert_error(
        admin.correct_event(add_in_without_location).await,
        Code::InvalidArgument,
        "add.location",
    );

    // Who may correct: not a clock, not a colleague; the manager may.
    assert_error(
        app.clock_client(&clock_token)
            .correct_event(correction(id, void(&clock_in.event_id)))
            .await,
        Code::PermissionDenied,
        "CLOCK",
    );
    let ola_token = app.token(pb::Role::Employee, Some(&ola.employee_id)).await;
    assert_error(
        app.clock_client(&ola_token)
            .correct_event(correction(id, void(&clock_in.event_id)))
            .await,
        Code::PermissionDenied,
        "EMPLOYEE",
    );
    assert_eq!(
        status(&app, id).await.event_count,
        1,
        "no rejected correction took effect"
    );

    let boss = app.create_employee("B1").await;
    app.admin()
        .update_employee(pb::UpdateEmployeeRequest {
            employee_id: id.clone(),
            employee: Some(pb::Employee {
                manager_id: boss.employee_id.clone(),
                ..Default::default()
            }),
            update_paths: vec!["manager_id".into()],
        })
        .await
        .unwrap();
    let boss_token = app.token(pb::Role::Manager, Some(&boss.employee_id)).await;
    app.clock_client(&boss_token)
        .correct_event(correction(id, void(&clock_in.event_id)))
        .await
        .unwrap();
    assert_eq!(status(&app, id).await.event_count, 0);
}

async fn get_clock_status_rejects_bad_input(app: TestApp) {
    let kari = app.create_employee("E1").await;
    let ola = app.create_employee("E2").await;
    let mut admin = app.clock_client(&app.admin_token);
    assert_error(
        admin
            .get_clock_status(pb::GetClockStatusRequest {
                employee_id: String::new(),
            })
            .await,
        Code::InvalidArgument,
        "employee_id",
    );
    assert_error(
        admin
            .get_clock_status(pb::GetClockStatusRequest {
                employee_id: "zz".into(),
            })
            .await,
        Code::InvalidArgument,
        "employee_id",
    );
    assert_error(
        admin
            .get_clock_status(pb::GetClockStatusRequest {
                employee_id: Uuid::new_v4().to_string(),
            })
            .await,
        Code::NotFound,
        "employee_id",
    );
    let kari_token = app.token(pb::Role::Employee, Some(&kari.employee_id)).await;
    let mut as_kari = app.clock_client(&kari_token);
    as_kari
        .get_clock_status(pb::GetClockStatusRequest {
            employee_id: kari.employee_id.clone(),
        })
        .await
        .unwrap();
    assert_error(
        as_kari
            .get_clock_status(pb::GetClockStatusRequest {
                employee_id: ola.employee_id.clone(),
            })
            .await,
        Code::PermissionDenied,
        "EMPLOYEE",
    );
    assert_error(
        app.anonymous_clock_client()
            .get_clock_status(pb::GetClockStatusRequest {
                employee_id: ola.employee_id,
            })
            .await,
        Code::Unauthenticated,
        "authorization",
    );
}

/// The tables of events and amendments refuse UPDATE and DELETE, whoever asks.
async fn stored_events_cannot_be_updated_or_deleted(app: TestApp) {
    let kari = app.create_employee("E1").await;
    let e = event(&kari.employee_id, ClockIn, at(7, 0));
    record(&mut app.clock_client(&app.clock_token().await), &e)
        .await
        .unwrap();
    let mut conn = sqlx::AnyConnection::connect(&app.database_url)
        .await
        .unwrap();
    for sql in [
        "UPDATE clock_events SET occurred_at = 0",
        "DELETE FROM clock_events",
        "UPDATE amendments SET reason = 'x'",
        "DELETE FROM amendments",
    ] {
        let r = conn.execute(sql).await;
        if sql.contains("clock_events") {
            let err = r.expect_err(sql).to_string();
            assert!(err.contains("append-only"), "{sql}: {err}");
        }
    }
    let stored = app.stored_events(&kari.employee_id).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].event.occurred_at, at(7, 0));
}

/// Status reads only the record from the latest clock-in on; corrections of
/// that clock-in, or events moved across it, must still count.
async fn status_honours_corrections_around_the_latest_clock_in(app: TestApp) {
    use pb::correct_event_request::Change;
    let kari = app.create_employee("E1").await;
    let id = &kari.employee_id;
    let mut clock = app.clock_client(&app.clock_token().await);
    let first_in = event(id, ClockIn, at(7, 0));
    let first_out = event(id, ClockOut, at(11, 0));
    let second_in = event(id, ClockIn, at(12, 0));
    for e in [&first_in, &first_out, &second_in] {
        record(&mut clock, e).await.unwrap();
    }
    assert_eq!(status(&app, id).await.state(), pb::ClockState::Working);

    let mut admin = app.clock_client(&app.admin_token);
    let void = correction(
        id,
        Change::Void(pb::VoidEventChange {
            event_id: second_in.event_id.clone(),
        }),
    );
    admin.correct_event(void).await.unwrap();
    let s = status(&app, id).await;
    assert_eq!(
        (s.state(), s.state_since),
        (pb::ClockState::ClockedOut, Some(ts(at(11, 0))))
    );
    assert_eq!(s.event_count, 2);

    // Moving the old clock-out past a later clock-in changes the status.
    let third_in = event(id, ClockIn, at(13, 0));
    record(&mut clock, &third_in).await.unwrap();
    let mv = correction(
        id,
        Change::Move(pb::MoveEventChange {
            event_id: first_out.event_id.clone(),
            occurred_at: Some(ts(at(14, 0))),
        }),
    );
    admin.correct_event(mv).await.unwrap();
    let s = status(&app, id).await;
    assert_eq!(
        (s.state(), s.state_since),
        (pb::ClockState::ClockedOut, Some(ts(at(14, 0))))
    );

    // An added event lands on the instant of a moved one; both count.
    let add = adding_clock_out(id, at(14, 0));
    admin.correct_event(add).await.unwrap();
    let s = status(&app, id).await;
    assert_eq!(s.state(), pb::ClockState::ClockedOut);
    assert_eq!(s.event_count, 4);
}

/// Calls arriving together are stored together (one batch per turn): each
/// still hears about its own event, a shared id is stored once, a clashing
/// one is refused once, and every status and count is exact.
async fn concurrent_record_events_each_get_their_own_answer(app: TestApp) {
    let token = app.clock_token().await;
    let mut people = Vec::new();
    for i in 0..8 {
        people.push(app.create_employee(&format!("C{i}")).await.employee_id);
    }
    // Per person: clock-in 08:00, break 11:30–12:00; each sent by 4 callers
    // at once (so 3 of the 4 are duplicates).
    let mut calls = Vec::new();
    for id in &people {
        for e in [
            event(id, ClockIn, at(8, 0)),
            event(id, BreakStart, at(11, 30)),
            event(id, BreakEnd, at(12, 0)),
        ] {
            for _ in 0..4 {
                calls.push(e.clone());
            }
        }
    }
    // One more id sent twice at once with different content: one is stored.
    let clash = event(&people[0], ClockOut, at(16, 0));
    let mut other = clash.clone();
    other.occurred_at = Some(ts(at(17, 0)));
    calls.push(clash.clone());
    calls.push(other);
    let replies = futures::future::join_all(calls.iter().map(|e| {
        let mut client = app.clock_client(&token);
        let e = e.clone();
        async move { record(&mut client, &e).await }
    }))
    .await;

    let mut new = 0;
    let mut duplicate = 0;
    let mut refused = Vec::new();
    for (sent, reply) in calls.iter().zip(&replies) {
        match reply {
            Ok(r) => {
                let stored = r.stored.clone().unwrap().event.unwrap();
                assert_eq!(
                    stored.event_id, sent.event_id,
                    "each call hears its own event"
                );
                assert_eq!(stored.occurred_at, sent.occurred_at);
                match r.outcome() {
                    New => new += 1,
                    Duplicate => duplicate += 1,
                    other => panic!("unexpected outcome {other:?}"),
                }
            }
            Err(status) => refused.push((status.code(), sent.event_id.clone())),
        }
    }
    assert_eq!((new, duplicate), (8 * 3 + 1, 8 * 3 * 3));
    assert_eq!(refused, vec![(Code::AlreadyExists, clash.event_id.clone())]);
    for (i, id) in people.iter().enumerate() {
        let s = status(&app, id).await;
        let (state, count) = if i == 0 {
            (pb::ClockState::ClockedOut, 4)
        } else {
            (pb::ClockState::Working, 3)
        };
        assert_eq!((s.state(), s.event_count), (state, count), "{id}");
        assert_eq!(
            app.stored_events(id).await.len(),
            usize::try_from(count).unwrap()
        );
    }
}

/// Issue 15: a record is read packed, one JSON array per employee that the
/// database builds. Whatever a clock calls itself comes back exactly, with
/// no location where none was stored, in instant-then-id order (two events
/// share an instant), from the per-employee read and a payroll page's read
/// alike, and equal to the stored rows read one by one.
async fn packed_record_reads_give_back_every_event_exactly(app: TestApp) {
    use tidsvakt::storage::derived::DerivedStore as _;
    use tidsvakt::storage::payroll::{PageParts, PayrollStore as _};
    let kari = app.create_employee("E1").await;
    let id = kari.employee_id.clone();
    let mut clock = app.clock_client(&app.clock_token().await);
    let sent = [
        (ClockIn, at(8, 0), "clock \"A\" \\ 1"),
        (ClockOut, at(12, 0), "kiosk ✓ æøå"),
        (ClockIn, at(12, 0), "{\"json\": [1, null]}"),
        (ClockIn, at(12, 0), "</script>'--"),
        (ClockOut, at(16, 0), ""),
    ];
    for (kind, t, device) in sent {
        let mut e = event(&id, kind, t);
        device.clone_into(&mut e.device_id);
        let r = clock
            .record_event(pb::RecordEventRequest { event: Some(e) })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.outcome(), New);
    }
    let org = app.org_id().await;
    let employee = id.parse().unwrap();
    let (from, to) = (at(0, 0), at(23, 0));
    let (events, _) = app
        .store
        .record_between(org, employee, from, to)
        .await
        .unwrap();
    assert_eq!(events, app.stored_events(&id).await, "rows read one by one");
    // 08:00, then three at 12:00 (by id, so in no fixed order), then 16:00.
    let mut devices: Vec<(&str, bool)> = events
        .iter()
        .map(|e| (e.event.device_id.as_str(), e.event.location.is_some()))
        .collect();
    devices[1..4].sort_unstable();
    assert_eq!(
        devices,
        [
            ("clock \"A\" \\ 1", true),
            ("</script>'--", true),
            ("kiosk ✓ æøå", false),
            ("{\"json\": [1, null]}", true),
            ("ROLE_CLOCK token", false),
        ]
    );
    let same: Vec<Uuid> = events[1..4].iter().map(|e| e.event.event_id.0).collect();
    assert!(same.is_sorted(), "same instant by id: {same:?}");

    let mut snapshot = app.store.payroll_snapshot(org).await.unwrap();
    let day = from.date_naive();
    snapshot
        .prefetch(&[employee], (from, to), (day, day), PageParts::Pricing)
        .await
        .unwrap();
    let (paged, _) = snapshot.record_between(employee, from, to).await.unwrap();
    assert_eq!(paged, events, "a payroll page's read");
}

crate::both_backends!(
    concurrent_record_events_each_get_their_own_answer,
    status_honours_corrections_around_the_latest_clock_in,
    record_event_reports_new_then_duplicate,
    reusing_an_event_id_for_other_content_is_already_exists,
    an_event_may_not_take_an_amendments_id,
    record_event_rejects_bad_input_naming_the_field,
    tokens_may_post_only_for_whom_their_role_allows,
    another_organisation_sees_nothing,
    worked_example_13_events_arrive_out_of_order,
    status_follows_breaks_and_location,
    status_of_a_day_with_many_breaks_reads_back_to_its_clock_in,
    sync_events_answers_every_event_of_a_batch,
    sync_events_refuses_an_over_long_message_but_keeps_earlier_ones,
    replaying_a_sync_changes_nothing,
    corrections_add_void_and_move_without_touching_events,
    correct_event_rejects_bad_input_naming_the_field,
    get_clock_status_rejects_bad_input,
    stored_events_cannot_be_updated_or_deleted,
    packed_record_reads_give_back_every_event_exactly,
);
