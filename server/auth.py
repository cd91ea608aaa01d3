"""The authenticated gateway: JWT bearer tokens, users confined to their own roots,
per-user rate and concurrency limits (``nodeforge lsp --ws ... --auth-config FILE``).

One TOML file says who may connect and what each user reaches::

    [jwt]
    algorithms = ["HS256"]              # HS256/384/512, RS256/384/512, ES256/384/512
    secret_file = "jwt.secret"          # HMAC algorithms: the shared secret (mode 600)
    jwks_file = "jwks.json"             # RSA/EC algorithms: public keys, picked by `kid`
    audience = "nodeforge"              # when set, `aud` must name it
    issuer = "https://login.example"    # when set, `iss` must be it
    leeway_seconds = 30                 # clock skew allowed for exp/nbf/iat

    [limits]                            # every user's, unless their own say otherwise
    messages_per_second = 50            # token bucket on the messages a user sends
    message_burst = 200
    concurrent_builds = 1               # builds running at once, per user
    concurrent_node_tests = 2           # node tests running at once, per user
    slot_wait_seconds = 30              # a job waits this long for a slot, then is refused

    [users.alice]
    roots = ["/srv/ws/alice"]           # every path of alice's sessions must lead in here
    [users.alice.limits]
    concurrent_builds = 2

Relative paths are read against the file's folder. A token's ``sub`` names the user;
``exp`` and ``sub`` are required, ``nbf``/``iat`` are checked when present. Refusals
happen before the WebSocket upgrade: 401 for a token that is missing, malformed,
expired, not yet valid, signed with another key, or for another audience or issuer;
403 for a valid token whose user has no entry here. Nothing here imports the
language server: the gateway asks :meth:`Authenticator.authenticate` and hands the
:class:`Principal` to the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import stat
import threading
import time
import tomllib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, replace
from http import HTTPStatus
from pathlib import Path
from typing import Any

import jwt

HMAC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
PUBLIC_KEY_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "ES256", "ES384", "ES512"})
MIN_SECRET_BYTES = 32
MAX_KEY_FILE_BYTES = 1 << 20


class AuthConfigError(Exception):
    """An authentication configuration that cannot work (message names the file and key)."""


class AuthError(Exception):
    """A refused token: ``status`` is 401 (not authenticated) or 403 (not allowed)."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class UserLimits:
    messages_per_second: float = 50.0
    message_burst: int = 200
    concurrent_builds: int = 1
    concurrent_node_tests: int = 2
    slot_wait_seconds: float = 30.0

    def merged(self, table: Mapping[str, Any], where: str) -> UserLimits:
        changes: dict[str, Any] = {}
        for key, value in table.items():
            if key not in _LIMIT_KINDS:
                raise AuthConfigError(
                    f"{where}: unknown limit `{key}` (known: {', '.join(sorted(_LIMIT_KINDS))})"
                )
            kind = _LIMIT_KINDS[key]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise AuthConfigError(f"{where}.{key}: expected a number, got {value!r}")
            if kind is int and value != int(value):
                raise AuthConfigError(f"{where}.{key}: expected a whole number, got {value!r}")
            low_ok = (
                value >= 0
                if key == "slot_wait_seconds"
                else value > 0
                if kind is float
                else value >= 1
            )
            if not low_ok or not math.isfinite(value):
                raise AuthConfigError(f"{where}.{key}: out of range: {value!r}")
            changes[key] = kind(value)
        return replace(self, **changes)


_LIMIT_KINDS: dict[str, type] = {
    "messages_per_second": float,
    "message_burst": int,
    "concurrent_builds": int,
    "concurrent_node_tests": int,
    "slot_wait_seconds": float,
}


@dataclass(frozen=True, slots=True)
class User:
    name: str
    roots: tuple[Path, ...]
    limits: UserLimits


@dataclass(frozen=True, slots=True)
class AuthConfig:
    path: Path
    algorithms: tuple[str, ...]
    users: Mapping[str, User]
    secret_file: Path | None = None
    jwks_file: Path | None = None
    audience: str | None = None
    issuer: str | None = None
    leeway_seconds: float = 30.0


def _table(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise AuthConfigError(f"{where}: `{key}` must be a table")
    return value


def _string(table: Mapping[str, Any], key: str, where: str) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise AuthConfigError(f"{where}.{key}: expected a non-empty string")
    return value


def load_auth_config(path: Path) -> AuthConfig:
    """Read and check the file (keys are loaded here too, so a mistake stops the start)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AuthConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AuthConfigError(f"{path}: not valid TOML: {exc}") from None
    here = path.resolve().parent
    unknown = set(data) - {"jwt", "limits", "users"}
    if unknown:
        raise AuthConfigError(f"{path}: unknown section(s): {', '.join(sorted(unknown))}")
    jwt_table = _table(data, "jwt", str(path))
    known = {"algorithms", "secret_file", "jwks_file", "audience", "issuer", "leeway_seconds"}
    for key in jwt_table:
        if key not in known:
            raise AuthConfigError(f"{path}: [jwt] unknown key `{key}`")
    algorithms = jwt_table.get("algorithms", ["HS256"])
    if (
        not isinstance(algorithms, list)
        or not algorithms
        or not all(isinstance(a, str) for a in algorithms)
    ):
        raise AuthConfigError(f"{path}: [jwt] algorithms must be a non-empty list of names")
    bad = [a for a in algorithms if a not in HMAC_ALGORITHMS | PUBLIC_KEY_ALGORITHMS]
    if bad:
        raise AuthConfigError(f"{path}: [jwt] unsupported algorithm(s): {', '.join(bad)}")
    secret = _string(jwt_table, "secret_file", f"{path}: [jwt]")
    jwks = _string(jwt_table, "jwks_file", f"{path}: [jwt]")
    secret_file = here / secret if secret else None
    jwks_file = here / jwks if jwks else None
    if any(a in HMAC_ALGORITHMS for a in algorithms) and secret_file is None:
        raise AuthConfigError(f"{path}: [jwt] an HMAC algorithm needs `secret_file`")
    if any(a in PUBLIC_KEY_ALGORITHMS for a in algorithms) and jwks_file is None:
        raise AuthConfigError(f"{path}: [jwt] RSA/EC algorithms need `jwks_file`")
    leeway = jwt_table.get("leeway_seconds", 30)
    if isinstance(leeway, bool) or not isinstance(leeway, int | float) or not 0 <= leeway <= 600:
        raise AuthConfigError(f"{path}: [jwt] leeway_seconds must be 0..600")
    defaults = UserLimits().merged(_table(data, "limits", str(path)), f"{path}: [limits]")
    users: dict[str, User] = {}
    for name, entry in _table(data, "users", str(path)).items():
        where = f"{path}: [users.{name}]"
        if not isinstance(entry, dict):
            raise AuthConfigError(f"{where}: must be a table")
        extra = set(entry) - {"roots", "limits"}
        if extra:
            raise AuthConfigError(f"{where}: unknown key(s): {', '.join(sorted(extra))}")
        roots = entry.get("roots")
        if not isinstance(roots, list) or not roots or not all(isinstance(r, str) for r in roots):
            raise AuthConfigError(f"{where}: `roots` must be a non-empty list of folders")
        resolved = tuple(_root(here / r, where) for r in roots)
        limits = defaults.merged(_table(entry, "limits", where), f"{where}.limits")
        users[name] = User(name, resolved, limits)
    if not users:
        raise AuthConfigError(f"{path}: no [users.NAME] entries: nobody could connect")
    config = AuthConfig(
        path=path,
        algorithms=tuple(algorithms),
        users=users,
        secret_file=secret_file,
        jwks_file=jwks_file,
        audience=_string(jwt_table, "audience", f"{path}: [jwt]"),
        issuer=_string(jwt_table, "issuer", f"{path}: [jwt]"),
        leeway_seconds=float(leeway),
    )
    Keys(config).check()
    return config


def _root(path: Path, where: str) -> Path:
    resolved = path.resolve()
    if not resolved.is_dir():
        raise AuthConfigError(f"{where}: root {path} is not a directory")
    if resolved == Path(resolved.anchor):
        raise AuthConfigError(f"{where}: refusing {resolved} as a root (every file in reach)")
    return resolved


def _read_private(path: Path, what: str) -> bytes:
    """A key file: a regular file, not readable by other users, at most 1 MiB."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise AuthConfigError(f"{what} {path} is not a regular file")
        if info.st_mode & 0o077:
            raise AuthConfigError(
                f"{what} {path} is accessible to other users (mode "
                f"{stat.S_IMODE(info.st_mode):04o}): chmod 600 {path}"
            )
        with path.open("rb") as handle:
            data = handle.read(MAX_KEY_FILE_BYTES + 1)
    except OSError as exc:
        raise AuthConfigError(f"cannot read the {what} {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_KEY_FILE_BYTES:
        raise AuthConfigError(f"{what} {path} is larger than {MAX_KEY_FILE_BYTES} bytes")
    return data


class Keys:
    """The verification keys; the JWKS file is re-read when it changes (key rotation)."""

    def __init__(self, config: AuthConfig) -> None:
        self.config = config
        self._secret: bytes | None = None
        self._jwks: dict[str, jwt.PyJWK] = {}
        self._jwks_stamp: tuple[int, int] | None = None
        self._lock = threading.Lock()

    def check(self) -> None:
        if self.config.secret_file is not None:
            self.secret()
        if self.config.jwks_file is not None:
            self.public_keys()

    def secret(self) -> bytes:
        if self._secret is None:
            assert self.config.secret_file is not None
            data = _read_private(self.config.secret_file, "JWT secret file").strip()
            if len(data) < MIN_SECRET_BYTES:
                raise AuthConfigError(
                    f"JWT secret file {self.config.secret_file} holds {len(data)} bytes; "
                    f"HMAC secrets need at least {MIN_SECRET_BYTES}"
                )
            self._secret = data
        return self._secret

    def public_keys(self) -> dict[str, jwt.PyJWK]:
        path = self.config.jwks_file
        assert path is not None
        with self._lock:
            try:
                info = path.stat()
            except OSError as exc:
                raise AuthConfigError(f"cannot read the JWKS file {path}: {exc}") from None
            stamp = (info.st_mtime_ns, info.st_size)
            if stamp != self._jwks_stamp:
                self._jwks = _parse_jwks(path)
                self._jwks_stamp = stamp
            return self._jwks


def _parse_jwks(path: Path) -> dict[str, jwt.PyJWK]:
    try:
        with path.open("rb") as handle:
            data = json.loads(handle.read(MAX_KEY_FILE_BYTES))
        keys = data["keys"]
        if not isinstance(keys, list):
            raise TypeError("`keys` is not a list")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AuthConfigError(f"JWKS file {path}: {exc}") from None
    found: dict[str, jwt.PyJWK] = {}
    for index, entry in enumerate(keys):
        if not isinstance(entry, dict) or entry.get("kty") not in ("RSA", "EC"):
            raise AuthConfigError(f"JWKS file {path}: key {index} is not an RSA or EC key")
        if "d" in entry:
            raise AuthConfigError(
                f"JWKS file {path}: key {index} holds a private key: publish public keys only"
            )
        try:
            key = jwt.PyJWK(entry)
        except jwt.PyJWTError as exc:
            raise AuthConfigError(f"JWKS file {path}: key {index}: {exc}") from None
        found[str(entry.get("kid", ""))] = key
    if not found:
        raise AuthConfigError(f"JWKS file {path} holds no keys")
    return found


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a connection is: the user, the roots their paths must lead into, their
    limits, and when their token expires (the connection is closed then)."""

    user: str
    roots: tuple[Path, ...]
    limits: UserLimits
    expires_at: float | None = None


def _unauthorized(message: str) -> AuthError:
    return AuthError(HTTPStatus.UNAUTHORIZED, message)


class Authenticator:
    def __init__(self, config: AuthConfig) -> None:
        self.config = config
        self.keys = Keys(config)

    def authenticate(self, token: str | None) -> Principal:
        """The principal a bearer token stands for, or :class:`AuthError` saying why not."""
        if not token:
            raise _unauthorized("missing bearer token")
        config = self.config
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _unauthorized("malformed token (not a JWT)") from None
        algorithm = header.get("alg")
        if algorithm not in config.algorithms:
            raise _unauthorized(
                f"token algorithm {algorithm!r} is not accepted "
                f"(accepted: {', '.join(config.algorithms)})"
            )
        key: Any
        if algorithm in HMAC_ALGORITHMS:
            key = self.keys.secret()
        else:
            keys = self.keys.public_keys()
            kid = header.get("kid")
            if kid is None and len(keys) == 1:
                key = next(iter(keys.values()))
            elif isinstance(kid, str) and kid in keys:
                key = keys[kid]
            else:
                raise _unauthorized(f"token signed with an unknown key (kid {kid!r})")
        required = ["exp", "sub"]
        if config.audience is not None:
            required.append("aud")
        if config.issuer is not None:
            required.append("iss")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=config.audience,
                issuer=config.issuer,
                leeway=config.leeway_seconds,
                options={"require": required, "verify_aud": config.audience is not None},
            )
        except jwt.ExpiredSignatureError:
            raise _unauthorized("token expired") from None
        except jwt.ImmatureSignatureError:
            raise _unauthorized("token not yet valid (nbf)") from None
        except jwt.InvalidAudienceError:
            raise _unauthorized(
                f"token is for another audience (expected {config.audience!r})"
            ) from None
        except jwt.InvalidIssuerError:
            raise _unauthorized(f"token from another issuer (expected {config.issuer!r})") from None
        except jwt.InvalidSignatureError:
            raise _unauthorized("bad token signature (signed with another key)") from None
        except jwt.MissingRequiredClaimError as exc:
            raise _unauthorized(f"token lacks the `{exc.claim}` claim") from None
        except jwt.InvalidIssuedAtError:
            raise _unauthorized("token issued in the future (iat)") from None
        except jwt.PyJWTError as exc:
            raise _unauthorized(f"invalid token: {exc}") from None
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise _unauthorized("token's `sub` is not a user name")
        user = config.users.get(subject)
        if user is None:
            raise AuthError(HTTPStatus.FORBIDDEN, f"user `{subject}` has no workspace here")
        exp = claims.get("exp")
        expires = float(exp) + config.leeway_seconds if isinstance(exp, int | float) else None
        return Principal(user.name, user.roots, user.limits, expires)


# -- per-user limits ---------------------------------------------------------------------


class TokenBucket:
    """``rate`` tokens a second up to ``burst``; :meth:`take` spends one if there is one."""

    def __init__(self, rate: float, burst: int, clock: Any = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = float(burst)
        self._stamp = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def take(self) -> bool:
        self._refill()
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False

    def wait_time(self) -> float:
        """Seconds until a token is there."""
        self._refill()
        return max(0.0, (1 - self._tokens) / self.rate)


class Busy(Exception):
    """A user's job slots stayed full for the whole wait (message for the user)."""


@dataclass
class UserState:
    """What a user's connections share: the message bucket and the job slots."""

    limits: UserLimits
    bucket: TokenBucket
    builds: asyncio.Semaphore
    node_tests: asyncio.Semaphore


class UserRegistry:
    """Per-user state, created on a user's first connection (one event loop: the gateway's)."""

    def __init__(self) -> None:
        self._users: dict[str, UserState] = {}

    def state(self, principal: Principal) -> UserState:
        found = self._users.get(principal.user)
        if found is None or found.limits != principal.limits:
            limits = principal.limits
            found = UserState(
                limits,
                TokenBucket(limits.messages_per_second, limits.message_burst),
                asyncio.Semaphore(limits.concurrent_builds),
                asyncio.Semaphore(limits.concurrent_node_tests),
            )
            self._users[principal.user] = found
        return found


class JobGate:
    """A session's door to its user's build and node-test slots."""

    def __init__(self, user: str, state: UserState) -> None:
        self.user = user
        self.state = state

    @contextlib.asynccontextmanager
    async def slot(self, kind: str) -> AsyncIterator[None]:
        """Hold a slot of ``kind`` (``"build"`` or ``"node test"``), waiting at most the
        user's ``slot_wait_seconds`` for one; :class:`Busy` after that."""
        limits = self.state.limits
        semaphore, limit = (
            (self.state.builds, limits.concurrent_builds)
            if kind == "build"
            else (self.state.node_tests, limits.concurrent_node_tests)
        )
        if semaphore.locked():
            try:
                await asyncio.wait_for(semaphore.acquire(), limits.slot_wait_seconds)
            except TimeoutError:
                raise Busy(
                    f"user `{self.user}` already has {limit} {kind}(s) running (the limit); "
                    f"none finished within {limits.slot_wait_seconds:g} s: try again later"
                ) from None
        else:
            await semaphore.acquire()
        try:
            yield
        finally:
            semaphore.release()
