use std::path::PathBuf;

/// Which kubeconfig and context a [`Client`](super::Client) uses; kubectl's `--kubeconfig` and
/// `--context`. Both unset: `KUBECONFIG`, else `~/.kube/config`, at its `current-context`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectOptions {
    /// Read this file only (no `KUBECONFIG` merging), as `kubectl --kubeconfig` does.
    pub kubeconfig: Option<PathBuf>,
    /// Use this context instead of the kubeconfig's `current-context`.
    pub context: Option<String>,
}
