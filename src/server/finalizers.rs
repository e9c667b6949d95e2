//! Deletion with finalizers, as the API server does it: an object that names finalizers is not
//! removed by a DELETE but marked (`deletionTimestamp`), and goes once the last finalizer is
//! taken off. `foregroundDeletion` is the garbage collector's own: the owner stays until its
//! dependents are gone. Shared by the HTTP layer and the controllers' garbage collector.

use serde_json::{Value, json};

/// The finalizer of foreground cascading deletion.
pub const FOREGROUND: &str = "foregroundDeletion";

/// `metadata.finalizers`, in order.
pub fn finalizers(v: &Value) -> Vec<&str> {
    v["metadata"]["finalizers"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Whether a deletion of the object is pending.
pub fn being_deleted(v: &Value) -> bool {
    v["metadata"]["deletionTimestamp"].is_string()
}

/// What a DELETE does to an object that must wait for finalizers (its own, plus `extra`):
/// `Some(marked)` to store instead of deleting, or `None` when it can go at once.
pub fn mark_for_deletion(current: &Value, extra: Option<&str>, now: &str) -> Option<Value> {
    let mut names: Vec<&str> = finalizers(current);
    if let Some(extra) = extra
        && !names.contains(&extra)
    {
        names.push(extra);
    }
    if names.is_empty() {
        return None;
    }
    let names: Vec<String> = names.into_iter().map(str::to_string).collect();
    let mut marked = current.clone();
    let meta = marked["metadata"].as_object_mut()?;
    meta.insert("deletionTimestamp".into(), json!(now));
    meta.insert("deletionGracePeriodSeconds".into(), json!(0));
    meta.insert("finalizers".into(), json!(names));
    Some(marked)
}

/// Finalizers an update adds to an object whose deletion is pending, which the API server
/// forbids.
pub fn added_while_deleting<'a>(old: &Value, new: &'a Value) -> Vec<&'a str> {
    if !being_deleted(old) {
        return Vec::new();
    }
    let before = finalizers(old);
    finalizers(new)
        .into_iter()
        .filter(|f| !before.contains(f))
        .collect()
}

/// Whether an update leaves an object whose deletion is pending without finalizers: it is
/// then deleted instead of stored.
pub fn released(old: &Value, new: &Value) -> bool {
    being_deleted(old) && finalizers(new).is_empty()
}

/// `value` without the finalizer `name`.
pub fn without(value: &Value, name: &str) -> Value {
    let mut v = value.clone();
    if let Some(list) = v["metadata"]["finalizers"].as_array_mut() {
        list.retain(|f| f != name);
        if list.is_empty()
            && let Some(meta) = v["metadata"].as_object_mut()
        {
            meta.remove("finalizers");
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2026-11-26T12:00:00Z";

    #[test]
    fn an_object_without_finalizers_goes_at_once() {
        let cm = json!({"metadata": {"name": "a"}});
        assert_eq!(mark_for_deletion(&cm, None, NOW), None);
    }

    #[test]
    fn an_object_with_finalizers_is_marked_and_kept() {
        let cm = json!({"metadata": {"name": "a", "finalizers": ["example.com/x"]}});
        let marked = mark_for_deletion(&cm, None, NOW).unwrap();
        assert_eq!(marked["metadata"]["deletionTimestamp"], NOW);
        assert_eq!(marked["metadata"]["deletionGracePeriodSeconds"], 0);
        assert!(being_deleted(&marked));
        assert_eq!(finalizers(&marked), ["example.com/x"]);
    }

    #[test]
    fn foreground_deletion_adds_its_finalizer_once() {
        let owner = json!({"metadata": {"name": "a"}});
        let marked = mark_for_deletion(&owner, Some(FOREGROUND), NOW).unwrap();
        assert_eq!(finalizers(&marked), [FOREGROUND]);
        let again = mark_for_deletion(&marked, Some(FOREGROUND), NOW).unwrap();
        assert_eq!(finalizers(&again), [FOREGROUND]);
    }

    #[test]
    fn a_pending_deletion_takes_no_new_finalizers_and_completes_without_them() {
        let old = json!({"metadata": {"deletionTimestamp": NOW, "finalizers": ["a", "b"]}});
        let adds = json!({"metadata": {"deletionTimestamp": NOW, "finalizers": ["a", "c"]}});
        assert_eq!(added_while_deleting(&old, &adds), ["c"]);
        let fewer = without(&old, "a");
        assert_eq!(finalizers(&fewer), ["b"]);
        assert!(!released(&old, &fewer));
        let none = without(&fewer, "b");
        assert!(none["metadata"].get("finalizers").is_none());
        assert!(released(&old, &none));
        // Without a pending deletion, finalizers come and go freely.
        let live = json!({"metadata": {"finalizers": ["a"]}});
        assert!(added_while_deleting(&live, &adds).is_empty());
        assert!(!released(&live, &json!({"metadata": {}})));
    }
}
