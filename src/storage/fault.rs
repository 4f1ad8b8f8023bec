//! Storage faults that refuse writes but leave reads working: a full volume
//! or a read-only database. Both back-ends' codes are recognised here and
//! nowhere else, so every write path answers them alike (UNAVAILABLE, with
//! what is wrong) and health can report them.

use sqlx::error::DatabaseError;

/// Why the storage refuses writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StorageFault {
    /// No space left for the database (`SQLITE_FULL`, PostgreSQL `disk_full`).
    Full,
    /// The database or its files are read-only (`SQLITE_READONLY*`,
    /// PostgreSQL `read_only_sql_transaction`).
    ReadOnly,
}

impl std::fmt::Display for StorageFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Full => "the storage is full",
            Self::ReadOnly => "the storage is read-only",
        })
    }
}

/// `SQLite` primary result codes (the low byte of an extended code).
const SQLITE_READONLY: i64 = 8;
const SQLITE_FULL: i64 = 13;

/// The storage fault `e` reports, if it is one.
#[must_use]
pub fn of(e: &sqlx::Error) -> Option<StorageFault> {
    let sqlx::Error::Database(d) = e else {
        return None;
    };
    of_database(d.as_ref())
}

fn of_database(d: &dyn DatabaseError) -> Option<StorageFault> {
    let code = d.code()?;
    if d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        // sqlx gives SQLite's extended code; its low byte is the primary one.
        return match code.parse::<i64>().ok()? & 0xff {
            SQLITE_READONLY => Some(StorageFault::ReadOnly),
            SQLITE_FULL => Some(StorageFault::Full),
            _ => None,
        };
    }
    match code.as_ref() {
        "53100" => Some(StorageFault::Full),
        "25006" => Some(StorageFault::ReadOnly),
        _ => None,
    }
}

/// The last fault writes met, shared by the write path (which sets and
/// clears it) and the health check (which reports it).
#[derive(Debug, Default)]
pub struct FaultState(std::sync::atomic::AtomicU8);

impl FaultState {
    pub fn set(&self, fault: Option<StorageFault>) {
        let v = match fault {
            None => 0,
            Some(StorageFault::Full) => 1,
            Some(StorageFault::ReadOnly) => 2,
        };
        self.0.store(v, std::sync::atomic::Ordering::Relaxed);
    }

    #[must_use]
    pub fn get(&self) -> Option<StorageFault> {
        match self.0.load(std::sync::atomic::Ordering::Relaxed) {
            1 => Some(StorageFault::Full),
            2 => Some(StorageFault::ReadOnly),
            _ => None,
        }
    }
}
