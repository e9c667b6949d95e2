//! `/version`, `/api`, `/apis`, `/api/v1`, `/apis/<group>/<version>`: legacy discovery, which
//! every kubectl since 1.27 falls back to when aggregated discovery is not offered.

use serde_json::{Value, json};

use crate::schema::KubeVersion;

use super::super::catalog::{Catalog, Resource};

pub fn version(v: KubeVersion) -> Value {
    json!({
        "major": v.major.to_string(), "minor": v.minor.to_string(),
        "gitVersion": format!("v{}.{}.0-kplan", v.major, v.minor),
        "gitCommit": env!("CARGO_PKG_VERSION"), "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z", "goVersion": "none", "compiler": "rustc",
        "platform": format!("{}/{}", std::env::consts::OS, std::env::consts::ARCH),
    })
}

pub fn api_versions() -> Value {
    json!({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": ""}]})
}

pub fn api_groups(catalog: &Catalog) -> Value {
    let groups: Vec<Value> = catalog
        .groups()
        .into_iter()
        .filter(|(g, _)| !g.is_empty())
        .map(|(name, versions)| {
            let gv = |v: &String| json!({"groupVersion": format!("{name}/{v}"), "version": v});
            json!({"name": name, "versions": versions.iter().map(gv).collect::<Vec<_>>(), "preferredVersion": gv(&versions[0])})
        })
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `APIGroup` of one group (`/apis/<group>`); `None` if the catalog does not serve it.
pub fn api_group(catalog: &Catalog, group: &str) -> Option<Value> {
    let (name, versions) = catalog
        .groups()
        .into_iter()
        .find(|(g, _)| g == group && !g.is_empty())?;
    let gv = |v: &String| json!({"groupVersion": format!("{name}/{v}"), "version": v});
    Some(json!({
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": name,
        "versions": versions.iter().map(gv).collect::<Vec<_>>(),
        "preferredVersion": gv(&versions[0]),
    }))
}

const VERBS: [&str; 8] = [
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// `APIResourceList` of one group-version; `None` if the catalog serves nothing there.
pub fn resource_list(catalog: &Catalog, group: &str, version: &str) -> Option<Value> {
    let resources: Vec<Resource> = catalog
        .all()
        .into_iter()
        .filter(|r| r.group == group && r.version == version)
        .collect();
    if resources.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    for r in &resources {
        out.push(json!({
            "name": r.plural, "singularName": r.singular, "namespaced": r.namespaced, "kind": r.kind,
            "verbs": VERBS, "shortNames": r.short_names, "categories": r.categories,
        }));
        for sub in &r.subresources {
            let entry = if sub == "scale" {
                json!({"name": format!("{}/scale", r.plural), "singularName": "", "namespaced": r.namespaced,
                       "group": "autoscaling", "version": "v1", "kind": "Scale", "verbs": ["get", "patch", "update"]})
            } else {
                json!({"name": format!("{}/{sub}", r.plural), "singularName": "", "namespaced": r.namespaced,
                       "kind": r.kind, "verbs": ["get", "patch", "update"]})
            };
            out.push(entry);
        }
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": out}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apps_v1_lists_deployments_with_short_names_and_subresources() {
        let catalog = Catalog::builtin();
        let list = resource_list(&catalog, "apps", "v1").unwrap();
        let names: Vec<&str> = list["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert!(
            names.contains(&"deployments")
                && names.contains(&"deployments/scale")
                && names.contains(&"deployments/status")
        );
        let deploy = &list["resources"][names.iter().position(|n| *n == "deployments").unwrap()];
        assert_eq!(deploy["shortNames"], json!(["deploy"]));
        assert_eq!(deploy["categories"], json!(["all"]));
        assert!(resource_list(&catalog, "apps", "v9").is_none());
        let groups = api_groups(&catalog);
        assert!(
            groups["groups"]
                .as_array()
                .unwrap()
                .iter()
                .any(|g| g["name"] == "apps")
        );
    }
}
