"""The bundled sample workspace is a real, complete workspace (DESIGN §3 tone aside)."""
from __future__ import annotations

from collections import Counter

from kizuna.catalog.municipalities import lookup
from kizuna.catalog.workspace import Workspace


def test_sample_loads_with_real_towns_and_sample_contacts(sample_ws: Workspace) -> None:
    assert len(sample_ws.towns) >= 3
    for town in sample_ws.towns.values():
        assert lookup(town.code).name == town.name
        assert "example.jp" in town.contacts["url"] and town.contacts["phone"].startswith("000-")
        assert "（サンプル）" in town.contacts["desk"]


def test_sample_catalog_size_and_spread(sample_ws: Workspace) -> None:
    messages = list(sample_ws.messages.values())
    assert len(messages) >= 80
    phases = Counter(m.stage.phase for m in messages)
    assert phases["P"] >= 15 and phases["B"] >= 60
    assert {m.stage.years for m in messages if m.stage.phase == "B"} == {0, 1, 2}
    assert sum("en" in m.texts for m in messages) >= 10
    assert sum("ja-easy" in m.texts for m in messages) >= 10


def test_sample_policy_is_fully_covered_and_reference_is_not(sample_ws: Workspace) -> None:
    for town in sample_ws.towns.values():
        slots = sample_ws.town_slots(town)
        stages = Counter(m.stage for m in sample_ws.town_messages(town, track="main"))
        assert all(stages[s] == 1 for s in slots), town.code
    reference = sample_ws.policy("reference").expand()
    covered = {m.stage for m in sample_ws.messages.values()}
    assert len([s for s in reference if s not in covered]) > 400  # the real gaps of a daily service


def test_sample_roster_covers_every_role(sample_ws: Workspace) -> None:
    from kizuna.catalog.roster import ROLES

    roles = {role for r in sample_ws.reviewers.values() for role in r.roles}
    assert roles == set(ROLES)


def test_sample_tracks_dated_and_twins(sample_ws: Workspace) -> None:
    """Issue 12: a reviewed bereavement track on its own cadence, corrected-age rules, twins
    variants, two seasonal messages and one urgent notice."""
    from kizuna.review.track_coverage import coverage_by_track

    registrants = sample_ws.config.registrants
    assert registrants.events["loss"].to == "bereavement" and registrants.age.basis(["development"]) == "corrected"
    per_track = coverage_by_track(sample_ws, locales=["ja"])
    assert per_track["bereavement"]["slots"] > 0 and per_track["bereavement"]["gap"] == 0
    assert per_track["nicu"]["gap"] == 0
    dated = [m.dated for m in sample_ws.messages.values() if m.dated is not None]
    assert sorted(d.kind for d in dated) == ["seasonal", "seasonal", "urgent"]
    assert sum(1 for m in sample_ws.messages.values() for t in m.texts.values() if t.multiples) >= 3
