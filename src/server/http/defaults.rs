//! API defaulting: what the API server fills in that a manifest leaves out (Go
//! `SetDefaults_*` in kubernetes pkg/apis/*/v1/defaults.go). The schemas carry no defaults, so
//! this is a table per kind; `kubectl diff` and `kplan diff` see exactly these fields.

use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::super::catalog::Resource;

/// Whether the API server tracks `metadata.generation` for this resource (its registry strategy
/// bumps it on spec changes).
pub fn has_generation(r: &Resource) -> bool {
    r.custom
        || matches!(
            r.group.as_str(),
            "apps" | "batch" | "autoscaling" | "policy" | "apiextensions.k8s.io"
        )
        || matches!(
            (r.group.as_str(), r.kind.as_str()),
            ("networking.k8s.io", "Ingress" | "NetworkPolicy")
        )
}

/// Fills in defaults in place. Never overwrites what is set.
pub fn apply_defaults(r: &Resource, obj: &mut Value) {
    match (r.group.as_str(), r.kind.as_str()) {
        ("", "Secret") => secret(obj),
        ("", "Service") => service(obj),
        ("", "Namespace") => namespace(obj),
        ("", "Pod") => pod_spec(&mut obj["spec"]),
        ("", "PersistentVolumeClaim") => {
            set(&mut obj["spec"], "volumeMode", json!("Filesystem"));
            set(obj, "status", json!({"phase": "Pending"}));
        }
        ("apps", "Deployment") => {
            let spec = &mut obj["spec"];
            set(spec, "replicas", json!(1));
            set(spec, "revisionHistoryLimit", json!(10));
            set(spec, "progressDeadlineSeconds", json!(600));
            set(spec, "strategy", json!({}));
            set(&mut spec["strategy"], "type", json!("RollingUpdate"));
            if spec["strategy"]["type"] == "RollingUpdate" {
                set(&mut spec["strategy"], "rollingUpdate", json!({}));
                set(
                    &mut spec["strategy"]["rollingUpdate"],
                    "maxUnavailable",
                    json!("25%"),
                );
                set(
                    &mut spec["strategy"]["rollingUpdate"],
                    "maxSurge",
                    json!("25%"),
                );
            }
            template(spec);
        }
        ("apps", "ReplicaSet") => {
            set(&mut obj["spec"], "replicas", json!(1));
            template(&mut obj["spec"]);
        }
        ("apps", "StatefulSet") => {
            let spec = &mut obj["spec"];
            set(spec, "replicas", json!(1));
            set(spec, "podManagementPolicy", json!("OrderedReady"));
            set(spec, "revisionHistoryLimit", json!(10));
            set(spec, "updateStrategy", json!({"type": "RollingUpdate"}));
            if spec["updateStrategy"]["type"] == "RollingUpdate" {
                set(
                    &mut spec["updateStrategy"],
                    "rollingUpdate",
                    json!({"partition": 0}),
                );
            }
            set(
                spec,
                "persistentVolumeClaimRetentionPolicy",
                json!({"whenDeleted": "Retain", "whenScaled": "Retain"}),
            );
            if let Some(claims) = spec
                .get_mut("volumeClaimTemplates")
                .and_then(Value::as_array_mut)
            {
                for c in claims {
                    set(c, "apiVersion", json!("v1"));
                    set(c, "kind", json!("PersistentVolumeClaim"));
                    set(&mut c["spec"], "volumeMode", json!("Filesystem"));
                    set(c, "status", json!({"phase": "Pending"}));
                }
            }
            template(spec);
        }
        ("apps", "DaemonSet") => {
            let spec = &mut obj["spec"];
            set(spec, "revisionHistoryLimit", json!(10));
            set(spec, "updateStrategy", json!({"type": "RollingUpdate"}));
            if spec["updateStrategy"]["type"] == "RollingUpdate" {
                set(
                    &mut spec["updateStrategy"],
                    "rollingUpdate",
                    json!({"maxUnavailable": 1, "maxSurge": 0}),
                );
            }
            template(spec);
        }
        ("batch", "Job") => job_spec(&mut obj["spec"]),
        ("batch", "CronJob") => {
            let spec = &mut obj["spec"];
            set(spec, "concurrencyPolicy", json!("Allow"));
            set(spec, "suspend", json!(false));
            set(spec, "successfulJobsHistoryLimit", json!(3));
            set(spec, "failedJobsHistoryLimit", json!(1));
            job_spec(&mut spec["jobTemplate"]["spec"]);
        }
        _ => {}
    }
}

/// Sets `key` on an object node unless present. A null node becomes an object first.
fn set(node: &mut Value, key: &str, value: Value) {
    if node.is_null() {
        *node = Value::Object(Map::new());
    }
    if let Some(m) = node.as_object_mut() {
        m.entry(key).or_insert(value);
    }
}

fn secret(obj: &mut Value) {
    set(obj, "type", json!("Opaque"));
    // The API server stores stringData as base64 `data` (and never returns stringData).
    if let Some(Value::Object(strings)) = obj.as_object_mut().and_then(|o| o.remove("stringData")) {
        let data = obj
            .as_object_mut()
            .expect("object")
            .entry("data")
            .or_insert_with(|| json!({}));
        if let Some(data) = data.as_object_mut() {
            for (k, v) in strings {
                let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                data.insert(
                    k,
                    json!(base64::engine::general_purpose::STANDARD.encode(text)),
                );
            }
        }
    }
}

fn namespace(obj: &mut Value) {
    let name = obj["metadata"]["name"].clone();
    set(&mut obj["metadata"], "labels", json!({}));
    set(
        &mut obj["metadata"]["labels"],
        "kubernetes.io/metadata.name",
        name,
    );
    set(obj, "spec", json!({"finalizers": ["kubernetes"]}));
    set(obj, "status", json!({"phase": "Active"}));
}

fn service(obj: &mut Value) {
    let key = format!(
        "{}/{}",
        obj["metadata"]["namespace"].as_str().unwrap_or_default(),
        obj["metadata"]["name"].as_str().unwrap_or_default()
    );
    let spec = &mut obj["spec"];
    set(spec, "type", json!("ClusterIP"));
    set(spec, "sessionAffinity", json!("None"));
    if spec["type"] != "ExternalName" {
        set(spec, "clusterIP", json!(cluster_ip(&key)));
        let ip = spec["clusterIP"].clone();
        set(spec, "clusterIPs", json!([ip]));
        set(spec, "ipFamilies", json!(["IPv4"]));
        set(spec, "ipFamilyPolicy", json!("SingleStack"));
        set(spec, "internalTrafficPolicy", json!("Cluster"));
    }
    if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
        for p in ports {
            set(p, "protocol", json!("TCP"));
            let port = p["port"].clone();
            set(p, "targetPort", port);
        }
    }
}

/// A stable address in 10.96.0.0/12 (the default service range) for a service: FNV-1a of its
/// namespace/name, so a re-created service gets the same IP. `.0`, `.1` and broadcast-like
/// addresses are skipped.
fn cluster_ip(key: &str) -> String {
    let h = crate::rollout::fnv1a(crate::rollout::FNV_OFFSET, key.as_bytes());
    let offset = (h % ((1 << 20) - 4)) + 2;
    let ip = (10u32 << 24) | (96 << 16) | offset;
    format!(
        "{}.{}.{}.{}",
        ip >> 24,
        (ip >> 16) & 255,
        (ip >> 8) & 255,
        ip & 255
    )
}

fn template(spec: &mut Value) {
    if spec["template"].is_object() {
        pod_spec(&mut spec["template"]["spec"]);
    }
}

fn job_spec(spec: &mut Value) {
    set(spec, "backoffLimit", json!(6));
    set(spec, "completions", json!(1));
    set(spec, "parallelism", json!(1));
    set(spec, "completionMode", json!("NonIndexed"));
    set(spec, "suspend", json!(false));
    set(spec, "podReplacementPolicy", json!("TerminatingOrFailed"));
    template(spec);
}

fn pod_spec(spec: &mut Value) {
    set(spec, "restartPolicy", json!("Always"));
    set(spec, "terminationGracePeriodSeconds", json!(30));
    set(spec, "dnsPolicy", json!("ClusterFirst"));
    set(spec, "schedulerName", json!("default-scheduler"));
    set(spec, "securityContext", json!({}));
    for list in ["containers", "initContainers"] {
        if let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) {
            for c in containers {
                container(c);
            }
        }
    }
}

fn container(c: &mut Value) {
    set(c, "terminationMessagePath", json!("/dev/termination-log"));
    set(c, "terminationMessagePolicy", json!("File"));
    let image = c["image"].as_str().unwrap_or_default();
    let policy = if image_is_latest(image) {
        "Always"
    } else {
        "IfNotPresent"
    };
    set(c, "imagePullPolicy", json!(policy));
    set(c, "resources", json!({}));
    if let Some(ports) = c.get_mut("ports").and_then(Value::as_array_mut) {
        for p in ports {
            set(p, "protocol", json!("TCP"));
        }
    }
}

/// `nginx`, `nginx:latest` → Always; `nginx:1.25`, `nginx@sha256:…` → IfNotPresent.
fn image_is_latest(image: &str) -> bool {
    if image.contains('@') {
        return false;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((_, tag)) => tag == "latest",
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::catalog::Catalog;
    use super::*;

    fn defaulted(group: &str, plural: &str, mut obj: Value) -> Value {
        let r = Catalog::builtin()
            .find(
                group,
                if group == "autoscaling" { "v2" } else { "v1" },
                plural,
            )
            .unwrap();
        apply_defaults(&r, &mut obj);
        obj
    }

    #[test]
    fn deployment_defaults_match_the_api_server() {
        let d = defaulted(
            "apps",
            "deployments",
            json!({"metadata": {"name": "w"}, "spec": {"template": {"spec": {"containers": [
            {"name": "a", "image": "nginx", "ports": [{"containerPort": 80}]}, {"name": "b", "image": "reg:5000/x/y:1.2"}]}}}}),
        );
        let spec = &d["spec"];
        assert_eq!(spec["replicas"], 1);
        assert_eq!(
            spec["strategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}})
        );
        assert_eq!(spec["revisionHistoryLimit"], 10);
        assert_eq!(spec["progressDeadlineSeconds"], 600);
        let pod = &spec["template"]["spec"];
        assert_eq!(pod["restartPolicy"], "Always");
        assert_eq!(pod["dnsPolicy"], "ClusterFirst");
        assert_eq!(pod["schedulerName"], "default-scheduler");
        assert_eq!(pod["terminationGracePeriodSeconds"], 30);
        assert_eq!(pod["containers"][0]["imagePullPolicy"], "Always");
        assert_eq!(pod["containers"][1]["imagePullPolicy"], "IfNotPresent");
        assert_eq!(pod["containers"][0]["ports"][0]["protocol"], "TCP");
        assert_eq!(
            pod["containers"][0]["terminationMessagePath"],
            "/dev/termination-log"
        );
    }

    #[test]
    fn absent_lists_stay_absent_and_empty_objects_get_defaults() {
        let d = defaulted(
            "apps",
            "deployments",
            json!({"spec": {"strategy": {}, "template": {"spec": {"containers": [{"name": "a", "image": "x:1"}]}}}}),
        );
        assert_eq!(d["spec"]["strategy"]["type"], "RollingUpdate");
        assert!(
            d["spec"]["template"]["spec"]
                .get("initContainers")
                .is_none()
        );
        assert!(
            d["spec"]["template"]["spec"]["containers"][0]
                .get("ports")
                .is_none()
        );
    }

    #[test]
    fn recreate_strategy_gets_no_rolling_update() {
        let d = defaulted(
            "apps",
            "deployments",
            json!({"spec": {"strategy": {"type": "Recreate"}}}),
        );
        assert_eq!(d["spec"]["strategy"], json!({"type": "Recreate"}));
    }

    #[test]
    fn services_get_a_stable_cluster_ip_and_port_defaults() {
        let obj = json!({"metadata": {"name": "web", "namespace": "shop"}, "spec": {"ports": [{"port": 80}]}});
        let a = defaulted("", "services", obj.clone());
        let b = defaulted("", "services", obj);
        assert_eq!(a["spec"]["clusterIP"], b["spec"]["clusterIP"]);
        assert!(a["spec"]["clusterIP"].as_str().unwrap().starts_with("10."));
        assert_eq!(a["spec"]["type"], "ClusterIP");
        assert_eq!(
            a["spec"]["ports"][0],
            json!({"port": 80, "protocol": "TCP", "targetPort": 80})
        );
        let headless = defaulted("", "services", json!({"spec": {"clusterIP": "None"}}));
        assert_eq!(headless["spec"]["clusterIP"], "None");
        let external = defaulted(
            "",
            "services",
            json!({"spec": {"type": "ExternalName", "externalName": "x.example"}}),
        );
        assert!(external["spec"].get("clusterIP").is_none());
    }

    #[test]
    fn secret_string_data_becomes_base64_data() {
        let s = defaulted(
            "",
            "secrets",
            json!({"stringData": {"token": "abc"}, "data": {"x": "eA=="}}),
        );
        assert_eq!(s["data"], json!({"x": "eA==", "token": "YWJj"}));
        assert!(s.get("stringData").is_none());
        assert_eq!(s["type"], "Opaque");
    }

    #[test]
    fn namespaces_are_active_and_labelled_with_their_name() {
        let n = defaulted("", "namespaces", json!({"metadata": {"name": "shop"}}));
        assert_eq!(n["status"]["phase"], "Active");
        assert_eq!(
            n["metadata"]["labels"]["kubernetes.io/metadata.name"],
            "shop"
        );
    }

    #[test]
    fn statefulset_job_and_cronjob_defaults() {
        let s = defaulted(
            "apps",
            "statefulsets",
            json!({"spec": {"volumeClaimTemplates": [{"metadata": {"name": "d"}, "spec": {}}]}}),
        );
        assert_eq!(s["spec"]["podManagementPolicy"], "OrderedReady");
        assert_eq!(s["spec"]["updateStrategy"]["rollingUpdate"]["partition"], 0);
        assert_eq!(
            s["spec"]["volumeClaimTemplates"][0]["spec"]["volumeMode"],
            "Filesystem"
        );
        let j = defaulted(
            "batch",
            "jobs",
            json!({"spec": {"template": {"spec": {"restartPolicy": "Never"}}}}),
        );
        assert_eq!(j["spec"]["backoffLimit"], 6);
        assert_eq!(j["spec"]["template"]["spec"]["restartPolicy"], "Never");
        let c = defaulted(
            "batch",
            "cronjobs",
            json!({"spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {}}}}),
        );
        assert_eq!(c["spec"]["successfulJobsHistoryLimit"], 3);
        assert_eq!(c["spec"]["jobTemplate"]["spec"]["completions"], 1);
    }
}
