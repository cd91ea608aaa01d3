"""The look at installed distributions' metadata before ``importlib.metadata`` is
imported to find node packs (``kits._may_declare``): it may answer "maybe" too often,
never "no" when a distribution declares the group."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from nodeforge.analysis import kits


def _dist(site: Path, name: str, entry_points: str | None) -> None:
    dist = site / f"{name}-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    if entry_points is not None:
        (dist / "entry_points.txt").write_text(entry_points)


def test_no_distribution_declaring_the_group_means_no(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _dist(tmp_path, "plain", None)
    _dist(tmp_path, "tool", "[console_scripts]\ntool = tool:main\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path), str(tmp_path / "missing")])
    assert kits._may_declare("nodeforge.nodes") is False


@pytest.mark.parametrize("folder", ["acme_nodes-1.0.dist-info", "ACME_NODES-1.0.DIST-INFO"])
def test_a_distribution_declaring_the_group_means_maybe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder: str
) -> None:
    dist = tmp_path / folder
    dist.mkdir()
    (dist / "entry_points.txt").write_text("[nodeforge.nodes]\nacme = acme_nodes\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path)])
    assert kits._may_declare("nodeforge.nodes") is True


def test_places_it_cannot_look_into_mean_maybe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "packs.zip"
    archive.write_bytes(b"PK\x05\x06" + b"\0" * 18)  # an empty zip file
    monkeypatch.setattr(sys, "path", [str(archive)])
    assert kits._may_declare("nodeforge.nodes") is True
    monkeypatch.setattr(sys, "path", [str(tmp_path / "old.egg")])
    assert kits._may_declare("nodeforge.nodes") is True
    monkeypatch.setattr(sys, "path", [])

    class Finder:
        @staticmethod
        def find_distributions(*_args: object) -> list[object]:
            return []

    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, Finder()])
    assert kits._may_declare("nodeforge.nodes") is True
