//! `kplan validate`'s engine: read every input, learn the CRDs among them, then check each
//! object against its schema and the lint rules, in parallel, findings mapped to byte spans.

mod engine;
mod options;
mod schema_findings;
mod suggest;

pub use engine::{Run, run};
pub use options::ValidateOptions;
pub use schema_findings::schema_findings;
pub use suggest::did_you_mean;
