//! Storage for the token lifecycle: rotation, last use, and revoking the
//! tokens of someone who leaves. Only SHA-256 hashes of secrets are stored.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::rows::{self, micros};
use super::writer::classify;
use super::{SqlStore, StoreError, StoreResult};
use crate::domain::ids::{EmployeeId, OrgId, TokenId};
use crate::domain::token::ApiToken;

/// A new secret for a token.
#[derive(Clone, Debug)]
pub struct Rotation {
    pub new_hash: String,
    /// Until when the replaced secret is still accepted.
    pub previous_valid_until: DateTime<Utc>,
    /// A new expiry, or `None` to keep the current one.
    pub expires_at: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
}

#[async_trait]
pub trait TokenStore {
    /// The token whose secret before its last rotation hashes to
    /// `secret_hash`.
    async fn token_by_previous_hash(&self, secret_hash: &str) -> StoreResult<Option<ApiToken>>;
    /// Records a use of the token (the caller writes at most once a minute).
    async fn touch_token(&self, id: TokenId, now: DateTime<Utc>) -> StoreResult<()>;
    /// Gives an active token a new secret; the current one becomes the
    /// previous one. `NotFound` for an unknown token, `Precondition` for a
    /// revoked one.
    async fn rotate_token(
        &self,
        org: OrgId,
        id: TokenId,
        rotation: Rotation,
    ) -> StoreResult<ApiToken>;
    /// Revokes every token bound to the employee, for good (a reactivated
    /// employee gets new tokens). Returns how many were revoked now.
    async fn revoke_tokens_of(
        &self,
        org: OrgId,
        employee: EmployeeId,
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;
}

#[async_trait]
impl TokenStore for SqlStore {
    async fn token_by_previous_hash(&self, secret_hash: &str) -> StoreResult<Option<ApiToken>> {
        let sql = format!(
            "SELECT {} FROM api_tokens WHERE previous_secret_hash = $1",
            rows::TOKEN_COLUMNS
        );
        sqlx::query(&sql)
            .bind(secret_hash.to_owned())
            .fetch_optional(&mut *self.read_conn().await?)
            .await
            .map_err(classify)?
            .as_ref()
            .map(rows::token)
            .transpose()
    }

    async fn touch_token(&self, id: TokenId, now: DateTime<Utc>) -> StoreResult<()> {
        // Only the last use changes: the kept copy is updated, not dropped.
        self.token_cache().update(|t| {
            if t.id == id && t.last_used_at.is_none_or(|at| at < now) {
                t.last_used_at = Some(now);
            }
        });
        self.write(move |conn| {
            Box::pin(async move {
                // Never backwards: two replicas may touch out of order.
                sqlx::query(
                    "UPDATE api_tokens SET last_used_at = $2 \
                     WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)",
                )
                .bind(id.to_string())
                .bind(micros(now))
                .execute(conn)
                .await
                .map_err(classify)?;
                Ok(())
            })
        })
        .await
    }

    async fn rotate_token(
        &self,
        org: OrgId,
        id: TokenId,
        rotation: Rotation,
    ) -> StoreResult<ApiToken> {
        let rotated = self
            .write(move |conn| {
                Box::pin(async move {
                    let done = sqlx::query(
                    "UPDATE api_tokens SET previous_secret_hash = secret_hash, secret_hash = $3, \
                     previous_valid_until = $4, rotated_at = $5, \
                     expires_at = COALESCE($6, expires_at) \
                     WHERE organisation_id = $1 AND id = $2 AND revoked_at IS NULL",
                )
                .bind(org.to_string())
                .bind(id.to_string())
                .bind(rotation.new_hash)
                .bind(micros(rotation.previous_valid_until))
                .bind(micros(rotation.now))
                .bind(rotation.expires_at.map(micros))
                .execute(&mut *conn)
                .await
                .map_err(classify)?
                .rows_affected();
                    let sql = format!(
                        "SELECT {} FROM api_tokens WHERE organisation_id = $1 AND id = $2",
                        rows::TOKEN_COLUMNS
                    );
                    let token = sqlx::query(&sql)
                        .bind(org.to_string())
                        .bind(id.to_string())
                        .fetch_optional(&mut *conn)
                        .await
                        .map_err(classify)?
                        .as_ref()
                        .map(rows::token)
                        .transpose()?
                        .ok_or_else(|| StoreError::NotFound(format!("token_id: no token {id}")))?;
                    if done == 0 {
                        return Err(StoreError::Precondition {
                            field: "token_id".into(),
                            reason: format!("token {id} is revoked; create a new one"),
                        });
                    }
                    Ok(token)
                })
            })
            .await;
        self.token_cache().forget_all();
        rotated
    }

    async fn revoke_tokens_of(
        &self,
        org: OrgId,
        employee: EmployeeId,
        now: DateTime<Utc>,
    ) -> StoreResult<u64> {
        let revoked = self
            .write(move |conn| {
                Box::pin(async move {
                    Ok(sqlx::query(
                        "UPDATE api_tokens SET revoked_at = $3 \
                     WHERE organisation_id = $1 AND employee_id = $2 AND revoked_at IS NULL",
                    )
                    .bind(org.to_string())
                    .bind(employee.to_string())
                    .bind(micros(now))
                    .execute(conn)
                    .await
                    .map_err(classify)?
                    .rows_affected())
                })
            })
            .await;
        self.token_cache().forget_all();
        revoked
    }
}
