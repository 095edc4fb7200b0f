"""Cadence policies: the reference policy of DESIGN §3 and workspace-defined policies."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from kizuna.catalog.cadence import REFERENCE_POLICY, parse_age, policy_from_data
from kizuna.catalog.errors import KizunaError
from kizuna.catalog.stages import Stage


def keys(stages: list[Stage]) -> list[str]:
    return [str(s) for s in stages]


def test_reference_policy_pregnancy_is_daily_from_4w0d_to_41w6d() -> None:
    slots = [s for s in REFERENCE_POLICY.expand() if s.phase == "P"]
    assert slots[0] == Stage.parse("P4w") and slots[-1] == Stage.parse("P41w6d")
    assert len(slots) == (41 * 7 + 6) - 4 * 7 + 1


def test_reference_policy_after_birth() -> None:
    slots = [s for s in REFERENCE_POLICY.expand() if s.phase == "B"]
    text = keys(slots)
    assert text[:3] == ["B0d", "B1d", "B2d"] and "B100d" in text and "B101d" not in text
    assert "B103d" in text and "B106d" in text and "B104d" not in text and "B364d" in text
    assert "B1y" in text and "B1y7d" in text and "B1y8d" not in text and "B1y364d" in text
    assert "B2y" in text and "B2y14d" in text and "B2y7d" not in text
    assert all(s < Stage.parse("B3y") for s in slots)
    assert len([s for s in slots if s.years == 1]) == 53
    assert len([s for s in slots if s.years == 2]) == 27


@given(st.integers(1, 3))
def test_end_age_cuts_the_slots(years: int) -> None:
    end = parse_age(f"{years}y")
    slots = REFERENCE_POLICY.expand(end)
    assert all(s.phase == "P" or s < end for s in slots)
    assert max(s for s in slots if s.phase == "B").years == years - 1


def test_end_age_beyond_the_policy_does_not_invent_slots() -> None:
    assert REFERENCE_POLICY.expand(parse_age("7y")) == REFERENCE_POLICY.expand()


def test_slots_are_sorted_and_unique() -> None:
    policy = policy_from_data("twice", {"segments": [
        {"from": "B0d", "to": "B14d", "every": "7d"},
        {"from": "B0d", "to": "B14d", "every": "14d"},
    ]})
    assert keys(policy.expand()) == ["B0d", "B7d", "B14d"]


def test_twice_a_month_policy() -> None:
    policy = policy_from_data("old", {"end_age": "1y", "segments": [
        {"from": "B1m", "until": "B1y", "every": "1m"},
        {"from": "B1m15d", "until": "B1y", "every": "1m"},
    ]})
    slots = policy.expand()
    assert len(slots) == 22 and str(slots[1]) == "B1m15d"


@pytest.mark.parametrize(("data", "field"), [
    ({}, "policies.x.segments"),
    ({"segments": [{"from": "P4w", "every": "1d"}]}, "policies.x.segments[0]"),
    ({"segments": [{"from": "P4w", "to": "P10w", "until": "P9w", "every": "1d"}]}, "policies.x.segments[0]"),
    ({"segments": [{"from": "P4w", "to": "B10d", "every": "1d"}]}, "policies.x.segments[0]"),
    ({"segments": [{"from": "Q4w", "to": "P10w", "every": "1d"}]}, "policies.x.segments[0]"),
    ({"segments": [{"from": "P4w", "to": "P10w", "every": "0d"}]}, "policies.x.segments[0]"),
    ({"segments": [{"from": "P4w", "to": "P10w", "every": "1d", "extra": 1}]}, "policies.x.segments[0]"),
    ({"end_age": "soon", "segments": [{"from": "B0d", "to": "B1d", "every": "1d"}]}, "policies.x.end_age"),
])
def test_bad_policies_name_the_field(data: dict, field: str) -> None:
    with pytest.raises(KizunaError) as info:
        policy_from_data("x", data)
    assert info.value.field == field
