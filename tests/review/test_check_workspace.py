"""Workspace checks as an editor meets them: templates, translations, channels, coverage and
milestones, on small workspaces built for each case and on the bundled sample."""
from __future__ import annotations

from pathlib import Path

import pytest

from kizuna.catalog import yamlio
from kizuna.catalog.errors import WorkspaceError
from kizuna.catalog.hashing import text_hash
from kizuna.catalog.workspace import load_workspace
from kizuna.review.checks import run_checks
from kizuna.review.coverage import coverage_frame, coverage_heatmap, load_milestones
from tests.conftest import SMALL_CONFIG, SMALL_TOWN, small_message

pytestmark = pytest.mark.usefixtures("japanese")  # findings in Japanese (tests/review/conftest.py)

TINY_STAGES = ["P8w", "P10w", "P12w", "B0d", "B1d", "B2d", "B1m", "B4m", "B7m", "B10m"]


def full_catalog(**overrides: str) -> list[dict]:
    """One message per slot of the ``tiny`` cadence (texts may be overridden by stage)."""
    return [small_message(f"m-{s.lower()}", s, overrides.get(s, "今日の様子をお知らせします。")) for s in TINY_STAGES]


def of_rule(findings: list, rule: str) -> list:
    return [f for f in findings if f.rule == rule]


def test_a_complete_calendar_has_no_coverage_findings(make_workspace) -> None:
    messages = [{**m, "topics": ["checkup"]} if m["stage"] in ("B4m", "B10m") else m for m in full_catalog()]
    ws = load_workspace(make_workspace(messages=messages, towns=[{**SMALL_TOWN, "locales": ["ja"]}]))
    assert [f for f in run_checks(ws) if f.rule.startswith("coverage/")] == []


def test_gaps_come_as_runs_and_collisions_per_slot(make_workspace) -> None:
    messages = [m for m in full_catalog() if m["stage"] not in ("B1d", "B2d")]
    messages.append(small_message("extra-p10w", "P10w", "もう一通。"))
    ws = load_workspace(make_workspace(messages=messages, towns=[{**SMALL_TOWN, "locales": ["ja"]}]))
    findings = run_checks(ws)
    (gap,) = of_rule(findings, "coverage/gap")
    assert gap.stage == "B1d" and "2回分" in gap.message and gap.path == "towns/202029.yaml"
    (collision,) = of_rule(findings, "coverage/collision")
    assert collision.stage == "P10w" and "extra-p10w" in collision.message


def test_a_gap_or_collision_of_the_national_catalog_is_one_finding_counting_the_towns(make_workspace) -> None:
    messages = [m for m in full_catalog() if m["stage"] not in ("B1d", "B2d")]
    messages.append(small_message("extra-p10w", "P10w", "もう一通。"))
    codes = {"202029": "松本市", "131016": "千代田区", "131024": "中央区", "131032": "港区", "131041": "新宿区"}
    towns = [{**SMALL_TOWN, "code": code, "name": name, "prefecture": "長野県" if code == "202029" else "東京都",
              "locales": ["ja"]} for code, name in codes.items()]
    ws = load_workspace(make_workspace(messages=messages, towns=towns))
    findings = run_checks(ws)
    (gap,) = of_rule(findings, "coverage/gap")  # not five, one per town
    assert gap.message.startswith("5市区町村（千代田区、中央区、港区 ほか2市区町村）")
    assert "B1d" == gap.stage and "2回分" in gap.message and gap.town is None and gap.path is None
    (collision,) = of_rule(findings, "coverage/collision")
    assert collision.message.startswith("5市区町村（") and "extra-p10w" in collision.message
    # one town in scope (kizuna check --town): the finding is that town's, in its file
    (own,) = of_rule(run_checks(ws, towns=["131032"]), "coverage/gap")
    assert own.message.startswith("港区（ja）") and own.town == "131032" and own.path == "towns/131032.yaml"
    # a town with a calendar of its own (here: no gap) drops out of the count
    fixed = [{**t, "local_messages": [small_message(f"{t['code']}-b1d", "B1d", "一日目です。"),
                                      small_message(f"{t['code']}-b2d", "B2d", "二日目です。")]}
             if t["code"] == "131041" else t for t in towns]
    (gap,) = of_rule(run_checks(load_workspace(make_workspace(messages=messages, towns=fixed, name="ws2"))),
                     "coverage/gap")
    assert gap.message.startswith("4市区町村（千代田区、中央区、港区 ほか1市区町村）")


def test_suppressed_message_without_a_local_replacement_is_a_gap(make_workspace) -> None:
    town = {**SMALL_TOWN, "locales": ["ja"], "suppress": ["m-b1m"]}
    ws = load_workspace(make_workspace(messages=full_catalog(), towns=[town]))
    (gap,) = of_rule(run_checks(ws), "coverage/gap")
    assert "m-b1m" in gap.message and "止めて" in gap.message
    replaced = {**town, "local_messages": [small_message("202029-b1m", "B1m", "松本市の1か月のお知らせです。")]}
    ws = load_workspace(make_workspace(messages=full_catalog(), towns=[replaced], name="ws2"))
    assert of_rule(run_checks(ws), "coverage/gap") == []


def test_a_missing_translation_is_a_gap_in_that_locale_only(make_workspace) -> None:
    ws = load_workspace(make_workspace(messages=full_catalog()))  # the town also sends English
    gaps = of_rule(run_checks(ws), "coverage/gap")
    assert {f.locale for f in gaps} == {"en"}
    assert of_rule(run_checks(ws, locales=["ja"]), "coverage/gap") == []


def test_milestones_need_a_tagged_message_inside_the_window(make_workspace) -> None:
    messages = full_catalog()
    root = make_workspace(messages=messages, towns=[{**SMALL_TOWN, "locales": ["ja"]}])
    yamlio.write(root / "milestones.yaml", {"milestones": [
        {"id": "birth-registration", "name": "出生届", "window": {"from": "B0d", "to": "B13d"},
         "basis": "戸籍法49条", "as_of": "2025-04-01"},
        {"id": "checkup-3y", "name": "3歳児健診", "window": {"from": "B3y", "to": "B3y11m"},
         "basis": "母子保健法12条", "as_of": "2025-04-01"}]})
    (missing,) = of_rule(run_checks(load_workspace(root)), "coverage/milestone")
    assert "出生届" in missing.message and missing.stage == "B0d"  # 3歳児健診 is past the town's end age
    late = small_message("m-b1m", "B1m", "出生届は出しましたか。", milestones=["birth-registration"])
    yamlio.write(root / "messages" / "m-b1m.yaml", late)
    (still,) = of_rule(run_checks(load_workspace(root)), "coverage/milestone")
    assert "m-b1m は 生後1か月" in still.message
    on_time = small_message("m-b1d", "B1d", "出生届は14日以内です。", milestones=["birth-registration", "typo-id"])
    yamlio.write(root / "messages" / "m-b1d.yaml", on_time)
    (unknown,) = of_rule(run_checks(load_workspace(root)), "coverage/milestone")
    assert "typo-id" in unknown.message and unknown.path == "messages/m-b1d.yaml"


@pytest.mark.parametrize(("content", "field"), [
    ({"milestones": [{"id": "x", "name": "X", "window": {"from": "B0d"}, "basis": "b", "as_of": "2025-04-01"}]},
     "milestones[0].window.to"),
    ({"milestones": [{"id": "x", "name": "X", "window": {"from": "B1m", "to": "B0d"}, "basis": "b",
                      "as_of": "2025-04-01"}]}, "milestones[0].window.to"),
    ({"milestones": [{"id": "x", "name": "X", "window": {"from": "B0d", "to": "B9q"}, "basis": "b",
                      "as_of": "2025-04-01"}]}, "milestones[0].window.to"),
    ({"milestones": [{"id": "x", "name": "X", "window": {"from": "B0d", "to": "B1d"}, "basis": "b"}]},
     "milestones[0].as_of"),
    ({"milestones": [{"id": "x", "name": "X", "window": {"from": "B0d", "to": "B1d"}, "basis": "b",
                      "as_of": "2025-04-01", "when": 1}]}, "milestones[0]"),
    ({"milestones": {"id": "x"}}, "milestones"),
])
def test_malformed_milestones_file_names_file_and_field(tmp_path: Path, content: dict, field: str) -> None:
    yamlio.write(tmp_path / "milestones.yaml", content)
    with pytest.raises(WorkspaceError) as err:
        load_milestones(tmp_path)
    assert err.value.field == field and "milestones.yaml" in str(err.value)


def test_template_syntax_error_is_a_finding_not_a_crash(make_workspace) -> None:
    broken = small_message("p08w-hello", "P8w", "妊娠8週です。\n{{ town.name }の窓口へ。")
    ws = load_workspace(make_workspace(messages=[broken], towns=[{**SMALL_TOWN, "locales": ["ja"]}]))
    (f,) = of_rule(run_checks(ws, locales=["ja"]), "template/variables")
    assert f.level == "error" and f.line == 2 and "テンプレート" in f.message


def test_template_fields_outside_the_schema_or_missing_in_a_town(make_workspace) -> None:
    messages = [small_message("p08w-hello", "P8w", "{{ town.mayor }}と{{ town.services.sango_care }}、"
                              "{% for m in town.checkup_months %}{{ m }}か月{% endfor %}。")]
    ws = load_workspace(make_workspace(messages=messages, towns=[{**SMALL_TOWN, "locales": ["ja"]}]))
    found = of_rule(run_checks(ws, locales=["ja"]), "template/variables")
    assert any("town.mayor" in f.message and f.town is None for f in found)
    (missing,) = [f for f in found if f.town == "202029"]
    assert "services.sango_care" in missing.message
    assert not any("{{ m }}" in f.message for f in found)  # a loop variable is the template's own


def test_translation_variables_and_staleness(make_workspace) -> None:
    source = "{{ town.name }}の窓口で受け付けます。"
    message = small_message("p08w-hello", "P8w", source)
    message["texts"]["en"] = {"text": "Apply at the city office.", "source_hash": "0" * 16}
    ws = load_workspace(make_workspace(messages=[message]))
    found = run_checks(ws, locales=["en"])
    (variables,) = of_rule(found, "template/variables")
    assert variables.level == "warning" and "town.name" in variables.message
    assert len(of_rule(found, "translation/stale")) == 1
    message["texts"]["en"] = {"text": "Apply at {{ town.name }}.", "source_hash": text_hash(source)}
    ws = load_workspace(make_workspace(messages=[message], name="ws2"))
    found = run_checks(ws, locales=["en"])
    assert of_rule(found, "translation/stale") == [] and of_rule(found, "template/variables") == []


def test_channel_limits_per_town(make_workspace) -> None:
    long_text = "赤ちゃんとの毎日を応援しています。" * 40  # 680 characters: 11 UCS-2 parts
    towns = [{**SMALL_TOWN, "locales": ["ja"], "channels": ["sms", "email"], "email_encoding": "iso-2022-jp",
              "blocks": {"P8w": "【松本市より】相談は①電話か②窓口で。髙橋先生が担当します。"}}]
    ws = load_workspace(make_workspace(messages=[small_message("p08w-hello", "P8w", long_text)], towns=towns))
    found = of_rule(run_checks(ws, locales=["ja"]), "length/channel")
    sms = [f for f in found if "SMS" in f.message]
    assert len(sms) == 1 and "11通" in sms[0].message and sms[0].town == "202029" and sms[0].level == "error"
    info = [f.message for f in found if f.level == "info"]
    errors = [f.message for f in found if "ISO-2022-JP" in f.message and f.level == "error"]
    assert any("「①」" in m and "(1)" in m for m in info)
    assert len(errors) == 1 and "「髙」" in errors[0] and "ブロック" in errors[0]


def test_line_limit_counts_the_town_block_too(make_workspace) -> None:
    text = "あ" * 4990
    towns = [{**SMALL_TOWN, "locales": ["ja"], "channels": ["line"], "blocks": {"P8w": "【松本市より】" + "い" * 10}}]
    ws = load_workspace(make_workspace(messages=[small_message("p08w-hello", "P8w", text)], towns=towns))
    (f,) = of_rule(run_checks(ws, locales=["ja"]), "length/channel")
    assert "LINE" in f.message and "5009文字" in f.message  # 4990 + blank line + 17


def test_coverage_frame_and_heatmap_on_the_sample(sample_ws, tmp_path: Path) -> None:
    frame = coverage_frame(sample_ws)
    assert {"town", "locale", "stage", "count", "status"} <= set(frame.columns)
    assert set(frame["status"]) <= {"ok", "gap", "collision"}
    assert (frame.groupby(["town", "locale"]).size() > 0).all()
    png = coverage_heatmap(sample_ws, tmp_path / "out" / "coverage.png", towns=["202029"])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


def test_heatmap_without_a_japanese_font_labels_rows_by_code(sample_ws, tmp_path: Path, monkeypatch) -> None:
    import kizuna.review.coverage as coverage

    monkeypatch.setattr(coverage, "japanese_font", lambda: None)
    assert coverage.coverage_heatmap(sample_ws, tmp_path / "c.png").stat().st_size > 10_000


def test_sample_checks_run_and_find_what_was_planted(sample_ws) -> None:
    findings = run_checks(sample_ws)
    rules = {f.rule for f in findings}
    assert {"tone/ranuki", "tone/command", "tone/mixed-style"} <= rules
    assert all(f.path for f in findings)
    assert run_checks(sample_ws, towns=["264652"]) is not None
    # every translation in the sample is made from its current source; editing a source shows it
    assert "translation/stale" not in rules
    edited = sample_ws.messages["b04d-baby-blues"]
    sample_ws.save_message(edited.with_text("ja", edited.text("ja") + "一人で抱え込まなくて大丈夫です。"))
    stale = of_rule(run_checks(sample_ws, locales=["ja-easy", "en"]), "translation/stale")
    assert {(f.message_id, f.locale) for f in stale} == {
        ("b04d-baby-blues", loc) for loc in sample_ws.messages["b04d-baby-blues"].locales if loc != "ja"}


EMAIL_TOWN = {**SMALL_TOWN, "channels": ["email"], "email_encoding": "iso-2022-jp", "locales": ["ja"]}


def test_email_subject_length_and_encoding_are_checked(make_workspace) -> None:
    ws = load_workspace(make_workspace(messages=full_catalog(), towns=[EMAIL_TOWN]))
    subjects = [f for f in of_rule(run_checks(ws), "length/channel") if "件名" in f.message]
    assert subjects == []  # the default subject 「松本市より（妊娠8週0日）」 is short and JIS-safe

    long_subject = {**SMALL_CONFIG, "exports": {"email": {"subject": "{{ town.prefecture }}{{ town.name }}子育て応援メッセージ配信サービスからのお知らせ（{{ stage.label }}）"}}}
    ws = load_workspace(make_workspace(messages=full_catalog(), towns=[EMAIL_TOWN], config=long_subject, name="long"))
    hits = [f for f in of_rule(run_checks(ws), "length/channel") if "件名" in f.message]
    assert hits and all(f.level == "warning" and f.town == "202029" for f in hits)
    assert "携帯のメール一覧では途中で切れます" in hits[0].message

    bad_char = {**SMALL_CONFIG, "exports": {"email": {"subject": "髙{{ town.name }}より"}}}
    ws = load_workspace(make_workspace(messages=full_catalog(), towns=[EMAIL_TOWN], config=bad_char, name="jis"))
    hits = [f for f in of_rule(run_checks(ws), "length/channel") if "件名" in f.message]
    assert hits and all(f.level == "error" and "髙" in f.message for f in hits)


def test_heatmap_ticks_land_on_day_slots_too() -> None:
    """A daily calendar has no B1m slot; the B1m label goes on the first day slot after it."""
    from kizuna.catalog.stages import Stage
    from kizuna.review.coverage import tick_positions

    columns = [Stage.parse(f"B{d}d") for d in range(0, 100)]
    ticks = {str(stage): str(columns[i]) for i, stage in tick_positions(columns)}
    assert ticks["B0d"] == "B0d" and ticks["B1m"] == "B31d" and ticks["B3m"] in ("B91d", "B92d")
    assert "B4m" not in ticks and "P40w" not in ticks


def test_a_configured_level_caps_the_milder_kinds_of_a_rule(make_workspace) -> None:
    """template/variables reports a translation's variables as a warning; configured to info,
    the rule never reports above info (and the ISO-2022-JP replacement of length/channel stays info)."""
    message = small_message("p08w-hello", "P8w", "{{ town.name }}の窓口で受け付けます。①")
    message["texts"]["en"] = {"text": "Apply at the city office.", "source_hash": text_hash(message["texts"]["ja"]["text"])}
    config = {**SMALL_CONFIG, "checks": {"rules": {"template/variables": "info", "length/channel": "warning"}}}
    towns = [{**SMALL_TOWN, "channels": ["email"], "email_encoding": "iso-2022-jp"}]
    ws = load_workspace(make_workspace(messages=[message], towns=towns, config=config))
    found = run_checks(ws)
    (variables,) = of_rule(found, "template/variables")
    assert variables.level == "info"
    replaced = [f for f in of_rule(found, "length/channel") if "①" in f.message]
    assert replaced and all(f.level == "info" for f in replaced)


def test_sentence_and_preview_lengths_count_fields_as_the_towns_fill_them(make_workspace) -> None:
    text = "産後ケアのご案内です。{{ town.services.care }}"
    long_care = ("産後ケアは、出産後1年未満の方と赤ちゃんが、市内の助産院や産科の医療機関などで日帰り・宿泊・訪問の"
                 "三つの形で利用でき、利用料の一部を町が負担しているので、体を休めたいときや授乳の相談をしたいときに"
                 "気軽に申し込めます")
    assert len(long_care) > 100
    towns = [{**SMALL_TOWN, "locales": ["ja"], "services": {"care": long_care}}]
    ws = load_workspace(make_workspace(messages=[small_message("m-care", "B0d", text)], towns=towns))
    (hit,) = [f for f in run_checks(ws) if f.rule == "length/sentence" and f.message_id == "m-care"]
    assert f"一文が{len(long_care)}文字あります" in hit.message
    preview = [f for f in run_checks(ws) if f.rule == "length/preview" and f.message_id == "m-care"]
    assert preview and f"1行目が{len('産後ケアのご案内です。') + len(long_care)}文字" in preview[0].message

    short = [{**SMALL_TOWN, "locales": ["ja"], "services": {"care": "産後ケアが使えます。"}}]
    ws = load_workspace(make_workspace(messages=[small_message("m-care", "B0d", text)], towns=short, name="short"))
    assert [f for f in run_checks(ws) if f.rule.startswith("length/") and f.message_id == "m-care"] == []


def test_fallbacks_come_once_per_message_locale_and_reason_counting_the_towns(sample_ws) -> None:
    """At national scale one finding per town and slot was a hundred thousand lines: a
    coverage/fallback finding is about one message in one locale, and counts the towns that
    send the fallback text instead (as coverage marks them); with one town, it names it."""
    import re
    from collections import Counter

    found = [f for f in run_checks(sample_ws, rules=["coverage/fallback"]) if f.rule == "coverage/fallback"]
    assert found and all(f.message_id and f.locale and f.path for f in found)
    keys = [(f.message_id, f.locale, f.message.split(":")[1]) for f in found]
    assert len(keys) == len(set(keys))
    frame = coverage_frame(sample_ws)
    expected = Counter((mid, row["locale"]) for _, row in frame.iterrows() for mid in row["fallback"])
    counted = Counter()
    for f in found:
        counted[(f.message_id, f.locale)] += int(re.search(r"(\d+) ?(?:towns?|市区町村)", f.message).group(1))
    assert counted == expected and max(expected.values()) > 1
    one = sample_ws.towns[frame["town"].iloc[0]]
    alone = [f for f in run_checks(sample_ws, towns=[one.code], rules=["coverage/fallback"])
             if f.rule == "coverage/fallback"]
    assert alone and all(f.town == one.code and one.name in f.message for f in alone)
    assert {(f.message_id, f.locale) for f in alone} == {k for k in expected if k in {
        (mid, row["locale"]) for _, row in frame[frame["town"] == one.code].iterrows() for mid in row["fallback"]}}
