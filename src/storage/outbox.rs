//! Nudges and the transactional outbox.
//!
//! A nudge is decided inside the recompute transaction that stores its
//! finding ([`decide_in_tx`]), so a decision is committed together with its
//! cause or not at all. Messages are claimed by workers with a lease (on
//! PostgreSQL with `FOR UPDATE SKIP LOCKED`, so replicas never take the same
//! row; on `SQLite` the single writer serialises claims), sent, and marked
//! sent, retried with backoff, dead or cancelled. Unique keys make every
//! decision idempotent: a message key per message, a dedup key per nudge.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use uuid::Uuid;

use super::derived::{FINDING_COLUMNS, finding};
use super::nudge_people::{People, mutes_on};
use super::rows::{self, col, instant, micros, opt_instant};
use super::sql::SqlStore;
use super::writer::classify;
use super::{Backend, StoreError, StoreResult};
use crate::domain::employee::Employee;
use crate::domain::engine::finding::Severity;
use crate::domain::engine::reconcile::Finding;
use crate::domain::ids::{EmployeeId, OrgId};
use crate::domain::nudge::Category;
use crate::domain::nudge::decide::{
    About, Audience, Candidate, Decision, NudgePolicy, Recipient, decide,
};

/// What an outgoing message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// Nudges to an employee about their own record.
    Nudge,
    /// A manager's daily batch of their reports' legal violations.
    ManagerAlerts,
    /// The weekly digest to a manager.
    Digest,
    /// An interval still open after the expected end of the day.
    Reminder,
}

impl MessageKind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nudge => "NUDGE",
            Self::ManagerAlerts => "MANAGER_ALERTS",
            Self::Digest => "DIGEST",
            Self::Reminder => "REMINDER",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Nudge,
            Self::ManagerAlerts,
            Self::Digest,
            Self::Reminder,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// Where a message is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageStatus {
    Pending,
    Sent,
    /// Out of attempts; an admin may retry it.
    Dead,
    /// Nothing was left to say when it was due (every finding resolved, the
    /// interval closed, the recipient gone).
    Cancelled,
}

impl MessageStatus {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Sent => "SENT",
            Self::Dead => "DEAD",
            Self::Cancelled => "CANCELLED",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Sent, Self::Dead, Self::Cancelled]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A stored message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxMessage {
    pub org: OrgId,
    pub id: Uuid,
    pub key: String,
    pub kind: MessageKind,
    pub recipient: EmployeeId,
    pub reference: String,
    pub status: MessageStatus,
    pub send_after: DateTime<Utc>,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub subject: Option<String>,
}

/// A message to store unless its key is taken.
#[derive(Clone, Debug)]
pub struct NewMessage {
    pub org: OrgId,
    pub key: String,
    pub kind: MessageKind,
    pub recipient: EmployeeId,
    pub reference: String,
    pub send_after: DateTime<Utc>,
    /// Nudge rows that travel with it (the digest lists who it is about).
    pub nudges: Vec<NewNudge>,
}

/// A nudge row to store with a message.
#[derive(Clone, Debug)]
pub struct NewNudge {
    pub dedup_key: String,
    pub employee: EmployeeId,
    pub audience: Audience,
    pub category: String,
    pub rule_id: String,
    pub finding: Option<Uuid>,
    pub severity: String,
}

/// A stored nudge, with the state of the message it went in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NudgeRow {
    pub id: Uuid,
    pub message: Uuid,
    pub employee: EmployeeId,
    pub recipient: EmployeeId,
    pub audience: Audience,
    pub category: String,
    pub rule_id: String,
    pub finding: Option<Uuid>,
    pub severity: String,
    pub decided_at: DateTime<Utc>,
    pub kind: MessageKind,
    pub status: MessageStatus,
    pub send_after: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub subject: Option<String>,
}

/// How a send attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered; `omitted` are the message's nudges that were left out
    /// because their findings were resolved first.
    Sent {
        subject: String,
        omitted: Vec<Uuid>,
    },
    /// Not sent yet and no attempt used: the recipient is in quiet hours.
    Deferred {
        until: DateTime<Utc>,
    },
    /// Try again at `retry_at`, or give up (`None`: dead).
    Failed {
        error: String,
        retry_at: Option<DateTime<Utc>>,
    },
    Cancelled {
        reason: String,
    },
    /// Claimed but not tried (the round ended early): the claim and the
    /// attempt it counted are given back, so the message is due again at
    /// once rather than when the lease runs out.
    Released,
}

/// Nudge and outbox storage.
#[async_trait]
pub trait OutboxStore {
    /// Stores a message (and its nudge rows) unless its key is taken;
    /// whether it was new.
    async fn enqueue_message(&self, message: NewMessage, now: DateTime<Utc>) -> StoreResult<bool>;
    /// Claims due messages for `worker` until `lease_until`: the `limit`
    /// oldest, and with each every other due message of its recipient and
    /// kind (they leave as one email). Each claim counts as an attempt, so a message that crashes its
    /// worker still runs out of attempts.
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        worker: &str,
        limit: i64,
    ) -> StoreResult<Vec<OutboxMessage>>;
    /// Records how a claimed attempt ended; `false` when the claim was lost
    /// (the lease ran out and another worker took the message).
    async fn finish(
        &self,
        org: OrgId,
        message: Uuid,
        worker: &str,
        outcome: Outcome,
        now: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Extends a claim before a send; `false` when the claim was lost (its
    /// lease ran out and another worker may hold the message now).
    async fn renew_lease(
        &self,
        org: OrgId,
        message: Uuid,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// A message by its key.
    async fn message_by_key(&self, org: OrgId, key: &str) -> StoreResult<Option<OutboxMessage>>;
    /// The nudges a message carries, oldest first.
    async fn message_nudges(&self, org: OrgId, message: Uuid) -> StoreResult<Vec<NudgeRow>>;
    /// Nudges about `employee`, newest first, after the cursor
    /// `(decided_at, nudge id)`.
    async fn nudges_about(
        &self,
        org: OrgId,
        employee: EmployeeId,
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: i64,
    ) -> StoreResult<Vec<NudgeRow>>;
    /// Categories `employee` has muted.
    async fn mutes(&self, org: OrgId, employee: EmployeeId) -> StoreResult<Vec<Category>>;
    /// Mutes or unmutes one category (idempotent).
    async fn set_mute(
        &self,
        org: OrgId,
        employee: EmployeeId,
        category: Category,
        muted: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// Messages of `org` in `status`, newest first, after the cursor
    /// `(created_at, id)`.
    async fn messages_in(
        &self,
        org: OrgId,
        status: MessageStatus,
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: i64,
    ) -> StoreResult<Vec<OutboxMessage>>;
    /// Puts a dead message back in the queue with fresh attempts;
    /// `Precondition` unless it is dead.
    async fn retry_dead(
        &self,
        org: OrgId,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<OutboxMessage>;
    /// Findings by id (missing ids are left out).
    async fn findings_by_id(&self, org: OrgId, ids: Vec<Uuid>) -> StoreResult<Vec<Finding>>;
    /// Every organisation's id.
    async fn organisation_ids(&self) -> StoreResult<Vec<OrgId>>;
    /// Active employees who manage at least one active employee.
    async fn managers(&self, org: OrgId) -> StoreResult<Vec<Employee>>;
}

const MESSAGE_COLUMNS: &str = "organisation_id, message_id, message_key, kind, recipient_id, reference, status, \
     send_after, attempts, last_error, created_at, sent_at, subject";

fn parse_uuid(row: &AnyRow, name: &str) -> StoreResult<Uuid> {
    let v: String = col(row, name)?;
    Uuid::parse_str(&v).map_err(|_| StoreError::Corrupt(format!("{name}: {v}")))
}

fn message_row(row: &AnyRow) -> StoreResult<OutboxMessage> {
    let kind: String = col(row, "kind")?;
    let status: String = col(row, "status")?;
    Ok(OutboxMessage {
        org: OrgId(parse_uuid(row, "organisation_id")?),
        id: parse_uuid(row, "message_id")?,
        key: col(row, "message_key")?,
        kind: MessageKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("kind: {kind}")))?,
        recipient: EmployeeId(parse_uuid(row, "recipient_id")?),
        reference: col(row, "reference")?,
        status: MessageStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("status: {status}")))?,
        send_after: instant(row, "send_after")?,
        attempts: col(row, "attempts")?,
        last_error: col(row, "last_error")?,
        created_at: instant(row, "created_at")?,
        sent_at: opt_instant(row, "sent_at")?,
        subject: col(row, "subject")?,
    })
}

const NUDGE_COLUMNS: &str = "n.nudge_id, n.message_id, n.employee_id, n.recipient_id, n.audience, n.category, \
     n.rule_id, n.finding_id, n.severity, n.decided_at, n.withdrawn_at, o.kind, o.status, o.send_after, o.sent_at, o.subject";

fn nudge_row(row: &AnyRow) -> StoreResult<NudgeRow> {
    let audience: String = col(row, "audience")?;
    let kind: String = col(row, "kind")?;
    let status: String = col(row, "status")?;
    let finding: Option<String> = col(row, "finding_id")?;
    let withdrawn = opt_instant(row, "withdrawn_at")?.is_some();
    let status = MessageStatus::parse(&status)
        .ok_or_else(|| StoreError::Corrupt(format!("status: {status}")))?;
    Ok(NudgeRow {
        id: parse_uuid(row, "nudge_id")?,
        message: parse_uuid(row, "message_id")?,
        employee: EmployeeId(parse_uuid(row, "employee_id")?),
        recipient: EmployeeId(parse_uuid(row, "recipient_id")?),
        audience: Audience::parse(&audience)
            .ok_or_else(|| StoreError::Corrupt(format!("audience: {audience}")))?,
        category: col(row, "category")?,
        rule_id: col(row, "rule_id")?,
        finding: finding.and_then(|f| Uuid::parse_str(&f).ok()),
        severity: col(row, "severity")?,
        decided_at: instant(row, "decided_at")?,
        kind: MessageKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("kind: {kind}")))?,
        // A nudge left out of its message was never said, whatever became
        // of the message.
        status: if withdrawn {
            MessageStatus::Cancelled
        } else {
            status
        },
        send_after: instant(row, "send_after")?,
        sent_at: if withdrawn {
            None
        } else {
            opt_instant(row, "sent_at")?
        },
        subject: if withdrawn {
            None
        } else {
            col(row, "subject")?
        },
    })
}

/// Inserts a message unless its key is taken; its id, and whether it is new.
async fn insert_message(
    conn: &mut AnyConnection,
    m: &NewMessage,
    now: DateTime<Utc>,
) -> StoreResult<(Uuid, bool)> {
    let id = Uuid::new_v4();
    let inserted = sqlx::query(
        "INSERT INTO outbox (organisation_id, message_id, message_key, kind, recipient_id, reference, status, \
         send_after, attempts, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'PENDING', $7, 0, $8) \
         ON CONFLICT (organisation_id, message_key) DO NOTHING",
    )
    .bind(m.org.to_string())
    .bind(id.to_string())
    .bind(m.key.clone())
    .bind(m.kind.as_str())
    .bind(m.recipient.to_string())
    .bind(m.reference.clone())
    .bind(micros(m.send_after))
    .bind(micros(now))
    .execute(&mut *conn)
    .await
    .map_err(classify)?
    .rows_affected()
        == 1;
    if inserted {
        return Ok((id, true));
    }
    let row = sqlx::query(
        "SELECT message_id FROM outbox WHERE organisation_id = $1 AND message_key = $2",
    )
    .bind(m.org.to_string())
    .bind(m.key.clone())
    .fetch_one(&mut *conn)
    .await
    .map_err(classify)?;
    Ok((parse_uuid(&row, "message_id")?, false))
}

/// Inserts a nudge row unless its dedup key is taken; whether it is new.
async fn insert_nudge(
    conn: &mut AnyConnection,
    org: OrgId,
    message: Uuid,
    recipient: EmployeeId,
    n: &NewNudge,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    Ok(sqlx::query(
        "INSERT INTO nudges (organisation_id, nudge_id, dedup_key, message_id, employee_id, recipient_id, \
         audience, category, rule_id, finding_id, severity, decided_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
         ON CONFLICT (organisation_id, dedup_key) DO NOTHING",
    )
    .bind(org.to_string())
    .bind(Uuid::new_v4().to_string())
    .bind(n.dedup_key.clone())
    .bind(message.to_string())
    .bind(n.employee.to_string())
    .bind(recipient.to_string())
    .bind(n.audience.as_str())
    .bind(n.category.clone())
    .bind(n.rule_id.clone())
    .bind(n.finding.map(|f| f.to_string()))
    .bind(n.severity.clone())
    .bind(micros(now))
    .execute(&mut *conn)
    .await
    .map_err(classify)?
    .rows_affected()
        == 1)
}

/// Whether an earlier nudge under `key` still stands, so this one is a
/// duplicate. One that was cancelled, or that waits to be sent about a
/// finding that has since been resolved, does not: its key is released so
/// that a real finding of the same category that week is still told.
async fn dedup_taken(
    conn: &mut AnyConnection,
    org: OrgId,
    key: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let row = sqlx::query(
        "SELECT n.nudge_id, o.status, f.status AS finding_status FROM nudges n \
         JOIN outbox o ON o.organisation_id = n.organisation_id AND o.message_id = n.message_id \
         LEFT JOIN findings f ON f.organisation_id = n.organisation_id AND f.finding_id = n.finding_id \
         WHERE n.organisation_id = $1 AND n.dedup_key = $2",
    )
    .bind(org.to_string())
    .bind(key.to_owned())
    .fetch_optional(&mut *conn)
    .await
    .map_err(classify)?;
    let Some(row) = row else {
        return Ok(false);
    };
    let status: String = col(&row, "status")?;
    let finding: Option<String> = col(&row, "finding_status")?;
    let stands = match status.as_str() {
        "CANCELLED" => false,
        "PENDING" => finding.as_deref() != Some("RESOLVED"),
        _ => true,
    };
    if !stands {
        let id: String = col(&row, "nudge_id")?;
        release_keys(conn, org, "nudge_id", &id, now).await?;
    }
    Ok(stands)
}

/// Frees the dedup keys of the nudges where `column` = `value` (a nudge or a
/// whole message), keeping the rows for the employee's history.
async fn release_keys(
    conn: &mut AnyConnection,
    org: OrgId,
    column: &str,
    value: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let sql = format!(
        "UPDATE nudges SET dedup_key = dedup_key || ':released:' || nudge_id, withdrawn_at = $3 \
         WHERE organisation_id = $1 AND {column} = $2 AND withdrawn_at IS NULL"
    );
    sqlx::query(&sql)
        .bind(org.to_string())
        .bind(value.to_owned())
        .bind(micros(now))
        .execute(&mut *conn)
        .await
        .map_err(classify)?;
    Ok(())
}

fn recipient(e: &Employee) -> Recipient {
    Recipient {
        id: e.id,
        tz: e.fields.time_zone,
        reachable: e.active && !e.fields.email.is_empty(),
    }
}

/// A finding that may deserve a nudge: new, reopened or more severe.
#[derive(Clone, Debug)]
pub struct NudgeCandidate {
    pub finding: Uuid,
    pub rule_id: String,
    pub severity: Severity,
    pub at: DateTime<Utc>,
}

/// Decides and stores the nudges for `candidates` inside the caller's
/// transaction (the recompute that found them), knowing the employee, their
/// manager and their mutes from `people` (read for the page in that
/// transaction). Returns how many nudge rows were stored.
pub(super) async fn decide_in_tx(
    conn: &mut AnyConnection,
    org: OrgId,
    employee: EmployeeId,
    candidates: &[NudgeCandidate],
    now: DateTime<Utc>,
    policy: &NudgePolicy,
    people: &People,
) -> StoreResult<usize> {
    if candidates.is_empty() {
        return Ok(0);
    }
    let Some(subject) = people.employee(employee) else {
        return Ok(0);
    };
    let manager = subject.fields.manager_id.and_then(|m| people.employee(m));
    let muted = people.muted(employee);
    let about = About {
        employee: recipient(subject),
        manager: manager.map(recipient),
        muted: &muted,
    };
    let cands: Vec<Candidate<'_>> = candidates
        .iter()
        .map(|c| Candidate {
            finding: c.finding,
            rule_id: &c.rule_id,
            severity: c.severity,
            at: c.at,
        })
        .collect();
    let mut decisions = decide(&about, &cands, now, policy);
    // The weekly dedup: an item already told this week is dropped before a
    // message is made for it, so no empty email is ever queued.
    let mut fresh: Vec<Decision> = Vec::new();
    for d in decisions.drain(..) {
        if !dedup_taken(conn, org, &d.dedup_key, now).await? {
            fresh.push(d);
        }
    }
    let mut stored = 0;
    for d in &fresh {
        let kind = match d.audience {
            Audience::Employee => MessageKind::Nudge,
            Audience::Manager => MessageKind::ManagerAlerts,
        };
        let message = NewMessage {
            org,
            key: d.message_key.clone(),
            kind,
            recipient: d.recipient,
            reference: match d.audience {
                Audience::Employee => String::new(),
                Audience::Manager => d
                    .message_key
                    .rsplit(':')
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            },
            send_after: d.send_after,
            nudges: Vec::new(),
        };
        let id = join_or_insert(conn, &message, now).await?;
        let nudge = NewNudge {
            dedup_key: d.dedup_key.clone(),
            employee,
            audience: d.audience,
            category: d.category.as_str().to_string(),
            rule_id: d.rule_id.clone(),
            finding: Some(d.finding),
            severity: d.severity.as_str().to_string(),
        };
        if insert_nudge(conn, org, id, d.recipient, &nudge, now).await? {
            stored += 1;
        }
    }
    Ok(stored)
}

/// The message a decided item travels in: the one under its key if that
/// can still take items, else a follow-up under `<key>:2`, `<key>:3`, …
///
/// Joining is one guarded UPDATE of the row (holding it back to the item's
/// `send_after`, so the employee still hears first). On PostgreSQL it takes
/// the row lock, so a worker claiming the batch (`FOR UPDATE SKIP LOCKED`)
/// either skips it until this transaction commits, or has claimed it first
/// and the UPDATE matches nothing: an item can never join a batch that is
/// already being sent.
async fn join_or_insert(
    conn: &mut AnyConnection,
    m: &NewMessage,
    now: DateTime<Utc>,
) -> StoreResult<Uuid> {
    for n in 1..=9 {
        let key = if n == 1 {
            m.key.clone()
        } else {
            format!("{}:{n}", m.key)
        };
        let candidate = NewMessage { key, ..m.clone() };
        let (id, new) = insert_message(conn, &candidate, now).await?;
        if new {
            return Ok(id);
        }
        let joined = sqlx::query(
            "UPDATE outbox SET send_after = CASE WHEN send_after < $3 THEN $3 ELSE send_after END \
             WHERE organisation_id = $1 AND message_id = $2 AND status = 'PENDING' AND claimed_by IS NULL",
        )
        .bind(m.org.to_string())
        .bind(id.to_string())
        .bind(micros(m.send_after))
        .execute(&mut *conn)
        .await
        .map_err(classify)?
        .rows_affected()
            == 1;
        if joined {
            return Ok(id);
        }
    }
    let last = NewMessage {
        key: format!("{}:{}", m.key, Uuid::new_v4()),
        ..m.clone()
    };
    Ok(insert_message(conn, &last, now).await?.0)
}

/// One page of a newest-first listing whose SQL takes, in order, the
/// organisation, one filter value, whether there is a cursor, the cursor's
/// instant and id, and the limit.
async fn page(
    store: &SqlStore,
    sql: &str,
    org: OrgId,
    filter: String,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> StoreResult<Vec<AnyRow>> {
    sqlx::query(sql)
        .bind(org.to_string())
        .bind(filter)
        .bind(i64::from(after.is_some()))
        .bind(after.map_or(0, |a| micros(a.0)))
        .bind(after.map(|a| a.1.to_string()).unwrap_or_default())
        .bind(limit)
        .fetch_all(&mut *store.read_conn().await?)
        .await
        .map_err(classify)
}

#[async_trait]
impl OutboxStore for SqlStore {
    async fn enqueue_message(&self, message: NewMessage, now: DateTime<Utc>) -> StoreResult<bool> {
        self.write(move |conn| {
            Box::pin(async move {
                let (id, new) = insert_message(conn, &message, now).await?;
                if new {
                    for n in &message.nudges {
                        insert_nudge(conn, message.org, id, message.recipient, n, now).await?;
                    }
                }
                Ok(new)
            })
        })
        .await
    }

    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        worker: &str,
        limit: i64,
    ) -> StoreResult<Vec<OutboxMessage>> {
        // SKIP LOCKED lets replicas claim side by side without waiting on
        // each other's rows; SQLite's single writer needs no lock clause.
        let lock = match self.backend() {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        // The oldest due messages pick the (recipient, kind) pairs, and
        // every due message of those pairs is claimed with them: nudges to
        // one person leave as one email (`jobs::merge_groups`), so a limit
        // must not cut them in two. A claim may therefore exceed `limit`.
        let due = "status = 'PENDING' AND send_after <= $1 AND (lease_until IS NULL OR lease_until <= $1)";
        let sql = format!(
            "UPDATE outbox SET lease_until = $2, claimed_by = $3, attempts = attempts + 1 \
             WHERE (organisation_id, message_id) IN (\
               SELECT organisation_id, message_id FROM outbox \
               WHERE {due} AND (organisation_id, recipient_id, kind) IN (\
                 SELECT organisation_id, recipient_id, kind FROM outbox \
                 WHERE {due} ORDER BY send_after, message_id LIMIT $4) \
               {lock}) \
             RETURNING {MESSAGE_COLUMNS}"
        );
        let worker = worker.to_owned();
        let mut claimed = self
            .write(move |conn| {
                Box::pin(async move {
                    sqlx::query(&sql)
                        .bind(micros(now))
                        .bind(micros(lease_until))
                        .bind(worker)
                        .bind(limit)
                        .fetch_all(&mut *conn)
                        .await
                        .map_err(classify)?
                        .iter()
                        .map(message_row)
                        .collect::<StoreResult<Vec<_>>>()
                })
            })
            .await?;
        claimed.sort_by_key(|m| (m.send_after, m.id));
        Ok(claimed)
    }

    async fn finish(
        &self,
        org: OrgId,
        message: Uuid,
        worker: &str,
        outcome: Outcome,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let worker = worker.to_owned();
        self.write(move |conn| {
            Box::pin(async move {
                let (sql, a, b): (&str, Option<String>, Option<i64>) = match &outcome {
                    Outcome::Deferred { until } => (
                        "UPDATE outbox SET send_after = $6, attempts = attempts - 1, lease_until = NULL, claimed_by = NULL \
                         WHERE organisation_id = $1 AND message_id = $2 AND claimed_by = $3 AND status = 'PENDING' \
                         AND $4 = $4 AND ($5 IS NULL OR $5 = $5)",
                        None,
                        Some(micros(*until)),
                    ),
                    Outcome::Sent { subject, .. } => (
                        "UPDATE outbox SET status = 'SENT', sent_at = $4, subject = $5, lease_until = NULL, \
                         claimed_by = NULL, last_error = NULL \
                         WHERE organisation_id = $1 AND message_id = $2 AND claimed_by = $3 AND status = 'PENDING'",
                        Some(subject.clone()),
                        None,
                    ),
                    Outcome::Failed { error, retry_at: Some(at) } => (
                        "UPDATE outbox SET send_after = $6, last_error = $5, lease_until = NULL, claimed_by = NULL \
                         WHERE organisation_id = $1 AND message_id = $2 AND claimed_by = $3 AND status = 'PENDING' \
                         AND $4 = $4",
                        Some(error.clone()),
                        Some(micros(*at)),
                    ),
                    Outcome::Failed { error, retry_at: None } => (
                        "UPDATE outbox SET status = 'DEAD', last_error = $5, lease_until = NULL, claimed_by = NULL \
                         WHERE organisation_id = $1 AND message_id = $2 AND claimed_by = $3 AND status = 'PENDING' \
                         AND $4 = $4",
                        Some(error.clone()),
                        None,
                    ),
                    Outcome::Cancelled { reason } => (
                        "UPDATE outbox SET status = 'CANCELLED', last_error = $5, lease_until = NULL, claimed_by = NULL \
                         WHERE organisation_id = $1 AND message_id = $2 AND claimed_by = $3 AND status = 'PENDING' \
                         AND $4 = $4",
                        Some(reason.clone()),
                        None,
                    ),
                    Outcome::Released => (
                        "UPDATE outbox SET attempts = attempts - 1, lease_until = NULL, claimed_by = NULL \
                         WHERE organisation_id = $1 AND message_id = $2 AND claimed_by = $3 AND status = 'PENDING' \
                         AND $4 = $4 AND ($5 IS NULL OR $5 = $5)",
                        None,
                        None,
                    ),
                };
                let mut q = sqlx::query(sql)
                    .bind(org.to_string())
                    .bind(message.to_string())
                    .bind(worker)
                    .bind(micros(now))
                    .bind(a);
                if let Some(b) = b {
                    q = q.bind(b);
                }
                let done = q.execute(&mut *conn).await.map_err(classify)?.rows_affected() == 1;
                if done {
                    match &outcome {
                        // Nothing was said: the week's categories are free again.
                        Outcome::Cancelled { .. } => {
                            release_keys(conn, org, "message_id", &message.to_string(), now).await?;
                        }
                        Outcome::Sent { omitted, .. } => {
                            for n in omitted {
                                release_keys(conn, org, "nudge_id", &n.to_string(), now).await?;
                            }
                        }
                        _ => {}
                    }
                }
                Ok(done)
            })
        })
        .await
    }

    async fn renew_lease(
        &self,
        org: OrgId,
        message: Uuid,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let worker = worker.to_owned();
        self.write(move |conn| {
            Box::pin(async move {
                Ok(sqlx::query(
                    "UPDATE outbox SET lease_until = $5 WHERE organisation_id = $1 AND message_id = $2 \
                     AND claimed_by = $3 AND status = 'PENDING' AND lease_until > $4",
                )
                .bind(org.to_string())
                .bind(message.to_string())
                .bind(worker)
                .bind(micros(now))
                .bind(micros(lease_until))
                .execute(&mut *conn)
                .await
                .map_err(classify)?
                .rows_affected()
                    == 1)
            })
        })
        .await
    }

    async fn message_by_key(&self, org: OrgId, key: &str) -> StoreResult<Option<OutboxMessage>> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM outbox WHERE organisation_id = $1 AND message_key = $2"
        );
        sqlx::query(&sql)
            .bind(org.to_string())
            .bind(key.to_owned())
            .fetch_optional(&mut *self.read_conn().await?)
            .await
            .map_err(classify)?
            .as_ref()
            .map(message_row)
            .transpose()
    }

    async fn message_nudges(&self, org: OrgId, message: Uuid) -> StoreResult<Vec<NudgeRow>> {
        let sql = format!(
            "SELECT {NUDGE_COLUMNS} FROM nudges n JOIN outbox o \
             ON o.organisation_id = n.organisation_id AND o.message_id = n.message_id \
             WHERE n.organisation_id = $1 AND n.message_id = $2 ORDER BY n.decided_at, n.nudge_id"
        );
        sqlx::query(&sql)
            .bind(org.to_string())
            .bind(message.to_string())
            .fetch_all(&mut *self.read_conn().await?)
            .await
            .map_err(classify)?
            .iter()
            .map(nudge_row)
            .collect()
    }

    async fn nudges_about(
        &self,
        org: OrgId,
        employee: EmployeeId,
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: i64,
    ) -> StoreResult<Vec<NudgeRow>> {
        let sql = format!(
            "SELECT {NUDGE_COLUMNS} FROM nudges n JOIN outbox o \
             ON o.organisation_id = n.organisation_id AND o.message_id = n.message_id \
             WHERE n.organisation_id = $1 AND n.employee_id = $2 \
             AND ($3 = 0 OR n.decided_at < $4 OR (n.decided_at = $4 AND n.nudge_id > $5)) \
             ORDER BY n.decided_at DESC, n.nudge_id LIMIT $6"
        );
        page(self, &sql, org, employee.to_string(), after, limit)
            .await?
            .iter()
            .map(nudge_row)
            .collect()
    }

    async fn mutes(&self, org: OrgId, employee: EmployeeId) -> StoreResult<Vec<Category>> {
        let mut conn = self.read_conn().await?;
        Ok(mutes_on(&mut conn, org, &[employee])
            .await?
            .remove(&employee)
            .unwrap_or_default())
    }

    async fn set_mute(
        &self,
        org: OrgId,
        employee: EmployeeId,
        category: Category,
        muted: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.write(move |conn| {
            Box::pin(async move {
                let q = if muted {
                    sqlx::query(
                        "INSERT INTO nudge_mutes (organisation_id, employee_id, category, muted_at) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT (organisation_id, employee_id, category) DO NOTHING",
                    )
                } else {
                    sqlx::query(
                        "DELETE FROM nudge_mutes WHERE organisation_id = $1 AND employee_id = $2 AND category = $3 \
                         AND $4 = $4",
                    )
                };
                q.bind(org.to_string())
                    .bind(employee.to_string())
                    .bind(category.as_str())
                    .bind(micros(now))
                    .execute(&mut *conn)
                    .await
                    .map_err(classify)?;
                Ok(())
            })
        })
        .await
    }

    async fn messages_in(
        &self,
        org: OrgId,
        status: MessageStatus,
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: i64,
    ) -> StoreResult<Vec<OutboxMessage>> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM outbox WHERE organisation_id = $1 AND status = $2 \
             AND ($3 = 0 OR created_at < $4 OR (created_at = $4 AND message_id > $5)) \
             ORDER BY created_at DESC, message_id LIMIT $6"
        );
        page(self, &sql, org, status.as_str().to_string(), after, limit)
            .await?
            .iter()
            .map(message_row)
            .collect()
    }

    async fn retry_dead(
        &self,
        org: OrgId,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<OutboxMessage> {
        self.write(move |conn| {
            Box::pin(async move {
                let sql = format!(
                    "UPDATE outbox SET status = 'PENDING', attempts = 0, send_after = $3, lease_until = NULL, \
                     claimed_by = NULL WHERE organisation_id = $1 AND message_id = $2 AND status = 'DEAD' \
                     RETURNING {MESSAGE_COLUMNS}"
                );
                let row = sqlx::query(&sql)
                    .bind(org.to_string())
                    .bind(id.to_string())
                    .bind(micros(now))
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(classify)?;
                if let Some(row) = row {
                    return message_row(&row);
                }
                let exists = sqlx::query("SELECT status FROM outbox WHERE organisation_id = $1 AND message_id = $2")
                    .bind(org.to_string())
                    .bind(id.to_string())
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(classify)?;
                match exists {
                    None => Err(StoreError::NotFound(format!("message_id: no message {id}"))),
                    Some(r) => {
                        let status: String = col(&r, "status")?;
                        Err(StoreError::Precondition {
                            field: "message_id".into(),
                            reason: format!("message {id} is {status}, not DEAD; only dead messages can be retried"),
                        })
                    }
                }
            })
        })
        .await
    }

    async fn findings_by_id(&self, org: OrgId, ids: Vec<Uuid>) -> StoreResult<Vec<Finding>> {
        let mut out = Vec::with_capacity(ids.len());
        let sql = format!(
            "SELECT {FINDING_COLUMNS} FROM findings WHERE organisation_id = $1 AND finding_id = $2"
        );
        for id in ids {
            if let Some(row) = sqlx::query(&sql)
                .bind(org.to_string())
                .bind(id.to_string())
                .fetch_optional(&mut *self.read_conn().await?)
                .await
                .map_err(classify)?
            {
                out.push(finding(&row)?);
            }
        }
        Ok(out)
    }

    async fn organisation_ids(&self) -> StoreResult<Vec<OrgId>> {
        sqlx::query("SELECT id FROM organisations ORDER BY id")
            .fetch_all(&mut *self.read_conn().await?)
            .await
            .map_err(classify)?
            .iter()
            .map(|r| parse_uuid(r, "id").map(OrgId))
            .collect()
    }

    async fn managers(&self, org: OrgId) -> StoreResult<Vec<Employee>> {
        let sql = format!(
            "SELECT {} FROM employees m WHERE m.organisation_id = $1 AND m.active = 1 AND EXISTS (\
               SELECT 1 FROM employees r WHERE r.organisation_id = m.organisation_id \
               AND r.manager_id = m.id AND r.active = 1) ORDER BY m.id",
            rows::EMPLOYEE_COLUMNS
                .split(", ")
                .map(|c| format!("m.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        sqlx::query(&sql)
            .bind(org.to_string())
            .fetch_all(&mut *self.read_conn().await?)
            .await
            .map_err(classify)?
            .iter()
            .map(rows::employee)
            .collect()
    }
}

/// The Monday a digest reference names.
#[must_use]
pub fn digest_week(reference: &str) -> Option<NaiveDate> {
    reference.parse().ok()
}
