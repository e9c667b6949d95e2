//! For terminals: Terraform-like headers and symbols, unified YAML diffs, rollout tables.
//! Colour only when asked (a terminal without `NO_COLOR`); the symbols carry the meaning.

use std::io::{self, Write};

use crate::diff::LineKind;
use crate::plan::{Action, Plan, PlannedObject, RolloutPlan};

use super::{RenderOptions, View, describe_source, forces_replacement};

const RED: &str = "31";
const GREEN: &str = "32";
const YELLOW: &str = "33";
const CYAN: &str = "36";
const BOLD: &str = "1";

struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn action(&self, action: Action, text: &str) -> String {
        let code = match action {
            Action::Create => GREEN,
            Action::Update => YELLOW,
            Action::Replace | Action::Delete => RED,
            Action::NoOp => return text.to_string(),
        };
        self.paint(code, text)
    }
}

pub fn render(plan: &Plan, options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let p = Painter {
        color: options.color,
    };
    if options.view == View::Plan {
        writeln!(
            out,
            "{}",
            p.paint(
                BOLD,
                &format!(
                    "kplan plan: the manifests against {}",
                    describe_source(plan)
                )
            )
        )?;
        writeln!(out)?;
        if plan.summary.has_changes() {
            writeln!(out, "Changes, in apply order:")?;
            for o in plan.changes() {
                writeln!(
                    out,
                    "  {:>3}  {}  {}  {}",
                    o.order.unwrap_or(0),
                    p.action(
                        o.action,
                        &format!("{:<3} {:<7}", o.action.symbol(), o.action.as_str())
                    ),
                    o.key,
                    o.reason
                )?;
            }
            writeln!(out)?;
        }
    }
    for o in plan.changes() {
        object(&p, o, options, out)?;
    }
    if options.view == View::Plan {
        if !plan.unmanaged.is_empty() {
            writeln!(
                out,
                "{} object(s) of the current state are not in the manifests; --prune would delete them:",
                plan.unmanaged.len()
            )?;
            for k in &plan.unmanaged {
                writeln!(out, "  {k}")?;
            }
            writeln!(out)?;
        }
        if !plan.warnings.is_empty() {
            writeln!(out, "{}", p.paint(YELLOW, "Warnings:"))?;
            for w in &plan.warnings {
                match &w.object {
                    Some(o) => writeln!(out, "  ! {o}: {}", w.message)?,
                    None => writeln!(out, "  ! {}", w.message)?,
                }
            }
            writeln!(out)?;
        }
    }
    writeln!(out, "{}", p.paint(BOLD, &plan.summary.line()))?;
    out.flush()
}

fn object(
    p: &Painter,
    o: &PlannedObject,
    options: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(
        out,
        "{} {} ({}) {}",
        p.action(o.action, o.action.symbol()),
        p.paint(BOLD, &o.key.to_string()),
        o.api_version,
        o.action.phrase()
    )?;
    writeln!(out, "  # {}", o.reason)?;
    for line in o.diff.lines(options.context) {
        let text = line.plain();
        let painted = match line.kind {
            LineKind::Hunk => p.paint(CYAN, &text),
            LineKind::Removed => p.paint(RED, &text),
            LineKind::Added => p.paint(GREEN, &text),
            LineKind::Context => text,
        };
        if forces_replacement(o, &line) {
            writeln!(out, "{painted}  {}", p.paint(RED, "# forces replacement"))?;
        } else {
            writeln!(out, "{painted}")?;
        }
    }
    if options.view == View::Plan
        && let Some(r) = &o.rollout
    {
        rollout(r, out)?;
    }
    writeln!(out)
}

fn rollout(r: &RolloutPlan, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "  Rollout: {}", r.summary)?;
    if !r.steps.is_empty() {
        writeln!(out, "    step   old   new  ready  pods  available")?;
        for (i, s) in r.steps.iter().enumerate() {
            writeln!(
                out,
                "    {i:>4}  {:>4}  {:>4}  {:>5}  {:>4}  {:>9}",
                s.old, s.new, s.new_available, s.total, s.available
            )?;
        }
    }
    let mut facts = Vec::new();
    if let Some(m) = r.min_available {
        facts.push(format!("min available {m}"));
    }
    if let Some(m) = r.max_pods {
        facts.push(format!("max pods {m}"));
    }
    if let (Some(s), Some(a)) = (r.estimate_seconds, &r.assumption) {
        facts.push(format!("≈ {s} s ({a})"));
    }
    if !facts.is_empty() {
        writeln!(out, "    {}", facts.join(", "))?;
    }
    for b in &r.budgets {
        let verdict = match b.honored {
            Some(true) => "honored".to_string(),
            Some(false) => format!(
                "NOT honored: the rollout goes below {} available",
                b.required_available
            ),
            None => "cannot be checked offline".to_string(),
        };
        writeln!(
            out,
            "    PodDisruptionBudget {} ({}): {verdict}",
            b.name, b.requirement
        )?;
    }
    Ok(())
}
