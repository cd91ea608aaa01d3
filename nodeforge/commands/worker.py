"""``nodeforge worker --nats URL``: take build and node-test jobs from the editors'
servers (see :mod:`nodeforge.worker.runner` and ``docs/scale-out.md``)."""

from __future__ import annotations

import argparse
import sys


def run(args: argparse.Namespace) -> int:
    from nodeforge.sandbox.runner import unavailable_reason
    from nodeforge.server.main import setup_logging
    from nodeforge.worker.protocol import JobError
    from nodeforge.worker.runner import WorkerConfig, run_worker

    setup_logging(args.log_file)
    if args.jobs < 1 or args.max_deliver < 1 or args.ack_wait <= 0:
        print(
            "nodeforge worker: --jobs, --max-deliver and --ack-wait must be positive",
            file=sys.stderr,
        )
        return 2
    if args.keep_workspaces < 0:
        print("nodeforge worker: --keep-workspaces must be 0 or more", file=sys.stderr)
        return 2
    reason = unavailable_reason()
    if reason is not None:  # workers run untrusted node code: only ever in the sandbox
        print(f"nodeforge worker: the sandbox is unavailable here: {reason}", file=sys.stderr)
        return 2
    config = WorkerConfig(
        url=args.nats,
        name=args.name,
        jobs=args.jobs,
        ack_wait=args.ack_wait,
        max_deliver=args.max_deliver,
        work_dir=args.work_dir,
        keep_workspaces=args.keep_workspaces,
    )
    try:
        return run_worker(config)
    except JobError as exc:
        print(f"nodeforge worker: {exc}", file=sys.stderr)
        return 2
