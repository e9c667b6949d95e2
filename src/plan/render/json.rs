//! `-o json` for diff and plan: contract version 1, documented in docs/output.md and checked
//! against docs/plan-output.schema.json. Fields are added, never renamed or removed.

use std::io::{self, Write};

use serde::Serialize;

use crate::diff::{DiffLine, FieldChange};
use crate::plan::{Action, Plan, PlanSummary, PlanWarning, RolloutPlan};
use crate::state::{ObjectKey, Origin, SourceInfo};

use super::RenderOptions;

const VERSION: u32 = 1;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Output<'a> {
    version: u32,
    command: &'static str,
    against: &'a SourceInfo,
    summary: SummaryJson,
    objects: Vec<ObjectJson<'a>>,
    unmanaged: Vec<KeyJson<'a>>,
    warnings: &'a [PlanWarning],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SummaryJson {
    #[serde(flatten)]
    counts: PlanSummary,
    changes: bool,
    line: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KeyJson<'a> {
    group: &'a str,
    kind: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
}

impl<'a> KeyJson<'a> {
    fn new(k: &'a ObjectKey) -> Self {
        Self {
            group: &k.group,
            kind: &k.kind,
            namespace: k.namespace.as_deref(),
            name: &k.name,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ObjectJson<'a> {
    order: Option<usize>,
    action: Action,
    api_version: &'a str,
    #[serde(flatten)]
    key: KeyJson<'a>,
    reason: &'a str,
    source: Option<&'a Origin>,
    changes: Vec<ChangeJson<'a>>,
    diff: String,
    rollout: Option<&'a RolloutPlan>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ChangeJson<'a> {
    path: &'a str,
    op: &'static str,
    before: Option<&'a serde_json::Value>,
    after: Option<&'a serde_json::Value>,
    forces_replacement: bool,
}

impl<'a> ChangeJson<'a> {
    fn new(c: &'a FieldChange, forced: &[String]) -> Self {
        Self {
            path: &c.path,
            op: c.op(),
            before: c.before.as_ref(),
            after: c.after.as_ref(),
            forces_replacement: forced.contains(&c.path),
        }
    }
}

pub fn render(plan: &Plan, options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let output = Output {
        version: VERSION,
        command: options.view.command(),
        against: &plan.against,
        summary: SummaryJson {
            counts: plan.summary,
            changes: plan.summary.has_changes(),
            line: plan.summary.line(),
        },
        objects: plan
            .objects
            .iter()
            .map(|o| ObjectJson {
                order: o.order,
                action: o.action,
                api_version: &o.api_version,
                key: KeyJson::new(&o.key),
                reason: &o.reason,
                source: o.source.as_ref(),
                changes: o
                    .diff
                    .changes
                    .iter()
                    .map(|c| ChangeJson::new(c, &o.forces_replacement))
                    .collect(),
                diff: if o.action.is_change() {
                    o.diff
                        .lines(options.context)
                        .iter()
                        .fold(String::new(), |mut s, l| {
                            s.push_str(&DiffLine::plain(l));
                            s.push('\n');
                            s
                        })
                } else {
                    String::new()
                },
                rollout: o.rollout.as_ref(),
            })
            .collect(),
        unmanaged: plan.unmanaged.iter().map(KeyJson::new).collect(),
        warnings: &plan.warnings,
    };
    serde_json::to_writer_pretty(&mut *out, &output)?;
    writeln!(out)?;
    out.flush()
}
