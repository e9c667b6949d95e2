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

    pub fn report(&self, key: &ObjectKey, state: &RolloutState) {
        let text = match state {
            RolloutState::Done => "rolled out".to_string(),
            RolloutState::Progressing { message } => message.trim().to_string(),
            RolloutState::Failed { message } => format!("FAILED: {}", message.trim()),
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
