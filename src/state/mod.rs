//! Sources of "current" state for diff and plan, behind one small interface
//! ([`StateSource`]): a directory or file of manifests, a snapshot file, and (other issues)
//! the live cluster and release history. Also the manifest loading shared with the desired
//! side, and object identity ([`ObjectKey`], [`Scopes`]).

mod against;
mod current_object;
mod load_error;
mod manifest_set;
mod manifest_source;
mod object_key;
mod object_set;
mod origin;
mod scopes;
mod snapshot;
mod snapshot_source;
mod source;
mod state_error;

pub use against::{Against, open_source};
pub use current_object::CurrentObject;
pub use load_error::{Diagnostic, LoadError};
pub use manifest_set::{LoadOptions, ManifestDoc, ManifestSet, load_manifests};
pub use manifest_source::ManifestSource;
pub use object_key::ObjectKey;
pub use object_set::key_of;
pub use origin::Origin;
pub use scopes::Scopes;
pub use snapshot::{SNAPSHOT_API_VERSION, SNAPSHOT_KIND, Snapshot, SnapshotError};
pub use snapshot_source::SnapshotSource;
pub use source::{CurrentState, FetchRequest, PruneScope, SourceInfo, StateSource};
pub use state_error::StateError;
