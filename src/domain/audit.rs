//! The audit trail's entries (the § 10-7 access log): who read or changed
//! what, when, from where and why. Pure values; the adapters fill them in
//! and `storage::audit` keeps them, append-only.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::ids::{EmployeeId, OrgId};

/// Who acted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActorKind {
    /// An API token.
    Token,
    /// A web session (its id is the actor id).
    Session,
    /// Nobody known: a failed authentication.
    Anonymous,
}

impl ActorKind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Token => "token",
            Self::Session => "session",
            Self::Anonymous => "anonymous",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Token, Self::Session, Self::Anonymous]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// What was done: a closed list, stored as its `as_str`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuditAction {
    ReadTimesheet,
    ReadFindings,
    ReadHeadroom,
    ReadAbsences,
    /// Schedules, agreements and rule overrides of a person.
    ReadPolicy,
    ReadEmployee,
    ReadStatus,
    ReadNudges,
    /// The web's day page and the record download.
    ReadRecord,
    /// A team's or the organisation's figures, read in one call.
    ReadTeam,
    /// The § 10-7 working-time record (the RPC, the /record pages, their
    /// CSV and printable report): one entry per employee read.
    ReadWorkingTimeRecord,
    /// Posting clock events: logged only when refused.
    PostEvent,
    Correct,
    EmployeeChange,
    TokenChange,
    /// Schedules, agreements, absences, overrides, holidays.
    PolicyChange,
    PayrollSettings,
    PeriodLock,
    SignIn,
    SignOut,
    AuthFailed,
    Refused,
}

impl AuditAction {
    /// Every action, in the order of the list above.
    pub const ALL: [Self; 22] = [
        Self::ReadTimesheet,
        Self::ReadFindings,
        Self::ReadHeadroom,
        Self::ReadAbsences,
        Self::ReadPolicy,
        Self::ReadEmployee,
        Self::ReadStatus,
        Self::ReadNudges,
        Self::ReadRecord,
        Self::ReadTeam,
        Self::ReadWorkingTimeRecord,
        Self::PostEvent,
        Self::Correct,
        Self::EmployeeChange,
        Self::TokenChange,
        Self::PolicyChange,
        Self::PayrollSettings,
        Self::PeriodLock,
        Self::SignIn,
        Self::SignOut,
        Self::AuthFailed,
        Self::Refused,
    ];

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReadTimesheet => "read_timesheet",
            Self::ReadFindings => "read_findings",
            Self::ReadHeadroom => "read_headroom",
            Self::ReadAbsences => "read_absences",
            Self::ReadPolicy => "read_policy",
            Self::ReadEmployee => "read_employee",
            Self::ReadStatus => "read_status",
            Self::ReadNudges => "read_nudges",
            Self::ReadRecord => "read_record",
            Self::ReadTeam => "read_team",
            Self::ReadWorkingTimeRecord => "read_working_time_record",
            Self::PostEvent => "post_event",
            Self::Correct => "correct",
            Self::EmployeeChange => "employee_change",
            Self::TokenChange => "token_change",
            Self::PolicyChange => "policy_change",
            Self::PayrollSettings => "payroll_settings",
            Self::PeriodLock => "period_lock",
            Self::SignIn => "sign_in",
            Self::SignOut => "sign_out",
            Self::AuthFailed => "auth_failed",
            Self::Refused => "refused",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Whether the action reads a record (as opposed to changing one).
    #[must_use]
    pub fn is_read(self) -> bool {
        self.as_str().starts_with("read_")
    }
}

/// One entry of the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: Uuid,
    /// `None` only for a failed authentication of unknown organisation.
    pub org: Option<OrgId>,
    pub at: DateTime<Utc>,
    pub actor_kind: ActorKind,
    /// The token's or the session's id; `None` when anonymous.
    pub actor_id: Option<Uuid>,
    /// "name (ROLE)", as amendments are signed.
    pub actor_name: String,
    pub action: AuditAction,
    /// Whose record it was about.
    pub subject: Option<EmployeeId>,
    /// Ids only: a period, a token, an amendment, a scope.
    pub target: Option<String>,
    /// The client's IP address (no port).
    pub client: Option<IpAddr>,
    /// A correction's reason, a refusal's message.
    pub reason: Option<String>,
}

/// Whether a reader bound to `reader` (or to nobody: an admin, a clock)
/// reading `subject`'s record reads another person's record: every such
/// read is logged, a person's reads of their own record are not.
#[must_use]
pub fn reads_another(reader: Option<EmployeeId>, subject: EmployeeId) -> bool {
    reader != Some(subject)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_parses_back_from_its_name() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Some(a));
        }
        assert_eq!(AuditAction::parse("read"), None);
        let names: std::collections::HashSet<_> =
            AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(names.len(), AuditAction::ALL.len());
    }

    #[test]
    fn only_read_actions_are_reads() {
        let reads: Vec<_> = AuditAction::ALL
            .into_iter()
            .filter(|a| a.is_read())
            .collect();
        assert_eq!(reads.len(), 11);
        assert!(!AuditAction::Refused.is_read());
        assert!(!AuditAction::Correct.is_read());
    }

    #[test]
    fn actor_kinds_parse_back() {
        for k in [ActorKind::Token, ActorKind::Session, ActorKind::Anonymous] {
            assert_eq!(ActorKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(ActorKind::parse("user"), None);
    }

    #[test]
    fn reading_ones_own_record_is_not_reading_another() {
        let me = EmployeeId(Uuid::from_u128(1));
        let other = EmployeeId(Uuid::from_u128(2));
        assert!(!reads_another(Some(me), me));
        assert!(reads_another(Some(me), other));
        assert!(reads_another(None, me), "an admin token is nobody's own");
    }
}
