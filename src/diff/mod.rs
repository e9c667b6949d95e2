//! Comparing a desired object with the current one: normalization so that only real changes
//! show (server fields, API defaults, quantities, keyed lists, `--ignore`), Secret masking, the
//! list of changed fields, and a unified YAML diff. Pure functions over JSON values; no I/O.

mod defaults;
mod field_change;
mod field_schema;
mod ignore_rule;
mod normalize;
mod object_diff;
mod options;
mod quantity;
mod secret;
mod unified;
mod yaml_text;

pub use defaults::{Side, pod_spec_path};
pub use field_change::FieldChange;
pub use field_schema::{FieldSchema, KindSchema, ListKeys};
pub use ignore_rule::{IgnoreRule, IgnoreRuleError};
pub use normalize::{DiffContext, Normalized, SERVER_METADATA, normalize_one, normalize_pair};
pub use object_diff::ObjectDiff;
pub use options::DiffOptions;
pub use quantity::{Quantity, QuantityError};
pub use secret::{digest_marker, is_marker, is_secret, matches_marker, redact_to_digests};
pub use unified::{DiffLine, LineKind, unified};
pub use yaml_text::to_yaml;

#[cfg(test)]
mod tests;
