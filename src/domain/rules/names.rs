//! Every rule's name in words, for people: pages and emails say "daily
//! rest", never `no.daily_rest`. One table, so a rule is named the same
//! everywhere.

use crate::domain::employee::Locale;

/// `(rule id, bokmål, English)`.
const NAMES: &[(&str, &str, &str)] = &[
    (
        "no.limits",
        "Arbeidstid per dag og uke",
        "Working hours per day and week",
    ),
    (
        "no.normal_hours",
        "Alminnelig arbeidstid",
        "Normal working hours",
    ),
    ("no.overtime_7d", "Overtid på 7 dager", "Overtime in 7 days"),
    ("no.overtime_4w", "Overtid på 4 uker", "Overtime in 4 weeks"),
    (
        "no.overtime_26w",
        "Overtid på 26 uker",
        "Overtime in 26 weeks",
    ),
    (
        "no.averaging_week",
        "Høyeste uke ved gjennomsnitt",
        "Longest week when averaging",
    ),
    (
        "no.overtime_52w",
        "Overtid på 52 uker",
        "Overtime in 52 weeks",
    ),
    (
        "no.total_24h",
        "Arbeidstid på 24 timer",
        "Working time in 24 hours",
    ),
    (
        "no.total_7d",
        "Arbeidstid på 7 dager",
        "Working time in 7 days",
    ),
    (
        "no.averaging",
        "Gjennomsnittsberegning",
        "Averaged working hours",
    ),
    ("no.daily_rest", "Daglig hvile", "Daily rest"),
    ("no.weekly_rest", "Ukentlig hvile", "Weekly rest"),
    ("no.breaks", "Pauser", "Breaks"),
    ("no.night", "Nattarbeid", "Night work"),
    ("no.night_avg", "Nattarbeid i snitt", "Average night work"),
    (
        "no.sunday_holiday",
        "Søndags- og helgedagsarbeid",
        "Sunday and holiday work",
    ),
    (
        "no.sunday_off_next",
        "Fri søndag etter søndagsarbeid",
        "A free Sunday after Sunday work",
    ),
    (
        "no.record",
        "Registrering av arbeidstid",
        "Working-time record",
    ),
    (
        "eu.limits",
        "Arbeidstid per dag og uke",
        "Working hours per day and week",
    ),
    (
        "eu.avg_48h",
        "48 timer i snitt per uke",
        "48 hours a week on average",
    ),
    ("eu.daily_rest", "Daglig hvile", "Daily rest"),
    ("eu.weekly_rest", "Ukentlig hvile", "Weekly rest"),
    ("eu.breaks", "Pauser", "Breaks"),
    ("eu.night_avg", "Nattarbeid i snitt", "Average night work"),
    (
        "eu.record",
        "Registrering av arbeidstid",
        "Working-time record",
    ),
    ("de.limits", "Arbeidstid per dag", "Working hours per day"),
    (
        "de.daily_max",
        "Høyeste arbeidstid per dag",
        "Longest working day",
    ),
    (
        "de.avg_8h",
        "8 timer i snitt per dag",
        "8 hours a day on average",
    ),
    ("de.rest", "Hviletid", "Rest period"),
    ("de.breaks", "Pauser", "Breaks"),
    (
        "de.sunday_holiday",
        "Søndags- og helgedagsarbeid",
        "Sunday and holiday work",
    ),
    (
        "de.sunday_comp",
        "Erstatningsfridag",
        "A substitute day off",
    ),
    (
        "de.sundays_off",
        "Frie søndager i året",
        "Free Sundays in the year",
    ),
    (
        "de.record",
        "Registrering av arbeidstid",
        "Working-time record",
    ),
    ("pol.evening", "Kveldsarbeid", "Evening work"),
    ("pol.night", "Nattarbeid", "Night work"),
    ("pol.weekend", "Helgearbeid", "Weekend work"),
    ("pol.long_day", "Lange dager", "Long days"),
    (
        "pol.creep",
        "Flere uker over planen",
        "Several weeks above schedule",
    ),
    ("pol.home_share", "Andel hjemmekontor", "Home-office share"),
    ("pol.core_hours", "Kjernetid", "Core hours"),
    (
        "pol.sick_or_vacation_work",
        "Arbeid under sykdom eller ferie",
        "Work during sick leave or vacation",
    ),
    (
        "pol.missing_clock_out",
        "Manglende utstempling",
        "Missing clock-out",
    ),
    (
        "pol.overtime_near",
        "Nær overtidsgrensen",
        "Close to the overtime limit",
    ),
];

/// The rule's name in words; an unknown id (a rule added without a name)
/// falls back to a neutral phrase rather than showing the id.
#[must_use]
pub fn name(rule: &str, locale: Locale) -> &'static str {
    NAMES.iter().find(|(id, _, _)| *id == rule).map_or(
        match locale {
            Locale::Nb => "Arbeidstidsregel",
            Locale::En => "Working-time rule",
        },
        |(_, nb, en)| match locale {
            Locale::Nb => nb,
            Locale::En => en,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rules::catalog;

    #[test]
    fn every_rule_of_every_pack_has_a_name_in_both_languages() {
        for rule in catalog::RULES.iter().map(|r| r.id) {
            assert!(
                NAMES.iter().any(|(id, _, _)| *id == rule),
                "{rule} has no name"
            );
        }
        assert_eq!(name("no.daily_rest", Locale::Nb), "Daglig hvile");
        assert_eq!(name("nope", Locale::En), "Working-time rule");
    }
}
