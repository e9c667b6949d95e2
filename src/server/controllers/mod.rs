//! Simulated workload controllers inside the bundled control plane: Deployments roll out
//! through ReplicaSets to pods, StatefulSets and DaemonSets update pod by pod, Jobs run to
//! completion, Services get endpoints — all without containers. A simulated kubelet moves
//! pods from Pending to Ready (or into a crash loop, by rule) on simulated nodes.
//!
//! Every controller is a function from the cached objects to [`action::Action`]s (so it can be
//! tested without a server); [`runtime`] feeds the cache from one store watch, runs the
//! controllers for what changed, performs their writes and wakes them on timers. All state
//! lives in the store: a restarted server resumes a rollout where it stopped.

mod action;
mod cache;
mod clock;
mod daemonset;
mod deployment;
mod endpoints;
mod glob;
mod job;
mod nodes;
mod object;
mod options;
mod pod;
mod replicaset;
mod revisions;
mod runtime;
mod scheduler;
mod statefulset;
#[cfg(test)]
mod tests;

pub use options::SimOptions;
pub use runtime::Controllers;
