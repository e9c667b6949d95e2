//! The schema registry: embedded Kubernetes schemas per minor version, CRD schemas found in
//! the input, extra schema locations; validators compiled lazily, once per kind, shared across
//! threads.

mod crd;
pub mod descriptions;
mod embedded;
mod gvk;
mod kube_version;
mod location;
mod registry;

pub use crd::{CrdError, CrdSchema, crd_schemas};
pub use embedded::{BUNDLED_VERSIONS, QUANTITY_PATTERN, definitions_json, newest_version};
pub use gvk::Gvk;
pub use kube_version::KubeVersion;
pub use location::{LocalLocation, LocationError, SchemaLocation, SchemaSource, expand_template};
pub use registry::{Lookup, SchemaError, SchemaOrigin, SchemaRegistry};

/// `$id` of `_definitions.json`; every kind schema refers into it.
pub const DEFINITIONS_URI: &str = "https://kubernetes.io/api/_definitions.json";
