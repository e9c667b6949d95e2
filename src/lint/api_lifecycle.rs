use crate::schema::{Gvk, KubeVersion};

/// When an API version of a kind was deprecated and removed, and what replaces it.
/// From the Kubernetes deprecated API migration guide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiLifecycle {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub deprecated_in: KubeVersion,
    pub removed_in: KubeVersion,
    /// The apiVersion to use instead; `None` when the API is gone without a successor.
    pub replacement: Option<&'static str>,
}

const fn v(minor: u32) -> KubeVersion {
    KubeVersion::new(1, minor)
}

const fn api(
    api_version: &'static str,
    kind: &'static str,
    deprecated_in: u32,
    removed_in: u32,
    replacement: Option<&'static str>,
) -> ApiLifecycle {
    ApiLifecycle {
        api_version,
        kind,
        deprecated_in: v(deprecated_in),
        removed_in: v(removed_in),
        replacement,
    }
}

static TABLE: &[ApiLifecycle] = &[
    // Removed in 1.14 (alpha, never replaced)
    api(
        "admissionregistration.k8s.io/v1alpha1",
        "InitializerConfiguration",
        12,
        14,
        None,
    ),
    // Removed in 1.16
    api("extensions/v1beta1", "Deployment", 9, 16, Some("apps/v1")),
    api("extensions/v1beta1", "DaemonSet", 9, 16, Some("apps/v1")),
    api("extensions/v1beta1", "ReplicaSet", 9, 16, Some("apps/v1")),
    api(
        "extensions/v1beta1",
        "NetworkPolicy",
        9,
        16,
        Some("networking.k8s.io/v1"),
    ),
    api(
        "extensions/v1beta1",
        "PodSecurityPolicy",
        11,
        16,
        Some("policy/v1beta1"),
    ),
    api("apps/v1beta1", "Deployment", 9, 16, Some("apps/v1")),
    api("apps/v1beta1", "StatefulSet", 9, 16, Some("apps/v1")),
    api("apps/v1beta1", "ReplicaSet", 9, 16, Some("apps/v1")),
    api("apps/v1beta2", "Deployment", 9, 16, Some("apps/v1")),
    api("apps/v1beta2", "StatefulSet", 9, 16, Some("apps/v1")),
    api("apps/v1beta2", "DaemonSet", 9, 16, Some("apps/v1")),
    api("apps/v1beta2", "ReplicaSet", 9, 16, Some("apps/v1")),
    // Removed in 1.22
    api(
        "extensions/v1beta1",
        "Ingress",
        14,
        22,
        Some("networking.k8s.io/v1"),
    ),
    api(
        "networking.k8s.io/v1beta1",
        "Ingress",
        19,
        22,
        Some("networking.k8s.io/v1"),
    ),
    api(
        "networking.k8s.io/v1beta1",
        "IngressClass",
        19,
        22,
        Some("networking.k8s.io/v1"),
    ),
    api(
        "apiextensions.k8s.io/v1beta1",
        "CustomResourceDefinition",
        16,
        22,
        Some("apiextensions.k8s.io/v1"),
    ),
    api(
        "admissionregistration.k8s.io/v1beta1",
        "MutatingWebhookConfiguration",
        16,
        22,
        Some("admissionregistration.k8s.io/v1"),
    ),
    api(
        "admissionregistration.k8s.io/v1beta1",
        "ValidatingWebhookConfiguration",
        16,
        22,
        Some("admissionregistration.k8s.io/v1"),
    ),
    api(
        "apiregistration.k8s.io/v1beta1",
        "APIService",
        19,
        22,
        Some("apiregistration.k8s.io/v1"),
    ),
    api(
        "authentication.k8s.io/v1beta1",
        "TokenReview",
        19,
        22,
        Some("authentication.k8s.io/v1"),
    ),
    api(
        "authorization.k8s.io/v1beta1",
        "SubjectAccessReview",
        19,
        22,
        Some("authorization.k8s.io/v1"),
    ),
    api(
        "authorization.k8s.io/v1beta1",
        "LocalSubjectAccessReview",
        19,
        22,
        Some("authorization.k8s.io/v1"),
    ),
    api(
        "authorization.k8s.io/v1beta1",
        "SelfSubjectAccessReview",
        19,
        22,
        Some("authorization.k8s.io/v1"),
    ),
    api(
        "certificates.k8s.io/v1beta1",
        "CertificateSigningRequest",
        19,
        22,
        Some("certificates.k8s.io/v1"),
    ),
    api(
        "coordination.k8s.io/v1beta1",
        "Lease",
        19,
        22,
        Some("coordination.k8s.io/v1"),
    ),
    api(
        "rbac.authorization.k8s.io/v1beta1",
        "ClusterRole",
        17,
        22,
        Some("rbac.authorization.k8s.io/v1"),
    ),
    api(
        "rbac.authorization.k8s.io/v1beta1",
        "ClusterRoleBinding",
        17,
        22,
        Some("rbac.authorization.k8s.io/v1"),
    ),
    api(
        "rbac.authorization.k8s.io/v1beta1",
        "Role",
        17,
        22,
        Some("rbac.authorization.k8s.io/v1"),
    ),
    api(
        "rbac.authorization.k8s.io/v1beta1",
        "RoleBinding",
        17,
        22,
        Some("rbac.authorization.k8s.io/v1"),
    ),
    api(
        "rbac.authorization.k8s.io/v1alpha1",
        "ClusterRole",
        17,
        22,
        Some("rbac.authorization.k8s.io/v1"),
    ),
    api(
        "rbac.authorization.k8s.io/v1alpha1",
        "ClusterRoleBinding",
        17,
        22,
        Some("rbac.authorization.k8s.io/v1"),
    ),
    api(
        "rbac.authorization.k8s.io/v1alpha1",
        "Role",
        17,
        22,
        Some("rbac.authorization.k8s.io/v1"),
    ),
    api(
        "rbac.authorization.k8s.io/v1alpha1",
        "RoleBinding",
        17,
        22,
        Some("rbac.authorization.k8s.io/v1"),
    ),
    api(
        "scheduling.k8s.io/v1beta1",
        "PriorityClass",
        14,
        22,
        Some("scheduling.k8s.io/v1"),
    ),
    api(
        "storage.k8s.io/v1beta1",
        "CSIDriver",
        19,
        22,
        Some("storage.k8s.io/v1"),
    ),
    api(
        "storage.k8s.io/v1beta1",
        "CSINode",
        17,
        22,
        Some("storage.k8s.io/v1"),
    ),
    api(
        "storage.k8s.io/v1beta1",
        "StorageClass",
        19,
        22,
        Some("storage.k8s.io/v1"),
    ),
    api(
        "storage.k8s.io/v1beta1",
        "VolumeAttachment",
        19,
        22,
        Some("storage.k8s.io/v1"),
    ),
    // Removed in 1.25
    api("batch/v1beta1", "CronJob", 21, 25, Some("batch/v1")),
    api("batch/v2alpha1", "CronJob", 8, 21, Some("batch/v1")),
    api(
        "discovery.k8s.io/v1beta1",
        "EndpointSlice",
        21,
        25,
        Some("discovery.k8s.io/v1"),
    ),
    api(
        "events.k8s.io/v1beta1",
        "Event",
        19,
        25,
        Some("events.k8s.io/v1"),
    ),
    api(
        "autoscaling/v2beta1",
        "HorizontalPodAutoscaler",
        22,
        25,
        Some("autoscaling/v2"),
    ),
    api(
        "policy/v1beta1",
        "PodDisruptionBudget",
        21,
        25,
        Some("policy/v1"),
    ),
    api("policy/v1beta1", "PodSecurityPolicy", 21, 25, None),
    api(
        "node.k8s.io/v1beta1",
        "RuntimeClass",
        20,
        25,
        Some("node.k8s.io/v1"),
    ),
    // Removed in 1.26
    api(
        "autoscaling/v2beta2",
        "HorizontalPodAutoscaler",
        23,
        26,
        Some("autoscaling/v2"),
    ),
    api(
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "FlowSchema",
        23,
        26,
        Some("flowcontrol.apiserver.k8s.io/v1"),
    ),
    api(
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "PriorityLevelConfiguration",
        23,
        26,
        Some("flowcontrol.apiserver.k8s.io/v1"),
    ),
    // Removed in 1.27
    api(
        "storage.k8s.io/v1beta1",
        "CSIStorageCapacity",
        24,
        27,
        Some("storage.k8s.io/v1"),
    ),
    // Removed in 1.29
    api(
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "FlowSchema",
        26,
        29,
        Some("flowcontrol.apiserver.k8s.io/v1"),
    ),
    api(
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "PriorityLevelConfiguration",
        26,
        29,
        Some("flowcontrol.apiserver.k8s.io/v1"),
    ),
    // Removed in 1.32
    api(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "FlowSchema",
        29,
        32,
        Some("flowcontrol.apiserver.k8s.io/v1"),
    ),
    api(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "PriorityLevelConfiguration",
        29,
        32,
        Some("flowcontrol.apiserver.k8s.io/v1"),
    ),
];

/// The lifecycle entry of an apiVersion/kind, if it is one of the deprecated APIs.
pub fn lifecycle_of(gvk: &Gvk) -> Option<&'static ApiLifecycle> {
    let api_version = gvk.api_version();
    TABLE
        .iter()
        .find(|e| e.api_version == api_version && e.kind == gvk.kind)
}

impl ApiLifecycle {
    /// "extensions/v1beta1 Deployment was removed in Kubernetes 1.16; use apps/v1".
    pub fn removed_message(&self) -> String {
        format!(
            "{} {} was removed in Kubernetes {} (deprecated since {})",
            self.api_version, self.kind, self.removed_in, self.deprecated_in
        )
    }

    pub fn deprecated_message(&self) -> String {
        format!(
            "{} {} is deprecated since Kubernetes {} and will be removed in {}",
            self.api_version, self.kind, self.deprecated_in, self.removed_in
        )
    }

    pub fn hint(&self) -> String {
        match self.replacement {
            Some(r) => format!(
                "use `apiVersion: {r}` (check the field changes in the Kubernetes deprecation guide)"
            ),
            None => "this API has no successor; remove the object".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_removed_apis_with_replacements() {
        let e = lifecycle_of(&Gvk::new("extensions", "v1beta1", "Deployment")).unwrap();
        assert_eq!(e.removed_in, KubeVersion::new(1, 16));
        assert_eq!(e.replacement, Some("apps/v1"));
        assert!(
            e.removed_message()
                .starts_with("extensions/v1beta1 Deployment was removed in Kubernetes 1.16")
        );
        assert!(lifecycle_of(&Gvk::new("apps", "v1", "Deployment")).is_none());
    }
}
