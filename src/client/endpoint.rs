use std::fmt;
use std::path::PathBuf;

/// Which server a [`Client`](super::Client) talks to, and where that came from: named in every
/// error about reaching or authenticating to it, so a wrong context is obvious.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The kubeconfig files read, in merge order (several when `KUBECONFIG` lists several).
    pub kubeconfig: Vec<PathBuf>,
    /// The context used: the one asked for, else the kubeconfig's `current-context`.
    pub context: String,
    /// The API server URL of that context's cluster.
    pub server: String,
}

impl Endpoint {
    /// The kubeconfig files as one would write them in `KUBECONFIG`.
    pub fn kubeconfig_list(&self) -> String {
        paths_list(&self.kubeconfig)
    }
}

pub(super) fn paths_list(paths: &[PathBuf]) -> String {
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    shown.join(":")
}

impl fmt::Display for Endpoint {
    /// `https://127.0.0.1:6443 (context "kplan" in /home/me/.kube/config)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (context {:?} in {})",
            self.server,
            self.context,
            self.kubeconfig_list()
        )
    }
}
