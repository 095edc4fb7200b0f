"""One memo of renderings per run: each distinct (template, field values) is rendered once, and
what it gives is exactly what rendering every town on its own gives."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kizuna.catalog.errors import KizunaError
from kizuna.catalog.templating import RenderMemo, render, render_key

TEMPLATES = (
    "{{ town.name }}の窓口で相談できます。",
    "問い合わせ：{{ town.contacts.desk }}（{{ town.contacts.phone }}）",
    "{% if town.contacts.phone %}電話 {{ town.contacts.phone }}{% else %}窓口へ{% endif %}",
    "{{ town.contacts[town.key] }}です。",  # a key computed from another field
    "{% for k in town.contacts %}{{ k }}{% endfor %}",  # the whole mapping
    "{{ town.name|length }}文字、{{ stage.label }}",
    "{{ town.missing }}",
    "今日はゆっくり休みましょう。",
)

values = st.sampled_from(["松本市", "こども家庭センター", "000-0000-0001", "", "desk", "phone"])


def context(name: str, desk: str, phone: str, key: str) -> dict:
    return {"town": {"name": name, "key": key, "contacts": {"desk": desk, "phone": phone}},
            "stage": {"key": "B8d", "label": "生後8日"}}


def plain(source: str, ctx: dict) -> str:
    try:
        return render(source, ctx)
    except KizunaError as exc:
        return f"error: {exc.message}"


def memoised(memo: RenderMemo, source: str, ctx: dict) -> str:
    try:
        return memo.render(source, ctx)
    except KizunaError as exc:
        return f"error: {exc.message}"


@settings(max_examples=60, deadline=None)
@given(towns=st.lists(st.tuples(values, values, values, st.sampled_from(["desk", "phone"])), min_size=1, max_size=6))
def test_a_memo_renders_exactly_what_each_town_renders(towns: list[tuple[str, str, str, str]]) -> None:
    memo = RenderMemo()
    for source in TEMPLATES:
        for town in towns:
            ctx = context(*town)
            assert memoised(memo, source, ctx) == plain(source, ctx)


def test_towns_with_the_same_field_values_share_one_rendering() -> None:
    memo = RenderMemo()
    source = "問い合わせ：{{ town.contacts.desk }}（{{ town.contacts.phone }}）"
    first = memo.render(source, context("松本市", "窓口", "1", "desk"))
    again = memo.render(source, context("上田市", "窓口", "1", "desk"))  # the name is not printed
    assert first == again == "問い合わせ：窓口（1）" and (memo.renders, memo.hits) == (1, 1)
    assert render_key("{{ town.contacts[town.key] }}", context("a", "b", "c", "desk")) is None
    assert render_key("{% for k in town.contacts %}{{ k }}{% endfor %}", context("a", "b", "c", "desk")) is None
