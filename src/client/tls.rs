use std::sync::Once;

/// Makes ring the process-wide rustls crypto provider, before kube builds its TLS config.
///
/// kube's rustls config calls `ClientConfig::builder()`, which takes the process default
/// provider and panics when it cannot choose one — which happens as soon as any crate in the
/// build enables a second provider (aws-lc-rs; serve-spike pitfall 1). Only ring is compiled
/// in today (`cargo tree -i aws-lc-rs` finds nothing), so rustls would pick it by itself;
/// installing it explicitly keeps a future dependency from turning into a panic at connect.
/// If something else installed a provider first, that one stays: any provider stops the
/// panic. (`kplan serve` does the same at its start; `client` and `server` share no code.)
pub(super) fn install_ring_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_install_there_is_a_process_provider() {
        install_ring_provider();
        let provider = rustls::crypto::CryptoProvider::get_default().expect("a provider");
        assert!(!provider.cipher_suites.is_empty());
        // Building a client config from the process default must not panic any more.
        let _ = rustls::ClientConfig::builder()
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth();
    }
}
