//! The StatefulSet controller: pods `<name>-0` … `<name>-N-1` with stable names, created in
//! order (each waits for the one before to be Ready unless `podManagementPolicy: Parallel`),
//! removed from the highest ordinal, and updated one at a time from the highest ordinal down
//! to the partition. PersistentVolumeClaims from `volumeClaimTemplates` are created (Bound)
//! and kept, as the default retention policy does.

use serde_json::{Value, json};

use super::action::{Action, Outcome};
use super::cache::Cache;
use super::clock::Clock;
use super::object::{
    controller_ref, count, generation, is_deleting, key, label, name, namespace, pod_available,
    pod_available_in, pod_phase, pod_ready, prefix,
};
use super::pod::new_pod;
use super::revisions;
use super::scheduler::NodePicker;

const REVISION_LABEL: &str = "controller-revision-hash";

pub fn reconcile(cache: &Cache, key_: &str, clock: &Clock) -> Outcome {
    let mut out = Outcome::default();
    let Some(sts) = cache.get(key_) else {
        return out;
    };
    let ns = namespace(sts);
    let sts_name = name(sts);
    let spec = &sts["spec"];
    let replicas = count(&spec["replicas"], 1);
    let min_ready = count(&spec["minReadySeconds"], 0);
    let rolling = spec["updateStrategy"]["type"].as_str() != Some("OnDelete");
    let partition = count(&spec["updateStrategy"]["rollingUpdate"]["partition"], 0);
    let parallel = spec["podManagementPolicy"] == "Parallel";
    let current_before = sts["status"]["currentRevision"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (update_rev, _) = revisions::sync(
        cache,
        sts,
        "StatefulSet",
        &[current_before.as_str()],
        &mut out,
    );
    let current_rev = if current_before.is_empty() {
        update_rev.clone()
    } else {
        current_before
    };
    let current_template =
        revisions::template_of(cache, ns, &current_rev).unwrap_or_else(|| spec["template"].clone());
    let mut pods: Vec<(u32, String, Value)> = cache
        .controlled(sts, "StatefulSet", "/core/pods/")
        .into_iter()
        .filter_map(|(k, p)| {
            let ordinal = name(p)
                .strip_prefix(&format!("{sts_name}-"))?
                .parse::<u32>()
                .ok()?;
            Some((ordinal, k, p.clone()))
        })
        .collect();
    pods.sort_by_key(|(o, _, _)| *o);
    let healthy = |p: &Value| pod_phase(p) == "Running" && pod_ready(p) && !is_deleting(p);
    let mut picker = NodePicker::new(cache);
    let mut busy = false;
    if !is_deleting(sts) {
        for ordinal in 0..replicas {
            match pods.iter().find(|(o, _, _)| *o == ordinal) {
                None => {
                    let (rev, template) = if ordinal < partition && current_rev != update_rev {
                        (&current_rev, &current_template)
                    } else {
                        (&update_rev, &spec["template"])
                    };
                    let pod_name = format!("{sts_name}-{ordinal}");
                    let mut pod = new_pod(template, ns, "");
                    pod["metadata"]["name"] = json!(pod_name);
                    let labels = &mut pod["metadata"]["labels"];
                    labels[REVISION_LABEL] = json!(rev);
                    labels["statefulset.kubernetes.io/pod-name"] = json!(pod_name);
                    labels["apps.kubernetes.io/pod-index"] = json!(ordinal.to_string());
                    pod["metadata"]["ownerReferences"] =
                        controller_ref(sts, "apps/v1", "StatefulSet");
                    pod["spec"]["hostname"] = json!(pod_name);
                    if let Some(svc) = spec["serviceName"].as_str().filter(|s| !s.is_empty()) {
                        pod["spec"]["subdomain"] = json!(svc);
                    }
                    add_claims(cache, sts, ordinal, &mut pod, &mut out);
                    if let Some(node) = picker.pick(&pod["spec"]) {
                        pod["spec"]["nodeName"] = json!(node);
                    }
                    out.actions.push(Action::Create {
                        collection: prefix("", "pods", ns),
                        value: pod,
                    });
                    busy = true;
                    if !parallel {
                        break;
                    }
                }
                Some((_, k, p)) => {
                    if pod_phase(p) == "Failed" {
                        out.actions.push(Action::Delete { key: k.clone() });
                        busy = true;
                        if !parallel {
                            break;
                        }
                    } else if !healthy(p) {
                        busy = true;
                        if !parallel {
                            break;
                        }
                    }
                }
            }
        }
        let condemned: Vec<&(u32, String, Value)> = pods
            .iter()
            .rev()
            .filter(|(o, _, _)| *o >= replicas)
            .collect();
        for (_, k, _) in &condemned {
            if busy && !parallel {
                break;
            }
            out.actions.push(Action::Delete { key: k.clone() });
            if !parallel {
                busy = true;
            }
        }
        if rolling && !busy && condemned.is_empty() {
            let stale = pods.iter().rev().find(|(o, _, p)| {
                *o >= partition
                    && *o < replicas
                    && label(p, REVISION_LABEL) != Some(update_rev.as_str())
            });
            if let Some((_, k, _)) = stale {
                out.actions.push(Action::Delete { key: k.clone() });
            }
        }
    }
    let deleted = out.deleted();
    let live: Vec<&Value> = pods
        .iter()
        .filter(|(_, k, _)| !deleted.contains(&k))
        .map(|(_, _, p)| p)
        .collect();
    for p in &live {
        if let Some(t) = pod_available_in(p, min_ready, clock) {
            out.requeue(t);
        }
    }
    let n = live.len();
    let ready = live.iter().filter(|p| pod_ready(p)).count();
    let available = live
        .iter()
        .filter(|p| pod_available(p, min_ready, clock))
        .count();
    let at = |rev: &str| {
        live.iter()
            .filter(|p| label(p, REVISION_LABEL) == Some(rev))
            .count()
    };
    let mut updated = at(&update_rev);
    let mut current = at(&current_rev);
    let mut current_name = current_rev.clone();
    if rolling && updated == n && ready == n && n == replicas as usize {
        current_name.clone_from(&update_rev);
        current = updated;
    }
    if current_name == update_rev {
        updated = current;
    }
    let mut status = json!({
        "observedGeneration": generation(sts),
        "replicas": n,
        "currentRevision": current_name,
        "updateRevision": update_rev,
        "collisionCount": sts["status"]["collisionCount"].as_u64().unwrap_or(0),
    });
    for (field, value) in [
        ("readyReplicas", ready),
        ("availableReplicas", available),
        ("currentReplicas", current),
        ("updatedReplicas", updated),
    ] {
        if value > 0 {
            status[field] = json!(value);
        }
    }
    let mut next = sts.clone();
    next["status"] = status;
    out.update_if_changed(key_, sts, next);
    out
}

/// Claims `<template>-<sts>-<ordinal>`: created once, Bound, mounted as the template's volume.
fn add_claims(cache: &Cache, sts: &Value, ordinal: u32, pod: &mut Value, out: &mut Outcome) {
    let ns = namespace(sts);
    for claim in sts["spec"]["volumeClaimTemplates"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let template_name = name(claim);
        let claim_name = format!("{template_name}-{}-{ordinal}", name(sts));
        if cache
            .get(&key("", "persistentvolumeclaims", ns, &claim_name))
            .is_none()
        {
            let mut labels = sts["spec"]["selector"]["matchLabels"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            labels.insert(
                "app.kubernetes.io/managed-by".into(),
                json!("kplan-simulated-statefulset"),
            );
            let storage = claim["spec"]["resources"]["requests"]["storage"].clone();
            out.actions.push(Action::Create {
                collection: prefix("", "persistentvolumeclaims", ns),
                value: json!({
                    "apiVersion": "v1",
                    "kind": "PersistentVolumeClaim",
                    "metadata": {"name": claim_name, "namespace": ns, "labels": labels},
                    "spec": claim["spec"].clone(),
                    "status": {
                        "phase": "Bound",
                        "accessModes": claim["spec"]["accessModes"].clone(),
                        "capacity": {"storage": storage},
                    },
                }),
            });
        }
        let volumes = &mut pod["spec"]["volumes"];
        if !volumes.is_array() {
            *volumes = json!([]);
        }
        let list = volumes.as_array_mut().expect("array");
        if !list.iter().any(|v| v["name"] == template_name) {
            list.push(
                json!({"name": template_name, "persistentVolumeClaim": {"claimName": claim_name}}),
            );
        }
    }
}
