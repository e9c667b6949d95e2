//! Server-side apply, following structured-merge-diff (`merge/update.go` `Apply`) and the API
//! server's field manager around it (apimachinery `pkg/util/managedfields/internal`):
//!
//! 1. the applied configuration's field set, with list and map semantics from the schema;
//! 2. the configuration merged into the live object;
//! 3. fields the manager applied last time and omits now pruned, unless someone owns them;
//! 4. fields of other managers that the result adds or changes are conflicts (409) unless
//!    forced, when they change hands; fields the result removes leave their owners;
//! 5. the bookkeeping: one `Apply` entry per manager and subresource, never-owned metadata
//!    stripped, entries sorted, the `kubectl` last-applied annotation kept in sync.
//!
//! Writes that are not applies record `Update` entries (`update.rs`). Not done: version
//! conversion of field sets, and the `before-first-apply` attribution.

mod fieldset;
mod managers;
mod schema;
mod typed;
mod update;

use serde_json::{Map, Value};

use fieldset::{PathElement, Set};
use managers::Entry;
pub use schema::{ListKind, Node};
pub use typed::TypedError;
pub use update::{Updater, record as record_update};

/// The client-side apply annotation.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Which part of the object an endpoint writes (the API server's "reset fields").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Everything (kinds without a status subresource).
    Whole,
    /// The main resource of a kind with `/status`: `status` is not the applier's.
    WithoutStatus,
    /// `/status`: only `status` is.
    StatusOnly,
}

/// One apply request.
pub struct Applier<'a> {
    pub node: Node<'a>,
    pub manager: &'a str,
    /// `""` for the main resource, `"status"` for `/status`.
    pub subresource: &'a str,
    pub api_version: &'a str,
    pub force: bool,
    pub scope: Scope,
    /// API defaulting; list-map keys a configuration leaves out are taken from it.
    pub defaulter: &'a (dyn Fn(&mut Value) + Sync),
    pub now: &'a str,
}

/// A field another manager owns and the apply would change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// As the API server names managers: `"other"`, `"x" using apps/v1`.
    pub manager: String,
    /// `.spec.replicas`
    pub field: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyError {
    Conflicts(Vec<Conflict>),
    /// The configuration does not fit the schema (associative list item without keys …).
    Invalid(TypedError),
}

/// The 409 message: `Apply failed with 1 conflict: conflict with "other": .spec.replicas`, or
/// for several, grouped by manager, one `- <field>` line each.
pub fn conflict_message(conflicts: &[Conflict]) -> String {
    if let [only] = conflicts {
        return format!(
            "Apply failed with 1 conflict: conflict with {}: {}",
            only.manager, only.field
        );
    }
    let mut managers: Vec<&str> = conflicts.iter().map(|c| c.manager.as_str()).collect();
    managers.sort_unstable();
    managers.dedup();
    let mut lines = Vec::new();
    for m in managers {
        lines.push(format!("conflicts with {m}:"));
        lines.extend(
            conflicts
                .iter()
                .filter(|c| c.manager == m)
                .map(|c| format!("- {}", c.field)),
        );
    }
    format!(
        "Apply failed with {} conflicts: {}",
        conflicts.len(),
        lines.join("\n")
    )
}

/// Fields no manager ever owns (apimachinery `stripmeta.go`).
fn never_owned() -> &'static Set {
    static NEVER_OWNED: std::sync::LazyLock<Set> = std::sync::LazyLock::new(build_never_owned);
    &NEVER_OWNED
}

fn build_never_owned() -> Set {
    let mut s = Set::default();
    for top in ["apiVersion", "kind", "metadata"] {
        s.insert(&[PathElement::Field(top.into())]);
    }
    for meta in [
        "name",
        "namespace",
        "creationTimestamp",
        "selfLink",
        "uid",
        "clusterName",
        "generation",
        "managedFields",
        "resourceVersion",
    ] {
        s.insert(&[
            PathElement::Field("metadata".into()),
            PathElement::Field(meta.into()),
        ]);
    }
    s
}

impl Applier<'_> {
    /// The configuration as this endpoint takes it.
    fn scoped(&self, config: &Value) -> Value {
        match self.scope {
            Scope::Whole => config.clone(),
            Scope::WithoutStatus => {
                let mut c = config.clone();
                if let Some(o) = c.as_object_mut() {
                    o.remove("status");
                }
                c
            }
            Scope::StatusOnly => {
                let mut out = Map::new();
                let mut meta = Map::new();
                for k in ["name", "namespace"] {
                    if let Some(v) = config["metadata"].get(k) {
                        meta.insert(k.into(), v.clone());
                    }
                }
                out.insert("metadata".into(), Value::Object(meta));
                for k in ["apiVersion", "kind", "status"] {
                    if let Some(v) = config.get(k) {
                        out.insert(k.into(), v.clone());
                    }
                }
                Value::Object(out)
            }
        }
    }

    /// What the applier is recorded as owning, from the full field set of its configuration.
    fn recorded(&self, full: &Set) -> Set {
        let status = PathElement::Field("status".into());
        let set = full.difference(never_owned());
        match self.scope {
            Scope::StatusOnly => {
                let mut only = Set::default();
                if set.has_member(&status) {
                    only.insert_member(status.clone());
                }
                if let Some(sub) = set.child(&status) {
                    only.insert_child(status, sub.clone());
                }
                only
            }
            _ => set,
        }
    }

    fn field_set(&self, config: &Value) -> Result<Set, ApplyError> {
        let mut defaulted = config.clone();
        (self.defaulter)(&mut defaulted);
        typed::field_set(config, self.node, Some(&defaulted)).map_err(ApplyError::Invalid)
    }

    fn entry(&self, set: Set, time: Option<String>) -> Entry {
        Entry {
            manager: self.manager.to_string(),
            operation: "Apply".into(),
            api_version: self.api_version.to_string(),
            time,
            subresource: self.subresource.to_string(),
            set,
        }
    }

    /// The object to create when nothing is there yet: the configuration and its entry.
    pub fn create(&self, config: &Value) -> Result<Value, ApplyError> {
        let set = self.recorded(&self.field_set(&self.scoped(config))?);
        let mut obj = config.clone();
        let entries = if set.is_empty() {
            Vec::new()
        } else {
            vec![self.entry(set, Some(self.now.to_string()))]
        };
        self.sync_last_applied(&mut obj, config);
        set_managed_fields(&mut obj, &entries);
        Ok(obj)
    }

    /// The live object with the configuration applied, or `None` when that changes nothing
    /// (the API server then writes nothing either).
    pub fn apply(&self, live: &Value, config: &Value) -> Result<Option<Value>, ApplyError> {
        let scoped = self.scoped(config);
        let mut defaulted = scoped.clone();
        (self.defaulter)(&mut defaulted);
        let full =
            typed::field_set(&scoped, self.node, Some(&defaulted)).map_err(ApplyError::Invalid)?;
        let mut entries = managers::decode(&live["metadata"]["managedFields"]);
        let previous = entries
            .iter()
            .position(|e| e.is(self.manager, "Apply", self.api_version, self.subresource))
            .map(|i| entries.remove(i));
        let mut base = live.clone();
        if let Some(m) = base["metadata"].as_object_mut() {
            m.remove("managedFields");
        }
        let mut new = typed::merge(&base, &scoped, self.node, Some(&defaulted))
            .map_err(ApplyError::Invalid)?;
        if let Some(prev) = &previous {
            // The identity of the object is never pruned, whatever the sets say.
            let mut managed = full.clone();
            for k in ["name", "namespace"] {
                managed.insert(&[
                    PathElement::Field("metadata".into()),
                    PathElement::Field(k.into()),
                ]);
            }
            for e in &entries {
                managed = managed.union(&e.set);
            }
            typed::prune(&mut new, self.node, &prev.set, &managed);
        }
        // Pruned fields come back as their defaults, as after any write.
        (self.defaulter)(&mut new);

        let touched: Vec<(Set, Set)> = entries
            .iter()
            .map(|e| typed::touched(&base, &new, self.node, &e.set))
            .collect();
        // Fields kubectl set with client-side apply and still holds as it set them may move to
        // its server-side apply without a conflict.
        let allowed = self.client_side_applied(&base);
        let conflicts: Vec<Conflict> = entries
            .iter()
            .zip(&touched)
            .flat_map(|(e, (changed, _))| {
                changed
                    .difference(&allowed)
                    .paths()
                    .into_iter()
                    .map(|p| Conflict {
                        manager: e.display(),
                        field: fieldset::path_string(&p),
                    })
            })
            .collect();
        if !conflicts.is_empty() && !self.force {
            return Err(ApplyError::Conflicts(conflicts));
        }
        for (e, (changed, removed)) in entries.iter_mut().zip(&touched) {
            e.set = e.set.difference(changed).difference(removed);
        }
        entries.retain(|e| !e.set.is_empty());
        let changed = new != base;
        let set = self.recorded(&full);
        if !set.is_empty() {
            let time = match &previous {
                Some(p) if !changed => p.time.clone(),
                _ => Some(self.now.to_string()),
            };
            entries.push(self.entry(set, time));
        }
        self.sync_last_applied(&mut new, config);
        set_managed_fields(&mut new, &entries);
        Ok((new != *live).then_some(new))
    }

    /// The fields `kubectl`'s last client-side apply set that the object still holds as it set
    /// them: they move to `kubectl`'s server-side apply without a conflict (apimachinery
    /// `lastappliedmanager.go`), so that switching `kubectl apply` to `--server-side` just
    /// works. Only for the manager `kubectl`; empty without the annotation.
    fn client_side_applied(&self, live: &Value) -> Set {
        if self.manager != "kubectl" {
            return Set::default();
        }
        let Some(last) = live["metadata"]["annotations"][LAST_APPLIED]
            .as_str()
            .and_then(|text| serde_json::from_str::<Value>(text).ok())
        else {
            return Set::default();
        };
        if last["apiVersion"].as_str() != Some(self.api_version) {
            return Set::default();
        }
        let Ok(set) = typed::field_set(&last, self.node, Some(&last)) else {
            return Set::default();
        };
        let (differs, gone) = typed::touched(&last, live, self.node, &set);
        set.difference(&differs).difference(&gone)
    }

    /// The API server keeps the client-side apply annotation in step with what `kubectl`
    /// applies server-side, so that going back to client-side apply diffs against the right
    /// configuration (apimachinery `lastappliedupdater.go`).
    fn sync_last_applied(&self, obj: &mut Value, config: &Value) {
        if self.manager != "kubectl" {
            return;
        }
        let Some(annotations) = obj["metadata"]
            .get_mut("annotations")
            .and_then(Value::as_object_mut)
        else {
            return;
        };
        if annotations
            .get(LAST_APPLIED)
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            return;
        }
        let mut last = config.clone();
        if let Some(meta) = last.get_mut("metadata").and_then(Value::as_object_mut) {
            let now_empty = meta
                .get_mut("annotations")
                .and_then(Value::as_object_mut)
                .is_some_and(|a| {
                    a.remove(LAST_APPLIED);
                    a.is_empty()
                });
            if now_empty {
                meta.remove("annotations");
            }
        }
        annotations.insert(LAST_APPLIED.into(), Value::String(go_json(&last)));
        // Over the annotation size limit the API server drops it rather than fail the write.
        let size: usize = annotations
            .iter()
            .map(|(k, v)| k.len() + v.as_str().map_or(0, str::len))
            .sum();
        if size > 256 * 1024 {
            annotations.remove(LAST_APPLIED);
        }
    }
}

/// JSON as Go's `json.Encoder` writes it: sorted keys, HTML-significant characters escaped,
/// a trailing newline.
fn go_json(v: &Value) -> String {
    let mut s = v.to_string();
    // These characters only occur inside JSON strings, so replacing them in the text is safe.
    for (from, to) in [
        ('<', "\\u003c"),
        ('>', "\\u003e"),
        ('&', "\\u0026"),
        ('\u{2028}', "\\u2028"),
        ('\u{2029}', "\\u2029"),
    ] {
        if s.contains(from) {
            s = s.replace(from, to);
        }
    }
    s.push('\n');
    s
}

fn set_managed_fields(obj: &mut Value, entries: &[Entry]) {
    let Some(meta) = obj.as_object_mut().and_then(|o| {
        o.entry("metadata")
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
    }) else {
        return;
    };
    if entries.is_empty() {
        meta.remove("managedFields");
    } else {
        meta.insert("managedFields".into(), managers::encode(entries));
    }
}

#[cfg(test)]
mod tests;
