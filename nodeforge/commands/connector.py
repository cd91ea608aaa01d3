"""``nodeforge connector add|list|show|test|remove|env|exec|keygen|types``."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

from nodeforge.commands.paths import exit_code
from nodeforge.project import connectors as c
from nodeforge.project.fsutil import ProjectError, atomic_write, require_root


def run(args: argparse.Namespace) -> int:
    action = args.connector_command
    try:
        if action == "keygen":
            print(c.generate_key())
            return 0
        if action == "types":
            for kind, fields in c.types_table().items():
                print(kind)
                for f in fields:
                    flags = [x for x in ("required", "secret") if f[x]]
                    default = f" (default {f['default']})" if f["default"] is not None else ""
                    tag = f" [{', '.join(flags)}]" if flags else ""
                    print(f"  {f['name']}{tag}: {f['description']}{default}")
            return 0
        root = require_root(explicit=args.workspace)
        return _ACTIONS[action](root, args)
    except ProjectError as exc:
        print(f"nodeforge connector {action}: {exc}", file=sys.stderr)
        return exit_code(exc)


def _add(root: object, args: argparse.Namespace) -> int:
    assert isinstance(root, os.PathLike)
    settings: dict[str, str] = {}
    if args.stdin:
        data = json.load(sys.stdin)
        if not isinstance(data, dict):
            raise ProjectError("--stdin expects a JSON object of settings")
        settings.update({str(k): str(v) for k, v in data.items()})
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            raise ProjectError(f"--set expects KEY=VALUE, not `{item}`")
        settings[key.strip()] = value
    for item in args.set_env:
        key, sep, var = item.partition("=")
        if not sep or var not in os.environ:
            raise ProjectError(f"--set-env {item}: environment variable `{var}` is not set")
        settings[key.strip()] = os.environ[var]
    for spec in c.specs(args.kind):
        if spec.secret and spec.name not in settings and not args.no_prompt and sys.stdin.isatty():
            value = getpass.getpass(f"{spec.name} for {args.name} (empty: none): ")
            if value:
                settings[spec.name] = value
    c.add(root, args.name, args.kind, settings, replace=args.replace)  # type: ignore[arg-type]
    print(f"connector {args.name} ({args.kind}) stored encrypted")
    return 0


def _list(root: object, args: argparse.Namespace) -> int:
    infos = c.list_connectors(root)  # type: ignore[arg-type]
    if args.json:
        print(json.dumps([i.to_json() for i in infos], indent=2))
        return 0
    if not infos:
        print("no connectors")
    for i in infos:
        state = "ok" if not i.problems else "; ".join(i.problems)
        print(f"{i.name:<20} {i.type or '?':<10} {state}")
    return 0 if all(not i.problems for i in infos) else 1


def _show(root: object, args: argparse.Namespace) -> int:
    info = c.show(root, args.name)  # type: ignore[arg-type]
    if args.json:
        print(json.dumps(info.to_json(), indent=2))
        return 0
    print(f"{info.name} ({info.type})")
    for key, value in info.settings.items():
        print(f"  {key} = {value}")
    return 0


def _test(root: object, args: argparse.Namespace) -> int:
    result = c.test(root, args.name, timeout=args.timeout)  # type: ignore[arg-type]
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(f"{'ok' if result.ok else 'FAILED'}: {result.message} ({result.elapsed_ms} ms)")
    return 0 if result.ok else 1


def _remove(root: object, args: argparse.Namespace) -> int:
    if not c.remove(root, args.name, force=args.force):  # type: ignore[arg-type]
        raise ProjectError(f"no connector `{args.name}`")
    print(f"connector {args.name} removed")
    return 0


def _env(root: object, args: argparse.Namespace) -> int:
    env = c.runtime_env(root, args.names or None)  # type: ignore[arg-type]
    if args.format == "json":
        text = json.dumps(env, indent=2, sort_keys=True) + "\n"
    else:
        text = "".join(f"{k}={json.dumps(v)}\n" for k, v in sorted(env.items()))
    atomic_write(args.output, text, mode=0o600)
    print(f"wrote {len(env)} setting(s) to {args.output} (mode 0600; keep it out of git)")
    return 0


def _exec(root: object, args: argparse.Namespace) -> int:
    argv = [a for a in args.argv if a != "--"][: len(args.argv)] if args.argv else []
    if args.argv and args.argv[0] == "--":
        argv = args.argv[1:]
    if not argv:
        raise ProjectError("give the command to run: nodeforge connector exec -- ./app")
    from nodeforge.codegen.build import app_environment

    assert isinstance(root, os.PathLike)
    names = args.connector or sorted({u.connector for u in c.connector_uses(Path(root))})
    env = app_environment(Path(root), names)
    sys.stdout.flush()
    os.execvpe(argv[0], argv, env)
    return 2  # pragma: no cover - execvpe does not return


_ACTIONS = {
    "add": _add,
    "list": _list,
    "show": _show,
    "test": _test,
    "remove": _remove,
    "env": _env,
    "exec": _exec,
}
