//! Bearer-token authentication and role checks.
//!
//! Every RPC calls [`Auth::caller`] first. The token is looked up by the
//! SHA-256 of its secret on every call (an indexed read), so a revocation
//! takes effect at once. Secrets never reach logs: spans carry the token id.
//! The call limits (`limiter`) are applied here, before any other work:
//! per client address before the lookup, per token after it. A failed
//! authentication is answered after a short delay, and once an address is
//! over its failure budget, with `RESOURCE_EXHAUSTED`.

use std::net::IpAddr;
use std::sync::Arc;

use tonic::Request;
use uuid::Uuid;

use super::error::{ApiError, ApiResult};
use super::limiter::Limiter;
use crate::clock::Clock;
use crate::domain::employee::Employee;
use crate::domain::ids::{EmployeeId, OrgId};
use crate::domain::token::{ApiToken, Presented, Role, hash_secret};
use crate::storage::Store;

/// The authenticated caller of one request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub token: ApiToken,
    /// The client's IP address (no port), for the audit log.
    pub client: Option<IpAddr>,
    /// The web session acting, when the caller is one (its id is the
    /// audit log's actor).
    pub session: Option<Uuid>,
    /// Reads made for a listing (the team page) are logged once by the
    /// listing, naming its scope, not once per person.
    pub listing: bool,
    /// The token's employee as read to authenticate this call, so that a
    /// person's call about their own record reads it once (issue 15).
    pub bound: Option<Employee>,
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
    /// A web session acting with `token`; the client is filled in by the
    /// session's extractor.
    #[must_use]
    pub fn of_session(token: ApiToken, session: Uuid) -> Self {
        Self {
            token,
            client: None,
            session: Some(session),
            listing: false,
            bound: None,
        }
    }

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
            "this call needs a token with role {}; this token has role {}{}",
            needed.join(" or "),
            self.token.role.as_str(),
            if self.token.role.is_read_only() {
                ", which is read-only"
            } else {
                ""
            }
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
            (Role::Admin, _)
            | (Role::Clock, Access::Post | Access::Read)
            | (Role::Inspector, Access::Read) => true,
            // A manager posts only their own events: clocking for a report
            // is what a CLOCK token is for.
            (Role::Employee, _) | (Role::Manager, Access::Post) => own,
            (Role::Manager, Access::Correct | Access::Read) => own || report,
            // The § 10-7 readers: the inspector the whole organisation, the
            // safety representative their department (or all, when the
            // token names none). Neither ever writes.
            (Role::SafetyRep, Access::Read) => self.in_scope(employee),
            (Role::Clock, Access::Correct)
            | (Role::Payroll, _)
            | (Role::SafetyRep | Role::Inspector, Access::Post | Access::Correct) => false,
        };
        if allowed {
            Ok(())
        } else if let (Access::Read, Some(d)) = (access, &self.token.department) {
            Err(ApiError::PermissionDenied(format!(
                "a {} token for department '{d}' may not read the record of employee {}, \
                 who is not in that department",
                self.token.role.as_str(),
                employee.id
            )))
        } else {
            Err(ApiError::PermissionDenied(format!(
                "a {} token{} may not {} employee {}",
                self.token.role.as_str(),
                if self.token.role.is_read_only() {
                    " (read-only)"
                } else {
                    ""
                },
                match access {
                    Access::Post => "post events for",
                    Access::Correct => "correct the record of",
                    Access::Read => "read the record of",
                },
                employee.id
            )))
        }
    }

    /// Whether `employee` is in the caller's department scope: every
    /// employee when the token names no department.
    #[must_use]
    pub fn in_scope(&self, employee: &Employee) -> bool {
        self.token
            .department
            .as_ref()
            .is_none_or(|d| employee.fields.department.as_ref() == Some(d))
    }

    /// The same caller, reading for a listing that logs its reads itself.
    #[must_use]
    pub fn for_listing(&self) -> Self {
        Self {
            listing: true,
            ..self.clone()
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
    clock: Arc<dyn Clock>,
    limiter: Arc<Limiter>,
}

impl Auth {
    #[must_use]
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, limiter: Arc<Limiter>) -> Self {
        Self {
            store,
            clock,
            limiter,
        }
    }

    /// The call limits, for handlers that open streams.
    #[must_use]
    pub fn limiter(&self) -> &Limiter {
        &self.limiter
    }

    /// Authenticates the request's `authorization: Bearer …` metadata.
    ///
    /// # Errors
    /// `ResourceExhausted` over a call limit; `Unauthenticated` when the
    /// header is missing or malformed, or the token is unknown, revoked,
    /// expired, or an old secret past its grace.
    pub async fn caller<T>(&self, request: &Request<T>) -> ApiResult<Caller> {
        let address = request.remote_addr().map(|a| a.ip());
        self.limiter.address(address)?;
        match self.authenticate(request).await {
            Ok(mut caller) => {
                caller.client = address;
                self.limiter.token(caller.token.id)?;
                Ok(caller)
            }
            Err(ApiError::Unauthenticated(why)) => Err(self.failed(address, why).await),
            Err(other) => Err(other),
        }
    }

    /// A failed authentication: counted, logged by address (never the
    /// secret), answered after the slower path's delay.
    async fn failed(&self, address: Option<IpAddr>, why: String) -> ApiError {
        metrics::counter!(crate::metrics::families::AUTH_FAILURES).increment(1);
        let over = self.limiter.failed_auth(address);
        if over.is_some() {
            metrics::counter!(crate::metrics::families::RATE_LIMITED, "limit" => "failed_auth")
                .increment(1);
        }
        if over.is_none() {
            tracing::warn!(client = ?address, reason = %why, "authentication failed");
            // Only under the budget: a flood of wrong tokens is counted
            // and refused, not written row by row.
            super::audit::failed_authentication(
                self.store.as_ref(),
                self.clock.now(),
                address,
                &why,
            )
            .await;
        }
        tokio::time::sleep(self.limiter.failed_auth_delay()).await;
        match over {
            Some(wait) => ApiError::ResourceExhausted {
                what: "too many failed authentications from this client address".into(),
                retry_after: wait.max(std::time::Duration::from_secs(1)),
            },
            None => ApiError::Unauthenticated(why),
        }
    }

    async fn authenticate<T>(&self, request: &Request<T>) -> ApiResult<Caller> {
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
        let hash = hash_secret(secret);
        let (token, presented) = match self.store.token_by_hash(&hash).await? {
            Some(t) => (t, Presented::Current),
            None => self
                .store
                .token_by_previous_hash(&hash)
                .await?
                .map(|t| (t, Presented::Previous))
                .ok_or_else(|| ApiError::Unauthenticated("unknown or revoked token".into()))?,
        };
        let now = self.clock.now();
        if let Some(why) = token.refusal(presented, now) {
            return Err(ApiError::Unauthenticated(why));
        }
        tracing::Span::current().record("token_id", tracing::field::display(token.id));
        // A token bound to someone who has left stops working with them
        // (deactivation also revokes it; this covers a half-done one).
        let mut bound = None;
        if let Some(employee) = token.employee_id {
            let found = self
                .store
                .employee(token.org_id, employee)
                .await?
                .filter(|e| e.active);
            if found.is_none() {
                return Err(ApiError::Unauthenticated(
                    "this token's employee is deactivated; the token no longer works".into(),
                ));
            }
            bound = found;
        }
        if token.touch_due(now) {
            // Off the call's path: a failed write of the last use must not
            // fail the call, and the next minute writes it again.
            let store = Arc::clone(&self.store);
            let id = token.id;
            tokio::spawn(async move {
                if let Err(e) = store.touch_token(id, now).await {
                    tracing::debug!(token_id = %id, error = %e, "last use not recorded");
                }
            });
        }
        Ok(Caller {
            token,
            client: None,
            session: None,
            listing: false,
            bound,
        })
    }
}
