use std::sync::Arc;

use kube::core::{DynamicObject, Resource as _};
use serde_json::Value;

use super::discovery_cache::{DiscoveryCache, Kinds};
use super::kubeconfig::{self, KubeconfigEnv};
use super::object_key::is_path_segment;
use super::{ClientError, ConnectOptions, Endpoint, ObjectKey, ResourceInfo, ServerVersion, tls};

/// A connection to one Kubernetes API server — a remote cluster or `kplan serve` alike.
///
/// Everything goes through JSON values (`serde_json::Value`) and discovery, never typed
/// structs: kplan handles any kind, CRDs included, and what it reads must round-trip exactly
/// for the diff. Requests are built by kube (`kube::core::Request`) and sent by kube's client,
/// which owns kubeconfig credentials (tokens, client certificates, exec plugins) and TLS.
pub struct Client {
    pub(super) kube: kube::Client,
    pub(super) endpoint: Endpoint,
    pub(super) discovery: DiscoveryCache,
}

impl Client {
    /// Connects with the kubeconfig and context `opts` names, finding the kubeconfig through
    /// this process's `KUBECONFIG` and home directory.
    ///
    /// No request is sent yet: an unreachable server or rejected credentials show at the first
    /// call ([`Client::server_version`] is the cheapest probe). Credentials are got here,
    /// though: a failing exec plugin is a [`ClientError::Auth`] from `connect`.
    pub async fn connect(opts: &ConnectOptions) -> Result<Self, ClientError> {
        Self::connect_with_env(opts, &KubeconfigEnv::from_process()).await
    }

    /// [`Client::connect`] with the environment given instead of read.
    pub async fn connect_with_env(
        opts: &ConnectOptions,
        env: &KubeconfigEnv,
    ) -> Result<Self, ClientError> {
        let files = kubeconfig::files(opts.kubeconfig.as_deref(), env)?;
        let (config, endpoint) = kubeconfig::load(&files, opts).await?;
        tls::install_ring_provider();
        // kube runs an exec plugin (or reads a token file) here already, not at the first call.
        let kube = kube::Client::try_from(config).map_err(|e| match e {
            kube::Error::Auth(_) => ClientError::from_kube(e, &endpoint, None),
            other => ClientError::Kubeconfig {
                kubeconfig: endpoint.kubeconfig_list(),
                context: Some(endpoint.context.clone()),
                reason: super::error::chain(&other),
            },
        })?;
        Ok(Self {
            kube,
            endpoint,
            discovery: DiscoveryCache::default(),
        })
    }

    /// The server, context and kubeconfig this client uses.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The namespace for namespaced objects that name none: the context's, else `default`.
    pub fn default_namespace(&self) -> &str {
        self.kube.default_namespace()
    }

    /// The server's `/version`.
    pub async fn server_version(&self) -> Result<ServerVersion, ClientError> {
        let v = self.get_json("/version").await?;
        Ok(ServerVersion::from_json(&v))
    }

    /// Where objects of `kind` in `api_version` live, from discovery (cached: one request per
    /// group-version for the client's lifetime, plus one when a kind is not found there).
    pub async fn resolve(
        &self,
        api_version: &str,
        kind: &str,
    ) -> Result<ResourceInfo, ClientError> {
        let (group, version) = split_api_version(api_version).ok_or_else(|| {
            ClientError::InvalidObject(format!("{api_version:?} is not a valid apiVersion"))
        })?;
        self.discovery
            .resolve(api_version, kind, || self.discover(group, version))
            .await
    }

    /// The version the server prefers for an API group (`v1` for the core group); `None` when
    /// it does not serve the group.
    pub async fn preferred_version(&self, group: &str) -> Result<Option<String>, ClientError> {
        if group.is_empty() {
            return Ok(Some("v1".into()));
        }
        match self.get_json(&format!("/apis/{group}")).await {
            Ok(g) => Ok(g["preferredVersion"]["version"]
                .as_str()
                .or_else(|| g["versions"][0]["version"].as_str())
                .map(str::to_string)),
            Err(ClientError::Api { code: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The kinds one group-version serves; a group-version the server does not serve (404)
    /// serves none.
    async fn discover(&self, group: &str, version: &str) -> Result<Kinds, ClientError> {
        let path = if group.is_empty() {
            format!("/api/{version}")
        } else {
            format!("/apis/{group}/{version}")
        };
        match self.get_json(&path).await {
            Ok(list) => Ok(ResourceInfo::from_discovery(group, version, &list).into()),
            Err(ClientError::Api { code: 404, .. }) => Ok(Arc::from([])),
            Err(e) => Err(e),
        }
    }

    /// A GET of `path` answered with JSON.
    async fn get_json(&self, path: &str) -> Result<Value, ClientError> {
        let req = http::Request::get(path)
            .header(http::header::ACCEPT, "application/json")
            .body(Vec::new())
            .map_err(|e| ClientError::InvalidObject(format!("cannot request {path}: {e}")))?;
        self.send(req, None).await
    }

    /// Sends a request kube built and reads the JSON answer.
    pub(super) async fn send(
        &self,
        req: http::Request<Vec<u8>>,
        object: Option<&ObjectKey>,
    ) -> Result<Value, ClientError> {
        self.kube
            .request::<Value>(req)
            .await
            .map_err(|e| self.error(e, object))
    }

    pub(super) fn error(&self, err: kube::Error, object: Option<&ObjectKey>) -> ClientError {
        ClientError::from_kube(err, &self.endpoint, object)
    }

    /// The collection URL for `key`: in its namespace (the default namespace if it names
    /// none) for a namespaced kind, cluster-wide otherwise.
    pub(super) fn collection(
        &self,
        info: &ResourceInfo,
        key: &ObjectKey,
    ) -> Result<String, ClientError> {
        key.check_path_safe()?;
        let namespace = info.namespaced.then(|| {
            key.namespace
                .as_deref()
                .unwrap_or_else(|| self.default_namespace())
        });
        collection_url(info, namespace)
    }
}

/// The collection URL of a kind, in `namespace` or (with `None`) across all of them.
pub(super) fn collection_url(
    info: &ResourceInfo,
    namespace: Option<&str>,
) -> Result<String, ClientError> {
    if let Some(ns) = namespace
        && !is_path_segment(ns)
    {
        return Err(ClientError::InvalidObject(format!(
            "{ns:?} is not a valid Kubernetes namespace"
        )));
    }
    Ok(DynamicObject::url_path(&info.api_resource(), namespace))
}

/// `(group, version)` of an apiVersion (`apps/v1`, or `v1` for the core group), checked to be
/// made of the characters group and version names have, since both become URL segments.
fn split_api_version(api_version: &str) -> Option<(&str, &str)> {
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let name_chars = |s: &str, extra: &[char]| {
        s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || extra.contains(&c))
    };
    let ok = !version.is_empty()
        && name_chars(version, &[])
        && name_chars(group, &['.', '-'])
        && (group.is_empty() || group.split('.').all(|label| !label.is_empty()))
        && !(api_version.contains('/') && group.is_empty());
    ok.then_some((group, version))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::{ApplyOptions, Propagation};
    use super::*;

    /// Callers share one client between tasks (`Arc<Client>`) and spawn its calls: the client
    /// and every future it returns must be `Send`, which only the compiler can check.
    #[allow(dead_code, clippy::let_underscore_future)]
    fn client_and_its_futures_are_send(c: &Client, key: &ObjectKey, obj: &Value) {
        fn send<T: Send>(_: T) {}
        fn shared<T: Send + Sync>() {}
        shared::<Client>();
        send(c.server_version());
        send(c.resolve("v1", "ConfigMap"));
        send(c.get(key));
        send(c.fetch_all(std::slice::from_ref(key)));
        send(c.list("v1", "ConfigMap", None, None));
        send(c.apply(obj, &ApplyOptions::default()));
        send(c.create(obj, false));
        send(c.replace(obj, false));
        send(c.delete(key, Propagation::Background, false));
        send(c.wait_until(key, Duration::ZERO, |o| o.is_some()));
        send(c.wait_for_rollout(key, Duration::ZERO));
    }

    #[test]
    fn api_versions_split_into_group_and_version() {
        assert_eq!(split_api_version("v1"), Some(("", "v1")));
        assert_eq!(split_api_version("apps/v1"), Some(("apps", "v1")));
        assert_eq!(
            split_api_version("flask.example.com/v1alpha1"),
            Some(("flask.example.com", "v1alpha1"))
        );
        for bad in ["", "/v1", "apps/", "a/b/c", "Apps/v1", "apps/v1?x", "../v1"] {
            assert_eq!(split_api_version(bad), None, "{bad:?}");
        }
    }
}
