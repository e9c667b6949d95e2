use std::sync::Arc;

use super::{Stored, WatchEvent};

/// A committed create or update: the change as watchers get it, and the exact bytes stored.
/// The API answers with those bytes as they are; serialising the object again, or copying it
/// out of the event that watchers share, would cost as much as storing it.
#[derive(Debug)]
pub struct Written {
    pub event: Arc<WatchEvent>,
    pub json: Vec<u8>,
}

impl Written {
    pub fn stored(&self) -> &Stored {
        &self.event.object
    }

    /// The stored object, owned: a copy unless nobody else holds the event any more.
    pub fn into_stored(self) -> Stored {
        Arc::unwrap_or_clone(self.event).object
    }
}
