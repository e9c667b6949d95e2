//! One renderer per output format, each `render(&Plan, &RenderOptions, &mut dyn Write)`.
//! `kplan diff` and `kplan plan` render the same [`Plan`](super::Plan) in two views: the diff
//! view shows the changed objects' diffs, the plan view adds the apply order, reasons,
//! rollouts, warnings and objects left alone.

mod json;
mod markdown;
mod text;

use std::io::{self, Write};

use super::Plan;

/// Which command's rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Diff,
    Plan,
}

impl View {
    pub fn command(self) -> &'static str {
        match self {
            View::Diff => "diff",
            View::Plan => "plan",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Debug, Clone, Copy)]
pub struct RenderOptions {
    pub view: View,
    /// ANSI colour (text only).
    pub color: bool,
    /// Unchanged lines around each change in a diff.
    pub context: usize,
}

pub fn render(
    plan: &Plan,
    format: PlanFormat,
    options: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        PlanFormat::Text => text::render(plan, options, out),
        PlanFormat::Markdown => markdown::render(plan, options, out),
        PlanFormat::Json => json::render(plan, options, out),
    }
}

/// "directory base/", "snapshot s.json (https://…, taken 2026-…)".
fn describe_source(plan: &Plan) -> String {
    let a = &plan.against;
    let mut s = format!("{} {}", a.kind, a.location);
    let details: Vec<String> = [
        a.server.clone(),
        a.taken_at.as_ref().map(|t| format!("taken {t}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !details.is_empty() {
        s.push_str(" (");
        s.push_str(&details.join(", "));
        s.push(')');
    }
    s
}

/// Whether a diff line is one of the changes that force the object's replacement, for a
/// `# forces replacement` note.
fn forces_replacement(o: &super::PlannedObject, line: &crate::diff::DiffLine) -> bool {
    use crate::diff::LineKind;
    o.action == super::Action::Replace
        && matches!(line.kind, LineKind::Added | LineKind::Removed)
        && o.forces_replacement
            .iter()
            .any(|path| is_line_of(&line.text, path))
}

/// Whether a YAML line (as `to_yaml` writes it) holds the last key of `pointer`: the key
/// matches and sits at the indentation of its depth (two columns per object key above it; a
/// list item's `- ` counts as indentation).
fn is_line_of(line: &str, pointer: &str) -> bool {
    let segments: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    let Some((leaf, parents)) = segments.split_last() else {
        return false;
    };
    if leaf.parse::<usize>().is_ok() {
        return false;
    }
    let depth = parents
        .iter()
        .filter(|s| s.parse::<usize>().is_err())
        .count();
    let column = line.len() - line.trim_start_matches([' ', '-']).len();
    let key = leaf.replace("~1", "/").replace("~0", "~");
    column == 2 * depth && line[column..].starts_with(&format!("{key}:"))
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod line_tests {
    use super::is_line_of;

    #[test]
    fn forced_paths_mark_their_own_line_only() {
        let path = "/spec/selector/matchLabels/tier";
        assert!(is_line_of("      tier: frontend", path));
        assert!(
            !is_line_of("        tier: frontend", path),
            "the template's label"
        );
        assert!(is_line_of(
            "      - image: a:2",
            "/spec/template/spec/containers/0/image"
        ));
    }
}
