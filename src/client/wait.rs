//! Waiting for an object to reach a state: a LIST of the one object, then a WATCH from that
//! list's revision, checked on every change — no polling interval to tune, and nothing missed
//! between the read and the watch. The readiness rules themselves are pure
//! ([`crate::rollout::rollout_status`]); this only owns the watching and the timeout.
//!
//! kube's runtime has a `wait::await_condition` doing the same; it is not used because the
//! `runtime` feature brings about ten more crates for this one loop.

use std::time::Duration;

use futures_util::{StreamExt as _, pin_mut};
use kube::core::params::{ListParams, WatchParams};
use kube::core::{Request, WatchEvent};
use serde_json::Value;

use super::read::{built, with_type_meta};
use super::{Client, ClientError, ObjectKey, ResourceInfo};
use crate::rollout::{RolloutState, rollout_status};

/// Longest single watch request; a watch that ends is resumed from where it was. Below the
/// 295 s kube allows, and short enough that a silently dropped connection is noticed.
const WATCH_SECONDS: u32 = 240;

/// Pause before re-reading after a watch broke off, so a server that keeps closing watches is
/// not asked in a tight loop.
const RESUME_PAUSE: Duration = Duration::from_millis(200);

impl Client {
    /// Waits until `done` holds for the object (`None` while it does not exist) and returns the
    /// object as it was then. Fails with [`ClientError::Timeout`] after `timeout`.
    pub async fn wait_until<F>(
        &self,
        key: &ObjectKey,
        timeout: Duration,
        mut done: F,
    ) -> Result<Option<Value>, ClientError>
    where
        F: FnMut(Option<&Value>) -> bool,
    {
        let info = self.resolve(&key.api_version, &key.kind).await?;
        let watching = async {
            loop {
                let (revision, current) = self.read_one(&info, key).await?;
                if done(current.as_ref()) {
                    return Ok(current);
                }
                if let Some(found) = self.watch_one(&info, key, &revision, &mut done).await? {
                    return Ok(found);
                }
                tokio::time::sleep(RESUME_PAUSE).await;
            }
        };
        tokio::time::timeout(timeout, watching)
            .await
            .unwrap_or_else(|_| {
                Err(ClientError::Timeout {
                    object: key.to_string(),
                    after: timeout,
                    last: None,
                })
            })
    }

    /// Waits until the object's rollout is done or has failed ([`rollout_status`]) and returns
    /// which. An object that does not exist (any more) has failed. Times out with the last
    /// progress message in the error.
    pub async fn wait_for_rollout(
        &self,
        key: &ObjectKey,
        timeout: Duration,
    ) -> Result<RolloutState, ClientError> {
        let mut last = None;
        let outcome = self
            .wait_until(key, timeout, |obj| match obj.map(rollout_status) {
                Some(RolloutState::Progressing { message }) => {
                    last = Some(message);
                    false
                }
                _ => true,
            })
            .await;
        let state = match outcome {
            Ok(Some(obj)) => rollout_status(&obj),
            Ok(None) => RolloutState::Failed {
                message: format!("{key} does not exist"),
            },
            Err(ClientError::Timeout { object, after, .. }) => {
                return Err(ClientError::Timeout {
                    object,
                    after,
                    last,
                });
            }
            Err(e) => return Err(e),
        };
        if state == RolloutState::Done
            && key.kind == "CustomResourceDefinition"
            && key.group() == "apiextensions.k8s.io"
        {
            // Established: its kinds are served now, whatever discovery said before.
            self.discovery.forget();
        }
        Ok(state)
    }

    /// The object (or `None`) and the revision of the read, for the watch to start from.
    async fn read_one(
        &self,
        info: &ResourceInfo,
        key: &ObjectKey,
    ) -> Result<(String, Option<Value>), ClientError> {
        let url = self.collection(info, key)?;
        let params = ListParams::default().fields(&format!("metadata.name={}", key.name));
        let mut list = self
            .send(built(key, Request::new(url).list(&params))?, Some(key))
            .await?;
        let revision = list["metadata"]["resourceVersion"]
            .as_str()
            .unwrap_or("0")
            .to_owned();
        let found = match list.get_mut("items").map(Value::take) {
            Some(Value::Array(items)) => items.into_iter().next(),
            _ => None,
        };
        Ok((revision, found.map(|o| with_type_meta(o, info))))
    }

    /// Watches the object from `revision` until `done` holds (returning the object as then,
    /// `Some(None)` for deleted) or the watch ends (`None`: read again and resume).
    async fn watch_one<F>(
        &self,
        info: &ResourceInfo,
        key: &ObjectKey,
        revision: &str,
        done: &mut F,
    ) -> Result<Option<Option<Value>>, ClientError>
    where
        F: FnMut(Option<&Value>) -> bool,
    {
        let url = self.collection(info, key)?;
        let params = WatchParams::default()
            .fields(&format!("metadata.name={}", key.name))
            .timeout(WATCH_SECONDS);
        let req = built(key, Request::new(url).watch(&params, revision))?;
        let events = self
            .kube
            .request_events::<Value>(req)
            .await
            .map_err(|e| self.error(e, Some(key)))?;
        pin_mut!(events);
        while let Some(event) = events.next().await {
            match event {
                Ok(WatchEvent::Added(obj) | WatchEvent::Modified(obj)) => {
                    let obj = with_type_meta(obj, info);
                    if done(Some(&obj)) {
                        return Ok(Some(Some(obj)));
                    }
                }
                Ok(WatchEvent::Deleted(_)) => {
                    if done(None) {
                        return Ok(Some(None));
                    }
                }
                Ok(WatchEvent::Bookmark(_)) => {}
                // 410 Gone: the revision was compacted away; anything else broken mid-stream
                // (a dropped connection) is also healed by reading again.
                Ok(WatchEvent::Error(_)) | Err(_) => return Ok(None),
            }
        }
        Ok(None)
    }
}
