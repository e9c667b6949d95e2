//! What undoing an apply takes: every object the apply touched goes back to how the previous
//! deployed release had it (or, for objects that release did not manage, to how it was just
//! before the apply); objects the apply created are deleted; objects it pruned come back.
//! Pure: the caller executes the stages.

use std::collections::HashMap;

use serde_json::Value;

use crate::client::ObjectKey;

use super::{Stage, Step};

/// One object the failed apply wrote.
#[derive(Debug, Clone)]
pub struct Touched {
    pub key: ObjectKey,
    /// The object on the server before the apply (`None`: the apply created it).
    pub before: Option<Value>,
}

/// The writes that restore the previous state: re-applies first (in apply order), then the
/// deletions of what the failed apply created (in reverse order).
#[derive(Debug, Clone, Default)]
pub struct RestorePlan {
    pub stages: Vec<Stage>,
    /// For the report: (object, what happens).
    pub summary: Vec<(ObjectKey, &'static str)>,
}

pub fn restore_plan(touched: &[Touched], previous: &[(ObjectKey, Value)]) -> RestorePlan {
    let previous: HashMap<&ObjectKey, &Value> = previous.iter().map(|(k, v)| (k, v)).collect();
    let mut reapply = Stage::default();
    let mut delete = Stage::default();
    let mut summary = Vec::new();
    for t in touched {
        match (previous.get(&t.key), &t.before) {
            (Some(manifest), _) => {
                reapply.steps.push(Step::Apply((*manifest).clone()));
                summary.push((t.key.clone(), "restored from the previous release"));
            }
            (None, Some(before)) => {
                reapply.steps.push(Step::Apply(applyable(before)));
                summary.push((t.key.clone(), "restored to its state before the apply"));
            }
            (None, None) => {
                delete.steps.push(Step::Delete(t.key.clone()));
                summary.push((t.key.clone(), "deleted (created by the failed apply)"));
            }
        }
    }
    delete.steps.reverse();
    RestorePlan {
        stages: [reapply, delete]
            .into_iter()
            .filter(|s| !s.steps.is_empty())
            .collect(),
        summary,
    }
}

/// A live object as a manifest again: without status and what the server populates.
pub fn applyable(live: &Value) -> Value {
    let mut v = live.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("status");
    }
    if let Some(meta) = v["metadata"].as_object_mut() {
        for field in crate::diff::SERVER_METADATA {
            meta.remove(field);
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(kind: &str, name: &str) -> ObjectKey {
        ObjectKey::new("v1", kind, Some("default"), name)
    }

    #[test]
    fn previous_manifests_win_created_objects_go_and_the_rest_return_to_before() {
        let previous = vec![(
            key("ConfigMap", "a"),
            json!({"kind": "ConfigMap", "data": {"v": "1"}}),
        )];
        let touched = vec![
            Touched {
                key: key("ConfigMap", "a"),
                before: Some(json!({"data": {"v": "2"}})),
            },
            Touched {
                key: key("ConfigMap", "b"),
                before: Some(
                    json!({"metadata": {"name": "b", "uid": "u", "resourceVersion": "7"}, "data": {"v": "x"}, "status": {}}),
                ),
            },
            Touched {
                key: key("Namespace", "new"),
                before: None,
            },
            Touched {
                key: key("ConfigMap", "new"),
                before: None,
            },
        ];
        let plan = restore_plan(&touched, &previous);
        assert_eq!(plan.stages.len(), 2);
        let Step::Apply(first) = &plan.stages[0].steps[0] else {
            panic!("apply")
        };
        assert_eq!(first["data"]["v"], "1");
        let Step::Apply(second) = &plan.stages[0].steps[1] else {
            panic!("apply")
        };
        assert_eq!(
            second,
            &json!({"metadata": {"name": "b"}, "data": {"v": "x"}})
        );
        let deleted: Vec<String> = plan.stages[1]
            .steps
            .iter()
            .map(|s| s.key().unwrap().kind)
            .collect();
        assert_eq!(
            deleted,
            vec!["ConfigMap", "Namespace"],
            "reverse order: contents before their namespace"
        );
    }
}
