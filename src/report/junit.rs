//! `-o junit`: the `JUnit` XML dialect Jenkins and GitLab read — a test suite per input file, a
//! test case per resource.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::position::Region;
use super::{Finding, Reporter, ReporterOptions, ResourceReport, Severity, Status, Summary};

/// Buffers until `finish`: the root element carries the totals, and a file's suite must hold
/// its cases even if the caller ever interleaves files.
pub struct JunitReporter<'w> {
    out: Box<dyn Write + 'w>,
    options: ReporterOptions,
    suites: Vec<Suite>,
    suite_index: HashMap<String, usize>,
}

#[derive(Default)]
struct Counts {
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

struct Suite {
    file: String,
    counts: Counts,
    cases: Vec<Case>,
}

struct Case {
    name: String,
    outcome: Outcome,
}

enum Outcome {
    /// Passed; warnings, if any, go to `<system-out>` so they are seen without failing.
    Passed {
        warnings: String,
    },
    Failure(Detail),
    Error(Detail),
    Skipped {
        message: Option<String>,
    },
}

struct Detail {
    message: String,
    kind: Option<&'static str>,
    text: String,
}

impl Counts {
    fn add(&mut self, outcome: &Outcome) {
        self.tests += 1;
        match outcome {
            Outcome::Passed { .. } => {}
            Outcome::Failure(_) => self.failures += 1,
            Outcome::Error(_) => self.errors += 1,
            Outcome::Skipped { .. } => self.skipped += 1,
        }
    }

    fn attributes(&self) -> String {
        format!(
            r#"tests="{}" failures="{}" errors="{}" skipped="{}""#,
            self.tests, self.failures, self.errors, self.skipped
        )
    }
}

impl<'w> JunitReporter<'w> {
    pub fn new(out: Box<dyn Write + 'w>, options: ReporterOptions) -> Self {
        Self {
            out,
            options,
            suites: Vec::new(),
            suite_index: HashMap::new(),
        }
    }

    fn suite(&mut self, file: &str) -> &mut Suite {
        let index = *self.suite_index.entry(file.to_owned()).or_insert_with(|| {
            self.suites.push(Suite {
                file: file.to_owned(),
                counts: Counts::default(),
                cases: Vec::new(),
            });
            self.suites.len() - 1
        });
        &mut self.suites[index]
    }
}

impl Case {
    fn new(report: &ResourceReport) -> Self {
        let name = match &report.object {
            Some(object) => object.to_string(),
            // The suite already names the file; the line tells documents of one file apart.
            None => format!("document at line {}", report.file.line_col(report.start).0),
        };
        let mut text = String::new();
        for f in &report.findings {
            finding_line(&mut text, report, f);
        }
        let outcome = match report.status {
            // Any finding left on a valid resource is a warning.
            Status::Valid => Outcome::Passed { warnings: text },
            Status::Invalid => Outcome::Failure(Detail::new(report, text)),
            Status::Error => Outcome::Error(Detail::new(report, text)),
            Status::Skipped => Outcome::Skipped {
                message: report.findings.first().map(|f| f.message.clone()),
            },
        };
        Self { name, outcome }
    }
}

impl Detail {
    /// The finding that decided the status names the failure; the rest are in the text.
    fn new(report: &ResourceReport, text: String) -> Self {
        let errors = || {
            report
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
        };
        let primary = errors()
            .find(|f| (report.status == Status::Error) == f.code.is_processing_error())
            .or_else(|| errors().next())
            .or_else(|| report.findings.first());
        let others = errors().count().saturating_sub(1);
        let message = match (primary, others) {
            (None, _) => report.status.as_str().to_owned(),
            (Some(f), 0) => f.message.clone(),
            (Some(f), n) => format!("{} (and {n} more)", f.message),
        };
        Self {
            message,
            kind: primary.map(|f| f.code.as_str()),
            text,
        }
    }
}

/// `file:line:col: CODE rule: message (hint)`, the shape editors and CI logs link.
fn finding_line(out: &mut String, report: &ResourceReport, finding: &Finding) {
    out.push_str(&report.file.name);
    if let Some(span) = finding.span {
        let region = Region::of(&report.file, span);
        let _ = write!(out, ":{}:{}", region.start_line, region.start_column);
    }
    let _ = write!(
        out,
        ": {} {}: {}",
        finding.code.as_str(),
        finding.code.name(),
        finding.message
    );
    if let Some(hint) = &finding.hint {
        let _ = write!(out, " ({hint})");
    }
    out.push('\n');
}

impl Reporter for JunitReporter<'_> {
    fn resource(&mut self, report: &ResourceReport) -> io::Result<()> {
        let case = Case::new(report);
        let suite = self.suite(&report.file.name);
        suite.counts.add(&case.outcome);
        suite.cases.push(case);
        Ok(())
    }

    fn finish(&mut self, _summary: &Summary) -> io::Result<()> {
        // Totals come from the cases written, so the document always agrees with itself.
        let mut total = Counts::default();
        for suite in &self.suites {
            total.tests += suite.counts.tests;
            total.failures += suite.counts.failures;
            total.errors += suite.counts.errors;
            total.skipped += suite.counts.skipped;
        }
        let version = escape(&self.options.kubernetes_version, true);
        let out = &mut self.out;
        writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
        writeln!(
            out,
            r#"<testsuites name="kplan validate" {}>"#,
            total.attributes()
        )?;
        for suite in &self.suites {
            let file = escape(&suite.file, true);
            writeln!(
                out,
                r#"  <testsuite name="{file}" {}>"#,
                suite.counts.attributes()
            )?;
            writeln!(out, "    <properties>")?;
            writeln!(
                out,
                r#"      <property name="kubernetesVersion" value="{version}"/>"#
            )?;
            writeln!(out, "    </properties>")?;
            for case in &suite.cases {
                write_case(out, &file, case)?;
            }
            writeln!(out, "  </testsuite>")?;
        }
        writeln!(out, "</testsuites>")?;
        out.flush()
    }
}

fn write_case(out: &mut dyn Write, file: &str, case: &Case) -> io::Result<()> {
    // Validation is not timed per resource, but Buildkite needs `time` on every test case
    // (kubeconform#127); a constant keeps the output reproducible.
    let open = format!(
        r#"    <testcase classname="{file}" name="{}" time="0""#,
        escape(&case.name, true)
    );
    match &case.outcome {
        Outcome::Passed { warnings } if warnings.is_empty() => writeln!(out, "{open}/>"),
        Outcome::Passed { warnings } => writeln!(
            out,
            "{open}>\n      <system-out>{}</system-out>\n    </testcase>",
            escape(warnings, false)
        ),
        Outcome::Failure(detail) => write_detail(out, &open, "failure", detail),
        Outcome::Error(detail) => write_detail(out, &open, "error", detail),
        Outcome::Skipped { message: None } => {
            writeln!(out, "{open}>\n      <skipped/>\n    </testcase>")
        }
        Outcome::Skipped {
            message: Some(message),
        } => writeln!(
            out,
            "{open}>\n      <skipped message=\"{}\"/>\n    </testcase>",
            escape(message, true)
        ),
    }
}

fn write_detail(out: &mut dyn Write, open: &str, element: &str, detail: &Detail) -> io::Result<()> {
    write!(
        out,
        "{open}>\n      <{element} message=\"{}\"",
        escape(&detail.message, true)
    )?;
    if let Some(kind) = detail.kind {
        write!(out, " type=\"{kind}\"")?;
    }
    writeln!(
        out,
        ">{}</{element}>\n    </testcase>",
        escape(&detail.text, false)
    )
}

/// Escapes text for XML 1.0 content or a double-quoted attribute. Characters XML 1.0 cannot
/// carry at all (most C0 controls) become U+FFFD rather than making the document unreadable;
/// in attributes, line breaks and tabs become character references, or parsers would normalize
/// them to spaces.
fn escape(s: &str, attribute: bool) -> Cow<'_, str> {
    let needs = |c: char| {
        matches!(c, '&' | '<' | '>' | '\r' | '\u{FFFE}' | '\u{FFFF}')
            || (attribute && matches!(c, '"' | '\'' | '\n' | '\t'))
            || (c < ' ' && !matches!(c, '\n' | '\t'))
    };
    if !s.chars().any(needs) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\r' => out.push_str("&#13;"),
            '\n' | '\t' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::super::Format;
    use super::super::position::fixture;
    use super::*;

    /// An element as a tiny scanner sees it: enough to check well-formedness and read counts.
    #[derive(Debug)]
    struct Element {
        name: String,
        attributes: HashMap<String, String>,
        /// Names of the enclosing elements, outermost first.
        parents: Vec<String>,
        text: String,
    }

    fn unescape(s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find('&') {
            out.push_str(&rest[..i]);
            let end = rest[i..].find(';').expect("entity is terminated") + i;
            let entity = &rest[i + 1..end];
            let c = match entity {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                _ => {
                    let code = entity.strip_prefix('#').expect("known entity");
                    char::from_u32(code.parse().expect("decimal reference")).unwrap()
                }
            };
            out.push(c);
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        out
    }

    fn attributes(s: &str) -> HashMap<String, String> {
        let mut attributes = HashMap::new();
        let mut rest = s.trim();
        while !rest.is_empty() {
            let (name, after) = rest.split_once("=\"").expect("attribute is name=\"value\"");
            let end = after.find('"').expect("attribute value is closed");
            let raw = &after[..end];
            assert!(!raw.contains('<'), "raw `<` in attribute {name}");
            let old = attributes.insert(name.trim().to_owned(), unescape(raw));
            assert!(old.is_none(), "attribute {name} repeated");
            rest = after[end + 1..].trim_start();
        }
        attributes
    }

    /// Checks that tags balance, attributes are quoted and every `&` starts a reference, and
    /// returns the elements in document order.
    fn parse(xml: &str) -> Vec<Element> {
        let body = xml
            .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
            .expect("XML declaration");
        let mut elements: Vec<Element> = Vec::new();
        let mut open: Vec<(String, usize)> = Vec::new();
        let mut rest = body;
        while let Some(lt) = rest.find('<') {
            let text = &rest[..lt];
            assert!(!text.contains('>'), "raw `>` in text {text:?}");
            if let Some((_, index)) = open.last() {
                elements[*index].text.push_str(&unescape(text));
            } else {
                assert!(text.trim().is_empty(), "text outside the root: {text:?}");
            }
            let gt = rest[lt..].find('>').expect("tag is closed") + lt;
            let tag = &rest[lt + 1..gt];
            rest = &rest[gt + 1..];
            if let Some(name) = tag.strip_prefix('/') {
                let (expected, _) = open.pop().expect("closing tag has an opening one");
                assert_eq!(name, expected, "tags balance");
                continue;
            }
            let (tag, empty) = tag.strip_suffix('/').map_or((tag, false), |t| (t, true));
            let (name, attrs) = tag.split_once(' ').unwrap_or((tag, ""));
            assert!(
                name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
                "element name {name:?}"
            );
            elements.push(Element {
                name: name.to_owned(),
                attributes: attributes(attrs),
                parents: open.iter().map(|(n, _)| n.clone()).collect(),
                text: String::new(),
            });
            if !empty {
                open.push((name.to_owned(), elements.len() - 1));
            }
        }
        assert!(open.is_empty(), "unclosed {open:?}");
        assert!(rest.trim().is_empty(), "text after the root");
        assert_eq!(
            elements.first().map(|e| e.name.as_str()),
            Some("testsuites")
        );
        elements
    }

    fn count(elements: &[Element], name: &str) -> usize {
        elements.iter().filter(|e| e.name == name).count()
    }

    fn number(element: &Element, attribute: &str) -> usize {
        element.attributes[attribute].parse().unwrap()
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(fixture::render_sample(Format::Junit));
    }

    #[test]
    fn well_formed_with_counts_that_match_the_cases() {
        let elements = parse(&fixture::render_sample(Format::Junit));
        let root = &elements[0];
        assert_eq!(root.attributes["name"], "kplan validate");
        assert_eq!(number(root, "tests"), count(&elements, "testcase"));
        assert_eq!(number(root, "failures"), count(&elements, "failure"));
        assert_eq!(number(root, "errors"), count(&elements, "error"));
        assert_eq!(number(root, "skipped"), count(&elements, "skipped"));
        assert_eq!(
            [
                number(root, "tests"),
                number(root, "failures"),
                number(root, "errors"),
                number(root, "skipped")
            ],
            [8, 3, 2, 1]
        );

        let suites: Vec<_> = elements.iter().filter(|e| e.name == "testsuite").collect();
        let names: Vec<_> = suites
            .iter()
            .map(|s| s.attributes["name"].as_str())
            .collect();
        assert_eq!(
            names,
            [
                "deploy/app.yaml",
                "deploy/legacy.yaml",
                "broken.yaml",
                "bin/blob.yaml"
            ]
        );
        for suite in suites {
            let file = &suite.attributes["name"];
            let cases: Vec<_> = elements
                .iter()
                .filter(|e| e.name == "testcase" && e.attributes["classname"] == *file)
                .collect();
            assert_eq!(number(suite, "tests"), cases.len(), "{file}");
        }
        for e in &elements {
            let parent = e.parents.last().map(String::as_str);
            match e.name.as_str() {
                "testsuite" => assert_eq!(parent, Some("testsuites")),
                "testcase" => assert_eq!(parent, Some("testsuite")),
                "failure" | "error" | "skipped" | "system-out" => {
                    assert_eq!(parent, Some("testcase"));
                }
                _ => {}
            }
        }
    }

    #[test]
    fn failures_list_every_finding_and_escape_what_they_must() {
        let xml = fixture::render_sample(Format::Junit);
        let elements = parse(&xml);
        let failures: Vec<_> = elements.iter().filter(|e| e.name == "failure").collect();

        let deployment = failures[0];
        assert_eq!(deployment.attributes["type"], "KP001");
        assert_eq!(
            deployment.attributes["message"],
            "unknown field `replica` (and 1 more)"
        );
        assert_eq!(
            deployment.text,
            "deploy/app.yaml:7:3: KP001 unknown-field: unknown field `replica` (did you mean `replicas`?)\n\
             deploy/app.yaml:6:1: KP003 missing-required: missing required field `selector`\n"
        );

        let config_map = failures[1];
        assert!(
            config_map.attributes["message"].starts_with("label value `<b>&\"café\"`"),
            "{:?}",
            config_map.attributes
        );
        assert!(xml.contains("&lt;b&gt;&amp;&quot;café&quot;"));
        assert!(config_map.text.contains("(quote it: \"yes\")"));

        let errors: Vec<_> = elements.iter().filter(|e| e.name == "error").collect();
        assert_eq!(errors[0].attributes["type"], "KP101");
        // A line break inside an attribute survives as a reference.
        assert_eq!(
            errors[0].attributes["message"],
            "flow sequence was not closed\nbefore the end of the document"
        );
        assert!(xml.contains("not closed&#10;before"));
        assert_eq!(
            errors[1].text,
            "bin/blob.yaml: KP105 unreadable: not UTF-8 text (invalid byte 0xFF at offset 12)\n"
        );

        let warned = elements
            .iter()
            .find(|e| e.name == "testcase" && e.attributes["name"] == "CronJob ops/nightly")
            .unwrap();
        let out = elements.iter().find(|e| e.name == "system-out").unwrap();
        assert_eq!(out.parents.len(), warned.parents.len() + 1);
        assert!(out.text.contains("KP302 deprecated-api"));
    }

    #[test]
    fn documents_without_an_object_are_named_by_line() {
        let elements = parse(&fixture::render_sample(Format::Junit));
        let names: Vec<_> = elements
            .iter()
            .filter(|e| e.name == "testcase")
            .map(|e| e.attributes["name"].as_str())
            .collect();
        assert_eq!(
            names,
            [
                "Deployment shop/web",
                "ConfigMap shop/flags",
                "Namespace shop",
                "Ingress edge",
                "CronJob ops/nightly",
                "Widget gizmo",
                "document at line 1",
                "document at line 1"
            ]
        );
    }

    #[test]
    fn escape_handles_markup_quotes_and_controls() {
        assert_eq!(escape("plain", true), "plain");
        assert!(matches!(escape("plain", false), Cow::Borrowed(_)));
        assert_eq!(escape(r#"a<b>&"c"'d'"#, false), r#"a&lt;b&gt;&amp;"c"'d'"#);
        assert_eq!(
            escape(r#"a<b>&"c"'d'"#, true),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;"
        );
        assert_eq!(escape("x\ny\tz\r", true), "x&#10;y&#9;z&#13;");
        assert_eq!(escape("x\ny\tz\r", false), "x\ny\tz&#13;");
        assert_eq!(escape("bell\u{7}nul\0", false), "bell\u{FFFD}nul\u{FFFD}");
        assert_eq!(escape("]]>", false), "]]&gt;");
    }

    #[test]
    fn empty_run_is_a_valid_document() {
        let xml = fixture::render(Format::Junit, &[]);
        let elements = parse(&xml);
        assert_eq!(elements.len(), 1);
        assert_eq!(number(&elements[0], "tests"), 0);
    }
}
