use serde::Serialize;
use serde_json::Value;

/// One changed field of an object, after normalization (and masking: a Secret's values here
/// are markers, never the data).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    /// JSON pointer. List items are numbered as in the desired list; an item that only the
    /// current object has is numbered after the desired ones.
    pub path: String,
    /// The current value; `None` when the field is added.
    pub before: Option<Value>,
    /// The desired value; `None` when the field is removed.
    pub after: Option<Value>,
}

impl FieldChange {
    pub fn op(&self) -> &'static str {
        match (&self.before, &self.after) {
            (None, _) => "add",
            (_, None) => "remove",
            _ => "change",
        }
    }

    /// Whether this change is at `prefix` or below it (`/spec/selector` covers
    /// `/spec/selector/matchLabels/app`).
    pub fn is_under(&self, prefix: &str) -> bool {
        self.path == prefix
            || self
                .path
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'))
    }
}
