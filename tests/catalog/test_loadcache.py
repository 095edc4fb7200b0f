"""Loading a workspace reads unchanged files from .kizuna/cache/, and every changed or broken
file afresh."""
from __future__ import annotations

from pathlib import Path

import pytest

from kizuna.catalog import yamlio
from kizuna.catalog.errors import WorkspaceError
from kizuna.catalog.loadcache import save_loader
from kizuna.catalog.workspace import load_workspace


def test_unchanged_files_come_from_the_cache_and_edits_are_seen(sample_path: Path) -> None:
    (sample_path / ".kizuna").mkdir(exist_ok=True)
    first = load_workspace(sample_path)
    save_loader(sample_path)
    cache = sample_path / ".kizuna" / "cache" / "files.pickle"
    assert cache.is_file()
    again = load_workspace(sample_path)
    assert again.messages == first.messages and again.towns == first.towns
    path = sample_path / "messages" / "b04m-hand-regard.yaml"
    data = yamlio.read(path)
    data["texts"]["ja"]["text"] = "書きかえました。"
    yamlio.write(path, data)
    assert load_workspace(sample_path).messages["b04m-hand-regard"] != first.messages["b04m-hand-regard"]
    save_loader(sample_path)
    path.write_text("id: [broken\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(WorkspaceError):
            load_workspace(sample_path)
        save_loader(sample_path)


def test_loading_writes_nothing(sample_path: Path) -> None:
    (sample_path / ".kizuna").mkdir(exist_ok=True)
    before = sorted(p for p in sample_path.rglob("*"))
    load_workspace(sample_path)
    assert sorted(p for p in sample_path.rglob("*")) == before
