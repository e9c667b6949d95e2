//! The ReplicaSet controller: as many pods as `spec.replicas`, created from the template on
//! the least loaded node, surplus removed unready-first and newest-first; status counts ready
//! and available pods.

use serde_json::{Value, json};

use super::action::{Action, Outcome};
use super::cache::Cache;
use super::clock::Clock;
use super::object::{
    controller_ref, count, generation, is_deleting, name, namespace, pod_available,
    pod_available_in, pod_phase, pod_ready, prefix,
};
use super::pod::new_pod;
use super::scheduler::NodePicker;

/// Pods created or deleted per reconcile at most (Kubernetes' `BurstReplicas`).
const BURST: usize = 500;

pub fn reconcile(cache: &Cache, key_: &str, clock: &Clock) -> Outcome {
    let mut out = Outcome::default();
    let Some(rs) = cache.get(key_) else {
        return out;
    };
    let ns = namespace(rs);
    let want = count(&rs["spec"]["replicas"], 1) as usize;
    let min_ready = count(&rs["spec"]["minReadySeconds"], 0);
    let mut pods = owned_active_pods(cache, rs, "ReplicaSet");
    let mut created = 0usize;
    if pods.len() < want && !is_deleting(rs) {
        let mut picker = NodePicker::new(cache);
        let template = &rs["spec"]["template"];
        for _ in 0..(want - pods.len()).min(BURST) {
            let mut pod = new_pod(template, ns, &format!("{}-", name(rs)));
            pod["metadata"]["ownerReferences"] = controller_ref(rs, "apps/v1", "ReplicaSet");
            if let Some(node) = picker.pick(&pod["spec"]) {
                pod["spec"]["nodeName"] = json!(node);
            }
            out.actions.push(Action::Create {
                collection: prefix("", "pods", ns),
                value: pod,
            });
            created += 1;
        }
    } else if pods.len() > want {
        pods.sort_by_key(|(_, p)| deletion_rank(p));
        let surplus = (pods.len() - want).min(BURST);
        for (k, _) in pods.drain(..).take(surplus).collect::<Vec<_>>() {
            out.actions.push(Action::Delete { key: k });
        }
        pods = owned_active_pods(cache, rs, "ReplicaSet")
            .into_iter()
            .filter(|(k, _)| {
                !out.actions
                    .iter()
                    .any(|a| matches!(a, Action::Delete { key } if key == k))
            })
            .collect();
    }
    let ready = pods.iter().filter(|(_, p)| pod_ready(p)).count();
    let available = pods
        .iter()
        .filter(|(_, p)| pod_available(p, min_ready, clock))
        .count();
    for (_, p) in &pods {
        if let Some(t) = pod_available_in(p, min_ready, clock) {
            out.requeue(t);
        }
    }
    let replicas = pods.len() + created;
    let mut status = json!({
        "replicas": replicas,
        "observedGeneration": generation(rs),
    });
    for (field, n) in [
        ("fullyLabeledReplicas", replicas),
        ("readyReplicas", ready),
        ("availableReplicas", available),
    ] {
        if n > 0 {
            status[field] = json!(n);
        }
    }
    let mut next = rs.clone();
    next["status"] = status;
    out.update_if_changed(key_, rs, next);
    out
}

/// Pods controlled by `owner` that still count: not finished, not being deleted.
pub fn owned_active_pods(cache: &Cache, owner: &Value, kind: &str) -> Vec<(String, Value)> {
    cache
        .controlled(owner, kind, "/core/pods/")
        .into_iter()
        .filter(|(_, p)| !matches!(pod_phase(p), "Succeeded" | "Failed") && !is_deleting(p))
        .map(|(k, p)| (k, p.clone()))
        .collect()
}

/// Which pods go first when scaling down: unscheduled, then not running, then not ready, then
/// the newest.
fn deletion_rank(p: &Value) -> (u8, u8, u8, std::cmp::Reverse<String>, String) {
    let scheduled = u8::from(p["spec"]["nodeName"].is_string());
    let running = u8::from(pod_phase(p) == "Running");
    let ready = u8::from(pod_ready(p));
    let created = p["metadata"]["creationTimestamp"]
        .as_str()
        .unwrap_or("")
        .to_string();
    (
        scheduled,
        running,
        ready,
        std::cmp::Reverse(created),
        name(p).to_string(),
    )
}
