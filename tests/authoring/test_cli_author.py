"""The ``kizuna author`` commands end to end: files written, imports summarised, exit codes."""
from __future__ import annotations

from pathlib import Path

import nbformat
import openpyxl
from click.testing import CliRunner

from kizuna.catalog.workspace import load_workspace
from kizuna.cli import main


def _run(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["-w", str(root), *args])
    return result.exit_code, result.output


def test_notebook_edit_import_summary(ws_root: Path, tmp_path: Path) -> None:
    code, out = _run(ws_root, "author", "notebook", "--out", str(tmp_path / "nb"), "--no-findings")
    assert code == 0 and "pregnancy-early.ja.ipynb" in out
    path = tmp_path / "nb" / "pregnancy-early.ja.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    next(c for c in nb.cells if c.get("id") == "p08w-hello").source = "CLIで修正"
    nbformat.write(nb, str(path))
    code, out = _run(ws_root, "author", "import", str(path))
    assert code == 0
    assert out.splitlines()[0] == "pregnancy-early.ja.ipynb: 1 applied, 0 conflicted, 0 refused, 1 unchanged"
    assert "applied" in out.splitlines()[1] and "p08w-hello (ja): changed" in out
    code, out = _run(ws_root, "author", "import", str(path))
    assert code == 0 and "0 applied" in out


def test_workbook_conflict_and_refusal_exit_1_and_list_them(ws_root: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "aoki.xlsx", tmp_path / "baba.xlsx"
    for who, path in (("aoki", a), ("baba", b)):
        code, out = _run(ws_root, "author", "workbook", "--by", who, "--out", str(path), "--no-findings")
        assert code == 0, out
    for path, text in ((a, "青木"), (b, "馬場")):
        book = openpyxl.load_workbook(path)
        sheet = book["確認"]
        row = next(r for r in range(2, sheet.max_row + 1)
                   if sheet.cell(row=r, column=1).value == "b00d-birth" and sheet.cell(row=r, column=4).value == "ja")
        sheet.cell(row=row, column=6).value = text
        sheet.cell(row=row, column=7).value = "承認"
        book.save(path)
    code, out = _run(ws_root, "author", "import", str(a), str(b))
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("aoki.xlsx: 2 applied, 0 conflicted, 0 refused, ")
    assert any(l.startswith("baba.xlsx: 0 applied, 1 conflicted, 1 refused") for l in lines)
    assert any("conflict" in l and "kept as a suggestion in suggestions/messages/b00d-birth.yaml" in l for l in lines)
    code, out = _run(ws_root, "author", "suggestions")
    assert code == 0 and "馬場" in out and "by baba" in out
    sid = out.split()[0]
    code, out = _run(ws_root, "author", "suggestions", "--drop", sid)
    assert code == 0 and not (ws_root / "suggestions" / "messages" / "b00d-birth.yaml").exists()


def test_town_and_translation_workbooks(ws_root: Path, tmp_path: Path) -> None:
    code, _ = _run(ws_root, "author", "workbook", "--town", "202029", "--out", str(tmp_path / "t.xlsx"), "--no-findings")
    assert code == 0 and "プロフィール" in openpyxl.load_workbook(tmp_path / "t.xlsx").sheetnames
    code, _ = _run(ws_root, "author", "workbook", "--locale", "en", "--out", str(tmp_path / "en.xlsx"), "--no-findings")
    assert code == 0
    code, out = _run(ws_root, "author", "workbook", "--out", str(tmp_path / "x.xlsx"))
    assert code == 2 and "--by REVIEWER" in out


def test_broken_file_exit_2_and_nothing_applied(ws_root: Path, tmp_path: Path) -> None:
    path = tmp_path / "aoki.xlsx"
    _run(ws_root, "author", "workbook", "--by", "aoki", "--out", str(path), "--no-findings")
    book = openpyxl.load_workbook(path)
    book["確認"]["F2"] = "編集"
    book["確認"]["A3"] = "tampered"
    book.save(path)
    before = load_workspace(ws_root).messages
    code, out = _run(ws_root, "author", "import", str(path))
    assert code == 2 and "sheet 確認, row 3, column A (メッセージID)" in out and "nothing was applied" in out
    assert load_workspace(ws_root).messages == before
    code, out = _run(ws_root, "author", "import", str(tmp_path / "notes.txt"))
    assert code == 2


def test_findings_shown_in_views(ws_root: Path, tmp_path: Path) -> None:
    """With the checks on, the workbook's findings column and the notebook's notes carry them."""
    code, _ = _run(ws_root, "author", "workbook", "--by", "aoki", "--out", str(tmp_path / "a.xlsx"))
    assert code == 0
    sheet = openpyxl.load_workbook(tmp_path / "a.xlsx")["確認"]
    findings = [sheet.cell(row=r, column=10).value or "" for r in range(2, sheet.max_row + 1)]
    assert any("translation/stale" in f for f in findings)  # p08w-hello's en text is stale
    code, _ = _run(ws_root, "author", "notebook", "--out", str(tmp_path / "nb"), "--locale", "en")
    assert code == 0
    assert "translation/stale" in (tmp_path / "nb" / "pregnancy-early.en.ipynb").read_text(encoding="utf-8")


def test_demo_step_writes_views_that_import_unchanged(sample_path: Path) -> None:
    from kizuna.commands.author import demo_step
    lines = demo_step(sample_path)
    assert lines[-1].startswith("edit them")
    made = sorted((sample_path / "out" / "authoring").rglob("*.*"))
    assert any(p.suffix == ".ipynb" for p in made) and any(p.suffix == ".xlsx" for p in made)
    code, out = _run(sample_path, "author", "import", *[str(p) for p in made])
    assert code == 0 and " 0 applied" in out


def test_import_reports_the_check_errors_it_brought_in(ws_root: Path, tmp_path: Path) -> None:
    """A town editor's block naming a profile field the town lacks is applied (nothing is lost)
    and the summary says at once that it is now a check error."""
    path = tmp_path / "town.xlsx"
    code, out = _run(ws_root, "author", "workbook", "--town", "202029", "--out", str(path), "--no-findings")
    assert code == 0, out
    book = openpyxl.load_workbook(path)
    sheet = book["地域ブロック"]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(row=r, column=2).value == "B0d")
    sheet.cell(row=row, column=6).value = "【松本市より】出生届は{{ town.contacts.fax }}へ。"
    book.save(path)
    code, out = _run(ws_root, "author", "import", str(path))
    assert code == 0, out
    assert out.splitlines()[0].startswith("town.xlsx: 1 applied")
    [note] = [line for line in out.splitlines() if "new check error" in line]
    assert "template/" in note and "B0d" in note and "town.contacts.fax" in note
    code, out = _run(ws_root, "author", "import", str(path))  # nothing applied: no checks, no notes
    assert code == 0 and "new check error" not in out


def test_broken_workbook_error_names_the_file_as_given(ws_root: Path, tmp_path: Path) -> None:
    path = tmp_path / "aoki.xlsx"
    _run(ws_root, "author", "workbook", "--by", "aoki", "--out", str(path), "--no-findings")
    book = openpyxl.load_workbook(path)
    book["確認"]["A3"] = "tampered"
    book.save(path)
    code, out = _run(ws_root, "author", "import", str(path))
    assert code == 2 and f"{path}: the workbook cannot be imported" in out


def test_a_broken_file_among_several_does_not_silently_skip_the_rest(ws_root: Path, tmp_path: Path) -> None:
    code, _ = _run(ws_root, "author", "notebook", "--out", str(tmp_path / "nb"), "--no-findings")
    early, newborn = tmp_path / "nb" / "pregnancy-early.ja.ipynb", tmp_path / "nb" / "newborn.ja.ipynb"
    for path, mid, text in ((early, "p08w-hello", "前の修正"), (newborn, "b00d-birth", "後の修正")):
        nb = nbformat.read(str(path), as_version=4)
        next(c for c in nb.cells if c.get("id") == mid).source = text
        nbformat.write(nb, str(path))
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json", encoding="utf-8")
    result = CliRunner().invoke(main, ["-w", str(ws_root), "author", "import", str(early), str(broken), str(newborn)])
    assert result.exit_code == 2
    assert "pregnancy-early.ja.ipynb: 1 applied" in result.output and "newborn.ja.ipynb: 1 applied" in result.output
    assert f"nothing was applied from 1 broken file(s): {broken}" in result.output
    ws = load_workspace(ws_root)
    assert ws.messages["p08w-hello"].text("ja") == "前の修正" and ws.messages["b00d-birth"].text("ja") == "後の修正"
