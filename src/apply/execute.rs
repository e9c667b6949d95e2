//! Applying one ordering stage: every step concurrently, at most `parallelism` at a time.
//! Stages run one after another, so Namespaces and CRDs exist before what needs them.

use futures_util::StreamExt as _;
use serde_json::Value;

use crate::client::{ApplyOptions, Client, ClientError, ObjectKey, Propagation};

/// One write.
#[derive(Debug, Clone)]
pub enum Step {
    /// Server-side apply (creates or updates).
    Apply(Value),
    /// Delete and create again (an immutable field changed).
    Replace(Value),
    Delete(ObjectKey),
}

impl Step {
    pub fn key(&self) -> Result<ObjectKey, ClientError> {
        match self {
            Step::Apply(v) | Step::Replace(v) => ObjectKey::of(v),
            Step::Delete(k) => Ok(k.clone()),
        }
    }
}

/// Steps that may run in any order relative to each other.
#[derive(Debug, Clone, Default)]
pub struct Stage {
    pub steps: Vec<Step>,
}

/// What a step did.
#[derive(Debug, Clone, PartialEq)]
pub enum StepOutcome {
    /// The object as the server stored it.
    Applied(Value),
    Deleted,
    /// It was already gone.
    Absent,
}

#[derive(Debug)]
pub struct StepResult {
    pub key: ObjectKey,
    pub outcome: Result<StepOutcome, ClientError>,
}

/// Runs every step of `stage`, `parallelism` at a time; results in the steps' order.
pub async fn run_stage(
    client: &Client,
    stage: &Stage,
    options: &ApplyOptions,
    parallelism: usize,
) -> Vec<StepResult> {
    let mut results: Vec<(usize, StepResult)> =
        futures_util::stream::iter(stage.steps.iter().enumerate())
            .map(|(i, step)| async move { (i, run_step(client, step, options).await) })
            .buffer_unordered(parallelism.max(1))
            .collect()
            .await;
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

async fn run_step(client: &Client, step: &Step, options: &ApplyOptions) -> StepResult {
    let key = match step.key() {
        Ok(k) => k,
        Err(e) => {
            return StepResult {
                key: ObjectKey::new("", "", None, "<invalid>"),
                outcome: Err(e),
            };
        }
    };
    let outcome = match step {
        Step::Apply(v) => client.apply(v, options).await.map(StepOutcome::Applied),
        Step::Delete(k) => client
            .delete(k, Propagation::Background, options.dry_run)
            .await
            .map(|gone| {
                if gone.is_some() {
                    StepOutcome::Deleted
                } else {
                    StepOutcome::Absent
                }
            }),
        Step::Replace(v) => replace(client, &key, v, options).await,
    };
    StepResult { key, outcome }
}

/// Delete (waiting until the name is free), then apply. A dry run only applies in dry-run
/// mode against the current object, which shows the server accepts the new spec.
async fn replace(
    client: &Client,
    key: &ObjectKey,
    desired: &Value,
    options: &ApplyOptions,
) -> Result<StepOutcome, ClientError> {
    if options.dry_run {
        return Ok(StepOutcome::Applied(desired.clone()));
    }
    client.delete(key, Propagation::Foreground, false).await?;
    client
        .wait_until(key, std::time::Duration::from_secs(60), |o| o.is_none())
        .await?;
    client
        .apply(desired, options)
        .await
        .map(StepOutcome::Applied)
}
