//! AdminService's plan RPCs: schedules, agreements, absences, rule
//! overrides and holidays. Writes need ADMIN; reads follow the record's
//! rules (an EMPLOYEE sees its own, a MANAGER itself and its reports). Every
//! write queues a recompute of the findings it can change.

use chrono::{Duration, NaiveDate, NaiveTime};
use uuid::Uuid;

use super::Ctx;
use super::auth::{Access, Caller};
use super::convert;
use super::error::{ApiError, ApiResult};
use super::policy_convert::{
    absence_in, absence_kind_in, absence_pb, agreement_in, agreement_pb, holiday_in, holiday_pb,
    override_in, override_pb, schedule_in, schedule_pb,
};
use super::timesheet_convert::{date_in, date_range};
use crate::domain::audit::AuditAction;
use crate::domain::employee::bounded_text;
use crate::domain::holidays::{easter_sunday, norwegian_holiday};
use crate::domain::ids::EmployeeId;
use crate::domain::policy::{AgreementKind, HolidayKind, OrgHoliday, OverrideScope};
use crate::domain::token::Role;
use crate::pb;
use crate::storage::policy::PlanFilter;

fn reason_in(field: &str, s: &str) -> ApiResult<String> {
    let r = bounded_text(field, s, 500)?;
    if r.trim().is_empty() {
        return Err(ApiError::invalid(field, "is required (1..500 characters)"));
    }
    Ok(r)
}

/// Whose plans a list may show: an employee filter checked against the
/// caller, or the caller's own view.
/// Whose plans a listing covers. Reading another person's, a team's or
/// the organisation's is logged as `action`.
async fn list_scope(
    ctx: &Ctx,
    caller: &Caller,
    employee_id: &str,
    action: AuditAction,
) -> ApiResult<PlanFilter> {
    ctx.require(
        caller,
        &[Role::Admin, Role::Manager, Role::Employee],
        action,
    )
    .await?;
    let mut f = PlanFilter::default();
    if employee_id.trim().is_empty() {
        if caller.role() == Role::Admin {
            ctx.audit_listing(caller, action, "organisation".into())
                .await;
        } else {
            let me = caller.bound_employee().ok_or_else(|| {
                ApiError::PermissionDenied(
                    "this token is bound to no employee; name employee_id".into(),
                )
            })?;
            if caller.role() == Role::Manager {
                f.visible_to_manager = Some(me);
                ctx.audit_listing(caller, action, format!("team:{me}"))
                    .await;
            } else {
                f.employee = Some(me);
            }
        }
    } else {
        let id = EmployeeId(convert::uuid("employee_id", employee_id)?);
        let e = ctx.employee(caller, id, "employee_id").await?;
        ctx.authorize(caller, Access::Read, &e, action).await?;
        f.employee = Some(id);
    }
    Ok(f)
}

/// Logs a policy change, its target as `<kind>:<id>`.
async fn changed(
    ctx: &Ctx,
    caller: &Caller,
    subject: Option<EmployeeId>,
    kind: &str,
    id: Uuid,
    reason: Option<String>,
) {
    ctx.audit(
        caller,
        AuditAction::PolicyChange,
        subject,
        Some(format!("{kind}:{id}")),
        reason,
    )
    .await;
}

fn page(key: Option<String>, more: bool) -> String {
    match (more, key) {
        (true, Some(k)) => convert::page_token(&k),
        _ => String::new(),
    }
}

fn trim<T>(mut v: Vec<T>, size: i64) -> (Vec<T>, bool) {
    let more = i64::try_from(v.len()).unwrap_or(i64::MAX) > size;
    v.truncate(usize::try_from(size).unwrap_or(100));
    (v, more)
}

pub async fn set_schedule(
    ctx: &Ctx,
    caller: &Caller,
    r: pb::SetScheduleRequest,
) -> ApiResult<pb::SetScheduleResponse> {
    caller.require(&[Role::Admin])?;
    let (employee, mut s) = schedule_in(r.schedule.as_ref())?;
    ctx.employee(caller, employee, "schedule.employee_id")
        .await?;
    let now = ctx.clock.now();
    s.created_at = now;
    s.created_by = caller.token.author();
    let stored = ctx.store.set_schedule(caller.org(), s, now).await?;
    changed(ctx, caller, Some(employee), "schedule", stored.id, None).await;
    Ok(pb::SetScheduleResponse {
        schedule: Some(schedule_pb(&stored)),
    })
}

pub async fn list_schedules(
    ctx: &Ctx,
    caller: &Caller,
    r: pb::ListSchedulesRequest,
) -> ApiResult<pb::ListSchedulesResponse> {
    let mut f = list_scope(ctx, caller, &r.employee_id, AuditAction::ReadPolicy).await?;
    if r.dates.is_some() {
        f.dates = Some(date_range("dates", r.dates.as_ref(), 3660)?);
    }
    let size = convert::page_size(r.page.as_ref())?;
    let after = convert::page_after(r.page.as_ref())?;
    let (rows, more) = trim(
        ctx.store
            .list_schedules(caller.org(), &f, after, size + 1)
            .await?,
        size,
    );
    let key = rows
        .last()
        .map(|s| format!("{}|{}|{}", s.employee, s.valid_from, s.id));
    Ok(pb::ListSchedulesResponse {
        schedules: rows.iter().map(schedule_pb).collect(),
        next_page_token: page(key, more),
    })
}

pub async fn create_agreement(
    ctx: &Ctx,
    caller: &Caller,
    r: pb::CreateAgreementRequest,
) -> ApiResult<pb::CreateAgreementResponse> {
    caller.require(&[Role::Admin])?;
    let mut a = agreement_in(r.agreement.as_ref())?;
    ctx.employee(caller, a.employee, "agreement.employee_id")
        .await?;
    let now = ctx.clock.now();
    a.created_at = now;
    a.created_by = caller.token.author();
    let stored = ctx.store.create_agreement(caller.org(), a, now).await?;
    changed(
        ctx,
        caller,
        Some(stored.employee),
        "agreement",
        stored.id,
        None,
    )
    .await;
    Ok(pb::CreateAgreementResponse {
        agreement: Some(agreement_pb(&stored)),
    })
}

pub async fn list_agreements(
    ctx: &Ctx,
    caller: &Caller,
    r: pb::ListAgreementsRequest,
) -> ApiResult<pb::ListAgreementsResponse> {
    let mut f = list_scope(ctx, caller, &r.employee_id, AuditAction::ReadPolicy).await?;
    f.agreement_kind = match r.kind {
        0 => None,
        1 => Some(AgreementKind::HomeOffice),
        2 => Some(AgreementKind::ExtendedOvertime),
        3 => Some(AgreementKind::Averaging),
        4 => Some(AgreementKind::ReducedRest),
        v => {
            return Err(ApiError::invalid(
                "kind",
                format!("{v} is not an agreement kind"),
            ));
        }
    };
    if r.valid_on.is_some() {
        let d = date_in("valid_on", r.valid_on.as_ref())?;
        f.dates = Some((d, d));
    }
    let size = convert::page_size(r.page.as_ref())?;
    let after = convert::page_after(r.page.as_ref())?;
    let (rows, more) = trim(
        ctx.store
            .list_agreements(caller.org(), &f, after, size + 1)
            .await?,
        size,
    );
    let key = rows
        .last()
        .map(|a| format!("{}|{}|{}", a.employee, a.valid_from, a.id));
    Ok(pb::ListAgreementsResponse {
        agreements: rows.iter().map(agreement_pb).collect(),
        next_page_token: page(key, more),
    })
}

pub async fn end_agreement(
    ctx: &Ctx,
    caller: &Caller,
    r: pb::EndAgreementRequest,
) -> ApiResult<pb::EndAgreementResponse> {
    caller.require(&[Role::Admin])?;
    let id = convert::uuid("agreement_id", &r.agreement_id)?;
    let last_day = date_in("last_day", r.last_day.as_ref())?;
    let reason = reason_in("reason", &r.reason)?;
    let a = ctx
        .store
        .end_agreement(caller.org(), id, last_day, reason.clone(), ctx.clock.now())
        .await?;
    changed(
        ctx,
        caller,
        Some(a.employee),
        "agreement",
        a.id,
        Some(reason),
    )
    .await;
    Ok(pb::EndAgreementResponse {
        agreement: Some(agreement_pb(&a)),
    })
}

pub async fn create_absence(
    ctx: &Ctx,
    caller: &Caller,
    r: pb::CreateAbsenceRequest,
) -> ApiResult<pb::CreateAbsenceResponse> {
    caller.require(&[Role::Admin])?;
    let mut a = absence_in(r.absence.as_ref())?;
    ctx.employee(caller, a.employee, "absence.employee_id")
        .await?;
    let now = ctx.clock.now();
    a.created_at = now;
    a.created_by = caller.token.author();
    let stored = ctx.store.create_absence(caller.org(), a, now).await?;
    changed(
        ctx,
        caller,
        Some(stored.employee),
        "absence",
        stored.id,
        None,
    )
    .await;
    Ok(pb::CreateAbsenceResponse {
        absence: Some(absence_pb(&stored)),
    })
}

pub async fn list_absences(
    ctx: &Ctx,
    caller: &Caller,
    r: pb::ListAbsencesRequest,
) -> ApiResult<pb::ListAbsencesResponse> {
    let mut f = list_scope(ctx, caller, &r.employee_id, AuditAction::ReadAbsences).await?;
    if r.dates.is_some() {
        f.dates = Some(date_range("dates", r.dates.as_ref(), 3660)?);
    }
    f.absence_kinds = r
        .kinds
        .iter()
        .enumerate()
        .map(|(i, k)| absence_kind_in(&format!("kinds[{i}]"), *k))
        .collect::<ApiResult<_>>()?;
    f.include_cancelled = r.include_cancelled;
    let size = convert::page_size(r.page.as_ref())?;
    let after = convert::page_after(r.page.as_ref())?;
    let (rows, more) = trim(
        ctx.store
            .list_absences(caller.org(), &f, after, size + 1)
            .await?,
        size,
    );
    let key = rows
        .last()
        .map(|a| format!("{}|{}|{}", a.employee, a.first, a.id));
    Ok(pb::ListAbsencesResponse {
        absences: rows.iter().map(absence_pb).collect(),
        next_page_token: page(key, more),
    })
}

pub async fn cancel_absence(
    ctx: &Ctx,
    caller: &Caller,
    r: pb::CancelAbsenceRequest,
) -> ApiResult<pb::CancelAbsenceResponse> {
    caller.require(&[Role::Admin])?;
    let id = convert::uuid("absence_id", &r.absence_id)?;
    let reason = reason_in("reason", &r.reason)?;
    let a = ctx
        .store
        .cancel_absence(caller.org(), id, reason.clone(), ctx.clock.now())
        .await?;
    changed(ctx, caller, Some(a.employee), "absence", a.id, Some(reason)).await;
    Ok(pb::CancelAbsenceResponse {
        absence: Some(absence_pb(&a)),
    })
}

pub async fn set_rule_override(
    ctx: &Ctx,
    caller: &Caller,
    r: pb::SetRuleOverrideRequest,
) -> ApiResult<pb::SetRuleOverrideResponse> {
    caller.require(&[Role::Admin])?;
    let mut o = override_in(r.rule_override.as_ref())?;
    if let OverrideScope::Employee(e) = o.scope {
        ctx.employee(caller, e, "rule_override.employee_id").await?;
    }
    let now = ctx.clock.now();
    o.updated_at = now;
    o.updated_by = caller.token.author();
    let (stored, replaced) = ctx.store.set_override(caller.org(), o, now).await?;
    let who = match stored.scope {
        OverrideScope::Organisation => None,
        OverrideScope::Employee(e) => Some(e),
    };
    changed(ctx, caller, who, "rule_override", stored.id, None).await;
    Ok(pb::SetRuleOverrideResponse {
        rule_override: Some(override_pb(&stored)),
        replaced,
    })
}

pub async fn list_rule_overrides(
    ctx: &Ctx,
    caller: &Caller,
    r: pb::ListRuleOverridesRequest,
) -> ApiResult<pb::ListRuleOverridesResponse> {
    caller.require(&[Role::Admin, Role::Manager, Role::Employee])?;
    let mut f = PlanFilter::default();
    if !r.employee_id.trim().is_empty() {
        if r.organisation_only {
            return Err(ApiError::invalid(
                "organisation_only",
                "cannot be combined with employee_id",
            ));
        }
        let id = EmployeeId(convert::uuid("employee_id", &r.employee_id)?);
        let e = ctx.employee(caller, id, "employee_id").await?;
        ctx.authorize(caller, Access::Read, &e, AuditAction::ReadPolicy)
            .await?;
        f.employee = Some(id);
    } else if caller.role() != Role::Admin {
        // Organisation-level values are the rules everyone works under; employee-level ones are personal.
        f.organisation_only = true;
    }
    f.organisation_only |= r.organisation_only;
    if !r.rule_id.is_empty() {
        f.rule_id = Some(r.rule_id.clone());
    }
    let size = convert::page_size(r.page.as_ref())?;
    let after = convert::page_after(r.page.as_ref())?;
    let (rows, more) = trim(
        ctx.store
            .list_overrides(caller.org(), &f, after, size + 1)
            .await?,
        size,
    );
    let key = rows.last().map(|o| {
        let scope = match o.scope {
            OverrideScope::Organisation => String::new(),
            OverrideScope::Employee(e) => e.to_string(),
        };
        format!("{scope}|{}|{}|{}", o.rule_id, o.parameter, o.effective_from)
    });
    Ok(pb::ListRuleOverridesResponse {
        overrides: rows.iter().map(override_pb).collect(),
        next_page_token: page(key, more),
    })
}

pub async fn delete_rule_override(
    ctx: &Ctx,
    caller: &Caller,
    r: pb::DeleteRuleOverrideRequest,
) -> ApiResult<pb::DeleteRuleOverrideResponse> {
    caller.require(&[Role::Admin])?;
    let id = convert::uuid("override_id", &r.override_id)?;
    let o = ctx
        .store
        .delete_override(caller.org(), id, ctx.clock.now())
        .await?;
    let who = match o.scope {
        OverrideScope::Organisation => None,
        OverrideScope::Employee(e) => Some(e),
    };
    changed(ctx, caller, who, "rule_override", o.id, None).await;
    Ok(pb::DeleteRuleOverrideResponse {
        rule_override: Some(override_pb(&o)),
    })
}

pub async fn add_holiday(
    ctx: &Ctx,
    caller: &Caller,
    r: pb::AddHolidayRequest,
) -> ApiResult<pb::AddHolidayResponse> {
    caller.require(&[Role::Admin])?;
    let h = holiday_in(r.holiday.as_ref())?;
    let stored = ctx
        .store
        .add_holiday(caller.org(), h, ctx.clock.now())
        .await?;
    changed(ctx, caller, None, "holiday", stored.id, None).await;
    Ok(pb::AddHolidayResponse {
        holiday: Some(holiday_pb(&stored, false)),
    })
}

/// The Norwegian national holidays and eves in `from..=to`.
fn national(from: NaiveDate, to: NaiveDate) -> Vec<OrgHoliday> {
    let mut out = Vec::new();
    let mut d = from;
    let at15 = NaiveTime::from_hms_opt(15, 0, 0);
    while d <= to {
        if let Some(h) = norwegian_holiday(d) {
            out.push(OrgHoliday {
                id: Uuid::nil(),
                date: d,
                name: h.name_nb().to_string(),
                kind: HolidayKind::Public,
                window_start: None,
            });
        } else {
            let e = easter_sunday(chrono::Datelike::year(&d));
            let eve = match e.map(|e| (d - e).num_days()) {
                Some(-1) => Some("Påskeaften"),
                Some(48) => Some("Pinseaften"),
                _ if chrono::Datelike::month(&d) == 12 && chrono::Datelike::day(&d) == 24 => {
                    Some("Julaften")
                }
                _ => None,
            };
            if let Some(name) = eve {
                out.push(OrgHoliday {
                    id: Uuid::nil(),
                    date: d,
                    name: name.to_string(),
                    kind: HolidayKind::Eve,
                    window_start: at15,
                });
            }
        }
        d += Duration::days(1);
    }
    out
}

pub async fn list_holidays(
    ctx: &Ctx,
    caller: &Caller,
    r: pb::ListHolidaysRequest,
) -> ApiResult<pb::ListHolidaysResponse> {
    let (from, to) = date_range("dates", r.dates.as_ref(), 366)?;
    let own = ctx.store.list_holidays(caller.org(), from, to).await?;
    let mut all: Vec<(NaiveDate, u8, pb::Holiday)> = national(from, to)
        .iter()
        .map(|h| (h.date, 0, holiday_pb(h, true)))
        .collect();
    all.extend(own.iter().map(|h| (h.date, 1, holiday_pb(h, false))));
    all.sort_by_key(|(d, n, _)| (*d, *n));
    Ok(pb::ListHolidaysResponse {
        holidays: all.into_iter().map(|x| x.2).collect(),
    })
}

pub async fn remove_holiday(
    ctx: &Ctx,
    caller: &Caller,
    r: pb::RemoveHolidayRequest,
) -> ApiResult<pb::RemoveHolidayResponse> {
    caller.require(&[Role::Admin])?;
    let id = convert::uuid("holiday_id", &r.holiday_id)?;
    let h = ctx
        .store
        .remove_holiday(caller.org(), id, ctx.clock.now())
        .await?;
    changed(ctx, caller, None, "holiday", h.id, None).await;
    Ok(pb::RemoveHolidayResponse {
        holiday: Some(holiday_pb(&h, false)),
    })
}
