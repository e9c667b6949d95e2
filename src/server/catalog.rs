//! Which resources the bundled control plane serves, under which REST names.
//!
//! Plural names, short names and categories are not in the OpenAPI schemas, so the built-in
//! resources are a table here (checked against the schema registry by a test); custom
//! resources are added and removed as their CustomResourceDefinitions are.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use crate::schema::Gvk;

/// One REST resource (`deployments` in `apps/v1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub group: String,
    pub version: String,
    pub kind: String,
    /// The URL segment: `deployments`.
    pub plural: String,
    pub singular: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    /// `status`, `scale`.
    pub subresources: Vec<String>,
    /// Whether it comes from a CRD (custom resources validate against the CRD's schema).
    pub custom: bool,
    /// A CRD's `additionalPrinterColumns`: (name, type, JSONPath, priority).
    pub printer_columns: Vec<(String, String, String, i64)>,
}

impl Resource {
    pub fn gvk(&self) -> Gvk {
        Gvk::new(&self.group, &self.version, &self.kind)
    }

    pub fn api_version(&self) -> String {
        self.gvk().api_version()
    }

    /// `deployments.apps`, `pods`: how the API server names a resource in messages.
    pub fn qualified_plural(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    pub fn has_subresource(&self, name: &str) -> bool {
        self.subresources.iter().any(|s| s == name)
    }
}

/// (group, version, kind, plural, namespaced, short names, in category `all`, subresources)
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static [&'static str],
    bool,
    &'static [&'static str],
);

const BUILTIN: &[Row] = &[
    (
        "",
        "v1",
        "Namespace",
        "namespaces",
        false,
        &["ns"],
        false,
        &["status"],
    ),
    (
        "",
        "v1",
        "ConfigMap",
        "configmaps",
        true,
        &["cm"],
        false,
        &[],
    ),
    ("", "v1", "Secret", "secrets", true, &[], false, &[]),
    (
        "",
        "v1",
        "ServiceAccount",
        "serviceaccounts",
        true,
        &["sa"],
        false,
        &[],
    ),
    (
        "",
        "v1",
        "Service",
        "services",
        true,
        &["svc"],
        true,
        &["status"],
    ),
    (
        "",
        "v1",
        "Endpoints",
        "endpoints",
        true,
        &["ep"],
        false,
        &[],
    ),
    ("", "v1", "Pod", "pods", true, &["po"], true, &["status"]),
    (
        "",
        "v1",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        true,
        &["pvc"],
        false,
        &["status"],
    ),
    (
        "",
        "v1",
        "PersistentVolume",
        "persistentvolumes",
        false,
        &["pv"],
        false,
        &["status"],
    ),
    (
        "",
        "v1",
        "Node",
        "nodes",
        false,
        &["no"],
        false,
        &["status"],
    ),
    ("", "v1", "Event", "events", true, &["ev"], false, &[]),
    (
        "",
        "v1",
        "ReplicationController",
        "replicationcontrollers",
        true,
        &["rc"],
        true,
        &["status", "scale"],
    ),
    (
        "",
        "v1",
        "LimitRange",
        "limitranges",
        true,
        &["limits"],
        false,
        &[],
    ),
    (
        "",
        "v1",
        "ResourceQuota",
        "resourcequotas",
        true,
        &["quota"],
        false,
        &["status"],
    ),
    (
        "apps",
        "v1",
        "Deployment",
        "deployments",
        true,
        &["deploy"],
        true,
        &["status", "scale"],
    ),
    (
        "apps",
        "v1",
        "ReplicaSet",
        "replicasets",
        true,
        &["rs"],
        true,
        &["status", "scale"],
    ),
    (
        "apps",
        "v1",
        "StatefulSet",
        "statefulsets",
        true,
        &["sts"],
        true,
        &["status", "scale"],
    ),
    (
        "apps",
        "v1",
        "DaemonSet",
        "daemonsets",
        true,
        &["ds"],
        true,
        &["status"],
    ),
    (
        "apps",
        "v1",
        "ControllerRevision",
        "controllerrevisions",
        true,
        &[],
        false,
        &[],
    ),
    ("batch", "v1", "Job", "jobs", true, &[], true, &["status"]),
    (
        "batch",
        "v1",
        "CronJob",
        "cronjobs",
        true,
        &["cj"],
        true,
        &["status"],
    ),
    (
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        true,
        &["hpa"],
        true,
        &["status"],
    ),
    (
        "autoscaling",
        "v1",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        true,
        &["hpa"],
        true,
        &["status"],
    ),
    (
        "networking.k8s.io",
        "v1",
        "Ingress",
        "ingresses",
        true,
        &["ing"],
        false,
        &["status"],
    ),
    (
        "networking.k8s.io",
        "v1",
        "IngressClass",
        "ingressclasses",
        false,
        &[],
        false,
        &[],
    ),
    (
        "networking.k8s.io",
        "v1",
        "NetworkPolicy",
        "networkpolicies",
        true,
        &["netpol"],
        false,
        &[],
    ),
    (
        "discovery.k8s.io",
        "v1",
        "EndpointSlice",
        "endpointslices",
        true,
        &[],
        false,
        &[],
    ),
    (
        "policy",
        "v1",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        true,
        &["pdb"],
        false,
        &["status"],
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "Role",
        "roles",
        true,
        &[],
        false,
        &[],
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "RoleBinding",
        "rolebindings",
        true,
        &[],
        false,
        &[],
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRole",
        "clusterroles",
        false,
        &[],
        false,
        &[],
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        false,
        &[],
        false,
        &[],
    ),
    (
        "scheduling.k8s.io",
        "v1",
        "PriorityClass",
        "priorityclasses",
        false,
        &["pc"],
        false,
        &[],
    ),
    (
        "storage.k8s.io",
        "v1",
        "StorageClass",
        "storageclasses",
        false,
        &["sc"],
        false,
        &[],
    ),
    (
        "coordination.k8s.io",
        "v1",
        "Lease",
        "leases",
        true,
        &[],
        false,
        &[],
    ),
    (
        "events.k8s.io",
        "v1",
        "Event",
        "events",
        true,
        &["ev"],
        false,
        &[],
    ),
    (
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        false,
        &["crd", "crds"],
        false,
        &["status"],
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        false,
        &[],
        false,
        &[],
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        false,
        &[],
        false,
        &[],
    ),
];

/// The served resources; custom resources change at run time, hence the lock.
#[derive(Debug, Default)]
pub struct Catalog {
    /// Shared, so a request takes a reference count instead of copying a resource's names.
    resources: RwLock<Vec<Arc<Resource>>>,
}

impl Catalog {
    /// The built-in resources.
    pub fn builtin() -> Self {
        let resources = BUILTIN
            .iter()
            .map(
                |&(group, version, kind, plural, namespaced, short, all, sub)| {
                    Arc::new(Resource {
                        group: group.into(),
                        version: version.into(),
                        kind: kind.into(),
                        plural: plural.into(),
                        singular: kind.to_lowercase(),
                        namespaced,
                        short_names: short.iter().map(|s| (*s).to_string()).collect(),
                        categories: if all { vec!["all".into()] } else { Vec::new() },
                        subresources: sub.iter().map(|s| (*s).to_string()).collect(),
                        custom: false,
                        printer_columns: Vec::new(),
                    })
                },
            )
            .collect();
        Self {
            resources: RwLock::new(resources),
        }
    }

    /// Every resource, in table order (built-ins first, then custom ones as added).
    pub fn all(&self) -> Vec<Resource> {
        self.resources
            .read()
            .expect("catalog lock")
            .iter()
            .map(|r| Resource::clone(r))
            .collect()
    }

    /// The resource served at `/<group>/<version>/<plural>`.
    pub fn find(&self, group: &str, version: &str, plural: &str) -> Option<Arc<Resource>> {
        self.resources
            .read()
            .expect("catalog lock")
            .iter()
            .find(|r| r.group == group && r.version == version && r.plural == plural)
            .cloned()
    }

    pub fn find_kind(&self, gvk: &Gvk) -> Option<Arc<Resource>> {
        self.resources
            .read()
            .expect("catalog lock")
            .iter()
            .find(|r| r.group == gvk.group && r.version == gvk.version && r.kind == gvk.kind)
            .cloned()
    }

    /// Group → versions (preferred first), for `/apis`.
    pub fn groups(&self) -> BTreeMap<String, Vec<String>> {
        let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for r in self.resources.read().expect("catalog lock").iter() {
            let versions = groups.entry(r.group.clone()).or_default();
            if !versions.contains(&r.version) {
                versions.push(r.version.clone());
            }
        }
        groups
    }

    /// Adds or replaces the resources of a CRD (one per served version).
    pub fn set_custom(&self, crd_name: &str, resources: Vec<Resource>) {
        let mut all = self.resources.write().expect("catalog lock");
        all.retain(|r| !(r.custom && crd_key(r) == crd_name));
        all.extend(resources.into_iter().map(Arc::new));
    }

    /// Removes the resources of a deleted CRD (`<plural>.<group>`).
    pub fn remove_custom(&self, crd_name: &str) {
        self.resources
            .write()
            .expect("catalog lock")
            .retain(|r| !(r.custom && crd_key(r) == crd_name));
    }
}

fn crd_key(r: &Resource) -> String {
    format!("{}.{}", r.plural, r.group)
}

/// The resources a CustomResourceDefinition (as JSON) defines, one per served version.
pub fn crd_resources(crd: &serde_json::Value) -> Vec<Resource> {
    let spec = &crd["spec"];
    let (Some(group), Some(kind), Some(plural)) = (
        spec["group"].as_str(),
        spec["names"]["kind"].as_str(),
        spec["names"]["plural"].as_str(),
    ) else {
        return Vec::new();
    };
    let singular = spec["names"]["singular"]
        .as_str()
        .map_or_else(|| kind.to_lowercase(), str::to_string);
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let namespaced = spec["scope"].as_str() != Some("Cluster");
    spec["versions"]
        .as_array()
        .map(|versions| {
            versions
                .iter()
                .filter(|v| v["served"].as_bool() != Some(false))
                .filter_map(|v| {
                    let mut subresources = Vec::new();
                    if v["subresources"].get("status").is_some() {
                        subresources.push("status".to_string());
                    }
                    if v["subresources"].get("scale").is_some() {
                        subresources.push("scale".to_string());
                    }
                    Some(Resource {
                        group: group.into(),
                        version: v["name"].as_str()?.into(),
                        kind: kind.into(),
                        plural: plural.into(),
                        singular: singular.clone(),
                        namespaced,
                        short_names: strings(&spec["names"]["shortNames"]),
                        categories: strings(&spec["names"]["categories"]),
                        subresources,
                        custom: true,
                        printer_columns: v["additionalPrinterColumns"]
                            .as_array()
                            .map(|cols| {
                                cols.iter()
                                    .filter_map(|c| {
                                        Some((
                                            c["name"].as_str()?.to_string(),
                                            c["type"].as_str().unwrap_or("string").to_string(),
                                            c["jsonPath"].as_str()?.to_string(),
                                            c["priority"].as_i64().unwrap_or(0),
                                        ))
                                    })
                                    .collect()
                            })
                            .unwrap_or_default(),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{BUNDLED_VERSIONS, Lookup, SchemaRegistry};

    #[test]
    fn every_builtin_resource_has_a_schema_in_every_bundled_version() {
        let catalog = Catalog::builtin();
        for version in BUNDLED_VERSIONS {
            let registry = SchemaRegistry::new(version, true).unwrap();
            for r in catalog.all() {
                assert!(
                    matches!(registry.lookup(&r.gvk()), Lookup::Found(..)),
                    "{} in {version}",
                    r.gvk()
                );
            }
        }
    }

    #[test]
    fn short_names_are_unique_across_resources() {
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for r in Catalog::builtin().all() {
            for s in &r.short_names {
                if let Some(other) = seen.insert(s.clone(), r.plural.clone()) {
                    assert_eq!(other, r.plural, "short name {s} used twice");
                }
            }
        }
    }

    #[test]
    fn crds_add_and_remove_resources() {
        let catalog = Catalog::builtin();
        let crd = serde_json::json!({"spec": {"group": "flask.example.com", "scope": "Namespaced",
            "names": {"kind": "BackupSchedule", "plural": "backupschedules", "shortNames": ["bks"]},
            "versions": [{"name": "v1", "served": true, "subresources": {"status": {}}}, {"name": "v0", "served": false}]}});
        let resources = crd_resources(&crd);
        assert_eq!(resources.len(), 1);
        catalog.set_custom("backupschedules.flask.example.com", resources);
        let r = catalog
            .find("flask.example.com", "v1", "backupschedules")
            .unwrap();
        assert!(r.custom && r.namespaced && r.has_subresource("status"));
        assert_eq!(r.qualified_plural(), "backupschedules.flask.example.com");
        assert!(catalog.groups().contains_key("flask.example.com"));
        catalog.remove_custom("backupschedules.flask.example.com");
        assert!(
            catalog
                .find("flask.example.com", "v1", "backupschedules")
                .is_none()
        );
    }
}
