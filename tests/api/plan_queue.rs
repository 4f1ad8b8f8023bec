//! A change to the plans queues whom it re-judges in its own write (its
//! own transaction), each from local midnight of the first date it can
//! move, in their own time zone; a refused change queues nobody.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use tidsvakt::clock::Clock as _;
use tidsvakt::domain::engine::record::Span;
use tidsvakt::domain::ids::{EmployeeId, OrgId};
use tidsvakt::domain::policy::{Absence, AbsenceKind, HolidayKind, OrgHoliday};
use tidsvakt::storage::StoreError;
use tidsvakt::storage::derived::DerivedStore as _;
use tidsvakt::storage::policy::PolicyStore as _;
use uuid::Uuid;

use crate::helpers::*;

fn utc(d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap()
}

/// Every queued row: `(employee, span)`, by employee.
async fn queue(app: &TestApp, org: OrgId) -> Vec<(EmployeeId, Span)> {
    let mut rows: Vec<_> = app
        .store
        .pending_recomputes(Some(org), None, 1_000)
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.employee, p.span))
        .collect();
    rows.sort_by_key(|(e, _)| *e);
    rows
}

async fn drained(app: &TestApp, org: OrgId) {
    tidsvakt::recompute::drain(app.store.as_ref(), app.clock.now(), None, None)
        .await
        .unwrap();
    assert_eq!(queue(app, org).await, vec![]);
}

fn holiday(date: NaiveDate) -> OrgHoliday {
    OrgHoliday {
        id: Uuid::new_v4(),
        date,
        name: "Jubileum".into(),
        kind: HolidayKind::Public,
        window_start: None,
    }
}

async fn a_plan_change_queues_whom_it_rejudges_in_its_own_write(db: Db) {
    // The background worker rests for an hour: only this test drains.
    let app = spawn_app_with(db, |c| {
        c.jobs.recompute_rest = std::time::Duration::from_secs(3_600);
    })
    .await;
    let org = app.org_id().await;
    let oslo = EmployeeId(
        app.create_employee_in("E1", "Europe/Oslo")
            .await
            .employee_id
            .parse()
            .unwrap(),
    );
    let new_york = EmployeeId(
        app.create_employee_in("E2", "America/New_York")
            .await
            .employee_id
            .parse()
            .unwrap(),
    );
    drained(&app, org).await;
    let now = app.clock.now();
    let to = now + Duration::days(1);

    // A holiday on Tue 17 Nov re-judges everyone from its eve, local
    // midnight of Mon 16 Nov: 23:00 UTC the day before in Oslo, 05:00 UTC
    // in New York. The store's own write queues them, no handler after it.
    let h = app
        .store
        .add_holiday(
            org,
            holiday(NaiveDate::from_ymd_opt(2026, 11, 17).unwrap()),
            now,
        )
        .await
        .unwrap();
    let mut want = vec![
        (oslo, Span::new(utc(15, 23), to)),
        (new_york, Span::new(utc(16, 5), to)),
    ];
    want.sort_by_key(|(e, _)| *e);
    assert_eq!(queue(&app, org).await, want);
    // The HR console names the same people before a change.
    let named = app.store.rejudged(org, None).await.unwrap();
    assert_eq!(named, want.iter().map(|(e, _)| *e).collect::<Vec<_>>());
    drained(&app, org).await;

    // Refused changes queue nobody: the same date again, an unknown id.
    let again = app.store.add_holiday(org, holiday(h.date), now).await;
    assert!(
        matches!(again, Err(StoreError::Conflict { .. })),
        "{again:?}"
    );
    let unknown = app.store.remove_holiday(org, Uuid::new_v4(), now).await;
    assert!(
        matches!(unknown, Err(StoreError::NotFound(_))),
        "{unknown:?}"
    );
    assert_eq!(queue(&app, org).await, vec![]);

    // One employee's absence queues only them, from its first day.
    let absence = Absence {
        id: Uuid::new_v4(),
        employee: oslo,
        kind: AbsenceKind::Vacation,
        first: NaiveDate::from_ymd_opt(2026, 11, 18).unwrap(),
        last: NaiveDate::from_ymd_opt(2026, 11, 18).unwrap(),
        minutes_per_day: 0,
        note: String::new(),
        created_at: now,
        created_by: "test".into(),
        cancelled_at: None,
        cancel_reason: None,
    };
    app.store.create_absence(org, absence, now).await.unwrap();
    assert_eq!(
        queue(&app, org).await,
        vec![(oslo, Span::new(utc(17, 23), to))]
    );

    // Removing the holiday queues everyone again; Oslo's row widens.
    app.store.remove_holiday(org, h.id, now).await.unwrap();
    assert_eq!(queue(&app, org).await, want);
}

crate::both_backends_db!(a_plan_change_queues_whom_it_rejudges_in_its_own_write);
