use crate::state::{ObjectKey, SourceInfo};

use super::{PlanSummary, PlanWarning, PlannedObject};

/// A plan as a value: every object of the manifests (and, with `--prune`, every object to
/// delete) with its action, diff and rollout, in apply order. Rendering and saving are
/// separate steps.
#[derive(Debug, Clone)]
pub struct Plan {
    pub against: SourceInfo,
    /// Changes in apply order (deletions last, in reverse order), then unchanged objects.
    pub objects: Vec<PlannedObject>,
    /// Objects of the current state that are not in the manifests and were not pruned (no
    /// `--prune`).
    pub unmanaged: Vec<ObjectKey>,
    pub warnings: Vec<PlanWarning>,
    pub summary: PlanSummary,
    pub prune: bool,
    /// The `--ignore` rules as given.
    pub ignore: Vec<String>,
}

impl Plan {
    pub fn changes(&self) -> impl Iterator<Item = &PlannedObject> {
        self.objects.iter().filter(|o| o.action.is_change())
    }
}
