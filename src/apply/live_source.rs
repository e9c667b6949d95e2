//! The current state on an API server, for diff and plan: the desired objects fetched in
//! parallel, the CRDs and namespaces that exist, and — as prune candidates — only the members
//! of this release's ApplySet (objects labelled `applyset.kubernetes.io/part-of` with its id),
//! never whatever else lives in the same namespaces.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use serde_json::Value;

use crate::client::{Client, ClientError, ObjectKey as ClientKey};
use crate::release::PART_OF_LABEL;
use crate::state::{
    CurrentObject, CurrentState, FetchRequest, ObjectKey, SourceInfo, StateError, StateSource,
};

/// Reads a live server. `fetch` is synchronous (the planner is pure) and blocks on the
/// runtime `handle`: call it from outside the runtime's worker threads.
pub struct LiveSource<'a> {
    client: &'a Client,
    handle: tokio::runtime::Handle,
    /// `(group, kind)` → the apiVersion to read it with (from the manifests; else discovery).
    versions: Mutex<HashMap<(String, String), String>>,
    /// The release's ApplySet id, whose members are the prune candidates.
    applyset_id: Option<String>,
    /// Kinds and namespaces to look for members in, besides the requested ones (what the
    /// previous release spanned).
    member_kinds: Vec<(String, String)>,
    member_namespaces: Vec<String>,
    /// Every object read, for the caller (apply keeps them to restore on failure).
    fetched: Mutex<HashMap<ObjectKey, Value>>,
}

impl<'a> LiveSource<'a> {
    pub fn new(client: &'a Client, handle: tokio::runtime::Handle) -> Self {
        LiveSource {
            client,
            handle,
            versions: Mutex::new(HashMap::new()),
            applyset_id: None,
            member_kinds: Vec::new(),
            member_namespaces: Vec::new(),
            fetched: Mutex::new(HashMap::new()),
        }
    }

    /// Learns the apiVersion of each kind the objects use.
    pub fn learn_versions<'v>(&self, objects: impl IntoIterator<Item = &'v Value>) {
        let mut versions = self
            .versions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for o in objects {
            let (Some(api_version), Some(kind)) = (o["apiVersion"].as_str(), o["kind"].as_str())
            else {
                continue;
            };
            let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
            versions
                .entry((group.to_string(), kind.to_string()))
                .or_insert_with(|| api_version.to_string());
        }
    }

    /// Prune candidates are the members of this ApplySet, also in the kinds and namespaces of
    /// `previous` (the release's last manifests).
    #[must_use]
    pub fn with_release(mut self, applyset_id: String, previous: &[Value]) -> Self {
        self.learn_versions(previous);
        self.applyset_id = Some(applyset_id);
        for o in previous {
            let api_version = o["apiVersion"].as_str().unwrap_or_default();
            let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
            if let Some(kind) = o["kind"].as_str() {
                self.member_kinds
                    .push((group.to_string(), kind.to_string()));
            }
            if let Some(ns) = o["metadata"]["namespace"].as_str() {
                self.member_namespaces.push(ns.to_string());
            }
        }
        self
    }

    /// The objects read so far, by key.
    pub fn fetched(&self) -> HashMap<ObjectKey, Value> {
        self.fetched
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn remember(&self, key: &ObjectKey, object: &Value) {
        self.fetched
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key.clone(), object.clone());
    }

    async fn version_of(&self, group: &str, kind: &str) -> Result<Option<String>, ClientError> {
        let known = self
            .versions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&(group.to_string(), kind.to_string()))
            .cloned();
        if known.is_some() {
            return Ok(known);
        }
        let Some(version) = self.client.preferred_version(group).await? else {
            return Ok(None);
        };
        let api_version = if group.is_empty() {
            version
        } else {
            format!("{group}/{version}")
        };
        self.versions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert((group.to_string(), kind.to_string()), api_version.clone());
        Ok(Some(api_version))
    }

    async fn fetch_async(&self, request: &FetchRequest<'_>) -> Result<CurrentState, ClientError> {
        let mut keys = Vec::new();
        for k in request.keys {
            if let Some(v) = self.version_of(&k.group, &k.kind).await? {
                keys.push((
                    k.clone(),
                    ClientKey::new(v, &k.kind, k.namespace.as_deref(), &k.name),
                ));
            }
        }
        let client_keys: Vec<ClientKey> = keys.iter().map(|(_, c)| c.clone()).collect();
        let fetched = self.client.fetch_all(&client_keys).await?;
        let mut objects = Vec::new();
        for ((key, _), (_, found)) in keys.into_iter().zip(fetched) {
            if let Some(obj) = found {
                self.remember(&key, &obj);
                objects.push(CurrentObject::new(key, without_membership(obj), None));
            }
        }
        let crds = self
            .client
            .list(
                "apiextensions.k8s.io/v1",
                "CustomResourceDefinition",
                None,
                None,
            )
            .await?;
        let namespaces: Vec<String> = self
            .client
            .list("v1", "Namespace", None, None)
            .await?
            .iter()
            .filter_map(|n| n["metadata"]["name"].as_str().map(str::to_string))
            .collect();
        let mut prune_candidates = Vec::new();
        if let (Some(id), Some(scope)) = (&self.applyset_id, request.prune) {
            let kinds: BTreeSet<(String, String)> = scope
                .kinds
                .iter()
                .cloned()
                .chain(self.member_kinds.iter().cloned())
                .collect();
            let spaces: BTreeSet<String> = scope
                .namespaces
                .iter()
                .cloned()
                .chain(self.member_namespaces.iter().cloned())
                .collect();
            let selector = format!("{PART_OF_LABEL}={id}");
            for (group, kind) in kinds {
                let Some(api_version) = self.version_of(&group, &kind).await? else {
                    continue;
                };
                let namespaced = request.scopes.is_namespaced(&group, &kind);
                let lists: Vec<Option<&str>> = if namespaced {
                    spaces.iter().map(|s| Some(s.as_str())).collect()
                } else {
                    vec![None]
                };
                for ns in lists {
                    for obj in self
                        .client
                        .list(&api_version, &kind, ns, Some(&selector))
                        .await?
                    {
                        let name = obj["metadata"]["name"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string();
                        let namespace = obj["metadata"]["namespace"].as_str().map(str::to_string);
                        let key = ObjectKey::new(&group, &kind, namespace.as_deref(), name);
                        self.remember(&key, &obj);
                        prune_candidates.push(CurrentObject::new(
                            key,
                            without_membership(obj),
                            None,
                        ));
                    }
                }
            }
        }
        Ok(CurrentState {
            objects,
            prune_candidates,
            crds,
            namespaces,
        })
    }
}

/// The object without the ApplySet membership label apply adds: it is kplan's bookkeeping,
/// not a change the manifests ask for.
pub fn without_membership(mut obj: Value) -> Value {
    strip_membership(&mut obj);
    obj
}

/// [`without_membership`] in place.
pub fn strip_membership(obj: &mut Value) {
    let Some(metadata) = obj.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    if let Some(labels) = metadata.get_mut("labels").and_then(Value::as_object_mut) {
        labels.remove(PART_OF_LABEL);
        if labels.is_empty() {
            metadata.remove("labels");
        }
    }
}

impl StateSource for LiveSource<'_> {
    fn info(&self) -> SourceInfo {
        SourceInfo {
            kind: "live",
            location: self.client.endpoint().server.clone(),
            server: None,
            taken_at: None,
        }
    }

    fn fetch(&self, request: &FetchRequest<'_>) -> Result<CurrentState, StateError> {
        self.handle
            .block_on(self.fetch_async(request))
            .map_err(|e| StateError::Live(e.to_string()))
    }
}
