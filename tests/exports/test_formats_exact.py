"""Formats exact to their consumer: RFC 2047 header limits, RapidPro's importer rules, codes that
survive spreadsheets and pandas, and JSON Schemas that match the versioning promise."""
from __future__ import annotations

import calendar
import copy
import csv
import io
import json
from datetime import date, timedelta
from email import policy
from email.header import decode_header, make_header
from email.parser import BytesParser
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import jsonschema
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kizuna.catalog.stages import MEAN_MONTH_DAYS
from kizuna.catalog.workspace import load_workspace
from kizuna.demo import sample_root
from kizuna.exports.errors import ExportError
from kizuna.exports.formats import eml, rapidpro, tabular
from kizuna.exports.runner import ExportRequest, run_export, schema_bytes

from .conftest import TOWNS, write_workspace

ALL = ("json", "ndjson", "csv", "xlsx", "line", "sms", "email", "rapidpro")


def strict(schema: Any) -> Any:
    """The schema with every object closed (``additionalProperties: false``): what kizuna 1.0
    itself writes, no more. The shipped schema stays open for consumers (see docs/exports.md)."""
    if isinstance(schema, dict):
        out = {k: strict(v) for k, v in schema.items()}
        if "properties" in out and out.get("type") == "object" and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [strict(v) for v in schema]
    return schema


def load_schema(name: str) -> dict[str, Any]:
    return json.loads(schema_bytes(name))


@pytest.fixture(scope="module")
def sample_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every format of every sample town, unapproved text included (so every message is there)."""
    out = tmp_path_factory.mktemp("sample") / "out"
    run_export(load_workspace(sample_root()), ExportRequest(include_unapproved=True, formats=ALL, jobs=1), out)
    return out


# --- e-mail -------------------------------------------------------------------------------------

JIS_TEXT = st.text(st.sampled_from("あいうえおかきくけこ漢字健診予防接種のお知らせ（）【】ABC 123・ー"),
                   min_size=1, max_size=120)


@settings(max_examples=150, deadline=None)
@given(text=JIS_TEXT, charset=st.sampled_from(["iso-2022-jp", "utf-8"]),
       name=st.sampled_from(["Subject", "From", "X-Long-Header-Name-For-Testing"]))
def test_encoded_headers_keep_rfc2047_limits_and_decode_to_the_text(text: str, charset: str, name: str) -> None:
    text = text.strip() or "あ"
    value = eml.encode_header(text, charset, name)
    raw = f"{name}: {value}\r\n\r\n".encode("ascii")
    assert eml.header_limit_violations(raw) == []
    unfolded = value.replace("\r\n", "")
    assert str(make_header(decode_header(unfolded))) == text


def test_long_ascii_headers_fold_before_the_value() -> None:
    value = "decision:" + "a" * 64
    folded = eml.header_value("X-Kizuna-Approval-Ref", value)
    assert folded == "\r\n " + value
    assert eml.header_limit_violations(f"X-Kizuna-Approval-Ref: {folded}\r\n\r\n".encode()) == []


@pytest.mark.parametrize("name", ["Matsumoto City, Child and Family Support Division (Maternal Health)",
                                  "松本市こども部こども育成課母子保健担当（サンプル）からのお知らせ配信"])
def test_long_sender_names_fold_and_keep_the_address(name: str) -> None:
    value = eml.address(name, "kosodate@city.example.jp", "iso-2022-jp")
    raw = f"From: {value}\r\n\r\nbody\r\n".encode("ascii")
    assert eml.header_limit_violations(raw) == []
    # RFC 2047 §6.2: the space between adjacent encoded-words is not part of the name (the
    # default policy's address parser keeps it, so decode as §6.2 says)
    decoded = str(make_header(decode_header(value.replace("\r\n", ""))))
    assert parseaddr(decoded) == (name, "kosodate@city.example.jp")


def test_every_sample_email_keeps_the_rfc2047_limits(sample_export: Path) -> None:
    files = sorted(sample_export.glob("*/*/email/*.eml"))
    assert len(files) > 100
    for path in files:
        raw = path.read_bytes()
        assert eml.header_limit_violations(raw) == [], path
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        assert msg["Subject"].startswith("【未承認】") == (msg["X-Kizuna-Approved"] == "no")
        assert "\n" not in str(msg["Subject"]) and msg["X-Kizuna-Approval-Ref"].strip()
        assert "Date" not in msg and "Message-ID" not in msg


def test_the_old_unnamed_header_encoding_broke_the_limits() -> None:
    """What the issue measured: Header(...).encode() without the header name makes a first line
    past 76 characters; the named folding does not."""
    from email.header import Header
    subject = "【未承認】与謝野町より（妊娠10週0日）"
    old = f"Subject: {Header(subject, 'iso-2022-jp').encode(linesep=chr(13) + chr(10))}\r\n\r\n"
    assert eml.header_limit_violations(old.encode()) != []
    new = f"Subject: {eml.encode_header(subject, 'iso-2022-jp')}\r\n\r\n"
    assert eml.header_limit_violations(new.encode()) == []


def email_workspace(tmp_path: Path, email_options: dict[str, Any]) -> Any:
    config = {"kizuna": 1, "title": "t", "source_locale": "ja", "locales": ["ja", "en"],
              "exports": {"email": email_options}}
    return load_workspace(write_workspace(tmp_path / "w", towns=[TOWNS[0]], config=config))


def test_date_and_message_id_on_request(tmp_path: Path, signoff) -> None:
    ws = email_workspace(tmp_path, {"from": "kosodate@city.example.jp", "date_and_message_id": True})
    run_export(ws, ExportRequest(formats=("email",), jobs=1, as_of=date(2026, 4, 1)), tmp_path / "out")
    raw = (tmp_path / "out/202029/ja/email/p10w-hello.eml").read_bytes()
    assert eml.header_limit_violations(raw) == []
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert msg["Date"] == "Wed, 01 Apr 2026 08:00:00 +0900"   # the town's send time, JST
    assert msg["Message-ID"].startswith("<p10w-hello.") and msg["Message-ID"].endswith(
        ".202029.ja@city.example.jp>")
    again = tmp_path / "again"
    run_export(ws, ExportRequest(formats=("email",), jobs=1, as_of=date(2026, 4, 1)), again)
    assert (again / "202029/ja/email/p10w-hello.eml").read_bytes() == raw


def test_date_without_a_sending_day_is_an_error(tmp_path: Path, signoff) -> None:
    ws = email_workspace(tmp_path, {"date_and_message_id": True})
    with pytest.raises(ExportError, match="--as-of"):
        run_export(ws, ExportRequest(formats=("email",), jobs=1), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_date_option_must_be_a_boolean(tmp_path: Path, signoff) -> None:
    ws = email_workspace(tmp_path, {"date_and_message_id": "yes"})
    with pytest.raises(ExportError, match="true or false"):
        run_export(ws, ExportRequest(formats=("email",), jobs=1, as_of=date(2026, 4, 1)), tmp_path / "out")


# --- RapidPro -----------------------------------------------------------------------------------

def test_rapidpro_field_labels_are_ones_rapidpro_keeps(sample_export: Path) -> None:
    docs = sorted(sample_export.glob("*/*/rapidpro.json"))
    assert docs
    for path in docs:
        doc = json.loads(path.read_text(encoding="utf-8"))
        labels = {f["name"] for f in doc["fields"]}
        labels |= {e["relative_to"]["label"] for c in doc["campaigns"] for e in c["events"]}
        assert labels >= {"Due Date", "Birth Date"}   # and the fields of tracks and registrants
        assert all(rapidpro.valid_field_label(label) for label in labels)
        for campaign in doc["campaigns"]:
            assert len(campaign["name"]) <= rapidpro.MAX_NAME and '"' not in campaign["name"]


@pytest.mark.parametrize("label, ok", [("Due Date", True), ("birth-date 2", True), ("出産予定日", False),
                                       (" Due", False), ("a" * 37, False), ("due_date", False)])
def test_rapidpro_label_rule(label: str, ok: bool) -> None:
    assert rapidpro.valid_field_label(label) is ok


def test_rapidpro_campaign_name_rapidpro_would_rewrite_is_an_error() -> None:
    with pytest.raises(ExportError, match="at most 64"):
        rapidpro.check_name("長" * 70, "202029")
    with pytest.raises(ExportError, match="towns/202029.yaml"):
        rapidpro.check_name('市"役所', "202029")


def add_months(day: date, months: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@settings(max_examples=300, deadline=None)
@given(birth=st.dates(date(2000, 1, 1), date(2060, 12, 31)), months=st.integers(0, 216))
def test_rapidpro_month_offsets_are_at_most_three_days_off(birth: date, months: int) -> None:
    days = round(months * MEAN_MONTH_DAYS)
    assert abs((birth + timedelta(days) - add_months(birth, months)).days) <= 3


def test_rapidpro_month_offsets_can_be_three_days_off() -> None:
    """The docs' bound is reached, so the docs must not promise less."""
    worst = max(abs((b + timedelta(round(m * MEAN_MONTH_DAYS)) - add_months(b, m)).days)
                for b in (date(2024, 1, 31), date(2023, 3, 1), date(2024, 2, 29)) for m in range(0, 40))
    assert worst == 3


# --- CSV and XLSX -------------------------------------------------------------------------------

@pytest.fixture
def zero_code_export(tmp_path: Path, signoff) -> Path:
    town = copy.deepcopy(TOWNS[0])
    town.update(code="011002", name="札幌市", prefecture="北海道", backend=["csv", "xlsx"])
    ws = load_workspace(write_workspace(tmp_path / "w", towns=[town]))
    out = tmp_path / "out"
    run_export(ws, ExportRequest(formats=("csv", "xlsx"), jobs=1), out)
    return out / "011002/ja"


def test_csv_codes_survive_pandas_read_as_the_docs_say(zero_code_export: Path) -> None:
    frame = pd.read_csv(zero_code_export / "catalog.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert set(frame["town_code"]) == {"011002"}
    assert set(frame["approved"]) == {"true"}
    rows = list(csv.DictReader(io.StringIO((zero_code_export / "catalog.csv").read_text("utf-8-sig"))))
    assert rows[0]["town_code"] == "011002"


def test_xlsx_codes_are_text_cells_and_approved_is_a_boolean(zero_code_export: Path) -> None:
    sheet = openpyxl.load_workbook(zero_code_export / "catalog.xlsx").active
    header = [c.value for c in sheet[1]]
    code, approved = sheet.cell(2, header.index("town_code") + 1), sheet.cell(2, header.index("approved") + 1)
    assert code.value == "011002" and code.data_type == "s" and code.number_format == "@"
    assert approved.value is True and approved.data_type == "b"
    offset = sheet.cell(2, header.index("offset_days") + 1)
    assert isinstance(offset.value, int) and offset.number_format == "General"
    frame = pd.read_excel(zero_code_export / "catalog.xlsx", dtype={c: str for c in tabular.TEXT_COLUMNS})
    assert set(frame["town_code"]) == {"011002"} and frame["approved"].dtype == bool


# --- JSON Schemas -------------------------------------------------------------------------------

def test_shipped_schemas_are_open_for_unknown_fields_and_strict_for_kizuna(sample_export: Path) -> None:
    """Consumers may ignore unknown fields within major version 1: the shipped schema accepts a
    1.x document with a field added later; kizuna itself writes only fields 1.0 names."""
    schema = load_schema("catalog-v1.schema.json")
    assert '"additionalProperties": false' not in json.dumps(schema)
    data = json.loads((sample_export / "202029/ja/catalog.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(strict(schema)).validate(data)
    later = copy.deepcopy(data)
    later["schema_version"] = "1.1.0"
    later["added_in_1_1"] = {"x": 1}
    later["entries"][0]["reading_minutes"] = 2
    later["entries"][0]["approval"]["reviewers"] = ["ped"]
    jsonschema.Draft202012Validator(schema).validate(later)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(strict(schema)).validate(later)


def test_every_ndjson_line_of_the_sample_is_valid(sample_export: Path) -> None:
    line_schema = load_schema("entry-v1.schema.json")
    catalog_schema = load_schema("catalog-v1.schema.json")
    assert line_schema["$defs"] == catalog_schema["$defs"]
    assert line_schema["x-schema-version"] == catalog_schema["x-schema-version"]
    jsonschema.Draft202012Validator.check_schema(line_schema)
    validator = jsonschema.Draft202012Validator(line_schema)
    closed_entry = jsonschema.Draft202012Validator({"$defs": strict(catalog_schema)["$defs"],
                                                    "$ref": "#/$defs/entry"})
    files = sorted(sample_export.glob("*/*/catalog.ndjson"))
    assert files
    for path in files:
        town, locale = path.parts[-3], path.parts[-2]
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            validator.validate(record)
            assert (record.pop("town"), record.pop("locale")) == (town, locale)
            closed_entry.validate(record)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({"town": "202029"})


def test_the_ndjson_schema_is_shipped_in_every_export(sample_export: Path) -> None:
    assert (sample_export / "schema/entry-v1.schema.json").read_bytes() == schema_bytes("entry-v1.schema.json")
    manifest = json.loads((sample_export / "manifest.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(strict(load_schema("manifest-v1.schema.json"))).validate(manifest)
