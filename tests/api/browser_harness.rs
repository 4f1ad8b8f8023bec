//! A real browser for the API tests: Debian's chromium, driven over
//! `WebDriver` by `fantoccini` through a chromedriver of the test's own.
//!
//! - Each [`Browser`] starts one chromedriver on a free loopback port, in a
//!   process group of its own, with a fresh profile directory; dropping it
//!   kills the group (chromedriver and the chromium it started), so a
//!   failed test leaves no browser behind.
//! - The viewport is set with the `DevTools` protocol (chromedriver's
//!   `goog/cdp/execute`): a 360×800 phone, or a 1280×900 desktop for a
//!   screenshot. A window cannot be made narrower than 500 px, a viewport
//!   can.
//! - Without `/usr/bin/chromedriver` and `/usr/bin/chromium`, or with
//!   `TIDSVAKT_TEST_NO_BROWSER` set, [`browser_available`] says so loudly
//!   and the tests return early, as the PostgreSQL leg does without
//!   `TIDSVAKT_TEST_PG_URL`. With `CI=true` a missing browser fails instead:
//!   CI never skips this leg.
//! - [`Browser::snap`] saves the page as `docs/screenshots/<page>-phone.png`
//!   and `-desktop.png`, on the SQLite leg only (the PostgreSQL leg shows
//!   the same pages).

#![allow(dead_code)]

use std::io::Write as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::helpers::{Db, TestApp};

pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// How long a page, an element or an email may take.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Whether the browser tests can run here. Says loudly (once) when they
/// are skipped; panics instead when `CI=true`.
pub fn browser_available() -> bool {
    static WARN: Once = Once::new();
    let off = std::env::var_os("TIDSVAKT_TEST_NO_BROWSER").is_some();
    let found = Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists();
    if found && !off {
        return true;
    }
    let why = if found {
        "TIDSVAKT_TEST_NO_BROWSER is set".to_owned()
    } else {
        format!("{CHROMEDRIVER} or {CHROMIUM} is missing")
    };
    let ci = std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
    assert!(
        !ci,
        "CI=true and {why}: the browser tests never skip in CI (install Debian's chromium and chromium-driver)"
    );
    WARN.call_once(|| {
        // Written past the test harness's capture on purpose.
        let _ = writeln!(
            std::io::stderr(),
            "\n!!! chromium/chromedriver not found: the browser tests are SKIPPED ({why}).\n\
             !!! Install Debian's chromium and chromium-driver to run them.\n"
        );
    });
    false
}

/// The viewports the pages are checked and photographed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Viewport {
    /// 360×800, a small phone.
    Phone,
    /// 1280×900.
    Desktop,
}

impl Viewport {
    fn metrics(self) -> Value {
        match self {
            Self::Phone => json!({
                "width": 360, "height": 800, "deviceScaleFactor": 1, "mobile": true
            }),
            Self::Desktop => json!({
                "width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false
            }),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Phone => "phone",
            Self::Desktop => "desktop",
        }
    }
}

/// A `DevTools` command through chromedriver.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "cmd": self.cmd, "params": self.params }).to_string()),
        )
    }
}

/// A chromedriver process group and the profile its chromium uses; killed
/// and removed on drop.
struct Driver {
    child: Child,
    port: u16,
    profile: TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The group is the one this harness created for this chromedriver:
        // chromedriver and every chromium process it started.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

async fn start_driver() -> Driver {
    let profile = tempfile::tempdir().expect("a profile directory");
    for _ in 0..3 {
        let port = free_port();
        let mut child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver starts");
        let started = Instant::now();
        while started.elapsed() < PATIENCE {
            if let Ok(Some(_)) = child.try_wait() {
                break; // the port was taken after all: try another
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Driver {
                    child,
                    port,
                    profile,
                };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    panic!("chromedriver did not answer on loopback");
}

fn capabilities(profile: &Path) -> Capabilities {
    let mut caps = Capabilities::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                format!("--user-data-dir={}", profile.display()),
                "--window-size=360,800",
                // The pages pick bokmål for a browser that asks for it.
                "--lang=nb-NO",
            ],
            "prefs": { "intl.accept_languages": "nb-NO,nb" },
        }),
    );
    caps.insert(
        "timeouts".into(),
        json!({ "pageLoad": 30_000, "script": 10_000, "implicit": 0 }),
    );
    caps
}

/// One browser on one test server.
pub struct Browser {
    pub client: Client,
    /// `http://127.0.0.1:PORT`, the web server's address.
    pub base: String,
    /// Whether [`Browser::snap`] writes files (the SQLite leg).
    shots: bool,
    driver: Driver,
}

impl Browser {
    /// A phone-sized browser on `app`'s web server.
    pub async fn open(app: &TestApp) -> Browser {
        let driver = start_driver().await;
        let caps = capabilities(driver.profile.path());
        let mut last = None;
        let mut client = None;
        // chromedriver may accept the connection before it serves sessions.
        for _ in 0..20 {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{}", driver.port))
                .await
            {
                Ok(c) => {
                    client = Some(c);
                    break;
                }
                Err(e) => {
                    last = Some(e.to_string());
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
        let client = client.unwrap_or_else(|| panic!("no WebDriver session: {last:?}"));
        let browser = Browser {
            client,
            base: app.web_url.trim_end_matches('/').to_owned(),
            shots: matches!(app.db, Db::Sqlite),
            driver,
        };
        browser.viewport(Viewport::Phone).await;
        browser
    }

    /// Ends the `WebDriver` session (chromium quits), then chromedriver.
    pub async fn close(self) {
        let Browser { client, driver, .. } = self;
        let _ = tokio::time::timeout(Duration::from_secs(10), client.close()).await;
        drop(driver);
    }

    async fn cdp(&self, cmd: &'static str, params: Value) -> Value {
        self.client
            .issue_cmd(Cdp { cmd, params })
            .await
            .unwrap_or_else(|e| panic!("DevTools {cmd}: {e}"))
    }

    /// Sets the viewport (it stays across navigations).
    pub async fn viewport(&self, v: Viewport) {
        self.cdp("Emulation.setDeviceMetricsOverride", v.metrics())
            .await;
    }

    /// The layout viewport's width and height in CSS pixels.
    pub async fn inner_size(&self) -> (u64, u64) {
        let v = self
            .js("return [window.innerWidth, window.innerHeight];", vec![])
            .await;
        (
            v[0].as_u64().unwrap_or_default(),
            v[1].as_u64().unwrap_or_default(),
        )
    }

    /// Whether the page is wider than the viewport (a phone would scroll
    /// sideways).
    pub async fn overflows_sideways(&self) -> bool {
        self.js(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            vec![],
        )
        .await
        .as_bool()
        .unwrap_or(true)
    }

    /// Opens `path` (e.g. `/time?week=2026-W47`) on the web server.
    pub async fn goto(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.client
            .goto(&url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// Opens a full URL (e.g. a link from an email).
    pub async fn goto_url(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// The current path with its query, e.g. `/?done=new`.
    pub async fn path(&self) -> String {
        let u = self.client.current_url().await.expect("the current URL");
        match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        }
    }

    /// Runs a script in the page and returns what it returns.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// The HTTP status the current page was served with (the Navigation
    /// Timing API's `responseStatus`).
    pub async fn status(&self) -> u16 {
        let v = self
            .js(
                "const n = performance.getEntriesByType('navigation')[0]; \
                 return n ? n.responseStatus : 0;",
                vec![],
            )
            .await;
        u16::try_from(v.as_u64().unwrap_or_default()).unwrap_or_default()
    }

    /// The page's visible text.
    pub async fn text(&self) -> String {
        self.js("return document.body.innerText;", vec![])
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The page's `<h1>` (its text even when it is only for screen readers).
    pub async fn heading(&self) -> String {
        self.js(
            "const h = document.querySelector('h1'); return h ? h.textContent.trim() : '';",
            vec![],
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// The visible text of the first element matching `css`.
    pub async fn text_of(&self, css: &str) -> String {
        self.find(css)
            .await
            .text()
            .await
            .unwrap_or_else(|e| panic!("text of {css}: {e}"))
    }

    /// The page's `<title>`.
    pub async fn title(&self) -> String {
        self.client.title().await.expect("the title")
    }

    /// The first element matching `css`, waiting a little for it.
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css} on {}: {e}", self.base))
    }

    /// Every element matching `css` now.
    pub async fn find_all(&self, css: &str) -> Vec<fantoccini::elements::Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("find {css}: {e}"))
    }

    /// How many elements match `css` now.
    pub async fn count(&self, css: &str) -> usize {
        self.find_all(css).await.len()
    }

    /// The texts of every element matching `css`, trimmed.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        for e in self.find_all(css).await {
            out.push(e.text().await.unwrap().trim().to_owned());
        }
        out
    }

    /// Selects exactly `values` in the multi-select `css`.
    pub async fn choose<S: AsRef<str>>(&self, css: &str, values: &[S]) {
        let values: Vec<&str> = values.iter().map(AsRef::as_ref).collect();
        self.js(
            "const s = document.querySelector(arguments[0]); \
             for (const o of s.options) { o.selected = arguments[1].includes(o.value); } \
             return null;",
            vec![serde_json::json!(css), serde_json::json!(values)],
        )
        .await;
    }

    /// Types `text` into the field `css` (cleared first).
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field
            .clear()
            .await
            .unwrap_or_else(|e| panic!("clear {css}: {e}"));
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    /// Sets a field's value directly (time and date inputs type differently
    /// by the browser's locale; the value is what is submitted).
    pub async fn set_value(&self, css: &str, value: &str) {
        let found = self
            .js(
                "const f = document.querySelector(arguments[0]); \
                 if (!f) return false; \
                 f.value = arguments[1]; \
                 f.dispatchEvent(new Event('input', {bubbles: true})); \
                 f.dispatchEvent(new Event('change', {bubbles: true})); \
                 return true;",
                vec![json!(css), json!(value)],
            )
            .await;
        assert_eq!(found, json!(true), "no field {css}");
    }

    /// Picks the option with `value` in the select `css`.
    pub async fn select(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("select {value} in {css}: {e}"));
    }

    /// Clicks `css` and waits until the page it leads to has loaded (a
    /// submit button or a link); for a click that stays on the page, use
    /// [`Browser::click_here`].
    pub async fn click(&self, css: &str) {
        self.js("window.__tvOld = true; return null;", vec![]).await;
        self.click_here(css).await;
        let started = Instant::now();
        loop {
            let v = self
                .client
                .execute(
                    "return !window.__tvOld && document.readyState === 'complete';",
                    vec![],
                )
                .await;
            if matches!(v, Ok(Value::Bool(true))) {
                return;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "clicking {css} led to no new page (still {})",
                self.path().await
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Clicks `css` (a radio button, a checkbox).
    pub async fn click_here(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Removes every element matching `css` from the page; how many there were.
    pub async fn remove(&self, css: &str) -> u64 {
        self.js(
            "const all = document.querySelectorAll(arguments[0]); \
             all.forEach(e => e.remove()); return all.length;",
            vec![json!(css)],
        )
        .await
        .as_u64()
        .unwrap_or_default()
    }

    /// The value of the attribute `attr` of `css`.
    pub async fn attr(&self, css: &str, attr: &str) -> Option<String> {
        self.find(css)
            .await
            .attr(attr)
            .await
            .unwrap_or_else(|e| panic!("attribute {attr} of {css}: {e}"))
    }

    /// The `tv_session` cookie's value, if the browser has one.
    pub async fn session_cookie(&self) -> Option<String> {
        self.client
            .get_all_cookies()
            .await
            .expect("cookies")
            .into_iter()
            .find(|c| c.name() == "tv_session")
            .map(|c| c.value().to_owned())
    }

    /// Replaces the session cookie with `value` (a forged one), as the
    /// server would have set it (`HttpOnly`, so through `DevTools`).
    pub async fn set_session_cookie(&self, value: &str) {
        let url = format!("{}/", self.base);
        self.cdp(
            "Network.deleteCookies",
            json!({ "name": "tv_session", "url": url }),
        )
        .await;
        let set = self
            .cdp(
                "Network.setCookie",
                json!({
                    "name": "tv_session", "value": value, "url": url, "path": "/",
                    "httpOnly": true, "sameSite": "Lax"
                }),
            )
            .await;
        assert_eq!(set["success"], json!(true), "the cookie is set: {set}");
        assert_eq!(self.session_cookie().await.as_deref(), Some(value));
    }

    /// Saves the page as `docs/screenshots/<page>-phone.png` and
    /// `<page>-desktop.png` (on the SQLite leg only), then returns to the
    /// phone viewport.
    pub async fn snap(&self, page: &str) {
        if !self.shots {
            return;
        }
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("docs/screenshots");
        for v in [Viewport::Phone, Viewport::Desktop] {
            self.viewport(v).await;
            // From the top, or from the part a link's #fragment names.
            self.js(
                "const t = location.hash && document.getElementById(location.hash.slice(1)); \
                 if (t) { t.scrollIntoView(); } else { window.scrollTo(0, 0); } return null;",
                vec![],
            )
            .await;
            let png = self
                .client
                .screenshot()
                .await
                .unwrap_or_else(|e| panic!("screenshot of {page}: {e}"));
            assert!(
                png.starts_with(b"\x89PNG"),
                "a screenshot of {page} is a PNG"
            );
            let file = dir.join(format!("{page}-{}.png", v.name()));
            std::fs::write(&file, png).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        }
        self.viewport(Viewport::Phone).await;
    }
}

/// `docs/screenshots/` of the repository.
pub fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots")
}

/// The sign-in link in the last sign-in email to `address`, waiting until
/// `nth` emails (counted from 1) have arrived in all.
pub async fn sign_in_link(app: &TestApp, address: &str, nth: usize) -> String {
    let got = app.mailbox.wait_for(nth, PATIENCE).await;
    let mail = got
        .iter()
        .map(|m| crate::smtp::parse(&m.raw))
        .rfind(|m| m.to.iter().any(|t| t.email == address))
        .unwrap_or_else(|| panic!("no email to {address}"));
    assert_eq!(mail.subject, "Logg inn i Tidsvakt", "{}", mail.text);
    link_in(&mail.text, &app.web_url)
}

/// The `…/sign-in/link?token=<64 hex>[&next=…]` URL in `text`.
pub fn link_in(text: &str, web_url: &str) -> String {
    let prefix = format!("{}/sign-in/link?token=", web_url.trim_end_matches('/'));
    let start = text
        .find(&prefix)
        .unwrap_or_else(|| panic!("no link starting {prefix} in:\n{text}"));
    let link: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '<' && *c != '>')
        .collect();
    let token: String = link[prefix.len()..]
        .chars()
        .take_while(|c| *c != '&')
        .collect();
    assert_eq!(token.len(), 64, "a 256-bit token in hex: {link}");
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()), "hex: {link}");
    link
}

/// Asks for a sign-in link for `email` in `browser` (the form, as a person
/// fills it in) and returns the "check your email" page's heading.
pub async fn ask_for_link(browser: &Browser, email: &str) -> String {
    browser.goto("/sign-in").await;
    browser.fill("#email", email).await;
    browser.click("#send-link").await;
    browser.heading().await
}

/// A phone browser signed in as `email` through the link in the email.
pub async fn signed_in(app: &TestApp, email: &str) -> Browser {
    let before = app.mailbox.messages().len();
    let b = Browser::open(app).await;
    assert_eq!(ask_for_link(&b, email).await, "Sjekk e-posten din");
    let link = sign_in_link(app, email, before + 1).await;
    b.goto_url(&link).await;
    b.click("#redeem-link").await;
    assert_eq!(b.path().await, "/", "signed in, the link leads to Now");
    b
}
