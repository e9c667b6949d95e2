use std::ops::Range;

use serde_json::{Map, Value};

use super::StoreError;

/// A value serialised by the caller, with a slot where the writer puts the revision.
///
/// The revision is only known inside the writer's transaction, but serialising there would put
/// the most expensive part of a write on the one thread that every write waits for (the spike
/// measured the writer at half the server's CPU, mostly JSON). So the caller serialises with a
/// marker string as `metadata.resourceVersion`, and the writer splices the number in.
#[derive(Debug)]
pub(super) struct Body {
    bytes: Vec<u8>,
    slot: Range<usize>,
}

impl Body {
    /// Serialises `value` with a marker resourceVersion (left in `value`; the writer overwrites
    /// it). `metadata` is created if absent.
    pub(super) fn encode(value: &mut Value) -> Result<Body, StoreError> {
        let Some(object) = value.as_object_mut() else {
            return Err(StoreError::Corrupt(
                "a stored value must be a JSON object".into(),
            ));
        };
        let metadata = object
            .entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()));
        if !metadata.is_object() {
            return Err(StoreError::Corrupt(
                "metadata of a stored value must be a JSON object".into(),
            ));
        }
        // The marker must occur exactly once in the output, and any string can occur in user
        // data; a value holds finitely many strings, so trying further markers terminates.
        let mut attempt = 0u64;
        loop {
            let marker = format!("\u{1}kplan-rv-{attempt}\u{1}");
            set_resource_version(value, marker.clone());
            let bytes = serde_json::to_vec(value)
                .map_err(|error| StoreError::Corrupt(format!("cannot serialise value: {error}")))?;
            let needle = serde_json::to_vec(&Value::String(marker))
                .map_err(|error| StoreError::Corrupt(format!("cannot serialise value: {error}")))?;
            if let Some(start) = find(&bytes, &needle, 0)
                && find(&bytes, &needle, start + 1).is_none()
            {
                let slot = start..start + needle.len();
                return Ok(Body { bytes, slot });
            }
            attempt += 1;
        }
    }

    /// The stored bytes: the serialised value with `"<revision>"` in the slot.
    pub(super) fn with_revision(&self, revision: i64) -> Result<Vec<u8>, StoreError> {
        let (Some(head), Some(tail)) = (
            self.bytes.get(..self.slot.start),
            self.bytes.get(self.slot.end..),
        ) else {
            return Err(StoreError::Corrupt(
                "resourceVersion slot out of range".into(),
            ));
        };
        let revision = revision.to_string();
        let mut out = Vec::with_capacity(head.len() + revision.len() + 2 + tail.len());
        out.extend_from_slice(head);
        out.push(b'"');
        out.extend_from_slice(revision.as_bytes());
        out.push(b'"');
        out.extend_from_slice(tail);
        Ok(out)
    }
}

/// Sets `metadata.resourceVersion` if `value` has an object `metadata`; anything else is left
/// alone, since only values that went through [`Body::encode`] are ever stored.
pub(super) fn set_resource_version(value: &mut Value, revision: String) {
    if let Some(metadata) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.insert("resourceVersion".into(), Value::String(revision));
    }
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    memchr::memmem::find(haystack.get(from..)?, needle).map(|at| at + from)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn stored(value: &Value, revision: i64) -> Value {
        let mut value = value.clone();
        let body = Body::encode(&mut value).unwrap();
        serde_json::from_slice(&body.with_revision(revision).unwrap()).unwrap()
    }

    #[test]
    fn splices_the_revision_into_metadata() {
        let value = json!({"kind": "ConfigMap", "metadata": {"name": "a", "resourceVersion": "7"}});
        let out = stored(&value, 42);
        assert_eq!(out["metadata"]["resourceVersion"], "42");
        assert_eq!(out["metadata"]["name"], "a");
        assert_eq!(out["kind"], "ConfigMap");
    }

    #[test]
    fn creates_missing_metadata() {
        let out = stored(&json!({"data": {"x": "y"}}), 3);
        assert_eq!(
            out,
            json!({"data": {"x": "y"}, "metadata": {"resourceVersion": "3"}})
        );
    }

    #[test]
    fn user_data_containing_the_marker_is_not_touched() {
        let value = json!({
            "metadata": {"name": "\u{1}kplan-rv-0\u{1}"},
            "data": {"\u{1}kplan-rv-0\u{1}": "\u{1}kplan-rv-1\u{1}"},
        });
        let out = stored(&value, 9);
        assert_eq!(out["metadata"]["resourceVersion"], "9");
        assert_eq!(out["metadata"]["name"], "\u{1}kplan-rv-0\u{1}");
        assert_eq!(out["data"]["\u{1}kplan-rv-0\u{1}"], "\u{1}kplan-rv-1\u{1}");
    }

    #[test]
    fn rejects_values_that_cannot_carry_a_resource_version() {
        assert!(matches!(
            Body::encode(&mut json!([1, 2])),
            Err(StoreError::Corrupt(_))
        ));
        assert!(matches!(
            Body::encode(&mut json!({"metadata": "x"})),
            Err(StoreError::Corrupt(_))
        ));
    }
}
