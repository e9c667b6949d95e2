use std::sync::Arc;

use serde_json::Value;

use super::{ObjectKey, Origin};

/// An object of the current state, as its source returned it.
#[derive(Debug, Clone)]
pub struct CurrentObject {
    pub key: ObjectKey,
    pub object: Arc<Value>,
    /// `metadata.resourceVersion` when the source knows it (live objects, snapshots): a saved
    /// plan records it so that applying a stale plan can be refused.
    pub resource_version: Option<String>,
    pub uid: Option<String>,
    /// The file and line it was read from, for directory sources.
    pub origin: Option<Origin>,
}

impl CurrentObject {
    /// Wraps an object, reading its resourceVersion and uid from its metadata.
    pub fn new(key: ObjectKey, object: Value, origin: Option<Origin>) -> Self {
        Self::shared(key, Arc::new(object), origin)
    }

    /// Like [`CurrentObject::new`] for an object the source keeps too.
    pub fn shared(key: ObjectKey, object: Arc<Value>, origin: Option<Origin>) -> Self {
        let meta = |field: &str| object["metadata"][field].as_str().map(str::to_string);
        Self {
            key,
            resource_version: meta("resourceVersion"),
            uid: meta("uid"),
            object,
            origin,
        }
    }
}
