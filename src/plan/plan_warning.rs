use serde::Serialize;

/// Something the reviewer should know that does not stop the plan: a missing dependency, an
/// object that cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlanWarning {
    /// The object concerned, as `Kind namespace/name`, if any.
    pub object: Option<String>,
    pub message: String,
}
