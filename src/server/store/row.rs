use serde_json::Value;

use super::body::set_resource_version;
use super::{EventType, StoreError, Stored, WatchEvent};

/// One `kv` row as read, not yet parsed: watches queue history as rows so a long replay holds
/// bytes, not JSON trees.
#[derive(Debug)]
pub(super) struct Row {
    pub(super) key: String,
    pub(super) revision: i64,
    pub(super) kind: EventType,
    pub(super) bytes: Vec<u8>,
}

impl Row {
    pub(super) fn into_stored(self) -> Result<Stored, StoreError> {
        let mut value: Value = serde_json::from_slice(&self.bytes).map_err(|error| {
            StoreError::Corrupt(format!(
                "{} at revision {}: {error}",
                self.key, self.revision
            ))
        })?;
        // A tombstone holds the value it deleted, whose resourceVersion is the previous
        // revision; the event reports the deletion's.
        if self.kind == EventType::Deleted {
            set_resource_version(&mut value, self.revision.to_string());
        }
        Ok(Stored {
            key: self.key,
            revision: self.revision,
            value,
        })
    }

    pub(super) fn into_event(self) -> Result<WatchEvent, StoreError> {
        let kind = self.kind;
        Ok(WatchEvent {
            kind,
            object: self.into_stored()?,
        })
    }
}
