//! Sign-in with a single sign-on provider (OIDC), beside the
//! email link. The provider is `crate::sso`; who may sign in with which role
//! is `domain::sso`; the session is the web's own, as a link opens it.
//!
//! - `GET /sign-in/sso/{provider}` stores the started sign-in (PKCE
//!   verifier, nonce, where to land) under the SHA-256 of a fresh `state`,
//!   puts the state in a short cookie, and sends the browser on.
//! - `GET /sign-in/sso/{provider}/callback` needs the state of the cookie
//!   (a callback from another browser, or a tampered one, is refused), takes
//!   the stored sign-in once within 10 minutes (a replay finds it used), and
//!   has the crate exchange the code and check the ID token.
//! - A refusal is a page in the person's language; it is logged and
//!   audited by ids only (provider, `sub`), never by address.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::error::{WebError, urlencode};
use super::i18n::word;
use super::session::{Lang, SESSION_COOKIE, audit_session, cookie, new_secret, same};
use super::sign_in::{new_session, safe_next};
use super::view::{self, Chrome, MessagePage};
use super::{WebState, see_other};
use crate::domain::audit::AuditAction;
use crate::domain::employee::Locale;
use crate::domain::sso::{SsoRefusal, admit, matching_grant, verified_email};
use crate::domain::token::hash_secret;
use crate::sso::{Provider, SsoError};
use crate::storage::sso::{LoginRefusal, SsoLogin};
use crate::storage::web::{SsoIdentity, WebSession};

/// The browser's copy of the `state` of the sign-in it started.
pub const SSO_COOKIE: &str = "tv_sso";

/// How long a started sign-in may take at the provider.
pub const LOGIN_TTL: Duration = Duration::minutes(10);

/// A "Sign in with …" button of the sign-in page.
#[derive(Debug, Serialize)]
pub struct ProviderButton {
    pub id: String,
    pub name: String,
    pub url: String,
}

/// The buttons of every configured provider, each coming back to `next`.
#[must_use]
pub fn buttons(state: &WebState, next: &str) -> Vec<ProviderButton> {
    state
        .sso
        .list()
        .iter()
        .map(|p| {
            let mut url = crate::links::sso_start("", &p.config.id);
            if next != "/" {
                url.push_str("?next=");
                url.push_str(&urlencode(next));
            }
            ProviderButton {
                id: p.config.id.clone(),
                name: p.config.name.clone(),
                url,
            }
        })
        .collect()
}

#[derive(Debug, Default, Deserialize)]
pub struct StartQuery {
    next: Option<String>,
}

/// `GET /sign-in/sso/{provider}`: off to the provider.
pub async fn start(
    State(state): State<WebState>,
    Lang(locale): Lang,
    Path(provider): Path<String>,
    jar: CookieJar,
    Query(q): Query<StartQuery>,
) -> Result<Response, WebError> {
    let p = state.sso.get(&provider).ok_or(WebError::NotFound(locale))?;
    let started = match p.start().await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(provider = %p.config.id, error = %e, "single sign-on could not start");
            return Ok(unavailable(locale, &p));
        }
    };
    let now = state.ctx.clock.now();
    let login = SsoLogin {
        provider_id: p.config.id.clone(),
        pkce_verifier: started.pkce_verifier,
        nonce: started.nonce,
        next: safe_next(q.next.as_deref()),
        created_at: now,
        expires_at: now + LOGIN_TTL,
    };
    state
        .ctx
        .store
        .insert_sso_login(&hash_secret(&started.state), &login)
        .await
        .map_err(|_| WebError::Unavailable(locale))?;
    tracing::info!(provider = %p.config.id, "single sign-on started");
    let jar = jar.add(cookie(
        SSO_COOKIE,
        started.state,
        state.settings.secure_cookies,
        LOGIN_TTL,
    ));
    Ok((jar, see_other(&started.url)).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// Why a callback did not sign anyone in: the page it shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// The state is not this browser's, or no sign-in has it.
    State,
    Used,
    Expired,
    /// The provider sent an error (the person cancelled, or it refused).
    Cancelled,
    /// The provider's answer did not hold (the ID token, the code).
    Invalid,
    Person(SsoRefusal),
}

impl Outcome {
    fn id(self) -> &'static str {
        match self {
            Self::State => "state_mismatch",
            Self::Used => "callback_used",
            Self::Expired => "expired",
            Self::Cancelled => "provider_error",
            Self::Invalid => "invalid_answer",
            Self::Person(r) => r.as_str(),
        }
    }

    fn page(self, locale: Locale) -> Response {
        let (status, heading, lead) = match self {
            Self::State => (StatusCode::BAD_REQUEST, "sso_refused", "sso_state_lead"),
            Self::Used => (StatusCode::GONE, "sso_refused", "sso_used_lead"),
            Self::Expired => (StatusCode::GONE, "sso_refused", "sso_expired_lead"),
            Self::Cancelled => (StatusCode::FORBIDDEN, "sso_refused", "sso_cancelled_lead"),
            Self::Invalid => (StatusCode::BAD_REQUEST, "sso_refused", "sso_invalid_lead"),
            Self::Person(SsoRefusal::NoEmail | SsoRefusal::Unverified) => (
                StatusCode::FORBIDDEN,
                "sso_unverified",
                "sso_unverified_lead",
            ),
            Self::Person(SsoRefusal::Unknown) => {
                (StatusCode::FORBIDDEN, "sso_unknown", "sso_unknown_lead")
            }
            Self::Person(SsoRefusal::Ambiguous) => {
                (StatusCode::FORBIDDEN, "sso_unknown", "sso_ambiguous_lead")
            }
        };
        view::message(
            status,
            locale,
            &Chrome::default(),
            &MessagePage {
                heading: word(locale, heading).into(),
                lead: word(locale, lead).into(),
                link: "/sign-in".into(),
                link_text: word(locale, "sso_back").into(),
            },
        )
    }
}

fn unavailable(locale: Locale, p: &Provider) -> Response {
    view::message(
        StatusCode::SERVICE_UNAVAILABLE,
        locale,
        &Chrome::default(),
        &MessagePage {
            heading: format!("{} {}", word(locale, "sso_unavailable"), p.config.name),
            lead: word(locale, "sso_unavailable_lead").into(),
            link: "/sign-in".into(),
            link_text: word(locale, "sso_back").into(),
        },
    )
}

/// `GET /sign-in/sso/{provider}/callback`: the provider's answer.
#[allow(clippy::too_many_lines)] // the callback's checks, in their order, in one place
pub async fn callback(
    State(state): State<WebState>,
    Lang(locale): Lang,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    jar: CookieJar,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, WebError> {
    let p = state.sso.get(&provider).ok_or(WebError::NotFound(locale))?;
    // The state cookie is used up by any answer, good or not.
    let browser_state = jar.get(SSO_COOKIE).map(|c| c.value().to_owned());
    let jar = jar.remove(Cookie::build(SSO_COOKIE).path("/"));
    let refuse = async |outcome: Outcome, subject: Option<&str>| {
        tracing::warn!(
            provider = %p.config.id,
            subject = subject.unwrap_or(""),
            reason = outcome.id(),
            "single sign-on refused"
        );
        let reason = match subject {
            Some(s) => format!(
                "web single sign-on ({}, sub {s}): {}",
                p.config.id,
                outcome.id()
            ),
            None => format!("web single sign-on ({}): {}", p.config.id, outcome.id()),
        };
        crate::grpc::audit::failed_authentication(
            state.ctx.store.as_ref(),
            state.ctx.clock.now(),
            Some(client.ip()),
            &reason,
        )
        .await;
        outcome.page(locale)
    };
    let sent = q.state.unwrap_or_default();
    let ours =
        browser_state.is_some_and(|b| !sent.is_empty() && sent.len() <= 200 && same(&b, &sent));
    if !ours {
        return Ok((jar, refuse(Outcome::State, None).await).into_response());
    }
    let now = state.ctx.clock.now();
    let taken = state
        .ctx
        .store
        .take_sso_login(&hash_secret(&sent), now)
        .await
        .map_err(|_| WebError::Unavailable(locale))?;
    let login = match taken {
        Ok(l) if l.provider_id == p.config.id => l,
        Ok(_) | Err(LoginRefusal::Unknown) => {
            return Ok((jar, refuse(Outcome::State, None).await).into_response());
        }
        Err(LoginRefusal::Used) => {
            return Ok((jar, refuse(Outcome::Used, None).await).into_response());
        }
        Err(LoginRefusal::Expired) => {
            return Ok((jar, refuse(Outcome::Expired, None).await).into_response());
        }
    };
    let code = match (q.error, q.code) {
        (None, Some(code)) if !code.is_empty() && code.len() <= 2048 => code,
        (Some(_), _) => {
            return Ok((jar, refuse(Outcome::Cancelled, None).await).into_response());
        }
        _ => return Ok((jar, refuse(Outcome::Invalid, None).await).into_response()),
    };
    let identity = match p.finish(&code, &login.pkce_verifier, &login.nonce).await {
        Ok(i) => i,
        Err(SsoError::Unreachable(e)) => {
            tracing::error!(provider = %p.config.id, error = %e, "single sign-on: the provider could not be reached");
            return Ok((jar, unavailable(locale, &p)).into_response());
        }
        Err(SsoError::Refused(e)) => {
            tracing::warn!(provider = %p.config.id, error = %e, "single sign-on: the provider's answer was refused");
            return Ok((jar, refuse(Outcome::Invalid, None).await).into_response());
        }
    };
    let subject = identity.subject.as_str();
    let email = match verified_email(identity.email.as_deref(), identity.email_verified) {
        Ok(e) => e,
        Err(r) => return Ok((jar, refuse(Outcome::Person(r), Some(subject)).await).into_response()),
    };
    let candidates: Vec<_> = state
        .ctx
        .store
        .employees_by_email(&email)
        .await
        .map_err(|_| WebError::Unavailable(locale))?
        .into_iter()
        .filter(|e| e.org_id == p.org)
        .collect();
    let grant = matching_grant(&p.config.grants, &email, &identity.groups);
    let (employee, role) = match admit(candidates, grant.map(|g| g.role)) {
        Ok(admitted) => admitted,
        Err(r) => return Ok((jar, refuse(Outcome::Person(r), Some(subject)).await).into_response()),
    };
    let secret = new_secret();
    let session = WebSession {
        org: p.org,
        employee_id: employee.as_ref().map(|e| e.id),
        sso: Some(SsoIdentity {
            subject: format!("{}:{subject}", p.config.id),
            role,
            // A person with a record is named by it; one without, by the
            // provider (their name, else the verified address).
            name: employee
                .is_none()
                .then(|| identity.name.clone().unwrap_or_else(|| email.clone())),
            department: grant.and_then(|g| g.department.clone()),
        }),
        ..new_session(&state, &headers)
    };
    state
        .ctx
        .store
        .insert_session(&session, &hash_secret(&secret))
        .await
        .map_err(|_| WebError::Unavailable(locale))?;
    tracing::info!(
        session_id = %session.id,
        employee_id = ?session.employee_id,
        provider = %p.config.id,
        subject,
        role = role.map(crate::domain::token::Role::as_str),
        "signed in with single sign-on"
    );
    audit_session(&state, &session, client.ip(), AuditAction::SignIn).await;
    // A person without a record has no "now" page: the organisation's.
    let next = if employee.is_none() && login.next == "/" {
        "/team".to_owned()
    } else {
        login.next
    };
    let jar = jar.add(cookie(
        SESSION_COOKIE,
        secret,
        state.settings.secure_cookies,
        state.settings.sessions.absolute,
    ));
    Ok((jar, see_other(&next)).into_response())
}
