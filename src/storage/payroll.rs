//! Payroll storage: settings, locked periods with their frozen lines, and
//! read snapshots that a whole `ListTotals` stream reads from.
//!
//! A snapshot is one read transaction (REPEATABLE READ on `PostgreSQL`, a
//! WAL read transaction on `SQLite`): every employee of a stream is computed
//! from the database as it was when the stream started.

use std::collections::HashMap;
use std::fmt::Write as _;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Transaction};

use super::derived::{enqueue, record_between_on};
use super::page::{PageRecords, page_records};
use super::policy::{OrgPlans, employee_policy_on, org_plans_on, page_policies_on};
use super::rows::{self, col, instant, micros};
use super::sql::SqlStore;
use super::writer::classify;
use super::{Backend, StoreError, StoreResult};
use crate::domain::employee::Employee;
use crate::domain::engine::record::Span;
use crate::domain::event::{Amendment, StoredEvent};
use crate::domain::ids::{EmployeeId, OrgId};
use crate::domain::payroll::lines::{Adjustment, Category, Line, LineKey};
use crate::domain::policy::{AbsenceKind, EmployeePolicy};

/// Stored payroll settings: the encoded message and its period key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredSettings {
    /// The `PayrollSettings` message, encoded by the API layer.
    pub encoded: String,
    /// The period kind and anchor, e.g. "MONTHLY" or "FOUR_WEEKLY:2026-01-05".
    pub period_key: String,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

/// A locked period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockedPeriod {
    pub period_id: String,
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub locked_at: DateTime<Utc>,
    pub locked_by: String,
    /// The settings in force at the lock (encoded like [`StoredSettings`]).
    pub settings: String,
    /// Digest of the organisation-wide plans of its dates at the lock.
    pub plans_digest: String,
    pub employee_count: i64,
    pub record_violations: i64,
}

/// One employee's frozen lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrozenEmployee {
    pub employee: EmployeeId,
    pub external_id: String,
    pub lines: Vec<Line>,
}

/// Which employees a payroll read covers.
#[derive(Clone, Debug, Default)]
pub struct PayrollFilter {
    /// Empty: every employee.
    pub employees: Vec<EmployeeId>,
    /// Only this manager's direct reports.
    pub manager: Option<EmployeeId>,
}

/// A change to an employee's record or plans made after `since`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LateChange {
    Event(StoredEvent),
    Amendment(Amendment),
    Absence {
        id: String,
        kind: AbsenceKind,
        first: NaiveDate,
        last: NaiveDate,
        cancelled: bool,
    },
    Schedule {
        id: String,
        valid_from: NaiveDate,
    },
    Agreement {
        id: String,
        reference: String,
        ended: bool,
    },
}

/// Payroll storage.
#[async_trait]
pub trait PayrollStore {
    async fn payroll_settings(&self, org: OrgId) -> StoreResult<Option<StoredSettings>>;
    /// Replaces the settings; a changed `period_key` after any lock is a
    /// `Precondition` on `settings.period_kind`.
    async fn set_payroll_settings(&self, org: OrgId, s: StoredSettings) -> StoreResult<()>;
    /// The distinct time zones of the organisation's employees.
    async fn time_zones(&self, org: OrgId) -> StoreResult<Vec<String>>;
    /// Locks a period: stores it with the frozen lines, and queues a
    /// recompute of `requeue` (employees with open intervals in `span`),
    /// all in one transaction. `Precondition` on `period_id` if it is
    /// already locked.
    async fn lock_period(
        &self,
        org: OrgId,
        period: LockedPeriod,
        employees: Vec<FrozenEmployee>,
        requeue: Vec<EmployeeId>,
        span: Span,
    ) -> StoreResult<()>;
    /// Opens a read snapshot.
    async fn payroll_snapshot(&self, org: OrgId) -> StoreResult<Box<dyn PayrollSnapshot>>;
}

/// Reads of one consistent snapshot.
#[async_trait]
pub trait PayrollSnapshot: RecordReads {
    async fn settings(&mut self) -> StoreResult<Option<StoredSettings>>;
    /// Every locked period, by first day.
    async fn locked_periods(&mut self) -> StoreResult<Vec<LockedPeriod>>;
    /// Employees, by id after `after`, that existed and were not deactivated
    /// in `[from, to)` or have events there.
    async fn employees(
        &mut self,
        filter: &PayrollFilter,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        after: Option<EmployeeId>,
        limit: i64,
    ) -> StoreResult<Vec<Employee>>;
    /// The frozen employees of a locked period, by id after `after`.
    async fn frozen(
        &mut self,
        period_id: &str,
        filter: &PayrollFilter,
        after: Option<EmployeeId>,
        limit: i64,
    ) -> StoreResult<Vec<FrozenEmployee>>;
    /// Frozen lines of `employee` in `period_id` (own and adjustment lines).
    async fn frozen_lines(
        &mut self,
        period_id: &str,
        employee: EmployeeId,
    ) -> StoreResult<Vec<Line>>;
    /// Adjustment lines for `adjusts` already frozen in locked periods.
    async fn carried(&mut self, employee: EmployeeId, adjusts: &str) -> StoreResult<Vec<Line>>;
    /// Employees whose record or plans changed after `since` in a way that
    /// can move figures of `span` (conservative: may name too many).
    async fn touched_since(
        &mut self,
        since: DateTime<Utc>,
        span: Span,
        dates: (NaiveDate, NaiveDate),
    ) -> StoreResult<Vec<EmployeeId>>;
    /// Digest of the organisation-wide plans (every override, holidays of
    /// `dates` ± a day).
    async fn plans_digest(&mut self, dates: (NaiveDate, NaiveDate)) -> StoreResult<String>;
    /// What changed for `employee` after `since` that touches `span`.
    async fn late_changes(
        &mut self,
        employee: EmployeeId,
        since: DateTime<Utc>,
        span: Span,
        dates: (NaiveDate, NaiveDate),
    ) -> StoreResult<Vec<LateChange>>;
    /// Reads a page of `employees` at once: their records in `[from, to)`
    /// and their plans for local dates `plan_dates`, and with
    /// [`PageParts::Pricing`] their first worked dates, open findings and
    /// whether each is queued for a recompute. `record_between`,
    /// `policy_of` and (when read) `first_worked`, `open_findings` and
    /// `recompute_queued` then answer from them (for spans inside
    /// `[from, to)` and exactly `plan_dates`; what the page did not read
    /// comes from the database), so a page costs a few queries instead of
    /// several per employee.
    async fn prefetch(
        &mut self,
        employees: &[EmployeeId],
        (from, to): (DateTime<Utc>, DateTime<Utc>),
        plan_dates: (NaiveDate, NaiveDate),
        parts: PageParts,
    ) -> StoreResult<()>;
    /// Takes the page [`Self::prefetch`] read out of the snapshot (which
    /// then reads from the database again), so it can be priced elsewhere;
    /// `None` when there is none, or when it was read without
    /// [`PageParts::Pricing`] (a page that cannot price).
    fn take_page(&mut self) -> Option<PageView>;
}

/// What a page reads beside the records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageParts {
    /// The records alone: what a recompute judges from. The three reads a
    /// pull prices with cost a recompute page 1.8 ms (2.6 ms with a year of
    /// history) and were thrown away (issue 15, thirty-second round).
    Records,
    /// The records, and the first worked date, open findings and queue
    /// mark of each employee: what a payroll pull prices.
    Pricing,
}

/// What pricing one employee reads: the record, the plans, the open
/// findings (and whether they wait for a recompute) and the first worked
/// date. A snapshot answers from its current page or the database; a
/// [`PageView`] from a page alone.
#[async_trait]
pub trait RecordReads: Send {
    async fn record_between(
        &mut self,
        employee: EmployeeId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<(Vec<StoredEvent>, Vec<Amendment>)>;
    async fn policy_of(
        &mut self,
        employee: EmployeeId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<EmployeePolicy>;
    /// Open findings with `at` in `span`.
    async fn open_findings(&mut self, employee: EmployeeId, span: Span) -> StoreResult<i64>;
    /// Whether a change to `employee`'s record is still queued for its
    /// recompute, as of the same snapshot as [`Self::open_findings`] (a
    /// recompute consumes its queue row where it writes the findings).
    async fn recompute_queued(&mut self, employee: EmployeeId) -> StoreResult<bool>;
    /// The first local date with stored work.
    async fn first_worked(&mut self, employee: EmployeeId) -> StoreResult<Option<NaiveDate>>;
}

/// A page read by [`PayrollSnapshot::prefetch`] and taken out of its
/// snapshot. It answers [`RecordReads`] for the page's employees with no
/// database, so a pull prices one page on another thread while the
/// snapshot's connection reads the next (issue 15: the reads and the
/// engine each took about half of a pull, one after the other).
pub struct PageView {
    records: PageRecords,
    plan_dates: (NaiveDate, NaiveDate),
    plans: HashMap<EmployeeId, EmployeePolicy>,
}

/// Asked of a page about what it did not read: a bug, since a page is
/// taken only when read for pricing, and then it reads everything pricing
/// its own employees asks.
fn not_on_page(employee: EmployeeId, what: &str) -> StoreError {
    StoreError::Corrupt(format!(
        "{what} of {employee} asked of a page that did not read it"
    ))
}

#[async_trait]
impl RecordReads for PageView {
    async fn record_between(
        &mut self,
        employee: EmployeeId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<(Vec<StoredEvent>, Vec<Amendment>)> {
        self.records
            .record_between(employee, from, to)
            .ok_or_else(|| not_on_page(employee, "the record"))
    }

    async fn policy_of(
        &mut self,
        employee: EmployeeId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<EmployeePolicy> {
        self.plans
            .get(&employee)
            .filter(|_| self.plan_dates == (from, to))
            .cloned()
            .ok_or_else(|| not_on_page(employee, "the plans"))
    }

    async fn open_findings(&mut self, employee: EmployeeId, span: Span) -> StoreResult<i64> {
        self.records
            .open_findings(employee, span.start, span.end)
            .ok_or_else(|| not_on_page(employee, "the open findings"))
    }

    async fn recompute_queued(&mut self, employee: EmployeeId) -> StoreResult<bool> {
        self.records
            .recompute_queued(employee)
            .ok_or_else(|| not_on_page(employee, "the recompute queue"))
    }

    async fn first_worked(&mut self, employee: EmployeeId) -> StoreResult<Option<NaiveDate>> {
        self.records
            .first_worked(employee)
            .ok_or_else(|| not_on_page(employee, "the first worked date"))
    }
}

// ---- rows ------------------------------------------------------------------

fn date(row: &AnyRow, name: &str) -> StoreResult<NaiveDate> {
    let v: String = col(row, name)?;
    v.parse()
        .map_err(|_| StoreError::Corrupt(format!("{name}: '{v}'")))
}

fn period_row(row: &AnyRow) -> StoreResult<LockedPeriod> {
    Ok(LockedPeriod {
        period_id: col(row, "period_id")?,
        first: date(row, "first_day")?,
        last: date(row, "last_day")?,
        locked_at: instant(row, "locked_at")?,
        locked_by: col(row, "locked_by")?,
        settings: col(row, "settings")?,
        plans_digest: col(row, "plans_digest")?,
        employee_count: col(row, "employee_count")?,
        record_violations: col(row, "record_violations")?,
    })
}

fn settings_row(row: &AnyRow) -> StoreResult<StoredSettings> {
    Ok(StoredSettings {
        encoded: col(row, "settings")?,
        period_key: col(row, "period_key")?,
        updated_at: instant(row, "updated_at")?,
        updated_by: col(row, "updated_by")?,
    })
}

fn absence_kind_text(k: Option<AbsenceKind>) -> &'static str {
    k.map_or("", AbsenceKind::as_str)
}

fn line_row(row: &AnyRow) -> StoreResult<Line> {
    let category: String = col(row, "category")?;
    let kind: String = col(row, "absence_kind")?;
    let adjusts: String = col(row, "adjusts_period_id")?;
    let rate: i64 = col(row, "rate_percent")?;
    Ok(Line {
        key: LineKey {
            category: Category::parse(&category)
                .ok_or_else(|| StoreError::Corrupt(format!("category: '{category}'")))?,
            rate: i32::try_from(rate)
                .map_err(|_| StoreError::Corrupt(format!("rate_percent: {rate}")))?,
            absence: if kind.is_empty() {
                None
            } else {
                Some(
                    AbsenceKind::parse(&kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("absence_kind: '{kind}'")))?,
                )
            },
        },
        pay_code: col(row, "pay_code")?,
        minutes: col(row, "minutes")?,
        count: col(row, "count")?,
        adjustment: if adjusts.is_empty() {
            None
        } else {
            Some(Adjustment {
                period_id: adjusts,
                reason: col(row, "reason")?,
            })
        },
    })
}

/// `$n, $n+1, …` for `count` parameters starting at `first`.
fn marks(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The filter as SQL on column `id_col`, with its text parameters from
/// `$first` on.
fn filter_sql(f: &PayrollFilter, id_col: &str, first: usize) -> (String, Vec<String>) {
    let mut sql = String::new();
    let mut binds = Vec::new();
    if !f.employees.is_empty() {
        let _ = write!(
            sql,
            " AND {id_col} IN ({})",
            marks(first, f.employees.len())
        );
        binds.extend(f.employees.iter().map(ToString::to_string));
    }
    if let Some(m) = f.manager {
        let _ = write!(
            sql,
            " AND {id_col} IN (SELECT id FROM employees WHERE organisation_id = $1 AND manager_id = ${})",
            first + binds.len()
        );
        binds.push(m.to_string());
    }
    (sql, binds)
}

// ---- the store -------------------------------------------------------------

#[async_trait]
impl PayrollStore for SqlStore {
    async fn payroll_settings(&self, org: OrgId) -> StoreResult<Option<StoredSettings>> {
        sqlx::query("SELECT * FROM payroll_settings WHERE organisation_id = $1")
            .bind(org.to_string())
            .fetch_optional(&mut *self.read_conn().await?)
            .await
            .map_err(classify)?
            .as_ref()
            .map(settings_row)
            .transpose()
    }

    async fn set_payroll_settings(&self, org: OrgId, s: StoredSettings) -> StoreResult<()> {
        self.write(move |conn| {
            Box::pin(async move {
                let current = sqlx::query("SELECT * FROM payroll_settings WHERE organisation_id = $1")
                    .bind(org.to_string())
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(classify)?
                    .as_ref()
                    .map(settings_row)
                    .transpose()?;
                let current_key = current.map_or_else(|| "MONTHLY".to_string(), |c| c.period_key);
                if current_key != s.period_key {
                    let locked: Option<(String,)> = sqlx::query_as(
                        "SELECT period_id FROM payroll_periods WHERE organisation_id = $1 ORDER BY first_day DESC LIMIT 1",
                    )
                    .bind(org.to_string())
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(classify)?;
                    if let Some((p,)) = locked {
                        return Err(StoreError::Precondition {
                            field: "settings.period_kind".into(),
                            reason: format!(
                                "periods are cut as {current_key} and period {p} is locked; the period kind and anchor cannot change after a lock"
                            ),
                        });
                    }
                }
                sqlx::query(
                    "INSERT INTO payroll_settings (organisation_id, settings, period_key, updated_at, updated_by) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (organisation_id) DO UPDATE SET \
                     settings = excluded.settings, period_key = excluded.period_key, \
                     updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                )
                .bind(org.to_string())
                .bind(s.encoded)
                .bind(s.period_key)
                .bind(micros(s.updated_at))
                .bind(s.updated_by)
                .execute(&mut *conn)
                .await
                .map_err(classify)?;
                Ok(())
            })
        })
        .await
    }

    async fn time_zones(&self, org: OrgId) -> StoreResult<Vec<String>> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT DISTINCT time_zone FROM employees WHERE organisation_id = $1 ORDER BY time_zone",
        )
        .bind(org.to_string())
        .fetch_all(&mut *self.read_conn().await?)
        .await
        .map_err(classify)?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    async fn lock_period(
        &self,
        org: OrgId,
        period: LockedPeriod,
        employees: Vec<FrozenEmployee>,
        requeue: Vec<EmployeeId>,
        span: Span,
    ) -> StoreResult<()> {
        self.write(move |conn| {
            Box::pin(async move {
                let taken: Option<(String,)> = sqlx::query_as(
                    "SELECT period_id FROM payroll_periods WHERE organisation_id = $1 AND period_id = $2",
                )
                .bind(org.to_string())
                .bind(period.period_id.clone())
                .fetch_optional(&mut *conn)
                .await
                .map_err(classify)?;
                if taken.is_some() {
                    return Err(StoreError::Precondition {
                        field: "period_id".into(),
                        reason: format!("period {} is already locked", period.period_id),
                    });
                }
                // Two locks racing: the second finds the row (or the key) taken.
                let inserted = sqlx::query(
                    "INSERT INTO payroll_periods (organisation_id, period_id, first_day, last_day, locked_at, \
                     locked_by, settings, plans_digest, employee_count, record_violations) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                     ON CONFLICT (organisation_id, period_id) DO NOTHING",
                )
                .bind(org.to_string())
                .bind(period.period_id.clone())
                .bind(period.first.to_string())
                .bind(period.last.to_string())
                .bind(micros(period.locked_at))
                .bind(period.locked_by.clone())
                .bind(period.settings.clone())
                .bind(period.plans_digest.clone())
                .bind(period.employee_count)
                .bind(period.record_violations)
                .execute(&mut *conn)
                .await
                .map_err(classify)?;
                if inserted.rows_affected() == 0 {
                    return Err(StoreError::Precondition {
                        field: "period_id".into(),
                        reason: format!("period {} is already locked", period.period_id),
                    });
                }
                insert_frozen(conn, org, &period.period_id, &employees).await?;
                for e in requeue {
                    enqueue(conn, org, e, span, period.locked_at).await?;
                }
                Ok(())
            })
        })
        .await
    }

    async fn payroll_snapshot(&self, org: OrgId) -> StoreResult<Box<dyn PayrollSnapshot>> {
        let mut tx = self.reader().begin().await.map_err(classify)?;
        if self.backend() == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await
                .map_err(classify)?;
        }
        Ok(Box::new(SqlSnapshot {
            tx,
            org,
            org_plans: None,
            page: None,
            page_plans: None,
        }))
    }
}

/// Inserts frozen employees and lines, many rows per statement.
async fn insert_frozen(
    conn: &mut AnyConnection,
    org: OrgId,
    period_id: &str,
    employees: &[FrozenEmployee],
) -> StoreResult<()> {
    const ROWS: usize = 400;
    for chunk in employees.chunks(ROWS) {
        let sql = format!(
            "INSERT INTO payroll_period_employees (organisation_id, period_id, employee_id, external_id) VALUES {}",
            (0..chunk.len())
                .map(|i| format!("($1, $2, {})", marks(3 + i * 2, 2)))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut q = sqlx::query(&sql)
            .bind(org.to_string())
            .bind(period_id.to_string());
        for e in chunk {
            q = q.bind(e.employee.to_string()).bind(e.external_id.clone());
        }
        q.execute(&mut *conn).await.map_err(classify)?;
    }
    let lines: Vec<(EmployeeId, usize, &Line)> = employees
        .iter()
        .flat_map(|e| e.lines.iter().enumerate().map(|(i, l)| (e.employee, i, l)))
        .collect();
    for chunk in lines.chunks(ROWS) {
        let sql = format!(
            "INSERT INTO payroll_lines (organisation_id, period_id, employee_id, ord, category, rate_percent, \
             absence_kind, pay_code, minutes, count, adjusts_period_id, reason) VALUES {}",
            (0..chunk.len())
                .map(|i| format!("($1, $2, {})", marks(3 + i * 10, 10)))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let mut q = sqlx::query(&sql)
            .bind(org.to_string())
            .bind(period_id.to_string());
        for (e, ord, l) in chunk {
            q = q
                .bind(e.to_string())
                .bind(i64::try_from(*ord).unwrap_or(i64::MAX))
                .bind(l.key.category.name())
                .bind(i64::from(l.key.rate))
                .bind(absence_kind_text(l.key.absence))
                .bind(l.pay_code.clone())
                .bind(l.minutes)
                .bind(l.count)
                .bind(
                    l.adjustment
                        .as_ref()
                        .map(|a| a.period_id.clone())
                        .unwrap_or_default(),
                )
                .bind(
                    l.adjustment
                        .as_ref()
                        .map(|a| a.reason.clone())
                        .unwrap_or_default(),
                );
        }
        q.execute(&mut *conn).await.map_err(classify)?;
    }
    Ok(())
}

// ---- the snapshot ----------------------------------------------------------

struct SqlSnapshot {
    tx: Transaction<'static, Any>,
    org: OrgId,
    /// The organisation's plans for the last range asked (a pull asks the
    /// same range for every employee).
    org_plans: Option<OrgPlans>,
    /// What [`PayrollSnapshot::prefetch`] read for the current page.
    page: Option<PageRecords>,
    /// The current page's plans, for the dates they were read for.
    page_plans: Option<((NaiveDate, NaiveDate), HashMap<EmployeeId, EmployeePolicy>)>,
}

impl SqlSnapshot {
    /// The organisation's plans for `from..=to`, read once per range (a
    /// pull asks the same range for every employee).
    async fn org_plans(&mut self, from: NaiveDate, to: NaiveDate) -> StoreResult<OrgPlans> {
        if let Some(p) = self
            .org_plans
            .as_ref()
            .filter(|p| p.from == from && p.to == to)
        {
            return Ok(p.clone());
        }
        let p = org_plans_on(&mut self.tx, self.org, from, to).await?;
        self.org_plans = Some(p.clone());
        Ok(p)
    }
}

async fn fetch_all(
    conn: &mut AnyConnection,
    sql: &str,
    texts: Vec<String>,
    ints: Vec<i64>,
) -> StoreResult<Vec<AnyRow>> {
    let mut q = sqlx::query(sql);
    for t in texts {
        q = q.bind(t);
    }
    for i in ints {
        q = q.bind(i);
    }
    q.fetch_all(conn).await.map_err(classify)
}

#[async_trait]
impl PayrollSnapshot for SqlSnapshot {
    async fn settings(&mut self) -> StoreResult<Option<StoredSettings>> {
        sqlx::query("SELECT * FROM payroll_settings WHERE organisation_id = $1")
            .bind(self.org.to_string())
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(classify)?
            .as_ref()
            .map(settings_row)
            .transpose()
    }

    async fn locked_periods(&mut self) -> StoreResult<Vec<LockedPeriod>> {
        sqlx::query("SELECT * FROM payroll_periods WHERE organisation_id = $1 ORDER BY first_day")
            .bind(self.org.to_string())
            .fetch_all(&mut *self.tx)
            .await
            .map_err(classify)?
            .iter()
            .map(period_row)
            .collect()
    }

    async fn employees(
        &mut self,
        filter: &PayrollFilter,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        after: Option<EmployeeId>,
        limit: i64,
    ) -> StoreResult<Vec<Employee>> {
        let (fsql, mut texts) = filter_sql(filter, "id", 3);
        let n = 3 + texts.len();
        let sql = format!(
            "SELECT {} FROM employees e WHERE organisation_id = $1 AND id > $2{fsql} AND (\
             (created_at < ${} AND (deactivated_at IS NULL OR deactivated_at >= ${})) \
             OR EXISTS (SELECT 1 FROM clock_events c WHERE c.organisation_id = $1 AND c.employee_id = e.id \
                        AND c.occurred_at >= ${} AND c.occurred_at < ${}) \
             OR EXISTS (SELECT 1 FROM amendments a WHERE a.organisation_id = $1 AND a.employee_id = e.id \
                        AND a.occurred_at >= ${} AND a.occurred_at < ${})) \
             ORDER BY id LIMIT ${}",
            rows::EMPLOYEE_COLUMNS,
            n + 1,
            n,
            n,
            n + 1,
            n,
            n + 1,
            n + 2
        );
        let mut all = vec![
            self.org.to_string(),
            after.map(|a| a.to_string()).unwrap_or_default(),
        ];
        all.append(&mut texts);
        fetch_all(
            &mut self.tx,
            &sql,
            all,
            vec![micros(from), micros(to), limit],
        )
        .await?
        .iter()
        .map(rows::employee)
        .collect()
    }

    async fn frozen(
        &mut self,
        period_id: &str,
        filter: &PayrollFilter,
        after: Option<EmployeeId>,
        limit: i64,
    ) -> StoreResult<Vec<FrozenEmployee>> {
        let (fsql, mut texts) = filter_sql(filter, "employee_id", 4);
        let sql = format!(
            "SELECT employee_id, external_id FROM payroll_period_employees WHERE organisation_id = $1 \
             AND period_id = $2 AND employee_id > $3{fsql} ORDER BY employee_id LIMIT ${}",
            4 + texts.len()
        );
        let mut all = vec![
            self.org.to_string(),
            period_id.to_string(),
            after.map(|a| a.to_string()).unwrap_or_default(),
        ];
        all.append(&mut texts);
        let rows = fetch_all(&mut self.tx, &sql, all, vec![limit]).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: String = col(r, "employee_id")?;
            let employee = EmployeeId(
                id.parse()
                    .map_err(|_| StoreError::Corrupt(format!("employee_id: '{id}'")))?,
            );
            out.push(FrozenEmployee {
                employee,
                external_id: col(r, "external_id")?,
                lines: Vec::new(),
            });
        }
        for e in &mut out {
            e.lines = self.frozen_lines(period_id, e.employee).await?;
        }
        Ok(out)
    }

    async fn frozen_lines(
        &mut self,
        period_id: &str,
        employee: EmployeeId,
    ) -> StoreResult<Vec<Line>> {
        fetch_all(
            &mut self.tx,
            "SELECT * FROM payroll_lines WHERE organisation_id = $1 AND period_id = $2 \
             AND employee_id = $3 ORDER BY ord",
            vec![
                self.org.to_string(),
                period_id.to_string(),
                employee.to_string(),
            ],
            vec![],
        )
        .await?
        .iter()
        .map(line_row)
        .collect()
    }

    async fn carried(&mut self, employee: EmployeeId, adjusts: &str) -> StoreResult<Vec<Line>> {
        fetch_all(
            &mut self.tx,
            "SELECT * FROM payroll_lines WHERE organisation_id = $1 AND employee_id = $2 \
             AND adjusts_period_id = $3 ORDER BY period_id, ord",
            vec![
                self.org.to_string(),
                employee.to_string(),
                adjusts.to_string(),
            ],
            vec![],
        )
        .await?
        .iter()
        .map(line_row)
        .collect()
    }

    async fn touched_since(
        &mut self,
        since: DateTime<Utc>,
        span: Span,
        dates: (NaiveDate, NaiveDate),
    ) -> StoreResult<Vec<EmployeeId>> {
        // Changes at the lock's own instant count (`> since - 1`): being
        // conservative costs a re-judgement, missing one would cost pay.
        // Events received late but placed in the period, any later
        // amendment, absence, schedule or agreement change, an employee
        // update (time zone, pack, exemption) and employee-level overrides.
        // Organisation-wide changes are caught by the plans digest.
        let sql = "SELECT id FROM employees WHERE organisation_id = $1 AND (updated_at > $4 - 1 \
             OR id IN (SELECT employee_id FROM clock_events WHERE organisation_id = $1 AND received_at > $4 - 1 \
                       AND occurred_at >= $5 AND occurred_at < $6) \
             OR id IN (SELECT employee_id FROM amendments WHERE organisation_id = $1 AND created_at > $4 - 1) \
             OR id IN (SELECT employee_id FROM absences WHERE organisation_id = $1 \
                       AND (created_at > $4 - 1 OR cancelled_at > $4 - 1) AND first_day <= $3 AND last_day >= $2) \
             OR id IN (SELECT employee_id FROM schedules WHERE organisation_id = $1 AND created_at > $4 - 1) \
             OR id IN (SELECT employee_id FROM agreements WHERE organisation_id = $1 \
                       AND (created_at > $4 - 1 OR ended_at > $4 - 1)) \
             OR id IN (SELECT scope FROM rule_overrides WHERE organisation_id = $1 AND updated_at > $4 - 1)) \
             ORDER BY id";
        let rows = fetch_all(
            &mut self.tx,
            sql,
            vec![
                self.org.to_string(),
                dates.0.to_string(),
                dates.1.to_string(),
            ],
            vec![micros(since), micros(span.start), micros(span.end)],
        )
        .await?;
        rows.iter()
            .map(|r| {
                let id: String = col(r, "id")?;
                id.parse()
                    .map(EmployeeId)
                    .map_err(|_| StoreError::Corrupt(format!("id: '{id}'")))
            })
            .collect()
    }

    async fn plans_digest(&mut self, dates: (NaiveDate, NaiveDate)) -> StoreResult<String> {
        let mut h = Sha256::new();
        // An override that takes effect after the period (and the week
        // after it) cannot move its figures. The date joins the digest only
        // when set, so digests of overrides that apply always are unchanged.
        let reach_to = dates.1 + chrono::Duration::days(7);
        let overrides: Vec<(String, String, String, String, i64, String)> = sqlx::query_as(
            "SELECT scope, rule_pack, rule_id, parameter, value, effective_from FROM rule_overrides \
             WHERE organisation_id = $1 AND effective_from <= $2 \
             ORDER BY scope, rule_pack, rule_id, parameter, effective_from",
        )
        .bind(self.org.to_string())
        .bind(reach_to.to_string())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(classify)?;
        for o in overrides {
            h.update(format!("o|{}|{}|{}|{}|{}", o.0, o.1, o.2, o.3, o.4));
            if o.5 != "1970-01-01" {
                h.update(format!("|{}", o.5));
            }
            h.update("\n");
        }
        let from = dates.0.pred_opt().unwrap_or(dates.0);
        let to = dates.1.succ_opt().unwrap_or(dates.1);
        let holidays: Vec<(String, String, Option<i64>)> = sqlx::query_as(
            "SELECT day, kind, window_start FROM org_holidays WHERE organisation_id = $1 \
             AND day >= $2 AND day <= $3 ORDER BY day",
        )
        .bind(self.org.to_string())
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(&mut *self.tx)
        .await
        .map_err(classify)?;
        for d in holidays {
            h.update(format!("h|{}|{}|{:?}\n", d.0, d.1, d.2));
        }
        Ok(hex::encode(h.finalize()))
    }

    async fn late_changes(
        &mut self,
        employee: EmployeeId,
        since: DateTime<Utc>,
        span: Span,
        dates: (NaiveDate, NaiveDate),
    ) -> StoreResult<Vec<LateChange>> {
        let org = self.org.to_string();
        let emp = employee.to_string();
        let mut out = Vec::new();
        let sql = format!(
            "SELECT {} FROM clock_events WHERE organisation_id = $1 AND employee_id = $2 \
             AND received_at > $3 - 1 AND occurred_at >= $4 AND occurred_at < $5 \
             ORDER BY occurred_at, event_id",
            rows::EVENT_COLUMNS
        );
        for r in fetch_all(
            &mut self.tx,
            &sql,
            vec![org.clone(), emp.clone()],
            vec![micros(since), micros(span.start), micros(span.end)],
        )
        .await?
        {
            out.push(LateChange::Event(rows::stored_event(&r)?));
        }
        let sql = format!(
            "SELECT {} FROM amendments WHERE organisation_id = $1 AND employee_id = $2 \
             AND created_at > $3 - 1 ORDER BY seq",
            rows::AMENDMENT_COLUMNS
        );
        for r in fetch_all(
            &mut self.tx,
            &sql,
            vec![org.clone(), emp.clone()],
            vec![micros(since)],
        )
        .await?
        {
            out.push(LateChange::Amendment(rows::amendment(&r)?));
        }
        for r in fetch_all(
            &mut self.tx,
            "SELECT absence_id, kind, first_day, last_day, cancelled_at FROM absences \
             WHERE organisation_id = $1 AND employee_id = $2 AND first_day <= $3 AND last_day >= $4 \
             AND (created_at > $5 - 1 OR cancelled_at > $5 - 1) ORDER BY first_day, absence_id",
            vec![org.clone(), emp.clone(), dates.1.to_string(), dates.0.to_string()],
            vec![micros(since)],
        )
        .await?
        {
            let kind: String = col(&r, "kind")?;
            let cancelled: Option<i64> = col(&r, "cancelled_at")?;
            out.push(LateChange::Absence {
                id: col(&r, "absence_id")?,
                kind: AbsenceKind::parse(&kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("kind: '{kind}'")))?,
                first: date(&r, "first_day")?,
                last: date(&r, "last_day")?,
                cancelled: cancelled.is_some_and(|c| c >= micros(since)),
            });
        }
        for r in fetch_all(
            &mut self.tx,
            "SELECT schedule_id, valid_from FROM schedules WHERE organisation_id = $1 \
             AND employee_id = $2 AND created_at > $3 - 1 ORDER BY valid_from, schedule_id",
            vec![org.clone(), emp.clone()],
            vec![micros(since)],
        )
        .await?
        {
            out.push(LateChange::Schedule {
                id: col(&r, "schedule_id")?,
                valid_from: date(&r, "valid_from")?,
            });
        }
        for r in fetch_all(
            &mut self.tx,
            "SELECT agreement_id, reference, ended_at FROM agreements WHERE organisation_id = $1 \
             AND employee_id = $2 AND (created_at > $3 - 1 OR ended_at > $3 - 1) ORDER BY valid_from, agreement_id",
            vec![org, emp],
            vec![micros(since)],
        )
        .await?
        {
            let ended: Option<i64> = col(&r, "ended_at")?;
            out.push(LateChange::Agreement {
                id: col(&r, "agreement_id")?,
                reference: col(&r, "reference")?,
                ended: ended.is_some_and(|e| e >= micros(since)),
            });
        }
        Ok(out)
    }

    async fn prefetch(
        &mut self,
        employees: &[EmployeeId],
        span: (DateTime<Utc>, DateTime<Utc>),
        plan_dates: (NaiveDate, NaiveDate),
        parts: PageParts,
    ) -> StoreResult<()> {
        self.page = None;
        self.page_plans = None;
        let page = page_records(&mut self.tx, self.org, employees, span, parts).await?;
        self.page = Some(page);
        let shared = self.org_plans(plan_dates.0, plan_dates.1).await?;
        let plans = page_policies_on(&mut self.tx, self.org, employees, &shared).await?;
        self.page_plans = Some((plan_dates, plans));
        Ok(())
    }

    fn take_page(&mut self) -> Option<PageView> {
        if !self.page.as_ref()?.priced() {
            return None;
        }
        let records = self.page.take()?;
        let (plan_dates, plans) = self.page_plans.take()?;
        Some(PageView {
            records,
            plan_dates,
            plans,
        })
    }
}

#[async_trait]
impl RecordReads for SqlSnapshot {
    async fn record_between(
        &mut self,
        employee: EmployeeId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<(Vec<StoredEvent>, Vec<Amendment>)> {
        if let Some(found) = self
            .page
            .as_ref()
            .and_then(|p| p.record_between(employee, from, to))
        {
            return Ok(found);
        }
        record_between_on(&mut self.tx, self.org, employee, from, to).await
    }

    async fn policy_of(
        &mut self,
        employee: EmployeeId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StoreResult<EmployeePolicy> {
        if let Some((dates, page)) = &self.page_plans
            && *dates == (from, to)
            && let Some(p) = page.get(&employee)
        {
            return Ok(p.clone());
        }
        let shared = self.org_plans(from, to).await?;
        employee_policy_on(&mut self.tx, self.org, employee, from, to, &shared).await
    }

    async fn open_findings(&mut self, employee: EmployeeId, span: Span) -> StoreResult<i64> {
        if let Some(n) = self
            .page
            .as_ref()
            .and_then(|p| p.open_findings(employee, span.start, span.end))
        {
            return Ok(n);
        }
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM findings WHERE organisation_id = $1 AND employee_id = $2 \
             AND status = 'OPEN' AND at >= $3 AND at < $4",
        )
        .bind(self.org.to_string())
        .bind(employee.to_string())
        .bind(micros(span.start))
        .bind(micros(span.end))
        .fetch_one(&mut *self.tx)
        .await
        .map_err(classify)?;
        Ok(n)
    }

    async fn recompute_queued(&mut self, employee: EmployeeId) -> StoreResult<bool> {
        if let Some(q) = self
            .page
            .as_ref()
            .and_then(|p| p.recompute_queued(employee))
        {
            return Ok(q);
        }
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM recompute_queue WHERE organisation_id = $1 AND employee_id = $2",
        )
        .bind(self.org.to_string())
        .bind(employee.to_string())
        .fetch_one(&mut *self.tx)
        .await
        .map_err(classify)?;
        Ok(n > 0)
    }

    async fn first_worked(&mut self, employee: EmployeeId) -> StoreResult<Option<NaiveDate>> {
        if let Some(first) = self.page.as_ref().and_then(|p| p.first_worked(employee)) {
            return Ok(first);
        }
        let row: Option<(Option<String>,)> = sqlx::query_as(
            "SELECT MIN(day) FROM day_totals WHERE organisation_id = $1 AND employee_id = $2 AND worked > 0",
        )
        .bind(self.org.to_string())
        .bind(employee.to_string())
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(classify)?;
        row.and_then(|r| r.0)
            .map(|d| {
                d.parse()
                    .map_err(|_| StoreError::Corrupt(format!("day: '{d}'")))
            })
            .transpose()
    }
}
