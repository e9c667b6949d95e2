//! Waiting until every applied workload is rolled out: Deployments, StatefulSets and
//! DaemonSets by their status, Jobs complete, anything with a `Ready` condition by it — all at
//! once, each reporting its progress, until done, failed or the timeout.

use std::time::Duration;

use crate::client::{Client, ClientError, ObjectKey};
use crate::rollout::{RolloutState, rollout_status};

use super::Progress;

#[derive(Debug)]
pub struct WaitResult {
    pub key: ObjectKey,
    /// `Err` for a timeout (with the last progress message) or a failed read.
    pub state: Result<RolloutState, ClientError>,
}

/// Kinds whose readiness `apply --wait` waits for. Objects with a `Ready` condition are
/// waited for too once seen (see [`rollout_status`]); everything else is ready when applied.
pub fn is_workload(key: &ObjectKey) -> bool {
    matches!(
        (key.group(), key.kind.as_str()),
        ("apps", "Deployment" | "StatefulSet" | "DaemonSet") | ("batch", "Job")
    )
}

/// Waits for all `keys` concurrently; stops early as soon as one fails when `fail_fast`.
pub async fn wait_all(
    client: &Client,
    keys: &[ObjectKey],
    timeout: Duration,
    progress: &Progress,
) -> Vec<WaitResult> {
    let waits = keys.iter().map(|key| async move {
        let mut last = None;
        let result = client
            .wait_until(key, timeout, |obj| {
                let state = obj.map_or_else(
                    || RolloutState::Failed {
                        message: "the object no longer exists".into(),
                    },
                    rollout_status,
                );
                progress.report(key, &state, obj);
                let done = !matches!(state, RolloutState::Progressing { .. });
                last = Some(state);
                done
            })
            .await;
        let state = match result {
            Ok(_) => Ok(last.unwrap_or(RolloutState::Done)),
            Err(ClientError::Timeout { object, after, .. }) => Err(ClientError::Timeout {
                object,
                after,
                last: last.and_then(|s| match s {
                    RolloutState::Progressing { message } => Some(message),
                    _ => None,
                }),
            }),
            Err(e) => Err(e),
        };
        WaitResult {
            key: key.clone(),
            state,
        }
    });
    let results = futures_util::future::join_all(waits).await;
    progress.finish();
    results
}

/// Every result done.
pub fn all_done(results: &[WaitResult]) -> bool {
    results
        .iter()
        .all(|r| matches!(r.state, Ok(RolloutState::Done)))
}
