/// The kind of change a watch event reports, named as in the Kubernetes watch protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}
