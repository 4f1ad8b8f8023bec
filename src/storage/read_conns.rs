//! Connections for short reads.
//!
//! sqlx's pool tests every connection it takes back (a `ping`). On `SQLite`
//! each connection is served by its own thread, so that is one more round
//! trip after every read: two more thread wake-ups on a read that is itself
//! one round trip. In `GetTimesheet`'s profile (issue 15, thirteenth round)
//! the kernel's task switches were a third of the server's CPU and the
//! release pings 7 % of it, against 2 % for SQLite's own work.
//!
//! So `SQLite`'s short reads take connections from a deadpool pool that
//! takes them back as they are. What the ping guards against does not arise
//! here: a connection's thread runs its commands in order, so a read given
//! up halfway finishes (or stops) before the next caller's statement runs,
//! and these connections never hold a transaction (snapshots use sqlx's
//! pool). A connection last handed out more than [`IDLE_CHECK`] ago is
//! pinged before it is handed out again, and one that fails the ping is
//! replaced. Known limit: a connection whose thread died (sqlx panicked)
//! stays in turn while reads keep coming within [`IDLE_CHECK`]; sqlx's ping
//! on release dropped it at once.
//!
//! `PostgreSQL` keeps sqlx's pool and its ping: after a restart or a
//! failover every idle session is dead, and without the ping each would
//! fail one client call before being dropped.

use std::ops::{Deref, DerefMut};
use std::time::Duration;

use deadpool::managed::{self, Metrics, Object, PoolError, RecycleError, RecycleResult};
use sqlx::AnyConnection;
use sqlx::any::AnyConnectOptions;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, ConnectOptions as _, Connection as _, Executor as _};

use super::writer::classify;
use super::{StoreError, StoreResult};

/// A kept connection last handed out this long ago is pinged before it is
/// handed out again.
pub const IDLE_CHECK: Duration = Duration::from_secs(5);

/// Where short reads get a connection.
pub enum ReadConns {
    /// `SQLite`: connections taken back without a ping, and how long a
    /// caller waits for one in all.
    Kept(managed::Pool<Kept>, Duration),
    /// `PostgreSQL`: sqlx's pool, ping included.
    Pooled(AnyPool),
}

/// One connection for a short read; back to its pool when dropped.
pub enum ReadConn {
    Kept(Object<Kept>),
    Pooled(PoolConnection<Any>),
}

impl Deref for ReadConn {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        match self {
            Self::Kept(c) => c,
            Self::Pooled(c) => c,
        }
    }
}

impl DerefMut for ReadConn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            Self::Kept(c) => c,
            Self::Pooled(c) => c,
        }
    }
}

/// Opens `SQLite` read connections with the store's pragmas.
pub struct Kept {
    options: AnyConnectOptions,
    pragmas: &'static str,
}

impl managed::Manager for Kept {
    type Type = AnyConnection;
    type Error = sqlx::Error;

    async fn create(&self) -> Result<AnyConnection, sqlx::Error> {
        let mut conn = self.options.connect().await?;
        conn.execute(self.pragmas).await?;
        Ok(conn)
    }

    async fn recycle(
        &self,
        conn: &mut AnyConnection,
        metrics: &Metrics,
    ) -> RecycleResult<sqlx::Error> {
        if metrics.last_used() < IDLE_CHECK {
            return Ok(());
        }
        conn.ping().await.map_err(RecycleError::Backend)
    }
}

impl ReadConns {
    /// `SQLite` connections to `options`, at most `max` at once, each set up
    /// with `pragmas`; a caller waits at most `wait` for one.
    ///
    /// # Errors
    /// When the pool cannot be built (no runtime).
    pub fn kept(
        options: AnyConnectOptions,
        pragmas: &'static str,
        max: usize,
        wait: Duration,
    ) -> StoreResult<Self> {
        managed::Pool::builder(Kept { options, pragmas })
            .max_size(max)
            .wait_timeout(Some(wait))
            .create_timeout(Some(wait))
            .recycle_timeout(Some(wait))
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .map(|pool| Self::Kept(pool, wait))
            .map_err(|e| StoreError::Unavailable(format!("read connections: {e}")))
    }

    /// A connection for a short read.
    ///
    /// # Errors
    /// `Unavailable` when none is ready within the wait (freeing up, opening
    /// and the idle check together, so a client hears it before its
    /// deadline) or the pool is closed; what sqlx reports when opening or
    /// pinging one fails.
    pub async fn get(&self) -> StoreResult<ReadConn> {
        match self {
            Self::Kept(pool, wait) => match tokio::time::timeout(*wait, pool.get()).await {
                Ok(got) => got.map(ReadConn::Kept).map_err(|e| match e {
                    PoolError::Backend(e) => classify(e),
                    other => StoreError::Unavailable(format!("read connection: {other}")),
                }),
                Err(_) => Err(StoreError::Unavailable(format!(
                    "no read connection within {} ms",
                    wait.as_millis()
                ))),
            },
            Self::Pooled(pool) => pool.acquire().await.map(ReadConn::Pooled).map_err(classify),
        }
    }

    /// Closes the kept connections (sqlx's pool is closed by its owner).
    pub async fn close(&self) {
        if let Self::Kept(pool, _) = self {
            let idle = pool.retain(|_, _| false).removed;
            pool.close();
            for conn in idle {
                let _ = conn.close().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr as _;

    use futures::StreamExt as _;

    use super::*;

    /// A pool of at most `max` connections to a fresh file holding the
    /// numbers 1..=500 in table `n`.
    async fn numbers(dir: &tempfile::TempDir, max: usize, wait: Duration) -> ReadConns {
        sqlx::any::install_default_drivers();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let options = AnyConnectOptions::from_str(&url).expect("url");
        let mut setup = options.connect().await.expect("connect");
        setup
            .execute(
                "CREATE TABLE n (v INTEGER); \
                 WITH RECURSIVE c(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM c WHERE v < 500) \
                 INSERT INTO n SELECT v FROM c",
            )
            .await
            .expect("numbers");
        setup.close().await.expect("close");
        ReadConns::kept(options, "PRAGMA journal_mode = WAL;", max, wait).expect("pool")
    }

    async fn total(conns: &ReadConns) -> i64 {
        sqlx::query_scalar("SELECT SUM(v) FROM n")
            .fetch_one(&mut *conns.get().await.expect("conn"))
            .await
            .expect("sum")
    }

    /// A read given up after its first row leaves the one connection fit
    /// for the next caller: its thread finishes or stops the abandoned
    /// statement before it runs the next (what sqlx's ping on release
    /// otherwise flushes), and no snapshot of it stays open: a row written
    /// meanwhile through another connection is seen.
    #[tokio::test]
    async fn a_read_given_up_halfway_leaves_the_connection_usable() {
        let dir = tempfile::tempdir().expect("dir");
        let conns = numbers(&dir, 1, Duration::from_secs(5)).await;
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let mut writer = AnyConnectOptions::from_str(&url)
            .expect("url")
            .connect()
            .await
            .expect("writer");
        for added in 1..=3 {
            let mut conn = conns.get().await.expect("conn");
            let mut rows =
                sqlx::query_scalar::<_, i64>("SELECT v FROM n ORDER BY v").fetch(&mut *conn);
            assert_eq!(rows.next().await.transpose().expect("row"), Some(1));
            drop(rows);
            drop(conn);
            writer
                .execute("INSERT INTO n VALUES (1000)")
                .await
                .expect("insert");
            assert_eq!(total(&conns).await, 500 * 501 / 2 + added * 1000);
        }
    }

    /// With every connection taken, a caller waits its time and then hears
    /// that the database is unavailable (a client is told to retry).
    #[tokio::test]
    async fn a_caller_waits_then_hears_unavailable() {
        let dir = tempfile::tempdir().expect("dir");
        let conns = numbers(&dir, 1, Duration::from_millis(50)).await;
        let held = conns.get().await.expect("conn");
        let started = std::time::Instant::now();
        let waited = conns.get().await.err().expect("no connection free");
        assert!(matches!(waited, StoreError::Unavailable(_)), "{waited:?}");
        assert!(started.elapsed() >= Duration::from_millis(50));
        drop(held);
        assert_eq!(total(&conns).await, 125_250);
    }

    /// Closing closes the kept connections and refuses new callers.
    #[tokio::test]
    async fn closed_connections_refuse_callers() {
        let dir = tempfile::tempdir().expect("dir");
        let conns = numbers(&dir, 2, Duration::from_secs(1)).await;
        assert_eq!(total(&conns).await, 125_250);
        conns.close().await;
        let refused = conns.get().await.err().expect("closed");
        assert!(matches!(refused, StoreError::Unavailable(_)), "{refused:?}");
    }
}
