//! ApplySet-compatible membership (KEP-3659, as `kubectl apply --prune --applyset` uses it):
//! every applied object carries `applyset.kubernetes.io/part-of: <id>`, and the parent object
//! lists the group-kinds and namespaces the set spans, so pruning looks only there.

use std::collections::BTreeSet;

use base64::Engine as _;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::parent_secret_name;

pub const PART_OF_LABEL: &str = "applyset.kubernetes.io/part-of";
const ID_LABEL: &str = "applyset.kubernetes.io/id";
const TOOLING: &str = "applyset.kubernetes.io/tooling";
const GROUP_KINDS: &str = "applyset.kubernetes.io/contains-group-kinds";
const NAMESPACES: &str = "applyset.kubernetes.io/additional-namespaces";

/// The ApplySet id of a parent: `applyset-<base64url(sha256("<name>.<namespace>.<Kind>.<group>"))>-v1`.
pub fn applyset_id(name: &str, namespace: &str, kind: &str, group: &str) -> String {
    let digest = Sha256::digest(format!("{name}.{namespace}.{kind}.{group}").as_bytes());
    format!(
        "applyset-{}-v1",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
    )
}

/// A release's ApplySet: its parent Secret and what it spans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplySet {
    pub release: String,
    pub namespace: String,
    /// `Kind.group` (`Deployment.apps`, `Service`).
    pub group_kinds: BTreeSet<String>,
    /// Namespaces with members, besides the parent's.
    pub namespaces: BTreeSet<String>,
}

impl ApplySet {
    pub fn id(&self) -> String {
        applyset_id(
            &parent_secret_name(&self.release),
            &self.namespace,
            "Secret",
            "",
        )
    }

    /// Adds what `objects` span (their kinds and namespaces).
    pub fn include(&mut self, objects: &[Value]) {
        for o in objects {
            let kind = o["kind"].as_str().unwrap_or_default();
            let group = o["apiVersion"]
                .as_str()
                .and_then(|v| v.rsplit_once('/'))
                .map_or("", |(g, _)| g);
            self.group_kinds.insert(if group.is_empty() {
                kind.to_string()
            } else {
                format!("{kind}.{group}")
            });
            if let Some(ns) = o["metadata"]["namespace"].as_str()
                && ns != self.namespace
            {
                self.namespaces.insert(ns.to_string());
            }
        }
    }

    /// Reads the spans from an existing parent.
    pub fn from_parent(release: &str, namespace: &str, parent: &Value) -> ApplySet {
        let list = |key: &str| -> BTreeSet<String> {
            parent["metadata"]["annotations"][key]
                .as_str()
                .unwrap_or_default()
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        };
        ApplySet {
            release: release.to_string(),
            namespace: namespace.to_string(),
            group_kinds: list(GROUP_KINDS),
            namespaces: list(NAMESPACES),
        }
    }

    /// The parent Secret to apply.
    pub fn parent(&self) -> Value {
        let join = |set: &BTreeSet<String>| set.iter().cloned().collect::<Vec<_>>().join(",");
        json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "kplan.dev/applyset",
            "metadata": {
                "name": parent_secret_name(&self.release),
                "namespace": self.namespace,
                "labels": {ID_LABEL: self.id(), super::OWNER_LABEL: super::OWNER, super::NAME_LABEL: self.release},
                "annotations": {
                    TOOLING: format!("kplan/v{}", env!("CARGO_PKG_VERSION")),
                    GROUP_KINDS: join(&self.group_kinds),
                    NAMESPACES: join(&self.namespaces),
                },
            },
        })
    }

    /// Marks an object as a member (in place).
    pub fn label(&self, object: &mut Value) {
        if !object["metadata"]["labels"].is_object() {
            object["metadata"]["labels"] = json!({});
        }
        object["metadata"]["labels"][PART_OF_LABEL] = json!(self.id());
    }

    /// Every namespace the set spans (the parent's first).
    pub fn all_namespaces(&self) -> Vec<String> {
        std::iter::once(self.namespace.clone())
            .chain(self.namespaces.iter().cloned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_follows_the_applyset_formula() {
        let id = applyset_id("kplan.release.shop", "default", "Secret", "");
        assert!(id.starts_with("applyset-") && id.ends_with("-v1"), "{id}");
        assert_eq!(id.len(), "applyset-".len() + 43 + "-v1".len());
        assert_ne!(id, applyset_id("kplan.release.shop", "other", "Secret", ""));
    }

    #[test]
    fn the_parent_lists_kinds_and_namespaces_and_reads_back() {
        let mut set = ApplySet {
            release: "shop".into(),
            namespace: "default".into(),
            group_kinds: BTreeSet::new(),
            namespaces: BTreeSet::new(),
        };
        set.include(&[
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"namespace": "shop"}}),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"namespace": "default"}}),
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
        ]);
        let parent = set.parent();
        assert_eq!(
            parent["metadata"]["annotations"]["applyset.kubernetes.io/contains-group-kinds"],
            "Deployment.apps,Namespace,Service"
        );
        assert_eq!(
            parent["metadata"]["annotations"]["applyset.kubernetes.io/additional-namespaces"],
            "shop"
        );
        assert_eq!(ApplySet::from_parent("shop", "default", &parent), set);
        let mut obj = json!({"metadata": {}});
        set.label(&mut obj);
        assert_eq!(obj["metadata"]["labels"][PART_OF_LABEL], set.id());
    }
}
