//! `metadata.managedFields` entries: reading, writing in the API server's order, and how
//! conflict messages name a manager.

use serde_json::{Map, Value, json};

use super::fieldset::Set;

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub manager: String,
    /// `Apply` or `Update`.
    pub operation: String,
    pub api_version: String,
    pub time: Option<String>,
    pub subresource: String,
    pub set: Set,
}

impl Entry {
    /// Whether this entry is the one a write by `manager` through `subresource` with
    /// `operation` records into. Appliers keep one entry whatever the version; updaters one
    /// per version (apimachinery `BuildManagerIdentifier`).
    pub fn is(&self, manager: &str, operation: &str, api_version: &str, subresource: &str) -> bool {
        self.manager == manager
            && self.operation == operation
            && self.subresource == subresource
            && (operation == "Apply" || self.api_version == api_version)
    }

    /// `"kubectl"`, `"kubectl" with subresource "status"`, `"kube-controller-manager" using
    /// apps/v1`: how the API server names a manager in conflict messages.
    pub fn display(&self) -> String {
        let mut out = Value::from(self.manager.as_str()).to_string();
        if !self.subresource.is_empty() {
            out = format!(
                "{out} with subresource {}",
                Value::from(self.subresource.as_str())
            );
        }
        if self.operation == "Update" {
            out = format!("{out} using {}", self.api_version);
        }
        out
    }
}

/// The entries of `metadata.managedFields`; malformed ones are dropped (the API server resets
/// managed fields it cannot decode).
pub fn decode(managed_fields: &Value) -> Vec<Entry> {
    let Some(items) = managed_fields.as_array() else {
        return Vec::new();
    };
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    items
        .iter()
        .filter_map(|e| {
            Some(Entry {
                manager: text(e, "manager").unwrap_or_default(),
                operation: text(e, "operation")?,
                api_version: text(e, "apiVersion").unwrap_or_default(),
                time: text(e, "time"),
                subresource: text(e, "subresource").unwrap_or_default(),
                set: e
                    .get("fieldsV1")
                    .map(Set::from_fields_v1)
                    .unwrap_or_default(),
            })
        })
        .collect()
}

/// `metadata.managedFields` sorted as the API server sorts it: operation, time, manager,
/// version, subresource.
pub fn encode(entries: &[Entry]) -> Value {
    let mut sorted: Vec<&Entry> = entries.iter().collect();
    sorted.sort_by(|a, b| {
        (
            &a.operation,
            &a.time,
            &a.manager,
            &a.api_version,
            &a.subresource,
        )
            .cmp(&(
                &b.operation,
                &b.time,
                &b.manager,
                &b.api_version,
                &b.subresource,
            ))
    });
    Value::Array(
        sorted
            .into_iter()
            .map(|e| {
                let mut m = Map::new();
                m.insert("manager".into(), json!(e.manager));
                m.insert("operation".into(), json!(e.operation));
                m.insert("apiVersion".into(), json!(e.api_version));
                if let Some(t) = &e.time {
                    m.insert("time".into(), json!(t));
                }
                m.insert("fieldsType".into(), json!("FieldsV1"));
                m.insert("fieldsV1".into(), e.set.to_fields_v1());
                if !e.subresource.is_empty() {
                    m.insert("subresource".into(), json!(e.subresource));
                }
                Value::Object(m)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_sorted() {
        let raw = json!([
            {"manager": "b", "operation": "Update", "apiVersion": "apps/v1", "time": "2026-01-01T00:00:00Z",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:paused": {}}}},
            {"manager": "kubectl", "operation": "Apply", "apiVersion": "apps/v1", "time": "2026-01-02T00:00:00Z",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:replicas": {}}}},
            {"manager": "a", "operation": "Apply", "apiVersion": "apps/v1", "time": "2026-01-02T00:00:00Z",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {}}, "subresource": "status"},
            "junk"
        ]);
        let entries = decode(&raw);
        assert_eq!(entries.len(), 3);
        let out = encode(&entries);
        let managers: Vec<&str> = out
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["manager"].as_str().unwrap())
            .collect();
        assert_eq!(managers, vec!["a", "kubectl", "b"]);
        assert_eq!(out[0]["subresource"], "status");
        assert!(out[1].get("subresource").is_none());
        assert_eq!(out[1]["fieldsV1"], json!({"f:spec": {"f:replicas": {}}}));
    }

    #[test]
    fn managers_are_named_like_the_api_server_names_them() {
        let e = |op: &str, sub: &str| Entry {
            manager: "other".into(),
            operation: op.into(),
            api_version: "apps/v1".into(),
            time: None,
            subresource: sub.into(),
            set: Set::default(),
        };
        assert_eq!(e("Apply", "").display(), "\"other\"");
        assert_eq!(e("Update", "").display(), "\"other\" using apps/v1");
        assert_eq!(
            e("Update", "status").display(),
            "\"other\" with subresource \"status\" using apps/v1"
        );
        assert!(e("Apply", "").is("other", "Apply", "apps/v1beta1", ""));
        assert!(!e("Update", "").is("other", "Update", "apps/v1beta1", ""));
        assert!(!e("Apply", "status").is("other", "Apply", "apps/v1", ""));
    }
}
