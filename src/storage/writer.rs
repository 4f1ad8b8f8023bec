//! The write path. Every write is a closure run inside a transaction, and the
//! caller's future resolves only after that transaction has committed.
//!
//! On `SQLite` one task owns the only writing connection. It takes the first
//! waiting write, then every other write already queued, and every write
//! that comes in while those run (up to [`MAX_GROUP`]), runs each inside its
//! own SAVEPOINT so that one failing write rolls back alone, and commits
//! them all with one fsync. Clients never see "database is locked", and
//! throughput grows with concurrency instead of collapsing. The WAL is
//! copied back into the database file beside it ([`checkpoints`]).

use std::sync::Arc;

use futures::future::BoxFuture;
use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, AnyPool};
use sqlx::{ConnectOptions as _, Connection as _, Executor as _};
use tokio::sync::{mpsc, oneshot};

use super::fault::{self, FaultState, StorageFault};
use super::{StoreError, StoreResult};

/// Most writes committed together by the `SQLite` writer.
const MAX_GROUP: usize = 256;

/// A write: runs against the connection inside an open transaction.
pub type WriteFn<R> =
    Box<dyn for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, StoreResult<R>> + Send>;

/// Delivers a job's result once the fate of its transaction is known.
type Completion = Box<dyn FnOnce(Result<(), Arc<sqlx::Error>>) + Send>;

/// What a job tells the writer task once it has run.
pub struct Ran {
    ok: bool,
    /// The connection refused the write as read-only: open a new one, since
    /// `SQLite` keeps a file it could only open read-only so until reopened.
    reopen: bool,
    completion: Completion,
}

/// A type-erased job for the writer task: runs, then says whether it
/// succeeded and how to complete it.
type Job = Box<dyn for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Ran> + Send>;

/// How the `SQLite` writer opens (and reopens) its connection.
pub struct Reopen {
    pub options: AnyConnectOptions,
    /// Run on every new connection.
    pub pragmas: &'static str,
}

pub enum Writer {
    /// Group commit through one task owning one connection.
    Single(mpsc::Sender<Job>),
    /// A transaction per write from the pool.
    Pooled(AnyPool),
}

impl Writer {
    /// Starts the `SQLite` writer task on `conn`, reopened with `reopen`
    /// after a read-only refusal.
    pub fn single(conn: AnyConnection, reopen: Reopen, faults: Arc<FaultState>) -> Self {
        let (tx, rx) = mpsc::channel(4 * MAX_GROUP);
        tokio::spawn(checkpoints(
            reopen.options.clone(),
            reopen.pragmas,
            tx.downgrade(),
            faults,
        ));
        tokio::spawn(run_single(conn, reopen, rx));
        Self::Single(tx)
    }

    /// Whether writes can still be taken (the SQLite writer task is alive).
    pub fn is_alive(&self) -> bool {
        match self {
            Self::Single(sender) => !sender.is_closed(),
            Self::Pooled(_) => true,
        }
    }

    /// Runs `f` in a transaction and returns its result after the commit. An
    /// `Err` from `f` rolls back only `f`'s own changes.
    pub async fn write<R: Send + 'static>(&self, f: WriteFn<R>) -> StoreResult<R> {
        match self {
            Self::Pooled(pool) => {
                let mut conn = pool.acquire().await.map_err(classify)?;
                let r = async {
                    let mut tx = conn.begin().await.map_err(classify)?;
                    let r = f(&mut tx).await?;
                    tx.commit().await.map_err(classify)?;
                    Ok(r)
                }
                .await;
                if matches!(r, Err(StoreError::Refused(StorageFault::ReadOnly))) {
                    // A session made read-only (a database default, a standby)
                    // stays so: close it rather than hand it to the next write.
                    let _ = conn.close().await;
                }
                r
            }
            Self::Single(sender) => {
                let (reply_tx, reply_rx) = oneshot::channel::<StoreResult<R>>();
                let job: Job = Box::new(move |conn| {
                    Box::pin(async move {
                        let r = f(conn).await;
                        let ok = r.is_ok();
                        let reopen = matches!(r, Err(StoreError::Refused(StorageFault::ReadOnly)));
                        let completion: Completion = Box::new(move |commit| {
                            let out = match commit {
                                Ok(()) => r,
                                Err(e) => Err(commit_failed(&e)),
                            };
                            let _ = reply_tx.send(out);
                        });
                        Ran {
                            ok,
                            reopen,
                            completion,
                        }
                    })
                });
                sender
                    .send(job)
                    .await
                    .map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?;
                reply_rx
                    .await
                    .map_err(|_| StoreError::Unavailable("the write was not committed".into()))?
            }
        }
    }
}

/// The writer's own settings.
///
/// Checkpoints are left to [`checkpoints`]: run at commit (SQLite's
/// default, every 1,000 WAL pages) a checkpoint copies and syncs the
/// database file while every write waits behind it. But the WAL starts
/// over only when the writer begins a transaction with every frame copied
/// back, and under a steady load the writer always has frames newer than
/// the last checkpoint beside it; so past 4,000 pages (16 MiB) the writer
/// checkpoints after its commit as before, which by then has little left
/// to copy, and the WAL stays bounded.
///
/// Statement journals (the undo pages of a multi-row statement inside the
/// group's transaction) stay in memory: past 64 KiB SQLite spilled them to
/// a temporary file (5.5 % of the server's samples at 64 clients). Only
/// here: on the readers, `temp_store` would also keep the temporary
/// B-trees of large sorts in memory.
const WRITER_PRAGMAS: &str = "PRAGMA wal_autocheckpoint = 4000; PRAGMA temp_store = MEMORY;";

/// How often the WAL is copied back into the database file beside the
/// writer.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

/// Checkpoints the WAL from a connection of its own, beside the writer,
/// for as long as the writer takes writes. PASSIVE: it copies what no
/// reader still needs and never blocks the writer or a reader. None while
/// the storage refuses writes (`faults`: full or read-only; cleared by a
/// real write that commits, not by the health probe): on a full volume a
/// checkpoint would let the WAL start over and take a few writes again,
/// so the service would flap between refusing and taking writes; it
/// refuses them until space returns.
///
/// A long read (a payroll pull) keeps the WAL from starting over, so it
/// grows meanwhile; SQLite cuts it back to `journal_size_limit` only at
/// the first commit after it starts over. When the writes stop with the
/// read, that commit never comes: once everything is copied back and the
/// file is still past that limit, it is truncated here, to zero. That
/// checkpoint takes the write lock, so it gives up at once if the writer
/// holds it or a reader still uses the WAL; a commit that lands between
/// the passive checkpoint and it is copied back under the lock first, so
/// the writer may wait for that copy and the truncation (rare and short,
/// and no write fails).
async fn checkpoints(
    options: AnyConnectOptions,
    pragmas: &'static str,
    writer: mpsc::WeakSender<Job>,
    faults: Arc<FaultState>,
) {
    let mut state: Option<Checkpointer> = None;
    // Told once when checkpoints start failing (a full or read-only
    // volume fails every one of them) and once when they work again.
    let mut failing = false;
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if writer.upgrade().is_none_or(|w| w.is_closed()) {
            break;
        }
        if faults.get().is_some() {
            continue;
        }
        match checkpoint_once(&mut state, &options, pragmas).await {
            Ok(()) if failing => {
                tracing::info!("WAL checkpoints work again");
                failing = false;
            }
            Ok(()) => {}
            Err(e) => {
                if !failing {
                    tracing::warn!(error = %e, "a WAL checkpoint failed; retrying every 200 ms");
                    failing = true;
                }
                state = None;
            }
        }
    }
}

/// The checkpointer's connection, the WAL file it watches and the size
/// past which it truncates that file, to zero (`journal_size_limit`).
struct Checkpointer {
    conn: AnyConnection,
    wal: std::path::PathBuf,
    kept: u64,
}

/// One passive checkpoint, on a connection opened first if need be; then,
/// if every frame is copied back and the WAL file is past
/// `journal_size_limit`, a truncating one.
async fn checkpoint_once(
    state: &mut Option<Checkpointer>,
    options: &AnyConnectOptions,
    pragmas: &str,
) -> Result<(), sqlx::Error> {
    if state.is_none() {
        let mut conn = options.connect().await?;
        // Never wait: a truncating checkpoint that finds the writer busy
        // or a reader still on the WAL gives up at once, rather than hold
        // the write lock while it waits for the reader.
        conn.execute(format!("{pragmas} PRAGMA busy_timeout = 0;").as_str())
            .await?;
        let file: String =
            sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                .fetch_one(&mut conn)
                .await?;
        let kept: i64 = sqlx::query_scalar("PRAGMA journal_size_limit")
            .fetch_one(&mut conn)
            .await?;
        *state = Some(Checkpointer {
            conn,
            wal: format!("{file}-wal").into(),
            // -1 (no limit): SQLite never cuts the WAL back, nor does this.
            kept: u64::try_from(kept).unwrap_or(u64::MAX),
        });
    }
    let Some(Checkpointer { conn, wal, kept }) = state.as_mut() else {
        return Ok(());
    };
    let (busy, log, copied): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(&mut *conn)
        .await?;
    if busy == 0 && log == copied && std::fs::metadata(&*wal).is_ok_and(|m| m.len() > *kept) {
        let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&mut *conn)
            .await?;
        if busy == 0 {
            tracing::info!("the WAL was cut back after a long read");
        }
    }
    Ok(())
}

async fn run_single(mut conn: AnyConnection, reopen: Reopen, mut rx: mpsc::Receiver<Job>) {
    if let Err(e) = conn.execute(WRITER_PRAGMAS).await {
        tracing::warn!(error = %e, "the writer's settings were not applied");
    }
    let mut stale = false;
    while let Some(first) = rx.recv().await {
        if stale {
            match reopen.options.connect().await {
                Ok(mut fresh) => match fresh
                    .execute(format!("{} {WRITER_PRAGMAS}", reopen.pragmas).as_str())
                    .await
                {
                    Ok(_) => {
                        tracing::info!("reopened the database for writing");
                        conn = fresh;
                        stale = false;
                    }
                    Err(e) => tracing::warn!(error = %e, "reopening the database failed"),
                },
                Err(e) => tracing::warn!(error = %e, "reopening the database failed"),
            }
        }
        let mut jobs = vec![first];
        while jobs.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let result = run_group(&mut conn, jobs, &mut rx, &mut stale).await;
        let count = match &result {
            Ok(c) | Err((_, c)) => c.len(),
        };
        match result {
            Ok(completions) => {
                tracing::trace!(writes = count, "group committed");
                #[allow(clippy::cast_precision_loss)] // at most MAX_GROUP
                metrics::histogram!(crate::metrics::families::WRITE_GROUP_SIZE)
                    .record(count as f64);
                for c in completions {
                    c(Ok(()));
                }
            }
            Err((e, completions)) => {
                stale |= fault::of(&e) == Some(StorageFault::ReadOnly);
                tracing::error!(error = %e, writes = count, "group commit failed; rolled back");
                let _ = conn.execute("ROLLBACK").await;
                let e = Arc::new(e);
                for c in completions {
                    c(Err(Arc::clone(&e)));
                }
            }
        }
    }
    tracing::debug!("writer stopped");
}

/// Runs one group in one transaction. On a failure of the transaction itself
/// (not of a single job) returns the error with the completions of the jobs
/// that ran; jobs not reached are dropped, which their callers see as "not
/// committed".
async fn run_group(
    conn: &mut AnyConnection,
    jobs: Vec<Job>,
    more: &mut mpsc::Receiver<Job>,
    stale: &mut bool,
) -> Result<Vec<Completion>, (sqlx::Error, Vec<Completion>)> {
    let mut completions = Vec::with_capacity(jobs.len());
    let mut jobs: std::collections::VecDeque<Job> = jobs.into();
    // The statements between two jobs go to the connection's thread in one
    // round trip: each round trip is a hand-off between threads, and every
    // write waits on this one path (issue 15). A failure of `BEGIN` leaves
    // nothing run: the jobs not reached are dropped, which tells each
    // caller its write was not committed.
    let mut next = "BEGIN IMMEDIATE; SAVEPOINT w";
    while let Some(job) = jobs.pop_front() {
        if let Err(e) = conn.execute(next).await {
            return Err((e, completions));
        }
        let Ran {
            ok,
            reopen,
            completion,
        } = job(conn).await;
        *stale |= reopen;
        completions.push(completion);
        // A write that came in while this group ran joins it: the event
        // batches and the recompute pages each wait for their last commit
        // before sending the next, so taken only at the start they would
        // take turns, one commit each.
        if jobs.is_empty()
            && completions.len() < MAX_GROUP
            && let Ok(job) = more.try_recv()
        {
            jobs.push_back(job);
        }
        next = match (ok, jobs.is_empty()) {
            (true, false) => "RELEASE w; SAVEPOINT w",
            (false, false) => "ROLLBACK TO w; RELEASE w; SAVEPOINT w",
            (true, true) => "RELEASE w; COMMIT",
            (false, true) => "ROLLBACK TO w; RELEASE w; COMMIT",
        };
    }
    if completions.is_empty() {
        return Ok(completions);
    }
    match conn.execute(next).await {
        Ok(_) => Ok(completions),
        Err(e) => Err((e, completions)),
    }
}

/// A failed commit: a storage fault if it is one (`SQLite` writes its WAL
/// at commit, so a full volume shows here), otherwise unavailable.
fn commit_failed(e: &sqlx::Error) -> StoreError {
    fault::of(e).map_or_else(
        || StoreError::Unavailable(format!("commit failed: {e}")),
        StoreError::Refused,
    )
}

/// Sorts a database error into the kinds callers act on.
pub fn classify(e: sqlx::Error) -> StoreError {
    if let Some(f) = fault::of(&e) {
        return StoreError::Refused(f);
    }
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Tls(_) => StoreError::Unavailable(e.to_string()),
        // Deadlock, serialization failure, admin shutdown, a database that
        // takes no connections now, too many connections, a broken
        // connection: transient, so the client is told to retry rather than
        // given an internal error.
        sqlx::Error::Database(ref d)
            if matches!(
                d.code().as_deref(),
                Some("40P01" | "40001" | "57P01" | "57P02" | "57P03" | "55000" | "53300")
            ) || d
                .code()
                .is_some_and(|c| c.len() == 5 && c.starts_with("08")) =>
        {
            StoreError::Unavailable(e.to_string())
        }
        other => StoreError::Database(other),
    }
}
