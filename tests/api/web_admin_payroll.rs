//! The HR console's payroll pages over real HTTP on both back-ends: an
//! admin lists the periods, previews October with the record's gaps listed
//! before the totals, is asked to confirm before the lock, locks, and
//! downloads both CSV dialects, whose bytes are the gRPC export's and parse
//! to the same figures; a manager and an employee get 403.

use tidsvakt::pb;

use crate::helpers::*;
use crate::payroll::{day, oslo, payroll, post, staff};
use crate::web::sign_in;
use crate::web_client::Browser;

use pb::EventKind::ClockIn;

async fn admin_browser(app: &TestApp) -> Browser {
    let mut b = Browser::new(&app.web_url);
    let form = b.get("/sign-in/token").await;
    let csrf = form.hidden("csrf").unwrap();
    let ok = b
        .post(
            "/sign-in/token",
            &[("csrf", &csrf), ("token", &app.admin_token)],
        )
        .await;
    assert_eq!(ok.status, 303);
    b
}

async fn grpc_csv(app: &TestApp, dialect: pb::CsvDialect) -> String {
    let mut stream = payroll(app, &app.admin_token)
        .export_totals_csv(pb::ExportTotalsCsvRequest {
            period_id: "2026-10".into(),
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
    String::from_utf8(bytes).unwrap()
}

async fn status_of_october(app: &TestApp) -> pb::PeriodStatus {
    payroll(app, &app.admin_token)
        .list_periods(pb::ListPeriodsRequest {
            from_period_id: "2026-10".into(),
            to_period_id: "2026-10".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .periods[0]
        .period
        .as_ref()
        .unwrap()
        .status()
}

async fn an_admin_previews_locks_and_downloads_a_period(app: TestApp) {
    let [kari, ola] = &staff(&app, &["E1", "E2"]).await[..] else {
        unreachable!()
    };
    post(&app, day(&kari.employee_id, 10, 14, 16)).await;
    // Ola clocked in on 27 Oct and never out: a gap.
    post(
        &app,
        vec![event(&ola.employee_id, ClockIn, oslo(2026, 10, 27, 8, 0))],
    )
    .await;
    let mut b = admin_browser(&app).await;

    let list = b.get("/admin/payroll").await;
    assert_eq!(list.status, 200);
    assert!(list.has("Lønnsperioder"));
    assert!(list.has("<a href=\"/admin/payroll/2026-10\">2026-10</a>"));
    assert!(list.has("/admin/payroll/2026-10/csv?dialect=excel-nb"));
    // Newest first: November (today's) above October.
    assert!(list.body.find("period-2026-11").unwrap() < list.body.find("period-2026-10").unwrap());

    // The gaps come first, then the totals.
    let page = b.get("/admin/payroll/2026-10").await;
    assert_eq!(page.status, 200);
    assert!(page.has("Hull i registreringen"));
    assert!(page.has("E2: 1 åpne intervaller"));
    let gaps = page.body.find("id=\"gaps\"").unwrap();
    let totals = page.body.find("id=\"totals\"").unwrap();
    assert!(gaps < totals);
    // Kari's 7 h 30 min, in Norwegian with a decimal comma.
    assert!(
        page.has("<td>E1</td><td>WORKED</td><td>WORKED</td><td>7,50</td>"),
        "{}",
        page.body
    );
    let csrf = page.hidden("csrf").unwrap();

    // Without the confirmation nothing is locked and the box says why.
    let unconfirmed = b
        .post("/admin/payroll/2026-10/lock", &[("csrf", &csrf)])
        .await;
    assert_eq!(unconfirmed.status, 422);
    assert!(unconfirmed.has("Kryss av for at du har sett hullene før du låser perioden."));
    assert!(
        unconfirmed.body.find("id=\"confirm-error\"").unwrap()
            < unconfirmed.body.find("id=\"confirm\"").unwrap()
    );
    // A form from elsewhere (no CSRF token) locks nothing either.
    let forged = b
        .post("/admin/payroll/2026-10/lock", &[("confirm", "yes")])
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(status_of_october(&app).await, pb::PeriodStatus::Open);

    let locked = b
        .post(
            "/admin/payroll/2026-10/lock",
            &[("csrf", &csrf), ("confirm", "yes")],
        )
        .await;
    assert_eq!(locked.status, 303);
    assert_eq!(locked.header("location"), Some("/admin/payroll/2026-10"));
    assert_eq!(status_of_october(&app).await, pb::PeriodStatus::Locked);
    let after = b.get("/admin/payroll/2026-10").await;
    assert!(after.has("Låst 2026-11-19 20:00 UTC"));
    assert!(!after.body.contains("id=\"lock-form\""));

    // Both downloads are the gRPC export's bytes.
    let rfc = b.get("/admin/payroll/2026-10/csv?dialect=rfc4180").await;
    assert_eq!(rfc.status, 200);
    assert_eq!(rfc.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(
        rfc.header("content-disposition"),
        Some("attachment; filename=\"tidsvakt-2026-10-rfc4180.csv\"")
    );
    assert_eq!(rfc.body, grpc_csv(&app, pb::CsvDialect::Rfc4180).await);
    let excel = b.get("/admin/payroll/2026-10/csv?dialect=excel-nb").await;
    assert_eq!(excel.status, 200);
    assert_eq!(excel.body, grpc_csv(&app, pb::CsvDialect::ExcelNb).await);
    assert!(excel.body.starts_with('\u{feff}'));
    // The same figures: the excel-nb file is the RFC 4180 file with
    // semicolons and decimal commas (no field here holds either).
    let as_rfc: String = excel.body[3..]
        .split("\r\n")
        .map(|row| {
            let mut f: Vec<String> = row.split(';').map(str::to_owned).collect();
            if f.len() == 12 {
                f[8] = f[8].replace(',', ".");
            }
            f.join(",")
        })
        .collect::<Vec<_>>()
        .join("\r\n");
    assert_eq!(as_rfc, rfc.body);
    assert!(rfc.has(&format!(
        "2026-10,{},E1,WORKED,WORKED,,,450,7.50,,,\r\n",
        kari.employee_id
    )));

    let bad = b.get("/admin/payroll/2026-10/csv?dialect=xls").await;
    assert_eq!(bad.status, 400);
    assert!(bad.has("dialect"), "{}", bad.body);
    let bad = b.get("/admin/payroll/2026-13").await;
    assert_eq!(bad.status, 400);
    assert!(bad.has("YYYY-MM"), "{}", bad.body);
}

async fn a_manager_or_employee_gets_403(app: TestApp) {
    let boss = app.create_employee("M1").await;
    app.create_employee_managed_by("E1", &boss.employee_id)
        .await;
    let mut manager = sign_in(&app, "m1@example.no").await;
    let mut employee = sign_in(&app, "e1@example.no").await;
    for b in [&mut manager, &mut employee] {
        for path in [
            "/admin/payroll",
            "/admin/payroll/2026-10",
            "/admin/payroll/2026-10/csv?dialect=excel-nb",
        ] {
            assert_eq!(b.get(path).await.status, 403, "{path}");
        }
        let csrf = b.get("/sessions").await.hidden("csrf").unwrap();
        let lock = b
            .post(
                "/admin/payroll/2026-10/lock",
                &[("csrf", &csrf), ("confirm", "yes")],
            )
            .await;
        assert_eq!(lock.status, 403);
    }
    assert_eq!(status_of_october(&app).await, pb::PeriodStatus::Open);
}

crate::both_backends!(
    an_admin_previews_locks_and_downloads_a_period,
    a_manager_or_employee_gets_403,
);
