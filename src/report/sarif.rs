//! `-o sarif`: SARIF 2.1.0, for code-scanning dashboards (GitHub code scanning, GitLab, IDEs).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

use serde_json::{Value, json};

use super::position::Region;
use super::{Code, Finding, Reporter, ReporterOptions, ResourceReport, Summary};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFORMATION_URI: &str = "https://github.com/kplan-dev/kplan";

/// Buffers results until `finish`, since SARIF is one JSON document. Only the results are kept,
/// never the sources.
pub struct SarifReporter<'w> {
    out: Box<dyn Write + 'w>,
    options: ReporterOptions,
    results: Vec<Value>,
}

impl<'w> SarifReporter<'w> {
    pub fn new(out: Box<dyn Write + 'w>, options: ReporterOptions) -> Self {
        Self {
            out,
            options,
            results: Vec::new(),
        }
    }

    fn document(&self, results: Vec<Value>) -> Value {
        let rules: Vec<Value> = Code::ALL
            .iter()
            .map(|code| {
                json!({
                    "id": code.as_str(),
                    "name": code.name(),
                    "shortDescription": { "text": code.summary() },
                    "defaultConfiguration": { "level": code.default_severity().as_str() },
                })
            })
            .collect();
        let mut document = json!({
            "$schema": SCHEMA,
            "version": "2.1.0",
            "runs": [{
                "tool": {
                    "driver": {
                        "name": "kplan",
                        "version": self.options.tool_version,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                // `SourceFile::line_col` counts characters; SARIF would otherwise assume UTF-16
                // code units and shift columns after astral-plane characters.
                "columnKind": "unicodeCodePoints",
                "properties": { "kubernetesVersion": self.options.kubernetes_version },
            }],
        });
        // Moved in rather than through `json!`, which would copy every result.
        document["runs"][0]["results"] = Value::Array(results);
        document
    }
}

fn result(report: &ResourceReport, finding: &Finding) -> Value {
    let rule_index = Code::ALL
        .iter()
        .position(|&c| c == finding.code)
        .expect("Code::ALL lists every code");
    let mut text = finding.message.clone();
    if let Some(hint) = &finding.hint {
        let _ = write!(text, " ({hint})");
    }

    let mut physical = json!({ "artifactLocation": { "uri": uri(&report.file.name) } });
    if let Some(span) = finding.span {
        let r = Region::of(&report.file, span);
        physical["region"] = json!({
            "startLine": r.start_line,
            "startColumn": r.start_column,
            "endLine": r.end_line,
            "endColumn": r.end_column,
        });
    }
    let mut location = json!({ "physicalLocation": physical });
    if let Some(object) = &report.object {
        location["logicalLocations"] = json!([{
            "fullyQualifiedName": object.to_string(),
            "kind": "resource",
        }]);
    }

    let mut result = json!({
        "ruleId": finding.code.as_str(),
        "ruleIndex": rule_index,
        "level": finding.severity.as_str(),
        "message": { "text": text },
        "locations": [location],
    });
    if !finding.path.is_empty() {
        result["properties"] = json!({ "path": finding.path });
    }
    result
}

/// A URI reference for a path as the user gave it: relative paths stay relative (consumers
/// resolve them against the checkout), absolute ones become `file:` URIs, and characters that
/// are not allowed in a URI path are percent-encoded.
fn uri(path: &str) -> String {
    let absolute = std::path::Path::new(path).is_absolute();
    let path: Cow<'_, str> = if std::path::MAIN_SEPARATOR == '\\' {
        Cow::Owned(path.replace('\\', "/"))
    } else {
        Cow::Borrowed(path)
    };
    let mut out = String::with_capacity(path.len() + 8);
    if absolute {
        // `C:/x` needs the empty authority and a leading slash: `file:///C:/x`.
        out.push_str(if path.starts_with('/') {
            "file://"
        } else {
            "file:///"
        });
    }
    for b in path.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || b"-._~/!$&'()*+,;=@".contains(&b)
            // In a relative reference a colon before the first slash would read as a scheme.
            || (b == b':' && absolute);
        if keep {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

impl Reporter for SarifReporter<'_> {
    fn resource(&mut self, report: &ResourceReport) -> io::Result<()> {
        self.results
            .extend(report.findings.iter().map(|f| result(report, f)));
        Ok(())
    }

    fn finish(&mut self, _summary: &Summary) -> io::Result<()> {
        let results = std::mem::take(&mut self.results);
        let document = self.document(results);
        serde_json::to_writer_pretty(&mut self.out, &document)?;
        writeln!(self.out)?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::super::Format;
    use super::super::position::fixture;
    use super::*;

    /// The parts of SARIF 2.1.0 that GitHub code scanning and other consumers rely on, written
    /// out by hand because the official schema is not available offline.
    fn structure() -> Value {
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "required": ["$schema", "version", "runs"],
            "properties": {
                "$schema": { "const": SCHEMA },
                "version": { "const": "2.1.0" },
                "runs": {
                    "type": "array", "minItems": 1, "maxItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["tool", "results"],
                        "properties": {
                            "tool": {
                                "type": "object",
                                "required": ["driver"],
                                "properties": {
                                    "driver": {
                                        "type": "object",
                                        "required": ["name", "version", "informationUri", "rules"],
                                        "properties": {
                                            "name": { "const": "kplan" },
                                            "version": { "type": "string", "minLength": 1 },
                                            "informationUri": { "type": "string", "pattern": "^https://" },
                                            "rules": { "type": "array", "items": { "$ref": "#/$defs/rule" } }
                                        }
                                    }
                                }
                            },
                            "columnKind": { "enum": ["utf16CodeUnits", "unicodeCodePoints"] },
                            "results": { "type": "array", "items": { "$ref": "#/$defs/result" } }
                        }
                    }
                }
            },
            "$defs": {
                "message": {
                    "type": "object",
                    "required": ["text"],
                    "properties": { "text": { "type": "string", "minLength": 1 } }
                },
                "rule": {
                    "type": "object",
                    "required": ["id", "name", "shortDescription"],
                    "properties": {
                        "id": { "type": "string", "pattern": "^KP[0-9]{3}$" },
                        "name": { "type": "string", "minLength": 1 },
                        "shortDescription": { "$ref": "#/$defs/message" },
                        "defaultConfiguration": {
                            "type": "object",
                            "properties": { "level": { "enum": ["none", "note", "warning", "error"] } }
                        }
                    }
                },
                "position": { "type": "integer", "minimum": 1 },
                "result": {
                    "type": "object",
                    "required": ["ruleId", "ruleIndex", "level", "message", "locations"],
                    "properties": {
                        "ruleId": { "type": "string", "pattern": "^KP[0-9]{3}$" },
                        "ruleIndex": { "type": "integer", "minimum": 0 },
                        "level": { "enum": ["none", "note", "warning", "error"] },
                        "message": { "$ref": "#/$defs/message" },
                        "locations": {
                            "type": "array", "minItems": 1,
                            "items": {
                                "type": "object",
                                "required": ["physicalLocation"],
                                "properties": {
                                    "physicalLocation": {
                                        "type": "object",
                                        "required": ["artifactLocation"],
                                        "properties": {
                                            "artifactLocation": {
                                                "type": "object",
                                                "required": ["uri"],
                                                "properties": {
                                                    "uri": { "type": "string", "pattern": "^[A-Za-z0-9._~/!$&'()*+,;=:@%-]+$" }
                                                }
                                            },
                                            "region": {
                                                "type": "object",
                                                "required": ["startLine", "startColumn", "endLine", "endColumn"],
                                                "properties": {
                                                    "startLine": { "$ref": "#/$defs/position" },
                                                    "startColumn": { "$ref": "#/$defs/position" },
                                                    "endLine": { "$ref": "#/$defs/position" },
                                                    "endColumn": { "$ref": "#/$defs/position" }
                                                }
                                            }
                                        }
                                    },
                                    "logicalLocations": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "properties": { "fullyQualifiedName": { "type": "string" } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        })
    }

    fn sample() -> Value {
        serde_json::from_str(&fixture::render_sample(Format::Sarif)).unwrap()
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(fixture::render_sample(Format::Sarif));
    }

    #[test]
    fn has_the_required_sarif_structure() {
        let validator = jsonschema::validator_for(&structure()).unwrap();
        let sarif = sample();
        let errors: Vec<_> = validator
            .iter_errors(&sarif)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
    }

    #[test]
    fn every_code_is_a_rule_and_results_point_at_theirs() {
        let sarif = sample();
        let run = &sarif["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), Code::ALL.len());
        assert_eq!(run["tool"]["driver"]["version"], "0.1.0");
        let results = run["results"].as_array().unwrap();
        // One result per finding in the fixture.
        assert_eq!(results.len(), 8);
        for result in results {
            let index = usize::try_from(result["ruleIndex"].as_u64().unwrap()).unwrap();
            assert_eq!(rules[index]["id"], result["ruleId"]);
        }
    }

    #[test]
    fn results_carry_level_message_and_region() {
        let sarif = sample();
        let results = &sarif["runs"][0]["results"];
        let replica = &results[0];
        assert_eq!(replica["level"], "error");
        assert_eq!(
            replica["message"]["text"],
            "unknown field `replica` (did you mean `replicas`?)"
        );
        let location = &replica["locations"][0];
        assert_eq!(
            location["physicalLocation"]["artifactLocation"]["uri"],
            "deploy/app.yaml"
        );
        assert_eq!(
            location["physicalLocation"]["region"],
            json!({ "startLine": 7, "startColumn": 3, "endLine": 7, "endColumn": 10 })
        );
        assert_eq!(
            location["logicalLocations"][0]["fullyQualifiedName"],
            "Deployment shop/web"
        );
        assert_eq!(replica["properties"]["path"], "/spec/replica");

        let deprecated = &results[5];
        assert_eq!(deprecated["ruleId"], "KP302");
        assert_eq!(deprecated["level"], "warning");

        let unreadable = &results[7];
        assert_eq!(unreadable["ruleId"], "KP105");
        assert!(
            unreadable["locations"][0]["physicalLocation"]
                .get("region")
                .is_none()
        );
        assert!(unreadable["locations"][0].get("logicalLocations").is_none());
        assert!(unreadable.get("properties").is_none());
    }

    #[test]
    fn uris_are_relative_references_or_file_uris() {
        assert_eq!(uri("deploy/app.yaml"), "deploy/app.yaml");
        assert_eq!(uri("./my dir/a#1.yaml"), "./my%20dir/a%231.yaml");
        assert_eq!(uri("k8s/café.yaml"), "k8s/caf%C3%A9.yaml");
        assert_eq!(uri("a:b.yaml"), "a%3Ab.yaml");
        assert_eq!(uri("/srv/app.yaml"), "file:///srv/app.yaml");
        assert_eq!(uri("<stdin>"), "%3Cstdin%3E");
    }

    #[test]
    fn empty_run_still_lists_the_rules() {
        let sarif: Value = serde_json::from_str(&fixture::render(Format::Sarif, &[])).unwrap();
        assert_eq!(sarif["runs"][0]["results"], json!([]));
        assert_eq!(
            sarif["runs"][0]["tool"]["driver"]["rules"]
                .as_array()
                .unwrap()
                .len(),
            Code::ALL.len()
        );
    }
}
