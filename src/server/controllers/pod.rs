//! The simulated kubelet: no containers, only the status a real kubelet would report. A pod
//! is created (ContainerCreating), starts, and turns Ready after `--pod-ready-delay`; rules turn
//! it into a crash loop, a never-ready pod, or (for Jobs) a run that succeeds or fails. Every
//! stage is a function of the pod's age, so a restarted server resumes where it was.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::action::Outcome;
use super::cache::Cache;
use super::clock::Clock;
use super::glob::glob_matches;
use super::object::{annotation, condition, controller_of, key, name, pod_phase};
use super::options::SimOptions;
use super::scheduler::NodePicker;

/// Pod-template annotation choosing a behaviour: `crashloop`, `never-ready`, `fail`, `ok`.
pub const SIMULATE: &str = "kplan.dev/simulate";

/// Kubelet crash-loop back-off: 10 s doubling to 5 min.
const BACKOFF: [f64; 6] = [10.0, 20.0, 40.0, 80.0, 160.0, 300.0];

/// A new pod from a template, named by `generate_name` plus a suffix the runtime picks.
pub fn new_pod(template: &Value, ns: &str, generate_name: &str) -> Value {
    let mut meta = json!({"namespace": ns});
    if !generate_name.is_empty() {
        meta["generateName"] = json!(generate_name);
    }
    for field in ["labels", "annotations"] {
        if let Some(m) = template["metadata"][field]
            .as_object()
            .filter(|m| !m.is_empty())
        {
            meta[field] = Value::Object(m.clone());
        }
    }
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": template["spec"].clone(),
        "status": {"phase": "Pending", "qosClass": qos_class(&template["spec"])},
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    Normal,
    CrashLoop,
    NeverReady,
    Fail,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Stage {
    Creating,
    Starting,
    Ready,
    NotReady,
    CrashLoop { restarts: u32 },
    Succeeded,
    Failed,
}

pub fn reconcile(cache: &Cache, key_: &str, clock: &Clock, opts: &SimOptions) -> Outcome {
    let mut out = Outcome::default();
    let Some(pod) = cache.get(key_) else {
        return out;
    };
    if pod["metadata"]["deletionTimestamp"].is_string()
        || matches!(pod_phase(pod), "Succeeded" | "Failed")
    {
        return out;
    }
    let Some(node_name) = pod["spec"]["nodeName"].as_str() else {
        schedule(cache, key_, pod, clock, &mut out);
        return out;
    };
    let node = cache.get(&key("", "nodes", "", node_name));
    let created = pod["metadata"]["creationTimestamp"]
        .as_str()
        .and_then(Clock::parse)
        .unwrap_or_else(|| clock.now());
    let age = clock.sim_elapsed_since(created);
    let delay = opts.pod_ready_delay.as_secs_f64();
    let start = delay / 2.0;
    let job = controller_of(pod).is_some_and(|(kind, _, _)| kind == "Job");
    let behaviour = behaviour(pod, opts);
    let (stage, next) = if age < start {
        (Stage::Creating, Some(start))
    } else {
        match behaviour {
            Behaviour::CrashLoop => {
                let mut restarts = 0u32;
                let mut at = start;
                for step in BACKOFF.iter().chain(std::iter::repeat(&300.0)) {
                    if at + step > age || restarts >= 10_000 {
                        break;
                    }
                    at += step;
                    restarts += 1;
                }
                let wait = BACKOFF[(restarts as usize).min(BACKOFF.len() - 1)];
                (
                    Stage::CrashLoop {
                        restarts: restarts + 1,
                    },
                    Some(at + wait),
                )
            }
            _ if age < delay => (Stage::Starting, Some(delay)),
            Behaviour::NeverReady => (Stage::NotReady, None),
            Behaviour::Fail if job => {
                let done = delay + opts.job_duration.as_secs_f64();
                if age < done {
                    (Stage::Ready, Some(done))
                } else {
                    (Stage::Failed, None)
                }
            }
            Behaviour::Fail => (Stage::CrashLoop { restarts: 1 }, None),
            Behaviour::Normal if job => {
                let done = delay + opts.job_duration.as_secs_f64();
                if age < done {
                    (Stage::Ready, Some(done))
                } else {
                    (Stage::Succeeded, None)
                }
            }
            Behaviour::Normal => (Stage::Ready, None),
        }
    };
    if let Some(at) = next {
        out.requeue(clock.real(at - age));
    }
    let status = status_for(pod, node, stage, created, clock, opts);
    let mut updated = pod.clone();
    updated["status"] = status;
    out.update_if_changed(key_, pod, updated);
    out
}

fn behaviour(pod: &Value, opts: &SimOptions) -> Behaviour {
    match annotation(pod, SIMULATE) {
        Some("crashloop") => return Behaviour::CrashLoop,
        Some("never-ready") => return Behaviour::NeverReady,
        Some("fail") => return Behaviour::Fail,
        Some("ok") => return Behaviour::Normal,
        _ => {}
    }
    let failing = containers(pod).any(|c| {
        let image = c["image"].as_str().unwrap_or_default();
        opts.fail_images.iter().any(|g| glob_matches(g, image))
    });
    if failing {
        Behaviour::CrashLoop
    } else {
        Behaviour::Normal
    }
}

fn containers(pod: &Value) -> impl Iterator<Item = &Value> {
    pod["spec"]["containers"].as_array().into_iter().flatten()
}

fn schedule(cache: &Cache, key_: &str, pod: &Value, clock: &Clock, out: &mut Outcome) {
    let mut picker = NodePicker::new(cache);
    let mut updated = pod.clone();
    if let Some(node) = picker.pick(&pod["spec"]) {
        updated["spec"]["nodeName"] = json!(node);
        set_pod_condition(
            &mut updated["status"],
            "PodScheduled",
            "True",
            None,
            clock,
            pod,
        );
    } else {
        let mut cond = json!({"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
            "message": "0 nodes are available: no ready simulated node matches the pod's nodeSelector.",
            "lastProbeTime": null, "lastTransitionTime": clock.timestamp()});
        if let Some(c) = condition(&pod["status"], "PodScheduled")
            && c["status"] == "False"
        {
            cond["lastTransitionTime"] = c["lastTransitionTime"].clone();
        }
        replace_condition(&mut updated["status"], cond);
        if updated["status"]["phase"].is_null() {
            updated["status"]["phase"] = json!("Pending");
        }
    }
    out.update_if_changed(key_, pod, updated);
}

fn status_for(
    pod: &Value,
    node: Option<&Value>,
    stage: Stage,
    created: f64,
    clock: &Clock,
    opts: &SimOptions,
) -> Value {
    let old = &pod["status"];
    let delay = opts.pod_ready_delay.as_secs_f64();
    let ts = |sim_offset: f64| {
        crate::time::rfc3339(super::clock::secs(created + clock.real(sim_offset)))
    };
    let started_at = ts(delay / 2.0);
    let finished_at = ts(delay + opts.job_duration.as_secs_f64());
    let mut status = json!({
        "phase": match stage {
            Stage::Creating => "Pending",
            Stage::Succeeded => "Succeeded",
            Stage::Failed => "Failed",
            _ => "Running",
        },
        "qosClass": old["qosClass"].as_str().map_or_else(|| qos_class(&pod["spec"]).to_string(), str::to_string),
        "startTime": ts(0.0),
    });
    if let Some(node) = node {
        let host = node["status"]["addresses"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["type"] == "InternalIP")
            .and_then(|a| a["address"].as_str())
            .unwrap_or("172.18.0.2");
        status["hostIP"] = json!(host);
        status["hostIPs"] = json!([{"ip": host}]);
        if stage != Stage::Creating {
            let ip = pod_ip(node, pod);
            status["podIP"] = json!(ip);
            status["podIPs"] = json!([{"ip": ip}]);
        }
    }
    let ready = stage == Stage::Ready;
    let names: Vec<&str> = containers(pod).filter_map(|c| c["name"].as_str()).collect();
    let (not_ready_reason, not_ready_message) = match stage {
        Stage::Succeeded | Stage::Failed => ("PodCompleted", String::new()),
        _ => (
            "ContainersNotReady",
            format!("containers with unready status: [{}]", names.join(" ")),
        ),
    };
    let started_containers = stage != Stage::Creating;
    let conds: Vec<(&str, bool)> = vec![
        (
            "PodReadyToStartContainers",
            started_containers && !matches!(stage, Stage::Succeeded | Stage::Failed),
        ),
        ("Initialized", true),
        ("Ready", ready),
        ("ContainersReady", ready),
        ("PodScheduled", true),
    ];
    status["conditions"] = json!([]);
    for (kind, ok) in conds {
        let reason = (!ok && matches!(kind, "Ready" | "ContainersReady"))
            .then_some((not_ready_reason, not_ready_message.as_str()));
        set_pod_condition(
            &mut status,
            kind,
            if ok { "True" } else { "False" },
            reason,
            clock,
            pod,
        );
    }
    let statuses: Vec<Value> = containers(pod)
        .map(|c| {
            let cname = c["name"].as_str().unwrap_or_default();
            let image = c["image"].as_str().unwrap_or_default();
            let mut cs = json!({
                "name": cname,
                "image": image,
                "imageID": format!("{image}@sha256:{}", short_hash(image, 64)),
                "ready": ready,
                "started": matches!(stage, Stage::Starting | Stage::Ready | Stage::NotReady),
                "restartCount": 0,
            });
            let id = format!("kplan://{}", short_hash(&format!("{}/{cname}", name(pod)), 64));
            match stage {
                Stage::Creating => {
                    cs["state"] = json!({"waiting": {"reason": "ContainerCreating"}});
                }
                Stage::Starting | Stage::Ready | Stage::NotReady => {
                    cs["containerID"] = json!(id);
                    cs["state"] = json!({"running": {"startedAt": started_at}});
                }
                Stage::CrashLoop { restarts } => {
                    cs["containerID"] = json!(id);
                    cs["restartCount"] = json!(restarts);
                    let wait = BACKOFF[((restarts as usize).saturating_sub(1)).min(BACKOFF.len() - 1)];
                    cs["state"] = json!({"waiting": {"reason": "CrashLoopBackOff",
                        "message": format!("back-off {wait}s restarting failed container={cname} pod={}", name(pod))}});
                    cs["lastState"] = json!({"terminated": {"exitCode": 1, "reason": "Error",
                        "startedAt": started_at, "finishedAt": started_at, "containerID": id}});
                }
                Stage::Succeeded | Stage::Failed => {
                    let ok = stage == Stage::Succeeded;
                    cs["containerID"] = json!(id);
                    cs["state"] = json!({"terminated": {"exitCode": i32::from(!ok),
                        "reason": if ok { "Completed" } else { "Error" },
                        "startedAt": started_at, "finishedAt": finished_at, "containerID": id}});
                }
            }
            cs
        })
        .collect();
    status["containerStatuses"] = json!(statuses);
    status
}

/// Sets a pod condition, keeping the old transition time when the status is unchanged.
fn set_pod_condition(
    status: &mut Value,
    kind: &str,
    value: &str,
    reason: Option<(&str, &str)>,
    clock: &Clock,
    pod: &Value,
) {
    let mut cond = json!({"type": kind, "status": value, "lastProbeTime": null, "lastTransitionTime": clock.timestamp()});
    if let Some(old) = condition(&pod["status"], kind)
        && old["status"] == value
    {
        cond["lastTransitionTime"] = old["lastTransitionTime"].clone();
    }
    if let Some((r, m)) = reason {
        cond["reason"] = json!(r);
        if !m.is_empty() {
            cond["message"] = json!(m);
        }
    }
    replace_condition(status, cond);
}

fn replace_condition(status: &mut Value, cond: Value) {
    if !status.is_object() {
        *status = json!({});
    }
    if !status["conditions"].is_array() {
        status["conditions"] = json!([]);
    }
    let list = status["conditions"].as_array_mut().expect("array");
    match list.iter_mut().find(|c| c["type"] == cond["type"]) {
        Some(c) => *c = cond,
        None => list.push(cond),
    }
}

/// A stable address in the node's pod CIDR.
fn pod_ip(node: &Value, pod: &Value) -> String {
    let cidr = node["spec"]["podCIDR"].as_str().unwrap_or("10.244.0.0/24");
    let base = cidr.split('/').next().unwrap_or("10.244.0.0");
    let mut parts: Vec<&str> = base.split('.').collect();
    parts.truncate(3);
    let host = 2 + (fnv(pod["metadata"]["uid"].as_str().unwrap_or(name(pod))) % 250);
    format!("{}.{host}", parts.join("."))
}

fn qos_class(spec: &Value) -> &'static str {
    let all: Vec<&Value> = spec["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let any = all.iter().any(|c| {
        c["resources"]["requests"]
            .as_object()
            .is_some_and(|m| !m.is_empty())
            || c["resources"]["limits"]
                .as_object()
                .is_some_and(|m| !m.is_empty())
    });
    if !any {
        return "BestEffort";
    }
    let guaranteed = all.iter().all(|c| {
        let limits = &c["resources"]["limits"];
        let requests = &c["resources"]["requests"];
        ["cpu", "memory"]
            .iter()
            .all(|r| limits[r].is_string() || limits[r].is_number())
            && ["cpu", "memory"]
                .iter()
                .all(|r| requests[r].is_null() || requests[r] == limits[r])
    });
    if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

fn fnv(s: &str) -> u32 {
    crate::rollout::fnv1a(crate::rollout::FNV_OFFSET, s.as_bytes())
}

fn short_hash(s: &str, len: usize) -> String {
    let mut out = String::new();
    let mut seed = fnv(s);
    while out.len() < len {
        seed = seed.wrapping_mul(0x0100_0193) ^ 0x9e37_79b9;
        let _ = write!(out, "{seed:08x}");
    }
    out.truncate(len);
    out
}
