use serde_json::{Map, Value, json};

use super::{DEFINITIONS_URI, Gvk};

/// The JSON Schema of one served version of a CustomResourceDefinition.
#[derive(Debug, Clone)]
pub struct CrdSchema {
    pub gvk: Gvk,
    pub schema: Value,
    pub namespaced: bool,
}

/// Why a CRD's schemas cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrdError {
    #[error("CustomResourceDefinition has no `{0}`")]
    Missing(&'static str),
    #[error("CustomResourceDefinition version `{0}` has no openAPIV3Schema")]
    NoSchema(String),
}

/// Turns a CRD (`apiextensions.k8s.io/v1` or `v1beta1`) into one JSON Schema per served version.
///
/// CRD schemas are OpenAPI v3 structural schemas, not JSON Schema: `nullable`,
/// `x-kubernetes-int-or-string`, `x-kubernetes-preserve-unknown-fields` and boolean
/// `exclusiveMinimum` need translating, and in strict mode objects with declared properties
/// become closed, as the API server prunes (or, with strict field validation, rejects) unknown
/// fields.
pub fn crd_schemas(crd: &Value, strict: bool) -> Result<Vec<CrdSchema>, CrdError> {
    let spec = crd.get("spec").ok_or(CrdError::Missing("spec"))?;
    let group = spec
        .get("group")
        .and_then(Value::as_str)
        .ok_or(CrdError::Missing("spec.group"))?;
    let kind = spec
        .pointer("/names/kind")
        .and_then(Value::as_str)
        .ok_or(CrdError::Missing("spec.names.kind"))?;
    let namespaced = spec.get("scope").and_then(Value::as_str) != Some("Cluster");
    let shared = spec.pointer("/validation/openAPIV3Schema");
    let mut versions: Vec<(String, Option<&Value>)> = Vec::new();
    if let Some(list) = spec.get("versions").and_then(Value::as_array) {
        for v in list {
            if v.get("served").and_then(Value::as_bool) == Some(false) {
                continue;
            }
            if let Some(name) = v.get("name").and_then(Value::as_str) {
                versions.push((
                    name.to_string(),
                    v.pointer("/schema/openAPIV3Schema").or(shared),
                ));
            }
        }
    } else if let Some(name) = spec.get("version").and_then(Value::as_str) {
        versions.push((name.to_string(), shared));
    }
    if versions.is_empty() {
        return Err(CrdError::Missing("spec.versions"));
    }
    versions
        .into_iter()
        .map(|(version, schema)| {
            let schema = schema.ok_or_else(|| CrdError::NoSchema(version.clone()))?;
            let gvk = Gvk::new(group, version, kind);
            Ok(CrdSchema {
                schema: to_json_schema(schema, &gvk, strict),
                gvk,
                namespaced,
            })
        })
        .collect()
}

fn to_json_schema(openapi: &Value, gvk: &Gvk, strict: bool) -> Value {
    let mut root = convert(openapi, strict);
    let obj = root.as_object_mut().expect("convert returns an object");
    let props = obj.entry("properties").or_insert_with(|| json!({}));
    if let Some(props) = props.as_object_mut() {
        props.insert(
            "apiVersion".into(),
            json!({"type": "string", "enum": [gvk.api_version()]}),
        );
        props.insert("kind".into(), json!({"type": "string", "enum": [gvk.kind]}));
        props.insert(
            "metadata".into(),
            json!({"$ref": format!("{DEFINITIONS_URI}#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")}),
        );
    }
    obj.insert("type".into(), json!("object"));
    root
}

/// Converts one OpenAPI v3 schema node. Iterative over a work stack would be possible, but CRD
/// schemas come from documents already bounded by the loader's depth limit.
fn convert(node: &Value, strict: bool) -> Value {
    let Some(src) = node.as_object() else {
        return node.clone();
    };
    let mut out = Map::new();
    let preserve = src.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
    let embedded = src.get("x-kubernetes-embedded-resource") == Some(&Value::Bool(true));
    let int_or_string = src.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true));
    let nullable = src.get("nullable") == Some(&Value::Bool(true));
    for (key, value) in src {
        match key.as_str() {
            "properties" | "patternProperties" | "definitions" => {
                let converted = value
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.clone(), convert(v, strict)))
                            .collect::<Map<_, _>>()
                    })
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Object(converted));
            }
            "items" | "additionalProperties" | "not" if value.is_object() => {
                out.insert(key.clone(), convert(value, strict));
            }
            "allOf" | "anyOf" | "oneOf" => {
                let converted = value
                    .as_array()
                    .map(|a| a.iter().map(convert_constraint).collect::<Vec<_>>())
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Array(converted));
            }
            "exclusiveMinimum" | "exclusiveMaximum" | "nullable" | "format" => {}
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    // OpenAPI 3.0's boolean exclusive bounds become 2020-12's numeric ones.
    for (flag, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        match src.get(flag) {
            Some(Value::Bool(true)) => {
                if let Some(limit) = out.remove(bound) {
                    out.insert(flag.into(), limit);
                }
            }
            Some(n @ Value::Number(_)) => {
                out.insert(flag.into(), n.clone());
            }
            _ => {}
        }
    }
    if int_or_string {
        out.remove("type");
        out.insert("type".into(), json!(["integer", "string"]));
    }
    if nullable {
        match out.get_mut("type") {
            Some(Value::String(t)) => {
                let t = t.clone();
                out.insert("type".into(), json!([t, "null"]));
            }
            Some(Value::Array(ts)) => ts.push(json!("null")),
            _ => {}
        }
    }
    if embedded {
        let props = out.entry("properties").or_insert_with(|| json!({}));
        if let Some(props) = props.as_object_mut() {
            props
                .entry("apiVersion")
                .or_insert_with(|| json!({"type": "string"}));
            props
                .entry("kind")
                .or_insert_with(|| json!({"type": "string"}));
            props
                .entry("metadata")
                .or_insert_with(|| json!({"type": "object"}));
        }
    }
    let is_object = out.get("type") == Some(&json!("object")) || out.contains_key("properties");
    if strict
        && is_object
        && !preserve
        && !out.contains_key("additionalProperties")
        && out.contains_key("properties")
    {
        out.insert("additionalProperties".into(), Value::Bool(false));
    }
    Value::Object(out)
}

/// Inside `allOf`/`anyOf`/`oneOf`, structural schemas only constrain values (no types or
/// properties of their own), so they are converted without closing objects.
fn convert_constraint(node: &Value) -> Value {
    convert(node, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crd() -> Value {
        json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "scope": "Namespaced",
                "names": {"kind": "Widget", "plural": "widgets"},
                "versions": [
                    {"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {
                        "type": "object", "properties": {"spec": {"type": "object", "required": ["size"], "properties": {
                            "size": {"type": "integer", "minimum": 0, "exclusiveMinimum": true},
                            "port": {"x-kubernetes-int-or-string": true},
                            "note": {"type": "string", "nullable": true},
                            "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}}}},
                    {"name": "v0", "served": false, "storage": false}
                ]}
        })
    }

    fn validator(strict: bool) -> jsonschema::Validator {
        let schemas = crd_schemas(&crd(), strict).unwrap();
        assert_eq!(schemas.len(), 1, "unserved versions are skipped");
        assert_eq!(schemas[0].gvk, Gvk::new("example.com", "v1", "Widget"));
        // Without the definitions registry: drop the metadata $ref for this unit test.
        let mut schema = schemas[0].schema.clone();
        schema["properties"]["metadata"] = json!({"type": "object"});
        jsonschema::validator_for(&schema).unwrap()
    }

    fn widget(spec: &Value) -> Value {
        json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": spec.clone()})
    }

    #[test]
    fn translates_openapi_keywords() {
        let v = validator(true);
        assert!(v.is_valid(&widget(
            &json!({"size": 1, "port": "http", "note": null, "extra": {"any": 1}})
        )));
        assert!(v.is_valid(&widget(&json!({"size": 1, "port": 8080}))));
        assert!(
            !v.is_valid(&widget(&json!({"size": 0}))),
            "exclusiveMinimum"
        );
        assert!(!v.is_valid(&widget(&json!({}))), "required");
        assert!(!v.is_valid(&widget(&json!({"size": 1, "port": true}))));
        assert!(
            !v.is_valid(&widget(&json!({"size": 1, "colour": "red"}))),
            "strict closes objects"
        );
        assert!(validator(false).is_valid(&widget(&json!({"size": 1, "colour": "red"}))));
        let mut wrong_kind = widget(&json!({"size": 1}));
        wrong_kind["apiVersion"] = json!("example.com/v2");
        assert!(!v.is_valid(&wrong_kind));
    }

    #[test]
    fn reports_what_is_missing() {
        let mut c = crd();
        c["spec"].as_object_mut().unwrap().remove("group");
        assert_eq!(
            crd_schemas(&c, true).unwrap_err(),
            CrdError::Missing("spec.group")
        );
        let mut c = crd();
        c["spec"]["versions"][0]["schema"] = json!({});
        assert_eq!(
            crd_schemas(&c, true).unwrap_err(),
            CrdError::NoSchema("v1".into())
        );
    }
}
