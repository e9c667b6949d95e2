use serde::{Deserialize, Serialize};

use super::Action;

/// How many objects each action touches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanSummary {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    pub noop: usize,
}

impl PlanSummary {
    pub fn add(&mut self, action: Action) {
        match action {
            Action::Create => self.create += 1,
            Action::Update => self.update += 1,
            Action::Replace => self.replace += 1,
            Action::Delete => self.delete += 1,
            Action::NoOp => self.noop += 1,
        }
    }

    pub fn has_changes(&self) -> bool {
        self.create + self.update + self.replace + self.delete > 0
    }

    /// `Plan: 3 to create, 2 to update, 1 to replace, 1 to delete.` or `No changes.`
    pub fn line(&self) -> String {
        if self.has_changes() {
            format!(
                "Plan: {} to create, {} to update, {} to replace, {} to delete.",
                self.create, self.update, self.replace, self.delete
            )
        } else {
            "No changes.".to_string()
        }
    }
}
