//! `--ignore PATH`: a field left out of the comparison on both sides, for every kind or for one
//! (`Deployment:/spec/replicas` when an autoscaler owns it).

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

/// A JSON pointer (RFC 6901, `~1` for `/`, `~0` for `~`), optionally scoped to a kind
/// (`Kind` or `group/Kind`). A segment `*` matches any key or list item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreRule {
    /// `Deployment` or `apps/Deployment`; `None` for every kind.
    pub kind: Option<String>,
    pub segments: Vec<String>,
    text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IgnoreRuleError {
    #[error(
        "--ignore `{0}`: a path is a JSON pointer starting with `/`, optionally after `Kind:` (e.g. `Deployment:/spec/replicas`)"
    )]
    NotAPointer(String),
    #[error(
        "--ignore `{0}`: ignoring the whole object is not a field rule; leave the object out of the manifests instead"
    )]
    WholeObject(String),
}

impl FromStr for IgnoreRule {
    type Err = IgnoreRuleError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (kind, pointer) = if text.starts_with('/') {
            (None, text)
        } else {
            match text.split_once(":/") {
                Some((kind, _)) if !kind.is_empty() => {
                    (Some(kind.to_string()), &text[kind.len() + 1..])
                }
                _ => return Err(IgnoreRuleError::NotAPointer(text.to_string())),
            }
        };
        if pointer == "/" || pointer.is_empty() {
            return Err(IgnoreRuleError::WholeObject(text.to_string()));
        }
        let segments = pointer
            .split('/')
            .skip(1)
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect();
        Ok(IgnoreRule {
            kind,
            segments,
            text: text.to_string(),
        })
    }
}

impl fmt::Display for IgnoreRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl IgnoreRule {
    /// Whether the rule is about objects of this group and kind.
    pub fn applies_to(&self, group: &str, kind: &str) -> bool {
        match &self.kind {
            None => true,
            Some(k) => match k.rsplit_once('/') {
                Some((g, k)) => g == group && k == kind,
                None => k == kind,
            },
        }
    }

    /// Removes every field the pointer reaches from `value`.
    pub fn remove_from(&self, value: &mut Value) {
        remove(value, &self.segments);
    }
}

fn remove(value: &mut Value, segments: &[String]) {
    let Some((first, rest)) = segments.split_first() else {
        return;
    };
    match value {
        Value::Object(map) => {
            if rest.is_empty() {
                if first == "*" {
                    map.clear();
                } else {
                    map.remove(first);
                }
            } else if first == "*" {
                for v in map.values_mut() {
                    remove(v, rest);
                }
            } else if let Some(v) = map.get_mut(first) {
                remove(v, rest);
            }
        }
        Value::Array(items) => {
            if first == "*" {
                if rest.is_empty() {
                    items.clear();
                } else {
                    for v in items.iter_mut() {
                        remove(v, rest);
                    }
                }
            } else if let Ok(i) = first.parse::<usize>() {
                if rest.is_empty() {
                    if i < items.len() {
                        items.remove(i);
                    }
                } else if let Some(v) = items.get_mut(i) {
                    remove(v, rest);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(s: &str) -> IgnoreRule {
        s.parse().unwrap()
    }

    #[test]
    fn pointers_may_be_scoped_to_a_kind() {
        let r = rule("Deployment:/spec/replicas");
        assert!(r.applies_to("apps", "Deployment"));
        assert!(!r.applies_to("apps", "StatefulSet"));
        let r = rule("apps/Deployment:/spec/replicas");
        assert!(r.applies_to("apps", "Deployment"));
        assert!(!r.applies_to("extensions", "Deployment"));
        assert!(rule("/metadata/labels").applies_to("", "ConfigMap"));
        assert_eq!(
            rule("/metadata/annotations/a~1b").segments,
            ["metadata", "annotations", "a/b"]
        );
    }

    #[test]
    fn bad_rules_say_what_a_rule_looks_like() {
        assert!(matches!(
            "spec.replicas".parse::<IgnoreRule>(),
            Err(IgnoreRuleError::NotAPointer(_))
        ));
        assert!(matches!(
            "Deployment:/".parse::<IgnoreRule>(),
            Err(IgnoreRuleError::WholeObject(_))
        ));
    }

    #[test]
    fn wildcards_reach_every_list_item() {
        let mut v = json!({"spec": {"containers": [{"name": "a", "image": "x:1"}, {"name": "b", "image": "y:1"}]}});
        rule("/spec/containers/*/image").remove_from(&mut v);
        assert_eq!(
            v,
            json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}]}})
        );
        rule("/spec/missing/field").remove_from(&mut v);
        rule("/spec/containers/1").remove_from(&mut v);
        assert_eq!(v, json!({"spec": {"containers": [{"name": "a"}]}}));
    }
}
