use kube::core::ApiResource;
use serde_json::Value;

/// What discovery says about one kind: where its objects live on the server.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResourceInfo {
    /// Empty for the core group (`v1`).
    pub group: String,
    pub version: String,
    pub kind: String,
    /// The resource name in URLs (`deployments`).
    pub plural: String,
    pub namespaced: bool,
}

impl ResourceInfo {
    /// `apps/v1`, or `v1` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The kinds a discovery document (`/api/v1`, `/apis/apps/v1`: an `APIResourceList`)
    /// serves. Subresources (`deployments/status`) are not kinds of their own and are left
    /// out; entries without a name or kind (malformed) are skipped rather than failing the
    /// whole group.
    pub(super) fn from_discovery(group: &str, version: &str, list: &Value) -> Vec<Self> {
        let Some(resources) = list["resources"].as_array() else {
            return Vec::new();
        };
        resources
            .iter()
            .filter_map(|r| {
                let plural = r["name"].as_str().filter(|n| !n.is_empty())?;
                let kind = r["kind"].as_str().filter(|k| !k.is_empty())?;
                if plural.contains('/') {
                    return None;
                }
                Some(Self {
                    group: group.to_owned(),
                    version: version.to_owned(),
                    kind: kind.to_owned(),
                    plural: plural.to_owned(),
                    namespaced: r["namespaced"].as_bool().unwrap_or(false),
                })
            })
            .collect()
    }

    /// kube's description of the same resource, for its URL and request builders.
    pub(super) fn api_resource(&self) -> ApiResource {
        ApiResource {
            group: self.group.clone(),
            version: self.version.clone(),
            api_version: self.api_version(),
            kind: self.kind.clone(),
            plural: self.plural.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn discovery_lists_kinds_without_their_subresources() {
        let list = json!({
            "kind": "APIResourceList",
            "groupVersion": "apps/v1",
            "resources": [
                {"name": "deployments", "kind": "Deployment", "namespaced": true},
                {"name": "deployments/status", "kind": "Deployment", "namespaced": true},
                {"name": "deployments/scale", "kind": "Scale", "namespaced": true},
                {"name": "", "kind": "Broken"},
            ]
        });
        let infos = ResourceInfo::from_discovery("apps", "v1", &list);
        assert_eq!(
            infos,
            [ResourceInfo {
                group: "apps".into(),
                version: "v1".into(),
                kind: "Deployment".into(),
                plural: "deployments".into(),
                namespaced: true,
            }]
        );
        assert_eq!(infos[0].api_version(), "apps/v1");
        assert_eq!(infos[0].api_resource().plural, "deployments");
    }

    #[test]
    fn the_core_group_has_a_bare_version() {
        let list = json!({"resources": [{"name": "namespaces", "kind": "Namespace"}]});
        let infos = ResourceInfo::from_discovery("", "v1", &list);
        assert_eq!(infos[0].api_version(), "v1");
        assert!(!infos[0].namespaced, "namespaced defaults to false");
    }
}
