//! A release's revisions on the target: Secrets labelled with the release name, one per
//! revision, in the release's namespace.

use serde_json::Value;

use crate::client::{ApplyOptions, Client, ObjectKey, Propagation};
use crate::release::{NAME_LABEL, OWNER, OWNER_LABEL, Release, beyond_limit, history_secret_name};

use super::ApplyError;

pub struct History<'a> {
    client: &'a Client,
    pub release: String,
    pub namespace: String,
}

impl<'a> History<'a> {
    pub fn new(client: &'a Client, release: &str, namespace: &str) -> Self {
        History {
            client,
            release: release.to_string(),
            namespace: namespace.to_string(),
        }
    }

    /// Every recorded revision, oldest first.
    pub async fn load(&self) -> Result<Vec<Release>, ApplyError> {
        let selector = format!("{OWNER_LABEL}={OWNER},{NAME_LABEL}={}", self.release);
        let secrets = self
            .client
            .list("v1", "Secret", Some(&self.namespace), Some(&selector))
            .await?;
        let mut out = Vec::new();
        for s in &secrets {
            if s["type"] == crate::release::SECRET_TYPE {
                out.push(Release::from_secret(s)?);
            }
        }
        out.sort_by_key(|r| r.revision);
        Ok(out)
    }

    /// Writes (or rewrites) a revision's record.
    pub async fn record(&self, release: &Release) -> Result<(), ApplyError> {
        let options = ApplyOptions {
            force: true,
            ..ApplyOptions::default()
        };
        self.client.apply(&release.to_secret(), &options).await?;
        Ok(())
    }

    /// Deletes the oldest records beyond `max` (never the newest deployed one).
    pub async fn trim(&self, history: &[Release], max: usize) -> Result<(), ApplyError> {
        for revision in beyond_limit(history, max) {
            let key = ObjectKey::new(
                "v1",
                "Secret",
                Some(&self.namespace),
                history_secret_name(&self.release, revision),
            );
            self.client
                .delete(&key, Propagation::Background, false)
                .await?;
        }
        Ok(())
    }
}

/// The manifests of a record with their keys, for comparisons.
pub fn manifests_by_key(release: &Release) -> Vec<(ObjectKey, Value)> {
    release
        .manifests
        .iter()
        .filter_map(|m| ObjectKey::of(m).ok().map(|k| (k, m.clone())))
        .collect()
}
