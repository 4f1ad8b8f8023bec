//! The no-op ceiling: a tonic server built from the same generated service
//! traits, answering every call with a fixed response and doing nothing else
//! (no authentication, no storage). It runs as its own process, this binary
//! started again with `--noop-server`, so it pays for its own connections
//! and scheduling as the real server does.

use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;

use futures::Stream;
use prost::Message as _;
use tidsvakt::pb;
use tonic::{Request, Response, Status, Streaming};

struct NoopClock {
    status: pb::ClockStatus,
}

#[tonic::async_trait]
impl pb::clock_service_server::ClockService for NoopClock {
    async fn record_event(
        &self,
        request: Request<pb::RecordEventRequest>,
    ) -> Result<Response<pb::RecordEventResponse>, Status> {
        // Echo the event as the real answer does, so both send as many bytes.
        let event = request.into_inner().event.unwrap_or_default();
        let status = pb::ClockStatus {
            employee_id: event.employee_id.clone(),
            last_event_id: event.event_id.clone(),
            last_event_at: event.occurred_at,
            state_since: event.occurred_at,
            ..self.status.clone()
        };
        Ok(Response::new(pb::RecordEventResponse {
            outcome: pb::EventOutcome::New as i32,
            stored: Some(pb::StoredEvent {
                received_at: event.occurred_at,
                event: Some(event),
            }),
            status: Some(status),
        }))
    }

    type SyncEventsStream =
        Pin<Box<dyn Stream<Item = Result<pb::SyncEventsResponse, Status>> + Send>>;

    async fn sync_events(
        &self,
        request: Request<Streaming<pb::SyncEventsRequest>>,
    ) -> Result<Response<Self::SyncEventsStream>, Status> {
        use futures::StreamExt as _;
        let answers = request.into_inner().map(|batch| {
            let batch = batch?;
            let n = i32::try_from(batch.events.len()).unwrap_or(i32::MAX);
            Ok(pb::SyncEventsResponse {
                results: batch
                    .events
                    .into_iter()
                    .zip(0..)
                    .map(|(e, index)| pb::EventResult {
                        index,
                        event_id: e.event_id,
                        outcome: pb::EventOutcome::New as i32,
                        ..Default::default()
                    })
                    .collect(),
                new_count: n,
                duplicate_count: 0,
                rejected_count: 0,
            })
        });
        Ok(Response::new(Box::pin(answers)))
    }

    async fn correct_event(
        &self,
        _: Request<pb::CorrectEventRequest>,
    ) -> Result<Response<pb::CorrectEventResponse>, Status> {
        Err(Status::unimplemented("no-op"))
    }

    async fn get_clock_status(
        &self,
        _: Request<pb::GetClockStatusRequest>,
    ) -> Result<Response<pb::GetClockStatusResponse>, Status> {
        Ok(Response::new(pb::GetClockStatusResponse {
            status: Some(self.status.clone()),
        }))
    }
}

/// Answers `GetTimesheet` with the bytes the real server sent for a month.
struct NoopTimesheet {
    answer: pb::GetTimesheetResponse,
}

#[tonic::async_trait]
impl pb::timesheet_service_server::TimesheetService for NoopTimesheet {
    async fn get_timesheet(
        &self,
        _: Request<pb::GetTimesheetRequest>,
    ) -> Result<Response<pb::GetTimesheetResponse>, Status> {
        Ok(Response::new(self.answer.clone()))
    }

    async fn get_working_time_record(
        &self,
        _: Request<pb::GetWorkingTimeRecordRequest>,
    ) -> Result<Response<pb::GetWorkingTimeRecordResponse>, Status> {
        Err(Status::unimplemented("not measured"))
    }

    async fn list_findings(
        &self,
        _: Request<pb::ListFindingsRequest>,
    ) -> Result<Response<pb::ListFindingsResponse>, Status> {
        Err(Status::unimplemented("no-op"))
    }

    async fn get_headroom(
        &self,
        _: Request<pb::GetHeadroomRequest>,
    ) -> Result<Response<pb::GetHeadroomResponse>, Status> {
        Err(Status::unimplemented("no-op"))
    }
}

/// Serves until killed. `timesheet` holds an encoded `GetTimesheetResponse`
/// (empty until the real server has produced one).
pub fn serve(listen: SocketAddr, timesheet: Option<&Path>) -> anyhow::Result<()> {
    let answer = match timesheet {
        Some(file) => pb::GetTimesheetResponse::decode(std::fs::read(file)?.as_slice())?,
        None => pb::GetTimesheetResponse::default(),
    };
    let status = pb::ClockStatus {
        employee_id: "00000000-0000-0000-0000-000000000000".into(),
        state: pb::ClockState::Working as i32,
        event_count: 1,
        ..Default::default()
    };
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async {
            tonic::transport::Server::builder()
                .add_service(pb::clock_service_server::ClockServiceServer::new(
                    NoopClock { status },
                ))
                .add_service(pb::timesheet_service_server::TimesheetServiceServer::new(
                    NoopTimesheet { answer },
                ))
                .serve(listen)
                .await
        })?;
    Ok(())
}
