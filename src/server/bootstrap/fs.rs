//! File primitives for the data directory: crash-safe replacement and owner-only modes.

use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::BootstrapError;

/// Mode of every file kplan writes into the data directory: the key, the token and the
/// kubeconfig are secrets, and the certificates gain nothing from being world-readable.
pub(super) const FILE_MODE: u32 = 0o600;

/// Replaces `dir/name` with `bytes` so that a crash leaves either the old or the new content,
/// never a torn file: write a temporary sibling, fsync it, rename it over the target. The
/// rename itself becomes durable only with [`sync_dir`], which callers run once after a batch
/// of writes rather than once per file.
pub(super) fn write_atomic(
    dir: &Path,
    name: &str,
    bytes: &[u8],
) -> Result<PathBuf, BootstrapError> {
    let target = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp"));
    // A leftover from a crash may carry other permissions; the mode below applies only to a
    // newly created file, so start from nothing.
    match fs::remove_file(&tmp) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(BootstrapError::io(&tmp, e)),
    }
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(&tmp)
        .map_err(|e| BootstrapError::io(&tmp, e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| BootstrapError::io(&tmp, e))?;
    drop(file);
    fs::rename(&tmp, &target).map_err(|e| BootstrapError::io(&target, e))?;
    Ok(target)
}

/// Makes the renames done in `dir` durable.
pub(super) fn sync_dir(dir: &Path) -> Result<(), BootstrapError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| BootstrapError::io(dir, e))
}

/// The file's bytes, or `None` if it does not exist. Other errors (permissions) are reported
/// rather than treated as absence, so that a misconfigured directory is not silently re-keyed.
pub(super) fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, BootstrapError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(BootstrapError::io(path, e)),
    }
}

/// Drops group and other access from a file kplan reuses; it may have been copied in or
/// restored from a backup with a looser mode.
pub(super) fn restrict_to_owner(path: &Path) -> Result<(), BootstrapError> {
    let mode = fs::metadata(path)
        .map_err(|e| BootstrapError::io(path, e))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        fs::set_permissions(path, Permissions::from_mode(mode & 0o700))
            .map_err(|e| BootstrapError::io(path, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_replaces_content_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        write_atomic(dir.path(), "f", b"one").unwrap();
        let path = write_atomic(dir.path(), "f", b"two").unwrap();
        sync_dir(dir.path()).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            FILE_MODE
        );
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["f"]);
    }

    #[test]
    fn write_atomic_survives_a_stale_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let stale = dir.path().join(".f.tmp");
        fs::write(&stale, b"half-written").unwrap();
        fs::set_permissions(&stale, Permissions::from_mode(0o644)).unwrap();
        let path = write_atomic(dir.path(), "f", b"whole").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"whole");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            FILE_MODE
        );
    }

    #[test]
    fn restrict_to_owner_tightens_loose_modes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        fs::write(&path, b"x").unwrap();
        fs::set_permissions(&path, Permissions::from_mode(0o644)).unwrap();
        restrict_to_owner(&path).unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    #[test]
    fn read_optional_distinguishes_absence() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_optional(&dir.path().join("nope")).unwrap().is_none());
    }
}
