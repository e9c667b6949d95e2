//! `kplan apply`, `kplan rollback` and `kplan history` end to end against the bundled plane
//! (a running `kplan serve` with its simulated controllers), reached both ways kplan reaches a
//! target: through the plane's data directory and through a kubeconfig (the remote path).
//! The examples app's Secret value `change-me-in-production` must never appear in a file.

use super::serve::{Server, have_kubectl};
use super::util::{Dir, Output};

/// How kplan is pointed at the server.
#[derive(Clone, Copy, Debug)]
enum Via {
    DataDir,
    Kubeconfig,
}

/// A server whose pods crash when their image ends in `:broken`, and a copy of the examples
/// app to change.
struct Env {
    server: Server,
    app: Dir,
    via: Via,
}

impl Env {
    fn new(via: Via) -> Env {
        let server = Server::start(&["--pod-ready-delay", "0", "--fail-image", "*:broken"]);
        Env {
            server,
            app: Env::new_app(),
            via,
        }
    }

    /// A copy of the examples app under `app/`.
    fn new_app() -> Dir {
        let mut app = Dir::new();
        for entry in std::fs::read_dir("examples/flask-app").expect("examples") {
            let path = entry.expect("entry").path();
            let name = format!("app/{}", path.file_name().unwrap().to_string_lossy());
            app = app.file(&name, std::fs::read(&path).expect("read example"));
        }
        app
    }

    fn kplan(&self, args: &[&str]) -> Output {
        let mut all: Vec<String> = args.iter().map(|s| (*s).to_string()).collect();
        match self.via {
            Via::DataDir => {
                all.push("--data-dir".into());
                all.push(self.server.dir.path().join("data").display().to_string());
            }
            Via::Kubeconfig => {
                all.push("--kubeconfig".into());
                all.push(self.server.kubeconfig.display().to_string());
            }
        }
        self.app.run(&all)
    }

    fn edit(&self, file: &str, from: &str, to: &str) {
        let path = self.app.join(&format!("app/{file}"));
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.contains(from), "{file} has {from}");
        std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
    }

    fn get(&self, args: &[&str]) -> String {
        self.server.ok(args)
    }

    fn image(&self) -> String {
        self.get(&[
            "get",
            "deploy",
            "web",
            "-n",
            "flask-app",
            "-o",
            "jsonpath={.spec.template.spec.containers[0].image}",
        ])
    }

    fn history(&self) -> serde_json::Value {
        let out = self.kplan(&["history", "app", "-o", "json"]);
        out.expect_code(0);
        serde_json::from_str(&out.stdout).expect("history JSON")
    }

    fn statuses(&self) -> Vec<(u64, String)> {
        self.history()["revisions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["revision"].as_u64().unwrap(),
                    r["status"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }
}

fn pair(n: u64, s: &str) -> (u64, String) {
    (n, s.to_string())
}

/// Install, upgrade, a broken upgrade rolled back automatically, and an explicit rollback.
fn release_lifecycle(via: Via) {
    let env = Env::new(via);
    let out = env.kplan(&["apply", "app"]);
    out.expect_code(0);
    assert!(out.stdout.contains("Plan: 12 to create"), "{}", out.stdout);
    assert!(
        out.stdout.contains("Release app revision 1 deployed."),
        "{}",
        out.stdout
    );

    env.edit("20-web.yaml", "flask-web:1.4.2", "flask-web:1.5.0");
    let out = env.kplan(&["apply", "app"]);
    out.expect_code(0);
    assert!(
        out.stdout.contains("Plan: 0 to create, 1 to update"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("Release app revision 2 deployed."),
        "{}",
        out.stdout
    );
    assert_eq!(env.image(), "ghcr.io/example/flask-web:1.5.0");
    assert_eq!(env.statuses(), [pair(1, "superseded"), pair(2, "deployed")]);
    let (code, out, err) = env.server.kubectl(
        "kubectl",
        &[
            "rollout",
            "status",
            "deploy/web",
            "-n",
            "flask-app",
            "--timeout=20s",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");

    // A broken release: the image crash-loops, the rollout hits its deadline, and everything
    // the apply touched goes back to revision 2 — the ConfigMap it changed too.
    env.edit("20-web.yaml", "flask-web:1.5.0", "flask-web:broken");
    env.edit(
        "20-web.yaml",
        "  replicas: 3\n",
        "  replicas: 3\n  progressDeadlineSeconds: 2\n",
    );
    env.edit(
        "10-config.yaml",
        "Hello from Kubernetes",
        "Hello from a broken release",
    );
    let out = env.kplan(&["apply", "app", "--rollback"]);
    out.expect_code(1);
    assert!(
        out.stdout.contains("Release app revision 3 FAILED"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("exceeded its progress deadline"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("Rolled back to revision 2"),
        "{}",
        out.stdout
    );
    assert_eq!(env.image(), "ghcr.io/example/flask-web:1.5.0");
    let greeting = env.get(&[
        "get",
        "cm",
        "web-config",
        "-n",
        "flask-app",
        "-o",
        "jsonpath={.data.GREETING}",
    ]);
    assert_eq!(greeting, "Hello from Kubernetes");
    let deadline = env.get(&[
        "get",
        "deploy",
        "web",
        "-n",
        "flask-app",
        "-o",
        "jsonpath={.spec.progressDeadlineSeconds}",
    ]);
    assert_eq!(
        deadline, "600",
        "revision 2 did not set it: back to the default"
    );
    let (code, out, err) = env.server.kubectl(
        "kubectl",
        &[
            "rollout",
            "status",
            "deploy/web",
            "-n",
            "flask-app",
            "--timeout=30s",
        ],
    );
    assert_eq!(code, 0, "the old version is healthy again: {out}{err}");
    assert_eq!(
        env.statuses(),
        [
            pair(1, "superseded"),
            pair(2, "deployed"),
            pair(3, "failed")
        ]
    );

    // What going back to revision 1 would do, then doing it.
    let out = env.kplan(&["plan", "app", "--rollback=1"]);
    out.expect_code(0);
    assert!(out.stderr.contains("back to revision 1"), "{}", out.stderr);
    assert!(
        out.stdout
            .contains("-        image: ghcr.io/example/flask-web:1.5.0"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("+        image: ghcr.io/example/flask-web:1.4.2"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("Rollout: rolling update"),
        "{}",
        out.stdout
    );
    let out = env.kplan(&["rollback", "app", "--to-revision", "1"]);
    out.expect_code(0);
    assert!(
        out.stdout
            .contains("revision 4 deployed (rollback to revision 1)"),
        "{}",
        out.stdout
    );
    assert_eq!(env.image(), "ghcr.io/example/flask-web:1.4.2");
    let history = env.history();
    assert_eq!(history["revisions"][3]["description"], "Rollback to 1");
    let text = env.kplan(&["history", "app"]);
    text.expect_code(0);
    assert!(
        text.stdout.starts_with("REVISION  UPDATED"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("rolled-back"), "{}", text.stdout);
}

#[test]
fn a_release_through_the_data_directory() {
    if have_kubectl() {
        release_lifecycle(Via::DataDir);
    }
}

#[test]
fn a_release_through_a_kubeconfig() {
    if have_kubectl() {
        release_lifecycle(Via::Kubeconfig);
    }
}

#[test]
fn prune_deletes_only_what_the_release_applied() {
    if !have_kubectl() {
        return;
    }
    for via in [Via::DataDir, Via::Kubeconfig] {
        prune_deletes_only_what_the_release_applied_via(via);
    }
}

fn prune_deletes_only_what_the_release_applied_via(via: Via) {
    let env = Env::new(via);
    env.kplan(&["apply", "app"]).expect_code(0);
    // Someone else's ConfigMap in the same namespace is not the release's to delete.
    env.get(&[
        "create",
        "configmap",
        "theirs",
        "-n",
        "flask-app",
        "--from-literal=a=b",
    ]);
    std::fs::remove_file(env.app.join("app/50-backup.yaml")).unwrap();
    let out = env.kplan(&["apply", "app", "--prune"]);
    out.expect_code(0);
    assert!(
        out.stdout
            .contains("Plan: 0 to create, 0 to update, 0 to replace, 1 to delete."),
        "{}",
        out.stdout
    );
    let (code, _, _) = env.server.kubectl(
        "kubectl",
        &["get", "backupschedule", "nightly", "-n", "flask-app"],
    );
    assert_ne!(code, 0, "the pruned custom resource is gone");
    env.get(&["get", "configmap", "theirs", "-n", "flask-app"]);
}

#[test]
fn a_saved_plan_applies_exactly_and_a_stale_one_is_refused() {
    if !have_kubectl() {
        return;
    }
    for via in [Via::DataDir, Via::Kubeconfig] {
        a_saved_plan_applies_exactly_and_a_stale_one_is_refused_via(via);
    }
}

fn a_saved_plan_applies_exactly_and_a_stale_one_is_refused_via(via: Via) {
    let env = Env::new(via);
    env.kplan(&["apply", "app"]).expect_code(0);
    env.edit("20-web.yaml", "flask-web:1.4.2", "flask-web:1.6.0");
    env.kplan(&["plan", "app", "--out", "plan.json"])
        .expect_code(0);
    let plan = std::fs::read_to_string(env.app.join("plan.json")).unwrap();
    assert!(
        !plan.contains("change-me-in-production"),
        "no Secret value in the plan file"
    );
    let out = env.kplan(&["apply", "plan.json"]);
    out.expect_code(0);
    assert_eq!(env.image(), "ghcr.io/example/flask-web:1.6.0");

    env.edit("20-web.yaml", "flask-web:1.6.0", "flask-web:1.7.0");
    env.kplan(&["plan", "app", "--out", "plan.json"])
        .expect_code(0);
    env.get(&["scale", "deploy", "web", "-n", "flask-app", "--replicas=4"]);
    let out = env.kplan(&["apply", "plan.json"]);
    out.expect_code(1);
    assert!(
        out.stderr
            .contains("the plan is stale: Deployment flask-app/web"),
        "{}",
        out.stderr
    );
    assert_eq!(
        env.image(),
        "ghcr.io/example/flask-web:1.6.0",
        "nothing applied"
    );
}

#[test]
fn a_conflict_with_another_field_manager_is_reported_until_forced() {
    if !have_kubectl() {
        return;
    }
    for via in [Via::DataDir, Via::Kubeconfig] {
        a_conflict_with_another_field_manager_is_reported_until_forced_via(via);
    }
}

fn a_conflict_with_another_field_manager_is_reported_until_forced_via(via: Via) {
    let env = Env::new(via);
    env.kplan(&["apply", "app"]).expect_code(0);
    let other = env.app.join("other.yaml");
    std::fs::write(&other, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: flask-app}\nspec: {replicas: 4}\n").unwrap();
    env.get(&[
        "apply",
        "--server-side",
        "--field-manager=other",
        "--force-conflicts",
        "-f",
        other.to_str().unwrap(),
    ]);
    env.edit("20-web.yaml", "  replicas: 3\n", "  replicas: 5\n");
    let out = env.kplan(&["apply", "app"]);
    out.expect_code(1);
    assert!(
        out.stdout
            .contains("conflict with \"other\": .spec.replicas"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("--force-conflicts"), "{}", out.stdout);
    env.kplan(&["apply", "app", "--force-conflicts"])
        .expect_code(0);
    let replicas = env.get(&[
        "get",
        "deploy",
        "web",
        "-n",
        "flask-app",
        "-o",
        "jsonpath={.spec.replicas}",
    ]);
    assert_eq!(replicas, "5");
}

#[test]
fn a_dry_run_changes_nothing() {
    if !have_kubectl() {
        return;
    }
    for via in [Via::DataDir, Via::Kubeconfig] {
        a_dry_run_changes_nothing_via(via);
    }
}

fn a_dry_run_changes_nothing_via(via: Via) {
    let env = Env::new(via);
    let out = env.kplan(&["apply", "app", "--dry-run"]);
    out.expect_code(0);
    assert!(out.stdout.contains("Server dry run"), "{}", out.stdout);
    let (code, _, _) = env
        .server
        .kubectl("kubectl", &["get", "namespace", "flask-app"]);
    assert_ne!(code, 0, "nothing was created");
    assert_eq!(
        env.kplan(&["history", "app", "-o", "json"])
            .stdout
            .matches("\"revision\"")
            .count(),
        0
    );
}

#[test]
fn ctrl_c_during_an_atomic_apply_rolls_back() {
    if !have_kubectl() {
        return;
    }
    let server = Server::start(&["--pod-ready-delay", "3s"]);
    let env = Env {
        server,
        app: Env::new_app(),
        via: Via::Kubeconfig,
    };
    env.kplan(&["apply", "app"]).expect_code(0);
    env.edit("20-web.yaml", "flask-web:1.4.2", "flask-web:2.0.0");
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("kplan"))
        .current_dir(env.app.path())
        .args(["apply", "app", "--rollback", "--kubeconfig"])
        .arg(&env.server.kubeconfig)
        .env_remove("KUBECONFIG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("kplan apply starts");
    // Into the wait for the new pods (they take 3 s to start).
    std::thread::sleep(std::time::Duration::from_millis(1500));
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    let out = child.wait_with_output().expect("kplan apply ends");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("interrupted (Ctrl-C)"), "{stdout}");
    assert!(stdout.contains("Rolled back to revision 1"), "{stdout}");
    assert_eq!(env.image(), "ghcr.io/example/flask-web:1.4.2");
    assert_eq!(env.statuses(), [pair(1, "deployed"), pair(2, "failed")]);
}
