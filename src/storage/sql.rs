//! [`SqlStore`]: the [`Store`] implementation for `SQLite` and `PostgreSQL`.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::str::FromStr as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{Any, ConnectOptions as _, Executor, Row as _};
use sqlx::{AnyConnection, AnyPool};

use super::chain::{self, NewLink};
use super::coalesce::{self, Batch, EventCoalescer};
use super::derived::{self, DerivedStore};
use super::event_batch;
use super::fault::{FaultState, StorageFault};
use super::plans_cache::PlansCache;
use super::read_batch::ReadBatcher;
use super::read_conns::{ReadConn, ReadConns};
use super::recent::Recent;
use super::rows::{self, micros};
use super::status_read::{Latest, finish_status, from_window, latest_of, read_status};
use super::status_tails::{Confirmed, Lookup, Mode, StatusTails};
use super::writer::{Reopen, Writer, classify};
use super::{
    AmendmentWrite, Backend, EmployeeFilter, EventWrite, Organisation, StatusRecord, Store,
    StoreError, StoreResult,
};
use crate::domain::employee::Employee;
use crate::domain::engine::record::Span;
use crate::domain::event::{
    self, Amendment, AmendmentRequest, ClockEvent, CorrectionError, StoredEvent,
};
use crate::domain::ids::{EmployeeId, OrgId, TokenId};
use crate::domain::token::ApiToken;

/// `SQLite` settings for every connection. WAL lets readers run beside the
/// writer; `synchronous = FULL` makes every acknowledged commit survive a
/// power cut, not just a crash (group commit keeps the cost per request low).
/// A long read (a payroll pull's snapshot) keeps the checkpoint from
/// reusing the WAL, which then grows with every write meanwhile; SQLite
/// never gives that space back unless `journal_size_limit` asks it to, so
/// the WAL is cut back to 64 MiB at the next checkpoint that resets it
/// (issue 15 measured 2.8 GiB left behind after one loaded pull).
/// Reads go through a memory map of the database file (up to `SQLite`'s
/// 2 GiB ceiling) rather than a `pread` copy per page: a timesheet or
/// payroll page reads one table page per event, and the copies were a
/// quarter of the server's CPU (issue 15's `GetTimesheet` profile).
/// `SQLite` still writes with `write`, so a crash or kill -9 loses nothing
/// more than before.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
     PRAGMA journal_size_limit = 67108864; PRAGMA mmap_size = 2147418112;";

/// How long a call waits for a pooled connection before answering
/// UNAVAILABLE: under a typical 2 s client deadline, so a client hears that
/// the database is down instead of timing out (a refused connection is
/// retried by the pool until then).
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(1);

/// SQL storage over sqlx's `Any` driver.
///
/// Short reads take their connection from `reads` (`read_conns`: on
/// `SQLite` without sqlx's ping, which was a round trip to the connection's
/// thread on every read; on `PostgreSQL` sqlx's pool with its ping, since
/// after a restart or failover every idle session is dead). sqlx's `SQLite`
/// pool (`read`, not pinged before use either) serves snapshots, the
/// metrics' queue figures and the start-up work.
pub struct SqlStore {
    backend: Backend,
    /// Snapshots (a read transaction), the queue figures and start-up work.
    read: AnyPool,
    /// Every other read (see `read_conns`).
    reads: ReadConns,
    writer: Writer,
    /// What the last write met: set by a refused write, cleared by a
    /// committed one; health reports it.
    faults: Arc<FaultState>,
    /// Event writes waiting together, stored together.
    events: EventCoalescer,
    /// Tokens read to authenticate calls, by secret hash, for a second.
    tokens: Recent<String, ApiToken>,
    /// Employees read for calls, for a second.
    employees: Recent<(OrgId, EmployeeId), Employee>,
    /// Employees read at the same moment, read in one statement.
    employee_reads: ReadBatcher<EmployeeId, Employee>,
    /// Statuses' latest events read at the same moment (PostgreSQL), in one
    /// statement.
    status_reads: ReadBatcher<EmployeeId, Latest>,
    /// Employees' plans, by the organisation's plans version.
    plans: PlansCache,
    /// Each employee's latest events, on `SQLite` (one process writes).
    tails: Arc<StatusTails>,
    /// Whether `week_totals` were rebuilt from the day rows at this start
    /// (`SQLite`): only then do reads sum weeks in place of day rows.
    pub(super) weeks_exact: AtomicBool,
}

/// Prepared statements each PostgreSQL connection keeps, unless the URL
/// says (`statement-cache-capacity`). sqlx keeps 100; a `record-postgres`
/// round used about 180 texts (an id list has a text per padded length,
/// see `json_params::in_list`), and a statement evicted is prepared again:
/// a Parse/Describe round trip and a Close (issue 15, fifteenth round).
const PG_STATEMENT_CACHE: usize = 256;

/// `url` with the settings each PostgreSQL connection needs, unless it sets
/// them itself: [`PG_STATEMENT_CACHE`] as its statement cache's capacity.
///
/// PostgreSQL's own `plan_cache_mode = auto` is kept: after five runs of a
/// kept statement it may plan it once for any values (a generic plan).
/// Rounds 15–22 of issue 15 forced a plan per run instead
/// (`force_custom_plan`), because the generic plan of an id list as
/// `IN (…)` scanned the organisation's rows and filtered them by the list
/// (`record-postgres` fell from 3,335 to 753 events/s over five rounds).
/// Every id list a batch or a page reads or locks with is now looked up id
/// by id (`json_params::pg_each_id`; `storage/query_plans_postgres.rs`
/// checks most of them in both kinds of plan, see its list), and planning
/// each run was 8.5 % of the machine's CPU under `record-postgres` (round
/// 22's profile). Still `IN (…)`: `day_rows::delete_days` (days no longer
/// worked) and the user's own filters. A URL's own
/// `options[plan_cache_mode]` still wins, being passed through.
fn with_session_settings(url: &str) -> String {
    let mut out = url.to_owned();
    let mut add = |setting: &str, key: &str| {
        if !url.contains(key) {
            out.push(if out.contains('?') { '&' } else { '?' });
            out.push_str(setting);
        }
    };
    add(
        &format!("statement-cache-capacity={PG_STATEMENT_CACHE}"),
        "statement-cache-capacity=",
    );
    out
}

impl SqlStore {
    /// Connects, applies migrations, and starts the write path.
    ///
    /// # Errors
    /// When the URL is malformed, the database cannot be reached or a
    /// migration fails.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url).map_err(|reason| StoreError::Precondition {
            field: "database_url".into(),
            reason,
        })?;
        match backend {
            Backend::Sqlite => Self::connect_sqlite(url).await,
            Backend::Postgres => Self::connect_postgres(url).await,
        }
    }

    async fn connect_sqlite(url: &str) -> StoreResult<Self> {
        let url = sqlite_url(url)?;
        let options = AnyConnectOptions::from_str(&url).map_err(classify)?;
        let read = AnyPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .test_before_acquire(false)
            .after_connect(|conn, _| {
                Box::pin(async move { conn.execute(SQLITE_PRAGMAS).await.map(|_| ()) })
            })
            .connect_with(options.clone())
            .await
            .map_err(classify)?;
        migrator(sqlx::migrate!("migrations/sqlite"))
            .run(&read)
            .await
            .map_err(|e| StoreError::Unavailable(format!("migration failed: {e}")))?;
        let mut conn: AnyConnection = options.connect().await.map_err(classify)?;
        conn.execute(SQLITE_PRAGMAS).await.map_err(classify)?;
        let reads = ReadConns::kept(options.clone(), SQLITE_PRAGMAS, 8, ACQUIRE_TIMEOUT)?;
        let reopen = Reopen {
            options,
            pragmas: SQLITE_PRAGMAS,
        };
        let faults: Arc<FaultState> = Arc::default();
        let store = Self {
            backend: Backend::Sqlite,
            read,
            reads,
            writer: Writer::single(conn, reopen, Arc::clone(&faults)),
            faults,
            events: EventCoalescer::default(),
            tokens: Recent::default(),
            employees: Recent::default(),
            employee_reads: ReadBatcher::new("employee"),
            status_reads: ReadBatcher::new("status"),
            plans: PlansCache::default(),
            tails: StatusTails::new(Mode::Sole),
            weeks_exact: AtomicBool::new(false),
        };
        store.finish_chain_backfill().await?;
        store.rebuild_week_totals().await;
        Ok(store)
    }

    /// Whether reads sum worked time from `week_totals`: on `SQLite`, once
    /// they were rebuilt at this start.
    pub(super) fn sums_weeks(&self) -> bool {
        self.backend == Backend::Sqlite && self.weeks_exact.load(Ordering::Acquire)
    }

    /// Rebuilds `week_totals` from the day rows (SQLite, at start; see
    /// `week_totals::rebuild_all`). A failure (a full or read-only volume)
    /// is logged, not fatal: recomputes cannot write then either, reads that
    /// sum worked time (timesheets' flex, the digest) keep to the day rows
    /// (`weeks_exact` stays false: an older binary may have written day rows
    /// without their weeks), and the next start rebuilds.
    async fn rebuild_week_totals(&self) {
        let started = std::time::Instant::now();
        match self
            .write(|conn| Box::pin(super::week_totals::rebuild_all(conn)))
            .await
        {
            Ok(weeks) => {
                self.weeks_exact.store(true, Ordering::Release);
                tracing::info!(
                    weeks,
                    elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
                    "rebuilt the week totals from the day totals"
                );
            }
            Err(e) => {
                tracing::warn!(error = %e, "rebuilding the week totals failed; the next start tries again");
            }
        }
    }

    async fn connect_postgres(url: &str) -> StoreResult<Self> {
        let pool = AnyPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect(&with_session_settings(url))
            .await
            .map_err(classify)?;
        migrator(sqlx::migrate!("migrations/postgres"))
            .run(&pool)
            .await
            .map_err(|e| StoreError::Unavailable(format!("migration failed: {e}")))?;
        let store = Self {
            backend: Backend::Postgres,
            read: pool.clone(),
            reads: ReadConns::Pooled(pool.clone()),
            writer: Writer::Pooled(pool),
            faults: Arc::default(),
            events: EventCoalescer::default(),
            tokens: Recent::default(),
            employees: Recent::default(),
            employee_reads: ReadBatcher::new("employee"),
            status_reads: ReadBatcher::new("status"),
            plans: PlansCache::default(),
            // Replicas write beside each other: a status is read, except
            // the one a write answers with (`status_after_write`).
            tails: StatusTails::new(Mode::Shared),
            weeks_exact: AtomicBool::new(false),
        };
        store.finish_chain_backfill().await?;
        Ok(store)
    }

    /// Which database this is.
    #[must_use]
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The token cache, for the writes that change tokens.
    pub(super) fn token_cache(&self) -> &Recent<String, ApiToken> {
        &self.tokens
    }

    /// The employee cache, for the writes that change employees.
    pub(super) fn employee_cache(&self) -> &Recent<(OrgId, EmployeeId), Employee> {
        &self.employees
    }

    /// Employees' plans as last read, for `policy_of`.
    pub(super) fn plans_cache(&self) -> &PlansCache {
        &self.plans
    }

    /// sqlx's pool: snapshots (reads in one transaction) and the queue
    /// figures; short reads use [`Self::read_conn`].
    pub(super) fn reader(&self) -> &AnyPool {
        &self.read
    }

    /// A connection for a short read (see `read_conns`).
    pub(super) async fn read_conn(&self) -> StoreResult<ReadConn> {
        self.reads.get().await
    }

    /// Runs `f` in a transaction; resolves after the commit.
    pub(super) async fn write<R, F>(&self, f: F) -> StoreResult<R>
    where
        R: Send + 'static,
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, StoreResult<R>> + Send + 'static,
    {
        let r = self.writer.write(Box::new(f)).await;
        match &r {
            Ok(_) => self.faults.set(None),
            Err(StoreError::Refused(fault)) => self.faults.set(Some(*fault)),
            Err(_) => {}
        }
        r
    }

    /// Stores one coalesced batch in one commit (see [`EventCoalescer`]).
    async fn write_events(&self, batch: Batch) -> StoreResult<Vec<EventWrite>> {
        let Batch { org, events, now } = batch;
        let writing = self
            .tails
            .writing(org, events.iter().map(|e| e.employee_id));
        let (out, writing) = self
            .write(move |conn| {
                Box::pin(async move {
                    let out = event_batch::write_events(&mut *conn, org, &events, now).await?;
                    // What changed, per employee: queued for recompute in this
                    // same transaction, so no acknowledged event is ever missed.
                    let mut changed: std::collections::BTreeMap<EmployeeId, Span> =
                        std::collections::BTreeMap::new();
                    let mut new = newly_stored(&out);
                    // Chained in id order, as they were inserted.
                    new.sort_by_key(|s| s.event.event_id);
                    let mut links = Vec::with_capacity(new.len());
                    let mut added: std::collections::BTreeMap<EmployeeId, i64> =
                        std::collections::BTreeMap::new();
                    for stored in new {
                        links.push((
                            stored.event.event_id.to_string(),
                            chain::event_values(org, &stored.event, now),
                        ));
                        *added.entry(stored.event.employee_id).or_insert(0) += 1;
                        let t = stored.event.occurred_at;
                        let span = changed
                            .entry(stored.event.employee_id)
                            .or_insert(Span::new(t, t));
                        span.start = span.start.min(t);
                        span.end = span.end.max(t);
                    }
                    let counts =
                        event_batch::queue_and_count(&mut *conn, org, &changed, &added, now)
                            .await?;
                    // Replicas: what confirms the kept statuses of this write's
                    // employees (none kept, nothing asked). Their
                    // amendments are probed after the queue upsert (see
                    // `event_batch::amended_among`), in the chain head's statement
                    // when they are few enough for one.
                    let mut kept = writing.kept();
                    // Only employees with new events are counted, so only they
                    // can be confirmed (and only they were queued above).
                    kept.retain(|e| counts.contains_key(e));
                    let in_head = kept.len() <= event_batch::AMENDED_PER_STATEMENT;
                    let mut amended = if in_head {
                        HashSet::new()
                    } else {
                        event_batch::amended_among(&mut *conn, org, &kept).await?
                    };
                    // Last: the chain's head is the one lock every writer of the
                    // organisation takes. One link covers the whole batch.
                    let probe: &[EmployeeId] = if in_head { &kept } else { &[] };
                    amended.extend(chain::append(conn, org, NewLink::Events(links), probe).await?);
                    let confirmed = confirm(&kept, &counts, &amended);
                    // Carried past the commit: dropped before it, it would let a
                    // read from before the commit be kept.
                    Ok((out, (writing, confirmed)))
                })
            })
            .await?;
        let (writing, confirmed) = writing;
        writing.stored(&newly_stored(&out), &confirmed);
        Ok(out)
    }

    /// The status record of `employee`: kept in memory where
    /// [`StatusTails`] allows (`after_write`: it answers the caller's own
    /// ended write), else read and, where it can stand, kept.
    async fn status(
        &self,
        org: OrgId,
        employee: EmployeeId,
        after_write: bool,
    ) -> StoreResult<StatusRecord> {
        let ticket = match self.tails.lookup(org, employee, after_write) {
            Lookup::Hit(record) => return Ok(record),
            Lookup::Miss(ticket) => ticket,
        };
        if self.tails.sole() {
            let (record, from) = read_status(&mut *self.read_conn().await?, org, employee).await?;
            self.tails.keep(&ticket, &record, from);
            return Ok(record);
        }
        // Replicas: every status asked for on its own, and a RecordEvent's
        // whose tail its write did not confirm, is read; the narrow windows
        // read at the same moment share a statement.
        let first = self
            .status_reads
            .get(org, employee, |org, ids| {
                Box::pin(async move { latest_of(&mut *self.read_conn().await?, org, &ids).await })
            })
            .await?;
        match first.as_ref().and_then(from_window) {
            Some((record, from)) => {
                // One statement: its count is of its events' moment.
                self.tails.keep(&ticket, &record, from);
                Ok(record)
            }
            None => Ok(
                finish_status(&mut *self.read_conn().await?, org, employee, first)
                    .await?
                    .0,
            ),
        }
    }

    /// Runs an INSERT or UPDATE of `employee` whose parameters follow
    /// `rows::EMPLOYEE_COLUMNS`; `NotFound` when no row was written.
    async fn save_employee(
        &self,
        sql: &'static str,
        employee: &Employee,
        check_chain: bool,
    ) -> StoreResult<()> {
        let e = employee.clone();
        let saved = self
            .write(move |conn| {
                Box::pin(async move {
                    if check_chain {
                        refuse_management_cycle(&mut *conn, &e).await?;
                    }
                    let f = &e.fields;
                    let n = sqlx::query(sql)
                        .bind(e.id.to_string())
                        .bind(e.org_id.to_string())
                        .bind(f.external_id.clone())
                        .bind(f.name.clone())
                        .bind(f.email.clone())
                        .bind(f.manager_id.map(|m| m.to_string()))
                        .bind(f.time_zone.name().to_owned())
                        .bind(f.locale.as_str())
                        .bind(f.rule_pack.as_str())
                        .bind(f.exemption.as_str())
                        .bind(i64::from(e.active))
                        .bind(micros(e.created_at))
                        .bind(micros(e.updated_at))
                        .bind(e.deactivated_at.map(micros))
                        .bind(f.department.clone())
                        .execute(conn)
                        .await
                        .map_err(|err| external_id_conflict(err, &e))?
                        .rows_affected();
                    if n == 0 {
                        return Err(StoreError::NotFound(format!(
                            "employee_id: employee {}",
                            e.id
                        )));
                    }
                    Ok(())
                })
            })
            .await;
        self.employees.forget_all();
        saved
    }

    /// Checks the database answers and writes can be taken (for readiness).
    ///
    /// # Errors
    /// `Unavailable` when it does not.
    pub async fn ping(&self) -> StoreResult<()> {
        if !self.writer.is_alive() {
            return Err(StoreError::Unavailable("the writer has stopped".into()));
        }
        sqlx::query("SELECT 1")
            .execute(&mut *self.read_conn().await?)
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// The fault the last write met, if it was refused (full or read-only).
    #[must_use]
    pub fn write_fault(&self) -> Option<StorageFault> {
        self.faults.get()
    }

    /// Writes one row to learn whether writes are taken (for health, while
    /// they are refused and once at start), and updates
    /// [`Self::write_fault`]: a refusal sets it; a success clears a
    /// read-only fault but not a full one, since a small write can fit into
    /// space a larger one that failed left behind. A full volume is cleared
    /// by the first real write that commits (writes are always attempted).
    ///
    /// # Errors
    /// `Refused` while the storage refuses writes, or any other failure.
    pub async fn probe_writes(&self, now: DateTime<Utc>) -> StoreResult<()> {
        let r = self
            .writer
            .write(Box::new(
                move |conn: &mut AnyConnection| -> BoxFuture<'_, StoreResult<()>> {
                    Box::pin(async move {
                        sqlx::query("UPDATE storage_probe SET checked_at = $1 WHERE id = 1")
                            .bind(micros(now))
                            .execute(conn)
                            .await
                            .map_err(classify)?;
                        Ok(())
                    })
                },
            ))
            .await;
        match &r {
            Ok(()) if self.faults.get() == Some(StorageFault::ReadOnly) => self.faults.set(None),
            Err(StoreError::Refused(fault)) => self.faults.set(Some(*fault)),
            _ => {}
        }
        r
    }

    /// Closes the pools (the writer stops when the store is dropped).
    pub async fn close(&self) {
        self.reads.close().await;
        self.read.close().await;
    }
}

/// The migrations, tolerant of newer ones already applied: during a rolling
/// upgrade the new version migrates first, and an old replica that restarts
/// meanwhile must still start (migrations only add, so old code runs on the
/// newer schema; deploy/RUNBOOK.md).
fn migrator(mut m: sqlx::migrate::Migrator) -> sqlx::migrate::Migrator {
    m.set_ignore_missing(true);
    m
}

/// Makes a `SQLite` URL create its file, and creates the file's folder.
/// Creates the database file readable by its owner only, and narrows an
/// existing one (and its WAL and shared-memory files) to that: it holds
/// everyone's working hours. `SQLite` gives the files it creates later the
/// database file's mode.
fn owner_only(path: &Path) -> StoreResult<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        if !path.exists() {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| {
                    StoreError::Unavailable(format!("cannot create {}: {e}", path.display()))
                })?;
        }
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let file = format!("{}{suffix}", path.display());
            if let Ok(meta) = std::fs::metadata(&file)
                && meta.permissions().mode() & 0o077 != 0
                && let Err(e) =
                    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
            {
                // An immutable or foreign file: the database may still be
                // readable, which matters more than its mode.
                tracing::warn!(file = %file, error = %e, "the database file is readable by others and could not be narrowed to its owner");
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn sqlite_url(url: &str) -> StoreResult<String> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Err(StoreError::Precondition {
            field: "database_url".into(),
            reason: "an SQLite URL must name a file (sqlite://path/to/tidsvakt.db)".into(),
        });
    }
    if let Some(dir) = Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Unavailable(format!("cannot create {}: {e}", dir.display()))
        })?;
    }
    owner_only(Path::new(path))?;
    Ok(if rest.contains("mode=") {
        format!("sqlite://{rest}")
    } else if rest.contains('?') {
        format!("sqlite://{rest}&mode=rwc")
    } else {
        format!("sqlite://{rest}?mode=rwc")
    })
}

fn unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// Runs `sql` with text parameters `binds` and maps every row.
async fn rows_by<'e, E, T>(
    ex: E,
    sql: &str,
    binds: &[String],
    map: fn(&AnyRow) -> StoreResult<T>,
) -> StoreResult<Vec<T>>
where
    E: Executor<'e, Database = Any>,
{
    let mut q = sqlx::query(sql);
    for b in binds {
        q = q.bind(b.clone());
    }
    q.fetch_all(ex)
        .await
        .map_err(classify)?
        .iter()
        .map(map)
        .collect()
}

/// Runs `sql` with text parameters `binds` and maps the row, if any.
async fn row_by<'e, E, T>(
    ex: E,
    sql: &str,
    binds: &[String],
    map: fn(&AnyRow) -> StoreResult<T>,
) -> StoreResult<Option<T>>
where
    E: Executor<'e, Database = Any>,
{
    let mut q = sqlx::query(sql);
    for b in binds {
        q = q.bind(b.clone());
    }
    q.fetch_optional(ex)
        .await
        .map_err(classify)?
        .as_ref()
        .map(map)
        .transpose()
}

pub(super) async fn load_events<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org: OrgId,
    employee: EmployeeId,
) -> StoreResult<Vec<StoredEvent>> {
    let sql = format!(
        "SELECT {} FROM clock_events WHERE organisation_id = $1 AND employee_id = $2 \
         ORDER BY occurred_at, event_id",
        rows::EVENT_COLUMNS
    );
    rows_by(
        ex,
        &sql,
        &[org.to_string(), employee.to_string()],
        rows::stored_event,
    )
    .await
}

/// The events a batch actually inserted.
fn newly_stored(out: &[EventWrite]) -> Vec<&StoredEvent> {
    out.iter()
        .filter_map(|w| match w {
            EventWrite::New(s) => Some(s),
            _ => None,
        })
        .collect()
}

pub(super) async fn load_amendments<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org: OrgId,
    employee: EmployeeId,
) -> StoreResult<Vec<Amendment>> {
    let sql = format!(
        "SELECT {} FROM amendments WHERE organisation_id = $1 AND employee_id = $2 ORDER BY seq",
        rows::AMENDMENT_COLUMNS
    );
    rows_by(
        ex,
        &sql,
        &[org.to_string(), employee.to_string()],
        rows::amendment,
    )
    .await
}

pub(super) async fn find_event<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org: OrgId,
    id: &str,
) -> StoreResult<Option<StoredEvent>> {
    let sql = format!(
        "SELECT {} FROM clock_events WHERE organisation_id = $1 AND event_id = $2",
        rows::EVENT_COLUMNS
    );
    row_by(
        ex,
        &sql,
        &[org.to_string(), id.to_owned()],
        rows::stored_event,
    )
    .await
}

async fn find_amendment<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org: OrgId,
    id: &str,
) -> StoreResult<Option<Amendment>> {
    let sql = format!(
        "SELECT {} FROM amendments WHERE organisation_id = $1 AND amendment_id = $2",
        rows::AMENDMENT_COLUMNS
    );
    row_by(ex, &sql, &[org.to_string(), id.to_owned()], rows::amendment).await
}

async fn write_amendment(
    conn: &mut AnyConnection,
    org: OrgId,
    request: AmendmentRequest,
    (token_id, author): (TokenId, String),
    now: DateTime<Utc>,
) -> StoreResult<AmendmentWrite> {
    let id = request.amendment_id.to_string();
    let taken = |reason: &str| StoreError::Conflict {
        field: "amendment_id".into(),
        reason: reason.into(),
    };
    // Taken first, before any check: serialises corrections per employee. on PostgreSQL this takes the
    // employee's row lock until commit, so two concurrent corrections cannot
    // both pass the checks below or take the same sequence number, and a
    // concurrent retry of the same correction finds the first one stored. (SQLite has
    // a single writer already.)
    sqlx::query(
        "UPDATE employees SET updated_at = updated_at WHERE organisation_id = $1 AND id = $2",
    )
    .bind(org.to_string())
    .bind(request.employee_id.to_string())
    .execute(&mut *conn)
    .await
    .map_err(classify)?;
    if let Some(existing) = find_amendment(&mut *conn, org, &id).await? {
        return if existing.request == request {
            Ok(AmendmentWrite::Duplicate(existing))
        } else {
            Err(taken("already used for a different correction"))
        };
    }
    if find_event(&mut *conn, org, &id).await?.is_some() {
        return Err(taken("already used as the id of a clock event"));
    }
    let events = load_events(&mut *conn, org, request.employee_id).await?;
    let amendments = load_amendments(&mut *conn, org, request.employee_id).await?;
    if let Err(e) = event::check_correction(&events, &amendments, &request.change) {
        let field = match request.change {
            event::Change::Move { .. } => "move.event_id",
            _ => "void.event_id",
        };
        return Err(match e {
            CorrectionError::UnknownTarget(_) => StoreError::NotFound(format!("{field}: {e}")),
            CorrectionError::AlreadyVoid(_) => StoreError::Precondition {
                field: field.into(),
                reason: e.to_string(),
            },
        });
    }
    let seq = amendments.last().map_or(1, |a| a.seq + 1);
    // The record changes where the target stood and where it goes.
    let mut instants: Vec<DateTime<Utc>> = request.change.new_instant().into_iter().collect();
    if let Some(target) = request.change.target() {
        instants.extend(
            event::effective_events(&events, &amendments)
                .iter()
                .filter(|e| e.id == target)
                .map(|e| e.occurred_at),
        );
    }
    // Always queued, even with no instant (never today: a void's target is
    // effective): every transaction storing an amendment takes the
    // employee's queue row before it commits, which is what lets an event
    // write's probe see it (`event_batch::amended_among`).
    let span = match (instants.iter().min(), instants.iter().max()) {
        (Some(lo), Some(hi)) => Span::new(*lo, *hi),
        _ => Span::new(now, now),
    };
    derived::enqueue(&mut *conn, org, request.employee_id, span, now).await?;
    let (kind, target, event_kind, at, location) = rows::change_columns(&request.change);
    sqlx::query(
        "INSERT INTO amendments (organisation_id, amendment_id, employee_id, seq, kind, target_event_id, \
         event_kind, occurred_at, location, reason, author_token_id, author, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(org.to_string())
    .bind(id)
    .bind(request.employee_id.to_string())
    .bind(seq)
    .bind(kind)
    .bind(target)
    .bind(event_kind)
    .bind(at)
    .bind(location)
    .bind(request.reason.clone())
    .bind(token_id.to_string())
    .bind(author.clone())
    .bind(micros(now))
    .execute(&mut *conn)
    .await
    .map_err(classify)?;
    let values = chain::amendment_values(org, &request, seq, (token_id, &author), now);
    chain::append(
        conn,
        org,
        NewLink::Amendment(request.amendment_id.to_string(), values),
        &[],
    )
    .await?;
    Ok(AmendmentWrite::New(Amendment {
        request,
        seq,
        author,
        created_at: now,
    }))
}

/// What a write's transaction confirms of the kept statuses of `kept`:
/// each one's stored count after the write (`counts`), and whether any
/// amendment exists (`amended`). An employee with no new events has no
/// count and is not confirmed.
fn confirm(
    kept: &[EmployeeId],
    counts: &HashMap<EmployeeId, i64>,
    amended: &HashSet<EmployeeId>,
) -> HashMap<EmployeeId, Confirmed> {
    kept.iter()
        .filter_map(|e| {
            counts.get(e).map(|&stored_count| {
                (
                    *e,
                    Confirmed {
                        stored_count,
                        amended: amended.contains(e),
                    },
                )
            })
        })
        .collect()
}

#[async_trait]
impl Store for SqlStore {
    async fn create_organisation(
        &self,
        name: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Organisation> {
        let org = Organisation {
            id: OrgId::new_random(),
            name: name.to_owned(),
            created_at: now,
        };
        let row = org.clone();
        self.write(move |conn| {
            Box::pin(async move {
                sqlx::query("INSERT INTO organisations (id, name, created_at) VALUES ($1, $2, $3)")
                    .bind(row.id.to_string())
                    .bind(row.name)
                    .bind(micros(row.created_at))
                    .execute(&mut *conn)
                    .await
                    .map_err(classify)?;
                chain::start(conn, row.id).await
            })
        })
        .await?;
        Ok(org)
    }

    async fn organisation(&self, org: OrgId) -> StoreResult<Option<Organisation>> {
        let sql = "SELECT id, name, created_at FROM organisations WHERE id = $1";
        row_by(
            &mut *self.read_conn().await?,
            sql,
            &[org.to_string()],
            rows::organisation,
        )
        .await
    }

    async fn organisation_count(&self) -> StoreResult<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM organisations")
            .fetch_one(&mut *self.read_conn().await?)
            .await
            .map_err(classify)?;
        sqlx::Row::try_get(&row, "n").map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    async fn insert_token(&self, token: &ApiToken, secret_hash: &str) -> StoreResult<()> {
        let t = token.clone();
        let hash = secret_hash.to_owned();
        self.write(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO api_tokens (id, organisation_id, name, role, employee_id, secret_hash, \
                     created_at, revoked_at, expires_at, department) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(t.id.to_string())
                .bind(t.org_id.to_string())
                .bind(t.name)
                .bind(t.role.as_str())
                .bind(t.employee_id.map(|e| e.to_string()))
                .bind(hash)
                .bind(micros(t.created_at))
                .bind(t.revoked_at.map(micros))
                .bind(t.expires_at.map(micros))
                .bind(t.department)
                .execute(conn)
                .await
                .map_err(classify)?;
                Ok(())
            })
        })
        .await
    }

    async fn token_by_hash(&self, secret_hash: &str) -> StoreResult<Option<ApiToken>> {
        let key = secret_hash.to_owned();
        let (kept, generation) = self.tokens.get(&key);
        if kept.is_some() {
            return Ok(kept);
        }
        let sql = format!(
            "SELECT {} FROM api_tokens WHERE secret_hash = $1",
            rows::TOKEN_COLUMNS
        );
        let token = row_by(
            &mut *self.read_conn().await?,
            &sql,
            std::slice::from_ref(&key),
            rows::token,
        )
        .await?;
        if let Some(t) = &token {
            self.tokens.put(&key, t, generation);
        }
        Ok(token)
    }

    async fn list_tokens(
        &self,
        org: OrgId,
        include_revoked: bool,
        after: Option<(DateTime<Utc>, TokenId)>,
        limit: i64,
    ) -> StoreResult<Vec<ApiToken>> {
        let (after_at, after_id) = after.map_or((i64::MIN, String::new()), |(t, id)| {
            (micros(t), id.to_string())
        });
        let sql = format!(
            "SELECT {} FROM api_tokens WHERE organisation_id = $1 \
             AND ($2 = 1 OR revoked_at IS NULL) \
             AND (created_at > $3 OR (created_at = $3 AND id > $4)) \
             ORDER BY created_at, id LIMIT $5",
            rows::TOKEN_COLUMNS
        );
        sqlx::query(&sql)
            .bind(org.to_string())
            .bind(i64::from(include_revoked))
            .bind(after_at)
            .bind(after_id)
            .bind(limit)
            .fetch_all(&mut *self.read_conn().await?)
            .await
            .map_err(classify)?
            .iter()
            .map(rows::token)
            .collect()
    }

    async fn revoke_token(
        &self,
        org: OrgId,
        id: TokenId,
        now: DateTime<Utc>,
    ) -> StoreResult<ApiToken> {
        let revoked = self
            .write(move |conn| {
                Box::pin(async move {
                    sqlx::query(
                        "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $3) \
                     WHERE organisation_id = $1 AND id = $2",
                    )
                    .bind(org.to_string())
                    .bind(id.to_string())
                    .bind(micros(now))
                    .execute(&mut *conn)
                    .await
                    .map_err(classify)?;
                    let sql = format!(
                        "SELECT {} FROM api_tokens WHERE organisation_id = $1 AND id = $2",
                        rows::TOKEN_COLUMNS
                    );
                    row_by(
                        &mut *conn,
                        &sql,
                        &[org.to_string(), id.to_string()],
                        rows::token,
                    )
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("token_id: token {id}")))
                })
            })
            .await;
        self.tokens.forget_all();
        revoked
    }

    async fn insert_employee(&self, employee: &Employee) -> StoreResult<()> {
        self.save_employee(
            "INSERT INTO employees (id, organisation_id, external_id, name, email, manager_id, \
             time_zone, locale, rule_pack, exemption, active, created_at, updated_at, deactivated_at, \
             department) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            employee,
            false,
        )
        .await
    }

    async fn update_employee(&self, employee: &Employee) -> StoreResult<()> {
        // created_at never changes; matching on it keeps every parameter used.
        self.save_employee(
            "UPDATE employees SET external_id = $3, name = $4, email = $5, manager_id = $6, \
             time_zone = $7, locale = $8, rule_pack = $9, exemption = $10, active = $11, \
             updated_at = $13, deactivated_at = $14, department = $15 \
             WHERE id = $1 AND organisation_id = $2 AND created_at = $12",
            employee,
            true,
        )
        .await
    }

    async fn employee(&self, org: OrgId, id: EmployeeId) -> StoreResult<Option<Employee>> {
        let (kept, generation) = self.employees.get(&(org, id));
        if kept.is_some() {
            return Ok(kept);
        }
        let employee = self
            .employee_reads
            .get(org, id, |org, ids| {
                Box::pin(async move {
                    let found = DerivedStore::employees_of(self, org, &ids).await?;
                    Ok(found.into_iter().map(|e| (e.id, e)).collect())
                })
            })
            .await?;
        if let Some(e) = &employee {
            self.employees.put(&(org, id), e, generation);
        }
        Ok(employee)
    }

    async fn list_employees(
        &self,
        org: OrgId,
        filter: &EmployeeFilter,
        after: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<Employee>> {
        let sql = format!(
            "SELECT {} FROM employees WHERE organisation_id = $1 AND ($2 = 1 OR active = 1) \
             AND ($3 = '' OR manager_id = $3) AND external_id > $4 ORDER BY external_id LIMIT $5",
            rows::EMPLOYEE_COLUMNS
        );
        sqlx::query(&sql)
            .bind(org.to_string())
            .bind(i64::from(filter.include_inactive))
            .bind(filter.manager_id.map(|m| m.to_string()).unwrap_or_default())
            .bind(after.unwrap_or_default().to_owned())
            .bind(limit)
            .fetch_all(&mut *self.read_conn().await?)
            .await
            .map_err(classify)?
            .iter()
            .map(rows::employee)
            .collect()
    }

    async fn record_events(
        &self,
        org: OrgId,
        events: Vec<ClockEvent>,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<EventWrite>> {
        if events.len() >= coalesce::ALONE_FROM {
            return self.write_events(Batch { org, events, now }).await;
        }
        self.events
            .record(org, events, now, |batch| Box::pin(self.write_events(batch)))
            .await
    }

    async fn events_of(&self, org: OrgId, employee: EmployeeId) -> StoreResult<Vec<StoredEvent>> {
        load_events(&mut *self.read_conn().await?, org, employee).await
    }

    async fn amendments_of(&self, org: OrgId, employee: EmployeeId) -> StoreResult<Vec<Amendment>> {
        load_amendments(&mut *self.read_conn().await?, org, employee).await
    }

    async fn status_record(&self, org: OrgId, employee: EmployeeId) -> StoreResult<StatusRecord> {
        self.status(org, employee, false).await
    }

    async fn status_after_write(
        &self,
        org: OrgId,
        employee: EmployeeId,
    ) -> StoreResult<StatusRecord> {
        self.status(org, employee, true).await
    }

    async fn record_amendment(
        &self,
        org: OrgId,
        request: AmendmentRequest,
        author: (TokenId, String),
        now: DateTime<Utc>,
    ) -> StoreResult<AmendmentWrite> {
        // Dropped after the commit: the employee's status is read again.
        let writing = self.tails.writing(org, [request.employee_id]);
        self.write(move |conn| {
            Box::pin(async move {
                let written = write_amendment(conn, org, request, author, now).await?;
                Ok((written, writing))
            })
        })
        .await
        .map(|(written, _writing)| written)
    }
}

/// Refuses a manager whose chain leads back to the employee, checked inside
/// the write. On PostgreSQL the no-op update takes the organisation's row
/// lock, so two concurrent manager changes cannot both pass and form a
/// cycle; SQLite's single writer already runs writes one at a time.
async fn refuse_management_cycle(conn: &mut AnyConnection, e: &Employee) -> StoreResult<()> {
    let Some(mut next) = e.fields.manager_id else {
        return Ok(());
    };
    sqlx::query("UPDATE organisations SET name = name WHERE id = $1")
        .bind(e.org_id.to_string())
        .execute(&mut *conn)
        .await
        .map_err(classify)?;
    for _ in 0..10_000 {
        if next == e.id {
            return Err(StoreError::Invalid {
                field: "employee.manager_id".into(),
                reason: "would make the employee their own (indirect) manager".into(),
            });
        }
        let row =
            sqlx::query("SELECT manager_id FROM employees WHERE organisation_id = $1 AND id = $2")
                .bind(e.org_id.to_string())
                .bind(next.to_string())
                .fetch_optional(&mut *conn)
                .await
                .map_err(classify)?;
        let manager: Option<String> = match row {
            Some(r) => r
                .try_get("manager_id")
                .map_err(|err| StoreError::Corrupt(err.to_string()))?,
            None => None,
        };
        match manager.and_then(|m| m.parse().ok()) {
            Some(m) => next = EmployeeId(m),
            None => return Ok(()),
        }
    }
    Ok(())
}

fn external_id_conflict(err: sqlx::Error, e: &Employee) -> StoreError {
    if unique_violation(&err) {
        StoreError::Conflict {
            field: "external_id".into(),
            reason: format!(
                "'{}' is already used by another employee",
                e.fields.external_id
            ),
        }
    } else {
        classify(err)
    }
}

/// A store on a fresh SQLite file `t.db` in the returned folder (tests).
#[cfg(test)]
pub(super) async fn sqlite_store() -> (tempfile::TempDir, SqlStore) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = SqlStore::connect(&url).await.unwrap();
    (dir, store)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postgres_url_gets_the_session_settings_unless_it_sets_them() {
        let ours = "statement-cache-capacity=256";
        assert_eq!(
            with_session_settings("postgres://u@h/db"),
            format!("postgres://u@h/db?{ours}")
        );
        assert_eq!(
            with_session_settings("postgres://u@h/db?sslmode=require"),
            format!("postgres://u@h/db?sslmode=require&{ours}")
        );
        let own = "postgres://u@h/db?statement-cache-capacity=10&options[plan_cache_mode]=auto";
        assert_eq!(with_session_settings(own), own);
    }

    /// Writes a table `filler` of `rows` random 1 KiB rows in one write.
    async fn fill(store: &SqlStore, rows: u32) {
        store
            .write(move |conn| {
                Box::pin(async move {
                    conn.execute(
                        format!(
                            "CREATE TABLE filler (b BLOB); \
                             INSERT INTO filler SELECT randomblob(1024) FROM \
                             (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n \
                              WHERE i < {rows}) SELECT i FROM n);"
                        )
                        .as_str(),
                    )
                    .await
                    .map_err(classify)?;
                    Ok(())
                })
            })
            .await
            .unwrap();
    }

    /// The writer leaves checkpoints to the checkpointer beside it: 2 MiB
    /// written (an eighth of the writer's own checkpoint threshold) reach
    /// the database file without another write or a reader's help.
    #[tokio::test]
    async fn the_wal_is_checkpointed_beside_the_writer() {
        let (dir, store) = sqlite_store().await;
        let file = dir.path().join("t.db");
        let before = std::fs::metadata(&file).unwrap().len();
        fill(&store, 2048).await;
        let mut grown = 0;
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            grown = std::fs::metadata(&file).unwrap().len() - before;
            if grown >= 2 * 1024 * 1024 {
                break;
            }
        }
        assert!(
            grown >= 2 * 1024 * 1024,
            "the database file grew by {grown} bytes"
        );
        let settings = store
            .write(|conn| {
                Box::pin(async move {
                    let temp: i64 = sqlx::query_scalar("PRAGMA temp_store")
                        .fetch_one(&mut *conn)
                        .await
                        .map_err(classify)?;
                    let pages: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
                        .fetch_one(&mut *conn)
                        .await
                        .map_err(classify)?;
                    Ok((temp, pages))
                })
            })
            .await
            .unwrap();
        assert_eq!(
            settings,
            (2, 4000),
            "the writer's statement journals in memory"
        );
    }

    /// A WAL grown past `journal_size_limit` while a long read held it is
    /// cut back once the read ends, even when no write comes after it
    /// (SQLite itself cuts it back only at the next commit).
    #[tokio::test]
    async fn a_wal_grown_during_a_long_read_is_cut_back_without_more_writes() {
        let (dir, store) = sqlite_store().await;
        let wal = dir.path().join("t.db-wal");
        let mut reader = store.reader().acquire().await.unwrap();
        reader
            .execute("BEGIN; SELECT count(*) FROM sqlite_master;")
            .await
            .unwrap();
        // 80 MiB written while the read holds its snapshot: nothing of it
        // can be copied back meanwhile.
        fill(&store, 80 * 1024).await;
        let grown = std::fs::metadata(&wal).unwrap().len();
        assert!(grown > 80 * 1024 * 1024, "the WAL holds {grown} bytes");
        reader.execute("COMMIT").await.unwrap();
        drop(reader);
        let mut size = grown;
        // Copying 108 MiB back and syncing it beside a busy test suite.
        for _ in 0..300 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            size = std::fs::metadata(&wal).map_or(0, |m| m.len());
            if size <= 64 * 1024 * 1024 {
                break;
            }
        }
        assert!(
            size <= 64 * 1024 * 1024,
            "after 30 s the WAL still holds {size} bytes, {grown} at its peak"
        );
        let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM filler")
            .fetch_one(store.reader())
            .await
            .unwrap();
        assert_eq!(rows, 80 * 1024, "every row written is kept");
    }

    /// A write sent while a group runs joins that group: the first write's
    /// caller hears of its commit only after the second has run.
    #[tokio::test]
    async fn a_write_sent_while_a_group_runs_joins_its_commit() {
        let (_dir, store) = sqlite_store().await;
        let (running, started) = tokio::sync::oneshot::channel::<()>();
        let first = async {
            store
                .write(move |_conn| {
                    Box::pin(async move {
                        let _ = running.send(());
                        // The second write is sent meanwhile.
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        Ok(())
                    })
                })
                .await
                .unwrap();
            std::time::Instant::now()
        };
        let second = async {
            started.await.unwrap();
            store
                .write(|_conn| Box::pin(async { Ok(std::time::Instant::now()) }))
                .await
                .unwrap()
        };
        let (first_committed, second_ran) = tokio::join!(first, second);
        assert!(
            first_committed >= second_ran,
            "the first write was committed before the second ran"
        );
    }

    /// Every pooled SQLite connection has the settings, the WAL's size
    /// limit included (a pragma is per connection).
    #[tokio::test]
    async fn every_sqlite_connection_has_the_settings() {
        let (_dir, store) = sqlite_store().await;
        for _ in 0..3 {
            let mut conn = store.reader().acquire().await.unwrap();
            let limit: i64 = sqlx::query_scalar("PRAGMA journal_size_limit")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            assert_eq!(limit, 64 * 1024 * 1024);
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            assert_eq!(mode, "wal");
        }
    }
}
