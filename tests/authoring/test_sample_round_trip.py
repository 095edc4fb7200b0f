"""Every view of the bundled sample — every notebook, every reviewer's, town's and translator's
workbook — imports back without changing a byte of the workspace."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from kizuna.catalog.workspace import load_workspace
from kizuna.authoring.importer import import_file
from kizuna.authoring.merge import Verdict
from kizuna.authoring.notebooks import write_notebooks
from kizuna.authoring.workbooks import write_workbook


def test_all_views_of_the_sample_round_trip(sample_path: Path, tmp_path: Path,
                                            files_of: Callable[[Path], dict[str, bytes]]) -> None:
    ws = load_workspace(sample_path)
    before = files_of(sample_path)
    views = []
    for locale in ws.config.locales:
        views += write_notebooks(ws, tmp_path / "nb", locale=locale, findings=False)
    for reviewer in ws.reviewers:
        views.append(write_workbook(ws, tmp_path / f"by-{reviewer}.xlsx", reviewer=reviewer, findings=False))
    for code in ws.towns:
        views.append(write_workbook(ws, tmp_path / f"town-{code}.xlsx", town=code, findings=False))
    for locale in ws.config.locales[1:]:
        views.append(write_workbook(ws, tmp_path / f"tr-{locale}.xlsx", locale=locale, findings=False))
    for path in views:
        report = import_file(load_workspace(sample_path), path)
        assert {line.verdict for line in report.lines} <= {Verdict.UNCHANGED}, report.render()
    assert files_of(sample_path) == before
