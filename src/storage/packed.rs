//! Events read packed: one row per employee, its events in one JSON array
//! the database builds.
//!
//! Why: sqlx copies every value of every row (`sqlite3_value_dup`, a
//! `malloc` each), hands each row from its `SQLite` thread over a channel
//! and converts it to an `AnyRow`. Read row by row, a payroll pull's
//! million events spent three quarters of the server's CPU there and in
//! the thread wake-ups, against a tenth in the engine (issue 15, tenth
//! round's profile). Packed, a month of an employee is one value: the
//! database walks the same index entries, and the rows that cross are one
//! per employee.
//!
//! JSON, not a hand-made separator format: `device_id` is whatever a clock
//! sends, so only a real escaping is safe. Both databases build the array
//! (`json_group_array` / `json_agg`); an event is `[event_id, kind,
//! occurred_at, location, device_id, received_at]`. The order inside the
//! array is not promised by either database, so [`unpack`] sorts by
//! instant, then id: the order every reader of a record expects.

use std::borrow::Cow;

use chrono::DateTime;
use serde::Deserialize;
use uuid::Uuid;

use super::{StoreError, StoreResult};
use crate::domain::event::{ClockEvent, EventKind, Location, StoredEvent};
use crate::domain::ids::{EmployeeId, EventId};

/// The aggregate over `clock_events` rows that [`unpack`] reads, as text.
/// An aggregate over no rows is `'[]'` on `SQLite` and NULL on PostgreSQL;
/// [`unpack`] takes both.
#[must_use]
pub(super) fn events_json(sqlite: bool) -> &'static str {
    if sqlite {
        "json_group_array(json_array(event_id, kind, occurred_at, location, device_id, received_at))"
    } else {
        "CAST(json_agg(json_build_array(event_id, kind, occurred_at, location, device_id, \
         received_at)) AS TEXT)"
    }
}

/// One packed event, borrowing from the text where nothing was escaped.
#[derive(Deserialize)]
struct Packed<'a>(
    #[serde(borrow)] Cow<'a, str>,
    #[serde(borrow)] Cow<'a, str>,
    i64,
    #[serde(borrow)] Option<Cow<'a, str>>,
    #[serde(borrow)] Cow<'a, str>,
    i64,
);

/// The events of `employee` packed by [`events_json`], by instant then id.
///
/// # Errors
/// [`StoreError::Corrupt`] naming the value that does not parse back.
pub(super) fn unpack(employee: EmployeeId, packed: Option<&str>) -> StoreResult<Vec<StoredEvent>> {
    let Some(text) = packed else {
        return Ok(Vec::new());
    };
    let rows: Vec<Packed<'_>> = serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("packed events of {employee}: {e}")))?;
    let mut events = rows
        .into_iter()
        .map(|p| stored(employee, p))
        .collect::<StoreResult<Vec<_>>>()?;
    events.sort_by_key(|e| (e.event.occurred_at, e.event.event_id.0));
    Ok(events)
}

fn stored(employee: EmployeeId, p: Packed<'_>) -> StoreResult<StoredEvent> {
    let Packed(id, kind, occurred_at, location, device_id, received_at) = p;
    let corrupt = |name: &str, v: &dyn std::fmt::Display| {
        StoreError::Corrupt(format!("{name}: '{v}' (event {id} of {employee})"))
    };
    Ok(StoredEvent {
        event: ClockEvent {
            event_id: EventId(Uuid::parse_str(&id).map_err(|_| corrupt("event_id", &id))?),
            employee_id: employee,
            kind: EventKind::parse(&kind).ok_or_else(|| corrupt("kind", &kind))?,
            occurred_at: DateTime::from_timestamp_micros(occurred_at)
                .ok_or_else(|| corrupt("occurred_at", &occurred_at))?,
            location: location
                .map(|l| Location::parse(&l).ok_or_else(|| corrupt("location", &l)))
                .transpose()?,
            device_id: device_id.into_owned(),
        },
        received_at: DateTime::from_timestamp_micros(received_at)
            .ok_or_else(|| corrupt("received_at", &received_at))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn employee() -> EmployeeId {
        EmployeeId(Uuid::from_u128(7))
    }

    #[test]
    fn unpacks_in_instant_then_id_order_with_escapes_and_nulls() {
        let text = r#"[
            ["00000000-0000-0000-0000-000000000002","CLOCK_OUT",2000,null,"clock \"A\"\\1",3000],
            ["00000000-0000-0000-0000-000000000003","CLOCK_IN",1000,"HOME","kiosk",1500],
            ["00000000-0000-0000-0000-000000000001","CLOCK_OUT",2000,"OFFICE","æøå",2500]
        ]"#;
        let events = unpack(employee(), Some(text)).unwrap_or_default();
        let ids: Vec<u128> = events
            .iter()
            .map(|e| e.event.event_id.0.as_u128())
            .collect();
        assert_eq!(ids, vec![3, 1, 2]);
        assert_eq!(events[2].event.device_id, "clock \"A\"\\1");
        assert_eq!(events[1].event.device_id, "æøå");
        assert_eq!(events[2].event.location, None);
        assert_eq!(events[0].event.location, Some(Location::Home));
        assert_eq!(events[0].received_at.timestamp_micros(), 1500);
        assert!(events.iter().all(|e| e.event.employee_id == employee()));
    }

    #[test]
    fn nothing_packed_is_no_events() {
        assert!(unpack(employee(), None).is_ok_and(|e| e.is_empty()));
        assert!(unpack(employee(), Some("[]")).is_ok_and(|e| e.is_empty()));
    }

    #[test]
    fn a_value_that_does_not_parse_back_is_corrupt_and_named() {
        let bad_kind = r#"[["00000000-0000-0000-0000-000000000001","LUNCH",1,null,"d",1]]"#;
        let err = unpack(employee(), Some(bad_kind))
            .err()
            .map(|e| e.to_string());
        assert!(
            err.as_deref().is_some_and(|e| e.contains("kind: 'LUNCH'")),
            "{err:?}"
        );
        let bad_id = r#"[["nope","CLOCK_IN",1,null,"d",1]]"#;
        let err = unpack(employee(), Some(bad_id))
            .err()
            .map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.contains("event_id: 'nope'")),
            "{err:?}"
        );
        assert!(unpack(employee(), Some("[[1]]")).is_err());
    }
}
