//! The controllers' view of the store, fed by one watch (an informer): objects by key, the
//! keys owned by each uid, and the newest revision seen per key so a late event never
//! overwrites what a controller's own write already put here.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;

use super::object::{controller_of, owner_uids, uid};

#[derive(Debug, Default)]
pub struct Cache {
    objects: BTreeMap<String, (i64, Value)>,
    /// Deleted keys and the revision of their deletion, until the watch has passed it.
    tombstones: HashMap<String, i64>,
    children: HashMap<String, HashSet<String>>,
}

impl Cache {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.objects.get(key).map(|(_, v)| v)
    }

    /// Objects whose key starts with `prefix`, in key order.
    pub fn list<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a Value)> + 'a {
        self.objects
            .range(prefix.to_string()..)
            .take_while(move |(k, _)| k.starts_with(prefix))
            .map(|(k, (_, v))| (k.as_str(), v))
    }

    /// Keys of the objects that name `owner_uid` in their ownerReferences.
    pub fn children(&self, owner_uid: &str) -> Vec<String> {
        let mut keys: Vec<String> = self
            .children
            .get(owner_uid)
            .map(|set| set.iter().cloned().collect())
            .unwrap_or_default();
        keys.sort();
        keys
    }

    /// The objects under `prefix` that `owner` (a `kind`) controls, by key: what a controller
    /// owns, from the owner index, checked against the controller reference.
    pub fn controlled<'a>(
        &'a self,
        owner: &Value,
        kind: &str,
        prefix: &str,
    ) -> Vec<(String, &'a Value)> {
        let owner_uid = uid(owner);
        self.children(owner_uid)
            .into_iter()
            .filter(|k| k.starts_with(prefix))
            .filter_map(|k| {
                let v = self.get(&k)?;
                let mine = controller_of(v).is_some_and(|(kd, _, u)| kd == kind && u == owner_uid);
                mine.then_some((k, v))
            })
            .collect()
    }

    /// Stores `value` at `revision` unless something newer (a write or a deletion) is known.
    /// Returns whether it was taken.
    pub fn put(&mut self, key: &str, revision: i64, value: Value) -> bool {
        if self
            .tombstones
            .get(key)
            .is_some_and(|&gone| gone >= revision)
        {
            return false;
        }
        if let Some((known, _)) = self.objects.get(key)
            && *known >= revision
        {
            return false;
        }
        self.tombstones.remove(key);
        if let Some((_, old)) = self.objects.get(key) {
            let old = old.clone();
            self.unindex(key, &old);
        }
        for owner in owner_uids(&value) {
            self.children
                .entry(owner.to_string())
                .or_default()
                .insert(key.to_string());
        }
        self.objects.insert(key.to_string(), (revision, value));
        true
    }

    /// Forgets `key` as of `revision`; returns the object it held.
    pub fn remove(&mut self, key: &str, revision: i64) -> Option<Value> {
        if let Some((known, _)) = self.objects.get(key)
            && *known > revision
        {
            return None;
        }
        self.tombstones.insert(key.to_string(), revision);
        let (_, old) = self.objects.remove(key)?;
        self.unindex(key, &old);
        Some(old)
    }

    /// Drops tombstones the watch has caught up with.
    pub fn forget_tombstones_up_to(&mut self, revision: i64) {
        self.tombstones.retain(|_, &mut gone| gone > revision);
    }

    pub fn clear(&mut self) {
        *self = Cache::default();
    }

    fn unindex(&mut self, key: &str, old: &Value) {
        for owner in owner_uids(old) {
            if let Some(set) = self.children.get_mut(owner) {
                set.remove(key);
                if set.is_empty() {
                    self.children.remove(owner);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(owner: &str) -> Value {
        json!({"metadata": {"name": "p", "ownerReferences": [{"uid": owner, "controller": true}]}})
    }

    #[test]
    fn a_late_event_never_overwrites_a_newer_write() {
        let mut c = Cache::default();
        assert!(c.put("/k", 5, json!({"v": 5})));
        assert!(!c.put("/k", 4, json!({"v": 4})));
        assert_eq!(c.get("/k").unwrap()["v"], 5);
    }

    #[test]
    fn a_deleted_key_is_not_revived_by_an_older_event() {
        let mut c = Cache::default();
        c.put("/k", 5, json!({}));
        c.remove("/k", 6);
        assert!(!c.put("/k", 5, json!({})));
        assert!(c.put("/k", 7, json!({})));
    }

    #[test]
    fn children_follow_owner_references() {
        let mut c = Cache::default();
        c.put("/core/pods/ns/a", 1, pod("u1"));
        c.put("/core/pods/ns/b", 2, pod("u1"));
        assert_eq!(c.children("u1"), vec!["/core/pods/ns/a", "/core/pods/ns/b"]);
        c.put("/core/pods/ns/b", 3, pod("u2"));
        assert_eq!(c.children("u1"), vec!["/core/pods/ns/a"]);
        c.remove("/core/pods/ns/a", 4);
        assert!(c.children("u1").is_empty());
    }

    #[test]
    fn list_is_bounded_by_the_prefix() {
        let mut c = Cache::default();
        c.put("/apps/deployments/a/x", 1, json!({}));
        c.put("/apps/deployments/b/y", 2, json!({}));
        c.put("/apps/replicasets/a/z", 3, json!({}));
        let keys: Vec<&str> = c.list("/apps/deployments/a/").map(|(k, _)| k).collect();
        assert_eq!(keys, vec!["/apps/deployments/a/x"]);
    }
}
