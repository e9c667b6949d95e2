use std::fmt;
use std::str::FromStr;

/// Where a recorded revision stands, named as Helm names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseStatus {
    /// Applied and healthy; the newest such revision is the release's current state.
    Deployed,
    /// Applied, then replaced by a newer deployed revision.
    Superseded,
    /// Its apply or rollout failed (and, with `--rollback`, was undone).
    Failed,
    /// Left by a rollback: the state it rolled back from.
    RolledBack,
    /// Being applied right now (or the apply was interrupted).
    PendingApply,
}

impl ReleaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseStatus::Deployed => "deployed",
            ReleaseStatus::Superseded => "superseded",
            ReleaseStatus::Failed => "failed",
            ReleaseStatus::RolledBack => "rolled-back",
            ReleaseStatus::PendingApply => "pending-apply",
        }
    }
}

impl fmt::Display for ReleaseStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ReleaseStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "deployed" => ReleaseStatus::Deployed,
            "superseded" => ReleaseStatus::Superseded,
            "failed" => ReleaseStatus::Failed,
            "rolled-back" => ReleaseStatus::RolledBack,
            "pending-apply" => ReleaseStatus::PendingApply,
            other => return Err(format!("unknown release status `{other}`")),
        })
    }
}
