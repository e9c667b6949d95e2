//! ControllerRevisions for StatefulSets and DaemonSets: one per distinct pod template, named
//! `<owner>-<hash>`, numbered like Deployment revisions (a template coming back takes the next
//! number), with the template stored as the strategic-merge patch `kubectl rollout undo`
//! applies.

use serde_json::{Value, json};

use crate::rollout::{pod_template_hash, template_equal_ignoring_hash};

use super::action::{Action, Outcome};
use super::cache::Cache;
use super::object::{controller_ref, count, key, name, namespace, prefix};

pub const HASH_LABEL: &str = "controller.kubernetes.io/hash";

/// The revision of the owner's current template: its name and hash. Creates it, or renumbers
/// it when an older template comes back; removes unused revisions beyond the history limit.
pub fn sync(
    cache: &Cache,
    owner: &Value,
    kind: &str,
    keep: &[&str],
    out: &mut Outcome,
) -> (String, String) {
    let ns = namespace(owner);
    let template = &owner["spec"]["template"];
    let mut owned = owned(cache, owner, kind);
    owned.sort_by_key(|r| r["revision"].as_i64().unwrap_or(0));
    let max = owned
        .iter()
        .filter_map(|r| r["revision"].as_i64())
        .max()
        .unwrap_or(0);
    let found = owned
        .iter()
        .find(|r| template_equal_ignoring_hash(&stored_template(r), template))
        .cloned();
    let (rev_name, hash) = if let Some(r) = found {
        {
            let n = r["revision"].as_i64().unwrap_or(0);
            if n < max {
                let mut next = r.clone();
                next["revision"] = json!(max + 1);
                out.actions.push(Action::Update {
                    key: key("apps", "controllerrevisions", ns, name(&r)),
                    value: next,
                });
            }
            let hash = r["metadata"]["labels"][HASH_LABEL]
                .as_str()
                .unwrap_or_default()
                .to_string();
            (name(&r).to_string(), hash)
        }
    } else {
        {
            let collisions = owner["status"]["collisionCount"]
                .as_u64()
                .and_then(|c| u32::try_from(c).ok());
            let hash = pod_template_hash(template, collisions);
            let rev_name = format!("{}-{hash}", name(owner));
            let mut labels = template["metadata"]["labels"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            labels.insert(HASH_LABEL.into(), json!(hash));
            let mut patch_template = template.clone();
            patch_template["$patch"] = json!("replace");
            if cache
                .get(&key("apps", "controllerrevisions", ns, &rev_name))
                .is_none()
            {
                out.actions.push(Action::Create {
                    collection: prefix("apps", "controllerrevisions", ns),
                    value: json!({
                        "apiVersion": "apps/v1",
                        "kind": "ControllerRevision",
                        "metadata": {
                            "name": rev_name,
                            "namespace": ns,
                            "labels": labels,
                            "ownerReferences": controller_ref(owner, "apps/v1", kind),
                        },
                        "data": {"spec": {"template": patch_template}},
                        "revision": max + 1,
                    }),
                });
            }
            (rev_name, hash)
        }
    };
    let limit = count(&owner["spec"]["revisionHistoryLimit"], 10) as usize;
    let unused: Vec<&Value> = owned
        .iter()
        .filter(|r| name(r) != rev_name && !keep.contains(&name(r)))
        .collect();
    if unused.len() > limit {
        for r in unused.iter().take(unused.len() - limit) {
            out.actions.push(Action::Delete {
                key: key("apps", "controllerrevisions", ns, name(r)),
            });
        }
    }
    (rev_name, hash)
}

/// The pod template a revision holds, if it exists.
pub fn template_of(cache: &Cache, ns: &str, rev_name: &str) -> Option<Value> {
    cache
        .get(&key("apps", "controllerrevisions", ns, rev_name))
        .map(stored_template)
}

fn stored_template(r: &Value) -> Value {
    let mut t = r["data"]["spec"]["template"].clone();
    if let Some(o) = t.as_object_mut() {
        o.remove("$patch");
    }
    t
}

fn owned(cache: &Cache, owner: &Value, kind: &str) -> Vec<Value> {
    cache
        .controlled(owner, kind, "/apps/controllerrevisions/")
        .into_iter()
        .map(|(_, r)| r.clone())
        .collect()
}
