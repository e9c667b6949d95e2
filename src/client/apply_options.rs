/// How [`Client::apply`](super::Client::apply) sends a server-side apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Who owns the applied fields (`fieldManager`); `kplan` unless a test or a migration says
    /// otherwise.
    pub field_manager: String,
    /// Take ownership of fields other managers own with different values (kubectl's
    /// `--force-conflicts`) instead of failing with [`ClientError::Conflict`](super::ClientError).
    pub force: bool,
    /// `dryRun=All`: the server runs admission, defaulting and the merge, and answers with the
    /// object it would store, without storing it.
    pub dry_run: bool,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        Self {
            field_manager: "kplan".to_owned(),
            force: false,
            dry_run: false,
        }
    }
}
