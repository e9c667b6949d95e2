//! Ready to paste as a pull-request comment: the summary line, a table of changes, a
//! collapsible `<details>` per object with a fenced `diff` block and its rollout table, and the
//! warnings. Stays under GitHub's 65,536-character comment limit by leaving out whole object
//! sections (never half a line) with a note saying so.

use std::fmt::Write as _;
use std::io::{self, Write};

use crate::plan::{Plan, PlannedObject, RolloutPlan};

use super::{RenderOptions, View, describe_source, forces_replacement};

/// GitHub rejects longer comments; the margin leaves room for a title someone adds.
const BUDGET: usize = 60_000;

pub fn render(plan: &Plan, options: &RenderOptions, out: &mut dyn Write) -> io::Result<()> {
    let mut head = String::new();
    let _ = writeln!(head, "### kplan {}\n", options.view.command());
    let _ = writeln!(head, "**{}**\n", plan.summary.line());
    let _ = writeln!(
        head,
        "Manifests compared with {}.\n",
        code(&describe_source(plan))
    );
    if options.view == View::Plan && plan.summary.has_changes() {
        head.push_str("| # | Action | Object | Reason |\n|--:|---|---|---|\n");
        let total = plan.changes().count();
        for (i, o) in plan.changes().enumerate() {
            // The table gets at most half the budget; the diffs need the rest.
            if head.len() > BUDGET / 2 {
                let _ = writeln!(head, "| … | | {} more | |", total - i);
                break;
            }
            let _ = writeln!(
                head,
                "| {} | `{}` {} | {} | {} |",
                o.order.unwrap_or(0),
                o.action.symbol(),
                o.action.as_str(),
                code(&o.key.to_string()),
                cell(&o.reason)
            );
        }
        head.push('\n');
    }
    let mut tail = String::new();
    if options.view == View::Plan {
        if !plan.unmanaged.is_empty() {
            let _ = writeln!(
                tail,
                "{} object(s) of the current state are not in the manifests; `--prune` would delete them: {}\n",
                plan.unmanaged.len(),
                plan.unmanaged
                    .iter()
                    .map(|k| code(&k.to_string()))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        if !plan.warnings.is_empty() {
            tail.push_str("> [!WARNING]\n");
            for w in &plan.warnings {
                match &w.object {
                    Some(o) => {
                        let _ = writeln!(tail, "> - {}: {}", code(o), w.message);
                    }
                    None => {
                        let _ = writeln!(tail, "> - {}", w.message);
                    }
                }
            }
            tail.push('\n');
        }
    }
    let mut body = String::new();
    let mut left_out = 0;
    for o in plan.changes() {
        let section = object(o, options);
        if head.len() + body.len() + section.len() + tail.len() > BUDGET {
            left_out += 1;
            continue;
        }
        body.push_str(&section);
    }
    if left_out > 0 {
        let _ = writeln!(
            body,
            "_{left_out} object section(s) left out to stay under GitHub's comment size limit; run `kplan {} -o json` for all of them._\n",
            options.view.command()
        );
    }
    out.write_all(head.as_bytes())?;
    out.write_all(body.as_bytes())?;
    out.write_all(tail.as_bytes())?;
    out.flush()
}

fn object(o: &PlannedObject, options: &RenderOptions) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<details><summary><code>{}</code> {} <b>{}</b> {}</summary>\n",
        html(o.action.symbol()),
        o.action.as_str(),
        html(&o.key.to_string()),
        html(o.action.phrase())
    );
    let _ = writeln!(s, "{}\n", o.reason.replace('\n', " "));
    let diff: Vec<String> = o
        .diff
        .lines(options.context)
        .iter()
        .map(|line| {
            if forces_replacement(o, line) {
                format!("{}  # forces replacement", line.plain())
            } else {
                line.plain()
            }
        })
        .collect();
    let fence = fence_for(&diff);
    let _ = writeln!(s, "{fence}diff");
    for line in &diff {
        let _ = writeln!(s, "{line}");
    }
    let _ = writeln!(s, "{fence}\n");
    if options.view == View::Plan
        && let Some(r) = &o.rollout
    {
        rollout(&mut s, r);
    }
    s.push_str("</details>\n\n");
    s
}

fn rollout(s: &mut String, r: &RolloutPlan) {
    let _ = writeln!(s, "**Rollout:** {}\n", r.summary);
    if !r.steps.is_empty() {
        s.push_str("| step | old | new | ready | pods | available |\n|--:|--:|--:|--:|--:|--:|\n");
        for (i, st) in r.steps.iter().enumerate() {
            let _ = writeln!(
                s,
                "| {i} | {} | {} | {} | {} | {} |",
                st.old, st.new, st.new_available, st.total, st.available
            );
        }
        s.push('\n');
    }
    let mut facts = Vec::new();
    if let Some(m) = r.min_available {
        facts.push(format!("min available **{m}**"));
    }
    if let Some(m) = r.max_pods {
        facts.push(format!("max pods **{m}**"));
    }
    if let (Some(sec), Some(a)) = (r.estimate_seconds, &r.assumption) {
        facts.push(format!("≈ {sec} s ({a})"));
    }
    if !facts.is_empty() {
        let _ = writeln!(s, "{}\n", facts.join(", "));
    }
    for b in &r.budgets {
        let verdict = match b.honored {
            Some(true) => "honored".to_string(),
            Some(false) => format!(
                "**not honored**: the rollout goes below {} available",
                b.required_available
            ),
            None => "cannot be checked offline".to_string(),
        };
        let _ = writeln!(
            s,
            "- PodDisruptionBudget `{}` ({}): {verdict}",
            b.name, b.requirement
        );
    }
    if !r.budgets.is_empty() {
        s.push('\n');
    }
}

/// A fence longer than any run of backticks in the content.
fn fence_for(lines: &[String]) -> String {
    let longest = lines
        .iter()
        .map(|l| l.split(|c| c != '`').map(str::len).max().unwrap_or(0))
        .max()
        .unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

/// Inline code that survives backticks in the text.
fn code(text: &str) -> String {
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

/// A table cell: pipes escaped, one line.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
