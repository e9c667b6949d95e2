//! The upstream `kubernetes/examples` repository as a corpus of real manifests, validated in
//! one run: what kplan finds there is snapshotted, and the live (non-archived) examples must
//! come out clean apart from findings that are right for a corpus of independent examples.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::LazyLock;

use crate::util::{ROOT, Report, json};

/// Relative to the crate root, as the corpus is laid out beside the repository.
const CORPUS: &str = "../shared/corpus/kubernetes-examples";

static RUN: LazyLock<Option<Report>> = LazyLock::new(|| {
    if !Path::new(ROOT).join(CORPUS).is_dir() {
        return None;
    }
    Some(json(["validate", "-k", "1.37", CORPUS]))
});

/// The corpus run, or `None` (with the reason printed) where the corpus is not present.
fn corpus() -> Option<&'static Report> {
    let run = RUN.as_ref();
    if run.is_none() {
        eprintln!("skipped: {CORPUS} not found beside the crate");
    }
    run
}

fn relative(file: &str) -> &str {
    file.strip_prefix(CORPUS)
        .and_then(|f| f.strip_prefix('/'))
        .unwrap_or(file)
}

fn archived(file: &str) -> bool {
    relative(file).starts_with("_archived/")
}

#[test]
fn corpus_findings_snapshot() {
    let Some(report) = corpus() else { return };
    assert_eq!(report.code(), 1);
    let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (resource, f) in report.findings() {
        *counts
            .entry((f.code.as_str(), relative(&resource.file)))
            .or_default() += 1;
    }
    let s = report.summary();
    let mut table = format!(
        "resources {} files {} valid {} invalid {} errors {} skipped {} warnings {}\n",
        s.resources, s.files, s.valid, s.invalid, s.errors, s.skipped, s.warnings
    );
    for ((code, file), n) in &counts {
        writeln!(table, "{code} {n} {file}").unwrap();
    }
    insta::assert_snapshot!("corpus_findings", table);
}

#[test]
fn live_examples_have_only_cross_example_duplicates_missing_operator_crds_and_config_files() {
    let Some(report) = corpus() else { return };
    let mut checked = 0;
    for (resource, f) in report.findings().filter(|(r, _)| !archived(&r.file)) {
        checked += 1;
        let file = relative(&resource.file);
        match f.code.as_str() {
            // The same object in two examples (guestbook and its all-in-one file…): a
            // duplicate only because the whole corpus is validated as one run.
            "KP301" => {
                let Some((first, _line)) = f
                    .message
                    .rsplit_once("first at ")
                    .and_then(|(_, at)| at.rsplit_once(':'))
                else {
                    panic!("KP301 names the first definition: {f:?}");
                };
                assert_ne!(first, resource.file, "{file}: a duplicate within one file");
            }
            // Prometheus operator objects, whose CRDs the corpus does not ship.
            "KP201" => assert!(
                f.message.contains("monitoring.coreos.com/v1 "),
                "{file}: {f:?}"
            ),
            // Application config files that happen to end in .yaml.
            "KP106" => {
                let text = std::fs::read_to_string(Path::new(ROOT).join(&resource.file))
                    .expect("corpus file");
                assert!(
                    !text.lines().any(|l| l.starts_with("apiVersion:")),
                    "{file} looks like a manifest: {f:?}"
                );
            }
            other => panic!("{file}: unexpected {other} in a live example: {f:?}"),
        }
    }
    assert!(checked > 0, "the live examples were found");
}

#[test]
fn live_examples_have_no_errors_beyond_missing_schemas_and_config_files() {
    let Some(report) = corpus() else { return };
    for resource in report.resources().iter().filter(|r| !archived(&r.file)) {
        match resource.status.as_str() {
            "valid" => {}
            // Checked, and only a duplicate of an object in another example.
            "invalid" => assert!(
                resource.findings.iter().all(|f| f.code == "KP301"),
                "{resource:?}"
            ),
            // Not checked, for want of a schema or because it is no Kubernetes object; it
            // may be a duplicate as well.
            "error" => {
                let codes: Vec<_> = resource.findings.iter().map(|f| f.code.as_str()).collect();
                assert!(
                    codes.contains(&"KP201") || codes.contains(&"KP106"),
                    "{resource:?}"
                );
                assert!(
                    codes
                        .iter()
                        .all(|c| matches!(*c, "KP201" | "KP106" | "KP301")),
                    "{resource:?}"
                );
            }
            other => panic!("unexpected status {other}: {resource:?}"),
        }
    }
}

/// APIs the archived examples use that Kubernetes has since removed, and what replaces each.
const REMOVED: [(&str, &str, Option<&str>); 6] = [
    (
        "admissionregistration.k8s.io/v1alpha1",
        "InitializerConfiguration",
        None,
    ),
    ("extensions/v1beta1", "DaemonSet", Some("apps/v1")),
    ("policy/v1beta1", "PodDisruptionBudget", Some("policy/v1")),
    ("policy/v1beta1", "PodSecurityPolicy", None),
    (
        "storage.k8s.io/v1beta1",
        "StorageClass",
        Some("storage.k8s.io/v1"),
    ),
    (
        "extensions/v1beta1",
        "Ingress",
        Some("networking.k8s.io/v1"),
    ),
];

#[test]
fn archived_manifests_on_removed_apis_are_removed_api_errors_with_the_replacement() {
    let Some(report) = corpus() else { return };
    let mut reported = BTreeSet::new();
    for (resource, f) in report.findings().filter(|(_, f)| f.code == "KP303") {
        let file = relative(&resource.file);
        assert!(
            archived(&resource.file),
            "{file}: removed API outside _archived"
        );
        assert_eq!(resource.status, "invalid");
        let api_version = resource.api_version.as_deref().unwrap();
        let kind = resource.kind.as_deref().unwrap();
        let (_, _, replacement) = REMOVED
            .iter()
            .find(|(a, k, _)| *a == api_version && *k == kind)
            .unwrap_or_else(|| panic!("{file}: {api_version} {kind} is not expected removed"));
        match replacement {
            Some(new) => assert!(
                f.hint().starts_with(&format!("use `apiVersion: {new}`")),
                "{file}: {f:?}"
            ),
            None => assert!(f.hint().contains("no successor"), "{file}: {f:?}"),
        }
        assert_eq!(f.path, "/apiVersion");
        reported.insert((resource.file.clone(), f.line.unwrap()));
    }

    // An independent oracle: every top-level `apiVersion:` line of a removed API in the
    // corpus must have been reported, at that line.
    let mut expected = BTreeSet::new();
    for entry in walkdir::WalkDir::new(Path::new(ROOT).join(CORPUS)) {
        let entry = entry.expect("walk the corpus");
        let path = entry.path();
        let is_manifest = path.extension().is_some_and(|e| e == "yaml" || e == "yml");
        if !entry.file_type().is_file() || !is_manifest {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            let Some(api_version) = line.strip_prefix("apiVersion: ") else {
                continue;
            };
            if REMOVED.iter().any(|(a, _, _)| *a == api_version.trim()) {
                let shown = format!(
                    "{CORPUS}/{}",
                    path.strip_prefix(Path::new(ROOT).join(CORPUS))
                        .unwrap()
                        .display()
                );
                expected.insert((shown, u32::try_from(n + 1).unwrap()));
            }
        }
    }
    assert!(!expected.is_empty(), "the corpus has removed-API manifests");
    assert_eq!(reported, expected);
}
