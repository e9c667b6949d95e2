//! `kplan diff`: the examples app (`examples/flask-app`) copied as `base/` (the current state)
//! and `new/` (the manifests), with one kind of change per test, rendered as text; every
//! renderer on one combined change; sources, exit codes and errors; the shared corpus.

use std::path::Path;

use crate::util::{Dir, ROOT};

const APP: &str = "examples/flask-app";

/// A directory with the examples app as `base/` and as `new/`.
pub fn flask_app() -> Dir {
    let dir = Dir::new();
    for side in ["base", "new"] {
        copy_dir(&Path::new(ROOT).join(APP), &dir.join(side));
    }
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create copy");
    for entry in std::fs::read_dir(from).expect("read example dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy file");
        }
    }
}

/// Replaces `from` (which must occur) by `to` in `file` under the directory.
#[track_caller]
pub fn edit(dir: &Dir, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).expect("read file to edit");
    assert!(text.contains(from), "{file} does not contain {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1)).expect("write edited file");
}

pub fn write(dir: &Dir, file: &str, text: &str) {
    std::fs::write(dir.join(file), text).expect("write file");
}

const DIFF: [&str; 4] = ["diff", "new", "--against", "base"];

#[test]
fn the_app_against_itself_has_no_changes() {
    let dir = flask_app();
    let out = dir.run(["diff", "new", "--against", "base", "--detailed-exitcode"]);
    out.expect_code(0);
    assert_eq!(out.stdout, "No changes.\n");
    assert_eq!(out.stderr, "");
}

#[test]
fn a_new_image() {
    let dir = flask_app();
    edit(
        &dir,
        "new/20-web.yaml",
        "flask-web:1.4.2",
        "flask-web:1.5.0",
    );
    let out = dir.run(DIFF);
    out.expect_code(0);
    insta::assert_snapshot!("new_image", out.stdout);
    dir.run(["diff", "new", "--against", "base", "--detailed-exitcode"])
        .expect_code(3);
}

#[test]
fn a_replicas_only_change() {
    let dir = flask_app();
    edit(&dir, "new/20-web.yaml", "replicas: 3", "replicas: 5");
    let out = dir.run(DIFF);
    insta::assert_snapshot!("replicas_only", out.stdout);
}

#[test]
fn a_secret_change_is_masked() {
    let dir = flask_app();
    edit(
        &dir,
        "new/10-config.yaml",
        "change-me-in-production",
        "s3cr3t-rotated-value",
    );
    let out = dir.run(DIFF);
    insta::assert_snapshot!("secret_masked", out.stdout);
    assert!(!out.stdout.contains("s3cr3t-rotated-value"));
    assert!(!out.stdout.contains("change-me-in-production"));
    let shown = dir.run(["diff", "new", "--against", "base", "--show-secrets"]);
    assert!(
        shown
            .stdout
            .contains("SECRET_KEY: czNjcjN0LXJvdGF0ZWQtdmFsdWU="),
        "{}",
        shown.stdout
    );
}

#[test]
fn context_lines_follow_c() {
    let dir = flask_app();
    edit(
        &dir,
        "new/20-web.yaml",
        "flask-web:1.4.2",
        "flask-web:1.5.0",
    );
    let out = dir.run(["diff", "new", "--against", "base", "-C", "0"]);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines.contains(&"@@ -34 +34 @@"), "{}", out.stdout);
    assert!(!out.stdout.contains(" livenessProbe"), "{}", out.stdout);
}

#[test]
fn ignore_rules_hide_a_field() {
    let dir = flask_app();
    edit(&dir, "new/20-web.yaml", "replicas: 3", "replicas: 5");
    let out = dir.run([
        "diff",
        "new",
        "--against",
        "base",
        "--ignore",
        "Deployment:/spec/replicas",
        "--detailed-exitcode",
    ]);
    out.expect_code(0);
    assert_eq!(out.stdout, "No changes.\n");
}

#[test]
fn a_snapshot_file_as_the_current_state() {
    let dir = flask_app();
    // A snapshot of the app as an API server returns it: defaults, server metadata, status.
    let snapshot = serde_json::json!({
        "apiVersion": "kplan.dev/snapshot/v1",
        "kind": "Snapshot",
        "server": "https://127.0.0.1:6443",
        "takenAt": "2026-11-26T12:00:00Z",
        "objects": [
            {"apiVersion": "v1", "kind": "ConfigMap",
             "metadata": {"name": "web-config", "namespace": "flask-app", "resourceVersion": "41", "uid": "c1"},
             "data": {"FLASK_ENV": "production", "GREETING": "Hello from Kubernetes", "FEATURE_SIGNUP": "yes"}},
            {"apiVersion": "v1", "kind": "Service",
             "metadata": {"name": "web", "namespace": "flask-app", "resourceVersion": "42", "uid": "s1"},
             "spec": {"selector": {"app": "web"}, "type": "ClusterIP", "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"],
                      "sessionAffinity": "None", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "internalTrafficPolicy": "Cluster",
                      "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"}]},
             "status": {"loadBalancer": {}}},
            {"apiVersion": "v1", "kind": "Secret",
             "metadata": {"name": "db-credentials", "namespace": "flask-app", "resourceVersion": "43"},
             "type": "Opaque", "data": {"POSTGRES_USER": "Zmxhc2s=", "POSTGRES_PASSWORD": "b2xk"}}
        ]
    });
    write(
        &dir,
        "snapshot.json",
        &serde_json::to_string_pretty(&snapshot).unwrap(),
    );
    let out = dir.run([
        "diff",
        "new/10-config.yaml",
        "new/20-web.yaml",
        "--against",
        "snapshot.json",
    ]);
    out.expect_code(0);
    insta::assert_snapshot!("against_snapshot", out.stdout);
    assert!(!out.stdout.contains("b2xk") && !out.stdout.contains("Zmxhc2s="));
}

#[test]
fn every_renderer_on_one_change_set() {
    let dir = flask_app();
    edit(
        &dir,
        "new/20-web.yaml",
        "flask-web:1.4.2",
        "flask-web:1.5.0",
    );
    edit(&dir, "new/30-database.yaml", "replicas: 1", "replicas: 2");
    edit(
        &dir,
        "new/10-config.yaml",
        "change-me-in-production",
        "s3cr3t-rotated-value",
    );
    for (format, name) in [
        ("text", "combined_text"),
        ("markdown", "combined_markdown"),
        ("json", "combined_json"),
    ] {
        let out = dir.run(["diff", "new", "--against", "base", "-o", format]);
        out.expect_code(0);
        assert!(
            !out.stdout.contains("s3cr3t-rotated-value"),
            "{format} leaked"
        );
        assert!(
            !out.stdout.contains("czNjcjN0LXJvdGF0ZWQtdmFsdWU="),
            "{format} leaked base64"
        );
        insta::assert_snapshot!(name, out.stdout);
    }
}

#[test]
fn colour_only_when_asked() {
    let dir = flask_app();
    edit(
        &dir,
        "new/20-web.yaml",
        "flask-web:1.4.2",
        "flask-web:1.5.0",
    );
    let plain = dir.run(DIFF);
    assert!(
        !plain.stdout.contains('\u{1b}'),
        "not a terminal: no colour"
    );
    let coloured = dir.run(["diff", "new", "--against", "base", "--color", "always"]);
    assert!(
        coloured.stdout.contains("\u{1b}[31m-"),
        "{}",
        coloured.stdout
    );
    assert!(
        coloured.stdout.contains("\u{1b}[32m+"),
        "{}",
        coloured.stdout
    );
}

#[test]
fn bad_manifests_are_named_by_file_and_line() {
    let dir = flask_app();
    write(
        &dir,
        "new/99-broken.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata: [a, b\n",
    );
    let out = dir.run(DIFF);
    out.expect_code(1);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr
            .starts_with("kplan diff: cannot read the manifests:\nnew/99-broken.yaml:5:"),
        "{}",
        out.stderr
    );
    let base_broken = flask_app();
    write(&base_broken, "base/99-broken.yaml", "kind: ConfigMap\n");
    let out = base_broken.run(DIFF);
    out.expect_code(1);
    assert!(
        out.stderr.contains(
            "cannot read the current state:\nbase/99-broken.yaml:1:1: missing 'apiVersion' key"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn duplicates_in_the_manifests_are_an_error() {
    let dir = flask_app();
    std::fs::copy(
        dir.join("new/00-namespace.yaml"),
        dir.join("new/01-again.yaml"),
    )
    .unwrap();
    let out = dir.run(DIFF);
    out.expect_code(1);
    assert!(out.stderr.contains("Namespace flask-app is defined twice in the manifests: new/00-namespace.yaml:2 and new/01-again.yaml:2"), "{}", out.stderr);
}

#[test]
fn live_is_the_bundled_plane_when_no_cluster_is_configured() {
    let dir = flask_app();
    // Nothing applied yet: everything is created; the plane was started for the command.
    let out = dir.run(["diff", "new", "--data-dir", "plane"]);
    out.expect_code(0);
    assert!(out.stdout.contains("Plan: 12 to create"), "{}", out.stdout);
    // No release was ever applied there: a clear error, never a made-up state.
    let out = dir.run(["diff", "new", "--against", "release", "--data-dir", "plane"]);
    out.expect_code(1);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.contains("release new has no deployed revision"),
        "{}",
        out.stderr
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = flask_app();
    dir.run(["diff", "--against", "base"]).expect_code(2);
    dir.run([
        "diff",
        "new",
        "--against",
        "base",
        "--ignore",
        "spec.replicas",
    ])
    .expect_code(2)
    .expect_stderr(&predicates::str::contains("JSON pointer"));
    dir.run(["diff", "new", "--against", "base", "-k", "1.2"])
        .expect_code(2);
}

#[test]
fn a_missing_current_state_is_an_error() {
    let dir = flask_app();
    let out = dir.run(["diff", "new", "--against", "nowhere"]);
    out.expect_code(1);
    assert!(
        out.stderr.contains("nowhere: no such file or directory"),
        "{}",
        out.stderr
    );
}

// ---------------------------------------------------------------------------------------
// The shared corpus of real manifests (`../shared/corpus/kubernetes-examples`)
// ---------------------------------------------------------------------------------------

const CORPUS: &str = "../shared/corpus/kubernetes-examples";

/// Example directories of the corpus whose manifests are one consistent set (others define
/// the same object twice, as alternatives).
const CORPUS_APPS: [&str; 4] = [
    "AI/model-serving-tensorflow",
    "databases/cassandra",
    "databases/mysql-cinder-pd",
    "web/guestbook-go",
];

#[test]
fn corpus_examples_against_themselves_have_no_changes() {
    let corpus = Path::new(ROOT).join(CORPUS);
    if !corpus.is_dir() {
        eprintln!("skipped: {CORPUS} not found beside the crate");
        return;
    }
    for app in CORPUS_APPS {
        let path = corpus.join(app);
        let path = path.to_str().unwrap();
        let out = crate::util::run([
            "diff",
            path,
            "--against",
            path,
            "--ignore-non-k8s",
            "--detailed-exitcode",
            "-o",
            "json",
        ]);
        out.expect_code(0);
        let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert!(
            json["summary"]["noop"].as_u64().unwrap() > 0,
            "{app}: no objects read"
        );
    }
}

#[test]
fn a_mutated_corpus_example_shows_exactly_its_mutation() {
    let corpus = Path::new(ROOT).join(CORPUS).join("web/guestbook-go");
    if !corpus.is_dir() {
        eprintln!("skipped: {CORPUS} not found beside the crate");
        return;
    }
    let dir = Dir::new();
    copy_dir(&corpus, &dir.join("base"));
    copy_dir(&corpus, &dir.join("new"));
    edit(
        &dir,
        "new/guestbook-controller.yaml",
        "replicas: 3",
        "replicas: 5",
    );
    let out = dir.run(["plan", "new", "--against", "base", "-o", "json"]);
    out.expect_code(0);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let changed: Vec<String> = json["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["action"] != "noop")
        .map(|o| format!("{} {} {}", o["action"], o["kind"], o["changes"][0]["path"]))
        .collect();
    assert_eq!(
        changed,
        ["\"update\" \"ReplicationController\" \"/spec/replicas\""]
    );
}

// ---------------------------------------------------------------------------------------
// Real noise: objects as the bundled control plane returned them after `kubectl apply`
// (tests/fixtures/snapshots, captured with `kubectl get -o json` from `kplan serve`, so they
// carry managedFields, uid, resourceVersion, status and every API default).
// ---------------------------------------------------------------------------------------

#[test]
fn the_served_examples_app_diffs_to_nothing_against_its_manifests() {
    let out = crate::util::run([
        "plan",
        "examples/flask-app",
        "--against",
        "tests/fixtures/snapshots/flask-app-served.json",
        "--prune",
        "--detailed-exitcode",
    ]);
    out.expect_code(0);
    assert!(out.stdout.ends_with("No changes.\n"), "{}", out.stdout);
}

#[test]
fn served_corpus_examples_diff_to_nothing_against_their_manifests() {
    let corpus = Path::new(ROOT).join(CORPUS);
    if !corpus.is_dir() {
        eprintln!("skipped: {CORPUS} not found beside the crate");
        return;
    }
    for app in CORPUS_APPS {
        let path = corpus.join(app);
        let out = crate::util::run([
            "diff",
            path.to_str().unwrap(),
            "--against",
            "tests/fixtures/snapshots/corpus-served.json",
            "--ignore-non-k8s",
            "--detailed-exitcode",
        ]);
        out.expect_code(0);
        assert_eq!(out.stdout, "No changes.\n", "{app}");
    }
}
