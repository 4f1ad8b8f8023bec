//! Backup and restore as deploy/RUNBOOK.md tells them: `tidsvakt backup`
//! on SQLite and `pg_dump`/`pg_restore` on PostgreSQL, taken while the
//! server runs. The restored database holds every event and amendment as
//! stored, and a server started on it answers the old admin token.

use std::path::Path;
use std::process::Command;

use chrono::Duration;
use tidsvakt::pb;
use tidsvakt::storage::{SqlStore, Store as _};
use tonic::transport::Channel;

use crate::durability::start_server_with;
use crate::helpers::*;

/// 25 days of work (50 events) and one correction, through the API.
async fn record_a_month(app: &TestApp) -> (pb::Employee, usize) {
    use pb::EventKind::{ClockIn, ClockOut};
    let kari = app.create_employee("E1").await;
    let id = &kari.employee_id;
    let mut clock = app.clock_client(&app.clock_token().await);
    let day = |d: i64, h: i64| {
        test_now() - Duration::days(30 - d) - Duration::hours(12) + Duration::hours(h)
    };
    let events: Vec<pb::ClockEvent> = (0..25)
        .flat_map(|d| {
            [
                event(id, ClockIn, day(d, 0)),
                event(id, ClockOut, day(d, 8)),
            ]
        })
        .collect();
    let reply = sync_one_message(&mut clock, events.clone()).await;
    assert_eq!(reply.new_count, 50);
    app.clock_client(&app.admin_token)
        .correct_event(pb::CorrectEventRequest {
            amendment_id: uuid::Uuid::new_v4().to_string(),
            employee_id: id.clone(),
            reason: "left at 15:00".into(),
            change: Some(pb::correct_event_request::Change::Move(
                pb::MoveEventChange {
                    event_id: events[1].event_id.clone(),
                    occurred_at: Some(ts(day(0, 7))),
                },
            )),
        })
        .await
        .unwrap();
    (kari, events.len())
}

/// Runs a program, failing with its output when it fails.
async fn run(program: &str, args: &[&str]) -> String {
    let out = tokio::process::Command::new(program)
        .args(args)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn on_path(program: &str) -> bool {
    Command::new(program).arg("--version").output().is_ok()
}

async fn a_restored_backup_holds_every_event(app: TestApp) {
    let (kari, events) = record_a_month(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let (restored_url, _restored_pg) = match &app.db {
        Db::Sqlite => {
            let file = dir.path().join("backup.db");
            let printed = run(
                env!("CARGO_BIN_EXE_tidsvakt"),
                &[
                    "backup",
                    "--database-url",
                    &app.database_url,
                    "--to",
                    file.to_str().unwrap(),
                ],
            )
            .await;
            assert!(
                printed.contains(&format!("({events} events, 1 amendments, ")),
                "{printed}"
            );
            assert_owner_only(&file);
            // A second backup to the same file is refused, and the first kept.
            let again = tokio::process::Command::new(env!("CARGO_BIN_EXE_tidsvakt"))
                .args(["backup", "--database-url", &app.database_url, "--to"])
                .arg(&file)
                .output()
                .await
                .unwrap();
            assert!(!again.status.success());
            assert!(String::from_utf8_lossy(&again.stderr).contains("must not exist yet"));
            // Restore: the copy becomes the database of a new data folder.
            let restored = dir.path().join("restored");
            std::fs::create_dir(&restored).unwrap();
            std::fs::copy(&file, restored.join("tidsvakt.db")).unwrap();
            (
                format!("sqlite://{}", restored.join("tidsvakt.db").display()),
                None,
            )
        }
        Db::Postgres(admin) => {
            if !on_path("pg_dump") || !on_path("pg_restore") {
                eprintln!(
                    "\n!!! pg_dump or pg_restore is not installed: the PostgreSQL backup test is SKIPPED.\n"
                );
                return;
            }
            let file = dir.path().join("tidsvakt.dump");
            run(
                "pg_dump",
                &[
                    "--format=custom",
                    "--no-owner",
                    "--file",
                    file.to_str().unwrap(),
                    &app.database_url,
                ],
            )
            .await;
            let restored = PgDatabase::create(admin).await;
            run(
                "pg_restore",
                &[
                    "--no-owner",
                    "--exit-on-error",
                    "--single-transaction",
                    "--dbname",
                    &restored.url,
                    file.to_str().unwrap(),
                ],
            )
            .await;
            (restored.url.clone(), Some(restored))
        }
    };
    // Written after the backup: not in it.
    app.clock_client(&app.clock_token().await)
        .record_event(pb::RecordEventRequest {
            event: Some(event(&kari.employee_id, pb::EventKind::ClockIn, test_now())),
        })
        .await
        .unwrap();

    // A server on the restored database answers the old admin token.
    let data = dir.path().join("server");
    let server = start_server_with(&data, &restored_url, &[]).await;
    assert!(
        server.first_admin.is_none(),
        "the restore holds an organisation"
    );
    let channel = Channel::from_shared(server.addr.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let org = pb::admin_service_client::AdminServiceClient::with_interceptor(
        channel,
        Bearer::for_token(&app.admin_token),
    )
    .get_organisation(pb::GetOrganisationRequest {})
    .await
    .unwrap()
    .into_inner()
    .organisation
    .unwrap();
    assert_eq!(org.organisation_id, app.org_id().await.to_string());

    // Every event and the amendment, exactly as stored at backup time.
    let restored = SqlStore::connect(&restored_url).await.unwrap();
    let (o, e) = (app.org_id().await, kari.employee_id.parse().unwrap());
    let now_events = app.store.events_of(o, e).await.unwrap();
    let back_events = restored.events_of(o, e).await.unwrap();
    assert_eq!(now_events.len(), events + 1);
    assert_eq!(back_events.len(), events);
    assert_eq!(back_events[..], now_events[..events]);
    let amendments = restored.amendments_of(o, e).await.unwrap();
    assert_eq!(amendments, app.store.amendments_of(o, e).await.unwrap());
    assert_eq!(amendments.len(), 1);
    restored.close().await;
}

fn assert_owner_only(file: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
    }
}

crate::both_backends!(a_restored_backup_holds_every_event);

/// `tidsvakt backup` names `pg_dump` for a PostgreSQL URL instead of
/// writing something that is not a backup.
#[test]
fn backup_of_postgres_points_at_pg_dump() {
    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("x.db");
    let out = Command::new(env!("CARGO_BIN_EXE_tidsvakt"))
        .args([
            "backup",
            "--database-url",
            "postgres://u:hunter2@127.0.0.1:1/db",
            "--to",
        ])
        .arg(&to)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pg_dump --format=custom"), "{err}");
    assert!(!err.contains("hunter2"), "no password echoed: {err}");
    assert!(!to.exists());
}
