//! From desired manifests and a source of current state to a [`Plan`]: match objects by
//! identity, diff each pair (in parallel), decide the action and its reason, plan rollouts,
//! check dependencies, order everything.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::Value;

use crate::diff::{DiffContext, DiffOptions, KindSchema, ObjectDiff};
use crate::schema::{Gvk, KubeVersion, SchemaRegistry, crd_schemas};
use crate::state::{
    CurrentObject, FetchRequest, ManifestDoc, ManifestSet, ObjectKey, PruneScope, Scopes,
    StateError, StateSource, key_of,
};

use super::config_consumers::check_config_consumers;
use super::immutable::forced_replacements;
use super::order::apply_key;
use super::rollout_plan::plan_rollout;
use super::{Action, Plan, PlanSummary, PlanWarning, PlannedObject};

/// Namespaces every cluster has.
const SYSTEM_NAMESPACES: [&str; 4] = ["default", "kube-system", "kube-public", "kube-node-lease"];

/// API groups of built-in kinds (anything else is a custom resource and needs its CRD).
fn is_builtin_group(group: &str) -> bool {
    matches!(
        group,
        "" | "apps" | "batch" | "autoscaling" | "policy" | "extensions"
    ) || group.ends_with(".k8s.io")
}

#[derive(Debug, Clone)]
pub struct PlanOptions {
    pub diff: DiffOptions,
    /// Delete current objects that are not in the manifests.
    pub prune: bool,
    /// Whose bundled schemas describe built-in kinds (keyed lists, quantities).
    pub kubernetes_version: KubeVersion,
    /// Where namespaced objects without `metadata.namespace` go.
    pub default_namespace: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{0}")]
    State(#[from] StateError),
    #[error("{key} is defined twice in the manifests: {first} and {second}")]
    DuplicateDesired {
        key: String,
        first: String,
        second: String,
    },
    #[error("{0}")]
    Schema(String),
}

/// Builds the plan. Reads nothing but what `source` fetches.
pub fn build_plan(
    desired: &ManifestSet,
    source: &dyn StateSource,
    options: &PlanOptions,
) -> Result<Plan, PlanError> {
    let mut warnings = Vec::new();
    let mut scopes = Scopes::new(options.default_namespace.clone());
    for doc in &desired.docs {
        scopes.learn_crd(&doc.object);
    }
    let mut wanted = key_desired(desired, &scopes, &mut warnings)?;
    let mut keys: Vec<ObjectKey> = wanted.iter().map(|(k, _)| k.clone()).collect();
    let mut scope = prune_scope(&keys);
    let mut state = source.fetch(&FetchRequest {
        keys: &keys,
        prune: Some(&scope),
        scopes: &scopes,
    })?;
    // A CRD that only the current state has can make its kind cluster-scoped: key the desired
    // objects again with it and ask once more (the manifests' own CRDs still win).
    let mut rescoped = Scopes::new(options.default_namespace.clone());
    for crd in state
        .crds
        .iter()
        .chain(desired.docs.iter().map(|d| &*d.object))
    {
        rescoped.learn_crd(crd);
    }
    let rekeyed = key_desired(desired, &rescoped, &mut Vec::new())?;
    if rekeyed.iter().map(|(k, _)| k).ne(keys.iter()) {
        wanted = rekeyed;
        keys = wanted.iter().map(|(k, _)| k.clone()).collect();
        scope = prune_scope(&keys);
        state = source.fetch(&FetchRequest {
            keys: &keys,
            prune: Some(&scope),
            scopes: &rescoped,
        })?;
    }

    let registry = schemas(options, desired, &state.crds)?;
    let schemas = kind_schemas(
        &registry,
        desired
            .docs
            .iter()
            .map(|d| (d.api_version.as_str(), d.kind.as_str()))
            .chain(state.prune_candidates.iter().map(|c| {
                (
                    c.object["apiVersion"].as_str().unwrap_or_default(),
                    c.key.kind.as_str(),
                )
            })),
    );
    let current: HashMap<&ObjectKey, &CurrentObject> =
        state.objects.iter().map(|c| (&c.key, c)).collect();
    let desired_keys: HashSet<&ObjectKey> = keys.iter().collect();
    let pruned: Vec<&CurrentObject> = state
        .prune_candidates
        .iter()
        .filter(|c| !desired_keys.contains(&c.key))
        .collect();

    // Budgets from both sides: a budget already in the cluster protects the pods as well.
    let pdbs: Vec<Value> = wanted
        .iter()
        .filter(|(k, _)| is_pdb(k))
        .map(|(k, d)| with_namespace(&d.object, k))
        .chain(
            state
                .objects
                .iter()
                .chain(&state.prune_candidates)
                .filter(|c| is_pdb(&c.key) && !desired_keys.contains(&c.key))
                .map(|c| with_namespace(&c.object, &c.key)),
        )
        .collect();
    let pdbs: Vec<&Value> = pdbs.iter().collect();

    let mut planned: Vec<PlannedObject> = wanted
        .par_iter()
        .map(|(key, doc)| {
            plan_one(
                key,
                doc,
                current.get(key).copied(),
                &schemas,
                &options.diff,
                &pdbs,
            )
        })
        .collect();
    if options.prune {
        planned.extend(
            pruned
                .iter()
                .map(|c| plan_delete(c, &schemas, &options.diff)),
        );
    }
    let unmanaged = if options.prune {
        Vec::new()
    } else {
        pruned.iter().map(|c| c.key.clone()).collect()
    };

    check_dependencies(&planned, &state.crds, &state.namespaces, &mut warnings);
    check_config_consumers(&planned, &mut warnings);
    order(&mut planned);
    let mut summary = PlanSummary::default();
    for p in &planned {
        summary.add(p.action);
    }
    Ok(Plan {
        against: source.info(),
        objects: planned,
        unmanaged,
        warnings,
        summary,
        prune: options.prune,
        ignore: options
            .diff
            .ignore
            .iter()
            .map(ToString::to_string)
            .collect(),
    })
}

/// The desired objects with their identities; unnamed ones are warned about and left out, a
/// duplicate is an error.
fn key_desired<'d>(
    desired: &'d ManifestSet,
    scopes: &Scopes,
    warnings: &mut Vec<PlanWarning>,
) -> Result<Vec<(ObjectKey, &'d ManifestDoc)>, PlanError> {
    let mut wanted = Vec::new();
    let mut seen: HashMap<ObjectKey, &ManifestDoc> = HashMap::new();
    for doc in &desired.docs {
        let Some(key) = key_of(&doc.object, scopes) else {
            warnings.push(PlanWarning {
                object: Some(format!("{} {}", doc.kind, doc.origin)),
                message: "has no metadata.name (generateName creates a new object on every apply), so it cannot be planned".into(),
            });
            continue;
        };
        if let Some(first) = seen.insert(key.clone(), doc) {
            return Err(PlanError::DuplicateDesired {
                key: key.to_string(),
                first: first.origin.to_string(),
                second: doc.origin.to_string(),
            });
        }
        wanted.push((key, doc));
    }
    Ok(wanted)
}

/// The kinds and namespaces of the desired objects, for a live source's prune search.
fn prune_scope(keys: &[ObjectKey]) -> PruneScope {
    PruneScope {
        kinds: keys
            .iter()
            .map(|k| (k.group.clone(), k.kind.clone()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        namespaces: keys
            .iter()
            .filter_map(|k| k.namespace.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
    }
}

fn is_pdb(key: &ObjectKey) -> bool {
    key.group == "policy" && key.kind == "PodDisruptionBudget"
}

/// The object with its namespace as resolved (manifests may leave it to the default).
fn with_namespace(object: &Value, key: &ObjectKey) -> Value {
    let mut o = object.clone();
    if let Some(ns) = &key.namespace
        && o["metadata"].is_object()
    {
        o["metadata"]["namespace"] = Value::from(ns.as_str());
    }
    o
}

/// The bundled schemas of the version, plus the CRDs of both sides (first definition wins).
fn schemas(
    options: &PlanOptions,
    desired: &ManifestSet,
    current_crds: &[Value],
) -> Result<SchemaRegistry, PlanError> {
    let mut registry = SchemaRegistry::new(options.kubernetes_version, false)
        .map_err(|e| PlanError::Schema(e.to_string()))?;
    let crds = desired
        .docs
        .iter()
        .filter(|d| d.kind == "CustomResourceDefinition")
        .map(|d| &*d.object)
        .chain(current_crds);
    for crd in crds {
        // A CRD kplan cannot read leaves its resources untyped; validation reports it.
        if let Ok(found) = crd_schemas(crd, false) {
            for s in found {
                registry.add_crd(s);
            }
        }
    }
    Ok(registry)
}

/// Each kind's schema, looked up once (a lookup copies the kind's definition).
type SchemaCache = HashMap<(String, String), Option<KindSchema>>;

fn kind_schemas<'a>(
    registry: &SchemaRegistry,
    kinds: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> SchemaCache {
    let mut cache = SchemaCache::new();
    for (api_version, kind) in kinds {
        cache
            .entry((api_version.to_string(), kind.to_string()))
            .or_insert_with(|| {
                let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
                registry
                    .schema_of(&Gvk::new(group, version, kind))
                    .map(|(root, defs)| KindSchema::new(root, defs))
            });
    }
    cache
}

fn kind_schema<'c>(
    cache: &'c SchemaCache,
    api_version: &str,
    kind: &str,
) -> Option<&'c KindSchema> {
    cache
        .get(&(api_version.to_string(), kind.to_string()))
        .and_then(Option::as_ref)
}

fn plan_one(
    key: &ObjectKey,
    doc: &ManifestDoc,
    current: Option<&CurrentObject>,
    schemas: &SchemaCache,
    options: &DiffOptions,
    pdbs: &[&Value],
) -> PlannedObject {
    let cx = DiffContext {
        group: &key.group,
        kind: &key.kind,
        name: Some(&key.name),
        schema: kind_schema(schemas, &doc.api_version, &doc.kind),
        options,
    };
    let diff = ObjectDiff::between(Some(&*doc.object), current.map(|c| &*c.object), &cx);
    let (action, reason, forces) = match current {
        None => (
            Action::Create,
            "not in the current state".to_string(),
            Vec::new(),
        ),
        Some(_) if diff.is_unchanged() => (Action::NoOp, "no changes".to_string(), Vec::new()),
        Some(c) => {
            let forced = forced_replacements(key, &diff.changes, &c.object);
            if let Some((_, why)) = forced.first() {
                let reason = format!("{why} (forces replacement)");
                (
                    Action::Replace,
                    reason,
                    forced.into_iter().map(|(p, _)| p).collect(),
                )
            } else {
                (Action::Update, changed_fields(&diff), Vec::new())
            }
        }
    };
    let rollout = current
        .and_then(|c| plan_rollout(key, action, &doc.object, &c.object, &diff.changes, pdbs));
    let mut diff = diff;
    if action == Action::NoOp {
        // Nothing renders an unchanged object's sides; with thousands of objects they would
        // be most of the memory.
        diff.before = Some(Value::Null);
        diff.after = Some(Value::Null);
    }
    PlannedObject {
        key: key.clone(),
        api_version: doc.api_version.clone(),
        action,
        reason,
        order: None,
        diff,
        forces_replacement: forces,
        rollout,
        source: Some(doc.origin.clone()),
        desired: Some(Arc::clone(&doc.object)),
        current_resource_version: current.and_then(|c| c.resource_version.clone()),
        current_uid: current.and_then(|c| c.uid.clone()),
    }
}

fn plan_delete(
    current: &CurrentObject,
    schemas: &SchemaCache,
    options: &DiffOptions,
) -> PlannedObject {
    let api_version = current.object["apiVersion"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let cx = DiffContext {
        group: &current.key.group,
        kind: &current.key.kind,
        name: Some(&current.key.name),
        schema: kind_schema(schemas, &api_version, &current.key.kind),
        options,
    };
    PlannedObject {
        key: current.key.clone(),
        api_version,
        action: Action::Delete,
        reason: "not in the manifests (--prune)".into(),
        order: None,
        diff: ObjectDiff::between(None, Some(&*current.object), &cx),
        forces_replacement: Vec::new(),
        rollout: None,
        source: current.origin.clone(),
        desired: None,
        current_resource_version: current.resource_version.clone(),
        current_uid: current.uid.clone(),
    }
}

/// "3 fields changed: spec.replicas, spec.template.spec.containers[0].image, …"
fn changed_fields(diff: &ObjectDiff) -> String {
    let names: Vec<String> = diff
        .changes
        .iter()
        .map(|c| {
            c.path
                .trim_start_matches('/')
                .split('/')
                .map(|s| s.replace("~1", "/").replace("~0", "~"))
                .fold(String::new(), |mut acc, seg| {
                    if seg.parse::<usize>().is_ok() {
                        acc.push('[');
                        acc.push_str(&seg);
                        acc.push(']');
                    } else {
                        if !acc.is_empty() {
                            acc.push('.');
                        }
                        acc.push_str(&seg);
                    }
                    acc
                })
        })
        .collect();
    let n = names.len();
    let shown = names.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
    let more = if n > 3 { ", …" } else { "" };
    let noun = if n == 1 { "field" } else { "fields" };
    format!("{n} {noun} changed: {shown}{more}")
}

/// Missing CRDs for custom resources, and namespaces that exist nowhere.
fn check_dependencies(
    planned: &[PlannedObject],
    current_crds: &[Value],
    current_namespaces: &[String],
    warnings: &mut Vec<PlanWarning>,
) {
    let crd_of = |crd: &Value| {
        let spec = &crd["spec"];
        (
            spec["group"].as_str().unwrap_or_default().to_string(),
            spec["names"]["kind"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        )
    };
    let applied: Vec<&PlannedObject> = planned
        .iter()
        .filter(|p| p.action != Action::Delete)
        .collect();
    let deleted: Vec<&PlannedObject> = planned
        .iter()
        .filter(|p| p.action == Action::Delete)
        .collect();
    let is_crd = |p: &&&PlannedObject| {
        p.key.kind == "CustomResourceDefinition" && p.key.group == "apiextensions.k8s.io"
    };
    let desired_crds: HashSet<(String, String)> = applied
        .iter()
        .filter(is_crd)
        .filter_map(|p| p.desired.as_deref().map(crd_of))
        .collect();
    let deleted_crds: HashSet<(String, String)> = deleted
        .iter()
        .filter(is_crd)
        .filter_map(|p| p.diff.before.as_ref().map(crd_of))
        .collect();
    let live_crds: HashSet<(String, String)> = current_crds.iter().map(crd_of).collect();
    let namespaces: HashSet<&str> = applied
        .iter()
        .filter(|p| p.key.group.is_empty() && p.key.kind == "Namespace")
        .map(|p| p.key.name.as_str())
        .chain(current_namespaces.iter().map(String::as_str))
        .chain(SYSTEM_NAMESPACES)
        .collect();
    let deleted_namespaces: HashSet<&str> = deleted
        .iter()
        .filter(|p| p.key.group.is_empty() && p.key.kind == "Namespace")
        .map(|p| p.key.name.as_str())
        .collect();
    let mut missing_namespaces: BTreeSet<&str> = BTreeSet::new();
    for p in &applied {
        let gk = (p.key.group.clone(), p.key.kind.clone());
        if !is_builtin_group(&p.key.group) {
            if deleted_crds.contains(&gk) && !desired_crds.contains(&gk) {
                warnings.push(PlanWarning {
                    object: Some(p.key.to_string()),
                    message: format!(
                        "its CustomResourceDefinition ({}) is deleted by this plan",
                        p.key.group_kind()
                    ),
                });
            } else if !desired_crds.contains(&gk) && !live_crds.contains(&gk) {
                warnings.push(PlanWarning {
                    object: Some(p.key.to_string()),
                    message: format!(
                        "missing dependency: no CustomResourceDefinition for {} in the manifests or the current state",
                        p.key.group_kind()
                    ),
                });
            }
        }
        if let Some(ns) = p.key.namespace.as_deref() {
            if deleted_namespaces.contains(ns) {
                warnings.push(PlanWarning {
                    object: Some(p.key.to_string()),
                    message: format!("its namespace {ns} is deleted by this plan"),
                });
            } else if !namespaces.contains(ns) {
                missing_namespaces.insert(ns);
            }
        }
    }
    for ns in missing_namespaces {
        warnings.push(PlanWarning {
            object: None,
            message: format!(
                "missing dependency: namespace {ns} is neither in the manifests nor in the current state"
            ),
        });
    }
}

/// Changes in apply order, deletions after them in reverse order, unchanged objects last;
/// numbers the changes.
fn order(planned: &mut [PlannedObject]) {
    planned.sort_by_cached_key(|p| {
        let class = match p.action {
            Action::Delete => 1,
            Action::NoOp => 2,
            _ => 0,
        };
        let key = apply_key(&p.key);
        if p.action == Action::Delete {
            (class, std::cmp::Reverse(Some(key)), None)
        } else {
            (class, std::cmp::Reverse(None), Some(key))
        }
    });
    for (i, p) in planned
        .iter_mut()
        .filter(|p| p.action.is_change())
        .enumerate()
    {
        p.order = Some(i + 1);
    }
}
