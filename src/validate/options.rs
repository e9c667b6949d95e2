use crate::manifest::Limits;

/// What `kplan validate` checks and skips; resolved from flags by the CLI.
#[derive(Debug, Clone)]
pub struct ValidateOptions {
    /// Kinds with no schema anywhere are skipped instead of being errors.
    pub ignore_missing_schemas: bool,
    /// Documents without `apiVersion`/`kind` are skipped silently.
    pub ignore_non_k8s: bool,
    /// Kinds not to check, as `Kind` or `apiVersion/Kind` (`apps/v1/Deployment`).
    pub skip_kinds: Vec<String>,
    pub limits: Limits,
    /// Files larger than this are refused without being read.
    pub max_file_bytes: u64,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        Self {
            ignore_missing_schemas: false,
            ignore_non_k8s: false,
            skip_kinds: Vec::new(),
            limits: Limits::default(),
            max_file_bytes: 64 << 20,
        }
    }
}
