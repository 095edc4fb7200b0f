"""Hostile or careless input through the CLI: a named error and exit 2, never a traceback."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kizuna.cli import main
from tests.conftest import small_message


def run(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("broken, says", [
    ("review:\n  period_days: x\n", "review.period_days"),
    ("exports:\n  csv: 5\n", "exports.csv"),
])
def test_a_broken_review_or_exports_section_fails_check(make_workspace, broken: str, says: str) -> None:
    root = make_workspace()
    with open(root / "kizuna.yaml", "a", encoding="utf-8") as handle:
        handle.write(broken)
    result = run("--workspace", str(root), "check")
    assert result.exit_code == 2, result.output
    assert says in result.output and "Traceback" not in result.output


def test_a_message_file_that_is_a_folder_is_exit_2(make_workspace) -> None:
    root = make_workspace()
    (root / "messages" / "x.yaml").mkdir()
    result = run("--workspace", str(root), "check")
    assert result.exit_code == 2 and "is a folder" in result.output


def test_a_full_width_digit_in_a_stage_is_refused(make_workspace) -> None:
    root = make_workspace(messages=[{"id": "b1d", "stage": "B１d", "texts": {"ja": {"text": "こんにちは。"}}}])
    result = run("--workspace", str(root), "check")
    assert result.exit_code == 2 and "ASCII" in result.output


def test_a_million_character_sentence_never_reaches_mecab(tmp_path: Path) -> None:
    import subprocess
    import sys

    draft = tmp_path / "draft.md"
    draft.write_text("あ" * 1_000_000 + "。\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-c", "from kizuna.cli import main; main()", "lint", str(draft)], capture_output=True,
                            text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 2, result.stderr[-500:]  # not 139 (segmentation fault)
    assert "too long for morphological analysis" in result.stderr and len(result.stderr) < 600


def test_a_workspace_text_over_the_limit_is_exit_2(make_workspace) -> None:
    root = make_workspace(messages=[{"id": "b1d", "stage": "B1d", "texts": {"ja": {"text": "あ" * 100_000}}}])
    result = run("--workspace", str(root), "check")
    assert result.exit_code == 2 and "100,000 characters" in result.output and len(result.output) < 600


@pytest.mark.parametrize("args, says", [
    (["--due", "9999-12-31"], "falls outside the calendar"),
    (["--due", "0001-01-02"], "falls outside the calendar"),
])
def test_preview_dates_out_of_the_calendar_are_named_errors(make_workspace, args: list[str], says: str) -> None:
    root = make_workspace(messages=[small_message("p08w-hello", "P8w", "妊娠8週です。"),
                                    small_message("b01m-month", "B1m", "生後1か月です。")])
    result = run("--workspace", str(root), "preview", "--town", "202029", "--include-unapproved", *args)
    assert result.exit_code == 2 and says in result.output and "Traceback" not in result.output


def test_preview_with_more_days_than_the_calendar_has_left_lists_the_rest(make_workspace) -> None:
    root = make_workspace()
    result = run("--workspace", str(root), "preview", "--town", "202029", "--due", "2026-01-01",
                 "--days", "999999999", "--include-unapproved")
    assert result.exit_code == 0, result.output
    assert "messages" in result.output


def test_export_out_under_a_file_is_a_named_error(make_workspace, tmp_path: Path) -> None:
    root = make_workspace()
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    result = run("--workspace", str(root), "export", "--all", "--include-unapproved",
                 "--out", str(tmp_path / "a-file" / "sub"))
    assert result.exit_code == 2 and "cannot make the export folder here" in result.output
    assert (tmp_path / "a-file").read_text(encoding="utf-8") == "x"


def test_export_out_in_an_unwritable_folder_is_a_named_error(make_workspace, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import os

    root = make_workspace()
    locked = tmp_path / "locked"
    locked.mkdir()
    real_mkdir = os.mkdir

    def mkdir(path, *args, **kwargs):  # root ignores permission bits, so refuse as a read-only folder would
        if str(path).startswith(str(locked)):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", mkdir)
    result = run("--workspace", str(root), "export", "--all", "--include-unapproved", "--out", str(locked / "x"))
    assert result.exit_code == 2 and "Permission denied" in result.output and "Traceback" not in result.output
