//! Endpoints for Services with a selector: the matching pods with an IP, ready or not, as an
//! `EndpointSlice` (what kube-proxy and `kubectl describe` read today) and the legacy
//! `Endpoints` object of the same name as the Service.

use serde_json::{Value, json};

use super::action::{Action, Outcome};
use super::cache::Cache;
use super::object::{
    controller_ref, key, label, map_selector_matches, name, pod_phase, pod_ready, prefix,
};

const SERVICE_NAME: &str = "kubernetes.io/service-name";
const MANAGED_BY: &str = "endpointslice.kubernetes.io/managed-by";
const MANAGER: &str = "endpointslice-controller.k8s.io";

pub fn reconcile(cache: &Cache, key_: &str) -> Outcome {
    let mut out = Outcome::default();
    let Some((ns, svc_name)) = split(key_) else {
        return out;
    };
    let slices: Vec<(String, Value)> = cache
        .list(&prefix("discovery.k8s.io", "endpointslices", ns))
        .filter(|(_, s)| {
            label(s, SERVICE_NAME) == Some(svc_name) && label(s, MANAGED_BY) == Some(MANAGER)
        })
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let endpoints_key = key("", "endpoints", ns, svc_name);
    let selector = cache
        .get(key_)
        .filter(|s| s["spec"]["type"] != "ExternalName")
        .and_then(|s| {
            s["spec"]["selector"]
                .as_object()
                .filter(|m| !m.is_empty())
                .map(|m| (s, m))
        });
    let Some((svc, selector)) = selector else {
        // Gone, or endpoints managed by hand: remove only what this controller made.
        for (k, _) in slices {
            out.actions.push(Action::Delete { key: k });
        }
        if cache.get(key_).is_none()
            && cache
                .get(&endpoints_key)
                .is_some_and(|e| label(e, MANAGED_BY).is_none())
        {
            out.actions.push(Action::Delete { key: endpoints_key });
        }
        return out;
    };
    let pod_prefix = prefix("", "pods", ns);
    let mut pods: Vec<&Value> = cache
        .list(&pod_prefix)
        .map(|(_, p)| p)
        .filter(|p| map_selector_matches(selector, &p["metadata"]["labels"]))
        .filter(|p| {
            p["status"]["podIP"].is_string() && !matches!(pod_phase(p), "Succeeded" | "Failed")
        })
        .collect();
    pods.sort_by_key(|p| name(p));
    let ports = |pod: Option<&Value>| -> Vec<Value> {
        svc["spec"]["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| {
                let port = match &p["targetPort"] {
                    Value::Number(n) => n.as_u64(),
                    Value::String(s) => named_port(pod?, s),
                    _ => p["port"].as_u64(),
                }?;
                let mut out =
                    json!({"port": port, "protocol": p["protocol"].as_str().unwrap_or("TCP")});
                if let Some(n) = p["name"].as_str() {
                    out["name"] = json!(n);
                }
                Some(out)
            })
            .collect()
    };
    let target = |p: &Value| json!({"kind": "Pod", "name": name(p), "namespace": ns, "uid": p["metadata"]["uid"]});
    let endpoints: Vec<Value> = pods
        .iter()
        .map(|p| {
            let ready = pod_ready(p);
            let mut e = json!({
                "addresses": [p["status"]["podIP"]],
                "conditions": {"ready": ready, "serving": ready, "terminating": false},
                "targetRef": target(p),
            });
            if let Some(n) = p["spec"]["nodeName"].as_str() {
                e["nodeName"] = json!(n);
            }
            e
        })
        .collect();
    let slice_name = format!("{svc_name}-{}", short(svc_name));
    let mut slice = json!({
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": slice_name,
            "namespace": ns,
            "labels": {SERVICE_NAME: svc_name, MANAGED_BY: MANAGER},
            "ownerReferences": controller_ref(svc, "v1", "Service"),
        },
        "addressType": "IPv4",
        "endpoints": endpoints,
        "ports": ports(pods.first().copied()),
    });
    write(
        cache,
        &key("discovery.k8s.io", "endpointslices", ns, &slice_name),
        &mut slice,
        &mut out,
        &prefix("discovery.k8s.io", "endpointslices", ns),
    );
    for (k, _) in slices
        .iter()
        .filter(|(k, _)| !k.ends_with(&format!("/{slice_name}")))
    {
        out.actions.push(Action::Delete { key: k.clone() });
    }
    let address = |p: &&Value| {
        let mut a = json!({"ip": p["status"]["podIP"], "targetRef": target(p)});
        if let Some(n) = p["spec"]["nodeName"].as_str() {
            a["nodeName"] = json!(n);
        }
        a
    };
    let ready: Vec<Value> = pods.iter().filter(|p| pod_ready(p)).map(address).collect();
    let not_ready: Vec<Value> = pods.iter().filter(|p| !pod_ready(p)).map(address).collect();
    let mut subset = json!({"ports": ports(pods.first().copied())});
    if !ready.is_empty() {
        subset["addresses"] = json!(ready);
    }
    if !not_ready.is_empty() {
        subset["notReadyAddresses"] = json!(not_ready);
    }
    let mut legacy = json!({
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": svc_name, "namespace": ns},
    });
    if !pods.is_empty() {
        legacy["subsets"] = json!([subset]);
    }
    write(
        cache,
        &endpoints_key,
        &mut legacy,
        &mut out,
        &prefix("", "endpoints", ns),
    );
    out
}

/// Creates `desired` or updates the cached object to it, keeping server-owned metadata.
fn write(cache: &Cache, k: &str, desired: &mut Value, out: &mut Outcome, collection: &str) {
    match cache.get(k) {
        None => out.actions.push(Action::Create {
            collection: collection.to_string(),
            value: desired.clone(),
        }),
        Some(current) => {
            let mut next = current.clone();
            for field in ["endpoints", "ports", "addressType", "subsets"] {
                match desired.get(field) {
                    Some(v) => next[field] = v.clone(),
                    None => {
                        if let Some(o) = next.as_object_mut() {
                            o.remove(field);
                        }
                    }
                }
            }
            for field in ["labels", "ownerReferences"] {
                if let Some(v) = desired["metadata"].get(field) {
                    next["metadata"][field] = v.clone();
                }
            }
            out.update_if_changed(k, current, next);
        }
    }
}

fn named_port(pod: &Value, port_name: &str) -> Option<u64> {
    pod["spec"]["containers"]
        .as_array()?
        .iter()
        .flat_map(|c| c["ports"].as_array().into_iter().flatten())
        .find(|p| p["name"] == port_name)
        .and_then(|p| p["containerPort"].as_u64())
}

fn split(k: &str) -> Option<(&str, &str)> {
    let rest = k.strip_prefix("/core/services/")?;
    rest.split_once('/')
}

fn short(s: &str) -> String {
    use crate::rollout::{FNV_OFFSET, SAFE_ALPHABET, fnv1a};
    let mut h = fnv1a(FNV_OFFSET, s.as_bytes());
    (0..5)
        .map(|_| {
            let c = SAFE_ALPHABET[(h % 27) as usize] as char;
            h /= 27;
            c
        })
        .collect()
}
