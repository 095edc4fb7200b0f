"""``export --out`` owns only what it wrote: never the workspace, a folder holding it, or a folder
with files kizuna did not write; refusing names the file and touches nothing."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kizuna.catalog.errors import KizunaError
from kizuna.catalog.workspace import Workspace
from kizuna.cli import main
from kizuna.exports.atomic import MANIFEST, MANIFEST_FORMAT
from kizuna.exports.errors import ExportError
from kizuna.exports.runner import ExportRequest, run_export


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".kizuna" not in p.relative_to(folder).parts}


def test_a_bare_manifest_does_not_make_the_workspace_an_export(ws: Workspace, ws_root: Path, signoff) -> None:
    (ws_root / MANIFEST).write_text(json.dumps({"format": MANIFEST_FORMAT}), encoding="utf-8")
    before = tree(ws_root)
    with pytest.raises(ExportError, match="is the workspace itself"):
        run_export(ws, ExportRequest(jobs=1), ws_root)
    assert tree(ws_root) == before


def test_the_cli_refuses_the_workspace_and_its_parents(ws_root: Path, signoff,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    (ws_root / MANIFEST).write_text(json.dumps({"format": MANIFEST_FORMAT}), encoding="utf-8")
    before = tree(ws_root.parent)
    monkeypatch.chdir(ws_root)
    for out in (".", str(ws_root), "..", str(ws_root / "messages" / "..")):
        result = CliRunner().invoke(main, ["export", "--all", "--out", out])
        assert result.exit_code == 2, result.output
        assert "workspace" in result.output
    assert tree(ws_root.parent) == before


def test_a_bare_manifest_elsewhere_is_not_an_export_either(ws: Workspace, signoff, tmp_path: Path) -> None:
    folder = tmp_path / "delivery"
    folder.mkdir()
    (folder / MANIFEST).write_text(json.dumps({"format": MANIFEST_FORMAT}), encoding="utf-8")
    (folder / "contract.pdf").write_bytes(b"%PDF")
    with pytest.raises(ExportError, match="lists no files"):
        run_export(ws, ExportRequest(jobs=1), folder)
    assert (folder / "contract.pdf").read_bytes() == b"%PDF"


def test_a_file_the_previous_manifest_does_not_list_is_named_and_kept(ws: Workspace, signoff,
                                                                      tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_export(ws, ExportRequest(jobs=1), out)
    (out / "202029" / "README-delivery.txt").write_text("配信チームのメモ", encoding="utf-8")
    before = tree(out)
    with pytest.raises(ExportError, match="202029/README-delivery.txt is not in its manifest.json"):
        run_export(ws, ExportRequest(jobs=1), out)
    assert tree(out) == before
    (out / "202029" / "README-delivery.txt").unlink()
    run_export(ws, ExportRequest(jobs=1), out)  # a clean previous export is replaced


def test_a_file_changed_since_the_export_is_named_and_kept(ws: Workspace, signoff, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_export(ws, ExportRequest(jobs=1), out)
    changed = out / "202029" / "ja" / "catalog.json"
    changed.write_bytes(changed.read_bytes() + b" ")
    before = tree(out)
    with pytest.raises(ExportError, match="202029/ja/catalog.json changed since kizuna wrote it"):
        run_export(ws, ExportRequest(jobs=1), out)
    assert tree(out) == before


def test_a_symlinked_out_folder_in_the_workspace_is_refused(ws: Workspace, ws_root: Path, signoff,
                                                            tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (ws_root / "out").symlink_to(elsewhere)
    with pytest.raises(KizunaError, match="symbolic link"):
        run_export(ws, ExportRequest(jobs=1), ws_root / "out" / "exports")
    assert list(elsewhere.iterdir()) == []


def test_out_under_a_file_is_a_named_error(ws: Workspace, signoff, tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    with pytest.raises(ExportError, match="afile"):
        run_export(ws, ExportRequest(jobs=1), tmp_path / "afile" / "out")
