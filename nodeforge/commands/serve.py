"""``nodeforge serve [WORKSPACE]``: the web editor and its language server on one port.

The page (built from ``web/editor/`` into the package's ``nodeforge/webui/``) is
served as static files, the language server is the WebSocket gateway at ``/lsp``
(``nodeforge lsp --ws``'s: one isolated session per connection, a mandatory token,
Origin checks, every path confined to WORKSPACE). Prints the address to open, with
the token when it was generated. See ``docs/web-editor.md``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

from nodeforge.analysis.workspace import find_root

EXIT_USAGE = 2
DEFAULT_ADDR = "127.0.0.1:8765"
WEBUI = Path(__file__).resolve().parent.parent / "webui"


def web_root(explicit: Path | None = None) -> Path:
    """Where the built page is: ``--web-root``, else the package's ``webui/``."""
    return (explicit if explicit is not None else WEBUI).resolve()


def run(args: argparse.Namespace) -> int:
    from nodeforge.server import idlegc
    from nodeforge.server.gateway import TOKEN_ENV, ConfigError, Gateway, resolve_base
    from nodeforge.server.main import gateway_config, setup_logging

    setup_logging(args.log_file)
    idlegc.enable()
    env_token = os.environ.pop(TOKEN_ENV, None)  # no build, app or node inherits it
    workspace = (args.workspace if args.workspace is not None else Path.cwd()).resolve()
    site = web_root(args.web_root)
    try:
        if not (site / "index.html").is_file():
            raise ConfigError(
                f"the web editor is not built ({site / 'index.html'} is missing): run "
                "./scripts/setup, or `npm ci && npm run build` in web/editor"
            )
        lsp_args = argparse.Namespace(
            ws=args.addr,
            token=args.token,
            token_file=args.token_file,
            no_token=args.no_token,
            allow_origin=args.allow_origin,
            base=resolve_base(workspace),
        )
        config = dataclasses.replace(
            gateway_config(lsp_args, env_token, args.max_message_bytes), web_root=site
        )
        gateway = Gateway(config)
    except (ConfigError, ValueError) as exc:
        print(f"nodeforge serve: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if find_root(workspace) is None:
        print(
            f"nodeforge serve: note: {workspace} holds no nodeforge.toml: the standard "
            "catalog only (create a workspace with `nodeforge init`)",
            file=sys.stderr,
        )
    import asyncio

    asyncio.run(gateway.serve_forever(f"nodeforge serve: the editor of {workspace} on"))
    return 0
