use crate::manifest::tree::Value;
use crate::manifest::{NodeId, ObjectRef, Tree};
use crate::report::{Code, Finding};

/// A workload whose `spec.selector` does not select its own pod template: the API server
/// rejects it ("selector does not match template labels").
pub fn check_selector(tree: &Tree<'_>, root: NodeId, object: &ObjectRef) -> Option<Finding> {
    let workload = matches!(object.group(), "apps" | "extensions" | "batch")
        && matches!(
            object.kind.as_str(),
            "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job"
        );
    if !workload {
        return None;
    }
    let selector = tree.get_path(root, &["spec", "selector"])?;
    let labels = tree.get_path(root, &["spec", "template", "metadata", "labels"]);
    let label = |key: &str| {
        labels
            .and_then(|l| tree.get(l, key))
            .and_then(|n| scalar_text(tree, n))
    };
    let mismatch = |message: String, at: NodeId, path: String| {
        Some(
            Finding::new(Code::SelectorMismatch, message)
                .at(tree.node(at).span)
                .path(path)
                .hint("make spec.selector match spec.template.metadata.labels, or the API server rejects the object"),
        )
    };
    if let Some(match_labels) = tree.get(selector, "matchLabels")
        && let Value::Map(entries) = &tree.node(match_labels).value
    {
        for e in entries {
            let want = scalar_text(tree, e.value);
            let got = label(&e.key);
            if want.is_some() && got != want {
                let message = match got {
                    None => format!(
                        "selector `{}={}` matches no label of the pod template",
                        e.key,
                        want.unwrap_or_default()
                    ),
                    Some(g) => format!(
                        "selector `{}={}` does not match the pod template's label `{}={g}`",
                        e.key,
                        want.unwrap_or_default(),
                        e.key
                    ),
                };
                return mismatch(
                    message,
                    e.value,
                    format!("/spec/selector/matchLabels/{}", escape(&e.key)),
                );
            }
        }
    }
    if let Some(exprs) = tree.get(selector, "matchExpressions")
        && let Value::Seq(items) = &tree.node(exprs).value
    {
        for (i, &expr) in items.iter().enumerate() {
            let Some(key) = tree.str_at(expr, &["key"]) else {
                continue;
            };
            let op = tree.str_at(expr, &["operator"]).unwrap_or_default();
            let values: Vec<String> = match tree.get(expr, "values").map(|v| &tree.node(v).value) {
                Some(Value::Seq(vs)) => vs.iter().filter_map(|&v| scalar_text(tree, v)).collect(),
                _ => Vec::new(),
            };
            let got = label(key);
            let ok = match op {
                "In" => got.as_ref().is_some_and(|g| values.contains(g)),
                "NotIn" => got.as_ref().is_none_or(|g| !values.contains(g)),
                "Exists" => got.is_some(),
                "DoesNotExist" => got.is_none(),
                _ => true,
            };
            if !ok {
                return mismatch(
                    format!(
                        "selector expression `{key} {op} [{}]` does not match the pod template's labels",
                        values.join(", ")
                    ),
                    expr,
                    format!("/spec/selector/matchExpressions/{i}"),
                );
            }
        }
    }
    None
}

fn scalar_text(tree: &Tree<'_>, id: NodeId) -> Option<String> {
    match &tree.node(id).value {
        Value::Str(s) => Some(s.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Int(i) => Some(i.to_string()),
        Value::UInt(u) => Some(u.to_string()),
        Value::Float(f) => Some(f.to_string()),
        _ => None,
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::{Extracted, Limits, extract_objects, parse_documents};

    fn check(text: &str) -> Option<String> {
        let docs = parse_documents(text, Limits::default());
        let doc = &docs[0];
        let Extracted::Object { root, object } = extract_objects(doc).remove(0) else {
            panic!()
        };
        check_selector(&doc.tree, root, &object).map(|f| format!("{} @{}", f.message, f.path))
    }

    const HEAD: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n";

    #[test]
    fn matching_selectors_pass() {
        assert_eq!(
            check(&format!(
                "{HEAD}  selector: {{matchLabels: {{app: web}}}}\n  template: {{metadata: {{labels: {{app: web, tier: fe}}}}}}\n"
            )),
            None
        );
        assert_eq!(
            check(&format!(
                "{HEAD}  selector: {{matchExpressions: [{{key: tier, operator: In, values: [fe, be]}}, {{key: x, operator: DoesNotExist}}]}}\n  template: {{metadata: {{labels: {{tier: fe}}}}}}\n"
            )),
            None
        );
    }

    #[test]
    fn mismatches_name_the_label() {
        assert_eq!(
            check(&format!("{HEAD}  selector: {{matchLabels: {{app: web}}}}\n  template: {{metadata: {{labels: {{app: api}}}}}}\n")).unwrap(),
            "selector `app=web` does not match the pod template's label `app=api` @/spec/selector/matchLabels/app"
        );
        assert!(check(&format!("{HEAD}  selector: {{matchExpressions: [{{key: tier, operator: Exists}}]}}\n  template: {{metadata: {{labels: {{app: web}}}}}}\n")).is_some());
    }
}
