//! *My team now*: a manager's direct reports (an admin's: everyone), each
//! with their clock status, headroom and open findings. Built from the
//! same use cases the RPCs serve, so each report's figures pass the same
//! access check as `GetHeadroom` and `ListFindings`.

use crate::domain::audit::AuditAction;
use crate::domain::employee::Employee;
use crate::domain::token::Role;
use crate::grpc::Ctx;
use crate::grpc::auth::Caller;
use crate::grpc::error::{ApiError, ApiResult};
use crate::grpc::{clock_service, timesheet_service};
use crate::pb;
use crate::storage::EmployeeFilter;

/// The most people one page shows; an organisation larger than this is
/// the HR console's job, paged.
pub const MAX_TEAM: i64 = 200;

/// One person of the team.
#[derive(Clone, Debug)]
pub struct TeamMember {
    pub employee: Employee,
    pub status: pb::ClockStatus,
    pub headroom: pb::GetHeadroomResponse,
    /// Open findings: violations, warnings, patterns.
    pub open: [usize; 3],
}

/// The caller's team (a manager's reports; everyone for an admin).
pub async fn team(ctx: &Ctx, caller: &Caller) -> ApiResult<Vec<TeamMember>> {
    caller.require(&[Role::Manager, Role::Admin])?;
    let filter = EmployeeFilter {
        include_inactive: false,
        manager_id: match caller.role() {
            Role::Admin => None,
            _ => Some(caller.bound_employee().ok_or_else(|| {
                ApiError::PermissionDenied("a manager token must be bound to the manager".into())
            })?),
        },
    };
    let people = ctx
        .store
        .list_employees(caller.org(), &filter, None, MAX_TEAM)
        .await?;
    // One entry for the page, naming its scope; each person's figures are
    // read below through the same use cases, which then log nothing more.
    let scope = filter
        .manager_id
        .map_or_else(|| "organisation".to_owned(), |m| format!("team:{m}"));
    ctx.audit_listing(caller, AuditAction::ReadTeam, scope)
        .await;
    let caller = &caller.for_listing();
    let mut team = Vec::with_capacity(people.len());
    for employee in people {
        let id = employee.id.to_string();
        let status = clock_service::get_clock_status(
            ctx,
            caller,
            &pb::GetClockStatusRequest {
                employee_id: id.clone(),
            },
        )
        .await?
        .status
        .unwrap_or_default();
        let headroom = timesheet_service::get_headroom(
            ctx,
            caller,
            pb::GetHeadroomRequest {
                employee_id: id.clone(),
                at: None,
            },
        )
        .await?;
        let findings = timesheet_service::list_findings(
            ctx,
            caller,
            pb::ListFindingsRequest {
                scope: Some(pb::list_findings_request::Scope::EmployeeId(id)),
                statuses: vec![pb::FindingStatus::Open as i32],
                page: Some(pb::PageRequest {
                    page_size: 500,
                    page_token: String::new(),
                }),
                ..Default::default()
            },
        )
        .await?
        .findings;
        let count = |s: pb::Severity| findings.iter().filter(|f| f.severity == s as i32).count();
        team.push(TeamMember {
            employee,
            status,
            headroom,
            open: [
                count(pb::Severity::Violation),
                count(pb::Severity::Warning),
                count(pb::Severity::Pattern),
            ],
        });
    }
    Ok(team)
}
