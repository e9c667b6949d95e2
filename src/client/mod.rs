//! The one way kplan talks to a Kubernetes API server — a remote cluster or the bundled
//! `kplan serve` alike, so nothing above this module knows which it is.
//!
//! Built on kube (kube-rs): kubeconfig loading, credentials (tokens, client certificates, exec
//! plugins), TLS and request building are kube's; what is here is the part kplan needs on top:
//! finding the kubeconfig as kubectl does, discovery cached per group-version, JSON objects of
//! any kind (no typed structs), server-side apply with field-manager conflicts as data,
//! parallel reads, and waiting for rollouts (whose rules live in the pure
//! [`crate::rollout::rollout_status`]).
//!
//! Async (tokio). It must not import `crate::server`: the client reaches the bundled server
//! only over HTTPS, through the kubeconfig that server writes, exactly as kubectl does.

mod apply_options;
#[allow(clippy::module_inception)] // named after its type, as every file here
mod client;
mod connect_options;
mod discovery_cache;
mod endpoint;
mod error;
mod field_conflict;
mod kubeconfig;
mod object_key;
mod propagation;
mod read;
mod resource_info;
mod server_version;
mod tls;
mod wait;
mod write;

pub use apply_options::ApplyOptions;
pub use client::Client;
pub use connect_options::ConnectOptions;
pub use endpoint::Endpoint;
pub use error::ClientError;
pub use field_conflict::FieldConflict;
pub use kubeconfig::KubeconfigEnv;
pub use object_key::ObjectKey;
pub use propagation::Propagation;
pub use resource_info::ResourceInfo;
pub use server_version::ServerVersion;

pub use crate::rollout::{RolloutState, rollout_status};
