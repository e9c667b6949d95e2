//! Placement of new pods on the simulated nodes: the ready, schedulable node with the fewest
//! pods whose labels satisfy the pod's `nodeSelector`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::cache::Cache;
use super::object::{condition, name, pod_phase};

pub struct NodePicker {
    /// Ready nodes and the pods each one runs.
    load: BTreeMap<String, (Value, usize)>,
}

impl NodePicker {
    pub fn new(cache: &Cache) -> NodePicker {
        let mut load: BTreeMap<String, (Value, usize)> = cache
            .list("/core/nodes/")
            .filter(|(_, n)| node_ready(n) && n["spec"]["unschedulable"] != true)
            .map(|(_, n)| (name(n).to_string(), (n.clone(), 0)))
            .collect();
        for (_, pod) in cache.list("/core/pods/") {
            if matches!(pod_phase(pod), "Succeeded" | "Failed") {
                continue;
            }
            if let Some(entry) = pod["spec"]["nodeName"]
                .as_str()
                .and_then(|n| load.get_mut(n))
            {
                entry.1 += 1;
            }
        }
        NodePicker { load }
    }

    /// The node for a pod spec, counted as one more pod there; `None` when no node fits.
    pub fn pick(&mut self, pod_spec: &Value) -> Option<String> {
        let (node, entry) = self
            .load
            .iter_mut()
            .filter(|(_, (n, _))| fits(n, pod_spec))
            .min_by_key(|(name, (_, pods))| (*pods, (*name).clone()))?;
        entry.1 += 1;
        Some(node.clone())
    }

    /// Ready nodes that satisfy a pod spec's `nodeSelector` (DaemonSets run one pod on each).
    pub fn eligible(&self, pod_spec: &Value) -> Vec<String> {
        self.load
            .iter()
            .filter(|(_, (n, _))| fits(n, pod_spec))
            .map(|(name, _)| name.clone())
            .collect()
    }
}

pub fn node_ready(node: &Value) -> bool {
    condition(&node["status"], "Ready").is_some_and(|c| c["status"] == "True")
}

fn fits(node: &Value, pod_spec: &Value) -> bool {
    pod_spec["nodeSelector"]
        .as_object()
        .into_iter()
        .flatten()
        .all(|(k, v)| node["metadata"]["labels"][k] == *v)
}
