"""``nodeforge deploy kubernetes [WORKSPACE] -o DIR``: the generated module, a Dockerfile
and Kubernetes manifests for the workspace's app (docs/scale-out.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nodeforge.analysis.catalog import CatalogError
from nodeforge.analysis.workspace import WorkspaceError, find_root, load_workspace
from nodeforge.codegen.build import generate
from nodeforge.codegen.expr_go import CodegenError
from nodeforge.commands.generate import print_diagnostics
from nodeforge.deploy.kubernetes import KubernetesOptions, write


def run(args: argparse.Namespace) -> int:
    path = Path(args.path or ".").resolve()
    root = find_root(path) if path.is_dir() else find_root(path.parent)
    if root is None:
        print(f"nodeforge deploy: no nodeforge.toml at or above {path}", file=sys.stderr)
        return 2
    if args.replicas < 1 or args.max_replicas < args.replicas:
        print("nodeforge deploy: want 1 <= --replicas <= --max-replicas", file=sys.stderr)
        return 2
    out: Path = args.output
    try:
        result = generate(path, out / "src")
        ws = load_workspace(root)
    except (OSError, CatalogError, WorkspaceError, CodegenError) as exc:
        print(f"nodeforge deploy: {exc}", file=sys.stderr)
        return 2
    if not result.ok or result.module is None:
        print_diagnostics(result, "text")
        return 1
    opts = KubernetesOptions(
        image=args.image or "",
        namespace=args.namespace or "",
        replicas=args.replicas,
        max_replicas=args.max_replicas,
        otlp_endpoint=args.otlp_endpoint or "",
    )
    connectors = dict(ws.connectors)
    written = write(out, root, result.module, connectors, opts)
    print(f"wrote {out}/src (the Go module) and {len(written)} files:")
    for p in written:
        print(f"  {p.relative_to(out).as_posix()}")
    sqlite = sorted(n for n, k in connectors.items() if k == "sqlite")
    if sqlite and args.replicas > 1:
        print(
            f"warning: SQLite connectors ({', '.join(sqlite)}) live in each pod's own "
            "emptyDir: replicas do not share them; use postgres for shared data",
            file=sys.stderr,
        )
    return 0
