//! Each employee's latest events, kept in memory so that a status is a
//! lookup rather than a read (every one on `SQLite`; on PostgreSQL the one a
//! `RecordEvent` answers with, see [`Mode`]).
//!
//! Every `RecordEvent` answers with the employee's status, and reading it
//! back after the write was the last read on that path: one statement, on
//! a page cache `SQLite` empties after every commit, 23 % of the database's
//! time at 64 clients (issue 15). The status depends only on the events
//! from the latest clean clock-in on (`clock_status::status_anchor`), so
//! that tail is all there is to keep, and the writes that store events
//! extend it.
//!
//! Where one process writes the record ([`Mode::Sole`]: a `SQLite` file is
//! served by one process, whose writes all pass here), every status is a
//! lookup. Where replicas write beside each other ([`Mode::Shared`]:
//! PostgreSQL), another replica's write never passes here, so a status
//! asked for on its own is read every time; only the status a write
//! answers with is looked up, from a tail the write confirmed against the
//! database in its own transaction (see [`Confirmed`]).
//!
//! Correctness rests on versions. A reader notes the employee's version
//! before reading and keeps what it read only if no write began or ended
//! since; a write bumps the version when it begins and again when it ends,
//! so a read overlapping a write's commit is never kept. A write that ends
//! any way other than [`Writing::stored`] (failed, rolled back, an
//! amendment, its caller gone) forgets the tail, and the next status is
//! read from the database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use super::StatusRecord;
use crate::domain::clock_status::status_anchor;
use crate::domain::event::StoredEvent;
use crate::domain::ids::{EmployeeId, OrgId};

/// More employees than this, over all organisations, and the map starts
/// again: it bounds memory at about `MAX_EMPLOYEES × MAX_TAIL` events.
const MAX_EMPLOYEES: usize = 100_000;

/// A tail longer than this is not kept: a record with no clean clock-in for
/// that long is rare (the database read's wide window is as long) and is
/// read instead.
const MAX_TAIL: usize = 64;

type Key = (OrgId, EmployeeId);

/// The events the status needs, as of the last write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Tail {
    /// Sorted by instant, then id.
    events: Vec<StoredEvent>,
    /// The anchor the events start at; `None` when they are the whole record.
    from: Option<DateTime<Utc>>,
    stored_count: i64,
}

impl Tail {
    /// The tail a status read found, when it can stand for the record: no
    /// amendments (they reach before the anchor) and not too long.
    pub(super) fn from_read(record: &StatusRecord, from: Option<DateTime<Utc>>) -> Option<Self> {
        if !record.amendments.is_empty() || record.events.len() > MAX_TAIL {
            return None;
        }
        let mut events = record.events.clone();
        sort(&mut events);
        Some(Self {
            events,
            from,
            stored_count: record.stored_count,
        })
    }

    fn record(&self) -> StatusRecord {
        StatusRecord {
            events: self.events.clone(),
            amendments: Vec::new(),
            stored_count: self.stored_count,
        }
    }

    /// Adds events just stored for this employee. `false` when the tail no
    /// longer stands for the record: an event at its anchor's instant takes
    /// away the clock-in's being alone there, so the record is read again.
    /// An event before the anchor (a clock syncing late) is counted and
    /// changes nothing else: pairing restarts at the anchor.
    pub(super) fn add(&mut self, new: &[&StoredEvent]) -> bool {
        if let Some(from) = self.from
            && new.iter().any(|s| s.event.occurred_at == from)
        {
            return false;
        }
        for s in new {
            if self.from.is_some_and(|from| s.event.occurred_at < from) {
                // New to the database, so not a repeat of one counted.
                self.stored_count += 1;
            } else if !self
                .events
                .iter()
                .any(|e| e.event.event_id == s.event.event_id)
            {
                self.events.push((*s).clone());
                self.stored_count += 1;
            }
        }
        sort(&mut self.events);
        // Every event from the old anchor on is here, so each instant's
        // events are all here: the list is complete for the anchor's test.
        if let Some(anchor) = status_anchor(&self.events, true, &[]) {
            self.events.retain(|e| e.event.occurred_at >= anchor);
            self.from = Some(anchor);
        }
        self.events.len() <= MAX_TAIL
    }
}

fn sort(events: &mut [StoredEvent]) {
    events.sort_by_key(|e| (e.event.occurred_at, e.event.event_id));
}

#[derive(Default)]
struct Entry {
    version: u64,
    /// Writes begun and not yet ended.
    writing: u32,
    tail: Option<Tail>,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<Key, Entry>,
    /// Versions come from one counter, so an entry made again after the map
    /// started over never matches a ticket handed out before.
    counter: u64,
}

impl Inner {
    fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    fn entry(&mut self, key: Key) -> &mut Entry {
        if !self.entries.contains_key(&key) {
            if self.entries.len() >= MAX_EMPLOYEES {
                // Writes in flight keep their entry: their end must find it.
                self.entries.retain(|_, e| e.writing > 0);
            }
            let version = self.next();
            self.entries.insert(
                key,
                Entry {
                    version,
                    ..Entry::default()
                },
            );
        }
        self.entries.get_mut(&key).expect("inserted above")
    }
}

/// Who writes the record the tails stand for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Mode {
    /// This process alone (`SQLite`): every write passes here.
    Sole,
    /// Replicas beside each other (PostgreSQL): a tail is kept only as far
    /// as each local write confirms it, and serves only the status a write
    /// answers with.
    Shared,
}

/// What an event write's transaction found of one employee after storing
/// its events (PostgreSQL): the employee's count of stored events, and
/// whether any amendment exists. Events and amendments are append-only.
/// The count is the one the write's upsert left on the employee's
/// `event_counts` row, whose lock orders every event write of that
/// employee, so a tail whose count plus this write's new events equals it
/// misses no event any replica stored before this write. The amendments
/// are probed after the write's queue upsert, which waits for any
/// correction of the employee still to commit (`event_batch::amended_among`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Confirmed {
    pub(super) stored_count: i64,
    pub(super) amended: bool,
}

/// The tails of one store.
pub(super) struct StatusTails {
    mode: Mode,
    inner: Mutex<Inner>,
}

/// What a lookup found.
pub(super) enum Lookup {
    Hit(StatusRecord),
    /// Read the record, then hand the ticket to [`StatusTails::keep`].
    Miss(Ticket),
}

/// The version a read started at; `None` when nothing may be kept.
pub(super) struct Ticket {
    key: Key,
    version: Option<u64>,
}

impl StatusTails {
    /// Whether this process alone writes the record (`SQLite`).
    pub(super) fn sole(&self) -> bool {
        self.mode == Mode::Sole
    }

    pub(super) fn new(mode: Mode) -> Arc<Self> {
        Arc::new(Self {
            mode,
            inner: Mutex::new(Inner::default()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data; carry on.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The kept status of `employee`, or a ticket to read it with.
    /// `after_write`: the caller answers a write of its own that has ended,
    /// so under [`Mode::Shared`] a tail (confirmed by the last local write,
    /// or read since) may answer it; any other status is read there.
    pub(super) fn lookup(&self, org: OrgId, employee: EmployeeId, after_write: bool) -> Lookup {
        let key = (org, employee);
        let mut inner = self.lock();
        let entry = inner.entry(key);
        if let Some(tail) = &entry.tail
            && (self.mode == Mode::Sole || after_write)
        {
            return Lookup::Hit(tail.record());
        }
        // A write in flight may commit while the record is read.
        let version = (entry.writing == 0).then_some(entry.version);
        Lookup::Miss(Ticket { key, version })
    }

    /// Keeps what a read found, unless a write began or ended since the
    /// ticket was taken. Under [`Mode::Shared`] the read must be one
    /// statement, so that its count is of the same moment as its events: a
    /// count newer than the events could later confirm a tail missing one.
    pub(super) fn keep(&self, ticket: &Ticket, record: &StatusRecord, from: Option<DateTime<Utc>>) {
        let Ticket { key, version } = *ticket;
        let Some(version) = version else {
            return;
        };
        let mut inner = self.lock();
        if let Some(entry) = inner.entries.get_mut(&key)
            && entry.version == version
            && entry.writing == 0
        {
            entry.tail = Tail::from_read(record, from);
        }
    }

    /// A write that may change `employees`' records begins; it ends when
    /// the guard is used or dropped.
    pub(super) fn writing(
        self: &Arc<Self>,
        org: OrgId,
        employees: impl IntoIterator<Item = EmployeeId>,
    ) -> Writing {
        let mut keys: Vec<Key> = employees.into_iter().map(|e| (org, e)).collect();
        keys.sort_unstable();
        keys.dedup();
        let mut inner = self.lock();
        for &key in &keys {
            let version = inner.next();
            let entry = inner.entry(key);
            entry.version = version;
            entry.writing += 1;
        }
        drop(inner);
        Writing {
            tails: Arc::clone(self),
            keys,
        }
    }

    /// Ends a write: with `stored` (what it inserted, and under
    /// [`Mode::Shared`] what its transaction confirmed) after a commit, the
    /// tails grow; without, or unconfirmed, they are forgotten.
    fn end(&self, keys: &[Key], stored: Option<Stored<'_>>) {
        let mode = self.mode;
        let mut inner = self.lock();
        for &key in keys {
            let version = inner.next();
            let entry = inner.entry(key);
            entry.version = version;
            debug_assert!(entry.writing > 0, "a write ended that never began");
            entry.writing = entry.writing.saturating_sub(1);
            let kept = match (entry.tail.as_mut(), stored) {
                (Some(tail), Some((stored, confirmed))) => {
                    let new: Vec<&StoredEvent> = stored
                        .iter()
                        .copied()
                        .filter(|s| s.event.employee_id == key.1)
                        .collect();
                    tail.add(&new)
                        && (mode == Mode::Sole
                            || confirmed
                                .get(&key.1)
                                .is_some_and(|c| !c.amended && c.stored_count == tail.stored_count))
                }
                _ => false,
            };
            if !kept {
                entry.tail = None;
            }
        }
    }
}

/// A write in progress, from before its transaction to after its commit.
/// Dropped unused, it forgets the employees' tails: safe whatever became
/// of the write.
pub(super) struct Writing {
    tails: Arc<StatusTails>,
    keys: Vec<Key>,
}

/// What a committed write stored, and what its transaction confirmed.
type Stored<'a> = (&'a [&'a StoredEvent], &'a HashMap<EmployeeId, Confirmed>);

impl Writing {
    /// Under [`Mode::Shared`], the employees of this write whose tails are
    /// kept: the ones its transaction must confirm. None of them can gain
    /// a tail while the write is in flight (`keep` refuses while a write is
    /// in flight, and `end` only extends a tail), so none is missed.
    pub(super) fn kept(&self) -> Vec<EmployeeId> {
        if self.tails.mode == Mode::Sole {
            return Vec::new();
        }
        let inner = self.tails.lock();
        self.keys
            .iter()
            .filter(|key| inner.entries.get(key).is_some_and(|e| e.tail.is_some()))
            .map(|key| key.1)
            .collect()
    }

    /// The write committed, storing `new` (events the database inserted);
    /// `confirmed` is what its transaction found per employee with new
    /// events (read under [`Mode::Shared`] only; empty otherwise).
    pub(super) fn stored(
        mut self,
        new: &[&StoredEvent],
        confirmed: &HashMap<EmployeeId, Confirmed>,
    ) {
        let keys = std::mem::take(&mut self.keys);
        self.tails.end(&keys, Some((new, confirmed)));
    }
}

impl Drop for Writing {
    fn drop(&mut self) {
        if !self.keys.is_empty() {
            self.tails.end(&self.keys, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;
    use uuid::Uuid;

    use super::*;
    use crate::domain::event::{
        Amendment, AmendmentRequest, Change, ClockEvent, EventKind, Location,
    };
    use crate::domain::ids::{AmendmentId, EventId};

    const ORG: OrgId = OrgId(Uuid::from_u128(1));
    const KARI: EmployeeId = EmployeeId(Uuid::from_u128(2));
    const OLA: EmployeeId = EmployeeId(Uuid::from_u128(3));

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 19, h, 0, 0).unwrap()
    }

    fn stored(id: u128, who: EmployeeId, kind: EventKind, h: u32) -> StoredEvent {
        StoredEvent {
            event: ClockEvent {
                event_id: EventId(Uuid::from_u128(id)),
                employee_id: who,
                kind,
                occurred_at: at(h),
                location: kind.starts_work().then_some(Location::Office),
                device_id: "t".into(),
            },
            received_at: at(h),
        }
    }

    fn record(events: Vec<StoredEvent>) -> StatusRecord {
        StatusRecord {
            stored_count: i64::try_from(events.len()).unwrap(),
            events,
            amendments: Vec::new(),
        }
    }

    /// A tail holding Kari's clock-in at 7 (the anchor) and break at 10.
    fn kept(tails: &StatusTails) {
        let Lookup::Miss(ticket) = tails.lookup(ORG, KARI, false) else {
            panic!("nothing kept yet");
        };
        let read = record(vec![
            stored(10, KARI, EventKind::ClockIn, 7),
            stored(11, KARI, EventKind::BreakStart, 10),
        ]);
        tails.keep(&ticket, &read, Some(at(7)));
    }

    fn hit(tails: &StatusTails, who: EmployeeId) -> Option<StatusRecord> {
        found(tails, who, false)
    }

    fn found(tails: &StatusTails, who: EmployeeId, after_write: bool) -> Option<StatusRecord> {
        match tails.lookup(ORG, who, after_write) {
            Lookup::Hit(r) => Some(r),
            Lookup::Miss(_) => None,
        }
    }

    fn ids(r: &StatusRecord) -> Vec<u128> {
        r.events
            .iter()
            .map(|e| e.event.event_id.0.as_u128())
            .collect()
    }

    #[test]
    fn a_later_event_extends_the_tail_and_a_new_clock_in_moves_its_anchor() {
        let tails = StatusTails::new(Mode::Sole);
        kept(&tails);
        let w = tails.writing(ORG, [KARI]);
        w.stored(&[&stored(12, KARI, EventKind::BreakEnd, 11)], &none());
        let r = hit(&tails, KARI).unwrap();
        assert_eq!((ids(&r), r.stored_count), (vec![10, 11, 12], 3));
        let w = tails.writing(ORG, [KARI]);
        w.stored(
            &[
                &stored(14, KARI, EventKind::ClockIn, 16),
                &stored(13, KARI, EventKind::ClockOut, 15),
            ],
            &none(),
        );
        let r = hit(&tails, KARI).unwrap();
        assert_eq!((ids(&r), r.stored_count), (vec![14], 5));
    }

    #[test]
    fn an_event_at_the_anchor_forgets_the_tail_and_one_before_is_counted() {
        let tails = StatusTails::new(Mode::Sole);
        kept(&tails);
        tails
            .writing(ORG, [KARI])
            .stored(&[&stored(20, KARI, EventKind::ClockOut, 6)], &none());
        let r = hit(&tails, KARI).unwrap();
        assert_eq!((ids(&r), r.stored_count), (vec![10, 11], 3));
        tails
            .writing(ORG, [KARI])
            .stored(&[&stored(21, KARI, EventKind::ClockOut, 7)], &none());
        assert!(hit(&tails, KARI).is_none(), "an event at the anchor's 7:00");
    }

    #[test]
    fn a_write_that_ends_unused_forgets_and_others_are_untouched() {
        let tails = StatusTails::new(Mode::Sole);
        kept(&tails);
        drop(tails.writing(ORG, [KARI, OLA]));
        assert!(hit(&tails, KARI).is_none());
        kept(&tails);
        // A batch with only Ola's events leaves Kari's tail as it was.
        tails
            .writing(ORG, [OLA])
            .stored(&[&stored(30, OLA, EventKind::ClockIn, 8)], &none());
        assert_eq!(ids(&hit(&tails, KARI).unwrap()), vec![10, 11]);
        assert!(hit(&tails, OLA).is_none(), "Ola's was never read");
    }

    #[test]
    fn a_read_overlapping_a_write_is_not_kept() {
        let tails = StatusTails::new(Mode::Sole);
        // The write begins after the ticket.
        let Lookup::Miss(ticket) = tails.lookup(ORG, KARI, false) else {
            panic!()
        };
        let w = tails.writing(ORG, [KARI]);
        tails.keep(&ticket, &record(Vec::new()), None);
        assert!(hit(&tails, KARI).is_none());
        // The ticket is taken while the write is in flight.
        let Lookup::Miss(ticket) = tails.lookup(ORG, KARI, false) else {
            panic!()
        };
        w.stored(&[], &none());
        tails.keep(&ticket, &record(Vec::new()), None);
        assert!(hit(&tails, KARI).is_none());
        // The write ended before the ticket: kept.
        let Lookup::Miss(ticket) = tails.lookup(ORG, KARI, false) else {
            panic!()
        };
        tails.keep(&ticket, &record(Vec::new()), None);
        assert_eq!(hit(&tails, KARI).unwrap().stored_count, 0);
    }

    #[test]
    fn a_duplicate_is_counted_once_and_amendments_are_never_kept() {
        let tails = StatusTails::new(Mode::Sole);
        kept(&tails);
        tails
            .writing(ORG, [KARI])
            .stored(&[&stored(11, KARI, EventKind::BreakStart, 10)], &none());
        assert_eq!(hit(&tails, KARI).unwrap().stored_count, 2);
        let read = StatusRecord {
            amendments: vec![Amendment {
                request: AmendmentRequest {
                    amendment_id: AmendmentId(Uuid::from_u128(40)),
                    employee_id: KARI,
                    change: Change::Void {
                        target: Uuid::from_u128(10),
                    },
                    reason: "wrong button".into(),
                },
                seq: 1,
                author: "t".into(),
                created_at: at(12),
            }],
            ..record(Vec::new())
        };
        assert!(Tail::from_read(&read, None).is_none());
    }

    fn none() -> HashMap<EmployeeId, Confirmed> {
        HashMap::new()
    }

    fn confirmed(
        who: EmployeeId,
        stored_count: i64,
        amended: bool,
    ) -> HashMap<EmployeeId, Confirmed> {
        HashMap::from([(
            who,
            Confirmed {
                stored_count,
                amended,
            },
        )])
    }

    /// Kari's tail of [`kept`], under [`Mode::Shared`].
    fn shared() -> Arc<StatusTails> {
        let tails = StatusTails::new(Mode::Shared);
        kept(&tails);
        tails
    }

    fn hit_after_write(tails: &StatusTails, who: EmployeeId) -> Option<StatusRecord> {
        found(tails, who, true)
    }

    #[test]
    fn shared_a_status_asked_for_on_its_own_is_always_read() {
        let tails = shared();
        assert!(
            hit(&tails, KARI).is_none(),
            "another replica may have written"
        );
        assert_eq!(ids(&hit_after_write(&tails, KARI).unwrap()), vec![10, 11]);
    }

    #[test]
    fn shared_a_write_confirmed_by_the_database_extends_the_tail() {
        let tails = shared();
        tails.writing(ORG, [KARI]).stored(
            &[&stored(12, KARI, EventKind::BreakEnd, 11)],
            &confirmed(KARI, 3, false),
        );
        let r = hit_after_write(&tails, KARI).unwrap();
        assert_eq!((ids(&r), r.stored_count), (vec![10, 11, 12], 3));
    }

    /// Another replica stored an event (the count is one more than this
    /// tail's), or an amendment, or the write confirmed nothing for Kari:
    /// the tail is forgotten and the next status is read.
    #[test]
    fn shared_an_unconfirmed_write_forgets_the_tail() {
        for confirm in [
            confirmed(KARI, 4, false),
            confirmed(KARI, 3, true),
            confirmed(OLA, 3, false),
            none(),
        ] {
            let tails = shared();
            tails
                .writing(ORG, [KARI])
                .stored(&[&stored(12, KARI, EventKind::BreakEnd, 11)], &confirm);
            assert!(hit_after_write(&tails, KARI).is_none(), "{confirm:?}");
        }
    }

    /// Under [`Mode::Sole`] nothing is confirmed: every write passes here.
    #[test]
    fn sole_needs_no_confirmation() {
        let tails = StatusTails::new(Mode::Sole);
        kept(&tails);
        tails
            .writing(ORG, [KARI])
            .stored(&[&stored(12, KARI, EventKind::BreakEnd, 11)], &none());
        assert_eq!(hit(&tails, KARI).unwrap().stored_count, 3);
    }
}
