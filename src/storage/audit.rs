//! Storage for the audit trail (`audit_log`, migration 0010): inserted,
//! listed by organisation and period, never changed (triggers refuse
//! UPDATE and DELETE on both back-ends).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use uuid::Uuid;

use super::rows::{self, micros};
use super::statement::{Bind, bound};
use super::writer::classify;
use super::{SqlStore, StoreError, StoreResult};
use crate::domain::audit::{ActorKind, AuditAction, AuditEntry};
use crate::domain::ids::{EmployeeId, OrgId};

/// Which entries a listing returns.
#[derive(Clone, Debug)]
pub struct AuditFilter {
    /// From this instant (inclusive)…
    pub from: DateTime<Utc>,
    /// …to this one (exclusive).
    pub to: DateTime<Utc>,
    /// Only entries about this employee's record.
    pub subject: Option<EmployeeId>,
    /// Only these actions; empty for all.
    pub actions: Vec<AuditAction>,
    /// Newest first (the person's own page); oldest first otherwise.
    pub newest_first: bool,
}

#[async_trait]
pub trait AuditStore {
    /// Appends an entry.
    async fn insert_audit(&self, entry: &AuditEntry) -> StoreResult<()>;
    /// Entries of `org` matching `filter`, after the entry at `after`
    /// (exclusive) in the filter's order of (at, entry id).
    async fn list_audit(
        &self,
        org: OrgId,
        filter: &AuditFilter,
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: i64,
    ) -> StoreResult<Vec<AuditEntry>>;
}

const COLUMNS: &str = "entry_id, organisation_id, at, actor_kind, actor_id, actor_name, action, \
                       subject_employee_id, target, client, reason";

fn entry(row: &AnyRow) -> StoreResult<AuditEntry> {
    let kind: String = rows::col(row, "actor_kind")?;
    let action: String = rows::col(row, "action")?;
    Ok(AuditEntry {
        id: rows::parsed(row, "entry_id")?,
        org: rows::opt_parsed(row, "organisation_id")?,
        at: rows::instant(row, "at")?,
        actor_kind: ActorKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("actor_kind: '{kind}'")))?,
        actor_id: rows::opt_parsed(row, "actor_id")?,
        actor_name: rows::col(row, "actor_name")?,
        action: AuditAction::parse(&action)
            .ok_or_else(|| StoreError::Corrupt(format!("action: '{action}'")))?,
        subject: rows::opt_parsed(row, "subject_employee_id")?,
        target: rows::col(row, "target")?,
        client: rows::opt_parsed(row, "client")?,
        reason: rows::col(row, "reason")?,
    })
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn insert_audit(&self, entry: &AuditEntry) -> StoreResult<()> {
        let e = entry.clone();
        self.write(move |conn| {
            Box::pin(async move {
                sqlx::query(&format!(
                    "INSERT INTO audit_log ({COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                ))
                .bind(e.id.to_string())
                .bind(e.org.map(|o| o.to_string()))
                .bind(micros(e.at))
                .bind(e.actor_kind.as_str())
                .bind(e.actor_id.map(|i| i.to_string()))
                .bind(e.actor_name)
                .bind(e.action.as_str())
                .bind(e.subject.map(|s| s.to_string()))
                .bind(e.target)
                .bind(e.client.map(|c| c.to_string()))
                .bind(e.reason)
                .execute(conn)
                .await
                .map_err(classify)?;
                Ok(())
            })
        })
        .await
    }

    async fn list_audit(
        &self,
        org: OrgId,
        filter: &AuditFilter,
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: i64,
    ) -> StoreResult<Vec<AuditEntry>> {
        let mut binds = vec![
            Bind::Text(org.to_string()),
            Bind::Int(micros(filter.from)),
            Bind::Int(micros(filter.to)),
        ];
        let mut mark = |b: Bind| {
            binds.push(b);
            format!("${}", binds.len())
        };
        let mut clauses = vec!["organisation_id = $1 AND at >= $2 AND at < $3".to_owned()];
        if let Some(s) = filter.subject {
            let m = mark(Bind::Text(s.to_string()));
            clauses.push(format!("subject_employee_id = {m}"));
        }
        if !filter.actions.is_empty() {
            let marks: Vec<String> = filter
                .actions
                .iter()
                .map(|a| mark(Bind::Text(a.as_str().to_owned())))
                .collect();
            clauses.push(format!("action IN ({})", marks.join(", ")));
        }
        let (cmp, dir) = if filter.newest_first {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        if let Some((at, id)) = after {
            let t1 = mark(Bind::Int(micros(at)));
            let t2 = mark(Bind::Int(micros(at)));
            let i = mark(Bind::Text(id.to_string()));
            clauses.push(format!(
                "(at {cmp} {t1} OR (at = {t2} AND entry_id {cmp} {i}))"
            ));
        }
        let l = mark(Bind::Int(limit));
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_log WHERE {} ORDER BY at {dir}, entry_id {dir} LIMIT {l}",
            clauses.join(" AND ")
        );
        bound(&sql, binds)
            .fetch_all(&mut *self.read_conn().await?)
            .await
            .map_err(classify)?
            .iter()
            .map(entry)
            .collect()
    }
}
