//! Is an applied object done rolling out? One pure check per kind over the object's JSON, as
//! `kubectl rollout status` decides it; the waiting (watch, timeout) is the client's.

use serde_json::Value;

/// Where an object's rollout stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RolloutState {
    /// Nothing left to wait for.
    Done,
    /// Still moving; the message says what is awaited (kubectl's wording).
    Progressing { message: String },
    /// Will not finish without a change (a Deployment past its progress deadline, a failed
    /// Job).
    Failed { message: String },
}

impl RolloutState {
    fn progressing(message: String) -> Self {
        Self::Progressing { message }
    }
}

/// The rollout state of `obj` (an object as the server returns it, status included).
///
/// - Deployment, StatefulSet, DaemonSet: kubectl's `rollout status` rules, message for
///   message.
/// - Job: done when its `Complete` condition is true, failed when its `Failed` one is.
/// - CustomResourceDefinition: done when `Established`, so its custom resources can follow.
/// - Anything else with a `Ready` condition (`status.conditions[type=Ready]`, the convention of
///   most operators): done when it is `True`, progressing with its message otherwise.
/// - Anything else: done — there is nothing to wait for.
pub fn rollout_status(obj: &Value) -> RolloutState {
    let group = obj["apiVersion"]
        .as_str()
        .and_then(|v| v.rsplit_once('/'))
        .map_or("", |(g, _)| g);
    let workload = matches!(group, "apps" | "extensions");
    match obj["kind"].as_str().unwrap_or_default() {
        "Deployment" if workload => deployment(obj),
        "StatefulSet" if workload => stateful_set(obj),
        "DaemonSet" if workload => daemon_set(obj),
        "Job" if group == "batch" => job(obj),
        "CustomResourceDefinition" if group == "apiextensions.k8s.io" => crd(obj),
        _ => ready_condition(obj),
    }
}

fn name(obj: &Value) -> &str {
    obj["metadata"]["name"].as_str().unwrap_or_default()
}

/// An integer field, 0 when absent (Go's zero value, which is what kubectl compares).
fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

/// `generation <= status.observedGeneration`: the controller has seen the latest spec.
fn observed(obj: &Value) -> bool {
    int(&obj["metadata"]["generation"]) <= int(&obj["status"]["observedGeneration"])
}

/// The condition of `type`, if the object has one.
fn condition<'a>(obj: &'a Value, kind: &str) -> Option<&'a Value> {
    obj["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == kind)
}

fn deployment(obj: &Value) -> RolloutState {
    let name = name(obj);
    if !observed(obj) {
        return RolloutState::progressing(
            "Waiting for deployment spec update to be observed...".into(),
        );
    }
    if condition(obj, "Progressing").is_some_and(|c| c["reason"] == "ProgressDeadlineExceeded") {
        return RolloutState::Failed {
            message: format!("deployment {name:?} exceeded its progress deadline"),
        };
    }
    let status = &obj["status"];
    let (updated, replicas, available) = (
        int(&status["updatedReplicas"]),
        int(&status["replicas"]),
        int(&status["availableReplicas"]),
    );
    // kubectl skips this check when spec.replicas is unset (servers always default it).
    if let Some(wanted) = obj["spec"]["replicas"].as_i64()
        && updated < wanted
    {
        return RolloutState::progressing(format!(
            "Waiting for deployment {name:?} rollout to finish: {updated} out of {wanted} new \
             replicas have been updated..."
        ));
    }
    if replicas > updated {
        return RolloutState::progressing(format!(
            "Waiting for deployment {name:?} rollout to finish: {} old replicas are pending \
             termination...",
            replicas - updated
        ));
    }
    if available < updated {
        return RolloutState::progressing(format!(
            "Waiting for deployment {name:?} rollout to finish: {available} of {updated} updated \
             replicas are available..."
        ));
    }
    RolloutState::Done
}

/// kubectl refuses (errors) on the `OnDelete` strategy, as its pods change only when someone
/// deletes them; there is no rollout to wait for, so that counts as done here.
fn rolling_update(obj: &Value) -> bool {
    obj["spec"]["updateStrategy"]["type"]
        .as_str()
        .is_none_or(|t| t == "RollingUpdate")
}

fn stateful_set(obj: &Value) -> RolloutState {
    if !rolling_update(obj) {
        return RolloutState::Done;
    }
    let status = &obj["status"];
    if int(&status["observedGeneration"]) == 0 || !observed(obj) {
        return RolloutState::progressing(
            "Waiting for statefulset spec update to be observed...".into(),
        );
    }
    let wanted = obj["spec"]["replicas"].as_i64();
    let ready = int(&status["readyReplicas"]);
    if let Some(wanted) = wanted
        && ready < wanted
    {
        return RolloutState::progressing(format!(
            "Waiting for {} pods to be ready...",
            wanted - ready
        ));
    }
    let updated = int(&status["updatedReplicas"]);
    let rolling = &obj["spec"]["updateStrategy"]["rollingUpdate"];
    if rolling.is_object() {
        // As kubectl: with rollingUpdate set, only the pods at or above the partition must be
        // updated, and the revisions are not compared.
        if let (Some(wanted), Some(partition)) = (wanted, rolling["partition"].as_i64())
            && updated < wanted - partition
        {
            return RolloutState::progressing(format!(
                "Waiting for partitioned roll out to finish: {updated} out of {} new pods have \
                 been updated...",
                wanted - partition
            ));
        }
        return RolloutState::Done;
    }
    let (current, update) = (&status["currentRevision"], &status["updateRevision"]);
    if update != current {
        return RolloutState::progressing(format!(
            "waiting for statefulset rolling update to complete {updated} pods at revision {}...",
            update.as_str().unwrap_or_default()
        ));
    }
    RolloutState::Done
}

fn daemon_set(obj: &Value) -> RolloutState {
    if !rolling_update(obj) {
        return RolloutState::Done;
    }
    let name = name(obj);
    if !observed(obj) {
        return RolloutState::progressing(
            "Waiting for daemon set spec update to be observed...".into(),
        );
    }
    let status = &obj["status"];
    let (desired, updated, available) = (
        int(&status["desiredNumberScheduled"]),
        int(&status["updatedNumberScheduled"]),
        int(&status["numberAvailable"]),
    );
    if updated < desired {
        return RolloutState::progressing(format!(
            "Waiting for daemon set {name:?} rollout to finish: {updated} out of {desired} new \
             pods have been updated..."
        ));
    }
    if available < desired {
        return RolloutState::progressing(format!(
            "Waiting for daemon set {name:?} rollout to finish: {available} of {desired} updated \
             pods are available..."
        ));
    }
    RolloutState::Done
}

fn is_true(c: Option<&Value>) -> bool {
    c.is_some_and(|c| c["status"] == "True")
}

/// The condition's message, else its reason, else `fallback`.
fn explain(c: Option<&Value>, fallback: &str) -> String {
    c.and_then(|c| {
        [&c["message"], &c["reason"]]
            .into_iter()
            .filter_map(Value::as_str)
            .find(|s| !s.is_empty())
    })
    .unwrap_or(fallback)
    .to_owned()
}

fn job(obj: &Value) -> RolloutState {
    let name = name(obj);
    let failed = condition(obj, "Failed");
    if is_true(failed) {
        return RolloutState::Failed {
            message: format!(
                "job {name:?} failed: {}",
                explain(failed, "no reason given")
            ),
        };
    }
    if is_true(condition(obj, "Complete")) {
        return RolloutState::Done;
    }
    let status = &obj["status"];
    RolloutState::progressing(format!(
        "Waiting for job {name:?} to complete: {} active, {} succeeded, {} failed...",
        int(&status["active"]),
        int(&status["succeeded"]),
        int(&status["failed"])
    ))
}

fn crd(obj: &Value) -> RolloutState {
    if is_true(condition(obj, "Established")) {
        return RolloutState::Done;
    }
    let names = condition(obj, "NamesAccepted");
    if names.is_some_and(|c| c["status"] == "False") {
        return RolloutState::Failed {
            message: format!(
                "customresourcedefinition {:?}: {}",
                name(obj),
                explain(names, "its names were not accepted")
            ),
        };
    }
    RolloutState::progressing(format!(
        "Waiting for customresourcedefinition {:?} to be established...",
        name(obj)
    ))
}

fn ready_condition(obj: &Value) -> RolloutState {
    let Some(ready) = condition(obj, "Ready") else {
        return RolloutState::Done;
    };
    if is_true(Some(ready)) {
        RolloutState::Done
    } else {
        RolloutState::progressing(explain(Some(ready), "waiting for it to be Ready"))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn progressing(message: &str) -> RolloutState {
        RolloutState::Progressing {
            message: message.into(),
        }
    }

    /// A Deployment wanting `replicas`, at `generation`, with `status`.
    fn deploy(replicas: i64, generation: i64, status: &Value) -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "generation": generation},
            "spec": {"replicas": replicas},
            "status": status,
        })
    }

    #[test]
    fn a_deployment_whose_spec_is_not_yet_observed_is_progressing() {
        assert_eq!(
            rollout_status(&deploy(3, 2, &json!({"observedGeneration": 1}))),
            progressing("Waiting for deployment spec update to be observed...")
        );
        let fresh = json!({"apiVersion": "apps/v1", "kind": "Deployment",
                           "metadata": {"name": "web", "generation": 1}});
        assert!(matches!(
            rollout_status(&fresh),
            RolloutState::Progressing { .. }
        ));
    }

    #[test]
    fn a_deployment_past_its_progress_deadline_has_failed() {
        let status = json!({
            "observedGeneration": 2, "replicas": 3, "updatedReplicas": 1,
            "conditions": [{"type": "Progressing", "status": "False",
                            "reason": "ProgressDeadlineExceeded"}]
        });
        assert_eq!(
            rollout_status(&deploy(3, 2, &status)),
            RolloutState::Failed {
                message: "deployment \"web\" exceeded its progress deadline".into()
            }
        );
    }

    #[test]
    fn a_deployment_waits_for_new_replicas_then_old_ones_then_availability() {
        let at = |replicas, updated, available| {
            rollout_status(&deploy(
                3,
                2,
                &json!({"observedGeneration": 2, "replicas": replicas,
                        "updatedReplicas": updated, "availableReplicas": available}),
            ))
        };
        assert_eq!(
            at(4, 1, 3),
            progressing(
                "Waiting for deployment \"web\" rollout to finish: 1 out of 3 new replicas have \
                 been updated..."
            )
        );
        assert_eq!(
            at(4, 3, 3),
            progressing(
                "Waiting for deployment \"web\" rollout to finish: 1 old replicas are pending \
                 termination..."
            )
        );
        assert_eq!(
            at(3, 3, 2),
            progressing(
                "Waiting for deployment \"web\" rollout to finish: 2 of 3 updated replicas are \
                 available..."
            )
        );
        assert_eq!(at(3, 3, 3), RolloutState::Done);
    }

    #[test]
    fn a_deployment_scaled_to_zero_is_done() {
        assert_eq!(
            rollout_status(&deploy(0, 1, &json!({"observedGeneration": 1}))),
            RolloutState::Done
        );
    }

    fn sts(spec: &Value, status: &Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
               "metadata": {"name": "db", "generation": 2}, "spec": spec, "status": status})
    }

    #[test]
    fn a_statefulset_waits_for_observation_and_ready_pods() {
        let spec = json!({"replicas": 3});
        assert_eq!(
            rollout_status(&sts(&spec, &json!({}))),
            progressing("Waiting for statefulset spec update to be observed...")
        );
        assert_eq!(
            rollout_status(&sts(
                &spec,
                &json!({"observedGeneration": 2, "readyReplicas": 1})
            )),
            progressing("Waiting for 2 pods to be ready...")
        );
    }

    #[test]
    fn a_statefulset_compares_revisions() {
        let spec = json!({"replicas": 3, "updateStrategy": {"type": "RollingUpdate"}});
        let status = |current: &str| {
            json!({"observedGeneration": 2, "readyReplicas": 3, "updatedReplicas": 1,
                   "currentReplicas": 2, "currentRevision": current, "updateRevision": "db-2"})
        };
        assert_eq!(
            rollout_status(&sts(&spec, &status("db-1"))),
            progressing(
                "waiting for statefulset rolling update to complete 1 pods at revision db-2..."
            )
        );
        assert_eq!(
            rollout_status(&sts(&spec, &status("db-2"))),
            RolloutState::Done
        );
    }

    #[test]
    fn a_partitioned_statefulset_is_done_when_the_pods_above_the_partition_are_updated() {
        let spec = json!({"replicas": 5, "updateStrategy": {
            "type": "RollingUpdate", "rollingUpdate": {"partition": 3}}});
        let status = |updated: i64| {
            json!({"observedGeneration": 2, "readyReplicas": 5, "updatedReplicas": updated,
                   "currentRevision": "db-1", "updateRevision": "db-2"})
        };
        assert_eq!(
            rollout_status(&sts(&spec, &status(1))),
            progressing(
                "Waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated..."
            )
        );
        assert_eq!(rollout_status(&sts(&spec, &status(2))), RolloutState::Done);
    }

    #[test]
    fn on_delete_workloads_have_no_rollout_to_wait_for() {
        let spec = json!({"replicas": 3, "updateStrategy": {"type": "OnDelete"}});
        assert_eq!(rollout_status(&sts(&spec, &json!({}))), RolloutState::Done);
        let ds = json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "x"},
                        "spec": {"updateStrategy": {"type": "OnDelete"}}});
        assert_eq!(rollout_status(&ds), RolloutState::Done);
    }

    fn ds(generation: i64, status: &Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
               "metadata": {"name": "agent", "generation": generation}, "status": status})
    }

    #[test]
    fn a_daemonset_waits_for_updated_then_available_pods() {
        assert_eq!(
            rollout_status(&ds(2, &json!({"observedGeneration": 1}))),
            progressing("Waiting for daemon set spec update to be observed...")
        );
        let at = |updated, available| {
            rollout_status(&ds(
                2,
                &json!({"observedGeneration": 2, "desiredNumberScheduled": 4,
                        "updatedNumberScheduled": updated, "numberAvailable": available}),
            ))
        };
        assert_eq!(
            at(3, 3),
            progressing(
                "Waiting for daemon set \"agent\" rollout to finish: 3 out of 4 new pods have been \
                 updated..."
            )
        );
        assert_eq!(
            at(4, 2),
            progressing(
                "Waiting for daemon set \"agent\" rollout to finish: 2 of 4 updated pods are \
                 available..."
            )
        );
        assert_eq!(at(4, 4), RolloutState::Done);
    }

    fn job_with(conditions: &Value) -> Value {
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate"},
               "status": {"active": 1, "conditions": conditions}})
    }

    #[test]
    fn a_job_is_done_when_complete_and_failed_when_failed() {
        assert_eq!(
            rollout_status(&job_with(&json!([{"type": "Complete", "status": "True"}]))),
            RolloutState::Done
        );
        assert_eq!(
            rollout_status(&job_with(&json!([{"type": "Failed", "status": "True",
                "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]))),
            RolloutState::Failed {
                message: "job \"migrate\" failed: Job has reached the specified backoff limit"
                    .into()
            }
        );
        assert_eq!(
            rollout_status(&job_with(&json!([]))),
            progressing(
                "Waiting for job \"migrate\" to complete: 1 active, 0 succeeded, 0 failed..."
            )
        );
    }

    #[test]
    fn a_crd_is_done_once_established() {
        let crd = |conditions: Value| {
            json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                   "metadata": {"name": "backups.example.com"},
                   "status": {"conditions": conditions}})
        };
        assert_eq!(
            rollout_status(&crd(json!([{"type": "Established", "status": "True"}]))),
            RolloutState::Done
        );
        assert!(matches!(
            rollout_status(&crd(json!([]))),
            RolloutState::Progressing { .. }
        ));
        assert!(matches!(
            rollout_status(&crd(json!([{"type": "NamesAccepted", "status": "False",
                                        "message": "\"backups\" is already in use"}]))),
            RolloutState::Failed { message } if message.contains("already in use")
        ));
    }

    #[test]
    fn any_object_with_a_ready_condition_follows_it() {
        let cr = |ready: Value| {
            json!({"apiVersion": "example.com/v1", "kind": "Database", "metadata": {"name": "db"},
                   "status": {"conditions": [{"type": "Synced", "status": "True"}, ready]}})
        };
        assert_eq!(
            rollout_status(&cr(json!({"type": "Ready", "status": "True"}))),
            RolloutState::Done
        );
        assert_eq!(
            rollout_status(&cr(json!({"type": "Ready", "status": "False",
                                      "reason": "Provisioning", "message": "creating volume"}))),
            progressing("creating volume")
        );
        assert_eq!(
            rollout_status(&cr(
                json!({"type": "Ready", "status": "Unknown", "reason": "Pending"})
            )),
            progressing("Pending")
        );
    }

    #[test]
    fn objects_without_a_rollout_are_done() {
        for obj in [
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "status": {}}),
            json!({"apiVersion": "example.com/v1", "kind": "Deployment", "metadata": {"name": "x"}}),
        ] {
            assert_eq!(rollout_status(&obj), RolloutState::Done, "{obj}");
        }
    }
}
