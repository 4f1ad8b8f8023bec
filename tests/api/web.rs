//! The web pages over real HTTP: sign-in by link, sessions, CSRF, every
//! form's bad input, and the authorization the pages share with gRPC. The
//! rendering in a real browser is `browser.rs`; these pin the server's
//! answers (status codes, what is stored) exactly.

use std::time::Duration as StdDuration;

use chrono::Duration;
use tidsvakt::clock::Clock as _;
use tidsvakt::pb;
use tidsvakt::storage::Store as _;
use tidsvakt::storage::outbox::OutboxStore as _;
use tidsvakt::storage::web::WebStore as _;
use tonic::Code;

use crate::both_backends;
use crate::helpers::{Bearer, TestApp, at};
use crate::web_client::{Browser, Page};

const WAIT: StdDuration = StdDuration::from_secs(10);

/// The sign-in link of the last message the SMTP server received.
fn link_in_last_mail(app: &TestApp) -> String {
    let raw = app.mailbox.messages().last().unwrap().raw.clone();
    let mail = crate::smtp::parse(&raw);
    let start = mail.text.find("http").expect("a link in the text part");
    mail.text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

/// Asks for a link for `email` and returns the answer.
async fn ask_for_link(b: &mut Browser, email: &str) -> Page {
    let form = b.get("/sign-in").await;
    let csrf = form.hidden("csrf").unwrap();
    b.post(
        "/sign-in",
        &[("email", email), ("csrf", &csrf), ("next", "/")],
    )
    .await
}

/// Signs `email` in through the emailed link; the browser holds the session.
pub(crate) async fn sign_in(app: &TestApp, email: &str) -> Browser {
    let mut b = Browser::new(&app.web_url);
    let before = app.mailbox.messages().len();
    let answer = ask_for_link(&mut b, email).await;
    assert_eq!(answer.status, 200);
    app.mailbox.wait_for(before + 1, WAIT).await;
    let link = link_in_last_mail(app);
    let confirm = b.get(&link).await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    let redeemed = b
        .post(
            "/sign-in/link",
            &[
                ("csrf", &confirm.hidden("csrf").unwrap()),
                ("token", &confirm.hidden("token").unwrap()),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(redeemed.status, 303, "{}", redeemed.body);
    assert!(b.cookies.contains_key("tv_session"));
    b
}

async fn employee(app: &TestApp, ext: &str, manager: &str) -> pb::Employee {
    app.create_employee_managed_by(ext, manager).await
}

async fn sessions(app: &TestApp) -> i64 {
    let pool = sqlx::AnyPool::connect(&app.database_url).await.unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM web_sessions")
        .fetch_one(&pool)
        .await
        .unwrap();
    n
}

async fn sign_in_by_link_opens_one_session_and_the_link_works_once(app: TestApp) {
    let kari = employee(&app, "K1", "").await;
    let mut b = Browser::new(&app.web_url);
    let answer = ask_for_link(&mut b, "K1@example.no").await;
    assert_eq!(answer.status, 200);
    assert!(answer.has("Sjekk e-posten din"), "{}", answer.body);
    let mails = app.mailbox.wait_for(1, WAIT).await;
    let mail = crate::smtp::parse(&mails[0].raw);
    assert_eq!(mail.to[0].email, "k1@example.no");
    assert_eq!(mail.subject, "Logg inn i Tidsvakt");
    assert!(mail.text.starts_with("Hei Employee,"), "{}", mail.text);
    let link = link_in_last_mail(&app);
    assert!(
        link.starts_with(&format!("{}/sign-in/link?token=", app.web_url)),
        "{link}"
    );
    // The link page stores nothing: a mail scanner that fetches it twice
    // does not use it up.
    for _ in 0..2 {
        assert_eq!(b.get(&link).await.status, 200);
    }
    assert_eq!(sessions(&app).await, 0);
    let confirm = b.get(&link).await;
    let form = [
        ("csrf", confirm.hidden("csrf").unwrap()),
        ("token", confirm.hidden("token").unwrap()),
        ("next", "/".to_owned()),
    ];
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let redeemed = b.post("/sign-in/link", &fields).await;
    assert_eq!(redeemed.status, 303);
    assert_eq!(redeemed.header("location"), Some("/"));
    let cookie = redeemed
        .headers
        .iter()
        .find(|(n, v)| n.eq_ignore_ascii_case("set-cookie") && v.starts_with("tv_session="))
        .unwrap()
        .1
        .clone();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "plain http on loopback: {cookie}"
    );
    let now = b.get("/").await;
    assert_eq!(now.status, 200);
    assert!(now.has("Du er ikke stemplet inn"), "{}", now.body);
    assert!(now.has(&kari.name));
    // Used once: a second use is refused with a page and opens nothing.
    let mut other = Browser::new(&app.web_url);
    let again = other.get(&link).await;
    assert_eq!(again.status, 410);
    assert!(again.has("allerede brukt"), "{}", again.body);
    let mut forged = fields.clone();
    forged[0] = ("csrf", "x");
    let replay = b.post("/sign-in/link", &fields).await;
    assert_eq!(replay.status, 410);
    assert_eq!(sessions(&app).await, 1);
}

async fn an_unknown_address_gets_the_same_answer_and_no_mail(app: TestApp) {
    employee(&app, "K1", "").await;
    let mut b = Browser::new(&app.web_url);
    let known = ask_for_link(&mut b, "k1@example.no").await;
    app.mailbox.wait_for(1, WAIT).await;
    let unknown = ask_for_link(&mut b, "nobody@example.no").await;
    assert_eq!((known.status, unknown.status), (200, 200));
    assert_eq!(known.body, unknown.body);
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    assert_eq!(app.mailbox.messages().len(), 1);
}

async fn a_bad_address_is_explained_beside_the_field_and_kept(app: TestApp) {
    let mut b = Browser::new(&app.web_url);
    let page = ask_for_link(&mut b, "kari at example").await;
    assert_eq!(page.status, 422);
    assert!(page.has("Skriv inn en e-postadresse"), "{}", page.body);
    assert!(page.body.contains("id=\"email-error\""));
    assert!(page.body.contains("aria-invalid=\"true\""));
    assert!(page.has("kari at example"), "the form keeps what was typed");
    // English for a browser that asks for it.
    let mut en = Browser::new(&app.web_url);
    en.cookies.insert("tv_lang".into(), "en".into());
    let page = ask_for_link(&mut en, "").await;
    assert_eq!(page.status, 422);
    assert!(page.has("Enter an email address"), "{}", page.body);
    assert_eq!(app.mailbox.messages().len(), 0);
}

async fn an_expired_link_is_refused_and_opens_nothing(app: TestApp) {
    employee(&app, "K1", "").await;
    let mut b = Browser::new(&app.web_url);
    ask_for_link(&mut b, "k1@example.no").await;
    app.mailbox.wait_for(1, WAIT).await;
    let link = link_in_last_mail(&app);
    let confirm = b.get(&link).await;
    app.clock.set(app.clock.now() + Duration::minutes(15));
    let late = b.get(&link).await;
    assert_eq!(late.status, 410);
    assert!(late.has("utløpt"), "{}", late.body);
    let redeemed = b
        .post(
            "/sign-in/link",
            &[
                ("csrf", &confirm.hidden("csrf").unwrap()),
                ("token", &confirm.hidden("token").unwrap()),
            ],
        )
        .await;
    assert_eq!(redeemed.status, 410);
    assert!(!b.cookies.contains_key("tv_session"));
    assert_eq!(sessions(&app).await, 0);
}

async fn links_are_limited_per_address_whether_known_or_not(app: TestApp) {
    employee(&app, "K1", "").await;
    let mut b = Browser::new(&app.web_url);
    for email in ["k1@example.no", "nobody@example.no"] {
        for i in 0..5 {
            assert_eq!(
                ask_for_link(&mut b, email).await.status,
                200,
                "{email} #{i}"
            );
        }
        let sixth = ask_for_link(&mut b, email).await;
        assert_eq!(sixth.status, 429, "{email}");
        assert!(sixth.header("retry-after").is_some());
        assert!(sixth.has("For mange forsøk"));
    }
    app.mailbox.wait_for(5, WAIT).await;
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    assert_eq!(app.mailbox.messages().len(), 5);
    // The window slides: 15 minutes later a link can be asked for again.
    app.clock.set(app.clock.now() + Duration::minutes(15));
    assert_eq!(ask_for_link(&mut b, "k1@example.no").await.status, 200);
}

async fn a_forged_or_ended_session_shows_nothing(app: TestApp) {
    let kari = employee(&app, "K1", "").await;
    let mut forged = Browser::new(&app.web_url);
    forged.cookies.insert("tv_session".into(), "0".repeat(64));
    let page = forged.get("/time").await;
    assert_eq!(page.status, 303);
    assert_eq!(page.header("location"), Some("/sign-in?next=%2Ftime"));
    assert!(!page.has(&kari.name));
    // Signing out ends the session for good, also for a copied cookie.
    let mut b = sign_in(&app, "k1@example.no").await;
    let copy = b.clone();
    let csrf = b.get("/").await.hidden("csrf").unwrap();
    let out = b.post("/sign-out", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, 303);
    let mut copy = copy;
    assert_eq!(copy.get("/").await.status, 303);
    // An idle session ends after 7 days.
    let mut b = sign_in(&app, "k1@example.no").await;
    assert_eq!(b.get("/").await.status, 200);
    app.clock.set(app.clock.now() + Duration::days(7));
    assert_eq!(b.get("/").await.status, 303);
}

async fn forms_without_the_csrf_token_are_refused_and_store_nothing(app: TestApp) {
    let kari = employee(&app, "K1", "").await;
    let mut b = sign_in(&app, "k1@example.no").await;
    let now = b.get("/").await;
    let event_id = now.hidden("event_id").unwrap();
    for csrf in ["", "deadbeef"] {
        let page = b
            .post(
                "/clock",
                &[
                    ("csrf", csrf),
                    ("event_id", &event_id),
                    ("kind", "in"),
                    ("location", "home"),
                ],
            )
            .await;
        assert_eq!(page.status, 403, "csrf '{csrf}'");
        assert!(page.has("Skjemaet er utløpt"), "{}", page.body);
    }
    let page = b
        .post(
            "/time/2026-11-19",
            &[
                ("action", "add"),
                ("kind", "in"),
                ("time", "08:00"),
                ("reason", "x"),
            ],
        )
        .await;
    assert_eq!(page.status, 403);
    let page = b
        .post(
            "/messages/mute",
            &[("category", "evening"), ("muted", "true")],
        )
        .await;
    assert_eq!(page.status, 403);
    // Before sign-in: the form's token must match the browser's cookie.
    let mut fresh = Browser::new(&app.web_url);
    let page = fresh
        .post("/sign-in", &[("email", "k1@example.no"), ("csrf", "abc")])
        .await;
    assert_eq!(page.status, 403);
    assert_eq!(app.stored_events(&kari.employee_id).await.len(), 0);
    let org = app.org_id().await;
    let id = kari.employee_id.parse().unwrap();
    assert_eq!(app.store.amendments_of(org, id).await.unwrap().len(), 0);
    assert!(app.store.mutes(org, id).await.unwrap().is_empty());
}

async fn a_double_tap_on_clock_in_records_one_event(app: TestApp) {
    let kari = employee(&app, "K1", "").await;
    let mut b = sign_in(&app, "k1@example.no").await;
    let now = b.get("/").await;
    let fields = [
        ("csrf", now.hidden("csrf").unwrap()),
        ("event_id", now.hidden("event_id").unwrap()),
        ("kind", "in".to_owned()),
        ("location", "home".to_owned()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let first = b.post("/clock", &fields).await;
    app.clock.set(app.clock.now() + Duration::seconds(1));
    let second = b.post("/clock", &fields).await;
    assert_eq!(first.header("location"), Some("/?done=new"));
    assert_eq!(second.header("location"), Some("/?done=duplicate"));
    let stored = app.stored_events(&kari.employee_id).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].event.device_id, "web");
    let page = b.get("/?done=duplicate").await;
    assert!(page.has("Du jobber"), "{}", page.body);
    assert!(page.has("Hjemme"));
    assert!(page.has("ingenting er lagret to ganger"));
    // Bad values a page never sends are refused, and nothing is stored.
    let csrf = page.hidden("csrf").unwrap();
    for (kind, location, event_id) in [
        ("lunch", "home", "6f1c1b9e-54a8-4b7e-9d0e-1b7e0f6c2a11"),
        ("out", "moon", "6f1c1b9e-54a8-4b7e-9d0e-1b7e0f6c2a12"),
        ("out", "home", "not-a-uuid"),
    ] {
        let r = b
            .post(
                "/clock",
                &[
                    ("csrf", &csrf),
                    ("event_id", event_id),
                    ("kind", kind),
                    ("location", location),
                ],
            )
            .await;
        assert_eq!(r.status, 400, "{kind} {location} {event_id}");
    }
    assert_eq!(app.stored_events(&kari.employee_id).await.len(), 1);
}

async fn a_day_is_corrected_with_a_reason_and_bad_input_is_explained(app: TestApp) {
    let kari = employee(&app, "K1", "").await;
    let clock = app.clock_client(&app.admin_token);
    clock
        .clone()
        .record_event(pb::RecordEventRequest {
            event: Some(crate::helpers::event(
                &kari.employee_id,
                pb::EventKind::ClockIn,
                at(7, 0),
            )),
        })
        .await
        .unwrap();
    let mut b = sign_in(&app, "k1@example.no").await;
    let day = b.get("/time/2026-11-19").await;
    assert_eq!(day.status, 200);
    assert!(day.has("08:00"), "Oslo time of 07:00 UTC: {}", day.body);
    let csrf = day.hidden("csrf").unwrap();
    let amendment = day.hidden("amendment_id").unwrap();
    let org = app.org_id().await;
    let id = kari.employee_id.parse().unwrap();
    for (fields, field, message) in [
        (
            vec![
                ("action", "add"),
                ("kind", "out"),
                ("time", "16:00"),
                ("reason", "  "),
            ],
            "reason",
            "Skriv hvorfor dagen rettes.",
        ),
        (
            vec![
                ("action", "add"),
                ("kind", "out"),
                ("time", "25:99"),
                ("reason", "Glemte"),
            ],
            "time",
            "Skriv klokkeslettet som TT:MM",
        ),
        (
            vec![
                ("action", "move"),
                ("event_id", ""),
                ("time", "09:00"),
                ("reason", "Feil"),
            ],
            "event_id",
            "Velg en stempling.",
        ),
        (
            vec![("action", "eat"), ("reason", "Feil")],
            "action",
            "Velg hva du vil rette.",
        ),
    ] {
        let mut all = fields.clone();
        all.push(("csrf", &csrf));
        all.push(("amendment_id", &amendment));
        let page = b.post("/time/2026-11-19", &all).await;
        assert_eq!(page.status, 422, "{fields:?}");
        assert!(
            page.body.contains(&format!("id=\"{field}-error\"")),
            "{field}: {}",
            page.body
        );
        assert!(page.has(message), "{message}: {}", page.body);
    }
    // The form keeps what was typed.
    let page = b
        .post(
            "/time/2026-11-19",
            &[
                ("csrf", &csrf),
                ("action", "add"),
                ("kind", "out"),
                ("time", "7"),
                ("reason", "Glemte å stemple ut"),
            ],
        )
        .await;
    assert!(page.has("Glemte å stemple ut"));
    // A time the clocks skip does not exist (Oslo, 28 March 2027).
    let page = b
        .post(
            "/time/2027-03-28",
            &[
                ("csrf", &csrf),
                ("action", "add"),
                ("kind", "in"),
                ("time", "02:30"),
                ("reason", "Natt"),
            ],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(page.has("finnes ikke denne dagen"), "{}", page.body);
    assert_eq!(app.store.amendments_of(org, id).await.unwrap().len(), 0);
    // The use case's own refusal lands beside the field too: a time in the
    // future is more than the clock skew allows.
    let page = b
        .post(
            "/time/2026-11-20",
            &[
                ("csrf", &csrf),
                ("action", "add"),
                ("kind", "out"),
                ("time", "16:00"),
                ("reason", "Glemte"),
            ],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(page.body.contains("id=\"time-error\""));
    assert_eq!(app.store.amendments_of(org, id).await.unwrap().len(), 0);
    // A good correction is stored once, with who and why.
    let fields = [
        ("csrf", csrf.as_str()),
        ("amendment_id", amendment.as_str()),
        ("action", "add"),
        ("kind", "out"),
        ("time", "16:00"),
        ("reason", "Glemte å stemple ut"),
    ];
    let saved = b.post("/time/2026-11-19", &fields).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(saved.header("location"), Some("/time/2026-11-19?saved=1"));
    let resent = b.post("/time/2026-11-19", &fields).await;
    assert_eq!(
        resent.status, 303,
        "the same form again is the same amendment"
    );
    let stored = app.store.amendments_of(org, id).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].request.reason, "Glemte å stemple ut");
    assert_eq!(stored[0].author, "Employee K1 (EMPLOYEE)");
    let day = b.get("/time/2026-11-19?saved=1").await;
    assert!(day.has("Rettelsen er lagret."));
    assert!(day.has("Glemte å stemple ut"));
    assert!(day.has("08:00–16:00"), "{}", day.body);
    assert!(
        day.has("Arbeidsperioder · 8 t<"),
        "8 h worked, no break taken: {}",
        day.body
    );
}

async fn mutes_change_only_optional_kinds(app: TestApp) {
    let kari = employee(&app, "K1", "").await;
    let mut b = sign_in(&app, "k1@example.no").await;
    let page = b.get("/messages").await;
    assert_eq!(page.status, 200);
    assert!(page.has("Tidsvakt har ikke sendt noe om deg ennå."));
    let csrf = page.hidden("csrf").unwrap();
    for (category, muted, status) in [
        ("evening", "maybe", 400),
        ("cooking", "true", 400),
        ("rest", "true", 400),
    ] {
        let r = b
            .post(
                "/messages/mute",
                &[("csrf", &csrf), ("category", category), ("muted", muted)],
            )
            .await;
        assert_eq!(r.status, status, "{category} {muted}");
    }
    let org = app.org_id().await;
    let id = kari.employee_id.parse().unwrap();
    assert!(app.store.mutes(org, id).await.unwrap().is_empty());
    let r = b
        .post(
            "/messages/mute",
            &[("csrf", &csrf), ("category", "evening"), ("muted", "true")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/messages#mute-evening"));
    let muted: Vec<&str> = app
        .store
        .mutes(org, id)
        .await
        .unwrap()
        .iter()
        .map(|c| c.as_str())
        .collect();
    assert_eq!(muted, ["evening"]);
    let page = b.get("/messages").await;
    assert!(page.body.contains("id=\"unmute-evening\""));
}

async fn the_messages_page_lists_reminders_as_sent(app: TestApp) {
    let e = employee(&app, "K1", "").await;
    app.clock.set(crate::nudges::oslo(11, 25, 8, 0));
    app.clock_client(&app.admin_token)
        .record_event(pb::RecordEventRequest {
            event: Some(crate::helpers::event(
                &e.employee_id,
                pb::EventKind::ClockIn,
                crate::nudges::oslo(11, 25, 8, 0),
            )),
        })
        .await
        .unwrap();
    app.clock.set(crate::nudges::oslo(11, 25, 17, 0));
    assert_eq!(app.jobs.sweep_once().await.unwrap().reminders, 1);
    assert_eq!(app.jobs.run_outbox_once().await.unwrap().sent, 1);
    let mut b = sign_in(&app, "k1@example.no").await;
    let page = b.get("/messages").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"reminders\""), "{}", page.body);
    assert!(page.has("Påminnelse om å stemple ut"));
    assert!(page.has("Sendt ons. 25. nov. 2026 17:00"), "{}", page.body);
    assert!(!page.body.contains("id=\"no-messages\""));
}

async fn a_locked_period_says_a_correction_is_paid_as_an_adjustment(app: TestApp) {
    employee(&app, "K1", "").await;
    pb::payroll_service_client::PayrollServiceClient::with_interceptor(
        app.channel.clone(),
        Bearer::for_token(&app.admin_token),
    )
    .lock_period(pb::LockPeriodRequest {
        period_id: "2026-10".into(),
    })
    .await
    .unwrap();
    let mut b = sign_in(&app, "k1@example.no").await;
    let locked = b.get("/time/2026-10-30").await;
    assert_eq!(locked.status, 200);
    assert!(locked.body.contains("id=\"locked\""));
    assert!(locked.has("utbetalt som et tillegg eller trekk i neste åpne periode"));
    let open = b.get("/time/2026-11-02").await;
    assert!(!open.body.contains("id=\"locked\""));
}

/// One policy for both doors: for each pair of reader and record, the page
/// answers what the RPC answers (`OK` ↔ 200, `PERMISSION_DENIED` ↔ 403,
/// `NOT_FOUND` ↔ 404).
async fn pages_and_rpcs_share_one_authorization(app: TestApp) {
    let boss = employee(&app, "M1", "").await;
    let kari = employee(&app, "K1", &boss.employee_id).await;
    let ola = employee(&app, "O1", "").await;
    let readers = [
        ("k1@example.no", &kari, pb::Role::Employee),
        ("m1@example.no", &boss, pb::Role::Manager),
        ("o1@example.no", &ola, pb::Role::Employee),
    ];
    let records = [&kari, &boss, &ola];
    let mut table = Vec::new();
    for (email, reader, role) in readers {
        let mut b = sign_in(&app, email).await;
        let token = app.token(role, Some(&reader.employee_id)).await;
        let mut rpc = pb::timesheet_service_client::TimesheetServiceClient::with_interceptor(
            app.channel.clone(),
            Bearer::for_token(&token),
        );
        for record in records {
            let page = b
                .get(&format!(
                    "/people/{}/time?week=2026-W47",
                    record.employee_id
                ))
                .await;
            let code = match rpc
                .get_timesheet(pb::GetTimesheetRequest {
                    employee_id: record.employee_id.clone(),
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
            {
                Ok(_) => Code::Ok,
                Err(s) => s.code(),
            };
            let expected_status = match code {
                Code::Ok => 200,
                Code::PermissionDenied => 403,
                Code::NotFound => 404,
                other => panic!("{other:?}"),
            };
            assert_eq!(
                page.status, expected_status,
                "{email} reads {}",
                record.external_id
            );
            if page.status == 403 {
                assert!(!page.has(&record.name), "a refused page names nobody");
            }
            table.push((
                reader.external_id.clone(),
                record.external_id.clone(),
                page.status,
            ));
        }
        // The team page: managers only.
        let team = b.get("/team").await;
        table.push((reader.external_id.clone(), "team".into(), team.status));
    }
    let expected: Vec<(String, String, u16)> = [
        ("K1", "K1", 200),
        ("K1", "M1", 403),
        ("K1", "O1", 403),
        ("K1", "team", 403),
        ("M1", "K1", 200),
        ("M1", "M1", 200),
        ("M1", "O1", 403),
        ("M1", "team", 200),
        ("O1", "K1", 403),
        ("O1", "M1", 403),
        ("O1", "O1", 200),
        ("O1", "team", 403),
    ]
    .iter()
    .map(|(a, b, c)| ((*a).to_owned(), (*b).to_owned(), *c))
    .collect();
    assert_eq!(table, expected);
    // Another organisation's employee is not found, never forbidden.
    let mut b = sign_in(&app, "k1@example.no").await;
    let page = b
        .get("/people/6f1c1b9e-54a8-4b7e-9d0e-1b7e0f6c2a11/time")
        .await;
    assert_eq!(page.status, 404);
}

async fn a_manager_sees_the_team_and_a_reports_finding(app: TestApp) {
    let boss = employee(&app, "M1", "").await;
    let kari = employee(&app, "K1", &boss.employee_id).await;
    // 07:00–21:30 UTC on Thursday: 14 h 30 min, past the 13 h in 24 h.
    let clock = app.clock_client(&app.admin_token);
    for (kind, t) in [
        (pb::EventKind::ClockIn, at(5, 0)),
        (pb::EventKind::ClockOut, at(19, 30)),
    ] {
        clock
            .clone()
            .record_event(pb::RecordEventRequest {
                event: Some(crate::helpers::event(&kari.employee_id, kind, t)),
            })
            .await
            .unwrap();
    }
    let mut b = sign_in(&app, "m1@example.no").await;
    let team = b.get("/team").await;
    assert_eq!(team.status, 200);
    assert!(team.has("Employee K1"));
    // The page counts what ListFindings lists: one figure, two doors.
    let open = pb::timesheet_service_client::TimesheetServiceClient::with_interceptor(
        app.channel.clone(),
        Bearer::for_token(&app.admin_token),
    )
    .list_findings(pb::ListFindingsRequest {
        scope: Some(pb::list_findings_request::Scope::EmployeeId(
            kari.employee_id.clone(),
        )),
        statuses: vec![pb::FindingStatus::Open as i32],
        severities: vec![pb::Severity::Violation as i32],
        ..Default::default()
    })
    .await
    .unwrap()
    .into_inner()
    .findings
    .len();
    assert!(open >= 1);
    assert!(team.has(&format!("Brudd {open}<")), "{open}: {}", team.body);
    let sheet = b
        .get(&format!("/people/{}/time?week=2026-W47", kari.employee_id))
        .await;
    assert_eq!(sheet.status, 200);
    assert!(sheet.has("Timeliste for Employee K1"));
    assert!(sheet.has("Arbeidstid på 24 timer"), "{}", sheet.body);
    assert!(sheet.has("arbeidsmiljøloven § 10-6 (8)"));
    // Read only: no correction form on a report's day.
    let day = b
        .get(&format!("/people/{}/time/2026-11-19", kari.employee_id))
        .await;
    assert_eq!(day.status, 200);
    assert!(!day.body.contains("id=\"correct-form\""));
}

async fn an_admin_signs_in_with_the_admin_token(app: TestApp) {
    employee(&app, "K1", "").await;
    let mut b = Browser::new(&app.web_url);
    let form = b.get("/sign-in/token").await;
    let csrf = form.hidden("csrf").unwrap();
    let wrong = b
        .post("/sign-in/token", &[("csrf", &csrf), ("token", "tv1_nope")])
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.has("Dette er ikke et gyldig administrator-token."));
    let clock_token = app.clock_token().await;
    let clock = b
        .post(
            "/sign-in/token",
            &[("csrf", &csrf), ("token", &clock_token)],
        )
        .await;
    assert_eq!(clock.status, 422, "only ADMIN tokens sign in");
    let ok = b
        .post(
            "/sign-in/token",
            &[("csrf", &csrf), ("token", &app.admin_token)],
        )
        .await;
    assert_eq!(ok.status, 303);
    assert_eq!(ok.header("location"), Some("/team"));
    let org = b.get("/team").await;
    assert_eq!(org.status, 200);
    assert!(org.has("Organisasjonen nå"));
    assert!(org.has("Employee K1"));
    assert_eq!(sessions(&app).await, 1);
}

async fn sessions_are_listed_and_ended_by_their_owner(app: TestApp) {
    employee(&app, "K1", "").await;
    let mut phone = sign_in(&app, "k1@example.no").await;
    let mut laptop = sign_in(&app, "k1@example.no").await;
    let list = laptop.get("/sessions").await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body.matches("name=\"session_id\"").count(), 2);
    assert!(list.has("Chrome · Android"));
    let phone_id = {
        let store = &app.store;
        let hash = tidsvakt::domain::token::hash_secret(&phone.cookies["tv_session"]);
        store.session_by_hash(&hash).await.unwrap().unwrap().id
    };
    let csrf = list.hidden("csrf").unwrap();
    let ended = laptop
        .post(
            "/sessions/end",
            &[("csrf", &csrf), ("session_id", &phone_id.to_string())],
        )
        .await;
    assert_eq!(ended.status, 303);
    assert_eq!(phone.get("/").await.status, 303);
    assert_eq!(laptop.get("/").await.status, 200);
    let again = laptop
        .post(
            "/sessions/end",
            &[("csrf", &csrf), ("session_id", &phone_id.to_string())],
        )
        .await;
    assert_eq!(again.status, 404);
}

async fn my_data_downloads_the_whole_record(app: TestApp) {
    let kari = employee(&app, "K1", "").await;
    let clock = app.clock_client(&app.admin_token);
    for (kind, t) in [
        (pb::EventKind::ClockIn, at(7, 0)),
        (pb::EventKind::ClockOut, at(15, 0)),
    ] {
        clock
            .clone()
            .record_event(pb::RecordEventRequest {
                event: Some(crate::helpers::event(&kari.employee_id, kind, t)),
            })
            .await
            .unwrap();
    }
    let mut b = sign_in(&app, "k1@example.no").await;
    let csv = b.get("/data/record.csv").await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(
        lines[0],
        "record,id,at,kind,detail,reason_or_text,by_or_source,status"
    );
    assert_eq!(lines.iter().filter(|l| l.starts_with("event,")).count(), 2);
    let json = b.get("/data/record.json").await;
    let v: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    assert_eq!(v["employee"]["external_id"], "K1");
    assert_eq!(v["events"].as_array().unwrap().len(), 2);
    assert_eq!(v["events"][0]["kind"], "CLOCK_IN");
}

both_backends!(
    sign_in_by_link_opens_one_session_and_the_link_works_once,
    an_unknown_address_gets_the_same_answer_and_no_mail,
    a_bad_address_is_explained_beside_the_field_and_kept,
    an_expired_link_is_refused_and_opens_nothing,
    links_are_limited_per_address_whether_known_or_not,
    a_forged_or_ended_session_shows_nothing,
    forms_without_the_csrf_token_are_refused_and_store_nothing,
    a_double_tap_on_clock_in_records_one_event,
    a_day_is_corrected_with_a_reason_and_bad_input_is_explained,
    mutes_change_only_optional_kinds,
    pages_and_rpcs_share_one_authorization,
    a_manager_sees_the_team_and_a_reports_finding,
    an_admin_signs_in_with_the_admin_token,
    sessions_are_listed_and_ended_by_their_owner,
    my_data_downloads_the_whole_record,
    the_messages_page_lists_reminders_as_sent,
    a_locked_period_says_a_correction_is_paid_as_an_adjustment,
);
