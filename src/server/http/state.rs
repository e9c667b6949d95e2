use std::sync::RwLock;

use jsonschema::error::ValidationErrorKind;
use serde_json::{Value, json};

use crate::schema::{KubeVersion, Lookup, SchemaRegistry, crd_schemas};

use super::super::catalog::{Catalog, Resource, crd_resources};
use super::super::store::{Store, StoreError};
use super::objects::{key, prefix};
use super::query::Query;
use super::status::ApiError;

/// Everything a request handler needs.
pub struct ApiState {
    pub store: Store,
    pub catalog: Catalog,
    pub version: KubeVersion,
    /// Loaded on first validation, not at start: the server must answer within milliseconds.
    registry: RwLock<Option<SchemaRegistry>>,
    /// Set once the system namespaces exist.
    bootstrapped: tokio::sync::watch::Sender<bool>,
    /// Whether the controllers' garbage collector runs: without it nothing would ever take
    /// the `foregroundDeletion` finalizer off, so foreground deletion acts as background.
    pub garbage_collector: bool,
}

impl ApiState {
    pub fn new(store: Store, version: KubeVersion) -> Self {
        Self {
            store,
            catalog: Catalog::builtin(),
            version,
            registry: RwLock::new(None),
            bootstrapped: tokio::sync::watch::Sender::new(false),
            garbage_collector: false,
        }
    }

    /// Waits until the system objects exist (immediately after the first milliseconds).
    pub async fn bootstrapped(&self) {
        if *self.bootstrapped.borrow() {
            return;
        }
        let mut rx = self.bootstrapped.subscribe();
        let _ = rx.wait_for(|done| *done).await;
    }

    pub fn mark_bootstrapped(&self) {
        self.bootstrapped.send_replace(true);
    }

    /// What every cluster has from its first start: the `default`, `kube-system`,
    /// `kube-public` and `kube-node-lease` namespaces and the `kubernetes` Service. Created
    /// when missing, so deleting one and restarting brings it back, as on a real cluster.
    pub async fn ensure_system_objects(&self, port: u16) -> Result<(), StoreError> {
        let nsr = self.catalog.find("", "v1", "namespaces").expect("built-in");
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            let k = key(&nsr, None, ns);
            if self.store.get(&k)?.is_some() {
                continue;
            }
            let mut obj = serde_json::json!({
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": ns, "uid": super::meta::new_uid(), "creationTimestamp": super::meta::now_rfc3339()},
            });
            super::defaults::apply_defaults(&nsr, &mut obj);
            match self.store.create(k, obj).await {
                Ok(_) | Err(StoreError::AlreadyExists) => {}
                Err(e) => return Err(e),
            }
        }
        let svc = self.catalog.find("", "v1", "services").expect("built-in");
        let k = key(&svc, Some("default"), "kubernetes");
        if self.store.get(&k)?.is_none() {
            let obj = serde_json::json!({
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {
                    "name": "kubernetes", "namespace": "default",
                    "uid": super::meta::new_uid(), "creationTimestamp": super::meta::now_rfc3339(),
                    "labels": {"component": "apiserver", "provider": "kubernetes"},
                },
                "spec": {
                    "clusterIP": "10.96.0.1", "clusterIPs": ["10.96.0.1"], "type": "ClusterIP",
                    "sessionAffinity": "None", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                    "internalTrafficPolicy": "Cluster",
                    "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": port}],
                },
                "status": {"loadBalancer": {}},
            });
            match self.store.create(k, obj).await {
                Ok(_) | Err(StoreError::AlreadyExists) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Re-registers the CRDs found in the store (after a restart).
    pub fn load_crds(&self) -> Result<(), ApiError> {
        let crds = self
            .catalog
            .find("apiextensions.k8s.io", "v1", "customresourcedefinitions")
            .expect("built-in");
        let list = self
            .store
            .list(&prefix(&crds, None), None, 0, None)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        for item in list.items {
            self.after_write(&crds, &item.value, false);
        }
        Ok(())
    }

    fn with_registry<T>(&self, f: impl FnOnce(&SchemaRegistry) -> T) -> Result<T, ApiError> {
        {
            let read = self.registry.read().expect("registry lock");
            if let Some(r) = read.as_ref() {
                return Ok(f(r));
            }
        }
        let mut write = self.registry.write().expect("registry lock");
        if write.is_none() {
            *write = Some(
                SchemaRegistry::new(self.version, true)
                    .map_err(|e| ApiError::internal(e.to_string()))?,
            );
        }
        Ok(f(write.as_ref().expect("just set")))
    }

    /// The schema of `r`'s kind and the definitions it refers into (server-side apply reads its
    /// list and map semantics); `None` for kinds no schema describes.
    pub fn schema_of(
        &self,
        r: &Resource,
    ) -> Result<Option<(Value, std::sync::Arc<Value>)>, ApiError> {
        self.with_registry(|reg| reg.schema_of(&r.gvk()))
    }

    /// Schema validation as the API server does it: unknown fields per `fieldValidation`
    /// (`Strict` → 400, `Warn` → a warning, `Ignore`), anything else → 422 Invalid with causes.
    pub fn validate(
        &self,
        r: &Resource,
        obj: &Value,
        q: &Query,
        warnings: &mut Vec<String>,
    ) -> Result<(), ApiError> {
        let mode = q.get("fieldValidation").unwrap_or("Warn");
        let gvk = r.gvk();
        let lookup = self.with_registry(|reg| reg.lookup(&gvk))?;
        let Lookup::Found(validator, _) = lookup else {
            return Ok(());
        };
        if validator.is_valid(obj) {
            return Ok(());
        }
        let mut unknown = Vec::new();
        let mut causes = Vec::new();
        for e in validator.iter_errors(obj) {
            let path = e
                .instance_path()
                .as_str()
                .trim_start_matches('/')
                .replace('/', ".");
            match e.kind() {
                ValidationErrorKind::AdditionalProperties { unexpected } => {
                    for u in unexpected {
                        unknown.push(if path.is_empty() { u.clone() } else { format!("{path}.{u}") });
                    }
                }
                _ => causes.push(json!({"reason": "FieldValueInvalid", "message": format!("Invalid value: {}", e.masked()), "field": path})),
            }
        }
        if !unknown.is_empty() {
            match mode {
                "Strict" => {
                    let list: Vec<String> = unknown
                        .iter()
                        .map(|u| format!("unknown field \"{u}\""))
                        .collect();
                    return Err(ApiError::bad_request(format!(
                        "{} in version \"{}\" cannot be handled as a {}: strict decoding error: {}",
                        r.kind,
                        r.version,
                        r.kind,
                        list.join(", ")
                    )));
                }
                "Ignore" => {}
                _ => warnings.extend(unknown.iter().map(|u| format!("unknown field \"{u}\""))),
            }
        }
        if causes.is_empty() {
            return Ok(());
        }
        let name = obj["metadata"]["name"].as_str().unwrap_or_default();
        let first: Vec<String> = causes
            .iter()
            .map(|c| {
                format!(
                    "{}: {}",
                    c["field"].as_str().unwrap_or_default(),
                    c["message"].as_str().unwrap_or_default()
                )
            })
            .collect();
        Err(ApiError::new(
            422,
            "Invalid",
            format!("{} \"{name}\" is invalid: {}", r.kind, first.join(", ")),
        )
        .details(json!({"name": name, "group": r.group, "kind": r.kind, "causes": causes})))
    }

    /// Reads one object on the calling (async) thread. A point read from SQLite's page cache
    /// takes microseconds; handing it to the blocking pool cost more in thread switches than
    /// the read itself (a third of the server's time under load was the scheduler).
    pub fn read(&self, key: &str) -> Result<Option<super::super::store::Stored>, StoreError> {
        self.store.get(key)
    }

    /// 404 unless the namespace exists, as the API server refuses objects in missing namespaces.
    pub fn require_namespace(&self, ns: &str) -> Result<(), ApiError> {
        let k = self.namespace_key(ns);
        let found = self
            .store
            .exists(&k)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        if found {
            Ok(())
        } else {
            Err(ApiError::not_found("namespaces", "", "namespaces", ns))
        }
    }

    /// The store key of namespace `ns`.
    pub fn namespace_key(&self, ns: &str) -> String {
        let nsr = self.catalog.find("", "v1", "namespaces").expect("built-in");
        key(&nsr, None, ns)
    }

    /// Side effects of a committed write: CRDs register or unregister their resources.
    pub fn after_write(&self, r: &Resource, obj: &Value, deleted: bool) {
        if r.kind != "CustomResourceDefinition" || r.group != "apiextensions.k8s.io" {
            return;
        }
        let name = obj["metadata"]["name"].as_str().unwrap_or_default();
        if deleted {
            self.catalog.remove_custom(name);
            return;
        }
        self.catalog.set_custom(name, crd_resources(obj));
        if let Ok(schemas) = crd_schemas(obj, true) {
            let _ = self.with_registry(|_| ());
            if let Some(reg) = self.registry.write().expect("registry lock").as_mut() {
                for s in schemas {
                    reg.add_crd(s);
                }
            }
        }
    }

    /// Removes owner references to `owner_uid` from the objects in `namespace` (all namespaces
    /// for a cluster-scoped owner), before an `Orphan` deletion of the owner.
    pub async fn orphan_dependents(&self, owner_uid: &str, namespace: Option<&str>) {
        for item in self.objects_in(namespace, false).await {
            let Some(refs) = item.value["metadata"]["ownerReferences"].as_array() else {
                continue;
            };
            if !refs.iter().any(|o| o["uid"] == owner_uid) {
                continue;
            }
            let kept: Vec<Value> = refs
                .iter()
                .filter(|o| o["uid"] != owner_uid)
                .cloned()
                .collect();
            let mut value = item.value.clone();
            let meta = value["metadata"].as_object_mut().expect("metadata");
            if kept.is_empty() {
                meta.remove("ownerReferences");
            } else {
                meta.insert("ownerReferences".into(), Value::Array(kept));
            }
            let _ = self
                .store
                .update(item.key, Some(item.revision), value)
                .await;
        }
    }

    /// Deleting a namespace deletes everything in it.
    pub async fn delete_namespace_contents(&self, ns: &str) {
        for item in self.objects_in(Some(ns), true).await {
            let _ = self.store.delete(item.key, None).await;
        }
    }

    /// Every stored object of every resource in `namespace` (with `None`, everywhere); only
    /// namespaced resources when `namespaced_only`.
    async fn objects_in(
        &self,
        namespace: Option<&str>,
        namespaced_only: bool,
    ) -> Vec<super::super::store::Stored> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for r in self.catalog.all() {
            if namespaced_only && !r.namespaced {
                continue;
            }
            let p = prefix(&r, namespace.filter(|_| r.namespaced));
            if !seen.insert(p.clone()) {
                continue;
            }
            let store = self.store.clone();
            if let Ok(Ok(list)) =
                tokio::task::spawn_blocking(move || store.list(&p, None, 0, None)).await
            {
                out.extend(list.items);
            }
        }
        out
    }
}
