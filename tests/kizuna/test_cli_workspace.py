"""The workspace commands through the CLI: init, stages, towns, and errors with exit code 2."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from click.testing import CliRunner

from catalog.municipalities import municipalities
from kizuna.cli import main


def run(*args: str) -> "CliRunner.invoke":
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_stages_label_and_dates() -> None:
    assert run("stages", "P12w3d", "--due", "2025-06-15").output.split() == ["P12w3d", "妊娠12週3日", "2024-12-04"]
    assert run("stages", "B1m", "--birth", "2024-01-31").output.split() == ["B1m", "生後1か月", "2024-02-29"]
    assert run("stages", "B18m").output.split() == ["B1y6m", "1歳6か月"]


def test_stage_errors_exit_2_on_stderr() -> None:
    result = CliRunner().invoke(main, ["stages", "P12x"])
    assert result.exit_code == 2 and "'P12x' is not a stage" in result.stderr and result.stdout == ""
    result = CliRunner().invoke(main, ["stages", "B2m", "--due", "2025-01-01"])
    assert result.exit_code == 2 and "birth date" in result.stderr
    result = CliRunner().invoke(main, ["stages", "B2m", "--birth", "2025-13-01"])
    assert result.exit_code == 2


def test_towns_whole_list_as_csv() -> None:
    rows = list(csv.reader(io.StringIO(run("towns", "--format", "csv").output)))
    assert rows[0] == ["code", "prefecture", "name"]
    assert len(rows) == 1 + 1741
    assert rows[1:] == [[m.code, m.prefecture, m.name] for m in municipalities()]


def test_towns_lookup() -> None:
    assert run("towns", "202029").output.split() == ["202029", "長野県", "松本市"]
    assert "131121" in run("towns", "世田谷").output
    bad = CliRunner().invoke(main, ["towns", "202028"])
    assert bad.exit_code == 2 and "check digit" in bad.stderr
    none = CliRunner().invoke(main, ["towns", "アトランティス"])
    assert none.exit_code == 1 and "no municipality" in none.stderr


def test_init_then_commands_find_the_workspace(tmp_path: Path) -> None:
    target = tmp_path / "ws"
    assert run("init", str(target)).exit_code == 0
    assert (target / "kizuna.yaml").is_file()
    again = CliRunner().invoke(main, ["init", str(target)])
    assert again.exit_code == 2 and "already" in again.stderr
