//! kplan: validate, diff, plan and apply Kubernetes manifests.
//!
//! The core (`manifest`, `schema`, `validate`, `lint`, `report`, `state`, `diff`, `plan`,
//! `rollout`) is synchronous and knows nothing about a cluster; `cli` is the edge that reads
//! flags and files and sets the exit code.
//! See `docs/architecture.md`.

pub mod cli;
pub mod diff;
pub mod lint;
pub mod manifest;
pub mod plan;
pub mod report;
pub mod rollout;
pub mod schema;
pub mod server;
pub mod state;
pub mod validate;
