//! Bearer-token authentication and role checks.
//!
//! Every RPC calls [`Auth::caller`] first. The token is looked up by the
//! SHA-256 of its secret on every call (an indexed read), so a revocation
//! takes effect at once. Secrets never reach logs: spans carry the token id.

use std::sync::Arc;

use tonic::Request;

use super::error::{ApiError, ApiResult};
use crate::domain::employee::Employee;
use crate::domain::ids::{EmployeeId, OrgId};
use crate::domain::token::{ApiToken, Role, hash_secret};
use crate::storage::Store;

/// The authenticated caller of one request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub token: ApiToken,
}

/// What a caller wants to do with an employee's record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Post clock events.
    Post,
    /// Append corrections.
    Correct,
    /// Read status, employee data and (later) timesheets.
    Read,
}

impl Caller {
    #[must_use]
    pub fn org(&self) -> OrgId {
        self.token.org_id
    }

    #[must_use]
    pub fn role(&self) -> Role {
        self.token.role
    }

    /// Fails unless the token has one of `roles`.
    ///
    /// # Errors
    /// `PermissionDenied` naming the roles needed and the one held.
    pub fn require(&self, roles: &[Role]) -> ApiResult<()> {
        if roles.contains(&self.token.role) {
            return Ok(());
        }
        let needed: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        Err(ApiError::PermissionDenied(format!(
            "this call needs a token with role {}; this token has role {}",
            needed.join(" or "),
            self.token.role.as_str()
        )))
    }

    /// Whether the caller may act on `employee`'s record in the way asked.
    ///
    /// # Errors
    /// `PermissionDenied` saying why.
    pub fn may(&self, access: Access, employee: &Employee) -> ApiResult<()> {
        let own = self.token.employee_id == Some(employee.id);
        let report = self.token.employee_id.is_some()
            && employee.fields.manager_id == self.token.employee_id;
        let allowed = match (self.token.role, access) {
            (Role::Admin, _) | (Role::Clock, Access::Post | Access::Read) => true,
            // A manager posts only their own events: clocking for a report
            // is what a CLOCK token is for.
            (Role::Employee, _) | (Role::Manager, Access::Post) => own,
            (Role::Manager, Access::Correct | Access::Read) => own || report,
            (Role::Clock, Access::Correct) | (Role::Payroll, _) => false,
        };
        if allowed {
            Ok(())
        } else {
            Err(ApiError::PermissionDenied(format!(
                "a {} token may not {} employee {}",
                self.token.role.as_str(),
                match access {
                    Access::Post => "post events for",
                    Access::Correct => "correct the record of",
                    Access::Read => "read the record of",
                },
                employee.id
            )))
        }
    }

    /// The employee a bound token acts as.
    #[must_use]
    pub fn bound_employee(&self) -> Option<EmployeeId> {
        self.token.employee_id
    }
}

/// Looks callers up in the store.
#[derive(Clone)]
pub struct Auth {
    store: Arc<dyn Store>,
}

impl Auth {
    #[must_use]
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// Authenticates the request's `authorization: Bearer …` metadata.
    ///
    /// # Errors
    /// `Unauthenticated` when the header is missing or malformed, or the
    /// token is unknown or revoked.
    pub async fn caller<T>(&self, request: &Request<T>) -> ApiResult<Caller> {
        let header = request
            .metadata()
            .get("authorization")
            .ok_or_else(|| {
                ApiError::Unauthenticated(
                    "missing 'authorization' metadata; send 'authorization: Bearer <token>'".into(),
                )
            })?
            .to_str()
            .map_err(|_| {
                ApiError::Unauthenticated("'authorization' metadata is not text".into())
            })?;
        let secret = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ApiError::Unauthenticated("'authorization' must be 'Bearer <token>'".into())
            })?;
        let token = self
            .store
            .token_by_hash(&hash_secret(secret))
            .await?
            .filter(|t| t.revoked_at.is_none())
            .ok_or_else(|| ApiError::Unauthenticated("unknown or revoked token".into()))?;
        tracing::Span::current().record("token_id", tracing::field::display(token.id));
        // A token bound to someone who has left stops working with them.
        if let Some(employee) = token.employee_id {
            let active = self
                .store
                .employee(token.org_id, employee)
                .await?
                .is_some_and(|e| e.active);
            if !active {
                return Err(ApiError::Unauthenticated(
                    "this token's employee is deactivated; the token no longer works".into(),
                ));
            }
        }
        Ok(Caller { token })
    }
}
