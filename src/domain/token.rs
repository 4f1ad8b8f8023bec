//! API token roles and secret hashing.
//!
//! Secrets are 256 random bits, so a single SHA-256 is enough to make the
//! stored hash useless to a thief; a slow password hash would only slow every
//! request down.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

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
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Clock,
            Self::Employee,
            Self::Manager,
            Self::Payroll,
            Self::Admin,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
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
}

impl ApiToken {
    /// How the token signs amendments it makes: "name (ROLE)".
    #[must_use]
    pub fn author(&self) -> String {
        format!("{} ({})", self.name, self.role.as_str())
    }
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

    #[test]
    fn hash_is_stable_and_not_the_secret() {
        let s = secret_from_bytes(&[7; 32]);
        assert!(s.starts_with(SECRET_PREFIX));
        assert_eq!(hash_secret(&s), hash_secret(&s));
        assert_ne!(hash_secret(&s), s);
        assert_eq!(hash_secret(&s).len(), 64);
    }
}
