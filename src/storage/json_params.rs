//! Lists and rows passed so that a statement's text does not depend on how
//! many ids or rows it carries: rows as one JSON parameter, id lists as
//! one JSON parameter on SQLite and as a padded list on PostgreSQL.
//!
//! Why (issue 15, fifteenth round): sqlx keeps 100 prepared statements per
//! connection. A statement written with one placeholder per id or per row
//! has a text per length; a PostgreSQL round of `record-postgres` sent 228
//! event batches, and 156 of their inserts were prepared anew (a Parse and
//! Describe round trip, and a Close for the statement evicted) because the
//! sixteen connections' caches were full of other lengths. With one JSON
//! parameter there is one text per statement, prepared once per
//! connection. Both databases unpack JSON natively (`json_each` in SQLite,
//! `jsonb_array_elements` in PostgreSQL).

use serde_json::Value;

use super::statement::{NO_ID, padded, placeholders};

/// A column of a row source: its name and how it is read back from JSON.
#[derive(Clone, Copy)]
pub(super) enum Ty {
    Text,
    Int,
}

/// The test that a column is one of `n` ids, to follow the column
/// (`col {in_list}`), its parameters from `first` on, bound with
/// [`id_params`].
///
/// SQLite takes the ids as one JSON array. PostgreSQL takes them one
/// parameter each, the list padded to a power of two (the last id
/// repeated), so a statement has a few texts, not one per length. As one
/// parameter there (`= ANY(CAST($2 AS TEXT[]))`, or unpacked from JSON in
/// a subquery) the planner, seeing a table not yet analysed, scanned the
/// organisation's rows and filtered them by the list: 10–100 ms where a
/// short list of parameters is an index lookup (issue 15, fifteenth
/// round). A long one (a page's 64 or more employees, a batch's 500 ids) was
/// scanned the same way, so on PostgreSQL the statements a batch or a page
/// reads or locks with use [`pg_each_id`] instead (rounds 22–23); the one
/// left is `day_rows::delete_days`, which runs only for days no longer
/// worked.
pub(super) fn in_list(sqlite: bool, first: usize, n: usize) -> String {
    if sqlite {
        format!("IN (SELECT value FROM json_each(${first}))")
    } else {
        format!("IN ({})", placeholders(first, pg_list_len(n)))
    }
}

/// `select` (ending in a `WHERE` clause) narrowed to the rows whose
/// `column` is one of `n` ids from `$first` on (bound with [`bind_ids`]):
/// `AND column IN (…)` on `SQLite`, each id looked up on PostgreSQL
/// ([`pg_each_id`]). An `ORDER BY` goes after it, on the columns selected.
pub(super) fn of_ids(sqlite: bool, select: &str, column: &str, first: usize, n: usize) -> String {
    if sqlite {
        format!("{select} AND {column} {}", in_list(true, first, n))
    } else {
        pg_each_id(first, n, &format!("{select} AND {column} = ids.id"))
    }
}

/// The test that `column` (an `employees` row's organisation) is `$1`, in
/// a statement that looks employees up by id ([`of_ids`]). On PostgreSQL
/// `employees`' key is the id alone, and before `ANALYZE` an index that
/// leads with the organisation (`employees_manager`) looked as cheap to
/// the planner for a small organisation (a row estimated either way), so
/// each id scanned the organisation's employees and filtered them by the
/// id (`query_plans_postgres`, issue 15, twenty-third round); it did so
/// with `employees_page (organisation_id, id)` there too. `IS NOT DISTINCT
/// FROM` is the same test of a column that is never NULL, and no index
/// serves it, so the key is the only way in.
pub(super) fn employee_org_is_first(sqlite: bool, column: &str) -> String {
    if sqlite {
        format!("{column} = $1")
    } else {
        format!("{column} IS NOT DISTINCT FROM $1")
    }
}

/// PostgreSQL: `per_id`, a statement about the rows of one id (`ids.id`),
/// run for each of the `n` ids of an [`in_list`] from `$first` on (bound
/// with [`bind_ids`]; the padding's repeats are read once), as one lateral
/// join: `SELECT l.* FROM ids CROSS JOIN LATERAL (per_id) AS l`.
///
/// Why not `id IN (…)`: on a table not yet analysed the planner takes an
/// equality on the organisation for 0.5 % of the rows and finds one scan
/// of the organisation's rows, filtered by the list, cheaper than a probe
/// per id. The bench's `auto_explain` had the duplicate check of a batch
/// of 500 events reading all 24,000 events stored (from the index on
/// `received_at`) and a recompute page's event read reading 30,000 to keep
/// its 64 employees' (issue 15, twenty-second round). Joined laterally,
/// each id is its own lookup: the planner picks an index by the id's
/// column, not by its guess of the organisation's rows (on a near-empty
/// table it may take another index of the organisation, cheap at that
/// size). The `OFFSET 0` keeps the planner from pulling `per_id` up into a
/// plain join, which it then planned as a hash join over the same scan.
pub(super) fn pg_each_id(first: usize, n: usize, per_id: &str) -> String {
    pg_each_id_locked(first, n, per_id, "")
}

/// [`pg_each_id`], each id's rows locked with `lock` (`FOR UPDATE`, …) as
/// they are looked up: in id order, as [`pg_ids`] yields the ids, so two
/// writers that both lock in id order cannot wait on each other in a
/// cycle.
pub(super) fn pg_each_id_locked(first: usize, n: usize, per_id: &str, lock: &str) -> String {
    let lock = if lock.is_empty() {
        String::new()
    } else {
        format!(" {lock}")
    };
    format!(
        "SELECT l.* FROM {} CROSS JOIN LATERAL ({per_id} OFFSET 0{lock}) AS l",
        pg_ids(first, n)
    )
}

/// PostgreSQL: the distinct ids of an [`in_list`] from `$first` on, in
/// order, as a derived table `ids (id)` (see [`pg_each_id`]). The order is
/// what [`pg_each_id_locked`] locks in (a nested loop keeps its outer
/// side's order, and a lateral join is always one): byte order (`COLLATE
/// "C"`), the order Rust sorts the ids in before the writes that queue
/// them, whatever the database's collation. Only the sort is collated, so
/// `ids.id` keeps the column's collation and the indexes' use.
pub(super) fn pg_ids(first: usize, n: usize) -> String {
    let values = (first..first + pg_list_len(n))
        .map(|i| format!("(${i})"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "(SELECT id FROM (SELECT DISTINCT id FROM (VALUES {values}) AS v (id)) AS d \
         ORDER BY id COLLATE \"C\") AS ids"
    )
}

/// How many parameters a PostgreSQL list of `n` ids takes.
fn pg_list_len(n: usize) -> usize {
    padded(n.max(1), n.max(MAX_PADDED))
}

/// Lists longer than this are not padded (their callers send at most 500).
const MAX_PADDED: usize = 512;

/// The parameters of an [`in_list`] of `ids`, in order.
pub(super) fn id_params<S: AsRef<str>>(sqlite: bool, ids: &[S]) -> Vec<String> {
    if sqlite {
        return vec![
            Value::Array(
                ids.iter()
                    .map(|id| Value::String(id.as_ref().to_owned()))
                    .collect(),
            )
            .to_string(),
        ];
    }
    let mut out: Vec<String> = ids.iter().map(|id| id.as_ref().to_owned()).collect();
    // An empty list matches nothing: the nil UUID, which no row's id is.
    let last = out.last().cloned().unwrap_or_else(|| NO_ID.to_owned());
    out.resize(pg_list_len(ids.len()), last);
    out
}

/// Runs `sql`, whose `$1` is the organisation and `$2` the rows of a
/// [`row_source`] (as [`rows_json`] writes them), for `org` and `rows`.
pub(super) async fn execute_rows(
    conn: &mut sqlx::AnyConnection,
    sql: &str,
    org: crate::domain::ids::OrgId,
    rows: String,
) -> super::StoreResult<()> {
    sqlx::query(sql)
        .bind(org.to_string())
        .bind(rows)
        .execute(conn)
        .await
        .map_err(super::writer::classify)?;
    Ok(())
}

/// `q` with the parameters of an [`in_list`] of `ids` bound, in order.
pub(super) fn bind_ids<'q, S: AsRef<str>>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    sqlite: bool,
    ids: &[S],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for p in id_params(sqlite, ids) {
        q = q.bind(p);
    }
    q
}

/// A subquery (alias `r`) with one row per element of the JSON array of
/// arrays in parameter `param`, its columns named and typed by `cols` in
/// order. Rows come out in the array's order.
///
/// PostgreSQL unpacks it as `jsonb`, parsed once: a `json` element is text,
/// parsed again by every `->>`, and 1,000 event rows of six columns cost
/// 4.1 ms that way against 1.9 ms as `jsonb` (issue 15, twenty-ninth round).
pub(super) fn row_source(sqlite: bool, param: usize, cols: &[(&str, Ty)]) -> String {
    let columns = cols
        .iter()
        .enumerate()
        .map(|(i, (name, ty))| match (sqlite, ty) {
            (true, _) => format!("json_extract(value, '$[{i}]') AS {name}"),
            (false, Ty::Text) => format!("(v->>{i}) AS {name}"),
            (false, Ty::Int) => format!("CAST(v->>{i} AS BIGINT) AS {name}"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    if sqlite {
        format!("(SELECT {columns} FROM json_each(${param})) AS r")
    } else {
        format!("(SELECT {columns} FROM jsonb_array_elements(${param}::jsonb) AS j(v)) AS r")
    }
}

/// One row's cells for [`rows_json`].
pub(super) fn text(s: impl Into<String>) -> Value {
    Value::String(s.into())
}

/// A nullable text cell.
pub(super) fn opt_text(s: Option<impl Into<String>>) -> Value {
    s.map_or(Value::Null, |s| Value::String(s.into()))
}

/// An integer cell.
pub(super) fn int(n: i64) -> Value {
    Value::from(n)
}

/// A nullable integer cell.
pub(super) fn opt_int(n: Option<i64>) -> Value {
    n.map_or(Value::Null, Value::from)
}

/// The JSON array of `rows` (each an array of cells in the columns' order),
/// bound to a [`row_source`] parameter.
pub(super) fn rows_json(rows: Vec<Vec<Value>>) -> String {
    Value::Array(rows.into_iter().map(Value::Array).collect()).to_string()
}

#[cfg(test)]
mod tests {
    use super::{Ty, id_params, in_list, int, opt_text, row_source, rows_json, text};

    #[test]
    fn the_text_names_the_parameter_once_whatever_the_length() {
        assert_eq!(in_list(true, 2, 7), "IN (SELECT value FROM json_each($2))");
        assert_eq!(in_list(false, 2, 3), "IN ($2, $3, $4, $5)");
        assert_eq!(in_list(false, 2, 0), "IN ($2)");
        assert_eq!(in_list(false, 1, 500).matches('$').count(), 512);
        let cols = [("a", Ty::Text), ("b", Ty::Int)];
        assert_eq!(
            row_source(false, 3, &cols),
            "(SELECT (v->>0) AS a, CAST(v->>1 AS BIGINT) AS b \
             FROM jsonb_array_elements($3::jsonb) AS j(v)) AS r"
        );
        assert_eq!(
            row_source(true, 3, &cols),
            "(SELECT json_extract(value, '$[0]') AS a, json_extract(value, '$[1]') AS b \
             FROM json_each($3)) AS r"
        );
    }

    #[test]
    fn values_are_encoded_exactly() {
        assert_eq!(id_params(true, &["a\"b", "c"]), vec![r#"["a\"b","c"]"#]);
        assert_eq!(id_params(false, &["a", "b", "c"]), vec!["a", "b", "c", "c"]);
        assert_eq!(id_params(false, &[] as &[&str]), vec![super::NO_ID]);
        assert_eq!(
            rows_json(vec![
                vec![
                    text("x"),
                    int(1_764_000_000_000_123),
                    opt_text(None::<String>)
                ],
                vec![text("y"), int(-1), opt_text(Some("z"))],
            ]),
            r#"[["x",1764000000000123,null],["y",-1,"z"]]"#
        );
    }
}
