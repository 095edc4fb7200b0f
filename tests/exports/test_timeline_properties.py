"""Properties of one registrant's timeline, over any loss or birth date (pure, no workspace)."""
from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings, strategies as st

from kizuna.catalog.stages import Stage
from kizuna.catalog.tracks import date_at_gestation, registrants_from_data
from kizuna.exports.model import Approval, Entry
from kizuna.exports.registrant import Registrant, timeline

CONFIG = registrants_from_data({
    "tracks": {"bereavement": {"anchor": "event", "end": "B56d"}, "nicu": {"anchor": "birth", "end": "B1m"}},
    "events": {"loss": {"from": ["main", "nicu"], "to": "bereavement", "rest": "stop"},
               "preterm_birth": {"from": ["main"], "to": "nicu", "rest": "continue"},
               "pause": {"from": ["main", "nicu", "bereavement"], "rest": "pause"},
               "opt_out": {"from": ["main", "nicu", "bereavement"], "rest": "stop"}},
    "age": {"corrected": ["feeding"], "chronological": ["vaccination"]}}, "kizuna.yaml")
DUE = date(2026, 9, 1)


def entry(mid: str, stage: str, track: str = "main", basis: str = "chronological") -> Entry:
    return Entry(mid, "national", Stage.parse(stage), mid, "ja", False, "0" * 16, Approval("approved"), None, {},
                 track=track, basis=basis)


ENTRIES = ([entry(f"p{w:02d}w", f"P{w}w") for w in range(4, 42)]
           + [entry(f"b{d:03d}d", f"B{d}d") for d in range(0, 120, 3)]
           + [entry("b02m-feed", "B2m", basis="corrected"), entry("b02m-shot", "B2m")]
           + [entry(f"loss-{d}", f"B{d}d", track="bereavement") for d in (0, 2, 7, 14, 28, 42, 70)]
           + [entry(f"nicu-{d}", f"B{d}d", track="nicu") for d in (1, 3, 14, 40)])


@settings(max_examples=60, deadline=None)
@given(days=st.integers(4 * 7, 41 * 7 + 6))
def test_a_loss_stops_main_that_day_and_starts_bereavement(days: int) -> None:
    loss = date_at_gestation(DUE, 0, days)
    got = timeline(ENTRIES, "08:00", Registrant(due=DUE, loss=loss), CONFIG)
    assert all(p.day < loss for p in got if p.track == "main")
    grief = [p for p in got if p.track == "bereavement"]
    assert grief[0].day == loss and [p.entry.message_id for p in grief] == [f"loss-{d}" for d in (0, 2, 7, 14, 28, 42)]
    assert not [p for p in got if p.track == "nicu"]


@settings(max_examples=60, deadline=None)
@given(days=st.integers(24 * 7, 42 * 7))
def test_birth_ends_pregnancy_and_corrected_age_only_when_preterm(days: int) -> None:
    birth = date_at_gestation(DUE, 0, days)
    planned = timeline(ENTRIES, "08:00", Registrant(due=DUE, birth=birth), CONFIG)
    assert [p.day for p in planned] == sorted(p.day for p in planned)
    got = {p.entry.message_id: p for p in planned}
    assert all(p.day < birth for p in got.values() if p.entry.stage.phase == "P")
    preterm = days < 37 * 7
    assert got["b02m-feed"].basis == ("corrected" if preterm else "chronological")
    assert got["b02m-feed"].day == Stage.parse("B2m").resolve(birth=DUE if preterm else birth)
    assert got["b02m-shot"].day == Stage.parse("B2m").resolve(birth=birth)
    assert ("nicu-1" in got) == preterm


def test_pause_skips_and_opt_out_stops_every_track() -> None:
    birth = date(2026, 9, 1)
    pause = (birth + timedelta(days=10), birth + timedelta(days=20))
    got = timeline(ENTRIES, "08:00", Registrant(due=DUE, birth=birth, pause=pause), CONFIG)
    assert not [p for p in got if pause[0] <= p.day <= pause[1]]
    assert [p for p in got if p.day > pause[1]]
    out = birth + timedelta(days=30)
    got = timeline(ENTRIES, "08:00", Registrant(due=DUE, birth=birth, opt_out=out), CONFIG)
    assert got and max(p.day for p in got) < out
