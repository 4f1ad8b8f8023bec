//! Sign-in without passwords, sessions and the language switch.
//!
//! A person asks for a link by email; the page answers the same whether or
//! not the address is known, and the email is sent off the request's path
//! so the answer takes the same time too. The link opens a confirmation
//! page whose button redeems it: mail scanners that fetch links do not use
//! them up.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use chrono::Duration;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::WebError;
use super::i18n::word;
use super::ratelimit;
use super::session::{
    self, LANG_COOKIE, Lang, PRE_COOKIE, Person, SESSION_COOKIE, audit_session, cookie, new_secret,
    same,
};
use super::view::{self, Chrome, MessagePage};
use super::{WebState, format, see_other};
use crate::domain::audit::AuditAction;
use crate::domain::employee::{Employee, Locale, parse_email};
use crate::domain::token::{Presented, hash_secret};
use crate::mail::Envelope;
use crate::storage::web::{LinkRefusal, SignInLink, WebSession};

/// Where a sign-in may return to: a path of ours, never another site.
pub(super) fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
    }
}

/// The pre-session CSRF value: the cookie's, or a new one to set.
fn pre_token(jar: CookieJar, secure: bool) -> (CookieJar, String) {
    if let Some(c) = jar.get(PRE_COOKIE) {
        let v = c.value().to_owned();
        return (jar, v);
    }
    let v = new_secret();
    let jar = jar.add(cookie(PRE_COOKIE, v.clone(), secure, Duration::hours(12)));
    (jar, v)
}

fn check_pre(jar: &CookieJar, sent: &str, locale: Locale) -> Result<(), WebError> {
    match jar.get(PRE_COOKIE) {
        Some(c) if !sent.is_empty() && same(c.value(), sent) => Ok(()),
        _ => {
            tracing::warn!("sign-in form refused: CSRF token missing or wrong");
            Err(WebError::Csrf(locale))
        }
    }
}

fn client_key(addr: SocketAddr) -> String {
    format!("client:{}", addr.ip())
}

pub(super) fn too_many(locale: Locale, wait: Duration) -> Response {
    let minutes = (wait.num_seconds() + 59) / 60;
    let lead = format!(
        "{} ({})",
        word(locale, "too_many_lead"),
        format::duration(locale, Duration::minutes(minutes.max(1)))
    );
    let mut r = view::message(
        StatusCode::TOO_MANY_REQUESTS,
        locale,
        &Chrome::default(),
        &MessagePage {
            heading: word(locale, "too_many").into(),
            lead,
            link: "/sign-in".into(),
            link_text: word(locale, "sign_in").into(),
        },
    );
    if let Ok(v) = wait.num_seconds().max(1).to_string().parse() {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Debug, Default, Serialize)]
struct SignInView {
    email: String,
    error: String,
    next: String,
    pre: String,
    /// "Sign in with …" for each single sign-on provider.
    providers: Vec<super::sso::ProviderButton>,
}

fn sign_in_page(status: StatusCode, locale: Locale, v: &SignInView) -> Response {
    let chrome = Chrome {
        csrf: v.pre.clone(),
        ..Chrome::default()
    };
    view::render(
        status,
        "sign_in.html.j2",
        locale,
        &chrome,
        word(locale, "sign_in"),
        v,
    )
}

/// `GET /sign-in`.
pub async fn form(
    State(state): State<WebState>,
    Lang(locale): Lang,
    jar: CookieJar,
    Query(q): Query<NextQuery>,
) -> Response {
    let (jar, pre) = pre_token(jar, state.settings.secure_cookies);
    let next = safe_next(q.next.as_deref());
    let v = SignInView {
        providers: super::sso::buttons(&state, &next),
        next,
        pre,
        ..SignInView::default()
    };
    (jar, sign_in_page(StatusCode::OK, locale, &v)).into_response()
}

#[derive(Debug, Deserialize)]
pub struct LinkRequest {
    #[serde(default)]
    email: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /sign-in`: sends a link to every active employee with the address.
pub async fn request_link(
    State(state): State<WebState>,
    Lang(locale): Lang,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    jar: CookieJar,
    Form(f): Form<LinkRequest>,
) -> Result<Response, WebError> {
    check_pre(&jar, &f.csrf, locale)?;
    let next = safe_next(Some(&f.next));
    let Ok(email) = parse_email("email", f.email.trim()) else {
        let v = SignInView {
            email: f.email.chars().take(254).collect(),
            error: match locale {
                Locale::Nb => "Skriv inn en e-postadresse, for eksempel kari@firma.no.",
                Locale::En => "Enter an email address, for example kari@company.com.",
            }
            .into(),
            providers: super::sso::buttons(&state, &next),
            next,
            pre: f.csrf,
        };
        return Ok(sign_in_page(StatusCode::UNPROCESSABLE_ENTITY, locale, &v));
    };
    let now = state.ctx.clock.now();
    for (key, rule) in [
        (client_key(client), ratelimit::PER_CLIENT),
        (
            format!("email:{}", email.to_lowercase()),
            ratelimit::PER_EMAIL,
        ),
    ] {
        if let Err(wait) = state.limiter.check(&key, rule, now) {
            tracing::warn!("sign-in link refused: too many requests");
            return Ok(too_many(locale, wait));
        }
    }
    // Off the request's path: the answer must not take longer for a known
    // address than for an unknown one.
    let task_state = state.clone();
    tokio::spawn(async move { send_links(&task_state, &email, &next).await });
    let page = MessagePage {
        heading: word(locale, "check_email").into(),
        lead: format!(
            "{} {}",
            word(locale, "check_email_lead"),
            word(locale, "check_email_none")
        ),
        link: "/sign-in".into(),
        link_text: word(locale, "new_link").into(),
    };
    Ok(view::message(
        StatusCode::OK,
        locale,
        &Chrome::default(),
        &page,
    ))
}

async fn send_links(state: &WebState, email: &str, next: &str) {
    let store = state.ctx.store.as_ref();
    let employees = match store.employees_by_email(email).await {
        Ok(e) => e,
        Err(e) => {
            tracing::error!(error = %e, "sign-in: employees could not be read");
            return;
        }
    };
    for employee in employees {
        if let Err(e) = send_link(state, &employee, next).await {
            tracing::warn!(employee_id = %employee.id, error = %e, "sign-in link not sent");
        }
    }
}

async fn send_link(state: &WebState, employee: &Employee, next: &str) -> anyhow::Result<()> {
    let now = state.ctx.clock.now();
    let secret = new_secret();
    let link = SignInLink {
        org: employee.org_id,
        id: Uuid::new_v4(),
        employee_id: employee.id,
        created_at: now,
        expires_at: now + state.settings.sessions.link_ttl,
    };
    state
        .ctx
        .store
        .insert_sign_in_link(&link, &hash_secret(&secret))
        .await?;
    let mut url = format!("{}/sign-in/link?token={secret}", state.settings.public_url);
    if next != "/" {
        url.push_str("&next=");
        url.push_str(&super::error::urlencode(next));
    }
    let locale = employee.fields.locale;
    let rendered = view::sign_in_email(locale, first_name(&employee.fields.name), &url)?;
    let env = Envelope {
        to_name: employee.fields.name.clone(),
        to_email: employee.fields.email.clone(),
        message_id: state.mailer.message_id(link.id),
        date: now,
        locale,
    };
    state.mailer.send(&env, &rendered).await?;
    if let Some(dir) = &state.settings.eml_dir {
        tracing::info!(
            employee_id = %employee.id,
            file = %dir.join(format!("{}@{}.eml", link.id, state.mailer.from_domain())).display(),
            "sign-in link written to the outbox folder"
        );
    } else {
        tracing::info!(employee_id = %employee.id, "sign-in link sent");
    }
    Ok(())
}

fn first_name(name: &str) -> &str {
    name.split_whitespace().next().unwrap_or(name)
}

#[derive(Debug, Deserialize)]
pub struct LinkQuery {
    #[serde(default)]
    token: String,
    next: Option<String>,
}

#[derive(Debug, Serialize)]
struct LinkView {
    token: String,
    next: String,
    pre: String,
}

fn refused(locale: Locale, why: LinkRefusal) -> Response {
    let lead = match why {
        LinkRefusal::Used => "link_used",
        LinkRefusal::Expired => "link_expired",
        LinkRefusal::Unknown => "link_unknown",
    };
    view::message(
        StatusCode::GONE,
        locale,
        &Chrome::default(),
        &MessagePage {
            heading: word(locale, "link_refused").into(),
            lead: word(locale, lead).into(),
            link: "/sign-in".into(),
            link_text: word(locale, "new_link").into(),
        },
    )
}

/// `GET /sign-in/link?token=…`: the confirmation page (stores nothing).
pub async fn link_page(
    State(state): State<WebState>,
    Lang(locale): Lang,
    jar: CookieJar,
    Query(q): Query<LinkQuery>,
) -> Result<Response, WebError> {
    if let Some(why) = link_state(&state, &q.token).await? {
        return Ok(refused(locale, why));
    }
    let (jar, pre) = pre_token(jar, state.settings.secure_cookies);
    let v = LinkView {
        token: q.token,
        next: safe_next(q.next.as_deref()),
        pre: pre.clone(),
    };
    let chrome = Chrome {
        csrf: pre,
        ..Chrome::default()
    };
    Ok((
        jar,
        view::render(
            StatusCode::OK,
            "sign_in_link.html.j2",
            locale,
            &chrome,
            word(locale, "link_title"),
            &v,
        ),
    )
        .into_response())
}

/// Why a link would be refused now, without using it.
async fn link_state(state: &WebState, token: &str) -> Result<Option<LinkRefusal>, WebError> {
    if token.is_empty() || token.len() > 128 {
        return Ok(Some(LinkRefusal::Unknown));
    }
    let now = state.ctx.clock.now();
    let peek = state
        .ctx
        .store
        .peek_sign_in_link(&hash_secret(token))
        .await
        .map_err(|_| WebError::Unavailable(Locale::Nb))?;
    Ok(match peek {
        None => Some(LinkRefusal::Unknown),
        Some((_, Some(_))) => Some(LinkRefusal::Used),
        Some((expires, None)) if expires <= now => Some(LinkRefusal::Expired),
        Some(_) => None,
    })
}

#[derive(Debug, Deserialize)]
pub struct RedeemForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf: String,
}

fn user_agent(headers: &HeaderMap) -> String {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(120)
        .collect()
}

pub(super) fn new_session(state: &WebState, headers: &HeaderMap) -> WebSession {
    let now = state.ctx.clock.now();
    WebSession {
        org: crate::domain::ids::OrgId(Uuid::nil()),
        id: Uuid::new_v4(),
        employee_id: None,
        token_id: None,
        user_agent: user_agent(headers),
        created_at: now,
        last_seen_at: now,
        expires_at: now + state.settings.sessions.absolute,
        ended_at: None,
        sso: None,
    }
}

fn signed_in(state: &WebState, jar: CookieJar, secret: String, next: &str) -> Response {
    let jar = jar.add(cookie(
        SESSION_COOKIE,
        secret,
        state.settings.secure_cookies,
        state.settings.sessions.absolute,
    ));
    (jar, see_other(next)).into_response()
}

/// `POST /sign-in/link`: uses the link once and opens a session.
pub async fn redeem_link(
    State(state): State<WebState>,
    Lang(locale): Lang,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    Form(f): Form<RedeemForm>,
) -> Result<Response, WebError> {
    check_pre(&jar, &f.csrf, locale)?;
    if f.token.is_empty() || f.token.len() > 128 {
        return Ok(refused(locale, LinkRefusal::Unknown));
    }
    let secret = new_secret();
    let now = state.ctx.clock.now();
    let result = state
        .ctx
        .store
        .redeem_sign_in_link(
            &hash_secret(&f.token),
            now,
            new_session(&state, &headers),
            hash_secret(&secret),
        )
        .await
        .map_err(|_| WebError::Unavailable(locale))?;
    match result {
        Ok(s) => {
            tracing::info!(session_id = %s.id, employee_id = ?s.employee_id, "signed in with a link");
            audit_session(&state, &s, client.ip(), AuditAction::SignIn).await;
            Ok(signed_in(&state, jar, secret, &safe_next(Some(&f.next))))
        }
        Err(why) => {
            tracing::info!(reason = ?why, "a sign-in link was refused");
            Ok(refused(locale, why))
        }
    }
}

#[derive(Debug, Default, Serialize)]
struct TokenView {
    error: String,
    pre: String,
}

fn token_page(status: StatusCode, locale: Locale, v: &TokenView) -> Response {
    let chrome = Chrome {
        csrf: v.pre.clone(),
        ..Chrome::default()
    };
    view::render(
        status,
        "sign_in_token.html.j2",
        locale,
        &chrome,
        word(locale, "admin_sign_in"),
        v,
    )
}

/// `GET /sign-in/token`.
pub async fn token_form(
    State(state): State<WebState>,
    Lang(locale): Lang,
    jar: CookieJar,
) -> Response {
    let (jar, pre) = pre_token(jar, state.settings.secure_cookies);
    (
        jar,
        token_page(
            StatusCode::OK,
            locale,
            &TokenView {
                pre,
                ..TokenView::default()
            },
        ),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /sign-in/token`: a token of a role without a record of its own
/// (ADMIN, `SAFETY_REP`, INSPECTOR) opens a session acting as that token.
pub async fn token_sign_in(
    State(state): State<WebState>,
    Lang(locale): Lang,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    Form(f): Form<TokenForm>,
) -> Result<Response, WebError> {
    check_pre(&jar, &f.csrf, locale)?;
    let now = state.ctx.clock.now();
    if let Err(wait) = state.limiter.check(
        &format!("token:{}", client_key(client)),
        ratelimit::TOKEN_PER_CLIENT,
        now,
    ) {
        tracing::warn!("admin sign-in refused: too many attempts");
        return Ok(too_many(locale, wait));
    }
    let secret = f.token.trim();
    let token = if secret.is_empty() || secret.len() > 200 {
        None
    } else {
        state
            .ctx
            .store
            .token_by_hash(&hash_secret(secret))
            .await
            .map_err(|_| WebError::Unavailable(locale))?
            .filter(|t| {
                t.role.signs_in_with_token() && t.refusal(Presented::Current, now).is_none()
            })
    };
    let Some(token) = token else {
        tracing::warn!("admin sign-in refused: not a valid admin token");
        crate::grpc::audit::failed_authentication(
            state.ctx.store.as_ref(),
            now,
            Some(client.ip()),
            "web admin sign-in: not a valid admin token",
        )
        .await;
        let v = TokenView {
            error: match locale {
                Locale::Nb => "Dette er ikke et gyldig administrator-token.",
                Locale::En => "This is not a valid administrator token.",
            }
            .into(),
            pre: f.csrf,
        };
        return Ok(token_page(StatusCode::UNPROCESSABLE_ENTITY, locale, &v));
    };
    let session_secret = new_secret();
    let session = WebSession {
        org: token.org_id,
        token_id: Some(token.id),
        ..new_session(&state, &headers)
    };
    state
        .ctx
        .store
        .insert_session(&session, &hash_secret(&session_secret))
        .await
        .map_err(|_| WebError::Unavailable(locale))?;
    tracing::info!(session_id = %session.id, token_id = %token.id, role = token.role.as_str(), "signed in with a token");
    audit_session(&state, &session, client.ip(), AuditAction::SignIn).await;
    // A reader of the § 10-7 record has no team: their page is the record.
    let home = if token.role.is_read_only() {
        "/record"
    } else {
        "/team"
    };
    Ok(signed_in(&state, jar, session_secret, home))
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /sign-out`.
pub async fn sign_out(
    State(state): State<WebState>,
    person: Person,
    jar: CookieJar,
    Form(f): Form<CsrfForm>,
) -> Result<Response, WebError> {
    person.check_csrf(&f.csrf)?;
    let now = state.ctx.clock.now();
    state
        .ctx
        .store
        .end_session(&person.session, person.session.id, now)
        .await
        .map_err(|_| WebError::Unavailable(person.locale))?;
    tracing::info!(session_id = %person.session.id, "signed out");
    state
        .ctx
        .audit(
            &person.caller,
            AuditAction::SignOut,
            person.caller.bound_employee(),
            None,
            None,
        )
        .await;
    let jar = jar.remove(axum_extra::extract::cookie::Cookie::build(SESSION_COOKIE).path("/"));
    Ok((jar, see_other("/sign-in")).into_response())
}

#[derive(Debug, Serialize)]
struct SessionRow {
    id: String,
    browser: String,
    started: String,
    last_seen: String,
    expires: String,
    ended: String,
    current: bool,
    live: bool,
}

#[derive(Debug, Serialize)]
struct SessionsView {
    sessions: Vec<SessionRow>,
}

/// `GET /sessions`: the person's own sessions.
pub async fn sessions(State(state): State<WebState>, person: Person) -> Result<Response, WebError> {
    let now = state.ctx.clock.now();
    let rows = state
        .ctx
        .store
        .sessions_of(&person.session, 50)
        .await
        .map_err(|_| WebError::Unavailable(person.locale))?;
    let tz = person
        .employee
        .as_ref()
        .map_or(chrono_tz::Europe::Oslo, |e| e.fields.time_zone);
    let l = person.locale;
    let when = |t| format::instant(l, tz, t);
    let v = SessionsView {
        sessions: rows
            .iter()
            .map(|s| SessionRow {
                id: s.id.to_string(),
                browser: format::browser(&s.user_agent),
                started: when(s.created_at),
                last_seen: when(s.last_seen_at),
                expires: when(
                    s.expires_at
                        .min(s.last_seen_at + state.settings.sessions.idle),
                ),
                ended: s.ended_at.map(when).unwrap_or_default(),
                current: s.id == person.session.id,
                live: state.settings.sessions.is_live(s, now),
            })
            .collect(),
    };
    Ok(view::render(
        StatusCode::OK,
        "sessions.html.j2",
        l,
        &person.chrome("sessions"),
        word(l, "sessions_title"),
        &v,
    ))
}

#[derive(Debug, Deserialize)]
pub struct EndForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    session_id: String,
}

/// `POST /sessions/end`: ends one of the person's own sessions.
pub async fn end_session(
    State(state): State<WebState>,
    person: Person,
    Form(f): Form<EndForm>,
) -> Result<Response, WebError> {
    person.check_csrf(&f.csrf)?;
    let id = Uuid::parse_str(f.session_id.trim())
        .map_err(|_| WebError::BadRequest(person.locale, "session_id: not a session id".into()))?;
    let ended = state
        .ctx
        .store
        .end_session(&person.session, id, state.ctx.clock.now())
        .await
        .map_err(|_| WebError::Unavailable(person.locale))?;
    if !ended {
        return Err(WebError::NotFound(person.locale));
    }
    tracing::info!(session_id = %person.session.id, ended = %id, "session ended by its owner");
    Ok(see_other(if id == person.session.id {
        "/sign-in"
    } else {
        "/sessions"
    }))
}

#[derive(Debug, Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    back: String,
}

/// `POST /language`: the switch. Only a preference cookie, so it needs no
/// CSRF token: a forged switch changes nothing but the words.
pub async fn language(
    State(state): State<WebState>,
    Lang(locale): Lang,
    jar: CookieJar,
    Form(f): Form<LanguageForm>,
) -> Result<Response, WebError> {
    let lang = Locale::parse(f.lang.trim())
        .ok_or_else(|| WebError::BadRequest(locale, "lang: use nb or en".into()))?;
    let jar = jar.add(session::cookie(
        LANG_COOKIE,
        lang.as_str().to_owned(),
        state.settings.secure_cookies,
        Duration::days(365),
    ));
    Ok((jar, see_other(&safe_next(Some(&f.back)))).into_response())
}
