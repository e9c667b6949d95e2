//! `Update` entries: what a write that is not an apply (create, PUT, merge, strategic merge
//! and JSON patches, `scale`, `status`) does to `metadata.managedFields`, following
//! structured-merge-diff's `Updater.Update` and the API server's field manager:
//!
//! - the writer's entry (one per manager, version and subresource) gains every field the write
//!   added or changed, and loses the ones it removed;
//! - other managers lose the fields the write added, changed or removed: an update takes
//!   ownership, it never conflicts;
//! - `managedFields` sent with the write, when they differ from the stored ones, replace them
//!   (how `kubectl` moves client-side apply ownership to its server-side apply manager); an
//!   empty list resets them.

use serde_json::Value;

use super::fieldset::Set;
use super::managers::{self, Entry};
use super::{Node, TypedError, never_owned, set_managed_fields, typed};

/// Who writes, through which endpoint.
#[derive(Clone, Copy, Debug)]
pub struct Updater<'a> {
    pub manager: &'a str,
    pub api_version: &'a str,
    /// `""`, `"status"` or `"scale"`.
    pub subresource: &'a str,
    pub now: &'a str,
}

/// Records in `new.metadata.managedFields` the write that turns `old` (`None` for a create)
/// into `new`.
pub fn record(
    old: Option<&Value>,
    new: &mut Value,
    node: Node<'_>,
    who: Updater<'_>,
) -> Result<(), TypedError> {
    let stored = old.map_or(Value::Null, |o| o["metadata"]["managedFields"].clone());
    let sent = new["metadata"]
        .as_object_mut()
        .and_then(|m| m.remove("managedFields"))
        .unwrap_or(Value::Null);
    let mut entries = if !sent.is_null() && sent != stored {
        managers::decode(&sent)
    } else {
        managers::decode(&stored)
    };

    // `new` no longer holds managed fields (taken out above); `old` still does.
    let new_set = typed::field_set(new, node, Some(new))?;
    let (changed, removed) = match old {
        // A create adds everything it has.
        None => (new_set, Set::default()),
        Some(old) => {
            let before = strip(old);
            let old_set = typed::field_set(&before, node, Some(&before))?;
            typed::touched(&before, new, node, &old_set.union(&new_set))
        }
    };
    let changed = changed.difference(never_owned());
    let removed = removed.difference(never_owned());

    let mine = entries
        .iter()
        .position(|e| e.is(who.manager, "Update", who.api_version, who.subresource))
        .map(|i| entries.remove(i));
    for e in &mut entries {
        e.set = e.set.difference(&changed).difference(&removed);
    }
    entries.retain(|e| !e.set.is_empty());
    let (set, time) = match mine {
        Some(e) if changed.is_empty() && removed.is_empty() => (e.set, e.time),
        Some(e) => (
            e.set.union(&changed).difference(&removed),
            Some(who.now.to_string()),
        ),
        None => (changed, Some(who.now.to_string())),
    };
    if !set.is_empty() {
        entries.push(Entry {
            manager: who.manager.to_string(),
            operation: "Update".into(),
            api_version: who.api_version.to_string(),
            time,
            subresource: who.subresource.to_string(),
            set,
        });
    }
    set_managed_fields(new, &entries);
    Ok(())
}

/// The object as field sets see it: without its managed fields.
fn strip(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(meta) = v["metadata"].as_object_mut() {
        meta.remove("managedFields");
    }
    v
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const T1: &str = "2026-11-26T10:00:00Z";
    const T2: &str = "2026-11-26T11:00:00Z";

    fn who<'a>(manager: &'a str, now: &'a str) -> Updater<'a> {
        Updater {
            manager,
            api_version: "v1",
            subresource: "",
            now,
        }
    }

    fn write(old: Option<&Value>, new: Value, manager: &str, now: &str) -> Value {
        let mut new = new;
        record(old, &mut new, Node::untyped(), who(manager, now)).unwrap();
        new
    }

    fn owners(obj: &Value) -> Vec<(String, Value)> {
        obj["metadata"]["managedFields"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| {
                        (
                            e["manager"].as_str().unwrap().to_string(),
                            e["fieldsV1"].clone(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn config_map(data: &Value) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": "default", "uid": "u", "resourceVersion": "1"},
            "data": data})
    }

    #[test]
    fn a_create_owns_every_field_but_the_identity() {
        let created = write(None, config_map(&json!({"a": "1"})), "kubectl-create", T1);
        let entry = &created["metadata"]["managedFields"][0];
        assert_eq!(entry["operation"], "Update");
        assert_eq!(entry["time"], T1);
        assert_eq!(entry["fieldsV1"], json!({"f:data": {".": {}, "f:a": {}}}));
    }

    #[test]
    fn an_update_takes_what_it_changes_and_frees_what_it_removes() {
        let created = write(
            None,
            config_map(&json!({"a": "1", "b": "1"})),
            "creator",
            T1,
        );
        let mut next = created.clone();
        next["data"] = json!({"a": "2", "c": "3"});
        let updated = write(Some(&created), next, "editor", T2);
        assert_eq!(
            owners(&updated),
            [
                // The map itself, with nothing below: a leaf in FieldsV1.
                ("creator".to_string(), json!({"f:data": {}})),
                (
                    "editor".to_string(),
                    json!({"f:data": {"f:a": {}, "f:c": {}}})
                ),
            ]
        );
    }

    #[test]
    fn an_unchanged_write_keeps_the_writers_time() {
        let created = write(None, config_map(&json!({"a": "1"})), "editor", T1);
        let again = write(Some(&created), created.clone(), "editor", T2);
        assert_eq!(again["metadata"]["managedFields"][0]["time"], T1);
    }

    #[test]
    fn managed_fields_sent_with_a_write_replace_the_stored_ones() {
        let created = write(
            None,
            config_map(&json!({"a": "1"})),
            "kubectl-client-side-apply",
            T1,
        );
        let mut moved = created.clone();
        moved["metadata"]["managedFields"][0]["manager"] = json!("kubectl");
        moved["metadata"]["managedFields"][0]["operation"] = json!("Apply");
        let written = write(Some(&created), moved, "kubectl", T2);
        let entry = &written["metadata"]["managedFields"][0];
        assert_eq!(
            (&entry["manager"], &entry["operation"]),
            (&json!("kubectl"), &json!("Apply"))
        );
        assert_eq!(owners(&written).len(), 1);

        let mut reset = created.clone();
        reset["metadata"]["managedFields"] = json!([]);
        let written = write(Some(&created), reset, "kubectl-edit", T2);
        assert!(
            written["metadata"].get("managedFields").is_none(),
            "{written}"
        );
    }
}

#[cfg(test)]
mod measure {
    use serde_json::json;

    use super::*;

    /// `cargo test --release --lib ssa::update::measure -- --ignored --nocapture`
    #[test]
    #[ignore = "a measurement, not a check"]
    fn record_a_create() {
        let reg =
            crate::schema::SchemaRegistry::new(crate::schema::newest_version(), true).unwrap();
        let (def, defs) = reg
            .schema_of(&crate::schema::Gvk::new("", "v1", "ConfigMap"))
            .unwrap();
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "cm-000001", "namespace": "bench", "labels": {"app": "bench"},
                "uid": "0b5b4c1e-1111-4a4a-8a8a-123456789abc", "creationTimestamp": "2026-11-26T12:00:00Z"},
            "data": {"payload": "x".repeat(900)}});
        let n = 20_000;
        let t = std::time::Instant::now();
        for _ in 0..n {
            let mut v = cm.clone();
            record(
                None,
                &mut v,
                Node::new(&def, &defs),
                Updater {
                    manager: "bench",
                    api_version: "v1",
                    subresource: "",
                    now: "2026-11-26T12:00:00Z",
                },
            )
            .unwrap();
        }
        eprintln!(
            "record (create): {:.2} µs",
            t.elapsed().as_secs_f64() * 1e6 / f64::from(n)
        );
    }
}
