//! `-o github`: GitHub Actions workflow commands, which the runner turns into annotations on
//! the pull request's diff. Streamed, one line per finding.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

use super::position::Region;
use super::{Finding, Reporter, ReporterOptions, ResourceReport, Severity, Summary};

pub struct GithubReporter<'w> {
    out: Box<dyn Write + 'w>,
}

impl<'w> GithubReporter<'w> {
    pub fn new(out: Box<dyn Write + 'w>, _options: ReporterOptions) -> Self {
        Self { out }
    }
}

/// `::error file=…,line=…,title=KP001 unknown-field::Deployment shop/web: message (hint)`.
fn command(report: &ResourceReport, finding: &Finding) -> String {
    let level = match finding.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut line = format!("::{level} file={}", property(&report.file.name));
    if let Some(span) = finding.span {
        let r = Region::of(&report.file, span);
        let _ = write!(line, ",line={}", r.start_line);
        // GitHub does not accept columns on an annotation that spans several lines.
        if r.start_line == r.end_line {
            let _ = write!(line, ",col={}", r.start_column);
        }
        let _ = write!(line, ",endLine={}", r.end_line);
        if r.start_line == r.end_line {
            let _ = write!(line, ",endColumn={}", r.end_column);
        }
    }
    let title = format!("{} {}", finding.code.as_str(), finding.code.name());
    // The file is already the annotation's location; an object is worth naming, since a file
    // holds many.
    let mut message = match &report.object {
        Some(object) => format!("{object}: {}", finding.message),
        None => finding.message.clone(),
    };
    if let Some(hint) = &finding.hint {
        let _ = write!(message, " ({hint})");
    }
    let _ = write!(line, ",title={}::{}", property(&title), data(&message));
    line
}

/// Escapes a command's message: the runner reads up to the end of the line and decodes these.
fn data(s: &str) -> Cow<'_, str> {
    escape(s, false)
}

/// Escapes a property value, which also ends at `,` and `::`.
fn property(s: &str) -> Cow<'_, str> {
    escape(s, true)
}

fn escape(s: &str, property: bool) -> Cow<'_, str> {
    let special = |c: char| matches!(c, '%' | '\r' | '\n') || (property && matches!(c, ':' | ','));
    if !s.contains(special) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            ':' if property => out.push_str("%3A"),
            ',' if property => out.push_str("%2C"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

impl Reporter for GithubReporter<'_> {
    fn resource(&mut self, report: &ResourceReport) -> io::Result<()> {
        for finding in &report.findings {
            writeln!(self.out, "{}", command(report, finding))?;
        }
        Ok(())
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        writeln!(self.out, "::notice::{}", data(&summary.line()))?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::super::position::fixture;
    use super::super::{Code, Format, Status};
    use super::*;
    use crate::manifest::SourceFile;

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(fixture::render_sample(Format::Github));
    }

    #[test]
    fn one_command_per_finding_then_the_summary() {
        let text = fixture::render_sample(Format::Github);
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines.len(), 9);
        assert_eq!(
            lines[0],
            "::error file=deploy/app.yaml,line=7,col=3,endLine=7,endColumn=10,\
             title=KP001 unknown-field::Deployment shop/web: unknown field `replica` \
             (did you mean `replicas`?)"
        );
        assert!(lines[5].starts_with("::warning file=deploy/legacy.yaml,line=6,col=13,"));
        assert_eq!(
            lines[8],
            "::notice::8 resources in 4 files — valid 2, invalid 3, errors 2, skipped 1"
        );
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn multi_line_regions_have_no_columns() {
        let text = fixture::render_sample(Format::Github);
        let missing = text.lines().nth(1).unwrap();
        assert!(
            missing.starts_with("::error file=deploy/app.yaml,line=6,endLine=8,title="),
            "{missing}"
        );
    }

    #[test]
    fn findings_without_a_span_annotate_the_file() {
        let text = fixture::render_sample(Format::Github);
        let unreadable = text.lines().nth(7).unwrap();
        assert_eq!(
            unreadable,
            "::error file=bin/blob.yaml,title=KP105 unreadable::\
             not UTF-8 text (invalid byte 0xFF at offset 12)"
        );
    }

    #[test]
    fn data_and_properties_are_escaped() {
        assert_eq!(data("50%\r\ndone: a,b"), "50%25%0D%0Adone: a,b");
        assert_eq!(property("50%\r\ndone: a,b"), "50%25%0D%0Adone%3A a%2Cb");
        assert!(matches!(data("plain: text, here"), Cow::Borrowed(_)));

        let file = Arc::new(SourceFile::new("odd:dir,x/%.yaml", "a: 1\n".into()));
        let report = fixture::report(
            &file,
            None,
            "a",
            vec![
                Finding::new(Code::InvalidValue, "two\nlines, 100%")
                    .at(crate::manifest::Span::new(0, 1))
                    .hint("a: b"),
            ],
        );
        assert_eq!(report.status, Status::Invalid);
        assert_eq!(
            command(&report, &report.findings[0]),
            "::error file=odd%3Adir%2Cx/%25.yaml,line=1,col=1,endLine=1,endColumn=2,\
             title=KP004 invalid-value::two%0Alines, 100%25 (a: b)"
        );
    }

    #[test]
    fn every_command_is_one_line() {
        let text = fixture::render_sample(Format::Github);
        for line in text.lines() {
            assert!(line.starts_with("::"), "{line}");
            assert!(!line.contains('\r'));
        }
        // The syntax error's message has a line break, escaped rather than splitting the command.
        assert!(text.contains("was not closed%0Abefore"));
    }
}
