//! Server-side apply (`application/apply-patch+yaml`).
//!
//! What is implemented: `fieldManager` is required; a missing object is created from the
//! applied configuration; an existing one has the configuration merged in (maps merged, lists
//! of named items merged by name, other lists replaced); the manager is recorded in
//! `managedFields` with operation `Apply` and the FieldsV1 set of the fields it applied.
//! Not yet: removal of fields a manager stopped applying, and 409 conflicts between managers
//! (see the issue's closing note).

use serde_json::{Map, Value, json};

use super::super::catalog::Resource;
use super::meta::now_rfc3339;
use super::objects::{create, write_with};
use super::patch::merge_patch;
use super::query::Query;
use super::state::ApiState;
use super::status::ApiError;
use super::target::Target;

pub async fn server_side_apply(
    state: &ApiState,
    r: &Resource,
    t: &Target,
    q: &Query,
    name: &str,
    body: &[u8],
) -> Result<Value, ApiError> {
    let manager = q
        .get("fieldManager")
        .filter(|m| !m.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request(
                "PATCH, application/apply-patch+yaml requests require fieldManager",
            )
        })?
        .to_string();
    let config = parse_config(body)?;
    if config["metadata"]["name"]
        .as_str()
        .is_some_and(|n| n != name)
    {
        return Err(ApiError::bad_request(
            "the name of the object in the body does not match the name in the URL",
        ));
    }
    let entry = json!({
        "manager": manager, "operation": "Apply", "apiVersion": r.api_version(),
        "time": now_rfc3339(), "fieldsType": "FieldsV1", "fieldsV1": fields_v1(&config),
    });
    let with_manager = |mut obj: Value| -> Value {
        let managed = obj["metadata"]["managedFields"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut managed: Vec<Value> = managed
            .into_iter()
            .filter(|m| !(m["manager"] == entry["manager"] && m["operation"] == "Apply"))
            .collect();
        managed.push(entry.clone());
        obj["metadata"]["managedFields"] = Value::Array(managed);
        obj
    };
    let exists = super::objects::get(state, r, t, name).await;
    match exists {
        Err(e) if e.code == 404 => {
            let mut obj = with_manager(config.clone());
            obj["metadata"]["name"] = json!(name);
            create(state, r, t, q, obj).await
        }
        Err(e) => Err(e),
        Ok(_) => {
            write_with(
                state,
                r,
                t,
                q,
                name,
                None,
                move |live| Ok(with_manager(merge_patch(live, &config, true))),
                t.subresource.as_deref() == Some("status"),
            )
            .await
        }
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

/// The FieldsV1 set of a configuration: `{"f:spec": {"f:replicas": {}}}`; list items of named
/// objects as `k:{"name":"web"}`, other lists as a whole.
pub fn fields_v1(config: &Value) -> Value {
    fn walk(v: &Value) -> Value {
        let mut out = Map::new();
        if let Value::Object(m) = v {
            for (k, child) in m {
                if matches!(k.as_str(), "apiVersion" | "kind") {
                    continue;
                }
                let entry = match child {
                    Value::Object(_) => walk(child),
                    Value::Array(items)
                        if items
                            .iter()
                            .all(|i| i.get("name").is_some_and(Value::is_string))
                            && !items.is_empty() =>
                    {
                        let mut keyed = Map::new();
                        for i in items {
                            let key = format!("k:{{\"name\":{}}}", i["name"]);
                            let mut inner = walk(i);
                            inner
                                .as_object_mut()
                                .expect("walk returns an object")
                                .insert(".".into(), json!({}));
                            keyed.insert(key, inner);
                        }
                        Value::Object(keyed)
                    }
                    _ => json!({}),
                };
                out.insert(format!("f:{k}"), entry);
            }
        }
        Value::Object(out)
    }
    let mut fields = walk(config);
    if let Some(meta) = fields.get_mut("f:metadata").and_then(Value::as_object_mut) {
        meta.remove("f:name");
        meta.remove("f:namespace");
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_v1_of_a_deployment() {
        let config = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w", "labels": {"a": "b"}},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "app", "image": "x"}]}}}});
        let f = fields_v1(&config);
        assert_eq!(f["f:metadata"], json!({"f:labels": {"f:a": {}}}));
        assert_eq!(f["f:spec"]["f:replicas"], json!({}));
        assert_eq!(
            f["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"app\"}"],
            json!({".": {}, "f:image": {}, "f:name": {}})
        );
    }
}
