use std::fmt;

use crate::manifest::{LoadIssue, SourceFile};

/// One problem that kept a manifest from loading, located for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub message: String,
    pub hint: Option<String>,
}

impl Diagnostic {
    /// From the loader's issue; positions only when the file's text is at hand.
    pub fn from_issue(name: &str, file: Option<&SourceFile>, issue: &LoadIssue) -> Self {
        let position = file.map(|f| f.line_col(issue.span.start));
        let mut hint = issue.hint.clone();
        if let (Some(file), Some(related)) = (file, issue.related) {
            let (line, col) = file.line_col(related.start);
            let first = format!("first at line {line}, column {col}");
            hint = Some(hint.map_or_else(|| first.clone(), |h| format!("{first}; {h}")));
        }
        Self {
            file: name.to_string(),
            line: position.map(|p| p.0),
            column: position.map(|p| p.1),
            message: issue.message.clone(),
            hint,
        }
    }
}

impl fmt::Display for Diagnostic {
    /// `file:line:col: message (hint)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(col) = self.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

/// Manifests that could not be loaded: every problem found, one per line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LoadError {
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}
