"""Watch mode: re-check, regenerate, rebuild and restart the app when sources change.

Sources are flow files, ``nodeforge.toml``, custom nodes (``nodes/**``: manifests and Go
code) and connector schemas (``db/*.sql``). Changes are debounced; a build only rewrites
generated files whose bytes changed, so Go recompiles just what the edit touched. A build
that fails keeps the last good app running and reports why; a good build replaces it
(SIGTERM, drain, start the new binary).
"""

from __future__ import annotations

import signal
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from watchfiles import Change, watch

from nodeforge.analysis.workspace import find_root
from nodeforge.sandbox.goprogress import BuildProgress

from .build import BuildResult, app_environment, build

__all__ = ["Watcher", "is_source"]


def is_source(change: Change, path: str) -> bool:
    """Whether a changed path is a build input (generated output and state are not)."""
    parts = Path(path).parts
    if ".nodeforge" in parts or any(p.startswith(".") and p != "." for p in parts[-1:]):
        return False
    name = parts[-1] if parts else ""
    if name.endswith(".flow.json") or name == "nodeforge.toml":
        return True
    if "nodes" in parts and (name.endswith(".go") or name.endswith(".json")):
        return True
    return "db" in parts and name.endswith(".sql")


@dataclass
class Watcher:
    path: Path
    addr: str = "127.0.0.1:8080"
    run_app: bool = True
    debounce_ms: int = 200
    report: Callable[[str], None] = print
    on_build: Callable[[BuildResult], None] | None = None
    stop_event: threading.Event = field(default_factory=threading.Event)
    proc: subprocess.Popen[bytes] | None = None
    last_good: BuildResult | None = None
    builds: int = 0
    # Compile user code unconfined where the sandbox is unavailable (command line only).
    unsafe_no_sandbox: bool = False
    debug: bool = False  # keep symbols (release builds are stripped)

    def rebuild(self) -> BuildResult:
        shown = [0.0]

        def progress(state: BuildProgress) -> None:
            # A long build (a cold cache) says where it is every 2 s; a quick one is quiet.
            if not state.done and state.elapsed - shown[0] >= 2.0:
                shown[0] = state.elapsed
                self.report(state.message())

        result = build(
            self.path, unsafe_no_sandbox=self.unsafe_no_sandbox, debug=self.debug, progress=progress
        )
        self.builds += 1
        if self.on_build is not None:
            self.on_build(result)
        if not result.ok:
            errors = [f"{rel}: {d.message}" for rel, ds in result.diagnostics.items() for d in ds]
            kept = " (the previous app keeps running)" if self.proc is not None else ""
            self.report(f"build failed{kept}:\n  " + "\n  ".join(errors or [result.output]))
            return result
        changed = len(result.written)
        self.report(f"built in {result.seconds:.2f}s ({changed} generated files changed)")
        if self.run_app and (changed or self.proc is None or self.proc.poll() is not None):
            self.restart(result)
        self.last_good = result
        return result

    def restart(self, result: BuildResult) -> None:
        assert result.binary is not None
        self.stop_app()
        env = app_environment(result.root, result.connectors)
        env["NODEFORGE_ADDR"] = self.addr
        self.proc = subprocess.Popen([str(result.binary)], env=env)
        self.report(f"app started (pid {self.proc.pid}) on {self.addr}")

    def stop_app(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def run(self) -> None:
        """Build, start, then rebuild on every debounced batch of source changes."""
        # A single flow is watched with its workspace: the flows it calls (flow/subflow)
        # and nodeforge.toml are build inputs too.
        folder = self.path if self.path.is_dir() else self.path.parent
        root = find_root(folder) or folder
        self.rebuild()
        try:
            for changes in watch(
                root,
                watch_filter=is_source,
                debounce=self.debounce_ms,
                stop_event=self.stop_event,
                raise_interrupt=False,
            ):
                names = sorted({Path(p).name for _, p in changes})
                self.report(f"changed: {', '.join(names)}")
                self.rebuild()
        finally:
            self.stop_app()
