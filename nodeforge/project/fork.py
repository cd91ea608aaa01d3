"""``nodeforge fork TYPE@VERSION --as NAME``: a workspace copy of a standard node.

The node's folder (manifest, Go executor and tests, simulation) is copied to
``nodes/<name>/`` under a new type (``--as acme/mailer``, or ``--as mailer`` which keeps
the base's category: ``email/mailer``) at the base's version. The copy's manifest gets
the new type and title and no migrations (they describe the base type's history); Go
files get the package name codegen's convention derives from the new type
(``category + name`` without ``_``, as ``emailsend`` for ``email/send``).

``nodes/<name>/fork.json`` records the base (type, version, digest of its folder) so
:func:`fork_status` can tell when the base has a newer version, and whether the fork
was changed since it was made.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from nodeforge import __version__
from nodeforge.analysis import nodefiles
from nodeforge.analysis.catalog import Catalog, semver_key
from nodeforge.analysis.workspace import load_workspace, standard_catalog
from nodeforge.project.fsutil import ProjectError, state_dir
from nodeforge.project.lockfile import node_digest

FORK_FILE = "fork.json"
_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")
_PACKAGE = re.compile(r"^package[ \t]+([A-Za-z_][A-Za-z0-9_]*?)(_test)?[ \t]*$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class ForkInfo:
    type: str
    version: str
    folder: str  # relative to the workspace
    base_type: str
    base_version: str
    base_latest: str | None  # newest version of the base type now
    newer_base: bool
    modified: bool  # the fork's files differ from the copy that was made

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def go_package(type_: str) -> str:
    return type_.replace("/", "").replace("_", "")


def parse_node_ref(ref: str) -> tuple[str, str | None]:
    type_, _, version = ref.partition("@")
    return type_, version or None


def fork_node(root: Path, ref: str, as_name: str) -> ForkInfo:
    base_type, base_version = parse_node_ref(ref)
    catalog = standard_catalog()
    versions = catalog.versions(base_type)
    if not versions:
        suggestion = catalog.suggest(base_type)
        hint = f" (did you mean `{suggestion}`?)" if suggestion else ""
        raise ProjectError(f"no standard node `{base_type}`{hint}")
    if base_version is None:
        latest = catalog.latest(base_type)
        assert latest is not None
        base_version = latest.version
    base = catalog.get(base_type, base_version)
    if base is None:
        raise ProjectError(
            f"`{base_type}` has no version {base_version} (known: {', '.join(versions)})"
        )
    if "/" in as_name:
        category, _, name = as_name.partition("/")
    else:
        category, name = base_type.split("/", 1)[0], as_name
    if not (_IDENT.match(category) and _IDENT.match(name)):
        raise ProjectError(
            f"invalid node name `{as_name}`: use `name` or `category/name` with lower-case "
            "letters, digits and `_`"
        )
    new_type = f"{category}/{name}"
    if new_type in catalog:
        raise ProjectError(f"`{new_type}` is a standard node type: choose another name")
    workspace = load_workspace(root)
    if new_type in workspace.catalog:
        raise ProjectError(f"the workspace already has a node `{new_type}`")
    dest = root / "nodes" / name
    if dest.exists():
        raise ProjectError(f"{dest.relative_to(root)} already exists")
    src = base.path.parent
    # assembled outside nodes/ (which the catalog scans) and renamed in when complete
    tmp = state_dir(root) / "fork-tmp" / name
    if tmp.exists():
        shutil.rmtree(tmp)
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(src, tmp, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    try:
        manifest_path = tmp / "node.json"
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        manifest["type"] = new_type
        manifest["title"] = f"{manifest.get('title', name)} (fork of {base_type})"
        manifest["category"] = category
        manifest["migrations"] = []
        manifest.pop("deprecated", None)
        manifest_path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        old_pkg, new_pkg = go_package(base_type), go_package(new_type)
        for go in tmp.rglob("*.go"):
            text = go.read_text(encoding="utf-8")

            def rename(m: re.Match[str]) -> str:
                pkg = new_pkg if m.group(1) == old_pkg else m.group(1)
                return f"package {pkg}{m.group(2) or ''}"

            text = _PACKAGE.sub(rename, text, count=1)
            text = text.replace(f"// Package {old_pkg} ", f"// Package {new_pkg} ", 1)
            text = text.replace(
                f"executor of {base_type} ", f"executor of {new_type} (fork of {base_type}) "
            )
            go.write_text(text)
        record = {
            "forked_from": {
                "type": base_type,
                "version": base_version,
                "digest": node_digest(src),
            },
            "forked_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "nodeforge": __version__,
        }
        (tmp / FORK_FILE).write_text(json.dumps(record, indent=2) + "\n")
        record["copy_digest"] = _fork_digest(tmp)
        (tmp / FORK_FILE).write_text(json.dumps(record, indent=2) + "\n")
        # the copy must load as a custom node next to the standard catalog
        Catalog.load_standard().with_custom(tmp)
        tmp.rename(dest)
    except Exception:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return _info(root, dest, catalog)


def _fork_digest(folder: Path) -> str:
    """Digest of a fork's files without ``fork.json`` itself."""
    h = hashlib.sha256()
    files = nodefiles.read_folder(folder)
    for name, data in sorted(files.items(), key=lambda kv: kv[0].split("/")):
        if name.rsplit("/", 1)[-1] == FORK_FILE:
            continue
        rel = name.encode()
        h.update(b"%d:%s\0%d:" % (len(rel), rel, len(data)))
        h.update(data)
    return "sha256:" + h.hexdigest()


def fork_modified(folder: Path) -> bool:
    """Whether the fork in ``folder`` was changed since it was copied (a missing or
    broken record counts as changed)."""
    try:
        record = json.loads(nodefiles.read_text(folder / FORK_FILE))
        digest = record.get("copy_digest")
    except (OSError, ValueError, AttributeError):
        return True
    # Outside the try: a file the safe reader refuses (a link, a device) is an error to
    # report, never a mere "changed".
    return bool(digest != _fork_digest(folder))


def _info(root: Path, folder: Path, catalog: Catalog) -> ForkInfo:
    record = json.loads(nodefiles.read_text(folder / FORK_FILE))
    manifest = json.loads(nodefiles.read_text(folder / "node.json"))
    base = record.get("forked_from", {})
    base_type, base_version = str(base.get("type", "")), str(base.get("version", ""))
    latest = catalog.latest(base_type)
    newer = False
    if latest is not None and base_version:
        try:
            newer = semver_key(latest.version) > semver_key(base_version)
        except ValueError:
            newer = False
    return ForkInfo(
        type=str(manifest.get("type", "")),
        version=str(manifest.get("version", "")),
        folder=folder.relative_to(root).as_posix(),
        base_type=base_type,
        base_version=base_version,
        base_latest=latest.version if latest is not None else None,
        newer_base=newer,
        modified=fork_modified(folder),
    )


def fork_status(root: Path) -> list[ForkInfo]:
    """Every fork in ``nodes/`` with whether its base has a newer version."""
    nodes = root / "nodes"
    if not nodes.is_dir():
        return []
    catalog = standard_catalog()
    out = []
    for record in sorted(nodes.rglob(FORK_FILE)):
        if any(part.startswith(".") for part in record.relative_to(nodes).parts):
            continue
        try:
            out.append(_info(root, record.parent, catalog))
        except (OSError, ValueError) as exc:
            raise ProjectError(f"{record}: {exc}") from exc
    return out


def fork_hints(root: Path) -> list[str]:
    """One line per fork whose base has a newer version (for the editor and the CLI)."""
    return [
        f"{f.type} is a fork of {f.base_type}@{f.base_version}; {f.base_type} {f.base_latest} "
        f"is out: compare with `nodeforge fork {f.base_type}@{f.base_latest} --as <name>`"
        for f in fork_status(root)
        if f.newer_base
    ]


@dataclass(frozen=True, slots=True)
class ForkBase:
    """What a workspace node was forked from (for code generation and the sandbox: a fork
    is generated like its base type, with the executor package from ``folder``)."""

    base_type: str
    base_version: str
    folder: Path
    go_package: str


def fork_base(manifest_path: Path) -> ForkBase | None:
    """The base of the node whose ``node.json`` is ``manifest_path``; None if not a fork."""
    record_path = manifest_path.parent / FORK_FILE
    try:
        record = json.loads(nodefiles.read_text(record_path))
        manifest = json.loads(nodefiles.read_text(manifest_path))
        base = record["forked_from"]
        return ForkBase(
            str(base["type"]),
            str(base["version"]),
            manifest_path.parent,
            go_package(str(manifest["type"])),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
