//! Load generator for `kplan serve` (run by `scripts/bench-serve`, not a test): starts the
//! release binary on a fresh data dir, then from the same machine creates N objects from C
//! concurrent HTTPS clients, reads them back, lists them, watches them, and reports durable
//! writes/s, reads/s, latency percentiles, time to first served request and the server's RSS.
//!
//! Usage: cargo bench --bench serve_load -- [--objects N] [--clients C] [--kplan PATH]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rustls_pki_types::pem::PemObject as _;

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_string())
}

fn rss_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// CPU time (user + system) a process has used so far, from `/proc/PID/stat`.
fn cpu_time(pid: &str) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let ticks: u64 = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse::<u64>().ok())
        .sum();
    // USER_HZ is 100 on Linux.
    Duration::from_millis(ticks * 10)
}

/// The server's `kplan_store_commits_total` from `/metrics`.
async fn commits(c: &reqwest::Client, base: &str) -> u64 {
    let text = c
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics body");
    text.lines()
        .find_map(|l| l.strip_prefix("kplan_store_commits_total "))
        .and_then(|v| v.trim().parse().ok())
        .expect("kplan_store_commits_total in /metrics")
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    // Rank by rounding: p is in [0, 1], so the index is in range and never negative.
    #[allow(clippy::cast_sign_loss)]
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn tls_config(ca: &[u8]) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pki_types::CertificateDer::pem_slice_iter(ca) {
        roots.add(cert.expect("CA PEM")).expect("CA cert");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    tls
}

/// One client of the measured phases: its own kept-alive HTTPS connection speaking HTTP/1.1
/// through hyper directly. reqwest costs the client about a third more CPU per request, and
/// on 2 shared cores whatever the client spends the server cannot.
struct Conn {
    send: hyper::client::conn::http1::SendRequest<http_body_util::Full<bytes::Bytes>>,
    authorization: hyper::header::HeaderValue,
}

impl Conn {
    async fn open(addr: std::net::SocketAddr, tls: Arc<rustls::ClientConfig>, token: &str) -> Conn {
        let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
        tcp.set_nodelay(true).expect("nodelay");
        let name = rustls_pki_types::ServerName::IpAddress(addr.ip().into());
        let stream = tokio_rustls::TlsConnector::from(tls)
            .connect(name, tcp)
            .await
            .expect("TLS handshake");
        let (send, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .expect("HTTP/1.1 handshake");
        tokio::spawn(connection);
        Conn {
            send,
            authorization: format!("Bearer {token}").parse().expect("header"),
        }
    }

    /// Sends one request and reads the whole answer; returns its status.
    async fn call(&mut self, method: hyper::Method, path: &str, body: Vec<u8>) -> u16 {
        use http_body_util::BodyExt as _;
        self.send.ready().await.expect("connection ready");
        let request = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, "127.0.0.1")
            .header(hyper::header::AUTHORIZATION, self.authorization.clone())
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .body(http_body_util::Full::new(bytes::Bytes::from(body)))
            .expect("request");
        let response = self.send.send_request(request).await.expect("response");
        let status = response.status().as_u16();
        response.into_body().collect().await.expect("body");
        status
    }
}

fn client(ca: &[u8], token: &str) -> reqwest::Client {
    let tls = tls_config(ca);
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().expect("header"),
    );
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .default_headers(headers)
        .pool_max_idle_per_host(1)
        .build()
        .expect("client")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let objects: usize = arg("--objects", "10000").parse().expect("--objects N");
    let clients: usize = arg("--clients", "8").parse().expect("--clients C");
    let kplan = arg("--kplan", "target/release/kplan");
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");

    let started = Instant::now();
    // Extra server flags, e.g. KPLAN_SERVE_ARGS=--no-controllers to measure the API alone.
    let extra = std::env::var("KPLAN_SERVE_ARGS").unwrap_or_default();
    let mut child = Command::new(&kplan)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .args(extra.split_whitespace())
        .stdout(Stdio::piped())
        .spawn()
        .expect("kplan serve starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("address line").expect("utf-8");
    let base = format!(
        "https://{}",
        first.split("https://").nth(1).expect("address").trim()
    );
    let ca = std::fs::read(data.join("ca.crt")).expect("ca.crt");
    let token = std::fs::read_to_string(data.join("token"))
        .expect("token")
        .trim()
        .to_string();
    let c = client(&ca, &token);
    let mut ready = None;
    while started.elapsed() < Duration::from_secs(5) {
        if c.get(format!("{base}/version"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            ready = Some(started.elapsed());
            break;
        }
    }
    let ready = ready.expect("server answered within 5 s");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle = rss_kib(child.id());

    let ns =
        serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench"}});
    c.post(format!("{base}/api/v1/namespaces"))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&ns).expect("json"))
        .send()
        .await
        .expect("namespace");
    let payload = "x".repeat(900);
    let addr: std::net::SocketAddr = base
        .trim_start_matches("https://")
        .parse()
        .expect("server address");
    let tls = Arc::new(tls_config(&ca));
    let mut conns = Vec::new();
    for _ in 0..clients {
        conns.push(Conn::open(addr, Arc::clone(&tls), &token).await);
    }
    let next = Arc::new(AtomicUsize::new(0));
    let server_pid = child.id().to_string();
    let commits0 = commits(&c, &base).await;
    let (server_cpu0, own_cpu0) = (cpu_time(&server_pid), cpu_time("self"));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for mut conn in conns.drain(..) {
        let (next, payload) = (Arc::clone(&next), payload.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= objects {
                    return (latencies, conn);
                }
                let body = format!(
                    r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"cm-{i:06}","labels":{{"app":"bench"}}}},"data":{{"payload":"{payload}"}}}}"#
                );
                let t = Instant::now();
                let status = conn
                    .call(
                        hyper::Method::POST,
                        "/api/v1/namespaces/bench/configmaps",
                        body.into_bytes(),
                    )
                    .await;
                assert_eq!(status, 201, "create cm-{i}");
                latencies.push(t.elapsed());
            }
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        let (l, conn) = t.await.expect("writer task");
        latencies.extend(l);
        conns.push(conn);
    }
    let write_time = t0.elapsed();
    let server_cpu = cpu_time(&server_pid).saturating_sub(server_cpu0);
    let own_cpu = cpu_time("self").saturating_sub(own_cpu0);
    let commits = commits(&c, &base).await - commits0;
    latencies.sort();
    let loaded = rss_kib(child.id());

    let next = Arc::new(AtomicUsize::new(0));
    let (server_cpu1, own_cpu1) = (cpu_time(&server_pid), cpu_time("self"));
    let t1 = Instant::now();
    let mut readers = Vec::new();
    for mut conn in conns.drain(..) {
        let next = Arc::clone(&next);
        readers.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= objects {
                    return lat;
                }
                let t = Instant::now();
                let path = format!("/api/v1/namespaces/bench/configmaps/cm-{i:06}");
                let status = conn.call(hyper::Method::GET, &path, Vec::new()).await;
                assert_eq!(status, 200, "get cm-{i}");
                lat.push(t.elapsed());
            }
        }));
    }
    let mut read_lat = Vec::new();
    for t in readers {
        read_lat.extend(t.await.expect("reader task"));
    }
    let read_time = t1.elapsed();
    let server_read_cpu = cpu_time(&server_pid).saturating_sub(server_cpu1);
    let own_read_cpu = cpu_time("self").saturating_sub(own_cpu1);
    read_lat.sort();

    let t2 = Instant::now();
    let list = c
        .get(format!("{base}/api/v1/namespaces/bench/configmaps"))
        .send()
        .await
        .expect("list")
        .bytes()
        .await
        .expect("list body");
    let list_time = t2.elapsed();
    let after_list = rss_kib(child.id());
    let t3 = Instant::now();
    let mut pages = 0;
    let mut cont = String::new();
    loop {
        let url = format!("{base}/api/v1/namespaces/bench/configmaps?limit=500&continue={cont}");
        let page: serde_json::Value = serde_json::from_slice(
            &c.get(url)
                .send()
                .await
                .expect("page")
                .bytes()
                .await
                .expect("page body"),
        )
        .expect("page json");
        pages += 1;
        match page["metadata"]["continue"].as_str() {
            Some(next) if !next.is_empty() => cont = next.to_string(),
            _ => break,
        }
    }
    let paged_time = t3.elapsed();
    let t4 = Instant::now();
    let watch = c
        .get(format!("{base}/api/v1/namespaces/bench/configmaps?watch=true&resourceVersion=1&timeoutSeconds=2"))
        .send()
        .await
        .expect("watch")
        .bytes()
        .await
        .expect("watch body");
    let watch_events = watch
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .count();
    let watch_time = t4.elapsed();

    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let _ = child.wait();

    println!("| figure | value |");
    println!("|---|---|");
    println!("| objects, clients | {objects}, {clients} |");
    println!(
        "| time to first served request (exec → 200 /version) | {:.1} ms |",
        ready.as_secs_f64() * 1000.0
    );
    println!("| idle RSS | {:.1} MiB |", idle.0 as f64 / 1024.0);
    println!(
        "| durable creates/s | {:.0} |",
        objects as f64 / write_time.as_secs_f64()
    );
    println!(
        "| create latency p50 / p99 | {:.2} / {:.2} ms |",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99)
    );
    println!(
        "| writes per commit (one fsync each) | {:.1} |",
        objects as f64 / commits.max(1) as f64
    );
    println!(
        "| CPU per create: server / load generator | {:.0} / {:.0} µs |",
        server_cpu.as_secs_f64() * 1e6 / objects as f64,
        own_cpu.as_secs_f64() * 1e6 / objects as f64
    );
    println!(
        "| reads/s (GET by name) | {:.0} |",
        objects as f64 / read_time.as_secs_f64()
    );
    println!(
        "| read latency p50 / p99 | {:.2} / {:.2} ms |",
        percentile(&read_lat, 0.5),
        percentile(&read_lat, 0.99)
    );
    println!(
        "| CPU per read: server / load generator | {:.0} / {:.0} µs |",
        server_read_cpu.as_secs_f64() * 1e6 / objects as f64,
        own_read_cpu.as_secs_f64() * 1e6 / objects as f64
    );
    println!(
        "| RSS after {objects} objects (peak) | {:.1} MiB ({:.1}) |",
        loaded.0 as f64 / 1024.0,
        loaded.1 as f64 / 1024.0
    );
    println!(
        "| full LIST: time, size | {:.0} ms, {:.1} MB |",
        list_time.as_secs_f64() * 1000.0,
        list.len() as f64 / 1e6
    );
    println!(
        "| RSS after the LIST (peak) | {:.1} MiB ({:.1}) |",
        after_list.0 as f64 / 1024.0,
        after_list.1 as f64 / 1024.0
    );
    println!(
        "| paginated LIST (limit 500): pages, time | {pages}, {:.0} ms |",
        paged_time.as_secs_f64() * 1000.0
    );
    println!(
        "| watch from rv 1: events, time (incl. 2 s timeout) | {watch_events}, {:.0} ms |",
        watch_time.as_secs_f64() * 1000.0
    );
}
