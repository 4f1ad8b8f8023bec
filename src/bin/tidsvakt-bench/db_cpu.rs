//! The CPU of the PostgreSQL backends serving one database, read from
//! `/proc`: the database's share of a round beside the server's own.
//!
//! A round's throughput ratio moves by a few hundredths between runs of one
//! binary, and the ceiling as much (issue 15, twenty-eighth round): the
//! CPU each side costs the database, per operation, says what a change
//! saved there with less noise. Only backends of client connections to the
//! database count (not the WAL writer, the checkpointer, autovacuum or
//! parallel workers, nor the harness's own polling, [`OBSERVER`]), and
//! only on this machine: with PostgreSQL elsewhere there is nothing to read.

use std::collections::HashMap;

use sqlx::Connection as _;

use crate::database::{FreshDb, OBSERVER};

/// Which database's backends to read, and how to list them.
pub struct DbCpu {
    admin_url: String,
    database: String,
}

/// The CPU each backend had used, in µs, by process id.
#[derive(Debug, Default)]
pub struct Sample(HashMap<u32, f64>);

impl DbCpu {
    /// For a PostgreSQL database; `None` for SQLite (its work is in the
    /// server's own process).
    #[must_use]
    pub fn of(db: &FreshDb) -> Option<Self> {
        db.postgres().map(|(admin_url, database)| Self {
            admin_url: admin_url.to_owned(),
            database: database.to_owned(),
        })
    }

    /// The backends connected to the database now. One that ends while it
    /// is read is left out.
    pub async fn sample(&self) -> anyhow::Result<Sample> {
        let mut conn = sqlx::PgConnection::connect(&self.admin_url).await?;
        let pids: Vec<i32> = sqlx::query_scalar(
            "SELECT pid FROM pg_stat_activity \
             WHERE datname = $1 AND backend_type = 'client backend' \
             AND application_name IS DISTINCT FROM $2",
        )
        .bind(&self.database)
        .bind(OBSERVER)
        .fetch_all(&mut conn)
        .await?;
        conn.close().await?;
        Ok(Sample(
            pids.into_iter()
                .filter_map(|pid| u32::try_from(pid).ok())
                .filter_map(|pid| Some((pid, self.backend_cpu_us(pid)?)))
                .collect(),
        ))
    }

    /// The CPU `pid` has used, in µs, if it is a backend of this database
    /// here: a pid from a database in a container or on another machine
    /// may name an unrelated local process, whose title does not name the
    /// database. From `schedstat` (nanoseconds), not `stat` (whole 10 ms
    /// ticks, a few a round for each of 8–64 backends).
    fn backend_cpu_us(&self, pid: u32) -> Option<f64> {
        let title = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let title = String::from_utf8_lossy(&title);
        if !title.starts_with("postgres: ") || !title.contains(&format!(" {} ", self.database)) {
            return None;
        }
        let schedstat = std::fs::read_to_string(format!("/proc/{pid}/schedstat")).ok()?;
        let ns: f64 = schedstat.split_whitespace().next()?.parse().ok()?;
        Some(ns / 1000.0)
    }
}

impl Sample {
    /// The CPU used since `before`: each backend's growth, all of it for
    /// one that started since. `None` when no backend could be read (the
    /// database is on another machine). A backend that ended between the
    /// two is lost; the pools keep their connections through a run.
    #[must_use]
    pub fn since(&self, before: &Sample) -> Option<f64> {
        (!self.0.is_empty()).then(|| {
            self.0
                .iter()
                .map(|(pid, us)| us - before.0.get(pid).copied().unwrap_or(0.0))
                .sum()
        })
    }
}

/// Samples `db` when there is one.
pub async fn sample(db: Option<&DbCpu>) -> anyhow::Result<Option<Sample>> {
    match db {
        Some(db) => Ok(Some(db.sample().await?)),
        None => Ok(None),
    }
}

/// The CPU `db`'s backends used since `before`.
pub async fn since(db: Option<&DbCpu>, before: Option<&Sample>) -> anyhow::Result<Option<f64>> {
    Ok(between(before, sample(db).await?.as_ref()))
}

/// The CPU used from `before` to `after`, when both were read.
#[must_use]
pub fn between(before: Option<&Sample>, after: Option<&Sample>) -> Option<f64> {
    match (before, after) {
        (Some(before), Some(after)) => after.since(before),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::Sample;

    #[test]
    fn growth_of_each_backend_and_all_of_a_new_one() {
        let before = Sample([(10, 1_000.0), (11, 500.0), (12, 70.0)].into());
        // 11 ended (lost), 13 started.
        let now = Sample([(10, 1_400.0), (12, 70.0), (13, 250.0)].into());
        assert_eq!(now.since(&before), Some(650.0));
        assert_eq!(Sample::default().since(&before), None);
    }
}
