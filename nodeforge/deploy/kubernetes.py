"""``nodeforge deploy kubernetes``: a container image recipe and Kubernetes manifests for
a workspace's app.

What is written (``DIR``)::

    src/                  the generated Go module (as `nodeforge generate`)
    db/                   the workspace's db/*.sql schemas, if any
    Dockerfile            a static binary built in golang:<version>, run on
                          gcr.io/distroless/static-debian12:nonroot (uid 65532)
    .dockerignore
    kubernetes/
      configmap.yaml      log level, drain and shutdown timings, OpenTelemetry (OTLP) settings
      deployment.yaml     probes on /healthz (liveness) and /readyz (readiness), resources,
                          non-root, read-only root file system, connector settings from
                          the Secret <app>-connectors (by name: envFrom)
      service.yaml        ClusterIP, port 80 -> the app's 8080
      hpa.yaml            autoscaling/v2 on CPU
      pdb.yaml            a PodDisruptionBudget (at least one replica stays up)
    connectors.env.example   the names of the variables the Secret must hold, no values

Connector values never enter these files: ``nodeforge connector env`` writes them to a
0600 file from which ``kubectl create secret generic <app>-connectors --from-env-file``
makes the Secret.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nodeforge.codegen.module import GeneratedModule, catalog_dir
from nodeforge.project.connectors import SETTING_PREFIX

from .yamltext import dump

__all__ = ["RUNTIME_KEYS", "KubernetesOptions", "manifests", "write"]

#: The environment keys each connector type's runtime reads (catalog/nf and executors),
#: listed by name in connectors.env.example.
RUNTIME_KEYS: dict[str, tuple[str, ...]] = {
    "postgres": ("DSN", "SCHEMA"),
    "sqlite": ("PATH", "SCHEMA"),
    "smtp": ("HOST", "PORT", "USERNAME", "PASSWORD", "FROM", "SECURITY"),
    "http": ("URL", "API_KEY", "HEADER", "SCHEME"),
    "whatsapp": ("URL", "PHONE_NUMBER_ID", "TOKEN"),
    "llm": ("PROVIDER", "URL", "MODEL", "API_KEY", "API_VERSION"),
    "nats": ("URL", "USER", "PASSWORD", "TOKEN", "CREDS", "TLS_CA", "TLS_CERT", "TLS_KEY", "TLS"),
}

DISTROLESS = "gcr.io/distroless/static-debian12:nonroot"
NONROOT_UID = 65532
PORT = 8080


@dataclass(frozen=True)
class KubernetesOptions:
    image: str = ""  # default: <project>:latest
    namespace: str = ""
    replicas: int = 2
    max_replicas: int = 10
    cpu_target: int = 70  # percent of the request
    cpu_request: str = "100m"
    memory_request: str = "64Mi"
    memory_limit: str = "256Mi"
    otlp_endpoint: str = ""
    drain_delay: int = 5  # seconds not ready before the listener closes
    shutdown_timeout: int = 20  # seconds to finish in-flight work


def _name(project: str) -> str:
    """A DNS-1123 label from the project name."""
    clean = re.sub(r"[^a-z0-9-]+", "-", project.lower()).strip("-")[:53]
    return clean or "app"


def _go_version() -> str:
    text = (catalog_dir() / "go.mod").read_text()
    m = re.search(r"^go (\d+\.\d+)", text, flags=re.M)
    return m.group(1) if m else "1.26"


def dockerfile(project: str, has_db: bool) -> str:
    """A two-stage build: the module compiled in the Go image (static, trimmed paths;
    SQLite's C code through cgo with the Go image's gcc, the settings of
    :mod:`nodeforge.sandbox.goflags`), the binary alone on distroless as uid 65532."""
    from nodeforge.sandbox.goflags import BUILD_TAGS, link_flags

    lines = [
        f"# The app of the Nodeforge project {project!r}: a static binary on distroless.",
        "# Written by `nodeforge deploy kubernetes`; rewrite it by running that again.",
        f"FROM golang:{_go_version()} AS build",
        "WORKDIR /src",
        "COPY src/ ./",
        "RUN CGO_ENABLED=1 CGO_CFLAGS=-Os GOTOOLCHAIN=local go build -trimpath"
        f" -tags={BUILD_TAGS} -ldflags='{link_flags()}' -o /out/app .",
        "",
        f"FROM {DISTROLESS}",
        "COPY --from=build /out/app /app",
    ]
    if has_db:
        lines.append("COPY db/ /etc/nodeforge/db/")
    lines += [
        f"USER {NONROOT_UID}:{NONROOT_UID}",
        "WORKDIR /data",
        f"EXPOSE {PORT}",
        'ENTRYPOINT ["/app"]',
        "",
    ]
    return "\n".join(lines)


def manifests(
    project: str,
    connectors: dict[str, str],
    schemas: list[str],
    opts: KubernetesOptions,
) -> dict[str, dict[str, Any]]:
    """The manifests by file name. ``connectors``: the app's connectors (name -> type);
    ``schemas``: connector names with a db/<name>.sql schema baked into the image."""
    name = _name(project)
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/managed-by": "nodeforge"}
    meta: dict[str, Any] = {"name": name, "labels": labels}
    if opts.namespace:
        meta["namespace"] = opts.namespace
    config_name, secret_name = f"{name}-config", f"{name}-connectors"
    config: dict[str, str] = {
        "NODEFORGE_LOG_LEVEL": "info",
        "NODEFORGE_LOG_FORMAT": "json",
        "NODEFORGE_DRAIN_DELAY": f"{opts.drain_delay}s",
        "NODEFORGE_SHUTDOWN_TIMEOUT": f"{opts.shutdown_timeout}s",
        "OTEL_SERVICE_NAME": name,
    }
    if opts.otlp_endpoint:
        config["OTEL_EXPORTER_OTLP_ENDPOINT"] = opts.otlp_endpoint
        config["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf"
    for connector in schemas:
        config[f"{SETTING_PREFIX}{connector.upper()}_SCHEMA"] = f"/etc/nodeforge/db/{connector}.sql"
    env: list[dict[str, Any]] = [
        {"name": "NODEFORGE_ADDR", "value": f":{PORT}"},
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
    ]
    env_from: list[dict[str, Any]] = [{"configMapRef": {"name": config_name}}]
    if connectors:
        env_from.append({"secretRef": {"name": secret_name}})
    probe_common = {"timeoutSeconds": 2}
    container = {
        "name": "app",
        "image": opts.image or f"{name}:latest",
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        "env": env,
        "envFrom": env_from,
        "livenessProbe": {
            "httpGet": {"path": "/healthz", "port": "http"},
            "periodSeconds": 10,
            "failureThreshold": 3,
            **probe_common,
        },
        "readinessProbe": {
            "httpGet": {"path": "/readyz", "port": "http"},
            "periodSeconds": 2,
            "failureThreshold": 2,
            **probe_common,
        },
        "startupProbe": {
            "httpGet": {"path": "/healthz", "port": "http"},
            "periodSeconds": 1,
            "failureThreshold": 30,
            **probe_common,
        },
        "resources": {
            "requests": {"cpu": opts.cpu_request, "memory": opts.memory_request},
            "limits": {"memory": opts.memory_limit},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [
            {"name": "data", "mountPath": "/data"},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "replicas": opts.replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
            },
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    # The drain delay, then the in-flight work, then a margin.
                    "terminationGracePeriodSeconds": opts.drain_delay + opts.shutdown_timeout + 5,
                    "automountServiceAccountToken": False,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": NONROOT_UID,
                        "runAsGroup": NONROOT_UID,
                        "fsGroup": NONROOT_UID,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [container],
                    "volumes": [
                        {"name": "data", "emptyDir": {}},
                        {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
                    ],
                },
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta,
        "spec": {
            "type": "ClusterIP",
            "selector": {"app.kubernetes.io/name": name},
            "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
        },
    }
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": meta,
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": opts.replicas,
            "maxReplicas": max(opts.max_replicas, opts.replicas),
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": opts.cpu_target},
                    },
                }
            ],
        },
    }
    pdb = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": meta,
        "spec": {
            "minAvailable": 1,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
        },
    }
    configmap = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {**meta, "name": config_name},
        "data": config,
    }
    return {
        "configmap.yaml": configmap,
        "deployment.yaml": deployment,
        "service.yaml": service,
        "hpa.yaml": hpa,
        "pdb.yaml": pdb,
    }


def env_example(project: str, connectors: dict[str, str]) -> str:
    """The Secret's variable names (no values) and how to make it."""
    name = _name(project)
    lines = [
        f"# The Secret {name}-connectors holds the connectors' settings: names below, values",
        "# never in these files. Make it from the encrypted connector store:",
        f"#   nodeforge connector env -o {name}.env   (a 0600 file)",
        f"#   kubectl create secret generic {name}-connectors --from-env-file={name}.env",
        "# Settings the app does not need may be left out. OTLP headers with credentials",
        "# (OTEL_EXPORTER_OTLP_HEADERS) belong here too.",
    ]
    for connector, kind in sorted(connectors.items()):
        lines.append(f"# {connector} ({kind})")
        for key in RUNTIME_KEYS.get(kind, ()):
            lines.append(f"{SETTING_PREFIX}{connector.upper()}_{key}=")
    return "\n".join(lines) + "\n"


def write(
    out: Path,
    root: Path | None,
    module: GeneratedModule,
    connectors: dict[str, str],
    opts: KubernetesOptions,
) -> list[Path]:
    """Write the artefacts under ``out``; returns the files written (the module's
    sources are under ``out/src``, written by the caller)."""
    written: list[Path] = []

    def put(rel: str, text: str) -> None:
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)

    schemas: list[str] = []
    db = root / "db" if root is not None else None
    if db is not None and db.is_dir():
        for name in sorted(connectors):
            sql = db / f"{name}.sql"
            if sql.is_file() and not sql.is_symlink():
                (out / "db").mkdir(parents=True, exist_ok=True)
                shutil.copyfile(sql, out / "db" / sql.name)
                written.append(out / "db" / sql.name)
                schemas.append(name)
    put("Dockerfile", dockerfile(module.project, bool(schemas)))
    put(".dockerignore", "*\n!src/\n!db/\n")
    for file_name, doc in manifests(module.project, connectors, schemas, opts).items():
        put(f"kubernetes/{file_name}", dump(doc))
    put("connectors.env.example", env_example(module.project, connectors))
    return written
