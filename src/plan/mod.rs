//! Planning: which objects are created, updated, replaced (an immutable field changed),
//! deleted (`--prune`) or left alone, with the reason; the apply order; the rollout each
//! workload goes through; saved plan files; and the renderings. Pure: the only input is the
//! desired manifests and what a [`StateSource`](crate::state::StateSource) returns.

mod action;
mod config_consumers;
mod disruption_budget;
mod immutable;
mod order;
mod plan_file;
mod plan_summary;
mod plan_value;
mod plan_warning;
mod planned_object;
mod planner;
pub mod render;
mod rollout_plan;

pub use action::Action;
pub use disruption_budget::BudgetCheck;
pub use order::rank;
pub use plan_file::{
    CurrentVersion, PLAN_API_VERSION, PLAN_KIND, PlanFile, PlanFileAction, PlanFileError,
    PlanFileSource, matches_desired, now_rfc3339, rfc3339,
};
pub use plan_summary::PlanSummary;
pub use plan_value::Plan;
pub use plan_warning::PlanWarning;
pub use planned_object::PlannedObject;
pub use planner::{PlanError, PlanOptions, build_plan};
pub use rollout_plan::{POD_START_SECONDS, RolloutPlan, RolloutStep};
