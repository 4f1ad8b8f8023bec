//! Mail as the binary runs it: a malformed configuration stops the start,
//! naming the setting, before the database or the port is opened; and on
//! the embedded default a nudge lands in the `.eml` folder by itself, sent
//! by the background outbox with the real clock.

use std::process::Stdio;
use std::time::Duration;

use chrono::{Timelike, Utc};
use tidsvakt::pb;
use tokio::process::Command;
use tonic::transport::Channel;

use crate::durability::start_server_with;
use crate::helpers::{Bearer, event};

async fn serve_fails_with(extra: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tidsvakt"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .args(extra)
        .env_remove("TIDSVAKT_DATABASE_URL")
        .env_remove("TIDSVAKT_SMTP_HOST")
        .env_remove("TIDSVAKT_SMTP_PASSWORD")
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(!out.status.success(), "serve {extra:?} should fail");
    assert!(
        !dir.path().join("tidsvakt.db").exists(),
        "nothing was created"
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn a_malformed_smtp_setting_stops_the_start_and_is_named() {
    let err = serve_fails_with(&["--smtp-host", "mail.example.com", "--smtp-port", "0"]).await;
    assert!(err.contains("--smtp-port (TIDSVAKT_SMTP_PORT)"), "{err}");
    let err = serve_fails_with(&[
        "--smtp-host",
        "mail.example.com",
        "--smtp-username",
        "tidsvakt",
    ])
    .await;
    assert!(err.contains("--smtp-password"), "{err}");
    let err = serve_fails_with(&["--mail-from", "not an address"]).await;
    assert!(err.contains("--mail-from (TIDSVAKT_MAIL_FROM)"), "{err}");
    let err = serve_fails_with(&["--digest-time", "7 o'clock"]).await;
    assert!(err.contains("--digest-time"), "{err}");
}

/// A fixed-offset zone where it is midday now, so quiet hours never hold
/// the nudge back whenever the test runs.
fn a_zone_at_midday() -> String {
    let hour = i64::from(Utc::now().hour());
    let east = (12 - hour).rem_euclid(24);
    let east = if east > 12 { east - 24 } else { east };
    // POSIX sign: Etc/GMT-3 is three hours east of UTC.
    match east {
        0 => "Etc/GMT".to_string(),
        e if e > 0 => format!("Etc/GMT-{e}"),
        e => format!("Etc/GMT+{}", -e),
    }
}

#[tokio::test]
async fn on_the_embedded_default_a_nudge_lands_in_the_eml_folder_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("tidsvakt.db").display());
    let mut server = start_server_with(dir.path(), &url, &["--outbox-interval-secs", "1"]).await;
    let admin = server.first_admin.clone().unwrap();
    let channel = Channel::from_shared(server.addr.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let e = pb::admin_service_client::AdminServiceClient::with_interceptor(
        channel.clone(),
        Bearer::for_token(&admin),
    )
    .create_employee(pb::CreateEmployeeRequest {
        external_id: "E1".into(),
        name: "Kari Nordmann".into(),
        email: "kari@example.no".into(),
        time_zone: a_zone_at_midday(),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner()
    .employee
    .unwrap();
    // Six and a half hours without a break, ending an hour ago: no.breaks.
    let end = Utc::now() - chrono::Duration::hours(1);
    let mut clock = pb::clock_service_client::ClockServiceClient::with_interceptor(
        channel,
        Bearer::for_token(&admin),
    );
    for ev in [
        event(
            &e.employee_id,
            pb::EventKind::ClockIn,
            end - chrono::Duration::minutes(390),
        ),
        event(&e.employee_id, pb::EventKind::ClockOut, end),
    ] {
        clock
            .record_event(pb::RecordEventRequest { event: Some(ev) })
            .await
            .unwrap();
    }
    let outbox = dir.path().join("outbox");
    let file = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if let Some(f) = std::fs::read_dir(&outbox).ok().and_then(|mut d| {
                d.find_map(|f| {
                    f.ok()
                        .filter(|f| f.path().extension().is_some_and(|x| x == "eml"))
                })
            }) {
                return f.path();
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await
    .expect("a .eml file within 30 s");
    let raw = std::fs::read(&file).unwrap();
    let mail = crate::smtp::parse(&raw);
    assert!(mail.to.iter().any(|t| t.email == "kari@example.no"));
    assert!(
        mail.text.starts_with("Hei Kari,"),
        "greeted by first name: {}",
        mail.text
    );
    assert!(
        mail.to
            .iter()
            .any(|t| t.name.as_deref() == Some("Kari Nordmann"))
    );
    assert!(!mail.html.is_empty());
    let _ = server.child.kill().await;
}
