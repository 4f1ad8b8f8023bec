//! `tidsvakt backup --to FILE`: an online, consistent copy of an `SQLite`
//! database while the server keeps running (`VACUUM INTO` reads one
//! snapshot, so writes go on meanwhile). `PostgreSQL` has its own tools
//! (`pg_dump`), which this command names rather than wraps.

use std::path::{Path, PathBuf};
use std::str::FromStr as _;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::Args;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions as _, Connection as _};

use crate::app::redact;
use crate::config::DatabaseArgs;
use crate::storage::Backend;

#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The file to write; it must not exist yet. Readable by its owner only.
    #[arg(long)]
    pub to: PathBuf,
}

/// What a backup holds, read back from the copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BackupSummary {
    pub events: i64,
    pub amendments: i64,
    pub bytes: u64,
}

/// Writes the backup and checks it (`PRAGMA integrity_check`, event count).
///
/// # Errors
/// A `PostgreSQL` URL (use `pg_dump`), a target that exists, or any `SQLite`
/// error, named with the file.
pub async fn run(args: &BackupArgs) -> anyhow::Result<BackupSummary> {
    let url = args.database.url();
    match Backend::from_url(&url).map_err(anyhow::Error::msg)? {
        Backend::Postgres => bail!(
            "--database-url names PostgreSQL ({}): back it up with pg_dump --format=custom \
             (deploy/RUNBOOK.md, 'Backup and restore')",
            redact(&url)
        ),
        Backend::Sqlite => {}
    }
    create_owner_only(&args.to)?;
    let result = copy(&url, &args.to).await;
    if result.is_err() {
        // An empty or half-written file must not pass for a backup.
        let _ = std::fs::remove_file(&args.to);
    }
    result
}

async fn copy(url: &str, to: &Path) -> anyhow::Result<BackupSummary> {
    let options = SqliteConnectOptions::from_str(url)
        .with_context(|| format!("--database-url: '{}'", redact(url)))?
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(10));
    let mut conn = options
        .connect()
        .await
        .with_context(|| format!("opening {}", redact(url)))?;
    let target = to
        .to_str()
        .with_context(|| format!("--to: {} is not valid UTF-8", to.display()))?;
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(&mut conn)
        .await
        .with_context(|| format!("writing the backup to {}", to.display()))?;
    conn.close().await?;
    verify(to).await
}

/// Opens the copy read-only and checks it is whole.
async fn verify(file: &Path) -> anyhow::Result<BackupSummary> {
    let mut conn = SqliteConnectOptions::new()
        .filename(file)
        .read_only(true)
        .connect()
        .await
        .with_context(|| format!("opening the backup {}", file.display()))?;
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await?;
    if check != "ok" {
        bail!(
            "the backup {} fails its integrity check: {check}",
            file.display()
        );
    }
    let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM clock_events")
        .fetch_one(&mut conn)
        .await?;
    let amendments: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM amendments")
        .fetch_one(&mut conn)
        .await?;
    conn.close().await?;
    Ok(BackupSummary {
        events,
        amendments,
        bytes: std::fs::metadata(file)?.len(),
    })
}

/// An empty file only its owner can read: `VACUUM INTO` fills an empty file
/// and keeps its mode, and the copy holds the same personal data.
fn create_owner_only(path: &Path) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path).map(drop).with_context(|| {
        format!(
            "--to: cannot create {} (it must not exist yet)",
            path.display()
        )
    })
}
