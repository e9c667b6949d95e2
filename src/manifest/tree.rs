use std::borrow::Cow;

use serde_json::{Map, Number, Value as Json};

use super::Span;

/// Index of a node in its [`Tree`].
pub type NodeId = u32;

/// One YAML document as an arena of nodes, each with its source span.
///
/// An arena rather than boxed children: dropping a deeply nested document is then a flat
/// `Vec` drop, which cannot overflow a thread's stack, and cloning an alias is a copy of a
/// contiguous range.
#[derive(Debug, Default)]
pub struct Tree<'src> {
    nodes: Vec<Node<'src>>,
}

#[derive(Debug, Clone)]
pub struct Node<'src> {
    pub value: Value<'src>,
    /// The value's span; for a mapping value this is the value, not its key.
    pub span: Span,
    /// Whether a plain scalar was turned into a non-string by YAML 1.1 rules (`yes`, `0755`),
    /// so that a type error on it can suggest quoting.
    pub coerced: bool,
}

#[derive(Debug, Clone)]
pub enum Value<'src> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(Cow<'src, str>),
    Seq(Vec<NodeId>),
    Map(Vec<Entry<'src>>),
}

#[derive(Debug, Clone)]
pub struct Entry<'src> {
    pub key: Cow<'src, str>,
    pub key_span: Span,
    pub value: NodeId,
}

impl<'src> Tree<'src> {
    pub fn push(&mut self, node: Node<'src>) -> NodeId {
        let id = self.nodes.len() as NodeId;
        self.nodes.push(node);
        id
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn node(&self, id: NodeId) -> &Node<'src> {
        &self.nodes[id as usize]
    }

    pub(crate) fn node_mut(&mut self, id: NodeId) -> &mut Node<'src> {
        &mut self.nodes[id as usize]
    }

    /// The value of `key` in the mapping `id`, if `id` is a mapping holding it.
    pub fn get(&self, id: NodeId, key: &str) -> Option<NodeId> {
        match &self.node(id).value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key).map(|e| e.value),
            _ => None,
        }
    }

    pub fn entry(&self, id: NodeId, key: &str) -> Option<&Entry<'src>> {
        match &self.node(id).value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// Follows a path of mapping keys from `id`.
    pub fn get_path(&self, id: NodeId, path: &[&str]) -> Option<NodeId> {
        path.iter().try_fold(id, |node, key| self.get(node, key))
    }

    pub fn str(&self, id: NodeId) -> Option<&str> {
        match &self.node(id).value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn str_at(&self, id: NodeId, path: &[&str]) -> Option<&str> {
        self.get_path(id, path).and_then(|n| self.str(n))
    }

    /// Copies the subtree rooted at `id` (an alias expansion) and returns the copy's root.
    /// Nodes are appended in pre-order, so the copy of a contiguous subtree is contiguous.
    pub fn clone_subtree(&mut self, id: NodeId) -> NodeId {
        let (first, last) = (id, self.subtree_end(id));
        let offset = self.nodes.len() as NodeId - first;
        for i in first..last {
            let mut node = self.nodes[i as usize].clone();
            match &mut node.value {
                Value::Seq(items) => items.iter_mut().for_each(|c| *c += offset),
                Value::Map(entries) => entries.iter_mut().for_each(|e| e.value += offset),
                _ => {}
            }
            self.nodes.push(node);
        }
        id + offset
    }

    /// One past the last node of the subtree rooted at `id`, relying on pre-order layout:
    /// a node's descendants are exactly the nodes pushed after it and before its end.
    fn subtree_end(&self, id: NodeId) -> NodeId {
        let mut end = id + 1;
        let mut stack = vec![id];
        while let Some(n) = stack.pop() {
            match &self.node(n).value {
                Value::Seq(items) => stack.extend(items.iter().copied()),
                Value::Map(entries) => stack.extend(entries.iter().map(|e| e.value)),
                _ => {}
            }
            end = end.max(n + 1);
        }
        end
    }

    /// Moves every span by `base` bytes: for a document parsed out of a slice of its file.
    pub fn shift_spans(&mut self, base: u32) {
        for node in &mut self.nodes {
            node.span.start += base;
            node.span.end += base;
            if let Value::Map(entries) = &mut node.value {
                for e in entries {
                    e.key_span.start += base;
                    e.key_span.end += base;
                }
            }
        }
    }

    /// Number of nodes in the subtree rooted at `id`.
    pub fn subtree_size(&self, id: NodeId) -> usize {
        (self.subtree_end(id) - id) as usize
    }

    /// Converts the subtree at `id` to a JSON value, as the API server would receive it.
    /// Depth is bounded by the loader's nesting limit, so recursion is safe here.
    pub fn to_json(&self, id: NodeId) -> Json {
        match &self.node(id).value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) => Json::Number((*i).into()),
            Value::UInt(u) => Json::Number((*u).into()),
            Value::Float(f) => Number::from_f64(*f).map_or(Json::Null, Json::Number),
            Value::Str(s) => Json::String(s.to_string()),
            Value::Seq(items) => Json::Array(items.iter().map(|&c| self.to_json(c)).collect()),
            Value::Map(entries) => {
                let mut map = Map::new();
                for e in entries {
                    map.insert(e.key.to_string(), self.to_json(e.value));
                }
                Json::Object(map)
            }
        }
    }

    /// Resolves a JSON pointer (`/spec/template/spec/containers/0/image`) to the deepest node it
    /// reaches, returning that node and whether the whole pointer was resolved.
    pub fn resolve_pointer(&self, root: NodeId, pointer: &str) -> (NodeId, Option<Span>, bool) {
        let mut node = root;
        let mut key_span = None;
        if pointer.is_empty() {
            return (node, None, true);
        }
        for raw in pointer.split('/').skip(1) {
            let segment = raw.replace("~1", "/").replace("~0", "~");
            let next = match &self.node(node).value {
                Value::Map(entries) => entries.iter().find(|e| e.key == segment).map(|e| {
                    key_span = Some(e.key_span);
                    e.value
                }),
                Value::Seq(items) => {
                    key_span = None;
                    segment
                        .parse::<usize>()
                        .ok()
                        .and_then(|i| items.get(i).copied())
                }
                _ => None,
            };
            match next {
                Some(n) => node = n,
                None => return (node, key_span, false),
            }
        }
        (node, key_span, true)
    }

    pub fn type_name(&self, id: NodeId) -> &'static str {
        match self.node(id).value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) | Value::UInt(_) => "integer",
            Value::Float(_) => "number",
            Value::Str(_) => "string",
            Value::Seq(_) => "array",
            Value::Map(_) => "object",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(tree: &mut Tree<'static>, s: &'static str) -> NodeId {
        tree.push(Node {
            value: Value::Str(s.into()),
            span: Span::default(),
            coerced: false,
        })
    }

    #[test]
    fn clone_subtree_remaps_children() {
        let mut tree = Tree::default();
        let map = tree.push(Node {
            value: Value::Map(vec![]),
            span: Span::default(),
            coerced: false,
        });
        let a = scalar(&mut tree, "a");
        let b = scalar(&mut tree, "b");
        tree.node_mut(map).value = Value::Map(vec![
            Entry {
                key: "x".into(),
                key_span: Span::default(),
                value: a,
            },
            Entry {
                key: "y".into(),
                key_span: Span::default(),
                value: b,
            },
        ]);
        let copy = tree.clone_subtree(map);
        assert_eq!(copy, 3);
        assert_eq!(tree.str_at(copy, &["y"]), Some("b"));
        assert_eq!(tree.get(copy, "x"), Some(4));
        assert_eq!(tree.subtree_size(copy), 3);
    }
}
