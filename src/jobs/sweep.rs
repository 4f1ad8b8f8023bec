//! What only the passing of time makes true. Every write recomputes its
//! employee at once, but some findings appear with no write at all: an
//! interval that has been open for 14 hours, a day whose core hours ended
//! with the employee away. The sweep finds them:
//! - an interval still open after the expected end of its day gets one
//!   reminder (a unique key per interval), with a suggested end time;
//! - an employee for whom a time-dependent threshold passed since the last
//!   sweep is recomputed as of now, so those findings (and their nudges)
//!   appear within one sweep: an open interval reaching 14 h, a clock-out
//!   without clock-in passing its 1 h grace, the end of core hours on a day
//!   with recent work. The first sweep of a process looks back 36 hours, so
//!   a restart misses nothing that happened while it was down.

use chrono::{DateTime, Duration, Utc};

use crate::domain::clock_status::pair;
use crate::domain::engine::days::{Plan, local_instant};
use crate::domain::engine::record::Span;
use crate::domain::event::effective_events;
use crate::domain::ids::{EmployeeId, OrgId};
use crate::domain::local_days::local_date;
use crate::domain::nudge::decide::{Audience, NudgePolicy};
use crate::domain::nudge::reminder::clock_out_reminder;
use crate::storage::outbox::{MessageKind, NewMessage, NewNudge};
use crate::storage::{EmployeeFilter, Store, StoreResult};

/// Open intervals older than this get no reminder: the missing clock-out
/// finding (and, at a payroll lock, `no.record`) has taken over.
const REMINDER_HORIZON: Duration = Duration::days(3);
/// How far the first sweep of a process looks back.
pub const FIRST_LOOK_BACK: Duration = Duration::hours(36);
/// An open interval becomes `pol.missing_clock_out` after this (rules.md § 4).
const OPEN_LIMIT: Duration = Duration::hours(14);
/// A clock-out without a clock-in becomes a finding after this grace.
const UNPAIRED_GRACE: Duration = Duration::hours(1);

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepRound {
    pub reminders: usize,
    pub recomputed: usize,
    /// Employees the sweep could not handle this round (logged).
    pub failed: usize,
}

/// The key of an open interval's reminder.
#[must_use]
pub fn reminder_key(interval: uuid::Uuid) -> String {
    format!("reminder:{interval}")
}

/// One sweep over every active employee; `since` is the previous sweep's
/// instant (thresholds in `(since, now]` are acted on).
///
/// # Errors
/// Storage errors.
pub async fn run_once(
    store: &dyn Store,
    policy: &NudgePolicy,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<SweepRound> {
    let mut round = SweepRound::default();
    for org in store.organisation_ids().await? {
        let mut after: Option<String> = None;
        loop {
            let page = store
                .list_employees(org, &EmployeeFilter::default(), after.as_deref(), 200)
                .await?;
            for e in &page {
                // One employee's trouble (a corrupt row, a failed recompute)
                // must not stop reminders and findings for everyone after.
                match sweep_employee(store, org, e, policy, since, now).await {
                    Ok((reminded, recompute)) => {
                        round.reminders += usize::from(reminded);
                        if let Some(span) = recompute {
                            match crate::recompute::recompute(store, now, org, e.id, span, None)
                                .await
                            {
                                Ok(_) => round.recomputed += 1,
                                Err(err) => {
                                    round.failed += 1;
                                    tracing::warn!(employee_id = %e.id, error = %err, "sweep recompute failed");
                                }
                            }
                        }
                    }
                    Err(err) => {
                        round.failed += 1;
                        tracing::warn!(employee_id = %e.id, error = %err, "sweep failed for an employee");
                    }
                }
            }
            if page.len() < 200 {
                break;
            }
            after = page.last().map(|e| e.fields.external_id.clone());
        }
    }
    Ok(round)
}

/// Whether a reminder was queued, and the span to recompute, if any.
async fn sweep_employee(
    store: &dyn Store,
    org: OrgId,
    e: &crate::domain::employee::Employee,
    policy: &NudgePolicy,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<(bool, Option<Span>)> {
    let record = store.status_record(org, e.id).await?;
    let effective = effective_events(&record.events, &record.amendments);
    let pairing = pair(&effective);
    let tz = e.fields.time_zone;
    let mut reminded = false;
    let crossed = |t: DateTime<Utc>| t > since && t <= now;
    let mut thresholds_from: Option<DateTime<Utc>> = None;
    let mut note = |from: DateTime<Utc>| {
        thresholds_from = Some(thresholds_from.map_or(from, |f: DateTime<Utc>| f.min(from)));
    };
    if let Some(latest) = effective.iter().map(|x| x.occurred_at).max()
        && latest > since - Duration::days(1)
    {
        if crossed(latest + UNPAIRED_GRACE) {
            note(latest);
        }
        // The end of core hours on each day from the latest event to today.
        let plans = store
            .policy_of(org, e.id, local_date(tz, latest), local_date(tz, now))
            .await?;
        let plan = Plan::new(e.id, &plans, e.fields.rule_pack.national_holidays());
        let mut day = local_date(tz, latest);
        while day <= local_date(tz, now) {
            if let Some((_, end)) = plan.schedule(day).core_hours
                && crossed(local_instant(tz, day.and_time(end)))
            {
                note(crate::domain::local_days::start_of_day(tz, day));
            }
            day += Duration::days(1);
        }
    }
    for open in pairing.intervals.iter().filter(|i| i.end.is_none()) {
        if crossed(open.start + OPEN_LIMIT) {
            note(open.start);
        }
        if open.start < now - REMINDER_HORIZON {
            continue;
        }
        let day = local_date(tz, open.start);
        let plans = store.policy_of(org, e.id, day, day).await?;
        let planned = Plan::new(e.id, &plans, e.fields.rule_pack.national_holidays()).day(day);
        let due = clock_out_reminder(tz, open.start, &planned);
        if now < due.due {
            continue;
        }
        let send_after = policy.quiet.release(tz, due.due.max(now));
        reminded |= queue_reminder(
            store,
            org,
            e.id,
            open.start_event,
            due.suggested_end,
            send_after,
            now,
        )
        .await?;
    }
    Ok((reminded, thresholds_from.map(|from| Span::new(from, now))))
}

async fn queue_reminder(
    store: &dyn Store,
    org: OrgId,
    employee: EmployeeId,
    interval: uuid::Uuid,
    suggested_end: DateTime<Utc>,
    send_after: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let key = reminder_key(interval);
    let new = store
        .enqueue_message(
            NewMessage {
                org,
                key: key.clone(),
                kind: MessageKind::Reminder,
                recipient: employee,
                reference: format!("{interval}|{}", suggested_end.timestamp_micros()),
                send_after,
                nudges: vec![NewNudge {
                    dedup_key: key,
                    employee,
                    audience: Audience::Employee,
                    category: "record".into(),
                    rule_id: "pol.missing_clock_out".into(),
                    finding: None,
                    severity: "PATTERN".into(),
                }],
            },
            now,
        )
        .await?;
    if new {
        tracing::info!(employee_id = %employee, interval = %interval, "clock-out reminder queued");
    }
    Ok(new)
}
