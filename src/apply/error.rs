use crate::client::ClientError;
use crate::release::ReleaseError;

/// Why an apply, a rollback or a history read failed.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Release(#[from] ReleaseError),
    #[error(
        "the plan is stale: {object} changed since the plan was made (resourceVersion {planned} then, {found} now); plan again"
    )]
    StalePlan {
        object: String,
        planned: String,
        found: String,
    },
    #[error("release {release} has no revision {revision} (revisions: {available})")]
    NoSuchRevision {
        release: String,
        revision: u32,
        available: String,
    },
    #[error("release {release} has no deployed revision to roll back to")]
    NothingToRollBackTo { release: String },
}
