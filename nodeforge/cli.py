"""The ``nodeforge`` command line: one entry point, one sub-command per job.

Exit codes (all sub-commands): 0 success, 1 problems found (or the job failed),
2 usage or internal error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from nodeforge import __version__

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nodeforge",
        description="Language server and flow compiler for node-based software builders.",
    )
    parser.add_argument("--version", action="version", version=f"nodeforge {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="check flow files (for CI)")
    check.add_argument("paths", nargs="+", type=Path, help="flow files or folders (recursive)")
    check.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text")
    check.add_argument(
        "--severity",
        choices=("error", "warning", "info", "hint"),
        default="hint",
        help="report only diagnostics at least this severe (default: hint, i.e. all)",
    )
    check.add_argument("--output", "-o", type=Path, help="write the report to a file")
    check.set_defaults(handler=_lazy("nodeforge.commands.check", "run"))

    lsp = sub.add_parser("lsp", help="run the language server")
    transport = lsp.add_mutually_exclusive_group()
    transport.add_argument("--stdio", action="store_true", help="speak LSP on stdin/stdout")
    transport.add_argument("--tcp", metavar="HOST:PORT", help="listen for one TCP client")
    transport.add_argument("--ws", metavar="HOST:PORT", help="WebSocket gateway, many clients")
    lsp.add_argument("--token", help="WebSocket token (or NODEFORGE_WS_TOKEN)")
    lsp.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="allowed WebSocket Origin (repeatable; default: none sent or localhost)",
    )
    lsp.add_argument("--max-message-bytes", type=int, default=16 * 1024 * 1024)
    lsp.add_argument("--log-file", type=Path)
    lsp.set_defaults(handler=_lazy("nodeforge.server.main", "run"))

    docs = sub.add_parser("schema", help="print the flow file JSON Schema")
    docs.set_defaults(handler=_lazy("nodeforge.commands.check", "print_schema"))
    return parser


def _lazy(module: str, name: str) -> Handler:
    """Import a sub-command's module only when it runs, so start-up stays fast."""

    def handler(args: argparse.Namespace) -> int:
        import importlib

        run: Handler = getattr(importlib.import_module(module), name)
        return run(args)

    return handler


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        code: int = args.handler(args)
        return code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        print(f"nodeforge: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_USAGE
