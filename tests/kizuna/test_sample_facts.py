"""The bundled sample is one a supervising 小児科医 / 産婦人科医 / 保健師 would sign: one test per
clinical or legal fact of issue 11 that a check can hold (key phrases, stages, milestones), and
the safety rules hold on every sample message."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from kizuna.catalog.hashing import text_hash
from kizuna.catalog.messages import Message
from kizuna.catalog.stages import Stage
from kizuna.catalog.workspace import Workspace, load_workspace
from kizuna.demo import sample_root
from kizuna.review.checks import run_checks
from kizuna.review.coverage import load_milestones
from kizuna.review.decisions import read_log
from kizuna.review.signoff import status


@pytest.fixture(scope="module")
def ws() -> Workspace:
    return load_workspace(sample_root())


def ja(ws: Workspace, mid: str) -> str:
    return ws.message(mid).texts["ja"].text


def en(ws: Workspace, mid: str) -> str:
    return ws.message(mid).texts["en"].text


def having(ws: Workspace, phrase: str, locale: str = "ja") -> list[Message]:
    return [m for m in ws.messages.values() if locale in m.texts and phrase in m.texts[locale].text]


def has_all(text: str, *phrases: str) -> bool:
    missing = [p for p in phrases if not re.search(p, text)]
    assert not missing, f"missing {missing} in: {text}"
    return True


def test_safe_sleep(ws: Workspace) -> None:
    """消費者庁: under 2 a baby bed, not an adult bed; こども家庭庁 SIDS: on the back, no smoking,
    breastfeeding where possible. The en text translates the ja text."""
    text = ja(ws, "b11d-safe-sleep")
    assert has_all(text, "あおむけ", "2歳になるまで", "大人用のベッドではなくベビーベッド", "たばこ", "母乳", "SIDS")
    assert "同じ布団" not in text
    assert has_all(en(ws, "b11d-safe-sleep"), "on their back", "Until age 2", "baby bed", "not an adult bed",
                   "smoking", "breastfeeding", "SIDS")


def test_stool_colour_card(ws: Workspace) -> None:
    for mid in ("b01m-one-month", "b02d-jaundice"):
        assert has_all(ja(ws, mid), "便色カード", "1〜3番", "その日のうちに")
    assert has_all(ja(ws, "b01m-one-month"), "持っていきます", "胆道閉鎖症")
    assert has_all(en(ws, "b02d-jaundice"), "stool color card", "same day")


def test_button_battery_poison_line_and_8000(ws: Workspace) -> None:
    text = ja(ws, "b07m-choking")
    assert has_all(text, "ボタン電池", "症状がなくても", "すぐに受診", "119", "中毒110番",
                   "072-727-2499", "24時間", "029-852-9999", "9〜21時", "#8000", "日本語", "都道府県")
    assert has_all(en(ws, "b07m-choking"), "button battery", "no symptoms", "119", "072-727-2499",
                   "029-852-9999", "in Japanese", "prefecture")


def test_child_seat_before_the_drive_home(ws: Workspace) -> None:
    seats = having(ws, "チャイルドシート")
    assert seats and all(m.stage.phase == "P" and Stage.parse("P30w") <= m.stage <= Stage.parse("P36w")
                         for m in seats)
    assert has_all(seats[0].texts["ja"].text, "後ろ向き", "後部座席", "エアバッグ", "退院")
    assert "b06d-car-seat" not in ws.messages


def test_rotavirus_is_oral_first_dose_by_14w6d_and_intussusception(ws: Workspace) -> None:
    assert has_all(ja(ws, "b01m15d-vaccination-prep"), "口から飲む", "出生14週6日後まで")
    assert has_all(en(ws, "b01m15d-vaccination-prep"), "by mouth", "14 weeks and 6 days")
    assert has_all(ja(ws, "b02m-first-shots"), "ロタウイルス", "腸重積症", "すぐに受診")


def test_bcg_stamp_and_koch_phenomenon(ws: Workspace) -> None:
    text = ja(ws, "b04m15d-bcg")
    assert has_all(text, "1歳になるまでに1回", "5か月から8か月", "管針法", "注射ではなく", "コッホ現象", "連絡")
    assert has_all(en(ws, "b04m15d-bcg"), "not an injection", "Koch phenomenon")


def test_mr_and_varicella_periods(ws: Workspace) -> None:
    text = ja(ws, "b11m15d-mr-varicella")
    assert has_all(text, "2歳の誕生日の前日まで", "水痘は、1歳から3歳になるまでに2回")
    assert has_all(ja(ws, "b1y11m-vaccine-record"), "2歳の誕生日の前日まで")
    assert ws.message("b1y11m-vaccine-record").stage < Stage.parse("B2y")


def test_rsv_maternal_vaccine(ws: Workspace) -> None:
    (message,) = having(ws, "RSウイルス")
    assert has_all(message.texts["ja"].text, "28週0日から36週6日", "定期接種", "2026年4月")
    milestone = {m.id: m for m in load_milestones(ws.root)}["rsv-maternal-vaccine"]
    assert "rsv-maternal-vaccine" in message.milestones and "28週0日から36週6日" in milestone.basis


def test_vitamin_k2_weekly_until_three_months_at_home(ws: Workspace) -> None:
    (message,) = having(ws, "ビタミンK2")
    assert has_all(message.texts["ja"].text, "週に1回", "3か月", "家庭で", "母乳")
    assert message.stage <= Stage.parse("B1m")
    assert "ビタミンK" not in ja(ws, "b01m-one-month")   # no conflicting 1-month-only advice


def test_money_and_procedures(ws: Workspace) -> None:
    assert has_all(ja(ws, "p10w-maternity-handbook"), "妊婦のための支援給付", "5万円", "面談", "8週間前",
                   "子どもの数×5万円")
    assert has_all(en(ws, "p10w-maternity-handbook"), "50,000 yen", "8 weeks before the due date", "for each baby")
    admin = ja(ws, "p38w-after-birth-admin")
    assert has_all(admin, "14日以内", "振り仮名", "2025年5月26日", "高校生年代", "所得制限なく", "15日以内",
                   "低体重児の届出", "2,500g未満")
    assert has_all(ja(ws, "b13d-birth-registration-deadline"), "児童手当", "15日以内")
    assert has_all(ja(ws, "p32w-hospital-bag"), "出産育児一時金", "50万円", "マイナ保険証", "資格確認書")
    assert has_all(ja(ws, "b1y04m-childcare"), "こども誰でも通園制度", "2026年4月", "生後6か月から3歳未満", "月10時間",
                   "すべての市町村")


def test_newborn_visit_is_for_babies_who_need_it(ws: Workspace) -> None:
    assert has_all(ja(ws, "b08d-newborn-visit"), "必要なとき")
    assert has_all(en(ws, "b08d-newborn-visit"), "when it is needed")
    milestones = {m.id: m for m in load_milestones(ws.root)}
    assert "必要があると認めるとき" in milestones["newborn-visit"].basis
    home = milestones["all-infant-home-visit"].basis
    assert "ガイドライン" in home and "生後4か月までの乳児のいるすべての家庭" not in home


def test_nutrition(ws: Workspace) -> None:
    assert has_all(ja(ws, "p14w-nutrition"), "加熱していない", "妊娠中はずっと")
    assert has_all(ja(ws, "p04w-confirm-pregnancy"), "葉酸", "妊娠前から妊娠12週", "お酒", "たばこ")
    assert has_all(ja(ws, "b1y01m-toddler-food"), "1歳から1歳6か月", "完了期")
    assert has_all(ja(ws, "b2y09m-choking-food"), "豆やナッツ", "5歳以下")
    assert has_all(ja(ws, "b05m-weaning-signs"), "首がしっかりすわって", "支えると座れる")


def test_late_pregnancy_warning_signs(ws: Workspace) -> None:
    text = ja(ws, "p28w-warning-signs")
    assert has_all(text, "胎動がいつもより少ない", "おなかの強い痛みが続く", "出血", "破水", "すぐに受診先に電話")
    assert has_all(en(ws, "p28w-warning-signs"), "moves less than usual", "strong belly pain", "right away")


def test_tone(ws: Workspace) -> None:
    assert having(ws, "上の子") == []                         # no older child assumed
    assert len(having(ws, "ご家族で")) <= 3                    # not everything addressed to a family
    for town in ws.towns.values():
        for by_locale in town.blocks.values():
            for text in by_locale.values():
                assert "ご相談できます" not in text and "ご利用できます" not in text, town.code


def test_english_translates_the_current_japanese(ws: Workspace) -> None:
    """Every en text was made from the current ja text (source_hash), and carries its numbers."""
    for message in ws.messages.values():
        if "en" not in message.texts:
            continue
        assert message.texts["en"].source_hash == text_hash(message.texts["ja"].text), message.id
        numbers = set(re.findall(r"\d{3}-\d{3}-\d{4}|#\d{4}|\b119\b", message.texts["ja"].text))
        assert numbers <= set(re.findall(r"\d{3}-\d{3}-\d{4}|#\d{4}|\b119\b", message.texts["en"].text)), message.id


def test_safety_rules_hold_on_the_sample(ws: Workspace) -> None:
    findings = [f for f in run_checks(ws, locales=["ja", "en"])
                if f.rule.startswith("safety/") or (f.rule == "tone/wordlist")]
    assert findings == [], [(f.rule, f.message_id, f.locale) for f in findings]
    assert having(ws, "命に関わ")                              # the safety words are there, and allowed


def test_the_log_never_approves_a_translation_of_an_unapproved_source(ws: Workspace) -> None:
    when = max(d.at for d in read_log(ws.root)) + timedelta(days=1)
    found = status(ws, now=when)
    for (key, locale), st in found.items():
        if locale != ws.config.source_locale and st.state == "approved":
            assert found[(key, ws.config.source_locale)].state == "approved", (key, locale)
    for message in ws.messages.values():
        if "safety" in message.topics:
            assert found[(message.id, "ja")].state == "approved", message.id
