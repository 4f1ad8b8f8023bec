//! The record's hash chain in the database (`record_chain`, one head per
//! organisation in `record_chain_heads`): links are appended in the
//! transaction that writes their rows, hashed once after the migration that
//! numbered the rows already stored, and walked by `tidsvakt verify`. The
//! encoding and the checks are pure, in [`crate::domain::chain`].

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row as _};

use super::event_batch;
use super::json_params::bind_ids;
use super::rows::micros;
use super::sql::SqlStore;
use super::statement::{ByIds, is_sqlite, rows_for_ids};
use super::writer::classify;
use super::{StoreError, StoreResult};
use crate::domain::chain::{
    self, Break, CoveredRow, GENESIS, Hash, LinkKind, Report, StoredLink, Value, Walk,
};
use crate::domain::event::{AmendmentRequest, ClockEvent, Location};
use crate::domain::ids::{EmployeeId, OrgId, TokenId};

/// How a column is read back.
#[derive(Clone, Copy)]
enum Ty {
    Text,
    Int,
}

/// Every column of `clock_events`, in the order the chain hashes them.
const EVENT_COLUMNS: [(&str, Ty); 8] = [
    ("organisation_id", Ty::Text),
    ("event_id", Ty::Text),
    ("employee_id", Ty::Text),
    ("kind", Ty::Text),
    ("occurred_at", Ty::Int),
    ("location", Ty::Text),
    ("device_id", Ty::Text),
    ("received_at", Ty::Int),
];

/// Every column of `amendments`, in the order the chain hashes them.
const AMENDMENT_COLUMNS: [(&str, Ty); 13] = [
    ("organisation_id", Ty::Text),
    ("amendment_id", Ty::Text),
    ("employee_id", Ty::Text),
    ("seq", Ty::Int),
    ("kind", Ty::Text),
    ("target_event_id", Ty::Text),
    ("event_kind", Ty::Text),
    ("occurred_at", Ty::Int),
    ("location", Ty::Text),
    ("reason", Ty::Text),
    ("author_token_id", Ty::Text),
    ("author", Ty::Text),
    ("created_at", Ty::Int),
];

/// Links read per query.
const PAGE: i64 = 1000;

fn text(s: impl Into<String>) -> Value {
    Value::Text(Some(s.into()))
}

/// An event's columns as `write_event` stores them (see [`EVENT_COLUMNS`]).
pub(super) fn event_values(org: OrgId, e: &ClockEvent, received_at: DateTime<Utc>) -> Vec<Value> {
    vec![
        text(org.to_string()),
        text(e.event_id.to_string()),
        text(e.employee_id.to_string()),
        text(e.kind.as_str()),
        Value::Int(Some(micros(e.occurred_at))),
        Value::Text(e.location.map(|l| Location::as_str(l).to_owned())),
        text(e.device_id.clone()),
        Value::Int(Some(micros(received_at))),
    ]
}

/// An amendment's columns as `write_amendment` stores them (see
/// [`AMENDMENT_COLUMNS`]).
pub(super) fn amendment_values(
    org: OrgId,
    request: &AmendmentRequest,
    seq: i64,
    (token_id, author): (TokenId, &str),
    created_at: DateTime<Utc>,
) -> Vec<Value> {
    let (kind, target, event_kind, at, location) = super::rows::change_columns(&request.change);
    vec![
        text(org.to_string()),
        text(request.amendment_id.to_string()),
        text(request.employee_id.to_string()),
        Value::Int(Some(seq)),
        text(kind),
        Value::Text(target),
        Value::Text(event_kind.map(str::to_owned)),
        Value::Int(at),
        Value::Text(location.map(str::to_owned)),
        text(request.reason.clone()),
        text(token_id.to_string()),
        text(author),
        Value::Int(Some(micros(created_at))),
    ]
}

/// Starts an organisation's chain (inside its creation).
pub(super) async fn start(conn: &mut AnyConnection, org: OrgId) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO record_chain_heads (organisation_id, seq, hash) VALUES ($1, 0, $2) \
         ON CONFLICT (organisation_id) DO NOTHING",
    )
    .bind(org.to_string())
    .bind(chain::to_hex(&GENESIS))
    .execute(&mut *conn)
    .await
    .map_err(classify)?;
    Ok(())
}

/// Takes the organisation's head for this transaction: on `PostgreSQL` the
/// row lock is held until commit, so concurrent writers append one after
/// another. Returns the head's seq and hash, and which of `probe` (at most
/// [`event_batch::AMENDED_PER_STATEMENT`] employees, PostgreSQL) have any
/// amendment: the same statement asks, a round trip fewer for an event
/// write confirming kept statuses (see `event_batch::amended_among`). The
/// probe runs with the head held: one lookup of a key per employee with
/// new events and a kept status, a batch's worth of `RecordEvent`s at most
/// under a live load.
async fn lock_head(
    conn: &mut AnyConnection,
    org: OrgId,
    probe: &[EmployeeId],
) -> StoreResult<(i64, Option<String>, HashSet<EmployeeId>)> {
    // One statement takes the row lock and reads the head.
    let ids: Vec<String> = probe.iter().map(ToString::to_string).collect();
    let amended_col = if ids.is_empty() {
        String::new()
    } else {
        format!(
            ", (SELECT COALESCE(string_agg(p.employee_id, ','), '') FROM ({}) AS p) AS amended",
            event_batch::amended_sql(ids.len())
        )
    };
    let lock = format!(
        "UPDATE record_chain_heads SET seq = seq WHERE organisation_id = $1 \
         RETURNING seq, hash{amended_col}"
    );
    let query = || {
        let q = sqlx::query(&lock).bind(org.to_string());
        if ids.is_empty() {
            q
        } else {
            bind_ids(q, false, &ids)
        }
    };
    let mut row = query().fetch_optional(&mut *conn).await.map_err(classify)?;
    if row.is_none() {
        start(conn, org).await?;
        row = query().fetch_optional(&mut *conn).await.map_err(classify)?;
    }
    let row = row.ok_or_else(|| StoreError::Corrupt(format!("no chain head for {org}")))?;
    let amended = if ids.is_empty() {
        HashSet::new()
    } else {
        let listed: String = get(&row, "amended")?;
        listed
            .split(',')
            .filter(|id| !id.is_empty())
            .map(|id| {
                id.parse::<EmployeeId>()
                    .map_err(|_| StoreError::Corrupt(format!("amended: '{id}'")))
            })
            .collect::<StoreResult<_>>()?
    };
    Ok((get(&row, "seq")?, get(&row, "hash")?, amended))
}

fn get<T>(row: &AnyRow, name: &str) -> StoreResult<T>
where
    T: for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any>,
{
    row.try_get(name)
        .map_err(|e| StoreError::Corrupt(format!("record_chain {name}: {e}")))
}

fn parse_hash(hex_hash: &str) -> StoreResult<Hash> {
    hex::decode(hex_hash)
        .ok()
        .and_then(|v| Hash::try_from(v).ok())
        .ok_or_else(|| StoreError::Corrupt(format!("record_chain_heads.hash: '{hex_hash}'")))
}

/// The rows a new link covers: every event a transaction stored (one link
/// for them all), or one amendment.
pub(super) enum NewLink {
    /// `(event_id, columns)` in the order they are hashed.
    Events(Vec<(String, Vec<Value>)>),
    Amendment(String, Vec<Value>),
}

/// A link of kind `EVENTS` (`chain::batch_link_bytes`); `EVENT` and
/// `AMENDMENT` are links per row. Its `row_id` (the first of `row_ids`) is
/// for people reading the table: `verify` goes by `row_ids`, whose every
/// row the hash covers.
const EVENTS_KIND: &str = "EVENTS";

/// Appends one link inside the open transaction. Called last in a write,
/// after its other locks, so no two writers wait on each other in opposite
/// orders, and the head is held for two statements and the commit. Returns
/// which of `probe` have any amendment (see [`lock_head`]).
pub(super) async fn append(
    conn: &mut AnyConnection,
    org: OrgId,
    link: NewLink,
    probe: &[EmployeeId],
) -> StoreResult<HashSet<EmployeeId>> {
    if matches!(&link, NewLink::Events(rows) if rows.is_empty()) {
        return Ok(HashSet::new());
    }
    let (seq, head, amended) = lock_head(conn, org, probe).await?;
    let Some(head) = head else {
        return Err(StoreError::Unavailable(
            "the record chain's backfill has not finished; restart the server".into(),
        ));
    };
    let prev = parse_hash(&head)?;
    let seq = seq + 1;
    let (kind, row_id, row_ids, bytes) = match &link {
        NewLink::Events(rows) => {
            let values: Vec<&[Value]> = rows.iter().map(|(_, v)| v.as_slice()).collect();
            let ids: Vec<&str> = rows.iter().map(|(id, _)| id.as_str()).collect();
            (
                EVENTS_KIND,
                ids[0].to_owned(),
                Some(serde_json::to_string(&ids).map_err(|e| StoreError::Corrupt(e.to_string()))?),
                chain::batch_link_bytes(seq, LinkKind::Event, &values),
            )
        }
        NewLink::Amendment(id, values) => (
            LinkKind::Amendment.as_str(),
            id.clone(),
            None,
            chain::link_bytes(seq, LinkKind::Amendment, values),
        ),
    };
    let hash = chain::to_hex(&chain::next(&prev, &bytes));
    let insert = "INSERT INTO record_chain (organisation_id, seq, kind, row_id, row_ids, hash) \
                  VALUES ($1, $2, $3, $4, $5, $6)";
    let bound = |sql| {
        sqlx::query(sql)
            .bind(org.to_string())
            .bind(seq)
            .bind(kind)
            .bind(row_id.clone())
            .bind(row_ids.clone())
            .bind(hash.clone())
    };
    if is_sqlite(conn) {
        bound(insert).execute(&mut *conn).await.map_err(classify)?;
        sqlx::query("UPDATE record_chain_heads SET seq = $1, hash = $2 WHERE organisation_id = $3")
            .bind(seq)
            .bind(hash.clone())
            .bind(org.to_string())
            .execute(&mut *conn)
            .await
            .map_err(classify)?;
        return Ok(amended);
    }
    // On PostgreSQL the link and the head's move are one statement (the
    // insert as a data-modifying `WITH`): a round trip fewer while every
    // other writer of the organisation waits for the head.
    let both = format!(
        "WITH linked AS ({insert} RETURNING 1) \
         UPDATE record_chain_heads SET seq = $2, hash = $6 WHERE organisation_id = $1"
    );
    bound(&both).execute(&mut *conn).await.map_err(classify)?;
    Ok(amended)
}

fn aliased(table: &str, prefix: &str, columns: &[(&str, Ty)]) -> String {
    columns
        .iter()
        .enumerate()
        .map(|(i, (name, _))| format!("{table}.{name} AS {prefix}{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn values(row: &AnyRow, prefix: &str, columns: &[(&str, Ty)]) -> Result<Vec<Value>, String> {
    columns
        .iter()
        .enumerate()
        .map(|(i, (name, ty))| {
            let alias = format!("{prefix}{i}");
            match ty {
                Ty::Text => row
                    .try_get::<Option<String>, _>(alias.as_str())
                    .map(Value::Text),
                Ty::Int => row
                    .try_get::<Option<i64>, _>(alias.as_str())
                    .map(Value::Int),
            }
            .map_err(|e| format!("{name}: {e}"))
        })
        .collect()
}

/// A link's kind as stored: which rows and whether it covers a
/// transaction; `None` for a kind the service does not write.
fn link_kind(text: &str) -> Option<(LinkKind, bool)> {
    if text == EVENTS_KIND {
        return Some((LinkKind::Event, true));
    }
    LinkKind::parse(text).map(|kind| (kind, false))
}

/// Links after `after` in order. A link per row comes with its row as
/// stored; a link per transaction with its rows' ids only, for
/// [`read_covered_rows`] (up to 1,000 rows each: a page of such links
/// read whole could hold a million).
async fn links_page<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org: OrgId,
    after: i64,
) -> StoreResult<Vec<StoredLink>> {
    let sql = format!(
        "SELECT c.seq, c.kind AS link_kind, c.row_id, c.row_ids, c.hash, {}, {} FROM record_chain c \
         LEFT JOIN clock_events e ON c.kind = 'EVENT' AND e.organisation_id = c.organisation_id \
           AND e.event_id = c.row_id \
         LEFT JOIN amendments a ON c.kind = 'AMENDMENT' AND a.organisation_id = c.organisation_id \
           AND a.amendment_id = c.row_id \
         WHERE c.organisation_id = $1 AND c.seq > $2 ORDER BY c.seq LIMIT $3",
        aliased("e", "e", &EVENT_COLUMNS),
        aliased("a", "a", &AMENDMENT_COLUMNS),
    );
    let rows = sqlx::query(&sql)
        .bind(org.to_string())
        .bind(after)
        .bind(PAGE)
        .fetch_all(ex)
        .await
        .map_err(classify)?;
    rows.iter()
        .map(|row| {
            let seq = get(row, "seq")?;
            let hash = get(row, "hash")?;
            let kind_text: String = get(row, "link_kind")?;
            let Some((kind, batch)) = link_kind(&kind_text) else {
                // The walk's break at this link, like a list that does not
                // read: not an error that stops every organisation's walk.
                return Ok(StoredLink {
                    seq,
                    kind: LinkKind::Event,
                    batch: false,
                    hash,
                    rows: Vec::new(),
                    unreadable_list: Some(format!("kind '{kind_text}'")),
                });
            };
            if batch {
                // So is a list that does not read.
                let ids: Option<String> = get(row, "row_ids")?;
                let (ids, unreadable_list) = match ids.as_deref().map(serde_json::from_str) {
                    Some(Ok(ids)) => (ids, None),
                    Some(Err(e)) => (Vec::new(), Some(format!("not a JSON array of ids: {e}"))),
                    None => (Vec::new(), Some("missing".to_owned())),
                };
                return Ok(StoredLink {
                    seq,
                    kind,
                    batch,
                    hash,
                    rows: ids
                        .into_iter()
                        .map(|id: String| CoveredRow { id, row: None })
                        .collect(),
                    unreadable_list,
                });
            }
            let (prefix, columns): (&str, &[(&str, Ty)]) = match kind {
                LinkKind::Event => ("e", &EVENT_COLUMNS),
                LinkKind::Amendment => ("a", &AMENDMENT_COLUMNS),
            };
            // The key column (index 1) is NULL exactly when no row joined.
            let key: Option<String> = row
                .try_get(format!("{prefix}1").as_str())
                .unwrap_or_default();
            Ok(StoredLink {
                seq,
                kind,
                batch,
                hash,
                rows: vec![CoveredRow {
                    id: get(row, "row_id")?,
                    row: key.map(|_| values(row, prefix, columns)),
                }],
                unreadable_list: None,
            })
        })
        .collect()
}

/// Ids read per statement by [`read_covered_rows`]: a few links per
/// transaction's rows at once (`RecordEvent` under little load stores one
/// event a transaction), with a bounded memory for `SyncEvents`' 1,000. The
/// most an id lookup sends ([`rows_for_ids`]).
const COVERED_PER_READ: usize = 500;

/// `page` in runs of links whose rows [`read_covered_rows`] reads at once:
/// up to [`COVERED_PER_READ`] ids, or one link with more (read in several
/// statements).
fn per_read(page: Vec<StoredLink>) -> Vec<Vec<StoredLink>> {
    let mut runs: Vec<Vec<StoredLink>> = Vec::new();
    let mut ids = 0;
    for link in page {
        let n = if link.batch { link.rows.len() } else { 0 };
        match runs.last_mut() {
            Some(run) if ids + n <= COVERED_PER_READ => run.push(link),
            _ => {
                ids = 0;
                runs.push(vec![link]);
            }
        }
        ids += n;
    }
    runs
}

/// Reads the rows that `links` per transaction cover (their ids came with
/// the links), [`COVERED_PER_READ`] ids a statement; a row not found stays
/// `None`.
async fn read_covered_rows(
    conn: &mut AnyConnection,
    org: OrgId,
    links: &mut [StoredLink],
) -> StoreResult<()> {
    let ids: Vec<String> = links
        .iter()
        .filter(|l| l.batch)
        .flat_map(|l| l.rows.iter().map(|r| r.id.clone()))
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let covered = ByIds {
        select: format!(
            "SELECT {} FROM clock_events e WHERE e.organisation_id = $1",
            aliased("e", "e", &EVENT_COLUMNS)
        ),
        column: "e.event_id",
        ..ByIds::default()
    };
    let found = rows_for_ids(conn, org, &ids, COVERED_PER_READ, &covered).await?;
    let mut by_id = std::collections::HashMap::with_capacity(found.len());
    for row in &found {
        let id: String = get(row, "e1")?;
        by_id.insert(id, values(row, "e", &EVENT_COLUMNS));
    }
    for covered in links
        .iter_mut()
        .filter(|l| l.batch)
        .flat_map(|l| l.rows.iter_mut())
    {
        // Cloned, not taken: a row listed by two links is the walk's to
        // find (the second link's hash, or the grouping's count).
        covered.row = by_id.get(&covered.id).cloned();
    }
    Ok(())
}

/// Hashes the links the migration numbered, in order (one organisation,
/// one transaction; a second replica finds the work done).
async fn backfill(conn: &mut AnyConnection, org: OrgId) -> StoreResult<usize> {
    let (head_seq, head, _) = lock_head(conn, org, &[]).await?;
    if head.is_some() {
        return Ok(0);
    }
    let mut prev = GENESIS;
    let mut last = 0;
    loop {
        let page = links_page(&mut *conn, org, last).await?;
        if page.is_empty() {
            break;
        }
        for link in page {
            if link.seq != last + 1 {
                return Err(StoreError::Corrupt(format!(
                    "record_chain: link {} follows {last}",
                    link.seq
                )));
            }
            // The migration numbered one link per row; links per
            // transaction came later, always hashed.
            if let Some(reason) = &link.unreadable_list {
                return Err(StoreError::Corrupt(format!(
                    "record_chain: link {}: {reason}",
                    link.seq
                )));
            }
            let (false, [covered]) = (link.batch, link.rows.as_slice()) else {
                return Err(StoreError::Corrupt(format!(
                    "record_chain: link {} waits for its hash but covers {} rows",
                    link.seq,
                    link.rows.len()
                )));
            };
            let row = match &covered.row {
                Some(Ok(row)) => row,
                Some(Err(e)) => return Err(StoreError::Corrupt(format!("record_chain: {e}"))),
                None => {
                    return Err(StoreError::Corrupt(format!(
                        "record_chain: the row of link {} ({}) is missing",
                        link.seq, covered.id
                    )));
                }
            };
            prev = chain::next(&prev, &chain::link_bytes(link.seq, link.kind, row));
            sqlx::query(
                "UPDATE record_chain SET hash = $3 WHERE organisation_id = $1 AND seq = $2",
            )
            .bind(org.to_string())
            .bind(link.seq)
            .bind(chain::to_hex(&prev))
            .execute(&mut *conn)
            .await
            .map_err(classify)?;
            last = link.seq;
        }
    }
    if last != head_seq {
        return Err(StoreError::Corrupt(format!(
            "record_chain_heads: head {head_seq}, but {last} links were numbered"
        )));
    }
    sqlx::query("UPDATE record_chain_heads SET hash = $2 WHERE organisation_id = $1")
        .bind(org.to_string())
        .bind(chain::to_hex(&prev))
        .execute(&mut *conn)
        .await
        .map_err(classify)?;
    Ok(usize::try_from(last).unwrap_or(usize::MAX))
}

/// `kind`'s table, its id column and the column of its arrival order.
fn rows_table(kind: LinkKind) -> (&'static str, &'static str, &'static str) {
    match kind {
        LinkKind::Event => ("clock_events", "event_id", "received_at"),
        LinkKind::Amendment => ("amendments", "amendment_id", "created_at"),
    }
}

/// The first row of `kind`'s table that no link covers or that more than
/// one link covers, the first kind of break first, then in arrival order:
/// `$1` the organisation, `$2` the link kind. Columns `row_id` and
/// `unlinked` (1 for a row without a link, 0 for one in several).
///
/// `record_chain` has no index by row id (migration 0036: it cost a random
/// index page per event written), so rows and links are grouped together
/// by id, once: hashed or sorted, whatever the statistics, with no join to
/// plan. A correlated `NOT EXISTS`, or an anti-join PostgreSQL plans as a
/// nested loop (as it does before a table is analysed), scans the links
/// once per row: 77 s for 20,000 events. One statement sees one state of
/// the database, so rows written while `verify` runs cannot hide a row in
/// two links from a count taken apart from the links. Events are also
/// covered by links per transaction: their `row_ids` are unpacked beside
/// the links per row (a function over each link, still no join).
pub(super) fn not_linked_once_sql(kind: LinkKind, sqlite: bool) -> String {
    let (table, id, at) = rows_table(kind);
    let per_transaction = match (kind, sqlite) {
        (LinkKind::Amendment, _) => String::new(),
        (LinkKind::Event, true) => format!(
            " UNION ALL SELECT j.value, NULL, 0 FROM record_chain c, json_each(c.row_ids) AS j \
             WHERE c.organisation_id = $1 AND c.kind = '{EVENTS_KIND}'"
        ),
        (LinkKind::Event, false) => format!(
            " UNION ALL SELECT json_array_elements_text(CAST(row_ids AS json)), NULL, 0 \
             FROM record_chain WHERE organisation_id = $1 AND kind = '{EVENTS_KIND}'"
        ),
    };
    format!(
        "SELECT row_id, CAST(MIN(is_row) AS BIGINT) AS unlinked FROM \
         (SELECT {id} AS row_id, {at} AS at, 1 AS is_row FROM {table} WHERE organisation_id = $1 \
          UNION ALL SELECT row_id, NULL, 0 FROM record_chain WHERE organisation_id = $1 AND kind = $2\
          {per_transaction}) \
         AS rows_and_links GROUP BY row_id \
         HAVING MIN(is_row) = 1 OR COUNT(*) - SUM(is_row) > 1 \
         ORDER BY MIN(is_row) DESC, MAX(at), row_id LIMIT 1"
    )
}

/// The first row of `kind`'s table that no link covers, or else the first
/// that several links cover ([`not_linked_once_sql`]), if any.
async fn first_not_linked_once(
    store: &SqlStore,
    org: OrgId,
    kind: LinkKind,
) -> StoreResult<Option<Break>> {
    let mut conn = store.read_conn().await?;
    let sql = not_linked_once_sql(kind, is_sqlite(&conn));
    let row = sqlx::query(&sql)
        .bind(org.to_string())
        .bind(kind.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(classify)?;
    row.map(|r| {
        let row_id = get(&r, "row_id")?;
        Ok(if get::<i64>(&r, "unlinked")? == 1 {
            Break::Unchained { kind, row_id }
        } else {
            Break::LinkedTwice { kind, row_id }
        })
    })
    .transpose()
}

impl SqlStore {
    /// Computes the hashes of the rows a migration numbered; a no-op (one
    /// read) once done.
    pub(super) async fn finish_chain_backfill(&self) -> StoreResult<()> {
        let pending: Vec<(String,)> =
            sqlx::query_as("SELECT organisation_id FROM record_chain_heads WHERE hash IS NULL")
                .fetch_all(&mut *self.read_conn().await?)
                .await
                .map_err(classify)?;
        for (org,) in pending {
            let org = OrgId(
                org.parse()
                    .map_err(|_| StoreError::Corrupt(format!("record_chain_heads: '{org}'")))?,
            );
            let n = self
                .write(move |conn| Box::pin(backfill(conn, org)))
                .await?;
            tracing::info!(organisation_id = %org, links = n, "chained the rows stored before the record chain");
        }
        Ok(())
    }

    /// Walks every organisation's chain and reports what it checked and the
    /// first broken link, if any.
    ///
    /// # Errors
    /// When the database cannot be read.
    pub async fn verify_chains(&self) -> StoreResult<Vec<Report>> {
        let orgs: Vec<(String,)> = sqlx::query_as("SELECT id FROM organisations ORDER BY id")
            .fetch_all(&mut *self.read_conn().await?)
            .await
            .map_err(classify)?;
        let mut reports = Vec::with_capacity(orgs.len());
        for (id,) in orgs {
            let org = OrgId(
                id.parse()
                    .map_err(|_| StoreError::Corrupt(format!("organisations.id: '{id}'")))?,
            );
            reports.push(self.verify_chain(org).await?);
        }
        Ok(reports)
    }

    async fn verify_chain(&self, org: OrgId) -> StoreResult<Report> {
        let mut walk = Walk::default();
        let mut broken = None;
        let mut last = 0;
        'pages: loop {
            let page = links_page(&mut *self.read_conn().await?, org, last).await?;
            if page.is_empty() {
                break;
            }
            let mut conn = self.read_conn().await?;
            for mut links in per_read(page) {
                read_covered_rows(&mut conn, org, &mut links).await?;
                for link in &links {
                    if let Err(b) = walk.step(link) {
                        broken = Some(b);
                        break 'pages;
                    }
                    last = link.seq;
                }
            }
        }
        if broken.is_none() {
            let head =
                sqlx::query("SELECT seq, hash FROM record_chain_heads WHERE organisation_id = $1")
                    .bind(org.to_string())
                    .fetch_optional(&mut *self.read_conn().await?)
                    .await
                    .map_err(classify)?;
            let (seq, hash): (i64, Option<String>) = match &head {
                Some(r) => (get(r, "seq")?, get(r, "hash")?),
                None => (0, Some(chain::to_hex(&GENESIS))),
            };
            broken = match hash {
                Some(hash) => walk.finish(seq, &hash).err(),
                None => Some(Break::Unhashed { seq }),
            };
        }
        for kind in [LinkKind::Event, LinkKind::Amendment] {
            if broken.is_none() {
                broken = first_not_linked_once(self, org, kind).await?;
            }
        }
        Ok(Report {
            org,
            links: walk.links(),
            events: walk.events,
            amendments: walk.amendments,
            head: chain::to_hex(&walk.head()),
            broken,
        })
    }
}
