//! The Job controller: up to `parallelism` pods at a time until `completions` succeed
//! (`Complete`), or more than `backoffLimit` fail (`Failed`); `suspend` stops the pods;
//! `ttlSecondsAfterFinished` removes a finished Job.

use serde_json::{Value, json};

use super::action::{Action, Outcome};
use super::cache::Cache;
use super::clock::Clock;
use super::object::{
    condition, controller_ref, count, is_deleting, name, namespace, pod_phase, pod_ready, prefix,
    set_condition, uid,
};
use super::pod::new_pod;
use super::scheduler::NodePicker;

pub fn reconcile(cache: &Cache, key_: &str, clock: &Clock) -> Outcome {
    let mut out = Outcome::default();
    let Some(job) = cache.get(key_) else {
        return out;
    };
    let ns = namespace(job);
    let spec = &job["spec"];
    let owner_uid = uid(job);
    let pods = cache.controlled(job, "Job", "/core/pods/");
    let succeeded = pods
        .iter()
        .filter(|(_, p)| pod_phase(p) == "Succeeded")
        .count() as u32;
    let failed = pods
        .iter()
        .filter(|(_, p)| pod_phase(p) == "Failed")
        .count() as u32;
    let active: Vec<&(String, &Value)> = pods
        .iter()
        .filter(|(_, p)| !matches!(pod_phase(p), "Succeeded" | "Failed") && !is_deleting(p))
        .collect();
    let completions = count(&spec["completions"], 1);
    let parallelism = count(&spec["parallelism"], 1);
    let backoff_limit = count(&spec["backoffLimit"], 6);
    let suspended = spec["suspend"] == true;
    let mut status = if job["status"].is_object() {
        job["status"].clone()
    } else {
        json!({})
    };
    let finished = |s: &Value| {
        ["Complete", "Failed"]
            .iter()
            .find(|t| condition(s, t).is_some_and(|c| c["status"] == "True"))
            .map(|t| (*t).to_string())
    };
    let mut stop_active = suspended;
    if finished(&status).is_none() {
        if failed > backoff_limit {
            set_condition(
                &mut status,
                job_condition(
                    clock,
                    "FailureTarget",
                    "BackoffLimitExceeded",
                    "Job has reached the specified backoff limit",
                ),
            );
            set_condition(
                &mut status,
                job_condition(
                    clock,
                    "Failed",
                    "BackoffLimitExceeded",
                    "Job has reached the specified backoff limit",
                ),
            );
            stop_active = true;
        } else if succeeded >= completions {
            set_condition(
                &mut status,
                job_condition(
                    clock,
                    "SuccessCriteriaMet",
                    "CompletionsReached",
                    "Reached expected number of succeeded pods",
                ),
            );
            set_condition(
                &mut status,
                job_condition(
                    clock,
                    "Complete",
                    "CompletionsReached",
                    "Reached expected number of succeeded pods",
                ),
            );
            status["completionTime"] = json!(clock.timestamp());
            stop_active = true;
        } else if !suspended && !is_deleting(job) {
            let want = parallelism.min(completions - succeeded) as usize;
            let mut picker = NodePicker::new(cache);
            for _ in active.len()..want {
                let mut pod = new_pod(&spec["template"], ns, &format!("{}-", name(job)));
                let labels = &mut pod["metadata"]["labels"];
                for (k, v) in [
                    ("batch.kubernetes.io/job-name", name(job)),
                    ("job-name", name(job)),
                    ("batch.kubernetes.io/controller-uid", owner_uid),
                    ("controller-uid", owner_uid),
                ] {
                    labels[k] = json!(v);
                }
                pod["metadata"]["ownerReferences"] = controller_ref(job, "batch/v1", "Job");
                if let Some(node) = picker.pick(&pod["spec"]) {
                    pod["spec"]["nodeName"] = json!(node);
                }
                out.actions.push(Action::Create {
                    collection: prefix("", "pods", ns),
                    value: pod,
                });
            }
        }
    }
    if stop_active {
        for (k, _) in &active {
            out.actions.push(Action::Delete { key: k.clone() });
        }
    }
    if status["startTime"].is_null() && !suspended {
        status["startTime"] = json!(clock.timestamp());
    }
    let created = out
        .actions
        .iter()
        .filter(|a| matches!(a, Action::Create { .. }))
        .count() as u32;
    let running = if stop_active {
        0
    } else {
        active.len() as u32 + created
    };
    let ready = if stop_active {
        0
    } else {
        active.iter().filter(|(_, p)| pod_ready(p)).count() as u32
    };
    let obj = status.as_object_mut().expect("object");
    for (field, value) in [
        ("active", running),
        ("succeeded", succeeded),
        ("failed", failed),
    ] {
        if value > 0 {
            obj.insert(field.into(), json!(value));
        } else {
            obj.remove(field);
        }
    }
    obj.insert("ready".into(), json!(ready));
    obj.insert("terminating".into(), json!(0));
    obj.insert("uncountedTerminatedPods".into(), json!({}));
    if let Some(ttl) = spec["ttlSecondsAfterFinished"].as_u64()
        && finished(&status).is_some()
    {
        let done_at = ["Complete", "Failed"]
            .iter()
            .filter_map(|t| condition(&status, t))
            .filter_map(|c| c["lastTransitionTime"].as_str())
            .find_map(Clock::parse);
        if let Some(t) = done_at {
            let left = ttl as f64 - clock.sim_elapsed_since(t);
            if left <= 0.0 {
                out.actions.push(Action::Delete {
                    key: key_.to_string(),
                });
                return out;
            }
            out.requeue(clock.real(left));
        }
    }
    let mut next = job.clone();
    next["status"] = status;
    out.update_if_changed(key_, job, next);
    out
}

fn job_condition(clock: &Clock, kind: &str, reason: &str, message: &str) -> Value {
    let now = clock.timestamp();
    json!({
        "type": kind,
        "status": "True",
        "lastProbeTime": now,
        "lastTransitionTime": now,
        "reason": reason,
        "message": message,
    })
}
