use std::io::{self, Write};

use super::{Format, ResourceReport, Summary};

/// What every renderer may take into account.
#[derive(Debug, Clone, Default)]
pub struct ReporterOptions {
    /// ANSI colour (text format only; decided by the CLI from the terminal and `NO_COLOR`).
    pub color: bool,
    /// Also list valid and skipped resources (text format).
    pub verbose: bool,
    /// Print the summary line (text format; machine formats always carry their totals).
    pub summary: bool,
    /// The Kubernetes version validated against, e.g. `1.37`.
    pub kubernetes_version: String,
    /// kplan's version, for SARIF's `tool.driver.version`.
    pub tool_version: String,
}

/// A streaming renderer: `resource` once per resource in input order, then `finish` once.
pub trait Reporter {
    fn resource(&mut self, report: &ResourceReport) -> io::Result<()>;
    fn finish(&mut self, summary: &Summary) -> io::Result<()>;
}

pub fn reporter_for<'w>(
    format: Format,
    out: Box<dyn Write + 'w>,
    options: ReporterOptions,
) -> Box<dyn Reporter + 'w> {
    match format {
        Format::Text => Box::new(super::text::TextReporter::new(out, options)),
        Format::Json => Box::new(super::json::JsonReporter::new(out, options)),
        Format::Junit => Box::new(super::junit::JunitReporter::new(out, options)),
        Format::Sarif => Box::new(super::sarif::SarifReporter::new(out, options)),
        Format::Github => Box::new(super::github::GithubReporter::new(out, options)),
    }
}
