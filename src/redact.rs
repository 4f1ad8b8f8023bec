//! Email addresses out of text that is logged, stored or shown to admins.
//!
//! Relays echo the recipient in their replies ("550 5.1.1 <kari@example.no>:
//! user unknown"), lettre puts the reply in its error, and the error reaches
//! `last_error`, the log and `ListDeadMessages`. [`without_addresses`] is the
//! one redaction: the mailer applies it to every error it makes, the outbox
//! to every error it stores, and the log writer (`telemetry`) to every line,
//! so an address in any tracing field is caught even where nobody thought
//! of one.

use std::borrow::Cow;

/// What an address becomes.
pub const REDACTED: &str = "<address>";

/// `text` with every email address replaced by [`REDACTED`] (the angle
/// brackets around one included, so `<kari@example.no>` becomes
/// `<address>`, not `<<address>>`).
///
/// An address is a run of local-part characters, `@`, and a domain (letters,
/// digits, dots and hyphens; a trailing dot ends the sentence, not the
/// domain). Our own Message-IDs (`<uuid@domain>`) are kept: a UUID before
/// the `@` names a message, not a person, and operators trace a message by it.
#[must_use]
pub fn without_addresses(text: &str) -> Cow<'_, str> {
    if !text.contains('@') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    // Where the text not yet copied to `out` starts.
    let mut copied = 0;
    for (at, _) in text.match_indices('@') {
        if at < copied {
            continue;
        }
        let Some((start, end)) = address_around(text, copied, at) else {
            continue;
        };
        if is_message_id(&text[start..at]) {
            continue;
        }
        let bracketed =
            start > copied && text[..start].ends_with('<') && text[end..].starts_with('>');
        let (start, end) = if bracketed {
            (start - 1, end + 1)
        } else {
            (start, end)
        };
        out.push_str(&text[copied..start]);
        out.push_str(REDACTED);
        copied = end;
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// The byte range of the address whose `@` is at `at`, if there is one,
/// starting no earlier than `from` (the end of the previous one).
fn address_around(text: &str, from: usize, at: usize) -> Option<(usize, usize)> {
    let mut start = from
        + text[from..at]
            .char_indices()
            .rev()
            .take_while(|&(_, c)| is_local(c))
            .last()
            .map(|(i, _)| i)?;
    // In coloured output a value follows an escape sequence (`ESC[0m`)
    // whose parameters and final `m` read like a local part.
    if text[..start].ends_with("\x1b[") {
        start += text[start..at].find('m')? + 1;
        if start == at {
            return None;
        }
    }
    let after = at + 1;
    let domain_len: usize = text[after..]
        .chars()
        .take_while(|&c| is_domain(c))
        .map(char::len_utf8)
        .sum();
    let domain = text[after..after + domain_len].trim_end_matches('.');
    if domain.is_empty() {
        return None;
    }
    Some((start, after + domain.len()))
}

/// The local-part characters addresses use in practice. `=`, `{`, `'` and
/// quotes are left out on purpose: they delimit fields in the log formats.
fn is_local(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn is_domain(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '-')
}

fn is_message_id(local: &str) -> bool {
    local.len() == 36 && uuid::Uuid::try_parse(local).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relay_reply_loses_its_address() {
        assert_eq!(
            without_addresses("permanent error (550): 5.1.1 <someone@example.com>: user unknown"),
            "permanent error (550): 5.1.1 <address>: user unknown"
        );
    }

    #[test]
    fn bare_quoted_and_field_addresses_are_redacted() {
        for (text, want) in [
            ("to kari@example.no.", "to <address>."),
            (
                "to=kari.nordmann+tid@mail.example.no rest",
                "to=<address> rest",
            ),
            (r#"{"to":"ase@example.no"}"#, r#"{"to":"<address>"}"#),
            ("a@b, c@d", "<address>, <address>"),
            ("Åse.Ødegård@eksempel.no", "<address>"),
            ("'ola@x.no'", "'<address>'"),
            ("A@A@a a@0.aa", "<address>@a <address>"),
        ] {
            assert_eq!(without_addresses(text), want, "{text}");
        }
    }

    #[test]
    fn text_without_an_address_is_untouched() {
        for text in ["no address here", "a @ b", "user@", "@example.no", "@@", ""] {
            assert!(
                matches!(without_addresses(text), Cow::Borrowed(t) if t == text),
                "{text}"
            );
        }
    }

    #[test]
    fn colour_codes_before_an_address_survive() {
        assert_eq!(
            without_addresses("\x1b[3mto\x1b[0m\x1b[2m=\x1b[0mkari@example.no"),
            "\x1b[3mto\x1b[0m\x1b[2m=\x1b[0m<address>"
        );
    }

    #[test]
    fn our_message_ids_are_kept() {
        let text =
            "send{message_id=<67e55044-10b1-426f-9247-bb680e5fe0c8@tid.example.no>}: to ola@x.no";
        assert_eq!(
            without_addresses(text),
            "send{message_id=<67e55044-10b1-426f-9247-bb680e5fe0c8@tid.example.no>}: to <address>"
        );
    }

    proptest::proptest! {
        /// Whatever surrounds it, an address never survives.
        #[test]
        fn no_address_survives(
            before in "[ -~]{0,20}",
            local in "[a-z0-9][a-z0-9._+-]{0,15}",
            domain in "[a-z0-9]{1,10}(\\.[a-z]{2,5}){1,2}",
            after in "[ -~]{0,20}",
        ) {
            let address = format!("{local}@{domain}");
            let text = format!("{before} {address} {after}");
            let redacted = without_addresses(&text);
            proptest::prop_assert!(!redacted.contains(&address), "{redacted}");
            proptest::prop_assert!(redacted.contains(REDACTED));
        }
    }
}
