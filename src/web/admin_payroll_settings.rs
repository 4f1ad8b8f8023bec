//! The HR console's payroll settings page (ADMIN): how periods are cut,
//! the overtime supplement by weekly overtime, the night and
//! Sunday/holiday supplements, and the pay code (lønnsart) of every line
//! the settings can produce. Thin: the form becomes the domain's
//! `PayrollSettings`, which `AdminService.SetPayrollSettings`' use case
//! checks and stores (and audits); the rules live in
//! `domain::payroll::settings` only. Its refusals are put beside the field
//! they name, in the person's language ([`problem_text`]).

use std::collections::BTreeMap;

use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::admin_form::{FieldErrors, msg, require_admin};
use super::error::WebError;
use super::i18n::word;
use super::session::Person;
use super::{WebState, see_other, view};
use crate::domain::employee::Locale;
use crate::domain::payroll::lines::{Category, LineKey};
use crate::domain::payroll::period::PeriodKind;
use crate::domain::payroll::settings::{LEGAL_MIN_RATE, PayrollSettings, Tier, check_code};
use crate::domain::policy::AbsenceKind;
use crate::grpc::error::ApiError;
use crate::grpc::payroll_convert::{settings_in, settings_pb};
use crate::grpc::payroll_service;
use crate::pb;

/// Tier rows the form offers beyond the stored ones, for adding.
const SPARE_TIERS: usize = 2;

/// A line key in words, as the pay-code table labels it.
fn key_label(l: Locale, key: LineKey) -> String {
    let nb = l == Locale::Nb;
    let pick = |n: &str, e: &str| if nb { n.to_owned() } else { e.to_owned() };
    match (key.category, key.absence) {
        (Category::Overtime, _) => format!("{} {} %", pick("Overtid", "Overtime"), key.rate),
        (Category::Absence, Some(AbsenceKind::Sick)) => pick("Sykefravær", "Sick leave"),
        (Category::Absence, Some(AbsenceKind::Vacation)) => pick("Ferie", "Vacation"),
        (Category::Absence, Some(_)) => pick("Permisjon", "Leave"),
        (Category::Scheduled, _) => pick("Planlagt tid", "Scheduled time"),
        (Category::Worked, _) => pick("Arbeidet tid", "Time worked"),
        (Category::Normal, _) => pick("Normal arbeidstid", "Normal hours"),
        (Category::Night, _) => pick("Nattarbeid", "Night work"),
        (Category::SundayHoliday, _) => pick("Søn- og helligdagsarbeid", "Sunday/holiday work"),
        (Category::FlexMovement, _) => pick("Endring i fleksitid", "Flexitime movement"),
        (Category::TimeOffInLieu, _) => pick("Avspasering", "Time off in lieu"),
        (Category::OpenFindings, _) => pick("Åpne avvik (antall)", "Open findings (count)"),
        (Category::Absence, None) => key.category.name().to_owned(),
    }
}

/// The form field of a key's pay code, e.g. `code_OVERTIME_50`.
fn code_field(key: LineKey) -> String {
    format!("code_{}", key.default_code())
}

/// Hours with a decimal comma, as the form shows a tier's threshold;
/// "H:MM" when the minutes are no short decimal (7 min is 0,1166… h).
fn hours_text(minutes: i64) -> String {
    let (h, m) = (minutes / 60, minutes % 60);
    if m == 0 {
        h.to_string()
    } else if (m * 100) % 60 == 0 {
        let hundredths = format!("{:02}", m * 100 / 60);
        format!("{h},{}", hundredths.trim_end_matches('0'))
    } else {
        format!("{h}:{m:02}")
    }
}

/// Hours as typed ("10", "7,5", "7.25" or "7:30") in whole minutes; `None`
/// for anything else, and for a fraction that is no whole minute (7,33 h).
fn parse_hours(s: &str) -> Option<i64> {
    let s = s.trim();
    let digits = |t: &str| !t.is_empty() && t.len() <= 6 && t.bytes().all(|b| b.is_ascii_digit());
    if let Some((h, m)) = s.split_once(':') {
        let (h, m) = (h.parse::<i64>().ok()?, m.parse::<i64>().ok()?);
        return (digits(s.split_once(':')?.0) && (0..60).contains(&m)).then_some(h * 60 + m);
    }
    let (whole, frac) = s.split_once([',', '.']).unwrap_or((s, "0"));
    if !digits(whole) || !digits(frac) {
        return None;
    }
    let scale = 10_i64.pow(u32::try_from(frac.len()).ok()?);
    let frac_minutes = frac.parse::<i64>().ok()? * 60;
    (frac_minutes % scale == 0).then(|| {
        whole
            .parse::<i64>()
            .ok()
            .map(|h| h * 60 + frac_minutes / scale)
    })?
}

#[derive(Debug, Serialize)]
struct TierRow {
    from: String,
    rate: String,
}

#[derive(Debug, Serialize)]
struct CodeRow {
    field: String,
    label: String,
    code: String,
}

#[derive(Debug, Serialize)]
struct SettingsView {
    period_kind: String,
    anchor: String,
    tiers: Vec<TierRow>,
    night_rate: String,
    sunday_rate: String,
    codes: Vec<CodeRow>,
    errors: FieldErrors,
    saved: bool,
    updated: String,
    min_rate: i32,
}

/// The form's rows for `s`, with spare tier rows.
fn view_of(l: Locale, s: &PayrollSettings, codes: &BTreeMap<LineKey, String>) -> SettingsView {
    let (kind, anchor) = match s.kind {
        PeriodKind::Monthly => ("monthly", String::new()),
        PeriodKind::SemiMonthly => ("semi-monthly", String::new()),
        PeriodKind::FourWeekly { anchor } => ("four-weekly", anchor.to_string()),
    };
    let mut tiers: Vec<TierRow> = s
        .tiers
        .iter()
        .map(|t| TierRow {
            from: hours_text(t.after_week_overtime_minutes),
            rate: t.rate.to_string(),
        })
        .collect();
    tiers.extend((0..SPARE_TIERS).map(|_| TierRow {
        from: String::new(),
        rate: String::new(),
    }));
    let rate = |r: i32| if r == 0 { String::new() } else { r.to_string() };
    SettingsView {
        period_kind: kind.to_owned(),
        anchor,
        tiers,
        night_rate: rate(s.night_rate),
        sunday_rate: rate(s.sunday_rate),
        codes: s
            .required_keys()
            .iter()
            .map(|k| CodeRow {
                field: code_field(*k),
                label: key_label(l, *k),
                code: codes.get(k).cloned().unwrap_or_else(|| s.code(k)),
            })
            .collect(),
        errors: FieldErrors::new(),
        saved: false,
        updated: String::new(),
        min_rate: LEGAL_MIN_RATE,
    }
}

/// What the form asks, as typed.
struct Typed<'a>(&'a [(String, String)]);

impl Typed<'_> {
    fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.trim())
    }
}

/// A rate as typed: empty is 0 (none), else whole percent.
fn parse_rate(s: &str) -> Option<i32> {
    if s.is_empty() {
        return Some(0);
    }
    s.trim_end_matches('%').trim().parse().ok()
}

/// The period kind the form asks; a four-weekly anchor that is no date
/// is noted.
fn parse_kind(l: Locale, f: &Typed<'_>, errors: &mut FieldErrors) -> PeriodKind {
    match f.get("period_kind") {
        "semi-monthly" => PeriodKind::SemiMonthly,
        "four-weekly" => {
            if let Ok(anchor) = NaiveDate::parse_from_str(f.get("anchor"), "%Y-%m-%d") {
                PeriodKind::FourWeekly { anchor }
            } else {
                errors.insert(
                    "anchor".into(),
                    msg(
                        l,
                        "Skriv mandagen en periode starter som ÅÅÅÅ-MM-DD, for eksempel 2027-01-04.",
                        "Enter the Monday a period starts as YYYY-MM-DD, for example 2027-01-04.",
                    ),
                );
                PeriodKind::Monthly
            }
        }
        _ => PeriodKind::Monthly,
    }
}

/// The tier rows the form has, in order; empty rows are skipped, an
/// empty threshold is 0 h, and unreadable figures are noted.
fn parse_tiers(l: Locale, f: &Typed<'_>, errors: &mut FieldErrors) -> Vec<Tier> {
    let mut tiers = Vec::new();
    for i in 0.. {
        let (from_field, rate_field) = (format!("tier_from_{i}"), format!("tier_rate_{i}"));
        if !f
            .0
            .iter()
            .any(|(k, _)| *k == from_field || *k == rate_field)
        {
            break;
        }
        let (from, rate) = (f.get(&from_field), f.get(&rate_field));
        if from.is_empty() && rate.is_empty() {
            continue;
        }
        let minutes = parse_hours(if from.is_empty() { "0" } else { from });
        let percent = parse_rate(rate).filter(|_| !rate.is_empty());
        if minutes.is_none() {
            errors.insert(
                from_field,
                msg(
                    l,
                    "Skriv timer, for eksempel 10 eller 7,5.",
                    "Enter hours, for example 10 or 7.5.",
                ),
            );
        }
        if percent.is_none() {
            errors.insert(
                rate_field,
                msg(
                    l,
                    "Skriv tillegget i hele prosent, for eksempel 50.",
                    "Enter the supplement in whole percent, for example 50.",
                ),
            );
        }
        if let (Some(m), Some(r)) = (minutes, percent) {
            tiers.push(Tier {
                after_week_overtime_minutes: m,
                rate: r,
            });
        }
    }
    tiers
}

/// The form as settings, or its problems by field. Pay codes are read for
/// the keys the new settings need: a key the form had no field for (a new
/// rate) gets its default code and a request to check it, so nothing is
/// stored with a code the person never saw.
fn parse_form(l: Locale, f: &Typed<'_>) -> (PayrollSettings, FieldErrors) {
    let mut errors = FieldErrors::new();
    let kind = parse_kind(l, f, &mut errors);
    let tiers = parse_tiers(l, f, &mut errors);
    let mut rate_of = |field: &str| {
        parse_rate(f.get(field)).unwrap_or_else(|| {
            errors.insert(
                field.to_owned(),
                msg(
                    l,
                    "Skriv tillegget i hele prosent, eller la feltet stå tomt for ingen.",
                    "Enter the supplement in whole percent, or leave it empty for none.",
                ),
            );
            0
        })
    };
    let night_rate = rate_of("night_rate");
    let sunday_rate = rate_of("sunday_rate");
    let mut s = PayrollSettings {
        kind,
        tiers,
        night_rate,
        sunday_rate,
        pay_codes: BTreeMap::new(),
    };
    let mut new_codes = FieldErrors::new();
    for key in s.required_keys() {
        let field = code_field(key);
        let asked = f.0.iter().any(|(k, _)| *k == field);
        let code = if asked {
            f.get(&field).to_owned()
        } else {
            new_codes.insert(
                field.clone(),
                msg(
                    l,
                    "Ny sats: kontroller lønnsarten og lagre igjen.",
                    "A new rate: check its pay code and save again.",
                ),
            );
            key.default_code()
        };
        if asked && let Err(e) = check_code(&code) {
            errors.insert(field, problem_text(l, &e.reason));
        }
        s.pay_codes.insert(key, code);
    }
    // The domain's own checks (the rules live there); a refused rate is
    // fixed first, before its pay code is asked for.
    if errors.is_empty() {
        match s.validate() {
            Err(e) => {
                errors.insert(form_field(&e.field), problem_text(l, &e.reason));
            }
            Ok(()) => errors = new_codes,
        }
    }
    (s, errors)
}

/// A settings refusal of the domain (English, with its figures) in the
/// person's language.
fn problem_text(l: Locale, reason: &str) -> String {
    if l == Locale::En {
        return sentence(reason);
    }
    let text = if reason.contains("below the legal minimum") {
        format!(
            "Tillegget må være minst {LEGAL_MIN_RATE} % (arbeidsmiljøloven § 10-6 (11)){}",
            if reason.contains("0 means none") {
                ", eller tomt for ingen"
            } else {
                ""
            }
        )
    } else if reason.contains("above 1000") {
        "Tillegget kan ikke være over 1000 %".to_owned()
    } else if reason.contains("at least one tier") {
        "Legg inn minst én sats, for eksempel 50 % fra 0 timer".to_owned()
    } else if reason.contains("first tier must start at 0") {
        "Den første satsen må gjelde fra 0 timer, så hvert overtidsminutt får en sats".to_owned()
    } else if reason.contains("strictly increase") {
        "Hver sats må starte etter den forrige".to_owned()
    } else if reason.contains("at most 10080") {
        "Kan ikke være mer enn en uke (168 timer)".to_owned()
    } else if reason.contains("must be 1..32") {
        "Lønnsarten må være 1–32 bokstaver, sifre, «-» eller «_»".to_owned()
    } else if reason.contains("cannot change after a lock") {
        "Periodetypen kan ikke endres etter at en periode er låst".to_owned()
    } else if reason.contains("Monday") {
        "Fireukersperioder starter på en mandag".to_owned()
    } else {
        reason.to_owned()
    };
    sentence(&text)
}

fn sentence(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or_else(String::new, |f| {
        format!("{}{}.", f.to_uppercase(), c.as_str().trim_end_matches('.'))
    })
}

/// The form field a use-case error names (`settings.overtime_tiers[1].rate_percent`
/// → `tier_rate_1`).
fn form_field(api_field: &str) -> String {
    let f = api_field.strip_prefix("settings.").unwrap_or(api_field);
    if let Some(rest) = f.strip_prefix("overtime_tiers[") {
        let (i, what) = rest.split_once(']').unwrap_or((rest, ""));
        return if what.contains("after_week") {
            format!("tier_from_{i}")
        } else {
            format!("tier_rate_{i}")
        };
    }
    match f {
        "overtime_tiers" => "tier_rate_0".into(),
        "night_overtime_rate_percent" => "night_rate".into(),
        "sunday_holiday_overtime_rate_percent" => "sunday_rate".into(),
        "four_weekly_anchor" => "anchor".into(),
        "pay_codes" => "codes".into(),
        _ => "period_kind".into(),
    }
}

async fn stored(state: &WebState, person: &Person) -> Result<pb::PayrollSettings, WebError> {
    payroll_service::get_settings(&state.ctx, &person.caller)
        .await
        .map_err(|e| person.fail(e))?
        .settings
        .ok_or_else(|| person.fail(ApiError::Internal("no settings".into())))
}

fn render(person: &Person, status: StatusCode, v: &SettingsView) -> Response {
    let l = person.locale;
    view::render(
        status,
        "admin_payroll_settings.html.j2",
        l,
        &person.chrome("console"),
        word(l, "pset_title"),
        v,
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct SettingsQuery {
    #[serde(default)]
    saved: String,
}

/// `GET /admin/payroll/settings`.
pub async fn page(
    State(state): State<WebState>,
    person: Person,
    Query(query): Query<SettingsQuery>,
) -> Result<Response, WebError> {
    require_admin(&person)?;
    let l = person.locale;
    let message = stored(&state, &person).await?;
    let settings = settings_in("settings", &message).map_err(|e| person.fail(e))?;
    let mut v = view_of(l, &settings, &settings.pay_codes);
    v.saved = query.saved == "1";
    if let Some(at) = message
        .updated_at
        .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0))
    {
        v.updated = format!(
            "{} {} · {}",
            word(l, "pset_updated"),
            at.format("%Y-%m-%d %H:%M UTC"),
            message.updated_by
        );
    }
    Ok(render(&person, StatusCode::OK, &v))
}

/// `POST /admin/payroll/settings`: stores the settings as a whole, or
/// shows the form again with every problem beside its field.
pub async fn save(
    State(state): State<WebState>,
    person: Person,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let typed = Typed(&pairs);
    person.check_csrf(typed.get("csrf"))?;
    require_admin(&person)?;
    let l = person.locale;
    let (s, mut errors) = parse_form(l, &typed);
    if errors.is_empty() {
        let saved = payroll_service::set_settings(
            &state.ctx,
            &person.caller,
            pb::SetPayrollSettingsRequest {
                settings: Some(settings_pb(&s)),
            },
        )
        .await;
        match saved {
            Ok(_) => return Ok(see_other("/admin/payroll/settings?saved=1")),
            Err(
                ApiError::Invalid { field, reason }
                | ApiError::FailedPrecondition { field, reason },
            ) => {
                errors.insert(form_field(&field), problem_text(l, &reason));
            }
            Err(other) => return Err(person.fail(other)),
        }
    }
    let mut v = view_of(l, &s, &s.pay_codes);
    // The rows as typed, so a mistake is fixed where it was made.
    v.tiers = (0..)
        .map_while(|i| {
            let (from, rate) = (format!("tier_from_{i}"), format!("tier_rate_{i}"));
            pairs
                .iter()
                .any(|(k, _)| *k == from || *k == rate)
                .then(|| TierRow {
                    from: typed.get(&from).to_owned(),
                    rate: typed.get(&rate).to_owned(),
                })
        })
        .collect();
    typed.get("night_rate").clone_into(&mut v.night_rate);
    typed.get("sunday_rate").clone_into(&mut v.sunday_rate);
    typed.get("anchor").clone_into(&mut v.anchor);
    v.errors = errors;
    Ok(render(&person, StatusCode::UNPROCESSABLE_ENTITY, &v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn defaults_form() -> Vec<(String, String)> {
        let s = PayrollSettings::default();
        let mut p = typed(&[
            ("period_kind", "monthly"),
            ("tier_from_0", "0"),
            ("tier_rate_0", "50"),
            ("tier_from_1", ""),
            ("tier_rate_1", ""),
            ("night_rate", ""),
            ("sunday_rate", ""),
        ]);
        for k in s.required_keys() {
            p.push((code_field(k), k.default_code()));
        }
        p
    }

    #[test]
    fn hours_are_read_in_whole_minutes() {
        assert_eq!(parse_hours("10"), Some(600));
        assert_eq!(parse_hours("7,5"), Some(450));
        assert_eq!(parse_hours("7.25"), Some(435));
        assert_eq!(parse_hours("7:30"), Some(450));
        assert_eq!(parse_hours("7,33"), None, "not a whole minute");
        assert_eq!(parse_hours("-1"), None);
        assert_eq!(parse_hours("ti"), None);
        assert_eq!(hours_text(450), "7,5");
        assert_eq!(hours_text(600), "10");
        assert_eq!(hours_text(435), "7,25");
        assert_eq!(hours_text(427), "7:07");
        assert_eq!(parse_hours("7:07"), Some(427));
        assert_eq!(parse_hours("7,"), None);
        assert_eq!(parse_hours(""), None);
    }

    #[test]
    fn the_defaults_round_trip_through_the_form() {
        let p = defaults_form();
        let (s, errors) = parse_form(Locale::Nb, &Typed(&p));
        assert_eq!(errors, FieldErrors::new());
        assert_eq!(s, PayrollSettings::default());
    }

    #[test]
    fn a_new_rate_asks_for_its_pay_code_before_anything_is_stored() {
        let mut p = defaults_form();
        p.iter_mut().find(|(k, _)| k == "tier_from_1").unwrap().1 = "10".into();
        p.iter_mut().find(|(k, _)| k == "tier_rate_1").unwrap().1 = "100".into();
        let (s, errors) = parse_form(Locale::Nb, &Typed(&p));
        assert_eq!(
            errors.get("code_OVERTIME_100").map(String::as_str),
            Some("Ny sats: kontroller lønnsarten og lagre igjen.")
        );
        assert_eq!(s.code(&LineKey::overtime(100)), "OVERTIME_100");
        // The second time the field is there: the settings are whole.
        p.push(("code_OVERTIME_100".into(), "1120".into()));
        let (s, errors) = parse_form(Locale::Nb, &Typed(&p));
        assert_eq!(errors, FieldErrors::new());
        assert_eq!(s.tiers.len(), 2);
        assert_eq!(s.tiers[1].after_week_overtime_minutes, 600);
        s.validate().unwrap();
    }

    #[test]
    fn each_problem_lands_beside_its_field_in_the_persons_language() {
        let mut p = defaults_form();
        p.iter_mut().find(|(k, _)| k == "tier_rate_0").unwrap().1 = "30".into();
        p.iter_mut().find(|(k, _)| k == "code_NORMAL").unwrap().1 = "normal tid".into();
        let (s, errors) = parse_form(Locale::Nb, &Typed(&p));
        assert_eq!(
            errors.get("code_NORMAL").map(String::as_str),
            Some("Lønnsarten må være 1–32 bokstaver, sifre, «-» eller «_».")
        );
        // The code fixed, the rate is refused by the domain's check, and
        // its new rate's pay code is not asked for yet.
        p.iter_mut().find(|(k, _)| k == "code_NORMAL").unwrap().1 = "1000".into();
        let (_, errors) = parse_form(Locale::Nb, &Typed(&p));
        assert_eq!(
            errors.into_iter().collect::<Vec<_>>(),
            [(
                "tier_rate_0".to_owned(),
                "Tillegget må være minst 40 % (arbeidsmiljøloven § 10-6 (11)).".to_owned()
            )]
        );
        let e = s.validate().unwrap_err();
        assert_eq!(form_field(&e.field), "tier_rate_0");
        assert_eq!(
            problem_text(Locale::Nb, &e.reason),
            "Tillegget må være minst 40 % (arbeidsmiljøloven § 10-6 (11))."
        );
        assert_eq!(
            problem_text(Locale::En, &e.reason),
            "30 % is below the legal minimum of 40 % (arbeidsmiljøloven § 10-6 (11))."
        );
    }

    #[test]
    fn fields_of_the_use_case_map_to_the_form() {
        assert_eq!(
            form_field("settings.overtime_tiers[1].after_week_overtime_minutes"),
            "tier_from_1"
        );
        assert_eq!(
            form_field("settings.overtime_tiers[2].rate_percent"),
            "tier_rate_2"
        );
        assert_eq!(form_field("settings.period_kind"), "period_kind");
        assert_eq!(
            form_field("settings.sunday_holiday_overtime_rate_percent"),
            "sunday_rate"
        );
    }
}
