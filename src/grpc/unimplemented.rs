//! RPCs of the contract that later work owns. Each answers UNIMPLEMENTED
//! naming itself, so a client learns exactly what is missing.

use tonic::{Request, Response, Status};

use super::error::ApiError;
use crate::pb;
use crate::pb::payroll_service_server::PayrollService;

/// The UNIMPLEMENTED answer for `rpc`.
#[must_use]
pub fn unimplemented(rpc: &str) -> Status {
    ApiError::Unimplemented(format!(
        "{rpc} is not implemented yet in this version of Tidsvakt"
    ))
    .into()
}

/// Placeholder for `PayrollService` until payroll lands.
pub struct PayrollApi;

#[tonic::async_trait]
impl PayrollService for PayrollApi {
    type ListTotalsStream = futures::stream::Empty<Result<pb::ListTotalsResponse, Status>>;
    type ExportTotalsCsvStream =
        futures::stream::Empty<Result<pb::ExportTotalsCsvResponse, Status>>;

    async fn list_totals(
        &self,
        _: Request<pb::ListTotalsRequest>,
    ) -> Result<Response<Self::ListTotalsStream>, Status> {
        Err(unimplemented("tidsvakt.v1.PayrollService/ListTotals"))
    }

    async fn export_totals_csv(
        &self,
        _: Request<pb::ExportTotalsCsvRequest>,
    ) -> Result<Response<Self::ExportTotalsCsvStream>, Status> {
        Err(unimplemented("tidsvakt.v1.PayrollService/ExportTotalsCsv"))
    }

    async fn lock_period(
        &self,
        _: Request<pb::LockPeriodRequest>,
    ) -> Result<Response<pb::LockPeriodResponse>, Status> {
        Err(unimplemented("tidsvakt.v1.PayrollService/LockPeriod"))
    }
}
