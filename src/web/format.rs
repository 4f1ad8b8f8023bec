//! Numbers, times and enums in words for pages. The words for durations,
//! dates and instants are the engine's (`domain::engine::text`), so a page
//! and a finding say "7 t 30 min" the same way.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::domain::employee::Locale;
use crate::domain::engine::text;
use crate::grpc::convert;
use crate::pb;

use super::i18n::word;

pub fn duration(locale: Locale, d: Duration) -> String {
    text::duration(locale, d)
}

pub fn minutes(locale: Locale, m: i64) -> String {
    text::duration(locale, Duration::minutes(m))
}

/// "+1 t 30 min" / "−45 min" / "0 min".
pub fn signed_minutes(locale: Locale, m: i64) -> String {
    if m > 0 {
        format!("+{}", minutes(locale, m))
    } else {
        minutes(locale, m)
    }
}

pub fn instant(locale: Locale, tz: Tz, t: DateTime<Utc>) -> String {
    text::instant(locale, tz, t)
}

pub fn date(locale: Locale, d: NaiveDate) -> String {
    text::date(locale, d)
}

/// "08:15" in the zone.
pub fn clock(tz: Tz, t: DateTime<Utc>) -> String {
    text::clock(tz, t)
}

/// An optional protobuf instant.
pub fn ts(t: Option<&prost_types::Timestamp>) -> Option<DateTime<Utc>> {
    t.and_then(|t| convert::instant("t", Some(t)).ok())
}

pub fn location(locale: Locale, l: i32) -> &'static str {
    match pb::Location::try_from(l).unwrap_or(pb::Location::Unspecified) {
        pb::Location::Office => word(locale, "loc_office"),
        pb::Location::Home => word(locale, "loc_home"),
        pb::Location::Remote => word(locale, "loc_remote"),
        pb::Location::Travel => word(locale, "loc_travel"),
        pb::Location::Unspecified => "",
    }
}

pub fn event_kind(locale: Locale, k: i32) -> &'static str {
    match pb::EventKind::try_from(k).unwrap_or(pb::EventKind::Unspecified) {
        pb::EventKind::ClockIn => word(locale, "kind_in"),
        pb::EventKind::ClockOut => word(locale, "kind_out"),
        pb::EventKind::BreakStart => word(locale, "kind_break_start"),
        pb::EventKind::BreakEnd => word(locale, "kind_break_end"),
        pb::EventKind::Unspecified => "",
    }
}

/// `(word, css class)` of a severity.
pub fn severity(locale: Locale, s: i32) -> (&'static str, &'static str) {
    match pb::Severity::try_from(s).unwrap_or(pb::Severity::Unspecified) {
        pb::Severity::Violation => (word(locale, "sev_violation"), "violation"),
        pb::Severity::Warning => (word(locale, "sev_warning"), "warning"),
        _ => (word(locale, "sev_pattern"), "pattern"),
    }
}

pub fn absence(locale: Locale, k: i32) -> &'static str {
    match pb::AbsenceKind::try_from(k).unwrap_or(pb::AbsenceKind::Unspecified) {
        pb::AbsenceKind::Sick => word(locale, "abs_sick"),
        pb::AbsenceKind::Vacation => word(locale, "abs_vacation"),
        pb::AbsenceKind::Leave => word(locale, "abs_leave"),
        pb::AbsenceKind::TimeOffInLieu => word(locale, "abs_toil"),
        pb::AbsenceKind::Unspecified => word(locale, "absence"),
    }
}

/// The event kinds' names in the pages' forms.
pub fn parse_kind(s: &str) -> Option<pb::EventKind> {
    match s {
        "in" => Some(pb::EventKind::ClockIn),
        "out" => Some(pb::EventKind::ClockOut),
        "break_start" => Some(pb::EventKind::BreakStart),
        "break_end" => Some(pb::EventKind::BreakEnd),
        _ => None,
    }
}

/// The locations' names in the pages' forms; none chosen is the office.
pub fn parse_location(s: &str) -> Option<pb::Location> {
    match s {
        "office" | "" => Some(pb::Location::Office),
        "home" => Some(pb::Location::Home),
        "remote" => Some(pb::Location::Remote),
        "travel" => Some(pb::Location::Travel),
        _ => None,
    }
}

/// "Firefox on Android": enough to tell sessions apart, from the
/// browser's own description.
pub fn browser(user_agent: &str) -> String {
    let ua = user_agent;
    let name = [
        ("Edg/", "Edge"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    .iter()
    .find(|(k, _)| ua.contains(k))
    .map_or("?", |(_, n)| n);
    let os = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS", "macOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(k, _)| ua.contains(k))
    .map_or("", |(_, n)| n);
    if os.is_empty() {
        name.to_owned()
    } else {
        format!("{name} · {os}")
    }
}

/// "Kari Nordmann (EMPLOYEE)" with the role in the reader's language.
pub fn author(locale: Locale, author: &str) -> String {
    let roles = [
        ("(EMPLOYEE)", "(ansatt)", "(employee)"),
        ("(MANAGER)", "(leder)", "(manager)"),
        ("(ADMIN)", "(administrator)", "(administrator)"),
        ("(CLOCK)", "(stemplingsur)", "(time clock)"),
        ("(PAYROLL)", "(lønn)", "(payroll)"),
        ("(SAFETY_REP)", "(verneombud)", "(safety representative)"),
        ("(INSPECTOR)", "(Arbeidstilsynet)", "(labour inspector)"),
    ];
    for (raw, nb, en) in roles {
        if let Some(name) = author.strip_suffix(raw) {
            return format!("{name}{}", if locale == Locale::Nb { nb } else { en });
        }
    }
    author.to_owned()
}

/// Where an event came from: the device as sent, or ours in words.
pub fn source(locale: Locale, device: &str) -> String {
    match (device, locale) {
        ("web", Locale::Nb) => "nettleser".into(),
        ("web", Locale::En) => "browser".into(),
        ("correction", Locale::Nb) => "rettelse".into(),
        ("correction", Locale::En) => "correction".into(),
        _ => device.to_owned(),
    }
}

/// How a limit's bar is coloured: reached, past its warning, or fine.
pub fn limit_tone(h: &pb::LimitHeadroom) -> &'static str {
    if h.remaining_minutes <= 0 {
        "violation"
    } else if h.warning_minutes > 0 && h.used_minutes >= h.warning_minutes {
        "warning"
    } else {
        "ok"
    }
}

/// "2 t 10 min igjen" / "2 h 10 min left".
pub fn left(locale: Locale, remaining_minutes: i64) -> String {
    let m = minutes(locale, remaining_minutes.max(0));
    match locale {
        Locale::Nb => format!("{m} igjen"),
        Locale::En => format!("{m} left"),
    }
}

/// The percentage a bar is filled, 0..=100.
pub fn percent(used: i64, limit: i64) -> i64 {
    if limit <= 0 {
        return 100;
    }
    (used.max(0) * 100 / limit).clamp(0, 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_are_named_by_their_engine_and_system() {
        assert_eq!(
            browser(
                "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"
            ),
            "Chrome · Android"
        );
        assert_eq!(browser(""), "?");
    }

    #[test]
    fn bars_stay_within_their_box() {
        assert_eq!(percent(30, 60), 50);
        assert_eq!(percent(90, 60), 100);
        assert_eq!(percent(-5, 60), 0);
        assert_eq!(percent(1, 0), 100);
    }
}
