use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use super::StoreStats;

/// What the writer publishes to the handles without a lock.
#[derive(Debug)]
pub(super) struct Shared {
    revision: AtomicI64,
    compacted: AtomicI64,
    commits: AtomicU64,
    writes: AtomicU64,
}

impl Shared {
    pub(super) fn new(revision: i64, compacted: i64) -> Self {
        Self {
            revision: AtomicI64::new(revision),
            compacted: AtomicI64::new(compacted),
            commits: AtomicU64::new(0),
            writes: AtomicU64::new(0),
        }
    }

    pub(super) fn revision(&self) -> i64 {
        self.revision.load(Ordering::Acquire)
    }

    /// Called after COMMIT returned and before any event is broadcast: a watch "from now" reads
    /// this after subscribing, so it must never lag behind an event the watcher may receive.
    pub(super) fn committed(&self, revision: i64, writes: usize) {
        self.revision.store(revision, Ordering::Release);
        self.commits.fetch_add(1, Ordering::Relaxed);
        self.writes.fetch_add(writes as u64, Ordering::Relaxed);
    }

    pub(super) fn compacted_to(&self, revision: i64) {
        self.compacted.store(revision, Ordering::Release);
    }

    pub(super) fn stats(&self) -> StoreStats {
        StoreStats {
            revision: self.revision(),
            compacted: self.compacted.load(Ordering::Acquire),
            commits: self.commits.load(Ordering::Relaxed),
            writes: self.writes.load(Ordering::Relaxed),
        }
    }
}
