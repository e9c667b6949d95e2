//! Writing objects: server-side apply (what `kplan apply` uses), create, replace and delete.

use kube::core::Request;
use kube::core::params::{DeleteParams, Patch, PatchParams, PostParams, ValidationDirective};
use serde_json::Value;

use super::read::{built, with_type_meta};
use super::{ApplyOptions, Client, ClientError, ObjectKey, Propagation, ResourceInfo};

/// The field manager of creates and replaces (applies name theirs in [`ApplyOptions`]).
const FIELD_MANAGER: &str = "kplan";

impl Client {
    /// Server-side apply of `obj` (a PATCH `application/apply-patch+yaml`): creates it or
    /// merges it into the live object, owning the fields it sets as `opts.field_manager`.
    /// Answers with the object as stored (or, with `dry_run`, as it would be stored).
    ///
    /// Unknown fields are refused (`fieldValidation=Strict`, as `kubectl apply` sends). Fields
    /// owned by another manager with a different value fail with [`ClientError::Conflict`]
    /// unless `opts.force`.
    pub async fn apply(&self, obj: &Value, opts: &ApplyOptions) -> Result<Value, ClientError> {
        let key = ObjectKey::of(obj)?;
        let info = self.resolve(&key.api_version, &key.kind).await?;
        let url = self.collection(&info, &key)?;
        let params = PatchParams {
            dry_run: opts.dry_run,
            force: opts.force,
            field_manager: Some(opts.field_manager.clone()),
            field_validation: Some(ValidationDirective::Strict),
        };
        let req = built(
            &key,
            Request::new(url).patch(&key.name, &params, &Patch::Apply(obj)),
        )?;
        let stored = self.send(req, Some(&key)).await?;
        self.wrote(&info, opts.dry_run);
        Ok(with_type_meta(stored, &info))
    }

    /// Creates `obj` (POST); fails with `AlreadyExists` (409) if it exists.
    pub async fn create(&self, obj: &Value, dry_run: bool) -> Result<Value, ClientError> {
        self.post_or_put(obj, dry_run, |url, _, params, body| {
            Request::new(url).create(params, body)
        })
        .await
    }

    /// Replaces the live object with `obj` (PUT). `obj` must carry the live
    /// `metadata.resourceVersion`: a stale one fails with a 409 Conflict, so a replace never
    /// overwrites a change it did not see.
    pub async fn replace(&self, obj: &Value, dry_run: bool) -> Result<Value, ClientError> {
        self.post_or_put(obj, dry_run, |url, key, params, body| {
            Request::new(url).replace(&key.name, params, body)
        })
        .await
    }

    /// A create or replace of `obj` as `FIELD_MANAGER`: `request` builds the call from the
    /// collection URL, the object's key, the parameters and the JSON body.
    async fn post_or_put(
        &self,
        obj: &Value,
        dry_run: bool,
        request: impl FnOnce(
            String,
            &ObjectKey,
            &PostParams,
            Vec<u8>,
        ) -> Result<http::Request<Vec<u8>>, kube::core::request::Error>,
    ) -> Result<Value, ClientError> {
        let key = ObjectKey::of(obj)?;
        let info = self.resolve(&key.api_version, &key.kind).await?;
        let url = self.collection(&info, &key)?;
        let params = PostParams {
            dry_run,
            field_manager: Some(FIELD_MANAGER.to_owned()),
        };
        let body =
            serde_json::to_vec(obj).map_err(|e| ClientError::InvalidObject(e.to_string()))?;
        let stored = self
            .send(built(&key, request(url, &key, &params, body))?, Some(&key))
            .await?;
        self.wrote(&info, dry_run);
        Ok(with_type_meta(stored, &info))
    }

    /// Deletes the object. `Ok(None)` if there was none (404, or a kind the server does not
    /// serve); otherwise what the server answered: the object, still there while finalizers
    /// (or `Foreground` propagation) hold it, or a `Status` once it is gone.
    pub async fn delete(
        &self,
        key: &ObjectKey,
        propagation: Propagation,
        dry_run: bool,
    ) -> Result<Option<Value>, ClientError> {
        let info = match self.resolve(&key.api_version, &key.kind).await {
            Ok(info) => info,
            Err(ClientError::UnknownKind { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let url = self.collection(&info, key)?;
        let params = DeleteParams {
            dry_run,
            propagation_policy: Some(propagation.into()),
            ..DeleteParams::default()
        };
        let req = built(key, Request::new(url).delete(&key.name, &params))?;
        let req = with_delete_query(req, propagation, dry_run);
        match self.send(req, Some(key)).await {
            Ok(answer) => {
                self.wrote(&info, dry_run);
                Ok(Some(answer))
            }
            Err(ClientError::Api { code: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// After a write: a CustomResourceDefinition changes which kinds exist, so discovery
    /// starts over.
    fn wrote(&self, info: &ResourceInfo, dry_run: bool) {
        if !dry_run
            && info.group == "apiextensions.k8s.io"
            && info.kind == "CustomResourceDefinition"
        {
            self.discovery.forget();
        }
    }
}

/// kube sends a delete's options only as a `DeleteOptions` body; the API server reads them from
/// the query too, and `kplan serve` (so far) only from there — where a dry run that is not
/// seen is a real delete. Saying them in both places is what every server understands.
fn with_delete_query(
    mut req: http::Request<Vec<u8>>,
    propagation: Propagation,
    dry_run: bool,
) -> http::Request<Vec<u8>> {
    let policy = match propagation {
        Propagation::Background => "Background",
        Propagation::Foreground => "Foreground",
    };
    let mut query = format!("propagationPolicy={policy}");
    if dry_run {
        query.push_str("&dryRun=All");
    }
    let uri = req.uri().to_string();
    let joined = match uri.split_once('?') {
        Some((path, "")) => format!("{path}?{query}"),
        Some(_) => format!("{uri}&{query}"),
        None => format!("{uri}?{query}"),
    };
    if let Ok(uri) = joined.parse() {
        *req.uri_mut() = uri;
    }
    req
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delete_uri(propagation: Propagation, dry_run: bool) -> String {
        let params = DeleteParams {
            dry_run,
            propagation_policy: Some(propagation.into()),
            ..DeleteParams::default()
        };
        let req = Request::new("/api/v1/namespaces/shop/configmaps")
            .delete("web", &params)
            .unwrap();
        with_delete_query(req, propagation, dry_run)
            .uri()
            .to_string()
    }

    #[test]
    fn delete_options_are_also_in_the_query() {
        assert_eq!(
            delete_uri(Propagation::Foreground, true),
            "/api/v1/namespaces/shop/configmaps/web?propagationPolicy=Foreground&dryRun=All"
        );
        assert_eq!(
            delete_uri(Propagation::Background, false),
            "/api/v1/namespaces/shop/configmaps/web?propagationPolicy=Background"
        );
    }
}
