//! Runs the controllers: one store watch feeds the cache and marks what needs a look; the
//! marked objects are reconciled in a fixed kind order; their writes go to the store (and
//! straight into the cache, so the next reconcile never acts on what it already changed);
//! timers wake objects whose state changes with time (pods starting, deadlines).

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashSet};
use std::time::Duration;

use futures_util::FutureExt as _;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::super::finalizers;
use super::super::http::meta::new_uid;
use super::super::random::name_suffix;
use super::super::store::{EventType, Store, StoreError, Stored};
use super::action::{Action, Outcome};
use super::cache::Cache;
use super::clock::Clock;
use super::object::{
    controller_of, key, label, map_selector_matches, name, namespace, owner_uids, uid,
};
use super::options::SimOptions;
use super::{daemonset, deployment, endpoints, job, nodes, pod, replicaset, statefulset};

/// The prefixes the controllers read; other keys are ignored.
const TRACKED: &[&str] = &[
    "/apps/deployments/",
    "/apps/replicasets/",
    "/apps/statefulsets/",
    "/apps/daemonsets/",
    "/apps/controllerrevisions/",
    "/batch/jobs/",
    "/core/pods/",
    "/core/services/",
    "/core/endpoints/",
    "/core/nodes/",
    "/core/persistentvolumeclaims/",
    "/discovery.k8s.io/endpointslices/",
];

/// Reconcile order within one pass: owners before what they own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// Deleting what a deleted owner owned (background cascading deletion).
    Garbage,
    /// Owners deleted in the foreground: their dependents go first, then they do.
    Foreground,
    Nodes,
    Deployment,
    ReplicaSet,
    StatefulSet,
    DaemonSet,
    Job,
    Pod,
    Service,
}

/// Reconciles in one pass before the loop looks at the watch again.
const PASS_LIMIT: usize = 20_000;

/// The running controllers; [`Controllers::stop`] ends them.
pub struct Controllers {
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Controllers {
    pub fn spawn(store: Store, opts: SimOptions) -> Controllers {
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(run(store, opts, stopped));
        Controllers {
            stop: Some(stop),
            task,
        }
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

struct Runtime {
    store: Store,
    opts: SimOptions,
    cache: Cache,
    dirty: BTreeSet<(Kind, String)>,
    timers: BinaryHeap<Reverse<(Instant, Kind, String)>>,
}

async fn run(store: Store, opts: SimOptions, mut stopped: oneshot::Receiver<()>) {
    let mut rt = Runtime {
        store,
        opts,
        cache: Cache::default(),
        dirty: BTreeSet::new(),
        timers: BinaryHeap::new(),
    };
    loop {
        let revision = match rt.resync().await {
            Ok(revision) => revision,
            Err(StoreError::Closed) => return,
            Err(_) => {
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let mut watch = match rt.store.watch("/", revision) {
            Ok(w) => w,
            Err(StoreError::Closed) => return,
            Err(_) => continue,
        };
        loop {
            rt.pass().await;
            let wake = rt.timers.peek().map(|Reverse((at, _, _))| *at);
            let event = tokio::select! {
                _ = &mut stopped => return,
                event = watch.next() => event,
                () = sleep_until(wake) => {
                    rt.fire_timers();
                    continue;
                }
            };
            match event {
                Some(Ok(e)) => rt.on_event(e.kind, &e.object),
                Some(Err(_)) => break,
                None => return,
            }
            // Take whatever else is already queued before reconciling.
            while let Some(Some(Ok(e))) = watch.next().now_or_never() {
                rt.on_event(e.kind, &e.object);
            }
        }
    }
}

fn tracked(key: &str) -> bool {
    TRACKED.iter().any(|p| key.starts_with(p))
}

/// What the garbage collector needs of an object the controllers do not otherwise read.
fn slim(v: &Value) -> Value {
    let m = &v["metadata"];
    let mut meta = serde_json::Map::new();
    for field in [
        "name",
        "namespace",
        "uid",
        "ownerReferences",
        "finalizers",
        "deletionTimestamp",
    ] {
        if let Some(x) = m.get(field) {
            meta.insert(field.into(), x.clone());
        }
    }
    json!({"metadata": meta})
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

impl Runtime {
    /// Loads every tracked object at one revision and marks all of them; removes what lost
    /// its owner while the server was down.
    async fn resync(&mut self) -> Result<i64, StoreError> {
        let store = self.store.clone();
        let (revision, items) = tokio::task::spawn_blocking(move || {
            let at = store.revision();
            let list = store.list("/", None, 0, Some(at))?;
            Ok::<_, StoreError>((at, list.items))
        })
        .await
        .map_err(|e| StoreError::Sqlite(e.to_string()))??;
        self.cache.clear();
        for s in items {
            // Foreground deletions that were pending when the server stopped go on.
            if finalizers::being_deleted(&s.value)
                && finalizers::finalizers(&s.value).contains(&finalizers::FOREGROUND)
            {
                self.dirty.insert((Kind::Foreground, s.key.clone()));
            }
            let value = if tracked(&s.key) {
                s.value
            } else {
                slim(&s.value)
            };
            self.cache.put(&s.key, s.revision, value);
        }
        let keys: Vec<(String, Value)> = TRACKED
            .iter()
            .flat_map(|p| {
                self.cache
                    .list(p)
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect::<Vec<_>>()
            })
            .collect();
        for (k, v) in &keys {
            self.mark(k, v);
        }
        self.dirty.insert((Kind::Nodes, String::new()));
        let orphans = self.orphans();
        let deletes = Outcome {
            actions: orphans
                .into_iter()
                .map(|key| Action::Collect { key })
                .collect(),
            requeue_after: None,
        };
        self.execute(vec![((Kind::Garbage, String::new()), deletes)])
            .await;
        Ok(revision)
    }

    /// Objects every one of whose owners is gone (deleted while the server was down): the
    /// garbage collector deletes them, as Kubernetes' does.
    fn orphans(&self) -> Vec<String> {
        let uids: HashSet<&str> = self.cache.list("/").map(|(_, v)| uid(v)).collect();
        self.cache
            .list("/")
            .filter(|(_, v)| {
                let mut owners = owner_uids(v).peekable();
                owners.peek().is_some() && owners.all(|o| !uids.contains(o))
            })
            .map(|(k, _)| k.to_string())
            .collect()
    }

    fn on_event(&mut self, kind: EventType, object: &Stored) {
        if kind != EventType::Deleted
            && finalizers::being_deleted(&object.value)
            && finalizers::finalizers(&object.value).contains(&finalizers::FOREGROUND)
        {
            self.dirty.insert((Kind::Foreground, object.key.clone()));
        }
        if !tracked(&object.key) {
            // Only identity and owners, for garbage collection.
            match kind {
                EventType::Added | EventType::Modified => {
                    self.cache
                        .put(&object.key, object.revision, slim(&object.value));
                }
                EventType::Deleted => {
                    if let Some(old) = self.cache.remove(&object.key, object.revision) {
                        self.collect_garbage(&old);
                    }
                }
            }
            self.cache.forget_tombstones_up_to(object.revision);
            return;
        }
        match kind {
            EventType::Added | EventType::Modified => {
                if self
                    .cache
                    .put(&object.key, object.revision, object.value.clone())
                {
                    self.mark(&object.key, &object.value);
                }
            }
            EventType::Deleted => {
                if let Some(old) = self.cache.remove(&object.key, object.revision) {
                    self.collect_garbage(&old);
                    self.mark(&object.key, &old);
                }
            }
        }
        self.cache.forget_tombstones_up_to(object.revision);
    }

    /// Foreground cascading deletion of the owner at `k`: collect its dependents, and once
    /// none is left, take the `foregroundDeletion` finalizer off (which deletes it).
    fn foreground(&self, k: &str) -> Outcome {
        let mut outcome = Outcome::default();
        let Some(owner) = self.cache.get(k) else {
            return outcome;
        };
        if !finalizers::being_deleted(owner)
            || !finalizers::finalizers(owner).contains(&finalizers::FOREGROUND)
        {
            return outcome;
        }
        let dependents = self.cache.children(uid(owner));
        if dependents.is_empty() {
            outcome.actions.push(Action::Finish {
                key: k.to_string(),
                finalizer: finalizers::FOREGROUND,
            });
            return outcome;
        }
        for child in dependents {
            if self
                .cache
                .get(&child)
                .is_some_and(|c| !finalizers::being_deleted(c))
            {
                outcome.actions.push(Action::Collect { key: child });
            }
        }
        // Dependents leave through their own events; look again shortly.
        outcome.requeue(0.1);
        outcome
    }

    /// Background cascading deletion: what the deleted object owned is deleted next pass.
    fn collect_garbage(&mut self, deleted: &Value) {
        let owner = uid(deleted);
        if owner.is_empty() {
            return;
        }
        for child in self.cache.children(owner) {
            self.dirty.insert((Kind::Garbage, child));
        }
    }

    /// What to reconcile because the object at `k` changed.
    fn mark(&mut self, k: &str, v: &Value) {
        let ns = namespace(v);
        let owner = controller_of(v).map(|(kind, n, _)| (kind.to_string(), n.to_string()));
        let own = |kind: &str| {
            owner
                .as_ref()
                .filter(|(k, _)| k == kind)
                .map(|(_, n)| n.clone())
        };
        if k.starts_with("/apps/deployments/") {
            self.dirty.insert((Kind::Deployment, k.to_string()));
        } else if k.starts_with("/apps/replicasets/") {
            self.dirty.insert((Kind::ReplicaSet, k.to_string()));
            if let Some(d) = own("Deployment") {
                self.dirty
                    .insert((Kind::Deployment, key("apps", "deployments", ns, &d)));
            }
        } else if k.starts_with("/apps/statefulsets/") {
            self.dirty.insert((Kind::StatefulSet, k.to_string()));
        } else if k.starts_with("/apps/daemonsets/") {
            self.dirty.insert((Kind::DaemonSet, k.to_string()));
        } else if k.starts_with("/batch/jobs/") {
            self.dirty.insert((Kind::Job, k.to_string()));
        } else if k.starts_with("/apps/controllerrevisions/") {
            if let Some(s) = own("StatefulSet") {
                self.dirty
                    .insert((Kind::StatefulSet, key("apps", "statefulsets", ns, &s)));
            }
            if let Some(s) = own("DaemonSet") {
                self.dirty
                    .insert((Kind::DaemonSet, key("apps", "daemonsets", ns, &s)));
            }
        } else if k.starts_with("/core/pods/") {
            self.dirty.insert((Kind::Pod, k.to_string()));
            if let Some((kind, n)) = &owner {
                let target = match kind.as_str() {
                    "ReplicaSet" => Some((Kind::ReplicaSet, key("apps", "replicasets", ns, n))),
                    "StatefulSet" => Some((Kind::StatefulSet, key("apps", "statefulsets", ns, n))),
                    "DaemonSet" => Some((Kind::DaemonSet, key("apps", "daemonsets", ns, n))),
                    "Job" => Some((Kind::Job, key("batch", "jobs", ns, n))),
                    _ => None,
                };
                if let Some(t) = target {
                    self.dirty.insert(t);
                }
            }
            let services: Vec<String> = self
                .cache
                .list(&format!("/core/services/{ns}/"))
                .filter(|(_, s)| {
                    s["spec"]["selector"]
                        .as_object()
                        .is_some_and(|sel| map_selector_matches(sel, &v["metadata"]["labels"]))
                })
                .map(|(sk, _)| sk.to_string())
                .collect();
            for s in services {
                self.dirty.insert((Kind::Service, s));
            }
        } else if k.starts_with("/core/services/") {
            self.dirty.insert((Kind::Service, k.to_string()));
        } else if k.starts_with("/core/endpoints/") {
            self.dirty
                .insert((Kind::Service, key("", "services", ns, name(v))));
        } else if k.starts_with("/discovery.k8s.io/endpointslices/") {
            if let Some(svc) = label(v, "kubernetes.io/service-name") {
                self.dirty
                    .insert((Kind::Service, key("", "services", ns, svc)));
            }
        } else if k.starts_with("/core/nodes/") {
            self.dirty.insert((Kind::Nodes, String::new()));
            let daemonsets: Vec<String> = self
                .cache
                .list("/apps/daemonsets/")
                .map(|(d, _)| d.to_string())
                .collect();
            for d in daemonsets {
                self.dirty.insert((Kind::DaemonSet, d));
            }
            let unscheduled: Vec<String> = self
                .cache
                .list("/core/pods/")
                .filter(|(_, p)| p["spec"]["nodeName"].is_null())
                .map(|(p, _)| p.to_string())
                .collect();
            for p in unscheduled {
                self.dirty.insert((Kind::Pod, p));
            }
        }
    }

    fn fire_timers(&mut self) {
        let now = Instant::now();
        while let Some(Reverse((at, _, _))) = self.timers.peek() {
            if *at > now {
                break;
            }
            let Reverse((_, kind, k)) = self.timers.pop().expect("peeked");
            self.dirty.insert((kind, k));
        }
    }

    /// Reconciles everything marked, including what those reconciles mark in turn. Objects of
    /// one kind are reconciled together and their writes sent at once, so a thousand pods
    /// starting cost a few group commits, not a thousand.
    async fn pass(&mut self) {
        let mut done = 0;
        while let Some(&(kind, _)) = self.dirty.first() {
            if done > PASS_LIMIT {
                tokio::task::yield_now().await;
                return;
            }
            let mut batch = Vec::new();
            while let Some(entry) = self.dirty.first().filter(|(k, _)| *k == kind) {
                let entry = entry.clone();
                self.dirty.remove(&entry);
                batch.push(entry.1);
            }
            done += batch.len();
            let clock = Clock::system(self.opts.speed);
            let outcomes: Vec<((Kind, String), Outcome)> = batch
                .into_iter()
                .map(|k| {
                    let outcome = self.reconcile(kind, &k, &clock);
                    ((kind, k), outcome)
                })
                .collect();
            self.execute(outcomes).await;
        }
    }

    fn reconcile(&self, kind: Kind, k: &str, clock: &Clock) -> Outcome {
        match kind {
            Kind::Garbage => Outcome {
                actions: if self.cache.get(k).is_some() {
                    vec![Action::Collect { key: k.to_string() }]
                } else {
                    Vec::new()
                },
                requeue_after: None,
            },
            Kind::Foreground => self.foreground(k),
            Kind::Nodes => nodes::reconcile(
                &self.cache,
                self.opts.nodes,
                &self.opts.kubelet_version,
                clock,
            ),
            Kind::Deployment => deployment::reconcile(&self.cache, k, clock),
            Kind::ReplicaSet => replicaset::reconcile(&self.cache, k, clock),
            Kind::StatefulSet => statefulset::reconcile(&self.cache, k, clock),
            Kind::DaemonSet => daemonset::reconcile(&self.cache, k, clock),
            Kind::Job => job::reconcile(&self.cache, k, clock),
            Kind::Pod => pod::reconcile(&self.cache, k, clock, &self.opts),
            Kind::Service => endpoints::reconcile(&self.cache, k),
        }
    }

    /// Performs the writes of many reconciles concurrently (they share group commits), then
    /// takes the results into the cache. A reconcile whose write lost a race looks again soon.
    async fn execute(&mut self, outcomes: Vec<((Kind, String), Outcome)>) {
        let mut writes = Vec::new();
        let mut origins = Vec::new();
        for (origin, outcome) in outcomes {
            if let Some(after) = outcome.requeue_after {
                let at = Instant::now() + Duration::from_secs_f64(after.min(86_400.0));
                self.timers.push(Reverse((at, origin.0, origin.1.clone())));
            }
            for action in outcome.actions {
                writes.push((origins.len(), action));
            }
            origins.push(origin);
        }
        if writes.is_empty() {
            return;
        }
        let store = &self.store;
        let results =
            futures_util::future::join_all(writes.into_iter().map(|(origin, action)| async move {
                let result = perform(store, &action).await;
                (origin, result)
            }))
            .await;
        let mut retry = BTreeSet::new();
        for (origin, result) in results {
            match result {
                Ok(Done::Deleted(stored)) => {
                    if let Some(old) = self.cache.remove(&stored.key, stored.revision) {
                        self.collect_garbage(&old);
                        self.mark(&stored.key, &old);
                    }
                }
                Ok(Done::Wrote(stored)) => {
                    let (k, rev, v) = (stored.key, stored.revision, stored.value);
                    if self.cache.put(&k, rev, v.clone()) {
                        self.mark(&k, &v);
                    }
                }
                Ok(Done::Nothing) | Err(StoreError::NotFound) => {}
                Err(_) => {
                    retry.insert(origin);
                }
            }
        }
        for i in retry {
            // Someone else wrote first; the watch brings their version.
            let (kind, k) = origins[i].clone();
            self.timers.push(Reverse((
                Instant::now() + Duration::from_millis(50),
                kind,
                k,
            )));
        }
    }
}

/// What a performed action did.
enum Done {
    Wrote(Stored),
    Deleted(Stored),
    /// Nothing to write (a finalizer already gone, a deletion already pending).
    Nothing,
}

async fn perform(store: &Store, action: &Action) -> Result<Done, StoreError> {
    match action {
        Action::Delete { key } => store.delete(key.clone(), None).await.map(Done::Deleted),
        Action::Collect { key } => {
            let current = store.get(key)?.ok_or(StoreError::NotFound)?;
            let now = crate::time::now_rfc3339();
            match finalizers::mark_for_deletion(&current.value, None, &now) {
                None => store
                    .delete(key.clone(), Some(current.revision))
                    .await
                    .map(Done::Deleted),
                Some(_) if finalizers::being_deleted(&current.value) => Ok(Done::Nothing),
                Some(marked) => store
                    .update(key.clone(), Some(current.revision), marked)
                    .await
                    .map(|w| Done::Wrote(w.into_stored())),
            }
        }
        Action::Finish { key, finalizer } => {
            let current = store.get(key)?.ok_or(StoreError::NotFound)?;
            if !finalizers::finalizers(&current.value).contains(finalizer) {
                return Ok(Done::Nothing);
            }
            let next = finalizers::without(&current.value, finalizer);
            if finalizers::released(&current.value, &next) {
                store
                    .delete(key.clone(), Some(current.revision))
                    .await
                    .map(Done::Deleted)
            } else {
                store
                    .update(key.clone(), Some(current.revision), next)
                    .await
                    .map(|w| Done::Wrote(w.into_stored()))
            }
        }
        Action::Create { collection, value } => {
            let mut value = value.clone();
            let generated = value["metadata"]["name"].as_str().is_none();
            for _ in 0..4 {
                let mut v = value.clone();
                let name = if let Some(n) = v["metadata"]["name"].as_str() {
                    n.to_string()
                } else {
                    let base = v["metadata"]["generateName"].as_str().unwrap_or("x-");
                    format!("{}{}", truncate(base, 58), name_suffix())
                };
                let meta = v["metadata"]
                    .as_object_mut()
                    .expect("controllers build metadata");
                meta.insert("name".into(), json!(name));
                meta.insert("uid".into(), json!(new_uid()));
                meta.insert(
                    "creationTimestamp".into(),
                    json!(crate::time::now_rfc3339()),
                );
                meta.remove("resourceVersion");
                if collection.starts_with("/apps/") || collection.starts_with("/batch/") {
                    meta.insert("generation".into(), json!(1));
                }
                match store.create(format!("{collection}{name}"), v).await {
                    Err(StoreError::AlreadyExists) if generated => {
                        value["metadata"]
                            .as_object_mut()
                            .expect("object")
                            .remove("name");
                    }
                    other => return other.map(Done::Wrote),
                }
            }
            Err(StoreError::AlreadyExists)
        }
        Action::Update { key, value } => {
            let expected = value["metadata"]["resourceVersion"]
                .as_str()
                .and_then(|r| r.parse().ok());
            store
                .update(key.clone(), expected, value.clone())
                .await
                .map(|w| Done::Wrote(w.into_stored()))
        }
    }
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}
