//! The HR console (issue 16, item 1): `ImportEmployees` and its bad rows,
//! `tidsvakt import employees` to the character, and every console form's
//! bad input over real HTTP (errors beside the field, values kept, nothing
//! stored). The real-browser walk through is `console_browser.rs`.

use tidsvakt::pb;
use tonic::Code;

use crate::both_backends;
use crate::helpers::{TestApp, assert_error};
use crate::web_client::{Browser, Page};

/// A browser signed in with the admin token.
pub(crate) async fn admin_session(app: &TestApp) -> Browser {
    Browser::with_token(&app.web_url, &app.admin_token).await
}

fn row(n: i32, ext: &str, name: &str, email: &str, tz: &str, mgr: &str) -> pb::ImportEmployeeRow {
    pb::ImportEmployeeRow {
        row: n,
        external_id: ext.into(),
        name: name.into(),
        email: email.into(),
        time_zone: tz.into(),
        manager_external_id: mgr.into(),
        ..Default::default()
    }
}

async fn employees(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM employees").await
}

async fn import(
    app: &TestApp,
    rows: Vec<pb::ImportEmployeeRow>,
    dry_run: bool,
) -> pb::ImportEmployeesResponse {
    app.admin()
        .import_employees(pb::ImportEmployeesRequest { rows, dry_run })
        .await
        .unwrap()
        .into_inner()
}

/// `(row, action, [field: reason])` of each result.
fn summary(r: &pb::ImportEmployeesResponse) -> Vec<(i32, &'static str, Vec<String>)> {
    r.results
        .iter()
        .map(|x| {
            (
                x.row,
                pb::ImportAction::try_from(x.action).unwrap().as_str_name(),
                x.problems
                    .iter()
                    .map(|p| format!("{}: {}", p.field, p.reason))
                    .collect(),
            )
        })
        .collect()
}

async fn import_rpc_names_every_bad_row_and_stores_only_the_good_ones(app: TestApp) {
    app.create_employee("BOSS").await;
    let rows = vec![
        row(2, "E1", "Kari", "kari@example.no", "", "BOSS"),
        row(3, "E2", "Ola", "ola-at-example.no", "", ""),
        row(4, "E3", "Per", "per@example.no", "Mars/Olympus", ""),
        row(5, "E4", "Anne", "anne@example.no", "", "E4"),
        row(6, "E5", "Liv", "liv@example.no", "", "NOBODY"),
        row(7, "E6", "Siri", "siri@example.no", "", ""),
        row(8, "E6", "Siri B", "siri@example.no", "", ""),
        row(9, "E7", "", "e7@example.no", "Europe/Berlin", "E1"),
        row(10, "E8", "Tor", "tor@example.no", "Europe/Berlin", "E1"),
    ];
    let dry = import(&app, rows.clone(), true).await;
    let expected = vec![
        (2, "IMPORT_ACTION_CREATE", vec![]),
        (
            3,
            "IMPORT_ACTION_SKIPPED",
            vec!["email: 'ola-at-example.no' is not an email address (no '@')".to_owned()],
        ),
        (
            4,
            "IMPORT_ACTION_SKIPPED",
            vec!["time_zone: 'Mars/Olympus' is not an IANA time zone (e.g. Europe/Oslo)".to_owned()],
        ),
        (
            5,
            "IMPORT_ACTION_SKIPPED",
            vec!["manager_external_id: would make the employee their own (indirect) manager".to_owned()],
        ),
        (
            6,
            "IMPORT_ACTION_SKIPPED",
            vec!["manager_external_id: 'NOBODY' is neither an employee nor a row of this file that can be imported".to_owned()],
        ),
        (
            7,
            "IMPORT_ACTION_SKIPPED",
            vec!["external_id: 'E6' is also in row 8".to_owned()],
        ),
        (
            8,
            "IMPORT_ACTION_SKIPPED",
            vec!["external_id: 'E6' is also in row 7".to_owned()],
        ),
        (9, "IMPORT_ACTION_SKIPPED", vec!["name: is required".to_owned()]),
        (10, "IMPORT_ACTION_CREATE", vec![]),
    ];
    assert_eq!(summary(&dry), expected);
    assert_eq!(
        (dry.created, dry.updated, dry.unchanged, dry.skipped),
        (2, 0, 0, 7)
    );
    assert!(dry.dry_run);
    assert_eq!(employees(&app).await, 1, "a dry run stores nothing");

    let done = import(&app, rows.clone(), false).await;
    assert_eq!(summary(&done), expected);
    assert_eq!(employees(&app).await, 3);
    let e1 = &done.results[0].employee_id;
    let e8 = app
        .admin()
        .get_employee(pb::GetEmployeeRequest {
            employee_id: done.results[8].employee_id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .employee
        .unwrap();
    assert_eq!(&e8.manager_id, e1, "a manager from the same file");
    assert_eq!(e8.time_zone, "Europe/Berlin");

    // Again: nothing changes. Then one change: one update.
    let again = import(&app, rows.clone(), false).await;
    assert_eq!(
        (again.created, again.updated, again.unchanged, again.skipped),
        (0, 0, 2, 7)
    );
    assert_eq!(employees(&app).await, 3);
    let mut renamed = rows;
    renamed[0].name = "Kari Berg".into();
    let changed = import(&app, renamed, false).await;
    assert_eq!(
        (changed.created, changed.updated, changed.unchanged),
        (0, 1, 1)
    );
}

async fn import_rpc_is_for_admins_and_bounded(app: TestApp) {
    let boss = app.create_employee("M1").await;
    app.create_employee_managed_by("E1", &boss.employee_id)
        .await;
    let manager = app.token(pb::Role::Manager, Some(&boss.employee_id)).await;
    let refused = app
        .admin_client(&manager)
        .import_employees(pb::ImportEmployeesRequest {
            rows: vec![row(2, "X", "X", "x@example.no", "", "")],
            dry_run: true,
        })
        .await;
    assert_error(refused, Code::PermissionDenied, "ADMIN");
    let many = (0..5001)
        .map(|i| row(i + 2, &format!("R{i}"), "R", "r@example.no", "", ""))
        .collect();
    let too_many = app
        .admin()
        .import_employees(pb::ImportEmployeesRequest {
            rows: many,
            dry_run: true,
        })
        .await;
    assert_error(too_many, Code::InvalidArgument, "at most 5000");
    assert_eq!(employees(&app).await, 2);
}

fn connection(app: &TestApp) -> tidsvakt::cli::client::Connection {
    tidsvakt::cli::client::Connection {
        addr: app.addr.clone(),
        token: Some(app.admin_token.clone()),
        token_file: "unused".into(),
    }
}

async fn the_import_command_prints_every_row_exactly(app: TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("staff.csv");
    // A Norwegian spreadsheet's export: BOM, semicolons, CRLF, extra columns.
    std::fs::write(
        &file,
        "\u{feff}Ansattnr;external_id;name;email;manager_external_id\r\n\
         9;M1;Mona Leder;mona@example.no;\r\n\
         10;E1;Kari Nordmann;kari@example.no;M1\r\n\
         11;E2;Ola;ola(at)example.no;M1\r\n",
    )
    .unwrap();
    let conn = connection(&app);
    let args = |dry_run| tidsvakt::cli::import::ImportEmployeesArgs {
        file: file.clone(),
        dry_run,
    };
    let dry = tidsvakt::cli::import::import_text(&conn, &args(true))
        .await
        .unwrap();
    assert_eq!(
        dry,
        "row 2: M1 create\n\
         row 3: E1 create\n\
         row 4: E2 skipped [email: 'ola(at)example.no' is not an email address (no '@')]\n\
         dry run, nothing stored: 2 to create, 0 to update, 0 unchanged, 1 skipped\n"
    );
    assert_eq!(employees(&app).await, 0);
    let done = tidsvakt::cli::import::import_text(&conn, &args(false))
        .await
        .unwrap();
    assert_eq!(
        done,
        "row 2: M1 create\n\
         row 3: E1 create\n\
         row 4: E2 skipped [email: 'ola(at)example.no' is not an email address (no '@')]\n\
         2 created, 0 updated, 0 unchanged, 1 skipped\n"
    );
    let again = tidsvakt::cli::import::import_text(&conn, &args(false))
        .await
        .unwrap();
    assert_eq!(
        again,
        "row 2: M1 unchanged\n\
         row 3: E1 unchanged\n\
         row 4: E2 skipped [email: 'ola(at)example.no' is not an email address (no '@')]\n\
         0 created, 0 updated, 2 unchanged, 1 skipped\n"
    );
    assert_eq!(employees(&app).await, 2);

    std::fs::write(&file, "external_id,name\nE9,Nina\n").unwrap();
    let missing = tidsvakt::cli::import::import_text(&conn, &args(true))
        .await
        .unwrap_err();
    assert_eq!(
        missing.to_string(),
        format!("{}: The header row has no column email.", file.display())
    );
}

fn field_error(page: &Page, field: &str) -> String {
    let needle = format!("id=\"{field}-error\">");
    let at = page
        .body
        .find(&needle)
        .unwrap_or_else(|| panic!("no error beside {field}: {}", page.body))
        + needle.len();
    page.body[at..at + page.body[at..].find('<').unwrap()]
        .replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

async fn the_employee_forms_explain_bad_input_and_store_nothing(app: TestApp) {
    let kari = app.create_employee("K1").await;
    let mut b = admin_session(&app).await;
    let form = b.get("/admin/people/new").await;
    assert_eq!(form.status, 200);
    let csrf = form.hidden("csrf").unwrap();
    let bad = b
        .post(
            "/admin/people/new",
            &[
                ("csrf", &csrf),
                ("external_id", "N1"),
                ("name", ""),
                ("email", "nina-at-example.no"),
                ("time_zone", "Europe/Oslow"),
                ("manager_id", ""),
                ("locale", "nb"),
                ("rule_pack", "us-flsa"),
                ("department", &"Lager ".repeat(20)),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(field_error(&bad, "department"), "Er for lang.");
    assert_eq!(field_error(&bad, "name"), "Mangler.");
    assert_eq!(field_error(&bad, "email"), "Er ikke en e-postadresse.");
    assert_eq!(
        field_error(&bad, "time_zone"),
        "Er ikke en IANA-tidssone (for eksempel Europe/Oslo)."
    );
    assert_eq!(
        field_error(&bad, "rule_pack"),
        "Er ikke en kjent regelpakke (no-aml, eu-wtd, de-arbzg)."
    );
    assert!(bad.has("value=\"nina-at-example.no\""), "kept as typed");
    assert_eq!(employees(&app).await, 1, "nothing stored");

    // A taken external id, from the use case, beside its field; in English.
    b.cookies.insert("tv_lang".into(), "en".into());
    let taken = b
        .post(
            "/admin/people/new",
            &[
                ("csrf", &csrf),
                ("external_id", "K1"),
                ("name", "Nina"),
                ("email", "nina@example.no"),
                ("time_zone", "Europe/Oslo"),
                ("manager_id", ""),
                ("locale", "en"),
                ("rule_pack", "no-aml"),
            ],
        )
        .await;
    assert_eq!(taken.status, 422);
    assert_eq!(
        field_error(&taken, "external_id"),
        "'K1' is already used by another employee."
    );
    assert_eq!(employees(&app).await, 1);

    // Without the CSRF token: refused.
    let forged = b
        .post(
            "/admin/people/new",
            &[
                ("external_id", "N1"),
                ("name", "Nina"),
                ("email", "n@example.no"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(employees(&app).await, 1);

    let ok = b
        .post(
            "/admin/people/new",
            &[
                ("csrf", &csrf),
                ("external_id", "N1"),
                ("name", "Nina Berg"),
                ("email", "nina@example.no"),
                ("time_zone", "Europe/Oslo"),
                ("manager_id", &kari.employee_id),
                ("locale", "en"),
                ("rule_pack", "eu-wtd"),
                ("department", " Lager "),
            ],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM employees WHERE external_id = 'N1' AND department = 'Lager'"
        )
        .await,
        1,
        "the department, trimmed"
    );
    assert_eq!(employees(&app).await, 2);
    let list = b.get("/admin/people?q=berg").await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body.matches("class=\"person").count(), 1);
    assert!(list.has("Nina Berg"));
    let nina_id = {
        let needle = "<td><a href=\"/admin/people/";
        let at = list.body.find(needle).unwrap();
        let rest = &list.body[at + needle.len()..];
        rest[..36].to_owned()
    };

    // Editing: making Kari report to Nina, who reports to Kari, is a loop.
    let edit = b
        .post(
            &format!("/admin/people/{}", kari.employee_id),
            &[
                ("csrf", &csrf),
                ("external_id", "K1"),
                ("name", "Employee K1"),
                ("email", "k1@example.no"),
                ("time_zone", "Europe/Oslo"),
                ("manager_id", &nina_id),
                ("locale", "nb"),
                ("rule_pack", "no-aml"),
            ],
        )
        .await;
    assert_eq!(edit.status, 422);
    assert_eq!(
        field_error(&edit, "manager_id"),
        "Would make the employee their own (indirect) manager."
    );

    // Deactivate after a confirmation page, then reactivate.
    let confirm = b.get(&format!("/admin/people/{nina_id}/deactivate")).await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.has("Deactivate Nina Berg"));
    let done = b
        .post(
            &format!("/admin/people/{nina_id}/deactivate"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(done.status, 303);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM employees WHERE active = 0")
            .await,
        1
    );
    let inactive = b.get("/admin/people?show=inactive").await;
    assert_eq!(inactive.body.matches("class=\"person").count(), 1);
    let back = b
        .post(
            &format!("/admin/people/{nina_id}/reactivate"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(back.status, 303);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM employees WHERE active = 0")
            .await,
        0
    );
}

async fn the_import_page_refuses_a_bad_file_and_previews_before_storing(app: TestApp) {
    let mut b = admin_session(&app).await;
    let form = b.get("/admin/people/import").await;
    assert_eq!(form.status, 200);
    let csrf = form.hidden("csrf").unwrap();
    let missing = b
        .post(
            "/admin/people/import/preview",
            &[("csrf", &csrf), ("csv", "external_id;name\nE1;Kari\n")],
        )
        .await;
    assert_eq!(missing.status, 422);
    assert_eq!(
        field_error(&missing, "csv"),
        "Overskriftsraden mangler kolonnen email."
    );
    assert!(missing.has("E1;Kari"), "the file is kept");
    let csv = "external_id,name,email,manager_external_id\nE1,Kari,kari@example.no,\nE2,Ola,ola@example.no,E9\n";
    let preview = b
        .post(
            "/admin/people/import/preview",
            &[("csrf", &csrf), ("csv", csv)],
        )
        .await;
    assert_eq!(preview.status, 200);
    assert!(
        preview
            .has("Rad 3, manager_external_id: er verken en ansatt eller en rad som kan importeres")
    );
    assert!(preview.has("Importer 1 rader"));
    assert_eq!(employees(&app).await, 0, "a preview stores nothing");
    let forged = b.post("/admin/people/import", &[("csv", csv)]).await;
    assert_eq!(forged.status, 403);
    let done = b
        .post("/admin/people/import", &[("csrf", &csrf), ("csv", csv)])
        .await;
    assert_eq!(done.status, 200);
    assert!(done.has("Opprettes: 1"));
    assert!(done.has("Hoppes over: 1"));
    assert_eq!(employees(&app).await, 1);
}

async fn the_token_forms_explain_bad_input_and_show_the_secret_once(app: TestApp) {
    let kari = app.create_employee("K1").await;
    let mut b = admin_session(&app).await;
    let form = b.get("/admin/tokens/new").await;
    assert_eq!(form.status, 200);
    let csrf = form.hidden("csrf").unwrap();
    let tokens = || app.count("SELECT COUNT(*) FROM api_tokens");
    let before = tokens().await;
    let bad_date = b
        .post(
            "/admin/tokens/new",
            &[
                ("csrf", &csrf),
                ("name", "Kari's phone"),
                ("role", "EMPLOYEE"),
                ("employee_id", &kari.employee_id),
                ("expires", "30.06.2027"),
            ],
        )
        .await;
    assert_eq!(bad_date.status, 422);
    assert_eq!(
        field_error(&bad_date, "expires"),
        "Skriv datoen som ÅÅÅÅ-MM-DD, for eksempel 2027-06-30."
    );
    assert!(bad_date.has("value=\"30.06.2027\""));
    let no_expiry = b
        .post(
            "/admin/tokens/new",
            &[
                ("csrf", &csrf),
                ("name", "Kari's phone"),
                ("role", "EMPLOYEE"),
                ("employee_id", &kari.employee_id),
                ("expires", ""),
            ],
        )
        .await;
    assert_eq!(no_expiry.status, 422);
    assert!(field_error(&no_expiry, "expires").starts_with("Is required for role EMPLOYEE"));
    let no_name = b
        .post(
            "/admin/tokens/new",
            &[
                ("csrf", &csrf),
                ("name", " "),
                ("role", "CLOCK"),
                ("employee_id", ""),
                ("expires", ""),
            ],
        )
        .await;
    assert_eq!(no_name.status, 422);
    assert_eq!(field_error(&no_name, "name"), "Mangler.");
    let no_role = b
        .post(
            "/admin/tokens/new",
            &[("csrf", &csrf), ("name", "x"), ("role", "ROOT")],
        )
        .await;
    assert_eq!(no_role.status, 422);
    assert_eq!(field_error(&no_role, "role"), "Velg en rolle.");
    assert_eq!(tokens().await, before, "nothing stored");

    let made = b
        .post(
            "/admin/tokens/new",
            &[
                ("csrf", &csrf),
                ("name", "Reception clock"),
                ("role", "CLOCK"),
                ("employee_id", ""),
                ("expires", "2099-01-01"),
            ],
        )
        .await;
    assert_eq!(made.status, 200);
    assert_eq!(tokens().await, before + 1);
    let secret = {
        let at = made.body.find("id=\"secret\" value=\"").unwrap() + "id=\"secret\" value=\"".len();
        made.body[at..at + made.body[at..].find('"').unwrap()].to_owned()
    };
    assert!(secret.starts_with("tv1_"), "{secret}");
    let list = b.get("/admin/tokens").await;
    assert!(list.has("Reception clock"));
    assert!(
        !list.body.contains(&secret),
        "the secret is never shown again"
    );

    // Revoke after a confirmation page.
    let id: String = app
        .admin()
        .list_api_tokens(pb::ListApiTokensRequest::default())
        .await
        .unwrap()
        .into_inner()
        .tokens
        .into_iter()
        .find(|t| t.name == "Reception clock")
        .unwrap()
        .token_id;
    let confirm = b.get(&format!("/admin/tokens/{id}/revoke")).await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.has("Trekk tilbake «Reception clock»"));
    let revoked = b
        .post(&format!("/admin/tokens/{id}/revoke"), &[("csrf", &csrf)])
        .await;
    assert_eq!(revoked.status, 303);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM api_tokens WHERE revoked_at IS NOT NULL")
            .await,
        1
    );

    // A safety representative for one department, chosen among the
    // departments the employees are in; other roles get none.
    app.admin()
        .create_employee(pb::CreateEmployeeRequest {
            external_id: "L1".into(),
            name: "Lars Lager".into(),
            email: "lars@example.no".into(),
            department: "Lager".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let form = b.get("/admin/tokens/new").await;
    assert!(form.has("<option value=\"Lager\""), "{}", form.body);
    for (name, role) in [("Verneombud lager", "SAFETY_REP"), ("Drift", "ADMIN")] {
        let made = b
            .post(
                "/admin/tokens/new",
                &[
                    ("csrf", &csrf),
                    ("name", name),
                    ("role", role),
                    ("employee_id", ""),
                    ("department", "Lager"),
                    ("expires", "2099-01-01"),
                ],
            )
            .await;
        assert_eq!(made.status, 200, "{role}");
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM api_tokens WHERE department = 'Lager'")
            .await,
        1,
        "only the SAFETY_REP token reads one department"
    );
    assert!(b.get("/admin/tokens").await.has("Avdeling: Lager"));
}

async fn dead_letters_are_listed_and_retried(app: TestApp) {
    let a = app.create_employee("A1").await;
    app.clock.set(crate::nudges::oslo(11, 23, 15, 0));
    crate::nudges::no_break(&app, &a.employee_id, 23).await;
    crate::nudges::list(&app, &a.employee_id).await;
    app.mailbox.set_mode(crate::smtp::Mode::Permanent);
    let round = app.jobs.run_outbox_once().await.unwrap();
    assert_eq!(round.dead, 1);
    let mut b = admin_session(&app).await;
    let page = b.get("/admin/dead-letters").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.body.matches("class=\"dead-letter\"").count(), 1);
    assert!(page.has("Employee A1"));
    assert!(!page.has("a1@example.no"), "no addresses");
    let csrf = page.hidden("csrf").unwrap();
    let id = {
        let at = page.body.find("/admin/dead-letters/").unwrap() + "/admin/dead-letters/".len();
        page.body[at..at + 36].to_owned()
    };
    let unknown = b
        .post("/admin/dead-letters/not-an-id/retry", &[("csrf", &csrf)])
        .await;
    assert_eq!(unknown.status, 404);
    let retried = b
        .post(
            &format!("/admin/dead-letters/{id}/retry"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(retried.status, 303);
    assert_eq!(
        retried.header("location"),
        Some("/admin/dead-letters?retried=1")
    );
    let after = b.get("/admin/dead-letters?retried=1").await;
    assert_eq!(after.body.matches("class=\"dead-letter\"").count(), 0);
    assert!(after.has("Meldingen er lagt i køen igjen."));
}

async fn a_manager_and_an_employee_cannot_open_the_console(app: TestApp) {
    let boss = app.create_employee("M1").await;
    app.create_employee_managed_by("E1", &boss.employee_id)
        .await;
    let mut manager = crate::web::sign_in(&app, "m1@example.no").await;
    for path in [
        "/admin/people",
        "/admin/people/new",
        "/admin/people/import",
        "/admin/tokens",
        "/admin/tokens/new",
        "/admin/dead-letters",
    ] {
        assert_eq!(manager.get(path).await.status, 403, "{path}");
    }
    let csrf = manager.get("/").await.hidden("csrf").unwrap();
    let posted = manager
        .post(
            "/admin/people/import",
            &[
                ("csrf", &csrf),
                ("csv", "external_id,name,email\nX,X,x@example.no\n"),
            ],
        )
        .await;
    assert_eq!(posted.status, 403);
    assert_eq!(employees(&app).await, 2);
    let mut employee = crate::web::sign_in(&app, "e1@example.no").await;
    assert_eq!(employee.get("/admin/people").await.status, 403);
}

both_backends!(
    import_rpc_names_every_bad_row_and_stores_only_the_good_ones,
    import_rpc_is_for_admins_and_bounded,
    the_import_command_prints_every_row_exactly,
    the_employee_forms_explain_bad_input_and_store_nothing,
    the_import_page_refuses_a_bad_file_and_previews_before_storing,
    the_token_forms_explain_bad_input_and_show_the_secret_once,
    dead_letters_are_listed_and_retried,
    a_manager_and_an_employee_cannot_open_the_console,
);
