//! The web front end for people: server-rendered pages (axum + minijinja)
//! in the same process as gRPC. An adapter like `grpc/`: each page
//! authenticates (a session instead of a token), parses its form, calls the
//! same use case the RPC calls, and renders the result. No rules live here.
//!
//! Pages work without JavaScript; forms post and redirect (POST, then
//! redirect, then GET), so a reload never sends a form twice.

pub mod error;
pub mod i18n;
pub mod ratelimit;
pub mod session;
pub mod view;

mod admin_dead;
mod admin_form;
mod admin_import;
mod admin_payroll;
mod admin_payroll_settings;
mod admin_people;
mod admin_plans;
mod admin_plans_forms;
mod admin_plans_words;
mod admin_tokens;
mod console_words;
mod data;
mod day;
mod format;
mod messages;
mod now;
mod plan_refusals;
mod record;
mod sign_in;
mod sso;
mod team;
mod time;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt as _;
use tokio::net::TcpListener;

use self::session::SessionRules;
use crate::grpc::Ctx;
use crate::mail::Mailer;

/// What the web adapter is configured with.
#[derive(Clone, Debug)]
pub struct WebSettings {
    /// The base of every link the service writes, without a trailing slash.
    pub public_url: String,
    /// Cookies are `Secure` when the public URL is https.
    pub secure_cookies: bool,
    pub sessions: SessionRules,
    /// Where `.eml` files go on the embedded default, for the log line that
    /// says where a sign-in link landed; `None` when mail goes by SMTP.
    pub eml_dir: Option<PathBuf>,
}

impl WebSettings {
    #[must_use]
    pub fn new(public_url: &str, eml_dir: Option<PathBuf>) -> Self {
        let public_url = public_url.trim_end_matches('/').to_owned();
        Self {
            secure_cookies: public_url.starts_with("https://"),
            public_url,
            sessions: SessionRules::default(),
            eml_dir,
        }
    }
}

/// What every page handler needs; cheap to clone.
#[derive(Clone)]
pub struct WebState {
    pub ctx: Ctx,
    pub mailer: Arc<Mailer>,
    pub settings: Arc<WebSettings>,
    pub limiter: Arc<ratelimit::Limiter>,
    /// The single sign-on providers (none without `--sso-config`).
    pub sso: Arc<crate::sso::Providers>,
}

/// Every page and form.
pub fn router(state: WebState) -> Router {
    Router::new()
        .route("/", get(now::page))
        .route("/clock", post(now::clock))
        .route("/time", get(time::page))
        .route("/time/{date}", get(day::own_page).post(day::correct))
        .route("/people/{employee}/time", get(time::person_page))
        .route("/people/{employee}/time/{date}", get(day::person_page))
        .route("/messages", get(messages::page))
        .route("/messages/mute", post(messages::mute))
        .route("/data", get(data::page))
        .route("/data/record.csv", get(data::csv))
        .route("/data/record.json", get(data::json))
        .route("/team", get(team::page))
        .route("/team/digests", get(team::digests))
        .route("/team/digests/preview", get(team::preview))
        .route("/sign-in", get(sign_in::form).post(sign_in::request_link))
        .route(
            "/sign-in/link",
            get(sign_in::link_page).post(sign_in::redeem_link),
        )
        .route(
            "/sign-in/token",
            get(sign_in::token_form).post(sign_in::token_sign_in),
        )
        .route("/sign-in/sso/{provider}", get(sso::start))
        .route("/sign-in/sso/{provider}/callback", get(sso::callback))
        .route("/sign-out", post(sign_in::sign_out))
        .route("/sessions", get(sign_in::sessions))
        .route("/sessions/end", post(sign_in::end_session))
        .route("/language", post(sign_in::language))
        .route("/admin/payroll", get(admin_payroll::periods))
        .route(
            "/admin/payroll/settings",
            get(admin_payroll_settings::page).post(admin_payroll_settings::save),
        )
        .route("/admin/payroll/{period}", get(admin_payroll::period))
        .route("/admin/payroll/{period}/lock", post(admin_payroll::lock))
        .route("/admin/payroll/{period}/csv", get(admin_payroll::csv))
        // The HR console (ADMIN): employees, import, tokens, dead letters.
        .route("/admin/people", get(admin_people::list))
        .route(
            "/admin/people/new",
            get(admin_people::new_form).post(admin_people::create),
        )
        .route(
            "/admin/people/import",
            get(admin_import::form).post(admin_import::run),
        )
        .route("/admin/people/import/preview", post(admin_import::preview))
        .route(
            "/admin/people/{id}",
            get(admin_people::edit_form).post(admin_people::update),
        )
        .route(
            "/admin/people/{id}/{what}",
            get(admin_people::confirm).post(admin_people::set_active),
        )
        .route("/admin/tokens", get(admin_tokens::list))
        .route(
            "/admin/tokens/new",
            get(admin_tokens::new_form).post(admin_tokens::create),
        )
        .route(
            "/admin/tokens/{id}/revoke",
            get(admin_tokens::confirm_revoke).post(admin_tokens::revoke),
        )
        .route("/admin/dead-letters", get(admin_dead::list))
        .route("/admin/dead-letters/{id}/retry", post(admin_dead::retry))
        .route("/static/style.css", get(stylesheet))
        // The § 10-7 record for safety representatives and inspectors.
        .merge(record::routes())
        .merge(admin_plans::routes())
        .fallback(not_found)
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("static/style.css"),
    )
        .into_response()
}

async fn not_found(session::Lang(locale): session::Lang) -> error::WebError {
    error::WebError::NotFound(locale)
}

/// Pages are personal data: never cached, never framed, no scripts from
/// elsewhere.
async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert(
        HeaderValue::from_static(
            "default-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    response
}

/// Serves the pages on `listener` until `shutdown`.
///
/// # Errors
/// When the listener fails.
pub async fn serve(
    listener: TcpListener,
    tls: Option<crate::tls::Tls>,
    state: WebState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state)
        .layer(tower::util::MapRequestLayer::new(trace_request))
        .into_make_service_with_connect_info::<SocketAddr>();
    match tls {
        Some(tls) => {
            let local = listener.local_addr()?;
            let incoming = tls.accept(listener, true);
            let listener = crate::tls::WebListener { incoming, local };
            axum::serve(listener.tap_io(|_| {}), app)
                .with_graceful_shutdown(shutdown)
                .await
        }
        None => {
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
        }
    }
}

fn trace_request<B>(request: axum::http::Request<B>) -> axum::http::Request<B> {
    // Paths carry ids (an employee, a date), never secrets: the link's and
    // the session's secrets travel in the body and the cookie.
    tracing::debug!(method = %request.method(), path = %request.uri().path(), "web request");
    request
}

/// A 303 to `to`: the answer to every form that worked.
#[must_use]
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}
