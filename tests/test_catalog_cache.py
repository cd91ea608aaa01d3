"""The catalog's on-disk cache (analysis/catalog_cache.py): keyed by content, never
trusted blindly."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from nodeforge.analysis import catalog as catalog_mod
from nodeforge.analysis import catalog_cache
from nodeforge.analysis.catalog import Catalog, CatalogError


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[Path]]:
    """A private cache folder and a copy of the standard catalog; counts file loads."""
    monkeypatch.setenv("NODEFORGE_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("NODEFORGE_CATALOG_CACHE", raising=False)
    src = tmp_path / "catalog"
    shutil.copytree(
        Catalog.standard_dir(), src, ignore=shutil.ignore_patterns("*.go", "*.py", "__pycache__")
    )
    loads: list[Path] = []
    real = catalog_mod._load_file

    def counting(path: Path, check_layout: bool):  # type: ignore[no-untyped-def]
        loads.append(path)
        return real(path, check_layout)

    monkeypatch.setattr(catalog_mod, "_load_file", counting)
    return src, loads


def _cache_files(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "cache" / "catalog"
    return sorted(folder.glob("catalog-*.pickle")) if folder.is_dir() else []


def _summary(cat: Catalog) -> list[tuple[str, str, dict[str, object]]]:
    return [(m.type, m.version, m.config_schema) for m in cat.all()]


def test_second_load_reads_the_cache(env: tuple[Path, list[Path]], tmp_path: Path) -> None:
    src, loads = env
    first = Catalog.load([src], cached=True)
    assert loads, "the first load reads the manifests"
    assert len(_cache_files(tmp_path)) == 1
    loads.clear()
    second = Catalog.load([src], cached=True)
    assert loads == []
    assert _summary(second) == _summary(first)
    # The manifests work as loaded ones do (compiled validators are rebuilt on use).
    manifest = second.latest("data/set")
    assert manifest is not None
    assert manifest.validate_config({}) != []
    assert manifest.validate_config(manifest.default_config()) == []


def test_a_changed_manifest_is_reloaded(env: tuple[Path, list[Path]], tmp_path: Path) -> None:
    src, loads = env
    Catalog.load([src], cached=True)
    node_json = next(src.rglob("node.json"))
    node_json.write_text(node_json.read_text().replace('"title": "', '"title": "Renamed '))
    loads.clear()
    cat = Catalog.load([src], cached=True)
    assert loads, "new content, new key: loaded again"
    assert any(m.title.startswith("Renamed ") for m in cat.all())
    assert len(_cache_files(tmp_path)) == 2


def test_problems_are_cached_too(env: tuple[Path, list[Path]]) -> None:
    src, loads = env
    node_json = next(src.rglob("node.json"))
    node_json.write_text('{"type": 1}')
    for _ in range(2):
        loads.clear()
        with pytest.raises(CatalogError) as err:
            Catalog.load([src], cached=True)
        assert str(node_json) in str(err.value)
    assert loads == [], "the second failing load came from the cache"


@pytest.mark.parametrize("damage", ["corrupt", "truncated", "empty", "world-writable"])
def test_a_bad_cache_file_is_ignored(
    env: tuple[Path, list[Path]], tmp_path: Path, damage: str
) -> None:
    src, loads = env
    expected = _summary(Catalog.load([src], cached=True))
    (cached,) = _cache_files(tmp_path)
    data = cached.read_bytes()
    if damage == "corrupt":
        cached.write_bytes(b"not a pickle" + data[12:])
    elif damage == "truncated":
        cached.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        cached.write_bytes(b"")
    else:
        os.chmod(cached, 0o666)
    loads.clear()
    assert _summary(Catalog.load([src], cached=True)) == expected
    assert loads, "the bad file was not used"
    loads.clear()
    assert _summary(Catalog.load([src], cached=True)) == expected
    assert loads == [], "and it was rewritten"


def test_the_cache_can_be_turned_off(
    env: tuple[Path, list[Path]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, loads = env
    monkeypatch.setenv("NODEFORGE_CATALOG_CACHE", "0")
    Catalog.load([src], cached=True)
    Catalog.load([src], cached=True)
    assert _cache_files(tmp_path) == []
    assert len(loads) == 2 * len(list(src.rglob("node.json")))


def test_uncached_loads_write_nothing(env: tuple[Path, list[Path]], tmp_path: Path) -> None:
    src, _ = env
    Catalog.load([src])
    assert _cache_files(tmp_path) == []


def test_old_files_are_pruned(env: tuple[Path, list[Path]], tmp_path: Path) -> None:
    src, _ = env
    node_json = next(src.rglob("node.json"))
    original = node_json.read_text()
    for i in range(catalog_cache.MAX_FILES + 3):
        node_json.write_text(original.replace('"title": "', f'"title": "v{i} '))
        Catalog.load([src], cached=True)
    assert len(_cache_files(tmp_path)) == catalog_cache.MAX_FILES


def test_key_names_the_checking_libraries_without_importing_them() -> None:
    """What decides a load's verdicts and messages is in the key: pydantic's version
    among them, read from its installed files, since the cached catalog no longer holds
    pydantic objects and a start-up from the cache must not import it."""
    code = (
        "import sys\n"
        "from nodeforge.analysis import catalog_cache\n"
        "print(catalog_cache._checker_versions().replace('\\0', ' '))\n"
        "assert 'pydantic' not in sys.modules and 'jsonschema' not in sys.modules\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    names = out.stdout.split()
    for dist in catalog_cache._CHECKERS:
        assert f"{dist}-{metadata.version(dist)}.dist-info" in names, (dist, names)


def test_a_cached_catalog_is_read_without_pydantic(env: tuple[Path, list[Path]]) -> None:
    src, _ = env
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from nodeforge.analysis.catalog import Catalog\n"
        f"cat = Catalog.load([Path({str(src)!r})], cached=True)\n"
        "assert len(cat) > 10\n"
        "print('pydantic' in sys.modules)\n"
    )
    run = [sys.executable, "-c", code]
    first = subprocess.run(run, check=True, capture_output=True, text=True, env=os.environ)
    assert first.stdout.strip() == "True"  # loading the files validates them
    second = subprocess.run(run, check=True, capture_output=True, text=True, env=os.environ)
    assert second.stdout.strip() == "False"  # the cache's plain objects need no pydantic


def _configs(manifest: catalog_mod.NodeManifest) -> list[object]:
    """Valid and invalid configs of a manifest: its defaults, its examples', and each
    of those with every top-level key set to values of other kinds, or removed."""
    base = [manifest.default_config(), manifest.full_default_config()]
    base += [example.config for example in manifest.examples]
    out: list[object] = [None, [], "x", {}, *base]
    for cfg in base:
        for key in list(cfg):
            for value in (None, 1, 2.5, "s", True, [], {}, [1], {"k": "v"}):
                out.append({**cfg, key: value})
            out.append({k: v for k, v in cfg.items() if k != key})
        out.append({**cfg, "not_a_key": 1})
    return out


def _verdict(check: object, config: object) -> str | None:
    import fastjsonschema

    try:
        check(config)  # type: ignore[operator]
    except fastjsonschema.JsonSchemaValueException as exc:
        return exc.message
    return None


def test_validators_are_compiled_with_the_cached_catalog_and_agree_with_fastjsonschema(
    env: tuple[Path, list[Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache stores each manifest's fast config validator as bytecode: a process
    that reads it generates and compiles none, and they judge every config as the ones
    fastjsonschema compiles directly."""
    import copy

    import fastjsonschema

    src, _ = env
    Catalog.load([src], cached=True)  # writes the cache, with the validators
    manifests = Catalog.load([src], cached=True).all()

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cached catalog's validator was generated again")

    with monkeypatch.context() as patched:
        patched.setattr(fastjsonschema, "compile_to_code", refuse)
        patched.setattr(fastjsonschema, "compile", refuse)
        fast = {m.key: m._fast_validator() for m in manifests}
    compared = 0
    for m in manifests:
        assert m._fast_code is not None and m._fast_code[1], m.key
        direct = fastjsonschema.compile(
            copy.deepcopy(m.config_schema), use_formats=False, use_default=False
        )
        for config in _configs(m):
            assert _verdict(fast[m.key], config) == _verdict(direct, config), (m.key, config)
            compared += 1
    assert compared > 1000
