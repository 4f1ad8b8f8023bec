//! The gRPC adapter: one file per service, thin around `domain` and
//! `storage`. Handlers authenticate, parse (naming any bad field), check
//! access, call the store, and convert back. Only [`error`] builds a
//! `tonic::Status` from an error.
//!
//! Use cases: each RPC's work is a free `pub async fn(ctx, caller,
//! request) -> ApiResult<response>` beside its handler (for example
//! [`clock_service::record_event`], [`timesheet_service::get_timesheet`]).
//! It checks access itself, so the web pages (`crate::web`) call the same
//! function with a session's [`auth::Caller`] and pass the same
//! authorization; the tonic `impl` only authenticates and wraps.

pub mod admin_service;
pub mod audit;
pub mod audit_log;
pub mod auth;
pub mod clock_service;
pub mod codec;
pub mod convert;
pub mod error;
pub mod headroom;
pub mod limiter;
pub mod nudge_service;
pub mod payroll_convert;
pub mod payroll_service;
pub mod policy_convert;
pub mod policy_service;
pub mod status_layer;
pub mod timesheet_cache;
pub mod timesheet_convert;
pub mod timesheet_service;

use std::sync::Arc;

use chrono::Duration;

use self::auth::{Auth, Caller};
use self::error::{ApiError, ApiResult};
use crate::clock::Clock;
use crate::domain::clock_status::{self, ClockStatus};
use crate::domain::employee::Employee;
use crate::domain::event;
use crate::domain::ids::{EmployeeId, OrgId};
use crate::storage::Store;

/// Most events in one `SyncEvents` message (documented in clock.proto).
pub const MAX_SYNC_BATCH: usize = 1000;

/// Limits the handlers enforce.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// How far in the future an event may lie (clocks drift).
    pub max_clock_skew: Duration,
    /// Calls per token and address, failed authentications, streams.
    pub calls: limiter::CallLimits,
    /// A stream that sends nothing for this long is closed (`DEADLINE_EXCEEDED`).
    pub stream_idle: std::time::Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_clock_skew: Duration::minutes(5),
            calls: limiter::CallLimits::default(),
            stream_idle: std::time::Duration::from_secs(60),
        }
    }
}

/// What every handler needs; cheap to clone.
#[derive(Clone)]
pub struct Ctx {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub auth: Auth,
    pub limits: Limits,
    /// The background jobs (digest rendering for previews); absent in
    /// contexts that send no mail.
    pub jobs: Option<Arc<crate::jobs::Jobs>>,
    /// Recently read timesheets' evaluations, kept while their record is
    /// unchanged.
    pub timesheets: Arc<timesheet_cache::TimesheetCache>,
}

impl Ctx {
    #[must_use]
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, limits: Limits) -> Self {
        let limiter = Arc::new(limiter::Limiter::new(limits.calls));
        Self {
            auth: Auth::new(Arc::clone(&store), Arc::clone(&clock), limiter),
            store,
            clock,
            limits,
            jobs: None,
            timesheets: Arc::default(),
        }
    }

    /// With the jobs whose templates render digest previews.
    #[must_use]
    pub fn with_jobs(mut self, jobs: Arc<crate::jobs::Jobs>) -> Self {
        self.jobs = Some(jobs);
        self
    }

    /// The employee `id` of the caller's organisation, or `NOT_FOUND` naming
    /// `field`. Employees of other organisations are not found, by design.
    pub async fn employee(
        &self,
        caller: &Caller,
        id: EmployeeId,
        field: &str,
    ) -> ApiResult<Employee> {
        // The caller's own record was read a moment ago to authenticate the call.
        if let Some(e) = caller.bound.as_ref().filter(|e| e.id == id) {
            return Ok(e.clone());
        }
        self.store.employee(caller.org(), id).await?.ok_or_else(|| {
            ApiError::NotFound(format!("{field}: no employee {id} in this organisation"))
        })
    }

    /// Like [`Ctx::employee`], and the employee must be active.
    pub async fn active_employee(
        &self,
        caller: &Caller,
        id: EmployeeId,
        field: &str,
    ) -> ApiResult<Employee> {
        let e = self.employee(caller, id, field).await?;
        if e.active {
            Ok(e)
        } else {
            Err(ApiError::FailedPrecondition {
                field: field.to_owned(),
                reason: format!("employee {id} is deactivated and takes no new events"),
            })
        }
    }

    /// The employee's status. Reads only the record from the latest clean
    /// clock-in on (see `StatusRecord`), so its cost does not grow with
    /// the employee's history.
    pub async fn clock_status(&self, org: OrgId, employee: EmployeeId) -> ApiResult<ClockStatus> {
        let record = self.store.status_record(org, employee).await?;
        Ok(status_of(&record))
    }

    /// [`Ctx::clock_status`] as the answer to the caller's own event write,
    /// which has ended (see `Store::status_after_write`).
    pub async fn clock_status_after_write(
        &self,
        org: OrgId,
        employee: EmployeeId,
    ) -> ApiResult<ClockStatus> {
        let record = self.store.status_after_write(org, employee).await?;
        Ok(status_of(&record))
    }
}

/// The status a [`StatusRecord`](crate::storage::StatusRecord) gives.
fn status_of(record: &crate::storage::StatusRecord) -> ClockStatus {
    let effective = event::effective_events(&record.events, &record.amendments);
    let mut status = clock_status::pair(&effective).status;
    let stored = usize::try_from(record.stored_count).unwrap_or_default();
    status.event_count = event::effective_count(stored, &record.amendments);
    status
}
