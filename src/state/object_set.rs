//! The one way a source that holds its objects in memory (a directory, a snapshot) answers a
//! fetch: key every object, look the requested ones up, offer the rest for pruning.

use std::collections::{HashMap, HashSet};

use std::sync::Arc;

use serde_json::Value;

use super::{CurrentObject, CurrentState, FetchRequest, ObjectKey, Origin, StateError};

/// An object as read, before it is keyed.
pub struct HeldObject {
    pub object: Arc<Value>,
    pub origin: Option<Origin>,
}

pub fn answer(held: &[HeldObject], request: &FetchRequest<'_>) -> Result<CurrentState, StateError> {
    let mut scopes = request.scopes.clone();
    let crds: Vec<Value> = held
        .iter()
        .filter(|h| h.object["kind"] == "CustomResourceDefinition")
        .map(|h| Value::clone(&h.object))
        .collect();
    for c in &crds {
        scopes.learn_crd(c);
    }
    let mut by_key: HashMap<ObjectKey, CurrentObject> = HashMap::new();
    let mut order: Vec<ObjectKey> = Vec::new();
    let mut namespaces = Vec::new();
    for h in held {
        let Some(key) = key_of(&h.object, &scopes) else {
            continue;
        };
        if key.group.is_empty() && key.kind == "Namespace" {
            namespaces.push(key.name.clone());
        }
        let current = CurrentObject::shared(key.clone(), Arc::clone(&h.object), h.origin.clone());
        if let Some(first) = by_key.get(&key) {
            let at =
                |o: &Option<Origin>| o.as_ref().map_or_else(|| "?".into(), ToString::to_string);
            return Err(StateError::Duplicate {
                key: key.to_string(),
                first: at(&first.origin),
                second: at(&h.origin),
            });
        }
        order.push(key.clone());
        by_key.insert(key, current);
    }
    let objects = request
        .keys
        .iter()
        .filter_map(|k| by_key.get(k).cloned())
        .collect();
    let prune_candidates = if request.prune.is_some() {
        let requested: HashSet<&ObjectKey> = request.keys.iter().collect();
        order
            .iter()
            .filter(|k| !requested.contains(k))
            .filter_map(|k| by_key.get(k).cloned())
            .collect()
    } else {
        Vec::new()
    };
    Ok(CurrentState {
        objects,
        prune_candidates,
        crds,
        namespaces,
    })
}

/// The identity of an object; `None` for one without a name (it cannot be matched).
pub fn key_of(object: &Value, scopes: &super::Scopes) -> Option<ObjectKey> {
    let api_version = object["apiVersion"].as_str()?;
    let kind = object["kind"].as_str()?;
    let name = object["metadata"]["name"].as_str()?;
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let namespace = scopes.namespace_of(group, kind, object["metadata"]["namespace"].as_str());
    Some(ObjectKey {
        group: group.to_string(),
        kind: kind.to_string(),
        namespace,
        name: name.to_string(),
    })
}
