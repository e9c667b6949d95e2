//! `kplan serve` driven by the real kubectl: the server runs as a child process on a loopback
//! port chosen by the OS, each test with its own data directory and kubectl discovery cache.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running `kplan serve`, stopped (SIGTERM, then kill) on drop.
pub struct Server {
    child: Child,
    pub dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
    pub addr: String,
    extra: Vec<String>,
}

impl Server {
    pub fn start(extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let (child, addr, kubeconfig) = spawn(&dir.path().join("data"), extra);
        Self {
            child,
            dir,
            kubeconfig,
            addr,
            extra: extra.iter().map(|s| (*s).to_string()).collect(),
        }
    }

    /// Stops the server and starts a new process on the same data directory, same flags.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn_again();
    }

    /// Kills the server without warning (SIGKILL) and starts it again on the same data.
    pub fn crash_and_restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.spawn_again();
    }

    fn spawn_again(&mut self) {
        let extra: Vec<&str> = self.extra.iter().map(String::as_str).collect();
        let (child, addr, kubeconfig) = spawn(&self.dir.path().join("data"), &extra);
        (self.child, self.addr, self.kubeconfig) = (child, addr, kubeconfig);
    }

    /// kubectl (the dispatcher on PATH unless `bin` names a versioned one) against this server.
    pub fn kubectl(&self, bin: &str, args: &[&str]) -> (i32, String, String) {
        let out = Command::new(bin)
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("KUBECACHEDIR", self.dir.path().join(format!("cache-{bin}")))
            .output()
            .expect("kubectl runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.kubectl("kubectl", args);
        assert_eq!(code, 0, "kubectl {args:?} failed:\n{out}\n{err}");
        out
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Server {
    /// SIGTERM (a clean shutdown), then SIGKILL if it has not stopped within a second.
    pub fn stop(&mut self) {
        #[cfg(unix)]
        {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(self.child.id().to_string())
                .status();
            for _ in 0..50 {
                if matches!(self.child.try_wait(), Ok(Some(_))) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `kplan serve` on `data` and reads the address and kubeconfig it prints.
fn spawn(data: &Path, extra: &[&str]) -> (Child, String, PathBuf) {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("kplan"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("kplan serve starts");
    let stdout = child.stdout.take().expect("stdout piped");
    let mut lines = BufReader::new(stdout).lines();
    let mut addr = String::new();
    let mut kubeconfig = PathBuf::new();
    for _ in 0..2 {
        let line = lines
            .next()
            .expect("a line from kplan serve")
            .expect("utf-8");
        if let Some(a) = line.split("https://").nth(1) {
            addr = a.trim().to_string();
        }
        if let Some(k) = line.split("KUBECONFIG=").nth(1) {
            kubeconfig = PathBuf::from(k.trim());
        }
    }
    assert!(
        !addr.is_empty() && kubeconfig.exists(),
        "kplan serve printed its address and kubeconfig"
    );
    (child, addr, kubeconfig)
}

/// kubectl must be on PATH (it is on every machine here); without it these tests say so.
pub fn have_kubectl() -> bool {
    let found = Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("skipped: kubectl is not on PATH");
    }
    found
}

/// `kubectl.1.<minor>` beside the kubectl dispatcher on PATH.
pub fn versioned(minor: u32) -> Option<String> {
    let path = Command::new("sh")
        .args(["-c", "readlink -f \"$(command -v kubectl)\""])
        .output()
        .ok()?;
    let dir = Path::new(String::from_utf8_lossy(&path.stdout).trim())
        .parent()?
        .to_path_buf();
    let bin = dir.join(format!("kubectl.1.{minor}"));
    bin.exists().then(|| bin.display().to_string())
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/flask-app")
}

#[test]
fn kubectl_discovers_resources_with_short_names() {
    if !have_kubectl() {
        return;
    }
    let s = Server::start(&[]);
    assert!(
        s.addr.starts_with("127.0.0.1:"),
        "port 0 picks a free loopback port: {}",
        s.addr
    );
    let out = s.ok(&["api-resources"]);
    for line in [
        "deployments",
        "deploy",
        "apps/v1",
        "configmaps",
        "cm",
        "namespaces",
        "ns",
    ] {
        assert!(out.contains(line), "{line} missing from:\n{out}");
    }
    let version = s.ok(&["version", "-o", "json"]);
    assert!(version.contains("\"minor\": \"37\""), "{version}");
}

#[test]
fn unauthenticated_requests_get_401() {
    if !have_kubectl() {
        return;
    }
    let s = Server::start(&[]);
    let (code, _, err) = s.kubectl("kubectl", &["get", "pods", "--token", "wrong"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("You must be logged in") || err.contains("Unauthorized"),
        "{err}"
    );
}

#[test]
fn kubectl_applies_the_example_app_and_reads_it_back() {
    if !have_kubectl() {
        return;
    }
    let s = Server::start(&[]);
    let examples = examples();
    // As against a cluster, a custom resource applied in the same run as its CRD cannot be
    // validated yet (kubectl read the OpenAPI index before the CRD existed): apply the CRD
    // first, as release tooling does.
    s.ok(&[
        "apply",
        "-f",
        examples.join("40-crd.yaml").to_str().unwrap(),
    ]);
    let out = s.ok(&["apply", "-f", examples.to_str().unwrap()]);
    for line in [
        "namespace/flask-app created",
        "configmap/web-config created",
        "deployment.apps/web created",
        "service/web created",
        "customresourcedefinition.apiextensions.k8s.io/backupschedules.flask.example.com unchanged",
        "backupschedule.flask.example.com/nightly created",
    ] {
        assert!(out.contains(line), "{line} missing from:\n{out}");
    }
    // Applying again changes nothing.
    let again = s.ok(&["apply", "-f", examples.to_str().unwrap()]);
    assert!(again.contains("deployment.apps/web unchanged"), "{again}");

    let deploy = s.ok(&["get", "deploy", "-n", "flask-app", "-o", "wide"]);
    let header: Vec<&str> = deploy.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        [
            "NAME",
            "READY",
            "UP-TO-DATE",
            "AVAILABLE",
            "AGE",
            "CONTAINERS",
            "IMAGES",
            "SELECTOR"
        ]
    );
    assert!(
        deploy.contains("ghcr.io/example/flask-web:1.4.2"),
        "{deploy}"
    );

    let yaml = s.ok(&["get", "cm", "web-config", "-n", "flask-app", "-o", "yaml"]);
    assert!(
        yaml.contains("GREETING: Hello from Kubernetes")
            && yaml.contains("resourceVersion:")
            && yaml.contains("uid:"),
        "{yaml}"
    );

    let cr = s.ok(&["get", "bks", "-n", "flask-app"]);
    assert!(
        cr.contains("nightly") && cr.contains("SCHEDULE") && cr.contains("0 3 * * *"),
        "{cr}"
    );

    let (code, _, err) = s.kubectl("kubectl", &["get", "deploy", "nope", "-n", "flask-app"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("Error from server (NotFound): deployments.apps \"nope\" not found"),
        "{err}"
    );
}

#[test]
fn server_side_apply_scale_and_delete() {
    if !have_kubectl() {
        return;
    }
    let s = Server::start(&[]);
    let examples = examples();
    s.ok(&[
        "apply",
        "--server-side",
        "-f",
        examples.join("00-namespace.yaml").to_str().unwrap(),
    ]);
    let out = s.ok(&[
        "apply",
        "--server-side",
        "-f",
        examples.join("20-web.yaml").to_str().unwrap(),
    ]);
    assert!(
        out.contains("deployment.apps/web serverside-applied"),
        "{out}"
    );
    let out = s.ok(&["scale", "deploy/web", "-n", "flask-app", "--replicas=5"]);
    assert!(out.contains("deployment.apps/web scaled"), "{out}");
    let replicas = s.ok(&[
        "get",
        "deploy",
        "web",
        "-n",
        "flask-app",
        "-o",
        "jsonpath={.spec.replicas} {.metadata.generation}",
    ]);
    assert_eq!(replicas, "5 2");
    let out = s.ok(&["delete", "svc", "web", "-n", "flask-app"]);
    assert!(out.contains("service \"web\" deleted"), "{out}");
    let (code, _, err) = s.kubectl("kubectl", &["get", "svc", "web", "-n", "flask-app"]);
    assert_eq!(code, 1, "{err}");
    let out = s.ok(&["delete", "ns", "flask-app"]);
    assert!(out.contains("namespace \"flask-app\" deleted"), "{out}");
    let (code, _, _) = s.kubectl("kubectl", &["get", "deploy", "web", "-n", "flask-app"]);
    assert_eq!(code, 1, "namespace contents are deleted with it");
}

#[test]
fn conflicting_updates_get_409() {
    if !have_kubectl() {
        return;
    }
    let s = Server::start(&[]);
    s.ok(&[
        "create",
        "-f",
        examples().join("00-namespace.yaml").to_str().unwrap(),
    ]);
    let (code, _, err) = s.kubectl(
        "kubectl",
        &[
            "create",
            "-f",
            examples().join("00-namespace.yaml").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("AlreadyExists") && err.contains("namespaces \"flask-app\" already exists"),
        "{err}"
    );
}

#[test]
fn data_survives_a_restart_and_a_second_server_is_refused() {
    if !have_kubectl() {
        return;
    }
    let s = Server::start(&[]);
    s.ok(&[
        "apply",
        "-f",
        examples().join("00-namespace.yaml").to_str().unwrap(),
    ]);
    let out = Command::new(assert_cmd::cargo::cargo_bin("kplan"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(s.dir.path().join("data"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is in use by another kplan server"), "{err}");
    let mut s = s;
    s.restart();
    let out = s.ok(&["get", "ns", "flask-app", "-o", "name"]);
    assert_eq!(out.trim(), "namespace/flask-app");
}

#[test]
fn the_newest_kubectl_applies_and_gets_too() {
    if !have_kubectl() {
        return;
    }
    let Some(k133) = versioned(33) else {
        eprintln!("skipped: kubectl.1.33 not found beside kubectl");
        return;
    };
    let s = Server::start(&["--kubernetes-version", "1.33"]);
    let (code, out, err) = s.kubectl(
        &k133,
        &[
            "apply",
            "-f",
            examples().join("00-namespace.yaml").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = s.kubectl(&k133, &["get", "ns"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("flask-app") && out.contains("Active"), "{out}");
}

#[test]
fn watches_send_bookmarks_and_the_end_of_initial_events() {
    if !have_kubectl() {
        return;
    }
    let s = Server::start(&["--no-controllers"]);
    s.ok(&["create", "configmap", "a", "--from-literal=x=1"]);
    let out = s.ok(&[
        "get",
        "--raw",
        "/api/v1/namespaces/default/configmaps?watch=true&allowWatchBookmarks=true&timeoutSeconds=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan",
    ]);
    let events: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON event per line"))
        .collect();
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["ADDED", "BOOKMARK", "BOOKMARK"], "{out}");
    assert_eq!(
        events[1]["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );
    let rv = |e: &serde_json::Value| {
        e["object"]["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse::<i64>()
            .unwrap()
    };
    assert!(rv(&events[1]) >= rv(&events[0]));
    assert_eq!(events[2]["object"]["kind"], "ConfigMap");
}

#[test]
fn client_side_apply_removes_a_container_through_strategic_merge_patch() {
    if !have_kubectl() {
        return;
    }
    let s = Server::start(&["--no-controllers"]);
    let file = s.dir.path().join("d.yaml");
    let deployment = |containers: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: two, namespace: default}}\nspec:\n  selector: {{matchLabels: {{app: two}}}}\n  template:\n    metadata: {{labels: {{app: two}}}}\n    spec:\n      containers:\n{containers}"
        )
    };
    let a = "      - {name: a, image: 'a:1', ports: [{containerPort: 80}]}\n";
    let b = "      - {name: b, image: 'b:1'}\n";
    std::fs::write(&file, deployment(&format!("{a}{b}"))).unwrap();
    s.ok(&["apply", "-f", file.to_str().unwrap()]);
    std::fs::write(&file, deployment(b)).unwrap();
    s.ok(&["apply", "-f", file.to_str().unwrap()]);
    let names = s.ok(&[
        "get",
        "deploy",
        "two",
        "-o",
        "jsonpath={.spec.template.spec.containers[*].name}",
    ]);
    assert_eq!(names, "b", "the 3-way patch deleted container a");
    // Ports merge by containerPort; a strategic patch adds one and names the other.
    s.ok(&[
        "patch",
        "deploy",
        "two",
        "--type=strategic",
        "-p",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"b","ports":[{"containerPort":8080,"name":"http"},{"containerPort":9090}]}]}}}}"#,
    ]);
    s.ok(&[
        "patch",
        "deploy",
        "two",
        "--type=strategic",
        "-p",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"b","ports":[{"containerPort":9090,"name":"metrics"}]}]}}}}"#,
    ]);
    let ports = s.ok(&[
        "get",
        "deploy",
        "two",
        "-o",
        "jsonpath={.spec.template.spec.containers[0].ports[*].name}",
    ]);
    assert_eq!(ports, "http metrics");
}

#[test]
fn a_server_side_dry_run_delete_deletes_nothing() {
    if !have_kubectl() {
        return;
    }
    let s = Server::start(&["--no-controllers"]);
    s.ok(&["create", "configmap", "keep", "--from-literal=a=b"]);
    let out = s.ok(&["delete", "configmap", "keep", "--dry-run=server"]);
    assert!(out.contains("(server dry run)"), "{out}");
    s.ok(&["get", "configmap", "keep"]);
}

/// Modern manifests of the shared `kubernetes/examples` corpus.
const CORPUS_APPS: [&str; 4] = [
    "web/guestbook",
    "databases/cassandra",
    "databases/mysql-cinder-pd",
    "AI/model-serving-tensorflow",
];

#[test]
fn corpus_apps_apply_both_ways_and_kubectl_diff_shows_only_real_changes() {
    let corpus = Path::new("../shared/corpus/kubernetes-examples");
    if !have_kubectl() {
        return;
    }
    if !corpus.is_dir() {
        eprintln!("skipped: {} not found beside the crate", corpus.display());
        return;
    }
    let s = Server::start(&["--pod-ready-delay", "0"]);
    for (i, app) in CORPUS_APPS.iter().enumerate() {
        // Top-level files only: sub-directories hold variants and non-Kubernetes YAML.
        let files: Vec<PathBuf> = std::fs::read_dir(corpus.join(app))
            .expect("corpus app")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        let ns = format!("corpus-{i}");
        s.ok(&["create", "namespace", &ns]);
        let mut args: Vec<String> = vec!["apply".into(), "-n".into(), ns.clone()];
        for f in &files {
            args.push("-f".into());
            args.push(f.display().to_string());
        }
        let as_str: Vec<&str> = args.iter().map(String::as_str).collect();
        s.ok(&as_str);
        let mut server_side = as_str.clone();
        server_side.insert(1, "--server-side");
        server_side.insert(2, "--force-conflicts");
        s.ok(&server_side);
        // Applied as written, both diffs are empty (exit 0).
        let mut diff = as_str.clone();
        diff[0] = "diff";
        let (code, out, err) = s.kubectl("kubectl", &diff);
        assert_eq!(code, 0, "{app}: kubectl diff after apply: {out}{err}");
        let mut diff_ss = diff.clone();
        diff_ss.insert(1, "--server-side");
        let (code, out, err) = s.kubectl("kubectl", &diff_ss);
        assert_eq!(
            code, 0,
            "{app}: kubectl diff --server-side after apply: {out}{err}"
        );
    }
    // A real change shows, with exit 1.
    let changed = s.dir.path().join("frontend.yaml");
    let text =
        std::fs::read_to_string(corpus.join("web/guestbook/frontend-deployment.yaml")).unwrap();
    let image_line = text
        .lines()
        .find(|l| l.trim_start().starts_with("image:"))
        .expect("an image")
        .to_string();
    std::fs::write(
        &changed,
        text.replacen(&image_line, "        image: example/changed:1", 1),
    )
    .unwrap();
    for extra in [&[][..], &["--server-side"][..]] {
        let mut args = vec!["diff"];
        args.extend_from_slice(extra);
        args.extend(["-n", "corpus-0", "-f", changed.to_str().unwrap()]);
        let (code, out, err) = s.kubectl("kubectl", &args);
        assert_eq!(code, 1, "kubectl {args:?}: {out}{err}");
        assert!(out.contains("+        image: example/changed:1"), "{out}");
        // Only the image and, as on a cluster, the generation the spec change bumps (and, for a
        // client-side diff, the last-applied annotation's JSON).
        let changed: Vec<&str> = out
            .lines()
            .filter(|l| {
                (l.starts_with('+') || l.starts_with('-'))
                    && !l.starts_with("+++")
                    && !l.starts_with("---")
            })
            .map(|l| l[1..].trim())
            .filter(|l| !l.starts_with('{'))
            .map(|l| l.split(':').next().unwrap_or_default())
            .collect();
        assert_eq!(
            changed,
            ["generation", "generation", "image", "image"],
            "{out}"
        );
    }
}

/// Normalization against real noise: what the bundled plane returns for objects kubectl
/// applied diffs to nothing against their manifests.
#[test]
fn live_objects_diff_to_nothing_against_their_manifests() {
    let corpus = Path::new("../shared/corpus/kubernetes-examples");
    if !have_kubectl() {
        return;
    }
    let s = Server::start(&["--pod-ready-delay", "0"]);
    let mut sets: Vec<(String, Vec<PathBuf>)> = vec![(
        "flask-app".into(),
        std::fs::read_dir(examples())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect(),
    )];
    if corpus.is_dir() {
        for app in CORPUS_APPS {
            let files = std::fs::read_dir(corpus.join(app))
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
                .collect();
            sets.push((app.replace('/', "-").to_lowercase(), files));
        }
    } else {
        eprintln!("skipped the corpus part: {} not found", corpus.display());
    }
    for (i, (name, files)) in sets.iter().enumerate() {
        // The examples app names its own namespace; corpus apps go into one each.
        let ns = if name == "flask-app" {
            "default".to_string()
        } else {
            format!("live-{i}")
        };
        if name != "flask-app" {
            s.ok(&["create", "namespace", &ns]);
        }
        // Twice: a CRD and its custom resource in one kubectl apply need the CRD first.
        for _ in 0..2 {
            let mut args = vec!["apply".to_string(), "--server-side".into()];
            if name != "flask-app" {
                args.extend(["-n".to_string(), ns.clone()]);
            }
            for f in files {
                args.extend(["-f".to_string(), f.display().to_string()]);
            }
            let as_str: Vec<&str> = args.iter().map(String::as_str).collect();
            let _ = s.kubectl("kubectl", &as_str);
        }
        let mut args = vec![
            "diff".to_string(),
            "-n".into(),
            ns.clone(),
            "--kubeconfig".into(),
            s.kubeconfig.display().to_string(),
        ];
        args.extend(files.iter().map(|f| f.display().to_string()));
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("kplan"))
            .args(&args)
            .env_remove("KUBECONFIG")
            .output()
            .expect("kplan diff runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains("No changes."),
            "{name} shows server noise:\n{stdout}"
        );
    }
}

#[test]
fn objects_in_a_missing_or_deleted_namespace_are_not_found() {
    if !have_kubectl() {
        return;
    }
    let s = Server::start(&["--no-controllers"]);
    let not_found = |args: &[&str], ns: &str| {
        let (code, out, err) = s.kubectl("kubectl", args);
        assert_eq!(code, 1, "kubectl {args:?}:\n{out}\n{err}");
        // `kubectl create -f` prints the Status as "Error from server (NotFound): …"; the
        // generators (`create configmap`) wrap it as "failed to create configmap: …".
        assert!(
            err.contains(&format!("namespaces \"{ns}\" not found")),
            "kubectl {args:?}: {err}"
        );
        err
    };
    let create = ["create", "configmap", "c", "--from-literal=a=b", "-n"];
    not_found(&[&create[..], &["nowhere"]].concat(), "nowhere");
    not_found(
        &[&create[..], &["nowhere", "--dry-run=server"]].concat(),
        "nowhere",
    );
    // The API server's admission refuses the namespace before validation looks at the body.
    let invalid = s.dir.path().join("invalid.yaml");
    std::fs::write(
        &invalid,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: nowhere}\ndata: {a: [1]}\n",
    )
    .unwrap();
    let err = not_found(
        &[
            "create",
            "--validate=false",
            "-f",
            invalid.to_str().unwrap(),
        ],
        "nowhere",
    );
    assert!(err.contains("Error from server (NotFound)"), "{err}");

    s.ok(&["create", "namespace", "gone"]);
    s.ok(&[&create[..], &["gone"]].concat());
    s.ok(&["delete", "namespace", "gone"]);
    not_found(&[&create[..], &["gone"]].concat(), "gone");
}

#[test]
fn server_side_apply_that_creates_answers_201_and_metrics_count_the_commits() {
    if !have_kubectl() {
        return;
    }
    let s = Server::start(&["--no-controllers"]);
    let file = examples().join("00-namespace.yaml");
    let apply_answers = |status: &str| {
        let (code, out, err) = s.kubectl(
            "kubectl",
            &[
                "apply",
                "--server-side",
                "-f",
                file.to_str().unwrap(),
                "-v=6",
            ],
        );
        assert_eq!(code, 0, "{out}\n{err}");
        assert!(
            err.lines()
                .any(|l| l.contains("PATCH https://") && l.contains(status)),
            "{status}: {err}"
        );
    };
    apply_answers("201 Created");
    apply_answers("200 OK");

    let metrics = s.ok(&["get", "--raw", "/metrics"]);
    let value = |name: &str| -> u64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} in:\n{metrics}"))
    };
    // The system namespaces, the kubernetes Service and the applied namespace at least.
    assert!(value("kplan_store_writes_total") >= 5, "{metrics}");
    assert!(value("kplan_store_commits_total") >= 1, "{metrics}");
    assert!(
        value("kplan_store_commits_total") <= value("kplan_store_writes_total"),
        "{metrics}"
    );
}
