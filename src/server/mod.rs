//! The bundled control plane (`kplan serve`): a Kubernetes API over HTTPS, stored in SQLite.
//!
//! - [`bootstrap`]: the data directory — lock, CA and serving certificate, bearer token,
//!   kubeconfig.
//! - [`store`]: etcd semantics on SQLite (kine's layout): one append-only revisions table, a
//!   single writer thread with group commit, watches fanned out in process after commit.
//! - [`catalog`]: which resources exist (built-in kinds and CRDs) and their REST names.
//! - [`http`]: the REST API (discovery, CRUD, watch, Status errors) on axum + rustls.
//!
//! `server` never imports `cluster`, and the core never imports `server`.

pub mod bootstrap;
pub mod catalog;
pub mod controllers;
pub mod finalizers;
pub mod http;
pub mod random;
pub mod store;
