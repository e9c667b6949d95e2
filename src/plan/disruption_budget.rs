use serde::Serialize;
use serde_json::Value;

use crate::rollout::IntOrPercent;

/// A PodDisruptionBudget that selects a workload's pods, and whether the rollout stays within
/// it. Rolling updates are not blocked by budgets (only evictions are), so "not honored" means
/// the rollout itself takes more pods down than the budget allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BudgetCheck {
    pub name: String,
    /// `minAvailable: 2`, `maxUnavailable: 25%`.
    pub requirement: String,
    /// Pods the budget wants available for the planned replicas.
    pub required_available: u32,
    /// `None` when the rollout's minimum is not known offline (DaemonSets).
    pub honored: Option<bool>,
}

/// The budgets among `pdbs` (objects of any namespace) that select pods labelled
/// `pod_labels` in `namespace`, checked against `min_available` of `replicas`.
pub fn check_budgets<'a>(
    pdbs: impl IntoIterator<Item = &'a Value>,
    namespace: Option<&str>,
    pod_labels: &Value,
    replicas: u32,
    min_available: Option<u32>,
) -> Vec<BudgetCheck> {
    let mut out = Vec::new();
    for pdb in pdbs {
        if pdb["metadata"]["namespace"].as_str() != namespace
            || !selects(&pdb["spec"]["selector"], pod_labels)
        {
            continue;
        }
        let spec = &pdb["spec"];
        let (requirement, required) =
            if let Ok(min) = IntOrPercent::from_json(&spec["minAvailable"]) {
                (format!("minAvailable {min}"), min.scaled(replicas, true))
            } else if let Ok(max) = IntOrPercent::from_json(&spec["maxUnavailable"]) {
                (
                    format!("maxUnavailable {max}"),
                    replicas.saturating_sub(max.scaled(replicas, true)),
                )
            } else {
                continue;
            };
        out.push(BudgetCheck {
            name: pdb["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            requirement,
            required_available: required,
            honored: min_available.map(|m| m >= required),
        });
    }
    out
}

/// A label selector (`matchLabels` and `matchExpressions`) against labels. An empty or absent
/// selector selects nothing here: a budget for every pod is not about this workload.
fn selects(selector: &Value, labels: &Value) -> bool {
    let label = |k: &str| labels.get(k).and_then(Value::as_str);
    let mut constrained = false;
    if let Some(m) = selector["matchLabels"].as_object() {
        for (k, v) in m {
            constrained = true;
            if label(k) != v.as_str() {
                return false;
            }
        }
    }
    if let Some(exprs) = selector["matchExpressions"].as_array() {
        for e in exprs {
            constrained = true;
            let key = e["key"].as_str().unwrap_or_default();
            let values: Vec<&str> = e["values"]
                .as_array()
                .map(|v| v.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let ok = match e["operator"].as_str() {
                Some("In") => label(key).is_some_and(|l| values.contains(&l)),
                Some("NotIn") => label(key).is_none_or(|l| !values.contains(&l)),
                Some("Exists") => label(key).is_some(),
                Some("DoesNotExist") => label(key).is_none(),
                _ => false,
            };
            if !ok {
                return false;
            }
        }
    }
    constrained
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn budgets_selecting_the_pods_are_checked_against_the_rollout_minimum() {
        let pdbs = [
            json!({"metadata": {"name": "web", "namespace": "shop"}, "spec": {"minAvailable": 3, "selector": {"matchLabels": {"app": "web"}}}}),
            json!({"metadata": {"name": "pct", "namespace": "shop"}, "spec": {"maxUnavailable": "50%", "selector": {"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "api"]}]}}}),
            json!({"metadata": {"name": "other", "namespace": "shop"}, "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "db"}}}}),
            json!({"metadata": {"name": "elsewhere", "namespace": "dev"}, "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}}),
        ];
        let labels = json!({"app": "web"});
        let checks = check_budgets(&pdbs, Some("shop"), &labels, 4, Some(3));
        assert_eq!(checks.len(), 2);
        assert_eq!(
            (checks[0].required_available, checks[0].honored),
            (3, Some(true))
        );
        assert_eq!(checks[1].requirement, "maxUnavailable 50%");
        assert_eq!(
            (checks[1].required_available, checks[1].honored),
            (2, Some(true))
        );
        let strict = check_budgets(&pdbs[..1], Some("shop"), &labels, 4, Some(2));
        assert_eq!(strict[0].honored, Some(false));
    }
}
