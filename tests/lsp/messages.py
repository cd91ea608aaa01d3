"""Helpers over the notifications a test client has received."""

from __future__ import annotations

import asyncio
from typing import Any


async def latest_diagnostics(
    notifications: list[dict[str, Any]], uri: str, timeout: float = 20
) -> list[dict[str, Any]]:
    """The diagnostics of the newest ``publishDiagnostics`` for ``uri``, waiting for one."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        for message in reversed(notifications):
            if (
                message["method"] == "textDocument/publishDiagnostics"
                and message["params"]["uri"] == uri
            ):
                return list(message["params"]["diagnostics"])
        await asyncio.sleep(0.005)
    raise TimeoutError(f"no diagnostics for {uri}")
