use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::BootstrapError;
use super::fs::FILE_MODE;

/// Name of the lock file inside the data directory.
pub(super) const LOCK_FILE: &str = "lock";

/// An exclusive advisory lock on a data directory, held until dropped.
///
/// `flock` rather than a pid file: the kernel releases it when the process dies, however it
/// dies, so a crashed server never leaves a stale lock behind. The pid written into the file is
/// only for the error message of the server that finds the directory taken. The file is never
/// removed: unlinking it would let a third process lock a fresh inode while a second still
/// holds the old one.
#[derive(Debug)]
pub(super) struct DirLock {
    _file: File,
}

impl DirLock {
    pub(super) fn acquire(dir: &Path) -> Result<Self, BootstrapError> {
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(FILE_MODE)
            .open(&path)
            .map_err(|e| BootstrapError::io(&path, e))?;
        match try_lock(&file) {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(BootstrapError::Locked {
                    dir: dir.to_path_buf(),
                    pid: read_pid(&mut file),
                });
            }
            Err(TryLockError::Error(e)) => return Err(BootstrapError::io(&path, e)),
        }
        // Not fsynced: the pid is meaningless after a reboot anyway.
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| writeln!(file, "{}", std::process::id()))
            .map_err(|e| BootstrapError::io(&path, e))?;
        Ok(Self { _file: file })
    }
}

// `File::try_lock` (stable since 1.89, the crate's rust-version) rather than an `unsafe` flock.
fn try_lock(file: &File) -> Result<(), TryLockError> {
    file.try_lock()
}

/// The holder's pid, if it has written one yet (it may be between truncating and writing).
fn read_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_fails_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = DirLock::acquire(dir.path()).unwrap();
        match DirLock::acquire(dir.path()) {
            Err(BootstrapError::Locked { dir: locked, pid }) => {
                assert_eq!(locked, dir.path());
                assert_eq!(pid, Some(std::process::id()));
            }
            other => panic!("expected Locked, got {other:?}"),
        }
        drop(first);
        DirLock::acquire(dir.path()).unwrap();
    }

    #[test]
    fn garbage_in_the_lock_file_means_no_pid() {
        let dir = tempfile::tempdir().unwrap();
        let _first = DirLock::acquire(dir.path()).unwrap();
        std::fs::write(dir.path().join(LOCK_FILE), "not a pid").unwrap();
        match DirLock::acquire(dir.path()) {
            Err(BootstrapError::Locked { pid, .. }) => assert_eq!(pid, None),
            other => panic!("expected Locked, got {other:?}"),
        }
    }
}
