//! Fields the API server fills in when a manifest leaves them out (the Go `SetDefaults_*`
//! functions, and what the bundled server's defaulting adds), and fields it allocates
//! (cluster IPs, node ports, CA bundles). When only one side of a diff has such a field with
//! that value, the field is not a change.
//!
//! Values that are *allocated* (any value, e.g. `clusterIP`) only count on the current side:
//! a manifest that starts setting `clusterIP: 10.0.0.5` is a real change. Fixed defaults
//! (`revisionHistoryLimit: 10`) count on either side, so adding or removing a line that
//! restates the default is no change either.

use serde_json::{Map, Value};

/// What a defaulted field holds.
#[derive(Debug, Clone, Copy)]
enum Fill {
    /// Exactly this (JSON text, parsed when compared).
    Is(&'static str),
    /// Whatever the server allocated: ignored on the current side only.
    Allocated,
    /// The value of a sibling field (`targetPort` defaults to `port`).
    SameAs(&'static str),
    /// `Always` for `:latest` or untagged images, else `IfNotPresent`.
    ImagePullPolicy,
}

/// A rule: at `path` (object keys from its context; `*` is any list item), `key` defaults to
/// the value.
type Rule = (&'static [&'static str], &'static str, Fill);

use Fill::{Allocated, ImagePullPolicy, Is, SameAs};

const POD_SPEC: &[Rule] = &[
    (&[], "restartPolicy", Is("\"Always\"")),
    (&[], "terminationGracePeriodSeconds", Is("30")),
    (&[], "dnsPolicy", Is("\"ClusterFirst\"")),
    (&[], "schedulerName", Is("\"default-scheduler\"")),
    (&[], "securityContext", Is("{}")),
    (&[], "enableServiceLinks", Is("true")),
    (&[], "preemptionPolicy", Is("\"PreemptLowerPriority\"")),
    (&[], "priority", Is("0")),
    (&[], "serviceAccount", SameAs("serviceAccountName")),
    (&["volumes", "*", "configMap"], "defaultMode", Is("420")),
    (&["volumes", "*", "secret"], "defaultMode", Is("420")),
    (&["volumes", "*", "projected"], "defaultMode", Is("420")),
    (&["volumes", "*", "downwardAPI"], "defaultMode", Is("420")),
    (&["volumes", "*", "hostPath"], "type", Is("\"\"")),
    (&["volumes", "*", "emptyDir"], "medium", Is("\"\"")),
];

/// Relative to each of `containers`, `initContainers`, `ephemeralContainers`.
const CONTAINER: &[Rule] = &[
    (
        &[],
        "terminationMessagePath",
        Is("\"/dev/termination-log\""),
    ),
    (&[], "terminationMessagePolicy", Is("\"File\"")),
    (&[], "imagePullPolicy", ImagePullPolicy),
    (&[], "resources", Is("{}")),
    (&["ports", "*"], "protocol", Is("\"TCP\"")),
    (
        &["env", "*", "valueFrom", "fieldRef"],
        "apiVersion",
        Is("\"v1\""),
    ),
];

/// Relative to each probe of a container.
const PROBE: &[Rule] = &[
    (&[], "timeoutSeconds", Is("1")),
    (&[], "periodSeconds", Is("10")),
    (&[], "successThreshold", Is("1")),
    (&[], "failureThreshold", Is("3")),
    (&["httpGet"], "scheme", Is("\"HTTP\"")),
];

const DEPLOYMENT: &[Rule] = &[
    (&["spec"], "replicas", Is("1")),
    (&["spec"], "revisionHistoryLimit", Is("10")),
    (&["spec"], "progressDeadlineSeconds", Is("600")),
    (&["spec", "strategy"], "type", Is("\"RollingUpdate\"")),
    (
        &["spec", "strategy", "rollingUpdate"],
        "maxSurge",
        Is("\"25%\""),
    ),
    (
        &["spec", "strategy", "rollingUpdate"],
        "maxUnavailable",
        Is("\"25%\""),
    ),
];

const STATEFUL_SET: &[Rule] = &[
    (&["spec"], "replicas", Is("1")),
    (&["spec"], "podManagementPolicy", Is("\"OrderedReady\"")),
    (&["spec"], "revisionHistoryLimit", Is("10")),
    (&["spec", "updateStrategy"], "type", Is("\"RollingUpdate\"")),
    (
        &["spec", "updateStrategy", "rollingUpdate"],
        "partition",
        Is("0"),
    ),
    (
        &["spec", "persistentVolumeClaimRetentionPolicy"],
        "whenDeleted",
        Is("\"Retain\""),
    ),
    (
        &["spec", "persistentVolumeClaimRetentionPolicy"],
        "whenScaled",
        Is("\"Retain\""),
    ),
    (
        &["spec", "volumeClaimTemplates", "*"],
        "apiVersion",
        Is("\"v1\""),
    ),
    (
        &["spec", "volumeClaimTemplates", "*"],
        "kind",
        Is("\"PersistentVolumeClaim\""),
    ),
    (&["spec", "volumeClaimTemplates", "*"], "status", Allocated),
    (
        &["spec", "volumeClaimTemplates", "*", "spec"],
        "volumeMode",
        Is("\"Filesystem\""),
    ),
];

const DAEMON_SET: &[Rule] = &[
    (&["spec"], "revisionHistoryLimit", Is("10")),
    (&["spec", "updateStrategy"], "type", Is("\"RollingUpdate\"")),
    (
        &["spec", "updateStrategy", "rollingUpdate"],
        "maxUnavailable",
        Is("1"),
    ),
    (
        &["spec", "updateStrategy", "rollingUpdate"],
        "maxSurge",
        Is("0"),
    ),
];

/// Relative to a Job's `spec` (also a CronJob's `jobTemplate.spec`).
const JOB_SPEC: &[Rule] = &[
    (&[], "backoffLimit", Is("6")),
    (&[], "completions", Is("1")),
    (&[], "parallelism", Is("1")),
    (&[], "completionMode", Is("\"NonIndexed\"")),
    (&[], "suspend", Is("false")),
    (&[], "podReplacementPolicy", Is("\"TerminatingOrFailed\"")),
    (&[], "manualSelector", Is("false")),
    // Generated from the Job's uid by the API server.
    (&[], "selector", Allocated),
    (
        &["template", "metadata", "labels"],
        "controller-uid",
        Allocated,
    ),
    (
        &["template", "metadata", "labels"],
        "batch.kubernetes.io/controller-uid",
        Allocated,
    ),
    (&["template", "metadata", "labels"], "job-name", Allocated),
    (
        &["template", "metadata", "labels"],
        "batch.kubernetes.io/job-name",
        Allocated,
    ),
];

const CRON_JOB: &[Rule] = &[
    (&["spec"], "concurrencyPolicy", Is("\"Allow\"")),
    (&["spec"], "suspend", Is("false")),
    (&["spec"], "successfulJobsHistoryLimit", Is("3")),
    (&["spec"], "failedJobsHistoryLimit", Is("1")),
];

const SERVICE: &[Rule] = &[
    (&["spec"], "type", Is("\"ClusterIP\"")),
    (&["spec"], "sessionAffinity", Is("\"None\"")),
    (&["spec"], "clusterIP", Allocated),
    (&["spec"], "clusterIPs", Allocated),
    (&["spec"], "ipFamilies", Allocated),
    (&["spec"], "ipFamilyPolicy", Is("\"SingleStack\"")),
    (&["spec"], "internalTrafficPolicy", Is("\"Cluster\"")),
    (&["spec"], "externalTrafficPolicy", Is("\"Cluster\"")),
    (&["spec"], "allocateLoadBalancerNodePorts", Is("true")),
    (&["spec"], "healthCheckNodePort", Allocated),
    (&["spec", "ports", "*"], "protocol", Is("\"TCP\"")),
    (&["spec", "ports", "*"], "targetPort", SameAs("port")),
    (&["spec", "ports", "*"], "nodePort", Allocated),
];

const PVC: &[Rule] = &[
    (&["spec"], "volumeMode", Is("\"Filesystem\"")),
    // Bound by the PV controller, chosen by the default StorageClass admission.
    (&["spec"], "volumeName", Allocated),
    (&["spec"], "storageClassName", Allocated),
    (
        &["metadata", "annotations"],
        "pv.kubernetes.io/bind-completed",
        Allocated,
    ),
    (
        &["metadata", "annotations"],
        "pv.kubernetes.io/bound-by-controller",
        Allocated,
    ),
    (
        &["metadata", "annotations"],
        "volume.beta.kubernetes.io/storage-provisioner",
        Allocated,
    ),
    (
        &["metadata", "annotations"],
        "volume.kubernetes.io/storage-provisioner",
        Allocated,
    ),
    (
        &["metadata", "annotations"],
        "volume.kubernetes.io/selected-node",
        Allocated,
    ),
    (&["metadata"], "finalizers", Allocated),
];

const NAMESPACE: &[Rule] = &[
    (&["spec"], "finalizers", Is("[\"kubernetes\"]")),
    (
        &["metadata", "labels"],
        "kubernetes.io/metadata.name",
        SameAs("@name"),
    ),
];

const OTHERS: &[(&str, &str, &[Rule])] = &[
    (
        "",
        "Pod",
        &[
            // Set by the scheduler and by admission (ServiceAccount, DefaultTolerationSeconds).
            (&["spec"], "nodeName", Allocated),
            (&["spec"], "serviceAccountName", Is("\"default\"")),
            (&["spec"], "tolerations", Allocated),
        ],
    ),
    ("", "Secret", &[(&[], "type", Is("\"Opaque\""))]),
    ("", "ServiceAccount", &[(&[], "secrets", Allocated)]),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
        &[(&["webhooks", "*", "clientConfig"], "caBundle", Allocated)],
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
        &[(&["webhooks", "*", "clientConfig"], "caBundle", Allocated)],
    ),
    (
        "apiregistration.k8s.io",
        "APIService",
        &[(&["spec"], "caBundle", Allocated)],
    ),
    (
        "apiextensions.k8s.io",
        "CustomResourceDefinition",
        &[
            (
                &["spec", "conversion", "webhook", "clientConfig"],
                "caBundle",
                Allocated,
            ),
            (&["spec", "conversion"], "strategy", Is("\"None\"")),
        ],
    ),
    ("apps", "ReplicaSet", &[(&["spec"], "replicas", Is("1"))]),
];

/// Where a kind keeps its pod spec, if it has one.
pub fn pod_spec_path(group: &str, kind: &str) -> Option<&'static [&'static str]> {
    match (group, kind) {
        ("", "Pod") => Some(&["spec"]),
        ("apps", "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet")
        | ("", "ReplicationController")
        | ("batch", "Job") => Some(&["spec", "template", "spec"]),
        ("batch", "CronJob") => Some(&["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => None,
    }
}

fn job_spec_path(group: &str, kind: &str) -> Option<&'static [&'static str]> {
    match (group, kind) {
        ("batch", "Job") => Some(&["spec"]),
        ("batch", "CronJob") => Some(&["spec", "jobTemplate", "spec"]),
        _ => None,
    }
}

/// Which side of the diff a field is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Desired,
    Current,
}

/// Where a field sits: the object's kind and name, the path of the object holding the field
/// (object keys from the root, `*` for list items), that holding object, and the side.
#[derive(Debug, Clone, Copy)]
pub struct FieldSite<'a> {
    pub group: &'a str,
    pub kind: &'a str,
    pub name: Option<&'a str>,
    pub path: &'a [String],
    pub siblings: &'a Map<String, Value>,
    pub side: Side,
}

/// Whether `key` = `value`, present on one side only, is what the API server fills in there.
pub fn is_default(site: &FieldSite<'_>, key: &str, value: &Value) -> bool {
    let FieldSite {
        group,
        kind,
        name,
        path,
        siblings,
        side,
    } = *site;
    let check = |rules: &[Rule], rel: &[String]| {
        rules.iter().any(|(pattern, k, default)| {
            *k == key && matches(pattern, rel) && holds(*default, value, siblings, side, name)
        })
    };
    let table: &[Rule] = match (group, kind) {
        ("apps", "Deployment") => DEPLOYMENT,
        ("apps", "StatefulSet") => STATEFUL_SET,
        ("apps", "DaemonSet") => DAEMON_SET,
        ("batch", "CronJob") => CRON_JOB,
        ("", "Service") => SERVICE,
        ("", "PersistentVolumeClaim") => PVC,
        ("", "Namespace") => NAMESPACE,
        _ => OTHERS
            .iter()
            .find(|(g, k, _)| *g == group && *k == kind)
            .map_or(&[], |(_, _, rules)| *rules),
    };
    if check(table, path) {
        return true;
    }
    if let Some(rel) = job_spec_path(group, kind).and_then(|p| strip(path, p))
        && check(JOB_SPEC, rel)
    {
        return true;
    }
    let Some(pod) = pod_spec_path(group, kind).and_then(|p| strip(path, p)) else {
        return false;
    };
    if check(POD_SPEC, pod) {
        return true;
    }
    let Some(container) = ["containers", "initContainers", "ephemeralContainers"]
        .iter()
        .find_map(|list| strip(pod, &[list, "*"]))
    else {
        return false;
    };
    if check(CONTAINER, container) {
        return true;
    }
    ["readinessProbe", "livenessProbe", "startupProbe"]
        .iter()
        .find_map(|probe| strip(container, &[probe]))
        .is_some_and(|rel| check(PROBE, rel))
}

fn matches(pattern: &[&str], path: &[String]) -> bool {
    pattern.len() == path.len()
        && pattern
            .iter()
            .zip(path)
            .all(|(p, s)| *p == "*" || *p == s.as_str())
}

/// `path` without `prefix` (which may hold `*`), if it starts with it.
fn strip<'p>(path: &'p [String], prefix: &[&str]) -> Option<&'p [String]> {
    (path.len() >= prefix.len() && matches(prefix, &path[..prefix.len()]))
        .then(|| &path[prefix.len()..])
}

fn holds(
    default: Fill,
    value: &Value,
    siblings: &Map<String, Value>,
    side: Side,
    name: Option<&str>,
) -> bool {
    match default {
        Is(json) => serde_json::from_str::<Value>(json).is_ok_and(|d| d == *value),
        Allocated => side == Side::Current,
        SameAs("@name") => name.is_some_and(|n| value.as_str() == Some(n)),
        SameAs(other) => siblings.get(other) == Some(value),
        ImagePullPolicy => {
            let image = siblings.get("image").and_then(Value::as_str).unwrap_or("");
            let expected = if image_is_latest(image) {
                "Always"
            } else {
                "IfNotPresent"
            };
            value.as_str() == Some(expected)
        }
    }
}

/// `nginx`, `nginx:latest` → pulled always; `nginx:1.25`, `nginx@sha256:…` → if not present.
fn image_is_latest(image: &str) -> bool {
    if image.contains('@') {
        return false;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    last.split_once(':').is_none_or(|(_, tag)| tag == "latest")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path(p: &str) -> Vec<String> {
        p.split('.')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    fn site<'a>(
        group: &'a str,
        kind: &'a str,
        at: &'a [String],
        siblings: &'a Map<String, Value>,
        side: Side,
    ) -> FieldSite<'a> {
        FieldSite {
            group,
            kind,
            name: None,
            path: at,
            siblings,
            side,
        }
    }

    #[allow(clippy::needless_pass_by_value)] // reads best with json!(…) arguments
    fn default_of(group: &str, kind: &str, at: &str, key: &str, value: Value) -> bool {
        let at = path(at);
        let none = Map::new();
        is_default(&site(group, kind, &at, &none, Side::Current), key, &value)
    }

    #[test]
    fn deployment_and_pod_defaults_are_known() {
        assert!(default_of(
            "apps",
            "Deployment",
            "spec",
            "revisionHistoryLimit",
            json!(10)
        ));
        assert!(!default_of(
            "apps",
            "Deployment",
            "spec",
            "revisionHistoryLimit",
            json!(5)
        ));
        assert!(default_of(
            "apps",
            "Deployment",
            "spec.template.spec",
            "dnsPolicy",
            json!("ClusterFirst")
        ));
        assert!(default_of(
            "apps",
            "Deployment",
            "spec.template.spec.containers.*.ports.*",
            "protocol",
            json!("TCP")
        ));
        assert!(default_of(
            "batch",
            "CronJob",
            "spec.jobTemplate.spec.template.spec.containers.*",
            "terminationMessagePolicy",
            json!("File")
        ));
        assert!(default_of(
            "apps",
            "StatefulSet",
            "spec.template.spec.containers.*.livenessProbe",
            "timeoutSeconds",
            json!(1)
        ));
    }

    #[test]
    fn allocated_values_count_only_on_the_current_side() {
        let at = path("spec");
        let ip = json!("10.96.0.12");
        let no = Map::new();
        assert!(is_default(
            &site("", "Service", &at, &no, Side::Current),
            "clusterIP",
            &ip
        ));
        assert!(!is_default(
            &site("", "Service", &at, &no, Side::Desired),
            "clusterIP",
            &ip
        ));
    }

    #[test]
    fn image_pull_policy_depends_on_the_tag() {
        let at = path("spec.template.spec.containers.*");
        let c = |image: &str| json!({ "image": image }).as_object().unwrap().clone();
        let policy = |image: &str, p: &str| {
            let container = c(image);
            is_default(
                &site("apps", "Deployment", &at, &container, Side::Current),
                "imagePullPolicy",
                &json!(p),
            )
        };
        assert!(policy("nginx", "Always"));
        assert!(policy("nginx:latest", "Always"));
        assert!(policy("reg:5000/nginx:1.25", "IfNotPresent"));
        assert!(!policy("nginx:1.25", "Always"));
        assert!(policy("nginx@sha256:abc", "IfNotPresent"));
    }

    #[test]
    fn target_port_defaults_to_the_port() {
        let at = path("spec.ports.*");
        let port = json!({"port": 80}).as_object().unwrap().clone();
        let s = site("", "Service", &at, &port, Side::Current);
        assert!(is_default(&s, "targetPort", &json!(80)));
        assert!(!is_default(&s, "targetPort", &json!(8080)));
    }
}
