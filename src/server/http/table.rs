//! `Table` responses (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`): the columns a
//! real cluster shows in `kubectl get` for the common kinds, `additionalPrinterColumns` for
//! custom resources, NAME and AGE otherwise.

use serde_json::{Value, json};

use super::super::catalog::Resource;
use super::meta::age;

pub fn wants_table(accept: &str) -> bool {
    accept
        .split(',')
        .any(|part| part.contains("as=Table") && part.contains("g=meta.k8s.io"))
}

type Column = (&'static str, &'static str, i64);

fn columns(r: &Resource) -> Vec<Column> {
    let mut cols: Vec<Column> = match (r.group.as_str(), r.kind.as_str()) {
        ("", "Pod") => vec![
            ("Ready", "string", 0),
            ("Status", "string", 0),
            ("Restarts", "string", 0),
            ("Age", "string", 0),
            ("IP", "string", 1),
            ("Node", "string", 1),
            ("Nominated Node", "string", 1),
            ("Readiness Gates", "string", 1),
        ],
        ("", "Endpoints") => vec![("Endpoints", "string", 0), ("Age", "string", 0)],
        ("", "Event") => vec![
            ("Last Seen", "string", 0),
            ("Type", "string", 0),
            ("Reason", "string", 0),
            ("Object", "string", 0),
            ("Message", "string", 0),
            ("Source", "string", 1),
            ("First Seen", "string", 1),
            ("Count", "integer", 1),
        ],
        ("discovery.k8s.io", "EndpointSlice") => vec![
            ("AddressType", "string", 0),
            ("Ports", "string", 0),
            ("Endpoints", "string", 0),
            ("Age", "string", 0),
        ],
        ("apps", "Deployment") => vec![
            ("Ready", "string", 0),
            ("Up-to-date", "integer", 0),
            ("Available", "integer", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1),
        ],
        ("apps", "ReplicaSet") => vec![
            ("Desired", "integer", 0),
            ("Current", "integer", 0),
            ("Ready", "integer", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
            ("Selector", "string", 1),
        ],
        ("apps", "StatefulSet") => vec![
            ("Ready", "string", 0),
            ("Age", "string", 0),
            ("Containers", "string", 1),
            ("Images", "string", 1),
        ],
        ("apps", "DaemonSet") => vec![
            ("Desired", "integer", 0),
            ("Current", "integer", 0),
            ("Ready", "integer", 0),
            ("Up-to-date", "integer", 0),
            ("Available", "integer", 0),
            ("Node Selector", "string", 0),
            ("Age", "string", 0),
        ],
        ("", "Service") => vec![
            ("Type", "string", 0),
            ("Cluster-IP", "string", 0),
            ("External-IP", "string", 0),
            ("Port(s)", "string", 0),
            ("Age", "string", 0),
            ("Selector", "string", 1),
        ],
        ("", "ConfigMap") => vec![("Data", "integer", 0), ("Age", "string", 0)],
        ("", "Secret") => vec![
            ("Type", "string", 0),
            ("Data", "integer", 0),
            ("Age", "string", 0),
        ],
        ("", "Namespace") => vec![("Status", "string", 0), ("Age", "string", 0)],
        ("", "Node") => vec![
            ("Status", "string", 0),
            ("Roles", "string", 0),
            ("Age", "string", 0),
            ("Version", "string", 0),
        ],
        ("batch", "Job") => vec![
            ("Status", "string", 0),
            ("Completions", "string", 0),
            ("Age", "string", 0),
        ],
        ("networking.k8s.io", "Ingress") => vec![
            ("Class", "string", 0),
            ("Hosts", "string", 0),
            ("Address", "string", 0),
            ("Ports", "string", 0),
            ("Age", "string", 0),
        ],
        ("", "PersistentVolumeClaim") => vec![
            ("Status", "string", 0),
            ("Volume", "string", 0),
            ("Capacity", "string", 0),
            ("Access Modes", "string", 0),
            ("StorageClass", "string", 0),
            ("Age", "string", 0),
        ],
        ("apiextensions.k8s.io", "CustomResourceDefinition") => vec![("Created At", "date", 0)],
        _ => vec![("Age", "string", 0)],
    };
    if r.custom && !r.printer_columns.is_empty() {
        cols = Vec::new();
    }
    cols
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// kubectl's list cell: the first three, then `+ N more...`; `<none>` when empty.
fn abbreviated(items: &[String]) -> String {
    match items.len() {
        0 => "<none>".into(),
        1..=3 => items.join(","),
        n => format!("{} + {} more...", items[..3].join(","), n - 3),
    }
}

fn n(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

fn containers(o: &Value) -> (String, String) {
    let list = o["spec"]["template"]["spec"]["containers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let names: Vec<String> = list.iter().map(|c| s(&c["name"])).collect();
    let images: Vec<String> = list.iter().map(|c| s(&c["image"])).collect();
    (names.join(","), images.join(","))
}

fn selector(o: &Value) -> String {
    let labels = o["spec"]["selector"]["matchLabels"]
        .as_object()
        .or_else(|| o["spec"]["selector"].as_object());
    labels
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| format!("{k}={v}")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "<none>".into())
}

/// Evaluates the simple JSONPaths CRDs use (`.spec.schedule`, `.status.conditions[0].type`).
fn json_path<'a>(o: &'a Value, path: &str) -> &'a Value {
    let mut v = o;
    for part in path.trim_start_matches('.').split('.') {
        let (field, index) = match part.split_once('[') {
            Some((f, rest)) => (f, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        v = &v[field];
        if let Some(i) = index {
            v = &v[i];
        }
    }
    v
}

fn cells(r: &Resource, o: &Value, now: u64) -> Vec<Value> {
    let created = o["metadata"]["creationTimestamp"].as_str();
    let a = || json!(age(created, now));
    let st = &o["status"];
    let mut row = vec![json!(s(&o["metadata"]["name"]))];
    if r.custom && !r.printer_columns.is_empty() {
        row.extend(
            r.printer_columns
                .iter()
                .map(|(_, _, path, _)| json!(s(json_path(o, path)))),
        );
        return row;
    }
    let rest: Vec<Value> = match (r.group.as_str(), r.kind.as_str()) {
        ("", "Pod") => {
            let statuses = st["containerStatuses"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let total = o["spec"]["containers"].as_array().map_or(0, Vec::len);
            let ready = statuses.iter().filter(|c| c["ready"] == true).count();
            let restarts: i64 = statuses.iter().map(|c| n(&c["restartCount"])).sum();
            let phase = if o["metadata"]["deletionTimestamp"].is_string() {
                "Terminating".into()
            } else {
                s(&st["phase"])
            };
            // kubectl's printer: a container's waiting or terminated reason wins over the phase.
            let container_reason = statuses.iter().rev().find_map(|c| {
                let state = &c["state"];
                state["waiting"]["reason"]
                    .as_str()
                    .or_else(|| state["terminated"]["reason"].as_str())
                    .map(str::to_string)
            });
            let status = if phase == "Terminating" {
                phase
            } else {
                container_reason.unwrap_or(if phase.is_empty() {
                    "Pending".into()
                } else {
                    phase
                })
            };
            vec![
                json!(format!("{ready}/{total}")),
                json!(status),
                json!(restarts.to_string()),
                a(),
                json!(st["podIP"].as_str().unwrap_or("<none>")),
                json!(o["spec"]["nodeName"].as_str().unwrap_or("<none>")),
                json!("<none>"),
                json!("<none>"),
            ]
        }
        ("apps", "Deployment") => {
            let (c, i) = containers(o);
            let want = o["spec"]["replicas"].as_i64().unwrap_or(1);
            vec![
                json!(format!("{}/{want}", n(&st["readyReplicas"]))),
                json!(n(&st["updatedReplicas"])),
                json!(n(&st["availableReplicas"])),
                a(),
                json!(c),
                json!(i),
                json!(selector(o)),
            ]
        }
        ("apps", "ReplicaSet") => {
            let (c, i) = containers(o);
            vec![
                json!(o["spec"]["replicas"].as_i64().unwrap_or(1)),
                json!(n(&st["replicas"])),
                json!(n(&st["readyReplicas"])),
                a(),
                json!(c),
                json!(i),
                json!(selector(o)),
            ]
        }
        ("apps", "StatefulSet") => {
            let (c, i) = containers(o);
            vec![
                json!(format!(
                    "{}/{}",
                    n(&st["readyReplicas"]),
                    o["spec"]["replicas"].as_i64().unwrap_or(1)
                )),
                a(),
                json!(c),
                json!(i),
            ]
        }
        ("apps", "DaemonSet") => {
            let sel = o["spec"]["template"]["spec"]["nodeSelector"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| format!("{k}={}", s(v)))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .filter(|x| !x.is_empty())
                .unwrap_or_else(|| "<none>".into());
            vec![
                json!(n(&st["desiredNumberScheduled"])),
                json!(n(&st["currentNumberScheduled"])),
                json!(n(&st["numberReady"])),
                json!(n(&st["updatedNumberScheduled"])),
                json!(n(&st["numberAvailable"])),
                json!(sel),
                a(),
            ]
        }
        ("", "Service") => {
            let ports: Vec<String> = o["spec"]["ports"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|p| {
                    let node = p["nodePort"]
                        .as_i64()
                        .map(|np| format!(":{np}"))
                        .unwrap_or_default();
                    format!(
                        "{}{node}/{}",
                        p["port"],
                        p["protocol"].as_str().unwrap_or("TCP")
                    )
                })
                .collect();
            let external = o["spec"]["externalIPs"]
                .as_array()
                .map(|a| a.iter().map(s).collect::<Vec<_>>().join(","))
                .filter(|x| !x.is_empty())
                .unwrap_or_else(|| {
                    if o["spec"]["type"] == "LoadBalancer" {
                        "<pending>".into()
                    } else {
                        "<none>".into()
                    }
                });
            vec![
                json!(o["spec"]["type"].as_str().unwrap_or("ClusterIP")),
                json!(o["spec"]["clusterIP"].as_str().unwrap_or("<none>")),
                json!(external),
                json!(if ports.is_empty() {
                    "<none>".into()
                } else {
                    ports.join(",")
                }),
                a(),
                json!(selector(o)),
            ]
        }
        ("", "Event") => {
            let involved = &o["involvedObject"];
            let last = o["lastTimestamp"]
                .as_str()
                .or_else(|| o["eventTime"].as_str())
                .or(created);
            vec![
                json!(age(last, now)),
                json!(s(&o["type"])),
                json!(s(&o["reason"])),
                json!(format!(
                    "{}/{}",
                    s(&involved["kind"]).to_lowercase(),
                    s(&involved["name"])
                )),
                json!(s(&o["message"])),
                json!(s(&o["source"]["component"])),
                json!(age(o["firstTimestamp"].as_str().or(created), now)),
                json!(o["count"].as_i64().unwrap_or(1)),
            ]
        }
        ("", "Endpoints") => {
            let mut list = Vec::new();
            for subset in o["subsets"].as_array().into_iter().flatten() {
                for addr in subset["addresses"].as_array().into_iter().flatten() {
                    let ip = s(&addr["ip"]);
                    match subset["ports"].as_array().filter(|p| !p.is_empty()) {
                        Some(ports) => {
                            for p in ports {
                                list.push(format!("{ip}:{}", n(&p["port"])));
                            }
                        }
                        None => list.push(ip),
                    }
                }
            }
            vec![json!(abbreviated(&list)), a()]
        }
        ("discovery.k8s.io", "EndpointSlice") => {
            let ports: Vec<String> = o["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| n(&p["port"]).to_string())
                .collect();
            let addresses: Vec<String> = o["endpoints"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|e| e["addresses"].as_array().into_iter().flatten().map(s))
                .collect();
            vec![
                json!(s(&o["addressType"])),
                json!(if ports.is_empty() {
                    "<unset>".to_string()
                } else {
                    ports.join(",")
                }),
                json!(abbreviated(&addresses)),
                a(),
            ]
        }
        ("", "ConfigMap") => {
            let count = o["data"].as_object().map_or(0, serde_json::Map::len)
                + o["binaryData"].as_object().map_or(0, serde_json::Map::len);
            vec![json!(count), a()]
        }
        ("", "Secret") => {
            let count = o["data"].as_object().map_or(0, serde_json::Map::len);
            vec![
                json!(o["type"].as_str().unwrap_or("Opaque")),
                json!(count),
                a(),
            ]
        }
        ("", "Namespace") => vec![json!(st["phase"].as_str().unwrap_or("Active")), a()],
        ("", "Node") => {
            let ready = st["conditions"]
                .as_array()
                .and_then(|c| c.iter().find(|c| c["type"] == "Ready"))
                .map_or("Unknown", |c| {
                    if c["status"] == "True" {
                        "Ready"
                    } else {
                        "NotReady"
                    }
                });
            vec![
                json!(ready),
                json!("<none>"),
                a(),
                json!(s(&st["nodeInfo"]["kubeletVersion"])),
            ]
        }
        ("batch", "Job") => {
            let done = n(&st["succeeded"]);
            let want = o["spec"]["completions"].as_i64().unwrap_or(1);
            let status = if done >= want {
                "Complete"
            } else if n(&st["failed"]) > 0 {
                "Failed"
            } else {
                "Running"
            };
            vec![json!(status), json!(format!("{done}/{want}")), a()]
        }
        ("networking.k8s.io", "Ingress") => {
            let hosts: Vec<String> = o["spec"]["rules"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .filter_map(|r| r["host"].as_str().map(str::to_string))
                .collect();
            let ports = if o["spec"]["tls"].is_array() {
                "80, 443"
            } else {
                "80"
            };
            vec![
                json!(o["spec"]["ingressClassName"].as_str().unwrap_or("<none>")),
                json!(if hosts.is_empty() {
                    "*".into()
                } else {
                    hosts.join(",")
                }),
                json!(""),
                json!(ports),
                a(),
            ]
        }
        ("", "PersistentVolumeClaim") => {
            let modes = o["spec"]["accessModes"]
                .as_array()
                .map(|m| {
                    m.iter()
                        .map(|x| match x.as_str() {
                            Some("ReadWriteOnce") => "RWO",
                            Some("ReadOnlyMany") => "ROX",
                            Some("ReadWriteMany") => "RWX",
                            Some("ReadWriteOncePod") => "RWOP",
                            _ => "?",
                        })
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default();
            vec![
                json!(st["phase"].as_str().unwrap_or("Pending")),
                json!(s(&o["spec"]["volumeName"])),
                json!(s(&st["capacity"]["storage"])),
                json!(modes),
                json!(o["spec"]["storageClassName"].as_str().unwrap_or("<unset>")),
                a(),
            ]
        }
        ("apiextensions.k8s.io", "CustomResourceDefinition") => {
            vec![json!(created.unwrap_or_default())]
        }
        _ => vec![a()],
    };
    row.extend(rest);
    row
}

/// A Table of `objects`; `include_object` is `Object`, `None` or (default) `Metadata`.
pub fn table(
    r: &Resource,
    objects: &[Value],
    revision: Option<i64>,
    include_object: Option<&str>,
    now: u64,
) -> Value {
    let mut defs = vec![
        // Events are listed by what happened, not by their generated names: the name only in
        // wide output, as the API server prints them.
        json!({"name": "Name", "type": "string", "format": "name", "description": "",
            "priority": i32::from(r.kind == "Event" && r.group.is_empty())}),
    ];
    if r.custom && !r.printer_columns.is_empty() {
        for (name, ty, _, priority) in &r.printer_columns {
            defs.push(json!({"name": name, "type": ty, "format": "", "description": "", "priority": priority}));
        }
    } else {
        for (name, ty, priority) in columns(r) {
            defs.push(json!({"name": name, "type": ty, "format": "", "description": "", "priority": priority}));
        }
    }
    let rows: Vec<Value> = objects
        .iter()
        .map(|o| {
            let object = match include_object {
                Some("None") => Value::Null,
                Some("Object") => o.clone(),
                _ => json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"]}),
            };
            let mut row = json!({"cells": cells(r, o, now)});
            if !object.is_null() {
                row["object"] = object;
            }
            row
        })
        .collect();
    let mut meta = json!({});
    if let Some(rv) = revision {
        meta["resourceVersion"] = json!(rv.to_string());
    }
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta, "columnDefinitions": defs, "rows": rows})
}

#[cfg(test)]
mod tests {
    use super::super::super::catalog::Catalog;
    use super::*;

    #[test]
    fn deployment_columns_like_kubectl() {
        let r = Catalog::builtin()
            .find("apps", "v1", "deployments")
            .unwrap();
        let d = json!({"metadata": {"name": "web", "creationTimestamp": "2026-11-26T12:00:00Z"},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": {"spec": {"containers": [{"name": "app", "image": "nginx:1"}]}}},
            "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2}});
        let t = table(&r, &[d], Some(7), None, 1_795_694_460);
        let names: Vec<&str> = t["columnDefinitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "Name",
                "Ready",
                "Up-to-date",
                "Available",
                "Age",
                "Containers",
                "Images",
                "Selector"
            ]
        );
        assert_eq!(
            t["rows"][0]["cells"],
            json!(["web", "2/3", 3, 2, "60s", "app", "nginx:1", "app=web"])
        );
        assert_eq!(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
        assert_eq!(t["metadata"]["resourceVersion"], "7");
        assert!(wants_table(
            "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
        ));
        assert!(!wants_table("application/json"));
    }
}
