//! Writing a recompute page's day totals: only the dates whose figures
//! changed (issue 15, twelfth round).
//!
//! A recompute rewrites the day totals of three ISO weeks, 21 dates, while
//! a live change (today's clock-out) moves one. Deleting and inserting all
//! 21 rows cost the single SQLite writer 42 row writes per employee and
//! dirtied pages all over the table (rows of one employee lie wherever
//! their inserts put them). So the page reads what is stored for its dates
//! in the same transaction, and writes only the dates that differ: an
//! upsert for a new or changed date, a delete for a date whose work is
//! gone. On SQLite the weeks of those dates are then rebuilt
//! (`week_totals`). What is stored afterwards is exactly what deleting and
//! inserting the whole range stored. The history a recompute reads takes
//! its day rows from here too ([`read_days`]).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use sqlx::AnyConnection;

use super::StoreResult;
use super::derived::{RecomputeWrite, StoredDay, spans_text};
use super::json_params::{
    Ty, bind_ids, execute_rows, in_list, int, of_ids, row_source, rows_json, text,
};
use super::statement::{is_sqlite, marks_for};
use super::week_totals::{Dates, any_range};
use super::writer::classify;
use crate::domain::engine::ledger::monday_of;
use crate::domain::ids::OrgId;

/// Ids per statement (an `IN (…)` list on SQLite, lookups on PostgreSQL).
const IDS_PER_STATEMENT: usize = 500;
/// Rows per statement.
const ROWS_PER_STATEMENT: usize = 500;

/// The columns of a day row sent to the upsert (the organisation is a
/// parameter of its own).
const DAY_ROW: [(&str, Ty); 9] = [
    ("employee_id", Ty::Text),
    ("day", Ty::Text),
    ("worked", Ty::Int),
    ("normal", Ty::Int),
    ("overtime", Ty::Int),
    ("night", Ty::Int),
    ("sunday_holiday", Ty::Int),
    ("home", Ty::Int),
    ("overtime_spans", Ty::Text),
];

/// A day row's figures, its overtime spans as the stored text (so spans
/// compare at the microseconds they are stored with).
#[derive(Debug, PartialEq, Eq)]
struct Figures {
    worked: i64,
    normal: i64,
    overtime: i64,
    night: i64,
    sunday_holiday: i64,
    home: i64,
    spans: String,
}

impl Figures {
    fn of(d: &StoredDay) -> Self {
        Self {
            worked: d.worked,
            normal: d.normal,
            overtime: d.overtime,
            night: d.night,
            sunday_holiday: d.sunday_holiday,
            home: d.home,
            spans: spans_text(&d.overtime_spans),
        }
    }
}

/// Replaces the day totals of each write's dates `days_from..=days_to` with
/// its `days`, writing only what differs from what is stored.
pub(super) async fn replace_days(
    conn: &mut AnyConnection,
    org: OrgId,
    writes: &[&RecomputeWrite],
) -> StoreResult<()> {
    let mut by_range: BTreeMap<(NaiveDate, NaiveDate), Vec<String>> = BTreeMap::new();
    for w in writes {
        by_range
            .entry((w.days_from, w.days_to))
            .or_default()
            .push(w.employee.to_string());
    }
    let mut stored = stored_figures(conn, org, &by_range).await?;
    let mut upserts: Vec<(String, &StoredDay, Figures)> = Vec::new();
    for w in writes {
        let id = w.employee.to_string();
        for d in &w.days {
            let new = Figures::of(d);
            if stored.remove(&(id.clone(), d.day)).as_ref() != Some(&new) {
                upserts.push((id.clone(), d, new));
            }
        }
    }
    // What is left was stored and is no longer worked.
    let deletes: Vec<(String, NaiveDate)> = stored.into_keys().collect();
    let mut weeks: BTreeMap<NaiveDate, Vec<String>> = BTreeMap::new();
    for (id, day) in upserts
        .iter()
        .map(|(id, d, _)| (id, d.day))
        .chain(deletes.iter().map(|(id, day)| (id, *day)))
    {
        let ids = weeks.entry(monday_of(day)).or_default();
        if !ids.contains(id) {
            ids.push(id.clone());
        }
    }
    delete_days(conn, org, &deletes).await?;
    upsert_days(conn, org, &upserts).await?;
    if is_sqlite(conn) {
        super::week_totals::rebuild_weeks(conn, org, &weeks).await?;
    }
    Ok(())
}

/// The stored figures of each range's employees in it, by (employee, date).
async fn stored_figures(
    conn: &mut AnyConnection,
    org: OrgId,
    by_range: &BTreeMap<(NaiveDate, NaiveDate), Vec<String>>,
) -> StoreResult<HashMap<(String, NaiveDate), Figures>> {
    let mut out = HashMap::new();
    for (&range, ids) in by_range {
        for (id, days) in read_days(conn, org, ids, &[range]).await? {
            for d in days {
                out.insert((id.clone(), d.day), Figures::of(&d));
            }
        }
    }
    Ok(out)
}

/// The day rows of `ids` on the dates `days` (inclusive ranges), by
/// employee id (text).
pub(super) async fn read_days(
    conn: &mut AnyConnection,
    org: OrgId,
    ids: &[String],
    days: &[Dates],
) -> StoreResult<HashMap<String, Vec<StoredDay>>> {
    let mut out: HashMap<String, Vec<StoredDay>> = HashMap::new();
    let (Some(lo), Some(hi)) = (
        days.iter().map(|r| r.0).min(),
        days.iter().map(|r| r.1).max(),
    ) else {
        return Ok(out);
    };
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        // The outer bounds let the primary key walk one range per employee;
        // the ranges then filter it.
        let sql = read_days_sql(is_sqlite(conn), days, chunk.len());
        let sql = marks_for(sql, is_sqlite(conn));
        let mut q = sqlx::query(&sql)
            .bind(org.to_string())
            .bind(lo.to_string())
            .bind(hi.to_string());
        for (a, b) in days {
            q = q.bind(a.to_string()).bind(b.to_string());
        }
        for row in bind_ids(q, is_sqlite(conn), chunk)
            .fetch_all(&mut *conn)
            .await
            .map_err(classify)?
        {
            let id: String = super::rows::col(&row, "employee_id")?;
            out.entry(id)
                .or_default()
                .push(super::derived::stored_day(&row)?);
        }
    }
    Ok(out)
}

/// The statement of [`read_days`] for `n` employees: `$1` the organisation,
/// `$2`, `$3` the outer bounds, a pair for each of `days` from `$4` on,
/// then the ids (see `json_params::of_ids`).
pub(super) fn read_days_sql(sqlite: bool, days: &[Dates], n: usize) -> String {
    let select = format!(
        "SELECT employee_id, day, worked, normal, overtime, night, sunday_holiday, home, \
         overtime_spans FROM day_totals WHERE organisation_id = $1 AND day >= $2 \
         AND day <= $3 AND {}",
        any_range("day", days, 4)
    );
    format!(
        "{} ORDER BY employee_id, day",
        of_ids(sqlite, &select, "employee_id", 4 + 2 * days.len(), n)
    )
}

/// The statement of [`delete_days`]: `$1` the organisation, `$2` the
/// (employee, day) pairs as JSON, then the pairs' `employees` distinct
/// employees. The employee list gives the primary key its prefix whatever
/// the planner makes of the pairs unpacked from JSON.
pub(super) fn delete_days_sql(sqlite: bool, employees: usize) -> String {
    marks_for(
        format!(
            "DELETE FROM day_totals WHERE organisation_id = $1 AND (employee_id, day) IN \
             (SELECT r.employee_id, r.day FROM {}) AND employee_id {}",
            row_source(sqlite, 2, &[("employee_id", Ty::Text), ("day", Ty::Text)]),
            in_list(sqlite, 3, employees)
        ),
        sqlite,
    )
}

/// Deletes the day rows of `days` (employee, date).
async fn delete_days(
    conn: &mut AnyConnection,
    org: OrgId,
    days: &[(String, NaiveDate)],
) -> StoreResult<()> {
    let sqlite = is_sqlite(conn);
    for chunk in days.chunks(IDS_PER_STATEMENT) {
        let mut employees: Vec<&str> = chunk.iter().map(|(id, _)| id.as_str()).collect();
        employees.sort_unstable();
        employees.dedup();
        let sql = delete_days_sql(sqlite, employees.len());
        let rows = chunk
            .iter()
            .map(|(id, day)| vec![text(id.clone()), text(day.to_string())])
            .collect();
        let q = sqlx::query(&sql)
            .bind(org.to_string())
            .bind(rows_json(rows));
        bind_ids(q, sqlite, &employees)
            .execute(&mut *conn)
            .await
            .map_err(classify)?;
    }
    Ok(())
}

/// Inserts or overwrites the day rows of `days`, in one upsert per chunk.
async fn upsert_days(
    conn: &mut AnyConnection,
    org: OrgId,
    days: &[(String, &StoredDay, Figures)],
) -> StoreResult<()> {
    let sqlite = is_sqlite(conn);
    let sql = marks_for(
        format!(
            "INSERT INTO day_totals (organisation_id, employee_id, day, worked, normal, overtime, night, \
             sunday_holiday, home, overtime_spans) \
             SELECT $1, r.employee_id, r.day, r.worked, r.normal, r.overtime, r.night, \
             r.sunday_holiday, r.home, r.overtime_spans FROM {} WHERE true \
             ON CONFLICT (organisation_id, employee_id, day) DO UPDATE SET worked = excluded.worked, \
             normal = excluded.normal, overtime = excluded.overtime, night = excluded.night, \
             sunday_holiday = excluded.sunday_holiday, home = excluded.home, \
             overtime_spans = excluded.overtime_spans",
            row_source(sqlite, 2, &DAY_ROW)
        ),
        sqlite,
    );
    for chunk in days.chunks(ROWS_PER_STATEMENT) {
        let rows = chunk
            .iter()
            .map(|(id, d, f)| {
                vec![
                    text(id.clone()),
                    text(d.day.to_string()),
                    int(f.worked),
                    int(f.normal),
                    int(f.overtime),
                    int(f.night),
                    int(f.sunday_holiday),
                    int(f.home),
                    text(f.spans.clone()),
                ]
            })
            .collect();
        execute_rows(conn, &sql, org, rows_json(rows)).await?;
    }
    Ok(())
}
