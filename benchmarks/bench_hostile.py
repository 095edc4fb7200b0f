"""Benchmark: how fast hostile inputs of issue 9 are refused (each must be well under a second).

Builds each input in a temporary folder and times the refusal: the 423-character YAML alias bomb,
YAML nested 900 deep, a 5,000-digit number, a 17 KB workbook with one cell at row 1,048,576, a
workbook holding a 300 MB comment (compressed to about 300 KB), a notebook nested 100,000 deep,
the last line of a decisions log of 300 MB, and hostile templates. Also times the tail of a log
of 100,000 entries, which must not depend on the log's size.

Run: ``.venv/bin/python benchmarks/bench_hostile.py``.
"""
from __future__ import annotations

import io
import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Callable

from kizuna.catalog import yamlio
from kizuna.catalog.errors import KizunaError


def timed(label: str, action: Callable[[], object]) -> float:
    started = time.perf_counter()
    try:
        action()
        outcome = "accepted"
    except KizunaError as exc:
        outcome = f"refused: {str(exc)[:90]}"
    seconds = time.perf_counter() - started
    print(f"{seconds * 1000:9.1f} ms  {label:45s} {outcome}", flush=True)
    return seconds


def main() -> int:
    import shutil

    from kizuna.demo import sample_root
    from kizuna.catalog.templating import render
    from kizuna.catalog.workspace import load_workspace
    from kizuna.authoring.notebooks import read_notebook
    from kizuna.authoring.workbooks import REVIEW, read_workbook, write_workbook
    from kizuna.review.decisions import _last_line

    import openpyxl

    tmp = Path(tempfile.mkdtemp(prefix="kizuna-bench-hostile-"))
    worst = 0.0
    bomb = ("id: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n"
            + "".join(f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi")))
    worst = max(worst, timed(f"YAML alias bomb ({len(bomb)} characters)", lambda: yamlio.loads(bomb, "m.yaml")))
    worst = max(worst, timed("YAML nested 900 deep", lambda: yamlio.loads("a: " + "[" * 900 + "]" * 900, "m.yaml")))
    worst = max(worst, timed("YAML 5,000-digit number", lambda: yamlio.loads("a: " + "9" * 5000, "m.yaml")))

    root = tmp / "ws"
    shutil.copytree(sample_root(), root, ignore=shutil.ignore_patterns("out", ".ipynb_checkpoints"))
    ws = load_workspace(root)
    book_path = write_workbook(ws, tmp / "review.xlsx", reviewer=next(iter(ws.reviewers)), findings=False)
    book = openpyxl.load_workbook(book_path)
    book[REVIEW.sheet].cell(row=1_048_576, column=1).value = "x"
    far = tmp / "far.xlsx"
    book.save(far)
    worst = max(worst, timed(f"workbook, cell at row 1,048,576 ({far.stat().st_size // 1024} KB)",
                             lambda: read_workbook(far)))
    comment = tmp / "comment.xlsx"
    with zipfile.ZipFile(book_path) as source, zipfile.ZipFile(comment, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":  # the review sheet: a comment in row 2,000
                data = data.replace(b"</sheetData>", b'<row r="2000"><c r="H2000" t="inlineStr"><is><t>'
                                    + b"x" * (300 * 1024 * 1024) + b"</t></is></c></row></sheetData>")
            target.writestr(info, data)
    worst = max(worst, timed(f"workbook, 300 MB comment ({comment.stat().st_size // 1024} KB)",
                             lambda: read_workbook(comment)))
    deep = tmp / "deep.ipynb"
    deep.write_text('{"cells": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    worst = max(worst, timed("notebook nested 100,000 deep", lambda: read_notebook(deep)))

    big = tmp / "big.jsonl"
    with open(big, "wb") as handle:
        handle.write(b'{"seq": 1}\n{"comment": "')
        chunk = b"y" * (1024 * 1024)
        for _ in range(300):
            handle.write(chunk)
        handle.write(b'"}\n')
    with open(big, "rb") as handle:
        worst = max(worst, timed("log whose last line is 300 MB", lambda: _last_line(handle)))
    long_log = tmp / "long.jsonl"
    long_log.write_bytes((b'{"seq": 1, "digest": "x", "comment": "' + b"z" * 400 + b'"}\n') * 100_000)
    with open(long_log, "rb") as handle:
        timed(f"tail of a log of 100,000 entries ({long_log.stat().st_size // 1024 // 1024} MB)",
              lambda: _last_line(handle))

    context = {"town": {"name": "松本市"}}
    for template in ("{{ 'x'|center(1000000000) }}", "{{ '%0900000000d' % 1 }}", "{{ 'x'.ljust(1000000000) }}",
                     "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
                     "{{ lipsum(10000000) }}"):
        worst = max(worst, timed(f"template {template[:38]}", lambda: render(template, context)))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"slowest refusal {worst * 1000:.1f} ms; peak memory {peak:.0f} MB")
    return 0 if worst < 1.0 else 1


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
