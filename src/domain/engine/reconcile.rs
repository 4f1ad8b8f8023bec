//! Keeping stored findings current: new drafts are matched to stored
//! findings so that a breach keeps its identity while recomputation keeps
//! finding it (same rule, overlapping window), and findings no longer found
//! are resolved, never deleted.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::finding::{Draft, Evidence, Severity};
use super::record::Span;
use crate::domain::ids::EmployeeId;
use crate::domain::policy::ValueUnit;

/// Whether a finding still holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindingStatus {
    Open,
    Resolved,
}

impl FindingStatus {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "OPEN",
            Self::Resolved => "RESOLVED",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "OPEN" => Some(Self::Open),
            "RESOLVED" => Some(Self::Resolved),
            _ => None,
        }
    }
}

/// A finding as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub id: Uuid,
    pub employee: EmployeeId,
    pub rule_id: String,
    pub rule_pack: String,
    pub rule_pack_version: String,
    pub severity: Severity,
    pub status: FindingStatus,
    pub window: Span,
    pub at: DateTime<Utc>,
    pub measured: i64,
    pub limit: i64,
    pub unit: ValueUnit,
    pub limit_is_minimum: bool,
    pub explanation: String,
    pub citation: String,
    pub agreement: Option<Uuid>,
    pub evidence: Vec<Evidence>,
    pub first_seen_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

impl Finding {
    fn same_figures(&self, d: &Draft, pack: &str, version: &str) -> bool {
        self.severity == d.severity
            && self.window == d.window
            && self.at == d.at
            && self.measured == d.measured
            && self.limit == d.limit
            && self.explanation == d.explanation
            && self.citation == d.citation
            && self.agreement == d.agreement
            && self.evidence == d.evidence
            && self.rule_pack == pack
            && self.rule_pack_version == version
    }

    fn take(&mut self, d: &Draft, pack: &str, version: &str) {
        self.severity = d.severity;
        self.window = d.window;
        self.at = d.at;
        self.measured = d.measured;
        self.limit = d.limit;
        self.unit = d.unit;
        self.limit_is_minimum = d.limit_is_minimum;
        self.explanation.clone_from(&d.explanation);
        self.citation = d.citation.to_string();
        self.agreement = d.agreement;
        self.evidence.clone_from(&d.evidence);
        self.rule_pack = pack.to_string();
        self.rule_pack_version = version.to_string();
    }
}

fn overlaps(a: Span, b: Span) -> bool {
    (a.start < b.end && b.start < a.end) || a == b
}

/// What to write: findings to insert and findings to update.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    pub insert: Vec<Finding>,
    pub update: Vec<Finding>,
}

/// Matches `drafts` against `existing` (the stored findings in the
/// recomputed scope). `new_id` makes ids for new findings.
#[must_use]
pub fn reconcile(
    employee: EmployeeId,
    (pack, version): (&str, &str),
    existing: Vec<Finding>,
    drafts: &[Draft],
    now: DateTime<Utc>,
    new_id: &mut dyn FnMut() -> Uuid,
) -> Changes {
    let mut pool: Vec<(Finding, bool)> = existing.into_iter().map(|f| (f, false)).collect();
    // Open findings are matched first, so a resolved one is reopened only
    // when no open one fits.
    pool.sort_by_key(|(f, _)| (f.status != FindingStatus::Open, f.first_seen_at, f.id));
    let mut changes = Changes::default();
    for d in drafts {
        // The same window first: neighbouring windows overlap (24 h rest
        // windows on consecutive days), and must not swap identities.
        let exact = pool
            .iter()
            .position(|(f, used)| !*used && f.rule_id == d.rule_id && f.window == d.window);
        let index = exact.or_else(|| {
            pool.iter().position(|(f, used)| {
                !*used && f.rule_id == d.rule_id && overlaps(f.window, d.window)
            })
        });
        let hit = index.map(|i| &mut pool[i]);
        match hit {
            Some((f, used)) => {
                *used = true;
                if f.status == FindingStatus::Open && f.same_figures(d, pack, version) {
                    continue;
                }
                let mut g = f.clone();
                g.take(d, pack, version);
                g.status = FindingStatus::Open;
                g.resolved_at = None;
                g.updated_at = now;
                changes.update.push(g);
            }
            None => changes.insert.push(Finding {
                id: new_id(),
                employee,
                rule_id: d.rule_id.to_string(),
                rule_pack: pack.to_string(),
                rule_pack_version: version.to_string(),
                severity: d.severity,
                status: FindingStatus::Open,
                window: d.window,
                at: d.at,
                measured: d.measured,
                limit: d.limit,
                unit: d.unit,
                limit_is_minimum: d.limit_is_minimum,
                explanation: d.explanation.clone(),
                citation: d.citation.to_string(),
                agreement: d.agreement,
                evidence: d.evidence.clone(),
                first_seen_at: now,
                updated_at: now,
                resolved_at: None,
            }),
        }
    }
    for (f, used) in pool {
        if !used && f.status == FindingStatus::Open {
            let mut g = f;
            g.status = FindingStatus::Resolved;
            g.resolved_at = Some(now);
            g.updated_at = now;
            changes.update.push(g);
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::engine::testing::{oslo, run, work};

    /// The stored names: `derived.rs` writes `as_str` and reads `parse`
    /// (a mutation run found `parse` → `None` unnoticed by unit tests).
    #[test]
    fn status_names_are_the_stored_ones_and_parse_back() {
        let all = [FindingStatus::Open, FindingStatus::Resolved];
        assert_eq!(all.map(FindingStatus::as_str), ["OPEN", "RESOLVED"]);
        for s in all {
            assert_eq!(FindingStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(FindingStatus::parse("open"), None);
        assert_eq!(FindingStatus::parse(""), None);
    }

    fn ids() -> impl FnMut() -> Uuid {
        let mut n = 0u128;
        move || {
            n += 1;
            Uuid::from_u128(n)
        }
    }

    #[test]
    fn a_breach_keeps_its_id_and_resolves_when_gone() {
        let e = EmployeeId(Uuid::nil());
        let now = oslo(2026, 11, 20, 12, 0);
        let short = run(&work(
            oslo(2026, 11, 18, 9, 0),
            oslo(2026, 11, 18, 15, 0),
            &[],
        ));
        let first = reconcile(
            e,
            ("no-aml", "2026.1"),
            vec![],
            &short.findings,
            now,
            &mut ids(),
        );
        assert_eq!((first.insert.len(), first.update.len()), (1, 0));
        // Same record again: nothing to write.
        let again = reconcile(
            e,
            ("no-aml", "2026.1"),
            first.insert.clone(),
            &short.findings,
            now,
            &mut ids(),
        );
        assert_eq!(again, Changes::default());
        // Longer day: same finding, new figures.
        let longer = run(&work(
            oslo(2026, 11, 18, 9, 0),
            oslo(2026, 11, 18, 15, 30),
            &[],
        ));
        let later = now + chrono::Duration::hours(1);
        let upd = reconcile(
            e,
            ("no-aml", "2026.1"),
            first.insert.clone(),
            &longer.findings,
            later,
            &mut ids(),
        );
        assert_eq!(upd.update.len(), 1);
        assert_eq!(upd.update[0].id, first.insert[0].id);
        assert_eq!(upd.update[0].updated_at, later);
        // A correction adds a break: resolved, kept.
        let gone = reconcile(
            e,
            ("no-aml", "2026.1"),
            first.insert.clone(),
            &[],
            later,
            &mut ids(),
        );
        assert_eq!(gone.update[0].status, FindingStatus::Resolved);
        assert_eq!(gone.update[0].resolved_at, Some(later));
    }

    /// A draft is matched to the stored finding of its own rule, however
    /// the stored findings are ordered (mutation-run survivor: `!used ||
    /// same rule && same window`).
    #[test]
    fn a_draft_matches_the_finding_of_its_own_rule() {
        let e = EmployeeId(Uuid::nil());
        let now = oslo(2026, 11, 20, 12, 0);
        let pack = ("no-aml", "2026.1");
        let drafts = run(&work(
            oslo(2026, 11, 18, 7, 0),
            oslo(2026, 11, 18, 21, 0),
            &[],
        ))
        .findings;
        let stored = reconcile(e, pack, vec![], &drafts, now, &mut ids()).insert;
        assert!(stored.len() >= 2);
        assert_ne!(stored[0].rule_id, stored[1].rule_id);
        // Only the second rule's finding still holds: the first resolves.
        let c = reconcile(e, pack, stored.clone(), &drafts[1..], now, &mut ids());
        assert_eq!(c.insert, vec![]);
        assert_eq!(c.update.len(), 1);
        assert_eq!(c.update[0].id, stored[0].id);
        assert_eq!(c.update[0].status, FindingStatus::Resolved);
    }

    /// A draft whose window moved keeps the identity of its own rule's
    /// overlapping finding, never another rule's unused one (a mutation
    /// run found `&&` → `||` in the overlap match unnoticed).
    #[test]
    fn a_moved_window_keeps_its_own_rules_identity() {
        let e = EmployeeId(Uuid::nil());
        let now = oslo(2026, 11, 20, 12, 0);
        let pack = ("no-aml", "2026.1");
        let drafts = run(&work(
            oslo(2026, 11, 18, 7, 0),
            oslo(2026, 11, 18, 21, 0),
            &[],
        ))
        .findings;
        let stored = reconcile(e, pack, vec![], &drafts, now, &mut ids()).insert;
        assert_ne!(stored[0].rule_id, stored[1].rule_id);
        let mut moved = drafts[1].clone();
        moved.window.end += chrono::Duration::minutes(1);
        let c = reconcile(e, pack, stored.clone(), &[moved], now, &mut ids());
        assert_eq!(c.insert, vec![]);
        let own = c
            .update
            .iter()
            .find(|f| f.rule_id == stored[1].rule_id)
            .unwrap();
        assert_eq!(own.id, stored[1].id);
        assert_eq!(own.status, FindingStatus::Open);
        let other = c.update.iter().find(|f| f.id == stored[0].id).unwrap();
        assert_eq!(other.status, FindingStatus::Resolved);
    }

    /// One edit of a stored finding.
    type Change = Box<dyn Fn(&mut Finding)>;

    /// A stored finding whose figures differ from its draft's in any one
    /// field is rewritten (mutation-run survivor: `&&` → `||` in
    /// `same_figures`).
    #[test]
    fn any_changed_figure_rewrites_the_finding() {
        let e = EmployeeId(Uuid::nil());
        let now = oslo(2026, 11, 20, 12, 0);
        let pack = ("no-aml", "2026.1");
        let drafts = run(&work(
            oslo(2026, 11, 18, 9, 0),
            oslo(2026, 11, 18, 15, 0),
            &[],
        ))
        .findings;
        let stored = reconcile(e, pack, vec![], &drafts, now, &mut ids()).insert;
        assert_eq!(stored.len(), 1);
        let changes: Vec<(&str, Change)> = vec![
            (
                "severity",
                Box::new(|f| {
                    f.severity = if f.severity == Severity::Warning {
                        Severity::Violation
                    } else {
                        Severity::Warning
                    };
                }),
            ),
            (
                "window",
                Box::new(|f| f.window.end += chrono::Duration::seconds(1)),
            ),
            ("at", Box::new(|f| f.at += chrono::Duration::seconds(1))),
            ("measured", Box::new(|f| f.measured += 1)),
            ("limit", Box::new(|f| f.limit += 1)),
            ("explanation", Box::new(|f| f.explanation.push('.'))),
            ("citation", Box::new(|f| f.citation.push('.'))),
            (
                "agreement",
                Box::new(|f| f.agreement = Some(Uuid::from_u128(7))),
            ),
            ("evidence", Box::new(|f| f.evidence.clear())),
            ("rule_pack", Box::new(|f| f.rule_pack = "eu-wtd".into())),
            (
                "rule_pack_version",
                Box::new(|f| f.rule_pack_version.push('.')),
            ),
        ];
        assert!(!stored[0].evidence.is_empty());
        for (field, change) in &changes {
            let mut f = stored[0].clone();
            change(&mut f);
            let c = reconcile(e, pack, vec![f], &drafts, now, &mut ids());
            assert_eq!((c.insert.len(), c.update.len()), (0, 1), "{field}");
            assert_eq!(c.update[0], stored[0], "{field}");
        }
    }

    /// Windows are half-open: touching ones do not overlap; an empty
    /// window (a clock-in while open) overlaps only itself.
    #[test]
    fn touching_windows_do_not_overlap() {
        let t = |h| oslo(2026, 11, 18, h, 0);
        let a = Span::new(t(8), t(12));
        assert!(overlaps(a, Span::new(t(11), t(13))));
        assert!(overlaps(Span::new(t(11), t(13)), a));
        assert!(!overlaps(a, Span::new(t(12), t(14))));
        assert!(!overlaps(Span::new(t(12), t(14)), a));
        assert!(!overlaps(Span::new(t(4), t(8)), a));
        assert!(overlaps(Span::new(t(9), t(9)), Span::new(t(9), t(9))));
        assert!(!overlaps(Span::new(t(9), t(9)), Span::new(t(10), t(10))));
    }

    /// A draft reopens a resolved finding only when no open one fits: the
    /// open one keeps the identity, and a reopened one is open again with
    /// no resolution time.
    #[test]
    fn an_open_finding_is_matched_before_a_resolved_one() {
        let e = EmployeeId(Uuid::nil());
        let now = oslo(2026, 11, 20, 12, 0);
        let pack = ("no-aml", "2026.1");
        let drafts = run(&work(
            oslo(2026, 11, 18, 9, 0),
            oslo(2026, 11, 18, 15, 0),
            &[],
        ))
        .findings;
        let stored = reconcile(e, pack, vec![], &drafts, now, &mut ids()).insert;
        let open = stored[0].clone();
        let mut resolved = open.clone();
        resolved.id = Uuid::from_u128(99);
        resolved.status = FindingStatus::Resolved;
        resolved.resolved_at = Some(now);
        resolved.first_seen_at = now - chrono::Duration::days(1);
        let c = reconcile(
            e,
            pack,
            vec![resolved.clone(), open.clone()],
            &drafts,
            now,
            &mut ids(),
        );
        assert_eq!(c, Changes::default(), "the open one matches, unchanged");
        let later = now + chrono::Duration::hours(1);
        let c = reconcile(e, pack, vec![resolved.clone()], &drafts, later, &mut ids());
        assert_eq!(c.insert, vec![]);
        assert_eq!(c.update.len(), 1);
        assert_eq!(c.update[0].id, resolved.id);
        assert_eq!(c.update[0].status, FindingStatus::Open);
        assert_eq!(c.update[0].resolved_at, None);
        assert_eq!(c.update[0].updated_at, later);
        // A resolved finding no longer found stays as it is.
        let c = reconcile(e, pack, vec![resolved], &[], later, &mut ids());
        assert_eq!(c, Changes::default());
    }
}
