"""Registrant fields in checks: known to template/variables, and texts that read well without them."""
from __future__ import annotations

from typing import Any

import pytest

from kizuna.catalog.tracks import Registrants, registrants_from_data
from kizuna.catalog.workspace import load_workspace
from kizuna.review.checks import check_message
from kizuna.review.checks.registrant import missing_value_problems
from tests.conftest import SMALL_CONFIG, small_message

pytestmark = pytest.mark.usefixtures("japanese")  # findings in Japanese (tests/review/conftest.py)

CHILD_FALLBACK = registrants_from_data({"fields": {"child.nickname": {"missing": "赤ちゃん"}}}, "kizuna.yaml")


def test_honorific_left_without_a_name_is_reported() -> None:
    got = missing_value_problems("{{ reader.nickname }}さん、ご出産おめでとうございます。", Registrants())
    assert got == [("reader.nickname", "名前のない「さん」が残ります")]


def test_particle_at_sentence_start_unless_a_fallback_word_fills_it() -> None:
    text = "{{ child.nickname }}の成長が楽しみですね。"
    assert missing_value_problems(text, Registrants())[0][0] == "child.nickname"
    assert missing_value_problems(text, CHILD_FALLBACK) == []


def test_doubled_punctuation_and_texts_that_read_well() -> None:
    assert missing_value_problems("こんにちは、{{ reader.nickname }}。", Registrants())
    assert missing_value_problems("今日もおつかれさまです。", Registrants()) == []
    assert missing_value_problems("ご家族みなさんで、{{ child.nickname }}のお祝いを。", CHILD_FALLBACK) == []


def rules_for(make_workspace, text: str, **extra: Any) -> set[str]:
    config = {**SMALL_CONFIG, **extra}
    root = make_workspace(messages=[small_message("b00d-x", "B0d", text)], config=config,
                          name=f"ws{abs(hash(text))}")
    ws = load_workspace(root)
    return {f.rule for f in check_message(ws, ws.messages["b00d-x"], "ja") if f.ignored_reason is None}


def test_check_runs_on_messages_and_template_variables_know_registrant_fields(make_workspace) -> None:
    bad = rules_for(make_workspace, "{{ reader.nickname }}さん、おめでとうございます。")
    assert "registrant/missing-value" in bad and "template/variables" not in bad
    good = rules_for(make_workspace, "{{ child.nickname }}の誕生、おめでとうございます。",
                     registrants={"fields": {"child.nickname": {"missing": "赤ちゃん"}}})
    assert "registrant/missing-value" not in good and "template/variables" not in good
    assert "template/variables" in rules_for(make_workspace, "{{ reader.age }}歳のあなたへ。")


def test_twins_variant_is_checked_like_the_text(make_workspace) -> None:
    raw = small_message("b00d-x", "B0d", "ご出産おめでとうございます。")
    raw["texts"]["ja"]["multiples"] = "{{ reader.nickname }}さん、ふたりのご誕生おめでとうございます。"
    ws = load_workspace(make_workspace(messages=[raw], config=SMALL_CONFIG, name="twins"))
    found = [f for f in check_message(ws, ws.messages["b00d-x"], "ja") if f.rule == "registrant/missing-value"]
    assert len(found) == 1 and found[0].message.startswith("（双子以上の文）") and found[0].line is None
