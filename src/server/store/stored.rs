use serde_json::Value;

/// One object as stored at one revision. `value.metadata.resourceVersion` always equals
/// `revision` as a decimal string, so the HTTP layer can return `value` unchanged.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub key: String,
    pub revision: i64,
    pub value: Value,
}
