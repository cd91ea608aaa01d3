"""Language-model providers for Nodeforge's assistant features (docs/llm.md).

``client_for(root, feature)`` gives an :class:`LLMClient` for the workspace's chosen
``llm`` connector; ``client.chat(ChatRequest(...))`` answers with the cache, retries,
accounting and secret scrubbing inside. This package never imports the analysis, the
server or LSP libraries.
"""

from __future__ import annotations

import time
from pathlib import Path

from nodeforge.llm.cache import CACHE_DIR, ResponseCache
from nodeforge.llm.client import LLMClient
from nodeforge.llm.config import (
    ConnectorSettings,
    choose_connector,
    connector_settings,
    load_config,
)
from nodeforge.llm.scrub import Scrubber, workspace_secrets
from nodeforge.llm.transport import Sleep
from nodeforge.llm.types import ChatRequest, ChatResponse, LLMError, Message, Role, Usage
from nodeforge.llm.usage import USAGE_FILE, UsageLog, usage_summary

__all__ = [
    "ChatRequest",
    "ChatResponse",
    "ConnectorSettings",
    "LLMClient",
    "LLMError",
    "Message",
    "Role",
    "Usage",
    "client_for",
    "llm_connectors",
    "usage_summary",
]


def llm_connectors(root: Path) -> list[str]:
    """Names of the workspace's ``llm`` connectors (as declared in nodeforge.toml)."""
    from nodeforge.project.fsutil import ProjectError
    from nodeforge.project.workspace_init import project_info

    try:
        declared = project_info(root).connectors
    except ProjectError as exc:
        raise LLMError("config", str(exc)) from None
    return sorted(name for name, kind in declared.items() if kind == "llm")


def client_for(
    root: Path,
    feature: str,
    *,
    connector: str | None = None,
    sleep: Sleep = time.sleep,
    use_cache: bool = True,
) -> LLMClient:
    """The client for ``feature`` in the workspace at ``root``: the connector named by
    ``connector`` (``--connector``), else ``[llm] <feature>``, else ``[llm] default``,
    else the workspace's only ``llm`` connector. Raises :class:`LLMError` ``config``."""
    from dataclasses import replace

    from nodeforge.project.connectors import Store
    from nodeforge.project.fsutil import ProjectError, state_dir

    root = root.resolve()
    config = load_config(root)
    name = choose_connector(config, llm_connectors(root), feature, connector)
    try:
        kind, stored = Store(root).get(name)
    except ProjectError as exc:
        raise LLMError("config", str(exc)) from None
    if kind != "llm":
        raise LLMError("config", f"connector `{name}` is a {kind} connector, not llm")
    settings = connector_settings(name, stored)
    scrubber = Scrubber(workspace_secrets(root, extra_env=config.redact_env))
    state = state_dir(root)
    cache = None
    if use_cache and config.cache_enabled:
        cache = ResponseCache(state / CACHE_DIR, config.cache_ttl_s, config.cache_max_bytes)
    if not use_cache:
        config = replace(config, cache_enabled=False)
    return LLMClient(
        settings,
        config=config,
        cache=cache,
        usage_log=UsageLog(state / USAGE_FILE),
        scrubber=scrubber,
        sleep=sleep,
    )
