//! `kplan plan`: actions with reasons in apply order, replacements, pruning, CRDs with their
//! custom resources, rollouts, warnings, the saved plan file, and every renderer.

use crate::diff::{edit, flask_app, write};
use crate::util::PLAN_FILE_SCHEMA;

const PLAN: [&str; 4] = ["plan", "new", "--against", "base"];

/// The web Deployment's selector gains a label (the template too, so the object stays valid).
fn change_selector(dir: &crate::util::Dir) {
    edit(
        dir,
        "new/20-web.yaml",
        "    matchLabels:\n      app: web\n",
        "    matchLabels:\n      app: web\n      tier: frontend\n",
    );
    edit(
        dir,
        "new/20-web.yaml",
        "      labels:\n        app: web\n    spec:",
        "      labels:\n        app: web\n        tier: frontend\n    spec:",
    );
}

#[test]
fn an_immutable_selector_change_is_a_replacement() {
    let dir = flask_app();
    change_selector(&dir);
    let out = dir.run(PLAN);
    out.expect_code(0);
    insta::assert_snapshot!("selector_replace", out.stdout);
}

#[test]
fn a_new_image_plans_a_rolling_update_with_the_controller_steps() {
    let dir = flask_app();
    edit(
        &dir,
        "new/20-web.yaml",
        "flask-web:1.4.2",
        "flask-web:1.5.0",
    );
    write(
        &dir,
        "new/60-pdb.yaml",
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\n  namespace: flask-app\nspec:\n  minAvailable: 3\n  selector:\n    matchLabels:\n      app: web\n",
    );
    let out = dir.run(PLAN);
    insta::assert_snapshot!("rolling_update", out.stdout);
}

#[test]
fn a_deleted_object_without_and_with_prune() {
    let dir = flask_app();
    std::fs::remove_file(dir.join("new/50-backup.yaml")).unwrap();
    let without = dir.run(PLAN);
    without.expect_code(0);
    insta::assert_snapshot!("deleted_without_prune", without.stdout);
    let with = dir.run([
        "plan",
        "new",
        "--against",
        "base",
        "--prune",
        "--detailed-exitcode",
    ]);
    with.expect_code(3);
    insta::assert_snapshot!("deleted_with_prune", with.stdout);
}

#[test]
fn a_crd_and_its_custom_resource_in_the_same_change() {
    let dir = flask_app();
    write(
        &dir,
        "new/70-widgets.yaml",
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: flask-app\nspec:\n  size: 2\n---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  scope: Namespaced\n  names: {kind: Widget, plural: widgets}\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}\n",
    );
    let out = dir.run(["plan", "new", "--against", "base", "-o", "json"]);
    out.expect_code(0);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let order: Vec<String> = json["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["action"] != "noop")
        .map(|o| {
            format!(
                "{} {} {}",
                o["order"],
                o["action"].as_str().unwrap(),
                o["kind"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        order,
        ["1 create CustomResourceDefinition", "2 create Widget"],
        "the CRD first"
    );
    assert_eq!(json["warnings"], serde_json::json!([]));
}

#[test]
fn missing_dependencies_are_warnings() {
    let dir = flask_app();
    write(
        &dir,
        "new/80-orphans.yaml",
        "apiVersion: example.com/v1\nkind: Gadget\nmetadata:\n  name: g\n  namespace: flask-app\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: elsewhere\n",
    );
    let out = dir.run(PLAN);
    out.expect_code(0);
    assert!(out.stdout.contains("! Gadget flask-app/g: missing dependency: no CustomResourceDefinition for Gadget.example.com in the manifests or the current state"), "{}", out.stdout);
    assert!(out.stdout.contains("! missing dependency: namespace elsewhere is neither in the manifests nor in the current state"), "{}", out.stdout);
}

#[test]
fn every_renderer_of_the_plan() {
    let dir = flask_app();
    change_selector(&dir);
    edit(
        &dir,
        "new/30-database.yaml",
        "postgres:16.4",
        "postgres:16.5",
    );
    edit(
        &dir,
        "new/10-config.yaml",
        "change-me-in-production",
        "s3cr3t-rotated-value",
    );
    write(
        &dir,
        "new/60-flags.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flags\n  namespace: flask-app\ndata:\n  NEW_UI: \"true\"\n",
    );
    std::fs::remove_file(dir.join("new/50-backup.yaml")).unwrap();
    for (format, name) in [
        ("text", "plan_text"),
        ("markdown", "plan_markdown"),
        ("json", "plan_json"),
    ] {
        let out = dir.run(["plan", "new", "--against", "base", "--prune", "-o", format]);
        out.expect_code(0);
        assert!(
            !out.stdout.contains("s3cr3t-rotated-value"),
            "{format} leaked"
        );
        assert!(
            !out.stdout.contains("czNjcjN0LXJvdGF0ZWQtdmFsdWU="),
            "{format} leaked base64"
        );
        assert!(
            out.stdout
                .contains("Plan: 1 to create, 2 to update, 1 to replace, 1 to delete."),
            "{format}: {}",
            out.stdout
        );
        insta::assert_snapshot!(name, out.stdout);
    }
}

#[test]
fn the_saved_plan_records_versions_and_no_secret() {
    let dir = flask_app();
    edit(
        &dir,
        "new/10-config.yaml",
        "change-me-in-production",
        "s3cr3t-rotated-value",
    );
    let snapshot = serde_json::json!({
        "apiVersion": "kplan.dev/snapshot/v1", "kind": "Snapshot",
        "objects": [
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "web-secrets", "namespace": "flask-app", "resourceVersion": "77", "uid": "u-77"},
             "type": "Opaque", "data": {"SECRET_KEY": "b2xk", "DATABASE_URL": "eA=="}}
        ]
    });
    write(
        &dir,
        "snapshot.json",
        &serde_json::to_string(&snapshot).unwrap(),
    );
    let out = dir.run([
        "plan",
        "new/10-config.yaml",
        "--against",
        "snapshot.json",
        "--out",
        "plan.json",
    ]);
    out.expect_code(0);
    assert!(out.stderr.contains("saved to plan.json"), "{}", out.stderr);
    let text = std::fs::read_to_string(dir.join("plan.json")).unwrap();
    crate::util::check_against(&PLAN_FILE_SCHEMA, "docs/plan-file.schema.json", &text);
    for secret in [
        "s3cr3t-rotated-value",
        "czNjcjN0LXJvdGF0ZWQtdmFsdWU=",
        "b2xk",
        "change-me",
        "postgresql://",
    ] {
        assert!(
            !text.contains(secret),
            "the plan file holds {secret}:\n{text}"
        );
    }
    let plan: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(plan["apiVersion"], "kplan.dev/plan/v1");
    let secret = plan["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "web-secrets")
        .unwrap();
    assert_eq!(secret["action"], "update");
    assert_eq!(secret["current"]["resourceVersion"], "77");
    assert_eq!(secret["current"]["uid"], "u-77");
    assert_eq!(secret["source"]["file"], "new/10-config.yaml");
    assert!(
        secret["desired"]["stringData"]["SECRET_KEY"]
            .as_str()
            .unwrap()
            .starts_with("kplan-sha256:")
    );
}

#[test]
fn no_changes_is_said_once() {
    let dir = flask_app();
    let out = dir.run([
        "plan",
        "new",
        "--against",
        "base",
        "-o",
        "markdown",
        "--detailed-exitcode",
    ]);
    out.expect_code(0);
    assert!(out.stdout.contains("**No changes.**"), "{}", out.stdout);
}

#[test]
fn a_crd_only_the_current_state_has_sets_its_kinds_scope() {
    let dir = crate::util::Dir::new()
        .file(
            "base/crd.yaml",
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  scope: Cluster\n  names: {kind: Widget, plural: widgets}\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}\n",
        )
        .file("base/w.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: 1\n")
        .file("new/w.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  size: 2\n");
    let out = dir.run(["plan", "new", "--against", "base", "-o", "json"]);
    out.expect_code(0);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        json["summary"]["line"],
        "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete."
    );
    let widget = &json["objects"][0];
    assert_eq!(
        widget["namespace"],
        serde_json::Value::Null,
        "cluster-scoped"
    );
    assert_eq!(widget["changes"][0]["path"], "/spec/size");
}

#[test]
fn a_secret_change_warns_about_pods_that_keep_the_old_values() {
    let dir = flask_app();
    edit(
        &dir,
        "new/10-config.yaml",
        "change-me-in-production",
        "s3cr3t-rotated-value",
    );
    let out = dir.run(PLAN);
    out.expect_code(0);
    assert!(
        out.stdout.contains("! Deployment flask-app/web: reads Secret web-secrets through environment variables; its data changes but the pod template does not, so running pods keep the old values until they restart"),
        "{}",
        out.stdout
    );
    // With a new image the pods restart anyway: nothing to warn about.
    edit(
        &dir,
        "new/20-web.yaml",
        "flask-web:1.4.2",
        "flask-web:1.5.0",
    );
    let out = dir.run(PLAN);
    assert!(
        !out.stdout.contains("keep the old values"),
        "{}",
        out.stdout
    );
}
