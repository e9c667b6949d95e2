//! The snapshot file: the live state saved as one JSON document, written by `kplan snapshot`
//! and read by `--against snapshot.json`.
//!
//! ```json
//! {"apiVersion": "kplan.dev/snapshot/v1", "kind": "Snapshot",
//!  "server": "https://127.0.0.1:6443", "takenAt": "2026-11-26T12:00:00Z",
//!  "objects": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {...}, ...}]}
//! ```
//!
//! Objects are stored as the API server returned them (with `resourceVersion`), except that
//! Secret values are replaced by salted digests (`kplan-sha256:<salt>:<digest>`): a diff can
//! still tell a changed Secret from an unchanged one, and the file holds no Secret in clear.

use std::io::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::diff::{is_secret, redact_to_digests};

/// `apiVersion` of the format this build reads and writes.
pub const SNAPSHOT_API_VERSION: &str = "kplan.dev/snapshot/v1";
pub const SNAPSHOT_KIND: &str = "Snapshot";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    pub api_version: String,
    pub kind: String,
    /// The API server's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// RFC 3339 UTC time the objects were read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_at: Option<String>,
    pub objects: Vec<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("not a kplan snapshot: apiVersion is {found:?}, expected \"{SNAPSHOT_API_VERSION}\"")]
    WrongVersion { found: String },
    #[error("not a kplan snapshot: kind is {0:?}, expected \"Snapshot\"")]
    WrongKind(String),
    #[error("objects[{index}]: {message}")]
    BadObject { index: usize, message: String },
}

impl Snapshot {
    /// A snapshot of `objects`, with Secret values already replaced by digests.
    pub fn new(server: Option<String>, taken_at: Option<String>, objects: Vec<Value>) -> Self {
        let mut s = Self {
            api_version: SNAPSHOT_API_VERSION.into(),
            kind: SNAPSHOT_KIND.into(),
            server,
            taken_at,
            objects,
        };
        s.redact_secrets();
        s
    }

    /// Replaces the values of every core Secret by salted digests.
    pub fn redact_secrets(&mut self) {
        for o in &mut self.objects {
            let group = o["apiVersion"]
                .as_str()
                .and_then(|v| v.rsplit_once('/'))
                .map_or("", |(g, _)| g);
            if is_secret(group, o["kind"].as_str().unwrap_or_default()) {
                redact_to_digests(o);
            }
        }
    }

    /// Parses and checks a snapshot: the right apiVersion and kind, and objects that have an
    /// `apiVersion`, a `kind` and a `metadata.name`.
    pub fn from_json(text: &str) -> Result<Self, SnapshotError> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| SnapshotError::NotJson(e.to_string()))?;
        let found = value["apiVersion"].as_str().unwrap_or_default().to_string();
        if found != SNAPSHOT_API_VERSION {
            return Err(SnapshotError::WrongVersion { found });
        }
        if value["kind"] != SNAPSHOT_KIND {
            return Err(SnapshotError::WrongKind(value["kind"].to_string()));
        }
        let snapshot: Snapshot =
            serde_json::from_value(value).map_err(|e| SnapshotError::NotJson(e.to_string()))?;
        for (index, o) in snapshot.objects.iter().enumerate() {
            let missing = ["apiVersion", "kind"]
                .into_iter()
                .find(|f| o[*f].as_str().is_none_or(str::is_empty))
                .or_else(|| {
                    o["metadata"]["name"]
                        .as_str()
                        .is_none()
                        .then_some("metadata.name")
                });
            if let Some(field) = missing {
                return Err(SnapshotError::BadObject {
                    index,
                    message: format!("missing `{field}`"),
                });
            }
        }
        Ok(snapshot)
    }

    pub fn read(path: &Path) -> Result<Self, crate::state::StateError> {
        let text = std::fs::read_to_string(path).map_err(|e| crate::state::StateError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::from_json(&text).map_err(|e| crate::state::StateError::Snapshot {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    }

    /// Pretty JSON and a newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Writes the snapshot next to `path` and renames it into place, so a reader never sees
    /// half a file.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let tmp = path.with_extension("json.tmp");
        let written = (|| {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(self.to_json().as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&tmp, path)
        })();
        if written.is_err() {
            // Never leave a half-written file behind.
            let _ = std::fs::remove_file(&tmp);
        }
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_and_redacts_secrets() {
        let s = Snapshot::new(
            Some("https://127.0.0.1:6443".into()),
            Some("2026-11-26T12:00:00Z".into()),
            vec![
                json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "resourceVersion": "7"}, "data": {"k": "c2VjcmV0"}}),
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "plain"}}),
            ],
        );
        let text = s.to_json();
        assert!(!text.contains("c2VjcmV0"), "{text}");
        assert!(text.contains("\"plain\""));
        assert!(text.contains("\"takenAt\""));
        let back = Snapshot::from_json(&text).unwrap();
        assert_eq!(back, s);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        s.write(&path).unwrap();
        assert_eq!(Snapshot::read(&path).unwrap(), s);
    }

    #[test]
    fn other_documents_are_refused_with_a_reason() {
        assert!(matches!(
            Snapshot::from_json("{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": []}"),
            Err(SnapshotError::WrongVersion { .. })
        ));
        assert!(matches!(
            Snapshot::from_json("nope"),
            Err(SnapshotError::NotJson(_))
        ));
        let err = Snapshot::from_json(
            "{\"apiVersion\": \"kplan.dev/snapshot/v1\", \"kind\": \"Snapshot\", \"objects\": [{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\"}]}",
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "objects[0]: missing `metadata.name`");
    }
}
