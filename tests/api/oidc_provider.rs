//! A real OIDC provider for the single sign-on tests: the `PyPI`
//! package `oidc-provider-mock` (an Authlib provider made for tests: real
//! discovery, RS256-signed ID tokens, a JWKS, the code flow), run on a free
//! loopback port in a process group of its own and killed on drop.
//!
//! - It lives in a venv at `target/oidc-provider-venv` (or
//!   `TIDSVAKT_TEST_OIDC_VENV`); `.ci/run` installs it there, and the
//!   harness does the same when it is missing (with `python3 -m venv` and
//!   pip, from `PyPI`).
//! - Without `python3`, or when the install fails, the tests say so loudly
//!   and return early, as the browser tests do; with `CI=true` they fail.
//! - A person's claims are set with its API (`PUT /users/{sub}`); at its
//!   authorization page the person "signs in" by typing their `sub`.

#![allow(dead_code)]

use std::io::Write as _;
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use openidconnect::reqwest;
use serde_json::Value;

/// The provider's version: 0.3.x is the last line that runs on the
/// machine's Python 3.11 (0.4 needs 3.12).
pub const PACKAGE: &str = "oidc-provider-mock==0.3.4";

fn venv() -> PathBuf {
    std::env::var_os("TIDSVAKT_TEST_OIDC_VENV").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/oidc-provider-venv"),
        PathBuf::from,
    )
}

fn program() -> PathBuf {
    venv().join("bin/oidc-provider-mock")
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// Installs the provider into the venv when it is missing; `Err` says why
/// it could not be.
fn install() -> Result<(), String> {
    if program().exists() {
        return Ok(());
    }
    let dir = venv();
    let ok = |mut c: Command, what: &str| -> Result<(), String> {
        let out = c
            .stdout(Stdio::null())
            .output()
            .map_err(|e| format!("{what}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{what} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    };
    let mut venv_cmd = Command::new("python3");
    venv_cmd.args(["-m", "venv"]).arg(&dir);
    ok(venv_cmd, "python3 -m venv")?;
    let mut pip = Command::new(dir.join("bin/pip"));
    pip.args(["install", "--quiet", PACKAGE]);
    ok(pip, "pip install")?;
    if program().exists() {
        Ok(())
    } else {
        Err(format!(
            "{} is missing after the install",
            program().display()
        ))
    }
}

/// Whether the provider can run here: installs it once if needed. Says
/// loudly (once) when the tests are skipped; panics instead when `CI=true`.
pub fn provider_available() -> bool {
    static STATE: Mutex<Option<Result<(), String>>> = Mutex::new(None);
    let mut state = STATE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let first = state.is_none();
    let result = state.get_or_insert_with(install).clone();
    match result {
        Ok(()) => true,
        Err(why) => {
            assert!(
                !ci(),
                "CI=true and the OpenID provider cannot run ({why}): the single sign-on tests never skip in CI"
            );
            if first {
                // Written past the test harness's capture on purpose.
                let _ = writeln!(
                    std::io::stderr(),
                    "\n!!! The OpenID provider ({PACKAGE}, from PyPI) cannot run: the single sign-on tests are SKIPPED.\n\
                     !!! {why}\n\
                     !!! Install python3 with venv and pip, or see .ci/run.\n"
                );
            }
            false
        }
    }
}

/// A running provider; killed with its process group on drop.
pub struct OidcProvider {
    child: Child,
    pub port: u16,
    /// Its issuer URL, as its ID tokens name it.
    pub issuer: String,
    http: reqwest::Client,
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        // The group is the one this harness created for this provider.
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

impl OidcProvider {
    /// Starts the provider on a free port and waits for its discovery
    /// document.
    pub async fn start() -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        for _ in 0..3 {
            let port = free_port();
            let log = std::env::var_os("TEST_LOG").is_some();
            let mut child = Command::new(program())
                .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .env("NO_COLOR", "1")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(if log { Stdio::inherit() } else { Stdio::null() })
                .process_group(0)
                .spawn()
                .expect("the OpenID provider starts");
            let issuer = format!("http://127.0.0.1:{port}");
            let discovery = format!("{issuer}/.well-known/openid-configuration");
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(30) {
                if let Ok(Some(_)) = child.try_wait() {
                    break; // the port was taken after all: try another
                }
                if let Ok(r) = http.get(&discovery).send().await
                    && r.status().is_success()
                {
                    return Self {
                        child,
                        port,
                        issuer,
                        http,
                    };
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("the OpenID provider did not answer on loopback");
    }

    /// Sets the claims of the person `sub` (replacing earlier ones).
    pub async fn set_user(&self, sub: &str, claims: Value) {
        let r = self
            .http
            .put(format!("{}/users/{sub}", self.issuer))
            .header("content-type", "application/json")
            .body(claims.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 204, "PUT /users/{sub}");
    }

    /// Signs `sub` in at the authorization address `url` as the page's
    /// form does; returns where the provider sends the browser (the
    /// callback with its code and state).
    pub async fn authorize(&self, url: &str, sub: &str) -> String {
        let r = self
            .http
            .post(url)
            .form(&[("sub", sub)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 302, "the provider redirects back");
        r.headers()["location"].to_str().unwrap().to_owned()
    }
}
