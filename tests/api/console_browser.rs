//! The HR console in a real browser (issue 16's "Done when"): an admin
//! imports 50 employees from a CSV file with two bad rows, sees both named
//! in the preview, imports exactly 48, and a second import changes
//! nothing; creates a token and sees its secret once; a manager gets 403.
//! The SQLite leg saves the screenshots the README shows.

use std::fmt::Write as _;

use crate::browser_harness::{Browser, browser_available, signed_in};
use crate::helpers::TestApp;

/// 50 rows: E01 manages E02..E10 and E11, who manages E12..E50; row 18
/// (E17) has a bad email and row 34 (E33) an unknown time zone.
pub(crate) fn hr_export() -> String {
    let mut csv = String::from("external_id;name;email;time_zone;manager_external_id;department\n");
    for i in 1..=50 {
        let email = if i == 17 {
            "e17(at)example.no".to_owned()
        } else {
            format!("e{i:02}@example.no")
        };
        let tz = if i == 33 {
            "Europe/Olso"
        } else {
            "Europe/Oslo"
        };
        let manager = match i {
            1 => "",
            2..=11 => "E01",
            _ => "E11",
        };
        let _ = writeln!(csv, "E{i:02};Ansatt {i:02};{email};{tz};{manager};Lager");
    }
    csv
}

async fn employees(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM employees").await
}

async fn an_admin_imports_fifty_employees_and_creates_a_token(app: TestApp) {
    if !browser_available() {
        return;
    }
    let b = Browser::open(&app).await;
    b.goto("/sign-in/token").await;
    b.fill("#token", &app.admin_token).await;
    b.click("#token-sign-in").await;
    b.goto("/admin/people").await;
    assert_eq!(b.status().await, 200);
    assert_eq!(b.heading().await, "Ansatte");

    b.click("#import-people").await;
    assert_eq!(b.path().await, "/admin/people/import");
    b.set_value("#csv", &hr_export()).await;
    b.snap("console-import").await;
    b.click("#preview").await;
    assert_eq!(b.heading().await, "Forhåndsvisning");
    assert_eq!(
        b.texts("#error-summary li.row-problem").await,
        [
            "Rad 18, email: er ikke en e-postadresse",
            "Rad 34, time_zone: er ikke en IANA-tidssone (for eksempel Europe/Oslo)",
        ]
    );
    assert_eq!(b.text_of("#count-create").await, "Opprettes: 48");
    assert_eq!(b.text_of("#count-skipped").await, "Hoppes over: 2");
    assert_eq!(b.text_of("#import").await, "Importer 48 rader");
    assert_eq!(b.count("#import-rows tr.skipped").await, 2);
    assert_eq!(employees(&app).await, 0, "the preview stores nothing");
    b.snap("console-import-preview").await;

    b.click("#import").await;
    assert_eq!(b.heading().await, "Importen er ferdig");
    assert_eq!(b.text_of("#count-create").await, "Opprettes: 48");
    assert_eq!(
        b.texts("#skipped li").await,
        [
            "Rad 18 (E17): email er ikke en e-postadresse",
            "Rad 34 (E33): time_zone er ikke en IANA-tidssone (for eksempel Europe/Oslo)",
        ]
    );
    assert_eq!(employees(&app).await, 48);
    let e12_manager = app
        .count(
            "SELECT COUNT(*) FROM employees e JOIN employees m ON m.id = e.manager_id \
             WHERE e.external_id = 'E12' AND m.external_id = 'E11'",
        )
        .await;
    assert_eq!(e12_manager, 1, "managers from the same file");

    // The same file again: every row unchanged, nothing to import.
    let changes = || app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'employee_change'");
    let changes_before = changes().await;
    b.goto("/admin/people/import").await;
    b.set_value("#csv", &hr_export()).await;
    b.click("#preview").await;
    assert_eq!(b.text_of("#count-create").await, "Opprettes: 0");
    assert_eq!(b.text_of("#count-update").await, "Oppdateres: 0");
    assert_eq!(b.text_of("#count-unchanged").await, "Uendret: 48");
    assert_eq!(b.text_of("#count-skipped").await, "Hoppes over: 2");
    assert_eq!(b.count("#import").await, 0);
    assert_eq!(employees(&app).await, 48);
    assert_eq!(changes().await, changes_before);

    b.goto("/admin/people?q=ansatt%201").await;
    assert_eq!(
        b.count("#people tr.person").await,
        9,
        "Ansatt 10..19 less E17"
    );
    b.goto("/admin/people").await;
    assert_eq!(b.text_of("#people-count").await, "48 av 48");
    b.snap("console-people").await;

    // A token: the secret on the answer, once.
    b.goto("/admin/tokens/new").await;
    b.fill("#name", "Stemplingsur resepsjonen").await;
    b.select("#role", "CLOCK").await;
    b.click("#create-token").await;
    assert_eq!(b.heading().await, "Tokenet er laget");
    let secret = b.attr("#secret", "value").await.unwrap();
    assert!(secret.starts_with("tv1_"), "{secret}");
    b.snap("console-token-created").await;
    b.goto("/admin/tokens").await;
    assert!(b.text().await.contains("Stemplingsur resepsjonen"));
    assert!(!b.text().await.contains(&secret));
    let html = b
        .js("return document.documentElement.outerHTML;", vec![])
        .await;
    assert!(
        !html.as_str().unwrap().contains(&secret),
        "never shown again"
    );
    b.snap("console-tokens").await;
    b.close().await;

    // A manager (E01 has reports now) cannot open the console.
    let m = signed_in(&app, "e01@example.no").await;
    m.goto("/admin/people").await;
    assert_eq!(m.status().await, 403);
    m.close().await;
}

crate::both_backends!(an_admin_imports_fifty_employees_and_creates_a_token);
