//! The single sign-on providers' file (`--sso-config`, TOML), read and
//! checked at start: a wrong setting stops the start with a message that
//! names the flag, the provider and the field. Secrets come from a variable
//! or a file named in it, never from the file itself, and are never logged.
//!
//! ```toml
//! [[provider]]
//! id = "entra"                    # in the callback address
//! name = "Microsoft"              # on the button: "Sign in with Microsoft"
//! issuer = "https://login.microsoftonline.com/<tenant>/v2.0"
//! client_id = "…"
//! client_secret_env = "TIDSVAKT_SSO_ENTRA_SECRET"   # or client_secret_file
//! group_claim = "groups"          # optional
//!
//! [[provider.grant]]
//! email = "hr@example.no"
//! role = "ADMIN"
//!
//! [[provider.grant]]
//! group = "verneombud-lager"
//! role = "SAFETY_REP"
//! department = "Lager"            # optional: one department's record
//! ```

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Deserialize;
use uuid::Uuid;

use crate::domain::ids::OrgId;
use crate::domain::sso::{GrantMatch, RoleGrant, grant_role};

/// The flag every message names.
pub const FLAG: &str = "--sso-config (TIDSVAKT_SSO_CONFIG)";

/// One provider, checked.
#[derive(Clone, Debug)]
pub struct ProviderConfig {
    /// Letters, digits and `-`: part of the callback address.
    pub id: String,
    /// What the button says after "Sign in with".
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: SecretString,
    /// The organisation whose employees sign in; `None`: the only one.
    pub organisation: Option<OrgId>,
    /// The ID token claim that lists the person's groups.
    pub group_claim: Option<String>,
    pub grants: Vec<RoleGrant>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileShape {
    #[serde(default)]
    provider: Vec<ProviderShape>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProviderShape {
    id: String,
    name: String,
    issuer: String,
    client_id: String,
    client_secret_env: Option<String>,
    client_secret_file: Option<PathBuf>,
    organisation: Option<String>,
    group_claim: Option<String>,
    #[serde(default)]
    grant: Vec<GrantShape>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GrantShape {
    email: Option<String>,
    group: Option<String>,
    role: String,
    /// Only with `role = "SAFETY_REP"`: the department read.
    #[serde(default)]
    department: String,
}

/// Reads and checks the file at `path`; `env` looks a variable up (the
/// process environment in `serve`).
///
/// # Errors
/// What is wrong, naming the flag, the file, the provider and the field.
pub fn load(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<Vec<ProviderConfig>> {
    let at = || format!("single sign-on setting {FLAG} {}", path.display());
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("{}: the file cannot be read: {e}", at()))?;
    parse(&text, env).map_err(|e| anyhow::anyhow!("{}: {e}", at()))
}

/// Parses and checks the file's text.
///
/// # Errors
/// What is wrong, naming the provider and the field.
pub fn parse(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<ProviderConfig>, String> {
    let shape: FileShape = toml::from_str(text).map_err(|e| format!("not valid: {e}"))?;
    if shape.provider.is_empty() {
        return Err("no [[provider]] is configured".into());
    }
    let mut ids = HashSet::new();
    shape
        .provider
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let who = if p.id.trim().is_empty() {
                format!("provider[{i}]")
            } else {
                format!("provider \"{}\"", p.id)
            };
            let checked = provider(p, env).map_err(|e| format!("{who}: {e}"))?;
            if !ids.insert(checked.id.clone()) {
                return Err(format!("{who}: id: is used by another provider"));
            }
            Ok(checked)
        })
        .collect()
}

fn provider(
    p: ProviderShape,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ProviderConfig, String> {
    let id = p.id.trim().to_owned();
    if id.is_empty()
        || id.len() > 40
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err("id: use 1 to 40 lowercase letters, digits or '-', e.g. \"entra\"".into());
    }
    let name = p.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 60 {
        return Err("name: give 1 to 60 characters, e.g. \"Microsoft\"".into());
    }
    // Kept as given: the provider's `iss` must equal it to the character.
    let issuer = p.issuer.trim().to_owned();
    match url::Url::parse(&issuer) {
        Ok(u) if matches!(u.scheme(), "https" | "http") && u.host().is_some() => {}
        _ => return Err(format!("issuer: '{issuer}' is not an http(s) URL")),
    }
    let client_id = p.client_id.trim().to_owned();
    if client_id.is_empty() {
        return Err("client_id: is empty".into());
    }
    let client_secret = secret(
        p.client_secret_env.as_deref(),
        p.client_secret_file.as_deref(),
        env,
    )?;
    let organisation = p
        .organisation
        .as_deref()
        .map(|o| {
            Uuid::parse_str(o.trim())
                .map(OrgId)
                .map_err(|_| format!("organisation: '{o}' is not an organisation id (a UUID)"))
        })
        .transpose()?;
    let group_claim = p
        .group_claim
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    let grants = p
        .grant
        .into_iter()
        .enumerate()
        .map(|(i, g)| grant(g, group_claim.is_some()).map_err(|e| format!("grant[{i}].{e}")))
        .collect::<Result<_, _>>()?;
    Ok(ProviderConfig {
        id,
        name,
        issuer,
        client_id,
        client_secret,
        organisation,
        group_claim,
        grants,
    })
}

fn secret(
    var: Option<&str>,
    file: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<SecretString, String> {
    let value = match (var, file) {
        (Some(_), Some(_)) => {
            return Err("client_secret_env and client_secret_file: give one, not both".into());
        }
        (None, None) => {
            return Err("client_secret_env or client_secret_file: one is required".into());
        }
        (Some(var), None) => {
            env(var).ok_or_else(|| format!("client_secret_env: the variable {var} is not set"))?
        }
        (None, Some(file)) => std::fs::read_to_string(file)
            .map_err(|e| format!("client_secret_file: {} cannot be read: {e}", file.display()))?,
    };
    let value = value.trim();
    if value.is_empty() {
        return Err(match var {
            Some(var) => format!("client_secret_env: the variable {var} is empty"),
            None => "client_secret_file: the file is empty".into(),
        });
    }
    Ok(SecretString::from(value.to_owned()))
}

fn grant(g: GrantShape, has_group_claim: bool) -> Result<RoleGrant, String> {
    let role = grant_role(&g.role).map_err(|e| format!("role: {e}"))?;
    let matches = match (g.email, g.group) {
        (Some(email), None) => {
            let email = email.trim().to_owned();
            crate::domain::employee::parse_email("email", &email)
                .map_err(|_| format!("email: '{email}' is not an email address"))?;
            GrantMatch::Email(email)
        }
        (None, Some(group)) if has_group_claim => GrantMatch::Group(group),
        (None, Some(_)) => {
            return Err("group: needs the provider's group_claim (e.g. \"groups\")".into());
        }
        _ => return Err("email or group: give one of them".into()),
    };
    let department = crate::domain::token::check_department(role, &g.department)
        .map_err(|e| format!("department: {e}"))?;
    Ok(RoleGrant {
        matches,
        role,
        department,
    })
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret as _;

    use super::*;
    use crate::domain::token::Role;

    fn env(name: &str) -> Option<String> {
        (name == "SECRET").then(|| "s3cret\n".to_owned())
    }

    const GOOD: &str = r#"
        [[provider]]
        id = "entra"
        name = "Microsoft"
        issuer = "https://login.example.com/tenant/v2.0/"
        client_id = "tidsvakt"
        client_secret_env = "SECRET"
        group_claim = "groups"

        [[provider.grant]]
        email = "HR@example.no"
        role = "ADMIN"

        [[provider.grant]]
        group = "lonn"
        role = "PAYROLL"
    "#;

    #[test]
    fn a_good_file_gives_its_providers() {
        let p = parse(GOOD, &env).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].id, "entra");
        assert_eq!(p[0].issuer, "https://login.example.com/tenant/v2.0/");
        assert_eq!(p[0].client_secret.expose_secret(), "s3cret");
        assert_eq!(p[0].organisation, None);
        assert_eq!(
            p[0].grants,
            vec![
                RoleGrant {
                    matches: GrantMatch::Email("HR@example.no".into()),
                    role: Role::Admin,
                    department: None,
                },
                RoleGrant {
                    matches: GrantMatch::Group("lonn".into()),
                    role: Role::Payroll,
                    department: None,
                },
            ]
        );
    }

    #[test]
    fn a_safety_rep_grant_may_name_a_department() {
        let text = GOOD.replace(
            "role = \"PAYROLL\"",
            "role = \"SAFETY_REP\"\ndepartment = \" Lager \"",
        );
        let p = parse(&text, &env).unwrap();
        assert_eq!(p[0].grants[1].role, Role::SafetyRep);
        assert_eq!(p[0].grants[1].department.as_deref(), Some("Lager"));
        assert_eq!(p[0].grants[0].department, None);
    }

    #[test]
    fn each_mistake_is_named_with_its_provider_and_field() {
        let cases = [
            (
                GOOD.replace("SECRET\"", "MISSING\""),
                "provider \"entra\": client_secret_env: the variable MISSING is not set",
            ),
            (
                GOOD.replace("client_secret_env = \"SECRET\"", ""),
                "provider \"entra\": client_secret_env or client_secret_file: one is required",
            ),
            (
                GOOD.replace("\"ADMIN\"", "\"MANAGER\""),
                "provider \"entra\": grant[0].role: MANAGER is not granted by configuration: it follows from the employee record",
            ),
            (
                GOOD.replace(
                    "role = \"ADMIN\"",
                    "role = \"ADMIN\"\ndepartment = \"Lager\"",
                ),
                "provider \"entra\": grant[0].department: must be empty for role ADMIN: only a SAFETY_REP token is scoped to a department",
            ),
            (
                GOOD.replace("\"ADMIN\"", "\"BOSS\""),
                "provider \"entra\": grant[0].role: 'BOSS' is not a role",
            ),
            (
                GOOD.replace("group_claim = \"groups\"", ""),
                "provider \"entra\": grant[1].group: needs the provider's group_claim (e.g. \"groups\")",
            ),
            (
                GOOD.replace(
                    "https://login.example.com/tenant/v2.0/",
                    "login.example.com",
                ),
                "provider \"entra\": issuer: 'login.example.com' is not an http(s) URL",
            ),
            (
                GOOD.replace("id = \"entra\"", "id = \"Entra ID\""),
                "provider \"Entra ID\": id: use 1 to 40 lowercase letters, digits or '-', e.g. \"entra\"",
            ),
            (
                format!(
                    "{GOOD}\n{}",
                    GOOD.split("[[provider.grant]]").next().unwrap()
                ),
                "provider \"entra\": id: is used by another provider",
            ),
            (String::new(), "no [[provider]] is configured"),
        ];
        for (text, want) in cases {
            assert_eq!(parse(&text, &env).unwrap_err(), want);
        }
    }

    #[test]
    fn an_unknown_field_is_refused_by_name() {
        let err = parse(&GOOD.replace("group_claim", "groups_claim"), &env).unwrap_err();
        assert!(err.contains("unknown field `groups_claim`"), "{err}");
    }
}
