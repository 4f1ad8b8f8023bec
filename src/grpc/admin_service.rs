//! `AdminService`: employees and API tokens here; schedules, agreements,
//! absences, overrides and holidays in `policy_service`, payroll settings
//! in `payroll_service`.

use chrono::{DateTime, Utc};
use tonic::{Request, Response, Status};

use super::Ctx;
use super::auth::{Access, Caller};
use super::convert;
use super::error::{ApiError, ApiResult};
use super::payroll_service;
use super::policy_service;
use crate::bootstrap;
use crate::domain::audit::AuditAction;
use crate::domain::employee::{
    self, DEFAULT_RULE_PACK, DEFAULT_TIME_ZONE, Employee, EmployeeFields, Exemption, Locale,
};
use crate::domain::ids::{EmployeeId, TokenId};
use crate::domain::token::{self, Role};
use crate::pb;
use crate::pb::admin_service_server::AdminService;
use crate::storage::EmployeeFilter;
use crate::storage::tokens::Rotation;

/// Longest token name.
const MAX_TOKEN_NAME: usize = 100;

/// Longest reason given for an erasure.
const MAX_ERASE_REASON: usize = 500;

/// How far up a management chain a cycle check walks before giving up.
const MAX_CHAIN: usize = 1000;

pub struct AdminApi {
    ctx: Ctx,
}

impl AdminApi {
    #[must_use]
    pub fn new(ctx: Ctx) -> Self {
        Self { ctx }
    }

    /// Resolves an optional manager id: it must name an employee of the same
    /// organisation, and `subject` must not appear in its management chain.
    async fn manager(
        &self,
        caller: &Caller,
        field: &str,
        raw: &str,
        subject: Option<EmployeeId>,
    ) -> ApiResult<Option<EmployeeId>> {
        if raw.trim().is_empty() {
            return Ok(None);
        }
        let id = EmployeeId(convert::uuid(field, raw)?);
        let mut next = Some(self.ctx.employee(caller, id, field).await?);
        let mut steps = 0;
        while let Some(e) = next {
            if Some(e.id) == subject {
                return Err(ApiError::invalid(
                    field,
                    "would make the employee their own (indirect) manager",
                ));
            }
            steps += 1;
            next = match e.fields.manager_id {
                Some(m) if steps < MAX_CHAIN => self.ctx.store.employee(caller.org(), m).await?,
                _ => None,
            };
        }
        Ok(Some(id))
    }

    async fn create_employee(
        &self,
        caller: &Caller,
        r: pb::CreateEmployeeRequest,
    ) -> ApiResult<Employee> {
        caller.require(&[Role::Admin])?;
        let fields = EmployeeFields {
            external_id: employee::parse_external_id("external_id", &r.external_id)?,
            name: employee::parse_name("name", &r.name)?,
            email: employee::parse_email("email", &r.email)?,
            manager_id: None,
            time_zone: employee::parse_time_zone(
                "time_zone",
                if r.time_zone.trim().is_empty() {
                    DEFAULT_TIME_ZONE
                } else {
                    &r.time_zone
                },
            )?,
            locale: convert::locale("locale", r.locale)?.unwrap_or(Locale::Nb),
            rule_pack: employee::parse_rule_pack(
                "rule_pack",
                if r.rule_pack.trim().is_empty() {
                    DEFAULT_RULE_PACK
                } else {
                    &r.rule_pack
                },
            )?,
            exemption: convert::exemption("exemption", r.exemption)?.unwrap_or(Exemption::None),
            department: employee::parse_department("department", &r.department)?,
        };
        let manager_id = self
            .manager(caller, "manager_id", &r.manager_id, None)
            .await?;
        let now = self.ctx.clock.now();
        let e = Employee {
            id: EmployeeId::new_random(),
            org_id: caller.org(),
            fields: EmployeeFields {
                manager_id,
                ..fields
            },
            active: true,
            created_at: now,
            updated_at: now,
            deactivated_at: None,
        };
        self.ctx.store.insert_employee(&e).await?;
        tracing::info!(employee_id = %e.id, "employee created");
        self.ctx
            .audit(
                caller,
                AuditAction::EmployeeChange,
                Some(e.id),
                Some("created".into()),
                None,
            )
            .await;
        Ok(e)
    }

    async fn update_employee(
        &self,
        caller: &Caller,
        r: pb::UpdateEmployeeRequest,
    ) -> ApiResult<Employee> {
        caller.require(&[Role::Admin])?;
        let id = EmployeeId(convert::uuid("employee_id", &r.employee_id)?);
        let mut e = self.ctx.employee(caller, id, "employee_id").await?;
        if r.update_paths.is_empty() {
            return Err(ApiError::invalid(
                "update_paths",
                "name at least one field to change",
            ));
        }
        let new = r
            .employee
            .ok_or_else(|| ApiError::invalid("employee", "is required"))?;
        let now = self.ctx.clock.now();
        for (i, path) in r.update_paths.iter().enumerate() {
            let f = &mut e.fields;
            match path.as_str() {
                "external_id" => {
                    f.external_id =
                        employee::parse_external_id("employee.external_id", &new.external_id)?;
                }
                "name" => f.name = employee::parse_name("employee.name", &new.name)?,
                "email" => f.email = employee::parse_email("employee.email", &new.email)?,
                "manager_id" => {
                    f.manager_id = self
                        .manager(caller, "employee.manager_id", &new.manager_id, Some(id))
                        .await?;
                }
                "time_zone" => {
                    f.time_zone = employee::parse_time_zone("employee.time_zone", &new.time_zone)?;
                }
                "locale" => {
                    f.locale = convert::locale("employee.locale", new.locale)?
                        .ok_or_else(|| ApiError::invalid("employee.locale", "is required"))?;
                }
                "rule_pack" => {
                    f.rule_pack = employee::parse_rule_pack("employee.rule_pack", &new.rule_pack)?;
                }
                "exemption" => {
                    f.exemption = convert::exemption("employee.exemption", new.exemption)?
                        .ok_or_else(|| ApiError::invalid("employee.exemption", "is required"))?;
                }
                "department" => {
                    f.department =
                        employee::parse_department("employee.department", &new.department)?;
                }
                "active" => set_active(&mut e, new.active, now),
                other => {
                    return Err(ApiError::invalid(
                        format!("update_paths[{i}]"),
                        format!(
                            "unknown field '{other}'; one of external_id, name, email, manager_id, \
                             time_zone, locale, rule_pack, exemption, department, active"
                        ),
                    ));
                }
            }
        }
        e.updated_at = now;
        self.ctx.store.update_employee(&e).await?;
        if !e.active {
            revoke_bound_tokens(&self.ctx, caller, e.id, now).await?;
        }
        tracing::info!(employee_id = %e.id, paths = ?r.update_paths, "employee updated");
        // The names of the fields changed, never their values.
        self.ctx
            .audit(
                caller,
                AuditAction::EmployeeChange,
                Some(e.id),
                Some(format!("updated:{}", r.update_paths.join(","))),
                None,
            )
            .await;
        Ok(e)
    }

    async fn erase_employee(
        &self,
        caller: &Caller,
        r: pb::EraseEmployeeDataRequest,
    ) -> ApiResult<pb::EraseEmployeeDataResponse> {
        caller.require(&[Role::Admin])?;
        let id = EmployeeId(convert::uuid("employee_id", &r.employee_id)?);
        let reason = employee::bounded_text("reason", &r.reason, MAX_ERASE_REASON)?;
        let e = self.ctx.employee(caller, id, "employee_id").await?;
        if e.active {
            return Err(ApiError::FailedPrecondition {
                field: "employee_id".into(),
                reason: format!(
                    "employee {id} is active; deactivate them first (their record is still being written)"
                ),
            });
        }
        let now = self.ctx.clock.now();
        let erased_now = self
            .ctx
            .store
            .anonymise_employee(caller.org(), id, now)
            .await?;
        tracing::info!(employee_id = %id, erased_now, reason_chars = reason.chars().count(), "employee data erased on request");
        if erased_now {
            self.ctx
                .audit(
                    caller,
                    AuditAction::EmployeeChange,
                    Some(id),
                    Some("erased".into()),
                    Some(reason),
                )
                .await;
        }
        let e = self.ctx.employee(caller, id, "employee_id").await?;
        Ok(pb::EraseEmployeeDataResponse {
            employee: Some(convert::employee_pb(&e)),
            erased_now,
        })
    }

    async fn rotate_token(
        &self,
        caller: &Caller,
        r: pb::RotateApiTokenRequest,
    ) -> ApiResult<pb::RotateApiTokenResponse> {
        let id = TokenId(convert::uuid("token_id", &r.token_id)?);
        if caller.role() != Role::Admin && caller.token.id != id {
            return Err(ApiError::PermissionDenied(
                "a token other than ADMIN may rotate only itself".into(),
            ));
        }
        let grace = convert::opt_duration("grace", r.grace.as_ref())?
            .unwrap_or(token::DEFAULT_ROTATION_GRACE);
        if grace > token::MAX_ROTATION_GRACE {
            return Err(ApiError::invalid(
                "grace",
                format!(
                    "is more than {} days; an old secret should not outlive a rollout",
                    token::MAX_ROTATION_GRACE.num_days()
                ),
            ));
        }
        let now = self.ctx.clock.now();
        let expires_at = convert::opt_instant("expires_at", r.expires_at.as_ref())?;
        if expires_at.is_some() {
            // The rules depend on the token's role.
            let current = self
                .ctx
                .store
                .api_token(caller.org(), id)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("token_id: no token {id}")))?;
            token::check_expiry(current.role, expires_at, now)
                .map_err(|reason| ApiError::invalid("expires_at", reason))?;
        }
        let secret = bootstrap::new_secret();
        let token = self
            .ctx
            .store
            .rotate_token(
                caller.org(),
                id,
                Rotation {
                    new_hash: token::hash_secret(&secret),
                    previous_valid_until: now + grace,
                    expires_at,
                    now,
                },
            )
            .await?;
        tracing::info!(rotated_token_id = %id, grace_secs = grace.num_seconds(), "token rotated");
        self.ctx
            .audit(
                caller,
                AuditAction::TokenChange,
                token.employee_id,
                Some(format!("rotated:{id}")),
                None,
            )
            .await;
        Ok(pb::RotateApiTokenResponse {
            token: Some(convert::token_pb(&token)),
            secret,
        })
    }

    async fn list_employees(
        &self,
        caller: &Caller,
        r: pb::ListEmployeesRequest,
    ) -> ApiResult<pb::ListEmployeesResponse> {
        caller.require(&[Role::Admin, Role::Manager])?;
        let mut manager_id = if r.manager_id.trim().is_empty() {
            None
        } else {
            Some(EmployeeId(convert::uuid("manager_id", &r.manager_id)?))
        };
        if caller.role() == Role::Manager {
            // A manager lists its own direct reports and nobody else.
            let own = caller.bound_employee();
            if manager_id.is_some() && manager_id != own {
                return Err(ApiError::PermissionDenied(
                    "a MANAGER token may list only its own direct reports".into(),
                ));
            }
            manager_id = own;
        }
        let limit = convert::page_size(r.page.as_ref())?;
        let after = convert::page_after(r.page.as_ref())?;
        let filter = EmployeeFilter {
            include_inactive: r.include_inactive,
            manager_id,
        };
        let employees = self
            .ctx
            .store
            .list_employees(caller.org(), &filter, after.as_deref(), limit + 1)
            .await?;
        let more = employees.len() > usize::try_from(limit).unwrap_or(usize::MAX);
        let page: Vec<&Employee> = employees
            .iter()
            .take(usize::try_from(limit).unwrap_or(0))
            .collect();
        Ok(pb::ListEmployeesResponse {
            next_page_token: if more {
                page.last()
                    .map(|e| convert::page_token(&e.fields.external_id))
                    .unwrap_or_default()
            } else {
                String::new()
            },
            employees: page.into_iter().map(convert::employee_pb).collect(),
        })
    }

    async fn create_token(
        &self,
        caller: &Caller,
        r: pb::CreateApiTokenRequest,
    ) -> ApiResult<pb::CreateApiTokenResponse> {
        caller.require(&[Role::Admin])?;
        let name = employee::bounded_text("name", &r.name, MAX_TOKEN_NAME)?;
        let role = convert::role("role", r.role)?;
        let employee_id = match (role.is_bound(), r.employee_id.trim().is_empty()) {
            (true, true) => {
                return Err(ApiError::invalid(
                    "employee_id",
                    format!("is required for role {}", role.as_str()),
                ));
            }
            (false, false) => {
                return Err(ApiError::invalid(
                    "employee_id",
                    format!(
                        "must be empty for role {}: it acts for no single employee",
                        role.as_str()
                    ),
                ));
            }
            (true, false) => {
                let id = EmployeeId(convert::uuid("employee_id", &r.employee_id)?);
                Some(
                    self.ctx
                        .active_employee(caller, id, "employee_id")
                        .await?
                        .id,
                )
            }
            (false, true) => None,
        };
        let now = self.ctx.clock.now();
        let expires_at = convert::opt_instant("expires_at", r.expires_at.as_ref())?;
        token::check_expiry(role, expires_at, now)
            .map_err(|reason| ApiError::invalid("expires_at", reason))?;
        let department = token::check_department(role, &r.department)
            .map_err(|reason| ApiError::invalid("department", reason))?;
        let (token, secret) = bootstrap::create_token(
            self.ctx.store.as_ref(),
            caller.org(),
            bootstrap::NewToken {
                name: &name,
                role,
                employee_id,
                department,
                expires_at,
            },
            now,
        )
        .await?;
        tracing::info!(new_token_id = %token.id, role = role.as_str(), "token created");
        self.ctx
            .audit(
                caller,
                AuditAction::TokenChange,
                token.employee_id,
                Some(format!("created:{}", token.id)),
                None,
            )
            .await;
        Ok(pb::CreateApiTokenResponse {
            token: Some(convert::token_pb(&token)),
            secret,
        })
    }

    async fn list_tokens(
        &self,
        caller: &Caller,
        r: pb::ListApiTokensRequest,
    ) -> ApiResult<pb::ListApiTokensResponse> {
        caller.require(&[Role::Admin])?;
        let limit = convert::page_size(r.page.as_ref())?;
        let after = convert::page_after(r.page.as_ref())?
            .map(|key| {
                parse_token_cursor(&key).ok_or_else(|| {
                    ApiError::invalid("page.page_token", "is not a token this server issued")
                })
            })
            .transpose()?;
        let tokens = self
            .ctx
            .store
            .list_tokens(caller.org(), r.include_revoked, after, limit + 1)
            .await?;
        let more = tokens.len() > usize::try_from(limit).unwrap_or(usize::MAX);
        let page: Vec<_> = tokens
            .iter()
            .take(usize::try_from(limit).unwrap_or(0))
            .collect();
        Ok(pb::ListApiTokensResponse {
            next_page_token: if more {
                page.last()
                    .map(|t| {
                        convert::page_token(&format!(
                            "{}:{}",
                            t.created_at.timestamp_micros(),
                            t.id
                        ))
                    })
                    .unwrap_or_default()
            } else {
                String::new()
            },
            tokens: page.into_iter().map(convert::token_pb).collect(),
        })
    }
}

/// Revokes the tokens bound to a deactivated employee, for good: a later
/// reactivation does not bring them back.
async fn revoke_bound_tokens(
    ctx: &Ctx,
    caller: &Caller,
    employee: EmployeeId,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let revoked = ctx
        .store
        .revoke_tokens_of(caller.org(), employee, now)
        .await?;
    if revoked > 0 {
        tracing::info!(employee_id = %employee, revoked, "bound tokens revoked on deactivation");
    }
    Ok(())
}

fn set_active(e: &mut Employee, active: bool, now: DateTime<Utc>) {
    if e.active != active {
        e.active = active;
        e.deactivated_at = if active { None } else { Some(now) };
    }
}

fn parse_token_cursor(key: &str) -> Option<(DateTime<Utc>, TokenId)> {
    let (micros, id) = key.split_once(':')?;
    Some((
        DateTime::from_timestamp_micros(micros.parse().ok()?)?,
        id.parse().ok()?,
    ))
}

#[tonic::async_trait]
impl AdminService for AdminApi {
    #[tracing::instrument(name = "GetOrganisation", skip_all, fields(token_id))]
    async fn get_organisation(
        &self,
        request: Request<pb::GetOrganisationRequest>,
    ) -> Result<Response<pb::GetOrganisationResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        let org = self
            .ctx
            .store
            .organisation(caller.org())
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| ApiError::Internal("token's organisation is missing".into()))?;
        Ok(Response::new(pb::GetOrganisationResponse {
            organisation: Some(pb::Organisation {
                organisation_id: org.id.to_string(),
                name: org.name,
                created_at: Some(convert::timestamp(org.created_at)),
            }),
        }))
    }

    #[tracing::instrument(name = "CreateEmployee", skip_all, fields(token_id))]
    async fn create_employee(
        &self,
        request: Request<pb::CreateEmployeeRequest>,
    ) -> Result<Response<pb::CreateEmployeeResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        let e = self.create_employee(&caller, request.into_inner()).await?;
        Ok(Response::new(pb::CreateEmployeeResponse {
            employee: Some(convert::employee_pb(&e)),
        }))
    }

    #[tracing::instrument(name = "UpdateEmployee", skip_all, fields(token_id))]
    async fn update_employee(
        &self,
        request: Request<pb::UpdateEmployeeRequest>,
    ) -> Result<Response<pb::UpdateEmployeeResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        let e = self.update_employee(&caller, request.into_inner()).await?;
        Ok(Response::new(pb::UpdateEmployeeResponse {
            employee: Some(convert::employee_pb(&e)),
        }))
    }

    #[tracing::instrument(name = "GetEmployee", skip_all, fields(token_id))]
    async fn get_employee(
        &self,
        request: Request<pb::GetEmployeeRequest>,
    ) -> Result<Response<pb::GetEmployeeResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        self.ctx
            .require(
                &caller,
                &[Role::Admin, Role::Manager, Role::Employee],
                AuditAction::ReadEmployee,
            )
            .await?;
        let id = EmployeeId(convert::uuid(
            "employee_id",
            &request.get_ref().employee_id,
        )?);
        let e = self.ctx.employee(&caller, id, "employee_id").await?;
        self.ctx
            .authorize(&caller, Access::Read, &e, AuditAction::ReadEmployee)
            .await?;
        Ok(Response::new(pb::GetEmployeeResponse {
            employee: Some(convert::employee_pb(&e)),
        }))
    }

    #[tracing::instrument(name = "ListEmployees", skip_all, fields(token_id))]
    async fn list_employees(
        &self,
        request: Request<pb::ListEmployeesRequest>,
    ) -> Result<Response<pb::ListEmployeesResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            self.list_employees(&caller, request.into_inner()).await?,
        ))
    }

    #[tracing::instrument(name = "DeactivateEmployee", skip_all, fields(token_id))]
    async fn deactivate_employee(
        &self,
        request: Request<pb::DeactivateEmployeeRequest>,
    ) -> Result<Response<pb::DeactivateEmployeeResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        caller.require(&[Role::Admin]).map_err(Status::from)?;
        let id = EmployeeId(convert::uuid(
            "employee_id",
            &request.get_ref().employee_id,
        )?);
        let mut e = self.ctx.employee(&caller, id, "employee_id").await?;
        let now = self.ctx.clock.now();
        if e.active {
            set_active(&mut e, false, now);
            e.updated_at = now;
            self.ctx
                .store
                .update_employee(&e)
                .await
                .map_err(ApiError::from)?;
            tracing::info!(employee_id = %id, "employee deactivated");
        }
        self.ctx
            .audit(
                &caller,
                AuditAction::EmployeeChange,
                Some(id),
                Some("deactivated".into()),
                None,
            )
            .await;
        // Also when already inactive: finishes a deactivation whose
        // revocation failed half-way.
        revoke_bound_tokens(&self.ctx, &caller, id, now).await?;
        Ok(Response::new(pb::DeactivateEmployeeResponse {
            employee: Some(convert::employee_pb(&e)),
        }))
    }

    #[tracing::instrument(name = "EraseEmployeeData", skip_all, fields(token_id))]
    async fn erase_employee_data(
        &self,
        request: Request<pb::EraseEmployeeDataRequest>,
    ) -> Result<Response<pb::EraseEmployeeDataResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            self.erase_employee(&caller, request.into_inner()).await?,
        ))
    }

    #[tracing::instrument(name = "CreateApiToken", skip_all, fields(token_id))]
    async fn create_api_token(
        &self,
        request: Request<pb::CreateApiTokenRequest>,
    ) -> Result<Response<pb::CreateApiTokenResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            self.create_token(&caller, request.into_inner()).await?,
        ))
    }

    #[tracing::instrument(name = "ListApiTokens", skip_all, fields(token_id))]
    async fn list_api_tokens(
        &self,
        request: Request<pb::ListApiTokensRequest>,
    ) -> Result<Response<pb::ListApiTokensResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            self.list_tokens(&caller, request.into_inner()).await?,
        ))
    }

    #[tracing::instrument(name = "RevokeApiToken", skip_all, fields(token_id))]
    async fn revoke_api_token(
        &self,
        request: Request<pb::RevokeApiTokenRequest>,
    ) -> Result<Response<pb::RevokeApiTokenResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        caller.require(&[Role::Admin])?;
        let id = TokenId(convert::uuid("token_id", &request.get_ref().token_id)?);
        let now = self.ctx.clock.now();
        let token = self
            .ctx
            .store
            .revoke_token(caller.org(), id, now)
            .await
            .map_err(ApiError::from)?;
        tracing::info!(revoked_token_id = %id, "token revoked");
        self.ctx
            .audit(
                &caller,
                AuditAction::TokenChange,
                token.employee_id,
                Some(format!("revoked:{id}")),
                None,
            )
            .await;
        Ok(Response::new(pb::RevokeApiTokenResponse {
            token: Some(convert::token_pb(&token)),
        }))
    }

    #[tracing::instrument(name = "RotateApiToken", skip_all, fields(token_id))]
    async fn rotate_api_token(
        &self,
        request: Request<pb::RotateApiTokenRequest>,
    ) -> Result<Response<pb::RotateApiTokenResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            self.rotate_token(&caller, request.into_inner()).await?,
        ))
    }

    #[tracing::instrument(name = "SetSchedule", skip_all, fields(token_id))]
    async fn set_schedule(
        &self,
        request: Request<pb::SetScheduleRequest>,
    ) -> Result<Response<pb::SetScheduleResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            policy_service::set_schedule(&self.ctx, &caller, request.into_inner()).await?,
        ))
    }

    #[tracing::instrument(name = "ListSchedules", skip_all, fields(token_id))]
    async fn list_schedules(
        &self,
        request: Request<pb::ListSchedulesRequest>,
    ) -> Result<Response<pb::ListSchedulesResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            policy_service::list_schedules(&self.ctx, &caller, request.into_inner()).await?,
        ))
    }

    #[tracing::instrument(name = "CreateAgreement", skip_all, fields(token_id))]
    async fn create_agreement(
        &self,
        request: Request<pb::CreateAgreementRequest>,
    ) -> Result<Response<pb::CreateAgreementResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            policy_service::create_agreement(&self.ctx, &caller, request.into_inner()).await?,
        ))
    }

    #[tracing::instrument(name = "ListAgreements", skip_all, fields(token_id))]
    async fn list_agreements(
        &self,
        request: Request<pb::ListAgreementsRequest>,
    ) -> Result<Response<pb::ListAgreementsResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            policy_service::list_agreements(&self.ctx, &caller, request.into_inner()).await?,
        ))
    }

    #[tracing::instrument(name = "EndAgreement", skip_all, fields(token_id))]
    async fn end_agreement(
        &self,
        request: Request<pb::EndAgreementRequest>,
    ) -> Result<Response<pb::EndAgreementResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            policy_service::end_agreement(&self.ctx, &caller, request.into_inner()).await?,
        ))
    }

    #[tracing::instrument(name = "CreateAbsence", skip_all, fields(token_id))]
    async fn create_absence(
        &self,
        request: Request<pb::CreateAbsenceRequest>,
    ) -> Result<Response<pb::CreateAbsenceResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            policy_service::create_absence(&self.ctx, &caller, request.into_inner()).await?,
        ))
    }

    #[tracing::instrument(name = "ListAbsences", skip_all, fields(token_id))]
    async fn list_absences(
        &self,
        request: Request<pb::ListAbsencesRequest>,
    ) -> Result<Response<pb::ListAbsencesResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            policy_service::list_absences(&self.ctx, &caller, request.into_inner()).await?,
        ))
    }

    #[tracing::instrument(name = "CancelAbsence", skip_all, fields(token_id))]
    async fn cancel_absence(
        &self,
        request: Request<pb::CancelAbsenceRequest>,
    ) -> Result<Response<pb::CancelAbsenceResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            policy_service::cancel_absence(&self.ctx, &caller, request.into_inner()).await?,
        ))
    }

    #[tracing::instrument(name = "SetRuleOverride", skip_all, fields(token_id))]
    async fn set_rule_override(
        &self,
        request: Request<pb::SetRuleOverrideRequest>,
    ) -> Result<Response<pb::SetRuleOverrideResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            policy_service::set_rule_override(&self.ctx, &caller, request.into_inner()).await?,
        ))
    }

    #[tracing::instrument(name = "ListRuleOverrides", skip_all, fields(token_id))]
    async fn list_rule_overrides(
        &self,
        request: Request<pb::ListRuleOverridesRequest>,
    ) -> Result<Response<pb::ListRuleOverridesResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            policy_service::list_rule_overrides(&self.ctx, &caller, request.into_inner()).await?,
        ))
    }

    #[tracing::instrument(name = "DeleteRuleOverride", skip_all, fields(token_id))]
    async fn delete_rule_override(
        &self,
        request: Request<pb::DeleteRuleOverrideRequest>,
    ) -> Result<Response<pb::DeleteRuleOverrideResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            policy_service::delete_rule_override(&self.ctx, &caller, request.into_inner()).await?,
        ))
    }

    #[tracing::instrument(name = "AddHoliday", skip_all, fields(token_id))]
    async fn add_holiday(
        &self,
        request: Request<pb::AddHolidayRequest>,
    ) -> Result<Response<pb::AddHolidayResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            policy_service::add_holiday(&self.ctx, &caller, request.into_inner()).await?,
        ))
    }

    #[tracing::instrument(name = "ListHolidays", skip_all, fields(token_id))]
    async fn list_holidays(
        &self,
        request: Request<pb::ListHolidaysRequest>,
    ) -> Result<Response<pb::ListHolidaysResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            policy_service::list_holidays(&self.ctx, &caller, request.into_inner()).await?,
        ))
    }

    #[tracing::instrument(name = "RemoveHoliday", skip_all, fields(token_id))]
    async fn remove_holiday(
        &self,
        request: Request<pb::RemoveHolidayRequest>,
    ) -> Result<Response<pb::RemoveHolidayResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            policy_service::remove_holiday(&self.ctx, &caller, request.into_inner()).await?,
        ))
    }

    #[tracing::instrument(name = "SetPayrollSettings", skip_all, fields(token_id))]
    async fn set_payroll_settings(
        &self,
        request: Request<pb::SetPayrollSettingsRequest>,
    ) -> Result<Response<pb::SetPayrollSettingsResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            payroll_service::set_settings(&self.ctx, &caller, request.into_inner()).await?,
        ))
    }

    #[tracing::instrument(name = "ListAuditLog", skip_all, fields(token_id))]
    async fn list_audit_log(
        &self,
        request: Request<pb::ListAuditLogRequest>,
    ) -> Result<Response<pb::ListAuditLogResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            super::audit_log::list_audit_log(&self.ctx, &caller, request.into_inner()).await?,
        ))
    }

    #[tracing::instrument(name = "GetPayrollSettings", skip_all, fields(token_id))]
    async fn get_payroll_settings(
        &self,
        request: Request<pb::GetPayrollSettingsRequest>,
    ) -> Result<Response<pb::GetPayrollSettingsResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            payroll_service::get_settings(&self.ctx, &caller).await?,
        ))
    }
}
