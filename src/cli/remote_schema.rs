//! Remote `--schema-location` URL templates (kubeconform-style).
//!
//! Schemas are fetched with a blocking `reqwest` client over rustls with the `ring` provider
//! (DESIGN.md §2: no aws-lc-rs build, and never two providers in one process) and cached on
//! disk under the SHA-256 of the expanded URL, so a repeated run needs no network.

use std::error::Error as StdError;
use std::fmt::Write as _;
use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::blocking::Client;
use reqwest::{StatusCode, Url, redirect};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::schema::{Gvk, KubeVersion, LocationError, SchemaSource, expand_template};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const TOTAL_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest published Kubernetes schemas are a few hundred KiB; anything far beyond that is
/// a misconfigured or hostile server, and reading it whole could exhaust memory.
const MAX_BODY: u64 = 16 * 1024 * 1024;
const MAX_REDIRECTS: usize = 10;
const USER_AGENT: &str = concat!("kplan/", env!("CARGO_PKG_VERSION"));

/// A `--schema-location` URL template, fetched over https and cached on disk.
pub struct RemoteLocation {
    template: String,
    cache_dir: PathBuf,
    allow_http: bool,
    max_body: u64,
    /// Built on first use so that runs whose kinds are all bundled never load the system's CA
    /// certificates; a failure is kept so that every lookup reports it rather than retrying.
    client: OnceLock<Result<Client, String>>,
}

impl RemoteLocation {
    pub fn new(template: &str, cache_dir: PathBuf, allow_http: bool) -> Result<Self, String> {
        if template.starts_with("http://") && !allow_http {
            return Err("plain http is refused; use https, or pass --allow-http-schemas".into());
        }
        Ok(Self {
            template: template.to_string(),
            cache_dir,
            allow_http,
            max_body: MAX_BODY,
            client: OnceLock::new(),
        })
    }

    fn client(&self) -> Result<&Client, String> {
        self.client
            .get_or_init(|| build_client(self.allow_http))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// `None` if the cache has no usable answer.
    fn cached(&self, key: &str) -> Option<Cached> {
        if let Ok(bytes) = fs::read(self.cache_dir.join(format!("{key}.json"))) {
            // A file that does not parse (a crash mid-write on a filesystem without ordered
            // renames, or a hand edit) is treated as a miss and overwritten by the refetch.
            if let Ok(schema) = parse_schema(&bytes) {
                return Some(Cached::Schema(schema));
            }
        }
        if self.cache_dir.join(format!("{key}.missing")).is_file() {
            return Some(Cached::Missing);
        }
        None
    }
}

enum Cached {
    Schema(Value),
    /// The server answered 404 for this URL on an earlier run.
    Missing,
}

impl RemoteLocation {
    /// Fetches `url`: `Ok(Some((schema, raw body)))`, or `Ok(None)` on 404.
    fn fetch(&self, url: &str) -> Result<Option<(Value, Vec<u8>)>, String> {
        let client = self.client()?;
        let mut response = client.get(url).send().map_err(|e| describe(&e))?;
        let status = response.status();
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        // `LocationError` already names the requested URL; name the server only when a
        // redirect made it a different one.
        let from = if response.url().as_str() == url {
            String::new()
        } else {
            format!(" from {}", response.url())
        };
        if !status.is_success() {
            return Err(format!("HTTP {status}{from}"));
        }
        let too_big = || format!("response{from} is larger than {} bytes", self.max_body);
        // The header is only a hint (it can lie or be absent), so the read below is bounded too.
        if response.content_length().is_some_and(|n| n > self.max_body) {
            return Err(too_big());
        }
        let mut body = Vec::new();
        (&mut response)
            .take(self.max_body + 1)
            .read_to_end(&mut body)
            .map_err(|e| format!("reading the response{from} failed: {}", error_chain(&e)))?;
        if body.len() as u64 > self.max_body {
            return Err(too_big());
        }
        let schema =
            parse_schema(&body).map_err(|e| format!("response{from} is not a JSON schema: {e}"))?;
        Ok(Some((schema, body)))
    }
}

impl SchemaSource for RemoteLocation {
    fn find(
        &self,
        gvk: &Gvk,
        version: KubeVersion,
        strict: bool,
    ) -> Result<Option<(Value, String)>, LocationError> {
        let url = expand_template(&self.template, gvk, version, strict);
        // Keyed by the expanded URL, so a different version, strictness or template is a
        // different entry and never needs invalidating.
        let key = cache_key(&url);
        if let Some(hit) = self.cached(&key) {
            return Ok(match hit {
                Cached::Schema(schema) => Some((schema, url)),
                Cached::Missing => None,
            });
        }
        match self.fetch(&url) {
            Ok(Some((schema, body))) => {
                // The cache only saves time: an unwritable cache directory must not turn a
                // successful fetch into a failed validation.
                let _ = write_atomically(&self.cache_dir, &format!("{key}.json"), &body);
                let _ = fs::remove_file(self.cache_dir.join(format!("{key}.missing")));
                Ok(Some((schema, url)))
            }
            Ok(None) => {
                // The marker holds the URL only so that a person browsing the cache can tell
                // what it stands for; its presence is what counts.
                let _ = write_atomically(
                    &self.cache_dir,
                    &format!("{key}.missing"),
                    format!("{url}\n").as_bytes(),
                );
                Ok(None)
            }
            Err(message) => Err(LocationError {
                location: url,
                message,
            }),
        }
    }
}

/// The cache file stem for a URL: hex SHA-256, so no URL text (`..`, `/`, absolute paths,
/// odd characters) ever becomes part of a path.
fn cache_key(url: &str) -> String {
    let mut hex = String::with_capacity(64);
    for byte in Sha256::digest(url.as_bytes()) {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// A schema is a JSON object (or `true`/`false`); anything else would only fail later in the
/// compiler with a message that no longer names the URL.
fn parse_schema(bytes: &[u8]) -> Result<Value, String> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(value @ (Value::Object(_) | Value::Bool(_))) => Ok(value),
        Ok(_) => Err("expected a JSON object".into()),
        Err(e) => Err(format!("not JSON ({e})")),
    }
}

/// Writes `dir/name` so that concurrent readers (other rayon threads, other kplan runs) see
/// either the old file or the complete new one, never a partial write.
fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    fs::create_dir_all(dir)?;
    // Same directory as the target so that the rename stays on one filesystem; pid and counter
    // keep concurrent writers (threads and processes) off each other's temp files.
    let tmp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut file| file.write_all(bytes))
        .and_then(|()| fs::rename(&tmp, dir.join(name)));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn build_client(allow_http: bool) -> Result<Client, String> {
    // Chosen explicitly rather than through a process-wide default: reqwest is built with
    // `rustls-no-provider` and would panic without one, and a global default installed here
    // could clash with the one the server or kube client installs.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?;
    let mut tls = rustls_platform_verifier::BuilderVerifierExt::with_platform_verifier(tls)
        .map_err(|e| {
            format!("cannot load the system's CA certificates (is ca-certificates installed?): {e}")
        })?
        .with_no_client_auth();
    // reqwest is built without http2, so offer only what it speaks.
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    Client::builder()
        .tls_backend_preconfigured(tls)
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(TOTAL_TIMEOUT)
        .user_agent(USER_AGENT)
        // `https_only` checks only the first URL; the policy below covers redirects.
        .https_only(!allow_http)
        .redirect(redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > MAX_REDIRECTS {
                attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
            } else if redirect_allowed(attempt.previous(), attempt.url(), allow_http) {
                attempt.follow()
            } else {
                let message = format!("redirect to {} would leave https", attempt.url());
                attempt.error(message)
            }
        }))
        .build()
        .map_err(|e| format!("cannot set up the HTTP client: {}", error_chain(&e)))
}

/// Once a chain has used https it stays on https, even with `allow_http`: a downgrade would let
/// anyone on the path substitute the schema the user asked to fetch securely.
fn redirect_allowed(previous: &[Url], next: &Url, allow_http: bool) -> bool {
    match next.scheme() {
        "https" => true,
        "http" => allow_http && previous.iter().all(|url| url.scheme() == "http"),
        _ => false,
    }
}

fn describe(error: &reqwest::Error) -> String {
    let what = if error.is_timeout() {
        "timed out (10 s to connect, 30 s in all)"
    } else if error.is_connect() {
        "cannot connect"
    } else if error.is_redirect() {
        "redirect refused"
    } else if error.is_builder() {
        "invalid request"
    } else {
        "request failed"
    };
    // reqwest's own message is generic ("error sending request for url (…)") and repeats the
    // URL that `LocationError` already shows; the cause (refused, DNS, certificate) is in the
    // sources.
    let mut causes = Vec::new();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        // hyper-util's wrapper says only which stage failed, which `what` already says.
        if !text.starts_with("client error (") {
            causes.push(text);
        }
        source = cause.source();
    }
    dedup_chain(&mut causes);
    if causes.is_empty() {
        format!("{what}: {error}")
    } else {
        format!("{what}: {}", causes.join(": "))
    }
}

fn error_chain(error: &dyn StdError) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        parts.push(cause.to_string());
        source = cause.source();
    }
    dedup_chain(&mut parts);
    parts.join(": ")
}

/// Wrapping errors often repeat their source's text in their own; keep the fuller one.
fn dedup_chain(parts: &mut Vec<String>) {
    let mut kept: Vec<String> = Vec::with_capacity(parts.len());
    for part in parts.drain(..) {
        if part.is_empty() {
            continue;
        }
        if kept.last().is_some_and(|prev| prev.contains(part.as_str())) {
            continue;
        }
        kept.push(part);
    }
    *parts = kept;
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::io::{BufRead, BufReader};
    use std::net::{TcpListener, TcpStream};
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, AtomicUsize};
    use std::thread::JoinHandle;
    use std::time::Instant;

    use super::*;

    const SCHEMA: &str = r#"{"type":"object","properties":{"spec":{"type":"object"}}}"#;
    const TEMPLATE: &str = "{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json";

    fn version() -> KubeVersion {
        KubeVersion::new(1, 33)
    }

    fn kind(kind: &str) -> Gvk {
        Gvk::new("example.com", "v1", kind)
    }

    /// A one-thread HTTP/1.1 server on loopback. It answers by the request path (`widget` → a
    /// schema, `broken` → 500, `garbage` → HTML, `huge` → 4 KiB with a length, `endless` → 4 KiB
    /// without one, `hop` → 302 to `broken`, anything else → 404), closes every connection, and stops after
    /// `max_requests`, after 10 s, or when dropped, whichever comes first.
    struct TestServer {
        base: String,
        hits: Arc<AtomicUsize>,
        user_agents: Arc<Mutex<Vec<String>>>,
        stop: Arc<AtomicBool>,
        thread: Option<JoinHandle<()>>,
    }

    impl TestServer {
        fn start(max_requests: usize) -> Self {
            Self::start_with(max_requests, handle_http)
        }

        fn start_with(max_requests: usize, handler: fn(TcpStream, &Mutex<Vec<String>>)) -> Self {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            listener.set_nonblocking(true).unwrap();
            let base = format!("http://{}", listener.local_addr().unwrap());
            let hits = Arc::new(AtomicUsize::new(0));
            let user_agents = Arc::new(Mutex::new(Vec::new()));
            let stop = Arc::new(AtomicBool::new(false));
            let thread = {
                let (hits, user_agents, stop) = (hits.clone(), user_agents.clone(), stop.clone());
                std::thread::spawn(move || {
                    let deadline = Instant::now() + Duration::from_secs(10);
                    while hits.load(Ordering::SeqCst) < max_requests
                        && !stop.load(Ordering::SeqCst)
                        && Instant::now() < deadline
                    {
                        match listener.accept() {
                            Ok((stream, _)) => {
                                stream.set_nonblocking(false).unwrap();
                                stream
                                    .set_read_timeout(Some(Duration::from_secs(5)))
                                    .unwrap();
                                hits.fetch_add(1, Ordering::SeqCst);
                                handler(stream, &user_agents);
                            }
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                                std::thread::sleep(Duration::from_millis(5));
                            }
                            Err(e) => panic!("accept: {e}"),
                        }
                    }
                })
            };
            Self {
                base,
                hits,
                user_agents,
                stop,
                thread: Some(thread),
            }
        }

        fn hits(&self) -> usize {
            self.hits.load(Ordering::SeqCst)
        }

        fn template(&self) -> String {
            format!("{}/{TEMPLATE}", self.base)
        }
    }

    impl Drop for TestServer {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::SeqCst);
            if let Some(thread) = self.thread.take() {
                let _ = thread.join();
            }
        }
    }

    fn handle_http(stream: TcpStream, user_agents: &Mutex<Vec<String>>) {
        let mut reader = BufReader::new(stream);
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).is_err() {
            return;
        }
        let path = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or("/")
            .to_string();
        loop {
            let mut header = String::new();
            match reader.read_line(&mut header) {
                Ok(0) | Err(_) => break,
                Ok(_) if header == "\r\n" => break,
                Ok(_) => {
                    if let Some((name, value)) = header.split_once(':')
                        && name.eq_ignore_ascii_case("user-agent")
                    {
                        user_agents.lock().unwrap().push(value.trim().to_string());
                    }
                }
            }
        }
        let big = "x".repeat(4096);
        let (status, body, with_length) = if path.contains("widget") {
            ("200 OK", SCHEMA, true)
        } else if path.contains("broken") {
            ("500 Internal Server Error", "oops", true)
        } else if path.contains("garbage") {
            ("200 OK", "<html>not json</html>", true)
        } else if path.contains("huge") {
            ("200 OK", big.as_str(), true)
        } else if path.contains("endless") {
            ("200 OK", big.as_str(), false)
        } else if path.contains("hop") {
            (
                "302 Found\r\nLocation: /example.com/broken_v1.json",
                "",
                true,
            )
        } else {
            ("404 Not Found", "not found", true)
        };
        let length = if with_length {
            format!("Content-Length: {}\r\n", body.len())
        } else {
            String::new()
        };
        let mut stream = reader.into_inner();
        let _ = write!(
            stream,
            "HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{length}Connection: close\r\n\r\n{body}"
        );
        let _ = stream.flush();
    }

    /// Answers a TLS `ClientHello` with plain HTTP, as a misconfigured port would.
    fn handle_not_tls(mut stream: TcpStream, _: &Mutex<Vec<String>>) {
        let mut hello = [0u8; 512];
        let _ = stream.read(&mut hello);
        let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    }

    fn cache_files(dir: &Path) -> BTreeSet<String> {
        match fs::read_dir(dir) {
            Ok(entries) => entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => BTreeSet::new(),
        }
    }

    fn is_hash_named(name: &str) -> bool {
        let stem = name
            .strip_suffix(".json")
            .or_else(|| name.strip_suffix(".missing"));
        stem.is_some_and(|s| {
            s.len() == 64
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
    }

    #[test]
    fn found_schema_is_returned_then_served_from_cache() {
        let server = TestServer::start(1);
        let tmp = tempfile::tempdir().unwrap();
        let cache = tmp.path().join("cache");
        let url = format!("{}/example.com/widget_v1.json", server.base);

        let remote = RemoteLocation::new(&server.template(), cache.clone(), true).unwrap();
        let (schema, from) = remote
            .find(&kind("Widget"), version(), false)
            .unwrap()
            .unwrap();
        assert_eq!(schema, serde_json::from_str::<Value>(SCHEMA).unwrap());
        assert_eq!(from, url);
        assert_eq!(server.hits(), 1);
        assert_eq!(
            cache_files(&cache),
            BTreeSet::from([format!("{}.json", cache_key(&url))])
        );

        // Same location again, then a fresh one as a later run would build: both from disk.
        assert_eq!(
            remote
                .find(&kind("Widget"), version(), false)
                .unwrap()
                .unwrap()
                .0,
            schema
        );
        let later_run = RemoteLocation::new(&server.template(), cache.clone(), true).unwrap();
        assert_eq!(
            later_run
                .find(&kind("Widget"), version(), false)
                .unwrap()
                .unwrap(),
            (schema, url)
        );
        assert_eq!(server.hits(), 1);
    }

    #[test]
    fn not_found_is_none_and_cached_as_missing() {
        let server = TestServer::start(1);
        let tmp = tempfile::tempdir().unwrap();
        let url = format!("{}/example.com/gadget_v1.json", server.base);
        let remote =
            RemoteLocation::new(&server.template(), tmp.path().to_path_buf(), true).unwrap();

        assert_eq!(remote.find(&kind("Gadget"), version(), false), Ok(None));
        assert_eq!(server.hits(), 1);
        assert_eq!(
            cache_files(tmp.path()),
            BTreeSet::from([format!("{}.missing", cache_key(&url))])
        );
        assert_eq!(remote.find(&kind("Gadget"), version(), false), Ok(None));
        assert_eq!(server.hits(), 1);
    }

    #[test]
    fn server_error_is_an_error_and_not_cached() {
        let server = TestServer::start(2);
        let tmp = tempfile::tempdir().unwrap();
        let url = format!("{}/example.com/broken_v1.json", server.base);
        let remote =
            RemoteLocation::new(&server.template(), tmp.path().to_path_buf(), true).unwrap();

        let error = remote.find(&kind("Broken"), version(), false).unwrap_err();
        assert_eq!(error.location, url);
        assert_eq!(error.message, "HTTP 500 Internal Server Error");
        assert_eq!(
            error.to_string(),
            format!("{url}: HTTP 500 Internal Server Error")
        );
        assert!(remote.find(&kind("Broken"), version(), false).is_err());
        assert_eq!(server.hits(), 2, "a failure must be retried, not cached");
        assert!(cache_files(tmp.path()).is_empty());
    }

    #[test]
    fn redirect_is_followed_and_its_target_named() {
        let server = TestServer::start(2);
        let tmp = tempfile::tempdir().unwrap();
        let remote =
            RemoteLocation::new(&server.template(), tmp.path().to_path_buf(), true).unwrap();

        let error = remote.find(&kind("Hop"), version(), false).unwrap_err();
        assert_eq!(
            error.location,
            format!("{}/example.com/hop_v1.json", server.base)
        );
        assert_eq!(
            error.message,
            format!(
                "HTTP 500 Internal Server Error from {}/example.com/broken_v1.json",
                server.base
            )
        );
        assert_eq!(server.hits(), 2);
    }

    #[test]
    fn body_that_is_not_json_is_an_error() {
        let server = TestServer::start(1);
        let tmp = tempfile::tempdir().unwrap();
        let remote =
            RemoteLocation::new(&server.template(), tmp.path().to_path_buf(), true).unwrap();

        let error = remote.find(&kind("Garbage"), version(), false).unwrap_err();
        assert!(
            error
                .message
                .starts_with("response is not a JSON schema: not JSON"),
            "{}",
            error.message
        );
        assert!(cache_files(tmp.path()).is_empty());
    }

    #[test]
    fn oversized_body_is_refused_with_or_without_content_length() {
        let server = TestServer::start(2);
        let tmp = tempfile::tempdir().unwrap();
        let mut remote =
            RemoteLocation::new(&server.template(), tmp.path().to_path_buf(), true).unwrap();
        remote.max_body = 1024;

        for name in ["Huge", "Endless"] {
            let error = remote.find(&kind(name), version(), false).unwrap_err();
            assert_eq!(
                error.message, "response is larger than 1024 bytes",
                "{name}"
            );
        }
        assert_eq!(server.hits(), 2);
        assert!(cache_files(tmp.path()).is_empty());
    }

    #[test]
    fn corrupt_cache_file_is_refetched() {
        let server = TestServer::start(1);
        let tmp = tempfile::tempdir().unwrap();
        let url = format!("{}/example.com/widget_v1.json", server.base);
        let file = tmp.path().join(format!("{}.json", cache_key(&url)));
        fs::write(&file, b"{\"type\": \"obj").unwrap();
        let remote =
            RemoteLocation::new(&server.template(), tmp.path().to_path_buf(), true).unwrap();

        assert!(
            remote
                .find(&kind("Widget"), version(), false)
                .unwrap()
                .is_some()
        );
        assert_eq!(server.hits(), 1);
        assert_eq!(fs::read_to_string(&file).unwrap(), SCHEMA);
    }

    #[test]
    fn cache_key_is_sha256_hex_of_the_url() {
        // FIPS 180-2 test vector.
        assert_eq!(
            cache_key("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // Computed with `printf %s URL | sha256sum`.
        assert_eq!(
            cache_key(
                "https://raw.githubusercontent.com/datreeio/CRDs-catalog/main/cert-manager.io/certificate_v1.json"
            ),
            "464430c1761d0ab5de386fc3980660379df390282a5ed8b435da1ae23163c49b"
        );
    }

    #[test]
    fn version_and_strictness_are_separate_cache_entries() {
        let server = TestServer::start(2);
        let tmp = tempfile::tempdir().unwrap();
        let template = format!(
            "{}/{{{{.ResourceKind}}}}{{{{.StrictSuffix}}}}.json",
            server.base
        );
        let remote = RemoteLocation::new(&template, tmp.path().to_path_buf(), true).unwrap();

        assert_eq!(
            remote
                .find(&kind("Widget"), version(), false)
                .unwrap()
                .unwrap()
                .1,
            format!("{}/widget.json", server.base)
        );
        assert_eq!(
            remote
                .find(&kind("Widget"), version(), true)
                .unwrap()
                .unwrap()
                .1,
            format!("{}/widget-strict.json", server.base)
        );
        assert_eq!(server.hits(), 2);
        assert_eq!(cache_files(tmp.path()).len(), 2);
    }

    #[test]
    fn dot_dot_in_template_or_kind_stays_inside_the_cache_dir() {
        let server = TestServer::start(3);
        let tmp = tempfile::tempdir().unwrap();
        let cache = tmp.path().join("cache");
        let template = format!(
            "{}/../../{{{{.ResourceKind}}}}/../../{{{{.ResourceKind}}}}.json",
            server.base
        );
        let remote = RemoteLocation::new(&template, cache.clone(), true).unwrap();

        assert!(
            remote
                .find(&kind("Widget"), version(), false)
                .unwrap()
                .is_some()
        );
        assert_eq!(remote.find(&kind("Gadget"), version(), false), Ok(None));
        assert_eq!(
            remote
                .find(
                    &Gvk::new("../../..", "v1", "../../../etc/Widget"),
                    version(),
                    false
                )
                .map(|f| f.is_some()),
            Ok(true)
        );
        assert_eq!(server.hits(), 3);
        assert_eq!(
            cache_files(tmp.path()),
            BTreeSet::from(["cache".to_string()]),
            "nothing written beside the cache dir"
        );
        let files = cache_files(&cache);
        assert_eq!(files.len(), 3);
        assert!(files.iter().all(|name| is_hash_named(name)), "{files:?}");
    }

    #[test]
    fn new_refuses_plain_http_unless_allowed() {
        let dir = PathBuf::from("unused");
        let error = RemoteLocation::new(
            "http://example.com/{{.ResourceKind}}.json",
            dir.clone(),
            false,
        )
        .err()
        .unwrap();
        assert!(error.contains("--allow-http-schemas"), "{error}");
        assert!(
            RemoteLocation::new(
                "http://example.com/{{.ResourceKind}}.json",
                dir.clone(),
                true
            )
            .is_ok()
        );
        assert!(
            RemoteLocation::new("https://example.com/{{.ResourceKind}}.json", dir, false).is_ok()
        );
    }

    #[test]
    fn redirects_never_downgrade_from_https() {
        let url = |s: &str| Url::parse(s).unwrap();
        let https = [url("https://a.example/x.json")];
        let http = [url("http://a.example/x.json")];
        assert!(redirect_allowed(
            &https,
            &url("https://b.example/x.json"),
            false
        ));
        assert!(!redirect_allowed(
            &https,
            &url("http://b.example/x.json"),
            false
        ));
        assert!(!redirect_allowed(
            &https,
            &url("http://b.example/x.json"),
            true
        ));
        assert!(redirect_allowed(
            &http,
            &url("https://b.example/x.json"),
            true
        ));
        assert!(redirect_allowed(
            &http,
            &url("http://b.example/x.json"),
            true
        ));
        assert!(!redirect_allowed(
            &[http[0].clone(), https[0].clone()],
            &url("http://c.example/x.json"),
            true
        ));
        assert!(!redirect_allowed(&https, &url("file:///etc/passwd"), true));
    }

    #[test]
    fn sends_the_kplan_user_agent() {
        let server = TestServer::start(1);
        let tmp = tempfile::tempdir().unwrap();
        let remote =
            RemoteLocation::new(&server.template(), tmp.path().to_path_buf(), true).unwrap();
        remote.find(&kind("Widget"), version(), false).unwrap();
        assert_eq!(
            *server.user_agents.lock().unwrap(),
            vec![format!("kplan/{}", env!("CARGO_PKG_VERSION"))]
        );
    }

    #[test]
    fn parallel_lookups_share_one_location() {
        let server = TestServer::start(8);
        let tmp = tempfile::tempdir().unwrap();
        let remote =
            RemoteLocation::new(&server.template(), tmp.path().to_path_buf(), true).unwrap();
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    assert!(
                        remote
                            .find(&kind("Widget"), version(), false)
                            .unwrap()
                            .is_some()
                    );
                });
            }
        });
        assert!((1..=8).contains(&server.hits()));
        assert_eq!(
            cache_files(tmp.path()).len(),
            1,
            "temp files are renamed or removed"
        );
    }

    #[test]
    fn tls_failure_is_an_error_not_a_panic() {
        // Exercises the rustls + ring configuration for real: without a provider reqwest panics.
        let server = TestServer::start_with(1, handle_not_tls);
        let tmp = tempfile::tempdir().unwrap();
        let template = server.template().replacen("http://", "https://", 1);
        let remote = RemoteLocation::new(&template, tmp.path().to_path_buf(), false).unwrap();
        let error = remote.find(&kind("Widget"), version(), false).unwrap_err();
        assert!(
            error.message.starts_with("cannot connect: "),
            "{}",
            error.message
        );
        assert!(cache_files(tmp.path()).is_empty());
    }

    #[test]
    fn refused_connection_is_cannot_connect() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let tmp = tempfile::tempdir().unwrap();
        let remote = RemoteLocation::new(
            &format!("http://127.0.0.1:{port}/{TEMPLATE}"),
            tmp.path().to_path_buf(),
            true,
        )
        .unwrap();
        let error = remote.find(&kind("Widget"), version(), false).unwrap_err();
        assert!(
            error
                .message
                .starts_with("cannot connect: tcp connect error: "),
            "{}",
            error.message
        );
    }

    #[test]
    fn plain_http_is_refused_by_the_client_too() {
        // Defence in depth behind `new`: a client built without `allow_http` never sends
        // plain-http requests even if handed such a URL.
        let tmp = tempfile::tempdir().unwrap();
        let remote = RemoteLocation {
            allow_http: false,
            ..RemoteLocation::new("http://127.0.0.1:9/x", tmp.path().to_path_buf(), true).unwrap()
        };
        let error = remote.find(&kind("Widget"), version(), false).unwrap_err();
        assert_eq!(error.message, "invalid request: URL scheme is not allowed");
    }
}
