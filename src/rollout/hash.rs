//! `pod-template-hash`: the same shape as Kubernetes' `ComputeHash` (FNV-1a 32 → decimal →
//! `SafeEncodeString`), but over canonical JSON instead of a dump of Go structs, so the values
//! differ from a real cluster's (documented in docs/design.md). Matching a template to its
//! ReplicaSet never relies on the value: it compares templates without the label.

use serde_json::Value;

const HASH_LABEL: &str = "pod-template-hash";

/// The hash of a pod template; `collision_count` (the Deployment's `status.collisionCount`)
/// changes it after a name clash.
pub fn pod_template_hash(template: &Value, collision_count: Option<u32>) -> String {
    // serde_json's map is ordered by key, so this text is canonical.
    let mut hash = fnv1a(
        FNV_OFFSET,
        without_hash_label(template).to_string().as_bytes(),
    );
    if let Some(count) = collision_count {
        hash = fnv1a(hash, &count.to_le_bytes());
        hash = fnv1a(hash, &[0; 4]);
    }
    safe_encode(&hash.to_string())
}

/// FNV-1a's 32-bit offset basis: where a fresh [`fnv1a`] starts.
pub const FNV_OFFSET: u32 = 0x811c_9dc5;

/// FNV-1a 32 of `bytes`, continuing from `hash` (start with [`FNV_OFFSET`]): the stable,
/// cheap hash Kubernetes uses for names, and kplan for everything derived from one.
pub fn fnv1a(hash: u32, bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .fold(hash, |h, &b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
}

/// apimachinery's alphabet for generated names: no vowels, no look-alike characters.
pub const SAFE_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// Templates equal once the `pod-template-hash` label is removed from both (`EqualIgnoreHash`).
pub fn template_equal_ignoring_hash(a: &Value, b: &Value) -> bool {
    without_hash_label(a) == without_hash_label(b)
}

fn without_hash_label(template: &Value) -> Value {
    let mut t = semantic(template);
    if let Some(labels) = t
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        labels.remove(HASH_LABEL);
        if labels.is_empty() {
            t["metadata"]
                .as_object_mut()
                .expect("has labels")
                .remove("labels");
        }
    }
    if let Some(meta) = t.get_mut("metadata").and_then(Value::as_object_mut)
        && meta.is_empty()
    {
        t.as_object_mut().expect("has metadata").remove("metadata");
    }
    t
}

/// The value with nulls, empty maps and empty lists removed: Kubernetes compares templates as
/// Go structs, where `creationTimestamp: null` (which kubectl sends back in `rollout undo`) and
/// an absent field are the same.
fn semantic(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), semantic(v)))
                .filter(|(_, v)| !is_empty(v))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(semantic).collect()),
        other => other.clone(),
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// apimachinery's `SafeEncodeString`: no vowels, no look-alike characters.
fn safe_encode(s: &str) -> String {
    s.bytes()
        .map(|b| SAFE_ALPHABET[usize::from(b) % SAFE_ALPHABET.len()] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hashes_use_the_kubernetes_alphabet_for_digits() {
        let h = pod_template_hash(&json!({"spec": {"containers": [{"name": "a"}]}}), None);
        assert!(!h.is_empty() && h.len() <= 10);
        assert!(h.chars().all(|c| "456789bcdf".contains(c)), "{h}");
    }

    #[test]
    fn the_hash_label_does_not_change_the_hash_and_collisions_do() {
        let plain = json!({"metadata": {"labels": {"app": "x"}}, "spec": {}});
        let labelled =
            json!({"metadata": {"labels": {"app": "x", "pod-template-hash": "abc"}}, "spec": {}});
        assert_eq!(
            pod_template_hash(&plain, None),
            pod_template_hash(&labelled, None)
        );
        assert!(template_equal_ignoring_hash(&plain, &labelled));
        assert_ne!(
            pod_template_hash(&plain, None),
            pod_template_hash(&plain, Some(1))
        );
    }

    #[test]
    fn nulls_and_empty_fields_do_not_make_templates_differ() {
        let stored =
            json!({"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [{"image": "a"}]}});
        let from_kubectl = json!({"metadata": {"creationTimestamp": null, "labels": {"app": "x"}},
            "spec": {"containers": [{"image": "a", "resources": {}}], "volumes": []}});
        assert!(template_equal_ignoring_hash(&stored, &from_kubectl));
        assert_eq!(
            pod_template_hash(&stored, None),
            pod_template_hash(&from_kubectl, None)
        );
    }

    #[test]
    fn an_image_change_changes_the_hash() {
        let a = json!({"spec": {"containers": [{"image": "web:1"}]}});
        let b = json!({"spec": {"containers": [{"image": "web:2"}]}});
        assert_ne!(pod_template_hash(&a, None), pod_template_hash(&b, None));
        assert!(!template_equal_ignoring_hash(&a, &b));
    }
}
