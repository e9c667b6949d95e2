use std::io::{self, Write};

use super::{Reporter, ReporterOptions, ResourceReport, Summary};

/// Placeholder being written; see the module's issue.
pub struct GithubReporter<'w> {
    out: Box<dyn Write + 'w>,
    #[allow(dead_code)]
    options: ReporterOptions,
}

impl<'w> GithubReporter<'w> {
    pub fn new(out: Box<dyn Write + 'w>, options: ReporterOptions) -> Self {
        Self { out, options }
    }
}

impl Reporter for GithubReporter<'_> {
    fn resource(&mut self, report: &ResourceReport) -> io::Result<()> {
        writeln!(self.out, "{} {}", report.title(), report.status.as_str())
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        writeln!(self.out, "{}", summary.line())
    }
}
