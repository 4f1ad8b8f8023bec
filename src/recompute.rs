//! Keeping derived data current: a thin layer that reads the part of the
//! record a change can affect, runs the pure engine, and writes day totals
//! and findings back in one transaction.
//!
//! Every write to the record queues its employee in the same transaction
//! (`recompute_queue`), so nothing is missed across crashes; a background
//! worker drains the queue, and reads drain their own employees first so a
//! client always reads its own writes.
//!
//! A change in `[a, b]` touches (rules.md § 0):
//! - the ledger of the ISO weeks of `a`..`b`, the week before (an interval
//!   closed by a late clock-out may start there) and the week after (a
//!   shift crossing into it counts on its shift day);
//! - windows of at most 4 weeks that contain those days: they are judged
//!   from events loaded 4 weeks either side;
//! - windows of up to 52 weeks (overtime per 52 weeks, multi-week
//!   averages): judged from the loaded ledger plus stored day totals for
//!   the rest of the year either side, never from a year of events.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use futures::StreamExt as _;

use crate::clock::Clock;
use crate::domain::clock_status::{SHIFT_MARGIN, loaded_between};
use crate::domain::employee::{Employee, Exemption};
use crate::domain::engine::evaluate::{
    Evaluation, History, Scope, Subject, evaluate, needs_daily_history,
};
use crate::domain::engine::ledger::{monday_of, overtime_spans_by_day};
use crate::domain::engine::record::Span;
use crate::domain::event::{Amendment, StoredEvent, effective_events};
use crate::domain::ids::{EmployeeId, OrgId};
use crate::domain::local_days::{local_date, start_of_day};
use crate::domain::nudge::decide::NudgePolicy;
use crate::domain::policy::EmployeePolicy;
use crate::domain::rules::LONG_RULES;
use crate::storage::derived::{Pending, RecomputeWrite, StoredDay, StoredHistory};
use crate::storage::payroll::PageParts;
use crate::storage::{Store, StoreError, StoreResult};

/// Longest short-rule window (4 weeks), plus a margin for shifts.
const SHORT_REACH: Duration = Duration::days(28);
/// Longest long-rule window (52 weeks = 364 days), plus a week.
const LONG_REACH: Duration = Duration::days(371);
/// Employees recomputed at once by a drain.
const PARALLEL_RECOMPUTES: usize = 8;

/// The pack, time zone and exemption of an employee, as the engine needs them.
#[must_use]
pub fn subject(e: &Employee) -> Subject {
    Subject {
        employee: e.id,
        tz: e.fields.time_zone,
        pack: e.fields.rule_pack,
        exempt: e.fields.exemption != Exemption::None,
        locale: e.fields.locale,
    }
}

/// The employee's plans for local dates `from..=to`.
///
/// # Errors
/// Storage errors.
pub async fn policy(
    store: &dyn Store,
    org: OrgId,
    employee: EmployeeId,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<EmployeePolicy> {
    store.policy_of(org, employee, from, to).await
}

/// What an evaluation reads: the record in its load span, the plans of
/// [`plan_dates`] and (with history) the stored day and week totals of
/// [`history_dates`] outside [`trusted_dates`].
pub struct Inputs {
    pub events: Vec<StoredEvent>,
    pub amendments: Vec<Amendment>,
    pub plans: EmployeePolicy,
    pub history: StoredHistory,
}

/// The local dates whose plans an evaluation of `load` and `scope` reads:
/// long windows starting in scope reach up to 52 weeks past it.
fn plan_dates(tz: Tz, load: Span, scope: Scope) -> (NaiveDate, NaiveDate) {
    (
        local_date(tz, scope.long.start.min(load.start)),
        local_date(tz, scope.long.end.max(load.end) + LONG_REACH),
    )
}

/// The local dates whose stored day totals stand in for events.
fn history_dates(plans: (NaiveDate, NaiveDate)) -> (NaiveDate, NaiveDate) {
    (plans.0 - Duration::days(7), plans.1)
}

/// The local dates `t0 <= d < t1` whose ledger the events loaded in `load`
/// give exactly (shifts crossing its edges are whole only inside the
/// margins); stored totals stand in for the others.
fn trusted_dates(tz: Tz, load: Span) -> (NaiveDate, NaiveDate) {
    let trusted = trusted_span(load);
    (local_date(tz, trusted.start), local_date(tz, trusted.end))
}

/// The instants of `load` whose ledger is exact.
fn trusted_span(load: Span) -> Span {
    Span::new(load.start + SHIFT_MARGIN, load.end - SHIFT_MARGIN)
}

/// Whether `employee`'s rules read history per date under `plans`.
fn daily(employee: &Employee, plans: &EmployeePolicy) -> bool {
    needs_daily_history(employee.fields.rule_pack, plans)
}

/// Reads one employee's [`Inputs`].
async fn read_inputs(
    store: &dyn Store,
    org: OrgId,
    employee: &Employee,
    load: Span,
    scope: Scope,
    with_history: bool,
) -> StoreResult<Inputs> {
    let tz = employee.fields.time_zone;
    let (events, amendments) = store
        .record_between(org, employee.id, load.start, load.end)
        .await?;
    let (first, last) = plan_dates(tz, load, scope);
    let plans = policy(store, org, employee.id, first, last).await?;
    let history = if with_history {
        let who = [(employee.id, daily(employee, &plans))];
        let dates = history_dates((first, last));
        store
            .history_of(org, &who, dates, trusted_dates(tz, load))
            .await?
            .remove(&employee.id)
            .unwrap_or_default()
    } else {
        StoredHistory::default()
    };
    Ok(Inputs {
        events,
        amendments,
        plans,
        history,
    })
}

/// Evaluates `inputs` (pure): events in `load`, with stored day and week
/// totals outside the trusted middle of `load` standing in for events in
/// the long windows when `with_history`.
fn judge(
    employee: &Employee,
    inputs: &Inputs,
    load: Span,
    scope: Scope,
    with_history: bool,
    as_of: DateTime<Utc>,
) -> Evaluation {
    let tz = employee.fields.time_zone;
    let effective = loaded_between(
        effective_events(&inputs.events, &inputs.amendments),
        load,
        trusted_span(load).start,
    );
    let mut history = History::default();
    if with_history {
        history.trusted = Some(trusted_span(load));
        let (t0, t1) = trusted_dates(tz, load);
        for d in &inputs.history.days {
            if d.day >= t0 && d.day < t1 {
                continue;
            }
            history.add_day(
                d.day,
                Duration::seconds(d.worked),
                Duration::seconds(d.normal),
                &d.overtime_spans,
            );
        }
        // Week rows are whole weeks outside `t0..t1` (`HistoryReads`).
        for w in &inputs.history.weeks {
            history.add_week(w.monday, Duration::seconds(w.worked), &w.overtime_spans);
        }
    }
    let mut eval = evaluate(
        subject(employee),
        &effective,
        &inputs.plans,
        as_of,
        scope,
        &history,
    );
    // Intervals whose clock-in or clock-out an amendment added, voided or moved.
    let touched: std::collections::HashSet<uuid::Uuid> = inputs
        .amendments
        .iter()
        .flat_map(|a| [Some(a.request.amendment_id.0), a.request.change.target()])
        .flatten()
        .collect();
    let amended: Vec<uuid::Uuid> = eval
        .intervals
        .iter()
        .filter(|i| {
            touched.contains(&i.start_event) || i.end_event.is_some_and(|e| touched.contains(&e))
        })
        .map(|i| i.start_event)
        .collect();
    eval.record.amended.extend(amended);
    eval
}

/// Loads events in `[from, to)` and evaluates them, with stored day totals
/// outside `trusted` standing in for events in the long windows.
///
/// # Errors
/// Storage errors.
pub async fn evaluate_range(
    store: &dyn Store,
    org: OrgId,
    employee: &Employee,
    load: Span,
    scope: Scope,
    with_history: bool,
    as_of: DateTime<Utc>,
) -> StoreResult<(Evaluation, EmployeePolicy)> {
    let inputs = read_inputs(store, org, employee, load, scope, with_history).await?;
    let eval = judge(employee, &inputs, load, scope, with_history, as_of);
    Ok((eval, inputs.plans))
}

/// The figures of `record` (the events and amendments read for `load`:
/// record, ledger, day totals) with no windows judged, and the plans of
/// local dates `plans_from` to the end of `load`: what a timesheet shows
/// beside its stored findings, with the plans its flex balance needs since
/// `plans_from` read in the same statements.
///
/// # Errors
/// Storage errors.
#[allow(clippy::too_many_arguments)] // the record and plans version as read together
pub async fn evaluate_record(
    store: &dyn Store,
    org: OrgId,
    employee: &Employee,
    record: (Vec<StoredEvent>, Vec<Amendment>),
    plans_version: i64,
    load: Span,
    plans_from: NaiveDate,
    as_of: DateTime<Utc>,
) -> StoreResult<(Evaluation, EmployeePolicy)> {
    let (events, amendments) = record;
    let tz = employee.fields.time_zone;
    let from = plans_from.min(local_date(tz, load.start));
    let plans = store
        .policy_at(
            org,
            employee.id,
            from,
            local_date(tz, load.end),
            plans_version,
        )
        .await?;
    let inputs = Inputs {
        events,
        amendments,
        plans,
        history: StoredHistory::default(),
    };
    let eval = judge(employee, &inputs, load, Scope::none(), false, as_of);
    Ok((eval, inputs.plans))
}

/// What a recompute after a change reads and rewrites: day totals of
/// `days_from..=days_to`, findings of `scope`, judged from events in `load`.
#[derive(Clone, Copy)]
struct Reach {
    days_from: NaiveDate,
    days_to: NaiveDate,
    scope: Scope,
    load: Span,
}

/// The [`Reach`] of a change in `changed` for an employee in `tz`.
fn reach(tz: Tz, now: DateTime<Utc>, changed: Span) -> Reach {
    let a = changed.start.min(now);
    let b = changed.end.min(now + Duration::days(1)).max(a);
    let days_from = monday_of(local_date(tz, a)) - Duration::days(7);
    let days_to = monday_of(local_date(tz, b)) + Duration::days(13);
    let day_start = start_of_day(tz, days_from);
    let day_end = start_of_day(tz, days_to + Duration::days(1));
    let short = Span::new(day_start - SHORT_REACH, day_end);
    let long = Span::new(day_start - LONG_REACH, day_end);
    let load = Span::new(
        short.start - SHIFT_MARGIN,
        day_end + SHORT_REACH + SHIFT_MARGIN,
    );
    Reach {
        days_from,
        days_to,
        scope: Scope { short, long },
        load,
    }
}

/// Recomputes one employee after a change in `changed`. With `version`, it
/// consumes that queue entry and writes nothing if a newer change came in.
///
/// # Errors
/// Storage errors.
pub async fn recompute(
    store: &dyn Store,
    now: DateTime<Utc>,
    org: OrgId,
    employee_id: EmployeeId,
    changed: Span,
    version: Option<i64>,
) -> StoreResult<bool> {
    let Some(employee) = store.employee(org, employee_id).await? else {
        return Ok(false);
    };
    let r = reach(employee.fields.time_zone, now, changed);
    let inputs = read_inputs(store, org, &employee, r.load, r.scope, true).await?;
    write_recompute(store, now, &employee, version, r, &inputs).await
}

/// Judges `inputs` over `r` and writes day totals and findings (and the
/// nudges they call for) in one transaction.
async fn write_recompute(
    store: &dyn Store,
    now: DateTime<Utc>,
    employee: &Employee,
    version: Option<i64>,
    r: Reach,
    inputs: &Inputs,
) -> StoreResult<bool> {
    let write = judged_write(now, employee, version, r, inputs);
    store.apply_recompute(write).await
}

/// What a recompute of `employee` writes: its inputs judged over `r`.
fn judged_write(
    now: DateTime<Utc>,
    employee: &Employee,
    version: Option<i64>,
    r: Reach,
    inputs: &Inputs,
) -> RecomputeWrite {
    let eval = judge(employee, inputs, r.load, r.scope, true, now);
    let tz = employee.fields.time_zone;
    let days = stored_days(tz, &eval, r.days_from, r.days_to);
    let pack = employee.fields.rule_pack;
    RecomputeWrite {
        org: employee.org_id,
        employee: employee.id,
        version,
        days_from: r.days_from,
        days_to: r.days_to,
        days,
        short: r.scope.short,
        long: r.scope.long,
        long_rules: LONG_RULES,
        drafts: eval.findings,
        pack_version: pack.version().to_string(),
        pack: pack.as_str().to_string(),
        now,
        nudges: Some(NudgePolicy::default()),
    }
}

/// Reads the [`Inputs`] of employees sharing one [`Reach`] (same time zone,
/// same weeks) at once: one snapshot's page of their records and plans, and
/// one read of their stored history. Each share is what [`read_inputs`]
/// reads for that employee alone.
async fn read_page(
    store: &dyn Store,
    org: OrgId,
    tz: Tz,
    r: Reach,
    employees: &[&Employee],
) -> StoreResult<Vec<Inputs>> {
    let (first, last) = plan_dates(tz, r.load, r.scope);
    let ids: Vec<EmployeeId> = employees.iter().map(|e| e.id).collect();
    let mut snapshot = store.payroll_snapshot(org).await?;
    snapshot
        .prefetch(
            &ids,
            (r.load.start, r.load.end),
            (first, last),
            PageParts::Records,
        )
        .await?;
    let mut out = Vec::with_capacity(ids.len());
    let mut who = Vec::with_capacity(ids.len());
    for e in employees {
        let (events, amendments) = snapshot
            .record_between(e.id, r.load.start, r.load.end)
            .await?;
        let plans = snapshot.policy_of(e.id, first, last).await?;
        who.push((e.id, daily(e, &plans)));
        out.push(Inputs {
            events,
            amendments,
            plans,
            history: StoredHistory::default(),
        });
    }
    let dates = history_dates((first, last));
    let mut history = store
        .history_of(org, &who, dates, trusted_dates(tz, r.load))
        .await?;
    for (inputs, (id, _)) in out.iter_mut().zip(&who) {
        inputs.history = history.remove(id).unwrap_or_default();
    }
    Ok(out)
}

/// What decides a [`Reach`]: the time zone and the weeks.
type GroupKey<'a> = (&'a str, NaiveDate, NaiveDate);

/// Recomputes a round of queued rows of one organisation. Rows whose
/// employees share a time zone and the weeks their changes reach (nearly
/// every row under a live load: changes are this week's) read their inputs
/// as one page, a few statements for the round instead of about ten per
/// employee (issue 15); each employee is then judged, and the page's
/// results are written as one transaction of multi-row statements. A
/// stale employee (newer change queued) is skipped within the page; a
/// failing page is written employee by employee, so one employee's
/// failure leaves the others be.
async fn recompute_org_round(
    store: &dyn Store,
    now: DateTime<Utc>,
    org: OrgId,
    rows: &[Pending],
) -> StoreResult<Vec<(EmployeeId, StoreResult<bool>)>> {
    let ids: Vec<EmployeeId> = rows.iter().map(|p| p.employee).collect();
    let employees: std::collections::HashMap<EmployeeId, Employee> = store
        .employees_of(org, &ids)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    // Keyed by what decides a reach: the time zone and the weeks.
    let mut groups: std::collections::BTreeMap<GroupKey, Vec<(Pending, Reach)>> =
        std::collections::BTreeMap::new();
    for p in rows {
        let Some(e) = employees.get(&p.employee) else {
            out.push((p.employee, Ok(false)));
            continue;
        };
        let r = reach(e.fields.time_zone, now, p.span);
        groups
            .entry((e.fields.time_zone.name(), r.days_from, r.days_to))
            .or_default()
            .push((*p, r));
    }
    for members in groups.into_values() {
        let Some(&(first, r)) = members.first() else {
            continue;
        };
        let tz = employees[&first.employee].fields.time_zone;
        let ids: Vec<EmployeeId> = members.iter().map(|(p, _)| p.employee).collect();
        let page: Vec<&Employee> = ids.iter().map(|id| &employees[id]).collect();
        let inputs = read_page(store, org, tz, r, &page).await?;
        let mut writes: Vec<RecomputeWrite> = Vec::with_capacity(members.len());
        for ((p, r), inputs) in members.iter().zip(&inputs) {
            writes.push(judged_write(
                now,
                &employees[&p.employee],
                Some(p.version),
                *r,
                inputs,
            ));
            // Judging is CPU work: a page judged in one go would hold a
            // runtime thread (and the calls queued on it) for its whole page.
            tokio::task::yield_now().await;
        }
        // The page is written as one transaction; if it fails, each
        // employee is written on its own, so one failure leaves the others be.
        let written: Vec<(EmployeeId, StoreResult<bool>)> = match store
            .apply_recomputes(org, writes)
            .await
        {
            Ok(done) => ids.iter().copied().zip(done.into_iter().map(Ok)).collect(),
            Err(e) => {
                tracing::warn!(error = %e, "a recompute page's write failed; writing its employees one by one");
                let employees = &employees;
                futures::stream::iter(members.into_iter().zip(inputs))
                    .map(|((p, r), inputs)| async move {
                        let e = &employees[&p.employee];
                        let done =
                            write_recompute(store, now, e, Some(p.version), r, &inputs).await;
                        (p.employee, done)
                    })
                    .buffer_unordered(PARALLEL_RECOMPUTES)
                    .collect()
                    .await
            }
        };
        out.extend(written);
    }
    Ok(out)
}

/// Recomputes queued rows at their versions, a page per organisation (see
/// [`recompute_org_round`]), timed into `tidsvakt_recompute_duration_seconds`
/// (a round's time shared among its employees). A page whose shared read
/// fails is retried row by row, so each row gets its own outcome.
async fn recompute_round(
    store: &dyn Store,
    now: DateTime<Utc>,
    round: Vec<Pending>,
) -> Vec<(EmployeeId, StoreResult<bool>)> {
    let started = std::time::Instant::now();
    let n = round.len();
    let mut by_org: std::collections::BTreeMap<uuid::Uuid, Vec<Pending>> =
        std::collections::BTreeMap::new();
    for p in round {
        by_org.entry(p.org.0).or_default().push(p);
    }
    let mut out = Vec::with_capacity(n);
    for rows in by_org.into_values() {
        let org = rows[0].org;
        match recompute_org_round(store, now, org, &rows).await {
            Ok(done) => out.extend(done),
            Err(e) => {
                tracing::warn!(error = %e, "a recompute page failed; recomputing its rows one by one");
                let one_by_one: Vec<_> = futures::stream::iter(rows)
                    .map(|p| async move {
                        let done =
                            recompute(store, now, p.org, p.employee, p.span, Some(p.version)).await;
                        (p.employee, done)
                    })
                    .buffer_unordered(PARALLEL_RECOMPUTES)
                    .collect()
                    .await;
                out.extend(one_by_one);
            }
        }
    }
    if n > 0 {
        let each =
            started.elapsed().as_secs_f64() / f64::from(u32::try_from(n).unwrap_or(u32::MAX));
        for _ in 0..n {
            metrics::histogram!(crate::metrics::families::RECOMPUTE_DURATION).record(each);
        }
    }
    out
}

/// The evaluation's day totals for `from..=to`, as stored.
fn stored_days(tz: Tz, eval: &Evaluation, from: NaiveDate, to: NaiveDate) -> Vec<StoredDay> {
    let mut out: Vec<StoredDay> = eval
        .days
        .range(from..=to)
        .map(|(day, t)| StoredDay {
            day: *day,
            worked: t.worked.num_seconds(),
            normal: t.normal.num_seconds(),
            overtime: t.overtime.num_seconds(),
            night: t.night.num_seconds(),
            sunday_holiday: t.sunday_holiday.num_seconds(),
            home: t.home.num_seconds(),
            overtime_spans: Vec::new(),
        })
        .collect();
    // The spans the overtime limits count (the § 10-9 (2) extra break is
    // left out), as the engine's own windows read them.
    let mut by_day = overtime_spans_by_day(tz, &eval.ledger);
    for d in &mut out {
        d.overtime_spans = by_day.remove(&d.day).unwrap_or_default();
    }
    out
}

/// Drains queued recomputes (of one organisation or employee when given).
/// Returns how many were applied.
///
/// # Errors
/// Storage errors.
pub async fn drain(
    store: &dyn Store,
    now: DateTime<Utc>,
    org: Option<OrgId>,
    employee: Option<EmployeeId>,
) -> StoreResult<usize> {
    let mut applied = 0;
    loop {
        let pending = store.pending_recomputes(org, employee, 64).await?;
        if pending.is_empty() {
            return Ok(applied);
        }
        // Employees are independent: their reads overlap and their writes
        // share the SQLite writer's group commit (or PostgreSQL's pool).
        let results = recompute_round(store, now, pending).await;
        let mut progressed = false;
        for (_, done) in results {
            if done? {
                applied += 1;
                progressed = true;
            }
        }
        // A row that keeps changing under us is left to the next round.
        if !progressed {
            return Ok(applied);
        }
    }
}

/// How many times a read tries an employee whose queued change keeps
/// moving under it (new events while it recomputes); after that the
/// background worker has it.
const READ_ATTEMPTS: usize = 3;
/// Queue rows a read looks at to learn what was queued when it started.
const READ_LOOK: i64 = 50_000;
/// Queue rows a read recomputes per round: read fresh each round, so a
/// row's version is current when its recompute is applied.
const READ_ROUND: usize = 64;

/// Brings findings current for a read: the employees queued when the read
/// starts, each recomputed once. Unlike [`drain`] it does not chase what
/// is queued while it works (that is newer than the read, and the
/// background worker has it), so a read under a steady write load ends.
/// Rows are read 64 at a time from the head of the queue (oldest first),
/// so a recompute carries the row's current version and is not thrown
/// away as stale: the first version of this function took a snapshot of
/// 10,000 rows whose versions went stale under the writers, and its pulls
/// did not finish (issue 15, `docs/bench/totals-after-first.md`). The
/// rows queued before the read stay at the head until they are applied
/// (a widened row keeps its place), so when the head holds none of them
/// the read is current. An employee whose row changed under its
/// recompute is tried again, at most [`READ_ATTEMPTS`] times.
///
/// # Errors
/// Storage errors.
pub async fn drain_queued(
    store: &dyn Store,
    now: DateTime<Utc>,
    org: Option<OrgId>,
    employee: Option<EmployeeId>,
) -> StoreResult<usize> {
    drain_queued_within(store, now, org, employee, None).await
}

/// [`drain_queued`] that starts no new round after `budget` has passed
/// (when given); the first round always runs, and a round started
/// finishes. So a quiet organisation's queue (up to [`READ_ROUND`]
/// employees) is always applied, however slow the machine.
async fn drain_queued_within(
    store: &dyn Store,
    now: DateTime<Utc>,
    org: Option<OrgId>,
    employee: Option<EmployeeId>,
    budget: Option<StdDuration>,
) -> StoreResult<usize> {
    let wanted = store
        .pending_recomputes(org, employee, READ_LOOK)
        .await?
        .into_iter()
        .map(|p| p.employee)
        .collect();
    apply_queued(store, now, org, employee, wanted, budget).await
}

/// Applies the queued recomputes of `wanted` as [`drain_queued_within`]
/// does, the first round always, no new round after `budget`.
async fn apply_queued(
    store: &dyn Store,
    now: DateTime<Utc>,
    org: Option<OrgId>,
    employee: Option<EmployeeId>,
    mut wanted: std::collections::HashSet<EmployeeId>,
    budget: Option<StdDuration>,
) -> StoreResult<usize> {
    if wanted.is_empty() {
        // The usual case before a read: nothing queued, nothing more to ask.
        return Ok(0);
    }
    let started = std::time::Instant::now();
    let mut tries: std::collections::HashMap<EmployeeId, usize> = std::collections::HashMap::new();
    let mut applied = 0;
    let mut rounds = 0;
    loop {
        // Rows tried too often stay at the head: look past them.
        let given_up = tries.values().filter(|n| **n >= READ_ATTEMPTS).count();
        let limit = i64::try_from(READ_ROUND + given_up).unwrap_or(i64::MAX);
        let round: Vec<_> = store
            .pending_recomputes(org, employee, limit)
            .await?
            .into_iter()
            .filter(|p| {
                wanted.contains(&p.employee)
                    && tries.get(&p.employee).copied().unwrap_or(0) < READ_ATTEMPTS
            })
            .take(READ_ROUND)
            .collect();
        if round.is_empty() {
            return Ok(applied);
        }
        if rounds > 0 && budget.is_some_and(|b| started.elapsed() >= b) {
            tracing::info!(
                left = wanted.len(),
                applied,
                "read went on before every queued recompute was applied"
            );
            return Ok(applied);
        }
        for p in &round {
            *tries.entry(p.employee).or_default() += 1;
        }
        let results = recompute_round(store, now, round).await;
        rounds += 1;
        for (e, done) in results {
            if done? {
                applied += 1;
                wanted.remove(&e);
            }
        }
    }
}

/// [`drain_queued`] before a read. When the storage refuses writes (full or
/// read-only), bringing findings up to date cannot be stored, so the read
/// goes on from the record and the findings as stored, and the log says so,
/// rather than failing a read that needs no write.
///
/// # Errors
/// Storage errors other than a refused write.
pub async fn drain_for_read(
    store: &dyn Store,
    now: DateTime<Utc>,
    org: Option<OrgId>,
    employee: Option<EmployeeId>,
) -> StoreResult<()> {
    forgive_refused(drain_queued(store, now, org, employee).await)
}

/// How long the CSV export, which has no column to mark a count as
/// pending, waits for queued recomputes before it prices the period from
/// the findings as stored (it starts no new round after it). A pull reads
/// one snapshot, so what it waits for must be applied before its first
/// page; with a write load touching every employee, waiting for all of
/// them took minutes (issue 15, `docs/bench/totals-after.md`). The figures
/// never wait: they come from the events in the snapshot. Only the open
/// findings count of an employee still queued after this is as of its
/// last recompute, and the background worker brings it current. A lock
/// waits for everything.
pub const CSV_PULL_BUDGET: StdDuration = StdDuration::from_secs(5);

/// [`drain_for_read`] before a payroll pull: the organisation's queued
/// recomputes, starting no new round after `budget` (the first round
/// always runs; a round started finishes).
///
/// # Errors
/// Storage errors other than a refused write.
pub async fn drain_for_pull(
    store: &dyn Store,
    now: DateTime<Utc>,
    org: OrgId,
    budget: StdDuration,
) -> StoreResult<()> {
    forgive_refused(drain_queued_within(store, now, Some(org), None, Some(budget)).await)
}

/// Before a pull that marks each employee still queued (`ListTotals`'
/// `open_findings_pending`, the payroll page): applies the organisation's
/// queue only when all of it fits in one round of [`READ_ROUND`]
/// employees, so a quiet organisation's pull right after a change is
/// exact; that one round runs (what is queued meanwhile is marked). A
/// longer queue is left to the background worker and the pull marks those
/// employees at once: waiting would make only a sliver of the counts
/// exact. Under a write load that keeps every employee queued, the first
/// round of 64 (of 10,000) cost the pull about a second and cleared under
/// 1 % of its marks (issue 15, nineteenth round); a 5 s wait before that
/// took 7.3 s in all, and sent its counts unmarked (round 17,
/// `docs/bench/round17-rest.md`).
///
/// # Errors
/// Storage errors other than a refused write.
pub async fn drain_for_marked_pull(
    store: &dyn Store,
    now: DateTime<Utc>,
    org: OrgId,
) -> StoreResult<()> {
    let one_round = i64::try_from(READ_ROUND).unwrap_or(i64::MAX);
    let head = store
        .pending_recomputes(Some(org), None, one_round + 1)
        .await?;
    if head.len() > READ_ROUND {
        tracing::info!(
            queued_at_least = head.len(),
            "pull marks the queued employees instead of waiting for them"
        );
        return Ok(());
    }
    // Exactly these, in one round (a zero budget: no other starts).
    let wanted = head.into_iter().map(|p| p.employee).collect();
    let applied = apply_queued(store, now, Some(org), None, wanted, Some(StdDuration::ZERO));
    forgive_refused(applied.await)
}

/// A read goes on from the findings as stored when the storage refuses
/// writes (full or read-only), and the log says so.
fn forgive_refused(drained: StoreResult<usize>) -> StoreResult<()> {
    match drained {
        Ok(_) => Ok(()),
        Err(StoreError::Refused(fault)) => {
            tracing::warn!(
                %fault,
                "findings not brought up to date: answering from the record and the findings as stored"
            );
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// The background worker: until the process stops, a rest of `rest`, then
/// one pass over the employees queued when the pass starts
/// ([`drain_queued`]), each recomputed once for all its changes since its
/// last recompute. Errors are logged and retried after the next rest.
///
/// The rest comes after every pass, however long the pass took: with a
/// tick instead, a pass longer than the tick started the next at once, so
/// under a write load the recompute never paused and an employee was
/// recomputed for every event or two. Resting lets the changes of the rest
/// gather into one recompute per employee (issue 15, seventeenth round:
/// `RecordEvent` on SQLite 3,911 / 4,054 → 4,837 / 4,697 events/s, server
/// CPU an event 325 → 262 / 256 µs; the findings' lag at 1,000 events/s
/// 0.27 → 0.38 s at p99, against a goal of 1 s).
///
/// It does not chase what is queued during a pass: a worker that drained
/// to empty recomputed an employee after nearly every event under a steady
/// load, so whatever a recompute saved went into more recomputes, not less
/// work (issue 15, twelfth round: reading history 6× cheaper left the CPU
/// per event where it was and cut ingest). An employee is now recomputed
/// once a pass (up to three times if it keeps changing meanwhile), and a
/// change queued during a pass waits for the end of that pass, the rest
/// and its turn in the next; reads still bring their own employees current
/// first.
pub async fn run_worker(store: Arc<dyn Store>, clock: Arc<dyn Clock>, rest: StdDuration) {
    loop {
        tokio::time::sleep(rest).await;
        match drain_queued(store.as_ref(), clock.now(), None, None).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(recomputed = n, "findings recomputed"),
            Err(e) => tracing::warn!(error = %e, "recompute failed; retrying"),
        }
    }
}
