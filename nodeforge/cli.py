"""The ``nodeforge`` command line: one entry point, one sub-command per job.

Exit codes (all sub-commands): 0 success, 1 problems found (or the job failed),
2 usage or internal error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from nodeforge import __version__
from nodeforge.commands.paths import arg

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2

Handler = Callable[[argparse.Namespace], int]


class _Skipped:
    """The parser of a sub-command that is not built: whatever is asked of it (adding
    arguments, groups, nested sub-commands, defaults; reading their choices) is itself,
    taken and dropped, and it holds nothing."""

    def __getattr__(self, name: str) -> Any:
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self

    def __iter__(self) -> Iterator[Any]:
        return iter(())


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; with ``only``, just that sub-command's parser is built
    (building all of them is ~10 ms of every start), or all if there is none of that name."""
    parser = argparse.ArgumentParser(
        prog="nodeforge",
        description="Language server and flow compiler for node-based software builders.",
    )
    parser.add_argument("--version", action="version", version=f"nodeforge {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    if only is not None:
        add_parser = sub.add_parser

        def add_only(name: str, **kwargs: Any) -> Any:
            return add_parser(name, **kwargs) if name == only else _Skipped()

        sub.add_parser = add_only  # type: ignore[method-assign]

    check = sub.add_parser("check", help="check flow files (for CI)")
    check.add_argument(
        "paths", nargs="+", type=arg("flows"), help="flow files or folders (recursive)"
    )
    check.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text")
    check.add_argument(
        "--severity",
        choices=("error", "warning", "info", "hint"),
        default="hint",
        help="report only diagnostics at least this severe (default: hint, i.e. all)",
    )
    check.add_argument("--output", "-o", type=arg("output_file"), help="write the report to a file")
    check.set_defaults(handler=_lazy("nodeforge.commands.check", "run"))

    lsp = sub.add_parser("lsp", help="run the language server")
    transport = lsp.add_mutually_exclusive_group()
    transport.add_argument("--stdio", action="store_true", help="speak LSP on stdin/stdout")
    transport.add_argument(
        "--tcp",
        metavar="HOST:PORT",
        help="listen for TCP clients (no authentication: loopback only, never as root)",
    )
    transport.add_argument("--ws", metavar="HOST:PORT", help="WebSocket gateway, many clients")
    token = lsp.add_mutually_exclusive_group()
    token.add_argument(
        "--token-file",
        type=arg("file"),
        metavar="PATH",
        help="read the WebSocket token from PATH (mode 600)",
    )
    token.add_argument(
        "--token",
        help="WebSocket token (visible to other users in the process list: prefer "
        "--token-file or NODEFORGE_WS_TOKEN); without any, one is generated and printed",
    )
    token.add_argument(
        "--no-token",
        action="store_true",
        help="WebSocket gateway without a token: loopback only, refused as root",
    )
    lsp.add_argument(
        "--base",
        type=arg("folder"),
        metavar="DIR",
        help="--ws/--tcp: clients reach only paths inside DIR (default: the working directory)",
    )
    lsp.add_argument(
        "--allow-remote-tcp",
        action="store_true",
        help="let --tcp bind a non-loopback address (anyone reaching it acts as you)",
    )
    lsp.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="allowed WebSocket Origin (repeatable; default: none sent or localhost)",
    )
    token.add_argument(
        "--auth-config",
        type=arg("file"),
        metavar="FILE",
        help="--ws: JWT bearer tokens, users confined to their roots, per-user limits "
        "(TOML; docs/scale-out.md)",
    )
    lsp.add_argument(
        "--workers",
        metavar="NATS_URL",
        help="--ws: send builds and node tests to `nodeforge worker` processes "
        "through NATS JetStream (docs/scale-out.md)",
    )
    lsp.add_argument("--max-message-bytes", type=int, default=16 * 1024 * 1024)
    lsp.add_argument("--log-file", type=arg("output_file"))
    lsp.set_defaults(handler=_lazy("nodeforge.server.main", "run"))

    worker = sub.add_parser(
        "worker", help="run builds and node tests for editors' servers (docs/scale-out.md)"
    )
    worker.add_argument("--nats", required=True, metavar="URL", help="the NATS server (JetStream)")
    worker.add_argument("--name", default="", help="this worker's name (default: host-pid)")
    worker.add_argument("--jobs", type=int, default=1, help="jobs run at once (default 1)")
    worker.add_argument(
        "--ack-wait",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="a job whose worker is silent this long goes to another (default 30)",
    )
    worker.add_argument(
        "--max-deliver",
        type=int,
        default=3,
        metavar="N",
        help="deliveries of one job before it is given up (default 3)",
    )
    worker.add_argument(
        "--work-dir",
        type=arg("output_folder"),
        metavar="DIR",
        help="where workspaces are kept between jobs (default: the cache folder)",
    )
    worker.add_argument(
        "--keep-workspaces",
        type=int,
        default=16,
        metavar="N",
        help="workspace folders kept for incremental rebuilds, least recently used "
        "removed first (default 16; 0: a fresh folder per job)",
    )
    worker.add_argument("--log-file", type=arg("output_file"))
    worker.set_defaults(handler=_lazy("nodeforge.commands.worker", "run"))

    serve = sub.add_parser(
        "serve", help="the web editor and its language server on one port (docs/web-editor.md)"
    )
    serve.add_argument(
        "workspace",
        nargs="?",
        type=arg("folder"),
        metavar="WORKSPACE",
        help="the folder to edit; clients reach nothing outside it (default: here)",
    )
    serve.add_argument(
        "--addr", default="127.0.0.1:8765", metavar="HOST:PORT", help="default 127.0.0.1:8765"
    )
    serve_token = serve.add_mutually_exclusive_group()
    serve_token.add_argument(
        "--token-file", type=arg("file"), metavar="PATH", help="token file (600)"
    )
    serve_token.add_argument("--token", help="the token (prefer --token-file)")
    serve_token.add_argument(
        "--no-token", action="store_true", help="no token: loopback only, refused as root"
    )
    serve.add_argument("--allow-origin", action="append", default=[], metavar="ORIGIN")
    serve.add_argument(
        "--web-root", type=arg("folder"), metavar="DIR", help="serve another build of the page"
    )
    serve.add_argument("--max-message-bytes", type=int, default=16 * 1024 * 1024)
    serve.add_argument("--log-file", type=arg("output_file"))
    serve.set_defaults(handler=_lazy("nodeforge.commands.serve", "run"))

    dap = sub.add_parser(
        "dap", help="run the debug adapter (DAP on stdin/stdout; docs/debugging.md)"
    )
    dap.add_argument("--log-file", type=arg("output_file"), help="write the adapter's own log here")
    dap.set_defaults(handler=_lazy("nodeforge.server.dap.adapter", "run"))

    daemon = sub.add_parser(
        "daemon",
        help="the warm process that runs `check` and `generate` for the console script",
        description="`nodeforge check` and `nodeforge generate` hand their work to a daemon "
        "that has the analysis imported and warm, started by the first of them (off when "
        "NODEFORGE_DAEMON=0, and in CI). See docs/cli.md.",
    )
    daemon.add_argument("action", choices=("start", "status", "stop"))
    daemon.set_defaults(handler=_lazy("nodeforge.commands.daemon", "run"))

    fmt = sub.add_parser("format", help="rewrite flow files in the canonical layout")
    fmt.add_argument(
        "paths", nargs="+", type=arg("flows"), help="flow files or folders (recursive)"
    )
    fmt.add_argument("--check", action="store_true", help="only report files that would change")
    fmt.set_defaults(handler=_lazy("nodeforge.commands.format", "run"))

    docs = sub.add_parser("schema", help="print the flow file JSON Schema")
    docs.add_argument(
        "--catalog",
        action="store_true",
        help="also check every node's config by its type and version (the installed "
        "catalog, plus the custom nodes of the workspace around the current folder)",
    )
    docs.add_argument(
        "--style",
        choices=("oneOf", "if-then"),
        default="oneOf",
        help="--catalog: one oneOf branch per type and version (default), or allOf "
        "if/then (errors reported on the config itself)",
    )
    docs.set_defaults(handler=_lazy("nodeforge.commands.check", "print_schema"))
    _add_project_parsers(sub)
    _add_build_parsers(sub)
    _add_dev_parsers(sub)
    _add_runs_parser(sub)
    _add_assist_parser(sub)
    if only is not None and only not in sub.choices:
        return build_parser()  # not a command: the full parser says so, and lists them
    return parser


def _add_assist_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The assistant: flows, adapters and node code from a model, checked (docs/llm.md)."""
    p = sub.add_parser("assist", help="flows, adapters and node code from the model, checked")
    p.add_argument("description", nargs="?", help="what to build or change")
    p.add_argument("-o", "--output", type=arg("output_file"), help="write the new flow here")
    p.add_argument("--flow", type=arg("file"), help="change this flow (shown as a diff)")
    p.add_argument(
        "--node",
        nargs=2,
        metavar=("FLOW", "NODE"),
        help="change the Go code of this code/go, forked or custom node (built and tested "
        "in the sandbox)",
    )
    p.add_argument(
        "--adapter",
        nargs=2,
        metavar=("FLOW", "INDEX"),
        help="a data/map adapter for the mismatched connection INDEX (0-based)",
    )
    p.add_argument(
        "--tests", type=arg("file"), help="--node: JSON list of {name, input, expect} tests"
    )
    p.add_argument("--apply", action="store_true", help="write the change (else only show it)")
    p.add_argument("--connector", help="the llm connector to use (default: see docs/llm.md)")
    p.add_argument(
        "--max-rounds", type=int, default=3, help="repair rounds at most (1-10, default 3)"
    )
    p.add_argument(
        "--show-prompt", action="store_true", help="print every request body sent (stderr)"
    )
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--workspace", "-w", type=arg("folder"), help="the workspace folder")
    p.set_defaults(handler=_lazy("nodeforge.commands.assist", "run"))


def _add_runs_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Execution records of built apps (docs/runs.md)."""
    runs = sub.add_parser("runs", help="executions recorded by the app: list, show, tail, replay")
    rsub = runs.add_subparsers(dest="runs_action", metavar="ACTION", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--path", type=arg("folder"), default=".", help="the workspace (default: here)"
        )
        p.add_argument(
            "--db", type=arg("file"), help="the records' SQLite file (default: the app's)"
        )
        p.add_argument("--connector", help="read the records from this connector's database")
        p.add_argument("--format", choices=("text", "json"), default="text")
        p.set_defaults(handler=_lazy("nodeforge.commands.runs", "run"))

    ls = rsub.add_parser("list", help="executions, newest first")
    ls.add_argument("--flow", help="only this flow (its id)")
    ls.add_argument("--status", choices=("running", "completed", "failed"))
    ls.add_argument("--since", help="started at or after: ISO time or age (2h, 7d)")
    ls.add_argument("--until", help="started before: ISO time or age")
    ls.add_argument("--limit", type=int, default=50)
    common(ls)
    show = rsub.add_parser("show", help="one execution node by node, with its data")
    show.add_argument("id", help="execution id (a unique prefix is enough)")
    common(show)
    tail = rsub.add_parser("tail", help="print executions as they finish")
    tail.add_argument("--flow")
    tail.add_argument("--status", choices=("completed", "failed"))
    tail.add_argument("--interval", type=float, default=0.5, help="seconds between polls")
    tail.add_argument("--back", type=float, default=0.0, help="also show the last N seconds")
    tail.add_argument("--count", type=int, default=0, help="stop after N executions")
    common(tail)
    delete = rsub.add_parser("delete", help="delete executions by age or count")
    delete.add_argument("--older-than", help="age: 30m, 12h, 7d, 2w")
    delete.add_argument("--keep", type=int, help="keep only the newest N")
    common(delete)
    to_test = rsub.add_parser("to-test", help="turn an execution into a flow test")
    to_test.add_argument("id", help="execution id")
    to_test.add_argument("--name", help="the test's name (default: replay of run ID)")
    common(to_test)


def _add_dev_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Development mode: flow simulation and sandboxed node tests (docs/sandbox.md)."""
    simulate = sub.add_parser("simulate", help="run a flow in the simulator, I/O mocked")
    simulate.add_argument("flow", type=arg("file"), help="the flow file")
    simulate.add_argument(
        "--input", "-i", type=arg("input"), help="JSON file: the trigger's data (- stdin)"
    )
    simulate.add_argument("--trigger", "-t", help="trigger node id (default: the first)")
    simulate.add_argument(
        "--fixtures", type=arg("input"), help="JSON file: node id -> pinned output (as `app run`)"
    )
    simulate.add_argument(
        "--env", type=arg("input"), help="JSON file: environment (default: this one)"
    )
    simulate.add_argument("--now", help="fixed time for now(), e.g. 2026-01-01T00:00:00Z")
    simulate.add_argument(
        "--run-code",
        action="store_true",
        help="run code/go nodes for real, in the sandbox (else they need fixtures)",
    )
    simulate.add_argument(
        "--replay",
        metavar="RUN_ID",
        help="input and I/O outputs from a recorded execution (docs/runs.md)",
    )
    simulate.add_argument("--db", help="with --replay: the records' SQLite file")
    simulate.add_argument("--connector", help="with --replay: the records' connector")
    simulate.add_argument("--format", choices=("text", "json"), default="text")
    simulate.set_defaults(handler=_lazy("nodeforge.commands.simulate", "run"))

    test_node = sub.add_parser("test-node", help="run one node's Go code in the sandbox")
    test_node.add_argument("flow", type=arg("file"), help="the flow file")
    test_node.add_argument("node", help="the node id (the first node of a segment)")
    test_node.add_argument("--to", metavar="NODE", help="test the segment up to this node")
    test_node.add_argument(
        "--env",
        type=arg("file"),
        help="JSON file: the environment inside the sandbox (default: none)",
    )
    test_node.add_argument(
        "--input", "-i", type=arg("input"), help="JSON file: the node's input (- stdin)"
    )
    test_node.add_argument(
        "--limit",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="sandbox limit, e.g. wall_seconds=5 (repeatable; see docs/sandbox.md)",
    )
    test_node.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="run the code WITHOUT the sandbox when it is unavailable (dangerous)",
    )
    test_node.add_argument("--format", choices=("text", "json"), default="text")
    test_node.set_defaults(handler=_lazy("nodeforge.commands.test_node", "run"))


def _add_project_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Projects: init, metadata, history, connectors, upgrades, forks (docs/projects.md)."""

    def workspace_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--workspace",
            "-w",
            type=arg("folder"),
            help="the workspace folder (default: found from here)",
        )

    init = sub.add_parser("init", help="create a workspace (nodeforge.toml, flows/, nodes/)")
    init.add_argument(
        "path", nargs="?", type=arg("output_folder"), default=".", help="folder (default: .)"
    )
    init.add_argument("--name", help="project name (default: the folder's name)")
    init.add_argument("--description", default="")
    init.add_argument("--owner", default="")
    init.add_argument("--example", action="store_true", help="add flows/hello.flow.json")
    init.set_defaults(handler=_lazy("nodeforge.commands.init", "run"))

    project = sub.add_parser("project", help="show or edit the project metadata")
    project.add_argument("action", nargs="?", choices=("show", "set"), default="show")
    project.add_argument("--name")
    project.add_argument("--description")
    project.add_argument("--owner")
    project.add_argument("--json", action="store_true")
    workspace_option(project)
    project.set_defaults(handler=_lazy("nodeforge.commands.project", "run"))

    save = sub.add_parser("save", help="record flows in the internal history")
    save.add_argument("flows", nargs="*", type=arg("file"), help="flow files (default: every flow)")
    save.add_argument("--message", "-m", help="what changed")
    save.add_argument("--json", action="store_true")
    workspace_option(save)
    save.set_defaults(handler=_lazy("nodeforge.commands.save", "run"))

    history = sub.add_parser("history", help="saved versions of a flow, newest first")
    history.add_argument(
        "flow", nargs="?", type=arg("tracked"), help="flow file (default: all saves)"
    )
    history.add_argument("--limit", "-n", type=int)
    history.add_argument("--json", action="store_true")
    workspace_option(history)
    history.set_defaults(handler=_lazy("nodeforge.commands.history", "run"))

    diff = sub.add_parser("diff", help="semantic and text diff of two versions of a flow")
    diff.add_argument("flow", type=arg("tracked"))
    diff.add_argument("a", nargs="?", help="revision: commit id or @N (default: @0, the newest)")
    diff.add_argument("b", nargs="?", help="revision (default: the file on disk)")
    diff.add_argument("--json", action="store_true")
    diff.add_argument("--no-text", action="store_true", help="only the semantic summary")
    workspace_option(diff)
    diff.set_defaults(handler=_lazy("nodeforge.commands.diff", "run"))

    restore = sub.add_parser("restore", help="bring back a saved version (as a new save)")
    restore.add_argument("flow", type=arg("tracked"))
    restore.add_argument("rev", help="commit id or @N")
    restore.add_argument(
        "--force", action="store_true", help="discard changes of the file that are not saved"
    )
    workspace_option(restore)
    restore.set_defaults(handler=_lazy("nodeforge.commands.restore", "run"))

    connector = sub.add_parser("connector", help="encrypted connector settings")
    csub = connector.add_subparsers(dest="connector_command", metavar="ACTION", required=True)
    cadd = csub.add_parser("add", help="add or replace a connector")
    cadd.add_argument("name")
    cadd.add_argument("--type", "-t", required=True, dest="kind")
    cadd.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="a setting (repeatable)"
    )
    cadd.add_argument(
        "--set-env",
        action="append",
        default=[],
        metavar="KEY=ENVVAR",
        help="a setting read from an environment variable (keeps secrets off the command line)",
    )
    cadd.add_argument(
        "--stdin", action="store_true", help="read settings as a JSON object from stdin"
    )
    cadd.add_argument("--replace", action="store_true", help="replace an existing connector")
    cadd.add_argument("--no-prompt", action="store_true", help="never ask for missing secrets")
    for name, help_ in (
        ("list", "list connectors"),
        ("show", "show a connector, secrets masked"),
        ("test", "connect with a connector's settings"),
        ("remove", "remove a connector"),
    ):
        p = csub.add_parser(name, help=help_)
        if name != "list":
            p.add_argument("name")
        if name in ("list", "show", "test"):
            p.add_argument("--json", action="store_true")
        if name == "test":
            p.add_argument("--timeout", type=float, default=10.0)
        if name == "remove":
            p.add_argument("--force", action="store_true", help="remove it even while flows use it")
    cenv = csub.add_parser("env", help="write connector settings for a built app (0600 file)")
    cenv.add_argument("names", nargs="*", help="connectors (default: all)")
    cenv.add_argument(
        "--output", "-o", type=arg("output_file"), required=True, help="file to write"
    )
    cenv.add_argument("--format", choices=("env", "json"), default="env")
    cexec = csub.add_parser("exec", help="run a built app with connector settings in its env")
    cexec.add_argument(
        "--connector",
        "-c",
        action="append",
        default=[],
        metavar="NAME",
        help="hand over this connector's settings (repeatable; default: those the flows use)",
    )
    cexec.add_argument("argv", nargs=argparse.REMAINDER, metavar="-- COMMAND [ARGS]")
    csub.add_parser("keygen", help="print a new random NODEFORGE_SECRET_KEY")
    csub.add_parser("types", help="connector types and their settings")
    for p in csub.choices.values():
        workspace_option(p)
    connector.set_defaults(handler=_lazy("nodeforge.commands.connector", "run"))

    upgrade = sub.add_parser("upgrade", help="upgrade node versions, applying config migrations")
    upgrade.add_argument(
        "flows", nargs="*", type=arg("file"), help="flow files (default: every flow)"
    )
    upgrade.add_argument("--to", metavar="VERSION", help="target version (needs one node type)")
    upgrade.add_argument("--type", dest="node_type", help="only nodes of this type")
    upgrade.add_argument("--node", action="append", default=[], help="only this node id")
    upgrade.add_argument("--dry-run", action="store_true", help="show the diff, write nothing")
    upgrade.add_argument(
        "--force",
        action="store_true",
        help="write even when the upgrade adds errors or a migration overwrites a value",
    )
    upgrade.add_argument("--json", action="store_true")
    workspace_option(upgrade)
    upgrade.set_defaults(handler=_lazy("nodeforge.commands.upgrade", "run"))

    fork = sub.add_parser("fork", help="copy a standard node into nodes/ to change it")
    fork.add_argument("node", nargs="?", metavar="TYPE@VERSION")
    fork.add_argument("--as", dest="as_name", metavar="NAME", help="new type or name")
    fork.add_argument("--status", action="store_true", help="list forks and newer bases")
    fork.add_argument("--json", action="store_true")
    workspace_option(fork)
    fork.set_defaults(handler=_lazy("nodeforge.commands.fork", "run"))

    node = sub.add_parser("node", help="node kits: scaffold one, test one (docs/writing-nodes.md)")
    nsub = node.add_subparsers(dest="node_command", metavar="ACTION", required=True)
    node_new = nsub.add_parser("new", help="scaffold a node kit in nodes/")
    node_new.add_argument("type", metavar="CATEGORY/NAME")
    node_new.add_argument("--version", default="1.0.0", help="the kit's version (1.0.0)")
    workspace_option(node_new)
    node_new.set_defaults(handler=_lazy("nodeforge.commands.node", "run_new"))
    node_test = nsub.add_parser(
        "test", help="check a kit: manifest, template, Go tests, examples (sim = executor)"
    )
    node_test.add_argument("kit", metavar="KIT", help="a kit folder, or TYPE[@VERSION]")
    node_test.add_argument(
        "--no-go-tests", action="store_true", help="skip go vet and go test of the executor"
    )
    node_test.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="also run a workspace kit's Go tests, unconfined (dangerous)",
    )
    node_test.add_argument("--format", choices=("text", "json"), default="text")
    node_test.set_defaults(handler=_lazy("nodeforge.commands.node", "run_test"))

    llm = sub.add_parser("llm", help="language-model usage and cost (docs/llm.md)")
    lsub = llm.add_subparsers(dest="llm_command", metavar="ACTION", required=True)
    usage = lsub.add_parser("usage", help="tokens and estimated cost per day, feature and model")
    usage.add_argument("--day", metavar="YYYY-MM-DD", help="only this day (or `today`)")
    usage.add_argument("--format", choices=("text", "json"), default="text")
    workspace_option(usage)
    llm.set_defaults(handler=_lazy("nodeforge.commands.llm", "run"))


def _add_build_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Code generation and builds: generate, build, run, test, watch (docs/codegen.md)."""
    fmt_choices = ("text", "json", "sarif", "github")

    deploy = sub.add_parser("deploy", help="deployment artefacts of the app (docs/scale-out.md)")
    dsub = deploy.add_subparsers(dest="target", metavar="TARGET", required=True)
    k8s = dsub.add_parser("kubernetes", help="Dockerfile and Kubernetes manifests")
    k8s.add_argument("path", nargs="?", type=arg("flows"), help="the workspace (default: .)")
    k8s.add_argument("--output", "-o", type=arg("output_folder"), required=True)
    k8s.add_argument("--image", help="the image reference (default: <project>:latest)")
    k8s.add_argument("--namespace", help="metadata.namespace of every object")
    k8s.add_argument("--replicas", type=int, default=2, help="minimum replicas (default 2)")
    k8s.add_argument("--max-replicas", type=int, default=10, help="autoscaler maximum")
    k8s.add_argument("--otlp-endpoint", help="OTEL_EXPORTER_OTLP_ENDPOINT (traces over OTLP/HTTP)")
    k8s.set_defaults(handler=_lazy("nodeforge.commands.deploy", "run"))

    generate = sub.add_parser("generate", help="write the Go module of a flow or workspace")
    generate.add_argument("path", type=arg("flows"), help="a flow file or a workspace folder")
    generate.add_argument(
        "--output", "-o", type=arg("output_folder"), help="module folder (default: .nodeforge/gen/)"
    )
    generate.add_argument("--format", choices=fmt_choices, default="text")
    generate.set_defaults(handler=_lazy("nodeforge.commands.generate", "run"))

    build = sub.add_parser("build", help="compile a flow or workspace to one binary")
    build.add_argument("path", type=arg("flows"), help="a flow file or a workspace folder")
    build.add_argument(
        "--output",
        "-o",
        type=arg("output_file"),
        help="the binary (default: .nodeforge/bin/<project>)",
    )
    build.add_argument(
        "--out-dir", type=arg("output_folder"), help="module folder (default: .nodeforge/gen/)"
    )
    build.add_argument("--format", choices=fmt_choices, default="text")
    build.add_argument("--json", action="store_true", help="print the build result as JSON")
    build.add_argument(
        "--at",
        metavar="REV",
        help="rebuild a flow exactly as saved at REV (a commit id or @N) in the history",
    )
    build.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="compile code/go nodes and forks WITHOUT the sandbox when it is unavailable",
    )
    build.add_argument(
        "--debug",
        action="store_true",
        help="keep the symbol table and DWARF (release builds are stripped: -ldflags='-s -w')",
    )
    build.set_defaults(handler=_lazy("nodeforge.commands.build", "run"))

    run = sub.add_parser("run", help="build and start the app (HTTP triggers, schedules)")
    run.add_argument("path", type=arg("flows"), nargs="?", default=".", help="workspace or flow")
    run.add_argument("--addr", default="127.0.0.1:8080", help="listen address (NODEFORGE_ADDR)")
    run.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="compile code/go nodes and forks WITHOUT the sandbox when it is unavailable",
    )
    run.add_argument(
        "--debug",
        action="store_true",
        help="keep the symbol table and DWARF (release builds are stripped: -ldflags='-s -w')",
    )
    run.set_defaults(handler=_lazy("nodeforge.commands.run_app", "run"))

    test = sub.add_parser("test", help="run the flows' tests against the compiled app")
    test.add_argument("path", type=arg("flows"), nargs="?", default=".", help="workspace or flow")
    test.add_argument("-k", help="only tests whose name contains this")
    test.add_argument("--json", action="store_true")
    test.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="compile code/go nodes and forks WITHOUT the sandbox when it is unavailable",
    )
    test.set_defaults(handler=_lazy("nodeforge.commands.test_flows", "run"))

    watch = sub.add_parser("watch", help="rebuild and restart the app when flows change")
    watch.add_argument("path", type=arg("flows"), nargs="?", default=".", help="workspace or flow")
    watch.add_argument("--addr", default="127.0.0.1:8080", help="listen address (NODEFORGE_ADDR)")
    watch.add_argument("--no-run", action="store_true", help="only rebuild, do not run the app")
    watch.add_argument("--debounce-ms", type=int, default=200)
    watch.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="compile code/go nodes and forks WITHOUT the sandbox when it is unavailable",
    )
    watch.add_argument(
        "--debug",
        action="store_true",
        help="keep the symbol table and DWARF (release builds are stripped: -ldflags='-s -w')",
    )
    watch.set_defaults(handler=_lazy("nodeforge.commands.watch", "run"))


def _lazy(module: str, name: str) -> Handler:
    """Import a sub-command's module only when it runs, so start-up stays fast."""

    def handler(args: argparse.Namespace) -> int:
        import gc
        import importlib

        # Importing a command's modules makes hundreds of thousands of objects, nearly all
        # kept for the life of the process: the cyclic collector's passes over them while
        # importing (~13 ms of `nodeforge generate`) find next to nothing, so it waits,
        # and what was imported is then left out of its later passes (gc.freeze).
        collecting = gc.isenabled()
        gc.disable()
        try:
            run: Handler = getattr(importlib.import_module(module), name)
        finally:
            gc.freeze()
            if collecting:
                gc.enable()
        return run(args)

    return handler


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(words[0] if words and not words[0].startswith("-") else None)
    args = parser.parse_args(words)
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
