//! TimesheetService over gRPC on both back-ends: rules.md examples end to
//! end, findings kept current by late events and corrections, headroom,
//! authorization and bad input.

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Europe::Oslo;
use tidsvakt::pb;
use tidsvakt::pb::timesheet_service_client::TimesheetServiceClient;
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::helpers::*;

use pb::EventKind::{BreakEnd, BreakStart, ClockIn, ClockOut};

type TimesheetClient = TimesheetServiceClient<InterceptedService<Channel, Bearer>>;

fn sheets(app: &TestApp, token: &str) -> TimesheetClient {
    TimesheetServiceClient::with_interceptor(app.channel.clone(), Bearer::for_token(token))
}

fn oslo(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Oslo.with_ymd_and_hms(y, m, d, h, min, 0)
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

fn date(y: i32, m: i32, d: i32) -> pb::LocalDate {
    pb::LocalDate {
        year: y,
        month: m,
        day: d,
    }
}

#[allow(clippy::unnecessary_wraps)] // the request field is an Option
fn dates(a: pb::LocalDate, b: pb::LocalDate) -> Option<pb::LocalDateRange> {
    Some(pb::LocalDateRange {
        start: Some(a),
        end: Some(b),
    })
}

/// Posts a worked interval (with optional breaks), one event at a time.
async fn post_work(
    app: &TestApp,
    employee: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    breaks: &[(DateTime<Utc>, DateTime<Utc>)],
) -> Vec<pb::ClockEvent> {
    let mut events = vec![event(employee, ClockIn, start)];
    for (s, e) in breaks {
        events.push(event(employee, BreakStart, *s));
        events.push(event(employee, BreakEnd, *e));
    }
    events.push(event(employee, ClockOut, end));
    let mut clock = app.clock_client(&app.admin_token);
    record_each(&mut clock, &events).await;
    events
}

/// Moves `employee`'s event `event_id` to `to` (a correction, "left early").
/// 09:00–15:00 in Oslo on `day` November 2026 with no break: rules.md
/// example 8, a `no.breaks` finding.
async fn six_hours_without_a_break(app: &TestApp, employee: &str, day: u32) -> Vec<pb::ClockEvent> {
    post_work(
        app,
        employee,
        oslo(2026, 11, day, 9, 0),
        oslo(2026, 11, day, 15, 0),
        &[],
    )
    .await
}

async fn move_event(app: &TestApp, employee: &str, event_id: &str, to: DateTime<Utc>) {
    use pb::correct_event_request::Change;
    app.clock_client(&app.admin_token)
        .correct_event(pb::CorrectEventRequest {
            amendment_id: Uuid::new_v4().to_string(),
            employee_id: employee.into(),
            reason: "left early".into(),
            change: Some(Change::Move(pb::MoveEventChange {
                event_id: event_id.into(),
                occurred_at: Some(ts(to)),
            })),
        })
        .await
        .unwrap();
}

async fn example_4(app: &TestApp, employee: &str) {
    for d in 12..=16 {
        post_work(
            app,
            employee,
            oslo(2026, 10, d, 8, 0),
            oslo(2026, 10, d, 18, 0),
            &[(oslo(2026, 10, d, 11, 30), oslo(2026, 10, d, 12, 0))],
        )
        .await;
    }
    post_work(
        app,
        employee,
        oslo(2026, 10, 17, 9, 0),
        oslo(2026, 10, 17, 11, 45),
        &[],
    )
    .await;
}

async fn timesheet(
    app: &TestApp,
    token: &str,
    employee: &str,
    range: Option<pb::LocalDateRange>,
) -> Result<pb::GetTimesheetResponse, tonic::Status> {
    sheets(app, token)
        .get_timesheet(pb::GetTimesheetRequest {
            employee_id: employee.into(),
            dates: range,
        })
        .await
        .map(tonic::Response::into_inner)
}

async fn findings_of(app: &TestApp, employee: &str) -> Vec<pb::Finding> {
    sheets(app, &app.admin_token)
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

async fn example_4_week_over_grpc(app: TestApp) {
    let kari = app.create_employee("E1").await;
    example_4(&app, &kari.employee_id).await;
    let sheet = timesheet(
        &app,
        &app.admin_token,
        &kari.employee_id,
        dates(date(2026, 10, 12), date(2026, 10, 18)),
    )
    .await
    .unwrap();
    assert_eq!(sheet.time_zone, "Europe/Oslo");
    assert_eq!(
        (sheet.rule_pack.as_str(), sheet.rule_pack_version.as_str()),
        ("no-aml", "2026.1")
    );
    let ot: Vec<i64> = sheet.days.iter().map(|d| d.overtime_minutes).collect();
    assert_eq!(ot, vec![30, 30, 30, 30, 330, 165, 0]);
    let totals = sheet.totals.unwrap();
    assert_eq!(
        (
            totals.worked_minutes,
            totals.overtime_minutes,
            totals.scheduled_minutes
        ),
        (3015, 615, 2250)
    );
    assert_eq!(totals.normal_minutes, 2400);
    // Flex: worked minus scheduled on days that have ended.
    assert_eq!(totals.flex_minutes, 3015 - 2250);
    assert_eq!(
        sheet.flex_balance_end_minutes - sheet.flex_balance_start_minutes,
        765
    );
    assert_eq!(sheet.days[0].intervals.len(), 1);
    assert_eq!(sheet.days[0].intervals[0].worked_minutes, 570);
    assert_eq!(sheet.days[0].intervals[0].breaks.len(), 1);

    // The overtime, and Saturday's work as a weekend pattern.
    let mut rules: Vec<_> = sheet.findings.iter().map(|f| f.rule_id.as_str()).collect();
    rules.sort_unstable();
    assert_eq!(
        rules,
        vec!["no.overtime_7d", "pol.weekend"],
        "{:#?}",
        sheet.findings
    );
    let weekend = sheet
        .findings
        .iter()
        .find(|f| f.rule_id == "pol.weekend")
        .unwrap();
    assert_eq!(weekend.severity(), pb::Severity::Pattern);
    assert_eq!(weekend.measured, 165);
    assert_eq!(weekend.citation, "Tidsvakt policy pol.weekend");
    let f = sheet
        .findings
        .iter()
        .find(|f| f.rule_id == "no.overtime_7d")
        .unwrap();
    assert_eq!(f.rule_id, "no.overtime_7d");
    assert_eq!(f.severity(), pb::Severity::Violation);
    assert_eq!(f.status(), pb::FindingStatus::Open);
    assert_eq!(
        (f.measured, f.limit, f.unit()),
        (615, 600, pb::ValueUnit::Minutes)
    );
    assert_eq!(f.at, Some(ts(oslo(2026, 10, 17, 11, 30))));
    assert_eq!(f.citation, "arbeidsmiljøloven § 10-6 (4)");
    assert_eq!(
        f.explanation,
        "10 t 15 min overtid i 7 dager fra man. 12. okt. 2026 17:30; grense 10 t"
    );
    assert_eq!(f.evidence.len(), 6);
    let saturday = sheet
        .days
        .iter()
        .find(|d| d.date == Some(date(2026, 10, 17)))
        .unwrap();
    let mut on_saturday = saturday.finding_ids.clone();
    on_saturday.sort();
    let mut expected = vec![f.finding_id.clone(), weekend.finding_id.clone()];
    expected.sort();
    assert_eq!(on_saturday, expected);
    assert_eq!(findings_of(&app, &kari.employee_id).await, sheet.findings);
}

/// A finding resolved by a correction and raised again by the next one
/// comes back with its identity, beside other resolved findings that no
/// draft touches (a recompute reads only the resolved findings a draft
/// could reopen).
async fn a_resolved_finding_raised_again_is_reopened(app: TestApp) {
    let kari = app.create_employee("E1").await;
    let id = &kari.employee_id;
    // Two earlier days without a break, each corrected to 5 h 30 min:
    // resolved findings outside the Wednesday's windows.
    for d in [9, 10] {
        let day = six_hours_without_a_break(&app, id, d).await;
        // Read, so the finding is raised before the correction resolves it.
        findings_of(&app, id).await;
        move_event(&app, id, &day[1].event_id, oslo(2026, 11, d, 14, 30)).await;
    }
    // Wed 18 Nov 09:00–15:00, no break: rules.md example 8.
    let day = six_hours_without_a_break(&app, id, 18).await;
    // By rule: a missing clock-out may be raised and resolved on the way
    // in, depending on when the background recompute ran.
    let breaks = |all: Vec<pb::Finding>| -> Vec<pb::Finding> {
        all.into_iter()
            .filter(|f| f.rule_id == "no.breaks")
            .collect()
    };
    let open = breaks(findings_of(&app, id).await);
    let raised: Vec<_> = open
        .iter()
        .filter(|f| f.status() == pb::FindingStatus::Open)
        .collect();
    assert_eq!((open.len(), raised.len()), (3, 1), "{open:?}");
    let first = raised[0].finding_id.clone();
    move_event(&app, id, &day[1].event_id, oslo(2026, 11, 18, 14, 30)).await;
    let resolved = breaks(findings_of(&app, id).await);
    assert!(
        resolved
            .iter()
            .all(|f| f.status() == pb::FindingStatus::Resolved),
        "{resolved:?}"
    );
    move_event(&app, id, &day[1].event_id, oslo(2026, 11, 18, 15, 0)).await;
    let after = breaks(findings_of(&app, id).await);
    assert_eq!(after.len(), 3, "no new finding: {after:?}");
    let open: Vec<_> = after
        .iter()
        .filter(|f| f.status() == pb::FindingStatus::Open)
        .collect();
    assert_eq!(open.len(), 1, "{after:?}");
    assert_eq!(open[0].finding_id, first, "the finding keeps its identity");
    assert!(open[0].resolved_at.is_none());
}

async fn corrections_and_late_events_keep_findings_current(app: TestApp) {
    let kari = app.create_employee("E1").await;
    let id = &kari.employee_id;
    // Wed 18 Nov 09:00–15:00, no break: rules.md example 8.
    let day = six_hours_without_a_break(&app, id, 18).await;
    let before = findings_of(&app, id).await;
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].rule_id, "no.breaks");
    // A late correction moves the clock-out to 14:30: the finding is resolved, not deleted.
    sheets(&app, &app.admin_token);
    move_event(&app, id, &day[1].event_id, oslo(2026, 11, 18, 14, 30)).await;
    let after = findings_of(&app, id).await;
    assert_eq!(after.len(), 1);
    assert_eq!(
        after[0].finding_id, before[0].finding_id,
        "the finding keeps its identity"
    );
    assert_eq!(after[0].status(), pb::FindingStatus::Resolved);
    assert!(after[0].resolved_at.is_some());
    let wednesday = timesheet(
        &app,
        &app.admin_token,
        id,
        dates(date(2026, 11, 18), date(2026, 11, 18)),
    )
    .await
    .unwrap();
    let interval = &wednesday.days[0].intervals[0];
    assert!(
        interval.amended,
        "the timesheet shows the corrected record as corrected"
    );
    assert_eq!(interval.end, Some(ts(oslo(2026, 11, 18, 14, 30))));
    // A late, out-of-order day on Tuesday arrives OUT first: a 10 h 30 min rest before Wednesday.
    let mut clock = app.clock_client(&app.admin_token);
    for e in [
        event(id, ClockOut, oslo(2026, 11, 17, 22, 30)),
        event(id, BreakEnd, oslo(2026, 11, 17, 17, 30)),
        event(id, ClockIn, oslo(2026, 11, 17, 13, 0)),
        event(id, BreakStart, oslo(2026, 11, 17, 17, 0)),
    ] {
        clock
            .record_event(pb::RecordEventRequest { event: Some(e) })
            .await
            .unwrap();
    }
    let open: Vec<_> = findings_of(&app, id)
        .await
        .into_iter()
        .filter(|f| f.status() == pb::FindingStatus::Open)
        .collect();
    // Tuesday 13:00–22:30 also misses core hours and works 1 h 30 min at night.
    assert_eq!(
        open.iter().map(|f| f.rule_id.as_str()).collect::<Vec<_>>(),
        vec!["no.daily_rest", "pol.night", "pol.core_hours"]
    );
    assert_eq!((open[0].measured, open[0].limit), (630, 660));
    // Filters: only open ones, only this rule, by local dates.
    let filtered = sheets(&app, &app.admin_token)
        .list_findings(pb::ListFindingsRequest {
            scope: Some(pb::list_findings_request::Scope::EmployeeId(id.clone())),
            statuses: vec![pb::FindingStatus::Resolved as i32],
            // By rule too: how many transient findings the four late events
            // raised and resolved on their way in depends on when the
            // background recompute ran between them.
            rule_ids: vec!["no.breaks".into()],
            period: Some(pb::list_findings_request::Period::Dates(
                pb::LocalDateRange {
                    start: Some(date(2026, 11, 18)),
                    end: Some(date(2026, 11, 18)),
                },
            )),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(filtered.findings.len(), 1, "{:#?}", filtered.findings);
    assert_eq!(filtered.findings[0].rule_id, "no.breaks");
}

async fn list_findings_pages_newest_first_for_a_team(app: TestApp) {
    let boss = app.create_employee("B1").await;
    let mut reports = Vec::new();
    for n in 0..3 {
        let r = app
            .create_employee_managed_by(&format!("R{n}"), &boss.employee_id)
            .await;
        // A 6 h day without a break on 16, 17 and 18 Nov.
        for d in 16..=18 {
            post_work(
                &app,
                &r.employee_id,
                oslo(2026, 11, d, 9, n),
                oslo(2026, 11, d, 15, n),
                &[],
            )
            .await;
        }
        reports.push(r);
    }
    let boss_token = app.token(pb::Role::Manager, Some(&boss.employee_id)).await;
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = sheets(&app, &boss_token)
            .list_findings(pb::ListFindingsRequest {
                scope: Some(pb::list_findings_request::Scope::ManagerEmployeeId(
                    boss.employee_id.clone(),
                )),
                page: Some(pb::PageRequest {
                    page_size: 4,
                    page_token: token.clone(),
                }),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        seen.extend(page.findings);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seen.len(), 9);
    let ats: Vec<_> = seen.iter().map(|f| f.at.unwrap().seconds).collect();
    let mut sorted = ats.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(ats, sorted, "newest first");
    let ids: std::collections::HashSet<_> = seen.iter().map(|f| f.finding_id.clone()).collect();
    assert_eq!(ids.len(), 9, "no finding twice across pages");
}

async fn headroom_while_working(app: TestApp) {
    let kari = app.create_employee("E1").await;
    // Clocked in at 20:00 local (19:00 UTC); the clock stands at 20:00 UTC.
    app.clock_client(&app.admin_token)
        .record_event(pb::RecordEventRequest {
            event: Some(event(&kari.employee_id, ClockIn, at(19, 0))),
        })
        .await
        .unwrap();
    let h = sheets(&app, &app.admin_token)
        .get_headroom(pb::GetHeadroomRequest {
            employee_id: kari.employee_id.clone(),
            at: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(h.at, Some(ts(test_now())));
    assert!(!h.exempt);
    let rules: Vec<_> = h.limits.iter().map(|l| l.rule_id.as_str()).collect();
    assert_eq!(
        rules,
        vec![
            "no.overtime_7d",
            "no.overtime_4w",
            "no.overtime_52w",
            "no.total_24h",
            "no.total_7d"
        ]
    );
    let total = &h.limits[3];
    assert_eq!(
        (
            total.used_minutes,
            total.limit_minutes,
            total.remaining_minutes
        ),
        (60, 780, 720)
    );
    assert_eq!(total.reached_at, Some(ts(test_now() + Duration::hours(12))));
    let week = &h.limits[0];
    assert_eq!(
        (
            week.used_minutes,
            week.remaining_minutes,
            week.warning_minutes
        ),
        (0, 600, 480)
    );
    // 8 h of normal time left today, then 10 h of overtime.
    assert_eq!(week.reached_at, Some(ts(test_now() + Duration::hours(18))));
    assert_eq!(h.latest_end, Some(ts(test_now() + Duration::hours(12))));
    assert_eq!(h.latest_end_rule_id, "no.total_24h");
    assert_eq!(
        h.earliest_next_start,
        Some(ts(test_now() + Duration::hours(11)))
    );
    assert_eq!(h.earliest_next_start_rule_id, "no.daily_rest");
}

async fn timesheet_access_by_role(app: TestApp) {
    let boss = app.create_employee("B1").await;
    let kari = app
        .create_employee_managed_by("E1", &boss.employee_id)
        .await;
    let ola = app.create_employee("E2").await;
    let range = || dates(date(2026, 11, 16), date(2026, 11, 22));
    let kari_token = app.token(pb::Role::Employee, Some(&kari.employee_id)).await;
    let boss_token = app.token(pb::Role::Manager, Some(&boss.employee_id)).await;
    assert!(
        timesheet(&app, &kari_token, &kari.employee_id, range())
            .await
            .is_ok()
    );
    assert!(
        timesheet(&app, &boss_token, &kari.employee_id, range())
            .await
            .is_ok()
    );
    assert!(
        timesheet(&app, &boss_token, &boss.employee_id, range())
            .await
            .is_ok()
    );
    assert_error(
        timesheet(&app, &kari_token, &ola.employee_id, range()).await,
        Code::PermissionDenied,
        "may not read",
    );
    assert_error(
        timesheet(&app, &boss_token, &ola.employee_id, range()).await,
        Code::PermissionDenied,
        "may not read",
    );
    for role in [pb::Role::Clock, pb::Role::Payroll] {
        let t = app.token(role, None).await;
        assert_error(
            timesheet(&app, &t, &kari.employee_id, range()).await,
            Code::PermissionDenied,
            "role",
        );
        let h = sheets(&app, &t)
            .get_headroom(pb::GetHeadroomRequest {
                employee_id: kari.employee_id.clone(),
                at: None,
            })
            .await;
        assert_error(h, Code::PermissionDenied, "role");
    }
    let org_scope = |token: String| {
        let mut c = sheets(&app, &token);
        async move {
            c.list_findings(pb::ListFindingsRequest {
                scope: Some(pb::list_findings_request::Scope::Organisation(true)),
                ..Default::default()
            })
            .await
        }
    };
    assert_error(
        org_scope(kari_token.clone()).await,
        Code::PermissionDenied,
        "ADMIN",
    );
    assert!(org_scope(app.admin_token.clone()).await.is_ok());
    let team = |token: String, manager: String| {
        let mut c = sheets(&app, &token);
        async move {
            c.list_findings(pb::ListFindingsRequest {
                scope: Some(pb::list_findings_request::Scope::ManagerEmployeeId(manager)),
                ..Default::default()
            })
            .await
        }
    };
    assert_error(
        team(kari_token, boss.employee_id.clone()).await,
        Code::PermissionDenied,
        "team",
    );
    assert!(team(boss_token, boss.employee_id.clone()).await.is_ok());
    // Another organisation's admin does not even see the employee.
    let (_, other) =
        tidsvakt::bootstrap::create_organisation(app.store.as_ref(), "other", test_now())
            .await
            .unwrap();
    assert_error(
        timesheet(&app, &other, &kari.employee_id, range()).await,
        Code::NotFound,
        "employee_id",
    );
}

async fn bad_input_is_refused_naming_the_field(app: TestApp) {
    let kari = app.create_employee("E1").await;
    let id = kari.employee_id.clone();
    let t = &app.admin_token;
    let cases: Vec<(String, Option<pb::LocalDateRange>, &str)> = vec![
        (
            "not-a-uuid".into(),
            dates(date(2026, 11, 1), date(2026, 11, 2)),
            "employee_id",
        ),
        (
            Uuid::new_v4().to_string(),
            dates(date(2026, 11, 1), date(2026, 11, 2)),
            "employee_id",
        ),
        (id.clone(), None, "dates"),
        (
            id.clone(),
            dates(date(2026, 11, 2), date(2026, 11, 1)),
            "before start",
        ),
        (
            id.clone(),
            dates(date(2025, 1, 1), date(2026, 1, 2)),
            "367 days",
        ),
        (
            id.clone(),
            dates(date(2026, 2, 30), date(2026, 3, 1)),
            "dates.start",
        ),
        (
            id.clone(),
            Some(pb::LocalDateRange {
                start: Some(date(2026, 1, 1)),
                end: None,
            }),
            "dates.end",
        ),
    ];
    for (employee, range, needle) in cases {
        let r = timesheet(&app, t, &employee, range).await;
        let code = if needle == "employee_id" && employee != "not-a-uuid" {
            Code::NotFound
        } else {
            Code::InvalidArgument
        };
        assert_error(r, code, needle);
    }
    let mut c = sheets(&app, t);
    let scope = Some(pb::list_findings_request::Scope::EmployeeId(id.clone()));
    let bad: Vec<(pb::ListFindingsRequest, &str)> = vec![
        (pb::ListFindingsRequest::default(), "scope"),
        (
            pb::ListFindingsRequest {
                scope: Some(pb::list_findings_request::Scope::Organisation(false)),
                ..Default::default()
            },
            "organisation",
        ),
        (
            pb::ListFindingsRequest {
                scope: scope.clone(),
                severities: vec![0],
                ..Default::default()
            },
            "severities[0]",
        ),
        (
            pb::ListFindingsRequest {
                scope: scope.clone(),
                statuses: vec![9],
                ..Default::default()
            },
            "statuses[0]",
        ),
        (
            pb::ListFindingsRequest {
                scope: scope.clone(),
                rule_ids: vec![String::new()],
                ..Default::default()
            },
            "rule_ids[0]",
        ),
        (
            pb::ListFindingsRequest {
                scope: scope.clone(),
                page: Some(pb::PageRequest {
                    page_size: 501,
                    page_token: String::new(),
                }),
                ..Default::default()
            },
            "page.page_size",
        ),
        (
            pb::ListFindingsRequest {
                scope: scope.clone(),
                page: Some(pb::PageRequest {
                    page_size: 5,
                    page_token: "zz".into(),
                }),
                ..Default::default()
            },
            "page.page_token",
        ),
        (
            pb::ListFindingsRequest {
                scope: scope.clone(),
                period: Some(pb::list_findings_request::Period::Instants(
                    pb::InstantRange {
                        start: Some(ts(at(10, 0))),
                        end: Some(ts(at(9, 0))),
                    },
                )),
                ..Default::default()
            },
            "instants",
        ),
    ];
    for (req, needle) in bad {
        assert_error(c.list_findings(req).await, Code::InvalidArgument, needle);
    }
    let future = c
        .get_headroom(pb::GetHeadroomRequest {
            employee_id: id.clone(),
            at: Some(ts(test_now() + Duration::hours(1))),
        })
        .await;
    assert_error(future, Code::InvalidArgument, "at");
    assert_error(
        c.get_headroom(pb::GetHeadroomRequest {
            employee_id: "x".into(),
            at: None,
        })
        .await,
        Code::InvalidArgument,
        "employee_id",
    );
}

async fn recomputes_never_duplicate_findings(app: TestApp) {
    let kari = app.create_employee("E1").await;
    let id = &kari.employee_id;
    // Two Sundays in a row (no.sunday_off_next, no.sunday_holiday), and a
    // 6 h day without a break.
    post_work(
        &app,
        id,
        oslo(2026, 10, 4, 10, 0),
        oslo(2026, 10, 4, 12, 0),
        &[],
    )
    .await;
    post_work(
        &app,
        id,
        oslo(2026, 10, 11, 10, 0),
        oslo(2026, 10, 11, 12, 0),
        &[],
    )
    .await;
    post_work(
        &app,
        id,
        oslo(2026, 10, 14, 9, 0),
        oslo(2026, 10, 14, 15, 0),
        &[],
    )
    .await;
    let before = findings_of(&app, id).await;
    // Changes in later weeks recompute scopes that start or end right
    // around those findings: none of them may be duplicated or resolved.
    // Each later morning (09:00–11:00 on a working day) misses the rest of
    // the core hours: one new `pol.core_hours` each, and nothing else.
    for (k, (d, m)) in [(20, 10), (3, 11), (10, 11), (17, 11)]
        .into_iter()
        .enumerate()
    {
        post_work(
            &app,
            id,
            oslo(2026, m, d, 9, 0),
            oslo(2026, m, d, 11, 0),
            &[],
        )
        .await;
        let now = findings_of(&app, id).await;
        let open: Vec<_> = now
            .iter()
            .filter(|f| f.status() == pb::FindingStatus::Open)
            .collect();
        assert_eq!(
            open.len(),
            before.len() + k + 1,
            "after work on {d}.{m}: {now:#?}"
        );
        let new: Vec<_> = open
            .iter()
            .filter(|g| !before.iter().any(|f| f.finding_id == g.finding_id))
            .map(|g| g.rule_id.as_str())
            .collect();
        assert_eq!(new, vec!["pol.core_hours"; k + 1], "after work on {d}.{m}");
        for f in &before {
            assert!(
                open.iter().any(|g| g.finding_id == f.finding_id),
                "{} lost its identity",
                f.rule_id
            );
        }
    }
    let rules: Vec<_> = before.iter().map(|f| f.rule_id.as_str()).collect();
    assert!(
        rules.contains(&"no.sunday_off_next") && rules.contains(&"no.breaks"),
        "{rules:?}"
    );
    assert_eq!(
        rules.iter().filter(|r| **r == "pol.weekend").count(),
        2,
        "one weekend finding per Sunday: {rules:?}"
    );
}

async fn an_employee_token_cannot_read_a_team(app: TestApp) {
    let boss = app.create_employee("B1").await;
    app.create_employee_managed_by("E1", &boss.employee_id)
        .await;
    // The boss's EMPLOYEE token (not MANAGER) reads only the boss.
    let token = app.token(pb::Role::Employee, Some(&boss.employee_id)).await;
    let r = sheets(&app, &token)
        .list_findings(pb::ListFindingsRequest {
            scope: Some(pb::list_findings_request::Scope::ManagerEmployeeId(
                boss.employee_id.clone(),
            )),
            ..Default::default()
        })
        .await;
    assert_error(r, Code::PermissionDenied, "team");
}

/// A timesheet reads its record, the work before its range and whether a
/// recompute is queued in one statement (`timesheet_record`): what it
/// reads is what the separate reads give, including an event outside the
/// range that an amendment moved, and the exact work before the range.
async fn the_timesheet_read_is_the_separate_reads(app: TestApp) {
    use tidsvakt::storage::derived::DerivedStore as _;
    let kari = app.create_employee("E1").await;
    let id = &kari.employee_id;
    example_4(&app, id).await;
    let monday = post_work(
        &app,
        id,
        oslo(2026, 10, 19, 8, 0),
        oslo(2026, 10, 19, 16, 0),
        &[],
    )
    .await;
    // Move the week before's Friday clock-out 15 min earlier.
    let sheet = timesheet(
        &app,
        &app.admin_token,
        id,
        dates(date(2026, 10, 12), date(2026, 10, 16)),
    )
    .await
    .unwrap();
    let friday_out = &sheet.days[4].intervals[0].end_event_id;
    move_event(&app, id, friday_out, oslo(2026, 10, 16, 17, 45)).await;
    // A read drains the queued recomputes first.
    timesheet(
        &app,
        &app.admin_token,
        id,
        dates(date(2026, 10, 19), date(2026, 10, 25)),
    )
    .await
    .unwrap();

    let org = app.org_id().await;
    let employee = tidsvakt::domain::ids::EmployeeId(id.parse().unwrap());
    let load = tidsvakt::domain::engine::record::Span::new(
        oslo(2026, 10, 17, 0, 0),
        oslo(2026, 10, 27, 0, 0),
    );
    let before = chrono::NaiveDate::from_ymd_opt(2026, 10, 19).unwrap();
    let read = app
        .store
        .timesheet_record(org, employee, load, before, None)
        .await
        .unwrap();
    let (read_events, read_amendments) = read.record.clone().unwrap_or_default();
    let (events, amendments) = app
        .store
        .record_between(org, employee, load.start, load.end)
        .await
        .unwrap();
    let worked = app
        .store
        .worked_before(org, employee, before)
        .await
        .unwrap();
    assert_eq!(read_events, events);
    assert_eq!(read_amendments, amendments);
    // 24 events stored (example 4's 22 and Monday's two), one
    // amendment; told that version, the read skips the record, and told
    // any other, it reads it.
    assert_eq!(
        (read.version.events, read.version.amendments),
        (24, 1),
        "{:?}",
        read.version
    );
    let known = app
        .store
        .timesheet_record(org, employee, load, before, Some(read.version))
        .await
        .unwrap();
    assert_eq!(known.record, None);
    assert_eq!(
        (known.version, known.first_worked, known.worked_before),
        (read.version, read.first_worked, read.worked_before)
    );
    for stale in [(23, 1), (24, 0), (25, 1), (24, 2)] {
        let version = tidsvakt::storage::derived::RecordVersion {
            events: stale.0,
            amendments: stale.1,
        };
        let r = app
            .store
            .timesheet_record(org, employee, load, before, Some(version))
            .await
            .unwrap();
        assert_eq!(r.record, Some((events.clone(), amendments.clone())));
    }
    assert_eq!((read.first_worked, read.worked_before), worked);
    assert!(!read.queued, "the read before drained the queue");
    // The plans version comes with the record, and a plans change bumps
    // it: plans kept at the old version are not used for the next sheet.
    let day = || dates(date(2026, 10, 22), date(2026, 10, 22));
    let sheet = timesheet(&app, &app.admin_token, id, day()).await.unwrap();
    assert_eq!(sheet.days[0].holiday_name, "");
    app.admin()
        .add_holiday(pb::AddHolidayRequest {
            holiday: Some(pb::Holiday {
                date: Some(date(2026, 10, 22)),
                name: "Founders' day".into(),
                kind: pb::HolidayKind::DayOff as i32,
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    let after = app
        .store
        .timesheet_record(org, employee, load, before, None)
        .await
        .unwrap();
    assert!(
        after.plans_version > read.plans_version,
        "{} then {}",
        read.plans_version,
        after.plans_version
    );
    let sheet = timesheet(&app, &app.admin_token, id, day()).await.unwrap();
    assert_eq!(
        (
            sheet.days[0].holiday_name.as_str(),
            sheet.days[0].scheduled_minutes
        ),
        ("Founders' day", 0)
    );
    // Saturday's 2 h 45 and Monday's two events in the load, and the moved
    // Friday clock-out the amendment reaches outside it.
    let ids: Vec<String> = read_events
        .iter()
        .map(|e| e.event.event_id.0.to_string())
        .collect();
    assert_eq!(read_events.len(), 5, "{ids:?}");
    assert!(ids.contains(friday_out) && ids.contains(&monday[0].event_id));
    assert_eq!(read_amendments.len(), 1);
    // Before Monday 19 Oct: five days of 9 h 30 (the Friday 9 h 15 after
    // the move) and Saturday's 2 h 45.
    assert_eq!(
        (read.first_worked, read.worked_before),
        (
            chrono::NaiveDate::from_ymd_opt(2026, 10, 12),
            (4 * 570 + 555 + 165) * 60
        )
    );
}

/// The flex balance a timesheet starts with sums every day before it:
/// whole weeks before the first date's week and that week's earlier days
/// (SQLite reads the two from different tables), here 13 scheduled days of
/// 7 h 30 against 20 h worked.
async fn the_flex_balance_starts_from_every_day_before(app: TestApp) {
    let kari = app.create_employee("E1").await;
    let id = kari.employee_id.as_str();
    // Monday 5 Oct (8 h), Wednesday 14 Oct (10 h), Wednesday 21 Oct (2 h).
    post_work(
        &app,
        id,
        oslo(2026, 10, 5, 8, 0),
        oslo(2026, 10, 5, 16, 0),
        &[],
    )
    .await;
    post_work(
        &app,
        id,
        oslo(2026, 10, 14, 8, 0),
        oslo(2026, 10, 14, 18, 0),
        &[],
    )
    .await;
    post_work(
        &app,
        id,
        oslo(2026, 10, 21, 8, 0),
        oslo(2026, 10, 21, 10, 0),
        &[],
    )
    .await;
    let before = timesheet(
        &app,
        &app.admin_token,
        id,
        dates(date(2026, 10, 5), date(2026, 10, 21)),
    )
    .await
    .unwrap();
    let totals = before.totals.unwrap();
    assert_eq!(
        (totals.worked_minutes, totals.scheduled_minutes),
        (480 + 600 + 120, 13 * 450)
    );
    assert_eq!(before.flex_balance_start_minutes, 0);
    assert_eq!(before.flex_balance_end_minutes, 1200 - 13 * 450);
    // From Thursday 22 Oct: the same days, now all before the range.
    let after = timesheet(
        &app,
        &app.admin_token,
        id,
        dates(date(2026, 10, 22), date(2026, 10, 23)),
    )
    .await
    .unwrap();
    assert_eq!(after.flex_balance_start_minutes, 1200 - 13 * 450);
    assert_eq!(after.flex_balance_end_minutes, 1200 - 15 * 450);
}

/// A timesheet read again uses the evaluation kept from the first read
/// (`timesheet_cache`) only while nothing it was judged from moved: after a
/// late event, a correction, a plan change and a rule pack change, each
/// read is what a read with nothing kept gives, and each change shows.
async fn a_kept_timesheet_is_what_a_fresh_read_gives(app: TestApp) {
    let kari = app.create_employee("E1").await;
    let id = &kari.employee_id;
    example_4(&app, id).await;
    let week = || dates(date(2026, 10, 12), date(2026, 10, 18));
    let read = async || timesheet(&app, &app.admin_token, id, week()).await.unwrap();
    let fresh = async || {
        app.timesheets.clear();
        timesheet(&app, &app.admin_token, id, week()).await.unwrap()
    };
    // After a change: the read after it judged afresh; the next one uses
    // what that kept, and gives what a read with nothing kept gives.
    let kept_is_fresh = async |after: pb::GetTimesheetResponse| {
        let hits = app.timesheets.hits();
        let kept = read().await;
        assert_eq!(
            app.timesheets.hits(),
            hits + 1,
            "the kept evaluation was used"
        );
        assert_eq!(kept, after);
        assert_eq!(kept, fresh().await);
    };
    let worked = |s: &pb::GetTimesheetResponse| -> Vec<i64> {
        s.days.iter().map(|d| d.worked_minutes).collect()
    };
    let hits = app.timesheets.hits();
    let first = read().await;
    let again = read().await;
    assert_eq!(
        app.timesheets.hits(),
        hits + 1,
        "the second read used the first's"
    );
    assert_eq!(again, first);
    assert_eq!(worked(&first), vec![570, 570, 570, 570, 570, 165, 0]);

    // A late event: Sunday 10:00–12:00.
    post_work(
        &app,
        id,
        oslo(2026, 10, 18, 10, 0),
        oslo(2026, 10, 18, 12, 0),
        &[],
    )
    .await;
    let late = read().await;
    assert_eq!(worked(&late), vec![570, 570, 570, 570, 570, 165, 120]);
    kept_is_fresh(late.clone()).await;

    // A correction: Friday's clock-out 17:00 instead of 18:00.
    move_event(
        &app,
        id,
        &late.days[4].intervals[0].end_event_id,
        oslo(2026, 10, 16, 17, 0),
    )
    .await;
    let corrected = read().await;
    assert_eq!(worked(&corrected), vec![570, 570, 570, 570, 510, 165, 120]);
    kept_is_fresh(corrected.clone()).await;

    // A plan change: Wednesday becomes a day off.
    let scheduled = |s: &pb::GetTimesheetResponse| -> i64 { s.days[2].scheduled_minutes };
    assert_eq!(scheduled(&corrected), 450);
    app.admin()
        .add_holiday(pb::AddHolidayRequest {
            holiday: Some(pb::Holiday {
                date: Some(date(2026, 10, 14)),
                name: "Founders' day".into(),
                kind: pb::HolidayKind::DayOff as i32,
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    let planned = read().await;
    assert_eq!(scheduled(&planned), 0);
    kept_is_fresh(planned.clone()).await;

    // A setting: the rule pack becomes the EU directive's, which counts no
    // Sunday hours (the load, and so the key, stays the same).
    let sunday = |s: &pb::GetTimesheetResponse| -> i64 { s.days[6].sunday_holiday_minutes };
    assert_eq!(sunday(&planned), 120);
    let mut employee = kari.clone();
    employee.rule_pack = "eu-wtd".into();
    app.admin()
        .update_employee(pb::UpdateEmployeeRequest {
            employee_id: id.clone(),
            employee: Some(employee),
            update_paths: vec!["rule_pack".into()],
        })
        .await
        .unwrap();
    let repacked = read().await;
    assert_eq!(
        (repacked.rule_pack.as_str(), sunday(&repacked)),
        ("eu-wtd", 0)
    );
    kept_is_fresh(repacked.clone()).await;

    // From Tuesday, then from Wednesday: the same span of events loaded
    // (the week's Monday on) and the same first worked date before either,
    // so the same evaluation, but Tuesday's work and plan come before the
    // second range and move its flex balance's start.
    let from = |d: i32| dates(date(2026, 10, d), date(2026, 10, 18));
    let tuesday = timesheet(&app, &app.admin_token, id, from(13))
        .await
        .unwrap();
    let hits = app.timesheets.hits();
    let wednesday = timesheet(&app, &app.admin_token, id, from(14))
        .await
        .unwrap();
    assert_eq!(
        app.timesheets.hits(),
        hits + 1,
        "the week's evaluation was used"
    );
    assert_eq!(tuesday.days[0].flex_minutes, 570 - 450);
    assert_eq!(
        wednesday.flex_balance_start_minutes,
        tuesday.flex_balance_start_minutes + 570 - 450
    );
    app.timesheets.clear();
    let cold = timesheet(&app, &app.admin_token, id, from(14))
        .await
        .unwrap();
    assert_eq!(wednesday, cold);
}

crate::both_backends!(
    a_kept_timesheet_is_what_a_fresh_read_gives,
    recomputes_never_duplicate_findings,
    the_flex_balance_starts_from_every_day_before,
    the_timesheet_read_is_the_separate_reads,
    an_employee_token_cannot_read_a_team,
    example_4_week_over_grpc,
    corrections_and_late_events_keep_findings_current,
    a_resolved_finding_raised_again_is_reopened,
    list_findings_pages_newest_first_for_a_team,
    headroom_while_working,
    timesheet_access_by_role,
    bad_input_is_refused_naming_the_field,
);
