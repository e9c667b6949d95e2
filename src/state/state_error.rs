use super::LoadError;

/// Why the current state could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{0}")]
    Load(#[from] LoadError),
    #[error("{path}: {message}")]
    Snapshot { path: String, message: String },
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    /// Reading the live cluster failed (the client's message names server and object).
    #[error("{0}")]
    Live(String),
    /// A source kplan knows about but cannot use yet (live cluster, release history).
    #[error("{0}")]
    NotAvailable(String),
    #[error("{key} is defined twice in the current state: {first} and {second}")]
    Duplicate {
        key: String,
        first: String,
        second: String,
    },
}
