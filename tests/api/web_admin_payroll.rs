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
    Browser::with_token(&app.web_url, &app.admin_token).await
}

async fn grpc_csv(app: &TestApp, dialect: pb::CsvDialect) -> String {
    String::from_utf8(crate::payroll::export_csv(app, "2026-10", dialect).await).unwrap()
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
            "/admin/payroll/settings",
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
        let settings = b
            .post(
                "/admin/payroll/settings",
                &[("csrf", &csrf), ("period_kind", "semi-monthly")],
            )
            .await;
        assert_eq!(settings.status, 403);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM payroll_settings").await, 0);
    assert_eq!(status_of_october(&app).await, pb::PeriodStatus::Open);
}

/// The settings form as the page first shows it (the defaults), with
/// `changes` applied.
fn settings_form(csrf: &str, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let defaults = tidsvakt::domain::payroll::settings::PayrollSettings::default();
    let mut form: Vec<(String, String)> = [
        ("csrf", csrf),
        ("period_kind", "monthly"),
        ("anchor", ""),
        ("tier_from_0", "0"),
        ("tier_rate_0", "50"),
        ("tier_from_1", ""),
        ("tier_rate_1", ""),
        ("night_rate", ""),
        ("sunday_rate", ""),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    for k in defaults.required_keys() {
        form.push((format!("code_{}", k.default_code()), k.default_code()));
    }
    for (k, v) in changes {
        match form.iter_mut().find(|(name, _)| name == k) {
            Some(field) => (*v).clone_into(&mut field.1),
            None => form.push(((*k).to_owned(), (*v).to_owned())),
        }
    }
    form
}

async fn post_settings(b: &mut Browser, form: &[(String, String)]) -> crate::web_client::Page {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    b.post("/admin/payroll/settings", &pairs).await
}

/// The text of the error beside `id`.
fn beside(page: &crate::web_client::Page, id: &str) -> String {
    let needle = format!("id=\"{id}-error\">");
    let at = page
        .body
        .find(&needle)
        .unwrap_or_else(|| panic!("no error beside {id}:\n{}", page.body));
    let rest = &page.body[at + needle.len()..];
    rest[..rest.find("</p>").unwrap()].replace("&#x27;", "'")
}

async fn bad_payroll_settings_are_refused_beside_the_field(app: TestApp) {
    let mut b = admin_browser(&app).await;
    let page = b.get("/admin/payroll/settings").await;
    assert_eq!(page.status, 200);
    let csrf = page.hidden("csrf").unwrap();
    let stored = || app.count("SELECT COUNT(*) FROM payroll_settings");
    for (changes, field, text) in [
        (
            vec![("tier_from_0", "ti")],
            "tier_from_0",
            "Skriv timer, for eksempel 10 eller 7,5.",
        ),
        (
            vec![("tier_from_1", "7,33"), ("tier_rate_1", "100")],
            "tier_from_1",
            "Skriv timer, for eksempel 10 eller 7,5.",
        ),
        (
            vec![("tier_from_1", "0"), ("tier_rate_1", "100")],
            "tier_from_1",
            "Hver sats må starte etter den forrige.",
        ),
        (
            vec![("tier_from_0", "2")],
            "tier_from_0",
            "Den første satsen må gjelde fra 0 timer, så hvert overtidsminutt får en sats.",
        ),
        (
            vec![("tier_from_1", "200"), ("tier_rate_1", "100")],
            "tier_from_1",
            "Kan ikke være mer enn en uke (168 timer).",
        ),
        (
            vec![("night_rate", "20")],
            "night_rate",
            "Tillegget må være minst 40 % (arbeidsmiljøloven § 10-6 (11)), eller tomt for ingen.",
        ),
        (
            vec![("sunday_rate", "mye")],
            "sunday_rate",
            "Skriv tillegget i hele prosent, eller la feltet stå tomt for ingen.",
        ),
        (
            vec![("tier_rate_0", "2000")],
            "tier_rate_0",
            "Tillegget kan ikke være over 1000 %.",
        ),
        (
            vec![("code_WORKED", "")],
            "code_WORKED",
            "Lønnsarten må være 1–32 bokstaver, sifre, «-» eller «_».",
        ),
        (
            vec![("period_kind", "four-weekly"), ("anchor", "2027-01-05")],
            "anchor",
            "Fireukersperioder starter på en mandag.",
        ),
        (
            vec![("period_kind", "four-weekly"), ("anchor", "neste mandag")],
            "anchor",
            "Skriv mandagen en periode starter som ÅÅÅÅ-MM-DD, for eksempel 2027-01-04.",
        ),
    ] {
        let page = post_settings(&mut b, &settings_form(&csrf, &changes)).await;
        assert_eq!(page.status, 422, "{changes:?}");
        assert_eq!(beside(&page, field), text, "{changes:?}");
        assert_eq!(stored().await, 0, "{changes:?}: nothing stored");
    }
    // Without the session's CSRF token: refused, nothing stored.
    let forged = post_settings(&mut b, &settings_form("forged", &[])).await;
    assert_eq!(forged.status, 403);
    assert_eq!(stored().await, 0);
    // Good settings are stored; after a lock the period kind cannot change.
    let ok = post_settings(&mut b, &settings_form(&csrf, &[("code_NORMAL", "1000")])).await;
    assert_eq!(ok.status, 303);
    assert_eq!(stored().await, 1);
    let [kari] = &staff(&app, &["E1"]).await[..] else {
        unreachable!()
    };
    post(&app, day(&kari.employee_id, 10, 14, 16)).await;
    crate::payroll::lock(&app, "2026-10").await.unwrap();
    let page = post_settings(
        &mut b,
        &settings_form(&csrf, &[("period_kind", "semi-monthly")]),
    )
    .await;
    assert_eq!(page.status, 422);
    assert_eq!(
        beside(&page, "period_kind"),
        "Periodetypen kan ikke endres etter at en periode er låst."
    );
    let kept = app.payroll_settings().await;
    assert_eq!(kept.period_kind(), pb::PeriodKind::Monthly);
    assert!(kept.pay_codes.iter().any(|c| c.pay_code == "1000"));
}

crate::both_backends!(
    bad_payroll_settings_are_refused_beside_the_field,
    an_admin_previews_locks_and_downloads_a_period,
    a_manager_or_employee_gets_403,
);
