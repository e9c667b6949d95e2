//! The harness every CLI test uses: a temporary directory builder, one way to run the real
//! `kplan` binary, and typed access to `-o json` output.
//!
//! Two invariants are checked on *every* run, so no test can forget them:
//! - any `-o json` output is validated against `docs/output.schema.json` (the versioned
//!   contract), and must be one pretty-printed object ending in a newline;
//! - exit status 2 (usage error) writes nothing to stdout, as `docs/output.md` promises.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use predicates::Predicate;
use serde::Deserialize;

/// The crate root: the working directory for runs that use the repository's own files.
pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Longest any single run may take before it is killed. Generous on purpose: it only turns a
/// hang into a failure. Tests that are about speed assert their own, tighter bound.
const HANG_TIMEOUT: Duration = Duration::from_secs(30);

/// Environment variables kplan reads; removed so a developer's shell cannot change results.
const KPLAN_ENV: [&str; 7] = [
    "KPLAN_KUBERNETES_VERSION",
    "KPLAN_SCHEMA_CACHE",
    "NO_COLOR",
    "CLICOLOR_FORCE",
    "XDG_CACHE_HOME",
    // A developer's cluster must never be the target of a test: without these, commands
    // that need one use the bundled plane of the test's own data directory.
    "KUBECONFIG",
    "KPLAN_DATA_DIR",
];

static OUTPUT_SCHEMA: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../docs/output.schema.json"))
            .expect("docs/output.schema.json is JSON");
    jsonschema::validator_for(&schema).expect("docs/output.schema.json is a valid JSON Schema")
});

/// The contract of `kplan diff -o json` and `kplan plan -o json`.
static PLAN_OUTPUT_SCHEMA: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../docs/plan-output.schema.json"))
            .expect("docs/plan-output.schema.json is JSON");
    jsonschema::validator_for(&schema).expect("docs/plan-output.schema.json is a valid JSON Schema")
});

/// `kplan history -o json`.
static HISTORY_SCHEMA: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../docs/history.schema.json"))
            .expect("docs/history.schema.json is JSON");
    jsonschema::validator_for(&schema).expect("docs/history.schema.json is a valid JSON Schema")
});

/// The saved plan file (`kplan plan --out`).
pub static PLAN_FILE_SCHEMA: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../../docs/plan-file.schema.json"))
            .expect("docs/plan-file.schema.json is JSON");
    jsonschema::validator_for(&schema).expect("docs/plan-file.schema.json is a valid JSON Schema")
});

/// What one run of the binary did.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Output {
    /// Panics with both streams when the exit code is not `code`.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "unexpected exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn expect_stderr(&self, predicate: &impl Predicate<str>) -> &Self {
        assert!(
            predicate.eval(&self.stderr),
            "stderr does not match {predicate}\n--- stderr\n{}",
            self.stderr
        );
        self
    }
}

/// Runs `kplan ARGS` in the crate root.
pub fn run<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    exec(Path::new(ROOT), args, None)
}

/// Runs `kplan ARGS -o json` in the crate root; the output is schema-checked and parsed.
pub fn json<I, S>(args: I) -> Report
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Report::from(run(with_json(args)))
}

/// Runs the binary in `dir`. All runs go through here, so the invariants above always hold:
/// `-o json` of `diff` and `plan` is checked against `docs/plan-output.schema.json`, of every
/// other command against `docs/output.schema.json`.
fn exec<I, S>(dir: &Path, args: I, stdin: Option<&[u8]>) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let mut cmd = assert_cmd::Command::cargo_bin("kplan").expect("the kplan binary is built");
    cmd.current_dir(dir).args(&args).timeout(HANG_TIMEOUT);
    for var in KPLAN_ENV {
        cmd.env_remove(var);
    }
    // Without stdin input, give it an empty one rather than the test runner's.
    cmd.write_stdin(stdin.unwrap_or_default().to_vec());
    let start = Instant::now();
    let out = cmd.output().expect("kplan runs");
    let elapsed = start.elapsed();
    let Some(code) = out.status.code() else {
        panic!(
            "kplan {args:?} did not exit normally (killed after {elapsed:?}?)\n--- stderr\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let out = Output {
        code,
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
        elapsed,
    };
    if out.code == 2 {
        assert_eq!(out.stdout, "", "a usage error writes nothing to stdout");
    } else if asks_for_json(&args) {
        let command = args.first().map(|a| a.to_string_lossy().into_owned());
        if matches!(command.as_deref(), Some("diff" | "plan")) {
            check_against(
                &PLAN_OUTPUT_SCHEMA,
                "docs/plan-output.schema.json",
                &out.stdout,
            );
        } else if command.as_deref() == Some("history") {
            check_against(&HISTORY_SCHEMA, "docs/history.schema.json", &out.stdout);
        } else {
            check_json_contract(&out.stdout);
        }
    }
    out
}

fn with_json<I, S>(args: I) -> Vec<std::ffi::OsString>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut all: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    all.extend(["-o".into(), "json".into()]);
    all
}

/// Whether the command line selects JSON output, in any of clap's spellings.
fn asks_for_json(args: &[std::ffi::OsString]) -> bool {
    let args: Vec<_> = args.iter().map(|a| a.to_string_lossy()).collect();
    args.windows(2)
        .any(|w| matches!(w[0].as_ref(), "-o" | "--output") && w[1] == "json")
        || args
            .iter()
            .any(|a| matches!(a.as_ref(), "-ojson" | "--output=json" | "-o=json"))
}

/// The JSON contract: one pretty-printed object and a newline, valid against the schema.
#[track_caller]
pub fn check_json_contract(stdout: &str) {
    check_against(&OUTPUT_SCHEMA, "docs/output.schema.json", stdout);
}

/// `text` is one pretty-printed JSON object and a newline, valid against `schema`.
#[track_caller]
pub fn check_against(schema: &jsonschema::Validator, name: &str, stdout: &str) {
    let value: serde_json::Value = serde_json::from_str(stdout)
        .unwrap_or_else(|e| panic!("-o json is not JSON ({e})\n--- stdout\n{stdout}"));
    assert!(stdout.ends_with("}\n"), "-o json ends with a newline");
    assert!(stdout.starts_with("{\n"), "-o json is pretty-printed");
    let errors: Vec<String> = schema
        .iter_errors(&value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "output breaks {name}:\n{}\n--- stdout\n{stdout}",
        errors.join("\n")
    );
}

/// A temporary directory of input files; runs started from it use paths relative to it, so
/// output names files as `a.yaml`, not by their temporary absolute path.
pub struct Dir {
    tmp: tempfile::TempDir,
}

impl Dir {
    pub fn new() -> Self {
        Self {
            tmp: tempfile::Builder::new()
                .prefix("kplan-test-")
                .tempdir()
                .expect("temp dir"),
        }
    }

    /// Adds a file (parent directories are created).
    pub fn file(self, name: &str, contents: impl AsRef<[u8]>) -> Self {
        let path = self.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent directories");
        }
        std::fs::write(&path, contents).expect("write test file");
        self
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.path().join(name)
    }

    /// Runs `kplan ARGS` with this directory as the working directory.
    pub fn run<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        exec(self.path(), args, None)
    }

    /// Like [`Dir::run`], with `stdin` as standard input.
    pub fn run_stdin<I, S>(&self, args: I, stdin: &[u8]) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        exec(self.path(), args, Some(stdin))
    }

    /// Runs `kplan ARGS -o json` here; the output is schema-checked and parsed.
    pub fn json<I, S>(&self, args: I) -> Report
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        Report::from(self.run(with_json(args)))
    }

    /// Replaces this directory's path (as given and canonical) with `[TMP]`: the snapshot
    /// filter for anything that prints an absolute temporary path.
    pub fn filter(&self, text: &str) -> String {
        let mut out = text.to_string();
        let canonical = self.path().canonicalize().expect("canonical temp path");
        for p in [canonical.as_path(), self.path()] {
            out = out.replace(&p.display().to_string(), "[TMP]");
        }
        out
    }
}

/// Normalizes things that change between builds but say nothing about behaviour.
pub fn filter_version(text: &str) -> String {
    text.replace(
        &format!("\"{}\"", env!("CARGO_PKG_VERSION")),
        "\"[VERSION]\"",
    )
}

/// `-o json`, parsed into the contract's shape (unknown fields would already have failed the
/// schema check).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JsonOutput {
    pub version: u32,
    pub kubernetes_version: String,
    pub summary: Summary,
    pub resources: Vec<Resource>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct Summary {
    pub resources: usize,
    pub files: usize,
    pub valid: usize,
    pub invalid: usize,
    pub errors: usize,
    pub skipped: usize,
    pub warnings: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub api_version: Option<String>,
    pub kind: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub status: String,
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub code: String,
    pub rule: String,
    pub severity: String,
    pub message: String,
    pub path: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub end_line: Option<u32>,
    pub end_column: Option<u32>,
    pub hint: Option<String>,
}

impl Finding {
    /// `(line, column)`, panicking if the finding has no position.
    #[track_caller]
    pub fn at(&self) -> (u32, u32) {
        (
            self.line.expect("finding has a line"),
            self.column.expect("finding has a column"),
        )
    }

    pub fn hint(&self) -> &str {
        self.hint.as_deref().unwrap_or("")
    }
}

/// A JSON run: the raw output and the parsed, schema-checked document.
#[derive(Debug)]
pub struct Report {
    pub out: Output,
    pub json: JsonOutput,
}

impl From<Output> for Report {
    #[track_caller]
    fn from(out: Output) -> Self {
        assert_ne!(out.code, 2, "usage error\n--- stderr\n{}", out.stderr);
        let json = serde_json::from_str(&out.stdout).expect("-o json has the contract's shape");
        Self { out, json }
    }
}

impl Report {
    pub fn code(&self) -> i32 {
        self.out.code
    }

    pub fn summary(&self) -> Summary {
        self.json.summary
    }

    pub fn resources(&self) -> &[Resource] {
        &self.json.resources
    }

    /// Every finding with the resource it belongs to, in output order.
    pub fn findings(&self) -> impl Iterator<Item = (&Resource, &Finding)> {
        self.json
            .resources
            .iter()
            .flat_map(|r| r.findings.iter().map(move |f| (r, f)))
    }

    /// Every finding's code, in output order.
    pub fn codes(&self) -> Vec<&str> {
        self.findings().map(|(_, f)| f.code.as_str()).collect()
    }

    /// The one finding with `code`; panics if there are none or several.
    #[track_caller]
    pub fn only(&self, code: &str) -> (&Resource, &Finding) {
        let found: Vec<_> = self.findings().filter(|(_, f)| f.code == code).collect();
        assert_eq!(
            found.len(),
            1,
            "expected exactly one {code}, got {:?}\n--- stdout\n{}",
            self.codes(),
            self.out.stdout
        );
        found[0]
    }

    /// The one finding at JSON pointer `path`; panics if there are none or several.
    #[track_caller]
    pub fn at_path(&self, path: &str) -> &Finding {
        let found: Vec<_> = self
            .findings()
            .filter(|(_, f)| f.path == path)
            .map(|(_, f)| f)
            .collect();
        assert_eq!(
            found.len(),
            1,
            "expected exactly one finding at {path}\n--- stdout\n{}",
            self.out.stdout
        );
        found[0]
    }

    /// The one resource named `name`; panics if there are none or several.
    #[track_caller]
    pub fn resource(&self, name: &str) -> &Resource {
        let found: Vec<_> = self
            .resources()
            .iter()
            .filter(|r| r.name.as_deref() == Some(name))
            .collect();
        assert_eq!(found.len(), 1, "expected one resource named {name}");
        found[0]
    }
}

/// A small, valid manifest for "the other files are still validated" checks.
pub fn config_map(name: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  k: v\n")
}
