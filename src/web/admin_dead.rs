//! The HR console's dead letters (ADMIN): the outbox messages that failed
//! for good, with what `ListDeadMessages` tells (kind, recipient, attempts,
//! the error without addresses; never a body), and a button to send one
//! again through `RetryDeadMessage`'s use case.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::admin_form::require_admin;
use super::admin_people::CsrfOnly;
use super::error::WebError;
use super::format;
use super::i18n::word;
use super::session::Person;
use super::view;
use super::{WebState, see_other};
use crate::domain::employee::DEFAULT_TIME_ZONE;
use crate::grpc::error::ApiError;
use crate::grpc::{convert, nudge_service};
use crate::pb;
use crate::usecase::people;

#[derive(Debug, Serialize)]
struct DeadRow {
    id: String,
    kind: String,
    recipient: String,
    attempts: i64,
    error: String,
    created: String,
}

#[derive(Debug, Serialize)]
struct DeadView {
    rows: Vec<DeadRow>,
    retried: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct DeadQuery {
    #[serde(default)]
    retried: String,
}

/// `GET /admin/dead-letters`.
pub async fn list(
    State(state): State<WebState>,
    person: Person,
    Query(q): Query<DeadQuery>,
) -> Result<Response, WebError> {
    require_admin(&person)?;
    let l = person.locale;
    let ctx = &state.ctx;
    let all = people::all_employees(ctx, &person.caller)
        .await
        .map_err(|e| person.fail(e))?;
    let mut found = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = nudge_service::list_dead(
            ctx,
            &person.caller,
            pb::ListDeadMessagesRequest {
                page: Some(pb::PageRequest {
                    page_size: 500,
                    page_token: page_token.clone(),
                }),
            },
        )
        .await
        .map_err(|e| person.fail(e))?;
        found.extend(page.messages);
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    let tz = DEFAULT_TIME_ZONE.parse().unwrap_or(chrono_tz::Europe::Oslo);
    let rows = found
        .iter()
        .map(|m| DeadRow {
            id: m.message_id.clone(),
            kind: pb::MessageKind::try_from(m.kind)
                .map(|k| {
                    k.as_str_name()
                        .trim_start_matches("MESSAGE_KIND_")
                        .to_lowercase()
                })
                .unwrap_or_default(),
            recipient: all
                .iter()
                .find(|e| e.id.to_string() == m.recipient_employee_id)
                .map_or_else(
                    || m.recipient_employee_id.clone(),
                    |e| e.fields.name.clone(),
                ),
            attempts: m.attempts,
            error: m.last_error.clone(),
            created: m
                .created_at
                .as_ref()
                .and_then(|t| convert::instant("created_at", Some(t)).ok())
                .map(|t| format::instant(l, tz, t))
                .unwrap_or_default(),
        })
        .collect();
    Ok(view::render(
        StatusCode::OK,
        "admin_dead.html.j2",
        l,
        &person.chrome("console"),
        word(l, "console_dead"),
        &DeadView {
            rows,
            retried: !q.retried.is_empty(),
        },
    ))
}

/// `POST /admin/dead-letters/{id}/retry`.
pub async fn retry(
    State(state): State<WebState>,
    person: Person,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    person.check_csrf(&f.csrf)?;
    require_admin(&person)?;
    nudge_service::retry_dead(
        &state.ctx,
        &person.caller,
        pb::RetryDeadMessageRequest { message_id: id },
    )
    .await
    .map_err(|e| match e {
        ApiError::Invalid { .. } => WebError::NotFound(person.locale),
        other => person.fail(other),
    })?;
    Ok(see_other("/admin/dead-letters?retried=1"))
}
