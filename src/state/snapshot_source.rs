use std::path::Path;

use super::object_set::{HeldObject, answer};
use super::{CurrentState, FetchRequest, Snapshot, SourceInfo, StateError, StateSource};

/// A snapshot file as the current state.
pub struct SnapshotSource {
    location: String,
    server: Option<String>,
    taken_at: Option<String>,
    held: Vec<HeldObject>,
}

impl SnapshotSource {
    pub fn open(path: &Path) -> Result<Self, StateError> {
        Ok(Self::from_snapshot(
            path.display().to_string(),
            Snapshot::read(path)?,
        ))
    }

    pub fn from_snapshot(location: String, snapshot: Snapshot) -> Self {
        Self {
            location,
            server: snapshot.server,
            taken_at: snapshot.taken_at,
            held: snapshot
                .objects
                .into_iter()
                .map(|object| HeldObject {
                    object: std::sync::Arc::new(object),
                    origin: None,
                })
                .collect(),
        }
    }
}

impl StateSource for SnapshotSource {
    fn info(&self) -> SourceInfo {
        SourceInfo {
            kind: "snapshot",
            location: self.location.clone(),
            server: self.server.clone(),
            taken_at: self.taken_at.clone(),
        }
    }

    fn fetch(&self, request: &FetchRequest<'_>) -> Result<CurrentState, StateError> {
        answer(&self.held, request)
    }
}
