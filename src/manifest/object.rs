use super::tree::Value;
use super::{Document, LoadIssue, LoadIssueKind, NodeId, ObjectRef, Span, Tree};

/// What a document holds: Kubernetes objects (a `List` yields its items), or a reason it is not one.
#[derive(Debug)]
pub enum Extracted {
    Object { root: NodeId, object: ObjectRef },
    NotKubernetes { root: NodeId, issue: LoadIssue },
}

/// The objects of one successfully built document. Empty documents yield nothing.
pub fn extract_objects(doc: &Document<'_>) -> Vec<Extracted> {
    let Some(root) = doc.root else {
        return Vec::new();
    };
    let tree = &doc.tree;
    if matches!(tree.node(root).value, Value::Null) {
        return Vec::new();
    }
    let mut out = Vec::new();
    match identify(tree, root) {
        Ok(object) => {
            let items = tree
                .get(root, "items")
                .filter(|_| object.kind.ends_with("List"));
            match items.map(|i| &tree.node(i).value) {
                Some(Value::Seq(items)) => {
                    for &item in items {
                        out.push(match identify(tree, item) {
                            Ok(object) => Extracted::Object { root: item, object },
                            Err(issue) => Extracted::NotKubernetes { root: item, issue },
                        });
                    }
                }
                Some(Value::Null) => {}
                _ => out.push(Extracted::Object { root, object }),
            }
        }
        Err(issue) => out.push(Extracted::NotKubernetes { root, issue }),
    }
    out
}

fn identify(tree: &Tree<'_>, root: NodeId) -> Result<ObjectRef, LoadIssue> {
    let span = tree.node(root).span;
    let not_k8s = |message: String| LoadIssue {
        kind: LoadIssueKind::NotKubernetes,
        message,
        span: Span::new(span.start as usize, span.start as usize),
        hint: Some("skip files that are not Kubernetes objects with --ignore-non-k8s".into()),
        related: None,
    };
    if !matches!(tree.node(root).value, Value::Map(_)) {
        return Err(not_k8s(format!(
            "document is {} {}, not a Kubernetes object",
            article(tree.type_name(root)),
            tree.type_name(root)
        )));
    }
    let field = |key: &str| -> Result<String, LoadIssue> {
        match tree.get(root, key) {
            None => Err(not_k8s(format!("missing '{key}' key"))),
            Some(id) => match tree.str(id) {
                Some(s) if !s.is_empty() => Ok(s.to_string()),
                _ => Err(LoadIssue {
                    span: tree.node(id).span,
                    ..not_k8s(format!("'{key}' must be a non-empty string"))
                }),
            },
        }
    };
    let api_version = field("apiVersion")?;
    let kind = field("kind")?;
    Ok(ObjectRef {
        api_version,
        kind,
        namespace: tree
            .str_at(root, &["metadata", "namespace"])
            .map(str::to_string),
        name: tree
            .str_at(root, &["metadata", "name"])
            .or_else(|| tree.str_at(root, &["metadata", "generateName"]))
            .map(str::to_string),
    })
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{Limits, parse_documents};

    fn extract(text: &str) -> Vec<Result<ObjectRef, String>> {
        parse_documents(text, Limits::default())
            .iter()
            .flat_map(extract_objects)
            .map(|e| match e {
                Extracted::Object { object, .. } => Ok(object),
                Extracted::NotKubernetes { issue, .. } => Err(issue.message),
            })
            .collect()
    }

    #[test]
    fn lists_expand_to_their_items() {
        let got = extract(
            "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- {apiVersion: v1, kind: Secret, metadata: {name: b, namespace: x}}\n",
        );
        let names: Vec<_> = got
            .iter()
            .map(|r| r.as_ref().unwrap().to_string())
            .collect();
        assert_eq!(names, ["ConfigMap a", "Secret x/b"]);
        let got = extract(
            "apiVersion: v1\nkind: ConfigMapList\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n",
        );
        assert_eq!(got.len(), 1);
    }

    #[test]
    fn non_kubernetes_documents_say_what_is_missing() {
        assert_eq!(
            extract("name: x\nkind: Foo\n"),
            [Err("missing 'apiVersion' key".to_string())]
        );
        assert_eq!(
            extract("apiVersion: v1\n"),
            [Err("missing 'kind' key".to_string())]
        );
        assert_eq!(
            extract("- a\n- b\n"),
            [Err(
                "document is an array, not a Kubernetes object".to_string()
            )]
        );
        assert!(extract("---\n# only a comment\n").is_empty());
    }
}
