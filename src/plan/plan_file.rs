//! The saved plan (`kplan plan --out plan.json`): what `kplan apply plan.json` will do, exactly.
//!
//! It holds every planned object with its action, the desired manifest as written, and the
//! `resourceVersion` (and `uid`) of the current object the plan was computed against, so that
//! apply can refuse a stale plan. **Secret values are never stored**: each value of a desired
//! Secret's `data`/`stringData` is replaced by a salted SHA-256 digest
//! (`kplan-sha256:<salt>:<digest>`). Apply must read the Secret manifests again (`source`
//! names the file and line) and refuse if a value no longer matches its digest. That keeps plan
//! files safe to keep as CI artifacts, at the price of needing the manifests at apply time.
//! See docs/output.md ("Saved plan").

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::diff::{is_secret, redact_to_digests};
use crate::state::Origin;

use super::{Action, Plan, PlanSummary};

pub const PLAN_API_VERSION: &str = "kplan.dev/plan/v1";
pub const PLAN_KIND: &str = "Plan";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanFile {
    pub api_version: String,
    pub kind: String,
    /// RFC 3339 UTC.
    pub created_at: String,
    pub kplan_version: String,
    pub against: PlanFileSource,
    pub prune: bool,
    pub ignore: Vec<String>,
    pub summary: PlanSummary,
    /// Changes in apply order (deletions last), then unchanged objects (their resourceVersion
    /// is checked too: a plan that says "no change" is stale when the object changed since).
    pub actions: Vec<PlanFileAction>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanFileSource {
    pub kind: String,
    pub location: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanFileAction {
    /// 1-based position in apply order; `null` for unchanged objects.
    pub order: Option<usize>,
    pub action: Action,
    pub api_version: String,
    pub group: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub reason: String,
    /// Where the desired object was read (file as given, 1-based line).
    pub source: Option<Origin>,
    /// The desired manifest as written, Secret values as digests; `null` for deletions.
    pub desired: Option<Value>,
    /// The current object the plan read; `null` for creations.
    pub current: Option<CurrentVersion>,
    /// Paths whose change forces the replacement.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forces_replacement: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CurrentVersion {
    /// `null` when the source had none (a directory of manifests).
    pub resource_version: Option<String>,
    pub uid: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error("{path}: not a kplan plan file: {message}")]
    Format { path: String, message: String },
}

/// Whether a saved desired object is the one the manifests say now: equal, except that a
/// Secret value's digest marker matches the clear value it stands for.
pub fn matches_desired(saved: &Value, fresh: &Value) -> bool {
    match (saved, fresh) {
        (Value::String(s), Value::String(f)) => crate::diff::matches_marker(s, f).unwrap_or(s == f),
        (Value::Object(s), Value::Object(f)) => {
            s.len() == f.len()
                && s.iter()
                    .all(|(k, v)| f.get(k).is_some_and(|w| matches_desired(v, w)))
        }
        (Value::Array(s), Value::Array(f)) => {
            s.len() == f.len() && s.iter().zip(f).all(|(a, b)| matches_desired(a, b))
        }
        _ => saved == fresh,
    }
}

impl PlanFile {
    pub fn from_plan(plan: &Plan, created_at: String) -> Self {
        let actions = plan
            .objects
            .iter()
            .map(|o| PlanFileAction {
                order: o.order,
                action: o.action,
                api_version: o.api_version.clone(),
                group: o.key.group.clone(),
                kind: o.key.kind.clone(),
                namespace: o.key.namespace.clone(),
                name: o.key.name.clone(),
                reason: o.reason.clone(),
                source: o.source.clone(),
                desired: o.desired.as_ref().map(|d| {
                    let mut d = Value::clone(d);
                    if is_secret(&o.key.group, &o.key.kind) {
                        redact_to_digests(&mut d);
                    }
                    d
                }),
                current: (o.action != Action::Create).then(|| CurrentVersion {
                    resource_version: o.current_resource_version.clone(),
                    uid: o.current_uid.clone(),
                }),
                forces_replacement: o.forces_replacement.clone(),
            })
            .collect();
        Self {
            api_version: PLAN_API_VERSION.into(),
            kind: PLAN_KIND.into(),
            created_at,
            kplan_version: env!("CARGO_PKG_VERSION").into(),
            against: PlanFileSource {
                kind: plan.against.kind.into(),
                location: plan.against.location.clone(),
                server: plan.against.server.clone(),
                taken_at: plan.against.taken_at.clone(),
            },
            prune: plan.prune,
            ignore: plan.ignore.clone(),
            summary: plan.summary,
            actions,
        }
    }

    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    pub fn write(&self, path: &Path) -> Result<(), PlanFileError> {
        let io = |e: std::io::Error| PlanFileError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, self.to_json()).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    pub fn read(path: &Path) -> Result<Self, PlanFileError> {
        let text = std::fs::read_to_string(path).map_err(|e| PlanFileError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        let format = |message: String| PlanFileError::Format {
            path: path.display().to_string(),
            message,
        };
        let value: Value = serde_json::from_str(&text).map_err(|e| format(e.to_string()))?;
        if value["apiVersion"] != PLAN_API_VERSION || value["kind"] != PLAN_KIND {
            return Err(format(format!(
                "expected apiVersion \"{PLAN_API_VERSION}\" and kind \"{PLAN_KIND}\""
            )));
        }
        serde_json::from_value(value).map_err(|e| format(e.to_string()))
    }
}

pub use crate::time::{now_rfc3339, rfc3339};
