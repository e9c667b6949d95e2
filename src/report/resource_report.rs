use std::sync::Arc;

use crate::manifest::{ObjectRef, SourceFile};

use super::{Finding, Severity, Status};

/// The verdict on one resource (one object, or a file/document that could not become one).
#[derive(Debug, Clone)]
pub struct ResourceReport {
    pub file: Arc<SourceFile>,
    /// `None` when the document never became a Kubernetes object (syntax error, unreadable file).
    pub object: Option<ObjectRef>,
    /// Byte offset of the document's start, for its line.
    pub start: u32,
    pub status: Status,
    pub findings: Vec<Finding>,
}

impl ResourceReport {
    /// Sets `status` from the findings: any processing error → `Error`, any other error →
    /// `Invalid`, otherwise `Valid` (warnings do not invalidate).
    pub fn settle(&mut self) {
        if self.status == Status::Skipped {
            return;
        }
        let errors = self
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error);
        let mut status = Status::Valid;
        for f in errors {
            if f.code.is_processing_error() {
                status = Status::Error;
                break;
            }
            status = Status::Invalid;
        }
        self.status = status;
    }

    /// `Deployment shop/web`, or the file name when there is no object.
    pub fn title(&self) -> String {
        self.object
            .as_ref()
            .map_or_else(|| self.file.name.clone(), ToString::to_string)
    }
}
