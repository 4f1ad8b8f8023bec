//! Work segments and shifts.

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

use crate::domain::clock_status::Interval;
use crate::domain::event::Location;
use crate::domain::local_days::local_date;

/// A gap of at least this long ends a shift (rules.md § 5.7).
pub const SHIFT_GAP: Duration = Duration::hours(8);

/// A half-open span of instants `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Span {
    #[must_use]
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        Self { start, end }
    }

    #[must_use]
    pub fn len(&self) -> Duration {
        self.end - self.start
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// The part of `self` inside `[from, to)`.
    #[must_use]
    pub fn clipped(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        let s = self.start.max(from);
        let e = self.end.min(to);
        if e > s { e - s } else { Duration::zero() }
    }
}

/// A stretch of working time: part of an interval between breaks (unpaid
/// breaks are cut out, paid ones are not).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkSegment {
    pub span: Span,
    /// The interval it belongs to (the id of its clock-in event).
    pub interval: Uuid,
    pub location: Option<Location>,
    /// The § 10-9 (2) extra break: working time, but not counted toward the
    /// overtime limits (rules.md § 1, `no.breaks`).
    pub extra_break: bool,
}

/// A run of intervals whose gaps are all shorter than [`SHIFT_GAP`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shift {
    /// First clock-in to last clock-out.
    pub span: Span,
    /// The local date of the first clock-in.
    pub day: NaiveDate,
    /// Indexes into [`Record::segments`].
    pub segments: std::ops::Range<usize>,
    /// Intervals of the shift, in order.
    pub intervals: Vec<Uuid>,
    /// Working time: the segments' total.
    pub worked: Duration,
    /// Work-free stretches inside the shift: clocked breaks (paid or not)
    /// and gaps between its intervals, in order.
    pub breaks: Vec<Span>,
}

/// An interval that has no clock-out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenInterval {
    pub interval: Uuid,
    pub start: DateTime<Utc>,
}

/// The working time of one employee, ready for the rules.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    /// In time order, never overlapping.
    pub segments: Vec<WorkSegment>,
    pub shifts: Vec<Shift>,
    /// Open intervals count no time (rules.md: no hours are guessed).
    pub open: Vec<OpenInterval>,
    /// Intervals touched by an amendment.
    pub amended: HashSet<Uuid>,
}

impl Record {
    /// Builds the record from paired intervals. `breaks_paid(date)` says
    /// whether breaks count as working time under the schedule of `date`.
    #[must_use]
    pub fn build(tz: Tz, intervals: &[Interval], breaks_paid: impl Fn(NaiveDate) -> bool) -> Self {
        Self::build_with_extra(tz, intervals, breaks_paid, &[])
    }

    /// As [`Record::build`], with `extra` the parts of clocked breaks that
    /// count as working time although breaks are unpaid: the § 10-9 (2)
    /// extra break. Their segments carry [`WorkSegment::extra_break`].
    #[must_use]
    pub fn build_with_extra(
        tz: Tz,
        intervals: &[Interval],
        breaks_paid: impl Fn(NaiveDate) -> bool,
        extra: &[Span],
    ) -> Self {
        let mut closed: Vec<&Interval> = Vec::new();
        let mut open = Vec::new();
        for i in intervals {
            match i.end {
                Some(end) if end > i.start => closed.push(i),
                Some(_) => {}
                None => open.push(OpenInterval {
                    interval: i.start_event,
                    start: i.start,
                }),
            }
        }
        closed.sort_by_key(|i| (i.start, i.start_event));

        let mut segments = Vec::new();
        let mut shifts: Vec<Shift> = Vec::new();
        for i in closed {
            let Some(end) = i.end else { continue };
            let paid = breaks_paid(local_date(tz, i.start));
            let clocked: Vec<Span> = i
                .breaks
                .iter()
                .map(|b| Span::new(b.start.max(i.start), b.end.unwrap_or(end).min(end)))
                .filter(|b| !b.is_empty())
                .collect();
            let first = segments.len();
            let mut pieces = Vec::new();
            let mut from = i.start;
            if !paid {
                for b in &clocked {
                    if b.start > from {
                        pieces.push(Span::new(from, b.start));
                    }
                    from = from.max(b.end);
                }
            }
            if end > from {
                pieces.push(Span::new(from, end));
            }
            let extra_here: Vec<Span> = extra
                .iter()
                .map(|e| Span::new(e.start.max(i.start), e.end.min(end)))
                .filter(|e| !e.is_empty())
                .collect();
            segments.extend(with_extra(&pieces, &extra_here, i));
            let worked: Duration = segments[first..].iter().map(|s| s.span.len()).sum();
            let span = Span::new(i.start, end);
            match shifts.last_mut() {
                Some(last) if i.start - last.span.end < SHIFT_GAP => {
                    if i.start > last.span.end {
                        last.breaks.push(Span::new(last.span.end, i.start));
                    }
                    last.span.end = end;
                    last.segments.end = segments.len();
                    last.intervals.push(i.start_event);
                    last.worked += worked;
                    last.breaks.extend(clocked);
                }
                _ => shifts.push(Shift {
                    span,
                    day: local_date(tz, i.start),
                    segments: first..segments.len(),
                    intervals: vec![i.start_event],
                    worked,
                    breaks: clocked,
                }),
            }
        }
        Self {
            segments,
            shifts,
            open,
            amended: HashSet::new(),
        }
    }

    /// The segments' spans, in order.
    #[must_use]
    pub fn spans(&self) -> Vec<Span> {
        self.segments.iter().map(|s| s.span).collect()
    }

    /// The shift a segment belongs to.
    #[must_use]
    pub fn shift_of_segment(&self, index: usize) -> Option<&Shift> {
        self.shifts.iter().find(|s| s.segments.contains(&index))
    }
}

/// The segments of one interval: its work `pieces` together with the
/// `extra` spans, cut where an extra span begins or ends, in order; a part
/// inside an extra span is flagged.
fn with_extra(pieces: &[Span], extra: &[Span], i: &Interval) -> Vec<WorkSegment> {
    if extra.is_empty() {
        return pieces.iter().map(|p| seg(*p, false, i)).collect();
    }
    let mut cuts: Vec<DateTime<Utc>> = pieces
        .iter()
        .chain(extra)
        .flat_map(|s| [s.start, s.end])
        .collect();
    cuts.sort();
    cuts.dedup();
    let inside = |spans: &[Span], t: DateTime<Utc>| spans.iter().any(|s| s.start <= t && t < s.end);
    let mut out: Vec<WorkSegment> = Vec::new();
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let flagged = inside(extra, a);
        if !flagged && !inside(pieces, a) {
            continue;
        }
        match out.last_mut() {
            Some(last) if last.span.end == a && last.extra_break == flagged => last.span.end = b,
            _ => out.push(seg(Span::new(a, b), flagged, i)),
        }
    }
    out
}

fn seg(span: Span, extra_break: bool, i: &Interval) -> WorkSegment {
    WorkSegment {
        span,
        interval: i.start_event,
        location: i.location,
        extra_break,
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration, Utc};
    use chrono_tz::Europe::Oslo;
    use uuid::Uuid;

    use super::*;
    use crate::domain::clock_status::Break;

    /// `hours:minutes` after an arbitrary origin.
    fn t(hours: i64, minutes: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + Duration::hours(hours) + Duration::minutes(minutes)
    }

    fn interval(start: DateTime<Utc>, end: DateTime<Utc>, breaks: &[(i64, i64)]) -> Interval {
        Interval {
            start,
            end: Some(end),
            location: None,
            breaks: breaks
                .iter()
                .map(|(s, e)| Break {
                    start: t(0, *s),
                    end: Some(t(0, *e)),
                })
                .collect(),
            start_event: Uuid::from_u128(1),
            end_event: Some(Uuid::from_u128(2)),
        }
    }

    /// A break starting at the clock-in, or where the last break ended,
    /// leaves no empty segment behind: every segment holds working time
    /// (mutation-run survivor: `b.start > from` → `>=` added a zero-length
    /// segment at the clock-in, a window start for the rolling rules).
    #[test]
    fn a_break_at_the_clock_in_leaves_no_empty_segment() {
        // 07:00–15:00 with breaks 07:00–07:30 and 07:30–08:00 (minutes
        // after the origin's 07:00 is 420).
        let i = interval(t(7, 0), t(15, 0), &[(420, 450), (450, 480)]);
        let r = Record::build(Oslo, &[i], |_| false);
        assert_eq!(r.spans(), vec![Span::new(t(8, 0), t(15, 0))]);
        assert_eq!(r.shifts.len(), 1);
        assert_eq!(r.shifts[0].worked, Duration::hours(7));
        assert_eq!(r.shifts[0].span, Span::new(t(7, 0), t(15, 0)));
    }

    fn at(start: DateTime<Utc>, end: DateTime<Utc>, id: u128) -> Interval {
        Interval {
            start_event: Uuid::from_u128(id),
            ..interval(start, end, &[])
        }
    }

    /// Intervals 8 h apart are two shifts; 7 h 59 min apart, one shift
    /// whose gap is a break. Touching intervals leave no empty break.
    #[test]
    fn a_gap_of_eight_hours_ends_a_shift() {
        let two = Record::build(
            Oslo,
            &[at(t(0, 0), t(4, 0), 1), at(t(12, 0), t(14, 0), 2)],
            |_| false,
        );
        assert_eq!(two.shifts.len(), 2);
        assert_eq!(two.shifts[1].span, Span::new(t(12, 0), t(14, 0)));
        assert_eq!(two.shifts[1].segments, 1..2);
        let one = Record::build(
            Oslo,
            &[
                at(t(0, 0), t(4, 0), 1),
                at(t(11, 59), t(14, 0), 2),
                at(t(14, 0), t(15, 0), 3),
            ],
            |_| false,
        );
        assert_eq!(one.shifts.len(), 1);
        let s = &one.shifts[0];
        assert_eq!(s.span, Span::new(t(0, 0), t(15, 0)));
        assert_eq!(s.segments, 0..3);
        assert_eq!(
            s.intervals,
            vec![Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3)]
        );
        assert_eq!(s.worked, Duration::minutes(4 * 60 + 121 + 60));
        assert_eq!(s.breaks, vec![Span::new(t(4, 0), t(11, 59))]);
        assert_eq!(one.shift_of_segment(2), Some(s));
        assert_eq!(one.shift_of_segment(3), None);
    }

    /// An interval of no length, or ending before it starts, is no work
    /// and no shift; an open one is kept apart.
    #[test]
    fn an_empty_interval_is_no_shift() {
        let mut open = at(t(20, 0), t(20, 0), 3);
        open.end = None;
        let r = Record::build(
            Oslo,
            &[at(t(8, 0), t(8, 0), 1), at(t(9, 0), t(8, 30), 2), open],
            |_| false,
        );
        assert_eq!(r.segments, vec![]);
        assert_eq!(r.shifts, vec![]);
        assert_eq!(
            r.open,
            vec![OpenInterval {
                interval: Uuid::from_u128(3),
                start: t(20, 0),
            }]
        );
    }

    /// Unpaid breaks are cut out of the working time (and clipped to the
    /// interval); paid ones are not, but both are the shift's breaks.
    #[test]
    fn unpaid_breaks_are_cut_out_and_paid_ones_are_not() {
        // Minutes after the origin: 12:00–12:30, and one running past the
        // clock-out 15:00 (14:50–15:10).
        let i = interval(t(8, 0), t(15, 0), &[(720, 750), (890, 910)]);
        let unpaid = Record::build(Oslo, std::slice::from_ref(&i), |_| false);
        assert_eq!(
            unpaid.spans(),
            vec![
                Span::new(t(8, 0), t(12, 0)),
                Span::new(t(12, 30), t(14, 50)),
            ]
        );
        assert_eq!(unpaid.shifts[0].worked, Duration::minutes(380));
        let paid = Record::build(Oslo, &[i], |_| true);
        assert_eq!(paid.spans(), vec![Span::new(t(8, 0), t(15, 0))]);
        assert_eq!(paid.shifts[0].worked, Duration::hours(7));
        let breaks = vec![
            Span::new(t(12, 0), t(12, 30)),
            Span::new(t(14, 50), t(15, 0)),
        ];
        assert_eq!(unpaid.shifts[0].breaks, breaks);
        assert_eq!(paid.shifts[0].breaks, breaks);
    }

    /// The § 10-9 (2) extra break: the part of a clocked break inside an
    /// extra span is working time, flagged; the segments around it are cut
    /// where it begins and ends.
    #[test]
    fn an_extra_break_is_flagged_working_time() {
        // 08:00–19:00 with breaks 12:00–12:30 and 17:00–17:40, of which
        // 17:00–17:30 is the extra break.
        let i = interval(t(8, 0), t(19, 0), &[(720, 750), (1020, 1060)]);
        let r = Record::build_with_extra(Oslo, &[i], |_| false, &[Span::new(t(17, 0), t(17, 30))]);
        let segs: Vec<(Span, bool)> = r.segments.iter().map(|s| (s.span, s.extra_break)).collect();
        assert_eq!(
            segs,
            vec![
                (Span::new(t(8, 0), t(12, 0)), false),
                (Span::new(t(12, 30), t(17, 0)), false),
                (Span::new(t(17, 0), t(17, 30)), true),
                (Span::new(t(17, 40), t(19, 0)), false),
            ]
        );
        assert_eq!(r.shifts[0].worked, Duration::minutes(240 + 270 + 30 + 80));
        // An extra span outside the interval adds nothing.
        let j = interval(t(8, 0), t(12, 0), &[]);
        let r = Record::build_with_extra(Oslo, &[j], |_| false, &[Span::new(t(13, 0), t(13, 30))]);
        assert_eq!(r.spans(), vec![Span::new(t(8, 0), t(12, 0))]);
        assert!(r.segments.iter().all(|s| !s.extra_break));
    }

    #[test]
    fn clipped_is_the_part_inside() {
        let s = Span::new(t(8, 0), t(12, 0));
        assert_eq!(s.clipped(t(10, 0), t(20, 0)), Duration::hours(2));
        assert_eq!(s.clipped(t(0, 0), t(9, 0)), Duration::hours(1));
        assert_eq!(s.clipped(t(12, 0), t(20, 0)), Duration::zero());
        assert_eq!(s.clipped(t(13, 0), t(20, 0)), Duration::zero());
        assert_eq!(s.clipped(t(9, 0), t(9, 30)), Duration::minutes(30));
    }
}
