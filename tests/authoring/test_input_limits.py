"""Workbooks and notebooks over the limits: refused fast, before they are loaded, with a named
error; nothing is written to the workspace."""
from __future__ import annotations

import hashlib
import io
import json
import time
from datetime import datetime, timezone
import zipfile
from pathlib import Path

import openpyxl
import pytest

from kizuna.catalog import limits
from kizuna.catalog.workspace import Workspace, load_workspace
from kizuna.authoring.notebooks import NotebookError, import_notebook, write_notebooks
from kizuna.authoring.workbooks import REVIEW, WorkbookError, import_workbook, write_workbook

NOW = datetime(2026, 4, 1, 9, 0, tzinfo=timezone.utc)


def tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and ".kizuna" not in path.parts:
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def review_book(ws: Workspace, tmp_path: Path) -> Path:
    return write_workbook(ws, tmp_path / "out" / "review-doi.xlsx", reviewer="doi", findings=False)


def _refused(ws: Workspace, path: Path, match: str) -> WorkbookError:
    before = tree_digest(ws.root)
    started = time.perf_counter()
    with pytest.raises(WorkbookError, match=match) as info:
        import_workbook(load_workspace(ws.root), path, now=NOW)
    assert time.perf_counter() - started < 1.0
    assert tree_digest(ws.root) == before
    assert len(str(info.value)) < 600
    return info.value


def test_a_cell_at_the_last_excel_row_is_refused_in_well_under_a_second(ws: Workspace, review_book: Path) -> None:
    book = openpyxl.load_workbook(review_book)
    book[REVIEW.sheet].cell(row=1_048_576, column=1).value = "x"
    book.save(review_book)
    assert review_book.stat().st_size < 30_000
    err = _refused(ws, review_book, "row 1,048,576")
    assert err.location is not None and REVIEW.sheet in err.location


def test_a_cell_in_a_far_column_is_refused(ws: Workspace, review_book: Path) -> None:
    book = openpyxl.load_workbook(review_book)
    book[REVIEW.sheet].cell(row=3, column=16_000).value = "x"
    book.save(review_book)
    _refused(ws, review_book, "column 16,000")


def test_an_over_long_cell_is_refused(ws: Workspace, review_book: Path) -> None:
    book = openpyxl.load_workbook(review_book)
    book[REVIEW.sheet].cell(row=2, column=3).value = "長" * (limits.MAX_CELL_CHARS + 1)
    book.save(review_book)
    _refused(ws, review_book, "10,001 characters")


def test_a_huge_unzipped_part_is_refused_before_loading(ws: Workspace, review_book: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # a 300 MB comment compresses to a few hundred KB; the zip directory tells its real size
    monkeypatch.setattr("kizuna.authoring.workbooks.MAX_WORKBOOK_UNZIPPED_BYTES", 10_000)
    _refused(ws, review_book, "once unzipped")


def test_a_huge_merged_range_is_refused(ws: Workspace, review_book: Path) -> None:
    # written into the sheet's XML: openpyxl itself would make two million cells to merge them
    original = review_book.read_bytes()
    with zipfile.ZipFile(io.BytesIO(original)) as source, zipfile.ZipFile(review_book, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                assert b"<mergeCells" not in data
                data = data.replace(b"</sheetData>", b'</sheetData><mergeCells count="1">'
                                    b'<mergeCell ref="A100:B1048576"/></mergeCells>', 1)
            target.writestr(info, data)
    _refused(ws, review_book, "merged")


def test_an_error_cell_is_a_named_error_not_text(ws: Workspace, review_book: Path) -> None:
    book = openpyxl.load_workbook(review_book)
    sheet = book[REVIEW.sheet]
    column = [c.key for c in REVIEW.columns].index("comment") + 1
    sheet.cell(row=2, column=column).value = "#N/A"
    sheet.cell(row=2, column=column).data_type = "e"
    book.save(review_book)
    _refused(ws, review_book, "error value .#N/A")


def _notebook(ws: Workspace, tmp_path: Path) -> Path:
    return write_notebooks(ws, tmp_path / "nb")[0]


def _nb_refused(ws: Workspace, path: Path, match: str) -> None:
    before = tree_digest(ws.root)
    started = time.perf_counter()
    with pytest.raises(NotebookError, match=match):
        import_notebook(load_workspace(ws.root), path, now=NOW)
    assert time.perf_counter() - started < 1.0
    assert tree_digest(ws.root) == before


def test_a_notebook_nested_100k_deep_is_a_named_error(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "deep.ipynb"
    path.write_text('{"cells": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    _nb_refused(ws, path, "nested more than")


def test_an_oversized_notebook_is_refused(ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _notebook(ws, tmp_path)
    monkeypatch.setattr("kizuna.authoring.notebooks.MAX_NOTEBOOK_BYTES", 100)
    _nb_refused(ws, path, "over the limit")


def test_a_lone_surrogate_in_a_cell_is_a_named_error(ws: Workspace, tmp_path: Path) -> None:
    path = _notebook(ws, tmp_path)
    raw = json.loads(path.read_text(encoding="utf-8"))
    cell = next(c for c in raw["cells"] if c.get("metadata", {}).get("kizuna", {}).get("id"))
    cell["source"] = "おめでとう\ud800ございます。"
    path.write_text(json.dumps(raw), encoding="utf-8")  # ascii escapes: "\ud800" in the file
    _nb_refused(ws, path, "surrogate")


def test_an_over_long_cell_in_a_notebook_is_refused(ws: Workspace, tmp_path: Path) -> None:
    path = _notebook(ws, tmp_path)
    raw = json.loads(path.read_text(encoding="utf-8"))
    cell = next(c for c in raw["cells"] if c.get("metadata", {}).get("kizuna", {}).get("id"))
    cell["source"] = "あ" * 1_000_000  # one sentence of a million characters crashes MeCab
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    _nb_refused(ws, path, "1,000,000 characters")


def test_a_notebook_with_a_5000_digit_number_is_a_named_error(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "digits.ipynb"
    path.write_text('{"cells": [], "nbformat": ' + "4" * 5000 + ', "nbformat_minor": 5, "metadata": {}}',
                    encoding="utf-8")
    _nb_refused(ws, path, "not a notebook")


def test_a_suggestions_file_that_is_a_list_is_a_named_error(ws: Workspace) -> None:
    from kizuna.authoring.suggestions import SuggestionsError, all_suggestions

    folder = ws.root / "suggestions" / "messages"
    folder.mkdir(parents=True)
    (folder / "p08w-hello.yaml").write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(SuggestionsError, match="must be a mapping with one key"):
        all_suggestions(ws.root)
    (folder / "p08w-hello.yaml").write_text("suggestions: {a: 1}\n", encoding="utf-8")
    with pytest.raises(SuggestionsError, match="must be a list"):
        all_suggestions(ws.root)
