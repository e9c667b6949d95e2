//! The DaemonSet controller: one pod on every ready simulated node that satisfies the
//! template's `nodeSelector`; a RollingUpdate replaces old pods while at most `maxUnavailable`
//! nodes lack an available pod.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::rollout::IntOrPercent;

use super::action::{Action, Outcome};
use super::cache::Cache;
use super::clock::Clock;
use super::object::{
    controller_ref, count, generation, is_deleting, label, name, namespace, pod_available,
    pod_available_in, pod_phase, pod_ready, prefix,
};
use super::pod::new_pod;
use super::revisions;
use super::scheduler::NodePicker;

const REVISION_LABEL: &str = "controller-revision-hash";

pub fn reconcile(cache: &Cache, key_: &str, clock: &Clock) -> Outcome {
    let mut out = Outcome::default();
    let Some(ds) = cache.get(key_).filter(|ds| !is_deleting(ds)) else {
        return out;
    };
    let ns = namespace(ds);
    let spec = &ds["spec"];
    let min_ready = count(&spec["minReadySeconds"], 0);
    let (_, hash) = revisions::sync(cache, ds, "DaemonSet", &[], &mut out);
    let nodes = NodePicker::new(cache).eligible(&spec["template"]["spec"]);
    let mut by_node: BTreeMap<String, Vec<(String, Value)>> = BTreeMap::new();
    let mut misplaced = Vec::new();
    for (k, p) in cache.controlled(ds, "DaemonSet", "/core/pods/") {
        if is_deleting(p) || matches!(pod_phase(p), "Succeeded" | "Failed") {
            continue;
        }
        match p["spec"]["nodeName"].as_str() {
            Some(n) if nodes.iter().any(|x| x == n) => by_node
                .entry(n.to_string())
                .or_default()
                .push((k, p.clone())),
            _ => misplaced.push(k),
        }
    }
    for k in &misplaced {
        out.actions.push(Action::Delete { key: k.clone() });
    }
    let desired = u32::try_from(nodes.len()).unwrap_or(u32::MAX);
    let rolling = spec["updateStrategy"]["type"].as_str() != Some("OnDelete");
    let max_unavailable =
        IntOrPercent::from_json(&spec["updateStrategy"]["rollingUpdate"]["maxUnavailable"])
            .unwrap_or(IntOrPercent::Int(1))
            .scaled(desired, true)
            .max(1);
    let mut unavailable = nodes
        .iter()
        .filter(|n| {
            !by_node
                .get(*n)
                .is_some_and(|ps| ps.iter().any(|(_, p)| pod_available(p, min_ready, clock)))
        })
        .count() as u32;
    let mut replace: Vec<(String, bool)> = Vec::new();
    for node in &nodes {
        let Some(pods) = by_node.get_mut(node) else {
            let mut pod = new_pod(&spec["template"], ns, &format!("{}-", name(ds)));
            pod["metadata"]["labels"][REVISION_LABEL] = json!(hash);
            pod["metadata"]["labels"]["pod-template-generation"] =
                json!(generation(ds).to_string());
            pod["metadata"]["ownerReferences"] = controller_ref(ds, "apps/v1", "DaemonSet");
            pod["spec"]["nodeName"] = json!(node);
            out.actions.push(Action::Create {
                collection: prefix("", "pods", ns),
                value: pod,
            });
            continue;
        };
        // More than one pod on a node: keep the newest of the current revision.
        pods.sort_by_key(|(_, p)| {
            (
                label(p, REVISION_LABEL) == Some(hash.as_str()),
                p["metadata"]["creationTimestamp"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            )
        });
        while pods.len() > 1 {
            let (k, _) = pods.remove(0);
            out.actions.push(Action::Delete { key: k });
        }
        let (k, p) = &pods[0];
        if rolling && label(p, REVISION_LABEL) != Some(hash.as_str()) {
            replace.push((k.clone(), pod_available(p, min_ready, clock)));
        }
    }
    // Old pods that are not available anyway go first and free no budget.
    replace.sort_by_key(|(_, available)| *available);
    for (k, available) in replace {
        if available {
            if unavailable >= max_unavailable {
                break;
            }
            unavailable += 1;
        }
        out.actions.push(Action::Delete { key: k });
    }
    let deleted = out.deleted();
    let live: Vec<&Value> = by_node
        .values()
        .flatten()
        .filter(|(k, _)| !deleted.contains(&k))
        .map(|(_, p)| p)
        .collect();
    for p in &live {
        if let Some(t) = pod_available_in(p, min_ready, clock) {
            out.requeue(t);
        }
    }
    let scheduled = by_node.len() as u32;
    let ready = live.iter().filter(|p| pod_ready(p)).count() as u32;
    let available = live
        .iter()
        .filter(|p| pod_available(p, min_ready, clock))
        .count() as u32;
    let updated = live
        .iter()
        .filter(|p| label(p, REVISION_LABEL) == Some(hash.as_str()))
        .count() as u32;
    let mut status = json!({
        "observedGeneration": generation(ds),
        "desiredNumberScheduled": desired,
        "currentNumberScheduled": scheduled,
        "numberMisscheduled": misplaced.len(),
        "numberReady": ready,
    });
    for (field, value) in [
        ("numberAvailable", available),
        ("numberUnavailable", desired.saturating_sub(available)),
        ("updatedNumberScheduled", updated),
    ] {
        if value > 0 {
            status[field] = json!(value);
        }
    }
    let mut next = ds.clone();
    next["status"] = status;
    out.update_if_changed(key_, ds, next);
    out
}
