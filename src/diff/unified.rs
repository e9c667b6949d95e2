//! Unified line diffs of two YAML texts (`similar`), as data: renderers decide on colour and
//! markup.

use serde::Serialize;
use similar::{ChangeTag, TextDiff};

/// What a line of a unified diff is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LineKind {
    /// `@@ -1,4 +1,5 @@`
    Hunk,
    Context,
    Removed,
    Added,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    pub kind: LineKind,
    /// The line without its prefix and without the line break.
    pub text: String,
}

impl DiffLine {
    /// The line as `diff -u` writes it: ` `, `-`, `+` or the hunk header.
    pub fn plain(&self) -> String {
        match self.kind {
            LineKind::Hunk => self.text.clone(),
            LineKind::Context => format!(" {}", self.text),
            LineKind::Removed => format!("-{}", self.text),
            LineKind::Added => format!("+{}", self.text),
        }
    }
}

/// The hunks between `before` and `after` with `context` unchanged lines around each change.
/// Empty when the texts are equal.
pub fn unified(before: &str, after: &str, context: usize) -> Vec<DiffLine> {
    let diff = TextDiff::from_lines(before, after);
    let mut lines = Vec::new();
    for group in diff.grouped_ops(context) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let old = first.old_range().start..last.old_range().end;
        let new = first.new_range().start..last.new_range().end;
        lines.push(DiffLine {
            kind: LineKind::Hunk,
            text: format!(
                "@@ -{} +{} @@",
                range(old.start, old.len()),
                range(new.start, new.len())
            ),
        });
        for op in &group {
            for change in diff.iter_changes(op) {
                let kind = match change.tag() {
                    ChangeTag::Equal => LineKind::Context,
                    ChangeTag::Delete => LineKind::Removed,
                    ChangeTag::Insert => LineKind::Added,
                };
                let text = change.value();
                lines.push(DiffLine {
                    kind,
                    text: text.strip_suffix('\n').unwrap_or(text).to_string(),
                });
            }
        }
    }
    lines
}

/// `start,len` as `diff -u` numbers it (1-based; an empty range names the line before it).
fn range(start: usize, len: usize) -> String {
    match len {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{len}", start + 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(lines: &[DiffLine]) -> Vec<String> {
        lines.iter().map(DiffLine::plain).collect()
    }

    #[test]
    fn a_changed_line_with_one_line_of_context() {
        let before = "a: 1\nb: 2\nc: 3\nd: 4\n";
        let after = "a: 1\nb: 2\nc: 30\nd: 4\n";
        assert_eq!(
            plain(&unified(before, after, 1)),
            ["@@ -2,3 +2,3 @@", " b: 2", "-c: 3", "+c: 30", " d: 4"]
        );
    }

    #[test]
    fn equal_texts_have_no_hunks_and_new_texts_are_all_added() {
        assert!(unified("a: 1\n", "a: 1\n", 3).is_empty());
        assert_eq!(
            plain(&unified("", "a: 1\nb: 2\n", 3)),
            ["@@ -0,0 +1,2 @@", "+a: 1", "+b: 2"]
        );
    }
}
