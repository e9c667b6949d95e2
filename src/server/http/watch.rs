//! Watches: newline-delimited `WatchEvent`s over a chunked response, held open until
//! `timeoutSeconds` (or 30 minutes), from a resourceVersion or from "now" with synthetic
//! `ADDED` events for what exists.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::super::catalog::Resource;
use super::super::store::{EventType, StoreError};
use super::objects::{list, prefix, served_ref, store_error};
use super::query::Query;
use super::selector::Selector;
use super::state::ApiState;
use super::status::ApiError;
use super::table::table;
use super::target::Target;

/// Default and largest watch duration.
const MAX_WATCH: Duration = Duration::from_secs(30 * 60);

/// How often a watch that allows bookmarks gets one (the API server sends them about once a
/// minute; more often costs little and lets clients resume closer to the present).
const BOOKMARK_EVERY: Duration = Duration::from_secs(10);

pub async fn watch(
    state: std::sync::Arc<ApiState>,
    r: Resource,
    t: Target,
    q: Query,
    as_table: bool,
) -> Result<Response, ApiError> {
    let labels = Selector::parse(q.get("labelSelector").unwrap_or_default())
        .map_err(ApiError::bad_request)?;
    let fields = Selector::parse(q.get("fieldSelector").unwrap_or_default())
        .map_err(ApiError::bad_request)?;
    let from = q
        .get("resourceVersion")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    let timeout = q
        .number("timeoutSeconds")
        .and_then(|s| u64::try_from(s).ok())
        .map_or(MAX_WATCH, |s| Duration::from_secs(s).min(MAX_WATCH));
    let bookmarks = q.get("allowWatchBookmarks") == Some("true");
    // Streaming list ("watch-list"): the initial state as ADDED events, then a bookmark
    // annotated `k8s.io/initial-events-end`.
    let send_initial = q.get("sendInitialEvents") == Some("true");
    let mut initial = Vec::new();
    let start = if from == 0 || send_initial {
        // "Any version": send what exists as ADDED, then changes after that list's revision.
        let mut no_limit = q.clone();
        no_limit.remove("limit");
        no_limit.remove("continue");
        let (revision, items, _) = list(&state, &r, &t, &no_limit).await?;
        initial = items;
        revision
    } else {
        from
    };
    let watch_prefix = prefix(&r, t.namespace.as_deref());
    let store = state.store.clone();
    let mut stream = tokio::task::spawn_blocking(move || store.watch(&watch_prefix, start))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|e| store_error(e, &r, ""))?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(64);
    let bookmark = {
        let (api_version, kind) = (r.api_version(), r.kind.clone());
        move |revision: i64, initial_end: bool| -> Bytes {
            let mut object = json!({
                "kind": kind,
                "apiVersion": api_version,
                "metadata": {"resourceVersion": revision.to_string()},
            });
            if initial_end {
                object["metadata"]["annotations"] = json!({"k8s.io/initial-events-end": "true"});
            }
            let mut line = serde_json::to_vec(&json!({"type": "BOOKMARK", "object": object}))
                .unwrap_or_default();
            line.push(b'\n');
            Bytes::from(line)
        }
    };
    let encode = move |kind: &str, obj: &Value, rv: i64| -> Bytes {
        let obj = served_ref(obj, &r);
        let mut line = if as_table {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let object = table(&r, &[obj.into_owned()], Some(rv), None, now);
            serde_json::to_vec(&json!({"type": kind, "object": object}))
        } else {
            // Serialised straight from the shared event: no copy of the object.
            serde_json::to_vec(&Event {
                kind,
                object: obj.as_ref(),
            })
        }
        .unwrap_or_default();
        line.push(b'\n');
        Bytes::from(line)
    };
    tokio::spawn(async move {
        for obj in initial {
            let rv = obj["metadata"]["resourceVersion"]
                .as_str()
                .and_then(|v| v.parse().ok())
                .unwrap_or(start);
            if tx.send(Ok(encode("ADDED", &obj, rv))).await.is_err() {
                return;
            }
        }
        if send_initial && tx.send(Ok(bookmark(start, true))).await.is_err() {
            return;
        }
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let mut ticks =
            tokio::time::interval_at(tokio::time::Instant::now() + BOOKMARK_EVERY, BOOKMARK_EVERY);
        loop {
            tokio::select! {
                () = &mut deadline => {
                    // A last bookmark lets the client resume exactly where this watch ended.
                    if bookmarks {
                        let _ = tx.send(Ok(bookmark(stream.revision(), false))).await;
                    }
                    return;
                }
                _ = ticks.tick(), if bookmarks => {
                    if tx.send(Ok(bookmark(stream.revision(), false))).await.is_err() {
                        return;
                    }
                }
                () = tx.closed() => return,
                event = stream.next() => {
                    let line = match event {
                        Some(Err(StoreError::TooSlow | StoreError::Compacted { .. })) => {
                            let status = ApiError::new(410, "Expired", "the watch fell too far behind; list again").status();
                            let mut line = serde_json::to_vec(&json!({"type": "ERROR", "object": status})).unwrap_or_default();
                            line.push(b'\n');
                            let _ = tx.send(Ok(Bytes::from(line))).await;
                            return;
                        }
                        None | Some(Err(_)) => return,
                        Some(Ok(ev)) => {
                            let obj = &ev.object.value;
                            if !labels.matches_labels(obj) || !fields.matches_fields(obj) {
                                continue;
                            }
                            let kind = match ev.kind {
                                EventType::Added => "ADDED",
                                EventType::Modified => "MODIFIED",
                                EventType::Deleted => "DELETED",
                            };
                            encode(kind, obj, ev.object.revision)
                        }
                    };
                    if tx.send(Ok(line)).await.is_err() {
                        return;
                    }
                }
            }
        }
    });
    let body = Body::from_stream(tokio_stream_from(rx));
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

/// One line of a watch, borrowing its object.
#[derive(serde::Serialize)]
struct Event<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    object: &'a Value,
}

/// A `Stream` over an mpsc receiver, without another crate.
fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}
