//! The § 10-7 working-time record on the web, for the safety
//! representative, the labour inspector and HR: `/record` (the employees in
//! scope with their totals and findings), `/record/{employee}` (one
//! employee's days, intervals, corrections and findings), `/record/print`
//! (every employee, one per printed page, with a header saying who printed
//! what and when) and `/record.csv`. All read through
//! `usecase::working_time_record`, which checks the reader's scope and logs
//! every employee read.

// `l`, `p`, `q`, `r`: locale, period, query, record, as in the other pages.
#![allow(clippy::many_single_char_names)]

use std::fmt::Write as _;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::WebState;
use super::error::WebError;
use super::format;
use super::i18n::word;
use super::session::Person;
use super::view;
use crate::domain::audit::AuditAction;
use crate::domain::employee::Locale;
use crate::domain::ids::EmployeeId;
use crate::domain::payroll::csv::Dialect;
use crate::domain::record_period::RecordPeriod;
use crate::pb;
use crate::usecase::working_time_record::{self, READERS, Who};

/// The most employees one page, CSV or report holds.
const MAX_EMPLOYEES: usize = 500;

/// The record's routes, merged into `web::router`.
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/record", get(list))
        .route("/record.csv", get(csv))
        .route("/record/print", get(print))
        .route("/record/print.js", get(print_script))
        .route("/record/{employee}", get(one))
}

#[derive(Debug, Default, Deserialize)]
pub struct PeriodQuery {
    #[serde(default)]
    period: String,
}

/// The period asked for; this month when none is.
fn period(q: &PeriodQuery, now: DateTime<Utc>) -> Result<RecordPeriod, ()> {
    if q.period.trim().is_empty() {
        let month = format!("{:04}-{:02}", now.year(), now.month());
        return RecordPeriod::month("period", &month).map_err(|_| ());
    }
    RecordPeriod::parse("period", &q.period).map_err(|_| ())
}

#[derive(Debug, Serialize)]
struct ListRow {
    name: String,
    external_id: String,
    department: String,
    link: String,
    worked: String,
    overtime: String,
    violations: usize,
    warnings: usize,
    patterns: usize,
    amendments: usize,
}

#[derive(Debug, Serialize)]
struct ListView {
    /// What the period field shows: what was typed, or the period read.
    period: String,
    error: String,
    heading: String,
    rows: Vec<ListRow>,
    query: String,
}

/// Refuses (and logs) a person whose role does not read the record, before
/// anything else is looked at.
async fn reader(state: &WebState, person: &Person) -> Result<(), WebError> {
    state
        .ctx
        .require(&person.caller, &READERS, AuditAction::ReadWorkingTimeRecord)
        .await
        .map_err(|e| person.fail(e))
}

fn query_of(p: RecordPeriod) -> String {
    format!("period={}", p.label())
}

fn period_heading(l: Locale, p: RecordPeriod) -> String {
    format!(
        "{} {} – {}",
        word(l, "record_period"),
        format::date(l, p.first),
        format::date(l, p.last)
    )
}

/// `GET /record?period=YYYY-MM`.
pub async fn list(
    State(state): State<WebState>,
    person: Person,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, WebError> {
    reader(&state, &person).await?;
    let l = person.locale;
    let Ok(p) = period(&q, state.ctx.clock.now()) else {
        let v = ListView {
            period: q.period.chars().take(40).collect(),
            error: word(l, "record_period_bad").into(),
            heading: String::new(),
            rows: Vec::new(),
            query: String::new(),
        };
        return Ok(view::render(
            StatusCode::BAD_REQUEST,
            "record.html.j2",
            l,
            &person.chrome("record"),
            word(l, "record_title"),
            &v,
        ));
    };
    let (records, _) = working_time_record::records(
        &state.ctx,
        &person.caller,
        p,
        Who::Page {
            after: None,
            limit: MAX_EMPLOYEES,
        },
    )
    .await
    .map_err(|e| person.fail(e))?;
    let rows = records
        .iter()
        .map(|r| {
            let t = r.timesheet.clone().unwrap_or_default();
            let totals = t.totals.unwrap_or_default();
            let count =
                |s: pb::Severity| t.findings.iter().filter(|f| f.severity == s as i32).count();
            ListRow {
                name: r.name.clone(),
                external_id: r.external_id.clone(),
                department: r.department.clone(),
                link: format!("/record/{}?{}", r.employee_id, query_of(p)),
                worked: format::minutes(l, totals.worked_minutes),
                overtime: format::minutes(l, totals.overtime_minutes),
                violations: count(pb::Severity::Violation),
                warnings: count(pb::Severity::Warning),
                patterns: count(pb::Severity::Pattern),
                amendments: r.amendments.len(),
            }
        })
        .collect();
    let v = ListView {
        period: p.label(),
        error: String::new(),
        heading: period_heading(l, p),
        rows,
        query: query_of(p),
    };
    Ok(view::render(
        StatusCode::OK,
        "record.html.j2",
        l,
        &person.chrome("record"),
        word(l, "record_title"),
        &v,
    ))
}

#[derive(Debug, Serialize)]
struct DayView {
    date: String,
    holiday: String,
    intervals: Vec<String>,
    absences: String,
    worked: String,
    overtime: String,
    findings: usize,
}

#[derive(Debug, Serialize)]
struct AmendmentView {
    change: &'static str,
    at: String,
    reason: String,
    author: String,
    made: String,
}

#[derive(Debug, Serialize)]
struct FindingView {
    rule: String,
    rule_id: String,
    severity: &'static str,
    tone: &'static str,
    window: String,
    measured: String,
    limit: String,
    explanation: String,
    citation: String,
    resolved: bool,
}

#[derive(Debug, Serialize)]
struct EmployeeView {
    id: String,
    name: String,
    external_id: String,
    department: String,
    time_zone: String,
    worked: String,
    normal: String,
    overtime: String,
    night: String,
    sunday_holiday: String,
    days: Vec<DayView>,
    amendments: Vec<AmendmentView>,
    findings: Vec<FindingView>,
}

/// "2026-11-03 08:00 +01:00": local time with its offset, as § 10-7
/// readers compare it with other records.
fn local(tz: Tz, t: Option<&prost_types::Timestamp>) -> String {
    format::ts(t).map_or_else(
        || "…".to_owned(),
        |t| {
            t.with_timezone(&tz)
                .format("%Y-%m-%d %H:%M %:z")
                .to_string()
        },
    )
}

/// A finding's figure in its unit.
fn figure(l: Locale, unit: i32, v: i64) -> String {
    if unit == pb::ValueUnit::Minutes as i32 {
        format::minutes(l, v)
    } else {
        v.to_string()
    }
}

#[allow(clippy::too_many_lines)] // one view model, field by field
fn employee_view(l: Locale, r: &pb::EmployeeWorkingTimeRecord) -> EmployeeView {
    let t = r.timesheet.clone().unwrap_or_default();
    let tz: Tz = t.time_zone.parse().unwrap_or(Tz::Europe__Oslo);
    let totals = t.totals.clone().unwrap_or_default();
    let days = t
        .days
        .iter()
        .filter(|d| d.worked_minutes > 0 || !d.intervals.is_empty() || !d.absences.is_empty())
        .map(|d| DayView {
            date: d
                .date
                .as_ref()
                .and_then(|d| crate::grpc::timesheet_convert::date_in("date", Some(d)).ok())
                .map(|d| format::date(l, d))
                .unwrap_or_default(),
            holiday: d.holiday_name.clone(),
            intervals: d
                .intervals
                .iter()
                .map(|i| {
                    format!(
                        "{} – {} ({})",
                        local(tz, i.start.as_ref()),
                        if i.open {
                            word(l, "record_open").to_owned()
                        } else {
                            local(tz, i.end.as_ref())
                        },
                        format::minutes(l, i.worked_minutes_on_day)
                    )
                })
                .collect(),
            absences: d
                .absences
                .iter()
                .map(|a| {
                    format!(
                        "{} {}",
                        format::absence(l, a.kind),
                        format::minutes(l, a.minutes)
                    )
                })
                .collect::<Vec<_>>()
                .join(", "),
            worked: format::minutes(l, d.worked_minutes),
            overtime: format::minutes(l, d.overtime_minutes),
            findings: d.finding_ids.len(),
        })
        .collect();
    let amendments = r
        .amendments
        .iter()
        .map(|a| AmendmentView {
            change: match a.change.as_str() {
                "ADD" => word(l, "record_change_add"),
                "VOID" => word(l, "record_change_void"),
                _ => word(l, "record_change_move"),
            },
            at: if a.occurred_at.is_some() {
                local(tz, a.occurred_at.as_ref())
            } else {
                String::new()
            },
            reason: a.reason.clone(),
            author: format::author(l, &a.author),
            made: local(tz, a.created_at.as_ref()),
        })
        .collect();
    let mut findings: Vec<FindingView> = t
        .findings
        .iter()
        .map(|f| {
            let (severity, tone) = format::severity(l, f.severity);
            FindingView {
                rule: r.rule_names.get(&f.rule_id).cloned().unwrap_or_default(),
                rule_id: f.rule_id.clone(),
                severity,
                tone,
                window: format!(
                    "{} – {}",
                    local(tz, f.window_start.as_ref()),
                    local(tz, f.window_end.as_ref())
                ),
                measured: figure(l, f.unit, f.measured),
                limit: figure(l, f.unit, f.limit),
                explanation: f.explanation.clone(),
                citation: f.citation.clone(),
                resolved: f.status == pb::FindingStatus::Resolved as i32,
            }
        })
        .collect();
    // Oldest first, as the days run.
    findings.reverse();
    EmployeeView {
        id: r.employee_id.clone(),
        name: r.name.clone(),
        external_id: r.external_id.clone(),
        department: r.department.clone(),
        time_zone: t.time_zone.clone(),
        worked: format::minutes(l, totals.worked_minutes),
        normal: format::minutes(l, totals.normal_minutes),
        overtime: format::minutes(l, totals.overtime_minutes),
        night: format::minutes(l, totals.night_minutes),
        sunday_holiday: format::minutes(l, totals.sunday_holiday_minutes),
        days,
        amendments,
        findings,
    }
}

#[derive(Debug, Serialize)]
struct OneView {
    heading: String,
    back: String,
    e: EmployeeView,
}

/// `GET /record/{employee}?period=…`.
pub async fn one(
    State(state): State<WebState>,
    person: Person,
    Path(employee): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, WebError> {
    reader(&state, &person).await?;
    let l = person.locale;
    let id = employee
        .parse()
        .map(EmployeeId)
        .map_err(|_| WebError::NotFound(l))?;
    let p = period(&q, state.ctx.clock.now())
        .map_err(|()| WebError::BadRequest(l, word(l, "record_period_bad").into()))?;
    let (records, _) = working_time_record::records(&state.ctx, &person.caller, p, Who::One(id))
        .await
        .map_err(|e| person.fail(e))?;
    let r = records.first().ok_or(WebError::NotFound(l))?;
    let v = OneView {
        heading: period_heading(l, p),
        back: format!("/record?{}", query_of(p)),
        e: employee_view(l, r),
    };
    Ok(view::render(
        StatusCode::OK,
        "record_employee.html.j2",
        l,
        &person.chrome("record"),
        &r.name,
        &v,
    ))
}

#[derive(Debug, Serialize)]
struct PrintView {
    organisation: String,
    period: String,
    reader: String,
    printed_at: String,
    back: String,
    employees: Vec<EmployeeView>,
}

/// `GET /record/print?period=…`: every employee in scope, one per printed
/// page.
pub async fn print(
    State(state): State<WebState>,
    person: Person,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, WebError> {
    reader(&state, &person).await?;
    let l = person.locale;
    let now = state.ctx.clock.now();
    let p = period(&q, now)
        .map_err(|()| WebError::BadRequest(l, word(l, "record_period_bad").into()))?;
    let (records, _) = working_time_record::records(
        &state.ctx,
        &person.caller,
        p,
        Who::Page {
            after: None,
            limit: MAX_EMPLOYEES,
        },
    )
    .await
    .map_err(|e| person.fail(e))?;
    let organisation = state
        .ctx
        .store
        .organisation(person.caller.org())
        .await
        .map_err(|_| WebError::Unavailable(l))?
        .map(|o| o.name)
        .unwrap_or_default();
    // The reader's own zone is unknown; the organisation's employees are
    // Norwegian by default, and the offset is printed.
    let tz = records
        .first()
        .and_then(|r| r.timesheet.as_ref())
        .and_then(|t| t.time_zone.parse().ok())
        .unwrap_or(Tz::Europe__Oslo);
    let v = PrintView {
        organisation,
        period: period_heading(l, p),
        reader: format::author(l, &person.caller.token.author()),
        printed_at: now
            .with_timezone(&tz)
            .format("%Y-%m-%d %H:%M %:z")
            .to_string(),
        back: format!("/record?{}", query_of(p)),
        employees: records.iter().map(|r| employee_view(l, r)).collect(),
    };
    Ok(view::render(
        StatusCode::OK,
        "record_print.html.j2",
        l,
        &person.chrome("record"),
        word(l, "record_title"),
        &v,
    ))
}

/// The print button's script: a file, since the pages' content security
/// policy allows no inline script.
async fn print_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        "document.getElementById('print').addEventListener('click', function () { window.print(); });\n",
    )
        .into_response()
}

/// The CSV's columns, documented in the README.
pub const CSV_HEADER: &str = "record,employee_id,external_id,name,department,date,start,end,\
worked_minutes,overtime_minutes,kind,severity,measured,limit,detail,reason,author\r\n";

fn csv_row(out: &mut String, cols: &[&str; 17]) {
    for (i, c) in cols.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        Dialect::Rfc4180.field(out, c);
    }
    out.push_str("\r\n");
}

/// One employee's rows: a `day` row per day with work or absence, an
/// `interval` row per interval on it, an `amendment` row per correction and
/// a `finding` row per finding. Instants are local with their offset;
/// minutes are whole numbers, as in `GetTimesheet`.
#[allow(clippy::too_many_lines)] // four row kinds, each spelled out column by column
fn csv_rows(out: &mut String, r: &pb::EmployeeWorkingTimeRecord) {
    let t = r.timesheet.clone().unwrap_or_default();
    let tz: Tz = t.time_zone.parse().unwrap_or(Tz::Europe__Oslo);
    let rfc = |ts: Option<&prost_types::Timestamp>| {
        format::ts(ts)
            .map(|t| t.with_timezone(&tz).to_rfc3339())
            .unwrap_or_default()
    };
    let who = [
        r.employee_id.as_str(),
        r.external_id.as_str(),
        r.name.as_str(),
        r.department.as_str(),
    ];
    for d in &t.days {
        if d.worked_minutes == 0 && d.intervals.is_empty() && d.absences.is_empty() {
            continue;
        }
        let date = d
            .date
            .as_ref()
            .map(|d| format!("{:04}-{:02}-{:02}", d.year, d.month, d.day))
            .unwrap_or_default();
        let absences = d
            .absences
            .iter()
            .map(|a| {
                format!(
                    "{}:{}",
                    pb::AbsenceKind::try_from(a.kind)
                        .map(|k| k.as_str_name())
                        .unwrap_or_default(),
                    a.minutes
                )
            })
            .collect::<Vec<_>>()
            .join(" ");
        csv_row(
            out,
            &[
                "day",
                who[0],
                who[1],
                who[2],
                who[3],
                &date,
                "",
                "",
                &d.worked_minutes.to_string(),
                &d.overtime_minutes.to_string(),
                "",
                "",
                "",
                "",
                &absences,
                "",
                "",
            ],
        );
        for i in &d.intervals {
            csv_row(
                out,
                &[
                    "interval",
                    who[0],
                    who[1],
                    who[2],
                    who[3],
                    &date,
                    &rfc(i.start.as_ref()),
                    &rfc(i.end.as_ref()),
                    &i.worked_minutes_on_day.to_string(),
                    "",
                    if i.open { "OPEN" } else { "" },
                    "",
                    "",
                    "",
                    &i.interval_id,
                    "",
                    "",
                ],
            );
        }
    }
    for a in &r.amendments {
        csv_row(
            out,
            &[
                "amendment",
                who[0],
                who[1],
                who[2],
                who[3],
                "",
                &rfc(a.occurred_at.as_ref()),
                &rfc(a.created_at.as_ref()),
                "",
                "",
                &a.change,
                "",
                "",
                "",
                &a.target_event_id,
                &a.reason,
                &a.author,
            ],
        );
    }
    for f in &t.findings {
        let severity = pb::Severity::try_from(f.severity)
            .map(|s| s.as_str_name())
            .unwrap_or_default();
        let date = format::ts(f.at.as_ref())
            .map(|t| t.with_timezone(&tz).date_naive().to_string())
            .unwrap_or_default();
        let mut detail = r.rule_names.get(&f.rule_id).cloned().unwrap_or_default();
        let _ = write!(detail, ": {}", f.explanation);
        csv_row(
            out,
            &[
                "finding",
                who[0],
                who[1],
                who[2],
                who[3],
                &date,
                &rfc(f.window_start.as_ref()),
                &rfc(f.window_end.as_ref()),
                "",
                "",
                &f.rule_id,
                severity,
                &f.measured.to_string(),
                &f.limit.to_string(),
                &detail,
                "",
                "",
            ],
        );
    }
}

/// `GET /record.csv?period=…`.
pub async fn csv(
    State(state): State<WebState>,
    person: Person,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, WebError> {
    reader(&state, &person).await?;
    let l = person.locale;
    let p = period(&q, state.ctx.clock.now())
        .map_err(|()| WebError::BadRequest(l, word(l, "record_period_bad").into()))?;
    let (records, _) = working_time_record::records(
        &state.ctx,
        &person.caller,
        p,
        Who::Page {
            after: None,
            limit: MAX_EMPLOYEES,
        },
    )
    .await
    .map_err(|e| person.fail(e))?;
    let mut out = String::from(CSV_HEADER);
    for r in &records {
        csv_rows(&mut out, r);
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"tidsvakt-record-{}.csv\"", p.label()),
            ),
        ],
        out,
    )
        .into_response())
}
