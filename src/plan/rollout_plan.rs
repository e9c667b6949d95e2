//! What a workload's pods go through when the plan is applied: the steps of a rolling update
//! (the same math as the bundled control plane's Deployment controller), the fewest pods
//! available and the most pods running along the way, whether a PodDisruptionBudget's minimum
//! holds, and a time estimate.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use crate::diff::FieldChange;
use crate::rollout::{Fenceposts, IntOrPercent, Step, Strategy, simulate};
use crate::state::ObjectKey;

use super::Action;
use super::disruption_budget::{BudgetCheck, check_budgets};

/// Seconds a new pod is assumed to take from creation to ready; offline there is no better
/// number, and the estimate says so.
pub const POD_START_SECONDS: u64 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutStep {
    /// Pods of the old template (all available).
    pub old: u32,
    /// Pods of the new template.
    pub new: u32,
    /// New pods that are available.
    pub new_available: u32,
    pub total: u32,
    pub available: u32,
}

impl From<Step> for RolloutStep {
    fn from(s: Step) -> Self {
        Self {
            old: s.old,
            new: s.new,
            new_available: s.new_available,
            total: s.total(),
            available: s.available(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutPlan {
    /// `RollingUpdate`, `Recreate`, `OnDelete`, `Replace` (the object is re-created) or
    /// `Scale` (replicas only: no rollout).
    pub strategy: String,
    /// One line for people: "rolling update: maxSurge 1, maxUnavailable 0".
    pub summary: String,
    pub replicas_from: u32,
    pub replicas_to: u32,
    /// From the current pods to the new ones; the first step is the starting point. Empty when
    /// the steps are not known offline (DaemonSets: one pod per node) or there is no rollout.
    pub steps: Vec<RolloutStep>,
    pub min_available: Option<u32>,
    pub max_pods: Option<u32>,
    pub estimate_seconds: Option<u64>,
    /// What the estimate assumes.
    pub assumption: Option<String>,
    pub budgets: Vec<BudgetCheck>,
}

impl RolloutPlan {
    /// A plan whose steps are not known offline, or that has none: only what it is.
    fn without_steps(
        strategy: &str,
        summary: String,
        replicas_from: u32,
        replicas_to: u32,
    ) -> Self {
        Self {
            strategy: strategy.into(),
            summary,
            replicas_from,
            replicas_to,
            steps: Vec::new(),
            min_available: None,
            max_pods: None,
            estimate_seconds: None,
            assumption: None,
            budgets: Vec::new(),
        }
    }

    fn on_delete(replicas_from: u32, replicas_to: u32) -> Self {
        Self::without_steps(
            "OnDelete",
            "OnDelete: pods take the new template only when they are deleted".into(),
            replicas_from,
            replicas_to,
        )
    }
}

/// The rollout of a Deployment, StatefulSet or DaemonSet that is updated or replaced; `None`
/// for other kinds, and when neither the pod template nor the replicas change.
pub fn plan_rollout(
    key: &ObjectKey,
    action: Action,
    desired: &Value,
    current: &Value,
    changes: &[FieldChange],
    pdbs: &[&Value],
) -> Option<RolloutPlan> {
    if key.group != "apps"
        || !matches!(
            key.kind.as_str(),
            "Deployment" | "StatefulSet" | "DaemonSet"
        )
    {
        return None;
    }
    let spec = &desired["spec"];
    let replicas_from = replicas(&current["spec"], None);
    let replicas_to = replicas(spec, Some(replicas_from));
    let min_ready = spec["minReadySeconds"].as_u64().unwrap_or(0);
    let labels = &spec["template"]["metadata"]["labels"];
    let budgets = |min_available: Option<u32>| {
        check_budgets(
            pdbs.iter().copied(),
            key.namespace.as_deref(),
            labels,
            replicas_to,
            min_available,
        )
    };
    let template_changed = changes.iter().any(|c| c.is_under("/spec/template"));
    let plan = match action {
        Action::Replace => {
            let steps = simulate(replicas_from, replicas_to, Strategy::Recreate);
            let mut p = from_steps(
                "Replace",
                format!(
                    "replaced: the {replicas_from} current pod(s) go with the old object, then {replicas_to} new pod(s) start"
                ),
                replicas_from,
                replicas_to,
                &steps,
                min_ready,
            );
            p.budgets = budgets(p.min_available);
            p
        }
        Action::Update if template_changed => match key.kind.as_str() {
            "Deployment" => deployment(spec, replicas_from, replicas_to, min_ready),
            "StatefulSet" => Some(stateful_set(spec, replicas_from, replicas_to, min_ready)),
            _ => Some(daemon_set(spec)),
        }
        .map(|mut p| {
            p.budgets = budgets(p.min_available);
            p
        })?,
        Action::Update if changes.iter().any(|c| c.is_under("/spec/replicas")) => {
            RolloutPlan::without_steps(
                "Scale",
                format!("no rollout, scale {replicas_from} → {replicas_to}"),
                replicas_from,
                replicas_to,
            )
        }
        _ => return None,
    };
    Some(plan)
}

/// `spec.replicas`; absent means the current count (an autoscaler owns it) or the default 1.
fn replicas(spec: &Value, fallback: Option<u32>) -> u32 {
    spec["replicas"]
        .as_u64()
        .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
        .or(fallback)
        .unwrap_or(1)
}

fn from_steps(
    strategy: &str,
    summary: String,
    replicas_from: u32,
    replicas_to: u32,
    steps: &[Step],
    min_ready: u64,
) -> RolloutPlan {
    // Every step that adds new pods waits for them to become available.
    let batches = steps.windows(2).filter(|w| w[1].new > w[0].new).count() as u64;
    RolloutPlan {
        strategy: strategy.into(),
        summary,
        replicas_from,
        replicas_to,
        min_available: steps.iter().map(Step::available).min(),
        max_pods: steps.iter().map(Step::total).max(),
        estimate_seconds: Some(batches * (min_ready + POD_START_SECONDS)),
        assumption: Some(format!(
            "{batches} batch(es) of new pods × (minReadySeconds {min_ready} s + {POD_START_SECONDS} s pod start); image pulls and termination not counted"
        )),
        steps: steps.iter().copied().map(RolloutStep::from).collect(),
        budgets: Vec::new(),
    }
}

fn deployment(spec: &Value, from: u32, to: u32, min_ready: u64) -> Option<RolloutPlan> {
    let mut sized = spec.clone();
    sized["replicas"] = Value::from(to);
    // A strategy kplan cannot read is reported by validation; the plan then shows no steps.
    let fenceposts = Fenceposts::of_deployment_spec(&sized).ok()?;
    let (strategy, name, summary) = match fenceposts {
        Some(fp) => (
            Strategy::RollingUpdate(fp),
            "RollingUpdate",
            format!(
                "rolling update: maxSurge {}, maxUnavailable {} (of {to})",
                fp.max_surge, fp.max_unavailable
            ),
        ),
        None => (
            Strategy::Recreate,
            "Recreate",
            "recreate: every old pod stops before new ones start".to_string(),
        ),
    };
    let steps = simulate(from, to, strategy);
    Some(from_steps(name, summary, from, to, &steps, min_ready))
}

/// One pod at a time from the highest ordinal down to the partition, each deleted and then
/// re-created with the new template.
fn stateful_set(spec: &Value, from: u32, to: u32, min_ready: u64) -> RolloutPlan {
    let update = &spec["updateStrategy"];
    if update["type"].as_str() == Some("OnDelete") {
        return RolloutPlan::on_delete(from, to);
    }
    let partition = update["rollingUpdate"]["partition"]
        .as_u64()
        .map_or(0, |p| u32::try_from(p).unwrap_or(u32::MAX))
        .min(to);
    let mut steps = vec![Step {
        old: to,
        new: 0,
        new_available: 0,
    }];
    for _ in partition..to {
        let last = *steps.last().expect("starting step");
        let replaced = Step {
            old: last.old - 1,
            new: last.new + 1,
            new_available: last.new_available,
        };
        steps.push(replaced);
        steps.push(Step {
            new_available: replaced.new,
            ..replaced
        });
    }
    let mut summary = format!(
        "rolling update, one pod at a time from {} down to ordinal {partition}",
        to.saturating_sub(1)
    );
    if partition > 0 {
        let _ = write!(
            summary,
            " (partition {partition}: lower ordinals keep the old template)"
        );
    }
    if from != to {
        let _ = write!(summary, "; also scales {from} → {to}");
    }
    from_steps("RollingUpdate", summary, from, to, &steps, min_ready)
}

/// One pod per node, so the steps depend on the node count, unknown offline.
fn daemon_set(spec: &Value) -> RolloutPlan {
    let update = &spec["updateStrategy"];
    if update["type"].as_str() == Some("OnDelete") {
        return RolloutPlan::on_delete(0, 0);
    }
    let read = |field: &str, default: IntOrPercent| {
        IntOrPercent::from_json(&update["rollingUpdate"][field]).unwrap_or(default)
    };
    let max_unavailable = read("maxUnavailable", IntOrPercent::Int(1));
    let max_surge = read("maxSurge", IntOrPercent::Int(0));
    RolloutPlan::without_steps(
        "RollingUpdate",
        format!(
            "rolling update node by node: maxUnavailable {max_unavailable}, maxSurge {max_surge} (the number of nodes is not known offline)"
        ),
        0,
        0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn image_change() -> Vec<FieldChange> {
        vec![FieldChange {
            path: "/spec/template/spec/containers/0/image".into(),
            before: Some(json!("a:1")),
            after: Some(json!("a:2")),
        }]
    }

    #[allow(clippy::needless_pass_by_value)] // reads best with json!(…) arguments
    fn deploy(replicas: u32, strategy: Value) -> Value {
        json!({"spec": {"replicas": replicas, "strategy": strategy, "minReadySeconds": 5,
            "template": {"metadata": {"labels": {"app": "web"}}}}})
    }

    fn key(kind: &str) -> ObjectKey {
        ObjectKey::new("apps", kind, Some("shop"), "web")
    }

    #[test]
    fn a_deployment_image_change_rolls_with_the_controller_math() {
        let d = deploy(
            3,
            json!({"rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}),
        );
        let pdb = json!({"metadata": {"name": "web", "namespace": "shop"}, "spec": {"minAvailable": 3, "selector": {"matchLabels": {"app": "web"}}}});
        let p = plan_rollout(
            &key("Deployment"),
            Action::Update,
            &d,
            &d,
            &image_change(),
            &[&pdb],
        )
        .unwrap();
        assert_eq!(p.strategy, "RollingUpdate");
        let pairs: Vec<(u32, u32)> = p.steps.iter().map(|s| (s.old, s.new)).collect();
        assert_eq!(
            pairs,
            [(3, 0), (3, 1), (2, 1), (2, 2), (1, 2), (1, 3), (0, 3)]
        );
        assert_eq!((p.min_available, p.max_pods), (Some(3), Some(4)));
        assert_eq!(p.estimate_seconds, Some(3 * 6));
        assert_eq!(p.budgets[0].honored, Some(true));
    }

    #[test]
    fn a_replicas_only_change_is_no_rollout() {
        let changes = [FieldChange {
            path: "/spec/replicas".into(),
            before: Some(json!(3)),
            after: Some(json!(5)),
        }];
        let p = plan_rollout(
            &key("Deployment"),
            Action::Update,
            &deploy(5, json!({})),
            &deploy(3, json!({})),
            &changes,
            &[],
        )
        .unwrap();
        assert_eq!(p.summary, "no rollout, scale 3 → 5");
        assert!(p.steps.is_empty());
    }

    #[test]
    fn a_stateful_set_replaces_one_pod_at_a_time_down_to_the_partition() {
        let s =
            json!({"spec": {"replicas": 3, "updateStrategy": {"rollingUpdate": {"partition": 1}}}});
        let p = plan_rollout(
            &key("StatefulSet"),
            Action::Update,
            &s,
            &s,
            &image_change(),
            &[],
        )
        .unwrap();
        let pairs: Vec<(u32, u32, u32)> = p
            .steps
            .iter()
            .map(|s| (s.old, s.new, s.new_available))
            .collect();
        assert_eq!(
            pairs,
            [(3, 0, 0), (2, 1, 0), (2, 1, 1), (1, 2, 1), (1, 2, 2)]
        );
        assert_eq!(p.min_available, Some(2));
        assert!(p.summary.contains("partition 1"), "{}", p.summary);
    }

    #[test]
    fn recreate_and_replace_take_every_pod_down() {
        let d = deploy(2, json!({"type": "Recreate"}));
        let p = plan_rollout(
            &key("Deployment"),
            Action::Update,
            &d,
            &d,
            &image_change(),
            &[],
        )
        .unwrap();
        assert_eq!(
            (p.strategy.as_str(), p.min_available),
            ("Recreate", Some(0))
        );
        let p = plan_rollout(&key("Deployment"), Action::Replace, &d, &d, &[], &[]).unwrap();
        assert_eq!((p.strategy.as_str(), p.min_available), ("Replace", Some(0)));
    }

    #[test]
    fn other_kinds_and_unrelated_changes_have_no_rollout() {
        let d = deploy(2, json!({}));
        let label = [FieldChange {
            path: "/metadata/labels/x".into(),
            before: None,
            after: Some(json!("y")),
        }];
        assert!(plan_rollout(&key("Deployment"), Action::Update, &d, &d, &label, &[]).is_none());
        let cm = ObjectKey::new("", "ConfigMap", Some("shop"), "c");
        assert!(plan_rollout(&cm, Action::Update, &d, &d, &image_change(), &[]).is_none());
    }
}
