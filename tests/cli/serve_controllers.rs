//! The simulated controllers of `kplan serve`, seen through the real kubectl: rollouts that
//! finish, rollouts that break and hit their progress deadline, undo with Kubernetes'
//! revision numbering, a server killed mid-rollout that resumes, StatefulSets, DaemonSets,
//! Jobs, endpoints and cascading deletion.

use std::time::{Duration, Instant};

use super::serve::{Server, have_kubectl, versioned};

fn deployment(image: &str, replicas: u32, surge: &str, unavailable: &str, deadline: u32) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  labels: {{app: web}}
spec:
  replicas: {replicas}
  progressDeadlineSeconds: {deadline}
  selector:
    matchLabels: {{app: web}}
  strategy:
    rollingUpdate: {{maxSurge: {surge}, maxUnavailable: {unavailable}}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
      - name: web
        image: {image}
        ports: [{{containerPort: 5000, name: http}}]
"
    )
}

/// A ConfigMap `owned` by the Deployment `web` with this uid, with these finalizers (YAML
/// flow list, or empty for none).
fn owned_by_web(uid: &str, finalizers: &str) -> String {
    let finalizers = if finalizers.is_empty() {
        String::new()
    } else {
        format!("\n  finalizers: {finalizers}")
    };
    format!(
        "apiVersion: v1
kind: ConfigMap
metadata:
  name: owned
  namespace: default{finalizers}
  ownerReferences: [{{apiVersion: apps/v1, kind: Deployment, name: web, uid: {uid}}}]
data: {{a: b}}
"
    )
}

fn apply(s: &Server, text: &str) -> String {
    let file = s.dir.path().join(format!("m-{}.yaml", text.len()));
    std::fs::write(&file, text).expect("manifest written");
    s.ok(&["apply", "-f", file.to_str().expect("utf-8 path")])
}

/// Polls `f` until it is true or `secs` pass.
fn eventually(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("not within {secs} s: {what}");
}

fn rollout_status(s: &Server, target: &str, timeout: &str) -> (i32, String, String) {
    s.kubectl(
        "kubectl",
        &["rollout", "status", target, &format!("--timeout={timeout}")],
    )
}

fn image(s: &Server) -> String {
    s.ok(&[
        "get",
        "deploy",
        "web",
        "-o",
        "jsonpath={.spec.template.spec.containers[0].image}",
    ])
}

fn history(s: &Server) -> Vec<String> {
    s.ok(&["rollout", "history", "deploy/web"])
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.chars().all(|c| c.is_ascii_digit()))
        .map(str::to_string)
        .collect()
}

#[test]
fn a_good_rollout_completes_and_shows_its_replicasets() {
    if !have_kubectl() {
        return;
    }
    let s = Server::start(&["--pod-ready-delay", "0"]);
    apply(&s, &deployment("web:1.0", 3, "1", "0", 600));
    let (code, out, err) = rollout_status(&s, "deploy/web", "30s");
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("successfully rolled out"), "{out}");
    let pods = s.ok(&["get", "pods", "-l", "app=web"]);
    assert_eq!(pods.matches("1/1     Running").count(), 3, "{pods}");
    s.ok(&["set", "image", "deploy/web", "web=web:2.0"]);
    let (code, out, err) = rollout_status(&s, "deploy/web", "30s");
    assert_eq!(code, 0, "{out}{err}");
    let sets = s.ok(&["get", "rs", "-l", "app=web", "-o", "custom-columns=NAME:.metadata.name,DESIRED:.spec.replicas,READY:.status.readyReplicas,IMAGE:.spec.template.spec.containers[0].image", "--no-headers"]);
    let mut rows: Vec<Vec<&str>> = sets
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    rows.sort_by_key(|r| r[3].to_string());
    assert_eq!(rows.len(), 2, "{sets}");
    assert_eq!(&rows[0][1..], ["0", "<none>", "web:1.0"]);
    assert_eq!(&rows[1][1..], ["3", "3", "web:2.0"]);
    assert!(
        rows[1][0].starts_with("web-"),
        "named <deployment>-<pod-template-hash>"
    );
    assert_eq!(history(&s), ["1", "2"]);
    let ready = s.ok(&[
        "get",
        "deploy",
        "web",
        "-o",
        "jsonpath={.status.readyReplicas}/{.status.updatedReplicas}/{.status.availableReplicas}",
    ]);
    assert_eq!(ready, "3/3/3");
    // The controller's events, as `kubectl describe` lists them under the Deployment.
    let described = s.ok(&["describe", "deploy", "web"]);
    let (old_rs, new_rs) = (rows[0][0], rows[1][0]);
    for line in [
        format!("Scaled up replica set {old_rs} to 3"),
        format!("Scaled up replica set {new_rs} to 1"),
        format!("Scaled down replica set {old_rs} to 2 from 3"),
        format!("Scaled up replica set {new_rs} to 3 from 2"),
        format!("Scaled down replica set {old_rs} to 0 from 1"),
    ] {
        assert!(described.contains(&line), "{line} in:\n{described}");
    }
    assert!(described.contains("ScalingReplicaSet"), "{described}");
    assert!(described.contains("deployment-controller"), "{described}");
    let events = s.ok(&["get", "events"]);
    let header: Vec<&str> = events
        .lines()
        .next()
        .unwrap_or_default()
        .split("  ")
        .filter(|c| !c.is_empty())
        .map(str::trim)
        .collect();
    assert_eq!(
        header,
        ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"],
        "{events}"
    );
    assert!(
        events.contains("ScalingReplicaSet   deployment/web"),
        "{events}"
    );
}

#[test]
fn a_broken_rollout_hits_its_deadline_and_undo_restores_the_previous_release() {
    if !have_kubectl() {
        return;
    }
    let s = Server::start(&["--pod-ready-delay", "0", "--fail-image", "*:broken"]);
    apply(&s, &deployment("web:1.0", 3, "1", "0", 2));
    assert_eq!(rollout_status(&s, "deploy/web", "30s").0, 0);
    s.ok(&["set", "image", "deploy/web", "web=web:broken"]);
    let (code, out, err) = rollout_status(&s, "deploy/web", "30s");
    assert_ne!(code, 0, "a broken rollout fails: {out}");
    assert!(err.contains("exceeded its progress deadline"), "{err}");
    let pods = s.ok(&["get", "pods", "-l", "app=web"]);
    assert!(pods.contains("CrashLoopBackOff"), "{pods}");
    assert_eq!(
        pods.matches("1/1     Running").count(),
        3,
        "the old release keeps serving:\n{pods}"
    );
    let out = s.ok(&["rollout", "undo", "deploy/web"]);
    assert!(out.contains("rolled back"), "{out}");
    let (code, out, err) = rollout_status(&s, "deploy/web", "30s");
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(image(&s), "web:1.0");
    // Revision 1 came back as revision 3, as Kubernetes numbers it.
    assert_eq!(history(&s), ["2", "3"]);
    let out = s.ok(&["rollout", "undo", "deploy/web", "--to-revision=2"]);
    assert!(out.contains("rolled back"), "{out}");
    assert_eq!(image(&s), "web:broken");
    assert_eq!(history(&s), ["3", "4"]);
}

#[test]
fn a_server_killed_mid_rollout_resumes_it() {
    if !have_kubectl() {
        return;
    }
    let mut s = Server::start(&["--pod-ready-delay", "1s"]);
    apply(&s, &deployment("web:1.0", 4, "1", "0", 600));
    assert_eq!(rollout_status(&s, "deploy/web", "60s").0, 0);
    s.ok(&["set", "image", "deploy/web", "web=web:2.0"]);
    eventually(20, "the rollout has started", || {
        s.ok(&["get", "rs", "-l", "app=web", "--no-headers"])
            .lines()
            .count()
            == 2
    });
    s.crash_and_restart();
    let (code, out, err) = rollout_status(&s, "deploy/web", "60s");
    assert_eq!(code, 0, "{out}{err}");
    let pods = s.ok(&[
        "get",
        "pods",
        "-l",
        "app=web",
        "-o",
        "jsonpath={range .items[*]}{.spec.containers[0].image}{\"\\n\"}{end}",
    ]);
    assert_eq!(
        pods.lines().filter(|l| *l == "web:2.0").count(),
        4,
        "{pods}"
    );
    assert_eq!(pods.lines().count(), 4, "{pods}");
    assert_eq!(
        s.ok(&["get", "rs", "-l", "app=web", "--no-headers"])
            .lines()
            .count(),
        2
    );
    assert_eq!(history(&s), ["1", "2"]);
}

#[test]
fn scale_pause_resume_and_restart_behave_like_a_cluster() {
    if !have_kubectl() {
        return;
    }
    let s = Server::start(&["--pod-ready-delay", "0"]);
    apply(&s, &deployment("web:1.0", 2, "25%", "25%", 600));
    assert_eq!(rollout_status(&s, "deploy/web", "30s").0, 0);
    s.ok(&["scale", "deploy/web", "--replicas=5"]);
    assert_eq!(rollout_status(&s, "deploy/web", "30s").0, 0);
    assert_eq!(
        s.ok(&["get", "pods", "-l", "app=web", "--no-headers"])
            .lines()
            .count(),
        5
    );
    assert_eq!(history(&s), ["1"], "scaling makes no revision");
    s.ok(&["rollout", "pause", "deploy/web"]);
    s.ok(&["set", "image", "deploy/web", "web=web:2.0"]);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        s.ok(&["get", "rs", "-l", "app=web", "--no-headers"])
            .lines()
            .count(),
        1,
        "paused"
    );
    s.ok(&["rollout", "resume", "deploy/web"]);
    assert_eq!(rollout_status(&s, "deploy/web", "30s").0, 0);
    let out = s.ok(&["rollout", "restart", "deploy/web"]);
    assert!(out.contains("restarted"), "{out}");
    assert_eq!(rollout_status(&s, "deploy/web", "30s").0, 0);
    assert_eq!(history(&s), ["1", "2", "3"]);
}

#[test]
fn statefulsets_daemonsets_and_jobs_roll_out_and_complete() {
    if !have_kubectl() {
        return;
    }
    let s = Server::start(&[
        "--pod-ready-delay",
        "0",
        "--job-duration",
        "0",
        "--nodes",
        "2",
    ]);
    apply(
        &s,
        "apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: default}
spec:
  replicas: 3
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: 'postgres:16'}]}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: default}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: 'agent:1'}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: pi, namespace: default}
spec:
  completions: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: pi, image: perl}]
",
    );
    let (code, out, err) = rollout_status(&s, "sts/db", "30s");
    assert_eq!(code, 0, "{out}{err}");
    // The API defaults `partition: 0`, so kubectl reports a partitioned roll out, as on a cluster.
    assert!(
        out.contains("roll out complete: 3 new pods have been updated"),
        "{out}"
    );
    let (code, out, err) = rollout_status(&s, "ds/agent", "30s");
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("successfully rolled out"), "{out}");
    let out = s.ok(&[
        "wait",
        "--for=condition=complete",
        "job/pi",
        "--timeout=30s",
    ]);
    assert!(out.contains("condition met"), "{out}");
    let pods = s.ok(&["get", "pods", "-o", "wide", "--no-headers"]);
    for name in ["db-0", "db-1", "db-2"] {
        assert!(pods.contains(name), "{pods}");
    }
    assert_eq!(
        pods.lines().filter(|l| l.starts_with("agent-")).count(),
        2,
        "one per node:\n{pods}"
    );
    assert_eq!(
        pods.lines().filter(|l| l.contains("Completed")).count(),
        2,
        "{pods}"
    );
    let claims = s.ok(&["get", "pvc", "--no-headers"]);
    assert_eq!(claims.matches("Bound").count(), 3, "{claims}");
    s.ok(&["set", "image", "sts/db", "db=postgres:17"]);
    assert_eq!(rollout_status(&s, "sts/db", "30s").0, 0);
    let revisions = s.ok(&["rollout", "history", "sts/db"]);
    assert!(
        revisions.contains("\n1 ") && revisions.contains("\n2 "),
        "{revisions}"
    );
}

#[test]
fn services_get_endpoints_for_ready_pods() {
    if !have_kubectl() {
        return;
    }
    let s = Server::start(&["--pod-ready-delay", "0"]);
    apply(&s, &deployment("web:1.0", 2, "25%", "25%", 600));
    apply(
        &s,
        "apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
",
    );
    assert_eq!(rollout_status(&s, "deploy/web", "30s").0, 0);
    eventually(10, "two endpoints", || {
        let ips = s.ok(&[
            "get",
            "endpointslices",
            "-l",
            "kubernetes.io/service-name=web",
            "-o",
            "jsonpath={.items[*].endpoints[*].addresses[0]}",
        ]);
        ips.split_whitespace()
            .filter(|ip| ip.starts_with("10.244."))
            .count()
            == 2
    });
    let port = s.ok(&[
        "get",
        "endpointslices",
        "-l",
        "kubernetes.io/service-name=web",
        "-o",
        "jsonpath={.items[0].ports[0].port}",
    ]);
    assert_eq!(
        port, "5000",
        "the named target port resolves to the container port"
    );
    let endpoints = s.ok(&["get", "endpoints", "web"]);
    assert!(endpoints.contains(":5000"), "{endpoints}");
}

#[test]
fn deleting_a_deployment_deletes_its_replicasets_and_pods() {
    if !have_kubectl() {
        return;
    }
    let s = Server::start(&["--pod-ready-delay", "0"]);
    apply(&s, &deployment("web:1.0", 3, "25%", "25%", 600));
    assert_eq!(rollout_status(&s, "deploy/web", "30s").0, 0);
    s.ok(&["delete", "deploy", "web"]);
    eventually(10, "the replica set and pods are gone", || {
        s.ok(&["get", "rs,pods", "-l", "app=web", "--no-headers"])
            .trim()
            .is_empty()
    });
}

#[test]
fn owner_references_cascade_to_any_kind_unless_orphaned() {
    if !have_kubectl() {
        return;
    }
    let s = Server::start(&["--pod-ready-delay", "0"]);
    apply(&s, &deployment("web:1.0", 1, "25%", "25%", 600));
    assert_eq!(rollout_status(&s, "deploy/web", "30s").0, 0);
    let uid = s.ok(&["get", "deploy", "web", "-o", "jsonpath={.metadata.uid}"]);
    apply(&s, &owned_by_web(&uid, ""));
    s.ok(&["delete", "deploy", "web"]);
    eventually(10, "the owned ConfigMap is collected", || {
        s.kubectl("kubectl", &["get", "cm", "owned"]).0 != 0
    });
    // --cascade=orphan keeps the dependents and drops their owner reference.
    apply(&s, &deployment("web:1.0", 2, "25%", "25%", 600));
    assert_eq!(rollout_status(&s, "deploy/web", "30s").0, 0);
    s.ok(&["delete", "deploy", "web", "--cascade=orphan"]);
    std::thread::sleep(Duration::from_millis(500));
    let sets = s.ok(&[
        "get",
        "rs",
        "-l",
        "app=web",
        "-o",
        "jsonpath={.items[*].metadata.ownerReferences}",
    ]);
    assert_eq!(sets, "", "orphaned ReplicaSets have no owner");
    assert_eq!(
        s.ok(&["get", "rs", "-l", "app=web", "--no-headers"])
            .lines()
            .count(),
        1
    );
    assert_eq!(
        s.ok(&["get", "pods", "-l", "app=web", "--no-headers"])
            .lines()
            .count(),
        2
    );
}

#[test]
fn finalizers_hold_a_deletion_until_the_last_one_is_taken_off() {
    if !have_kubectl() {
        return;
    }
    let s = Server::start(&["--no-controllers"]);
    apply(
        &s,
        "apiVersion: v1
kind: ConfigMap
metadata: {name: held, namespace: default, finalizers: [example.com/hold]}
data: {a: b}
",
    );
    let out = s.ok(&["delete", "cm", "held", "--wait=false"]);
    assert!(out.contains("configmap \"held\" deleted"), "{out}");
    let pending = || {
        s.ok(&[
            "get",
            "cm",
            "held",
            "-o",
            "jsonpath={.metadata.deletionTimestamp} {.metadata.finalizers}",
        ])
    };
    let first = pending();
    assert!(first.ends_with(r#" ["example.com/hold"]"#), "{first}");
    // A second DELETE changes nothing, not even the deletion's time.
    s.ok(&["delete", "cm", "held", "--wait=false"]);
    assert_eq!(pending(), first);
    let (code, _, err) = s.kubectl(
        "kubectl",
        &[
            "patch",
            "cm",
            "held",
            "--type=merge",
            "-p",
            r#"{"metadata":{"finalizers":["example.com/hold","example.com/late"]}}"#,
        ],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("no new finalizers can be added if the object is being deleted"),
        "{err}"
    );
    s.ok(&[
        "patch",
        "cm",
        "held",
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":null}}"#,
    ]);
    let (code, _, err) = s.kubectl("kubectl", &["get", "cm", "held"]);
    assert_eq!(code, 1, "deleted once its last finalizer is off: {err}");
    assert!(err.contains("NotFound"), "{err}");
}

#[test]
fn foreground_deletion_removes_the_owner_after_its_dependents() {
    if !have_kubectl() {
        return;
    }
    let s = Server::start(&["--pod-ready-delay", "0"]);
    apply(&s, &deployment("web:1.0", 2, "25%", "25%", 600));
    assert_eq!(rollout_status(&s, "deploy/web", "30s").0, 0);
    let uid = s.ok(&["get", "deploy", "web", "-o", "jsonpath={.metadata.uid}"]);
    // A dependent that cannot go yet: it holds the owner's deletion too.
    apply(&s, &owned_by_web(&uid, "[example.com/hold]"));
    s.ok(&[
        "delete",
        "deploy",
        "web",
        "--cascade=foreground",
        "--wait=false",
    ]);
    eventually(10, "the replica set is collected first", || {
        s.ok(&["get", "rs", "-l", "app=web", "--no-headers"])
            .trim()
            .is_empty()
    });
    let owner = s.ok(&[
        "get",
        "deploy",
        "web",
        "-o",
        "jsonpath={.metadata.finalizers} {.metadata.deletionTimestamp}",
    ]);
    assert!(owner.starts_with(r#"["foregroundDeletion"] "#), "{owner}");
    let dependent = s.ok(&[
        "get",
        "cm",
        "owned",
        "-o",
        "jsonpath={.metadata.deletionTimestamp}",
    ]);
    assert!(
        !dependent.is_empty(),
        "the dependent is marked for deletion"
    );

    s.ok(&[
        "patch",
        "cm",
        "owned",
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":null}}"#,
    ]);
    let (code, out, err) = s.kubectl(
        "kubectl",
        &["wait", "--for=delete", "deploy/web", "--timeout=20s"],
    );
    assert_eq!(
        code, 0,
        "the owner goes once its dependents are gone:\n{out}\n{err}"
    );
    eventually(10, "the pods are collected", || {
        s.ok(&["get", "pods", "-l", "app=web", "--no-headers"])
            .trim()
            .is_empty()
    });

    // Without a held dependent, `kubectl delete` (which waits) returns once the owner is gone,
    // and by then its ReplicaSets are gone too.
    apply(&s, &deployment("web:1.0", 2, "25%", "25%", 600));
    assert_eq!(rollout_status(&s, "deploy/web", "30s").0, 0);
    s.ok(&[
        "delete",
        "deploy",
        "web",
        "--cascade=foreground",
        "--timeout=20s",
    ]);
    let sets = s.ok(&["get", "rs", "-l", "app=web", "--no-headers"]);
    assert!(sets.trim().is_empty(), "{sets}");
}

#[test]
fn the_oldest_and_newest_kubectl_drive_a_rollout_and_an_undo() {
    if !have_kubectl() {
        return;
    }
    for (minor, server) in [(27, "1.28"), (33, "1.33")] {
        let Some(bin) = versioned(minor) else {
            eprintln!("skipped: kubectl.1.{minor} is not installed beside the dispatcher");
            continue;
        };
        let s = Server::start(&["--pod-ready-delay", "0", "--kubernetes-version", server]);
        let file = s.dir.path().join("web.yaml");
        std::fs::write(&file, deployment("web:1.0", 2, "1", "0", 600)).expect("written");
        let run = |args: &[&str]| {
            let (code, out, err) = s.kubectl(&bin, args);
            assert_eq!(code, 0, "kubectl.1.{minor} {args:?}: {out}{err}");
            out
        };
        run(&["apply", "-f", file.to_str().expect("utf-8")]);
        assert!(
            run(&["rollout", "status", "deploy/web", "--timeout=30s"])
                .contains("successfully rolled out")
        );
        run(&["set", "image", "deploy/web", "web=web:2.0"]);
        assert!(
            run(&["rollout", "status", "deploy/web", "--timeout=30s"])
                .contains("successfully rolled out")
        );
        assert!(run(&["rollout", "undo", "deploy/web"]).contains("rolled back"));
        assert!(
            run(&["rollout", "status", "deploy/web", "--timeout=30s"])
                .contains("successfully rolled out")
        );
        assert_eq!(
            run(&[
                "get",
                "deploy",
                "web",
                "-o",
                "jsonpath={.spec.template.spec.containers[0].image}"
            ]),
            "web:1.0"
        );
    }
}
