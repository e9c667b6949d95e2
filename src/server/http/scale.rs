//! The `scale` subresource (`autoscaling/v1` `Scale`), which `kubectl scale` reads and patches.

use axum::http::Method;
use serde_json::{Value, json};

use super::super::catalog::Resource;
use super::objects::{get, write_with};
use super::patch::{apply_json_patch, merge_patch};
use super::query::Query;
use super::state::ApiState;
use super::status::ApiError;
use super::target::Target;

fn to_scale(obj: &Value) -> Value {
    let labels = obj["spec"]["selector"]["matchLabels"].as_object();
    let selector = labels
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| format!("{k}={v}")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    json!({
        "kind": "Scale", "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": obj["metadata"]["name"], "namespace": obj["metadata"]["namespace"], "uid": obj["metadata"]["uid"],
            "resourceVersion": obj["metadata"]["resourceVersion"], "creationTimestamp": obj["metadata"]["creationTimestamp"],
        },
        "spec": {"replicas": obj["spec"]["replicas"].as_i64().unwrap_or(1)},
        "status": {"replicas": obj["status"]["replicas"].as_i64().unwrap_or(0), "selector": selector},
    })
}

/// Turns the stored object into the Scale the client wants written.
type ScaleChange = Box<dyn Fn(&Value) -> Result<Value, ApiError> + Send + Sync>;

#[allow(clippy::too_many_arguments)]
pub async fn handle(
    state: &ApiState,
    r: &Resource,
    t: &Target,
    q: &Query,
    method: &Method,
    name: &str,
    content_type: &str,
    body: &[u8],
) -> Result<Value, ApiError> {
    let mut main = t.clone();
    main.subresource = None;
    if *method == Method::GET {
        return Ok(to_scale(&get(state, r, &main, name).await?));
    }
    let (incoming, expected): (ScaleChange, Option<i64>) = match method.as_str() {
        "PUT" => {
            let scale: Value =
                serde_json::from_slice(body).map_err(|e| ApiError::bad_request(e.to_string()))?;
            let expected = scale["metadata"]["resourceVersion"]
                .as_str()
                .and_then(|v| v.parse().ok());
            (Box::new(move |_cur: &Value| Ok(scale.clone())), expected)
        }
        "PATCH" => {
            let patch: Value =
                serde_json::from_slice(body).map_err(|e| ApiError::bad_request(e.to_string()))?;
            let json_patch = content_type.starts_with("application/json-patch");
            (
                Box::new(move |cur: &Value| {
                    let scale = to_scale(cur);
                    if json_patch {
                        apply_json_patch(&scale, &patch).map_err(ApiError::bad_request)
                    } else {
                        Ok(merge_patch(&scale, &patch))
                    }
                }),
                None,
            )
        }
        _ => {
            return Err(ApiError::method_not_allowed(
                "scale supports get, update and patch",
            ));
        }
    };
    let updated = write_with(
        state,
        r,
        t,
        q,
        name,
        expected,
        move |cur| {
            let scale = incoming(cur)?;
            let replicas = scale["spec"]["replicas"]
                .as_i64()
                .ok_or_else(|| ApiError::bad_request("Scale.spec.replicas must be an integer"))?;
            let mut next = cur.clone();
            next["spec"]["replicas"] = json!(replicas);
            Ok(next)
        },
        false,
        true,
    )
    .await?
    .into_value()?;
    Ok(to_scale(&updated))
}
