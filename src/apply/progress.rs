//! How `apply` reports while it waits: in a terminal, one live status line per workload
//! (indicatif: a spinner, updated/ready counts and kubectl's message, frozen when it is done or
//! has failed); in CI (no TTY) one line per change of a workload's state, so logs read as a
//! timeline.

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
    bars: indicatif::MultiProgress,
    live: Mutex<Vec<(ObjectKey, indicatif::ProgressBar)>>,
}

impl Progress {
    pub fn new(style: ProgressStyle) -> Self {
        Progress {
            style,
            last: Mutex::new(Vec::new()),
            bars: indicatif::MultiProgress::with_draw_target(
                indicatif::ProgressDrawTarget::stderr(),
            ),
            live: Mutex::new(Vec::new()),
        }
    }

    /// The live line of a workload in a terminal, made on first use.
    fn bar(&self, key: &ObjectKey) -> indicatif::ProgressBar {
        let mut live = self
            .live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, bar)) = live.iter().find(|(k, _)| k == key) {
            return bar.clone();
        }
        let bar = self.bars.add(indicatif::ProgressBar::new_spinner());
        bar.set_style(
            indicatif::ProgressStyle::with_template("  {spinner} {prefix}: {wide_msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.set_prefix(key.to_string());
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        live.push((key.clone(), bar.clone()));
        bar
    }

    /// Ends the live lines (the next output starts below them).
    pub fn finish(&self) {
        let mut live = self
            .live
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if live.is_empty() {
            return;
        }
        for (_, bar) in live.drain(..) {
            if !bar.is_finished() {
                bar.abandon();
            }
        }
        // Finished lines stay on screen; what follows starts below them.
        let _ = writeln!(std::io::stderr());
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
                drop(err);
                let bar = self.bar(key);
                if matches!(state, RolloutState::Progressing { .. }) {
                    bar.set_message(text);
                } else {
                    bar.finish_with_message(text);
                }
                Ok(())
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
