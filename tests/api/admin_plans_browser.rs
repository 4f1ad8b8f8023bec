//! The HR console's plan pages in a real browser (issue 16 item 1, part B),
//! on both back-ends: an admin gives three employees a schedule, records a
//! sick leave for two of them at once, adds a holiday eve and sets a rule
//! override with an effective date. Each change shows its confirmation
//! page (whom, from when) and afterwards what it re-judged, with the
//! findings it opened and closed; a manager gets 403.
//!
//! The record before the changes (Europe/Oslo, November 2026), chosen so
//! that each change moves exactly one finding:
//! - E1 works Thu 11-05 09:00–12:00: under the default core hours
//!   (09:00–14:30) that is 150 min away from them, `pol.core_hours`; the new
//!   schedule's core hours 09:00–11:00 are kept, so the schedule closes it.
//! - E2 works Tue 11-10 09:00–14:30: the sick leave of 11-10..11-12 opens
//!   `pol.sick_or_vacation_work`.
//! - E1 works Fri 11-20 09:00–17:00 (break 12:00–12:30): the eve whose window
//!   opens at 15:00 puts 2 h in the Sunday/holiday window (`no.sunday_holiday`
//!   and the `pol.weekend` pattern).
//! - E3 works Wed 11-18 07:00–18:00 (break 11:30–12:00), 10 h 30 min:
//!   `pol.long_day` (limit 10 h); the override to 11 h from 11-16 closes it.

use tidsvakt::pb;
use tidsvakt::pb::timesheet_service_client::TimesheetServiceClient;

use crate::browser_harness::*;
use crate::helpers::*;
use crate::nudges::{oslo, post_work};

/// The open findings of `employee`, by rule.
pub(crate) async fn open_rules(app: &TestApp, employee: &str) -> Vec<String> {
    let mut rules: Vec<String> = TimesheetServiceClient::with_interceptor(
        app.channel.clone(),
        Bearer::for_token(&app.admin_token),
    )
    .list_findings(pb::ListFindingsRequest {
        scope: Some(pb::list_findings_request::Scope::EmployeeId(
            employee.into(),
        )),
        statuses: vec![pb::FindingStatus::Open as i32],
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner()
    .findings
    .into_iter()
    .map(|f| f.rule_id)
    .collect();
    rules.sort();
    rules
}

/// Confirms on the confirmation page, after checking it names `who` and
/// `from`; returns the summary's (from, employees, opened, closed).
async fn confirm(
    b: &Browser,
    shot: &str,
    who: &[&str],
    from: &str,
) -> (String, Vec<String>, String, String) {
    assert_eq!(b.heading().await, "Bekreft endringen");
    assert_eq!(b.text_of("#confirm-from").await, from);
    assert_eq!(b.texts("#confirm-employees li").await, who);
    b.snap(&format!("{shot}-confirm")).await;
    b.viewport(Viewport::Desktop).await;
    b.click("#confirm").await;
    assert!(b.path().await.starts_with("/admin/plans/done?"));
    assert_eq!(b.heading().await, "Vurdert på nytt");
    b.snap(&format!("{shot}-done")).await;
    // The screenshots leave a phone's viewport; the console is used on a desktop.
    b.viewport(Viewport::Desktop).await;
    (
        b.text_of("#done-from").await,
        b.texts("#done-employees li").await,
        b.text_of("#done-opened").await,
        b.text_of("#done-closed").await,
    )
}

async fn an_admin_plans_schedules_absences_holidays_and_overrides_in_the_browser(app: TestApp) {
    if !browser_available() {
        return;
    }
    let e1 = app.create_employee("E1").await;
    let e2 = app.create_employee("E2").await;
    let e3 = app.create_employee("E3").await;
    let boss = app.create_employee("M1").await;
    app.create_employee_managed_by("E4", &boss.employee_id)
        .await;
    // Mon 23 Nov 2026, 10:00 in Oslo: every day below is over.
    app.clock.set(oslo(11, 23, 10, 0));
    post_work(
        &app,
        &e1.employee_id,
        oslo(11, 5, 9, 0),
        oslo(11, 5, 12, 0),
        &[],
    )
    .await;
    post_work(
        &app,
        &e2.employee_id,
        oslo(11, 10, 9, 0),
        oslo(11, 10, 14, 30),
        &[],
    )
    .await;
    post_work(
        &app,
        &e1.employee_id,
        oslo(11, 20, 9, 0),
        oslo(11, 20, 17, 0),
        &[(oslo(11, 20, 12, 0), oslo(11, 20, 12, 30))],
    )
    .await;
    post_work(
        &app,
        &e3.employee_id,
        oslo(11, 18, 7, 0),
        oslo(11, 18, 18, 0),
        &[(oslo(11, 18, 11, 30), oslo(11, 18, 12, 0))],
    )
    .await;
    assert_eq!(open_rules(&app, &e1.employee_id).await, ["pol.core_hours"]);
    assert_eq!(
        open_rules(&app, &e2.employee_id).await,
        Vec::<String>::new()
    );
    assert_eq!(open_rules(&app, &e3.employee_id).await, ["pol.long_day"]);

    let b = Browser::open(&app).await;
    b.viewport(Viewport::Desktop).await;
    b.goto("/sign-in/token").await;
    b.fill("#token", &app.admin_token).await;
    b.click("#token-sign-in").await;
    b.goto("/admin/plans").await;
    assert_eq!(b.status().await, 200);
    assert_eq!(b.heading().await, "Planer og regler");
    b.snap("admin-plans").await;
    b.viewport(Viewport::Desktop).await;

    // 1. A schedule for three employees, with core hours and a flexitime frame.
    b.goto("/admin/plans/schedules").await;
    assert_eq!(b.heading().await, "Timeplaner");
    b.choose(
        "#employees",
        &[&e1.employee_id, &e2.employee_id, &e3.employee_id],
    )
    .await;
    b.set_value("#valid_from", "2026-11-02").await;
    b.set_value("#start", "08:00").await;
    b.set_value("#end", "16:00").await;
    b.fill("#break_minutes", "30").await;
    b.set_value("#core_start", "09:00").await;
    b.set_value("#core_end", "11:00").await;
    b.set_value("#flex_frame_start", "07:00").await;
    b.set_value("#flex_frame_end", "18:00").await;
    b.click("#form-set-submit").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM schedules").await, 0);
    let everyone = ["Employee E1", "Employee E2", "Employee E3"];
    let done = confirm(&b, "admin-plans-schedule", &everyone, "man. 2. nov. 2026").await;
    assert_eq!(
        done,
        (
            "man. 2. nov. 2026".to_owned(),
            everyone.map(String::from).to_vec(),
            "0".to_owned(),
            "1".to_owned()
        ),
        "the new core hours close E1's pol.core_hours"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM schedules").await, 3);
    assert_eq!(
        open_rules(&app, &e1.employee_id).await,
        Vec::<String>::new()
    );
    b.goto("/admin/plans/schedules").await;
    assert_eq!(b.count("#plans tbody tr").await, 3);
    let row = b.texts("#plans tbody tr").await;
    assert!(
        row[0].contains("mandag, tirsdag, onsdag, torsdag, fredag · 08:00–16:00 · pause 30 min"),
        "{row:?}"
    );
    assert!(row[0].contains("09:00–11:00") && row[0].contains("07:00–18:00"));

    // 2. A sick leave for two of them at once.
    b.goto("/admin/plans/absences").await;
    b.choose("#employees", &[&e2.employee_id, &e3.employee_id])
        .await;
    b.select("#kind", "sick").await;
    b.set_value("#first", "2026-11-10").await;
    b.set_value("#last", "2026-11-12").await;
    b.click("#form-add-submit").await;
    let done = confirm(
        &b,
        "admin-plans-absence",
        &["Employee E2", "Employee E3"],
        "tir. 10. nov. 2026",
    )
    .await;
    assert_eq!(
        (done.2.as_str(), done.3.as_str()),
        ("1", "0"),
        "E2 worked on the first sick day"
    );
    assert_eq!(
        open_rules(&app, &e2.employee_id).await,
        ["pol.sick_or_vacation_work"]
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM absences").await, 2);

    // 3. A holiday eve, re-judging everyone from the day before.
    b.goto("/admin/plans/holidays").await;
    b.set_value("#date", "2026-11-20").await;
    b.fill("#name", "Jubileumsaften").await;
    b.select("#kind", "eve").await;
    b.set_value("#window_start", "15:00").await;
    b.click("#form-add-submit").await;
    let all = [
        "Employee E1",
        "Employee E2",
        "Employee E3",
        "Employee E4",
        "Employee M1",
    ];
    let done = confirm(&b, "admin-plans-holiday", &all, "tor. 19. nov. 2026").await;
    let e1_now = open_rules(&app, &e1.employee_id).await;
    assert_eq!(
        e1_now,
        ["no.sunday_holiday", "pol.weekend"],
        "2 h in the eve's window: the legal rule and the weekend pattern"
    );
    assert_eq!((done.2.as_str(), done.3.as_str()), ("2", "0"));

    // 4. A rule override with an effective date.
    b.goto("/admin/plans/overrides").await;
    b.select("#rule", "no-aml|pol.long_day|limit").await;
    b.fill("#value", "660").await;
    b.set_value("#effective_from", "2026-11-16").await;
    b.fill("#reason", "Long field days are planned").await;
    b.click("#form-set-submit").await;
    let done = confirm(&b, "admin-plans-override", &all, "man. 16. nov. 2026").await;
    assert_eq!(
        (done.0.as_str(), done.2.as_str(), done.3.as_str()),
        ("man. 16. nov. 2026", "0", "1"),
        "E3's 10 h 30 min is no longer a long day"
    );
    assert_eq!(
        open_rules(&app, &e3.employee_id).await,
        Vec::<String>::new()
    );
    b.close().await;

    // A manager cannot open the console.
    let m = signed_in(&app, "m1@example.no").await;
    m.goto("/admin/plans").await;
    assert_eq!(m.status().await, 403);
    m.goto("/admin/plans/schedules").await;
    assert_eq!(m.status().await, 403);
    m.close().await;
}

crate::both_backends!(an_admin_plans_schedules_absences_holidays_and_overrides_in_the_browser);
