//! One release run, as `kplan apply` and `kplan rollback` both do it: record the revision as
//! pending, mark every object as a member of the release's ApplySet, execute the stages, wait
//! for the workloads, and record how it ended — restoring the previous deployed revision of
//! everything touched when it failed and `rollback_on_failure` is set.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use serde_json::Value;

use crate::client::{ApplyOptions, Client, ClientError, ObjectKey};
use crate::release::{ApplySet, Release, ReleaseStatus, last_deployed, next_revision};
use crate::rollout::RolloutState;

use super::history::manifests_by_key;
use super::restore::{Touched, restore_plan};
use super::wait::{all_done, is_workload, wait_all};
use super::{ApplyError, History, Progress, Stage, Step, StepOutcome, run_stage};

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub force_conflicts: bool,
    pub wait: bool,
    pub timeout: Duration,
    pub rollback_on_failure: bool,
    pub history_max: usize,
    /// Concurrent writes within a stage.
    pub parallelism: usize,
    pub description: String,
}

/// How a run ended, for the report and the exit status.
#[derive(Debug, Default)]
pub struct RunReport {
    pub revision: u32,
    pub succeeded: bool,
    /// (object, what happened) in execution order.
    pub applied: Vec<(ObjectKey, String)>,
    pub failures: Vec<String>,
    /// What the automatic rollback did, when it ran.
    pub restored: Vec<(ObjectKey, String)>,
    pub restore_failures: Vec<String>,
    /// The revision restored to.
    pub restored_revision: Option<u32>,
}

/// The release being written: its name, where its records live, its history so far.
pub struct ReleaseRun<'a> {
    pub client: &'a Client,
    pub history: History<'a>,
    pub records: Vec<Release>,
}

impl<'a> ReleaseRun<'a> {
    pub async fn open(client: &'a Client, name: &str, namespace: &str) -> Result<Self, ApplyError> {
        let history = History::new(client, name, namespace);
        let records = history.load().await?;
        Ok(ReleaseRun {
            client,
            history,
            records,
        })
    }

    pub fn applyset(&self) -> ApplySet {
        ApplySet {
            release: self.history.release.clone(),
            namespace: self.history.namespace.clone(),
            group_kinds: BTreeSet::new(),
            namespaces: BTreeSet::new(),
        }
    }

    /// Applies `stages` (whose Apply steps carry the `desired` objects) as a new revision.
    /// `before` holds each touched object as it was (absent: it did not exist).
    pub async fn run(
        &mut self,
        desired: &[Value],
        mut stages: Vec<Stage>,
        before: &HashMap<ObjectKey, Value>,
        opts: &RunOptions,
        progress: &Progress,
    ) -> Result<RunReport, ApplyError> {
        let previous = last_deployed(&self.records).cloned();
        let revision = next_revision(&self.records);
        let mut record = Release {
            name: self.history.release.clone(),
            namespace: self.history.namespace.clone(),
            revision,
            status: ReleaseStatus::PendingApply,
            updated: now(),
            kplan_version: env!("CARGO_PKG_VERSION").to_string(),
            description: opts.description.clone(),
            manifests: desired.to_vec(),
        };
        self.history.record(&record).await?;
        let mut set = self.applyset();
        if let Some(p) = &previous {
            set.include(&p.manifests);
        }
        set.include(desired);
        let apply = ApplyOptions {
            force: opts.force_conflicts,
            ..ApplyOptions::default()
        };
        self.client
            .apply(
                &set.parent(),
                &ApplyOptions {
                    force: true,
                    ..ApplyOptions::default()
                },
            )
            .await?;
        for stage in &mut stages {
            for step in &mut stage.steps {
                if let Step::Apply(v) | Step::Replace(v) = step {
                    set.label(v);
                }
            }
        }
        let mut report = RunReport {
            revision,
            ..RunReport::default()
        };
        let mut touched: Vec<Touched> = Vec::new();
        let mut applied_keys = Vec::new();
        let outcome = tokio::select! {
            r = execute_and_wait(self.client, &stages, &apply, opts, progress, before, &mut touched, &mut applied_keys, &mut report) => r,
            _ = tokio::signal::ctrl_c() => {
                report.failures.push("interrupted (Ctrl-C)".into());
                Ok(())
            }
        };
        outcome?;
        report.succeeded = report.failures.is_empty();
        if report.succeeded {
            record.status = ReleaseStatus::Deployed;
            record.updated = now();
            self.history.record(&record).await?;
            if let Some(mut p) = previous {
                p.status = ReleaseStatus::Superseded;
                self.history.record(&p).await?;
            }
            self.records = self.history.load().await?;
            self.history.trim(&self.records, opts.history_max).await?;
            return Ok(report);
        }
        record.status = ReleaseStatus::Failed;
        record.updated = now();
        record.description = format!("{}: {}", opts.description, report.failures.join("; "));
        self.history.record(&record).await?;
        if opts.rollback_on_failure {
            let previous_manifests = previous.as_ref().map(manifests_by_key).unwrap_or_default();
            report.restored_revision = previous.as_ref().map(|p| p.revision);
            self.restore(&touched, &previous_manifests, opts, progress, &mut report)
                .await;
        }
        self.records = self.history.load().await?;
        Ok(report)
    }

    async fn restore(
        &self,
        touched: &[Touched],
        previous: &[(ObjectKey, Value)],
        opts: &RunOptions,
        progress: &Progress,
        report: &mut RunReport,
    ) {
        let plan = restore_plan(touched, previous);
        let force = ApplyOptions {
            force: true,
            ..ApplyOptions::default()
        };
        let set = self.applyset();
        for stage in &plan.stages {
            let mut stage = stage.clone();
            for step in &mut stage.steps {
                if let Step::Apply(v) = step {
                    set.label(v);
                }
            }
            for r in run_stage(self.client, &stage, &force, opts.parallelism).await {
                if let Err(e) = r.outcome {
                    report.restore_failures.push(format!("{}: {e}", r.key));
                }
            }
        }
        report.restored = plan
            .summary
            .iter()
            .map(|(k, what)| (k.clone(), (*what).to_string()))
            .collect();
        if opts.wait {
            let workloads: Vec<ObjectKey> = plan
                .summary
                .iter()
                .filter(|(k, what)| is_workload(k) && !what.starts_with("deleted"))
                .map(|(k, _)| k.clone())
                .collect();
            for r in wait_all(self.client, &workloads, opts.timeout, progress).await {
                match r.state {
                    Ok(RolloutState::Done) => {}
                    Ok(
                        RolloutState::Failed { message } | RolloutState::Progressing { message },
                    ) => {
                        report
                            .restore_failures
                            .push(format!("{}: {message}", r.key));
                    }
                    Err(e) => report.restore_failures.push(format!("{}: {e}", r.key)),
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn execute_and_wait(
    client: &Client,
    stages: &[Stage],
    apply: &ApplyOptions,
    opts: &RunOptions,
    progress: &Progress,
    before: &HashMap<ObjectKey, Value>,
    touched: &mut Vec<Touched>,
    applied_keys: &mut Vec<ObjectKey>,
    report: &mut RunReport,
) -> Result<(), ApplyError> {
    for stage in stages {
        let results = run_stage(client, stage, apply, opts.parallelism).await;
        for (step, r) in stage.steps.iter().zip(results) {
            let what = match (&r.outcome, step) {
                (Ok(StepOutcome::Applied(_)), Step::Replace(_)) => "replaced",
                (Ok(StepOutcome::Applied(after)), _) => match before.get(&r.key) {
                    Some(b) if same_content(b, after) => "adopted",
                    Some(_) => "updated",
                    None => "created",
                },
                (Ok(StepOutcome::Deleted), _) => "deleted",
                (Ok(StepOutcome::Absent), _) => "already absent",
                (Err(_), _) => "failed",
            };
            match r.outcome {
                Ok(_) => {
                    touched.push(Touched {
                        key: r.key.clone(),
                        before: before.get(&r.key).cloned(),
                    });
                    if matches!(step, Step::Apply(_) | Step::Replace(_)) {
                        applied_keys.push(r.key.clone());
                    }
                }
                Err(e) => report.failures.push(describe(&r.key, &e)),
            }
            progress.applied(&r.key, what);
            report.applied.push((r.key, what.to_string()));
        }
        if !report.failures.is_empty() {
            return Ok(());
        }
    }
    if opts.wait {
        let workloads: Vec<ObjectKey> = applied_keys
            .iter()
            .filter(|k| is_workload(k))
            .cloned()
            .collect();
        let results = wait_all(client, &workloads, opts.timeout, progress).await;
        if !all_done(&results) {
            for r in results {
                match r.state {
                    Ok(RolloutState::Done) => {}
                    Ok(
                        RolloutState::Failed { message } | RolloutState::Progressing { message },
                    ) => {
                        report.failures.push(format!("{}: {message}", r.key));
                    }
                    Err(e) => report.failures.push(describe(&r.key, &e)),
                }
            }
        }
    }
    Ok(())
}

/// Whether an apply only made the object a member of the release (its label and the field
/// ownership changed, nothing the manifests describe).
fn same_content(before: &Value, after: &Value) -> bool {
    let content = |v: &Value| super::without_membership(super::applyable(v));
    content(before) == content(after)
}

fn describe(key: &ObjectKey, e: &ClientError) -> String {
    let text = e.to_string();
    if text.starts_with(&key.to_string()) {
        text
    } else {
        format!("{key}: {text}")
    }
}

fn now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    crate::time::rfc3339(secs)
}
