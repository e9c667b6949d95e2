//! The apply rules end to end on Deployments, with the bundled schema and the server's own
//! defaulting.

use serde_json::{Value, json};

use super::*;
use crate::server::catalog::Catalog;
use crate::server::http::defaults::apply_defaults;

struct Fixture {
    def: Value,
    defs: std::sync::Arc<Value>,
    defaulter: Box<dyn Fn(&mut Value) + Sync>,
}

fn fixture() -> Fixture {
    let reg = crate::schema::SchemaRegistry::new(crate::schema::newest_version(), true).unwrap();
    let (def, defs) = reg
        .schema_of(&crate::schema::Gvk::new("apps", "v1", "Deployment"))
        .unwrap();
    let r = Catalog::builtin()
        .find("apps", "v1", "deployments")
        .unwrap();
    Fixture {
        def,
        defs,
        defaulter: Box::new(move |v: &mut Value| apply_defaults(&r, v)),
    }
}

impl Fixture {
    fn applier<'a>(&'a self, manager: &'a str, force: bool) -> Applier<'a> {
        Applier {
            node: Node::new(&self.def, &self.defs),
            manager,
            subresource: "",
            api_version: "apps/v1",
            force,
            scope: Scope::WithoutStatus,
            defaulter: &*self.defaulter,
            now: "2026-01-01T00:00:00Z",
        }
    }

    /// Creates the object as the apply endpoint does (create path, then defaulting).
    fn create(&self, manager: &str, config: &Value) -> Value {
        let mut obj = self.applier(manager, false).create(config).unwrap();
        (self.defaulter)(&mut obj);
        obj
    }

    fn apply(&self, live: &Value, manager: &str, config: &Value) -> Result<Value, ApplyError> {
        self.applier(manager, false)
            .apply(live, config)
            .map(|o| o.unwrap_or_else(|| live.clone()))
    }
}

fn web(replicas: i64) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web", "tier": "front"}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [
                    {"name": "web", "image": "web:1", "ports": [{"containerPort": 8080}],
                     "env": [{"name": "MODE", "value": "prod"}]},
                    {"name": "sidecar", "image": "side:1"}]}}}})
}

fn entry<'a>(obj: &'a Value, manager: &str) -> Option<&'a Value> {
    obj["metadata"]["managedFields"]
        .as_array()?
        .iter()
        .find(|e| e["manager"] == manager)
}

#[test]
fn create_records_the_applied_fields() {
    let f = fixture();
    let obj = f.create("kubectl", &web(2));
    let e = entry(&obj, "kubectl").unwrap();
    assert_eq!(e["operation"], "Apply");
    assert_eq!(e["apiVersion"], "apps/v1");
    assert_eq!(e["fieldsType"], "FieldsV1");
    let fields = &e["fieldsV1"];
    assert_eq!(
        fields["f:metadata"],
        json!({"f:labels": {"f:app": {}, "f:tier": {}}}),
        "name and namespace are never owned"
    );
    assert!(fields.get("f:apiVersion").is_none() && fields.get("f:kind").is_none());
    assert_eq!(
        fields["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"web\"}"]["f:ports"],
        json!({"k:{\"containerPort\":8080,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}}})
    );
}

#[test]
fn reapplying_the_same_configuration_changes_nothing() {
    let f = fixture();
    let live = f.create("kubectl", &web(2));
    let out = f.applier("kubectl", false).apply(&live, &web(2)).unwrap();
    assert!(out.is_none(), "no-op: nothing to write");
}

#[test]
fn a_changed_field_owned_by_another_manager_conflicts() {
    let f = fixture();
    let live = f.create("kubectl", &web(2));
    let err = f.apply(&live, "other", &web(4)).unwrap_err();
    let ApplyError::Conflicts(conflicts) = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        conflicts,
        vec![Conflict {
            manager: "\"kubectl\"".into(),
            field: ".spec.replicas".into()
        }]
    );
    assert_eq!(
        conflict_message(&conflicts),
        "Apply failed with 1 conflict: conflict with \"kubectl\": .spec.replicas"
    );
}

#[test]
fn several_conflicts_are_listed_per_manager() {
    let f = fixture();
    let live = f.create("kubectl", &web(2));
    let mut changed = web(4);
    changed["spec"]["template"]["spec"]["containers"][0]["image"] = json!("web:2");
    let ApplyError::Conflicts(conflicts) = f.apply(&live, "other", &changed).unwrap_err() else {
        panic!()
    };
    assert_eq!(
        conflict_message(&conflicts),
        "Apply failed with 2 conflicts: conflicts with \"kubectl\":\n- .spec.replicas\n- .spec.template.spec.containers[name=\"web\"].image"
    );
}

#[test]
fn update_managers_are_named_with_their_version() {
    let f = fixture();
    let mut live = f.create("kubectl", &web(2));
    live["metadata"]["managedFields"][0]["operation"] = json!("Update");
    live["metadata"]["managedFields"][0]["manager"] = json!("other");
    let ApplyError::Conflicts(c) = f.apply(&live, "kubectl", &web(4)).unwrap_err() else {
        panic!()
    };
    assert_eq!(
        conflict_message(&c),
        "Apply failed with 1 conflict: conflict with \"other\" using apps/v1: .spec.replicas"
    );
}

#[test]
fn the_same_value_is_shared_ownership() {
    let f = fixture();
    let live = f.create("kubectl", &web(2));
    let only_replicas = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web"}, "spec": {"replicas": 2}});
    let out = f.apply(&live, "other", &only_replicas).unwrap();
    for m in ["kubectl", "other"] {
        assert_eq!(
            entry(&out, m).unwrap()["fieldsV1"]["f:spec"]["f:replicas"],
            json!({}),
            "{m} owns replicas"
        );
    }
    // Either may now drop it without removing it: the other still owns it.
    let out = f
        .apply(
            &out,
            "other",
            &json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web"}, "spec": {"paused": false}}),
        )
        .unwrap();
    assert_eq!(out["spec"]["replicas"], 2);
}

#[test]
fn force_moves_ownership() {
    let f = fixture();
    let live = f.create("kubectl", &web(2));
    let out = f
        .applier("other", true)
        .apply(&live, &web(4))
        .unwrap()
        .unwrap();
    assert_eq!(out["spec"]["replicas"], 4);
    let kubectl = &entry(&out, "kubectl").unwrap()["fieldsV1"];
    assert!(kubectl["f:spec"].get("f:replicas").is_none(), "{kubectl}");
    assert!(
        kubectl["f:spec"].get("f:selector").is_some(),
        "shared fields stay shared"
    );
    assert_eq!(
        entry(&out, "other").unwrap()["fieldsV1"]["f:spec"]["f:replicas"],
        json!({})
    );
    // kubectl re-applying its old value now conflicts with the new owner.
    let ApplyError::Conflicts(c) = f.apply(&out, "kubectl", &web(2)).unwrap_err() else {
        panic!()
    };
    assert_eq!(c[0].manager, "\"other\"");
}

#[test]
fn fields_dropped_from_the_configuration_are_removed() {
    let f = fixture();
    let live = f.create("kubectl", &web(2));
    let mut smaller = web(2);
    smaller["metadata"]["labels"]
        .as_object_mut()
        .unwrap()
        .remove("tier");
    smaller["spec"]["template"]["spec"]["containers"]
        .as_array_mut()
        .unwrap()
        .pop();
    smaller["spec"]["template"]["spec"]["containers"][0]
        .as_object_mut()
        .unwrap()
        .remove("env");
    smaller["spec"].as_object_mut().unwrap().remove("replicas");
    let out = f.apply(&live, "kubectl", &smaller).unwrap();
    assert_eq!(out["metadata"]["labels"], json!({"app": "web"}));
    let containers = out["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap();
    assert_eq!(containers.len(), 1);
    assert!(containers[0].get("env").is_none());
    assert_eq!(
        containers[0]["terminationMessagePath"], "/dev/termination-log",
        "defaults of kept items stay"
    );
    assert_eq!(
        out["spec"]["replicas"], 1,
        "a removed field is reset to its default"
    );
    let fields = &entry(&out, "kubectl").unwrap()["fieldsV1"];
    assert!(fields["f:spec"].get("f:replicas").is_none());
}

#[test]
fn fields_owned_by_someone_else_survive_removal() {
    let f = fixture();
    let live = f.create("kubectl", &web(2));
    let tier = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"tier": "front"}}});
    let live = f.apply(&live, "labeller", &tier).unwrap();
    let mut smaller = web(2);
    smaller["metadata"]["labels"]
        .as_object_mut()
        .unwrap()
        .remove("tier");
    let out = f.apply(&live, "kubectl", &smaller).unwrap();
    assert_eq!(out["metadata"]["labels"]["tier"], "front");
}

#[test]
fn fields_set_by_other_writes_are_not_the_appliers_to_remove() {
    let f = fixture();
    let mut live = f.create("kubectl", &web(2));
    // `kubectl label` (a merge patch) leaves managedFields alone.
    live["metadata"]["labels"]["env"] = json!("dev");
    let mut smaller = web(2);
    smaller["metadata"]["labels"]
        .as_object_mut()
        .unwrap()
        .remove("tier");
    let out = f.apply(&live, "kubectl", &smaller).unwrap();
    assert_eq!(
        out["metadata"]["labels"],
        json!({"app": "web", "env": "dev"})
    );
}

#[test]
fn client_side_applied_objects_move_to_server_side_apply() {
    let f = fixture();
    // As client-side apply creates it: the annotation, no managedFields.
    let mut live = web(2);
    live["metadata"]["annotations"] = json!({LAST_APPLIED: "{\"old\":true}\n"});
    (f.defaulter)(&mut live);
    let out = f.apply(&live, "kubectl", &web(3)).unwrap();
    assert_eq!(out["spec"]["replicas"], 3);
    let last = out["metadata"]["annotations"][LAST_APPLIED]
        .as_str()
        .unwrap();
    let parsed: Value = serde_json::from_str(last).unwrap();
    assert_eq!(parsed, web(3), "kept in step with what kubectl applies");
    assert!(last.ends_with('\n'));
    // kubectl then applies the annotation alone as kubectl-last-applied.
    let just_annotation = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "annotations": {LAST_APPLIED: last}}});
    let out2 = f
        .apply(&out, "kubectl-last-applied", &just_annotation)
        .unwrap();
    assert_eq!(
        entry(&out2, "kubectl-last-applied").unwrap()["fieldsV1"],
        json!({"f:metadata": {"f:annotations": {format!("f:{LAST_APPLIED}"): {}}}})
    );
    assert_eq!(out2["spec"], out["spec"]);
    // And the next kubectl apply neither conflicts nor drops the annotation.
    let out3 = f.apply(&out2, "kubectl", &web(4)).unwrap();
    assert_eq!(out3["spec"]["replicas"], 4);
    let parsed: Value = serde_json::from_str(
        out3["metadata"]["annotations"][LAST_APPLIED]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(parsed["spec"]["replicas"], 4);
    assert!(
        f.applier("kubectl", false)
            .apply(&out3, &web(4))
            .unwrap()
            .is_none()
    );
}

#[test]
fn other_managers_do_not_touch_the_annotation() {
    let f = fixture();
    let mut live = web(2);
    live["metadata"]["annotations"] = json!({LAST_APPLIED: "{}\n"});
    let out = f.apply(&live, "other", &web(3)).unwrap();
    assert_eq!(out["metadata"]["annotations"][LAST_APPLIED], "{}\n");
}

#[test]
fn status_is_not_the_main_resources_and_the_status_endpoint_owns_only_status() {
    let f = fixture();
    let mut config = web(2);
    config["status"] = json!({"replicas": 9});
    let obj = f.create("kubectl", &config);
    assert!(
        entry(&obj, "kubectl").unwrap()["fieldsV1"]
            .get("f:status")
            .is_none()
    );
    let status = Applier {
        subresource: "status",
        scope: Scope::StatusOnly,
        ..f.applier("ctl", false)
    };
    let out = status.apply(&obj, &config).unwrap().unwrap();
    let e = entry(&out, "ctl").unwrap();
    assert_eq!(e["subresource"], "status");
    assert_eq!(e["fieldsV1"], json!({"f:status": {"f:replicas": {}}}));
    assert_eq!(out["status"]["replicas"], 9);
}

#[test]
fn configurations_the_schema_rejects_are_invalid() {
    let f = fixture();
    let live = f.create("kubectl", &web(2));
    let mut bad = web(2);
    bad["spec"]["template"]["spec"]["containers"][1] = json!({"image": "x"});
    let err = f.apply(&live, "kubectl", &bad).unwrap_err();
    let ApplyError::Invalid(e) = err else {
        panic!("{err:?}")
    };
    assert_eq!(e.path, ".spec.template.spec.containers");
}

#[test]
fn managed_fields_are_sorted_and_timed() {
    let f = fixture();
    let live = f.create("zeta", &web(2));
    let mut later = f.applier("alpha", false);
    later.now = "2026-02-01T00:00:00Z";
    let out = later.apply(&live, &web(2)).unwrap().unwrap();
    let managers: Vec<&str> = out["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["manager"].as_str().unwrap())
        .collect();
    assert_eq!(managers, vec!["zeta", "alpha"], "by time, then name");
    assert_eq!(
        entry(&out, "alpha").unwrap()["time"],
        "2026-02-01T00:00:00Z"
    );
    assert_eq!(entry(&out, "zeta").unwrap()["time"], "2026-01-01T00:00:00Z");
}

#[test]
fn applying_nothing_but_the_name_records_no_entry() {
    let f = fixture();
    let live = f.create("kubectl", &web(2));
    let out = f
        .apply(
            &live,
            "nobody",
            &json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}),
        )
        .unwrap();
    assert!(entry(&out, "nobody").is_none());
}
