//! The shape of the generated record: working days Monday to Friday, each
//! with clock-in 07:00, a break 10:30–11:00 and clock-out 15:00 UTC
//! (08:00–16:00 in Oslo in winter). Slot `n` of an employee is the n-th event
//! of that pattern from a base Monday, so every run posts the same events.

use chrono::{DateTime, Datelike as _, Duration, NaiveDate, Utc, Weekday};
use tidsvakt::pb;
use uuid::Uuid;

/// Events per working day.
pub const EVENTS_PER_DAY: u64 = 4;

const DAY: [(pb::EventKind, i64); 4] = [
    (pb::EventKind::ClockIn, 7 * 60),
    (pb::EventKind::BreakStart, 10 * 60 + 30),
    (pb::EventKind::BreakEnd, 11 * 60),
    (pb::EventKind::ClockOut, 15 * 60),
];

/// The Monday on or before `date`.
#[must_use]
pub fn monday_of(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

/// The Monday `weeks` weeks before the week of `now`.
#[must_use]
pub fn monday_weeks_before(now: DateTime<Utc>, weeks: i64) -> NaiveDate {
    let monday = monday_of(now.date_naive()) - Duration::weeks(weeks);
    debug_assert_eq!(monday.weekday(), Weekday::Mon);
    monday
}

/// The kind and instant of `slot` counted from `base` (a Monday).
#[must_use]
pub fn slot_at(base: NaiveDate, slot: u64) -> (pb::EventKind, DateTime<Utc>) {
    let day = i64::try_from(slot / EVENTS_PER_DAY).unwrap_or(i64::MAX / 2);
    let (kind, minute) = DAY[usize::try_from(slot % EVENTS_PER_DAY).unwrap_or(0)];
    let date = base + Duration::days(day / 5 * 7 + day % 5);
    let at = date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() + Duration::minutes(minute);
    (kind, at)
}

/// Slots that fit in `weeks` weeks.
#[must_use]
pub fn slots_in_weeks(weeks: u64) -> u64 {
    weeks * 5 * EVENTS_PER_DAY
}

/// The event of `slot` for `employee`, with a fresh id, as a clock posts it.
#[must_use]
pub fn event(employee: &str, base: NaiveDate, slot: u64) -> pb::ClockEvent {
    let (kind, at) = slot_at(base, slot);
    let location = match kind {
        pb::EventKind::ClockIn => pb::Location::Office,
        _ => pb::Location::Unspecified,
    };
    pb::ClockEvent {
        event_id: Uuid::new_v4().to_string(),
        employee_id: employee.to_owned(),
        kind: kind as i32,
        occurred_at: Some(tidsvakt::grpc::convert::timestamp(at)),
        location: location as i32,
        device_id: "bench".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_walk_working_days() {
        let base = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap_or_default();
        assert_eq!(slot_at(base, 0).1.to_rfc3339(), "2026-11-02T07:00:00+00:00");
        assert_eq!(slot_at(base, 3).1.to_rfc3339(), "2026-11-02T15:00:00+00:00");
        // Slot 20 is the sixth working day: the next Monday.
        assert_eq!(
            slot_at(base, 20).1.to_rfc3339(),
            "2026-11-09T07:00:00+00:00"
        );
        assert_eq!(slot_at(base, 21).0, pb::EventKind::BreakStart);
    }
}
