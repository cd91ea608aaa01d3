"""``nodeforge run PATH``: build the project and start its app in the foreground.

SQLite connectors get a file under ``.nodeforge/data/`` (created from ``db/<name>.sql``
when the workspace has one); other connector settings come from the environment
(``NODEFORGE_CONNECTOR_<NAME>_<KEY>``). The app gets the settings of the connectors its
flows use and never the connector key (``codegen.build.app_environment``). Ctrl-C stops
the app gracefully.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys

from nodeforge.analysis.catalog import CatalogError
from nodeforge.analysis.workspace import WorkspaceError
from nodeforge.codegen.build import BuildResult, app_environment, build
from nodeforge.project.fsutil import ProjectError

from .generate import _display, print_diagnostics, progress_printer


def run(args: argparse.Namespace) -> int:
    try:
        result = build(
            args.path,
            unsafe_no_sandbox=args.unsafe_no_sandbox,
            debug=args.debug,
            progress=progress_printer("run"),
        )
    except (OSError, CatalogError, WorkspaceError) as exc:
        print(f"nodeforge run: {exc}", file=sys.stderr)
        return 2
    if not result.ok or result.binary is None:
        print_diagnostics(result)
        return 1
    try:
        env = app_environment(result.root, result.connectors)
    except ProjectError as exc:  # e.g. stored connectors but no key to decrypt them
        print(f"nodeforge run: {exc}", file=sys.stderr)
        return 2
    env.setdefault("NODEFORGE_ADDR", args.addr)
    print(f"built {_display(result.binary)} in {result.seconds:.1f}s", file=sys.stderr)
    routes = _routes(result)
    host = env["NODEFORGE_ADDR"]
    if host.startswith(":"):
        host = "127.0.0.1" + host
    for method, path in routes:
        print(f"  {method} http://{host}{path}", file=sys.stderr)
    proc = subprocess.Popen([str(result.binary)], env=env)
    signal.signal(signal.SIGTERM, lambda *_: proc.send_signal(signal.SIGTERM))
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGTERM)
        return proc.wait()


def _routes(result: BuildResult) -> list[tuple[str, str]]:
    routes: list[tuple[str, str]] = []
    for flow in result.flows.values():
        try:
            data = json.loads(flow.text)
        except ValueError:
            continue
        for node in data.get("nodes", []):
            if node.get("type") == "http/trigger":
                cfg = node.get("config", {})
                routes.append((str(cfg.get("method", "GET")), str(cfg.get("path", "/"))))
    return sorted(routes, key=lambda r: (r[1], r[0]))
