//! `GetHeadroom`'s glue: reads the last four weeks of events (and stored day
//! totals for the year before), closes an open interval at `at`, and asks
//! the pure engine.

use chrono::{DateTime, Duration, Utc};

use super::convert::timestamp;
use super::error::ApiResult;
use crate::domain::employee::Employee;
use crate::domain::engine::days::Plan;
use crate::domain::engine::evaluate::{History, Scope, evaluate};
use crate::domain::engine::headroom::{close_at, headroom, load_span};
use crate::domain::engine::params::Params;
use crate::domain::engine::record::Span;
use crate::domain::event::{EffectiveEvent, effective_events};
use crate::domain::ids::OrgId;
use crate::domain::local_days::local_date;
use crate::pb;
use crate::recompute;
use crate::storage::Store;

/// Headroom of `employee` at `at`.
///
/// # Errors
/// Storage errors.
pub async fn compute(
    store: &dyn Store,
    org: OrgId,
    employee: &Employee,
    at: DateTime<Utc>,
) -> ApiResult<pb::GetHeadroomResponse> {
    let tz = employee.fields.time_zone;
    let (load, trusted) = load_span(tz, at);
    let (events, amendments) = store
        .record_between(org, employee.id, load.start, load.end)
        .await?;
    let mut effective: Vec<EffectiveEvent> = effective_events(&events, &amendments);
    let working = close_at(&mut effective, load.start, at);
    let mut history = History {
        trusted: Some(trusted),
        ..History::default()
    };
    let first = local_date(tz, at - Duration::days(371));
    for d in store
        .day_totals(
            org,
            employee.id,
            first,
            local_date(tz, trusted.start) - Duration::days(1),
        )
        .await?
    {
        history.add_day(
            d.day,
            Duration::seconds(d.worked),
            Duration::seconds(d.normal),
            &d.overtime_spans,
        );
    }
    let policy = recompute::policy(store, org, employee.id, first, local_date(tz, at)).await?;
    let subject = recompute::subject(employee);
    let eval = evaluate(
        subject,
        &effective,
        &policy,
        at,
        Scope::all(Span::new(at, at)),
        &history,
    );
    let params = Params::new(subject.pack, &policy);
    let plan = Plan::new(employee.id, &policy, subject.pack.national_holidays());
    let h = headroom(subject, &eval, &params, &plan, at, working);
    let m = |d: Duration| d.num_minutes();
    Ok(pb::GetHeadroomResponse {
        employee_id: employee.id.to_string(),
        at: Some(timestamp(at)),
        rule_pack: subject.pack.to_string(),
        rule_pack_version: subject.pack.version().to_string(),
        exempt: h.exempt,
        limits: h
            .limits
            .iter()
            .map(|l| pb::LimitHeadroom {
                rule_id: l.rule_id.to_string(),
                window_start: Some(timestamp(l.window.start)),
                window_end: Some(timestamp(l.window.end)),
                used_minutes: m(l.used),
                limit_minutes: m(l.limit),
                remaining_minutes: m(l.limit - l.used),
                warning_minutes: l.warning.map_or(0, m),
                reached_at: l.reached_at.map(timestamp),
                citation: l.citation.clone(),
            })
            .collect(),
        earliest_next_start: h.earliest_next_start.map(|(t, _)| timestamp(t)),
        earliest_next_start_rule_id: h
            .earliest_next_start
            .map(|(_, r)| r.to_string())
            .unwrap_or_default(),
        latest_end: h.latest_end.map(|(t, _)| timestamp(t)),
        latest_end_rule_id: h.latest_end.map(|(_, r)| r.to_string()).unwrap_or_default(),
    })
}
