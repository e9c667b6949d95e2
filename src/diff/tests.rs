//! Normalization as a specification: each test is a kind of noise that must not show, or a
//! real change that must.

use std::sync::LazyLock;

use serde_json::{Value, json};

use super::*;
use crate::schema::{Gvk, SchemaRegistry, newest_version};

static REGISTRY: LazyLock<SchemaRegistry> =
    LazyLock::new(|| SchemaRegistry::new(newest_version(), true).expect("bundled schemas"));

fn schema(api_version: &str, kind: &str) -> Option<KindSchema> {
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    REGISTRY
        .schema_of(&Gvk::new(group, version, kind))
        .map(|(root, defs)| KindSchema::new(root, defs))
}

fn diff_with(desired: &Value, current: &Value, options: &DiffOptions) -> ObjectDiff {
    let api_version = desired["apiVersion"].as_str().unwrap();
    let kind = desired["kind"].as_str().unwrap();
    let schema = schema(api_version, kind);
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let cx = DiffContext {
        group,
        kind,
        name: desired["metadata"]["name"].as_str(),
        schema: schema.as_ref(),
        options,
    };
    ObjectDiff::between(Some(desired), Some(current), &cx)
}

fn diff(desired: &Value, current: &Value) -> ObjectDiff {
    diff_with(desired, current, &DiffOptions::default())
}

fn paths(d: &ObjectDiff) -> Vec<&str> {
    d.changes.iter().map(|c| c.path.as_str()).collect()
}

fn text(d: &ObjectDiff) -> String {
    d.lines(3)
        .iter()
        .map(DiffLine::plain)
        .collect::<Vec<_>>()
        .join("\n")
}

fn manifest_deployment() -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{
                    "name": "web", "image": "example/web:1.4.2",
                    "ports": [{"name": "http", "containerPort": 5000}],
                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": 1, "memory": "256Mi"}},
                    "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 5}
                }]}
            }
        }
    })
}

/// The same Deployment as an API server returns it: server metadata, status, every default.
fn live_deployment() -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {
            "name": "web", "namespace": "shop", "labels": {"app": "web"},
            "uid": "5c1e…", "resourceVersion": "4711", "generation": 2,
            "creationTimestamp": "2026-11-26T12:00:00Z",
            "managedFields": [{"manager": "kubectl", "operation": "Apply"}],
            "annotations": {
                "deployment.kubernetes.io/revision": "2",
                "kubectl.kubernetes.io/last-applied-configuration": "{\"kind\":\"Deployment\"}"
            }
        },
        "spec": {
            "replicas": 3,
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {
                "metadata": {"labels": {"app": "web"}, "creationTimestamp": null},
                "spec": {
                    "containers": [{
                        "name": "web", "image": "example/web:1.4.2",
                        "imagePullPolicy": "IfNotPresent",
                        "terminationMessagePath": "/dev/termination-log",
                        "terminationMessagePolicy": "File",
                        "ports": [{"name": "http", "containerPort": 5000, "protocol": "TCP"}],
                        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "256Mi"}},
                        "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP"},
                            "periodSeconds": 5, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3}
                    }],
                    "restartPolicy": "Always",
                    "terminationGracePeriodSeconds": 30,
                    "dnsPolicy": "ClusterFirst",
                    "schedulerName": "default-scheduler",
                    "securityContext": {}
                }
            }
        },
        "status": {"replicas": 3, "readyReplicas": 3, "observedGeneration": 2}
    })
}

#[test]
fn a_live_deployment_diffs_to_nothing_against_its_manifest() {
    let d = diff(&manifest_deployment(), &live_deployment());
    assert!(d.is_unchanged(), "{:?}\n{}", d.changes, text(&d));
    assert_eq!(text(&d), "");
}

#[test]
fn a_live_service_diffs_to_nothing_against_its_manifest() {
    let manifest = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}, {"name": "metrics", "port": 9090}]}});
    let live = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop", "uid": "u", "resourceVersion": "9"},
        "spec": {"selector": {"app": "web"}, "type": "ClusterIP", "sessionAffinity": "None", "clusterIP": "10.96.4.2",
            "clusterIPs": ["10.96.4.2"], "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack", "internalTrafficPolicy": "Cluster",
            "ports": [{"name": "metrics", "port": 9090, "protocol": "TCP", "targetPort": 9090}, {"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"}]},
        "status": {"loadBalancer": {}}});
    let d = diff(&manifest, &live);
    assert!(d.is_unchanged(), "{:?}", d.changes);
}

#[test]
fn a_real_change_shows_and_only_it() {
    let mut desired = manifest_deployment();
    desired["spec"]["template"]["spec"]["containers"][0]["image"] = json!("example/web:1.5.0");
    let d = diff(&desired, &live_deployment());
    assert_eq!(paths(&d), ["/spec/template/spec/containers/0/image"]);
    let shown = text(&d);
    assert!(
        shown.contains("-      - image: example/web:1.4.2"),
        "{shown}"
    );
    assert!(
        shown.contains("+      - image: example/web:1.5.0"),
        "{shown}"
    );
    assert!(
        !shown.contains("imagePullPolicy"),
        "defaults stay hidden: {shown}"
    );
}

#[test]
fn a_default_the_manifest_overrides_is_a_change() {
    let mut desired = manifest_deployment();
    desired["spec"]["revisionHistoryLimit"] = json!(5);
    let d = diff(&desired, &live_deployment());
    assert_eq!(paths(&d), ["/spec/revisionHistoryLimit"]);
    assert_eq!(d.changes[0].before, Some(json!(10)));
}

#[test]
fn a_server_field_the_manifest_does_not_set_but_with_another_value_is_a_change() {
    // Someone switched the live Deployment to Recreate: not a default, so it shows as removed.
    let mut live = live_deployment();
    live["spec"]["strategy"] = json!({"type": "Recreate"});
    let d = diff(&manifest_deployment(), &live);
    assert_eq!(paths(&d), ["/spec/strategy"]);
    assert_eq!(d.changes[0].op(), "remove");
}

#[test]
fn quantities_compare_by_value() {
    let mut desired = manifest_deployment();
    let resources = &mut desired["spec"]["template"]["spec"]["containers"][0]["resources"];
    resources["limits"]["cpu"] = json!("1000m");
    resources["limits"]["memory"] = json!("0.25Gi");
    resources["requests"]["cpu"] = json!(0.1);
    assert!(diff(&desired, &live_deployment()).is_unchanged());
    desired["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] =
        json!("256M");
    let d = diff(&desired, &live_deployment());
    assert_eq!(
        paths(&d),
        ["/spec/template/spec/containers/0/resources/limits/memory"]
    );
}

#[test]
fn only_schema_quantities_compare_as_quantities() {
    // A ConfigMap value that happens to look like a quantity is just a string.
    let desired = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"size": "1Gi"}});
    let current = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"size": "1024Mi"}});
    assert_eq!(paths(&diff(&desired, &current)), ["/data/size"]);
}

#[test]
fn int_or_string_compares_type_and_value() {
    let service = |target: Value| {
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
            "spec": {"ports": [{"port": 80, "targetPort": target}]}})
    };
    assert!(diff(&service(json!(8080)), &service(json!(8080.0))).is_unchanged());
    assert!(diff(&service(json!("http")), &service(json!("http"))).is_unchanged());
    // Kubernetes never converts: a string targetPort is a port *name*.
    let d = diff(&service(json!("8080")), &service(json!(8080)));
    assert_eq!(paths(&d), ["/spec/ports/0/targetPort"]);
}

#[test]
fn keyed_lists_match_by_key_not_position() {
    let pod = |containers: Value| json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": containers}});
    let desired = pod(json!([
        {"name": "app", "image": "app:2", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
         "ports": [{"containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}]},
        {"name": "sidecar", "image": "proxy:1"}
    ]));
    let current = pod(json!([
        {"name": "sidecar", "image": "proxy:1"},
        {"name": "app", "image": "app:1", "env": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}],
         "ports": [{"containerPort": 53, "protocol": "UDP"}, {"containerPort": 80, "protocol": "TCP"}]}
    ]));
    let d = diff(&desired, &current);
    assert_eq!(paths(&d), ["/spec/containers/0/image"]);
    let shown = text(&d);
    assert!(shown.contains("-    image: app:1"), "{shown}");
    assert_eq!(
        shown.matches('\n').count() + 1,
        9,
        "one hunk, no moved lines: {shown}"
    );
}

#[test]
fn keyed_list_items_added_and_removed() {
    let cm = |volumes: Value| {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "a", "image": "a:1"}], "volumes": volumes}})
    };
    let d = diff(
        &cm(json!([{"name": "x", "emptyDir": {}}, {"name": "y", "configMap": {"name": "y"}}])),
        &cm(json!([{"name": "z", "emptyDir": {}}, {"name": "x", "emptyDir": {}}])),
    );
    assert_eq!(paths(&d), ["/spec/volumes/1", "/spec/volumes/2"]);
    assert_eq!(d.changes[0].op(), "add");
    assert_eq!(d.changes[1].op(), "remove");
}

#[test]
fn positional_lists_keep_their_order() {
    let pod = |args: Value| {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "a", "image": "a:1", "args": args}]}})
    };
    let d = diff(&pod(json!(["--x", "--y"])), &pod(json!(["--y", "--x"])));
    assert_eq!(
        paths(&d),
        ["/spec/containers/0/args/0", "/spec/containers/0/args/1"]
    );
}

#[test]
fn null_and_empty_values_are_absent() {
    let mut desired = manifest_deployment();
    desired["metadata"]["annotations"] = json!({});
    desired["spec"]["template"]["spec"]["containers"][0]["args"] = json!([]);
    desired["spec"]["template"]["spec"]["nodeSelector"] = Value::Null;
    assert!(diff(&desired, &live_deployment()).is_unchanged());
}

#[test]
fn an_empty_map_that_means_something_is_kept() {
    let pod = |volume: Value| {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "a", "image": "a:1"}], "volumes": [volume]}})
    };
    let d = diff(
        &pod(json!({"name": "v", "emptyDir": {}})),
        &pod(json!({"name": "v", "hostPath": {"path": "/x"}})),
    );
    assert_eq!(
        paths(&d),
        ["/spec/volumes/0/emptyDir", "/spec/volumes/0/hostPath"]
    );
}

#[test]
fn ignore_rules_remove_fields_on_both_sides_for_their_kind() {
    let mut desired = manifest_deployment();
    desired["spec"]["replicas"] = json!(5);
    let options = DiffOptions {
        ignore: vec!["Deployment:/spec/replicas".parse().unwrap()],
        ..DiffOptions::default()
    };
    assert!(diff_with(&desired, &live_deployment(), &options).is_unchanged());
    let other_kind = DiffOptions {
        ignore: vec!["StatefulSet:/spec/replicas".parse().unwrap()],
        ..DiffOptions::default()
    };
    assert!(!diff_with(&desired, &live_deployment(), &other_kind).is_unchanged());
}

const SECRET_VALUE: &str = "hunter2-very-secret";

fn secret_pair() -> (Value, Value) {
    let desired = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "type": "Opaque",
        "stringData": {"password": SECRET_VALUE, "user": "admin"}});
    let current = json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "s", "annotations": {"kubectl.kubernetes.io/last-applied-configuration":
            format!("{{\"stringData\":{{\"password\":\"{SECRET_VALUE}-old\"}}}}")}},
        "type": "Opaque",
        "data": {"password": "b2xkLXBhc3N3b3Jk", "user": "YWRtaW4=", "gone": "eA=="}});
    (desired, current)
}

#[test]
fn secrets_are_masked_with_the_changed_signal() {
    let (desired, current) = secret_pair();
    let d = diff(&desired, &current);
    let shown = text(&d);
    assert!(
        shown.contains("-  password: '*** (before)'")
            || shown.contains("-  password: \"*** (before)\""),
        "{shown}"
    );
    assert!(shown.contains("+  password: \"*** (changed)\""), "{shown}");
    assert!(shown.contains("   user: \"*** (unchanged)\""), "{shown}");
    assert!(shown.contains("-  gone: \"*** (removed)\""), "{shown}");
    for forbidden in [SECRET_VALUE, "b2xkLXBhc3N3b3Jk", "YWRtaW4=", "admin"] {
        assert!(!shown.contains(forbidden), "{forbidden} leaked: {shown}");
        let changes = serde_json::to_string(&d.changes).unwrap();
        assert!(
            !changes.contains(forbidden),
            "{forbidden} leaked: {changes}"
        );
    }
}

#[test]
fn show_secrets_reveals_the_base64_data() {
    let (desired, current) = secret_pair();
    let options = DiffOptions {
        show_secrets: true,
        ..DiffOptions::default()
    };
    let shown = text(&diff_with(&desired, &current, &options));
    assert!(shown.contains("YWRtaW4="), "{shown}");
    assert!(
        !shown.contains("last-applied"),
        "the annotation is server noise: {shown}"
    );
}

#[test]
fn string_data_and_data_with_the_same_content_are_equal() {
    let desired = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"k": "abc"}});
    let current = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "type": "Opaque", "data": {"k": "YWJj"}});
    assert!(diff(&desired, &current).is_unchanged());
}

#[test]
fn custom_resources_without_a_schema_compare_as_written() {
    let cr = |size: &str| {
        json!({"apiVersion": "flask.example.com/v1", "kind": "BackupSchedule", "metadata": {"name": "n"},
            "spec": {"storage": {"size": size}, "schedule": "0 3 * * *"}, "status": {"lastRun": "x"}})
    };
    assert!(diff(&cr("10Gi"), &cr("10Gi")).is_unchanged());
    assert_eq!(
        paths(&diff(&cr("10Gi"), &cr("20Gi"))),
        ["/spec/storage/size"]
    );
}

#[test]
fn created_and_deleted_objects_are_shown_whole_and_masked() {
    let (desired, current) = secret_pair();
    let options = DiffOptions::default();
    let cx = DiffContext {
        group: "",
        kind: "Secret",
        name: Some("s"),
        schema: None,
        options: &options,
    };
    for d in [
        ObjectDiff::between(Some(&desired), None, &cx),
        ObjectDiff::between(None, Some(&current), &cx),
    ] {
        let shown = text(&d);
        assert!(shown.contains("password: \"***\""), "{shown}");
        assert!(
            !shown.contains(SECRET_VALUE) && !shown.contains("YWRtaW4="),
            "{shown}"
        );
    }
}
