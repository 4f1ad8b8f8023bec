//! `WebError`: what a page answers when a request cannot be served. The
//! use cases' [`ApiError`] maps to the HTTP status a browser understands and
//! a page in the person's language; database details are logged, never
//! shown (the same rule as `grpc/error.rs`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::i18n::word;
use super::view::{self, Chrome, MessagePage};
use crate::domain::employee::Locale;
use crate::grpc::error::ApiError;

#[derive(Debug)]
pub enum WebError {
    /// No valid session: to the sign-in page, coming back to `next`.
    SignIn {
        next: String,
    },
    /// A form without a valid CSRF token: refused, nothing stored.
    Csrf(Locale),
    Forbidden(Locale),
    NotFound(Locale),
    /// A request the pages never send (a hand-made URL or form).
    BadRequest(Locale, String),
    Unavailable(Locale),
    /// Over a rate limit: 429 with `Retry-After`.
    TooMany(Locale, std::time::Duration),
    Internal(Locale),
}

impl WebError {
    /// The page's answer to a use case's error.
    #[must_use]
    pub fn from_api(locale: Locale, e: ApiError) -> Self {
        match e {
            ApiError::PermissionDenied(_) => Self::Forbidden(locale),
            ApiError::NotFound(_) => Self::NotFound(locale),
            ApiError::Unauthenticated(_) => Self::SignIn { next: "/".into() },
            ApiError::Unavailable(_) => Self::Unavailable(locale),
            ApiError::ResourceExhausted { retry_after, .. } => Self::TooMany(locale, retry_after),
            ApiError::Invalid { .. }
            | ApiError::AlreadyExists { .. }
            | ApiError::FailedPrecondition { .. } => Self::BadRequest(locale, e.to_string()),
            ApiError::Unimplemented(m) | ApiError::Internal(m) => {
                tracing::error!(error = %m, "page failed");
                Self::Internal(locale)
            }
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let chrome = Chrome::default();
        let page = |status, locale: Locale, heading: &str, lead: String| {
            view::message(
                status,
                locale,
                &chrome,
                &MessagePage {
                    heading: word(locale, heading).to_owned(),
                    lead,
                    link: "/".into(),
                    link_text: word(locale, "back_home").to_owned(),
                },
            )
        };
        match self {
            Self::SignIn { next } => {
                let target = if next == "/" || next.is_empty() {
                    "/sign-in".to_owned()
                } else {
                    format!("/sign-in?next={}", urlencode(&next))
                };
                Redirect::to(&target).into_response()
            }
            Self::Csrf(l) => page(
                StatusCode::FORBIDDEN,
                l,
                "csrf_failed",
                word(l, "csrf_failed_lead").into(),
            ),
            Self::Forbidden(l) => page(
                StatusCode::FORBIDDEN,
                l,
                "forbidden",
                word(l, "forbidden_lead").into(),
            ),
            Self::NotFound(l) => page(StatusCode::NOT_FOUND, l, "not_found", String::new()),
            Self::BadRequest(l, why) => page(StatusCode::BAD_REQUEST, l, "error", why),
            Self::Unavailable(l) => page(
                StatusCode::SERVICE_UNAVAILABLE,
                l,
                "error",
                word(l, "unavailable").into(),
            ),
            Self::TooMany(l, wait) => super::sign_in::too_many(
                l,
                chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX),
            ),
            Self::Internal(l) => page(StatusCode::INTERNAL_SERVER_ERROR, l, "error", String::new()),
        }
    }
}

/// Percent-encodes a path for a query parameter.
#[must_use]
pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
