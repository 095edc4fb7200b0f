"""The やさしい日本語 rules (``easy/*``) as a writer of the ja-easy edition meets them: each rule on
faulty and clean texts (the labelled set in ``data/easy_labelled.yaml``, traps included), the
locales they apply to, the workspace glossary, options, ``kizuna lint`` and the bundled sample."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kizuna.catalog import yamlio
from kizuna.catalog.errors import WorkspaceError
from kizuna.catalog.workspace import config_from_data, config_to_data, load_workspace
from kizuna.cli import main
from kizuna.review.checks import RULES, check_text, config_for, parse_config, run_checks
from tests.conftest import SMALL_CONFIG, small_message

pytestmark = pytest.mark.usefixtures("japanese")  # findings in Japanese (tests/review/conftest.py)

LABELLED = yamlio.read(Path(__file__).parent / "data" / "easy_labelled.yaml")
EASY_RULES = {"easy/sentence-length", "easy/double-negative", "easy/honorific", "easy/passive-causative",
              "easy/hard-word", "easy/loanword", "easy/onomatopoeia", "easy/notation", "easy/directive"}


def easy(text: str, locale: str = "ja-easy", **kw) -> list:
    return [f for f in check_text(text, locale, **kw) if f.rule.startswith("easy/")]


def test_every_easy_rule_is_registered_with_a_japanese_description() -> None:
    assert EASY_RULES <= set(RULES)
    for rule_id in EASY_RULES:
        assert RULES[rule_id].lint and RULES[rule_id].description and RULES[rule_id].level == "warning"


@pytest.mark.parametrize("item", LABELLED["items"] + LABELLED["holdout"], ids=lambda i: i["text"][:24])
def test_labelled_text_gets_exactly_the_expected_rules(item: dict) -> None:
    assert {f.rule for f in easy(item["text"])} == set(item["expect"])


def test_labelled_set_has_faulty_and_clean_texts_for_every_rule() -> None:
    items = LABELLED["items"]
    for rule_id in EASY_RULES:
        assert sum(rule_id in i["expect"] for i in items) >= 3, rule_id
    assert sum(not i["expect"] for i in items) >= 30


def test_findings_name_the_word_and_say_what_to_do() -> None:
    text = "赤ちゃんが生まれたら、保健師が家に来ます。早めに予約しましょう。"
    found = {f.rule: f for f in easy(text)}
    hard = found["easy/hard-word"]
    assert text[hard.span[0]:hard.span[1]] == "保健師"
    assert "保健師" in hard.message and "（よみかた）" in hard.suggestion
    directive = found["easy/directive"]
    assert text[directive.span[0]:directive.span[1]] == "予約しましょう"
    assert "してください" in directive.suggestion


# --- which texts the rules read -------------------------------------------------------------------

def test_standard_japanese_is_not_held_to_plain_language_rules() -> None:
    text = "保健師がお伺いいたします。早めに予約しましょう。"
    assert easy(text, "ja") == []
    assert {f.rule for f in easy(text, "ja-easy")} == {"easy/hard-word", "easy/honorific", "easy/directive"}


def test_kizuna_yaml_marks_other_locales_as_plain_language(make_workspace) -> None:
    config = {**SMALL_CONFIG, "locales": ["ja", "ja-plain", "ja-easy", "en"], "plain_language": ["ja-plain"]}
    message = small_message("p08w-hello", "P8w", "妊娠8週です。")
    message["texts"]["ja-plain"] = {"text": "早めに予約しましょう。"}
    message["texts"]["ja-easy"] = {"text": "早めに予約しましょう。"}
    root = make_workspace(messages=[message], config=config)
    ws = load_workspace(root)
    rules = {(f.locale, f.rule) for f in run_checks(ws) if f.rule.startswith("easy/")}
    assert rules == {("ja-plain", "easy/directive")}
    assert config_to_data(ws.config)["plain_language"] == ["ja-plain"]


def test_without_plain_language_the_easy_locales_are_plain(make_workspace) -> None:
    ws = load_workspace(make_workspace())
    assert ws.config.plain_locales == ("ja-easy",) and "plain_language" not in config_to_data(ws.config)
    assert config_for(ws).is_plain("ja-easy") and not config_for(ws).is_plain("ja")


def test_plain_language_naming_an_unknown_locale_is_bad_input() -> None:
    with pytest.raises(WorkspaceError) as err:
        config_from_data({**SMALL_CONFIG, "plain_language": ["ja-simple"]}, "kizuna.yaml")
    assert err.value.field == "plain_language" and "ja-simple" in str(err.value)


# --- glossary and options ----------------------------------------------------------------------

def test_workspace_glossary_allows_words_without_reading(make_workspace) -> None:
    message = small_message("p08w-hello", "P8w", "妊娠8週です。")
    message["texts"]["ja-easy"] = {"text": "世田谷区の保健師に、アポイントを取れます。"}
    root = make_workspace(messages=[message])
    ws = load_workspace(root)
    before = {f.rule for f in run_checks(ws, locales=["ja-easy"]) if f.rule.startswith("easy/")}
    assert before == {"easy/hard-word", "easy/loanword"}
    yamlio.write(root / "easy_glossary.yaml", {"words": ["世田谷区", {"word": "保健師", "note": "職名"}, "アポイント"]})
    after = [f for f in run_checks(load_workspace(root), locales=["ja-easy"]) if f.rule.startswith("easy/")]
    assert after == []


def test_broken_glossary_names_the_file_and_entry(make_workspace) -> None:
    root = make_workspace()
    yamlio.write(root / "easy_glossary.yaml", {"words": ["保健師", {"note": "no word"}]})
    ws = load_workspace(root)
    with pytest.raises(WorkspaceError) as err:
        check_text("保健師が来ます。", "ja-easy", config=ws)
    assert err.value.field == "words[1]" and "easy_glossary.yaml" in str(err.value.path)


def test_a_reading_covers_later_occurrences_and_a_hard_word_is_reported_once() -> None:
    assert easy("保健師（ほけんし）が来ます。保健師に話せます。") == []
    found = easy("保健師が来ます。保健師に話せます。")
    assert len(found) == 1 and found[0].span == (0, 3)


def test_channel_with_ruby_needs_no_readings_but_long_compounds_still_count() -> None:
    ruby = {"rules": {"easy/hard-word": {"options": {"ruby": True}}}}
    assert easy("保健師が来ます。", config=ruby) == []
    assert [f.rule for f in easy("出生連絡票を出します。", config=ruby)] == ["easy/hard-word"]


def test_kanji_level_is_configurable() -> None:
    assert easy("保健師が来ます。", config={"rules": {"easy/hard-word": {"options": {"max_grade": 6}}}}) == []
    assert easy("洗ってください。") == []  # 洗 is a 旧JLPT 3級 kanji (option jlpt_old, default 3)
    strict = {"rules": {"easy/hard-word": {"options": {"jlpt_old": 0}}}}
    assert [f.rule for f in easy("洗ってください。", config=strict)] == ["easy/hard-word"]


def test_age_style_is_configurable() -> None:
    sai = {"rules": {"easy/notation": {"options": {"age": "さい"}}}}
    assert easy("5さいまでです。", config=sai) == []
    assert [f.suggestion for f in easy("5歳までです。", config=sai)] == ["「さい」にそろえましょう"]


def test_lexicalised_causatives_can_be_allowed() -> None:
    assert easy("用事をすませてください。") == []  # 済ませる: 済む is allowed by default
    assert easy("用事をすませてください。", config={"rules": {"easy/passive-causative": {"options": {"allow": []}}}})
    allow = {"rules": {"easy/passive-causative": {"options": {"allow": ["遊ぶ"]}}}}
    assert easy("子どもを遊ばせます。", config=allow) == []
    assert [f.rule for f in easy("子どもを遊ばせます。")] == ["easy/passive-causative"]


@pytest.mark.parametrize(("rule_id", "options", "field"), [
    ("easy/hard-word", {"max_grade": 9}, "max_grade"),
    ("easy/hard-word", {"jlpt_old": 5}, "jlpt_old"),
    ("easy/notation", {"age": "才"}, "age"),
    ("easy/sentence-length", {"max": 0}, "max"),
    ("easy/loanword", {"allow": [1]}, "allow"),
])
def test_wrong_option_values_name_the_field(rule_id: str, options: dict, field: str) -> None:
    with pytest.raises(WorkspaceError) as err:
        parse_config({"rules": {rule_id: {"options": options}}})
    assert err.value.field == f"checks.rules.{rule_id}.options.{field}"


def test_readings_do_not_count_towards_sentence_length() -> None:
    text = "2歳になる前に、「母子健康手帳（ぼしけんこうてちょう）」で予防接種（よぼうせっしゅ）の記録を見てみませんか。"
    assert len(text) > 50 and easy(text) == []


# --- commands and the sample ---------------------------------------------------------------------

def test_lint_with_the_easy_locale_runs_the_easy_rules(tmp_path: Path) -> None:
    draft = tmp_path / "draft.txt"
    draft.write_text("赤ちゃんがにこにこしています。\n早めに予約しましょう。\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["lint", "--locale", "ja-easy", "--format", "json", str(draft)])
    assert result.exit_code == 0
    found = [(d["rule"], d["line"], d["column"]) for d in json.loads(result.output)]
    assert ("easy/onomatopoeia", 1, 6) in found and ("easy/directive", 2, 4) in found
    standard = CliRunner().invoke(main, ["lint", "--locale", "ja", "--format", "json", str(draft)])
    assert not [d for d in json.loads(standard.output) if d["rule"].startswith("easy/")]


def test_sample_ja_easy_texts_pass_the_easy_rules(sample_ws) -> None:
    found = [f for f in run_checks(sample_ws, locales=["ja-easy"]) if f.rule.startswith("easy/")]
    assert found == []
    texts = [m.text("ja-easy") for m in sample_ws.messages.values() if m.text("ja-easy")]
    assert not any("ましょう" in t for t in texts)
    assert any("保健師（ほけんし）" in t for t in texts) and any("結核（けっかく）" in t for t in texts)


def test_town_blocks_in_the_easy_locale_are_checked(make_workspace) -> None:
    from tests.conftest import SMALL_TOWN

    town = {**SMALL_TOWN, "locales": ["ja", "ja-easy"],
            "blocks": {"B0d": {"ja": "【松本市より】出生届は14日以内に提出できます。",
                               "ja-easy": "【松本市より】出生届は、早めに出しましょう。"}}}
    root = make_workspace(towns=[town])
    found = [f for f in run_checks(load_workspace(root)) if f.rule.startswith("easy/")]
    assert {(f.rule, f.town, f.locale, f.stage) for f in found} == {
        ("easy/hard-word", "202029", "ja-easy", "B0d"), ("easy/directive", "202029", "ja-easy", "B0d")}
    assert all(f.path == "towns/202029.yaml" and f.line == 1 for f in found)
