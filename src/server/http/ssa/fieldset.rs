//! Field sets: the tries `metadata.managedFields[].fieldsV1` serialises (structured-merge-diff
//! `fieldpath.Set`), and the path strings conflict messages print.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

/// One step of a field path. Keys and set values are kept as canonical JSON text (object keys
/// sorted, compact) so that elements compare and order without a typed value model; the
/// variant order is the order structured-merge-diff sorts elements in.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathElement {
    /// `f:<name>`: a struct field or a map key.
    Field(String),
    /// `k:{"containerPort":80,"protocol":"TCP"}`: an item of a list keyed by these fields.
    Key(String),
    /// `v:"example.com/x"`: an item of a set, by value.
    Value(String),
    /// `i:0`: a positional item (lists without a key; unused by built-in kinds).
    Index(usize),
}

impl PathElement {
    /// The key element of a list item: `fields` are the item's key fields and their values.
    pub fn key(fields: Map<String, Value>) -> Self {
        Self::Key(Value::Object(fields).to_string())
    }

    pub fn value(v: &Value) -> Self {
        Self::Value(v.to_string())
    }

    /// `f:name`, `k:{...}`, `v:...`, `i:n`: the FieldsV1 key.
    pub fn serialize(&self) -> String {
        match self {
            Self::Field(name) => format!("f:{name}"),
            Self::Key(json) => format!("k:{json}"),
            Self::Value(json) => format!("v:{json}"),
            Self::Index(i) => format!("i:{i}"),
        }
    }

    /// The inverse of `serialize`; `None` for prefixes this server does not know (skipped when
    /// reading, as the API server does) and for malformed JSON.
    pub fn parse(s: &str) -> Option<Self> {
        let (kind, rest) = s.split_at_checked(2)?;
        match kind {
            "f:" => Some(Self::Field(rest.to_string())),
            "k:" => match serde_json::from_str::<Value>(rest).ok()? {
                // Re-serialising sorts the key fields, whatever order the writer used.
                Value::Object(m) => Some(Self::key(m)),
                _ => None,
            },
            "v:" => Some(Self::value(&serde_json::from_str::<Value>(rest).ok()?)),
            "i:" => rest.parse().ok().map(Self::Index),
            _ => None,
        }
    }

    /// As structured-merge-diff prints it in conflict messages: `.replicas`,
    /// `[containerPort=80,protocol="TCP"]`, `[="a"]`, `[0]`.
    pub fn display(&self) -> String {
        match self {
            Self::Field(name) => format!(".{name}"),
            Self::Key(json) => {
                let fields = match serde_json::from_str::<Value>(json) {
                    Ok(Value::Object(m)) => m,
                    _ => Map::new(),
                };
                let parts: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{k}={}", display_value(v)))
                    .collect();
                format!("[{}]", parts.join(","))
            }
            Self::Value(json) => {
                let v = serde_json::from_str::<Value>(json).unwrap_or(Value::Null);
                format!("[={}]", display_value(&v))
            }
            Self::Index(i) => format!("[{i}]"),
        }
    }
}

/// Go's `value.ToString`: strings quoted, other scalars bare.
fn display_value(v: &Value) -> String {
    match v {
        Value::String(s) => Value::String(s.clone()).to_string(),
        other => other.to_string(),
    }
}

/// `.spec.template.spec.containers[name="web"].image`
pub fn path_string(path: &[PathElement]) -> String {
    path.iter().map(PathElement::display).collect()
}

/// A set of field paths as a trie: `members` are the paths ending here, `children` the
/// subtrees below. A path can be both a member and have children (a list item that is owned
/// and whose fields are owned): that is what FieldsV1 writes as `".": {}`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Set {
    members: BTreeSet<PathElement>,
    children: BTreeMap<PathElement, Set>,
}

/// The empty set, to descend into where a set has no subtree.
pub static EMPTY: Set = Set {
    members: BTreeSet::new(),
    children: BTreeMap::new(),
};

impl Set {
    pub fn is_empty(&self) -> bool {
        self.members.is_empty() && self.children.is_empty()
    }

    pub fn has_member(&self, pe: &PathElement) -> bool {
        self.members.contains(pe)
    }

    pub fn child(&self, pe: &PathElement) -> Option<&Set> {
        self.children.get(pe)
    }

    /// Every element that is a member or has a subtree here, in order.
    pub fn elements(&self) -> Vec<&PathElement> {
        let all: BTreeSet<&PathElement> = self.members.iter().chain(self.children.keys()).collect();
        all.into_iter().collect()
    }

    pub fn insert_member(&mut self, pe: PathElement) {
        self.members.insert(pe);
    }

    /// Adds `sub` below `pe` (merged with what is there); an empty `sub` adds nothing.
    pub fn insert_child(&mut self, pe: PathElement, sub: Set) {
        if sub.is_empty() {
            return;
        }
        match self.children.get_mut(&pe) {
            Some(existing) => *existing = existing.union(&sub),
            None => {
                self.children.insert(pe, sub);
            }
        }
    }

    /// Adds one path (as a member at its end).
    pub fn insert(&mut self, path: &[PathElement]) {
        match path {
            [] => {}
            [last] => self.insert_member(last.clone()),
            [first, rest @ ..] => {
                let mut sub = Set::default();
                sub.insert(rest);
                self.insert_child(first.clone(), sub);
            }
        }
    }

    /// Whether `path` is a member.
    #[cfg(test)]
    pub fn has(&self, path: &[PathElement]) -> bool {
        match path {
            [] => false,
            [last] => self.members.contains(last),
            [first, rest @ ..] => self.children.get(first).is_some_and(|c| c.has(rest)),
        }
    }

    #[must_use]
    pub fn union(&self, other: &Set) -> Set {
        let mut out = self.clone();
        out.members.extend(other.members.iter().cloned());
        for (pe, sub) in &other.children {
            out.insert_child(pe.clone(), sub.clone());
        }
        out
    }

    /// Members of `self` that are not members of `other`, recursively (structured-merge-diff
    /// `Set.Difference`: removing a member keeps its subtree).
    #[must_use]
    pub fn difference(&self, other: &Set) -> Set {
        let members = self.members.difference(&other.members).cloned().collect();
        let mut children = BTreeMap::new();
        for (pe, sub) in &self.children {
            let left = match other.children.get(pe) {
                Some(o) => sub.difference(o),
                None => sub.clone(),
            };
            if !left.is_empty() {
                children.insert(pe.clone(), left);
            }
        }
        Set { members, children }
    }

    /// Member paths in structured-merge-diff's iteration order: this level's members, then
    /// each subtree.
    pub fn paths(&self) -> Vec<Vec<PathElement>> {
        let mut out = Vec::new();
        self.collect_paths(&mut Vec::new(), &mut out);
        out
    }

    fn collect_paths(&self, prefix: &mut Vec<PathElement>, out: &mut Vec<Vec<PathElement>>) {
        for pe in &self.members {
            let mut p = prefix.clone();
            p.push(pe.clone());
            out.push(p);
        }
        for (pe, sub) in &self.children {
            prefix.push(pe.clone());
            sub.collect_paths(prefix, out);
            prefix.pop();
        }
    }

    /// Reads a FieldsV1 object. Unknown element kinds are skipped, as the API server does.
    pub fn from_fields_v1(v: &Value) -> Set {
        let mut out = Set::default();
        let Some(m) = v.as_object() else {
            return out;
        };
        for (k, child) in m {
            if k == "." {
                continue;
            }
            let Some(pe) = PathElement::parse(k) else {
                continue;
            };
            let sub = Set::from_fields_v1(child);
            let owned_itself = child
                .as_object()
                .is_none_or(|c| c.is_empty() || c.contains_key("."));
            if owned_itself {
                out.insert_member(pe.clone());
            }
            out.insert_child(pe, sub);
        }
        out
    }

    /// The FieldsV1 object: leaves are `{}`, `"."` marks an element that is owned and has
    /// owned children. Keys come out sorted (serde_json maps are ordered).
    pub fn to_fields_v1(&self) -> Value {
        let mut out = Map::new();
        for pe in self.elements() {
            let mut node = match self.children.get(pe) {
                Some(sub) => match sub.to_fields_v1() {
                    Value::Object(m) => m,
                    _ => Map::new(),
                },
                None => Map::new(),
            };
            if self.members.contains(pe) && !node.is_empty() {
                node.insert(".".into(), Value::Object(Map::new()));
            }
            out.insert(pe.serialize(), Value::Object(node));
        }
        Value::Object(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn f(name: &str) -> PathElement {
        PathElement::Field(name.into())
    }

    #[test]
    fn fields_v1_round_trips_with_dot_markers() {
        let v = json!({"f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {"f:containers": {"k:{\"name\":\"web\"}": {".": {}, "f:image": {}, "f:name": {}}},
                "f:finalizers": {"v:\"a\"": {}}}});
        let s = Set::from_fields_v1(&v);
        assert!(s.has(&[f("metadata"), f("labels"), f("app")]));
        let item = PathElement::parse("k:{\"name\":\"web\"}").unwrap();
        assert!(s.has(&[f("spec"), f("containers"), item.clone()]));
        assert!(s.has(&[f("spec"), f("containers"), item, f("image")]));
        assert!(
            !s.has(&[f("spec")]),
            "a struct with owned fields is not itself owned"
        );
        assert_eq!(s.to_fields_v1(), v);
        assert_eq!(
            s.to_fields_v1().to_string(),
            v.to_string(),
            "serialisation is sorted"
        );
    }

    #[test]
    fn key_elements_are_canonical_and_print_like_the_api_server() {
        let a = PathElement::parse("k:{\"protocol\":\"TCP\",\"containerPort\":80}").unwrap();
        assert_eq!(
            a.serialize(),
            "k:{\"containerPort\":80,\"protocol\":\"TCP\"}"
        );
        assert_eq!(a.display(), "[containerPort=80,protocol=\"TCP\"]");
        assert_eq!(PathElement::value(&json!("x")).display(), "[=\"x\"]");
        assert_eq!(
            path_string(&[f("spec"), f("replicas")]),
            ".spec.replicas".to_string()
        );
        assert!(PathElement::parse("z:nope").is_none());
        assert!(PathElement::parse("k:[1]").is_none());
    }

    #[test]
    fn union_and_difference() {
        let mut a = Set::default();
        a.insert(&[f("spec"), f("replicas")]);
        a.insert(&[f("spec"), f("paused")]);
        let mut b = Set::default();
        b.insert(&[f("spec"), f("replicas")]);
        let d = a.difference(&b);
        assert!(d.has(&[f("spec"), f("paused")]) && !d.has(&[f("spec"), f("replicas")]));
        assert!(a.difference(&a).is_empty());
        let u = d.union(&b);
        assert_eq!(u, a);
        assert_eq!(
            a.paths().iter().map(|p| path_string(p)).collect::<Vec<_>>(),
            vec![".spec.paused", ".spec.replicas"]
        );
    }
}
