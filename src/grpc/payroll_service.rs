//! `PayrollService` (`ListTotals`, `ExportTotalsCsv`, `LockPeriod`) and the
//! payroll settings of `AdminService`. Thin: requests are checked here, the
//! figures come from [`crate::payroll`].

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc::Receiver;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};
use tracing::Instrument as _;

use super::Ctx;
use super::auth::Caller;
use super::convert::{self, timestamp};
use super::error::{ApiError, ApiResult};
use super::payroll_convert::{
    decode, dialect_in, dialect_pb, line_pb, period_pb, settings_in, settings_pb, stored,
};
use crate::domain::audit::AuditAction;
use crate::domain::ids::EmployeeId;
use crate::domain::local_days::start_of_day;
use crate::domain::payroll::csv::Dialect;
use crate::domain::payroll::settings::{PayrollSettings, check_code};
use crate::domain::token::Role;
use crate::payroll::{
    CsvChunk, EmployeeTotals, Pull, PullError, csv_stream, filter_codes, plan_lock,
};
use crate::pb;
use crate::pb::payroll_service_server::PayrollService;
use crate::recompute;
use crate::storage::StoreResult;
use crate::storage::payroll::{LockedPeriod, PayrollFilter};

/// Employees computed per page of a stream.
const PAGE: i64 = 64;

/// The gRPC `PayrollService`.
pub struct PayrollApi {
    ctx: Ctx,
}

impl PayrollApi {
    #[must_use]
    pub fn new(ctx: Ctx) -> Self {
        Self { ctx }
    }
}

/// What a stream covers, checked.
struct Selection {
    filter: PayrollFilter,
    codes: BTreeSet<String>,
    digest: String,
}

async fn selection(
    ctx: &Ctx,
    caller: &Caller,
    period_id: &str,
    f: Option<&pb::TotalsFilter>,
) -> ApiResult<Selection> {
    // The role first: a token that may not pull learns nothing about ids.
    caller.require(&[Role::Admin, Role::Payroll])?;
    let org = caller.org();
    let mut filter = PayrollFilter::default();
    let mut codes = BTreeSet::new();
    if let Some(f) = f {
        for (i, id) in f.employee_ids.iter().enumerate() {
            let field = format!("filter.employee_ids[{i}]");
            let id = EmployeeId(convert::uuid(&field, id)?);
            if ctx.store.employee(org, id).await?.is_none() {
                return Err(ApiError::invalid(
                    field,
                    format!("no employee {id} in this organisation"),
                ));
            }
            filter.employees.push(id);
        }
        if !f.manager_employee_id.is_empty() {
            let field = "filter.manager_employee_id";
            let id = EmployeeId(convert::uuid(field, &f.manager_employee_id)?);
            if ctx.store.employee(org, id).await?.is_none() {
                return Err(ApiError::invalid(
                    field,
                    format!("no employee {id} in this organisation"),
                ));
            }
            filter.manager = Some(id);
        }
        for (i, c) in f.pay_codes.iter().enumerate() {
            check_code(c)
                .map_err(|e| ApiError::invalid(format!("filter.pay_codes[{i}]"), e.reason))?;
            codes.insert(c.clone());
        }
    }
    filter.employees.sort();
    filter.employees.dedup();
    let mut h = Sha256::new();
    h.update(period_id.as_bytes());
    for e in &filter.employees {
        h.update(format!("|e{e}"));
    }
    if let Some(m) = filter.manager {
        h.update(format!("|m{m}"));
    }
    for c in &codes {
        h.update(format!("|c{c}"));
    }
    let digest = hex::encode(&h.finalize()[..8]);
    Ok(Selection {
        filter,
        codes,
        digest,
    })
}

fn cursor_out(sel: &Selection, employee: EmployeeId) -> String {
    hex::encode(format!("v1|{}|{employee}", sel.digest))
}

fn cursor_in(sel: &Selection, cursor: &str) -> ApiResult<Option<EmployeeId>> {
    if cursor.is_empty() {
        return Ok(None);
    }
    let bad = |why: &str| ApiError::invalid("cursor", why.to_string());
    let text = hex::decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| bad("is not a cursor this service issued"))?;
    let mut parts = text.splitn(3, '|');
    let (Some("v1"), Some(digest), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad("is not a cursor this service issued"));
    };
    if digest != sel.digest {
        return Err(bad(
            "belongs to another period or filter; resume with the same period_id and filter",
        ));
    }
    let id = id
        .parse()
        .map_err(|_| bad("is not a cursor this service issued"))?;
    Ok(Some(EmployeeId(id)))
}

/// How long opening a pull waits for queued recomputes.
#[derive(Clone, Copy)]
enum Wait {
    /// Until every one is applied: a lock freezes findings.
    All,
    /// No new round after this (see [`recompute::drain_for_pull`]).
    Within(std::time::Duration),
    /// Only a queue that fits in one round; the pull marks the rest (see
    /// [`recompute::drain_for_marked_pull`]).
    Marked,
}

/// Checks the caller and opens the pull (after bringing findings up to
/// date, as far as `wait` says). A read goes on from the findings as
/// stored when the storage refuses writes.
async fn open(
    ctx: &Ctx,
    caller: &Caller,
    period_id: &str,
    sel: &Selection,
    wait: Wait,
) -> ApiResult<Pull> {
    caller.require(&[Role::Admin, Role::Payroll])?;
    if period_id.trim().is_empty() {
        return Err(ApiError::invalid(
            "period_id",
            "is required, e.g. \"2026-11\"",
        ));
    }
    let org = caller.org();
    let (store, now) = (ctx.store.as_ref(), ctx.clock.now());
    match wait {
        Wait::All => {
            recompute::drain(store, now, Some(org), None).await?;
        }
        Wait::Within(budget) => recompute::drain_for_pull(store, now, org, budget).await?,
        Wait::Marked => recompute::drain_for_marked_pull(store, now, org).await?,
    }
    let snapshot = ctx.store.payroll_snapshot(org).await?;
    Pull::open(snapshot, decode, period_id, sel.filter.clone())
        .await
        .map_err(|e| match e {
            PullError::Period(f) => f.into(),
            PullError::Store(s) => s.into(),
        })
}

fn totals_pb(t: EmployeeTotals, codes: &BTreeSet<String>) -> pb::EmployeeTotals {
    let mut lines = t.lines;
    filter_codes(&mut lines, codes);
    pb::EmployeeTotals {
        employee_id: t.employee.to_string(),
        external_id: t.external_id,
        lines: lines.iter().map(line_pb).collect(),
        open_findings_pending: t.findings_pending,
    }
}

async fn list_totals(
    ctx: &Ctx,
    caller: &Caller,
    req: pb::ListTotalsRequest,
) -> ApiResult<ReceiverStream<Result<pb::ListTotalsResponse, Status>>> {
    let sel = selection(ctx, caller, &req.period_id, req.filter.as_ref()).await?;
    let start = cursor_in(&sel, &req.cursor)?;
    let mut pull = open(ctx, caller, &req.period_id, &sel, Wait::Marked).await?;
    let period = period_pb(&pull.period, pull.locked.as_ref());
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    tokio::spawn(
        async move {
            let mut after = start;
            loop {
                let page = match pull.page(after, PAGE).await {
                    Ok(p) if p.is_empty() => return,
                    Ok(p) => p,
                    Err(e) => {
                        let _ = tx.send(Err(ApiError::from(e).into())).await;
                        return;
                    }
                };
                for t in page {
                    after = Some(t.employee);
                    let msg = pb::ListTotalsResponse {
                        period: Some(period.clone()),
                        cursor: cursor_out(&sel, t.employee),
                        totals: Some(totals_pb(t, &sel.codes)),
                    };
                    if tx.send(Ok(msg)).await.is_err() {
                        return;
                    }
                }
            }
        }
        .in_current_span(),
    );
    Ok(ReceiverStream::new(rx))
}

/// Opens the CSV export `req` asks for: the caller, the period, the filter,
/// the dialect and the cursor checked. Chunks carry the last employee
/// written, for the cursor.
async fn open_csv(
    ctx: &Ctx,
    caller: &Caller,
    req: &pb::ExportTotalsCsvRequest,
) -> ApiResult<(Receiver<StoreResult<CsvChunk>>, Selection)> {
    let mut sel = selection(ctx, caller, &req.period_id, req.filter.as_ref()).await?;
    let dialect = dialect_in(req.dialect)?;
    // A cursor resumes only the dialect it was issued for; RFC 4180
    // cursors stay what they were before dialects existed.
    if dialect != Dialect::Rfc4180 {
        sel.digest = format!("{}-{}", sel.digest, dialect.name());
    }
    let start = cursor_in(&sel, &req.cursor)?;
    let pull = open(
        ctx,
        caller,
        &req.period_id,
        &sel,
        Wait::Within(recompute::CSV_PULL_BUDGET),
    )
    .await?;
    let codes = sel.codes.clone();
    Ok((csv_stream(pull, dialect, codes, start), sel))
}

/// A period's CSV in `dialect`, for a download from the web: the same
/// checks and the same bytes as `ExportTotalsCsv`.
///
/// # Errors
/// As `ExportTotalsCsv`: the role, a malformed period id, storage.
pub async fn csv_download(
    ctx: &Ctx,
    caller: &Caller,
    period_id: &str,
    dialect: Dialect,
) -> ApiResult<Receiver<StoreResult<CsvChunk>>> {
    let req = pb::ExportTotalsCsvRequest {
        period_id: period_id.to_string(),
        dialect: dialect_pb(dialect) as i32,
        ..Default::default()
    };
    Ok(open_csv(ctx, caller, &req).await?.0)
}

async fn export_csv(
    ctx: &Ctx,
    caller: &Caller,
    req: pb::ExportTotalsCsvRequest,
) -> ApiResult<ReceiverStream<Result<pb::ExportTotalsCsvResponse, Status>>> {
    let (mut chunks, sel) = open_csv(ctx, caller, &req).await?;
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(
        async move {
            while let Some(chunk) = chunks.recv().await {
                let msg = chunk
                    .map(|c| pb::ExportTotalsCsvResponse {
                        chunk: c.bytes,
                        cursor: c.last.map(|a| cursor_out(&sel, a)).unwrap_or_default(),
                    })
                    .map_err(|e| ApiError::from(e).into());
                if tx.send(msg).await.is_err() {
                    return;
                }
            }
        }
        .in_current_span(),
    );
    Ok(ReceiverStream::new(rx))
}

/// A period's totals for people to read before a lock.
pub struct Preview {
    pub period: pb::PayrollPeriod,
    /// Every employee's lines, with the intervals still open on the
    /// period's days (the `no.record` gaps a lock raises; 0 once locked).
    pub employees: Vec<EmployeeTotals>,
}

/// The totals of `period_id` with the record's gaps, for the payroll page:
/// the same pull as `ListTotals`. ADMIN or PAYROLL.
///
/// # Errors
/// The role, a malformed period id, storage.
pub async fn preview(ctx: &Ctx, caller: &Caller, period_id: &str) -> ApiResult<Preview> {
    let sel = selection(ctx, caller, period_id, None).await?;
    let mut pull = open(ctx, caller, period_id, &sel, Wait::Marked).await?;
    let period = period_pb(&pull.period, pull.locked.as_ref());
    let mut employees = Vec::new();
    let mut after = None;
    loop {
        let page = pull.page(after, 256).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.employee);
        employees.extend(page);
    }
    Ok(Preview { period, employees })
}

/// The most periods one `ListPeriods` answers.
const MAX_LISTED: usize = 120;

/// `PayrollService.ListPeriods`: ADMIN or PAYROLL.
///
/// # Errors
/// The role, malformed or reversed period ids, storage.
pub async fn list_periods(
    ctx: &Ctx,
    caller: &Caller,
    req: pb::ListPeriodsRequest,
) -> ApiResult<pb::ListPeriodsResponse> {
    caller.require(&[Role::Admin, Role::Payroll])?;
    let mut snapshot = ctx.store.payroll_snapshot(caller.org()).await?;
    let settings = match snapshot.settings().await? {
        Some(s) => decode(&s.encoded)?,
        None => PayrollSettings::default(),
    };
    let kind = settings.kind;
    let named = |field: &str, id: &str| {
        kind.parse(id)
            .map_err(|e| ApiError::invalid(field, e.reason))
    };
    let to = if req.to_period_id.is_empty() {
        kind.period_of(ctx.clock.now().date_naive())
            .ok_or_else(|| ApiError::invalid("to_period_id", "today has no period"))?
    } else {
        named("to_period_id", &req.to_period_id)?
    };
    let mut periods = vec![to];
    let from = if req.from_period_id.is_empty() {
        None
    } else {
        let from = named("from_period_id", &req.from_period_id)?;
        if from.first > periods[0].first {
            return Err(ApiError::invalid(
                "from_period_id",
                format!(
                    "{} is after the last period asked for, {}",
                    from.id, periods[0].id
                ),
            ));
        }
        Some(from)
    };
    loop {
        let first = &periods[periods.len() - 1];
        let done = match &from {
            Some(f) => first.id == f.id,
            None => periods.len() == 12,
        };
        if done {
            break;
        }
        if periods.len() == MAX_LISTED {
            return Err(ApiError::invalid(
                "from_period_id",
                format!("lists at most {MAX_LISTED} periods; ask for a shorter run"),
            ));
        }
        match kind.previous(first) {
            Some(p) => periods.push(p),
            None => break,
        }
    }
    periods.reverse();
    let locked = snapshot.locked_periods().await?;
    let count = |n: i64| i32::try_from(n).unwrap_or(i32::MAX);
    Ok(pb::ListPeriodsResponse {
        periods: periods
            .iter()
            .map(|p| {
                let l = locked.iter().find(|l| l.period_id == p.id);
                pb::ListedPeriod {
                    period: Some(period_pb(p, l)),
                    employee_count: l.map_or(0, |l| count(l.employee_count)),
                    record_violation_count: l.map_or(0, |l| count(l.record_violations)),
                }
            })
            .collect(),
    })
}

/// When local date `last` is over in every zone of `zones`.
/// UTC stands in when the organisation has no employees yet.
fn period_end(zones: &[String], last: chrono::NaiveDate) -> (DateTime<Utc>, Tz) {
    let mut latest: Option<(DateTime<Utc>, Tz)> = None;
    for z in zones {
        if let Ok(tz) = z.parse::<Tz>() {
            let end = start_of_day(tz, last + Duration::days(1));
            if latest.is_none_or(|(t, _)| end > t) {
                latest = Some((end, tz));
            }
        }
    }
    latest.unwrap_or_else(|| (start_of_day(Tz::UTC, last + Duration::days(1)), Tz::UTC))
}

/// `PayrollService.LockPeriod`: ADMIN or PAYROLL.
///
/// # Errors
/// The role, a malformed, locked or unfinished period, storage.
pub async fn lock_period(
    ctx: &Ctx,
    caller: &Caller,
    req: pb::LockPeriodRequest,
) -> ApiResult<pb::LockPeriodResponse> {
    // The lock's instant is taken before its snapshot, so whatever the
    // snapshot misses was stamped before the lock and is re-judged later.
    let now = ctx.clock.now();
    let sel = selection(ctx, caller, &req.period_id, None).await?;
    let mut pull = open(ctx, caller, &req.period_id, &sel, Wait::All).await?;
    if let Some(l) = &pull.locked {
        return Err(ApiError::FailedPrecondition {
            field: "period_id".into(),
            reason: format!(
                "period {} is already locked (at {}, by {})",
                l.period_id,
                l.locked_at.to_rfc3339(),
                l.locked_by
            ),
        });
    }
    let zones = ctx.store.time_zones(caller.org()).await?;
    let (end, tz) = period_end(&zones, pull.period.last);
    if now < end {
        return Err(ApiError::FailedPrecondition {
            field: "period_id".into(),
            reason: format!(
                "period {} has not ended: its last date, {}, is over at {} in {}",
                pull.period.id,
                pull.period.last,
                end.with_timezone(&tz).format("%Y-%m-%d %H:%M %:z"),
                tz.name()
            ),
        });
    }
    let plan = plan_lock(&mut pull).await?;
    let locked = LockedPeriod {
        period_id: pull.period.id.clone(),
        first: pull.period.first,
        last: pull.period.last,
        locked_at: now,
        locked_by: caller.token.author(),
        settings: super::payroll_convert::encode(&pull.settings),
        plans_digest: plan.plans_digest,
        employee_count: i64::try_from(plan.employees.len()).unwrap_or(i64::MAX),
        record_violations: plan.record_violations,
    };
    let span = crate::domain::engine::record::Span::new(
        start_of_day(Tz::UTC, pull.period.first) - Duration::hours(15),
        end,
    );
    ctx.store
        .lock_period(
            caller.org(),
            locked.clone(),
            plan.employees,
            plan.requeue,
            span,
        )
        .await?;
    tracing::info!(
        period_id = %locked.period_id,
        employees = locked.employee_count,
        record_violations = locked.record_violations,
        "payroll period locked"
    );
    ctx.audit(
        caller,
        AuditAction::PeriodLock,
        None,
        Some(format!("period:{}", locked.period_id)),
        None,
    )
    .await;
    Ok(pb::LockPeriodResponse {
        period: Some(period_pb(&pull.period, Some(&locked))),
        employee_count: i32::try_from(locked.employee_count).unwrap_or(i32::MAX),
        record_violation_count: i32::try_from(locked.record_violations).unwrap_or(i32::MAX),
    })
}

/// `AdminService.SetPayrollSettings`: ADMIN only.
pub async fn set_settings(
    ctx: &Ctx,
    caller: &Caller,
    req: pb::SetPayrollSettingsRequest,
) -> ApiResult<pb::SetPayrollSettingsResponse> {
    caller.require(&[Role::Admin])?;
    let m = req
        .settings
        .ok_or_else(|| ApiError::invalid("settings", "is required"))?;
    let s = settings_in("settings", &m)?;
    let now = ctx.clock.now();
    let by = caller.token.author();
    ctx.store
        .set_payroll_settings(caller.org(), stored(&s, now, by.clone()))
        .await?;
    ctx.audit(caller, AuditAction::PayrollSettings, None, None, None)
        .await;
    let mut out = settings_pb(&s);
    out.updated_at = Some(timestamp(now));
    out.updated_by = by;
    Ok(pb::SetPayrollSettingsResponse {
        settings: Some(out),
    })
}

/// `AdminService.GetPayrollSettings`: ADMIN or PAYROLL.
pub async fn get_settings(ctx: &Ctx, caller: &Caller) -> ApiResult<pb::GetPayrollSettingsResponse> {
    caller.require(&[Role::Admin, Role::Payroll])?;
    let out = match ctx.store.payroll_settings(caller.org()).await? {
        Some(s) => {
            let mut m = settings_pb(&decode(&s.encoded)?);
            m.updated_at = Some(timestamp(s.updated_at));
            m.updated_by = s.updated_by;
            m
        }
        None => settings_pb(&PayrollSettings::default()),
    };
    Ok(pb::GetPayrollSettingsResponse {
        settings: Some(out),
    })
}

#[tonic::async_trait]
impl PayrollService for PayrollApi {
    type ListTotalsStream = ReceiverStream<Result<pb::ListTotalsResponse, Status>>;
    type ExportTotalsCsvStream = ReceiverStream<Result<pb::ExportTotalsCsvResponse, Status>>;

    #[tracing::instrument(name = "ListTotals", skip_all, fields(token_id))]
    async fn list_totals(
        &self,
        request: Request<pb::ListTotalsRequest>,
    ) -> Result<Response<Self::ListTotalsStream>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            list_totals(&self.ctx, &caller, request.into_inner()).await?,
        ))
    }

    #[tracing::instrument(name = "ExportTotalsCsv", skip_all, fields(token_id))]
    async fn export_totals_csv(
        &self,
        request: Request<pb::ExportTotalsCsvRequest>,
    ) -> Result<Response<Self::ExportTotalsCsvStream>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            export_csv(&self.ctx, &caller, request.into_inner()).await?,
        ))
    }

    #[tracing::instrument(name = "ListPeriods", skip_all, fields(token_id))]
    async fn list_periods(
        &self,
        request: Request<pb::ListPeriodsRequest>,
    ) -> Result<Response<pb::ListPeriodsResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            list_periods(&self.ctx, &caller, request.into_inner()).await?,
        ))
    }

    #[tracing::instrument(name = "LockPeriod", skip_all, fields(token_id))]
    async fn lock_period(
        &self,
        request: Request<pb::LockPeriodRequest>,
    ) -> Result<Response<pb::LockPeriodResponse>, Status> {
        let caller = self.ctx.auth.caller(&request).await?;
        Ok(Response::new(
            lock_period(&self.ctx, &caller, request.into_inner()).await?,
        ))
    }
}
