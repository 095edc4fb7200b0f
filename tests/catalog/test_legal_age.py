"""Legal age arithmetic (年齢計算ニ関スル法律, 民法143条): an age is reached the day before the
anniversary, or at the end of a month that has no such day; month-end clamping of a stage's
calendar date stays as it was."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from dateutil.relativedelta import relativedelta
from hypothesis import given, strategies as st

from kizuna.catalog.errors import StageError
from kizuna.catalog.stages import Stage, add_months, age_reached
from kizuna.cli import main

births = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))
months = st.integers(1, 18 * 12)


@pytest.mark.parametrize(("birth", "n", "reached"), [
    (date(2024, 4, 1), 2, date(2024, 5, 31)),    # 生後2月に至る日
    (date(2024, 4, 1), 12, date(2025, 3, 31)),   # 1歳に至る日: the day before the birthday
    (date(2024, 1, 31), 1, date(2024, 2, 29)),   # no 2/31: the end of February
    (date(2023, 1, 31), 1, date(2023, 2, 28)),
    (date(2023, 1, 29), 1, date(2023, 2, 28)),   # no 2/29 in 2023
    (date(2023, 1, 28), 1, date(2023, 2, 27)),
    (date(2024, 3, 31), 1, date(2024, 4, 30)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),  # born on 2/29: 1 year at the end of 2/28
    (date(2024, 2, 29), 48, date(2028, 2, 28)),  # a leap year: the day before 2/29
])
def test_examples(birth: date, n: int, reached: date) -> None:
    assert age_reached(birth, n) == reached


@given(births, months)
def test_reached_the_day_before_the_anniversary_or_at_the_month_end(birth: date, n: int) -> None:
    anniversary = birth + relativedelta(months=n)  # dateutil clamps to the month end
    reached = age_reached(birth, n)
    if anniversary.day == birth.day:  # the anniversary exists
        assert reached == anniversary - timedelta(days=1)
    else:  # 民法143条2項ただし書: the last day of that month
        assert reached == anniversary and (reached + timedelta(days=1)).day == 1
    assert add_months(birth, n) == anniversary  # month-end clamping of stage dates stays


@given(births, months)
def test_ages_are_reached_in_order_and_never_after_the_stage_date(birth: date, n: int) -> None:
    assert age_reached(birth, n) < age_reached(birth, n + 1)
    stage = Stage.after_birth(0, n)
    assert stage.legal_end(birth) <= stage.resolve(birth=birth)
    assert stage.legal_start(birth) == stage.legal_end(birth) + timedelta(days=1)
    assert stage.legal_start(birth) >= stage.resolve(birth=birth)


@given(births, st.integers(0, 400))
def test_day_stages_keep_their_calendar_date(birth: date, days: int) -> None:
    stage = Stage.after_birth(0, 0, days)
    assert stage.legal_start(birth) == birth + timedelta(days=days)
    if days:
        assert stage.legal_end(birth) == birth + timedelta(days=days - 1)


def test_until_the_first_birthday_ends_the_day_before() -> None:
    b1y = Stage.parse("B1y")
    assert b1y.legal_end(date(2025, 4, 1)) == date(2026, 3, 31)      # 「1歳に至るまで」
    assert b1y.resolve(birth=date(2024, 2, 29)) == date(2025, 2, 28)  # the send date clamps
    assert b1y.legal_end(date(2024, 2, 29)) == date(2025, 2, 28)      # and the age is reached that day
    with pytest.raises(StageError):
        age_reached(date(2025, 1, 1), 0)


def test_stages_command_shows_the_legal_days() -> None:
    result = CliRunner().invoke(main, ["stages", "B2m", "--birth", "2024-04-01", "--legal"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["B2m", "生後2か月", "2024-06-01"]
    assert "生後2か月に達する日 2024-05-31" in lines[1] and "年齢計算ニ関スル法律" in lines[1]
    assert "2024-05-31 まで" in result.output and "2024-06-01 から" in result.output
    plain = CliRunner().invoke(main, ["stages", "B2m", "--birth", "2024-04-01"])
    assert plain.output.split() == ["B2m", "生後2か月", "2024-06-01"]
    no_birth = CliRunner().invoke(main, ["stages", "B2m", "--legal"])
    assert no_birth.exit_code == 2 and "--birth" in no_birth.output
