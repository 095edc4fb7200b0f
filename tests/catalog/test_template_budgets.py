"""The template sandbox's budgets: hostile templates are refused quickly with a TemplateError
naming town, message and locale; ordinary templates render exactly as before."""
from __future__ import annotations

import time

import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2.sandbox import ImmutableSandboxedEnvironment

from kizuna.catalog.errors import TemplateError
from kizuna.catalog.templating import render, render_for_town

CONTEXT = {"town": {"name": "松本市", "services": {"a": "子育て相談", "b": "産後ケア"}, "months": [4, 10]},
           "stage": {"key": "B0d", "label": "生後0日"}}


@pytest.mark.parametrize("template", [
    "{{ 'x'|center(1e9) }}",
    "{{ 'x'|center(1000000000) }}",
    "{{ '%0900000000d'%1 }}",
    "{{ '%*d' % (1000000000, 1) }}",
    "{{ '%0999999999d'|format(1) }}",
    "{{ 'x'.ljust(1e9) }}",
    "{{ 'x'.rjust(1000000000) }}",
    "{{ '1'.zfill(1000000000) }}",
    "{{ '{:>999999999}'.format(1) }}",
    "{{ 'x'|indent(1e9, true) }}",
    "{{ range(10)|slice(1000000000)|list }}",
    "{{ [1]|batch(1000000000, 'x')|list }}",
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}",
    "{% for i in 'x' * 10000 %}{% for j in 'x' * 10000 %}{% endfor %}{% endfor %}",
    "{% set a = 'x' * 10000 %}{% set b = a ~ a %}{% set c = b ~ b %}{% set d = c ~ c %}{% set e = d ~ d %}{{ e }}",
    "{% set a = 'x' * 10000 %}{{ a.replace('x', a) }}",
    "{% set a = 'x' * 10000 %}{{ a + a + a + a + a + a }}",
    "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
])
def test_hostile_templates_are_refused_quickly_naming_where(template: str) -> None:
    started = time.perf_counter()
    with pytest.raises(TemplateError) as info:
        render_for_town(template, None, CONTEXT, town="202029", message="b00d-hello", locale="ja")
    assert time.perf_counter() - started < 2.5
    assert str(info.value).startswith("town 202029, message b00d-hello (ja): ")
    assert len(str(info.value)) < 400


@pytest.mark.parametrize("name", ["lipsum(10000000)", "lipsum()", "cycler(1, 2).next()", "joiner()()",
                                  "namespace(a=1).a"])
def test_random_and_stateful_globals_are_gone(name: str) -> None:
    with pytest.raises(TemplateError, match="may not be used in a message template"):
        render("{{ " + name + " }}", CONTEXT, where="town 202029, message m (ja)")


def test_the_random_filter_is_gone() -> None:
    with pytest.raises(TemplateError, match="random"):
        render("{{ town.months|random }}", CONTEXT)


def test_rendering_is_deterministic() -> None:
    template = "{% for k, v in town.services|dictsort %}{{ loop.index }}.{{ v }} {% endfor %}{{ town.name|center(9) }}"
    assert len({render(template, CONTEXT) for _ in range(5)}) == 1


_REFERENCE = ImmutableSandboxedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)
_ORDINARY = st.lists(st.sampled_from([
    "{{ town.name }}", "{{ stage.label }}", "{% for k in town.services %}{{ k }}{% endfor %}",
    "{% for m in town.months %}{{ m }}か月{% if not loop.last %}、{% endif %}{% endfor %}",
    "{{ '%02d' % town.months[0] }}", "{{ town.name|center(12) }}", "{{ town.name ~ 'より' }}",
    "{{ 'x'.ljust(3) }}", "{{ town.months|join('・') }}", "{{ range(3)|list }}", "{{ town.name|replace('市', 'し') }}",
    "{{ '{:>4}'.format(7) }}", "{{ '%d'|format(240000) }}", "{{ town.months|select('>', 100000)|list }}",
    "{{ town.months|sum(start=100000) }}", "{{ 2 * 500000 }}", "{% if town.name %}あり{% else %}なし{% endif %}", "。", "\n", "abc",
]), max_size=6)


@settings(max_examples=150, deadline=None)
@given(_ORDINARY)
def test_ordinary_templates_render_as_plain_jinja_renders_them(pieces: list[str]) -> None:
    source = "".join(pieces)
    assert render(source, CONTEXT) == _REFERENCE.from_string(source).render(CONTEXT)
