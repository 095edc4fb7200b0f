"""The decisions log's limits: the last line is found in constant time, a line over the limit
and a lone surrogate are named errors, and nothing is appended after them."""
from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from kizuna.catalog.errors import KizunaError
from kizuna.catalog.limits import MAX_LOG_LINE_BYTES
from kizuna.review.decisions import _last_line, append, log_path, read_log, verify_log
from tests.review.test_decisions import fields


class CountingReader(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def test_the_last_line_is_found_without_reading_the_file() -> None:
    entry = b'{"seq": 1, "digest": "x"}'
    handle = CountingReader(entry * 1 + (b"\n" + entry) * 200_000 + b"\n\n")
    assert _last_line(handle) == entry
    assert handle.bytes_read <= 8192


def test_a_huge_last_line_is_refused_after_reading_only_the_limit() -> None:
    handle = CountingReader(b"x" * (50 * 1024 * 1024) + b"\n")
    started = time.perf_counter()
    with pytest.raises(KizunaError, match="over"):
        _last_line(handle)
    assert time.perf_counter() - started < 0.5
    assert handle.bytes_read <= MAX_LOG_LINE_BYTES + 2 * 8192


def test_decide_after_a_huge_last_line_refuses_and_writes_nothing(tmp_path: Path) -> None:
    append(tmp_path, fields(1))
    with open(log_path(tmp_path), "ab") as handle:
        handle.write(b'{"comment": "' + b"y" * (20 * 1024 * 1024) + b'"}\n')
    before = log_path(tmp_path).read_bytes()
    started = time.perf_counter()
    with pytest.raises(KizunaError):
        append(tmp_path, fields(2))
    assert time.perf_counter() - started < 1.0
    assert log_path(tmp_path).read_bytes() == before


def test_an_entry_over_the_line_limit_is_not_written(tmp_path: Path) -> None:
    append(tmp_path, fields(1))
    before = log_path(tmp_path).read_bytes()
    big = dict(fields(2), comment="長" * (MAX_LOG_LINE_BYTES // 3 + 10))
    with pytest.raises(KizunaError, match="shorten the comment"):
        append(tmp_path, big)
    assert log_path(tmp_path).read_bytes() == before


def test_a_lone_surrogate_in_a_log_line_is_a_named_error(tmp_path: Path) -> None:
    append(tmp_path, fields(1))
    path = log_path(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("コメント1", "\\ud800"), encoding="utf-8")
    with pytest.raises(KizunaError, match="line 1.*surrogate"):
        read_log(tmp_path)
    assert "surrogate" in verify_log(tmp_path)[0].message


def test_a_line_over_the_limit_is_a_named_error_when_read(tmp_path: Path) -> None:
    log_path(tmp_path).write_text('{"a": "' + "z" * (MAX_LOG_LINE_BYTES + 1) + '"}\n', encoding="utf-8")
    with pytest.raises(KizunaError, match="line 1.*over the limit"):
        read_log(tmp_path)


def test_a_number_of_thousands_of_digits_in_a_log_line_is_a_named_error(tmp_path: Path) -> None:
    log_path(tmp_path).write_text('{"seq": ' + "9" * 5000 + "}\n", encoding="utf-8")
    with pytest.raises(KizunaError, match="line 1"):
        read_log(tmp_path)
    with pytest.raises(KizunaError):
        append(tmp_path, fields(1))
