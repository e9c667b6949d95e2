use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use jsonschema::{Registry, Validator};
use serde_json::{Value, json};

use super::embedded::{definitions_json, patch_definitions};
use super::{CrdSchema, DEFINITIONS_URI, Gvk, KubeVersion, SchemaLocation};

/// Why the registry could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("Kubernetes {0} has no bundled schemas (bundled: {1})")]
    UnknownVersion(KubeVersion, String),
    #[error("bundled schemas for Kubernetes {0} are corrupt: {1}")]
    Corrupt(KubeVersion, String),
}

/// The outcome of looking up a kind's schema. Cheap to clone.
#[derive(Clone)]
pub enum Lookup {
    /// A compiled validator, and where its schema came from (for messages).
    Found(Arc<Validator>, SchemaOrigin),
    /// No source knows the kind.
    Missing,
    /// A source had a schema but it could not be used (fetch failed, does not compile).
    Failed(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SchemaOrigin {
    Builtin,
    Crd,
    Location(String),
}

/// Schemas for one Kubernetes version and strictness, with every kind's validator compiled at
/// most once, on first use, and shared by all threads.
pub struct SchemaRegistry {
    version: KubeVersion,
    strict: bool,
    registry: Registry<'static>,
    /// The same definitions, shared with `registry`, walked to suggest field names.
    definitions: Arc<Value>,
    /// Built-in kinds and the name of their definition in `$defs`.
    builtin: HashMap<Gvk, String>,
    crds: HashMap<Gvk, CrdSchema>,
    locations: Vec<SchemaLocation>,
    compiled: RwLock<HashMap<Gvk, Arc<OnceLock<Lookup>>>>,
}

impl SchemaRegistry {
    /// Loads the bundled schemas of `version` (decompress, parse, index: a few milliseconds).
    pub fn new(version: KubeVersion, strict: bool) -> Result<Self, SchemaError> {
        let bytes = definitions_json(version).ok_or_else(|| {
            let bundled: Vec<String> = super::BUNDLED_VERSIONS
                .iter()
                .map(ToString::to_string)
                .collect();
            SchemaError::UnknownVersion(version, bundled.join(", "))
        })?;
        let mut defs: Value = serde_json::from_slice(&bytes)
            .map_err(|e| SchemaError::Corrupt(version, e.to_string()))?;
        patch_definitions(&mut defs, strict);
        let builtin = index_kinds(&defs);
        let definitions = Arc::new(defs);
        let registry = Registry::new()
            .add(DEFINITIONS_URI, Arc::clone(&definitions))
            .and_then(jsonschema::RegistryBuilder::prepare)
            .map_err(|e| SchemaError::Corrupt(version, e.to_string()))?;
        Ok(Self {
            version,
            strict,
            registry,
            definitions,
            builtin,
            crds: HashMap::new(),
            locations: Vec::new(),
            compiled: RwLock::new(HashMap::new()),
        })
    }

    pub fn version(&self) -> KubeVersion {
        self.version
    }

    pub fn strict(&self) -> bool {
        self.strict
    }

    /// Adds the schema of a CRD-defined kind; a kind defined twice keeps the first definition.
    pub fn add_crd(&mut self, crd: CrdSchema) {
        self.crds.entry(crd.gvk.clone()).or_insert(crd);
    }

    pub fn add_location(&mut self, location: SchemaLocation) {
        self.locations.push(location);
    }

    pub fn is_builtin(&self, gvk: &Gvk) -> bool {
        self.builtin.contains_key(gvk)
    }

    pub fn has_crd(&self, gvk: &Gvk) -> bool {
        self.crds.contains_key(gvk)
    }

    /// Whether the kind exists in the bundled schemas under another group/version.
    pub fn builtin_versions_of(&self, kind: &str) -> Vec<Gvk> {
        let mut found: Vec<Gvk> = self
            .builtin
            .keys()
            .filter(|g| g.kind == kind)
            .cloned()
            .collect();
        found.sort();
        found
    }

    /// The validator for a kind: built-in schemas first, then CRDs, then schema locations.
    pub fn lookup(&self, gvk: &Gvk) -> Lookup {
        let cell = {
            let read = self.compiled.read().expect("schema cache lock");
            read.get(gvk).cloned()
        };
        let cell = cell.unwrap_or_else(|| {
            let mut write = self.compiled.write().expect("schema cache lock");
            write.entry(gvk.clone()).or_default().clone()
        });
        cell.get_or_init(|| self.compile(gvk)).clone()
    }

    /// The property names the schema allows at `pointer` (an instance path) of a `gvk` object,
    /// for "did you mean" hints. Follows `$ref`s, `properties`, `items` and
    /// `additionalProperties`; `None` where the path leaves what the schema describes.
    pub fn allowed_properties(&self, gvk: &Gvk, pointer: &str) -> Option<Vec<String>> {
        let mut node: &Value = if let Some(def) = self.builtin.get(gvk) {
            self.definitions.get("$defs")?.get(def)?
        } else {
            &self.crds.get(gvk)?.schema
        };
        for raw in pointer.split('/').skip(1) {
            node = self.deref(node)?;
            let segment = raw.replace("~1", "/").replace("~0", "~");
            node = if let Some(p) = node.get("properties").and_then(|p| p.get(&segment)) {
                p
            } else if let Some(items) = node
                .get("items")
                .filter(|_| segment.parse::<usize>().is_ok())
            {
                items
            } else {
                node.get("additionalProperties").filter(|a| a.is_object())?
            };
        }
        let node = self.deref(node)?;
        let props = node.get("properties")?.as_object()?;
        Some(props.keys().cloned().collect())
    }

    /// The schema of a kind (built-in definition or CRD) and the definitions its `$ref`s point
    /// into: server-side apply reads list and map semantics (`x-kubernetes-list-type` …) there.
    pub fn schema_of(&self, gvk: &Gvk) -> Option<(Value, Arc<Value>)> {
        let schema = if let Some(def) = self.builtin.get(gvk) {
            // A reference rather than a copy of the definition: the server asks on every
            // write, and schema walkers resolve `$ref`s anyway.
            self.definitions.get("$defs")?.get(def)?;
            json!({ "$ref": format!("#/$defs/{def}") })
        } else {
            self.crds.get(gvk)?.schema.clone()
        };
        Some((schema, Arc::clone(&self.definitions)))
    }

    fn deref<'a>(&'a self, mut node: &'a Value) -> Option<&'a Value> {
        for _ in 0..16 {
            let Some(target) = node.get("$ref").and_then(Value::as_str) else {
                return Some(node);
            };
            let name = target.rsplit_once("/$defs/")?.1;
            node = self.definitions.get("$defs")?.get(name)?;
        }
        None
    }

    fn compile(&self, gvk: &Gvk) -> Lookup {
        if let Some(def) = self.builtin.get(gvk) {
            let schema = json!({ "$ref": format!("{DEFINITIONS_URI}#/$defs/{def}") });
            return self.build(&schema, SchemaOrigin::Builtin);
        }
        if let Some(crd) = self.crds.get(gvk) {
            return self.build(&crd.schema, SchemaOrigin::Crd);
        }
        for location in &self.locations {
            match location.find(gvk, self.version, self.strict) {
                Ok(Some((schema, origin))) => {
                    return self.build(&schema, SchemaOrigin::Location(origin));
                }
                Ok(None) => {}
                Err(e) => return Lookup::Failed(e.to_string()),
            }
        }
        Lookup::Missing
    }

    fn build(&self, schema: &Value, origin: SchemaOrigin) -> Lookup {
        match jsonschema::options()
            .with_registry(&self.registry)
            .build(schema)
        {
            Ok(v) => Lookup::Found(Arc::new(v), origin),
            Err(e) => Lookup::Failed(format!("schema does not compile: {}", e.masked())),
        }
    }
}

/// Maps every `x-kubernetes-group-version-kind` of a top-level definition to the definition.
fn index_kinds(defs: &Value) -> HashMap<Gvk, String> {
    let mut out = HashMap::new();
    let Some(map) = defs.get("$defs").and_then(Value::as_object) else {
        return out;
    };
    for (name, def) in map {
        // List kinds and the meta types (DeleteOptions, WatchEvent, Status) carry GVKs too, but
        // manifests never declare them as objects to create except Lists, which are expanded.
        let Some(gvks) = def
            .get("x-kubernetes-group-version-kind")
            .and_then(Value::as_array)
        else {
            continue;
        };
        if gvks.len() != 1 {
            continue;
        }
        let g = &gvks[0];
        let field = |k: &str| {
            g.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        out.insert(
            Gvk::new(field("group"), field("version"), field("kind")),
            name.clone(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> SchemaRegistry {
        SchemaRegistry::new(super::super::newest_version(), true).unwrap()
    }

    #[test]
    fn builtin_kinds_validate_and_are_compiled_once() {
        let reg = registry();
        let gvk = Gvk::new("apps", "v1", "Deployment");
        let Lookup::Found(v, SchemaOrigin::Builtin) = reg.lookup(&gvk) else {
            panic!("no schema")
        };
        let Lookup::Found(again, _) = reg.lookup(&gvk) else {
            panic!("no schema")
        };
        assert!(Arc::ptr_eq(&v, &again));
        let ok = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
            "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {"metadata": {"labels": {"a": "b"}},
            "spec": {"containers": [{"name": "c", "image": "i", "resources": {"limits": {"cpu": "500m", "memory": null}},
            "ports": [{"containerPort": 80}]}]}}}});
        assert!(v.is_valid(&ok));
        let mut bad = ok.clone();
        bad["spec"]["replica"] = json!(3);
        assert!(!v.is_valid(&bad));
        let mut bad = ok;
        bad["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] =
            json!("lots");
        assert!(!v.is_valid(&bad));
    }

    #[test]
    fn allowed_properties_follow_refs_and_lists() {
        let reg = registry();
        let gvk = Gvk::new("apps", "v1", "Deployment");
        let spec = reg.allowed_properties(&gvk, "/spec").unwrap();
        assert!(spec.contains(&"replicas".to_string()));
        let container = reg
            .allowed_properties(&gvk, "/spec/template/spec/containers/0")
            .unwrap();
        assert!(container.contains(&"imagePullPolicy".to_string()));
        assert!(reg.allowed_properties(&gvk, "/metadata/labels").is_none());
    }

    #[test]
    fn relaxed_mode_accepts_unknown_fields() {
        let reg = SchemaRegistry::new(super::super::newest_version(), false).unwrap();
        let Lookup::Found(v, _) = reg.lookup(&Gvk::new("", "v1", "ConfigMap")) else {
            panic!()
        };
        assert!(v.is_valid(&json!({"apiVersion": "v1", "kind": "ConfigMap", "extra": 1})));
    }

    #[test]
    fn unknown_kinds_are_missing_and_unknown_versions_refused() {
        let reg = registry();
        assert!(matches!(
            reg.lookup(&Gvk::new("example.com", "v1", "Widget")),
            Lookup::Missing
        ));
        assert!(matches!(
            reg.lookup(&Gvk::new("extensions", "v1beta1", "Deployment")),
            Lookup::Missing
        ));
        assert!(SchemaRegistry::new(KubeVersion::new(1, 12), true).is_err());
    }
}
