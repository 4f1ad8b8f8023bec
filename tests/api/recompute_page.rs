//! A recompute round reads the inputs of employees who share a time zone
//! and the weeks their changes reach as one page (issue 15). What it stores
//! must be exactly what recomputing each of them alone stores.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use tidsvakt::domain::engine::finding::{Draft, Severity};
use tidsvakt::domain::engine::record::Span;
use tidsvakt::domain::ids::EmployeeId;
use tidsvakt::domain::policy::ValueUnit;
use tidsvakt::domain::rules::LONG_RULES;
use tidsvakt::pb;
use tidsvakt::pb::timesheet_service_client::TimesheetServiceClient;
use tidsvakt::storage::derived::{DerivedStore as _, RecomputeWrite, StoredDay};
use tidsvakt::storage::payroll::PageParts;

use crate::helpers::*;

use pb::EventKind::{BreakEnd, BreakStart, ClockIn, ClockOut};

crate::both_backends!(
    a_page_recompute_stores_what_recomputing_one_by_one_stores,
    a_page_write_skips_an_employee_whose_change_moved_on,
    the_background_worker_stores_a_day_nobody_reads,
    a_page_reconciles_long_rules_over_the_year_and_the_others_over_weeks
);

crate::both_backends_db!(a_recompute_page_leaves_what_a_pull_prices_to_the_database);

type Shape = Vec<(pb::EventKind, DateTime<Utc>)>;

/// Days of different shapes: over the daily limit, with a break, split,
/// open, a short rest across two days, and one a week earlier (a second
/// page: its change reaches other weeks).
fn shapes() -> Vec<Shape> {
    let day = Duration::days(1);
    vec![
        vec![(ClockIn, at(6, 0)), (ClockOut, at(18, 30))],
        vec![
            (ClockIn, at(7, 0)),
            (BreakStart, at(11, 0)),
            (BreakEnd, at(11, 30)),
            (ClockOut, at(15, 0)),
        ],
        vec![
            (ClockIn, at(5, 0)),
            (ClockOut, at(9, 0)),
            (ClockIn, at(13, 0)),
            (ClockOut, at(19, 30)),
        ],
        vec![(ClockIn, at(15, 0))],
        vec![
            (ClockIn, at(12, 0) - day),
            (ClockOut, at(22, 0) - day),
            (ClockIn, at(4, 0)),
            (ClockOut, at(12, 0)),
        ],
        vec![
            (ClockIn, at(6, 0) - day * 8),
            (ClockOut, at(19, 0) - day * 8),
        ],
    ]
}

async fn days_of(app: &TestApp, employee: EmployeeId) -> Vec<StoredDay> {
    let org = app.org_id().await;
    let (from, to) = (
        NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
    );
    app.store.day_totals(org, employee, from, to).await.unwrap()
}

async fn findings_of(app: &TestApp, employee: &str) -> Vec<pb::Finding> {
    TimesheetServiceClient::with_interceptor(
        app.channel.clone(),
        Bearer::for_token(&app.admin_token),
    )
    .list_findings(pb::ListFindingsRequest {
        scope: Some(pb::list_findings_request::Scope::EmployeeId(
            employee.into(),
        )),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner()
    .findings
}

async fn a_page_recompute_stores_what_recomputing_one_by_one_stores(app: TestApp) {
    let org = app.org_id().await;
    let mut ids = Vec::new();
    let mut events = Vec::new();
    for (i, shape) in shapes().into_iter().enumerate() {
        let id = app.create_employee(&format!("page-{i}")).await.employee_id;
        events.extend(shape.iter().map(|(k, t)| event(&id, *k, *t)));
        ids.push(id);
    }
    // One batch: every employee is queued by the same commit.
    let token = app.clock_token().await;
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    tx.send(pb::SyncEventsRequest { events }).await.unwrap();
    drop(tx);
    let mut answers = app
        .clock_client(&token)
        .sync_events(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap()
        .into_inner();
    let answer = answers.message().await.unwrap().unwrap();
    assert_eq!(answer.new_count, 17);

    let store: &dyn tidsvakt::storage::Store = app.store.as_ref();
    let now = tidsvakt::clock::Clock::now(app.clock.as_ref());
    tidsvakt::recompute::drain(store, now, None, None)
        .await
        .unwrap();
    let mut paged = Vec::new();
    for id in &ids {
        let e: EmployeeId = id.parse().unwrap();
        paged.push((days_of(&app, e).await, findings_of(&app, id).await));
    }
    // The 12.5 h day is stored whole, and judged.
    let long_day = paged[0]
        .0
        .iter()
        .find(|d| d.day == NaiveDate::from_ymd_opt(2026, 11, 19).unwrap())
        .map(|d| d.worked);
    assert_eq!(long_day, Some(45_000));
    assert!(
        paged[0].1.iter().any(|f| f.rule_id == "no.breaks"),
        "{:?}",
        paged[0].1
    );

    for (i, id) in ids.iter().enumerate() {
        let e: EmployeeId = id.parse().unwrap();
        let span = Span::new(at(0, 0) - Duration::days(10), at(23, 0));
        tidsvakt::recompute::recompute(store, now, org, e, span, None)
            .await
            .unwrap();
        let alone = (days_of(&app, e).await, findings_of(&app, id).await);
        assert_eq!(paged[i], alone, "employee {i} ({id})");
    }
}

/// A page is written in one transaction, but each employee keeps its own
/// answer: one whose queue row moved to a newer version since it was read
/// is skipped (its row and days untouched), the others are written and
/// their rows consumed.
async fn a_page_write_skips_an_employee_whose_change_moved_on(app: TestApp) {
    let org = app.org_id().await;
    let now = tidsvakt::clock::Clock::now(app.clock.as_ref());
    let a: EmployeeId = app
        .create_employee("page-a")
        .await
        .employee_id
        .parse()
        .unwrap();
    let b: EmployeeId = app
        .create_employee("page-b")
        .await
        .employee_id
        .parse()
        .unwrap();
    let span = Span::new(at(6, 0), at(18, 0));
    app.store
        .enqueue_recompute(org, [(a, span), (b, span)].into(), now)
        .await
        .unwrap();
    let read = app
        .store
        .pending_recomputes(Some(org), None, 10)
        .await
        .unwrap();
    let version = |e: EmployeeId| read.iter().find(|p| p.employee == e).unwrap().version;
    // B changes again after the page read its inputs.
    app.store
        .enqueue_recompute(org, [(b, span)].into(), now)
        .await
        .unwrap();
    let day = NaiveDate::from_ymd_opt(2026, 11, 19).unwrap();
    let write = |e: EmployeeId| RecomputeWrite {
        org,
        employee: e,
        version: Some(version(e)),
        days_from: day,
        days_to: day,
        days: vec![StoredDay {
            day,
            worked: 27_000,
            normal: 27_000,
            ..StoredDay::default()
        }],
        short: span,
        long: span,
        long_rules: &[],
        drafts: Vec::new(),
        pack: "no.aml".into(),
        pack_version: "1".into(),
        now,
        nudges: None,
    };
    let written = app
        .store
        .apply_recomputes(org, vec![write(a), write(b)])
        .await
        .unwrap();
    assert_eq!(written, vec![true, false]);
    let worked = |days: Vec<StoredDay>| days.iter().map(|d| d.worked).collect::<Vec<_>>();
    assert_eq!(worked(days_of(&app, a).await), vec![27_000]);
    assert_eq!(worked(days_of(&app, b).await), Vec::<i64>::new());
    let left = app
        .store
        .pending_recomputes(Some(org), None, 10)
        .await
        .unwrap();
    assert_eq!(
        left.iter()
            .filter(|p| p.employee == a || p.employee == b)
            .map(|p| (p.employee, p.version))
            .collect::<Vec<_>>(),
        vec![(b, version(b) + 1)]
    );
    // The same employee twice in one page is refused, and nothing is written.
    let twice = app
        .store
        .apply_recomputes(org, vec![write(b), write(b)])
        .await;
    assert!(twice.is_err(), "{twice:?}");
    assert_eq!(worked(days_of(&app, b).await), Vec::<i64>::new());
}

/// With no read asking for it, the background worker stores the day's
/// totals and empties the queue, and passes again for a later change.
async fn the_background_worker_stores_a_day_nobody_reads(app: TestApp) {
    let employee = app.create_employee("unread").await.employee_id;
    let id: EmployeeId = employee.parse().unwrap();
    let mut clock = app.clock_client(&app.clock_token().await);
    let intervals = [((8, 0), (14, 0)), ((14, 30), (15, 30))];
    let mut expected = 0;
    for ((h0, m0), (h1, m1)) in intervals {
        record_each(
            &mut clock,
            &[
                event(&employee, ClockIn, at(h0, m0)),
                event(&employee, ClockOut, at(h1, m1)),
            ],
        )
        .await;
        expected += (at(h1, m1) - at(h0, m0)).num_seconds();
        // Generous for a test suite on two cores: a pass takes milliseconds.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let queued = app.count("SELECT COUNT(*) FROM recompute_queue").await;
            let worked: i64 = days_of(&app, id).await.iter().map(|d| d.worked).sum();
            if queued == 0 && worked == expected {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "after 30 s: {queued} queued, {worked} s worked stored, {expected} s expected"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

/// A draft of `rule` for the day `days_ago` days before the test's day.
fn draft(rule: &'static str, days_ago: i64) -> Draft {
    let start = at(6, 0) - Duration::days(days_ago);
    Draft {
        rule_id: rule,
        severity: Severity::Warning,
        window: Span::new(start, start + Duration::hours(12)),
        at: start + Duration::hours(10),
        measured: 720,
        limit: 600,
        unit: ValueUnit::Minutes,
        limit_is_minimum: false,
        explanation: format!("{rule} {days_ago} days ago"),
        citation: "test",
        agreement: None,
        evidence: Vec::new(),
    }
}

/// A page's write reconciles the stored findings of a long rule whose
/// windows start in its long scope, a year back, and those of every other
/// rule only in its short scope: a short rule's open finding from months
/// ago is left as it is (only the long rules' are read from the year, so
/// that open findings piling up with history are not read by every
/// recompute; issue 15, thirtieth round). Employees of one page may have
/// different short scopes: the page reads from the earliest.
async fn a_page_reconciles_long_rules_over_the_year_and_the_others_over_weeks(app: TestApp) {
    let org = app.org_id().await;
    let now = tidsvakt::clock::Clock::now(app.clock.as_ref());
    let weekly_id = app.create_employee("weeks").await.employee_id;
    let yearly_id = app.create_employee("year").await.employee_id;
    let (weekly, yearly): (EmployeeId, EmployeeId) =
        (weekly_id.parse().unwrap(), yearly_id.parse().unwrap());
    let year = Span::new(at(0, 0) - Duration::days(371), at(23, 0));
    let weeks = Span::new(at(0, 0) - Duration::days(28), at(23, 0));
    let write = |e: EmployeeId, short: Span, drafts: Vec<Draft>| RecomputeWrite {
        org,
        employee: e,
        version: None,
        days_from: at(0, 0).date_naive(),
        days_to: at(0, 0).date_naive(),
        days: Vec::new(),
        short,
        long: year,
        long_rules: LONG_RULES,
        drafts,
        pack: "no.aml".into(),
        pack_version: "1".into(),
        now,
        nudges: None,
    };
    let stored = || {
        vec![
            draft("no.overtime_52w", 200),
            draft("no.breaks", 200),
            draft("no.breaks", 3),
            draft("no.overtime_52w", 3),
        ]
    };
    // Stored first with both scopes the year: four open findings each.
    let written = app
        .store
        .apply_recomputes(
            org,
            vec![write(weekly, year, stored()), write(yearly, year, stored())],
        )
        .await
        .unwrap();
    assert_eq!(written, vec![true, true]);
    let open = |findings: &[pb::Finding]| {
        let mut open: Vec<String> = findings
            .iter()
            .filter(|f| f.status == pb::FindingStatus::Open as i32)
            .map(|f| f.explanation.clone())
            .collect();
        open.sort();
        open
    };
    assert_eq!(open(&findings_of(&app, &weekly_id).await).len(), 4);
    assert_eq!(open(&findings_of(&app, &yearly_id).await).len(), 4);

    // Judged again in one page with nothing found, one employee's short
    // scope the weeks and the other's the year. The first's long rule's
    // findings in the year and short rule's in the weeks are resolved; its
    // short rule's finding from 200 days ago is outside its scope and stays
    // open. The second's findings are all in its scopes: all resolved.
    let written = app
        .store
        .apply_recomputes(
            org,
            vec![
                write(weekly, weeks, Vec::new()),
                write(yearly, year, Vec::new()),
            ],
        )
        .await
        .unwrap();
    assert_eq!(written, vec![true, true]);
    assert_eq!(
        open(&findings_of(&app, &weekly_id).await),
        vec!["no.breaks 200 days ago".to_string()]
    );
    assert_eq!(
        open(&findings_of(&app, &yearly_id).await),
        Vec::<String>::new()
    );
}

/// A recompute's page reads the records and plans alone
/// (`PageParts::Records`), not the first worked date, open findings and
/// queue mark a pull prices with. Asked for them anyway, its snapshot reads
/// them from the database and answers exactly what a pull's page
/// (`PageParts::Pricing`) answers in the same snapshot; such a page is
/// never taken out to be priced elsewhere.
async fn a_recompute_page_leaves_what_a_pull_prices_to_the_database(db: Db) {
    use tidsvakt::storage::payroll::PayrollStore as _;
    // The background worker rests for an hour: the queue row set below
    // stays until the test is done.
    let app = spawn_app_with(db, |c| {
        c.jobs.recompute_rest = std::time::Duration::from_secs(3_600);
    })
    .await;
    let org = app.org_id().await;
    let now = tidsvakt::clock::Clock::now(app.clock.as_ref());
    let id = app.create_employee("priced").await.employee_id;
    let e: EmployeeId = id.parse().unwrap();
    let mut clock = app.clock_client(&app.clock_token().await);
    for (kind, t) in [(ClockIn, at(6, 0)), (ClockOut, at(18, 30))] {
        clock
            .record_event(pb::RecordEventRequest {
                event: Some(event(&id, kind, t)),
            })
            .await
            .unwrap();
    }
    let store: &dyn tidsvakt::storage::Store = app.store.as_ref();
    tidsvakt::recompute::drain(store, now, None, None)
        .await
        .unwrap();
    // Queued again, so the queue mark is set.
    let span = Span::new(at(6, 0), at(18, 30));
    app.store
        .enqueue_recompute(org, [(e, span)].into(), now)
        .await
        .unwrap();

    let (from, to) = (at(0, 0) - Duration::days(1), at(23, 0));
    let day = NaiveDate::from_ymd_opt(2026, 11, 19).unwrap();
    let mut answers = Vec::new();
    let mut snapshot = app.store.payroll_snapshot(org).await.unwrap();
    for parts in [PageParts::Pricing, PageParts::Records] {
        snapshot
            .prefetch(&[e], (from, to), (day, day), parts)
            .await
            .unwrap();
        answers.push((
            snapshot.record_between(e, from, to).await.unwrap(),
            snapshot
                .open_findings(e, Span::new(from, to))
                .await
                .unwrap(),
            snapshot.recompute_queued(e).await.unwrap(),
            snapshot.first_worked(e).await.unwrap(),
        ));
    }
    let (record, open, queued, first) = &answers[0];
    assert_eq!(record.0.len(), 2);
    // The 12.5 h day without a break: the breaks rule at least.
    assert!(*open >= 1, "{open}");
    assert!(*queued);
    assert_eq!(*first, Some(day));
    assert_eq!(answers[1], answers[0], "a records-only page");
    assert!(
        snapshot.take_page().is_none(),
        "a records-only page cannot price"
    );
    snapshot
        .prefetch(&[e], (from, to), (day, day), PageParts::Pricing)
        .await
        .unwrap();
    assert!(snapshot.take_page().is_some(), "a pull's page can");
}
