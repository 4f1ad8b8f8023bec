//! The binary refuses a malformed mail configuration at start-up, naming the
//! setting, before it opens the database or the port.

use std::process::Stdio;

use tokio::process::Command;

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
