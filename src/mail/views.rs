//! The view models the templates lay out, one per outbox kind.
//!
//! Every string is already localised and formatted in the recipient's time
//! zone and locale by the caller; templates only arrange them. `locale` is
//! "nb" or "en" and picks the template set.

use serde::Serialize;

/// What every message shares.
#[derive(Clone, Debug, Serialize)]
pub struct Common {
    /// "nb" | "en".
    pub locale: String,
    pub recipient_name: String,
    /// "Tidsvakt".
    pub product_name: String,
    /// Link to the employee's own view (timesheet/nudges), if the deployment has a public URL.
    pub app_url: Option<String>,
}

/// One thing seen, in a `NUDGE` or `MANAGER_ALERTS` email.
#[derive(Clone, Debug, Serialize)]
pub struct Item {
    /// e.g. "evening", "rest" (the categories of [`crate::mail::copy`]).
    pub category: String,
    /// e.g. `pol.evening`, `no.daily_rest`.
    pub rule_id: String,
    /// "VIOLATION" | "WARNING" | "PATTERN".
    pub severity: String,
    /// Localised short title, from [`crate::mail::copy`].
    pub headline: String,
    /// What was seen: the finding's explanation (localised).
    pub seen: String,
    /// Why it matters (localised, per category).
    pub why: String,
    /// What to do (localised, per category).
    pub what_to_do: String,
    /// When, formatted in the recipient's zone, e.g. "tir. 10.11.2026 22:30".
    pub when: String,
    /// Legal source or "Tidsvakt policy".
    pub citation: String,
    /// Whom it is about (the recipient for NUDGE).
    pub employee_name: String,
}

/// A NUDGE to an employee: one email may carry several items decided together.
#[derive(Clone, Debug, Serialize)]
pub struct NudgeView {
    pub common: Common,
    pub items: Vec<Item>,
    /// True if any item's category can be muted: the email says how.
    pub mutable_note: bool,
}

/// `MANAGER_ALERTS`: the legal violations of a manager's reports decided on one day.
#[derive(Clone, Debug, Serialize)]
pub struct ManagerAlertsView {
    pub common: Common,
    /// The day the batch covers, localised ("onsdag 18. november 2026").
    pub date: String,
    /// Grouped by `employee_name` in the template.
    pub items: Vec<Item>,
    pub employee_count: usize,
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
    pub worked: String,
    pub scheduled: String,
    pub diff: String,
    pub over_schedule: bool,
    /// 7 days, 4 weeks, 52 weeks, in that order.
    pub overtime: Vec<LimitUse>,
    /// Out-of-hours counts by pattern, only non-zero.
    pub patterns: Vec<PatternCount>,
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
}
