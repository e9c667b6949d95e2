//! Strategic merge patch (apimachinery `strategicpatch`, patch format version 2), driven by
//! the schema registry: lists merge by `x-kubernetes-patch-merge-key` where the schema says
//! `x-kubernetes-patch-strategy: merge` (or by the list-map keys of newer types), primitive
//! lists with that strategy merge as sets, everything else is replaced. Directives: `$patch:
//! replace|delete|merge` on maps and list items, `$retainKeys`, `$setElementOrder/<field>`,
//! `$deleteFromPrimitiveList/<field>`. `kubectl apply` (client-side) and `kubectl patch` send
//! these.

use serde_json::{Map, Value};

use super::apply::ssa::{ListKind, Node};

const PATCH: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const SET_ORDER: &str = "$setElementOrder/";
const DELETE_PRIMITIVE: &str = "$deleteFromPrimitiveList/";

/// Applies `patch` to `original`; an error names the directive or list it cannot apply.
pub fn strategic_merge(original: &Value, patch: &Value, node: Node<'_>) -> Result<Value, String> {
    let empty = Value::Object(Map::new());
    let base = if original.is_object() {
        original
    } else {
        &empty
    };
    Ok(merge_map(base, patch, node)?.unwrap_or(empty))
}

/// `None` when the patch deletes the map (`$patch: delete`).
fn merge_map(original: &Value, patch: &Value, node: Node<'_>) -> Result<Option<Value>, String> {
    let Some(p) = patch.as_object() else {
        return Ok(Some(patch.clone()));
    };
    match p.get(PATCH).and_then(Value::as_str) {
        Some("delete") => return Ok(None),
        Some("replace") => return Ok(Some(strip_directives(patch))),
        Some("merge") | None => {}
        Some(other) => return Err(format!("unknown patch type `{other}` in a map")),
    }
    let mut out: Map<String, Value> = original.as_object().cloned().unwrap_or_default();
    for (k, v) in p {
        if let Some(field) = k.strip_prefix(DELETE_PRIMITIVE) {
            let remove: Vec<&Value> = v.as_array().map(|a| a.iter().collect()).unwrap_or_default();
            if let Some(Value::Array(list)) = out.get_mut(field) {
                list.retain(|item| !remove.contains(&item));
            }
            continue;
        }
        if k.starts_with('$') {
            continue;
        }
        if v.is_null() {
            out.remove(k);
            continue;
        }
        let (child, _) = node.field(k);
        let merged = match (out.get(k), v) {
            (Some(existing @ Value::Object(_)), Value::Object(_)) => merge_map(existing, v, child)?,
            (_, Value::Object(_)) => merge_map(&Value::Object(Map::new()), v, child)?,
            (existing, Value::Array(items)) => {
                Some(merge_list(existing.unwrap_or(&Value::Null), items, child)?)
            }
            (_, scalar) => Some(scalar.clone()),
        };
        match merged {
            Some(value) => {
                out.insert(k.clone(), value);
            }
            None => {
                out.remove(k);
            }
        }
    }
    for (k, v) in p {
        if let Some(field) = k.strip_prefix(SET_ORDER)
            && let (Some(Value::Array(list)), Some(order)) = (out.get_mut(field), v.as_array())
        {
            let (child, _) = node.field(field);
            reorder(list, order, &child.list_kind());
        }
    }
    if let Some(keep) = p.get(RETAIN_KEYS).and_then(Value::as_array) {
        let keep: Vec<&str> = keep.iter().filter_map(Value::as_str).collect();
        out.retain(|k, _| keep.contains(&k.as_str()));
    }
    Ok(Some(Value::Object(out)))
}

fn merge_list(original: &Value, patch: &[Value], node: Node<'_>) -> Result<Value, String> {
    // `[{"$patch": "replace"}, ...]`: the list becomes the other items.
    if patch
        .iter()
        .any(|i| i.get(PATCH).and_then(Value::as_str) == Some("replace"))
    {
        return Ok(Value::Array(
            patch
                .iter()
                .filter(|i| i.get(PATCH).is_none())
                .map(strip_directives)
                .collect(),
        ));
    }
    let current: Vec<Value> = original.as_array().cloned().unwrap_or_default();
    match node.list_kind() {
        ListKind::Map(keys) => {
            let items = node.items();
            let mut out = current;
            for item in patch {
                let key = key_of(item, &keys);
                let found = out
                    .iter()
                    .position(|e| key.is_some() && key_of(e, &keys) == key);
                if item.get(PATCH).and_then(Value::as_str) == Some("delete") {
                    if let Some(i) = found {
                        out.remove(i);
                    }
                    continue;
                }
                match found {
                    Some(i) => {
                        if let Some(v) = merge_map(&out[i], item, items)? {
                            out[i] = v;
                        } else {
                            out.remove(i);
                        }
                    }
                    None => {
                        if let Some(v) = merge_map(&Value::Object(Map::new()), item, items)? {
                            out.push(v);
                        }
                    }
                }
            }
            Ok(Value::Array(out))
        }
        ListKind::Set => {
            let mut out = current;
            for item in patch {
                if !out.contains(item) {
                    out.push(item.clone());
                }
            }
            Ok(Value::Array(out))
        }
        ListKind::Atomic => Ok(Value::Array(patch.iter().map(strip_directives).collect())),
    }
}

/// Orders `list` as `order` names its items; items it does not name keep their relative order
/// after them.
fn reorder(list: &mut Vec<Value>, order: &[Value], kind: &ListKind) {
    let position = |item: &Value| -> Option<usize> {
        order.iter().position(|o| match kind {
            ListKind::Map(keys) => {
                key_of(o, keys).is_some() && key_of(o, keys) == key_of(item, keys)
            }
            _ => o == item,
        })
    };
    let mut indexed: Vec<(usize, usize, Value)> = list
        .drain(..)
        .enumerate()
        .map(|(i, v)| (position(&v).unwrap_or(usize::MAX), i, v))
        .collect();
    indexed.sort_by_key(|(p, i, _)| (*p, *i));
    list.extend(indexed.into_iter().map(|(_, _, v)| v));
}

fn key_of(item: &Value, keys: &[String]) -> Option<Vec<Value>> {
    let m = item.as_object()?;
    let values: Vec<Value> = keys
        .iter()
        .map(|k| m.get(k).cloned().unwrap_or(Value::Null))
        .collect();
    // The first key is the merge key; the others (list-map keys like `protocol`) may be
    // defaulted on one side only, so only the merge key has to be present.
    (!values[0].is_null()).then(|| values.into_iter().take(1).collect())
}

fn strip_directives(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !k.starts_with('$'))
                .map(|(k, v)| (k.clone(), strip_directives(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_directives).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment_patch(original: &Value, patch: &Value) -> Value {
        let reg =
            crate::schema::SchemaRegistry::new(crate::schema::newest_version(), true).unwrap();
        let (def, defs) = reg
            .schema_of(&crate::schema::Gvk::new("apps", "v1", "Deployment"))
            .expect("deployment schema");
        strategic_merge(original, patch, Node::new(&def, &defs)).unwrap()
    }

    fn pod(containers: &Value) -> Value {
        json!({"spec": {"template": {"spec": {"containers": containers}}}})
    }

    #[test]
    fn containers_merge_by_name_and_ports_by_container_port() {
        let original = pod(
            &json!([{"name": "a", "image": "a:1", "ports": [{"containerPort": 80, "protocol": "TCP"}]},
                                  {"name": "b", "image": "b:1"}]),
        );
        let patch = pod(
            &json!([{"name": "a", "image": "a:2", "ports": [{"containerPort": 80, "name": "http"}, {"containerPort": 443}]}]),
        );
        let out = deployment_patch(&original, &patch);
        let c = &out["spec"]["template"]["spec"]["containers"];
        assert_eq!(c[0]["image"], "a:2");
        assert_eq!(
            c[0]["ports"],
            json!([{"containerPort": 80, "protocol": "TCP", "name": "http"}, {"containerPort": 443}])
        );
        assert_eq!(c[1]["image"], "b:1", "containers not in the patch stay");
    }

    #[test]
    fn delete_directives_remove_list_items_and_maps() {
        let original = pod(
            &json!([{"name": "a", "image": "a"}, {"name": "b", "image": "b", "resources": {"limits": {"cpu": "1"}}}]),
        );
        let patch = pod(
            &json!([{"name": "a", "$patch": "delete"}, {"name": "b", "resources": {"$patch": "delete"}}]),
        );
        let out = deployment_patch(&original, &patch);
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"],
            json!([{"name": "b", "image": "b"}])
        );
    }

    #[test]
    fn replace_directives_replace_lists_and_maps() {
        let original = pod(&json!([{"name": "a", "image": "a"}, {"name": "b", "image": "b"}]));
        let patch = pod(&json!([{"$patch": "replace"}, {"name": "c", "image": "c"}]));
        let out = deployment_patch(&original, &patch);
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"],
            json!([{"name": "c", "image": "c"}])
        );
        let original = json!({"spec": {"selector": {"matchLabels": {"a": "1", "b": "2"}}}});
        let patch = json!({"spec": {"selector": {"matchLabels": {"c": "3", "$patch": "replace"}}}});
        assert_eq!(
            deployment_patch(&original, &patch)["spec"]["selector"]["matchLabels"],
            json!({"c": "3"})
        );
    }

    #[test]
    fn element_order_and_primitive_list_deletes() {
        let original = json!({"metadata": {"finalizers": ["a", "b", "c"]},
            "spec": {"template": {"spec": {"containers": [{"name": "x"}, {"name": "y"}]}}}});
        let patch = json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["b"]},
            "spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "y"}, {"name": "x"}]}}}});
        let out = deployment_patch(&original, &patch);
        assert_eq!(out["metadata"]["finalizers"], json!(["a", "c"]));
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"],
            json!([{"name": "y"}, {"name": "x"}])
        );
    }

    #[test]
    fn retain_keys_clears_what_the_strategy_no_longer_uses() {
        let original = json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}});
        let patch = json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}});
        assert_eq!(
            deployment_patch(&original, &patch)["spec"]["strategy"],
            json!({"type": "Recreate"})
        );
    }

    #[test]
    fn atomic_lists_are_replaced_and_nulls_delete() {
        let original = pod(&json!([{"name": "a", "args": ["x", "y"], "image": "i"}]));
        let patch = pod(&json!([{"name": "a", "args": ["z"], "image": null}]));
        let out = deployment_patch(&original, &patch);
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"],
            json!([{"name": "a", "args": ["z"]}])
        );
    }
}
