//! What normalization needs to know about a field from the kind's schema: is it a quantity, an
//! int-or-string, and is it a list Kubernetes merges by key (and by which keys)?
//!
//! The schemas keep the upstream `x-kubernetes-list-map-keys` / `x-kubernetes-patch-merge-key`
//! extensions and the `$ref`s to `Quantity` and `IntOrString`, so nothing here is hand-coded
//! per kind. Where there is no schema (an unknown kind), every field is untyped: compared as
//! it is, lists by position.

use std::sync::Arc;

use serde_json::Value;

const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";
const INT_OR_STRING: &str = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";

/// A kind's schema and the definitions its `$ref`s point into; cheap to clone.
#[derive(Debug, Clone)]
pub struct KindSchema {
    root: Arc<Value>,
    defs: Arc<Value>,
}

impl KindSchema {
    pub fn new(root: Value, defs: Arc<Value>) -> Self {
        Self {
            root: Arc::new(root),
            defs,
        }
    }

    pub fn root(&self) -> FieldSchema<'_> {
        FieldSchema {
            def: Some(&self.root),
            defs: Some(&self.defs),
        }
    }
}

/// How a list's items are matched between the two sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListKeys {
    /// By position.
    Positional,
    /// Scalars as a set: order does not matter.
    Set,
    /// Objects by these fields (containers by `name`, ports by `containerPort` + `protocol`).
    Map(Vec<String>),
}

/// A position in a schema; `def` is `None` where nothing describes the value.
#[derive(Debug, Clone, Copy)]
pub struct FieldSchema<'a> {
    def: Option<&'a Value>,
    defs: Option<&'a Value>,
}

impl<'a> FieldSchema<'a> {
    pub fn untyped() -> Self {
        Self {
            def: None,
            defs: None,
        }
    }

    fn with(self, def: Option<&'a Value>) -> Self {
        Self { def, ..self }
    }

    fn ref_name(def: &Value) -> Option<&str> {
        def.get("$ref")?
            .as_str()?
            .rsplit_once("/$defs/")
            .map(|(_, n)| n)
    }

    /// The schema behind `$ref`s (bounded: definitions may refer to themselves).
    fn resolved(self) -> Option<&'a Value> {
        let mut node = self.def?;
        for _ in 0..16 {
            let Some(name) = Self::ref_name(node) else {
                return Some(node);
            };
            node = self.defs?.get("$defs")?.get(name)?;
        }
        None
    }

    fn refers_to(self, target: &str) -> bool {
        let mut node = self.def;
        for _ in 0..16 {
            let Some(def) = node else { return false };
            match Self::ref_name(def) {
                Some(name) if name == target => return true,
                Some(name) => node = self.defs.and_then(|d| d.get("$defs")?.get(name)),
                None => return false,
            }
        }
        false
    }

    /// An extension on the field itself or on the definition it refers to.
    fn extension(self, name: &str) -> Option<&'a Value> {
        self.def
            .and_then(|d| d.get(name))
            .or_else(|| self.resolved().and_then(|d| d.get(name)))
    }

    pub fn is_quantity(self) -> bool {
        self.refers_to(QUANTITY)
    }

    pub fn is_int_or_string(self) -> bool {
        self.refers_to(INT_OR_STRING)
            || self.extension("x-kubernetes-int-or-string") == Some(&Value::Bool(true))
    }

    /// The schema of key `name` of an object here.
    #[must_use]
    pub fn field(self, name: &str) -> FieldSchema<'a> {
        let Some(d) = self.resolved() else {
            return Self::untyped();
        };
        if let Some(p) = d.get("properties").and_then(|p| p.get(name)) {
            return self.with(Some(p));
        }
        match d.get("additionalProperties") {
            Some(ap @ Value::Object(_)) => self.with(Some(ap)),
            _ => Self::untyped(),
        }
    }

    /// The schema of this list's items.
    #[must_use]
    pub fn items(self) -> FieldSchema<'a> {
        match self.resolved().and_then(|d| d.get("items")) {
            Some(i @ Value::Object(_)) => self.with(Some(i)),
            _ => Self::untyped(),
        }
    }

    /// List semantics: `x-kubernetes-list-type` with its map keys, falling back to the
    /// strategic-merge-patch merge key (older definitions carry only that).
    pub fn list_keys(self) -> ListKeys {
        let list_type = self
            .extension("x-kubernetes-list-type")
            .and_then(Value::as_str);
        match list_type {
            Some("set") => return ListKeys::Set,
            Some("map") => {
                let keys: Vec<String> = self
                    .extension("x-kubernetes-list-map-keys")
                    .and_then(Value::as_array)
                    .map(|k| {
                        k.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
                if !keys.is_empty() {
                    return ListKeys::Map(keys);
                }
            }
            _ => {}
        }
        let merge = self
            .extension("x-kubernetes-patch-strategy")
            .and_then(Value::as_str)
            .is_some_and(|s| s.split(',').any(|p| p == "merge"));
        match self
            .extension("x-kubernetes-patch-merge-key")
            .and_then(Value::as_str)
        {
            Some(key) if merge => ListKeys::Map(vec![key.to_string()]),
            _ => ListKeys::Positional,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Gvk, SchemaRegistry, newest_version};

    fn deployment() -> KindSchema {
        let registry = SchemaRegistry::new(newest_version(), true).unwrap();
        let (root, defs) = registry
            .schema_of(&Gvk::new("apps", "v1", "Deployment"))
            .unwrap();
        KindSchema::new(root, defs)
    }

    #[test]
    fn the_bundled_schema_knows_keyed_lists_quantities_and_int_or_string() {
        let schema = deployment();
        let pod = schema.root().field("spec").field("template").field("spec");
        let containers = pod.field("containers");
        assert_eq!(containers.list_keys(), ListKeys::Map(vec!["name".into()]));
        let container = containers.items();
        assert_eq!(
            container.field("ports").list_keys(),
            ListKeys::Map(vec!["containerPort".into(), "protocol".into()])
        );
        assert_eq!(
            container.field("env").list_keys(),
            ListKeys::Map(vec!["name".into()])
        );
        assert!(
            container
                .field("resources")
                .field("limits")
                .field("cpu")
                .is_quantity()
        );
        assert!(
            container
                .field("readinessProbe")
                .field("httpGet")
                .field("port")
                .is_int_or_string()
        );
        assert!(!container.field("image").is_quantity());
        assert_eq!(
            container.field("args").list_keys(),
            ListKeys::Positional,
            "argument order matters"
        );
    }

    #[test]
    fn without_a_schema_everything_is_untyped() {
        let f = FieldSchema::untyped().field("spec").field("x");
        assert!(!f.is_quantity());
        assert_eq!(f.list_keys(), ListKeys::Positional);
    }
}
