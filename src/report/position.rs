//! Line and column of a finding's span, computed only when a renderer prints it: spans stay byte
//! offsets everywhere else.

use crate::manifest::{SourceFile, Span};

/// A 1-based region; `end_*` points just past the last character, as in SARIF and LSP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Region {
    pub start_line: u32,
    pub start_column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

impl Region {
    pub(super) fn of(file: &SourceFile, span: Span) -> Self {
        let (start_line, start_column) = file.line_col(span.start);
        // A span that swallows the line break after a block would otherwise end at column 1 of
        // the next line and make editors and annotations highlight a line with nothing wrong.
        let text = file.text.as_bytes();
        let mut end = span.end.max(span.start);
        while end > span.start && matches!(text.get(end as usize - 1), Some(b'\n' | b'\r')) {
            end -= 1;
        }
        let (end_line, end_column) = file.line_col(end);
        Self {
            start_line,
            start_column,
            end_line,
            end_column,
        }
    }
}

/// The same input for every renderer's tests, so that all formats are checked against it and
/// their snapshots can be read side by side.
#[cfg(test)]
pub(super) mod fixture {
    use std::sync::Arc;

    use crate::manifest::{ObjectRef, SourceFile, Span};
    use crate::report::{
        Code, Finding, Format, ReporterOptions, ResourceReport, Status, Summary, reporter_for,
    };

    pub const APP: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replica: 3
  template:
    metadata:
      labels: {app: web}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: flags
  namespace: shop
  labels:
    tier: <b>&\"café\"
data:
  enabled: yes
---
apiVersion: v1
kind: Namespace
metadata:
  name: shop
";

    pub const LEGACY: &str = "\
apiVersion: extensions/v1beta1
kind: Ingress
metadata:
  name: edge
---
apiVersion: batch/v1beta1
kind: CronJob
metadata:
  name: nightly
  namespace: ops
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: gizmo
";

    pub const BROKEN: &str = "apiVersion: v1\nkind: [ConfigMap\n";

    pub fn options() -> ReporterOptions {
        ReporterOptions {
            kubernetes_version: "1.37".into(),
            tool_version: "0.1.0".into(),
            ..ReporterOptions::default()
        }
    }

    pub fn object(api_version: &str, kind: &str, namespace: Option<&str>, name: &str) -> ObjectRef {
        ObjectRef {
            api_version: api_version.into(),
            kind: kind.into(),
            namespace: namespace.map(Into::into),
            name: Some(name.into()),
        }
    }

    /// The span of the `nth` (0-based) occurrence of `needle` in `text`.
    pub fn span(text: &str, needle: &str, nth: usize) -> Span {
        let start = text
            .match_indices(needle)
            .nth(nth)
            .map_or_else(|| panic!("`{needle}` #{nth} not in fixture"), |(i, _)| i);
        Span::new(start, start + needle.len())
    }

    pub fn report(
        file: &Arc<SourceFile>,
        object: Option<ObjectRef>,
        start: &str,
        findings: Vec<Finding>,
    ) -> ResourceReport {
        let mut report = ResourceReport {
            file: Arc::clone(file),
            object,
            start: span(&file.text, start, 0).start,
            status: Status::Valid,
            findings,
        };
        report.settle();
        report
    }

    /// Every status, both severities, a finding without a span, a document that never became
    /// an object, and text that needs escaping in every format.
    pub fn reports() -> Vec<ResourceReport> {
        let app = Arc::new(SourceFile::new("deploy/app.yaml", APP.into()));
        let legacy = Arc::new(SourceFile::new("deploy/legacy.yaml", LEGACY.into()));
        let broken = Arc::new(SourceFile::new("broken.yaml", BROKEN.into()));
        let blob = Arc::new(SourceFile::new("bin/blob.yaml", String::new()));

        let deployment = report(
            &app,
            Some(object("apps/v1", "Deployment", Some("shop"), "web")),
            "apiVersion: apps/v1",
            vec![
                Finding::new(Code::UnknownField, "unknown field `replica`")
                    .path("/spec/replica")
                    .at(span(APP, "replica", 0))
                    .hint("did you mean `replicas`?"),
                Finding::new(Code::MissingRequired, "missing required field `selector`")
                    .path("/spec")
                    .at(span(APP, "spec:\n  replica: 3\n  template:\n", 0)),
            ],
        );
        let config_map = report(
            &app,
            Some(object("v1", "ConfigMap", Some("shop"), "flags")),
            "apiVersion: v1\nkind: ConfigMap",
            vec![
                Finding::new(
                    Code::InvalidValue,
                    "label value `<b>&\"café\"` must match `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`",
                )
                .path("/metadata/labels/tier")
                .at(span(APP, "<b>&\"café\"", 0)),
                Finding::new(
                    Code::TypeMismatch,
                    "expected a string, found the boolean `true`",
                )
                .path("/data/enabled")
                .at(span(APP, "yes", 0))
                .hint("quote it: \"yes\""),
            ],
        );
        let namespace = report(
            &app,
            Some(object("v1", "Namespace", None, "shop")),
            "apiVersion: v1\nkind: Namespace",
            Vec::new(),
        );
        let ingress = report(
            &legacy,
            Some(object("extensions/v1beta1", "Ingress", None, "edge")),
            "apiVersion: extensions/v1beta1",
            vec![
                Finding::new(
                    Code::RemovedApi,
                    "extensions/v1beta1 Ingress is not served by Kubernetes 1.37",
                )
                .path("/apiVersion")
                .at(span(LEGACY, "extensions/v1beta1", 0))
                .hint("use networking.k8s.io/v1"),
            ],
        );
        let cron_job = report(
            &legacy,
            Some(object("batch/v1beta1", "CronJob", Some("ops"), "nightly")),
            "apiVersion: batch/v1beta1",
            vec![
                Finding::new(
                    Code::DeprecatedApi,
                    "batch/v1beta1 CronJob is deprecated, 100% sure, use: batch/v1",
                )
                .path("/apiVersion")
                .at(span(LEGACY, "batch/v1beta1", 0)),
            ],
        );
        let mut widget = report(
            &legacy,
            Some(object("example.com/v1", "Widget", None, "gizmo")),
            "apiVersion: example.com/v1",
            Vec::new(),
        );
        widget.status = Status::Skipped;
        let syntax = report(
            &broken,
            None,
            "apiVersion",
            vec![
                Finding::new(
                    Code::YamlSyntax,
                    "flow sequence was not closed\nbefore the end of the document",
                )
                .at(span(BROKEN, "[ConfigMap\n", 0))
                .hint("add `]`"),
            ],
        );
        let unreadable = ResourceReport {
            file: blob,
            object: None,
            start: 0,
            status: Status::Error,
            findings: vec![Finding::new(
                Code::Unreadable,
                "not UTF-8 text (invalid byte 0xFF at offset 12)",
            )],
        };

        vec![
            deployment, config_map, namespace, ingress, cron_job, widget, syntax, unreadable,
        ]
    }

    pub fn summary(reports: &[ResourceReport]) -> Summary {
        let mut summary = Summary::default();
        let mut files: Vec<&str> = Vec::new();
        for r in reports {
            summary.add(r);
            if !files.contains(&r.file.name.as_str()) {
                files.push(&r.file.name);
            }
        }
        summary.files = files.len();
        summary
    }

    /// Streams `reports` through the `format`'s reporter and returns what it wrote.
    pub fn render(format: Format, reports: &[ResourceReport]) -> String {
        let mut out = Vec::new();
        {
            let mut reporter = reporter_for(format, Box::new(&mut out), options());
            for r in reports {
                reporter.resource(r).expect("writing to a Vec");
            }
            reporter
                .finish(&summary(reports))
                .expect("writing to a Vec");
        }
        String::from_utf8(out).expect("renderers write UTF-8")
    }

    pub fn render_sample(format: Format) -> String {
        render(format, &reports())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_is_one_based_with_an_exclusive_end() {
        let f = SourceFile::new("x", "a: b\nspec:\n  replica: 3\n".into());
        let start = f.text.find("replica").unwrap();
        let r = Region::of(&f, Span::new(start, start + "replica".len()));
        assert_eq!(
            r,
            Region {
                start_line: 3,
                start_column: 3,
                end_line: 3,
                end_column: 10
            }
        );
    }

    #[test]
    fn trailing_line_breaks_are_not_part_of_the_region() {
        let f = SourceFile::new("x", "spec:\r\n  a: 1\r\nnext: 2\n".into());
        let end = f.text.find("next").unwrap();
        let r = Region::of(&f, Span::new(0, end));
        assert_eq!((r.start_line, r.start_column), (1, 1));
        assert_eq!((r.end_line, r.end_column), (2, 7));
    }

    #[test]
    fn empty_span_is_a_point() {
        let f = SourceFile::new("x", "a\n".into());
        let r = Region::of(&f, Span::new(2, 2));
        assert_eq!(
            (r.start_line, r.start_column, r.end_line, r.end_column),
            (2, 1, 2, 1)
        );
    }
}
