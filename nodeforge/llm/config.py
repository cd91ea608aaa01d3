"""Which connector a feature uses, and the ``[llm]`` table of ``nodeforge.toml``.

.. code-block:: toml

    [llm]
    default = "openai"          # the connector for every feature not named below
    assist = "claude"           # per feature: assist, adapter, customize, ...
    timeout_s = 60              # per request (each read, and the whole answer)
    max_retries = 3             # on 429, 5xx and timeouts, with exponential backoff
    redact_env = ["SHOP_TOKEN"] # more environment variables never sent in a prompt

    [llm.cache]
    enabled = true
    ttl_s = 604800              # 7 days
    max_mb = 50

    [llm.pricing."my-finetune"] # USD per million tokens, over the built-in table
    input = 0.5
    output = 1.5

This is the one place ``[llm]`` is read (the analysis has no use for it).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nodeforge.llm.providers import DEFAULT_URLS, PROVIDERS, Endpoint
from nodeforge.llm.types import LLMError

CONFIG_FILE = "nodeforge.toml"
DEFAULT_TTL_S = 7 * 24 * 3600
DEFAULT_MAX_MB = 50.0
DEFAULT_TIMEOUT_S = 60.0
DEFAULT_MAX_RETRIES = 3
_SETTINGS_KEYS = frozenset(
    {"default", "timeout_s", "max_retries", "redact_env", "cache", "pricing"}
)


@dataclass(frozen=True)
class Price:
    input_per_mtok: float  # USD per million input tokens
    output_per_mtok: float


@dataclass(frozen=True)
class LLMConfig:
    """The parsed ``[llm]`` table."""

    default: str | None = None
    features: Mapping[str, str] = field(default_factory=dict)  # feature -> connector
    timeout_s: float = DEFAULT_TIMEOUT_S
    max_retries: int = DEFAULT_MAX_RETRIES
    redact_env: tuple[str, ...] = ()
    cache_enabled: bool = True
    cache_ttl_s: float = DEFAULT_TTL_S
    cache_max_bytes: int = int(DEFAULT_MAX_MB * 1024 * 1024)
    pricing: Mapping[str, Price] = field(default_factory=dict)


@dataclass(frozen=True)
class ConnectorSettings:
    """An ``llm`` connector's decrypted settings, provider resolved."""

    name: str
    provider: str
    url: str
    model: str
    api_key: str = field(default="", repr=False)
    api_version: str = ""

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint(self.provider, self.url, self.api_key, self.api_version)


def _num(path: Path, key: str, value: Any, *, minimum: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise LLMError("config", f"{path}: [llm] {key} must be a number >= {minimum:g}")
    return float(value)


def parse_llm_table(data: Mapping[str, Any], path: Path) -> LLMConfig:
    """``[llm]`` from a parsed ``nodeforge.toml`` (``path`` for messages)."""
    raw = data.get("llm", {})
    if not isinstance(raw, Mapping):
        raise LLMError("config", f"{path}: [llm] must be a table")
    features: dict[str, str] = {}
    for key, value in raw.items():
        if key in _SETTINGS_KEYS:
            continue
        if not isinstance(value, str) or not value:
            raise LLMError(
                "config",
                f'{path}: [llm] {key} must name an llm connector (feature = "connector")',
            )
        features[key] = value
    default = raw.get("default")
    if default is not None and (not isinstance(default, str) or not default):
        raise LLMError("config", f"{path}: [llm] default must name an llm connector")
    redact = raw.get("redact_env", [])
    if not isinstance(redact, list) or not all(isinstance(x, str) for x in redact):
        raise LLMError("config", f"{path}: [llm] redact_env must be a list of variable names")
    cache = raw.get("cache", {})
    if not isinstance(cache, Mapping):
        raise LLMError("config", f"{path}: [llm.cache] must be a table")
    enabled = cache.get("enabled", True)
    if not isinstance(enabled, bool):
        raise LLMError("config", f"{path}: [llm.cache] enabled must be true or false")
    pricing: dict[str, Price] = {}
    raw_pricing = raw.get("pricing", {})
    if not isinstance(raw_pricing, Mapping):
        raise LLMError("config", f"{path}: [llm.pricing] must be a table of models")
    for model, entry in raw_pricing.items():
        if not isinstance(entry, Mapping) or set(entry) - {"input", "output"}:
            raise LLMError(
                "config",
                f'{path}: [llm.pricing."{model}"] needs input and output (USD per million tokens)',
            )
        pricing[str(model)] = Price(
            _num(path, f"pricing.{model}.input", entry.get("input"), minimum=0),
            _num(path, f"pricing.{model}.output", entry.get("output"), minimum=0),
        )
    return LLMConfig(
        default=default,
        features=features,
        timeout_s=_num(path, "timeout_s", raw.get("timeout_s", DEFAULT_TIMEOUT_S), minimum=0.001),
        max_retries=int(
            _num(path, "max_retries", raw.get("max_retries", DEFAULT_MAX_RETRIES), minimum=0)
        ),
        redact_env=tuple(redact),
        cache_enabled=enabled,
        cache_ttl_s=_num(path, "cache.ttl_s", cache.get("ttl_s", DEFAULT_TTL_S), minimum=0),
        cache_max_bytes=int(
            _num(path, "cache.max_mb", cache.get("max_mb", DEFAULT_MAX_MB), minimum=0) * 1024 * 1024
        ),
        pricing=pricing,
    )


def load_config(root: Path) -> LLMConfig:
    """``[llm]`` of the workspace at ``root`` (defaults when absent)."""
    path = root / CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return LLMConfig()
    except (OSError, UnicodeDecodeError) as exc:
        raise LLMError("config", f"cannot read {path}: {exc}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LLMError("config", f"{path}: {exc}") from exc
    return parse_llm_table(data, path)


def choose_connector(
    config: LLMConfig, llm_connectors: list[str], feature: str, explicit: str | None
) -> str:
    """The connector for ``feature``: ``explicit`` (``--connector``), else the feature's
    key in ``[llm]``, else ``default``, else the only ``llm`` connector."""
    if explicit:
        name, origin = explicit, "--connector"
    elif feature in config.features:
        name, origin = config.features[feature], f"[llm] {feature}"
    elif config.default:
        name, origin = config.default, "[llm] default"
    elif len(llm_connectors) == 1:
        return llm_connectors[0]
    elif not llm_connectors:
        raise LLMError(
            "config",
            "the workspace has no llm connector: add one with "
            "`nodeforge connector add NAME -t llm --set provider=... --set model=...`",
        )
    else:
        raise LLMError(
            "config",
            f"several llm connectors ({', '.join(sorted(llm_connectors))}): choose one with "
            f'[llm] {feature} = "NAME" or default = "NAME" in nodeforge.toml, or --connector',
        )
    if name not in llm_connectors:
        known = ", ".join(sorted(llm_connectors)) or "none"
        raise LLMError(
            "config",
            f"{origin} names `{name}`, which is not an llm connector (llm connectors: {known})",
        )
    return name


def connector_settings(name: str, settings: Mapping[str, str]) -> ConnectorSettings:
    """Resolve a stored ``llm`` connector's settings (provider default ``openai``; the
    provider's default URL when none is set)."""
    provider = settings.get("provider") or "openai"
    if provider not in PROVIDERS:
        raise LLMError(
            "config",
            f"connector `{name}`: unknown provider `{provider}` (one of {', '.join(PROVIDERS)})",
        )
    url = settings.get("url") or DEFAULT_URLS[provider]
    if not url:
        raise LLMError("config", f"connector `{name}` ({provider}) needs url")
    return ConnectorSettings(
        name=name,
        provider=provider,
        url=url,
        model=settings.get("model", ""),
        api_key=settings.get("api_key", ""),
        api_version=settings.get("api_version", ""),
    )
