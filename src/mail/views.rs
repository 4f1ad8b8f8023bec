//! The view models the templates lay out, one per outbox kind.
//!
//! Every string is already localised and formatted in the recipient's time
//! zone and locale by the caller; templates only arrange them. `locale` is
//! "nb" or "en" and picks the template set. Links are whole URLs made by
//! [`crate::links`] from the public base URL, and `None` when the
//! deployment has none: a template shows a link only when it is there.

use serde::Serialize;

/// What every message shares.
#[derive(Clone, Debug, Serialize)]
pub struct Common {
    /// "nb" | "en".
    pub locale: String,
    /// The whole name, as on the envelope.
    pub recipient_name: String,
    /// The greeting's name: the first word of the name ("Kari").
    pub first_name: String,
    /// "Tidsvakt".
    pub product_name: String,
    /// The public base URL of the web pages, without a trailing slash
    /// (`https://tid.example.com`); `None` when there is none.
    pub app_url: Option<String>,
}

/// A link to a mute setting, with what it mutes.
#[derive(Clone, Debug, Serialize)]
pub struct MuteLink {
    /// The category's headline, e.g. "Arbeid om natten".
    pub label: String,
    pub url: String,
}

/// One finding within an [`Item`].
#[derive(Clone, Debug, Serialize)]
pub struct Seen {
    /// The rule in words (the category's headline).
    pub headline: String,
    /// What was seen, as a sentence.
    pub text: String,
    /// The law it is about, in words; or that it is Tidsvakt's own advice.
    pub citation: String,
}

/// One item in a `NUDGE` or `MANAGER_ALERTS` email: the findings about the
/// same hours, told once (`domain::nudge::group`), the most severe first.
#[derive(Clone, Debug, Serialize)]
pub struct Item {
    /// The categories of its findings (of [`crate::mail::copy`]), most severe first.
    pub categories: Vec<String>,
    /// The most severe: "VIOLATION" | "WARNING" | "PATTERN".
    pub severity: String,
    /// The rule in words: the first finding's headline.
    pub headline: String,
    /// What was seen, one entry per finding.
    pub seen: Vec<Seen>,
    /// Why it matters (of the first finding's category).
    pub why: String,
    /// What to do (of the first finding's category).
    pub what_to_do: String,
    /// The hours it is about in the reader's zone and words, e.g.
    /// "tirsdag 17. november 13:00–22:30".
    pub when: String,
    /// The distinct citations of its findings, joined.
    pub citation: String,
    /// Whom it is about (the recipient for NUDGE).
    pub employee_name: String,
    /// Where the reader can act: the finding on its day.
    pub link: Option<String>,
    /// The mute settings of its optional categories (NUDGE only).
    pub mutes: Vec<MuteLink>,
}

/// A NUDGE to an employee: one email may carry several items decided together.
#[derive(Clone, Debug, Serialize)]
pub struct NudgeView {
    pub common: Common,
    pub items: Vec<Item>,
    /// True if any item's category can be muted: the email says how.
    pub mutable_note: bool,
    /// What Tidsvakt told about me, and the mutes.
    pub messages_link: Option<String>,
}

/// `MANAGER_ALERTS`: the legal violations of a manager's reports decided on one day.
#[derive(Clone, Debug, Serialize)]
pub struct ManagerAlertsView {
    pub common: Common,
    /// When the work happened, localised: "torsdag 19. november", or a
    /// range, "17.–19. november" (not the day the batch is sent).
    pub date: String,
    /// Grouped by `employee_name` in the template.
    pub items: Vec<Item>,
    pub employee_count: usize,
    /// The manager's team now.
    pub team_link: Option<String>,
}

/// REMINDER: an interval still open after the expected end of the day.
#[derive(Clone, Debug, Serialize)]
pub struct ReminderView {
    pub common: Common,
    /// Localised instant.
    pub clocked_in_at: String,
    /// Localised instant.
    pub suggested_end: String,
    /// For the CLI/correction hint.
    pub suggested_end_rfc3339: String,
    /// The clock-in event id the correction targets.
    pub interval_id: String,
    /// How long the interval had been open when the reminder was written,
    /// in words ("11 timer").
    pub open_for: String,
    /// The day of the clock-in, where it can be corrected.
    pub day_link: Option<String>,
}

/// One day of a report's week in the digest.
#[derive(Clone, Debug, Serialize)]
pub struct Bar {
    /// "man." / "Mon".
    pub label: String,
    pub worked_minutes: i64,
    pub scheduled_minutes: i64,
    pub overtime_minutes: i64,
    pub out_of_hours_minutes: i64,
    /// Precomputed for HTML/CSS bars, 0..=100, relative to the digest's largest day.
    pub worked_pct: u32,
    pub scheduled_pct: u32,
    pub overtime_pct: u32,
    pub worked_text: String,
}

/// How much of one legal overtime limit is used.
#[derive(Clone, Debug, Serialize)]
pub struct LimitUse {
    /// "7 dager" / "7 days".
    pub label: String,
    pub used: String,
    pub limit: String,
    pub pct: u32,
    pub over: bool,
}

/// Out-of-hours work of one pattern in the digest week.
#[derive(Clone, Debug, Serialize)]
pub struct PatternCount {
    pub category: String,
    pub label: String,
    pub count: i64,
}

/// One week of a report's 4-week trend.
#[derive(Clone, Debug, Serialize)]
pub struct TrendWeek {
    /// "uke 44" / "week 44".
    pub label: String,
    pub worked: String,
    pub scheduled: String,
    pub diff: String,
    pub worked_pct: u32,
}

/// One direct report in the digest.
#[derive(Clone, Debug, Serialize)]
pub struct ReportRow {
    pub name: String,
    /// The report's week, read only.
    pub link: Option<String>,
    pub worked: String,
    pub scheduled: String,
    pub diff: String,
    pub over_schedule: bool,
    /// 7 days, 4 weeks, 52 weeks, in that order.
    pub overtime: Vec<LimitUse>,
    /// Out-of-hours counts by pattern, only non-zero.
    pub patterns: Vec<PatternCount>,
    /// Violations of this week still open.
    pub open_violations: i64,
    /// "35 %"; "–" when nothing worked.
    pub home_share: String,
    /// 4 weeks, oldest first, the digest week last.
    pub trend: Vec<TrendWeek>,
    /// Mon..Sun of the digest week.
    pub bars: Vec<Bar>,
}

/// The weekly DIGEST to a manager.
#[derive(Clone, Debug, Serialize)]
pub struct DigestView {
    pub common: Common,
    /// "uke 47, 16.–22. november 2026" / "week 47, 16–22 November 2026".
    pub week_label: String,
    pub reports: Vec<ReportRow>,
    pub team_worked: String,
    pub team_scheduled: String,
    pub team_diff: String,
    pub team_overtime: String,
    pub team_open_violations: i64,
    pub team_pattern_total: i64,
    pub team_home_share: String,
    /// The manager's team now.
    pub team_link: Option<String>,
}
