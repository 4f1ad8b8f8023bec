//! An HR lead's month in a real browser, end to end (issue 16's "Done
//! when"), on both back-ends: she imports 50 employees from an HR system's
//! CSV file (two bad rows refused and named), sets the payroll settings and
//! pay codes, gives everyone a schedule, records a sick leave, locks
//! October with its one gap listed first, and downloads the payroll file
//! in both dialects. The downloads are the browser's own requests (with
//! its session cookie) and must equal `ExportTotalsCsv` byte for byte.

use serde_json::{Value, json};
use tidsvakt::pb;

use crate::browser_harness::{Browser, Viewport, browser_available};
use crate::console_browser::hr_export;
use crate::helpers::*;
use crate::payroll::{day, oslo, post};

use pb::EventKind::ClockIn;

/// The value of the option of `select` whose text contains `label`.
async fn option_value(b: &Browser, select: &str, label: &str) -> String {
    b.js(
        "return Array.from(document.querySelector(arguments[0]).options) \
           .find(o => o.text.includes(arguments[1])).value;",
        vec![json!(select), json!(label)],
    )
    .await
    .as_str()
    .unwrap_or_else(|| panic!("no option {label} in {select}"))
    .to_owned()
}

/// Confirms a plan change whose confirmation page names `who` people;
/// returns the findings (opened, closed) it re-judged.
async fn confirm(b: &Browser, who: usize) -> (String, String) {
    assert_eq!(b.heading().await, "Bekreft endringen");
    assert_eq!(b.count("#confirm-employees li").await, who);
    b.click("#confirm").await;
    assert_eq!(b.heading().await, "Vurdert på nytt");
    assert_eq!(b.count("#done-employees li").await, who);
    (
        b.text_of("#done-opened").await,
        b.text_of("#done-closed").await,
    )
}

/// What the browser gets from the link `css`: status, the
/// Content-Disposition header and the body's bytes.
async fn download(b: &Browser, css: &str) -> (u64, String, Vec<u8>) {
    let got = b
        .js(
            "return (async () => { \
               const r = await fetch(document.querySelector(arguments[0]).href); \
               const bytes = Array.from(new Uint8Array(await r.arrayBuffer())); \
               return [r.status, r.headers.get('content-disposition'), bytes]; \
             })();",
            vec![json!(css)],
        )
        .await;
    let Value::Array(parts) = got else {
        panic!("{got}")
    };
    let bytes = parts[2]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| u8::try_from(v.as_u64().unwrap()).unwrap())
        .collect();
    (
        parts[0].as_u64().unwrap(),
        parts[1].as_str().unwrap_or_default().to_owned(),
        bytes,
    )
}

async fn employee_id(app: &TestApp, external_id: &str) -> String {
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.database_url)
        .await
        .unwrap();
    sqlx::query_scalar::<_, String>("SELECT id FROM employees WHERE external_id = $1")
        .bind(external_id)
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

async fn settings_step(b: &Browser, app: &TestApp) {
    b.goto("/admin/payroll").await;
    b.click("#payroll-settings").await;
    assert_eq!(
        b.heading().await,
        "Lønnsinnstillinger",
        "{}",
        b.text().await
    );
    // The defaults: monthly, 50 % from 0 h, a code per line.
    assert_eq!(b.attr("#tier_rate_0", "value").await.as_deref(), Some("50"));
    assert_eq!(b.count("#codes tr.code").await, 12);
    // Below the legal minimum: refused beside the field, nothing stored.
    b.fill("#tier_rate_0", "30").await;
    b.click("#save-settings").await;
    assert_eq!(b.status().await, 422);
    assert_eq!(
        b.text_of("#tier_rate_0-error").await,
        "Tillegget må være minst 40 % (arbeidsmiljøloven § 10-6 (11))."
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM payroll_settings").await, 0);
    // 100 % from 10 h of overtime in a week: the new rate's code is asked
    // for before anything is stored.
    b.fill("#tier_rate_0", "50").await;
    b.fill("#tier_from_1", "10").await;
    b.fill("#tier_rate_1", "100").await;
    b.fill("#code_NORMAL", "1000").await;
    b.click("#save-settings").await;
    assert_eq!(
        b.text_of("#code_OVERTIME_100-error").await,
        "Ny sats: kontroller lønnsarten og lagre igjen."
    );
    assert_eq!(
        b.attr("#code_NORMAL", "value").await.as_deref(),
        Some("1000"),
        "what she typed is kept"
    );
    b.fill("#code_OVERTIME_100", "1120").await;
    b.click("#save-settings").await;
    assert_eq!(b.path().await, "/admin/payroll/settings?saved=1");
    assert_eq!(b.text_of("#saved").await, "Innstillingene er lagret.");
    b.snap("console-payroll-settings").await;
    b.viewport(Viewport::Desktop).await;
    let stored = app.payroll_settings().await;
    let tiers: Vec<(i64, i32)> = stored
        .overtime_tiers
        .iter()
        .map(|t| (t.after_week_overtime_minutes, t.rate_percent))
        .collect();
    assert_eq!(tiers, [(0, 50), (600, 100)]);
    let code = |category: pb::PayCategory, rate: i32| {
        stored
            .pay_codes
            .iter()
            .find(|c| c.category() == category && c.rate_percent == rate)
            .map(|c| c.pay_code.clone())
    };
    assert_eq!(code(pb::PayCategory::Normal, 0).as_deref(), Some("1000"));
    assert_eq!(
        code(pb::PayCategory::Overtime, 100).as_deref(),
        Some("1120")
    );
    assert_eq!(
        code(pb::PayCategory::Overtime, 50).as_deref(),
        Some("OVERTIME_50")
    );
    assert!(stored.updated_by.contains("ADMIN"), "{}", stored.updated_by);
}

async fn an_hr_lead_imports_plans_locks_and_downloads_a_month(app: TestApp) {
    if !browser_available() {
        return;
    }
    let b = Browser::open(&app).await;
    b.viewport(Viewport::Desktop).await;
    b.goto("/sign-in/token").await;
    b.fill("#token", &app.admin_token).await;
    b.click("#token-sign-in").await;

    // 1. The import: 48 rows stored, rows 18 and 34 refused and named, the
    // department column read.
    b.goto("/admin/people/import").await;
    assert_eq!(b.status().await, 200);
    b.set_value("#csv", &hr_export()).await;
    b.click("#preview").await;
    assert_eq!(
        b.texts("#error-summary li.row-problem").await,
        [
            "Rad 18, email: er ikke en e-postadresse",
            "Rad 34, time_zone: er ikke en IANA-tidssone (for eksempel Europe/Oslo)",
        ]
    );
    b.click("#import").await;
    assert_eq!(b.heading().await, "Importen er ferdig");
    assert_eq!(app.count("SELECT COUNT(*) FROM employees").await, 48);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM employees WHERE department = 'Lager'")
            .await,
        48
    );

    // 2. Payroll settings and pay codes.
    settings_step(&b, &app).await;

    // 3. A schedule for all 48 from 1 October.
    b.goto("/admin/plans/schedules").await;
    let everyone: Vec<String> = serde_json::from_value(
        b.js(
            "return Array.from(document.querySelector('#employees').options).map(o => o.value).filter(v => v);",
            vec![],
        )
        .await,
    )
    .unwrap();
    assert_eq!(everyone.len(), 48);
    b.choose("#employees", &everyone).await;
    b.set_value("#valid_from", "2026-10-01").await;
    b.set_value("#start", "08:00").await;
    b.set_value("#end", "16:00").await;
    b.fill("#break_minutes", "30").await;
    b.click("#form-set-submit").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM schedules").await, 0);
    confirm(&b, 48).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM schedules").await, 48);

    // October's record: E02 works Mon 5th 08:00–16:00 and Tue 6th
    // 08:00–19:00 (30-min breaks): 7 h 30 min and 10 h 30 min, of which
    // 1 h 30 min is past the 9 h a day of § 10-4 (1); E03 clocks in on
    // Wed 7th and never out; E05 works Mon 5th (the file was imported in
    // November: payroll counts an employee from their first worked day).
    let (e02, e03) = (
        employee_id(&app, "E02").await,
        employee_id(&app, "E03").await,
    );
    post(&app, day(&e02, 10, 5, 16)).await;
    post(&app, day(&employee_id(&app, "E05").await, 10, 5, 16)).await;
    post(&app, day(&e02, 10, 6, 19)).await;
    post(&app, vec![event(&e03, ClockIn, oslo(2026, 10, 7, 8, 0))]).await;

    // 4. A sick leave for E05, Mon 12th to Wed 14th.
    b.goto("/admin/plans/absences").await;
    let e05 = option_value(&b, "#employees", "Ansatt 05").await;
    b.choose("#employees", &[e05]).await;
    b.select("#kind", "sick").await;
    b.set_value("#first", "2026-10-12").await;
    b.set_value("#last", "2026-10-14").await;
    b.click("#form-add-submit").await;
    confirm(&b, 1).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM absences").await, 1);

    // 5. The lock: the gap first; without the box ticked nothing is locked.
    b.goto("/admin/payroll").await;
    b.click("a[href='/admin/payroll/2026-10']").await;
    assert_eq!(b.heading().await, "Lønnsperiode 2026-10");
    assert_eq!(b.texts("#gaps li.gap").await, ["E03: 1 åpne intervaller"]);
    b.click("#lock").await;
    assert_eq!(b.status().await, 422);
    assert_eq!(
        b.text_of("#confirm-error").await,
        "Kryss av for at du har sett hullene før du låser perioden."
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM payroll_periods").await, 0);
    b.click_here("#confirm").await;
    b.click("#lock").await;
    assert_eq!(b.path().await, "/admin/payroll/2026-10");
    assert!(
        b.text_of("#period-status").await.starts_with("Låst "),
        "{}",
        b.text_of("#period-status").await
    );
    assert_eq!(b.count("#lock-form").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM payroll_periods").await, 1);
    b.snap("console-payroll-locked").await;
    b.viewport(Viewport::Desktop).await;

    // 6. Both files, as the browser downloads them.
    let (status, disposition, rfc) = download(&b, "#csv-rfc4180").await;
    assert_eq!(status, 200);
    assert_eq!(
        disposition,
        "attachment; filename=\"tidsvakt-2026-10-rfc4180.csv\""
    );
    let (status, disposition, excel) = download(&b, "#csv-excel-nb").await;
    assert_eq!(status, 200);
    assert_eq!(
        disposition,
        "attachment; filename=\"tidsvakt-2026-10-excel-nb.csv\""
    );
    assert_eq!(
        rfc,
        crate::payroll::export_csv(&app, "2026-10", pb::CsvDialect::Rfc4180).await
    );
    assert_eq!(
        excel,
        crate::payroll::export_csv(&app, "2026-10", pb::CsvDialect::ExcelNb).await
    );
    assert_eq!(&excel[..3], &[0xEF, 0xBB, 0xBF], "a BOM for Excel");
    let rfc = String::from_utf8(rfc).unwrap();
    let excel = String::from_utf8(excel).unwrap();
    // The settings' codes in both; E02's overtime at 50 %, E03's gap an
    // open finding.
    for (line, text) in [
        (format!("2026-10,{e02},E02,1000,NORMAL,,,990,16.50,"), &rfc),
        (
            format!("2026-10;{e02};E02;1000;NORMAL;;;990;16,50;"),
            &excel,
        ),
        (
            format!("2026-10,{e02},E02,OVERTIME_50,OVERTIME,50,,90,1.50,"),
            &rfc,
        ),
        (
            format!("2026-10;{e02};E02;OVERTIME_50;OVERTIME;50;;90;1,50;"),
            &excel,
        ),
    ] {
        assert!(text.contains(&format!("\r\n{line}")), "{line} in\n{text}");
    }
    let rows = crate::csv_text::parse(&rfc, ',');
    let e03_findings: Vec<&str> = rows
        .iter()
        .filter(|r| r[2] == "E03")
        .map(|r| r[9].as_str())
        .collect();
    let rules = crate::admin_plans_browser::open_rules(&app, &e03).await;
    // The missing clock-out, and the gap the lock made a § 10-7 violation.
    assert_eq!(rules, ["no.record", "pol.missing_clock_out"]);
    assert_eq!(
        e03_findings,
        ["2"],
        "E03's one row (its schedule) carries both"
    );
    let sick: Vec<(&str, &str)> = rows
        .iter()
        .filter(|r| r[2] == "E05" && r[4] == "ABSENCE")
        .map(|r| (r[6].as_str(), r[7].as_str()))
        .collect();
    assert_eq!(
        sick,
        [("SICK", "1350")],
        "three scheduled days of 7 h 30 min: {:?}",
        rows.iter().filter(|r| r[2] == "E05").collect::<Vec<_>>()
    );
    b.close().await;
}

crate::both_backends!(an_hr_lead_imports_plans_locks_and_downloads_a_month);
