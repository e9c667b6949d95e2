use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::san::SubjectAltName;
use super::{BootstrapError, Credentials};

/// Name of the kubeconfig inside the data directory.
pub(super) const KUBECONFIG_FILE: &str = "kubeconfig";

/// Cluster, user and context name in the kubeconfig.
const NAME: &str = "kplan";

/// The `https://` URL clients use to reach a server listening on `addr`. A wildcard listen
/// address becomes the loopback address of its family: `0.0.0.0` is no address to connect to
/// and is not in the serving certificate.
pub fn server_url(addr: SocketAddr) -> String {
    let ip = connectable(addr.ip());
    format!("https://{}", SocketAddr::new(ip, addr.port()))
}

fn connectable(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        other => other,
    }
}

/// The kubeconfig text for `creds` and `server_url`.
///
/// The URL must be `https://HOST[:PORT]` with an IPv6 host in brackets; a wildcard address
/// is replaced by loopback. The host must be one the serving certificate covers: a mismatch
/// would otherwise surface only later, as an x509 error in every kubectl command.
pub(super) fn render(creds: &Credentials, server_url: &str) -> Result<String, BootstrapError> {
    let (url, host) = normalize(server_url)?;
    let cert = CertificateDer::from_pem_slice(creds.cert_pem.as_bytes()).map_err(|e| {
        BootstrapError::Certificate(format!("the serving certificate is not valid PEM ({e})"))
    })?;
    let names = SubjectAltName::in_certificate(&cert).unwrap_or_default();
    if !names.iter().any(|n| n.covers(&host)) {
        return Err(BootstrapError::ServerUrl {
            url: server_url.to_owned(),
            reason: "the serving certificate does not name this host, so kubectl would reject \
                     it; add the host to the certificate's extra names",
        });
    }

    // Every scalar is written as a JSON string: JSON strings are YAML double-quoted scalars,
    // so no value (a hand-chosen token, say) can change the document's structure.
    let q = |s: &str| serde_json::Value::from(s).to_string();
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "# Written by kplan serve at every start; edits are overwritten.\n\
         apiVersion: v1\n\
         kind: Config\n\
         clusters:\n\
         - name: {name}\n  \
           cluster:\n    \
             server: {server}\n    \
             certificate-authority-data: {ca}\n\
         users:\n\
         - name: {name}\n  \
           user:\n    \
             token: {token}\n\
         contexts:\n\
         - name: {name}\n  \
           context:\n    \
             cluster: {name}\n    \
             user: {name}\n    \
             namespace: default\n\
         current-context: {name}\n\
         preferences: {{}}\n",
        name = q(NAME),
        server = q(&url),
        ca = q(&STANDARD.encode(&creds.ca_pem)),
        token = q(&creds.token),
    );
    Ok(out)
}

/// `https://HOST[:PORT]` with wildcard addresses replaced by loopback and IPv6 in canonical
/// form, and the bare host for the certificate check.
fn normalize(url: &str) -> Result<(String, String), BootstrapError> {
    let invalid = |reason| BootstrapError::ServerUrl {
        url: url.to_owned(),
        reason,
    };
    let trimmed = url.trim();
    let rest = trimmed
        .get(..8)
        .filter(|scheme| scheme.eq_ignore_ascii_case("https://"))
        .map(|_| &trimmed[8..])
        .ok_or_else(|| {
            invalid("it must start with https://, because kubectl sends the token only over TLS")
        })?;
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty() || authority.contains(['/', '?', '#', '@']) {
        return Err(invalid(
            "it must be https://HOST:PORT, with nothing after the port",
        ));
    }
    let (host, port) = split_host_port(authority).ok_or_else(|| {
        invalid("its host or port is malformed (IPv6 hosts go in brackets: https://[::1]:6443)")
    })?;
    let port = port.map_or(String::new(), |p| format!(":{p}"));
    Ok(match host.parse::<IpAddr>() {
        Ok(ip) => {
            let ip = connectable(ip);
            let shown = match ip {
                IpAddr::V4(v4) => v4.to_string(),
                IpAddr::V6(v6) => format!("[{v6}]"),
            };
            (format!("https://{shown}{port}"), ip.to_string())
        }
        Err(_) => (format!("https://{host}{port}"), host.to_owned()),
    })
}

/// Host and optional port of an authority. IPv6 hosts must be bracketed: unbracketed,
/// `::1:6443` is itself a valid IPv6 address, so host and port cannot be told apart.
fn split_host_port(authority: &str) -> Option<(&str, Option<u16>)> {
    if let Some(bracketed) = authority.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']')?;
        host.parse::<Ipv6Addr>().ok()?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':')?.parse().ok()?),
        };
        return Some((host, port));
    }
    match authority.split_once(':') {
        None => Some((authority, None)),
        Some((host, port)) if !host.is_empty() && !port.contains(':') => {
            Some((host, Some(port.parse().ok()?)))
        }
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_url_brackets_ipv6_and_replaces_wildcards() {
        let url = |s: &str| server_url(s.parse().unwrap());
        assert_eq!(url("127.0.0.1:6443"), "https://127.0.0.1:6443");
        assert_eq!(url("0.0.0.0:6443"), "https://127.0.0.1:6443");
        assert_eq!(url("[::]:6443"), "https://[::1]:6443");
        assert_eq!(url("[fd00::5]:1"), "https://[fd00::5]:1");
    }

    #[test]
    fn normalize_accepts_the_usual_spellings() {
        let n = |s: &str| normalize(s).unwrap();
        assert_eq!(
            n("https://127.0.0.1:6443"),
            ("https://127.0.0.1:6443".into(), "127.0.0.1".into())
        );
        assert_eq!(
            n("HTTPS://[::1]:6443/"),
            ("https://[::1]:6443".into(), "::1".into())
        );
        assert_eq!(n("https://[::1]"), ("https://[::1]".into(), "::1".into()));
        assert_eq!(
            n("https://0.0.0.0:1"),
            ("https://127.0.0.1:1".into(), "127.0.0.1".into())
        );
        assert_eq!(
            n("https://[::]:1"),
            ("https://[::1]:1".into(), "::1".into())
        );
        assert_eq!(
            n("https://localhost:6443"),
            ("https://localhost:6443".into(), "localhost".into())
        );
        assert_eq!(
            n("https://localhost"),
            ("https://localhost".into(), "localhost".into())
        );
    }

    #[test]
    fn normalize_rejects_plain_http_paths_and_bad_ports() {
        for bad in [
            "http://127.0.0.1:6443",
            "127.0.0.1:6443",
            "https://",
            "https://127.0.0.1:6443/api",
            "https://127.0.0.1:99999",
            "https://127.0.0.1:",
            "https://[::1",
            "https://[::1]6443",
            "https://user@127.0.0.1:1",
            "https://:6443",
            "https://::1:6443",
            "https://::1",
        ] {
            assert!(
                matches!(normalize(bad), Err(BootstrapError::ServerUrl { .. })),
                "{bad}"
            );
        }
        let err = normalize("http://127.0.0.1:1").unwrap_err().to_string();
        assert!(err.contains("https://"), "{err}");
    }
}
