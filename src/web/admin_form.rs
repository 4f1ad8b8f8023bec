//! What the HR console's pages share: only an ADMIN may open them, and a
//! use case's refusal of a field goes beside that field in the person's
//! language (the bokmål words come from `domain::import::ProblemKind`, the
//! one table the import's preview uses too).

use std::collections::BTreeMap;

use super::error::WebError;
use super::session::Person;
use crate::domain::employee::{FieldError, Locale};
use crate::domain::import::ProblemKind;
use crate::grpc::error::ApiError;

/// A field's name → what is wrong with it, as the form shows it.
pub type FieldErrors = BTreeMap<String, String>;

/// Refuses everyone but an admin with 403, before anything is read.
pub fn require_admin(person: &Person) -> Result<(), WebError> {
    if person.is_admin() {
        Ok(())
    } else {
        tracing::info!(session_id = %person.session.id, "console refused: not an admin");
        Err(WebError::Forbidden(person.locale))
    }
}

/// A validation's answer for `field`, in `locale`, starting with a capital.
#[must_use]
pub fn field_text(locale: Locale, field: &str, reason: &str) -> String {
    let text = ProblemKind::classify(field, reason).text(locale, reason);
    let mut c = text.chars();
    c.next().map_or_else(String::new, |f| {
        format!("{}{}.", f.to_uppercase(), c.as_str().trim_end_matches('.'))
    })
}

/// Notes a domain check's failure beside its field (the first per field).
pub fn note(errors: &mut FieldErrors, locale: Locale, form_field: &str, e: &FieldError) {
    errors
        .entry(form_field.to_owned())
        .or_insert_with(|| field_text(locale, &e.field, &e.reason));
}

/// A use case's refusal of a field as `(form field, text)`, or the error
/// back when it is no field's (a refused caller, a failed store).
///
/// # Errors
/// `e` when it names no field.
pub fn field_of(locale: Locale, e: ApiError) -> Result<(String, String), ApiError> {
    match e {
        ApiError::Invalid { field, reason }
        | ApiError::AlreadyExists { field, reason }
        | ApiError::FailedPrecondition { field, reason } => {
            let short = field.rsplit('.').next().unwrap_or(&field).to_owned();
            let text = field_text(locale, &short, &reason);
            Ok((short, text))
        }
        other => Err(other),
    }
}

/// `nb` or `en`, whichever `locale` is.
#[must_use]
pub fn msg(locale: Locale, nb: &str, en: &str) -> String {
    match locale {
        Locale::Nb => nb.to_owned(),
        Locale::En => en.to_owned(),
    }
}
