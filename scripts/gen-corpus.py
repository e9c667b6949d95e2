#!/usr/bin/env python3
"""Generate a deterministic benchmark corpus of Kubernetes manifests for `kplan validate`.

The corpus resembles the one in the validate spike: 100 multi-document YAML files, 10,000
documents, about 3.7 MB and 540,000 YAML events (the spike's: 3.6 MB, 564,000 events). Most documents are Deployments, Services and
ConfigMaps, with a few StatefulSets, Ingresses and Jobs. About 2% are deliberately invalid, one
mistake per document, of kinds people really make (see MISTAKES).

Every object gets a unique name (its global document number), so a validator that checks for
duplicate objects across the input (kplan's KP301) finds none: the only invalid documents are
the ones planted here. OUT_DIR/expected.json lists how many were planted per kind of mistake,
and which documents they are, so a benchmark can check the validator's verdicts.

The output depends only on the arguments: the same seed gives byte-identical files.

Usage: gen-corpus.py OUT_DIR [--docs 10000] [--files 100] [--seed 1] [--invalid-rate 0.02]
Standard library only.
"""

import argparse
import json
import os
import random
import sys

# Kind of mistake -> what a validator should report. `schema` says whether a plain JSON-schema
# validator (kubeconform, kubernetes-validate) can see it: Quantity is just "string or number" in
# the upstream schemas, and selector/template agreement is a cross-field rule the schemas cannot
# express, so only a validator with those extra checks (kplan) flags them. The API server rejects
# all five.
MISTAKES = {
    "unknown-field": {
        "code": "KP001",
        "schema": True,
        "what": "misspelt field, e.g. `replica:` for `replicas:` (strict validation rejects it)",
    },
    "string-port": {
        "code": "KP002",
        "schema": True,
        "what": 'quoted port "8080" where an integer is required',
    },
    "bad-quantity": {
        "code": "KP004",
        "schema": False,
        "what": "resource quantity with a space or unit typo, e.g. `256 MB`",
    },
    "yaml11-bool": {
        "code": "KP002",
        "schema": True,
        "what": "unquoted `yes`/`no`/`on` in ConfigMap data: YAML 1.1 reads a bool, data needs strings",
    },
    "selector-mismatch": {
        "code": "KP304",
        "schema": False,
        "what": "Deployment spec.selector does not match spec.template.metadata.labels",
    },
}

# Which kinds each mistake can be planted in.
ELIGIBLE = {
    "unknown-field": ("Deployment", "StatefulSet"),
    "string-port": ("Service", "Deployment"),
    "bad-quantity": ("Deployment", "StatefulSet"),
    "yaml11-bool": ("ConfigMap",),
    "selector-mismatch": ("Deployment",),
}

# Share of each kind among the documents. Tuned so the default corpus is about 3.7 MB and 54 YAML
# events per document, close to the spike's 3.6 MB and 56 (563,718 events for 10,000 documents).
KIND_WEIGHTS = [
    ("Deployment", 15),
    ("Service", 40),
    ("ConfigMap", 40),
    ("StatefulSet", 2),
    ("Ingress", 2),
    ("Job", 1),
]

NAMESPACES = ["shop", "payments", "search", "identity", "data", "platform", "media", "ops"]
APPS = ["web", "api", "worker", "cart", "auth", "billing", "catalog", "gateway", "notifier", "cache"]
IMAGES = [
    "nginx:1.27.3",
    "ghcr.io/example/{app}:2.{minor}.{patch}",
    "registry.local/{ns}/{app}:v1.{minor}",
    "python:3.12-slim",
    "redis:7.4-alpine",
]
LOG_LEVELS = ["debug", "info", "warn", "error"]
CPU = ["50m", "100m", "250m", "500m", "1", "2"]
MEMORY = ["64Mi", "128Mi", "256Mi", "512Mi", "1Gi", "2Gi"]
BAD_QUANTITIES = ["256 MB", "1 GB", "512mb", "0.5 cpu", "1,5Gi"]
TYPOS = [
    # (where, typo): spec-level `replica` is the classic; the others vary the path depth.
    ("spec", "replica"),
    ("spec", "replica"),
    ("container", "imagePullPolcy"),
    ("metadata", "label"),
]
# All are booleans to go-yaml v2 (kubectl, kubeconform, kplan). `y` is not one to PyYAML, so
# kubernetes-validate accepts `y` as a string: a real dialect difference worth keeping in the mix.
YAML11_BOOLS = ["yes", "no", "on", "off", "Yes", "y"]


class Doc:
    """One generated document: its text and, if it is invalid on purpose, the mistake."""

    def __init__(self, kind, name, text, mistake=None):
        self.kind = kind
        self.name = name
        self.text = text
        self.mistake = mistake


def pick_kinds(rng, n):
    """The kind of each document, in order, drawn with KIND_WEIGHTS."""
    kinds, weights = zip(*KIND_WEIGHTS)
    return rng.choices(kinds, weights=weights, k=n)


def plan_mistakes(rng, kinds, n_invalid):
    """Choose which documents get which mistake: as even a split over MISTAKES as the kinds
    present allow. Returns {document index: mistake}."""
    names = list(MISTAKES)
    quota = {m: n_invalid // len(names) + (1 if i < n_invalid % len(names) else 0)
             for i, m in enumerate(names)}
    planted = {}
    for mistake in names:
        # Prefer the first eligible kind (the one the mistake is best known for); fall back to
        # the others only when it is exhausted, as in a tiny corpus.
        for kind in ELIGIBLE[mistake]:
            free = [i for i, k in enumerate(kinds) if k == kind and i not in planted]
            take = min(quota[mistake], len(free))
            for i in rng.sample(free, take):
                planted[i] = mistake
            quota[mistake] -= take
            if quota[mistake] == 0:
                break
        if quota[mistake]:
            print(f"gen-corpus: too few {'/'.join(ELIGIBLE[mistake])} documents: "
                  f"{quota[mistake]} `{mistake}` mistakes not planted", file=sys.stderr)
    return planted


# --- document templates --------------------------------------------------------------------
# Text is assembled by hand (no PyYAML in the standard library). Values that YAML 1.1 would
# read as something other than a string (`true`, `8080`, `on`) are quoted wherever the schema
# wants a string, so that every document without a planted mistake is valid.


def image(rng, app, ns):
    return rng.choice(IMAGES).format(app=app, ns=ns, minor=rng.randint(0, 30), patch=rng.randint(0, 9))


def container(rng, name, app, ns, mistake, full):
    """A container block at 6 spaces of indentation (inside template.spec.containers)."""
    port = rng.choice([8080, 8000, 5000, 3000, 9090])
    port_text = f'"{port}"' if mistake == "string-port" else str(port)
    mem = rng.choice(MEMORY)
    lim_mem = rng.choice(BAD_QUANTITIES) if mistake == "bad-quantity" else MEMORY[min(MEMORY.index(mem) + 1, len(MEMORY) - 1)]
    pull = "imagePullPolcy" if mistake == ("container", "imagePullPolcy") else "imagePullPolicy"
    lines = [
        f"      - name: {name}",
        f"        image: {image(rng, app, ns)}",
        f"        {pull}: IfNotPresent",
        "        ports:",
        f"        - name: http",
        f"          containerPort: {port_text}",
        "          protocol: TCP",
        "        env:",
        "        - name: LOG_LEVEL",
        f"          value: {rng.choice(LOG_LEVELS)}",
        "        - name: FEATURE_FLAGS_ENABLED",
        f'          value: "{rng.choice(["true", "false"])}"',
    ]
    if full:
        lines += [
            "        - name: POD_NAME",
            "          valueFrom:",
            "            fieldRef:",
            "              fieldPath: metadata.name",
        ]
    lines += [
        "        resources:",
        "          requests:",
        f"            cpu: {rng.choice(CPU[:4])}",
        f"            memory: {mem}",
        "          limits:",
        f"            memory: {lim_mem}",
    ]
    if full:
        lines += [
            "        readinessProbe:",
            "          httpGet:",
            "            path: /healthz",
            "            port: http",
            f"          periodSeconds: {rng.choice([5, 10, 15])}",
            "        livenessProbe:",
            "          httpGet:",
            "            path: /livez",
            "            port: http",
            f"          initialDelaySeconds: {rng.choice([10, 20, 30])}",
            "        volumeMounts:",
            "        - name: config",
            "          mountPath: /etc/app",
            "          readOnly: true",
        ]
    return lines


def metadata(name, ns, app, mistake, indent=""):
    labels_key = "label" if mistake == ("metadata", "label") else "labels"
    return [
        f"{indent}metadata:",
        f"{indent}  name: {name}",
        f"{indent}  namespace: {ns}",
        f"{indent}  {labels_key}:",
        f"{indent}    app: {app}",
    ]


def typo_for(rng, mistake):
    """Turn the `unknown-field` mistake into a concrete typo (where, field)."""
    return rng.choice(TYPOS) if mistake == "unknown-field" else mistake


def workload(rng, kind, name, ns, app, mistake):
    """Deployment or StatefulSet: the pod template is shared."""
    mistake = typo_for(rng, mistake)
    full = rng.random() < 0.4  # some get probes, volumes and downward-API env
    replicas_key = "replica" if mistake == ("spec", "replica") else "replicas"
    selector_app = f"{app}-canary" if mistake == "selector-mismatch" else app
    lines = [f"apiVersion: apps/v1", f"kind: {kind}"] + metadata(name, ns, app, mistake) + [
        "spec:",
        f"  {replicas_key}: {rng.randint(1, 6)}",
    ]
    if kind == "StatefulSet":
        lines.append(f"  serviceName: {name}")
    else:
        lines.append(f"  revisionHistoryLimit: {rng.choice([3, 5, 10])}")
    lines += [
        "  selector:",
        "    matchLabels:",
        f"      app: {selector_app}",
        "  template:",
        "    metadata:",
        "      labels:",
        f"        app: {app}",
        f"        version: v{rng.randint(1, 9)}",
        "    spec:",
        "      containers:",
    ]
    lines += container(rng, app, app, ns, mistake, full)
    if full:
        lines += [
            "      volumes:",
            "      - name: config",
            "        configMap:",
            f"          name: {app}-config",
        ]
    if kind == "StatefulSet":
        lines += [
            "  volumeClaimTemplates:",
            "  - metadata:",
            "      name: data",
            "    spec:",
            "      accessModes: [ReadWriteOnce]",
            "      resources:",
            "        requests:",
            f"          storage: {rng.choice(['1Gi', '10Gi', '50Gi'])}",
        ]
    return lines


def service(rng, name, ns, app, mistake):
    port = rng.choice([80, 443, 8080])
    port_text = f'"{port}"' if mistake == "string-port" else str(port)
    lines = ["apiVersion: v1", "kind: Service"] + metadata(name, ns, app, None) + [
        "spec:",
        f"  type: {rng.choice(['ClusterIP', 'ClusterIP', 'NodePort'])}",
        "  selector:",
        f"    app: {app}",
        "  ports:",
        "  - name: http",
        f"    port: {port_text}",
        "    targetPort: http",
        "    protocol: TCP",
    ]
    return lines


def configmap(rng, name, ns, app, mistake):
    lines = ["apiVersion: v1", "kind: ConfigMap"] + metadata(name, ns, app, None) + [
        "data:",
        f"  LOG_LEVEL: {rng.choice(LOG_LEVELS)}",
        f'  MAX_CONNECTIONS: "{rng.choice([10, 50, 100, 500])}"',
        f"  UPSTREAM_URL: http://{app}.{ns}:8080",
    ]
    if mistake == "yaml11-bool":
        lines.append(f"  CACHE_ENABLED: {rng.choice(YAML11_BOOLS)}")
    else:
        lines.append(f'  CACHE_ENABLED: "{rng.choice(["true", "false"])}"')
    return lines


def ingress(rng, name, ns, app, mistake):
    host = f"{app}-{name.rsplit('-', 1)[-1]}.{ns}.example.com"
    return ["apiVersion: networking.k8s.io/v1", "kind: Ingress"] + metadata(name, ns, app, None) + [
        "spec:",
        "  ingressClassName: nginx",
        "  tls:",
        f"  - hosts: [{host}]",
        f"    secretName: {name}-tls",
        "  rules:",
        f"  - host: {host}",
        "    http:",
        "      paths:",
        "      - path: /",
        "        pathType: Prefix",
        "        backend:",
        "          service:",
        f"            name: {app}",
        "            port:",
        "              number: 80",
    ]


def job(rng, name, ns, app, mistake):
    return ["apiVersion: batch/v1", "kind: Job"] + metadata(name, ns, app, None) + [
        "spec:",
        f"  backoffLimit: {rng.randint(0, 6)}",
        "  ttlSecondsAfterFinished: 3600",
        "  template:",
        "    spec:",
        "      restartPolicy: Never",
        "      containers:",
        "      - name: migrate",
        f"        image: {image(rng, app, ns)}",
        '        command: ["/bin/sh", "-c", "./migrate --up"]',
        "        resources:",
        "          requests:",
        f"            cpu: {rng.choice(CPU[:3])}",
        f"            memory: {rng.choice(MEMORY[:3])}",
    ]


PREFIX = {"Deployment": "deploy", "Service": "svc", "ConfigMap": "cm",
          "StatefulSet": "sts", "Ingress": "ing", "Job": "job"}


def make_doc(rng, index, kind, mistake):
    ns = NAMESPACES[index % len(NAMESPACES)]
    app = rng.choice(APPS)
    # Unique per document, so no two objects collide (no duplicate-object findings).
    name = f"{app}-{PREFIX[kind]}-{index:05d}"
    if kind in ("Deployment", "StatefulSet"):
        lines = workload(rng, kind, name, ns, app, mistake)
    else:
        build = {"Service": service, "ConfigMap": configmap, "Ingress": ingress, "Job": job}[kind]
        lines = build(rng, name, ns, app, mistake)
    return Doc(kind, name, "\n".join(lines) + "\n", mistake)


def split(n, parts):
    """Sizes of `parts` consecutive chunks of n items, as even as possible."""
    return [n // parts + (1 if i < n % parts else 0) for i in range(parts)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--docs", type=int, default=10000, help="documents in all (default 10000)")
    ap.add_argument("--files", type=int, default=100, help="files to spread them over (default 100)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--invalid-rate", type=float, default=0.02,
                    help="share of documents made invalid (default 0.02)")
    args = ap.parse_args()
    if args.docs < 1 or args.files < 1 or args.files > args.docs:
        ap.error("need 1 <= --files <= --docs")

    rng = random.Random(args.seed)
    kinds = pick_kinds(rng, args.docs)
    planted = plan_mistakes(rng, kinds, round(args.docs * args.invalid_rate))

    os.makedirs(args.out_dir, exist_ok=True)
    index = 0
    total_bytes = 0
    invalid_docs = []
    kind_counts = {}
    for f, count in enumerate(split(args.docs, args.files)):
        fname = f"part-{f:05d}.yaml"
        chunks = []
        line = 1
        for _ in range(count):
            doc = make_doc(rng, index, kinds[index], planted.get(index))
            kind_counts[doc.kind] = kind_counts.get(doc.kind, 0) + 1
            if doc.mistake:
                invalid_docs.append({"file": fname, "line": line, "kind": doc.kind,
                                     "name": doc.name, "mistake": doc.mistake})
            chunks.append(doc.text)
            line += doc.text.count("\n") + 1  # +1 for the `---` separator
            index += 1
        data = "---\n".join(chunks).encode()
        with open(os.path.join(args.out_dir, fname), "wb") as out:
            out.write(data)
        total_bytes += len(data)

    by_mistake = {m: 0 for m in MISTAKES}
    for d in invalid_docs:
        by_mistake[d["mistake"]] += 1
    expected = {
        "generator": "scripts/gen-corpus.py",
        "seed": args.seed,
        "files": args.files,
        "documents": args.docs,
        "bytes": total_bytes,
        "kinds": dict(sorted(kind_counts.items())),
        "invalid": len(invalid_docs),
        # Only the mistakes a plain JSON-schema validator can see (see MISTAKES).
        "invalid_schema_only": sum(n for m, n in by_mistake.items() if MISTAKES[m]["schema"]),
        "by_mistake": by_mistake,
        "mistakes": MISTAKES,
        "invalid_documents": invalid_docs,
    }
    # Note: validators that walk a directory for *.json too (kplan, kubeconform) would read this
    # file as a manifest, so benchmarks pass them OUT_DIR/part-*.yaml rather than OUT_DIR.
    with open(os.path.join(args.out_dir, "expected.json"), "w") as out:
        json.dump(expected, out, indent=1)
        out.write("\n")
    print(f"gen-corpus: {args.docs} documents in {args.files} files, {total_bytes / 1e6:.2f} MB, "
          f"{len(invalid_docs)} invalid -> {args.out_dir}", file=sys.stderr)


if __name__ == "__main__":
    main()
