//! `kplan::client::Client` against the real `kplan serve` on a loopback port: the library
//! reaches the bundled server exactly as it reaches a remote cluster, through the kubeconfig
//! the server writes (bearer token, CA, HTTPS).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::{StreamExt as _, TryStreamExt as _};
use kplan::client::{
    ApplyOptions, Client, ClientError, ConnectOptions, FieldConflict, KubeconfigEnv, ObjectKey,
    Propagation, RolloutState,
};
use serde_json::{Value, json};

use crate::serve::Server;

async fn connect(s: &Server) -> Client {
    Client::connect(&ConnectOptions {
        kubeconfig: Some(s.kubeconfig.clone()),
        context: None,
    })
    .await
    .expect("the kubeconfig kplan serve writes is usable")
}

fn namespace(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
}

fn config_map(ns: &str, name: &str, labels: &Value, data: &Value) -> Value {
    json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "data": data,
    })
}

fn deployment(replicas: u32, image: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": image}]}
            }
        }
    })
}

/// A CRD without a status subresource, so a test can write a custom resource's status itself.
fn database_crd() -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "databases.example.com"},
        "spec": {
            "group": "example.com", "scope": "Namespaced",
            "names": {"kind": "Database", "plural": "databases", "singular": "database"},
            "versions": [{
                "name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {
                    "type": "object", "x-kubernetes-preserve-unknown-fields": true
                }}
            }]
        }
    })
}

fn database(ready: &str, message: &str) -> Value {
    json!({
        "apiVersion": "example.com/v1", "kind": "Database",
        "metadata": {"name": "orders", "namespace": "shop"},
        "spec": {"size": "1Gi"},
        "status": {"conditions": [{"type": "Ready", "status": ready, "message": message}]}
    })
}

fn apply_opts() -> ApplyOptions {
    ApplyOptions::default()
}

/// A server with the `shop` namespace.
async fn shop() -> (Server, Client) {
    let s = Server::start(&[]);
    let c = connect(&s).await;
    c.apply(&namespace("shop"), &apply_opts())
        .await
        .expect("namespace applied");
    (s, c)
}

#[tokio::test]
async fn connects_with_the_servers_kubeconfig_and_reads_its_version() {
    let s = Server::start(&[]);
    let c = connect(&s).await;
    let v = c.server_version().await.expect("/version");
    assert_eq!((v.major.as_str(), v.minor_number()), ("1", Some(37)));
    assert_eq!(c.endpoint().server, format!("https://{}", s.addr));
    assert_eq!(c.endpoint().context, "kplan");
    assert_eq!(c.endpoint().kubeconfig, std::slice::from_ref(&s.kubeconfig));
    assert_eq!(c.default_namespace(), "default", "the context's namespace");
}

#[tokio::test]
async fn discovery_resolves_core_apps_and_custom_kinds_once_their_crd_is_applied() {
    let s = Server::start(&[]);
    let c = connect(&s).await;

    let cm = c.resolve("v1", "ConfigMap").await.unwrap();
    assert_eq!(
        (cm.group.as_str(), cm.version.as_str(), cm.plural.as_str()),
        ("", "v1", "configmaps")
    );
    assert!(cm.namespaced);
    assert!(!c.resolve("v1", "Namespace").await.unwrap().namespaced);
    let deploy = c.resolve("apps/v1", "Deployment").await.unwrap();
    assert_eq!(
        (deploy.group.as_str(), deploy.plural.as_str()),
        ("apps", "deployments")
    );

    let err = c.resolve("example.com/v1", "Database").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "the server has no resource for kind Database in apiVersion example.com/v1 — is its CRD \
         applied?"
    );
    let err = c.resolve("apps/v1", "Deploymnet").await.unwrap_err();
    assert!(matches!(err, ClientError::UnknownKind { .. }), "{err}");

    c.apply(&database_crd(), &apply_opts()).await.unwrap();
    let crd = c.resolve("example.com/v1", "Database").await.unwrap();
    assert_eq!((crd.plural.as_str(), crd.namespaced), ("databases", true));
}

#[tokio::test]
async fn apply_creates_then_updates_and_a_dry_run_changes_nothing() {
    let (_s, c) = shop().await;
    let created = c
        .apply(&deployment(2, "nginx:1.25"), &apply_opts())
        .await
        .unwrap();
    assert_eq!(created["spec"]["replicas"], 2);
    assert_eq!(created["kind"], "Deployment");
    let managers: Vec<&str> = created["metadata"]["managedFields"]
        .as_array()
        .expect("managedFields")
        .iter()
        .filter_map(|e| e["manager"].as_str())
        .collect();
    assert_eq!(managers, ["kplan"]);

    let updated = c
        .apply(&deployment(3, "nginx:1.25"), &apply_opts())
        .await
        .unwrap();
    assert_eq!(updated["spec"]["replicas"], 3);
    assert_eq!(updated["metadata"]["uid"], created["metadata"]["uid"]);

    let dry = ApplyOptions {
        dry_run: true,
        ..apply_opts()
    };
    let would_be = c.apply(&deployment(5, "nginx:1.26"), &dry).await.unwrap();
    assert_eq!(
        would_be["spec"]["replicas"], 5,
        "the answer shows the result"
    );
    let key = ObjectKey::new("apps/v1", "Deployment", Some("shop"), "web");
    let live = c.get(&key).await.unwrap().expect("still there");
    assert_eq!(live["spec"]["replicas"], 3, "a dry run stores nothing");
    assert_eq!(
        live["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:1.25"
    );

    // A dry-run create stores nothing either.
    let cm = config_map("shop", "dry", &json!({}), &json!({"k": "v"}));
    c.apply(&cm, &dry).await.unwrap();
    let key = ObjectKey::of(&cm).unwrap();
    assert_eq!(c.get(&key).await.unwrap(), None);
}

#[tokio::test]
async fn a_conflict_names_the_other_manager_and_the_field_until_forced() {
    let (_s, c) = shop().await;
    let theirs = ApplyOptions {
        field_manager: "kubectl".into(),
        ..apply_opts()
    };
    c.apply(&deployment(2, "nginx:1.25"), &theirs)
        .await
        .unwrap();

    let err = c
        .apply(&deployment(4, "nginx:1.25"), &apply_opts())
        .await
        .unwrap_err();
    let ClientError::Conflict { object, conflicts } = &err else {
        panic!("expected a conflict, got {err}");
    };
    assert_eq!(object, "Deployment shop/web");
    assert_eq!(
        conflicts,
        &[FieldConflict {
            manager: "kubectl".into(),
            field: ".spec.replicas".into()
        }]
    );
    assert!(
        err.to_string()
            .contains("apply failed with 1 conflict: conflict with \"kubectl\": .spec.replicas"),
        "{err}"
    );
    assert_eq!(err.code(), Some(409));

    let forced = ApplyOptions {
        force: true,
        ..apply_opts()
    };
    let taken = c
        .apply(&deployment(4, "nginx:1.25"), &forced)
        .await
        .unwrap();
    assert_eq!(taken["spec"]["replicas"], 4);
    let owner_of_replicas: Vec<&str> = taken["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["fieldsV1"]["f:spec"].get("f:replicas").is_some())
        .filter_map(|e| e["manager"].as_str())
        .collect();
    assert_eq!(owner_of_replicas, ["kplan"], "ownership moved to kplan");
}

#[tokio::test]
async fn get_fetch_all_and_list_with_a_label_selector() {
    let (_s, c) = shop().await;
    c.apply(&namespace("other"), &apply_opts()).await.unwrap();
    for (ns, name, tier) in [
        ("shop", "a", "web"),
        ("shop", "b", "db"),
        ("other", "c", "web"),
    ] {
        let cm = config_map(ns, name, &json!({"tier": tier}), &json!({"name": name}));
        c.apply(&cm, &apply_opts()).await.unwrap();
    }

    let a = ObjectKey::new("v1", "ConfigMap", Some("shop"), "a");
    let got = c.get(&a).await.unwrap().expect("a exists");
    assert_eq!(got["data"]["name"], "a");

    let keys = [
        a.clone(),
        ObjectKey::new("v1", "ConfigMap", Some("shop"), "missing"),
        ObjectKey::new("v1", "ConfigMap", Some("other"), "c"),
        // A kind the server does not serve has no objects (its CRD may be applied later).
        ObjectKey::new("example.com/v1", "Database", Some("shop"), "orders"),
    ];
    let fetched = c.fetch_all(&keys).await.unwrap();
    let found: Vec<(String, bool)> = fetched
        .iter()
        .map(|(k, o)| (k.name.clone(), o.is_some()))
        .collect();
    assert_eq!(
        found,
        [
            ("a".into(), true),
            ("missing".into(), false),
            ("c".into(), true),
            ("orders".into(), false)
        ],
        "in the order asked"
    );

    let names = |items: &[Value]| {
        let mut names: Vec<String> = items
            .iter()
            .map(|o| o["metadata"]["name"].as_str().unwrap().to_owned())
            .collect();
        names.sort();
        names
    };
    let web_everywhere = c
        .list("v1", "ConfigMap", None, Some("tier=web"))
        .await
        .unwrap();
    assert_eq!(names(&web_everywhere), ["a", "c"]);
    assert!(
        web_everywhere.iter().all(|o| o["kind"] == "ConfigMap"),
        "items carry their kind"
    );
    let in_shop = c
        .list("v1", "ConfigMap", Some("shop"), Some("tier"))
        .await
        .unwrap();
    assert_eq!(names(&in_shop), ["a", "b"]);
}

#[tokio::test]
async fn a_list_longer_than_a_page_arrives_whole() {
    let (_s, c) = shop().await;
    let objects: Vec<Value> = (0..520)
        .map(|i| {
            config_map(
                "shop",
                &format!("cm-{i:03}"),
                &json!({"bulk": "yes"}),
                &json!({}),
            )
        })
        .collect();
    let opts = apply_opts();
    let applied: Vec<Value> = futures_util::stream::iter(&objects)
        .map(|o| c.apply(o, &opts))
        .buffer_unordered(16)
        .try_collect()
        .await
        .expect("applied");
    assert_eq!(applied.len(), 520);
    let all = c
        .list("v1", "ConfigMap", Some("shop"), Some("bulk=yes"))
        .await
        .unwrap();
    assert_eq!(all.len(), 520, "pages of 500 are joined");
}

#[tokio::test]
async fn delete_then_get_finds_nothing() {
    let (_s, c) = shop().await;
    let cm = config_map("shop", "gone", &json!({}), &json!({"k": "v"}));
    c.apply(&cm, &apply_opts()).await.unwrap();
    let key = ObjectKey::of(&cm).unwrap();

    let dry = c.delete(&key, Propagation::Background, true).await.unwrap();
    assert!(dry.is_some());
    assert!(
        c.get(&key).await.unwrap().is_some(),
        "a dry-run delete keeps it"
    );

    // Foreground: the object is marked at once and goes once the garbage collector has seen
    // it has no dependents, as on a cluster.
    let deleted = c
        .delete(&key, Propagation::Foreground, false)
        .await
        .unwrap();
    assert!(deleted.is_some());
    c.wait_until(&key, std::time::Duration::from_secs(10), |o| o.is_none())
        .await
        .expect("gone within 10 s");
    assert_eq!(c.get(&key).await.unwrap(), None);
    assert_eq!(
        c.delete(&key, Propagation::Background, false)
            .await
            .unwrap(),
        None,
        "deleting what is not there is no error"
    );
}

#[tokio::test]
async fn create_refuses_an_existing_object_with_the_servers_status() {
    let (_s, c) = shop().await;
    let cm = config_map("shop", "once", &json!({}), &json!({"k": "v"}));
    c.create(&cm, false).await.unwrap();
    let err = c.create(&cm, false).await.unwrap_err();
    let ClientError::Api {
        code,
        reason,
        message,
        object,
    } = &err
    else {
        panic!("expected an API error, got {err}");
    };
    assert_eq!((*code, reason.as_str()), (409, "AlreadyExists"));
    assert!(message.contains("\"once\" already exists"), "{message}");
    assert_eq!(object.as_deref(), Some("ConfigMap shop/once"));

    // A replace with the live resourceVersion goes through.
    let key = ObjectKey::of(&cm).unwrap();
    let mut live = c.get(&key).await.unwrap().unwrap();
    live["data"]["k"] = json!("w");
    let replaced = c.replace(&live, false).await.unwrap();
    assert_eq!(replaced["data"]["k"], "w");
}

#[tokio::test]
async fn a_namespaced_object_without_a_namespace_goes_to_the_contexts_namespace() {
    let s = Server::start(&[]);
    let c = connect(&s).await;
    c.apply(&namespace("default"), &apply_opts()).await.unwrap();
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
                    "metadata": {"name": "plain"}, "data": {"k": "v"}});
    let stored = c.apply(&cm, &apply_opts()).await.unwrap();
    assert_eq!(stored["metadata"]["namespace"], "default");
    let key = ObjectKey::new("v1", "ConfigMap", Some("default"), "plain");
    assert!(c.get(&key).await.unwrap().is_some());
}

#[tokio::test]
async fn waiting_follows_the_objects_ready_condition_through_a_watch() {
    let (_s, c) = shop().await;
    c.apply(&database_crd(), &apply_opts()).await.unwrap();
    c.apply(&database("False", "creating volume"), &apply_opts())
        .await
        .unwrap();
    let key = ObjectKey::new("example.com/v1", "Database", Some("shop"), "orders");

    let err = c
        .wait_for_rollout(&key, Duration::from_secs(2))
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Timeout { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "Database shop/orders: not done after 2s (creating volume)"
    );

    // Ready turns true while the client waits: the watch sees it.
    let (state, ()) = tokio::join!(c.wait_for_rollout(&key, Duration::from_secs(10)), async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        c.apply(&database("True", "ok"), &apply_opts())
            .await
            .unwrap();
    });
    assert_eq!(state.unwrap(), RolloutState::Done);

    let missing = ObjectKey::new("example.com/v1", "Database", Some("shop"), "nope");
    assert!(matches!(
        c.wait_for_rollout(&missing, Duration::from_secs(5))
            .await
            .unwrap(),
        RolloutState::Failed { .. }
    ));
}

#[tokio::test]
async fn wait_until_sees_a_deletion() {
    let (_s, c) = shop().await;
    let cm = config_map("shop", "temp", &json!({}), &json!({}));
    c.apply(&cm, &apply_opts()).await.unwrap();
    let key = ObjectKey::of(&cm).unwrap();
    let (gone, ()) = tokio::join!(
        c.wait_until(&key, Duration::from_secs(10), |obj| obj.is_none()),
        async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            c.delete(&key, Propagation::Background, false)
                .await
                .unwrap();
        }
    );
    assert_eq!(gone.unwrap(), None);
}

#[tokio::test]
async fn a_missing_kubeconfig_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-such-kubeconfig");
    let err = Client::connect(&ConnectOptions {
        kubeconfig: Some(path.clone()),
        context: None,
    })
    .await
    .err()
    .expect("no client");
    assert_eq!(
        err.to_string(),
        format!("kubeconfig {}: no such file", path.display())
    );
}

#[tokio::test]
async fn an_unknown_context_lists_the_ones_there_are() {
    let s = Server::start(&[]);
    let err = Client::connect(&ConnectOptions {
        kubeconfig: Some(s.kubeconfig.clone()),
        context: Some("prod".into()),
    })
    .await
    .err()
    .expect("no client");
    assert_eq!(
        err.to_string(),
        format!(
            "kubeconfig {} (context \"prod\"): it has no context \"prod\" (its contexts are \
             kplan)",
            s.kubeconfig.display()
        )
    );
}

/// A copy of the server's kubeconfig as `name`, with the line starting with `field:` replaced
/// by `lines` (indented as the field was).
fn edited(s: &Server, name: &str, field: &str, lines: &str) -> PathBuf {
    let text = std::fs::read_to_string(&s.kubeconfig).unwrap();
    let old = text
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{field}:")))
        .unwrap_or_else(|| panic!("a {field} line in:\n{text}"));
    let indent = &old[..old.len() - old.trim_start().len()];
    let new: Vec<String> = lines.lines().map(|l| format!("{indent}{l}")).collect();
    let path = s.dir.path().join(name);
    std::fs::write(&path, text.replace(old, &new.join("\n"))).unwrap();
    path
}

/// A copy of the server's kubeconfig with another token.
fn with_token(s: &Server, token: &str) -> PathBuf {
    edited(
        s,
        "wrong-token-kubeconfig",
        "token",
        &format!("token: \"{token}\""),
    )
}

/// The value of `field` in the server's kubeconfig.
fn kubeconfig_value(s: &Server, field: &str) -> String {
    let text = std::fs::read_to_string(&s.kubeconfig).unwrap();
    let line = text
        .lines()
        .find_map(|l| l.trim_start().strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in:\n{text}"));
    serde_json::from_str(line.trim()).expect("kplan serve writes JSON strings")
}

#[tokio::test]
async fn a_wrong_token_is_reported_as_rejected_credentials() {
    let s = Server::start(&[]);
    let kubeconfig = with_token(&s, "not-the-token");
    let c = Client::connect(&ConnectOptions {
        kubeconfig: Some(kubeconfig.clone()),
        context: None,
    })
    .await
    .unwrap();
    let err = c.server_version().await.unwrap_err();
    assert!(matches!(err, ClientError::Unauthorized { .. }), "{err}");
    let msg = err.to_string();
    for part in [
        format!("https://{}", s.addr),
        "context \"kplan\"".to_owned(),
        kubeconfig.display().to_string(),
        "401 Unauthorized".to_owned(),
    ] {
        assert!(msg.contains(&part), "{part} missing from: {msg}");
    }
    // The same for any call, discovery included.
    let key = ObjectKey::new("v1", "ConfigMap", Some("default"), "x");
    assert!(matches!(
        c.get(&key).await,
        Err(ClientError::Unauthorized { .. })
    ));
}

#[tokio::test]
async fn an_unreachable_server_is_reported_with_where_it_was_looked_for() {
    let mut s = Server::start(&[]);
    let c = connect(&s).await;
    s.stop();
    let err = c.server_version().await.unwrap_err();
    assert!(matches!(err, ClientError::Unreachable { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("cannot reach the API server https://{}", s.addr)),
        "{msg}"
    );
    assert!(msg.to_lowercase().contains("connection refused"), "{msg}");
}

/// `KUBECONFIG` as a list: missing files are skipped, the first file that sets a value wins.
#[tokio::test]
async fn a_kubeconfig_list_skips_missing_files_and_merges_in_order() {
    let s = Server::start(&[]);
    let other = s.dir.path().join("other-kubeconfig");
    // A second file with another context and a current-context that must not win.
    std::fs::write(
        &other,
        "apiVersion: v1\nkind: Config\ncurrent-context: elsewhere\ncontexts:\n- name: elsewhere\n  \
         context: {cluster: far, user: far}\nclusters:\n- name: far\n  cluster: {server: \
         'https://192.0.2.1:6443'}\nusers:\n- name: far\n  user: {token: t}\n",
    )
    .unwrap();
    let list = std::env::join_paths([
        s.dir.path().join("missing").as_path(),
        s.kubeconfig.as_path(),
        other.as_path(),
    ])
    .unwrap();
    let env = KubeconfigEnv {
        kubeconfig: Some(list),
        home: None,
    };
    let c = Client::connect_with_env(&ConnectOptions::default(), &env)
        .await
        .unwrap();
    assert_eq!(
        c.endpoint().context,
        "kplan",
        "the first current-context wins"
    );
    assert_eq!(
        c.endpoint().kubeconfig,
        [s.kubeconfig.clone(), other.clone()]
    );
    assert!(c.server_version().await.is_ok());

    let elsewhere = ConnectOptions {
        kubeconfig: None,
        context: Some("elsewhere".into()),
    };
    let c = Client::connect_with_env(&elsewhere, &env).await.unwrap();
    assert_eq!(c.endpoint().server, "https://192.0.2.1:6443");

    let none = KubeconfigEnv {
        kubeconfig: Some(OsString::from(s.dir.path().join("missing"))),
        home: Some(Path::new("/nonexistent-home").to_path_buf()),
    };
    let err = Client::connect_with_env(&ConnectOptions::default(), &none)
        .await
        .err()
        .expect("no client");
    assert!(matches!(err, ClientError::NoKubeconfig { .. }), "{err}");
}

#[tokio::test]
async fn a_server_certificate_from_another_ca_is_refused() {
    let s = Server::start(&[]);
    let other = Server::start(&[]);
    let foreign_ca = kubeconfig_value(&other, "certificate-authority-data");
    let kubeconfig = edited(
        &s,
        "foreign-ca-kubeconfig",
        "certificate-authority-data",
        &format!("certificate-authority-data: \"{foreign_ca}\""),
    );
    let c = Client::connect(&ConnectOptions {
        kubeconfig: Some(kubeconfig),
        context: None,
    })
    .await
    .unwrap();
    let err = c.server_version().await.unwrap_err();
    assert!(matches!(err, ClientError::Unreachable { .. }), "{err}");
    assert!(err.to_string().contains("certificate"), "{err}");
}

/// Exec credential plugins (what EKS, GKE and AKS kubeconfigs use) are run by kube: the token
/// comes from the plugin's output, and a failing plugin is an error about credentials.
#[cfg(unix)]
#[tokio::test]
async fn an_exec_plugin_supplies_the_token() {
    let s = Server::start(&[]);
    let token = kubeconfig_value(&s, "token");
    let credential = json!({
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "kind": "ExecCredential",
        "status": {"token": token}
    });
    let plugin = |name: &str, script: &str| {
        edited(
            &s,
            name,
            "token",
            &format!(
                "exec:\n  apiVersion: client.authentication.k8s.io/v1beta1\n  command: sh\n  \
                 args: [\"-c\", {}]\n  interactiveMode: Never",
                serde_json::to_string(script).unwrap()
            ),
        )
    };
    let good = plugin("exec-kubeconfig", &format!("echo '{credential}'"));
    let c = Client::connect(&ConnectOptions {
        kubeconfig: Some(good),
        context: None,
    })
    .await
    .unwrap();
    assert!(c.server_version().await.is_ok());

    let failing = plugin(
        "failing-exec-kubeconfig",
        "echo 'no cloud login' >&2; exit 1",
    );
    let err = Client::connect(&ConnectOptions {
        kubeconfig: Some(failing),
        context: None,
    })
    .await
    .err()
    .expect("no client");
    assert!(matches!(err, ClientError::Auth { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("cannot get credentials for https://"), "{msg}");
    assert!(msg.contains("no cloud login"), "the plugin's stderr: {msg}");
}
