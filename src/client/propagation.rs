use kube::core::params::PropagationPolicy;

/// What happens to an object's dependents (a Deployment's ReplicaSets and Pods) when it is
/// deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Propagation {
    /// The object goes at once; the garbage collector removes dependents afterwards
    /// (kubectl's default).
    #[default]
    Background,
    /// The object stays, with a `foregroundDeletion` finalizer, until its dependents are gone.
    Foreground,
}

impl From<Propagation> for PropagationPolicy {
    fn from(p: Propagation) -> Self {
        match p {
            Propagation::Background => Self::Background,
            Propagation::Foreground => Self::Foreground,
        }
    }
}
