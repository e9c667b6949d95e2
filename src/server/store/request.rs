//! The writer's inbox: what handles send to the writer thread, and how it answers.

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::oneshot;

use super::body::Body;
use super::{StoreError, WatchEvent};

/// A write's outcome: the committed change (shared with the watch broadcast) with the bytes
/// stored for a create or update (a tombstone's bytes are the old object's), or why not.
pub(super) type WriteResult = Result<(Arc<WatchEvent>, Option<Vec<u8>>), StoreError>;

pub(super) enum Request {
    Write(Write),
    /// Sent after queueing a compaction, so a writer idle in its blocking receive looks at it.
    Wake,
}

pub(super) struct Write {
    pub(super) op: Op,
    pub(super) reply: oneshot::Sender<WriteResult>,
}

/// `value` is the caller's object with the marker resourceVersion; `body` its serialised form.
/// The writer sets the real revision in both.
pub(super) enum Op {
    Create {
        key: String,
        /// Checked in the same transaction: the create fails unless this key is live.
        requires: Option<String>,
        body: Body,
        value: Value,
    },
    Update {
        key: String,
        expected: Option<i64>,
        body: Body,
        value: Value,
    },
    Delete {
        key: String,
        expected: Option<i64>,
    },
}

/// Compaction comes from synchronous code, which cannot wait on the bounded async queue, so
/// it has an unbounded queue of its own and a blocking reply.
pub(super) struct CompactJob {
    pub(super) up_to: i64,
    pub(super) reply: std::sync::mpsc::Sender<Result<u64, StoreError>>,
}
