//! The § 10-7 working-time record for safety representatives and labour
//! inspectors, on both back-ends: `GetWorkingTimeRecord` equals
//! `GetTimesheet` to the minute, a department-scoped safety representative
//! reads only their department, an inspector's token runs out at its exact
//! second, both roles are read-only, bad input names the field, every read
//! is in the audit trail; and the `/record` pages over HTTP (CSV parsed
//! back, 403 for a manager and outside the department, the period's error
//! beside its field). The browser test is `a_safety_rep_prints_a_month_and_the_employee_sees_the_read`.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Europe::Oslo;
use tidsvakt::pb;
use tidsvakt::pb::timesheet_service_client::TimesheetServiceClient;
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::both_backends;
use crate::browser_harness::{Browser as Chromium, browser_available, signed_in};
use crate::helpers::*;
use crate::web_client::Browser;

use pb::EventKind::{BreakEnd, BreakStart, ClockIn, ClockOut};

both_backends!(
    the_record_equals_get_timesheet_and_every_read_is_logged,
    a_department_scoped_rep_reads_only_their_department,
    an_inspector_token_runs_out_at_its_exact_second,
    the_readers_cannot_write_and_others_cannot_read_the_record,
    bad_input_is_refused_naming_the_field,
    the_pages_and_the_csv_show_the_same_figures,
    a_safety_rep_prints_a_month_and_the_employee_sees_the_read,
);

type Sheets = TimesheetServiceClient<InterceptedService<Channel, Bearer>>;

fn sheets(app: &TestApp, token: &str) -> Sheets {
    TimesheetServiceClient::with_interceptor(app.channel.clone(), Bearer::for_token(token))
}

fn oslo(m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Oslo.with_ymd_and_hms(2026, m, d, h, min, 0)
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

#[allow(clippy::unnecessary_wraps)] // fills an optional proto field
fn month(m: &str) -> Option<pb::get_working_time_record_request::Period> {
    Some(pb::get_working_time_record_request::Period::Month(m.into()))
}

#[allow(clippy::unnecessary_wraps)] // fills an optional proto field
fn dates(
    a: pb::LocalDate,
    b: pb::LocalDate,
) -> Option<pb::get_working_time_record_request::Period> {
    Some(pb::get_working_time_record_request::Period::Dates(
        pb::LocalDateRange {
            start: Some(a),
            end: Some(b),
        },
    ))
}

/// Posts one interval (with breaks) and returns its events.
async fn work(
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

async fn employee_in(app: &TestApp, ext: &str, name: &str, department: &str) -> pb::Employee {
    app.admin()
        .create_employee(pb::CreateEmployeeRequest {
            external_id: ext.into(),
            name: name.into(),
            email: format!("{}@example.no", ext.to_lowercase()),
            department: department.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap()
}

/// A reader's token: (secret, token id).
async fn reader_token(
    app: &TestApp,
    name: &str,
    role: pb::Role,
    department: &str,
    expires_at: Option<DateTime<Utc>>,
) -> Result<(String, String), tonic::Status> {
    app.admin()
        .create_api_token(pb::CreateApiTokenRequest {
            name: name.into(),
            role: role as i32,
            employee_id: String::new(),
            expires_at: expires_at.map(ts),
            department: department.into(),
        })
        .await
        .map(|r| {
            let r = r.into_inner();
            (r.secret, r.token.unwrap().token_id)
        })
}

/// Kari (Lager) and Ola (Kontor) with work in November 2026, and Per
/// (no department) with none. Kari: Tue 17 Nov 08:00–16:00 with a 30-min
/// break (7 h 30 min), Wed 18 Nov 09:00–15:00 without one (a `no.breaks`
/// violation), whose clock-out the admin then moves to 14:30 ("left
/// early"): 5 h 30 min. Ola: Mon 16 Nov 08:00–14:00 without a break
/// (rules.md example 8: a `no.breaks` violation).
pub(crate) struct Staff {
    pub(crate) kari: pb::Employee,
    pub(crate) ola: pb::Employee,
    pub(crate) per: pb::Employee,
}

pub(crate) async fn staff(app: &TestApp) -> Staff {
    let kari = employee_in(app, "E1", "Kari Nordmann", "Lager").await;
    let ola = employee_in(app, "E2", "Ola Nordmann", "Kontor").await;
    let per = employee_in(app, "E3", "Per Hansen", "").await;
    work(
        app,
        &kari.employee_id,
        oslo(11, 17, 8, 0),
        oslo(11, 17, 16, 0),
        &[(oslo(11, 17, 11, 30), oslo(11, 17, 12, 0))],
    )
    .await;
    let wed = work(
        app,
        &kari.employee_id,
        oslo(11, 18, 9, 0),
        oslo(11, 18, 15, 0),
        &[],
    )
    .await;
    app.clock_client(&app.admin_token)
        .correct_event(pb::CorrectEventRequest {
            amendment_id: Uuid::new_v4().to_string(),
            employee_id: kari.employee_id.clone(),
            reason: "left early, forgot to clock out".into(),
            change: Some(pb::correct_event_request::Change::Move(
                pb::MoveEventChange {
                    event_id: wed[1].event_id.clone(),
                    occurred_at: Some(ts(oslo(11, 18, 14, 30))),
                },
            )),
        })
        .await
        .unwrap();
    work(
        app,
        &ola.employee_id,
        oslo(11, 16, 8, 0),
        oslo(11, 16, 14, 0),
        &[],
    )
    .await;
    Staff { kari, ola, per }
}

async fn record(
    app: &TestApp,
    token: &str,
    req: pb::GetWorkingTimeRecordRequest,
) -> Result<pb::GetWorkingTimeRecordResponse, tonic::Status> {
    sheets(app, token)
        .get_working_time_record(req)
        .await
        .map(tonic::Response::into_inner)
}

fn november() -> pb::GetWorkingTimeRecordRequest {
    pb::GetWorkingTimeRecordRequest {
        period: month("2026-11"),
        ..Default::default()
    }
}

async fn timesheet(app: &TestApp, employee: &str) -> pb::GetTimesheetResponse {
    sheets(app, &app.admin_token)
        .get_timesheet(pb::GetTimesheetRequest {
            employee_id: employee.into(),
            dates: Some(pb::LocalDateRange {
                start: Some(date(2026, 11, 1)),
                end: Some(date(2026, 11, 30)),
            }),
        })
        .await
        .unwrap()
        .into_inner()
}

/// `(actor_name, subject)` of the log's entries with `action`.
pub(crate) async fn logged(app: &TestApp, action: &str) -> Vec<(String, String)> {
    use tidsvakt::storage::audit::{AuditFilter, AuditStore as _};
    let org = app.org_id().await;
    let filter = AuditFilter {
        from: test_now() - Duration::days(1),
        to: test_now() + Duration::days(400),
        subject: None,
        actions: vec![tidsvakt::domain::audit::AuditAction::parse(action).unwrap()],
        newest_first: false,
    };
    app.store
        .list_audit(org, &filter, None, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            (
                e.actor_name,
                e.subject.map(|s| s.to_string()).unwrap_or_default(),
            )
        })
        .collect()
}

async fn the_record_equals_get_timesheet_and_every_read_is_logged(app: TestApp) {
    let s = staff(&app).await;
    let (rep, _) = reader_token(&app, "Vera Verneombud", pb::Role::SafetyRep, "", None)
        .await
        .unwrap();
    let r = record(&app, &rep, november()).await.unwrap();
    assert_eq!(
        r.dates,
        Some(pb::LocalDateRange {
            start: Some(date(2026, 11, 1)),
            end: Some(date(2026, 11, 30)),
        })
    );
    let ids: Vec<&str> = r.employees.iter().map(|e| e.external_id.as_str()).collect();
    assert_eq!(ids, ["E1", "E2", "E3"]);
    assert_eq!(r.next_page_token, "");
    for (e, who) in r.employees.iter().zip([&s.kari, &s.ola, &s.per]) {
        assert_eq!(e.employee_id, who.employee_id);
        assert_eq!(
            e.timesheet.as_ref().unwrap(),
            &timesheet(&app, &who.employee_id).await,
            "the record of {} is GetTimesheet's answer",
            e.external_id
        );
    }
    let kari = &r.employees[0];
    assert_eq!(kari.name, "Kari Nordmann");
    assert_eq!(kari.department, "Lager");
    let totals = kari.timesheet.as_ref().unwrap().totals.clone().unwrap();
    assert_eq!(totals.worked_minutes, 450 + 330);
    let days: Vec<(i32, i64)> = kari
        .timesheet
        .as_ref()
        .unwrap()
        .days
        .iter()
        .filter(|d| d.worked_minutes > 0)
        .map(|d| (d.date.unwrap().day, d.worked_minutes))
        .collect();
    assert_eq!(days, [(17, 450), (18, 330)]);
    assert_eq!(kari.amendments.len(), 1);
    let a = &kari.amendments[0];
    assert_eq!(a.change, "MOVE");
    assert_eq!(a.reason, "left early, forgot to clock out");
    assert_eq!(a.author, "first admin (ADMIN)");
    assert_eq!(a.occurred_at, Some(ts(oslo(11, 18, 14, 30))));
    assert!(
        kari.timesheet
            .as_ref()
            .unwrap()
            .findings
            .iter()
            .all(|f| f.rule_id != "no.breaks"),
        "the corrected day is 5 h 30 min: no break was needed"
    );
    let ola = &r.employees[1];
    assert_eq!(
        ola.timesheet
            .as_ref()
            .unwrap()
            .totals
            .clone()
            .unwrap()
            .worked_minutes,
        360
    );
    assert!(ola.amendments.is_empty());
    let breaks: Vec<&pb::Finding> = ola
        .timesheet
        .as_ref()
        .unwrap()
        .findings
        .iter()
        .filter(|f| f.rule_id == "no.breaks")
        .collect();
    assert_eq!(breaks.len(), 1, "6 hours without a break");
    assert_eq!(breaks[0].severity, pb::Severity::Violation as i32);
    assert_eq!(
        (breaks[0].measured, breaks[0].limit),
        (0, 1),
        "no break of the one needed"
    );
    assert_eq!(ola.rule_names.get("no.breaks").unwrap(), "Pauser");
    assert_eq!(
        r.employees[2]
            .timesheet
            .as_ref()
            .unwrap()
            .totals
            .clone()
            .unwrap()
            .worked_minutes,
        0
    );

    // One entry per employee read, with the reader's name and role.
    // The test clock stands still, so the entries share an instant and
    // are listed by their random ids: compare them sorted.
    let mut reads = logged(&app, "read_working_time_record").await;
    reads.sort();
    let mut expected: Vec<(String, String)> = [&s.kari, &s.ola, &s.per]
        .iter()
        .map(|e| {
            (
                "Vera Verneombud (SAFETY_REP)".to_owned(),
                e.employee_id.clone(),
            )
        })
        .collect();
    expected.sort();
    assert_eq!(reads, expected);

    // Paged by employee: two, then one.
    let first = record(
        &app,
        &rep,
        pb::GetWorkingTimeRecordRequest {
            page: Some(pb::PageRequest {
                page_size: 2,
                page_token: String::new(),
            }),
            ..november()
        },
    )
    .await
    .unwrap();
    assert_eq!(first.employees.len(), 2);
    assert_ne!(first.next_page_token, "");
    let second = record(
        &app,
        &rep,
        pb::GetWorkingTimeRecordRequest {
            page: Some(pb::PageRequest {
                page_size: 2,
                page_token: first.next_page_token.clone(),
            }),
            ..november()
        },
    )
    .await
    .unwrap();
    let ids: Vec<&str> = second
        .employees
        .iter()
        .map(|e| e.external_id.as_str())
        .collect();
    assert_eq!(ids, ["E3"]);
    assert_eq!(second.next_page_token, "");

    // A range of dates: only Kari's Tuesday.
    let tuesday = record(
        &app,
        &rep,
        pb::GetWorkingTimeRecordRequest {
            period: dates(date(2026, 11, 17), date(2026, 11, 17)),
            employee_id: s.kari.employee_id.clone(),
            page: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(tuesday.employees.len(), 1);
    let t = tuesday.employees[0].timesheet.as_ref().unwrap();
    assert_eq!(t.days.len(), 1);
    assert_eq!(t.totals.clone().unwrap().worked_minutes, 450);
    assert!(
        tuesday.employees[0].amendments.is_empty(),
        "the correction moved Wednesday's clock-out"
    );
}

async fn a_department_scoped_rep_reads_only_their_department(app: TestApp) {
    let s = staff(&app).await;
    let (lager, _) = reader_token(&app, "Liv Lager", pb::Role::SafetyRep, "  Lager ", None)
        .await
        .unwrap();
    let r = record(&app, &lager, november()).await.unwrap();
    let ids: Vec<&str> = r.employees.iter().map(|e| e.external_id.as_str()).collect();
    assert_eq!(ids, ["E1"], "the department is trimmed and matched exactly");

    let refused = record(
        &app,
        &lager,
        pb::GetWorkingTimeRecordRequest {
            employee_id: s.ola.employee_id.clone(),
            ..november()
        },
    )
    .await;
    assert_error(refused, Code::PermissionDenied, "department 'Lager'");
    let refusals = logged(&app, "refused").await;
    assert_eq!(
        refusals,
        [(
            "Liv Lager (SAFETY_REP)".to_owned(),
            s.ola.employee_id.clone()
        )]
    );

    // Ola moves to the warehouse: the rep now reads him too.
    app.admin()
        .update_employee(pb::UpdateEmployeeRequest {
            employee_id: s.ola.employee_id.clone(),
            employee: Some(pb::Employee {
                department: "Lager".into(),
                ..Default::default()
            }),
            update_paths: vec!["department".into()],
        })
        .await
        .unwrap();
    let r = record(&app, &lager, november()).await.unwrap();
    let ids: Vec<&str> = r.employees.iter().map(|e| e.external_id.as_str()).collect();
    assert_eq!(ids, ["E1", "E2"]);
    let _ = s.per;

    // The token's department is for SAFETY_REP only, and at most 100
    // characters; so is an employee's.
    let inspector = reader_token(
        &app,
        "x",
        pb::Role::Inspector,
        "Lager",
        Some(test_now() + Duration::days(1)),
    )
    .await;
    assert_error(inspector, Code::InvalidArgument, "department");
    let long = reader_token(&app, "x", pb::Role::SafetyRep, &"x".repeat(101), None).await;
    assert_error(long, Code::InvalidArgument, "department");
    let listed = app
        .admin()
        .list_api_tokens(pb::ListApiTokensRequest::default())
        .await
        .unwrap()
        .into_inner()
        .tokens;
    let rep = listed.iter().find(|t| t.name == "Liv Lager").unwrap();
    assert_eq!(rep.role, pb::Role::SafetyRep as i32);
    assert_eq!(rep.department, "Lager");
    let bad = app
        .admin()
        .create_employee(pb::CreateEmployeeRequest {
            external_id: "E9".into(),
            name: "N".into(),
            email: "e9@example.no".into(),
            department: "d".repeat(101),
            ..Default::default()
        })
        .await;
    assert_error(bad, Code::InvalidArgument, "department");
}

async fn an_inspector_token_runs_out_at_its_exact_second(app: TestApp) {
    staff(&app).await;
    let none = reader_token(&app, "Arbeidstilsynet", pb::Role::Inspector, "", None).await;
    assert_error(none, Code::InvalidArgument, "expires_at");
    let far = reader_token(
        &app,
        "Arbeidstilsynet",
        pb::Role::Inspector,
        "",
        Some(test_now() + Duration::days(90) + Duration::seconds(1)),
    )
    .await;
    assert_error(far, Code::InvalidArgument, "90 days");
    reader_token(
        &app,
        "Arbeidstilsynet",
        pb::Role::Inspector,
        "",
        Some(test_now() + Duration::days(90)),
    )
    .await
    .expect("exactly 90 days is allowed");

    let end = test_now() + Duration::days(2);
    let (inspector, _) = reader_token(&app, "Inger Inspektør", pb::Role::Inspector, "", Some(end))
        .await
        .unwrap();
    app.clock.set(end - Duration::seconds(1));
    let r = record(&app, &inspector, november()).await.unwrap();
    assert_eq!(r.employees.len(), 3, "the whole organisation");
    app.clock.set(end);
    let expired = record(&app, &inspector, november()).await;
    assert_error(expired, Code::Unauthenticated, "expired");
}

async fn the_readers_cannot_write_and_others_cannot_read_the_record(app: TestApp) {
    let s = staff(&app).await;
    let (rep, _) = reader_token(&app, "Vera", pb::Role::SafetyRep, "", None)
        .await
        .unwrap();
    let (inspector, _) = reader_token(
        &app,
        "Inger",
        pb::Role::Inspector,
        "",
        Some(test_now() + Duration::days(30)),
    )
    .await
    .unwrap();
    for (secret, role) in [(&rep, "SAFETY_REP"), (&inspector, "INSPECTOR")] {
        let post = app
            .clock_client(secret)
            .record_event(pb::RecordEventRequest {
                event: Some(event(&s.kari.employee_id, ClockIn, at(19, 0))),
            })
            .await;
        assert_error(post, Code::PermissionDenied, role);
        let correct = app
            .clock_client(secret)
            .correct_event(pb::CorrectEventRequest {
                amendment_id: Uuid::new_v4().to_string(),
                employee_id: s.kari.employee_id.clone(),
                reason: "no".into(),
                change: Some(pb::correct_event_request::Change::Void(
                    pb::VoidEventChange {
                        event_id: Uuid::new_v4().to_string(),
                    },
                )),
            })
            .await;
        assert_error(correct, Code::PermissionDenied, role);
        let create = app
            .admin_client(secret)
            .create_employee(pb::CreateEmployeeRequest {
                external_id: "X".into(),
                name: "X".into(),
                email: "x@example.no".into(),
                ..Default::default()
            })
            .await;
        assert_error(
            create,
            Code::PermissionDenied,
            &format!("{role}, which is read-only"),
        );
        let token = app
            .admin_client(secret)
            .create_api_token(pb::CreateApiTokenRequest {
                name: "mine".into(),
                role: pb::Role::Admin as i32,
                ..Default::default()
            })
            .await;
        assert_error(token, Code::PermissionDenied, role);
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM employees").await,
        3,
        "nothing was written"
    );

    let manager = app
        .token(pb::Role::Manager, Some(&s.kari.employee_id))
        .await;
    let employee = app
        .token(pb::Role::Employee, Some(&s.ola.employee_id))
        .await;
    let clock = app.clock_token().await;
    let payroll = app.token(pb::Role::Payroll, None).await;
    for (secret, role) in [
        (&manager, "MANAGER"),
        (&employee, "EMPLOYEE"),
        (&clock, "CLOCK"),
        (&payroll, "PAYROLL"),
    ] {
        let r = record(&app, secret, november()).await;
        assert_error(
            r,
            Code::PermissionDenied,
            &format!("this token has role {role}"),
        );
    }
    let refused = logged(&app, "refused").await;
    for role in ["MANAGER", "EMPLOYEE", "CLOCK", "PAYROLL"] {
        assert_eq!(
            refused
                .iter()
                .filter(|(who, _)| who.ends_with(&format!("({role})")))
                .count(),
            1,
            "the {role} refusal is logged: {refused:?}"
        );
    }
}

async fn bad_input_is_refused_naming_the_field(app: TestApp) {
    staff(&app).await;
    let (rep, _) = reader_token(&app, "Vera", pb::Role::SafetyRep, "", None)
        .await
        .unwrap();
    let cases: Vec<(pb::GetWorkingTimeRecordRequest, Code, &str)> = vec![
        (
            pb::GetWorkingTimeRecordRequest::default(),
            Code::InvalidArgument,
            "period",
        ),
        (
            pb::GetWorkingTimeRecordRequest {
                period: month("2026-13"),
                ..Default::default()
            },
            Code::InvalidArgument,
            "month",
        ),
        (
            pb::GetWorkingTimeRecordRequest {
                period: month("november"),
                ..Default::default()
            },
            Code::InvalidArgument,
            "YYYY-MM",
        ),
        (
            pb::GetWorkingTimeRecordRequest {
                period: dates(date(2026, 1, 1), date(2027, 1, 1)),
                ..Default::default()
            },
            Code::InvalidArgument,
            "longer than one year",
        ),
        (
            pb::GetWorkingTimeRecordRequest {
                period: dates(date(2026, 11, 30), date(2026, 11, 1)),
                ..Default::default()
            },
            Code::InvalidArgument,
            "dates",
        ),
        (
            pb::GetWorkingTimeRecordRequest {
                period: Some(pb::get_working_time_record_request::Period::Dates(
                    pb::LocalDateRange {
                        start: None,
                        end: Some(date(2026, 11, 1)),
                    },
                )),
                ..Default::default()
            },
            Code::InvalidArgument,
            "dates.start",
        ),
        (
            pb::GetWorkingTimeRecordRequest {
                employee_id: "not-a-uuid".into(),
                ..november()
            },
            Code::InvalidArgument,
            "employee_id",
        ),
        (
            pb::GetWorkingTimeRecordRequest {
                employee_id: Uuid::new_v4().to_string(),
                ..november()
            },
            Code::NotFound,
            "employee_id",
        ),
        (
            pb::GetWorkingTimeRecordRequest {
                page: Some(pb::PageRequest {
                    page_size: 501,
                    page_token: String::new(),
                }),
                ..november()
            },
            Code::InvalidArgument,
            "page.page_size",
        ),
    ];
    for (req, code, needle) in cases {
        let r = record(&app, &rep, req.clone()).await;
        assert_error(r, code, needle);
    }
    // A whole year is allowed.
    let year = record(
        &app,
        &rep,
        pb::GetWorkingTimeRecordRequest {
            period: dates(date(2026, 1, 1), date(2026, 12, 31)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        year.employees[0].timesheet.as_ref().unwrap().days.len(),
        365
    );
}

/// A plain-HTTP browser signed in with `secret` at /sign-in/token.
async fn token_session(app: &TestApp, secret: &str) -> Browser {
    Browser::with_token(&app.web_url, secret).await
}

async fn the_pages_and_the_csv_show_the_same_figures(app: TestApp) {
    let s = staff(&app).await;
    let (rep, _) = reader_token(&app, "Liv Lager", pb::Role::SafetyRep, "Lager", None)
        .await
        .unwrap();
    let mut b = token_session(&app, &rep).await;
    let list = b.get("/record?period=2026-11").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.has("Kari Nordmann"));
    assert!(list.has("13 t"), "Kari's 780 minutes: {}", list.body);
    assert!(!list.has("Ola Nordmann"), "another department");
    let ola = b
        .get(&format!("/record/{}?period=2026-11", s.ola.employee_id))
        .await;
    assert_eq!(ola.status, 403);
    let bad = b.get("/record?period=2026-13").await;
    assert_eq!(bad.status, 400);
    assert!(bad.has("id=\"period-error\""));
    assert!(bad.has("Skriv perioden som ÅÅÅÅ-MM"));
    assert!(bad.has("value=\"2026-13\""), "what was typed is kept");

    let csv = b.get("/record.csv?period=2026-11").await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    let rows = crate::csv_text::parse(&csv.body, ',');
    let header = &rows[0];
    assert_eq!(header.len(), 17);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let sheet = timesheet(&app, &s.kari.employee_id).await;
    let mut worked: BTreeMap<String, i64> = BTreeMap::new();
    let mut intervals = 0;
    for r in &rows[1..] {
        assert_eq!(r.len(), 17, "{r:?}");
        assert_eq!(r[col("external_id")], "E1", "only the department");
        match r[col("record")].as_str() {
            "day" => {
                worked.insert(
                    r[col("date")].clone(),
                    r[col("worked_minutes")].parse().unwrap(),
                );
            }
            "interval" => intervals += 1,
            "amendment" => {
                assert_eq!(r[col("kind")], "MOVE");
                assert_eq!(r[col("reason")], "left early, forgot to clock out");
                assert_eq!(r[col("author")], "first admin (ADMIN)");
                assert_eq!(r[col("start")], "2026-11-18T14:30:00+01:00");
            }
            "finding" => {
                // Which findings Kari has depends on when the recompute
                // ran while her events arrived (a resolved
                // pol.missing_clock_out may remain); each row names its
                // rule in words.
                assert!(r[col("severity")].starts_with("SEVERITY_"), "{r:?}");
                assert!(r[col("detail")].contains(": "), "{r:?}");
            }
            other => panic!("unknown record {other}"),
        }
    }
    let expected: BTreeMap<String, i64> = sheet
        .days
        .iter()
        .filter(|d| d.worked_minutes > 0)
        .map(|d| {
            let d2 = d.date.unwrap();
            (
                format!("{:04}-{:02}-{:02}", d2.year, d2.month, d2.day),
                d.worked_minutes,
            )
        })
        .collect();
    assert_eq!(worked, expected);
    assert_eq!(
        worked.values().sum::<i64>(),
        sheet.totals.unwrap().worked_minutes
    );
    assert_eq!(intervals, 2);

    // A manager has no business here.
    let boss = app.create_employee_managed_by("M1", "").await;
    app.admin()
        .update_employee(pb::UpdateEmployeeRequest {
            employee_id: s.per.employee_id.clone(),
            employee: Some(pb::Employee {
                manager_id: boss.employee_id.clone(),
                ..Default::default()
            }),
            update_paths: vec!["manager_id".into()],
        })
        .await
        .unwrap();
    let mut manager = crate::web::sign_in(&app, "m1@example.no").await;
    assert_eq!(manager.get("/record?period=2026-11").await.status, 403);
    assert_eq!(manager.get("/record.csv?period=2026-11").await.status, 403);
    assert_eq!(
        manager.get("/record/print?period=2026-11").await.status,
        403
    );
}

async fn a_safety_rep_prints_a_month_and_the_employee_sees_the_read(app: TestApp) {
    if !browser_available() {
        return;
    }
    let s = staff(&app).await;
    let (rep, _) = reader_token(&app, "Vera Verneombud", pb::Role::SafetyRep, "", None)
        .await
        .unwrap();
    let b = Chromium::open(&app).await;
    b.goto("/sign-in/token").await;
    b.fill("#token", &rep).await;
    b.click("#token-sign-in").await;
    assert_eq!(b.path().await, "/record");
    b.set_value("#period", "2026-11").await;
    b.click("#show-period").await;
    assert_eq!(
        b.text_of("#period-heading").await,
        "Periode søn. 1. nov. 2026 – man. 30. nov. 2026"
    );
    let rows = b.count("#record-list tr.record-row").await;
    assert_eq!(rows, 3);
    b.snap("record").await;
    b.click("#record-print").await;
    assert_eq!(b.path().await, "/record/print?period=2026-11");
    assert_eq!(b.count("section.record-employee").await, 3);
    assert_eq!(
        b.text_of("#print-reader").await,
        "Vera Verneombud (verneombud)"
    );
    assert_eq!(
        b.text_of("#print-period").await,
        "Periode søn. 1. nov. 2026 – man. 30. nov. 2026"
    );
    // Kari's two days, Ola's one, Per's none; Ola's finding in words.
    assert_eq!(
        b.text_of(&format!(
            "#employee-{} tr.record-finding[data-rule='no.breaks'] td.measured",
            s.ola.employee_id
        ))
        .await,
        "0 min"
    );
    let days = b
        .js(
            "return Array.from(document.querySelectorAll('section.record-employee')).map(s => s.querySelectorAll('tr.record-day').length);",
            vec![],
        )
        .await;
    assert_eq!(days, serde_json::json!([2, 1, 0]));
    // The print stylesheet: no navigation, a page per employee.
    let print = b
        .js(
            "const out = [];\
             for (const sheet of document.styleSheets) for (const rule of sheet.cssRules) \
               if (rule.media && rule.media.mediaText === 'print') \
                 for (const r of rule.cssRules) out.push(r.cssText);\
             return out;",
            vec![],
        )
        .await;
    let rules: Vec<String> = serde_json::from_value(print).unwrap();
    assert!(
        rules
            .iter()
            .any(|r| r.starts_with(".top") && r.contains("display: none")),
        "{rules:?}"
    );
    assert!(
        rules
            .iter()
            .any(|r| r.starts_with(".record-employee") && r.contains("break-before: page")),
        "{rules:?}"
    );
    assert!(b.count("button#print").await == 1);
    b.snap("record-print").await;
    b.close().await;

    // Kari signs in and sees who read her record.
    let kari = signed_in(&app, "e1@example.no").await;
    kari.goto("/data").await;
    let who = kari.text_of("#reads tbody tr").await;
    assert!(who.contains("Vera Verneombud (verneombud)"), "{who}");
    assert!(who.contains("arbeidstidsoversikten din"), "{who}");
    kari.close().await;
    let _ = s;
}
