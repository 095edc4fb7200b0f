"""Fixtures for surveys: the sample workspace with its questionnaires, and response files shaped
like what Google Forms and Microsoft Forms export."""
from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path
from typing import Any, Sequence

import pytest
from openpyxl import Workbook

from kizuna.catalog.workspace import Workspace, load_workspace
from kizuna.surveys.model import Surveys, load_surveys


@pytest.fixture
def ws(sample_path: Path) -> Workspace:
    return load_workspace(sample_path)


@pytest.fixture
def surveys(ws: Workspace) -> Surveys:
    return load_surveys(ws)


def write_csv(path: Path, rows: Sequence[Sequence[Any]], *, bom: bool = True, encoding: str = "utf-8") -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    data = buf.getvalue().encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom and encoding == "utf-8" else b"") + data)
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[Any]]) -> Path:
    wb = Workbook()
    sheet = wb.active
    sheet.title = "Sheet1"
    for row in rows:
        sheet.append(list(row))
    wb.save(path)
    return path


#: a Google Forms export of the 松本市 form: numbered, one title edited by the town, a free extra column
GOOGLE_HEAD = ["タイムスタンプ", "1. メッセージは、妊娠中や子育ての役に立っていますか", "2. メッセージは読みやすい",
               "役に立った話題を選んでください（いくつでも）", "回答してくださった方",
               "メッセージについて、よかったこと・わかりにくかったことを自由にお書きください",
               "配信時期（自動入力）", "町の担当メモ"]


def google_rows(n: int = 6, *, helpful: str = "4", stage: str = "B4m7d") -> list[list[str]]:
    rows: list[list[str]] = [GOOGLE_HEAD]
    for i in range(n):
        rows.append([f"2025/06/{i + 1:02d} 9:0{i % 10}:00", helpful, str(1 + i % 5), "健診, 授乳・食事",
                     "パートナー", "夜泣きがつらくて眠れないです。" if i % 2 else "", stage, "メモ"])
    return rows


#: a Microsoft Forms export (XLSX): ID, start and completion time, anonymous e-mail and name, ';' joined choices
MS_HEAD = ["ID", "開始時刻", "完了時刻", "メール", "名前", "サービス全体の満足度", "Which topics were useful? (choose all that apply)",
           "メッセージが届く時期はちょうどよい", "言語（自動入力）"]


def ms_rows(n: int = 5) -> list[list[Any]]:
    rows: list[list[Any]] = [MS_HEAD]
    for i in range(n):
        rows.append([i + 1, datetime(2026, 1, 10, 10, i), datetime(2026, 1, 10, 10, i + 3), "anonymous", "",
                     "5 - とてもそう思う", "Checkups;Sleep;", 3, "en"])
    return rows
