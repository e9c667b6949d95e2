//! A ConfigMap or Secret whose data changes does not restart the pods that read it through
//! environment variables: they keep the old values until something else restarts them. The plan
//! says so for every workload whose pod template stays the same.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::diff::pod_spec_path;

use super::{Action, PlanWarning, PlannedObject};

/// Warnings for workloads that read a changed ConfigMap or Secret through `env`/`envFrom`.
pub fn check_config_consumers(planned: &[PlannedObject], warnings: &mut Vec<PlanWarning>) {
    let changed: BTreeSet<(Option<&str>, &str, &str)> = planned
        .iter()
        .filter(|p| matches!(p.action, Action::Update | Action::Replace))
        .filter(|p| p.key.group.is_empty() && matches!(p.key.kind.as_str(), "ConfigMap" | "Secret"))
        .filter(|p| {
            p.diff.changes.iter().any(|c| {
                ["/data", "/binaryData", "/stringData"]
                    .iter()
                    .any(|f| c.is_under(f))
            })
        })
        .map(|p| {
            (
                p.key.namespace.as_deref(),
                p.key.kind.as_str(),
                p.key.name.as_str(),
            )
        })
        .collect();
    if changed.is_empty() {
        return;
    }
    for p in planned {
        let restarts = match p.action {
            Action::NoOp => false,
            Action::Update => p.diff.changes.iter().any(|c| c.is_under("/spec/template")),
            Action::Create | Action::Replace | Action::Delete => true,
        };
        let workload = p.key.group == "apps"
            && matches!(
                p.key.kind.as_str(),
                "Deployment" | "StatefulSet" | "DaemonSet"
            );
        if restarts || !workload {
            continue;
        }
        let (Some(desired), Some(path)) = (
            p.desired.as_deref(),
            pod_spec_path(&p.key.group, &p.key.kind),
        ) else {
            continue;
        };
        let pod = path.iter().fold(desired, |v, k| &v[*k]);
        for (kind, name) in env_references(pod) {
            if changed.contains(&(p.key.namespace.as_deref(), kind, name.as_str())) {
                warnings.push(PlanWarning {
                    object: Some(p.key.to_string()),
                    message: format!(
                        "reads {kind} {name} through environment variables; its data changes but the pod template does not, so running pods keep the old values until they restart"
                    ),
                });
            }
        }
    }
}

/// `(kind, name)` of every ConfigMap and Secret a pod spec reads into environment variables.
fn env_references(pod: &Value) -> BTreeSet<(&'static str, String)> {
    let mut out = BTreeSet::new();
    let mut add = |kind: &'static str, name: &Value| {
        if let Some(n) = name.as_str() {
            out.insert((kind, n.to_string()));
        }
    };
    for list in ["containers", "initContainers"] {
        for c in pod[list].as_array().into_iter().flatten() {
            for from in c["envFrom"].as_array().into_iter().flatten() {
                add("ConfigMap", &from["configMapRef"]["name"]);
                add("Secret", &from["secretRef"]["name"]);
            }
            for env in c["env"].as_array().into_iter().flatten() {
                add("ConfigMap", &env["valueFrom"]["configMapKeyRef"]["name"]);
                add("Secret", &env["valueFrom"]["secretKeyRef"]["name"]);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn env_and_env_from_references_are_found() {
        let pod = json!({"containers": [{"envFrom": [{"configMapRef": {"name": "a"}}, {"secretRef": {"name": "b"}}],
            "env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "c", "key": "k"}}}]}],
            "volumes": [{"name": "v", "configMap": {"name": "mounted"}}]});
        let found: Vec<(&str, String)> = env_references(&pod).into_iter().collect();
        assert_eq!(
            found,
            [
                ("ConfigMap", "a".to_string()),
                ("Secret", "b".to_string()),
                ("Secret", "c".to_string())
            ]
        );
    }
}
