//! Employees: create, change, deactivate and reactivate, for the gRPC
//! `AdminService`, the HR console's pages and the import, which all call
//! these, so the checks (fields, managers, who may) are the same through
//! every door.

use chrono::{DateTime, Utc};

use crate::domain::audit::AuditAction;
use crate::domain::employee::{
    self, DEFAULT_RULE_PACK, DEFAULT_TIME_ZONE, Employee, EmployeeFields, Exemption, Locale,
};
use crate::domain::ids::EmployeeId;
use crate::domain::token::Role;
use crate::grpc::Ctx;
use crate::grpc::auth::{Access, Caller};
use crate::grpc::convert;
use crate::grpc::error::{ApiError, ApiResult};
use crate::pb;
use crate::storage::EmployeeFilter;

/// How far up a management chain a cycle check walks before giving up.
const MAX_CHAIN: usize = 1000;

/// Resolves an optional manager id: it must name an employee of the same
/// organisation, and `subject` must not appear in its management chain.
pub async fn manager(
    ctx: &Ctx,
    caller: &Caller,
    field: &str,
    raw: &str,
    subject: Option<EmployeeId>,
) -> ApiResult<Option<EmployeeId>> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let id = EmployeeId(convert::uuid(field, raw)?);
    let mut next = Some(ctx.employee(caller, id, field).await?);
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
            Some(m) if steps < MAX_CHAIN => ctx.store.employee(caller.org(), m).await?,
            _ => None,
        };
    }
    Ok(Some(id))
}

pub async fn create_employee(
    ctx: &Ctx,
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
    let manager_id = manager(ctx, caller, "manager_id", &r.manager_id, None).await?;
    let now = ctx.clock.now();
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
    ctx.store.insert_employee(&e).await?;
    tracing::info!(employee_id = %e.id, "employee created");
    ctx.audit(
        caller,
        AuditAction::EmployeeChange,
        Some(e.id),
        Some("created".into()),
        None,
    )
    .await;
    Ok(e)
}

pub async fn update_employee(
    ctx: &Ctx,
    caller: &Caller,
    r: pb::UpdateEmployeeRequest,
) -> ApiResult<Employee> {
    caller.require(&[Role::Admin])?;
    let id = EmployeeId(convert::uuid("employee_id", &r.employee_id)?);
    let mut e = ctx.employee(caller, id, "employee_id").await?;
    if r.update_paths.is_empty() {
        return Err(ApiError::invalid(
            "update_paths",
            "name at least one field to change",
        ));
    }
    let new = r
        .employee
        .ok_or_else(|| ApiError::invalid("employee", "is required"))?;
    let now = ctx.clock.now();
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
                f.manager_id = manager(
                    ctx,
                    caller,
                    "employee.manager_id",
                    &new.manager_id,
                    Some(id),
                )
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
                f.department = employee::parse_department("employee.department", &new.department)?;
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
    ctx.store.update_employee(&e).await?;
    if !e.active {
        revoke_bound_tokens(ctx, caller, e.id, now).await?;
    }
    tracing::info!(employee_id = %e.id, paths = ?r.update_paths, "employee updated");
    // The names of the fields changed, never their values.
    ctx.audit(
        caller,
        AuditAction::EmployeeChange,
        Some(e.id),
        Some(format!("updated:{}", r.update_paths.join(","))),
        None,
    )
    .await;
    Ok(e)
}

/// One employee (ADMIN; a MANAGER for its reports and itself; an EMPLOYEE
/// for itself); a read of another person's record is audited.
pub async fn get_employee(ctx: &Ctx, caller: &Caller, id: &str) -> ApiResult<Employee> {
    ctx.require(
        caller,
        &[Role::Admin, Role::Manager, Role::Employee],
        AuditAction::ReadEmployee,
    )
    .await?;
    let id = EmployeeId(convert::uuid("employee_id", id)?);
    let e = ctx.employee(caller, id, "employee_id").await?;
    ctx.authorize(caller, Access::Read, &e, AuditAction::ReadEmployee)
        .await?;
    Ok(e)
}

/// Deactivates an employee (no new events; the record stays) and revokes
/// the tokens bound to them. Also when already inactive: finishes a
/// deactivation whose revocation failed half-way.
pub async fn deactivate_employee(
    ctx: &Ctx,
    caller: &Caller,
    id: EmployeeId,
) -> ApiResult<Employee> {
    caller.require(&[Role::Admin])?;
    let mut e = ctx.employee(caller, id, "employee_id").await?;
    let now = ctx.clock.now();
    if e.active {
        set_active(&mut e, false, now);
        e.updated_at = now;
        ctx.store.update_employee(&e).await?;
        tracing::info!(employee_id = %id, "employee deactivated");
    }
    ctx.audit(
        caller,
        AuditAction::EmployeeChange,
        Some(id),
        Some("deactivated".into()),
        None,
    )
    .await;
    revoke_bound_tokens(ctx, caller, id, now).await?;
    Ok(e)
}

/// Makes a deactivated employee active again; their old tokens stay revoked.
pub async fn reactivate_employee(
    ctx: &Ctx,
    caller: &Caller,
    id: EmployeeId,
) -> ApiResult<Employee> {
    update_employee(
        ctx,
        caller,
        pb::UpdateEmployeeRequest {
            employee_id: id.to_string(),
            employee: Some(pb::Employee {
                active: true,
                ..Default::default()
            }),
            update_paths: vec!["active".into()],
        },
    )
    .await
}

/// Every employee of the caller's organisation, active or not, by
/// external id (ADMIN): for the console's list and the import's comparison.
pub async fn all_employees(ctx: &Ctx, caller: &Caller) -> ApiResult<Vec<Employee>> {
    const PAGE: i64 = 1000;
    caller.require(&[Role::Admin])?;
    let filter = EmployeeFilter {
        include_inactive: true,
        manager_id: None,
    };
    let mut all: Vec<Employee> = Vec::new();
    loop {
        let after = all.last().map(|e| e.fields.external_id.clone());
        let page = ctx
            .store
            .list_employees(caller.org(), &filter, after.as_deref(), PAGE)
            .await?;
        let n = page.len();
        all.extend(page);
        if n < usize::try_from(PAGE).unwrap_or(usize::MAX) {
            return Ok(all);
        }
    }
}

/// Revokes the tokens bound to a deactivated employee, for good: a later
/// reactivation does not bring them back.
pub(crate) async fn revoke_bound_tokens(
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

pub(crate) fn set_active(e: &mut Employee, active: bool, now: DateTime<Utc>) {
    if e.active != active {
        e.active = active;
        e.deactivated_at = if active { None } else { Some(now) };
    }
}
