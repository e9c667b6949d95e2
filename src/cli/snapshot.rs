//! `kplan snapshot`: the target's live state saved as one file (`kplan.dev/snapshot/v1`), so
//! that `kplan diff|plan --against FILE` can compare with it later or where the target cannot
//! be reached (a PR job without cluster credentials).
//!
//! What is saved is either the objects a set of manifests names — read exactly as
//! `--against live` reads them, so a diff against the snapshot taken now equals a diff against
//! live — or, with `--namespace`/`--all-namespaces` and no manifests, every object of the kinds
//! people write manifests for ([`KINDS`]), without what the cluster, its controllers or kplan
//! itself made (see [`made_for_the_user`]).

use std::collections::{BTreeSet, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::apply::LiveSource;
use crate::client::{Client, ClientError};
use crate::release::{NAME_LABEL, OWNER, OWNER_LABEL};
use crate::state::{
    FetchRequest, LoadOptions, ManifestSet, ObjectKey, Scopes, Snapshot, StateSource as _, key_of,
    load_manifests,
};
use crate::time::now_rfc3339;

use super::ExitStatus;
use super::release_args::{SnapshotArgs, TargetArgs};
use super::target::{Target, runtime};

/// The kinds a namespace snapshot lists, in the order they are saved: what people write
/// manifests for. Left out on purpose: what controllers make from those (Pods, ReplicaSets,
/// ControllerRevisions, Endpoints, EndpointSlices), runtime records (Events, Leases) and custom
/// resources (their kinds are unknown here: name their manifests instead).
const KINDS: [(&str, &str); 18] = [
    ("", "ServiceAccount"),
    ("", "ConfigMap"),
    ("", "Secret"),
    ("", "Service"),
    ("", "PersistentVolumeClaim"),
    ("", "ResourceQuota"),
    ("", "LimitRange"),
    ("rbac.authorization.k8s.io", "Role"),
    ("rbac.authorization.k8s.io", "RoleBinding"),
    ("apps", "Deployment"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("batch", "Job"),
    ("batch", "CronJob"),
    ("autoscaling", "HorizontalPodAutoscaler"),
    ("policy", "PodDisruptionBudget"),
    ("networking.k8s.io", "Ingress"),
    ("networking.k8s.io", "NetworkPolicy"),
];

/// The cluster's own namespaces: `--all-namespaces` leaves them out (name one with
/// `--namespace` to save it), since no application's manifests hold their objects and
/// `plan --prune` against the snapshot would offer to delete them.
const SYSTEM_NAMESPACES: [&str; 3] = ["kube-system", "kube-public", "kube-node-lease"];

/// What to save.
#[derive(Debug, Clone)]
enum Selection {
    /// The objects these manifests name.
    Manifests {
        paths: Vec<PathBuf>,
        load: LoadOptions,
        /// Of objects that set none (`None`: the kubeconfig context's, as apply does).
        namespace: Option<String>,
    },
    /// Every object of [`KINDS`] in one namespace.
    Namespace(String),
    /// … in every namespace but the system ones.
    AllNamespaces,
}

impl Selection {
    /// `--namespace`: of the manifests' objects that set none, or the one to save.
    fn namespace(&self) -> Option<&str> {
        match self {
            Selection::Manifests { namespace, .. } => namespace.as_deref(),
            Selection::Namespace(ns) => Some(ns),
            Selection::AllNamespaces => None,
        }
    }
}

/// The command's flags, resolved.
struct Settings {
    selection: Selection,
    target: TargetArgs,
    /// `None`: stdout.
    out: Option<PathBuf>,
}

impl Settings {
    fn resolve(args: &SnapshotArgs) -> Result<Self, String> {
        let mut paths: Vec<PathBuf> = args.paths.iter().chain(&args.filenames).cloned().collect();
        paths.dedup();
        let selection = if !paths.is_empty() {
            Selection::Manifests {
                paths,
                load: LoadOptions {
                    max_file_bytes: args.max_file_size.saturating_mul(1 << 20),
                    ignore_non_k8s: args.ignore_non_k8s,
                },
                namespace: args.namespace.clone(),
            }
        } else if args.all_namespaces {
            Selection::AllNamespaces
        } else if let Some(ns) = &args.namespace {
            Selection::Namespace(ns.clone())
        } else {
            return Err("what should be saved? Give manifests (files or directories, `-` for stdin), or --namespace NS, or --all-namespaces".into());
        };
        Ok(Self {
            selection,
            target: args.target.clone(),
            out: args.out.clone().filter(|p| p.as_os_str() != "-"),
        })
    }
}

/// The objects to save, and what the user should hear about.
#[derive(Debug, Default)]
struct Collected {
    objects: Vec<Value>,
    /// Objects the manifests name that the target does not have.
    absent: Vec<String>,
    /// Manifest objects that cannot be looked up (`file:line: why`).
    skipped: Vec<String>,
    /// Objects of a namespace snapshot left out as the cluster's, a controller's or kplan's.
    not_the_users: usize,
}

pub fn run(args: &SnapshotArgs) -> ExitStatus {
    let settings = match Settings::resolve(args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("kplan snapshot: {e}");
            return ExitStatus::Usage;
        }
    };
    let fail = |m: &dyn std::fmt::Display| {
        eprintln!("kplan snapshot: {m}");
        ExitStatus::Failure
    };
    // `Snapshot::write` renames a temporary file onto the path: onto a directory that fails
    // after the temporary file is written, and leaves it behind. Said before any work instead.
    if let Some(out) = settings.out.as_deref().filter(|p| p.is_dir()) {
        return fail(&format!(
            "cannot write {}: it is a directory",
            out.display()
        ));
    }
    // The manifests are read before the target is reached: a typo in them should not wait for
    // a connection (or start a plane).
    let desired = match &settings.selection {
        Selection::Manifests { paths, load, .. } => match load_manifests(paths, *load) {
            Ok(set) => Some(set),
            Err(e) => return fail(&format!("cannot read the manifests:\n{e}")),
        },
        _ => None,
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => return fail(&e),
    };
    let target = match rt.block_on(Target::connect(&settings.target)) {
        Ok(t) => t,
        Err(e) => return fail(&format!("cannot reach the target: {e}")),
    };
    let taken_at = now_rfc3339();
    let namespace = settings.selection.namespace();
    let collected = match &desired {
        Some(desired) => of_manifests(desired, &target.client, &rt, namespace),
        None => rt
            .block_on(of_namespaces(&target.client, namespace))
            .map_err(|e| match e {
                NamespaceError::Missing(ns) => {
                    format!("namespace {ns} does not exist on {}", target.description)
                }
                // The client's errors name the server and context already.
                NamespaceError::Client(e) => e.to_string(),
            }),
    };
    let server = target.client.endpoint().server.clone();
    let description = target.description.clone();
    rt.block_on(target.shutdown());
    let collected = match collected {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    for s in &collected.skipped {
        eprintln!("kplan snapshot: warning: {s}");
    }
    if !collected.absent.is_empty() {
        // Named, but not all of them: a first snapshot of a new app would list every object.
        const NAMED: usize = 10;
        let more = match collected.absent.len().saturating_sub(NAMED) {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        eprintln!(
            "kplan snapshot: {} object{} of the manifests not on the target, so not in the snapshot (a diff against it shows them as created): {}{more}",
            collected.absent.len(),
            plural(collected.absent.len()),
            collected.absent[..collected.absent.len().min(NAMED)].join(", ")
        );
    }
    let secrets = collected
        .objects
        .iter()
        .filter(|o| o["apiVersion"] == "v1" && o["kind"] == "Secret")
        .count();
    let count = collected.objects.len();
    let snapshot = Snapshot::new(Some(server), Some(taken_at), collected.objects);
    let to = match save(&snapshot, settings.out.as_deref()) {
        Ok(Some(to)) => to,
        // A closed pipe (`kplan snapshot -n shop | head`) is the reader's choice, not a failure.
        Ok(None) => return ExitStatus::Success,
        Err(e) => return fail(&e),
    };
    let mut notes = Vec::new();
    if secrets > 0 {
        notes.push(format!(
            "the values of {secrets} Secret{} as salted digests",
            plural(secrets)
        ));
    }
    if collected.not_the_users > 0 {
        notes.push(format!(
            "left out {} made by the cluster, its controllers or kplan",
            collected.not_the_users
        ));
    }
    let notes = if notes.is_empty() {
        String::new()
    } else {
        format!(" ({})", notes.join("; "))
    };
    eprintln!(
        "kplan snapshot: {count} object{} of {description} saved to {to}{notes}",
        plural(count)
    );
    ExitStatus::Success
}

/// Writes the snapshot to `out` (`None`: stdout); answers where it went, or `None` when stdout
/// was closed.
fn save(snapshot: &Snapshot, out: Option<&Path>) -> Result<Option<String>, String> {
    if let Some(path) = out {
        return snapshot
            .write(path)
            .map(|()| Some(path.display().to_string()))
            .map_err(|e| format!("cannot write {}: {e}", path.display()));
    }
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(snapshot.to_json().as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(Some("stdout".to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(None),
        Err(e) => Err(format!("cannot write the snapshot: {e}")),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The live objects the manifests name, read through the same [`LiveSource`] as `kplan diff
/// --against live` (the same apiVersions and scopes), so that a diff against the snapshot
/// matches a diff against live at the time it was taken. Objects that set no namespace are
/// looked for in `namespace`, else the context's, where `kplan apply` puts them.
fn of_manifests(
    desired: &ManifestSet,
    client: &Client,
    rt: &tokio::runtime::Runtime,
    namespace: Option<&str>,
) -> Result<Collected, String> {
    let default_namespace = namespace.unwrap_or_else(|| client.default_namespace());
    let mut collected = Collected::default();
    let mut scopes = Scopes::new(default_namespace);
    for doc in &desired.docs {
        scopes.learn_crd(&doc.object);
    }
    for doc in desired.docs.iter().filter(|d| d.name.is_none()) {
        collected.skipped.push(format!(
            "{}: {} has no metadata.name (only a generateName?): it cannot be looked up, so it is not in the snapshot",
            doc.origin, doc.kind
        ));
    }
    let source = LiveSource::new(client, rt.handle().clone());
    source.learn_versions(desired.docs.iter().map(|d| d.object.as_ref()));
    let fetch = |scopes: &Scopes| {
        let keys = keys_of(desired, scopes);
        let state = source
            .fetch(&FetchRequest {
                keys: &keys,
                prune: None,
                scopes,
            })
            .map_err(|e| e.to_string())?;
        Ok::<_, String>((keys, state))
    };
    let (mut keys, mut state) = fetch(&scopes)?;
    // A CRD only the target has can make a custom kind cluster-scoped: key the objects again
    // with it, as the planner does (the manifests' own CRDs still win).
    let mut rescoped = Scopes::new(default_namespace);
    for crd in state
        .crds
        .iter()
        .chain(desired.docs.iter().map(|d| d.object.as_ref()))
    {
        rescoped.learn_crd(crd);
    }
    if keys_of(desired, &rescoped) != keys {
        (keys, state) = fetch(&rescoped)?;
    }
    let found: HashSet<&ObjectKey> = state.objects.iter().map(|o| &o.key).collect();
    collected.absent = keys
        .iter()
        .filter(|k| !found.contains(k))
        .map(ToString::to_string)
        .collect();
    // The source answers in the order asked: the manifests' order. Its objects come without
    // the ApplySet membership label kplan adds, which is bookkeeping, not state a manifest
    // asks for; a snapshot with it would diff as a label to remove.
    collected.objects = state
        .objects
        .into_iter()
        .map(|o| std::sync::Arc::unwrap_or_clone(o.object))
        .collect();
    Ok(collected)
}

/// The keys of the manifests' named objects, each once, in the manifests' order.
fn keys_of(desired: &ManifestSet, scopes: &Scopes) -> Vec<ObjectKey> {
    let mut seen = HashSet::new();
    desired
        .docs
        .iter()
        .filter_map(|d| key_of(&d.object, scopes))
        .filter(|k| seen.insert(k.clone()))
        .collect()
}

/// Every object of [`KINDS`] in `namespace` (or every namespace but the system ones), with the
/// Namespace objects themselves first, each kind read in the version the server prefers.
async fn of_namespaces(
    client: &Client,
    namespace: Option<&str>,
) -> Result<Collected, NamespaceError> {
    let mut namespaces: Vec<Value> = client
        .list("v1", "Namespace", None, None)
        .await?
        .into_iter()
        .filter(|n| {
            let name = n["metadata"]["name"].as_str().unwrap_or_default();
            namespace.map_or(!SYSTEM_NAMESPACES.contains(&name), |wanted| name == wanted)
        })
        .collect();
    if let Some(wanted) = namespace
        && namespaces.is_empty()
    {
        return Err(NamespaceError::Missing(wanted.to_string()));
    }
    namespaces.sort_by(|a, b| name_of(a).cmp(name_of(b)));
    let chosen: BTreeSet<String> = namespaces.iter().map(|n| name_of(n).to_string()).collect();
    let mut listed = Vec::new();
    for (group, kind) in KINDS {
        let Some(version) = client.preferred_version(group).await? else {
            continue;
        };
        let api_version = if group.is_empty() {
            version
        } else {
            format!("{group}/{version}")
        };
        // One cluster-wide LIST per kind rather than one per namespace: a cluster may have
        // hundreds of namespaces.
        let mut items: Vec<Value> = client
            .list(&api_version, kind, namespace, None)
            .await?
            .into_iter()
            .filter(|o| {
                o["metadata"]["namespace"]
                    .as_str()
                    .is_some_and(|ns| chosen.contains(ns))
            })
            .collect();
        items.sort_by(|a, b| {
            (a["metadata"]["namespace"].as_str(), name_of(a))
                .cmp(&(b["metadata"]["namespace"].as_str(), name_of(b)))
        });
        listed.extend(items);
    }
    let claims = claims_of_stateful_sets(&listed);
    let mut collected = Collected::default();
    for o in namespaces.into_iter().chain(listed) {
        if made_for_the_user(&o, &claims) {
            collected.objects.push(o);
        } else {
            collected.not_the_users += 1;
        }
    }
    for o in &mut collected.objects {
        crate::apply::strip_membership(o);
    }
    Ok(collected)
}

#[derive(Debug, thiserror::Error)]
enum NamespaceError {
    #[error("namespace {0} does not exist")]
    Missing(String),
    #[error(transparent)]
    Client(#[from] ClientError),
}

fn name_of(o: &Value) -> &str {
    o["metadata"]["name"].as_str().unwrap_or_default()
}

/// Whether an object is the user's rather than made by the cluster, a controller or kplan.
/// Those others would be noise in a diff against the snapshot, and `plan --prune` would offer
/// to delete them.
fn made_for_the_user(o: &Value, stateful_set_claims: &HashSet<(String, String)>) -> bool {
    let kind = o["kind"].as_str().unwrap_or_default();
    let name = name_of(o);
    let namespace = o["metadata"]["namespace"].as_str().unwrap_or_default();
    let labels = &o["metadata"]["labels"];
    let controlled = o["metadata"]["ownerReferences"]
        .as_array()
        .is_some_and(|refs| refs.iter().any(|r| r["controller"] == true));
    let made_by_the_cluster = match kind {
        // Their objects are saved, but the namespaces themselves are the cluster's: a plan
        // with `--prune` against the snapshot would offer to delete `default`.
        "Namespace" => name == "default" || SYSTEM_NAMESPACES.contains(&name),
        // Published into every namespace by the control plane.
        "ConfigMap" => name == "kube-root-ca.crt",
        "ServiceAccount" => name == "default",
        "Service" => namespace == "default" && name == "kubernetes",
        // Legacy token Secrets, made for service accounts on older clusters; and kplan's
        // release records and ApplySet parents, which are the history, not the state.
        "Secret" => {
            o["type"] == "kubernetes.io/service-account-token"
                || (labels[OWNER_LABEL] == OWNER && labels[NAME_LABEL].is_string())
        }
        // Claims the StatefulSet controller made from a volumeClaimTemplate: they carry no
        // owner reference unless a retention policy asks for one.
        "PersistentVolumeClaim" => {
            stateful_set_claims.contains(&(namespace.to_string(), name.to_string()))
        }
        _ => false,
    };
    !(controlled || made_by_the_cluster)
}

/// `(namespace, claim name)` of every claim the StatefulSets in `objects` may have made:
/// `<template>-<statefulset>-<ordinal>` for the ordinals below `spec.replicas`, and the
/// ordinals of a scale-down the controller kept the claims of (up to a generous bound).
fn claims_of_stateful_sets(objects: &[Value]) -> HashSet<(String, String)> {
    // Claims outlive a scale-down; a StatefulSet once scaled higher than this is rare enough to
    // show its extra claims rather than guess further.
    const KEPT_AFTER_SCALE_DOWN: u64 = 100;
    let mut claims = HashSet::new();
    for sts in objects.iter().filter(|o| o["kind"] == "StatefulSet") {
        let namespace = sts["metadata"]["namespace"].as_str().unwrap_or_default();
        let replicas = sts["spec"]["replicas"].as_u64().unwrap_or(1);
        let templates = sts["spec"]["volumeClaimTemplates"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        for template in templates {
            let template = name_of(template);
            for ordinal in 0..replicas.max(KEPT_AFTER_SCALE_DOWN) {
                claims.insert((
                    namespace.to_string(),
                    format!("{template}-{}-{ordinal}", name_of(sts)),
                ));
            }
        }
    }
    claims
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::release::PART_OF_LABEL;

    #[test]
    fn what_the_cluster_or_kplan_made_is_left_out() {
        let none = HashSet::new();
        let keep = json!({"kind": "ConfigMap", "metadata": {"name": "web", "namespace": "shop"}});
        assert!(made_for_the_user(&keep, &none));
        for made in [
            json!({"kind": "Namespace", "metadata": {"name": "default"}}),
            json!({"kind": "Namespace", "metadata": {"name": "kube-system"}}),
            json!({"kind": "ConfigMap", "metadata": {"name": "kube-root-ca.crt", "namespace": "shop"}}),
            json!({"kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "shop"}}),
            json!({"kind": "Service", "metadata": {"name": "kubernetes", "namespace": "default"}}),
            json!({"kind": "Secret", "type": "kubernetes.io/service-account-token", "metadata": {"name": "t", "namespace": "shop"}}),
            json!({"kind": "Secret", "type": "kplan.dev/release.v1", "metadata": {"name": "kplan.release.shop.v1", "namespace": "default",
                   "labels": {"owner": "kplan", "kplan.dev/release": "shop"}}}),
            json!({"kind": "Job", "metadata": {"name": "backup-123", "namespace": "shop",
                   "ownerReferences": [{"kind": "CronJob", "name": "backup", "controller": true}]}}),
        ] {
            assert!(!made_for_the_user(&made, &none), "{made}");
        }
        let user_service =
            json!({"kind": "Service", "metadata": {"name": "kubernetes", "namespace": "shop"}});
        assert!(made_for_the_user(&user_service, &none));
    }

    #[test]
    fn stateful_set_claims_are_the_controllers() {
        let sts = json!({"kind": "StatefulSet", "metadata": {"name": "db", "namespace": "shop"},
            "spec": {"replicas": 2, "volumeClaimTemplates": [{"metadata": {"name": "data"}}]}});
        let claims = claims_of_stateful_sets(&[sts]);
        let claim = |name: &str, ns: &str| json!({"kind": "PersistentVolumeClaim", "metadata": {"name": name, "namespace": ns}});
        assert!(!made_for_the_user(&claim("data-db-0", "shop"), &claims));
        assert!(!made_for_the_user(&claim("data-db-1", "shop"), &claims));
        assert!(made_for_the_user(&claim("data-db-0", "other"), &claims));
        assert!(made_for_the_user(&claim("uploads", "shop"), &claims));
    }

    #[test]
    fn the_membership_label_goes_and_empty_labels_with_it() {
        let mut o = json!({"metadata": {"name": "a", "labels": {PART_OF_LABEL: "applyset-x-v1"}}});
        crate::apply::strip_membership(&mut o);
        assert_eq!(o, json!({"metadata": {"name": "a"}}));
        let mut o = json!({"metadata": {"labels": {PART_OF_LABEL: "x", "app": "web"}}});
        crate::apply::strip_membership(&mut o);
        assert_eq!(o, json!({"metadata": {"labels": {"app": "web"}}}));
    }

    fn args(line: &[&str]) -> Result<SnapshotArgs, clap::Error> {
        use clap::Parser as _;
        #[derive(clap::Parser)]
        struct Wrapper {
            #[command(flatten)]
            args: SnapshotArgs,
        }
        Wrapper::try_parse_from(std::iter::once("snapshot").chain(line.iter().copied()))
            .map(|w| w.args)
    }

    #[test]
    fn flags_choose_what_is_saved() {
        let s =
            Settings::resolve(&args(&["k8s/", "-o", "snap.json", "-n", "dev"]).unwrap()).unwrap();
        assert!(matches!(
            &s.selection,
            Selection::Manifests { paths, namespace: Some(ns), .. } if paths == &[PathBuf::from("k8s/")] && ns == "dev"
        ));
        assert_eq!(s.out, Some(PathBuf::from("snap.json")));
        let s = Settings::resolve(&args(&["-n", "shop", "-o", "-"]).unwrap()).unwrap();
        assert!(matches!(&s.selection, Selection::Namespace(ns) if ns == "shop"));
        assert_eq!(s.out, None, "`-` is stdout");
        let s = Settings::resolve(&args(&["-A"]).unwrap()).unwrap();
        assert!(matches!(s.selection, Selection::AllNamespaces));
        assert!(Settings::resolve(&args(&[]).unwrap()).is_err());
        assert!(args(&["k8s/", "-A"]).is_err());
        assert!(args(&["-n", "x", "-A"]).is_err());
    }
}
