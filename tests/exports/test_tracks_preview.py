"""One registrant across tracks: loss, preterm birth, twins, nickname, dated and urgent messages."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kizuna.catalog.tracks import date_at_gestation
from kizuna.catalog.workspace import Workspace, load_workspace
from kizuna.cli import main
from kizuna.exports.approval import approvals
from kizuna.exports.registrant import Registrant, timeline
from kizuna.exports.render import town_catalog
from tests.exports.conftest import CONFIG, TOWNS, write_workspace

DUE = date(2026, 9, 1)

TRACKS_CONFIG: dict[str, Any] = {**CONFIG, "registrants": {
    "tracks": {"bereavement": {"label": "流産・死産のあと", "anchor": "event", "end": "B56d"},
               "nicu": {"label": "NICU・早産", "anchor": "birth", "end": "B3m"}},
    "events": {"loss": {"from": ["main", "nicu"], "to": "bereavement", "rest": "stop"},
               "preterm_birth": {"from": ["main"], "to": "nicu", "rest": "continue"}},
    "age": {"corrected": ["feeding", "development"], "chronological": ["vaccination", "legal"]},
    "fields": {"reader.nickname": {"max_length": 12}},
    "merge_tags": {"line": {"reader.nickname": "{nickname}"}, "email": {"reader.nickname": "%%nickname%%"},
                   "sms": {"reader.nickname": "[name]"}},
}}


def msg(mid: str, stage: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"id": mid, "stage": stage, "texts": {"ja": {"text": text}}, **extra}


MESSAGES = [
    msg("p29w-week", "P29w", "妊娠29週です。"),
    msg("p30w-week", "P30w", "妊娠30週です。"),
    msg("p31w-week", "P31w", "妊娠31週です。"),
    msg("p36w-bag", "P36w", "入院の準備はいかがですか。"),
    msg("b00d-born", "B0d", "{{ reader.nickname }}さん、ご出産おめでとうございます。",
        texts={"ja": {"text": "{{ reader.nickname }}さん、ご出産おめでとうございます。",
                      "multiples": "{{ reader.nickname }}さん、ふたりの赤ちゃんのご誕生おめでとうございます。"}}),
    msg("b02m-feeding", "B2m", "授乳のリズムができてくる頃です。", topics=["feeding"]),
    msg("b02m15d-shots", "B2m15d", "予防接種が始まります。", topics=["vaccination"]),
    msg("b01d-nicu", "B1d", "NICUでの面会について。", track="nicu"),
    msg("b00d-loss", "B0d", "つらい時期に、メッセージを送ります。", track="bereavement"),
    msg("b02d-stillbirth-notice", "B2d", "死産届は7日以内に届け出ます。", track="bereavement",
        gestation={"from": "P12w"}),
    msg("b90d-after", "B90d", "この日は届きません（トラックの終わりの後）。", track="bereavement"),
    {"id": "heat", "dated": {"kind": "seasonal", "window": {"from": "07-15", "to": "08-31"},
                             "stages": {"from": "B0d", "until": "B3y"}},
     "texts": {"ja": {"text": "暑い日が続きます。"}}},
    {"id": "measles", "dated": {"kind": "urgent", "window": {"from": "2027-01-10", "to": "2027-01-20"},
                                "stages": {"from": "P4w", "until": "B1y"}, "towns": ["202029"],
                                "expires": "2027-01-20"},
     "texts": {"ja": {"text": "麻しんの流行についてのお知らせです。"}}},
]


@pytest.fixture
def tws(tmp_path: Path, signoff) -> Workspace:
    towns = [TOWNS[0], {**TOWNS[1], "suppress": []}]
    return load_workspace(write_workspace(tmp_path / "ws", messages=MESSAGES, towns=towns, config=TRACKS_CONFIG))


def plan(ws: Workspace, reg: Registrant, code: str = "202029", **kw: Any) -> list[Any]:
    catalog = town_catalog(ws, ws.town(code), "ja", approvals(ws))
    return timeline(catalog.entries, catalog.send_time, reg, ws.config.registrants, **kw)


def by_id(planned: list[Any]) -> dict[str, Any]:
    return {p.entry.message_id: p for p in planned}


def test_stillbirth_at_30_weeks_stops_pregnancy_and_starts_bereavement(tws: Workspace) -> None:
    loss = date_at_gestation(DUE, 30)
    got = plan(tws, Registrant(due=DUE, loss=loss))
    ids = by_id(got)
    assert "p29w-week" in ids and "p30w-week" not in ids and "p31w-week" not in ids
    assert not {"b00d-born", "b02m-feeding", "b02m15d-shots", "heat"} & set(ids)
    assert ids["b00d-loss"].day == loss and ids["b00d-loss"].track == "bereavement"
    assert ids["b00d-loss"].basis == "since-event"
    assert ids["b02d-stillbirth-notice"].day == loss + timedelta(days=2)
    assert "b90d-after" not in ids  # past the track's end (B56d)
    assert max(p.day for p in got if p.track == "main") < loss


def test_early_loss_gets_no_stillbirth_notice(tws: Workspace) -> None:
    ids = by_id(plan(tws, Registrant(due=DUE, loss=date_at_gestation(DUE, 10))))
    assert "b00d-loss" in ids and "b02d-stillbirth-notice" not in ids


def test_birth_at_32_weeks_corrected_for_feeding_chronological_for_vaccination(tws: Workspace) -> None:
    birth = date_at_gestation(DUE, 32)
    ids = by_id(plan(tws, Registrant(due=DUE, birth=birth)))
    assert "p31w-week" in ids and "p36w-bag" not in ids  # pregnancy messages end on the birth date
    assert ids["b02m-feeding"].basis == "corrected" and ids["b02m-feeding"].day == date(2026, 11, 1)
    assert ids["b02m15d-shots"].basis == "chronological"
    assert birth == date(2026, 7, 7) and ids["b02m15d-shots"].day == date(2026, 9, 22)  # B2m15d from the birth
    assert ids["b01d-nicu"].track == "nicu" and ids["b01d-nicu"].day == birth + timedelta(days=1)


def test_term_birth_uses_chronological_age_and_no_nicu_track(tws: Workspace) -> None:
    ids = by_id(plan(tws, Registrant(due=DUE, birth=DUE - timedelta(days=5))))
    assert ids["b02m-feeding"].basis == "chronological" and "b01d-nicu" not in ids


def test_twins_get_the_variant_and_the_nickname(tws: Workspace) -> None:
    one = by_id(plan(tws, Registrant(due=DUE, nickname="はな")))["b00d-born"].text
    two = by_id(plan(tws, Registrant(due=DUE, babies=2, nickname="はな")))["b00d-born"].text
    assert one == "はなさん、ご出産おめでとうございます。"
    assert two == "はなさん、ふたりの赤ちゃんのご誕生おめでとうございます。"


def test_seasonal_and_urgent_on_their_days_in_order(tws: Workspace) -> None:
    got = plan(tws, Registrant(due=DUE))
    heat = [p.day for p in got if p.entry.message_id == "heat"]
    assert heat == [date(2027, 7, 15), date(2028, 7, 15), date(2029, 7, 15)]  # ages 0, 1 and 2
    urgent = [p for p in got if p.entry.message_id == "measles"]
    assert [p.day for p in urgent] == [date(2027, 1, 10)] and urgent[0].kind == "urgent"
    assert not [p for p in plan(tws, Registrant(due=DUE), code="131121") if p.entry.message_id == "measles"]
    # a staged and a dated message on one day: urgent first, then staged, then seasonal
    same_day = plan(tws, Registrant(due=DUE, birth=date(2026, 8, 1)), start=date(2026, 8, 1), days=1)
    assert [p.entry.message_id for p in same_day] == ["b00d-born", "heat"]


def test_urgent_notice_not_after_expiry(tws: Workspace) -> None:
    got = plan(tws, Registrant(due=date(2027, 1, 25)))
    assert [p.day for p in got if p.entry.message_id == "measles"] == [date(2027, 1, 10)]
    late = plan(tws, Registrant(due=date(2028, 2, 1)))
    assert not [p for p in late if p.entry.message_id == "measles"]


def run(root: Path, *args: str) -> Any:
    return CliRunner().invoke(main, ["-w", str(root), "preview", "--town", "202029", "--due", str(DUE), *args])


def test_preview_cli_shows_track_and_age(tws: Workspace) -> None:
    out = run(tws.root, "--birth-weeks", "32", "--nickname", "はな", "--babies", "2")
    assert out.exit_code == 0, out.output
    assert "b02m-feeding  [main 通常・修正月齢]" in out.output
    assert "b02m15d-shots  [main 通常・暦月齢]" in out.output
    assert "b01d-nicu  [nicu NICU・早産・暦月齢]" in out.output
    assert "はなさん、ふたりの赤ちゃん" in out.output and "出生日 2026-07-07（妊娠32週0日）" in out.output
    loss = run(tws.root, "--loss-date", str(date_at_gestation(DUE, 30)), "--track", "bereavement")
    assert loss.exit_code == 0, loss.output
    assert "B0d 起点から0日  b00d-loss  [bereavement 流産・死産のあと・起点の日から]" in loss.output
    assert "p29w-week" not in loss.output
    assert "2027-01-10 08:00  P4w〜B1y  measles  [main 通常・日付指定・緊急]" in run(tws.root).output


def test_preview_cli_refuses_bad_options(tws: Workspace) -> None:
    assert run(tws.root, "--track", "nope").exit_code == 2
    assert run(tws.root, "--birth-weeks", "32", "--birth", "2026-07-01").exit_code == 2
    assert run(tws.root, "--birth-weeks", "3x").exit_code == 2
    assert run(tws.root, "--birth-weeks", "30", "--loss-date", "2026-07-01").exit_code == 2
    assert run(tws.root, "--loss-date", "2024-01-01").exit_code == 2
    assert run(tws.root, "--pause", "2026-10-10:2026-10-01").exit_code == 2
    assert run(tws.root, "--pause", "soon").exit_code == 2


def test_preview_cli_pause_and_opt_out(tws: Workspace) -> None:
    full = run(tws.root, "--birth", "2026-09-01").output
    assert "2026-11-01 08:00  B2m" in full
    paused = run(tws.root, "--birth", "2026-09-01", "--pause", "2026-10-25:2026-11-05")
    assert paused.exit_code == 0 and "2026-11-01 08:00  B2m" not in paused.output
    out = run(tws.root, "--birth", "2026-09-01", "--opt-out", "2026-09-02")
    assert out.exit_code == 0 and "2026-09-01 08:00  B0d" in out.output and "2026-11-01" not in out.output


# --- exports ------------------------------------------------------------------------------------

def export_all(ws: Workspace, out: Path) -> Path:
    from kizuna.exports.runner import ExportRequest, run_export
    run_export(ws, ExportRequest(formats=("json", "line", "sms", "email", "rapidpro", "csv"), jobs=1,
                                 as_of=date(2026, 12, 1)), out)
    return out


def test_canonical_json_carries_tracks_windows_variants_and_placeholders(tws: Workspace, tmp_path: Path) -> None:
    import json

    import jsonschema

    from kizuna.exports.runner import schema_bytes
    out = export_all(tws, tmp_path / "out")
    data = json.loads((out / "202029" / "ja" / "catalog.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(json.loads(schema_bytes("catalog-v1.schema.json"))).validate(data)
    entries = {e["message_id"]: e for e in data["entries"]}
    assert entries["b00d-loss"]["track"] == "bereavement"
    assert entries["b02d-stillbirth-notice"]["gestation"] == {"from": "P12w"}
    assert entries["b02m-feeding"]["age_basis"] == "corrected"
    assert entries["b02m15d-shots"]["age_basis"] == "chronological"
    assert entries["heat"]["dated"] == {"kind": "seasonal", "window": {"from": "07-15", "to": "08-31"},
                                        "stages": {"from": "B0d", "until": "B3y"}}
    assert entries["measles"]["dated"]["window"] == {"from": "2027-01-10", "to": "2027-01-20"}
    born = entries["b00d-born"]
    assert born["text"].startswith("{{ reader.nickname }}さん、") and born["placeholders"] == ["reader.nickname"]
    assert born["multiples_text"].startswith("{{ reader.nickname }}さん、ふたり")
    assert born["channels"]["line"]["text"].startswith("{nickname}さん、")
    assert born["channels"]["email"]["text"].startswith("%%nickname%%さん、")
    pushes = json.loads((out / "202029" / "ja" / "line-push.json").read_text(encoding="utf-8"))["pushes"]
    assert any(p["body"]["messages"][0]["text"].startswith("{nickname}さん") for p in pushes)
    assert "measles" not in (out / "131121" / "ja" / "catalog.json").read_text(encoding="utf-8")


def test_rapidpro_maps_tracks_to_groups_and_nickname_to_contact_name(tws: Workspace, tmp_path: Path) -> None:
    import json
    out = export_all(tws, tmp_path / "out")
    doc = json.loads((out / "202029" / "ja" / "rapidpro.json").read_text(encoding="utf-8"))
    names = [c["name"] for c in doc["campaigns"]]
    assert names == ["松本市(202029) 妊娠中 ja", "松本市(202029) 出生後 ja", "松本市(202029) 流産・死産のあと ja",
                     "松本市(202029) NICU・早産 ja"]
    events = {e["message"]["jpn"]: e for c in doc["campaigns"] for e in c["events"]}
    assert "@contact.name さん、ご出産おめでとうございます。".replace(" ", "") in events
    feeding = events["授乳のリズムができてくる頃です。"]
    assert feeding["relative_to"]["key"] == "corrected_birth_date"
    assert events["予防接種が始まります。"]["relative_to"]["key"] == "birth_date"
    grief = events["つらい時期に、メッセージを送ります。"]
    assert grief["relative_to"]["key"] == "bereavement_start_date" and grief["offset"] == 0
    assert not any("暑い日" in text for text in events)  # dated messages are not campaign events
    keys = {f["key"] for f in doc["fields"]}
    assert {"due_date", "birth_date", "corrected_birth_date", "bereavement_start_date"} <= keys
    assert {g["name"] for g in doc["groups"]} >= {"松本市(202029) 流産・死産のあと ja"}


def test_placeholder_a_backend_cannot_express_writes_nothing(tmp_path: Path, signoff) -> None:
    config = {**TRACKS_CONFIG, "registrants": {**TRACKS_CONFIG["registrants"], "merge_tags": {}}}
    towns = [TOWNS[0]]
    root = write_workspace(tmp_path / "ws", messages=MESSAGES, towns=towns, config=config)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["-w", str(root), "export", "--out", str(out)])
    assert result.exit_code == 2
    assert "line cannot express the registrant field reader.nickname" in result.output
    assert "registrants.merge_tags.line" in result.output and not out.exists()


def test_condition_on_a_registrant_field_is_refused(tmp_path: Path, signoff) -> None:
    messages = [msg("b00d-born", "B0d", "{% if reader.nickname %}{{ reader.nickname }}さん、{% endif %}おめでとう。")]
    root = write_workspace(tmp_path / "ws", messages=messages, towns=[TOWNS[0]], config=TRACKS_CONFIG)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["-w", str(root), "export", "--out", str(out)])
    assert result.exit_code == 2 and "can only be printed" in result.output and not out.exists()


def test_placeholder_counts_at_its_longest_for_channel_limits(tmp_path: Path, signoff) -> None:
    text = "{{ reader.nickname }}さん、" + "あ" * 640
    config = {**TRACKS_CONFIG, "registrants": {**TRACKS_CONFIG["registrants"],
                                               "fields": {"reader.nickname": {"max_length": 30}}}}
    sms_town = {**TOWNS[3], "channels": ["sms"]}
    root = write_workspace(tmp_path / "ws", messages=[msg("b00d-born", "B0d", text)], towns=[sms_town],
                           config=config)
    result = CliRunner().invoke(main, ["-w", str(root), "export", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "longest" in result.output
    ok = root / "messages" / "b00d-born.yaml"
    ok.write_text(ok.read_text(encoding="utf-8").replace("あ" * 640, "あ" * 600), encoding="utf-8")
    result = CliRunner().invoke(main, ["-w", str(root), "export", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output


def test_export_after_expiry_leaves_the_urgent_notice_out(tws: Workspace, tmp_path: Path) -> None:
    import json

    from kizuna.exports.runner import ExportRequest, run_export
    before = run_export(tws, ExportRequest(formats=("json",), towns=("202029",), jobs=1, as_of=date(2027, 1, 20)),
                        tmp_path / "a").out
    after = run_export(tws, ExportRequest(formats=("json",), towns=("202029",), jobs=1, as_of=date(2027, 1, 21)),
                       tmp_path / "b").out
    ids = lambda out: {e["message_id"] for e in json.loads((out / "202029" / "ja" / "catalog.json")
                                                           .read_text(encoding="utf-8"))["entries"]}
    assert "measles" in ids(before) and "measles" not in ids(after) and "heat" in ids(after)


@pytest.mark.parametrize("change, field", [
    (lambda c, m: c["registrants"]["events"]["loss"].update(to="grief"), "registrants.events.loss.to"),
    (lambda c, m: m[0].update(track=["main", "nicu"]), "track"),
    (lambda c, m: m[-2]["dated"]["window"].update({"from": "09-01"}), "dated.window.to"),
])
def test_bad_track_input_exits_2_and_writes_nothing(tmp_path: Path, signoff, change: Any, field: str) -> None:
    import copy
    config, messages = copy.deepcopy(TRACKS_CONFIG), copy.deepcopy(MESSAGES)
    change(config, messages)
    root = write_workspace(tmp_path / "ws", messages=messages, towns=[TOWNS[0]], config=config)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["-w", str(root), "export", "--out", str(out)])
    assert result.exit_code == 2 and field in result.output and not out.exists()
