//! What `kplan diff` and `kplan plan` share: flags resolved to settings, the manifests and the
//! current state read, the plan built, rendered and (plan only) saved, the exit status.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use crate::diff::{DiffOptions, IgnoreRule};
use crate::plan::render::{PlanFormat, RenderOptions, View, render};
use crate::plan::{PlanFile, PlanOptions, build_plan, now_rfc3339};
use crate::schema::{BUNDLED_VERSIONS, KubeVersion, newest_version};
use crate::state::{Against, LoadOptions, load_manifests, open_source};

use super::ExitStatus;
use super::args::{ChangesFormat, ColorChoice, DiffArgs, GlobalArgs};

/// Everything diff and plan need, resolved from flags and environment.
pub struct Settings {
    view: View,
    paths: Vec<PathBuf>,
    against: Against,
    plan: PlanOptions,
    format: PlanFormat,
    render: RenderOptions,
    detailed_exitcode: bool,
    load: LoadOptions,
}

impl Settings {
    pub fn resolve(args: &DiffArgs, global: &GlobalArgs, view: View) -> Result<Self, String> {
        let mut paths: Vec<PathBuf> = args.paths.iter().chain(&args.filenames).cloned().collect();
        if paths.is_empty() {
            return Err(
                "no input: give the manifests' files or directories (or `-` for stdin)".into(),
            );
        }
        paths.dedup();
        let Some(against) = &args.against else {
            return Err("say what to compare with: --against DIR|FILE|SNAPSHOT (a live cluster is not available yet)".into());
        };
        let against: Against = against.parse().map_err(|e| format!("--against {e}"))?;
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
        let color = match global.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
            }
        };
        Ok(Self {
            view,
            paths,
            against,
            plan: PlanOptions {
                diff: DiffOptions {
                    ignore,
                    show_secrets: args.show_secrets,
                },
                prune: args.prune,
                kubernetes_version,
                default_namespace: args.namespace.clone(),
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
    let desired = match load_manifests(&settings.paths, settings.load) {
        Ok(set) => set,
        Err(e) => return fail(&format!("cannot read the manifests:\n{e}")),
    };
    let source = match open_source(&settings.against, settings.load) {
        Ok(s) => s,
        Err(e) => return fail(&format!("cannot read the current state:\n{e}")),
    };
    let plan = match build_plan(&desired, source.as_ref(), &settings.plan) {
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
    std::mem::forget(desired);
    std::mem::forget(source);
    if settings.detailed_exitcode && changes {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    }
}
