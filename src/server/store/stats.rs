/// Counters of the writer, for metrics and for the tests that check group commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoreStats {
    /// The newest committed revision.
    pub revision: i64,
    /// Revisions at or below this one have been compacted.
    pub compacted: i64,
    /// Write transactions committed (each holds one or more writes).
    pub commits: u64,
    /// Writes committed (creates, updates and deletes that succeeded).
    pub writes: u64,
}
