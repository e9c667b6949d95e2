//! `kubectl create <generator>` against `kplan serve`. kubectl's typed clients send these
//! bodies as protobuf (`application/vnd.kubernetes.protobuf`), not JSON; each object is read
//! back with `kubectl get -o json` and compared with what a cluster stores.

use serde_json::{Value, json};

use crate::serve::{Server, have_kubectl};

/// `kubectl get … -o json`, without the fields the server makes up.
fn get(s: &Server, what: &[&str]) -> Value {
    let mut args = vec!["get"];
    args.extend(what);
    args.extend(["-o", "json"]);
    let mut object: Value = serde_json::from_str(&s.ok(&args)).expect("kubectl prints JSON");
    if let Some(meta) = object["metadata"].as_object_mut() {
        for server_owned in [
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "managedFields",
        ] {
            meta.remove(server_owned);
        }
    }
    object
}

#[test]
fn kubectl_create_generators_send_protobuf_that_reads_back_as_json() {
    if !have_kubectl() {
        return;
    }
    let s = Server::start(&[]);

    // The request really is protobuf (kubectl logs its headers at -v=8).
    let (code, out, err) = s.kubectl("kubectl", &["create", "namespace", "p1", "-v=8"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        err.contains("Content-Type: application/vnd.kubernetes.protobuf"),
        "{err}"
    );
    let ns = get(&s, &["namespace", "p1"]);
    assert_eq!(ns["metadata"]["name"], "p1");
    assert_eq!(ns["status"]["phase"], "Active");

    // Not UTF-8: it must land in binaryData, byte for byte.
    let blob = s.dir.path().join("blob.bin");
    std::fs::write(&blob, [0x00, 0x9f, 0x92, 0x96, b'x']).expect("write blob");
    let from_file = format!("--from-file={}", blob.display());
    s.ok(&[
        "create",
        "configmap",
        "c",
        "-n",
        "p1",
        "--from-literal=a=b",
        &from_file,
    ]);
    let cm = get(&s, &["configmap", "c", "-n", "p1"]);
    assert_eq!(cm["data"], json!({"a": "b"}));
    assert_eq!(cm["binaryData"], json!({"blob.bin": "AJ+Slng="}));

    s.ok(&[
        "create",
        "secret",
        "generic",
        "s",
        "-n",
        "p1",
        "--from-literal=k=v",
    ]);
    let secret = get(&s, &["secret", "s", "-n", "p1"]);
    assert_eq!(secret["data"], json!({"k": "dg=="}));
    assert_eq!(secret["type"], "Opaque");

    s.ok(&[
        "create",
        "deployment",
        "d",
        "-n",
        "p1",
        "--image=nginx:1.25",
        "--replicas=2",
        "--port=80",
    ]);
    let d = get(&s, &["deployment", "d", "-n", "p1"]);
    assert_eq!(d["metadata"]["labels"], json!({"app": "d"}));
    assert_eq!(d["spec"]["replicas"], 2);
    assert_eq!(d["spec"]["selector"], json!({"matchLabels": {"app": "d"}}));
    assert_eq!(
        d["spec"]["template"]["metadata"],
        json!({"labels": {"app": "d"}})
    );
    let container = &d["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["name"], "nginx");
    assert_eq!(container["image"], "nginx:1.25");
    // Go's zero values (hostPort 0, stdin false, "") are not stored; defaults are.
    assert_eq!(
        container["ports"],
        json!([{"containerPort": 80, "protocol": "TCP"}])
    );
    assert!(container.get("stdin").is_none(), "{container}");
    assert_eq!(d["spec"]["strategy"]["type"], "RollingUpdate");
    assert!(d["spec"]["template"]["spec"].get("hostNetwork").is_none());

    // An explicit zero on a pointer field is the user's choice, not "unset".
    s.ok(&[
        "create",
        "deployment",
        "zero",
        "-n",
        "p1",
        "--image=nginx",
        "--replicas=0",
    ]);
    assert_eq!(
        get(&s, &["deployment", "zero", "-n", "p1"])["spec"]["replicas"],
        0
    );

    s.ok(&[
        "create",
        "service",
        "clusterip",
        "svc",
        "-n",
        "p1",
        "--tcp=80:8080",
    ]);
    let svc = get(&s, &["service", "svc", "-n", "p1"]);
    assert_eq!(
        svc["spec"]["ports"],
        json!([{"name": "80-8080", "port": 80, "protocol": "TCP", "targetPort": 8080}])
    );
    assert_eq!(svc["spec"]["selector"], json!({"app": "svc"}));
    assert_eq!(svc["spec"]["type"], "ClusterIP");

    s.ok(&["create", "job", "j", "-n", "p1", "--image=busybox"]);
    let job = get(&s, &["job", "j", "-n", "p1"]);
    let pod = &job["spec"]["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Never");
    assert_eq!(pod["containers"][0]["image"], "busybox");
    assert_eq!(pod["containers"][0]["name"], "j");

    s.ok(&["create", "serviceaccount", "sa", "-n", "p1"]);
    assert_eq!(
        get(&s, &["serviceaccount", "sa", "-n", "p1"]),
        json!({"apiVersion": "v1", "kind": "ServiceAccount",
               "metadata": {"name": "sa", "namespace": "p1"}})
    );

    s.ok(&[
        "create",
        "role",
        "r",
        "-n",
        "p1",
        "--verb=get",
        "--resource=pods",
    ]);
    assert_eq!(
        get(&s, &["role", "r", "-n", "p1"])["rules"],
        json!([{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}])
    );

    s.ok(&[
        "create",
        "rolebinding",
        "rb",
        "-n",
        "p1",
        "--role=r",
        "--serviceaccount=p1:sa",
    ]);
    let rb = get(&s, &["rolebinding", "rb", "-n", "p1"]);
    assert_eq!(
        rb["roleRef"],
        json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"})
    );
    assert_eq!(
        rb["subjects"],
        json!([{"kind": "ServiceAccount", "name": "sa", "namespace": "p1"}])
    );

    s.ok(&[
        "create",
        "cronjob",
        "cj",
        "-n",
        "p1",
        "--image=busybox",
        "--schedule=*/5 * * * *",
        "--",
        "echo",
        "hi",
    ]);
    let cj = get(&s, &["cronjob", "cj", "-n", "p1"]);
    assert_eq!(cj["spec"]["schedule"], "*/5 * * * *");
    assert_eq!(
        cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"],
        json!(["echo", "hi"])
    );

    s.ok(&[
        "create",
        "quota",
        "q",
        "-n",
        "p1",
        "--hard=pods=10,requests.cpu=500m",
    ]);
    assert_eq!(
        get(&s, &["quota", "q", "-n", "p1"])["spec"]["hard"],
        json!({"pods": "10", "requests.cpu": "500m"})
    );

    s.ok(&[
        "create",
        "poddisruptionbudget",
        "pdb",
        "-n",
        "p1",
        "--selector=app=d",
        "--min-available=50%",
    ]);
    assert_eq!(
        get(&s, &["pdb", "pdb", "-n", "p1"])["spec"],
        json!({"minAvailable": "50%", "selector": {"matchLabels": {"app": "d"}}})
    );

    s.ok(&["create", "priorityclass", "pc", "--value=0"]);
    assert_eq!(get(&s, &["priorityclass", "pc"])["value"], 0);

    s.ok(&[
        "create",
        "ingress",
        "ing",
        "-n",
        "p1",
        "--rule=foo.com/bar=svc:80",
    ]);
    assert_eq!(
        get(&s, &["ingress", "ing", "-n", "p1"])["spec"]["rules"],
        json!([{"host": "foo.com", "http": {"paths": [{
            "backend": {"service": {"name": "svc", "port": {"number": 80}}},
            "path": "/bar",
            "pathType": "Exact",
        }]}}])
    );
}
