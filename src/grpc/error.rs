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
        metrics::counter!("tidsvakt_rpc_errors_total", "code" => format!("{:?}", e.code()))
            .increment(1);
        let message = e.to_string();
        match e {
            ApiError::Invalid { field, reason } => {
                let mut details = ErrorDetails::new();
                details.add_bad_request_violation(field, reason);
                Status::with_error_details(Code::InvalidArgument, message, details)
            }
            ApiError::Internal(what) => {
                tracing::error!(error = %what, "internal error");
                Status::internal("internal error")
            }
            other => Status::new(other.code(), message),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
