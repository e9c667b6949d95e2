//! Flags of the commands that talk to a target: `apply`, `rollback`, `history`, `snapshot`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// Where to apply: a cluster from a kubeconfig, or the bundled plane of a data directory.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// Kubeconfig of the target cluster (else `KUBECONFIG`; without either, the bundled plane).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context to use.
    #[arg(long, visible_alias = "kube-context", value_name = "NAME")]
    pub context: Option<String>,
    /// The bundled plane's data directory: a running `kplan serve` there is used, else the
    /// plane is started inside this command.
    #[arg(
        long,
        value_name = "DIR",
        default_value = ".kplan",
        env = "KPLAN_DATA_DIR"
    )]
    pub data_dir: PathBuf,
}

/// Which release, and where its records live.
#[derive(Debug, Clone, Args)]
pub struct ReleaseArgs {
    /// Release name (default: the manifest directory's name, else the current directory's).
    #[arg(long, value_name = "NAME")]
    pub release: Option<String>,
    /// Namespace of the release's records (history Secrets and ApplySet parent).
    #[arg(
        long = "release-namespace",
        value_name = "NS",
        default_value = "default"
    )]
    pub release_namespace: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HistoryFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub release: ReleaseArgs,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = HistoryFormat::Text)]
    pub output: HistoryFormat,
    /// A manifest directory, only to name the release after it.
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub release: ReleaseArgs,
    /// The revision to return to (default: the last deployed one before the current).
    #[arg(long, value_name = "N")]
    pub to_revision: Option<u32>,
    /// Wait for the restored workloads to roll out (`--wait=false` to skip).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub wait: bool,
    /// How long to wait for rollouts.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = super::duration::parse_duration)]
    pub timeout: std::time::Duration,
    /// Take ownership of fields other managers own.
    #[arg(long)]
    pub force_conflicts: bool,
    /// Keep at most this many revisions.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub history_max: usize,
    /// A manifest directory, only to name the release after it.
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
}

/// The release name: `--release`, else the directory's name (a file's directory), else the
/// current directory's.
pub fn release_name(flag: Option<&str>, path: Option<&std::path::Path>) -> String {
    if let Some(name) = flag {
        return name.to_string();
    }
    let dir = path
        .map(|p| {
            if p.is_file() {
                p.parent()
                    .map(std::path::Path::to_path_buf)
                    .unwrap_or_default()
            } else {
                p.to_path_buf()
            }
        })
        .and_then(|p| std::fs::canonicalize(p).ok())
        .or_else(|| std::env::current_dir().ok());
    let raw = dir
        .as_deref()
        .and_then(std::path::Path::file_name)
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    // A DNS label: what Secret names and label values accept.
    let cleaned: String = raw
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let trimmed = cleaned.trim_matches('-');
    if trimmed.is_empty() {
        "release".to_string()
    } else {
        trimmed.chars().take(53).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::release_name;

    #[test]
    fn releases_are_named_after_their_directory() {
        assert_eq!(release_name(Some("shop"), None), "shop");
        let dir = tempfile::tempdir().unwrap();
        let app = dir.path().join("Flask_App");
        std::fs::create_dir(&app).unwrap();
        std::fs::write(app.join("d.yaml"), "").unwrap();
        assert_eq!(release_name(None, Some(&app)), "flask-app");
        assert_eq!(release_name(None, Some(&app.join("d.yaml"))), "flask-app");
    }
}

#[derive(Debug, Args)]
#[allow(clippy::struct_excessive_bools)] // command-line switches are booleans by nature
pub struct ApplyArgs {
    /// Manifest files or directories — or one saved plan (`kplan plan --out plan.json`),
    /// applied exactly as planned.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub target: TargetArgs,
    #[command(flatten)]
    pub release: ReleaseArgs,
    /// Delete objects of this release that are no longer in the manifests.
    #[arg(long)]
    pub prune: bool,
    /// Ask the server to check every write without making it (`dryRun=All`).
    #[arg(long)]
    pub dry_run: bool,
    /// Take ownership of fields other field managers own.
    #[arg(long)]
    pub force_conflicts: bool,
    /// Wait for every applied workload to roll out (`--wait=false` to skip).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub wait: bool,
    /// How long to wait for rollouts.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = super::duration::parse_duration)]
    pub timeout: std::time::Duration,
    /// Atomic release: if anything fails, restore the previous deployed revision of every
    /// object touched, wait for it, mark the revision failed, exit 1.
    #[arg(long)]
    pub rollback: bool,
    /// Keep at most this many revisions.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub history_max: usize,
    /// Concurrent writes within one ordering stage.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub parallelism: usize,
    /// Where namespaced objects without a namespace go (default: the context's namespace).
    #[arg(short = 'n', long, value_name = "NS")]
    pub namespace: Option<String>,
    /// Lines of context in the plan's diffs.
    #[arg(
        short = 'C',
        long = "diff-context",
        value_name = "N",
        default_value_t = 3
    )]
    pub diff_context: usize,
    /// Show Secret values in the plan's diffs.
    #[arg(long)]
    pub show_secrets: bool,
    /// Description recorded with the revision.
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Manifest files or directories: the objects they name are saved (read as `kplan diff
    /// --against live` reads them). Without any, `--namespace` or `--all-namespaces` says what
    /// to save.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// More manifests, kubectl-style.
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub filenames: Vec<PathBuf>,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Where to write the snapshot (replaced whole, never half-written); `-` or none: stdout.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// With manifests: the namespace of namespaced objects that set none (default: the
    /// context's). Without: save every object of the common built-in kinds in this namespace.
    #[arg(short = 'n', long, value_name = "NS")]
    pub namespace: Option<String>,
    /// Without manifests: save every object of the common built-in kinds in every namespace
    /// except kube-system, kube-public and kube-node-lease.
    #[arg(
        short = 'A',
        long,
        conflicts_with_all = ["paths", "filenames", "namespace"]
    )]
    pub all_namespaces: bool,
    /// Skip documents that are not Kubernetes objects (no apiVersion/kind).
    #[arg(long)]
    pub ignore_non_k8s: bool,
    /// Largest manifest file read, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 64)]
    pub max_file_size: u64,
}
