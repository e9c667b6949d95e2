//! Everything a server needs from its data directory before it serves: an exclusive lock, a CA
//! and a serving certificate, a bearer token, a kubeconfig for kubectl, and the rustls config.
//!
//! Layout of the directory (0700, every file 0600):
//!
//! | file | content |
//! |---|---|
//! | `lock` | flock'd while a server runs; holds its pid |
//! | `ca.crt` | ECDSA P-256 CA; its key is not kept |
//! | `server.crt`, `server.key` | serving certificate (127.0.0.1, ::1, localhost, extras) and key |
//! | `token` | 64 hex digits, the bearer token |
//! | `kubeconfig` | cluster/user/context `kplan`, rewritten at every start |
//!
//! Files are replaced by temp file + fsync + rename, and every start checks what it reuses, so
//! a crash at any point leaves a directory the next start can use. Only ring is used for
//! crypto (serve-spike pitfalls 1 and 2): see [`install_crypto_provider`].

mod certs;
mod credentials;
mod data_dir;
mod der;
mod error;
mod fs;
mod kubeconfig;
mod lock;
mod san;
mod tls;
mod token;

pub use credentials::Credentials;
pub use data_dir::DataDir;
pub use error::BootstrapError;
pub use kubeconfig::server_url;
pub use tls::install_crypto_provider;
