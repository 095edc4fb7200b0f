"""The expedited sign-off path of urgent notices: one named role, valid for N days."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Callable

import pytest

from kizuna.catalog.errors import WorkspaceError
from kizuna.review.policy import policy_from_data
from tests.review.test_signoff import MESSAGES, REVIEW, ROSTER, T0, decide, state

URGENT = {"id": "measles", "topics": ["medical"],
          "dated": {"kind": "urgent", "window": {"from": "2026-04-02", "to": "2026-04-20"},
                    "stages": {"from": "P4w", "until": "B3y"}, "towns": ["202029"], "expires": "2026-04-20"},
          "texts": {"ja": {"text": "麻しんの患者が市内で確認されました。"}}}
ROSTER_NURSE = {"reviewers": [r for r in ROSTER["reviewers"] if r["id"] != "setagaya"] + [{"id": "nurse", "name": "保健 師子", "roles": ["public_health_nurse"]}]}


@pytest.fixture
def root(make_workspace: Callable[..., Path]) -> Path:
    review = {**REVIEW, "urgent": {"role": "public_health_nurse", "valid_days": 14}}
    base = make_workspace(messages=[], name="base")
    from kizuna.catalog import yamlio
    config = {**yamlio.read(base / "kizuna.yaml"), "review": review}
    return make_workspace(messages=MESSAGES + [URGENT], config=config, roster=ROSTER_NURSE)


def test_one_nurse_approves_an_urgent_notice_for_fourteen_days(root: Path) -> None:
    decide(root, "measles", "nurse")
    assert state(root, "measles") == "approved"
    assert state(root, "measles", now=T0 + timedelta(days=15)) == "expired"
    # a staged medical message still needs its topic's roles, and lasts the normal period
    for who in ("obgyn", "mw", "ed"):
        decide(root, "p10w-care", who)
    assert state(root, "p10w-care", now=T0 + timedelta(days=15)) == "approved"


def test_urgent_rule_errors_name_the_field() -> None:
    with pytest.raises(WorkspaceError) as err:
        policy_from_data({"urgent": {"role": "mayor", "valid_days": 14}})
    assert err.value.field == "review.urgent.role"
    with pytest.raises(WorkspaceError) as err:
        policy_from_data({"urgent": {"role": "public_health_nurse", "valid_days": 0}})
    assert err.value.field == "review.urgent.valid_days"
