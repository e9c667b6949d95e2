//! What server-side apply needs from a kind's OpenAPI schema: which map keys are struct fields,
//! and the list and map semantics of each field (kube-openapi `schemaconv`): list type
//! `atomic`/`set`/`map` with its keys, falling back to the strategic-merge-patch strategy and
//! merge key; map type `atomic`/`granular`. Where the schema says nothing (or there is no
//! schema) the value's own shape decides, as structured-merge-diff's deduced type does.

use serde_json::{Map, Value};

/// How a list merges and how its items are named in field sets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListKind {
    /// Replaced as a whole; one path for the whole list.
    Atomic,
    /// Scalars merged as a set; items named `v:<value>`.
    Set,
    /// Objects merged by these key fields; items named `k:{...}`.
    Map(Vec<String>),
}

/// A position in a schema: `def` is the schema at that point (`None` where nothing describes
/// the value), `defs` the definitions `$ref`s point into.
#[derive(Clone, Copy, Debug)]
pub struct Node<'a> {
    def: Option<&'a Value>,
    defs: Option<&'a Value>,
    /// `def` behind its `$ref`s, resolved once: every question about a node asks for it, and
    /// each resolution is a lookup among hundreds of definition names.
    target: Option<&'a Value>,
}

impl<'a> Node<'a> {
    pub fn new(def: &'a Value, defs: &'a Value) -> Self {
        Self {
            def: Some(def),
            defs: Some(defs),
            target: None,
        }
        .resolve()
    }

    /// No schema: objects are granular maps, lists atomic.
    pub fn untyped() -> Self {
        Self {
            def: None,
            defs: None,
            target: None,
        }
    }

    fn with(self, def: Option<&'a Value>) -> Self {
        Self { def, ..self }.resolve()
    }

    fn resolve(mut self) -> Self {
        self.target = self.follow_refs();
        self
    }

    /// The schema behind `$ref`s.
    fn resolved(self) -> Option<&'a Value> {
        self.target
    }

    /// Bounded: definitions may refer to themselves.
    fn follow_refs(self) -> Option<&'a Value> {
        let mut node = self.def?;
        for _ in 0..16 {
            let Some(target) = node.get("$ref").and_then(Value::as_str) else {
                return Some(node);
            };
            let name = target.rsplit_once("/$defs/")?.1;
            node = self.defs?.get("$defs")?.get(name)?;
        }
        None
    }

    /// An extension on the field's own schema or on the definition it refers to (list
    /// semantics sit on the property; `x-kubernetes-map-type` often on the definition).
    fn extension(self, name: &str) -> Option<&'a Value> {
        self.def
            .and_then(|d| d.get(name))
            .or_else(|| self.resolved().and_then(|d| d.get(name)))
    }

    fn unknown_fields_preserved(self) -> bool {
        self.extension("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true))
            && self.resolved().and_then(|d| d.get("properties")).is_none()
    }

    /// The schema of key `name` of an object here, and whether it is a named struct field
    /// (structured-merge-diff owns map keys that are not struct fields as well as what is
    /// below them, hence the distinction).
    pub fn field(self, name: &str) -> (Node<'a>, bool) {
        if self.unknown_fields_preserved() {
            return (Self::untyped(), false);
        }
        let Some(d) = self.resolved() else {
            return (Self::untyped(), false);
        };
        if let Some(p) = d.get("properties").and_then(|p| p.get(name)) {
            return (self.with(Some(p)), true);
        }
        match d.get("additionalProperties") {
            Some(ap @ Value::Object(_)) => (self.with(Some(ap)), false),
            _ => (Self::untyped(), false),
        }
    }

    /// The schema of this list's items.
    pub fn items(self) -> Node<'a> {
        match self.resolved().and_then(|d| d.get("items")) {
            Some(i @ Value::Object(_)) => self.with(Some(i)),
            _ => Self::untyped(),
        }
    }

    pub fn list_kind(self) -> ListKind {
        if self.def.is_none() || self.unknown_fields_preserved() {
            return ListKind::Atomic;
        }
        match self
            .extension("x-kubernetes-list-type")
            .and_then(Value::as_str)
        {
            Some("atomic") => return ListKind::Atomic,
            Some("set") => return ListKind::Set,
            Some("map") => {
                let keys = self
                    .extension("x-kubernetes-list-map-keys")
                    .and_then(Value::as_array)
                    .map(|k| {
                        k.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default();
                return if keys.is_empty() {
                    ListKind::Atomic
                } else {
                    ListKind::Map(keys)
                };
            }
            _ => {}
        }
        // Types older than list-type markers: strategic merge patch's strategy decides.
        let merges = self
            .extension("x-kubernetes-patch-strategy")
            .and_then(Value::as_str)
            .is_some_and(|s| s.split(',').any(|p| p.trim() == "merge"));
        if !merges {
            return ListKind::Atomic;
        }
        match self
            .extension("x-kubernetes-patch-merge-key")
            .and_then(Value::as_str)
        {
            Some(key) => ListKind::Map(vec![key.to_string()]),
            None => ListKind::Set,
        }
    }

    /// `x-kubernetes-map-type: atomic` (also how `+structType=atomic` is published).
    pub fn map_atomic(self) -> bool {
        self.def.is_some()
            && self
                .extension("x-kubernetes-map-type")
                .and_then(Value::as_str)
                == Some("atomic")
    }
}

/// Whether a value is a leaf for ownership and comparison: scalars, atomic lists and maps.
pub fn is_atomic_value(v: &Value, node: Node<'_>) -> bool {
    match v {
        Value::Object(_) => node.map_atomic(),
        Value::Array(_) => node.list_kind() == ListKind::Atomic,
        _ => true,
    }
}

/// Both sides empty containers of the same shape: structured-merge-diff treats the pair as a
/// leaf so that `{}` vs absent survives a merge.
pub fn both_empty(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => x.is_empty() && y.is_empty(),
        (Value::Array(x), Value::Array(y)) => x.is_empty() && y.is_empty(),
        _ => false,
    }
}

/// The key fields of a list-map item as they name it, taking a key field the item leaves out
/// from `defaults` (the same item after API defaulting: `protocol: TCP` of a container port).
pub fn item_key(
    keys: &[String],
    item: &Value,
    defaults: Option<&Value>,
) -> Result<Map<String, Value>, String> {
    let Some(m) = item.as_object() else {
        return Err(if item.is_null() {
            "associative list with keys may not have a null element".into()
        } else {
            "associative list with keys may not have non-map elements".into()
        });
    };
    let mut out = Map::new();
    for k in keys {
        if let Some(v) = m.get(k).or_else(|| defaults.and_then(|d| d.get(k))) {
            out.insert(k.clone(), v.clone());
        }
    }
    if out.is_empty() {
        let quoted: Vec<String> = keys
            .iter()
            .map(|k| Value::from(k.as_str()).to_string())
            .collect();
        return Err(format!(
            "associative list with keys has an element that omits all key fields [{}] (and doesn't have default values for any key fields)",
            quoted.join(" ")
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn defs() -> Value {
        json!({"$defs": {
            "Spec": {"properties": {
                "ports": {"type": "array", "items": {"$ref": "#/$defs/Port"},
                    "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["containerPort", "protocol"]},
                "args": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "atomic"},
                "finalizers": {"type": "array", "items": {"type": "string"}, "x-kubernetes-list-type": "set"},
                "volumes": {"type": "array", "x-kubernetes-patch-strategy": "merge,retainKeys", "x-kubernetes-patch-merge-key": "name"},
                "old": {"type": "array", "x-kubernetes-patch-strategy": "merge"},
                "plain": {"type": "array"},
                "selector": {"$ref": "#/$defs/Selector"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
            }},
            "Port": {"properties": {"containerPort": {"type": "integer"}, "protocol": {"type": "string"}}},
            "Selector": {"properties": {"matchLabels": {"type": "object"}}, "x-kubernetes-map-type": "atomic"}
        }})
    }

    #[test]
    fn list_and_map_semantics_come_from_the_schema() {
        let defs = defs();
        let root = json!({"$ref": "#/$defs/Spec"});
        let spec = Node::new(&root, &defs);
        let kind = |f: &str| spec.field(f).0.list_kind();
        assert_eq!(
            kind("ports"),
            ListKind::Map(vec!["containerPort".into(), "protocol".into()])
        );
        assert_eq!(kind("args"), ListKind::Atomic);
        assert_eq!(kind("finalizers"), ListKind::Set);
        assert_eq!(kind("volumes"), ListKind::Map(vec!["name".into()]));
        assert_eq!(kind("old"), ListKind::Set);
        assert_eq!(kind("plain"), ListKind::Atomic);
        assert_eq!(kind("nothing"), ListKind::Atomic);
        assert!(spec.field("selector").0.map_atomic());
        assert!(!spec.field("labels").0.map_atomic());
        assert!(spec.field("ports").1, "a property is a named field");
        let (label, named) = spec.field("labels").0.field("app");
        assert!(!named, "a map key is not a struct field");
        assert!(is_atomic_value(&json!("x"), label));
        let (free, _) = spec.field("free").0.field("x");
        assert_eq!(free.list_kind(), ListKind::Atomic);
        let port = spec.field("ports").0.items();
        assert!(port.field("protocol").1);
    }

    #[test]
    fn item_keys_take_defaults_and_report_missing_keys() {
        let keys = vec!["containerPort".to_string(), "protocol".to_string()];
        let k = item_key(
            &keys,
            &json!({"containerPort": 80}),
            Some(&json!({"containerPort": 80, "protocol": "TCP"})),
        )
        .unwrap();
        assert_eq!(
            Value::Object(k),
            json!({"containerPort": 80, "protocol": "TCP"})
        );
        let k = item_key(&keys, &json!({"containerPort": 80}), None).unwrap();
        assert_eq!(Value::Object(k), json!({"containerPort": 80}));
        let e = item_key(&["name".to_string()], &json!({"image": "x"}), None).unwrap_err();
        assert!(e.contains("omits all key fields [\"name\"]"), "{e}");
        assert!(item_key(&keys, &json!("x"), None).is_err());
    }
}
