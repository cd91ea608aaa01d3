"""``nodeforge watch PATH``: rebuild and restart the app whenever a source changes."""

from __future__ import annotations

import argparse
import signal
import sys

from nodeforge.codegen.watch import Watcher


def run(args: argparse.Namespace) -> int:
    def report(message: str) -> None:
        print(f"[nodeforge watch] {message}", file=sys.stderr, flush=True)

    watcher = Watcher(
        args.path,
        addr=args.addr,
        run_app=not args.no_run,
        debounce_ms=args.debounce_ms,
        report=report,
        unsafe_no_sandbox=args.unsafe_no_sandbox,
        debug=args.debug,
    )
    signal.signal(signal.SIGTERM, lambda *_: watcher.stop_event.set())
    try:
        watcher.run()
    except KeyboardInterrupt:
        watcher.stop_app()
    return 0
