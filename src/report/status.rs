use serde::Serialize;

/// The verdict on one resource, as in kubeconform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Checked, no error finding.
    Valid,
    /// Checked, at least one error finding.
    Invalid,
    /// Could not be checked: unreadable file, YAML syntax error, no schema, not a Kubernetes object.
    Error,
    /// Deliberately not checked (`--skip`, `--ignore-missing-schemas`, `--ignore-non-k8s`).
    Skipped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Invalid => "invalid",
            Status::Error => "error",
            Status::Skipped => "skipped",
        }
    }
}
