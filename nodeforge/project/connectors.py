"""Connectors: named, typed connection settings, encrypted at rest.

``nodeforge.toml`` declares each connector's *name and type* (``[connectors.shopdb]
type = "postgres"``) so analysis can check flows; the settings, secrets included, live in
``.nodeforge/connectors.json``, each connector's settings sealed with AES-256-GCM (a
random 96-bit nonce per write; the workspace id, connector name and type bound in as
associated data, so a sealed record cannot be moved to another name or workspace).

The key comes from ``NODEFORGE_SECRET_KEY`` (a 32-byte url-safe base64 key as printed
by ``nodeforge connector keygen``, or a passphrase of 16+ characters stretched with
scrypt) or else from a key file created with mode 0600 *outside* the workspace, at
``$NODEFORGE_KEY_DIR`` or ``$XDG_CONFIG_HOME/nodeforge/keys`` (default
``~/.config/nodeforge/keys``) as ``<workspace-id>.key``. A store records a key check, so
a wrong key is reported as such and nothing is overwritten; a missing key is never
replaced by a new one while a store exists.

Built apps get the settings at run time only, as environment variables
``NODEFORGE_CONNECTOR_<NAME>_<KEY>`` (what ``catalog/nf`` reads): see
:func:`runtime_env`, ``nodeforge connector exec -- ./app`` and ``nodeforge connector env
-o FILE``. They are never written into generated code.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import socket
import ssl
import struct
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from nodeforge.analysis.workspace import CONNECTOR_TYPES
from nodeforge.project.fsutil import ProjectError, atomic_write, state_dir
from nodeforge.project.workspace_init import (
    add_connector_entry,
    check_connector_name,
    project_info,
    remove_connector_entry,
    workspace_id,
)

STORE_FILE = "connectors.json"
STORE_FORMAT = 1
KEY_ENV = "NODEFORGE_SECRET_KEY"
KEY_DIR_ENV = "NODEFORGE_KEY_DIR"
MASK = "********"
SETTING_PREFIX = "NODEFORGE_CONNECTOR_"
_CHECK_PLAINTEXT = b"nodeforge connector store key check v1"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    description: str
    required: bool = False
    secret: bool = False
    default: str | None = None


_SPECS: dict[str, tuple[FieldSpec, ...]] = {
    "postgres": (
        FieldSpec("host", "server host name or address", default="localhost"),
        FieldSpec("port", "server port", default="5432"),
        FieldSpec("database", "database name", required=True),
        FieldSpec("user", "login role", required=True),
        FieldSpec("password", "password", secret=True),
        FieldSpec("sslmode", "disable, prefer, require or verify-full", default="prefer"),
        FieldSpec("schema", "SQL file run once when the app opens the database"),
    ),
    "sqlite": (
        FieldSpec("path", "database file (relative paths: to the app's folder)", required=True),
        FieldSpec("schema", "SQL file run once when the app opens the database"),
    ),
    "smtp": (
        FieldSpec("host", "SMTP server host", required=True),
        FieldSpec("port", "SMTP port (465: implicit TLS)", default="587"),
        FieldSpec("username", "login (AUTH) user name"),
        FieldSpec("password", "login password", secret=True),
        FieldSpec("from", "default sender address"),
        FieldSpec("security", "auto, starttls, tls or none", default="auto"),
    ),
    "http": (
        FieldSpec("url", "the API's base URL", required=True),
        FieldSpec("api_key", "API key or token", secret=True),
        FieldSpec("header", "header that carries the key", default="Authorization"),
        FieldSpec("scheme", "prefix of the key in the header (empty: none)", default="Bearer"),
    ),
    "whatsapp": (
        FieldSpec("url", "Graph API base URL", default="https://graph.facebook.com/v21.0"),
        FieldSpec("phone_number_id", "the sending phone number's id", required=True),
        FieldSpec("token", "access token", required=True, secret=True),
    ),
    "llm": (
        FieldSpec(
            "provider",
            "openai, azure, anthropic, gemini, ollama, vllm, llamacpp or lmstudio",
            default="openai",
        ),
        FieldSpec(
            "url",
            "API base URL (default: the provider's; azure: https://<resource>.openai.azure.com)",
            default="https://api.openai.com/v1",
        ),
        FieldSpec("model", "default model (azure: the deployment name)"),
        FieldSpec("api_key", "API key", secret=True),
        FieldSpec("api_version", "azure: the api-version query parameter (default 2024-10-21)"),
    ),
    "nats": (
        FieldSpec(
            "url",
            "server URL(s), comma-separated: nats://host:4222, tls://host:4222",
            required=True,
        ),
        FieldSpec("user", "user name (with password)"),
        FieldSpec("password", "password", secret=True),
        FieldSpec("token", "authentication token (instead of user and password)", secret=True),
        FieldSpec("creds", "a .creds file (JWT and NKey seed; instead of the above)"),
        FieldSpec("tls_ca", "CA bundle file to verify the server"),
        FieldSpec("tls_cert", "client certificate file (mutual TLS)"),
        FieldSpec("tls_key", "client key file (mutual TLS)"),
        FieldSpec("tls", "true: require TLS even for nats:// URLs"),
    ),
}
assert set(_SPECS) == set(CONNECTOR_TYPES)


def specs(kind: str) -> tuple[FieldSpec, ...]:
    try:
        return _SPECS[kind]
    except KeyError:
        raise ProjectError(
            f"unknown connector type `{kind}` (one of {', '.join(CONNECTOR_TYPES)})"
        ) from None


def types_table() -> dict[str, list[dict[str, Any]]]:
    return {kind: [asdict(f) for f in fields] for kind, fields in _SPECS.items()}


# -- keys -------------------------------------------------------------------------------------


def key_dir() -> Path:
    explicit = os.environ.get(KEY_DIR_ENV)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "nodeforge" / "keys"


def generate_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def _decode_key(text: str, salt: str) -> bytes:
    text = text.strip()
    with contextlib.suppress(ValueError):
        raw = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
        if len(raw) == 32:
            return raw
    if len(text) < 16:
        raise ProjectError(
            f"{KEY_ENV} is too short: use `nodeforge connector keygen` for a key, "
            "or a passphrase of at least 16 characters"
        )
    return hashlib.scrypt(
        text.encode("utf-8"),
        salt=f"nodeforge:{salt}".encode(),
        n=2**15,
        r=8,
        p=1,
        maxmem=2**26,
        dklen=32,
    )


@dataclass(frozen=True, slots=True)
class Key:
    material: bytes
    source: str  # for messages: "NODEFORGE_SECRET_KEY" or the key file's path


def _key_file(root: Path, ws_id: str) -> Path:
    path = key_dir() / f"{ws_id}.key"
    full = Path(os.path.abspath(path))
    try:
        full.relative_to(root.resolve())
    except ValueError:
        return full
    raise ProjectError(
        f"the key file {full} would be inside the workspace; set {KEY_DIR_ENV} to a folder "
        "outside it (or use the NODEFORGE_SECRET_KEY environment variable)"
    )


def load_key(root: Path, *, create: bool) -> Key | None:
    """The workspace's key: the environment variable, else the key file (created when
    ``create``). None when there is none and ``create`` is false."""
    ws_id = workspace_id(root)
    env = os.environ.get(KEY_ENV)
    if env:
        return Key(_decode_key(env, ws_id), KEY_ENV)
    path = _key_file(root, ws_id)
    if path.exists():
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise ProjectError(
                f"the key file {path} can be read by other users (mode {mode:04o}); "
                f"run `chmod 600 {path}`"
            )
        text = path.read_text(encoding="ascii").strip()
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        if len(raw) != 32:
            raise ProjectError(f"the key file {path} is damaged (not a 32-byte key)")
        return Key(raw, str(path))
    if not create:
        return None
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it just now
        return load_key(root, create=False)
    key = generate_key()
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return Key(base64.urlsafe_b64decode(key), str(path))


# -- the store -------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"))


def _aad(ws_id: str, name: str, kind: str) -> bytes:
    return f"nodeforge-connector:v1:{ws_id}:{name}:{kind}".encode()


class Store:
    """The encrypted settings of one workspace's connectors."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.path = state_dir(self.root, create=False) / STORE_FILE
        self.lock_path = self.path.with_suffix(".lock")

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (ValueError, UnicodeDecodeError) as exc:
            raise ProjectError(f"{self.path} is damaged ({exc}); nothing was changed") from exc
        if not isinstance(data, dict) or data.get("format") != STORE_FORMAT:
            raise ProjectError(f"{self.path} has an unknown format; nothing was changed")
        return data

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        state_dir(self.root)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _key(self, data: dict[str, Any], *, create: bool) -> Key:
        has_store = bool(data.get("check"))
        key = load_key(self.root, create=create and not has_store)
        if key is None:
            if has_store:
                raise ProjectError(
                    f"the connector settings in {self.path} are encrypted, but no key is "
                    f"available: set {KEY_ENV} or restore the key file "
                    f"{_key_file(self.root, workspace_id(self.root))}"
                )
            raise ProjectError("no connectors are stored yet")
        if has_store:
            check = data["check"]
            try:
                AESGCM(key.material).decrypt(
                    _unb64(check["nonce"]), _unb64(check["data"]), _aad(data["workspace"], "", "")
                )
            except (InvalidTag, KeyError, ValueError):
                raise ProjectError(
                    f"wrong key for {self.path}: the key from {key.source} is not the one the "
                    "connectors were encrypted with; nothing was changed"
                ) from None
        return key

    def names(self) -> list[str]:
        return sorted(self._read().get("connectors", {}))

    def get(self, name: str) -> tuple[str, dict[str, str]]:
        """(type, settings) of connector ``name``, decrypted."""
        data = self._read()
        record = data.get("connectors", {}).get(name)
        if record is None:
            raise ProjectError(f"no stored settings for connector `{name}`")
        key = self._key(data, create=False)
        try:
            plain = AESGCM(key.material).decrypt(
                _unb64(record["nonce"]),
                _unb64(record["data"]),
                _aad(data["workspace"], name, record["type"]),
            )
        except (InvalidTag, KeyError, ValueError):
            raise ProjectError(
                f"the settings of connector `{name}` are damaged or were tampered with"
            ) from None
        settings = json.loads(plain)
        return str(record["type"]), {str(k): str(v) for k, v in settings.items()}

    def put(self, name: str, kind: str, settings: Mapping[str, str]) -> None:
        with self._locked():
            data = self._read()
            ws_id = workspace_id(self.root)
            if data and data.get("workspace") != ws_id:
                raise ProjectError(
                    f"{self.path} belongs to another workspace (id {data.get('workspace')}); "
                    "nothing was changed"
                )
            key = self._key(data, create=True)
            aes = AESGCM(key.material)
            if not data:
                nonce = secrets.token_bytes(12)
                data = {
                    "format": STORE_FORMAT,
                    "cipher": "AES-256-GCM",
                    "workspace": ws_id,
                    "check": {
                        "nonce": _b64(nonce),
                        "data": _b64(aes.encrypt(nonce, _CHECK_PLAINTEXT, _aad(ws_id, "", ""))),
                    },
                    "connectors": {},
                }
            nonce = secrets.token_bytes(12)
            plain = json.dumps(dict(settings), sort_keys=True).encode("utf-8")
            data["connectors"][name] = {
                "type": kind,
                "nonce": _b64(nonce),
                "data": _b64(aes.encrypt(nonce, plain, _aad(ws_id, name, kind))),
                "updated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }
            atomic_write(self.path, json.dumps(data, indent=2) + "\n", mode=0o600)

    def verify_key(self) -> None:
        """Raise :class:`ProjectError` unless the key at hand opens this store (a
        workspace without stored settings needs no key)."""
        data = self._read()
        if data.get("check"):
            self._key(data, create=False)

    def delete(self, name: str) -> bool:
        """Remove ``name``'s settings; only with the store's key (a wrong key changes
        nothing)."""
        with self._locked():
            data = self._read()
            if data.get("check"):
                self._key(data, create=False)
            if name not in data.get("connectors", {}):
                return False
            del data["connectors"][name]
            atomic_write(self.path, json.dumps(data, indent=2) + "\n", mode=0o600)
            return True


# -- operations ------------------------------------------------------------------------------


@dataclass(slots=True)
class ConnectorInfo:
    name: str
    type: str
    declared: bool  # in nodeforge.toml
    stored: bool  # settings in the encrypted store
    settings: dict[str, str] = field(default_factory=dict)  # masked
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def normalise(kind: str, settings: Mapping[str, str]) -> dict[str, str]:
    """Validate settings against the type's fields; defaults are not stored."""
    fields = {f.name: f for f in specs(kind)}
    out: dict[str, str] = {}
    for key, value in settings.items():
        if key not in fields:
            raise ProjectError(f"`{key}` is not a {kind} setting (settings: {', '.join(fields)})")
        out[key] = str(value)
    missing = [f.name for f in fields.values() if f.required and not out.get(f.name)]
    if missing:
        raise ProjectError(f"a {kind} connector needs {', '.join(missing)}")
    if kind in ("postgres", "smtp") and "port" in out and not out["port"].isdigit():
        raise ProjectError(f"port must be a number, not `{out['port']}`")
    if kind == "llm":
        _normalise_llm(out)
    if kind == "nats":
        _normalise_nats(out)
    for key in ("url",):
        if key in out and kind != "nats":
            parsed = urllib.parse.urlsplit(out[key])
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise ProjectError(f"url must be an http(s) URL, not `{mask_url(out[key])}`")
    return out


_NATS_SCHEMES = ("nats", "tls", "ws", "wss")


def _normalise_nats(out: dict[str, str]) -> None:
    """A nats connector: every server URL has a NATS scheme and a host; one way to log in;
    a client certificate comes with its key."""
    for url in out["url"].split(","):
        parsed = urllib.parse.urlsplit(url.strip())
        if parsed.scheme not in _NATS_SCHEMES or not parsed.hostname:
            raise ProjectError(
                f"url must be nats://, tls://, ws:// or wss:// URLs, not `{mask_url(url.strip())}`"
            )
    ways = [k for k in ("user", "token", "creds") if out.get(k)]
    if len(ways) > 1:
        raise ProjectError(f"give one way to log in, not {' and '.join(ways)}")
    if out.get("password") and not out.get("user"):
        raise ProjectError("a password needs a user")
    if bool(out.get("tls_cert")) != bool(out.get("tls_key")):
        raise ProjectError("tls_cert and tls_key go together")
    if out.get("tls", "") not in ("", "true", "false"):
        raise ProjectError(f"tls must be true or false, not `{out['tls']}`")


def _normalise_llm(out: dict[str, str]) -> None:
    """An llm connector's provider is known; a provider other than OpenAI gets its own
    default URL stored (the field's default is OpenAI's)."""
    from nodeforge.llm.providers import DEFAULT_URLS, PROVIDERS

    provider = out.get("provider") or "openai"
    if provider not in PROVIDERS:
        raise ProjectError(f"unknown llm provider `{provider}` (one of {', '.join(PROVIDERS)})")
    if not out.get("url") and provider != "openai":
        if not DEFAULT_URLS[provider]:
            raise ProjectError(
                f"a {provider} llm connector needs url (https://<resource>.openai.azure.com)"
            )
        out["url"] = DEFAULT_URLS[provider]


def with_defaults(kind: str, settings: Mapping[str, str]) -> dict[str, str]:
    out = {f.name: f.default for f in specs(kind) if f.default is not None}
    out.update(settings)
    return out


def mask_url(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:{MASK}@{parts.hostname or ''}"
    if parts.port:
        netloc += f":{parts.port}"
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def masked(kind: str, settings: Mapping[str, str]) -> dict[str, str]:
    secret = {f.name for f in specs(kind) if f.secret}
    out = {}
    for key, value in settings.items():
        if key in secret:
            out[key] = MASK if value else ""
        elif "://" in value:
            out[key] = mask_url(value)
        else:
            out[key] = value
    return out


def add(root: Path, name: str, kind: str, settings: Mapping[str, str], *, replace: bool) -> None:
    check_connector_name(name)
    clean = normalise(kind, settings)
    store = Store(root)
    declared = project_info(root).connectors
    if not replace and (name in store.names() or name in declared):
        raise ProjectError(f"connector `{name}` exists; pass --replace to change it")
    store.put(name, kind, clean)
    add_connector_entry(root, name, kind)


@dataclass(frozen=True, slots=True)
class ConnectorUse:
    """A node of a workspace flow that names a connector in its ``config.connector``."""

    flow: str  # the flow file, relative to the workspace, with /
    node: str
    connector: str


def uses_in_text(text: str) -> list[tuple[str, str]]:
    """(node id, connector name) of every node of one flow's text that names a connector."""
    from nodeforge.analysis.flow import load_document

    out: list[tuple[str, str]] = []
    for node in load_document(text).nodes:
        name = node.config.get("connector")
        if isinstance(name, str) and name:
            out.append((node.id or f"#{node.index}", name))
    return out


def connector_uses(root: Path, name: str | None = None) -> list[ConnectorUse]:
    """The workspace flows' nodes that use connector ``name`` (default: any connector)."""
    from nodeforge.project.history import all_flow_files

    root = root.resolve()
    out: list[ConnectorUse] = []
    for path in all_flow_files(root):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        rel = path.relative_to(root).as_posix()
        for node, used in uses_in_text(text):
            if name is None or used == name:
                out.append(ConnectorUse(rel, node, used))
    return out


def remove(root: Path, name: str, *, force: bool = False) -> bool:
    """Remove connector ``name``'s settings and its ``nodeforge.toml`` entry. Needs the
    store's key (a wrong or missing key changes nothing); refused while flows use the
    connector unless ``force``. False when there was no such connector."""
    store = Store(root)
    store.verify_key()
    users = connector_uses(root, name)
    if users and not force:
        where = "; ".join(f"{u.flow} (node {u.node})" for u in users)
        raise ProjectError(
            f"connector `{name}` is used by {len(users)} node(s): {where}; "
            "nothing was changed (--force removes it anyway)"
        )
    removed = store.delete(name)
    declared = remove_connector_entry(root, name)
    return removed or declared


def list_connectors(root: Path) -> list[ConnectorInfo]:
    declared = project_info(root).connectors
    store = Store(root)
    stored = store.names()
    out = []
    for name in sorted(set(declared) | set(stored)):
        info = ConnectorInfo(name, declared.get(name, ""), name in declared, name in stored)
        if name in stored:
            try:
                kind, _ = store.get(name)
                info.type = info.type or kind
                if declared.get(name, kind) != kind:
                    info.problems.append(
                        f"nodeforge.toml says {declared[name]}, the stored settings are {kind}"
                    )
            except ProjectError as exc:
                info.problems.append(str(exc))
        else:
            info.problems.append(f"no settings stored: `nodeforge connector add {name} ...`")
        if not info.declared:
            info.problems.append("not declared in nodeforge.toml")
        out.append(info)
    return out


def show(root: Path, name: str) -> ConnectorInfo:
    declared = project_info(root).connectors
    kind, settings = Store(root).get(name)
    info = ConnectorInfo(name, kind, name in declared, True, masked(kind, settings))
    for f in specs(kind):
        if f.name not in settings and f.default is not None:
            info.settings[f.name] = f.default
    return info


def setting_prefix(name: str) -> str:
    """``NODEFORGE_CONNECTOR_<NAME>_``: what the app's variables for connector ``name``
    start with (``catalog/nf.SettingName``)."""
    return f"{SETTING_PREFIX}{name.upper()}_"


def runtime_env(root: Path, names: list[str] | None = None) -> dict[str, str]:
    """``NODEFORGE_CONNECTOR_<NAME>_<KEY>`` variables for a built app (plaintext!):
    hand them to the app's process only, never write them into generated code.
    ``names`` None: every stored connector; an empty list: none (no key needed)."""
    store = Store(root)
    env: dict[str, str] = {}
    for name in store.names() if names is None else names:
        kind, settings = store.get(name)
        full = with_defaults(kind, settings)
        if kind == "postgres":
            full.setdefault("dsn", postgres_dsn(full))
        prefix = setting_prefix(name)
        for key, value in full.items():
            if value:
                env[prefix + key.upper()] = value
    return env


def postgres_dsn(s: Mapping[str, str]) -> str:
    user = urllib.parse.quote(s.get("user", ""), safe="")
    password = s.get("password", "")
    auth = user + (":" + urllib.parse.quote(password, safe="") if password else "")
    host = s.get("host", "localhost")
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    query = urllib.parse.urlencode({"sslmode": s.get("sslmode", "prefer")})
    db = urllib.parse.quote(s.get("database", ""), safe="")
    return f"postgres://{auth}@{host}:{s.get('port', '5432')}/{db}?{query}"


# -- testing a connection ------------------------------------------------------------------------


@dataclass(slots=True)
class TestResult:
    ok: bool
    message: str
    details: dict[str, str] = field(default_factory=dict)
    elapsed_ms: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def test(root: Path, name: str, *, timeout: float = 10.0) -> TestResult:
    """Really connect with connector ``name``'s settings (login where there is one)."""
    kind, settings = Store(root).get(name)
    full = with_defaults(kind, settings)
    secret_values = [v for f in specs(kind) if f.secret and (v := full.get(f.name))]
    start = time.monotonic()
    try:
        result = _TESTERS[kind](root, full, timeout)
    except (OSError, ssl.SSLError, ValueError, EOFError) as exc:
        result = TestResult(False, f"cannot connect: {type(exc).__name__}: {exc}")
    result.elapsed_ms = int((time.monotonic() - start) * 1000)
    for value in secret_values:  # never echo a secret back (e.g. in a server's reply)
        result.message = result.message.replace(value, MASK)
        result.details = {k: v.replace(value, MASK) for k, v in result.details.items()}
    return result


def _test_sqlite(root: Path, s: dict[str, str], timeout: float) -> TestResult:
    import sqlite3

    path = Path(s["path"])
    if not path.is_absolute():
        path = root / path
    if not path.exists():
        if path.parent.is_dir() and os.access(path.parent, os.W_OK):
            return TestResult(True, f"{path} does not exist yet; the app will create it")
        return TestResult(False, f"{path} does not exist and its folder is not writable")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=timeout)
        try:
            (tables,) = conn.execute(
                "select count(*) from sqlite_master where type = 'table'"
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return TestResult(False, f"{path} is not a usable SQLite database: {exc}")
    return TestResult(True, f"opened {path}: {tables} table(s)", {"tables": str(tables)})


def _test_smtp(root: Path, s: dict[str, str], timeout: float) -> TestResult:
    import smtplib

    host, port = s["host"], int(s.get("port", "587"))
    security = s.get("security", "auto")
    details: dict[str, str] = {}
    context = ssl.create_default_context()
    client: smtplib.SMTP
    try:
        if security == "tls" or (security == "auto" and port == 465):
            client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
            details["tls"] = "implicit"
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
        try:
            code, banner = client.ehlo()
            if code != 250:
                return TestResult(False, f"EHLO refused: {code} {banner.decode(errors='replace')}")
            details["ehlo"] = banner.decode(errors="replace").splitlines()[0]
            if "tls" not in details and security in ("auto", "starttls"):
                if client.has_extn("starttls"):
                    client.starttls(context=context)
                    client.ehlo()
                    details["tls"] = "starttls"
                elif security == "starttls":
                    return TestResult(False, "the server does not offer STARTTLS", details)
            user = s.get("username", "")
            if user:
                if not client.has_extn("auth"):
                    return TestResult(False, "the server does not offer AUTH", details)
                details["auth_mechanisms"] = client.esmtp_features.get("auth", "").strip()
                client.login(user, s.get("password", ""))
                return TestResult(True, f"EHLO and AUTH as {user} succeeded", details)
            return TestResult(True, "EHLO succeeded (no username: AUTH not tried)", details)
        finally:
            with contextlib.suppress(Exception):
                client.quit()
    except smtplib.SMTPAuthenticationError as exc:
        err = exc.smtp_error
        msg = err.decode(errors="replace") if isinstance(err, bytes) else str(err or "")
        return TestResult(False, f"AUTH rejected: {exc.smtp_code} {msg}".strip(), details)
    except smtplib.SMTPException as exc:
        return TestResult(False, f"SMTP error: {exc}", details)


def _http_get(url: str, headers: dict[str, str], timeout: float) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers={"User-Agent": "nodeforge-test", **headers})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return int(resp.status), resp.read(65536)
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read(65536) if exc.fp is not None else b""


def _http_result(what: str, url: str, status: int, ok_404: bool = True) -> TestResult:
    shown = mask_url(url)
    if status in (401, 403):
        return TestResult(False, f"{shown} rejected the credentials (HTTP {status})")
    if status >= 500:
        return TestResult(False, f"{shown} failed (HTTP {status})")
    if status >= 400 and not ok_404:
        return TestResult(False, f"{shown} answered HTTP {status}")
    return TestResult(True, f"{what} answered HTTP {status}", {"status": str(status)})


def _test_http(root: Path, s: dict[str, str], timeout: float) -> TestResult:
    headers = {}
    if s.get("api_key"):
        scheme = s.get("scheme", "")
        headers[s.get("header") or "Authorization"] = (
            f"{scheme} {s['api_key']}" if scheme else s["api_key"]
        )
    status, _ = _http_get(s["url"], headers, timeout)
    return _http_result(mask_url(s["url"]), s["url"], status)


def _test_llm(root: Path, s: dict[str, str], timeout: float) -> TestResult:
    """List the provider's models (its own endpoint and auth header) and look for the
    connector's model."""
    from nodeforge.llm.config import connector_settings
    from nodeforge.llm.providers import provider
    from nodeforge.llm.types import LLMError

    try:
        settings = connector_settings("test", s)
        wire = provider(settings.provider)
        url = wire.models_url(settings.endpoint)
    except LLMError as exc:
        return TestResult(False, str(exc.args[0]))
    status, body = _http_get(url, wire.headers(settings.endpoint), timeout)
    result = _http_result(f"{settings.provider} at {mask_url(url)}", url, status, ok_404=False)
    result.details["provider"] = settings.provider
    if result.ok and settings.model:
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            models = set(wire.model_ids(json.loads(body)))
            if models and settings.model.removeprefix("models/") not in models:
                return TestResult(
                    False, f"the API does not list model `{settings.model}`", result.details
                )
            if models:
                result.details["model"] = "listed"
    return result


def _test_whatsapp(root: Path, s: dict[str, str], timeout: float) -> TestResult:
    phone = urllib.parse.quote(s["phone_number_id"], safe="")
    url = f"{s['url'].rstrip('/')}/{phone}?fields=id,display_phone_number"
    status, _ = _http_get(url, {"Authorization": f"Bearer {s['token']}"}, timeout)
    return _http_result("the WhatsApp Cloud API", url, status, ok_404=False)


def _test_postgres(root: Path, s: dict[str, str], timeout: float) -> TestResult:
    try:
        params = postgres_login(
            host=s.get("host", "localhost"),
            port=int(s.get("port", "5432")),
            user=s["user"],
            password=s.get("password", ""),
            database=s["database"],
            sslmode=s.get("sslmode", "prefer"),
            timeout=timeout,
        )
    except PostgresError as exc:
        return TestResult(False, f"PostgreSQL refused the login: {exc}")
    version = params.get("server_version", "?")
    return TestResult(
        True,
        f"logged in to PostgreSQL {version} as {s['user']} (database {s['database']})",
        {k: v for k, v in params.items() if k in ("server_version", "tls", "auth")},
    )


def _test_nats(root: Path, s: dict[str, str], timeout: float) -> TestResult:
    """Connect and log in with the connector's settings, then ask JetStream for the
    account's limits (the queue nodes and schedule leases need JetStream)."""
    import asyncio

    import nats
    from nats.errors import Error as NatsError
    from nats.js.errors import Error as JetStreamError

    def path(name: str) -> str | None:
        value = s.get(name)
        if not value:
            return None
        p = Path(value)
        return str(p if p.is_absolute() else root / p)

    options: dict[str, Any] = {
        "servers": [u.strip() for u in s["url"].split(",")],
        "connect_timeout": timeout,
        "allow_reconnect": False,
        "max_reconnect_attempts": 0,
    }
    if s.get("user"):
        options["user"], options["password"] = s["user"], s.get("password", "")
    if s.get("token"):
        options["token"] = s["token"]
    if path("creds"):
        options["user_credentials"] = path("creds")
    tls_ca, tls_cert = path("tls_ca"), path("tls_cert")
    if tls_ca or tls_cert or s.get("tls") == "true":
        ctx = ssl.create_default_context(cafile=tls_ca)
        if tls_cert:
            ctx.load_cert_chain(tls_cert, path("tls_key"))
        options["tls"] = ctx

    async def probe() -> TestResult:
        errors: list[str] = []

        async def on_error(exc: Exception) -> None:
            errors.append(str(exc))

        try:
            nc = await nats.connect(**options, error_cb=on_error)
        except (NatsError, OSError, TimeoutError) as exc:
            reason = "; ".join(errors) or f"{type(exc).__name__}: {exc}"
            return TestResult(False, f"cannot connect to NATS: {reason}")
        try:
            info = nc._server_info
            try:
                account = await nc.jetstream(timeout=timeout).account_info()
            except (JetStreamError, NatsError, TimeoutError) as exc:
                return TestResult(
                    False,
                    f"connected to NATS {info.get('version', '?')}, but JetStream does not "
                    f"answer: {type(exc).__name__}: {exc}",
                )
            return TestResult(
                True,
                f"connected to NATS {info.get('version', '?')} with JetStream "
                f"({account.streams} streams, {account.consumers} consumers)",
                {
                    "server_version": str(info.get("version", "?")),
                    "tls": str(bool(options.get("tls"))),
                },
            )
        finally:
            await nc.close()

    return asyncio.run(asyncio.wait_for(probe(), timeout + 5))


_TESTERS = {
    "nats": _test_nats,
    "sqlite": _test_sqlite,
    "smtp": _test_smtp,
    "http": _test_http,
    "llm": _test_llm,
    "whatsapp": _test_whatsapp,
    "postgres": _test_postgres,
}


# -- a minimal PostgreSQL login (protocol 3.0; no driver needed) --------------------------------


class PostgresError(ValueError):
    pass


def _recv_exact(sock: socket.socket | ssl.SSLSocket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("the server closed the connection")
        buf += chunk
    return buf


def _pg_message(sock: socket.socket | ssl.SSLSocket) -> tuple[bytes, bytes]:
    head = _recv_exact(sock, 5)
    (length,) = struct.unpack("!I", head[1:])
    if length < 4 or length > 1 << 24:
        raise PostgresError("not a PostgreSQL server (bad message length)")
    return head[:1], _recv_exact(sock, length - 4)


def _pg_error(body: bytes) -> str:
    fields = {}
    for part in body.split(b"\0"):
        if part:
            fields[part[:1].decode()] = part[1:].decode("utf-8", "replace")
    return f"{fields.get('S', 'ERROR')} {fields.get('C', '')}: {fields.get('M', '')}".strip()


def postgres_login(
    *,
    host: str,
    port: int,
    user: str,
    password: str,
    database: str,
    sslmode: str = "prefer",
    timeout: float = 10.0,
) -> dict[str, str]:
    """Log in (startup, authentication: trust, cleartext, MD5 or SCRAM-SHA-256) and wait
    for ReadyForQuery. Returns the server's parameters plus ``tls`` and ``auth``. Raises
    :class:`PostgresError` with the server's message on failure."""
    raw = socket.create_connection((host, port), timeout=timeout)
    sock: socket.socket | ssl.SSLSocket = raw
    info: dict[str, str] = {"tls": "no", "auth": "trust"}
    try:
        if sslmode != "disable":
            raw.sendall(struct.pack("!II", 8, 80877103))
            answer = _recv_exact(raw, 1)
            if answer == b"S":
                ctx = ssl.create_default_context()
                if sslmode != "verify-full":
                    ctx.check_hostname = False
                    ctx.verify_mode = ssl.CERT_NONE
                sock = ctx.wrap_socket(raw, server_hostname=host)
                info["tls"] = "yes"
            elif sslmode in ("require", "verify-full"):
                raise PostgresError(f"the server does not offer TLS (sslmode={sslmode})")
        payload = b"".join(
            k.encode() + b"\0" + v.encode() + b"\0"
            for k, v in (
                ("user", user),
                ("database", database),
                ("application_name", "nodeforge-connector-test"),
            )
        )
        payload = struct.pack("!I", 196608) + payload + b"\0"
        sock.sendall(struct.pack("!I", len(payload) + 4) + payload)
        scram: _Scram | None = None
        while True:
            kind, body = _pg_message(sock)
            if kind == b"E":
                raise PostgresError(_pg_error(body))
            if kind == b"R":
                (code,) = struct.unpack("!I", body[:4])
                if code == 0:
                    continue
                if code == 3:
                    info["auth"] = "password"
                    _pg_send(sock, b"p", password.encode() + b"\0")
                elif code == 5:
                    info["auth"] = "md5"
                    inner = hashlib.md5((password + user).encode(), usedforsecurity=False)
                    outer = hashlib.md5(
                        inner.hexdigest().encode() + body[4:8], usedforsecurity=False
                    )
                    _pg_send(sock, b"p", b"md5" + outer.hexdigest().encode() + b"\0")
                elif code == 10:
                    mechanisms = [m for m in body[4:].split(b"\0") if m]
                    if b"SCRAM-SHA-256" not in mechanisms:
                        raise PostgresError(f"unsupported SASL mechanisms {mechanisms}")
                    info["auth"] = "scram-sha-256"
                    scram = _Scram(password)
                    first = scram.client_first().encode()
                    _pg_send(sock, b"p", b"SCRAM-SHA-256\0" + struct.pack("!I", len(first)) + first)
                elif code == 11 and scram is not None:
                    _pg_send(sock, b"p", scram.client_final(body[4:].decode()).encode())
                elif code == 12 and scram is not None:
                    scram.verify_server(body[4:].decode())
                else:
                    raise PostgresError(f"unsupported authentication request {code}")
            elif kind == b"S":
                key, _, value = body.rstrip(b"\0").partition(b"\0")
                info[key.decode()] = value.decode("utf-8", "replace")
            elif kind == b"Z":
                with contextlib.suppress(OSError):
                    _pg_send(sock, b"X", b"")
                return info
            # K (BackendKeyData), N (notices): ignore
    finally:
        sock.close()


def _pg_send(sock: socket.socket | ssl.SSLSocket, kind: bytes, body: bytes) -> None:
    sock.sendall(kind + struct.pack("!I", len(body) + 4) + body)


class _Scram:
    """SCRAM-SHA-256 (RFC 5802/7677) client side, as PostgreSQL speaks it."""

    def __init__(self, password: str) -> None:
        self.password = password.encode("utf-8")
        self.nonce = base64.b64encode(secrets.token_bytes(18)).decode()
        self.first_bare = f"n=,r={self.nonce}"
        self.server_signature = b""

    def client_first(self) -> str:
        return "n,," + self.first_bare

    def client_final(self, server_first: str) -> str:
        attrs = dict(item.split("=", 1) for item in server_first.split(","))
        nonce, salt, rounds = attrs["r"], base64.b64decode(attrs["s"]), int(attrs["i"])
        if not nonce.startswith(self.nonce):
            raise PostgresError("SCRAM: the server's nonce does not extend ours")
        salted = hashlib.pbkdf2_hmac("sha256", self.password, salt, rounds)
        client_key = hmac.new(salted, b"Client Key", "sha256").digest()
        stored_key = hashlib.sha256(client_key).digest()
        without_proof = f"c=biws,r={nonce}"
        auth_message = f"{self.first_bare},{server_first},{without_proof}".encode()
        signature = hmac.new(stored_key, auth_message, "sha256").digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
        server_key = hmac.new(salted, b"Server Key", "sha256").digest()
        self.server_signature = hmac.new(server_key, auth_message, "sha256").digest()
        return f"{without_proof},p={base64.b64encode(proof).decode()}"

    def verify_server(self, server_final: str) -> None:
        attrs = dict(item.split("=", 1) for item in server_final.split(","))
        if "e" in attrs:
            raise PostgresError(f"SCRAM: {attrs['e']}")
        if not hmac.compare_digest(base64.b64decode(attrs.get("v", "")), self.server_signature):
            raise PostgresError("SCRAM: the server's signature is wrong")
