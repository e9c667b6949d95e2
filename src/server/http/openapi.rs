//! OpenAPI v3 as kubectl needs it for `kubectl apply` with default (server-side) validation:
//! a root listing one document per group-version, and per group-version a PATCH operation per
//! kind that declares the `fieldValidation` parameter. With that, kubectl sends
//! `fieldValidation=Strict` and leaves validation to the server (kubectl-wire.md §5.3).
//! No `requestBody` media types are listed: kubectl would then look for the kind in
//! `components.schemas` to compute client-side apply patches, which this document does not
//! carry yet; without them it uses its compiled-in types, as against a cluster without v3.

use axum::response::Response;
use serde_json::{Map, Value, json};

use super::state::ApiState;
use super::status::ApiError;

use super::super::catalog::Catalog;

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
pub fn group_version(catalog: &Catalog, path: &str) -> Option<Value> {
    let (group, version) = match path.split('/').collect::<Vec<_>>().as_slice() {
        ["api", v] => (String::new(), (*v).to_string()),
        ["apis", g, v] => ((*g).to_string(), (*v).to_string()),
        _ => return None,
    };
    let mut paths = Map::new();
    for r in catalog
        .all()
        .into_iter()
        .filter(|r| r.group == group && r.version == version)
    {
        let prefix = format!("/{}", gv_path(&group, &version));
        let item = if r.namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{}/{{name}}", r.plural)
        } else {
            format!("{prefix}/{}/{{name}}", r.plural)
        };
        let op = json!({
            "x-kubernetes-group-version-kind": {"group": r.group, "version": r.version, "kind": r.kind},
            "parameters": [
                {"name": "dryRun", "in": "query", "schema": {"type": "string"}},
                {"name": "fieldManager", "in": "query", "schema": {"type": "string"}},
                {"name": "fieldValidation", "in": "query", "schema": {"type": "string"}},
                {"name": "force", "in": "query", "schema": {"type": "boolean"}}
            ],
        });
        paths.insert(item, json!({"patch": op}));
    }
    if paths.is_empty() {
        return None;
    }
    Some(
        json!({"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "kplan"}, "paths": paths}),
    )
}

/// `/openapi/v2`: not served yet (kubectl 1.29+ use v3 first).
pub fn v2(_state: &ApiState, _accept: &str) -> Result<Response, ApiError> {
    Err(ApiError::unknown_path())
}
