"""Tracks, track events, age rules, dated windows: parsing, refusals and the age arithmetic."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any, Callable

import pytest
from hypothesis import given, strategies as st

from kizuna.catalog.dated import dated_from_data, send_day, stage_span
from kizuna.catalog.errors import WorkspaceError
from kizuna.catalog.messages import message_from_data, message_to_data
from kizuna.catalog.stages import Stage
from kizuna.catalog.tracks import (CHRONOLOGICAL, CORRECTED, AgeRules, after_birth_date, corrected_age_days,
                                   corrected_anchor, date_at_gestation, gestational_days, gestational_stage,
                                   is_preterm, registrants_from_data)
from kizuna.catalog.workspace import load_workspace
from tests.conftest import SMALL_CONFIG, small_message

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))
weeks = st.integers(min_value=22, max_value=42)


@given(due=days, w=weeks, d=st.integers(0, 6))
def test_gestation_round_trip(due: date, w: int, d: int) -> None:
    day = date_at_gestation(due, w, d)
    assert gestational_days(day, due) == w * 7 + d
    assert gestational_stage(day, due) == Stage.pregnancy(w, d)
    assert day == Stage.pregnancy(w, d).resolve(due=due)


@given(due=days, w=weeks, d=st.integers(0, 6))
def test_preterm_is_before_37_weeks(due: date, w: int, d: int) -> None:
    birth = date_at_gestation(due, w, d)
    assert is_preterm(birth, due) == (w < 37)
    assert corrected_anchor(birth, due) == (due if w < 37 else birth)


@given(due=days, w=st.integers(22, 36), n=st.integers(0, 800))
def test_corrected_age_is_age_minus_weeks_born_early(due: date, w: int, n: int) -> None:
    birth = date_at_gestation(due, w)
    day = after_birth_date(Stage.after_birth(days=n), CORRECTED, birth=birth, due=due)
    assert day == due + timedelta(days=n)
    assert corrected_age_days(day, birth, due) == n
    chrono = after_birth_date(Stage.after_birth(days=n), CHRONOLOGICAL, birth=birth, due=due)
    assert (day - chrono).days == (due - birth).days == 280 - w * 7


@given(due=days, w=st.integers(37, 42), months=st.integers(0, 40))
def test_term_birth_has_one_age(due: date, w: int, months: int) -> None:
    birth = date_at_gestation(due, w)
    stage = Stage.after_birth(months=months)
    assert after_birth_date(stage, CORRECTED, birth=birth, due=due) == \
        after_birth_date(stage, CHRONOLOGICAL, birth=birth, due=due)


def test_chronological_topics_win_over_corrected() -> None:
    rules = AgeRules(corrected=frozenset({"feeding", "development"}),
                     chronological=frozenset({"vaccination", "legal"}))
    assert rules.basis(["feeding"]) == CORRECTED
    assert rules.basis(["feeding", "vaccination"]) == CHRONOLOGICAL
    assert rules.basis(["daily-life"]) == CHRONOLOGICAL


def test_event_naming_unknown_track_is_refused() -> None:
    with pytest.raises(WorkspaceError) as err:
        registrants_from_data({"events": {"loss": {"from": ["main"], "to": "bereavment"}}}, "kizuna.yaml")
    assert err.value.path == "kizuna.yaml" and err.value.field == "registrants.events.loss.to"
    assert "bereavment" in err.value.message


def test_unknown_event_kind_is_refused() -> None:
    with pytest.raises(WorkspaceError, match="not an event"):
        registrants_from_data({"events": {"moved": {"to": "main"}}}, "kizuna.yaml")


def test_a_message_belongs_to_one_track() -> None:
    raw = small_message("b00d-x", "B0d", "テキストです。", track=["main", "bereavement"])
    with pytest.raises(WorkspaceError) as err:
        message_from_data(raw, "messages/b00d-x.yaml")
    assert err.value.field == "track" and "one track" in err.value.message


def test_message_with_unknown_track_is_refused(make_workspace: Callable[..., Path]) -> None:
    root = make_workspace(messages=[small_message("b00d-x", "B0d", "テキストです。", track="nicu")])
    with pytest.raises(WorkspaceError) as err:
        load_workspace(root)
    assert err.value.field == "track" and err.value.path.endswith("b00d-x.yaml")


def test_track_fields_round_trip(make_workspace: Callable[..., Path]) -> None:
    config: dict[str, Any] = {**SMALL_CONFIG, "registrants": {
        "tracks": {"bereavement": {"label": "流産・死産のあと", "anchor": "event", "end": "B56d"}},
        "events": {"loss": {"from": ["main"], "to": "bereavement", "rest": "stop"}}}}
    raw = small_message("b03d-grief", "B3d", "つらい時期です。", track="bereavement",
                        gestation={"from": "P12w"})
    raw["texts"]["ja"]["multiples"] = "ふたりの赤ちゃんの、つらい時期です。"
    root = make_workspace(messages=[raw], config=config)
    ws = load_workspace(root)
    m = ws.messages["b03d-grief"]
    assert m.track == "bereavement" and m.gestation == (Stage.pregnancy(12), None)
    assert m.texts["ja"].for_babies(2).startswith("ふたり") and m.texts["ja"].for_babies(1) == "つらい時期です。"
    assert message_from_data(message_to_data(m), "x.yaml") == m
    assert ws.town_messages(ws.town("202029"), track="main") == []
    assert [x.id for x in ws.town_messages(ws.town("202029"), track="bereavement")] == ["b03d-grief"]
    ws.save_config()
    assert load_workspace(root).config.registrants.events["loss"].to == "bereavement"


def test_dated_window_that_ends_before_it_starts_is_refused() -> None:
    raw = {"kind": "seasonal", "window": {"from": "08-31", "to": "07-01"}, "stages": {"from": "B0d", "until": "B3y"}}
    with pytest.raises(WorkspaceError) as err:
        dated_from_data(raw, "messages/heat.yaml")
    assert err.value.field == "dated.window.to" and err.value.path == "messages/heat.yaml"


def test_urgent_notice_needs_towns_and_expiry() -> None:
    raw = {"kind": "urgent", "window": {"from": "2026-12-01", "to": "2026-12-14"},
           "stages": {"from": "P4w", "until": "B3y"}}
    with pytest.raises(WorkspaceError, match="towns"):
        dated_from_data(raw, "m.yaml")
    with pytest.raises(WorkspaceError, match="expiry"):
        dated_from_data({**raw, "towns": ["202029"]}, "m.yaml")


def test_dated_message_has_no_stage() -> None:
    raw = {"id": "heat", "dated": {"kind": "seasonal", "window": {"from": "07-01", "to": "08-31"},
                                   "stages": {"from": "B0d", "until": "B3y"}},
           "texts": {"ja": {"text": "暑い日が続きます。"}}}
    m = message_from_data(raw, "m.yaml")
    assert m.is_dated and m.stage == Stage.after_birth()
    assert message_from_data(message_to_data(m), "m.yaml") == m
    with pytest.raises(WorkspaceError, match="no stage"):
        message_from_data({**raw, "stage": "B0d"}, "m.yaml")


SUMMER = dated_from_data({"kind": "seasonal", "window": {"from": "07-01", "to": "08-31"},
                          "stages": {"from": "B0d", "until": "B3y"}}, "m.yaml")


@given(birth=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)))
def test_seasonal_message_once_per_summer_while_in_range(birth: date) -> None:
    got = send_day(SUMMER, due=birth, birth=birth, first=birth - timedelta(days=300),
                   last=birth + timedelta(days=3 * 366))
    span = stage_span(SUMMER, due=birth, birth=birth)
    assert span is not None
    for day in got:
        assert 7 <= day.month <= 8 and span[0] <= day <= span[1]
    assert len({d.year for d in got}) == len(got)
    for year in range(birth.year, birth.year + 3):
        summer = [date(year, 7, 1) + timedelta(days=i) for i in range(62)]
        if any(span[0] <= d <= span[1] for d in summer):
            assert any(d.year == year for d in got)


def test_urgent_notice_to_an_unknown_town_is_refused(make_workspace: Callable[..., Path]) -> None:
    raw = {"id": "measles", "dated": {"kind": "urgent", "window": {"from": "2026-12-01", "to": "2026-12-14"},
                                      "stages": {"from": "P4w", "until": "B3y"}, "towns": ["131121"],
                                      "expires": "2026-12-14"},
           "texts": {"ja": {"text": "麻しんのお知らせです。"}}}
    with pytest.raises(WorkspaceError) as err:
        load_workspace(make_workspace(messages=[raw]))
    assert err.value.field == "dated.towns[0]" and err.value.path.endswith("measles.yaml")
