use std::sync::Arc;

use serde_json::Value;

use crate::diff::ObjectDiff;
use crate::state::{ObjectKey, Origin};

use super::{Action, RolloutPlan};

/// One object of the plan: what happens to it, why, and what changes.
#[derive(Debug, Clone)]
pub struct PlannedObject {
    pub key: ObjectKey,
    /// The desired apiVersion, else the current one.
    pub api_version: String,
    pub action: Action,
    /// Why, for people: "not in the current state", "`spec.selector` is immutable" …
    pub reason: String,
    /// Position in apply order (1-based); `None` for objects left alone.
    pub order: Option<usize>,
    pub diff: ObjectDiff,
    /// Paths of the changes that force a replacement.
    pub forces_replacement: Vec<String>,
    pub rollout: Option<RolloutPlan>,
    /// Where the desired object was read.
    pub source: Option<Origin>,
    /// The desired object as written (never rendered: a saved plan stores it with Secret
    /// values replaced by digests).
    pub desired: Option<Arc<Value>>,
    /// `metadata.resourceVersion` and `uid` of the current object, when the source knows them.
    pub current_resource_version: Option<String>,
    pub current_uid: Option<String>,
}
