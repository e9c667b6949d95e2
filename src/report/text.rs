use std::fmt;
use std::io::{self, Write};

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, SourceCode,
    SourceSpan, SpanContents,
};

use crate::manifest::SourceFile;

use super::{Finding, Reporter, ReporterOptions, ResourceReport, Severity, Status, Summary};

/// For people: each finding rendered by miette with the source line underlined, located as
/// `file:line:col`, naming the object and the JSON path.
pub struct TextReporter<'w> {
    out: Box<dyn Write + 'w>,
    options: ReporterOptions,
    handler: GraphicalReportHandler,
}

impl<'w> TextReporter<'w> {
    pub fn new(out: Box<dyn Write + 'w>, options: ReporterOptions) -> Self {
        let theme = if options.color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let handler = GraphicalReportHandler::new_themed(theme)
            .with_links(false)
            .with_context_lines(1)
            .with_width(120);
        Self {
            out,
            options,
            handler,
        }
    }

    fn render(&self, report: &ResourceReport, finding: &Finding) -> String {
        let diagnostic = FindingDiagnostic { report, finding };
        let mut rendered = String::new();
        if self
            .handler
            .render_report(&mut rendered, &diagnostic)
            .is_err()
        {
            rendered = format!("{}: {}\n", report.file.name, finding.message);
        }
        rendered
    }
}

impl Reporter for TextReporter<'_> {
    fn resource(&mut self, report: &ResourceReport) -> io::Result<()> {
        if report.findings.is_empty() {
            if self.options.verbose {
                let (line, _) = report.file.line_col(report.start);
                let mark = if report.status == Status::Skipped {
                    "-"
                } else {
                    "✓"
                };
                writeln!(
                    self.out,
                    "{mark} {}:{line}: {} {}",
                    report.file.name,
                    report.title(),
                    report.status.as_str()
                )?;
            }
            return Ok(());
        }
        for finding in &report.findings {
            let rendered = self.render(report, finding);
            self.out.write_all(rendered.as_bytes())?;
            writeln!(self.out)?;
        }
        Ok(())
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        if self.options.summary {
            let warnings = match summary.warnings {
                0 => String::new(),
                1 => " (1 warning)".into(),
                n => format!(" ({n} warnings)"),
            };
            writeln!(self.out, "{}{warnings}", summary.line())?;
        }
        self.out.flush()
    }
}

/// Adapts one finding to miette's model.
struct FindingDiagnostic<'a> {
    report: &'a ResourceReport,
    finding: &'a Finding,
}

impl fmt::Debug for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FindingDiagnostic")
            .field("finding", self.finding)
            .finish()
    }
}

impl fmt::Display for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = &self.report.file;
        match self.finding.span {
            Some(span) => {
                let (line, col) = file.line_col(span.start);
                write!(f, "{}:{line}:{col}: ", file.name)?;
            }
            None => write!(f, "{}: ", file.name)?,
        }
        if self.report.object.is_some() {
            write!(f, "{}: ", self.report.title())?;
        }
        write!(
            f,
            "{} [{} {}]",
            self.finding.message,
            self.finding.code.as_str(),
            self.finding.code.name()
        )
    }
}

impl std::error::Error for FindingDiagnostic<'_> {}

impl Diagnostic for FindingDiagnostic<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.finding
            .hint
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.finding
            .span
            .map(|_| &*self.report.file as &dyn SourceCode)
            .filter(|_| !self.report.file.text.is_empty())
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.finding.span?;
        if self.report.file.text.is_empty() {
            return None;
        }
        let label = if self.finding.path.is_empty() {
            None
        } else {
            Some(self.finding.path.clone())
        };
        let source_span = SourceSpan::new((span.start as usize).into(), span.len());
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            label,
            source_span,
        ))))
    }
}

/// Lets miette read snippets straight from the shared source, without copying the file.
impl SourceCode for SourceFile {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        // miette would scan the whole text from its start for every snippet; on a big file with
        // many findings that is quadratic. Hand it only the lines around the span instead.
        let start = span.offset() as u32;
        let end = (span.offset() + span.len()) as u32;
        let (lo, hi, first_line) =
            self.line_window(start, end, context_lines_before, context_lines_after);
        let window = &self.text[lo..hi];
        let local = SourceSpan::new(
            (span.offset() - lo).into(),
            span.len().min(hi - span.offset()),
        );
        let inner = window.read_span(&local, context_lines_before, context_lines_after)?;
        let shifted = SourceSpan::new((inner.span().offset() + lo).into(), inner.span().len());
        Ok(Box::new(NamedSourceContents {
            name: &self.name,
            inner,
            span: shifted,
            first_line,
        }))
    }
}

struct NamedSourceContents<'a> {
    name: &'a str,
    inner: Box<dyn SpanContents<'a> + 'a>,
    /// The inner span moved back to file offsets.
    span: SourceSpan,
    /// Line number (0-based) of the window's first line in the file.
    first_line: usize,
}

impl<'a> SpanContents<'a> for NamedSourceContents<'a> {
    fn data(&self) -> &'a [u8] {
        self.inner.data()
    }
    fn span(&self) -> &SourceSpan {
        &self.span
    }
    fn name(&self) -> Option<&str> {
        Some(self.name)
    }
    fn line(&self) -> usize {
        self.inner.line() + self.first_line
    }
    fn column(&self) -> usize {
        self.inner.column()
    }
    fn line_count(&self) -> usize {
        self.inner.line_count()
    }
}
