//! The plan use cases' refusals (English, with their figures, as the API
//! sends them) in bokmål for the console's forms. The checks themselves
//! live in the use cases; this only says their answers in the person's
//! language, shape by shape. A shape not known here is shown as sent, so
//! a new check is never hidden, only untranslated.

use crate::domain::employee::Locale;

/// `reason` in `locale`.
#[must_use]
pub fn in_locale(locale: Locale, reason: &str) -> String {
    if locale == Locale::En {
        return reason.to_owned();
    }
    bokmaal(reason).unwrap_or_else(|| reason.to_owned())
}

/// Fixed answers, word for word.
const FIXED: &[(&str, &str)] = &[
    ("is required", "må fylles ut"),
    (
        "is required (1..500 characters)",
        "må fylles ut (1–500 tegn)",
    ),
    ("appears twice", "står to ganger"),
    ("is before valid_from", "er før første dag"),
    (
        "the flexitime frame must contain core hours",
        "fleksitidsrammen må romme kjernetiden",
    ),
    ("must be zero or negative", "må være null eller negativ"),
    ("must be zero or positive", "må være null eller positiv"),
    (
        "cannot be set on this basis",
        "kan ikke avtales på dette grunnlaget",
    ),
    ("must be true when given", "må være sann når den er gitt"),
    (
        "is required for an EVE",
        "må fylles ut for en aften (når helligdagsvinduet åpner)",
    ),
    (
        "higher overtime limits need tariff representatives or Arbeidstilsynet (§ 10-6 (5), (6))",
        "høyere overtidsgrenser krever avtale med tillitsvalgte eller tillatelse fra Arbeidstilsynet (§ 10-6 (5), (6))",
    ),
    (
        "shorter rest needs an agreement with tariff representatives (§ 10-8 (3))",
        "kortere hviletid krever avtale med tillitsvalgte (§ 10-8 (3))",
    ),
];

/// Who may agree, as the catalog names them.
const BASES: &[(&str, &str)] = &[
    ("an individual agreement", "en individuell avtale"),
    ("tariff representatives", "tillitsvalgte"),
];

fn basis(text: &str) -> String {
    BASES
        .iter()
        .fold(text.to_owned(), |t, (en, nb)| t.replace(en, nb))
}

fn bokmaal(reason: &str) -> Option<String> {
    if let Some((_, nb)) = FIXED.iter().find(|(en, _)| *en == reason) {
        return Some((*nb).to_owned());
    }
    if let Some(other) = reason.strip_prefix("is not after ") {
        return Some(format!("er ikke etter {other}"));
    }
    if let Some((a, b)) = reason
        .strip_suffix(" are given together or not at all")
        .and_then(|r| r.split_once(" and "))
    {
        return Some(format!(
            "{a} og {b} fylles ut sammen eller ikke i det hele tatt"
        ));
    }
    // "N is outside a..b" with what follows it.
    if let Some((value, rest)) = reason.split_once(" is outside ") {
        let (range, tail) = rest.split_once(' ').unwrap_or((rest, ""));
        let range = range.trim_end_matches(',');
        let tail = if let Some(basis_text) = tail
            .strip_prefix("(the most ")
            .and_then(|t| t.strip_suffix(" may agree)"))
        {
            format!(" (det meste {} kan avtale)", basis(basis_text))
        } else if let Some(what) = tail.strip_prefix("what the law allows for ") {
            format!(", det loven tillater for {what}")
        } else if tail.is_empty() {
            String::new()
        } else {
            return None;
        };
        return Some(format!("{value} er utenfor {range}{tail}"));
    }
    if let Some((rule, pack)) = reason
        .strip_prefix('\'')
        .and_then(|r| r.split_once("' is not a rule of "))
    {
        return Some(format!("'{rule}' er ikke en regel i {pack}"));
    }
    if let Some((end, start)) = reason
        .strip_prefix("end ")
        .and_then(|r| r.split_once(" is before start "))
    {
        return Some(format!("siste dag {end} er før første dag {start}"));
    }
    if let Some((parameter, unit)) = reason.split_once(" is measured in ") {
        return Some(format!("{parameter} måles i {unit}"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_shape_is_said_in_bokmaal_with_its_figures() {
        let nb = |r| in_locale(Locale::Nb, r);
        assert_eq!(nb("is required"), "må fylles ut");
        assert_eq!(
            nb("is not after flex_frame_start"),
            "er ikke etter flex_frame_start"
        );
        assert_eq!(
            nb("schedule.core_start and schedule.core_end are given together or not at all"),
            "schedule.core_start og schedule.core_end fylles ut sammen eller ikke i det hele tatt"
        );
        assert_eq!(
            nb("700 is outside 0..600 (the most INDIVIDUAL may agree)"),
            "700 er utenfor 0..600 (det meste INDIVIDUAL kan avtale)"
        );
        assert_eq!(nb("900 is outside 0..600"), "900 er utenfor 0..600");
        assert_eq!(
            nb("1300 is outside 0..1200 (the most tariff representatives (§ 10-6 (5)) may agree)"),
            "1300 er utenfor 0..1200 (det meste tillitsvalgte (§ 10-6 (5)) kan avtale)"
        );
        assert_eq!(
            nb("end 2026-11-01 is before start 2026-11-10"),
            "siste dag 2026-11-01 er før første dag 2026-11-10"
        );
        assert_eq!(
            nb("900 is outside 300..780, what the law allows for pol.long_day limit (a long day)"),
            "900 er utenfor 300..780, det loven tillater for pol.long_day limit (a long day)"
        );
        assert_eq!(
            nb("'no.x' is not a rule of no-aml"),
            "'no.x' er ikke en regel i no-aml"
        );
    }

    #[test]
    fn english_and_unknown_shapes_are_shown_as_sent() {
        assert_eq!(in_locale(Locale::En, "is required"), "is required");
        assert_eq!(
            in_locale(Locale::Nb, "a check nobody translated"),
            "a check nobody translated"
        );
        assert_eq!(
            in_locale(Locale::Nb, "7 is outside 1..5 because of the moon"),
            "7 is outside 1..5 because of the moon"
        );
    }
}
