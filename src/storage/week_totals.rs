//! The ledger per ISO week (`week_totals`, SQLite): what a recompute reads
//! for the weeks it did not load, instead of a year of day rows per
//! employee (issue 15, twelfth round).
//!
//! A recompute judges 52-week windows, so it reads about a year of stored
//! history either side of the weeks it loaded. The long rules read that
//! history as overtime spans and worked time per ISO week (`History`);
//! only `no.averaging` and the `de-arbzg` Sunday count read it per date
//! (`needs_daily_history`). So a week with no loaded day can stand in as
//! one row: its days' worked time summed and their overtime spans joined.
//! Days of a week the loaded range cuts (its edges move with DST) are read
//! as day rows, so the history the engine gets is the one day rows give.
//!
//! Writes keep the weeks exact: the transaction that changes day totals
//! rebuilds the weeks of the changed dates from them ([`rebuild_weeks`]).
//!
//! Timesheets' flex balance and the digest read the worked time before a
//! date as whole weeks from here and that week's days from day rows
//! (`derived::worked_before_columns`), but only once the rebuild at this
//! start succeeded (`SqlStore::sums_weeks`).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike as _, Duration, NaiveDate, Weekday};
use serde::Deserialize;
use sqlx::{AnyConnection, Executor as _};

use super::derived::{StoredWeek, parse_spans};
use super::json_params::{bind_ids, in_list};
use super::rows::col;
use super::statement::marks_for;
use super::writer::classify;
use super::{StoreError, StoreResult};
use crate::domain::engine::ledger::monday_of;
use crate::domain::ids::OrgId;

/// Ids per `IN (…)` list.
const IDS_PER_STATEMENT: usize = 500;

/// Inclusive local dates.
pub type Dates = (NaiveDate, NaiveDate);

/// Which stored rows stand for an employee's history of `from..=to`
/// outside the loaded dates `t0..t1` (which the engine has from events):
/// whole weeks as week rows, every other date as a day row.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HistoryReads {
    /// Weeks (Monday to Monday, inclusive) read as week rows.
    pub weeks: Vec<Dates>,
    /// Dates read as day rows.
    pub days: Vec<Dates>,
}

impl HistoryReads {
    /// Every date of `from..=to` outside `trusted` (`t0 <= d < t1`), whole
    /// weeks as week rows when `weekly`.
    #[must_use]
    pub fn new(from: NaiveDate, to: NaiveDate, trusted: Dates, weekly: bool) -> Self {
        let (t0, t1) = (trusted.0, trusted.1.max(trusted.0));
        let outside = subtract(&[(from, to)], (t0, t1 - Duration::days(1)));
        if !weekly {
            return Self {
                weeks: Vec::new(),
                days: outside,
            };
        }
        let weeks: Vec<Dates> = outside.iter().filter_map(|r| whole_weeks(*r)).collect();
        let mut days = outside;
        for (m0, m1) in &weeks {
            days = subtract(&days, (*m0, *m1 + Duration::days(6)));
        }
        Self { weeks, days }
    }
}

/// The Mondays of the ISO weeks lying wholly in `r`, if any.
fn whole_weeks((from, to): Dates) -> Option<Dates> {
    let first = if from.weekday() == Weekday::Mon {
        from
    } else {
        monday_of(from) + Duration::days(7)
    };
    // Its Sunday is at most `to`.
    let last = monday_of(to - Duration::days(6));
    (first <= last).then_some((first, last))
}

/// `ranges` without the dates of `cut` (all inclusive).
fn subtract(ranges: &[Dates], cut: Dates) -> Vec<Dates> {
    let mut out = Vec::new();
    for &(a, b) in ranges {
        if cut.1 < cut.0 || cut.1 < a || cut.0 > b {
            out.push((a, b));
            continue;
        }
        if a < cut.0 {
            out.push((a, cut.0 - Duration::days(1)));
        }
        if cut.1 < b {
            out.push((cut.1 + Duration::days(1), b));
        }
    }
    out
}

/// `day >= $a AND day <= $b OR …` over `ranges`, numbered from `first`.
pub(super) fn any_range(column: &str, ranges: &[Dates], first: usize) -> String {
    let parts: Vec<String> = (0..ranges.len())
        .map(|i| {
            let p = first + 2 * i;
            format!("({column} >= ${p} AND {column} <= ${})", p + 1)
        })
        .collect();
    format!("({})", parts.join(" OR "))
}

/// The week rows of `ids` in `reads.weeks`, by employee id (text), each
/// employee's by Monday. Read packed, one row per employee with its weeks
/// in one JSON array (as `packed` reads events): row by row, a page of 54
/// employees with a year of history was 2,500 rows through sqlx, 8.9 ms of
/// a recompute page, the largest read that grows with history (issue 15,
/// twentieth round).
pub(super) async fn read_weeks(
    conn: &mut AnyConnection,
    org: OrgId,
    ids: &[String],
    weeks: &[Dates],
) -> StoreResult<HashMap<String, Vec<StoredWeek>>> {
    let mut out: HashMap<String, Vec<StoredWeek>> = HashMap::new();
    if weeks.is_empty() {
        return Ok(out);
    }
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let first_id = 2 + 2 * weeks.len();
        let sql = format!(
            "SELECT employee_id, \
             json_group_array(json_array(monday, worked, overtime_spans)) AS weeks \
             FROM week_totals WHERE organisation_id = $1 AND {} AND employee_id {} \
             GROUP BY employee_id",
            any_range("monday", weeks, 2),
            in_list(true, first_id, chunk.len())
        );
        let sql = marks_for(sql, true);
        let mut q = sqlx::query(&sql).bind(org.to_string());
        for (a, b) in weeks {
            q = q.bind(a.to_string()).bind(b.to_string());
        }
        for row in bind_ids(q, true, chunk)
            .fetch_all(&mut *conn)
            .await
            .map_err(classify)?
        {
            let id: String = col(&row, "employee_id")?;
            let packed: String = col(&row, "weeks")?;
            out.insert(id, unpack_weeks(&packed)?);
        }
    }
    Ok(out)
}

/// A week as [`read_weeks`] packs it: `[monday, worked, overtime_spans]`.
#[derive(Deserialize)]
struct PackedWeek<'a>(
    #[serde(borrow)] Cow<'a, str>,
    i64,
    #[serde(borrow)] Cow<'a, str>,
);

/// The weeks packed by [`read_weeks`], by Monday (the array's order is not
/// promised).
fn unpack_weeks(text: &str) -> StoreResult<Vec<StoredWeek>> {
    let packed: Vec<PackedWeek> = serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("week_totals packed: {e}")))?;
    let mut weeks = packed
        .into_iter()
        .map(|PackedWeek(monday, worked, spans)| {
            Ok(StoredWeek {
                monday: monday
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("monday: {monday}")))?,
                worked,
                overtime_spans: parse_spans(&spans)?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    weeks.sort_by_key(|w| w.monday);
    Ok(weeks)
}

/// The ISO week's Monday of the date (`'YYYY-MM-DD'`) that `date` gives,
/// in SQLite: a week row's key.
pub(super) fn monday_sql(date: &str) -> String {
    format!("date({date}, 'weekday 0', '-6 days')")
}

/// The week rows of the day rows that `where_` selects (`day_totals`'s
/// columns; its parameters start at `$1`): the one place a week is summed.
fn weeks_of_days(where_: &str) -> String {
    let monday = monday_sql("day");
    format!(
        "INSERT INTO week_totals (organisation_id, employee_id, monday, worked, overtime_spans) \
         SELECT organisation_id, employee_id, {monday}, SUM(worked), \
         COALESCE(group_concat(NULLIF(overtime_spans, ''), ','), '') FROM day_totals {where_} \
         GROUP BY organisation_id, employee_id, {monday}"
    )
}

/// Rebuilds, inside the open transaction that just changed day totals,
/// the week rows of the weeks (`monday` → employee ids) whose days
/// changed, from the day rows (SQLite): a week whose days are all gone
/// loses its row.
pub(super) async fn rebuild_weeks(
    conn: &mut AnyConnection,
    org: OrgId,
    weeks: &BTreeMap<NaiveDate, Vec<String>>,
) -> StoreResult<()> {
    for (&monday, ids) in weeks {
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            let delete = format!(
                "DELETE FROM week_totals WHERE organisation_id = $1 AND monday >= $2 AND monday <= $3 \
                 AND employee_id {}",
                in_list(true, 4, chunk.len())
            );
            let insert = weeks_of_days(&format!(
                "WHERE organisation_id = $1 AND day >= $2 AND day <= $3 AND employee_id {}",
                in_list(true, 4, chunk.len())
            ));
            for (sql, last) in [(delete, monday), (insert, monday + Duration::days(6))] {
                let sql = marks_for(sql, true);
                let q = sqlx::query(&sql)
                    .bind(org.to_string())
                    .bind(monday.to_string())
                    .bind(last.to_string());
                bind_ids(q, true, chunk)
                    .execute(&mut *conn)
                    .await
                    .map_err(classify)?;
            }
        }
    }
    Ok(())
}

/// Rebuilds every week row from the day rows (SQLite, at every start):
/// the weeks of a file migrated before `week_totals` existed, and of a file
/// an older binary wrote day totals to after a rollback (it keeps no weeks),
/// are right before the first recompute reads them. Returns the rows built.
pub(super) async fn rebuild_all(conn: &mut AnyConnection) -> StoreResult<u64> {
    conn.execute("DELETE FROM week_totals")
        .await
        .map_err(classify)?;
    let built = conn
        .execute(weeks_of_days("").as_str())
        .await
        .map_err(classify)?;
    Ok(built.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn whole_weeks_outside_the_loaded_dates_become_week_rows() {
        // 2026-01-07 is a Wednesday; loaded: Mon 2026-10-05 to Mon 2026-11-30.
        let r = HistoryReads::new(d(1, 7), d(12, 31), (d(10, 5), d(11, 30)), true);
        // Wed–Sun of the first week as days, then Mondays 12 Jan .. 28 Sep.
        assert_eq!(r.weeks, vec![(d(1, 12), d(9, 28)), (d(11, 30), d(12, 21))]);
        assert_eq!(r.days, vec![(d(1, 7), d(1, 11)), (d(12, 28), d(12, 31))]);
    }

    #[test]
    fn a_week_the_loaded_dates_cut_is_read_as_days() {
        // DST moved the loaded start to a Sunday: the week before it keeps
        // its Monday to Saturday as days, the Sunday is loaded.
        let r = HistoryReads::new(d(1, 5), d(12, 27), (d(10, 4), d(11, 30)), true);
        assert_eq!(r.weeks, vec![(d(1, 5), d(9, 21)), (d(11, 30), d(12, 21))]);
        assert_eq!(r.days, vec![(d(9, 28), d(10, 3))]);
    }

    #[test]
    fn a_loaded_range_ending_on_a_sunday_leaves_that_week_to_days() {
        // DST moved the loaded end back to a Sunday (t1 = Sun 2026-11-29,
        // exclusive): that Sunday is history, its week's Monday to
        // Saturday loaded.
        let r = HistoryReads::new(d(1, 5), d(12, 27), (d(10, 5), d(11, 29)), true);
        assert_eq!(r.weeks, vec![(d(1, 5), d(9, 28)), (d(11, 30), d(12, 21))]);
        assert_eq!(r.days, vec![(d(11, 29), d(11, 29))]);
    }

    #[test]
    fn daily_reads_every_date_outside_the_loaded_ones() {
        let r = HistoryReads::new(d(1, 5), d(12, 27), (d(10, 5), d(11, 30)), false);
        assert!(r.weeks.is_empty());
        assert_eq!(r.days, vec![(d(1, 5), d(10, 4)), (d(11, 30), d(12, 27))]);
    }

    #[test]
    fn nothing_outside_when_the_load_covers_the_range() {
        let r = HistoryReads::new(d(3, 2), d(3, 29), (d(1, 1), d(6, 1)), true);
        assert!(r.weeks.is_empty());
        assert!(r.days.is_empty());
    }

    #[test]
    fn weeks_and_days_cover_each_outside_date_once() {
        let (from, to, trusted) = (d(1, 3), d(12, 30), (d(6, 14), d(8, 13)));
        let r = HistoryReads::new(from, to, trusted, true);
        let mut seen = std::collections::BTreeMap::new();
        for (m0, m1) in &r.weeks {
            for day in m0.iter_days().take_while(|x| *x <= *m1 + Duration::days(6)) {
                *seen.entry(day).or_insert(0) += 1;
            }
        }
        for (a, b) in &r.days {
            for day in a.iter_days().take_while(|x| x <= b) {
                *seen.entry(day).or_insert(0) += 1;
            }
        }
        for day in from.iter_days().take_while(|x| *x <= to) {
            let expected = usize::from(day < trusted.0 || day >= trusted.1);
            assert_eq!(seen.get(&day).copied().unwrap_or(0), expected, "{day}");
        }
        assert!(seen.keys().all(|day| *day >= from && *day <= to));
        assert_eq!(seen.len(), seen.values().filter(|n| **n == 1).count());
    }
}
