//! The controllers as specifications: a small in-memory cluster runs the real reconcilers
//! (deployment, replicaset, pods, statefulset, daemonset, job) pass after pass, applying
//! their actions as the runtime does, and the tests look at what the pods did on the way.

use serde_json::{Value, json};

use super::action::{Action, Outcome};
use super::cache::Cache;
use super::clock::Clock;
use super::object::{controller_of, label, name, pod_ready, uid};
use super::options::SimOptions;
use super::{daemonset, deployment, job, nodes, pod, replicaset, statefulset};

/// The cluster: a cache the actions write into, a revision counter, a settable clock.
struct Cluster {
    cache: Cache,
    revision: i64,
    now: f64,
    opts: SimOptions,
    serial: u64,
}

impl Cluster {
    fn new(node_count: u32) -> Cluster {
        let mut c = Cluster {
            cache: Cache::default(),
            revision: 0,
            now: 1_800_000_000.0,
            opts: SimOptions {
                pod_ready_delay: std::time::Duration::ZERO,
                job_duration: std::time::Duration::ZERO,
                nodes: node_count,
                ..SimOptions::default()
            },
            serial: 0,
        };
        let clock = c.clock();
        let out = nodes::reconcile(&c.cache, node_count, "v1.33.0", &clock);
        c.apply(out);
        c
    }

    fn clock(&self) -> Clock {
        Clock::at(self.now, self.opts.speed)
    }

    fn put(&mut self, key: &str, mut v: Value) {
        self.revision += 1;
        v["metadata"]["resourceVersion"] = json!(self.revision.to_string());
        self.cache.put(key, self.revision, v);
    }

    fn create(&mut self, key: &str, mut v: Value) {
        self.serial += 1;
        v["metadata"]["uid"] = json!(format!("uid-{}", self.serial));
        v["metadata"]["generation"] = json!(1);
        v["metadata"]["creationTimestamp"] = json!(self.clock().timestamp());
        self.put(key, v);
    }

    /// A user's spec change: generation goes up as the API server does it.
    fn edit(&mut self, key: &str, f: impl FnOnce(&mut Value)) {
        let mut v = self.cache.get(key).expect("exists").clone();
        f(&mut v);
        v["metadata"]["generation"] = json!(v["metadata"]["generation"].as_i64().unwrap_or(1) + 1);
        self.put(key, v);
    }

    fn apply(&mut self, out: Outcome) -> usize {
        let n = out.actions.len();
        for action in out.actions {
            match action {
                Action::Create {
                    collection,
                    mut value,
                } => {
                    if value["metadata"]["name"].is_null() {
                        self.serial += 1;
                        let base = value["metadata"]["generateName"]
                            .as_str()
                            .unwrap_or("x-")
                            .to_string();
                        value["metadata"]["name"] = json!(format!("{base}{}", self.serial));
                    }
                    let key = format!("{collection}{}", name(&value));
                    assert!(self.cache.get(&key).is_none(), "{key} created twice");
                    self.create(&key, value);
                }
                Action::Update { key, value } => {
                    let current = self.cache.get(&key).expect("updates an existing object");
                    assert_eq!(
                        current["metadata"]["resourceVersion"],
                        value["metadata"]["resourceVersion"],
                        "{key}: an update based on a stale read"
                    );
                    self.put(&key, value);
                }
                Action::Delete { key } | Action::Collect { key } => self.delete(&key),
                Action::Finish { key, finalizer } => {
                    let current = self.cache.get(&key).expect("exists").clone();
                    let next = crate::server::finalizers::without(&current, finalizer);
                    if crate::server::finalizers::released(&current, &next) {
                        self.delete(&key);
                    } else {
                        self.put(&key, next);
                    }
                }
            }
        }
        n
    }

    /// Deletes with background cascading, as the runtime's garbage collection does.
    fn delete(&mut self, key: &str) {
        self.revision += 1;
        if let Some(old) = self.cache.remove(key, self.revision) {
            for child in self.cache.children(uid(&old)) {
                self.delete(&child);
            }
        }
    }

    fn keys(&self, prefix: &str) -> Vec<String> {
        self.cache
            .list(prefix)
            .map(|(k, _)| k.to_string())
            .collect()
    }

    /// One pass: every controller once over every object of its kind, owners first. Returns
    /// how many writes it made.
    fn pass(&mut self) -> usize {
        let mut writes = 0;
        let clock = self.clock();
        for k in self.keys("/apps/deployments/") {
            let out = deployment::reconcile(&self.cache, &k, &clock);
            writes += self.apply(out);
        }
        for k in self.keys("/apps/replicasets/") {
            let out = replicaset::reconcile(&self.cache, &k, &clock);
            writes += self.apply(out);
        }
        for k in self.keys("/apps/statefulsets/") {
            let out = statefulset::reconcile(&self.cache, &k, &clock);
            writes += self.apply(out);
        }
        for k in self.keys("/apps/daemonsets/") {
            let out = daemonset::reconcile(&self.cache, &k, &clock);
            writes += self.apply(out);
        }
        for k in self.keys("/batch/jobs/") {
            let out = job::reconcile(&self.cache, &k, &clock);
            writes += self.apply(out);
        }
        for k in self.keys("/core/pods/") {
            let out = pod::reconcile(&self.cache, &k, &clock, &self.opts);
            writes += self.apply(out);
        }
        writes
    }

    /// Passes until nothing changes.
    fn settle(&mut self) {
        for _ in 0..1000 {
            if self.pass() == 0 {
                return;
            }
        }
        panic!("the controllers never settled");
    }

    fn get(&self, key: &str) -> &Value {
        self.cache.get(key).expect("object exists")
    }

    /// Pods of the Deployment's ReplicaSets by the template image: (total, ready).
    fn pods_with_image(&self, image: &str) -> (u32, u32) {
        let mut total = 0;
        let mut ready = 0;
        for (_, p) in self.cache.list("/core/pods/") {
            if p["spec"]["containers"][0]["image"] == image {
                total += 1;
                ready += u32::from(pod_ready(p));
            }
        }
        (total, ready)
    }
}

fn deployment_object(replicas: u32, surge: &Value, unavailable: &Value, image: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "ns"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}},
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": image}]}},
        },
    })
}

const D: &str = "/apps/deployments/ns/web";

fn set_image(c: &mut Cluster, image: &str) {
    c.edit(D, |d| {
        d["spec"]["template"]["spec"]["containers"][0]["image"] = json!(image);
    });
}

/// Runs a rollout from v1 to v2, recording (old, new) pods after every pass.
fn rollout_steps(
    replicas: u32,
    surge: &Value,
    unavailable: &Value,
) -> Vec<((u32, u32), (u32, u32))> {
    let mut c = Cluster::new(3);
    c.create(D, deployment_object(replicas, surge, unavailable, "web:1"));
    c.settle();
    assert_eq!(c.pods_with_image("web:1"), (replicas, replicas));
    set_image(&mut c, "web:2");
    let mut steps = Vec::new();
    for _ in 0..1000 {
        let writes = c.pass();
        steps.push((c.pods_with_image("web:1"), c.pods_with_image("web:2")));
        if writes == 0 {
            break;
        }
    }
    steps
}

#[test]
fn rolling_updates_stay_within_surge_and_unavailability() {
    // (replicas, maxSurge, maxUnavailable, resolved surge, resolved unavailable)
    let cases = [
        (10, json!("25%"), json!("25%"), 3, 2),
        (3, json!(1), json!(0), 1, 0),
        (4, json!(0), json!(1), 0, 1),
        (1, json!(0), json!(0), 0, 1),
        (100, json!("30%"), json!("10%"), 30, 10),
    ];
    for (replicas, surge, unavailable, max_surge, max_unavailable) in cases {
        let steps = rollout_steps(replicas, &surge, &unavailable);
        for ((old_total, old_ready), (new_total, new_ready)) in &steps {
            assert!(
                old_total + new_total <= replicas + max_surge,
                "{replicas}/{surge}/{unavailable}: {old_total}+{new_total} pods exceed {replicas}+{max_surge}"
            );
            assert!(
                old_ready + new_ready >= replicas - max_unavailable,
                "{replicas}/{surge}/{unavailable}: {old_ready}+{new_ready} ready is below {replicas}-{max_unavailable}"
            );
        }
        let last = steps.last().expect("steps");
        assert_eq!(
            last.0,
            (0, 0),
            "{replicas}/{surge}/{unavailable}: old pods remain"
        );
        assert_eq!(
            last.1,
            (replicas, replicas),
            "{replicas}/{surge}/{unavailable}: not all new pods ready"
        );
    }
}

#[test]
fn a_finished_rollout_reports_what_kubectl_rollout_status_reads() {
    let mut c = Cluster::new(3);
    c.create(
        D,
        deployment_object(3, &json!("25%"), &json!("25%"), "web:1"),
    );
    c.settle();
    set_image(&mut c, "web:2");
    c.settle();
    let d = c.get(D);
    let s = &d["status"];
    assert_eq!(s["observedGeneration"], 2);
    assert_eq!(
        (
            s["replicas"].as_u64(),
            s["updatedReplicas"].as_u64(),
            s["readyReplicas"].as_u64(),
            s["availableReplicas"].as_u64()
        ),
        (Some(3), Some(3), Some(3), Some(3))
    );
    assert!(s["unavailableReplicas"].is_null());
    let conds: Vec<(String, String, String)> = s["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["type"].as_str().unwrap().into(),
                c["status"].as_str().unwrap().into(),
                c["reason"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        conds,
        vec![
            (
                "Available".into(),
                "True".into(),
                "MinimumReplicasAvailable".into()
            ),
            (
                "Progressing".into(),
                "True".into(),
                "NewReplicaSetAvailable".into()
            ),
        ]
    );
    assert_eq!(
        d["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "2"
    );
    let sets = c.keys("/apps/replicasets/ns/");
    assert_eq!(sets.len(), 2);
    for k in sets {
        let rs = c.get(&k);
        let hash = label(rs, "pod-template-hash").expect("hash label");
        assert_eq!(name(rs), format!("web-{hash}"));
        assert_eq!(
            rs["spec"]["selector"]["matchLabels"]["pod-template-hash"],
            hash
        );
        assert_eq!(
            controller_of(rs).map(|(k, n, _)| (k, n)),
            Some(("Deployment", "web"))
        );
    }
}

#[test]
fn scaling_alone_makes_no_new_revision() {
    let mut c = Cluster::new(3);
    c.create(
        D,
        deployment_object(3, &json!("25%"), &json!("25%"), "web:1"),
    );
    c.settle();
    c.edit(D, |d| d["spec"]["replicas"] = json!(5));
    c.settle();
    assert_eq!(c.keys("/apps/replicasets/ns/").len(), 1);
    assert_eq!(c.pods_with_image("web:1"), (5, 5));
    assert_eq!(
        c.get(D)["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "1"
    );
}

#[test]
fn scaling_mid_rollout_is_proportional() {
    let mut c = Cluster::new(3);
    c.create(D, deployment_object(10, &json!(3), &json!(0), "web:1"));
    c.settle();
    set_image(&mut c, "web:never");
    c.opts.fail_images = vec!["web:never".into()];
    for _ in 0..5 {
        c.pass();
    }
    c.edit(D, |d| d["spec"]["replicas"] = json!(20));
    c.settle();
    let (old, _) = c.pods_with_image("web:1");
    let (new, new_ready) = c.pods_with_image("web:never");
    assert_eq!(new_ready, 0);
    // Kubernetes' proportions: 10 and 3 of an old maximum of 13 become 18 and 5 of 23.
    assert_eq!((old, new), (18, 5));
}

#[test]
fn recreate_removes_every_old_pod_before_the_first_new_one() {
    let mut c = Cluster::new(3);
    let mut d = deployment_object(3, &json!(null), &json!(null), "web:1");
    d["spec"]["strategy"] = json!({"type": "Recreate"});
    c.create(D, d);
    c.settle();
    set_image(&mut c, "web:2");
    for _ in 0..50 {
        let writes = c.pass();
        let (old, _) = c.pods_with_image("web:1");
        let (new, _) = c.pods_with_image("web:2");
        assert!(
            old == 0 || new == 0,
            "old and new pods at once: {old}, {new}"
        );
        if writes == 0 {
            break;
        }
    }
    assert_eq!(c.pods_with_image("web:2"), (3, 3));
}

#[test]
fn a_template_coming_back_reuses_its_replicaset_with_the_next_revision() {
    let mut c = Cluster::new(3);
    c.create(
        D,
        deployment_object(2, &json!("25%"), &json!("25%"), "web:1"),
    );
    c.settle();
    set_image(&mut c, "web:2");
    c.settle();
    set_image(&mut c, "web:1");
    c.settle();
    let sets = c.keys("/apps/replicasets/ns/");
    assert_eq!(sets.len(), 2, "the old ReplicaSet is reused");
    let v1 = sets
        .iter()
        .map(|k| c.get(k))
        .find(|rs| rs["spec"]["template"]["spec"]["containers"][0]["image"] == "web:1")
        .unwrap();
    assert_eq!(
        v1["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "3"
    );
    assert_eq!(
        v1["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"],
        "1"
    );
    assert_eq!(
        c.get(D)["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
        "3"
    );
}

#[test]
fn history_beyond_the_limit_is_removed_oldest_first() {
    let mut c = Cluster::new(3);
    let mut d = deployment_object(1, &json!("25%"), &json!("25%"), "web:0");
    d["spec"]["revisionHistoryLimit"] = json!(2);
    c.create(D, d);
    c.settle();
    for i in 1..=5 {
        set_image(&mut c, &format!("web:{i}"));
        c.settle();
    }
    let mut revisions: Vec<String> = c
        .keys("/apps/replicasets/ns/")
        .iter()
        .map(|k| {
            c.get(k)["metadata"]["annotations"]["deployment.kubernetes.io/revision"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    revisions.sort();
    assert_eq!(revisions, vec!["4", "5", "6"]);
}

#[test]
fn a_paused_deployment_does_not_roll_out() {
    let mut c = Cluster::new(3);
    c.create(
        D,
        deployment_object(2, &json!("25%"), &json!("25%"), "web:1"),
    );
    c.settle();
    c.edit(D, |d| d["spec"]["paused"] = json!(true));
    c.settle();
    set_image(&mut c, "web:2");
    c.settle();
    assert_eq!(c.keys("/apps/replicasets/ns/").len(), 1);
    let cond = c.get(D)["status"]["conditions"][1].clone();
    assert_eq!(
        (cond["status"].as_str(), cond["reason"].as_str()),
        (Some("Unknown"), Some("DeploymentPaused"))
    );
    c.edit(D, |d| d["spec"]["paused"] = json!(false));
    c.settle();
    assert_eq!(c.pods_with_image("web:2"), (2, 2));
}

#[test]
fn a_broken_release_stays_unready_and_times_out_its_progress_deadline() {
    let mut c = Cluster::new(3);
    let mut d = deployment_object(3, &json!(1), &json!(0), "web:1");
    d["spec"]["progressDeadlineSeconds"] = json!(30);
    c.create(D, d);
    c.settle();
    c.opts.fail_images = vec!["*:broken".into()];
    set_image(&mut c, "web:broken");
    c.settle();
    assert_eq!(c.pods_with_image("web:1"), (3, 3), "old pods keep serving");
    assert_eq!(c.pods_with_image("web:broken"), (1, 0));
    let progressing = |c: &Cluster| {
        c.get(D)["status"]["conditions"][1]["reason"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_ne!(progressing(&c), "ProgressDeadlineExceeded");
    c.now += 31.0;
    c.settle();
    assert_eq!(progressing(&c), "ProgressDeadlineExceeded");
    assert_eq!(c.get(D)["status"]["conditions"][1]["status"], "False");
    let p = c
        .cache
        .list("/core/pods/")
        .map(|(_, p)| p)
        .find(|p| p["spec"]["containers"][0]["image"] == "web:broken")
        .unwrap();
    assert_eq!(
        p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"],
        "CrashLoopBackOff"
    );
}

#[test]
fn speed_compresses_simulated_time() {
    let mut c = Cluster::new(3);
    c.opts.speed = 10.0;
    let mut d = deployment_object(1, &json!(1), &json!(0), "web:1");
    d["spec"]["progressDeadlineSeconds"] = json!(60);
    c.create(D, d);
    c.settle();
    c.opts.fail_images = vec!["*:broken".into()];
    set_image(&mut c, "web:broken");
    c.settle();
    c.now += 7.0;
    c.settle();
    let reason = |c: &Cluster| {
        c.get(D)["status"]["conditions"][1]["reason"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        reason(&c),
        "ProgressDeadlineExceeded",
        "60 simulated seconds pass in 6 real ones"
    );
}

#[test]
fn min_ready_seconds_delays_availability() {
    let mut c = Cluster::new(3);
    let mut d = deployment_object(2, &json!("25%"), &json!("25%"), "web:1");
    d["spec"]["minReadySeconds"] = json!(10);
    c.create(D, d);
    c.settle();
    assert!(c.get(D)["status"]["availableReplicas"].is_null());
    assert_eq!(c.get(D)["status"]["readyReplicas"], 2);
    c.now += 11.0;
    c.settle();
    assert_eq!(c.get(D)["status"]["availableReplicas"], 2);
}

#[test]
fn pods_are_spread_over_the_simulated_nodes() {
    let mut c = Cluster::new(3);
    c.create(
        D,
        deployment_object(6, &json!("25%"), &json!("25%"), "web:1"),
    );
    c.settle();
    let mut per_node = std::collections::BTreeMap::new();
    for (_, p) in c.cache.list("/core/pods/") {
        *per_node
            .entry(p["spec"]["nodeName"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
        assert!(
            p["status"]["podIP"]
                .as_str()
                .unwrap()
                .starts_with("10.244.")
        );
    }
    assert_eq!(
        per_node.values().copied().collect::<Vec<_>>(),
        vec![2, 2, 2]
    );
}

#[test]
fn pods_start_after_the_ready_delay() {
    let mut c = Cluster::new(1);
    c.opts.pod_ready_delay = std::time::Duration::from_secs(4);
    c.create(
        D,
        deployment_object(1, &json!("25%"), &json!("25%"), "web:1"),
    );
    c.settle();
    let phase = |c: &Cluster| {
        let (_, p) = c.cache.list("/core/pods/").next().unwrap();
        (
            p["status"]["phase"].as_str().unwrap().to_string(),
            pod_ready(p),
        )
    };
    assert_eq!(phase(&c), ("Pending".into(), false));
    c.now += 2.0;
    c.settle();
    assert_eq!(phase(&c), ("Running".into(), false));
    c.now += 2.0;
    c.settle();
    assert_eq!(phase(&c), ("Running".into(), true));
}

const S: &str = "/apps/statefulsets/ns/db";

fn statefulset_object(replicas: u32, image: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": "ns"},
        "spec": {
            "replicas": replicas, "serviceName": "db", "podManagementPolicy": "OrderedReady",
            "selector": {"matchLabels": {"app": "db"}},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
            "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [{"name": "db", "image": image}]}},
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}],
        },
    })
}

#[test]
fn a_statefulset_starts_pods_in_order_and_updates_from_the_highest_ordinal() {
    let mut c = Cluster::new(3);
    c.opts.pod_ready_delay = std::time::Duration::from_secs(2);
    c.create(S, statefulset_object(3, "db:1"));
    c.settle();
    assert_eq!(
        c.keys("/core/pods/ns/"),
        vec!["/core/pods/ns/db-0"],
        "db-1 waits for db-0"
    );
    for _ in 0..3 {
        c.now += 2.0;
        c.settle();
    }
    assert_eq!(c.keys("/core/pods/ns/").len(), 3);
    let claims = c.keys("/core/persistentvolumeclaims/ns/");
    assert_eq!(
        claims,
        vec![
            "/core/persistentvolumeclaims/ns/data-db-0",
            "/core/persistentvolumeclaims/ns/data-db-1",
            "/core/persistentvolumeclaims/ns/data-db-2"
        ]
    );
    assert_eq!(c.get(&claims[0])["status"]["phase"], "Bound");
    let status = &c.get(S)["status"];
    assert_eq!(status["readyReplicas"], 3);
    assert_eq!(status["currentRevision"], status["updateRevision"]);
    c.opts.pod_ready_delay = std::time::Duration::ZERO;
    c.edit(S, |s| {
        s["spec"]["template"]["spec"]["containers"][0]["image"] = json!("db:2");
    });
    let mut order = Vec::new();
    for _ in 0..50 {
        let writes = c.pass();
        for (_, p) in c.cache.list("/core/pods/ns/") {
            if p["spec"]["containers"][0]["image"] == "db:2"
                && !order.contains(&name(p).to_string())
            {
                order.push(name(p).to_string());
            }
        }
        if writes == 0 {
            break;
        }
    }
    assert_eq!(order, vec!["db-2", "db-1", "db-0"]);
    let status = &c.get(S)["status"];
    assert_eq!(status["updatedReplicas"], 3);
    assert_eq!(status["currentRevision"], status["updateRevision"]);
}

#[test]
fn a_daemonset_runs_one_pod_per_node_and_replaces_them_one_at_a_time() {
    let mut c = Cluster::new(3);
    let k = "/apps/daemonsets/ns/agent";
    c.create(k, json!({
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "agent", "namespace": "ns"},
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
            "template": {"metadata": {"labels": {"app": "agent"}}, "spec": {"containers": [{"name": "a", "image": "agent:1"}]}},
        },
    }));
    c.settle();
    assert_eq!(c.pods_with_image("agent:1"), (3, 3));
    c.edit(k, |d| {
        d["spec"]["template"]["spec"]["containers"][0]["image"] = json!("agent:2");
    });
    for _ in 0..50 {
        let writes = c.pass();
        let (old, old_ready) = c.pods_with_image("agent:1");
        let (_, new_ready) = c.pods_with_image("agent:2");
        assert!(
            old_ready + new_ready >= 2,
            "more than one node without a pod: {old}, {new_ready}"
        );
        if writes == 0 {
            break;
        }
    }
    assert_eq!(c.pods_with_image("agent:2"), (3, 3));
    let s = &c.get(k)["status"];
    assert_eq!(
        (
            s["desiredNumberScheduled"].as_u64(),
            s["updatedNumberScheduled"].as_u64(),
            s["numberAvailable"].as_u64()
        ),
        (Some(3), Some(3), Some(3))
    );
}

#[test]
fn a_job_runs_its_pods_to_completion() {
    let mut c = Cluster::new(2);
    let k = "/batch/jobs/ns/pi";
    c.create(k, json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "pi", "namespace": "ns"},
        "spec": {"completions": 3, "parallelism": 2, "backoffLimit": 6,
            "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "pi", "image": "perl"}]}}},
    }));
    c.settle();
    let s = &c.get(k)["status"];
    assert_eq!(s["succeeded"], 3);
    assert!(s["completionTime"].is_string());
    let complete = s["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["type"] == "Complete" && c["status"] == "True");
    assert!(complete);
}

#[test]
fn a_failing_job_stops_at_its_backoff_limit() {
    let mut c = Cluster::new(2);
    let k = "/batch/jobs/ns/bad";
    c.create(k, json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "bad", "namespace": "ns"},
        "spec": {"completions": 1, "parallelism": 1, "backoffLimit": 2,
            "template": {"metadata": {"annotations": {"kplan.dev/simulate": "fail"}},
                "spec": {"restartPolicy": "Never", "containers": [{"name": "x", "image": "x"}]}}},
    }));
    c.settle();
    let s = &c.get(k)["status"];
    assert_eq!(s["failed"], 3);
    let failed = s["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["type"] == "Failed" && c["reason"] == "BackoffLimitExceeded");
    assert!(failed);
}

#[test]
fn deleting_a_deployment_deletes_what_it_owns() {
    let mut c = Cluster::new(3);
    c.create(
        D,
        deployment_object(2, &json!("25%"), &json!("25%"), "web:1"),
    );
    c.settle();
    c.apply(Outcome {
        actions: vec![Action::Delete { key: D.into() }],
        requeue_after: None,
    });
    assert!(c.keys("/apps/replicasets/").is_empty());
    assert!(c.keys("/core/pods/").is_empty());
}
