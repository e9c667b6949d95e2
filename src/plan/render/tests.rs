//! Every renderer on the same plan; the Secret value must never appear in any of them.

use serde_json::json;

use super::*;
use crate::diff::DiffOptions;
use crate::plan::{PlanOptions, build_plan};
use crate::schema::newest_version;
use crate::state::{ManifestDoc, ManifestSet, Origin, Snapshot, SnapshotSource};

const SECRET: &str = "correct-horse-battery-staple";

fn doc(object: serde_json::Value, line: u32) -> ManifestDoc {
    ManifestDoc {
        api_version: object["apiVersion"].as_str().unwrap().into(),
        kind: object["kind"].as_str().unwrap().into(),
        namespace: object["metadata"]["namespace"].as_str().map(str::to_string),
        name: object["metadata"]["name"].as_str().map(str::to_string),
        object: std::sync::Arc::new(object),
        origin: Origin {
            file: "app.yaml".into(),
            line,
        },
    }
}

fn plan(show_secrets: bool) -> Plan {
    let desired = ManifestSet {
        docs: vec![
            doc(
                json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "shop"},
                "stringData": {"password": SECRET}}),
                1,
            ),
            doc(
                json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "new", "namespace": "shop"},
                "stringData": {"token": SECRET}}),
                8,
            ),
        ],
        files: 1,
    };
    let snapshot = Snapshot::new(
        None,
        None,
        vec![
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "shop", "resourceVersion": "3"},
            "data": {"password": "b2xk"}}),
        ],
    );
    let source = SnapshotSource::from_snapshot("s.json".into(), snapshot);
    let options = PlanOptions {
        diff: DiffOptions {
            show_secrets,
            ..DiffOptions::default()
        },
        prune: false,
        kubernetes_version: newest_version(),
        default_namespace: "default".into(),
    };
    build_plan(&desired, &source, &options).unwrap()
}

fn rendered(plan: &Plan, format: PlanFormat, view: View) -> String {
    let mut out = Vec::new();
    let options = RenderOptions {
        view,
        color: false,
        context: 3,
    };
    render(plan, format, &options, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn no_format_ever_prints_a_secret_value() {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(SECRET);
    let p = plan(false);
    assert_eq!(
        p.summary.line(),
        "Plan: 1 to create, 1 to update, 0 to replace, 0 to delete."
    );
    for format in [PlanFormat::Text, PlanFormat::Markdown, PlanFormat::Json] {
        for view in [View::Diff, View::Plan] {
            let out = rendered(&p, format, view);
            assert!(!out.contains(SECRET), "{format:?} {view:?} leaked:\n{out}");
            assert!(
                !out.contains(&encoded),
                "{format:?} {view:?} leaked base64:\n{out}"
            );
            assert!(
                !out.contains("b2xk"),
                "{format:?} {view:?} leaked the current value:\n{out}"
            );
            assert!(out.contains("*** (changed)"), "{format:?} {view:?}:\n{out}");
        }
    }
    let file = crate::plan::PlanFile::from_plan(&p, "2026-11-26T12:00:00Z".into()).to_json();
    assert!(!file.contains(SECRET) && !file.contains(&encoded), "{file}");
    assert!(file.contains("kplan-sha256:"), "{file}");
}

#[test]
fn show_secrets_reveals_them_but_a_snapshot_never_held_them() {
    use base64::Engine as _;
    let out = rendered(&plan(true), PlanFormat::Text, View::Diff);
    let encoded = base64::engine::general_purpose::STANDARD.encode(SECRET);
    assert!(out.contains(&encoded), "{out}");
    assert!(!out.contains("b2xk"), "the snapshot stores a digest: {out}");
}

#[test]
fn markdown_stays_under_the_github_comment_limit() {
    let big = "x".repeat(400);
    let desired = ManifestSet {
        docs: (0..1500)
            .map(|i| {
                doc(
                    json!({"apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": format!("c{i}"), "namespace": "shop"},
                        "data": {"a": big, "b": big}}),
                    1,
                )
            })
            .collect(),
        files: 1,
    };
    let source = SnapshotSource::from_snapshot("s.json".into(), Snapshot::new(None, None, vec![]));
    let options = PlanOptions {
        diff: DiffOptions::default(),
        prune: false,
        kubernetes_version: newest_version(),
        default_namespace: "default".into(),
    };
    let p = build_plan(&desired, &source, &options).unwrap();
    let out = rendered(&p, PlanFormat::Markdown, View::Plan);
    assert!(out.len() < 65_536, "{} characters", out.len());
    assert!(out.contains("left out to stay under GitHub's comment size limit"));
    assert_eq!(
        out.matches("<details>").count(),
        out.matches("</details>").count()
    );
}
