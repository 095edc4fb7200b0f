"""The bundled sample's decisions log is realistic: mostly approved, some stale, some awaiting."""
from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

from kizuna.catalog.stages import Stage
from kizuna.catalog.workspace import Workspace
from kizuna.sample_decisions import earlier_stage, earlier_text, generate
from kizuna.review.decisions import log_path, read_log, verify_log
from kizuna.review.signoff import counts, queue, status


def test_sample_log_is_whole_and_mostly_approved(sample_ws: Workspace) -> None:
    assert verify_log(sample_ws.root) == []
    decisions = read_log(sample_ws.root)
    when = max(d.at for d in decisions) + timedelta(days=1)  # the log's own "today"
    found = status(sample_ws, now=when)
    n = counts(found)
    assert n["approved"] >= 0.6 * len(found)
    assert n["stale"] >= 3 and n["expired"] >= 1
    assert n["draft"] + n["in_review"] + n["changes_requested"] >= 5
    reasons = {r for st in found.values() if st.state == "stale" for r in st.reasons}
    assert "承認後に本文が変わりました" in reasons and any("ステージが" in r for r in reasons)
    assert any(st.state == "approved" and st.is_block for st in found.values())
    assert {d.decision for d in decisions} == {"approve", "changes", "comment"}
    assert any(queue(sample_ws, r, now=when) for r in sample_ws.reviewers)


def test_generator_is_deterministic(sample_path: Path, tmp_path: Path) -> None:
    other = tmp_path / "again"
    shutil.copytree(sample_path, other)
    first = generate(sample_path, today=date(2026, 6, 1), seed=3)
    second = generate(other, today=date(2026, 6, 1), seed=3)
    assert first == second
    assert log_path(sample_path).read_bytes() == log_path(other).read_bytes()


def test_earlier_versions() -> None:
    assert earlier_text("一文目です。二文目です。") == "一文目です。"
    assert earlier_text("一文だけです。").startswith("一文だけです。") and len(earlier_text("一文だけです。")) > 8
    assert earlier_stage(Stage.parse("P12w")) == Stage.parse("P11w")
    assert earlier_stage(Stage.parse("P4w")) == Stage.parse("P5w")
    assert earlier_stage(Stage.parse("B2m")) == Stage.parse("B2m1d")
