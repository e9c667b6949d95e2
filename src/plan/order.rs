//! The order in which changes are applied: kinds others depend on first (Namespaces and CRDs,
//! then RBAC, ServiceAccounts, config, storage, Services, workloads), what depends on
//! everything last (Ingress, webhooks, APIServices). Custom resources come after every CRD.
//! Deletions run in the reverse order, after all other changes, so that a webhook is gone
//! before what it guards and a CRD outlives its custom resources.

use crate::state::ObjectKey;

/// Kinds in apply order, grouped; kinds not listed (custom resources included) go between
/// workloads and the last group.
const ORDER: &[&[(&str, &str)]] = &[
    &[("", "Namespace")],
    &[("apiextensions.k8s.io", "CustomResourceDefinition")],
    &[
        ("scheduling.k8s.io", "PriorityClass"),
        ("node.k8s.io", "RuntimeClass"),
    ],
    &[
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ],
    &[("", "ServiceAccount")],
    &[
        ("rbac.authorization.k8s.io", "Role"),
        ("rbac.authorization.k8s.io", "RoleBinding"),
    ],
    &[
        ("", "ResourceQuota"),
        ("", "LimitRange"),
        ("networking.k8s.io", "NetworkPolicy"),
        ("policy", "PodDisruptionBudget"),
    ],
    &[("", "ConfigMap"), ("", "Secret")],
    &[
        ("storage.k8s.io", "StorageClass"),
        ("", "PersistentVolume"),
        ("", "PersistentVolumeClaim"),
    ],
    &[
        ("", "Service"),
        ("", "Endpoints"),
        ("discovery.k8s.io", "EndpointSlice"),
    ],
    &[
        ("apps", "DaemonSet"),
        ("", "Pod"),
        ("", "ReplicationController"),
        ("apps", "ReplicaSet"),
        ("apps", "Deployment"),
        ("apps", "StatefulSet"),
        ("batch", "Job"),
        ("batch", "CronJob"),
        ("autoscaling", "HorizontalPodAutoscaler"),
    ],
    // Unlisted kinds (custom resources) rank here.
    &[
        ("networking.k8s.io", "IngressClass"),
        ("networking.k8s.io", "Ingress"),
        ("apiregistration.k8s.io", "APIService"),
        (
            "admissionregistration.k8s.io",
            "MutatingWebhookConfiguration",
        ),
        (
            "admissionregistration.k8s.io",
            "ValidatingWebhookConfiguration",
        ),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
        (
            "admissionregistration.k8s.io",
            "ValidatingAdmissionPolicyBinding",
        ),
    ],
];

/// Position of the group "kinds not listed" takes.
const UNLISTED_GROUP: usize = ORDER.len() - 1;

/// `(group rank, rank inside the group)`: lower applies first.
pub fn rank(group: &str, kind: &str) -> (usize, usize) {
    for (g, kinds) in ORDER.iter().enumerate() {
        if let Some(i) = kinds.iter().position(|(gr, k)| *gr == group && *k == kind) {
            let g = if g >= UNLISTED_GROUP { g + 1 } else { g };
            return (g, i);
        }
    }
    (UNLISTED_GROUP, 0)
}

/// The sort key of an object applied (created, updated, replaced): rank, then kind, namespace
/// and name for a stable, reviewable order.
pub fn apply_key(key: &ObjectKey) -> ((usize, usize), String, Option<String>, String) {
    (
        rank(&key.group, &key.kind),
        key.group_kind(),
        key.namespace.clone(),
        key.name.clone(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The order as a list of kinds, one line each: a rendering to review changes against.
    fn ordered(kinds: &[(&str, &str)]) -> String {
        let mut keys: Vec<ObjectKey> = kinds
            .iter()
            .map(|(g, k)| ObjectKey::new(*g, *k, None, "x"))
            .collect();
        keys.sort_by_key(apply_key);
        keys.iter()
            .map(ObjectKey::group_kind)
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn dependencies_first_dependents_last() {
        let got = ordered(&[
            ("networking.k8s.io", "Ingress"),
            ("flask.example.com", "BackupSchedule"),
            ("apps", "Deployment"),
            ("", "Service"),
            ("", "Secret"),
            ("", "ConfigMap"),
            ("rbac.authorization.k8s.io", "RoleBinding"),
            ("", "ServiceAccount"),
            ("rbac.authorization.k8s.io", "ClusterRole"),
            ("apiextensions.k8s.io", "CustomResourceDefinition"),
            ("", "Namespace"),
            ("", "PersistentVolumeClaim"),
            (
                "admissionregistration.k8s.io",
                "ValidatingWebhookConfiguration",
            ),
        ]);
        assert_eq!(
            got,
            "Namespace\nCustomResourceDefinition.apiextensions.k8s.io\nClusterRole.rbac.authorization.k8s.io\nServiceAccount\nRoleBinding.rbac.authorization.k8s.io\nConfigMap\nSecret\nPersistentVolumeClaim\nService\nDeployment.apps\nBackupSchedule.flask.example.com\nIngress.networking.k8s.io\nValidatingWebhookConfiguration.admissionregistration.k8s.io"
        );
    }
}
