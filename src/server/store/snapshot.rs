use std::collections::VecDeque;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};

use super::row::Row;
use super::schema::{self, GET, HISTORY, prefix_end};
use super::{EventType, StoreError, Stored};

/// One read transaction. In WAL mode it sees exactly the commits that finished before its
/// first statement, so every query through it agrees on one revision.
pub(super) struct Snapshot<'c> {
    tx: Transaction<'c>,
}

impl<'c> Snapshot<'c> {
    pub(super) fn begin(conn: &'c mut Connection) -> Result<Self, StoreError> {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        Ok(Self { tx })
    }

    /// The newest revision visible in this snapshot. Call it first: it pins the snapshot.
    pub(super) fn revision(&self) -> Result<i64, StoreError> {
        schema::read_revision(&self.tx)
    }

    pub(super) fn compacted(&self) -> Result<i64, StoreError> {
        schema::read_compacted(&self.tx)
    }

    /// Live objects under `prefix` as of `revision`, in key order, after `after`; at most
    /// `limit` (0 = all). The flag says whether more remain.
    pub(super) fn list(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
        revision: i64,
    ) -> Result<(Vec<Stored>, bool), StoreError> {
        let (lower, first_page) = match after {
            Some(after) if after >= prefix => (after, false),
            _ => (prefix, true),
        };
        let end = prefix_end(prefix);
        // One row beyond the page tells whether there is more; -1 is SQLite's "no limit".
        let fetch = if limit == 0 {
            -1
        } else {
            i64::try_from(limit).map_or(i64::MAX, |limit| limit.saturating_add(1))
        };
        let mut stmt = self.tx.prepare_cached(&schema::list_sql(first_page))?;
        let rows = stmt.query_map(
            rusqlite::params![lower, upper_bound(end.as_deref()), revision, fetch],
            |row| {
                Ok(Row {
                    key: row.get(0)?,
                    revision: row.get(1)?,
                    kind: EventType::Modified,
                    bytes: row.get(2)?,
                })
            },
        )?;
        let mut items = Vec::new();
        for row in rows {
            if limit != 0 && items.len() == limit {
                return Ok((items, true));
            }
            items.push(row?.into_stored()?);
        }
        Ok((items, false))
    }

    /// Every change under `prefix` with a revision above `after`, oldest first.
    pub(super) fn history(&self, prefix: &str, after: i64) -> Result<VecDeque<Row>, StoreError> {
        let end = prefix_end(prefix);
        let mut stmt = self.tx.prepare_cached(HISTORY)?;
        let rows = stmt.query_map(
            rusqlite::params![after, prefix, upper_bound(end.as_deref())],
            |row| {
                let kind = if row.get::<_, bool>(3)? {
                    EventType::Deleted
                } else if row.get::<_, bool>(2)? {
                    EventType::Added
                } else {
                    EventType::Modified
                };
                Ok(Row {
                    key: row.get(0)?,
                    revision: row.get(1)?,
                    kind,
                    bytes: row.get(4)?,
                })
            },
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// The exclusive upper bound of a key range as an SQL value: the bytes as TEXT (they need not
/// be UTF-8; SQLite compares TEXT with memcmp), or an empty BLOB, which sorts above all TEXT.
fn upper_bound(end: Option<&[u8]>) -> ToSqlOutput<'_> {
    match end {
        Some(end) => ToSqlOutput::Borrowed(ValueRef::Text(end)),
        None => ToSqlOutput::Borrowed(ValueRef::Blob(&[])),
    }
}

/// The live object under `key`. One statement is one read transaction, so it needs no
/// snapshot of its own.
pub(super) fn get(conn: &Connection, key: &str) -> Result<Option<Stored>, StoreError> {
    get_json(conn, key)?
        .map(|(revision, bytes)| {
            Row {
                key: key.to_owned(),
                revision,
                kind: EventType::Modified,
                bytes,
            }
            .into_stored()
        })
        .transpose()
}

/// The live object under `key` as stored: its revision and JSON, which carries that revision
/// as `metadata.resourceVersion`.
pub(super) fn get_json(conn: &Connection, key: &str) -> Result<Option<(i64, Vec<u8>)>, StoreError> {
    let mut stmt = conn.prepare_cached(GET)?;
    let row = stmt
        .query_row([key], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, bool>(1)?,
                row.get::<_, Vec<u8>>(2)?,
            ))
        })
        .optional()?;
    Ok(match row {
        Some((revision, false, bytes)) => Some((revision, bytes)),
        _ => None,
    })
}

/// Whether `key` has a live object, without reading (or parsing) its value.
pub(super) fn exists(conn: &Connection, key: &str) -> Result<bool, StoreError> {
    let mut stmt = conn.prepare_cached(schema::LATEST)?;
    let deleted = stmt
        .query_row([key], |row| row.get::<_, bool>(1))
        .optional()?;
    Ok(deleted == Some(false))
}
