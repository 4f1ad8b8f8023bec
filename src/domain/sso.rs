//! Single sign-on's rules: which verified identity may sign in, and with
//! which role. Pure: the adapter (`crate::sso`) talks to the provider and
//! hands the verified claims here.
//!
//! - Only an email the provider marks verified (`email_verified: true`)
//!   is trusted; anyone can put any address on an unverified account.
//! - A person is who their verified email says among the organisation's
//!   active employees (case-insensitive); EMPLOYEE or MANAGER then follow
//!   from the employee record, as for a sign-in link.
//! - A role grant from configuration (an email, or a group in a group
//!   claim) gives its role instead, and may admit a person who has no
//!   employee record (an administrator, an inspector). The first grant
//!   that matches wins, in the order they are configured: no role is
//!   ranked above another here, so new roles need no change.

use super::token::Role;

/// What a role grant matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GrantMatch {
    /// A verified email, compared case-insensitively.
    Email(String),
    /// A value of the provider's group claim, compared exactly.
    Group(String),
}

/// One role grant of a provider's configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleGrant {
    pub matches: GrantMatch,
    pub role: Role,
    /// A `SAFETY_REP` grant's department (as on employees); `None` reads
    /// the whole organisation, like a token without one.
    pub department: Option<String>,
}

/// Parses the role of a grant with the roles' own parser. EMPLOYEE and
/// MANAGER are not granted: they follow from the employee record.
///
/// # Errors
/// The problem, for the grant's `role` field.
pub fn grant_role(s: &str) -> Result<Role, String> {
    let role = Role::parse(s.trim()).ok_or_else(|| format!("'{s}' is not a role"))?;
    if role.is_bound() {
        return Err(format!(
            "{} is not granted by configuration: it follows from the employee record",
            role.as_str()
        ));
    }
    Ok(role)
}

/// Why a verified identity does not sign in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SsoRefusal {
    /// The ID token carries no email.
    NoEmail,
    /// The provider does not vouch for the email.
    Unverified,
    /// No active employee has the email and no grant admits the person.
    Unknown,
    /// More than one active employee of the organisation has the email:
    /// which of them signs in cannot be told.
    Ambiguous,
}

impl SsoRefusal {
    /// A short id for logs and the audit trail (never the address).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoEmail => "no_email",
            Self::Unverified => "email_not_verified",
            Self::Unknown => "not_known",
            Self::Ambiguous => "ambiguous_email",
        }
    }
}

/// The email to match on: present and verified.
///
/// # Errors
/// [`SsoRefusal::NoEmail`] or [`SsoRefusal::Unverified`].
pub fn verified_email(email: Option<&str>, verified: Option<bool>) -> Result<String, SsoRefusal> {
    let email = email
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .ok_or(SsoRefusal::NoEmail)?;
    if verified == Some(true) {
        Ok(email.to_owned())
    } else {
        Err(SsoRefusal::Unverified)
    }
}

/// The first matching grant, if any.
#[must_use]
pub fn matching_grant<'a>(
    grants: &'a [RoleGrant],
    email: &str,
    groups: &[String],
) -> Option<&'a RoleGrant> {
    grants.iter().find(|g| match &g.matches {
        GrantMatch::Email(e) => e.eq_ignore_ascii_case(email.trim()),
        GrantMatch::Group(group) => groups.iter().any(|g| g == group),
    })
}

/// Who signs in: the matched employee (of `candidates`, the organisation's
/// active employees with the email) and the granted role.
///
/// # Errors
/// [`SsoRefusal::Unknown`] when neither an employee nor a grant admits
/// the person; [`SsoRefusal::Ambiguous`] for two employees.
pub fn admit<E>(
    candidates: Vec<E>,
    role: Option<Role>,
) -> Result<(Option<E>, Option<Role>), SsoRefusal> {
    let mut candidates = candidates.into_iter();
    let employee = candidates.next();
    if candidates.next().is_some() {
        return Err(SsoRefusal::Ambiguous);
    }
    if employee.is_none() && role.is_none() {
        return Err(SsoRefusal::Unknown);
    }
    Ok((employee, role))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grants() -> Vec<RoleGrant> {
        vec![
            RoleGrant {
                matches: GrantMatch::Email("Hr@Example.no".into()),
                role: Role::Admin,
                department: None,
            },
            RoleGrant {
                matches: GrantMatch::Group("lonn".into()),
                role: Role::Payroll,
                department: None,
            },
            RoleGrant {
                matches: GrantMatch::Group("it".into()),
                role: Role::Admin,
                department: None,
            },
        ]
    }

    #[test]
    fn only_a_present_verified_email_is_trusted() {
        assert_eq!(
            verified_email(Some(" kari@firma.no "), Some(true)),
            Ok("kari@firma.no".into())
        );
        assert_eq!(
            verified_email(Some("kari@firma.no"), Some(false)),
            Err(SsoRefusal::Unverified)
        );
        assert_eq!(
            verified_email(Some("kari@firma.no"), None),
            Err(SsoRefusal::Unverified)
        );
        assert_eq!(verified_email(None, Some(true)), Err(SsoRefusal::NoEmail));
        assert_eq!(
            verified_email(Some("  "), Some(true)),
            Err(SsoRefusal::NoEmail)
        );
    }

    fn granted_role(grants: &[RoleGrant], email: &str, groups: &[String]) -> Option<Role> {
        matching_grant(grants, email, groups).map(|g| g.role)
    }

    #[test]
    fn the_first_matching_grant_gives_its_role() {
        let g = grants();
        assert_eq!(granted_role(&g, "hr@example.NO", &[]), Some(Role::Admin));
        assert_eq!(
            granted_role(&g, "ola@example.no", &["it".into(), "lonn".into()]),
            Some(Role::Payroll)
        );
        assert_eq!(granted_role(&g, "ola@example.no", &["IT".into()]), None);
        assert_eq!(granted_role(&g, "ola@example.no", &[]), None);
    }

    #[test]
    fn grants_take_roles_by_name_but_not_the_bound_ones() {
        assert_eq!(grant_role("ADMIN"), Ok(Role::Admin));
        assert_eq!(grant_role(" PAYROLL "), Ok(Role::Payroll));
        assert_eq!(grant_role("ROOT"), Err("'ROOT' is not a role".into()));
        assert_eq!(
            grant_role("MANAGER"),
            Err(
                "MANAGER is not granted by configuration: it follows from the employee record"
                    .into()
            )
        );
    }

    #[test]
    fn an_employee_or_a_grant_admits_and_two_employees_do_not() {
        assert_eq!(admit(vec![1], None), Ok((Some(1), None)));
        assert_eq!(
            admit(Vec::<i32>::new(), Some(Role::Admin)),
            Ok((None, Some(Role::Admin)))
        );
        assert_eq!(admit(Vec::<i32>::new(), None), Err(SsoRefusal::Unknown));
        assert_eq!(
            admit(vec![1, 2], Some(Role::Admin)),
            Err(SsoRefusal::Ambiguous)
        );
    }
}
