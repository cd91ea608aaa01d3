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
    _add_build_parsers(sub)
    return parser


def _add_build_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Code generation and builds: generate, build, run, test, watch (docs/codegen.md)."""
    fmt_choices = ("text", "json", "sarif", "github")

    generate = sub.add_parser("generate", help="write the Go module of a flow or workspace")
    generate.add_argument("path", type=Path, help="a flow file or a workspace folder")
    generate.add_argument(
        "--output", "-o", type=Path, help="module folder (default: .nodeforge/gen/)"
    )
    generate.add_argument("--format", choices=fmt_choices, default="text")
    generate.set_defaults(handler=_lazy("nodeforge.commands.generate", "run"))

    build = sub.add_parser("build", help="compile a flow or workspace to one binary")
    build.add_argument("path", type=Path, help="a flow file or a workspace folder")
    build.add_argument(
        "--output", "-o", type=Path, help="the binary (default: .nodeforge/bin/<project>)"
    )
    build.add_argument("--out-dir", type=Path, help="module folder (default: .nodeforge/gen/)")
    build.add_argument("--format", choices=fmt_choices, default="text")
    build.add_argument("--json", action="store_true", help="print the build result as JSON")
    build.set_defaults(handler=_lazy("nodeforge.commands.build", "run"))

    run = sub.add_parser("run", help="build and start the app (HTTP triggers, schedules)")
    run.add_argument("path", type=Path, nargs="?", default=Path("."), help="workspace or flow")
    run.add_argument("--addr", default="127.0.0.1:8080", help="listen address (NODEFORGE_ADDR)")
    run.add_argument("app_args", nargs=argparse.REMAINDER, help="arguments for the app")
    run.set_defaults(handler=_lazy("nodeforge.commands.run_app", "run"))

    test = sub.add_parser("test", help="run the flows' tests against the compiled app")
    test.add_argument("path", type=Path, nargs="?", default=Path("."), help="workspace or flow")
    test.add_argument("-k", help="only tests whose name contains this")
    test.add_argument("--json", action="store_true")
    test.set_defaults(handler=_lazy("nodeforge.commands.test_flows", "run"))

    watch = sub.add_parser("watch", help="rebuild and restart the app when flows change")
    watch.add_argument("path", type=Path, nargs="?", default=Path("."), help="workspace or flow")
    watch.add_argument("--addr", default="127.0.0.1:8080", help="listen address (NODEFORGE_ADDR)")
    watch.add_argument("--no-run", action="store_true", help="only rebuild, do not run the app")
    watch.add_argument("--debounce-ms", type=int, default=200)
    watch.set_defaults(handler=_lazy("nodeforge.commands.watch", "run"))


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
