"""Coverage per track: each track against its own cadence; main coverage ignores other tracks."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from kizuna.catalog.workspace import load_workspace
from kizuna.review.checks import run_checks
from kizuna.review.track_coverage import coverage_by_track, track_coverage
from tests.conftest import SMALL_CONFIG, small_message

CONFIG: dict[str, Any] = {**SMALL_CONFIG, "policies": {**SMALL_CONFIG["policies"], "grief": {
    "end_age": "1y", "segments": [{"from": "B0d", "to": "B14d", "every": "7d"}]}},
    "registrants": {"tracks": {"bereavement": {"label": "流産・死産のあと", "anchor": "event", "policy": "grief",
                                              "end": "B56d"}},
                    "events": {"loss": {"from": ["main"], "to": "bereavement"}}}}


def test_bereavement_track_has_its_own_cadence(make_workspace) -> None:
    messages = [small_message("p08w-hello", "P8w", "妊娠8週です。"),
                small_message("b00d-birth", "B0d", "ご出産おめでとうございます。"),
                small_message("b00d-grief", "B0d", "つらい時期ですね。", track="bereavement"),
                small_message("b00d-grief-2", "B7d", "からだを休めてください。", track="bereavement"),
                small_message("b07d-grief", "B7d", "相談できる窓口があります。", track="bereavement")]
    ws = load_workspace(make_workspace(messages=messages, config=CONFIG))
    town = ws.town("202029")
    slots = {(s.locale, str(s.stage)): s for s in track_coverage(ws, town, "bereavement")}
    assert [k for k in slots if k[0] == "ja"] == [("ja", "B0d"), ("ja", "B7d"), ("ja", "B14d")]
    assert slots[("ja", "B0d")].status == "ok" and slots[("ja", "B7d")].status == "collision"
    assert slots[("ja", "B14d")].status == "gap"
    per_track = coverage_by_track(ws)
    assert per_track["bereavement"] == {"slots": 6, "gap": 4, "collision": 1}  # en has no texts: 3 gaps
    findings = [f for f in run_checks(ws) if f.rule.startswith("coverage/")]
    track = [f for f in findings if f.rule == "coverage/track"]
    assert any("B14d" in (f.stage or "") or "生後14日" in f.message for f in track)
    assert any("b00d-grief-2" in f.message for f in track)
    # the main track's B0d slot holds only the birth message: no collision with the grief one
    assert not [f for f in findings if f.rule == "coverage/collision" and "b00d-grief" in f.message]


def test_coverage_command_reports_per_track(sample_path) -> None:
    import json

    from click.testing import CliRunner

    from kizuna.cli import main
    result = CliRunner().invoke(main, ["-w", str(sample_path), "coverage", "--format", "json", "--town", "202029",
                                         "--locale", "ja"])
    tracks = json.loads(result.output)["tracks"]
    assert set(tracks) == {"main", "bereavement", "nicu"} and tracks["bereavement"]["gap"] == 0
    text = CliRunner().invoke(main, ["-w", str(sample_path), "coverage", "--town", "202029", "--locale", "ja"]).output
    assert "track bereavement: 6 slots, 0 gaps, 0 collisions" in text
