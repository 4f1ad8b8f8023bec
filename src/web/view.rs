//! Pages: minijinja templates (the engine the mail uses), embedded in the
//! binary and parsed once. Each page is a template plus a serde view model;
//! [`render`] adds what every page shares (the words, the person, the CSRF
//! token).

use std::sync::LazyLock;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value, context};
use serde::Serialize;

use super::i18n;
use crate::domain::employee::Locale;

const SOURCES: &[(&str, &str)] = &[
    ("_layout.html.j2", include_str!("templates/_layout.html.j2")),
    (
        "_finding.html.j2",
        include_str!("templates/_finding.html.j2"),
    ),
    ("message.html.j2", include_str!("templates/message.html.j2")),
    ("sign_in.html.j2", include_str!("templates/sign_in.html.j2")),
    (
        "sign_in_link.html.j2",
        include_str!("templates/sign_in_link.html.j2"),
    ),
    (
        "sign_in_token.html.j2",
        include_str!("templates/sign_in_token.html.j2"),
    ),
    ("now.html.j2", include_str!("templates/now.html.j2")),
    ("time.html.j2", include_str!("templates/time.html.j2")),
    ("day.html.j2", include_str!("templates/day.html.j2")),
    (
        "messages.html.j2",
        include_str!("templates/messages.html.j2"),
    ),
    ("data.html.j2", include_str!("templates/data.html.j2")),
    (
        "sessions.html.j2",
        include_str!("templates/sessions.html.j2"),
    ),
    ("team.html.j2", include_str!("templates/team.html.j2")),
    ("digests.html.j2", include_str!("templates/digests.html.j2")),
    ("record.html.j2", include_str!("templates/record.html.j2")),
    (
        "_record_employee.html.j2",
        include_str!("templates/_record_employee.html.j2"),
    ),
    (
        "record_employee.html.j2",
        include_str!("templates/record_employee.html.j2"),
    ),
    (
        "record_print.html.j2",
        include_str!("templates/record_print.html.j2"),
    ),
    (
        "_admin_nav.html.j2",
        include_str!("templates/_admin_nav.html.j2"),
    ),
    (
        "admin_payroll.html.j2",
        include_str!("templates/admin_payroll.html.j2"),
    ),
    (
        "admin_payroll_period.html.j2",
        include_str!("templates/admin_payroll_period.html.j2"),
    ),
    (
        "admin_payroll_settings.html.j2",
        include_str!("templates/admin_payroll_settings.html.j2"),
    ),
    (
        "admin_people.html.j2",
        include_str!("templates/admin_people.html.j2"),
    ),
    (
        "admin_person.html.j2",
        include_str!("templates/admin_person.html.j2"),
    ),
    (
        "admin_import.html.j2",
        include_str!("templates/admin_import.html.j2"),
    ),
    (
        "admin_confirm.html.j2",
        include_str!("templates/admin_confirm.html.j2"),
    ),
    (
        "admin_tokens.html.j2",
        include_str!("templates/admin_tokens.html.j2"),
    ),
    (
        "admin_token.html.j2",
        include_str!("templates/admin_token.html.j2"),
    ),
    (
        "admin_dead.html.j2",
        include_str!("templates/admin_dead.html.j2"),
    ),
    (
        "_admin_nav.html.j2",
        include_str!("templates/_admin_nav.html.j2"),
    ),
    (
        "admin_plans.html.j2",
        include_str!("templates/admin_plans.html.j2"),
    ),
    (
        "admin_plans_confirm.html.j2",
        include_str!("templates/admin_plans_confirm.html.j2"),
    ),
    (
        "admin_plans_done.html.j2",
        include_str!("templates/admin_plans_done.html.j2"),
    ),
    (
        "email_sign_in.txt.j2",
        include_str!("templates/email_sign_in.txt.j2"),
    ),
    (
        "email_sign_in.html.j2",
        include_str!("templates/email_sign_in.html.j2"),
    ),
];

/// Each language's words as a template value, built once.
static WORDS: LazyLock<[Value; 2]> = LazyLock::new(|| {
    [
        Value::from_serialize(i18n::words(Locale::Nb)),
        Value::from_serialize(i18n::words(Locale::En)),
    ]
});

static PAGES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // Pages and HTML email are escaped as HTML; the text email is not.
    env.set_auto_escape_callback(|name| {
        if name.contains(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    for (name, source) in SOURCES {
        env.add_template(name, source)
            .unwrap_or_else(|e| panic!("page template {name} does not parse: {e:#}"));
    }
    env
});

/// What the layout shows about who is signed in.
#[allow(clippy::struct_excessive_bools)] // one flag per menu entry
#[derive(Clone, Debug, Default, Serialize)]
pub struct Chrome {
    /// The person's name, or empty when nobody is signed in.
    pub name: String,
    pub csrf: String,
    /// Whether the person has their own record (not an admin-token session).
    pub has_record: bool,
    pub is_manager: bool,
    pub is_admin: bool,
    /// Whether the person reads the § 10-7 record (`/record`).
    pub reads_record: bool,
    /// Which menu entry is current.
    pub current: &'static str,
}

/// Renders `template` with `view` under the key `v`.
///
/// # Panics
/// Never in a tested build: every template is rendered by the tests.
pub fn render<V: Serialize>(
    status: StatusCode,
    template: &str,
    locale: Locale,
    chrome: &Chrome,
    title: &str,
    view: &V,
) -> Response {
    let ctx = context! {
        t => WORDS[usize::from(locale == Locale::En)].clone(),
        lang => locale.as_str(),
        other_lang => match locale { Locale::Nb => "en", Locale::En => "nb" },
        chrome => Value::from_serialize(chrome),
        title => title,
        v => Value::from_serialize(view),
    };
    match PAGES.get_template(template).and_then(|t| t.render(ctx)) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(template, error = %format!("{e:#}"), "page did not render");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// The sign-in email in `locale`: the subject, then the text and HTML
/// bodies, from the same words and the same engine as the pages.
///
/// # Errors
/// A template that does not render (every one is rendered by the tests).
pub fn sign_in_email(
    locale: Locale,
    first: &str,
    url: &str,
) -> Result<crate::mail::Rendered, minijinja::Error> {
    let ctx = context! {
        t => WORDS[usize::from(locale == Locale::En)].clone(),
        lang => locale.as_str(),
        first => first,
        url => url,
    };
    Ok(crate::mail::Rendered {
        subject: i18n::word(locale, "mail_subject").to_owned(),
        text: PAGES.get_template("email_sign_in.txt.j2")?.render(&ctx)?,
        html: PAGES.get_template("email_sign_in.html.j2")?.render(&ctx)?,
    })
}

/// A page with a title, a message and a link onwards (errors, notices).
#[derive(Clone, Debug, Serialize)]
pub struct MessagePage {
    pub heading: String,
    pub lead: String,
    pub link: String,
    pub link_text: String,
}

/// Renders [`MessagePage`] with `status`.
#[must_use]
pub fn message(
    status: StatusCode,
    locale: Locale,
    chrome: &Chrome,
    page: &MessagePage,
) -> Response {
    render(
        status,
        "message.html.j2",
        locale,
        chrome,
        &page.heading,
        page,
    )
}
