//! Reading objects: one, many in parallel, and lists.
//!
//! A kind the server does not serve has no objects: `get` and `fetch_all` answer `None` and
//! `list` nothing, rather than an error. A plan must be able to read the live state of a
//! custom resource whose CRD is created by the same plan; writing one still fails with
//! [`ClientError::UnknownKind`], which is where the mistake becomes real.

use futures_util::{StreamExt as _, TryStreamExt as _, stream};
use kube::core::Request;
use kube::core::params::{GetParams, ListParams};
use serde_json::Value;

use super::client::collection_url;
use super::{Client, ClientError, ObjectKey, ResourceInfo};

/// Parallel GETs in flight in `fetch_all`: enough to hide the round trip to a remote server,
/// few enough not to trip an API server's per-client rate limits (client-go's default burst
/// is 10-300 depending on the tool).
const FETCH_CONCURRENCY: usize = 16;

/// Objects per page of a LIST: kubectl's page size, which keeps each answer (and the server's
/// memory for it) bounded.
const LIST_PAGE: u32 = 500;

impl Client {
    /// The object, or `None` if there is none (404, or a kind the server does not serve).
    pub async fn get(&self, key: &ObjectKey) -> Result<Option<Value>, ClientError> {
        let Some(info) = self.resolve_for_read(&key.api_version, &key.kind).await? else {
            return Ok(None);
        };
        let url = self.collection(&info, key)?;
        let req = built(key, Request::new(url).get(&key.name, &GetParams::default()))?;
        match self.send(req, Some(key)).await {
            Ok(obj) => Ok(Some(with_type_meta(obj, &info))),
            Err(ClientError::Api { code: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every key with its object (or `None`), in the order given, read with a bounded number
    /// of requests in flight. The first error fails the whole read.
    pub async fn fetch_all(
        &self,
        keys: &[ObjectKey],
    ) -> Result<Vec<(ObjectKey, Option<Value>)>, ClientError> {
        // Owned keys: a closure over `&ObjectKey` makes the future not `Send` (a higher-ranked
        // lifetime the compiler cannot prove), and callers spawn this.
        stream::iter(keys.iter().cloned())
            .map(|key| async move {
                let found = self.get(&key).await?;
                Ok((key, found))
            })
            .buffered(FETCH_CONCURRENCY)
            .try_collect()
            .await
    }

    /// All objects of a kind, in one namespace or (with `None`, for a namespaced kind) in all
    /// of them, optionally filtered by a label selector (`app=web,tier!=db`). Read page by
    /// page, so a large collection never arrives as one answer.
    pub async fn list(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        label_selector: Option<&str>,
    ) -> Result<Vec<Value>, ClientError> {
        let Some(info) = self.resolve_for_read(api_version, kind).await? else {
            return Ok(Vec::new());
        };
        let url = collection_url(&info, namespace.filter(|_| info.namespaced))?;
        let mut params = ListParams {
            label_selector: label_selector.map(str::to_owned),
            limit: Some(LIST_PAGE),
            ..ListParams::default()
        };
        let mut items = Vec::new();
        loop {
            let req = built(&kind, Request::new(url.clone()).list(&params))?;
            let mut page = self.send(req, None).await?;
            if let Some(Value::Array(page_items)) = page.get_mut("items").map(Value::take) {
                items.extend(page_items.into_iter().map(|o| with_type_meta(o, &info)));
            }
            match page["metadata"]["continue"].as_str() {
                Some(token) if !token.is_empty() => params.continue_token = Some(token.to_owned()),
                _ => return Ok(items),
            }
        }
    }

    /// The resource of a kind, or `None` when the server does not serve it.
    async fn resolve_for_read(
        &self,
        api_version: &str,
        kind: &str,
    ) -> Result<Option<ResourceInfo>, ClientError> {
        match self.resolve(api_version, kind).await {
            Ok(info) => Ok(Some(info)),
            Err(ClientError::UnknownKind { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A request kube built, or why it could not (an empty name, invalid parameters), said about
/// `what` (the object, or the kind listed).
pub(super) fn built(
    what: &dyn std::fmt::Display,
    req: Result<http::Request<Vec<u8>>, kube::core::request::Error>,
) -> Result<http::Request<Vec<u8>>, ClientError> {
    req.map_err(|e| ClientError::InvalidObject(format!("{what}: {e}")))
}

/// `obj` with `apiVersion` and `kind` filled in where the server left them out: items of a
/// list of built-in kinds come without them, and every object kplan handles has them.
pub(super) fn with_type_meta(mut obj: Value, info: &ResourceInfo) -> Value {
    if let Value::Object(map) = &mut obj {
        if !map.get("apiVersion").is_some_and(Value::is_string) {
            map.insert("apiVersion".into(), info.api_version().into());
        }
        if !map.get("kind").is_some_and(Value::is_string) {
            map.insert("kind".into(), info.kind.clone().into());
        }
    }
    obj
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn list_items_get_their_type_back() {
        let info = ResourceInfo {
            group: "apps".into(),
            version: "v1".into(),
            kind: "Deployment".into(),
            plural: "deployments".into(),
            namespaced: true,
        };
        let item = with_type_meta(json!({"metadata": {"name": "web"}}), &info);
        assert_eq!(item["apiVersion"], "apps/v1");
        assert_eq!(item["kind"], "Deployment");
        let kept = with_type_meta(json!({"apiVersion": "apps/v1beta2", "kind": "X"}), &info);
        assert_eq!(
            kept["apiVersion"], "apps/v1beta2",
            "what the server says stays"
        );
    }
}
