//! Payroll pulls and locks: a thin layer that reads one snapshot, runs the
//! engine and the pure payroll categories per employee, and adds the
//! adjustment lines of locked periods.
//!
//! Adjustments. What a locked period paid never changes. For an open period
//! P, every locked period L in the run of locked periods just before it is
//! re-judged (with L's own frozen settings) for the employees whose record
//! or plans changed after L's lock; the difference between L's figures now
//! and what was paid for L (its frozen lines plus adjustments already
//! carried into later locked periods) becomes adjustment lines in P.

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::domain::clock_status::{SHIFT_MARGIN, loaded_between};
use crate::domain::employee::Employee;
use crate::domain::engine::days::Plan;
use crate::domain::engine::evaluate::{History, Scope, evaluate};
use crate::domain::engine::ledger::monday_of;
use crate::domain::engine::record::Span;
use crate::domain::event::effective_events;
use crate::domain::ids::EmployeeId;
use crate::domain::local_days::{local_date, start_of_day};
use crate::domain::payroll::categories::{PeriodInput, figures, lines};
use crate::domain::payroll::lines::{Adjustment, Line, Totals, difference, totals};
use crate::domain::payroll::period::Period;
use crate::domain::payroll::settings::PayrollSettings;
use crate::recompute::subject;
use crate::storage::payroll::{
    FrozenEmployee, LateChange, LockedPeriod, PageParts, PageView, PayrollFilter, PayrollSnapshot,
    RecordReads,
};
use crate::storage::{StoreError, StoreResult};

/// Turns stored settings into domain settings (the API layer owns the
/// encoding).
pub type Decode = fn(&str) -> Result<PayrollSettings, StoreError>;

/// One employee's totals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmployeeTotals {
    pub employee: EmployeeId,
    pub external_id: String,
    pub lines: Vec<Line>,
    /// Intervals still open on the period's days (a lock raises a
    /// `no.record` finding for each).
    pub open_intervals: i64,
    /// The employee was in the recompute queue when the pull read its
    /// snapshot: the figures include every stored change, the open
    /// findings count may not yet (a lock waits for the queue). Per
    /// employee, not per period: a change anywhere in the record can move
    /// findings of windows up to a year long.
    pub findings_pending: bool,
}

/// What [`judge`] finds for one employee in one period.
#[derive(Default)]
struct Judged {
    totals: Totals,
    /// Intervals still open on the period's days.
    open_intervals: i64,
    /// See [`EmployeeTotals::findings_pending`].
    findings_pending: bool,
}

/// A pull of one period: the snapshot and what was decided at its start.
pub struct Pull {
    snapshot: Box<dyn PayrollSnapshot>,
    pub settings: PayrollSettings,
    pub period: Period,
    /// Set when the period is locked: its frozen lines are the answer.
    pub locked: Option<LockedPeriod>,
    filter: PayrollFilter,
    /// The page after the last one sent, read while that one was priced.
    ahead: Option<Batch>,
    /// Locked periods whose adjustments this (open) period carries, oldest
    /// first, with their settings and the employees to re-judge (`None`:
    /// everyone, because organisation-wide plans changed).
    run: Vec<(LockedPeriod, PayrollSettings, Option<HashSet<EmployeeId>>)>,
}

/// Why a pull cannot start.
#[derive(Debug)]
pub enum PullError {
    /// The period id does not parse under the organisation's period kind.
    Period(crate::domain::employee::FieldError),
    Store(StoreError),
}

impl From<StoreError> for PullError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

/// How long before its lock a change may have been stamped yet not be
/// visible to the lock's snapshot (a write waiting for its commit). Changes
/// this close to a lock are re-judged: a needless re-judgement costs time,
/// a missed one would cost pay.
const LOCK_MARGIN: Duration = Duration::seconds(60);

/// The instants whose events can move the figures of `first..=last`: from
/// [`SHIFT_MARGIN`] before the Monday of the first week (the ledger of that week
/// and a shift running into it) to the end of the last date, in any zone.
fn reach(first: NaiveDate, last: NaiveDate) -> Span {
    let s = wide_span(monday_of(first) - SHIFT_MARGIN, last);
    Span::new(s.start, s.end)
}

/// Instants that surely cover local dates `first..=last` in any time zone.
fn wide_span(first: NaiveDate, last: NaiveDate) -> Span {
    let utc = |d: NaiveDate| start_of_day(chrono_tz::UTC, d);
    Span::new(
        utc(first) - Duration::hours(15),
        utc(last + Duration::days(1)) + Duration::hours(15),
    )
}

impl Pull {
    /// Opens a snapshot and decides what the pull of `period_id` holds.
    ///
    /// # Errors
    /// A malformed period id, or storage errors.
    pub async fn open(
        mut snapshot: Box<dyn PayrollSnapshot>,
        decode: Decode,
        period_id: &str,
        filter: PayrollFilter,
    ) -> Result<Self, PullError> {
        let settings = match snapshot.settings().await? {
            Some(s) => decode(&s.encoded)?,
            None => PayrollSettings::default(),
        };
        let period = settings.kind.parse(period_id).map_err(PullError::Period)?;
        let all_locked = snapshot.locked_periods().await?;
        let locked = all_locked
            .iter()
            .find(|l| l.period_id == period.id)
            .cloned();
        let mut run = Vec::new();
        if locked.is_none() {
            let mut p = period.clone();
            while let Some(prev) = settings.kind.previous(&p) {
                let Some(l) = all_locked.iter().find(|l| l.period_id == prev.id) else {
                    break;
                };
                let l_settings = decode(&l.settings)?;
                let digest = snapshot.plans_digest((l.first, l.last)).await?;
                let who = if digest == l.plans_digest {
                    Some(
                        snapshot
                            .touched_since(
                                l.locked_at,
                                wide_span(l.first, l.last),
                                (l.first, l.last),
                            )
                            .await?
                            .into_iter()
                            .collect(),
                    )
                } else {
                    None
                };
                run.push((l.clone(), l_settings, who));
                p = prev;
            }
            run.reverse();
        }
        Ok(Self {
            snapshot,
            settings,
            period,
            locked,
            filter,
            ahead: None,
            run,
        })
    }

    /// The next page of employees after `after`, at most `limit`.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn page(
        &mut self,
        after: Option<EmployeeId>,
        limit: i64,
    ) -> StoreResult<Vec<EmployeeTotals>> {
        if let Some(l) = &self.locked {
            let id = l.period_id.clone();
            return Ok(self
                .snapshot
                .frozen(&id, &self.filter, after, limit)
                .await?
                .into_iter()
                .map(|f| EmployeeTotals {
                    employee: f.employee,
                    external_id: f.external_id,
                    lines: f.lines,
                    open_intervals: 0,
                    findings_pending: false,
                })
                .collect());
        }
        // Employees who have left still get the adjustments of the locked
        // periods before this one, so the selection reaches back to them.
        let since = self
            .run
            .first()
            .map_or(self.period.first, |(l, _, _)| l.first);
        let span = wide_span(since.min(self.period.first), self.period.last);
        let mut out = Vec::new();
        let mut cursor = after;
        // Employees outside the period are skipped, so a page may need
        // several reads to fill.
        loop {
            let batch = match self.ahead.take() {
                Some(b) if b.after == cursor && b.limit == limit => b,
                _ => self.read_batch(span, cursor, limit).await?,
            };
            let done = batch.done;
            cursor = batch.employees.last().map(|e| e.id).or(cursor);
            if let Some(view) = batch.view {
                // Priced on another thread while this one reads the next
                // page from the snapshot (the read-ahead is kept for the
                // next call when this page is full).
                let pricing = tokio::spawn(price_page(
                    batch.employees,
                    view,
                    self.period.clone(),
                    self.settings.clone(),
                ));
                let next = if done {
                    None
                } else {
                    Some(self.read_batch(span, cursor, limit).await)
                };
                out.extend(pricing.await.map_err(|e| {
                    StoreError::Corrupt(format!("pricing a payroll page stopped: {e}"))
                })??);
                self.ahead = next.transpose()?;
            } else {
                for e in batch.employees {
                    if let Some(t) = self.employee(&e).await? {
                        out.push(t);
                    }
                }
            }
            if done || i64::try_from(out.len()).unwrap_or(0) >= limit {
                return Ok(out);
            }
        }
    }

    /// The next `limit` employees after `after` with their page read; the
    /// page is taken out of the snapshot when nothing else needs the
    /// snapshot to price them (no adjustments of locked periods).
    async fn read_batch(
        &mut self,
        span: Span,
        after: Option<EmployeeId>,
        limit: i64,
    ) -> StoreResult<Batch> {
        let employees = self
            .snapshot
            .employees(&self.filter, span.start, span.end, after, limit)
            .await?;
        let done = i64::try_from(employees.len()).unwrap_or(0) < limit;
        let ids: Vec<EmployeeId> = employees.iter().map(|e| e.id).collect();
        let (from, to) = page_reach(&self.period);
        self.snapshot
            .prefetch(
                &ids,
                (from, to),
                plan_dates(&self.period),
                PageParts::Pricing,
            )
            .await?;
        let view = if self.run.is_empty() {
            self.snapshot.take_page()
        } else {
            None
        };
        Ok(Batch {
            after,
            limit,
            employees,
            done,
            view,
        })
    }

    /// One employee's totals: the period's own lines, then adjustments.
    /// `None` when the employee has nothing in the period and was not
    /// employed on any of its dates.
    async fn employee(&mut self, e: &Employee) -> StoreResult<Option<EmployeeTotals>> {
        let period = self.period.clone();
        let own = judge_own(self.snapshot.as_mut(), e, &period, &self.settings).await?;
        let mut adjusted = Vec::new();
        for i in 0..self.run.len() {
            let (l, l_settings, who) = &self.run[i];
            if who.as_ref().is_some_and(|w| !w.contains(&e.id)) {
                continue;
            }
            let (l, l_settings) = (l.clone(), l_settings.clone());
            adjusted.extend(adjustments(self.snapshot.as_mut(), e, &l, &l_settings).await?);
        }
        Ok(employee_totals(e, own, &self.settings, adjusted))
    }
}

/// A page of employees read from the snapshot, with their records taken
/// out of it when they can be priced apart from it.
struct Batch {
    /// The cursor and size it was read for.
    after: Option<EmployeeId>,
    limit: i64,
    employees: Vec<Employee>,
    /// Fewer than `limit`: the last page.
    done: bool,
    view: Option<PageView>,
}

/// Prices a page from its records alone (no adjustments: see
/// [`Pull::read_batch`]).
async fn price_page(
    employees: Vec<Employee>,
    mut view: PageView,
    period: Period,
    settings: PayrollSettings,
) -> StoreResult<Vec<EmployeeTotals>> {
    let mut out = Vec::new();
    for e in &employees {
        let own = judge_own(&mut view, e, &period, &settings).await?;
        out.extend(employee_totals(e, own, &settings, Vec::new()));
    }
    Ok(out)
}

/// An employee's totals from the engine's figures (`own`, `None` when
/// nothing in the period) and the adjustment lines; `None` when there is
/// nothing to send.
fn employee_totals(
    e: &Employee,
    own: Option<Judged>,
    settings: &PayrollSettings,
    adjusted: Vec<Line>,
) -> Option<EmployeeTotals> {
    let in_period = own.is_some();
    let own = own.unwrap_or_default();
    let mut lines = lines(&own.totals, settings);
    lines.extend(adjusted);
    // Someone outside the period is sent only for an adjustment.
    if !in_period && lines.is_empty() {
        return None;
    }
    Some(EmployeeTotals {
        employee: e.id,
        external_id: e.fields.external_id.clone(),
        lines,
        open_intervals: own.open_intervals,
        findings_pending: own.findings_pending,
    })
}

/// What [`judge`] loads for `period` in any time zone: its ISO week's
/// Monday to its last day, with [`SHIFT_MARGIN`] for shifts either side and
/// a day for the zone's offset (at most 14 hours).
fn page_reach(period: &Period) -> (DateTime<Utc>, DateTime<Utc>) {
    let utc_day = |d: NaiveDate| d.and_time(chrono::NaiveTime::MIN).and_utc();
    (
        utc_day(monday_of(period.first)) - SHIFT_MARGIN - Duration::days(1),
        utc_day(period.last + Duration::days(1)) + SHIFT_MARGIN + Duration::days(1),
    )
}

/// The local dates whose plans [`judge`] reads for `period`: a week either
/// side of its ISO weeks.
fn plan_dates(period: &Period) -> (NaiveDate, NaiveDate) {
    (
        monday_of(period.first) - Duration::days(7),
        period.last + Duration::days(7),
    )
}

/// The adjustment lines of locked period `l` for `e`.
async fn adjustments(
    snap: &mut dyn PayrollSnapshot,
    e: &Employee,
    l: &LockedPeriod,
    settings: &PayrollSettings,
) -> StoreResult<Vec<Line>> {
    let period = Period {
        first: l.first,
        last: l.last,
        id: l.period_id.clone(),
    };
    let now = judge(snap, e, &period, settings, None)
        .await?
        .map(|j| j.totals)
        .unwrap_or_default();
    let frozen = snap.frozen_lines(&l.period_id, e.id).await?;
    let carried = snap.carried(e.id, &l.period_id).await?;
    let paid = totals(
        frozen
            .iter()
            .filter(|f| f.adjustment.is_none())
            .chain(&carried),
    );
    let diff: Totals = difference(&now, &paid);
    if diff.is_empty() {
        return Ok(Vec::new());
    }
    let changes = snap
        .late_changes(
            e.id,
            l.locked_at - LOCK_MARGIN,
            reach(l.first, l.last),
            (l.first, l.last),
        )
        .await?;
    // Changes stamped in the margin before the lock may or may not have been
    // in the lock's snapshot; events posted after the period's end but just
    // before its lock were paid and are not "recorded late" (issue 13 item
    // 11). They were left out of what was paid exactly when the figures
    // without them are what was paid; otherwise they are dropped from the
    // reason. Changes stamped after the lock are always listed.
    let in_margin = |c: &LateChange| match c {
        LateChange::Event(ev) => ev.received_at < l.locked_at,
        LateChange::Amendment(a) => a.created_at < l.locked_at,
        _ => false,
    };
    let changes = if changes.iter().any(in_margin) {
        let before = judge(snap, e, &period, settings, Some(l.locked_at - LOCK_MARGIN))
            .await?
            .map(|j| j.totals)
            .unwrap_or_default();
        if difference(&before, &paid).is_empty() {
            changes
        } else {
            changes.into_iter().filter(|c| !in_margin(c)).collect()
        }
    } else {
        changes
    };
    let reason = reason(e.fields.time_zone, &changes);
    Ok(lines(&diff, settings)
        .into_iter()
        .map(|mut line| {
            line.adjustment = Some(Adjustment {
                period_id: l.period_id.clone(),
                reason: reason.clone(),
            });
            line
        })
        .collect())
}

/// Why a locked period's figures moved, in words, from what changed after
/// the lock. Deterministic: only stored data, in a fixed order.
#[must_use]
pub fn reason(tz: Tz, changes: &[LateChange]) -> String {
    const MAX: usize = 8;
    let local = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string();
    let short = |id: &str| id.chars().take(8).collect::<String>();
    let mut parts: Vec<String> = changes
        .iter()
        .map(|c| match c {
            LateChange::Event(ev) => format!(
                "Event {}: {} {} recorded late",
                short(&ev.event.event_id.to_string()),
                ev.event.kind.as_str(),
                local(ev.event.occurred_at)
            ),
            LateChange::Amendment(a) => {
                use crate::domain::event::Change;
                let what = match &a.request.change {
                    Change::Add {
                        kind, occurred_at, ..
                    } => format!("{} added {}", kind.as_str(), local(*occurred_at)),
                    Change::Void { target } => {
                        format!("event {} voided", short(&target.to_string()))
                    }
                    Change::Move {
                        target,
                        occurred_at,
                    } => format!(
                        "event {} moved to {}",
                        short(&target.to_string()),
                        local(*occurred_at)
                    ),
                };
                format!(
                    "Amendment {}: {what} ({})",
                    short(&a.request.amendment_id.0.to_string()),
                    a.request.reason
                )
            }
            LateChange::Absence {
                id,
                kind,
                first,
                last,
                cancelled,
            } => format!(
                "Absence {}: {} {first} to {last} {}",
                short(id),
                kind.as_str(),
                if *cancelled { "cancelled" } else { "added" }
            ),
            LateChange::Schedule { id, valid_from } => {
                format!("Schedule {} from {valid_from} set", short(id))
            }
            LateChange::Agreement {
                id,
                reference,
                ended,
            } => format!(
                "Agreement {} ({reference}) {}",
                short(id),
                if *ended { "ended" } else { "made" }
            ),
        })
        .collect();
    if parts.is_empty() {
        return "Plans or rules changed after the lock".to_string();
    }
    if parts.len() > MAX {
        let more = parts.len() - MAX;
        parts.truncate(MAX);
        parts.push(format!("and {more} more changes"));
    }
    let mut text = parts.join("; ");
    // Reasons repeat on every adjustment line; keep a CSV row bounded.
    if text.chars().count() > MAX_REASON {
        text = text.chars().take(MAX_REASON - 1).collect::<String>() + "…";
    }
    text
}

/// The longest adjustment reason, in characters.
const MAX_REASON: usize = 1000;

/// Runs the engine over `period` for `e` and returns its figures and the
/// number of intervals still open on its days (`findings_pending` unset:
/// see [`judge_own`]); `None` when `e` has nothing to report for it.
async fn judge(
    snap: &mut dyn RecordReads,
    e: &Employee,
    period: &Period,
    settings: &PayrollSettings,
    received_before: Option<DateTime<Utc>>,
) -> StoreResult<Option<Judged>> {
    let tz = e.fields.time_zone;
    let range = Span::new(
        start_of_day(tz, period.first),
        start_of_day(tz, period.last + Duration::days(1)),
    );
    // The ledger needs the whole ISO week of the first date and shifts
    // running into the period.
    let week = monday_of(period.first);
    let load = Span::new(
        start_of_day(tz, week) - SHIFT_MARGIN,
        range.end + SHIFT_MARGIN,
    );
    let (mut events, mut amendments) = snap.record_between(e.id, load.start, load.end).await?;
    // The record as it stood before an instant: what a lock surely saw.
    if let Some(t) = received_before {
        events.retain(|ev| ev.received_at < t);
        amendments.retain(|a| a.created_at < t);
    }
    let effective = loaded_between(
        effective_events(&events, &amendments),
        load,
        // The margin ends where the ledger's first week starts.
        start_of_day(tz, week),
    );
    let (plans_from, plans_to) = plan_dates(period);
    let policy = snap.policy_of(e.id, plans_from, plans_to).await?;
    let eval = evaluate(
        subject(e),
        &effective,
        &policy,
        range.end,
        Scope::none(),
        &History::default(),
    );
    let worked_in_period: Vec<NaiveDate> = eval
        .days
        .range(period.first..=period.last)
        .filter(|(_, t)| !t.worked.is_zero())
        .map(|(d, _)| *d)
        .collect();
    let first_worked = snap.first_worked(e.id).await?;
    let created = local_date(tz, e.created_at);
    let start = first_worked.map_or(created, |d| d.min(created));
    let start = worked_in_period.first().map_or(start, |d| start.min(*d));
    let end = e
        .deactivated_at
        .map(|t| local_date(tz, t))
        .filter(|_| !e.active);
    let end = match (end, worked_in_period.last()) {
        (Some(end), Some(w)) => end.max(*w),
        (Some(end), None) => end,
        (None, _) => NaiveDate::MAX,
    };
    let open_intervals = i64::try_from(
        eval.record
            .open
            .iter()
            .filter(|o| period.contains(local_date(tz, o.start)))
            .count(),
    )
    .unwrap_or(0);
    let employed = start <= period.last && end >= period.first;
    if !employed && worked_in_period.is_empty() && open_intervals == 0 {
        return Ok(None);
    }
    let open_findings = snap.open_findings(e.id, range).await?;
    let plan = Plan::new(e.id, &policy, e.fields.rule_pack.national_holidays());
    let input = PeriodInput {
        tz,
        first: period.first,
        last: period.last,
        employed: (start, end),
        ledger: &eval.ledger,
        days: &eval.days,
        nights: &eval.nights,
        sundays: &eval.sundays,
        plan: &plan,
        open_findings,
    };
    Ok(Some(Judged {
        totals: figures(&input, settings),
        open_intervals,
        findings_pending: false,
    }))
}

/// [`judge`] for the period's own lines, which also say whether the open
/// findings count waits for a recompute (adjustments and locks need not).
async fn judge_own(
    snap: &mut dyn RecordReads,
    e: &Employee,
    period: &Period,
    settings: &PayrollSettings,
) -> StoreResult<Option<Judged>> {
    let Some(mut own) = judge(snap, e, period, settings, None).await? else {
        return Ok(None);
    };
    own.findings_pending = snap.recompute_queued(e.id).await?;
    Ok(Some(own))
}

/// What a lock freezes: every employee's totals, the `no.record` gaps, and
/// who has them.
pub struct LockPlan {
    pub employees: Vec<FrozenEmployee>,
    pub record_violations: i64,
    pub requeue: Vec<EmployeeId>,
    pub plans_digest: String,
}

/// Computes everything a lock of `pull`'s (open) period freezes.
///
/// # Errors
/// Storage errors.
pub async fn plan_lock(pull: &mut Pull) -> StoreResult<LockPlan> {
    let mut employees = Vec::new();
    let mut record_violations = 0;
    let mut requeue = Vec::new();
    let mut after = None;
    loop {
        let page = pull.page(after, 256).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.employee);
        for mut t in page {
            if t.open_intervals > 0 {
                record_violations += t.open_intervals;
                requeue.push(t.employee);
                add_gaps(&mut t, &pull.settings);
            }
            employees.push(FrozenEmployee {
                employee: t.employee,
                external_id: t.external_id,
                lines: t.lines,
            });
        }
    }
    let dates = (pull.period.first, pull.period.last);
    let plans_digest = pull.snapshot.plans_digest(dates).await?;
    Ok(LockPlan {
        employees,
        record_violations,
        requeue,
        plans_digest,
    })
}

/// At the lock, the open findings count includes the record's gaps, whose
/// `no.record` findings the lock raises.
fn add_gaps(t: &mut EmployeeTotals, settings: &PayrollSettings) {
    use crate::domain::payroll::lines::{Category, LineKey};
    let key = LineKey::of(Category::OpenFindings);
    if let Some(l) = t
        .lines
        .iter_mut()
        .find(|l| l.key == key && l.adjustment.is_none())
    {
        l.count += t.open_intervals;
        return;
    }
    let at = t
        .lines
        .iter()
        .position(|l| l.adjustment.is_some() || l.key > key)
        .unwrap_or(t.lines.len());
    t.lines.insert(
        at,
        Line {
            key,
            pay_code: settings.code(&key),
            minutes: 0,
            count: t.open_intervals,
            adjustment: None,
        },
    );
}

/// Keeps only lines with one of `codes` (all when empty).
pub fn filter_codes(lines: &mut Vec<Line>, codes: &BTreeSet<String>) {
    if !codes.is_empty() {
        lines.retain(|l| codes.contains(&l.pay_code));
    }
}

/// Employees computed per page of a CSV stream.
const CSV_PAGE: i64 = 64;
/// A CSV chunk is sent once it holds this much (always below 64 KiB).
const CSV_CHUNK: usize = 48 * 1024;
/// The contract's limit for one chunk.
const CSV_MAX_CHUNK: usize = 64 * 1024;

/// One chunk of a CSV stream: whole rows, ending at an employee boundary.
#[derive(Debug)]
pub struct CsvChunk {
    pub bytes: Vec<u8>,
    /// The last employee whose rows are in this chunk or an earlier one
    /// (the resume point); `None` when nobody has been written yet.
    pub last: Option<EmployeeId>,
}

/// Streams `pull`'s totals as CSV in `dialect`, starting after `start`
/// (a fresh stream, `None`, starts with the header). The gRPC export and the
/// web download both read this, so the bytes are the same through either.
#[must_use]
pub fn csv_stream(
    mut pull: Pull,
    dialect: crate::domain::payroll::csv::Dialect,
    codes: BTreeSet<String>,
    start: Option<EmployeeId>,
) -> tokio::sync::mpsc::Receiver<StoreResult<CsvChunk>> {
    use crate::domain::payroll::csv::{EmployeeRows, open_findings, rows};
    use tracing::Instrument as _;
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(
        async move {
            let period_id = pull.period.id.clone();
            let mut buf = if start.is_none() {
                dialect.header()
            } else {
                String::new()
            };
            let mut after = start;
            let mut sent_any = false;
            loop {
                let page = match pull.page(after, CSV_PAGE).await {
                    Ok(p) if p.is_empty() => break,
                    Ok(p) => p,
                    Err(e) => {
                        let _ = tx.send(Err(e)).await;
                        return;
                    }
                };
                for t in page {
                    // The findings column reads every line, whatever the
                    // pay-code filter keeps.
                    let findings = open_findings(&t.lines);
                    let mut lines = t.lines;
                    filter_codes(&mut lines, &codes);
                    let mut out = String::new();
                    rows(
                        &mut out,
                        dialect,
                        &EmployeeRows {
                            period_id: &period_id,
                            employee_id: &t.employee.to_string(),
                            external_id: &t.external_id,
                            lines: &lines,
                            open_findings: findings,
                        },
                    );
                    // A chunk ends at an employee boundary below 64 KiB: send
                    // what is buffered before this employee would cross it.
                    if after.is_some() && !buf.is_empty() && buf.len() + out.len() > CSV_MAX_CHUNK {
                        let chunk = CsvChunk {
                            bytes: std::mem::take(&mut buf).into_bytes(),
                            last: after,
                        };
                        sent_any = true;
                        if tx.send(Ok(chunk)).await.is_err() {
                            return;
                        }
                    }
                    buf.push_str(&out);
                    after = Some(t.employee);
                    if buf.len() >= CSV_CHUNK {
                        let chunk = CsvChunk {
                            bytes: std::mem::take(&mut buf).into_bytes(),
                            last: after,
                        };
                        sent_any = true;
                        if tx.send(Ok(chunk)).await.is_err() {
                            return;
                        }
                    }
                }
            }
            if !buf.is_empty() || !sent_any {
                let _ = tx
                    .send(Ok(CsvChunk {
                        bytes: buf.into_bytes(),
                        last: after,
                    }))
                    .await;
            }
        }
        .in_current_span(),
    );
    rx
}
