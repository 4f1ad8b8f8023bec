//! PayrollService and the payroll settings over gRPC on both back-ends:
//! streaming with cursors, CSV, locks and adjustments, `no.record` at a
//! lock, authorization and bad input.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Europe::Oslo;
use tidsvakt::clock::Clock as _;
use tidsvakt::pb;
use tidsvakt::pb::payroll_service_client::PayrollServiceClient;
use tidsvakt::pb::timesheet_service_client::TimesheetServiceClient;
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::helpers::*;

use pb::EventKind::{BreakEnd, BreakStart, ClockIn, ClockOut};
use pb::PayCategory as C;

pub(crate) type PayrollClient = PayrollServiceClient<InterceptedService<Channel, Bearer>>;

pub(crate) fn payroll(app: &TestApp, token: &str) -> PayrollClient {
    PayrollServiceClient::with_interceptor(app.channel.clone(), Bearer::for_token(token))
}

pub(crate) fn oslo(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Oslo.with_ymd_and_hms(y, m, d, h, min, 0)
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

/// Creates employees as of 1 Sep 2026, so October is fully employed.
pub(crate) async fn staff(app: &TestApp, ids: &[&str]) -> Vec<pb::Employee> {
    let now = app.clock.now();
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 9, 1, 6, 0, 0).unwrap());
    let mut out = Vec::new();
    for id in ids {
        out.push(app.create_employee(id).await);
    }
    app.clock.set(now);
    out
}

/// `ExportTotalsCsv` of `period` in `dialect`, as the admin: the whole file.
pub(crate) async fn export_csv(app: &TestApp, period: &str, dialect: pb::CsvDialect) -> Vec<u8> {
    let mut stream = payroll(app, &app.admin_token)
        .export_totals_csv(pb::ExportTotalsCsvRequest {
            period_id: period.into(),
            dialect: dialect as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut bytes = Vec::new();
    while let Some(m) = stream.message().await.unwrap() {
        bytes.extend_from_slice(&m.chunk);
    }
    bytes
}

pub(crate) async fn post(app: &TestApp, events: Vec<pb::ClockEvent>) {
    let mut clock = app.clock_client(&app.admin_token);
    for e in events {
        clock
            .record_event(pb::RecordEventRequest { event: Some(e) })
            .await
            .unwrap();
    }
}

/// A day 08:00–`end_h`:00 with a 30-minute break at 11:30, in Oslo.
pub(crate) fn day(employee: &str, m: u32, d: u32, end_h: u32) -> Vec<pb::ClockEvent> {
    vec![
        event(employee, ClockIn, oslo(2026, m, d, 8, 0)),
        event(employee, BreakStart, oslo(2026, m, d, 11, 30)),
        event(employee, BreakEnd, oslo(2026, m, d, 12, 0)),
        event(employee, ClockOut, oslo(2026, m, d, end_h, 0)),
    ]
}

pub(crate) async fn totals(
    app: &TestApp,
    token: &str,
    period: &str,
    filter: Option<pb::TotalsFilter>,
    cursor: &str,
) -> Result<Vec<pb::ListTotalsResponse>, tonic::Status> {
    let mut stream = payroll(app, token)
        .list_totals(pb::ListTotalsRequest {
            period_id: period.into(),
            filter,
            cursor: cursor.into(),
        })
        .await?
        .into_inner();
    let mut out = Vec::new();
    while let Some(m) = stream.message().await? {
        out.push(m);
    }
    Ok(out)
}

async fn csv(
    app: &TestApp,
    period: &str,
    filter: Option<pb::TotalsFilter>,
    cursor: &str,
) -> (String, Vec<String>) {
    let mut stream = payroll(app, &app.admin_token)
        .export_totals_csv(pb::ExportTotalsCsvRequest {
            period_id: period.into(),
            filter,
            cursor: cursor.into(),
            dialect: pb::CsvDialect::Unspecified as i32,
        })
        .await
        .unwrap()
        .into_inner();
    let (mut text, mut cursors) = (String::new(), Vec::new());
    while let Some(m) = stream.message().await.unwrap() {
        assert!(m.chunk.len() <= 64 * 1024);
        text.push_str(std::str::from_utf8(&m.chunk).unwrap());
        cursors.push(m.cursor);
    }
    (text, cursors)
}

/// The employees a stream sent, in its order.
fn sent_ids(messages: &[pb::ListTotalsResponse]) -> Vec<String> {
    messages
        .iter()
        .map(|m| m.totals.as_ref().unwrap().employee_id.clone())
        .collect()
}

/// `(category, rate, minutes, count, adjusts)` of each line, for compact asserts.
fn lines(t: &pb::EmployeeTotals) -> Vec<(C, i32, i64, i64, String)> {
    t.lines
        .iter()
        .map(|l| {
            (
                l.category(),
                l.rate_percent,
                l.minutes,
                l.count,
                l.adjustment
                    .as_ref()
                    .map(|a| a.adjusts_period_id.clone())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

pub(crate) async fn lock(
    app: &TestApp,
    period: &str,
) -> Result<pb::LockPeriodResponse, tonic::Status> {
    payroll(app, &app.admin_token)
        .lock_period(pb::LockPeriodRequest {
            period_id: period.into(),
        })
        .await
        .map(tonic::Response::into_inner)
}

/// October 2026 in Oslo: 22 weekdays of 7 h 30 min = 9900 scheduled minutes.
const OCTOBER_SCHEDULED: i64 = 22 * 450;

async fn an_overtime_week_in_totals_and_csv(app: TestApp) {
    let [kari] = &staff(&app, &["E1"]).await[..] else {
        unreachable!()
    };
    let id = &kari.employee_id;
    // Mon 12 – Fri 16 Oct, 08:00–18:00 with 30 min break: rules.md
    // example 4, 9 h 30 min a day. The ledger: 30 min over the 9 h day
    // limit each day (2 h 30 min), and from Thursday 16:00 the week is over
    // 40 h normal, so Thu and Fri add 2 h each beyond that... asserted
    // through the identity and the timesheet rather than by hand here.
    for d in 12..=16 {
        post(&app, day(id, 10, d, 18)).await;
    }
    let pulled = totals(&app, &app.admin_token, "2026-10", None, "")
        .await
        .unwrap();
    assert_eq!(pulled.len(), 1);
    let period = pulled[0].period.clone().unwrap();
    assert_eq!(period.period_id, "2026-10");
    assert_eq!(period.status(), pb::PeriodStatus::Open);
    let t = pulled[0].totals.clone().unwrap();
    assert_eq!(t.employee_id, *id);
    assert_eq!(t.external_id, "E1");
    let get = |c: C| -> i64 {
        t.lines
            .iter()
            .filter(|l| l.category() == c)
            .map(|l| l.minutes)
            .sum()
    };
    // The timesheet and payroll agree to the minute.
    let sheet = TimesheetServiceClient::with_interceptor(
        app.channel.clone(),
        Bearer::for_token(&app.admin_token),
    )
    .get_timesheet(pb::GetTimesheetRequest {
        employee_id: id.clone(),
        dates: Some(pb::LocalDateRange {
            start: Some(pb::LocalDate {
                year: 2026,
                month: 10,
                day: 1,
            }),
            end: Some(pb::LocalDate {
                year: 2026,
                month: 10,
                day: 31,
            }),
        }),
    })
    .await
    .unwrap()
    .into_inner()
    .totals
    .unwrap();
    assert_eq!(get(C::Worked), 5 * 570);
    assert_eq!(get(C::Worked), sheet.worked_minutes);
    assert_eq!(get(C::Overtime), sheet.overtime_minutes);
    assert!(get(C::Overtime) > 0);
    assert_eq!(get(C::Normal) + get(C::Overtime), get(C::Worked));
    assert_eq!(get(C::Scheduled), OCTOBER_SCHEDULED);
    assert_eq!(get(C::FlexMovement), 5 * 570 - OCTOBER_SCHEDULED);
    let ot: Vec<_> = t
        .lines
        .iter()
        .filter(|l| l.category() == C::Overtime)
        .collect();
    assert_eq!(ot.len(), 1);
    assert_eq!(
        (ot[0].rate_percent, ot[0].pay_code.as_str()),
        (50, "OVERTIME_50")
    );

    // The same as CSV, and byte-identical when pulled again.
    let (text, cursors) = csv(&app, "2026-10", None, "").await;
    let mut rows = text.split("\r\n");
    assert_eq!(
        rows.next().unwrap(),
        "period_id,employee_id,external_id,pay_code,category,rate_percent,absence_kind,minutes,hours,open_findings,adjusts_period_id,adjustment_reason"
    );
    assert!(text.contains(&format!(
        "2026-10,{id},E1,WORKED,WORKED,,,2850,47.50,,,\r\n"
    )));
    assert!(text.contains(&format!(
        "2026-10,{id},E1,OVERTIME_50,OVERTIME,50,,{},",
        get(C::Overtime)
    )));
    assert_eq!(text.matches("\r\n").count(), 1 + t.lines.len());
    assert_eq!(cursors.len(), 1);
    assert_eq!(csv(&app, "2026-10", None, "").await.0, text);
    assert_eq!(
        totals(&app, &app.admin_token, "2026-10", None, "")
            .await
            .unwrap(),
        pulled
    );
}

async fn settings_map_rates_and_codes(app: TestApp) {
    let [kari] = &staff(&app, &["E1"]).await[..] else {
        unreachable!()
    };
    let id = &kari.employee_id;
    for d in 12..=16 {
        post(&app, day(id, 10, d, 18)).await;
    }
    let mut settings = app
        .admin()
        .get_payroll_settings(pb::GetPayrollSettingsRequest {})
        .await
        .unwrap()
        .into_inner()
        .settings
        .unwrap();
    assert_eq!(settings.period_kind(), pb::PeriodKind::Monthly);
    // 50 % for the first 5 hours of weekly overtime, 100 % after; own codes.
    settings.overtime_tiers = vec![
        pb::OvertimeRateTier {
            after_week_overtime_minutes: 0,
            rate_percent: 50,
        },
        pb::OvertimeRateTier {
            after_week_overtime_minutes: 300,
            rate_percent: 100,
        },
    ];
    for m in &mut settings.pay_codes {
        m.pay_code = format!("L{}-{}", m.category, m.pay_code.len());
        if m.category() == C::Overtime {
            m.pay_code = "1150".into();
        }
    }
    settings.pay_codes.push(pb::PayCodeMapping {
        category: C::Overtime as i32,
        rate_percent: 100,
        absence_kind: 0,
        pay_code: "1200".into(),
    });
    let stored = app
        .admin()
        .set_payroll_settings(pb::SetPayrollSettingsRequest {
            settings: Some(settings.clone()),
        })
        .await
        .unwrap()
        .into_inner()
        .settings
        .unwrap();
    assert!(stored.updated_by.contains("ADMIN"));
    let read = app
        .admin()
        .get_payroll_settings(pb::GetPayrollSettingsRequest {})
        .await
        .unwrap()
        .into_inner()
        .settings
        .unwrap();
    assert_eq!(read, stored);

    let t = totals(&app, &app.admin_token, "2026-10", None, "")
        .await
        .unwrap()[0]
        .totals
        .clone()
        .unwrap();
    let ot: Vec<(i32, String, i64)> = t
        .lines
        .iter()
        .filter(|l| l.category() == C::Overtime)
        .map(|l| (l.rate_percent, l.pay_code.clone(), l.minutes))
        .collect();
    assert_eq!(ot.len(), 2, "{ot:?}");
    assert_eq!((ot[0].0, ot[0].1.as_str(), ot[0].2), (50, "1150", 300));
    assert_eq!((ot[1].0, ot[1].1.as_str()), (100, "1200"));
    // A filter by pay code keeps only those lines.
    let only = totals(
        &app,
        &app.admin_token,
        "2026-10",
        Some(pb::TotalsFilter {
            pay_codes: vec!["1200".into()],
            ..Default::default()
        }),
        "",
    )
    .await
    .unwrap();
    assert_eq!(only[0].totals.as_ref().unwrap().lines.len(), 1);
}

async fn streams_resume_from_a_cursor_in_employee_order(app: TestApp) {
    let boss = staff(&app, &["B"]).await.remove(0);
    let mut team = Vec::new();
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 9, 1, 6, 0, 0).unwrap());
    for i in 0..4 {
        team.push(
            app.create_employee_managed_by(&format!("T{i}"), &boss.employee_id)
                .await,
        );
    }
    app.clock.set(test_now());
    for e in &team {
        post(&app, day(&e.employee_id, 10, 14, 16)).await;
    }
    let all = totals(&app, &app.admin_token, "2026-10", None, "")
        .await
        .unwrap();
    let ids = sent_ids(&all);
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "employees come in ascending id order");
    assert_eq!(
        ids.len(),
        5,
        "the boss is employed all month and is sent too"
    );
    // Resume after the second: exactly the rest.
    let rest = totals(&app, &app.admin_token, "2026-10", None, &all[1].cursor)
        .await
        .unwrap();
    assert_eq!(rest, all[2..].to_vec());
    // A manager's team.
    let filter = pb::TotalsFilter {
        manager_employee_id: boss.employee_id.clone(),
        ..Default::default()
    };
    let mine = totals(&app, &app.admin_token, "2026-10", Some(filter.clone()), "")
        .await
        .unwrap();
    assert_eq!(mine.len(), 4);
    // A cursor of another filter is refused.
    assert_error(
        totals(
            &app,
            &app.admin_token,
            "2026-10",
            Some(filter),
            &all[1].cursor,
        )
        .await,
        Code::InvalidArgument,
        "cursor",
    );
    assert_error(
        totals(&app, &app.admin_token, "2026-10", None, "zz").await,
        Code::InvalidArgument,
        "cursor",
    );
    // Named employees only.
    let one = totals(
        &app,
        &app.admin_token,
        "2026-10",
        Some(pb::TotalsFilter {
            employee_ids: vec![team[2].employee_id.clone()],
            ..Default::default()
        }),
        "",
    )
    .await
    .unwrap();
    assert_eq!(one.len(), 1);
    // CSV resumes without repeating the header.
    let (whole, cursors) = csv(&app, "2026-10", None, "").await;
    assert_eq!(cursors.len(), 1);
    let (tail, _) = csv(&app, "2026-10", None, &all[2].cursor).await;
    assert!(!tail.starts_with("period_id"));
    assert!(whole.ends_with(&tail));
    assert_eq!(
        tail.lines().count(),
        all[3..]
            .iter()
            .map(|m| m.totals.as_ref().unwrap().lines.len())
            .sum::<usize>()
    );
}

async fn a_lock_freezes_totals_and_late_changes_become_adjustments(app: TestApp) {
    let [kari] = &staff(&app, &["E1"]).await[..] else {
        unreachable!()
    };
    let id = &kari.employee_id;
    post(&app, day(id, 10, 14, 16)).await;
    let before = totals(&app, &app.admin_token, "2026-10", None, "")
        .await
        .unwrap();
    // November has not ended on 19 Nov.
    assert_error(
        lock(&app, "2026-11").await,
        Code::FailedPrecondition,
        "has not ended",
    );
    let locked = lock(&app, "2026-10").await.unwrap();
    assert_eq!(locked.employee_count, 1);
    assert_eq!(locked.record_violation_count, 0);
    let p = locked.period.unwrap();
    assert_eq!(p.status(), pb::PeriodStatus::Locked);
    assert!(p.locked_by.contains("ADMIN"));
    assert_error(
        lock(&app, "2026-10").await,
        Code::FailedPrecondition,
        "already locked",
    );

    // A late day in October (Tue 20 Oct 08:00–12:00) and an extra hour on 14 Oct.
    post(
        &app,
        vec![
            event(id, ClockIn, oslo(2026, 10, 20, 8, 0)),
            event(id, ClockOut, oslo(2026, 10, 20, 12, 0)),
        ],
    )
    .await;
    let after = totals(&app, &app.admin_token, "2026-10", None, "")
        .await
        .unwrap();
    let frozen = |v: &Vec<pb::ListTotalsResponse>| v[0].totals.clone().unwrap();
    assert_eq!(
        frozen(&after),
        frozen(&before),
        "what was paid never changes"
    );
    assert_eq!(
        after[0].period.as_ref().unwrap().status(),
        pb::PeriodStatus::Locked
    );

    // November carries exactly the difference.
    let nov = totals(&app, &app.admin_token, "2026-11", None, "")
        .await
        .unwrap();
    let t = nov[0].totals.clone().unwrap();
    let adj: Vec<_> = lines(&t).into_iter().filter(|l| !l.4.is_empty()).collect();
    let a = |c: C| (c, 0, 240, 0, "2026-10".to_string());
    assert_eq!(adj, vec![a(C::Worked), a(C::Normal), a(C::FlexMovement)]);
    let reason = &t
        .lines
        .iter()
        .find(|l| l.adjustment.is_some())
        .unwrap()
        .adjustment
        .as_ref()
        .unwrap()
        .reason;
    assert!(
        reason.contains("CLOCK_IN 2026-10-20 08:00 recorded late")
            || reason.contains("clock_in 2026-10-20 08:00 recorded late"),
        "{reason}"
    );
    // Adjustment lines come after the period's own lines.
    let first_adj = t.lines.iter().position(|l| l.adjustment.is_some()).unwrap();
    assert!(t.lines[first_adj..].iter().all(|l| l.adjustment.is_some()));

    // Lock November (on 2 Dec): its frozen lines keep the adjustment, and
    // December carries nothing more for October.
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 12, 2, 12, 0, 0).unwrap());
    lock(&app, "2026-11").await.unwrap();
    let nov_locked = totals(&app, &app.admin_token, "2026-11", None, "")
        .await
        .unwrap();
    assert_eq!(nov_locked[0].totals, nov[0].totals);
    let dec = totals(&app, &app.admin_token, "2026-12", None, "")
        .await
        .unwrap();
    assert!(
        dec[0]
            .totals
            .as_ref()
            .unwrap()
            .lines
            .iter()
            .all(|l| l.adjustment.is_none()),
        "{dec:?}"
    );
    // A second late change to October goes to December, net of what November carried.
    post(
        &app,
        vec![
            event(id, ClockIn, oslo(2026, 10, 21, 8, 0)),
            event(id, ClockOut, oslo(2026, 10, 21, 9, 0)),
        ],
    )
    .await;
    let dec = totals(&app, &app.admin_token, "2026-12", None, "")
        .await
        .unwrap();
    let adj: Vec<_> = lines(dec[0].totals.as_ref().unwrap())
        .into_iter()
        .filter(|l| !l.4.is_empty())
        .collect();
    let a = |c: C| (c, 0, 60, 0, "2026-10".to_string());
    assert_eq!(adj, vec![a(C::Worked), a(C::Normal), a(C::FlexMovement)]);
}

async fn a_gap_at_the_lock_is_a_record_violation(app: TestApp) {
    use pb::correct_event_request::Change;
    let [kari] = &staff(&app, &["E1"]).await[..] else {
        unreachable!()
    };
    let id = &kari.employee_id;
    // Clocked in on 27 Oct, never out.
    post(&app, vec![event(id, ClockIn, oslo(2026, 10, 27, 8, 0))]).await;
    let locked = lock(&app, "2026-10").await.unwrap();
    assert_eq!(locked.record_violation_count, 1);
    let frozen = totals(&app, &app.admin_token, "2026-10", None, "")
        .await
        .unwrap();
    let count = frozen[0]
        .totals
        .as_ref()
        .unwrap()
        .lines
        .iter()
        .find(|l| l.category() == C::OpenFindings)
        .map(|l| l.count)
        .unwrap();
    assert!(count >= 1);
    let findings = TimesheetServiceClient::with_interceptor(
        app.channel.clone(),
        Bearer::for_token(&app.admin_token),
    )
    .list_findings(pb::ListFindingsRequest {
        scope: Some(pb::list_findings_request::Scope::EmployeeId(id.clone())),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner()
    .findings;
    let gap = findings
        .iter()
        .find(|f| f.rule_id == "no.record")
        .expect("no.record raised");
    assert_eq!(gap.severity(), pb::Severity::Violation);
    assert_eq!(gap.status(), pb::FindingStatus::Open);

    // Completing the record pays the hours in November.
    app.clock_client(&app.admin_token)
        .correct_event(pb::CorrectEventRequest {
            amendment_id: Uuid::new_v4().to_string(),
            employee_id: id.clone(),
            reason: "forgot to clock out".into(),
            change: Some(Change::Add(pb::AddEventChange {
                kind: ClockOut as i32,
                occurred_at: Some(ts(oslo(2026, 10, 27, 15, 30))),
                location: 0,
            })),
        })
        .await
        .unwrap();
    let nov = totals(&app, &app.admin_token, "2026-11", None, "")
        .await
        .unwrap();
    let t = nov[0].totals.clone().unwrap();
    let worked = t
        .lines
        .iter()
        .find(|l| l.category() == C::Worked && l.adjustment.is_some())
        .expect("an adjustment line");
    assert_eq!(worked.minutes, 450);
    assert!(
        worked
            .adjustment
            .as_ref()
            .unwrap()
            .reason
            .contains("forgot to clock out"),
        "{worked:?}"
    );
    let findings = TimesheetServiceClient::with_interceptor(
        app.channel.clone(),
        Bearer::for_token(&app.admin_token),
    )
    .list_findings(pb::ListFindingsRequest {
        scope: Some(pb::list_findings_request::Scope::EmployeeId(id.clone())),
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner()
    .findings;
    let gap2 = findings.iter().find(|f| f.rule_id == "no.record").unwrap();
    assert_eq!(gap2.finding_id, gap.finding_id);
    assert_eq!(gap2.status(), pb::FindingStatus::Resolved);
}

async fn only_payroll_and_admin_tokens_may_pull_or_lock(app: TestApp) {
    let [kari] = &staff(&app, &["E1"]).await[..] else {
        unreachable!()
    };
    let denied = [
        app.token(pb::Role::Employee, Some(&kari.employee_id)).await,
        app.token(pb::Role::Manager, Some(&kari.employee_id)).await,
        app.clock_token().await,
    ];
    for t in &denied {
        assert_error(
            totals(&app, t, "2026-10", None, "").await,
            Code::PermissionDenied,
            "PAYROLL",
        );
        let r = payroll(&app, t)
            .export_totals_csv(pb::ExportTotalsCsvRequest {
                period_id: "2026-10".into(),
                ..Default::default()
            })
            .await;
        assert_error(r, Code::PermissionDenied, "PAYROLL");
        let r = payroll(&app, t)
            .lock_period(pb::LockPeriodRequest {
                period_id: "2026-10".into(),
            })
            .await;
        assert_error(r, Code::PermissionDenied, "PAYROLL");
        assert_error(
            app.admin_client(t)
                .get_payroll_settings(pb::GetPayrollSettingsRequest {})
                .await,
            Code::PermissionDenied,
            "PAYROLL",
        );
    }
    let p = app.token(pb::Role::Payroll, None).await;
    assert_eq!(
        totals(&app, &p, "2026-10", None, "").await.unwrap().len(),
        1
    );
    app.admin_client(&p)
        .get_payroll_settings(pb::GetPayrollSettingsRequest {})
        .await
        .unwrap();
    assert_error(
        app.admin_client(&p)
            .set_payroll_settings(pb::SetPayrollSettingsRequest::default())
            .await,
        Code::PermissionDenied,
        "ADMIN",
    );
    let locked = payroll(&app, &p)
        .lock_period(pb::LockPeriodRequest {
            period_id: "2026-10".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(locked.period.unwrap().locked_by.contains("PAYROLL"));
}

async fn bad_periods_filters_and_cursors_name_the_field(app: TestApp) {
    staff(&app, &["E1"]).await;
    for bad in [
        "",
        "2026-13",
        "2026-1",
        "2026-11-H1",
        "2026-W45-4W",
        "november",
    ] {
        assert_error(
            totals(&app, &app.admin_token, bad, None, "").await,
            Code::InvalidArgument,
            "period_id",
        );
        assert_error(lock(&app, bad).await, Code::InvalidArgument, "period_id");
    }
    let filter = |f: pb::TotalsFilter| Some(f);
    let cases = [
        (
            filter(pb::TotalsFilter {
                employee_ids: vec!["not-a-uuid".into()],
                ..Default::default()
            }),
            "filter.employee_ids[0]",
        ),
        (
            filter(pb::TotalsFilter {
                employee_ids: vec![Uuid::new_v4().to_string()],
                ..Default::default()
            }),
            "filter.employee_ids[0]",
        ),
        (
            filter(pb::TotalsFilter {
                manager_employee_id: Uuid::new_v4().to_string(),
                ..Default::default()
            }),
            "filter.manager_employee_id",
        ),
        (
            filter(pb::TotalsFilter {
                pay_codes: vec!["ok".into(), "no spaces".into()],
                ..Default::default()
            }),
            "filter.pay_codes[1]",
        ),
    ];
    for (f, field) in cases {
        assert_error(
            totals(&app, &app.admin_token, "2026-10", f, "").await,
            Code::InvalidArgument,
            field,
        );
    }
    // An employee of another organisation is refused like an unknown one.
    let (_, secret) =
        tidsvakt::bootstrap::create_organisation(app.store.as_ref(), "other", app.clock.now())
            .await
            .unwrap();
    let theirs = app
        .admin_client(&secret)
        .create_employee(pb::CreateEmployeeRequest {
            external_id: "X".into(),
            name: "X".into(),
            email: "x@example.no".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap();
    assert_error(
        totals(
            &app,
            &app.admin_token,
            "2026-10",
            filter(pb::TotalsFilter {
                employee_ids: vec![theirs.employee_id],
                ..Default::default()
            }),
            "",
        )
        .await,
        Code::InvalidArgument,
        "filter.employee_ids[0]",
    );
}

async fn bad_settings_are_refused_and_nothing_changes(app: TestApp) {
    type Edit = fn(&mut pb::PayrollSettings);
    let good = app
        .admin()
        .get_payroll_settings(pb::GetPayrollSettingsRequest {})
        .await
        .unwrap()
        .into_inner()
        .settings
        .unwrap();
    let cases: Vec<(Edit, &str, &str)> = vec![
        (|s| s.period_kind = 0, "settings.period_kind", "required"),
        (
            |s| s.overtime_tiers[0].rate_percent = 39,
            "settings.overtime_tiers[0].rate_percent",
            "40 %",
        ),
        (
            |s| s.overtime_tiers.clear(),
            "settings.overtime_tiers",
            "at least one",
        ),
        (
            |s| s.night_overtime_rate_percent = 25,
            "settings.night_overtime_rate_percent",
            "40 %",
        ),
        (
            |s| {
                s.pay_codes.retain(|m| m.category() != C::Night);
            },
            "settings.pay_codes",
            "NIGHT has no pay code",
        ),
        (
            |s| {
                s.overtime_tiers.push(pb::OvertimeRateTier {
                    after_week_overtime_minutes: 600,
                    rate_percent: 100,
                });
            },
            "settings.pay_codes",
            "OVERTIME at 100 %",
        ),
        (
            |s| s.pay_codes[0].pay_code = "has space".into(),
            "settings.pay_codes",
            "has space",
        ),
        (
            |s| {
                let dup = s.pay_codes[0].clone();
                s.pay_codes.push(dup);
            },
            "settings.pay_codes[12]",
            "twice",
        ),
        (
            |s| s.period_kind = pb::PeriodKind::FourWeekly as i32,
            "settings.four_weekly_anchor",
            "required",
        ),
        (
            |s| {
                s.period_kind = pb::PeriodKind::FourWeekly as i32;
                s.four_weekly_anchor = Some(pb::LocalDate {
                    year: 2026,
                    month: 1,
                    day: 6,
                });
            },
            "settings.four_weekly_anchor",
            "Monday",
        ),
        (
            |s| {
                s.four_weekly_anchor = Some(pb::LocalDate {
                    year: 2026,
                    month: 1,
                    day: 5,
                });
            },
            "settings.four_weekly_anchor",
            "only for FOUR_WEEKLY",
        ),
        (
            |s| s.pay_codes[0].category = 42,
            "settings.pay_codes[0].category",
            "not a pay category",
        ),
    ];
    for (edit, field, needle) in cases {
        let mut s = good.clone();
        edit(&mut s);
        let r = app
            .admin()
            .set_payroll_settings(pb::SetPayrollSettingsRequest { settings: Some(s) })
            .await;
        assert_error(r, Code::InvalidArgument, field);
        let Err(status) = app
            .admin()
            .set_payroll_settings(pb::SetPayrollSettingsRequest {
                settings: Some({
                    let mut s = good.clone();
                    edit(&mut s);
                    s
                }),
            })
            .await
        else {
            unreachable!()
        };
        assert!(
            status.message().contains(needle),
            "{field}: {}",
            status.message()
        );
    }
    assert_eq!(
        app.admin()
            .get_payroll_settings(pb::GetPayrollSettingsRequest {})
            .await
            .unwrap()
            .into_inner()
            .settings
            .unwrap(),
        good,
        "nothing was stored"
    );
    // Once a period is locked, the period kind stays.
    lock(&app, "2026-10").await.unwrap();
    let mut s = good.clone();
    s.period_kind = pb::PeriodKind::SemiMonthly as i32;
    assert_error(
        app.admin()
            .set_payroll_settings(pb::SetPayrollSettingsRequest { settings: Some(s) })
            .await,
        Code::FailedPrecondition,
        "2026-10 is locked",
    );
}

async fn semi_monthly_periods_split_the_month(app: TestApp) {
    let [kari] = &staff(&app, &["E1"]).await[..] else {
        unreachable!()
    };
    let id = &kari.employee_id;
    post(&app, day(id, 10, 14, 16)).await;
    post(&app, day(id, 10, 20, 16)).await;
    let mut s = app
        .admin()
        .get_payroll_settings(pb::GetPayrollSettingsRequest {})
        .await
        .unwrap()
        .into_inner()
        .settings
        .unwrap();
    s.period_kind = pb::PeriodKind::SemiMonthly as i32;
    app.admin()
        .set_payroll_settings(pb::SetPayrollSettingsRequest { settings: Some(s) })
        .await
        .unwrap();
    let worked = |v: Vec<pb::ListTotalsResponse>| {
        v[0].totals
            .as_ref()
            .unwrap()
            .lines
            .iter()
            .find(|l| l.category() == C::Worked)
            .map(|l| l.minutes)
    };
    assert_eq!(
        worked(
            totals(&app, &app.admin_token, "2026-10-H1", None, "")
                .await
                .unwrap()
        ),
        Some(450)
    );
    assert_eq!(
        worked(
            totals(&app, &app.admin_token, "2026-10-H2", None, "")
                .await
                .unwrap()
        ),
        Some(450)
    );
    assert_error(
        totals(&app, &app.admin_token, "2026-10", None, "").await,
        Code::InvalidArgument,
        "YYYY-MM-H1",
    );
}

async fn the_cli_exports_a_period_to_a_file(app: TestApp) {
    use tidsvakt::cli::client::Connection;
    use tidsvakt::cli::export::{ExportArgs, export};
    let [kari] = &staff(&app, &["E1"]).await[..] else {
        unreachable!()
    };
    post(&app, day(&kari.employee_id, 10, 14, 16)).await;
    let dir = tempfile::tempdir().unwrap();
    let conn = Connection {
        addr: app.addr.clone(),
        token: Some(app.token(pb::Role::Payroll, None).await),
        token_file: dir.path().join("none"),
    };
    let out = dir.path().join("october.csv");
    let args = |period: &str| ExportArgs {
        period: period.into(),
        out: Some(out.clone()),
        employees: vec![],
        manager: None,
        pay_codes: vec![],
        dialect: tidsvakt::cli::export::DialectArg::Rfc4180,
    };
    let written = export(&conn, &args("2026-10")).await.unwrap();
    let file = std::fs::read_to_string(&out).unwrap();
    assert_eq!(file, csv(&app, "2026-10", None, "").await.0);
    assert_eq!(written.rows, file.matches("\r\n").count() - 1);
    assert!(
        file.contains(",E1,WORKED,WORKED,,,450,7.50,,,\r\n"),
        "{file}"
    );
    // A refused export names the problem and leaves no file behind.
    std::fs::remove_file(&out).unwrap();
    let e = export(&conn, &args("2026-13")).await.unwrap_err();
    assert!(e.to_string().contains("period_id"), "{e}");
    assert!(!out.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

async fn a_leaver_still_gets_the_adjustment(app: TestApp) {
    use pb::correct_event_request::Change;
    let [kari] = &staff(&app, &["E1"]).await[..] else {
        unreachable!()
    };
    let id = &kari.employee_id;
    post(&app, vec![event(id, ClockIn, oslo(2026, 10, 15, 8, 0))]).await;
    lock(&app, "2026-10").await.unwrap();
    app.admin()
        .deactivate_employee(pb::DeactivateEmployeeRequest {
            employee_id: id.clone(),
        })
        .await
        .unwrap();
    app.clock
        .set(app.clock.now() + chrono::Duration::minutes(5));
    app.clock_client(&app.admin_token)
        .correct_event(pb::CorrectEventRequest {
            amendment_id: Uuid::new_v4().to_string(),
            employee_id: id.clone(),
            reason: "forgot to clock out on her last day".into(),
            change: Some(Change::Add(pb::AddEventChange {
                kind: ClockOut as i32,
                occurred_at: Some(ts(oslo(2026, 10, 15, 15, 30))),
                location: 0,
            })),
        })
        .await
        .unwrap();
    let nov = totals(&app, &app.admin_token, "2026-11", None, "")
        .await
        .unwrap();
    assert_eq!(nov.len(), 1, "the leaver is sent for the adjustment");
    let t = nov[0].totals.clone().unwrap();
    let worked = t
        .lines
        .iter()
        .find(|l| l.category() == C::Worked && l.adjustment.is_some())
        .unwrap();
    assert_eq!(worked.minutes, 450);
    assert_eq!(
        worked.adjustment.as_ref().unwrap().adjusts_period_id,
        "2026-10"
    );
    // And in December, after she left, only for an adjustment.
    app.clock
        .set(Utc.with_ymd_and_hms(2027, 1, 5, 12, 0, 0).unwrap());
    lock(&app, "2026-11").await.unwrap();
    assert!(
        totals(&app, &app.admin_token, "2026-12", None, "")
            .await
            .unwrap()
            .is_empty(),
        "nothing left to pay her"
    );
}

/// A late Monday in a week that starts in September moves October's
/// ledger: Thu 1 Oct 2026 is in the ISO week of Mon 28 Sep.
async fn a_late_day_in_a_straddling_week_adjusts_the_next_period(app: TestApp) {
    let [kari] = &staff(&app, &["E1"]).await[..] else {
        unreachable!()
    };
    let id = &kari.employee_id;
    // Thu 1 and Fri 2 Oct, 8 h 30 min each: normal until Mon–Wed arrive.
    post(&app, day(id, 10, 1, 17)).await;
    post(&app, day(id, 10, 2, 17)).await;
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 19, 20, 0, 0).unwrap());
    lock(&app, "2026-09").await.unwrap();
    lock(&app, "2026-10").await.unwrap();
    app.clock
        .set(app.clock.now() + chrono::Duration::minutes(5));
    for d in 28..=30 {
        post(&app, day(id, 9, d, 18)).await;
    }
    let nov = totals(&app, &app.admin_token, "2026-11", None, "")
        .await
        .unwrap();
    let t = nov[0].totals.clone().unwrap();
    let october_overtime: i64 = t
        .lines
        .iter()
        .filter(|l| {
            l.category() == C::Overtime
                && l.adjustment
                    .as_ref()
                    .is_some_and(|a| a.adjusts_period_id == "2026-10")
        })
        .map(|l| l.minutes)
        .sum();
    // Mon–Wed 9 h 30 min: 27 h normal (1 h 30 min overtime, September's);
    // Thu and Fri reach 40 h normal 13 h in, so the last 4 h of October's
    // 17 h become overtime.
    assert_eq!(october_overtime, 240, "{t:?}");
}

/// Issue 13 item 11: October's last day is posted after October ended but
/// half a minute before the lock, so it was paid. A correction after the
/// lock makes an adjustment whose reason names the correction only, not
/// the paid events as "recorded late".
async fn events_paid_by_the_lock_are_not_called_late(app: TestApp) {
    let [kari] = &staff(&app, &["E1"]).await[..] else {
        unreachable!()
    };
    let id = &kari.employee_id;
    let t0 = Utc.with_ymd_and_hms(2026, 11, 19, 20, 0, 0).unwrap();
    app.clock.set(t0);
    post(&app, day(id, 10, 30, 16)).await;
    app.clock.set(t0 + chrono::Duration::seconds(30));
    lock(&app, "2026-10").await.unwrap();
    app.clock.set(t0 + chrono::Duration::minutes(5));
    post(&app, day(id, 10, 29, 16)).await;
    let nov = totals(&app, &app.admin_token, "2026-11", None, "")
        .await
        .unwrap();
    let t = nov[0].totals.clone().unwrap();
    let reason = &t
        .lines
        .iter()
        .find(|l| l.adjustment.is_some())
        .unwrap()
        .adjustment
        .as_ref()
        .unwrap()
        .reason;
    assert!(reason.contains("2026-10-29 08:00"), "{reason}");
    assert!(!reason.contains("2026-10-30"), "{reason}");
}

/// Issue 13 item 6 end to end: three days of 08:00:00–15:29:40 are 450 min
/// a day on the timesheet's rows and 1,350 in its totals and in payroll.
async fn timesheet_and_payroll_agree_with_seconds(app: TestApp) {
    let [kari] = &staff(&app, &["E1"]).await[..] else {
        unreachable!()
    };
    let id = &kari.employee_id;
    for d in 13..=15 {
        post(
            &app,
            vec![
                event(id, ClockIn, oslo(2026, 10, d, 8, 0)),
                event(
                    id,
                    ClockOut,
                    oslo(2026, 10, d, 15, 29) + chrono::Duration::seconds(40),
                ),
            ],
        )
        .await;
    }
    let sheet = TimesheetServiceClient::with_interceptor(
        app.channel.clone(),
        Bearer::for_token(&app.admin_token),
    )
    .get_timesheet(pb::GetTimesheetRequest {
        employee_id: id.clone(),
        dates: Some(pb::LocalDateRange {
            start: Some(pb::LocalDate {
                year: 2026,
                month: 10,
                day: 1,
            }),
            end: Some(pb::LocalDate {
                year: 2026,
                month: 10,
                day: 31,
            }),
        }),
    })
    .await
    .unwrap()
    .into_inner();
    let rows: Vec<i64> = sheet
        .days
        .iter()
        .filter(|d| d.worked_minutes > 0)
        .map(|d| d.worked_minutes)
        .collect();
    assert_eq!(rows, vec![450, 450, 450]);
    assert_eq!(sheet.totals.unwrap().worked_minutes, 1350);
    let oct = totals(&app, &app.admin_token, "2026-10", None, "")
        .await
        .unwrap();
    let t = oct[0].totals.clone().unwrap();
    let worked: i64 = t
        .lines
        .iter()
        .filter(|l| l.category() == C::Worked)
        .map(|l| l.minutes)
        .sum();
    assert_eq!(worked, 1350);
}

/// Issue 15: a pull prices one page of employees (64 a message batch) on
/// another thread while it reads the next, and keeps the page read ahead
/// for the next batch. Across three pages, with employees outside the
/// period spread among them (skipped, so a page takes several reads to
/// fill), every employee is priced exactly as when pulled alone, none is
/// missing or sent twice, and resuming mid-page gives exactly the rest.
async fn a_pull_over_many_pages_prices_each_employee_as_alone(app: TestApp) {
    let names: Vec<String> = (0..150).map(|i| format!("P{i:03}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let staffed = staff(&app, &names).await;
    // Hired after October: not in its pull.
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 15, 6, 0, 0).unwrap());
    for i in 0..40 {
        app.create_employee(&format!("L{i:02}")).await;
    }
    app.clock.set(test_now());
    let mut clock = app.clock_client(&app.admin_token);
    let mut events = Vec::new();
    for (i, e) in staffed.iter().enumerate().filter(|(i, _)| i % 3 == 0) {
        let d = 5 + u32::try_from(i % 20).unwrap();
        events.extend(day(
            &e.employee_id,
            10,
            d,
            16 + u32::try_from(i % 4).unwrap(),
        ));
    }
    for chunk in events.chunks(200) {
        let mut stream = clock
            .sync_events(tokio_stream::iter(vec![pb::SyncEventsRequest {
                events: chunk.to_vec(),
            }]))
            .await
            .unwrap()
            .into_inner();
        while stream.message().await.unwrap().is_some() {}
    }

    let all = totals(&app, &app.admin_token, "2026-10", None, "")
        .await
        .unwrap();
    let ids = sent_ids(&all);
    let mut expected: Vec<String> = staffed.iter().map(|e| e.employee_id.clone()).collect();
    expected.sort();
    assert_eq!(ids, expected, "each employed one once, in id order");
    let worked = all
        .iter()
        .filter(|m| {
            lines(m.totals.as_ref().unwrap())
                .iter()
                .any(|l| l.0 == C::Worked && l.2 > 0)
        })
        .count();
    assert_eq!(worked, 50, "a day each for every third");
    for m in all.iter().step_by(7) {
        let id = &m.totals.as_ref().unwrap().employee_id;
        let filter = pb::TotalsFilter {
            employee_ids: vec![id.clone()],
            ..Default::default()
        };
        let alone = totals(&app, &app.admin_token, "2026-10", Some(filter), "")
            .await
            .unwrap();
        assert_eq!(alone.len(), 1);
        assert_eq!(alone[0].totals, m.totals, "{id} priced alone");
    }
    for at in [30, 63, 64, 100] {
        let rest = totals(&app, &app.admin_token, "2026-10", None, &all[at].cursor)
            .await
            .unwrap();
        assert_eq!(rest, all[at + 1..].to_vec(), "resumed after {at}");
    }
}

crate::both_backends!(
    timesheet_and_payroll_agree_with_seconds,
    events_paid_by_the_lock_are_not_called_late,
    a_leaver_still_gets_the_adjustment,
    a_late_day_in_a_straddling_week_adjusts_the_next_period,
    the_cli_exports_a_period_to_a_file,
    an_overtime_week_in_totals_and_csv,
    settings_map_rates_and_codes,
    streams_resume_from_a_cursor_in_employee_order,
    a_lock_freezes_totals_and_late_changes_become_adjustments,
    a_gap_at_the_lock_is_a_record_violation,
    only_payroll_and_admin_tokens_may_pull_or_lock,
    bad_periods_filters_and_cursors_name_the_field,
    bad_settings_are_refused_and_nothing_changes,
    semi_monthly_periods_split_the_month,
    a_pull_over_many_pages_prices_each_employee_as_alone,
);
