//! Email: templates, the view models they lay out, and the [`Mailer`] that
//! delivers a rendered message over SMTP or into a folder of `.eml` files.
//!
//! - [`views`]: what the caller fills in, already localised and formatted.
//! - [`copy`]: the supportive wording per nudge category (nb, en).
//! - [`Templates`]: minijinja templates embedded in the binary,
//!   `templates/<kind>/<locale>/{subject.txt,body.txt,body.html}.j2`, parsed
//!   and smoke-rendered once at start-up so a broken one stops the server
//!   rather than a message.
//! - [`Mailer`]: lettre's SMTP transport (STARTTLS, implicit TLS or plain for a
//!   loopback relay) or the `.eml` folder of the embedded setup.
//! - [`MailArgs`]: the command-line section, validated into [`MailConfig`].
//!
//! Nothing here decides who hears what or when: that is the domain's job, and
//! retries are the outbox's. [`MailError::Transient`] means "try again later",
//! [`MailError::Permanent`] means this message can never be delivered.
//! Logs carry message ids only, never bodies, addresses or passwords.

pub mod config;
pub mod copy;
pub mod mailer;
pub mod samples;
pub mod templates;
pub mod views;

use chrono::{DateTime, Utc};

pub use config::{MailArgs, MailConfig, MailTransport, SmtpConfig, SmtpCredentials, SmtpTls};
pub use copy::{COPY_CATEGORIES, Copy, copy};
pub use mailer::Mailer;
pub use templates::Templates;

use crate::domain::employee::Locale;

/// One message ready to send: the subject (one line) and both bodies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Who gets a message, and the headers that do not come from a template.
#[derive(Clone, Debug)]
pub struct Envelope {
    pub to_name: String,
    pub to_email: String,
    /// `<uuid@domain>`, from [`Mailer::message_id`]: the same outbox row always
    /// gives the same id, so a retried message is recognisable downstream.
    pub message_id: String,
    /// The `Date` header: when the message was sent (the service's clock).
    pub date: DateTime<Utc>,
    /// The `Content-Language` header.
    pub locale: Locale,
}

/// What can go wrong with mail, sorted by what the caller should do about it.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// A setting is wrong: reported at start-up, naming the flag and its
    /// environment variable.
    #[error("mail setting {setting}: {reason}")]
    Config { setting: String, reason: String },
    /// A template failed to parse or render; names the template.
    #[error("mail template {0}")]
    Template(String),
    /// The relay is down, timed out or answered 4xx: try again later.
    #[error("mail not delivered, will retry: {0}")]
    Transient(String),
    /// The relay rejected this message (5xx) or it can never be built, e.g.
    /// an invalid recipient address: retrying will not help.
    #[error("mail not delivered, permanent failure: {0}")]
    Permanent(String),
}

impl MailError {
    /// True when a later retry may succeed.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_))
    }
}
