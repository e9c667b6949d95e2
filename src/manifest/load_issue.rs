use super::Span;

/// Something that kept a file or document from loading cleanly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadIssue {
    pub kind: LoadIssueKind,
    pub message: String,
    pub span: Span,
    pub hint: Option<String>,
    /// Another place the issue involves (the first occurrence of a duplicate key).
    pub related: Option<Span>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadIssueKind {
    /// Not valid YAML.
    Syntax,
    /// A mapping repeats a key.
    DuplicateKey,
    /// `.inf` / `.nan`, which JSON cannot carry.
    NonFinite,
    /// A nesting, alias or size limit was hit.
    Limit,
    /// Valid YAML that no Kubernetes manifest can be (collection keys).
    Unsupported,
    /// The file could not be read, or is not text.
    Unreadable,
    /// No `apiVersion` or `kind`.
    NotKubernetes,
}
