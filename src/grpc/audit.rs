//! Writing the audit trail (`audit_log`, the § 10-7 access log), one place
//! per kind of entry:
//!
//! - reads and refusals: [`Ctx::authorize`], which every use case calls
//!   instead of `Caller::may` ([`Ctx::require`] for the role check before
//!   a read), and [`Ctx::audit_listing`] for team- and organisation-wide
//!   reads (one entry per call, naming the scope);
//! - changes (corrections, admin changes, token changes, period locks) and
//!   web sign-in and sign-out: [`Ctx::audit`], after the change succeeded;
//! - failed authentications: [`failed_authentication`], from `Auth`.
//!
//! Writing an entry is awaited, so it is in the log when the call answers;
//! when it fails, the error is logged with the entry's ids and the call
//! goes on (see [`append`]).

use std::net::IpAddr;

use uuid::Uuid;

use super::Ctx;
use super::auth::{Access, Caller};
use super::error::ApiResult;
use crate::domain::audit::{self, ActorKind, AuditAction, AuditEntry};
use crate::domain::employee::Employee;
use crate::domain::ids::EmployeeId;
use crate::domain::token::Role;
use crate::storage::Store;

/// Appends `entry`. A failure is logged, never returned: a read must not
/// fail because the log could not be written (the log is evidence about
/// access, not a gate on it; refusing would let an outage of one table
/// stop people reading their own hours), and a change has already been
/// committed when it is logged.
pub async fn append(store: &dyn Store, entry: AuditEntry) {
    if let Err(e) = store.insert_audit(&entry).await {
        tracing::error!(
            entry_id = %entry.id,
            organisation_id = ?entry.org.map(|o| o.to_string()),
            action = entry.action.as_str(),
            actor_id = ?entry.actor_id.map(|a| a.to_string()),
            subject_employee_id = ?entry.subject.map(|s| s.to_string()),
            target = ?entry.target,
            error = %e,
            "audit entry not written"
        );
    }
}

/// A failed authentication: anonymous, of unknown organisation.
pub async fn failed_authentication(
    store: &dyn Store,
    at: chrono::DateTime<chrono::Utc>,
    client: Option<IpAddr>,
    reason: &str,
) {
    append(
        store,
        AuditEntry {
            id: Uuid::new_v4(),
            org: None,
            at,
            actor_kind: ActorKind::Anonymous,
            actor_id: None,
            actor_name: "anonymous".into(),
            action: AuditAction::AuthFailed,
            subject: None,
            target: None,
            client,
            reason: Some(reason.to_owned()),
        },
    )
    .await;
}

impl Ctx {
    /// An entry by `caller`, now.
    fn entry(&self, caller: &Caller, action: AuditAction) -> AuditEntry {
        let (actor_kind, actor_id) = match caller.session {
            Some(s) => (ActorKind::Session, s),
            None => (ActorKind::Token, caller.token.id.0),
        };
        AuditEntry {
            id: Uuid::new_v4(),
            org: Some(caller.org()),
            at: self.clock.now(),
            actor_kind,
            actor_id: Some(actor_id),
            actor_name: caller.token.author(),
            action,
            subject: None,
            target: None,
            client: caller.client,
            reason: None,
        }
    }

    /// Checks `caller.require(roles)` before an `action`; a refusal is
    /// logged as in [`Ctx::authorize`], about nobody in particular.
    ///
    /// # Errors
    /// `PermissionDenied` from [`Caller::require`].
    pub async fn require(
        &self,
        caller: &Caller,
        roles: &[Role],
        action: AuditAction,
    ) -> ApiResult<()> {
        if let Err(e) = caller.require(roles) {
            let mut entry = self.entry(caller, AuditAction::Refused);
            entry.target = Some(action.as_str().to_owned());
            entry.reason = Some(e.to_string());
            append(self.store.as_ref(), entry).await;
            return Err(e);
        }
        Ok(())
    }

    /// Checks `caller.may(access, employee)`. A refusal is logged (action
    /// `refused`, the wanted action as target, the message as reason); a
    /// read of another person's record is logged as `action`. A person's
    /// reads of their own record are not.
    ///
    /// # Errors
    /// `PermissionDenied` from [`Caller::may`].
    pub async fn authorize(
        &self,
        caller: &Caller,
        access: Access,
        employee: &Employee,
        action: AuditAction,
    ) -> ApiResult<()> {
        if let Err(e) = caller.may(access, employee) {
            let mut entry = self.entry(caller, AuditAction::Refused);
            entry.subject = Some(employee.id);
            entry.target = Some(action.as_str().to_owned());
            entry.reason = Some(e.to_string());
            append(self.store.as_ref(), entry).await;
            return Err(e);
        }
        if action.is_read()
            && !caller.listing
            && audit::reads_another(caller.bound_employee(), employee.id)
        {
            let mut entry = self.entry(caller, action);
            entry.subject = Some(employee.id);
            append(self.store.as_ref(), entry).await;
        }
        Ok(())
    }

    /// A read of many people's records in one call, logged once with its
    /// `scope` (`team:<manager id>`, `organisation`) as target.
    pub async fn audit_listing(&self, caller: &Caller, action: AuditAction, scope: String) {
        if caller.listing {
            return;
        }
        let mut entry = self.entry(caller, action);
        entry.target = Some(scope);
        append(self.store.as_ref(), entry).await;
    }

    /// A change (or a sign-in or sign-out) by `caller`, after it succeeded:
    /// whose record (`subject`), which ids (`target`), and why (`reason`).
    pub async fn audit(
        &self,
        caller: &Caller,
        action: AuditAction,
        subject: Option<EmployeeId>,
        target: Option<String>,
        reason: Option<String>,
    ) {
        let mut entry = self.entry(caller, action);
        entry.subject = subject;
        entry.target = target;
        entry.reason = reason;
        append(self.store.as_ref(), entry).await;
    }
}
