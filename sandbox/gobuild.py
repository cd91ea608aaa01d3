"""Compile untrusted Go inside the sandbox.

Custom code (``code/go`` nodes) and workspace forks are compiled, not only run, under the
same confinement as a node test (:mod:`runner`): the Go compiler is exposed to hostile
input (a 1 KB source whose constants double a string a dozen times takes gigabytes and
seconds to compile), so ``go build`` runs with a memory cgroup, CPU, wall-clock,
file-size and process limits, no network, and sees only:

- the Go toolchain (``GOROOT``, read-only; under ``/usr`` it is already there),
- a module cache (read-only) that the trusted side fills beforehand: before the first
  sandboxed build of a workspace, and whenever the module's ``go.sum`` changes, the
  trusted packages (the standard library packages the code may use, the catalog's
  executors and their dependencies, never user code) are compiled outside the sandbox,
  which downloads their modules into it (from the user's module cache as a file proxy
  first, then the user's ``GOPROXY``),
- a per-workspace Go build cache (writable), owned by a uid stable for that workspace
  (:func:`uids.build_uid`), seeded with hard links to the trusted build cache, so the
  first build of a workspace does not recompile the standard library and the catalog;
  the links are root's files, which the build can read but not change,
- its work folder (writable): the module's sources and the output binary.

The same confinement compiles a package's tests (``go test -c``: :func:`build_module`
with ``test=True``, the kit tests of ``nodeforge node test``) and runs ``go vet``
(:func:`vet_module`), which compiles the package too; the test binary is then run by
the caller inside the sandbox (:func:`run_test_binary`).

The binary is copied out with a size cap, without following links. A compile that hits
a limit has the limit's status (``memory_limit``, ``timeout``) and names what it was
compiling. Where the sandbox cannot be set up nothing is compiled (status
``sandbox_unavailable``) unless the caller passes ``unsafe_no_sandbox`` (the command
line's explicit flag; the language server never does).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from nodeforge.sandbox.goflags import go_env_vars, link_flags
from nodeforge.sandbox.goprogress import GoProgress, run_go
from nodeforge.sandbox.limits import Limits, MiB
from nodeforge.sandbox.runner import (
    WORK_DIR,
    Inject,
    Mount,
    RunResult,
    Status,
    run_sandboxed,
    run_unconfined,
    unavailable_reason,
)
from nodeforge.sandbox.uids import build_uid

#: What one sandboxed compile may use (a cold build of an app with SQLite compiles
#: large packages; a node harness needs far less).
BUILD_LIMITS = Limits(
    wall_seconds=300.0,
    cpu_seconds=300,
    memory_bytes=3072 * MiB,
    file_bytes=256 * MiB,
    tmp_bytes=64 * MiB,
    open_files=4096,
    processes=512,
    output_bytes=4 * MiB,
)
#: At most this many per-workspace build caches are kept (least recently used go first).
MAX_WORKSPACE_CACHES = 32
SRC = "/build/src"
GOCACHE_TARGET = "/gocache"
RESEED_SECONDS = 24 * 3600


@dataclass
class GoBuild:
    status: Status
    output: str = ""  # the compiler's messages, paths relative to the module
    message: str = ""
    build_ms: float = 0.0
    confined: bool = True

    @property
    def ok(self) -> bool:
        return self.status == Status.OK


def cache_base() -> Path:
    """``$NODEFORGE_CACHE``; by default ``/var/cache/nodeforge`` as root, else the
    user's cache folder (one definition for every cache: :mod:`catalog_cache`)."""
    from nodeforge.analysis.catalog_cache import cache_base as base

    return base()


def modcache_dir() -> Path:
    """The module cache builds see read-only (``$NODEFORGE_GOMODCACHE``, else under
    ``/var/cache/nodeforge`` as root): shared by every workspace, public code only."""
    env = os.environ.get("NODEFORGE_GOMODCACHE")
    if env:
        return Path(env)
    if os.geteuid() == 0:
        return Path("/var/cache/nodeforge/gomod")
    return cache_base() / "gomod"


@lru_cache(maxsize=1)
def _go_env() -> dict[str, str]:
    go = shutil.which("go") or "/usr/local/go/bin/go"
    out = subprocess.run(
        [go, "env", "GOROOT", "GOCACHE", "GOMODCACHE", "GOPROXY", "GOVERSION"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.splitlines()
    keys = ("GOROOT", "GOCACHE", "GOMODCACHE", "GOPROXY", "GOVERSION")
    return {"go": go, **dict(zip(keys, out, strict=False))}


def go_available() -> str | None:
    """Why Go cannot be used here, or None."""
    try:
        _go_env()
    except (OSError, subprocess.SubprocessError) as exc:
        return f"Go is not installed or does not run: {exc}"
    return None


def build_module(
    files: Mapping[str, bytes | str],
    output: Path,
    *,
    workspace: Path | None,
    label: str,
    trusted_packages: Sequence[str] = (),
    ldflags: str | None = None,
    limits: Limits = BUILD_LIMITS,
    unsafe_no_sandbox: bool = False,
    package: str = ".",
    test: bool = False,
    progress: GoProgress | None = None,
    cgo: bool = True,
) -> GoBuild:
    """``go build`` the module ``files`` (relative path -> content) into ``output``,
    inside the sandbox. ``label`` names what is compiled (``node `x` (code/go)``) in
    messages; ``trusted_packages`` are import paths the trusted side may compile
    beforehand (never user code). ``package`` is the package to build (relative to the
    module, ``./sql/query/1.0.0``); ``test=True`` compiles its test binary instead
    (``go test -c``), to be run with :func:`run_test_binary`. ``progress`` follows the
    build (``go build -v``: packages compiled, the trusted warm-up included). ``cgo=False``
    builds pure Go, for programs that will run inside the sandbox (:mod:`goflags`)."""
    argv_tail = ["test", "-c", "-trimpath"] if test else ["build", "-trimpath"]
    if progress is not None and not test:
        argv_tail.append("-v")
    # Static even unstripped: the binary runs in the sandbox, which has no C library.
    argv_tail.append(f"-ldflags={ldflags if ldflags is not None else link_flags(strip=False)}")
    return _go(
        files,
        output,
        argv_tail,
        package,
        workspace,
        label,
        trusted_packages,
        limits,
        unsafe_no_sandbox,
        progress,
        cgo,
    )


def vet_module(
    files: Mapping[str, bytes | str],
    *,
    workspace: Path | None,
    label: str,
    package: str = ".",
    trusted_packages: Sequence[str] = (),
    limits: Limits = BUILD_LIMITS,
    unsafe_no_sandbox: bool = False,
    cgo: bool = True,
) -> GoBuild:
    """``go vet`` package ``package`` of the module ``files`` inside the sandbox (vet
    compiles the package and its tests: hostile input to the compiler as for a build);
    its findings are in ``output`` with status ``node_error``."""
    return _go(
        files,
        None,
        ["vet"],
        package,
        workspace,
        label,
        trusted_packages,
        limits,
        unsafe_no_sandbox,
        cgo=cgo,
    )


def _go(
    files: Mapping[str, bytes | str],
    output: Path | None,
    argv_tail: list[str],
    package: str,
    workspace: Path | None,
    label: str,
    trusted_packages: Sequence[str],
    limits: Limits,
    unsafe_no_sandbox: bool,
    progress: GoProgress | None = None,
    cgo: bool = True,
) -> GoBuild:
    if not package.startswith(".") or ".." in Path(package).parts:
        raise ValueError(f"bad package path: {package!r} (relative to the module: ./pkg)")
    started = time.monotonic()
    missing = go_available()
    if missing is not None:
        return GoBuild(Status.NODE_ERROR, message=missing, confined=False)
    reason = unavailable_reason()
    if reason is not None and not unsafe_no_sandbox:
        return GoBuild(
            Status.SANDBOX_UNAVAILABLE,
            message=f"refusing to compile untrusted code ({label}): the sandbox is "
            f"unavailable: {reason} (the command line's --unsafe-no-sandbox builds it "
            "unconfined)",
            confined=False,
        )
    if reason is not None:
        result = _build_unconfined(files, output, argv_tail, package, limits, progress, cgo)
    else:
        result = _build_confined(
            files, output, argv_tail, package, workspace, trusted_packages, limits, progress, cgo
        )
    if result.status not in (Status.OK, Status.NODE_ERROR) and not result.message.startswith(
        "compiling"
    ):
        result.message = f"compiling {label}: {result.message}"
    elif result.status == Status.NODE_ERROR and not result.message:
        result.message = f"{label} does not compile"
    result.build_ms = (time.monotonic() - started) * 1000
    return result


#: What one run of a package's test binary may use.
TEST_LIMITS = Limits(
    wall_seconds=120.0,
    cpu_seconds=120,
    memory_bytes=1024 * MiB,
    file_bytes=64 * MiB,
    tmp_bytes=64 * MiB,
    open_files=1024,
    processes=256,
    output_bytes=4 * MiB,
)
TEST_BINARY = "/opt/nodeforge/pkg.test"


def run_test_binary(
    binary: Path,
    *,
    package_files: Mapping[str, bytes] | None = None,
    limits: Limits = TEST_LIMITS,
    unsafe_no_sandbox: bool = False,
) -> RunResult:
    """Run a test binary built by :func:`build_module` (``test=True``) inside the sandbox
    (:func:`runner.run_sandboxed`: no network, a fresh uid, the limits). Its working
    folder is a read-only copy of ``package_files`` (the package's folder, so that
    ``testdata/`` is where Go tests expect it); it writes only under ``/tmp``
    (``t.TempDir``). It may open IPv4/IPv6 sockets, which reach only the loopback of
    its own network namespace (``httptest`` servers). Never unconfined unless ``unsafe_no_sandbox`` and the sandbox is
    unavailable. The status is ``ok`` when every test passed, ``node_error`` when one
    failed; the output is verbose (``--- PASS``/``--- FAIL`` per test)."""
    timeout = f"-test.timeout={max(int(limits.wall_seconds) - 5, 1)}s"
    argv_tail = ["-test.count=1", "-test.v", timeout]
    with tempfile.TemporaryDirectory(prefix="nodeforge-gotest-") as tmp:
        folder = Path(tmp) / "pkg"
        folder.mkdir()
        _write_tree(package_files or {}, folder)
        for path in [folder, *folder.rglob("*")]:
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        os.chmod(tmp, 0o755)
        if unavailable_reason() is not None and unsafe_no_sandbox:
            return run_unconfined([str(binary), *argv_tail], cwd=folder, limits=limits)
        # The binary is root's (0700): the run gets its own copy.
        return run_sandboxed(
            [TEST_BINARY, *argv_tail],
            files=[Inject(binary, TEST_BINARY, 0o555)],
            mounts=[Mount(folder, WORK_DIR)],
            limits=limits,
            loopback=True,  # its own network namespace: httptest servers, nothing out
        )


def _write_tree(files: Mapping[str, bytes | str], src: Path) -> None:
    for name, data in files.items():
        if name.startswith("/") or ".." in Path(name).parts:
            raise ValueError(f"bad module file name: {name!r}")
        path = src / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)


def _build_unconfined(
    files: Mapping[str, bytes | str],
    output: Path | None,
    argv_tail: list[str],
    package: str,
    limits: Limits,
    progress: GoProgress | None = None,
    cgo: bool = True,
) -> GoBuild:
    env = _go_env()
    with tempfile.TemporaryDirectory(prefix="nodeforge-unsafe-build-") as tmp:
        src = Path(tmp) / "src"
        _write_tree(files, src)
        out = Path(tmp) / "bin"
        run_env = dict(os.environ)
        run_env.update(go_env_vars(cgo))
        target = ["-o", str(out)] if output is not None else []
        if progress is not None:
            progress.stage("compiling")
        code, text = run_go(
            [env["go"], *argv_tail, *target, package],
            cwd=src,
            env=run_env,
            timeout=limits.wall_seconds,
            progress=progress or GoProgress(None),
        )
        if code is None:
            return GoBuild(
                Status.TIMEOUT,
                message=f"the compiler ran longer than {limits.wall_seconds:g} s",
                confined=False,
            )
        text = text.replace(str(src) + "/", "").strip()
        if code != 0:
            return GoBuild(Status.NODE_ERROR, output=text, confined=False)
        if output is not None:
            _copy_out(out, output, limits.file_bytes)
        return GoBuild(Status.OK, output=text, confined=False)


def _build_confined(
    files: Mapping[str, bytes | str],
    output: Path | None,
    argv_tail: list[str],
    package: str,
    workspace: Path | None,
    trusted_packages: Sequence[str],
    limits: Limits,
    progress: GoProgress | None = None,
    cgo: bool = True,
) -> GoBuild:
    env = _go_env()
    key = str(workspace.resolve()) if workspace is not None else "(no workspace)"
    uid = build_uid(key)
    root = cache_base() / "gobuild"
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o711)  # bwrap binds as the build's uid: traversable, not listable
    if not _world_traversable(root):
        return GoBuild(
            Status.SANDBOX_UNAVAILABLE,
            message=f"the build cache {root} is inside a folder others cannot traverse, "
            "so the sandbox cannot bind it (set NODEFORGE_CACHE)",
            confined=False,
        )
    mods = modcache_dir()
    mods.mkdir(parents=True, exist_ok=True)
    ws = root / hashlib.sha256(key.encode()).hexdigest()[:24]
    gocache = ws / "gocache"
    for folder in (ws, gocache):
        folder.mkdir(exist_ok=True)
        os.chown(folder, uid, uid)
        os.chmod(folder, 0o700)
    os.utime(ws)  # least recently used caches are pruned first
    work = Path(tempfile.mkdtemp(prefix="work-", dir=ws))
    try:
        src = work / "src"
        _write_tree(files, src)
        for sub in ("out", "tmp"):
            (work / sub).mkdir()
        for folder in (work, work / "out", work / "tmp"):
            os.chown(folder, uid, uid)
        os.chmod(work, 0o700)
        _prepare(src, files, gocache, mods, trusted_packages, uid, progress, cgo)
        goroot = env["GOROOT"]
        mounts = [
            Mount(work, "/build", writable=True),
            Mount(gocache, GOCACHE_TARGET, writable=True),
            Mount(mods, str(mods)),
        ]
        if not goroot.startswith("/usr/"):
            mounts.append(Mount(Path(goroot), goroot))
        build_env = {
            "GOROOT": goroot,
            "GOCACHE": GOCACHE_TARGET,
            "GOMODCACHE": str(mods),
            "GOPATH": "/tmp/gopath",
            "GOTMPDIR": "/build/tmp",
            "GOENV": "off",
            "GOTELEMETRY": "off",
            "GOPROXY": "off",
            "GOSUMDB": "off",
            **go_env_vars(cgo),  # as the trusted side's, or its compiled packages miss
            "PATH": f"{goroot}/bin:/usr/bin:/bin",
        }
        target = ["-o", "/build/out/bin"] if output is not None else []
        if progress is not None:
            progress.stage("compiling in the sandbox")
            progress.take_output()  # the warm-up's messages are not this build's
        run = run_sandboxed(
            [f"{goroot}/bin/go", "-C", SRC, *argv_tail, *target, package],
            mounts=mounts,
            limits=limits,
            env=build_env,
            uid=uid,
            on_stderr=progress.feed if progress is not None else None,
        )
        if progress is not None:  # stderr without the package lines of -v
            text = run.stdout.decode("utf-8", "replace") + "\n" + progress.take_output()
        else:
            text = (run.stdout + run.stderr).decode("utf-8", "replace")
        text = text.replace(SRC + "/", "").strip()
        if run.status == Status.OK:
            if output is not None:
                _copy_out(work / "out" / "bin", output, limits.file_bytes)
            return GoBuild(Status.OK, output=text)
        if run.status == Status.NODE_ERROR:
            if run.exit_code == 1:  # the go command's own failure: a compile error
                return GoBuild(Status.NODE_ERROR, output=text)
            return GoBuild(Status.NODE_ERROR, output=text, message=run.message)
        return GoBuild(run.status, output=text, message=run.message, confined=run.confined)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        _prune(root, keep=MAX_WORKSPACE_CACHES)


def _copy_out(built: Path, output: Path, cap: int) -> None:
    """Copy the built binary (written by the build's uid) without following links and
    with a size cap, to ``output`` (replaced atomically, mode 0700)."""
    fd = os.open(built, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > cap:
            raise OSError(f"the built binary is not a regular file of at most {cap} bytes")
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp = output.with_name(f".{output.name}.{os.getpid()}.tmp")
        out_fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o700)
        try:
            left = cap + 1
            while chunk := os.read(fd, 1 << 20):
                left -= len(chunk)
                if left <= 0:
                    raise OSError(f"the built binary grew past {cap} bytes")
                os.write(out_fd, chunk)
        finally:
            os.close(out_fd)
        os.chmod(tmp, 0o700)
        os.replace(tmp, output)
    finally:
        os.close(fd)


def _prepare(
    src: Path,
    files: Mapping[str, bytes | str],
    gocache: Path,
    mods: Path,
    trusted_packages: Sequence[str],
    uid: int,
    progress: GoProgress | None = None,
    cgo: bool = True,
) -> None:
    """Trusted side, outside the sandbox, once per workspace cache and ``go.sum``:
    compile the trusted packages (which downloads their modules into ``mods``), then
    link the trusted build cache into the workspace's."""
    env = _go_env()
    gosum = files.get("go.sum", b"")
    mark = hashlib.sha256(
        "\0".join([env.get("GOVERSION", ""), *sorted(trusted_packages)]).encode()
        + (gosum.encode() if isinstance(gosum, str) else gosum)
    ).hexdigest()
    # One marker per setting: the pure-Go and the cgo packages are different cache
    # entries, and a workspace builds both (node tests and its app).
    marker = gocache.parent / ("seeded" if cgo else "seeded-purego")
    with contextlib.suppress(OSError):
        if marker.read_text() == mark and time.time() - marker.stat().st_mtime < RESEED_SECONDS:
            return
    if trusted_packages:
        proxy = f"file://{env['GOMODCACHE']}/cache/download"
        upstream = env.get("GOPROXY") or "https://proxy.golang.org,direct"
        run_env = dict(os.environ)
        run_env.update(
            go_env_vars(cgo),
            GOMODCACHE=str(mods),
            GOPROXY=f"{proxy},{upstream}" if upstream != "off" else proxy,
        )
        # Trusted code only (the standard library and the catalog); failures are left
        # to the sandboxed build to report. The first build of a workspace spends most
        # of its time here: its packages are the build's progress too.
        if progress is not None:
            progress.stage("compiling the catalog (trusted)")
        run_go(
            [env["go"], "build", "-trimpath", *(["-v"] if progress else []), *trusted_packages],
            cwd=src,
            env=run_env,
            timeout=1800,
            progress=progress or GoProgress(None),
        )
    _seed(Path(env["GOCACHE"]), gocache, uid)
    marker.write_text(mark)


def _seed(trusted: Path, dest: Path, uid: int) -> None:
    """Hard-link the trusted build cache's entries into ``dest`` (root's files: the
    build's uid reads them, cannot change them); a copy across file systems is skipped."""
    try:
        subdirs = [e for e in os.scandir(trusted) if e.is_dir(follow_symlinks=False)]
    except OSError:
        return
    for sub in subdirs:
        if len(sub.name) != 2:
            continue
        target = dest / sub.name
        try:
            target.mkdir()
        except FileExistsError:  # an earlier or concurrent seeding, or the build's own
            if not stat.S_ISDIR(os.lstat(target).st_mode):
                continue  # a file or link the build left there: never written through
        else:
            os.chown(target, uid, uid)
            os.chmod(target, 0o700)
        try:
            entries = list(os.scandir(sub.path))
        except OSError:
            continue
        for entry in entries:
            if not entry.is_file(follow_symlinks=False):
                continue
            try:
                os.link(entry.path, target / entry.name, follow_symlinks=False)
            except FileExistsError:
                continue
            except OSError:  # another file system: no seeding
                return


def _world_traversable(path: Path) -> bool:
    for folder in [path, *path.parents]:
        try:
            if not folder.stat().st_mode & 0o001:
                return False
        except OSError:
            return False
    return True


def _prune(root: Path, keep: int) -> None:
    try:
        entries = [e for e in os.scandir(root) if e.is_dir(follow_symlinks=False)]
    except OSError:
        return
    if len(entries) <= keep:
        return
    entries.sort(key=lambda e: e.stat(follow_symlinks=False).st_mtime)
    for entry in entries[: len(entries) - keep]:
        shutil.rmtree(entry.path, ignore_errors=True)
