//! The durable store of `kplan serve`: etcd semantics (a global revision, compare-and-swap,
//! consistent paginated lists, watch from a revision, compaction) in one SQLite file,
//! `<data-dir>/state.db`.
//!
//! Layout is kine's (docs/control-plane-notes.md §1): an append-only `kv` table, one row per
//! revision, the row id being the revision and every object's `metadata.resourceVersion`. A
//! delete writes a tombstone row that keeps the deleted value.
//!
//! Writes go through one OS thread that owns the only write connection (`writer.rs`). It
//! blocks for the first request, takes up to 256 more that are already queued (no timer),
//! validates and inserts them in one `BEGIN IMMEDIATE` transaction (each write sees the
//! earlier ones), commits, and only then acknowledges and broadcasts the changes in revision
//! order. With WAL and `synchronous=FULL` the commit's fsync covers the whole batch: an
//! acknowledged write survives kill -9 and power loss, yet throughput grows with concurrency
//! instead of stopping at one fsync per write. If COMMIT fails, every write of the batch
//! fails and their revisions are reused.
//!
//! Reads use a small pool of read connections; a list runs in one read transaction, and a
//! later page read at the first page's revision sees the same snapshot (the newest row per key
//! at or below it).
//!
//! Watches subscribe to the in-process broadcast first and then replay the table's history
//! above the requested revision, dropping live events already replayed: no gap, no duplicate,
//! no polling. A watcher more than 4,096 events behind ends with [`StoreError::TooSlow`] and
//! must list again, as with etcd.
//!
//! Test hook: `KPLAN_STORE_ACK_EARLY=1`, read once by [`Store::open`], makes the writer
//! acknowledge before COMMIT. It exists only so the server's durability-order test can show
//! that it catches exactly that bug; never set it otherwise.

mod body;
mod error;
mod event_type;
mod list;
mod read_pool;
mod request;
mod row;
mod schema;
mod shared;
mod snapshot;
mod stats;
// One type per file, named after it: `Store` lives in `store.rs`.
#[allow(clippy::module_inception)]
mod store;
mod stored;
mod watch;
mod watch_event;
mod writer;
mod written;

#[cfg(test)]
mod tests;

pub use error::StoreError;
pub use event_type::EventType;
pub use list::List;
pub use stats::StoreStats;
pub use store::Store;
pub use stored::Stored;
pub use watch::Watch;
pub use watch_event::WatchEvent;
pub use written::Written;
