"""The workspace folders a worker keeps between jobs (nodeforge/worker/workspaces.py):
brought to each job's archive exactly, the build's own files kept, one job at a time,
least recently used removed first."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from nodeforge.worker.protocol import BlobRef, Job, JobError, lineage, pack
from nodeforge.worker.workspaces import Workspaces, sync

KEY_A, KEY_B, KEY_C = "a" * 32, "b" * 32, "c" * 32


def test_sync_writes_only_what_changed_and_keeps_the_build_output(tmp_path: Path) -> None:
    root = tmp_path / "ws" / "shop"
    first = {"nodeforge.toml": b"[project]\n", "flows/a.flow.json": b"{}", "db/x.sql": b"--"}
    assert sorted(sync(pack(first), root, tmp_path / "ws")) == sorted(first)
    (root / ".nodeforge" / "gen").mkdir(parents=True)
    (root / ".nodeforge" / "gen" / "main.go").write_text("package main\n")
    toml = root / "nodeforge.toml"
    os.utime(toml, (1, 1))
    second = {"nodeforge.toml": b"[project]\n", "flows/a.flow.json": b'{"id": 1}'}
    changed = sync(pack(second), root, tmp_path / "ws")
    assert sorted(changed) == ["db/x.sql", "flows/a.flow.json"]
    assert (root / "flows" / "a.flow.json").read_bytes() == b'{"id": 1}'
    assert not (root / "db").exists()  # emptied folders go too
    assert toml.stat().st_mtime == 1  # untouched
    assert (root / ".nodeforge" / "gen" / "main.go").is_file()  # the build's own files stay
    assert [p.name for p in (tmp_path / "ws").iterdir() if p.name.startswith(".unpack")] == []


def test_sync_replaces_a_folder_by_a_file_and_a_stray_link(tmp_path: Path) -> None:
    root = tmp_path / "ws" / "p"
    sync(pack({"a/b.txt": b"1"}), root, tmp_path / "ws")
    (root / "link").symlink_to("/etc/hostname")
    sync(pack({"a": b"now a file"}), root, tmp_path / "ws")
    assert (root / "a").read_bytes() == b"now a file"
    assert not (root / "link").exists() and not (root / "link").is_symlink()


def test_checkout_keeps_folders_least_recently_used_first(tmp_path: Path) -> None:
    spaces = Workspaces(tmp_path / "w", keep=2)
    archive = pack({"f.flow.json": b"{}"})
    for key in (KEY_A, KEY_B):
        with spaces.checkout(key, "p", archive) as root:
            (root / ".nodeforge").mkdir()
        time.sleep(0.01)
    with spaces.checkout(KEY_A, "p", archive) as root:  # A used again: B is the oldest
        assert (root / ".nodeforge").is_dir()  # kept from the first job
    time.sleep(0.01)
    with spaces.checkout(KEY_C, "p", archive):
        pass
    assert sorted(p.name for p in (tmp_path / "w").iterdir() if p.is_dir()) == [KEY_A, KEY_C]


def test_a_folder_in_use_is_neither_shared_nor_pruned(tmp_path: Path) -> None:
    spaces = Workspaces(tmp_path / "w", keep=1)
    archive = pack({"f": b"x"})
    inside, release, order = threading.Event(), threading.Event(), []

    def hold() -> None:
        with spaces.checkout(KEY_A, "p", archive):
            order.append("first in")
            inside.set()
            release.wait(10)
            order.append("first out")

    t = threading.Thread(target=hold)
    t.start()
    inside.wait(10)
    with spaces.checkout(KEY_B, "p", archive):  # B's prune cannot take A, in use
        pass
    assert (tmp_path / "w" / KEY_A).is_dir()
    release.set()
    t.join(10)
    with spaces.checkout(KEY_A, "p", archive):
        order.append("second in")
    assert order == ["first in", "first out", "second in"]


def test_keep_zero_gives_each_job_a_fresh_folder(tmp_path: Path) -> None:
    spaces = Workspaces(tmp_path / "w", keep=0)
    with spaces.checkout(KEY_A, "p", pack({"f": b"x"})) as root:
        (root / ".nodeforge").mkdir()
        assert (root / "f").read_bytes() == b"x"
    assert list((tmp_path / "w").iterdir()) == []


def test_lineage_is_checked_and_stable(tmp_path: Path) -> None:
    assert lineage(tmp_path) == lineage(tmp_path / ".") != lineage(tmp_path / "other")
    blob = BlobRef("0" * 64, 0)
    doc = Job("j1", "build", "p", blob, {}, lineage=lineage(tmp_path)).as_json()
    assert Job.from_json(doc).lineage == lineage(tmp_path)
    for bad in ("../../etc", "ABC" * 8, "a" * 8, 5):
        with pytest.raises(JobError, match="lineage"):
            Job.from_json({**doc, "lineage": bad})
    assert Job.from_json({k: v for k, v in doc.items() if k != "lineage"}).lineage is None
    with (
        pytest.raises(JobError, match="lineage"),
        Workspaces(tmp_path / "w").checkout("../x", "p", pack({})),
    ):
        pass
