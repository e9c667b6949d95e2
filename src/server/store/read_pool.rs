use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use rusqlite::Connection;

use super::StoreError;
use super::schema::open_reader;

/// Idle read connections kept for reuse; a burst beyond this opens extra ones (about 0.1 ms
/// each) and closes them afterwards rather than making readers queue.
const MAX_IDLE: usize = 4;

/// Read connections, opened on first use so that opening the store stays O(1).
#[derive(Debug)]
pub(super) struct ReadPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    closed: AtomicBool,
}

impl ReadPool {
    pub(super) fn new(path: PathBuf) -> Self {
        Self {
            path,
            idle: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
        }
    }

    /// Runs `read` on a connection of its own. Blocking: SQLite does file I/O.
    pub(super) fn with<T>(
        &self,
        read: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if self.closed.load(Ordering::Acquire) {
            return Err(StoreError::Closed);
        }
        // A panic while holding the lock cannot leave the Vec half-updated, so a poisoned
        // lock is still usable.
        let pooled = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let mut conn = match pooled {
            Some(conn) => conn,
            None => open_reader(&self.path)?,
        };
        let result = read(&mut conn);
        if !self.closed.load(Ordering::Acquire) {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            if idle.len() < MAX_IDLE {
                idle.push(conn);
            }
        }
        result
    }

    pub(super) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}
