//! `kplan snapshot`: the examples app applied to the bundled plane of the test's own data
//! directory (the harness removes `KUBECONFIG`), saved, and diffed against: nothing changed is
//! "No changes.", a changed image shows; Secret values never reach the file; namespace
//! snapshots leave out what the cluster and kplan made; errors and usage.

use serde_json::Value;

use crate::diff::{edit, flask_app};
use crate::util::Dir;

/// The examples app (as `new/`) applied to the bundled plane in `plane/`.
fn applied() -> Dir {
    let dir = flask_app();
    dir.run(["apply", "new", "--data-dir", "plane"])
        .expect_code(0);
    dir
}

fn read(dir: &Dir, file: &str) -> (String, Value) {
    let text = std::fs::read_to_string(dir.join(file)).expect("the snapshot was written");
    let value = serde_json::from_str(&text).expect("the snapshot is JSON");
    (text, value)
}

/// `(kind, namespace/name)` of every object, in file order.
fn objects(snapshot: &Value) -> Vec<String> {
    snapshot["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .map(|o| {
            let m = &o["metadata"];
            match m["namespace"].as_str() {
                Some(ns) => format!(
                    "{} {ns}/{}",
                    o["kind"].as_str().unwrap(),
                    m["name"].as_str().unwrap()
                ),
                None => format!(
                    "{} {}",
                    o["kind"].as_str().unwrap(),
                    m["name"].as_str().unwrap()
                ),
            }
        })
        .collect()
}

#[test]
fn a_snapshot_of_the_applied_app_diffs_to_nothing_and_then_shows_a_change() {
    let dir = applied();
    let out = dir.run(["snapshot", "new", "-o", "snap.json", "--data-dir", "plane"]);
    out.expect_code(0);
    assert_eq!(out.stdout, "", "the snapshot went to the file");
    assert!(
        out.stderr
            .contains("12 objects of the bundled plane in plane")
            && out
                .stderr
                .contains("saved to snap.json (the values of 2 Secrets as salted digests)"),
        "{}",
        out.stderr
    );
    let (_, snapshot) = read(&dir, "snap.json");
    assert_eq!(snapshot["apiVersion"], "kplan.dev/snapshot/v1");
    assert!(
        snapshot["server"]
            .as_str()
            .unwrap()
            .starts_with("https://127.0.0.1:")
    );
    assert!(snapshot["takenAt"].as_str().unwrap().ends_with('Z'));
    // The manifests' order, each object as the server returned it (uid, resourceVersion …).
    assert_eq!(
        objects(&snapshot)[..3],
        [
            "Namespace flask-app",
            "ConfigMap flask-app/web-config",
            "Secret flask-app/web-secrets"
        ]
    );
    assert!(snapshot["objects"][0]["metadata"]["uid"].is_string());

    let out = dir.run([
        "diff",
        "new",
        "--against",
        "snap.json",
        "--detailed-exitcode",
    ]);
    out.expect_code(0);
    assert_eq!(out.stdout, "No changes.\n");
    // Nothing to prune either: the snapshot holds exactly what the manifests name.
    let out = dir.run([
        "plan",
        "new",
        "--against",
        "snap.json",
        "--prune",
        "--detailed-exitcode",
    ]);
    out.expect_code(0);
    assert!(out.stdout.ends_with("No changes.\n"), "{}", out.stdout);

    edit(
        &dir,
        "new/20-web.yaml",
        "image: ghcr.io/example/flask-web:1.4.2",
        "image: ghcr.io/example/flask-web:1.5.0",
    );
    let out = dir.run([
        "diff",
        "new",
        "--against",
        "snap.json",
        "--detailed-exitcode",
    ]);
    out.expect_code(3);
    assert!(
        out.stdout
            .contains("~ Deployment flask-app/web (apps/v1) will be updated in place")
            && out
                .stdout
                .contains("-        image: ghcr.io/example/flask-web:1.4.2")
            && out
                .stdout
                .contains("+        image: ghcr.io/example/flask-web:1.5.0"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("Plan: 0 to create, 1 to update"),
        "{}",
        out.stdout
    );
    // The same as a diff against live: the snapshot is the live state it was taken from.
    let live = dir.run(["diff", "new", "--data-dir", "plane"]);
    live.expect_code(0);
    assert_eq!(live.stdout, out.stdout);
}

#[test]
fn secret_values_are_never_in_the_file() {
    let dir = applied();
    dir.run(["snapshot", "new", "-o", "snap.json", "--data-dir", "plane"])
        .expect_code(0);
    dir.run(["snapshot", "-A", "-o", "all.json", "--data-dir", "plane"])
        .expect_code(0);
    // The examples' Secret values, as written (stringData, base64 data) and as stored.
    let clear = [
        "change-me-in-production",
        "postgresql://flask:flask@db:5432/flask",
    ];
    let mut values: Vec<String> = clear.iter().map(|v| (*v).to_string()).collect();
    values.extend(clear.iter().map(|v| base64(v)));
    values.push("Zmxhc2s=".into());
    for file in ["snap.json", "all.json"] {
        let (text, snapshot) = read(&dir, file);
        for v in &values {
            assert!(
                !text.contains(v.as_str()),
                "{file} holds a Secret value: {v}"
            );
        }
        let secret = snapshot["objects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["kind"] == "Secret" && o["metadata"]["name"] == "db-credentials")
            .expect("the Secret is saved");
        assert!(
            secret["data"]["POSTGRES_PASSWORD"]
                .as_str()
                .unwrap()
                .starts_with("kplan-sha256:"),
            "{secret}"
        );
    }
    // Digests still tell a changed value from an unchanged one.
    edit(
        &dir,
        "new/10-config.yaml",
        "SECRET_KEY: \"change-me-in-production\"",
        "SECRET_KEY: \"rotated\"",
    );
    let out = dir.run(["diff", "new", "--against", "snap.json"]);
    out.expect_code(0);
    assert!(
        out.stdout.contains("SECRET_KEY: \"*** (changed)\""),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("DATABASE_URL: \"*** (unchanged)\""),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("rotated"));
}

fn base64(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[test]
fn namespace_snapshots_leave_out_what_the_cluster_and_kplan_made() {
    let dir = applied();
    let out = dir.run(["snapshot", "-A", "-o", "all.json", "--data-dir", "plane"]);
    out.expect_code(0);
    assert!(
        out.stderr.contains("left out 5 made by the cluster"),
        "{}",
        out.stderr
    );
    let (_, all) = read(&dir, "all.json");
    // No `default` or kube-* Namespace, `kubernetes` Service, release records, pods, replica
    // sets or the StatefulSet's claim; no cluster-scoped kind but Namespaces, no custom
    // resources.
    assert_eq!(
        objects(&all),
        [
            "Namespace flask-app",
            "ConfigMap flask-app/web-config",
            "Secret flask-app/db-credentials",
            "Secret flask-app/web-secrets",
            "Service flask-app/db",
            "Service flask-app/web",
            "Deployment flask-app/web",
            "StatefulSet flask-app/db",
            "HorizontalPodAutoscaler flask-app/web",
            "Ingress flask-app/web",
        ]
    );
    // So the manifests against it: only the CRD and its resource to create, nothing to delete.
    let out = dir.run(["plan", "new", "--against", "all.json", "--prune"]);
    out.expect_code(0);
    assert!(
        out.stdout
            .contains("Plan: 2 to create, 0 to update, 0 to replace, 0 to delete."),
        "{}",
        out.stdout
    );
    // One namespace, to stdout.
    let out = dir.run(["snapshot", "-n", "flask-app", "--data-dir", "plane"]);
    out.expect_code(0);
    let one: Value = serde_json::from_str(&out.stdout).expect("the snapshot on stdout");
    assert_eq!(objects(&one), objects(&all));
    assert!(out.stderr.contains("saved to stdout"), "{}", out.stderr);

    let out = dir.run(["snapshot", "-n", "nope", "--data-dir", "plane"]);
    out.expect_code(1);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr
            .contains("namespace nope does not exist on the bundled plane in plane"),
        "{}",
        out.stderr
    );
}

#[test]
fn objects_not_on_the_target_are_named_and_left_out() {
    let dir = flask_app();
    // Nothing applied: the plane starts empty for the command.
    let out = dir.run(["snapshot", "new", "-o", "empty.json", "--data-dir", "plane"]);
    out.expect_code(0);
    assert!(
        out.stderr
            .contains("12 objects of the manifests not on the target")
            && out.stderr.contains(
                "Namespace flask-app, ConfigMap flask-app/web-config, Secret flask-app/web-secrets"
            )
            && out.stderr.contains("and 2 more"),
        "{}",
        out.stderr
    );
    let (_, snapshot) = read(&dir, "empty.json");
    assert_eq!(snapshot["objects"], serde_json::json!([]));
    let out = dir.run(["diff", "new", "--against", "empty.json"]);
    out.expect_code(0);
    assert!(out.stdout.contains("Plan: 12 to create"), "{}", out.stdout);
}

#[test]
fn objects_without_a_name_are_named_by_file_and_line() {
    let dir = Dir::new().file(
        "app/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: migrate-\n",
    );
    let out = dir.run(["snapshot", "app", "-o", "s.json", "--data-dir", "plane"]);
    out.expect_code(0);
    assert!(
        out.stderr
            .contains("warning: app/cm.yaml:5: Job has no metadata.name"),
        "{}",
        out.stderr
    );
}

#[test]
fn bad_manifests_fail_before_the_target_is_reached() {
    let dir = Dir::new().file(
        "app/bad.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a\n",
    );
    let out = dir.run(["snapshot", "app", "-o", "s.json", "--data-dir", "plane"]);
    out.expect_code(1);
    assert!(out.stderr.contains("app/bad.yaml:3:"), "{}", out.stderr);
    assert!(!dir.join("plane").exists(), "no plane was started");
    assert!(!dir.join("s.json").exists());
}

#[test]
fn an_unwritable_file_is_an_error() {
    let dir = Dir::new().file("app/cm.yaml", crate::util::config_map("a"));
    let out = dir.run([
        "snapshot",
        "app",
        "-o",
        "missing/s.json",
        "--data-dir",
        "plane",
    ]);
    out.expect_code(1);
    assert!(
        out.stderr.contains("cannot write missing/s.json"),
        "{}",
        out.stderr
    );
    // A directory is refused before anything is read or written.
    let out = dir.run(["snapshot", "app", "-o", "app", "--data-dir", "plane2"]);
    out.expect_code(1);
    assert!(
        out.stderr.contains("cannot write app: it is a directory"),
        "{}",
        out.stderr
    );
    assert!(!dir.join("app.json.tmp").exists() && !dir.join("plane2").exists());
}

#[test]
fn usage_errors_exit_2() {
    let dir = Dir::new();
    for args in [
        &["snapshot"][..],
        &["snapshot", "app", "-A"],
        &["snapshot", "-n", "x", "--all-namespaces"],
    ] {
        let out = dir.run(args);
        out.expect_code(2);
    }
    let out = dir.run(["snapshot", "--data-dir", "plane"]);
    assert!(
        out.stderr.contains("--namespace NS, or --all-namespaces"),
        "{}",
        out.stderr
    );
    assert!(!dir.join("plane").exists(), "no plane was started");
}

#[test]
fn an_unreachable_cluster_is_named_and_no_file_is_written() {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    let kubeconfig = "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"https://127.0.0.1:1\"}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n";
    let dir = Dir::new()
        .file("kubeconfig", kubeconfig)
        .file("app/cm.yaml", crate::util::config_map("a"));
    let out = dir.run([
        "snapshot",
        "app",
        "-o",
        "s.json",
        "--kubeconfig",
        "kubeconfig",
    ]);
    out.expect_code(1);
    assert!(
        out.stderr
            .contains("cannot reach the API server https://127.0.0.1:1"),
        "{}",
        out.stderr
    );
    assert!(!dir.join("s.json").exists());
}
