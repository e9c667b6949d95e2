//! CRUD on resources: get, list, create, update (PUT), patch (merge / JSON patch), delete.
//! Server-populated fields are set here; persistence and revisions are the store's.

use serde_json::{Map, Value, json};

use super::super::catalog::Resource;
use super::super::finalizers;
use super::super::random::name_suffix;
use super::super::store::{StoreError, Stored, Written};
use super::apply::ssa::{Node, Updater, record_update as record_managed_update};
use super::defaults::{apply_defaults, has_generation};
use super::meta::{new_uid, now_rfc3339};
use super::patch::{apply_json_patch, merge_patch};
use super::query::Query;
use super::reply::Reply;
use super::selector::Selector;
use super::smp::strategic_merge;
use super::state::ApiState;
use super::status::ApiError;
use super::target::Target;

/// The store key of an object: `/<group or core>/<plural>/<namespace>/<name>` (cluster-scoped
/// objects have no namespace segment). Versions share a key: one stored object per name.
pub fn key(r: &Resource, namespace: Option<&str>, name: &str) -> String {
    format!("{}{name}", prefix(r, namespace))
}

/// The key prefix of a collection (all namespaces when `namespace` is `None`).
pub fn prefix(r: &Resource, namespace: Option<&str>) -> String {
    let group = if r.group.is_empty() { "core" } else { &r.group };
    match (r.namespaced, namespace) {
        (true, Some(ns)) => format!("/{group}/{}/{ns}/", r.plural),
        _ => format!("/{group}/{}/", r.plural),
    }
}

pub fn store_error(e: StoreError, r: &Resource, name: &str) -> ApiError {
    match e {
        StoreError::NotFound => {
            ApiError::not_found(&r.qualified_plural(), &r.group, &r.plural, name)
        }
        StoreError::AlreadyExists => {
            ApiError::already_exists(&r.qualified_plural(), &r.group, &r.plural, name)
        }
        StoreError::Conflict { .. } => {
            ApiError::conflict(&r.qualified_plural(), &r.group, &r.plural, name)
        }
        StoreError::Compacted { compacted } => ApiError::new(
            410,
            "Expired",
            format!("too old resource version: (compacted {compacted})"),
        ),
        other => ApiError::internal(other.to_string()),
    }
}

/// [`served`] without a copy when the object already names the requested version, as stored
/// objects do unless a resource is served in several versions.
pub fn served_ref<'a>(value: &'a Value, r: &Resource) -> std::borrow::Cow<'a, Value> {
    if names_version(value, r) {
        std::borrow::Cow::Borrowed(value)
    } else {
        std::borrow::Cow::Owned(served(value.clone(), r))
    }
}

/// Whether `value` already names `r`'s kind and version, so it is served as it is.
pub fn names_version(value: &Value, r: &Resource) -> bool {
    value["kind"].as_str() == Some(r.kind.as_str())
        && value["apiVersion"].as_str() == Some(r.api_version().as_str())
}

/// The object as served: with `kind`/`apiVersion` of the requested version.
pub fn served(mut value: Value, r: &Resource) -> Value {
    if let Some(obj) = value.as_object_mut() {
        obj.insert("apiVersion".into(), json!(r.api_version()));
        obj.insert("kind".into(), json!(r.kind));
    }
    value
}

/// A GET's answer: the stored JSON as it is.
pub fn get_reply(
    state: &ApiState,
    r: &Resource,
    t: &Target,
    name: &str,
) -> Result<Reply, ApiError> {
    let key = key(r, t.namespace.as_deref(), name);
    match state
        .store
        .get_json(&key)
        .map_err(|e| store_error(e, r, name))?
    {
        Some((_, json)) => Reply::stored(json, r),
        None => Err(ApiError::not_found(
            &r.qualified_plural(),
            &r.group,
            &r.plural,
            name,
        )),
    }
}

pub async fn get(
    state: &ApiState,
    r: &Resource,
    t: &Target,
    name: &str,
) -> Result<Value, ApiError> {
    let key = key(r, t.namespace.as_deref(), name);
    let found = state.read(&key).map_err(|e| store_error(e, r, name))?;
    match found {
        Some(stored) => Ok(served(stored.value, r)),
        None => Err(ApiError::not_found(
            &r.qualified_plural(),
            &r.group,
            &r.plural,
            name,
        )),
    }
}

/// A LIST, filtered by label and field selectors, paginated with `limit`/`continue`.
pub async fn list(
    state: &ApiState,
    r: &Resource,
    t: &Target,
    q: &Query,
) -> Result<(i64, Vec<Value>, Option<String>), ApiError> {
    let labels = Selector::parse(q.get("labelSelector").unwrap_or_default())
        .map_err(ApiError::bad_request)?;
    let fields = Selector::parse(q.get("fieldSelector").unwrap_or_default())
        .map_err(ApiError::bad_request)?;
    let limit = usize::try_from(q.number("limit").unwrap_or(0)).unwrap_or(0);
    let (mut after, mut at) = (None, None);
    if let Some(token) = q.get("continue").filter(|c| !c.is_empty()) {
        let (rev, last) = decode_continue(token)
            .ok_or_else(|| ApiError::bad_request("invalid continue token"))?;
        after = Some(last);
        at = Some(rev);
    }
    let prefix = prefix(r, t.namespace.as_deref());
    let store = state.store.clone();
    let selective = !labels.is_empty() || !fields.is_empty();
    let matches = move |v: &Value| labels.matches_labels(v) && fields.matches_fields(v);
    let page = tokio::task::spawn_blocking(
        move || -> Result<(i64, Vec<Stored>, Option<String>), StoreError> {
            // With selectors, filter while paging through the store so that `limit` counts matches.
            let chunk = if selective { 500 } else { limit };
            let mut items = Vec::new();
            let mut cursor = after;
            loop {
                let batch = store.list(&prefix, cursor.as_deref(), chunk, at)?;
                at = Some(batch.revision);
                let n = batch.items.len();
                for (i, s) in batch.items.into_iter().enumerate() {
                    cursor = Some(s.key.clone());
                    if matches(&s.value) {
                        items.push(s);
                        if limit > 0 && items.len() == limit {
                            let more = i + 1 < n || batch.more;
                            return Ok((batch.revision, items, cursor.filter(|_| more)));
                        }
                    }
                }
                if !batch.more {
                    return Ok((batch.revision, items, None));
                }
            }
        },
    )
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
    .map_err(|e| store_error(e, r, ""))?;
    let (revision, items, next) = page;
    let token = next.map(|last| encode_continue(revision, &last));
    Ok((
        revision,
        items.into_iter().map(|s| served(s.value, r)).collect(),
        token,
    ))
}

fn encode_continue(revision: i64, last_key: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{revision}\n{last_key}"))
}

fn decode_continue(token: &str) -> Option<(i64, String)> {
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (rev, key) = text.split_once('\n')?;
    Some((rev.parse().ok()?, key.to_string()))
}

/// Checks the body names the same kind, version, namespace and name as the URL.
fn check_identity(body: &Value, r: &Resource, t: &Target) -> Result<(), ApiError> {
    let kind = body["kind"].as_str().unwrap_or(&r.kind);
    let api_version = body["apiVersion"]
        .as_str()
        .map_or_else(|| r.api_version(), str::to_string);
    if kind != r.kind || api_version != r.api_version() {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({api_version}) does not match the expected API version ({})",
            r.api_version()
        )));
    }
    if let (Some(url_ns), Some(body_ns)) = (
        t.namespace.as_deref(),
        body["metadata"]["namespace"].as_str(),
    ) && url_ns != body_ns
    {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    Ok(())
}

/// Metadata the server owns, on a new object.
fn populate_new(obj: &mut Value, r: &Resource, namespace: Option<&str>, name: &str) {
    let meta = obj["metadata"]
        .as_object_mut()
        .expect("metadata checked to be an object");
    meta.insert("name".into(), json!(name));
    if r.namespaced {
        meta.insert("namespace".into(), json!(namespace.unwrap_or("default")));
    } else {
        meta.remove("namespace");
    }
    meta.insert("uid".into(), json!(new_uid()));
    meta.insert("creationTimestamp".into(), json!(now_rfc3339()));
    if has_generation(r) {
        meta.insert("generation".into(), json!(1));
    } else {
        meta.remove("generation");
    }
    meta.remove("resourceVersion");
    meta.remove("deletionTimestamp");
    meta.remove("generateName")
        .map(|g| meta.insert("generateName".into(), g));
}

fn ensure_metadata(body: &mut Value) -> Result<(), ApiError> {
    let obj = body
        .as_object_mut()
        .ok_or_else(|| ApiError::bad_request("the request body is not a JSON object"))?;
    let meta = obj.entry("metadata").or_insert_with(|| json!({}));
    if meta.is_null() {
        *meta = json!({});
    }
    if !meta.is_object() {
        return Err(ApiError::bad_request("metadata must be an object"));
    }
    Ok(())
}

pub async fn create(
    state: &ApiState,
    r: &Resource,
    t: &Target,
    q: &Query,
    mut body: Value,
    records_update: bool,
) -> Result<Reply, ApiError> {
    ensure_metadata(&mut body)?;
    check_identity(&body, r, t)?;
    let name = match (
        body["metadata"]["name"].as_str(),
        body["metadata"]["generateName"].as_str(),
    ) {
        (Some(n), _) if !n.is_empty() => n.to_string(),
        (_, Some(prefix)) if !prefix.is_empty() => format!("{prefix}{}", name_suffix()),
        _ => {
            return Err(ApiError::new(422, "Invalid", format!("{} \"\" is invalid: metadata.name: Required value: name or generateName is required", r.kind))
                .details(json!({"kind": r.kind, "causes": [{"reason": "FieldValueRequired", "message": "Required value: name or generateName is required", "field": "metadata.name"}]})));
        }
    };
    let namespace = if r.namespaced {
        Some(
            t.namespace
                .clone()
                .or_else(|| body["metadata"]["namespace"].as_str().map(str::to_string))
                .unwrap_or_else(|| "default".into()),
        )
    } else {
        None
    };
    populate_new(&mut body, r, namespace.as_deref(), &name);
    if r.has_subresource("status") && r.kind != "Namespace" {
        // Status is written through /status only; a create starts without it.
        if let Some(obj) = body.as_object_mut() {
            obj.remove("status");
        }
    }
    apply_defaults(r, &mut body);
    if records_update {
        record_update(state, r, t, q, None, &mut body)?;
    }
    let mut warnings = Vec::new();
    if let Err(invalid) = state.validate(r, &body, q, &mut warnings) {
        // The API server's admission refuses a missing namespace before validation looks.
        if let Some(ns) = &namespace {
            state.require_namespace(ns)?;
        }
        return Err(invalid);
    }
    let body = served(body, r);
    if q.dry_run() {
        if let Some(ns) = &namespace {
            state.require_namespace(ns)?;
        }
        return Ok(Reply::tree(body).created());
    }
    let key = key(r, namespace.as_deref(), &name);
    // The writer checks the namespace in the create's transaction: one lookup, and no
    // namespace deletion can land between the check and the write.
    let namespace_key = namespace.as_deref().map(|ns| state.namespace_key(ns));
    let stored = match state.store.create_requiring(key, namespace_key, body).await {
        Err(StoreError::RequiredMissing(_)) => {
            let ns = namespace.as_deref().unwrap_or_default();
            return Err(ApiError::not_found("namespaces", "", "namespaces", ns));
        }
        other => other.map_err(|e| store_error(e, r, &name))?,
    };
    state.after_write(r, &stored.stored().value, false);
    Ok(Reply::written(stored, r).created())
}

/// Keeps what the server owns from the stored object; bumps generation when the spec changed.
fn carry_over(new: &mut Value, old: &Value, r: &Resource, status_only: bool) {
    if status_only {
        let status = new.get("status").cloned();
        *new = old.clone();
        if let Some(s) = status {
            new["status"] = s;
        }
        return;
    }
    let meta = new["metadata"]
        .as_object_mut()
        .expect("metadata checked to be an object");
    for field in [
        "uid",
        "creationTimestamp",
        "name",
        "namespace",
        "generation",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
    ] {
        match old["metadata"].get(field) {
            Some(v) => {
                meta.insert(field.into(), v.clone());
            }
            None => {
                meta.remove(field);
            }
        }
    }
    if r.has_subresource("status") {
        match old.get("status") {
            Some(s) => new["status"] = s.clone(),
            None => {
                new.as_object_mut().map(|o| o.remove("status"));
            }
        }
    }
    // The cluster IP is allocated once; an update that leaves it out keeps it.
    if r.kind == "Service" && r.group.is_empty() && new["spec"].get("clusterIP").is_none() {
        for field in ["clusterIP", "clusterIPs"] {
            if let Some(v) = old["spec"].get(field) {
                new["spec"][field] = v.clone();
            }
        }
    }
    apply_defaults(r, new);
    if has_generation(r) {
        let spec_changed = strip_meta(new) != strip_meta(old);
        let generation = old["metadata"]["generation"].as_i64().unwrap_or(1);
        new["metadata"]["generation"] = json!(if spec_changed {
            generation + 1
        } else {
            generation
        });
    } else if let Some(m) = new["metadata"].as_object_mut() {
        m.remove("generation");
    }
}

/// What bumps `generation`: everything but metadata and status.
fn strip_meta(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("metadata");
        o.remove("status");
        o.remove("apiVersion");
        o.remove("kind");
    }
    v
}

pub async fn update(
    state: &ApiState,
    r: &Resource,
    t: &Target,
    q: &Query,
    name: &str,
    mut body: Value,
) -> Result<Reply, ApiError> {
    ensure_metadata(&mut body)?;
    check_identity(&body, r, t)?;
    let expected = body["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|v| v.parse::<i64>().ok());
    let status_only = t.subresource.as_deref() == Some("status");
    write_with(
        state,
        r,
        t,
        q,
        name,
        expected,
        move |_| Ok(body.clone()),
        status_only,
        true,
    )
    .await
}

/// Records a write that is not an apply in `managedFields` as an `Update` by the request's
/// field manager (the route fills it in from the User-Agent when the client names none).
fn record_update(
    state: &ApiState,
    r: &Resource,
    t: &Target,
    q: &Query,
    old: Option<&Value>,
    new: &mut Value,
) -> Result<(), ApiError> {
    let schema = state.schema_of(r)?;
    let node = schema
        .as_ref()
        .map_or_else(Node::untyped, |(def, defs)| Node::new(def, defs));
    let api_version = r.api_version();
    let now = now_rfc3339();
    let who = Updater {
        manager: q.get("fieldManager").unwrap_or("unknown"),
        api_version: &api_version,
        subresource: t.subresource.as_deref().unwrap_or_default(),
        now: &now,
    };
    record_managed_update(old, new, node, who).map_err(|e| {
        ApiError::new(
            500,
            "InternalError",
            format!("failed to update managedFields: {e}"),
        )
    })
}

/// Read-modify-write: `change` maps the stored object to the new one. Retries on a lost race
/// when the caller gave no precondition, as the API server does for patches.
#[allow(clippy::too_many_arguments)]
pub async fn write_with(
    state: &ApiState,
    r: &Resource,
    t: &Target,
    q: &Query,
    name: &str,
    expected: Option<i64>,
    change: impl Fn(&Value) -> Result<Value, ApiError>,
    status_only: bool,
    records_update: bool,
) -> Result<Reply, ApiError> {
    let key = key(r, t.namespace.as_deref(), name);
    for _ in 0..8 {
        let current: Option<Stored> = state.read(&key).map_err(|e| store_error(e, r, name))?;
        let Some(current) = current else {
            return Err(ApiError::not_found(
                &r.qualified_plural(),
                &r.group,
                &r.plural,
                name,
            ));
        };
        if expected.is_some_and(|e| e != current.revision) {
            return Err(ApiError::conflict(
                &r.qualified_plural(),
                &r.group,
                &r.plural,
                name,
            ));
        }
        let mut new = change(&current.value)?;
        ensure_metadata(&mut new)?;
        carry_over(&mut new, &current.value, r, status_only);
        if records_update {
            record_update(state, r, t, q, Some(&current.value), &mut new)?;
        }
        let added = finalizers::added_while_deleting(&current.value, &new);
        if !added.is_empty() {
            return Err(new_finalizers_refused(r, name, &added));
        }
        let mut warnings = Vec::new();
        state.validate(r, &new, q, &mut warnings)?;
        let new = served(new, r);
        if q.dry_run() {
            return Ok(Reply::tree(new));
        }
        if finalizers::released(&current.value, &new) {
            // The last finalizer is off an object whose deletion was pending: it goes now.
            match state
                .store
                .delete(key.clone(), Some(current.revision))
                .await
            {
                Ok(deleted) => {
                    state.after_write(r, &deleted.value, true);
                    return Ok(Reply::tree(served(deleted.value, r)));
                }
                Err(StoreError::Conflict { .. }) if expected.is_none() => continue,
                Err(e) => return Err(store_error(e, r, name)),
            }
        }
        match state
            .store
            .update(key.clone(), Some(current.revision), new)
            .await
        {
            Ok(stored) => {
                state.after_write(r, &stored.stored().value, false);
                return Ok(Reply::written(stored, r));
            }
            Err(StoreError::Conflict { .. }) if expected.is_none() => {}
            Err(e) => return Err(store_error(e, r, name)),
        }
    }
    Err(ApiError::conflict(
        &r.qualified_plural(),
        &r.group,
        &r.plural,
        name,
    ))
}

pub async fn patch(
    state: &ApiState,
    r: &Resource,
    t: &Target,
    q: &Query,
    name: &str,
    content_type: &str,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let status_only = t.subresource.as_deref() == Some("status");
    let ct = content_type.split(';').next().unwrap_or_default().trim();
    match ct {
        "application/merge-patch+json" | "application/strategic-merge-patch+json" => {
            let patch: Value = serde_json::from_slice(body)
                .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
            if !ct.starts_with("application/strategic") {
                return write_with(
                    state,
                    r,
                    t,
                    q,
                    name,
                    None,
                    move |cur| Ok(merge_patch(cur, &patch)),
                    status_only,
                    true,
                )
                .await;
            }
            if r.custom {
                return Err(ApiError::new(
                    415,
                    "UnsupportedMediaType",
                    "strategic merge patch is not supported for custom resources; use a merge patch or server-side apply",
                ));
            }
            let schema = state.schema_of(r)?;
            write_with(
                state,
                r,
                t,
                q,
                name,
                None,
                move |cur| {
                    let node = schema
                        .as_ref()
                        .map_or_else(Node::untyped, |(def, defs)| Node::new(def, defs));
                    strategic_merge(cur, &patch, node).map_err(ApiError::bad_request)
                },
                status_only,
                true,
            )
            .await
        }
        "application/json-patch+json" => {
            let ops: Value = serde_json::from_slice(body)
                .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
            write_with(
                state,
                r,
                t,
                q,
                name,
                None,
                move |cur| apply_json_patch(cur, &ops).map_err(ApiError::bad_request),
                status_only,
                true,
            )
            .await
        }
        "application/apply-patch+yaml" => {
            super::apply::server_side_apply(state, r, t, q, name, body).await
        }
        other => Err(ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got {other})"
            ),
        )),
    }
}

/// What a DELETE asks beyond the name, from the query or the DeleteOptions body (kubectl and
/// client-go send a body): `propagationPolicy` (`Orphan` keeps dependents; the legacy
/// `orphanDependents: true` means the same) and `dryRun: ["All"]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeleteOptions {
    pub orphan: bool,
    pub foreground: bool,
    pub dry_run: bool,
}

impl DeleteOptions {
    pub fn read(q: &Query, body: &[u8]) -> DeleteOptions {
        let options: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let policy = q
            .get("propagationPolicy")
            .map(str::to_string)
            .or_else(|| options["propagationPolicy"].as_str().map(str::to_string));
        let body_dry_run = options["dryRun"]
            .as_array()
            .is_some_and(|a| a.iter().any(|v| v == "All"));
        let orphan = match policy.as_deref() {
            Some(p) => p == "Orphan",
            None => options["orphanDependents"] == true,
        };
        DeleteOptions {
            orphan,
            foreground: policy.as_deref() == Some("Foreground"),
            dry_run: q.dry_run() || body_dry_run,
        }
    }
}

/// Deletes; what the object owned is deleted by the controllers' garbage collector
/// (background propagation), unless orphaned — then dependents lose the owner reference.
pub async fn delete(
    state: &ApiState,
    r: &Resource,
    t: &Target,
    name: &str,
    options: DeleteOptions,
) -> Result<Value, ApiError> {
    let key = key(r, t.namespace.as_deref(), name);
    let not_found = || ApiError::not_found(&r.qualified_plural(), &r.group, &r.plural, name);
    let foreground =
        (options.foreground && state.garbage_collector).then_some(finalizers::FOREGROUND);
    for _ in 0..8 {
        let current = state
            .read(&key)
            .map_err(|e| store_error(e, r, name))?
            .ok_or_else(not_found)?;
        let marked = finalizers::mark_for_deletion(&current.value, foreground, &now_rfc3339());
        if options.dry_run {
            return Ok(served(marked.unwrap_or(current.value), r));
        }
        if finalizers::being_deleted(&current.value)
            && marked
                .as_ref()
                .is_none_or(|m| finalizers::finalizers(m) == finalizers::finalizers(&current.value))
        {
            // Already pending, and nothing to add: a second DELETE changes nothing.
            return Ok(served(current.value, r));
        }
        if options.orphan
            && let Some(uid) = current.value["metadata"]["uid"].as_str()
        {
            state.orphan_dependents(uid, t.namespace.as_deref()).await;
        }
        let deleted = marked.is_none();
        let result = match marked {
            // Finalizers first: the object stays, marked, until the last one is taken off.
            Some(mut marked) => {
                if finalizers::being_deleted(&current.value) {
                    marked["metadata"]["deletionTimestamp"] =
                        current.value["metadata"]["deletionTimestamp"].clone();
                }
                state
                    .store
                    .update(key.clone(), Some(current.revision), marked)
                    .await
                    .map(Written::into_stored)
            }
            None => {
                state
                    .store
                    .delete(key.clone(), Some(current.revision))
                    .await
            }
        };
        let stored = match result {
            Ok(stored) => stored,
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(store_error(e, r, name)),
        };
        state.after_write(r, &stored.value, deleted);
        if deleted && r.kind == "Namespace" && r.group.is_empty() {
            state.delete_namespace_contents(name).await;
        }
        return Ok(served(stored.value, r));
    }
    Err(ApiError::conflict(
        &r.qualified_plural(),
        &r.group,
        &r.plural,
        name,
    ))
}

/// 422, worded as the API server words it.
fn new_finalizers_refused(r: &Resource, name: &str, added: &[&str]) -> ApiError {
    let quoted: Vec<String> = added.iter().map(|f| format!("{f:?}")).collect();
    let message = format!(
        "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{{{}}}",
        quoted.join(", ")
    );
    ApiError::new(
        422,
        "Invalid",
        format!("{} \"{name}\" is invalid: metadata.finalizers: {message}", r.kind),
    )
    .details(json!({"name": name, "group": r.group, "kind": r.plural,
        "causes": [{"reason": "FieldValueForbidden", "message": message, "field": "metadata.finalizers"}]}))
}

/// `XxxList` with the list's resourceVersion and continue token.
pub fn list_object(r: &Resource, revision: i64, items: Vec<Value>, token: Option<String>) -> Value {
    let mut meta = Map::new();
    meta.insert("resourceVersion".into(), json!(revision.to_string()));
    if let Some(t) = token {
        meta.insert("continue".into(), json!(t));
    }
    json!({"kind": format!("{}List", r.kind), "apiVersion": r.api_version(), "metadata": meta, "items": Value::Array(items)})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delete_options_come_from_the_query_or_the_body() {
        let none = Query::parse(None);
        assert_eq!(DeleteOptions::read(&none, b""), DeleteOptions::default());
        let body = br#"{"kind":"DeleteOptions","dryRun":["All"],"propagationPolicy":"Orphan"}"#;
        assert_eq!(
            DeleteOptions::read(&none, body),
            DeleteOptions {
                orphan: true,
                foreground: false,
                dry_run: true
            }
        );
        let foreground = Query::parse(Some("propagationPolicy=Foreground"));
        assert!(DeleteOptions::read(&foreground, b"").foreground);
        let q = Query::parse(Some("dryRun=All&propagationPolicy=Background"));
        assert_eq!(
            DeleteOptions::read(&q, br#"{"orphanDependents":true}"#),
            DeleteOptions {
                orphan: false,
                foreground: false,
                dry_run: true
            },
            "the query wins over the body"
        );
    }

    #[test]
    fn continue_tokens_round_trip() {
        let t = encode_continue(42, "/apps/deployments/shop/web");
        assert_eq!(
            decode_continue(&t),
            Some((42, "/apps/deployments/shop/web".into()))
        );
        assert!(decode_continue("not base64 !").is_none());
    }

    #[test]
    fn generation_moves_only_with_the_spec() {
        let r = super::super::super::catalog::Catalog::builtin()
            .find("apps", "v1", "deployments")
            .unwrap();
        // Stored objects are always defaulted.
        let mut old = json!({"metadata": {"name": "w", "uid": "u", "generation": 3}, "spec": {"replicas": 1}, "status": {"replicas": 1}});
        apply_defaults(&r, &mut old);
        let mut same = json!({"metadata": {"name": "w", "labels": {"a": "b"}}, "spec": {"replicas": 1}, "status": {"replicas": 9}});
        carry_over(&mut same, &old, &r, false);
        assert_eq!(same["metadata"]["generation"], 3);
        assert_eq!(
            same["status"]["replicas"], 1,
            "status is only written through /status"
        );
        assert_eq!(same["metadata"]["uid"], "u");
        let mut changed = json!({"metadata": {"name": "w"}, "spec": {"replicas": 2}});
        carry_over(&mut changed, &old, &r, false);
        assert_eq!(changed["metadata"]["generation"], 4);
    }
}
