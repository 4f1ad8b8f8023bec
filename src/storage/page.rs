//! A page of employees' records read at once, for payroll pulls and
//! recomputes: the events of a span, every amendment and the events
//! amendments target outside the span; for a pull also the first date each
//! worked, their open findings and whether each is queued for a recompute
//! ([`PageParts`]). Each employee's share then answers exactly what the
//! per-employee reads would have.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row as _};
use uuid::Uuid;

use super::event_batch::existing_events;
use super::json_params::{bind_ids, employee_org_is_first, in_list, of_ids, pg_each_id};
use super::packed;
use super::payroll::PageParts;
use super::rows::{self, micros};
use super::statement::{is_sqlite, marks_for};
use super::writer::classify;
use super::{StoreError, StoreResult};
use crate::domain::event::{Amendment, StoredEvent};
use crate::domain::ids::{EmployeeId, OrgId};

/// Ids per statement (an `IN (…)` list on SQLite, lookups on PostgreSQL).
const CHUNK: usize = 500;

#[derive(Default)]
struct Record {
    /// Events in the page's span, by instant then id.
    events: Vec<StoredEvent>,
    /// Every amendment, by sequence.
    amendments: Vec<Amendment>,
}

pub(super) struct PageRecords {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    records: HashMap<EmployeeId, Record>,
    /// Events amendments target outside the span, by id.
    targets: HashMap<Uuid, StoredEvent>,
    first_worked: HashMap<EmployeeId, Option<NaiveDate>>,
    /// The `at` of each open finding in the span, in microseconds.
    open_findings: HashMap<EmployeeId, Vec<i64>>,
    /// The employees with a change still queued for their recompute.
    queued: HashSet<EmployeeId>,
    /// Whether the three maps above were read ([`PageParts::Pricing`]); a
    /// page of records alone answers none of them.
    priced: bool,
}

impl PageRecords {
    /// What `record_between_on` reads for `employee` in `[from, to)`, when
    /// the page holds it.
    pub fn record_between(
        &self,
        employee: EmployeeId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Option<(Vec<StoredEvent>, Vec<Amendment>)> {
        if from < self.from || to > self.to {
            return None;
        }
        let record = self.records.get(&employee)?;
        let mut events: Vec<StoredEvent> = record
            .events
            .iter()
            .filter(|e| e.event.occurred_at >= from && e.event.occurred_at < to)
            .cloned()
            .collect();
        for target in record
            .amendments
            .iter()
            .filter_map(|a| a.request.change.target())
        {
            if events.iter().any(|e| e.event.event_id.0 == target) {
                continue;
            }
            let found = record
                .events
                .iter()
                .find(|e| e.event.event_id.0 == target)
                .or_else(|| self.targets.get(&target));
            if let Some(e) = found
                && e.event.employee_id == employee
            {
                events.push(e.clone());
            }
        }
        Some((events, record.amendments.clone()))
    }

    /// Whether the page holds `employee`.
    pub fn holds(&self, employee: EmployeeId) -> bool {
        self.records.contains_key(&employee)
    }

    /// Whether the page was read for pricing ([`PageParts::Pricing`]).
    pub fn priced(&self) -> bool {
        self.priced
    }

    /// Whether the page holds what pricing `employee` reads beside the
    /// record (first worked date, open findings, queue mark).
    pub fn prices(&self, employee: EmployeeId) -> bool {
        self.priced && self.holds(employee)
    }

    /// How many open findings of `employee` have `at` in `[from, to)`, when
    /// the page was read for pricing, holds it and the span is inside the
    /// page's.
    pub fn open_findings(
        &self,
        employee: EmployeeId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Option<i64> {
        if from < self.from || to > self.to || !self.prices(employee) {
            return None;
        }
        let (a, b) = (micros(from), micros(to));
        let ats = self
            .open_findings
            .get(&employee)
            .map_or(&[][..], Vec::as_slice);
        let n = ats.iter().filter(|at| (a..b).contains(*at)).count();
        Some(i64::try_from(n).unwrap_or(i64::MAX))
    }

    /// Whether a change to `employee`'s record is still queued for its
    /// recompute, when the page was read for pricing and holds it.
    pub fn recompute_queued(&self, employee: EmployeeId) -> Option<bool> {
        self.prices(employee)
            .then(|| self.queued.contains(&employee))
    }

    /// The first date `employee` worked, when the page was read for
    /// pricing and holds it.
    #[allow(clippy::option_option)] // not on the page, never worked, a date
    pub fn first_worked(&self, employee: EmployeeId) -> Option<Option<NaiveDate>> {
        self.prices(employee)
            .then(|| self.first_worked.get(&employee).copied().flatten())
    }
}

/// The events amendments target that the span did not load (rare: a
/// correction reaching far back).
async fn targets_outside(
    conn: &mut AnyConnection,
    org: OrgId,
    records: &HashMap<EmployeeId, Record>,
) -> StoreResult<HashMap<Uuid, StoredEvent>> {
    let loaded: HashSet<Uuid> = records
        .values()
        .flat_map(|r| r.events.iter().map(|e| e.event.event_id.0))
        .collect();
    let mut targets: HashMap<Uuid, StoredEvent> = HashMap::new();
    let missing: Vec<String> = records
        .values()
        .flat_map(|r| r.amendments.iter())
        .filter_map(|a| a.request.change.target())
        .filter(|t| !loaded.contains(t))
        .map(|t| t.to_string())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    for e in existing_events(conn, org, &missing).await?.into_values() {
        targets.insert(e.event.event_id.0, e);
    }
    Ok(targets)
}

/// Runs `sql` with `$1` the organisation, then the span's two instants
/// when given, then `employees` (see `json_params::in_list`).
async fn of_employees(
    conn: &mut AnyConnection,
    sql: &str,
    org: OrgId,
    span: Option<(DateTime<Utc>, DateTime<Utc>)>,
    employees: &[EmployeeId],
) -> StoreResult<Vec<AnyRow>> {
    let sql = marks_for(sql.to_owned(), is_sqlite(conn));
    let mut q = sqlx::query(&sql).bind(org.to_string());
    if let Some((from, to)) = span {
        q = q.bind(micros(from)).bind(micros(to));
    }
    let ids: Vec<String> = employees.iter().map(ToString::to_string).collect();
    bind_ids(q, is_sqlite(conn), &ids)
        .fetch_all(conn)
        .await
        .map_err(classify)
}

/// The events of `n` employees in a span, one row per employee with the
/// events packed (see `packed`; on PostgreSQL a row for each id, NULL when
/// it has none): `$1` the organisation, `$2`, `$3` the span, then the ids
/// (see `json_params::in_list`). On `SQLite` the statement names the
/// covering index: without statistics, a long `IN` list makes the planner
/// read the whole organisation through an index that leads with it
/// (migration 0034); PostgreSQL looks each id up (`pg_each_id`).
pub(super) fn page_events_sql(sqlite: bool, n: usize) -> String {
    if !sqlite {
        // Each employee its own range of the index (see `pg_each_id`).
        return pg_each_id(
            4,
            n,
            &format!(
                "SELECT ids.id AS employee_id, {} AS events FROM clock_events \
                 WHERE organisation_id = $1 AND employee_id = ids.id \
                 AND occurred_at >= $2 AND occurred_at < $3",
                packed::events_json(false)
            ),
        );
    }
    format!(
        "SELECT employee_id, {} AS events FROM clock_events{} WHERE organisation_id = $1 \
         AND employee_id {} AND occurred_at >= $2 AND occurred_at < $3 \
         GROUP BY employee_id",
        packed::events_json(sqlite),
        if sqlite {
            " INDEXED BY clock_events_covering"
        } else {
            ""
        },
        in_list(sqlite, 4, n)
    )
}

/// The open findings of `n` employees in a span (`employee_id`, `at`):
/// `$1` the organisation, `$2`, `$3` the span, then the ids (see
/// `json_params::of_ids`).
///
/// PostgreSQL reads them from the partial index `findings_open`
/// (organisation, employee, at; open findings only). The span is tested as
/// `at + 0` there, so that `findings_at` (organisation, at) cannot narrow
/// by it: before `ANALYZE` both were estimated at one row, and on a small
/// table the planner took `findings_at` and read every finding of the
/// organisation in the span once per employee (`auto_explain`, 1,942 rows
/// removed by the filter; issue 15, twenty-third round). An employee's open
/// findings are few, so the span as a filter costs nothing.
pub(super) fn open_findings_sql(sqlite: bool, n: usize) -> String {
    let at = if sqlite { "at" } else { "at + 0" };
    let select = format!(
        "SELECT employee_id, at FROM findings WHERE organisation_id = $1 \
         AND status = 'OPEN' AND {at} >= $2 AND {at} < $3"
    );
    of_ids(sqlite, &select, "employee_id", 4, n)
}

/// The amendments of `n` employees, in `seq` order: `$1` the
/// organisation, then the ids (see `json_params::of_ids`).
pub(super) fn page_amendments_sql(sqlite: bool, n: usize) -> String {
    let select = format!(
        "SELECT {} FROM amendments WHERE organisation_id = $1",
        rows::AMENDMENT_COLUMNS
    );
    format!(
        "{} ORDER BY seq",
        of_ids(sqlite, &select, "employee_id", 2, n)
    )
}

/// Which of `n` employees have a queue row (`employee_id`): `$1` the
/// organisation, then the ids (see `json_params::of_ids`).
pub(super) fn page_queued_sql(sqlite: bool, n: usize) -> String {
    of_ids(
        sqlite,
        "SELECT employee_id FROM recompute_queue WHERE organisation_id = $1",
        "employee_id",
        2,
        n,
    )
}

/// The first date with work of each of `n` employees (`employee_id`,
/// `first`): `$1` the organisation, then the ids (see
/// `json_params::of_ids`).
pub(super) fn first_worked_sql(sqlite: bool, n: usize) -> String {
    let select = format!(
        "SELECT e.id AS employee_id, (SELECT MIN(d.day) FROM day_totals d \
          WHERE d.organisation_id = e.organisation_id AND d.employee_id = e.id \
          AND d.worked > 0) AS first \
         FROM employees e WHERE {}",
        employee_org_is_first(sqlite, "e.organisation_id")
    );
    of_ids(sqlite, &select, "e.id", 2, n)
}

/// Reads the page: a few statements per 500 employees.
pub(super) async fn page_records(
    conn: &mut AnyConnection,
    org: OrgId,
    employees: &[EmployeeId],
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    parts: PageParts,
) -> StoreResult<PageRecords> {
    let priced = parts == PageParts::Pricing;
    let mut records: HashMap<EmployeeId, Record> =
        employees.iter().map(|e| (*e, Record::default())).collect();
    let mut first_worked: HashMap<EmployeeId, Option<NaiveDate>> =
        employees.iter().map(|e| (*e, None)).collect();
    let mut open_findings: HashMap<EmployeeId, Vec<i64>> = HashMap::new();
    let mut queued: HashSet<EmployeeId> = HashSet::new();
    for chunk in employees.chunks(CHUNK) {
        let sql = page_events_sql(is_sqlite(conn), chunk.len());
        for row in of_employees(conn, &sql, org, Some((from, to)), chunk).await? {
            let id: EmployeeId = rows::parsed(&row, "employee_id")?;
            let text: Option<String> = rows::col(&row, "events")?;
            if let Some(r) = records.get_mut(&id) {
                r.events = packed::unpack(id, text.as_deref())?;
            }
        }
        let sql = page_amendments_sql(is_sqlite(conn), chunk.len());
        for row in of_employees(conn, &sql, org, None, chunk).await? {
            let a = rows::amendment(&row)?;
            if let Some(r) = records.get_mut(&a.request.employee_id) {
                r.amendments.push(a);
            }
        }
        if !priced {
            continue;
        }
        // One walk of the key's order per employee, which stops at the
        // first date with work (after any leading dates without): a
        // `GROUP BY` over the page read every stored date (a year of
        // history each: 5 ms a page of 53 employees, issue 15).
        let sql = first_worked_sql(is_sqlite(conn), chunk.len());
        for row in of_employees(conn, &sql, org, None, chunk).await? {
            let id: EmployeeId = rows::parsed(&row, "employee_id")?;
            let first: Option<String> = row
                .try_get("first")
                .map_err(|e| StoreError::Corrupt(format!("first: {e}")))?;
            let first = first
                .map(|d| {
                    d.parse()
                        .map_err(|_| StoreError::Corrupt(format!("day: '{d}'")))
                })
                .transpose()?;
            first_worked.insert(id, first);
        }
        let sql = open_findings_sql(is_sqlite(conn), chunk.len());
        for row in of_employees(conn, &sql, org, Some((from, to)), chunk).await? {
            let id: EmployeeId = rows::parsed(&row, "employee_id")?;
            let at: i64 = row
                .try_get("at")
                .map_err(|e| StoreError::Corrupt(format!("at: {e}")))?;
            open_findings.entry(id).or_default().push(at);
        }
        // Read in the same snapshot as the findings: a recompute consumes
        // its queue row in the transaction that writes its findings, so a
        // count is either current or its employee is here.
        let sql = page_queued_sql(is_sqlite(conn), chunk.len());
        for row in of_employees(conn, &sql, org, None, chunk).await? {
            let id: EmployeeId = rows::parsed(&row, "employee_id")?;
            queued.insert(id);
        }
    }
    let targets = targets_outside(conn, org, &records).await?;
    Ok(PageRecords {
        from,
        to,
        records,
        targets,
        first_worked,
        open_findings,
        queued,
        priced,
    })
}
