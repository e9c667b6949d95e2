use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde_json::Value as Json;

use crate::manifest::tree::Value;
use crate::manifest::{NodeId, Tree};
use crate::report::{Code, Finding};
use crate::schema::{Gvk, SchemaRegistry};

use super::did_you_mean;

/// Validates one object and turns every schema error into a finding at the right span.
/// The fast path (`is_valid`) collects nothing; errors are gathered only for invalid objects.
pub fn schema_findings(
    validator: &Validator,
    json: &Json,
    tree: &Tree<'_>,
    root: NodeId,
    gvk: &Gvk,
    registry: &SchemaRegistry,
) -> Vec<Finding> {
    if validator.is_valid(json) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for error in validator.iter_errors(json) {
        to_findings(&error, tree, root, gvk, registry, &mut out);
    }
    out.sort_by_key(|f| f.span.map(|s| s.start));
    out.dedup();
    out
}

fn to_findings(
    error: &ValidationError<'_>,
    tree: &Tree<'_>,
    root: NodeId,
    gvk: &Gvk,
    registry: &SchemaRegistry,
    out: &mut Vec<Finding>,
) {
    let pointer = error.instance_path().as_str().to_string();
    let (node, _, _) = tree.resolve_pointer(root, &pointer);
    let span = tree.node(node).span;
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            let allowed = registry
                .allowed_properties(gvk, &pointer)
                .unwrap_or_default();
            for key in unexpected {
                let path = format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
                let key_span = tree.entry(node, key).map_or(span, |e| e.key_span);
                let hint = did_you_mean(key, allowed.iter().map(String::as_str))
                    .map(|s| format!("did you mean `{s}`?"))
                    .or_else(|| {
                        (!allowed.is_empty() && allowed.len() <= 12).then(|| {
                            let mut names = allowed.clone();
                            names.sort();
                            format!("known fields here: {}", names.join(", "))
                        })
                    });
                out.push(
                    Finding::new(Code::UnknownField, format!("unknown field `{key}`"))
                        .at(key_span)
                        .path(path)
                        .hint_opt(hint),
                );
            }
        }
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => t.to_string(),
                TypeKind::Multiple(set) => {
                    let names: Vec<String> = set
                        .iter()
                        .filter(|t| t.to_string() != "null")
                        .map(|t| t.to_string())
                        .collect();
                    names.join(" or ")
                }
            };
            let got = tree.type_name(node);
            out.push(
                Finding::new(
                    Code::TypeMismatch,
                    format!("expected {expected}, got {got}"),
                )
                .at(span)
                .path(pointer)
                .hint_opt(type_hint(tree, node, &expected)),
            );
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            let where_ = if pointer.is_empty() {
                "the object".to_string()
            } else {
                format!("`{pointer}`")
            };
            let at = tree.node(node).span;
            out.push(
                Finding::new(
                    Code::MissingRequired,
                    format!("missing required field `{name}` in {where_}"),
                )
                .at(crate::manifest::Span::new(
                    at.start as usize,
                    at.start as usize,
                ))
                .path(pointer),
            );
        }
        ValidationErrorKind::Enum { options } => {
            let list: Vec<String> = options
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            out.push(
                Finding::new(
                    Code::InvalidValue,
                    format!(
                        "{} is not one of: {}",
                        describe(tree, node),
                        list.join(", ")
                    ),
                )
                .at(span)
                .path(pointer),
            );
        }
        ValidationErrorKind::Pattern { pattern } if pattern == crate::schema::QUANTITY_PATTERN => {
            out.push(
                Finding::new(
                    Code::InvalidValue,
                    format!("{} is not a Kubernetes quantity", describe(tree, node)),
                )
                .at(span)
                .path(pointer)
                .hint("write a number with an optional suffix, e.g. `500m`, `2`, `128Mi`, `1Gi`"),
            );
        }
        ValidationErrorKind::OneOfNotValid { context } | ValidationErrorKind::AnyOf { context } => {
            // Report the alternative that got furthest (fewest errors) rather than all of them.
            if let Some(best) = context
                .iter()
                .filter(|c| !c.is_empty())
                .min_by_key(|c| c.len())
            {
                for e in best {
                    to_findings(e, tree, root, gvk, registry, out);
                }
            } else {
                out.push(generic(error, span, pointer));
            }
        }
        _ => out.push(generic(error, span, pointer)),
    }
}

fn generic(error: &ValidationError<'_>, span: crate::manifest::Span, pointer: String) -> Finding {
    Finding::new(Code::InvalidValue, error.masked().to_string())
        .at(span)
        .path(pointer)
}

fn describe(tree: &Tree<'_>, node: NodeId) -> String {
    match &tree.node(node).value {
        Value::Str(s) => format!("`{s}`"),
        _ => format!("`{}`", tree.to_json(node)),
    }
}

/// Why the value has the wrong type, when YAML is to blame.
fn type_hint(tree: &Tree<'_>, node: NodeId, expected: &str) -> Option<String> {
    let n = tree.node(node);
    match &n.value {
        Value::Bool(b) if n.coerced && expected.contains("string") => Some(format!(
            "YAML 1.1 (which kubectl uses) reads this unquoted word as the boolean {b}; quote it to keep it a string"
        )),
        Value::Int(_) | Value::UInt(_) | Value::Float(_) if n.coerced && expected.contains("string") => Some(
            "an unquoted number is a number in YAML (`0755` is even octal); quote it to keep it a string".into(),
        ),
        Value::Str(s) if (expected.contains("integer") || expected.contains("number")) && s.trim().parse::<f64>().is_ok() => {
            Some("remove the quotes: this field takes a number".into())
        }
        Value::Str(s) if expected == "boolean" && matches!(s.as_ref(), "true" | "false") => {
            Some("remove the quotes: this field takes a boolean".into())
        }
        Value::Null => Some("an empty value is null in YAML; give it a value or remove the key".into()),
        _ => None,
    }
}
