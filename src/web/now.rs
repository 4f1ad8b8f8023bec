//! *Now*: clocked in or not, the buttons, today and this week, and the
//! headroom to every limit in words and bars.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike as _, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::WebError;
use super::format;
use super::i18n::word;
use super::session::Person;
use super::view;
use super::{WebState, see_other};
use crate::domain::employee::{Employee, Locale};
use crate::domain::rules::names;
use crate::grpc::error::ApiError;
use crate::grpc::{clock_service, convert, timesheet_service};
use crate::pb;

#[derive(Debug, Serialize)]
struct LimitView {
    name: String,
    sentence: String,
    used: String,
    limit: String,
    percent: i64,
    tone: &'static str,
    citation: String,
}

#[derive(Debug, Serialize)]
struct NowView {
    first_name: String,
    state: &'static str,
    state_text: String,
    since: String,
    location: String,
    event_id: String,
    flash: String,
    today_worked: String,
    today_scheduled: String,
    week_worked: String,
    week_scheduled: String,
    exempt: bool,
    limits: Vec<LimitView>,
    earliest: String,
    latest: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct NowQuery {
    done: Option<String>,
}

/// The Monday of `day`'s ISO week.
pub fn monday(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

/// `GET /`.
#[allow(clippy::too_many_lines)] // one view model, laid out field by field
pub async fn page(
    State(state): State<WebState>,
    person: Person,
    Query(q): Query<NowQuery>,
) -> Result<Response, WebError> {
    if person.employee.is_none() {
        // An admin-token session has no record of its own.
        return Ok(see_other("/team"));
    }
    let e = person.own()?.clone();
    let l = person.locale;
    let ctx = &state.ctx;
    let tz = e.fields.time_zone;
    let now = ctx.clock.now();
    let today = now.with_timezone(&tz).date_naive();
    let id = e.id.to_string();
    let status = clock_service::get_clock_status(
        ctx,
        &person.caller,
        &pb::GetClockStatusRequest {
            employee_id: id.clone(),
        },
    )
    .await
    .map_err(|err| person.fail(err))?
    .status
    .unwrap_or_default();
    let week = timesheet_service::get_timesheet(
        ctx,
        &person.caller,
        pb::GetTimesheetRequest {
            employee_id: id.clone(),
            dates: Some(pb::LocalDateRange {
                start: Some(crate::grpc::timesheet_convert::date_pb(monday(today))),
                end: Some(crate::grpc::timesheet_convert::date_pb(
                    monday(today) + Duration::days(6),
                )),
            }),
        },
    )
    .await
    .map_err(|err| person.fail(err))?;
    let headroom = timesheet_service::get_headroom(
        ctx,
        &person.caller,
        pb::GetHeadroomRequest {
            employee_id: id,
            at: None,
        },
    )
    .await
    .map_err(|err| person.fail(err))?;
    let today_pb = crate::grpc::timesheet_convert::date_pb(today);
    let day = week
        .days
        .iter()
        .find(|d| d.date.as_ref() == Some(&today_pb));
    let totals = week.totals.clone().unwrap_or_default();
    let so_far = open_minutes(&week, tz, today, now);
    let state_kind = pb::ClockState::try_from(status.state).unwrap_or(pb::ClockState::ClockedOut);
    let (state_key, state_text) = match state_kind {
        pb::ClockState::Working => ("working", word(l, "state_working")),
        pb::ClockState::OnBreak => ("break", word(l, "state_break")),
        _ => ("out", word(l, "state_out")),
    };
    let since = match state_kind {
        pb::ClockState::Working | pb::ClockState::OnBreak => {
            format::ts(status.state_since.as_ref())
                .map(|t| format_since(l, &e, t, today))
                .unwrap_or_default()
        }
        _ => String::new(),
    };
    let v = NowView {
        first_name: e.fields.name.split_whitespace().next().unwrap_or("").into(),
        state: state_key,
        state_text: state_text.into(),
        since,
        location: if state_key == "out" {
            String::new()
        } else {
            format::location(l, status.location).into()
        },
        event_id: Uuid::new_v4().to_string(),
        flash: match q.done.as_deref() {
            Some("new") => word(l, "recorded_new").into(),
            Some("duplicate") => word(l, "recorded_dup").into(),
            _ => String::new(),
        },
        today_worked: format::minutes(l, day.map_or(0, |d| d.worked_minutes) + so_far.0),
        today_scheduled: format::minutes(l, day.map_or(0, |d| d.scheduled_minutes)),
        week_worked: format::minutes(l, totals.worked_minutes + so_far.1),
        week_scheduled: format::minutes(l, totals.scheduled_minutes),
        exempt: headroom.exempt,
        limits: headroom.limits.iter().map(|h| limit_view(l, h)).collect(),
        earliest: bound(
            l,
            &e,
            now,
            today,
            (
                headroom.earliest_next_start.as_ref(),
                &headroom.earliest_next_start_rule_id,
            ),
            ("Tidligste start:", "Earliest start:"),
        ),
        latest: bound(
            l,
            &e,
            now,
            today,
            (headroom.latest_end.as_ref(), &headroom.latest_end_rule_id),
            ("Senest slutt:", "Latest end:"),
        ),
    };
    Ok(view::render(
        StatusCode::OK,
        "now.html.j2",
        l,
        &person.chrome("now"),
        word(l, "now_title"),
        &v,
    ))
}

/// "Tidligste start: i morgen 06:30 (daglig hvile)": a bound from the
/// headroom with the rule that sets it; empty when it is not ahead.
fn bound(
    l: Locale,
    e: &Employee,
    now: chrono::DateTime<Utc>,
    today: NaiveDate,
    (at, rule): (Option<&prost_types::Timestamp>, &str),
    (nb, en): (&str, &str),
) -> String {
    format::ts(at)
        .filter(|t| *t > now)
        .map(|t| {
            format!(
                "{} {} ({})",
                if l == Locale::Nb { nb } else { en },
                format_since(l, e, t, today),
                names::name(rule, l).to_lowercase()
            )
        })
        .unwrap_or_default()
}

/// Minutes of the interval still open, today and this week, up to now.
fn open_minutes(
    week: &pb::GetTimesheetResponse,
    tz: chrono_tz::Tz,
    today: NaiveDate,
    now: chrono::DateTime<Utc>,
) -> (i64, i64) {
    use chrono::TimeZone as _;
    let Some(open) = week.days.iter().flat_map(|d| &d.intervals).find(|i| i.open) else {
        return (0, 0);
    };
    let Some(start) = format::ts(open.start.as_ref()) else {
        return (0, 0);
    };
    let breaks: Vec<_> = open
        .breaks
        .iter()
        .filter_map(|b| Some((format::ts(b.start.as_ref())?, format::ts(b.end.as_ref()))))
        .collect();
    let midnight = |d: NaiveDate| {
        tz.from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
            .earliest()
            .map_or(now, |t| t.with_timezone(&Utc))
    };
    let within = |from: NaiveDate, to: NaiveDate| {
        crate::domain::clock_status::open_work_within(
            start,
            &breaks,
            now,
            midnight(from),
            midnight(to),
        )
        .num_minutes()
    };
    (
        within(today, today + Duration::days(1)),
        within(monday(today), monday(today) + Duration::days(7)),
    )
}

/// "08:15" today, "tomorrow 06:30", or the full date otherwise.
fn format_since(l: Locale, e: &Employee, t: chrono::DateTime<Utc>, today: NaiveDate) -> String {
    let tz = e.fields.time_zone;
    let day = t.with_timezone(&tz).date_naive();
    let clock = format::clock(tz, t);
    if day == today {
        match l {
            Locale::Nb => format!("i dag {clock}"),
            Locale::En => format!("today {clock}"),
        }
    } else if day == today + Duration::days(1) {
        match l {
            Locale::Nb => format!("i morgen {clock}"),
            Locale::En => format!("tomorrow {clock}"),
        }
    } else if day == today - Duration::days(1) {
        match l {
            Locale::Nb => format!("i går {clock}"),
            Locale::En => format!("yesterday {clock}"),
        }
    } else {
        format::instant(l, tz, t)
    }
}

fn limit_view(l: Locale, h: &pb::LimitHeadroom) -> LimitView {
    let window = match (
        format::ts(h.window_start.as_ref()),
        format::ts(h.window_end.as_ref()),
    ) {
        (Some(a), Some(b)) => (b - a).num_days(),
        _ => 0,
    };
    let span = match (l, window) {
        (Locale::Nb, 0 | 1) => "i løpet av 24 timer".to_owned(),
        (Locale::En, 0 | 1) => "in 24 hours".to_owned(),
        (Locale::Nb, 7) => "i disse 7 dagene".to_owned(),
        (Locale::En, 7) => "in these 7 days".to_owned(),
        (Locale::Nb, d) => format!("i disse {} ukene", d / 7),
        (Locale::En, d) => format!("in these {} weeks", d / 7),
    };
    let sentence = if h.remaining_minutes <= 0 {
        format!("{} {span}", word(l, "reached"))
    } else {
        format!("{} {span}", format::left(l, h.remaining_minutes))
    };
    let percent = format::percent(h.used_minutes, h.limit_minutes);
    let tone = format::limit_tone(h);
    LimitView {
        name: names::name(&h.rule_id, l).into(),
        sentence,
        used: format::minutes(l, h.used_minutes),
        limit: format::minutes(l, h.limit_minutes),
        percent,
        tone,
        citation: h.citation.clone(),
    }
}

#[derive(Debug, Deserialize)]
pub struct ClockForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    event_id: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    location: String,
}

/// `POST /clock`: one event, now. The form's event id makes a double tap
/// (or a resent form) a duplicate, never a second event.
pub async fn clock(
    State(state): State<WebState>,
    person: Person,
    Form(f): Form<ClockForm>,
) -> Result<Response, WebError> {
    person.check_csrf(&f.csrf)?;
    let e = person.own()?;
    let l = person.locale;
    let kind = format::parse_kind(&f.kind)
        .ok_or_else(|| WebError::BadRequest(l, "kind: not an event kind".into()))?;
    let location = format::parse_location(&f.location)
        .ok_or_else(|| WebError::BadRequest(l, "location: not a location".into()))?;
    let event_id = Uuid::parse_str(f.event_id.trim())
        .map_err(|_| WebError::BadRequest(l, "event_id: not a UUID".into()))?;
    let reply = clock_service::record_event(
        &state.ctx,
        &person.caller,
        pb::RecordEventRequest {
            event: Some(pb::ClockEvent {
                event_id: event_id.to_string(),
                employee_id: e.id.to_string(),
                kind: kind as i32,
                occurred_at: Some(convert::timestamp(state.ctx.clock.now())),
                location: location as i32,
                device_id: "web".into(),
            }),
        },
    )
    .await;
    // Each rendering of the page has its own event id, so the id is taken
    // only when this same form was sent before (a double tap, a resend):
    // the first tap was recorded, a moment earlier, and nothing is added.
    let done = match reply {
        Ok(r) if r.outcome == pb::EventOutcome::Duplicate as i32 => "duplicate",
        Ok(_) => "new",
        Err(ApiError::AlreadyExists { field, .. }) if field == "event.event_id" => "duplicate",
        Err(err) => return Err(person.fail(err)),
    };
    Ok(see_other(&format!("/?done={done}")))
}
