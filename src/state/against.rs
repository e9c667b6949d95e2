use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::{
    LoadOptions, ManifestSource, SNAPSHOT_API_VERSION, SnapshotSource, StateError, StateSource,
};

/// What `--against` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Against {
    /// The objects on the target API server.
    Live,
    /// The desired state recorded by the last (`None`) or N-th `kplan apply` of the release.
    Release(Option<u32>),
    /// A directory or file of manifests, or a snapshot file. `./live` is a directory named live.
    Path(PathBuf),
}

impl FromStr for Against {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "live" {
            return Ok(Against::Live);
        }
        if s == "release" {
            return Ok(Against::Release(None));
        }
        if let Some(n) = s.strip_prefix("release:") {
            return n
                .parse::<u32>()
                .map(|n| Against::Release(Some(n)))
                .map_err(|_| {
                    format!(
                        "`{s}`: the release number must be a positive integer, as in `release:3`"
                    )
                });
        }
        if s.is_empty() {
            return Err("an empty path".into());
        }
        Ok(Against::Path(PathBuf::from(s)))
    }
}

/// Opens the source `against` names. The live cluster and release history are other issues'
/// work: until they land these are clear errors, never a made-up state.
pub fn open_source(
    against: &Against,
    options: LoadOptions,
) -> Result<Box<dyn StateSource>, StateError> {
    match against {
        Against::Live => Err(StateError::NotAvailable(
            "`--against live` is not available yet: this build cannot read a cluster. Compare with a directory or file of manifests, or a snapshot file (`--against base/`, `--against snapshot.json`)".into(),
        )),
        Against::Release(_) => Err(StateError::NotAvailable(
            "`--against release` is not available yet: release history is recorded by `kplan apply`, which this build does not have. Compare with a directory, a manifest file or a snapshot file".into(),
        )),
        Against::Path(path) => {
            if is_snapshot(path) {
                Ok(Box::new(SnapshotSource::open(path)?))
            } else {
                Ok(Box::new(ManifestSource::open(path, options)?))
            }
        }
    }
}

/// A `.json` file whose `apiVersion` is a kplan snapshot's. Only the start of the file is
/// looked at; the real parse reports any problem.
fn is_snapshot(path: &Path) -> bool {
    use std::io::Read as _;
    if !path.is_file() {
        return false;
    }
    let mut head = Vec::with_capacity(4096);
    let read = std::fs::File::open(path).and_then(|f| f.take(4096).read_to_end(&mut head));
    if read.is_err() {
        return false;
    }
    let text = String::from_utf8_lossy(&head);
    text.trim_start().starts_with('{')
        && text.contains(SNAPSHOT_API_VERSION.rsplit_once('/').map_or("", |(p, _)| p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_and_release_are_named_sources_and_everything_else_a_path() {
        assert_eq!("live".parse::<Against>(), Ok(Against::Live));
        assert_eq!("release".parse::<Against>(), Ok(Against::Release(None)));
        assert_eq!(
            "release:3".parse::<Against>(),
            Ok(Against::Release(Some(3)))
        );
        assert!("release:x".parse::<Against>().is_err());
        assert_eq!(
            "./live".parse::<Against>(),
            Ok(Against::Path(PathBuf::from("./live")))
        );
    }

    #[test]
    fn unavailable_sources_say_so_instead_of_pretending() {
        for a in [Against::Live, Against::Release(Some(2))] {
            let Err(e) = open_source(&a, LoadOptions::default()) else {
                panic!("{a:?} opened")
            };
            assert!(e.to_string().contains("not available yet"), "{e}");
        }
    }
}
