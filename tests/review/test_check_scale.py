"""Checks at national scale do per-class work, not per-town work: the findings must be exactly
those of looking at every town one by one (long names, characters ISO-2022-JP cannot carry,
missing fields, town blocks, every channel mix)."""
from __future__ import annotations

import random
from pathlib import Path

import pytest

from kizuna.catalog.messages import LocaleText, Message
from kizuna.catalog.stages import Stage
from kizuna.catalog.towns import Town
from kizuna.catalog.workspace import Config, Workspace
from kizuna.review.checks import config_for, run_checks
from kizuna.review.checks.engine import RULES, MessageContext
from kizuna.review.checks.scope import TownScope, sms_parts_at_most
from kizuna.review.checks.text import TextDoc
from kizuna.catalog.channels import sms_size

CHANNELS = (("line",), ("sms",), ("email",), ("line", "sms", "email"), ("line", "email"))
TEXTS = ("今日はゆっくり休みましょう。", "{{ town.name }}の窓口で相談できます。",
         "問い合わせ：{{ town.contacts.phone }}", "{{ town.services.care }}をご利用ください。",
         "長い文です。" * 40, "①予約は不要です。", "{% if town.name %}{{ town.name }}{% endif %}です。",
         "短い", "{{ town.name }}" + "あ" * 60)


def workspace(tmp_path: Path, seed: int) -> Workspace:
    rng = random.Random(seed)
    stages = [Stage.parse(s) for s in ("P8w", "P12w", "B0d", "B1m", "B4m")]
    messages = {}
    for i, stage in enumerate(stages * 2):
        ja = rng.choice(TEXTS)
        texts = {"ja": LocaleText(ja)}
        if rng.random() < 0.5:
            texts["en"] = LocaleText(rng.choice(("Hello {{ town.name }}.", "Rest today.", "x" * 400)))
        messages[f"m{i}"] = Message(id=f"m{i}", stage=stage, texts=texts)
    towns = {}
    names = ("松本市", "世田谷区", "髙島市", "ｶﾀｶﾅ町", "とても長い名前の町" * 3, "与謝野町")
    for i in range(24):
        code = f"{i:05d}0"
        blocks = {rng.choice(stages): {"ja": rng.choice(("【町より】{{ town.contacts.phone }}", "②" * 3, "あ" * 700))}
                  for _ in range(rng.randint(0, 2))}
        towns[code] = Town(code=code, name=rng.choice(names), prefecture="長野県",
                           contacts={"phone": rng.choice(("000-0000", "①２３"))} if rng.random() < 0.9 else {},
                           services={"care": "産後ケア"} if rng.random() < 0.7 else {},
                           channels=rng.choice(CHANNELS), email_encoding=rng.choice(("utf-8", "iso-2022-jp")),
                           locales=("ja", "en") if i % 2 else ("ja",), blocks=blocks)
    return Workspace(tmp_path, Config(locales=("ja", "en")), messages, towns, {})


@pytest.mark.parametrize("seed", range(6))
def test_message_rules_find_the_same_as_town_by_town(tmp_path: Path, seed: int) -> None:
    ws = workspace(tmp_path, seed)
    cfg = config_for(ws)
    scope = TownScope(tuple(ws.towns.values()))
    for message in ws.messages.values():
        for locale in message.texts:
            senders = scope.senders(message, locale)
            doc = TextDoc(message.text(locale), locale)
            for rule_id in ("length/channel", "template/variables"):
                rule = RULES[rule_id]
                opts = cfg.setting(rule_id).options
                plain = list(rule.message(MessageContext(ws, message, locale, senders, doc), opts))
                scoped = list(rule.message(MessageContext(ws, message, locale, senders, doc, scope), opts))
                assert scoped == plain, (rule_id, message.id, locale)
    assert run_checks(ws)  # and the whole run goes through


def test_a_long_text_still_gets_its_sms_finding_in_every_town(tmp_path: Path) -> None:
    ws = workspace(tmp_path, 1)
    long = Message(id="long", stage=Stage.parse("P8w"), texts={"ja": LocaleText("{{ town.name }}" + "あ" * 800)})
    ws.messages = {"long": long}
    found = {f.town for f in run_checks(ws) if f.rule == "length/channel" and "SMS" in f.message}
    assert found == {t.code for t in ws.towns.values() if "sms" in t.channels}


@pytest.mark.parametrize("units", [1, 69, 70, 71, 134, 135, 159, 160, 161, 700, 5000])
def test_the_sms_bound_is_never_below_the_real_count(units: int) -> None:
    for text in ("あ" * units, "a" * units, "[" * (units // 2) + "a" * (units % 2)):
        assert sms_parts_at_most(len(text.encode("utf-16-le")) // 2) >= sms_size(text)[2]
