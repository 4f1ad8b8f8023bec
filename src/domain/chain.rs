//! Tamper evidence for the record: every stored clock event and amendment is
//! covered by a link in its organisation's hash chain, in the order the
//! links were taken (`seq` 1, 2, …). A link's hash is
//! `SHA-256(previous hash ‖ link bytes)`, the first link's previous hash is
//! all zeros, and the link bytes encode the link's place and every column of
//! the rows it covers. Changing, removing or slipping in a row breaks the
//! chain from there on, so [`Walk`] finds the first broken link.
//!
//! Two encodings: a link per row ([`link_bytes`]: amendments, and events
//! stored by a binary from before issue 15's twenty-fourth round), and a
//! link per transaction that stores events ([`batch_link_bytes`]),
//! covering all of them. The chain's head is the one lock every writer of
//! an organisation takes, held until its commit; writing a link per event
//! while holding it (a `SyncEvents` batch: 1,000 rows) made the lock's
//! hold, and the chain's share of the write-ahead log, grow with the batch.
//!
//! Pure: storage writes the links and reads them back; this module encodes,
//! hashes and checks.

use std::fmt;

use sha2::{Digest as _, Sha256};

use super::ids::OrgId;

/// A link's hash.
pub type Hash = [u8; 32];

/// The previous hash of an organisation's first link.
pub const GENESIS: Hash = [0; 32];

/// What kind of row a link covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkKind {
    Event,
    Amendment,
}

impl LinkKind {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Event => "EVENT",
            Self::Amendment => "AMENDMENT",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "EVENT" => Some(Self::Event),
            "AMENDMENT" => Some(Self::Amendment),
            _ => None,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Self::Event => "event",
            Self::Amendment => "amendment",
        }
    }
}

/// One column of a row, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Text(Option<String>),
    Int(Option<i64>),
}

/// The bytes a link hashes: its `seq`, its kind and each column in order.
/// Every value is tagged and texts are length-prefixed, so no two different
/// rows encode alike.
#[must_use]
pub fn link_bytes(seq: i64, kind: LinkKind, row: &[Value]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + 32 * row.len());
    out.extend_from_slice(b"tidsvakt-chain-v1");
    out.extend_from_slice(&seq.to_be_bytes());
    put_text(&mut out, kind.as_str());
    put_values(&mut out, row);
    out
}

/// The bytes a link covering several rows of one kind hashes, in the order
/// given: its `seq`, its kind, the number of rows, then each row's number
/// of columns and columns encoded as in [`link_bytes`]. Its own prefix, so
/// no such link encodes like a link per row. The link's list of ids is not
/// hashed apart: each row's columns include its id, so a list changed in
/// any way names other rows, or the same in another order, and the hash
/// differs.
#[must_use]
pub fn batch_link_bytes(seq: i64, kind: LinkKind, rows: &[&[Value]]) -> Vec<u8> {
    let columns: usize = rows.iter().map(|r| r.len()).sum();
    let mut out = Vec::with_capacity(64 + 16 * rows.len() + 32 * columns);
    out.extend_from_slice(b"tidsvakt-chain-v2");
    out.extend_from_slice(&seq.to_be_bytes());
    put_text(&mut out, kind.as_str());
    out.extend_from_slice(&(rows.len() as u64).to_be_bytes());
    for row in rows {
        out.extend_from_slice(&(row.len() as u64).to_be_bytes());
        put_values(&mut out, row);
    }
    out
}

fn put_values(out: &mut Vec<u8>, row: &[Value]) {
    for v in row {
        match v {
            Value::Text(None) | Value::Int(None) => out.push(0),
            Value::Text(Some(t)) => {
                out.push(1);
                put_text(out, t);
            }
            Value::Int(Some(i)) => {
                out.push(2);
                out.extend_from_slice(&i.to_be_bytes());
            }
        }
    }
}

fn put_text(out: &mut Vec<u8>, t: &str) {
    out.extend_from_slice(&(t.len() as u64).to_be_bytes());
    out.extend_from_slice(t.as_bytes());
}

/// The hash of the link after `prev` whose bytes are `bytes`.
#[must_use]
pub fn next(prev: &Hash, bytes: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(bytes);
    h.finalize().into()
}

#[must_use]
pub fn to_hex(h: &Hash) -> String {
    hex::encode(h)
}

/// A stored link with the rows it covers, as read back.
#[derive(Clone, Debug)]
pub struct StoredLink {
    pub seq: i64,
    pub kind: LinkKind,
    /// Hashed as [`batch_link_bytes`] (a link per transaction), else as
    /// [`link_bytes`] (a link per row: exactly one covered row).
    pub batch: bool,
    /// Hex; `None` only while the rows numbered by the migration wait for
    /// their hashes (the first start after it computes them).
    pub hash: Option<String>,
    /// The rows it covers, in the order they were hashed.
    pub rows: Vec<CoveredRow>,
    /// Why the link could not be read as one the service writes: a kind
    /// it does not write, a link per transaction's list of rows
    /// (`row_ids`) missing or not a JSON array of texts.
    pub unreadable_list: Option<String>,
}

/// One row a link covers, as read back.
#[derive(Clone, Debug)]
pub struct CoveredRow {
    pub id: String,
    /// The row's columns; `None` when the row is gone, `Err` when a column
    /// no longer reads as its type.
    pub row: Option<Result<Vec<Value>, String>>,
}

/// The first thing found wrong in a chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Break {
    /// The link with this number is missing: links were removed.
    Gap { expected: i64, found: i64 },
    /// The row of a link is gone.
    Missing {
        seq: i64,
        kind: LinkKind,
        row_id: String,
    },
    /// The row (or the link's stored hash) differs from what was hashed.
    Changed {
        seq: i64,
        kind: LinkKind,
        row_id: String,
    },
    /// One of a transaction's rows (or the link's stored hash or its list
    /// of rows) differs from what was hashed: the hash cannot say which.
    BatchChanged {
        seq: i64,
        kind: LinkKind,
        first_row_id: String,
        rows: usize,
    },
    /// The link is not as the service writes one: a kind it does not
    /// write, or a link per transaction whose list of rows cannot be read,
    /// is empty or names a row twice.
    NotAsWritten { seq: i64, reason: String },
    /// A column of the row no longer reads as its type.
    Unreadable {
        seq: i64,
        kind: LinkKind,
        row_id: String,
        reason: String,
    },
    /// A link without a hash (the backfill did not finish).
    Unhashed { seq: i64 },
    /// The chain's head names another last link: links after it were removed
    /// or the head was rewritten.
    Head {
        head_seq: i64,
        head_hash: String,
        last_seq: i64,
    },
    /// A row no link covers: written around the service.
    Unchained { kind: LinkKind, row_id: String },
    /// A row two links cover: the service links a row once, in the
    /// transaction that writes it, so the other was added around it (the
    /// hashes alone cannot tell: they have no key).
    LinkedTwice { kind: LinkKind, row_id: String },
}

impl fmt::Display for Break {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Gap { expected, found } => write!(
                f,
                "link {expected} is missing (the next stored link is {found}): links were removed"
            ),
            Self::Missing { seq, kind, row_id } => write!(
                f,
                "link {seq}: {} {row_id} is missing: the row was deleted",
                kind.noun()
            ),
            Self::Changed { seq, kind, row_id } => write!(
                f,
                "link {seq}: {} {row_id} does not match its hash: the row was changed after it was written",
                kind.noun()
            ),
            Self::BatchChanged {
                seq,
                kind,
                first_row_id,
                rows,
            } => write!(
                f,
                "link {seq} ({rows} {}s from {first_row_id}) does not match its hash: one of them was changed after it was written, or the link's list of rows was",
                kind.noun()
            ),
            Self::Unreadable {
                seq,
                kind,
                row_id,
                reason,
            } => write!(
                f,
                "link {seq}: {} {row_id} cannot be read back ({reason}): the row was changed after it was written",
                kind.noun()
            ),
            Self::Unhashed { seq } => write!(f, "link {seq} has no hash"),
            Self::NotAsWritten { seq, reason } => write!(
                f,
                "link {seq} is not as the service writes one ({reason}): the link was changed"
            ),
            Self::Head {
                head_seq,
                head_hash,
                last_seq,
            } => write!(
                f,
                "the chain head names link {head_seq} ({head_hash}) but the last intact link is {last_seq}: links were removed or the head rewritten"
            ),
            Self::Unchained { kind, row_id } => write!(
                f,
                "{} {row_id} is in no link: it was written around the service",
                kind.noun()
            ),
            Self::LinkedTwice { kind, row_id } => write!(
                f,
                "{} {row_id} is in more than one link: a link was added around the service",
                kind.noun()
            ),
        }
    }
}

/// What is wrong with a link's list of rows, if anything: a link per
/// transaction lists one row or more, each once; a link per row has one.
fn list_problem(link: &StoredLink) -> Option<String> {
    if let Some(reason) = &link.unreadable_list {
        return Some(reason.clone());
    }
    if !link.batch {
        return (link.rows.len() != 1).then(|| format!("{} rows", link.rows.len()));
    }
    if link.rows.is_empty() {
        return Some("no rows".into());
    }
    let mut seen = std::collections::HashSet::with_capacity(link.rows.len());
    link.rows
        .iter()
        .find(|r| !seen.insert(r.id.as_str()))
        .map(|r| format!("{} {} listed twice", link.kind.noun(), r.id))
}

fn first_id(link: &StoredLink) -> String {
    link.rows.first().map(|r| r.id.clone()).unwrap_or_default()
}

/// Walks one organisation's links in order, link by link.
#[derive(Clone, Debug)]
pub struct Walk {
    prev: Hash,
    next_seq: i64,
    pub events: u64,
    pub amendments: u64,
}

impl Default for Walk {
    fn default() -> Self {
        Self {
            prev: GENESIS,
            next_seq: 1,
            events: 0,
            amendments: 0,
        }
    }
}

impl Walk {
    /// Checks the next link.
    ///
    /// # Errors
    /// The break this link shows.
    pub fn step(&mut self, link: &StoredLink) -> Result<(), Break> {
        if link.seq != self.next_seq {
            return Err(Break::Gap {
                expected: self.next_seq,
                found: link.seq,
            });
        }
        let Some(stored) = &link.hash else {
            return Err(Break::Unhashed { seq: link.seq });
        };
        let (seq, kind) = (link.seq, link.kind);
        if let Some(reason) = list_problem(link) {
            return Err(Break::NotAsWritten { seq, reason });
        }
        let mut rows = Vec::with_capacity(link.rows.len());
        for covered in &link.rows {
            let row_id = covered.id.clone();
            match &covered.row {
                None => return Err(Break::Missing { seq, kind, row_id }),
                Some(Err(reason)) => {
                    return Err(Break::Unreadable {
                        seq,
                        kind,
                        row_id,
                        reason: reason.clone(),
                    });
                }
                Some(Ok(row)) => rows.push(row.as_slice()),
            }
        }
        let bytes = match (link.batch, rows.as_slice()) {
            (false, [row]) => link_bytes(seq, kind, row),
            // A link per row has one row (`list_problem`).
            _ => batch_link_bytes(seq, kind, &rows),
        };
        let hash = next(&self.prev, &bytes);
        if to_hex(&hash) != *stored {
            // Of one row, the row is known.
            return Err(if link.batch && rows.len() > 1 {
                Break::BatchChanged {
                    seq,
                    kind,
                    first_row_id: first_id(link),
                    rows: rows.len(),
                }
            } else {
                Break::Changed {
                    seq,
                    kind,
                    row_id: first_id(link),
                }
            });
        }
        self.prev = hash;
        self.next_seq += 1;
        let covered = rows.len() as u64;
        match kind {
            LinkKind::Event => self.events += covered,
            LinkKind::Amendment => self.amendments += covered,
        }
        Ok(())
    }

    /// The number of links checked.
    #[must_use]
    pub fn links(&self) -> i64 {
        self.next_seq - 1
    }

    /// The hash of the last link checked.
    #[must_use]
    pub fn head(&self) -> Hash {
        self.prev
    }

    /// Checks the chain's head (`seq`, hex hash) against the walk's end.
    ///
    /// # Errors
    /// [`Break::Head`] when they differ.
    pub fn finish(&self, head_seq: i64, head_hash: &str) -> Result<(), Break> {
        if head_seq == self.links() && head_hash == to_hex(&self.prev) {
            Ok(())
        } else {
            Err(Break::Head {
                head_seq,
                head_hash: head_hash.to_owned(),
                last_seq: self.links(),
            })
        }
    }
}

/// What `tidsvakt verify` found for one organisation.
#[derive(Clone, Debug)]
pub struct Report {
    pub org: OrgId,
    pub links: i64,
    pub events: u64,
    pub amendments: u64,
    /// The last intact link's hash: write it down elsewhere, and a later
    /// verify shows whether the chain up to it was rewritten.
    pub head: String,
    pub broken: Option<Break>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "organisation {}: checked {} links ({} events, {} amendments); head {}: ",
            self.org, self.links, self.events, self.amendments, self.head
        )?;
        match &self.broken {
            None => f.write_str("intact"),
            Some(b) => write!(f, "BROKEN at {b}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event_row(at: i64) -> Vec<Value> {
        vec![
            Value::Text(Some("e1".into())),
            Value::Int(Some(at)),
            Value::Text(None),
        ]
    }

    fn chain(rows: &[Vec<Value>]) -> Vec<StoredLink> {
        let mut prev = GENESIS;
        rows.iter()
            .enumerate()
            .map(|(i, row)| {
                let seq = i64::try_from(i).unwrap() + 1;
                prev = next(&prev, &link_bytes(seq, LinkKind::Event, row));
                StoredLink {
                    seq,
                    kind: LinkKind::Event,
                    batch: false,
                    hash: Some(to_hex(&prev)),
                    rows: vec![CoveredRow {
                        id: format!("e{seq}"),
                        row: Some(Ok(row.clone())),
                    }],
                    unreadable_list: None,
                }
            })
            .collect()
    }

    fn walk(links: &[StoredLink]) -> Result<Walk, Break> {
        let mut w = Walk::default();
        for l in links {
            w.step(l)?;
        }
        Ok(w)
    }

    #[test]
    fn an_intact_chain_walks_to_its_head() {
        let links = chain(&[event_row(1), event_row(2)]);
        let w = walk(&links).unwrap();
        assert_eq!(w.links(), 2);
        assert_eq!(w.events, 2);
        let head = links[1].hash.clone().unwrap();
        assert_eq!(w.finish(2, &head), Ok(()));
    }

    #[test]
    fn a_changed_row_breaks_its_own_link() {
        let mut links = chain(&[event_row(1), event_row(2), event_row(3)]);
        links[1].rows[0].row = Some(Ok(event_row(99)));
        assert_eq!(
            walk(&links).unwrap_err(),
            Break::Changed {
                seq: 2,
                kind: LinkKind::Event,
                row_id: "e2".into()
            }
        );
    }

    #[test]
    fn a_removed_link_is_a_gap_and_a_removed_row_is_missing() {
        let mut links = chain(&[event_row(1), event_row(2), event_row(3)]);
        let mut without = links.clone();
        without.remove(1);
        assert_eq!(
            walk(&without).unwrap_err(),
            Break::Gap {
                expected: 2,
                found: 3
            }
        );
        links[2].rows[0].row = None;
        assert_eq!(
            walk(&links).unwrap_err(),
            Break::Missing {
                seq: 3,
                kind: LinkKind::Event,
                row_id: "e3".into()
            }
        );
    }

    #[test]
    fn links_removed_at_the_end_show_at_the_head() {
        let links = chain(&[event_row(1), event_row(2)]);
        let w = walk(&links[..1]).unwrap();
        let head = links[1].hash.clone().unwrap();
        assert!(matches!(
            w.finish(2, &head),
            Err(Break::Head { last_seq: 1, .. })
        ));
    }

    #[test]
    fn a_link_per_transaction_follows_links_per_row_and_counts_its_rows() {
        let links = built(&[
            (false, vec![event_row(1)]),
            (false, vec![event_row(2)]),
            (true, vec![event_row(3), event_row(4), event_row(5)]),
        ]);
        let w = walk(&links).unwrap();
        assert_eq!((w.links(), w.events), (3, 5));
        assert_eq!(w.finish(3, links[2].hash.as_deref().unwrap()), Ok(()));
    }

    #[test]
    fn a_changed_dropped_or_reordered_row_of_a_transaction_breaks_its_link() {
        let links = built(&[
            (false, vec![event_row(1)]),
            (true, vec![event_row(2), event_row(3), event_row(4)]),
        ]);
        let changed_break = Break::BatchChanged {
            seq: 2,
            kind: LinkKind::Event,
            first_row_id: "r2-0".into(),
            rows: 3,
        };
        let mut changed = links.clone();
        changed[1].rows[2].row = Some(Ok(event_row(99)));
        assert_eq!(walk(&changed).unwrap_err(), changed_break);
        let mut swapped = links.clone();
        swapped[1].rows.swap(1, 2);
        assert_eq!(walk(&swapped).unwrap_err(), changed_break);
        let mut shorter = links.clone();
        shorter[1].rows.pop();
        assert_eq!(
            walk(&shorter).unwrap_err(),
            Break::BatchChanged {
                seq: 2,
                kind: LinkKind::Event,
                first_row_id: "r2-0".into(),
                rows: 2,
            }
        );
        let mut gone = links.clone();
        gone[1].rows[1].row = None;
        assert_eq!(
            walk(&gone).unwrap_err(),
            Break::Missing {
                seq: 2,
                kind: LinkKind::Event,
                row_id: "r2-1".into()
            }
        );
    }

    #[test]
    fn a_list_unreadable_empty_or_naming_a_row_twice_is_a_changed_link() {
        let links = built(&[
            (false, vec![event_row(1)]),
            (true, vec![event_row(2), event_row(3)]),
        ]);
        let reason = |links: &[StoredLink]| match walk(links).unwrap_err() {
            Break::NotAsWritten { seq: 2, reason } => reason,
            other => panic!("{other:?}"),
        };
        let mut unreadable = links.clone();
        unreadable[1].unreadable_list = Some("not a JSON array".into());
        assert_eq!(reason(&unreadable), "not a JSON array");
        let mut empty = links.clone();
        empty[1].rows.clear();
        assert_eq!(reason(&empty), "no rows");
        let mut twice = links.clone();
        let again = twice[1].rows[0].clone();
        twice[1].rows.push(again);
        assert_eq!(reason(&twice), "event r2-0 listed twice");
        // A link per row with two rows is not as written either.
        let mut per_row = links.clone();
        let second = per_row[0].rows[0].clone();
        per_row[0].rows.push(second);
        assert!(matches!(
            walk(&per_row).unwrap_err(),
            Break::NotAsWritten { seq: 1, .. }
        ));
    }

    #[test]
    fn one_row_hashes_differently_per_row_and_per_transaction() {
        let row = event_row(1);
        assert_ne!(
            link_bytes(1, LinkKind::Event, &row),
            batch_link_bytes(1, LinkKind::Event, &[row.as_slice()])
        );
        // Rows' boundaries are encoded: two rows are not one longer row.
        let (a, b) = (event_row(1), event_row(2));
        let joined: Vec<Value> = a.iter().chain(&b).cloned().collect();
        assert_ne!(
            batch_link_bytes(1, LinkKind::Event, &[a.as_slice(), b.as_slice()]),
            batch_link_bytes(1, LinkKind::Event, &[joined.as_slice()])
        );
    }

    /// Links built as the service writes them: `(batch, rows)` each, a
    /// link per row holding exactly one row.
    fn built(shape: &[(bool, Vec<Vec<Value>>)]) -> Vec<StoredLink> {
        let mut prev = GENESIS;
        shape
            .iter()
            .enumerate()
            .map(|(i, (batch, rows))| {
                let seq = i64::try_from(i).unwrap() + 1;
                let refs: Vec<&[Value]> = rows.iter().map(Vec::as_slice).collect();
                let bytes = if *batch {
                    batch_link_bytes(seq, LinkKind::Event, &refs)
                } else {
                    link_bytes(seq, LinkKind::Event, refs[0])
                };
                prev = next(&prev, &bytes);
                StoredLink {
                    seq,
                    kind: LinkKind::Event,
                    batch: *batch,
                    hash: Some(to_hex(&prev)),
                    rows: rows
                        .iter()
                        .enumerate()
                        .map(|(j, row)| CoveredRow {
                            id: format!("r{seq}-{j}"),
                            row: Some(Ok(row.clone())),
                        })
                        .collect(),
                    unreadable_list: None,
                }
            })
            .collect()
    }

    fn seq_of(b: &Break) -> Option<i64> {
        match b {
            Break::Missing { seq, .. }
            | Break::Changed { seq, .. }
            | Break::BatchChanged { seq, .. }
            | Break::Unreadable { seq, .. }
            | Break::Unhashed { seq }
            | Break::NotAsWritten { seq, .. } => Some(*seq),
            _ => None,
        }
    }

    fn arb_row() -> impl proptest::strategy::Strategy<Value = Vec<Value>> {
        use proptest::prelude::*;
        (any::<i64>(), proptest::option::of("[a-c]{0,3}")).prop_map(|(n, t)| {
            vec![
                Value::Text(Some("e".into())),
                Value::Int(Some(n)),
                Value::Text(t),
            ]
        })
    }

    fn arb_shape() -> impl proptest::strategy::Strategy<Value = Vec<(bool, Vec<Vec<Value>>)>> {
        use proptest::prelude::*;
        proptest::collection::vec(
            prop_oneof![
                arb_row().prop_map(|r| (false, vec![r])),
                proptest::collection::vec(arb_row(), 1..5).prop_map(|rs| (true, rs)),
            ],
            1..6,
        )
    }

    proptest::proptest! {
        /// Whatever mix of links per row and per transaction: the chain as
        /// written walks to its head counting every row, and any one row
        /// changed, dropped from its link or moved within it breaks the
        /// walk at exactly that link.
        #[test]
        fn any_row_changed_dropped_or_moved_breaks_its_own_link(
            shape in arb_shape(),
            pick in (0usize..64, 0usize..64, 0usize..3),
            bump in 1i64..1000,
        ) {
            let links = built(&shape);
            let rows: usize = shape.iter().map(|(_, r)| r.len()).sum();
            let w = walk(&links).unwrap();
            proptest::prop_assert_eq!(w.events, rows as u64);
            let last = links.last().unwrap();
            proptest::prop_assert_eq!(w.finish(last.seq, last.hash.as_deref().unwrap()), Ok(()));

            let i = pick.0 % links.len();
            let mut broken = links.clone();
            let link = &mut broken[i];
            let j = pick.1 % link.rows.len();
            let changed = match pick.2 {
                0 => {
                    let Some(Ok(row)) = &mut link.rows[j].row else { unreachable!() };
                    let Value::Int(Some(n)) = &mut row[1] else { unreachable!() };
                    *n = n.wrapping_add(bump);
                    true
                }
                1 => {
                    link.rows.remove(j);
                    true
                }
                _ => {
                    // Moved to the front: a change only if it was not first
                    // and differs from the row it passes.
                    let moved = link.rows.remove(j);
                    let differs = j > 0 && moved.row != link.rows[0].row;
                    link.rows.insert(0, moved);
                    differs
                }
            };
            let result = walk(&broken);
            if changed {
                let b = result.unwrap_err();
                proptest::prop_assert_eq!(seq_of(&b), Some(i64::try_from(i).unwrap() + 1), "{:?}", b);
            } else {
                proptest::prop_assert!(result.is_ok(), "{:?}", result);
            }
        }
    }

    #[test]
    fn null_and_empty_text_encode_differently() {
        let a = link_bytes(1, LinkKind::Event, &[Value::Text(None)]);
        let b = link_bytes(1, LinkKind::Event, &[Value::Text(Some(String::new()))]);
        let c = link_bytes(
            1,
            LinkKind::Event,
            &[
                Value::Text(Some("ab".into())),
                Value::Text(Some("c".into())),
            ],
        );
        let d = link_bytes(
            1,
            LinkKind::Event,
            &[
                Value::Text(Some("a".into())),
                Value::Text(Some("bc".into())),
            ],
        );
        assert_ne!(a, b);
        assert_ne!(c, d);
    }
}
