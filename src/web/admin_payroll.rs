//! The HR console's payroll pages (ADMIN): the periods, a period's totals
//! with the record's gaps listed first, the lock (after a confirmation), and
//! the CSV in both dialects. Thin: the use cases of `PayrollService` do the
//! work and the checks; a CSV download streams the same bytes as
//! `ExportTotalsCsv`.

use axum::body::Body;
use axum::extract::{Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tokio_stream::StreamExt as _;
use tokio_stream::wrappers::ReceiverStream;

use super::error::WebError;
use super::i18n::word;
use super::session::Person;
use super::{WebState, see_other, view};
use crate::domain::employee::Locale;
use crate::domain::payroll::csv::Dialect;
use crate::domain::payroll::lines::Category;
use crate::grpc::payroll_service;
use crate::pb;

/// Only admins see the console: anyone else gets 403 before anything is
/// read.
fn admin(person: &Person) -> Result<(), WebError> {
    if person.is_admin() {
        Ok(())
    } else {
        Err(WebError::Forbidden(person.locale))
    }
}

fn hours(l: Locale, minutes: i64) -> String {
    match l {
        Locale::Nb => Dialect::ExcelNb.hours(minutes),
        Locale::En => Dialect::Rfc4180.hours(minutes),
    }
}

fn when(t: Option<&prost_types::Timestamp>) -> String {
    t.and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0))
        .map_or_else(String::new, |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
}

fn dates(p: &pb::PayrollPeriod) -> String {
    let d = |d: Option<&pb::LocalDate>| {
        d.map_or_else(String::new, |d| {
            format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
        })
    };
    let r = p.dates.unwrap_or_default();
    format!("{} – {}", d(r.start.as_ref()), d(r.end.as_ref()))
}

#[derive(Debug, Serialize)]
struct PeriodRow {
    id: String,
    dates: String,
    locked: bool,
    locked_at: String,
    locked_by: String,
}

fn period_row(p: &pb::PayrollPeriod) -> PeriodRow {
    PeriodRow {
        id: p.period_id.clone(),
        dates: dates(p),
        locked: p.status() == pb::PeriodStatus::Locked,
        locked_at: when(p.locked_at.as_ref()),
        locked_by: p.locked_by.clone(),
    }
}

#[derive(Debug, Serialize)]
struct PeriodsView {
    periods: Vec<PeriodRow>,
}

/// `GET /admin/payroll`: the last twelve periods, newest first.
pub async fn periods(State(state): State<WebState>, person: Person) -> Result<Response, WebError> {
    admin(&person)?;
    let l = person.locale;
    let listed = payroll_service::list_periods(
        &state.ctx,
        &person.caller,
        pb::ListPeriodsRequest::default(),
    )
    .await
    .map_err(|e| person.fail(e))?;
    let periods = listed
        .periods
        .iter()
        .rev()
        .filter_map(|p| p.period.as_ref().map(period_row))
        .collect();
    Ok(view::render(
        StatusCode::OK,
        "admin_payroll.html.j2",
        l,
        &person.chrome("console"),
        word(l, "pay_title"),
        &PeriodsView { periods },
    ))
}

#[derive(Debug, Serialize)]
struct Gap {
    external_id: String,
    open_intervals: i64,
}

#[derive(Debug, Serialize)]
struct LineRow {
    pay_code: String,
    category: &'static str,
    hours: String,
    minutes: i64,
    adjusts: String,
}

#[derive(Debug, Serialize)]
struct EmployeeRow {
    external_id: String,
    employee_id: String,
    open_findings: i64,
    /// The count may still change: see `EmployeeTotals::findings_pending`.
    findings_pending: bool,
    lines: Vec<LineRow>,
}

#[derive(Debug, Serialize)]
struct PeriodView {
    period: PeriodRow,
    gaps: Vec<Gap>,
    employees: Vec<EmployeeRow>,
    /// Some employee's open findings count waits for a recompute.
    findings_pending: bool,
    /// The lock form's error beside the confirmation, if any.
    confirm_error: String,
}

async fn period_page(
    state: &WebState,
    person: &Person,
    period_id: &str,
    confirm_error: &str,
) -> Result<Response, WebError> {
    let l = person.locale;
    let p = payroll_service::preview(&state.ctx, &person.caller, period_id)
        .await
        .map_err(|e| person.fail(e))?;
    let gaps = p
        .employees
        .iter()
        .filter(|e| e.open_intervals > 0)
        .map(|e| Gap {
            external_id: e.external_id.clone(),
            open_intervals: e.open_intervals,
        })
        .collect();
    let employees: Vec<EmployeeRow> = p
        .employees
        .iter()
        .map(|e| EmployeeRow {
            external_id: e.external_id.clone(),
            employee_id: e.employee.to_string(),
            open_findings: crate::domain::payroll::csv::open_findings(&e.lines),
            findings_pending: e.findings_pending,
            lines: e
                .lines
                .iter()
                .filter(|x| x.key.category != Category::OpenFindings)
                .map(|x| LineRow {
                    pay_code: x.pay_code.clone(),
                    category: x.key.category.name(),
                    hours: hours(l, x.minutes),
                    minutes: x.minutes,
                    adjusts: x
                        .adjustment
                        .as_ref()
                        .map(|a| a.period_id.clone())
                        .unwrap_or_default(),
                })
                .collect(),
        })
        .collect();
    let status = if confirm_error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let title = format!("{} {}", word(l, "pay_period"), p.period.period_id);
    Ok(view::render(
        status,
        "admin_payroll_period.html.j2",
        l,
        &person.chrome("console"),
        &title,
        &PeriodView {
            period: period_row(&p.period),
            gaps,
            findings_pending: employees.iter().any(|e| e.findings_pending),
            employees,
            confirm_error: confirm_error.to_owned(),
        },
    ))
}

/// `GET /admin/payroll/{period}`: the totals preview, gaps first.
pub async fn period(
    State(state): State<WebState>,
    person: Person,
    Path(period_id): Path<String>,
) -> Result<Response, WebError> {
    admin(&person)?;
    period_page(&state, &person, &period_id, "").await
}

#[derive(Debug, Deserialize)]
pub struct LockForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /admin/payroll/{period}/lock`: locks only with the confirmation
/// ticked; without it the page comes back with the error beside the box.
pub async fn lock(
    State(state): State<WebState>,
    person: Person,
    Path(period_id): Path<String>,
    Form(f): Form<LockForm>,
) -> Result<Response, WebError> {
    admin(&person)?;
    person.check_csrf(&f.csrf)?;
    if f.confirm != "yes" {
        let why = word(person.locale, "pay_confirm_missing");
        return period_page(&state, &person, &period_id, why).await;
    }
    payroll_service::lock_period(
        &state.ctx,
        &person.caller,
        pb::LockPeriodRequest {
            period_id: period_id.clone(),
        },
    )
    .await
    .map_err(|e| person.fail(e))?;
    Ok(see_other(&format!("/admin/payroll/{period_id}")))
}

#[derive(Debug, Deserialize)]
pub struct CsvQuery {
    #[serde(default)]
    dialect: String,
}

/// `GET /admin/payroll/{period}/csv?dialect=rfc4180|excel-nb`: the file,
/// streamed as it is written.
pub async fn csv(
    State(state): State<WebState>,
    person: Person,
    Path(period_id): Path<String>,
    Query(q): Query<CsvQuery>,
) -> Result<Response, WebError> {
    admin(&person)?;
    let dialect = match q.dialect.as_str() {
        "" | "rfc4180" => Dialect::Rfc4180,
        "excel-nb" => Dialect::ExcelNb,
        other => {
            return Err(WebError::BadRequest(
                person.locale,
                format!("dialect: {other:?} is not a CSV dialect: use rfc4180 or excel-nb"),
            ));
        }
    };
    let chunks = payroll_service::csv_download(&state.ctx, &person.caller, &period_id, dialect)
        .await
        .map_err(|e| person.fail(e))?;
    let body = Body::from_stream(
        ReceiverStream::new(chunks).map(|c| c.map(|c| c.bytes).map_err(std::io::Error::other)),
    );
    let name = format!("tidsvakt-{period_id}-{}.csv", dialect.name());
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response())
}
