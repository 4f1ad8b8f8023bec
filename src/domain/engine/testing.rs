//! Helpers for engine tests: events from local times in Europe/Oslo.

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Europe::Oslo;
use uuid::Uuid;

use super::evaluate::{Evaluation, History, Scope, Subject, evaluate};
use super::finding::Severity;
use super::record::Span;
use crate::domain::employee::Locale;
use crate::domain::event::{EffectiveEvent, EventKind};
use crate::domain::ids::EmployeeId;
use crate::domain::policy::EmployeePolicy;
use crate::domain::rules::pack::RulePack;

pub fn oslo(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Oslo.with_ymd_and_hms(y, m, d, h, min, 0)
        .earliest()
        .unwrap()
        .with_timezone(&Utc)
}

fn ev(kind: EventKind, at: DateTime<Utc>) -> EffectiveEvent {
    EffectiveEvent {
        id: Uuid::new_v4(),
        kind,
        occurred_at: at,
        location: None,
    }
}

/// A clock-in at `start`, the breaks, a clock-out at `end`.
pub fn work(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    breaks: &[(DateTime<Utc>, DateTime<Utc>)],
) -> Vec<EffectiveEvent> {
    let mut out = vec![ev(EventKind::ClockIn, start)];
    for (s, e) in breaks {
        out.push(ev(EventKind::BreakStart, *s));
        out.push(ev(EventKind::BreakEnd, *e));
    }
    out.push(ev(EventKind::ClockOut, end));
    out
}

pub const EMPLOYEE: EmployeeId = EmployeeId(Uuid::nil());

/// Evaluates everything, with `as_of` well after the events.
pub fn run_with(
    pack: &str,
    exempt: bool,
    events: &[EffectiveEvent],
    policy: &EmployeePolicy,
) -> Evaluation {
    let subject = Subject {
        employee: EMPLOYEE,
        tz: Oslo,
        pack: RulePack::parse(pack).expect("a known pack"),
        exempt,
        locale: Locale::En,
    };
    let as_of = oslo(2030, 1, 1, 0, 0);
    let scope = Span::new(oslo(2000, 1, 1, 0, 0), as_of);
    evaluate(
        subject,
        events,
        policy,
        as_of,
        Scope::all(scope),
        &History::default(),
    )
}

/// The test employee in Oslo under `no-aml`, in English.
#[must_use]
pub fn oslo_subject() -> Subject {
    Subject {
        employee: EMPLOYEE,
        tz: Oslo,
        pack: RulePack::NoAml,
        exempt: false,
        locale: Locale::En,
    }
}

/// Evaluates `events` judging only windows starting in `scope`.
pub fn run_scoped(events: &[EffectiveEvent], scope: Span) -> Evaluation {
    let subject = oslo_subject();
    evaluate(
        subject,
        events,
        &EmployeePolicy::default(),
        oslo(2030, 1, 1, 0, 0),
        Scope::all(scope),
        &History::default(),
    )
}

pub fn run(events: &[EffectiveEvent]) -> Evaluation {
    run_with("no-aml", false, events, &EmployeePolicy::default())
}

/// The findings as (rule, severity), in order.
pub fn fired(e: &Evaluation) -> Vec<(&'static str, Severity)> {
    e.findings.iter().map(|f| (f.rule_id, f.severity)).collect()
}

pub fn minutes(d: Duration) -> i64 {
    d.num_minutes()
}
