use crate::manifest::Span;

use super::{Code, Severity};

/// One thing wrong with a resource (or its file), located by byte span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    /// A sentence for people: "unknown field `replica`".
    pub message: String,
    /// JSON pointer into the object (`/spec/replicas`); empty for the whole document or file.
    pub path: String,
    /// Where in the file; `None` when the finding is about the file as a whole.
    pub span: Option<Span>,
    /// What to do about it: "did you mean `replicas`?", "quote it: \"yes\"".
    pub hint: Option<String>,
}

impl Finding {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: code.default_severity(),
            message: message.into(),
            path: String::new(),
            span: None,
            hint: None,
        }
    }

    #[must_use]
    pub fn at(mut self, span: Span) -> Self {
        self.span = Some(span);
        self
    }

    #[must_use]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    #[must_use]
    pub fn hint_opt(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }
}
