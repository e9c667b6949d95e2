//! Walks over JSON values guided by a schema (structured-merge-diff `typed`): the field set of
//! an applied configuration, the merge of a configuration into a live object, pruning what a
//! manager stopped applying, and which owned fields a change touches.
//!
//! `defaults` arguments shadow the configuration after API defaulting; they are consulted
//! only for list-map keys the configuration leaves out (a port without `protocol` is the
//! `TCP` port of the live object).

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::fieldset::{EMPTY, PathElement, Set};
use super::schema::{ListKind, Node, both_empty, is_atomic_value, item_key};

/// A value the schema cannot make sense of (an associative list item without its keys, a
/// duplicated key in the configuration). The API server answers these with a 500.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedError {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for TypedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

fn err(path: &str, message: impl Into<String>) -> TypedError {
    TypedError {
        path: path.to_string(),
        message: message.into(),
    }
}

/// The path element naming an item of a non-atomic list.
pub fn item_element(
    kind: &ListKind,
    item: &Value,
    defaults: Option<&Value>,
) -> Result<PathElement, String> {
    match kind {
        ListKind::Map(keys) => item_key(keys, item, defaults).map(PathElement::key),
        ListKind::Set => match item {
            Value::Object(_) => {
                Err("associative list without keys has an element that's a map type".into())
            }
            Value::Array(_) => Err("not supported: associative list with lists as elements".into()),
            Value::Null => {
                Err("associative list without keys has an element that's an explicit null".into())
            }
            scalar => Ok(PathElement::value(scalar)),
        },
        ListKind::Atomic => Err("invalid indexing of non-associative list".into()),
    }
}

/// The defaults shadow of item `i`, when defaulting kept the list's shape.
fn default_item(defaults: Option<&Value>, len: usize, i: usize) -> Option<&Value> {
    defaults
        .and_then(Value::as_array)
        .filter(|d| d.len() == len)
        .and_then(|d| d.get(i))
}

/// The set of fields a configuration sets (structured-merge-diff `ToFieldSet`): scalars,
/// atomic lists and maps, `null`s and empty objects as leaves; every list item; map keys that
/// are not struct fields. Struct fields holding non-empty objects are only implied by what is
/// below them.
pub fn field_set(v: &Value, node: Node<'_>, defaults: Option<&Value>) -> Result<Set, TypedError> {
    let mut path = String::new();
    descendants(v, node, defaults, &mut path)
}

fn descendants(
    v: &Value,
    node: Node<'_>,
    defaults: Option<&Value>,
    path: &mut String,
) -> Result<Set, TypedError> {
    let mut out = Set::default();
    match v {
        Value::Object(m) if !node.map_atomic() => {
            for (k, child) in m {
                let (cnode, named) = node.field(k);
                let pe = PathElement::Field(k.clone());
                let mark = path.len();
                // As `display` prints a field, without allocating: this runs for every field
                // of every object written.
                path.push('.');
                path.push_str(k);
                let sub = descendants(child, cnode, defaults.and_then(|d| d.get(k)), path)?;
                path.truncate(mark);
                let empty_object = child.as_object().is_some_and(Map::is_empty);
                if is_atomic_value(child, cnode) || empty_object || !named {
                    out.insert_member(pe.clone());
                }
                out.insert_child(pe, sub);
            }
        }
        Value::Array(items) => {
            let kind = node.list_kind();
            if kind == ListKind::Atomic {
                return Ok(out);
            }
            let mut seen = HashSet::new();
            for (i, item) in items.iter().enumerate() {
                let item_defaults = default_item(defaults, items.len(), i);
                let pe = item_element(&kind, item, item_defaults)
                    .map_err(|e| err(path, format!("element {i}: {e}")))?;
                // The API server validates an applied configuration before anything else.
                if !seen.insert(pe.clone()) {
                    return Err(err(
                        path,
                        format!("duplicate entries for key {}", pe.display()),
                    ));
                }
                let mark = path.len();
                path.push_str(&pe.display());
                let sub = descendants(item, node.items(), item_defaults, path)?;
                path.truncate(mark);
                out.insert_member(pe.clone());
                out.insert_child(pe, sub);
            }
        }
        _ => {}
    }
    Ok(out)
}

/// `live` with `config` merged in (structured-merge-diff `Merge`): scalars and atomic values
/// from the configuration; granular maps key by key; associative lists item by item, in the
/// order the algorithm upstream produces (the configuration's order for shared items, live-only
/// items kept where they were).
pub fn merge(
    live: &Value,
    config: &Value,
    node: Node<'_>,
    defaults: Option<&Value>,
) -> Result<Value, TypedError> {
    let mut path = String::new();
    merge_at(live, config, node, defaults, &mut path)
}

fn merge_at(
    lhs: &Value,
    rhs: &Value,
    node: Node<'_>,
    defaults: Option<&Value>,
    path: &mut String,
) -> Result<Value, TypedError> {
    match (lhs, rhs) {
        // `null` in a configuration clears a leaf but leaves a granular map or list alone.
        (Value::Object(l), Value::Null) if !l.is_empty() && !node.map_atomic() => Ok(lhs.clone()),
        (Value::Array(l), Value::Null) if !l.is_empty() && node.list_kind() != ListKind::Atomic => {
            Ok(lhs.clone())
        }
        (Value::Object(l), Value::Object(r)) if !node.map_atomic() && !both_empty(lhs, rhs) => {
            let mut out = Map::new();
            for (k, lv) in l {
                let merged = match r.get(k) {
                    None => lv.clone(),
                    Some(rv) => {
                        let mark = path.len();
                        path.push('.');
                        path.push_str(k);
                        let m = merge_at(
                            lv,
                            rv,
                            node.field(k).0,
                            defaults.and_then(|d| d.get(k)),
                            path,
                        )?;
                        path.truncate(mark);
                        m
                    }
                };
                if !merged.is_null() {
                    out.insert(k.clone(), merged);
                }
            }
            for (k, rv) in r {
                if !l.contains_key(k) && !rv.is_null() {
                    out.insert(k.clone(), without_nulls(rv));
                }
            }
            Ok(if out.is_empty() {
                Value::Null
            } else {
                Value::Object(out)
            })
        }
        (Value::Array(l), Value::Array(r))
            if node.list_kind() != ListKind::Atomic && !both_empty(lhs, rhs) =>
        {
            merge_lists(l, r, node, defaults, path)
        }
        _ => Ok(without_nulls(rhs)),
    }
}

/// A configuration value as stored: the API server's typed objects have no `null` fields.
fn without_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, c)| !c.is_null())
                .map(|(k, c)| (k.clone(), without_nulls(c)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// structured-merge-diff `visitListItems`, step for step.
fn merge_lists(
    lhs: &[Value],
    rhs: &[Value],
    node: Node<'_>,
    defaults: Option<&Value>,
    path: &mut String,
) -> Result<Value, TypedError> {
    let kind = node.list_kind();
    let items = node.items();
    let mut rhs_pes = Vec::with_capacity(rhs.len());
    let mut observed_rhs: HashMap<PathElement, (usize, &Value)> = HashMap::new();
    for (i, item) in rhs.iter().enumerate() {
        let pe = item_element(&kind, item, default_item(defaults, rhs.len(), i))
            .map_err(|e| err(path, format!("element {i}: {e}")))?;
        if observed_rhs.contains_key(&pe) {
            return Err(err(
                path,
                format!("duplicate entries for key {}", pe.display()),
            ));
        }
        observed_rhs.insert(pe.clone(), (i, item));
        rhs_pes.push(pe);
    }
    let mut lhs_pes = Vec::with_capacity(lhs.len());
    // A duplicated live item is not merged with the configuration (`None`).
    let mut observed_lhs: HashMap<PathElement, Option<&Value>> = HashMap::new();
    for (i, item) in lhs.iter().enumerate() {
        let pe =
            item_element(&kind, item, None).map_err(|e| err(path, format!("element {i}: {e}")))?;
        observed_lhs
            .entry(pe.clone())
            .and_modify(|v| *v = None)
            .or_insert(Some(item));
        lhs_pes.push(pe);
    }
    let mut shared_order = rhs_pes
        .iter()
        .filter(|pe| observed_lhs.contains_key(*pe))
        .collect::<Vec<_>>()
        .into_iter();
    let mut next_shared = shared_order.next();
    let mut merged_rhs: HashSet<&PathElement> = HashSet::new();
    let mut out = Vec::with_capacity(lhs.len().max(rhs.len()));
    let mut merge_item = |pe: &PathElement,
                          l: Option<&Value>,
                          r: Option<(usize, &Value)>,
                          out: &mut Vec<Value>|
     -> Result<(), TypedError> {
        let mark = path.len();
        path.push_str(&pe.display());
        let merged = match (l, r) {
            (Some(l), Some((i, r))) => {
                merge_at(l, r, items, default_item(defaults, rhs.len(), i), path)?
            }
            (Some(l), None) => l.clone(),
            (None, Some((_, r))) => without_nulls(r),
            (None, None) => Value::Null,
        };
        path.truncate(mark);
        if !merged.is_null() {
            out.push(merged);
        }
        Ok(())
    };
    let (mut li, mut ri) = (0, 0);
    while li < lhs_pes.len() || ri < rhs_pes.len() {
        if li < lhs_pes.len() && ri < rhs_pes.len() {
            let pe = &lhs_pes[li];
            if *pe == rhs_pes[ri] {
                merged_rhs.insert(pe);
                let l = observed_lhs.get(pe).copied().flatten();
                merge_item(pe, l, observed_rhs.get(pe).copied(), &mut out)?;
                li += 1;
                ri += 1;
                next_shared = shared_order.next();
                continue;
            }
            if observed_rhs.contains_key(pe) && next_shared.is_some_and(|n| n != pe) {
                // A shared item, but not the one due in this round: it comes in rhs order.
                li += 1;
                continue;
            }
        }
        if li < lhs_pes.len() {
            let pe = &lhs_pes[li];
            if !observed_rhs.contains_key(pe) {
                merge_item(pe, Some(&lhs[li]), None, &mut out)?;
                li += 1;
                continue;
            } else if merged_rhs.contains(pe) {
                li += 1;
            }
        }
        if ri < rhs_pes.len() {
            let pe = &rhs_pes[ri];
            merged_rhs.insert(pe);
            let l = observed_lhs.get(pe).copied().flatten();
            merge_item(pe, l, observed_rhs.get(pe).copied(), &mut out)?;
            ri += 1;
            if next_shared.is_some_and(|n| n == pe) {
                next_shared = shared_order.next();
            }
        }
    }
    Ok(if out.is_empty() {
        Value::Null
    } else {
        Value::Array(out)
    })
}

/// Removes from `v` what `last` (a manager's previous field set) owned and `managed` (every
/// manager's set, the applier's new one included) no longer does; a struct field counts as
/// owned when anything below it is (structured-merge-diff `prune` with
/// `EnsureNamedFieldsAreMembers`). Returns whether `v` was emptied by removals, so that the
/// parent drops it as the typed object would.
pub fn prune(v: &mut Value, node: Node<'_>, last: &Set, managed: &Set) -> bool {
    match v {
        Value::Object(m) if !node.map_atomic() => {
            let mut removed = false;
            let keys: Vec<String> = m.keys().cloned().collect();
            for k in keys {
                let pe = PathElement::Field(k.clone());
                let last_child = last.child(&pe);
                if !last.has_member(&pe) && last_child.is_none() {
                    continue;
                }
                let (cnode, named) = node.field(&k);
                let was_owned = last.has_member(&pe) || (named && last_child.is_some());
                let still_owned = managed.has_member(&pe) || managed.child(&pe).is_some();
                if was_owned && !still_owned {
                    m.remove(&k);
                    removed = true;
                    continue;
                }
                if let (Some(lc), Some(child)) = (last_child, m.get_mut(&k))
                    && prune(child, cnode, lc, managed.child(&pe).unwrap_or(&EMPTY))
                {
                    m.remove(&k);
                    removed = true;
                }
            }
            removed && m.is_empty()
        }
        Value::Array(items) => {
            let kind = node.list_kind();
            if kind == ListKind::Atomic {
                return false;
            }
            let mut removed = false;
            let mut kept = Vec::with_capacity(items.len());
            for mut item in std::mem::take(items) {
                let Ok(pe) = item_element(&kind, &item, None) else {
                    kept.push(item);
                    continue;
                };
                let last_child = last.child(&pe);
                let still_owned = managed.has_member(&pe) || managed.child(&pe).is_some();
                if last.has_member(&pe) && !still_owned {
                    removed = true;
                    continue;
                }
                if let Some(lc) = last_child
                    && prune(
                        &mut item,
                        node.items(),
                        lc,
                        managed.child(&pe).unwrap_or(&EMPTY),
                    )
                {
                    removed = true;
                    continue;
                }
                kept.push(item);
            }
            *items = kept;
            removed && items.is_empty()
        }
        _ => false,
    }
}

/// What a change from `old` to `new` does to the fields of one manager's `set`: those it
/// added or modified (conflicts, when another manager applies), and those it removed.
/// Modified means a leaf whose value differs (structured-merge-diff `Compare`).
pub fn touched(old: &Value, new: &Value, node: Node<'_>, set: &Set) -> (Set, Set) {
    let mut changed = Set::default();
    let mut removed = Set::default();
    touched_at(Some(old), Some(new), node, set, &mut changed, &mut removed);
    (changed, removed)
}

fn touched_at(
    old: Option<&Value>,
    new: Option<&Value>,
    node: Node<'_>,
    set: &Set,
    changed: &mut Set,
    removed: &mut Set,
) {
    for pe in set.elements() {
        let cnode = match pe {
            PathElement::Field(name) => node.field(name).0,
            _ => node.items(),
        };
        let o = child(old, pe, node);
        let n = child(new, pe, node);
        if set.has_member(pe) {
            match (o, n) {
                (None, Some(_)) => changed.insert_member(pe.clone()),
                (Some(_), None) => removed.insert_member(pe.clone()),
                (Some(a), Some(b)) if a != b && is_leaf_pair(a, b, cnode) => {
                    changed.insert_member(pe.clone());
                }
                _ => {}
            }
        }
        if let Some(sub) = set.child(pe) {
            let (mut c, mut r) = (Set::default(), Set::default());
            touched_at(o, n, cnode, sub, &mut c, &mut r);
            changed.insert_child(pe.clone(), c);
            removed.insert_child(pe.clone(), r);
        }
    }
}

fn is_leaf_pair(a: &Value, b: &Value, node: Node<'_>) -> bool {
    match (a, b) {
        (Value::Object(_), Value::Object(_)) | (Value::Array(_), Value::Array(_)) => {
            is_atomic_value(a, node) || both_empty(a, b)
        }
        _ => true,
    }
}

/// The child of `parent` that `pe` names (absent and `null` alike are absent).
fn child<'v>(parent: Option<&'v Value>, pe: &PathElement, node: Node<'_>) -> Option<&'v Value> {
    let found = match (parent?, pe) {
        (Value::Object(m), PathElement::Field(name)) => m.get(name),
        (Value::Array(items), PathElement::Index(i)) => items.get(*i),
        (Value::Array(items), PathElement::Key(_) | PathElement::Value(_)) => {
            let kind = node.list_kind();
            items
                .iter()
                .find(|item| item_element(&kind, item, None).is_ok_and(|p| p == *pe))
        }
        _ => None,
    };
    found.filter(|v| !v.is_null())
}

#[cfg(test)]
mod tests {
    use super::super::fieldset::path_string;
    use super::*;
    use serde_json::json;

    /// The bundled Kubernetes definitions, as the server uses them.
    fn schema(kind: &str) -> (Value, std::sync::Arc<Value>) {
        let reg =
            crate::schema::SchemaRegistry::new(crate::schema::newest_version(), true).unwrap();
        let (group, version) = match kind {
            "Deployment" => ("apps", "v1"),
            _ => ("", "v1"),
        };
        reg.schema_of(&crate::schema::Gvk::new(group, version, kind))
            .unwrap()
    }

    fn deployment() -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web"}, "finalizers": ["example.com/a"]},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "web:1", "args": ["-v", "2"],
                        "ports": [{"containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}],
                        "env": [{"name": "A", "value": "1"}]}]}}}})
    }

    /// API defaulting as far as list keys care.
    fn defaulted(v: &Value) -> Value {
        let mut d = v.clone();
        if let Some(cs) = d["spec"]["template"]["spec"]["containers"].as_array_mut() {
            for c in cs {
                if let Some(ps) = c["ports"].as_array_mut() {
                    for p in ps {
                        if p.get("protocol").is_none() {
                            p["protocol"] = json!("TCP");
                        }
                    }
                }
            }
        }
        d
    }

    #[test]
    fn field_set_of_a_deployment() {
        let (def, defs) = schema("Deployment");
        let node = Node::new(&def, &defs);
        let config = deployment();
        let set = field_set(&config, node, Some(&defaulted(&config))).unwrap();
        let v1 = set.to_fields_v1();
        assert_eq!(v1["f:metadata"]["f:labels"], json!({"f:app": {}}));
        assert_eq!(
            v1["f:metadata"]["f:finalizers"],
            json!({"v:\"example.com/a\"": {}}),
            "set items by value"
        );
        assert_eq!(v1["f:spec"]["f:replicas"], json!({}));
        assert_eq!(
            v1["f:spec"]["f:selector"],
            json!({}),
            "LabelSelector is an atomic struct"
        );
        let container =
            &v1["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"web\"}"];
        assert_eq!(container["."], json!({}));
        assert_eq!(container["f:args"], json!({}), "atomic list is one leaf");
        assert_eq!(
            container["f:ports"],
            json!({
                "k:{\"containerPort\":53,\"protocol\":\"UDP\"}": {".": {}, "f:containerPort": {}, "f:protocol": {}},
                "k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}}
            }),
            "both list-map keys, the defaulted protocol included, but only applied fields owned"
        );
        assert_eq!(
            container["f:env"],
            json!({"k:{\"name\":\"A\"}": {".": {}, "f:name": {}, "f:value": {}}})
        );
        assert!(v1["f:spec"].get(".").is_none());
        // Deterministic: the same configuration always serialises the same.
        let again = field_set(&config, node, Some(&defaulted(&config))).unwrap();
        assert_eq!(again.to_fields_v1().to_string(), v1.to_string());
    }

    #[test]
    fn untyped_values_own_every_key_and_lists_whole() {
        let set = field_set(
            &json!({"spec": {"a": 1, "list": [{"name": "x"}], "empty": {}}}),
            Node::untyped(),
            None,
        )
        .unwrap();
        assert_eq!(
            set.to_fields_v1(),
            json!({"f:spec": {".": {}, "f:a": {}, "f:empty": {}, "f:list": {}}})
        );
    }

    #[test]
    fn configuration_errors_name_the_list() {
        let (def, defs) = schema("Deployment");
        let node = Node::new(&def, &defs);
        let bad = json!({"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}});
        let e = field_set(&bad, node, None).unwrap_err();
        assert_eq!(e.path, ".spec.template.spec.containers");
        assert!(
            e.to_string()
                .contains("element 0: associative list with keys"),
            "{e}"
        );
        let dup =
            json!({"spec": {"template": {"spec": {"containers": [{"name": "a"}, {"name": "a"}]}}}});
        let e = field_set(&dup, node, None).unwrap_err();
        assert_eq!(e.message, "duplicate entries for key [name=\"a\"]");
        let live = json!({"spec": {"template": {"spec": {"containers": [{"name": "a"}]}}}});
        let e = merge(&live, &dup, node, None).unwrap_err();
        assert!(
            e.message.contains("duplicate entries for key [name=\"a\"]"),
            "{e}"
        );
    }

    #[test]
    fn merge_follows_list_semantics() {
        let (def, defs) = schema("Deployment");
        let node = Node::new(&def, &defs);
        let live = json!({"metadata": {"name": "web", "finalizers": ["a", "b"], "labels": {"keep": "1", "app": "old"}},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web", "tier": "x"}},
                "template": {"spec": {"containers": [
                    {"name": "side", "image": "side:1"},
                    {"name": "web", "image": "web:1", "imagePullPolicy": "IfNotPresent", "args": ["a", "b"],
                        "ports": [{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 80, "protocol": "UDP"}]}]}}}});
        let config = json!({"metadata": {"name": "web", "finalizers": ["c", "a"], "labels": {"app": "web"}},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                "template": {"spec": {"containers": [
                    {"name": "web", "image": "web:2", "args": ["c"], "ports": [{"containerPort": 80}, {"containerPort": 81}]}]}}}});
        let merged = merge(&live, &config, node, Some(&defaulted(&config))).unwrap();
        assert_eq!(
            merged["metadata"]["labels"],
            json!({"keep": "1", "app": "web"})
        );
        assert_eq!(
            merged["metadata"]["finalizers"],
            json!(["c", "a", "b"]),
            "sets are unioned, in the order structured-merge-diff produces"
        );
        assert_eq!(merged["spec"]["replicas"], 2);
        assert_eq!(
            merged["spec"]["selector"],
            json!({"matchLabels": {"app": "web"}}),
            "atomic struct replaced"
        );
        let containers = merged["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap();
        assert_eq!(containers.len(), 2, "live-only items are kept");
        assert_eq!(containers[0]["name"], "side");
        let web = &containers[1];
        assert_eq!(web["image"], "web:2");
        assert_eq!(web["imagePullPolicy"], "IfNotPresent");
        assert_eq!(web["args"], json!(["c"]), "atomic list replaced");
        assert_eq!(
            web["ports"],
            json!([{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 80, "protocol": "UDP"}, {"containerPort": 81}]),
            "ports merge by containerPort and protocol: 80/TCP matched through the default"
        );
    }

    #[test]
    fn merge_nulls_clear_leaves_only() {
        let merged = merge(
            &json!({"a": 1, "m": {"x": 1}, "b": 2}),
            &json!({"a": null, "m": null, "c": {"d": null, "e": 1}}),
            Node::untyped(),
            None,
        )
        .unwrap();
        assert_eq!(merged, json!({"m": {"x": 1}, "b": 2, "c": {"e": 1}}));
    }

    #[test]
    fn prune_removes_what_nobody_owns_any_more() {
        let (def, defs) = schema("Deployment");
        let node = Node::new(&def, &defs);
        let mut obj = json!({"metadata": {"name": "web", "labels": {"a": "1", "b": "2", "c": "3"}},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [
                {"name": "web", "image": "w", "terminationMessagePath": "/dev/termination-log"},
                {"name": "old", "image": "o", "terminationMessagePath": "/dev/termination-log"}]}}}});
        let last = Set::from_fields_v1(&json!({"f:metadata": {"f:labels": {"f:a": {}, "f:b": {}}},
            "f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {
                "k:{\"name\":\"web\"}": {".": {}, "f:image": {}, "f:name": {}},
                "k:{\"name\":\"old\"}": {".": {}, "f:image": {}, "f:name": {}}}}}}}));
        // The applier now applies label a and container web; someone else owns replicas.
        let managed = Set::from_fields_v1(
            &json!({"f:metadata": {"f:name": {}, "f:labels": {"f:a": {}}},
            "f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {
                "k:{\"name\":\"web\"}": {".": {}, "f:image": {}, "f:name": {}}}}}}}),
        );
        assert!(!prune(&mut obj, node, &last, &managed));
        assert_eq!(
            obj["metadata"]["labels"],
            json!({"a": "1", "c": "3"}),
            "b removed; c was never the applier's"
        );
        assert_eq!(obj["spec"]["replicas"], 2);
        let containers = obj["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap();
        assert_eq!(
            containers.len(),
            1,
            "the dropped container goes, defaults and all"
        );
        assert_eq!(containers[0]["name"], "web");
    }

    #[test]
    fn prune_drops_maps_it_empties() {
        let (def, defs) = schema("Deployment");
        let node = Node::new(&def, &defs);
        let mut obj = json!({"metadata": {"name": "web", "labels": {"a": "1"}}});
        let last = Set::from_fields_v1(&json!({"f:metadata": {"f:labels": {"f:a": {}}}}));
        let managed = Set::from_fields_v1(&json!({"f:metadata": {"f:name": {}}}));
        prune(&mut obj, node, &last, &managed);
        assert_eq!(obj, json!({"metadata": {"name": "web"}}));
    }

    #[test]
    fn touched_reports_changed_leaves_and_removals() {
        let (def, defs) = schema("Deployment");
        let node = Node::new(&def, &defs);
        let old = json!({"spec": {"replicas": 2, "paused": true, "selector": {"matchLabels": {"a": "b"}},
            "template": {"spec": {"containers": [{"name": "web", "image": "w:1"}]}}}});
        let new = json!({"spec": {"replicas": 4, "selector": {"matchLabels": {"a": "b"}},
            "template": {"spec": {"containers": [{"name": "web", "image": "w:1"}]}}}});
        let owned = Set::from_fields_v1(
            &json!({"f:spec": {"f:replicas": {}, "f:paused": {}, "f:selector": {},
            "f:template": {"f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {".": {}, "f:image": {}}}}}}}),
        );
        let (changed, removed) = touched(&old, &new, node, &owned);
        let names = |s: &Set| s.paths().iter().map(|p| path_string(p)).collect::<Vec<_>>();
        assert_eq!(names(&changed), vec![".spec.replicas"]);
        assert_eq!(names(&removed), vec![".spec.paused"]);
    }
}
