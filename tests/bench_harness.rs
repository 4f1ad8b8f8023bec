//! Keeps `tidsvakt-bench` from rotting: a `--quick` run of one scenario
//! against the debug server binary. Not a timed assertion: it checks that
//! the table has its rows and ratios and the JSON has every round.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn bench() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tidsvakt-bench"));
    c.args(["--server", env!("CARGO_BIN_EXE_tidsvakt")]);
    c
}

/// A `--quick` run of `args` that must succeed: its table and its JSON.
fn quick_run(args: &[&str]) -> (String, serde_json::Value) {
    quick_run_in(bench(), args)
}

/// [`quick_run`] with `bench` as set up by the caller (its environment).
fn quick_run_in(mut bench: Command, args: &[&str]) -> (String, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("out.json");
    let out = bench
        .args(["--quick", "--json"])
        .arg(&json)
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    (stdout, report)
}

#[test]
fn quick_record_sqlite_prints_the_row_and_its_ratio() {
    let (stdout, report) = quick_run(&["record-sqlite"]);
    assert!(
        stdout.contains("| RecordEvent, SQLite, 8 clients | "),
        "{stdout}"
    );
    assert!(stdout.contains("no-op gRPC server, 8 clients"), "{stdout}");
    assert!(stdout.contains("load average before "), "{stdout}");

    let scenarios = report["scenarios"].as_array().unwrap();
    assert_eq!(scenarios.len(), 1);
    let s = &scenarios[0];
    assert_eq!(s["id"], "record-sqlite");
    let rounds = s["rounds"].as_array().unwrap();
    assert_eq!(rounds.len(), 3);
    for r in rounds {
        // 8 clients × 20 events on each side, every round.
        assert_eq!(r["tidsvakt"]["ops"], 160);
        assert_eq!(r["ceiling"]["ops"], 160);
        assert!(r["tidsvakt"]["per_second"].as_f64().unwrap() > 0.0);
        assert!(r["tidsvakt"]["cpu_us_per_op"].as_f64().unwrap() >= 0.0);
        assert!(r["ceiling"]["cpu_us_per_op"].as_f64().unwrap() >= 0.0);
        // SQLite's work is in the server's own process.
        assert!(r["tidsvakt"]["db_cpu_us_per_op"].is_null(), "{r}");
    }
    let ratio = &s["summary"]["ratio"];
    let (min, median, max) = (
        ratio["min"].as_f64().unwrap(),
        ratio["median"].as_f64().unwrap(),
        ratio["max"].as_f64().unwrap(),
    );
    assert!(min > 0.0 && min <= median && median <= max, "{ratio}");
    assert_eq!(report["settings"]["employees"], 50);
}

/// On PostgreSQL the database's backends' CPU is counted for both sides,
/// every round, and printed beside the server's.
#[test]
fn quick_sync_postgres_counts_the_database_cpu_of_both_sides() {
    let Some(pg) = std::env::var("TIDSVAKT_TEST_PG_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        // Straight to stderr: the test runner captures `eprintln!`.
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "\n!!! TIDSVAKT_TEST_PG_URL is not set: the bench harness's PostgreSQL run is SKIPPED.\n"
        );
        return;
    };
    let mut with_pg = bench();
    with_pg.env("TIDSVAKT_BENCH_PG_URL", pg);
    let (stdout, report) = quick_run_in(with_pg, &["sync-postgres"]);
    let header = "database CPU per operation, µs: Tidsvakt / ceiling";
    assert!(stdout.contains(header), "{stdout}");
    let s = &report["scenarios"][0];
    assert_eq!(s["id"], "sync-postgres");
    let rounds = s["rounds"].as_array().unwrap();
    assert_eq!(rounds.len(), 3);
    for r in rounds {
        for side in ["tidsvakt", "ceiling"] {
            let cpu = r[side]["db_cpu_us_per_op"].as_f64();
            assert!(cpu.is_some_and(|c| c >= 0.0), "{side}: {r}");
        }
        // The part while the calls ran: Tidsvakt's side only (the
        // ceiling has no recompute after its round).
        let in_round = r["tidsvakt"]["db_cpu_in_round_us_per_op"].as_f64();
        assert!(in_round.is_some_and(|c| c >= 0.0), "{r}");
        assert!(r["ceiling"]["db_cpu_in_round_us_per_op"].is_null(), "{r}");
    }
    // The second table's row: its fifth cell is the database's CPU, both
    // sides (the first table's row has a "p50 / p99" cell of its own).
    let row = stdout
        .lines()
        .skip_while(|l| !l.contains(header))
        .find(|l| l.starts_with("| SyncEvents"))
        .unwrap_or_else(|| panic!("no row under the CPU table in\n{stdout}"));
    let cells: Vec<&str> = row.split('|').map(str::trim).collect();
    assert!(cells[5].contains(" / ") && !cells[5].contains('—'), "{row}");
    // The sixth, Tidsvakt's database CPU while the calls ran.
    assert!(
        !cells[6].is_empty() && !cells[6].contains('—') && !cells[6].contains(" / "),
        "{row}"
    );
}

#[test]
fn quick_freshness_prints_the_lag_of_every_round() {
    let (stdout, report) = quick_run(&["--rounds", "2", "freshness-sqlite"]);
    assert!(
        stdout.contains(
            "| scenario | rate held, events/s | findings' lag p99, s | lag at most, s | goal |"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "| RecordEvent held at 100 events/s for 2 s, SQLite, 8 clients (freshness) | "
        ),
        "{stdout}"
    );
    let s = &report["scenarios"][0];
    assert_eq!(s["id"], "freshness-sqlite");
    let rounds = s["rounds"].as_array().unwrap();
    assert_eq!(rounds.len(), 2);
    for r in rounds {
        // 100 events/s for 2 s, 8 clients × 25 calls, on each side.
        assert_eq!(r["tidsvakt"]["ops"], 200);
        assert_eq!(r["ceiling"]["ops"], 200);
        let lag = &r["lag"];
        let (p99, max) = (
            lag["p99_s"].as_f64().unwrap(),
            lag["max_s"].as_f64().unwrap(),
        );
        assert!(p99 <= max, "{lag}");
        // Sampled every 50 ms for at least the 2 s of the round.
        assert!(lag["samples"].as_u64().unwrap() >= 30, "{lag}");
    }
    assert!(s["summary"]["lag_p99_s"]["median"].as_f64().is_some());
    assert!(s["rounds"][0]["lag"].is_object());
}

#[test]
fn quick_plan_change_runs_every_round() {
    let (stdout, report) = quick_run(&["--rounds", "2", "plan-change-sqlite"]);
    assert!(
        stdout.contains("| AddHoliday for the whole organisation, SQLite, 100 employees | "),
        "{stdout}"
    );
    let s = &report["scenarios"][0];
    assert_eq!(s["id"], "plan-change-sqlite");
    let rounds = s["rounds"].as_array().unwrap();
    assert_eq!(rounds.len(), 2);
    for r in rounds {
        // One call, and one transaction of the whole queue, a round.
        assert_eq!(r["tidsvakt"]["ops"], 1);
        assert_eq!(r["ceiling"]["ops"], 1);
    }
}

#[test]
fn an_unknown_scenario_is_refused_by_name() {
    let out = bench().args(["--quick", "record-sqlit"]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "unknown scenario 'record-sqlit'; the scenarios are: record-sqlite, record-postgres"
        ),
        "{stderr}"
    );
}

#[test]
fn history_weeks_out_of_range_is_refused_by_name() {
    let out = bench()
        .args(["--quick", "--history-weeks", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--history-weeks: 0 is outside 1..=52"),
        "{stderr}"
    );
}
