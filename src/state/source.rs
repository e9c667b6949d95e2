use serde::Serialize;
use serde_json::Value;

use super::{CurrentObject, ObjectKey, Scopes, StateError};

/// Where the current state comes from, for headers and the JSON output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceInfo {
    /// `directory`, `file`, `snapshot` or `live`.
    pub kind: &'static str,
    /// The path as given, or the server URL.
    pub location: String,
    /// The API server a snapshot was taken from, when it says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// When a snapshot was taken (RFC 3339), when it says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taken_at: Option<String>,
}

/// Which objects may be pruned. Sources that hold only one application's objects (a
/// directory, a snapshot) offer everything they hold; a live cluster narrows the search to
/// these kinds and namespaces (and, once releases exist, to the release's label).
#[derive(Debug, Clone, Default)]
pub struct PruneScope {
    /// `(group, kind)` of every desired object.
    pub kinds: Vec<(String, String)>,
    /// Namespaces of the desired objects.
    pub namespaces: Vec<String>,
}

/// What the planner asks a source for.
#[derive(Debug, Clone, Copy)]
pub struct FetchRequest<'a> {
    /// The desired objects' identities: the source returns those it has.
    pub keys: &'a [ObjectKey],
    /// `Some` with `--prune`: also return the objects that could be deleted.
    pub prune: Option<&'a PruneScope>,
    /// Namespaced or cluster-scoped, per kind (the desired CRDs included), and the default
    /// namespace, for sources that have to key objects themselves.
    pub scopes: &'a Scopes,
}

/// A source's answer.
#[derive(Debug, Clone, Default)]
pub struct CurrentState {
    /// The requested objects that exist, in any order.
    pub objects: Vec<CurrentObject>,
    /// With `prune`: candidates for deletion, the objects not among `keys` (the planner drops
    /// desired ones again, so a source may be loose here).
    pub prune_candidates: Vec<CurrentObject>,
    /// Every CustomResourceDefinition the source has (for scopes and the CRD-before-CR check).
    pub crds: Vec<Value>,
    /// Namespaces that exist.
    pub namespaces: Vec<String>,
}

/// A source of "current" state: a directory or file of manifests, a snapshot file, and later
/// the live cluster and release history. Synchronous on purpose: the planner is pure, and a
/// live source does its own (parallel, async) fetching inside `fetch`.
pub trait StateSource {
    fn info(&self) -> SourceInfo;
    fn fetch(&self, request: &FetchRequest<'_>) -> Result<CurrentState, StateError>;
}
