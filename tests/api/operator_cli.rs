//! The operator commands as people run them: the real `tidsvakt` binary
//! against the real server, with exact output: `period list`, `period
//! lock`, `correct add|move|void`, `export --dialect`, their `--help`
//! examples, and bad input named by its flag.

use std::process::Output;

use tidsvakt::pb;

use crate::helpers::*;
use crate::payroll::{oslo, post, staff};

use pb::EventKind::ClockIn;

async fn tidsvakt(app: &TestApp, token: &str, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_tidsvakt"))
        .args(args)
        .args(["--addr", &app.addr, "--token", token])
        .env_remove("TIDSVAKT_ADDR")
        .env_remove("TIDSVAKT_TOKEN")
        .output()
        .await
        .unwrap()
}

/// Stdout of a run that must succeed.
async fn ok(app: &TestApp, args: &[&str]) -> String {
    let o = tidsvakt(app, &app.admin_token, args).await;
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// Stderr of a run that must fail, with its exit code.
async fn refused(app: &TestApp, token: &str, args: &[&str]) -> (i32, String) {
    let o = tidsvakt(app, token, args).await;
    assert!(!o.status.success(), "{args:?} should fail");
    (
        o.status.code().unwrap(),
        String::from_utf8(o.stderr).unwrap(),
    )
}

const HEAD: &str = "period        dates                    status  locked at             locked by                 employees  record gaps\n";

async fn periods_are_listed_and_locked_from_the_command_line(app: TestApp) {
    let [kari] = &staff(&app, &["E1"]).await[..] else {
        unreachable!()
    };
    // Clocked in on 27 Oct, never out: a gap at the lock.
    post(
        &app,
        vec![event(&kari.employee_id, ClockIn, oslo(2026, 10, 27, 8, 0))],
    )
    .await;
    assert_eq!(
        ok(
            &app,
            &["period", "list", "--from", "2026-09", "--to", "2026-11"]
        )
        .await,
        format!(
            "{HEAD}\
             2026-09       2026-09-01 – 2026-09-30  open\n\
             2026-10       2026-10-01 – 2026-10-31  open\n\
             2026-11       2026-11-01 – 2026-11-30  open\n"
        )
    );
    assert_eq!(
        ok(&app, &["period", "lock", "--period", "2026-10"]).await,
        "locked period 2026-10 (2026-10-01 – 2026-10-31) at 2026-11-19 20:00 UTC\n\
         employees frozen: 1\n\
         record gaps:      1 (no.record violations: clock-ins without a clock-out; \
         correct them with `tidsvakt correct`, and the change reaches the next open period)\n"
    );
    // Twelve periods up to today's (19 Nov 2026) by default.
    let listed = ok(&app, &["period", "list"]).await;
    let rows: Vec<&str> = listed.lines().collect();
    assert_eq!(rows.len(), 13, "{listed}");
    assert_eq!(rows[1], "2025-12       2025-12-01 – 2025-12-31  open");
    assert_eq!(
        rows[11],
        "2026-10       2026-10-01 – 2026-10-31  locked  2026-11-19 20:00 UTC  first admin (ADMIN)               1            1"
    );
    assert_eq!(rows[12], "2026-11       2026-11-01 – 2026-11-30  open");

    // Bad input is named by its flag.
    assert_eq!(
        refused(&app, &app.admin_token, &["period", "lock", "--period", "2026-10"]).await,
        (
            1,
            "error: FailedPrecondition: --period: period 2026-10 is already locked (at 2026-11-19T20:00:00+00:00, by first admin (ADMIN))\n".into()
        )
    );
    let (code, err) = refused(
        &app,
        &app.admin_token,
        &["period", "lock", "--period", "2026-13"],
    )
    .await;
    assert_eq!(code, 1);
    assert!(
        err.starts_with("error: InvalidArgument: --period: "),
        "{err}"
    );
    assert!(err.contains("YYYY-MM"), "{err}");
    assert_eq!(
        refused(
            &app,
            &app.admin_token,
            &["period", "list", "--from", "2026-12", "--to", "2026-10"]
        )
        .await,
        (
            1,
            "error: InvalidArgument: --from: 2026-12 is after the last period asked for, 2026-10\n"
                .into()
        )
    );
    let (_, err) = refused(
        &app,
        &app.admin_token,
        &["period", "list", "--from", "1990-01"],
    )
    .await;
    assert!(
        err.starts_with("error: InvalidArgument: --from: lists at most 120 periods"),
        "{err}"
    );
    let (code, err) = refused(&app, &app.admin_token, &["period", "lock"]).await;
    assert_eq!(code, 2);
    assert!(err.contains("--period <PERIOD>"), "{err}");
    // Only ADMIN and PAYROLL tokens see periods.
    let clock = app.token(pb::Role::Clock, None).await;
    let (_, err) = refused(&app, &clock, &["period", "list"]).await;
    assert!(err.starts_with("error: PermissionDenied: "), "{err}");
    let payroll = app.token(pb::Role::Payroll, None).await;
    let o = tidsvakt(&app, &payroll, &["period", "list", "--from", "2026-11"]).await;
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        format!("{HEAD}2026-11       2026-11-01 – 2026-11-30  open\n")
    );
}

async fn corrections_from_the_command_line(app: TestApp) {
    let [kari] = &staff(&app, &["E1"]).await[..] else {
        unreachable!()
    };
    let k = kari.employee_id.as_str();
    let clock_in = event(k, ClockIn, oslo(2026, 10, 27, 8, 0));
    let in_id = clock_in.event_id.clone();
    post(&app, vec![clock_in]).await;
    let added = "6d1f5c1e-0000-4000-8000-000000000001";
    let add = [
        "correct",
        "add",
        "--employee",
        k,
        "--kind",
        "clock-out",
        "--at",
        "2026-10-27T14:30:00Z",
        "--reason",
        "forgot to clock out",
        "--amendment-id",
        added,
    ];
    assert_eq!(
        ok(&app, &add).await,
        format!(
            "amendment {added} recorded: clock out added at 2026-10-27 14:30:00 UTC (forgot to clock out)\n\
             clocked out since 2026-10-27 14:30:00 UTC\n"
        )
    );
    // The same command again stores nothing new.
    assert!(
        ok(&app, &add)
            .await
            .starts_with(&format!("amendment {added} was already recorded: "))
    );
    let moved = "6d1f5c1e-0000-4000-8000-000000000002";
    assert_eq!(
        ok(
            &app,
            &[
                "correct",
                "move",
                "--employee",
                k,
                "--event",
                added,
                "--to",
                "2026-10-27T15:00:00Z",
                "--reason",
                "left at four",
                "--amendment-id",
                moved,
            ]
        )
        .await,
        format!(
            "amendment {moved} recorded: event {added} moved to 2026-10-27 15:00:00 UTC (left at four)\n\
             clocked out since 2026-10-27 15:00:00 UTC\n"
        )
    );
    let voided = "6d1f5c1e-0000-4000-8000-000000000003";
    let out = ok(
        &app,
        &[
            "correct",
            "void",
            "--employee",
            k,
            "--event",
            &in_id,
            "--reason",
            "was not at work",
            "--amendment-id",
            voided,
        ],
    )
    .await;
    assert_eq!(
        out.lines().next().unwrap(),
        format!("amendment {voided} recorded: event {in_id} voided (was not at work)")
    );

    // Bad input is named by its flag, before or after the server.
    let (code, err) = refused(
        &app,
        &app.admin_token,
        &[
            "correct",
            "add",
            "--employee",
            k,
            "--kind",
            "clock-out",
            "--at",
            "yesterday",
            "--reason",
            "x",
        ],
    )
    .await;
    assert_eq!(code, 2);
    assert!(
        err.contains("invalid value 'yesterday' for '--at <AT>'"),
        "{err}"
    );
    assert_eq!(
        refused(
            &app,
            &app.admin_token,
            &[
                "correct",
                "add",
                "--employee",
                k,
                "--kind",
                "clock-out",
                "--at",
                "2026-10-28T14:30:00Z",
                "--reason",
                "  ",
            ],
        )
        .await,
        (
            1,
            "error: --reason: is required; say why the record is corrected\n".into()
        )
    );
    let (code, err) = refused(
        &app,
        &app.admin_token,
        &[
            "correct",
            "add",
            "--employee",
            k,
            "--kind",
            "clock-out",
            "--at",
            "2026-11-20T12:00:00Z",
            "--reason",
            "tomorrow",
        ],
    )
    .await;
    assert_eq!(code, 1);
    assert!(err.starts_with("error: InvalidArgument: --at: "), "{err}");
    let (code, err) = refused(
        &app,
        &app.admin_token,
        &[
            "correct",
            "void",
            "--employee",
            k,
            "--event",
            "not-a-uuid",
            "--reason",
            "x",
        ],
    )
    .await;
    assert_eq!(code, 2);
    assert!(err.contains("for '--event <EVENT>'"), "{err}");
    let (code, err) = refused(
        &app,
        &app.admin_token,
        &[
            "correct",
            "void",
            "--employee",
            k,
            "--event",
            "6d1f5c1e-0000-4000-8000-0000000000ff",
            "--reason",
            "x",
        ],
    )
    .await;
    assert_eq!(code, 1);
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("--event"), "{err}");
}

async fn help_has_examples_and_export_speaks_both_dialects(app: TestApp) {
    for cmd in [
        &["correct", "add", "--help"][..],
        &["correct", "void", "--help"],
        &["correct", "move", "--help"],
        &["period", "list", "--help"],
        &["period", "lock", "--help"],
        &["export", "--help"],
    ] {
        let out = ok(&app, cmd).await;
        assert!(
            out.contains("Examples:") || out.contains("Example:"),
            "{cmd:?}: {out}"
        );
        assert!(out.contains("tidsvakt "), "{cmd:?}: {out}");
    }
    assert!(ok(&app, &["export", "--help"]).await.contains("excel-nb"));

    let [kari] = &staff(&app, &["E1"]).await[..] else {
        unreachable!()
    };
    post(&app, crate::payroll::day(&kari.employee_id, 10, 14, 16)).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oktober.csv");
    let out = ok(
        &app,
        &[
            "export",
            "--period",
            "2026-10",
            "--dialect",
            "excel-nb",
            "--out",
            path.to_str().unwrap(),
        ],
    )
    .await;
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(
        out,
        format!(
            "wrote 4 rows ({} bytes) for period 2026-10 to {}\n",
            bytes.len(),
            path.display()
        )
    );
    assert_eq!(&bytes[..3], &[0xEF, 0xBB, 0xBF]);
    let text = String::from_utf8(bytes).unwrap();
    assert!(
        text.contains(&format!(
            "\r\n2026-10;{};E1;WORKED;WORKED;;;450;7,50;;;\r\n",
            kari.employee_id
        )),
        "{text}"
    );
    let (code, err) = refused(
        &app,
        &app.admin_token,
        &["export", "--period", "2026-10", "--dialect", "excel"],
    )
    .await;
    assert_eq!(code, 2);
    assert!(
        err.contains("invalid value 'excel' for '--dialect <DIALECT>'"),
        "{err}"
    );
    assert!(err.contains("rfc4180, excel-nb"), "{err}");
}

crate::both_backends!(
    periods_are_listed_and_locked_from_the_command_line,
    corrections_from_the_command_line,
    help_has_examples_and_export_speaks_both_dialects,
);
