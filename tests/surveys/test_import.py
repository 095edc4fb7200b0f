"""Response import from both file shapes, the column mapping, and bad input (named, nothing written)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kizuna.surveys.responses import (KEY_FILE, STORE_DIR, ResponseImportError, import_responses, load_responses,
                                      read_mapping)
from kizuna.surveys.model import SurveyError

from .conftest import GOOGLE_HEAD, google_rows, ms_rows, write_csv, write_xlsx


def test_google_csv_with_bom_edited_headers_and_extra_columns(ws, surveys, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "google.csv", google_rows(6))
    result = import_responses(ws, surveys, path, town="202029")
    how = {c.header: (c.how, c.target) for c in result.columns.columns}
    assert how[GOOGLE_HEAD[1]] == ("fuzzy", "helpful")  # the town's edited title, still safe
    assert how[GOOGLE_HEAD[2]] == ("text", "easy-to-read")  # numbered title
    assert how["配信時期（自動入力）"] == ("system", "kz-stage")
    assert [c.header for c in result.columns.unmapped] == ["町の担当メモ"]
    assert "timing" in result.missing
    table = load_responses(ws.root)
    assert len(table) == 6 and set(table["town"]) == {"202029"} and set(table["stage"]) == {"B4m7d"}
    assert table["useful-topics"].iloc[0] == "checkup;nutrition"
    assert table["respondent"].iloc[0] == "partner" and list(table["easy-to-read"][:3]) == [1, 2, 3]
    assert set(table["year"]) == {2025}
    assert result.stored is not None and result.stored.parent == ws.root / STORE_DIR
    assert "メモ" not in result.stored.read_text(encoding="utf-8")  # extra columns are not stored


def test_shift_jis_csv_without_bom(ws, surveys, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "sjis.csv", google_rows(3), bom=False, encoding="cp932")
    assert len(import_responses(ws, surveys, path, town="202029").table) == 3


def test_microsoft_forms_xlsx_with_a_mapping_file(ws, surveys, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "ms.xlsx", ms_rows(5))
    dry = import_responses(ws, surveys, path, town="131121", stage="B1y7d", dry_run=True)
    assert "サービス全体の満足度" in [c.header for c in dry.columns.unmapped]
    assert not (ws.root / STORE_DIR).exists()
    mapping = tmp_path / "map.yaml"
    mapping.write_text("サービス全体の満足度: helpful\n", encoding="utf-8")
    result = import_responses(ws, surveys, path, town="131121", stage="B1y7d", mapping=read_mapping(mapping))
    table = result.table
    assert list(table["helpful"]) == [5] * 5 and list(table["timing"]) == [3] * 5
    assert table["useful-topics"].iloc[0] == "checkup;sleep" and set(table["locale"]) == {"en"}
    assert set(table["year"]) == {2025}  # January 2026 is in 2025年度
    assert any("メール" in d for d in result.dropped)  # anonymous e-mail column: dropped, never stored
    stored = result.stored.read_text(encoding="utf-8")
    assert "anonymous" not in stored and "開始時刻" not in stored


def test_reimport_replaces_instead_of_doubling(ws, surveys, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "google.csv", google_rows(4))
    first = import_responses(ws, surveys, path, town="202029")
    second = import_responses(ws, surveys, path, town="202029")
    assert first.stored == second.stored and list(first.table["response"]) == list(second.table["response"])
    assert len(load_responses(ws.root)) == 4
    assert all(len(r) == 16 for r in second.table["response"])


def failure(ws, surveys, path: Path, **kw) -> ResponseImportError:
    with pytest.raises(ResponseImportError) as info:
        import_responses(ws, surveys, path, **kw)
    assert not (ws.root / STORE_DIR).exists() and not (ws.root / KEY_FILE).exists()
    assert info.value.path == str(path)
    return info.value


def test_answers_outside_the_choices_name_row_and_column(ws, surveys, tmp_path: Path) -> None:
    rows = google_rows(4)
    rows[3][3] = "健診, 宇宙旅行"
    rows[2][1] = "7"
    err = failure(ws, surveys, write_csv(tmp_path / "bad.csv", rows), town="202029")
    text = "\n".join(err.problems)
    assert "row 4, column '役に立った話題を選んでください（いくつでも）': '宇宙旅行' is not one of the choices" in text
    assert f"row 3, column '{GOOGLE_HEAD[1]}': '7' is not an answer on the 1–5 scale" in text


def test_unknown_question_id_in_the_mapping_and_a_column_mapped_twice(ws, surveys, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "g.csv", google_rows(2))
    err = failure(ws, surveys, path, town="202029", mapping={"町の担当メモ": "no-such-question"})
    assert "'no-such-question', which is no question id" in err.problems[0]
    err = failure(ws, surveys, path, town="202029", mapping={"町の担当メモ": "easy-to-read"})
    assert any("are both mapped to question 'easy-to-read'" in p for p in err.problems)


def test_identifier_columns_are_refused_by_policy(ws, surveys, tmp_path: Path) -> None:
    rows = google_rows(3)
    rows[0].append("メールアドレス")
    for r in rows[1:]:
        r.append("parent@example.jp")
    err = failure(ws, surveys, write_csv(tmp_path / "pii.csv", rows), town="202029")
    assert "row 2, column 'メールアドレス': column 9 holds personal identifiers" in err.problems[0]


def test_malformed_files(ws, surveys, tmp_path: Path) -> None:
    bad_quote = tmp_path / "quote.csv"
    bad_quote.write_text('タイムスタンプ,メッセージは読みやすい\n2025/06/01 9:00:00,"4\n', encoding="utf-8")
    assert "malformed CSV" in failure(ws, surveys, bad_quote, town="202029").problems[0]
    wide = write_csv(tmp_path / "wide.csv", [["タイムスタンプ", "メッセージは読みやすい"], ["2025/06/01 9:00", "4", "x"]])
    assert failure(ws, surveys, wide, town="202029").problems == ["row 2: 3 cells, but the header has 2"]
    no_time = write_csv(tmp_path / "time.csv", [["タイムスタンプ", "メッセージは読みやすい"], ["昨日", "4"]])
    assert "row 2, column 'タイムスタンプ': '昨日' is not a date and time" in failure(ws, surveys, no_time,
                                                                                   town="202029").problems
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    assert "not a readable XLSX" in failure(ws, surveys, broken, town="202029").problems[0]
    no_town = write_csv(tmp_path / "town.csv", google_rows(1))
    assert "no town" in failure(ws, surveys, no_town).problems[0]


def test_a_town_question_answered_for_another_town(ws, surveys, tmp_path: Path) -> None:
    rows = [["タイムスタンプ", "自治体コード（自動入力）", "松本市の産後ケアを知っていますか"],
            ["2025/06/01 9:00:00", "202029", "利用した"], ["2025/06/01 9:00:00", "131121", "利用した"]]
    err = failure(ws, surveys, write_csv(tmp_path / "t.csv", rows))
    assert err.problems == ["row 3, column '松本市の産後ケアを知っていますか': 'matsumoto-postpartum-care' is a "
                            "question of town 202029 only"]


def test_the_store_must_stay_out_of_git(ws, surveys, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "g.csv", google_rows(2))
    with pytest.raises(SurveyError, match="out of version control"):
        import_responses(ws, surveys, path, town="202029", store=ws.root / "responses")
    subprocess.run(["git", "init", "-q"], cwd=ws.root, check=True)
    (ws.root / ".gitignore").write_text("private/\n", encoding="utf-8")
    result = import_responses(ws, surveys, path, town="202029", store=ws.root / "private")
    assert result.stored.parent == ws.root / "private"
    assert len(load_responses(ws.root, ws.root / "private")) == 2


def test_any_joined_choice_cell_reads_back(surveys) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from kizuna.surveys.responses import parse_multiple

    q = surveys.all_questions()["useful-topics"]

    @settings(max_examples=60, deadline=None)
    @given(st.sets(st.sampled_from([c.id for c in q.choices])), st.sampled_from(["ja", "ja-easy", "en"]),
           st.sampled_from([";", ", ", "、", "; ", "\n"]), st.randoms())
    def check(picked, locale, sep, rnd) -> None:
        order = sorted(picked)
        rnd.shuffle(order)
        cell = sep.join(q.choice(c).text[locale] for c in order) + (sep if rnd.random() < 0.3 else "")
        assert parse_multiple(cell, q) == ";".join(c.id for c in q.choices if c.id in picked)

    check()
