"""What ships (review.selection): coverage, export and preview agree on every slot; a
translation not signed off falls back to the signed-off source; a translation ships only with
its signed-off source; clinical topics keep clinical review in translation; preview from a
birth date alone."""
from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner

import pytest

from kizuna.catalog import yamlio
from kizuna.catalog.workspace import load_workspace
from kizuna.cli import main
from kizuna.review.coverage import coverage_frame
from kizuna.review.decisions import read_log
from kizuna.review.selection import select_texts
from kizuna.review.signoff import all_items, status

pytestmark = pytest.mark.usefixtures("japanese")  # findings in Japanese (tests/review/conftest.py)

HONEY, SAFE_SLEEP = "b09m15d-honey", "b11d-safe-sleep"
#: a delivery's first line: day, time, stage (or dated window), message id, [track・age]
PREVIEW_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d  .*?(\S+)  \[[^\]]+\]$")
FALLBACK_NOTE = re.compile(r"^    （(\S+) の送れる本文がないため、(\S+) の本文を送ります）$")


def run(*args: str) -> object:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def decide(root: Path, mid: str, locale: str, who: str, decision: str = "approve") -> None:
    result = run("-w", str(root), "review", "decide", mid, "--locale", locale, "--by", who,
                 "--decision", decision, "--comment", "テスト")
    assert result.exit_code == 0, result.output


def approve(root: Path, mid: str, locale: str) -> None:
    """Approve through the CLI with reviewers of every role still missing (the sample roster)."""
    ws = load_workspace(root)
    st = status(ws)[(mid, locale)]
    used: set[str] = {d.reviewer for d in st.approvals}
    for role, count in st.missing_roles.items():
        people = sorted(r.id for r in ws.reviewers.values() if role in r.roles and r.id not in used)
        for who in people[:count]:
            decide(root, mid, locale, who)
            used.add(who)
    assert status(load_workspace(root))[(mid, locale)].state == "approved"


def export_json(root: Path, out: Path, *extra: str) -> dict[tuple[str, str], dict[str, dict]]:
    """(town, locale) -> message id -> canonical entry, from ``kizuna export --format json``."""
    result = run("-w", str(root), "export", "--format", "json", "--out", str(out), "--jobs", "1", *extra)
    assert result.exit_code == 0, result.output
    found = {}
    for path in sorted(out.glob("*/*/catalog.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        found[(path.parent.parent.name, path.parent.name)] = {e["message_id"]: e for e in doc["entries"]}
    return found


def preview(root: Path, town: str, locale: str, *args: str) -> dict[str, str]:
    """message id -> the locale of its text, from ``kizuna preview`` (the fallback note)."""
    result = run("-w", str(root), "preview", "--town", town, "--locale", locale, *args)
    assert result.exit_code == 0, result.output
    shown: dict[str, str] = {}
    current = None
    for line in result.output.splitlines():
        if m := PREVIEW_LINE.match(line):
            current = m.group(1)
            shown[current] = locale
        elif (m := FALLBACK_NOTE.match(line)) and current is not None:
            assert m.group(1) == locale
            shown[current] = m.group(2)
    return shown


def test_coverage_export_and_preview_agree_on_every_slot_of_the_sample(sample_path: Path, tmp_path: Path) -> None:
    ws = load_workspace(sample_path)
    frame = coverage_frame(ws)
    exported = export_json(sample_path, tmp_path / "exports")
    checked = fallbacks = unsent = 0
    for (code, locale), rows in frame.groupby(["town", "locale"]):
        entries = exported[(code, locale)]
        shown = preview(sample_path, code, locale, "--due", "2026-06-01", "--birth", "2026-06-10")
        for _, row in rows.iterrows():
            for mid in row["message_ids"]:
                checked += 1
                if mid in row["unsent"]:  # coverage: nothing ships yet
                    unsent += 1
                    assert mid not in entries and mid not in shown, (code, locale, mid)
                    continue
                assert mid in entries, (code, locale, mid)
                text_locale = entries[mid]["text_locale"]
                assert entries[mid]["approval"]["approved"] is True
                assert (mid in row["fallback"]) == (text_locale != locale), (code, locale, mid)
                fallbacks += text_locale != locale
                assert shown[mid] == text_locale, (code, locale, mid)
        sent = {mid for _, row in rows.iterrows() for mid in row["message_ids"] if mid not in row["unsent"]}
        # the export sends nothing of the main track's calendar that coverage does not report
        # (other tracks, dated messages and messages off the town's cadence have their own views)
        slots = set(rows["stage"])
        on_calendar = {mid for mid, e in entries.items()
                       if e.get("track", "main") == "main" and not e.get("dated") and e["stage"] in slots}
        assert on_calendar == sent, (code, locale)
    assert checked > 500 and fallbacks > 50 and unsent > 0
    # no message is missing from any locale: every locale of a town gets what its source locale gets
    for (code, locale), entries in exported.items():
        assert set(entries) == set(exported[(code, ws.config.source_locale)]), (code, locale)


def test_an_unapproved_translation_falls_back_to_the_approved_source(sample_path: Path, tmp_path: Path) -> None:
    """The en text of b09m15d-honey (no honey before age 1) with changes requested: English
    readers get the signed-off Japanese text, recorded as a fallback; coverage says so."""
    approve(sample_path, HONEY, "ja")
    decide(sample_path, HONEY, "en", "yoshida", "changes")
    entries = export_json(sample_path, tmp_path / "x", "--town", "202029", "--locale", "en")[("202029", "en")]
    assert entries[HONEY]["text_locale"] == "ja" and "はちみつ" in entries[HONEY]["text"]
    assert preview(sample_path, "202029", "en", "--birth", "2026-01-10")[HONEY] == "ja"
    cov = run("-w", str(sample_path), "coverage", "--town", "202029", "--locale", "en")
    assert re.search(rf"coverage/fallback .*{HONEY}: 承認されていない", cov.output), cov.output
    ws = load_workspace(sample_path)
    (row,) = [r for _, r in coverage_frame(ws, ["202029"], ["en"]).iterrows() if HONEY in r["message_ids"]]
    assert row["fallback"] == [HONEY] and row["unsent"] == []


def test_a_translation_ships_only_with_its_approved_source(sample_path: Path, tmp_path: Path) -> None:
    """The en text of b11d-safe-sleep approved while its ja source is in review: it is not
    exported (nothing of the message ships until the source is signed off); a preview marks it."""
    decide(sample_path, SAFE_SLEEP, "ja", "takahashi", "changes")
    approve(sample_path, SAFE_SLEEP, "en")
    shown = run("-w", str(sample_path), "review", "status").output
    assert re.search(rf"approved +{SAFE_SLEEP}  en .*まだ送られません（原文が承認されていない）", shown), shown
    out = export_json(sample_path, tmp_path / "x", "--town", "131121")
    assert all(SAFE_SLEEP not in out[("131121", loc)] for loc in ("ja", "ja-easy", "en"))
    manifest = json.loads((tmp_path / "x" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["left_out"]["unapproved"] >= 3
    result = run("-w", str(sample_path), "export", "--include-unapproved", "--town", "131121", "--locale", "en",
                 "--format", "json", "--out", str(tmp_path / "p"), "--jobs", "1")
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "p/131121/en/catalog.json").read_text(encoding="utf-8"))
    (entry,) = [e for e in doc["entries"] if e["message_id"] == SAFE_SLEEP]
    assert entry["text_locale"] == "en" and entry["approval"]["approved"] is False
    assert entry["approval"]["status"] == "source_unapproved" and entry["channels"]["line"]["text"].startswith("【未承認】")
    ws = load_workspace(sample_path)
    (row,) = [r for _, r in coverage_frame(ws, ["131121"], ["en"]).iterrows() if SAFE_SLEEP in r["message_ids"]]
    assert row["unsent"] == [SAFE_SLEEP]
    # once the source is signed off, the translation ships (its source_hash names that text)
    approve(sample_path, SAFE_SLEEP, "ja")
    source = load_workspace(sample_path).messages[SAFE_SLEEP]
    after = export_json(sample_path, tmp_path / "y", "--town", "131121", "--locale", "en")[("131121", "en")]
    expected = "en" if not source.is_stale_translation("en", "ja") else "ja"
    assert after[SAFE_SLEEP]["text_locale"] == expected


def test_a_translation_of_another_source_text_is_not_shipped(sample_path: Path, tmp_path: Path) -> None:
    path = sample_path / "messages" / f"{HONEY}.yaml"
    data = yamlio.read(path)
    data["texts"]["en"]["source_hash"] = "0123456789abcdef"  # translated from another ja text
    yamlio.write(path, data)
    approve(sample_path, HONEY, "ja")
    approve(sample_path, HONEY, "en")
    entries = export_json(sample_path, tmp_path / "x", "--town", "202029", "--locale", "en")[("202029", "en")]
    assert entries[HONEY]["text_locale"] == "ja"
    cov = run("-w", str(sample_path), "coverage", "--town", "202029", "--locale", "en")
    assert f"{HONEY}: 承認された原文と訳した原文が違う" in cov.output


def test_the_sample_log_never_approves_a_translation_of_an_unapproved_source(sample_path: Path) -> None:
    ws = load_workspace(sample_path)
    when = max(d.at for d in read_log(sample_path)) + timedelta(days=1)
    found = status(ws, now=when)
    source = ws.config.source_locale
    translations = [(k, st) for k, st in found.items() if k[1] != source and (k[0], source) in found]
    assert translations
    for (key, locale), st in translations:
        if st.state == "approved":
            assert found[(key, source)].state == "approved", (key, locale)


def test_translations_of_clinical_topics_need_clinical_review(sample_path: Path) -> None:
    """The sample's policy says ``translations: {editor: 1}``; a translation of a vaccination
    message still needs the pediatrician, and an editor alone does not approve it."""
    ws = load_workspace(sample_path)
    items = all_items(ws)
    vaccine = next(m for m in ws.messages.values() if "vaccination" in m.topics and "en" in m.texts)
    assert items[(vaccine.id, "en")].required == {"pediatrician": 1, "editor": 1}
    result = run("-w", str(sample_path), "review", "status", "--format", "json")
    rows = {(r["message"], r["locale"]): r for r in json.loads(result.output)["items"]}
    assert rows[(vaccine.id, "en")]["required"] == {"pediatrician": 1, "editor": 1}
    if rows[(vaccine.id, "en")]["state"] != "approved":  # an editor's approval alone is not enough
        decide(sample_path, vaccine.id, "en", "yoshida")
        assert status(load_workspace(sample_path))[(vaccine.id, "en")].missing_roles == {"pediatrician": 1}
    # a policy naming a translation reviewer and a clinician is taken as it is
    config = yamlio.read(sample_path / "kizuna.yaml")
    config["review"]["translations"] = {"editor": 1, "midwife": 1}
    yamlio.write(sample_path / "kizuna.yaml", config)
    assert all_items(load_workspace(sample_path))[(vaccine.id, "en")].required == {"midwife": 1, "editor": 1}


def test_preview_from_a_birth_date_alone(sample_path: Path) -> None:
    result = run("-w", str(sample_path), "preview", "--town", "202029", "--birth", "2026-01-10",
                 "--include-unapproved")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "出産予定日未登録" in lines[0] and "出生日 2026-01-10" in lines[0]
    dated = [PREVIEW_LINE.match(line) for line in lines]
    # staged messages (a dated message shows its stage range, e.g. P0w〜B3y)
    stages = [line.split()[2] for line, m in zip(lines, dated) if m and "〜" not in line.split()[2]]
    assert stages and stages[0] == "B0d" and not any(s.startswith("P") for s in stages)
    assert lines[[i for i, m in enumerate(dated) if m][0]].startswith("2026-01-10 08:00")
    missing = run("-w", str(sample_path), "preview", "--town", "202029")
    assert missing.exit_code == 2 and "--due" in missing.output and "--birth" in missing.output


def test_selection_passes_over_locales_in_chain_order() -> None:
    texts = {"ja": "原文", "en": "text"}
    approved = {("m", "ja"): True, ("m", "en"): True}
    pick = select_texts("m", texts, ("en", "ja"), "ja", lambda k, l: approved.get((k, l), False))
    assert pick.text_locale == "en" and not pick.fallback  # a block records no source_hash
    approved[("m", "ja")] = False
    pick = select_texts("m", texts, ("en", "ja"), "ja", lambda k, l: approved.get((k, l), False))
    assert pick.text_locale is None and pick.first == "en"
    assert pick.skipped == (("en", "source_unapproved"), ("ja", "unapproved"))
    assert pick.shown(include_unapproved=True) == "en" and pick.shown(include_unapproved=False) is None
    nothing = select_texts("m", {}, ("en",), "ja", lambda k, l: True)
    assert nothing.first is None and nothing.reason == "untranslated"
