//! The HR console's plan pages over real HTTP (issue 16 item 1, part B):
//! every form's bad input beside its field in bokmål and English with
//! nothing stored, CSRF, the confirmation step that stores nothing, the
//! confirmed change stored once with its summary, and the pages closed to
//! anyone but an admin. The browser test is `admin_plans_browser.rs`.

use tidsvakt::pb;

use crate::both_backends;
use crate::helpers::TestApp;
use crate::web_client::{Browser, Page};

/// A browser signed in with the admin token, and its CSRF token.
pub(crate) async fn admin(app: &TestApp) -> (Browser, String) {
    let mut b = Browser::with_token(&app.web_url, &app.admin_token).await;
    let page = b.get("/admin/plans/schedules").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = page.hidden("csrf").unwrap();
    (b, csrf)
}

/// Rows of every plan table: what a refused form must leave as it was.
async fn stored(app: &TestApp) -> [i64; 5] {
    [
        app.count("SELECT COUNT(*) FROM schedules").await,
        app.count("SELECT COUNT(*) FROM agreements").await,
        app.count("SELECT COUNT(*) FROM absences").await,
        app.count("SELECT COUNT(*) FROM org_holidays").await,
        app.count("SELECT COUNT(*) FROM rule_overrides").await,
    ]
}

/// The error shown beside `id`.
fn error_beside(page: &Page, id: &str) -> String {
    let needle = format!("id=\"{id}-error\">");
    let Some(at) = page.body.find(&needle) else {
        panic!("no error beside {id}:\n{}", page.body)
    };
    let rest = &page.body[at + needle.len()..];
    rest[..rest.find("</p>").unwrap()]
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

async fn post(b: &mut Browser, section: &str, fields: &[(&str, &str)]) -> Page {
    b.post(&format!("/admin/plans/{section}"), fields).await
}

async fn bad_input_is_explained_beside_the_field_and_nothing_is_stored(app: TestApp) {
    let e1 = app.create_employee("E1").await;
    let (mut b, csrf) = admin(&app).await;
    let before = stored(&app).await;

    // Schedules: the form's own checks.
    let p = post(
        &mut b,
        "schedules",
        &[
            ("csrf", &csrf),
            ("op", "set"),
            ("valid_from", "2026-13-01"),
            ("weekdays", "1"),
            ("start", "8"),
        ],
    )
    .await;
    assert_eq!(p.status, 422);
    assert_eq!(error_beside(&p, "employees"), "Velg minst én ansatt.");
    assert_eq!(
        error_beside(&p, "valid_from"),
        "Skriv datoen som ÅÅÅÅ-MM-DD, for eksempel 2026-11-02."
    );
    assert_eq!(
        error_beside(&p, "start"),
        "Skriv klokkeslettet som TT:MM, for eksempel 08:00."
    );
    assert_eq!(error_beside(&p, "end"), "Fyll ut dette feltet.");
    assert!(p.has("value=\"2026-13-01\""), "what was typed is kept");
    assert!(p.has("id=\"error-summary\""));
    // No working day, and an employee the page did not offer.
    let p = post(
        &mut b,
        "schedules",
        &[
            ("csrf", &csrf),
            ("op", "set"),
            ("employees", "6f1c3f7e-0000-4000-8000-000000000000"),
            ("valid_from", "2026-11-02"),
            ("start", "08:00"),
            ("end", "16:00"),
        ],
    )
    .await;
    assert_eq!(p.status, 422);
    assert_eq!(error_beside(&p, "employees"), "Velg et alternativ.");
    assert_eq!(error_beside(&p, "weekdays"), "Velg minst én arbeidsdag.");
    // The use case's own check, beside the field it names.
    let p = post(
        &mut b,
        "schedules",
        &[
            ("csrf", &csrf),
            ("op", "set"),
            ("employees", &e1.employee_id),
            ("valid_from", "2026-11-02"),
            ("weekdays", "1"),
            ("start", "08:00"),
            ("end", "16:00"),
            ("break_minutes", "30"),
            ("core_start", "15:00"),
            ("core_end", "14:00"),
        ],
    )
    .await;
    assert_eq!(p.status, 422);
    assert_eq!(
        error_beside(&p, "core_end"),
        "Godtas ikke: er ikke etter core_start"
    );

    // Agreements: beyond what the basis may agree, named with the
    // catalog's figure; the allowed ranges are on the page.
    let p = post(
        &mut b,
        "agreements",
        &[
            ("csrf", &csrf),
            ("op", "create"),
            ("employee_id", &e1.employee_id),
            ("kind", "extended_overtime"),
            ("basis", "tariff_representatives"),
            ("valid_from", "2026-11-02"),
            ("valid_to", "2027-11-01"),
            ("reference", "Sak 2026/14"),
            ("overtime_7d_limit_minutes", "1300"),
        ],
    )
    .await;
    assert_eq!(p.status, 422);
    assert_eq!(
        error_beside(&p, "overtime_7d_limit_minutes"),
        "Godtas ikke: 1300 er utenfor 0..1200 (det meste tillitsvalgte (§ 10-6 (5)) kan avtale)"
    );
    assert!(p.has(
        "Tillitsvalgte: Overtid per 7 dager (min) ≤ 1200 (20 t) — tariff representatives (§ 10-6 (5))"
    ));
    assert!(p.has(
        "Arbeidstilsynet: Overtid per 26 uker (min) ≤ 12000 (200 t) — Arbeidstilsynet (§ 10-6 (6))"
    ));
    let p = post(
        &mut b,
        "agreements",
        &[
            ("csrf", &csrf),
            ("op", "create"),
            ("kind", "telepathy"),
            ("reference", ""),
        ],
    )
    .await;
    assert_eq!(p.status, 422);
    assert_eq!(error_beside(&p, "employee_id"), "Velg et alternativ.");
    assert_eq!(error_beside(&p, "kind"), "Velg et alternativ.");
    assert_eq!(error_beside(&p, "basis"), "Velg et alternativ.");
    assert_eq!(error_beside(&p, "valid_from"), "Fyll ut dette feltet.");
    assert_eq!(error_beside(&p, "reference"), "Fyll ut dette feltet.");
    let p = post(&mut b, "agreements", &[("csrf", &csrf), ("op", "end")]).await;
    assert_eq!(p.status, 422);
    assert_eq!(error_beside(&p, "end-agreement_id"), "Velg et alternativ.");

    // Absences.
    let p = post(
        &mut b,
        "absences",
        &[
            ("csrf", &csrf),
            ("op", "add"),
            ("kind", "sick"),
            ("first", "10.11.2026"),
        ],
    )
    .await;
    assert_eq!(p.status, 422);
    assert_eq!(error_beside(&p, "employees"), "Velg minst én ansatt.");
    assert_eq!(
        error_beside(&p, "first"),
        "Skriv datoen som ÅÅÅÅ-MM-DD, for eksempel 2026-11-02."
    );
    assert_eq!(error_beside(&p, "last"), "Fyll ut dette feltet.");
    let p = post(
        &mut b,
        "absences",
        &[
            ("csrf", &csrf),
            ("op", "add"),
            ("employees", &e1.employee_id),
            ("kind", "sick"),
            ("first", "2026-11-10"),
            ("last", "2026-11-01"),
            ("minutes_per_day", "1500"),
        ],
    )
    .await;
    assert_eq!(p.status, 422);
    assert_eq!(
        error_beside(&p, "last"),
        "Godtas ikke: siste dag 2026-11-01 er før første dag 2026-11-10"
    );
    let p = post(&mut b, "absences", &[("csrf", &csrf), ("op", "cancel")]).await;
    assert_eq!(p.status, 422);
    assert_eq!(error_beside(&p, "cancel-absence_id"), "Velg et alternativ.");
    assert_eq!(error_beside(&p, "cancel-reason"), "Fyll ut dette feltet.");

    // Holidays: an eve needs the hour its window opens.
    let p = post(
        &mut b,
        "holidays",
        &[
            ("csrf", &csrf),
            ("op", "add"),
            ("date", "2026-11-20"),
            ("name", "Jubileumsaften"),
            ("kind", "eve"),
        ],
    )
    .await;
    assert_eq!(p.status, 422);
    assert_eq!(
        error_beside(&p, "window_start"),
        "Godtas ikke: må fylles ut for en aften (når helligdagsvinduet åpner)"
    );
    assert!(p.has("value=\"Jubileumsaften\""));
    let p = post(&mut b, "holidays", &[("csrf", &csrf), ("op", "remove")]).await;
    assert_eq!(p.status, 422);
    assert_eq!(error_beside(&p, "remove-holiday_id"), "Velg et alternativ.");

    // Overrides: outside what the law allows, with the catalog's range.
    let p = post(
        &mut b,
        "overrides",
        &[
            ("csrf", &csrf),
            ("op", "set"),
            ("rule", "no-aml|pol.long_day|limit"),
            ("value", "2000"),
            ("reason", "Longer days"),
        ],
    )
    .await;
    assert_eq!(p.status, 422);
    assert!(
        error_beside(&p, "value").starts_with(
            "Godtas ikke: 2000 er utenfor 60..1440, det loven tillater for pol.long_day limit"
        ),
        "{}",
        error_beside(&p, "value")
    );
    assert!(p.has("no-aml · pol.long_day · limit (minutter; standard 600; tillatt 60..1440)"));
    let p = post(
        &mut b,
        "overrides",
        &[
            ("csrf", &csrf),
            ("op", "set"),
            ("value", "ten"),
            ("effective_from", "soon"),
        ],
    )
    .await;
    assert_eq!(p.status, 422);
    assert_eq!(error_beside(&p, "rule"), "Velg et alternativ.");
    assert_eq!(error_beside(&p, "value"), "Skriv et helt tall.");
    assert_eq!(
        error_beside(&p, "effective_from"),
        "Skriv datoen som ÅÅÅÅ-MM-DD, for eksempel 2026-11-02."
    );
    assert_eq!(error_beside(&p, "reason"), "Fyll ut dette feltet.");
    let p = post(&mut b, "overrides", &[("csrf", &csrf), ("op", "delete")]).await;
    assert_eq!(p.status, 422);
    assert_eq!(
        error_beside(&p, "delete-override_id"),
        "Velg et alternativ."
    );

    // In English.
    b.cookies.insert("tv_lang".into(), "en".into());
    let p = post(
        &mut b,
        "absences",
        &[("csrf", &csrf), ("op", "add"), ("first", "2026-11-10")],
    )
    .await;
    assert_eq!(p.status, 422);
    assert_eq!(
        error_beside(&p, "employees"),
        "Choose at least one employee."
    );
    assert_eq!(error_beside(&p, "kind"), "Choose an option.");
    assert_eq!(error_beside(&p, "last"), "Fill in this field.");

    // Without the CSRF token: refused before anything is read.
    let p = post(
        &mut b,
        "holidays",
        &[
            ("op", "add"),
            ("date", "2026-11-20"),
            ("name", "X"),
            ("kind", "public"),
            ("confirm", "yes"),
        ],
    )
    .await;
    assert_eq!(p.status, 403);

    assert_eq!(stored(&app).await, before, "nothing stored");
    assert_eq!(before, [0, 0, 0, 0, 0]);
}

/// Posts `fields` once to see the confirmation, then confirmed; returns
/// the summary page.
async fn confirmed(b: &mut Browser, app: &TestApp, section: &str, fields: &[(&str, &str)]) -> Page {
    let before = stored(app).await;
    let confirm = post(b, section, fields).await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    assert!(confirm.has("Bekreft endringen"), "{}", confirm.body);
    assert_eq!(stored(app).await, before, "the confirmation stores nothing");
    let mut again: Vec<(&str, &str)> = fields.to_vec();
    again.push(("confirm", "yes"));
    let done = post(b, section, &again).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let to = done.header("location").unwrap().to_owned();
    assert!(to.starts_with("/admin/plans/done?"), "{to}");
    let summary = b.get(&to).await;
    assert_eq!(summary.status, 200);
    summary
}

/// The text of the element with `id`.
fn text_of(page: &Page, id: &str) -> String {
    let needle = format!("id=\"{id}\">");
    let at = page.body.find(&needle).unwrap() + needle.len();
    let rest = &page.body[at..];
    rest[..rest.find('<').unwrap()].to_owned()
}

async fn ending_cancelling_removing_and_deleting_ask_first_and_say_what_they_rejudged(
    app: TestApp,
) {
    let e1 = app.create_employee("E1").await;
    let e2 = app.create_employee("E2").await;
    let (mut b, csrf) = admin(&app).await;

    let s = confirmed(
        &mut b,
        &app,
        "agreements",
        &[
            ("csrf", &csrf),
            ("op", "create"),
            ("employee_id", &e1.employee_id),
            ("kind", "home_office"),
            ("basis", "individual"),
            ("valid_from", "2026-11-02"),
            ("reference", "HR-2026-7"),
            ("max_home_share_percent", "60"),
        ],
    )
    .await;
    assert_eq!(text_of(&s, "done-what"), "Avtale opprettet");
    assert_eq!(text_of(&s, "done-from"), "man. 2. nov. 2026");
    assert!(s.has("<li>Employee E1</li>"));
    assert!(!s.has("<li>Employee E2</li>"));
    assert_eq!(text_of(&s, "done-opened"), "0");
    assert_eq!(text_of(&s, "done-closed"), "0");
    let agreements = app
        .admin()
        .list_agreements(pb::ListAgreementsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .agreements;
    assert_eq!(agreements.len(), 1);
    let s = confirmed(
        &mut b,
        &app,
        "agreements",
        &[
            ("csrf", &csrf),
            ("op", "end"),
            ("agreement_id", &agreements[0].agreement_id),
            ("last_day", "2026-11-30"),
            ("reason", "Moved closer to the office"),
        ],
    )
    .await;
    assert_eq!(text_of(&s, "done-what"), "Avtale avsluttet");
    assert_eq!(text_of(&s, "done-from"), "tir. 1. des. 2026");

    let s = confirmed(
        &mut b,
        &app,
        "absences",
        &[
            ("csrf", &csrf),
            ("op", "add"),
            ("employees", &e1.employee_id),
            ("employees", &e2.employee_id),
            ("kind", "vacation"),
            ("first", "2026-12-21"),
            ("last", "2026-12-23"),
        ],
    )
    .await;
    assert_eq!(text_of(&s, "done-what"), "Fravær registrert");
    assert!(s.has("<li>Employee E1</li>") && s.has("<li>Employee E2</li>"));
    assert_eq!(app.count("SELECT COUNT(*) FROM absences").await, 2);
    let absences = app
        .admin()
        .list_absences(pb::ListAbsencesRequest {
            employee_id: e2.employee_id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .absences;
    let s = confirmed(
        &mut b,
        &app,
        "absences",
        &[
            ("csrf", &csrf),
            ("op", "cancel"),
            ("absence_id", &absences[0].absence_id),
            ("reason", "Works through Christmas"),
        ],
    )
    .await;
    assert_eq!(text_of(&s, "done-what"), "Fravær annullert");
    assert_eq!(text_of(&s, "done-from"), "man. 21. des. 2026");
    assert!(s.has("<li>Employee E2</li>") && !s.has("<li>Employee E1</li>"));

    let s = confirmed(
        &mut b,
        &app,
        "holidays",
        &[
            ("csrf", &csrf),
            ("op", "add"),
            ("date", "2026-12-28"),
            ("name", "Romjulsfri"),
            ("kind", "day_off"),
        ],
    )
    .await;
    assert_eq!(text_of(&s, "done-what"), "Helligdag lagt til");
    assert_eq!(
        text_of(&s, "done-from"),
        "søn. 27. des. 2026",
        "from the eve"
    );
    assert!(s.has("<li>Employee E1</li>") && s.has("<li>Employee E2</li>"));
    let page = b.get("/admin/plans/holidays?year=2026").await;
    assert!(page.has("Romjulsfri"));
    assert!(page.has("Julaften"), "national holidays are listed too");
    let id = app
        .admin()
        .list_holidays(pb::ListHolidaysRequest {
            dates: Some(pb::LocalDateRange {
                start: Some(pb::LocalDate {
                    year: 2026,
                    month: 12,
                    day: 28,
                }),
                end: Some(pb::LocalDate {
                    year: 2026,
                    month: 12,
                    day: 28,
                }),
            }),
        })
        .await
        .unwrap()
        .into_inner()
        .holidays
        .into_iter()
        .find(|h| !h.holiday_id.is_empty())
        .unwrap()
        .holiday_id;
    let s = confirmed(
        &mut b,
        &app,
        "holidays",
        &[("csrf", &csrf), ("op", "remove"), ("holiday_id", &id)],
    )
    .await;
    assert_eq!(text_of(&s, "done-what"), "Helligdag fjernet");
    assert_eq!(app.count("SELECT COUNT(*) FROM org_holidays").await, 0);

    let s = confirmed(
        &mut b,
        &app,
        "overrides",
        &[
            ("csrf", &csrf),
            ("op", "set"),
            ("employee_id", &e2.employee_id),
            ("rule", "no-aml|pol.long_day|limit"),
            ("value", "660"),
            ("reason", "Field work days"),
        ],
    )
    .await;
    assert_eq!(text_of(&s, "done-what"), "Regelendring satt");
    assert_eq!(text_of(&s, "done-from"), "begynnelsen", "no date: always");
    assert!(s.has("<li>Employee E2</li>") && !s.has("<li>Employee E1</li>"));
    let o = app
        .admin()
        .list_rule_overrides(pb::ListRuleOverridesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .overrides;
    assert_eq!((o.len(), o[0].value), (1, 660));
    let s = confirmed(
        &mut b,
        &app,
        "overrides",
        &[
            ("csrf", &csrf),
            ("op", "delete"),
            ("override_id", &o[0].override_id),
        ],
    )
    .await;
    assert_eq!(text_of(&s, "done-what"), "Regelendring slettet");
    assert_eq!(
        app.admin()
            .list_rule_overrides(pb::ListRuleOverridesRequest::default())
            .await
            .unwrap()
            .into_inner()
            .overrides
            .len(),
        0
    );
}

async fn only_an_admin_opens_the_plan_pages(app: TestApp) {
    let boss = app.create_employee("M1").await;
    app.create_employee_managed_by("E1", &boss.employee_id)
        .await;
    let mut manager = crate::web::sign_in(&app, "m1@example.no").await;
    for path in [
        "/admin/plans",
        "/admin/plans/schedules",
        "/admin/plans/overrides",
    ] {
        let p = manager.get(path).await;
        assert_eq!(p.status, 403, "{path}");
        assert!(p.has("Ingen tilgang") || p.status == 403);
    }
    let csrf = manager.get("/sessions").await.hidden("csrf").unwrap();
    let p = manager
        .post(
            "/admin/plans/holidays",
            &[
                ("csrf", &csrf),
                ("op", "add"),
                ("date", "2026-11-20"),
                ("name", "X"),
                ("kind", "public"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(p.status, 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM org_holidays").await, 0);
    // Signed out: to the sign-in page.
    let mut nobody = Browser::new(&app.web_url);
    let p = nobody.get("/admin/plans").await;
    assert_eq!(p.status, 303);
}

both_backends!(
    bad_input_is_explained_beside_the_field_and_nothing_is_stored,
    ending_cancelling_removing_and_deleting_ask_first_and_say_what_they_rejudged,
    only_an_admin_opens_the_plan_pages,
);
