"""A workbook opened and saved by LibreOffice still imports.

Two ways: the committed fixtures (``fixtures/*-libreoffice.xlsx``: workbooks made by
:func:`edited_workbooks` for the workspace of ``conftest.py``, edited, then saved by
``soffice --headless --convert-to xlsx``), which hold wherever LibreOffice is missing or slow;
and, where ``soffice`` is installed, the same conversion done live. Regenerate the fixtures
after changing the test workspace with ``python tests/authoring/test_libreoffice.py``. The fixtures
are sealed with the fixed seal key :data:`FIXTURE_KEY` (given as ``KIZUNA_SEAL_KEY``), as a second
clone of a workspace would import workbooks made by the first.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

import openpyxl
import pytest

from kizuna.catalog.stages import Stage
from kizuna.catalog.workspace import Workspace, load_workspace
from kizuna.authoring.workbooks import BLOCKS, PROFILE, REVIEW, import_workbook, write_workbook

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_KEY = "kizuna-libreoffice-fixtures"


@pytest.fixture(autouse=True)
def _fixture_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIZUNA_SEAL_KEY", FIXTURE_KEY)
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def _col(layout: Any, key: str) -> int:
    return [c.key for c in layout.columns].index(key) + 1


def _set(sheet: Any, layout: Any, row: int, **values: Any) -> None:
    for key, value in values.items():
        cell = sheet.cell(row=row, column=_col(layout, key))
        cell.value = value
        if isinstance(value, str) and value[:1] in "=+-@":
            cell.data_type, cell.quotePrefix = "s", True


def _find(sheet: Any, layout: Any, **match: str) -> int:
    return next(r for r in range(2, sheet.max_row + 1)
                if all(sheet.cell(row=r, column=_col(layout, k)).value == v for k, v in match.items()))


def edited_workbooks(ws: Workspace, out: Path) -> dict[str, Path]:
    """A reviewer's and a town's workbook with the edits a person would make."""
    review = write_workbook(ws, out / "review-aoki.xlsx", reviewer="aoki", findings=False)
    book = openpyxl.load_workbook(review)
    sheet = book["確認"]
    _set(sheet, REVIEW, _find(sheet, REVIEW, id="p08w-hello", locale="ja"),
         text="妊娠8週です。\nLibreOfficeで直しました。", decision="承認")
    _set(sheet, REVIEW, _find(sheet, REVIEW, id="b00d-birth", locale="ja"), decision="コメント",
         comment="=「おめでとう」を先に")
    book.save(review)
    town = write_workbook(ws, out / "town-202029.xlsx", town="202029", findings=False)
    book = openpyxl.load_workbook(town)
    profile = book["プロフィール"]
    _set(profile, PROFILE, _find(profile, PROFILE, field="contacts.phone"), text="0263-00-0000")
    blocks = book["地域ブロック"]
    _set(blocks, BLOCKS, blocks.max_row, stage="B1m", locale="ja", text="【松本市より】1か月健診の案内です。")
    book.save(town)
    return {"review": review, "town": town}


def convert(path: Path, out_dir: Path) -> Path:
    """Open and save ``path`` with LibreOffice (headless), as a person's LibreOffice would."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
                        "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out_dir), str(path)],
                       check=True, capture_output=True, timeout=120)
    return out_dir / path.name


def _check_imports(ws_root: Path, review: Path, town: Path) -> None:
    r = import_workbook(load_workspace(ws_root), review)
    assert r.counts["applied"] == 3 and r.counts["conflict"] == r.counts["refused"] == 0, r.render()
    ws = load_workspace(ws_root)
    assert ws.messages["p08w-hello"].text("ja") == "妊娠8週です。\nLibreOfficeで直しました。"
    t = import_workbook(ws, town)
    assert t.counts["applied"] == 2 and t.counts["conflict"] == t.counts["refused"] == 0, t.render()
    ws = load_workspace(ws_root)
    assert ws.towns["202029"].contacts["phone"] == "0263-00-0000"
    assert ws.towns["202029"].blocks[Stage.parse("B1m")] == {"ja": "【松本市より】1か月健診の案内です。"}
    from kizuna.review.decisions import read_log
    log = read_log(ws_root)
    assert [(d.message_id, d.decision, d.comment) for d in log] == [
        ("p08w-hello", "approve", ""), ("b00d-birth", "comment", "=「おめでとう」を先に")]
    for path in (review, town):  # and again: nothing more
        again = import_workbook(load_workspace(ws_root), path)
        assert again.counts["applied"] == 0 and again.counts["conflict"] == 0


def test_fixture_saved_by_libreoffice_imports(ws_root: Path) -> None:
    review, town = FIXTURES / "review-aoki-libreoffice.xlsx", FIXTURES / "town-202029-libreoffice.xlsx"
    assert b"LibreOffice" in _app_properties(review)
    _check_imports(ws_root, review, town)


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_live_libreoffice_round_trip(ws_root: Path, ws: Workspace, tmp_path: Path) -> None:
    made = edited_workbooks(ws, tmp_path / "made")
    review, town = (convert(made[k], tmp_path / "lo") for k in ("review", "town"))
    assert b"LibreOffice" in _app_properties(review)
    _check_imports(ws_root, review, town)


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_unedited_workbook_through_libreoffice_changes_nothing(ws_root: Path, ws: Workspace, tmp_path: Path,
                                                               files_of: Callable[[Path], dict[str, bytes]]) -> None:
    path = write_workbook(ws, tmp_path / "en.xlsx", locale="en", findings=False)
    before = files_of(ws_root)
    report = import_workbook(load_workspace(ws_root), convert(path, tmp_path / "lo"))
    assert report.counts["applied"] == report.counts["conflict"] == 0
    assert files_of(ws_root) == before


def _app_properties(path: Path) -> bytes:
    import zipfile
    with zipfile.ZipFile(path) as z:
        return z.read("docProps/app.xml")


if __name__ == "__main__":  # regenerate the fixtures
    import os

    os.environ["KIZUNA_SEAL_KEY"] = FIXTURE_KEY
    sys.path.insert(0, str(Path(__file__).parent))
    from conftest import build_workspace  # type: ignore[import-not-found]

    with tempfile.TemporaryDirectory() as tmp:
        root = build_workspace(Path(tmp) / "ws")
        made = edited_workbooks(load_workspace(root), Path(tmp) / "made")
        for key, name in (("review", "review-aoki-libreoffice.xlsx"), ("town", "town-202029-libreoffice.xlsx")):
            shutil.copy(convert(made[key], Path(tmp) / "lo"), FIXTURES / name)
            print(FIXTURES / name)
