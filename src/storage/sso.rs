//! Storage for single sign-on: the sign-ins started at a provider and not
//! yet finished (`sso_logins`), taken once by the callback. Sessions are the
//! web's own (`storage::web`).

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use super::rows::{self, micros};
use super::writer::classify;
use super::{SqlStore, StoreResult};
use crate::domain::ids::OrgId;

/// A sign-in sent to a provider: what its callback checks the answer with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoLogin {
    pub provider_id: String,
    /// The PKCE verifier of the code challenge sent along.
    pub pkce_verifier: String,
    /// The nonce the ID token must carry.
    pub nonce: String,
    /// Where the person wanted to go (a path of ours).
    pub next: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Why a callback's state was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginRefusal {
    /// No sign-in has this state (forged or cut short).
    Unknown,
    /// The callback was used before.
    Used,
    Expired,
}

/// How long finished or abandoned sign-ins are kept before they are
/// cleared (they hold nothing personal; this only bounds the table).
const KEEP: Duration = Duration::days(1);

#[async_trait]
pub trait SsoStore {
    /// The organisation, when the database has exactly one (a provider's
    /// default organisation).
    async fn sole_organisation(&self) -> StoreResult<Option<OrgId>>;
    /// Stores a started sign-in, and clears those past their keeping.
    async fn insert_sso_login(&self, state_hash: &str, login: &SsoLogin) -> StoreResult<()>;
    /// Takes the sign-in of `state_hash` once: marks it used and returns it,
    /// unless it is unknown, used or expired at `now`.
    async fn take_sso_login(
        &self,
        state_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Result<SsoLogin, LoginRefusal>>;
}

#[async_trait]
impl SsoStore for SqlStore {
    async fn sole_organisation(&self) -> StoreResult<Option<OrgId>> {
        let found = sqlx::query("SELECT id FROM organisations ORDER BY id LIMIT 2")
            .fetch_all(&mut *self.read_conn().await?)
            .await
            .map_err(classify)?;
        match found.as_slice() {
            [one] => Ok(Some(OrgId(rows::parsed(one, "id")?))),
            _ => Ok(None),
        }
    }

    async fn insert_sso_login(&self, state_hash: &str, login: &SsoLogin) -> StoreResult<()> {
        let (hash, l) = (state_hash.to_owned(), login.clone());
        self.write(move |conn| {
            Box::pin(async move {
                sqlx::query("DELETE FROM sso_logins WHERE expires_at < $1")
                    .bind(micros(l.created_at - KEEP))
                    .execute(&mut *conn)
                    .await
                    .map_err(classify)?;
                sqlx::query(
                    "INSERT INTO sso_logins (state_hash, provider_id, pkce_verifier, nonce, \
                     next_path, created_at, expires_at, used_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)",
                )
                .bind(hash)
                .bind(l.provider_id)
                .bind(l.pkce_verifier)
                .bind(l.nonce)
                .bind(l.next)
                .bind(micros(l.created_at))
                .bind(micros(l.expires_at))
                .execute(&mut *conn)
                .await
                .map_err(classify)?;
                Ok(())
            })
        })
        .await
    }

    async fn take_sso_login(
        &self,
        state_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Result<SsoLogin, LoginRefusal>> {
        let hash = state_hash.to_owned();
        self.write(move |conn| {
            Box::pin(async move {
                let row = sqlx::query(
                    "SELECT provider_id, pkce_verifier, nonce, next_path, created_at, expires_at, \
                     used_at FROM sso_logins WHERE state_hash = $1",
                )
                .bind(hash.clone())
                .fetch_optional(&mut *conn)
                .await
                .map_err(classify)?;
                let Some(row) = row else {
                    return Ok(Err(LoginRefusal::Unknown));
                };
                if rows::opt_instant(&row, "used_at")?.is_some() {
                    return Ok(Err(LoginRefusal::Used));
                }
                let login = SsoLogin {
                    provider_id: rows::col(&row, "provider_id")?,
                    pkce_verifier: rows::col(&row, "pkce_verifier")?,
                    nonce: rows::col(&row, "nonce")?,
                    next: rows::col(&row, "next_path")?,
                    created_at: rows::instant(&row, "created_at")?,
                    expires_at: rows::instant(&row, "expires_at")?,
                };
                if login.expires_at <= now {
                    return Ok(Err(LoginRefusal::Expired));
                }
                // Guarded by `used_at IS NULL`: of two racing callbacks on
                // PostgreSQL only one takes the sign-in.
                let taken = sqlx::query(
                    "UPDATE sso_logins SET used_at = $2 WHERE state_hash = $1 AND used_at IS NULL",
                )
                .bind(hash)
                .bind(micros(now))
                .execute(&mut *conn)
                .await
                .map_err(classify)?
                .rows_affected();
                Ok(if taken == 1 {
                    Ok(login)
                } else {
                    Err(LoginRefusal::Used)
                })
            })
        })
        .await
    }
}
