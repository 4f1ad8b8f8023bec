//! Creating organisations and tokens: shared by `tidsvakt init`, the first
//! start of `serve` and `AdminService.CreateApiToken`.

use chrono::{DateTime, Utc};
use rand::RngCore as _;

use crate::domain::ids::{EmployeeId, OrgId, TokenId};
use crate::domain::token::{ApiToken, Role, hash_secret, secret_from_bytes};
use crate::storage::{Organisation, Store, StoreResult};

/// What a new token is, already checked.
#[derive(Clone, Debug)]
pub struct NewToken<'a> {
    pub name: &'a str,
    pub role: Role,
    /// The employee a bound token acts as.
    pub employee_id: Option<EmployeeId>,
    /// A `SAFETY_REP` token's department; `None` for the organisation.
    pub department: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Creates a token and returns it with its secret (the only time the secret
/// exists outside the caller's hands).
///
/// # Errors
/// When the store fails.
pub async fn create_token(
    store: &dyn Store,
    org: OrgId,
    new: NewToken<'_>,
    now: DateTime<Utc>,
) -> StoreResult<(ApiToken, String)> {
    let secret = new_secret();
    let token = ApiToken {
        id: TokenId::new_random(),
        org_id: org,
        name: new.name.to_owned(),
        role: new.role,
        employee_id: new.employee_id,
        created_at: now,
        revoked_at: None,
        expires_at: new.expires_at,
        last_used_at: None,
        rotated_at: None,
        previous_valid_until: None,
        department: new.department,
    };
    store.insert_token(&token, &hash_secret(&secret)).await?;
    Ok((token, secret))
}

/// A fresh secret: 256 random bits.
#[must_use]
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    secret_from_bytes(&bytes)
}

/// Creates an organisation with a first ADMIN token.
///
/// # Errors
/// When the store fails.
pub async fn create_organisation(
    store: &dyn Store,
    name: &str,
    now: DateTime<Utc>,
) -> StoreResult<(Organisation, String)> {
    let org = store.create_organisation(name, now).await?;
    let first = NewToken {
        name: "first admin",
        role: Role::Admin,
        employee_id: None,
        department: None,
        expires_at: None,
    };
    let (_, secret) = create_token(store, org.id, first, now).await?;
    Ok((org, secret))
}
