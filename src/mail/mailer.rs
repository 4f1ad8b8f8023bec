//! Delivery: one rendered message to one recipient, over SMTP or into the
//! `.eml` folder.
//!
//! Every message is `multipart/alternative` (text/plain, then text/html, both
//! UTF-8) with the caller's Message-ID and Date, `Content-Language`, and
//! `Auto-Submitted: auto-generated` (RFC 3834) so that vacation responders
//! stay quiet.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use uuid::Uuid;

use super::config::{MailConfig, MailTransport, SmtpConfig, SmtpTls, is_loopback};
use super::{Envelope, MailError, Rendered};
use crate::redact::without_addresses;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Sends rendered messages. Cheap to share behind an `Arc`; each SMTP send
/// opens its own connection (mail volume is a few messages per person per
/// week, and a fresh connection notices a restarted relay at once).
pub struct Mailer {
    from: Mailbox,
    backend: Backend,
}

enum Backend {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// The whole send's deadline: lettre's own timeout covers each
        /// command, but not a relay that accepts and then never greets.
        timeout: std::time::Duration,
        description: String,
    },
    Eml {
        dir: PathBuf,
    },
}

impl std::fmt::Debug for Mailer {
    // By hand: lettre's transport would print the SMTP credentials.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .field("backend", &self.describe())
            .finish()
    }
}

impl Mailer {
    /// Builds the transport; `outbox_dir` is created for the `.eml` backend
    /// and unused with SMTP. Logs a warning for plaintext SMTP to a host that
    /// is not loopback.
    pub fn from_config(cfg: &MailConfig, outbox_dir: &Path) -> Result<Self, MailError> {
        let backend = match &cfg.transport {
            MailTransport::Eml => {
                std::fs::create_dir_all(outbox_dir).map_err(|e| MailError::Config {
                    setting: "outbox directory".to_owned(),
                    reason: format!("cannot create {}: {e}", outbox_dir.display()),
                })?;
                Backend::Eml {
                    dir: outbox_dir.to_owned(),
                }
            }
            MailTransport::Smtp(smtp) => smtp_backend(smtp)?,
        };
        Ok(Self {
            from: cfg.from.clone(),
            backend,
        })
    }

    /// Where mail goes, for the start-up log: no credentials.
    #[must_use]
    pub fn describe(&self) -> String {
        match &self.backend {
            Backend::Smtp { description, .. } => description.clone(),
            Backend::Eml { dir } => format!(".eml files in {}", dir.display()),
        }
    }

    /// The domain of the From address, which Message-IDs use.
    #[must_use]
    pub fn from_domain(&self) -> &str {
        self.from.email.domain()
    }

    /// `<{outbox_id}@{domain}>`.
    #[must_use]
    pub fn message_id_for(outbox_id: Uuid, domain: &str) -> String {
        format!("<{outbox_id}@{domain}>")
    }

    /// [`Mailer::message_id_for`] with this mailer's From domain.
    #[must_use]
    pub fn message_id(&self, outbox_id: Uuid) -> String {
        Self::message_id_for(outbox_id, self.from_domain())
    }

    /// The message as it goes on the wire (RFC 5322), e.g. for a preview.
    pub fn format(&self, env: &Envelope, r: &Rendered) -> Result<Vec<u8>, MailError> {
        Ok(self.build(env, r)?.formatted())
    }

    /// Delivers one message. [`MailError::Transient`]: retry later;
    /// [`MailError::Permanent`]: it will never go through.
    #[tracing::instrument(skip_all, fields(message_id = %env.message_id))]
    pub async fn send(&self, env: &Envelope, r: &Rendered) -> Result<(), MailError> {
        let message = self.build(env, r)?;
        let result = match &self.backend {
            Backend::Smtp {
                transport, timeout, ..
            } => match tokio::time::timeout(*timeout, transport.send(message)).await {
                Ok(sent) => sent.map(drop).map_err(|e| classify(&e)),
                Err(_) => Err(MailError::Transient(format!(
                    "the SMTP relay did not finish within {} s",
                    timeout.as_secs_f64()
                ))),
            },
            Backend::Eml { dir } => write_eml(dir, &env.message_id, &message.formatted()).await,
        };
        match &result {
            Ok(()) => tracing::debug!("mail delivered"),
            Err(e) => tracing::warn!(error = %e, "mail not delivered"),
        }
        result
    }

    fn build(&self, env: &Envelope, r: &Rendered) -> Result<Message, MailError> {
        let address: Address = env
            .to_email
            .trim()
            .parse()
            .map_err(|e| MailError::Permanent(format!("invalid recipient address: {e}")))?;
        let id = &env.message_id;
        if !(id.starts_with('<')
            && id.ends_with('>')
            && id.contains('@')
            && id.is_ascii()
            && !id.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            return Err(MailError::Permanent(format!(
                "invalid Message-ID {id:?}: expected <id@domain>"
            )));
        }
        Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(Some(env.to_name.clone()), address))
            .subject(r.subject.clone())
            .date(SystemTime::from(env.date))
            .message_id(Some(env.message_id.clone()))
            .header(ContentLanguage(env.locale.as_str().to_owned()))
            .header(AutoSubmitted)
            .header(AutoResponseSuppress)
            .multipart(MultiPart::alternative_plain_html(
                r.text.clone(),
                r.html.clone(),
            ))
            .map_err(|e| MailError::Permanent(format!("cannot build the message: {e}")))
    }
}

fn smtp_backend(smtp: &SmtpConfig) -> Result<Backend, MailError> {
    let tls_parameters = || {
        TlsParameters::new(smtp.host.clone()).map_err(|e| MailError::Config {
            setting: "--smtp-tls (TIDSVAKT_SMTP_TLS)".to_owned(),
            reason: format!("cannot set up TLS for {}: {e}", smtp.host),
        })
    };
    let tls = match smtp.tls {
        SmtpTls::Starttls => Tls::Required(tls_parameters()?),
        SmtpTls::Tls => Tls::Wrapper(tls_parameters()?),
        SmtpTls::None => {
            if !is_loopback(&smtp.host) {
                tracing::warn!(
                    host = %smtp.host,
                    "SMTP without TLS to a host that is not loopback: mail crosses the network unencrypted"
                );
            }
            Tls::None
        }
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.clone())
        .port(smtp.port)
        .tls(tls)
        .timeout(Some(smtp.timeout));
    if let Some(c) = &smtp.credentials {
        builder = builder.credentials(Credentials::new(
            c.username.clone(),
            c.password.expose_secret().to_owned(),
        ));
    }
    let mode = match smtp.tls {
        SmtpTls::Starttls => "STARTTLS",
        SmtpTls::Tls => "TLS",
        SmtpTls::None => "no TLS",
    };
    Ok(Backend::Smtp {
        transport: builder.build(),
        timeout: smtp.timeout,
        description: format!("SMTP {}:{} ({mode})", smtp.host, smtp.port),
    })
}

/// Sorts a lettre error into retry or give up.
///
/// Permanent: a 5xx reply about the message (recipient unknown, content
/// rejected). Everything else is transient: connection refused, timeouts, TLS
/// and protocol trouble, 4xx replies, and 5xx replies to AUTH, which say our
/// credentials are wrong rather than this message: once an admin fixes them,
/// the queued messages go out without a manual retry of each.
///
/// The text is the relay's reply without addresses: relays echo the
/// recipient, and the error is logged, stored and shown to admins.
fn classify(e: &lettre::transport::smtp::Error) -> MailError {
    let text = without_addresses(&e.to_string()).into_owned();
    if e.is_permanent() {
        let auth = e
            .status()
            .is_some_and(|code| matches!(code.to_string().as_str(), "530" | "534" | "535" | "538"));
        if !auth {
            return MailError::Permanent(text);
        }
    }
    MailError::Transient(text)
}

/// `<dir>/<id>.eml`, written to a temporary file first and renamed, so a
/// reader never sees half a message and a retry replaces the same file.
async fn write_eml(dir: &Path, message_id: &str, bytes: &[u8]) -> Result<(), MailError> {
    let name: String = message_id
        .trim_start_matches('<')
        .trim_end_matches('>')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '@' | '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = dir.join(format!("{name}.eml"));
    let tmp = dir.join(format!(".{name}.{}.tmp", Uuid::new_v4()));
    let io =
        |e: std::io::Error| MailError::Transient(format!("cannot write {}: {e}", path.display()));
    let write = async {
        let mut f = tokio::fs::File::create(&tmp).await?;
        tokio::io::AsyncWriteExt::write_all(&mut f, bytes).await?;
        f.sync_all().await?;
        drop(f);
        tokio::fs::rename(&tmp, &path).await
    };
    if let Err(e) = write.await {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(io(e));
    }
    Ok(())
}

#[derive(Clone)]
struct ContentLanguage(String);

impl Header for ContentLanguage {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Content-Language")
    }
    fn parse(s: &str) -> Result<Self, BoxError> {
        Ok(Self(s.trim().to_owned()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// RFC 3834: a machine sent this; auto-responders must not answer.
#[derive(Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_: &str) -> Result<Self, BoxError> {
        Ok(Self)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// Exchange ignores RFC 3834 but honours this header for out-of-office replies.
#[derive(Clone)]
struct AutoResponseSuppress;

impl Header for AutoResponseSuppress {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Auto-Response-Suppress")
    }
    fn parse(_: &str) -> Result<Self, BoxError> {
        Ok(Self)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "All".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::employee::Locale;
    use chrono::TimeZone;

    fn rendered() -> Rendered {
        Rendered {
            subject: "Arbeid om kvelden – en påminnelse".to_owned(),
            text: "Hei Åse,\nvi så noe.\n".to_owned(),
            html: "<p>Hei Åse</p>".to_owned(),
        }
    }

    fn envelope() -> Envelope {
        Envelope {
            to_name: "Åse Ødegård".to_owned(),
            to_email: "ase@example.com".to_owned(),
            message_id: Mailer::message_id_for(Uuid::nil(), "localhost"),
            date: Utc.with_ymd_and_hms(2026, 11, 17, 7, 0, 0).unwrap(),
            locale: Locale::Nb,
        }
    }

    use chrono::Utc;

    fn mailer() -> Mailer {
        let dir = std::env::temp_dir();
        Mailer::from_config(&MailConfig::eml(), &dir).unwrap()
    }

    #[test]
    fn message_ids_use_the_from_domain() {
        let id = Uuid::parse_str("67e55044-10b1-426f-9247-bb680e5fe0c8").unwrap();
        assert_eq!(
            Mailer::message_id_for(id, "example.com"),
            "<67e55044-10b1-426f-9247-bb680e5fe0c8@example.com>"
        );
        assert_eq!(mailer().from_domain(), "localhost");
    }

    #[test]
    fn the_message_has_the_headers_the_outbox_relies_on() {
        let raw = String::from_utf8(mailer().format(&envelope(), &rendered()).unwrap()).unwrap();
        for header in [
            "Message-ID: <00000000-0000-0000-0000-000000000000@localhost>",
            "Date: Tue, 17 Nov 2026 07:00:00 +0000",
            "Content-Language: nb",
            "Auto-Submitted: auto-generated",
            "From: Tidsvakt <tidsvakt@localhost>",
            "multipart/alternative",
            "text/plain; charset=utf-8",
            "text/html; charset=utf-8",
        ] {
            assert!(raw.contains(header), "{header} missing in\n{raw}");
        }
    }

    #[test]
    fn an_invalid_recipient_is_permanent() {
        let mut env = envelope();
        env.to_email = "not an address".to_owned();
        assert!(matches!(
            mailer().format(&env, &rendered()),
            Err(MailError::Permanent(_))
        ));
    }

    #[test]
    fn a_malformed_message_id_is_permanent() {
        for id in ["no-brackets@x", "<no-at>", "<a b@c>", "<a@b>\r\nBcc: x@y"] {
            let mut env = envelope();
            env.message_id = id.to_owned();
            assert!(
                matches!(
                    mailer().format(&env, &rendered()),
                    Err(MailError::Permanent(_))
                ),
                "{id}"
            );
        }
    }

    #[test]
    fn tls_transports_build_with_the_ring_provider() {
        for tls in [SmtpTls::Starttls, SmtpTls::Tls] {
            let mut cfg = MailConfig::smtp_plain("smtp.example.com", tls.default_port());
            if let MailTransport::Smtp(s) = &mut cfg.transport {
                s.tls = tls;
            }
            let m = Mailer::from_config(&cfg, Path::new("/nonexistent")).unwrap();
            assert!(
                m.describe().starts_with("SMTP smtp.example.com:"),
                "{}",
                m.describe()
            );
        }
    }

    #[test]
    fn debug_output_has_no_credentials() {
        let mut cfg = MailConfig::smtp_plain("127.0.0.1", 2525);
        if let MailTransport::Smtp(s) = &mut cfg.transport {
            s.credentials = Some(crate::mail::SmtpCredentials {
                username: "u".to_owned(),
                password: "hunter2".to_owned().into(),
            });
        }
        let m = Mailer::from_config(&cfg, Path::new("/nonexistent")).unwrap();
        let debug = format!("{m:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("127.0.0.1:2525"), "{debug}");
    }
}
