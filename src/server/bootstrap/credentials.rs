use std::fmt;
use std::sync::Arc;

use super::{BootstrapError, tls, token};

/// What a running server needs from its data directory: the certificates and key it serves
/// TLS with and the bearer token clients must present.
#[derive(Clone)]
pub struct Credentials {
    /// The CA certificate clients trust (`ca.crt`, embedded in the kubeconfig).
    pub ca_pem: String,
    /// The serving certificate (`server.crt`), signed by the CA.
    pub cert_pem: String,
    /// The serving certificate's private key (`server.key`).
    pub key_pem: String,
    /// The bearer token (`token`).
    pub token: String,
}

impl Credentials {
    /// A rustls server config for the serving certificate, with the ring provider named
    /// explicitly, ALPN `h2` then `http/1.1`, and no client certificates.
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, BootstrapError> {
        tls::server_config(&self.cert_pem, &self.key_pem)
    }

    /// Whether an `Authorization` header value is `Bearer <token>` with this token. The scheme
    /// matches case-insensitively (as in Kubernetes); the token is compared in constant time.
    pub fn authorizes(&self, authorization_header: Option<&str>) -> bool {
        token::authorizes(&self.token, authorization_header)
    }
}

/// Hides the key and the token, so that logging the credentials cannot leak them.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("ca_pem", &self.ca_pem)
            .field("cert_pem", &self.cert_pem)
            .field("key_pem", &"<redacted>")
            .field("token", &"<redacted>")
            .finish()
    }
}
