//! Server-side apply through the real kubectl: field-manager conflicts, `--force-conflicts`,
//! removal of what a manifest no longer has, and the move from client-side apply.

use serde_json::Value;

use crate::serve::{Server, have_kubectl};

fn deployment(replicas: u32, extra_label: Option<&str>) -> String {
    let extra = extra_label.map_or_else(String::new, |l| format!("\n    {l}"));
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ssa
  labels:
    app: web{extra}
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.25
        ports:
        - containerPort: 80
"
    )
}

/// A server with the namespace the manifests use (created with a JSON body: `kubectl create
/// namespace` would send protobuf).
fn start() -> Server {
    let s = Server::start(&[]);
    let ns = manifest(
        &s,
        "ns.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ssa\n",
    );
    s.ok(&["apply", "-f", &ns]);
    s
}

/// Writes a manifest into the server's temporary directory; returns its path.
fn manifest(s: &Server, file: &str, text: &str) -> String {
    let path = s.dir.path().join(file);
    std::fs::write(&path, text).expect("write manifest");
    path.to_str().expect("utf-8 path").to_string()
}

fn get_json(s: &Server) -> Value {
    let out = s.ok(&[
        "get",
        "deploy",
        "web",
        "-n",
        "ssa",
        "-o",
        "json",
        "--show-managed-fields",
    ]);
    serde_json::from_str(&out).expect("kubectl prints JSON")
}

fn fields_of<'a>(obj: &'a Value, manager: &str) -> Option<&'a Value> {
    obj["metadata"]["managedFields"]
        .as_array()?
        .iter()
        .find(|e| e["manager"] == manager)
        .map(|e| &e["fieldsV1"])
}

#[test]
fn a_conflicting_apply_is_refused_until_forced() {
    if !have_kubectl() {
        return;
    }
    let s = start();
    let two = manifest(&s, "two.yaml", &deployment(2, None));
    let four = manifest(&s, "four.yaml", &deployment(4, None));
    let out = s.ok(&["apply", "--server-side", "-f", &two]);
    assert!(
        out.contains("deployment.apps/web serverside-applied"),
        "{out}"
    );

    let (code, out, err) = s.kubectl(
        "kubectl",
        &[
            "apply",
            "--server-side",
            "--field-manager=other",
            "-f",
            &four,
        ],
    );
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        err.contains("Apply failed with 1 conflict: conflict with \"kubectl\": .spec.replicas"),
        "{err}"
    );
    assert!(
        err.contains("--force-conflicts"),
        "kubectl's help text: {err}"
    );
    assert_eq!(get_json(&s)["spec"]["replicas"], 2, "nothing was written");

    // The same value is shared ownership, not a conflict.
    s.ok(&[
        "apply",
        "--server-side",
        "--field-manager=other",
        "-f",
        &two,
    ]);

    let out = s.ok(&[
        "apply",
        "--server-side",
        "--field-manager=other",
        "--force-conflicts",
        "-f",
        &four,
    ]);
    assert!(out.contains("serverside-applied"), "{out}");
    let obj = get_json(&s);
    assert_eq!(obj["spec"]["replicas"], 4);
    let other = fields_of(&obj, "other").expect("an entry for other");
    assert_eq!(other["f:spec"]["f:replicas"], serde_json::json!({}));
    let kubectl = fields_of(&obj, "kubectl").expect("kubectl keeps its other fields");
    assert!(
        kubectl["f:spec"].get("f:replicas").is_none(),
        "ownership moved: {kubectl}"
    );
    assert!(kubectl["f:spec"].get("f:selector").is_some(), "{kubectl}");
    let yaml = s.ok(&[
        "get",
        "deploy",
        "web",
        "-n",
        "ssa",
        "-o",
        "yaml",
        "--show-managed-fields",
    ]);
    assert!(yaml.contains("manager: other"), "{yaml}");
    assert!(yaml.contains("f:replicas: {}"), "{yaml}");

    // Now kubectl's old value conflicts with the new owner.
    let (code, _, err) = s.kubectl("kubectl", &["apply", "--server-side", "-f", &two]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("conflict with \"other\"") && err.contains(".spec.replicas"),
        "{err}"
    );
}

#[test]
fn what_the_manifest_drops_is_removed() {
    if !have_kubectl() {
        return;
    }
    let s = start();
    let with = manifest(&s, "with.yaml", &deployment(1, Some("tier: front")));
    let without = manifest(&s, "without.yaml", &deployment(1, None));
    s.ok(&["apply", "--server-side", "-f", &with]);
    // A label set by another kind of write is nobody's to remove.
    s.ok(&["label", "deploy", "web", "-n", "ssa", "env=dev"]);
    assert_eq!(get_json(&s)["metadata"]["labels"]["tier"], "front");
    let out = s.ok(&["apply", "--server-side", "-f", &without]);
    assert!(out.contains("serverside-applied"), "{out}");
    let labels = &get_json(&s)["metadata"]["labels"];
    assert_eq!(labels, &serde_json::json!({"app": "web", "env": "dev"}));
}

#[test]
fn a_client_side_applied_object_moves_to_server_side_apply() {
    if !have_kubectl() {
        return;
    }
    let s = start();
    let one = manifest(&s, "one.yaml", &deployment(1, None));
    let three = manifest(&s, "three.yaml", &deployment(3, Some("tier: front")));
    let out = s.ok(&["apply", "-f", &one]);
    assert!(out.contains("deployment.apps/web created"), "{out}");
    let out = s.ok(&["apply", "--server-side", "-f", &three]);
    assert!(out.contains("serverside-applied"), "{out}");
    let obj = get_json(&s);
    assert_eq!(obj["spec"]["replicas"], 3);
    assert_eq!(obj["metadata"]["labels"]["tier"], "front");
    assert!(fields_of(&obj, "kubectl").is_some(), "{obj}");
    // kubectl's follow-up patch keeps the client-side annotation owned.
    let annotation = "kubectl.kubernetes.io/last-applied-configuration";
    let last = fields_of(&obj, "kubectl-last-applied").expect("kubectl-last-applied entry");
    assert!(
        last["f:metadata"]["f:annotations"]
            .get(format!("f:{annotation}"))
            .is_some(),
        "{last}"
    );
    let applied: Value = serde_json::from_str(
        obj["metadata"]["annotations"][annotation]
            .as_str()
            .expect("annotation kept"),
    )
    .expect("annotation is JSON");
    assert_eq!(
        applied["spec"]["replicas"], 3,
        "kept in step with the apply"
    );

    // Again, unchanged: no conflict.
    let out = s.ok(&["apply", "--server-side", "-f", &three]);
    assert!(out.contains("serverside-applied"), "{out}");

    // And back to client-side apply, which diffs against the synced annotation.
    let out = s.ok(&["apply", "-f", &one]);
    assert!(out.contains("deployment.apps/web configured"), "{out}");
    let obj = get_json(&s);
    assert_eq!(obj["spec"]["replicas"], 1);
    assert!(obj["metadata"]["labels"].get("tier").is_none(), "{obj}");
}

#[test]
fn writes_that_are_not_applies_record_their_managers_as_updates() {
    if !have_kubectl() {
        return;
    }
    let s = start();
    let one = manifest(&s, "one.yaml", &deployment(1, None));
    // `kubectl create` names its field manager; the entry is an Update owning what it wrote.
    s.ok(&["create", "-f", &one]);
    let obj = get_json(&s);
    let entries = obj["metadata"]["managedFields"]
        .as_array()
        .expect("entries");
    assert_eq!(entries.len(), 1, "{obj}");
    assert_eq!(entries[0]["manager"], "kubectl-create");
    assert_eq!(entries[0]["operation"], "Update");
    assert!(
        fields_of(&obj, "kubectl-create").unwrap()["f:spec"]
            .get("f:replicas")
            .is_some(),
        "{obj}"
    );

    // A later write takes over the fields it changes.
    s.ok(&[
        "label",
        "deploy",
        "web",
        "-n",
        "ssa",
        "app=other",
        "--overwrite",
    ]);
    let obj = get_json(&s);
    let label = &fields_of(&obj, "kubectl-label").expect("kubectl-label entry")["f:metadata"];
    assert!(label["f:labels"].get("f:app").is_some(), "{obj}");
    assert!(
        fields_of(&obj, "kubectl-create").unwrap()["f:metadata"]["f:labels"]
            .get("f:app")
            .is_none(),
        "{obj}"
    );

    // Through a subresource, the entry names it.
    s.ok(&["scale", "deploy", "web", "-n", "ssa", "--replicas=2"]);
    let obj = get_json(&s);
    let scaled = obj["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["subresource"] == "scale")
        .expect("an entry for the scale subresource");
    assert_eq!(scaled["operation"], "Update", "{obj}");
    assert!(
        scaled["fieldsV1"]["f:spec"].get("f:replicas").is_some(),
        "{obj}"
    );

    // Server-side apply conflicts with an updater as with an applier.
    let (code, _, err) = s.kubectl(
        "kubectl",
        &["apply", "--server-side", "--field-manager=ci", "-f", &one],
    );
    assert_eq!(code, 1, "{err}");
    for conflict in [
        "conflicts with \"kubectl-label\" using apps/v1:\n- .metadata.labels.app",
        "conflicts with \"kubectl\" with subresource \"scale\" using apps/v1:\n- .spec.replicas",
    ] {
        assert!(err.contains(conflict), "{conflict} in:\n{err}");
    }
}
