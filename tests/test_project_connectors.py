"""Encrypted connectors: storage, keys, masking, real connection tests (a local SMTP
server speaking EHLO/AUTH, local HTTP servers, PostgreSQL), runtime delivery, and a
planted-secret scan of everything the workspace and its history hold."""

from __future__ import annotations

import base64
import contextlib
import http.server
import json
import os
import shutil
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from nodeforge.cli import main
from nodeforge.project import connectors as c
from nodeforge.project.fsutil import ProjectError
from nodeforge.project.history import History
from nodeforge.project.workspace_init import init_workspace, project_info
from tests.test_build_support import free_port

SECRET = "pl4nted-S3CRET-value-7f3a9"


@pytest.fixture(autouse=True)
def key_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path_factory.mktemp("keys")
    monkeypatch.setenv(c.KEY_DIR_ENV, str(path))
    monkeypatch.delenv(c.KEY_ENV, raising=False)
    return path


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    init_workspace(root, example=True)
    return root.resolve()


# -- a minimal real SMTP server (EHLO, AUTH PLAIN/LOGIN, QUIT) ------------------------------


class _SMTPHandler(socketserver.StreamRequestHandler):
    server: _SMTPServer

    def send(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def check(self, user: str, password: str) -> None:
        ok = (user, password) == self.server.credentials
        self.server.logins.append((user, ok))
        self.send("235 2.7.0 Authentication successful" if ok else "535 5.7.8 Bad credentials")

    def handle(self) -> None:
        self.send("220 test.local ESMTP nodeforge-test")
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode().rstrip("\r\n")
            verb = line.split(" ", 1)[0].upper()
            self.server.commands.append(verb)
            if verb == "EHLO":
                self.send("250-test.local")
                self.send("250-AUTH PLAIN LOGIN")
                self.send("250 8BITMIME")
            elif verb == "AUTH":
                parts = line.split()
                if parts[1].upper() == "PLAIN":
                    if len(parts) > 2:
                        blob = parts[2]
                    else:
                        self.send("334 ")
                        blob = self.rfile.readline().decode().strip()
                    _, user, password = base64.b64decode(blob).decode().split("\0")
                    self.check(user, password)
                elif parts[1].upper() == "LOGIN":
                    self.send("334 " + base64.b64encode(b"Username:").decode())
                    user = base64.b64decode(self.rfile.readline().strip()).decode()
                    self.send("334 " + base64.b64encode(b"Password:").decode())
                    password = base64.b64decode(self.rfile.readline().strip()).decode()
                    self.check(user, password)
                else:
                    self.send("504 5.5.4 Unrecognized authentication type")
            elif verb == "QUIT":
                self.send("221 2.0.0 Bye")
                return
            elif verb in ("NOOP", "RSET"):
                self.send("250 OK")
            else:
                self.send("502 5.5.2 Command not implemented")


class _SMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, credentials: tuple[str, str]) -> None:
        super().__init__(("127.0.0.1", 0), _SMTPHandler)
        self.credentials = credentials
        self.commands: list[str] = []
        self.logins: list[tuple[str, bool]] = []


@pytest.fixture
def smtp_server() -> Iterator[_SMTPServer]:
    server = _SMTPServer(("mailer", SECRET))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


# -- a local HTTP API that wants a bearer token ------------------------------------------------


@pytest.fixture
def http_api() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            auth = self.headers.get("Authorization", "") or self.headers.get("X-Api-Key", "")
            if SECRET not in auth:
                self.send_response(401)
                self.end_headers()
                return
            body = b"{}"
            if self.path.endswith("/models"):
                body = json.dumps({"data": [{"id": "gpt-test"}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


# -- storage and keys -------------------------------------------------------------------------


def test_add_list_show_remove(ws: Path, key_dir: Path) -> None:
    c.add(ws, "mail", "smtp", {"host": "localhost", "password": SECRET}, replace=False)
    c.add(ws, "shopdb", "sqlite", {"path": "shop.db"}, replace=False)
    assert project_info(ws).connectors == {"mail": "smtp", "shopdb": "sqlite"}
    infos = {i.name: i for i in c.list_connectors(ws)}
    assert set(infos) == {"mail", "shopdb"} and not infos["mail"].problems
    shown = c.show(ws, "mail")
    assert shown.settings["password"] == c.MASK and shown.settings["port"] == "587"
    with pytest.raises(ProjectError, match="--replace"):
        c.add(ws, "mail", "smtp", {"host": "x"}, replace=False)
    c.add(ws, "mail", "smtp", {"host": "smtp.example.com"}, replace=True)
    assert c.show(ws, "mail").settings["host"] == "smtp.example.com"
    assert c.remove(ws, "mail")
    assert project_info(ws).connectors == {"shopdb": "sqlite"}
    assert not c.remove(ws, "mail")
    # key file: outside the workspace, 0600; store 0600
    keys = list(key_dir.glob("*.key"))
    assert len(keys) == 1 and keys[0].stat().st_mode & 0o777 == 0o600
    assert keys[0].stem == project_info(ws).id
    assert (ws / ".nodeforge/connectors.json").stat().st_mode & 0o777 == 0o600


def test_validation(ws: Path) -> None:
    with pytest.raises(ProjectError, match="needs host"):
        c.add(ws, "m", "smtp", {}, replace=False)
    with pytest.raises(ProjectError, match="not a smtp setting"):
        c.add(ws, "m", "smtp", {"host": "h", "hots": "x"}, replace=False)
    with pytest.raises(ProjectError, match="invalid connector name"):
        c.add(ws, "Bad-Name", "sqlite", {"path": "x"}, replace=False)
    with pytest.raises(ProjectError, match="unknown connector type"):
        c.add(ws, "m", "mongodb", {}, replace=False)
    with pytest.raises(ProjectError, match="http"):
        c.add(ws, "api", "http", {"url": "ftp://x"}, replace=False)


def test_wrong_and_missing_key_are_clear_errors(
    ws: Path, key_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    c.add(ws, "mail", "smtp", {"host": "h", "password": SECRET}, replace=False)
    store = (ws / ".nodeforge/connectors.json").read_bytes()
    monkeypatch.setenv(c.KEY_ENV, c.generate_key())
    with pytest.raises(ProjectError, match="wrong key"):
        c.show(ws, "mail")
    with pytest.raises(ProjectError, match="wrong key"):
        c.add(ws, "other", "sqlite", {"path": "x"}, replace=False)
    assert (ws / ".nodeforge/connectors.json").read_bytes() == store  # nothing overwritten
    monkeypatch.delenv(c.KEY_ENV)
    key = next(key_dir.glob("*.key"))
    hidden = key.with_suffix(".bak")
    key.rename(hidden)
    with pytest.raises(ProjectError, match="no key is available"):
        c.show(ws, "mail")
    with pytest.raises(ProjectError, match="no key is available"):
        c.add(ws, "other", "sqlite", {"path": "x"}, replace=False)
    assert not key.exists()  # no new key was made behind the user's back
    hidden.rename(key)
    key.chmod(0o644)
    with pytest.raises(ProjectError, match="chmod 600"):
        c.show(ws, "mail")
    key.chmod(0o600)
    assert c.show(ws, "mail").settings["host"] == "h"


def test_env_key_and_passphrase(ws: Path, monkeypatch: pytest.MonkeyPatch, key_dir: Path) -> None:
    monkeypatch.setenv(c.KEY_ENV, "a long enough passphrase for tests")
    c.add(ws, "api", "http", {"url": "http://x", "api_key": SECRET}, replace=False)
    assert c.show(ws, "api").settings["api_key"] == c.MASK
    assert not list(key_dir.glob("*.key"))  # the environment key wins; no file made
    monkeypatch.setenv(c.KEY_ENV, "short")
    with pytest.raises(ProjectError, match="too short"):
        c.show(ws, "api")


def test_tampering_and_moving_records_is_detected(ws: Path) -> None:
    c.add(ws, "a", "http", {"url": "http://a", "api_key": SECRET}, replace=False)
    c.add(ws, "b", "http", {"url": "http://b", "api_key": "other-key"}, replace=False)
    path = ws / ".nodeforge/connectors.json"
    data = json.loads(path.read_text())
    data["connectors"]["b"]["data"] = data["connectors"]["a"]["data"]
    data["connectors"]["b"]["nonce"] = data["connectors"]["a"]["nonce"]
    path.write_text(json.dumps(data))
    assert c.show(ws, "a").settings["url"] == "http://a"
    with pytest.raises(ProjectError, match="tampered"):
        c.show(ws, "b")


def test_key_dir_inside_workspace_refused(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(c.KEY_DIR_ENV, str(ws / "keys"))
    with pytest.raises(ProjectError, match="inside the workspace"):
        c.add(ws, "a", "sqlite", {"path": "x"}, replace=False)


def test_masking_urls() -> None:
    assert c.mask_url("postgres://u:pw@h:5/db") == f"postgres://u:{c.MASK}@h:5/db"
    assert c.mask_url("https://h/x") == "https://h/x"
    shown = c.masked("llm", {"url": f"https://u:{SECRET}@api/v1", "api_key": SECRET})
    assert SECRET not in json.dumps(shown)


# -- real connection tests -------------------------------------------------------------------


def test_smtp_ehlo_and_auth(ws: Path, smtp_server: _SMTPServer) -> None:
    port = str(smtp_server.server_address[1])
    settings = {"host": "127.0.0.1", "port": port, "username": "mailer", "password": SECRET}
    c.add(ws, "mail", "smtp", settings, replace=False)
    result = c.test(ws, "mail", timeout=5)
    assert result.ok, result.message
    assert "EHLO and AUTH as mailer succeeded" in result.message
    assert smtp_server.logins == [("mailer", True)]
    assert smtp_server.commands[:2] == ["EHLO", "AUTH"]
    c.add(ws, "mail", "smtp", {**settings, "password": "wrong"}, replace=True)
    result = c.test(ws, "mail", timeout=5)
    assert not result.ok and "535" in result.message
    c.add(ws, "mail", "smtp", {**settings, "security": "starttls"}, replace=True)
    result = c.test(ws, "mail", timeout=5)
    assert not result.ok and "STARTTLS" in result.message


def test_smtp_unreachable(ws: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c.add(ws, "mail", "smtp", {"host": "127.0.0.1", "port": str(port)}, replace=False)
    result = c.test(ws, "mail", timeout=2)
    assert not result.ok and "cannot connect" in result.message


def test_http_llm_whatsapp(ws: Path, http_api: tuple[str, list[str]]) -> None:
    url, seen = http_api
    c.add(ws, "api", "http", {"url": url, "api_key": SECRET}, replace=False)
    assert c.test(ws, "api").ok
    c.add(ws, "api", "http", {"url": url, "api_key": "nope"}, replace=True)
    bad = c.test(ws, "api")
    assert not bad.ok and "rejected the credentials (HTTP 401)" in bad.message
    c.add(
        ws,
        "api2",
        "http",
        {"url": url, "api_key": SECRET, "header": "X-Api-Key", "scheme": ""},
        replace=False,
    )
    assert c.test(ws, "api2").ok
    c.add(
        ws,
        "gpt",
        "llm",
        {"url": url + "/v1", "api_key": SECRET, "model": "gpt-test"},
        replace=False,
    )
    assert c.test(ws, "gpt").ok
    c.add(ws, "gpt", "llm", {"url": url + "/v1", "api_key": SECRET, "model": "other"}, replace=True)
    assert "does not list model" in c.test(ws, "gpt").message
    c.add(
        ws, "wa", "whatsapp", {"url": url, "phone_number_id": "123", "token": SECRET}, replace=False
    )
    assert c.test(ws, "wa").ok
    assert "/v1/models" in seen and any(p.startswith("/123?") for p in seen)


def test_sqlite(ws: Path) -> None:
    import sqlite3

    db = ws / "shop.db"
    conn = sqlite3.connect(db)
    conn.execute("create table orders (id integer)")
    conn.close()
    c.add(ws, "shopdb", "sqlite", {"path": "shop.db"}, replace=False)
    result = c.test(ws, "shopdb")
    assert result.ok and result.details["tables"] == "1"
    db.write_bytes(b"not a database" * 100)
    assert not c.test(ws, "shopdb").ok


# -- PostgreSQL ---------------------------------------------------------------------------------


def _start_local_postgres(base: Path) -> str | None:
    """A throw-away server for machines that have PostgreSQL's binaries (run as the
    ``postgres`` user when we are root). None when that cannot be done here."""
    initdb = shutil.which("initdb") or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))), None
    )
    if initdb is None:
        return None
    bindir = Path(initdb).parent
    pg_ctl = shutil.which("pg_ctl") or str(bindir / "pg_ctl")
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return None
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return None
        prefix = ["runuser", "-u", "postgres", "--"]
        base.mkdir(parents=True, exist_ok=True)
        shutil.chown(base, "postgres")
    data = base / "data"
    pwfile = base / "pw"
    pwfile.write_text("pg-admin-pass\n")
    if prefix:
        shutil.chown(pwfile, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    try:
        subprocess.run(
            [
                *prefix,
                initdb,
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth-host=md5",  # md5 in pg_hba: SCRAM for SCRAM-hashed roles, MD5 for md5
                "--auth-local=trust",
                f"--pwfile={pwfile}",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        subprocess.run(
            [
                *prefix,
                pg_ctl,
                "-D",
                str(data),
                "-l",
                str(base / "log"),
                "-w",
                "-o",
                f"-p {port} -k {base} -c listen_addresses=127.0.0.1",
                "start",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        # a second role whose password is stored as MD5: the server then asks for MD5 auth
        psql = shutil.which("psql") or str(bindir / "psql")
        subprocess.run(
            [
                *prefix,
                psql,
                "-h",
                str(base),
                "-p",
                str(port),
                "-U",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                "SET password_encryption = 'md5'",
                "-c",
                "CREATE ROLE md5user LOGIN PASSWORD 'md5-pass'",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
    except (subprocess.SubprocessError, OSError):
        return None
    _LOCAL_PG["md5"] = f"postgres://md5user:md5-pass@127.0.0.1:{port}/postgres"
    return f"postgres://postgres:pg-admin-pass@127.0.0.1:{port}/postgres"


_LOCAL_PG: dict[str, str] = {}


@pytest.fixture(scope="module")
def pg_dsn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    dsn = os.environ.get("NODEFORGE_TEST_PG_DSN")
    started: Path | None = None
    if not dsn:
        # not under pytest's 0700 temp folders: the server runs as another user
        base = Path(tempfile.mkdtemp(prefix="nodeforge-pg-"))
        base.chmod(0o755)
        dsn = _start_local_postgres(base / "pg")
        started = base / "pg" if dsn else None
        if not dsn:
            shutil.rmtree(base, ignore_errors=True)
    if not dsn:
        pytest.skip(
            "no PostgreSQL: set NODEFORGE_TEST_PG_DSN=postgres://USER:PASSWORD@HOST:PORT/DB "
            "(a role that can log in with a password) or install PostgreSQL's server binaries"
        )
    yield dsn
    if started is not None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        pg_ctl = shutil.which("pg_ctl") or "pg_ctl"
        subprocess.run(
            [*prefix, pg_ctl, "-D", str(started / "data"), "-m", "immediate", "stop"],
            capture_output=True,
            timeout=60,
            check=False,
        )
        shutil.rmtree(started.parent, ignore_errors=True)


def _pg_settings(dsn: str) -> dict[str, str]:
    u = urllib.parse.urlsplit(dsn)
    return {
        "host": u.hostname or "localhost",
        "port": str(u.port or 5432),
        "user": urllib.parse.unquote(u.username or ""),
        "password": urllib.parse.unquote(u.password or ""),
        "database": u.path.lstrip("/") or "postgres",
        "sslmode": dict(urllib.parse.parse_qsl(u.query)).get("sslmode", "prefer"),
    }


def test_postgres_login(ws: Path, pg_dsn: str) -> None:
    settings = _pg_settings(pg_dsn)
    c.add(ws, "db", "postgres", settings, replace=False)
    result = c.test(ws, "db", timeout=10)
    assert result.ok, result.message
    assert result.message.startswith("logged in to PostgreSQL")
    c.add(ws, "db", "postgres", {**settings, "password": "definitely-wrong"}, replace=True)
    result = c.test(ws, "db", timeout=10)
    assert not result.ok and "28P01" in result.message  # invalid_password
    env = c.runtime_env(ws, ["db"])
    assert env["NODEFORGE_CONNECTOR_DB_DSN"].startswith(f"postgres://{settings['user']}:")


def test_postgres_auth_methods(pg_dsn: str) -> None:
    settings = _pg_settings(pg_dsn)
    info = c.postgres_login(
        host=settings["host"],
        port=int(settings["port"]),
        user=settings["user"],
        password=settings["password"],
        database=settings["database"],
        sslmode=settings["sslmode"],
    )
    assert info["auth"] in ("scram-sha-256", "md5", "password") and info["server_version"]
    if "md5" not in _LOCAL_PG:
        pytest.skip("the MD5 role exists only on the server the tests start themselves")
    md5 = _pg_settings(_LOCAL_PG["md5"])
    info = c.postgres_login(
        host=md5["host"],
        port=int(md5["port"]),
        user=md5["user"],
        password=md5["password"],
        database=md5["database"],
    )
    assert info["auth"] == "md5"
    with pytest.raises(c.PostgresError, match="28P01"):
        c.postgres_login(
            host=md5["host"],
            port=int(md5["port"]),
            user=md5["user"],
            password="wrong",
            database=md5["database"],
        )


# -- runtime delivery ---------------------------------------------------------------------------


def test_runtime_env_and_cli_env_exec(
    ws: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    c.add(ws, "shopdb", "sqlite", {"path": "shop.db"}, replace=False)
    c.add(
        ws, "db", "postgres", {"database": "d", "user": "u", "password": "p@ss/word"}, replace=False
    )
    env = c.runtime_env(ws)
    assert env["NODEFORGE_CONNECTOR_SHOPDB_PATH"] == "shop.db"
    assert (
        env["NODEFORGE_CONNECTOR_DB_DSN"]
        == "postgres://u:p%40ss%2Fword@localhost:5432/d?sslmode=prefer"
    )
    out = tmp_path / "app.env"
    assert main(["connector", "env", "-w", str(ws), "-o", str(out), "--format", "json"]) == 0
    assert json.loads(out.read_text()) == env
    assert out.stat().st_mode & 0o777 == 0o600
    script = "import os; print(os.environ['NODEFORGE_CONNECTOR_SHOPDB_PATH'])"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "nodeforge",
            "connector",
            "exec",
            "-w",
            str(ws),
            "--connector",
            "shopdb",
            "--",
            sys.executable,
            "-c",
            script,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "shop.db"


def test_cli_connector(
    ws: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    w = ["-w", str(ws)]
    monkeypatch.setenv("MY_TOKEN", SECRET)
    assert (
        main(
            [
                "connector",
                "add",
                "api",
                "-t",
                "http",
                "--set",
                "url=http://127.0.0.1:9",
                "--set-env",
                "api_key=MY_TOKEN",
                *w,
            ]
        )
        == 0
    )
    assert main(["connector", "list", "--json", *w]) == 0
    assert main(["connector", "show", "api", *w]) == 0
    out = capsys.readouterr().out
    assert "api_key = ********" in out and SECRET not in out
    assert main(["connector", "test", "api", "--timeout", "2", *w]) == 1
    assert "cannot connect" in capsys.readouterr().out
    assert main(["connector", "remove", "api", *w]) == 0
    assert main(["connector", "remove", "api", *w]) == 1
    assert main(["connector", "types"]) == 0
    assert len(capsys.readouterr().out) > 100


# -- planted secrets -----------------------------------------------------------------------------


def test_planted_secret_is_nowhere(
    ws: Path, smtp_server: _SMTPServer, capsys: pytest.CaptureFixture[str], key_dir: Path
) -> None:
    port = str(smtp_server.server_address[1])
    c.add(
        ws,
        "mail",
        "smtp",
        {"host": "127.0.0.1", "port": port, "username": "mailer", "password": SECRET},
        replace=False,
    )
    c.add(ws, "db", "postgres", {"database": "d", "user": "u", "password": SECRET}, replace=False)
    c.add(
        ws,
        "gpt",
        "llm",
        {"url": f"https://user:{SECRET}@api.example/v1", "api_key": SECRET},
        replace=False,
    )
    # a flow that uses the connector by name, saved to the history a few times
    flow = ws / "flows" / "mail.flow.json"
    flow.write_text(
        json.dumps(
            {
                "nodeforge": "1",
                "id": "mail",
                "name": "Mail",
                "nodes": [
                    {
                        "id": "hook",
                        "type": "http/trigger",
                        "version": "1.0.0",
                        "config": {"method": "POST", "path": "/m"},
                    },
                    {
                        "id": "send",
                        "type": "email/send",
                        "version": "1.0.0",
                        "config": {
                            "connector": "mail",
                            "from": "me@example.com",
                            "to": "a@example.com",
                            "subject": "hi",
                            "body": "x",
                        },
                    },
                    {
                        "id": "reply",
                        "type": "http/respond",
                        "version": "1.0.0",
                        "config": {"status": 200},
                    },
                ],
                "connections": [
                    {"from": "hook.out", "to": "send.in"},
                    {"from": "send.out", "to": "reply.in"},
                ],
            }
        )
    )
    # generated code and the build (written under .nodeforge/, scanned with the rest
    # below), the build log, and the logs of the running app, which does get the
    # decrypted settings in its environment
    from nodeforge.codegen.build import app_env, build

    built = build(ws)
    assert built.ok and built.binary is not None, built.diagnostics
    assert SECRET not in built.output
    addr = f"127.0.0.1:{free_port()}"
    env = {**os.environ, **app_env(ws), "NODEFORGE_ADDR": addr}
    assert SECRET in "".join(env.values())  # the app really receives the secret
    app = subprocess.Popen(
        [str(built.binary)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://{addr}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        request = urllib.request.Request(f"http://{addr}/m", data=b"{}", method="POST")
        with contextlib.suppress(OSError):
            urllib.request.urlopen(request, timeout=10).read()
    finally:
        app.terminate()
        app_log, _ = app.communicate(timeout=30)
    assert b"mail" in app_log or b"listening" in app_log  # the app did log
    assert SECRET.encode() not in app_log
    h = History(ws)
    h.save(flow, "with a connector")
    h.save(ws / "flows/hello.flow.json")
    assert c.test(ws, "mail").ok
    # everything the CLI prints
    w = ["-w", str(ws)]
    for argv in (
        ["connector", "list"],
        ["connector", "show", "mail"],
        ["connector", "show", "gpt"],
        ["connector", "show", "db", "--json"],
        ["connector", "test", "mail"],
        ["history"],
        ["project", "--json"],
    ):
        main([*argv, *w])
    printed = capsys.readouterr()
    assert SECRET not in printed.out + printed.err
    # every file of the workspace: flows, nodeforge.toml, .nodeforge/ (history objects
    # are zlib-compressed: checked through git below)
    for path in ws.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
    # the whole internal history, every commit's full patch
    log = subprocess.run(
        ["git", f"--git-dir={h.git_dir}", "log", "-p", "--all", "--format=%H %B"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "email/send@1.0.0" in log and SECRET not in log
    everything = subprocess.run(
        ["git", f"--git-dir={h.git_dir}", "cat-file", "--batch-all-objects", "--batch"],
        capture_output=True,
        check=True,
    ).stdout
    assert SECRET.encode() not in everything
    # the key file holds a key, not the secret
    for key in key_dir.glob("*.key"):
        assert SECRET.encode() not in key.read_bytes()
    # language server command results
    from nodeforge.project import commands

    for name, args in (
        ("connector.list", {}),
        ("connector.show", {"name": "mail"}),
        ("connector.show", {"name": "gpt"}),
        ("connector.test", {"name": "mail"}),
        ("history.list", {"flow": str(flow)}),
    ):
        result = commands.run_command(ws, name, args)
        assert SECRET not in json.dumps(result), name


def test_store_survives_concurrent_adds(ws: Path) -> None:
    script = (
        "import sys; from pathlib import Path; from nodeforge.project import connectors as c\n"
        "for i in range(10): c.add(Path(sys.argv[1]), f'{sys.argv[2]}{i}', 'sqlite', {'path': 'x'}, replace=True)\n"
    )
    c.add(ws, "first", "sqlite", {"path": "x"}, replace=False)  # the key exists before the race
    procs = [subprocess.Popen([sys.executable, "-c", script, str(ws), tag]) for tag in ("a", "b")]
    deadline = time.monotonic() + 120
    for p in procs:
        assert p.wait(timeout=max(1, deadline - time.monotonic())) == 0
    names = set(c.Store(ws).names())
    assert names == {"first"} | {f"{t}{i}" for t in "ab" for i in range(10)}


# -- removing a connector (issue 10, item 5) ----------------------------------------------------


def _use_connector(ws: Path, flow_name: str, connector: str) -> None:
    flow = {
        "id": flow_name,
        "name": flow_name,
        "nodes": [
            {"id": "start", "type": "trigger/manual", "version": "1.0.0", "config": {}},
            {
                "id": "read",
                "type": "sql/query",
                "version": "1.0.0",
                "config": {"connector": connector, "query": "select 1 as one"},
            },
        ],
        "connections": [{"from": "start", "to": "read"}],
    }
    (ws / "flows" / f"{flow_name}.flow.json").write_text(json.dumps(flow, indent=2))


def test_remove_requires_the_key(ws: Path, key_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    c.add(ws, "mail", "smtp", {"host": "h", "password": SECRET}, replace=False)
    store = (ws / ".nodeforge/connectors.json").read_bytes()
    toml = (ws / "nodeforge.toml").read_bytes()

    def unchanged() -> bool:
        return (ws / ".nodeforge/connectors.json").read_bytes() == store and (
            ws / "nodeforge.toml"
        ).read_bytes() == toml

    for wrong, message in ((c.generate_key(), "wrong key"), ("short", "too short")):
        monkeypatch.setenv(c.KEY_ENV, wrong)
        with pytest.raises(ProjectError, match=message):
            c.remove(ws, "mail")
        assert unchanged()
        assert main(["connector", "remove", "mail", "-w", str(ws)]) == 1
        assert unchanged()
    monkeypatch.delenv(c.KEY_ENV)
    key = next(key_dir.glob("*.key"))
    hidden = key.with_suffix(".bak")
    key.rename(hidden)
    with pytest.raises(ProjectError, match="no key is available"):
        c.remove(ws, "mail")
    assert unchanged()
    hidden.rename(key)
    assert c.remove(ws, "mail")
    assert "mail" not in project_info(ws).connectors


def test_remove_refuses_while_flows_use_it(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    c.add(ws, "shopdb", "sqlite", {"path": "shop.db"}, replace=False)
    _use_connector(ws, "orders", "shopdb")
    _use_connector(ws, "report", "shopdb")
    assert [(u.flow, u.node) for u in c.connector_uses(ws, "shopdb")] == [
        ("flows/orders.flow.json", "read"),
        ("flows/report.flow.json", "read"),
    ]
    with pytest.raises(ProjectError, match=r"flows/orders\.flow\.json") as info:
        c.remove(ws, "shopdb")
    assert "flows/report.flow.json" in str(info.value) and "--force" in str(info.value)
    assert project_info(ws).connectors == {"shopdb": "sqlite"}
    assert c.Store(ws).names() == ["shopdb"]
    capsys.readouterr()
    assert main(["connector", "remove", "shopdb", "-w", str(ws)]) == 1
    err = capsys.readouterr().err
    assert "flows/orders.flow.json (node read)" in err and "--force" in err
    assert main(["connector", "remove", "shopdb", "--force", "-w", str(ws)]) == 0
    assert "shopdb" not in project_info(ws).connectors and c.Store(ws).names() == []
