//! How the findings told in one email are grouped and ordered.
//!
//! One evening can break several rules at once: work into the night, at
//! home without an agreement, the third late evening of the week, too short
//! a rest before the next morning. Told one by one, the reader hears about
//! the same hours four times. So findings that rest on a common worked
//! interval (their evidence) become one item that lists what was seen, and
//! the items go legal first (violations, then warnings, then patterns),
//! because those are what the reader must act on. Findings with no
//! evidence (a share over weeks) stand alone.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::engine::finding::Severity;

/// An item resting on at most this many intervals is about particular
/// hours (a shift, or the rest between two) and is told by them; a larger
/// one by its days.
pub const SHIFT_SCALE: usize = 2;

/// What grouping needs to know of a finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Told {
    pub severity: Severity,
    /// When the limit was passed (the finding's `at`).
    pub at: DateTime<Utc>,
    /// The worked intervals that are its evidence.
    pub intervals: Vec<Uuid>,
}

/// Groups `told` into items: indexes into `told`, each item ordered most
/// severe first (then by `at`), the items ordered by their most severe
/// finding (then by `at`, then by index, so the order is total).
#[must_use]
pub fn group(told: &[Told]) -> Vec<Vec<usize>> {
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    // Union-find over findings that share an evidence interval.
    let mut parent: Vec<usize> = (0..told.len()).collect();
    for a in 0..told.len() {
        for b in a + 1..told.len() {
            if told[a]
                .intervals
                .iter()
                .any(|i| told[b].intervals.contains(i))
            {
                let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
                if ra != rb {
                    parent[rb.max(ra)] = ra.min(rb);
                }
            }
        }
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut roots: Vec<usize> = Vec::new();
    for i in 0..told.len() {
        let r = root(&mut parent, i);
        if let Some(k) = roots.iter().position(|x| *x == r) {
            groups[k].push(i);
        } else {
            roots.push(r);
            groups.push(vec![i]);
        }
    }
    let key = |i: &usize| (told[*i].severity, told[*i].at, *i);
    for g in &mut groups {
        g.sort_by_key(key);
    }
    groups.sort_by_key(|g| key(&g[0]));
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 17, h, 0, 0).unwrap()
    }

    fn t(severity: Severity, h: u32, intervals: &[u128]) -> Told {
        Told {
            severity,
            at: at(h),
            intervals: intervals.iter().map(|n| Uuid::from_u128(*n)).collect(),
        }
    }

    #[test]
    fn the_same_hours_are_one_item_and_the_law_comes_first() {
        use Severity::{Pattern, Violation, Warning};
        // Monday's long day (1); Tuesday's shift (2): core hours missed,
        // night work; the short rest between Tuesday (2) and Wednesday (3);
        // a missing break on Friday (4); a warning with no intervals (the
        // home-office share over weeks).
        let told = [
            t(Pattern, 13, &[2]),
            t(Pattern, 21, &[2]),
            t(Violation, 22, &[2, 3]),
            t(Violation, 12, &[4]),
            t(Pattern, 18, &[1]),
            t(Warning, 9, &[]),
        ];
        assert_eq!(
            group(&told),
            vec![vec![3], vec![2, 0, 1], vec![5], vec![4]],
            "violations first (by when), each item most severe first"
        );
    }

    #[test]
    fn evening_night_home_and_rest_of_one_evening_are_one_item() {
        use Severity::{Pattern, Violation};
        // Tuesday evening at home (2) into the night, the third late
        // evening of the week (1, 2, 4), at home without an agreement all
        // week (1, 2, 3, 4), and too short a rest before Wednesday (2, 3).
        let told = [
            t(Pattern, 18, &[1, 2, 4]),
            t(Pattern, 21, &[2]),
            t(Pattern, 8, &[1, 2, 3, 4]),
            t(Violation, 22, &[2, 3]),
        ];
        assert_eq!(group(&told), vec![vec![3, 2, 0, 1]]);
    }

    #[test]
    fn nothing_in_common_stays_apart_and_empty_is_empty() {
        let told = [t(Severity::Pattern, 9, &[1]), t(Severity::Pattern, 8, &[2])];
        assert_eq!(group(&told), vec![vec![1], vec![0]]);
        assert!(group(&[]).is_empty());
    }
}
