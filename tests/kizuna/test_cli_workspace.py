"""The workspace commands through the CLI: init, stages, towns, and errors with exit code 2."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from click.testing import CliRunner

from kizuna.catalog.municipalities import municipalities
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
    assert (target / ".gitignore").read_text(encoding="utf-8").splitlines()[1] == "out/"
    from kizuna.review.coverage import load_milestones

    assert {m.id for m in load_milestones(target)} >= {"birth-registration", "checkup-1y6m"}
    checked = CliRunner().invoke(main, ["-w", str(target), "check", "--format", "json"])
    assert checked.exit_code == 0 and checked.stdout.strip() == "[]"  # nothing to check yet, nothing wrong
    again = CliRunner().invoke(main, ["init", str(target)])
    assert again.exit_code == 2 and "already" in again.stderr


def test_every_workspace_command_refuses_a_broken_workspace_with_exit_2(make_workspace) -> None:
    root = make_workspace()
    town = root / "towns" / "202029.yaml"
    town.write_text(town.read_text(encoding="utf-8").replace("'202029'", "'202028'"), encoding="utf-8")
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    for args in (["check"], ["coverage"], ["review", "status"], ["export"],
                 ["author", "notebook", "--out", str(root / "nb")]):
        result = CliRunner().invoke(main, ["-w", str(root), *args])
        assert result.exit_code == 2, (args, result.output)
        assert "towns/202029.yaml: code: '202028' has a wrong check digit" in result.stderr, args
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


def test_demo_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me", encoding="utf-8")
    result = CliRunner().invoke(main, ["demo", str(tmp_path)])
    assert result.exit_code == 2 and "not empty" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


def test_a_reader_that_stops_early_gets_no_error_message() -> None:
    # ``kizuna towns | head``: the reader closes the pipe (here before kizuna has even started
    # writing, so the list cannot fit in the pipe first); kizuna stops quietly
    import subprocess
    import sys

    kizuna = Path(sys.executable).with_name("kizuna")
    proc = subprocess.Popen([str(kizuna), "towns"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    error = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 141 and error == ""
