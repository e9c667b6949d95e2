//! `kplan apply`: plan against the target's live state, print the plan, apply it stage by
//! stage with server-side apply, wait for the rollouts, record the release revision — and
//! with `--rollback`, restore the previous release when anything fails.

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::{Value, json};

use crate::apply::{
    LiveSource, Progress, ProgressStyle, ReleaseRun, RunOptions, RunReport, Stage, Step, run_stage,
};
use crate::client::{ApplyOptions, ObjectKey as ClientKey};
use crate::diff::{DiffOptions, is_secret};
use crate::plan::render::{PlanFormat, RenderOptions, View, render};
use crate::plan::{Action, Plan, PlanFile, PlanOptions, build_plan, matches_desired, rank};
use crate::release::{PART_OF_LABEL, last_deployed};
use crate::schema::newest_version;
use crate::state::{LoadOptions, ManifestSet, ObjectKey, load_manifests};

use super::ExitStatus;
use super::args::GlobalArgs;
use super::release_args::{ApplyArgs, release_name};
use super::target::{Target, connect_blocking};

pub fn run(args: &ApplyArgs, global: &GlobalArgs) -> ExitStatus {
    let fail = |m: &dyn std::fmt::Display| {
        eprintln!("kplan apply: {m}");
        ExitStatus::Failure
    };
    if args.paths.is_empty() {
        eprintln!("kplan apply: give the manifests' files or directories, or a saved plan");
        return ExitStatus::Usage;
    }
    let saved = match saved_plan(&args.paths) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let paths: Vec<PathBuf> = match &saved {
        Some(plan) => {
            let mut files: Vec<PathBuf> = plan
                .actions
                .iter()
                .filter_map(|a| a.source.as_ref().map(|o| PathBuf::from(&o.file)))
                .collect();
            files.sort();
            files.dedup();
            files
        }
        None => args.paths.clone(),
    };
    let desired = match load_manifests(&paths, LoadOptions::default()) {
        Ok(d) => d,
        Err(e) => return fail(&format!("cannot read the manifests:\n{e}")),
    };
    let (rt, target) = match connect_blocking(&args.target) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let release = release_name(
        args.release.release.as_deref(),
        paths.first().map(PathBuf::as_path),
    );
    let status = apply(
        args,
        global,
        &target,
        &rt,
        &desired,
        &release,
        saved.as_ref(),
    );
    rt.block_on(target.shutdown());
    std::mem::forget(desired);
    status
}

/// A single argument that is a saved plan file.
fn saved_plan(paths: &[PathBuf]) -> Result<Option<PlanFile>, String> {
    let [path] = paths else {
        return Ok(None);
    };
    if !path.is_file() || path.extension().is_none_or(|e| e != "json") {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if !text.contains(crate::plan::PLAN_API_VERSION) {
        return Ok(None);
    }
    PlanFile::read(path).map(Some).map_err(|e| e.to_string())
}

#[allow(clippy::too_many_lines)]
fn apply(
    args: &ApplyArgs,
    global: &GlobalArgs,
    target: &Target,
    rt: &tokio::runtime::Runtime,
    desired: &ManifestSet,
    release: &str,
    saved: Option<&PlanFile>,
) -> ExitStatus {
    let fail = |m: &dyn std::fmt::Display| {
        eprintln!("kplan apply: {m}");
        ExitStatus::Failure
    };
    let client = &target.client;
    let namespace = &args.release.release_namespace;
    let mut run = match rt.block_on(ReleaseRun::open(client, release, namespace)) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    let set = run.applyset();
    let previous = last_deployed(&run.records)
        .map(|r| r.manifests.clone())
        .unwrap_or_default();
    let source = LiveSource::new(client, rt.handle().clone()).with_release(set.id(), &previous);
    source.learn_versions(desired.docs.iter().map(|d| d.object.as_ref()));
    let options = PlanOptions {
        diff: DiffOptions {
            ignore: Vec::new(),
            show_secrets: args.show_secrets,
        },
        prune: args.prune || saved.is_some_and(|p| p.prune),
        kubernetes_version: newest_version(),
        default_namespace: args
            .namespace
            .clone()
            .unwrap_or_else(|| client.default_namespace().to_string()),
    };
    let plan = match build_plan(desired, &source, &options) {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    if let Some(saved) = saved
        && let Err(e) = check_saved(saved, &plan)
    {
        return fail(&e);
    }
    let color = global.color.on_stdout();
    let render_options = RenderOptions {
        view: View::Plan,
        color,
        context: args.diff_context,
    };
    {
        let mut out = std::io::stdout().lock();
        if let Err(e) = render(&plan, PlanFormat::Text, &render_options, &mut out) {
            return fail(&format!("cannot write the plan: {e}"));
        }
    }
    let fetched = source.fetched();
    let (stages, before) = stages_of(&plan, &fetched, &set.id());
    let writes: usize = stages.iter().map(|s| s.steps.len()).sum();
    if writes == 0 && !run.records.is_empty() {
        let current = run.records.last().map_or(0, |r| r.revision);
        println!("\nNothing to apply: release {release} stays at revision {current}.");
        return ExitStatus::Success;
    }
    if args.dry_run {
        return dry_run(client, rt, &stages, args.parallelism);
    }
    let desired_objects: Vec<Value> = stages
        .iter()
        .flat_map(|s| s.steps.iter())
        .filter_map(|s| match s {
            Step::Apply(v) | Step::Replace(v) => Some(v.clone()),
            Step::Delete(_) => None,
        })
        .chain(unchanged_members(&plan, &stages))
        .collect();
    let opts = RunOptions {
        force_conflicts: args.force_conflicts,
        wait: args.wait,
        timeout: args.timeout,
        rollback_on_failure: args.rollback,
        history_max: args.history_max,
        parallelism: args.parallelism,
        description: args.description.clone().unwrap_or_else(|| {
            if saved.is_some() {
                "Apply of a saved plan".into()
            } else if run.records.is_empty() {
                "Install".into()
            } else {
                "Upgrade".into()
            }
        }),
    };
    println!("\nApplying release {release} to {}:", target.description);
    let progress = Progress::new(ProgressStyle::detect());
    let report = match rt.block_on(run.run(&desired_objects, stages, &before, &opts, &progress)) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    print_report(release, &report, args.rollback)
}

/// Steps in plan order, one stage per ordering group (a kind's rank), deletions in their own
/// stages; plus each touched object's live state before the apply.
fn stages_of(
    plan: &Plan,
    fetched: &HashMap<ObjectKey, Value>,
    applyset_id: &str,
) -> (Vec<Stage>, HashMap<ClientKey, Value>) {
    let mut stages: Vec<(bool, usize, Stage)> = Vec::new();
    let mut before = HashMap::new();
    for o in &plan.objects {
        let live = fetched.get(&o.key);
        let is_member = live.is_some_and(|l| l["metadata"]["labels"][PART_OF_LABEL] == applyset_id);
        let step = match o.action {
            Action::Create | Action::Update | Action::Replace | Action::NoOp => {
                // An unchanged object is applied anyway when it is not yet a member, so the
                // release owns it (prune and rollback know it from now on).
                if o.action == Action::NoOp && is_member {
                    continue;
                }
                let Some(v) = desired_in_namespace(o) else {
                    continue;
                };
                if o.action == Action::Replace {
                    Step::Replace(v)
                } else {
                    Step::Apply(v)
                }
            }
            Action::Delete => Step::Delete(ClientKey::new(
                &o.api_version,
                &o.key.kind,
                o.key.namespace.as_deref(),
                &o.key.name,
            )),
        };
        if let (Some(live), Ok(k)) = (live, step.key()) {
            before.insert(k, live.clone());
        }
        let deleting = matches!(step, Step::Delete(_));
        let group = rank(&o.key.group, &o.key.kind).0;
        match stages.last_mut() {
            Some((d, g, stage)) if *d == deleting && *g == group => stage.steps.push(step),
            _ => stages.push((deleting, group, Stage { steps: vec![step] })),
        }
    }
    (stages.into_iter().map(|(_, _, s)| s).collect(), before)
}

/// Desired objects not written because nothing changed: still part of the release record.
fn unchanged_members<'p>(plan: &'p Plan, stages: &'p [Stage]) -> impl Iterator<Item = Value> + 'p {
    let written: Vec<ClientKey> = stages
        .iter()
        .flat_map(|s| s.steps.iter())
        .filter_map(|s| s.key().ok())
        .collect();
    plan.objects
        .iter()
        .filter(|o| o.action == Action::NoOp)
        .filter_map(desired_in_namespace)
        .filter(move |v| ClientKey::of(v).is_ok_and(|k| !written.contains(&k)))
}

/// The desired object, in the namespace the plan resolved for it (kubectl's rule: the
/// context's namespace, or `-n`, when the manifest names none).
fn desired_in_namespace(o: &crate::plan::PlannedObject) -> Option<Value> {
    let mut v = Value::clone(o.desired.as_ref()?);
    if let Some(ns) = &o.key.namespace
        && v["metadata"]["namespace"].is_null()
    {
        v["metadata"]["namespace"] = json!(ns);
    }
    Some(v)
}

/// A saved plan applies only while nothing it read has changed, and only the manifests it was
/// made from.
fn check_saved(saved: &PlanFile, fresh: &Plan) -> Result<(), String> {
    let now: HashMap<ObjectKey, &crate::plan::PlannedObject> =
        fresh.objects.iter().map(|o| (o.key.clone(), o)).collect();
    for a in &saved.actions {
        let key = ObjectKey::new(&a.group, &a.kind, a.namespace.as_deref(), &a.name);
        let planned_rv = a.current.as_ref().and_then(|c| c.resource_version.clone());
        let current_rv = now
            .get(&key)
            .and_then(|o| o.current_resource_version.clone());
        if planned_rv != current_rv {
            return Err(format!(
                "the plan is stale: {key} is at resourceVersion {} on the target, the plan was made at {}; plan again",
                current_rv.as_deref().unwrap_or("(absent)"),
                planned_rv.as_deref().unwrap_or("(absent)")
            ));
        }
        if let (Some(saved_desired), Some(o)) = (&a.desired, now.get(&key)) {
            let mut fresh_desired = o.desired.as_ref().map_or(Value::Null, |d| Value::clone(d));
            if is_secret(&a.group, &a.kind)
                && let Some(ann) = fresh_desired
                    .pointer_mut("/metadata/annotations")
                    .and_then(Value::as_object_mut)
            {
                ann.remove("kubectl.kubernetes.io/last-applied-configuration");
            }
            if !matches_desired(saved_desired, &fresh_desired) {
                return Err(format!(
                    "the manifests changed since the plan was made: {key} differs from the plan; plan again"
                ));
            }
        }
    }
    let saved_keys: Vec<ObjectKey> = saved
        .actions
        .iter()
        .map(|a| ObjectKey::new(&a.group, &a.kind, a.namespace.as_deref(), &a.name))
        .collect();
    if let Some(extra) = fresh.changes().find(|o| !saved_keys.contains(&o.key)) {
        return Err(format!(
            "the plan is stale: {} would now be changed too, and the plan does not say so; plan again",
            extra.key
        ));
    }
    Ok(())
}

fn dry_run(
    client: &crate::client::Client,
    rt: &tokio::runtime::Runtime,
    stages: &[Stage],
    parallelism: usize,
) -> ExitStatus {
    let options = ApplyOptions {
        dry_run: true,
        ..ApplyOptions::default()
    };
    println!("\nServer dry run (nothing is changed):");
    // What this apply would create first: objects needing them cannot be checked before.
    let mut namespaces = Vec::new();
    let mut kinds = Vec::new();
    for step in stages.iter().flat_map(|s| s.steps.iter()) {
        if let Step::Apply(v) = step {
            match (v["kind"].as_str(), v["metadata"]["name"].as_str()) {
                (Some("Namespace"), Some(n)) => namespaces.push(n.to_string()),
                (Some("CustomResourceDefinition"), _) => {
                    if let Some(k) = v["spec"]["names"]["kind"].as_str() {
                        kinds.push(k.to_string());
                    }
                }
                _ => {}
            }
        }
    }
    let mut failed = false;
    for stage in stages {
        for r in rt.block_on(run_stage(client, stage, &options, parallelism)) {
            let waits_for = r
                .key
                .namespace
                .as_ref()
                .filter(|ns| namespaces.contains(ns))
                .map(|ns| format!("namespace {ns}"))
                .or_else(|| {
                    kinds
                        .contains(&r.key.kind)
                        .then(|| format!("the CRD of {}", r.key.kind))
                });
            match (r.outcome, waits_for) {
                (Ok(_), _) => println!("  ok       {}", r.key),
                (Err(_), Some(first)) => println!(
                    "  skipped  {} (needs {first}, which this apply creates first)",
                    r.key
                ),
                (Err(e), None) => {
                    failed = true;
                    println!("  FAILED   {e}");
                }
            }
        }
    }
    if failed {
        ExitStatus::Failure
    } else {
        ExitStatus::Success
    }
}

fn print_report(release: &str, report: &RunReport, rollback: bool) -> ExitStatus {
    if report.succeeded {
        println!("Release {release} revision {} deployed.", report.revision);
        return ExitStatus::Success;
    }
    println!("Release {release} revision {} FAILED:", report.revision);
    for f in &report.failures {
        println!("  {f}");
    }
    if report.failures.iter().any(|f| f.contains("conflict with")) {
        println!("  (`kplan apply --force-conflicts` takes ownership of the conflicting fields)");
    }
    if rollback {
        match report.restored_revision {
            Some(r) => println!("Rolled back to revision {r}:"),
            None => println!("Rolled back (there was no earlier deployed revision):"),
        }
        for (key, what) in &report.restored {
            println!("  {key}: {what}");
        }
        if report.restore_failures.is_empty() {
            println!("The previous release is restored and healthy.");
        } else {
            println!("The rollback did not fully succeed:");
            for f in &report.restore_failures {
                println!("  {f}");
            }
        }
    }
    ExitStatus::Failure
}
