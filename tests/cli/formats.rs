//! Every `-o` format on the same input (`examples/broken`), each checked against its own
//! definition and against `-o json`, and snapshotted. Text output is snapshotted in
//! `validate.rs`.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde_json::Value;

use crate::util::{Dir, Report, filter_version, json, run};

/// Pinned so that bundling a newer Kubernetes does not rewrite every snapshot.
const ARGS: [&str; 4] = ["validate", "-k", "1.37", "examples/broken"];

static BROKEN: LazyLock<Report> = LazyLock::new(|| json(ARGS));

/// The SARIF 2.1.0 structure kplan emits, stated in our own schema (the tests run offline).
static SARIF_SCHEMA: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    let schema: Value =
        serde_json::from_str(include_str!("../fixtures/schemas/sarif-subset.schema.json"))
            .expect("SARIF schema is JSON");
    jsonschema::validator_for(&schema).expect("SARIF schema compiles")
});

/// A finding as every format can express it: code, file, start line and column.
type Key = (String, String, Option<u32>, Option<u32>);

/// The findings of a JSON run as a sorted multiset of keys.
fn json_keys(report: &Report) -> Vec<Key> {
    let mut keys: Vec<Key> = report
        .findings()
        .map(|(r, f)| (f.code.clone(), r.file.clone(), f.line, f.column))
        .collect();
    keys.sort();
    keys
}

fn run_format(format: &str, args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.extend(["-o", format]);
    let out = run(&all);
    out.expect_code(1);
    assert_eq!(out.stderr, "", "results go to stdout only");
    out.stdout
}

// ---------------------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------------------

#[test]
fn json_output_of_the_broken_example() {
    // Schema-checked by the harness, like every JSON output.
    assert_eq!(BROKEN.json.version, 1);
    assert_eq!(BROKEN.json.kubernetes_version, "1.37");
    insta::assert_snapshot!("broken_json", BROKEN.out.stdout);
}

#[test]
fn json_summary_adds_up() {
    let s = BROKEN.summary();
    assert_eq!(s.valid + s.invalid + s.errors + s.skipped, s.resources);
    assert_eq!(s.resources, BROKEN.resources().len());
    let warnings = BROKEN
        .findings()
        .filter(|(_, f)| f.severity == "warning")
        .count();
    assert_eq!(s.warnings, warnings);
}

// ---------------------------------------------------------------------------------------
// SARIF
// ---------------------------------------------------------------------------------------

#[track_caller]
fn sarif(args: &[&str]) -> Value {
    let out = run_format("sarif", args);
    let value: Value = serde_json::from_str(&out).expect("SARIF is JSON");
    let errors: Vec<String> = SARIF_SCHEMA
        .iter_errors(&value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "not valid SARIF 2.1.0:\n{}",
        errors.join("\n")
    );
    value
}

#[test]
fn sarif_is_valid_sarif_2_1_0_with_every_rule_and_one_result_per_finding() {
    let doc = sarif(&ARGS);
    assert_eq!(doc["version"], "2.1.0");
    let runs = doc["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    assert_eq!(run["properties"]["kubernetesVersion"], "1.37");
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "kplan");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));

    let rules = driver["rules"].as_array().expect("rules");
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "rule ids are unique");
    for code in [
        "KP001", "KP002", "KP004", "KP101", "KP105", "KP301", "KP302", "KP303", "KP304",
    ] {
        assert!(ids.contains(&code), "{code} is listed");
    }
    for rule in rules {
        assert!(
            rule["name"]
                .as_str()
                .unwrap()
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-')
        );
        assert!(
            !rule["shortDescription"]["text"]
                .as_str()
                .unwrap()
                .is_empty()
        );
        let level = rule["defaultConfiguration"]["level"].as_str().unwrap();
        assert!(level == "error" || level == "warning", "{rule}");
    }

    let results = run["results"].as_array().expect("results");
    let mut keys: Vec<Key> = Vec::new();
    for result in results {
        let rule_id = result["ruleId"].as_str().unwrap();
        let index = usize::try_from(result["ruleIndex"].as_u64().unwrap()).unwrap();
        assert_eq!(ids[index], rule_id, "ruleIndex points at the rule");
        let location = &result["locations"][0];
        let physical = &location["physicalLocation"];
        let region = &physical["region"];
        for field in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(
                region[field].as_u64().unwrap() >= 1,
                "1-based {field}: {result}"
            );
        }
        assert!(
            location["logicalLocations"][0]["fullyQualifiedName"]
                .as_str()
                .unwrap()
                .contains('/'),
            "the object is named Kind namespace/name: {result}"
        );
        assert!(
            result["properties"]["path"]
                .as_str()
                .unwrap()
                .starts_with('/')
        );
        keys.push((
            rule_id.to_string(),
            physical["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .to_string(),
            region["startLine"]
                .as_u64()
                .map(|n| u32::try_from(n).unwrap()),
            region["startColumn"]
                .as_u64()
                .map(|n| u32::try_from(n).unwrap()),
        ));
    }
    keys.sort();
    assert_eq!(keys, json_keys(&BROKEN), "the same findings as -o json");

    let replacement = results
        .iter()
        .find(|r| r["ruleId"] == "KP303")
        .expect("a KP303 result");
    assert!(
        replacement["message"]["text"]
            .as_str()
            .unwrap()
            .contains("(use `apiVersion: networking.k8s.io/v1`"),
        "the hint follows the message in parentheses"
    );
}

#[test]
fn sarif_output_of_the_broken_example() {
    let out = run_format("sarif", &ARGS);
    insta::assert_snapshot!("broken_sarif", filter_version(&out));
}

// ---------------------------------------------------------------------------------------
// JUnit
// ---------------------------------------------------------------------------------------

#[test]
fn junit_is_well_formed_and_its_counts_match_the_json_summary() {
    let xml = run_format("junit", &ARGS);
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
    let root = xml::parse(&xml).unwrap_or_else(|e| panic!("JUnit is not well-formed: {e}\n{xml}"));
    assert_eq!(root.name, "testsuites");
    let summary = BROKEN.summary();
    let count = |e: &xml::Element, attr: &str| -> usize { e.attr(attr).parse().unwrap() };
    assert_eq!(count(&root, "tests"), summary.resources);
    assert_eq!(count(&root, "failures"), summary.invalid);
    assert_eq!(count(&root, "errors"), summary.errors);
    assert_eq!(count(&root, "skipped"), summary.skipped);

    let suites = root.children_named("testsuite");
    assert_eq!(suites.len(), summary.files, "one testsuite per file");
    let mut keys: Vec<Key> = Vec::new();
    let mut cases = 0;
    for suite in &suites {
        let testcases = suite.children_named("testcase");
        cases += testcases.len();
        let with = |child: &str| {
            testcases
                .iter()
                .filter(|c| !c.children_named(child).is_empty())
                .count()
        };
        assert_eq!(count(suite, "tests"), testcases.len());
        assert_eq!(count(suite, "failures"), with("failure"));
        assert_eq!(count(suite, "errors"), with("error"));
        assert_eq!(count(suite, "skipped"), with("skipped"));
        let property = &suite.children_named("properties")[0].children_named("property")[0];
        assert_eq!(property.attr("name"), "kubernetesVersion");
        assert_eq!(property.attr("value"), "1.37");
        for case in testcases {
            assert_eq!(case.attr("classname"), suite.attr("name"));
            assert_eq!(case.attr("time"), "0");
            for failure in case.children_named("failure") {
                assert!(failure.attr("type").starts_with("KP"));
                // One line per finding: `file:line:col: CODE rule: message (hint)`.
                for line in failure.text.lines() {
                    let (file, rest) = line.split_once(':').unwrap();
                    let (l, rest) = rest.split_once(':').unwrap();
                    let (c, rest) = rest.split_once(": ").unwrap();
                    let code = rest.split(' ').next().unwrap();
                    keys.push((code.into(), file.into(), l.parse().ok(), c.parse().ok()));
                }
            }
        }
    }
    assert_eq!(cases, summary.resources, "one testcase per resource");
    keys.sort();
    assert_eq!(keys, json_keys(&BROKEN), "the same findings as -o json");
}

#[test]
fn junit_output_of_the_broken_example() {
    insta::assert_snapshot!("broken_junit", run_format("junit", &ARGS));
}

#[test]
fn junit_stays_well_formed_with_markup_and_control_characters() {
    let dir = Dir::new().file(
        "a&b<c>.yaml",
        "\
apiVersion: v1
kind: Pod
metadata:
  name: \"x<&>\\\"'y\"
spec:
  containers:
    - name: a
      image: x
      resources:
        limits:
          memory: \"5\\a\\x1b\\r\\n]]>Gi\"
",
    );
    let out = dir.run(["validate", "-o", "junit", "."]);
    out.expect_code(1);
    let root = xml::parse(&out.stdout)
        .unwrap_or_else(|e| panic!("JUnit is not well-formed: {e}\n{}", out.stdout));
    let suite = &root.children_named("testsuite")[0];
    assert_eq!(suite.attr("name"), "./a&b<c>.yaml");
    let case = &suite.children_named("testcase")[0];
    assert_eq!(case.attr("name"), "Pod x<&>\"'y");
    let failure = &case.children_named("failure")[0];
    assert!(
        failure.attr("message").contains("\r\n]]>Gi"),
        "{:?}",
        failure.attr("message")
    );
}

// ---------------------------------------------------------------------------------------
// GitHub Actions
// ---------------------------------------------------------------------------------------

/// `::error file=F,line=L,col=C,endLine=L,endColumn=C,title=CODE rule::message`, parsed.
fn github_command(line: &str) -> (String, BTreeMap<String, String>, String) {
    let rest = line.strip_prefix("::").expect("a workflow command");
    let (head, message) = rest.split_once("::").expect("command::message");
    let (command, properties) = head.split_once(' ').unwrap_or((head, ""));
    let properties = properties
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').expect("key=value");
            (k.to_string(), v.to_string())
        })
        .collect();
    (command.to_string(), properties, message.to_string())
}

#[test]
fn github_has_one_annotation_per_finding_and_a_summary_notice() {
    let out = run_format("github", &ARGS);
    let lines: Vec<&str> = out.lines().collect();
    let (last, annotations) = lines.split_last().unwrap();
    assert_eq!(
        *last,
        "::notice::3 resources in 2 files — valid 0, invalid 3, errors 0, skipped 0"
    );
    let mut keys: Vec<Key> = Vec::new();
    for line in annotations {
        let (command, props, message) = github_command(line);
        assert_eq!(command, "error", "{line}");
        let title = &props["title"];
        let (code, _rule) = title.split_once(' ').unwrap();
        assert!(!message.is_empty());
        assert!(!message.contains('\n'));
        keys.push((
            code.into(),
            props["file"].clone(),
            props.get("line").map(|l| l.parse().unwrap()),
            props.get("col").map(|c| c.parse().unwrap()),
        ));
    }
    keys.sort();
    assert_eq!(keys, json_keys(&BROKEN), "the same findings as -o json");
    assert!(
        annotations.contains(
            &"::error file=examples/broken/web.yaml,line=7,col=3,endLine=7,endColumn=10,title=KP001 unknown-field::Deployment flask-broken/web: unknown field `replica` (did you mean `replicas`?)"
        ),
        "{out}"
    );
}

#[test]
fn github_output_of_the_broken_example() {
    insta::assert_snapshot!("broken_github", run_format("github", &ARGS));
}

#[test]
fn github_escapes_percent_newlines_and_property_separators() {
    let dir = Dir::new().file(
        "a,b:c.yaml",
        "\
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: a
      image: x
      resources:
        limits:
          memory: \"5%\\r\\nGi\"
",
    );
    let out = dir.run(["validate", "-o", "github", "a,b:c.yaml"]);
    out.expect_code(1);
    let first = out.stdout.lines().next().unwrap();
    assert!(
        first.starts_with("::error file=a%2Cb%3Ac.yaml,line=11,"),
        "{first}"
    );
    assert!(first.contains("`5%25%0D%0AGi`"), "{first}");
}

#[test]
fn github_annotation_spanning_lines_leaves_out_columns() {
    let dir = Dir::new().file(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: m\ndata:\n  a:\n    b: c\n    d: e\n",
    );
    let out = dir.run(["validate", "-o", "github", "cm.yaml"]);
    let first = out.stdout.lines().next().unwrap();
    assert!(
        first.starts_with("::error file=cm.yaml,line=7,endLine=8,title=KP002 type-mismatch::"),
        "{first}"
    );
}

// ---------------------------------------------------------------------------------------
// A finding with no position, in every format
// ---------------------------------------------------------------------------------------

#[test]
fn finding_without_a_position_is_reported_on_the_whole_file_in_every_format() {
    let dir = Dir::new().file("blob.yaml", b"\x7fELF\x00\x01\x02");
    let args = |format: &'static str| ["validate", "-o", format, "blob.yaml"];

    let report = Report::from(dir.run(args("json")));
    let (resource, f) = report.only("KP105");
    assert_eq!((resource.line, resource.column), (1, 1));
    assert_eq!(
        (f.line, f.column, f.end_line, f.end_column),
        (None, None, None, None)
    );

    let github = dir.run(args("github")).stdout;
    assert!(
        github.starts_with("::error file=blob.yaml,title=KP105 unreadable::"),
        "{github}"
    );

    let sarif: Value = serde_json::from_str(&dir.run(args("sarif")).stdout).unwrap();
    assert!(SARIF_SCHEMA.is_valid(&sarif));
    let physical = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(physical["artifactLocation"]["uri"], "blob.yaml");
    assert!(physical.get("region").is_none(), "{physical}");

    let junit = dir.run(args("junit")).stdout;
    let root = xml::parse(&junit).unwrap();
    assert_eq!(root.attr("errors"), "1");
    let case = &root.children_named("testsuite")[0].children_named("testcase")[0];
    assert_eq!(case.attr("name"), "document at line 1");
    assert_eq!(case.children_named("error")[0].attr("type"), "KP105");

    let text = dir
        .run(["validate", "--color", "never", "blob.yaml"])
        .stdout;
    assert!(text.starts_with("  × blob.yaml: binary file"), "{text}");
}

#[test]
fn absolute_paths_become_file_uris_in_sarif() {
    let dir = Dir::new().file("blob.yaml", b"\x00");
    let path = dir.join("blob.yaml");
    let out = run(["validate", "-o", "sarif", path.to_str().unwrap()]);
    let sarif: Value = serde_json::from_str(&out.stdout).unwrap();
    let uri = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
        ["artifactLocation"]["uri"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(uri.starts_with("file:///"), "{uri}");
    assert_eq!(
        dir.filter(uri.trim_start_matches("file://")),
        "[TMP]/blob.yaml"
    );
}

/// Just enough of an XML 1.0 parser to prove a document well-formed: one root element, tags
/// nested and matched, attributes quoted and unique, entity references known, and every
/// character (escaped or not) one XML allows.
mod xml {
    use std::collections::BTreeMap;

    #[derive(Debug)]
    pub struct Element {
        pub name: String,
        pub attrs: BTreeMap<String, String>,
        pub children: Vec<Element>,
        pub text: String,
    }

    impl Element {
        #[track_caller]
        pub fn attr(&self, name: &str) -> &str {
            self.attrs
                .get(name)
                .unwrap_or_else(|| panic!("<{}> has no {name} attribute", self.name))
        }

        pub fn children_named(&self, name: &str) -> Vec<&Element> {
            self.children.iter().filter(|c| c.name == name).collect()
        }
    }

    pub fn parse(s: &str) -> Result<Element, String> {
        if let Some((at, c)) = s.char_indices().find(|&(_, c)| !is_xml_char(c)) {
            return Err(format!(
                "character {c:?} at byte {at} is not allowed in XML"
            ));
        }
        let mut p = Parser { s, pos: 0 };
        if p.rest().starts_with("<?xml") {
            p.skip_past("?>")?;
        }
        p.skip_misc()?;
        let root = p.element()?;
        p.skip_misc()?;
        if p.pos != s.len() {
            return Err(format!("content after the root element at byte {}", p.pos));
        }
        Ok(root)
    }

    fn is_xml_char(c: char) -> bool {
        matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
    }

    struct Parser<'a> {
        s: &'a str,
        pos: usize,
    }

    impl<'a> Parser<'a> {
        fn rest(&self) -> &'a str {
            &self.s[self.pos..]
        }

        fn eat(&mut self, token: &str) -> bool {
            let found = self.rest().starts_with(token);
            if found {
                self.pos += token.len();
            }
            found
        }

        fn expect(&mut self, token: &str) -> Result<(), String> {
            if self.eat(token) {
                Ok(())
            } else {
                Err(format!("expected {token:?} at byte {}", self.pos))
            }
        }

        fn skip_past(&mut self, token: &str) -> Result<(), String> {
            let at = self
                .rest()
                .find(token)
                .ok_or_else(|| format!("unterminated construct, {token:?} missing"))?;
            self.pos += at + token.len();
            Ok(())
        }

        fn skip_ws(&mut self) -> bool {
            let trimmed = self
                .rest()
                .trim_start_matches([' ', '\t', '\n', '\r'])
                .len();
            let skipped = self.rest().len() - trimmed;
            self.pos += skipped;
            skipped > 0
        }

        fn skip_misc(&mut self) -> Result<(), String> {
            loop {
                self.skip_ws();
                if self.eat("<!--") {
                    self.skip_past("-->")?;
                } else {
                    return Ok(());
                }
            }
        }

        fn name(&mut self) -> Result<String, String> {
            let rest = self.rest();
            let len = rest
                .char_indices()
                .find(|&(i, c)| {
                    let ok = c.is_alphabetic() || c == '_' || c == ':';
                    !(ok || (i > 0 && (c.is_alphanumeric() || c == '-' || c == '.')))
                })
                .map_or(rest.len(), |(i, _)| i);
            if len == 0 {
                return Err(format!("expected a name at byte {}", self.pos));
            }
            self.pos += len;
            Ok(rest[..len].to_string())
        }

        fn element(&mut self) -> Result<Element, String> {
            self.expect("<")?;
            let name = self.name()?;
            let mut attrs = BTreeMap::new();
            loop {
                let spaced = self.skip_ws();
                if self.eat("/>") {
                    return Ok(Element {
                        name,
                        attrs,
                        children: Vec::new(),
                        text: String::new(),
                    });
                }
                if self.eat(">") {
                    break;
                }
                if !spaced {
                    return Err(format!(
                        "attributes need a space before them at byte {}",
                        self.pos
                    ));
                }
                let key = self.name()?;
                self.skip_ws();
                self.expect("=")?;
                self.skip_ws();
                let quote = if self.eat("\"") {
                    '"'
                } else {
                    self.expect("'")?;
                    '\''
                };
                let end = self
                    .rest()
                    .find(quote)
                    .ok_or_else(|| format!("unterminated value of {key}"))?;
                let raw = &self.rest()[..end];
                if raw.contains('<') {
                    return Err(format!("`<` in the value of {key}"));
                }
                let value = unescape(raw)?;
                self.pos += end + 1;
                if attrs.insert(key.clone(), value).is_some() {
                    return Err(format!("attribute {key} repeated on <{name}>"));
                }
            }
            let mut children = Vec::new();
            let mut text = String::new();
            loop {
                let rest = self.rest();
                if rest.is_empty() {
                    return Err(format!("<{name}> is not closed"));
                } else if self.eat("</") {
                    let end = self.name()?;
                    self.skip_ws();
                    self.expect(">")?;
                    if end != name {
                        return Err(format!("<{name}> closed by </{end}>"));
                    }
                    return Ok(Element {
                        name,
                        attrs,
                        children,
                        text,
                    });
                } else if self.eat("<!--") {
                    self.skip_past("-->")?;
                } else if self.eat("<![CDATA[") {
                    let end = self.rest().find("]]>").ok_or("unterminated CDATA")?;
                    text.push_str(&self.rest()[..end]);
                    self.pos += end + 3;
                } else if rest.starts_with('<') {
                    children.push(self.element()?);
                } else {
                    let end = rest.find('<').unwrap_or(rest.len());
                    if rest[..end].contains("]]>") {
                        return Err("`]]>` in character data".into());
                    }
                    text.push_str(&unescape(&rest[..end])?);
                    self.pos += end;
                }
            }
        }
    }

    fn unescape(raw: &str) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = raw;
        while let Some(at) = rest.find('&') {
            out.push_str(&rest[..at]);
            let end = rest[at..]
                .find(';')
                .ok_or_else(|| format!("bare `&` in {raw:?}"))?;
            let entity = &rest[at + 1..at + end];
            let c = match entity {
                "lt" => '<',
                "gt" => '>',
                "amp" => '&',
                "quot" => '"',
                "apos" => '\'',
                _ => {
                    let code = if let Some(hex) = entity.strip_prefix("#x") {
                        u32::from_str_radix(hex, 16).ok()
                    } else if let Some(dec) = entity.strip_prefix('#') {
                        dec.parse().ok()
                    } else {
                        None
                    };
                    code.and_then(char::from_u32)
                        .ok_or_else(|| format!("unknown entity &{entity};"))?
                }
            };
            if !is_xml_char(c) {
                return Err(format!("&{entity}; is a character XML does not allow"));
            }
            out.push(c);
            rest = &rest[at + end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}
