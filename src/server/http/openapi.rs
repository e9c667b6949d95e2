//! The OpenAPI documents kubectl reads (kubectl-wire.md §5), all derived from the bundled
//! definitions of the served version (DESIGN.md §3) plus the CRDs in the store:
//! - `/openapi/v3`: one document per group-version.
//! - `/openapi/v3/<gv>`: per kind a PATCH operation that declares `fieldValidation`, so kubectl
//!   leaves validation to the server (§5.3), and the patch media types, so kubectl computes
//!   client-side apply patches from `components.schemas` (§5.4); those hold the kinds' schemas
//!   with everything they reference, descriptions included, for `kubectl explain` (§5.6).
//! - `/openapi/v2`: the same as one Swagger 2.0 document, in gnostic protobuf, which kubectl
//!   1.27 and 1.28 fetch for every `apply` and fail without (§15b), and which later versions
//!   read for the patches of custom resources.
//!
//! The bundled definitions are JSON Schema 2020-12 (`type: ["string", "null"]`, `#/$defs/`
//! references, closed objects); they are turned back into the API server's own shape.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use axum::body::Bytes;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::schema::descriptions::Descriptions;
use crate::schema::{Gvk, KubeVersion, definitions_json};

use super::objects::prefix;
use super::state::ApiState;
use super::status::ApiError;

use super::super::catalog::{Catalog, Resource};

const INT_OR_STRING: &str = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
const QUANTITY: &str = "io.k8s.apimachinery.pkg.api.resource.Quantity";
const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
const PATCH: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
const GVK_EXTENSION: &str = "x-kubernetes-group-version-kind";
const PROTOBUF: &str = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

/// What the PATCH operations accept (see [`patch_operation`] for custom resources).
const PATCH_TYPES: [&str; 4] = [
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
];

/// What a group-version document is built from. The router passes the catalog alone until it
/// passes the whole state: the catalog has no served version, hence no schemas, and gives only
/// the operations that kubectl's validation check needs.
pub enum Source<'a> {
    Catalog(&'a Catalog),
    State(&'a ApiState),
}

impl<'a> From<&'a Catalog> for Source<'a> {
    fn from(catalog: &'a Catalog) -> Self {
        Self::Catalog(catalog)
    }
}

impl<'a> From<&'a ApiState> for Source<'a> {
    fn from(state: &'a ApiState) -> Self {
        Self::State(state)
    }
}

impl<'a> From<&'a Arc<ApiState>> for Source<'a> {
    fn from(state: &'a Arc<ApiState>) -> Self {
        Self::State(state)
    }
}

fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

pub fn root(catalog: &Catalog) -> Value {
    let mut paths = Map::new();
    for (group, versions) in catalog.groups() {
        for v in versions {
            let p = gv_path(&group, &v);
            paths.insert(
                p.clone(),
                json!({"serverRelativeURL": format!("/openapi/v3/{p}")}),
            );
        }
    }
    json!({"paths": paths})
}

/// The document of `api/v1` or `apis/<group>/<version>`; `None` if not served.
pub fn group_version<'a>(source: impl Into<Source<'a>>, path: &str) -> Option<Value> {
    let (group, version) = match path.split('/').collect::<Vec<_>>().as_slice() {
        ["api", v] => (String::new(), (*v).to_string()),
        ["apis", g, v] => ((*g).to_string(), (*v).to_string()),
        _ => return None,
    };
    let catalog = match source.into() {
        Source::State(state) => match documents(state) {
            Some(docs) => return docs.group_version(&group, &version).map(|d| (*d).clone()),
            None => &state.catalog,
        },
        Source::Catalog(catalog) => catalog,
    };
    let resources = in_group_version(&catalog.all(), &group, &version);
    (!resources.is_empty()).then(|| v3_document(&resources, None, Map::new(), "kplan"))
}

fn in_group_version(resources: &[Resource], group: &str, version: &str) -> Vec<Resource> {
    resources
        .iter()
        .filter(|r| r.group == group && r.version == version)
        .cloned()
        .collect()
}

/// `/openapi/v2`: protobuf when asked for (kubectl always is), JSON otherwise.
pub fn v2(state: &ApiState, accept: &str) -> Result<Response, ApiError> {
    // Without bundled schemas for the version there is nothing to serve; kubectl ignores a 404
    // here when it only wants patch metadata.
    let docs = documents(state).ok_or_else(ApiError::unknown_path)?;
    let encoded = docs.v2();
    let (body, content_type) = if accept.contains("protobuf") {
        (encoded.protobuf.clone(), PROTOBUF)
    } else {
        (encoded.json.clone(), "application/json")
    };
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(response)
}

/// What the documents of one state (served version, catalog, CRDs) are built from, and the
/// documents built so far: each on its first request, kept until the state changes.
struct Documents {
    key: u64,
    version: KubeVersion,
    base: Arc<Base>,
    resources: Vec<Resource>,
    customs: Vec<Custom>,
    v3: Mutex<HashMap<String, Arc<Value>>>,
    v2: OnceLock<V2Encoded>,
}

struct V2Encoded {
    json: Bytes,
    protobuf: Bytes,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The documents of the current state; `None` if the served version has no bundled schemas.
fn documents(state: &ApiState) -> Option<Arc<Documents>> {
    static CACHE: Mutex<Vec<Arc<Documents>>> = Mutex::new(Vec::new());
    let resources = state.catalog.all();
    // Custom resources' schemas live in their CRDs, which change without the catalog changing.
    let crds = if resources.iter().any(|r| r.custom) {
        crd_objects(state)
    } else {
        Vec::new()
    };
    let mut hasher = DefaultHasher::new();
    state.version.hash(&mut hasher);
    format!("{resources:?}").hash(&mut hasher);
    for (key, revision, _) in &crds {
        (key, revision).hash(&mut hasher);
    }
    let key = hasher.finish();
    let mut cache = lock(&CACHE);
    if let Some(docs) = cache.iter().find(|d| d.key == key) {
        return Some(Arc::clone(docs));
    }
    let docs = Arc::new(Documents {
        key,
        version: state.version,
        base: base(state.version)?,
        resources,
        customs: crds
            .iter()
            .flat_map(|(_, _, crd)| custom_schemas(crd))
            .collect(),
        v3: Mutex::default(),
        v2: OnceLock::new(),
    });
    // One state is current; a few more in case servers of different versions share a process.
    if cache.len() >= 4 {
        cache.remove(0);
    }
    cache.push(Arc::clone(&docs));
    Some(docs)
}

impl Documents {
    fn group_version(&self, group: &str, version: &str) -> Option<Arc<Value>> {
        let path = gv_path(group, version);
        let mut built = lock(&self.v3);
        if let Some(doc) = built.get(&path) {
            return Some(Arc::clone(doc));
        }
        let doc = Arc::new(self.build_v3(group, version)?);
        built.insert(path, Arc::clone(&doc));
        Some(doc)
    }

    fn build_v3(&self, group: &str, version: &str) -> Option<Value> {
        let resources = in_group_version(&self.resources, group, version);
        if resources.is_empty() {
            return None;
        }
        let mut components = Map::new();
        let mut names = HashMap::new();
        let mut roots = vec![PATCH.to_string()];
        for r in &resources {
            let gvk = r.gvk();
            if let Some(c) = self.customs.iter().find(|c| c.gvk == gvk) {
                components.insert(c.name.clone(), custom_schema(c, &self.base, Flavor::V3));
                names.insert(gvk, c.name.clone());
                roots.push(OBJECT_META.to_string());
            } else if let Some(name) = self.base.kinds.get(&gvk) {
                names.insert(gvk, name.clone());
                roots.push(name.clone());
            }
        }
        components.extend(self.base.converted(roots, Flavor::V3));
        Some(v3_document(
            &resources,
            Some(&names),
            components,
            &self.info_version(),
        ))
    }

    fn info_version(&self) -> String {
        format!("v{}.{}.0", self.version.major, self.version.minor)
    }

    fn v2(&self) -> &V2Encoded {
        self.v2.get_or_init(|| {
            let value = self.v2_value();
            V2Encoded {
                // A `Value` always serializes.
                json: Bytes::from(serde_json::to_vec(&value).unwrap_or_default()),
                protobuf: Bytes::from(swagger_protobuf(&value)),
            }
        })
    }

    fn v2_value(&self) -> Value {
        let base = &self.base;
        let mut definitions = Map::new();
        let mut roots = vec![PATCH.to_string()];
        let mut paths = Map::new();
        for r in &self.resources {
            let gvk = r.gvk();
            let schema = if let Some(c) = self.customs.iter().find(|c| c.gvk == gvk) {
                definitions.insert(c.name.clone(), custom_schema(c, base, Flavor::V2));
                roots.push(OBJECT_META.to_string());
                Some(c.name.clone())
            } else {
                base.kinds.get(&gvk).cloned()
            };
            roots.extend(schema.clone());
            let op = patch_operation(
                r,
                schema.as_deref(),
                Flavor::V2,
                base.defs.contains_key(PATCH),
            );
            paths.insert(item_path(r), json!({ "patch": op }));
        }
        definitions.extend(base.converted(roots, Flavor::V2));
        let mut doc = json!({
            "swagger": "2.0",
            "info": {"title": "Kubernetes", "version": self.info_version()},
            "paths": paths,
        });
        doc["definitions"] = Value::Object(definitions);
        doc
    }
}

fn v3_document(
    resources: &[Resource],
    names: Option<&HashMap<Gvk, String>>,
    schemas: Map<String, Value>,
    info_version: &str,
) -> Value {
    let mut paths = Map::new();
    for r in resources {
        let schema = names.and_then(|n| n.get(&r.gvk()));
        paths.insert(
            item_path(r),
            json!({"patch": patch_operation(r, schema.map(String::as_str), Flavor::V3, schemas.contains_key(PATCH))}),
        );
    }
    let mut doc = json!({"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": info_version}, "paths": paths});
    // Moved in rather than through `json!`, which would copy the schemas.
    if names.is_some()
        && let Some(doc) = doc.as_object_mut()
    {
        let components = Map::from_iter([("schemas".to_string(), Value::Object(schemas))]);
        doc.insert("components".into(), Value::Object(components));
    }
    doc
}

fn item_path(r: &Resource) -> String {
    let prefix = format!("/{}", gv_path(&r.group, &r.version));
    if r.namespaced {
        format!("{prefix}/namespaces/{{namespace}}/{}/{{name}}", r.plural)
    } else {
        format!("{prefix}/{}/{{name}}", r.plural)
    }
}

/// `patchAppsV1NamespacedDeployment`, as the API server names it.
fn operation_id(r: &Resource) -> String {
    let mut id = String::from("patch");
    let group = if r.group.is_empty() {
        "core"
    } else {
        r.group.strip_suffix(".k8s.io").unwrap_or(&r.group)
    };
    for word in group.split(['.', '-']).chain([r.version.as_str()]) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            id.extend(first.to_uppercase());
            id.push_str(chars.as_str());
        }
    }
    if r.namespaced {
        id.push_str("Namespaced");
    }
    id.push_str(&r.kind);
    id
}

/// The PATCH operation of a kind. Without the kind's schema in the same document, no request
/// body is declared: kubectl would look for the schema to compute its patch and warn.
fn patch_operation(r: &Resource, schema: Option<&str>, flavor: Flavor, patch_def: bool) -> Value {
    // Custom resources take no strategic merge patch, as on a real API server: listed, kubectl
    // would send one and fail.
    let types: Vec<&str> = PATCH_TYPES
        .iter()
        .copied()
        .filter(|t| !(r.custom && t.contains("strategic")))
        .collect();
    let prefix = flavor.ref_prefix();
    let patch_schema = if patch_def {
        json!({"$ref": format!("{prefix}{PATCH}")})
    } else {
        json!({"type": "object"})
    };
    let query = |name: &str, kind: &str| match flavor {
        Flavor::V3 => json!({"name": name, "in": "query", "schema": {"type": kind}}),
        Flavor::V2 => json!({"name": name, "in": "query", "type": kind, "uniqueItems": true}),
    };
    let mut parameters = vec![
        query("dryRun", "string"),
        query("fieldManager", "string"),
        query("fieldValidation", "string"),
        query("force", "boolean"),
    ];
    let mut op = json!({
        "operationId": operation_id(r),
        "x-kubernetes-action": "patch",
        GVK_EXTENSION: {"group": r.group, "version": r.version, "kind": r.kind},
    });
    match (flavor, schema) {
        (Flavor::V3, Some(schema)) => {
            let content: Map<String, Value> = types
                .iter()
                .map(|t| ((*t).to_string(), json!({"schema": patch_schema})))
                .collect();
            op["requestBody"] = json!({"content": content, "required": true});
            op["responses"] = json!({"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": format!("{prefix}{schema}")}}}}});
        }
        (Flavor::V3, None) => {}
        (Flavor::V2, schema) => {
            parameters.insert(
                0,
                json!({"name": "body", "in": "body", "required": true, "schema": patch_schema}),
            );
            op["consumes"] = json!(types);
            op["produces"] = json!(["application/json", "application/yaml"]);
            op["schemes"] = json!(["https"]);
            let mut ok = json!({"description": "OK"});
            if let Some(schema) = schema {
                ok["schema"] = json!({"$ref": format!("{prefix}{schema}")});
            }
            op["responses"] = json!({ "200": ok });
        }
    }
    op["parameters"] = Value::Array(parameters);
    op
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavor {
    V3,
    V2,
}

impl Flavor {
    fn ref_prefix(self) -> &'static str {
        match self {
            Self::V3 => "#/components/schemas/",
            Self::V2 => "#/definitions/",
        }
    }
}

/// The definition a `$ref` names, whichever document flavour it is written for.
fn def_name(reference: &str) -> Option<&str> {
    ["#/$defs/", "#/definitions/", "#/components/schemas/"]
        .iter()
        .find_map(|p| reference.split_once(p))
        .map(|(_, name)| name)
}

/// A bundled definition node in the API server's shape. The `null` members of type unions are
/// the JSON Schema generator's way of saying "may be omitted"; the API server's documents say
/// nothing there (no `nullable`), and `additionalProperties: false` is the strict validation
/// flavour, which the server's documents do not carry either.
fn convert(node: &Value, flavor: Flavor) -> Value {
    let Some(map) = node.as_object() else {
        return node.clone();
    };
    let mut out = Map::new();
    let mut reference = None;
    for (k, v) in map {
        match k.as_str() {
            "$ref" => {
                reference = v
                    .as_str()
                    .and_then(def_name)
                    .map(|n| format!("{}{n}", flavor.ref_prefix()));
            }
            "type" => {
                let t = match v {
                    Value::Array(types) => types.iter().find(|t| t.as_str() != Some("null")),
                    other => Some(other),
                };
                if let Some(t) = t {
                    out.insert(k.clone(), t.clone());
                }
            }
            "additionalProperties" if !v.is_object() => {}
            "properties" => {
                let props = v
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(name, s)| (name.clone(), convert(s, flavor)))
                    .collect();
                out.insert(k.clone(), Value::Object(props));
            }
            "items" | "additionalProperties" => {
                out.insert(k.clone(), convert(v, flavor));
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    let Some(reference) = reference else {
        return Value::Object(out);
    };
    match flavor {
        // OpenAPI 3.0 ignores the siblings of `$ref`; the API server wraps the reference in
        // `allOf` to keep a description or extension beside it, and kubectl's patch code and
        // explain resolve `allOf[0]`.
        Flavor::V3 if !out.is_empty() => {
            out.insert("allOf".into(), json!([{ "$ref": reference }]));
        }
        // kube-openapi (kubectl 1.27/1.28) refuses a reference with a type or properties.
        _ => {
            out.remove("type");
            out.remove("properties");
            out.insert("$ref".into(), Value::String(reference));
        }
    }
    Value::Object(out)
}

/// The bundled definitions of one version with their descriptions, in the API server's shape
/// apart from the per-node conversion of [`convert`].
struct Base {
    defs: HashMap<String, Value>,
    kinds: HashMap<Gvk, String>,
}

/// Loaded once per version on the first document asked for; a server serves one version.
fn base(version: KubeVersion) -> Option<Arc<Base>> {
    static BASES: Mutex<Vec<(KubeVersion, Arc<Base>)>> = Mutex::new(Vec::new());
    let mut bases = lock(&BASES);
    if let Some((_, b)) = bases.iter().find(|(v, _)| *v == version) {
        return Some(Arc::clone(b));
    }
    let b = Arc::new(Base::load(version)?);
    bases.push((version, Arc::clone(&b)));
    Some(b)
}

impl Base {
    fn load(version: KubeVersion) -> Option<Self> {
        let mut root: Value = serde_json::from_slice(&definitions_json(version)?).ok()?;
        let Value::Object(bundled) = root.get_mut("$defs")?.take() else {
            return None;
        };
        let descriptions = Descriptions::load(version).unwrap_or_default();
        let mut defs = HashMap::with_capacity(bundled.len());
        let mut kinds = HashMap::new();
        for (name, mut def) in bundled {
            descriptions.apply(&name, &mut def);
            // The generator spells these as a `oneOf` of types, which neither OpenAPI 3.0 in
            // kubectl nor kube-openapi's v2 model reads; the API server's own shape:
            let description = def.get("description").cloned();
            match name.as_str() {
                INT_OR_STRING => def = json!({"type": "string", "format": "int-or-string"}),
                QUANTITY => def = json!({"type": "string"}),
                _ => {}
            }
            if let (Some(d), Some(obj)) = (description, def.as_object_mut()) {
                obj.insert("description".into(), d);
            }
            let gvks = def[GVK_EXTENSION].as_array().cloned().unwrap_or_default();
            if !gvks.is_empty() {
                // The generator pins `apiVersion` and `kind` with an `enum`; the server does
                // not, and explain would print it.
                for field in ["apiVersion", "kind"] {
                    let pointer = format!("/properties/{field}");
                    if let Some(p) = def.pointer_mut(&pointer).and_then(Value::as_object_mut) {
                        p.remove("enum");
                    }
                }
            }
            for g in gvks {
                let text = |k: &str| g[k].as_str().unwrap_or_default().to_string();
                kinds
                    .entry(Gvk::new(text("group"), text("version"), text("kind")))
                    .or_insert_with(|| name.clone());
            }
            defs.insert(name, def);
        }
        Some(Self { defs, kinds })
    }

    /// The named definitions and all they reference, sorted.
    fn reachable(&self, roots: Vec<String>) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = roots;
        while let Some(name) = todo.pop() {
            let Some(def) = self.defs.get(&name) else {
                continue;
            };
            if !seen.insert(name) {
                continue;
            }
            let mut stack = vec![def];
            while let Some(v) = stack.pop() {
                match v {
                    Value::Object(m) => {
                        if let Some(n) = m.get("$ref").and_then(Value::as_str).and_then(def_name) {
                            todo.push(n.to_string());
                        }
                        stack.extend(m.values());
                    }
                    Value::Array(a) => stack.extend(a),
                    _ => {}
                }
            }
        }
        seen
    }

    /// The named definitions and all they reference, converted.
    fn converted(&self, roots: Vec<String>, flavor: Flavor) -> Map<String, Value> {
        self.reachable(roots)
            .into_iter()
            .filter_map(|name| {
                let def = convert(self.defs.get(&name)?, flavor);
                Some((name, def))
            })
            .collect()
    }

    /// The standard description of a kind's `apiVersion`, `kind` or `metadata`.
    fn standard_description(&self, field: &str) -> Option<Value> {
        self.defs
            .get("io.k8s.api.core.v1.ConfigMap")?
            .pointer(&format!("/properties/{field}/description"))
            .cloned()
    }
}

/// One served version of a CRD.
struct Custom {
    gvk: Gvk,
    /// `com.example.flask.v1.BackupSchedule`, as the API server names it.
    name: String,
    schema: Value,
}

/// The CRDs in the store: (key, revision, object).
fn crd_objects(state: &ApiState) -> Vec<(String, i64, Value)> {
    let Some(crds) = state
        .catalog
        .find("apiextensions.k8s.io", "v1", "customresourcedefinitions")
    else {
        return Vec::new();
    };
    state
        .store
        .list(&prefix(&crds, None), None, 0, None)
        .map(|list| {
            list.items
                .into_iter()
                .map(|item| (item.key, item.revision, item.value))
                .collect()
        })
        .unwrap_or_default()
}

/// The served versions of a CRD with their schemas.
fn custom_schemas(crd: &Value) -> Vec<Custom> {
    let spec = &crd["spec"];
    let (Some(group), Some(kind)) = (spec["group"].as_str(), spec["names"]["kind"].as_str()) else {
        return Vec::new();
    };
    let reversed: Vec<&str> = group.rsplit('.').collect();
    let mut out = Vec::new();
    for v in spec["versions"].as_array().into_iter().flatten() {
        let Some(version) = v["name"].as_str() else {
            continue;
        };
        if v["served"].as_bool() == Some(false) {
            continue;
        }
        let schema = v
            .pointer("/schema/openAPIV3Schema")
            .or_else(|| spec.pointer("/validation/openAPIV3Schema"))
            .cloned()
            .unwrap_or_else(
                || json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true}),
            );
        out.push(Custom {
            gvk: Gvk::new(group, version, kind),
            name: format!("{}.{version}.{kind}", reversed.join(".")),
            schema,
        });
    }
    out
}

/// A CRD's schema as the API server publishes it: with `apiVersion`, `kind`, the standard
/// `metadata`, and the kind extension.
fn custom_schema(c: &Custom, base: &Base, flavor: Flavor) -> Value {
    let mut schema = match flavor {
        Flavor::V3 => c.schema.clone(),
        Flavor::V2 => to_v2_structural(&c.schema),
    };
    if !schema.is_object() {
        schema = json!({});
    }
    schema["type"] = json!("object");
    if !schema["properties"].is_object() {
        schema["properties"] = json!({});
    }
    let described = |mut v: Value, field: &str| {
        if let Some(d) = base.standard_description(field) {
            v["description"] = d;
        }
        v
    };
    let meta = format!("{}{OBJECT_META}", flavor.ref_prefix());
    let props = &mut schema["properties"];
    props["apiVersion"] = described(json!({"type": "string"}), "apiVersion");
    props["kind"] = described(json!({"type": "string"}), "kind");
    props["metadata"] = described(
        match flavor {
            Flavor::V3 => json!({"allOf": [{"$ref": meta}]}),
            Flavor::V2 => json!({ "$ref": meta }),
        },
        "metadata",
    );
    schema[GVK_EXTENSION] =
        json!([{"group": c.gvk.group, "version": c.gvk.version, "kind": c.gvk.kind}]);
    schema
}

/// What of a structural schema Swagger 2.0 and kube-openapi's model (kubectl 1.27/1.28) can
/// take: one parse error there fails every `kubectl apply`, so anything doubtful goes, as the
/// API server also drops the types of nullable fields and the `*Of` combinators.
fn to_v2_structural(node: &Value) -> Value {
    let Some(map) = node.as_object() else {
        return json!({});
    };
    let nullable = map.get("nullable") == Some(&Value::Bool(true));
    let mut out = Map::new();
    for (k, v) in map {
        let kept = match k.as_str() {
            "properties" => Value::Object(
                v.as_object()
                    .into_iter()
                    .flatten()
                    .map(|(name, s)| (name.clone(), to_v2_structural(s)))
                    .collect(),
            ),
            "items" | "additionalProperties" if v.is_object() => to_v2_structural(v),
            "type" if nullable => continue,
            "type"
                if !matches!(
                    v.as_str(),
                    Some("object" | "array" | "string" | "integer" | "number" | "boolean")
                ) =>
            {
                continue;
            }
            "type" | "description" | "format" | "required" | "enum" | "additionalProperties" => {
                v.clone()
            }
            x if x.starts_with("x-") => v.clone(),
            _ => continue,
        };
        out.insert(k.clone(), kept);
    }
    let array = out.get("type").and_then(Value::as_str) == Some("array");
    if array && !out.get("items").is_some_and(Value::is_object) {
        out.remove("type");
    }
    Value::Object(out)
}

/// A protobuf writer for the few wire types gnostic's messages use.
#[derive(Default)]
struct Pb(Vec<u8>);

impl Pb {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v & 0x7f) as u8 | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn key(&mut self, field: u32, wire_type: u8) {
        self.varint(u64::from(field) << 3 | u64::from(wire_type));
    }

    fn bytes(&mut self, field: u32, b: &[u8]) {
        self.key(field, 2);
        self.varint(b.len() as u64);
        self.0.extend_from_slice(b);
    }

    fn string(&mut self, field: u32, v: &Value) {
        if let Some(s) = v.as_str() {
            self.bytes(field, s.as_bytes());
        }
    }

    fn strings(&mut self, field: u32, v: &Value) {
        match v {
            Value::Array(items) => items.iter().for_each(|s| self.string(field, s)),
            other => self.string(field, other),
        }
    }

    fn bool(&mut self, field: u32, v: &Value) {
        if let Some(b) = v.as_bool() {
            self.key(field, 0);
            self.varint(u64::from(b));
        }
    }

    fn int64(&mut self, field: u32, v: &Value) {
        if let Some(i) = v.as_i64() {
            self.key(field, 0);
            // Protobuf's int64 is the two's complement as a 64-bit varint.
            self.varint(i.cast_unsigned());
        }
    }

    fn double(&mut self, field: u32, v: &Value) {
        if let Some(f) = v.as_f64() {
            self.key(field, 1);
            self.0.extend_from_slice(&f.to_le_bytes());
        }
    }

    fn message(&mut self, field: u32, fill: impl FnOnce(&mut Pb)) {
        let mut inner = Pb::default();
        fill(&mut inner);
        self.bytes(field, &inner.0);
    }

    /// gnostic's `Any`: a value as YAML text (`yaml = 2`). JSON is YAML; the flow style with
    /// blanks after `:` and `,` reads the same in every YAML parser kubectl uses.
    fn any(&mut self, field: u32, v: &Value) {
        self.message(field, |w| w.bytes(2, flow_yaml(v).as_bytes()));
    }

    /// A `NamedAny` (vendor extension).
    fn named_any(&mut self, field: u32, name: &str, v: &Value) {
        self.message(field, |w| {
            w.bytes(1, name.as_bytes());
            w.any(2, v);
        });
    }

    /// `Named<X>` pairs of a JSON object.
    fn named(&mut self, field: u32, v: &Value, fill: impl Fn(&mut Pb, &Value)) {
        for (name, value) in v.as_object().into_iter().flatten() {
            self.message(field, |w| {
                w.bytes(1, name.as_bytes());
                w.message(2, |w| fill(w, value));
            });
        }
    }
}

fn flow_yaml(v: &Value) -> String {
    match v {
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(flow_yaml).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(map) => {
            let mut out = String::from("{");
            for (i, (k, v)) in map.iter().enumerate() {
                let sep = if i == 0 { "" } else { ", " };
                let _ = write!(out, "{sep}{}: {}", Value::String(k.clone()), flow_yaml(v));
            }
            out.push('}');
            out
        }
        // JSON's string escapes are a subset of YAML's double-quoted ones.
        scalar => scalar.to_string(),
    }
}

/// gnostic `openapi_v2.Document` (github.com/google/gnostic, openapiv2/OpenAPIv2.proto).
fn swagger_protobuf(doc: &Value) -> Vec<u8> {
    let mut w = Pb::default();
    for (k, v) in doc.as_object().into_iter().flatten() {
        match k.as_str() {
            "swagger" => w.string(1, v),
            "info" => w.message(2, |w| info(w, v)),
            "consumes" => w.strings(6, v),
            "produces" => w.strings(7, v),
            "paths" => w.message(8, |w| paths(w, v)),
            "definitions" => w.message(9, |w| w.named(1, v, schema)),
            x if x.starts_with("x-") => w.named_any(16, x, v),
            _ => {}
        }
    }
    w.0
}

fn info(w: &mut Pb, v: &Value) {
    for (k, v) in v.as_object().into_iter().flatten() {
        match k.as_str() {
            "title" => w.string(1, v),
            "version" => w.string(2, v),
            "description" => w.string(3, v),
            x if x.starts_with("x-") => w.named_any(7, x, v),
            _ => {}
        }
    }
}

fn paths(w: &mut Pb, v: &Value) {
    for (k, v) in v.as_object().into_iter().flatten() {
        if k.starts_with("x-") {
            w.named_any(1, k, v);
        } else {
            w.message(2, |w| {
                w.bytes(1, k.as_bytes());
                w.message(2, |w| path_item(w, v));
            });
        }
    }
}

fn path_item(w: &mut Pb, v: &Value) {
    for (k, v) in v.as_object().into_iter().flatten() {
        let field = match k.as_str() {
            "$ref" => {
                w.string(1, v);
                continue;
            }
            "get" => 2,
            "put" => 3,
            "post" => 4,
            "delete" => 5,
            "options" => 6,
            "head" => 7,
            "patch" => 8,
            "parameters" => {
                v.as_array()
                    .into_iter()
                    .flatten()
                    .for_each(|p| w.message(9, |w| parameter(w, p)));
                continue;
            }
            x if x.starts_with("x-") => {
                w.named_any(10, x, v);
                continue;
            }
            _ => continue,
        };
        w.message(field, |w| operation(w, v));
    }
}

fn operation(w: &mut Pb, v: &Value) {
    for (k, v) in v.as_object().into_iter().flatten() {
        match k.as_str() {
            "tags" => w.strings(1, v),
            "summary" => w.string(2, v),
            "description" => w.string(3, v),
            "operationId" => w.string(5, v),
            "produces" => w.strings(6, v),
            "consumes" => w.strings(7, v),
            "parameters" => v
                .as_array()
                .into_iter()
                .flatten()
                .for_each(|p| w.message(8, |w| parameter(w, p))),
            "responses" => w.message(9, |w| responses(w, v)),
            "schemes" => w.strings(10, v),
            "deprecated" => w.bool(11, v),
            x if x.starts_with("x-") => w.named_any(13, x, v),
            _ => {}
        }
    }
}

/// A `ParametersItem`: a reference, or a body or non-body `Parameter`.
fn parameter(w: &mut Pb, p: &Value) {
    if let Some(r) = p.get("$ref") {
        w.message(2, |w| w.string(1, r));
        return;
    }
    let location = p["in"].as_str().unwrap_or_default();
    w.message(1, |w| {
        if location == "body" {
            w.message(1, |w| {
                for (k, v) in p.as_object().into_iter().flatten() {
                    match k.as_str() {
                        "description" => w.string(1, v),
                        "name" => w.string(2, v),
                        "in" => w.string(3, v),
                        "required" => w.bool(4, v),
                        "schema" => w.message(5, |w| schema(w, v)),
                        x if x.starts_with("x-") => w.named_any(6, x, v),
                        _ => {}
                    }
                }
            });
            return;
        }
        // NonBodyParameter's sub-schemas share their first four fields; query and form data
        // then have `allow_empty_value` and so number the rest one higher.
        let (one_of, shift, extensions) = match location {
            "header" => (1, 0, 22),
            "formData" => (2, 1, 23),
            "query" => (3, 1, 23),
            _ => (4, 0, 22),
        };
        w.message(2, |w| {
            w.message(one_of, |w| {
                for (k, v) in p.as_object().into_iter().flatten() {
                    match k.as_str() {
                        "required" => w.bool(1, v),
                        "in" => w.string(2, v),
                        "description" => w.string(3, v),
                        "name" => w.string(4, v),
                        "allowEmptyValue" if shift == 1 => w.bool(5, v),
                        "type" => w.string(5 + shift, v),
                        "format" => w.string(6 + shift, v),
                        "uniqueItems" => w.bool(19 + shift, v),
                        x if x.starts_with("x-") => w.named_any(extensions, x, v),
                        _ => {}
                    }
                }
            });
        });
    });
}

fn responses(w: &mut Pb, v: &Value) {
    for (code, r) in v.as_object().into_iter().flatten() {
        if code.starts_with("x-") {
            w.named_any(2, code, r);
            continue;
        }
        w.message(1, |w| {
            w.bytes(1, code.as_bytes());
            w.message(2, |w| {
                if let Some(reference) = r.get("$ref") {
                    w.message(2, |w| w.string(1, reference));
                    return;
                }
                w.message(1, |w| {
                    for (k, v) in r.as_object().into_iter().flatten() {
                        match k.as_str() {
                            "description" => w.string(1, v),
                            "schema" => w.message(2, |w| w.message(1, |w| schema(w, v))),
                            x if x.starts_with("x-") => w.named_any(5, x, v),
                            _ => {}
                        }
                    }
                });
            });
        });
    }
}

fn schema(w: &mut Pb, s: &Value) {
    for (k, v) in s.as_object().into_iter().flatten() {
        match k.as_str() {
            "$ref" => w.string(1, v),
            "format" => w.string(2, v),
            "title" => w.string(3, v),
            "description" => w.string(4, v),
            "default" => w.any(5, v),
            "multipleOf" => w.double(6, v),
            "maximum" => w.double(7, v),
            "exclusiveMaximum" => w.bool(8, v),
            "minimum" => w.double(9, v),
            "exclusiveMinimum" => w.bool(10, v),
            "maxLength" => w.int64(11, v),
            "minLength" => w.int64(12, v),
            "pattern" => w.string(13, v),
            "maxItems" => w.int64(14, v),
            "minItems" => w.int64(15, v),
            "uniqueItems" => w.bool(16, v),
            "maxProperties" => w.int64(17, v),
            "minProperties" => w.int64(18, v),
            "required" => w.strings(19, v),
            "enum" => v
                .as_array()
                .into_iter()
                .flatten()
                .for_each(|e| w.any(20, e)),
            "additionalProperties" => w.message(21, |w| match v {
                Value::Bool(b) => {
                    w.key(2, 0);
                    w.varint(u64::from(*b));
                }
                other => w.message(1, |w| schema(w, other)),
            }),
            "type" => w.message(22, |w| w.strings(1, v)),
            "items" => w.message(23, |w| match v {
                Value::Array(items) => items.iter().for_each(|i| w.message(1, |w| schema(w, i))),
                other => w.message(1, |w| schema(w, other)),
            }),
            "allOf" => v
                .as_array()
                .into_iter()
                .flatten()
                .for_each(|s| w.message(24, |w| schema(w, s))),
            "properties" => w.message(25, |w| w.named(1, v, schema)),
            "discriminator" => w.string(26, v),
            "readOnly" => w.bool(27, v),
            "example" => w.any(30, v),
            x if x.starts_with("x-") => w.named_any(31, x, v),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::super::objects::key;
    use super::*;
    use crate::server::store::Store;

    fn state(minor: u32) -> (tempfile::TempDir, ApiState) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        (dir, ApiState::new(store, KubeVersion::new(1, minor)))
    }

    fn walk<'a>(v: &'a Value, f: &mut impl FnMut(&'a Map<String, Value>)) {
        match v {
            Value::Object(m) => {
                f(m);
                m.values().for_each(|v| walk(v, f));
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, f)),
            _ => {}
        }
    }

    fn deployment_patch(doc: &Value) -> &Value {
        &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"]
    }

    #[test]
    fn v3_document_has_the_kinds_schemas_with_resolved_references() {
        let (_dir, state) = state(28);
        let doc = group_version(&state, "apis/apps/v1").unwrap();
        let schemas = doc["components"]["schemas"].as_object().unwrap();

        let op = deployment_patch(&doc);
        assert_eq!(
            op[GVK_EXTENSION],
            json!({"group": "apps", "version": "v1", "kind": "Deployment"})
        );
        assert!(
            op["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "fieldValidation" && p["in"] == "query")
        );
        let body = &op["requestBody"]["content"]["application/strategic-merge-patch+json"];
        assert_eq!(
            body["schema"]["$ref"],
            format!("#/components/schemas/{PATCH}")
        );

        let deployment = &schemas["io.k8s.api.apps.v1.Deployment"];
        assert_eq!(
            deployment[GVK_EXTENSION],
            json!([{"group": "apps", "version": "v1", "kind": "Deployment"}])
        );
        assert_eq!(deployment["type"], "object");
        assert!(
            deployment["description"]
                .as_str()
                .unwrap()
                .contains("declarative updates")
        );
        assert_eq!(deployment["properties"]["apiVersion"].get("enum"), None);
        assert_eq!(
            schemas["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["strategy"]["allOf"],
            json!([{"$ref": "#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy"}])
        );
        let strategy = &schemas["io.k8s.api.apps.v1.DeploymentStrategy"];
        assert!(strategy["properties"]["rollingUpdate"]["description"].is_string());
        let containers = &schemas["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"];
        assert_eq!(containers["x-kubernetes-patch-merge-key"], "name");
        assert_eq!(
            containers["items"]["$ref"],
            "#/components/schemas/io.k8s.api.core.v1.Container"
        );
        assert_eq!(schemas[INT_OR_STRING]["type"], "string");
        assert_eq!(schemas[INT_OR_STRING]["format"], "int-or-string");
        // Only what the group's kinds reach.
        assert!(!schemas.contains_key("io.k8s.api.batch.v1.Job"));
        assert!(!schemas.contains_key("io.k8s.api.core.v1.Service"));

        walk(&doc, &mut |m| {
            if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                let name = r.strip_prefix("#/components/schemas/").unwrap();
                assert!(schemas.contains_key(name), "dangling {r}");
            }
            assert!(!m.get("type").is_some_and(Value::is_array), "{m:?}");
            assert_ne!(m.get("additionalProperties"), Some(&Value::Bool(false)));
        });
    }

    #[test]
    fn every_kind_of_every_bundled_version_has_its_schema() {
        for version in crate::schema::BUNDLED_VERSIONS {
            let (_dir, state) = state(version.minor);
            for (group, versions) in state.catalog.groups() {
                for v in versions {
                    let doc = group_version(&state, &gv_path(&group, &v)).unwrap();
                    for item in doc["paths"].as_object().unwrap().values() {
                        let reference = item["patch"]["responses"]["200"]["content"]
                            ["application/json"]["schema"]["$ref"]
                            .as_str()
                            .unwrap_or_else(|| panic!("{version} {group}/{v}: {item}"));
                        let name = def_name(reference).unwrap();
                        assert!(doc["components"]["schemas"][name][GVK_EXTENSION].is_array());
                    }
                }
            }
        }
    }

    #[test]
    fn without_the_state_the_document_has_operations_only() {
        let catalog = Catalog::builtin();
        let doc = group_version(&catalog, "apis/apps/v1").unwrap();
        assert!(doc.get("components").is_none());
        let op = deployment_patch(&doc);
        assert!(
            op.get("requestBody").is_none(),
            "kubectl would look for the schema"
        );
        assert!(op["parameters"].to_string().contains("fieldValidation"));
        assert!(group_version(&catalog, "apis/nope/v1").is_none());
        assert!(group_version(&catalog, "apis/apps").is_none());
    }

    #[test]
    fn documents_are_cached_per_state() {
        let (_dir, s29) = state(29);
        let a = documents(&s29).unwrap();
        let b = documents(&s29).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert!(std::ptr::eq(a.v2(), b.v2()));
        let first = a.group_version("apps", "v1").unwrap();
        assert!(Arc::ptr_eq(&first, &b.group_version("apps", "v1").unwrap()));
        let (_dir, s30) = state(30);
        assert!(!Arc::ptr_eq(&a, &documents(&s30).unwrap()));
    }

    #[test]
    fn operation_ids_follow_the_api_server() {
        let r = |g: &str, v: &str, plural: &str| Catalog::builtin().find(g, v, plural).unwrap();
        assert_eq!(
            operation_id(&r("apps", "v1", "deployments")),
            "patchAppsV1NamespacedDeployment"
        );
        assert_eq!(
            operation_id(&r("", "v1", "namespaces")),
            "patchCoreV1Namespace"
        );
        assert_eq!(
            operation_id(&r("networking.k8s.io", "v1", "ingresses")),
            "patchNetworkingV1NamespacedIngress"
        );
    }

    #[test]
    fn extension_values_are_flow_yaml() {
        assert_eq!(
            flow_yaml(&json!([{"group": "", "kind": "Pod", "version": "v1"}])),
            r#"[{"group": "", "kind": "Pod", "version": "v1"}]"#
        );
        assert_eq!(flow_yaml(&json!("a\"b\n")), r#""a\"b\n""#);
        assert_eq!(flow_yaml(&json!(true)), "true");
    }

    /// A protobuf reader: enough to walk gnostic messages.
    #[derive(Debug, Clone, Copy)]
    enum Field<'a> {
        /// A varint or fixed-width number, which these tests do not read.
        Number,
        Bytes(&'a [u8]),
    }

    fn varint(b: &mut &[u8]) -> u64 {
        let mut v = 0;
        for shift in (0..64).step_by(7) {
            let (byte, rest) = b.split_first().expect("truncated varint");
            *b = rest;
            v |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return v;
            }
        }
        panic!("varint too long")
    }

    fn fields(mut b: &[u8]) -> Vec<(u32, Field<'_>)> {
        let mut out = Vec::new();
        while !b.is_empty() {
            let key = varint(&mut b);
            let field = u32::try_from(key >> 3).unwrap();
            let value = match key & 7 {
                0 => {
                    varint(&mut b);
                    Field::Number
                }
                1 => {
                    b = &b[8..];
                    Field::Number
                }
                2 => {
                    let len = usize::try_from(varint(&mut b)).unwrap();
                    let (v, rest) = b.split_at(len);
                    b = rest;
                    Field::Bytes(v)
                }
                t => panic!("wire type {t}"),
            };
            out.push((field, value));
        }
        out
    }

    fn all(b: &[u8], n: u32) -> Vec<&[u8]> {
        fields(b)
            .into_iter()
            .filter(|(f, _)| *f == n)
            .map(|(_, v)| match v {
                Field::Bytes(b) => b,
                Field::Number => panic!("field {n} is a number"),
            })
            .collect()
    }

    fn text(b: &[u8], n: u32) -> Option<String> {
        all(b, n)
            .first()
            .map(|t| String::from_utf8(t.to_vec()).unwrap())
    }

    fn named(b: &[u8], n: u32) -> Vec<(String, &[u8])> {
        all(b, n)
            .into_iter()
            .map(|pair| (text(pair, 1).unwrap(), all(pair, 2)[0]))
            .collect()
    }

    /// A vendor extension's value, read as JSON (which flow YAML is here).
    fn extension(b: &[u8], field: u32, name: &str) -> Option<Value> {
        let (_, any) = named(b, field).into_iter().find(|(n, _)| n == name)?;
        Some(serde_json::from_str(&text(any, 2)?).unwrap())
    }

    /// What kube-openapi's `NewOpenAPIData` (kubectl 1.27/1.28) refuses, which would fail every
    /// `kubectl apply`.
    fn check_model(s: &[u8], names: &HashSet<String>, path: &str) {
        let types: Vec<String> = all(s, 22)
            .into_iter()
            .flat_map(|t| all(t, 1))
            .map(|t| String::from_utf8(t.to_vec()).unwrap())
            .collect();
        let properties = all(s, 25);
        if let Some(r) = text(s, 1) {
            assert!(
                types.is_empty() && properties.is_empty(),
                "{path}: {r} with a type"
            );
            let name = r.strip_prefix("#/definitions/").unwrap();
            assert!(names.contains(name), "{path}: dangling {r}");
            return;
        }
        assert!(types.len() <= 1, "{path}: {types:?}");
        let check_properties = || {
            for p in properties.iter().flat_map(|p| named(p, 1)) {
                check_model(p.1, names, &format!("{path}.{}", p.0));
            }
        };
        match types.first().map(String::as_str) {
            None | Some("object") if !properties.is_empty() => check_properties(),
            Some("object") => {
                if let Some(additional) = all(s, 21).first() {
                    for schema in all(additional, 1) {
                        check_model(schema, names, path);
                    }
                }
            }
            Some("array") => {
                let items = all(s, 23);
                let items: Vec<&[u8]> = items.iter().flat_map(|i| all(i, 1)).collect();
                assert_eq!(items.len(), 1, "{path}: array items");
                check_model(items[0], names, &format!("{path}[]"));
            }
            // An arbitrary value, or a primitive.
            None | Some("string" | "integer" | "number" | "boolean") => {}
            Some(other) => panic!("{path}: type {other}"),
        }
    }

    #[test]
    fn v2_protobuf_decodes_as_a_swagger_document_kube_openapi_accepts() {
        let (_dir, state) = state(28);
        let docs = documents(&state).unwrap();
        let pb = &docs.v2().protobuf;

        assert_eq!(text(pb, 1).as_deref(), Some("2.0"));
        let info = all(pb, 2)[0];
        assert_eq!(text(info, 1).as_deref(), Some("Kubernetes"));
        assert_eq!(text(info, 2).as_deref(), Some("v1.28.0"));

        let paths = named(all(pb, 8)[0], 2);
        let (_, item) = paths
            .iter()
            .find(|(p, _)| p == "/apis/apps/v1/namespaces/{namespace}/deployments/{name}")
            .unwrap();
        let op = all(item, 8)[0];
        assert_eq!(
            extension(op, 13, GVK_EXTENSION),
            Some(json!({"group": "apps", "version": "v1", "kind": "Deployment"}))
        );
        let consumes: Vec<String> = all(op, 7)
            .iter()
            .map(|c| String::from_utf8(c.to_vec()).unwrap())
            .collect();
        assert!(consumes.contains(&"application/strategic-merge-patch+json".to_string()));
        let query_names: Vec<String> = all(op, 8)
            .into_iter()
            .flat_map(|p| all(p, 1)) // ParametersItem.parameter
            .flat_map(|p| all(p, 2)) // Parameter.non_body_parameter
            .flat_map(|p| all(p, 3)) // NonBodyParameter.query_parameter_sub_schema
            .filter_map(|q| text(q, 4))
            .collect();
        assert!(
            query_names.contains(&"fieldValidation".to_string()),
            "{query_names:?}"
        );
        assert_eq!(paths.len(), state.catalog.all().len());

        let definitions = named(all(pb, 9)[0], 1);
        let names: HashSet<String> = definitions.iter().map(|(n, _)| n.clone()).collect();
        let (_, deployment) = definitions
            .iter()
            .find(|(n, _)| n == "io.k8s.api.apps.v1.Deployment")
            .unwrap();
        assert_eq!(
            extension(deployment, 31, GVK_EXTENSION),
            Some(json!([{"group": "apps", "version": "v1", "kind": "Deployment"}]))
        );
        assert!(text(deployment, 4).unwrap().contains("declarative updates"));
        let props = named(all(deployment, 25)[0], 1);
        let (_, spec) = props.iter().find(|(n, _)| n == "spec").unwrap();
        assert_eq!(
            text(spec, 1).as_deref(),
            Some("#/definitions/io.k8s.api.apps.v1.DeploymentSpec")
        );
        for (name, schema) in &definitions {
            check_model(schema, &names, name);
        }

        let json: Value = serde_json::from_slice(&docs.v2().json).unwrap();
        assert_eq!(json["swagger"], "2.0");
        assert_eq!(
            json["definitions"].as_object().unwrap().len(),
            definitions.len()
        );
    }

    #[tokio::test]
    async fn crds_add_their_schemas_and_renew_the_documents() {
        let (_dir, state) = state(28);
        let before = documents(&state).unwrap();
        let crd: Value = json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "backupschedules.flask.example.com"},
            "spec": {"group": "flask.example.com", "scope": "Namespaced",
                "names": {"kind": "BackupSchedule", "plural": "backupschedules"},
                "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "properties": {"spec": {"type": "object", "required": ["schedule"], "properties": {
                        "schedule": {"type": "string", "description": "Cron expression."},
                        "size": {"x-kubernetes-int-or-string": true, "anyOf": [{"type": "integer"}, {"type": "string"}]},
                        "note": {"type": "string", "nullable": true},
                        "tags": {"type": "array"}}}}}}}]}});
        let crds = state
            .catalog
            .find("apiextensions.k8s.io", "v1", "customresourcedefinitions")
            .unwrap();
        state
            .store
            .create(
                key(&crds, None, "backupschedules.flask.example.com"),
                crd.clone(),
            )
            .await
            .unwrap();
        state.after_write(&crds, &crd, false);

        let after = documents(&state).unwrap();
        assert!(!Arc::ptr_eq(&before, &after));
        let doc = group_version(&state, "apis/flask.example.com/v1").unwrap();
        let schemas = &doc["components"]["schemas"];
        let cr = &schemas["com.example.flask.v1.BackupSchedule"];
        assert_eq!(
            cr[GVK_EXTENSION],
            json!([{"group": "flask.example.com", "version": "v1", "kind": "BackupSchedule"}])
        );
        assert_eq!(
            cr["properties"]["metadata"]["allOf"][0]["$ref"],
            format!("#/components/schemas/{OBJECT_META}")
        );
        assert!(schemas[OBJECT_META]["properties"]["labels"].is_object());
        assert_eq!(
            cr["properties"]["spec"]["properties"]["note"]["nullable"],
            true
        );
        let op = &doc["paths"]["/apis/flask.example.com/v1/namespaces/{namespace}/backupschedules/{name}"]
            ["patch"];
        let content = op["requestBody"]["content"].as_object().unwrap();
        assert!(content.contains_key("application/merge-patch+json"));
        assert!(!content.contains_key("application/strategic-merge-patch+json"));

        let v2: Value = serde_json::from_slice(&after.v2().json).unwrap();
        let spec = &v2["definitions"]["com.example.flask.v1.BackupSchedule"]["properties"]["spec"];
        assert_eq!(spec["required"], json!(["schedule"]));
        assert_eq!(
            spec["properties"]["size"],
            json!({"x-kubernetes-int-or-string": true})
        );
        assert_eq!(spec["properties"]["note"], json!({}));
        assert_eq!(spec["properties"]["tags"], json!({}));
        let consumes = &v2["paths"]["/apis/flask.example.com/v1/namespaces/{namespace}/backupschedules/{name}"]
            ["patch"]["consumes"];
        assert!(!consumes.to_string().contains("strategic"));
    }
}
