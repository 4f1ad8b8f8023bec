//! *What Tidsvakt told about me*: every nudge, reminder and manager alert
//! that concerned the person, when and to whom; and the mutes.

use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::error::WebError;
use super::format;
use super::i18n::word;
use super::session::Person;
use super::view;
use super::{WebState, see_other};
use crate::domain::employee::Locale;
use crate::domain::rules::names;
use crate::grpc::nudge_service;
use crate::pb;

#[derive(Debug, Serialize)]
struct NudgeView {
    when: String,
    to: String,
    what: String,
    tone: &'static str,
    severity: String,
    status: String,
    subject: String,
}

#[derive(Debug, Serialize)]
struct CategoryView {
    id: String,
    name: String,
    mutable: bool,
    muted: bool,
}

#[derive(Debug, Serialize)]
struct MessagesView {
    nudges: Vec<NudgeView>,
    reminders: Vec<NudgeView>,
    categories: Vec<CategoryView>,
    more: bool,
}

/// A nudge category in words.
fn category_name(l: Locale, c: &str) -> String {
    let w = word(l, &format!("cat_{c}"));
    if w.is_empty() {
        c.replace('_', " ")
    } else {
        w.to_owned()
    }
}

/// Where a message is: sent when, waiting until when, or not sent.
fn status_text(
    l: Locale,
    tz: chrono_tz::Tz,
    status: pb::MessageStatus,
    sent_at: Option<chrono::DateTime<chrono::Utc>>,
    send_after: Option<chrono::DateTime<chrono::Utc>>,
) -> String {
    let at = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| format::instant(l, tz, t)).unwrap_or_default()
    };
    match status {
        pb::MessageStatus::Sent => format!("{} {}", word(l, "sent"), at(sent_at)),
        pb::MessageStatus::Pending => format!("{} ({})", word(l, "pending"), at(send_after)),
        pb::MessageStatus::Cancelled => word(l, "cancelled").to_owned(),
        pb::MessageStatus::Dead => word(l, "dead").to_owned(),
        pb::MessageStatus::Unspecified => String::new(),
    }
}

/// `GET /messages`.
#[allow(clippy::too_many_lines)] // one view model, laid out field by field
pub async fn page(State(state): State<WebState>, person: Person) -> Result<Response, WebError> {
    let e = person.own()?.clone();
    let l = person.locale;
    let tz = e.fields.time_zone;
    let listed = nudge_service::list_nudges(
        &state.ctx,
        &person.caller,
        pb::ListNudgesRequest {
            employee_id: e.id.to_string(),
            page: Some(pb::PageRequest {
                page_size: 200,
                page_token: String::new(),
            }),
        },
    )
    .await
    .map_err(|err| person.fail(err))?;
    let settings = nudge_service::get_nudge_settings(
        &state.ctx,
        &person.caller,
        &pb::GetNudgeSettingsRequest {
            employee_id: e.id.to_string(),
        },
    )
    .await
    .map_err(|err| person.fail(err))?;
    let nudges = listed
        .nudges
        .iter()
        .map(|n| {
            let (severity, tone) = format::severity(l, n.severity);
            let status = status_text(
                l,
                tz,
                pb::MessageStatus::try_from(n.message_status)
                    .unwrap_or(pb::MessageStatus::Unspecified),
                format::ts(n.sent_at.as_ref()),
                format::ts(n.send_after.as_ref()),
            );
            NudgeView {
                when: format::ts(n.decided_at.as_ref())
                    .map(|t| format::instant(l, tz, t))
                    .unwrap_or_default(),
                to: if n.audience == pb::NudgeAudience::Manager as i32 {
                    word(l, "to_manager").to_owned()
                } else {
                    word(l, "to_you").to_owned()
                },
                what: names::name(&n.rule_id, l).to_owned(),
                tone,
                severity: severity.into(),
                status,
                subject: n.subject.clone(),
            }
        })
        .collect();
    let categories = settings
        .categories
        .iter()
        .map(|c| CategoryView {
            id: c.category.clone(),
            name: category_name(l, &c.category),
            mutable: c.mutable,
            muted: c.muted,
        })
        .collect();
    let reminders = state
        .ctx
        .store
        .messages_to(person.caller.org(), e.id, "REMINDER", 100)
        .await
        .map_err(|_| WebError::Unavailable(l))?
        .iter()
        .map(|m| NudgeView {
            when: format::instant(l, tz, m.created_at),
            to: word(l, "to_you").to_owned(),
            what: word(l, "reminder").to_owned(),
            tone: "pattern",
            severity: word(l, "reminder_badge").to_owned(),
            status: status_text(
                l,
                tz,
                pb::MessageStatus::from_str_name(&format!("MESSAGE_STATUS_{}", m.status))
                    .unwrap_or(pb::MessageStatus::Unspecified),
                m.sent_at,
                Some(m.send_after),
            ),
            subject: m.subject.clone(),
        })
        .collect();
    let v = MessagesView {
        nudges,
        reminders,
        categories,
        more: !listed.next_page_token.is_empty(),
    };
    Ok(view::render(
        StatusCode::OK,
        "messages.html.j2",
        l,
        &person.chrome("messages"),
        word(l, "messages_title"),
        &v,
    ))
}

#[derive(Debug, Deserialize)]
pub struct MuteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    muted: String,
}

/// `POST /messages/mute`.
pub async fn mute(
    State(state): State<WebState>,
    person: Person,
    Form(f): Form<MuteForm>,
) -> Result<Response, WebError> {
    person.check_csrf(&f.csrf)?;
    let e = person.own()?;
    let muted = match f.muted.as_str() {
        "true" => true,
        "false" => false,
        _ => {
            return Err(WebError::BadRequest(
                person.locale,
                "muted: use true or false".into(),
            ));
        }
    };
    nudge_service::set_mute(
        &state.ctx,
        &person.caller,
        pb::SetNudgeMuteRequest {
            employee_id: e.id.to_string(),
            category: f.category.clone(),
            muted,
        },
    )
    .await
    .map_err(|err| person.fail(err))?;
    Ok(see_other(&format!("/messages#mute-{}", f.category.trim())))
}
