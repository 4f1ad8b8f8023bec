//! Who hears about a finding, when, and under which dedup key.
//!
//! The policy (product.md, "Nudge policy"):
//! - The employee hears first, about every category they have not muted;
//!   legal categories cannot be muted.
//! - Legal violations (severity VIOLATION) also go to the manager, batched:
//!   one email per manager per local day, sent the next morning, and never
//!   before the employee's own nudge is due. Patterns and warnings go to the
//!   employee only (rules.md example 12).
//! - Quiet hours hold every message until the recipient's morning.
//! - At most one nudge per category per person per ISO week (the week the
//!   person receives it, in their own zone); a manager hears about each
//!   violation once.
//! - Findings older than [`NudgePolicy::max_age`] nudge nobody: a late sync
//!   about last month belongs in the timesheet, not in an email today.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

use super::category::Category;
use super::quiet::QuietHours;
use crate::domain::engine::days::local_instant;
use crate::domain::engine::finding::Severity;
use crate::domain::ids::EmployeeId;
use crate::domain::local_days::local_date;

/// The tunable parts of the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NudgePolicy {
    pub quiet: QuietHours,
    /// Findings whose `at` is older than this nudge nobody.
    pub max_age: Duration,
    /// When a manager's daily batch is sent, the next morning (local).
    pub manager_batch_at: NaiveTime,
}

impl Default for NudgePolicy {
    fn default() -> Self {
        Self {
            quiet: QuietHours::default(),
            max_age: Duration::days(14),
            manager_batch_at: NaiveTime::from_hms_opt(7, 0, 0).unwrap_or(NaiveTime::MIN),
        }
    }
}

/// A person who may receive a nudge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Recipient {
    pub id: EmployeeId,
    pub tz: Tz,
    /// Deactivated people and people without an address get no email.
    pub reachable: bool,
}

/// The employee a finding is about, and who else may hear of it.
#[derive(Clone, Debug)]
pub struct About<'a> {
    pub employee: Recipient,
    pub manager: Option<Recipient>,
    /// Categories the employee has muted (only mutable ones take effect).
    pub muted: &'a [Category],
}

/// A finding that is new, or newly more severe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate<'a> {
    pub finding: Uuid,
    pub rule_id: &'a str,
    pub severity: Severity,
    pub at: DateTime<Utc>,
}

/// Whom a nudge is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Audience {
    Employee,
    Manager,
}

impl Audience {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Employee => "EMPLOYEE",
            Self::Manager => "MANAGER",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "EMPLOYEE" => Some(Self::Employee),
            "MANAGER" => Some(Self::Manager),
            _ => None,
        }
    }
}

/// One item of a nudge: one finding told to one person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub recipient: EmployeeId,
    pub audience: Audience,
    pub category: Category,
    pub finding: Uuid,
    pub rule_id: String,
    pub severity: Severity,
    /// Unique per organisation: storing a second decision with the same key
    /// changes nothing (weekly dedup, and replays of a recompute).
    pub dedup_key: String,
    /// Not before this instant (quiet hours, the employee first).
    pub send_after: DateTime<Utc>,
    /// The message this item travels in.
    pub message_key: String,
}

/// "2026-W47": the ISO week of a local date.
#[must_use]
pub fn iso_week_label(date: NaiveDate) -> String {
    let w = date.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

/// Decides the nudges for `candidates`, all about `about.employee`.
///
/// Employee items decided together share one message; manager items go to
/// the manager's batch of the day.
#[must_use]
pub fn decide(
    about: &About<'_>,
    candidates: &[Candidate<'_>],
    now: DateTime<Utc>,
    policy: &NudgePolicy,
) -> Vec<Decision> {
    let employee = about.employee;
    let employee_release = policy.quiet.release(employee.tz, now);
    let week = iso_week_label(local_date(employee.tz, employee_release));
    let mut employee_items: Vec<Decision> = Vec::new();
    let mut manager_items: Vec<Decision> = Vec::new();
    for c in candidates {
        if c.at < now - policy.max_age {
            continue;
        }
        let Some(category) = Category::of_finding(c.rule_id, c.severity) else {
            continue;
        };
        let muted = category.is_mutable() && about.muted.contains(&category);
        if employee.reachable && !muted {
            let dedup_key = format!("emp:{}:{}:{week}", employee.id, category.as_str());
            // Two findings of one category decided together are one item.
            if !employee_items.iter().any(|d| d.dedup_key == dedup_key) {
                employee_items.push(Decision {
                    recipient: employee.id,
                    audience: Audience::Employee,
                    category,
                    finding: c.finding,
                    rule_id: c.rule_id.to_string(),
                    severity: c.severity,
                    dedup_key,
                    send_after: employee_release,
                    message_key: String::new(),
                });
            }
        }
        let Some(manager) = about.manager.filter(|m| m.reachable) else {
            continue;
        };
        if c.severity != Severity::Violation || manager.id == employee.id {
            continue;
        }
        // The batch of the manager's day on which the employee's nudge is
        // due; it leaves the next morning, so the employee always hears first.
        let day = local_date(manager.tz, employee_release);
        let batch_at = local_instant(
            manager.tz,
            (day + Duration::days(1)).and_time(policy.manager_batch_at),
        );
        manager_items.push(Decision {
            recipient: manager.id,
            audience: Audience::Manager,
            category,
            finding: c.finding,
            rule_id: c.rule_id.to_string(),
            severity: c.severity,
            dedup_key: format!("mgr:{}:{}", manager.id, c.finding),
            send_after: policy
                .quiet
                .release(manager.tz, batch_at.max(employee_release)),
            message_key: manager_batch_key(manager.id, day),
        });
    }
    if let Some(first) = employee_items.first().map(|d| d.dedup_key.clone()) {
        for d in &mut employee_items {
            d.message_key = format!("nudge:{first}");
        }
    }
    employee_items.extend(manager_items);
    employee_items
}

/// The key of a manager's batch for a local day.
#[must_use]
pub fn manager_batch_key(manager: EmployeeId, day: NaiveDate) -> String {
    format!("alerts:{manager}:{day}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::{America::New_York, Europe::Oslo};

    fn oslo(d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Oslo.with_ymd_and_hms(2026, 11, d, h, mi, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn person(n: u128, tz: Tz) -> Recipient {
        Recipient {
            id: EmployeeId(Uuid::from_u128(n)),
            tz,
            reachable: true,
        }
    }

    fn cand(
        n: u128,
        rule: &'static str,
        severity: Severity,
        at: DateTime<Utc>,
    ) -> Candidate<'static> {
        Candidate {
            finding: Uuid::from_u128(n),
            rule_id: rule,
            severity,
            at,
        }
    }

    fn about(muted: &[Category]) -> About<'_> {
        About {
            employee: person(1, Oslo),
            manager: Some(person(2, Oslo)),
            muted,
        }
    }

    #[test]
    fn a_pattern_goes_to_the_employee_only() {
        let now = oslo(18, 12, 0);
        let out = decide(
            &about(&[]),
            &[cand(9, "pol.evening", Severity::Pattern, now)],
            now,
            &NudgePolicy::default(),
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].audience, Audience::Employee);
        assert_eq!(out[0].category, Category::Evening);
        assert_eq!(out[0].send_after, now);
        assert_eq!(
            out[0].dedup_key,
            format!("emp:{}:evening:2026-W47", Uuid::from_u128(1))
        );
    }

    #[test]
    fn a_violation_also_goes_to_the_manager_the_next_morning() {
        let now = oslo(18, 12, 0);
        let out = decide(
            &about(&[]),
            &[cand(9, "no.daily_rest", Severity::Violation, now)],
            now,
            &NudgePolicy::default(),
        );
        assert_eq!(out.len(), 2);
        let m = &out[1];
        assert_eq!(m.audience, Audience::Manager);
        assert_eq!(m.send_after, oslo(19, 7, 0));
        assert_eq!(
            m.message_key,
            manager_batch_key(m.recipient, local_date(Oslo, now))
        );
        assert!(m.send_after > out[0].send_after, "the employee hears first");
    }

    #[test]
    fn warnings_do_not_reach_the_manager() {
        let now = oslo(18, 12, 0);
        let out = decide(
            &about(&[]),
            &[cand(9, "no.overtime_7d", Severity::Warning, now)],
            now,
            &NudgePolicy::default(),
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].category, Category::OvertimeNear);
    }

    #[test]
    fn quiet_hours_hold_the_nudge_until_morning() {
        let now = oslo(18, 22, 30);
        let out = decide(
            &about(&[]),
            &[cand(9, "pol.night", Severity::Pattern, now)],
            now,
            &NudgePolicy::default(),
        );
        assert_eq!(out[0].send_after, oslo(19, 7, 0));
    }

    #[test]
    fn muting_silences_optional_categories_only() {
        let now = oslo(18, 12, 0);
        let muted = [Category::Evening, Category::Rest];
        let out = decide(
            &about(&muted),
            &[
                cand(8, "pol.evening", Severity::Pattern, now),
                cand(9, "no.daily_rest", Severity::Violation, now),
            ],
            now,
            &NudgePolicy::default(),
        );
        let employee: Vec<_> = out
            .iter()
            .filter(|d| d.audience == Audience::Employee)
            .collect();
        assert_eq!(employee.len(), 1);
        assert_eq!(employee[0].category, Category::Rest);
    }

    #[test]
    fn one_item_per_category_and_one_message_per_decision() {
        let now = oslo(18, 12, 0);
        let out = decide(
            &about(&[]),
            &[
                cand(7, "pol.night", Severity::Pattern, now),
                cand(8, "pol.night", Severity::Pattern, now),
                cand(9, "pol.long_day", Severity::Pattern, now),
            ],
            now,
            &NudgePolicy::default(),
        );
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].message_key, out[1].message_key);
    }

    #[test]
    fn old_findings_nudge_nobody() {
        let now = oslo(18, 12, 0);
        let policy = NudgePolicy::default();
        let old = now - policy.max_age - Duration::minutes(1);
        assert!(
            decide(
                &about(&[]),
                &[cand(9, "no.breaks", Severity::Violation, old)],
                now,
                &policy
            )
            .is_empty()
        );
        let recent = now - policy.max_age;
        assert_eq!(
            decide(
                &about(&[]),
                &[cand(9, "no.breaks", Severity::Violation, recent)],
                now,
                &policy
            )
            .len(),
            2
        );
    }

    #[test]
    fn unreachable_people_are_skipped() {
        let now = oslo(18, 12, 0);
        let mut a = about(&[]);
        a.employee.reachable = false;
        let out = decide(
            &a,
            &[cand(9, "no.breaks", Severity::Violation, now)],
            now,
            &NudgePolicy::default(),
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].audience, Audience::Manager);
    }

    #[test]
    fn a_manager_in_another_zone_gets_the_batch_in_their_morning_after_the_employee() {
        let now = oslo(18, 23, 0); // 17:00 in New York
        let a = About {
            employee: person(1, Oslo),
            manager: Some(person(2, New_York)),
            muted: &[],
        };
        let out = decide(
            &a,
            &[cand(9, "no.breaks", Severity::Violation, now)],
            now,
            &NudgePolicy::default(),
        );
        let (e, m) = (&out[0], &out[1]);
        assert_eq!(e.send_after, oslo(19, 7, 0)); // 01:00 in New York
        // The employee's nudge is due on 2026-11-19 in New York: that day's batch leaves on the 20th at 07:00.
        assert_eq!(
            m.send_after,
            New_York
                .with_ymd_and_hms(2026, 11, 20, 7, 0, 0)
                .unwrap()
                .with_timezone(&Utc)
        );
        assert!(m.send_after > e.send_after);
    }

    #[test]
    fn the_week_of_the_dedup_key_is_the_week_the_employee_receives_it() {
        // Sunday 22:00 is quiet: released Monday 07:00, in ISO week 48.
        let now = oslo(22, 22, 0);
        let out = decide(
            &about(&[]),
            &[cand(9, "pol.night", Severity::Pattern, now)],
            now,
            &NudgePolicy::default(),
        );
        assert!(out[0].dedup_key.ends_with("2026-W48"));
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        const ZONES: [Tz; 5] = [
            chrono_tz::Europe::Oslo,
            chrono_tz::America::New_York,
            chrono_tz::Asia::Tokyo,
            chrono_tz::Australia::Lord_Howe,
            chrono_tz::UTC,
        ];
        const RULES: [(&str, Severity); 6] = [
            ("pol.evening", Severity::Pattern),
            ("pol.night", Severity::Pattern),
            ("no.daily_rest", Severity::Violation),
            ("no.breaks", Severity::Violation),
            ("no.overtime_7d", Severity::Warning),
            ("no.overtime_7d", Severity::Violation),
        ];

        proptest! {
            #[test]
            fn every_decision_keeps_the_policy(
                now_s in 1_767_225_600_i64..1_798_761_600, // 2026
                zones in (0..5usize, 0..5usize),
                picks in proptest::collection::vec((0..6usize, 0..20_000i64), 0..8),
                mute_evening in any::<bool>(),
            ) {
                let now = DateTime::from_timestamp(now_s, 0).unwrap();
                let (ez, mz) = (ZONES[zones.0], ZONES[zones.1]);
                let muted = if mute_evening { vec![Category::Evening] } else { Vec::new() };
                let about = About {
                    employee: Recipient { id: EmployeeId(Uuid::from_u128(1)), tz: ez, reachable: true },
                    manager: Some(Recipient { id: EmployeeId(Uuid::from_u128(2)), tz: mz, reachable: true }),
                    muted: &muted,
                };
                let cands: Vec<Candidate<'_>> = picks
                    .iter()
                    .enumerate()
                    .map(|(i, (r, ago))| Candidate {
                        finding: Uuid::from_u128(100 + i as u128),
                        rule_id: RULES[*r].0,
                        severity: RULES[*r].1,
                        at: now - Duration::minutes(*ago),
                    })
                    .collect();
                let policy = NudgePolicy::default();
                let out = decide(&about, &cands, now, &policy);
                let mut keys: Vec<&str> = out.iter().map(|d| d.dedup_key.as_str()).collect();
                keys.sort_unstable();
                let n = keys.len();
                keys.dedup();
                prop_assert_eq!(keys.len(), n, "no dedup key twice");
                let latest_employee = out
                    .iter()
                    .filter(|d| d.audience == Audience::Employee)
                    .map(|d| d.send_after)
                    .max();
                for d in &out {
                    let tz = if d.audience == Audience::Employee { ez } else { mz };
                    prop_assert!(d.send_after >= now);
                    prop_assert!(!policy.quiet.is_quiet(tz, d.send_after), "{:?} in quiet hours", d);
                    match d.audience {
                        Audience::Employee => prop_assert!(!(mute_evening && d.category == Category::Evening)),
                        Audience::Manager => {
                            prop_assert_eq!(d.severity, Severity::Violation);
                            if let Some(e) = latest_employee {
                                prop_assert!(d.send_after >= e, "the employee hears first");
                            }
                        }
                    }
                }
            }
        }
    }
}
