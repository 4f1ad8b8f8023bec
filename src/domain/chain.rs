//! Tamper evidence for the record: every stored clock event and amendment is
//! a link in its organisation's hash chain, in the order the links were
//! taken (`seq` 1, 2, …). A link's hash is
//! `SHA-256(previous hash ‖ link bytes)`, the first link's previous hash is
//! all zeros, and the link bytes encode the link's place and every column of
//! its row (see [`link_bytes`]). Changing, removing or slipping in a row
//! breaks the chain from there on, so [`Walk`] finds the first broken link.
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
    for v in row {
        match v {
            Value::Text(None) | Value::Int(None) => out.push(0),
            Value::Text(Some(t)) => {
                out.push(1);
                put_text(&mut out, t);
            }
            Value::Int(Some(i)) => {
                out.push(2);
                out.extend_from_slice(&i.to_be_bytes());
            }
        }
    }
    out
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

/// A stored link with the row it covers, as read back.
#[derive(Clone, Debug)]
pub struct StoredLink {
    pub seq: i64,
    pub kind: LinkKind,
    pub row_id: String,
    /// Hex; `None` only while the rows numbered by the migration wait for
    /// their hashes (the first start after it computes them).
    pub hash: Option<String>,
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
        let (seq, kind, row_id) = (link.seq, link.kind, link.row_id.clone());
        let row = match &link.row {
            None => return Err(Break::Missing { seq, kind, row_id }),
            Some(Err(reason)) => {
                return Err(Break::Unreadable {
                    seq,
                    kind,
                    row_id,
                    reason: reason.clone(),
                });
            }
            Some(Ok(row)) => row,
        };
        let hash = next(&self.prev, &link_bytes(seq, kind, row));
        if to_hex(&hash) != *stored {
            return Err(Break::Changed { seq, kind, row_id });
        }
        self.prev = hash;
        self.next_seq += 1;
        match kind {
            LinkKind::Event => self.events += 1,
            LinkKind::Amendment => self.amendments += 1,
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
                    row_id: format!("e{seq}"),
                    hash: Some(to_hex(&prev)),
                    row: Some(Ok(row.clone())),
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
        links[1].row = Some(Ok(event_row(99)));
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
        links[2].row = None;
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
