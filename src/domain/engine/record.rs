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
