//! Executing a plan against an API server — the bundled plane or a remote cluster, through the
//! one [`crate::client::Client`]: server-side apply stage by stage with bounded parallelism,
//! waiting for rollouts, recording release revisions, and restoring the previous release when
//! something fails.
//!
//! Nothing here knows which kind of server it talks to.

mod error;
mod execute;
mod history;
mod live_source;
mod progress;
mod restore;
mod run;
mod wait;

pub use error::ApplyError;
pub use execute::{Stage, Step, StepOutcome, StepResult, run_stage};
pub use history::{History, manifests_by_key};
pub use live_source::{LiveSource, strip_membership, without_membership};
pub use progress::{Progress, ProgressStyle};
pub use restore::{RestorePlan, Touched, applyable, restore_plan};
pub use run::{ReleaseRun, RunOptions, RunReport};
pub use wait::{WaitResult, all_done, is_workload, wait_all};
