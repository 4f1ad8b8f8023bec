//! The supportive wording per nudge category: a headline, why it matters and
//! what to do, in bokmål and English.
//!
//! The category strings are the lead's domain (`crate::domain`); this module
//! only owns the texts. The texts are written to the employee ("you"); the
//! manager alert quotes them as what the employee was told. Numbers that
//! differ between rule packs (hours of rest, break thresholds) stay out of
//! these texts: the finding's own explanation (`Item::seen`) carries them.

use crate::domain::employee::Locale;

/// The texts for one category in one language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Copy {
    pub headline: &'static str,
    pub why: &'static str,
    pub what_to_do: &'static str,
}

/// The categories that have texts, in the order of the design note.
pub const COPY_CATEGORIES: &[&str] = &[
    "evening",
    "night",
    "weekend",
    "long_day",
    "creep",
    "home_office",
    "core_hours",
    "absence_work",
    "record",
    "overtime_near",
    "overtime_limit",
    "working_time_limit",
    "rest",
    "breaks",
    "sunday_holiday",
];

/// The texts for `category` in `locale`, or `None` for an unknown category.
#[must_use]
pub fn copy(category: &str, locale: Locale) -> Option<Copy> {
    let (headline, why, what_to_do) = match locale {
        Locale::Nb => nb(category)?,
        Locale::En => en(category)?,
    };
    Some(Copy {
        headline,
        why,
        what_to_do,
    })
}

type Texts = (&'static str, &'static str, &'static str);

#[allow(clippy::too_many_lines)] // One arm per category reads best as a table.
fn nb(category: &str) -> Option<Texts> {
    Some(match category {
        "evening" => (
            "Arbeid om kvelden",
            "Kveldsarbeid spiser av hvile og fritid, og det har lett for å øke uten at man merker det.",
            "Var kveldene nødvendige, er det helt greit – sørg for å få igjen fritid. Hvis ikke, prøv å avslutte innenfor vanlig arbeidstid, og snakk med lederen din hvis arbeidsmengden gjør det vanskelig.",
        ),
        "night" => (
            "Arbeid om natten",
            "Nattarbeid forstyrrer søvn og restitusjon, og loven tillater det bare når arbeidets art gjør det nødvendig.",
            "Prøv å legge arbeidet til dagtid. Hvis det var nødvendig å jobbe om natten, sørg for god hvile etterpå og ta det opp med lederen din.",
        ),
        "weekend" => (
            "Arbeid i helgen",
            "Helgen er den lengste sammenhengende hvilen i uka. Når arbeid sniker seg inn der, blir det mindre tid til å hente seg inn.",
            "Var helgearbeidet avtalt, trenger du ikke gjøre noe. Hvis ikke, se om oppgavene kan vente til mandag, og snakk med lederen din hvis det skjer ofte.",
        ),
        "long_day" => (
            "Lange arbeidsdager",
            "Lange dager gir mindre hvile før neste arbeidsdag, og konsentrasjonen faller utover dagen.",
            "Prøv å avslutte til vanlig tid. Er lange dager nødvendige en periode, avtal med lederen din hvordan du får igjen tiden.",
        ),
        "creep" => (
            "Flere uker over planen",
            "Når timene ligger over planen uke etter uke, er det ofte et tegn på at arbeidsmengden er for stor – ikke på at du jobber for lite effektivt.",
            "Ta en prat med lederen din om arbeidsmengden og hva som kan vente. Husk å avspasere plusstimene når du kan.",
        ),
        "home_office" => (
            "Hjemmekontor utenfor avtalen",
            "Hjemmekontor bygger på en skriftlig avtale med grenser for andel og varighet, og dagene på arbeidsplassen holder kontakten med kollegene ved like.",
            "Se over hjemmekontoravtalen din. Er den utløpt, eller jobber du mer hjemme enn avtalt, ta det opp med lederen din for å fornye eller justere den.",
        ),
        "core_hours" => (
            "Utenfor kjernetiden",
            "Kjernetiden er den delen av dagen kollegene kan regne med å nå deg, også på hjemmekontordager.",
            "Legg arbeidsdagen slik at den dekker kjernetiden. Passer ikke det en periode, avtal et unntak med lederen din.",
        ),
        "absence_work" => (
            "Arbeid under sykefravær eller ferie",
            "Sykefravær og ferie er til for å bli frisk og hvile. Arbeid i fraværet kan forsinke bedringen og kan få betydning for sykepenger og feriedager.",
            "Er registreringen en feil, kan du rette den. Jobbet du faktisk, snakk med lederen din om hvordan oppgavene kan dekkes mens du er borte.",
        ),
        "record" => (
            "Timelisten mangler noe",
            "Loven krever en korrekt oversikt over arbeidstiden din. Den beskytter også deg, for eksempel når overtid skal betales.",
            "Se over timelisten din og legg inn det som mangler med en rettelse, for eksempel et glemt utstempel.",
        ),
        "overtime_near" => (
            "Nær overtidsgrensen",
            "Loven setter grenser for hvor mye overtid som kan arbeides over 7 dager, 4 uker og 52 uker. Det er lettere å justere nå enn når grensen er nådd.",
            "Planlegg de neste dagene slik at du holder deg innenfor grensen, og snakk med lederen din hvis oppgavene krever mer overtid.",
        ),
        "overtime_limit" => (
            "Over overtidsgrensen",
            "Overtidsgrensene skal beskytte helsen din, og arbeidsgiveren har plikt til å sørge for at de overholdes.",
            "Unngå mer overtid til du er innenfor grensen igjen, og finn en løsning sammen med lederen din.",
        ),
        "working_time_limit" => (
            "Over grensen for arbeidstid",
            "Loven setter tak på hvor mange timer som kan arbeides per døgn og per uke, også i gjennomsnitt, for å hindre overbelastning.",
            "Hold de neste dagene kortere, så du kommer under grensen igjen, og snakk med lederen din om hvordan arbeidet kan fordeles.",
        ),
        "rest" => (
            "For kort hvile",
            "Loven krever sammenhengende hvile både mellom to arbeidsdager og hver uke. Det er hvilen som gjør at du holder over tid.",
            "Sørg for å få full hvile før du begynner igjen, også om det betyr at du starter senere neste dag.",
        ),
        "breaks" => (
            "Arbeid uten pause",
            "På lange arbeidsdager har du rett på pause. Avbrekk gir bedre konsentrasjon og færre feil.",
            "Ta pausen din og registrer den. Tok du pause, men glemte å registrere den, kan du rette det i timelisten.",
        ),
        "sunday_holiday" => (
            "Arbeid på søn- eller helligdag",
            "Søn- og helligdager skal som hovedregel være fri, og arbeid på slike dager gir rett til fri senere.",
            "Var arbeidet avtalt, sørg for å få fritiden du har krav på. Hvis ikke, la oppgavene vente til neste virkedag.",
        ),
        _ => return None,
    })
}

#[allow(clippy::too_many_lines)] // One arm per category reads best as a table.
fn en(category: &str) -> Option<Texts> {
    Some(match category {
        "evening" => (
            "Working in the evening",
            "Evening work eats into rest and time off, and it tends to grow without anyone noticing.",
            "If the evenings were needed, that is fine – make sure you get the time off back. If not, try to finish within normal hours, and talk to your manager if the workload makes that hard.",
        ),
        "night" => (
            "Working at night",
            "Night work disturbs sleep and recovery, and the law only allows it when the nature of the work requires it.",
            "Try to move the work to daytime. If working at night was necessary, make sure you rest well afterwards and raise it with your manager.",
        ),
        "weekend" => (
            "Working at the weekend",
            "The weekend is the longest stretch of rest in the week. When work creeps in, there is less time to recover.",
            "If the weekend work was agreed, there is nothing to do. If not, see whether the tasks can wait until Monday, and talk to your manager if it happens often.",
        ),
        "long_day" => (
            "Long working days",
            "Long days leave less rest before the next working day, and concentration drops as the day goes on.",
            "Try to finish at your usual time. If long days are needed for a while, agree with your manager how you get the time back.",
        ),
        "creep" => (
            "Several weeks above schedule",
            "Hours above schedule week after week are usually a sign that the workload is too big – not that you are working too slowly.",
            "Have a chat with your manager about the workload and what can wait. Remember to take the extra hours back as time off when you can.",
        ),
        "home_office" => (
            "Home office outside the agreement",
            "Home office rests on a written agreement with limits on share and duration, and days at the workplace keep you in touch with colleagues.",
            "Check your home-office agreement. If it has expired, or you work from home more than agreed, talk to your manager about renewing or adjusting it.",
        ),
        "core_hours" => (
            "Outside core hours",
            "Core hours are the part of the day when colleagues can count on reaching you, on home-office days too.",
            "Plan your day so that it covers core hours. If that does not fit for a while, agree an exception with your manager.",
        ),
        "absence_work" => (
            "Working during sick leave or vacation",
            "Sick leave and vacation are there to get well and to rest. Working while away can slow recovery and may affect sick pay and vacation days.",
            "If the registration is a mistake, you can correct it. If you really did work, talk to your manager about how your tasks can be covered while you are away.",
        ),
        "record" => (
            "Your timesheet is missing something",
            "The law requires an accurate record of your working time. It protects you too, for example when overtime is paid.",
            "Look through your timesheet and add what is missing with a correction, such as a forgotten clock-out.",
        ),
        "overtime_near" => (
            "Close to the overtime limit",
            "The law limits how much overtime can be worked over 7 days, 4 weeks and 52 weeks. It is easier to adjust now than once the limit is reached.",
            "Plan the next few days so that you stay within the limit, and talk to your manager if the work calls for more overtime.",
        ),
        "overtime_limit" => (
            "Over the overtime limit",
            "The overtime limits are there to protect your health, and your employer is obliged to make sure they are kept.",
            "Avoid more overtime until you are back within the limit, and find a solution together with your manager.",
        ),
        "working_time_limit" => (
            "Over the working-time limit",
            "The law caps the hours that can be worked per day and per week, on average too, to prevent overload.",
            "Keep the next few days shorter so that you get back under the limit, and talk to your manager about how the work can be shared out.",
        ),
        "rest" => (
            "Too little rest",
            "The law requires unbroken rest both between two working days and every week. Rest is what keeps you going in the long run.",
            "Make sure you get your full rest before you start again, even if that means starting later the next day.",
        ),
        "breaks" => (
            "Working without a break",
            "On long working days you are entitled to a break. Stepping away helps concentration and prevents mistakes.",
            "Take your break and register it. If you took a break but forgot to register it, you can correct your timesheet.",
        ),
        "sunday_holiday" => (
            "Working on a Sunday or public holiday",
            "Sundays and public holidays are meant to be days off, and working on them earns time off later.",
            "If the work was agreed, make sure you get the time off you are owed. If not, let the tasks wait until the next working day.",
        ),
        _ => return None,
    })
}

/// A finding's citation as a reader should see it: the law in words, in
/// the reader's language, and never an internal rule id. The engine's
/// citations name their rule for the record (`Tidsvakt policy
/// pol.evening`, `arbeidsmiljøloven § 10-7; Tidsvakt policy
/// pol.missing_clock_out`); an email keeps the law and says plainly when
/// something is Tidsvakt's own advice rather than the law.
#[must_use]
pub fn citation(raw: &str, locale: Locale) -> String {
    let laws: Vec<String> = raw
        .split(';')
        .map(str::trim)
        .filter(|p| !p.is_empty() && !p.starts_with("Tidsvakt policy") && !p.contains("agreement"))
        .map(|p| law(p, locale))
        .filter(|p| !p.is_empty())
        .collect();
    if laws.is_empty() {
        return match locale {
            Locale::Nb => "Tidsvakts egne retningslinjer (ikke et lovkrav)",
            Locale::En => "Tidsvakt’s own guidelines (not a legal requirement)",
        }
        .to_string();
    }
    laws.join("; ")
}

/// Several citations of one email item as one line: sections of the same
/// act share its name ("arbeidsmiljøloven §§ 10-9 og 10-8 (1)"), and each
/// source is named once.
#[must_use]
pub fn join_citations(citations: &[String], locale: Locale) -> String {
    let mut acts: Vec<(String, Vec<String>)> = Vec::new();
    let mut others: Vec<String> = Vec::new();
    for c in citations {
        for part in c.split("; ") {
            if let Some((act, section)) = part.split_once(" § ") {
                match acts.iter_mut().find(|(a, _)| a == act) {
                    Some((_, sections)) if !sections.iter().any(|s| s == section) => {
                        sections.push(section.to_string());
                    }
                    Some(_) => {}
                    None => acts.push((act.to_string(), vec![section.to_string()])),
                }
            } else if !others.iter().any(|o| o == part) {
                others.push(part.to_string());
            }
        }
    }
    let and = match locale {
        Locale::Nb => " og ",
        Locale::En => " and ",
    };
    let mut out: Vec<String> = acts
        .into_iter()
        .map(|(act, sections)| match sections.as_slice() {
            [one] => format!("{act} § {one}"),
            [init @ .., last] => format!("{act} §§ {}{and}{last}", init.join(", ")),
            [] => act,
        })
        .collect();
    out.extend(others);
    out.join("; ")
}

/// One legal source in the reader's language.
fn law(part: &str, locale: Locale) -> String {
    // "(record of hours worked)" and the like explain the rule in English
    // only; the headline already says it in the reader's words.
    let (head, note) = match part.split_once(" (") {
        Some((h, n)) if n.ends_with(')') => (h.trim(), Some(n.trim_end_matches(')'))),
        _ => (part, None),
    };
    let paragraph_note = note.filter(|n| n.chars().all(|c| c.is_ascii_digit()));
    let head = match paragraph_note {
        Some(n) => format!("{head} ({n})"),
        None => head.to_string(),
    };
    let cjeu = note.is_some_and(|n| n.contains("C-55/18"));
    let words = if let Some(rest) = head.strip_prefix("arbeidsmiljøloven") {
        match locale {
            Locale::Nb => format!("arbeidsmiljøloven{rest}"),
            Locale::En => format!("Working Environment Act{rest}"),
        }
    } else if let Some(rest) = head.strip_prefix("Directive 2003/88/EC") {
        let rest = rest.replace("Art.", "art.");
        match locale {
            Locale::Nb => format!("arbeidstidsdirektivet (2003/88/EF){rest}"),
            Locale::En => format!(
                "Working Time Directive 2003/88/EC{}",
                rest.replace("art.", "Art.")
            ),
        }
    } else if let Some(rest) = head.strip_prefix("ArbZG") {
        match locale {
            Locale::Nb => format!("den tyske arbeidstidsloven (ArbZG){rest}"),
            Locale::En => format!("German Working Hours Act (ArbZG){rest}"),
        }
    } else {
        head
    };
    let words = without_rule_ids(&words);
    if cjeu {
        match locale {
            Locale::Nb => format!("{words} og EU-domstolens dom C-55/18"),
            Locale::En => format!("{words} and the CJEU ruling C-55/18"),
        }
    } else {
        words
    }
}

/// True for an internal rule id such as `no.daily_rest` or `pol.evening`.
#[must_use]
pub fn is_rule_id(word: &str) -> bool {
    let word = word.trim_matches(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'));
    let word = word.trim_end_matches('.');
    match word.split_once('.') {
        Some((pack, rule)) => {
            ["pol", "no", "eu", "de"].contains(&pack)
                && !rule.is_empty()
                && rule
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                && rule.chars().any(|c| c.is_ascii_lowercase())
        }
        None => false,
    }
}

/// `s` without words that are internal rule ids.
#[must_use]
pub fn without_rule_ids(s: &str) -> String {
    s.split(' ')
        .filter(|w| !is_rule_id(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A finding's explanation as a sentence: a capital first letter and a
/// full stop (the engine writes fragments such as "arbeid uten pause fra
/// …; pause kreves etter 5 t 30 min"), without rule ids.
#[must_use]
pub fn sentence(s: &str) -> String {
    let s = without_rule_ids(s.trim());
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let mut out: String = first.to_uppercase().chain(chars).collect();
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The categories of design.md, copied here on purpose: a category added
    /// there without texts fails this test rather than an email.
    const DESIGN_CATEGORIES: &[&str] = &[
        "evening",
        "night",
        "weekend",
        "long_day",
        "creep",
        "home_office",
        "core_hours",
        "absence_work",
        "record",
        "overtime_near",
        "overtime_limit",
        "working_time_limit",
        "rest",
        "breaks",
        "sunday_holiday",
    ];

    #[test]
    fn every_category_has_copy_in_both_locales() {
        for category in DESIGN_CATEGORIES {
            for locale in [Locale::Nb, Locale::En] {
                let c = copy(category, locale)
                    .unwrap_or_else(|| panic!("no {} copy for {category}", locale.as_str()));
                for text in [c.headline, c.why, c.what_to_do] {
                    assert!(!text.trim().is_empty(), "{category}/{}", locale.as_str());
                    assert!(!text.contains('\n'), "{category}: one line each");
                }
            }
        }
        assert_eq!(COPY_CATEGORIES, DESIGN_CATEGORIES);
    }

    #[test]
    fn the_two_languages_differ() {
        for category in COPY_CATEGORIES {
            assert_ne!(copy(category, Locale::Nb), copy(category, Locale::En));
        }
    }

    #[test]
    fn an_unknown_category_has_no_copy() {
        assert_eq!(copy("lunch", Locale::Nb), None);
        assert_eq!(copy("", Locale::En), None);
    }

    #[test]
    fn citations_say_the_law_in_words_and_never_a_rule_id() {
        let nb = |c| citation(c, Locale::Nb);
        let en = |c| citation(c, Locale::En);
        assert_eq!(
            nb("arbeidsmiljøloven § 10-8 (1)"),
            "arbeidsmiljøloven § 10-8 (1)"
        );
        assert_eq!(
            en("arbeidsmiljøloven § 10-8 (1)"),
            "Working Environment Act § 10-8 (1)"
        );
        assert_eq!(
            nb("arbeidsmiljøloven § 10-7; Tidsvakt policy pol.missing_clock_out"),
            "arbeidsmiljøloven § 10-7"
        );
        assert_eq!(
            nb("arbeidsmiljøloven § 10-7 (record of hours worked)"),
            "arbeidsmiljøloven § 10-7"
        );
        assert_eq!(
            nb("Tidsvakt policy pol.evening"),
            "Tidsvakts egne retningslinjer (ikke et lovkrav)"
        );
        assert_eq!(
            en("Directive 2003/88/EC Art. 3"),
            "Working Time Directive 2003/88/EC Art. 3"
        );
        assert_eq!(
            nb("Directive 2003/88/EC Art. 3"),
            "arbeidstidsdirektivet (2003/88/EF) art. 3"
        );
        assert_eq!(
            nb("Directive 2003/88/EC (C-55/18, record of daily working time)"),
            "arbeidstidsdirektivet (2003/88/EF) og EU-domstolens dom C-55/18"
        );
        assert_eq!(
            en("ArbZG § 5 (1)"),
            "German Working Hours Act (ArbZG) § 5 (1)"
        );
        // Every citation the engine can write, in both languages.
        for spec in crate::domain::rules::catalog::RULES.iter() {
            for locale in [Locale::Nb, Locale::En] {
                let words = citation(spec.citation, locale);
                assert!(!words.is_empty());
                assert!(
                    !words.split(' ').any(is_rule_id)
                        && !words.contains("pol.")
                        && !words.contains("policy"),
                    "{} → {words}",
                    spec.citation
                );
            }
        }
    }

    #[test]
    fn sections_of_one_act_share_its_name() {
        let c = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
        assert_eq!(
            join_citations(
                &c(&[
                    "arbeidsmiljøloven § 10-9",
                    "arbeidsmiljøloven § 10-8 (1)",
                    "Tidsvakts egne retningslinjer (ikke et lovkrav)",
                    "arbeidsmiljøloven § 10-9",
                ]),
                Locale::Nb
            ),
            "arbeidsmiljøloven §§ 10-9 og 10-8 (1); Tidsvakts egne retningslinjer (ikke et lovkrav)"
        );
        assert_eq!(
            join_citations(
                &c(&[
                    "Working Environment Act § 10-6 (4)",
                    "Working Environment Act § 10-8 (1)",
                    "Working Environment Act § 10-9"
                ]),
                Locale::En
            ),
            "Working Environment Act §§ 10-6 (4), 10-8 (1) and 10-9"
        );
        assert_eq!(join_citations(&c(&["ArbZG § 3"]), Locale::En), "ArbZG § 3");
    }

    #[test]
    fn explanations_become_sentences() {
        assert_eq!(
            sentence(
                "arbeid uten pause fra tor. 19. nov. 2026 08:00; pause kreves etter 5 t 30 min"
            ),
            "Arbeid uten pause fra tor. 19. nov. 2026 08:00; pause kreves etter 5 t 30 min."
        );
        assert_eq!(sentence("Done."), "Done.");
        assert_eq!(
            sentence("øvre grense nådd (pol.evening)"),
            "Øvre grense nådd."
        );
        assert!(
            is_rule_id("no.daily_rest") && is_rule_id("(pol.evening)") && is_rule_id("eu.avg_48h")
        );
        assert!(!is_rule_id("tor.") && !is_rule_id("10.11.2026") && !is_rule_id("nov."));
    }
}
