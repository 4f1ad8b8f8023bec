//! The mail section of the command line, and the validated [`MailConfig`].
//!
//! [`MailArgs`] is flattened into `serve`; [`MailArgs::config`] checks it once
//! at start-up and names the offending flag and environment variable, so a
//! typo in a deployment fails loudly before any message is due.

use std::net::IpAddr;
use std::time::Duration;

use lettre::message::Mailbox;
use secrecy::SecretString;

use super::MailError;

/// The From address when `--mail-from` is not given.
pub const DEFAULT_FROM: &str = "Tidsvakt <tidsvakt@localhost>";

/// How the SMTP connection is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS; the upgrade is required (port 587 by default).
    Starttls,
    /// TLS from the first byte, "implicit TLS" (port 465 by default).
    Tls,
    /// No encryption (port 25 by default): only sensible for a relay on loopback.
    None,
}

impl SmtpTls {
    /// The customary port for the mode.
    #[must_use]
    pub fn default_port(self) -> u16 {
        match self {
            Self::Starttls => 587,
            Self::Tls => 465,
            Self::None => 25,
        }
    }
}

/// Mail delivery. Without `--smtp-host`, messages are written as `.eml` files
/// to the outbox folder, which is the embedded default.
#[derive(Clone, Debug, clap::Args)]
pub struct MailArgs {
    /// SMTP relay host name or address. When absent, mail is written as .eml
    /// files to the outbox folder instead of being sent.
    #[arg(long, env = "TIDSVAKT_SMTP_HOST")]
    pub smtp_host: Option<String>,

    /// SMTP port [default: 587 for starttls, 465 for tls, 25 for none].
    #[arg(long, env = "TIDSVAKT_SMTP_PORT")]
    pub smtp_port: Option<u16>,

    /// How the SMTP connection is encrypted.
    #[arg(long, env = "TIDSVAKT_SMTP_TLS", value_enum, default_value_t = SmtpTls::Starttls)]
    pub smtp_tls: SmtpTls,

    /// SMTP user name; needs --smtp-password.
    #[arg(long, env = "TIDSVAKT_SMTP_USERNAME")]
    pub smtp_username: Option<String>,

    /// SMTP password; needs --smtp-username. Prefer the environment variable
    /// to the flag, which other users can see in the process list.
    #[arg(long, env = "TIDSVAKT_SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<SecretString>,

    /// The From address of every message, e.g. "Tidsvakt <tidsvakt@example.com>".
    /// Its domain is also the domain of the Message-IDs.
    #[arg(long, env = "TIDSVAKT_MAIL_FROM", default_value = DEFAULT_FROM)]
    pub mail_from: String,

    /// Seconds to wait for the SMTP relay before a send counts as failed (and is retried).
    #[arg(long, env = "TIDSVAKT_SMTP_TIMEOUT_SECS", default_value_t = 30)]
    pub smtp_timeout_secs: u64,

    /// The public http(s) URL of the web front end, the base of every link
    /// in emails (e.g. `https://tid.example.com`; a trailing slash is
    /// dropped). Without it, emails carry no links.
    #[arg(long, env = "TIDSVAKT_PUBLIC_URL")]
    pub public_url: Option<String>,
}

impl Default for MailArgs {
    /// The values of an empty command line and environment.
    fn default() -> Self {
        Self {
            smtp_host: None,
            smtp_port: None,
            smtp_tls: SmtpTls::Starttls,
            smtp_username: None,
            smtp_password: None,
            mail_from: DEFAULT_FROM.to_owned(),
            smtp_timeout_secs: 30,
            public_url: None,
        }
    }
}

/// Validated mail settings. Plain data: tests build it directly.
#[derive(Clone, Debug)]
pub struct MailConfig {
    pub from: Mailbox,
    pub transport: MailTransport,
    /// Without a trailing slash, e.g. `https://tid.example.com`.
    pub public_url: Option<String>,
}

/// Where messages go.
#[derive(Clone, Debug)]
pub enum MailTransport {
    /// `<outbox dir>/<message id>.eml`, one file per message.
    Eml,
    Smtp(SmtpConfig),
}

#[derive(Clone, Debug)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub credentials: Option<SmtpCredentials>,
    pub timeout: Duration,
}

/// SMTP AUTH credentials; the password's `Debug` prints `[REDACTED]`.
#[derive(Clone, Debug)]
pub struct SmtpCredentials {
    pub username: String,
    pub password: SecretString,
}

impl MailConfig {
    /// The embedded default: `.eml` files, the default From, no links.
    #[must_use]
    pub fn eml() -> Self {
        Self {
            from: default_from(),
            transport: MailTransport::Eml,
            public_url: None,
        }
    }

    /// Unencrypted SMTP without credentials, e.g. to a test server on loopback.
    #[must_use]
    pub fn smtp_plain(host: &str, port: u16) -> Self {
        Self {
            from: default_from(),
            transport: MailTransport::Smtp(SmtpConfig {
                host: host.to_owned(),
                port,
                tls: SmtpTls::None,
                credentials: None,
                timeout: Duration::from_secs(30),
            }),
            public_url: None,
        }
    }
}

fn default_from() -> Mailbox {
    DEFAULT_FROM
        .parse()
        .expect("the default From address parses")
}

/// `"--smtp-port (TIDSVAKT_SMTP_PORT)"`: how a setting is named in errors.
fn setting(flag: &str) -> String {
    let env = format!("TIDSVAKT_{}", flag.to_ascii_uppercase().replace('-', "_"));
    format!("--{flag} ({env})")
}

fn bad(flag: &str, reason: impl Into<String>) -> MailError {
    MailError::Config {
        setting: setting(flag),
        reason: reason.into(),
    }
}

/// An empty value (`TIDSVAKT_SMTP_HOST=`) means "not set": deployment tools
/// often cannot remove a variable, only empty it.
fn non_empty(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|s| !s.is_empty())
}

/// True for `localhost` and loopback addresses, where a plaintext connection
/// never leaves the machine.
#[must_use]
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl MailArgs {
    /// Checks the settings together and names the first wrong one.
    pub fn config(&self) -> Result<MailConfig, MailError> {
        use secrecy::ExposeSecret;

        let from: Mailbox = self.mail_from.trim().parse().map_err(|e| {
            bad(
                "mail-from",
                format!("{e}; expected an address like \"Tidsvakt <tidsvakt@example.com>\""),
            )
        })?;
        if from.email.domain().is_empty() {
            return Err(bad("mail-from", "the address needs a domain"));
        }

        let public_url = non_empty(self.public_url.as_deref())
            .map(|raw| {
                let url = url::Url::parse(raw).map_err(|e| bad("public-url", format!("{e}")))?;
                if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                    return Err(bad(
                        "public-url",
                        "must be an http or https URL with a host, e.g. https://tid.example.com",
                    ));
                }
                Ok(raw.trim_end_matches('/').to_owned())
            })
            .transpose()?;

        let username = non_empty(self.smtp_username.as_deref());
        let password = self
            .smtp_password
            .as_ref()
            .filter(|p| !p.expose_secret().is_empty());

        let Some(host) = non_empty(self.smtp_host.as_deref()) else {
            for (flag, set) in [
                ("smtp-port", self.smtp_port.is_some()),
                ("smtp-username", username.is_some()),
                ("smtp-password", password.is_some()),
            ] {
                if set {
                    return Err(bad(
                        flag,
                        "is only used with --smtp-host; without a host, mail goes to .eml files",
                    ));
                }
            }
            return Ok(MailConfig {
                from,
                transport: MailTransport::Eml,
                public_url,
            });
        };
        if host.chars().any(char::is_whitespace) || host.contains('/') {
            return Err(bad("smtp-host", "must be a host name or an IP address"));
        }

        let port = match self.smtp_port {
            Some(0) => return Err(bad("smtp-port", "must be between 1 and 65535")),
            Some(p) => p,
            None => self.smtp_tls.default_port(),
        };
        if self.smtp_timeout_secs == 0 {
            return Err(bad("smtp-timeout-secs", "must be at least 1 second"));
        }

        let credentials = match (username, password) {
            (Some(u), Some(p)) => Some(SmtpCredentials {
                username: u.to_owned(),
                password: p.clone(),
            }),
            (Some(_), None) => {
                return Err(bad("smtp-password", "is required with --smtp-username"));
            }
            (None, Some(_)) => {
                return Err(bad("smtp-username", "is required with --smtp-password"));
            }
            (None, None) => None,
        };
        if credentials.is_some() && self.smtp_tls == SmtpTls::None && !is_loopback(host) {
            return Err(bad(
                "smtp-tls",
                "is none, which would send the password unencrypted to a host that is not loopback; use starttls or tls",
            ));
        }

        Ok(MailConfig {
            from,
            transport: MailTransport::Smtp(SmtpConfig {
                host: host.to_owned(),
                port,
                tls: self.smtp_tls,
                credentials,
                timeout: Duration::from_secs(self.smtp_timeout_secs),
            }),
            public_url,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        mail: MailArgs,
    }

    fn parse(args: &[&str]) -> MailArgs {
        let mut cmdline = vec!["tidsvakt"];
        cmdline.extend_from_slice(args);
        Cli::try_parse_from(cmdline).expect("arguments parse").mail
    }

    fn setting_of(args: &[&str]) -> String {
        match parse(args).config() {
            Err(MailError::Config { setting, .. }) => setting,
            other => panic!("expected a config error for {args:?}, got {other:?}"),
        }
    }

    #[test]
    fn no_flags_means_eml_files() {
        let cfg = parse(&[]).config().unwrap();
        assert!(matches!(cfg.transport, MailTransport::Eml));
        assert_eq!(cfg.from.to_string(), DEFAULT_FROM);
        assert_eq!(cfg.public_url, None);
    }

    #[test]
    fn a_full_smtp_setup_is_accepted() {
        let cfg = parse(&[
            "--smtp-host",
            "smtp.example.com",
            "--smtp-tls",
            "tls",
            "--smtp-username",
            "tidsvakt",
            "--smtp-password",
            "hunter2",
            "--mail-from",
            "Tidsvakt <tid@example.com>",
            "--smtp-timeout-secs",
            "5",
            "--public-url",
            "https://tid.example.com/",
        ])
        .config()
        .unwrap();
        let MailTransport::Smtp(smtp) = &cfg.transport else {
            panic!("expected SMTP");
        };
        assert_eq!(smtp.host, "smtp.example.com");
        assert_eq!(smtp.port, 465, "implicit TLS defaults to 465");
        assert_eq!(smtp.tls, SmtpTls::Tls);
        assert_eq!(smtp.timeout, Duration::from_secs(5));
        assert_eq!(smtp.credentials.as_ref().unwrap().username, "tidsvakt");
        assert_eq!(cfg.public_url.as_deref(), Some("https://tid.example.com"));
        assert_eq!(cfg.from.email.domain(), "example.com");
    }

    #[test]
    fn starttls_is_the_default_on_587() {
        let cfg = parse(&["--smtp-host", "smtp.example.com"])
            .config()
            .unwrap();
        let MailTransport::Smtp(smtp) = cfg.transport else {
            panic!("expected SMTP");
        };
        assert_eq!((smtp.tls, smtp.port), (SmtpTls::Starttls, 587));
    }

    #[test]
    fn the_password_is_never_in_debug_output() {
        let args = parse(&[
            "--smtp-host",
            "smtp.example.com",
            "--smtp-username",
            "u",
            "--smtp-password",
            "hunter2-secret",
        ]);
        assert!(!format!("{args:?}").contains("hunter2"));
        let cfg = args.config().unwrap();
        assert!(!format!("{cfg:?}").contains("hunter2"));
    }

    #[test]
    fn port_zero_is_refused() {
        assert_eq!(
            setting_of(&["--smtp-host", "h", "--smtp-port", "0"]),
            "--smtp-port (TIDSVAKT_SMTP_PORT)"
        );
    }

    #[test]
    fn a_port_without_a_host_is_refused() {
        assert_eq!(
            setting_of(&["--smtp-port", "25"]),
            "--smtp-port (TIDSVAKT_SMTP_PORT)"
        );
    }

    #[test]
    fn a_username_without_a_password_is_refused() {
        assert_eq!(
            setting_of(&["--smtp-host", "h", "--smtp-username", "u"]),
            "--smtp-password (TIDSVAKT_SMTP_PASSWORD)"
        );
    }

    #[test]
    fn a_password_without_a_username_is_refused() {
        assert_eq!(
            setting_of(&["--smtp-host", "h", "--smtp-password", "p"]),
            "--smtp-username (TIDSVAKT_SMTP_USERNAME)"
        );
    }

    #[test]
    fn credentials_without_a_host_are_refused() {
        assert_eq!(
            setting_of(&["--smtp-username", "u", "--smtp-password", "p"]),
            "--smtp-username (TIDSVAKT_SMTP_USERNAME)"
        );
    }

    #[test]
    fn an_unparseable_from_is_refused() {
        for from in ["not an address", "Tidsvakt <tidsvakt@>", "<@example.com>"] {
            assert_eq!(
                setting_of(&["--mail-from", from]),
                "--mail-from (TIDSVAKT_MAIL_FROM)",
                "{from}"
            );
        }
    }

    #[test]
    fn a_public_url_must_be_http_or_https() {
        for url in [
            "ftp://tid.example.com",
            "tid.example.com",
            "https://",
            "mailto:a@b.no",
        ] {
            assert_eq!(
                setting_of(&["--public-url", url]),
                "--public-url (TIDSVAKT_PUBLIC_URL)",
                "{url}"
            );
        }
        let cfg = parse(&["--public-url", "http://localhost:8080"])
            .config()
            .unwrap();
        assert_eq!(cfg.public_url.as_deref(), Some("http://localhost:8080"));
    }

    #[test]
    fn a_zero_timeout_is_refused() {
        assert_eq!(
            setting_of(&["--smtp-host", "h", "--smtp-timeout-secs", "0"]),
            "--smtp-timeout-secs (TIDSVAKT_SMTP_TIMEOUT_SECS)"
        );
    }

    #[test]
    fn a_host_with_spaces_is_refused() {
        assert_eq!(
            setting_of(&["--smtp-host", "smtp example com"]),
            "--smtp-host (TIDSVAKT_SMTP_HOST)"
        );
    }

    #[test]
    fn a_password_in_clear_text_to_a_remote_host_is_refused() {
        let remote = [
            "--smtp-host",
            "smtp.example.com",
            "--smtp-tls",
            "none",
            "--smtp-username",
            "u",
            "--smtp-password",
            "p",
        ];
        assert_eq!(setting_of(&remote), "--smtp-tls (TIDSVAKT_SMTP_TLS)");
        let local = [
            "--smtp-host",
            "127.0.0.1",
            "--smtp-tls",
            "none",
            "--smtp-username",
            "u",
            "--smtp-password",
            "p",
        ];
        let cfg = parse(&local).config().unwrap();
        let MailTransport::Smtp(smtp) = cfg.transport else {
            panic!("expected SMTP");
        };
        assert_eq!(smtp.port, 25);
    }

    #[test]
    fn an_empty_host_means_not_set() {
        let cfg = parse(&["--smtp-host", ""]).config().unwrap();
        assert!(matches!(cfg.transport, MailTransport::Eml));
    }

    #[test]
    fn loopback_hosts_are_recognised() {
        for h in [
            "localhost",
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "[::1]",
            "LOCALHOST",
        ] {
            assert!(is_loopback(h), "{h}");
        }
        for h in ["smtp.example.com", "10.0.0.1", "localhost.example.com"] {
            assert!(!is_loopback(h), "{h}");
        }
    }
}
