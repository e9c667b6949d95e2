use super::Stored;

/// One page of a list, read in one snapshot. A continue token built from the last item's key
/// and `revision` reads the next page from the same snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct List {
    pub revision: i64,
    pub items: Vec<Stored>,
    pub more: bool,
}
