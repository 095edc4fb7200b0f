"""The check engine and the text rules as a writer meets them: configuration, ignores, tone,
vocabulary, length, readability."""
from __future__ import annotations

from pathlib import Path

import pytest

from catalog import yamlio
from catalog.errors import KizunaError, WorkspaceError
from catalog.workspace import load_workspace
from review.checks import RULES, check_message, check_text, parse_config
from review.checks.readability import jreadability
from review.checks.text import TextDoc
from tests.conftest import SMALL_CONFIG, small_message

ISSUE_RULE_IDS = {"tone/mixed-style", "tone/command", "tone/ranuki", "tone/too-many-commas",
                  "tone/doubled-particle", "tone/terms", "tone/wordlist", "length/sentence",
                  "length/channel", "length/preview", "readability", "template/variables",
                  "translation/stale", "coverage/gap", "coverage/collision", "coverage/milestone"}


def rules_of(findings: list) -> set[str]:
    return {f.rule for f in findings}


def test_every_rule_id_of_the_issue_is_registered() -> None:
    assert ISSUE_RULE_IDS <= set(RULES)


# --- configuration -----------------------------------------------------------------------------

def test_unknown_rule_id_is_an_error_naming_the_field_and_a_guess() -> None:
    with pytest.raises(WorkspaceError) as err:
        parse_config({"rules": {"tone/comand": {"level": "error"}}})
    assert err.value.field == "checks.rules.tone/comand" and "tone/command" in str(err.value)


@pytest.mark.parametrize(("section", "field"), [
    ({"rules": {"tone/command": {"level": "fatal"}}}, "checks.rules.tone/command.level"),
    ({"rules": {"length/sentence": {"options": {"maximum": 80}}}}, "checks.rules.length/sentence.options.maximum"),
    ({"rules": {"length/sentence": {"options": {"max": "long"}}}}, "checks.rules.length/sentence.options.max"),
    ({"rules": {"tone/doubled-particle": {"options": {"min_interval": 0}}}},
     "checks.rules.tone/doubled-particle.options.min_interval"),
    ({"rules": {"readability": {"options": {"bands": [{"from": "B3m", "to": "B1m"}]}}}},
     "checks.rules.readability.options.bands[0]"),
    ({"rules": {"tone": {"options": {"max": 3}}}}, "checks.rules.tone.options"),
    ({"rule": {}}, "checks"),
])
def test_bad_checks_config_names_the_field(section: dict, field: str) -> None:
    with pytest.raises(WorkspaceError) as err:
        parse_config(section)
    assert err.value.field == field
    assert err.value.path == "kizuna.yaml"


def test_family_switch_then_rule_override() -> None:
    config = parse_config({"rules": {"tone": "off", "tone/ranuki": {"level": "error"}}})
    assert not config.setting("tone/command").enabled
    ranuki = config.setting("tone/ranuki")
    assert ranuki.enabled and ranuki.level == "error"
    found = check_text("手を洗え。お刺身を食べれない。", "ja", config=config)
    assert rules_of(found) & {"tone/command", "tone/ranuki"} == {"tone/ranuki"}
    assert [f.level for f in found if f.rule == "tone/ranuki"] == ["error"]


# --- tone -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "kind"), [
    ("すぐに手を洗え。", "命令"),  # UniDic reads 洗え as the potential verb 洗える
    ("夜は早く寝ろ。", "命令"),
    ("ゆっくり休め。", "命令"),
    ("毎日歯をみがきなさい。", "命令"),
    ("健診は必ず受診すべきです。", "べき"),
    ("毎月、体重を記録しなければなりません。", "義務"),
    ("ワクチンは打たないといけません。", "義務"),
    ("妊娠中はお酒を飲んではいけません。", "禁止"),
    ("赤ちゃんを泣かせるな。", "禁止"),
])
def test_commanding_forms_are_found_with_a_softer_suggestion(text: str, kind: str) -> None:
    found = [f for f in check_text(text, "ja") if f.rule == "tone/command"]
    assert len(found) == 1, found
    assert kind in found[0].message and "しょう" in found[0].suggestion


@pytest.mark.parametrize("text", [
    "手を洗ってください。", "眠れる時間を少しでもつくれるように、ご家族で相談してみませんか。",
    "いつでも相談できます。", "手を洗えば安心です。", "お大事になさってください。",
])
def test_polite_requests_and_potential_forms_are_not_commands(text: str) -> None:
    assert "tone/command" not in rules_of(check_text(text, "ja"))


def test_terms_dictionary_suggests_the_preferred_and_parent_neutral_wording() -> None:
    found = [f for f in check_text("子供の乳児検診には、ママが抱っこして行きます。", "ja") if f.rule == "tone/terms"]
    assert [f.suggestion for f in found] == ["「子ども」", "「乳児健診」", "「おうちの方が抱っこ」"]
    assert "tone/terms" not in rules_of(check_text("お母さんの体を大切にしてください。", "ja"))


def test_wordlist_flags_blame_fear_and_stigma() -> None:
    found = [f for f in check_text("手遅れになる前に。問題を抱えた家庭のための窓口です。", "ja") if f.rule == "tone/wordlist"]
    assert [("fear" in f.message, "stigma" in f.message) for f in found] == [(True, False), (False, True)]


def test_workspace_dictionary_and_lists_are_used_and_checked(tmp_path: Path) -> None:
    yamlio.write(tmp_path / "terms.yaml", {"version": 1, "rules": [
        {"expected": "こども家庭センター", "pattern": "子育て世代包括支援センター",
         "specs": [{"from": "子育て世代包括支援センターへ", "to": "こども家庭センターへ"}]}]})
    yamlio.write(tmp_path / "wordlist.yaml", {"local": {"reason": "町の方針で使わない", "words": ["育児ノイローゼ"]}})
    config = parse_config(None, root=tmp_path)
    found = check_text("子育て世代包括支援センターで育児ノイローゼの相談", "ja", config=config)
    assert {"tone/terms", "tone/wordlist"} <= rules_of(found)
    yamlio.write(tmp_path / "terms.yaml", {"version": 1, "rules": [
        {"expected": "A", "pattern": "B", "specs": [{"from": "B", "to": "C"}]}]})
    with pytest.raises(KizunaError) as err:
        check_text("B", "ja", config=parse_config(None, root=tmp_path))
    assert err.value.field == "rules[0].specs[0]" and "terms.yaml" in str(err.value)


def test_configured_dictionary_that_does_not_exist_is_bad_input(tmp_path: Path) -> None:
    config = parse_config({"rules": {"tone/terms": {"options": {"dictionary": ["missing.yaml"]}}}}, root=tmp_path)
    with pytest.raises(KizunaError, match="does not exist"):
        check_text("子供", "ja", config=config)


# --- length and readability -------------------------------------------------------------------------

def test_sentence_length_counts_utf16_units() -> None:
    emoji_sentence = "😀" * 51 + "。"  # 51 surrogate pairs = 102 UTF-16 code units, 52 characters
    (f,) = [f for f in check_text(emoji_sentence, "ja") if f.rule == "length/sentence"]
    assert "103文字" in f.message


def test_preview_wants_the_point_in_a_short_first_line() -> None:
    greeting = [f for f in check_text("おはようございます！\n今日で妊娠12週です。", "ja") if f.rule == "length/preview"]
    assert "あいさつだけ" in greeting[0].message
    long_first = "今日は" + "とても" * 15 + "大切なお知らせです。"
    assert "length/preview" in rules_of(check_text(long_first, "ja"))
    assert "length/preview" not in rules_of(check_text("今日で妊娠12週です。\n" + "あ" * 200, "ja"))


def test_jreadability_orders_texts_like_its_levels() -> None:
    """Calibration on two sample texts of jreadability.net (as used by the jreadability package's
    tests): a beginner text scores 初級 (≥ 4.5), an academic one 上級 (< 2.5)."""
    easy = ("李さんは毎日お酒をのんでいます。お金もなくなりました。しかし、仕事はきらいです。いろいろ考えました。"
            "神様にお願いすることにしました。しかし、神様がどこにいるのかわかりません。困りました。図書館にいきました。")
    hard = ("数学は，科学を記述する普遍的な言語であるという基本的な性格を持つ。ニュートン以後１９世紀まで，古典物理学と数学とは，"
            "微分方程式と特殊関数の研究を“かなめ”として即かず離れずの関係で発展してきたが，今世紀に至り，場の量子論・統計力学と"
            "現代数学が結合し，数理物理学の新しい発展を遂げることになった。")
    assert jreadability(TextDoc(easy).sentence_tokens) >= 4.5
    assert jreadability(TextDoc(hard).sentence_tokens) < 2.5
    (f,) = [f for f in check_text(hard, "ja") if f.rule == "readability"]
    assert "上級" in f.message


def test_english_readability_uses_a_textstat_grade_and_stage_bands() -> None:
    text = ("Comprehensive immunization schedules necessitate meticulous documentation, "
            "particularly regarding contraindications and administration intervals for "
            "concomitant vaccinations during infancy and early childhood developmental periods.")
    assert "readability" in rules_of(check_text(text, "en"))
    relaxed = parse_config({"rules": {"readability": {"options": {
        "grade_max": 99, "bands": [{"from": "B0d", "to": "B3m", "grade_max": 4}]}}}})
    assert "readability" not in rules_of(check_text(text, "en", config=relaxed))
    from catalog.stages import Stage
    assert "readability" in rules_of(check_text(text, "en", config=relaxed, stage=Stage.parse("B1m")))


# --- messages: ignores ----------------------------------------------------------------------------------

def test_an_ignore_with_a_reason_is_shown_and_not_counted(make_workspace) -> None:
    root = make_workspace(messages=[small_message(
        "b00d-birth", "B0d", "手を洗え。", ignore=[{"rule": "tone/command", "reason": "引用した標語のため"}])],
        config={**SMALL_CONFIG, "checks": {"rules": {"tone/command": {"level": "error"}}}})
    ws = load_workspace(root)
    (f,) = [f for f in check_message(ws, ws.messages["b00d-birth"], "ja") if f.rule == "tone/command"]
    assert f.ignored_reason == "引用した標語のため" and not f.counts and f.level == "error"
    assert f.path == "messages/b00d-birth.yaml"
