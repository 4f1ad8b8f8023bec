//! Production safety (issue 14): token lifecycle, call limits, streams,
//! errors that do not echo, and what the server exposes. TLS is in
//! `tls.rs`.

use std::time::Duration;

use chrono::Duration as Days;
use tonic::Code;
use uuid::Uuid;

use crate::helpers::{Db, TestApp, at, spawn_app, spawn_app_with, test_now, ts};
use tidsvakt::config::ServerConfig;
use tidsvakt::grpc::limiter::CallLimits;
use tidsvakt::pb;

fn limits(configure: impl FnOnce(&mut CallLimits)) -> impl FnOnce(&mut ServerConfig) {
    move |config: &mut ServerConfig| configure(&mut config.limits.calls)
}

fn later(days: i64) -> prost_types::Timestamp {
    ts(test_now() + Days::days(days))
}

async fn employee_token(app: &TestApp, external_id: &str) -> (pb::Employee, String) {
    let e = app.create_employee(external_id).await;
    let secret = app.token(pb::Role::Employee, Some(&e.employee_id)).await;
    (e, secret)
}

/// A call that needs nothing but a valid token.
async fn whoami(app: &TestApp, secret: &str) -> Result<(), tonic::Status> {
    app.admin_client(secret)
        .get_organisation(pb::GetOrganisationRequest::default())
        .await
        .map(|_| ())
}

// ---- token lifecycle ----------------------------------------------------

async fn person_tokens_must_expire_within_a_year(app: TestApp) {
    let e = app.create_employee("E-1").await;
    let create = |role: pb::Role, expires_at| pb::CreateApiTokenRequest {
        name: "phone".into(),
        role: role as i32,
        employee_id: e.employee_id.clone(),
        expires_at,
        department: String::new(),
    };
    for (request, problem) in [
        (create(pb::Role::Employee, None), "is required"),
        (create(pb::Role::Manager, None), "is required"),
        (create(pb::Role::Employee, Some(later(367))), "366 days"),
        (
            create(pb::Role::Employee, Some(ts(test_now()))),
            "in the future",
        ),
    ] {
        let status = app
            .admin()
            .create_api_token(request)
            .await
            .expect_err("refused");
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(
            status.message().starts_with("expires_at: ") && status.message().contains(problem),
            "{}",
            status.message()
        );
    }
    let made = app
        .admin()
        .create_api_token(create(pb::Role::Employee, Some(later(366))))
        .await
        .expect("a year is allowed")
        .into_inner();
    assert_eq!(made.token.unwrap().expires_at, Some(later(366)));
    // CLOCK and PAYROLL tokens may live without an expiry.
    app.token(pb::Role::Clock, None).await;
}

async fn an_expired_token_stops_working_at_its_expiry(app: TestApp) {
    let (_, secret) = employee_token(&app, "E-1").await;
    whoami(&app, &secret).await.expect("works before expiry");
    app.clock
        .set(test_now() + Days::days(90) - Days::seconds(1));
    whoami(&app, &secret).await.expect("works a second before");
    app.clock.set(test_now() + Days::days(90));
    let status = whoami(&app, &secret).await.expect_err("expired");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert!(
        status.message().contains("expired at 2027-02-17T20:00:00Z"),
        "{}",
        status.message()
    );
}

async fn last_use_is_recorded_at_most_once_a_minute(app: TestApp) {
    let secret = app.token(pb::Role::Clock, None).await;
    let last_used = || async {
        let tokens = app
            .admin()
            .list_api_tokens(pb::ListApiTokensRequest::default())
            .await
            .unwrap()
            .into_inner()
            .tokens;
        tokens
            .into_iter()
            .find(|t| t.name == "ROLE_CLOCK token")
            .unwrap()
            .last_used_at
    };
    assert_eq!(last_used().await, None, "never used");
    whoami(&app, &secret).await.unwrap();
    // The write is off the call's path: wait for it (bounded).
    let mut seen = None;
    for _ in 0..100 {
        seen = last_used().await;
        if seen.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(seen, Some(ts(test_now())));
    app.clock.set(test_now() + Days::seconds(59));
    whoami(&app, &secret).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        last_used().await,
        Some(ts(test_now())),
        "not rewritten within the minute"
    );
    app.clock.set(test_now() + Days::seconds(60));
    whoami(&app, &secret).await.unwrap();
    let mut seen = None;
    for _ in 0..100 {
        seen = last_used().await;
        if seen == Some(ts(test_now() + Days::seconds(60))) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(seen, Some(ts(test_now() + Days::seconds(60))));
}

async fn a_rotated_secret_keeps_working_for_its_grace_only(app: TestApp) {
    let old = app.token(pb::Role::Clock, None).await;
    // Used once before the rotation, so the server has read it (and may
    // keep it): the rotation must still apply to the next call.
    whoami(&app, &old).await.expect("the secret works");
    let listed = app
        .admin()
        .list_api_tokens(pb::ListApiTokensRequest::default())
        .await
        .unwrap()
        .into_inner()
        .tokens;
    let id = listed
        .iter()
        .find(|t| t.name == "ROLE_CLOCK token")
        .unwrap()
        .token_id
        .clone();
    let rotated = app
        .admin()
        .rotate_api_token(pb::RotateApiTokenRequest {
            token_id: id.clone(),
            grace: Some(prost_types::Duration {
                seconds: 600,
                nanos: 0,
            }),
            expires_at: None,
        })
        .await
        .expect("rotated")
        .into_inner();
    let new = rotated.secret;
    assert_ne!(new, old);
    let t = rotated.token.unwrap();
    assert_eq!(t.rotated_at, Some(ts(test_now())));
    assert_eq!(
        t.previous_secret_valid_until,
        Some(ts(test_now() + Days::seconds(600)))
    );
    whoami(&app, &new).await.expect("the new secret works");
    whoami(&app, &old)
        .await
        .expect("the old one, within the grace");
    app.clock.set(test_now() + Days::seconds(600));
    whoami(&app, &new)
        .await
        .expect("the new secret still works");
    let status = whoami(&app, &old).await.expect_err("grace over");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert!(
        status.message().contains("rotation"),
        "{}",
        status.message()
    );

    // A token rotates itself; it may not rotate another.
    let other = app.token(pb::Role::Payroll, None).await;
    let status = app
        .admin_client(&other)
        .rotate_api_token(pb::RotateApiTokenRequest {
            token_id: id.clone(),
            ..Default::default()
        })
        .await
        .expect_err("not its own");
    assert_eq!(status.code(), Code::PermissionDenied);
    // Bad inputs name their field.
    for (request, field) in [
        (
            pb::RotateApiTokenRequest {
                token_id: "nope".into(),
                ..Default::default()
            },
            "token_id",
        ),
        (
            pb::RotateApiTokenRequest {
                token_id: id.clone(),
                grace: Some(prost_types::Duration {
                    seconds: 8 * 86_400,
                    nanos: 0,
                }),
                expires_at: None,
            },
            "grace",
        ),
        (
            pb::RotateApiTokenRequest {
                token_id: id.clone(),
                grace: Some(prost_types::Duration {
                    seconds: -1,
                    nanos: 0,
                }),
                expires_at: None,
            },
            "grace",
        ),
    ] {
        let status = app
            .admin()
            .rotate_api_token(request)
            .await
            .expect_err("bad");
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        assert!(
            status.message().starts_with(&format!("{field}: ")),
            "{}",
            status.message()
        );
    }
    let status = app
        .admin()
        .rotate_api_token(pb::RotateApiTokenRequest {
            token_id: Uuid::new_v4().to_string(),
            ..Default::default()
        })
        .await
        .expect_err("unknown");
    assert_eq!(status.code(), Code::NotFound);
}

async fn deactivation_revokes_bound_tokens_for_good(app: TestApp) {
    let (e, secret) = employee_token(&app, "E-1").await;
    whoami(&app, &secret).await.unwrap();
    app.admin()
        .deactivate_employee(pb::DeactivateEmployeeRequest {
            employee_id: e.employee_id.clone(),
        })
        .await
        .unwrap();
    assert_eq!(
        whoami(&app, &secret).await.unwrap_err().code(),
        Code::Unauthenticated
    );
    app.admin()
        .update_employee(pb::UpdateEmployeeRequest {
            employee_id: e.employee_id.clone(),
            employee: Some(pb::Employee {
                active: true,
                ..Default::default()
            }),
            update_paths: vec!["active".into()],
        })
        .await
        .expect("reactivated");
    let status = whoami(&app, &secret).await.expect_err("stays revoked");
    assert_eq!(status.code(), Code::Unauthenticated);
    let tokens = app
        .admin()
        .list_api_tokens(pb::ListApiTokensRequest {
            page: None,
            include_revoked: true,
        })
        .await
        .unwrap()
        .into_inner()
        .tokens;
    let bound: Vec<_> = tokens
        .iter()
        .filter(|t| t.employee_id == e.employee_id)
        .collect();
    assert_eq!(bound.len(), 1);
    assert_eq!(bound[0].revoked_at, Some(ts(test_now())));
}

// ---- limits -------------------------------------------------------------

async fn a_token_over_its_rate_gets_resource_exhausted_with_a_retry_delay(db: Db) {
    // One call a second, bursts of two: the third of a quick series is
    // refused (within ten calls, however slow this machine is today).
    let app = spawn_app_with(db, limits(|l| l.per_token_per_sec = 1)).await;
    let secret = app.token(pb::Role::Clock, None).await;
    for i in 0..2 {
        whoami(&app, &secret)
            .await
            .unwrap_or_else(|e| panic!("call {i} is within the burst: {e:?}"));
    }
    let mut refused = None;
    for _ in 0..10 {
        if let Err(status) = whoami(&app, &secret).await {
            refused = Some(status);
            break;
        }
    }
    let status = refused.expect("over the rate");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(status.message().contains("too many calls with this token"));
    let retry: u64 = status
        .metadata()
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(retry, 1);
    // The admin's own budget is untouched.
    whoami(&app, &app.admin_token.clone())
        .await
        .expect("another token");
}

async fn failed_authentications_are_slowed_then_refused_per_address(db: Db) {
    let app = spawn_app_with(
        db,
        limits(|l| {
            l.failed_auth_per_min = 3;
            l.failed_auth_delay = Duration::from_millis(50);
        }),
    )
    .await;
    for i in 0..3 {
        let status = whoami(&app, "tv1_wrong").await.expect_err("wrong");
        assert_eq!(status.code(), Code::Unauthenticated, "attempt {i}");
    }
    let status = whoami(&app, "tv1_wrong").await.expect_err("over budget");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(status.message().contains("failed authentications"));
    assert!(status.metadata().get("retry-after").is_some());
    // A valid token from the same address still works.
    whoami(&app, &app.admin_token.clone())
        .await
        .expect("valid token");
}

async fn sync_stream(
    app: &TestApp,
    secret: &str,
) -> (
    tokio::sync::mpsc::Sender<pb::SyncEventsRequest>,
    Result<tonic::Streaming<pb::SyncEventsResponse>, tonic::Status>,
) {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let r = app
        .clock_client(secret)
        .sync_events(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .map(tonic::Response::into_inner);
    (tx, r)
}

async fn streams_are_capped_per_token_and_closed_when_idle(db: Db) {
    let app = spawn_app_with(db, |c| {
        c.limits.calls.streams_per_token = 1;
        c.limits.stream_idle = Duration::from_millis(300);
    })
    .await;
    let secret = app.clock_token().await;
    let (_keep, first) = sync_stream(&app, &secret).await;
    let mut first = first.expect("first stream opens");
    let (_tx, second) = sync_stream(&app, &secret).await;
    let status = second.expect_err("one stream per token");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    // Silent for longer than the idle time: closed with DEADLINE_EXCEEDED.
    let status = first.message().await.expect_err("closed");
    assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    // The slot is free again.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (_tx3, third) = sync_stream(&app, &secret).await;
    third.expect("room again");
}

async fn a_stop_does_not_wait_for_a_silent_stream_beyond_the_grace(db: Db) {
    let mut app = spawn_app_with(db, |c| {
        c.limits.stream_idle = Duration::from_secs(3600);
        c.security.shutdown_grace = Duration::from_millis(500);
    })
    .await;
    let secret = app.clock_token().await;
    let (_keep, stream) = sync_stream(&app, &secret).await;
    let _stream = stream.expect("open");
    let stopped = app.stop().await;
    assert!(
        stopped.is_some(),
        "the server stopped within the grace plus margin"
    );
}

// ---- errors -------------------------------------------------------------

async fn bad_ids_periods_and_instants_are_refused_without_echoing_megabytes(app: TestApp) {
    let e = app.create_employee("E-1").await;
    let clock = app.clock_token().await;
    let event = |event_id: String| pb::RecordEventRequest {
        event: Some(pb::ClockEvent {
            event_id,
            employee_id: e.employee_id.clone(),
            kind: pb::EventKind::ClockIn as i32,
            occurred_at: Some(ts(at(8, 0))),
            location: pb::Location::Office as i32,
            device_id: String::new(),
        }),
    };
    let huge = "x".repeat(1 << 20);
    for (id, problem) in [
        (huge, "(1048578 characters) is not a UUID"),
        (Uuid::new_v4().simple().to_string(), "hyphenated"),
        (Uuid::nil().to_string(), "the nil UUID"),
    ] {
        let status = app
            .clock_client(&clock)
            .record_event(event(id))
            .await
            .expect_err("refused");
        assert_eq!(status.code(), Code::InvalidArgument, "{}", status.message());
        assert!(status.message().contains(problem), "{}", status.message());
        assert!(status.message().len() < 200, "{}", status.message().len());
    }
    let status = app
        .admin()
        .get_organisation(pb::GetOrganisationRequest::default())
        .await;
    assert!(status.is_ok());
    let headroom = app
        .timesheet_client(&app.admin_token.clone())
        .get_headroom(pb::GetHeadroomRequest {
            employee_id: e.employee_id.clone(),
            at: Some(prost_types::Timestamp {
                seconds: -62_135_596_801,
                nanos: 0,
            }),
        })
        .await
        .expect_err("before year 1");
    assert_eq!(headroom.code(), Code::InvalidArgument);
    assert!(
        headroom.message().starts_with("at: "),
        "{}",
        headroom.message()
    );
    let payroll = app.token(pb::Role::Payroll, None).await;
    let status = app
        .payroll_client(&payroll)
        .lock_period(pb::LockPeriodRequest {
            period_id: "0000-01".into(),
        })
        .await
        .expect_err("year 0");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert!(
        status.message().starts_with("period_id: "),
        "{}",
        status.message()
    );
}

/// A codec that sends raw bytes: what a broken client puts on the wire.
#[derive(Clone, Default)]
struct RawCodec;

struct RawEncoder;
struct RawDecoder;

impl tonic::codec::Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawEncoder;
    type Decoder = RawDecoder;
    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }
    fn decoder(&mut self) -> RawDecoder {
        RawDecoder
    }
}

impl tonic::codec::Encoder for RawEncoder {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn encode(
        &mut self,
        item: Vec<u8>,
        dst: &mut tonic::codec::EncodeBuf<'_>,
    ) -> Result<(), tonic::Status> {
        use bytes::BufMut as _;
        dst.put_slice(&item);
        Ok(())
    }
}

impl tonic::codec::Decoder for RawDecoder {
    type Item = Vec<u8>;
    type Error = tonic::Status;
    fn decode(
        &mut self,
        src: &mut tonic::codec::DecodeBuf<'_>,
    ) -> Result<Option<Vec<u8>>, tonic::Status> {
        use bytes::Buf as _;
        Ok(Some(src.copy_to_bytes(src.remaining()).to_vec()))
    }
}

async fn raw_call(app: &TestApp, path: &'static str, body: Vec<u8>) -> tonic::Status {
    let mut grpc =
        tonic::client::Grpc::new(app.channel.clone()).max_encoding_message_size(usize::MAX);
    grpc.ready().await.unwrap();
    let mut request = tonic::Request::new(body);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {}", app.admin_token).parse().unwrap(),
    );
    grpc.unary(
        request,
        http::uri::PathAndQuery::from_static(path),
        RawCodec,
    )
    .await
    .expect_err("refused")
}

async fn undecodable_and_oversized_bodies_get_the_client_error_codes(app: TestApp) {
    // Wire type 7 does not exist: not protobuf.
    let status = raw_call(
        &app,
        "/tidsvakt.v1.ClockService/RecordEvent",
        vec![0x0f, 0xff, 0xff],
    )
    .await;
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        status.message().contains("does not decode"),
        "{}",
        status.message()
    );
    // Over tonic's 4 MiB limit.
    let status = raw_call(
        &app,
        "/tidsvakt.v1.ClockService/RecordEvent",
        vec![0; 5 << 20],
    )
    .await;
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
}

async fn reflection_can_be_switched_off(db: Db) {
    let app = spawn_app_with(db, |c| c.security.reflection = false).await;
    let status = raw_call(
        &app,
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        Vec::new(),
    )
    .await;
    assert_eq!(status.code(), Code::Unimplemented, "{status:?}");
}

// ---- retention and erasure ---------------------------------------------

async fn record_a_day(app: &TestApp, employee: &str) {
    let clock = app.clock_token().await;
    for (kind, t) in [
        (pb::EventKind::ClockIn, at(8, 0)),
        (pb::EventKind::ClockOut, at(15, 30)),
    ] {
        app.clock_client(&clock)
            .record_event(pb::RecordEventRequest {
                event: Some(crate::helpers::event(employee, kind, t)),
            })
            .await
            .unwrap();
    }
}

async fn day_totals(app: &TestApp, employee: &str) -> Option<pb::TimesheetTotals> {
    app.timesheet_client(&app.admin_token.clone())
        .get_timesheet(pb::GetTimesheetRequest {
            employee_id: employee.into(),
            dates: Some(pb::LocalDateRange {
                start: Some(pb::LocalDate {
                    year: 2026,
                    month: 11,
                    day: 19,
                }),
                end: Some(pb::LocalDate {
                    year: 2026,
                    month: 11,
                    day: 19,
                }),
            }),
        })
        .await
        .unwrap()
        .into_inner()
        .totals
}

async fn employee(app: &TestApp, id: &str) -> pb::Employee {
    app.admin()
        .get_employee(pb::GetEmployeeRequest {
            employee_id: id.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap()
}

async fn leavers_are_anonymised_when_the_retention_period_ends_and_their_record_stays(
    app: TestApp,
) {
    let e = app.create_employee("HR-4711").await;
    let (_, stays) = employee_token(&app, "E-2").await;
    record_a_day(&app, &e.employee_id).await;
    let before = day_totals(&app, &e.employee_id).await;
    assert_eq!(before.as_ref().map(|t| t.worked_minutes), Some(450));
    app.admin()
        .deactivate_employee(pb::DeactivateEmployeeRequest {
            employee_id: e.employee_id.clone(),
        })
        .await
        .unwrap();
    assert_eq!(app.jobs.retention_once().await.unwrap(), 0, "just left");
    app.clock
        .set(test_now() + Days::days(1827) - Days::seconds(1));
    assert_eq!(
        app.jobs.retention_once().await.unwrap(),
        0,
        "a second early"
    );
    app.clock.set(test_now() + Days::days(1827));
    assert_eq!(app.jobs.retention_once().await.unwrap(), 1);
    assert_eq!(app.jobs.retention_once().await.unwrap(), 0, "once only");
    let gone = employee(&app, &e.employee_id).await;
    assert_eq!(gone.name, "Former employee");
    assert_eq!(gone.email, "");
    assert_eq!(gone.external_id, format!("anonymised-{}", e.employee_id));
    assert_eq!(
        day_totals(&app, &e.employee_id).await,
        before,
        "the record stays"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM clock_events WHERE employee_id = '{}'",
            e.employee_id
        ))
        .await,
        2
    );
    // Someone still employed is untouched.
    app.clock.set(test_now());
    whoami(&app, &stays)
        .await
        .expect("an active employee's token works");
}

async fn erase_employee_data_needs_a_deactivated_employee_and_a_reason(app: TestApp) {
    let e = app.create_employee("E-1").await;
    let erase = |employee_id: &str, reason: &str| pb::EraseEmployeeDataRequest {
        employee_id: employee_id.into(),
        reason: reason.into(),
    };
    crate::helpers::assert_error(
        app.admin()
            .erase_employee_data(erase(&e.employee_id, "registered by mistake"))
            .await,
        Code::FailedPrecondition,
        "deactivate them first",
    );
    crate::helpers::assert_error(
        app.admin().erase_employee_data(erase("x", "r")).await,
        Code::InvalidArgument,
        "employee_id: ",
    );
    crate::helpers::assert_error(
        app.admin()
            .erase_employee_data(erase(&e.employee_id, " "))
            .await,
        Code::InvalidArgument,
        "reason: is required",
    );
    crate::helpers::assert_error(
        app.admin()
            .erase_employee_data(erase(&e.employee_id, &"x".repeat(501)))
            .await,
        Code::InvalidArgument,
        "reason: is longer than 500",
    );
    crate::helpers::assert_error(
        app.admin()
            .erase_employee_data(erase(&Uuid::new_v4().to_string(), "r"))
            .await,
        Code::NotFound,
        "employee_id",
    );
    let payroll = app.token(pb::Role::Payroll, None).await;
    crate::helpers::assert_error(
        app.admin_client(&payroll)
            .erase_employee_data(erase(&e.employee_id, "r"))
            .await,
        Code::PermissionDenied,
        "ADMIN",
    );
    app.admin()
        .deactivate_employee(pb::DeactivateEmployeeRequest {
            employee_id: e.employee_id.clone(),
        })
        .await
        .unwrap();
    let r = app
        .admin()
        .erase_employee_data(erase(&e.employee_id, "registered by mistake"))
        .await
        .unwrap()
        .into_inner();
    assert!(r.erased_now);
    assert_eq!(r.employee.unwrap().name, "Former employee");
    let again = app
        .admin()
        .erase_employee_data(erase(&e.employee_id, "registered by mistake"))
        .await
        .unwrap()
        .into_inner();
    assert!(!again.erased_now);
}

crate::both_backends!(
    leavers_are_anonymised_when_the_retention_period_ends_and_their_record_stays,
    erase_employee_data_needs_a_deactivated_employee_and_a_reason,
    person_tokens_must_expire_within_a_year,
    an_expired_token_stops_working_at_its_expiry,
    last_use_is_recorded_at_most_once_a_minute,
    a_rotated_secret_keeps_working_for_its_grace_only,
    deactivation_revokes_bound_tokens_for_good,
    bad_ids_periods_and_instants_are_refused_without_echoing_megabytes,
    undecodable_and_oversized_bodies_get_the_client_error_codes,
);

macro_rules! with_db {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name(crate::helpers::Db::Sqlite).await;
                }
            }
        )*
    };
}

// Limits live in memory, per replica: one back-end is enough.
with_db!(
    a_token_over_its_rate_gets_resource_exhausted_with_a_retry_delay,
    failed_authentications_are_slowed_then_refused_per_address,
    streams_are_capped_per_token_and_closed_when_idle,
    a_stop_does_not_wait_for_a_silent_stream_beyond_the_grace,
    reflection_can_be_switched_off,
);

#[tokio::test]
async fn the_embedded_database_file_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let app = spawn_app(Db::Sqlite).await;
    let path = app
        .database_url
        .strip_prefix("sqlite://")
        .unwrap()
        .to_owned();
    for file in [path.clone(), format!("{path}-wal")] {
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{file}: {mode:o}");
    }
}
