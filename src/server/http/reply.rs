use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::super::catalog::Resource;
use super::super::store::Written;
use super::objects::{names_version, served};
use super::status::ApiError;

/// The object a create, update or patch answers with: a tree, or the bytes the store wrote.
/// A committed write answers with exactly what was stored, so it is never serialised twice.
#[derive(Debug)]
pub struct Reply {
    created: bool,
    body: Body,
}

#[derive(Debug)]
enum Body {
    Tree(Value),
    Json(Vec<u8>),
}

impl Reply {
    pub fn tree(value: Value) -> Self {
        Self {
            created: false,
            body: Body::Tree(value),
        }
    }

    /// A committed write of `r`. Stored objects name the version they were written as, which
    /// is the requested one; anything else is re-served as a tree.
    pub fn written(written: Written, r: &Resource) -> Self {
        let body = if names_version(&written.stored().value, r) {
            Body::Json(written.json)
        } else {
            Body::Tree(served(written.into_stored().value, r))
        };
        Self {
            created: false,
            body,
        }
    }

    /// An object as the store holds it. Its bytes are the answer when they name the requested
    /// version, which takes reading only `apiVersion` and `kind`, not building a tree.
    pub fn stored(json: Vec<u8>, r: &Resource) -> Result<Self, ApiError> {
        #[derive(serde::Deserialize)]
        struct Identity<'a> {
            #[serde(rename = "apiVersion", borrow)]
            api_version: Option<std::borrow::Cow<'a, str>>,
            #[serde(borrow)]
            kind: Option<std::borrow::Cow<'a, str>>,
        }
        let corrupt =
            |e: serde_json::Error| ApiError::internal(format!("stored object does not parse: {e}"));
        let identity: Identity<'_> = serde_json::from_slice(&json).map_err(corrupt)?;
        let body = if identity.kind.as_deref() == Some(r.kind.as_str())
            && identity.api_version.as_deref() == Some(r.api_version().as_str())
        {
            Body::Json(json)
        } else {
            Body::Tree(served(serde_json::from_slice(&json).map_err(corrupt)?, r))
        };
        Ok(Self {
            created: false,
            body,
        })
    }

    /// Answers 201 Created instead of 200.
    #[must_use]
    pub fn created(mut self) -> Self {
        self.created = true;
        self
    }

    /// The object as a tree, for callers that answer with something derived from it.
    pub fn into_value(self) -> Result<Value, ApiError> {
        match self.body {
            Body::Tree(value) => Ok(value),
            Body::Json(json) => serde_json::from_slice(&json)
                .map_err(|e| ApiError::internal(format!("stored object does not parse: {e}"))),
        }
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let code = if self.created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        };
        let bytes = match self.body {
            Body::Tree(value) => serde_json::to_vec(&value).unwrap_or_default(),
            Body::Json(json) => json,
        };
        json_bytes(code, bytes)
    }
}

/// A response of JSON text.
pub fn json_bytes(code: StatusCode, bytes: Vec<u8>) -> Response {
    let mut response = (code, bytes).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_and_its_bytes_answer_alike() {
        let value = serde_json::json!({"kind": "ConfigMap", "data": {"a": "b"}});
        let from_tree = Reply::tree(value.clone()).into_value().unwrap();
        let from_json = Reply {
            created: false,
            body: Body::Json(serde_json::to_vec(&value).unwrap()),
        }
        .into_value()
        .unwrap();
        assert_eq!(from_tree, from_json);
        assert_eq!(
            Reply::tree(value).created().into_response().status(),
            StatusCode::CREATED
        );
    }
}
