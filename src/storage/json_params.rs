//! Lists and rows passed as one JSON parameter, so that a statement's text
//! does not depend on how many ids or rows it carries.
//!
//! Why (issue 15, fifteenth round): sqlx keeps 100 prepared statements per
//! connection. A statement written with one placeholder per id or per row
//! has a text per length; a PostgreSQL round of `record-postgres` sent 228
//! event batches, and 156 of their inserts were prepared anew (a Parse and
//! Describe round trip, and a Close for the statement evicted) because the
//! sixteen connections' caches were full of other lengths. With one JSON
//! parameter there is one text per statement, prepared once per
//! connection. Both databases unpack JSON natively (`json_each` in SQLite,
//! `json_array_elements` in PostgreSQL).

use serde_json::Value;

/// A column of a row source: its name and how it is read back from JSON.
#[derive(Clone, Copy)]
pub(super) enum Ty {
    Text,
    Int,
}

/// `SELECT …` yielding the ids of the JSON array of strings in parameter
/// `param`, for `col IN (…)`.
pub(super) fn id_list(sqlite: bool, param: usize) -> String {
    if sqlite {
        format!("SELECT value FROM json_each(${param})")
    } else {
        format!("SELECT json_array_elements_text(${param}::json)")
    }
}

/// The JSON array of `ids`, bound to an [`id_list`] parameter.
pub(super) fn ids_json<S: AsRef<str>>(ids: &[S]) -> String {
    Value::Array(
        ids.iter()
            .map(|id| Value::String(id.as_ref().to_owned()))
            .collect(),
    )
    .to_string()
}

/// A subquery (alias `r`) with one row per element of the JSON array of
/// arrays in parameter `param`, its columns named and typed by `cols` in
/// order. Rows come out in the array's order.
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
        format!("(SELECT {columns} FROM json_array_elements(${param}::json) AS j(v)) AS r")
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
    use super::{Ty, id_list, ids_json, int, opt_text, row_source, rows_json, text};

    #[test]
    fn the_text_names_the_parameter_once_whatever_the_length() {
        assert_eq!(id_list(true, 2), "SELECT value FROM json_each($2)");
        assert_eq!(
            id_list(false, 2),
            "SELECT json_array_elements_text($2::json)"
        );
        let cols = [("a", Ty::Text), ("b", Ty::Int)];
        assert_eq!(
            row_source(false, 3, &cols),
            "(SELECT (v->>0) AS a, CAST(v->>1 AS BIGINT) AS b \
             FROM json_array_elements($3::json) AS j(v)) AS r"
        );
        assert_eq!(
            row_source(true, 3, &cols),
            "(SELECT json_extract(value, '$[0]') AS a, json_extract(value, '$[1]') AS b \
             FROM json_each($3)) AS r"
        );
    }

    #[test]
    fn values_are_encoded_exactly() {
        assert_eq!(ids_json(&["a\"b", "c"]), r#"["a\"b","c"]"#);
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
