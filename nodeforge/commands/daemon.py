"""``nodeforge daemon start|status|stop``: the daemon of :mod:`nodeforge.daemon`, by hand.

``start`` starts the one for this interpreter and settings (the one the console script
would use) and waits until it answers; ``status`` lists this user's daemons; ``stop`` asks
each of them to exit.
"""

from __future__ import annotations

import argparse
import sys
import time

from nodeforge import daemon, launch

START_TIMEOUT = 60.0


def run(args: argparse.Namespace) -> int:
    folder = launch.runtime_dir()
    if folder is None:
        print(
            "nodeforge daemon: no private folder for the daemon's socket "
            "(NODEFORGE_DAEMON_DIR, $XDG_RUNTIME_DIR/nodeforge or /tmp/nodeforge-UID must be "
            "a folder of this user's alone)",
            file=sys.stderr,
        )
        return 2
    if args.action == "stop":
        for pid in daemon.stop_all(folder):
            print(f"stopped the daemon of process {pid}")
        return 0
    if args.action == "status":
        found = daemon.status_all(folder)
        for one in found:
            print(
                f"process {one['pid']}: {one['served']} commands served, idle "
                f"{one['idle_s']:.0f} s of {one['idle_limit_s']:.0f} s, {one['socket']}"
            )
        if not found:
            print("no daemon is running")
        return 0
    path = launch.socket_path(folder, launch.identity())
    state = daemon.ping(path)
    if state is None:
        launch.start_daemon(path)
    deadline = time.monotonic() + START_TIMEOUT
    while state is None:
        if time.monotonic() > deadline:
            print(
                f"nodeforge daemon: no answer on {path} after {START_TIMEOUT:.0f} s",
                file=sys.stderr,
            )
            return 1
        time.sleep(0.05)
        state = daemon.ping(path)
    print(f"daemon of process {state['pid']} is serving on {path}")
    return 0
