//! `kplan rollback`: re-apply an earlier revision of a release (default: the last deployed one
//! before the current), delete what was created since, wait, and record it as a new revision
//! "Rollback to N".

use std::collections::HashMap;

use crate::apply::{Progress, ProgressStyle, ReleaseRun, RunOptions, Stage, Step};
use crate::client::ObjectKey;
use crate::plan::rank;
use crate::release::{PART_OF_LABEL, Release, ReleaseStatus};

use super::ExitStatus;
use super::release_args::{RollbackArgs, release_name};
use super::target::{Target, connect_blocking};

pub fn run(args: &RollbackArgs) -> ExitStatus {
    let (rt, target) = match connect_blocking(&args.target) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("kplan rollback: {e}");
            return ExitStatus::Failure;
        }
    };
    let status = rt.block_on(rollback(args, &target));
    rt.block_on(target.shutdown());
    status
}

/// The revision to return to: `--to-revision`, else the newest deployed (or superseded)
/// revision older than the current one — a failed revision in between is skipped.
pub fn choose(records: &[Release], to: Option<u32>) -> Result<&Release, String> {
    let Some(current) = records.last() else {
        return Err("the release has no revisions".into());
    };
    if let Some(n) = to {
        return records.iter().find(|r| r.revision == n).ok_or_else(|| {
            let all: Vec<String> = records.iter().map(|r| r.revision.to_string()).collect();
            format!("there is no revision {n} (revisions: {})", all.join(", "))
        });
    }
    let older_good = records
        .iter()
        .filter(|r| r.revision < current.revision)
        .filter(|r| {
            matches!(
                r.status,
                ReleaseStatus::Deployed | ReleaseStatus::Superseded
            )
        })
        .max_by_key(|r| r.revision);
    match (current.status, older_good) {
        (_, Some(r)) => Ok(r),
        _ => Err(format!(
            "there is no deployed revision before revision {} to return to",
            current.revision
        )),
    }
}

async fn rollback(args: &RollbackArgs, target: &Target) -> ExitStatus {
    let fail = |m: &dyn std::fmt::Display| {
        eprintln!("kplan rollback: {m}");
        ExitStatus::Failure
    };
    let name = release_name(args.release.release.as_deref(), args.path.as_deref());
    let client = &target.client;
    let mut run = match ReleaseRun::open(client, &name, &args.release.release_namespace).await {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    let records = run.records.clone();
    let to = match choose(&records, args.to_revision) {
        Ok(r) => r.clone(),
        Err(e) => return fail(&format!("release {name}: {e}")),
    };
    let current = records.last().cloned().expect("choose found a revision");
    let id = run.applyset().id();
    let keys_of = |manifests: &[serde_json::Value]| -> Vec<(ObjectKey, serde_json::Value)> {
        manifests
            .iter()
            .filter_map(|m| ObjectKey::of(m).ok().map(|k| (k, m.clone())))
            .collect()
    };
    let wanted = keys_of(&to.manifests);
    // Objects of any revision since `to` that `to` does not have: created since, to delete.
    let mut created_since: Vec<ObjectKey> = Vec::new();
    for r in records.iter().filter(|r| r.revision > to.revision) {
        for (k, _) in keys_of(&r.manifests) {
            if !wanted.iter().any(|(w, _)| *w == k) && !created_since.contains(&k) {
                created_since.push(k);
            }
        }
    }
    let all_keys: Vec<ObjectKey> = wanted
        .iter()
        .map(|(k, _)| k.clone())
        .chain(created_since.iter().cloned())
        .collect();
    let live = match client.fetch_all(&all_keys).await {
        Ok(l) => l,
        Err(e) => return fail(&e),
    };
    let before: HashMap<ObjectKey, serde_json::Value> = live
        .iter()
        .filter_map(|(k, v)| v.clone().map(|v| (k.clone(), v)))
        .collect();
    let mut applies: Vec<(ObjectKey, serde_json::Value)> = wanted.clone();
    applies.sort_by_key(|(k, _)| rank(k.group(), &k.kind));
    let mut stages: Vec<Stage> = Vec::new();
    for (k, v) in applies {
        let group = rank(k.group(), &k.kind).0;
        match stages.last_mut() {
            Some(s)
                if s.steps
                    .first()
                    .and_then(|st| st.key().ok())
                    .is_some_and(|f| rank(f.group(), &f.kind).0 == group) =>
            {
                s.steps.push(Step::Apply(v));
            }
            _ => stages.push(Stage {
                steps: vec![Step::Apply(v)],
            }),
        }
    }
    let mut deletes: Vec<ObjectKey> = created_since
        .into_iter()
        // Only members of this release: never an object someone else made meanwhile.
        .filter(|k| {
            before
                .get(k)
                .is_some_and(|v| v["metadata"]["labels"][PART_OF_LABEL] == id.as_str())
        })
        .collect();
    deletes.sort_by_key(|k| std::cmp::Reverse(rank(k.group(), &k.kind)));
    if !deletes.is_empty() {
        stages.push(Stage {
            steps: deletes.into_iter().map(Step::Delete).collect(),
        });
    }
    println!(
        "Rolling back release {name} from revision {} to revision {} on {}:",
        current.revision, to.revision, target.description
    );
    let opts = RunOptions {
        force_conflicts: args.force_conflicts,
        wait: args.wait,
        timeout: args.timeout,
        rollback_on_failure: false,
        history_max: args.history_max,
        parallelism: 16,
        description: format!("Rollback to {}", to.revision),
    };
    let progress = Progress::new(ProgressStyle::detect());
    let report = match run
        .run(&to.manifests, stages, &before, &opts, &progress)
        .await
    {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    if !report.succeeded {
        println!(
            "Rollback of release {name} FAILED (revision {}):",
            report.revision
        );
        for f in &report.failures {
            println!("  {f}");
        }
        return ExitStatus::Failure;
    }
    // The deployed revision rolled back from is marked as such (a failed one stays failed).
    if let Some(mut from) = crate::release::last_deployed(&records).cloned() {
        from.status = ReleaseStatus::RolledBack;
        if let Err(e) = run.history.record(&from).await {
            return fail(&e);
        }
    }
    println!(
        "Release {name} revision {} deployed (rollback to revision {}).",
        report.revision, to.revision
    );
    ExitStatus::Success
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(revision: u32, status: ReleaseStatus) -> Release {
        Release {
            name: "x".into(),
            namespace: "default".into(),
            revision,
            status,
            updated: String::new(),
            kplan_version: String::new(),
            description: String::new(),
            manifests: Vec::new(),
        }
    }

    #[test]
    fn the_default_target_is_the_last_good_revision_before_the_current() {
        let h = [
            r(1, ReleaseStatus::Superseded),
            r(2, ReleaseStatus::Deployed),
            r(3, ReleaseStatus::Failed),
        ];
        assert_eq!(
            choose(&h, None).unwrap().revision,
            2,
            "a failed current: back to the deployed one"
        );
        let h = [
            r(1, ReleaseStatus::Superseded),
            r(2, ReleaseStatus::Failed),
            r(3, ReleaseStatus::Deployed),
        ];
        assert_eq!(
            choose(&h, None).unwrap().revision,
            1,
            "the failed revision 2 is skipped"
        );
        assert_eq!(choose(&h, Some(2)).unwrap().revision, 2, "unless asked for");
        assert!(choose(&h, Some(9)).is_err());
        assert!(choose(&[r(1, ReleaseStatus::Deployed)], None).is_err());
    }
}
