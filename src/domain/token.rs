//! API token roles and secret hashing.
//!
//! Secrets are 256 random bits, so a single SHA-256 is enough to make the
//! stored hash useless to a thief; a slow password hash would only slow every
//! request down.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use super::employee::parse_department;
use super::ids::{EmployeeId, OrgId, TokenId};

/// The prefix every secret carries, so a leaked one is easy to recognise.
pub const SECRET_PREFIX: &str = "tv1_";

/// What a token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Clock,
    Employee,
    Manager,
    Payroll,
    Admin,
    /// The safety representative (verneombud): reads the working-time
    /// record (arbeidsmiljøloven § 10-7) of the organisation, or of one
    /// department when the token names one. Read-only.
    SafetyRep,
    /// The Labour Inspection (Arbeidstilsynet): reads the working-time
    /// record of the whole organisation, with a token that must run out
    /// within [`MAX_INSPECTOR_LIFETIME`]. Read-only.
    Inspector,
}

impl Role {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Clock => "CLOCK",
            Self::Employee => "EMPLOYEE",
            Self::Manager => "MANAGER",
            Self::Payroll => "PAYROLL",
            Self::Admin => "ADMIN",
            Self::SafetyRep => "SAFETY_REP",
            Self::Inspector => "INSPECTOR",
        }
    }

    /// Every role, in the order of the list above.
    pub const ALL: [Self; 7] = [
        Self::Clock,
        Self::Employee,
        Self::Manager,
        Self::Payroll,
        Self::Admin,
        Self::SafetyRep,
        Self::Inspector,
    ];

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether the role may only read: every write is refused, whatever
    /// the record.
    #[must_use]
    pub fn is_read_only(self) -> bool {
        matches!(self, Self::SafetyRep | Self::Inspector)
    }

    /// Whether the role reads the § 10-7 working-time record of others.
    #[must_use]
    pub fn reads_working_time_record(self) -> bool {
        matches!(self, Self::Admin | Self::SafetyRep | Self::Inspector)
    }

    /// Whether a token of this role opens a web session of its own (a
    /// person signs in with it at /sign-in/token): the roles with no
    /// employee record of their own to sign in with.
    #[must_use]
    pub fn signs_in_with_token(self) -> bool {
        matches!(self, Self::Admin | Self::SafetyRep | Self::Inspector)
    }

    /// Whether the role acts as one employee.
    #[must_use]
    pub fn is_bound(self) -> bool {
        matches!(self, Self::Employee | Self::Manager)
    }
}

/// A token as stored (never with its secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiToken {
    pub id: TokenId,
    pub org_id: OrgId,
    pub name: String,
    pub role: Role,
    pub employee_id: Option<EmployeeId>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it stops working; `None` for tokens that never expire.
    pub expires_at: Option<DateTime<Utc>>,
    /// The last accepted call, written at most once per [`TOUCH_EVERY`].
    pub last_used_at: Option<DateTime<Utc>>,
    /// The last rotation of its secret.
    pub rotated_at: Option<DateTime<Utc>>,
    /// Until when the secret before the last rotation is still accepted.
    pub previous_valid_until: Option<DateTime<Utc>>,
    /// A `SAFETY_REP` token's department: it reads only employees of that
    /// department. `None` for the whole organisation (and for every other
    /// role).
    pub department: Option<String>,
}

/// How often `last_used_at` is written: once a minute is precise enough to
/// find unused tokens, and spares a write on every call.
pub const TOUCH_EVERY: Duration = Duration::minutes(1);

/// The longest lifetime of a new EMPLOYEE or MANAGER token: a person's token
/// lives on a phone or laptop that may be lost, so it must run out.
pub const MAX_BOUND_LIFETIME: Duration = Duration::days(366);

/// The longest lifetime of an INSPECTOR token: an inspection is a visit,
/// not a standing right, so its access runs out within a quarter.
pub const MAX_INSPECTOR_LIFETIME: Duration = Duration::days(90);

/// The longest grace an old secret gets after a rotation.
pub const MAX_ROTATION_GRACE: Duration = Duration::days(7);

/// The grace when the request names none: enough to roll a new secret out
/// to a fleet of clocks.
pub const DEFAULT_ROTATION_GRACE: Duration = Duration::hours(1);

/// Which of a token's secrets a caller presented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presented {
    Current,
    /// The secret replaced by the last rotation.
    Previous,
}

impl ApiToken {
    /// Why a call with this token is refused at `now`, or `None` when it
    /// is accepted.
    #[must_use]
    pub fn refusal(&self, presented: Presented, now: DateTime<Utc>) -> Option<String> {
        if self.revoked_at.is_some() {
            return Some("unknown or revoked token".into());
        }
        if let Some(end) = self.expires_at.filter(|end| *end <= now) {
            return Some(format!(
                "this token expired at {}; ask an administrator for a new one",
                end.format("%Y-%m-%dT%H:%M:%SZ")
            ));
        }
        if presented == Presented::Previous && self.previous_valid_until.is_none_or(|t| t <= now) {
            return Some(
                "this secret was replaced by a rotation and its grace period is over".into(),
            );
        }
        None
    }

    /// Whether `last_used_at` is due to be written.
    #[must_use]
    pub fn touch_due(&self, now: DateTime<Utc>) -> bool {
        self.last_used_at.is_none_or(|t| now - t >= TOUCH_EVERY)
    }

    /// How the token signs amendments it makes: "name (ROLE)".
    #[must_use]
    pub fn author(&self) -> String {
        format!("{} ({})", self.name, self.role.as_str())
    }
}

/// Checks a new token's expiry: required for EMPLOYEE and MANAGER tokens
/// and at most [`MAX_BOUND_LIFETIME`] away; required for INSPECTOR tokens
/// and at most [`MAX_INSPECTOR_LIFETIME`] away; optional for the others;
/// always in the future.
///
/// # Errors
/// The problem, for the `expires_at` field.
pub fn check_expiry(
    role: Role,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), String> {
    match expires_at {
        None if role.is_bound() => Err(format!(
            "is required for role {}: a person's token must run out (at most {} days ahead)",
            role.as_str(),
            MAX_BOUND_LIFETIME.num_days()
        )),
        None if role == Role::Inspector => Err(format!(
            "is required for role INSPECTOR: an inspector's access must run out (at most {} days ahead)",
            MAX_INSPECTOR_LIFETIME.num_days()
        )),
        Some(t) if t <= now => Err("must be in the future".into()),
        Some(t) if role == Role::Inspector && t - now > MAX_INSPECTOR_LIFETIME => Err(format!(
            "is more than {} days ahead; an INSPECTOR token is for one inspection",
            MAX_INSPECTOR_LIFETIME.num_days()
        )),
        Some(t) if role.is_bound() && t - now > MAX_BOUND_LIFETIME => Err(format!(
            "is more than {} days ahead; a {} token must be renewed at least yearly",
            MAX_BOUND_LIFETIME.num_days(),
            role.as_str()
        )),
        None | Some(_) => Ok(()),
    }
}

/// Checks a new token's department scope: only a `SAFETY_REP` token may
/// have one; empty means the whole organisation. The text rules are the
/// employee's `department` ([`parse_department`]), so the two compare.
///
/// # Errors
/// The problem, for the `department` field.
pub fn check_department(role: Role, department: &str) -> Result<Option<String>, String> {
    let d = parse_department("department", department).map_err(|e| e.reason)?;
    if d.is_some() && role != Role::SafetyRep {
        return Err(format!(
            "must be empty for role {}: only a SAFETY_REP token is scoped to a department",
            role.as_str()
        ));
    }
    Ok(d)
}

/// The hash stored for a secret: lowercase hex SHA-256.
#[must_use]
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Builds a secret from 32 random bytes supplied by the caller (randomness is
/// I/O and stays outside the domain).
#[must_use]
pub fn secret_from_bytes(bytes: &[u8; 32]) -> String {
    format!("{SECRET_PREFIX}{}", hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + h * 3600, 0).expect("in range")
    }

    fn token(role: Role) -> ApiToken {
        ApiToken {
            id: TokenId::new_random(),
            org_id: OrgId::new_random(),
            name: "t".into(),
            role,
            employee_id: None,
            created_at: at(0),
            revoked_at: None,
            expires_at: Some(at(10)),
            last_used_at: None,
            rotated_at: None,
            previous_valid_until: Some(at(2)),
            department: None,
        }
    }

    #[test]
    fn a_token_works_until_its_expiry_and_an_old_secret_until_its_grace_ends() {
        let t = token(Role::Clock);
        assert_eq!(t.refusal(Presented::Current, at(9)), None);
        assert!(t.refusal(Presented::Current, at(10)).is_some());
        assert_eq!(t.refusal(Presented::Previous, at(1)), None);
        assert!(t.refusal(Presented::Previous, at(2)).is_some());
        let revoked = ApiToken {
            revoked_at: Some(at(1)),
            ..t
        };
        assert!(revoked.refusal(Presented::Current, at(0)).is_some());
    }

    #[test]
    fn bound_tokens_need_an_expiry_within_a_year() {
        let now = at(0);
        assert!(check_expiry(Role::Employee, None, now).is_err());
        assert!(check_expiry(Role::Manager, Some(now + MAX_BOUND_LIFETIME), now).is_ok());
        assert!(
            check_expiry(
                Role::Manager,
                Some(now + MAX_BOUND_LIFETIME + Duration::seconds(1)),
                now
            )
            .is_err()
        );
        assert!(check_expiry(Role::Clock, None, now).is_ok());
        assert!(check_expiry(Role::Payroll, Some(now), now).is_err());
        assert!(check_expiry(Role::Payroll, Some(now + Duration::days(5000)), now).is_ok());
    }

    #[test]
    fn inspector_tokens_need_an_expiry_within_90_days() {
        let now = at(0);
        assert!(check_expiry(Role::Inspector, None, now).is_err());
        assert!(check_expiry(Role::Inspector, Some(now + MAX_INSPECTOR_LIFETIME), now).is_ok());
        assert!(
            check_expiry(
                Role::Inspector,
                Some(now + MAX_INSPECTOR_LIFETIME + Duration::seconds(1)),
                now
            )
            .is_err()
        );
        assert!(check_expiry(Role::SafetyRep, None, now).is_ok());
    }

    #[test]
    fn only_a_safety_rep_has_a_department() {
        assert_eq!(
            check_department(Role::SafetyRep, "  Lager  "),
            Ok(Some("Lager".into()))
        );
        assert_eq!(check_department(Role::SafetyRep, " "), Ok(None));
        assert!(check_department(Role::Inspector, "Lager").is_err());
        assert!(check_department(Role::SafetyRep, &"x".repeat(101)).is_err());
        assert!(check_department(Role::SafetyRep, &"x".repeat(100)).is_ok());
    }

    #[test]
    fn roles_parse_back_and_only_the_readers_are_read_only() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        let read_only: Vec<_> = Role::ALL.into_iter().filter(|r| r.is_read_only()).collect();
        assert_eq!(read_only, [Role::SafetyRep, Role::Inspector]);
    }

    #[test]
    fn last_use_is_written_at_most_once_a_minute() {
        let mut t = token(Role::Clock);
        assert!(t.touch_due(at(0)));
        t.last_used_at = Some(at(0));
        assert!(!t.touch_due(at(0) + Duration::seconds(59)));
        assert!(t.touch_due(at(0) + Duration::seconds(60)));
    }

    #[test]
    fn hash_is_stable_and_not_the_secret() {
        let s = secret_from_bytes(&[7; 32]);
        assert!(s.starts_with(SECRET_PREFIX));
        assert_eq!(hash_secret(&s), hash_secret(&s));
        assert_ne!(hash_secret(&s), s);
        assert_eq!(hash_secret(&s).len(), 64);
    }
}
