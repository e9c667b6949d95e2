//! Reading and building the JSON objects controllers handle: names, owners, keys, conditions,
//! label selectors, pod readiness.

use serde_json::{Map, Value, json};

use super::action::Action;
use super::clock::Clock;

pub fn name(v: &Value) -> &str {
    v["metadata"]["name"].as_str().unwrap_or_default()
}

pub fn namespace(v: &Value) -> &str {
    v["metadata"]["namespace"].as_str().unwrap_or_default()
}

pub fn uid(v: &Value) -> &str {
    v["metadata"]["uid"].as_str().unwrap_or_default()
}

pub fn generation(v: &Value) -> i64 {
    v["metadata"]["generation"].as_i64().unwrap_or(0)
}

pub fn annotation<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v["metadata"]["annotations"][key].as_str()
}

pub fn label<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v["metadata"]["labels"][key].as_str()
}

/// A non-negative integer field, or `default`.
pub fn count(v: &Value, default: u32) -> u32 {
    v.as_u64()
        .map_or(default, |n| u32::try_from(n).unwrap_or(u32::MAX))
}

pub fn is_deleting(v: &Value) -> bool {
    v["metadata"]["deletionTimestamp"].is_string()
}

/// The uids named in `ownerReferences`.
pub fn owner_uids(v: &Value) -> impl Iterator<Item = &str> {
    v["metadata"]["ownerReferences"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["uid"].as_str())
}

/// The owner reference with `controller: true`: (kind, name, uid).
pub fn controller_of(v: &Value) -> Option<(&str, &str, &str)> {
    v["metadata"]["ownerReferences"]
        .as_array()?
        .iter()
        .find(|o| o["controller"] == true)
        .map(|o| {
            (
                o["kind"].as_str().unwrap_or_default(),
                o["name"].as_str().unwrap_or_default(),
                o["uid"].as_str().unwrap_or_default(),
            )
        })
}

/// An owner reference making `owner` the controller of a new object.
pub fn controller_ref(owner: &Value, api_version: &str, kind: &str) -> Value {
    json!([{
        "apiVersion": api_version,
        "kind": kind,
        "name": name(owner),
        "uid": uid(owner),
        "controller": true,
        "blockOwnerDeletion": true,
    }])
}

/// Store keys, as the HTTP layer writes them.
pub fn key(group: &str, plural: &str, ns: &str, name: &str) -> String {
    let group = if group.is_empty() { "core" } else { group };
    if ns.is_empty() {
        format!("/{group}/{plural}/{name}")
    } else {
        format!("/{group}/{plural}/{ns}/{name}")
    }
}

pub fn prefix(group: &str, plural: &str, ns: &str) -> String {
    key(group, plural, ns, "")
}

/// The condition of `type` in `status.conditions`.
pub fn condition<'a>(status: &'a Value, kind: &str) -> Option<&'a Value> {
    status["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == kind)
}

/// Kubernetes' condition setter: nothing changes when status and reason are the same; the
/// transition time is kept when only the reason changes.
pub fn set_condition(status: &mut Value, mut cond: Value) {
    let kind = cond["type"].clone();
    if let Some(current) = condition(status, kind.as_str().unwrap_or_default()) {
        if current["status"] == cond["status"] && current["reason"] == cond["reason"] {
            return;
        }
        if current["status"] == cond["status"] {
            cond["lastTransitionTime"] = current["lastTransitionTime"].clone();
        }
    }
    remove_condition(status, kind.as_str().unwrap_or_default());
    if !status["conditions"].is_array() {
        status["conditions"] = json!([]);
    }
    status["conditions"]
        .as_array_mut()
        .expect("just made an array")
        .push(cond);
}

pub fn remove_condition(status: &mut Value, kind: &str) {
    if let Some(list) = status["conditions"].as_array_mut() {
        list.retain(|c| c["type"] != kind);
    }
}

/// A deployment-style condition (with lastUpdateTime) stamped now.
/// A `Normal` core/v1 Event about `involved` (of `api_version`/`kind`) from `component`, as
/// `kubectl describe` lists it under the object.
pub fn event(
    clock: &Clock,
    involved: &Value,
    api_version: &str,
    kind: &str,
    component: &str,
    reason: &str,
    message: &str,
) -> Action {
    let now = clock.timestamp();
    let ns = namespace(involved);
    Action::Create {
        collection: prefix("", "events", ns),
        value: json!({
            "apiVersion": "v1",
            "kind": "Event",
            // `<object>.<nanoseconds in hex>` as client-go names events: they list in the
            // order they happened.
            "metadata": {"name": format!("{}.{:016x}", name(involved), event_nanos()), "namespace": ns},
            "involvedObject": {
                "apiVersion": api_version,
                "kind": kind,
                "name": name(involved),
                "namespace": ns,
                "uid": uid(involved),
                "resourceVersion": involved["metadata"]["resourceVersion"],
            },
            "reason": reason,
            "message": message,
            "type": "Normal",
            "source": {"component": component},
            "reportingComponent": component,
            "reportingInstance": "",
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
        }),
    }
}

/// Wall-clock nanoseconds, strictly increasing across calls, so event names never collide.
fn event_nanos() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    let previous = LAST
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
            Some(now.max(last + 1))
        })
        .unwrap_or(0);
    now.max(previous + 1)
}

pub fn new_condition(
    clock: &Clock,
    kind: &str,
    status: &str,
    reason: &str,
    message: &str,
) -> Value {
    let now = clock.timestamp();
    json!({
        "type": kind,
        "status": status,
        "lastUpdateTime": now,
        "lastTransitionTime": now,
        "reason": reason,
        "message": message,
    })
}

/// A Service-style selector (a plain map); empty matches nothing.
pub fn map_selector_matches(selector: &Map<String, Value>, labels: &Value) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels[k] == *v)
}

/// Pod condition Ready = True.
pub fn pod_ready(pod: &Value) -> bool {
    condition(&pod["status"], "Ready").is_some_and(|c| c["status"] == "True")
}

pub fn pod_phase(pod: &Value) -> &str {
    pod["status"]["phase"].as_str().unwrap_or("Pending")
}

/// Ready for at least `min_ready_seconds` of simulated time (`IsPodAvailable`).
pub fn pod_available(pod: &Value, min_ready_seconds: u32, clock: &Clock) -> bool {
    if !pod_ready(pod) {
        return false;
    }
    if min_ready_seconds == 0 {
        return true;
    }
    let since = condition(&pod["status"], "Ready")
        .and_then(|c| c["lastTransitionTime"].as_str())
        .and_then(Clock::parse);
    since.is_some_and(|t| clock.sim_elapsed_since(t) >= f64::from(min_ready_seconds))
}

/// When a ready pod will count as available, in real seconds from now (for a requeue).
pub fn pod_available_in(pod: &Value, min_ready_seconds: u32, clock: &Clock) -> Option<f64> {
    if !pod_ready(pod) || min_ready_seconds == 0 {
        return None;
    }
    let since = condition(&pod["status"], "Ready")
        .and_then(|c| c["lastTransitionTime"].as_str())
        .and_then(Clock::parse)?;
    let left = f64::from(min_ready_seconds) - clock.sim_elapsed_since(since);
    (left > 0.0).then(|| clock.real(left))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_condition_keeps_its_transition_time_when_only_the_reason_changes() {
        let mut status = json!({"conditions": [{"type": "Progressing", "status": "True", "reason": "A", "lastTransitionTime": "t0"}]});
        set_condition(
            &mut status,
            json!({"type": "Progressing", "status": "True", "reason": "B", "lastTransitionTime": "t1"}),
        );
        assert_eq!(status["conditions"][0]["reason"], "B");
        assert_eq!(status["conditions"][0]["lastTransitionTime"], "t0");
        set_condition(
            &mut status,
            json!({"type": "Progressing", "status": "False", "reason": "C", "lastTransitionTime": "t2"}),
        );
        assert_eq!(status["conditions"][0]["lastTransitionTime"], "t2");
    }
}
