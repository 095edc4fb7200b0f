"""Town text per locale, services a town does not offer, the town's own checkup months and the
legal windows of milestones — through the CLI."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

import pytest

from kizuna.catalog import yamlio
from kizuna.catalog.hashing import text_hash
from kizuna.catalog.towns import town_from_data, town_to_data
from kizuna.cli import main
from tests.conftest import SMALL_TOWN, small_message

pytestmark = pytest.mark.usefixtures("japanese")  # findings in Japanese (tests/review/conftest.py)

JA = "相談は{{ town.contacts.desk }}（{{ town.contacts.phone }}）へ。{{ town.services.consultation }}"
EN = "Ask {{ town.contacts.desk }} ({{ town.contacts.phone }}). {{ town.services.consultation }}"


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def findings(root: Path, rule: str) -> list[dict]:
    result = run("-w", str(root), "check", "--format", "json")
    return [f for f in json.loads(result.output) if f["rule"] == rule]


def bilingual(make_workspace, **town: Any) -> Path:
    message = small_message("b00d-birth", "B0d", JA)
    message["texts"]["en"] = {"text": EN, "source_hash": text_hash(JA)}
    return make_workspace(messages=[message], towns=[{**SMALL_TOWN, "blocks": {}, **town}])


def test_contacts_and_services_per_locale_reach_the_export(make_workspace, tmp_path: Path) -> None:
    root = bilingual(make_workspace, contacts={**SMALL_TOWN["contacts"],
                                               "desk": {"ja": "こども育成課", "en": "Child Development Division"}},
                     blocks={"B0d": "【松本市より】窓口は{{ town.contacts.desk }}です。"})
    result = run("-w", str(root), "export", "--include-unapproved", "--format", "json",
                 "--out", str(tmp_path / "out"), "--jobs", "1")
    assert result.exit_code == 0, result.output
    texts = {}
    for locale in ("ja", "en"):
        doc = json.loads((tmp_path / f"out/202029/{locale}/catalog.json").read_text(encoding="utf-8"))
        texts[locale] = next(e["text"] for e in doc["entries"] if e["message_id"] == "b00d-birth")
    assert texts["ja"].startswith("相談はこども育成課（000-0000-0001）へ。")
    assert texts["en"].startswith("Ask Child Development Division (000-0000-0001).")
    # services.consultation has no English value: the Japanese text is sent, and a finding says so
    assert "子育て相談（サンプル）\n\n" in texts["en"]
    # the block has no English text: the Japanese block is sent, with the Japanese desk name
    assert texts["en"].endswith("【松本市より】窓口はこども育成課です。")
    (hit,) = findings(root, "town/locale-text")
    assert hit["town"] == "202029" and hit["locale"] == "en" and hit["level"] == "warning"
    assert "services.consultation" in hit["message"] and "contacts.desk" not in hit["message"]
    assert "ブロック B0d" in hit["message"]
    assert "contacts.phone" not in hit["message"]  # a phone number reads the same in English


def test_per_locale_values_round_trip_and_plain_strings_stay_valid(tmp_path: Path) -> None:
    data = {**SMALL_TOWN, "contacts": {**SMALL_TOWN["contacts"], "desk": {"ja": "こども課", "en": "Children's Desk"}},
            "services": {"consultation": {"ja": "相談", "ja-easy": "そうだん"}, "parents_class": False}}
    town = town_from_data(data, "towns/202029.yaml")
    assert town.contacts["desk"] == "こども課" and town.template_context("en")["contacts"]["desk"] == "Children's Desk"
    assert town.template_context("ja-easy")["services"] == {"consultation": "そうだん"}
    assert town.template_context()["contacts"]["desk"] == "こども課"
    assert town.not_offered == ("parents_class",)
    again = town_from_data(yamlio.loads(yamlio.dumps(town_to_data(town)), "x"), "x")
    assert again == town
    plain = town_from_data(SMALL_TOWN, "towns/202029.yaml")
    assert town_to_data(plain)["contacts"] == SMALL_TOWN["contacts"] and not plain.localized


def test_bad_per_locale_values_are_named(make_workspace) -> None:
    no_source = bilingual(make_workspace, contacts={"desk": {"en": "Desk"}})
    result = run("-w", str(no_source), "check")
    assert result.exit_code == 2 and "contacts.desk" in result.output and "原文の言語 'ja' が必要" in result.output
    unknown = make_workspace(name="w2", towns=[{**SMALL_TOWN, "contacts": {"desk": {"ja": "課", "fr": "bureau"}}}])
    result = run("-w", str(unknown), "check")
    assert result.exit_code == 2 and "contacts.desk.fr" in result.output
    offered = make_workspace(name="w3", towns=[{**SMALL_TOWN, "services": {"parents_class": True}}])
    result = run("-w", str(offered), "check")
    assert result.exit_code == 2 and "services.parents_class" in result.output and "false" in result.output


def test_a_national_text_about_a_service_the_town_does_not_offer(make_workspace) -> None:
    messages = [small_message("p08w-hello", "P8w", "両親学級では、沐浴の練習ができます。"),
                small_message("b00d-birth", "B0d", "ファミリー・サポート・センターも頼れます。")]
    town = {**SMALL_TOWN, "locales": ["ja"],
            "services": {"consultation": "子育て相談", "parents_class": False, "family_support": False}}
    root = make_workspace(messages=messages, towns=[town])
    hits = findings(root, "town/service-not-offered")
    assert sorted((h["message_id"], h["town"]) for h in hits) == [("b00d-birth", "202029"), ("p08w-hello", "202029")]
    assert any("両親学級" in h["message"] and "services.parents_class" in h["message"] for h in hits)
    # a town that offers them (or says nothing) gets no finding
    root = make_workspace(name="w2", messages=messages, towns=[{**SMALL_TOWN, "locales": ["ja"]}])
    assert findings(root, "town/service-not-offered") == []


def test_the_towns_own_checkup_months_are_announced(sample_path: Path) -> None:
    result = run("-w", str(sample_path), "coverage", "--town", "131121")
    assert "coverage/checkup-months" not in result.output
    town_file = sample_path / "towns" / "131121.yaml"
    data = yamlio.read(town_file)
    del data["blocks"]["B5m"]  # the block that announces the 6-month checkup
    yamlio.write(town_file, data)
    result = run("-w", str(sample_path), "coverage", "--town", "131121")
    assert result.exit_code == 1
    assert "coverage/checkup-months [131121 B5m] 世田谷区: 6か月児健診" in result.output
    data["checkup_months"] = [3, 9]
    yamlio.write(town_file, data)
    assert "coverage/checkup-months" not in run("-w", str(sample_path), "coverage", "--town", "131121").output


def test_messages_after_the_legal_window_and_late_notices(make_workspace) -> None:
    messages = [small_message("b1m-bcg", "B1m", "BCGの案内です。", milestones=["bcg"])]
    root = make_workspace(messages=messages, towns=[{**SMALL_TOWN, "locales": ["ja"]}])
    milestones = {"milestones": [
        {"id": "bcg", "name": "BCG", "legal": {"from": "B0d", "until": "B1m"}, "window": {"from": "B0d", "to": "B2m"},
         "basis": "予防接種法施行令", "as_of": "2025-04-01"}]}
    yamlio.write(root / "milestones.yaml", milestones)
    hits = findings(root, "coverage/legal-window")
    assert any(h["message_id"] == "b1m-bcg" and "法定期間" in h["message"] for h in hits)
    milestones["milestones"][0]["window"] = {"from": "B2m", "to": "B3m"}
    yamlio.write(root / "milestones.yaml", milestones)
    assert any("案内の期間" in h["message"] for h in findings(root, "coverage/legal-window"))
    milestones["milestones"][0]["legal"] = {"from": "B0d", "until": "B1y"}
    milestones["milestones"][0]["window"] = {"from": "B0d", "to": "B2m"}
    yamlio.write(root / "milestones.yaml", milestones)
    assert findings(root, "coverage/legal-window") == []
    milestones["milestones"][0]["legal"] = {"from": "B0d", "to": "B1y", "until": "B1y"}
    yamlio.write(root / "milestones.yaml", milestones)
    result = run("-w", str(root), "check")
    assert result.exit_code == 2 and "milestones.yaml" in result.output and "legal" in result.output


def test_the_sample_milestones_separate_legal_and_notice_windows(sample_path: Path) -> None:
    from datetime import date

    from kizuna.review.coverage import load_milestones

    by_id = {m.id: m for m in load_milestones(sample_path)}
    three = by_id["checkup-3y"]
    assert str(three.start) == "B2y10m" and three.legal is not None and three.legal.label == "3歳から4歳に達するまで"
    assert three.legal.dates(birth=date(2024, 4, 1)) == (date(2027, 4, 1), date(2028, 3, 31))
    assert by_id["bcg"].legal.dates(birth=date(2025, 4, 1))[1] == date(2026, 3, 31)  # 1歳に至るまで
    assert findings(sample_path, "coverage/legal-window") == []
