use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const AFTER_HELP: &str = "\
Exit status:
  0  success: every resource valid (or skipped)
  1  findings: a resource is invalid or could not be checked
  2  usage error: bad flags, unknown Kubernetes version
  3  changes (diff/plan with --detailed-exitcode)";

/// Validate, diff, plan and apply Kubernetes manifests.
#[derive(Debug, Parser)]
#[command(name = "kplan", version, about, after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// When to colour output: auto (a terminal, unless NO_COLOR is set), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour standard output: `auto` means a terminal without `NO_COLOR` set.
    pub fn on_stdout(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::IsTerminal::is_terminal(&std::io::stdout())
            }
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate manifests against the bundled Kubernetes schemas and CRDs, offline.
    #[command(after_help = AFTER_HELP)]
    Validate(ValidateArgs),
    /// Run the bundled control plane: a Kubernetes API over HTTPS, stored in SQLite.
    #[command(after_help = SERVE_HELP)]
    Serve(ServeArgs),
    /// Show what would change: the manifests against a current state, as unified YAML diffs.
    #[command(after_help = CHANGES_HELP)]
    Diff(DiffArgs),
    /// Plan the changes: actions in apply order with reasons, diffs, rollouts and warnings.
    #[command(after_help = CHANGES_HELP)]
    Plan(PlanArgs),
    /// Apply manifests (or a saved plan) to the bundled plane or a cluster: plan, server-side
    /// apply in order, wait for rollouts, record the release; `--rollback` makes it atomic.
    Apply(super::release_args::ApplyArgs),
    /// Return a release to an earlier revision (default: the last deployed one).
    Rollback(super::release_args::RollbackArgs),
    /// List a release's revisions on the target (bundled plane or cluster).
    History(super::release_args::HistoryArgs),
    /// Save the live state of the objects some manifests name (or of whole namespaces) as one
    /// file, for `kplan diff|plan --against FILE` without access to the target.
    #[command(after_help = SNAPSHOT_HELP)]
    Snapshot(super::release_args::SnapshotArgs),
}

const SNAPSHOT_HELP: &str = "\
Examples:
  kplan snapshot k8s/ -o snap.json               # the objects k8s/ names, as they are live
  kplan diff k8s/ --against snap.json            # later, or in a job with no cluster access
  kplan snapshot -n shop -o shop.json            # every ConfigMap, Deployment … of a namespace
  kplan snapshot -A -o cluster.json              # of every namespace but the kube-* ones

Secret values are stored as salted digests, never in clear: a diff can still tell a changed
Secret from an unchanged one.

Exit status:
  0  saved
  1  error: unreadable manifests, an unreachable target, a file that cannot be written
  2  usage error";

const CHANGES_HELP: &str = "\
Examples:
  kplan diff k8s/ --against base/k8s/            # PR CI: the base branch's checkout
  kplan plan k8s/ --against snapshot.json -o markdown > plan.md
  kplan plan k8s/ --against base/k8s/ --prune --out plan.json

Exit status:
  0  success (with --detailed-exitcode: no changes)
  1  error: unreadable manifests or current state, an unavailable source
  2  usage error
  3  changes (with --detailed-exitcode)";

#[derive(Debug, Args)]
#[allow(clippy::struct_excessive_bools)] // command-line switches are booleans by nature
pub struct DiffArgs {
    /// Manifests: files or directories (searched recursively for .yaml, .yml, .json); `-` reads
    /// stdin.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// More manifests, kubectl-style.
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub filenames: Vec<PathBuf>,

    /// The current state: `live` (the default: the target's objects), `release[:N]` (what the
    /// last or N-th `kplan apply` of the release recorded), a directory or file of manifests
    /// (e.g. the base branch's), or a snapshot file (`kplan snapshot`).
    #[arg(long, value_name = "live|release[:N]|DIR|FILE|SNAPSHOT")]
    pub against: Option<String>,

    /// Kubeconfig of the target for `live`/`release` (else `KUBECONFIG`; without either, the
    /// bundled plane of `--data-dir`).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,

    /// Kubeconfig context (`--context` here is the number of diff context lines).
    #[arg(long, value_name = "NAME")]
    pub kube_context: Option<String>,

    /// The bundled plane's data directory.
    #[arg(
        long,
        value_name = "DIR",
        default_value = ".kplan",
        env = "KPLAN_DATA_DIR"
    )]
    pub data_dir: PathBuf,

    /// Release whose members are prune candidates and whose history `release[:N]` reads
    /// (default: the manifest directory's name).
    #[arg(long, value_name = "NAME")]
    pub release: Option<String>,

    /// Namespace of the release's records.
    #[arg(
        long = "release-namespace",
        value_name = "NS",
        default_value = "default"
    )]
    pub release_namespace: String,

    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = ChangesFormat::Text)]
    pub output: ChangesFormat,

    /// Exit 3 when there are changes (0 when there are none, 1 on errors).
    #[arg(long)]
    pub detailed_exitcode: bool,

    /// Delete objects of the current state that are not in the manifests.
    #[arg(long)]
    pub prune: bool,

    /// Leave a field out of the comparison: a JSON pointer, optionally for one kind
    /// (`/metadata/labels/team`, `Deployment:/spec/replicas`, `*` matches any key or item).
    #[arg(long, value_name = "[KIND:]POINTER")]
    pub ignore: Vec<String>,

    /// Show Secret values (base64) instead of `***` markers.
    #[arg(long)]
    pub show_secrets: bool,

    /// Unchanged lines shown around each change.
    #[arg(short = 'C', long, value_name = "N", default_value_t = 3)]
    pub context: usize,

    /// Namespace of namespaced objects that do not set one (default: the kubeconfig
    /// context's namespace against a live target, else `default`).
    #[arg(short = 'n', long, value_name = "NS")]
    pub namespace: Option<String>,

    /// Kubernetes version whose schemas describe built-in kinds (MAJOR.MINOR); default: the
    /// newest bundled.
    #[arg(
        short = 'k',
        long,
        value_name = "X.Y",
        env = "KPLAN_KUBERNETES_VERSION"
    )]
    pub kubernetes_version: Option<String>,

    /// Skip documents that are not Kubernetes objects (no apiVersion/kind), on both sides.
    #[arg(long)]
    pub ignore_non_k8s: bool,

    /// Largest manifest file read, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 64)]
    pub max_file_size: u64,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub diff: DiffArgs,

    /// Save the plan (`kplan.dev/plan/v1` JSON) for `kplan apply`. Secret values are stored
    /// as salted digests, never in clear.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Plan a return to an earlier revision of the release instead of the manifests: the last
    /// deployed one before the current, or revision N (`--rollback=N`). Against the live
    /// target; objects created since are deleted.
    #[arg(long, value_name = "N", num_args = 0..=1, require_equals = true, default_missing_value = "0")]
    pub rollback: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ChangesFormat {
    Text,
    Markdown,
    Json,
}

const SERVE_HELP: &str = "\
Then: KUBECONFIG=<data-dir>/kubeconfig kubectl get all
Exit status: 0 after a clean shutdown (SIGINT/SIGTERM), 1 if the server failed, 2 usage error.";

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where the database, certificates, token and kubeconfig live.
    #[arg(
        long,
        value_name = "DIR",
        default_value = ".kplan",
        env = "KPLAN_DATA_DIR"
    )]
    pub data_dir: PathBuf,

    /// Address to listen on (port 0 picks a free port, printed at start). Only loopback unless
    /// given explicitly.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:6443")]
    pub listen: std::net::SocketAddr,

    /// Kubernetes version to emulate (MAJOR.MINOR); default: the newest bundled.
    #[arg(long, value_name = "X.Y")]
    pub kubernetes_version: Option<String>,

    /// Log one line per request on stderr (method, path, status, duration).
    #[arg(short = 'v', long)]
    pub verbose: bool,

    /// Simulated time from pod creation to Ready (e.g. `0`, `500ms`, `2s`).
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = super::duration::parse_duration)]
    pub pod_ready_delay: std::time::Duration,

    /// Simulated run time of a Job's pod before it succeeds.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = super::duration::parse_duration)]
    pub job_duration: std::time::Duration,

    /// Simulated seconds per real second: compresses pod start, minReadySeconds and progress
    /// deadlines (e.g. 10 makes a 600 s deadline pass in a minute).
    #[arg(long, value_name = "FACTOR", default_value_t = 1.0, value_parser = parse_speed)]
    pub speed: f64,

    /// Number of simulated nodes (`kplan-node-1` …).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub nodes: u32,

    /// Pods with a container image matching this glob crash-loop (repeatable), e.g.
    /// `--fail-image '*:broken'`. Per pod template: annotation
    /// `kplan.dev/simulate: crashloop|never-ready|fail|ok`.
    #[arg(long, value_name = "GLOB")]
    pub fail_image: Vec<String>,

    /// Run only the API: no simulated controllers, nodes or pod lifecycle.
    #[arg(long)]
    pub no_controllers: bool,
}

fn parse_speed(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("`{s}` is not a positive number")),
    }
}

#[derive(Debug, Args)]
#[allow(clippy::struct_excessive_bools)] // command-line switches are booleans by nature
pub struct ValidateArgs {
    /// Files or directories (searched recursively for .yaml, .yml, .json); `-` reads stdin.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// More files or directories, kubectl-style.
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub filenames: Vec<PathBuf>,

    /// Kubernetes version to validate against (MAJOR.MINOR); default: the newest bundled.
    #[arg(
        short = 'k',
        long,
        value_name = "X.Y",
        env = "KPLAN_KUBERNETES_VERSION"
    )]
    pub kubernetes_version: Option<String>,

    /// Reject unknown fields, as the API server's strict field validation does.
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set,
          num_args = 0..=1, default_missing_value = "true")]
    pub strict: bool,

    /// Skip documents that are not Kubernetes objects (no apiVersion/kind) silently.
    #[arg(long)]
    pub ignore_non_k8s: bool,

    /// Skip resources whose kind has no schema instead of reporting an error.
    #[arg(long)]
    pub ignore_missing_schemas: bool,

    /// CustomResourceDefinition files or directories whose schemas validate custom resources.
    #[arg(long, value_name = "FILE|DIR")]
    pub crd: Vec<PathBuf>,

    /// Extra schema source, kubeconform-style: a directory, a path template or an https URL
    /// template (`{{ .ResourceKind }}`, `{{ .ResourceAPIVersion }}`, `{{ .Group }}`,
    /// `{{ .KindSuffix }}`, `{{ .NormalizedKubernetesVersion }}`, `{{ .StrictSuffix }}`).
    #[arg(long, value_name = "DIR|TEMPLATE")]
    pub schema_location: Vec<String>,

    /// Where schemas fetched from URLs are cached (default: the user cache directory).
    #[arg(long, value_name = "DIR", env = "KPLAN_SCHEMA_CACHE")]
    pub schema_cache: Option<PathBuf>,

    /// Allow plain-http schema locations (https only by default).
    #[arg(long)]
    pub allow_http_schemas: bool,

    /// Kinds not to validate, comma-separated: `Kind` or `apiVersion/Kind`.
    #[arg(long, value_name = "KINDS", value_delimiter = ',')]
    pub skip: Vec<String>,

    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,

    /// Print a summary line (text output).
    #[arg(long)]
    pub summary: bool,

    /// Also list valid and skipped resources (text output).
    #[arg(short = 'v', long)]
    pub verbose: bool,

    /// Files processed in parallel; default: all cores.
    #[arg(short = 'j', long, value_name = "N")]
    pub jobs: Option<usize>,

    /// Largest manifest file read, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 64)]
    pub max_file_size: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    Junit,
    Sarif,
    Github,
}
