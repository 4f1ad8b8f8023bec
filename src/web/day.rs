//! *Correct a day*: the day's events with what corrections did to them,
//! every correction with who, when and why, and forms to add, move or void
//! an event with a required reason. A manager sees a report's day read only.

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{NaiveDate, NaiveTime, TimeZone as _};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::WebError;
use super::format;
use super::i18n::word;
use super::session::Person;
use super::time::{FindingView, IntervalView, finding_day, finding_view, interval_view};
use super::view;
use super::{WebState, see_other};
use crate::domain::employee::Locale;
use crate::domain::event::Change;
use crate::domain::ids::EmployeeId;
use crate::grpc::error::ApiError;
use crate::grpc::timesheet_convert::date_pb;
use crate::grpc::{clock_service, convert, timesheet_service};
use crate::pb;
use crate::usecase::record::{self, EventFate};

#[derive(Debug, Serialize)]
struct EventView {
    id: String,
    time: String,
    kind: String,
    location: String,
    source: String,
    fate: String,
    struck: bool,
    /// Whether the forms may name it (it is in the effective record).
    live: bool,
}

#[derive(Debug, Serialize)]
struct AmendmentView {
    what: String,
    who: String,
    when: String,
    why: String,
}

/// What the person typed, and what was wrong with it, by field.
#[derive(Debug, Default, Serialize)]
struct FormState {
    action: String,
    kind: String,
    time: String,
    location: String,
    event_id: String,
    reason: String,
    errors: BTreeMap<String, String>,
}

#[derive(Debug, Serialize)]
struct DayView {
    heading: String,
    date: String,
    label: String,
    prev: String,
    next: String,
    week: String,
    editable: bool,
    locked: bool,
    saved: bool,
    events: Vec<EventView>,
    amendments: Vec<AmendmentView>,
    intervals: Vec<IntervalView>,
    worked: String,
    findings: Vec<FindingView>,
    amendment_id: String,
    form: FormState,
    time_zone: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct DayQuery {
    saved: Option<String>,
}

fn parse_date(l: Locale, s: &str) -> Result<NaiveDate, WebError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|d| (1900..=9999).contains(&chrono::Datelike::year(d)))
        .ok_or(WebError::NotFound(l))
}

#[allow(clippy::too_many_lines, clippy::too_many_arguments)] // one view model; the form's state travels with it
async fn render_day(
    state: &WebState,
    person: &Person,
    employee: EmployeeId,
    date: NaiveDate,
    own: bool,
    saved: bool,
    form: FormState,
    status: StatusCode,
) -> Result<Response, WebError> {
    let l = person.locale;
    let ctx = &state.ctx;
    let day = record::day_record(ctx, &person.caller, employee, date)
        .await
        .map_err(|e| person.fail(e))?;
    let tz = day.employee.fields.time_zone;
    let sheet = timesheet_service::get_timesheet(
        ctx,
        &person.caller,
        pb::GetTimesheetRequest {
            employee_id: employee.to_string(),
            dates: Some(pb::LocalDateRange {
                start: Some(date_pb(date)),
                end: Some(date_pb(date)),
            }),
        },
    )
    .await
    .map_err(|e| person.fail(e))?;
    let sheet_day = sheet.days.first().cloned().unwrap_or_default();
    let base = if own {
        "/time".to_owned()
    } else {
        format!("/people/{employee}/time")
    };
    let events = day
        .events
        .iter()
        .map(|e| {
            let (fate, struck) = match e.fate {
                EventFate::Kept => (String::new(), false),
                EventFate::Added => (word(l, "am_add").to_lowercase(), false),
                EventFate::Voided => (word(l, "voided").to_owned(), true),
                EventFate::Moved(t) => (
                    format!("{} {}", word(l, "moved_to"), format::instant(l, tz, t)),
                    true,
                ),
            };
            EventView {
                id: e.id.to_string(),
                time: format::clock(tz, e.occurred_at),
                kind: format::event_kind(l, convert::event_kind_pb(e.kind)).into(),
                location: format::location(l, convert::location_pb(e.location)).into(),
                source: format::source(l, &e.source),
                fate,
                struck,
                live: e.fate != EventFate::Voided,
            }
        })
        .collect();
    let by_id: std::collections::HashMap<Uuid, String> = day
        .events
        .iter()
        .map(|e| {
            (
                e.id,
                format!(
                    "{} {}",
                    format::event_kind(l, convert::event_kind_pb(e.kind)),
                    format::clock(tz, e.occurred_at)
                ),
            )
        })
        .collect();
    let amendments = day
        .amendments
        .iter()
        .map(|a| AmendmentView {
            what: match &a.request.change {
                Change::Add {
                    kind, occurred_at, ..
                } => format!(
                    "{} {} {}",
                    word(l, "am_add"),
                    format::event_kind(l, convert::event_kind_pb(*kind)).to_lowercase(),
                    format::clock(tz, *occurred_at)
                ),
                Change::Void { target } => format!(
                    "{} {}",
                    word(l, "am_void"),
                    by_id
                        .get(target)
                        .cloned()
                        .unwrap_or_default()
                        .to_lowercase()
                ),
                Change::Move {
                    target,
                    occurred_at,
                } => format!(
                    "{} {} → {}",
                    word(l, "am_move"),
                    by_id
                        .get(target)
                        .cloned()
                        .unwrap_or_default()
                        .to_lowercase(),
                    format::instant(l, tz, *occurred_at)
                ),
            },
            who: format::author(l, &a.author),
            when: format::instant(l, tz, a.created_at),
            why: a.request.reason.clone(),
        })
        .collect();
    let findings = sheet
        .findings
        .iter()
        .filter(|f| {
            finding_day(tz, f) == Some(date) || sheet_day.finding_ids.contains(&f.finding_id)
        })
        .map(|f| finding_view(l, tz, f, format!("#finding-{}", f.finding_id)))
        .collect();
    let v = DayView {
        heading: if own {
            word(l, "correct_day").to_owned()
        } else {
            format!("{} {}", word(l, "timesheet_of"), day.employee.fields.name)
        },
        date: date.to_string(),
        label: format::date(l, date),
        prev: format!("{base}/{}", date.pred_opt().unwrap_or(date)),
        next: format!("{base}/{}", date.succ_opt().unwrap_or(date)),
        week: format!("{base}?week={}", crate::links::iso_week(date)),
        editable: own,
        locked: day.locked,
        saved,
        events,
        amendments,
        intervals: sheet_day
            .intervals
            .iter()
            .map(|i| interval_view(l, tz, i))
            .collect(),
        worked: format::minutes(l, sheet_day.worked_minutes),
        findings,
        amendment_id: Uuid::new_v4().to_string(),
        form,
        time_zone: tz.name().to_owned(),
    };
    let title = format!("{} – {}", v.heading, v.label);
    Ok(view::render(
        status,
        "day.html.j2",
        l,
        &person.chrome(if own { "time" } else { "team" }),
        &title,
        &v,
    ))
}

/// `GET /time/{date}`.
pub async fn own_page(
    State(state): State<WebState>,
    person: Person,
    Path(date): Path<String>,
    Query(q): Query<DayQuery>,
) -> Result<Response, WebError> {
    let id = person.own()?.id;
    let date = parse_date(person.locale, &date)?;
    render_day(
        &state,
        &person,
        id,
        date,
        true,
        q.saved.is_some(),
        FormState::default(),
        StatusCode::OK,
    )
    .await
}

/// `GET /people/{employee}/time/{date}`: read only.
pub async fn person_page(
    State(state): State<WebState>,
    person: Person,
    Path((employee, date)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let id = Uuid::parse_str(&employee)
        .map(EmployeeId)
        .map_err(|_| WebError::NotFound(person.locale))?;
    let date = parse_date(person.locale, &date)?;
    let own = person.employee.as_ref().is_some_and(|e| e.id == id);
    render_day(
        &state,
        &person,
        id,
        date,
        own,
        false,
        FormState::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct CorrectForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    amendment_id: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    time: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    event_id: String,
    #[serde(default)]
    reason: String,
}

fn msg(l: Locale, nb: &str, en: &str) -> String {
    match l {
        Locale::Nb => nb.to_owned(),
        Locale::En => en.to_owned(),
    }
}

/// `POST /time/{date}`: one correction of the person's own day.
#[allow(clippy::too_many_lines)] // every field's check, in the form's order
pub async fn correct(
    State(state): State<WebState>,
    person: Person,
    Path(date): Path<String>,
    Form(f): Form<CorrectForm>,
) -> Result<Response, WebError> {
    person.check_csrf(&f.csrf)?;
    let l = person.locale;
    let e = person.own()?.clone();
    let date = parse_date(l, &date)?;
    let tz = e.fields.time_zone;
    let mut form = FormState {
        action: f.action.clone(),
        kind: f.kind.clone(),
        time: f.time.clone(),
        location: f.location.clone(),
        event_id: f.event_id.clone(),
        reason: f.reason.chars().take(600).collect(),
        errors: BTreeMap::new(),
    };
    let mut err = |field: &str, text: String| {
        form.errors.entry(field.to_owned()).or_insert(text);
    };
    if f.reason.trim().is_empty() {
        err(
            "reason",
            msg(
                l,
                "Skriv hvorfor dagen rettes.",
                "Say why the day is corrected.",
            ),
        );
    } else if f.reason.chars().count() > 500 {
        err(
            "reason",
            msg(
                l,
                "Begrunnelsen kan ha høyst 500 tegn.",
                "The reason can have at most 500 characters.",
            ),
        );
    }
    let needs_time = matches!(f.action.as_str(), "add" | "move");
    let mut instant = None;
    if needs_time {
        match NaiveTime::parse_from_str(f.time.trim(), "%H:%M") {
            Err(_) => err(
                "time",
                msg(
                    l,
                    "Skriv klokkeslettet som TT:MM, for eksempel 16:30.",
                    "Enter the time as HH:MM, for example 16:30.",
                ),
            ),
            // A time the clocks skip (spring forward) does not exist; of a
            // time that happens twice (fall back), the first is meant.
            Ok(t) => match tz.from_local_datetime(&date.and_time(t)).earliest() {
                None => err(
                    "time",
                    msg(
                        l,
                        "Dette klokkeslettet finnes ikke denne dagen (klokken ble stilt).",
                        "This time does not exist on this day (the clocks changed).",
                    ),
                ),
                Some(local) => instant = Some(local.with_timezone(&chrono::Utc)),
            },
        }
    }
    let kind = format::parse_kind(&f.kind);
    let location = format::parse_location(&f.location).unwrap_or(pb::Location::Office);
    let target = Uuid::parse_str(f.event_id.trim()).ok();
    let change = match f.action.as_str() {
        "add" => {
            if kind.is_none() {
                err(
                    "kind",
                    msg(l, "Velg hva som skjedde.", "Choose what happened."),
                );
            }
            kind.zip(instant).map(|(k, t)| {
                pb::correct_event_request::Change::Add(pb::AddEventChange {
                    kind: k as i32,
                    occurred_at: Some(convert::timestamp(t)),
                    location: if matches!(k, pb::EventKind::ClockIn | pb::EventKind::BreakEnd) {
                        location as i32
                    } else {
                        pb::Location::Unspecified as i32
                    },
                })
            })
        }
        "move" | "void" => {
            if target.is_none() {
                err("event_id", msg(l, "Velg en stempling.", "Choose an event."));
            }
            match (f.action.as_str(), target) {
                ("move", Some(t)) => instant.map(|at| {
                    pb::correct_event_request::Change::Move(pb::MoveEventChange {
                        event_id: t.to_string(),
                        occurred_at: Some(convert::timestamp(at)),
                    })
                }),
                ("void", Some(t)) => Some(pb::correct_event_request::Change::Void(
                    pb::VoidEventChange {
                        event_id: t.to_string(),
                    },
                )),
                _ => None,
            }
        }
        _ => {
            err(
                "action",
                msg(l, "Velg hva du vil rette.", "Choose what to correct."),
            );
            None
        }
    };
    let amendment_id = Uuid::parse_str(f.amendment_id.trim()).unwrap_or_else(|_| Uuid::new_v4());
    if form.errors.is_empty() {
        let result = clock_service::correct_event(
            &state.ctx,
            &person.caller,
            pb::CorrectEventRequest {
                amendment_id: amendment_id.to_string(),
                employee_id: e.id.to_string(),
                reason: f.reason.trim().to_owned(),
                change,
            },
        )
        .await;
        match result {
            Ok(_) => return Ok(see_other(&format!("/time/{date}?saved=1"))),
            // The use case's own checks (a skewed time, an event already
            // void) go beside the field they name.
            Err(
                ApiError::Invalid { field, reason }
                | ApiError::FailedPrecondition { field, reason },
            ) => {
                let field = match field.as_str() {
                    f if f.contains("occurred_at") => "time",
                    f if f.contains("event_id") || f == "change" => "event_id",
                    "reason" => "reason",
                    _ => "action",
                };
                form.errors.insert(field.to_owned(), reason);
            }
            Err(other) => return Err(person.fail(other)),
        }
    }
    render_day(
        &state,
        &person,
        e.id,
        date,
        true,
        false,
        form,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}
