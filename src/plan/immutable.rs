//! Fields the API server refuses to change (kubernetes `ValidateUpdate` of each kind): a change
//! to one of them makes the plan replace the object (delete, then create) instead of updating
//! it. Offline, this table is the whole truth; a live source can confirm with a dry-run.

use serde_json::Value;

use crate::diff::FieldChange;
use crate::state::ObjectKey;

/// `(group, kind, JSON pointer)` of fields that are immutable once the object exists.
const IMMUTABLE: &[(&str, &str, &str)] = &[
    ("apps", "Deployment", "/spec/selector"),
    ("apps", "ReplicaSet", "/spec/selector"),
    ("apps", "DaemonSet", "/spec/selector"),
    ("apps", "StatefulSet", "/spec/selector"),
    ("apps", "StatefulSet", "/spec/serviceName"),
    ("apps", "StatefulSet", "/spec/volumeClaimTemplates"),
    ("apps", "StatefulSet", "/spec/podManagementPolicy"),
    ("batch", "Job", "/spec/selector"),
    ("batch", "Job", "/spec/template"),
    ("batch", "Job", "/spec/completionMode"),
    ("batch", "Job", "/spec/podFailurePolicy"),
    ("", "Secret", "/type"),
    ("rbac.authorization.k8s.io", "RoleBinding", "/roleRef"),
    (
        "rbac.authorization.k8s.io",
        "ClusterRoleBinding",
        "/roleRef",
    ),
    ("storage.k8s.io", "StorageClass", "/provisioner"),
    ("storage.k8s.io", "StorageClass", "/parameters"),
    ("storage.k8s.io", "StorageClass", "/reclaimPolicy"),
    ("storage.k8s.io", "StorageClass", "/volumeBindingMode"),
    (
        "apiextensions.k8s.io",
        "CustomResourceDefinition",
        "/spec/group",
    ),
    (
        "apiextensions.k8s.io",
        "CustomResourceDefinition",
        "/spec/names/plural",
    ),
    (
        "apiextensions.k8s.io",
        "CustomResourceDefinition",
        "/spec/names/kind",
    ),
    (
        "apiextensions.k8s.io",
        "CustomResourceDefinition",
        "/spec/scope",
    ),
];

/// Mutable parts of a PersistentVolumeClaim's otherwise immutable `spec`.
const PVC_MUTABLE: [&str; 2] = [
    "/spec/resources/requests",
    "/spec/volumeAttributesClassName",
];

/// Mutable parts of a Pod's otherwise immutable `spec`.
const POD_MUTABLE: [&str; 2] = ["/spec/activeDeadlineSeconds", "/spec/tolerations"];

/// Why each change that forces a replacement does: `(path, reason)`, empty for an update.
pub fn forced_replacements(
    key: &ObjectKey,
    changes: &[FieldChange],
    current: &Value,
) -> Vec<(String, String)> {
    let (group, kind) = (key.group.as_str(), key.kind.as_str());
    let mut out = Vec::new();
    let mut force = |change: &FieldChange, why: String| {
        out.push((change.path.clone(), why));
    };
    for change in changes {
        if let Some((_, _, field)) = IMMUTABLE
            .iter()
            .find(|(g, k, field)| *g == group && *k == kind && change.is_under(field))
        {
            force(change, format!("`{}` is immutable", pretty(field)));
            continue;
        }
        match (group, kind) {
            ("", "Service") => {
                let type_change = change.path == "/spec/type"
                    && [&change.before, &change.after]
                        .iter()
                        .any(|v| v.as_ref().and_then(Value::as_str) == Some("ExternalName"));
                let ip_change = (change.is_under("/spec/clusterIP")
                    || change.is_under("/spec/clusterIPs"))
                    && change.before.is_some();
                if type_change {
                    force(
                        change,
                        "a Service's type changes to or from ExternalName".into(),
                    );
                } else if ip_change {
                    force(change, "`spec.clusterIP` is immutable".into());
                }
            }
            ("", "ConfigMap" | "Secret")
                if current["immutable"] == Value::Bool(true)
                    && ["/data", "/binaryData", "/stringData", "/immutable"]
                        .iter()
                        .any(|p| change.is_under(p)) =>
            {
                force(change, format!("the current {kind} is `immutable: true`"));
            }
            ("", "PersistentVolumeClaim")
                if change.is_under("/spec") && !PVC_MUTABLE.iter().any(|p| change.is_under(p)) =>
            {
                force(
                    change,
                    "a PersistentVolumeClaim's spec is immutable except resources.requests".into(),
                );
            }
            ("", "Pod") if change.is_under("/spec") && !pod_mutable(&change.path) => {
                force(change, "a Pod's spec is immutable except images, activeDeadlineSeconds and tolerations".into());
            }
            _ => {}
        }
    }
    out
}

fn pod_mutable(path: &str) -> bool {
    if POD_MUTABLE
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
    {
        return true;
    }
    let parts: Vec<&str> = path.split('/').collect();
    matches!(
        parts.as_slice(),
        ["", "spec", "containers" | "initContainers", _, "image"]
    )
}

/// `/spec/selector` → `spec.selector`, as people write field names.
fn pretty(pointer: &str) -> String {
    pointer.trim_start_matches('/').replace('/', ".")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(path: &str, before: Value, after: Value) -> FieldChange {
        FieldChange {
            path: path.into(),
            before: Some(before),
            after: Some(after),
        }
    }

    fn key(group: &str, kind: &str) -> ObjectKey {
        ObjectKey::new(group, kind, Some("ns"), "x")
    }

    #[test]
    fn a_deployment_selector_forces_replacement_but_its_image_does_not() {
        let changes = [
            change("/spec/selector/matchLabels/app", json!("a"), json!("b")),
            change(
                "/spec/template/spec/containers/0/image",
                json!("a:1"),
                json!("a:2"),
            ),
        ];
        let forced = forced_replacements(&key("apps", "Deployment"), &changes, &json!({}));
        assert_eq!(
            forced,
            [(
                "/spec/selector/matchLabels/app".to_string(),
                "`spec.selector` is immutable".to_string()
            )]
        );
    }

    #[test]
    fn services_configmaps_pvcs_and_pods() {
        let svc = key("", "Service");
        assert_eq!(
            forced_replacements(
                &svc,
                &[change(
                    "/spec/type",
                    json!("ClusterIP"),
                    json!("ExternalName")
                )],
                &json!({})
            )
            .len(),
            1
        );
        assert!(
            forced_replacements(
                &svc,
                &[change("/spec/type", json!("ClusterIP"), json!("NodePort"))],
                &json!({})
            )
            .is_empty()
        );
        assert_eq!(
            forced_replacements(
                &svc,
                &[change(
                    "/spec/clusterIP",
                    json!("10.0.0.1"),
                    json!("10.0.0.2")
                )],
                &json!({})
            )
            .len(),
            1
        );
        let cm = key("", "ConfigMap");
        let data = [change("/data/k", json!("a"), json!("b"))];
        assert!(forced_replacements(&cm, &data, &json!({})).is_empty());
        assert_eq!(
            forced_replacements(&cm, &data, &json!({"immutable": true})).len(),
            1
        );
        let pvc = key("", "PersistentVolumeClaim");
        assert!(
            forced_replacements(
                &pvc,
                &[change(
                    "/spec/resources/requests/storage",
                    json!("1Gi"),
                    json!("2Gi")
                )],
                &json!({})
            )
            .is_empty()
        );
        assert_eq!(
            forced_replacements(
                &pvc,
                &[change("/spec/storageClassName", json!("a"), json!("b"))],
                &json!({})
            )
            .len(),
            1
        );
        let pod = key("", "Pod");
        assert!(
            forced_replacements(
                &pod,
                &[change("/spec/containers/0/image", json!("a"), json!("b"))],
                &json!({})
            )
            .is_empty()
        );
        assert_eq!(
            forced_replacements(
                &pod,
                &[change("/spec/containers/0/args/0", json!("a"), json!("b"))],
                &json!({})
            )
            .len(),
            1
        );
    }
}
