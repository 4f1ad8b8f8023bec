//! Storage for retention and erasure: finding leavers whose identity is due
//! to go, and anonymising one in a single transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::rows::{self, micros};
use super::writer::classify;
use super::{SqlStore, StoreResult};
use crate::domain::ids::{EmployeeId, OrgId};
use crate::domain::retention;

#[async_trait]
pub trait PrivacyStore {
    /// Deactivated, not yet anonymised employees who left at or before
    /// `cutoff`, at most `limit`.
    async fn leavers_before(
        &self,
        cutoff: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<(OrgId, EmployeeId)>>;
    /// Removes what identifies the employee (see `domain::retention`) and
    /// keeps the record. False when already anonymised (idempotent).
    async fn anonymise_employee(
        &self,
        org: OrgId,
        id: EmployeeId,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
}

#[async_trait]
impl PrivacyStore for SqlStore {
    async fn leavers_before(
        &self,
        cutoff: DateTime<Utc>,
        limit: i64,
    ) -> StoreResult<Vec<(OrgId, EmployeeId)>> {
        sqlx::query(
            "SELECT organisation_id, id FROM employees \
             WHERE active = 0 AND anonymised_at IS NULL AND deactivated_at <= $1 \
             ORDER BY deactivated_at, id LIMIT $2",
        )
        .bind(micros(cutoff))
        .bind(limit)
        .fetch_all(&mut *self.read_conn().await?)
        .await
        .map_err(classify)?
        .iter()
        .map(|row| {
            Ok((
                OrgId(rows::parsed(row, "organisation_id")?),
                EmployeeId(rows::parsed(row, "id")?),
            ))
        })
        .collect()
    }

    async fn anonymise_employee(
        &self,
        org: OrgId,
        id: EmployeeId,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let done = self.write(move |conn| {
            Box::pin(async move {
                let (o, e, at) = (org.to_string(), id.to_string(), micros(now));
                let done = sqlx::query(
                    "UPDATE employees SET name = $3, email = '', external_id = $4, \
                     anonymised_at = $5, updated_at = $5 \
                     WHERE organisation_id = $1 AND id = $2 AND anonymised_at IS NULL",
                )
                .bind(o.clone())
                .bind(e.clone())
                .bind(retention::ANONYMOUS_NAME)
                .bind(retention::anonymous_external_id(id))
                .bind(at)
                .execute(&mut *conn)
                .await
                .map_err(classify)?
                .rows_affected();
                if done == 0 {
                    return Ok(false);
                }
                // Token names often carry the person's name.
                sqlx::query(
                    "UPDATE api_tokens SET name = 'anonymised', revoked_at = COALESCE(revoked_at, $3) \
                     WHERE organisation_id = $1 AND employee_id = $2",
                )
                .bind(o.clone())
                .bind(e.clone())
                .bind(at)
                .execute(&mut *conn)
                .await
                .map_err(classify)?;
                for sql in [
                    "DELETE FROM sign_in_links WHERE organisation_id = $1 AND employee_id = $2",
                    "DELETE FROM web_sessions WHERE organisation_id = $1 AND employee_id = $2",
                    "DELETE FROM nudge_mutes WHERE organisation_id = $1 AND employee_id = $2",
                    // Subjects greet by name; errors may quote an address.
                    "UPDATE outbox SET subject = NULL, last_error = NULL \
                     WHERE organisation_id = $1 AND recipient_id = $2",
                ] {
                    sqlx::query(sql)
                        .bind(o.clone())
                        .bind(e.clone())
                        .execute(&mut *conn)
                        .await
                        .map_err(classify)?;
                }
                Ok(true)
            })
        })
        .await;
        // Its tokens were revoked with it.
        self.token_cache().forget_all();
        self.employee_cache().forget_all();
        done
    }
}
