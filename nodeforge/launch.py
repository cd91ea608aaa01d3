"""The ``nodeforge`` console script: hands ``check`` and ``generate`` to a running
daemon when there is one (see :mod:`nodeforge.daemon`), else runs the command line here.

This module is on the path of every start, so it imports only what the interpreter has
already loaded (``os``, ``sys``) plus ``_socket``, ``json`` and ``zlib`` (not ``socket``,
whose enums and selectors would double its cost), and nothing of the analysis. A daemon answers a request with a fresh process forked from one that has the
analysis and the code generator imported and warmed: the command's output, exit code and
files are the ones it would give here (the daemon refuses to serve if any module it loaded,
any kit of its catalog or any folder of ``sys.path`` changed since it started).
"""

from __future__ import annotations

import _socket
import contextlib
import json
import os
import struct
import sys
import zlib

if False:  # typing only: the module is not imported at run time (start-up)
    from collections.abc import Iterator, Mapping

# The commands that finish on their own and read nothing but their files and flags; the
# long-running ones (serve, run, watch, lsp) gain nothing from a warm start.
DAEMON_COMMANDS = frozenset({"check", "generate"})
_OFF = ("0", "false", "no", "off")
PROTOCOL = 1


# Set by CI services (GitHub Actions, GitLab, Buildkite, CircleCI, Travis: CI; Jenkins,
# Azure Pipelines and TeamCity: their own), as tools that hold back in CI look for them.
CI_VARIABLES = ("CI", "CONTINUOUS_INTEGRATION", "JENKINS_URL", "TF_BUILD", "TEAMCITY_VERSION")


def enabled(environ: Mapping[str, str] | None = None) -> bool:
    """The daemon is on (on Linux) unless ``NODEFORGE_DAEMON`` is off, and off in CI (one of
    :data:`CI_VARIABLES` set) unless ``NODEFORGE_DAEMON`` turns it on: a CI job is
    one-shot, and should leave no process behind."""
    if not sys.platform.startswith("linux"):  # it relies on SO_PEERCRED (and inotify)
        return False
    env = os.environ if environ is None else environ
    setting = env.get("NODEFORGE_DAEMON", "").strip().lower()
    if setting:
        return setting not in _OFF
    return not any(env.get(name) for name in CI_VARIABLES)


def identity() -> dict[str, object]:
    """What a daemon must share with its client to run the client's code: the same
    interpreter, module path and start-up settings. ``NODEFORGE_*`` and ``PYTHON*``
    variables are part of it because modules may read them when they are imported."""
    env = {k: v for k, v in os.environ.items() if k.startswith(("NODEFORGE_", "PYTHON"))}
    env.pop("NODEFORGE_DAEMON", None)
    return {
        "protocol": PROTOCOL,
        "executable": sys.executable,
        "version": sys.version,
        "path": [os.path.abspath(p) if p else "" for p in sys.path],
        "env": dict(sorted(env.items())),
        "uid": os.getuid(),
    }


def runtime_dir() -> str | None:
    """The folder of this user's daemon sockets: ``NODEFORGE_DAEMON_DIR``, else
    ``$XDG_RUNTIME_DIR/nodeforge``, else ``/tmp/nodeforge-<uid>``. Created private (0700);
    ``None`` when it exists but is not this user's alone, which turns the daemon off."""
    base = os.environ.get("NODEFORGE_DAEMON_DIR")
    if not base:
        xdg = os.environ.get("XDG_RUNTIME_DIR")
        base = os.path.join(xdg, "nodeforge") if xdg else f"/tmp/nodeforge-{os.getuid()}"
    try:
        os.makedirs(base, mode=0o700, exist_ok=True)
        st = os.stat(base, follow_symlinks=False)
    except OSError:
        return None
    import stat

    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
        return None
    return base


def socket_path(folder: str, ident: dict[str, object]) -> str:
    """One socket per identity. Two identities with the same name (a checksum clash) are
    told apart by the daemon, which compares the whole identity."""
    text = json.dumps(ident, sort_keys=True).encode()
    name = f"{zlib.crc32(text):08x}{zlib.adler32(text):08x}"
    return os.path.join(folder, name + ".sock")


def main() -> int:
    """The console script."""
    words = sys.argv[1:]
    if words and words[0] in DAEMON_COMMANDS and enabled():
        rc = run_through_daemon(words)
        if rc is not None:
            return rc
    from nodeforge.cli import main as cli_main

    return cli_main(words)


def run_through_daemon(words: list[str]) -> int | None:
    """The command's exit code as run by the daemon, or ``None`` when no daemon took it
    (none running, a stale one, a different identity): the caller then runs it here, and
    a daemon is started in the background for the next command."""
    folder = runtime_dir()
    if folder is None:
        return None
    ident = identity()
    path = socket_path(folder, ident)
    if len(path.encode()) > 100:  # longer than a Unix socket address may be
        return None
    conn = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        try:
            conn.connect(path)
        except OSError:
            start_daemon(path)
            return None
        try:
            request = {
                "identity": ident,
                "argv": words,
                "cwd": os.getcwd(),  # (gone: the command here says so)
                "env": dict(os.environ),
                "umask": _umask(),
            }
            send_request(conn, request, [0, 1, 2])
            return _await_exit(conn)
        except _NotServed as why:
            if why.args and why.args[0] == "stale":
                start_daemon(path)
            return None
        except OSError:
            return None
    finally:
        conn.close()


class _NotServed(Exception):
    pass


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def send_request(conn: _socket.socket, request: dict[str, object], fds: list[int]) -> None:
    """A request is its JSON text's length (8 hex digits and a newline), then the text;
    the client's stdin, stdout and stderr travel with the first bytes."""
    body = json.dumps(request).encode()
    head = f"{len(body):08x}\n".encode()
    rights = [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, struct.pack(f"{len(fds)}i", *fds))]
    conn.sendmsg([head], rights if fds else [])
    conn.sendall(body)


def answers(conn: _socket.socket) -> Iterator[dict[str, object]]:
    """The daemon's answers: one JSON object per line, until it closes."""
    pending = b""
    while True:
        chunk = conn.recv(4096)
        if not chunk:
            return
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            answer = json.loads(line)
            if isinstance(answer, dict):
                yield answer


def _await_exit(conn: _socket.socket) -> int:
    """Follows the daemon's answers: ``{"refused": why}``, or ``{"pid": N}`` (the process
    running the command: Ctrl-C is passed on to it) and then ``{"rc": N}``. Raises
    :class:`_NotServed` when the daemon refused or closed before taking the command (it
    is then run here); once taken, it is never run twice."""
    import signal

    pid: int | None = None

    def forward(signum: int, frame: object) -> None:
        if pid is not None:
            with contextlib.suppress(OSError):
                os.kill(pid, signum)

    try:
        for answer in answers(conn):
            if "refused" in answer and pid is None:
                raise _NotServed(answer["refused"])
            if "pid" in answer:
                pid = _int(answer["pid"])
                signal.signal(signal.SIGINT, forward)
                signal.signal(signal.SIGTERM, forward)
            if "rc" in answer:
                return _int(answer["rc"])
    except (OSError, ValueError):
        pass
    if pid is None:
        raise _NotServed("closed")
    # The command's process ended without a word (killed): say so, as a shell would.
    print("nodeforge: the daemon's process for this command stopped", file=sys.stderr)
    return 2


def _int(value: object) -> int:
    return value if isinstance(value, int) else 2


def start_daemon(path: str) -> None:
    """Starts a daemon for ``path`` in the background, detached from this terminal; it
    exits at once if another one holds the path's lock, and after
    ``NODEFORGE_DAEMON_IDLE`` seconds (default 600) without a request."""
    import subprocess

    with contextlib.suppress(OSError):
        subprocess.Popen(
            # The daemon takes this process's module path as its own (``-m`` would put
            # its working folder first), so that it passes the identity check.
            [sys.executable, "-m", "nodeforge.daemon", path, json.dumps(sys.path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
            cwd="/",
        )
