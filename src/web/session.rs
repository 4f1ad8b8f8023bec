//! Who is asking: the session cookie becomes a [`Person`], whose `caller`
//! is the same [`Caller`] the gRPC adapter builds from a token, so both
//! doors pass the same authorization in the use cases.
//!
//! - The cookie holds a 256-bit secret; the database holds its SHA-256.
//! - A session ends when signed out, ended from the list of sessions, idle
//!   for too long, past its absolute end, or when its person is
//!   deactivated (an admin's, when its token is revoked).
//! - Forms carry a CSRF token derived from the session secret, so it is
//!   never stored and cannot be guessed without the cookie. Forms before
//!   sign-in use a double-submit cookie instead.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest as _, Sha256};

use super::WebState;
use super::error::WebError;
use super::view::Chrome;
use crate::domain::audit::AuditAction;
use crate::domain::employee::{Employee, Locale};
use crate::domain::ids::TokenId;
use crate::domain::token::{ApiToken, Presented, Role, hash_secret};
use crate::grpc::auth::Caller;
use crate::grpc::error::ApiError;
use crate::storage::EmployeeFilter;
use crate::storage::web::WebSession;

pub const SESSION_COOKIE: &str = "tv_session";
/// The double-submit CSRF cookie of the forms shown before sign-in.
pub const PRE_COOKIE: &str = "tv_pre";
/// The language a person chose with the switch; overrides their profile.
pub const LANG_COOKIE: &str = "tv_lang";

/// How often a session's `last_seen_at` is written: often enough for the
/// idle expiry, rarely enough that reading a page is not a write.
const TOUCH_EVERY: Duration = Duration::minutes(1);

/// A fresh 256-bit secret as hex.
#[must_use]
pub fn new_secret() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// The CSRF token of forms in a session: derived, never stored.
#[must_use]
pub fn csrf_for(session_secret: &str) -> String {
    hex::encode(Sha256::digest(format!("tidsvakt-csrf:{session_secret}")))
}

/// Compares two tokens in time independent of where they differ.
#[must_use]
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A cookie with the attributes every cookie of ours has.
#[must_use]
pub fn cookie(
    name: &'static str,
    value: String,
    secure: bool,
    max_age: Duration,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(time::Duration::seconds(max_age.num_seconds()))
        .build()
}

/// The language of a request without a session: the switch's cookie, then
/// the browser's `Accept-Language`, then bokmål.
#[must_use]
pub fn request_locale(jar: &CookieJar, parts: &Parts) -> Locale {
    if let Some(l) = jar.get(LANG_COOKIE).and_then(|c| Locale::parse(c.value())) {
        return l;
    }
    let accept = parts
        .headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let first = accept.split(',').next().unwrap_or_default().trim();
    if first.starts_with("en") {
        Locale::En
    } else {
        Locale::Nb
    }
}

/// The language of a request, for pages before sign-in.
pub struct Lang(pub Locale);

impl FromRequestParts<WebState> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &WebState) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        Ok(Self(request_locale(&jar, parts)))
    }
}

/// A signed-in person.
#[derive(Clone, Debug)]
pub struct Person {
    /// The same caller a token gives: the use cases authorize it.
    pub caller: Caller,
    pub session: WebSession,
    /// The person's own record; `None` in an admin-token session.
    pub employee: Option<Employee>,
    pub locale: Locale,
    pub csrf: String,
    pub is_manager: bool,
}

impl Person {
    #[must_use]
    pub fn is_admin(&self) -> bool {
        self.caller.role() == Role::Admin
    }

    /// What the layout shows.
    #[must_use]
    pub fn chrome(&self, current: &'static str) -> Chrome {
        Chrome {
            name: self
                .employee
                .as_ref()
                .map_or_else(|| self.caller.token.name.clone(), |e| e.fields.name.clone()),
            csrf: self.csrf.clone(),
            has_record: self.employee.is_some(),
            is_manager: self.is_manager,
            is_admin: self.is_admin(),
            reads_record: self.caller.role().reads_working_time_record(),
            current,
        }
    }

    /// A use case's error as this person's page.
    #[must_use]
    pub fn fail(&self, e: ApiError) -> WebError {
        WebError::from_api(self.locale, e)
    }

    /// Refuses a form whose CSRF token is not this session's.
    pub fn check_csrf(&self, sent: &str) -> Result<(), WebError> {
        if same(sent, &self.csrf) {
            Ok(())
        } else {
            tracing::warn!(session_id = %self.session.id, "form refused: CSRF token does not match");
            Err(WebError::Csrf(self.locale))
        }
    }

    /// The person's own record, for the pages about oneself.
    pub fn own(&self) -> Result<&Employee, WebError> {
        self.employee
            .as_ref()
            .ok_or(WebError::NotFound(self.locale))
    }
}

impl FromRequestParts<WebState> for Person {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, WebError> {
        let jar = CookieJar::from_headers(&parts.headers);
        let next = parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), ToString::to_string);
        let sign_in = || WebError::SignIn { next: next.clone() };
        let Some(secret) = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
            return Err(sign_in());
        };
        let lang = request_locale(&jar, parts);
        let store = state.ctx.store.as_ref();
        let unavailable = |_| WebError::Unavailable(lang);
        let Some(session) = store
            .session_by_hash(&hash_secret(&secret))
            .await
            .map_err(unavailable)?
        else {
            tracing::info!("a session cookie that no session has was refused");
            return Err(sign_in());
        };
        let now = state.ctx.clock.now();
        if !state.settings.sessions.is_live(&session, now) {
            return Err(sign_in());
        }
        let client = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let (mut caller, employee, is_manager) =
            caller_of(state, &session).await.map_err(|e| match e {
                ApiError::Unauthenticated(_) => sign_in(),
                other => WebError::from_api(lang, other),
            })?;
        if now - session.last_seen_at >= TOUCH_EVERY {
            store
                .touch_session(session.org, session.id, now)
                .await
                .map_err(unavailable)?;
        }
        let locale = jar
            .get(LANG_COOKIE)
            .and_then(|c| Locale::parse(c.value()))
            .or_else(|| employee.as_ref().map(|e| e.fields.locale))
            .unwrap_or(lang);
        tracing::Span::current().record("session_id", tracing::field::display(session.id));
        caller.client = client;
        Ok(Self {
            caller,
            csrf: csrf_for(&secret),
            session,
            employee,
            locale,
            is_manager,
        })
    }
}

/// Logs a sign-in (or -out) of `session` from `client`, as the caller the
/// session acts as. A session whose person is gone logs nothing.
pub(super) async fn audit_session(
    state: &WebState,
    session: &WebSession,
    client: IpAddr,
    action: AuditAction,
) {
    match caller_of(state, session).await {
        Ok((mut caller, _, _)) => {
            caller.client = Some(client);
            let subject = caller.bound_employee();
            state.ctx.audit(&caller, action, subject, None, None).await;
        }
        Err(e) => tracing::warn!(session_id = %session.id, error = %e, "sign-in not logged"),
    }
}

/// The caller a session acts as. An employee's session is a bound
/// EMPLOYEE token, or MANAGER when they have active reports; its token id is
/// the session id, so corrections name the session that made them. A
/// session opened with a token (ADMIN, `SAFETY_REP`, INSPECTOR) acts as that
/// token as stored now: revoked or expired, the session ends with it. A
/// single sign-on session with a role granted by configuration acts with
/// that role (bound to the employee when the person has a record).
async fn caller_of(
    state: &WebState,
    session: &WebSession,
) -> Result<(Caller, Option<Employee>, bool), ApiError> {
    let store = state.ctx.store.as_ref();
    if let Some(token_id) = session.token_id {
        let token = store
            .api_token(session.org, token_id)
            .await?
            .filter(|t| t.role.signs_in_with_token())
            .ok_or_else(|| ApiError::Unauthenticated("the token is gone".into()))?;
        if let Some(why) = token.refusal(Presented::Current, state.ctx.clock.now()) {
            return Err(ApiError::Unauthenticated(why));
        }
        return Ok((Caller::of_session(token, session.id), None, false));
    }
    let granted = session.sso.as_ref().and_then(|s| s.role);
    let Some(id) = session.employee_id else {
        let (Some(sso), Some(role)) = (&session.sso, granted) else {
            return Err(ApiError::Unauthenticated(
                "a session with no one in it".into(),
            ));
        };
        let name = sso.name.clone().unwrap_or_else(|| sso.subject.clone());
        let mut token = session_token(session, name, role, None);
        token.department.clone_from(&sso.department);
        return Ok((Caller::of_session(token, session.id), None, false));
    };
    let employee = store
        .employee(session.org, id)
        .await?
        .filter(|e| e.active)
        .ok_or_else(|| ApiError::Unauthenticated("the employee is deactivated".into()))?;
    let filter = EmployeeFilter {
        include_inactive: false,
        manager_id: Some(employee.id),
    };
    let is_manager = !store
        .list_employees(session.org, &filter, None, 1)
        .await?
        .is_empty();
    let role = granted.unwrap_or(if is_manager {
        Role::Manager
    } else {
        Role::Employee
    });
    let mut token = session_token(
        session,
        employee.fields.name.clone(),
        role,
        Some(employee.id),
    );
    token.department = session.sso.as_ref().and_then(|s| s.department.clone());
    Ok((
        Caller::of_session(token, session.id),
        Some(employee),
        is_manager,
    ))
}

/// The token a session acts as: its id is the session's.
fn session_token(
    session: &WebSession,
    name: String,
    role: Role,
    employee_id: Option<crate::domain::ids::EmployeeId>,
) -> ApiToken {
    ApiToken {
        id: TokenId(session.id),
        org_id: session.org,
        name,
        role,
        employee_id,
        created_at: session.created_at,
        revoked_at: None,
        expires_at: None,
        last_used_at: None,
        rotated_at: None,
        previous_valid_until: None,
        department: None,
    }
}

/// Session lifetimes and link expiry.
#[derive(Clone, Debug)]
pub struct SessionRules {
    /// A sign-in link is good this long after it is sent.
    pub link_ttl: Duration,
    /// A session unused this long ends.
    pub idle: Duration,
    /// A session ends this long after it began, used or not.
    pub absolute: Duration,
}

impl Default for SessionRules {
    /// A link for 15 minutes (the figure). A phone used to clock in
    /// every working day should not ask for a new link every morning, nor
    /// keep a lost phone signed in for long: 7 days idle, 30 days at most.
    fn default() -> Self {
        Self {
            link_ttl: Duration::minutes(15),
            idle: Duration::days(7),
            absolute: Duration::days(30),
        }
    }
}

impl SessionRules {
    /// Whether `session` may still be used at `now`.
    #[must_use]
    pub fn is_live(&self, session: &WebSession, now: DateTime<Utc>) -> bool {
        session.ended_at.is_none()
            && now < session.expires_at
            && now < session.last_seen_at + self.idle
    }
}
