"""Stage notation and arithmetic: parse/format round-trips, labels, order, calendar dates."""
from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import given, strategies as st

from kizuna.catalog.errors import StageError
from kizuna.catalog.stages import Stage, Step, add_months, stage_range

pregnancy = st.builds(Stage.pregnancy, st.integers(0, 44), st.integers(0, 6))
after_birth = st.builds(Stage.after_birth, st.integers(0, 18), st.integers(0, 11), st.integers(0, 400))
stages = st.one_of(pregnancy, after_birth)
dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))


@given(stages)
def test_format_then_parse_is_identity(stage: Stage) -> None:
    assert Stage.parse(str(stage)) == stage


@given(st.integers(0, 44), st.integers(0, 6))
def test_pregnancy_notation_and_label(weeks: int, days: int) -> None:
    stage = Stage.parse(f"P{weeks}w{days}d")
    assert stage.label_ja == f"妊娠{weeks}週{days}日"
    assert stage.gestational_weeks == weeks


@pytest.mark.parametrize(("text", "canonical", "label"), [
    ("P12w3d", "P12w3d", "妊娠12週3日"),
    ("P12w", "P12w", "妊娠12週0日"),
    ("P12w0d", "P12w", "妊娠12週0日"),
    ("B0d", "B0d", "生後0日"),
    ("B45d", "B45d", "生後45日"),
    ("B2m", "B2m", "生後2か月"),
    ("B1y6m", "B1y6m", "1歳6か月"),
    ("B18m", "B1y6m", "1歳6か月"),
    ("B1y7d", "B1y7d", "1歳7日"),
    ("B2m15d", "B2m15d", "生後2か月15日"),
    (" B3y ", "B3y", "3歳"),
])
def test_known_notations(text: str, canonical: str, label: str) -> None:
    stage = Stage.parse(text)
    assert str(stage) == canonical
    assert stage.label_ja == label


@pytest.mark.parametrize("bad", ["", "P", "B", "P12", "P12w7d", "P12d", "X3d", "B-1d", "b2m",
                                 "B2m1y", "P46w", "12w", "P1w2d3d", None, 12])
def test_bad_notation_is_refused_with_the_text_named(bad: object) -> None:
    with pytest.raises(StageError) as info:
        Stage.parse(bad)  # type: ignore[arg-type]
    if isinstance(bad, str) and bad:
        assert bad in str(info.value) or "44w6d" in str(info.value)


@given(dates, st.integers(4, 41), st.integers(0, 6))
def test_pregnancy_date_counts_back_from_the_due_date(due: date, weeks: int, days: int) -> None:
    stage = Stage.pregnancy(weeks, days)
    assert stage.resolve(due=due) == due + timedelta(days=weeks * 7 + days - 280)
    assert Stage.parse("P40w").resolve(due=due) == due


@given(dates, st.integers(0, 1000))
def test_day_stages_count_the_birth_day_as_day_zero(birth: date, days: int) -> None:
    assert Stage.after_birth(days=days).resolve(birth=birth) == birth + timedelta(days=days)


@given(dates, st.integers(0, 240))
def test_month_stages_clamp_to_month_end(birth: date, months: int) -> None:
    resolved = Stage.after_birth(months=months).resolve(birth=birth)
    index = birth.year * 12 + birth.month - 1 + months
    year, month0 = divmod(index, 12)
    assert (resolved.year, resolved.month) == (year, month0 + 1)
    last = calendar.monthrange(resolved.year, resolved.month)[1]
    assert resolved.day == min(birth.day, last)


def test_born_on_january_31() -> None:
    assert Stage.parse("B1m").resolve(birth=date(2023, 1, 31)) == date(2023, 2, 28)
    assert Stage.parse("B1m").resolve(birth=date(2024, 1, 31)) == date(2024, 2, 29)
    assert Stage.parse("B1y").resolve(birth=date(2024, 2, 29)) == date(2025, 2, 28)
    assert Stage.parse("B1y6m").resolve(birth=date(2024, 8, 31)) == date(2026, 2, 28)


def test_birth_registration_deadline_is_b13d() -> None:
    # 戸籍法49条: within 14 days counting the day of birth -> born 4/1, last day 4/14
    assert Stage.parse("B13d").resolve(birth=date(2025, 4, 1)) == date(2025, 4, 14)


def test_anchor_is_required() -> None:
    with pytest.raises(StageError, match="due date"):
        Stage.parse("P12w").resolve(birth=date(2025, 1, 1))
    with pytest.raises(StageError, match="birth date"):
        Stage.parse("B2m").resolve(due=date(2025, 1, 1))


@given(st.lists(stages, min_size=2, max_size=30))
def test_order_is_total_and_pregnancy_comes_first(items: list[Stage]) -> None:
    ordered = sorted(items)
    for a, b in zip(ordered, ordered[1:]):
        assert a <= b
        if a.phase == "B":
            assert b.phase == "B"


@given(dates, after_birth, after_birth)
def test_order_agrees_with_calendar_when_far_apart(birth: date, a: Stage, b: Stage) -> None:
    """Stages more than 3 days apart in nominal days fall in the same order on every calendar."""
    if abs(a.sort_key[1] - b.sort_key[1]) > 3:
        assert (a < b) == (a.resolve(birth=birth) < b.resolve(birth=birth))


@given(after_birth, st.integers(1, 30))
def test_month_step_adds_calendar_months(stage: Stage, n: int) -> None:
    moved = stage.plus(Step(n, "m"))
    assert moved.total_months == stage.total_months + n
    assert moved.days == stage.days


@given(stages, st.integers(1, 50))
def test_day_step_moves_the_date_by_that_many_days(stage: Stage, n: int) -> None:
    if stage.phase == "P" and stage.days + n > 314:
        return
    moved = stage.plus(Step(n, "d"))
    anchor = date(2025, 3, 31)
    kwargs = {"due": anchor} if stage.phase == "P" else {"birth": anchor}
    assert moved.resolve(**kwargs) - stage.resolve(**kwargs) == timedelta(days=n)


def test_pregnancy_cannot_step_in_months() -> None:
    with pytest.raises(StageError):
        Stage.parse("P12w").plus(Step.parse("1m"))


def test_ranges_inclusive_and_exclusive() -> None:
    assert [str(s) for s in stage_range(Stage.parse("P4w"), Step.parse("2w"), to=Stage.parse("P8w"))] == ["P4w", "P6w", "P8w"]
    assert [str(s) for s in stage_range(Stage.parse("B0d"), Step.parse("1d"), until=Stage.parse("B3d"))] == ["B0d", "B1d", "B2d"]
    with pytest.raises(StageError, match="cross birth"):
        list(stage_range(Stage.parse("P40w"), Step.parse("1d"), to=Stage.parse("B3d")))


def test_add_months_negative() -> None:
    assert add_months(date(2024, 3, 31), -1) == date(2024, 2, 29)


@given(stages)
def test_offsets_for_delivery_backends(stage: Stage) -> None:
    off = stage.offset()
    if stage.phase == "P":
        assert off == {"anchor": "due", "days": stage.days - 280}
    else:
        assert off["anchor"] == "birth" and off["months"] == stage.total_months
