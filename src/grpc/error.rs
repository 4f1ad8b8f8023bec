//! `ApiError`, the one error type of the gRPC layer, and the only place a
//! `tonic::Status` is built from it. Messages name the field and the problem;
//! database details are logged, never sent.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt as _};

use crate::domain::employee::FieldError;
use crate::storage::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    #[error("{0}")]
    NotFound(String),
    #[error("{field}: {reason}")]
    AlreadyExists { field: String, reason: String },
    #[error("{field}: {reason}")]
    FailedPrecondition { field: String, reason: String },
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    PermissionDenied(String),
    #[error("{0}")]
    Unimplemented(String),
    #[error("{0}")]
    Unavailable(String),
    /// Over a rate or concurrency limit; the client may retry after the
    /// wait given.
    #[error("{what}; retry in {} s", retry_after.as_secs().max(1))]
    ResourceExhausted {
        what: String,
        retry_after: std::time::Duration,
    },
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The gRPC code this error is answered with.
    #[must_use]
    pub fn code(&self) -> Code {
        match self {
            Self::Invalid { .. } => Code::InvalidArgument,
            Self::NotFound(_) => Code::NotFound,
            Self::AlreadyExists { .. } => Code::AlreadyExists,
            Self::FailedPrecondition { .. } => Code::FailedPrecondition,
            Self::Unauthenticated(_) => Code::Unauthenticated,
            Self::PermissionDenied(_) => Code::PermissionDenied,
            Self::Unimplemented(_) => Code::Unimplemented,
            Self::Unavailable(_) => Code::Unavailable,
            Self::ResourceExhausted { .. } => Code::ResourceExhausted,
            Self::Internal(_) => Code::Internal,
        }
    }

    /// The field the error is about, if any.
    #[must_use]
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. }
            | Self::AlreadyExists { field, .. }
            | Self::FailedPrecondition { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        Self::Invalid {
            field: e.field,
            reason: e.reason,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { field, reason } => Self::AlreadyExists { field, reason },
            StoreError::Invalid { field, reason } => Self::Invalid { field, reason },
            StoreError::NotFound(what) => Self::NotFound(what),
            StoreError::Precondition { field, reason } => {
                Self::FailedPrecondition { field, reason }
            }
            StoreError::Unavailable(what) => {
                tracing::error!(error = %what, "database unavailable");
                Self::Unavailable("the database is unavailable; retry later".into())
            }
            StoreError::Refused(fault) => {
                tracing::error!(%fault, "the storage refuses writes");
                Self::Unavailable(format!(
                    "{fault}: writes are refused until that is fixed; retry later"
                ))
            }
            StoreError::Database(err) => Self::Internal(err.to_string()),
            StoreError::Corrupt(what) => Self::Internal(what),
        }
    }
}

impl From<ApiError> for Status {
    fn from(e: ApiError) -> Self {
        metrics::counter!(crate::metrics::families::RPC_ERRORS, "code" => format!("{:?}", e.code()))
            .increment(1);
        let message = shorten(&e.to_string());
        match e {
            ApiError::Invalid { field, reason } => {
                let mut details = ErrorDetails::new();
                details.add_bad_request_violation(shorten(&field), shorten(&reason));
                Status::with_error_details(Code::InvalidArgument, message, details)
            }
            ApiError::Internal(what) => {
                tracing::error!(error = %what, "internal error");
                Status::internal("internal error")
            }
            ApiError::ResourceExhausted { retry_after, .. } => {
                let mut details = ErrorDetails::new();
                details.set_retry_info(Some(retry_after));
                let mut status =
                    Status::with_error_details(Code::ResourceExhausted, message, details);
                if let Ok(v) = retry_after.as_secs().max(1).to_string().parse() {
                    status.metadata_mut().insert("retry-after", v);
                }
                status
            }
            other => Status::new(other.code(), message),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// A status tonic raised while reading a client's stream, re-coded as
/// for unary calls (`status_layer`): over the size limit is
/// `RESOURCE_EXHAUSTED`, not `OUT_OF_RANGE`.
#[must_use]
pub fn inbound(status: Status) -> Status {
    if over_size_limit(&status) {
        Status::resource_exhausted(status.message().to_owned())
    } else {
        status
    }
}

/// Whether `status` is tonic's refusal of a message over the size limit.
#[must_use]
pub fn over_size_limit(status: &Status) -> bool {
    status.code() == Code::OutOfRange && status.message().contains("message length too large")
}

/// Longest run of non-space characters a reply echoes whole.
const MAX_ECHOED_WORD: usize = 64;
/// Longest reply message, whatever it echoes.
const MAX_MESSAGE: usize = 1024;

/// A message safe to send back: every over-long word (an echoed value, such
/// as a 1 MiB "id") is cut to its start and its length, and the whole is
/// capped. Messages echo what the client sent so it can find its mistake;
/// echoing megabytes would turn `INVALID_ARGUMENT` into `RESOURCE_EXHAUSTED` at
/// the client's own size limit.
#[must_use]
pub fn shorten(message: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(message.len().min(MAX_MESSAGE));
    for (i, word) in message.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let chars = word.chars().count();
        if chars > MAX_ECHOED_WORD {
            out.extend(word.chars().take(MAX_ECHOED_WORD / 2));
            let _ = write!(out, "…({chars} characters)");
        } else {
            out.push_str(word);
        }
        if out.len() > MAX_MESSAGE {
            break;
        }
    }
    if out.len() > MAX_MESSAGE {
        let mut end = MAX_MESSAGE;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_echoed_values_are_cut_to_their_start_and_length() {
        let id = "x".repeat(1 << 20);
        let m = shorten(&format!("events[0].event_id: '{id}' is not a UUID"));
        assert_eq!(
            m,
            format!(
                "events[0].event_id: '{}…(1048578 characters) is not a UUID",
                "x".repeat(31)
            )
        );
    }

    #[test]
    fn short_messages_pass_unchanged_and_every_message_is_capped() {
        assert_eq!(shorten("name: is required"), "name: is required");
        let many = "word ".repeat(1000);
        let m = shorten(&many);
        assert!(m.len() <= MAX_MESSAGE + '…'.len_utf8(), "{}", m.len());
        assert!(m.ends_with('…'));
    }
}
