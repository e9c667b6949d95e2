use serde_json::Value;

use super::FieldChange;
use super::defaults::Side;
use super::normalize::{DiffContext, normalize_one, normalize_pair};
use super::unified::{DiffLine, unified};
use super::yaml_text::to_yaml;

/// One object compared: both sides normalized (and masked), and what differs. `before` is the
/// current object, `after` the desired one; either is `None` when the object is created or
/// deleted.
#[derive(Debug, Clone)]
pub struct ObjectDiff {
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub changes: Vec<FieldChange>,
}

impl ObjectDiff {
    /// Compares a desired and a current object (at least one of them given).
    pub fn between(desired: Option<&Value>, current: Option<&Value>, cx: &DiffContext<'_>) -> Self {
        match (desired, current) {
            (Some(d), Some(c)) => {
                let n = normalize_pair(d, c, cx);
                Self {
                    before: Some(n.current),
                    after: Some(n.desired),
                    changes: n.changes,
                }
            }
            (Some(d), None) => Self {
                before: None,
                after: Some(normalize_one(d, Side::Desired, cx)),
                changes: Vec::new(),
            },
            (None, Some(c)) => Self {
                before: Some(normalize_one(c, Side::Current, cx)),
                after: None,
                changes: Vec::new(),
            },
            (None, None) => Self {
                before: None,
                after: None,
                changes: Vec::new(),
            },
        }
    }

    /// Whether the object exists on both sides and nothing differs.
    pub fn is_unchanged(&self) -> bool {
        self.before.is_some() && self.after.is_some() && self.changes.is_empty()
    }

    /// The unified diff of the two sides as YAML, `context` lines around each change. A created
    /// or deleted object is shown whole.
    pub fn lines(&self, context: usize) -> Vec<DiffLine> {
        let yaml = |v: &Option<Value>| v.as_ref().map(to_yaml).unwrap_or_default();
        let (before, after) = (yaml(&self.before), yaml(&self.after));
        let whole = self.before.is_none() || self.after.is_none();
        let context = if whole { usize::MAX / 2 } else { context };
        unified(&before, &after, context)
    }
}
