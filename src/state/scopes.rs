use std::collections::HashMap;

use serde_json::Value;

/// Built-in kinds that are cluster-scoped; every other built-in kind is namespaced.
const CLUSTER_SCOPED: [(&str, &str); 24] = [
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("", "ComponentStatus"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("apiregistration.k8s.io", "APIService"),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("storage.k8s.io", "CSINode"),
    ("storage.k8s.io", "VolumeAttachment"),
    ("storage.k8s.io", "VolumeAttributesClass"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("node.k8s.io", "RuntimeClass"),
    ("networking.k8s.io", "IngressClass"),
    ("networking.k8s.io", "IPAddress"),
    ("networking.k8s.io", "ServiceCIDR"),
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
    ("certificates.k8s.io", "CertificateSigningRequest"),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
];

/// Which kinds are namespaced: the built-in table, plus the `spec.scope` of every CRD seen on
/// either side. A namespaced object without `metadata.namespace` is in `default_namespace`,
/// as kubectl would put it; a cluster-scoped object's namespace is ignored, as the API
/// server does.
#[derive(Debug, Clone)]
pub struct Scopes {
    crd_namespaced: HashMap<(String, String), bool>,
    pub default_namespace: String,
}

impl Default for Scopes {
    fn default() -> Self {
        Self::new("default")
    }
}

impl Scopes {
    pub fn new(default_namespace: impl Into<String>) -> Self {
        Self {
            crd_namespaced: HashMap::new(),
            default_namespace: default_namespace.into(),
        }
    }

    /// Learns the scope of the kind a CRD defines; anything else is ignored.
    pub fn learn_crd(&mut self, object: &Value) {
        if object["kind"] != "CustomResourceDefinition" {
            return;
        }
        let spec = &object["spec"];
        let (Some(group), Some(kind)) = (spec["group"].as_str(), spec["names"]["kind"].as_str())
        else {
            return;
        };
        let namespaced = spec["scope"].as_str() != Some("Cluster");
        self.crd_namespaced
            .insert((group.to_string(), kind.to_string()), namespaced);
    }

    pub fn is_namespaced(&self, group: &str, kind: &str) -> bool {
        if let Some(&n) = self
            .crd_namespaced
            .get(&(group.to_string(), kind.to_string()))
        {
            return n;
        }
        !CLUSTER_SCOPED.contains(&(group, kind))
    }

    /// The namespace an object is in: as written, else the default; `None` when cluster-scoped.
    pub fn namespace_of(&self, group: &str, kind: &str, written: Option<&str>) -> Option<String> {
        if !self.is_namespaced(group, kind) {
            return None;
        }
        Some(
            written
                .filter(|n| !n.is_empty())
                .unwrap_or(&self.default_namespace)
                .to_string(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn built_in_and_crd_scopes() {
        let mut s = Scopes::default();
        assert_eq!(
            s.namespace_of("apps", "Deployment", None),
            Some("default".into())
        );
        assert_eq!(s.namespace_of("", "Namespace", Some("x")), None);
        assert_eq!(
            s.namespace_of("example.com", "Widget", Some("shop")),
            Some("shop".into())
        );
        s.learn_crd(&json!({"kind": "CustomResourceDefinition",
            "spec": {"group": "example.com", "scope": "Cluster", "names": {"kind": "Widget"}}}));
        assert_eq!(s.namespace_of("example.com", "Widget", Some("shop")), None);
    }
}
