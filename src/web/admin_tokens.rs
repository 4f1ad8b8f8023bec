//! The HR console's API tokens (ADMIN): the list (never a secret), a form
//! to create one whose secret is shown once, on the answer to the form and
//! nowhere else, and revocation after a confirmation page. Every write goes
//! through `usecase::tokens`, as `AdminService` does.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, TimeZone as _, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::admin_form::{FieldErrors, field_of, msg, require_admin};
use super::admin_people::CsrfOnly;
use super::error::WebError;
use super::format;
use super::i18n::word;
use super::session::Person;
use super::view;
use super::{WebState, see_other};
use crate::domain::employee::{DEFAULT_TIME_ZONE, Employee, Locale};
use crate::domain::ids::TokenId;
use crate::domain::token::Role;
use crate::grpc::convert;
use crate::pb;
use crate::usecase::{people, tokens};

/// Dates on these pages are read and shown in the default zone: an
/// expiry date means the start of that day in Norway.
fn zone() -> Tz {
    DEFAULT_TIME_ZONE.parse().unwrap_or(chrono_tz::Europe::Oslo)
}

fn when(l: Locale, t: Option<&prost_types::Timestamp>) -> String {
    t.and_then(|t| convert::instant("t", Some(t)).ok())
        .map(|t| format::instant(l, zone(), t))
        .unwrap_or_default()
}

#[derive(Debug, Serialize)]
struct TokenRow {
    id: String,
    name: String,
    role: String,
    employee: String,
    expires: String,
    last_used: String,
    /// `active`, `revoked` or `expired`.
    state: &'static str,
}

#[derive(Debug, Serialize)]
struct ListView {
    rows: Vec<TokenRow>,
    revoked: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    revoked: String,
}

fn employee_name(all: &[Employee], id: &str) -> String {
    all.iter()
        .find(|e| e.id.to_string() == id)
        .map(|e| format!("{} ({})", e.fields.name, e.fields.external_id))
        .unwrap_or_default()
}

/// `GET /admin/tokens`.
pub async fn list(
    State(state): State<WebState>,
    person: Person,
    Query(q): Query<ListQuery>,
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
        let page = tokens::list_tokens(
            ctx,
            &person.caller,
            pb::ListApiTokensRequest {
                include_revoked: true,
                page: Some(pb::PageRequest {
                    page_size: 500,
                    page_token: page_token.clone(),
                }),
            },
        )
        .await
        .map_err(|e| person.fail(e))?;
        found.extend(page.tokens);
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    let now = ctx.clock.now();
    let rows = found
        .iter()
        .map(|t| {
            let expired = t
                .expires_at
                .as_ref()
                .and_then(|e| convert::instant("t", Some(e)).ok())
                .is_some_and(|e| e <= now);
            TokenRow {
                id: t.token_id.clone(),
                name: t.name.clone(),
                role: pb::Role::try_from(t.role)
                    .map(|r| r.as_str_name().trim_start_matches("ROLE_").to_owned())
                    .unwrap_or_default(),
                employee: if t.department.is_empty() {
                    employee_name(&all, &t.employee_id)
                } else {
                    format!("{}: {}", word(l, "token_department"), t.department)
                },
                expires: when(l, t.expires_at.as_ref()),
                last_used: when(l, t.last_used_at.as_ref()),
                state: if t.revoked_at.is_some() {
                    "revoked"
                } else if expired {
                    "expired"
                } else {
                    "active"
                },
            }
        })
        .collect();
    Ok(view::render(
        StatusCode::OK,
        "admin_tokens.html.j2",
        l,
        &person.chrome("console"),
        word(l, "console_tokens"),
        &ListView {
            rows,
            revoked: q.revoked.chars().take(100).collect(),
        },
    ))
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct TokenForm {
    #[serde(default, skip_serializing)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    employee_id: String,
    /// `YYYY-MM-DD`, or empty for no expiry.
    #[serde(default)]
    expires: String,
    /// A `SAFETY_REP` token's department; empty for the organisation.
    #[serde(default)]
    department: String,
}

#[derive(Debug, Serialize)]
struct Choice {
    value: String,
    label: String,
}

#[derive(Debug, Serialize)]
struct FormView {
    form: TokenForm,
    errors: FieldErrors,
    employees: Vec<Choice>,
    roles: Vec<&'static str>,
    /// The departments the employees are in, for a safety representative.
    departments: Vec<String>,
    /// Set once, on the answer to a form that created a token.
    secret: String,
    created_name: String,
}

const ROLES: &[&str] = &[
    "CLOCK",
    "EMPLOYEE",
    "MANAGER",
    "PAYROLL",
    "ADMIN",
    "SAFETY_REP",
    "INSPECTOR",
];

async fn render_form(
    state: &WebState,
    person: &Person,
    form: TokenForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<Response, WebError> {
    let all = people::all_employees(&state.ctx, &person.caller)
        .await
        .map_err(|e| person.fail(e))?;
    let l = person.locale;
    let v = FormView {
        form,
        errors,
        employees: all
            .iter()
            .filter(|e| e.active)
            .map(|e| Choice {
                value: e.id.to_string(),
                label: format!("{} ({})", e.fields.name, e.fields.external_id),
            })
            .collect(),
        roles: ROLES.to_vec(),
        departments: all
            .iter()
            .filter_map(|e| e.fields.department.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect(),
        secret: String::new(),
        created_name: String::new(),
    };
    Ok(view::render(
        status,
        "admin_token.html.j2",
        l,
        &person.chrome("console"),
        word(l, "console_new_token"),
        &v,
    ))
}

/// `GET /admin/tokens/new`.
pub async fn new_form(State(state): State<WebState>, person: Person) -> Result<Response, WebError> {
    require_admin(&person)?;
    let form = TokenForm {
        role: "EMPLOYEE".into(),
        ..TokenForm::default()
    };
    render_form(&state, &person, form, FieldErrors::new(), StatusCode::OK).await
}

/// The start of `date` in the default zone.
fn start_of(date: NaiveDate) -> Option<DateTime<Utc>> {
    zone()
        .from_local_datetime(&date.and_hms_opt(0, 0, 0)?)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// `POST /admin/tokens/new`: creates the token and shows its secret, once.
pub async fn create(
    State(state): State<WebState>,
    person: Person,
    Form(f): Form<TokenForm>,
) -> Result<Response, WebError> {
    person.check_csrf(&f.csrf)?;
    require_admin(&person)?;
    let l = person.locale;
    let mut errors = FieldErrors::new();
    let role = Role::parse(f.role.trim());
    if role.is_none() {
        errors.insert("role".into(), msg(l, "Velg en rolle.", "Choose a role."));
    }
    let expires_at = match f.expires.trim() {
        "" => None,
        s => {
            if let Some(t) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(start_of)
            {
                Some(t)
            } else {
                {
                    errors.insert(
                        "expires".into(),
                        msg(
                            l,
                            "Skriv datoen som ÅÅÅÅ-MM-DD, for eksempel 2027-06-30.",
                            "Enter the date as YYYY-MM-DD, for example 2027-06-30.",
                        ),
                    );
                    None
                }
            }
        }
    };
    if let (Some(role), true) = (role, errors.is_empty()) {
        let created = tokens::create_token(
            &state.ctx,
            &person.caller,
            pb::CreateApiTokenRequest {
                name: f.name.clone(),
                role: convert::role_pb(role),
                employee_id: if role.is_bound() {
                    f.employee_id.trim().to_owned()
                } else {
                    String::new()
                },
                expires_at: expires_at.map(convert::timestamp),
                // Only a safety representative's token reads one department;
                // for other roles the choice is ignored rather than refused,
                // as the employee choice is for roles not bound to one.
                department: if role == Role::SafetyRep {
                    f.department.trim().to_owned()
                } else {
                    String::new()
                },
            },
        )
        .await;
        match created {
            Ok(r) => {
                // The secret is in this answer only: the page is not cached
                // (no-store on every page) and nothing logs it.
                let v = FormView {
                    form: TokenForm::default(),
                    errors: FieldErrors::new(),
                    employees: Vec::new(),
                    roles: Vec::new(),
                    departments: Vec::new(),
                    secret: r.secret,
                    created_name: r.token.map(|t| t.name).unwrap_or_default(),
                };
                return Ok(view::render(
                    StatusCode::OK,
                    "admin_token.html.j2",
                    l,
                    &person.chrome("console"),
                    word(l, "console_token_created"),
                    &v,
                ));
            }
            Err(e) => {
                let (field, text) = field_of(l, e).map_err(|e| person.fail(e))?;
                let field = if field == "expires_at" {
                    "expires".to_owned()
                } else {
                    field
                };
                errors.insert(field, text);
            }
        }
    }
    render_form(&state, &person, f, errors, StatusCode::UNPROCESSABLE_ENTITY).await
}

#[derive(Debug, Serialize)]
struct ConfirmView {
    heading: String,
    lead: String,
    action: String,
    button: String,
    back: String,
}

fn token_id(l: Locale, id: &str) -> Result<TokenId, WebError> {
    id.parse().map(TokenId).map_err(|_| WebError::NotFound(l))
}

/// `GET /admin/tokens/{id}/revoke`: asks first.
pub async fn confirm_revoke(
    State(state): State<WebState>,
    person: Person,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    require_admin(&person)?;
    let l = person.locale;
    let id = token_id(l, &id)?;
    let token = state
        .ctx
        .store
        .api_token(person.caller.org(), id)
        .await
        .map_err(|e| person.fail(e.into()))?
        .ok_or(WebError::NotFound(l))?;
    let heading = format!("{} «{}»", msg(l, "Trekk tilbake", "Revoke"), token.name);
    let v = ConfirmView {
        heading: heading.clone(),
        lead: msg(
            l,
            "Tokenet slutter å virke med en gang, for godt. Det som bruker det, må få et nytt.",
            "The token stops working at once, for good. Whatever uses it needs a new one.",
        ),
        action: format!("/admin/tokens/{id}/revoke"),
        button: msg(l, "Ja, trekk tilbake", "Yes, revoke"),
        back: "/admin/tokens".into(),
    };
    Ok(view::render(
        StatusCode::OK,
        "admin_confirm.html.j2",
        l,
        &person.chrome("console"),
        &heading,
        &v,
    ))
}

/// `POST /admin/tokens/{id}/revoke`.
pub async fn revoke(
    State(state): State<WebState>,
    person: Person,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, WebError> {
    person.check_csrf(&f.csrf)?;
    require_admin(&person)?;
    let id = token_id(person.locale, &id)?;
    let t = tokens::revoke_token(&state.ctx, &person.caller, id)
        .await
        .map_err(|e| person.fail(e))?;
    Ok(see_other(&format!(
        "/admin/tokens?revoked={}",
        super::error::urlencode(&t.name)
    )))
}
