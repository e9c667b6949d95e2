use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::Value;

use crate::manifest::{
    Extracted, Limits, LoadIssue, SourceFile, collect_inputs, extract_objects, parse_documents,
    read_input,
};

use super::{Diagnostic, LoadError, Origin};

/// One object read from a manifest file, as written (a `List` contributes its items).
#[derive(Debug, Clone)]
pub struct ManifestDoc {
    pub api_version: String,
    pub kind: String,
    /// `metadata.namespace` as written.
    pub namespace: Option<String>,
    /// `metadata.name`; `None` for objects that only have a `generateName`.
    pub name: Option<String>,
    /// Shared: the plan keeps the desired object without copying it.
    pub object: Arc<Value>,
    pub origin: Origin,
}

impl ManifestDoc {
    /// The API group (`apps`; empty for the core `v1`).
    pub fn group(&self) -> &str {
        self.api_version.rsplit_once('/').map_or("", |(g, _)| g)
    }
}

/// Every object of a set of files and directories, in input order.
#[derive(Debug, Clone, Default)]
pub struct ManifestSet {
    pub docs: Vec<ManifestDoc>,
    pub files: usize,
}

impl ManifestSet {
    /// Objects that come from somewhere other than files (a release record): each named by
    /// `origin` and its position.
    pub fn from_values(origin: &str, objects: &[Value]) -> ManifestSet {
        let text = |v: &Value| v.as_str().map(str::to_string);
        let docs = objects
            .iter()
            .enumerate()
            .map(|(i, o)| ManifestDoc {
                api_version: text(&o["apiVersion"]).unwrap_or_default(),
                kind: text(&o["kind"]).unwrap_or_default(),
                namespace: text(&o["metadata"]["namespace"]),
                name: text(&o["metadata"]["name"]),
                object: Arc::new(o.clone()),
                origin: Origin {
                    file: origin.to_string(),
                    line: u32::try_from(i + 1).unwrap_or(u32::MAX),
                },
            })
            .collect();
        ManifestSet { docs, files: 0 }
    }
}

/// How manifests are read.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    /// Largest file read, in bytes.
    pub max_file_bytes: u64,
    /// Skip documents that are valid YAML but no Kubernetes object (no `apiVersion`/`kind`)
    /// instead of failing (`--ignore-non-k8s`).
    pub ignore_non_k8s: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            max_file_bytes: 64 << 20,
            ignore_non_k8s: false,
        }
    }
}

/// Reads manifests with the same loader as `kplan validate`. Any document that is not a
/// readable Kubernetes object fails the whole load, with every problem located as
/// `file:line:col`: a plan from half the manifests would propose deleting the other half.
pub fn load_manifests(paths: &[PathBuf], options: LoadOptions) -> Result<ManifestSet, LoadError> {
    let (inputs, input_errors) = collect_inputs(paths);
    let mut diagnostics: Vec<Diagnostic> = input_errors
        .into_iter()
        .map(|e| Diagnostic {
            file: e.path,
            line: None,
            column: None,
            message: e.message,
            hint: None,
        })
        .collect();
    let per_file: Vec<(Vec<ManifestDoc>, Vec<Diagnostic>)> = inputs
        .par_iter()
        .map(|input| match read_input(input, options.max_file_bytes) {
            Ok(file) => load_file(&file, options.ignore_non_k8s),
            Err(issue) => (
                Vec::new(),
                vec![Diagnostic::from_issue(&input.display_name(), None, &issue)],
            ),
        })
        .collect();
    let mut docs = Vec::new();
    for (file_docs, file_diagnostics) in per_file {
        docs.extend(file_docs);
        diagnostics.extend(file_diagnostics);
    }
    if diagnostics.is_empty() {
        Ok(ManifestSet {
            docs,
            files: inputs.len(),
        })
    } else {
        Err(LoadError { diagnostics })
    }
}

fn load_file(file: &SourceFile, ignore_non_k8s: bool) -> (Vec<ManifestDoc>, Vec<Diagnostic>) {
    let mut docs = Vec::new();
    let mut diagnostics = Vec::new();
    let report = |issue: &LoadIssue, diagnostics: &mut Vec<Diagnostic>| {
        diagnostics.push(Diagnostic::from_issue(&file.name, Some(file), issue));
    };
    for doc in parse_documents(&file.text, Limits::default()) {
        for issue in &doc.issues {
            report(issue, &mut diagnostics);
        }
        if doc.failed {
            continue;
        }
        for extracted in extract_objects(&doc) {
            match extracted {
                Extracted::NotKubernetes { .. } if ignore_non_k8s => {}
                Extracted::NotKubernetes { issue, .. } => report(&issue, &mut diagnostics),
                Extracted::Object { root, object } => {
                    let (line, _) = file.line_col(doc.tree.node(root).span.start);
                    let name = doc
                        .tree
                        .str_at(root, &["metadata", "name"])
                        .map(str::to_string);
                    docs.push(ManifestDoc {
                        api_version: object.api_version,
                        kind: object.kind,
                        namespace: object.namespace,
                        name,
                        object: Arc::new(doc.tree.to_json(root)),
                        origin: Origin {
                            file: file.name.clone(),
                            line,
                        },
                    });
                }
            }
        }
    }
    (docs, diagnostics)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_keep_their_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.yaml"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: b, namespace: x}}\n",
        )
        .unwrap();
        let set = load_manifests(&[dir.path().to_path_buf()], LoadOptions::default()).unwrap();
        let found: Vec<_> = set
            .docs
            .iter()
            .map(|d| (d.kind.as_str(), d.name.as_deref(), d.origin.line))
            .collect();
        assert_eq!(
            found,
            [("ConfigMap", Some("a"), 1), ("Secret", Some("b"), 8)]
        );
    }

    #[test]
    fn bad_documents_fail_the_load_with_their_position() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.yaml");
        std::fs::write(&file, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nports: [80, 443\n---\nname: x\n").unwrap();
        let err = load_manifests(std::slice::from_ref(&file), LoadOptions::default()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("bad.yaml:5:"), "{text}");
        assert!(text.contains("missing 'apiVersion' key"), "{text}");
        assert_eq!(err.diagnostics.len(), 2, "{text}");
        let skipping = LoadOptions {
            ignore_non_k8s: true,
            ..LoadOptions::default()
        };
        let err = load_manifests(&[file], skipping).unwrap_err();
        assert_eq!(err.diagnostics.len(), 1, "syntax errors still count: {err}");
    }
}
