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


def slots_town_by_town(ws: Workspace, town: Town, locale: str) -> list[tuple]:
    """The calendar as the first coverage code computed it, one town at a time (the main track's
    staged messages; a fallback is what the export's selection rule sends in another locale)."""
    from kizuna.review.selection import select_text, workspace_approved

    approved, chain = workspace_approved(ws), ws.config.locale_chain(locale)
    sent = [m for m in ws.town_messages(town) if m.track == "main" and m.dated is None]
    here: dict = {}
    gone: dict = {}
    for m in sent:
        if ws.config.text_locale(m, locale) is not None:
            here.setdefault(m.stage, []).append(m)
    for mid in town.suppress:
        m = ws.messages.get(mid)
        if m is not None and ws.config.text_locale(m, locale) is not None:
            gone.setdefault(m.stage, []).append(m)
    out = []
    for stage in ws.town_slots(town):
        ids = tuple(m.id for m in here.get(stage, ()))
        lost = tuple(m.id for m in gone.get(stage, ())) if not ids else ()
        out.append((town.code, locale, stage, ids, lost,
                    tuple(m.id for m in here.get(stage, ())
                          if select_text(m, chain, ws.config.source_locale, approved).fallback)))
    return out


@pytest.mark.parametrize("seed", range(4))
def test_calendars_shared_by_a_class_of_towns_equal_each_towns_own(tmp_path: Path, seed: int) -> None:
    from dataclasses import replace

    from kizuna.review.coverage import coverage_rows, town_slots

    rng = random.Random(seed)
    ws = workspace(tmp_path, seed)
    ws.config = replace(ws.config, fallbacks={"en": "ja"}) if seed % 2 else ws.config
    ids = list(ws.messages)
    for code, town in list(ws.towns.items())[::3]:
        local = Message(id=f"local-{code}", stage=Stage.parse(rng.choice(("B0d", "B1m", "P8w"))),
                        texts={"ja": LocaleText("町のお知らせ")}, town=code)
        ws.towns[code] = replace(town, suppress=tuple(rng.sample(ids, 2)), local_messages=(local,),
                                 end_age=Stage.after_birth(rng.choice((1, 3))))
    memo: dict = {}
    for town in ws.towns.values():
        got = [(s.town, s.locale, s.stage, s.message_ids, s.suppressed, s.fallback)
               for s in town_slots(ws, town, memo=memo)]
        assert got == [row for loc in town.locales for row in slots_town_by_town(ws, town, loc)]
    rows = list(coverage_rows(ws, memo=memo))
    assert sum(r["gaps"] for r in rows) == sum(
        1 for t in ws.towns.values() for loc in t.locales for row in slots_town_by_town(ws, t, loc) if not row[3])


def test_coverage_by_prefecture_and_the_national_view(sample_path: Path, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from kizuna.cli import main
    from kizuna.catalog.workspace import load_workspace
    from kizuna.review.coverage import coverage_band_heatmap, coverage_rows, gap_table

    runner = CliRunner()
    result = runner.invoke(main, ["-w", str(sample_path), "coverage", "--prefecture", "長野県"])
    towns = {line.split()[0] for line in result.output.splitlines() if "slots," in line and line[:6].isdigit()}
    assert towns == {"202029"}
    result = runner.invoke(main, ["-w", str(sample_path), "coverage", "--prefecture", "99"])
    assert result.exit_code == 2 and "長野県" in result.output
    result = runner.invoke(main, ["-w", str(sample_path), "coverage", "--policy", "reference"])
    assert "by prefecture" in result.output
    ws = load_workspace(sample_path)
    ws.towns = {c: replace_policy(t) for c, t in ws.towns.items()}
    labels, table = gap_table(ws)
    rows = list(coverage_rows(ws))
    assert sorted(labels) == sorted({t.prefecture for t in ws.towns.values()})
    assert sum(bad for row in table for bad, _ in row) == sum(r["gaps"] + r["collisions"] for r in rows) > 0
    assert sum(total for row in table for _, total in row) == sum(r["slots"] for r in rows)
    assert coverage_band_heatmap(ws, tmp_path / "national.png").stat().st_size > 5_000


def replace_policy(town: Town) -> Town:
    from dataclasses import replace

    return replace(town, policy="reference")


def test_a_cached_run_redoes_only_the_edited_message(sample_path: Path) -> None:
    from kizuna.catalog import yamlio
    from kizuna.catalog.workspace import load_workspace
    from tests.review.conftest import recording_cache_saves

    ws = load_workspace(sample_path)
    fresh = run_checks(ws)
    assert run_checks(ws, cache=True) == fresh
    assert (sample_path / ".kizuna" / "cache" / "checks.pickle").is_file()
    with recording_cache_saves() as counts:
        assert run_checks(load_workspace(sample_path), cache=True) == fresh
        path = sample_path / "messages" / "b04m-hand-regard.yaml"
        data = yamlio.read(path)
        data["texts"]["ja"]["text"] = "おはようございます。\n" + data["texts"]["ja"]["text"]
        yamlio.write(path, data)
        edited = load_workspace(sample_path)
        assert run_checks(edited, cache=True) == run_checks(edited)
    locales = len(edited.messages["b04m-hand-regard"].texts)
    assert counts[0][0] == 0  # nothing changed: nothing computed
    # one message, each of its locales, and of the workspace rules those that read every text
    # (town/service-not-offered) and, when the edit withdrew a sign-off, those that read what
    # ships (coverage); never those that read only the towns
    from kizuna.review.signoff import status

    withdrawn = status(ws).get(("b04m-hand-regard", "ja")).state == "approved"
    assert counts[1][0] == locales + 1 + withdrawn
    assert any("b04m-hand-regard" == f.message_id and f.rule == "length/preview" for f in run_checks(edited))
