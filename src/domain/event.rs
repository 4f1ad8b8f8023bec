//! Clock events and the amendments that correct them.
//!
//! Stored events are never edited. The record an engine reads is the
//! *effective* event list: stored events with every amendment applied in the
//! order the amendments were made.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::ids::{AmendmentId, EmployeeId, EventId};

/// What happened at a clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    ClockIn,
    ClockOut,
    BreakStart,
    BreakEnd,
}

impl EventKind {
    /// Stable name used in storage.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClockIn => "CLOCK_IN",
            Self::ClockOut => "CLOCK_OUT",
            Self::BreakStart => "BREAK_START",
            Self::BreakEnd => "BREAK_END",
        }
    }

    /// Parses the storage name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::ClockIn,
            Self::ClockOut,
            Self::BreakStart,
            Self::BreakEnd,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Whether work follows this event, so its location means something.
    #[must_use]
    pub fn starts_work(self) -> bool {
        matches!(self, Self::ClockIn | Self::BreakEnd)
    }
}

/// Where the work that follows an event takes place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Location {
    Office,
    Home,
    Remote,
    Travel,
}

impl Location {
    /// Stable name used in storage.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Office => "OFFICE",
            Self::Home => "HOME",
            Self::Remote => "REMOTE",
            Self::Travel => "TRAVEL",
        }
    }

    /// Parses the storage name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Office, Self::Home, Self::Remote, Self::Travel]
            .into_iter()
            .find(|l| l.as_str() == s)
    }
}

/// A clock event as the client reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClockEvent {
    pub event_id: EventId,
    pub employee_id: EmployeeId,
    pub kind: EventKind,
    /// Truncated to whole microseconds, the precision both databases keep.
    pub occurred_at: DateTime<Utc>,
    /// `None` only where the kind allows it (see [`EventKind::starts_work`]).
    pub location: Option<Location>,
    pub device_id: String,
}

impl ClockEvent {
    /// Whether `other` is the same event sent again. The device is left out
    /// on purpose: an offline clock may replay an event through another path,
    /// and what it says about working time is what must match.
    #[must_use]
    pub fn same_content(&self, other: &Self) -> bool {
        self.event_id == other.event_id
            && self.employee_id == other.employee_id
            && self.kind == other.kind
            && self.occurred_at == other.occurred_at
            && self.location == other.location
    }
}

/// A clock event with the time the server committed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEvent {
    pub event: ClockEvent,
    pub received_at: DateTime<Utc>,
}

/// What a correction does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A missing event; it takes the amendment's id as its event id.
    Add {
        kind: EventKind,
        occurred_at: DateTime<Utc>,
        location: Option<Location>,
    },
    /// Takes an event (stored or added) out of the record.
    Void { target: Uuid },
    /// Moves an event (stored or added) to another instant.
    Move {
        target: Uuid,
        occurred_at: DateTime<Utc>,
    },
}

impl Change {
    /// The event a void or move corrects.
    #[must_use]
    pub fn target(&self) -> Option<Uuid> {
        match self {
            Self::Add { .. } => None,
            Self::Void { target } | Self::Move { target, .. } => Some(*target),
        }
    }

    /// Where an add or move puts an event.
    #[must_use]
    pub fn new_instant(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::Add { occurred_at, .. } | Self::Move { occurred_at, .. } => Some(*occurred_at),
            Self::Void { .. } => None,
        }
    }
}

/// How many events the effective record holds: every add adds one, and
/// every void removed exactly one (a void is only stored if its target was
/// in the record at the time).
#[must_use]
pub fn effective_count(stored: usize, amendments: &[Amendment]) -> usize {
    let adds = amendments
        .iter()
        .filter(|a| matches!(a.request.change, Change::Add { .. }))
        .count();
    let voids = amendments
        .iter()
        .filter(|a| matches!(a.request.change, Change::Void { .. }))
        .count();
    (stored + adds).saturating_sub(voids)
}

/// A correction as requested, before the server stamps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AmendmentRequest {
    pub amendment_id: AmendmentId,
    pub employee_id: EmployeeId,
    pub change: Change,
    pub reason: String,
}

/// A stored correction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Amendment {
    pub request: AmendmentRequest,
    /// Position among the employee's corrections; they apply in this order
    /// (timestamps can tie, a sequence cannot).
    pub seq: i64,
    /// Token name and role of whoever made it.
    pub author: String,
    pub created_at: DateTime<Utc>,
}

/// An event of the effective record: a stored event that is not void, with
/// any move applied, or an added event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EffectiveEvent {
    /// The stored event's id, or the amendment id of an add.
    pub id: Uuid,
    pub kind: EventKind,
    pub occurred_at: DateTime<Utc>,
    pub location: Option<Location>,
}

/// Why a correction cannot be applied to the current record.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CorrectionError {
    #[error("event {0} is not in this employee's record")]
    UnknownTarget(Uuid),
    #[error("event {0} is already void")]
    AlreadyVoid(Uuid),
}

/// Applies `amendments` (in `seq` order) to `events`. Amendments whose
/// target is unknown or void are skipped; [`check_correction`] keeps them out
/// of storage in the first place, so this only guards old data.
#[must_use]
pub fn effective_events(events: &[StoredEvent], amendments: &[Amendment]) -> Vec<EffectiveEvent> {
    let mut by_id: HashMap<Uuid, EffectiveEvent> = events
        .iter()
        .map(|s| {
            let e = &s.event;
            (
                e.event_id.0,
                EffectiveEvent {
                    id: e.event_id.0,
                    kind: e.kind,
                    occurred_at: e.occurred_at,
                    location: e.location,
                },
            )
        })
        .collect();
    let mut ordered: Vec<&Amendment> = amendments.iter().collect();
    ordered.sort_by_key(|a| a.seq);
    for a in ordered {
        apply(&mut by_id, &a.request);
    }
    let mut out: Vec<EffectiveEvent> = by_id.into_values().collect();
    out.sort_by_key(|e| (e.occurred_at, e.kind, e.id));
    out
}

fn apply(by_id: &mut HashMap<Uuid, EffectiveEvent>, request: &AmendmentRequest) {
    match &request.change {
        Change::Add {
            kind,
            occurred_at,
            location,
        } => {
            let id = request.amendment_id.0;
            by_id.insert(
                id,
                EffectiveEvent {
                    id,
                    kind: *kind,
                    occurred_at: *occurred_at,
                    location: *location,
                },
            );
        }
        Change::Void { target } => {
            by_id.remove(target);
        }
        Change::Move {
            target,
            occurred_at,
        } => {
            if let Some(e) = by_id.get_mut(target) {
                e.occurred_at = *occurred_at;
            }
        }
    }
}

/// Checks that a correction applies to the record as it stands: a void or
/// move must name an event that exists and is not void.
///
/// # Errors
/// [`CorrectionError`] naming the target.
pub fn check_correction(
    events: &[StoredEvent],
    amendments: &[Amendment],
    change: &Change,
) -> Result<(), CorrectionError> {
    let target = match change {
        Change::Add { .. } => return Ok(()),
        Change::Void { target } | Change::Move { target, .. } => *target,
    };
    let current = effective_events(events, amendments);
    if current.iter().any(|e| e.id == target) {
        return Ok(());
    }
    let ever_existed = events.iter().any(|s| s.event.event_id.0 == target)
        || amendments.iter().any(|a| {
            a.request.amendment_id.0 == target && matches!(a.request.change, Change::Add { .. })
        });
    if ever_existed {
        Err(CorrectionError::AlreadyVoid(target))
    } else {
        Err(CorrectionError::UnknownTarget(target))
    }
}

/// Truncates an instant to whole microseconds, the precision kept in storage,
/// so a replayed event compares equal to the stored one.
#[must_use]
pub fn to_storage_precision(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 19, h, m, 0).unwrap()
    }

    fn stored(id: u128, kind: EventKind, t: DateTime<Utc>) -> StoredEvent {
        StoredEvent {
            event: ClockEvent {
                event_id: EventId(Uuid::from_u128(id)),
                employee_id: EmployeeId(Uuid::from_u128(99)),
                kind,
                occurred_at: t,
                location: Some(Location::Office),
                device_id: "kiosk".into(),
            },
            received_at: t,
        }
    }

    fn amendment(id: u128, change: Change, minute: u32) -> Amendment {
        Amendment {
            seq: i64::from(minute),
            request: AmendmentRequest {
                amendment_id: AmendmentId(Uuid::from_u128(id)),
                employee_id: EmployeeId(Uuid::from_u128(99)),
                change,
                reason: "forgot".into(),
            },
            author: "test".into(),
            created_at: at(20, minute),
        }
    }

    #[test]
    fn void_removes_and_move_shifts_in_creation_order() {
        let events = vec![
            stored(1, EventKind::ClockIn, at(8, 0)),
            stored(2, EventKind::ClockOut, at(16, 0)),
        ];
        let amendments = vec![
            amendment(
                11,
                Change::Move {
                    target: Uuid::from_u128(2),
                    occurred_at: at(17, 0),
                },
                2,
            ),
            amendment(
                10,
                Change::Void {
                    target: Uuid::from_u128(1),
                },
                1,
            ),
            amendment(
                12,
                Change::Add {
                    kind: EventKind::ClockIn,
                    occurred_at: at(9, 0),
                    location: Some(Location::Home),
                },
                3,
            ),
        ];
        let eff = effective_events(&events, &amendments);
        assert_eq!(eff.len(), 2);
        assert_eq!(eff[0].id, Uuid::from_u128(12));
        assert_eq!(eff[0].occurred_at, at(9, 0));
        assert_eq!(eff[1].occurred_at, at(17, 0));
    }

    #[test]
    fn correcting_a_void_event_is_refused() {
        let events = vec![stored(1, EventKind::ClockIn, at(8, 0))];
        let amendments = vec![amendment(
            10,
            Change::Void {
                target: Uuid::from_u128(1),
            },
            1,
        )];
        let again = Change::Move {
            target: Uuid::from_u128(1),
            occurred_at: at(9, 0),
        };
        assert_eq!(
            check_correction(&events, &amendments, &again),
            Err(CorrectionError::AlreadyVoid(Uuid::from_u128(1)))
        );
        let unknown = Change::Void {
            target: Uuid::from_u128(5),
        };
        assert_eq!(
            check_correction(&events, &amendments, &unknown),
            Err(CorrectionError::UnknownTarget(Uuid::from_u128(5)))
        );
    }

    #[test]
    fn an_added_event_can_be_moved() {
        let add = amendment(
            10,
            Change::Add {
                kind: EventKind::ClockOut,
                occurred_at: at(16, 0),
                location: None,
            },
            1,
        );
        let mv = Change::Move {
            target: Uuid::from_u128(10),
            occurred_at: at(15, 0),
        };
        assert_eq!(check_correction(&[], &[add], &mv), Ok(()));
    }

    #[test]
    fn device_does_not_make_an_event_different() {
        let a = stored(1, EventKind::ClockIn, at(8, 0)).event;
        let mut b = a.clone();
        b.device_id = "phone".into();
        assert!(a.same_content(&b));
        b.occurred_at = at(8, 1);
        assert!(!a.same_content(&b));
    }
}
