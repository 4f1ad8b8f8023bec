//! Fresh databases for one scenario: an SQLite file in the run's folder, or
//! a UUID-named PostgreSQL database that is dropped afterwards.

use std::path::Path;

use anyhow::Context as _;
use sqlx::Connection as _;
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        }
    }
}

/// The application name of the harness's own connections to a server's
/// database (see [`FreshDb::observer_url`]).
pub const OBSERVER: &str = "tidsvakt-bench-observer";

/// A database nobody has used; a PostgreSQL one is dropped by `drop_now`.
pub struct FreshDb {
    pub url: String,
    observer_url: String,
    admin_url: Option<String>,
    name: String,
}

impl FreshDb {
    pub async fn create(backend: Backend, dir: &Path, pg_url: &str) -> anyhow::Result<Self> {
        let name = format!("tidsvakt_bench_{}", Uuid::new_v4().simple());
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.join(format!("{name}.db")).display());
                Ok(Self {
                    observer_url: url.clone(),
                    url,
                    admin_url: None,
                    name,
                })
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(pg_url)
                    .await
                    .with_context(|| "connecting to PostgreSQL (set TIDSVAKT_BENCH_PG_URL)")?;
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await?;
                let mut url = url::Url::parse(pg_url)?;
                url.set_path(&name);
                let mut observer = url.clone();
                observer
                    .query_pairs_mut()
                    .append_pair("application_name", OBSERVER);
                Ok(Self {
                    url: url.to_string(),
                    observer_url: observer.to_string(),
                    admin_url: Some(pg_url.to_owned()),
                    name,
                })
            }
        }
    }

    /// The URL the harness itself reads the server's database with (the
    /// recompute queue, the freshness samples): on PostgreSQL its
    /// connections carry [`OBSERVER`] as their application name, so the
    /// database's CPU per operation ([`crate::db_cpu`]) leaves them out.
    #[must_use]
    pub fn observer_url(&self) -> &str {
        &self.observer_url
    }

    /// A PostgreSQL database's administration URL and name.
    #[must_use]
    pub fn postgres(&self) -> Option<(&str, &str)> {
        self.admin_url.as_deref().map(|a| (a, self.name.as_str()))
    }

    pub async fn drop_now(self) -> anyhow::Result<()> {
        if let Some(admin) = &self.admin_url {
            let mut conn = sqlx::PgConnection::connect(admin).await?;
            sqlx::query(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn)
            .await?;
        }
        Ok(())
    }
}
