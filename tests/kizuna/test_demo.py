"""``kizuna demo``: the main job end to end on a fresh copy of the sample, as a newcomer runs it."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from kizuna.catalog.workspace import load_workspace
from kizuna.cli import main
from kizuna.exports.formats import eml, rapidpro


def test_demo_runs_every_step_and_says_where_the_results_are(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a relative folder, as `make demo` gives it
    target = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "demo"])
    assert result.exit_code == 0, result.output
    steps = {line.split("]")[0].lstrip("[") for line in result.output.splitlines() if line.startswith("[")}
    assert steps >= {"load", "check", "review", "author", "export", "survey"}

    out = target / "out"
    assert (out / "coverage.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    packets = list(out.glob("review-*.html"))
    assert packets and "レビュー資料" in packets[0].read_text(encoding="utf-8")
    assert list((out / "authoring").glob("*.xlsx")) and list((out / "authoring" / "notebooks").glob("*.ipynb"))
    manifest = json.loads((out / "exports" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["towns"] == 4
    reports = list((out / "surveys" / "reports").glob("report-*.html"))
    assert len(reports) == 4 and "事業報告" in reports[0].read_text(encoding="utf-8")
    for name in ("out/coverage.png", "out/exports"):
        assert name.split("/")[-1] in result.output

    # the delivery files are exact to their consumers (RFC 2047 header limits; RapidPro labels)
    emails = list((out / "exports").glob("*/*/email/*.eml"))
    assert emails and all(eml.header_limit_violations(p.read_bytes()) == [] for p in emails)
    for path in (out / "exports").glob("*/*/rapidpro.json"):
        fields = json.loads(path.read_text(encoding="utf-8"))["fields"]
        assert fields and all(rapidpro.valid_field_label(f["name"]) for f in fields)

    # the demo folder is a workspace like any other, and the job left its files untouched
    assert len(load_workspace(target).messages) >= 80
    if shutil.which("git"):
        status = subprocess.run(["git", "status", "--porcelain"], cwd=target, capture_output=True, text=True)
        assert status.stdout == ""
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=target, capture_output=True, text=True).stdout.strip()
        assert manifest["catalog_revision"] == f"git:{head}"
