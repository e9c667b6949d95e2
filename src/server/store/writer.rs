use std::sync::Arc;
use std::sync::mpsc::Receiver as CompactQueue;
use std::thread::JoinHandle;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;
use tokio::sync::{broadcast, mpsc, oneshot};

use super::body::{Body, set_resource_version};
use super::request::{CompactJob, Op, Request, Write, WriteResult};
use super::schema::{
    DELETE_SUPERSEDED, DELETE_TOMBSTONES, INSERT, LATEST, LATEST_WITH_VALUE, OnDisk, SET_COMPACTED,
    read_revision,
};
use super::shared::Shared;
use super::{EventType, StoreError, Stored, WatchEvent};

/// Writes per transaction: the first request plus up to 256 already queued. No timer: a lone
/// write commits at once, and batches grow only while a commit is in progress.
const MAX_BATCH: usize = 257;

/// Revisions compacted per transaction; writes queued meanwhile are committed between slices.
const COMPACT_SLICE: i64 = 1000;

/// The one thread that writes: owns the write connection, assigns revisions, group-commits,
/// then acknowledges and broadcasts in revision order.
pub(super) struct Writer {
    conn: Connection,
    shared: Arc<Shared>,
    events: broadcast::Sender<Arc<WatchEvent>>,
    /// The newest revision assigned, including uncommitted ones of the current batch.
    revision: i64,
    compacted: i64,
    /// Test hook (`KPLAN_STORE_ACK_EARLY=1`): acknowledge before COMMIT, a deliberate
    /// durability bug for proving that the server's syscall-order test catches one.
    ack_early: bool,
}

/// The row a write builds on.
struct Latest {
    id: i64,
    deleted: bool,
    create_revision: i64,
}

struct NewRow<'a> {
    revision: i64,
    key: &'a str,
    kind: EventType,
    create_revision: i64,
    prev_revision: i64,
    value: &'a [u8],
}

impl Writer {
    pub(super) fn new(
        conn: Connection,
        shared: Arc<Shared>,
        events: broadcast::Sender<Arc<WatchEvent>>,
        on_disk: OnDisk,
        ack_early: bool,
    ) -> Self {
        Self {
            conn,
            shared,
            events,
            revision: on_disk.revision,
            compacted: on_disk.compacted,
            ack_early,
        }
    }

    pub(super) fn spawn(
        self,
        inbox: mpsc::Receiver<Request>,
        compactions: CompactQueue<CompactJob>,
    ) -> Result<JoinHandle<()>, StoreError> {
        std::thread::Builder::new()
            .name("kplan-store-writer".into())
            .spawn(move || self.run(inbox, &compactions))
            .map_err(|error| StoreError::Sqlite(format!("cannot start the writer: {error}")))
    }

    /// Returns when every handle has dropped its sender and the queue is empty, so writes
    /// queued before `close` are still committed and answered.
    fn run(mut self, mut inbox: mpsc::Receiver<Request>, compactions: &CompactQueue<CompactJob>) {
        let mut requests = Vec::with_capacity(MAX_BATCH);
        while inbox.blocking_recv_many(&mut requests, MAX_BATCH) > 0 {
            let batch = requests
                .drain(..)
                .filter_map(|request| match request {
                    Request::Write(write) => Some(write),
                    Request::Wake => None,
                })
                .collect();
            self.commit(batch);
            while let Ok(job) = compactions.try_recv() {
                self.compact(&job, &mut inbox);
            }
        }
    }

    /// One transaction for the whole batch. Each write is validated against the transaction,
    /// so it sees the writes before it; a write that fails validation is answered with its
    /// error and does not affect the others. Nothing is acknowledged or broadcast before
    /// COMMIT returns (with `synchronous=FULL`, after the WAL fsync), and if COMMIT fails
    /// every write of the batch fails.
    fn commit(&mut self, batch: Vec<Write>) {
        if batch.is_empty() {
            return;
        }
        let base = self.revision;
        if let Err(error) = self.begin() {
            fail_all(batch.into_iter().map(|write| write.reply), &error);
            return;
        }
        let mut replies = Vec::with_capacity(batch.len());
        let mut results = Vec::with_capacity(batch.len());
        let mut events = Vec::with_capacity(batch.len());
        let mut batch = batch.into_iter();
        while let Some(write) = batch.next() {
            let result = self.apply(write.op);
            // Some errors (I/O, disk full) make SQLite roll the whole transaction back; the
            // writes before are then gone too, and the ones after were never tried.
            if self.conn.is_autocommit() {
                let cause = match result {
                    Err(error) => error.to_string(),
                    Ok(_) => "no error reported".into(),
                };
                let error = StoreError::Sqlite(format!("transaction rolled back: {cause}"));
                self.abandon(base);
                replies.push(write.reply);
                replies.extend(batch.map(|write| write.reply));
                fail_all(replies, &error);
                return;
            }
            if let Ok((event, _)) = &result {
                events.push(Arc::clone(event));
            }
            replies.push(write.reply);
            results.push(result);
        }
        if self.ack_early {
            acknowledge(replies.drain(..), results.drain(..));
        }
        match self.conn.execute_batch("COMMIT") {
            Ok(()) => {
                self.shared.committed(self.revision, events.len());
                for event in events {
                    // An error only means nobody is watching.
                    let _ = self.events.send(event);
                }
                acknowledge(replies, results);
            }
            Err(error) => {
                self.abandon(base);
                fail_all(replies, &error.into());
            }
        }
    }

    fn begin(&mut self) -> Result<(), StoreError> {
        // A transaction left open by a failed ROLLBACK would make every later BEGIN fail.
        if !self.conn.is_autocommit() {
            self.conn.execute_batch("ROLLBACK")?;
        }
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(())
    }

    /// After a failed batch: roll back and hand its revisions out again. They were never
    /// acknowledged or broadcast; the file's own counter guards against ever going below a
    /// revision that is on disk.
    fn abandon(&mut self, base: i64) {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        self.revision = read_revision(&self.conn).map_or(base, |on_disk| on_disk.max(base));
    }

    fn apply(&mut self, op: Op) -> WriteResult {
        match op {
            Op::Create {
                key,
                requires,
                body,
                value,
            } => {
                if let Some(required) = requires
                    && self.latest(&required)?.is_none_or(|latest| latest.deleted)
                {
                    return Err(StoreError::RequiredMissing(required));
                }
                self.create(key, &body, value)
            }
            Op::Update {
                key,
                expected,
                body,
                value,
            } => self.update(key, expected, &body, value),
            Op::Delete { key, expected } => self.delete(key, expected),
        }
    }

    fn create(&mut self, key: String, body: &Body, value: Value) -> WriteResult {
        let latest = self.latest(&key)?;
        if latest.as_ref().is_some_and(|latest| !latest.deleted) {
            return Err(StoreError::AlreadyExists);
        }
        let revision = self.next_revision()?;
        let bytes = body.with_revision(revision)?;
        self.insert(&NewRow {
            revision,
            key: &key,
            kind: EventType::Added,
            create_revision: revision,
            prev_revision: latest.map_or(0, |latest| latest.id),
            value: &bytes,
        })
        .map_err(|error| lost_race(error, StoreError::AlreadyExists))?;
        let event = self.committed(EventType::Added, key, revision, value);
        Ok((event, Some(bytes)))
    }

    fn update(
        &mut self,
        key: String,
        expected: Option<i64>,
        body: &Body,
        value: Value,
    ) -> WriteResult {
        let latest = self.live(&key, expected)?;
        let revision = self.next_revision()?;
        let bytes = body.with_revision(revision)?;
        self.insert(&NewRow {
            revision,
            key: &key,
            kind: EventType::Modified,
            create_revision: latest.create_revision,
            prev_revision: latest.id,
            value: &bytes,
        })
        .map_err(|error| lost_race(error, StoreError::Conflict { current: latest.id }))?;
        let event = self.committed(EventType::Modified, key, revision, value);
        Ok((event, Some(bytes)))
    }

    /// The tombstone keeps the deleted bytes unchanged (with their old resourceVersion);
    /// readers of a tombstone set the deletion's revision, as the event here does.
    fn delete(&mut self, key: String, expected: Option<i64>) -> WriteResult {
        let (latest, bytes) = self.latest_with_value(&key)?.ok_or(StoreError::NotFound)?;
        check_live(&latest, expected)?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|error| {
            StoreError::Corrupt(format!("{key} at revision {}: {error}", latest.id))
        })?;
        let revision = self.next_revision()?;
        self.insert(&NewRow {
            revision,
            key: &key,
            kind: EventType::Deleted,
            create_revision: latest.create_revision,
            prev_revision: latest.id,
            value: &bytes,
        })
        .map_err(|error| lost_race(error, StoreError::Conflict { current: latest.id }))?;
        Ok((
            self.committed(EventType::Deleted, key, revision, value),
            None,
        ))
    }

    fn next_revision(&self) -> Result<i64, StoreError> {
        self.revision
            .checked_add(1)
            .ok_or_else(|| StoreError::Corrupt("revision counter overflow".into()))
    }

    /// Records an inserted row as the newest revision and builds its event.
    fn committed(
        &mut self,
        kind: EventType,
        key: String,
        revision: i64,
        mut value: Value,
    ) -> Arc<WatchEvent> {
        self.revision = revision;
        set_resource_version(&mut value, revision.to_string());
        Arc::new(WatchEvent {
            kind,
            object: Stored {
                key,
                revision,
                value,
            },
        })
    }

    fn latest(&self, key: &str) -> Result<Option<Latest>, StoreError> {
        let mut stmt = self.conn.prepare_cached(LATEST)?;
        let latest = stmt
            .query_row([key], |row| {
                Ok(Latest {
                    id: row.get(0)?,
                    deleted: row.get(1)?,
                    create_revision: row.get(2)?,
                })
            })
            .optional()?;
        Ok(latest)
    }

    fn latest_with_value(&self, key: &str) -> Result<Option<(Latest, Vec<u8>)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(LATEST_WITH_VALUE)?;
        let latest = stmt
            .query_row([key], |row| {
                let latest = Latest {
                    id: row.get(0)?,
                    deleted: row.get(1)?,
                    create_revision: row.get(2)?,
                };
                Ok((latest, row.get(3)?))
            })
            .optional()?;
        Ok(latest)
    }

    /// The live row of `key`, checked against the expected revision.
    fn live(&self, key: &str, expected: Option<i64>) -> Result<Latest, StoreError> {
        let latest = self.latest(key)?.ok_or(StoreError::NotFound)?;
        check_live(&latest, expected)?;
        Ok(latest)
    }

    fn insert(&self, row: &NewRow<'_>) -> Result<(), rusqlite::Error> {
        let mut stmt = self.conn.prepare_cached(INSERT)?;
        stmt.execute(params![
            row.revision,
            row.key,
            row.kind == EventType::Added,
            row.kind == EventType::Deleted,
            row.create_revision,
            row.prev_revision,
            row.value,
        ])?;
        Ok(())
    }

    /// Compacts up to `job.up_to` (never beyond the newest revision) in slices, committing
    /// queued writes between slices so the API keeps answering during a long compaction.
    fn compact(&mut self, job: &CompactJob, inbox: &mut mpsc::Receiver<Request>) {
        let target = job.up_to.min(self.revision);
        let mut removed = 0;
        while self.compacted < target {
            let upper = target.min(self.compacted.saturating_add(COMPACT_SLICE));
            match self.compact_slice(self.compacted, upper) {
                Ok(rows) => removed += rows,
                Err(error) => {
                    let _ = job.reply.send(Err(error));
                    return;
                }
            }
            self.compacted = upper;
            self.shared.compacted_to(upper);
            self.commit_queued(inbox);
        }
        let _ = job.reply.send(Ok(removed));
    }

    fn compact_slice(&mut self, lower: i64, upper: i64) -> Result<u64, StoreError> {
        self.begin()?;
        let result = (|| {
            let superseded = self.conn.execute(DELETE_SUPERSEDED, [lower, upper])?;
            let tombstones = self.conn.execute(DELETE_TOMBSTONES, [lower, upper])?;
            self.conn.execute(SET_COMPACTED, [upper])?;
            self.conn.execute_batch("COMMIT")?;
            Ok::<_, rusqlite::Error>((superseded + tombstones) as u64)
        })();
        if result.is_err() && !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        Ok(result?)
    }

    fn commit_queued(&mut self, inbox: &mut mpsc::Receiver<Request>) {
        let mut batch = Vec::new();
        while batch.len() < MAX_BATCH {
            match inbox.try_recv() {
                Ok(Request::Write(write)) => batch.push(write),
                Ok(Request::Wake) => {}
                Err(_) => break,
            }
        }
        self.commit(batch);
    }
}

fn check_live(latest: &Latest, expected: Option<i64>) -> Result<(), StoreError> {
    if latest.deleted {
        return Err(StoreError::NotFound);
    }
    match expected {
        Some(expected) if expected != latest.id => Err(StoreError::Conflict { current: latest.id }),
        _ => Ok(()),
    }
}

/// The unique `(name, prev_revision)` guard fired: another write built on the same revision
/// got there first. Validation in this thread makes that unreachable unless something else
/// writes to the file, but the answer must still be the optimistic-concurrency one. Other
/// constraint failures (a trigger added by hand, say) stay storage errors.
fn lost_race(error: rusqlite::Error, race: StoreError) -> StoreError {
    match error.sqlite_error() {
        Some(cause) if cause.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE => race,
        _ => error.into(),
    }
}

fn acknowledge(
    replies: impl IntoIterator<Item = oneshot::Sender<WriteResult>>,
    results: impl IntoIterator<Item = WriteResult>,
) {
    for (reply, result) in replies.into_iter().zip(results) {
        // The caller may have gone away (its request was cancelled); the write stands.
        let _ = reply.send(result);
    }
}

fn fail_all(replies: impl IntoIterator<Item = oneshot::Sender<WriteResult>>, error: &StoreError) {
    for reply in replies {
        let _ = reply.send(Err(error.clone()));
    }
}
