//! The Deployment controller (Kubernetes' `pkg/controller/deployment`, see
//! `docs/architecture.md`): finds or creates the ReplicaSet of the current template, makes one
//! rolling-update or Recreate move with the shared [`crate::rollout`] math, scales
//! proportionally when only `replicas` changed, prunes history, and writes the status and
//! conditions `kubectl rollout status` reads.

use serde_json::{Value, json};

use crate::rollout::{
    Fenceposts, ReplicaCounts, pod_template_hash, scale_down_old, scale_up_new,
    template_equal_ignoring_hash,
};

use super::action::{Action, Outcome};
use super::cache::Cache;
use super::clock::Clock;
use super::object::{
    annotation, condition, controller_ref, count, event, generation, is_deleting, key, name,
    namespace, new_condition, prefix, remove_condition, set_condition,
};

const REVISION: &str = "deployment.kubernetes.io/revision";
const REVISION_HISTORY: &str = "deployment.kubernetes.io/revision-history";
const DESIRED: &str = "deployment.kubernetes.io/desired-replicas";
const MAX: &str = "deployment.kubernetes.io/max-replicas";
/// Annotations the Deployment keeps for itself instead of copying onto its ReplicaSets.
const NOT_COPIED: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    REVISION_HISTORY,
    DESIRED,
    MAX,
    "deprecated.deployment.rollback.to",
];
const HASH_LABEL: &str = "pod-template-hash";

pub fn reconcile(cache: &Cache, key_: &str, clock: &Clock) -> Outcome {
    let mut out = Outcome::default();
    // A Deployment whose deletion is pending (foreground) makes no new ReplicaSets: the
    // garbage collector is taking the old ones away.
    let Some(d) = cache.get(key_).filter(|d| !is_deleting(d)) else {
        return out;
    };
    let mut sync = Sync::new(cache, d, clock);
    sync.run(&mut out);
    sync.finish(key_, d, &mut out);
    out
}

/// One pass over a Deployment and its ReplicaSets, with the ReplicaSets edited in memory and
/// written once each at the end.
struct Sync<'a> {
    d: &'a Value,
    clock: &'a Clock,
    replicas: u32,
    /// `None` for Recreate.
    fenceposts: Option<Fenceposts>,
    /// Owned ReplicaSets, oldest first: (key, as cached, as edited).
    sets: Vec<(String, Value, Value)>,
    new: Option<usize>,
    created: Option<Value>,
    meta_annotations: serde_json::Map<String, Value>,
    status: Value,
}

impl<'a> Sync<'a> {
    fn new(cache: &'a Cache, d: &'a Value, clock: &'a Clock) -> Sync<'a> {
        let mut sets: Vec<(String, Value, Value)> = cache
            .controlled(d, "Deployment", "/apps/replicasets/")
            .into_iter()
            .map(|(k, rs)| (k, rs.clone(), rs.clone()))
            .collect();
        sets.sort_by(|a, b| {
            let created = |v: &Value| {
                v["metadata"]["creationTimestamp"]
                    .as_str()
                    .unwrap_or("")
                    .to_string()
            };
            created(&a.1)
                .cmp(&created(&b.1))
                .then_with(|| name(&a.1).cmp(name(&b.1)))
        });
        let spec = &d["spec"];
        let replicas = count(&spec["replicas"], 1);
        let fenceposts = Fenceposts::of_deployment_spec(spec)
            .unwrap_or_else(|_| Some(Fenceposts::rolling(replicas, None, None)));
        let new = sets.iter().position(|(_, rs, _)| {
            template_equal_ignoring_hash(&rs["spec"]["template"], &spec["template"])
        });
        let mut status = d["status"].clone();
        if !status.is_object() {
            status = json!({});
        }
        Sync {
            d,
            clock,
            replicas,
            fenceposts,
            sets,
            new,
            created: None,
            meta_annotations: d["metadata"]["annotations"]
                .as_object()
                .cloned()
                .unwrap_or_default(),
            status,
        }
    }

    fn max_surge(&self) -> u32 {
        self.fenceposts.map_or(0, |f| f.max_surge)
    }

    fn max_unavailable(&self) -> u32 {
        match self.fenceposts {
            Some(f) if self.replicas > 0 => f.max_unavailable,
            _ => 0,
        }
    }

    fn deadline(&self) -> Option<u32> {
        self.d["spec"]["progressDeadlineSeconds"]
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|&n| n != i32::MAX as u32)
    }

    fn spec_of(rs: &Value) -> u32 {
        count(&rs["spec"]["replicas"], 0)
    }

    fn total_spec(&self) -> u32 {
        self.sets
            .iter()
            .map(|(_, _, rs)| Self::spec_of(rs))
            .sum::<u32>()
            + self.created.as_ref().map_or(0, Self::spec_of)
    }

    fn counts(rs: &Value) -> ReplicaCounts {
        ReplicaCounts {
            spec: Self::spec_of(rs),
            available: count(&rs["status"]["availableReplicas"], 0),
        }
    }

    fn run(&mut self, out: &mut Outcome) {
        let paused = self.d["spec"]["paused"] == true;
        self.paused_conditions(paused);
        self.sync_revision();
        if paused || self.is_scaling_event() {
            self.scale();
            return;
        }
        match self.fenceposts {
            Some(fp) => self.rolling(fp, out),
            None => self.recreate(out),
        }
    }

    fn paused_conditions(&mut self, paused: bool) {
        if self.deadline().is_none() {
            return;
        }
        let reason = condition(&self.status, "Progressing")
            .and_then(|c| c["reason"].as_str())
            .unwrap_or_default()
            .to_string();
        if reason == "ProgressDeadlineExceeded" {
            return;
        }
        if paused && reason != "DeploymentPaused" {
            set_condition(
                &mut self.status,
                new_condition(
                    self.clock,
                    "Progressing",
                    "Unknown",
                    "DeploymentPaused",
                    "Deployment is paused",
                ),
            );
        } else if !paused && reason == "DeploymentPaused" {
            set_condition(
                &mut self.status,
                new_condition(
                    self.clock,
                    "Progressing",
                    "Unknown",
                    "DeploymentResumed",
                    "Deployment is resumed",
                ),
            );
        }
    }

    fn new_revision(&self) -> u64 {
        self.sets
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != self.new)
            .map(|(_, (_, _, rs))| revision(rs))
            .max()
            .unwrap_or(0)
            + 1
    }

    /// The existing new ReplicaSet gets the Deployment's annotations and, when it comes back
    /// from history (a rollback), the next revision number.
    fn sync_revision(&mut self) {
        let Some(i) = self.new else {
            return;
        };
        let next = self.new_revision();
        let copied = self.copied_annotations();
        let min_ready = self.d["spec"]["minReadySeconds"].clone();
        let rs = &mut self.sets[i].2;
        let annotations = rs["metadata"]["annotations"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let mut merged = annotations.clone();
        for (k, v) in copied {
            merged.insert(k, v);
        }
        let current = revision(rs);
        if current < next {
            if current > 0 {
                let mut history: Vec<String> = merged
                    .get(REVISION_HISTORY)
                    .and_then(Value::as_str)
                    .map(|h| h.split(',').map(str::to_string).collect())
                    .unwrap_or_default();
                history.push(current.to_string());
                let mut joined = history.join(",");
                while joined.len() > 2000 && history.len() > 1 {
                    history.remove(0);
                    joined = history.join(",");
                }
                merged.insert(REVISION_HISTORY.into(), json!(joined));
            }
            merged.insert(REVISION.into(), json!(next.to_string()));
        }
        rs["metadata"]["annotations"] = Value::Object(merged);
        if !min_ready.is_null() || !rs["spec"]["minReadySeconds"].is_null() {
            rs["spec"]["minReadySeconds"] = if min_ready.is_null() {
                json!(0)
            } else {
                min_ready
            };
        }
        let rev = revision(rs).to_string();
        let rs_name = name(rs).to_string();
        self.meta_annotations.insert(REVISION.into(), json!(rev));
        if self.deadline().is_some() && condition(&self.status, "Progressing").is_none() {
            set_condition(
                &mut self.status,
                new_condition(
                    self.clock,
                    "Progressing",
                    "True",
                    "FoundNewReplicaSet",
                    &format!("Found new replica set \"{rs_name}\""),
                ),
            );
        }
    }

    fn copied_annotations(&self) -> Vec<(String, Value)> {
        self.d["metadata"]["annotations"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| !NOT_COPIED.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    fn is_scaling_event(&self) -> bool {
        let want = self.replicas.to_string();
        self.sets.iter().any(|(_, _, rs)| {
            Self::spec_of(rs) > 0 && annotation(rs, DESIRED).is_some_and(|d| d != want)
        })
    }

    /// Sets a ReplicaSet's size and the annotations that remember for which Deployment size.
    fn resize(&mut self, i: usize, size: u32) {
        let desired = self.replicas.to_string();
        let max = (self.replicas + self.max_surge()).to_string();
        let rs = &mut self.sets[i].2;
        rs["spec"]["replicas"] = json!(size);
        if !rs["metadata"]["annotations"].is_object() {
            rs["metadata"]["annotations"] = json!({});
        }
        rs["metadata"]["annotations"][DESIRED] = json!(desired);
        rs["metadata"]["annotations"][MAX] = json!(max);
    }

    /// Only `replicas` changed (or the Deployment is paused): resize without a new revision,
    /// proportionally across ReplicaSets mid-rollout.
    fn scale(&mut self) {
        let active: Vec<usize> = (0..self.sets.len())
            .filter(|&i| Self::spec_of(&self.sets[i].2) > 0)
            .collect();
        if active.len() <= 1 {
            let target = self.new.or_else(|| active.first().copied());
            if let Some(i) = target {
                self.resize(i, self.replicas);
            }
            return;
        }
        if let Some(n) = self.new {
            let rs = &self.sets[n].2;
            let saturated = Self::spec_of(rs) == self.replicas
                && annotation(rs, DESIRED) == Some(&self.replicas.to_string())
                && count(&rs["status"]["availableReplicas"], 0) >= self.replicas;
            if saturated {
                for i in active {
                    if i != n {
                        self.resize(i, 0);
                    }
                }
                return;
            }
        }
        let allowed = i64::from(self.replicas + self.max_surge());
        let current: i64 = active
            .iter()
            .map(|&i| i64::from(Self::spec_of(&self.sets[i].2)))
            .sum();
        let to_add = allowed - current;
        let mut order = active.clone();
        // Largest first; newer first when growing, older first when shrinking.
        order.sort_by(|&a, &b| {
            let (sa, sb) = (
                Self::spec_of(&self.sets[a].2),
                Self::spec_of(&self.sets[b].2),
            );
            sb.cmp(&sa)
                .then(if to_add > 0 { b.cmp(&a) } else { a.cmp(&b) })
        });
        let mut sizes: Vec<(usize, i64)> = Vec::new();
        let mut added = 0i64;
        for &i in &order {
            let rs = &self.sets[i].2;
            let spec = i64::from(Self::spec_of(rs));
            let max: i64 = annotation(rs, MAX)
                .and_then(|m| m.parse().ok())
                .unwrap_or(0);
            let mut share = if max > 0 && to_add != 0 {
                ((spec as f64) * (allowed as f64) / (max as f64)).round() as i64 - spec
            } else {
                0
            };
            let room = to_add - added;
            share = if to_add > 0 {
                share.clamp(0, room)
            } else {
                share.clamp(room, 0)
            };
            added += share;
            sizes.push((i, spec + share));
        }
        if let Some(first) = sizes.first_mut() {
            first.1 += to_add - added;
        }
        for (i, size) in sizes {
            self.resize(i, u32::try_from(size.max(0)).unwrap_or(0));
        }
    }

    fn rolling(&mut self, fp: Fenceposts, out: &mut Outcome) {
        let Some(n) = self.new else {
            let size = scale_up_new(self.replicas, fp, 0, self.total_spec());
            self.create_new(size, out);
            return;
        };
        let new_counts = Self::counts(&self.sets[n].2);
        let grown = scale_up_new(self.replicas, fp, new_counts.spec, self.total_spec());
        if grown != new_counts.spec {
            self.resize(n, grown);
            return;
        }
        let olds: Vec<usize> = (0..self.sets.len()).filter(|&i| i != n).collect();
        let old_counts: Vec<ReplicaCounts> = olds
            .iter()
            .map(|&i| Self::counts(&self.sets[i].2))
            .collect();
        let sizes = scale_down_old(self.replicas, fp, new_counts, &old_counts);
        let mut moved = false;
        for ((&i, counts), size) in olds.iter().zip(&old_counts).zip(sizes) {
            if size != counts.spec {
                self.resize(i, size);
                moved = true;
            }
        }
        if !moved && self.is_complete(&self.d["status"]) {
            self.cleanup(out);
        }
    }

    fn recreate(&mut self, out: &mut Outcome) {
        let olds: Vec<usize> = (0..self.sets.len())
            .filter(|&i| Some(i) != self.new)
            .collect();
        let mut scaled = false;
        for &i in &olds {
            if Self::spec_of(&self.sets[i].2) > 0 {
                self.resize(i, 0);
                scaled = true;
            }
        }
        if scaled {
            return;
        }
        let running = olds
            .iter()
            .any(|&i| count(&self.sets[i].2["status"]["replicas"], 0) > 0);
        if running {
            return;
        }
        match self.new {
            None => self.create_new(self.replicas, out),
            Some(n) => {
                if Self::spec_of(&self.sets[n].2) != self.replicas {
                    self.resize(n, self.replicas);
                } else if self.is_complete(&self.d["status"]) {
                    self.cleanup(out);
                }
            }
        }
    }

    fn create_new(&mut self, size: u32, out: &mut Outcome) {
        let d = self.d;
        let ns = namespace(d);
        let template = &d["spec"]["template"];
        let collisions = d["status"]["collisionCount"]
            .as_u64()
            .and_then(|c| u32::try_from(c).ok());
        let hash = pod_template_hash(template, collisions);
        let rs_name = format!("{}-{hash}", name(d));
        if let Some(existing) = self.sets.iter().find(|(_, rs, _)| name(rs) == rs_name) {
            // Same name, different template: a hash collision; the next hash differs.
            let _ = existing;
            self.bump_collisions();
            return;
        }
        let mut template = template.clone();
        template["metadata"]["labels"][HASH_LABEL] = json!(hash);
        let mut selector = d["spec"]["selector"].clone();
        selector["matchLabels"][HASH_LABEL] = json!(hash);
        let mut labels = template["metadata"]["labels"].clone();
        labels[HASH_LABEL] = json!(hash);
        let revision = self.new_revision();
        let mut annotations: serde_json::Map<String, Value> =
            self.copied_annotations().into_iter().collect();
        annotations.insert(REVISION.into(), json!(revision.to_string()));
        annotations.insert(DESIRED.into(), json!(self.replicas.to_string()));
        annotations.insert(
            MAX.into(),
            json!((self.replicas + self.max_surge()).to_string()),
        );
        let mut spec = json!({
            "replicas": size,
            "selector": selector,
            "template": template,
        });
        if let Some(m) = d["spec"]["minReadySeconds"].as_u64() {
            spec["minReadySeconds"] = json!(m);
        }
        let rs = json!({
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": rs_name,
                "namespace": ns,
                "labels": labels,
                "annotations": annotations,
                "ownerReferences": controller_ref(d, "apps/v1", "Deployment"),
            },
            "spec": spec,
            "status": {"replicas": 0},
        });
        out.actions.push(Action::Create {
            collection: prefix("apps", "replicasets", ns),
            value: rs.clone(),
        });
        self.created = Some(rs);
        self.meta_annotations
            .insert(REVISION.into(), json!(revision.to_string()));
        if self.deadline().is_some() {
            set_condition(
                &mut self.status,
                new_condition(
                    self.clock,
                    "Progressing",
                    "True",
                    "NewReplicaSetCreated",
                    &format!("Created new replica set \"{rs_name}\""),
                ),
            );
        }
    }

    fn bump_collisions(&mut self) {
        let n = self.status["collisionCount"].as_u64().unwrap_or(0) + 1;
        self.status["collisionCount"] = json!(n);
    }

    /// Old ReplicaSets beyond `revisionHistoryLimit`, lowest revision first, once empty.
    fn cleanup(&self, out: &mut Outcome) {
        let limit = count(&self.d["spec"]["revisionHistoryLimit"], 10) as usize;
        let mut olds: Vec<&Value> = self
            .sets
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != self.new)
            .map(|(_, (_, _, rs))| rs)
            .collect();
        if olds.len() <= limit {
            return;
        }
        olds.sort_by_key(|rs| revision(rs));
        let excess = olds.len() - limit;
        for rs in olds.into_iter().take(excess) {
            let empty = Self::spec_of(rs) == 0
                && count(&rs["status"]["replicas"], 0) == 0
                && rs["status"]["observedGeneration"].as_i64().unwrap_or(0) >= generation(rs);
            if empty {
                out.actions.push(Action::Delete {
                    key: key("apps", "replicasets", namespace(rs), name(rs)),
                });
            }
        }
    }

    /// `DeploymentComplete` on a status.
    fn is_complete(&self, status: &Value) -> bool {
        let r = self.replicas;
        count(&status["updatedReplicas"], 0) == r
            && count(&status["replicas"], 0) == r
            && count(&status["availableReplicas"], 0) == r
            && status["observedGeneration"].as_i64().unwrap_or(0) >= generation(self.d)
    }

    /// Writes every edited ReplicaSet and the Deployment's annotations and status.
    fn finish(mut self, key_: &str, d: &Value, out: &mut Outcome) {
        if let Some(created) = &self.created {
            let size = Self::spec_of(created);
            if size > 0 {
                let message = format!("Scaled up replica set {} to {size}", name(created));
                out.actions.push(self.scaling_event(&message));
            }
        }
        for (k, old, new) in &self.sets {
            let (before, after) = (Self::spec_of(old), Self::spec_of(new));
            if before != after {
                let direction = if after > before { "up" } else { "down" };
                let message = format!(
                    "Scaled {direction} replica set {} to {after} from {before}",
                    name(new)
                );
                out.actions.push(self.scaling_event(&message));
            }
            out.update_if_changed(k, old, new.clone());
        }
        let new_rs = self
            .new
            .map(|i| self.sets[i].2.clone())
            .or_else(|| self.created.clone());
        let all: Vec<&Value> = self
            .sets
            .iter()
            .map(|(_, _, rs)| rs)
            .chain(self.created.as_ref())
            .collect();
        let sum = |field: &str| {
            all.iter()
                .map(|rs| count(&rs["status"][field], 0))
                .sum::<u32>()
        };
        let replicas = sum("replicas");
        let updated = new_rs
            .as_ref()
            .map_or(0, |rs| count(&rs["status"]["replicas"], 0));
        let ready = sum("readyReplicas");
        let available = sum("availableReplicas");
        let unavailable = self.total_spec().saturating_sub(available);
        let mut status = self.status.clone();
        let obj = status.as_object_mut().expect("status is an object");
        obj.insert("observedGeneration".into(), json!(generation(d)));
        for (field, value) in [
            ("replicas", replicas),
            ("updatedReplicas", updated),
            ("readyReplicas", ready),
            ("availableReplicas", available),
            ("unavailableReplicas", unavailable),
        ] {
            if value > 0 {
                obj.insert(field.into(), json!(value));
            } else {
                obj.remove(field);
            }
        }
        if available >= self.replicas.saturating_sub(self.max_unavailable()) {
            set_condition(
                &mut status,
                new_condition(
                    self.clock,
                    "Available",
                    "True",
                    "MinimumReplicasAvailable",
                    "Deployment has minimum availability.",
                ),
            );
        } else {
            set_condition(
                &mut status,
                new_condition(
                    self.clock,
                    "Available",
                    "False",
                    "MinimumReplicasUnavailable",
                    "Deployment does not have minimum availability.",
                ),
            );
        }
        self.progress(&mut status, new_rs.as_ref(), out);
        sort_conditions(&mut status);
        let mut next = d.clone();
        next["status"] = status;
        if self.meta_annotations.is_empty() {
            if let Some(m) = next["metadata"].as_object_mut() {
                m.remove("annotations");
            }
        } else {
            next["metadata"]["annotations"] =
                Value::Object(std::mem::take(&mut self.meta_annotations));
        }
        out.update_if_changed(key_, d, next);
    }

    /// The deployment controller's `ScalingReplicaSet` event, which `kubectl describe
    /// deployment` shows.
    fn scaling_event(&self, message: &str) -> Action {
        event(
            self.clock,
            self.d,
            "apps/v1",
            "Deployment",
            "deployment-controller",
            "ScalingReplicaSet",
            message,
        )
    }

    /// `syncRolloutStatus`: the Progressing condition against the deadline.
    fn progress(&self, status: &mut Value, new_rs: Option<&Value>, out: &mut Outcome) {
        let Some(deadline) = self.deadline() else {
            remove_condition(status, "Progressing");
            return;
        };
        let old = &self.d["status"];
        let current = condition(status, "Progressing").cloned();
        let reason = current
            .as_ref()
            .and_then(|c| c["reason"].as_str())
            .unwrap_or_default();
        let already_complete = count(&status["replicas"], 0)
            == count(&status["updatedReplicas"], 0)
            && reason == "NewReplicaSetAvailable";
        let subject = new_rs.map_or_else(
            || format!("Deployment \"{}\"", name(self.d)),
            |rs| format!("ReplicaSet \"{}\"", name(rs)),
        );
        if !already_complete {
            let old_olds =
                count(&old["replicas"], 0).saturating_sub(count(&old["updatedReplicas"], 0));
            let new_olds =
                count(&status["replicas"], 0).saturating_sub(count(&status["updatedReplicas"], 0));
            let progressed = count(&status["updatedReplicas"], 0)
                > count(&old["updatedReplicas"], 0)
                || new_olds < old_olds
                || count(&status["readyReplicas"], 0) > count(&old["readyReplicas"], 0)
                || count(&status["availableReplicas"], 0) > count(&old["availableReplicas"], 0);
            if self.is_complete(status) {
                set_condition(
                    status,
                    new_condition(
                        self.clock,
                        "Progressing",
                        "True",
                        "NewReplicaSetAvailable",
                        &format!("{subject} has successfully progressed."),
                    ),
                );
            } else if progressed {
                let mut cond = new_condition(
                    self.clock,
                    "Progressing",
                    "True",
                    "ReplicaSetUpdated",
                    &format!("{subject} is progressing."),
                );
                if let Some(c) = &current {
                    if c["status"] == "True" {
                        cond["lastTransitionTime"] = c["lastTransitionTime"].clone();
                    }
                    remove_condition(status, "Progressing");
                }
                set_condition(status, cond);
            } else if let Some(c) = &current
                && reason != "NewReplicaSetAvailable"
            {
                let since = c["lastUpdateTime"].as_str().and_then(Clock::parse);
                let timed_out = reason == "ProgressDeadlineExceeded"
                    || since.is_some_and(|t| self.clock.sim_elapsed_since(t) > f64::from(deadline));
                if timed_out {
                    set_condition(
                        status,
                        new_condition(
                            self.clock,
                            "Progressing",
                            "False",
                            "ProgressDeadlineExceeded",
                            &format!("{subject} has timed out progressing."),
                        ),
                    );
                } else if let Some(t) = since {
                    // Look again just after the deadline passes.
                    let left = f64::from(deadline) - self.clock.sim_elapsed_since(t);
                    out.requeue(self.clock.real(left) + 1.0);
                }
            }
        }
    }
}

/// Conditions in a stable order (Available, Progressing, then the rest by type), so that
/// rewriting the same conditions is not a change.
fn sort_conditions(status: &mut Value) {
    if let Some(list) = status["conditions"].as_array_mut() {
        let rank = |c: &Value| match c["type"].as_str() {
            Some("Available") => 0,
            Some("Progressing") => 1,
            _ => 2,
        };
        list.sort_by(|a, b| {
            rank(a)
                .cmp(&rank(b))
                .then_with(|| a["type"].as_str().cmp(&b["type"].as_str()))
        });
    }
}

fn revision(rs: &Value) -> u64 {
    annotation(rs, REVISION)
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}
