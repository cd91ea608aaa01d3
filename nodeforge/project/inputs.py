"""Saved simulation inputs: named JSON values per flow, kept in the workspace.

``<workspace>/.nodeforge/inputs/<flow id>/<name>.json``, one file per input, written
atomically. The web editor lists them beside the Simulate button; they are the
workspace's own data (in the private ``.nodeforge/`` folder, not beside the flows, so
that ``nodeforge check flows/`` and the history never see them). Names and flow ids
are checked before they become path parts, and the folder must not lead out of the
workspace through a symbolic link.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from nodeforge.project.fsutil import STATE_DIR, ProjectError, atomic_write, state_dir

INPUTS_DIR = "inputs"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}")
FLOW_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
MAX_INPUT_BYTES = 1024 * 1024
MAX_INPUTS = 200


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not NAME.fullmatch(name) or ".." in name:
        raise ProjectError(
            "an input's name is 1-64 letters, digits, spaces, `_`, `-` or `.`, starting "
            "with a letter or digit"
        )
    return name


def inputs_folder(root: Path, flow_id: Any, *, create: bool = False) -> Path:
    """The folder of ``flow_id``'s inputs (inside ``root``, or ProjectError). Each level
    that exists is checked before anything is created under it, so a ``.nodeforge`` or
    ``inputs`` folder that is a link out of the workspace is never written through."""
    if not isinstance(flow_id, str) or not FLOW_ID.fullmatch(flow_id) or ".." in flow_id:
        raise ProjectError("the flow needs an `id` (letters, digits, `_`, `-`) to save inputs")
    real_root = root.resolve()
    state = root / STATE_DIR
    folder = state / INPUTS_DIR / flow_id
    for level in (state, state / INPUTS_DIR, folder):
        if (level.exists() or level.is_symlink()) and not level.resolve().is_relative_to(real_root):
            raise ProjectError(f"{level} leads out of the workspace")
    if create:
        state_dir(root)  # mode 0700
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def list_inputs(root: Path, flow_id: Any) -> list[dict[str, Any]]:
    """``[{name, input}]`` sorted by name; unreadable files are listed with ``error``."""
    folder = inputs_folder(root, flow_id)
    if not folder.is_dir():
        return []
    out: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.json"))[:MAX_INPUTS]:
        name = path.name[: -len(".json")]
        if not NAME.fullmatch(name) or path.is_symlink() or not path.is_file():
            continue
        try:
            if path.stat().st_size > MAX_INPUT_BYTES:
                raise ValueError(f"larger than {MAX_INPUT_BYTES} bytes")
            out.append({"name": name, "input": json.loads(path.read_text(encoding="utf-8"))})
        except (OSError, ValueError) as exc:
            out.append({"name": name, "input": None, "error": str(exc)})
    return out


def save_input(root: Path, flow_id: Any, name: Any, value: Any) -> dict[str, Any]:
    name = _check_name(name)
    data = json.dumps(value, indent=2, ensure_ascii=False) + "\n"
    if len(data.encode("utf-8")) > MAX_INPUT_BYTES:
        raise ProjectError(f"the input is larger than {MAX_INPUT_BYTES} bytes")
    folder = inputs_folder(root, flow_id, create=True)
    path = folder / f"{name}.json"
    if path.is_symlink():
        raise ProjectError(f"{path} is a symbolic link")
    atomic_write(path, data, mode=0o600)
    return {"name": name, "input": value}


def delete_input(root: Path, flow_id: Any, name: Any) -> dict[str, Any]:
    name = _check_name(name)
    path = inputs_folder(root, flow_id) / f"{name}.json"
    if not path.is_file() and not path.is_symlink():
        raise ProjectError(f"no saved input `{name}`")
    path.unlink()
    return {"name": name, "deleted": True}
