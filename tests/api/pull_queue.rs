//! What a `ListTotals` pull waits for (issue 15): a queue of changes it
//! can apply in one round is applied first, so a quiet organisation's pull
//! is exact; a longer one is left to the background worker, and the pull
//! marks those employees (`open_findings_pending`) without waiting.

use chrono::{Duration, TimeZone, Utc};
use tidsvakt::clock::Clock as _;
use tidsvakt::pb;
use tidsvakt::pb::payroll_service_client::PayrollServiceClient;
use tidsvakt::storage::derived::DerivedStore as _;

use crate::helpers::*;

use pb::EventKind::{ClockIn, ClockOut};

/// `recompute::READ_ROUND`: the employees one round recomputes.
const ONE_ROUND: usize = 64;

/// Employees created on 1 Nov 2026, so 19 Nov is a working day for them.
async fn employees(app: &TestApp, n: usize) -> Vec<String> {
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 1, 6, 0, 0).unwrap());
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(app.create_employee(&format!("E{i:03}")).await.employee_id);
    }
    app.clock.set(test_now());
    ids
}

async fn record(app: &TestApp, ids: &[String], kind: pb::EventKind, t: chrono::DateTime<Utc>) {
    let mut clock = app.clock_client(&app.admin_token);
    let events: Vec<_> = ids.iter().map(|id| event(id, kind, t)).collect();
    record_each(&mut clock, &events).await;
}

async fn queued(app: &TestApp) -> usize {
    let org = app.org_id().await;
    app.store
        .pending_recomputes(Some(org), None, 1_000)
        .await
        .unwrap()
        .len()
}

/// `(employees sent, employees marked pending)` of one pull of 2026-11.
async fn pull(app: &TestApp) -> (usize, usize) {
    let mut stream = PayrollServiceClient::with_interceptor(
        app.channel.clone(),
        Bearer::for_token(&app.admin_token),
    )
    .list_totals(pb::ListTotalsRequest {
        period_id: "2026-11".into(),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner();
    let (mut sent, mut marked) = (0, 0);
    while let Some(m) = stream.message().await.unwrap() {
        sent += 1;
        marked += usize::from(m.totals.unwrap().open_findings_pending);
    }
    (sent, marked)
}

async fn a_pull_applies_one_rounds_queue_and_marks_a_longer_one(db: Db) {
    // The background worker rests for an hour: only the pull may drain.
    let app = spawn_app_with(db, |c| {
        c.jobs.recompute_rest = std::time::Duration::from_secs(3_600);
    })
    .await;
    let ids = employees(&app, ONE_ROUND + 1).await;
    let first = at(8, 0);
    record(&app, &ids[..ONE_ROUND], ClockIn, first).await;
    assert_eq!(queued(&app).await, ONE_ROUND);

    // One round's worth: applied before the snapshot, nothing marked.
    assert_eq!(pull(&app).await, (ONE_ROUND + 1, 0));
    assert_eq!(queued(&app).await, 0, "the pull applied the queue");

    // One more than a round: the pull does not wait, and marks them all.
    record(
        &app,
        &ids[..ONE_ROUND],
        ClockOut,
        first + Duration::hours(8),
    )
    .await;
    record(&app, &ids[ONE_ROUND..], ClockIn, first).await;
    assert_eq!(queued(&app).await, ONE_ROUND + 1);
    assert_eq!(pull(&app).await, (ONE_ROUND + 1, ONE_ROUND + 1));
    assert_eq!(queued(&app).await, ONE_ROUND + 1, "the pull left the queue");

    // Once the queue is applied, the next pull is exact again.
    tidsvakt::recompute::drain(app.store.as_ref(), app.clock.now(), None, None)
        .await
        .unwrap();
    assert_eq!(pull(&app).await, (ONE_ROUND + 1, 0));
}

crate::both_backends_db!(a_pull_applies_one_rounds_queue_and_marks_a_longer_one);
