//! *My team now* (a manager's reports; the organisation for an admin), and
//! the weekly digests as sent with this week's preview.

use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::WebState;
use super::error::WebError;
use super::format;
use super::i18n::word;
use super::now::monday;
use super::session::Person;
use super::view;
use crate::domain::rules::names;
use crate::grpc::nudge_service;
use crate::grpc::timesheet_convert::date_pb;
use crate::pb;
use crate::usecase::team;

#[derive(Debug, Serialize)]
struct LimitCell {
    name: String,
    left: String,
    percent: i64,
    tone: &'static str,
}

#[derive(Debug, Serialize)]
struct MemberView {
    name: String,
    link: String,
    state: &'static str,
    state_text: String,
    since: String,
    violations: usize,
    warnings: usize,
    patterns: usize,
    exempt: bool,
    limits: Vec<LimitCell>,
}

#[derive(Debug, Serialize)]
struct TeamView {
    heading: String,
    members: Vec<MemberView>,
    is_manager: bool,
}

/// `GET /team`.
pub async fn page(State(state): State<WebState>, person: Person) -> Result<Response, WebError> {
    let l = person.locale;
    let members = team::team(&state.ctx, &person.caller)
        .await
        .map_err(|e| person.fail(e))?;
    let members = members
        .iter()
        .map(|m| {
            let tz = m.employee.fields.time_zone;
            let st = pb::ClockState::try_from(m.status.state).unwrap_or(pb::ClockState::ClockedOut);
            let (state_key, state_text) = match st {
                pb::ClockState::Working => ("working", word(l, "clocked_in")),
                pb::ClockState::OnBreak => ("break", word(l, "on_break")),
                _ => ("out", word(l, "clocked_out")),
            };
            let mut limits: Vec<LimitCell> = m
                .headroom
                .limits
                .iter()
                .map(|h| LimitCell {
                    name: names::name(&h.rule_id, l).into(),
                    left: format::left(l, h.remaining_minutes),
                    percent: format::percent(h.used_minutes, h.limit_minutes),
                    tone: format::limit_tone(h),
                })
                .collect();
            // The tightest limits first: what a manager must act on.
            limits.sort_by_key(|c| std::cmp::Reverse(c.percent));
            MemberView {
                name: m.employee.fields.name.clone(),
                link: format!("/people/{}/time", m.employee.id),
                state: state_key,
                state_text: state_text.into(),
                since: if state_key == "out" {
                    String::new()
                } else {
                    format::ts(m.status.state_since.as_ref())
                        .map(|t| format::clock(tz, t))
                        .unwrap_or_default()
                },
                violations: m.open[0],
                warnings: m.open[1],
                patterns: m.open[2],
                exempt: m.headroom.exempt,
                limits,
            }
        })
        .collect();
    let heading = if person.is_admin() {
        word(l, "org_title")
    } else {
        word(l, "team_title")
    };
    let v = TeamView {
        heading: heading.into(),
        members,
        is_manager: person.is_manager,
    };
    Ok(view::render(
        StatusCode::OK,
        "team.html.j2",
        l,
        &person.chrome("team"),
        heading,
        &v,
    ))
}

#[derive(Debug, Serialize)]
struct DigestRow {
    week: String,
    sent: String,
    subject: String,
    link: String,
}

#[derive(Debug, Serialize)]
struct DigestsView {
    digests: Vec<DigestRow>,
    preview: String,
}

/// `GET /team/digests`: the manager's own digests.
pub async fn digests(State(state): State<WebState>, person: Person) -> Result<Response, WebError> {
    let l = person.locale;
    let me = person.own()?;
    if !person.is_manager {
        return Err(WebError::Forbidden(l));
    }
    let tz = me.fields.time_zone;
    let sent = state
        .ctx
        .store
        .messages_to(person.caller.org(), me.id, "DIGEST", 104)
        .await
        .map_err(|_| WebError::Unavailable(l))?;
    let v = DigestsView {
        digests: sent
            .iter()
            .filter_map(|d| {
                let week = crate::storage::outbox::digest_week(&d.reference)?;
                Some(DigestRow {
                    week: crate::jobs::words::week_label(l, week),
                    sent: format::instant(l, tz, d.sent_at?),
                    subject: d.subject.clone(),
                    link: format!("/team/digests/preview?week={week}"),
                })
            })
            .collect(),
        preview: "/team/digests/preview".into(),
    };
    Ok(view::render(
        StatusCode::OK,
        "digests.html.j2",
        l,
        &person.chrome("team"),
        word(l, "digests"),
        &v,
    ))
}

#[derive(Debug, Default, Deserialize)]
pub struct WeekQuery {
    week: Option<String>,
}

/// `GET /team/digests/preview[?week=YYYY-MM-DD]`: a digest rebuilt from the
/// record of its week (this week's when none is named), as the email's HTML.
pub async fn preview(
    State(state): State<WebState>,
    person: Person,
    Query(q): Query<WeekQuery>,
) -> Result<Response, WebError> {
    let l = person.locale;
    let me = person.own()?;
    let today = state
        .ctx
        .clock
        .now()
        .with_timezone(&me.fields.time_zone)
        .date_naive();
    // This week's digest is about the week that ended last Sunday.
    let week = match q.week.as_deref().filter(|s| !s.is_empty()) {
        None => monday(today) - chrono::Duration::days(7),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(monday)
            .map_err(|_| WebError::BadRequest(l, "week: not a date (YYYY-MM-DD)".into()))?,
    };
    let digest = nudge_service::preview_digest(
        &state.ctx,
        &person.caller,
        pb::PreviewDigestRequest {
            manager_employee_id: me.id.to_string(),
            week: Some(date_pb(week)),
        },
    )
    .await
    .map_err(|e| person.fail(e))?;
    let mut r = Html(digest.html).into_response();
    // The email's own inline styles, and nothing else.
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; img-src data:"),
    );
    Ok(r)
}
