use serde_json::Value;

/// A write a controller wants. Reconcilers only compute these; the runtime performs them, so
/// every controller is a function from cached objects to actions and can be tested as one.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// `collection` is the key prefix (ending in `/`); the name is `metadata.name`, or
    /// `metadata.generateName` plus five random characters.
    Create {
        collection: String,
        value: Value,
    },
    /// Compare-and-swap on the `metadata.resourceVersion` inside `value`.
    Update {
        key: String,
        value: Value,
    },
    Delete {
        key: String,
    },
    /// The garbage collector's delete: an object with finalizers is only marked for deletion.
    Collect {
        key: String,
    },
    /// Takes `finalizer` off the object at `key`; one left without finalizers while its
    /// deletion is pending is then deleted.
    Finish {
        key: String,
        finalizer: &'static str,
    },
}

/// What one reconcile decided: writes, and when to look again if nothing else happens first
/// (real seconds).
#[derive(Debug, Default)]
pub struct Outcome {
    pub actions: Vec<Action>,
    pub requeue_after: Option<f64>,
}

impl Outcome {
    /// The keys this outcome deletes so far.
    pub fn deleted(&self) -> Vec<&String> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::Delete { key } => Some(key),
                _ => None,
            })
            .collect()
    }

    pub fn requeue(&mut self, seconds: f64) {
        let s = seconds.max(0.01);
        self.requeue_after = Some(self.requeue_after.map_or(s, |r| r.min(s)));
    }

    /// Updates `new` at `key` unless it equals `old` (no write for a no-op reconcile: every
    /// write comes back as an event and would reconcile again).
    pub fn update_if_changed(&mut self, key: &str, old: &Value, new: Value) {
        if *old != new {
            self.actions.push(Action::Update {
                key: key.to_string(),
                value: new,
            });
        }
    }
}
