"""The check engine and the text rules as a writer meets them: configuration, ignores, tone,
vocabulary, length, readability."""
from __future__ import annotations

from pathlib import Path

import pytest

from kizuna.catalog import yamlio
from kizuna.catalog.errors import KizunaError, WorkspaceError
from kizuna.catalog.workspace import load_workspace
from kizuna.review.checks import RULES, check_message, check_text, parse_config
from kizuna.review.checks.readability import jreadability
from kizuna.review.checks.text import TextDoc
from tests.conftest import SMALL_CONFIG, small_message

pytestmark = pytest.mark.usefixtures("japanese")  # findings in Japanese (tests/review/conftest.py)

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
    ({"rules": []}, "checks.rules"),
    ({"rules": {"length/sentence": {"options": {"max": 80.5}}}}, "checks.rules.length/sentence.options.max"),
    ({"rules": {"length/sentence": {"options": {"max": -5}}}}, "checks.rules.length/sentence.options.max"),
    ({"rules": {"length/sentence": {"options": {"max": 0}}}}, "checks.rules.length/sentence.options.max"),
    ({"rules": {"length/sentence": {"options": {"skip_patterns": ["/([/"]}}}},
     "checks.rules.length/sentence.options.skip_patterns[0]"),
    ({"rules": {"tone/doubled-particle": {"options": {"allow": [1, 2]}}}},
     "checks.rules.tone/doubled-particle.options.allow"),
    ({"rules": {"length/preview": {"options": {"greetings": [1]}}}}, "checks.rules.length/preview.options.greetings"),
    ({"rules": {"readability": {"options": {"bands": [{"from": "B0d", "to": "B1m", "ja_min": "high"}]}}}},
     "checks.rules.readability.options.bands[0].ja_min"),
    ({"rules": {"tone/mixed-style": {"options": {"prefer": "です調"}}}}, "checks.rules.tone/mixed-style.options.prefer"),
    ({"rules": {"tone/too-many-commas": {"options": {"touten": ""}}}},
     "checks.rules.tone/too-many-commas.options.touten"),
    ({"rules": {"length/channel": {"options": {"sms_max_parts": 0}}}},
     "checks.rules.length/channel.options.sms_max_parts"),
    ({"rules": {"tone/wordlist": {"options": {"lists": [3]}}}}, "checks.rules.tone/wordlist.options.lists"),
])
def test_bad_checks_config_names_the_field(section: dict, field: str) -> None:
    with pytest.raises(WorkspaceError) as err:
        parse_config(section)
    assert err.value.field == field
    assert err.value.path == "kizuna.yaml"


def test_option_values_of_the_right_kind_are_taken() -> None:
    config = parse_config({"rules": {"readability": {"options": {"ja_min": 3, "grade_max": 7}},
                                     "length/sentence": {"options": {"max": 80, "skip_patterns": ["/（.*?）/"]}},
                                     "tone/mixed-style": {"options": {"prefer": "である"}}}})
    assert config.setting("readability").options["ja_min"] == 3
    assert config.setting("length/sentence").options["max"] == 80
    long = "あ" * 75 + "（" + "い" * 30 + "）。"  # 108 units; 76 without the parenthesis
    assert "length/sentence" not in rules_of(check_text(long, "ja", config=config))
    assert "length/sentence" in rules_of(check_text(long, "ja"))


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


@pytest.mark.parametrize(("text", "kind"), [
    ("今日はしっかり休め。", "命令"),
    ("休め。", "命令"),  # UniDic reads it as 休める (下一段) 連用形: the 命令形 of 五段 休む
    ("タバコはやめろ。", "命令"),
    ("赤ちゃんを揺さぶるのはやめなさい。", "命令"),
    ("毎日体重を測らなきゃいけません。", "義務"),
    ("毎日体重を測らなくちゃいけません。", "義務"),
    ("毎日体重を測らねばなりません。", "義務"),
    ("授乳は母乳でなければなりません。", "義務"),  # でなければ: UniDic 形容詞 無い, not 助動詞 ない
    ("母乳でなくてはいけません。", "義務"),
    ("夜更かしをしちゃいけません。", "禁止"),
    ("夜更かしをしちゃだめです。", "禁止"),
    ("夜更かしをしてはなりません。", "禁止"),
    ("受診すべきだと思います。", "べき"),  # an opinion that still prescribes
    ("健診は必ず受けなければならないということです。", "義務"),  # と + いう, not denied
])
def test_colloquial_and_copular_commands_are_found(text: str, kind: str) -> None:
    found = [f for f in check_text(text, "ja") if f.rule == "tone/command"]
    assert len(found) == 1, found
    assert kind in found[0].message


@pytest.mark.parametrize("text", [
    "おやすみなさい。", "ごめんなさい。", "お帰りなさい。", "おかえりなさい。", "いってらっしゃい。", "どうぞ召し上がれ。",
    "今夜も「おやすみなさい」と声をかけてあげましょう。",
    "「早く寝なさい」と言わなくても大丈夫です。",  # quoted speech, not said to the reader
    "寝る前に歯をみがきなさいと言わなくても大丈夫です。",
    "受診すべきか迷ったときは、#8000に電話してください。",  # a question, not an order
    "どこに相談すべきかわからないときは、窓口へどうぞ。",
    "すぐに受診しなければなりませんか。",
    "毎日お風呂に入れなければならないわけではありません。",  # the obligation is denied
    "毎日お風呂に入れなくてはいけないということはありません。",
    "してはいけないことはありません。",
    "完璧にしなければいけないと思いがちですが、大丈夫です。",  # the reader's thought, reported
    "ミルクは決まった量を飲ませなければと思わなくて大丈夫です。",
    "早く寝ろって言われても、眠れない日もあります。",
    "困ったときは、いつでも相談してください。", "授乳の前には手を洗いましょう。", "無理をしないでくださいね。",
])
def test_warm_text_quotes_questions_and_reassurance_are_not_commands(text: str) -> None:
    assert [f.message for f in check_text(text, "ja") if f.rule.startswith("tone/")] == []


@pytest.mark.parametrize(("text", "column", "fixed"), [
    ("いつでも食べれる。", 7, "食べられる"),  # UniDic: 食べ (未然形) + れる (助動詞), not one potential verb
    ("番号付きの項目でも食べれる。", 12, "食べられる"),
    ("テレビを見れる時間も増えます。", 6, "見られる"),
    ("明日は来れますか。", 5, "来られ"),
    ("寝れない夜もあります。", 2, "寝られ"),
])
def test_ranuki_in_both_unidic_readings(text: str, column: int, fixed: str) -> None:
    (f,) = [f for f in check_text(text, "ja") if f.rule == "tone/ranuki"]
    assert f.column == column and fixed in f.suggestion


@pytest.mark.parametrize("text", ["本が書かれる。", "名前を呼ばれる。", "手紙を出される。", "離乳食が食べられるようになります。",
                                  "赤ちゃんの顔が見られるのが楽しみですね。", "帰れる日が決まります。", "話せるようになります。"])
def test_passives_and_correct_potentials_are_not_ranuki(text: str) -> None:
    assert "tone/ranuki" not in rules_of(check_text(text, "ja"))


def test_commas_in_a_list_of_derived_nouns_do_not_count() -> None:
    """明るさ is 明るい + さ (UniDic 接尾辞, IPADIC 名詞,接尾): a list item like any noun."""
    text = "赤ちゃんは、生まれてすぐ、目がよく見えず、明るさ、音、においを感じています。"
    assert "tone/too-many-commas" not in rules_of(check_text(text, "ja"))
    assert "tone/too-many-commas" in rules_of(check_text("もし、夜中に、赤ちゃんが、急に、熱を出したら。", "ja"))


def test_terms_dictionary_suggests_the_preferred_and_parent_neutral_wording() -> None:
    found = [f for f in check_text("子供の乳児検診には、ママが抱っこして行きます。", "ja") if f.rule == "tone/terms"]
    assert [f.suggestion for f in found] == ["「子ども」", "「乳児健診」", "「おうちの方が抱っこ」"]
    assert "tone/terms" not in rules_of(check_text("お母さんの体を大切にしてください。", "ja"))


def test_wordlist_flags_blame_fear_and_stigma() -> None:
    found = [f for f in check_text("手遅れになる前に。問題を抱えた家庭のための窓口です。", "ja") if f.rule == "tone/wordlist"]
    assert [("fear" in f.message, "stigma" in f.message) for f in found] == [(True, False), (False, True)]


def test_english_word_list_findings_read_as_english(english: None) -> None:
    (f,) = [f for f in check_text("If you are a bad mother, ask for help.", "en") if f.rule == "tone/wordlist"]
    assert f.message == '"bad mother": blames the reader (blame-en).'
    assert "「" not in f.message and "（" not in f.message


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
    with pytest.raises(KizunaError, match="does not exist") as err:
        check_text("子供", "ja", config=config)
    assert err.value.field == "checks.rules.tone/terms.options.dictionary" and "kizuna.yaml" in str(err.value)


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


class _Morpheme:
    def __init__(self, pos1: str, goshu: str) -> None:
        self.pos1, self.goshu = pos1, goshu


def test_jreadability_is_the_published_formula() -> None:
    """X = mean sentence length × −0.056 + kango % × −0.126 + wago % × −0.042 + verb % × −0.145
    + auxiliary-verb % × −0.044 + 11.724 (Lee & Hasebe; KAKENHI 25370573 final report): the fifth
    term counts 助動詞, not 助詞, and every verb counts (ある in あります too)."""
    m = _Morpheme
    first = [m("名詞", "漢"), m("助詞", "和"), m("動詞", "和"), m("助動詞", "和"), m("補助記号", "記号")]
    second = [m("名詞", "外"), m("助詞", "和"), m("動詞", "和"), m("補助記号", "記号"), m("動詞", "和")]
    n = 10
    expected = (n / 2 * -0.056 + 100 * 1 / n * -0.126 + 100 * 6 / n * -0.042 + 100 * 3 / n * -0.145
                + 100 * 1 / n * -0.044 + 11.724)
    assert jreadability([first, second]) == pytest.approx(expected)
    from kizuna.review.checks.readability import JREADABILITY
    assert JREADABILITY == {"sentence": -0.056, "kango": -0.126, "wago": -0.042, "verb": -0.145,
                            "auxiliary": -0.044, "intercept": 11.724}
    import kizuna.review.checks.readability as module
    assert "auxiliary verbs" in module.__doc__ and "11.724" in module.__doc__


def test_jreadability_orders_texts_like_its_levels() -> None:
    """Two sample texts of jreadability.net (as used by the jreadability package's tests): the
    beginner text scores far above the academic one, which lands at 上級後半 (< 1.5)."""
    easy = ("李さんは毎日お酒をのんでいます。お金もなくなりました。しかし、仕事はきらいです。いろいろ考えました。"
            "神様にお願いすることにしました。しかし、神様がどこにいるのかわかりません。困りました。図書館にいきました。")
    hard = ("数学は，科学を記述する普遍的な言語であるという基本的な性格を持つ。ニュートン以後１９世紀まで，古典物理学と数学とは，"
            "微分方程式と特殊関数の研究を“かなめ”として即かず離れずの関係で発展してきたが，今世紀に至り，場の量子論・統計力学と"
            "現代数学が結合し，数理物理学の新しい発展を遂げることになった。")
    assert jreadability(TextDoc(easy).sentence_tokens) >= 3.5
    assert jreadability(TextDoc(hard).sentence_tokens) < 1.5
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
    from kizuna.catalog.stages import Stage
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
