//! kplan: validate, diff, plan and apply Kubernetes manifests.
//!
//! The core (`manifest`, `schema`, `validate`, `lint`, `report`, `state`, `diff`, `plan`,
//! `rollout`, `release`, `time`) is synchronous and knows nothing about a cluster; `cli` is the
//! edge that reads flags and files and sets the exit code. `client` talks to API servers and
//! `apply` executes plans through it; `server` is an API server; they never import each other.
//! See `docs/architecture.md`.

pub mod apply;
pub mod cli;
pub mod client;
pub mod diff;
pub mod lint;
pub mod manifest;
pub mod plan;
pub mod release;
pub mod report;
pub mod rollout;
pub mod schema;
pub mod server;
pub mod state;
pub mod time;
pub mod validate;
