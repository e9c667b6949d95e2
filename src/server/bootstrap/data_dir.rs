use std::fs::{self, DirBuilder};
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use super::certs::CertFiles;
use super::fs::{sync_dir, write_atomic};
use super::kubeconfig::{self, KUBECONFIG_FILE};
use super::lock::DirLock;
use super::san::SubjectAltName;
use super::{BootstrapError, Credentials, token};

/// A server's data directory, locked against a second server for as long as this value lives.
#[derive(Debug)]
pub struct DataDir {
    /// The directory, made absolute so that messages name it unambiguously.
    pub path: PathBuf,
    _lock: DirLock,
}

impl DataDir {
    /// Creates the directory (mode 0700, parents too) if needed and takes an exclusive lock on
    /// `<dir>/lock`, held until the `DataDir` is dropped. A directory another live server
    /// holds gives [`BootstrapError::Locked`]. An existing directory keeps its mode.
    pub fn open(path: &Path) -> Result<DataDir, BootstrapError> {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(path)
            .map_err(|e| BootstrapError::io(path, e))?;
        let path = fs::canonicalize(path).map_err(|e| BootstrapError::io(path, e))?;
        if !path.is_dir() {
            return Err(BootstrapError::io(
                &path,
                io::Error::new(io::ErrorKind::NotADirectory, "not a directory"),
            ));
        }
        let lock = DirLock::acquire(&path)?;
        Ok(DataDir { path, _lock: lock })
    }

    /// Loads the CA, serving certificate and key (`ca.crt`, `server.crt`, `server.key`) and
    /// the bearer token (`token`), creating what is missing; every file is mode 0600.
    ///
    /// The serving certificate names 127.0.0.1, ::1, localhost and `extra_sans` (IP addresses
    /// or DNS names; pass the listen address here too). Existing files are reused byte for
    /// byte unless they are damaged, inconsistent, within 30 days of expiry, or name a
    /// different set of hosts; then the CA and the serving certificate are both made anew
    /// (the CA key is not kept, see [`CertFiles::load_or_create`]) and the token is kept.
    pub fn credentials(&self, extra_sans: &[String]) -> Result<Credentials, BootstrapError> {
        let wanted = SubjectAltName::wanted(extra_sans)?;
        let (certs, certs_written) = CertFiles::load_or_create(&self.path, &wanted)?;
        let (token, token_written) = token::load_or_create(&self.path)?;
        if certs_written || token_written {
            sync_dir(&self.path)?;
        }
        Ok(Credentials {
            ca_pem: certs.ca,
            cert_pem: certs.cert,
            key_pem: certs.key,
            token,
        })
    }

    /// Writes `<dir>/kubeconfig` (mode 0600): cluster, user and context `kplan`, the server
    /// URL, the CA inline and the token; namespace `default`; current context `kplan`.
    ///
    /// `server_url` is `https://HOST:PORT` (see [`super::server_url`]); IPv6 hosts must be in
    /// brackets, and the host must be one the serving certificate names.
    pub fn write_kubeconfig(
        &self,
        creds: &Credentials,
        server_url: &str,
    ) -> Result<PathBuf, BootstrapError> {
        let text = kubeconfig::render(creds, server_url)?;
        let path = write_atomic(&self.path, KUBECONFIG_FILE, text.as_bytes())?;
        sync_dir(&self.path)?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;
    use std::process::Command;
    use std::sync::Arc;
    use std::time::Instant;

    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName};
    use serde_json::json;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    use super::super::certs::{CA_FILE, CERT_FILE, KEY_FILE};
    use super::super::lock::LOCK_FILE;
    use super::super::token::TOKEN_FILE;
    use super::*;
    use crate::manifest::{Limits, parse_documents};

    const FILES: [&str; 6] = [
        CA_FILE,
        CERT_FILE,
        KEY_FILE,
        TOKEN_FILE,
        KUBECONFIG_FILE,
        LOCK_FILE,
    ];
    /// What a restart reads back; the token is last.
    const REUSED: [&str; 4] = [CA_FILE, CERT_FILE, KEY_FILE, TOKEN_FILE];

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    fn read(dir: &DataDir, name: &str) -> Vec<u8> {
        fs::read(dir.path.join(name)).unwrap()
    }

    #[test]
    fn first_start_creates_owner_only_files() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("nested/data");
        let dir = DataDir::open(&root).unwrap();
        assert_eq!(mode(&root), 0o700);
        assert_eq!(mode(&tmp.path().join("nested")), 0o700);
        let creds = dir.credentials(&[]).unwrap();
        dir.write_kubeconfig(&creds, "https://127.0.0.1:6443")
            .unwrap();
        for name in FILES {
            assert_eq!(mode(&dir.path.join(name)), 0o600, "{name}");
        }
        let mut names: Vec<_> = fs::read_dir(&dir.path)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        let mut expected = FILES.map(str::to_owned).to_vec();
        expected.sort();
        assert_eq!(names, expected, "no temporary files left behind");

        assert_eq!(read(&dir, CA_FILE), creds.ca_pem.as_bytes());
        assert_eq!(read(&dir, CERT_FILE), creds.cert_pem.as_bytes());
        assert_eq!(read(&dir, KEY_FILE), creds.key_pem.as_bytes());
        assert_eq!(creds.token.len(), 64);
        assert!(!format!("{creds:?}").contains(&creds.token));
        assert!(!format!("{creds:?}").contains("PRIVATE KEY"));
    }

    #[test]
    fn restart_reuses_everything_byte_for_byte() {
        let tmp = tempfile::tempdir().unwrap();
        let extra = ["10.20.30.40".to_owned(), "kplan.example".to_owned()];
        let before = {
            let dir = DataDir::open(tmp.path()).unwrap();
            dir.credentials(&extra).unwrap();
            REUSED.map(|name| read(&dir, name))
        };
        let dir = DataDir::open(tmp.path()).unwrap();
        // The same names in another order and spelling are the same set.
        let reordered = ["KPLAN.example.".to_owned(), "10.20.30.40".to_owned()];
        let creds = dir.credentials(&reordered).unwrap();
        assert_eq!(REUSED.map(|name| read(&dir, name)), before);
        assert_eq!(creds.token.as_bytes(), before[3].trim_ascii_end());
    }

    #[test]
    fn changed_extra_names_remake_ca_and_cert_but_keep_the_token() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(tmp.path()).unwrap();
        let first = dir.credentials(&["10.0.0.1".to_owned()]).unwrap();
        let second = dir.credentials(&["10.0.0.2".to_owned()]).unwrap();
        // The CA key is not kept, so a new serving certificate needs a new CA.
        assert_ne!(first.ca_pem, second.ca_pem);
        assert_ne!(first.cert_pem, second.cert_pem);
        assert_ne!(first.key_pem, second.key_pem);
        assert_eq!(first.token, second.token);
        assert_eq!(read(&dir, CA_FILE), second.ca_pem.as_bytes());
        verifies(&second, "10.0.0.2").unwrap();
        assert!(verifies(&second, "10.0.0.1").is_err());
        assert!(verifies(&first, "10.0.0.1").is_ok());
        // Dropping the extra name again is also a change.
        let third = dir.credentials(&[]).unwrap();
        assert_ne!(third.cert_pem, second.cert_pem);
        assert!(verifies(&third, "10.0.0.2").is_err());
    }

    #[test]
    fn damaged_or_inconsistent_files_are_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(tmp.path()).unwrap();
        let first = dir.credentials(&[]).unwrap();

        fs::write(dir.path.join(CERT_FILE), "garbage").unwrap();
        let second = dir.credentials(&[]).unwrap();
        assert_ne!(second.ca_pem, first.ca_pem);
        assert_eq!(second.token, first.token);
        verifies(&second, "127.0.0.1").unwrap();

        // As after a crash between renames: a serving certificate from another CA.
        fs::write(dir.path.join(CA_FILE), &first.ca_pem).unwrap();
        let third = dir.credentials(&[]).unwrap();
        assert_ne!(third.ca_pem, first.ca_pem);
        assert_ne!(third.cert_pem, second.cert_pem);
        verifies(&third, "127.0.0.1").unwrap();

        fs::remove_file(dir.path.join(KEY_FILE)).unwrap();
        let fourth = dir.credentials(&[]).unwrap();
        assert_ne!(fourth.key_pem, third.key_pem);
        verifies(&fourth, "127.0.0.1").unwrap();
    }

    #[test]
    fn an_unreadable_file_is_an_error_not_a_reason_to_rekey() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(tmp.path()).unwrap();
        dir.credentials(&[]).unwrap();
        // A directory where a file should be stands in for EACCES, which root would ignore.
        let key = dir.path.join(KEY_FILE);
        fs::remove_file(&key).unwrap();
        fs::create_dir(&key).unwrap();
        match dir.credentials(&[]) {
            Err(BootstrapError::Io { path, .. }) => assert_eq!(path, key),
            other => panic!("expected Io, got {other:?}"),
        }
    }

    #[test]
    fn an_invalid_extra_name_is_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(tmp.path()).unwrap();
        let err = dir.credentials(&["not a name".to_owned()]).unwrap_err();
        assert!(matches!(err, BootstrapError::Certificate(_)), "{err}");
        assert!(!dir.path.join(CA_FILE).exists());
    }

    #[test]
    fn a_second_server_on_the_same_dir_is_locked_out_until_the_first_stops() {
        let tmp = tempfile::tempdir().unwrap();
        let first = DataDir::open(tmp.path()).unwrap();
        let err = DataDir::open(tmp.path()).unwrap_err();
        match &err {
            BootstrapError::Locked { dir, pid } => {
                assert_eq!(dir, &first.path);
                assert_eq!(*pid, Some(std::process::id()));
            }
            other => panic!("expected Locked, got {other:?}"),
        }
        let msg = err.to_string();
        assert!(msg.contains(&first.path.display().to_string()), "{msg}");
        assert!(
            msg.contains(&format!("pid {}", std::process::id())),
            "{msg}"
        );
        drop(first);
        DataDir::open(tmp.path()).unwrap();
    }

    #[test]
    fn a_file_in_place_of_the_directory_is_an_io_error() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("data");
        fs::write(&file, "").unwrap();
        assert!(matches!(
            DataDir::open(&file),
            Err(BootstrapError::Io { path, .. }) if path == file
        ));
    }

    /// Verifies `creds`' serving certificate for `name` against its CA, as a client would.
    fn verifies(creds: &Credentials, name: &str) -> Result<(), rustls::Error> {
        use rustls::client::danger::ServerCertVerifier;
        let verifier = rustls::client::WebPkiServerVerifier::builder_with_provider(
            roots(creds),
            Arc::new(rustls::crypto::ring::default_provider()),
        )
        .build()
        .unwrap();
        let cert = CertificateDer::from_pem_slice(creds.cert_pem.as_bytes()).unwrap();
        verifier
            .verify_server_cert(
                &cert,
                &[],
                &ServerName::try_from(name.to_owned()).unwrap(),
                &[],
                rustls::pki_types::UnixTime::now(),
            )
            .map(|_| ())
    }

    fn roots(creds: &Credentials) -> Arc<rustls::RootCertStore> {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(creds.ca_pem.as_bytes()).unwrap())
            .unwrap();
        Arc::new(roots)
    }

    /// Connects to `addr` as `name`, offering `alpn`, and returns the protocol agreed on after a
    /// round trip of application data.
    async fn handshake(
        creds: &Credentials,
        addr: std::net::SocketAddr,
        name: &str,
        alpn: &[&[u8]],
    ) -> Result<Option<Vec<u8>>, std::io::Error> {
        let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots(creds))
        .with_no_client_auth();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let tcp = TcpStream::connect(addr).await?;
        let server_name = ServerName::try_from(name.to_owned()).unwrap();
        let mut tls = connector.connect(server_name, tcp).await?;
        tls.write_all(b"ping").await?;
        let mut reply = [0u8; 4];
        tls.read_exact(&mut reply).await?;
        assert_eq!(&reply, b"pong");
        Ok(tls.get_ref().1.alpn_protocol().map(<[u8]>::to_vec))
    }

    /// Accepts TLS connections with `creds`' server config, answering "ping" with "pong".
    async fn serve(creds: &Credentials, bind: &str) -> Option<std::net::SocketAddr> {
        // ::1 may be missing in a container; the caller skips then.
        let listener = TcpListener::bind(bind).await.ok()?;
        let addr = listener.local_addr().unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(creds.server_config().unwrap());
        tokio::spawn(async move {
            loop {
                let (tcp, _) = listener.accept().await.unwrap();
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // Handshakes the client rejects end here with an error; that is the test.
                    if let Ok(mut tls) = acceptor.accept(tcp).await {
                        let mut buf = [0u8; 4];
                        if tls.read_exact(&mut buf).await.is_ok() {
                            let _ = tls.write_all(b"pong").await;
                            let _ = tls.flush().await;
                        }
                    }
                });
            }
        });
        Some(addr)
    }

    #[tokio::test]
    async fn real_handshakes_verify_every_default_name_and_negotiate_alpn() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(tmp.path()).unwrap();
        let creds = dir.credentials(&["kplan.example".to_owned()]).unwrap();
        let v4 = serve(&creds, "127.0.0.1:0").await.unwrap();

        for name in ["127.0.0.1", "::1", "localhost", "kplan.example"] {
            let h2 = handshake(&creds, v4, name, &[b"h2", b"http/1.1"]).await;
            assert_eq!(h2.unwrap().as_deref(), Some(&b"h2"[..]), "{name}");
        }
        let h1 = handshake(&creds, v4, "127.0.0.1", &[b"http/1.1"]).await;
        assert_eq!(h1.unwrap().as_deref(), Some(&b"http/1.1"[..]));
        let none = handshake(&creds, v4, "127.0.0.1", &[]).await;
        assert_eq!(none.unwrap(), None);

        let err = handshake(&creds, v4, "other.example", &[b"h2"])
            .await
            .unwrap_err();
        assert!(err.to_string().contains("not valid for name"), "{err}");

        // A client trusting another kplan data directory's CA must fail too.
        let other_tmp = tempfile::tempdir().unwrap();
        let other = DataDir::open(other_tmp.path())
            .unwrap()
            .credentials(&[])
            .unwrap();
        let err = handshake(&other, v4, "127.0.0.1", &[b"h2"])
            .await
            .unwrap_err();
        assert!(err.to_string().contains("UnknownIssuer"), "{err}");

        match serve(&creds, "[::1]:0").await {
            Some(v6) => {
                let h2 = handshake(&creds, v6, "::1", &[b"h2", b"http/1.1"]).await;
                assert_eq!(h2.unwrap().as_deref(), Some(&b"h2"[..]));
            }
            None => eprintln!("skipping the ::1 socket check: cannot bind [::1]:0 here"),
        }
    }

    #[test]
    fn server_config_reports_a_broken_key() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(tmp.path()).unwrap();
        let mut creds = dir.credentials(&[]).unwrap();
        creds.key_pem = "nonsense".to_owned();
        assert!(matches!(creds.server_config(), Err(BootstrapError::Tls(_))));
        let other = DataDir::open(tempfile::tempdir().unwrap().path())
            .unwrap()
            .credentials(&[])
            .unwrap();
        creds.key_pem = other.key_pem;
        let err = creds.server_config().unwrap_err();
        assert!(err.to_string().contains("server.key"), "{err}");
    }

    #[test]
    fn kubeconfig_has_the_shape_kubectl_reads() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(tmp.path()).unwrap();
        let creds = dir.credentials(&[]).unwrap();
        let path = dir.write_kubeconfig(&creds, "https://[::1]:6443").unwrap();
        assert_eq!(path, dir.path.join(KUBECONFIG_FILE));
        assert_eq!(mode(&path), 0o600);
        let text = fs::read_to_string(&path).unwrap();
        let docs = parse_documents(&text, Limits::default());
        assert_eq!(docs.len(), 1);
        assert!(docs[0].issues.is_empty(), "{:?}", docs[0].issues);
        let value = docs[0].tree.to_json(docs[0].root.unwrap());
        let ca_data =
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &creds.ca_pem);
        assert_eq!(
            value,
            json!({
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "kplan", "cluster": {
                    "server": "https://[::1]:6443",
                    "certificate-authority-data": ca_data,
                }}],
                "users": [{"name": "kplan", "user": {"token": creds.token}}],
                "contexts": [{"name": "kplan", "context": {
                    "cluster": "kplan", "user": "kplan", "namespace": "default",
                }}],
                "current-context": "kplan",
                "preferences": {},
            })
        );
    }

    #[test]
    fn kubeconfig_is_rewritten_and_checked_against_the_certificate() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(tmp.path()).unwrap();
        let creds = dir.credentials(&["kplan.example".to_owned()]).unwrap();
        dir.write_kubeconfig(&creds, "https://127.0.0.1:1").unwrap();
        let path = dir
            .write_kubeconfig(&creds, "https://kplan.example:2")
            .unwrap();
        assert!(
            fs::read_to_string(path)
                .unwrap()
                .contains("\"https://kplan.example:2\"")
        );
        let err = dir
            .write_kubeconfig(&creds, "https://192.0.2.1:6443")
            .unwrap_err();
        assert!(matches!(err, BootstrapError::ServerUrl { .. }), "{err}");
        assert!(err.to_string().contains("192.0.2.1"), "{err}");
        let err = dir
            .write_kubeconfig(&creds, "http://127.0.0.1:6443")
            .unwrap_err();
        assert!(err.to_string().contains("https://"), "{err}");
    }

    #[test]
    fn kubectl_reads_the_kubeconfig() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(tmp.path()).unwrap();
        let creds = dir.credentials(&[]).unwrap();
        // Port 1 refuses at once, should the kubectl dispatcher try the server's /version.
        let path = dir.write_kubeconfig(&creds, "https://127.0.0.1:1").unwrap();
        let output = match Command::new("kubectl")
            .args(["config", "view", "--raw", "-o", "json"])
            .env("KUBECONFIG", &path)
            .env("KUBECACHEDIR", tmp.path().join("cache"))
            .env("HOME", tmp.path())
            .output()
        {
            Ok(output) => output,
            Err(e) => {
                eprintln!("skipping the kubectl check: cannot run kubectl ({e})");
                return;
            }
        };
        assert!(
            output.status.success(),
            "kubectl failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let view: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let cluster = &view["clusters"][0]["cluster"];
        assert_eq!(cluster["server"], "https://127.0.0.1:1");
        let ca = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            cluster["certificate-authority-data"].as_str().unwrap(),
        )
        .unwrap();
        assert_eq!(ca, creds.ca_pem.as_bytes());
        assert_eq!(view["users"][0]["user"]["token"], creds.token.as_str());
        assert_eq!(view["current-context"], "kplan");
        assert_eq!(view["contexts"][0]["context"]["namespace"], "default");
    }

    /// The real kubectl against a minimal HTTPS server built the way the HTTP layer builds
    /// one (axum-server with `server_config()`): Go's x509 must accept the certificate, ALPN
    /// must give HTTP/2, and the kubeconfig's token must pass `authorizes`.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn kubectl_trusts_the_certificate_and_sends_the_token() {
        use std::sync::Mutex;

        use axum::http::{HeaderMap, StatusCode, Version, header::AUTHORIZATION};
        use axum::routing::get;

        const VERSION: &str = r#"{"major":"1","minor":"32","gitVersion":"v1.32.0-kplan"}"#;
        const UNAUTHORIZED: &str = r#"{"kind":"Status","apiVersion":"v1","metadata":{},
            "status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#;

        let tmp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(tmp.path()).unwrap();
        let creds = Arc::new(dir.credentials(&[]).unwrap());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let kubeconfig = dir
            .write_kubeconfig(
                &creds,
                &super::super::server_url(listener.local_addr().unwrap()),
            )
            .unwrap();

        let seen: Arc<Mutex<Vec<(Version, bool)>>> = Arc::default();
        let app = axum::Router::new().route(
            "/version",
            get({
                let (creds, seen) = (Arc::clone(&creds), Arc::clone(&seen));
                move |version: Version, headers: HeaderMap| async move {
                    let header = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
                    let ok = creds.authorizes(header);
                    seen.lock().unwrap().push((version, ok));
                    if ok {
                        (StatusCode::OK, VERSION)
                    } else {
                        (StatusCode::UNAUTHORIZED, UNAUTHORIZED)
                    }
                }
            }),
        );
        let tls =
            axum_server::tls_rustls::RustlsConfig::from_config(creds.server_config().unwrap());
        let server = axum_server::from_tcp_rustls(listener, tls).unwrap();
        tokio::spawn(server.serve(app.into_make_service()));

        let kubectl = |extra: &'static [&'static str]| {
            let (kubeconfig, home) = (kubeconfig.clone(), tmp.path().to_path_buf());
            tokio::task::spawn_blocking(move || {
                Command::new("kubectl")
                    .args(["version", "-o", "json", "--request-timeout=5s"])
                    .args(extra)
                    .env("KUBECONFIG", &kubeconfig)
                    .env("KUBECACHEDIR", home.join("cache"))
                    .env("HOME", &home)
                    .output()
            })
        };
        let output = match kubectl(&[]).await.unwrap() {
            Ok(output) => output,
            Err(e) => {
                eprintln!("skipping the kubectl handshake check: cannot run kubectl ({e})");
                return;
            }
        };
        assert!(
            output.status.success(),
            "kubectl failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let version: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(version["serverVersion"]["gitVersion"], "v1.32.0-kplan");
        {
            let seen = seen.lock().unwrap();
            assert!(!seen.is_empty());
            assert!(
                seen.iter().all(|&(v, ok)| v == Version::HTTP_2 && ok),
                "{seen:?}"
            );
        }

        let output = kubectl(&["--token", "wrong"]).await.unwrap().unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("must be logged in"), "{stderr}");
        assert!(seen.lock().unwrap().iter().any(|&(_, ok)| !ok));
    }

    /// Start-up cost of `credentials()`. Run by hand, in release mode for meaningful figures:
    /// `cargo test --release --lib server::bootstrap -- --ignored --nocapture`.
    #[test]
    #[ignore = "a measurement, not a check"]
    fn measure_credentials() {
        const RUNS: usize = 50;
        let mut first = Vec::new();
        let mut restart = Vec::new();
        let mut config = Vec::new();
        for _ in 0..RUNS {
            let tmp = tempfile::tempdir().unwrap();
            let dir = DataDir::open(tmp.path()).unwrap();
            let t = Instant::now();
            dir.credentials(&[]).unwrap();
            first.push(t.elapsed());
            drop(dir);
            let dir = DataDir::open(tmp.path()).unwrap();
            let t = Instant::now();
            let creds = dir.credentials(&[]).unwrap();
            restart.push(t.elapsed());
            let t = Instant::now();
            creds.server_config().unwrap();
            config.push(t.elapsed());
        }
        for (label, mut times) in [
            ("credentials(), first start", first),
            ("credentials(), restart", restart),
            ("server_config()", config),
        ] {
            times.sort();
            eprintln!(
                "{label}: median {:?}, min {:?}, max {:?} ({RUNS} runs)",
                times[RUNS / 2],
                times[0],
                times[RUNS - 1]
            );
        }
    }
}
