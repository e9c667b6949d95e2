use std::collections::HashMap;

use crate::manifest::ObjectRef;

/// What makes two objects the same object: group, kind, namespace, name. The version is not
/// part of it (`apps/v1` and `apps/v1beta2` Deployments named `web` collide on a cluster).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DuplicateKey {
    pub group: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl DuplicateKey {
    /// `None` for objects without a fixed name (`generateName`), which never collide.
    pub fn of(object: &ObjectRef, has_name: bool) -> Option<Self> {
        if !has_name {
            return None;
        }
        Some(Self {
            group: object.group().to_string(),
            kind: object.kind.clone(),
            namespace: object.namespace.clone().unwrap_or_default(),
            name: object.name.clone()?,
        })
    }
}

/// For each object index whose key appeared before, the index of its first occurrence.
pub fn find_duplicates(keys: &[Option<DuplicateKey>]) -> Vec<(usize, usize)> {
    let mut first: HashMap<&DuplicateKey, usize> = HashMap::new();
    let mut out = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        if let Some(key) = key {
            match first.entry(key) {
                std::collections::hash_map::Entry::Occupied(o) => out.push((i, *o.get())),
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(i);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(api: &str, kind: &str, ns: Option<&str>, name: &str) -> Option<DuplicateKey> {
        let r = ObjectRef {
            api_version: api.into(),
            kind: kind.into(),
            namespace: ns.map(Into::into),
            name: Some(name.into()),
        };
        DuplicateKey::of(&r, true)
    }

    #[test]
    fn same_group_kind_namespace_name_is_a_duplicate_across_versions() {
        let keys = [
            obj("apps/v1", "Deployment", Some("a"), "web"),
            obj("apps/v1", "Deployment", Some("b"), "web"),
            obj("apps/v1beta2", "Deployment", Some("a"), "web"),
            obj("v1", "Service", Some("a"), "web"),
            None,
        ];
        assert_eq!(find_duplicates(&keys), [(2, 0)]);
    }
}
