//! Black-box tests of the real `kplan` binary, in one test binary so it is built and linked
//! once (`cargo test --test cli`).
//!
//! - `util`: the harness (temporary directories, running the binary, the JSON contract check
//!   applied to every `-o json` output);
//! - `validate`: `kplan validate` behaviour, flag by flag, position by position;
//! - `hostile`: malformed and malicious input, each bounded in time;
//! - `corpus`: the `kubernetes/examples` corpus in `../shared/corpus`, when present;
//! - `formats`: every `-o` format on the same input, against its own definition;
//! - `diff`, `plan`: `kplan diff` / `kplan plan` on copies of the examples app, every
//!   renderer snapshotted, saved plans checked against `docs/plan-file.schema.json`;
//! - `serve`: `kplan serve` driven by the real kubectl;
//! - `serve_durability`: kill -9 during writes, and the fsync-before-acknowledge order;
//! - `serve_controllers`: rollouts, undo, restarts and the other simulated controllers;
//! - `client`: the library's `Client` (kube-rs) against the real `kplan serve`;
//! - `snapshot`: `kplan snapshot` of the examples app applied to the bundled plane, diffed
//!   against.
//!
//! Snapshots live in `snapshots/` beside this file; review changes with `cargo insta review`.

mod apply;
mod client;
mod corpus;
mod diff;
mod formats;
mod hostile;
mod plan;
mod serve;
mod serve_apply;
mod serve_controllers;
mod serve_durability;
mod serve_openapi;
mod serve_protobuf;
mod snapshot;
mod util;
mod validate;
