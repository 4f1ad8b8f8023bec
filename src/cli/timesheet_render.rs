//! Plain-text rendering of `GetTimesheet` and `GetHeadroom` answers for people
//! at a terminal. Pure functions of the response (no clock, no I/O), so they
//! are tested on hand-built responses.
//!
//! Durations in the proto are whole minutes; they are shown as `H:MM`
//! (`7:30`), flex movement and balances signed (`+0:30`, `-1:15`). Instants
//! are shown in the timesheet's own time zone; a local time that occurs twice
//! (the hour the clocks go back) carries its abbreviation, e.g. `02:30 CEST`.

use std::collections::HashMap;

use chrono::{DateTime, LocalResult, NaiveDate, TimeZone as _, Utc};
use chrono_tz::Tz;
use prost_types::Timestamp;

use crate::pb;

/// Minutes as `H:MM`: 450 → `7:30`, −75 → `-1:15`.
#[must_use]
pub fn hm(minutes: i64) -> String {
    let sign = if minutes < 0 { "-" } else { "" };
    let m = minutes.unsigned_abs();
    format!("{sign}{}:{:02}", m / 60, m % 60)
}

/// Minutes as signed `H:MM`: 30 → `+0:30`, −75 → `-1:15`, 0 → `0:00`.
#[must_use]
pub fn signed_hm(minutes: i64) -> String {
    if minutes > 0 {
        format!("+{}", hm(minutes))
    } else {
        hm(minutes)
    }
}

fn instant(t: Option<&Timestamp>) -> Option<DateTime<Utc>> {
    t.and_then(|t| DateTime::from_timestamp(t.seconds, 0))
}

fn naive_date(d: Option<&pb::LocalDate>) -> Option<NaiveDate> {
    let d = d?;
    NaiveDate::from_ymd_opt(
        d.year,
        u32::try_from(d.month).ok()?,
        u32::try_from(d.day).ok()?,
    )
}

/// `HH:MM` in `tz`, with the zone abbreviation when that wall-clock time
/// occurs twice, and prefixed by the weekday (or the date) when the instant
/// is not on `row`'s local date.
fn clock_time(t: DateTime<Utc>, tz: Tz, row: Option<NaiveDate>) -> String {
    let local = t.with_timezone(&tz);
    let mut s = local.format("%H:%M").to_string();
    if matches!(
        tz.from_local_datetime(&local.naive_local()),
        LocalResult::Ambiguous(..)
    ) {
        s = format!("{s} {}", local.format("%Z"));
    }
    match row {
        Some(row) if local.date_naive() != row => {
            if (local.date_naive() - row).num_days().abs() == 1 {
                format!("{} {s}", local.format("%a"))
            } else {
                format!("{} {s}", local.format("%Y-%m-%d"))
            }
        }
        _ => s,
    }
}

/// `2026-11-23 10:00` in `tz`.
fn date_time(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

fn location_name(l: pb::Location) -> Option<&'static str> {
    match l {
        pb::Location::Home => Some("home"),
        pb::Location::Remote => Some("remote"),
        pb::Location::Travel => Some("travel"),
        pb::Location::Office | pb::Location::Unspecified => None,
    }
}

fn absence_name(k: pb::AbsenceKind) -> &'static str {
    match k {
        pb::AbsenceKind::Sick => "sick",
        pb::AbsenceKind::Vacation => "vacation",
        pb::AbsenceKind::Leave => "leave",
        pb::AbsenceKind::TimeOffInLieu => "time off in lieu",
        pb::AbsenceKind::Unspecified => "absence",
    }
}

fn severity_name(s: pb::Severity) -> &'static str {
    match s {
        pb::Severity::Violation => "VIOLATION",
        pb::Severity::Warning => "WARNING",
        pb::Severity::Pattern => "PATTERN",
        pb::Severity::Unspecified => "?",
    }
}

/// One interval as seen from the day row `row`: `08:00–16:00 (break
/// 11:30–12:00)`, `22:00–Tue 06:00`, `08:00–…  (open)`.
fn interval_text(iv: &pb::WorkInterval, tz: Tz, row: NaiveDate) -> String {
    let time = |t: Option<&Timestamp>| {
        instant(t).map_or_else(|| "?".to_owned(), |t| clock_time(t, tz, Some(row)))
    };
    let start = time(iv.start.as_ref());
    let mut s = if iv.open || iv.end.is_none() {
        format!("{start}–…")
    } else {
        format!("{start}–{}", time(iv.end.as_ref()))
    };
    if !iv.breaks.is_empty() {
        let breaks: Vec<String> = iv
            .breaks
            .iter()
            .map(|b| {
                let end = if b.end.is_some() {
                    time(b.end.as_ref())
                } else {
                    "…".to_owned()
                };
                let paid = if b.paid { " paid" } else { "" };
                format!("{}–{end}{paid}", time(b.start.as_ref()))
            })
            .collect();
        let word = if breaks.len() == 1 { "break" } else { "breaks" };
        s = format!("{s} ({word} {})", breaks.join(", "));
    }
    if iv.open {
        s.push_str("  (open)");
    }
    if let Some(place) = location_name(iv.location()) {
        s = format!("{s} [{place}]");
    }
    if iv.amended {
        s.push_str(" (amended)");
    }
    s
}

/// The lines, each without trailing spaces, each ending in a newline.
fn finish(lines: &[String]) -> String {
    lines.iter().fold(String::new(), |mut s, l| {
        s.push_str(l.trim_end());
        s.push('\n');
        s
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}

/// Date, holiday, intervals, worked, scheduled, overtime, flex, balance,
/// absence, findings.
const DAY_COLUMNS: [Align; 10] = [
    Align::Left,
    Align::Left,
    Align::Left,
    Align::Right,
    Align::Right,
    Align::Right,
    Align::Right,
    Align::Right,
    Align::Left,
    Align::Left,
];

enum Row {
    Cells(Vec<String>),
    /// A line of dashes as wide as the table.
    Rule,
}

/// Aligns cells in columns two spaces apart; widths count characters, not
/// bytes (`–` and `ø` are one column each). Trailing spaces are trimmed.
fn table(align: &[Align], rows: &[Row]) -> Vec<String> {
    let mut widths = vec![0; align.len()];
    for row in rows {
        if let Row::Cells(cells) = row {
            for (w, c) in widths.iter_mut().zip(cells) {
                *w = (*w).max(c.chars().count());
            }
        }
    }
    let total = widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1);
    rows.iter()
        .map(|row| match row {
            Row::Rule => "-".repeat(total),
            Row::Cells(cells) => {
                let parts: Vec<String> = cells
                    .iter()
                    .zip(widths.iter().zip(align))
                    .map(|(c, (&w, &a))| match a {
                        Align::Left => format!("{c:<w$}"),
                        Align::Right => format!("{c:>w$}"),
                    })
                    .collect();
                parts.join("  ").trim_end().to_owned()
            }
        })
        .collect()
}

/// A timesheet as a header, one table row per day (one line per interval),
/// a totals row and line, and the findings with their citations.
#[must_use]
pub fn render_timesheet(r: &pb::GetTimesheetResponse) -> String {
    let (tz, tz_note) = match r.time_zone.parse::<Tz>() {
        Ok(tz) => (tz, String::new()),
        Err(_) => (
            Tz::UTC,
            format!(" (unknown time zone '{}': times shown in UTC)", r.time_zone),
        ),
    };
    let mut out = timesheet_header(r, tz, &tz_note);
    out.push(String::new());

    // Findings are numbered in the response's order; day rows refer to them.
    let number: HashMap<&str, usize> = r
        .findings
        .iter()
        .enumerate()
        .map(|(i, f)| (f.finding_id.as_str(), i + 1))
        .collect();

    let mut rows = vec![
        Row::Cells(
            [
                "Date",
                "Holiday",
                "Intervals",
                "Worked",
                "Sched.",
                "Overtime",
                "Flex",
                "Balance",
                "Absence",
                "Findings",
            ]
            .map(str::to_owned)
            .to_vec(),
        ),
        Row::Rule,
    ];
    for day in &r.days {
        rows.extend(day_rows(day, tz, &number));
    }
    rows.push(Row::Rule);
    let totals = r.totals.clone().unwrap_or_default();
    let absence_total: i64 = totals.absences.iter().map(|a| a.minutes).sum();
    rows.push(Row::Cells(vec![
        "Total".to_owned(),
        String::new(),
        String::new(),
        hm(totals.worked_minutes),
        hm(totals.scheduled_minutes),
        hm(totals.overtime_minutes),
        signed_hm(totals.flex_minutes),
        signed_hm(r.flex_balance_end_minutes),
        if absence_total == 0 {
            String::new()
        } else {
            hm(absence_total)
        },
        String::new(),
    ]));
    out.extend(table(&DAY_COLUMNS, &rows));

    let more = [
        format!("normal {}", hm(totals.normal_minutes)),
        format!("night {}", hm(totals.night_minutes)),
        format!("Sunday/holiday {}", hm(totals.sunday_holiday_minutes)),
        format!("home {}", hm(totals.home_minutes)),
    ];
    out.push(format!("Of the worked time: {}", more.join(", ")));
    if !totals.absences.is_empty() {
        let absences: Vec<String> = totals
            .absences
            .iter()
            .map(|a| format!("{} {}", absence_name(a.kind()), hm(a.minutes)))
            .collect();
        out.push(format!("Absence: {}", absences.join(", ")));
    }
    out.push(String::new());

    if r.findings.is_empty() {
        out.push("No findings.".to_owned());
    } else {
        out.push(format!("Findings ({}):", r.findings.len()));
        out.extend(findings(&r.findings, tz));
    }
    finish(&out)
}

/// Employee, dates, time zone, rule pack, as-of and flex balances.
fn timesheet_header(r: &pb::GetTimesheetResponse, tz: Tz, tz_note: &str) -> Vec<String> {
    let mut out = vec![format!("Timesheet of employee {}", r.employee_id)];
    let first = r.days.first().and_then(|d| naive_date(d.date.as_ref()));
    let last = r.days.last().and_then(|d| naive_date(d.date.as_ref()));
    if let (Some(a), Some(b)) = (first, last) {
        let n = (b - a).num_days() + 1;
        let days = if n == 1 { "day" } else { "days" };
        out.push(format!("Dates:        {a} – {b} ({n} {days})"));
    }
    out.push(format!("Time zone:    {}{tz_note}", r.time_zone));
    out.push(format!(
        "Rule pack:    {} {}",
        r.rule_pack, r.rule_pack_version
    ));
    if let Some(t) = instant(r.as_of.as_ref()) {
        out.push(format!("As of:        {}", date_time(t, tz)));
    }
    out.push(format!(
        "Flex balance: {} at the start, {} at the end",
        signed_hm(r.flex_balance_start_minutes),
        signed_hm(r.flex_balance_end_minutes)
    ));
    out
}

fn day_rows(day: &pb::TimesheetDay, tz: Tz, number: &HashMap<&str, usize>) -> Vec<Row> {
    let date = naive_date(day.date.as_ref());
    let date_cell = date.map_or_else(|| "?".to_owned(), |d| d.format("%a %Y-%m-%d").to_string());
    let intervals: Vec<String> = date.map_or_else(Vec::new, |d| {
        day.intervals
            .iter()
            .map(|iv| interval_text(iv, tz, d))
            .collect()
    });
    let absences: Vec<String> = day
        .absences
        .iter()
        .map(|a| format!("{} {}", absence_name(a.kind()), hm(a.minutes)))
        .collect();
    let mut refs: Vec<usize> = day
        .finding_ids
        .iter()
        .filter_map(|id| number.get(id.as_str()).copied())
        .collect();
    refs.sort_unstable();
    let refs = if refs.is_empty() {
        String::new()
    } else {
        let refs: Vec<String> = refs.iter().map(ToString::to_string).collect();
        format!("[{}]", refs.join(","))
    };
    let overtime = if day.overtime_minutes == 0 {
        String::new()
    } else {
        hm(day.overtime_minutes)
    };
    let mut rows = vec![Row::Cells(vec![
        date_cell,
        day.holiday_name.clone(),
        intervals.first().cloned().unwrap_or_default(),
        hm(day.worked_minutes),
        hm(day.scheduled_minutes),
        overtime,
        signed_hm(day.flex_minutes),
        signed_hm(day.flex_balance_minutes),
        absences.join(", "),
        refs,
    ])];
    for iv in intervals.iter().skip(1) {
        let mut cells = vec![String::new(); 10];
        cells[2].clone_from(iv);
        rows.push(Row::Cells(cells));
    }
    rows
}

fn findings(findings: &[pb::Finding], tz: Tz) -> Vec<String> {
    let rows: Vec<Row> = findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let status = match f.status() {
                pb::FindingStatus::Resolved => "resolved",
                pb::FindingStatus::Open | pb::FindingStatus::Unspecified => "open",
            };
            let at = instant(f.at.as_ref()).map_or_else(String::new, |t| {
                format!("at {}", t.with_timezone(&tz).format("%a %Y-%m-%d %H:%M"))
            });
            Row::Cells(vec![
                format!("[{}]", i + 1),
                severity_name(f.severity()).to_owned(),
                f.rule_id.clone(),
                status.to_owned(),
                at,
            ])
        })
        .collect();
    let heads = table(&[Align::Left; 5], &rows);
    let mut out = Vec::new();
    for (head, f) in heads.into_iter().zip(findings) {
        out.push(head);
        if !f.explanation.is_empty() {
            out.push(format!("    {}", f.explanation));
        }
        if !f.citation.is_empty() {
            out.push(format!("    {}", f.citation));
        }
    }
    out
}

/// `2026-11-23 10:00 UTC`, followed by `(2026-11-23 11:00 Europe/Oslo)` when
/// a time zone is given.
fn utc_and_local(t: DateTime<Utc>, tz: Option<Tz>) -> String {
    let utc = format!("{} UTC", date_time(t, Tz::UTC));
    match tz {
        Some(tz) if tz != Tz::UTC => format!("{utc} ({} {})", date_time(t, tz), tz.name()),
        _ => utc,
    }
}

/// The limits table, each limit followed by its window, the instant it is
/// reached and its citation.
fn limit_lines(r: &pb::GetHeadroomResponse, tz: Option<Tz>) -> Vec<String> {
    let mut out = Vec::new();
    if r.limits.is_empty() {
        if !r.exempt {
            out.push("No limits.".to_owned());
        }
    } else {
        let mut rows = vec![Row::Cells(
            ["Rule", "Used", "Limit", "Left", "Warning at", ""]
                .map(str::to_owned)
                .to_vec(),
        )];
        rows.extend(r.limits.iter().map(|l| {
            Row::Cells(vec![
                l.rule_id.clone(),
                hm(l.used_minutes),
                hm(l.limit_minutes),
                hm(l.remaining_minutes),
                if l.warning_minutes == 0 {
                    "-".to_owned()
                } else {
                    hm(l.warning_minutes)
                },
                if l.remaining_minutes < 0 {
                    "exceeded".to_owned()
                } else if l.warning_minutes > 0 && l.used_minutes >= l.warning_minutes {
                    "warning".to_owned()
                } else {
                    String::new()
                },
            ])
        }));
        let lines = table(
            &[
                Align::Left,
                Align::Right,
                Align::Right,
                Align::Right,
                Align::Right,
                Align::Left,
            ],
            &rows,
        );
        let mut lines = lines.into_iter();
        out.extend(lines.next());
        for (line, l) in lines.zip(&r.limits) {
            out.push(line);
            let zone = tz.unwrap_or(Tz::UTC);
            if let (Some(a), Some(b)) = (
                instant(l.window_start.as_ref()),
                instant(l.window_end.as_ref()),
            ) {
                out.push(format!(
                    "    window {} – {} {}",
                    date_time(a, zone),
                    date_time(b, zone),
                    zone.name()
                ));
            }
            if let Some(t) = instant(l.reached_at.as_ref()) {
                out.push(format!(
                    "    reached at {} if work goes on",
                    utc_and_local(t, tz)
                ));
            }
            if !l.citation.is_empty() {
                out.push(format!("    {}", l.citation));
            }
        }
    }
    out
}

/// Headroom as a header, one row per limit (used, limit, left and warning
/// threshold as `H:MM`) with its window, the instant it is reached and its
/// citation below, then the earliest next start and the latest end.
///
/// The response has no time zone: instants are shown in UTC and, when `tz`
/// is given, also in that zone.
#[must_use]
pub fn render_headroom(r: &pb::GetHeadroomResponse, tz: Option<Tz>) -> String {
    let mut out = vec![format!("Headroom of employee {}", r.employee_id)];
    if let Some(t) = instant(r.at.as_ref()) {
        out.push(format!("At:         {}", utc_and_local(t, tz)));
    }
    out.push(format!(
        "Rule pack:  {} {}",
        r.rule_pack, r.rule_pack_version
    ));
    if r.exempt {
        out.push("Exempt: no working-time limit of the rule pack applies.".to_owned());
    }
    out.push(String::new());

    out.extend(limit_lines(r, tz));
    out.push(String::new());

    let bound = |t: Option<&Timestamp>, rule: &str, none: &str| match instant(t) {
        Some(t) if rule.is_empty() => utc_and_local(t, tz),
        Some(t) => format!("{}  ({rule})", utc_and_local(t, tz)),
        None => none.to_owned(),
    };
    out.push(format!(
        "Earliest next start: {}",
        bound(
            r.earliest_next_start.as_ref(),
            &r.earliest_next_start_rule_id,
            "-"
        )
    ));
    out.push(format!(
        "Latest end:          {}",
        bound(
            r.latest_end.as_ref(),
            &r.latest_end_rule_id,
            "- (not working)"
        )
    ));
    finish(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::unnecessary_wraps)] // the proto's fields are Options
    fn ts(s: &str) -> Option<Timestamp> {
        let t = DateTime::parse_from_rfc3339(s).unwrap();
        Some(Timestamp {
            seconds: t.timestamp(),
            nanos: 0,
        })
    }

    #[allow(clippy::unnecessary_wraps)] // the proto's fields are Options
    fn date(year: i32, month: i32, day: i32) -> Option<pb::LocalDate> {
        Some(pb::LocalDate { year, month, day })
    }

    fn lines(s: &str) -> Vec<&str> {
        s.lines().collect()
    }

    /// Sat 24 – Mon 26 October 2026 in Oslo: an interval across midnight
    /// into the 25-hour day on which 02:00–03:00 happens twice, and an open
    /// interval.
    #[allow(clippy::too_many_lines)] // test data
    fn dst_week() -> pb::GetTimesheetResponse {
        let night = pb::WorkInterval {
            interval_id: "i1".into(),
            start: ts("2026-10-24T20:00:00Z"),
            end: ts("2026-10-25T00:30:00Z"),
            worked_minutes: 270,
            ..Default::default()
        };
        let day = pb::WorkInterval {
            interval_id: "i2".into(),
            start: ts("2026-10-25T01:30:00Z"),
            end: ts("2026-10-25T09:00:00Z"),
            breaks: vec![pb::WorkBreak {
                start: ts("2026-10-25T06:00:00Z"),
                end: ts("2026-10-25T06:30:00Z"),
                minutes: 30,
                ..Default::default()
            }],
            worked_minutes: 420,
            worked_minutes_on_day: 420,
            ..Default::default()
        };
        let open = pb::WorkInterval {
            interval_id: "i3".into(),
            start: ts("2026-10-26T07:00:00Z"),
            open: true,
            location: pb::Location::Home as i32,
            ..Default::default()
        };
        pb::GetTimesheetResponse {
            employee_id: "c966f463-b4f7-48d3-807e-a1234f4a04dc".into(),
            time_zone: "Europe/Oslo".into(),
            rule_pack: "no-aml".into(),
            rule_pack_version: "2026.1".into(),
            as_of: ts("2026-10-26T10:00:00Z"),
            days: vec![
                pb::TimesheetDay {
                    date: date(2026, 10, 24),
                    intervals: vec![pb::WorkInterval {
                        worked_minutes_on_day: 120,
                        ..night.clone()
                    }],
                    worked_minutes: 120,
                    overtime_minutes: 120,
                    flex_minutes: 120,
                    flex_balance_minutes: 210,
                    ..Default::default()
                },
                pb::TimesheetDay {
                    date: date(2026, 10, 25),
                    intervals: vec![
                        pb::WorkInterval {
                            worked_minutes_on_day: 150,
                            ..night
                        },
                        day,
                    ],
                    worked_minutes: 570,
                    overtime_minutes: 570,
                    flex_minutes: 570,
                    flex_balance_minutes: 780,
                    finding_ids: vec!["f1".into()],
                    ..Default::default()
                },
                pb::TimesheetDay {
                    date: date(2026, 10, 26),
                    intervals: vec![open],
                    scheduled_minutes: 450,
                    flex_balance_minutes: 780,
                    finding_ids: vec!["f2".into()],
                    ..Default::default()
                },
            ],
            totals: Some(pb::TimesheetTotals {
                scheduled_minutes: 450,
                worked_minutes: 690,
                overtime_minutes: 690,
                sunday_holiday_minutes: 570,
                night_minutes: 270,
                flex_minutes: 690,
                ..Default::default()
            }),
            flex_balance_start_minutes: 90,
            flex_balance_end_minutes: 780,
            findings: vec![
                pb::Finding {
                    finding_id: "f2".into(),
                    rule_id: "pol.missing_clock_out".into(),
                    severity: pb::Severity::Pattern as i32,
                    status: pb::FindingStatus::Open as i32,
                    at: ts("2026-10-26T07:00:00Z"),
                    explanation: "Clocked in at 08:00 with no clock-out yet".into(),
                    citation: "Tidsvakt policy pol.missing_clock_out".into(),
                    ..Default::default()
                },
                pb::Finding {
                    finding_id: "f1".into(),
                    rule_id: "no.sunday_work".into(),
                    severity: pb::Severity::Violation as i32,
                    status: pb::FindingStatus::Resolved as i32,
                    at: ts("2026-10-24T22:00:00Z"),
                    explanation: "9 h 30 min of work on Sunday 25 Oct 2026".into(),
                    citation: "arbeidsmiljøloven § 10-10 (1)".into(),
                    ..Default::default()
                },
            ],
        }
    }

    fn headroom() -> pb::GetHeadroomResponse {
        pb::GetHeadroomResponse {
            employee_id: "c966f463-b4f7-48d3-807e-a1234f4a04dc".into(),
            at: ts("2026-11-23T10:00:00Z"),
            rule_pack: "no-aml".into(),
            rule_pack_version: "2026.1".into(),
            exempt: false,
            limits: vec![
                pb::LimitHeadroom {
                    rule_id: "no.overtime_7d".into(),
                    window_start: ts("2026-11-16T10:00:00Z"),
                    window_end: ts("2026-11-23T10:00:00Z"),
                    used_minutes: 615,
                    limit_minutes: 600,
                    remaining_minutes: -15,
                    warning_minutes: 480,
                    citation: "arbeidsmiljøloven § 10-6 (4)".into(),
                    ..Default::default()
                },
                pb::LimitHeadroom {
                    rule_id: "no.total_24h".into(),
                    window_start: ts("2026-11-22T10:00:00Z"),
                    window_end: ts("2026-11-23T10:00:00Z"),
                    used_minutes: 120,
                    limit_minutes: 780,
                    remaining_minutes: 660,
                    reached_at: ts("2026-11-23T21:00:00Z"),
                    citation: "arbeidsmiljøloven § 10-6 (8)".into(),
                    ..Default::default()
                },
            ],
            earliest_next_start: ts("2026-11-23T21:00:00Z"),
            earliest_next_start_rule_id: "no.daily_rest".into(),
            latest_end: ts("2026-11-23T21:00:00Z"),
            latest_end_rule_id: "no.total_24h".into(),
        }
    }

    fn holiday_day() -> pb::GetTimesheetResponse {
        pb::GetTimesheetResponse {
            employee_id: "e1".into(),
            time_zone: "Europe/Oslo".into(),
            rule_pack: "no-aml".into(),
            rule_pack_version: "2026.1".into(),
            days: vec![pb::TimesheetDay {
                date: date(2026, 12, 24),
                holiday_name: "Julaften".into(),
                holiday_kind: pb::HolidayKind::Eve as i32,
                intervals: vec![pb::WorkInterval {
                    start: ts("2026-12-24T07:00:00Z"),
                    end: ts("2026-12-24T13:00:00Z"),
                    breaks: vec![
                        pb::WorkBreak {
                            start: ts("2026-12-24T09:00:00Z"),
                            end: ts("2026-12-24T09:15:00Z"),
                            minutes: 15,
                            paid: true,
                            ..Default::default()
                        },
                        pb::WorkBreak {
                            start: ts("2026-12-24T11:00:00Z"),
                            end: ts("2026-12-24T11:30:00Z"),
                            minutes: 30,
                            ..Default::default()
                        },
                    ],
                    amended: true,
                    worked_minutes: 330,
                    worked_minutes_on_day: 330,
                    ..Default::default()
                }],
                scheduled_minutes: 450,
                worked_minutes: 330,
                normal_minutes: 330,
                absences: vec![pb::DayAbsence {
                    kind: pb::AbsenceKind::TimeOffInLieu as i32,
                    minutes: 120,
                    ..Default::default()
                }],
                flex_minutes: 0,
                flex_balance_minutes: -75,
                ..Default::default()
            }],
            totals: Some(pb::TimesheetTotals {
                scheduled_minutes: 450,
                worked_minutes: 330,
                normal_minutes: 330,
                absences: vec![pb::AbsenceTotal {
                    kind: pb::AbsenceKind::TimeOffInLieu as i32,
                    minutes: 120,
                }],
                ..Default::default()
            }),
            flex_balance_start_minutes: -75,
            flex_balance_end_minutes: -75,
            ..Default::default()
        }
    }

    #[test]
    fn minutes_as_hours_and_minutes() {
        assert_eq!(hm(0), "0:00");
        assert_eq!(hm(450), "7:30");
        assert_eq!(hm(1500), "25:00");
        assert_eq!(hm(-75), "-1:15");
        assert_eq!(signed_hm(30), "+0:30");
        assert_eq!(signed_hm(-5), "-0:05");
        assert_eq!(signed_hm(0), "0:00");
    }

    /// The whole rendering of a week with the 25-hour day: the interval
    /// across midnight is shown on both days with the other day's weekday,
    /// the twice-occurring 02:30 carries CEST or CET, figures are the
    /// proto's elapsed minutes, findings are numbered and referenced.
    #[test]
    fn timesheet_across_midnight_and_the_dst_day() {
        let expected = r"Timesheet of employee c966f463-b4f7-48d3-807e-a1234f4a04dc
Dates:        2026-10-24 – 2026-10-26 (3 days)
Time zone:    Europe/Oslo
Rule pack:    no-aml 2026.1
As of:        2026-10-26 11:00
Flex balance: +1:30 at the start, +13:00 at the end

Date            Holiday  Intervals                            Worked  Sched.  Overtime    Flex  Balance  Absence  Findings
--------------------------------------------------------------------------------------------------------------------------
Sat 2026-10-24           22:00–Sun 02:30 CEST                   2:00    0:00      2:00   +2:00    +3:30
Sun 2026-10-25           Sat 22:00–02:30 CEST                   9:30    0:00      9:30   +9:30   +13:00           [2]
                         02:30 CET–10:00 (break 07:00–07:30)
Mon 2026-10-26           08:00–…  (open) [home]                 0:00    7:30              0:00   +13:00           [1]
--------------------------------------------------------------------------------------------------------------------------
Total                                                          11:30    7:30     11:30  +11:30   +13:00
Of the worked time: normal 0:00, night 4:30, Sunday/holiday 9:30, home 0:00

Findings (2):
[1]  PATTERN    pol.missing_clock_out  open      at Mon 2026-10-26 08:00
    Clocked in at 08:00 with no clock-out yet
    Tidsvakt policy pol.missing_clock_out
[2]  VIOLATION  no.sunday_work         resolved  at Sun 2026-10-25 00:00
    9 h 30 min of work on Sunday 25 Oct 2026
    arbeidsmiljøloven § 10-10 (1)
";
        assert_eq!(render_timesheet(&dst_week()), expected);
    }

    #[test]
    fn timesheet_holiday_breaks_absence_and_negative_flex() {
        let out = render_timesheet(&holiday_day());
        let lines = lines(&out);
        assert_eq!(lines[1], "Dates:        2026-12-24 – 2026-12-24 (1 day)");
        assert_eq!(
            lines[4],
            "Flex balance: -1:15 at the start, -1:15 at the end"
        );
        assert_eq!(
            lines[6],
            "Date            Holiday   Intervals                                                     \
             Worked  Sched.  Overtime  Flex  Balance  Absence                Findings"
        );
        assert_eq!(
            lines[8],
            "Thu 2026-12-24  Julaften  08:00–14:00 (breaks 10:00–10:15 paid, 12:00–12:30) (amended)    \
             5:30    7:30            0:00    -1:15  time off in lieu 2:00"
        );
        assert_eq!(
            lines[10],
            "Total                                                                                     \
             5:30    7:30      0:00  0:00    -1:15  2:00"
        );
        assert_eq!(
            lines[11],
            "Of the worked time: normal 5:30, night 0:00, Sunday/holiday 0:00, home 0:00"
        );
        assert_eq!(lines[12], "Absence: time off in lieu 2:00");
        assert_eq!(lines[14], "No findings.");
        assert_eq!(lines.len(), 15);
        // No "As of" line when the response has none.
        assert!(!out.contains("As of"));
    }

    #[test]
    fn timesheet_in_an_unknown_time_zone_is_shown_in_utc() {
        let mut r = holiday_day();
        r.time_zone = "Mars/Olympus".into();
        let out = render_timesheet(&r);
        assert!(out.contains(
            "Time zone:    Mars/Olympus (unknown time zone 'Mars/Olympus': times shown in UTC)"
        ));
        assert!(out.contains("07:00–13:00 (breaks 09:00–09:15 paid, 11:00–11:30)"));
    }

    #[test]
    fn headroom_with_a_time_zone() {
        let expected = r"Headroom of employee c966f463-b4f7-48d3-807e-a1234f4a04dc
At:         2026-11-23 10:00 UTC (2026-11-23 11:00 Europe/Oslo)
Rule pack:  no-aml 2026.1

Rule             Used  Limit   Left  Warning at
no.overtime_7d  10:15  10:00  -0:15        8:00  exceeded
    window 2026-11-16 11:00 – 2026-11-23 11:00 Europe/Oslo
    arbeidsmiljøloven § 10-6 (4)
no.total_24h     2:00  13:00  11:00           -
    window 2026-11-22 11:00 – 2026-11-23 11:00 Europe/Oslo
    reached at 2026-11-23 21:00 UTC (2026-11-23 22:00 Europe/Oslo) if work goes on
    arbeidsmiljøloven § 10-6 (8)

Earliest next start: 2026-11-23 21:00 UTC (2026-11-23 22:00 Europe/Oslo)  (no.daily_rest)
Latest end:          2026-11-23 21:00 UTC (2026-11-23 22:00 Europe/Oslo)  (no.total_24h)
";
        assert_eq!(
            render_headroom(&headroom(), Some(chrono_tz::Europe::Oslo)),
            expected
        );
    }

    #[test]
    fn headroom_in_utc_only() {
        let out = render_headroom(&headroom(), None);
        let lines = lines(&out);
        assert_eq!(lines[1], "At:         2026-11-23 10:00 UTC");
        assert_eq!(
            lines[6],
            "    window 2026-11-16 10:00 – 2026-11-23 10:00 UTC"
        );
        assert_eq!(
            lines[10],
            "    reached at 2026-11-23 21:00 UTC if work goes on"
        );
        assert_eq!(
            lines[13],
            "Earliest next start: 2026-11-23 21:00 UTC  (no.daily_rest)"
        );
        assert_eq!(
            lines[14],
            "Latest end:          2026-11-23 21:00 UTC  (no.total_24h)"
        );
    }

    #[test]
    fn headroom_exempt_and_not_working() {
        let r = pb::GetHeadroomResponse {
            employee_id: "e1".into(),
            at: ts("2026-11-23T10:00:00Z"),
            rule_pack: "no-aml".into(),
            rule_pack_version: "2026.1".into(),
            exempt: true,
            earliest_next_start: ts("2026-11-23T05:00:00Z"),
            earliest_next_start_rule_id: "no.daily_rest".into(),
            ..Default::default()
        };
        assert_eq!(
            render_headroom(&r, None),
            "Headroom of employee e1\n\
             At:         2026-11-23 10:00 UTC\n\
             Rule pack:  no-aml 2026.1\n\
             Exempt: no working-time limit of the rule pack applies.\n\
             \n\
             \n\
             Earliest next start: 2026-11-23 05:00 UTC  (no.daily_rest)\n\
             Latest end:          - (not working)\n"
        );
    }
}
