//! Pairing effective events into work intervals, and the clock status that
//! falls out of it.
//!
//! Events are taken in `occurred_at` order, whatever order they arrived in.
//! Nothing is guessed: a missing clock-out leaves the interval open, and every
//! event that does not fit the current state is reported as an anomaly
//! instead of being dropped silently.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::engine::record::Span;
use super::event::{Amendment, EffectiveEvent, EventKind, Location, StoredEvent};

/// A clocked break inside an interval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Break {
    pub start: DateTime<Utc>,
    /// `None` while the break is still going on.
    pub end: Option<DateTime<Utc>>,
}

/// A run of work from a clock-in to its clock-out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interval {
    pub start: DateTime<Utc>,
    /// `None` for an open interval (no clock-out yet, or never).
    pub end: Option<DateTime<Utc>>,
    pub location: Option<Location>,
    pub breaks: Vec<Break>,
    pub start_event: Uuid,
    pub end_event: Option<Uuid>,
}

/// An event that does not fit the state it arrives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnomalyKind {
    /// A clock-in while an interval is open: the open one stays open.
    ClockInWhileOpen,
    /// A clock-out with no open interval.
    ClockOutWithoutIn,
    /// A break start outside work, or during a break.
    BreakStartNotWorking,
    /// A break end with no break going on.
    BreakEndWithoutBreak,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anomaly {
    pub kind: AnomalyKind,
    pub event: Uuid,
    pub at: DateTime<Utc>,
}

/// Where an employee stands after the last event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClockState {
    ClockedOut,
    Working,
    OnBreak,
}

/// The current status, derived from the whole effective record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClockStatus {
    pub state: ClockState,
    pub clocked_in_since: Option<DateTime<Utc>>,
    pub state_since: Option<DateTime<Utc>>,
    pub location: Option<Location>,
    pub last_event: Option<(Uuid, DateTime<Utc>)>,
    pub event_count: usize,
}

/// The result of pairing: intervals in start order, anomalies, final status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pairing {
    pub intervals: Vec<Interval>,
    pub anomalies: Vec<Anomaly>,
    pub status: ClockStatus,
}

/// Pairs events into intervals. The input order does not matter.
///
/// Events at the same instant are taken in an order that fits the state
/// where one exists (a clock-out at 12:00 and the next clock-in at 12:00 pair
/// as a closed interval and a new one, in whichever order they are listed);
/// otherwise by kind and id, so the result depends only on the set.
#[must_use]
pub fn pair(events: &[EffectiveEvent]) -> Pairing {
    let mut sorted: Vec<&EffectiveEvent> = events.iter().collect();
    sorted.sort_by_key(|e| (e.occurred_at, e.kind, e.id));

    let mut p = Pairer::default();
    let mut i = 0;
    while i < sorted.len() {
        let t = sorted[i].occurred_at;
        let mut group: Vec<&EffectiveEvent> = sorted[i..]
            .iter()
            .take_while(|e| e.occurred_at == t)
            .copied()
            .collect();
        i += group.len();
        while !group.is_empty() {
            let pick = group.iter().position(|e| p.fits(e.kind)).unwrap_or(0);
            p.step(group.remove(pick));
        }
    }
    p.finish(events.len())
}

/// How much before the first instant whose figures it trusts (and after
/// the last, where a reader's range ends before now) every reader of the
/// record (recompute, headroom, timesheet, payroll) loads events, so that
/// a shift running across those instants is whole. A shift longer than
/// this that a load cuts reads as a clock-out without its clock-in (see
/// [`drop_cut_interval`]): a forgotten clock-out of more than two days,
/// which is a finding of its own already.
pub const SHIFT_MARGIN: Duration = Duration::days(2);

/// The events of `effective` in `load` (`[start, end)`), as a reader that loaded
/// only those must pair them: without the tail of an interval the load cut
/// ([`drop_cut_interval`]) when it ends before `margin_end`, the end of the
/// margin the reader loaded for shifts crossing into what it trusts.
#[must_use]
pub fn loaded_between(
    effective: Vec<EffectiveEvent>,
    load: Span,
    margin_end: DateTime<Utc>,
) -> Vec<EffectiveEvent> {
    let mut loaded: Vec<_> = effective
        .into_iter()
        .filter(|e| e.occurred_at >= load.start && e.occurred_at < load.end)
        .collect();
    drop_cut_interval(&mut loaded, margin_end);
    loaded
}

/// Drops the tail of an interval a load cut (clocked in before the first
/// event loaded), when it ends before `before`: the first clock-out with no
/// clock-in before it, and the breaks before that. Left in, a clock-in at
/// the same instant (touching intervals: a clock that splits a shift at
/// midnight or at a change of task) pairs with it into nothing, and so does
/// every touching interval after it: [`pair`] takes a clock-in first when
/// clocked out. Found twice by property tests: `GetHeadroom`'s ledger
/// (`headroom_used_is_the_ledgers_sum`) and a recompute's trusted day
/// totals (`trusted_day_totals_do_not_depend_on_where_the_load_cut`).
///
/// A clock-out at or after `before` is kept: a reader that cannot tell a
/// cut tail from a clock-out that lacks its clock-in passes the end of its
/// margin, past which the clock-out counts as a finding. A clock-in and a
/// clock-out at the same instant as the very first events loaded are read
/// as such a cut, not as a zero-length interval: a load starts at an
/// arbitrary midnight, where touching intervals run on.
pub fn drop_cut_interval(events: &mut Vec<EffectiveEvent>, before: DateTime<Utc>) {
    let first_in = events
        .iter()
        .filter(|e| e.kind == EventKind::ClockIn)
        .map(|e| e.occurred_at)
        .min();
    let Some(cut) = events
        .iter()
        .filter(|e| e.kind == EventKind::ClockOut && first_in.is_none_or(|t| e.occurred_at <= t))
        .map(|e| e.occurred_at)
        .min()
        .filter(|t| *t < before)
    else {
        return;
    };
    events.retain(|e| {
        let part_of_tail = match e.kind {
            // A clock-out recorded twice is cut twice.
            EventKind::ClockOut => e.occurred_at == cut,
            EventKind::BreakStart | EventKind::BreakEnd => e.occurred_at <= cut,
            EventKind::ClockIn => false,
        };
        !part_of_tail
    });
}

#[derive(Default)]
struct Pairer {
    intervals: Vec<Interval>,
    anomalies: Vec<Anomaly>,
    /// Index into `intervals` of the interval still open, if any.
    open: Option<usize>,
    state_since: Option<DateTime<Utc>>,
    location: Option<Location>,
    last: Option<(Uuid, DateTime<Utc>)>,
}

impl Pairer {
    fn state(&self) -> ClockState {
        match self.open {
            None => ClockState::ClockedOut,
            Some(i) => {
                if self.intervals[i]
                    .breaks
                    .last()
                    .is_some_and(|b| b.end.is_none())
                {
                    ClockState::OnBreak
                } else {
                    ClockState::Working
                }
            }
        }
    }

    fn fits(&self, kind: EventKind) -> bool {
        matches!(
            (self.state(), kind),
            (ClockState::ClockedOut, EventKind::ClockIn)
                | (
                    ClockState::Working,
                    EventKind::ClockOut | EventKind::BreakStart
                )
                | (
                    ClockState::OnBreak,
                    EventKind::ClockOut | EventKind::BreakEnd
                )
        )
    }

    fn anomaly(&mut self, kind: AnomalyKind, e: &EffectiveEvent) {
        self.anomalies.push(Anomaly {
            kind,
            event: e.id,
            at: e.occurred_at,
        });
    }

    fn step(&mut self, e: &EffectiveEvent) {
        self.last = Some((e.id, e.occurred_at));
        let state = self.state();
        match (state, e.kind) {
            (_, EventKind::ClockIn) => {
                if state != ClockState::ClockedOut {
                    self.anomaly(AnomalyKind::ClockInWhileOpen, e);
                }
                self.intervals.push(Interval {
                    start: e.occurred_at,
                    end: None,
                    location: e.location,
                    breaks: Vec::new(),
                    start_event: e.id,
                    end_event: None,
                });
                self.open = Some(self.intervals.len() - 1);
                self.location = e.location;
                self.state_since = Some(e.occurred_at);
            }
            (ClockState::ClockedOut, EventKind::ClockOut) => {
                self.anomaly(AnomalyKind::ClockOutWithoutIn, e);
            }
            (_, EventKind::ClockOut) => {
                if let Some(i) = self.open.take() {
                    let interval = &mut self.intervals[i];
                    if let Some(b) = interval.breaks.last_mut().filter(|b| b.end.is_none()) {
                        b.end = Some(e.occurred_at);
                    }
                    interval.end = Some(e.occurred_at);
                    interval.end_event = Some(e.id);
                }
                self.location = None;
                self.state_since = Some(e.occurred_at);
            }
            (ClockState::Working, EventKind::BreakStart) => {
                if let Some(i) = self.open {
                    self.intervals[i].breaks.push(Break {
                        start: e.occurred_at,
                        end: None,
                    });
                }
                self.state_since = Some(e.occurred_at);
            }
            (_, EventKind::BreakStart) => self.anomaly(AnomalyKind::BreakStartNotWorking, e),
            (ClockState::OnBreak, EventKind::BreakEnd) => {
                if let Some(b) = self.open.and_then(|i| self.intervals[i].breaks.last_mut()) {
                    b.end = Some(e.occurred_at);
                }
                // Unspecified means: where the interval started (clock.proto).
                self.location = e
                    .location
                    .or_else(|| self.open.and_then(|i| self.intervals[i].location));
                self.state_since = Some(e.occurred_at);
            }
            (_, EventKind::BreakEnd) => self.anomaly(AnomalyKind::BreakEndWithoutBreak, e),
        }
    }

    fn finish(self, event_count: usize) -> Pairing {
        let state = self.state();
        let status = ClockStatus {
            state,
            clocked_in_since: self.open.map(|i| self.intervals[i].start),
            state_since: self.state_since,
            location: self.location,
            last_event: self.last,
            event_count,
        };
        Pairing {
            intervals: self.intervals,
            anomalies: self.anomalies,
            status,
        }
    }
}

/// The instant from which the record decides the current status, if one can
/// be found among `latest` (the employee's most recent stored events, in any
/// order; `complete` when they are all of them).
///
/// Pairing restarts at a clock-in, so the state after a clock-in that is
/// alone at its instant does not depend on anything before it. The anchor is
/// the latest such clock-in that no amendment voids or moves and no amendment
/// puts another event beside. Events at the earliest instant of an
/// incomplete `latest` may have siblings that were not read, so that instant
/// is never an anchor.
#[must_use]
pub fn status_anchor(
    latest: &[StoredEvent],
    complete: bool,
    amendments: &[Amendment],
) -> Option<DateTime<Utc>> {
    let touched: HashSet<Uuid> = amendments
        .iter()
        .filter_map(|a| a.request.change.target())
        .collect();
    let landing: HashSet<DateTime<Utc>> = amendments
        .iter()
        .filter_map(|a| a.request.change.new_instant())
        .collect();
    let mut per_instant: HashMap<DateTime<Utc>, usize> = HashMap::new();
    for e in latest {
        *per_instant.entry(e.event.occurred_at).or_default() += 1;
    }
    let earliest = latest.iter().map(|e| e.event.occurred_at).min()?;
    latest
        .iter()
        .map(|s| &s.event)
        .filter(|e| {
            e.kind == EventKind::ClockIn
                && (complete || e.occurred_at > earliest)
                && per_instant[&e.occurred_at] == 1
                && !touched.contains(&e.event_id.0)
                && !landing.contains(&e.occurred_at)
        })
        .map(|e| e.occurred_at)
        .max()
}

/// The work of an interval still open at `now`, within `[from, to)` (a
/// local day or week), less its breaks (a break still running ends at
/// `now`). The stored record leaves an open interval out of the totals
/// until it is closed; the person clocked in still wants to see the time
/// so far.
#[must_use]
pub fn open_work_within(
    start: DateTime<Utc>,
    breaks: &[(DateTime<Utc>, Option<DateTime<Utc>>)],
    now: DateTime<Utc>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> chrono::Duration {
    let clip = |a: DateTime<Utc>, b: DateTime<Utc>| {
        let (a, b) = (a.max(from), b.min(to).min(now));
        (b - a).max(chrono::Duration::zero())
    };
    let paused: chrono::Duration = breaks
        .iter()
        .map(|(a, b)| clip(*a, b.unwrap_or(now)))
        .fold(chrono::Duration::zero(), |acc, d| acc + d);
    (clip(start, now) - paused).max(chrono::Duration::zero())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 19, h, 0, 0).unwrap()
    }

    fn clock(kind: EventKind, t: DateTime<Utc>) -> EffectiveEvent {
        EffectiveEvent {
            id: Uuid::new_v4(),
            kind,
            occurred_at: t,
            location: None,
        }
    }

    #[test]
    fn a_cut_tail_is_dropped_only_before_the_margin_ends() {
        use EventKind::{ClockIn, ClockOut};
        // Loaded from 00:00: the tail of an interval clocked in before it
        // ends at 06:00, where the next one starts.
        let loaded = vec![
            clock(ClockOut, at(6)),
            clock(ClockIn, at(6)),
            clock(ClockOut, at(14)),
        ];
        let worked = |events: &[EffectiveEvent]| -> Vec<_> {
            pair(events)
                .intervals
                .iter()
                .map(|i| (i.start, i.end))
                .collect()
        };
        let mut cut = loaded.clone();
        drop_cut_interval(&mut cut, at(12));
        assert_eq!(worked(&cut), vec![(at(6), Some(at(14)))]);
        // Left in, the touching clock-in pairs with it into nothing.
        assert_eq!(worked(&loaded), vec![(at(6), Some(at(6)))]);
        // Past the margin the clock-out is the record's, and is kept.
        let mut kept = loaded.clone();
        drop_cut_interval(&mut kept, at(6));
        assert_eq!(kept, loaded);
    }

    fn ev(id: u128, kind: EventKind, h: u32, m: u32) -> EffectiveEvent {
        EffectiveEvent {
            id: Uuid::from_u128(id),
            kind,
            occurred_at: Utc.with_ymd_and_hms(2026, 11, 19, h, m, 0).unwrap(),
            location: kind.starts_work().then_some(Location::Office),
        }
    }

    fn worked_day() -> Vec<EffectiveEvent> {
        vec![
            ev(1, EventKind::ClockIn, 7, 0),
            ev(2, EventKind::BreakStart, 10, 30),
            ev(3, EventKind::BreakEnd, 11, 0),
            ev(4, EventKind::ClockOut, 15, 0),
        ]
    }

    #[test]
    fn a_full_day_is_one_closed_interval_with_a_break() {
        let p = pair(&worked_day());
        assert_eq!(p.intervals.len(), 1);
        assert_eq!(p.intervals[0].breaks.len(), 1);
        assert!(p.anomalies.is_empty());
        assert_eq!(p.status.state, ClockState::ClockedOut);
        assert_eq!(p.status.clocked_in_since, None);
    }

    #[test]
    fn missing_clock_out_leaves_the_interval_open() {
        let p = pair(&[
            ev(1, EventKind::ClockIn, 7, 0),
            ev(2, EventKind::ClockIn, 23, 0),
        ]);
        assert_eq!(p.intervals.len(), 2);
        assert_eq!(p.intervals[0].end, None);
        assert_eq!(p.anomalies[0].kind, AnomalyKind::ClockInWhileOpen);
        assert_eq!(p.status.state, ClockState::Working);
    }

    #[test]
    fn clock_out_without_in_is_an_anomaly_not_an_interval() {
        let p = pair(&[ev(1, EventKind::ClockOut, 7, 0)]);
        assert!(p.intervals.is_empty());
        assert_eq!(p.anomalies[0].kind, AnomalyKind::ClockOutWithoutIn);
    }

    #[test]
    fn on_break_status_reports_the_break_start() {
        let p = pair(&worked_day()[..2]);
        assert_eq!(p.status.state, ClockState::OnBreak);
        assert_eq!(
            p.status.state_since,
            Some(Utc.with_ymd_and_hms(2026, 11, 19, 10, 30, 0).unwrap())
        );
        assert_eq!(
            p.status.clocked_in_since,
            Some(Utc.with_ymd_and_hms(2026, 11, 19, 7, 0, 0).unwrap())
        );
    }

    #[test]
    fn back_to_back_shifts_at_the_same_instant_pair_cleanly() {
        // The new clock-in sorts before the clock-out by kind, yet pairing
        // takes the clock-out first because it fits the open interval.
        let events = vec![
            ev(1, EventKind::ClockIn, 6, 0),
            ev(9, EventKind::ClockIn, 12, 0),
            ev(2, EventKind::ClockOut, 12, 0),
            ev(3, EventKind::ClockOut, 18, 0),
        ];
        let p = pair(&events);
        assert!(p.anomalies.is_empty(), "{:?}", p.anomalies);
        assert_eq!(p.intervals.len(), 2);
        assert!(p.intervals.iter().all(|i| i.end.is_some()));
    }

    fn stored(id: u128, kind: EventKind, h: u32, m: u32) -> StoredEvent {
        let e = ev(id, kind, h, m);
        StoredEvent {
            event: super::super::event::ClockEvent {
                event_id: super::super::ids::EventId(e.id),
                employee_id: super::super::ids::EmployeeId(Uuid::from_u128(99)),
                kind,
                occurred_at: e.occurred_at,
                location: e.location,
                device_id: "t".into(),
            },
            received_at: e.occurred_at,
        }
    }

    #[test]
    fn anchor_is_the_latest_lone_untouched_clock_in() {
        let latest = vec![
            stored(1, EventKind::ClockIn, 7, 0),
            stored(2, EventKind::ClockOut, 11, 0),
            stored(3, EventKind::ClockIn, 12, 0),
            stored(4, EventKind::ClockOut, 12, 0),
        ];
        let seven = Utc.with_ymd_and_hms(2026, 11, 19, 7, 0, 0).unwrap();
        // 12:00 shares its instant with a clock-out, so 07:00 is the anchor.
        assert_eq!(status_anchor(&latest, true, &[]), Some(seven));
        // Read incompletely, 07:00 is the earliest instant read: no anchor.
        assert_eq!(status_anchor(&latest, false, &[]), None);
    }

    #[test]
    fn open_work_counts_to_now_within_the_day_less_breaks() {
        let t = |h, m| Utc.with_ymd_and_hms(2026, 11, 19, h, m, 0).unwrap();
        let day = (t(0, 0), t(0, 0) + chrono::Duration::days(1));
        let breaks = [(t(11, 0), Some(t(11, 30))), (t(13, 0), None)];
        // 08:00 to 13:20, less 30 min and the 20 min of the running break.
        assert_eq!(
            open_work_within(t(8, 0), &breaks, t(13, 20), day.0, day.1),
            chrono::Duration::minutes(270)
        );
        // Begun before midnight: only today's part counts.
        let yesterday = t(0, 0) - chrono::Duration::hours(2);
        assert_eq!(
            open_work_within(yesterday, &[], t(1, 0), day.0, day.1),
            chrono::Duration::minutes(60)
        );
    }

    proptest! {
        #[test]
        fn pairing_does_not_depend_on_input_order(seed in any::<u64>()) {
            let mut events = worked_day();
            events.push(ev(5, EventKind::ClockIn, 16, 0));
            events.push(ev(6, EventKind::ClockOut, 16, 0));
            let expected = pair(&events);
            let mut rng = seed;
            for i in (1..events.len()).rev() {
                rng = rng.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                let j = usize::try_from(rng >> 33).unwrap() % (i + 1);
                events.swap(i, j);
            }
            prop_assert_eq!(pair(&events), expected);
        }
    }
}
