//! Checks beyond one object's schema: duplicates across the input, apiVersions deprecated or
//! removed in the target version, workload selectors that do not match their pod templates.

mod api_lifecycle;
mod duplicates;
mod selector;

pub use api_lifecycle::{ApiLifecycle, lifecycle_of};
pub use duplicates::{DuplicateKey, find_duplicates};
pub use selector::check_selector;
