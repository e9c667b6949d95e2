//! The REST API of the bundled control plane, on axum + rustls.
//!
//! One fallback handler parses every path itself ([`target::Target`]): Kubernetes paths are
//! regular but too many for a route table (core vs named groups, namespaced vs cluster-scoped,
//! subresources), and over HTTP/2 the request URI is absolute, so only `uri.path()` is used.

mod apply;
mod defaults;
mod discovery;
mod list_stream;
pub(in crate::server) mod meta;
mod metrics;
mod objects;
mod openapi;
mod patch;
mod protobuf;
mod query;
mod reply;
mod scale;
mod selector;
mod smp;
mod state;
mod status;
mod table;
mod target;
mod watch;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::schema::KubeVersion;

use super::bootstrap::{BootstrapError, Credentials, DataDir, install_crypto_provider};
use super::catalog::Resource;
use super::controllers::{Controllers, SimOptions};
use super::store::{Store, StoreError};

pub use state::ApiState;
pub use status::ApiError;

/// How to run a server.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub version: KubeVersion,
    /// One line per request on stderr (`kplan serve -v`): method, path, status, duration.
    pub log_requests: bool,
    /// The simulated controllers, nodes and kubelet.
    pub sim: SimOptions,
}

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Bootstrap(#[from] BootstrapError),
    #[error("cannot open the store in {dir}: {source}")]
    Store { dir: String, source: StoreError },
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A started server: where it listens and how to reach it. Dropping it does not stop it; call
/// [`RunningServer::shutdown`].
pub struct RunningServer {
    pub addr: SocketAddr,
    pub kubeconfig: PathBuf,
    handle: axum_server::Handle<SocketAddr>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    store: Store,
    controllers: Option<Controllers>,
    _data_dir: DataDir,
}

impl RunningServer {
    /// Stops accepting, lets open requests finish (watches are cut after a second), closes the store.
    pub async fn shutdown(self) {
        self.handle
            .graceful_shutdown(Some(std::time::Duration::from_secs(1)));
        let _ = self.task.await;
        if let Some(c) = self.controllers {
            c.stop().await;
        }
        self.store.close();
    }

    /// Waits until the server stops on its own (it only does on an I/O error).
    pub async fn wait(&mut self) -> std::io::Result<()> {
        (&mut self.task)
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)))
    }
}

struct AppState {
    api: Arc<ApiState>,
    creds: Credentials,
    log_requests: bool,
}

/// Starts a server in this tokio runtime: lock the data dir, load or create credentials, open
/// the store, bind, write the kubeconfig, serve.
pub async fn start(options: ServeOptions) -> Result<RunningServer, ServeError> {
    install_crypto_provider();
    let data_dir = DataDir::open(&options.data_dir)?;
    let extra = vec![options.listen.ip().to_string()];
    let creds = data_dir.credentials(&extra)?;
    let store = Store::open(&options.data_dir).map_err(|source| ServeError::Store {
        dir: options.data_dir.display().to_string(),
        source,
    })?;
    let mut api = ApiState::new(store.clone(), options.version);
    api.garbage_collector = options.sim.enabled;
    let api = Arc::new(api);
    api.load_crds().map_err(|e| ServeError::Store {
        dir: options.data_dir.display().to_string(),
        source: StoreError::Corrupt(e.message),
    })?;
    let listener =
        std::net::TcpListener::bind(options.listen).map_err(|source| ServeError::Listen {
            addr: options.listen,
            source,
        })?;
    listener
        .set_nonblocking(true)
        .map_err(|source| ServeError::Listen {
            addr: options.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| ServeError::Listen {
        addr: options.listen,
        source,
    })?;
    // In the background: a first start would otherwise wait for their commit before serving.
    // Resource requests wait for it (`ApiState::bootstrapped`); discovery does not.
    {
        let api = Arc::clone(&api);
        let port = addr.port();
        tokio::spawn(async move {
            if let Err(e) = api.ensure_system_objects(port).await {
                eprintln!("kplan serve: cannot create the system namespaces: {e}");
            }
            api.mark_bootstrapped();
        });
    }
    let host = match addr.ip() {
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        std::net::IpAddr::V4(ip) => ip.to_string(),
    };
    let kubeconfig =
        data_dir.write_kubeconfig(&creds, &format!("https://{host}:{}", addr.port()))?;
    let tls = axum_server::tls_rustls::RustlsConfig::from_config(creds.server_config()?);
    let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(tls)
        .acceptor(axum_server::accept::NoDelayAcceptor::new());
    let app = axum::Router::new()
        .fallback(dispatch)
        .with_state(Arc::new(AppState {
            api,
            creds,
            log_requests: options.log_requests,
        }));
    let handle = axum_server::Handle::new();
    let server = axum_server::from_tcp(listener)
        .map_err(|source| ServeError::Listen { addr, source })?
        .acceptor(acceptor)
        .handle(handle.clone());
    let task = tokio::spawn(async move { server.serve(app.into_make_service()).await });
    let controllers = options.sim.enabled.then(|| {
        let mut sim = options.sim.clone();
        sim.kubelet_version = format!("v{}.0", options.version);
        Controllers::spawn(store.clone(), sim)
    });
    Ok(RunningServer {
        addr,
        kubeconfig,
        handle,
        task,
        store,
        controllers,
        _data_dir: data_dir,
    })
}

fn json_response(code: StatusCode, value: &Value) -> Response {
    reply::json_bytes(code, serde_json::to_vec(value).unwrap_or_default())
}

async fn dispatch(
    State(app): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok());
    let started = std::time::Instant::now();
    let response = if app.creds.authorizes(auth) {
        match route(&app.api, &method, &uri, &headers, body).await {
            Ok(response) => response,
            Err(e) => e.into_response(),
        }
    } else {
        ApiError::unauthorized().into_response()
    };
    if app.log_requests {
        // For a watch or a streamed list this is the time to the first byte.
        eprintln!(
            "kplan serve: {method} {} {} {:.1}ms",
            uri.path_and_query()
                .map_or_else(|| uri.path(), |p| p.as_str()),
            response.status().as_u16(),
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    response
}

async fn route(
    api: &Arc<ApiState>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let path = uri.path();
    let mut q = query::Query::parse(uri.query());
    // A write that names no field manager is recorded under its client's name, as the API
    // server does: the User-Agent up to its first `/` ("kubectl", "kplan"). Server-side apply
    // must name one and is refused without.
    let applying = headers
        .get(header::CONTENT_TYPE)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/apply-patch"));
    if matches!(*method, Method::POST | Method::PUT | Method::PATCH) && !applying {
        let agent = headers
            .get(header::USER_AGENT)
            .and_then(|h| h.to_str().ok())
            .and_then(|ua| ua.split('/').next())
            .filter(|name| !name.is_empty())
            .unwrap_or("unknown");
        q.set_default("fieldManager", agent);
    }
    let ok = |v: Value| Ok(json_response(StatusCode::OK, &v));
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["version"] => return ok(discovery::version(api.version)),
        ["healthz" | "readyz" | "livez"] => return Ok((StatusCode::OK, "ok").into_response()),
        ["metrics"] => {
            let text = metrics::render(&api.store.stats());
            let mut response = (StatusCode::OK, text).into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4"),
            );
            return Ok(response);
        }
        ["api"] => return ok(discovery::api_versions()),
        ["apis"] => return ok(discovery::api_groups(&api.catalog)),
        ["api", v] => {
            return discovery::resource_list(&api.catalog, "", v)
                .map_or_else(|| Err(ApiError::unknown_path()), ok);
        }
        ["apis", g] => {
            return discovery::api_group(&api.catalog, g)
                .map_or_else(|| Err(ApiError::unknown_path()), ok);
        }
        ["apis", g, v] => {
            return discovery::resource_list(&api.catalog, g, v)
                .map_or_else(|| Err(ApiError::unknown_path()), ok);
        }
        ["openapi", "v2"] => {
            let accept = headers
                .get(header::ACCEPT)
                .and_then(|h| h.to_str().ok())
                .unwrap_or_default();
            return openapi::v2(api, accept);
        }
        ["openapi", "v3"] => return ok(openapi::root(&api.catalog)),
        ["openapi", "v3", rest @ ..] => {
            return openapi::group_version(api, &rest.join("/"))
                .map_or_else(|| Err(ApiError::unknown_path()), ok);
        }
        _ => {}
    }
    let t = target::Target::parse(path).ok_or_else(ApiError::unknown_path)?;
    // Objects exist only once the first start's system objects are written.
    api.bootstrapped().await;
    let r = api
        .catalog
        .find(&t.group, &t.version, &t.resource)
        .ok_or_else(ApiError::unknown_path)?;
    if t.namespace.is_some() && !r.namespaced {
        return Err(ApiError::unknown_path());
    }
    if let Some(sub) = t.subresource.as_deref()
        && !r.has_subresource(sub)
    {
        return Err(ApiError::unknown_path());
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let as_table = table::wants_table(accept);
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("application/json");
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    };
    let name = t.name.clone();
    if t.subresource.as_deref() == Some("scale") {
        let name = name.as_deref().expect("subresources have a name");
        return scale::handle(api, &r, &t, &q, method, name, content_type, &body)
            .await
            .map(|v| json_response(StatusCode::OK, &v));
    }
    match (method.as_str(), name.as_deref()) {
        ("GET", Some(name)) if as_table && t.subresource.is_none() => {
            let obj = objects::get(api, &r, &t, name).await?;
            let rv = obj["metadata"]["resourceVersion"]
                .as_str()
                .and_then(|v| v.parse().ok());
            ok(table::table(&r, &[obj], rv, q.get("includeObject"), now()))
        }
        ("GET", Some(name)) => Ok(objects::get_reply(api, &r, &t, name)?.into_response()),
        ("GET", None) if q.flag("watch") => {
            watch::watch(Arc::clone(api), Resource::clone(&r), t, q, as_table).await
        }
        ("GET", None)
            if !as_table
                && q.number("limit").unwrap_or(0) == 0
                && q.get("labelSelector").is_none_or(str::is_empty)
                && q.get("fieldSelector").is_none_or(str::is_empty) =>
        {
            Ok(list_stream::stream(
                Arc::clone(api),
                Resource::clone(&r),
                &t,
            ))
        }
        ("GET", None) => {
            let (revision, items, token) = objects::list(api, &r, &t, &q).await?;
            if as_table {
                let mut tbl =
                    table::table(&r, &items, Some(revision), q.get("includeObject"), now());
                if let Some(tok) = token {
                    tbl["metadata"]["continue"] = Value::String(tok);
                }
                return ok(tbl);
            }
            ok(objects::list_object(&r, revision, items, token))
        }
        ("POST", None) => {
            let obj = decode_body(content_type, &body)?;
            Ok(objects::create(api, &r, &t, &q, obj, true)
                .await?
                .into_response())
        }
        ("PUT", Some(name)) => {
            let obj = decode_body(content_type, &body)?;
            Ok(objects::update(api, &r, &t, &q, name, obj)
                .await?
                .into_response())
        }
        ("PATCH", Some(name)) => Ok(objects::patch(api, &r, &t, &q, name, content_type, &body)
            .await?
            .into_response()),
        ("DELETE", Some(name)) => {
            let options = objects::DeleteOptions::read(&q, &body);
            ok(objects::delete(api, &r, &t, name, options).await?)
        }
        ("DELETE", None) => {
            let (_, items, _) = objects::list(api, &r, &t, &q).await?;
            let mut deleted = Vec::new();
            for item in items {
                if let Some(n) = item["metadata"]["name"].as_str() {
                    let mut scoped = t.clone();
                    scoped.namespace = item["metadata"]["namespace"]
                        .as_str()
                        .map(str::to_string)
                        .or(scoped.namespace);
                    let options = objects::DeleteOptions::read(&q, &body);
                    deleted.push(objects::delete(api, &r, &scoped, n, options).await?);
                }
            }
            ok(objects::list_object(
                &r,
                api.store.revision(),
                deleted,
                None,
            ))
        }
        _ => Err(ApiError::method_not_allowed(format!(
            "{method} is not supported on {path}"
        ))),
    }
}

/// JSON, YAML or protobuf request bodies.
fn decode_body(content_type: &str, body: &[u8]) -> Result<Value, ApiError> {
    let ct = content_type.split(';').next().unwrap_or_default().trim();
    match ct {
        "application/vnd.kubernetes.protobuf" => protobuf::decode(body),
        "application/yaml" => {
            let text = std::str::from_utf8(body)
                .map_err(|_| ApiError::bad_request("the request body is not UTF-8"))?;
            let docs = crate::manifest::parse_documents(text, crate::manifest::Limits::default());
            let doc = docs
                .into_iter()
                .find(|d| d.root.is_some())
                .ok_or_else(|| ApiError::bad_request("empty request body"))?;
            Ok(doc.tree.to_json(doc.root.expect("checked")))
        }
        _ => serde_json::from_slice(body).map_err(|e| {
            ApiError::bad_request(format!("error decoding the request body as JSON: {e}"))
        }),
    }
}
