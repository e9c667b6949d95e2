use std::sync::Arc;

use rayon::prelude::*;

use crate::lint::{DuplicateKey, check_selector, find_duplicates, lifecycle_of};
use crate::manifest::{
    Document, Extracted, Input, InputError, LoadIssue, LoadIssueKind, ObjectRef, SourceFile, Span,
    extract_objects, parse_documents, read_input, split_documents,
};
use crate::report::{Code, Finding, ResourceReport, Severity, Status, Summary};
use crate::schema::{Gvk, Lookup, SchemaRegistry, crd_schemas};

use super::{ValidateOptions, schema_findings};

/// The outcome of a validation run, in input order.
pub struct Run {
    pub reports: Vec<ResourceReport>,
    pub summary: Summary,
}

/// Files above this size are split for parallel parsing.
const SPLIT_BYTES: usize = 256 << 10;

/// A resource's report and, for named objects, its duplicate-detection key and name's span.
type Checked = (ResourceReport, Option<(DuplicateKey, Span)>);

/// A file read (or not) in phase one.
type Loaded = Result<Arc<SourceFile>, (String, LoadIssue)>;

/// Validates `inputs`. CRDs anywhere in `inputs` or `crd_inputs` define schemas for the whole
/// run, whatever the file order: they are collected before anything is validated.
pub fn run(
    inputs: &[Input],
    input_errors: Vec<InputError>,
    crd_inputs: &[Input],
    registry: &mut SchemaRegistry,
    options: &ValidateOptions,
) -> Run {
    let loaded = read_all(inputs, options.max_file_bytes);
    let crd_loaded = read_all(crd_inputs, options.max_file_bytes);

    let mut crd_errors: Vec<(String, u32, String)> = Vec::new();
    let mut preliminary: Vec<ResourceReport> = Vec::new();
    for file in loaded
        .iter()
        .chain(crd_loaded.iter())
        .filter_map(|f| f.as_ref().ok())
    {
        // A cheap substring test keeps phase one from parsing files without CRDs.
        if !file.text.contains("CustomResourceDefinition") {
            continue;
        }
        for doc in parse_documents(&file.text, options.limits) {
            for extracted in extract_objects(&doc) {
                let Extracted::Object { root, object } = extracted else {
                    continue;
                };
                if object.kind != "CustomResourceDefinition"
                    || object.group() != "apiextensions.k8s.io"
                {
                    continue;
                }
                match crd_schemas(&doc.tree.to_json(root), registry.strict()) {
                    Ok(schemas) => schemas.into_iter().for_each(|s| registry.add_crd(s)),
                    Err(e) => crd_errors.push((
                        file.name.clone(),
                        doc.tree.node(root).span.start,
                        e.to_string(),
                    )),
                }
            }
        }
    }
    for (name, issue) in crd_loaded.iter().filter_map(|f| f.as_ref().err()) {
        preliminary.push(unreadable_report(name, issue.clone()));
    }

    let registry = &*registry;
    let per_file: Vec<Vec<Checked>> = loaded
        .par_iter()
        .map(|file| match file {
            Ok(file) => check_file(file, registry, options, &crd_errors),
            Err((name, issue)) => vec![(unreadable_report(name, issue.clone()), None)],
        })
        .collect();

    let mut reports = preliminary;
    reports.extend(input_errors.into_iter().map(|e| {
        unreadable_report(
            &e.path,
            LoadIssue {
                kind: LoadIssueKind::Unreadable,
                message: e.message,
                span: Span::default(),
                hint: None,
                related: None,
            },
        )
    }));
    let offset = reports.len();
    let mut keys = vec![None; offset];
    let mut name_spans = vec![None; offset];
    for (report, key) in per_file.into_iter().flatten() {
        reports.push(report);
        let (key, span) = key.unzip();
        keys.push(key);
        name_spans.push(span);
    }
    for (dup, first) in find_duplicates(&keys) {
        let first_report = &reports[first];
        let (line, _) = first_report.file.line_col(first_report.start);
        let message = format!(
            "{} is defined more than once; first at {}:{line}",
            reports[dup].title(),
            first_report.file.name
        );
        let start = reports[dup].start;
        let span = name_spans[dup].unwrap_or(Span::new(start as usize, start as usize));
        let report = &mut reports[dup];
        report.findings.push(
            Finding::new(Code::DuplicateObject, message)
                .at(span)
                .path("/metadata/name")
                .hint("the second definition would overwrite the first on apply; remove or rename one"),
        );
        report.settle();
    }
    let mut summary = Summary {
        files: inputs.len(),
        ..Summary::default()
    };
    for r in &reports {
        summary.add(r);
    }
    Run { reports, summary }
}

fn read_all(inputs: &[Input], max_bytes: u64) -> Vec<Loaded> {
    inputs
        .par_iter()
        .map(|input| {
            read_input(input, max_bytes)
                .map(Arc::new)
                .map_err(|e| (input.display_name(), e))
        })
        .collect()
}

fn unreadable_report(name: &str, issue: LoadIssue) -> ResourceReport {
    let mut report = ResourceReport {
        file: Arc::new(SourceFile::new(name, String::new())),
        object: None,
        start: 0,
        status: Status::Error,
        findings: vec![finding_from_issue(issue, None)],
    };
    report.settle();
    report
}

fn finding_from_issue(issue: LoadIssue, file: Option<&SourceFile>) -> Finding {
    let code = match issue.kind {
        LoadIssueKind::Syntax | LoadIssueKind::Unsupported => Code::YamlSyntax,
        LoadIssueKind::DuplicateKey => Code::DuplicateKey,
        LoadIssueKind::NonFinite => Code::NonFiniteNumber,
        LoadIssueKind::Limit => Code::InputLimit,
        LoadIssueKind::Unreadable => Code::Unreadable,
        LoadIssueKind::NotKubernetes => Code::NotKubernetes,
    };
    let mut hint = issue.hint;
    if let (Some(file), Some(related)) = (file, issue.related) {
        let (line, col) = file.line_col(related.start);
        let first = format!("first at line {line}, column {col}");
        hint = Some(hint.map_or_else(|| first.clone(), |h| format!("{first}; {h}")));
    }
    let mut f = Finding::new(code, issue.message).hint_opt(hint);
    if file.is_some() {
        f.span = Some(issue.span);
    }
    f
}

fn check_file(
    file: &Arc<SourceFile>,
    registry: &SchemaRegistry,
    options: &ValidateOptions,
    crd_errors: &[(String, u32, String)],
) -> Vec<Checked> {
    // Big multi-document files are cut at document markers and checked on several threads;
    // a file's reports keep their order.
    split_documents(&file.text, SPLIT_BYTES)
        .into_par_iter()
        .flat_map_iter(|(base, chunk)| {
            let mut out = Vec::new();
            for mut doc in parse_documents(chunk, options.limits) {
                doc.shift_spans(base as u32);
                check_document(file, &doc, registry, options, crd_errors, &mut out);
            }
            out
        })
        .collect()
}

fn check_document(
    file: &Arc<SourceFile>,
    doc: &Document<'_>,
    registry: &SchemaRegistry,
    options: &ValidateOptions,
    crd_errors: &[(String, u32, String)],
    out: &mut Vec<Checked>,
) {
    let report = |object: Option<ObjectRef>, start: u32, findings: Vec<Finding>| {
        let mut r = ResourceReport {
            file: Arc::clone(file),
            object,
            start,
            status: Status::Valid,
            findings,
        };
        r.settle();
        r
    };
    let mut doc_findings: Vec<Finding> = doc
        .issues
        .iter()
        .cloned()
        .map(|i| finding_from_issue(i, Some(file)))
        .collect();
    if doc.failed {
        out.push((report(None, doc.start, doc_findings), None));
        return;
    }
    let extracted = extract_objects(doc);
    if extracted.is_empty() {
        if !doc_findings.is_empty() {
            out.push((report(None, doc.start, doc_findings), None));
        }
        return;
    }
    for item in extracted {
        // Document-level issues (duplicate keys…) go to the first object of the document.
        let mut findings = std::mem::take(&mut doc_findings);
        match item {
            Extracted::NotKubernetes { root, issue } => {
                let start = doc.tree.node(root).span.start;
                if options.ignore_non_k8s {
                    // Counted as skipped, but with nothing to say about it.
                    let mut r = report(None, start, findings);
                    r.status = Status::Skipped;
                    out.push((r, None));
                    continue;
                }
                findings.push(finding_from_issue(issue, Some(file)));
                out.push((report(None, start, findings), None));
            }
            Extracted::Object { root, object } => {
                let start = doc.tree.node(root).span.start;
                let name = doc.tree.get_path(root, &["metadata", "name"]);
                let key = DuplicateKey::of(&object, name.is_some())
                    .zip(name.map(|n| doc.tree.node(n).span));
                if is_skipped(&object, &options.skip_kinds) {
                    let mut r = report(Some(object), start, findings);
                    r.status = Status::Skipped;
                    out.push((r, key));
                    continue;
                }
                let skipped = check_object(doc, root, &object, registry, options, &mut findings);
                if object.kind == "CustomResourceDefinition" {
                    for (_, _, e) in crd_errors
                        .iter()
                        .filter(|(n, s, _)| *n == file.name && *s == start)
                    {
                        findings.push(
                            Finding::new(Code::InvalidCrd, e.clone()).at(doc.tree.node(root).span),
                        );
                    }
                }
                let mut r = report(Some(object), start, findings);
                if skipped && r.findings.iter().all(|f| f.severity == Severity::Warning) {
                    r.status = Status::Skipped;
                }
                out.push((r, key));
            }
        }
    }
}

/// Schema, lifecycle and selector checks of one object. Returns whether the schema check was
/// skipped (`--ignore-missing-schemas`).
fn check_object(
    doc: &Document<'_>,
    root: u32,
    object: &ObjectRef,
    registry: &SchemaRegistry,
    options: &ValidateOptions,
    findings: &mut Vec<Finding>,
) -> bool {
    let tree = &doc.tree;
    let gvk = Gvk::of(object);
    let api_span = tree
        .entry(root, "apiVersion")
        .map(|e| tree.node(e.value).span);
    let lifecycle = lifecycle_of(&gvk);
    let mut skipped = false;
    match registry.lookup(&gvk) {
        Lookup::Found(validator, _) => {
            let json = tree.to_json(root);
            findings.extend(schema_findings(
                &validator, &json, tree, root, &gvk, registry,
            ));
            if let Some(l) = lifecycle.filter(|l| l.deprecated_in <= registry.version()) {
                let mut f = Finding::new(Code::DeprecatedApi, l.deprecated_message())
                    .hint(l.hint())
                    .path("/apiVersion");
                f.span = api_span;
                findings.push(f);
            }
        }
        Lookup::Missing => {
            if let Some(l) = lifecycle.filter(|l| l.removed_in <= registry.version()) {
                let mut f = Finding::new(Code::RemovedApi, l.removed_message())
                    .hint(l.hint())
                    .path("/apiVersion");
                f.span = api_span;
                findings.push(f);
            } else if options.ignore_missing_schemas {
                skipped = true;
            } else {
                let served = registry.builtin_versions_of(&object.kind);
                let hint = if served.is_empty() {
                    "add its CustomResourceDefinition to the input or --crd, point --schema-location at its schema, or pass --ignore-missing-schemas".to_string()
                } else {
                    let names: Vec<String> = served.iter().map(Gvk::api_version).collect();
                    format!(
                        "Kubernetes {} serves {} as {}",
                        registry.version(),
                        object.kind,
                        names.join(", ")
                    )
                };
                let mut f = Finding::new(
                    Code::MissingSchema,
                    format!("no schema for {gvk} in Kubernetes {}", registry.version()),
                )
                .hint(hint)
                .path("/apiVersion");
                f.span = api_span;
                findings.push(f);
            }
        }
        Lookup::Failed(message) => {
            let mut f = Finding::new(
                Code::MissingSchema,
                format!("schema for {gvk} could not be used: {message}"),
            )
            .path("/apiVersion");
            f.span = api_span;
            findings.push(f);
        }
    }
    findings.extend(check_selector(tree, root, object));
    skipped
}

fn is_skipped(object: &ObjectRef, skip: &[String]) -> bool {
    skip.iter().any(|s| {
        s == &object.kind
            || s.strip_suffix(&object.kind)
                .and_then(|p| p.strip_suffix('/'))
                == Some(object.api_version.as_str())
    })
}
