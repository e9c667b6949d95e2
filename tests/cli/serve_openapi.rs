//! `kplan serve`'s OpenAPI documents as the real kubectl reads them: `explain`; `apply` with
//! default validation by kubectl 1.27 and 1.28, which fail without `/openapi/v2` in protobuf;
//! and by newer ones, which compute client-side apply patches from `/openapi/v3` schemas.

use std::path::{Path, PathBuf};

use crate::serve::{Server, have_kubectl, versioned};

const APP: &str = r"apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  MODE: production
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 2
  strategy:
    rollingUpdate: {maxSurge: 1, maxUnavailable: 25%}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        ports: [{containerPort: 80}]
        resources:
          limits: {cpu: 500m, memory: 128Mi}
      - name: sidecar
        image: busybox:1.36
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
";

const UNKNOWN_FIELD: &str = r"apiVersion: apps/v1
kind: Deployment
metadata:
  name: typo
  namespace: shop
spec:
  replicaz: 2
  selector:
    matchLabels: {app: typo}
  template:
    metadata:
      labels: {app: typo}
    spec:
      containers: [{name: c, image: busybox}]
";

struct Files {
    app: String,
    changed: String,
    unknown: String,
}

/// The app, the app with the Deployment's image changed, and a typo.
fn files(s: &Server) -> Files {
    let write = |name: &str, text: &str| {
        let path: PathBuf = s.dir.path().join(name);
        std::fs::write(&path, text).expect("write manifest");
        path.display().to_string()
    };
    let changed = APP.replace("nginx:1.25", "nginx:1.27");
    assert_ne!(changed, APP);
    Files {
        app: write("app.yaml", APP),
        changed: write("changed.yaml", &changed),
        unknown: write("unknown.yaml", UNKNOWN_FIELD),
    }
}

fn run(s: &Server, bin: &str, args: &[&str]) -> (String, String) {
    let (code, out, err) = s.kubectl(bin, args);
    assert_eq!(code, 0, "{bin} {args:?} failed:\n{out}\n{err}");
    (out, err)
}

/// Create, change, reject a typo: what `kubectl apply -f` with default validation must do.
fn apply_round(s: &Server, bin: &str) {
    let f = files(s);
    let (out, _) = run(s, bin, &["apply", "-f", &f.app]);
    for line in [
        "namespace/shop created",
        "configmap/settings created",
        "deployment.apps/web created",
        "service/web created",
    ] {
        assert!(out.contains(line), "{bin}: {line} missing from:\n{out}");
    }
    let (out, err) = run(s, bin, &["apply", "-f", &f.changed]);
    assert!(
        out.contains("deployment.apps/web configured"),
        "{bin}: {out}"
    );
    assert!(out.contains("configmap/settings unchanged"), "{bin}: {out}");
    // A schema kubectl cannot use for its patch shows as "warning: error calculating patch".
    assert!(!err.to_lowercase().contains("warning"), "{bin}: {err}");
    let (images, _) = run(
        s,
        bin,
        &[
            "get",
            "deployment/web",
            "-n",
            "shop",
            "-o",
            "jsonpath={.spec.template.spec.containers[*].image}",
        ],
    );
    // The patch names the changed container only: merged by name, the sidecar stays.
    assert_eq!(images, "nginx:1.27 busybox:1.36", "{bin}");

    let (code, out, err) = s.kubectl(bin, &["apply", "-f", &f.unknown]);
    assert_eq!(code, 1, "{bin}: {out}{err}");
    assert!(
        err.contains("unknown field") && err.contains("replicaz"),
        "{bin}: {err}"
    );
}

fn explains_strategy(s: &Server, bin: &str, extra: &[&str]) {
    let mut args = vec!["explain", "deployment.spec.strategy"];
    args.extend_from_slice(extra);
    let (out, _) = run(s, bin, &args);
    for text in [
        "strategy <",
        "The deployment strategy to use to replace existing pods with new ones.",
        "rollingUpdate",
        "Rolling update config params.",
    ] {
        assert!(
            out.contains(text),
            "{bin} {extra:?}: {text} missing from:\n{out}"
        );
    }
}

#[test]
fn explain_prints_fields_and_descriptions() {
    if !have_kubectl() {
        return;
    }
    // The newest bundled version: the dispatcher runs its own kubectl (1.32).
    let s = Server::start(&[]);
    explains_strategy(&s, "kubectl", &[]);
    let (out, _) = run(&s, "kubectl", &["explain", "deployment"]);
    assert!(
        out.contains("KIND:       Deployment")
            && out.contains("Deployment enables declarative updates"),
        "{out}"
    );
    let (out, _) = run(
        &s,
        "kubectl",
        &["explain", "pods.spec.containers.resources.limits"],
    );
    assert!(out.contains("limits <map[string]"), "{out}");

    // Custom resources are explained from their CRD's schema.
    let crd = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/flask-app/40-crd.yaml");
    run(&s, "kubectl", &["apply", "-f", crd.to_str().unwrap()]);
    let (out, _) = run(&s, "kubectl", &["explain", "backupschedules.spec"]);
    assert!(
        out.contains("schedule") && out.contains("Cron expression."),
        "{out}"
    );
}

#[test]
fn kubectl_1_27_and_1_28_apply_with_default_validation() {
    if !have_kubectl() {
        return;
    }
    for minor in [27, 28] {
        let Some(bin) = versioned(minor) else {
            continue;
        };
        let s = Server::start(&["--kubernetes-version", "1.28"]);
        apply_round(&s, &bin);
        explains_strategy(&s, &bin, &[]);
        // These versions can still explain from /openapi/v2.
        explains_strategy(&s, &bin, &["--output=plaintext-openapiv2"]);

        // A CRD's schema joins /openapi/v2, which these versions parse as a whole.
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/flask-app");
        let crd = examples.join("40-crd.yaml");
        run(&s, &bin, &["apply", "-f", crd.to_str().unwrap()]);
        let (out, _) = run(&s, &bin, &["apply", "-f", examples.to_str().unwrap()]);
        assert!(
            out.contains("backupschedule.flask.example.com/nightly created"),
            "{bin}: {out}"
        );
    }
}

#[test]
fn newer_kubectls_compute_patches_from_the_v3_schemas() {
    if !have_kubectl() {
        return;
    }
    let mut runs = vec![(String::from("kubectl"), Server::start(&[]))];
    if let Some(bin) = versioned(33) {
        runs.push((bin, Server::start(&["--kubernetes-version", "1.33"])));
    }
    for (bin, s) in &runs {
        apply_round(s, bin);
        // With the kind's schema and the strategic-merge media type in /openapi/v3, kubectl
        // computes the patch from there; otherwise it would fetch /openapi/v2 for it.
        let f = files(s);
        let (out, err) = run(s, bin, &["apply", "-f", &f.app, "-v=6"]);
        assert!(
            out.contains("deployment.apps/web configured"),
            "{bin}: {out}"
        );
        assert!(err.contains("/openapi/v3/apis/apps/v1"), "{bin}: {err}");
        assert!(!err.contains("/openapi/v2"), "{bin}: {err}");
        explains_strategy(s, bin, &[]);
    }
}
