use std::io;
use std::path::PathBuf;

/// Why the data directory could not be prepared. Every message names the file or directory and
/// says what to do, because these surface as the only output of a failed `kplan serve`.
#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    #[error(
        "data directory {} is in use by another kplan server{}; stop that server first, or \
         start this one with a different data directory",
        .dir.display(),
        pid_note(*.pid)
    )]
    Locked { dir: PathBuf, pid: Option<u32> },

    #[error(
        "{}: {source}; check that the data directory exists, belongs to this user and is \
         writable, and that the disk is not full",
        .path.display()
    )]
    Io { path: PathBuf, source: io::Error },

    #[error("{0}")]
    Certificate(String),

    #[error("{0}")]
    Tls(String),

    /// The kubeconfig would point kubectl somewhere it cannot authenticate: client-go sends
    /// the bearer token only over TLS (kubectl-wire §2).
    #[error("cannot write a kubeconfig for server URL `{url}`: {reason}")]
    ServerUrl { url: String, reason: &'static str },
}

impl BootstrapError {
    pub(super) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}

fn pid_note(pid: Option<u32>) -> String {
    pid.map_or_else(String::new, |pid| format!(" (pid {pid})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locked_message_names_dir_pid_and_remedy() {
        let err = BootstrapError::Locked {
            dir: PathBuf::from("/var/lib/kplan"),
            pid: Some(4242),
        };
        let msg = err.to_string();
        assert!(msg.contains("/var/lib/kplan"), "{msg}");
        assert!(msg.contains("pid 4242"), "{msg}");
        assert!(msg.contains("different data directory"), "{msg}");

        let no_pid = BootstrapError::Locked {
            dir: PathBuf::from("/d"),
            pid: None,
        }
        .to_string();
        assert!(!no_pid.contains("pid"), "{no_pid}");
    }
}
