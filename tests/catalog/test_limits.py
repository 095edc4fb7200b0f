"""Limits on workspace files: hostile or broken YAML is refused fast with a named error (file,
line, field), never a traceback, a MemoryError or minutes of work; values in errors are short."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kizuna.catalog import yamlio
from kizuna.catalog.errors import StageError, WorkspaceError
from kizuna.catalog.fields import Fields
from kizuna.catalog.limits import MAX_TEXT_CHARS, MAX_YAML_DEPTH, MAX_YAML_FILE_BYTES, lone_surrogate, shorten
from kizuna.catalog.stages import Stage, Step
from kizuna.catalog.workspace import load_workspace

#: The 423-character "billion laughs" of the issue, in the id field of a message file.
ALIAS_BOMB = (
    "id: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n"
    + "".join(f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi"))
)


def refused(text: str) -> WorkspaceError:
    started = time.perf_counter()
    with pytest.raises(WorkspaceError) as info:
        yamlio.loads(text, "messages/m.yaml")
    assert time.perf_counter() - started < 0.5
    return info.value


def test_alias_bomb_fails_fast_with_file_and_line() -> None:
    assert len(ALIAS_BOMB) < 450
    err = refused(ALIAS_BOMB)
    assert err.path == "messages/m.yaml" and err.location == "line 1, column 5" and err.field == "id"
    assert "anchor" in err.message and len(str(err)) < 300


def test_a_lone_alias_is_refused_too() -> None:
    err = refused("a: x\nb: *undefined\n")  # refused as an alias before the loader complains
    assert "alias" in err.message or "YAML" in err.message


@pytest.mark.parametrize("depth", [MAX_YAML_DEPTH + 1, 900, 100_000])
def test_deep_nesting_is_a_named_error(depth: int) -> None:
    err = refused("texts: " + "[" * depth + "]" * depth + "\n")
    if depth < 1000:
        assert f"more than {MAX_YAML_DEPTH} levels" in err.message
        assert err.field is not None and err.field.startswith("texts[0]")
    else:  # libyaml's own limit comes first; still a named error with the line
        assert "nesting depth" in err.message and err.location is not None


def test_nesting_within_the_limit_loads() -> None:
    depth = MAX_YAML_DEPTH - 1
    assert yamlio.loads("a: " + "[" * depth + "]" * depth, "f.yaml") is not None


@pytest.mark.parametrize("text, field", [("? [a, b]\n: c\n", None), ("towns:\n  x: {? {a: 1}: c}\n", "towns.x")])
def test_list_or_mapping_keys_are_named_errors(text: str, field: str | None) -> None:
    err = refused(text)
    assert "used as a key" in err.message and err.field == field


@pytest.mark.parametrize("number", ["9" * 5000, "-" + "1" * 19, "0x" + "f" * 40, "1_000_000_000_000_000_000"])
def test_huge_whole_numbers_are_named_errors(number: str) -> None:
    err = refused(f"checkup_months: [4, {number}]\n")
    assert err.field == "checkup_months[1]" and "digits" in err.message
    assert len(str(err)) < 250  # the number is shortened, not printed whole


def test_a_quoted_long_number_is_text() -> None:
    assert yamlio.loads(f"phone: '{'1' * 40}'", "f.yaml") == {"phone": "1" * 40}


def test_a_file_that_is_a_folder_is_a_named_error(make_workspace) -> None:
    root = make_workspace()
    (root / "messages" / "x.yaml").mkdir()
    with pytest.raises(WorkspaceError, match="is a folder"):
        load_workspace(root)


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("a: '" + "x" * MAX_YAML_FILE_BYTES + "'\n", encoding="utf-8")
    with pytest.raises(WorkspaceError, match="over the limit"):
        yamlio.read(path)


def test_a_text_over_the_limit_is_refused_with_a_short_quote() -> None:
    f = Fields({"text": "あ" * (MAX_TEXT_CHARS + 1)}, "messages/m.yaml")
    with pytest.raises(WorkspaceError) as info:
        f.text("text")
    assert "10,001 characters" in str(info.value) and len(str(info.value)) < 300


def test_a_non_text_value_is_quoted_short() -> None:
    with pytest.raises(WorkspaceError) as info:
        Fields({"id": list(range(10**6))}, "m.yaml").str("id")
    assert len(str(info.value)) < 200


@pytest.mark.parametrize("text", ["B１d", "P１2w", "B1y６m", "P12w３d", "B٣d"])
def test_stage_grammar_is_ascii_only(text: str) -> None:
    with pytest.raises(StageError, match="ASCII"):
        Stage.parse(text)


def test_step_grammar_is_ascii_only() -> None:
    with pytest.raises(StageError):
        Step.parse("１d")


@given(st.text(max_size=300))
@settings(max_examples=200, deadline=None)
def test_shorten_is_short_and_printable(value: str) -> None:
    out = shorten(value)
    assert len(out) <= 90
    assert lone_surrogate(out) is None


def test_shorten_never_builds_a_huge_repr() -> None:
    assert shorten(10 ** 5000).startswith("<a number of about")
    assert shorten(["x"] * 10**6) == "<list of 1000000 item(s)>"
    assert "(1,000,000 characters)" in shorten("y" * 10**6)


def test_lone_surrogate_is_found() -> None:
    assert lone_surrogate("ab\ud800c") == 2
    assert lone_surrogate("あいう") is None
