use std::sync::{Arc, Once};

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::BootstrapError;

/// ALPN protocols in order of preference: kubectl (client-go) speaks HTTP/2, kube-rs HTTP/1.1.
pub(super) const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// Makes ring the process-wide rustls crypto provider. Call it first thing in `main`.
///
/// rustls cannot pick a provider by itself once more than one is compiled in (a dependency
/// enabling aws-lc-rs is enough), and then `ClientConfig::builder()` — which kube-client and
/// reqwest call internally — panics (serve-spike pitfall 1). kplan's own configs name ring
/// explicitly; this covers the code that does not. Losing the race to another provider is
/// fine: whichever is installed, the calls that needed one no longer panic.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A TLS server config serving `cert_pem` (the first certificate is the leaf) with `key_pem`.
pub(super) fn server_config(
    cert_pem: &str,
    key_pem: &str,
) -> Result<Arc<ServerConfig>, BootstrapError> {
    let chain = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls_error(&format!("the serving certificate is not valid PEM ({e})")))?;
    if chain.is_empty() {
        return Err(tls_error(
            "the serving certificate PEM holds no certificate",
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
        .map_err(|e| tls_error(&format!("the serving key is not valid PEM ({e})")))?;
    // The provider is named rather than taken from the process default, so this works whether
    // or not `install_crypto_provider` ran, and cannot silently pick aws-lc-rs.
    let mut config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_error(&e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| tls_error(&e.to_string()))?;
    // axum-server's `RustlsConfig::from_config` leaves ALPN as given (serve-spike pitfall 3);
    // without it kubectl falls back to HTTP/1.1 and kube-rs still works, so the omission would
    // go unnoticed.
    config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}

fn tls_error(what: &str) -> BootstrapError {
    BootstrapError::Tls(format!(
        "cannot set up TLS: {what}; delete server.crt and server.key from the data directory \
         to have them made anew"
    ))
}
