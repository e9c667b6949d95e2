use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use serde_json::Value;
use tokio::sync::{broadcast, mpsc, oneshot};

use super::body::Body;
use super::read_pool::ReadPool;
use super::request::{CompactJob, Op, Request, Write};
use super::schema::{self, DB_FILE};
use super::shared::Shared;
use super::snapshot::{self, Snapshot};
use super::writer::Writer;
use super::{List, StoreError, StoreStats, Stored, Watch, WatchEvent, Written};

/// Writes waiting for the writer; a full queue makes callers wait (back-pressure) instead of
/// growing memory without bound.
const QUEUE: usize = 1024;

/// Events a watcher may fall behind before it is dropped with `TooSlow`.
pub(super) const WATCH_BUFFER: usize = 4096;

/// Set to `1` to make the writer acknowledge before COMMIT. A test hook only: it breaks
/// durability on purpose so the server's syscall-order test can prove it notices.
const ACK_EARLY_ENV: &str = "KPLAN_STORE_ACK_EARLY";

/// A handle to the store; clones share one writer thread and one read pool.
///
/// `get`, `list`, `watch` and `compact` block on SQLite: call them from `spawn_blocking`.
/// Open one store per data directory: its writer assumes it is the file's only writer (the
/// data directory's lock keeps other processes out).
#[derive(Debug, Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// `None` once closed. Dropping these is what stops the writer.
    links: Mutex<Option<Links>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    reads: ReadPool,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Links {
    requests: mpsc::Sender<Request>,
    compactions: std::sync::mpsc::Sender<CompactJob>,
    events: broadcast::Sender<Arc<WatchEvent>>,
}

impl Store {
    /// Opens or creates `<dir>/state.db` (WAL, synchronous=FULL, busy_timeout), starts the
    /// writer thread.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let ack_early = std::env::var_os(ACK_EARLY_ENV).is_some_and(|value| value == "1");
        Self::open_with(dir, ack_early)
    }

    pub(super) fn open_with(dir: &Path, ack_early: bool) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|error| {
            StoreError::Sqlite(format!("cannot create {}: {error}", dir.display()))
        })?;
        let path = dir.join(DB_FILE);
        let mut conn = schema::open_writer(&path)?;
        let on_disk = schema::prepare(&mut conn)?;
        let shared = Arc::new(Shared::new(on_disk.revision, on_disk.compacted));
        let (requests, inbox) = mpsc::channel(QUEUE);
        let (compactions, compaction_queue) = std::sync::mpsc::channel();
        let (events, _) = broadcast::channel(WATCH_BUFFER);
        let writer = Writer::new(
            conn,
            Arc::clone(&shared),
            events.clone(),
            on_disk,
            ack_early,
        )
        .spawn(inbox, compaction_queue)?;
        Ok(Store {
            inner: Arc::new(Inner {
                links: Mutex::new(Some(Links {
                    requests,
                    compactions,
                    events,
                })),
                writer: Mutex::new(Some(writer)),
                reads: ReadPool::new(path),
                shared,
            }),
        })
    }

    /// The newest committed revision (0 for an empty store).
    pub fn revision(&self) -> i64 {
        self.inner.shared.revision()
    }

    pub fn stats(&self) -> StoreStats {
        self.inner.shared.stats()
    }

    /// Create: fails with `AlreadyExists` if the key has a live object. Sets
    /// `metadata.resourceVersion` in `value` to the new revision before storing.
    pub async fn create(&self, key: String, value: Value) -> Result<Stored, StoreError> {
        Ok(self.create_requiring(key, None, value).await?.into_stored())
    }

    /// Create, if `requires` (e.g. the namespace's key) names a live object when the write
    /// commits; `RequiredMissing` otherwise. Checked by the writer in the create's own
    /// transaction, so no deletion can slip in between the check and the write.
    pub async fn create_requiring(
        &self,
        key: String,
        requires: Option<String>,
        mut value: Value,
    ) -> Result<Written, StoreError> {
        let body = Body::encode(&mut value)?;
        self.written(Op::Create {
            key,
            requires,
            body,
            value,
        })
        .await
    }

    /// Update: `expected` = Some(rv) makes it compare-and-swap (`Conflict` with the live
    /// revision if it differs); `NotFound` if no live object.
    pub async fn update(
        &self,
        key: String,
        expected: Option<i64>,
        mut value: Value,
    ) -> Result<Written, StoreError> {
        let body = Body::encode(&mut value)?;
        self.written(Op::Update {
            key,
            expected,
            body,
            value,
        })
        .await
    }

    /// Delete (a tombstone row): returns the object as last stored, with the deletion's
    /// revision (in `revision` and in `metadata.resourceVersion`).
    pub async fn delete(&self, key: String, expected: Option<i64>) -> Result<Stored, StoreError> {
        let (event, _) = self.write(Op::Delete { key, expected }).await?;
        Ok(Arc::unwrap_or_clone(event).object)
    }

    async fn written(&self, op: Op) -> Result<Written, StoreError> {
        match self.write(op).await? {
            (event, Some(json)) => Ok(Written { event, json }),
            (_, None) => Err(StoreError::Corrupt(
                "the writer returned no stored bytes for a create or update".into(),
            )),
        }
    }

    /// Returns once the write is committed. A caller that goes away after sending does not
    /// cancel the write; it only misses the answer.
    async fn write(&self, op: Op) -> Result<(Arc<WatchEvent>, Option<Vec<u8>>), StoreError> {
        let requests = self.inner.with_links(|links| links.requests.clone())?;
        let (reply, answer) = oneshot::channel();
        requests
            .send(Request::Write(Write { op, reply }))
            .await
            .map_err(|_| StoreError::Closed)?;
        drop(requests);
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// The live object under `key`, if any.
    pub fn get(&self, key: &str) -> Result<Option<Stored>, StoreError> {
        self.inner.reads.with(|conn| snapshot::get(conn, key))
    }

    /// The live object under `key` as the JSON stored, with its revision: for answering
    /// without parsing and serialising it again.
    pub fn get_json(&self, key: &str) -> Result<Option<(i64, Vec<u8>)>, StoreError> {
        self.inner.reads.with(|conn| snapshot::get_json(conn, key))
    }

    /// Whether `key` has a live object; cheaper than [`Store::get`], which parses it.
    pub fn exists(&self, key: &str) -> Result<bool, StoreError> {
        self.inner.reads.with(|conn| snapshot::exists(conn, key))
    }

    /// Live objects whose key starts with `prefix`, in key order, after `continue_after`
    /// (exclusive), at most `limit` (0 = no limit), all as of one revision: `at_revision`, or
    /// the newest if `None` (or 0). A revision below the compacted one gives `Compacted`; one
    /// above the newest reads the newest (nothing has changed since).
    pub fn list(
        &self,
        prefix: &str,
        continue_after: Option<&str>,
        limit: usize,
        at_revision: Option<i64>,
    ) -> Result<List, StoreError> {
        self.inner.reads.with(|conn| {
            let snapshot = Snapshot::begin(conn)?;
            let newest = snapshot.revision()?;
            let revision = match at_revision {
                Some(revision) if revision > 0 => {
                    let compacted = snapshot.compacted()?;
                    if revision < compacted {
                        return Err(StoreError::Compacted { compacted });
                    }
                    revision.min(newest)
                }
                _ => newest,
            };
            let (items, more) = snapshot.list(prefix, continue_after, limit, revision)?;
            Ok(List {
                revision,
                items,
                more,
            })
        })
    }

    /// Watch keys under `prefix` for changes with revision > `from` (`from` <= 0 means "from
    /// now"). History still in the table is replayed first, then live events, with no gap and
    /// no duplicate. `Compacted` if `from` is below the compacted revision.
    pub fn watch(&self, prefix: &str, from: i64) -> Result<Watch, StoreError> {
        // Subscribe first: anything committed from here on reaches this receiver, and what
        // committed before is in the history read below (or is older than `from`).
        let live = self.inner.with_links(|links| links.events.subscribe())?;
        if from <= 0 {
            // The writer publishes the revision before broadcasting, so every event above
            // this one is still to come on `live`.
            let now = self.revision();
            return Ok(Watch::new(prefix, VecDeque::new(), live, now, now));
        }
        let (history, seen) = self.inner.reads.with(|conn| {
            let snapshot = Snapshot::begin(conn)?;
            let seen = snapshot.revision()?;
            let compacted = snapshot.compacted()?;
            if from < compacted {
                return Err(StoreError::Compacted { compacted });
            }
            Ok((snapshot.history(prefix, from)?, seen))
        })?;
        Ok(Watch::new(prefix, history, live, from, seen.max(from)))
    }

    /// kine-style compaction up to `up_to` (clamped to the newest revision): removes every row
    /// superseded at or below it and every tombstone at or below it, keeping the newest row of
    /// each live key and every row above. Lists and watches below `up_to` then get
    /// `Compacted`. Returns the number of rows removed. Runs on the writer thread in slices of
    /// 1,000 revisions with queued writes committed in between.
    pub fn compact(&self, up_to: i64) -> Result<u64, StoreError> {
        let (reply, answer) = std::sync::mpsc::channel();
        self.inner.with_links(|links| {
            links
                .compactions
                .send(CompactJob { up_to, reply })
                .map_err(|_| StoreError::Closed)?;
            // Wakes a writer that idles in its blocking receive. A full queue needs no wake:
            // the writer is busy and looks at compactions after each batch.
            let _ = links.requests.try_send(Request::Wake);
            Ok::<_, StoreError>(())
        })??;
        answer.recv().map_err(|_| StoreError::Closed)?
    }

    /// Stops the writer thread after committing and answering the writes already queued
    /// (also done on drop of the last handle). Blocks until then, so from async code with
    /// writes still in flight on the same runtime thread call it via `spawn_blocking`. Later
    /// calls of any method get `Closed`; watches end after their queued events.
    pub fn close(&self) {
        self.inner.close();
    }
}

impl Inner {
    fn with_links<T>(&self, use_links: impl FnOnce(&Links) -> T) -> Result<T, StoreError> {
        lock(&self.links)
            .as_ref()
            .map(use_links)
            .ok_or(StoreError::Closed)
    }

    fn close(&self) {
        // Dropping the senders lets the writer's queue run dry and its loop end; its own
        // broadcast sender goes with it, which ends the watches.
        drop(lock(&self.links).take());
        if let Some(writer) = lock(&self.writer).take() {
            // An Err means the writer panicked; its requests were answered `Closed` already.
            let _ = writer.join();
        }
        self.reads.close();
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.close();
    }
}

/// The guarded values stay consistent even if a holder panicked (they are only taken or
/// cloned), so a poisoned lock is still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
