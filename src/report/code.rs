use serde::Serialize;

use super::Severity;

/// Stable finding codes. Numbers are never reused; each is documented in `docs/codes.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    UnknownField,
    TypeMismatch,
    MissingRequired,
    InvalidValue,
    YamlSyntax,
    DuplicateKey,
    NonFiniteNumber,
    InputLimit,
    Unreadable,
    NotKubernetes,
    MissingSchema,
    InvalidCrd,
    DuplicateObject,
    DeprecatedApi,
    RemovedApi,
    SelectorMismatch,
}

impl Code {
    pub const ALL: [Code; 16] = [
        Code::UnknownField,
        Code::TypeMismatch,
        Code::MissingRequired,
        Code::InvalidValue,
        Code::YamlSyntax,
        Code::DuplicateKey,
        Code::NonFiniteNumber,
        Code::InputLimit,
        Code::Unreadable,
        Code::NotKubernetes,
        Code::MissingSchema,
        Code::InvalidCrd,
        Code::DuplicateObject,
        Code::DeprecatedApi,
        Code::RemovedApi,
        Code::SelectorMismatch,
    ];

    /// `KP001`…: what tools and suppressions refer to.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::UnknownField => "KP001",
            Code::TypeMismatch => "KP002",
            Code::MissingRequired => "KP003",
            Code::InvalidValue => "KP004",
            Code::YamlSyntax => "KP101",
            Code::DuplicateKey => "KP102",
            Code::NonFiniteNumber => "KP103",
            Code::InputLimit => "KP104",
            Code::Unreadable => "KP105",
            Code::NotKubernetes => "KP106",
            Code::MissingSchema => "KP201",
            Code::InvalidCrd => "KP202",
            Code::DuplicateObject => "KP301",
            Code::DeprecatedApi => "KP302",
            Code::RemovedApi => "KP303",
            Code::SelectorMismatch => "KP304",
        }
    }

    /// The kebab-case rule name shown beside the code.
    pub fn name(self) -> &'static str {
        match self {
            Code::UnknownField => "unknown-field",
            Code::TypeMismatch => "type-mismatch",
            Code::MissingRequired => "missing-required",
            Code::InvalidValue => "invalid-value",
            Code::YamlSyntax => "yaml-syntax",
            Code::DuplicateKey => "duplicate-key",
            Code::NonFiniteNumber => "non-finite-number",
            Code::InputLimit => "input-limit",
            Code::Unreadable => "unreadable",
            Code::NotKubernetes => "not-kubernetes",
            Code::MissingSchema => "missing-schema",
            Code::InvalidCrd => "invalid-crd",
            Code::DuplicateObject => "duplicate-object",
            Code::DeprecatedApi => "deprecated-api",
            Code::RemovedApi => "removed-api",
            Code::SelectorMismatch => "selector-mismatch",
        }
    }

    /// One line on what the rule checks (SARIF `shortDescription`, `docs/codes.md`).
    pub fn summary(self) -> &'static str {
        match self {
            Code::UnknownField => {
                "A field the schema does not define (the API server's strict field validation rejects it)."
            }
            Code::TypeMismatch => {
                "A value of the wrong JSON type, e.g. a string where an integer is expected."
            }
            Code::MissingRequired => "A required field is absent.",
            Code::InvalidValue => {
                "A value the schema does not allow (enum, format, bounds, quantity syntax)."
            }
            Code::YamlSyntax => "The document is not valid YAML.",
            Code::DuplicateKey => "A mapping repeats a key; kubectl rejects such documents.",
            Code::NonFiniteNumber => "`.inf` or `.nan`, which cannot be encoded as JSON.",
            Code::InputLimit => "A size, nesting or alias-expansion limit was exceeded.",
            Code::Unreadable => "The file could not be read as UTF-8 text.",
            Code::NotKubernetes => "The document has no `apiVersion` or `kind`.",
            Code::MissingSchema => "No schema is known for this apiVersion and kind.",
            Code::InvalidCrd => "A CustomResourceDefinition whose schema cannot be used.",
            Code::DuplicateObject => {
                "The same object (group, kind, namespace, name) is defined twice."
            }
            Code::DeprecatedApi => "The apiVersion is deprecated in the target Kubernetes version.",
            Code::RemovedApi => {
                "The apiVersion is no longer served by the target Kubernetes version."
            }
            Code::SelectorMismatch => {
                "A workload's selector does not match its pod template's labels."
            }
        }
    }

    pub fn default_severity(self) -> Severity {
        match self {
            Code::DeprecatedApi => Severity::Warning,
            _ => Severity::Error,
        }
    }

    /// Whether the finding means the resource could not be checked at all (status `error`)
    /// rather than checked and found wanting (status `invalid`).
    pub fn is_processing_error(self) -> bool {
        matches!(
            self,
            Code::YamlSyntax
                | Code::InputLimit
                | Code::Unreadable
                | Code::NotKubernetes
                | Code::MissingSchema
        )
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique() {
        let mut codes: Vec<_> = Code::ALL.iter().map(|c| c.as_str()).collect();
        let mut names: Vec<_> = Code::ALL.iter().map(|c| c.name()).collect();
        codes.sort_unstable();
        names.sort_unstable();
        codes.dedup();
        names.dedup();
        assert_eq!(codes.len(), Code::ALL.len());
        assert_eq!(names.len(), Code::ALL.len());
    }
}

#[cfg(test)]
mod doc_tests {
    use super::Code;

    #[test]
    fn every_code_is_documented_in_docs_codes_md() {
        let doc = include_str!("../../docs/codes.md");
        for code in Code::ALL {
            let heading = format!("## {} {}", code.as_str(), code.name());
            assert!(doc.contains(&heading), "docs/codes.md lacks `{heading}`");
        }
    }
}
