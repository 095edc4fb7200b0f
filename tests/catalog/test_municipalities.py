"""The official municipality list and the check digit."""
from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, strategies as st

from kizuna.catalog.errors import TownError
from kizuna.catalog.municipalities import check_digit, lookup, municipalities, official_list, search, validate_code


def test_official_counts() -> None:
    towns = municipalities()
    assert len(official_list()) == 47 + 1741
    assert len(towns) == 1741
    assert Counter(m.name[-1] for m in towns) == {"市": 792, "町": 743, "村": 183, "区": 23}


def test_every_official_code_is_accepted() -> None:
    for m in municipalities():
        assert lookup(m.code) == m


@given(st.sampled_from([m.code for m in municipalities()]), st.integers(0, 5), st.integers(1, 9))
def test_a_corrupted_digit_is_refused_unless_it_is_another_real_code(code: str, position: int, delta: int) -> None:
    digits = list(code)
    digits[position] = str((int(digits[position]) + delta) % 10)
    corrupted = "".join(digits)
    if position == 5 or corrupted not in official_list():
        with pytest.raises(TownError):
            lookup(corrupted)
    else:  # the mod-11 check digit cannot catch every change; the official list decides
        assert lookup(corrupted).code != code


def test_check_digit_examples() -> None:
    assert check_digit("20202") == 9
    assert check_digit("13112") == 1
    with pytest.raises(TownError, match="check digit"):
        validate_code("202028")
    with pytest.raises(TownError, match="6 digits"):
        validate_code("20202")
    with pytest.raises(TownError, match="prefecture"):
        lookup("200000")


def test_search_by_name_kana_and_code() -> None:
    assert [m.code for m in search("松本市")] == ["202029"]
    assert "131121" in [m.code for m in search("ｾﾀｶﾞﾔ")]
    assert "131121" in [m.code for m in search("セタガヤ")]
    assert all(m.code.startswith("47") for m in search("47"))
    assert search("存在しない町") == []
