//! `-o json`: the versioned contract of `docs/output.md`, checked against
//! `docs/output.schema.json`.

use std::io::{self, Write};

use serde::Serialize;

use super::position::Region;
use super::{Code, Finding, Reporter, ReporterOptions, ResourceReport, Severity, Status, Summary};

/// Bumped only on a breaking change; fields are added, never renamed or removed.
const VERSION: u32 = 1;

/// One JSON object, so it buffers until `finish` because the summary comes first. It keeps
/// only what it will print, never the sources, so memory stays proportional to the output.
pub struct JsonReporter<'w> {
    out: Box<dyn Write + 'w>,
    options: ReporterOptions,
    resources: Vec<ResourceJson>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Output<'a> {
    version: u32,
    kubernetes_version: &'a str,
    summary: &'a Summary,
    resources: &'a [ResourceJson],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResourceJson {
    file: String,
    line: u32,
    column: u32,
    api_version: Option<String>,
    kind: Option<String>,
    namespace: Option<String>,
    name: Option<String>,
    status: Status,
    findings: Vec<FindingJson>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FindingJson {
    code: Code,
    rule: &'static str,
    severity: Severity,
    message: String,
    path: String,
    line: Option<u32>,
    column: Option<u32>,
    end_line: Option<u32>,
    end_column: Option<u32>,
    hint: Option<String>,
}

impl<'w> JsonReporter<'w> {
    pub fn new(out: Box<dyn Write + 'w>, options: ReporterOptions) -> Self {
        Self {
            out,
            options,
            resources: Vec::new(),
        }
    }
}

impl ResourceJson {
    fn new(report: &ResourceReport) -> Self {
        let (line, column) = report.file.line_col(report.start);
        let object = report.object.as_ref();
        Self {
            file: report.file.name.clone(),
            line,
            column,
            api_version: object.map(|o| o.api_version.clone()),
            kind: object.map(|o| o.kind.clone()),
            namespace: object.and_then(|o| o.namespace.clone()),
            name: object.and_then(|o| o.name.clone()),
            status: report.status,
            findings: report
                .findings
                .iter()
                .map(|f| FindingJson::new(report, f))
                .collect(),
        }
    }
}

impl FindingJson {
    fn new(report: &ResourceReport, finding: &Finding) -> Self {
        let region = finding.span.map(|span| Region::of(&report.file, span));
        Self {
            code: finding.code,
            rule: finding.code.name(),
            severity: finding.severity,
            message: finding.message.clone(),
            path: finding.path.clone(),
            line: region.map(|r| r.start_line),
            column: region.map(|r| r.start_column),
            end_line: region.map(|r| r.end_line),
            end_column: region.map(|r| r.end_column),
            hint: finding.hint.clone(),
        }
    }
}

impl Reporter for JsonReporter<'_> {
    fn resource(&mut self, report: &ResourceReport) -> io::Result<()> {
        self.resources.push(ResourceJson::new(report));
        Ok(())
    }

    fn finish(&mut self, summary: &Summary) -> io::Result<()> {
        let output = Output {
            version: VERSION,
            kubernetes_version: &self.options.kubernetes_version,
            summary,
            resources: &self.resources,
        };
        serde_json::to_writer_pretty(&mut self.out, &output)?;
        writeln!(self.out)?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::super::Format;
    use super::super::position::fixture;

    fn schema() -> Value {
        serde_json::from_str(include_str!("../../docs/output.schema.json")).unwrap()
    }

    fn sample() -> Value {
        serde_json::from_str(&fixture::render_sample(Format::Json)).unwrap()
    }

    fn errors(schema: &Value, instance: &Value) -> Vec<String> {
        let validator = jsonschema::validator_for(schema).unwrap();
        validator
            .iter_errors(instance)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect()
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(fixture::render_sample(Format::Json));
    }

    #[test]
    fn schema_is_a_valid_2020_12_schema() {
        let schema = schema();
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        jsonschema::meta::validate(&schema).unwrap();
    }

    #[test]
    fn output_validates_against_the_documented_schema() {
        let errors = errors(&schema(), &sample());
        assert!(errors.is_empty(), "{errors:#?}");
    }

    #[test]
    fn empty_run_validates_too() {
        let output: Value = serde_json::from_str(&fixture::render(Format::Json, &[])).unwrap();
        assert_eq!(output["resources"], Value::Array(Vec::new()));
        let errors = errors(&schema(), &output);
        assert!(errors.is_empty(), "{errors:#?}");
    }

    type Corrupt = fn(&mut Value);

    #[test]
    fn schema_is_strict() {
        let schema = schema();
        let good = sample();
        let broken: [(&str, Corrupt); 6] = [
            ("extra field", |v| v["resources"][0]["extra"] = 1.into()),
            ("unknown status", |v| {
                v["resources"][0]["status"] = "ok".into();
            }),
            ("bad code", |v| {
                v["resources"][0]["findings"][0]["code"] = "E001".into();
            }),
            ("bad severity", |v| {
                v["resources"][0]["findings"][0]["severity"] = "info".into();
            }),
            ("missing field", |v| {
                v["resources"][0]["findings"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("hint");
            }),
            ("zero line", |v| v["resources"][0]["line"] = 0.into()),
        ];
        for (what, corrupt) in broken {
            let mut bad = good.clone();
            corrupt(&mut bad);
            assert!(!errors(&schema, &bad).is_empty(), "{what} was accepted");
        }
    }

    #[test]
    fn unknown_values_are_null_not_absent() {
        let output = sample();
        let resources = output["resources"].as_array().unwrap();

        let namespace = &resources[2];
        assert_eq!(namespace["kind"], "Namespace");
        assert_eq!(namespace["namespace"], Value::Null);
        assert_eq!(namespace["findings"], Value::Array(Vec::new()));

        let syntax = &resources[6];
        assert_eq!(syntax["status"], "error");
        for field in ["apiVersion", "kind", "namespace", "name"] {
            assert_eq!(syntax[field], Value::Null, "{field}");
        }
        assert_eq!(syntax["findings"][0]["path"], "");

        let unreadable = &resources[7]["findings"][0];
        for field in ["line", "column", "endLine", "endColumn", "hint"] {
            assert_eq!(unreadable[field], Value::Null, "{field}");
        }
    }

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let output = sample();
        let resources = &output["resources"];
        assert_eq!(resources[0]["line"], 1);
        assert_eq!(resources[0]["column"], 1);
        assert_eq!(resources[1]["line"], 12);

        let replica = &resources[0]["findings"][0];
        assert_eq!(
            [
                &replica["line"],
                &replica["column"],
                &replica["endLine"],
                &replica["endColumn"]
            ],
            [7, 3, 7, 10]
        );
        // `yes` follows nothing wide, but the label before it has `é`: its end column counts
        // characters, not bytes.
        let label = &resources[1]["findings"][0];
        assert_eq!([&label["column"], &label["endColumn"]], [11, 21]);
        // The syntax error's span ends with a line break, which the region leaves out.
        let syntax = &resources[6]["findings"][0];
        assert_eq!([&syntax["endLine"], &syntax["endColumn"]], [2, 17]);
    }

    #[test]
    fn summary_and_header() {
        let output = sample();
        assert_eq!(output["version"], 1);
        assert_eq!(output["kubernetesVersion"], "1.37");
        let summary = &output["summary"];
        assert_eq!(summary["resources"], 8);
        assert_eq!(summary["files"], 4);
        assert_eq!(
            [
                &summary["valid"],
                &summary["invalid"],
                &summary["errors"],
                &summary["skipped"],
                &summary["warnings"]
            ],
            [2, 3, 2, 1, 1]
        );
    }

    #[test]
    fn output_is_pretty_with_a_trailing_newline() {
        let text = fixture::render_sample(Format::Json);
        assert!(text.starts_with("{\n  \"version\": 1,\n"));
        assert!(text.ends_with("}\n") && !text.ends_with("\n\n"));
    }
}
