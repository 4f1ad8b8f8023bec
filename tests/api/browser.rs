//! The web pages in a real browser (issue 12, item 6), on both back-ends:
//! chromium over `WebDriver` against the real server on a random port, the
//! sign-in link read from the SMTP harness, the clock moved by hand.
//!
//! Each test checks what a person sees (exact words and figures, in
//! bokmål) and what was stored, straight from the database. Refusals
//! (an expired or reused link, a missing CSRF token, a forged session) show
//! a page that says so, and store nothing. The SQLite leg saves a phone and
//! a desktop screenshot of each page to `docs/screenshots/`.

use chrono::{DateTime, Utc};
use serde_json::json;
use tidsvakt::domain::event::{Change, EventKind, Location};
use tidsvakt::pb;
use tidsvakt::pb::timesheet_service_client::TimesheetServiceClient;
use tidsvakt::storage::Store as _;

use crate::browser_harness::*;
use crate::helpers::*;
use crate::nudges::{nudges, oslo, post_work};

/// 10 h 30 min worked on `day` of November: `pol.long_day` only.
async fn long_day(app: &TestApp, employee: &str, day: u32) {
    post_work(
        app,
        employee,
        oslo(11, day, 6, 0),
        oslo(11, day, 17, 0),
        &[(oslo(11, day, 15, 0), oslo(11, day, 15, 30))],
    )
    .await;
}

async fn headroom(app: &TestApp, employee: &str) -> pb::GetHeadroomResponse {
    TimesheetServiceClient::with_interceptor(
        app.channel.clone(),
        Bearer::for_token(&app.admin_token),
    )
    .get_headroom(pb::GetHeadroomRequest {
        employee_id: employee.into(),
        at: None,
    })
    .await
    .unwrap()
    .into_inner()
}

async fn open_findings(app: &TestApp, employee: &str) -> Vec<pb::Finding> {
    TimesheetServiceClient::with_interceptor(
        app.channel.clone(),
        Bearer::for_token(&app.admin_token),
    )
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
    .into_iter()
    .filter(|f| f.status == pb::FindingStatus::Open as i32)
    .collect()
}

async fn amendments(app: &TestApp, employee: &str) -> Vec<tidsvakt::domain::event::Amendment> {
    app.store
        .amendments_of(app.org_id().await, employee.parse().unwrap())
        .await
        .unwrap()
}

async fn sessions(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM web_sessions").await
}

/// The texts of every element matching `css`.
async fn texts(b: &Browser, css: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in b.find_all(css).await {
        out.push(e.text().await.unwrap());
    }
    out
}

/// An instant in full as the pages write it in Oslo, e.g.
/// "tor. 19. nov. 2026 09:00".
fn instant_nb(t: DateTime<Utc>) -> String {
    tidsvakt::domain::engine::text::instant(
        tidsvakt::domain::employee::Locale::Nb,
        chrono_tz::Europe::Oslo,
        t,
    )
}

async fn an_employee_signs_in_with_the_mailed_link_and_clocks_in_on_a_phone(app: TestApp) {
    if !browser_available() {
        return;
    }
    let kari = app.create_employee("E1").await;
    // Thu 19 Nov 2026, 08:00 in Oslo.
    app.clock.set(oslo(11, 19, 8, 0));
    let b = Browser::open(&app).await;

    // Signed out, every page leads to the sign-in form.
    b.goto("/").await;
    assert_eq!(b.path().await, "/sign-in");
    assert_eq!(b.inner_size().await, (360, 800), "a small phone's viewport");
    assert_eq!(b.heading().await, "Logg inn");
    assert!(
        !b.overflows_sideways().await,
        "the sign-in page fits 360 px"
    );
    b.snap("sign-in").await;
    b.fill("#email", "e1@example.no").await;
    b.click("#send-link").await;
    assert_eq!(b.heading().await, "Sjekk e-posten din");
    b.snap("sign-in-sent").await;

    let link = sign_in_link(&app, "e1@example.no", 1).await;
    assert_eq!(app.mailbox.messages().len(), 1, "one email, to Kari");
    assert_eq!(app.count("SELECT COUNT(*) FROM sign_in_links").await, 1);
    // Opening the link (as a mail scanner would) uses nothing up.
    b.goto_url(&link).await;
    assert_eq!(b.status().await, 200);
    assert_eq!(b.heading().await, "Logg inn i Tidsvakt");
    assert_eq!(sessions(&app).await, 0, "the link page opens no session");
    b.snap("sign-in-link").await;
    b.click("#redeem-link").await;
    assert_eq!(b.path().await, "/");
    assert_eq!(sessions(&app).await, 1);
    let secret = b.session_cookie().await.expect("a session cookie");
    assert_eq!(secret.len(), 64, "a 256-bit secret in hex");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM web_sessions WHERE secret_hash = '{secret}'"
        ))
        .await,
        0,
        "the secret itself is not stored"
    );

    // Now: clocked out, the buttons and the places.
    assert_eq!(b.text_of("#state").await, "Du er ikke stemplet inn");
    assert_eq!(
        texts(&b, "fieldset.locations label").await,
        ["Kontoret", "Hjemme", "Annet sted", "På reise"]
    );
    assert_eq!(b.text_of("#today-worked").await, "0 min");
    assert!(!b.overflows_sideways().await, "Now fits 360 px");
    b.snap("now-out").await;

    // Clock in from home with the big button.
    b.click_here("input[name=location][value=home]").await;
    b.click("#clock-in").await;
    assert_eq!(b.path().await, "/?done=new");
    assert_eq!(b.text_of("p.flash").await, "Registrert.");
    assert_eq!(b.text_of("#state").await, "Du jobber");
    assert_eq!(b.text_of("p.since").await, "siden i dag 08:00 · Hjemme");
    let stored = app.stored_events(&kari.employee_id).await;
    assert_eq!(stored.len(), 1);
    let e = &stored[0].event;
    assert_eq!(
        (e.kind, e.occurred_at, e.location, e.device_id.as_str()),
        (
            EventKind::ClockIn,
            oslo(11, 19, 8, 0),
            Some(Location::Home),
            "web"
        )
    );

    // 90 minutes later: the headroom, in words and bars.
    app.clock.set(oslo(11, 19, 9, 30));
    b.goto("/").await;
    // Checked last, so that the rest is checked too while this fails.
    let worked = (
        b.text_of("#today-worked").await,
        b.text_of("#week-worked").await,
    );
    assert_eq!(
        texts(&b, "#limits li.limit .limit-name").await,
        [
            "Overtid på 7 dager",
            "Overtid på 4 uker",
            "Overtid på 52 uker",
            "Arbeidstid på 24 timer",
            "Arbeidstid på 7 dager",
        ]
    );
    // The page says what the RPC says.
    let h = headroom(&app, &kari.employee_id).await;
    let figures: Vec<(i64, i64, i64)> = h
        .limits
        .iter()
        .map(|l| (l.used_minutes, l.limit_minutes, l.remaining_minutes))
        .collect();
    assert_eq!(
        figures,
        [
            (0, 600, 600),
            (0, 1500, 1500),
            (0, 12000, 12000),
            (90, 780, 690),
            // Averaged over 8 weeks (48 h a week); today's work so far
            // counts (issue 13: the averages once left today out).
            (90, 23040, 22950)
        ],
        "{:#?}",
        h.limits
    );
    assert_eq!(
        texts(&b, "#limits li.limit .limit-sentence").await,
        [
            "10 t igjen i disse 7 dagene",
            "25 t igjen i disse 4 ukene",
            "200 t igjen i disse 52 ukene",
            "11 t 30 min igjen i løpet av 24 timer",
            "382 t 30 min igjen i disse 8 ukene",
        ]
    );
    let mut bars = Vec::new();
    for bar in b.find_all("#limits li.limit .bar").await {
        bars.push(bar.attr("aria-label").await.unwrap().unwrap_or_default());
    }
    assert_eq!(
        bars,
        [
            "0 min brukt av 10 t",
            "0 min brukt av 25 t",
            "0 min brukt av 200 t",
            "1 t 30 min brukt av 13 t",
            "1 t 30 min brukt av 384 t",
        ]
    );
    // The bars are drawn: 90 of 780 minutes is 11 %, shown in steps of 5.
    assert_eq!(
        b.count("#limits li.limit:nth-child(4) .fill.w10").await,
        1,
        "the 24-hour bar is a tenth full"
    );
    assert_eq!(
        b.text_of("#latest").await,
        "Senest slutt: i dag 21:00 (arbeidstid på 24 timer)"
    );
    assert_eq!(
        b.text_of("#earliest").await,
        "Tidligste start: i dag 20:30 (daglig hvile)"
    );
    assert!(!b.overflows_sideways().await, "the headroom fits 360 px");
    b.snap("now").await;

    // A double tap sends the same form twice: one event, then a duplicate.
    let outcomes = b
        .js(
            "const form = document.getElementById('clock-form'); \
             const data = new URLSearchParams(new FormData(form)); \
             data.set('kind', 'break_start'); \
             return (async () => { \
               const seen = []; \
               for (let i = 0; i < 2; i++) { \
                 const r = await fetch('/clock', {method: 'POST', body: data}); \
                 const u = new URL(r.url); seen.push(u.pathname + u.search); \
               } \
               return seen; })();",
            vec![],
        )
        .await;
    assert_eq!(outcomes, json!(["/?done=new", "/?done=duplicate"]));
    assert_eq!(app.stored_events(&kari.employee_id).await.len(), 2);
    b.goto("/").await;
    assert_eq!(b.text_of("#state").await, "Du har pause");

    // The person's own data and sessions.
    b.goto("/data").await;
    assert_eq!(b.status().await, 200);
    assert_eq!(b.heading().await, "Mine data");
    b.snap("data").await;
    b.goto("/sessions").await;
    assert_eq!(b.heading().await, "Innloggingene dine");
    b.snap("sessions").await;

    // Signing out ends the session; the cookie opens nothing after.
    b.click("#sign-out").await;
    assert_eq!(b.path().await, "/sign-in");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM web_sessions WHERE ended_at IS NOT NULL")
            .await,
        1
    );
    b.set_session_cookie(&secret).await;
    b.goto("/").await;
    assert_eq!(b.path().await, "/sign-in", "an ended session is refused");
    b.close().await;

    // Clocked in at 08:00, at 09:30 Now says 1 h 30 min worked today and
    // this week, as its headroom does ("1 t 30 min brukt av 13 t").
    assert_eq!(
        (worked.0.as_str(), worked.1.as_str()),
        ("1 t 30 min", "1 t 30 min"),
        "time worked today and this week, counting the open interval up to now"
    );
}

async fn an_employee_corrects_a_day_with_a_reason(app: TestApp) {
    if !browser_available() {
        return;
    }
    let kari = app.create_employee("E1").await;
    // Wednesday: in at 08:00, a break 11:30–12:00, and no clock-out.
    let mut clock = app.clock_client(&app.admin_token);
    for (kind, t) in [
        (pb::EventKind::ClockIn, oslo(11, 18, 8, 0)),
        (pb::EventKind::BreakStart, oslo(11, 18, 11, 30)),
        (pb::EventKind::BreakEnd, oslo(11, 18, 12, 0)),
    ] {
        clock
            .record_event(pb::RecordEventRequest {
                event: Some(event(&kari.employee_id, kind, t)),
            })
            .await
            .unwrap();
    }
    app.clock.set(oslo(11, 19, 9, 0));
    let b = signed_in(&app, "e1@example.no").await;

    b.goto("/time?week=2026-W47").await;
    assert_eq!(b.status().await, 200);
    assert_eq!(b.heading().await, "Min tid");
    b.snap("time").await;
    b.click("#day-2026-11-18 h3 a").await;
    assert_eq!(b.path().await, "/time/2026-11-18");
    assert_eq!(b.heading().await, "Rett dagen");
    b.snap("day").await;

    // Without a reason the server refuses, keeps what was typed, stores nothing.
    b.click_here("#action-add").await;
    b.select("#kind", "out").await;
    b.set_value("#time", "16:00").await;
    b.click("#save-correction").await;
    assert_eq!(b.status().await, 422);
    assert_eq!(
        b.text_of("#reason-error").await,
        "Skriv hvorfor dagen rettes."
    );
    assert_eq!(
        b.js("return document.getElementById('time').value;", vec![])
            .await,
        json!("16:00"),
        "the form is kept as typed"
    );
    assert_eq!(
        b.js("return document.getElementById('kind').value;", vec![])
            .await,
        json!("out")
    );
    assert!(amendments(&app, &kari.employee_id).await.is_empty());

    // With one it is stored, and listed with who, when and why.
    b.fill("#reason", "Glemte å stemple ut").await;
    b.click("#save-correction").await;
    assert_eq!(b.path().await, "/time/2026-11-18?saved=1");
    assert_eq!(b.text_of("#saved").await, "Rettelsen er lagret.");
    let listed = texts(&b, "#amendments li").await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    for part in [
        "La til ut 16:00",
        "Hvem: Employee E1",
        &format!("Når: {}", instant_nb(oslo(11, 19, 9, 0))),
        "Hvorfor: Glemte å stemple ut",
    ] {
        assert!(listed[0].contains(part), "{part} in {listed:?}");
    }
    assert_eq!(
        b.text_of("#intervals-h").await,
        "Arbeidsperioder · 7 t 30 min"
    );
    b.snap("day-corrected").await;

    let stored = amendments(&app, &kari.employee_id).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].request.reason, "Glemte å stemple ut");
    assert_eq!(stored[0].author, "Employee E1 (EMPLOYEE)");
    assert_eq!(
        stored[0].request.change,
        Change::Add {
            kind: EventKind::ClockOut,
            occurred_at: oslo(11, 18, 16, 0),
            location: None,
        }
    );
    assert_eq!(
        app.stored_events(&kari.employee_id).await.len(),
        3,
        "a correction adds no clock event"
    );

    // The week shows the corrected day.
    b.goto("/time?week=2026-W47").await;
    assert!(
        b.text_of("#day-2026-11-18").await.contains("08:00–16:00"),
        "the interval as corrected"
    );
    b.close().await;
}

async fn an_employee_reads_what_was_sent_and_mutes_a_kind(app: TestApp) {
    if !browser_available() {
        return;
    }
    let kari = app.create_employee("E1").await;
    // Mon 23 Nov 18:00: a long day, told at once (not quiet hours).
    app.clock.set(oslo(11, 23, 18, 0));
    long_day(&app, &kari.employee_id, 23).await;
    assert_eq!(crate::nudges::list(&app, &kari.employee_id).await.len(), 1);
    assert_eq!(crate::nudges::send_due(&app).await, 1);

    let b = signed_in(&app, "e1@example.no").await;
    b.goto("/messages").await;
    assert_eq!(b.heading().await, "Hva Tidsvakt har sagt om meg");
    let rows = texts(&b, "#nudges li.nudge").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    for part in ["Lange dager", "Til deg", "Sendt man. 23. nov. 2026 18:00"] {
        assert!(rows[0].contains(part), "{part} in {rows:?}");
    }
    // A legal kind cannot be muted: no button for it.
    assert_eq!(b.count("#mute-rest button").await, 0);
    assert_eq!(b.text_of("#mute-rest .state").await, "Lovpålagt");
    assert_eq!(b.text_of("#mute-long_day .state").await, "På");
    b.snap("messages").await;

    b.click("#mute-long_day button").await;
    assert_eq!(b.path().await, "/messages");
    assert_eq!(
        b.text_of("#mute-long_day .state").await,
        "Slått av",
        "the page says it is off"
    );
    let own = app.token(pb::Role::Employee, Some(&kari.employee_id)).await;
    let settings = nudges(&app, &own)
        .get_nudge_settings(pb::GetNudgeSettingsRequest {
            employee_id: kari.employee_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    let muted: Vec<&str> = settings
        .categories
        .iter()
        .filter(|c| c.muted)
        .map(|c| c.category.as_str())
        .collect();
    assert_eq!(muted, ["long_day"]);
    b.snap("messages-muted").await;

    // And on again.
    b.click("#mute-long_day button").await;
    assert_eq!(b.text_of("#mute-long_day .state").await, "På");
    let settings = nudges(&app, &own)
        .get_nudge_settings(pb::GetNudgeSettingsRequest {
            employee_id: kari.employee_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(settings.categories.iter().all(|c| !c.muted));
    b.close().await;
}

async fn a_manager_sees_a_reports_finding(app: TestApp) {
    if !browser_available() {
        return;
    }
    let boss = app.create_employee("M1").await;
    let kari = app
        .create_employee_managed_by("E1", &boss.employee_id)
        .await;
    // Wednesday 08:00–14:30 without a break: a no.breaks violation,
    // recorded as it happened (so no clock-out is ever missing).
    app.clock.set(oslo(11, 18, 14, 30));
    crate::nudges::no_break(&app, &kari.employee_id, 18).await;
    app.clock.set(oslo(11, 19, 10, 0));
    let findings = open_findings(&app, &kari.employee_id).await;
    let rules: Vec<&str> = findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(rules, ["no.breaks"]);

    let b = signed_in(&app, "m1@example.no").await;
    b.goto("/team").await;
    assert_eq!(b.status().await, 200);
    assert_eq!(b.heading().await, "Teamet mitt nå");
    let rows = texts(&b, "#team li.member").await;
    assert_eq!(rows.len(), 1, "one report: {rows:?}");
    assert!(rows[0].contains("Employee E1"), "{rows:?}");
    assert_eq!(
        texts(&b, "#team li.member .counts .badge").await,
        ["Brudd 1", "Advarsel 0", "Mønster 0"]
    );
    b.snap("team").await;

    b.click("#team li.member h2 a").await;
    assert_eq!(b.path().await, format!("/people/{}/time", kari.employee_id));
    assert_eq!(b.heading().await, "Timeliste for Employee E1");
    let shown = texts(&b, "#findings article.finding:not(.resolved)").await;
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(shown[0].contains("Brudd Pauser"), "{shown:?}");
    assert!(shown[0].contains(&findings[0].explanation), "{shown:?}");
    assert!(shown[0].contains(&findings[0].citation), "{shown:?}");
    b.snap("person-time").await;

    // Read only: the report's day has no correction form.
    b.goto(&format!("/people/{}/time/2026-11-18", kari.employee_id))
        .await;
    assert_eq!(b.status().await, 200);
    assert_eq!(b.count("#correct-form").await, 0);
    assert!(b.text().await.contains("Bare lesetilgang"));

    // The weekly digests as sent (none yet) and this week's preview.
    b.goto("/team/digests").await;
    assert_eq!(b.status().await, 200);
    assert_eq!(b.heading().await, "Ukesoppsummeringer");
    assert!(
        b.text()
            .await
            .contains("Ingen oppsummeringer er sendt ennå.")
    );
    b.snap("digests").await;
    b.close().await;

    // An admin signs in once with the admin token, to see the organisation.
    let admin = Browser::open(&app).await;
    admin.goto("/sign-in/token").await;
    assert_eq!(
        admin.heading().await,
        "Logg inn som administrator med et token"
    );
    admin.snap("sign-in-token").await;
    admin.fill("#token", &app.admin_token).await;
    admin.click("#token-sign-in").await;
    assert_eq!(admin.path().await, "/team");
    assert_eq!(admin.heading().await, "Organisasjonen nå");
    let everyone = texts(&admin, "#team li.member h2 a").await;
    assert_eq!(everyone, ["Employee E1", "Employee M1"]);
    admin.snap("organisation").await;
    admin.close().await;
}

async fn an_employee_cannot_open_a_colleagues_page(app: TestApp) {
    if !browser_available() {
        return;
    }
    let boss = app.create_employee("M1").await;
    let _kari = app
        .create_employee_managed_by("E1", &boss.employee_id)
        .await;
    let ola = app
        .create_employee_managed_by("E2", &boss.employee_id)
        .await;
    crate::nudges::no_break(&app, &ola.employee_id, 18).await;
    app.clock.set(oslo(11, 19, 10, 0));

    let b = signed_in(&app, "e1@example.no").await;
    for path in [
        format!("/people/{}/time", ola.employee_id),
        format!("/people/{}/time?week=2026-W47", ola.employee_id),
        format!("/people/{}/time/2026-11-18", ola.employee_id),
    ] {
        b.goto(&path).await;
        assert_eq!(b.status().await, 403, "{path}");
        assert_eq!(b.heading().await, "Du har ikke tilgang til denne siden");
        let text = b.text().await;
        for secret in ["Employee E2", "6 t 30 min", "Pauser", "08:00", "14:30"] {
            assert!(!text.contains(secret), "{path} shows {secret}:\n{text}");
        }
    }
    b.snap("forbidden").await;
    // Nor does the team page exist for a person without reports.
    b.goto("/team").await;
    assert_eq!(b.status().await, 403);
    b.close().await;
}

async fn a_sign_in_link_works_once_and_for_15_minutes(app: TestApp) {
    if !browser_available() {
        return;
    }
    app.create_employee("E1").await;
    let t0 = oslo(11, 19, 8, 0);
    app.clock.set(t0);
    let b = Browser::open(&app).await;

    // Expired before it was opened.
    ask_for_link(&b, "e1@example.no").await;
    let first = sign_in_link(&app, "e1@example.no", 1).await;
    app.clock.set(t0 + chrono::Duration::minutes(15));
    b.goto_url(&first).await;
    assert_eq!(b.status().await, 410);
    assert_eq!(b.heading().await, "Lenken virker ikke");
    assert!(
        b.text()
            .await
            .contains("Denne lenken er utløpt. En lenke virker i 15 minutter."),
        "{}",
        b.text().await
    );
    assert_eq!(
        b.attr("main a.button", "href").await.as_deref(),
        Some("/sign-in")
    );
    b.snap("link-expired").await;

    // Opened in time, pressed too late.
    ask_for_link(&b, "e1@example.no").await;
    let second = sign_in_link(&app, "e1@example.no", 2).await;
    app.clock
        .set(t0 + chrono::Duration::minutes(15 + 14) + chrono::Duration::seconds(59));
    b.goto_url(&second).await;
    assert_eq!(b.status().await, 200);
    app.clock.set(t0 + chrono::Duration::minutes(30));
    b.click("#redeem-link").await;
    assert_eq!(b.status().await, 410);
    assert!(b.text().await.contains("utløpt"));
    assert_eq!(sessions(&app).await, 0, "no session from an expired link");
    assert!(b.session_cookie().await.is_none());

    // Used once, refused the second time: another browser that had the
    // link page open before the first use presses its button too late.
    ask_for_link(&b, "e1@example.no").await;
    let third = sign_in_link(&app, "e1@example.no", 3).await;
    let other = Browser::open(&app).await;
    other.goto_url(&third).await;
    assert_eq!(other.status().await, 200);
    b.goto_url(&third).await;
    b.click("#redeem-link").await;
    assert_eq!(b.path().await, "/");
    assert_eq!(sessions(&app).await, 1);
    other.click("#redeem-link").await;
    assert_eq!(other.status().await, 410);
    assert_eq!(other.heading().await, "Lenken virker ikke");
    assert!(
        other
            .text()
            .await
            .contains("Denne lenken er allerede brukt. En lenke virker bare én gang."),
        "{}",
        other.text().await
    );
    other.snap("link-used").await;
    assert!(other.session_cookie().await.is_none());
    // Opened again after use, the link says so at once.
    other.goto_url(&third).await;
    assert_eq!(other.status().await, 410);
    assert_eq!(sessions(&app).await, 1, "a link opens one session");
    other.close().await;
    b.close().await;
}

async fn forms_without_a_csrf_token_and_forged_sessions_are_refused(app: TestApp) {
    if !browser_available() {
        return;
    }
    let kari = app.create_employee("E1").await;
    app.clock.set(oslo(11, 19, 8, 0));

    // An unknown address gets the same answer as a known one, and no email.
    let anon = Browser::open(&app).await;
    assert_eq!(
        ask_for_link(&anon, "nobody@example.no").await,
        "Sjekk e-posten din"
    );
    assert_eq!(anon.status().await, 200);

    // Before sign-in: the link form without its token sends nothing.
    anon.goto("/sign-in").await;
    assert_eq!(anon.remove("input[name=csrf]").await, 1);
    anon.fill("#email", "e1@example.no").await;
    anon.click("#send-link").await;
    assert_eq!(anon.status().await, 403);
    assert_eq!(anon.heading().await, "Skjemaet er utløpt");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(app.mailbox.messages().len(), 0, "no email");
    assert_eq!(app.count("SELECT COUNT(*) FROM sign_in_links").await, 0);
    anon.close().await;

    let b = signed_in(&app, "e1@example.no").await;

    // Now's clock form without its token: refused, nothing stored.
    b.goto("/").await;
    assert_eq!(b.remove("#clock-form input[name=csrf]").await, 1);
    b.click("#clock-in").await;
    assert_eq!(b.status().await, 403);
    assert_eq!(b.heading().await, "Skjemaet er utløpt");
    assert!(
        b.text()
            .await
            .contains("Last inn siden på nytt og prøv igjen. Ingenting er lagret."),
        "{}",
        b.text().await
    );
    b.snap("csrf-refused").await;
    assert!(app.stored_events(&kari.employee_id).await.is_empty());

    // With another session's token: the same.
    b.goto("/").await;
    b.set_value("#clock-form input[name=csrf]", &"0".repeat(64))
        .await;
    b.click("#clock-in").await;
    assert_eq!(b.status().await, 403);
    assert!(app.stored_events(&kari.employee_id).await.is_empty());

    // A correction without its token.
    b.goto("/time/2026-11-19").await;
    assert_eq!(b.remove("#correct-form input[name=csrf]").await, 1);
    b.select("#kind", "in").await;
    b.set_value("#time", "07:30").await;
    b.fill("#reason", "Glemte å stemple inn").await;
    b.click("#save-correction").await;
    assert_eq!(b.status().await, 403);
    assert!(amendments(&app, &kari.employee_id).await.is_empty());

    // A mute without its token.
    b.goto("/messages").await;
    assert_eq!(b.remove("#mute-long_day input[name=csrf]").await, 1);
    b.click("#mute-long_day button").await;
    assert_eq!(b.status().await, 403);
    assert_eq!(app.count("SELECT COUNT(*) FROM nudge_mutes").await, 0);

    // A forged session cookie: to the sign-in page, for a page and a form.
    b.goto("/").await;
    b.set_session_cookie(&"ab".repeat(32)).await;
    b.click("#clock-in").await;
    assert!(
        b.path().await.starts_with("/sign-in"),
        "to sign-in, not {}",
        b.path().await
    );
    assert_eq!(b.heading().await, "Logg inn");
    assert!(app.stored_events(&kari.employee_id).await.is_empty());
    b.goto("/time").await;
    assert!(b.path().await.starts_with("/sign-in"));
    assert_eq!(sessions(&app).await, 1, "no session made from the forgery");
    b.close().await;
}

crate::both_backends!(
    an_employee_signs_in_with_the_mailed_link_and_clocks_in_on_a_phone,
    an_employee_corrects_a_day_with_a_reason,
    an_employee_reads_what_was_sent_and_mutes_a_kind,
    a_manager_sees_a_reports_finding,
    an_employee_cannot_open_a_colleagues_page,
    a_sign_in_link_works_once_and_for_15_minutes,
    forms_without_a_csrf_token_and_forged_sessions_are_refused,
);
