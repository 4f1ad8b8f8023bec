//! Helpers for statements built per batch: placeholders, padding, `?`
//! marks for SQLite, and reads of an organisation's rows by id.

use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use super::StoreResult;
use super::json_params::{bind_ids, of_ids, pg_each_id_locked};
use super::writer::classify;
use crate::domain::ids::OrgId;

/// A parameter of a statement built from filters (numbered `$1, $2, …`
/// in the order pushed).
pub(super) enum Bind {
    Text(String),
    Int(i64),
}

/// `sql` with `binds` bound in order.
pub(super) fn bound(
    sql: &str,
    binds: Vec<Bind>,
) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
    binds.into_iter().fold(sqlx::query(sql), |q, b| match b {
        Bind::Text(t) => q.bind(t),
        Bind::Int(i) => q.bind(i),
    })
}

/// An id no row has (ids are server-made UUIDs, never nil): pads the
/// employee and status lists (`derived::employees_on` on SQLite,
/// `status_read`) to
/// [`padded`]`(n)`, and stands for an empty list in
/// `json_params::id_params`, so that a few statement texts, each prepared
/// once per connection, serve every list length.
pub(super) const NO_ID: &str = "00000000-0000-0000-0000-000000000000";

/// The length an `IN (…)` list of `n` ids is padded to: the next power of
/// two, but not past `max` (nor below `n`).
pub(super) fn padded(n: usize, max: usize) -> usize {
    n.next_power_of_two().min(max.max(n))
}

/// `$first, $first+1, …` for `n` parameters.
pub(super) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A statement of one organisation's rows narrowed to those whose
/// `column` is one of a list of ids (see [`rows_for_ids`]).
#[derive(Clone, Default)]
pub(super) struct ByIds {
    /// The organisation's rows (`$1`): a `SELECT` ending in its `WHERE`
    /// clause.
    pub select: String,
    /// The column the ids are of.
    pub column: &'static str,
    /// A statement's rows in this order (columns selected), or empty.
    pub order: &'static str,
    /// PostgreSQL: each id's rows locked so (`FOR UPDATE`, …), in id
    /// order, or empty.
    pub lock: &'static str,
}

impl ByIds {
    /// The statement for `n` ids from `$2` on (see [`of_ids`]): one JSON
    /// list on SQLite, each id looked up on PostgreSQL.
    pub(super) fn sql(&self, sqlite: bool, n: usize) -> String {
        let order = if self.order.is_empty() {
            String::new()
        } else {
            format!(" ORDER BY {}", self.order)
        };
        let narrowed = if sqlite || self.lock.is_empty() {
            of_ids(sqlite, &self.select, self.column, 2, n)
        } else {
            let per_id = format!("{} AND {} = ids.id", self.select, self.column);
            pg_each_id_locked(2, n, &per_id, self.lock)
        };
        marks_for(format!("{narrowed}{order}"), sqlite)
    }
}

/// The rows of `statement` for `ids`, `chunk` ids a statement.
pub(super) async fn rows_for_ids(
    conn: &mut AnyConnection,
    org: OrgId,
    ids: &[String],
    chunk: usize,
    statement: &ByIds,
) -> StoreResult<Vec<AnyRow>> {
    let mut out = Vec::new();
    let sqlite = is_sqlite(conn);
    for part in ids.chunks(chunk) {
        let text = statement.sql(sqlite, part.len());
        let q = bind_ids(sqlx::query(&text).bind(org.to_string()), sqlite, part);
        out.extend(q.fetch_all(&mut *conn).await.map_err(classify)?);
    }
    Ok(out)
}

/// Whether `conn` is a `SQLite` connection.
pub(super) fn is_sqlite(conn: &AnyConnection) -> bool {
    conn.backend_name() == <sqlx::Sqlite as sqlx::Database>::NAME
}

/// `sql` as the database binds it fastest. `SQLite` looks a `$N`
/// parameter's name up in a list, a scan per parameter, when it parses the
/// statement and again when sqlx binds it: quadratic in the parameters of a
/// multi-row statement (27 % of the server's CPU in string compares and
/// `sqlite3_bind_parameter_name` under a recompute load of 64-employee
/// pages, issue 15). Anonymous `?` parameters are bound by position with no
/// lookup; when `$1, $2, …` each appear once and in order, position and
/// number agree, so `SQLite` gets `?`. Anything else is left as it is.
pub(super) fn marks_for(sql: String, sqlite: bool) -> String {
    if !sqlite {
        return sql;
    }
    anonymous(&sql).unwrap_or(sql)
}

/// `sql` with `$1, $2, …` as `?`, when each appears once and in order.
fn anonymous(sql: &str) -> Option<String> {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let (mut next, mut copied, mut i) = (1usize, 0usize, 0usize);
    while i < bytes.len() {
        if bytes[i] == b'$' {
            let digits = bytes[i + 1..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            if digits > 0 {
                let n: usize = sql[i + 1..=i + digits].parse().ok()?;
                if n != next {
                    return None;
                }
                next += 1;
                out.push_str(&sql[copied..i]);
                out.push('?');
                i += 1 + digits;
                copied = i;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&sql[copied..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::{marks_for, placeholders};

    #[test]
    fn sqlite_gets_anonymous_marks_only_when_numbers_are_positions() {
        let sql = "SELECT a FROM t WHERE o = $1 AND id IN ($2, $3)".to_string();
        assert_eq!(
            marks_for(sql.clone(), true),
            "SELECT a FROM t WHERE o = ? AND id IN (?, ?)"
        );
        assert_eq!(marks_for(sql.clone(), false), sql);
        let reused = "UPDATE t SET a = $2 WHERE o = $1".to_string();
        assert_eq!(marks_for(reused.clone(), true), reused);
        let twice = "SELECT $1, $1".to_string();
        assert_eq!(marks_for(twice.clone(), true), twice);
    }

    #[test]
    fn parameters_are_numbered_once_each() {
        assert_eq!(placeholders(3, 2), "$3, $4");
    }
}
