"""Hostile or careless input through the CLI: a named error and exit 2, never a traceback."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kizuna.cli import main


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
