//! Property: any permutation of a set of events, with any of them repeated,
//! posted one by one or in batches, yields the same stored events and the
//! same clock status, the same timesheet figures, the same findings and the
//! same payroll lines as posting them once, in order; and a payroll pull
//! gives the same bytes twice.

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::Duration;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use tidsvakt::pb;
use uuid::Uuid;

use crate::helpers::*;

/// One generated event: kind, minutes after 06:00, at home or not.
type Spec = (i32, i64, bool);

#[derive(Clone, Debug)]
struct Plan {
    events: Vec<Spec>,
    /// Order in which the events are posted (indexes into `events`).
    order: Vec<usize>,
    /// Indexes posted a second time, at the end.
    repeats: Vec<usize>,
    /// 0 = `RecordEvent` one by one; k = `SyncEvents` messages of k events.
    batch: usize,
}

fn plans() -> impl Strategy<Value = Plan> {
    prop::collection::vec((1..=4i32, 0..720i64, any::<bool>()), 1..8)
        .prop_flat_map(|events| {
            let n = events.len();
            (
                Just(events),
                Just((0..n).collect::<Vec<_>>()).prop_shuffle(),
                prop::collection::vec(0..n, 0..4),
                0..4usize,
            )
        })
        .prop_map(|(events, order, repeats, batch)| Plan {
            events,
            order,
            repeats,
            batch,
        })
}

fn to_event(employee_id: &str, id: &str, spec: Spec) -> pb::ClockEvent {
    let (kind, minutes, home) = spec;
    let mut e = event(
        employee_id,
        pb::EventKind::try_from(kind).unwrap(),
        at(6, 0) + Duration::minutes(minutes),
    );
    id.clone_into(&mut e.event_id);
    if kind == pb::EventKind::ClockIn as i32 || kind == pb::EventKind::BreakEnd as i32 {
        e.location = if home {
            pb::Location::Home
        } else {
            pb::Location::Office
        } as i32;
    }
    e
}

/// Posts `events` in `sequence` order; returns nothing, checks every reply.
async fn post(
    app: &TestApp,
    token: &str,
    events: &[pb::ClockEvent],
    sequence: &[usize],
    batch: usize,
) {
    let mut client = app.clock_client(token);
    if batch == 0 {
        for &i in sequence {
            client
                .record_event(pb::RecordEventRequest {
                    event: Some(events[i].clone()),
                })
                .await
                .unwrap();
        }
    } else {
        let messages: Vec<pb::SyncEventsRequest> = sequence
            .chunks(batch)
            .map(|c| pb::SyncEventsRequest {
                events: c.iter().map(|&i| events[i].clone()).collect(),
            })
            .collect();
        let count = messages.len();
        let mut replies = client
            .sync_events(tokio_stream::iter(messages))
            .await
            .unwrap()
            .into_inner();
        for _ in 0..count {
            let r = replies.message().await.unwrap().unwrap();
            assert_eq!(r.rejected_count, 0, "{r:?}");
        }
    }
}

/// What must not depend on arrival: stored content and status, with event
/// ids replaced by their index in the plan.
async fn observe(
    app: &TestApp,
    employee_id: &str,
    ids: &[String],
) -> (Vec<(usize, String)>, String) {
    let index: HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut stored: Vec<(usize, String)> = app
        .stored_events(employee_id)
        .await
        .into_iter()
        .map(|s| {
            let e = s.event;
            (
                index[e.event_id.to_string().as_str()],
                format!("{:?} {} {:?}", e.kind, e.occurred_at, e.location),
            )
        })
        .collect();
    stored.sort();
    let mut s = app.clock_status(employee_id).await;
    s.employee_id.clear();
    s.last_event_id = index
        .get(s.last_event_id.as_str())
        .map(ToString::to_string)
        .unwrap_or_default();
    let sheet = pb::timesheet_service_client::TimesheetServiceClient::with_interceptor(
        app.channel.clone(),
        Bearer::for_token(&app.admin_token),
    )
    .get_timesheet(pb::GetTimesheetRequest {
        employee_id: employee_id.into(),
        dates: Some(pb::LocalDateRange {
            start: Some(pb::LocalDate {
                year: 2026,
                month: 11,
                day: 19,
            }),
            end: Some(pb::LocalDate {
                year: 2026,
                month: 11,
                day: 19,
            }),
        }),
    })
    .await
    .unwrap()
    .into_inner();
    let day = &sheet.days[0];
    // Open findings only: a finding resolved along the way is history that
    // depends, rightly, on the order things arrived in.
    let mut findings: Vec<String> = sheet
        .findings
        .iter()
        .filter(|f| f.status() == pb::FindingStatus::Open)
        .map(|f| {
            format!(
                "{} {:?} {} {} {:?} {:?}",
                f.rule_id,
                f.severity(),
                f.measured,
                f.limit,
                f.at,
                f.status()
            )
        })
        .collect();
    // Findings with the same `at` are listed by id, which differs between
    // runs (a home-share pattern and a missing clock-out can share an `at`).
    findings.sort();
    let figures = format!(
        "worked {} normal {} overtime {} night {} home {} intervals {} findings {findings:?}",
        day.worked_minutes,
        day.normal_minutes,
        day.overtime_minutes,
        day.night_minutes,
        day.home_minutes,
        day.intervals.len()
    );
    (
        stored,
        format!(
            "{s:?} {figures} payroll {}",
            payroll(app, employee_id).await
        ),
    )
}

/// The employee's payroll lines for November, with the same CSV pulled
/// twice byte for byte.
async fn payroll(app: &TestApp, employee_id: &str) -> String {
    let mut client = pb::payroll_service_client::PayrollServiceClient::with_interceptor(
        app.channel.clone(),
        Bearer::for_token(&app.admin_token),
    );
    let filter = Some(pb::TotalsFilter {
        employee_ids: vec![employee_id.into()],
        ..Default::default()
    });
    let mut csv = Vec::new();
    for _ in 0..2 {
        let mut stream = client
            .export_totals_csv(pb::ExportTotalsCsvRequest {
                period_id: "2026-11".into(),
                filter: filter.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let mut bytes = Vec::new();
        while let Some(m) = stream.message().await.unwrap() {
            bytes.extend(m.chunk);
        }
        csv.push(bytes);
    }
    assert_eq!(csv[0], csv[1], "the same pull twice gives the same bytes");
    let mut stream = client
        .list_totals(pb::ListTotalsRequest {
            period_id: "2026-11".into(),
            filter,
            cursor: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let mut out = String::new();
    while let Some(m) = stream.message().await.unwrap() {
        for l in m.totals.unwrap().lines {
            let _ = write!(
                out,
                "{:?} {} {} {} {} {};",
                l.category(),
                l.rate_percent,
                l.absence_kind,
                l.pay_code,
                l.minutes,
                l.count
            );
        }
    }
    out
}

fn arrival_order_does_not_matter(db: &Db) {
    let (rt, app, token) = app_for_properties(db);
    let mut runner = TestRunner::new(Config {
        cases: 32,
        ..Config::default()
    });
    let employees = std::sync::atomic::AtomicUsize::new(0);
    runner
        .run(&plans(), |plan| {
            rt.block_on(async {
                let k = employees.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let in_order = app.create_employee(&format!("A{k}")).await;
                let shuffled = app.create_employee(&format!("B{k}")).await;
                let n = plan.events.len();
                // Sorted, so the two records' ids rank alike: events equal in
                // kind, instant and location are told apart by id, and the
                // test's labels must not depend on which random id is smaller.
                let mut ids_a: Vec<String> = (0..n).map(|_| Uuid::new_v4().to_string()).collect();
                let mut ids_b: Vec<String> = (0..n).map(|_| Uuid::new_v4().to_string()).collect();
                ids_a.sort();
                ids_b.sort();
                let events_a: Vec<_> = (0..n)
                    .map(|i| to_event(&in_order.employee_id, &ids_a[i], plan.events[i]))
                    .collect();
                let events_b: Vec<_> = (0..n)
                    .map(|i| to_event(&shuffled.employee_id, &ids_b[i], plan.events[i]))
                    .collect();
                post(&app, &token, &events_a, &(0..n).collect::<Vec<_>>(), 0).await;
                let sequence: Vec<usize> = plan
                    .order
                    .iter()
                    .chain(plan.repeats.iter())
                    .copied()
                    .collect();
                post(&app, &token, &events_b, &sequence, plan.batch).await;
                let expected = observe(&app, &in_order.employee_id, &ids_a).await;
                let actual = observe(&app, &shuffled.employee_id, &ids_b).await;
                prop_assert_eq!(actual, expected);
                Ok(())
            })
        })
        .unwrap();
}

#[test]
fn arrival_order_and_repetition_change_nothing_on_sqlite() {
    arrival_order_does_not_matter(&Db::Sqlite);
}

#[test]
fn arrival_order_and_repetition_change_nothing_on_postgres() {
    if let Some(url) = pg_url() {
        arrival_order_does_not_matter(&Db::Postgres(url));
    }
}
