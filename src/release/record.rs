use base64::Engine as _;
use serde_json::{Value, json};

use super::{
    NAME_LABEL, OWNER, OWNER_LABEL, REVISION_LABEL, ReleaseStatus, SECRET_TYPE, STATUS_LABEL,
};

/// One revision of a release: the full desired manifests (Secrets included — which is why the
/// record itself is a Secret), when, by which kplan, and how it ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Release {
    pub name: String,
    /// Where the release's records live.
    pub namespace: String,
    pub revision: u32,
    pub status: ReleaseStatus,
    /// RFC 3339.
    pub updated: String,
    pub kplan_version: String,
    pub description: String,
    pub manifests: Vec<Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    #[error("release record {secret} is not a kplan release: {reason}")]
    NotARelease { secret: String, reason: String },
}

/// `kplan.release.<name>.v<revision>`.
pub fn history_secret_name(release: &str, revision: u32) -> String {
    format!("kplan.release.{release}.v{revision}")
}

/// `kplan.release.<name>`: the ApplySet parent.
pub fn parent_secret_name(release: &str) -> String {
    format!("kplan.release.{release}")
}

impl Release {
    /// The record as a Secret: labels for selection, the payload zstd-compressed JSON (Secret
    /// `data` is base64 on the wire, as Kubernetes stores any Secret).
    pub fn to_secret(&self) -> Value {
        let payload = json!({
            "name": self.name,
            "revision": self.revision,
            "status": self.status.as_str(),
            "updated": self.updated,
            "kplanVersion": self.kplan_version,
            "description": self.description,
            "manifests": self.manifests,
        });
        let compressed = ruzstd::encoding::compress_to_vec(
            payload.to_string().as_bytes(),
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "type": SECRET_TYPE,
            "metadata": {
                "name": history_secret_name(&self.name, self.revision),
                "namespace": self.namespace,
                "labels": {
                    OWNER_LABEL: OWNER,
                    NAME_LABEL: self.name,
                    REVISION_LABEL: self.revision.to_string(),
                    STATUS_LABEL: self.status.as_str(),
                },
            },
            "data": {"release": base64::engine::general_purpose::STANDARD.encode(compressed)},
        })
    }

    pub fn from_secret(secret: &Value) -> Result<Release, ReleaseError> {
        let name = secret["metadata"]["name"].as_str().unwrap_or("<unnamed>");
        let bad = |reason: &str| ReleaseError::NotARelease {
            secret: name.to_string(),
            reason: reason.to_string(),
        };
        if secret["type"] != SECRET_TYPE {
            return Err(bad("wrong Secret type"));
        }
        let encoded = secret["data"]["release"]
            .as_str()
            .ok_or_else(|| bad("no data.release"))?;
        let compressed = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|e| bad(&format!("data.release is not base64: {e}")))?;
        let mut text = Vec::new();
        let mut decoder = ruzstd::decoding::StreamingDecoder::new(compressed.as_slice())
            .map_err(|e| bad(&format!("data.release is not zstd: {e}")))?;
        std::io::Read::read_to_end(&mut decoder, &mut text)
            .map_err(|e| bad(&format!("data.release is damaged: {e}")))?;
        let payload: Value =
            serde_json::from_slice(&text).map_err(|e| bad(&format!("bad JSON: {e}")))?;
        let status = payload["status"]
            .as_str()
            .unwrap_or_default()
            .parse()
            .map_err(|e: String| bad(&e))?;
        Ok(Release {
            name: payload["name"].as_str().unwrap_or_default().to_string(),
            namespace: secret["metadata"]["namespace"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            revision: payload["revision"]
                .as_u64()
                .and_then(|r| u32::try_from(r).ok())
                .ok_or_else(|| bad("no revision"))?,
            status,
            updated: payload["updated"].as_str().unwrap_or_default().to_string(),
            kplan_version: payload["kplanVersion"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            description: payload["description"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            manifests: payload["manifests"].as_array().cloned().unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_survives_its_secret_and_hides_its_manifests() {
        let r = Release {
            name: "shop".into(),
            namespace: "default".into(),
            revision: 3,
            status: ReleaseStatus::Failed,
            updated: "2026-11-26T12:00:00Z".into(),
            kplan_version: "0.1.0".into(),
            description:
                "Upgrade failed: rollout of Deployment shop/web exceeded its progress deadline"
                    .into(),
            manifests: vec![json!({"kind": "Secret", "stringData": {"password": "hunter2"}})],
        };
        let secret = r.to_secret();
        assert_eq!(secret["metadata"]["name"], "kplan.release.shop.v3");
        assert_eq!(secret["metadata"]["labels"]["kplan.dev/status"], "failed");
        assert!(!secret.to_string().contains("hunter2"));
        assert_eq!(Release::from_secret(&secret).unwrap(), r);
    }

    #[test]
    fn other_secrets_are_not_mistaken_for_records() {
        let s = json!({"metadata": {"name": "x"}, "type": "Opaque", "data": {}});
        assert!(Release::from_secret(&s).is_err());
    }
}
