use serde::Serialize;

use super::{ResourceReport, Status};

/// Totals over a run: "N resources in M files — valid V, invalid I, errors E, skipped S".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub resources: usize,
    pub files: usize,
    pub valid: usize,
    pub invalid: usize,
    pub errors: usize,
    pub skipped: usize,
    /// Warning findings (they do not make a resource invalid).
    pub warnings: usize,
}

impl Summary {
    pub fn add(&mut self, report: &ResourceReport) {
        self.resources += 1;
        match report.status {
            Status::Valid => self.valid += 1,
            Status::Invalid => self.invalid += 1,
            Status::Error => self.errors += 1,
            Status::Skipped => self.skipped += 1,
        }
        self.warnings += report
            .findings
            .iter()
            .filter(|f| f.severity == super::Severity::Warning)
            .count();
    }

    pub fn is_success(&self) -> bool {
        self.invalid == 0 && self.errors == 0
    }

    pub fn line(&self) -> String {
        format!(
            "{} resource{} in {} file{} — valid {}, invalid {}, errors {}, skipped {}",
            self.resources,
            if self.resources == 1 { "" } else { "s" },
            self.files,
            if self.files == 1 { "" } else { "s" },
            self.valid,
            self.invalid,
            self.errors,
            self.skipped
        )
    }
}
