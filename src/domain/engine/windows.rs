//! Rolling windows (rules.md § 0): "any 24 h / 7 days / 4 weeks / 52 weeks"
//! are windows of elapsed time that start at every start of work (or of an
//! overtime segment). Sums are clipped to the window.

use chrono::{DateTime, Duration, Utc};

use super::record::Span;

/// The worst window found for a maximum, and where a threshold was crossed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxBreach {
    /// The window with the highest sum in the episode.
    pub window: Span,
    /// That highest sum.
    pub measured: Duration,
    /// The first instant at which the sum reached the threshold.
    pub at: DateTime<Utc>,
    /// Every window of the episode, merged: the evidence lies in here.
    pub extent: Span,
}

/// One window's sum and when (if ever) it reached `threshold`.
fn window_sum(
    spans: &[Span],
    from: usize,
    window: Span,
    threshold: Duration,
) -> (Duration, Option<DateTime<Utc>>) {
    let mut sum = Duration::zero();
    let mut reached = None;
    for s in &spans[from..] {
        if s.start >= window.end {
            break;
        }
        let part = s.clipped(window.start, window.end);
        if reached.is_none() && sum + part >= threshold && part > Duration::zero() {
            reached = Some(s.start.max(window.start) + (threshold - sum));
        }
        sum += part;
    }
    (sum, reached)
}

/// Episodes in which some window of length `len` holds more than `limit`
/// (or, with `strict == false`, at least `limit`). Overlapping breaching
/// windows form one episode. `spans` must be sorted and disjoint. Only
/// windows starting in `starts_in` are examined (the rest are someone
/// else's, in an incremental recompute).
#[must_use]
pub fn max_episodes(
    spans: &[Span],
    len: Duration,
    limit: Duration,
    strict: bool,
    starts_in: Span,
) -> Vec<MaxBreach> {
    let mut out: Vec<MaxBreach> = Vec::new();
    for (i, s) in spans.iter().enumerate() {
        if s.start < starts_in.start || s.start >= starts_in.end {
            continue;
        }
        let window = Span::new(s.start, s.start + len);
        // Reaching the limit exactly is not over it: the sum must pass it.
        let (sum, reached) = window_sum(spans, i, window, limit);
        let breach = if strict { sum > limit } else { sum >= limit };
        if !breach {
            continue;
        }
        let at = reached.unwrap_or(window.start);
        match out.last_mut() {
            Some(ep) if window.start < ep.extent.end => {
                ep.extent.end = ep.extent.end.max(window.end);
                ep.at = ep.at.min(at);
                if sum > ep.measured {
                    ep.measured = sum;
                    ep.window = window;
                }
            }
            _ => out.push(MaxBreach {
                window,
                measured: sum,
                at,
                extent: window,
            }),
        }
    }
    out
}

/// The largest sum of any window of length `len` ending at or before `at`
/// that contains `at`'s trailing window, i.e. the window `[at − len, at)`.
#[must_use]
pub fn trailing_sum(spans: &[Span], len: Duration, at: DateTime<Utc>) -> Duration {
    spans.iter().map(|s| s.clipped(at - len, at)).sum()
}

/// The longest work-free gap in `window`, given sorted disjoint work spans:
/// `(gap, length)`. Time after the last work in the window counts as rest.
#[must_use]
pub fn longest_rest(spans: &[Span], window: Span) -> (Span, Duration) {
    let mut best = (Span::new(window.start, window.start), Duration::zero());
    let mut cursor = window.start;
    for s in spans {
        if s.end <= window.start {
            continue;
        }
        if s.start >= window.end {
            break;
        }
        let gap = Span::new(cursor, s.start.min(window.end));
        if gap.len() > best.1 {
            best = (gap, gap.len());
        }
        cursor = cursor.max(s.end);
    }
    if cursor < window.end {
        let gap = Span::new(cursor, window.end);
        if gap.len() > best.1 {
            best = (gap, gap.len());
        }
    }
    best
}

/// A window in which the longest rest is shorter than required.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestBreach {
    pub window: Span,
    /// The longest rest in the window.
    pub rest: Span,
    pub measured: Duration,
}

/// Windows of `len` starting at every work start in `starts_in` whose
/// longest rest is shorter than `min`. Windows whose longest rest is the
/// same gap are one breach (the first such window is kept); with
/// `merge_overlapping`, overlapping breaching windows are one breach too.
#[must_use]
pub fn rest_breaches(
    spans: &[Span],
    len: Duration,
    min: Duration,
    starts_in: Span,
    merge_overlapping: bool,
) -> Vec<RestBreach> {
    let mut out: Vec<RestBreach> = Vec::new();
    for s in spans {
        if s.start < starts_in.start || s.start >= starts_in.end {
            continue;
        }
        let window = Span::new(s.start, s.start + len);
        let (rest, measured) = longest_rest(spans, window);
        if measured >= min {
            continue;
        }
        let same = out.iter().any(|b| b.rest == rest)
            || (merge_overlapping && out.last().is_some_and(|b| window.start < b.window.end));
        if !same {
            out.push(RestBreach {
                window,
                rest,
                measured,
            });
        }
    }
    out
}

/// Sorts and merges touching spans.
#[must_use]
pub fn merged(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort();
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for s in spans {
        match out.last_mut() {
            Some(last) if s.start <= last.end => last.end = last.end.max(s.end),
            _ => out.push(s),
        }
    }
    out
}

/// The sum of `spans` inside `window` and the instant it reached `threshold`.
#[must_use]
pub fn sum_and_crossing(
    spans: &[Span],
    window: Span,
    threshold: Duration,
) -> (Duration, Option<DateTime<Utc>>) {
    let from = spans.partition_point(|s| s.end <= window.start);
    window_sum(spans, from, window, threshold)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration, Utc};

    use super::*;

    /// `hours:minutes` after an arbitrary origin.
    fn t(hours: i64, minutes: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + Duration::hours(hours) + Duration::minutes(minutes)
    }

    /// Work before a window adds nothing to it and does not reach its
    /// threshold, even a threshold of zero: that is reached by the first
    /// work inside (a mutation run found `part > 0` → `>= 0` unnoticed).
    #[test]
    fn work_before_a_window_reaches_nothing_in_it() {
        let spans = [Span::new(t(0, 0), t(2, 0)), Span::new(t(5, 0), t(6, 0))];
        let window = Span::new(t(3, 0), t(10, 0));
        assert_eq!(
            sum_and_crossing(&spans, window, Duration::zero()),
            (Duration::hours(1), Some(t(5, 0)))
        );
        assert_eq!(
            window_sum(&spans, 0, window, Duration::zero()),
            (Duration::hours(1), Some(t(5, 0)))
        );
        assert_eq!(
            window_sum(&spans, 0, window, Duration::minutes(30)),
            (Duration::hours(1), Some(t(5, 30)))
        );
    }

    fn episodes(second_start: DateTime<Utc>) -> Vec<MaxBreach> {
        let spans = [
            Span::new(t(0, 0), t(13, 30)),
            Span::new(second_start, t(37, 30)),
        ];
        max_episodes(
            &spans,
            Duration::hours(24),
            Duration::hours(13),
            true,
            Span::new(t(0, 0), t(100, 0)),
        )
    }

    /// Windows are half-open: a window starting where the last breaching
    /// one ends does not overlap it, so it is a new episode (mutation-run
    /// survivor: `window.start <= ep.extent.end`). A minute earlier, it
    /// overlaps: one episode.
    #[test]
    fn touching_windows_are_two_episodes() {
        let eps = episodes(t(24, 0));
        assert_eq!(eps.len(), 2);
        assert_eq!((eps[0].at, eps[1].at), (t(13, 0), t(37, 0)));
        assert_eq!(episodes(t(23, 59)).len(), 1);
    }

    /// Only windows starting in `starts_in` are judged; the rest belong to
    /// another recompute (mutation-run survivor: `||` → `&&`).
    #[test]
    fn only_windows_starting_in_scope_are_judged() {
        let spans = [
            Span::new(t(0, 0), t(13, 30)),
            Span::new(t(24, 0), t(37, 30)),
        ];
        let judged = |starts_in: Span| {
            max_episodes(
                &spans,
                Duration::hours(24),
                Duration::hours(13),
                true,
                starts_in,
            )
            .iter()
            .map(|e| e.window.start)
            .collect::<Vec<_>>()
        };
        assert_eq!(judged(Span::new(t(0, 1), t(100, 0))), vec![t(24, 0)]);
        assert_eq!(judged(Span::new(t(0, 0), t(24, 0))), vec![t(0, 0)]);
    }

    /// An episode reports its worst window: the highest sum, wherever it
    /// starts (mutation-run survivor: `sum > ep.measured` → `==`).
    #[test]
    fn an_episode_reports_its_worst_window() {
        let spans = [
            Span::new(t(0, 0), t(1, 0)),
            Span::new(t(10, 0), t(23, 30)),
            Span::new(t(24, 0), t(30, 0)),
        ];
        let eps = max_episodes(
            &spans,
            Duration::hours(24),
            Duration::hours(13),
            true,
            Span::new(t(0, 0), t(100, 0)),
        );
        assert_eq!(eps.len(), 1);
        // [0 h, 24 h) holds 14 h 30; [10 h, 34 h) holds 19 h 30.
        assert_eq!(eps[0].measured, Duration::minutes(19 * 60 + 30));
        assert_eq!(eps[0].window.start, t(10, 0));
        assert_eq!(eps[0].at, t(22, 0));
    }

    /// A threshold reached exactly at the end of a span is reached there,
    /// not at the start of the next span.
    #[test]
    fn a_threshold_reached_at_a_spans_end_is_reached_there() {
        let spans = [Span::new(t(0, 0), t(2, 0)), Span::new(t(3, 0), t(5, 0))];
        let window = Span::new(t(0, 0), t(10, 0));
        assert_eq!(
            sum_and_crossing(&spans, window, Duration::hours(2)),
            (Duration::hours(4), Some(t(2, 0)))
        );
        assert_eq!(
            sum_and_crossing(&spans, window, Duration::minutes(121)),
            (Duration::hours(4), Some(t(3, 1)))
        );
        assert_eq!(
            sum_and_crossing(&spans, window, Duration::minutes(241)),
            (Duration::hours(4), None)
        );
        // A window starting inside the first span counts only its part.
        assert_eq!(
            sum_and_crossing(&spans, Span::new(t(1, 0), t(4, 0)), Duration::hours(2)),
            (Duration::hours(2), Some(t(4, 0)))
        );
    }

    /// Of two equally long rests the first is the longest; a rest after
    /// the last work runs to the window's end.
    #[test]
    fn the_longest_rest_is_the_first_of_equals() {
        let spans = [
            Span::new(t(0, 0), t(1, 0)),
            Span::new(t(5, 0), t(6, 0)),
            Span::new(t(10, 0), t(11, 0)),
        ];
        assert_eq!(
            longest_rest(&spans, Span::new(t(0, 0), t(15, 0))),
            (Span::new(t(1, 0), t(5, 0)), Duration::hours(4))
        );
        assert_eq!(
            longest_rest(&spans, Span::new(t(0, 30), t(16, 0))),
            (Span::new(t(11, 0), t(16, 0)), Duration::hours(5))
        );
        // A window starting inside a rest counts it from the window's start.
        assert_eq!(
            longest_rest(&spans, Span::new(t(2, 0), t(10, 30))),
            (Span::new(t(6, 0), t(10, 0)), Duration::hours(4))
        );
    }

    /// Overlapping breaching windows are one breach with
    /// `merge_overlapping`; a window starting where the last breach's ends
    /// does not overlap it (half-open) and is a breach of its own.
    #[test]
    fn touching_rest_windows_are_two_breaches() {
        let spans: Vec<Span> = [0, 3, 6, 10, 13, 16, 19]
            .iter()
            .map(|h| Span::new(t(*h, 0), t(*h + 1, 0)))
            .collect();
        let breaches = |merge| {
            rest_breaches(
                &spans,
                Duration::hours(10),
                Duration::hours(4),
                Span::new(t(0, 0), t(100, 0)),
                merge,
            )
            .iter()
            .map(|b| (b.window.start, b.rest, b.measured))
            .collect::<Vec<_>>()
        };
        assert_eq!(
            breaches(true),
            vec![
                (t(0, 0), Span::new(t(7, 0), t(10, 0)), Duration::hours(3)),
                (t(10, 0), Span::new(t(11, 0), t(13, 0)), Duration::hours(2)),
            ]
        );
        // Without merging, each other rest is a breach of its own.
        assert_eq!(
            breaches(false).iter().map(|b| b.0).collect::<Vec<_>>(),
            vec![t(0, 0), t(10, 0), t(13, 0)]
        );
        // The shortest longest rest is 2 h (from 10:00): exactly the
        // minimum is enough, a minute more is not.
        let with_min = |min: Duration| {
            rest_breaches(
                &spans,
                Duration::hours(10),
                min,
                Span::new(t(0, 0), t(100, 0)),
                true,
            )
            .len()
        };
        assert_eq!(with_min(Duration::hours(2)), 0);
        assert_eq!(with_min(Duration::minutes(121)), 1);
    }

    /// The trailing sum is the work in `[at − len, at)`.
    #[test]
    fn the_trailing_sum_is_clipped_to_its_window() {
        let spans = [Span::new(t(0, 0), t(2, 0)), Span::new(t(3, 0), t(5, 0))];
        assert_eq!(
            trailing_sum(&spans, Duration::hours(3), t(4, 0)),
            Duration::hours(2)
        );
        assert_eq!(
            trailing_sum(&spans, Duration::hours(24), t(5, 0)),
            Duration::hours(4)
        );
    }

    /// Touching spans merge, apart ones do not.
    #[test]
    fn merged_joins_touching_spans_only() {
        let a = Span::new(t(0, 0), t(2, 0));
        let b = Span::new(t(2, 0), t(3, 0));
        let c = Span::new(t(3, 1), t(4, 0));
        assert_eq!(merged(vec![c, b, a]), vec![Span::new(t(0, 0), t(3, 0)), c]);
        assert_eq!(
            merged(vec![Span::new(t(0, 0), t(5, 0)), b]),
            vec![Span::new(t(0, 0), t(5, 0))]
        );
    }
}
