//! Server-side apply (`application/apply-patch+yaml`): the HTTP side. The field ownership
//! engine (field sets, typed merge, pruning, conflicts, `managedFields` bookkeeping) is in
//! `ssa/`, driven by the kind's schema from the registry.

use serde_json::{Value, json};

use super::super::catalog::Resource;
use super::defaults::apply_defaults;
use super::meta::now_rfc3339;
use super::objects::{create, write_with};
use super::query::Query;
use super::reply::Reply;
use super::state::ApiState;
use super::status::ApiError;
use super::target::Target;

#[path = "ssa/mod.rs"]
pub(super) mod ssa;

use ssa::{Applier, ApplyError, Node, Scope};

pub async fn server_side_apply(
    state: &ApiState,
    r: &Resource,
    t: &Target,
    q: &Query,
    name: &str,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let manager = q
        .get("fieldManager")
        .filter(|m| !m.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request(
                "PATCH, application/apply-patch+yaml requests require fieldManager",
            )
        })?
        .to_string();
    let mut config = parse_config(body)?;
    if !config.is_object() || !(config["metadata"].is_object() || config["metadata"].is_null()) {
        return Err(ApiError::bad_request(
            "the apply configuration must be an object with object metadata",
        ));
    }
    if config["metadata"]["name"]
        .as_str()
        .is_some_and(|n| n != name)
    {
        return Err(ApiError::bad_request(
            "the name of the object in the body does not match the name in the URL",
        ));
    }
    if config["metadata"]
        .get("managedFields")
        .is_some_and(|m| !m.is_null())
    {
        return Err(ApiError::bad_request("metadata.managedFields must be nil"));
    }
    if let Some(v) = config["apiVersion"].as_str()
        && v != r.api_version()
    {
        return Err(ApiError::bad_request(format!(
            "Incorrect version specified in apply patch. Specified patch version: {v}, expected: {}",
            r.api_version()
        )));
    }
    // A resourceVersion in the configuration is a precondition, as for any write.
    let expected = config["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|v| v.parse::<i64>().ok());
    let schema = state.schema_of(r)?;
    let status_only = t.subresource.as_deref() == Some("status");
    let scope = if status_only {
        Scope::StatusOnly
    } else if r.has_subresource("status") {
        Scope::WithoutStatus
    } else {
        Scope::Whole
    };
    let api_version = r.api_version();
    let now = now_rfc3339();
    let defaulter = |v: &mut Value| apply_defaults(r, v);
    let applier = Applier {
        node: schema
            .as_ref()
            .map_or_else(Node::untyped, |(def, defs)| Node::new(def, defs)),
        manager: &manager,
        subresource: if status_only { "status" } else { "" },
        api_version: &api_version,
        force: q.flag("force"),
        scope,
        defaulter: &defaulter,
        now: &now,
    };
    // As the API server names the patch object in errors: `ns/name; group/version, Kind=K`.
    let identity = format!(
        "{}/{name}; {}/{}, Kind={}",
        config["metadata"]["namespace"].as_str().unwrap_or_default(),
        r.group,
        r.version,
        r.kind
    );
    let failed = |e: ApplyError| apply_error(e, &identity);
    match super::objects::get(state, r, t, name).await {
        Err(e) if e.code == 404 => {
            config["metadata"]["name"] = json!(name);
            let obj = applier.create(&config).map_err(failed)?;
            create(state, r, t, q, obj, false).await
        }
        Err(e) => Err(e),
        Ok(live) => {
            let live_version = live["metadata"]["resourceVersion"]
                .as_str()
                .and_then(|v| v.parse::<i64>().ok());
            // Nothing to change: answer without a write (no new resourceVersion, no event).
            if expected.is_none_or(|e| Some(e) == live_version)
                && applier.apply(&live, &config).map_err(failed)?.is_none()
            {
                return Ok(Reply::tree(live));
            }
            write_with(
                state,
                r,
                t,
                q,
                name,
                expected,
                |current| {
                    applier
                        .apply(current, &config)
                        .map(|o| o.unwrap_or_else(|| current.clone()))
                        .map_err(failed)
                },
                status_only,
                false,
            )
            .await
        }
    }
}

/// 409 with one `FieldManagerConflict` cause per field, as kubectl expects; a configuration
/// the schema rejects is the API server's "failed to create typed patch object" 500.
fn apply_error(e: ApplyError, identity: &str) -> ApiError {
    match e {
        ApplyError::Conflicts(conflicts) => {
            let causes: Vec<Value> = conflicts
                .iter()
                .map(|c| {
                    json!({"reason": "FieldManagerConflict",
                        "message": format!("conflict with {}", c.manager), "field": c.field})
                })
                .collect();
            ApiError::new(409, "Conflict", ssa::conflict_message(&conflicts))
                .details(json!({ "causes": causes }))
        }
        ApplyError::Invalid(e) => ApiError::new(
            500,
            "",
            format!("failed to create typed patch object ({identity}): {e}"),
        ),
    }
}

/// kubectl and kube-rs send the configuration as JSON; people may send YAML.
fn parse_config(body: &[u8]) -> Result<Value, ApiError> {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        return Ok(v);
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_request("apply configuration is not UTF-8"))?;
    let docs = crate::manifest::parse_documents(text, crate::manifest::Limits::default());
    let doc = docs
        .iter()
        .find(|d| d.root.is_some())
        .ok_or_else(|| ApiError::bad_request("empty apply configuration"))?;
    if let Some(issue) = doc.issues.first() {
        return Err(ApiError::bad_request(format!(
            "error decoding YAML: {}",
            issue.message
        )));
    }
    Ok(doc.tree.to_json(doc.root.expect("checked")))
}
