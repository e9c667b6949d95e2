use std::fmt;

use serde_json::Value;

use super::ClientError;
use crate::manifest::ObjectRef;

/// One object on a server: what `get`, `delete` and the waits address.
///
/// Unlike [`ObjectRef`] (which describes what a manifest says, name possibly missing) the name
/// is required. The namespace may be left out for a namespaced kind: the client then uses its
/// kubeconfig context's namespace, as kubectl does. For a cluster-scoped kind it is ignored.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectKey {
    pub fn new(
        api_version: impl Into<String>,
        kind: impl Into<String>,
        namespace: Option<&str>,
        name: impl Into<String>,
    ) -> Self {
        Self {
            api_version: api_version.into(),
            kind: kind.into(),
            namespace: namespace.map(str::to_owned),
            name: name.into(),
        }
    }

    /// The key of an object given as JSON (a manifest or an object read from a server).
    pub fn of(obj: &Value) -> Result<Self, ClientError> {
        let text = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_owned);
        let missing = |what: &str| ClientError::InvalidObject(format!("the object has no {what}"));
        Ok(Self {
            api_version: text(&obj["apiVersion"]).ok_or_else(|| missing("apiVersion"))?,
            kind: text(&obj["kind"]).ok_or_else(|| missing("kind"))?,
            namespace: text(&obj["metadata"]["namespace"]),
            name: text(&obj["metadata"]["name"]).ok_or_else(|| missing("metadata.name"))?,
        })
    }

    /// The API group (`apps` for `apps/v1`, empty for the core `v1`).
    pub fn group(&self) -> &str {
        self.api_version.rsplit_once('/').map_or("", |(g, _)| g)
    }

    /// Rejects names that would change the request's URL instead of naming an object.
    ///
    /// kube puts names into paths unescaped; Kubernetes names never contain these characters
    /// (they are path segments on every server), so refusing them loses nothing.
    pub(super) fn check_path_safe(&self) -> Result<(), ClientError> {
        for (what, value) in [
            ("name", Some(&self.name)),
            ("namespace", self.namespace.as_ref()),
        ] {
            if let Some(value) = value
                && !is_path_segment(value)
            {
                return Err(ClientError::InvalidObject(format!(
                    "{self}: the {what} {value:?} is not a valid Kubernetes {what}"
                )));
            }
        }
        Ok(())
    }
}

pub(super) fn is_path_segment(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && !s
            .chars()
            .any(|c| matches!(c, '/' | '%' | '?' | '#') || c.is_whitespace() || c.is_control())
}

impl TryFrom<&ObjectRef> for ObjectKey {
    type Error = ClientError;

    fn try_from(r: &ObjectRef) -> Result<Self, ClientError> {
        let name =
            r.name.clone().filter(|n| !n.is_empty()).ok_or_else(|| {
                ClientError::InvalidObject(format!("{r}: the object has no name"))
            })?;
        Ok(Self {
            api_version: r.api_version.clone(),
            kind: r.kind.clone(),
            namespace: r.namespace.clone(),
            name,
        })
    }
}

impl fmt::Display for ObjectKey {
    /// `Deployment shop/web`, `Namespace shop` — as [`ObjectRef`] shows it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.kind)?;
        if let Some(ns) = &self.namespace {
            write!(f, "{ns}/")?;
        }
        write!(f, "{}", self.name)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_key_is_read_from_an_object() {
        let key = ObjectKey::of(&json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop"}
        }))
        .unwrap();
        assert_eq!(
            key,
            ObjectKey::new("apps/v1", "Deployment", Some("shop"), "web")
        );
        assert_eq!(key.group(), "apps");
        assert_eq!(key.to_string(), "Deployment shop/web");
    }

    #[test]
    fn an_object_without_kind_or_name_has_no_key() {
        let err = ObjectKey::of(&json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}))
            .unwrap_err();
        assert!(err.to_string().contains("metadata.name"), "{err}");
        let err =
            ObjectKey::of(&json!({"apiVersion": "v1", "metadata": {"name": "x"}})).unwrap_err();
        assert!(err.to_string().contains("kind"), "{err}");
    }

    #[test]
    fn a_manifest_reference_needs_a_name() {
        let r = ObjectRef {
            api_version: "v1".into(),
            kind: "Namespace".into(),
            namespace: None,
            name: Some("shop".into()),
        };
        assert_eq!(
            ObjectKey::try_from(&r).unwrap(),
            ObjectKey::new("v1", "Namespace", None, "shop")
        );
        let unnamed = ObjectRef { name: None, ..r };
        assert!(ObjectKey::try_from(&unnamed).is_err());
    }

    #[test]
    fn names_that_would_change_the_url_are_refused() {
        for bad in ["a/b", "..", ".", "a?b", "a%2Fb", "a b", ""] {
            let key = ObjectKey::new("v1", "ConfigMap", Some("default"), bad);
            assert!(key.check_path_safe().is_err(), "{bad:?}");
        }
        let key = ObjectKey::new("v1", "ConfigMap", Some("../x"), "ok");
        assert!(key.check_path_safe().is_err());
        let rbac = ObjectKey::new(
            "rbac.authorization.k8s.io/v1",
            "ClusterRole",
            None,
            "system:controller:web",
        );
        assert!(rbac.check_path_safe().is_ok());
    }
}
