//! How `apply` reports while it waits: one line per change of a workload's rollout state.
//! In a terminal the line is redrawn in place; in CI (no TTY) each change is a new line, so
//! logs read as a timeline.

use std::io::{IsTerminal as _, Write as _};
use std::sync::Mutex;

use crate::client::ObjectKey;
use crate::rollout::RolloutState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressStyle {
    /// Redraw one status line per workload (terminal).
    Live,
    /// One line per change (CI logs, pipes).
    Lines,
    Quiet,
}

impl ProgressStyle {
    pub fn detect() -> Self {
        if std::io::stderr().is_terminal() {
            ProgressStyle::Live
        } else {
            ProgressStyle::Lines
        }
    }
}

/// Shared by the concurrent waits.
pub struct Progress {
    style: ProgressStyle,
    last: Mutex<Vec<(ObjectKey, String)>>,
}

impl Progress {
    pub fn new(style: ProgressStyle) -> Self {
        Progress {
            style,
            last: Mutex::new(Vec::new()),
        }
    }

    /// One applied object, as it happens (stdout: it is the command's result, not progress).
    pub fn applied(&self, key: &ObjectKey, what: &str) {
        if self.style != ProgressStyle::Quiet {
            println!("  {what:<15} {key}");
        }
    }

    pub fn report(
        &self,
        key: &ObjectKey,
        state: &RolloutState,
        object: Option<&serde_json::Value>,
    ) {
        let counts = object.map(counts).unwrap_or_default();
        let text = match state {
            RolloutState::Done => format!("{counts}rolled out"),
            RolloutState::Progressing { message } => format!("{counts}{}", message.trim()),
            RolloutState::Failed { message } => format!("{counts}FAILED: {}", message.trim()),
        };
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.iter().any(|(k, t)| k == key && *t == text) {
            return;
        }
        last.retain(|(k, _)| k != key);
        last.push((key.clone(), text.clone()));
        let line = format!("  {key}: {text}");
        let mut err = std::io::stderr().lock();
        let _ = match self.style {
            ProgressStyle::Quiet => Ok(()),
            ProgressStyle::Lines => writeln!(err, "{line}"),
            ProgressStyle::Live => {
                if matches!(state, RolloutState::Progressing { .. }) {
                    write!(err, "\r\x1b[2K{line}")
                } else {
                    writeln!(err, "\r\x1b[2K{line}")
                }
            }
        };
    }
}

/// `[updated 2/3, ready 1/3] ` for the workload kinds, from their status.
fn counts(o: &serde_json::Value) -> String {
    let n = |v: &serde_json::Value| v.as_u64().unwrap_or(0);
    let (st, spec) = (&o["status"], &o["spec"]);
    let (updated, ready, want) = match o["kind"].as_str() {
        Some("Deployment" | "StatefulSet") => (
            n(&st["updatedReplicas"]),
            n(&st["readyReplicas"]),
            spec["replicas"].as_u64().unwrap_or(1),
        ),
        Some("DaemonSet") => (
            n(&st["updatedNumberScheduled"]),
            n(&st["numberReady"]),
            n(&st["desiredNumberScheduled"]),
        ),
        Some("Job") => {
            let want = spec["completions"].as_u64().unwrap_or(1);
            return format!(
                "[succeeded {}/{want}, active {}] ",
                n(&st["succeeded"]),
                n(&st["active"])
            );
        }
        _ => return String::new(),
    };
    format!("[updated {updated}/{want}, ready {ready}/{want}] ")
}

#[cfg(test)]
mod tests {
    use super::counts;
    use serde_json::json;

    #[test]
    fn workloads_show_updated_and_ready_counts() {
        let d = json!({"kind": "Deployment", "spec": {"replicas": 3}, "status": {"updatedReplicas": 2, "readyReplicas": 1}});
        assert_eq!(counts(&d), "[updated 2/3, ready 1/3] ");
        let j = json!({"kind": "Job", "spec": {"completions": 2}, "status": {"succeeded": 1, "active": 1}});
        assert_eq!(counts(&j), "[succeeded 1/2, active 1] ");
        assert_eq!(counts(&json!({"kind": "ConfigMap"})), "");
    }
}
