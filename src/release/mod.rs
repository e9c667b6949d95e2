//! Releases: what `kplan apply` records on the target so that `kplan history`, `kplan
//! rollback` and `kplan apply --rollback` can find, compare and restore earlier states.
//!
//! Pure: records are encoded to and decoded from Kubernetes Secrets here; reading and writing
//! them is the `apply` layer's job. One Secret per revision (as Helm keeps its history), plus
//! one ApplySet parent Secret per release that lists which group-kinds and namespaces the
//! release owns, so pruning never guesses.

mod applyset;
mod record;
mod status;

pub use applyset::{ApplySet, PART_OF_LABEL, applyset_id};
pub use record::{Release, ReleaseError, history_secret_name, parent_secret_name};
pub use status::ReleaseStatus;

/// Labels every release Secret carries, for listing a release's history with one selector.
pub const OWNER_LABEL: &str = "owner";
pub const OWNER: &str = "kplan";
pub const NAME_LABEL: &str = "kplan.dev/release";
pub const REVISION_LABEL: &str = "kplan.dev/revision";
pub const STATUS_LABEL: &str = "kplan.dev/status";
/// The Secret `type` of history records.
pub const SECRET_TYPE: &str = "kplan.dev/release.v1";

/// The newest revision whose status is `deployed`: what a rollback returns to by default
/// (not simply the previous revision, which may have failed).
pub fn last_deployed(history: &[Release]) -> Option<&Release> {
    history
        .iter()
        .filter(|r| r.status == ReleaseStatus::Deployed)
        .max_by_key(|r| r.revision)
}

/// The next revision number after `history`.
pub fn next_revision(history: &[Release]) -> u32 {
    history.iter().map(|r| r.revision).max().unwrap_or(0) + 1
}

/// Revisions to delete so that at most `max` remain (oldest first, never the newest deployed).
pub fn beyond_limit(history: &[Release], max: usize) -> Vec<u32> {
    if max == 0 || history.len() <= max {
        return Vec::new();
    }
    let keep = last_deployed(history).map(|r| r.revision);
    let mut revisions: Vec<u32> = history.iter().map(|r| r.revision).collect();
    revisions.sort_unstable();
    let excess = history.len() - max;
    revisions
        .into_iter()
        .filter(|r| Some(*r) != keep)
        .take(excess)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(revision: u32, status: ReleaseStatus) -> Release {
        Release {
            name: "app".into(),
            namespace: "default".into(),
            revision,
            status,
            updated: "2026-11-26T12:00:00Z".into(),
            kplan_version: "0.1.0".into(),
            description: String::new(),
            manifests: Vec::new(),
        }
    }

    #[test]
    fn rollback_goes_to_the_last_deployed_revision_not_the_previous_one() {
        let h = vec![
            release(1, ReleaseStatus::Superseded),
            release(2, ReleaseStatus::Deployed),
            release(3, ReleaseStatus::Failed),
        ];
        assert_eq!(last_deployed(&h).map(|r| r.revision), Some(2));
        assert_eq!(next_revision(&h), 4);
    }

    #[test]
    fn the_history_limit_drops_the_oldest_but_keeps_the_deployed_one() {
        let h = vec![
            release(1, ReleaseStatus::Deployed),
            release(2, ReleaseStatus::Failed),
            release(3, ReleaseStatus::Failed),
        ];
        assert_eq!(beyond_limit(&h, 2), vec![2]);
        assert!(beyond_limit(&h, 3).is_empty());
    }
}
