"""``kizuna export``, ``kizuna export diff``, ``kizuna export formats`` and ``kizuna preview``."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from kizuna.cli import main

from .conftest import TOWNS, write_workspace


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_export_writes_the_default_folder(ws_root: Path, signoff) -> None:
    result = run("-w", str(ws_root), "export", "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert "exported 4 towns, 5 catalogs" in result.output
    manifest = json.loads((ws_root / "out/exports/manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["towns"] == 4


def test_preview_export_goes_to_its_own_folder(ws_root: Path, signoff) -> None:
    signoff(default="draft")
    result = run("-w", str(ws_root), "export", "--include-unapproved", "--town", "202029",
                 "--format", "json,csv", "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert "【未承認】" in result.output
    assert (ws_root / "out/preview/202029/ja/catalog.csv").is_file()
    assert not (ws_root / "out/exports").exists()


def test_broken_template_exits_2_and_writes_nothing(tmp_path: Path, signoff) -> None:
    root = write_workspace(tmp_path / "w", towns=[dict(TOWNS[0], blocks={"P10w": "{{ town.contacts.fax }}"})])
    result = CliRunner().invoke(main, ["-w", str(root), "export"])
    assert result.exit_code == 2
    assert "town 202029" in result.output and "p10w-hello" in result.output and "town.contacts.fax" in result.output
    assert not (root / "out").exists() or not any((root / "out").iterdir())


def test_conflicting_town_options(ws_root: Path, signoff) -> None:
    result = CliRunner().invoke(main, ["-w", str(ws_root), "export", "--all", "--town", "202029"])
    assert result.exit_code == 2 and "not both" in result.output


def test_export_diff_and_formats(ws_root: Path, signoff, tmp_path: Path) -> None:
    assert run("-w", str(ws_root), "export", "--jobs", "1", "--out", str(tmp_path / "a")).exit_code == 0
    signoff(overrides={("b0d-born", "ja"): "stale"})
    assert run("-w", str(ws_root), "export", "--jobs", "1", "--out", str(tmp_path / "b")).exit_code == 0
    result = run("export", "diff", str(tmp_path / "a"), str(tmp_path / "b"))
    assert "  - removed b0d-born  B0d" in result.output
    as_json = json.loads(run("export", "diff", "--json", str(tmp_path / "a"), str(tmp_path / "b")).output)
    assert {d["town"] for d in as_json["catalogs"]} == {"202029", "131121", "264652", "473243"}
    assert "rapidpro" in run("export", "formats").output


def test_preview_command(ws_root: Path, signoff) -> None:
    result = run("-w", str(ws_root), "preview", "--town", "202029", "--due", "2025-06-01",
                 "--birth", "2025-05-20", "--from", "2025-05-20", "--days", "1")
    assert result.exit_code == 0, result.output
    assert "2025-05-20 08:00  B0d 生後0日  b0d-born" in result.output
    assert "\n1 message\n" in result.output
