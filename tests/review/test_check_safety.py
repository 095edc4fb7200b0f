"""Safety language is not punished, and safety advice is specific: safety-critical topics allow
the words clinicians require, red flags need an action and a time, and mental-health messages
carry a crisis contact. Faulty and clean examples, through ``kizuna check`` and run_checks."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kizuna.catalog import yamlio
from kizuna.catalog.errors import WorkspaceError
from kizuna.catalog.workspace import load_workspace
from kizuna.cli import main
from kizuna.review.checks import RULES, check_text, run_checks
from tests.conftest import SMALL_CONFIG, small_message

pytestmark = pytest.mark.usefixtures("japanese")  # findings in Japanese (tests/review/conftest.py)

def message(mid: str, text: str, topics: list[str], en: str | None = None) -> dict:
    m = small_message(mid, "B1m", text, topics=topics)
    if en is not None:
        m["texts"]["en"] = {"text": en}
    return m


def findings_of(ws_root: Path, rule: str) -> list:
    return [f for f in run_checks(load_workspace(ws_root)) if f.rule == rule]


def test_rules_are_registered_with_japanese_names() -> None:
    for rule_id in ("safety/red-flag-advice", "safety/crisis-contact"):
        assert rule_id in RULES and RULES[rule_id].name and RULES[rule_id].message is not None


# --- tone/wordlist: safety words -------------------------------------------------------------------

DANGER = "ボタン電池を飲み込むと、短い時間で食道に穴があき、命に関わることがあります。"


def test_safety_words_are_allowed_in_a_safety_critical_topic(make_workspace) -> None:
    root = make_workspace(messages=[message("m-battery", DANGER + "飲み込んだかもしれないときは、すぐに受診してください。",
                                            ["safety"]),
                                    message("m-daily", "夜泣きで命に関わると思うほど疲れる日もあります。", ["daily-life"])])
    hits = findings_of(root, "tone/wordlist")
    assert [f.message_id for f in hits] == ["m-daily"]          # the same words elsewhere still count
    assert "命に関わ" in hits[0].message


def test_lint_outside_a_workspace_still_flags_fear_words() -> None:
    assert any(f.rule == "tone/wordlist" for f in check_text(DANGER, "ja"))


def test_only_the_allowed_words_pass_in_a_safety_topic(make_workspace) -> None:
    root = make_workspace(messages=[message("m-fear", "取り返しのつかないことになります。すぐに受診してください。", ["safety"])])
    assert [f.message_id for f in findings_of(root, "tone/wordlist")] == ["m-fear"]


def test_a_workspace_marks_its_own_safety_topics(make_workspace) -> None:
    root = make_workspace(messages=[message("m-sleep", "うつぶせ寝は死に至ることもあるため、あおむけに寝かせます。", ["sleep"])])
    assert findings_of(root, "tone/wordlist")
    yamlio.write(root / "safety.yaml", {"critical_topics": ["sleep"]})
    assert findings_of(root, "tone/wordlist") == []


# --- safety/red-flag-advice ------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "便の色が便色カードの1〜3番に近いときは、かかりつけの小児科に相談できます。",
    "お腹の強い痛みが続く場合は、様子を見ましょう。",
    "赤ちゃんの胎動が減ったと感じたら、産院に相談してみてください。",
])
def test_soft_advice_for_a_red_flag_is_a_finding(make_workspace, text: str) -> None:
    root = make_workspace(messages=[message("m-red", text, ["safety"])])
    (hit,) = findings_of(root, "safety/red-flag-advice")
    assert hit.level == "warning" and "何を・いつ" in hit.message and hit.line == 1 and hit.column > 1
    assert hit.suggestion


@pytest.mark.parametrize("text", [
    "便の色が便色カードの1〜3番に近いときは、その日のうちに小児科を受診し、当日の便を持っていきます。",
    "ボタン電池を飲み込んだかもしれないときは、症状がなくてもすぐに受診するか、119番に電話してください。",
    "胎動がいつもより少ないと感じたら、夜間でもすぐに産院に電話してください。",
])
def test_specific_advice_for_a_red_flag_is_clean(make_workspace, text: str) -> None:
    root = make_workspace(messages=[message("m-ok", text, ["safety"])])
    assert findings_of(root, "safety/red-flag-advice") == []


def test_soft_advice_outside_safety_topics_is_fine(make_workspace) -> None:
    root = make_workspace(messages=[message("m-food", "離乳食の進め方に迷ったら、保健師に相談できます。", ["nutrition"])])
    assert findings_of(root, "safety/red-flag-advice") == []


def test_red_flag_advice_in_english(make_workspace, english) -> None:
    root = make_workspace(messages=[message("m-red", "すぐに受診してください。", ["safety"],
                                            en="If the stool is pale, you can talk to your doctor.")])
    (hit,) = findings_of(root, "safety/red-flag-advice")
    assert hit.locale == "en" and "what to do and when" in hit.message
    root = make_workspace(messages=[message("m-ok", "すぐに受診してください。", ["safety"],
                                            en="If the stool is pale, see a doctor the same day.")], name="ok")
    assert findings_of(root, "safety/red-flag-advice") == []


# --- safety/crisis-contact ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, ok", [
    ("気分の落ち込みが続くときは、保健師に話せます。", False),
    ("気分の落ち込みが続くときは、保健師に話せます（{{ town.contacts.phone }}）。", True),
    ("つらいときは、こころの健康相談統一ダイヤル（0570-064-556）でも話を聞いてもらえます。", True),
    ("夜中につらくなったときは、よりそいホットラインに電話できます。", True),
])
def test_mental_health_messages_carry_a_crisis_contact(make_workspace, text: str, ok: bool) -> None:
    root = make_workspace(messages=[message("m-mood", text, ["mental-health"])])
    hits = findings_of(root, "safety/crisis-contact")
    assert (hits == []) is ok
    if not ok:
        assert "相談先" in hits[0].message and hits[0].message_id == "m-mood"


def test_other_topics_need_no_crisis_contact(make_workspace) -> None:
    root = make_workspace(messages=[message("m-food", "気分の落ち込みが続くときは、保健師に話せます。", ["nutrition"])])
    assert findings_of(root, "safety/crisis-contact") == []


def test_crisis_contact_level_can_be_raised_and_check_exits_1(make_workspace) -> None:
    config = {**SMALL_CONFIG, "checks": {"rules": {"safety/crisis-contact": {"level": "error"}}}}
    root = make_workspace(messages=[message("m-mood", "つらいときは、保健師に話せます。", ["mental-health"])],
                          config=config)
    result = CliRunner().invoke(main, ["-w", str(root), "check", "--format", "json"])
    assert result.exit_code == 1, result.output
    assert "safety/crisis-contact" in result.output


# --- the safety file ---------------------------------------------------------------------------------

def test_a_broken_safety_file_names_file_and_field(make_workspace) -> None:
    root = make_workspace(messages=[message("m-mood", "つらいときは話せます。", ["mental-health"])])
    yamlio.write(root / "safety.yaml", {"critical_topics": "safety"})
    with pytest.raises(WorkspaceError, match="critical_topics"):
        run_checks(load_workspace(root))
    yamlio.write(root / "safety.yaml", {"urgent_actions": {"ja": ["/(unclosed/"]}})
    with pytest.raises(WorkspaceError, match=r"urgent_actions\.ja"):
        run_checks(load_workspace(root))
    yamlio.write(root / "safety.yaml", {"critical_topic": ["x"]})
    with pytest.raises(WorkspaceError, match="unknown key"):
        run_checks(load_workspace(root))
