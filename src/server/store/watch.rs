use std::collections::VecDeque;
use std::sync::Arc;

use tokio::sync::broadcast::{self, error::RecvError};

use super::row::Row;
use super::{StoreError, WatchEvent};

/// A stream of changes under one key prefix: first the history that was in the table when the
/// watch started, then live events from the writer's broadcast.
///
/// The broadcast is subscribed before the history is read, so a change committed in between
/// is in one or both; live events at or below the revision the history read saw are dropped.
/// Together that gives every change exactly once, in revision order.
#[derive(Debug)]
pub struct Watch {
    prefix: String,
    history: VecDeque<Row>,
    live: broadcast::Receiver<Arc<WatchEvent>>,
    /// Live events at or below this revision were (or will be) delivered from history.
    replayed_to: i64,
    /// Everything under the prefix up to this revision has been delivered.
    position: i64,
    finished: bool,
}

impl Watch {
    pub(super) fn new(
        prefix: &str,
        history: VecDeque<Row>,
        live: broadcast::Receiver<Arc<WatchEvent>>,
        from: i64,
        replayed_to: i64,
    ) -> Self {
        Self {
            prefix: prefix.to_owned(),
            history,
            live,
            replayed_to,
            position: from,
            finished: false,
        }
    }

    /// The next change; `None` once the store has closed (after the events already queued).
    /// `Err(TooSlow)` means this watcher fell more than the broadcast buffer behind and lost
    /// events: it ends there, and the client must list again, as with etcd. A watch ends after
    /// any error. Cancel-safe: dropping the future (in `select!`) loses no event. Events are
    /// shared with every other watcher (a deep copy per watcher would be most of a write's
    /// cost with several watchers).
    pub async fn next(&mut self) -> Option<Result<Arc<WatchEvent>, StoreError>> {
        if self.finished {
            return None;
        }
        if let Some(row) = self.history.pop_front() {
            self.position = row.revision;
            let event = row.into_event().map(Arc::new);
            self.finished = event.is_err();
            return Some(event);
        }
        self.position = self.position.max(self.replayed_to);
        loop {
            match self.live.recv().await {
                Ok(event) => {
                    let revision = event.object.revision;
                    if revision <= self.replayed_to {
                        continue;
                    }
                    self.replayed_to = revision;
                    self.position = revision;
                    if event.object.key.starts_with(&self.prefix) {
                        return Some(Ok(event));
                    }
                }
                Err(RecvError::Lagged(_)) => {
                    self.finished = true;
                    return Some(Err(StoreError::TooSlow));
                }
                Err(RecvError::Closed) => {
                    self.finished = true;
                    return None;
                }
            }
        }
    }

    /// The revision up to which this watcher has seen every change under its prefix (changes
    /// elsewhere advance it too): what a bookmark event should carry, and where a new watch
    /// resumes without a gap.
    pub fn revision(&self) -> i64 {
        if self.history.is_empty() {
            self.position.max(self.replayed_to)
        } else {
            self.position
        }
    }
}
