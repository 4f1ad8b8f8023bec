//! TimesheetService: timesheets, findings and headroom, read from the
//! engine (figures, computed live from the record) and the stored findings
//! (stable ids and status).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, NaiveDate};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::Ctx;
use super::auth::{Access, Caller};
use super::convert::{self, timestamp};
use super::error::{ApiError, ApiResult};
use super::headroom;
use super::timesheet_cache::Judged;
use super::timesheet_convert::{
    absence_kind_pb, date_pb, date_range, finding_pb, holiday_kind_pb, severity_in, status_in,
    weekday_pb,
};
use crate::domain::audit::AuditAction;
use crate::domain::clock_status::SHIFT_MARGIN;
use crate::domain::employee::Employee;
use crate::domain::engine::days::Plan;
use crate::domain::engine::ledger::monday_of;
use crate::domain::engine::minutes::{DayMinutes, round_minutes};
use crate::domain::engine::reconcile::Finding;
use crate::domain::engine::record::Span;
use crate::domain::event::Location;
use crate::domain::ids::EmployeeId;
use crate::domain::local_days::{local_date, start_of_day};
use crate::domain::policy::AbsenceKind;
use crate::domain::token::Role;
use crate::pb;
use crate::pb::timesheet_service_server::TimesheetService;
use crate::recompute;
use crate::storage::EmployeeFilter;
use crate::storage::derived::{FindingFilter, TimesheetRecord};

/// Longest timesheet range.
pub const MAX_TIMESHEET_DAYS: i64 = 366;

/// The TimesheetService handlers.
pub struct TimesheetApi {
    ctx: Ctx,
}

impl TimesheetApi {
    #[must_use]
    pub fn new(ctx: Ctx) -> Self {
        Self { ctx }
    }
}

/// Whole minutes, by the one rounding payroll uses too.
fn minutes(d: Duration) -> i64 {
    round_minutes(d)
}

/// The employee `field` names, readable by the caller.
/// The read is logged as `action` when it is another person's record.
async fn readable(
    ctx: &Ctx,
    caller: &Caller,
    field: &str,
    id: &str,
    action: AuditAction,
) -> ApiResult<Employee> {
    ctx.require(
        caller,
        &[Role::Admin, Role::Manager, Role::Employee],
        action,
    )
    .await?;
    let id = EmployeeId(convert::uuid(field, id)?);
    let employee = ctx.employee(caller, id, field).await?;
    ctx.authorize(caller, Access::Read, &employee, action)
        .await?;
    Ok(employee)
}

pub async fn get_timesheet(
    ctx: &Ctx,
    caller: &Caller,
    req: pb::GetTimesheetRequest,
) -> ApiResult<pb::GetTimesheetResponse> {
    let employee = readable(
        ctx,
        caller,
        "employee_id",
        &req.employee_id,
        AuditAction::ReadTimesheet,
    )
    .await?;
    let (first, last) = date_range("dates", req.dates.as_ref(), MAX_TIMESHEET_DAYS)?;
    timesheet_of(ctx, &employee, first, last).await
}

/// `employee`'s timesheet from `first` to `last`: what `GetTimesheet`
/// answers, and what the § 10-7 record shows. No access check: the
/// callers authorize (and log) the read first.
///
/// # Errors
/// When the store fails.
#[allow(clippy::too_many_lines)]
pub async fn timesheet_of(
    ctx: &Ctx,
    employee: &Employee,
    first: NaiveDate,
    last: NaiveDate,
) -> ApiResult<pb::GetTimesheetResponse> {
    let org = employee.org_id;
    let now = ctx.clock.now();
    let tz = employee.fields.time_zone;
    let range = Span::new(
        start_of_day(tz, first),
        start_of_day(tz, last + Duration::days(1)),
    );
    // The ledger needs whole ISO weeks and shifts running into the range.
    let load = Span::new(
        start_of_day(tz, monday_of(first)) - SHIFT_MARGIN,
        range.end + SHIFT_MARGIN,
    );
    let (read, judged) = judged_record(ctx, employee, load, first).await?;
    let epoch = judged.plans_from;
    let worked_before = read.worked_before;
    let (eval, policy) = (&judged.eval, &judged.policy);
    let plan = Plan::new(
        employee.id,
        policy,
        employee.fields.rule_pack.national_holidays(),
    );
    // Kept by the first timesheet of this evaluation; another first date
    // sums its own.
    let (kept_first, kept) = *judged
        .target_before
        .get_or_init(|| (first, flex_target_between(&plan, epoch, first)));
    let target_before = if kept_first == first {
        kept
    } else {
        flex_target_between(&plan, epoch, first)
    };
    let flex_start = minutes(Duration::seconds(worked_before) + target_before);

    let findings = ctx
        .store
        .list_findings(
            org,
            &FindingFilter {
                employees: vec![employee.id],
                at: Some(range),
                ..FindingFilter::default()
            },
            None,
            10_000,
        )
        .await?;
    let mut findings_by_day: BTreeMap<NaiveDate, Vec<String>> = BTreeMap::new();
    for f in &findings {
        findings_by_day
            .entry(local_date(tz, f.at))
            .or_default()
            .push(f.id.to_string());
    }

    let mut days = Vec::new();
    let mut totals = pb::TimesheetTotals::default();
    let mut absence_totals: BTreeMap<AbsenceKind, i64> = BTreeMap::new();
    let mut balance = flex_start;
    let mut date = first;
    while date <= last {
        let day = Span::new(
            start_of_day(tz, date),
            start_of_day(tz, date + Duration::days(1)),
        );
        let planned = plan.day(date);
        let t = DayMinutes::of(&eval.days.get(&date).copied().unwrap_or_default());
        let absence = planned.absence_total();
        let ended = day.end <= now;
        let flex_minutes = if ended {
            crate::domain::engine::minutes::flex(
                t.worked,
                minutes(absence),
                minutes(planned.scheduled),
            )
        } else {
            0
        };
        balance += flex_minutes;
        let intervals = day_intervals(eval, day, tz, plan.schedule(date).breaks_paid);
        for a in &planned.absences {
            *absence_totals.entry(a.1).or_default() += minutes(a.2);
        }
        let row = pb::TimesheetDay {
            date: Some(date_pb(date)),
            weekday: weekday_pb(date.weekday()),
            holiday_name: planned.holiday_name.clone().unwrap_or_default(),
            holiday_kind: holiday_kind_pb(planned.holiday_kind),
            intervals,
            scheduled_minutes: minutes(planned.scheduled),
            worked_minutes: t.worked,
            normal_minutes: t.normal,
            overtime_minutes: t.overtime,
            night_minutes: t.night,
            sunday_holiday_minutes: t.sunday_holiday,
            home_minutes: t.home,
            absences: planned
                .absences
                .iter()
                .map(|(id, kind, m)| pb::DayAbsence {
                    absence_id: id.to_string(),
                    kind: absence_kind_pb(*kind),
                    minutes: minutes(*m),
                })
                .collect(),
            flex_minutes,
            flex_balance_minutes: balance,
            finding_ids: findings_by_day.remove(&date).unwrap_or_default(),
        };
        totals.scheduled_minutes += row.scheduled_minutes;
        totals.worked_minutes += row.worked_minutes;
        totals.normal_minutes += row.normal_minutes;
        totals.overtime_minutes += row.overtime_minutes;
        totals.night_minutes += row.night_minutes;
        totals.sunday_holiday_minutes += row.sunday_holiday_minutes;
        totals.home_minutes += row.home_minutes;
        totals.flex_minutes += row.flex_minutes;
        days.push(row);
        date += Duration::days(1);
    }
    totals.absences = absence_totals
        .into_iter()
        .filter(|(_, m)| *m > 0)
        .map(|(k, m)| pb::AbsenceTotal {
            kind: absence_kind_pb(k),
            minutes: m,
        })
        .collect();
    let pack = employee.fields.rule_pack;
    Ok(pb::GetTimesheetResponse {
        employee_id: employee.id.to_string(),
        time_zone: tz.name().to_string(),
        rule_pack_version: pack.version().to_string(),
        rule_pack: pack.to_string(),
        as_of: Some(timestamp(now)),
        days,
        totals: Some(totals),
        flex_balance_start_minutes: flex_start,
        flex_balance_end_minutes: balance,
        findings: findings.iter().map(finding_pb).collect(),
    })
}

/// What a timesheet of `first..` with events loaded in `load` reads, and
/// the evaluation of its record: the one kept for this span when nothing it
/// was judged from moved (`timesheet_cache`), or a new one, then kept.
async fn judged_record(
    ctx: &Ctx,
    employee: &Employee,
    load: Span,
    first: NaiveDate,
) -> ApiResult<(TimesheetRecord, Arc<Judged>)> {
    let org = employee.org_id;
    let now = ctx.clock.now();
    let tz = employee.fields.time_zone;
    // The record and the work before the range in one read, which skips
    // the events when they are still those of the evaluation kept for this
    // span. When that read finds the employee queued, the recompute is
    // applied and the record read again, so the findings shown are current.
    let key = (org, employee.id, load);
    let read_record = async |known| {
        let read = ctx
            .store
            .timesheet_record(org, employee.id, load, first, known)
            .await?;
        if !read.queued {
            return Ok::<_, ApiError>(read);
        }
        recompute::drain_for_read(ctx.store.as_ref(), now, Some(org), Some(employee.id)).await?;
        Ok(ctx
            .store
            .timesheet_record(org, employee.id, load, first, known)
            .await?)
    };
    let mut read = read_record(ctx.timesheets.known(org, employee.id, load)).await?;
    // Flex balance before the range: from the first registered day (or the
    // employee's creation, if earlier) to the day before `first`.
    let created = local_date(tz, employee.created_at);
    let epoch_of = |read: &TimesheetRecord| read.first_worked.map_or(created, |d| d.min(created));
    let subject = recompute::subject(employee);
    if let Some(kept) = ctx.timesheets.get(
        key,
        read.version,
        read.plans_version,
        epoch_of(&read),
        subject,
    ) {
        return Ok((read, kept));
    }
    if read.record.is_none() {
        // The events are as kept, but the plans or the settings moved.
        read = read_record(None).await?;
    }
    let epoch = epoch_of(&read);
    let Some(record) = read.record.take() else {
        return Err(ApiError::Internal(
            "a timesheet read with no known version returned no record".into(),
        ));
    };
    // No windows judged: the findings shown are the stored ones (the
    // recompute judged them), so the rules' drafts would be thrown away.
    let (eval, policy) = recompute::evaluate_record(
        ctx.store.as_ref(),
        org,
        employee,
        record,
        read.plans_version,
        load,
        epoch,
        now,
    )
    .await?;
    let judged = Arc::new(Judged {
        version: read.version,
        plans_version: read.plans_version,
        plans_from: epoch,
        subject,
        eval,
        policy,
        target_before: std::sync::OnceLock::new(),
    });
    ctx.timesheets.keep(key, Arc::clone(&judged));
    Ok((read, judged))
}

/// The flex target of the days `from..to` (negative: the planned hours
/// to work), summed day by day as the timesheet's rows are.
fn flex_target_between(plan: &Plan<'_>, from: NaiveDate, to: NaiveDate) -> Duration {
    let mut target = Duration::zero();
    let mut d = from;
    while d < to {
        target += plan.flex_target(d);
        d += Duration::days(1);
    }
    target
}

/// The intervals with any minute on `day` (open ones on the day they start).
fn day_intervals(
    eval: &crate::domain::engine::evaluate::Evaluation,
    day: Span,
    tz: chrono_tz::Tz,
    breaks_paid: bool,
) -> Vec<pb::WorkInterval> {
    let mut out = Vec::new();
    for i in &eval.intervals {
        let end = i.end;
        let touches = match end {
            Some(e) => i.start < day.end && e > day.start,
            None => i.start >= day.start && i.start < day.end,
        };
        if !touches {
            continue;
        }
        let segs = eval
            .record
            .segments
            .iter()
            .filter(|s| s.interval == i.start_event);
        let (whole, on_day) = segs.fold((Duration::zero(), Duration::zero()), |(w, d), s| {
            (w + s.span.len(), d + s.span.clipped(day.start, day.end))
        });
        let shift_day = eval
            .record
            .shifts
            .iter()
            .find(|s| s.intervals.contains(&i.start_event))
            .map_or_else(|| local_date(tz, i.start), |s| s.day);
        out.push(pb::WorkInterval {
            interval_id: i.start_event.to_string(),
            start: Some(timestamp(i.start)),
            end: end.map(timestamp),
            open: end.is_none(),
            location: location_pb(i.location),
            breaks: i
                .breaks
                .iter()
                .map(|b| pb::WorkBreak {
                    start: Some(timestamp(b.start)),
                    end: b.end.map(timestamp),
                    minutes: b.end.map_or(0, |e| minutes(e - b.start)),
                    paid: breaks_paid,
                    resume_location: 0,
                })
                .collect(),
            worked_minutes: minutes(whole),
            worked_minutes_on_day: minutes(on_day),
            shift_day: Some(date_pb(shift_day)),
            end_event_id: i.end_event.map(|e| e.to_string()).unwrap_or_default(),
            amended: eval.record.amended.contains(&i.start_event),
        });
    }
    out
}

fn location_pb(l: Option<Location>) -> i32 {
    (match l {
        None => pb::Location::Unspecified,
        Some(Location::Office) => pb::Location::Office,
        Some(Location::Home) => pb::Location::Home,
        Some(Location::Remote) => pb::Location::Remote,
        Some(Location::Travel) => pb::Location::Travel,
    }) as i32
}

#[allow(clippy::too_many_lines)]
pub async fn list_findings(
    ctx: &Ctx,
    caller: &Caller,
    req: pb::ListFindingsRequest,
) -> ApiResult<pb::ListFindingsResponse> {
    use pb::list_findings_request::{Period, Scope as Who};
    caller.require(&[Role::Admin, Role::Manager, Role::Employee])?;
    let org = caller.org();
    let now = ctx.clock.now();
    let mut people: Vec<Employee> = Vec::new();
    let team = matches!(req.scope, Some(Who::ManagerEmployeeId(_)));
    match req.scope {
        Some(Who::EmployeeId(id)) => {
            people
                .push(readable(ctx, caller, "employee_id", &id, AuditAction::ReadFindings).await?);
        }
        Some(Who::ManagerEmployeeId(id)) => {
            let manager = EmployeeId(convert::uuid("manager_employee_id", &id)?);
            ctx.employee(caller, manager, "manager_employee_id").await?;
            // Only ADMIN, or the manager itself with a MANAGER token: an
            // EMPLOYEE token of someone with reports reads only itself.
            if caller.role() != Role::Admin
                && (caller.role() != Role::Manager || caller.bound_employee() != Some(manager))
            {
                return Err(ApiError::PermissionDenied(format!(
                    "a {} token may read only its own team, not the team of {manager}",
                    caller.role().as_str()
                )));
            }
            let filter = EmployeeFilter {
                include_inactive: true,
                manager_id: Some(manager),
            };
            let mut after: Option<String> = None;
            loop {
                let page = ctx
                    .store
                    .list_employees(org, &filter, after.as_deref(), 500)
                    .await?;
                let done = page.len() < 500;
                after = page.last().map(|e| e.fields.external_id.clone());
                people.extend(page);
                if done {
                    break;
                }
            }
            ctx.audit_listing(caller, AuditAction::ReadFindings, format!("team:{manager}"))
                .await;
        }
        Some(Who::Organisation(true)) => {
            caller.require(&[Role::Admin])?;
            ctx.audit_listing(caller, AuditAction::ReadFindings, "organisation".into())
                .await;
        }
        Some(Who::Organisation(false)) => {
            return Err(ApiError::invalid("organisation", "must be true when given"));
        }
        None => {
            return Err(ApiError::invalid(
                "scope",
                "one of employee_id, manager_employee_id or organisation is required",
            ));
        }
    }
    let severities = req
        .severities
        .iter()
        .enumerate()
        .map(|(i, v)| severity_in(&format!("severities[{i}]"), *v))
        .collect::<ApiResult<Vec<_>>>()?;
    let statuses = req
        .statuses
        .iter()
        .enumerate()
        .map(|(i, v)| status_in(&format!("statuses[{i}]"), *v))
        .collect::<ApiResult<Vec<_>>>()?;
    for (i, r) in req.rule_ids.iter().enumerate() {
        if r.is_empty() || r.len() > 64 {
            return Err(ApiError::invalid(
                format!("rule_ids[{i}]"),
                "must be 1..64 characters",
            ));
        }
    }
    // Local dates are judged in each employee's own time zone: the query
    // takes every instant any zone could put on those dates, then each
    // finding is checked against its employee's zone.
    let mut dates: Option<(NaiveDate, NaiveDate)> = None;
    let at = match req.period {
        None => None,
        Some(Period::Instants(r)) => {
            let start = convert::instant("instants.start", r.start.as_ref())?;
            let end = convert::instant("instants.end", r.end.as_ref())?;
            if end <= start {
                return Err(ApiError::invalid("instants", "end must be after start"));
            }
            Some(Span::new(start, end))
        }
        Some(Period::Dates(r)) => {
            let (first, last) = date_range("dates", Some(&r), MAX_TIMESHEET_DAYS)?;
            dates = Some((first, last));
            let utc = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
            Some(Span::new(
                utc(first) - Duration::hours(15),
                utc(last + Duration::days(1)) + Duration::hours(15),
            ))
        }
    };
    let size = convert::page_size(req.page.as_ref())?;
    let after = convert::page_after(req.page.as_ref())?
        .map(|t| {
            let (micros, id) = t.split_once('_')?;
            Some((
                DateTime::from_timestamp_micros(micros.parse().ok()?)?,
                Uuid::parse_str(id).ok()?,
            ))
        })
        .map(|p| {
            p.ok_or_else(|| {
                ApiError::invalid("page.page_token", "is not a token this server issued")
            })
        })
        .transpose()?;
    // Read your writes: pending recomputes of the people asked about first.
    if people.is_empty() {
        recompute::drain_for_read(ctx.store.as_ref(), now, Some(org), None).await?;
    } else {
        for p in &people {
            recompute::drain_for_read(ctx.store.as_ref(), now, Some(org), Some(p.id)).await?;
        }
    }
    let team_scope_empty = team && people.is_empty();
    let filter = FindingFilter {
        employees: people.iter().map(|p| p.id).collect(),
        rule_ids: req.rule_ids.clone(),
        severities,
        statuses,
        at,
    };
    let mut found: Vec<Finding> = if team_scope_empty {
        Vec::new()
    } else {
        ctx.store
            .list_findings(org, &filter, after, size + 1)
            .await?
    };
    // Paging follows the rows the query returned, before the per-zone date
    // filter, so a filtered-out row can never end the listing early.
    let raw_more = i64::try_from(found.len()).unwrap_or(i64::MAX) > size;
    found.truncate(usize::try_from(size).unwrap_or(100));
    let next_page_token = match (raw_more, found.last()) {
        (true, Some(f)) => convert::page_token(&format!("{}_{}", f.at.timestamp_micros(), f.id)),
        _ => String::new(),
    };
    if let Some((first, last)) = dates {
        let mut zones: HashMap<EmployeeId, chrono_tz::Tz> =
            people.iter().map(|p| (p.id, p.fields.time_zone)).collect();
        let mut kept = Vec::new();
        for f in found {
            let tz = if let Some(tz) = zones.get(&f.employee) {
                *tz
            } else {
                let tz = ctx
                    .store
                    .employee(org, f.employee)
                    .await?
                    .map_or(chrono_tz::UTC, |e| e.fields.time_zone);
                zones.insert(f.employee, tz);
                tz
            };
            let d = local_date(tz, f.at);
            if d >= first && d <= last {
                kept.push(f);
            }
        }
        found = kept;
    }
    Ok(pb::ListFindingsResponse {
        findings: found.iter().map(finding_pb).collect(),
        next_page_token,
    })
}

pub async fn get_headroom(
    ctx: &Ctx,
    caller: &Caller,
    req: pb::GetHeadroomRequest,
) -> ApiResult<pb::GetHeadroomResponse> {
    let employee = readable(
        ctx,
        caller,
        "employee_id",
        &req.employee_id,
        AuditAction::ReadHeadroom,
    )
    .await?;
    let now = ctx.clock.now();
    let at = match req.at.as_ref() {
        None => now,
        Some(t) => {
            let at = convert::instant("at", Some(t))?;
            if at > now + ctx.limits.max_clock_skew {
                return Err(ApiError::invalid("at", "lies in the future"));
            }
            at
        }
    };
    recompute::drain_for_read(
        ctx.store.as_ref(),
        now,
        Some(caller.org()),
        Some(employee.id),
    )
    .await?;
    headroom::compute(ctx.store.as_ref(), caller.org(), &employee, at).await
}

#[tonic::async_trait]
impl TimesheetService for TimesheetApi {
    #[allow(clippy::too_many_lines)]
    async fn get_timesheet(
        &self,
        request: Request<pb::GetTimesheetRequest>,
    ) -> Result<Response<pb::GetTimesheetResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            get_timesheet(&self.ctx, &caller, request.into_inner()).await?,
        ))
    }

    #[allow(clippy::too_many_lines)]
    async fn list_findings(
        &self,
        request: Request<pb::ListFindingsRequest>,
    ) -> Result<Response<pb::ListFindingsResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            list_findings(&self.ctx, &caller, request.into_inner()).await?,
        ))
    }

    async fn get_headroom(
        &self,
        request: Request<pb::GetHeadroomRequest>,
    ) -> Result<Response<pb::GetHeadroomResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            get_headroom(&self.ctx, &caller, request.into_inner()).await?,
        ))
    }

    async fn get_working_time_record(
        &self,
        request: Request<pb::GetWorkingTimeRecordRequest>,
    ) -> Result<Response<pb::GetWorkingTimeRecordResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            crate::usecase::working_time_record::get_working_time_record(
                &self.ctx,
                &caller,
                request.into_inner(),
            )
            .await?,
        ))
    }
}
