//! Storage for the web front end: one-time sign-in links and browser
//! sessions. Only the SHA-256 of a secret is stored; the secret itself is in
//! the email or the cookie.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use uuid::Uuid;

use super::rows::{self, micros};
use super::writer::classify;
use super::{SqlStore, StoreResult};
use crate::domain::employee::Employee;
use crate::domain::ids::{EmployeeId, OrgId, TokenId};
use crate::domain::token::{ApiToken, Role};

/// A sign-in link as stored (never with its secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignInLink {
    pub org: OrgId,
    pub id: Uuid,
    pub employee_id: EmployeeId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A browser session as stored (never with its secret).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebSession {
    pub org: OrgId,
    pub id: Uuid,
    /// The person signed in by a link; `None` for an admin-token session.
    pub employee_id: Option<EmployeeId>,
    /// The admin token an admin signed in with; revoking it ends the session.
    pub token_id: Option<TokenId>,
    pub user_agent: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// The absolute end; the idle end is `last_seen_at` plus the idle time.
    pub expires_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    /// Set when single sign-on opened the session.
    pub sso: Option<SsoIdentity>,
}

/// Who a single sign-on session is, beyond its employee.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoIdentity {
    /// `<provider id>:<sub>`: the provider's id of the person. It owns a
    /// session that has no employee (its list of sessions, its sign-out).
    pub subject: String,
    /// A role granted by configuration; `None`: EMPLOYEE or MANAGER from
    /// the employee record, as for a link.
    pub role: Option<Role>,
    /// The name shown and audited for a person without an employee record.
    pub name: Option<String>,
    /// A granted `SAFETY_REP`'s department; `None` for the organisation.
    pub department: Option<String>,
}

/// Why a link did not open a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkRefusal {
    /// No link has this secret (mistyped, cut short, or forged).
    Unknown,
    /// It was used before: a link opens one session only.
    Used,
    Expired,
}

#[async_trait]
pub trait WebStore {
    /// Active employees with this address in any organisation (an address
    /// may be registered with several employers).
    async fn employees_by_email(&self, email: &str) -> StoreResult<Vec<Employee>>;
    /// A token by id, revoked or not (an admin session checks its token).
    async fn api_token(&self, org: OrgId, id: TokenId) -> StoreResult<Option<ApiToken>>;
    async fn insert_sign_in_link(&self, link: &SignInLink, secret_hash: &str) -> StoreResult<()>;
    /// A link's expiry and use, without using it.
    async fn peek_sign_in_link(
        &self,
        secret_hash: &str,
    ) -> StoreResult<Option<(DateTime<Utc>, Option<DateTime<Utc>>)>>;
    /// Marks the link used and opens `session` in one transaction, so a
    /// link can open at most one session even when two tabs race.
    async fn redeem_sign_in_link(
        &self,
        secret_hash: &str,
        now: DateTime<Utc>,
        session: WebSession,
        session_hash: String,
    ) -> StoreResult<Result<WebSession, LinkRefusal>>;
    async fn insert_session(&self, session: &WebSession, secret_hash: &str) -> StoreResult<()>;
    async fn session_by_hash(&self, secret_hash: &str) -> StoreResult<Option<WebSession>>;
    /// Records that the session was used now.
    async fn touch_session(&self, org: OrgId, id: Uuid, now: DateTime<Utc>) -> StoreResult<()>;
    /// Ends one session of the person (or admin token) who owns it; false
    /// when no such open session is theirs.
    async fn end_session(
        &self,
        owner: &WebSession,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// The owner's sessions, newest first (at most `limit`).
    async fn sessions_of(&self, owner: &WebSession, limit: i64) -> StoreResult<Vec<WebSession>>;
    /// Messages of `kind` (e.g. `DIGEST`, `REMINDER`) to `recipient`,
    /// newest first: what a person's own lists show of them.
    async fn messages_to(
        &self,
        org: OrgId,
        recipient: EmployeeId,
        kind: &str,
        limit: i64,
    ) -> StoreResult<Vec<PersonalMessage>>;
}

/// A message to one person that is not about a finding (a reminder to
/// clock out): what the person's own list shows of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonalMessage {
    /// What it is about, by kind: a digest's Monday, a reminder's interval.
    pub reference: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub send_after: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub subject: String,
}

const SESSION_COLUMNS: &str = "organisation_id, session_id, employee_id, token_id, user_agent, \
     created_at, last_seen_at, expires_at, ended_at, sso_subject, role, display_name, department";

fn session_row(row: &AnyRow) -> StoreResult<WebSession> {
    Ok(WebSession {
        org: OrgId(rows::parsed(row, "organisation_id")?),
        id: rows::parsed(row, "session_id")?,
        employee_id: rows::opt_parsed::<Uuid>(row, "employee_id")?.map(EmployeeId),
        token_id: rows::opt_parsed::<Uuid>(row, "token_id")?.map(TokenId),
        user_agent: rows::col(row, "user_agent")?,
        created_at: rows::instant(row, "created_at")?,
        last_seen_at: rows::instant(row, "last_seen_at")?,
        expires_at: rows::instant(row, "expires_at")?,
        ended_at: rows::opt_instant(row, "ended_at")?,
        sso: sso_identity(row)?,
    })
}

fn sso_identity(row: &AnyRow) -> StoreResult<Option<SsoIdentity>> {
    let Some(subject) = rows::col::<Option<String>>(row, "sso_subject")? else {
        return Ok(None);
    };
    let role = match rows::col::<Option<String>>(row, "role")? {
        Some(r) => Some(
            Role::parse(&r)
                .ok_or_else(|| super::StoreError::Corrupt(format!("web_sessions.role {r}")))?,
        ),
        None => None,
    };
    Ok(Some(SsoIdentity {
        subject,
        role,
        name: rows::col(row, "display_name")?,
        department: rows::col(row, "department")?,
    }))
}

/// The owner condition of a session listing: the same employee, or the same
/// admin token, or (with neither) the same single sign-on subject. `$2`,
/// `$3` and `$4` are the employee, token and subject ids ('' when absent or
/// when an employee or token owns the session).
const OWNER: &str = "organisation_id = $1 AND ((employee_id IS NOT NULL AND employee_id = $2) \
     OR (token_id IS NOT NULL AND token_id = $3) \
     OR (employee_id IS NULL AND token_id IS NULL AND sso_subject = $4))";

fn owner_ids(owner: &WebSession) -> (String, String, String) {
    let subject = match (&owner.sso, owner.employee_id, owner.token_id) {
        (Some(sso), None, None) => sso.subject.clone(),
        _ => String::new(),
    };
    (
        owner.employee_id.map(|e| e.to_string()).unwrap_or_default(),
        owner.token_id.map(|t| t.to_string()).unwrap_or_default(),
        subject,
    )
}

async fn insert_session_on(
    conn: &mut sqlx::AnyConnection,
    s: &WebSession,
    secret_hash: &str,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO web_sessions (organisation_id, session_id, secret_hash, employee_id, token_id, \
         user_agent, created_at, last_seen_at, expires_at, ended_at, sso_subject, role, display_name, \
         department) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10, $11, $12, $13)",
    )
    .bind(s.org.to_string())
    .bind(s.id.to_string())
    .bind(secret_hash.to_owned())
    .bind(s.employee_id.map(|e| e.to_string()))
    .bind(s.token_id.map(|t| t.to_string()))
    .bind(s.user_agent.clone())
    .bind(micros(s.created_at))
    .bind(micros(s.last_seen_at))
    .bind(micros(s.expires_at))
    .bind(s.sso.as_ref().map(|i| i.subject.clone()))
    .bind(s.sso.as_ref().and_then(|i| i.role).map(|r| r.as_str().to_owned()))
    .bind(s.sso.as_ref().and_then(|i| i.name.clone()))
    .bind(s.sso.as_ref().and_then(|i| i.department.clone()))
    .execute(&mut *conn)
    .await
    .map_err(classify)?;
    Ok(())
}

#[async_trait]
impl WebStore for SqlStore {
    async fn employees_by_email(&self, email: &str) -> StoreResult<Vec<Employee>> {
        let sql = format!(
            "SELECT {} FROM employees WHERE lower(email) = lower($1) AND active = 1 \
             ORDER BY organisation_id, external_id LIMIT 20",
            rows::EMPLOYEE_COLUMNS
        );
        sqlx::query(&sql)
            .bind(email.trim().to_owned())
            .fetch_all(&mut *self.read_conn().await?)
            .await
            .map_err(classify)?
            .iter()
            .map(rows::employee)
            .collect()
    }

    async fn api_token(&self, org: OrgId, id: TokenId) -> StoreResult<Option<ApiToken>> {
        let sql = format!(
            "SELECT {} FROM api_tokens WHERE organisation_id = $1 AND id = $2",
            rows::TOKEN_COLUMNS
        );
        sqlx::query(&sql)
            .bind(org.to_string())
            .bind(id.to_string())
            .fetch_optional(&mut *self.read_conn().await?)
            .await
            .map_err(classify)?
            .as_ref()
            .map(rows::token)
            .transpose()
    }

    async fn insert_sign_in_link(&self, link: &SignInLink, secret_hash: &str) -> StoreResult<()> {
        let (l, hash) = (link.clone(), secret_hash.to_owned());
        self.write(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO sign_in_links (organisation_id, link_id, secret_hash, employee_id, \
                     created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6, NULL)",
                )
                .bind(l.org.to_string())
                .bind(l.id.to_string())
                .bind(hash)
                .bind(l.employee_id.to_string())
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

    async fn peek_sign_in_link(
        &self,
        secret_hash: &str,
    ) -> StoreResult<Option<(DateTime<Utc>, Option<DateTime<Utc>>)>> {
        let row =
            sqlx::query("SELECT expires_at, used_at FROM sign_in_links WHERE secret_hash = $1")
                .bind(secret_hash.to_owned())
                .fetch_optional(&mut *self.read_conn().await?)
                .await
                .map_err(classify)?;
        row.map(|r| {
            Ok((
                rows::instant(&r, "expires_at")?,
                rows::opt_instant(&r, "used_at")?,
            ))
        })
        .transpose()
    }

    async fn redeem_sign_in_link(
        &self,
        secret_hash: &str,
        now: DateTime<Utc>,
        session: WebSession,
        session_hash: String,
    ) -> StoreResult<Result<WebSession, LinkRefusal>> {
        let hash = secret_hash.to_owned();
        self.write(move |conn| {
            Box::pin(async move {
                let row = sqlx::query(
                    "SELECT organisation_id, employee_id, expires_at, used_at FROM sign_in_links \
                     WHERE secret_hash = $1",
                )
                .bind(hash.clone())
                .fetch_optional(&mut *conn)
                .await
                .map_err(classify)?;
                let Some(row) = row else {
                    return Ok(Err(LinkRefusal::Unknown));
                };
                if rows::opt_instant(&row, "used_at")?.is_some() {
                    return Ok(Err(LinkRefusal::Used));
                }
                if rows::instant(&row, "expires_at")? <= now {
                    return Ok(Err(LinkRefusal::Expired));
                }
                // Guarded by `used_at IS NULL`: of two racing redemptions on
                // PostgreSQL only one updates the row.
                let used = sqlx::query(
                    "UPDATE sign_in_links SET used_at = $2 WHERE secret_hash = $1 AND used_at IS NULL",
                )
                .bind(hash)
                .bind(micros(now))
                .execute(&mut *conn)
                .await
                .map_err(classify)?
                .rows_affected();
                if used != 1 {
                    return Ok(Err(LinkRefusal::Used));
                }
                let session = WebSession {
                    org: OrgId(rows::parsed(&row, "organisation_id")?),
                    employee_id: Some(EmployeeId(rows::parsed(&row, "employee_id")?)),
                    token_id: None,
                    ..session
                };
                insert_session_on(conn, &session, &session_hash).await?;
                Ok(Ok(session))
            })
        })
        .await
    }

    async fn insert_session(&self, session: &WebSession, secret_hash: &str) -> StoreResult<()> {
        let (s, hash) = (session.clone(), secret_hash.to_owned());
        self.write(move |conn| Box::pin(async move { insert_session_on(conn, &s, &hash).await }))
            .await
    }

    async fn session_by_hash(&self, secret_hash: &str) -> StoreResult<Option<WebSession>> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM web_sessions WHERE secret_hash = $1");
        sqlx::query(&sql)
            .bind(secret_hash.to_owned())
            .fetch_optional(&mut *self.read_conn().await?)
            .await
            .map_err(classify)?
            .as_ref()
            .map(session_row)
            .transpose()
    }

    async fn touch_session(&self, org: OrgId, id: Uuid, now: DateTime<Utc>) -> StoreResult<()> {
        self.write(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "UPDATE web_sessions SET last_seen_at = $3 \
                     WHERE organisation_id = $1 AND session_id = $2 AND last_seen_at < $3",
                )
                .bind(org.to_string())
                .bind(id.to_string())
                .bind(micros(now))
                .execute(&mut *conn)
                .await
                .map_err(classify)?;
                Ok(())
            })
        })
        .await
    }

    async fn end_session(
        &self,
        owner: &WebSession,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let org = owner.org;
        let (employee, token, subject) = owner_ids(owner);
        self.write(move |conn| {
            Box::pin(async move {
                let sql = format!(
                    "UPDATE web_sessions SET ended_at = $6 WHERE {OWNER} AND session_id = $5 \
                     AND ended_at IS NULL"
                );
                let n = sqlx::query(&sql)
                    .bind(org.to_string())
                    .bind(employee)
                    .bind(token)
                    .bind(subject)
                    .bind(id.to_string())
                    .bind(micros(now))
                    .execute(&mut *conn)
                    .await
                    .map_err(classify)?
                    .rows_affected();
                Ok(n == 1)
            })
        })
        .await
    }

    async fn sessions_of(&self, owner: &WebSession, limit: i64) -> StoreResult<Vec<WebSession>> {
        let (employee, token, subject) = owner_ids(owner);
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM web_sessions WHERE {OWNER} \
             ORDER BY created_at DESC, session_id LIMIT $5"
        );
        sqlx::query(&sql)
            .bind(owner.org.to_string())
            .bind(employee)
            .bind(token)
            .bind(subject)
            .bind(limit)
            .fetch_all(&mut *self.read_conn().await?)
            .await
            .map_err(classify)?
            .iter()
            .map(session_row)
            .collect()
    }

    async fn messages_to(
        &self,
        org: OrgId,
        recipient: EmployeeId,
        kind: &str,
        limit: i64,
    ) -> StoreResult<Vec<PersonalMessage>> {
        let rows = sqlx::query(
            "SELECT reference, status, created_at, send_after, sent_at, subject FROM outbox \
             WHERE organisation_id = $1 AND recipient_id = $2 AND kind = $3 \
             ORDER BY created_at DESC LIMIT $4",
        )
        .bind(org.to_string())
        .bind(recipient.to_string())
        .bind(kind.to_owned())
        .bind(limit)
        .fetch_all(&mut *self.read_conn().await?)
        .await
        .map_err(classify)?;
        rows.iter()
            .map(|r| {
                Ok(PersonalMessage {
                    reference: rows::col(r, "reference")?,
                    status: rows::col(r, "status")?,
                    created_at: rows::instant(r, "created_at")?,
                    send_after: rows::instant(r, "send_after")?,
                    sent_at: rows::opt_instant(r, "sent_at")?,
                    subject: rows::col::<Option<String>>(r, "subject")?.unwrap_or_default(),
                })
            })
            .collect()
    }
}
