//! Rolling upgrades: the new version migrates first, and an old replica
//! that restarts meanwhile must still start on the newer schema
//! (deploy/RUNBOOK.md, "Upgrading").

use sqlx::Connection as _;

use crate::durability::start_server_with;
use crate::helpers::*;

async fn an_older_server_starts_on_a_database_migrated_ahead(app: TestApp) {
    // What a newer release leaves behind: a migration this build lacks.
    let mut conn = sqlx::AnyConnection::connect(&app.database_url)
        .await
        .unwrap();
    let insert = match app.db {
        Db::Sqlite => {
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (99990101, 'from a newer release', 1, X'00', 0)"
        }
        Db::Postgres(_) => {
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (99990101, 'from a newer release', TRUE, '\\x00'::bytea, 0)"
        }
    };
    sqlx::query(insert).execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();

    let migrate = tokio::process::Command::new(env!("CARGO_BIN_EXE_tidsvakt"))
        .args(["migrate", "--database-url", &app.database_url])
        .output()
        .await
        .unwrap();
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    let dir = tempfile::tempdir().unwrap();
    let server = start_server_with(dir.path(), &app.database_url, &[]).await;
    let health = tokio::process::Command::new(env!("CARGO_BIN_EXE_tidsvakt"))
        .args(["health", "--addr", &server.addr])
        .output()
        .await
        .unwrap();
    assert!(health.status.success());
}

crate::both_backends!(an_older_server_starts_on_a_database_migrated_ahead);
