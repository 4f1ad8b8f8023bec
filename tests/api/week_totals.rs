//! History read as week rows (`week_totals`, SQLite): a recompute that
//! judges 52-week windows from stored weeks must find what the full record
//! gives, and the week rows must stay the sum of the day rows through
//! corrections and upgrades.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike as _, Duration, NaiveDate, TimeZone as _, Utc};
use sqlx::Connection as _;
use tidsvakt::pb;
use tidsvakt::pb::EventKind::{ClockIn, ClockOut};
use tidsvakt::pb::timesheet_service_client::TimesheetServiceClient;
use tidsvakt::storage::derived::DerivedStore as _;

use crate::helpers::*;

/// Weeks of work before the tests' now: Mondays from 2025-11-24.
const WEEKS: i64 = 50;

/// Mon–Fri 06:00–16:30 UTC for [`WEEKS`] weeks from Monday 2025-11-24:
/// 10.5 h a day, overtime every day, 500 events.
fn a_year_of_long_days(id: &str) -> Vec<pb::ClockEvent> {
    let monday = Utc.with_ymd_and_hms(2025, 11, 24, 6, 0, 0).unwrap();
    (0..WEEKS)
        .flat_map(|w| (0..5).map(move |d| monday + Duration::weeks(w) + Duration::days(d)))
        .flat_map(|start| {
            [
                event(id, ClockIn, start),
                event(id, ClockOut, start + Duration::minutes(630)),
            ]
        })
        .collect()
}

async fn sync(app: &TestApp, events: Vec<pb::ClockEvent>) -> i32 {
    sync_one_message(&mut app.clock_client(&app.admin_token), events)
        .await
        .new_count
}

/// One hour of work 08:00–09:00 UTC on the tests' day, two weeks after
/// the seeded work: a recompute whose long windows reach back a year.
/// Returns its start.
async fn an_hour_today(app: &TestApp, id: &str) -> DateTime<Utc> {
    let today = test_now() - Duration::hours(12);
    let hour = vec![
        event(id, ClockIn, today),
        event(id, ClockOut, today + Duration::hours(1)),
    ];
    assert_eq!(sync(app, hour).await, 2);
    today
}

/// The findings (as [`findings`] gives them) of `rule`.
fn of_rule(all: &[String], rule: &str) -> Vec<String> {
    all.iter()
        .filter(|f| f.split_whitespace().next() == Some(rule))
        .cloned()
        .collect()
}

/// The employee's findings as comparable text, sorted, every page (a read
/// drains the employee's recomputes first).
async fn findings(app: &TestApp, id: &str) -> Vec<String> {
    let mut client = TimesheetServiceClient::with_interceptor(
        app.channel.clone(),
        Bearer::for_token(&app.admin_token),
    );
    let mut out = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_findings(pb::ListFindingsRequest {
                scope: Some(pb::list_findings_request::Scope::EmployeeId(id.into())),
                page: Some(pb::PageRequest {
                    page_size: 500,
                    page_token,
                }),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        out.extend(page.findings.iter().map(|f| {
            format!(
                "{} {:?} {:?} {:?} {} {} {}",
                f.rule_id,
                f.window_start.as_ref().map(|t| t.seconds),
                f.window_end.as_ref().map(|t| t.seconds),
                f.at.as_ref().map(|t| t.seconds),
                f.measured,
                f.severity,
                f.status
            )
        }));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    out.sort();
    out
}

/// Worked seconds per ISO week and every overtime span (sorted) of a read
/// history, however its rows are cut.
fn weekly(
    h: &tidsvakt::storage::derived::StoredHistory,
) -> (BTreeMap<NaiveDate, i64>, Vec<(i64, i64)>) {
    let mut weeks: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    let mut spans = Vec::new();
    for d in &h.days {
        *weeks
            .entry(d.day - Duration::days(i64::from(d.day.weekday().num_days_from_monday())))
            .or_default() += d.worked;
        spans.extend(
            d.overtime_spans
                .iter()
                .map(|s| (s.start.timestamp(), s.end.timestamp())),
        );
    }
    for w in &h.weeks {
        *weeks.entry(w.monday).or_default() += w.worked;
        spans.extend(
            w.overtime_spans
                .iter()
                .map(|s| (s.start.timestamp(), s.end.timestamp())),
        );
    }
    spans.sort_unstable();
    (weeks, spans)
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// What differs between two lists of findings (as [`findings`] gives
/// them) whose windows start before `before`: empty when they agree.
fn differences(a: &[String], b: &[String], before: DateTime<Utc>) -> Vec<String> {
    let early = |f: &&String| {
        let start: i64 = f
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.strip_prefix("Some("))
            .and_then(|s| s.strip_suffix(')'))
            .and_then(|s| s.parse().ok())
            .unwrap_or(i64::MAX);
        start < before.timestamp()
    };
    let a: std::collections::BTreeSet<&String> = a.iter().filter(early).collect();
    let b: std::collections::BTreeSet<&String> = b.iter().filter(early).collect();
    a.symmetric_difference(&b).map(|f| (*f).clone()).collect()
}

/// Week rows that differ from the sum of their days, plus days summed into
/// no week row: 0 when the two tables agree (SQLite).
async fn weeks_off(app: &TestApp) -> i64 {
    app.count(
        "SELECT COUNT(*) FROM ( \
           SELECT organisation_id, employee_id, date(day, 'weekday 0', '-6 days') AS monday, \
                  SUM(worked) AS worked FROM day_totals GROUP BY 1, 2, 3) d \
         FULL OUTER JOIN week_totals w USING (organisation_id, employee_id, monday) \
         WHERE d.worked IS NOT w.worked",
    )
    .await
}

async fn long_windows_from_week_rows_match_the_full_record(app: TestApp) {
    let e = app.create_employee("E1").await;
    let id = e.employee_id;
    assert_eq!(sync(&app, a_year_of_long_days(&id)).await, 500);
    // The year arrived as one change: its recompute loaded every event,
    // so these findings read no stored history.
    let full = findings(&app, &id).await;
    assert_eq!(of_rule(&full, "no.overtime_52w").len(), 1, "{full:#?}");

    // One hour today: its recompute judges the 52-week windows of the past
    // year from stored history (week rows on SQLite) and finds the same
    // breach: an hour of normal time two weeks after the last long day.
    // (Findings of other long rules judged from history keep their window
    // and measure but may move their `at`, on both back-ends alike: stored
    // totals do not say when within a date a limit was crossed.)
    an_hour_today(&app, &id).await;
    let after = findings(&app, &id).await;
    assert_eq!(
        of_rule(&after, "no.overtime_52w"),
        of_rule(&full, "no.overtime_52w")
    );

    // What a recompute reads: per date, and (SQLite) whole weeks as week
    // rows. Loaded dates from Monday 2026-10-12: 46 weeks of long days
    // before them, 230 dates.
    let org = app.org_id().await;
    let employee = tidsvakt::domain::ids::EmployeeId(id.parse().unwrap());
    let dates = (date(2025, 11, 1), date(2026, 12, 31));
    let trusted = (date(2026, 10, 12), date(2026, 12, 1));
    let read = |daily: bool| {
        let store = app.store.clone();
        async move {
            store
                .history_of(org, &[(employee, daily)], dates, trusted)
                .await
                .unwrap()
                .remove(&employee)
                .unwrap()
        }
    };
    let (by_day, by_week) = (read(true).await, read(false).await);
    assert_eq!((by_day.days.len(), by_day.weeks.len()), (230, 0));
    let expected = if matches!(app.db, Db::Sqlite) {
        (0, 46)
    } else {
        (230, 0)
    };
    assert_eq!((by_week.days.len(), by_week.weeks.len()), expected);
    assert_eq!(weekly(&by_week), weekly(&by_day));

    if matches!(app.db, Db::Sqlite) {
        assert_eq!(
            app.count("SELECT COUNT(*) FROM week_totals").await,
            WEEKS + 1
        );
        assert_eq!(weeks_off(&app).await, 0);
    }
}

async fn week_rows_follow_a_correction_of_a_past_week(app: TestApp) {
    let e = app.create_employee("E1").await;
    let id = e.employee_id;
    let events = a_year_of_long_days(&id);
    assert_eq!(sync(&app, events.clone()).await, 500);
    let before = findings(&app, &id).await;
    // In week 30 of the 50, a Wednesday's clock-out is voided: that day's
    // interval stays open (no worked time), so its week loses 10.5 h.
    let out = &events[30 * 10 + 5];
    assert_eq!(out.kind, ClockOut as i32);
    let void = pb::correct_event_request::Change::Void(pb::VoidEventChange {
        event_id: out.event_id.clone(),
    });
    app.clock_client(&app.admin_token)
        .correct_event(crate::clock::correction(&id, void))
        .await
        .unwrap();
    let after = findings(&app, &id).await;
    assert_ne!(after, before, "the voided day changes the judged weeks");
    if matches!(app.db, Db::Sqlite) {
        assert_eq!(weeks_off(&app).await, 0);
        let week = Utc.with_ymd_and_hms(2025, 11, 24, 0, 0, 0).unwrap() + Duration::weeks(30);
        let worked = app
            .count(&format!(
                "SELECT worked FROM week_totals WHERE monday = '{}'",
                week.date_naive()
            ))
            .await;
        assert_eq!(worked, 4 * 630 * 60, "four days of 10.5 h");
    }
}

/// An averaging agreement's periods are summed per date, so its employee's
/// history stays day rows (`needs_daily_history`). Nine weeks at 45 h of
/// normal time (9 h a day, under the agreement's 10 h cap) from Monday
/// 2026-06-01 break the 40 h average of the first 8-week period; a recompute
/// in November judges that period from stored history alone.
async fn an_averaging_period_judged_from_history_matches_the_full_record(app: TestApp) {
    use tidsvakt::pb::EventKind::{BreakEnd, BreakStart};
    let e = app.create_employee("E1").await;
    let id = e.employee_id;
    app.admin()
        .create_agreement(pb::CreateAgreementRequest {
            agreement: Some(pb::Agreement {
                employee_id: id.clone(),
                basis: pb::AgreementBasis::Individual as i32,
                valid_from: Some(pb::LocalDate {
                    year: 2026,
                    month: 6,
                    day: 1,
                }),
                reference: "averaging, signed 2026-05-20".into(),
                terms: Some(pb::agreement::Terms::Averaging(pb::AveragingTerms {
                    period_weeks: 8,
                    daily_cap_minutes: 600,
                    weekly_cap_minutes: 2880,
                })),
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    // 08:00–17:30 in Oslo (summer time) with a 30 min break.
    let monday = Utc.with_ymd_and_hms(2026, 6, 1, 6, 0, 0).unwrap();
    let events: Vec<pb::ClockEvent> = (0..9)
        .flat_map(|w| (0..5).map(move |d| monday + Duration::weeks(w) + Duration::days(d)))
        .flat_map(|start| {
            [
                event(&id, ClockIn, start),
                event(&id, BreakStart, start + Duration::hours(4)),
                event(&id, BreakEnd, start + Duration::minutes(270)),
                event(&id, ClockOut, start + Duration::minutes(570)),
            ]
        })
        .collect();
    assert_eq!(sync(&app, events).await, 180);
    let full = findings(&app, &id).await;
    assert_eq!(of_rule(&full, "no.averaging").len(), 1, "{full:#?}");

    let today = an_hour_today(&app, &id).await;
    let after = findings(&app, &id).await;
    assert_eq!(
        differences(&after, &full, today - Duration::days(7)),
        Vec::<String>::new()
    );
}

crate::both_backends!(
    long_windows_from_week_rows_match_the_full_record,
    week_rows_follow_a_correction_of_a_past_week,
    an_averaging_period_judged_from_history_matches_the_full_record
);

/// A database with day totals from before `week_totals` existed gets its
/// weeks built when the server opens it, and so does one an older binary
/// (which keeps no weeks) wrote day totals to after that.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_migration_builds_the_weeks_of_stored_days() {
    let dir = tempfile::tempdir().unwrap();
    let older = dir.path().join("migrations");
    std::fs::create_dir(&older).unwrap();
    for f in std::fs::read_dir("migrations/sqlite").unwrap() {
        let f = f.unwrap();
        let name = f.file_name().into_string().unwrap();
        if name.as_str() < "0035" {
            std::fs::copy(f.path(), older.join(&name)).unwrap();
        }
    }
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    sqlx::migrate::Migrator::new(older.as_path())
        .await
        .unwrap()
        .run(&mut conn)
        .await
        .unwrap();
    // Thu 2026-11-19 and Sun 2026-11-22 (one week), Mon 2026-11-23 (the next).
    for (day, worked, spans) in [
        ("2026-11-19", 36_000, "1:2"),
        ("2026-11-22", 3_600, ""),
        ("2026-11-23", 7_200, "3:4,5:6"),
    ] {
        sqlx::query(
            "INSERT INTO day_totals (organisation_id, employee_id, day, worked, normal, overtime, \
             night, sunday_holiday, home, overtime_spans) VALUES ('o', 'e', $1, $2, 0, 0, 0, 0, 0, $3)",
        )
        .bind(day)
        .bind(worked)
        .bind(spans)
        .execute(&mut conn)
        .await
        .unwrap();
    }
    conn.close().await.unwrap();
    let migrate = || {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_tidsvakt"))
            .args(["migrate", "--database-url", &url])
            .output()
    };
    let first = migrate().await.unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let weeks = || async {
        let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
        let weeks: Vec<(String, i64, String)> = sqlx::query_as(
            "SELECT monday, worked, overtime_spans FROM week_totals ORDER BY monday",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        weeks
    };
    assert_eq!(
        weeks().await,
        vec![
            ("2026-11-16".into(), 39_600, "1:2".into()),
            ("2026-11-23".into(), 7_200, "3:4,5:6".into()),
        ]
    );

    // An older binary replaces the Monday's row and adds a Wednesday,
    // keeping no weeks; the next start mends them.
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    sqlx::query("DELETE FROM day_totals WHERE day = '2026-11-23'")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO day_totals (organisation_id, employee_id, day, worked, normal, overtime, \
         night, sunday_holiday, home, overtime_spans) VALUES ('o', 'e', '2026-11-25', 600, 0, 0, 0, 0, 0, '')",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    assert!(migrate().await.unwrap().status.success());
    assert_eq!(
        weeks().await,
        vec![
            ("2026-11-16".into(), 39_600, "1:2".into()),
            ("2026-11-23".into(), 600, String::new()),
        ]
    );
}
