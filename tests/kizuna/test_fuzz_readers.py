"""Fuzzing every reader of outside input: workspace YAML files, suggestions files, workbooks,
notebooks and the decisions log.

The property is always the same: reading either succeeds, or fails with a ``KizunaError`` (a
named error; the CLI exits 2) and the workspace is byte-identical to what it was. Never a
traceback, a hang, a crash or a half-applied file. Inputs are valid files with hostile pieces
spliced in (aliases, deep nesting, huge numbers and texts, full-width digits, lone surrogates,
error cells, broken JSON), so the fuzzer reaches past the first syntax check. The examples per
test are few and fixed, and the whole file runs in well under a minute; ``KIZUNA_FUZZ=500 pytest
tests/kizuna/test_fuzz_readers.py`` searches afresh with 500 examples per test.
"""
from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import shutil
import tempfile
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import openpyxl
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kizuna.catalog import yamlio
from kizuna.catalog.errors import KizunaError
from kizuna.catalog.workspace import load_workspace
from kizuna.cli import main
from kizuna.authoring.notebooks import import_notebook, write_notebooks
from kizuna.authoring.suggestions import all_suggestions, pending
from kizuna.authoring.workbooks import REVIEW, import_workbook, write_workbook
from kizuna.review.decisions import append, log_path, read_log, verify_log
from tests.authoring.conftest import build_workspace

NOW = datetime(2026, 4, 1, 9, 0, tzinfo=timezone.utc)
#: a failing example may hold a megabyte of text: hypothesis warns about printing it
pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")
#: In CI the examples are the same on every run (derandomized: no flaky failures); set
#: ``KIZUNA_FUZZ=500`` to search afresh with that many examples per test.
_DEEP = int(os.environ.get("KIZUNA_FUZZ", "0") or 0)
FUZZ = settings(max_examples=_DEEP or 60, derandomize=not _DEEP, deadline=None,
                suppress_health_check=list(HealthCheck))
SLOW_FUZZ = settings(max_examples=_DEEP or 25, derandomize=not _DEEP, deadline=None,
                     suppress_health_check=list(HealthCheck))


# --- the workspace and its fingerprint -------------------------------------------------------------
_TEMPLATE: dict[str, Path] = {}


def _template() -> Path:
    """One small workspace, built once per run, with a decisions log and a suggestions file."""
    if "root" not in _TEMPLATE:
        root = build_workspace(Path(tempfile.mkdtemp(prefix="kizuna-fuzz-")) / "ws")
        for n in (1, 2):
            append(root, {"at": f"2026-03-0{n}T09:00:00+09:00", "message": "p08w-hello", "locale": "ja",
                          "town": None, "reviewer": "aoki", "roles": ["editor"], "decision": "comment",
                          "comment": f"コメント{n}", "stage": "P8w", "hash": f"{n:016x}", "text": "本文",
                          "required": {"editor": 1}})
        yamlio.write(root / "suggestions" / "messages" / "p08w-hello.yaml", {"suggestions": [{
            "id": "5c1d0e9a3b7f2a41", "target": {"kind": "message", "key": "p08w-hello", "locale": "ja"},
            "change": "edit", "stage": "P8w", "text": "提案です。", "base_hash": "0" * 16,
            "current_hash": "1" * 16, "from": "x.xlsx: row 2", "by": "aoki", "at": "2026-03-01T09:00:00+09:00"}]})
        _TEMPLATE["root"] = root
    return _TEMPLATE["root"]


@pytest.fixture(scope="module")
def template() -> Iterator[Path]:
    yield _template()
    shutil.rmtree(_TEMPLATE.pop("root").parent, ignore_errors=True)
    _NOTEBOOK.clear()
    _WORKBOOK.clear()


def fresh(template: Path) -> Path:
    target = Path(tempfile.mkdtemp(prefix="kizuna-fuzz-case-")) / "ws"
    shutil.copytree(template, target)
    return target


def fingerprint(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and ".kizuna" not in path.relative_to(root).parts:
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def succeeds_or_names_the_error(root: Path, action: Callable[[], Any], *, writes: bool = False) -> bool:
    """Run ``action``: True when it succeeded; on a ``KizunaError`` the workspace must be
    byte-identical (and a reader that never writes must leave it identical either way)."""
    before = fingerprint(root)
    try:
        action()
    except KizunaError as exc:
        assert len(str(exc)) < 3000, "error messages quote values shortened"
        assert fingerprint(root) == before, f"exit 2 but the workspace changed: {exc}"
        return False
    if not writes:
        assert fingerprint(root) == before
    return True


# --- hostile pieces ----------------------------------------------------------------------------------
HOSTILE_TEXT = st.sampled_from([
    "", " ", "B１d", "P１２w", "&a [x]", "*a", "? [a, b]", "{", "}", "[" * 50, "9" * 60, "0x" + "f" * 30,
    "あ" * 20_000, "\ud800", "\x00", "\t", "---", "...", "!!python/object:os.system", "<<: *a", "%YAML 1.1",
    "'", '"', "|", ">", "#N/A", "=1+1", "../../kizuna", "/etc/passwd", "\u202e", "〇〇市", "null", "~", "true",
])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**30, max_value=10**60),
    st.floats(allow_nan=True), st.text(max_size=40), HOSTILE_TEXT,
)
YAML_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(st.text(max_size=10), HOSTILE_TEXT), inner, max_size=4)),
    max_leaves=12,
)
YAML_SNIPPETS = st.sampled_from([
    "a: &a [x, y]\nb: *a\n", "x: " + "[" * 900 + "]" * 900, "? [a, b]\n: c\n", "n: " + "7" * 5000,
    "id: &i lol\nname: *i\n", "- a\n- b\n", "just text", "{{", ":\n  :\n", "a: b\n  c: d\n", "\ufeffa: 1",
    "a: !!binary aGVsbG8=", "a: !!set {x, y}", "a: 2026-04-01", "a: 1:20:30", "a: .inf",
])


def _splice(data: Any, path: list[int], value: Any) -> Any:
    """``data`` with the value reached by following ``path`` (indexes into keys/items) replaced."""
    if not path or not isinstance(data, (dict, list)) or not data:
        return value
    data = copy.deepcopy(data)
    if isinstance(data, dict):
        key = list(data)[path[0] % len(data)]
        data[key] = _splice(data[key], path[1:], value)
    else:
        i = path[0] % len(data)
        data[i] = _splice(data[i], path[1:], value)
    return data


def _mutate_text(text: str, edits: list[tuple[int, int, str]]) -> str:
    for position, cut, insert in edits:
        at = position % (len(text) + 1)
        text = text[:at] + insert + text[at + cut % 4:]
    return text


def _dump(value: Any) -> str:
    try:
        return yaml.safe_dump(value, allow_unicode=True)
    except (yaml.YAMLError, RecursionError, UnicodeEncodeError):
        return str(value)


WORKSPACE_FILES = ["kizuna.yaml", "roster.yaml", "messages/p08w-hello.yaml", "towns/202029.yaml",
                   "suggestions/messages/p08w-hello.yaml"]

YAML_DOCUMENT = st.one_of(
    st.tuples(st.just("splice"), st.lists(st.integers(0, 50), max_size=4), YAML_VALUES),
    st.tuples(st.just("text"), st.lists(st.tuples(st.integers(0, 5000), st.integers(0, 3),
                                                 st.one_of(HOSTILE_TEXT, st.text(max_size=8))), min_size=1, max_size=4),
              st.just(None)),
    st.tuples(st.just("snippet"), YAML_SNIPPETS, st.just(None)),
)


def _write_fuzzed_yaml(root: Path, name: str, how: tuple[str, Any, Any]) -> None:
    path = root / name
    original = path.read_text(encoding="utf-8")
    kind, a, b = how
    if kind == "splice":
        text = _dump(_splice(yaml.safe_load(original), a, b))
    elif kind == "text":
        text = _mutate_text(original, a)
    else:
        text = a
    path.write_bytes(text.encode("utf-8", "surrogatepass"))


def _read_everything(root: Path) -> None:
    ws = load_workspace(root)
    all_suggestions(root)
    pending(ws)


@FUZZ
@given(st.sampled_from(WORKSPACE_FILES), YAML_DOCUMENT)
def test_fuzzed_workspace_yaml_files_load_or_name_the_error(template: Path, name: str, how: tuple) -> None:
    root = fresh(template)
    try:
        _write_fuzzed_yaml(root, name, how)
        succeeds_or_names_the_error(root, lambda: _read_everything(root))
    finally:
        shutil.rmtree(root.parent)


@SLOW_FUZZ
@given(st.sampled_from(WORKSPACE_FILES), YAML_DOCUMENT)
def test_fuzzed_workspace_through_the_cli_exits_0_1_or_2_and_writes_nothing(template: Path, name: str,
                                                                           how: tuple) -> None:
    root = fresh(template)
    try:
        _write_fuzzed_yaml(root, name, how)
        before = fingerprint(root)
        result = CliRunner().invoke(main, ["--workspace", str(root), "check", "--format", "json"])
        assert result.exit_code in (0, 1, 2), result.output[-2000:]
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert fingerprint(root) == before
    finally:
        shutil.rmtree(root.parent)


# --- the decisions log ---------------------------------------------------------------------------------
LOG_PIECES = st.one_of(
    HOSTILE_TEXT, st.text(max_size=30),
    st.builds(lambda v: json.dumps(v, ensure_ascii=True), YAML_VALUES),
    st.sampled_from(['{"seq": 1}', "[" * 5000, '{"a": "\\ud800"}', "x" * 200_000, "\n\n", "\r\n", "{"]),
)


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 3), LOG_PIECES), min_size=1, max_size=3),
       st.booleans())
def test_fuzzed_decisions_log_reads_or_names_the_error(template: Path, edits: list, try_append: bool) -> None:
    root = fresh(template)
    try:
        path = log_path(root)
        path.write_bytes(_mutate_text(path.read_text(encoding="utf-8"), edits).encode("utf-8", "surrogatepass"))
        succeeds_or_names_the_error(root, lambda: (read_log(root), verify_log(root)))
        if try_append:
            fields = {"at": "2026-04-01T09:00:00+09:00", "message": "p08w-hello", "locale": "ja", "town": None,
                      "reviewer": "aoki", "roles": ["editor"], "decision": "comment", "comment": "c",
                      "stage": "P8w", "hash": "0" * 16, "text": "本文", "required": {"editor": 1}}
            succeeds_or_names_the_error(root, lambda: append(root, fields), writes=True)
    finally:
        shutil.rmtree(root.parent)


# --- notebooks ---------------------------------------------------------------------------------------------
_NOTEBOOK: dict[str, str] = {}


def _notebook_text(template: Path) -> str:
    if "text" not in _NOTEBOOK:
        out = Path(tempfile.mkdtemp(prefix="kizuna-fuzz-nb-"))
        _NOTEBOOK["text"] = write_notebooks(load_workspace(template), out)[0].read_text(encoding="utf-8")
        shutil.rmtree(out)
    return _NOTEBOOK["text"]


NOTEBOOK_CHANGE = st.one_of(
    st.tuples(st.just("splice"), st.lists(st.integers(0, 50), max_size=5),
              st.one_of(YAML_VALUES, st.just("あ" * 1_000_000), st.just("\ud800"), st.just([[[[[]]]]]))),
    st.tuples(st.just("text"), st.lists(st.tuples(st.integers(0, 20_000), st.integers(0, 3), LOG_PIECES),
                                        min_size=1, max_size=3), st.just(None)),
    st.tuples(st.just("deep"), st.integers(60, 100_000), st.just(None)),
)


@FUZZ
@given(NOTEBOOK_CHANGE)
def test_fuzzed_notebooks_import_or_name_the_error(template: Path, how: tuple) -> None:
    root = fresh(template)
    try:
        original = _notebook_text(template)
        kind, a, b = how
        if kind == "splice":
            text = json.dumps(_splice(json.loads(original), a, b), ensure_ascii=True)
        elif kind == "text":
            text = _mutate_text(original, a)
        else:
            text = '{"cells": ' + "[" * a + "]" * a + ', "nbformat": 4}'
        path = root.parent / "fuzz.ipynb"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        succeeds_or_names_the_error(root, lambda: import_notebook(load_workspace(root), path, now=NOW), writes=True)
    finally:
        shutil.rmtree(root.parent)


# --- workbooks ----------------------------------------------------------------------------------------------
_WORKBOOK: dict[str, bytes] = {}


def _workbook_bytes(template: Path) -> bytes:
    if "bytes" not in _WORKBOOK:
        out = Path(tempfile.mkdtemp(prefix="kizuna-fuzz-wb-")) / "review.xlsx"
        write_workbook(load_workspace(template), out, reviewer="doi", findings=False)
        _WORKBOOK["bytes"] = out.read_bytes()
        shutil.rmtree(out.parent)
    return _WORKBOOK["bytes"]


CELL_VALUES = st.one_of(
    st.none(), st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False),
    # text openpyxl can write (no control characters or surrogates; a leading = is a formula)
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=40).filter(lambda s: not s.startswith("=")),
    HOSTILE_TEXT.filter(lambda s: not any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in s)),
    st.sampled_from(["=1+1", "#N/A", "#DIV/0!", "承認", "差し戻し", "p08w-hello", "P8w", "ja"]),
    st.dates(), st.booleans(),
)
WORKBOOK_CHANGE = st.one_of(
    st.tuples(st.just("cells"), st.lists(st.tuples(st.integers(1, 12), st.integers(1, 16), CELL_VALUES),
                                         min_size=1, max_size=5)),
    st.tuples(st.just("far"), st.tuples(st.integers(1, 1_048_576), st.integers(1, 16_384))),
    st.tuples(st.just("bytes"), st.lists(st.tuples(st.integers(0, 100_000), st.binary(max_size=6)),
                                         min_size=1, max_size=3)),
    st.tuples(st.just("error"), st.integers(2, 6)),
)


def _fuzzed_workbook(original: bytes, how: tuple) -> bytes:
    kind, a = how
    if kind == "bytes":
        data = bytearray(original)
        for position, chunk in a:
            at = position % len(data)
            data[at:at + len(chunk)] = chunk
        return bytes(data)
    book = openpyxl.load_workbook(io.BytesIO(original))
    sheet = book[REVIEW.sheet]
    if kind == "cells":
        for row, column, value in a:
            sheet.cell(row=row, column=column).value = value
    elif kind == "far":
        sheet.cell(row=a[0], column=a[1]).value = "x"
    else:
        cell = sheet.cell(row=a, column=[c.key for c in REVIEW.columns].index("comment") + 1)
        cell.value, cell.data_type = "#N/A", "e"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@SLOW_FUZZ
@given(WORKBOOK_CHANGE)
def test_fuzzed_workbooks_import_or_name_the_error(template: Path, how: tuple) -> None:
    root = fresh(template)
    try:
        path = root.parent / "fuzz.xlsx"
        path.write_bytes(_fuzzed_workbook(_workbook_bytes(template), how))
        succeeds_or_names_the_error(root, lambda: import_workbook(load_workspace(root), path, now=NOW), writes=True)
    finally:
        shutil.rmtree(root.parent)


def test_a_zip_bomb_is_refused_from_the_zip_directory(template: Path) -> None:
    root = fresh(template)
    try:
        path = root.parent / "bomb.xlsx"
        with zipfile.ZipFile(io.BytesIO(_workbook_bytes(template))) as source, \
                zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
            for info in source.infolist():
                target.writestr(info, source.read(info))
            target.writestr("xl/bomb.xml", b"0" * (210 * 1024 * 1024))  # compresses to about 200 KB
        assert path.stat().st_size < 2 * 1024 * 1024
        assert not succeeds_or_names_the_error(root, lambda: import_workbook(load_workspace(root), path, now=NOW))
    finally:
        shutil.rmtree(root.parent)
