use serde::{Deserialize, Serialize};

/// What applying the plan does to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    /// Delete and create again: an immutable field changed.
    Replace,
    /// Only with `--prune`: in the current state, not in the manifests.
    Delete,
    #[serde(rename = "noop")]
    NoOp,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
            Action::NoOp => "noop",
        }
    }

    /// Terraform's symbols: `+`, `~`, `-/+`, `-`.
    pub fn symbol(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
            Action::NoOp => " ",
        }
    }

    /// The end of "Deployment web will be …".
    pub fn phrase(self) -> &'static str {
        match self {
            Action::Create => "will be created",
            Action::Update => "will be updated in place",
            Action::Replace => "must be replaced",
            Action::Delete => "will be deleted",
            Action::NoOp => "is unchanged",
        }
    }

    pub fn is_change(self) -> bool {
        self != Action::NoOp
    }
}
