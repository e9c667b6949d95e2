//! The SQL: table layout, connection settings and the statements shared by readers and writer.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use super::StoreError;

pub(super) const DB_FILE: &str = "state.db";

/// Bumped when the layout changes incompatibly; a file from a newer kplan is refused rather
/// than misread.
const SCHEMA_VERSION: i64 = 1;

/// Long enough to ride out a checkpoint or WAL recovery by another connection; the writer is
/// the only one that ever takes the write lock, so this is not a contention budget.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// kine's table (control-plane-notes §1.1) minus `lease` and `old_value`, with NOT NULL
/// everywhere. `id` is the revision: assigned by the writer as the previous revision + 1;
/// AUTOINCREMENT keeps `sqlite_sequence` at the highest id ever used, which survives the
/// compaction of the newest row and is an O(1) read at open. Tombstones keep the deleted
/// value so a replayed Deleted event carries the last state even after compaction removed the
/// row it superseded. `(name, prev_revision)` is unique: two writes based on the same
/// revision cannot both land.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS kv (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    created INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    create_revision INTEGER NOT NULL,
    prev_revision INTEGER NOT NULL,
    value BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS kv_name_prev_revision ON kv (name, prev_revision);
CREATE INDEX IF NOT EXISTS kv_name_id ON kv (name, id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', 1), ('compacted', 0);
";

pub(super) const LATEST: &str =
    "SELECT id, deleted, create_revision FROM kv WHERE name = ?1 ORDER BY id DESC LIMIT 1";
pub(super) const LATEST_WITH_VALUE: &str =
    "SELECT id, deleted, create_revision, value FROM kv WHERE name = ?1 ORDER BY id DESC LIMIT 1";
pub(super) const INSERT: &str = "INSERT INTO kv \
     (id, name, created, deleted, create_revision, prev_revision, value) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

pub(super) const GET: &str =
    "SELECT id, deleted, value FROM kv WHERE name = ?1 ORDER BY id DESC LIMIT 1";

/// The newest row of each key as of revision ?3, in key order, walking the `(name, id)` index
/// over the key range [?1, ?2); `?2` is an empty BLOB when the range is unbounded, because
/// SQLite orders every TEXT below every BLOB.
const LIST_TAIL: &str = " AND name < ?2 AND id <= ?3 AND deleted = 0 \
     AND id = (SELECT MAX(id) FROM kv WHERE name = k.name AND id <= ?3) \
     ORDER BY name LIMIT ?4";
pub(super) fn list_sql(first_page: bool) -> String {
    // Two statements rather than `name >= ?1 AND name > ?x`: SQLite takes one lower bound for
    // the index range, and a later page must start at its key, not at the prefix.
    let lower = if first_page { ">=" } else { ">" };
    format!("SELECT name, id, value FROM kv AS k WHERE name {lower} ?1{LIST_TAIL}")
}

/// Changes above a revision, in revision order. `+name` keeps SQLite on the rowid range: the
/// tail above a recent revision is small, while a prefix can span most of the table.
pub(super) const HISTORY: &str = "SELECT name, id, created, deleted, value FROM kv \
     WHERE id > ?1 AND +name >= ?2 AND +name < ?3 ORDER BY id";

/// kine's compaction (notes §1.4), for one slice (?1, ?2] of revisions so a long compaction
/// never holds the write lock for long: drop every row superseded by a row in the slice, then
/// the slice's tombstones. The newest row of a live key is superseded by nothing and stays.
pub(super) const DELETE_SUPERSEDED: &str = "DELETE FROM kv WHERE id IN \
     (SELECT prev_revision FROM kv WHERE id > ?1 AND id <= ?2 AND prev_revision != 0)";
pub(super) const DELETE_TOMBSTONES: &str =
    "DELETE FROM kv WHERE id > ?1 AND id <= ?2 AND deleted = 1";
pub(super) const SET_COMPACTED: &str = "UPDATE meta SET value = ?1 WHERE key = 'compacted'";

/// What the file says at open.
#[derive(Debug, Clone, Copy)]
pub(super) struct OnDisk {
    pub(super) revision: i64,
    pub(super) compacted: i64,
}

/// The one write connection. `synchronous=FULL` makes every COMMIT fsync the WAL, which is
/// what lets the writer acknowledge after COMMIT and promise power-loss durability (kine's
/// NORMAL does not, notes §6.6). `fullfsync` matters on macOS only, where plain fsync does not
/// flush the drive cache.
pub(super) fn open_writer(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Sqlite(format!(
            "{} cannot use a write-ahead log (journal_mode is {mode})",
            path.display()
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "fullfsync", true)?;
    stable_plans(&conn)?;
    Ok(conn)
}

/// The bundled SQLite is built with STAT4, whose planner looks at bound values: binding a new
/// key to `name = ?1` expires the statement, so every cached lookup was parsed and planned
/// again (a fifth of the server's CPU under a write burst). The plans here are plain index
/// walks that no value can improve, so fix them once per statement.
fn stable_plans(conn: &Connection) -> Result<(), StoreError> {
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    Ok(())
}

/// A read connection; `query_only` so a bug cannot make it a second writer.
pub(super) fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "query_only", true)?;
    stable_plans(&conn)?;
    Ok(conn)
}

/// Creates the tables if missing and reads the two numbers the writer starts from. Only O(1)
/// reads: the server must answer within milliseconds of start, whatever the table size.
pub(super) fn prepare(conn: &mut Connection) -> Result<OnDisk, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(SCHEMA)?;
    let version: i64 = tx.query_row("SELECT value FROM meta WHERE key = 'schema'", [], |row| {
        row.get(0)
    })?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::Corrupt(format!(
            "state.db has schema version {version}; this kplan reads up to {SCHEMA_VERSION}"
        )));
    }
    let on_disk = OnDisk {
        revision: read_revision(&tx)?,
        compacted: read_compacted(&tx)?,
    };
    tx.commit()?;
    Ok(on_disk)
}

/// The highest revision ever assigned (0 for a new file).
pub(super) fn read_revision(conn: &Connection) -> Result<i64, StoreError> {
    // Every read transaction asks this first: keep it prepared.
    let seq = conn
        .prepare_cached("SELECT seq FROM sqlite_sequence WHERE name = 'kv'")?
        .query_row([], |row| row.get(0))
        .optional()?;
    Ok(seq.unwrap_or(0))
}

pub(super) fn read_compacted(conn: &Connection) -> Result<i64, StoreError> {
    let compacted = conn
        .prepare_cached("SELECT value FROM meta WHERE key = 'compacted'")?
        .query_row([], |row| row.get(0))
        .optional()?;
    Ok(compacted.unwrap_or(0))
}

/// The smallest string above every string that starts with `prefix`, as raw bytes (it may
/// not be UTF-8); `None` when no such bound exists (empty prefix).
pub(super) fn prefix_end(prefix: &str) -> Option<Vec<u8>> {
    let mut end = prefix.as_bytes().to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_is_the_next_string() {
        assert_eq!(
            prefix_end("/registry/pods/"),
            Some(b"/registry/pods0".to_vec())
        );
        assert_eq!(prefix_end("a"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(""), None);
        assert_eq!(prefix_end("é"), Some(vec![0xC3, 0xAA]));
    }

    #[test]
    fn cached_lookups_are_not_planned_again_for_each_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let mut writer = open_writer(&path).unwrap();
        prepare(&mut writer).unwrap();
        for conn in [&writer, &open_reader(&path).unwrap()] {
            for key in ["/registry/a", "/registry/b", "/registry/c"] {
                let mut stmt = conn.prepare_cached(GET).unwrap();
                let _ = stmt.query_row([key], |_| Ok(())).optional().unwrap();
                assert_eq!(
                    stmt.get_status(rusqlite::StatementStatus::RePrepare),
                    0,
                    "{key}"
                );
            }
        }
    }
}
