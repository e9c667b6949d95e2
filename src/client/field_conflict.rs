use std::fmt;

use kube::core::Status;

/// One field another manager owns with a different value, from a refused server-side apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldConflict {
    /// The field manager that owns the field (`kubectl`, `helm`, `kube-controller-manager`).
    pub manager: String,
    /// The field, as the server names it (`.spec.replicas`,
    /// `.spec.template.spec.containers[name="web"].image`).
    pub field: String,
}

impl FieldConflict {
    /// The conflicts a 409 `Status` lists, or `None` when the 409 is not a field-manager
    /// conflict (an optimistic-concurrency conflict, an object that already exists).
    ///
    /// The API server puts one `FieldManagerConflict` cause per field, its message
    /// `conflict with "kubectl": .spec.replicas` (or `conflict with "kubectl" using apps/v1:
    /// .spec.replicas` when the manager applied another version); the manager is a Go-quoted
    /// string.
    pub(super) fn from_status(status: &Status) -> Option<Vec<Self>> {
        let causes = &status.details.as_ref()?.causes;
        let conflicts: Vec<Self> = causes
            .iter()
            .filter(|c| c.reason == "FieldManagerConflict")
            .map(|c| Self {
                manager: manager_in(&c.message).unwrap_or_default(),
                field: if c.field.is_empty() {
                    c.message
                        .rsplit_once(": ")
                        .map_or_else(String::new, |(_, f)| f.to_owned())
                } else {
                    c.field.clone()
                },
            })
            .collect();
        (!conflicts.is_empty()).then_some(conflicts)
    }
}

/// The quoted manager name after `conflict with `: the quoted text is a Go `%q` string,
/// which for the names managers have is also a JSON string.
fn manager_in(message: &str) -> Option<String> {
    let rest = message.split_once("conflict with ")?.1;
    let quoted = rest.strip_prefix('"')?;
    let mut escaped = false;
    for (i, c) in quoted.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => {
                let json = &rest[..=i + 1];
                return Some(serde_json::from_str(json).unwrap_or_else(|_| quoted[..i].to_owned()));
            }
            _ => escaped = false,
        }
    }
    None
}

impl fmt::Display for FieldConflict {
    /// kubectl's wording: `conflict with "kubectl": .spec.replicas`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conflict with {:?}: {}", self.manager, self.field)
    }
}

#[cfg(test)]
mod tests {
    use kube::core::response::{StatusCause, StatusDetails};

    use super::*;

    fn status(causes: &[(&str, &str, &str)]) -> Status {
        Status::failure("Apply failed", "Conflict")
            .with_code(409)
            .with_details(StatusDetails {
                name: "web".into(),
                group: "apps".into(),
                kind: "deployments".into(),
                uid: String::new(),
                causes: causes
                    .iter()
                    .map(|(reason, message, field)| StatusCause {
                        reason: (*reason).into(),
                        message: (*message).into(),
                        field: (*field).into(),
                    })
                    .collect(),
                retry_after_seconds: 0,
            })
    }

    #[test]
    fn each_field_manager_conflict_names_its_manager_and_field() {
        let s = status(&[
            (
                "FieldManagerConflict",
                "conflict with \"kubectl\": .spec.replicas",
                ".spec.replicas",
            ),
            (
                "FieldManagerConflict",
                "conflict with \"helm\" using apps/v1: .spec.template.spec.containers[name=\"web\"].image",
                ".spec.template.spec.containers[name=\"web\"].image",
            ),
        ]);
        let conflicts = FieldConflict::from_status(&s).unwrap();
        assert_eq!(
            conflicts,
            [
                FieldConflict {
                    manager: "kubectl".into(),
                    field: ".spec.replicas".into()
                },
                FieldConflict {
                    manager: "helm".into(),
                    field: ".spec.template.spec.containers[name=\"web\"].image".into()
                },
            ]
        );
        assert_eq!(
            conflicts[0].to_string(),
            "conflict with \"kubectl\": .spec.replicas"
        );
    }

    #[test]
    fn a_cause_without_a_field_takes_it_from_the_message() {
        let s = status(&[(
            "FieldManagerConflict",
            "conflict with \"we \\\"quote\\\"\": .data.k",
            "",
        )]);
        assert_eq!(
            FieldConflict::from_status(&s).unwrap(),
            [FieldConflict {
                manager: "we \"quote\"".into(),
                field: ".data.k".into()
            }]
        );
    }

    #[test]
    fn other_conflicts_are_not_field_manager_conflicts() {
        let stale = Status::failure(
            "the object has been modified; please apply your changes to the latest version",
            "Conflict",
        )
        .with_code(409);
        assert_eq!(FieldConflict::from_status(&stale), None);
        assert_eq!(
            FieldConflict::from_status(&status(&[("FieldValueInvalid", "bad", ".x")])),
            None
        );
    }
}
