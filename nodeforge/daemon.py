"""The command daemon: a process that has imported and warmed the analysis and the code
generator once, and forks a fresh copy of itself for each ``check`` or ``generate`` the
``nodeforge`` console script hands it (:mod:`nodeforge.launch`).

A fork starts with everything imported and the caches warm, and ends with its command:
nothing one command does is seen by the next, and each runs with its client's working
folder, environment, umask, argument list, stdin, stdout and stderr (the client's own file
descriptors, passed over the socket), so its output, exit code and files are the ones the
command gives when run in the client. Started by a client that found none; one per
identity (:func:`nodeforge.launch.identity`), for this user only; gone after
``NODEFORGE_DAEMON_IDLE`` seconds (default 600) without a request, or when any file it
loaded code or kits from changed (it then refuses the request, and the client runs the
command itself and starts a new daemon).

    python -m nodeforge.daemon SOCKET_PATH [SYS_PATH_JSON]
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import io
import json
import os
import signal
import socket
import struct
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nodeforge import launch

IDLE_SECONDS = 600.0
_MAX_REQUEST = 16 * 1024 * 1024

# The flow a new daemon generates and checks once, so that the first command it serves
# finds the templates compiled, the catalog read and the lazy imports done.
WARM_FLOW: dict[str, Any] = {
    "nodeforge": "1",
    "id": "warm",
    "name": "Warm",
    "nodes": [
        {
            "id": "start",
            "type": "http/trigger",
            "version": "1.1.0",
            "config": {
                "method": "POST",
                "path": "/warm",
                "body_schema": {
                    "type": "object",
                    "required": ["customer", "total"],
                    "properties": {
                        "customer": {"type": "string", "pattern": "^[A-Z][a-z]+$"},
                        "total": {"type": "number"},
                    },
                },
            },
        },
        {
            "id": "set",
            "type": "data/set",
            "version": "1.0.0",
            "config": {"values": {"doubled": "input.body.total * 2"}},
        },
        {
            "id": "big",
            "type": "flow/if",
            "version": "1.0.0",
            "config": {"condition": "input.doubled > 100"},
        },
        {
            "id": "log",
            "type": "util/log",
            "version": "1.0.0",
            "config": {"level": "info", "message": "customer {{ input.body.customer }}"},
        },
        {"id": "reply", "type": "http/respond", "version": "1.0.0", "config": {"status": 200}},
    ],
    "connections": [
        {"from": "start.out", "to": "set.in"},
        {"from": "set.out", "to": "big.in"},
        {"from": "big.true", "to": "log.in"},
        {"from": "log.out", "to": "reply.in"},
    ],
}


# A schedule in a time zone: the zone list and the cron reader.
WARM_SCHEDULE: dict[str, Any] = {
    "nodeforge": "1",
    "id": "warm_schedule",
    "name": "Warm schedule",
    "nodes": [
        {
            "id": "tick",
            "type": "trigger/schedule",
            "version": "1.0.0",
            "config": {"cron": "0 7 * * *", "timezone": "Europe/Madrid"},
        },
        {
            "id": "log",
            "type": "util/log",
            "version": "1.0.0",
            "config": {"level": "info", "message": "tick"},
        },
    ],
    "connections": [{"from": "tick.out", "to": "log.in"}],
}


def idle_seconds() -> float:
    try:
        return float(os.environ.get("NODEFORGE_DAEMON_IDLE", IDLE_SECONDS))
    except ValueError:
        return IDLE_SECONDS


# -- what the daemon's memory was made from ------------------------------------------------


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def loaded_paths() -> list[str]:
    """Every file the daemon's memory depends on: the source of each loaded module, each
    folder of ``sys.path`` (installing or removing a package changes its entries), and
    each file and folder of the catalog's packs (kept for the process by
    :func:`~nodeforge.analysis.workspace.installed_catalog`)."""
    paths: set[str] = set()
    for module in list(sys.modules.values()):
        name = getattr(module, "__file__", None)
        if isinstance(name, str):
            paths.add(name)
    paths.update(os.path.abspath(p) for p in sys.path if p)
    from nodeforge.analysis.kits import builtin_pack, installed_packs

    for pack in (builtin_pack(), *installed_packs()):
        for folder, _dirs, files in os.walk(pack.root):
            paths.add(folder)
            paths.update(os.path.join(folder, f) for f in files)
    return sorted(paths)


def changed_files(recorded: dict[str, tuple[int, int] | None]) -> list[str]:
    return [p for p, stamp in recorded.items() if _stamp(p) != stamp]


# inotify(7) event bits: a file in a watched folder written, its attributes changed,
# moved in or out, created or deleted; the folder itself deleted or moved.
_IN_EVENTS = 0x2 | 0x4 | 0x8 | 0x40 | 0x80 | 0x100 | 0x200 | 0x400 | 0x800


class Freshness:
    """Whether the files the daemon's memory came from are as they were when it started.

    Comparing each file's modification time and size takes ~3 ms for ~700 files, on every
    command. Linux's inotify watches their folders instead: while it has reported nothing,
    nothing changed, and a command costs one non-blocking read; when it reports anything
    (or overflows), the files are compared. Where inotify is missing or its watches run
    out, they are compared on every command."""

    def __init__(self, paths: list[str]) -> None:
        self._fd = _watch({p if os.path.isdir(p) else os.path.dirname(p) for p in paths})
        # Stamped after the watches are set: a change in between is reported.
        self.recorded = {p: _stamp(p) for p in paths}

    def stale(self) -> list[str]:
        """The files that changed (none: still fresh)."""
        if self._fd is not None and not self._events():
            return []
        return changed_files(self.recorded)

    def _events(self) -> bool:
        assert self._fd is not None
        seen = False
        while True:
            try:
                if not os.read(self._fd, 65536):
                    return seen
            except BlockingIOError:
                return seen
            seen = True

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _watch(folders: set[str]) -> int | None:
    """An inotify descriptor watching ``folders``, or ``None`` when that cannot be had."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    except (OSError, AttributeError):
        return None
    if fd < 0:
        return None
    for folder in sorted(folders):
        if libc.inotify_add_watch(fd, os.fsencode(folder), _IN_EVENTS) < 0 and os.path.exists(
            folder
        ):
            os.close(fd)  # out of watches: compare every time
            return None
    return int(fd)


# -- start ---------------------------------------------------------------------------------


def warm_up() -> None:
    """Imports every module of the analysis and the code generator (some are imported
    when a flow first needs them), compiles the call-site template of every kit of the
    installed catalog, and runs ``check`` and ``generate`` once on :data:`WARM_FLOW` and
    :data:`WARM_SCHEDULE` in a temporary workspace (their output is dropped). What a
    command then finds warm is only ever what it would make itself: each cache it uses
    is keyed by content or checks its file's version."""
    import importlib
    import pkgutil

    import nodeforge.analysis
    import nodeforge.codegen
    from nodeforge.cli import main as cli_main

    for package in (nodeforge.analysis, nodeforge.codegen):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            with contextlib.suppress(Exception):
                importlib.import_module(module.name)
    with contextlib.suppress(Exception):
        _compile_kit_templates()
    with tempfile.TemporaryDirectory(prefix="nodeforge-warm-") as tmp:
        ws = Path(tmp) / "ws"
        ws.mkdir()
        (ws / "nodeforge.toml").write_text('[project]\nname = "warm"\n', encoding="utf-8")
        for flow in (WARM_FLOW, WARM_SCHEDULE):
            text = json.dumps(flow, indent=2)
            (ws / f"{flow['id']}.flow.json").write_text(text, encoding="utf-8")
        sink = io.StringIO()
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            for words in (["check", str(ws)], ["generate", str(ws), "-o", str(Path(tmp) / "gen")]):
                # A warm-up that fails leaves the daemon less warm, not unusable: each
                # command still runs in its own fork, as it would alone.
                with contextlib.suppress(Exception, SystemExit):
                    cli_main(words)


def _compile_kit_templates() -> None:
    from nodeforge.analysis.kits import TEMPLATE_FILE, kit_of
    from nodeforge.analysis.workspace import installed_catalog
    from nodeforge.codegen.nodeapi import load_template

    for manifest in installed_catalog().all():
        kit = kit_of(manifest)
        path = manifest.path.parent / TEMPLATE_FILE
        if path.is_file():
            load_template(path, trusted=kit.trusted)


@contextlib.contextmanager
def _lock(path: str) -> Iterator[int | None]:
    """Holds the lock of a socket path for the daemon's life: one daemon per path. Yields
    the lock's descriptor (which each forked copy closes, so that the lock ends with the
    daemon), or ``None`` when another daemon holds it."""
    fd = os.open(path + ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield None
            return
        yield fd
    finally:
        os.close(fd)


def serve(path: str, *, idle: float | None = None) -> int:
    """Runs the daemon on ``path`` until it has been idle ``idle`` seconds or a client
    finds it stale; 0 when it served, 1 when another daemon holds the path."""
    with _lock(path) as lock:
        if lock is None:
            return 1
        warm_up()
        freshness = Freshness(loaded_paths())
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_mask = os.umask(0o177)  # the socket is this user's alone
        try:
            listener.bind(path)
        finally:
            os.umask(old_mask)
        listener.listen(16)
        listener.settimeout(idle_seconds() if idle is None else idle)
        # Forked copies are reaped by the kernel; what warm-up made stays out of the
        # collector's passes in every copy (and its pages shared with them).
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        gc.collect()
        gc.freeze()
        try:
            _accept_loop(listener, freshness, launch.identity(), lock)
        finally:
            listener.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
    return 0


def _accept_loop(
    listener: socket.socket, freshness: Freshness, ident: dict[str, Any], lock: int
) -> None:
    served, last = 0, time.monotonic()
    idle_limit = listener.gettimeout() or 0.0
    while True:
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            return
        fds: list[int] = []
        try:
            if not _same_user(conn):
                continue
            request, fds = read_request(conn)
            op = request.get("op", "run")
            if op == "stop":
                _answer(conn, {"stopped": os.getpid()})
                return
            if op == "status":
                _answer(
                    conn,
                    {
                        "pid": os.getpid(),
                        "served": served,
                        "idle_s": time.monotonic() - last,
                        "idle_limit_s": idle_limit,
                    },
                )
                continue
            if request.get("identity") != ident:
                _answer(conn, {"refused": "identity"})
                continue
            if freshness.stale():
                _answer(conn, {"refused": "stale"})
                return
            if len(fds) != 3:
                _answer(conn, {"refused": "descriptors"})
                continue
            served += 1
            last = time.monotonic()
            if os.fork() == 0:
                listener.close()
                freshness.close()
                os.close(lock)
                os._exit(_run_forked(conn, request, fds))
        except (OSError, ValueError):
            continue  # a client gone or garbled: the next one
        finally:
            for fd in fds:
                os.close(fd)
            conn.close()


def _same_user(conn: socket.socket) -> bool:
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return bool(uid == os.getuid())


def read_request(conn: socket.socket) -> tuple[dict[str, Any], list[int]]:
    """The request :func:`nodeforge.launch.send_request` wrote, and the descriptors sent
    with it."""
    conn.settimeout(10)
    head, fds, _flags, _addr = socket.recv_fds(conn, 9, 3)
    while len(head) < 9:
        more = conn.recv(9 - len(head))
        if not more:
            raise ValueError("short request")
        head += more
    size = int(head[:8], 16)
    if size > _MAX_REQUEST:
        raise ValueError("request too large")
    body = bytearray()
    while len(body) < size:
        more = conn.recv(min(size - len(body), 1 << 16))
        if not more:
            raise ValueError("short request")
        body += more
    request = json.loads(body)
    if not isinstance(request, dict):
        raise ValueError("not a request")
    return request, list(fds)


def _answer(conn: socket.socket, answer: dict[str, Any]) -> None:
    conn.sendall(json.dumps(answer).encode() + b"\n")


# -- one command, in a forked copy ---------------------------------------------------------


def _run_forked(conn: socket.socket, request: dict[str, Any], fds: list[int]) -> int:
    """Becomes the client for one command, runs it, tells the client its exit code."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # subprocess waits for its children
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    rc = 2
    try:
        conn.settimeout(None)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
        for fd in fds:
            os.close(fd)
        fds.clear()
        _reopen_stdio()
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in request.get("env", {}).items()})
        time.tzset()  # the client's TZ
        os.umask(int(request.get("umask", 0o022)))
        os.chdir(str(request["cwd"]))
        words = [str(w) for w in request.get("argv", [])]
        sys.argv = ["nodeforge", *words]
        _answer(conn, {"pid": os.getpid()})
        from nodeforge.cli import main as cli_main

        try:
            rc = cli_main(words)
        except SystemExit as exc:  # argparse's usage errors, --help
            rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        except KeyboardInterrupt:
            rc = 130
    except BaseException as exc:
        with contextlib.suppress(Exception):
            print(f"nodeforge: daemon: {type(exc).__name__}: {exc}", file=sys.stderr)
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        with contextlib.suppress(OSError):
            _answer(conn, {"rc": rc})
    return rc


def _reopen_stdio() -> None:
    """Python's standard streams, on the client's descriptors (line-buffered on a
    terminal, as the interpreter sets them up at start)."""
    sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stdout = open(  # noqa: SIM115
        1, "w", buffering=1 if os.isatty(1) else -1, encoding="utf-8", closefd=False
    )
    sys.stderr = open(  # noqa: SIM115
        2, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False
    )


# -- stopping ------------------------------------------------------------------------------


def ask(path: str, request: dict[str, Any]) -> dict[str, Any] | None:
    """One request without descriptors to the daemon at ``path``, and its answer;
    ``None`` when none answers there."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        try:
            conn.settimeout(5)
            conn.connect(path)
            launch.send_request(conn, request, [])
            return next(iter(launch.answers(conn)), None)
        except (OSError, ValueError):
            return None


def ping(path: str) -> dict[str, Any] | None:
    """The state of the daemon at ``path`` (process id, commands served, idle time)."""
    return ask(path, {"op": "status"})


def _sockets(folder: str) -> list[str]:
    return [os.path.join(folder, n) for n in sorted(os.listdir(folder)) if n.endswith(".sock")]


def status_all(folder: str) -> list[dict[str, Any]]:
    """The state of every daemon whose socket is in ``folder``."""
    found = []
    for path in _sockets(folder):
        state = ping(path)
        if state is not None:
            found.append({**state, "socket": path})
    return found


def stop_all(folder: str) -> list[int]:
    """Asks every daemon whose socket is in ``folder`` to exit; their process ids."""
    stopped = []
    for path in _sockets(folder):
        answer = ask(path, {"op": "stop"})
        if answer is not None and isinstance(answer.get("stopped"), int):
            stopped.append(answer["stopped"])
    return stopped


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    if len(args) > 1:
        sys.path[:] = json.loads(args[1])
    return serve(args[0])


if __name__ == "__main__":
    raise SystemExit(main())
