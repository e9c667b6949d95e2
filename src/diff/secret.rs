//! Secrets: `stringData` folded into base64 `data` (what the API server stores), and every value
//! replaced by a marker before anything is compared or rendered, so no output can hold one.
//! The markers keep the signal reviewers need: whether a key was added, removed, changed or
//! left alone.

use base64::Engine as _;
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

pub const UNCHANGED: &str = "*** (unchanged)";
pub const CHANGED: &str = "*** (changed)";
pub const BEFORE: &str = "*** (before)";
pub const ADDED: &str = "*** (added)";
pub const REMOVED: &str = "*** (removed)";
/// A value on one side only (an object being created or deleted).
pub const HIDDEN: &str = "***";

/// Whether an object is a core `v1` Secret.
pub fn is_secret(group: &str, kind: &str) -> bool {
    group.is_empty() && kind == "Secret"
}

/// Moves `stringData` into `data` as base64, as the API server does (a key in both takes the
/// `stringData` value). Non-string values stay in `stringData`, where they are masked too.
pub fn fold_string_data(secret: &mut Value) {
    let Some(obj) = secret.as_object_mut() else {
        return;
    };
    let Some(Value::Object(strings)) = obj.remove("stringData") else {
        return;
    };
    let mut rest = Map::new();
    let data = obj
        .entry("data")
        .or_insert_with(|| Value::Object(Map::new()));
    if data.is_null() {
        *data = Value::Object(Map::new());
    }
    let Some(data) = data.as_object_mut() else {
        obj.insert("stringData".into(), Value::Object(strings));
        return;
    };
    for (key, value) in strings {
        match value {
            Value::String(text) => {
                data.insert(
                    key,
                    Value::String(base64::engine::general_purpose::STANDARD.encode(text)),
                );
            }
            other => {
                rest.insert(key, other);
            }
        }
    }
    if !rest.is_empty() {
        obj.insert("stringData".into(), Value::Object(rest));
    }
}

/// The prefix of a salted digest that stands for a Secret value in files kplan writes (saved
/// plans, snapshots): `kplan-sha256:<salt>:<digest>`, both hex.
const DIGEST_PREFIX: &str = "kplan-sha256:";

/// A salted SHA-256 digest of a Secret value: enough to tell later whether a value is the same,
/// without storing it. The random salt defeats precomputed tables; a weak password can still be
/// confirmed by guessing, so files holding digests are not public documents either.
pub fn digest_marker(value: &str) -> String {
    let mut salt = [0u8; 16];
    // Without an OS random source, a digest without salt is still no clear text.
    let _ = getrandom::fill(&mut salt);
    format!(
        "{DIGEST_PREFIX}{}:{}",
        hex(&salt),
        hex(&Sha256::digest([&salt[..], value.as_bytes()].concat()))
    )
}

/// Whether `value` is the one `marker` stands for; `None` when `marker` is no digest marker.
pub fn matches_marker(marker: &str, value: &str) -> Option<bool> {
    let (salt, digest) = marker.strip_prefix(DIGEST_PREFIX)?.split_once(':')?;
    let salt = unhex(salt)?;
    Some(hex(&Sha256::digest([&salt[..], value.as_bytes()].concat())) == digest)
}

pub fn is_marker(value: &Value) -> bool {
    value.as_str().is_some_and(|s| s.starts_with(DIGEST_PREFIX))
}

/// Replaces every Secret value (`data`, `stringData`) of an object by its digest marker, and
/// drops the last-applied annotation, which would repeat them.
pub fn redact_to_digests(secret: &mut Value) {
    for field in ["data", "stringData"] {
        if let Some(map) = secret.get_mut(field).and_then(Value::as_object_mut) {
            for v in map.values_mut() {
                if is_marker(v) {
                    continue;
                }
                let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                *v = Value::from(digest_marker(&text));
            }
        }
    }
    if let Some(a) = secret
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        a.remove("kubectl.kubernetes.io/last-applied-configuration");
    }
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a.as_str(), b.as_str()) {
        (Some(x), Some(y)) => matches_marker(x, y)
            .or_else(|| matches_marker(y, x))
            .unwrap_or(x == y),
        _ => a == b,
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Masks the values of both sides of a Secret diff, comparing them first (a digest marker on
/// one side compares with the clear value it stands for).
pub fn mask_pair(desired: &mut Value, current: &mut Value) {
    for field in ["data", "stringData"] {
        let before = current.get(field).and_then(Value::as_object).cloned();
        let after = desired.get(field).and_then(Value::as_object).cloned();
        if let Some(map) = current.get_mut(field).and_then(Value::as_object_mut) {
            for (key, value) in map.iter_mut() {
                *value = Value::from(match after.as_ref().and_then(|a| a.get(key)) {
                    None => REMOVED,
                    Some(a) if same_value(a, value) => UNCHANGED,
                    Some(_) => BEFORE,
                });
            }
        }
        if let Some(map) = desired.get_mut(field).and_then(Value::as_object_mut) {
            for (key, value) in map.iter_mut() {
                *value = Value::from(match before.as_ref().and_then(|b| b.get(key)) {
                    None => ADDED,
                    Some(b) if same_value(b, value) => UNCHANGED,
                    Some(_) => CHANGED,
                });
            }
        }
        mask_other(desired, field);
        mask_other(current, field);
    }
}

/// Masks the values of a Secret that exists on one side only.
pub fn mask_one(secret: &mut Value) {
    for field in ["data", "stringData"] {
        if let Some(map) = secret.get_mut(field).and_then(Value::as_object_mut) {
            map.values_mut().for_each(|v| *v = Value::from(HIDDEN));
        }
        mask_other(secret, field);
    }
}

/// A `data` that is not a map (invalid, but never to be printed) is masked whole.
fn mask_other(secret: &mut Value, field: &str) {
    if let Some(v) = secret.get_mut(field)
        && !v.is_object()
        && !v.is_null()
    {
        *v = Value::from(HIDDEN);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn string_data_becomes_base64_data_and_wins() {
        let mut s =
            json!({"data": {"a": "eA==", "b": "eQ=="}, "stringData": {"b": "new", "c": "abc"}});
        fold_string_data(&mut s);
        assert_eq!(s, json!({"data": {"a": "eA==", "b": "bmV3", "c": "YWJj"}}));
    }

    #[test]
    fn masks_keep_the_changed_signal_and_hide_every_value() {
        let mut desired = json!({"data": {"same": "c2FtZQ==", "rotated": "bmV3", "added": "YQ=="}});
        let mut current = json!({"data": {"same": "c2FtZQ==", "rotated": "b2xk", "gone": "Zw=="}});
        mask_pair(&mut desired, &mut current);
        assert_eq!(
            desired,
            json!({"data": {"same": UNCHANGED, "rotated": CHANGED, "added": ADDED}})
        );
        assert_eq!(
            current,
            json!({"data": {"same": UNCHANGED, "rotated": BEFORE, "gone": REMOVED}})
        );
    }

    #[test]
    fn digests_stand_for_values_without_holding_them() {
        let marker = digest_marker("c2VjcmV0");
        assert!(!marker.contains("c2VjcmV0"));
        assert_eq!(matches_marker(&marker, "c2VjcmV0"), Some(true));
        assert_eq!(matches_marker(&marker, "b3RoZXI="), Some(false));
        assert_ne!(marker, digest_marker("c2VjcmV0"), "salted");
        assert_eq!(matches_marker("c2VjcmV0", "c2VjcmV0"), None);

        let mut desired = json!({"data": {"k": "c2VjcmV0", "j": "bmV3"}});
        let mut current = json!({"data": {"k": "c2VjcmV0", "j": "b2xk"}});
        redact_to_digests(&mut current);
        mask_pair(&mut desired, &mut current);
        assert_eq!(desired, json!({"data": {"k": UNCHANGED, "j": CHANGED}}));
    }

    #[test]
    fn malformed_data_is_masked_whole() {
        let mut s = json!({"data": "c2VjcmV0", "stringData": {"k": 1}});
        mask_one(&mut s);
        assert_eq!(s, json!({"data": HIDDEN, "stringData": {"k": HIDDEN}}));
    }
}
