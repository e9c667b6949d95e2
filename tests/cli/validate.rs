//! `kplan validate` end to end: the examples, positions, documents and lists, CRDs, schema
//! sources, Kubernetes versions, flags and exit codes.

use std::path::Path;
use std::sync::LazyLock;

use predicates::prelude::*;

use crate::util::{Dir, ROOT, Report, Summary, config_map, json, run};

/// `examples/broken`, run once and shared: every test below reads a different finding of it.
static BROKEN: LazyLock<Report> = LazyLock::new(|| json(["validate", "examples/broken"]));

/// The CRD of `examples/flask-app`, reused as a fixture.
const FLASK_CRD: &str = include_str!("../../examples/flask-app/40-crd.yaml");

/// The same CRD without its one `description`, so that the CRD tests below do not depend on
/// the bug `description_is_a_field_of_crd_schemas_and_priority_classes` is about.
static BACKUP_CRD: LazyLock<String> = LazyLock::new(|| {
    let crd = FLASK_CRD.replace("                  description: Cron expression.\n", "");
    assert_ne!(crd, FLASK_CRD, "the fixture changed; update this test");
    crd
});

const BACKUP_CR: &str = "\
apiVersion: flask.example.com/v1
kind: BackupSchedule
metadata:
  name: nightly
  namespace: flask-app
spec:
  schedule: \"0 3 * * *\"
  database: db
  retentionDays: 14
";

const FLOW_SCHEMA_V1BETA3: &str = "\
apiVersion: flowcontrol.apiserver.k8s.io/v1beta3
kind: FlowSchema
metadata:
  name: catch-all
spec:
  priorityLevelConfiguration:
    name: global-default
  matchingPrecedence: 1000
  rules:
    - subjects:
        - kind: Group
          group:
            name: system:authenticated
      resourceRules:
        - verbs: [\"*\"]
          apiGroups: [\"*\"]
          resources: [\"*\"]
          clusterScope: true
          namespaces: [\"*\"]
";

// ---------------------------------------------------------------------------------------
// The examples
// ---------------------------------------------------------------------------------------

#[test]
fn flask_app_example_is_all_valid() {
    let report = json(["validate", "examples/flask-app"]);
    assert_eq!(report.code(), 0);
    assert!(report.resources().iter().all(|r| r.status == "valid"));
    assert_eq!(report.codes(), Vec::<&str>::new());

    let out = run([
        "validate",
        "--color",
        "never",
        "--summary",
        "examples/flask-app",
    ]);
    out.expect_code(0);
    insta::assert_snapshot!("flask_app_summary", out.stdout);
}

#[test]
fn broken_example_fails_with_one_finding_per_mistake() {
    let report = &*BROKEN;
    assert_eq!(report.code(), 1);
    assert_eq!(
        report.summary(),
        Summary {
            resources: 3,
            files: 2,
            invalid: 3,
            ..Summary::default()
        }
    );
    let mut codes = report.codes();
    codes.sort_unstable();
    assert_eq!(
        codes,
        ["KP001", "KP002", "KP002", "KP004", "KP303", "KP304"]
    );
}

#[test]
fn unknown_field_points_at_the_key_and_suggests_the_name() {
    let (resource, f) = BROKEN.only("KP001");
    assert_eq!(resource.file, "examples/broken/web.yaml");
    assert_eq!(resource.kind.as_deref(), Some("Deployment"));
    assert_eq!(resource.namespace.as_deref(), Some("flask-broken"));
    assert_eq!(f.path, "/spec/replica");
    assert_eq!(
        (f.line, f.column, f.end_line, f.end_column),
        (Some(7), Some(3), Some(7), Some(10))
    );
    assert_eq!(f.rule, "unknown-field");
    assert_eq!(f.message, "unknown field `replica`");
    assert_eq!(f.hint(), "did you mean `replicas`?");
}

#[test]
fn quoted_number_in_an_integer_field_is_a_type_mismatch() {
    let f = BROKEN.at_path("/spec/template/spec/containers/0/ports/0/containerPort");
    assert_eq!(f.code, "KP002");
    // The region covers `"5000"`, quotes included.
    assert_eq!(
        (f.line, f.column, f.end_line, f.end_column),
        (Some(20), Some(30), Some(20), Some(36))
    );
    assert_eq!(f.message, "expected integer, got string");
    assert!(f.hint().contains("remove the quotes"), "{f:?}");
}

#[test]
fn memory_written_as_256_mb_is_not_a_quantity() {
    let f = BROKEN.at_path("/spec/template/spec/containers/0/resources/limits/memory");
    assert_eq!(f.code, "KP004");
    assert_eq!(f.at(), (23, 23));
    assert_eq!(f.message, "`256 MB` is not a Kubernetes quantity");
    assert!(f.hint().contains("128Mi"), "{f:?}");
}

#[test]
fn unquoted_yes_is_a_boolean_and_the_hint_says_to_quote_it() {
    let f = BROKEN.at_path("/data/enabled");
    assert_eq!(f.code, "KP002");
    assert_eq!(f.at(), (31, 12));
    assert_eq!(f.message, "expected string, got boolean");
    assert!(f.hint().contains("YAML 1.1"), "{f:?}");
    assert!(f.hint().contains("quote it"), "{f:?}");
}

#[test]
fn selector_that_does_not_match_the_template_labels_is_reported_on_the_selector() {
    let (resource, f) = BROKEN.only("KP304");
    assert_eq!(resource.name.as_deref(), Some("web"));
    assert_eq!(f.path, "/spec/selector/matchLabels/app");
    assert_eq!(f.at(), (10, 12));
    assert!(f.message.contains("`app=web`"), "{f:?}");
    assert!(f.message.contains("`app=website`"), "{f:?}");
}

#[test]
fn extensions_v1beta1_ingress_is_removed_since_1_22_with_its_replacement_in_the_hint() {
    let (resource, f) = BROKEN.only("KP303");
    assert_eq!(resource.file, "examples/broken/legacy.yaml");
    assert_eq!(resource.status, "invalid");
    assert_eq!(f.path, "/apiVersion");
    assert_eq!(
        (f.line, f.column, f.end_line, f.end_column),
        (Some(1), Some(13), Some(1), Some(31))
    );
    assert!(
        f.message
            .starts_with("extensions/v1beta1 Ingress was removed in Kubernetes 1.22")
    );
    assert!(
        f.hint().contains("`apiVersion: networking.k8s.io/v1`"),
        "{f:?}"
    );
}

#[test]
fn broken_example_text_output() {
    let out = run([
        "validate",
        "--color",
        "never",
        "--summary",
        "-k",
        "1.37",
        "examples/broken",
    ]);
    out.expect_code(1);
    assert_eq!(out.stderr, "");
    insta::assert_snapshot!("broken_text", out.stdout);
}

// ---------------------------------------------------------------------------------------
// Positions
// ---------------------------------------------------------------------------------------

#[test]
fn finding_deep_in_a_list_points_at_its_own_line() {
    let dir = Dir::new().file(
        "pod.yaml",
        "\
apiVersion: v1
kind: Pod
metadata:
  name: deep
spec:
  containers:
    - name: a
      image: nginx
    - name: b
      image: busybox
      env:
        - name: ONE
          value: \"1\"
        - name: TWO
          value: \"2\"
        - name: THREE
          value: 3
",
    );
    let report = dir.json(["validate", "pod.yaml"]);
    assert_eq!(report.code(), 1);
    let f = report.at_path("/spec/containers/1/env/2/value");
    assert_eq!(f.code, "KP002");
    assert_eq!(
        (f.line, f.column, f.end_line, f.end_column),
        (Some(17), Some(18), Some(17), Some(19))
    );
}

#[test]
fn columns_count_characters_and_paths_escape_slash_and_tilde() {
    let dir = Dir::new().file(
        "cm.yaml",
        "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: unicode
  annotations:
    example.com/ç~x: 1
data:
  ç: 2
",
    );
    let report = dir.json(["validate", "cm.yaml"]);
    // `example.com/ç~x: ` is 4 + 15 + 2 characters but 4 + 16 + 2 bytes.
    let f = report.at_path("/metadata/annotations/example.com~1ç~0x");
    assert_eq!(
        (f.line, f.column, f.end_column),
        (Some(6), Some(22), Some(23))
    );
    let f = report.at_path("/data/ç");
    assert_eq!(
        (f.line, f.column, f.end_column),
        (Some(8), Some(6), Some(7))
    );
}

#[test]
fn crlf_line_endings_do_not_shift_positions() {
    let dir = Dir::new().file(
        "cm.yaml",
        "apiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: crlf\r\ndata:\r\n  a: 1\r\n",
    );
    let f = dir.json(["validate", "cm.yaml"]).at_path("/data/a").clone();
    assert_eq!(
        (f.line, f.column, f.end_line, f.end_column),
        (Some(6), Some(6), Some(6), Some(7))
    );
}

#[test]
fn json_manifests_are_validated_with_positions() {
    let dir = Dir::new().file(
        "cm.json",
        "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"ConfigMap\",\n  \"metadata\": {\"name\": \"j\"},\n  \"data\": {\"a\": 1}\n}\n",
    );
    let report = dir.json(["validate", "."]);
    assert_eq!(report.summary().files, 1, "a directory walk picks up .json");
    let f = report.at_path("/data/a");
    assert_eq!(f.at(), (5, 17));
}

#[test]
fn utf8_byte_order_mark_is_ignored_like_kubectl() {
    let dir = Dir::new().file("bom.yaml", format!("\u{feff}{}", config_map("bom")));
    let report = dir.json(["validate", "bom.yaml"]);
    assert_eq!(report.codes(), Vec::<&str>::new());
    assert_eq!(report.resource("bom").status, "valid");
    assert_eq!(report.code(), 0);
}

// ---------------------------------------------------------------------------------------
// Documents, lists, non-Kubernetes YAML
// ---------------------------------------------------------------------------------------

#[test]
fn multi_document_file_reports_each_document_where_it_starts() {
    let dir = Dir::new().file(
        "all.yaml",
        format!(
            "{}---\n# a comment before the second document\n{}...\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: three\ndata:\n  num: 3\n",
            config_map("one"),
            config_map("two"),
        ),
    );
    let report = dir.json(["validate", "all.yaml"]);
    let starts: Vec<_> = report
        .resources()
        .iter()
        .map(|r| (r.name.as_deref().unwrap(), r.line, r.column))
        .collect();
    assert_eq!(starts, [("one", 1, 1), ("two", 9, 1), ("three", 17, 1)]);
    let f = report.at_path("/data/num");
    assert_eq!(
        f.at(),
        (22, 8),
        "positions are file lines, not document lines"
    );
    assert_eq!(report.resource("three").status, "invalid");
    assert_eq!(report.summary().files, 1);
}

#[test]
fn list_kind_is_expanded_into_its_items_each_reported_where_it_starts() {
    let dir = Dir::new().file(
        "list.yaml",
        "\
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: one
    data:
      a: \"1\"
  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: two
    data:
      b: 2
  - kind: ConfigMap
    metadata:
      name: three
",
    );
    let report = dir.json(["validate", "list.yaml"]);
    assert_eq!(report.code(), 1);
    let items: Vec<_> = report
        .resources()
        .iter()
        .map(|r| (r.kind.as_deref(), r.status.as_str(), r.line, r.column))
        .collect();
    assert_eq!(
        items,
        [
            (Some("ConfigMap"), "valid", 4, 5),
            (Some("ConfigMap"), "invalid", 10, 5),
            (None, "error", 16, 5),
        ],
        "the List itself is not a resource; each item is"
    );
    assert_eq!(report.at_path("/data/b").at(), (15, 10));
    let (_, f) = report.only("KP106");
    assert_eq!(f.message, "missing 'apiVersion' key");
    assert_eq!(f.at(), (16, 5));
}

#[test]
fn empty_documents_and_comment_only_files_are_read_but_not_reported() {
    let dir = Dir::new()
        .file("comments.yaml", "# only a comment\n# and another\n")
        .file(
            "empty-docs.yaml",
            format!("---\n---\n# nothing\n---\n{}---\n", config_map("x")),
        );
    let report = dir.json(["validate", "."]);
    assert_eq!(report.code(), 0);
    assert_eq!(
        report.summary(),
        Summary {
            resources: 1,
            files: 2,
            valid: 1,
            ..Summary::default()
        }
    );
    assert_eq!(report.resource("x").line, 5);
}

#[test]
fn non_kubernetes_yaml_is_reported_as_missing_kind_or_api_version() {
    let dir = Dir::new()
        .file("app-config.yaml", "name: app\nversion: 2\n")
        .file("no-kind.yaml", "apiVersion: v1\nname: app\n");
    let report = dir.json(["validate", "."]);
    assert_eq!(report.code(), 1);
    let found: Vec<_> = report
        .findings()
        .map(|(r, f)| {
            (
                r.file.as_str(),
                r.status.as_str(),
                f.code.as_str(),
                f.message.as_str(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "./app-config.yaml",
                "error",
                "KP106",
                "missing 'apiVersion' key"
            ),
            ("./no-kind.yaml", "error", "KP106", "missing 'kind' key"),
        ]
    );
    for (_, f) in report.findings() {
        assert!(f.hint().contains("--ignore-non-k8s"), "{f:?}");
    }
}

#[test]
fn ignore_non_k8s_skips_non_kubernetes_documents_silently() {
    let dir = Dir::new()
        .file("app-config.yaml", "name: app\nversion: 2\n")
        .file("ok.yaml", config_map("ok"));
    let report = dir.json(["validate", "--ignore-non-k8s", "."]);
    assert_eq!(report.code(), 0);
    assert_eq!(report.codes(), Vec::<&str>::new());
    assert!(report.resources().iter().all(|r| r.status != "error"));
    assert_eq!(report.resource("ok").status, "valid");
    assert_eq!(report.summary().files, 2);
}

#[test]
fn ignore_non_k8s_documents_count_as_skipped_as_documented() {
    let dir = Dir::new().file("app-config.yaml", "name: app\nversion: 2\n");
    let report = dir.json(["validate", "--ignore-non-k8s", "."]);
    assert_eq!(report.summary().skipped, 1);
}

#[test]
fn duplicate_mapping_key_is_an_error_with_the_first_occurrence_in_the_hint() {
    let dir = Dir::new().file(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: dup\ndata:\n  a: \"1\"\n  b: \"2\"\n  a: \"3\"\n",
    );
    let report = dir.json(["validate", "cm.yaml"]);
    assert_eq!(report.code(), 1);
    let (resource, f) = report.only("KP102");
    assert_eq!(resource.status, "invalid");
    assert_eq!(f.rule, "duplicate-key");
    assert_eq!(f.at(), (8, 3), "the second `a`");
    assert!(f.message.contains("`a`"), "{f:?}");
    assert!(f.hint().starts_with("first at line 6, column 3"), "{f:?}");
}

#[test]
fn same_object_in_two_files_is_a_duplicate_object_pointing_at_the_first() {
    let namespaced = |ns: &str| {
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: {ns}\n")
    };
    let dir = Dir::new()
        .file("a.yaml", namespaced("shop"))
        .file("b.yaml", format!("# copy\n{}", namespaced("shop")))
        .file("c.yaml", namespaced("other"));
    let report = dir.json(["validate", "a.yaml", "b.yaml", "c.yaml"]);
    assert_eq!(report.code(), 1);
    let (resource, f) = report.only("KP301");
    assert_eq!(resource.file, "b.yaml");
    assert_eq!(f.path, "/metadata/name");
    assert_eq!(f.at(), (5, 9));
    assert!(f.message.ends_with("first at a.yaml:1"), "{f:?}");
    assert_eq!(
        report.resources()[2].status,
        "valid",
        "another namespace is another object"
    );
}

#[test]
fn a_file_named_twice_is_not_reported_as_its_own_duplicate() {
    let dir = Dir::new()
        .file("m/a.yaml", config_map("a"))
        .file("m/b.yaml", config_map("b"));
    let runs: [&[&str]; 2] = [
        &["validate", "m", "m/a.yaml"],
        &["validate", "m/a.yaml", "m/b.yaml", "m/a.yaml"],
    ];
    for args in runs {
        let report = dir.json(args);
        assert_eq!(report.codes(), Vec::<&str>::new(), "{args:?}");
        assert_eq!(report.code(), 0, "{args:?}");
    }
}

// ---------------------------------------------------------------------------------------
// CRDs and custom resources
// ---------------------------------------------------------------------------------------

#[test]
fn custom_resource_is_validated_by_a_crd_in_the_same_run_in_either_file_order() {
    // `a-` sorts the custom resource before its CRD in a directory walk.
    for (cr, crd) in [
        ("a-backup.yaml", "b-crd.yaml"),
        ("b-backup.yaml", "a-crd.yaml"),
    ] {
        let dir = Dir::new().file(cr, BACKUP_CR).file(crd, &*BACKUP_CRD);
        let report = dir.json(["validate", "."]);
        assert_eq!(report.code(), 0, "{cr} with {crd}:\n{}", report.out.stdout);
        assert_eq!(report.resource("nightly").status, "valid");
    }
}

#[test]
fn custom_resource_breaking_its_crd_schema_is_invalid() {
    let cr = BACKUP_CR.replace("retentionDays: 14", "retentionDays: 400\n  extra: 1");
    let dir = Dir::new()
        .file("a-cr.yaml", cr)
        .file("b-crd.yaml", &*BACKUP_CRD);
    let report = dir.json(["validate", "."]);
    assert_eq!(report.code(), 1);
    assert_eq!(report.resource("nightly").status, "invalid");
    let f = report.at_path("/spec/retentionDays");
    assert_eq!((f.code.as_str(), f.at()), ("KP004", (9, 18)));
    assert!(f.message.contains("365"), "{f:?}");
    let f = report.at_path("/spec/extra");
    assert_eq!((f.code.as_str(), f.at()), ("KP001", (10, 3)));
    assert!(
        f.hint().contains("retentionDays"),
        "the hint lists the known fields: {f:?}"
    );
}

#[test]
fn description_is_a_field_of_crd_schemas_and_priority_classes() {
    let dir = Dir::new().file("crd.yaml", FLASK_CRD).file(
        "priority.yaml",
        "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata:\n  name: high\nvalue: 1000\ndescription: For the pods that matter.\n",
    );
    let report = dir.json(["validate", "."]);
    assert_eq!(report.codes(), Vec::<&str>::new());
    assert_eq!(report.code(), 0);
}

#[test]
fn crd_flag_supplies_schemas_without_validating_the_crd_file_itself() {
    let dir = Dir::new()
        .file("cr.yaml", BACKUP_CR)
        .file("crds/backup.yaml", &*BACKUP_CRD);
    let report = dir.json(["validate", "--crd", "crds/backup.yaml", "cr.yaml"]);
    assert_eq!(report.code(), 0);
    assert_eq!(report.resources().len(), 1);
    assert_eq!(report.resource("nightly").status, "valid");

    let report = dir.json(["validate", "--crd", "crds", "cr.yaml"]);
    assert_eq!(
        report.resource("nightly").status,
        "valid",
        "--crd takes a directory"
    );
}

#[test]
fn crd_flag_with_a_missing_file_is_a_usage_error() {
    Dir::new()
        .file("cr.yaml", BACKUP_CR)
        .run(["validate", "--crd", "nope.yaml", "cr.yaml"])
        .expect_code(2)
        .expect_stderr(
            &predicate::str::contains("--crd").and(predicate::str::contains("nope.yaml")),
        );
}

#[test]
fn custom_resource_without_its_crd_is_a_missing_schema_error() {
    let dir = Dir::new().file("cr.yaml", BACKUP_CR);
    let report = dir.json(["validate", "cr.yaml"]);
    assert_eq!(report.code(), 1);
    let (resource, f) = report.only("KP201");
    assert_eq!(resource.status, "error");
    assert_eq!((f.path.as_str(), f.at()), ("/apiVersion", (1, 13)));
    assert!(
        f.message.contains("flask.example.com/v1 BackupSchedule"),
        "{f:?}"
    );
    assert!(f.hint().contains("--ignore-missing-schemas"), "{f:?}");
}

#[test]
fn ignore_missing_schemas_skips_a_custom_resource_without_its_crd() {
    let dir = Dir::new().file("cr.yaml", BACKUP_CR);
    let report = dir.json(["validate", "--ignore-missing-schemas", "cr.yaml"]);
    assert_eq!(report.code(), 0);
    assert_eq!(report.resource("nightly").status, "skipped");
    assert_eq!(report.summary().skipped, 1);
    assert_eq!(report.codes(), Vec::<&str>::new());
}

#[test]
fn strict_false_accepts_unknown_fields_but_still_checks_types() {
    let report = json(["validate", "--strict=false", "examples/broken/web.yaml"]);
    assert!(!report.codes().contains(&"KP001"), "{:?}", report.codes());
    assert!(report.codes().contains(&"KP002"));
    assert_eq!(report.code(), 1);

    let report = json(["validate", "--strict", "false", "examples/broken/web.yaml"]);
    assert!(
        !report.codes().contains(&"KP001"),
        "--strict takes a separate value too"
    );
}

// ---------------------------------------------------------------------------------------
// Schema sources
// ---------------------------------------------------------------------------------------

const WIDGET_SCHEMA: &str = r#"{
  "type": "object",
  "properties": {
    "apiVersion": {"type": "string"},
    "kind": {"type": "string"},
    "metadata": {"type": "object"},
    "spec": {"type": "object", "properties": {"size": {"type": "integer"}}}
  }
}"#;

fn widget(name: &str, size: &str) -> String {
    format!(
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: {name}\nspec:\n  size: {size}\n"
    )
}

#[test]
fn schema_location_directory_is_read_in_the_kubeconform_layout() {
    let dir = Dir::new()
        .file("schemas/widget-example-v1.json", WIDGET_SCHEMA)
        .file("good.yaml", widget("good", "3"))
        .file("bad.yaml", widget("bad", "big"));
    let report = dir.json([
        "validate",
        "--schema-location",
        "schemas",
        "good.yaml",
        "bad.yaml",
    ]);
    assert_eq!(report.code(), 1);
    assert_eq!(report.resource("good").status, "valid");
    let f = report.at_path("/spec/size");
    assert_eq!((f.code.as_str(), f.at()), ("KP002", (6, 9)));

    let report = dir.json(["validate", "good.yaml"]);
    assert_eq!(
        report.only("KP201").0.status,
        "error",
        "without the location there is no schema"
    );
}

#[test]
fn schema_location_path_template_is_expanded() {
    let dir = Dir::new()
        .file("s/example.com/v1/Widget.json", WIDGET_SCHEMA)
        .file("bad.yaml", widget("bad", "big"));
    let report = dir.json([
        "validate",
        "--schema-location",
        "s/{{ .Group }}/{{ .ResourceAPIVersion }}/Widget.json",
        "bad.yaml",
    ]);
    assert_eq!(report.only("KP002").1.path, "/spec/size");
}

// ---------------------------------------------------------------------------------------
// Kubernetes versions
// ---------------------------------------------------------------------------------------

#[test]
fn flowschema_v1beta3_is_served_without_warning_in_1_28() {
    let dir = Dir::new().file("fs.yaml", FLOW_SCHEMA_V1BETA3);
    let report = dir.json(["validate", "-k", "1.28", "fs.yaml"]);
    assert_eq!(report.code(), 0);
    assert_eq!(report.json.kubernetes_version, "1.28");
    assert_eq!(report.codes(), Vec::<&str>::new());
}

#[test]
fn flowschema_v1beta3_is_deprecated_in_1_30_a_warning_that_does_not_fail_the_run() {
    let dir = Dir::new().file("fs.yaml", FLOW_SCHEMA_V1BETA3);
    let report = dir.json(["validate", "-k", "1.30", "fs.yaml"]);
    assert_eq!(report.code(), 0);
    let (resource, f) = report.only("KP302");
    assert_eq!(resource.status, "valid");
    assert_eq!(f.severity, "warning");
    assert_eq!(f.at(), (1, 13));
    assert!(f.message.contains("will be removed in 1.32"), "{f:?}");
    assert!(
        f.hint().contains("flowcontrol.apiserver.k8s.io/v1`"),
        "{f:?}"
    );
    assert_eq!(report.summary().warnings, 1);
}

#[test]
fn flowschema_v1beta3_is_removed_in_1_33_and_1_37_an_error() {
    let dir = Dir::new().file("fs.yaml", FLOW_SCHEMA_V1BETA3);
    for version in ["1.33", "1.37"] {
        let report = dir.json(["validate", "--kubernetes-version", version, "fs.yaml"]);
        assert_eq!(report.code(), 1, "{version}");
        let (resource, f) = report.only("KP303");
        assert_eq!(resource.status, "invalid");
        assert_eq!(f.severity, "error");
        assert!(f.message.contains("removed in Kubernetes 1.32"), "{f:?}");
        assert!(
            f.hint().contains("flowcontrol.apiserver.k8s.io/v1`"),
            "{f:?}"
        );
    }
}

#[test]
fn unknown_kubernetes_version_is_a_usage_error_listing_the_bundled_versions() {
    run(["validate", "-k", "1.12", "examples/flask-app"])
        .expect_code(2)
        .expect_stderr(
            &predicate::str::contains("1.12")
                .and(predicate::str::contains("bundled: 1.28, 1.29,"))
                .and(predicate::str::contains("1.37")),
        );
    run(["validate", "-k", "latest", "examples/flask-app"])
        .expect_code(2)
        .expect_stderr(&predicate::str::contains("MAJOR.MINOR"));
}

#[test]
fn default_kubernetes_version_is_the_newest_bundled() {
    let out = run(["validate", "-k", "1.12", "examples/flask-app"]);
    let newest = out
        .stderr
        .trim_end()
        .trim_end_matches(')')
        .rsplit(", ")
        .next()
        .expect("a version list")
        .to_string();
    let report = json(["validate", "examples/flask-app/00-namespace.yaml"]);
    assert_eq!(report.json.kubernetes_version, newest);
}

// ---------------------------------------------------------------------------------------
// YAML as kubectl reads it
// ---------------------------------------------------------------------------------------

#[test]
fn yaml_1_1_octal_0755_is_the_integer_493() {
    let crd = "\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: modes.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Mode, plural: modes, singular: mode}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                mode: {type: integer, minimum: 493, maximum: 493}
";
    let mode = |name: &str, value: &str| {
        format!(
            "apiVersion: example.com/v1\nkind: Mode\nmetadata:\n  name: {name}\nspec:\n  mode: {value}\n"
        )
    };
    let dir = Dir::new()
        .file("crd.yaml", crd)
        .file("octal.yaml", mode("octal", "0755"))
        .file("decimal.yaml", mode("decimal", "755"));
    let report = dir.json(["validate", "."]);
    assert_eq!(report.resource("octal").status, "valid", "0755 is 493");
    assert_eq!(
        report.resource("decimal").status,
        "invalid",
        "755 is not 493"
    );
    assert_eq!(report.only("KP004").1.path, "/spec/mode");
}

#[test]
fn unquoted_0755_fits_an_integer_field_and_quoted_0755_is_a_type_mismatch() {
    let dir = Dir::new().file(
        "pod.yaml",
        "\
apiVersion: v1
kind: Pod
metadata:
  name: modes
spec:
  containers:
    - name: a
      image: nginx
  volumes:
    - name: plain
      configMap:
        name: cfg
        defaultMode: 0755
    - name: quoted
      configMap:
        name: cfg
        defaultMode: \"0755\"
",
    );
    let report = dir.json(["validate", "pod.yaml"]);
    let (_, f) = report.only("KP002");
    assert_eq!(f.path, "/spec/volumes/1/configMap/defaultMode");
    assert_eq!(f.at(), (17, 22));
    assert_eq!(f.message, "expected integer, got string");
}

#[test]
fn merge_keys_are_applied_and_explicit_keys_override_them() {
    let deployment = |extra: &str| {
        format!(
            "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: &labels
      app: web
  template:
    metadata:
      labels:
        <<: *labels
        {extra}
    spec:
      containers:
        - name: web
          image: nginx
"
        )
    };
    let dir = Dir::new()
        .file("merged.yaml", deployment("tier: front"))
        .file("overridden.yaml", deployment("app: website"));
    let report = dir.json(["validate", "merged.yaml"]);
    assert_eq!(report.code(), 0, "{}", report.out.stdout);
    assert_eq!(report.codes(), Vec::<&str>::new());

    let report = dir.json(["validate", "overridden.yaml"]);
    let (_, f) = report.only("KP304");
    assert!(f.message.contains("`app=website`"), "{f:?}");
}

// ---------------------------------------------------------------------------------------
// Inputs and flags
// ---------------------------------------------------------------------------------------

#[test]
fn no_paths_is_a_usage_error() {
    run(["validate"])
        .expect_code(2)
        .expect_stderr(&predicate::str::contains("no input"));
    run(["validate", "-o", "json"]).expect_code(2);
}

#[test]
fn dash_reads_standard_input_shown_as_stdin() {
    let web = std::fs::read(Path::new(ROOT).join("examples/broken/web.yaml")).expect("web.yaml");
    let out = Dir::new().run_stdin(["validate", "-o", "json", "-"], &web);
    out.expect_code(1);
    let report = Report::from(out);
    assert!(report.resources().iter().all(|r| r.file == "<stdin>"));
    assert_eq!(report.summary().files, 1);
    assert_eq!(report.only("KP001").1.at(), (7, 3));
}

#[test]
fn filename_flag_adds_inputs_like_kubectl() {
    let report = json([
        "validate",
        "-f",
        "examples/broken/legacy.yaml",
        "--filename",
        "examples/flask-app/00-namespace.yaml",
    ]);
    assert_eq!(report.summary().files, 2);
    assert_eq!(report.codes(), ["KP303"]);

    let report = json([
        "validate",
        "examples/flask-app/00-namespace.yaml",
        "-f",
        "examples/broken/legacy.yaml",
    ]);
    let files: Vec<_> = report.resources().iter().map(|r| r.file.as_str()).collect();
    assert_eq!(
        files,
        [
            "examples/flask-app/00-namespace.yaml",
            "examples/broken/legacy.yaml"
        ],
        "positional paths first, then -f"
    );
}

#[test]
fn skip_flag_skips_kinds_by_kind_or_by_api_version_and_kind() {
    let report = json([
        "validate",
        "--skip",
        "Deployment,ConfigMap",
        "examples/broken/web.yaml",
    ]);
    assert_eq!(report.code(), 0);
    assert_eq!(report.summary().skipped, 2);
    assert_eq!(report.codes(), Vec::<&str>::new());

    let report = json([
        "validate",
        "--skip",
        "apps/v1/Deployment",
        "examples/broken/web.yaml",
    ]);
    assert_eq!(report.code(), 1);
    assert_eq!(report.resource("web").status, "skipped");
    assert_eq!(report.resource("flags").status, "invalid");

    let report = json([
        "validate",
        "--skip",
        "apps/v1beta1/Deployment",
        "examples/broken/web.yaml",
    ]);
    assert_eq!(
        report.resource("web").status,
        "invalid",
        "another apiVersion is not skipped"
    );
}

#[test]
fn nonexistent_path_is_reported_first_and_the_other_files_are_still_validated() {
    let dir = Dir::new().file("ok.yaml", config_map("ok"));
    let report = dir.json(["validate", "ok.yaml", "missing.yaml"]);
    assert_eq!(report.code(), 1);
    let first = &report.resources()[0];
    assert_eq!(
        (first.file.as_str(), first.status.as_str()),
        ("missing.yaml", "error")
    );
    let f = &first.findings[0];
    assert_eq!(
        (f.code.as_str(), f.message.as_str()),
        ("KP105", "no such file or directory")
    );
    assert_eq!(
        (f.line, f.column, f.end_line, f.end_column),
        (None, None, None, None)
    );
    assert_eq!(report.resource("ok").status, "valid");
    assert_eq!(
        report.summary().files,
        1,
        "only files actually read are counted"
    );
}

#[test]
fn exit_codes_are_0_for_valid_1_for_findings_and_2_for_usage_errors() {
    run(["validate", "examples/flask-app/20-web.yaml"]).expect_code(0);
    run(["validate", "examples/broken"]).expect_code(1);
    run(["validate", "--output", "yaml", "examples/flask-app"]).expect_code(2);
    run(["validate", "--jobs", "0", "examples/flask-app"])
        .expect_code(2)
        .expect_stderr(&predicate::str::contains("--jobs"));
    // Exit status 1 does not depend on the format.
    for format in ["text", "json", "junit", "sarif", "github"] {
        run(["validate", "-o", format, "examples/broken"]).expect_code(1);
    }
}

#[test]
fn jobs_1_gives_the_same_output_as_the_default() {
    for format in ["json", "text"] {
        let args = |jobs: Option<&'static str>| {
            let mut a = vec!["validate", "--color", "never", "-o", format];
            a.extend(jobs.map(|j| ["--jobs", j]).into_iter().flatten());
            a.extend(["examples", "../shared/corpus/kubernetes-examples/web"]);
            a
        };
        let serial = run(args(Some("1")));
        let parallel = run(args(None));
        assert_eq!(serial.code, parallel.code);
        assert_eq!(serial.stdout, parallel.stdout, "-o {format}");
    }
}

#[test]
fn the_bundled_examples_do_not_collide_with_each_other() {
    // The README's first command validates `examples/` as a whole: the broken examples must
    // show their own mistakes, not make the valid app a duplicate of them.
    let report = json(["validate", "examples/"]);
    assert!(!report.codes().contains(&"KP301"), "{:?}", report.codes());
    assert_eq!(report.summary().invalid, 3);
}
