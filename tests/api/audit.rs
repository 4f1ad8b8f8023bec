//! The audit trail (`audit_log`, the § 10-7 access log): reads of another
//! person's record, refusals, corrections, token changes, failed
//! authentications and sign-ins are logged once each; `ListAuditLog` pages
//! and refuses bad input; the database refuses to change the log; the
//! person sees on *My data* who read their record.

use chrono::Duration;
use sqlx::Connection as _;
use tidsvakt::pb;
use tidsvakt::pb::timesheet_service_client::TimesheetServiceClient;
use tonic::Code;
use uuid::Uuid;

use crate::both_backends;
use crate::helpers::*;

both_backends!(
    a_managers_read_of_a_report_is_logged_and_an_own_read_is_not,
    a_refused_read_is_logged_with_its_message,
    refusals_by_role_and_of_posts_are_logged,
    the_cli_exports_a_period_as_csv,
    a_team_listing_is_one_entry_naming_the_team,
    a_correction_is_logged_with_its_reason,
    token_changes_are_logged,
    a_wrong_token_is_logged_with_the_client_address,
    list_audit_log_pages_and_refuses_bad_input,
    the_database_refuses_to_change_the_log,
    my_data_shows_who_read_my_record,
);

/// A token with `name`, `role`, bound to `employee`: (secret, token id).
async fn named_token(
    app: &TestApp,
    name: &str,
    role: pb::Role,
    employee: &str,
) -> (String, String) {
    let r = app
        .admin()
        .create_api_token(pb::CreateApiTokenRequest {
            name: name.into(),
            role: role as i32,
            employee_id: employee.into(),
            expires_at: Some(token_expiry()),
            department: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    (r.secret, r.token.unwrap().token_id)
}

/// A manager with a manager token, and a report with an employee token.
struct Team {
    manager: pb::Employee,
    manager_secret: String,
    manager_token_id: String,
    report: pb::Employee,
    report_secret: String,
}

async fn team(app: &TestApp) -> Team {
    let manager = app.create_employee("M1").await;
    let report = app
        .create_employee_managed_by("R1", &manager.employee_id)
        .await;
    let (manager_secret, manager_token_id) =
        named_token(app, "Mona Leder", pb::Role::Manager, &manager.employee_id).await;
    let (report_secret, _) =
        named_token(app, "Rune Rapport", pb::Role::Employee, &report.employee_id).await;
    Team {
        manager,
        manager_secret,
        manager_token_id,
        report,
        report_secret,
    }
}

async fn read_timesheet(app: &TestApp, secret: &str, employee: &str) -> Result<(), tonic::Status> {
    TimesheetServiceClient::with_interceptor(app.channel.clone(), Bearer::for_token(secret))
        .get_timesheet(pb::GetTimesheetRequest {
            employee_id: employee.into(),
            dates: Some(pb::LocalDateRange {
                start: Some(pb::LocalDate {
                    year: 2026,
                    month: 11,
                    day: 16,
                }),
                end: Some(pb::LocalDate {
                    year: 2026,
                    month: 11,
                    day: 22,
                }),
            }),
        })
        .await
        .map(|_| ())
}

/// The whole log of the test's day (admin), optionally only `actions`.
async fn log(app: &TestApp, employee: &str, actions: &[&str]) -> Vec<pb::AuditEntry> {
    app.admin()
        .list_audit_log(pb::ListAuditLogRequest {
            from: Some(ts(test_now() - Duration::days(1))),
            to: Some(ts(test_now() + Duration::days(1))),
            employee_id: employee.into(),
            actions: actions.iter().map(|a| (*a).to_owned()).collect(),
            page: Some(pb::PageRequest {
                page_size: 500,
                page_token: String::new(),
            }),
        })
        .await
        .unwrap()
        .into_inner()
        .entries
}

async fn a_managers_read_of_a_report_is_logged_and_an_own_read_is_not(app: TestApp) {
    let t = team(&app).await;
    read_timesheet(&app, &t.manager_secret, &t.report.employee_id)
        .await
        .unwrap();
    let reads = log(&app, &t.report.employee_id, &["read_timesheet"]).await;
    assert_eq!(reads.len(), 1, "{reads:?}");
    let e = &reads[0];
    assert_eq!(e.action, "read_timesheet");
    assert_eq!(e.actor_kind, "token");
    assert_eq!(e.actor_id, t.manager_token_id);
    assert_eq!(e.actor_name, "Mona Leder (MANAGER)");
    assert_eq!(e.subject_employee_id, t.report.employee_id);
    assert_eq!(e.client, "127.0.0.1");
    assert_eq!(e.at, Some(ts(test_now())));
    assert_eq!(e.target, "");
    assert_eq!(e.reason, "");

    // The report reading their own timesheet, the manager their own: nothing.
    read_timesheet(&app, &t.report_secret, &t.report.employee_id)
        .await
        .unwrap();
    read_timesheet(&app, &t.manager_secret, &t.manager.employee_id)
        .await
        .unwrap();
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'read_timesheet'")
            .await,
        1
    );
}

async fn a_refused_read_is_logged_with_its_message(app: TestApp) {
    let t = team(&app).await;
    // The report may not read their manager's timesheet.
    let refused = read_timesheet(&app, &t.report_secret, &t.manager.employee_id).await;
    assert_error(refused, Code::PermissionDenied, "may not read");
    let entries = log(&app, &t.manager.employee_id, &["refused"]).await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    let e = &entries[0];
    assert_eq!(e.actor_name, "Rune Rapport (EMPLOYEE)");
    assert_eq!(e.subject_employee_id, t.manager.employee_id);
    assert_eq!(e.target, "read_timesheet");
    assert_eq!(
        e.reason,
        format!(
            "a EMPLOYEE token may not read the record of employee {}",
            t.manager.employee_id
        )
    );
    assert!(log(&app, "", &["read_timesheet"]).await.is_empty());
}

async fn refusals_by_role_and_of_posts_are_logged(app: TestApp) {
    let t = team(&app).await;
    let (payroll, _) = named_token(&app, "Lønn", pb::Role::Payroll, "").await;
    let refused = read_timesheet(&app, &payroll, &t.report.employee_id).await;
    assert_error(refused, Code::PermissionDenied, "role");
    // The report may not clock in for their manager.
    let refused = app
        .clock_client(&t.report_secret)
        .record_event(pb::RecordEventRequest {
            event: Some(event(
                &t.manager.employee_id,
                pb::EventKind::ClockIn,
                at(19, 0),
            )),
        })
        .await;
    assert_error(refused, Code::PermissionDenied, "may not post");
    let mut entries: Vec<_> = log(&app, "", &["refused"])
        .await
        .into_iter()
        .map(|e| (e.actor_name, e.target, e.subject_employee_id, e.reason))
        .collect();
    entries.sort();
    assert_eq!(
        entries,
        vec![
            (
                "Lønn (PAYROLL)".to_owned(),
                "read_timesheet".to_owned(),
                String::new(),
                "this call needs a token with role ADMIN or MANAGER or EMPLOYEE; this token has \
                 role PAYROLL"
                    .to_owned(),
            ),
            (
                "Rune Rapport (EMPLOYEE)".to_owned(),
                "post_event".to_owned(),
                t.manager.employee_id.clone(),
                format!(
                    "a EMPLOYEE token may not post events for employee {}",
                    t.manager.employee_id
                ),
            ),
        ]
    );
}

async fn the_cli_exports_a_period_as_csv(app: TestApp) {
    let t = team(&app).await;
    read_timesheet(&app, &t.manager_secret, &t.report.employee_id)
        .await
        .unwrap();
    let conn = tidsvakt::cli::client::Connection {
        addr: app.addr.clone(),
        token: Some(app.admin_token.clone()),
        token_file: "none".into(),
    };
    let args = tidsvakt::cli::audit::AuditExportArgs {
        from: "2026-11-19".into(),
        to: "2026-11-20".into(),
        employee: Some(t.report.employee_id.clone()),
    };
    let csv = tidsvakt::cli::audit::export_csv(&conn, &args)
        .await
        .unwrap();
    let lines: Vec<&str> = csv.split_terminator("\r\n").collect();
    assert_eq!(lines[0], tidsvakt::cli::audit::HEADER);
    // The report's creation, their token's creation, the manager's read.
    assert_eq!(lines.len(), 4, "{csv}");
    let read = lines
        .iter()
        .find(|l| l.contains(",read_timesheet,"))
        .unwrap();
    assert!(
        read.contains(&format!(
            ",2026-11-19T20:00:00.000000Z,token,{},Mona Leder (MANAGER),read_timesheet,{},,127.0.0.1,",
            t.manager_token_id, t.report.employee_id
        )),
        "{read}"
    );
    let refused = tidsvakt::cli::audit::export_csv(
        &conn,
        &tidsvakt::cli::audit::AuditExportArgs {
            from: "2026-11-20".into(),
            to: "2026-11-19".into(),
            employee: None,
        },
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(refused.contains("to: must be after from"), "{refused}");
}

async fn a_team_listing_is_one_entry_naming_the_team(app: TestApp) {
    let t = team(&app).await;
    app.create_employee_managed_by("R2", &t.manager.employee_id)
        .await;
    TimesheetServiceClient::with_interceptor(
        app.channel.clone(),
        Bearer::for_token(&t.manager_secret),
    )
    .list_findings(pb::ListFindingsRequest {
        scope: Some(pb::list_findings_request::Scope::ManagerEmployeeId(
            t.manager.employee_id.clone(),
        )),
        ..Default::default()
    })
    .await
    .unwrap();
    let entries = log(&app, "", &["read_findings"]).await;
    assert_eq!(entries.len(), 1, "one entry for two reports: {entries:?}");
    assert_eq!(entries[0].target, format!("team:{}", t.manager.employee_id));
    assert_eq!(entries[0].subject_employee_id, "");
}

async fn a_correction_is_logged_with_its_reason(app: TestApp) {
    let t = team(&app).await;
    let amendment_id = Uuid::new_v4().to_string();
    let request = pb::CorrectEventRequest {
        amendment_id: amendment_id.clone(),
        employee_id: t.report.employee_id.clone(),
        reason: "forgot to clock in, said so at 09:05".into(),
        change: Some(pb::correct_event_request::Change::Add(pb::AddEventChange {
            kind: pb::EventKind::ClockIn as i32,
            occurred_at: Some(ts(at(8, 0))),
            location: pb::Location::Office as i32,
        })),
    };
    let mut manager = app.clock_client(&t.manager_secret);
    manager.correct_event(request.clone()).await.unwrap();
    // The same correction again changes nothing and logs nothing.
    manager.correct_event(request).await.unwrap();
    let entries = log(&app, &t.report.employee_id, &["correct"]).await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    let e = &entries[0];
    assert_eq!(e.actor_name, "Mona Leder (MANAGER)");
    assert_eq!(e.target, amendment_id);
    assert_eq!(e.reason, "forgot to clock in, said so at 09:05");
}

async fn token_changes_are_logged(app: TestApp) {
    let kari = app.create_employee("K1").await;
    let (_, id) = named_token(&app, "Kari", pb::Role::Employee, &kari.employee_id).await;
    let (_, clock_id) = named_token(&app, "Resepsjonen", pb::Role::Clock, "").await;
    app.admin()
        .rotate_api_token(pb::RotateApiTokenRequest {
            token_id: clock_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    app.admin()
        .revoke_api_token(pb::RevokeApiTokenRequest {
            token_id: id.clone(),
        })
        .await
        .unwrap();
    let mut targets: Vec<(String, String)> = log(&app, "", &["token_change"])
        .await
        .into_iter()
        .map(|e| {
            assert!(e.actor_name.ends_with("(ADMIN)"), "{}", e.actor_name);
            (e.target, e.subject_employee_id)
        })
        .collect();
    targets.sort();
    let mut expected = vec![
        (format!("created:{id}"), kari.employee_id.clone()),
        (format!("created:{clock_id}"), String::new()),
        (format!("revoked:{id}"), kari.employee_id.clone()),
        (format!("rotated:{clock_id}"), String::new()),
    ];
    expected.sort();
    assert_eq!(targets, expected);
}

async fn a_wrong_token_is_logged_with_the_client_address(app: TestApp) {
    let refused = app
        .admin_client("tv1_not-a-token")
        .get_organisation(pb::GetOrganisationRequest {})
        .await;
    assert_error(refused, Code::Unauthenticated, "unknown or revoked token");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'auth_failed' \
             AND organisation_id IS NULL AND actor_kind = 'anonymous' \
             AND client = '127.0.0.1' AND reason = 'unknown or revoked token'"
        )
        .await,
        1
    );
    // Not an organisation's entry: an admin's listing does not show it.
    assert!(log(&app, "", &["auth_failed"]).await.is_empty());
}

async fn list_audit_log_pages_and_refuses_bad_input(app: TestApp) {
    let t = team(&app).await;
    // Seven reads by the manager, a minute apart, plus the setup's entries.
    for i in 0..7 {
        app.clock.set(test_now() + Duration::minutes(i));
        read_timesheet(&app, &t.manager_secret, &t.report.employee_id)
            .await
            .unwrap();
    }
    let all = log(&app, "", &[]).await;
    // The setup's 2 employees and 2 tokens, and the 7 reads.
    assert_eq!(all.len(), 11, "{all:?}");
    let mut paged = Vec::new();
    let mut token = String::new();
    let mut calls = 0;
    loop {
        let r = app
            .admin()
            .list_audit_log(pb::ListAuditLogRequest {
                from: Some(ts(test_now() - Duration::days(1))),
                to: Some(ts(test_now() + Duration::days(1))),
                page: Some(pb::PageRequest {
                    page_size: 3,
                    page_token: token.clone(),
                }),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        calls += 1;
        paged.extend(r.entries);
        if r.next_page_token.is_empty() {
            break;
        }
        token = r.next_page_token;
    }
    assert_eq!(calls, 4);
    assert_eq!(paged, all, "pages of 3 give the same 11 entries in order");
    let times: Vec<_> = all.iter().map(|e| e.at.unwrap().seconds).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "oldest first");

    let ok = || pb::ListAuditLogRequest {
        from: Some(ts(test_now() - Duration::days(1))),
        to: Some(ts(test_now())),
        ..Default::default()
    };
    let cases = [
        (
            pb::ListAuditLogRequest { from: None, ..ok() },
            Code::InvalidArgument,
            "from",
        ),
        (
            pb::ListAuditLogRequest { to: None, ..ok() },
            Code::InvalidArgument,
            "to",
        ),
        (
            pb::ListAuditLogRequest {
                to: Some(ts(test_now() - Duration::days(2))),
                ..ok()
            },
            Code::InvalidArgument,
            "to",
        ),
        (
            pb::ListAuditLogRequest {
                to: Some(ts(test_now() + Duration::days(366))),
                ..ok()
            },
            Code::InvalidArgument,
            "to",
        ),
        (
            pb::ListAuditLogRequest {
                employee_id: "nobody".into(),
                ..ok()
            },
            Code::InvalidArgument,
            "employee_id",
        ),
        (
            pb::ListAuditLogRequest {
                employee_id: Uuid::new_v4().to_string(),
                ..ok()
            },
            Code::NotFound,
            "employee_id",
        ),
        (
            pb::ListAuditLogRequest {
                actions: vec!["correct".into(), "peek".into()],
                ..ok()
            },
            Code::InvalidArgument,
            "actions[1]",
        ),
        (
            pb::ListAuditLogRequest {
                page: Some(pb::PageRequest {
                    page_size: 501,
                    page_token: String::new(),
                }),
                ..ok()
            },
            Code::InvalidArgument,
            "page.page_size",
        ),
        (
            pb::ListAuditLogRequest {
                page: Some(pb::PageRequest {
                    page_size: 10,
                    page_token: "zz".into(),
                }),
                ..ok()
            },
            Code::InvalidArgument,
            "page.page_token",
        ),
    ];
    for (request, code, field) in cases {
        let answer = app.admin().list_audit_log(request).await;
        assert_error(answer, code, field);
    }
    for secret in [&t.manager_secret, &t.report_secret] {
        let answer = app.admin_client(secret).list_audit_log(ok()).await;
        assert_error(answer, Code::PermissionDenied, "ADMIN");
    }
}

async fn the_database_refuses_to_change_the_log(app: TestApp) {
    let t = team(&app).await;
    read_timesheet(&app, &t.manager_secret, &t.report.employee_id)
        .await
        .unwrap();
    let before = app.count("SELECT COUNT(*) FROM audit_log").await;
    assert_eq!(before, 5, "2 employees, 2 tokens, 1 read");
    let mut conn = sqlx::AnyConnection::connect(&app.database_url)
        .await
        .unwrap();
    for sql in [
        "UPDATE audit_log SET reason = 'nothing happened'",
        "DELETE FROM audit_log",
    ] {
        let e = sqlx::query(sql).execute(&mut conn).await.unwrap_err();
        assert!(
            e.to_string().contains("audit_log is append-only"),
            "{sql}: {e}"
        );
    }
    if matches!(app.db, Db::Sqlite) {
        // REPLACE deletes without the DELETE trigger; the INSERT guard holds.
        let e = sqlx::query(
            "INSERT OR REPLACE INTO audit_log (entry_id, organisation_id, at, actor_kind, \
             actor_name, action) SELECT entry_id, organisation_id, at, actor_kind, 'someone', \
             action FROM audit_log LIMIT 1",
        )
        .execute(&mut conn)
        .await
        .unwrap_err();
        assert!(e.to_string().contains("append-only"), "{e}");
    } else {
        let e = sqlx::query("TRUNCATE audit_log")
            .execute(&mut conn)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("append-only"), "{e}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log").await, before);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE actor_name = 'someone'")
            .await,
        0
    );
}

async fn my_data_shows_who_read_my_record(app: TestApp) {
    let t = team(&app).await;
    let mut browser = crate::web::sign_in(&app, "r1@example.no").await;
    let before = browser.get("/data").await;
    assert_eq!(before.status, 200);
    assert!(
        before.has("Ingen andre har lest dataene dine."),
        "{}",
        before.body
    );

    app.clock.set(test_now() + Duration::minutes(5));
    read_timesheet(&app, &t.manager_secret, &t.report.employee_id)
        .await
        .unwrap();
    let page = browser.get("/data").await;
    assert_eq!(page.status, 200);
    assert!(page.has("Mona Leder (leder)"), "{}", page.body);
    assert!(page.has("timelisten"), "{}", page.body);
    assert!(!page.has("Ingen andre har lest"), "{}", page.body);
    // Reading one's own page is not a read by someone else.
    assert_eq!(page.body.matches("<tr><td>").count(), 1, "{}", page.body);

    // The sign-in was logged as the session, from the browser's address.
    let sign_ins = log(&app, &t.report.employee_id, &["sign_in"]).await;
    assert_eq!(sign_ins.len(), 1, "{sign_ins:?}");
    assert_eq!(sign_ins[0].actor_kind, "session");
    assert_eq!(sign_ins[0].actor_name, "Employee R1 (EMPLOYEE)");
    assert_eq!(sign_ins[0].client, "127.0.0.1");
}
