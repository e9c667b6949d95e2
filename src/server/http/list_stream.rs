//! A full LIST streamed page by page from one store snapshot, so that listing 10,000 objects
//! holds one page in memory rather than the whole list twice (parsed and serialised).

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::super::catalog::Resource;
use super::objects::{prefix, served};
use super::state::ApiState;
use super::target::Target;

const PAGE: usize = 500;

pub fn stream(state: Arc<ApiState>, r: Resource, t: &Target) -> Response {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let prefix = prefix(&r, t.namespace.as_deref());
    tokio::task::spawn_blocking(move || {
        let mut after: Option<String> = None;
        let mut at = None;
        let mut first = true;
        loop {
            let page = match state.store.list(&prefix, after.as_deref(), PAGE, at) {
                Ok(p) => p,
                Err(e) => {
                    // Headers are sent already; ending the body early makes the client fail
                    // on truncated JSON, which is the honest outcome.
                    let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
                    return;
                }
            };
            let mut chunk = Vec::new();
            if at.is_none() {
                at = Some(page.revision);
                let head = json!({"kind": format!("{}List", r.kind), "apiVersion": r.api_version(),
                    "metadata": {"resourceVersion": page.revision.to_string()}});
                let mut head = serde_json::to_vec(&head).unwrap_or_default();
                head.pop(); // reopen the object to append `items`
                chunk.extend_from_slice(&head);
                chunk.extend_from_slice(b",\"items\":[");
            }
            for item in page.items {
                after = Some(item.key.clone());
                if !first {
                    chunk.push(b',');
                }
                first = false;
                let _ = serde_json::to_writer(&mut chunk, &served(item.value, &r));
            }
            if !page.more {
                chunk.extend_from_slice(b"]}");
                let _ = tx.blocking_send(Ok(Bytes::from(chunk)));
                return;
            }
            if tx.blocking_send(Ok(Bytes::from(chunk))).is_err() {
                return;
            }
        }
    });
    let body = Body::from_stream(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)));
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
