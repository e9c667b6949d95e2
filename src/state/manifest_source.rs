use std::path::{Path, PathBuf};

use super::object_set::{HeldObject, answer};
use super::{
    CurrentState, FetchRequest, LoadOptions, SourceInfo, StateError, StateSource, load_manifests,
};

/// A directory or file of manifests as the current state: the base branch's checkout in PR
/// CI. Objects carry no resourceVersion unless the files do.
pub struct ManifestSource {
    location: PathBuf,
    is_dir: bool,
    held: Vec<HeldObject>,
}

impl ManifestSource {
    /// Reads every manifest under `path` now, so that bad files fail before any planning.
    pub fn open(path: &Path, options: LoadOptions) -> Result<Self, StateError> {
        let set = load_manifests(&[path.to_path_buf()], options)?;
        Ok(Self {
            location: path.to_path_buf(),
            is_dir: path.is_dir(),
            held: set
                .docs
                .into_iter()
                .map(|d| HeldObject {
                    object: d.object,
                    origin: Some(d.origin),
                })
                .collect(),
        })
    }
}

impl StateSource for ManifestSource {
    fn info(&self) -> SourceInfo {
        SourceInfo {
            kind: if self.is_dir { "directory" } else { "file" },
            location: self.location.display().to_string(),
            server: None,
            taken_at: None,
        }
    }

    fn fetch(&self, request: &FetchRequest<'_>) -> Result<CurrentState, StateError> {
        answer(&self.held, request)
    }
}
