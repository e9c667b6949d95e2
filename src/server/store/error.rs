use thiserror::Error;

/// Why a store operation failed. The HTTP layer maps each variant to a Kubernetes `Status`
/// (409 AlreadyExists/Conflict, 404 NotFound, 410 Gone for `Compacted` and `TooSlow`, 500 for
/// the rest), so the variants follow etcd's outcomes rather than SQLite's.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StoreError {
    #[error("the object already exists")]
    AlreadyExists,
    #[error("the object does not exist")]
    NotFound,
    /// A create named a key that must be live when it commits (its namespace), and it is not.
    #[error("{0} does not exist")]
    RequiredMissing(String),
    #[error("the object has been modified; its current revision is {current}")]
    Conflict { current: i64 },
    #[error("the requested revision has been compacted; the oldest available is {compacted}")]
    Compacted { compacted: i64 },
    #[error("the watcher fell too far behind and must list again")]
    TooSlow,
    #[error("the store is closed")]
    Closed,
    /// SQLite or the file system failed (disk full, I/O error, cannot open the file).
    #[error("storage failure: {0}")]
    Sqlite(String),
    /// Data that the store itself wrote does not read back (or a value handed to it is not a
    /// JSON object): a bug or a damaged file, never a client mistake.
    #[error("corrupt data: {0}")]
    Corrupt(String),
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        StoreError::Sqlite(error.to_string())
    }
}
