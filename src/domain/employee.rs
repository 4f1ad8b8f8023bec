//! Employees and the validation of their fields.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::ids::{EmployeeId, OrgId};
pub use super::rules::pack::RulePack;

/// A field that failed validation, named as the API names it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    #[must_use]
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// Language of emails and texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Locale {
    Nb,
    En,
}

impl Locale {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nb => "nb",
            Self::En => "en",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "nb" => Some(Self::Nb),
            "en" => Some(Self::En),
            _ => None,
        }
    }
}

/// Why working-time rules do not apply (arbeidsmiljøloven § 10-12).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exemption {
    None,
    LeadingPosition,
    ParticularlyIndependent,
}

impl Exemption {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "NONE",
            Self::LeadingPosition => "LEADING_POSITION",
            Self::ParticularlyIndependent => "PARTICULARLY_INDEPENDENT",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::None,
            Self::LeadingPosition,
            Self::ParticularlyIndependent,
        ]
        .into_iter()
        .find(|e| e.as_str() == s)
    }
}

/// Rule packs Tidsvakt knows (see rules.md).
pub const RULE_PACKS: &[&str] = &["no-aml", "eu-wtd", "de-arbzg"];
/// The rule pack of an employee created without one.
pub const DEFAULT_RULE_PACK: &str = "no-aml";
/// The time zone of an employee created without one.
pub const DEFAULT_TIME_ZONE: &str = "Europe/Oslo";

/// An employee as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Employee {
    pub id: EmployeeId,
    pub org_id: OrgId,
    pub fields: EmployeeFields,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deactivated_at: Option<DateTime<Utc>>,
}

/// The fields an admin sets, already validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmployeeFields {
    pub external_id: String,
    pub name: String,
    pub email: String,
    pub manager_id: Option<EmployeeId>,
    pub time_zone: Tz,
    pub locale: Locale,
    /// Parsed where it enters (the API, a stored row): never an unknown id.
    pub rule_pack: RulePack,
    pub exemption: Exemption,
    /// The department, free text; a `SAFETY_REP` token scoped to it reads
    /// this employee's record. `None` when not set.
    pub department: Option<String>,
}

/// The longest department name.
pub const MAX_DEPARTMENT: usize = 100;

/// Checks a department (free text, trimmed, at most [`MAX_DEPARTMENT`]
/// characters); empty is none.
///
/// # Errors
/// A [`FieldError`] naming `field`.
pub fn parse_department(field: &str, s: &str) -> Result<Option<String>, FieldError> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    bounded_text(field, s, MAX_DEPARTMENT).map(Some)
}

/// Checks an external id: 1..128 characters, no control characters.
///
/// # Errors
/// A [`FieldError`] naming `field`.
pub fn parse_external_id(field: &str, s: &str) -> Result<String, FieldError> {
    bounded_text(field, s, 128)
}

/// Checks a display name: 1..200 characters, no control characters.
///
/// # Errors
/// A [`FieldError`] naming `field`.
pub fn parse_name(field: &str, s: &str) -> Result<String, FieldError> {
    bounded_text(field, s, 200)
}

/// Trimmed, non-empty text of at most `max` characters without control
/// characters.
///
/// # Errors
/// A [`FieldError`] naming `field`.
pub fn bounded_text(field: &str, s: &str, max: usize) -> Result<String, FieldError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    if t.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("is longer than {max} characters"),
        ));
    }
    if t.chars().any(char::is_control) {
        return Err(FieldError::new(field, "contains control characters"));
    }
    Ok(t.to_owned())
}

/// Checks a plain email address (`local@domain`). Deliverability is the mail
/// server's business; this catches typos such as a missing `@` or spaces.
///
/// # Errors
/// A [`FieldError`] naming `field`.
pub fn parse_email(field: &str, s: &str) -> Result<String, FieldError> {
    let t = bounded_text(field, s, 254)?;
    let Some((local, domain)) = t.split_once('@') else {
        return Err(FieldError::new(
            field,
            format!("'{t}' is not an email address (no '@')"),
        ));
    };
    let ok_part =
        |p: &str| !p.is_empty() && !p.chars().any(|c| c.is_whitespace() || c == '<' || c == '>');
    if !ok_part(local)
        || !ok_part(domain)
        || domain.contains('@')
        || domain.starts_with('.')
        || domain.ends_with('.')
    {
        return Err(FieldError::new(
            field,
            format!("'{t}' is not an email address"),
        ));
    }
    Ok(t)
}

/// Parses an IANA time zone name such as `Europe/Oslo`.
///
/// # Errors
/// A [`FieldError`] naming `field`.
pub fn parse_time_zone(field: &str, s: &str) -> Result<Tz, FieldError> {
    Tz::from_str(s.trim()).map_err(|_| {
        FieldError::new(
            field,
            format!("'{s}' is not an IANA time zone (e.g. Europe/Oslo)"),
        )
    })
}

/// Checks a rule pack id against the packs Tidsvakt knows.
///
/// # Errors
/// A [`FieldError`] naming `field`.
pub fn parse_rule_pack(field: &str, s: &str) -> Result<RulePack, FieldError> {
    RulePack::parse(s.trim()).ok_or_else(|| {
        FieldError::new(
            field,
            format!("unknown rule pack '{s}'; known: {}", RULE_PACKS.join(", ")),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zone_must_be_iana() {
        assert_eq!(
            parse_time_zone("tz", "Europe/Oslo").unwrap(),
            chrono_tz::Europe::Oslo
        );
        let err = parse_time_zone("time_zone", "Mars/Olympus").unwrap_err();
        assert_eq!(err.field, "time_zone");
        assert!(err.reason.contains("Mars/Olympus"));
    }

    #[test]
    fn email_needs_local_part_and_domain() {
        assert!(parse_email("email", "kari@example.no").is_ok());
        for bad in [
            "",
            "kari",
            "@example.no",
            "kari@",
            "ka ri@example.no",
            "kari@.no",
            "kari@home@example.no",
        ] {
            assert!(parse_email("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(parse_name("name", "  Kari  ").unwrap(), "Kari");
        assert!(parse_name("name", &"x".repeat(201)).is_err());
        assert!(parse_name("name", "a\u{0}b").is_err());
    }

    #[test]
    fn rule_pack_must_be_known() {
        assert!(parse_rule_pack("rule_pack", "no-aml").is_ok());
        assert!(
            parse_rule_pack("rule_pack", "us-flsa")
                .unwrap_err()
                .reason
                .contains("no-aml")
        );
    }
}
