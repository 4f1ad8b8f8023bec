//! Single sign-on with OIDC (issue 16 item 3), against a real
//! provider on loopback (`oidc_provider.rs`: the `PyPI` `oidc-provider-mock`)
//! and the real server, on both back-ends. The person's way through is
//! driven in Chromium; the refusals that need a hand on the answer (a
//! replayed or late callback) speak HTTP. Each test checks what was stored
//! (sessions, their role) straight from the database.

use std::path::Path;

use chrono::Duration;
use serde_json::json;
use tidsvakt::clock::Clock as _;

use crate::browser_harness::{self, browser_available};
use crate::helpers::{Db, TestApp, spawn_app_with};
use crate::oidc_provider::{OidcProvider, provider_available};
use crate::web_client::{self, Page};

/// The provider's file: one provider "test", an email grant (ADMIN), a
/// group grant (PAYROLL) and the Lager department's safety representative.
fn write_config(dir: &Path, issuer: &str) -> std::path::PathBuf {
    let secret = dir.join("client.secret");
    std::fs::write(&secret, "tidsvakt-secret\n").unwrap();
    let file = dir.join("sso.toml");
    std::fs::write(
        &file,
        format!(
            r#"
[[provider]]
id = "test"
name = "Testleverandør"
issuer = "{issuer}"
client_id = "tidsvakt"
client_secret_file = "{}"
group_claim = "groups"

[[provider.grant]]
email = "HR@example.no"
role = "ADMIN"

[[provider.grant]]
group = "tidsvakt-lonn"
role = "PAYROLL"

[[provider.grant]]
email = "vo@example.no"
role = "SAFETY_REP"
department = "Lager"
"#,
            secret.display()
        ),
    )
    .unwrap();
    file
}

struct Setup {
    app: TestApp,
    provider: OidcProvider,
    _dir: tempfile::TempDir,
}

/// The provider, the server configured for it, and Kari (an employee,
/// kari@example.no) known to the provider with a verified address.
async fn setup(db: Db) -> Option<Setup> {
    if !provider_available() {
        return None;
    }
    let provider = OidcProvider::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = write_config(dir.path(), &provider.issuer);
    let app = spawn_app_with(db, |c| c.sso_config = Some(file)).await;
    Some(Setup {
        app,
        provider,
        _dir: dir,
    })
}

async fn kari(s: &Setup) -> String {
    let e = s.app.create_employee("KARI").await;
    s.provider
        .set_user(
            "kari-sub",
            json!({"email": "Kari@Example.no", "email_verified": true, "name": "Kari N."}),
        )
        .await;
    e.employee_id
}

/// A stored column of the one session, as text.
async fn session_column(app: &TestApp, column: &str) -> String {
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&app.database_url)
        .await
        .unwrap();
    sqlx::query_scalar::<_, Option<String>>(&format!(
        "SELECT {column} FROM web_sessions ORDER BY created_at DESC LIMIT 1"
    ))
    .fetch_one(&mut conn)
    .await
    .unwrap()
    .unwrap_or_default()
}

async fn sessions(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM web_sessions").await
}

/// The person's way through in Chromium: a page that needs sign-in, the
/// "Sign in with" button, the provider's page (typing `sub`), and back.
async fn browser_sign_in(s: &Setup, next: &str, sub: &str) -> browser_harness::Browser {
    let b = browser_harness::Browser::open(&s.app).await;
    b.goto(next).await;
    let expected = if next == "/" {
        "/sign-in".to_owned()
    } else {
        format!("/sign-in?next={}", urlenc(next))
    };
    assert_eq!(b.path().await, expected);
    assert_eq!(b.text_of("#sso-test").await, "Logg inn med Testleverandør");
    b.click("#sso-test").await;
    // The provider's own authorization page.
    b.fill("input[name=sub]", sub).await;
    b.click("button[type=submit]").await;
    b
}

fn urlenc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn an_employee_signs_in_with_the_provider_and_lands_where_they_wanted(db: Db) {
    if !browser_available() {
        return;
    }
    let Some(s) = setup(db).await else { return };
    let kari = kari(&s).await;
    let b = browser_sign_in(&s, "/time", "kari-sub").await;
    assert_eq!(b.path().await, "/time");
    assert_eq!(b.status().await, 200);
    assert!(
        b.text().await.contains("Employee KARI"),
        "{}",
        b.text().await
    );
    assert_eq!(sessions(&s.app).await, 1);
    assert_eq!(session_column(&s.app, "employee_id").await, kari);
    assert_eq!(session_column(&s.app, "sso_subject").await, "test:kari-sub");
    assert_eq!(session_column(&s.app, "role").await, "");
    assert_eq!(
        s.app
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'sign_in'")
            .await,
        1
    );
    // The email link stays on the same page for people without SSO.
    b.goto("/sign-in").await;
    assert_eq!(b.count("#send-link").await, 1);
    b.close().await;
}

async fn an_unverified_email_is_refused(db: Db) {
    if !browser_available() {
        return;
    }
    let Some(s) = setup(db).await else { return };
    let _ = kari(&s).await;
    s.provider
        .set_user(
            "kari-unverified",
            json!({"email": "kari@example.no", "email_verified": false}),
        )
        .await;
    let b = browser_sign_in(&s, "/time", "kari-unverified").await;
    assert_eq!(b.status().await, 403);
    assert_eq!(b.heading().await, "E-postadressen er ikke bekreftet");
    assert_eq!(sessions(&s.app).await, 0);
    assert_eq!(
        s.app
            .count(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'auth_failed' \
                 AND reason = 'web single sign-on (test, sub kari-unverified): email_not_verified'"
            )
            .await,
        1
    );
    b.close().await;
}

async fn an_unknown_email_is_refused_and_nothing_is_created(db: Db) {
    if !browser_available() {
        return;
    }
    let Some(s) = setup(db).await else { return };
    s.provider
        .set_user(
            "ola-sub",
            json!({"email": "ola@elsewhere.no", "email_verified": true}),
        )
        .await;
    let employees = s.app.count("SELECT COUNT(*) FROM employees").await;
    let b = browser_sign_in(&s, "/", "ola-sub").await;
    assert_eq!(b.status().await, 403);
    assert_eq!(b.heading().await, "Kontoen er ikke kjent");
    assert!(
        b.text().await.contains(
            "Tidsvakt kjenner ikke kontoen du logget inn med, og ingen konto er opprettet."
        ),
    );
    assert_eq!(sessions(&s.app).await, 0);
    assert_eq!(
        s.app.count("SELECT COUNT(*) FROM employees").await,
        employees
    );
    // Audited by the provider's id of the person, never the address.
    assert_eq!(
        s.app
            .count(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'auth_failed' \
                 AND reason = 'web single sign-on (test, sub ola-sub): not_known'"
            )
            .await,
        1
    );
    assert_eq!(
        s.app
            .count("SELECT COUNT(*) FROM audit_log WHERE reason LIKE '%elsewhere%'")
            .await,
        0
    );
    b.close().await;
}

async fn a_role_grant_from_configuration_admits_an_administrator(db: Db) {
    if !browser_available() {
        return;
    }
    let Some(s) = setup(db).await else { return };
    s.provider
        .set_user(
            "hr-sub",
            json!({"email": "hr@example.no", "email_verified": true, "name": "Hege HR"}),
        )
        .await;
    let b = browser_sign_in(&s, "/", "hr-sub").await;
    // No record of her own: the organisation's page, as an administrator.
    assert_eq!(b.path().await, "/team");
    assert_eq!(b.status().await, 200);
    assert_eq!(b.heading().await, "Organisasjonen nå");
    assert!(b.text().await.contains("Hege HR"));
    assert_eq!(session_column(&s.app, "role").await, "ADMIN");
    assert_eq!(session_column(&s.app, "employee_id").await, "");
    assert_eq!(session_column(&s.app, "display_name").await, "Hege HR");
    // She signs out like anyone else.
    b.click("#sign-out").await;
    assert_eq!(
        s.app
            .count("SELECT COUNT(*) FROM web_sessions WHERE ended_at IS NOT NULL")
            .await,
        1
    );
    b.close().await;
}

async fn a_tampered_state_is_refused(db: Db) {
    if !browser_available() {
        return;
    }
    let Some(s) = setup(db).await else { return };
    let _ = kari(&s).await;
    let b = browser_harness::Browser::open(&s.app).await;
    b.goto("/sign-in").await;
    b.click("#sso-test").await;
    // At the provider: the same request with another state.
    let at_provider = b.js("return window.location.href;", vec![]).await;
    let at_provider = at_provider.as_str().unwrap();
    let mut url = url::Url::parse(at_provider).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "state" {
                format!("{v}x")
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    b.goto_url(url.as_str()).await;
    b.fill("input[name=sub]", "kari-sub").await;
    b.click("button[type=submit]").await;
    assert!(b.path().await.starts_with("/sign-in/sso/test/callback?"));
    assert_eq!(b.status().await, 400);
    assert_eq!(b.heading().await, "Innloggingen ble ikke fullført");
    assert_eq!(sessions(&s.app).await, 0);
    b.close().await;
}

/// The first steps over HTTP: start, then the provider's answer for `sub`;
/// returns the client (with the state cookie) and the callback path.
async fn start_over_http(s: &Setup, sub: &str) -> (web_client::Browser, String) {
    let mut client = web_client::Browser::new(&s.app.web_url);
    let started: Page = client.get("/sign-in/sso/test?next=/time").await;
    assert_eq!(started.status, 303);
    assert!(client.cookies.contains_key("tv_sso"));
    let authorize = started.header("location").unwrap().to_owned();
    assert!(authorize.starts_with(&format!("{}/oauth2/authorize?", s.provider.issuer)));
    assert!(authorize.contains("code_challenge_method=S256"));
    assert!(authorize.contains("nonce="));
    let callback = s.provider.authorize(&authorize, sub).await;
    let path = callback
        .strip_prefix(&s.app.web_url)
        .unwrap_or_else(|| panic!("{callback} is not ours"))
        .to_owned();
    (client, path)
}

async fn a_replayed_or_late_callback_is_refused(db: Db) {
    let Some(s) = setup(db).await else { return };
    let _ = kari(&s).await;
    // Replay: the same answer twice, with the same cookie.
    let (mut client, callback) = start_over_http(&s, "kari-sub").await;
    let state_cookie = client.cookies["tv_sso"].clone();
    let first = client.get(&callback).await;
    assert_eq!(first.status, 303);
    assert_eq!(first.header("location"), Some("/time"));
    assert!(client.cookies.contains_key("tv_session"));
    let mut replay = web_client::Browser::new(&s.app.web_url);
    replay.cookies.insert("tv_sso".into(), state_cookie);
    let again = replay.get(&callback).await;
    assert_eq!(again.status, 410);
    assert!(again.has("Denne innloggingen er allerede brukt. Start på nytt."));
    assert_eq!(sessions(&s.app).await, 1);
    // Late: more than 10 minutes at the provider.
    let (mut late, callback) = start_over_http(&s, "kari-sub").await;
    s.app
        .clock
        .set(s.app.clock.now() + Duration::minutes(10) + Duration::seconds(1));
    let refused = late.get(&callback).await;
    assert_eq!(refused.status, 410);
    assert!(refused.has("Innloggingen tok mer enn 10 minutter. Start på nytt."));
    // Without the browser's state cookie (another browser): refused.
    let (_, callback) = start_over_http(&s, "kari-sub").await;
    let stranger = web_client::Browser::new(&s.app.web_url)
        .get(&callback)
        .await;
    assert_eq!(stranger.status, 400);
    assert_eq!(sessions(&s.app).await, 1);
}

async fn a_group_claim_grants_its_role_to_an_employee(db: Db) {
    let Some(s) = setup(db).await else { return };
    let kari = kari(&s).await;
    s.provider
        .set_user(
            "kari-sub",
            json!({"email": "kari@example.no", "email_verified": true,
                   "groups": ["alle", "tidsvakt-lonn"]}),
        )
        .await;
    let (mut client, callback) = start_over_http(&s, "kari-sub").await;
    assert_eq!(client.get(&callback).await.status, 303);
    assert_eq!(session_column(&s.app, "role").await, "PAYROLL");
    assert_eq!(session_column(&s.app, "employee_id").await, kari);
}

/// Issue 16's "Done when": a safety representative signs in with the
/// provider, reads a month's record of her department and prints it, and
/// the employee sees that read on *What Tidsvakt told about me*.
async fn a_safety_rep_signs_in_reads_and_prints_a_month_and_the_employee_sees_it(db: Db) {
    if !browser_available() {
        return;
    }
    let Some(s) = setup(db).await else { return };
    // Kari (Lager) and Ola (Kontor) worked in November; Per has no department.
    let staff = crate::working_time_record::staff(&s.app).await;
    s.provider
        .set_user(
            "vo-sub",
            json!({"email": "vo@example.no", "email_verified": true, "name": "Vera Verneombud"}),
        )
        .await;
    let b = browser_sign_in(&s, "/record", "vo-sub").await;
    assert_eq!(b.path().await, "/record");
    assert_eq!(session_column(&s.app, "role").await, "SAFETY_REP");
    assert_eq!(session_column(&s.app, "department").await, "Lager");
    b.set_value("#period", "2026-11").await;
    b.click("#show-period").await;
    assert_eq!(
        b.text_of("#period-heading").await,
        "Periode søn. 1. nov. 2026 – man. 30. nov. 2026"
    );
    // Her department only: Kari, not Ola or Per.
    assert_eq!(b.count("#record-list tr.record-row").await, 1);
    assert!(b.text_of("#record-list").await.contains("Kari Nordmann"));
    b.click("#record-print").await;
    assert_eq!(b.path().await, "/record/print?period=2026-11");
    assert_eq!(b.count("section.record-employee").await, 1);
    assert_eq!(
        b.text_of("#print-reader").await,
        "Vera Verneombud (verneombud)"
    );
    let days = b
        .js(
            "return document.querySelectorAll('section.record-employee tr.record-day').length;",
            vec![],
        )
        .await;
    assert_eq!(days, json!(2), "Kari's Tuesday and Wednesday");
    assert_eq!(b.count("button#print").await, 1);
    // Printing: the button opens the browser's print dialog; the page asks
    // for nothing else (no request leaves it).
    b.js(
        "window.print = () => { window.printed = true; }; return null;",
        vec![],
    )
    .await;
    b.click_here("#print").await;
    assert_eq!(
        b.js("return window.printed === true;", vec![]).await,
        json!(true)
    );
    b.close().await;
    // The reads are in the audit trail with her name, and only Kari's.
    let reads = crate::working_time_record::logged(&s.app, "read_working_time_record").await;
    let vera = (
        "Vera Verneombud (SAFETY_REP)".to_owned(),
        staff.kari.employee_id.clone(),
    );
    assert_eq!(
        reads,
        [vera.clone(), vera.clone(), vera],
        "the landing page (this month), November's page and its print"
    );
    assert!(
        !reads
            .iter()
            .any(|(_, who)| *who == staff.ola.employee_id || *who == staff.per.employee_id)
    );

    // Kari signs in and sees who read her record.
    let kari = crate::browser_harness::signed_in(&s.app, "e1@example.no").await;
    kari.goto("/data").await;
    let who = kari.text_of("#reads tbody tr").await;
    assert!(who.contains("Vera Verneombud (verneombud)"), "{who}");
    kari.close().await;
}

crate::both_backends_db!(
    a_safety_rep_signs_in_reads_and_prints_a_month_and_the_employee_sees_it,
    an_employee_signs_in_with_the_provider_and_lands_where_they_wanted,
    an_unverified_email_is_refused,
    an_unknown_email_is_refused_and_nothing_is_created,
    a_role_grant_from_configuration_admits_an_administrator,
    a_tampered_state_is_refused,
    a_replayed_or_late_callback_is_refused,
    a_group_claim_grants_its_role_to_an_employee,
);

/// Bad configuration: a missing secret stops the start naming the flag;
/// an unreachable issuer leaves the service up and says so on its page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_secret_stops_the_start_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_config(dir.path(), "http://127.0.0.1:9");
    let text = std::fs::read_to_string(&file).unwrap().replace(
        &format!(
            "client_secret_file = \"{}\"",
            dir.path().join("client.secret").display()
        ),
        "client_secret_env = \"TIDSVAKT_TEST_SSO_SECRET_NOT_SET\"",
    );
    std::fs::write(&file, text).unwrap();
    let config = tidsvakt::config::ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        web_listen: "127.0.0.1:0".parse().unwrap(),
        database_url: format!("sqlite://{}", dir.path().join("tidsvakt.db").display()),
        data_dir: dir.path().to_owned(),
        outbox_dir: dir.path().join("outbox"),
        limits: tidsvakt::grpc::Limits::default(),
        bootstrap: true,
        metrics_listen: None,
        mail: tidsvakt::mail::MailConfig::smtp_plain("127.0.0.1", 9),
        jobs: tidsvakt::jobs::JobSettings::default(),
        background_jobs: false,
        sso_config: Some(file.clone()),
        security: tidsvakt::config::Security::default(),
    };
    let err = tidsvakt::app::App::build(
        config,
        std::sync::Arc::new(tidsvakt::clock::ManualClock::new(crate::helpers::test_now())),
    )
    .await
    .err()
    .expect("the start fails");
    assert_eq!(
        format!("{err:#}"),
        format!(
            "single sign-on setting --sso-config (TIDSVAKT_SSO_CONFIG) {}: provider \"test\": client_secret_env: the variable TIDSVAKT_TEST_SSO_SECRET_NOT_SET is not set",
            file.display()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_issuer_leaves_the_service_up_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let file = write_config(dir.path(), &format!("http://127.0.0.1:{port}"));
    let app = spawn_app_with(Db::Sqlite, |c| c.sso_config = Some(file)).await;
    let mut client = web_client::Browser::new(&app.web_url);
    let page = client.get("/sign-in").await;
    assert_eq!(page.status, 200);
    assert!(page.has("Logg inn med Testleverandør"));
    assert!(page.has("Send meg en lenke"));
    let start = client.get("/sign-in/sso/test").await;
    assert_eq!(start.status, 503);
    assert!(start.has("Får ikke kontakt med Testleverandør"));
    assert_eq!(client.get("/sign-in/sso/nobody").await.status, 404);
}
