"""Rendering texts and town blocks: strict, sandboxed, and telling the editor what is wrong."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from kizuna.catalog import yamlio
from kizuna.catalog.errors import TemplateError
from kizuna.catalog.templating import render, render_for_town, variables_used

TOWN = {"town": {"name": "松本市", "contacts": {"phone": "000-0000-0001"}, "services": {}},
        "stage": {"key": "B0d", "label": "生後0日"}}


def test_fields_are_filled_and_the_block_is_appended() -> None:
    out = render_for_town("{{ town.name }}の窓口は{{ town.contacts.phone }}です。", "【{{ town.name }}より】",
                          TOWN, town="202029", message="m1", locale="ja")
    assert out.full == "松本市の窓口は000-0000-0001です。\n\n【松本市より】"


def test_a_missing_field_names_town_message_and_field() -> None:
    with pytest.raises(TemplateError) as info:
        render_for_town("{{ town.contacts.fax }}", None, TOWN, town="202029", message="m1", locale="ja")
    assert str(info.value) == "town 202029, message m1 (ja): the town profile has no field town.contacts.fax"


@pytest.mark.parametrize("template", [
    "{{ town.__class__.__mro__ }}",
    "{{ ().__class__.__base__.__subclasses__() }}",
    "{{ town.contacts.update(phone='x') }}{{ town.contacts.phone }}",
    "{{ 'a' * 10**9 }}",
    "{{ 2 ** 100000 }}",
])
def test_templates_cannot_reach_internals_change_the_profile_or_exhaust_memory(template: str) -> None:
    context = {"town": {"contacts": {"phone": "000"}}}
    with pytest.raises(TemplateError, match="may not use"):
        render(template, context, where="town 202029")
    assert context == {"town": {"contacts": {"phone": "000"}}}


def test_syntax_errors_are_template_errors_with_a_line() -> None:
    with pytest.raises(TemplateError, match="line 2"):
        render("一行目\n{{ town.name ", TOWN)


def test_variables_used_leaves_out_names_the_template_sets() -> None:
    source = "{% for key in town.services %}{{ key }}{% endfor %}{{ town.contacts['phone'] }}{{ stage.label }}"
    assert variables_used(source) == {"town.services", "town.contacts.phone", "stage.label"}
    assert variables_used("文だけ") == frozenset()


def test_written_files_get_the_usual_permissions(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    yamlio.write(path, {"a": 1})
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    os.chmod(path, 0o640)
    yamlio.write(path, {"a": 2})
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


from hypothesis import given, settings, strategies as st  # noqa: E402

from kizuna.catalog.templating import _ENV  # noqa: E402

_PIECES = st.lists(st.one_of(
    st.sampled_from(["{{ town.name }}", "{{town.contacts.phone}}", "{{ town.code }}", "{{ stage.label }}",
                     "{{ town.checkup_months }}", "{{ town.count }}", "{{ town.ratio }}", "{{ town.nothing }}",
                     "{{ town.contacts.items }}", "{{ town.name | upper }}", "{% if town.name %}x{% endif %}",
                     "}}", "{", "}", "\n", "{ town.name }"]),
    st.text(alphabet="あいう abc。、\n{}", max_size=6)), max_size=8)
_CONTEXT = {"town": {"name": "松本市", "code": "202029", "contacts": {"phone": "000", "items": "x"},
                     "checkup_months": [4, 10], "count": 3, "ratio": 0.5},
            "stage": {"label": "生後0日"}}


@settings(max_examples=400)
@given(_PIECES)
def test_the_fast_path_prints_exactly_what_jinja_prints(pieces: list[str]) -> None:
    source = "".join(pieces)
    try:
        expected: str | None = _ENV.from_string(source).render(_CONTEXT)
    except Exception:
        expected = None
    try:
        got: str | None = render(source, _CONTEXT)
    except TemplateError:
        got = None
    assert got == expected


@settings(max_examples=300)
@given(_PIECES)
def test_the_fast_variable_scan_agrees_with_the_jinja_syntax_tree(pieces: list[str]) -> None:
    from kizuna.catalog.templating import _split_fields, _variables_from_ast

    source = "".join(pieces)
    split = _split_fields(source)
    if split is not None and "{" in source:
        assert frozenset(split[1]) == _variables_from_ast(source)
