"""A command's normal output (its summary and progress lines, not only its errors) is in the
user's language: ``--lang ja`` gives Japanese frames around what stays machine-read or the
user's own vocabulary (paths, ids, state names such as ``approved``, the level words of check
lines), ``--lang en`` the English; JSON output is the same in both languages."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

from kizuna.catalog import i18n
from kizuna.cli import main

SAMPLE_RESPONSES = Path("surveys") / "synthetic" / "responses-synthetic.csv"


@pytest.fixture(autouse=True)
def _back_to_the_environment() -> Iterator[None]:
    yield
    i18n.set_language(None)


def kizuna(root: Path, lang: str, *args: str) -> tuple[int, str]:
    # the environment says the other language: --lang wins
    env = {"KIZUNA_LANG": "en" if lang == "ja" else "ja"}
    result = CliRunner().invoke(main, ["--lang", lang, "-w", str(root), *args], env=env)
    i18n.set_language(None)
    return result.exit_code, result.output


def both(root: Path, *args: str) -> tuple[str, str]:
    """The output of a command in Japanese and in English (each must not fail badly)."""
    said = {}
    for lang in ("ja", "en"):
        code, output = kizuna(root, lang, *args)
        assert code in (0, 1), output
        said[lang] = output
    return said["ja"], said["en"]


def test_author_import_summary(sample_path: Path, tmp_path: Path) -> None:
    book = tmp_path / "en.xlsx"
    assert kizuna(sample_path, "en", "author", "workbook", "--locale", "en", "--out", str(book))[0] == 0
    ja, en = both(sample_path, "author", "import", "-v", str(book))
    assert re.search(r"en\.xlsx: 反映 0、衝突 0、拒否 0、変更なし \d+", ja), ja
    assert re.search(r"\n  変更なし +en\.xlsx: ", ja), ja
    assert re.search(r"en\.xlsx: 0 applied, 0 conflicted, 0 refused, \d+ unchanged", en), en
    assert re.search(r"\n  unchanged en\.xlsx: ", en) and "変更なし" not in en, en


def test_export_summary(sample_path: Path, tmp_path: Path) -> None:
    ja, en = both(sample_path, "export", "--town", "202029", "--format", "json", "--out", str(tmp_path / "out"))
    assert "に書き出しました: 市区町村 1、カタログ 2、メッセージ " in ja and "カタログの版 sha256:" in ja, ja
    assert re.search(r"除いたもの: 未承認 \d+ 件", ja), ja
    assert re.search(r"exported 1 towns, 2 catalogs, \d+ messages, \d+ files to ", en), en
    assert "catalog revision sha256:" in en and re.search(r"left out: \d+ unapproved", en), en
    assert "書き出し" not in en and "exported" not in ja


def test_review_status_queue_and_verify(sample_path: Path) -> None:
    ja, en = both(sample_path, "review", "status")
    first_ja, first_en = ja.splitlines()[0], en.splitlines()[0]
    assert re.fullmatch(r"\d+ 件: draft \d+, .*approved \d+.*", first_ja), first_ja  # the states as --state takes them
    assert re.fullmatch(r"\d+ items: draft \d+, .*approved \d+.*", first_en), first_en
    ja, en = both(sample_path, "review", "queue", "--by", "yoshida")
    assert re.match(r"吉田 陽子（yoshida）: 承認待ち \d+ 件", ja) and re.match(r"吉田 陽子 \(yoshida\): \d+ item\(s\) await sign-off", en)
    ja, en = both(sample_path, "review", "verify")
    assert ja.startswith("決定ログは正常です: ") and en.startswith("decisions log ok: ")


def test_coverage_lines(sample_path: Path) -> None:
    ja, en = both(sample_path, "coverage")
    assert re.search(r"^202029 松本市 \[ja\]: 配信枠 \d+、メッセージあり \d+（うち代わりの言語 \d+）、空き \d+、重なり \d+", ja, re.M), ja
    assert re.search(r"^都道府県別（市区町村×言語の行数、配信枠、空き、重なり）:$", ja, re.M), ja
    assert re.search(r"^202029 松本市 \[ja\]: \d+ slots, \d+ ok \(\d+ in a fallback locale\), \d+ gaps, \d+ collisions", en, re.M)
    assert "by prefecture (town × locale rows, slots, gaps, collisions):" in en
    assert re.search(r"^エラー \d+ 件、警告 \d+ 件", ja, re.M) and "配信枠" not in en
    # JSON is for programs: the same in both languages, apart from the findings' own text
    code, ja_json = kizuna(sample_path, "ja", "coverage", "--format", "json")
    code, en_json = kizuna(sample_path, "en", "coverage", "--format", "json")
    assert json.loads(ja_json)["towns"] == json.loads(en_json)["towns"]


def test_lint_summary_and_check_line_levels(sample_path: Path, tmp_path: Path) -> None:
    draft = tmp_path / "draft.txt"
    draft.write_text("すぐに受診しなさい。\n", encoding="utf-8")
    ja, en = both(sample_path, "lint", str(draft))
    assert "draft.txt:1:6: warning tone/command" in ja and "draft.txt:1:6: warning tone/command" in en  # level words stay
    assert ja.rstrip().endswith("エラー 0 件、警告 1 件、情報 0 件") and "警告" not in en


def test_survey_form_and_import(sample_path: Path, tmp_path: Path) -> None:
    ja, en = both(sample_path, "survey", "form", "--format", "json", "--out", str(sample_path / "out" / "forms"))
    assert re.match(r"アンケート \S+: 質問 \d+ 問と記入済みの項目 4 つ、言語 ja", ja), ja
    assert re.match(r"form \S+: \d+ question\(s\) and 4 prefilled fields, locales ja", en), en
    ja, en = both(sample_path, "survey", "import", str(sample_path / SAMPLE_RESPONSES), "--dry-run")
    assert re.search(r"回答 \d+ 件を確かめました。何も保存していません（--dry-run）", ja), ja
    assert re.search(r"\d+ response\(s\) checked; nothing stored \(--dry-run\)", en), en
    assert re.search(r"^  列 +\d+ ", ja, re.M) and re.search(r"^  column +\d+ ", en, re.M)


def test_init_says_what_it_made(tmp_path: Path) -> None:
    for lang, expected in (("ja", "に空のワークスペースを作りました"), ("en", "empty workspace created in")):
        result = CliRunner().invoke(main, ["--lang", lang, "init", str(tmp_path / lang)])
        i18n.set_language(None)
        assert result.exit_code == 0 and expected in result.output, result.output


def test_preview_counts_its_messages_in_the_user_language(sample_path: Path) -> None:
    ja, en = both(sample_path, "preview", "--town", "202029", "--due", "2026-06-01")
    count = int(re.search(r"^(\d+) messages$", en, re.MULTILINE).group(1))
    assert f"メッセージ{count}件" in ja.splitlines() and count > 10


def test_author_import_names_the_row_and_the_change_in_the_user_language(sample_path: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    book = tmp_path / "en.xlsx"
    assert kizuna(sample_path, "en", "author", "workbook", "--locale", "en", "--out", str(book))[0] == 0
    workbook = load_workbook(book)
    sheet = workbook["翻訳"]
    column = next(c.column for c in sheet[1] if c.value == "修正後の訳文")
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, column).value)
    sheet.cell(row, column).value = f"{sheet.cell(row, column).value} Thank you."
    workbook.save(book)
    code, ja = kizuna(sample_path, "ja", "author", "import", str(book))
    assert code == 0 and re.search(rf"en\.xlsx: シート 翻訳、{row} 行目: \S+ \(en\): 変更", ja), ja
