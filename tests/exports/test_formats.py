"""Each built-in format: canonical JSON against the shipped JSON Schema, CSV, XLSX, NDJSON,
LINE, SMS, e-mail and RapidPro."""
from __future__ import annotations

import csv
import io
import json
from email import policy
from email.parser import BytesParser
from pathlib import Path

import jsonschema
import openpyxl
import pytest

from kizuna.catalog.workspace import Workspace, load_workspace
from kizuna.exports import registry
from kizuna.exports.approval import approvals
from kizuna.exports.errors import ChannelError
from kizuna.exports.formats import csvfile, eml, rapidpro, xlsxfile
from kizuna.exports.model import SCHEMA_VERSION
from kizuna.exports.render import town_catalog
from kizuna.exports.runner import ExportRequest, run_export, schema_bytes
from kizuna.demo import sample_root

from .conftest import MESSAGES, TOWNS, write_workspace

ALL = ("json", "ndjson", "csv", "xlsx", "line", "sms", "email", "rapidpro")


def catalog_schema() -> dict:
    return json.loads(schema_bytes("catalog-v1.schema.json"))


def export_all(ws: Workspace, out: Path, **kw) -> Path:
    run_export(ws, ExportRequest(formats=ALL, jobs=1, **kw), out)
    return out


def test_schema_declares_the_code_schema_version() -> None:
    schema = catalog_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["x-schema-version"] == SCHEMA_VERSION
    manifest_schema = json.loads(schema_bytes("manifest-v1.schema.json"))
    assert manifest_schema["x-schema-version"] == SCHEMA_VERSION


def test_canonical_json_is_valid_for_every_town_and_locale(ws: Workspace, signoff, tmp_path: Path) -> None:
    signoff(overrides={("p40w-due", "ja"): "stale"})
    validator = jsonschema.Draft202012Validator(catalog_schema())
    for include in (False, True):
        out = export_all(ws, tmp_path / f"out-{include}", include_unapproved=include)
        files = sorted(out.glob("*/*/catalog.json"))
        assert len(files) == 5
        for path in files:
            data = json.loads(path.read_text(encoding="utf-8"))
            validator.validate(data)
            assert data["include_unapproved"] is include


def test_canonical_json_of_the_sample_is_valid(signoff, tmp_path: Path) -> None:
    ws = load_workspace(sample_root())
    signoff(default="draft")
    out = tmp_path / "sample"
    run_export(ws, ExportRequest(include_unapproved=True, formats=("json",), jobs=1), out)
    validator = jsonschema.Draft202012Validator(catalog_schema())
    for path in sorted(out.glob("*/*/catalog.json")):
        validator.validate(json.loads(path.read_text(encoding="utf-8")))


def test_sample_towns_use_every_builtin_format() -> None:
    from kizuna.exports.runner import default_formats
    ws = load_workspace(sample_root())
    used = {f for town in ws.towns.values() for f in default_formats(town)}
    assert used == set(ALL)


def test_csv_has_bom_crlf_and_neutralised_formula_cells() -> None:
    text = csvfile.csv_text(["a", "b"], [["=SUM(A1)", -3], ["+1", "@x"], ["-x", "\tx"],
                                         ["\rx", "＝式"], ["ふつう", "a=b"]])
    assert text.startswith("\ufeffa,b\r\n")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    assert rows[1] == ["'=SUM(A1)", "-3"]
    assert rows[2] == ["'+1", "'@x"] and rows[3] == ["'-x", "'\tx"]
    assert rows[4] == ["'\rx", "'＝式"] and rows[5] == ["ふつう", "a=b"]


def test_csv_export_columns(ws: Workspace, signoff, tmp_path: Path) -> None:
    out = export_all(ws, tmp_path / "out")
    raw = (out / "202029/ja/catalog.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0]["message_id"] == "p10w-hello" and rows[0]["offset_days"] == "-210"
    assert rows[0]["approved"] == "true" and rows[0]["approval_ref"].startswith("decision:")


def test_xlsx_keeps_formula_text_as_text_and_is_deterministic(ws: Workspace, signoff) -> None:
    data = [["=1+1", 3], ["ふつう", 4]]
    first = xlsxfile.workbook_bytes(xlsxfile.workbook(("text", "n"), data))
    assert first == xlsxfile.workbook_bytes(xlsxfile.workbook(("text", "n"), data))
    sheet = openpyxl.load_workbook(io.BytesIO(first)).active
    assert sheet["A2"].value == "=1+1" and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == 3


def test_ndjson_lines_are_canonical_entries(ws: Workspace, signoff, tmp_path: Path) -> None:
    out = export_all(ws, tmp_path / "out")
    lines = (out / "131121/ja/catalog.ndjson").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert all(r["town"] == "131121" and r["locale"] == "ja" for r in records)
    canonical = json.loads((out / "131121/ja/catalog.json").read_text(encoding="utf-8"))["entries"]
    assert [r["message_id"] for r in records] == [e["message_id"] for e in canonical]


def test_line_push_bodies(ws: Workspace, signoff, tmp_path: Path) -> None:
    out = export_all(ws, tmp_path / "out")
    doc = json.loads((out / "202029/ja/line-push.json").read_text(encoding="utf-8"))
    push = doc["pushes"][0]
    assert push["body"]["to"] == "${LINE_USER_ID}"
    assert push["body"]["messages"][0]["type"] == "text"
    assert 1 <= len(push["body"]["messages"]) <= 5
    assert push["send_time"] == "08:00" and push["anchor"] == "due"


def test_sms_parts_file(ws: Workspace, signoff, tmp_path: Path) -> None:
    out = export_all(ws, tmp_path / "out")
    doc = json.loads((out / "131121/ja/sms.json").read_text(encoding="utf-8"))
    first = doc["messages"][0]
    assert first["encoding"] == "ucs2" and "".join(first["parts"]).startswith("妊娠10週")


def test_sms_too_long_names_town_and_message(tmp_path: Path, signoff) -> None:
    messages = [dict(MESSAGES[0], texts={"ja": {"text": "あ" * 700}})]
    ws = load_workspace(write_workspace(tmp_path / "w", messages=messages, towns=[dict(TOWNS[1], suppress=[])]))
    with pytest.raises(ChannelError, match="town 131121, message p10w-hello.*at most 670"):
        town_catalog(ws, ws.town("131121"), "ja", approvals(ws))


def parse_eml(path: Path):
    return BytesParser(policy=policy.default).parsebytes(path.read_bytes())


def test_email_iso_2022_jp(ws: Workspace, signoff, tmp_path: Path) -> None:
    out = export_all(ws, tmp_path / "out")
    raw = (out / "202029/ja/email/p10w-hello.eml").read_bytes()
    assert raw.isascii() and b"\r\n" in raw
    assert b"=?iso-2022-jp?b?" in raw and b"Date:" not in raw
    msg = parse_eml(out / "202029/ja/email/p10w-hello.eml")
    assert msg["Subject"] == "松本市より（妊娠10週0日）"
    assert msg.get_content_charset() == "iso-2022-jp" and msg["Content-Transfer-Encoding"] == "7bit"
    assert msg.get_content().startswith("妊娠10週のメッセージです。")
    assert msg["X-Kizuna-Offset"] == "months=0; days=-210" and msg["X-Kizuna-Approved"] == "yes"


def test_email_utf8_town(ws: Workspace, signoff, tmp_path: Path) -> None:
    out = export_all(ws, tmp_path / "out")
    msg = parse_eml(out / "264652/ja/email/b0d-born.eml")
    assert msg.get_content_charset() == "utf-8"
    assert msg.get_content().strip() == "ご出産おめでとうございます。"
    assert msg["Subject"] == "与謝野町より（生後0日）"


def test_email_replaces_or_refuses_characters_iso_2022_jp_lacks(tmp_path: Path, signoff) -> None:
    messages = [dict(MESSAGES[0], texts={"ja": {"text": "①健診 ②ﾜｸﾁﾝ"}})]
    ws = load_workspace(write_workspace(tmp_path / "w", messages=messages, towns=[dict(TOWNS[0], blocks={})]))
    out = tmp_path / "out"
    run_export(ws, ExportRequest(formats=("json", "email"), jobs=1), out)
    assert parse_eml(out / "202029/ja/email/p10w-hello.eml").get_content().strip() == "(1)健診 (2)ワクチン"
    entry = json.loads((out / "202029/ja/catalog.json").read_text(encoding="utf-8"))["entries"][0]
    assert entry["channels"]["email"]["replacements"] == [["①", "(1)"], ["②ﾜｸﾁﾝ", "(2)ワクチン"]]
    bad = [dict(MESSAGES[0], texts={"ja": {"text": "髙橋医院へ"}})]
    ws = load_workspace(write_workspace(tmp_path / "w2", messages=bad, towns=[dict(TOWNS[0], blocks={})]))
    with pytest.raises(ChannelError, match="town 202029, message p10w-hello.*'髙'"):
        run_export(ws, ExportRequest(jobs=1), tmp_path / "out2")


def test_email_subject_option(tmp_path: Path, signoff) -> None:
    config = {"kizuna": 1, "locales": ["ja", "en"], "exports": {"email": {
        "subject": {"ja": "【{{ town.name }}】{{ stage.label }}"}, "from": "kosodate@example.jp"}}}
    ws = load_workspace(write_workspace(tmp_path / "w", towns=[TOWNS[2]], config=config))
    run_export(ws, ExportRequest(formats=("email",), jobs=1), tmp_path / "out")
    msg = parse_eml(tmp_path / "out/264652/ja/email/b0d-born.eml")
    assert msg["Subject"] == "【与謝野町】生後0日" and "kosodate@example.jp" in msg["From"]


def test_rapidpro_campaign_import(ws: Workspace, signoff, tmp_path: Path) -> None:
    out = export_all(ws, tmp_path / "out")
    doc = json.loads((out / "131121/ja/rapidpro.json").read_text(encoding="utf-8"))
    assert doc["version"] == "13" and doc["flows"] == [] and doc["triggers"] == []
    assert {f["key"] for f in doc["fields"]} == {"due_date", "birth_date"}
    pregnancy, after = doc["campaigns"]
    assert pregnancy["group"]["name"] == "世田谷区(131121) 妊娠中 ja"
    first = pregnancy["events"][0]
    assert first["relative_to"] == {"key": "due_date", "label": "Due Date"}
    assert all(rapidpro.valid_field_label(f["name"]) for f in doc["fields"])
    assert (first["offset"], first["unit"], first["delivery_hour"]) == (-210, "D", 7)
    assert first["event_type"] == "M" and first["base_language"] == "jpn"
    assert first["message"]["jpn"].startswith("妊娠10週")
    offsets = {e["offset"] for e in after["events"]}
    assert 0 in offsets and 30 in offsets   # B0d, and B1m by the mean month (30.44 -> 30)
    assert all(e["relative_to"]["key"] == "birth_date" for e in after["events"])
    again = export_all(ws, tmp_path / "again")
    assert (again / "131121/ja/rapidpro.json").read_bytes() == (out / "131121/ja/rapidpro.json").read_bytes()


def test_rapidpro_unknown_language_is_an_error(ws: Workspace, signoff) -> None:
    catalog = town_catalog(ws, ws.town("131121"), "ja", approvals(ws))
    with pytest.raises(Exception, match="exports.rapidpro.languages"):
        rapidpro.export(catalog, {"languages": {"ja": ""}})


def test_registry_entry_points_match_builtins() -> None:
    from importlib.metadata import entry_points
    declared = {ep.name: ep.value for ep in entry_points(group=registry.GROUP)}
    assert {k: v for k, v in declared.items() if k in registry.BUILTINS} == registry.BUILTINS
    assert set(registry.names()) >= set(ALL)
    with pytest.raises(Exception, match="unknown export format 'fax'"):
        registry.get("fax")


def test_email_module_docstring_defaults_match_code() -> None:
    assert eml.DEFAULT_FROM in eml.__doc__


def test_email_headers_quote_names_and_cannot_be_injected(tmp_path: Path, signoff) -> None:
    config = {"kizuna": 1, "locales": ["ja", "en"], "exports": {"email": {
        "from_name": {"ja": "Yosano Town, Child Support"},
        "subject": {"ja": "{{ town.contacts.desk }}より"}, "from": "kosodate@example.jp"}}}
    town = dict(TOWNS[2], contacts={"desk": "子育て応援課\nBcc: victim@example.com"})
    ws = load_workspace(write_workspace(tmp_path / "w", towns=[town], config=config))
    run_export(ws, ExportRequest(formats=("email",), jobs=1), tmp_path / "out")
    msg = parse_eml(tmp_path / "out/264652/ja/email/b0d-born.eml")
    assert msg["Bcc"] is None and not msg.defects
    assert msg["Subject"] == "子育て応援課 Bcc: victim@example.comより"   # one line, no new header
    assert [(a.display_name, a.addr_spec) for a in msg["From"].addresses] == [
        ("Yosano Town, Child Support", "kosodate@example.jp")]
    config["exports"]["email"]["from"] = "kosodate@example.jp\nBcc: x@example.com"
    ws = load_workspace(write_workspace(tmp_path / "w2", towns=[TOWNS[2]], config=config))
    with pytest.raises(Exception, match="exports.email.from"):
        run_export(ws, ExportRequest(formats=("email",), jobs=1), tmp_path / "out2")


def test_rapidpro_refuses_a_text_longer_than_a_message_event_holds(tmp_path: Path, signoff) -> None:
    messages = [dict(MESSAGES[0], texts={"ja": {"text": "あ" * 641}})]
    ws = load_workspace(write_workspace(tmp_path / "w", messages=messages, towns=[dict(TOWNS[1], channels=["line"], suppress=[])]))
    catalog = town_catalog(ws, ws.town("131121"), "ja", approvals(ws))
    with pytest.raises(Exception, match=r"town 131121, message p10w-hello \(ja\).*641 characters.*at most 640"):
        rapidpro.export(catalog, {})
    doc = json.loads(rapidpro.export(catalog, {"max_length": 1000})[0].data)
    assert len(doc["campaigns"][0]["events"][0]["message"]["jpn"]) == 641
    with pytest.raises(Exception, match="exports.rapidpro.max_length"):
        rapidpro.export(catalog, {"max_length": "many"})


def test_xlsx_names_a_control_character_it_cannot_store(tmp_path: Path, signoff) -> None:
    messages = [dict(MESSAGES[0], texts={"ja": {"text": "健診の\x0b案内です。"}})]
    ws = load_workspace(write_workspace(tmp_path / "w", messages=messages, towns=[TOWNS[2]]))
    catalog = town_catalog(ws, ws.town("264652"), "ja", approvals(ws))
    with pytest.raises(Exception, match=r"town 264652, message p10w-hello \(ja\).*U\+000B at character 4"):
        xlsxfile.export(catalog, {})
