//! kplan: validate, diff, plan and apply Kubernetes manifests.
//!
//! The core (`manifest`, `schema`, `validate`, `lint`, `report`, `rollout`) is synchronous and
//! knows nothing about a cluster; `cli` is the edge that reads flags and files and sets the exit
//! code. `client` talks to API servers, `server` is one; they never import each other.
//! See `docs/architecture.md`.

pub mod apply;
pub mod cli;
pub mod client;
pub mod lint;
pub mod manifest;
pub mod release;
pub mod report;
pub mod rollout;
pub mod schema;
pub mod server;
pub mod time;
pub mod validate;
