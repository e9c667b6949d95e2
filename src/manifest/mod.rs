//! Reading manifests: files and directories to source texts, texts to span-carrying trees,
//! trees to Kubernetes objects. Pure and synchronous; the only I/O is reading the inputs.

mod fast_yaml;
mod input;
mod load_issue;
mod object;
mod object_ref;
pub mod scalar;
mod source_file;
mod span;
pub mod tree;
pub mod yaml;

pub use input::{Input, InputError, collect_inputs, read_input};
pub use load_issue::{LoadIssue, LoadIssueKind};
pub use object::{Extracted, extract_objects};
pub use object_ref::ObjectRef;
pub use source_file::SourceFile;
pub use span::Span;
pub use tree::{NodeId, Tree};
pub use yaml::{Document, Limits, parse_documents, split_documents};
