//! The one diagnostic model of `kplan validate` and its renderings, one file per format.
//!
//! Validation produces [`ResourceReport`]s (findings are data, never `Err`); a [`Reporter`]
//! streams them out in the chosen [`Format`], then writes the [`Summary`].

mod code;
mod finding;
mod format;
mod github;
mod json;
mod junit;
mod position;
mod reporter;
mod resource_report;
mod sarif;
mod severity;
mod status;
mod summary;
mod text;

pub use code::Code;
pub use finding::Finding;
pub use format::Format;
pub use reporter::{Reporter, ReporterOptions, reporter_for};
pub use resource_report::ResourceReport;
pub use severity::Severity;
pub use status::Status;
pub use summary::Summary;
