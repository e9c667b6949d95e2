//! The simulated nodes `kplan-node-1` … `kplan-node-N`: Ready, with addresses, capacity and a
//! pod CIDR, so node-bound fields and DaemonSets make sense.

use serde_json::{Value, json};

use super::action::{Action, Outcome};
use super::cache::Cache;
use super::clock::Clock;
use super::object::{key, label, name};

pub const SIMULATED_LABEL: &str = "kplan.dev/simulated";

pub fn node_name(i: u32) -> String {
    format!("kplan-node-{i}")
}

/// Creates missing nodes and removes simulated nodes above `n` (after `--nodes` shrank).
pub fn reconcile(cache: &Cache, n: u32, kubelet_version: &str, clock: &Clock) -> Outcome {
    let mut out = Outcome::default();
    for i in 1..=n {
        let node = node_name(i);
        if cache.get(&key("", "nodes", "", &node)).is_none() {
            out.actions.push(Action::Create {
                collection: "/core/nodes/".into(),
                value: new_node(i, kubelet_version, clock),
            });
        }
    }
    for (k, node) in cache.list("/core/nodes/") {
        let index = name(node)
            .strip_prefix("kplan-node-")
            .and_then(|i| i.parse::<u32>().ok());
        if label(node, SIMULATED_LABEL) == Some("true") && index.is_none_or(|i| i > n) {
            out.actions.push(Action::Delete { key: k.to_string() });
        }
    }
    out
}

fn new_node(i: u32, kubelet_version: &str, clock: &Clock) -> Value {
    let name = node_name(i);
    let now = clock.timestamp();
    let ip = format!("172.18.0.{}", i + 1);
    let cond = |kind: &str, status: &str, reason: &str, message: &str| {
        json!({"type": kind, "status": status, "reason": reason, "message": message,
               "lastHeartbeatTime": now, "lastTransitionTime": now})
    };
    let resources =
        json!({"cpu": "4", "memory": "8Gi", "pods": "110", "ephemeral-storage": "100Gi"});
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "beta.kubernetes.io/os": "linux",
                "beta.kubernetes.io/arch": "amd64",
                SIMULATED_LABEL: "true",
            },
        },
        "spec": {"podCIDR": format!("10.244.{i}.0/24"), "podCIDRs": [format!("10.244.{i}.0/24")]},
        "status": {
            "phase": "Running",
            "conditions": [
                cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                cond("Ready", "True", "KubeletReady", "kubelet is posting ready status (simulated by kplan)"),
            ],
            "addresses": [
                {"type": "InternalIP", "address": ip},
                {"type": "Hostname", "address": name},
            ],
            "capacity": resources,
            "allocatable": resources,
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "kubeletVersion": kubelet_version,
                "kubeProxyVersion": kubelet_version,
                "containerRuntimeVersion": "kplan://simulated",
                "kernelVersion": "simulated",
                "osImage": "kplan simulated node",
                "operatingSystem": "linux",
                "architecture": "amd64",
                "machineID": format!("kplan-{i}"),
                "systemUUID": format!("kplan-{i}"),
                "bootID": format!("kplan-{i}"),
            },
        },
    })
}
