"""Review packets: a validated review notebook, exported by the ``kizuna-review`` exporter."""
from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import nbformat
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner
from nbconvert.exporters import get_exporter

from kizuna.catalog.workspace import load_workspace
from kizuna.cli import main
from kizuna.review.packet import build_notebook, diff_html, export_html, write_packet
from kizuna.review.packet_exporter import KizunaReviewExporter
from kizuna.review.signoff import block_key, record_decision

T0 = datetime(2026, 4, 1, 9, 0, tzinfo=timezone(timedelta(hours=9)))
ROSTER = {"reviewers": [{"id": "ed", "name": "編集 太郎", "roles": ["editor"]},
                        {"id": "matsu", "name": "松本 担当", "roles": ["town_editor"], "towns": ["202029"]}]}


@pytest.fixture
def root(make_workspace: Callable[..., Path]) -> Path:
    """The conftest's small workspace (no ``review:`` section: one editor approves) with text
    approved, then edited."""
    root = make_workspace(roster=ROSTER)
    ws = load_workspace(root)
    record_decision(ws, message_id="b00d-birth", locale="ja", reviewer="ed", decision="approve",
                    comment="確認しました", now=T0)
    message = ws.messages["b00d-birth"]
    ws.save_message(message.with_text("ja", "ご出産、本当におめでとうございます。"))
    return root


def test_diff_html_marks_deleted_and_added_text() -> None:
    assert diff_html("早めに日程を考えておくと", "早めに予定を立てておくと") == (
        '<div class="kz-diff">早めに<del class="kz-del">日程を考え</del><ins class="kz-ins">予定を立て</ins>'
        'ておくと</div>')  # a one-character island between two changes is folded into them
    assert diff_html("a<b>\n$1", "a<b>\n$1") == '<div class="kz-diff">a&lt;b&gt;<br>\n&#36;1</div>'


def test_review_notebook_is_valid_and_carries_its_items(root: Path) -> None:
    ws = load_workspace(root)
    nb = build_notebook(ws, [("b00d-birth", "ja"), (block_key("202029", "B0d"), "ja")], now=T0)
    nbformat.validate(nb)
    assert nb.metadata["kizuna"]["packet"] == 1 and nb.metadata["kizuna"]["town"] == "202029"
    meta = [c.metadata.get("kizuna") for c in nb.cells[1:]]
    assert [(m["message"], m["state"]) for m in meta] == [("b00d-birth", "stale"), ("town:202029:B0d", "draft")]
    assert [c.id for c in nb.cells] == ["kz-title", "kz-item-1", "kz-item-2"]  # stable ids


def test_packet_renders_the_diff_town_rendering_and_decisions(root: Path) -> None:
    ws = load_workspace(root)
    html = export_html(build_notebook(ws, [("b00d-birth", "ja")], now=T0 + timedelta(days=1)))
    assert html.startswith("<!DOCTYPE html>") and '<html lang="ja">' in html and "<script" not in html
    assert "B0d 生後0日" in html and "要再承認（承認後に変更）" in html and "承認後に本文が変わりました" in html
    assert "前回承認版との差分" in html
    assert '<ins class="kz-ins">、本当に</ins>' in html  # the diff against the last approved text
    assert "ご出産、本当におめでとうございます。" in html  # the text
    assert "【松本市より】出生届は14日以内に提出できます。" in html  # rendered in the sample town
    assert "確認しました" in html and "以前の本文" in html  # decisions so far
    assert "kz-text" in html and ".kz-diff" in html  # our stylesheet is inlined


def test_packet_for_a_reviewer_queue_through_the_cli(root: Path) -> None:
    out = root / "out" / "ed.html"
    nb_path = root / "out" / "ed.ipynb"
    result = CliRunner().invoke(main, ["-w", str(root), "review", "packet", "--by", "ed", "--out", str(out),
                                       "--notebook", str(nb_path)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"review packet with 2 item(s) written to {out}"
    html = out.read_text(encoding="utf-8")
    assert "レビュー資料 — 編集 太郎（編集者）" in html and "p08w-hello" in html
    assert '<ins class="kz-ins">' in html
    nbformat.validate(nbformat.read(nb_path, as_version=4))
    bad = CliRunner().invoke(main, ["-w", str(root), "review", "packet", "--message", "nope", "--out", str(out)])
    assert bad.exit_code == 2 and "no message or town block nope" in bad.stderr


def test_exporter_is_registered_and_converts_any_notebook(root: Path, tmp_path: Path) -> None:
    assert get_exporter("kizuna-review") is KizunaReviewExporter
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# ふつうのノート\n\n本文です。"),
        nbformat.v4.new_code_cell("print('こんにちは')", outputs=[
            nbformat.v4.new_output("stream", name="stdout", text="こんにちは\n")]),
    ])
    path = tmp_path / "plain.ipynb"
    nbformat.write(nb, path)
    html, _ = get_exporter("kizuna-review")().from_filename(str(path))
    assert "ふつうのノート" in html and "こんにちは" in html and "kz-packet" in html
    ws = load_workspace(root)
    write_packet(ws, tmp_path / "p.html", message_ids=["b00d-birth"], notebook=tmp_path / "p.ipynb", now=T0)
    done = subprocess.run([sys.executable, "-m", "nbconvert", "--to", "kizuna-review", str(tmp_path / "p.ipynb")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert '<ins class="kz-ins">、本当に</ins>' in (tmp_path / "p.html").read_text(encoding="utf-8")


def test_packet_degrades_when_a_town_template_fails(root: Path) -> None:
    ws = load_workspace(root)
    message = ws.messages["p08w-hello"]
    ws.save_message(replace(message).with_text("ja", "{{ town.contacts.fax }}に連絡できます。"))
    html = export_html(build_notebook(load_workspace(root), [("p08w-hello", "ja")], now=T0))
    assert "表示できません" in html and "town.contacts.fax" in html


def test_findings_come_from_the_checks_or_say_they_are_not_available(root: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    ws = load_workspace(root)
    html = export_html(build_notebook(ws, [("p08w-hello", "ja")], now=T0))
    assert "チェック結果" in html and "checks not available" not in html
    monkeypatch.setitem(sys.modules, "kizuna.review.checks", None)  # as if the checks were not installed
    html = export_html(build_notebook(ws, [("p08w-hello", "ja")], now=T0))
    assert "チェックは利用できません（checks not available）" in html


def test_packet_has_contents_links_to_its_items_and_folds_long_parts(root: Path) -> None:
    ws = load_workspace(root)
    ws.save_message(ws.messages["p08w-hello"].with_text("ja", "{{ town.contacts.fax }}に連絡できます。"))
    keys = [("p08w-hello", "ja"), ("b00d-birth", "ja"), (block_key("202029", "B0d"), "ja")]
    html = export_html(build_notebook(load_workspace(root), keys, now=T0 + timedelta(days=1)))
    soup = BeautifulSoup(html, "html.parser")
    ids = Counter(tag["id"] for tag in soup.find_all(id=True))
    assert not [i for i, n in ids.items() if n > 1]  # every link target is unambiguous
    for link in soup.find_all("a", href=re.compile("^#")):
        assert soup.find(id=link["href"][1:]) is not None, link  # no dead link on the page
    toc = soup.find("nav", class_="kz-toc")
    assert toc is not None and "目次" in toc.get_text()
    assert {a["href"] for a in toc.find_all("a")} == {"#kz-summary", "#kz-item-1", "#kz-item-2", "#kz-item-3"}
    rows = soup.find("table", id="kz-summary").select("tbody tr")
    assert len(rows) == len(keys)
    for row, (key, locale) in zip(rows, keys):
        hrefs = {a["href"] for a in row.find_all("a")}
        assert len(hrefs) == 1 and hrefs.pop().startswith("#")
        heading = soup.find(id=row.a["href"][1:])
        assert heading.name == "h2" and key in heading.get_text() and f"（{locale}）" in heading.get_text()
        item = heading.parent  # the item's cell
        back = item.find("a", class_="kz-back")
        assert back is not None and back["href"] == "#kz-summary"
        summaries = {d.summary.get_text(): d for d in item.find_all("details")}
        checks = next(d for text, d in summaries.items() if text.startswith("チェック結果"))
        findings = row.find_all("td")[-1].get_text()  # the summary's 指摘 column
        assert checks.summary.get_text() == f"チェック結果：{findings}"
        assert checks.has_attr("open") == ("エラー" in findings)  # errors show unfolded
        assert any(text.startswith("必要な承認") for text in summaries)
    first, second = (soup.find(id=f"kz-item-{i}").parent for i in (1, 2))
    assert "エラー" in rows[0].get_text() and first.find("details", open=True) is not None
    # long parts of an item are folded: the town rendering (national text + block) and the decisions
    block_text = second.find_all(string=re.compile("【松本市より】"))
    assert block_text and all(t.find_parent("details") for t in block_text)
    assert "確認しました" in second.get_text()
    assert second.find(string=re.compile("確認しました")).find_parent("details") is not None
    # the text under review and its change are not folded
    diff = second.find("div", class_="kz-diff")
    assert diff is not None and diff.find_parent("details") is None and diff.find("ins") is not None
    css = soup.find("style", string=re.compile("kz-packet")).get_text()
    assert re.search(r"img, svg \{ max-width: 100%; height: auto; \}", css)  # images fit the page
