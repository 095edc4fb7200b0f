"""The loop back: answers linked to messages enter the re-review queue, shown in review queue and packets."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kizuna.catalog.workspace import load_workspace
from kizuna.cli import main
from kizuna.review.packet import build_notebook, packet_keys
from kizuna.surveys.loop import link_evidence, mask, read_tags, rereview_queue
from kizuna.surveys.responses import ResponseImportError, import_responses, load_responses

from .conftest import write_csv

HEAD = ["タイムスタンプ", "メッセージは読みやすい", "メッセージについて、よかったこと・わかりにくかったことを自由にお書きください",
        "自治体コード（自動入力）", "配信時期（自動入力）", "案内メッセージ（自動入力）"]


def responses(ws, surveys, tmp_path: Path, rows: list[list[str]]) -> None:
    import_responses(ws, surveys, write_csv(tmp_path / "r.csv", [HEAD, *rows]))


def test_links_by_invitation_message_stage_window_and_tag(ws, surveys, tmp_path: Path) -> None:
    responses(ws, surveys, tmp_path, [
        # a feedback link sent with b04m-hand-regard: low score, linked by the message id
        ["2025/07/01 9:00:00", "1", "", "202029", "B4m7d", "b04m-hand-regard"],
        # the survey invitation itself is never the subject; the text speaks of weaning food (nutrition) at B1y7d
        ["2025/07/02 9:00:00", "4", "離乳食が進まなくて困っています。", "202029", "B1y7d", "survey-b1y-invitation"],
        # high score, no text: no evidence
        ["2025/07/03 9:00:00", "5", "", "202029", "B4m7d", ""],
    ])
    found = link_evidence(ws, surveys, load_responses(ws.root))
    assert found["b04m-hand-regard"].how == {"invitation"} and found["b04m-hand-regard"].low == {"easy-to-read": 1}
    food = sorted(m for m, ev in found.items() if ev.how == {"window"})
    assert food == ["b09m15d-honey", "b11m-finger-food"]  # nutrition, in the 90 days before B1y7d
    assert found["b11m-finger-food"].themes == {"feeding": 1} and not found["b11m-finger-food"].low
    assert "survey-b1y-invitation" not in found and "b1y01m-toddler-food" not in found  # sent after the invitation
    # a reviewer tags the quiet response to a message by hand
    tags = tmp_path / "tags.csv"
    high = load_responses(ws.root).query("`easy-to-read` == 5")["response"].iloc[0]
    write_csv(tags, [["response", "message", "note"], [high, "b00d-congratulations", "読者が名前を挙げた"]])
    CliRunner().invoke(main, ["-w", str(ws.root), "survey", "import", "--tags", str(tags)], catch_exceptions=False)
    found = rereview_queue(load_workspace(ws.root))
    assert found["b00d-congratulations"].how == {"tag"} and high in found["b00d-congratulations"].responses


def test_queue_and_packet_show_the_readers_evidence(ws, surveys, tmp_path: Path) -> None:
    responses(ws, surveys, tmp_path, [["2025/07/01 9:00:00", "1", "わかりにくかったです。連絡は 090-1234-5678 まで",
                                       "202029", "B4m7d", "b04m-hand-regard"]])
    result = CliRunner().invoke(main, ["-w", str(ws.root), "review", "queue", "--by", "takahashi"])
    assert result.exit_code == 0, result.output
    assert "to re-review from readers' evidence" in result.output
    assert "b04m-hand-regard" in result.output.split("re-review")[1]
    assert "［番号］" in result.output and "090-1234-5678" not in result.output
    fresh = load_workspace(ws.root)
    keys = packet_keys(fresh, reviewer=fresh.reviewers["takahashi"])
    assert ("b04m-hand-regard", "ja") in keys
    nb = build_notebook(fresh, [("b04m-hand-regard", "ja")])
    assert "読者アンケートからの再確認" in nb.cells[1].source and "低い評価：easy-to-read 1件" in nb.cells[1].source


def test_mask_and_bad_tags(ws, tmp_path: Path) -> None:
    assert mask("mail me: a.b@example.jp or 03-1234-5678") == "mail me: ［メール］ or ［番号］"
    tags = write_csv(tmp_path / "t.csv", [["response", "message"], ["zzz", "no-such-message"]])
    with pytest.raises(ResponseImportError) as info:
        read_tags(tags, ws)
    assert info.value.problems == ["row 2, column 'response': 'zzz' is not a response pseudonym",
                                   "row 2, column 'message': no message 'no-such-message' in this workspace"]


def test_a_reviewer_tags_answers_in_the_tag_sheet(ws, surveys, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    responses(ws, surveys, tmp_path, [
        ["2025/07/01 9:00:00", "5", "はじめの日のメッセージに励まされました。a@example.jp", "202029", "B4m7d", ""],
        ["2025/07/02 9:00:00", "5", "", "202029", "B4m7d", ""]])
    sheet = ws.root / ".kizuna" / "surveys" / "tag-sheet.xlsx"
    result = CliRunner().invoke(main, ["-w", str(ws.root), "survey", "summary", "--tag-sheet", str(sheet)])
    assert result.exit_code == 0, result.output
    wb = load_workbook(sheet)
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("response", "message", "note") and len(rows) == 2  # only answers with free text
    assert "［メール］" in rows[1][6] and "a@example.jp" not in rows[1][6]
    wb.active["B2"] = "b00d-congratulations"
    wb.save(sheet)
    result = CliRunner().invoke(main, ["-w", str(ws.root), "survey", "import", "--tags", str(sheet)])
    assert result.exit_code == 0, result.output
    found = rereview_queue(load_workspace(ws.root))
    assert found["b00d-congratulations"].how == {"tag"}
    refused = CliRunner().invoke(main, ["-w", str(ws.root), "survey", "summary", "--tag-sheet",
                                        str(ws.root / "tags.xlsx")])
    assert refused.exit_code == 2 and "out of version control" in refused.output
