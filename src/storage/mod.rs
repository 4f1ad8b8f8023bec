//! Storage: one [`Store`] interface over `SQLite` (embedded default) and
//! `PostgreSQL` (production), chosen by the database URL's scheme.
//!
//! Both back-ends run the same SQL through sqlx's `Any` driver: instants are
//! BIGINT microseconds (UTC), ids UUID text, flags 0/1. What differs is
//! confined to [`writer`]: `SQLite` gets a single writer task that commits the
//! writes waiting at that moment together (group commit), because `SQLite`
//! allows one writer at a time and sqlx would otherwise hand concurrent
//! clients "database is locked"; `PostgreSQL` gets a plain transaction per
//! write from its pool.

pub mod audit;
mod chain;
mod coalesce;
mod day_rows;
pub mod derived;
mod event_batch;
pub mod fault;
mod json_params;
mod nudge_people;
pub mod outbox;
mod packed;
mod page;
pub mod payroll;
mod plans_cache;
pub mod policy;
pub mod privacy;
#[cfg(test)]
mod query_plans;
#[cfg(test)]
mod query_plans_postgres;
mod read_batch;
mod read_conns;
mod recent;
mod recompute_page;
mod rejudge;
mod rows;
mod sql;
pub mod sso;
mod statement;
pub mod stats;
mod status_read;
mod status_tails;
pub mod tokens;
pub mod web;
mod week_totals;
mod writer;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::employee::Employee;
use crate::domain::event::{Amendment, AmendmentRequest, ClockEvent, StoredEvent};
use crate::domain::ids::{EmployeeId, OrgId, TokenId};
use crate::domain::token::ApiToken;

pub use fault::StorageFault;
pub use sql::SqlStore;

/// What went wrong in storage. Carries no SQL to clients: the gRPC layer
/// logs `Database` and answers "internal error".
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique key already holds another row (e.g. an external id).
    #[error("{field}: {reason}")]
    Conflict { field: String, reason: String },
    /// The row to change does not exist (in this organisation).
    #[error("{0} not found")]
    NotFound(String),
    /// The change would make the data inconsistent (e.g. a management cycle).
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    /// The change does not apply to the record as it stands.
    #[error("{field}: {reason}")]
    Precondition { field: String, reason: String },
    /// The database cannot be reached right now.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database answers but refuses writes (full or read-only); reads
    /// still work.
    #[error("{0}")]
    Refused(StorageFault),
    /// Anything else the database reported.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored value could not be read back (a bug or tampering).
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// An organisation (customer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Organisation {
    pub id: OrgId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// What happened to one event of a write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventWrite {
    /// Stored now.
    New(StoredEvent),
    /// The same event was already stored; nothing changed.
    Duplicate(StoredEvent),
    /// The id is taken by an event with other content (or by an amendment).
    Conflict,
}

/// What happened to an amendment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AmendmentWrite {
    New(Amendment),
    Duplicate(Amendment),
}

/// The part of an employee's record that decides the current status.
///
/// Pairing restarts at every clock-in, so the state after the latest clock-in
/// that no amendment touches, and that shares its instant with no other
/// event, does not depend on anything before it. `events` holds the stored
/// events from that instant on, plus every event an amendment targets;
/// with no such clock-in it holds the whole record.
#[derive(Clone, Debug, Default)]
pub struct StatusRecord {
    pub events: Vec<StoredEvent>,
    pub amendments: Vec<Amendment>,
    /// All stored events of the employee, read or not.
    pub stored_count: i64,
}

/// Which employees a listing returns.
#[derive(Clone, Debug, Default)]
pub struct EmployeeFilter {
    pub include_inactive: bool,
    pub manager_id: Option<EmployeeId>,
}

/// The storage interface. Every method is scoped to one organisation except
/// the token lookup that finds the organisation in the first place.
#[async_trait]
pub trait Store:
    audit::AuditStore
    + derived::DerivedStore
    + policy::PolicyStore
    + payroll::PayrollStore
    + outbox::OutboxStore
    + web::WebStore
    + sso::SsoStore
    + tokens::TokenStore
    + privacy::PrivacyStore
    + Send
    + Sync
    + 'static
{
    /// Creates an organisation.
    async fn create_organisation(
        &self,
        name: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Organisation>;
    async fn organisation(&self, org: OrgId) -> StoreResult<Option<Organisation>>;
    async fn organisation_count(&self) -> StoreResult<i64>;

    /// Stores a token with the hash of its secret.
    async fn insert_token(&self, token: &ApiToken, secret_hash: &str) -> StoreResult<()>;
    /// The token whose secret hashes to `secret_hash`, revoked or not.
    async fn token_by_hash(&self, secret_hash: &str) -> StoreResult<Option<ApiToken>>;
    /// Tokens after `after` (exclusive), oldest first.
    async fn list_tokens(
        &self,
        org: OrgId,
        include_revoked: bool,
        after: Option<(DateTime<Utc>, TokenId)>,
        limit: i64,
    ) -> StoreResult<Vec<ApiToken>>;
    /// Marks a token revoked (idempotent) and returns it.
    async fn revoke_token(
        &self,
        org: OrgId,
        id: TokenId,
        now: DateTime<Utc>,
    ) -> StoreResult<ApiToken>;

    /// Inserts an employee; `Conflict` on a taken external id.
    async fn insert_employee(&self, employee: &Employee) -> StoreResult<()>;
    /// Replaces an employee's fields; `Conflict` on a taken external id.
    async fn update_employee(&self, employee: &Employee) -> StoreResult<()>;
    async fn employee(&self, org: OrgId, id: EmployeeId) -> StoreResult<Option<Employee>>;
    /// Employees ordered by external id, after `after` (exclusive).
    async fn list_employees(
        &self,
        org: OrgId,
        filter: &EmployeeFilter,
        after: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<Employee>>;

    /// Stores events idempotently, all in one commit; one result per event,
    /// in input order. Returns only after the commit.
    async fn record_events(
        &self,
        org: OrgId,
        events: Vec<ClockEvent>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<EventWrite>>;
    /// An employee's stored events, by `occurred_at`.
    async fn events_of(&self, org: OrgId, employee: EmployeeId) -> StoreResult<Vec<StoredEvent>>;
    /// An employee's amendments, by creation.
    async fn amendments_of(&self, org: OrgId, employee: EmployeeId) -> StoreResult<Vec<Amendment>>;
    /// What the current clock status needs, without reading the whole
    /// history (see [`StatusRecord`]).
    async fn status_record(&self, org: OrgId, employee: EmployeeId) -> StoreResult<StatusRecord>;
    /// [`Store::status_record`] for the answer to the caller's own event
    /// write, which has ended: the status as of that write's commit or
    /// later. Where replicas write beside each other, the write's own
    /// transaction may have confirmed it, and then it is not read again.
    async fn status_after_write(
        &self,
        org: OrgId,
        employee: EmployeeId,
    ) -> StoreResult<StatusRecord>;
    /// Appends an amendment after checking, in the same transaction, that it
    /// applies to the record (`Precondition` if not); idempotent on its id
    /// (`Conflict` naming `amendment_id` for other content).
    async fn record_amendment(
        &self,
        org: OrgId,
        request: AmendmentRequest,
        author: (TokenId, String),
        now: DateTime<Utc>,
    ) -> StoreResult<AmendmentWrite>;
}

/// Which database a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Picks the back-end from a URL's scheme.
    ///
    /// # Errors
    /// A message naming the scheme when it is neither.
    pub fn from_url(url: &str) -> Result<Self, String> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(format!(
                "database URL must start with sqlite:// or postgres://, got '{}'",
                url.split(':').next().unwrap_or_default()
            ))
        }
    }
}
