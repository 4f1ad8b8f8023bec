//! The `eu-wtd` and `de-arbzg` packs over gRPC on both back-ends (issue 13:
//! until now only `no-aml` was exercised end to end).

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Europe::Oslo;
use tidsvakt::pb;
use tidsvakt::pb::timesheet_service_client::TimesheetServiceClient;

use crate::helpers::*;

use pb::EventKind::{BreakEnd, BreakStart, ClockIn, ClockOut};

fn oslo(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Oslo.with_ymd_and_hms(y, m, d, h, min, 0)
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

async fn employee_on(app: &TestApp, external_id: &str, pack: &str) -> String {
    app.admin()
        .create_employee(pb::CreateEmployeeRequest {
            external_id: external_id.into(),
            name: format!("Employee {external_id}"),
            email: format!("{}@example.de", external_id.to_lowercase()),
            rule_pack: pack.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap()
        .employee_id
}

async fn post(app: &TestApp, id: &str, events: &[(pb::EventKind, DateTime<Utc>)]) {
    let mut c = app.clock_client(&app.admin_token);
    for (k, t) in events {
        c.record_event(pb::RecordEventRequest {
            event: Some(event(id, *k, *t)),
        })
        .await
        .unwrap();
    }
}

async fn findings(app: &TestApp, id: &str) -> Vec<pb::Finding> {
    TimesheetServiceClient::with_interceptor(
        app.channel.clone(),
        Bearer::for_token(&app.admin_token),
    )
    .list_findings(pb::ListFindingsRequest {
        scope: Some(pb::list_findings_request::Scope::EmployeeId(id.into())),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner()
    .findings
}

fn one<'a>(f: &'a [pb::Finding], rule: &str) -> &'a pb::Finding {
    let of: Vec<_> = f.iter().filter(|x| x.rule_id == rule).collect();
    assert_eq!(of.len(), 1, "{rule}: {f:#?}");
    of[0]
}

/// Mon 9 Nov 16:00–22:00, Tue 05:00–09:00 (7 h of rest, inside one shift),
/// Wed 07:00–18:00 with a 12:00–12:30 break (10 h 30 min of work).
async fn de_arbzg_rest_and_daily_maximum_over_grpc(app: TestApp) {
    let id = employee_on(&app, "D1", "de-arbzg").await;
    post(
        &app,
        &id,
        &[
            (ClockIn, oslo(2026, 11, 9, 16, 0)),
            (ClockOut, oslo(2026, 11, 9, 22, 0)),
            (ClockIn, oslo(2026, 11, 10, 5, 0)),
            (ClockOut, oslo(2026, 11, 10, 9, 0)),
            (ClockIn, oslo(2026, 11, 11, 7, 0)),
            (BreakStart, oslo(2026, 11, 11, 12, 0)),
            (BreakEnd, oslo(2026, 11, 11, 12, 30)),
            (ClockOut, oslo(2026, 11, 11, 18, 0)),
        ],
    )
    .await;
    let f = findings(&app, &id).await;
    let rest = one(&f, "de.rest");
    assert_eq!((rest.measured, rest.limit), (420, 660));
    assert_eq!(rest.at, Some(ts(oslo(2026, 11, 10, 5, 0))));
    assert_eq!(rest.rule_pack, "de-arbzg");
    let max = one(&f, "de.daily_max");
    assert_eq!(max.at, Some(ts(oslo(2026, 11, 11, 17, 30))));
    assert!(f.iter().all(|x| !x.rule_id.starts_with("no.")), "{f:#?}");
    let h = TimesheetServiceClient::with_interceptor(
        app.channel.clone(),
        Bearer::for_token(&app.admin_token),
    )
    .get_headroom(pb::GetHeadroomRequest {
        employee_id: id.clone(),
        at: Some(ts(oslo(2026, 11, 11, 19, 0))),
    })
    .await
    .unwrap()
    .into_inner();
    assert_eq!(h.rule_pack, "de-arbzg");
    let rules: Vec<_> = h.limits.iter().map(|l| l.rule_id.as_str()).collect();
    assert_eq!(rules, vec!["de.daily_max", "de.avg_8h"]);
}

/// 7 h of rest (Mon 16:00–22:00, Tue 05:00–09:00) and a 6 h 01 min day
/// without a break.
async fn eu_wtd_rest_and_breaks_over_grpc(app: TestApp) {
    let id = employee_on(&app, "U1", "eu-wtd").await;
    post(
        &app,
        &id,
        &[
            (ClockIn, oslo(2026, 11, 9, 16, 0)),
            (ClockOut, oslo(2026, 11, 9, 22, 0)),
            (ClockIn, oslo(2026, 11, 10, 5, 0)),
            (ClockOut, oslo(2026, 11, 10, 9, 0)),
            (ClockIn, oslo(2026, 11, 12, 9, 0)),
            (ClockOut, oslo(2026, 11, 12, 15, 1)),
        ],
    )
    .await;
    let f = findings(&app, &id).await;
    let rest = one(&f, "eu.daily_rest");
    assert_eq!((rest.measured, rest.limit), (420, 660));
    let breaks = one(&f, "eu.breaks");
    assert_eq!(breaks.at, Some(ts(oslo(2026, 11, 12, 15, 0))));
    assert!(f.iter().all(|x| !x.rule_id.starts_with("no.")), "{f:#?}");
    let h = TimesheetServiceClient::with_interceptor(
        app.channel.clone(),
        Bearer::for_token(&app.admin_token),
    )
    .get_headroom(pb::GetHeadroomRequest {
        employee_id: id,
        at: Some(ts(oslo(2026, 11, 12, 16, 0))),
    })
    .await
    .unwrap()
    .into_inner();
    assert_eq!(h.rule_pack, "eu-wtd");
    let rules: Vec<_> = h.limits.iter().map(|l| l.rule_id.as_str()).collect();
    assert_eq!(rules, vec!["eu.avg_48h"]);
    assert_eq!(h.earliest_next_start_rule_id, "eu.daily_rest");
}

crate::both_backends!(
    de_arbzg_rest_and_daily_maximum_over_grpc,
    eu_wtd_rest_and_breaks_over_grpc,
);
