//! The server as a whole: health, reflection, the RPCs later work owns.

use tidsvakt::pb;
use tonic::Code;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

use crate::helpers::*;

async fn health_reports_every_service_serving(app: TestApp) {
    let mut health = tonic_health::pb::health_client::HealthClient::new(app.channel.clone());
    for service in [
        "",
        "tidsvakt.v1.ClockService",
        "tidsvakt.v1.AdminService",
        "tidsvakt.v1.PayrollService",
        "tidsvakt.v1.NudgeService",
    ] {
        let r = health
            .check(tonic_health::pb::HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            r.status(),
            tonic_health::pb::health_check_response::ServingStatus::Serving,
            "{service}"
        );
    }
}

async fn reflection_lists_every_service_without_proto_files(app: TestApp) {
    let mut reflection = ServerReflectionClient::new(app.channel.clone());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut replies = reflection
        .server_reflection_info(tokio_stream::iter(vec![request]))
        .await
        .unwrap()
        .into_inner();
    let reply = replies.message().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = reply.message_response else {
        panic!("not a service list: {reply:?}");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for expected in [
        "tidsvakt.v1.ClockService",
        "tidsvakt.v1.TimesheetService",
        "tidsvakt.v1.PayrollService",
        "tidsvakt.v1.AdminService",
        "tidsvakt.v1.NudgeService",
        "grpc.health.v1.Health",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }

    let symbol = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::FileContainingSymbol(
            "tidsvakt.v1.ClockService".into(),
        )),
    };
    let mut replies = reflection
        .server_reflection_info(tokio_stream::iter(vec![symbol]))
        .await
        .unwrap()
        .into_inner();
    let reply = replies.message().await.unwrap().unwrap();
    assert!(
        matches!(reply.message_response, Some(MessageResponse::FileDescriptorResponse(ref f)) if !f.file_descriptor_proto.is_empty()),
        "{reply:?}"
    );
}

async fn every_service_requires_a_token(app: TestApp) {
    let mut timesheet =
        pb::timesheet_service_client::TimesheetServiceClient::new(app.channel.clone());
    // TimesheetService is implemented: without a token it is UNAUTHENTICATED.
    assert_error(
        timesheet
            .get_timesheet(pb::GetTimesheetRequest::default())
            .await,
        Code::Unauthenticated,
        "authorization",
    );
    // So is PayrollService.
    let mut payroll = pb::payroll_service_client::PayrollServiceClient::new(app.channel.clone());
    assert_error(
        payroll.lock_period(pb::LockPeriodRequest::default()).await,
        Code::Unauthenticated,
        "authorization",
    );
    assert_error(
        payroll.list_totals(pb::ListTotalsRequest::default()).await,
        Code::Unauthenticated,
        "authorization",
    );
    let mut nudges = pb::nudge_service_client::NudgeServiceClient::new(app.channel.clone());
    assert_error(
        nudges.list_nudges(pb::ListNudgesRequest::default()).await,
        Code::Unauthenticated,
        "authorization",
    );
    assert_error(
        nudges
            .list_dead_messages(pb::ListDeadMessagesRequest::default())
            .await,
        Code::Unauthenticated,
        "authorization",
    );
}

crate::both_backends!(
    health_reports_every_service_serving,
    reflection_lists_every_service_without_proto_files,
    every_service_requires_a_token,
);
