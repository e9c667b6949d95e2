//! kplan: validate, diff, plan and apply Kubernetes manifests.
//!
//! The core (`manifest`, `schema`, `validate`, `lint`, `report`) is synchronous and knows nothing
//! about a cluster; `cli` is the edge that reads flags and files and sets the exit code.
//! See `docs/architecture.md`.

pub mod manifest;
pub mod report;
pub mod schema;
pub mod lint;
pub mod validate;
pub mod cli;
