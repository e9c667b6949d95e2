//! What `kplan diff` and `kplan plan` share: flags resolved to settings, the manifests and the
//! current state read, the plan built, rendered and (plan only) saved, the exit status.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::apply::{History, LiveSource};
use crate::diff::{DiffOptions, IgnoreRule};
use crate::plan::render::{PlanFormat, RenderOptions, View, render};
use crate::plan::{PlanFile, PlanOptions, build_plan, now_rfc3339};
use crate::release::{ApplySet, last_deployed};
use crate::schema::{BUNDLED_VERSIONS, KubeVersion, newest_version};
use crate::state::{
    Against, LoadOptions, ManifestSet, Snapshot, SnapshotSource, StateSource, load_manifests,
    open_source,
};

use super::release_args::{TargetArgs, release_name};
use super::target::{Target, connect_blocking};

use super::ExitStatus;
use super::args::{ChangesFormat, DiffArgs, GlobalArgs};

/// Everything diff and plan need, resolved from flags and environment.
#[derive(Clone)]
pub struct Settings {
    view: View,
    paths: Vec<PathBuf>,
    against: Against,
    target: TargetArgs,
    release: String,
    release_namespace: String,
    /// `-n` as given: against a live target its absence means the context's namespace.
    namespace_flag: Option<String>,
    /// `plan --rollback[=N]`: the desired state is that revision's manifests (0: the default).
    rollback: Option<u32>,
    plan: PlanOptions,
    format: PlanFormat,
    render: RenderOptions,
    detailed_exitcode: bool,
    load: LoadOptions,
}

impl Settings {
    /// The settings against a connected target: namespaced objects without a namespace go to
    /// the context's namespace unless `-n` says otherwise, as `kplan apply` puts them.
    fn on(&self, target: &Target) -> Settings {
        let mut s = self.clone();
        if self.namespace_flag.is_none() {
            s.plan.default_namespace = target.client.default_namespace().to_string();
        }
        s
    }

    /// `kplan plan`, possibly of a rollback (`Some(0)`: the default revision).
    pub fn resolve_rollback(
        args: &DiffArgs,
        global: &GlobalArgs,
        rollback: Option<u32>,
    ) -> Result<Self, String> {
        let Some(n) = rollback else {
            return Self::resolve(args, global, View::Plan);
        };
        if args.against.as_deref().is_some_and(|a| a != "live") {
            return Err("--rollback plans against the live target; leave out --against".into());
        }
        let mut settings = Self::resolve_inner(args, global, View::Plan, true)?;
        settings.rollback = Some(n);
        settings.plan.prune = true;
        Ok(settings)
    }

    pub fn resolve(args: &DiffArgs, global: &GlobalArgs, view: View) -> Result<Self, String> {
        Self::resolve_inner(args, global, view, false)
    }

    fn resolve_inner(
        args: &DiffArgs,
        global: &GlobalArgs,
        view: View,
        rollback: bool,
    ) -> Result<Self, String> {
        let mut paths: Vec<PathBuf> = args.paths.iter().chain(&args.filenames).cloned().collect();
        if paths.is_empty() && !rollback {
            return Err(
                "no input: give the manifests' files or directories (or `-` for stdin)".into(),
            );
        }
        paths.dedup();
        let against: Against = match &args.against {
            Some(a) => a.parse().map_err(|e| format!("--against {e}"))?,
            None => Against::Live,
        };
        let target = TargetArgs {
            kubeconfig: args.kubeconfig.clone(),
            context: args.kube_context.clone(),
            data_dir: args.data_dir.clone(),
        };
        let release = release_name(args.release.as_deref(), paths.first().map(PathBuf::as_path));
        let kubernetes_version = match &args.kubernetes_version {
            Some(v) => {
                let v = v.parse::<KubeVersion>()?;
                if !BUNDLED_VERSIONS.contains(&v) {
                    return Err(format!(
                        "Kubernetes {v} is not bundled (bundled: 1.28 … {})",
                        newest_version()
                    ));
                }
                v
            }
            None => newest_version(),
        };
        let ignore = args
            .ignore
            .iter()
            .map(|s| s.parse::<IgnoreRule>().map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        let color = global.color.on_stdout();
        Ok(Self {
            view,
            paths,
            against,
            target,
            release,
            release_namespace: args.release_namespace.clone(),
            namespace_flag: args.namespace.clone(),
            rollback: None,
            plan: PlanOptions {
                diff: DiffOptions {
                    ignore,
                    show_secrets: args.show_secrets,
                },
                prune: args.prune,
                kubernetes_version,
                default_namespace: args.namespace.clone().unwrap_or_else(|| "default".into()),
            },
            format: match args.output {
                ChangesFormat::Text => PlanFormat::Text,
                ChangesFormat::Markdown => PlanFormat::Markdown,
                ChangesFormat::Json => PlanFormat::Json,
            },
            render: RenderOptions {
                view,
                color: color && args.output == ChangesFormat::Text,
                context: args.context,
            },
            detailed_exitcode: args.detailed_exitcode,
            load: LoadOptions {
                max_file_bytes: args.max_file_size.saturating_mul(1 << 20),
                ignore_non_k8s: args.ignore_non_k8s,
            },
        })
    }
}

pub fn run_changes(settings: &Settings, out_file: Option<&Path>) -> ExitStatus {
    let command = settings.view.command();
    let fail = |message: &dyn std::fmt::Display| {
        eprintln!("kplan {command}: {message}");
        ExitStatus::Failure
    };
    if let Some(n) = settings.rollback {
        return run_rollback_plan(settings, n, out_file);
    }
    let desired = match load_manifests(&settings.paths, settings.load) {
        Ok(set) => set,
        Err(e) => return fail(&format!("cannot read the manifests:\n{e}")),
    };
    let status = match &settings.against {
        Against::Path(_) => {
            let source = match open_source(&settings.against, settings.load) {
                Ok(s) => s,
                Err(e) => return fail(&format!("cannot read the current state:\n{e}")),
            };
            let status = finish(settings, &desired, source.as_ref(), out_file);
            std::mem::forget(source);
            status
        }
        Against::Live | Against::Release(_) => {
            let (rt, target) = match connect_blocking(&settings.target) {
                Ok(c) => c,
                Err(e) => return fail(&e),
            };
            let status = match on_target(settings, &desired, &target, &rt) {
                Ok(source) => finish(&settings.on(&target), &desired, source.as_ref(), out_file),
                Err(e) => fail(&e),
            };
            rt.block_on(target.shutdown());
            status
        }
    };
    // The process ends next: freeing tens of thousands of JSON trees one by one would only
    // add time.
    std::mem::forget(desired);
    status
}

/// `plan --rollback[=N]`: the revision's recorded manifests against the live target.
fn run_rollback_plan(settings: &Settings, n: u32, out_file: Option<&Path>) -> ExitStatus {
    let fail = |message: &dyn std::fmt::Display| {
        eprintln!("kplan plan: {message}");
        ExitStatus::Failure
    };
    let (rt, target) = match connect_blocking(&settings.target) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let status = (|| {
        let history = History::new(
            &target.client,
            &settings.release,
            &settings.release_namespace,
        );
        let records = rt.block_on(history.load()).map_err(|e| e.to_string())?;
        let record = super::rollback::choose(&records, (n > 0).then_some(n))
            .map_err(|e| format!("release {}: {e}", settings.release))?;
        eprintln!(
            "kplan plan: rolling release {} back to revision {} ({}, {})",
            settings.release,
            record.revision,
            record.status.as_str(),
            record.updated
        );
        let desired = ManifestSet::from_values(
            &format!("release {} revision {}", settings.release, record.revision),
            &record.manifests,
        );
        let source = on_target(settings, &desired, &target, &rt)?;
        Ok::<_, String>(finish(
            &settings.on(&target),
            &desired,
            source.as_ref(),
            out_file,
        ))
    })();
    rt.block_on(target.shutdown());
    status.unwrap_or_else(|e| fail(&e))
}

/// The live or release source on a connected target.
fn on_target<'a>(
    settings: &Settings,
    desired: &crate::state::ManifestSet,
    target: &'a Target,
    rt: &tokio::runtime::Runtime,
) -> Result<Box<dyn StateSource + 'a>, String> {
    let history = History::new(
        &target.client,
        &settings.release,
        &settings.release_namespace,
    );
    let records = rt.block_on(history.load()).map_err(|e| e.to_string())?;
    if let Against::Release(n) = settings.against {
        let record = match n {
            Some(n) => records.iter().find(|r| r.revision == n),
            None => last_deployed(&records),
        }
        .ok_or_else(|| {
            format!(
                "release {} has no {} on {} (see `kplan history --release {}`)",
                settings.release,
                n.map_or_else(
                    || "deployed revision".to_string(),
                    |n| format!("revision {n}")
                ),
                target.description,
                settings.release
            )
        })?;
        let snapshot = Snapshot::new(
            Some(target.description.clone()),
            Some(record.updated.clone()),
            record.manifests.clone(),
        );
        Ok(Box::new(SnapshotSource::from_snapshot(
            format!("release {} revision {}", settings.release, record.revision),
            snapshot,
        )))
    } else {
        let set = ApplySet {
            release: settings.release.clone(),
            namespace: settings.release_namespace.clone(),
            group_kinds: std::collections::BTreeSet::new(),
            namespaces: std::collections::BTreeSet::new(),
        };
        let previous = last_deployed(&records)
            .map(|r| r.manifests.clone())
            .unwrap_or_default();
        let source =
            LiveSource::new(&target.client, rt.handle().clone()).with_release(set.id(), &previous);
        source.learn_versions(desired.docs.iter().map(|d| d.object.as_ref()));
        Ok(Box::new(source))
    }
}

fn finish(
    settings: &Settings,
    desired: &crate::state::ManifestSet,
    source: &dyn StateSource,
    out_file: Option<&Path>,
) -> ExitStatus {
    let command = settings.view.command();
    let fail = |message: &dyn std::fmt::Display| {
        eprintln!("kplan {command}: {message}");
        ExitStatus::Failure
    };
    let plan = match build_plan(desired, source, &settings.plan) {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    if let Some(path) = out_file
        && let Err(e) = PlanFile::from_plan(&plan, now_rfc3339()).write(path)
    {
        return fail(&format!("cannot save the plan: {e}"));
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match render(&plan, settings.format, &settings.render, &mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return ExitStatus::Success,
        Err(e) => return fail(&format!("cannot write output: {e}")),
        Ok(()) => {}
    }
    if let Some(path) = out_file {
        eprintln!(
            "kplan plan: saved to {} (apply it with `kplan apply {}`)",
            path.display(),
            path.display()
        );
    }
    let changes = plan.summary.has_changes();
    // The process ends next: freeing tens of thousands of JSON trees one by one would only
    // add time (a tenth of a 10,000-object run).
    std::mem::forget(plan);
    if settings.detailed_exitcode && changes {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    }
}
