"""Workbooks: layout, safety, the merge of edits and decisions, and every kind of broken file."""
from __future__ import annotations

import json
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from kizuna.catalog import yamlio
from kizuna.catalog.workspace import Workspace, load_workspace
from kizuna.authoring.merge import Verdict
from kizuna.authoring.workbooks import BLOCKS, PROFILE, REVIEW, TRANSLATION, WorkbookError, import_workbook
from kizuna.authoring.workbooks import write_workbook as _write_workbook

NOW = datetime(2026, 4, 1, 9, 0, tzinfo=timezone.utc)


def write_workbook(ws: Workspace, out: Path, **kw: Any) -> Path:
    """Most tests need no findings (the checks have their own tests); one test below has them."""
    kw.setdefault("findings", False)
    return _write_workbook(ws, out, **kw)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".kizuna" not in p.relative_to(root).parts}  # .kizuna/: local state


def _col(layout: Any, key: str) -> int:
    return [c.key for c in layout.columns].index(key) + 1


def _row_of(sheet: Any, layout: Any, **match: str) -> int:
    for r in range(2, sheet.max_row + 1):
        if all(sheet.cell(row=r, column=_col(layout, k)).value == v for k, v in match.items()):
            return r
    raise AssertionError(f"no row {match}")


def _edit(path: Path, sheet_name: str, layout: Any, match: dict[str, str], **values: Any) -> int:
    book = openpyxl.load_workbook(path)
    sheet = book[sheet_name]
    row = _row_of(sheet, layout, **match)
    for key, value in values.items():
        sheet.cell(row=row, column=_col(layout, key)).value = value
    book.save(path)
    return row


def _decisions(root: Path) -> list[dict[str, Any]]:
    log = root / "decisions.jsonl"
    return [json.loads(x) for x in log.read_text(encoding="utf-8").splitlines() if x.strip()] if log.exists() else []


# --- layout -----------------------------------------------------------------------------------------
def test_review_workbook_layout(ws: Workspace, tmp_path: Path) -> None:
    path = write_workbook(ws, tmp_path / "aoki.xlsx", reviewer="aoki")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["使い方", "確認", "地域ブロック", "_kizuna"] or book.sheetnames == ["使い方", "確認", "_kizuna"]
    sheet = book["確認"]
    assert [c.value for c in sheet[1]] == [c.header for c in REVIEW.columns]
    assert sheet.freeze_panes == "B2"
    assert sheet.protection.sheet and not sheet.protection.password
    assert book["_kizuna"].sheet_state == "hidden"
    hidden = {c.key for c in REVIEW.columns if sheet.column_dimensions[openpyxl.utils.get_column_letter(_col(REVIEW, c.key))].hidden}
    assert hidden == {"base_hash", "seal"}
    row = _row_of(sheet, REVIEW, id="p08w-hello", locale="ja")
    assert sheet.cell(row=row, column=_col(REVIEW, "base")).protection.locked
    assert sheet.cell(row=row, column=_col(REVIEW, "id")).protection.locked
    for key in ("text", "decision", "comment"):
        assert not sheet.cell(row=row, column=_col(REVIEW, key)).protection.locked
    assert sheet.cell(row=row, column=_col(REVIEW, "base_hash")).value == ws.messages["p08w-hello"].content_hash("ja")
    [dv] = sheet.data_validations.dataValidation
    assert dv.formula1 == '"承認,修正依頼,コメント"' and dv.type == "list"
    rules = [r for cf in sheet.conditional_formatting for r in cf.rules]
    assert rules and "LEN(F2)>70" in rules[0].formula[0]  # the town sends SMS


def test_town_workbook_has_profile_blocks_and_preview(ws: Workspace, tmp_path: Path) -> None:
    path = write_workbook(ws, tmp_path / "town.xlsx", town="202029")
    book = openpyxl.load_workbook(path)
    assert {"プロフィール", "地域ブロック", "プレビュー"} <= set(book.sheetnames)
    profile = book["プロフィール"]
    fields = [profile.cell(row=r, column=1).value for r in range(2, profile.max_row + 1)]
    assert fields == ["contacts.desk", "contacts.phone", "contacts.hours", "contacts.url",
                      "services.consultation", "send_time"]
    blocks = book["地域ブロック"]
    assert _row_of(blocks, BLOCKS, stage="P8w", locale="en")
    empty = blocks.max_row  # the unlocked rows for new blocks
    assert not blocks.cell(row=empty, column=_col(BLOCKS, "stage")).protection.locked
    assert blocks.cell(row=empty, column=_col(BLOCKS, "base")).protection.locked
    preview = book["プレビュー"]
    texts = [preview.cell(row=r, column=4).value for r in range(2, preview.max_row + 1)]
    assert any("松本市の案内" in t for t in texts)  # rendered with the town's profile
    assert any("【松本市より】出生届" in t for t in texts)  # with the town block
    assert book["_kizuna"]["B1"].value == "kizuna-workbook"


def test_translation_workbook_has_source_and_target(ws: Workspace, tmp_path: Path) -> None:
    path = write_workbook(ws, tmp_path / "en.xlsx", locale="en")
    sheet = openpyxl.load_workbook(path)["翻訳"]
    row = _row_of(sheet, TRANSLATION, id="p08w-hello")
    assert sheet.cell(row=row, column=_col(TRANSLATION, "source")).value.startswith("妊娠8週")
    assert sheet.cell(row=row, column=_col(TRANSLATION, "base")).value == "You are 8 weeks pregnant."
    assert sheet.cell(row=row, column=_col(TRANSLATION, "state")).value == "原文が更新されています"
    row = _row_of(sheet, TRANSLATION, id="b00d-birth")
    assert sheet.cell(row=row, column=_col(TRANSLATION, "state")).value == "未翻訳"
    with pytest.raises(WorkbookError, match="not a translation locale"):
        write_workbook(ws, tmp_path / "ja.xlsx", locale="ja")


def test_formula_like_text_is_stored_as_text(ws_root: Path, tmp_path: Path, reload: Callable[[], Workspace]) -> None:
    ws = reload()
    for mid, text in (("p08w-hello", "=HYPERLINK(\"http://x\")"), ("b00d-birth", "@SUM(A1)")):
        ws.save_message(ws.messages[mid].with_text("ja", text))
    path = write_workbook(reload(), tmp_path / "aoki.xlsx", reviewer="aoki")
    sheet = openpyxl.load_workbook(path)["確認"]
    row = _row_of(sheet, REVIEW, id="p08w-hello", locale="ja")
    for key in ("base", "text"):
        cell = sheet.cell(row=row, column=_col(REVIEW, key))
        assert cell.data_type == "s" and cell.quotePrefix and cell.value.startswith("=HYPERLINK")
    before = _files(ws_root)
    assert import_workbook(reload(), path).counts["applied"] == 0
    assert _files(ws_root) == before


def test_control_characters_are_refused_on_write(ws_root: Path, tmp_path: Path, reload: Callable[[], Workspace]) -> None:
    ws = reload()
    ws.save_message(ws.messages["p08w-hello"].with_text("ja", "ベル\x07"))
    with pytest.raises(WorkbookError, match=r"message p08w-hello \(ja\) contains control character\(s\) U\+0007"):
        write_workbook(reload(), tmp_path / "aoki.xlsx", reviewer="aoki")


def test_control_characters_in_a_cell_are_removed_with_a_note(ws: Workspace, tmp_path: Path,
                                                              reload: Callable[[], Workspace]) -> None:
    path = write_workbook(ws, tmp_path / "aoki.xlsx", reviewer="aoki")
    # openpyxl refuses to write control characters, so put one in the raw XML the way another tool might
    _edit(path, "確認", REVIEW, {"id": "p08w-hello", "locale": "ja"}, text="XXBELLXX")
    _patch_xml(path, "XXBELLXX", "ベル_x001B_付き")
    report = import_workbook(reload(), path)
    assert reload().messages["p08w-hello"].text("ja") == "ベル付き"
    assert any("U+001B" in n for n in report.notes)


def _patch_xml(path: Path, old: str, new: str) -> None:
    import zipfile
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.endswith(".xml"):
                data = data.replace(old.encode(), new.encode())
            dst.writestr(item, data)
    tmp.replace(path)


# --- merge ------------------------------------------------------------------------------------------
def test_unchanged_workbooks_import_nothing(ws_root: Path, ws: Workspace, tmp_path: Path, reload: Any) -> None:
    before = _files(ws_root)
    for kw in ({"reviewer": "aoki"}, {"town": "202029"}, {"locale": "en"}, {"reviewer": "endo"}):
        path = write_workbook(ws, tmp_path / "x.xlsx", **kw)
        report = import_workbook(reload(), path)
        assert report.counts["applied"] == report.counts["conflict"] == report.counts["refused"] == 0
    assert _files(ws_root) == before


def test_edit_and_approve_then_reimport_changes_nothing_more(ws_root: Path, ws: Workspace, tmp_path: Path,
                                                             reload: Callable[[], Workspace]) -> None:
    path = write_workbook(ws, tmp_path / "aoki.xlsx", reviewer="aoki")
    _edit(path, "確認", REVIEW, {"id": "p08w-hello", "locale": "ja"}, text="妊娠8週です。無理をしないでくださいね。",
          decision="承認")
    _edit(path, "確認", REVIEW, {"id": "b00d-birth", "locale": "ja"}, decision="修正依頼", comment="もう少し温かく")
    report = import_workbook(reload(), path, now=NOW)
    assert report.counts == {"applied": 3, "conflict": 0, "refused": 0, "unchanged": report.counts["unchanged"]}
    now = reload()
    assert now.messages["p08w-hello"].text("ja") == "妊娠8週です。無理をしないでくださいね。"
    log = _decisions(ws_root)
    assert [(d["message"], d["decision"], d["reviewer"]) for d in log] == [
        ("p08w-hello", "approve", "aoki"), ("b00d-birth", "changes", "aoki")]
    assert log[0]["hash"] == now.messages["p08w-hello"].content_hash("ja")  # bound to the edited text
    before = _files(ws_root)
    again = import_workbook(reload(), path, now=NOW)
    assert again.counts["applied"] == 0 and again.counts["conflict"] == 0
    assert _files(ws_root) == before  # no second log entry either


def test_an_applied_edit_makes_earlier_approvals_stale(ws: Workspace, tmp_path: Path,
                                                       reload: Callable[[], Workspace]) -> None:
    from kizuna.review.signoff import item_status, record_decision
    record_decision(ws, message_id="p08w-hello", locale="ja", reviewer="baba", decision="approve", now=NOW)
    record_decision(ws, message_id="p08w-hello", locale="ja", reviewer="doi", decision="approve", now=NOW)
    assert item_status(reload(), "p08w-hello", "ja", now=NOW).state == "approved"
    path = write_workbook(reload(), tmp_path / "en.xlsx", locale="en", reviewer="aoki")
    _edit(path, "翻訳", TRANSLATION, {"id": "p08w-hello"}, text="Week 8.")  # another locale: still approved
    import_workbook(reload(), path)
    assert item_status(reload(), "p08w-hello", "ja", now=NOW).state == "approved"
    path = write_workbook(reload(), tmp_path / "town.xlsx", town="202029")
    _edit(path, "プロフィール", PROFILE, {"field": "contacts.phone"}, text="0263-00-0000")
    import_workbook(reload(), path)
    assert item_status(reload(), "p08w-hello", "ja", now=NOW).state == "approved"
    # the text itself, through a notebook (the same merge)
    from kizuna.authoring.notebooks import import_notebook, write_notebooks
    import nbformat
    [nbp] = write_notebooks(reload(), tmp_path / "nb", only=["pregnancy-early"], findings=False)
    nb = nbformat.read(str(nbp), as_version=4)
    next(c for c in nb.cells if c.get("id") == "p08w-hello").source = "変更しました。"
    nbformat.write(nb, str(nbp))
    import_notebook(reload(), nbp)
    assert item_status(reload(), "p08w-hello", "ja", now=NOW).state == "stale"


def test_two_reviewers_edit_the_same_message(ws_root: Path, ws: Workspace, tmp_path: Path,
                                             reload: Callable[[], Workspace]) -> None:
    first = write_workbook(ws, tmp_path / "aoki.xlsx", reviewer="aoki")
    second = write_workbook(ws, tmp_path / "baba.xlsx", reviewer="baba")
    _edit(first, "確認", REVIEW, {"id": "b00d-birth", "locale": "ja"}, text="青木の修正", decision="承認")
    _edit(second, "確認", REVIEW, {"id": "b00d-birth", "locale": "ja"}, text="馬場の修正", decision="承認",
          comment="こちらの方が短い")
    r1 = import_workbook(reload(), first, now=NOW)
    r2 = import_workbook(reload(), second, now=NOW)
    assert r1.counts["applied"] == 2 and r1.counts["conflict"] == 0
    assert r2.counts["conflict"] == 1 and r2.counts["refused"] == 1 and r2.counts["applied"] == 0
    assert reload().messages["b00d-birth"].text("ja") == "青木の修正"  # never overwritten
    [kept] = yamlio.read(ws_root / "suggestions" / "messages" / "b00d-birth.yaml")["suggestions"]
    assert kept["text"] == "馬場の修正" and kept["by"] == "baba" and "row" in kept["from"]  # never dropped
    assert [d["reviewer"] for d in _decisions(ws_root)] == ["aoki"]  # baba never saw aoki's text
    # the next workbook shows the suggestion next to the current text
    third = write_workbook(reload(), tmp_path / "doi.xlsx", reviewer="doi")
    sheet = openpyxl.load_workbook(third)["確認"]
    row = _row_of(sheet, REVIEW, id="b00d-birth", locale="ja")
    assert "馬場の修正" in sheet.cell(row=row, column=_col(REVIEW, "pending")).value
    # re-importing the conflicting workbook keeps one suggestion, logs nothing
    before = _files(ws_root)
    import_workbook(reload(), second, now=NOW)
    assert _files(ws_root) == before


def test_decision_on_a_text_changed_meanwhile_is_refused(ws_root: Path, ws: Workspace, tmp_path: Path,
                                                         reload: Callable[[], Workspace]) -> None:
    path = write_workbook(ws, tmp_path / "aoki.xlsx", reviewer="aoki")
    _edit(path, "確認", REVIEW, {"id": "b00d-birth", "locale": "ja"}, decision="承認")
    other = reload()
    other.save_message(other.messages["b00d-birth"].with_text("ja", "別の文"))
    report = import_workbook(reload(), path, now=NOW)
    assert report.counts["refused"] == 1 and _decisions(ws_root) == []


def test_refused_decisions_do_not_stop_the_others(ws_root: Path, ws: Workspace, tmp_path: Path,
                                                  reload: Callable[[], Workspace]) -> None:
    """The town editor's own blocks are theirs to approve; national messages are not."""
    path = write_workbook(ws, tmp_path / "endo.xlsx", town="202029")
    book = openpyxl.load_workbook(path)
    assert book["_kizuna"]["B4"].value == "endo"  # the town's only editor holds it
    _edit(path, "地域ブロック", BLOCKS, {"stage": "B0d", "locale": "ja"}, decision="承認")
    report = import_workbook(reload(), path, now=NOW)
    assert report.counts["applied"] == 1
    assert _decisions(ws_root)[0]["message"] == "town:202029:B0d"
    # a national message in a (hand-made) reviewer workbook for the town editor
    other = write_workbook(reload(), tmp_path / "x.xlsx", reviewer="doi")
    _edit(other, "確認", REVIEW, {"id": "b00d-birth", "locale": "ja"}, decision="承認")
    _edit(other, "確認", REVIEW, {"id": "p08w-hello", "locale": "ja"}, decision="コメント", comment="良いと思います")
    report = import_workbook(reload(), other, now=NOW)
    assert report.counts["applied"] == 2  # doi is an obstetrician: the default policy needs one


def test_refused_decision_is_reported(ws_root: Path, ws: Workspace, tmp_path: Path,
                                      reload: Callable[[], Workspace]) -> None:
    path = write_workbook(ws, tmp_path / "en.xlsx", locale="en", reviewer="endo")
    _edit(path, "翻訳", TRANSLATION, {"id": "p08w-hello"}, decision="承認")
    _edit(path, "翻訳", TRANSLATION, {"id": "b00d-birth"}, text="Congratulations!")
    report = import_workbook(reload(), path, now=NOW)
    assert report.counts["refused"] == 1 and report.counts["applied"] == 1
    [line] = report.of(Verdict.REFUSED)
    assert "may not approve" in line.what and "row" in line.where
    m = reload().messages["b00d-birth"]
    assert m.text("en") == "Congratulations!" and not m.is_stale_translation("en", "ja")


def test_translation_of_an_old_source_records_the_old_source(ws: Workspace, tmp_path: Path,
                                                             reload: Callable[[], Workspace]) -> None:
    path = write_workbook(ws, tmp_path / "en.xlsx", locale="en")
    _edit(path, "翻訳", TRANSLATION, {"id": "b00d-birth"}, text="Congratulations!")
    other = reload()
    other.save_message(other.messages["b00d-birth"].with_text("ja", "ご出産、本当におめでとうございます。"))
    import_workbook(reload(), path)
    m = reload().messages["b00d-birth"]
    assert m.text("en") == "Congratulations!" and m.is_stale_translation("en", "ja")


def test_town_workbook_profile_and_blocks(ws_root: Path, ws: Workspace, tmp_path: Path,
                                          reload: Callable[[], Workspace]) -> None:
    path = write_workbook(ws, tmp_path / "town.xlsx", town="202029")
    _edit(path, "プロフィール", PROFILE, {"field": "contacts.phone"}, text="0263-00-0000")
    _edit(path, "プロフィール", PROFILE, {"field": "contacts.url"}, text="https://matsumoto.example.jp/")
    _edit(path, "地域ブロック", BLOCKS, {"stage": "P8w", "locale": "en"}, text=None)  # delete one block
    book = openpyxl.load_workbook(path)
    sheet = book["地域ブロック"]
    free = sheet.max_row
    for key, value in (("stage", "B1m"), ("locale", "ja"), ("text", "【松本市より】1か月健診のご案内です。")):
        sheet.cell(row=free, column=_col(BLOCKS, key)).value = value
    book.save(path)
    report = import_workbook(reload(), path, now=NOW)
    assert report.counts["applied"] == 4, report.render()
    town = reload().towns["202029"]
    assert town.contacts["phone"] == "0263-00-0000" and town.contacts["url"] == "https://matsumoto.example.jp/"
    from kizuna.catalog.stages import Stage
    assert town.blocks[Stage.parse("P8w")] == {"ja": "【松本市より】母子手帳は市役所で受け取れます。"}
    assert town.blocks[Stage.parse("B1m")] == {"ja": "【松本市より】1か月健診のご案内です。"}
    before = _files(ws_root)
    assert import_workbook(reload(), path, now=NOW).counts["applied"] == 0
    assert _files(ws_root) == before


def test_invalid_profile_value_is_refused_not_written(ws_root: Path, ws: Workspace, tmp_path: Path,
                                                      reload: Callable[[], Workspace]) -> None:
    path = write_workbook(ws, tmp_path / "town.xlsx", town="202029")
    _edit(path, "プロフィール", PROFILE, {"field": "send_time"}, text="朝8時")
    _edit(path, "プロフィール", PROFILE, {"field": "contacts.hours"}, text="平日 9:00〜17:00")
    report = import_workbook(reload(), path)
    assert report.counts["refused"] == 1 and report.counts["applied"] == 1
    assert reload().towns["202029"].send_time == "08:00"


def test_local_message_edits_go_to_the_town_file(tmp_path: Path, build: Any) -> None:
    root = build(tmp_path / "ws2")
    data = yamlio.read(root / "towns" / "202029.yaml")
    data["local_messages"] = [{"id": "matsumoto-b3d", "stage": "B3d", "texts": {"ja": {"text": "松本市の地域メッセージ"}}}]
    yamlio.write(root / "towns" / "202029.yaml", data)
    ws = load_workspace(root)
    path = write_workbook(ws, tmp_path / "aoki.xlsx", reviewer="aoki")
    _edit(path, "確認", REVIEW, {"id": "matsumoto-b3d", "locale": "ja"}, text="松本市からのお知らせ")
    report = import_workbook(load_workspace(root), path)
    assert report.counts["applied"] == 1
    assert load_workspace(root).towns["202029"].local_messages[0].text("ja") == "松本市からのお知らせ"


# --- broken workbooks: sheet, row and column; nothing applied -----------------------------------------
def _good_edit(path: Path) -> None:
    _edit(path, "確認", REVIEW, {"id": "p08w-hello", "locale": "ja"}, text="この編集は適用されない", decision="承認")


def _mutate(path: Path, fn: Callable[[Any], None]) -> None:
    book = openpyxl.load_workbook(path)
    fn(book)
    book.save(path)


def _id_cell(book: Any, key: str, match: str = "b00d-birth") -> Any:
    sheet = book["確認"]
    return sheet.cell(row=_row_of(sheet, REVIEW, id=match, locale="ja"), column=_col(REVIEW, key))


def _set(key: str, value: Any, match: str = "b00d-birth") -> Callable[[Any], None]:
    def fn(book: Any) -> None:
        _id_cell(book, key, match).value = value
    return fn


BROKEN: list[tuple[str, Callable[[Any], None], str]] = [
    ("missing sheet", lambda b: b.remove(b["確認"]), r"sheet 確認: the sheet is missing"),
    ("missing column", lambda b: b["確認"].delete_cols(_col(REVIEW, "comment")), r"sheet 確認, row 1: column 'コメント' is missing"),
    ("renamed header", lambda b: setattr(b["確認"].cell(row=1, column=_col(REVIEW, "text")), "value", "本文"), r"column '修正後の本文' is missing"),
    ("edited id", _set("id", "p12w-checkup"), r"sheet 確認, row \d+, column A \(メッセージID\): a locked cell was edited"),
    ("edited base text", _set("base", "ちがう本文"), r"column E \(現在の本文\): a locked cell was edited"),
    ("edited stage", _set("stage", "B1d"), r"column B \(段階\): a locked cell was edited"),
    ("edited base hash", _set("base_hash", "f" * 16), r"column L \(基準ハッシュ\): a locked cell was edited"),
    ("edited seal", _set("seal", "xyz"), r"column M \(照合\): the hidden seal column was edited"),
    ("number in text", _set("text", 12345), r"column F \(修正後の本文\): holds a number \(12345\), not text"),
    ("date in comment", _set("comment", datetime(2026, 1, 2)), r"column H \(コメント\): holds a date or time"),
    ("formula in text", _set("text", "=1+1"), r"column F \(修正後の本文\): holds a formula"),
    ("bool in decision", _set("decision", True), r"column G \(判定\): holds a true/false value"),
    ("unknown decision", _set("decision", "OK"), r"column G \(判定\): 'OK' is not a decision"),
    ("merged cells", lambda b: b["確認"].merge_cells("H2:I3"), r"sheet 確認, row 2, column H: merged cells H2:I3"),
    ("added row", lambda b: b["確認"].append(["new-one", "P9w", "", "ja", "", "新しい"]), r"sheet 確認, row \d+: rows cannot be added to this sheet"),
    ("duplicated row", lambda b: b["確認"].append([c.value for c in b["確認"][2]]), r"the same item as row 2"),
    ("edited settings", lambda b: setattr(b["_kizuna"]["B4"], "value", "doi"), r"sheet _kizuna.*the hidden sheet _kizuna was edited"),
    ("no settings", lambda b: b.remove(b["_kizuna"]), r"not a kizuna workbook"),
]


@pytest.mark.parametrize("name, fn, match", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_workbook_applies_nothing(ws_root: Path, ws: Workspace, tmp_path: Path, name: str,
                                         fn: Callable[[Any], None], match: str) -> None:
    path = write_workbook(ws, tmp_path / "aoki.xlsx", reviewer="aoki")
    _good_edit(path)
    _mutate(path, fn)
    before = _files(ws_root)
    with pytest.raises(WorkbookError, match=match):
        import_workbook(load_workspace(ws_root), path)
    assert _files(ws_root) == before


def test_broken_new_block_rows(ws_root: Path, ws: Workspace, tmp_path: Path) -> None:
    path = write_workbook(ws, tmp_path / "town.xlsx", town="202029")
    book = openpyxl.load_workbook(path)
    sheet = book["地域ブロック"]
    free = sheet.max_row
    sheet.cell(row=free, column=_col(BLOCKS, "stage")).value = "生後1か月"
    sheet.cell(row=free, column=_col(BLOCKS, "locale")).value = "fr"
    sheet.cell(row=free, column=_col(BLOCKS, "text")).value = "x"
    book.save(path)
    before = _files(ws_root)
    with pytest.raises(WorkbookError) as err:
        import_workbook(load_workspace(ws_root), path)
    assert f"row {free}, column B (段階)" in str(err.value) and f"row {free}, column D (言語)" in str(err.value)
    assert _files(ws_root) == before


def test_not_a_workbook(ws_root: Path, tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"PK not really")
    with pytest.raises(WorkbookError, match="not an Excel workbook"):
        import_workbook(load_workspace(ws_root), path)


# --- round trip identity (hypothesis) ---------------------------------------------------------------
texts = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r\x85\u2028\u2029"),
                min_size=1, max_size=60).filter(lambda s: s.strip())
stages = st.sampled_from(["P4w", "P12w3d", "P41w6d", "B0d", "B13d", "B2m", "B1y6m"])


@st.composite
def catalogs(draw: Any) -> list[dict[str, Any]]:
    out = []
    for i in range(draw(st.integers(1, 5))):
        body = draw(st.one_of(texts, st.sampled_from(["=1+1", "+81 3", "-", "@x", " 先頭と末尾 \n\n", "0123"])))
        entry: dict[str, Any] = {"id": f"m{i}", "stage": draw(stages), "texts": {"ja": {"text": body}}}
        if draw(st.booleans()):
            entry["texts"]["en"] = {"text": draw(texts)}
        out.append(entry)
    return out


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages=catalogs(), block=texts)
def test_round_trip_identity(messages: list[dict[str, Any]], block: str, build: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        town = json.loads(json.dumps(_town()))
        town["blocks"]["B1d"] = block
        root = build(Path(tmp) / "ws", messages=messages, towns=[town])
        ws = load_workspace(root)
        before = _files(root)
        for kw in ({"reviewer": "aoki"}, {"town": "202029"}, {"locale": "en"}):
            path = write_workbook(ws, Path(tmp) / "w.xlsx", **kw)
            report = import_workbook(load_workspace(root), path)
            assert {line.verdict for line in report.lines} <= {Verdict.UNCHANGED}, report.render()
            assert report.notes == []
        assert _files(root) == before


def _town() -> dict[str, Any]:
    return {
        "code": "202029", "name": "松本市", "prefecture": "長野県",
        "contacts": {"desk": "=窓口", "phone": "000-0000-0001"}, "send_time": "08:00",
        "channels": ["sms"], "locales": ["ja", "en"], "end_age": "1y", "blocks": {},
    }


# --- hardening: what reviewers and town editors ran into ---------------------------------------------
def test_comment_control_characters_are_cleaned_like_texts(ws_root: Path, ws: Workspace, tmp_path: Path,
                                                           reload: Callable[[], Workspace]) -> None:
    """Excel writes a control character as ``_x0007_``; in a comment it is removed (with a note),
    not logged as the escape."""
    path = write_workbook(ws, tmp_path / "aoki.xlsx", reviewer="aoki")
    _edit(path, "確認", REVIEW, {"id": "b00d-birth", "locale": "ja"}, decision="コメント", comment="ベル_x0007_付き ")
    report = import_workbook(reload(), path, now=NOW)
    assert [d["comment"] for d in _decisions(ws_root)] == ["ベル付き"]
    assert any("column H (コメント): removed control characters U+0007" in n for n in report.notes)


def test_decision_racing_a_change_on_disk_is_refused(ws_root: Path, ws: Workspace, tmp_path: Path,
                                                     reload: Callable[[], Workspace]) -> None:
    """The workspace was loaded, then someone saved a new text: a decision on the old text is not
    recorded (it is checked against the file on disk, not the copy in memory)."""
    path = write_workbook(ws, tmp_path / "aoki.xlsx", reviewer="aoki")
    _edit(path, "確認", REVIEW, {"id": "b00d-birth", "locale": "ja"}, decision="承認")
    loaded = reload()
    later = reload()
    later.save_message(later.messages["b00d-birth"].with_text("ja", "別の人の修正"))
    report = import_workbook(loaded, path, now=NOW)
    assert report.counts["refused"] == 1 and report.counts["applied"] == 0, report.render()
    assert _decisions(ws_root) == []


def test_refused_decision_says_what_the_comment_was(ws_root: Path, ws: Workspace, tmp_path: Path,
                                                    reload: Callable[[], Workspace]) -> None:
    path = write_workbook(ws, tmp_path / "en.xlsx", locale="en", reviewer="aoki")
    _edit(path, "翻訳", TRANSLATION, {"id": "b00d-birth"}, comment="あとで訳します")  # not translated yet
    [line] = import_workbook(reload(), path, now=NOW).of(Verdict.REFUSED)
    assert "「あとで訳します」" in line.what and "there is no en text to decide on yet" in line.what


def test_emptied_block_in_a_review_workbook_is_refused_not_deleted(tmp_path: Path, build: Any) -> None:
    """Only a town's own workbook deletes a block by emptying its cell."""
    root = build(tmp_path / "ws")
    cfg = yamlio.read(root / "kizuna.yaml")
    cfg["review"]["town"] = {"editor": 1}
    yamlio.write(root / "kizuna.yaml", cfg)
    path = write_workbook(load_workspace(root), tmp_path / "aoki.xlsx", reviewer="aoki")
    _edit(path, "地域ブロック", BLOCKS, {"stage": "B0d", "locale": "ja"}, text=None)
    report = import_workbook(load_workspace(root), path)
    [line] = report.of(Verdict.REFUSED)
    assert "block is empty" in line.what and report.counts["applied"] == 0
    from kizuna.catalog.stages import Stage
    assert Stage.parse("B0d") in load_workspace(root).towns["202029"].blocks


def test_a_town_editor_holds_only_their_own_towns_workbook(ws_root: Path, tmp_path: Path) -> None:
    other = yamlio.read(ws_root / "towns" / "202029.yaml")
    other.update(code="131121", name="世田谷区", prefecture="東京都", blocks={})
    yamlio.write(ws_root / "towns" / "131121.yaml", other)
    roster = yamlio.read(ws_root / "roster.yaml")
    roster["reviewers"].append({"id": "fujii", "name": "藤井 町職員", "roles": ["town_editor"], "towns": ["131121"]})
    yamlio.write(ws_root / "roster.yaml", roster)
    with pytest.raises(WorkbookError, match=r"edits town\(s\) 131121 only, not town 202029"):
        write_workbook(load_workspace(ws_root), tmp_path / "x.xlsx", town="202029", reviewer="fujii")
    # a workbook made while endo edited 202029 is refused once the roster moved endo elsewhere
    path = write_workbook(load_workspace(ws_root), tmp_path / "endo.xlsx", town="202029")
    _edit(path, "プロフィール", PROFILE, {"field": "contacts.phone"}, text="0263-00-0000")
    roster["reviewers"][3]["towns"] = ["131121"]
    yamlio.write(ws_root / "roster.yaml", roster)
    before = _files(ws_root)
    with pytest.raises(WorkbookError, match=r"never touches another town"):
        import_workbook(load_workspace(ws_root), path)
    assert _files(ws_root) == before


def test_a_text_with_a_tab_round_trips_and_a_pasted_tab_is_cleaned(tmp_path: Path, build: Any, files_of: Any) -> None:
    root = build(tmp_path / "ws", messages=[
        {"id": "p08w-tab", "stage": "P8w", "texts": {"ja": {"text": "タブ\tあり"}}},
        {"id": "p09w-plain", "stage": "P9w", "texts": {"ja": {"text": "一行目\n二行目"}}}])
    path = write_workbook(load_workspace(root), tmp_path / "aoki.xlsx", reviewer="aoki")
    before = files_of(root)
    assert import_workbook(load_workspace(root), path).counts["applied"] == 0  # untouched: no edit
    assert files_of(root) == before
    _edit(path, "確認", REVIEW, {"id": "p09w-plain", "locale": "ja"}, text="\ufeff一行目\n二行目\tです")
    report = import_workbook(load_workspace(root), path)
    assert report.counts["applied"] == 1
    assert any("replaced TAB by a space; removed U+FEFF" in n for n in report.notes)
    assert "text: |-\n      一行目\n      二行目 です\n" in (root / "messages" / "p09w-plain.yaml").read_text(encoding="utf-8")
