//! Rollout math shared by the simulated controllers in `kplan serve` and by `kplan plan`:
//! how far a rolling update may surge and how many pods it may take down, one controller move
//! at a time, and the whole sequence of moves from the old pods to the new ones.
//!
//! Pure functions over counts, so the plan a user reads and the rollout the bundled control
//! plane performs cannot drift apart. `status` reads where an applied object's rollout stands
//! (the readiness check behind `kplan apply --wait`), also without any I/O.

mod hash;
mod int_or_percent;
mod rolling;
mod simulate;
mod status;

pub use hash::{FNV_OFFSET, SAFE_ALPHABET, fnv1a, pod_template_hash, template_equal_ignoring_hash};
pub use int_or_percent::{IntOrPercent, IntOrPercentError};
pub use rolling::{Fenceposts, ReplicaCounts, scale_down_old, scale_up_new};
pub use simulate::{Step, Strategy, simulate};
pub use status::{RolloutState, rollout_status};
