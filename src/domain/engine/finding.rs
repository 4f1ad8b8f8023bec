//! What a rule reports, before storage gives it an identity.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::record::Span;
use crate::domain::policy::ValueUnit;

/// How serious a finding is (rules.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The law is breached.
    Violation,
    /// A limit is nearly reached, or the work is lawful only under a
    /// condition the system cannot check.
    Warning,
    /// Out-of-hours product policy.
    Pattern,
}

impl Severity {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Violation => "VIOLATION",
            Self::Warning => "WARNING",
            Self::Pattern => "PATTERN",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Violation, Self::Warning, Self::Pattern]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// An interval that is evidence for a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Evidence {
    pub interval: Uuid,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

/// A finding as a rule produces it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    pub rule_id: &'static str,
    pub severity: Severity,
    /// The window the rule measured.
    pub window: Span,
    /// The first instant the limit was exceeded (or the rest or break missed).
    pub at: DateTime<Utc>,
    pub measured: i64,
    pub limit: i64,
    pub unit: ValueUnit,
    pub limit_is_minimum: bool,
    pub explanation: String,
    pub citation: &'static str,
    pub agreement: Option<Uuid>,
    pub evidence: Vec<Evidence>,
}

#[cfg(test)]
mod tests {
    use super::Severity;

    /// The names stored with a finding and sent to clients, and `parse`
    /// reading them back (mutation-run survivor: `as_str` → ""; only the
    /// API tests, outside the run, stored a severity).
    #[test]
    fn severity_names_are_the_stored_ones_and_parse_back() {
        let all = [Severity::Violation, Severity::Warning, Severity::Pattern];
        assert_eq!(
            all.map(Severity::as_str),
            ["VIOLATION", "WARNING", "PATTERN"]
        );
        for s in all {
            assert_eq!(Severity::parse(s.as_str()), Some(s));
        }
        assert_eq!(Severity::parse(""), None);
        assert_eq!(Severity::parse("violation"), None);
    }
}
