"""Sign-off through the API: policy, decisions, derived status, refusals, expiry, queues."""
from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import pytest
from click.testing import CliRunner, Result

from kizuna.catalog import yamlio
from kizuna.catalog.errors import KizunaError, WorkspaceError
from kizuna.catalog.stages import Stage
from kizuna.catalog.workspace import Workspace, load_workspace
from kizuna.cli import main
from kizuna.review.decisions import log_path, read_log
from kizuna.review.policy import Policy, policy_from_data
from kizuna.review.signoff import (DecisionRefused, all_items, assign, block_key, counts, is_approved,
                            item_status, queue, record_decision, status)

JST = timezone(timedelta(hours=9))
T0 = datetime(2026, 4, 1, 9, 0, tzinfo=JST)

REVIEW = {
    "period_days": 365,
    "always": {"editor": 1},
    "topics": {
        "medical": {"pregnancy": {"obstetrician": 1, "midwife": 1},
                    "after_birth": {"pediatrician": 1, "midwife": 1}},
        "nutrition": {"dietitian": 2},
    },
    "translations": {"editor": 1},
}

ROSTER = {"reviewers": [
    {"id": "obgyn", "name": "産科 医子", "roles": ["obstetrician"]},
    {"id": "peds", "name": "小児 科男", "roles": ["pediatrician"]},
    {"id": "mw", "name": "助産 師子", "roles": ["midwife"]},
    {"id": "ed", "name": "編集 太郎", "roles": ["editor"]},
    {"id": "diet1", "name": "栄養 一子", "roles": ["dietitian"]},
    {"id": "diet2", "name": "栄養 二子", "roles": ["dietitian"]},
    {"id": "dual", "name": "兼任 花子", "roles": ["dietitian", "editor"]},
    {"id": "matsu", "name": "松本 担当", "roles": ["town_editor"], "towns": ["202029"]},
    {"id": "setagaya", "name": "世田谷 担当", "roles": ["town_editor"], "towns": ["131121"]},
]}

MESSAGES = [
    {"id": "p10w-care", "stage": "P10w", "topics": ["medical"],
     "texts": {"ja": {"text": "妊娠10週です。つわりがつらいときは、健診で相談できます。"},
               "en": {"text": "You are 10 weeks pregnant. Ask at your checkup if morning sickness is hard."}}},
    {"id": "p12w-food", "stage": "P12w", "topics": ["nutrition"],
     "texts": {"ja": {"text": "食べられるものを、食べられるときに少しずつ食べましょう。"}}},
    {"id": "b00d-hello", "stage": "B0d", "topics": ["daily-life"],
     "texts": {"ja": {"text": "ご出産おめでとうございます。"}}},
]


def setagaya(town: dict[str, Any]) -> dict[str, Any]:
    other = copy.deepcopy(town)
    other.update(code="131121", name="世田谷区", prefecture="東京都", blocks={})
    return other


def build(make_workspace: Callable[..., Path], review: dict[str, Any] = REVIEW) -> Path:
    """The conftest's small workspace (its town and config, read back), plus a second town, a
    local message, the roster above and the review policy."""
    base = make_workspace(messages=[], name="base")
    town = yamlio.read(base / "towns" / "202029.yaml")
    config = {**yamlio.read(base / "kizuna.yaml"), "review": review}
    local = {"id": "matsumoto-local", "stage": "B1m", "topics": ["daily-life"],
             "texts": {"ja": {"text": "松本市の子育て広場は平日に開いています。"}}}
    return make_workspace(messages=MESSAGES, towns=[{**town, "local_messages": [local]}, setagaya(town)],
                          config=config, roster=ROSTER)


@pytest.fixture
def root(make_workspace: Callable[..., Path]) -> Path:
    return build(make_workspace)


def ws_of(root: Path) -> Workspace:
    return load_workspace(root)


def decide(root: Path, message_id: str, who: str, decision: str = "approve", *, locale: str = "ja",
           at: datetime = T0, **kw: Any):
    return record_decision(ws_of(root), message_id=message_id, locale=locale, reviewer=who,
                           decision=decision, now=at, **kw)


def approve_all(root: Path, message_id: str, people: list[str], at: datetime = T0, locale: str = "ja") -> None:
    for i, who in enumerate(people):
        decide(root, message_id, who, locale=locale, at=at + timedelta(minutes=i))


def state(root: Path, message_id: str, locale: str = "ja", now: datetime = T0 + timedelta(days=1)) -> str:
    return item_status(ws_of(root), message_id, locale, now=now).state


def edit(root: Path, message_id: str, **changes: Any) -> None:
    ws = ws_of(root)
    message = ws.messages[message_id]
    if "text" in changes:
        message = message.with_text("ja", changes.pop("text"))
    ws.save_message(replace(message, **changes))


# policy ---------------------------------------------------------------------------------------
def test_policy_requirements_by_topic_phase_locale_and_town(root: Path) -> None:
    items = all_items(ws_of(root))
    assert items[("p10w-care", "ja")].required == {"obstetrician": 1, "midwife": 1, "editor": 1}
    # a translation of a clinical topic keeps the topic's clinical roles (one of each)
    assert items[("p10w-care", "en")].required == {"obstetrician": 1, "midwife": 1, "editor": 1}
    assert items[("p12w-food", "ja")].required == {"dietitian": 2, "editor": 1}
    assert items[("b00d-hello", "ja")].required == {"editor": 1}  # no rule: default (one editor)
    assert items[("matsumoto-local", "ja")].required == {"editor": 1, "town_editor": 1}
    assert items[(block_key("202029", "B0d"), "ja")].required == {"town_editor": 1}


def test_policy_errors_name_the_field() -> None:
    with pytest.raises(WorkspaceError, match="review.topics.medical.*unknown role 'surgeon'"):
        policy_from_data({"topics": {"medical": {"surgeon": 1}}})
    with pytest.raises(WorkspaceError, match="review.always.*town_editor"):
        policy_from_data({"always": {"town_editor": 1}})
    with pytest.raises(WorkspaceError, match="review.period_days"):
        policy_from_data({"period_days": "a year"})
    with pytest.raises(WorkspaceError, match="count for 'midwife'"):
        policy_from_data({"default": {"midwife": 0}})
    assert policy_from_data({"topics": {"dental": ["dentist", "dentist"]}}).topics["dental"].for_stage(
        Stage.parse("B1y")) == {"dentist": 2}
    assert policy_from_data({}) == Policy()


def test_assign_gives_each_reviewer_one_slot() -> None:
    from kizuna.review.decisions import Decision

    def approval(who: str, *roles: str) -> Decision:
        return Decision(1, T0, "m", "ja", who, "approve", "h", "P4w", "t", roles=roles)

    need = {"dietitian": 1, "editor": 1}
    missing, used = assign(need, [approval("dual", "dietitian", "editor")])
    assert sum(missing.values()) == 1 and len(used) == 1
    missing, used = assign(need, [approval("dual", "dietitian", "editor"), approval("d1", "dietitian")])
    assert missing == {} and len(used) == 2  # the dual reviewer moves to the editor slot


# status -------------------------------------------------------------------------------------------
def test_draft_in_review_approved(root: Path) -> None:
    assert state(root, "p10w-care") == "draft"
    decide(root, "p10w-care", "obgyn")
    assert state(root, "p10w-care") == "in_review"
    decide(root, "p10w-care", "mw")
    decide(root, "p10w-care", "ed")
    st = item_status(ws_of(root), "p10w-care", "ja", now=T0 + timedelta(days=1))
    assert st.state == "approved" and st.missing_roles == {}
    assert st.approved_hash == st.current_hash == ws_of(root).messages["p10w-care"].content_hash("ja")
    assert st.expires_at == T0 + timedelta(days=365)
    assert st.approval_ref == read_log(root)[-1].digest
    assert is_approved(ws_of(root), "p10w-care", "ja", now=T0)
    assert not is_approved(ws_of(root), "p10w-care", "en", now=T0)  # each locale on its own
    assert not is_approved(ws_of(root), "b00d-hello", "en")  # no such text: not approved
    with pytest.raises(WorkspaceError, match="no message 'nope'"):
        is_approved(ws_of(root), "nope", "ja")


def test_approve_then_edit_text_is_stale_and_keeps_the_approved_text(root: Path) -> None:
    approve_all(root, "p10w-care", ["obgyn", "mw", "ed"])
    old = ws_of(root).messages["p10w-care"].text("ja")
    edit(root, "p10w-care", text=old.replace("相談できます", "気軽に相談できます"))
    st = item_status(ws_of(root), "p10w-care", "ja", now=T0 + timedelta(days=2))
    assert st.state == "stale" and st.reasons == ("承認後に本文が変わりました",)
    assert st.approved_text == old and st.approved_hash != st.current_hash
    assert st.missing_roles == {"obstetrician": 1, "midwife": 1, "editor": 1}
    assert state(root, "p10w-care", "en") == "draft"  # the English text did not change
    approve_all(root, "p10w-care", ["obgyn", "mw", "ed"], at=T0 + timedelta(days=3))
    assert state(root, "p10w-care", now=T0 + timedelta(days=4)) == "approved"


def test_whitespace_only_edit_does_not_withdraw_approval(root: Path) -> None:
    approve_all(root, "b00d-hello", ["ed"])
    edit(root, "b00d-hello", text="ご出産おめでとうございます。  \n")
    assert state(root, "b00d-hello") == "approved"


def test_approve_then_move_stage_is_stale(root: Path) -> None:
    approve_all(root, "p10w-care", ["obgyn", "mw", "ed"])
    edit(root, "p10w-care", stage=Stage.parse("P11w"))
    st = item_status(ws_of(root), "p10w-care", "ja", now=T0 + timedelta(days=1))
    assert st.state == "stale"
    assert st.reasons == ("承認後にステージが P10w から P11w に変わりました",)


def test_required_roles_changed_after_approval_is_stale(root: Path) -> None:
    approve_all(root, "b00d-hello", ["ed"])
    edit(root, "b00d-hello", topics=("medical",))  # now needs a pediatrician and a midwife too
    st = item_status(ws_of(root), "b00d-hello", "ja", now=T0 + timedelta(days=1))
    assert st.state == "stale" and "必要な承認者の役割が変わりました" in st.reasons[0]
    assert st.missing_roles == {"pediatrician": 1, "midwife": 1}


def test_two_dietitians_are_two_people(root: Path) -> None:
    approve_all(root, "p12w-food", ["dual", "diet1"])
    st = item_status(ws_of(root), "p12w-food", "ja", now=T0)
    assert st.state == "in_review" and st.missing_roles == {"editor": 1}  # dual fills one slot only
    decide(root, "p12w-food", "diet1")  # approving twice does not count twice
    assert state(root, "p12w-food") == "in_review"
    decide(root, "p12w-food", "ed")
    assert state(root, "p12w-food") == "approved"


def test_changes_requested_blocks_until_the_same_reviewer_approves(root: Path) -> None:
    approve_all(root, "p10w-care", ["mw", "ed"])
    decide(root, "p10w-care", "obgyn", "changes", comment="受診の目安を書き足してください")
    st = item_status(ws_of(root), "p10w-care", "ja", now=T0)
    assert st.state == "changes_requested" and "受診の目安" in st.reasons[0]
    decide(root, "p10w-care", "obgyn", "comment", comment="確認中")
    assert state(root, "p10w-care") == "changes_requested"  # a comment is no stance
    decide(root, "p10w-care", "obgyn", at=T0 + timedelta(hours=1))
    assert state(root, "p10w-care") == "approved"


def test_expiry_after_the_re_review_period_and_renewal(root: Path) -> None:
    approve_all(root, "b00d-hello", ["ed"])
    assert state(root, "b00d-hello", now=T0 + timedelta(days=364)) == "approved"
    st = item_status(ws_of(root), "b00d-hello", "ja", now=T0 + timedelta(days=366))
    assert st.state == "expired" and st.missing_roles == {"editor": 1}
    assert not is_approved(ws_of(root), "b00d-hello", "ja", now=T0 + timedelta(days=366))
    assert ("b00d-hello", "ja") not in queue(ws_of(root), "ed", now=T0 + timedelta(days=364))
    assert ("b00d-hello", "ja") in queue(ws_of(root), "ed", now=T0 + timedelta(days=366))
    decide(root, "b00d-hello", "ed", at=T0 + timedelta(days=370))  # re-review of the same text
    assert state(root, "b00d-hello", now=T0 + timedelta(days=371)) == "approved"


def test_status_covers_every_item_and_counts(root: Path) -> None:
    found = status(ws_of(root), now=T0)
    assert set(found) == set(all_items(ws_of(root)))
    assert counts(found)["draft"] == len(found)
    assert list(counts(found)) == ["draft", "in_review", "changes_requested", "approved", "stale", "expired"]


# refusals ---------------------------------------------------------------------------------------
def log_size(root: Path) -> int:
    return log_path(root).stat().st_size if log_path(root).exists() else 0


def test_wrong_role_is_refused_and_not_logged(root: Path) -> None:
    with pytest.raises(DecisionRefused) as info:
        decide(root, "p10w-care", "diet1")
    text = str(info.value)
    assert "栄養 一子 (diet1, 管理栄養士 (dietitian))" in text and "message p10w-care (ja)" in text
    assert "産婦人科医 (obstetrician) ×1" in text and "Nothing was recorded" in text
    with pytest.raises(DecisionRefused):
        decide(root, "p10w-care", "diet1", "changes")
    assert log_size(root) == 0
    decide(root, "p10w-care", "diet1", "comment", comment="鉄分の話も入れては？")  # comments are open
    assert [d.decision for d in read_log(root)] == ["comment"]


def test_town_editor_on_another_town_is_refused_and_not_logged(root: Path) -> None:
    block = block_key("202029", "B0d")
    for decision in ("approve", "changes", "comment"):
        with pytest.raises(DecisionRefused, match="edits town\\(s\\) 131121 only.*another town"):
            decide(root, block, "setagaya", decision)
        with pytest.raises(DecisionRefused, match="another town"):
            decide(root, "matsumoto-local", "setagaya", decision)
    assert log_size(root) == 0
    decide(root, "B0d", "matsu", town="202029")  # the stage + town form of the same block
    assert state(root, block) == "approved"
    assert is_approved(ws_of(root), "B0d", "ja", town="202029", now=T0)


def test_town_editor_cannot_approve_national_text_but_may_comment(root: Path) -> None:
    with pytest.raises(DecisionRefused, match="may not approve message b00d-hello"):
        decide(root, "b00d-hello", "matsu")
    decide(root, "b00d-hello", "matsu", "comment", comment="市の窓口名を確認しました")
    assert len(read_log(root)) == 1


def test_unknown_reviewer_item_or_decision(root: Path) -> None:
    with pytest.raises(DecisionRefused, match="no reviewer 'nobody'"):
        decide(root, "b00d-hello", "nobody")
    with pytest.raises(KizunaError, match="unknown decision 'maybe'"):
        decide(root, "b00d-hello", "ed", "maybe")
    with pytest.raises(WorkspaceError, match="has no 'en' text"):
        decide(root, "b00d-hello", "ed", locale="en")
    with pytest.raises(WorkspaceError, match="no block at stage B1d"):
        decide(root, block_key("202029", "B1d"), "matsu")
    with pytest.raises(KizunaError, match="not a town block"):
        decide(root, "town:202029", "matsu")
    with pytest.raises(KizunaError, match="is a national message"):
        decide(root, "b00d-hello", "ed", town="202029")
    assert log_size(root) == 0


def test_local_message_needs_its_town_editor_and_the_policy_roles(root: Path) -> None:
    decide(root, "matsumoto-local", "matsu")
    st = item_status(ws_of(root), "matsumoto-local", "ja", now=T0)
    assert st.state == "in_review" and st.missing_roles == {"editor": 1} and st.town == "202029"
    decide(root, "matsumoto-local", "ed")
    assert state(root, "matsumoto-local") == "approved"


# queues -------------------------------------------------------------------------------------------
def test_queue_lists_what_awaits_the_reviewer(root: Path) -> None:
    ws = ws_of(root)
    # the obstetrician reviews the English translation of a medical topic too (not only an editor)
    assert queue(ws, "obgyn", now=T0) == [("p10w-care", "ja"), ("p10w-care", "en")]
    assert queue(ws, "matsu", now=T0) == [(block_key("202029", "B0d"), "ja"), ("matsumoto-local", "ja")]
    assert queue(ws, "setagaya", now=T0) == []
    assert ("p10w-care", "en") in queue(ws, "ed", now=T0)
    decide(root, "p10w-care", "obgyn")
    assert queue(ws_of(root), "obgyn", now=T0) == [("p10w-care", "en")]  # done its part of ja
    decide(root, "p12w-food", "diet1", "changes", comment="量の目安を")
    assert ("p12w-food", "ja") not in queue(ws_of(root), "diet1", now=T0)  # waits for the writer
    assert ("p12w-food", "ja") in queue(ws_of(root), "diet2", now=T0)


# the same through the CLI ---------------------------------------------------------------------------
def cli(root: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--workspace", str(root), "review", *args])


def test_cli_decide_edit_stale_and_status_json(root: Path) -> None:
    for who in ("obgyn", "mw", "ed"):
        result = cli(root, "decide", "p10w-care", "--by", who, "--decision", "approve")
        assert result.exit_code == 0, result.output
    assert "status now approved (承認済み)" in result.output
    by_name = cli(root, "decide", "p10w-care", "--by", "編集 太郎", "--decision", "comment", "--comment", "良いです")
    assert by_name.exit_code == 0 and "comment by ed" in by_name.output
    edit(root, "p10w-care", text="妊娠10週です。つわりがつらいときは、いつでも相談できます。")
    data = json.loads(cli(root, "status", "--format", "json").output)
    item = next(i for i in data["items"] if i["message"] == "p10w-care" and i["locale"] == "ja")
    assert item["state"] == "stale" and item["reasons"] == ["承認後に本文が変わりました"]
    assert data["counts"]["stale"] == 1
    text = cli(root, "status", "--state", "stale").output.splitlines()
    assert text[1].startswith("stale") and "p10w-care  ja  P10w  要再承認" in text[1] and len(text) == 2


def test_cli_move_stage_is_stale(root: Path) -> None:
    for who in ("obgyn", "mw", "ed"):
        cli(root, "decide", "p10w-care", "--by", who, "--decision", "approve")
    edit(root, "p10w-care", stage=Stage.parse("P9w"))
    out = cli(root, "status").output
    assert "stale             p10w-care  ja  P9w" in out


def test_cli_refused_decisions_exit_2_and_log_nothing(root: Path) -> None:
    result = cli(root, "decide", "p10w-care", "--by", "diet1", "--decision", "approve")
    assert result.exit_code == 2 and "may not approve message p10w-care (ja)" in result.stderr
    result = cli(root, "decide", "B0d", "--town", "202029", "--by", "setagaya", "--decision", "approve")
    assert result.exit_code == 2 and "may not act on another town" in result.stderr
    result = cli(root, "decide", "p10w-care", "--by", "ed", "--decision", "maybe")
    assert result.exit_code == 2
    assert log_size(root) == 0


def test_cli_queue_and_expiry(root: Path) -> None:
    assert cli(root, "queue", "--by", "obgyn").output.splitlines() == [
        "産科 医子 (obgyn): 2 item(s) await sign-off",
        "draft             p10w-care  ja  P10w  未レビュー  不足: 産婦人科医×1, 助産師×1, 編集者×1",
        "draft             p10w-care  en  P10w  未レビュー  不足: 産婦人科医×1, 助産師×1, 編集者×1"]
    long_ago = datetime.now(JST) - timedelta(days=400)
    approve_all(root, "b00d-hello", ["ed"], at=long_ago)
    assert "expired           b00d-hello  ja  B0d  要再承認（期限切れ）" in cli(root, "status").output
    assert "b00d-hello" in cli(root, "queue", "--by", "ed").output


def test_expiry_counts_the_newest_approvals_that_fill_the_requirement(root: Path) -> None:
    """A redundant older approval must not shorten the approval: expires_at is when the status
    really turns expired, and approval_ref is the newest counting approval."""
    day = timedelta(days=1)
    decide(root, "p12w-food", "diet1", at=T0)
    decide(root, "p12w-food", "diet2", at=T0 + day)
    decide(root, "p12w-food", "ed", at=T0 + 2 * day)
    decide(root, "p12w-food", "dual", at=T0 + 300 * day)   # dietitian and editor: one more slot
    st = item_status(ws_of(root), "p12w-food", "ja", now=T0 + 310 * day)
    assert st.state == "approved"
    assert st.expires_at == T0 + day + timedelta(days=365)     # diet1's approval is not needed
    assert st.approval_ref == read_log(root)[-1].digest
    assert {d.reviewer for d in st.approvals} == {"diet2", "ed", "dual"}
    just_before = item_status(ws_of(root), "p12w-food", "ja", now=st.expires_at - timedelta(minutes=1))
    assert just_before.state == "approved" and just_before.expires_at == st.expires_at
    assert state(root, "p12w-food", now=st.expires_at) == "expired"


def test_cli_status_says_why_and_warns_about_a_broken_log(root: Path) -> None:
    approve_all(root, "p10w-care", ["obgyn", "mw", "ed"])
    edit(root, "p10w-care", stage=Stage.parse("P11w"))
    decide(root, "b00d-hello", "ed", "changes", comment="語尾をやわらかく")
    out = cli(root, "status", "--state", "stale", "--state", "changes_requested").output
    assert "p10w-care  ja  P11w  要再承認（承認後に変更）" in out
    assert "理由: 承認後にステージが P10w から P11w に変わりました" in out
    assert "理由: ed が修正を依頼しています：語尾をやわらかく" in out
    log = log_path(root)
    log.write_text(log.read_text(encoding="utf-8").replace('"changes"', '"approve"'), encoding="utf-8")
    result = cli(root, "status")
    assert result.exit_code == 0
    assert "the decisions log is broken at decisions.jsonl line 4 (entry #4)" in result.stderr


def test_topic_ruled_for_one_phase_only_falls_back_to_the_default_in_the_other() -> None:
    from kizuna.catalog.messages import message_from_data
    from kizuna.review.policy import message_requirement
    policy = policy_from_data({"default": {"public_health_nurse": 1},
                               "topics": {"sleep": {"pregnancy": {"midwife": 1}}}})
    def need(stage: str) -> dict[str, int]:
        message = message_from_data({"id": "x-sleep", "stage": stage, "topics": ["sleep"],
                                     "texts": {"ja": {"text": "よく眠れていますか。"}}}, "x.yaml")
        return message_requirement(policy, message, "ja", "ja")
    assert need("P30w") == {"midwife": 1}
    assert need("B30d") == {"public_health_nurse": 1}   # not nobody-but-the-fallback editor
