use super::{EventType, Stored};

/// One committed change. For `Deleted`, `object` is the last state before the deletion but
/// carries the deletion's revision (also in `metadata.resourceVersion`), as the Kubernetes API
/// server reports deletions.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchEvent {
    pub kind: EventType,
    pub object: Stored,
}
