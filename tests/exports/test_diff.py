"""``export diff``: a changeset from the manifests first — added, removed and changed entries, a
changed town profile, unchanged catalogs skipped by hash, backend hints, broken manifests refused."""
from __future__ import annotations

import io
import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from kizuna.catalog.workspace import load_workspace
from kizuna.cli import main
from kizuna.exports.changeset import write_html, write_json, write_text
from kizuna.exports.diff import DiffTally, ExportSide, diff_entries, iter_diffs, open_export
from kizuna.exports.errors import ExportError
from kizuna.exports.formats.rapidpro import stable_uuid
from kizuna.exports.runner import ExportRequest, run_export

from .conftest import MESSAGES, TOWNS, write_workspace

SCHEMA = json.loads(resources.files("kizuna.exports").joinpath("schema", "changeset-v1.schema.json").read_text())


def entry(mid: str, stage: str, text: str, ref: str = "r") -> dict:
    return {"message_id": mid, "stage": stage, "text": text, "content_hash": text[:4],
            "approval": {"approved": True, "ref": ref}}


def test_diff_entries_kinds() -> None:
    old = [entry("a", "P10w", "x"), entry("b", "P11w", "y"), entry("c", "B1m", "z"), entry("e", "B4m", "q")]
    new = [entry("a", "P10w", "x2"), entry("c", "B2m", "z"), entry("d", "B3m", "w"),
           entry("e", "B4m", "q", ref="r2")]
    kinds = [(c.change, c.message_id, c.what) for c in diff_entries(old, new)]
    assert kinds == [("changed", "a", ("text",)), ("changed", "c", ("stage",)), ("added", "d", ()),
                     ("changed", "e", ("approval",)), ("removed", "b", ())]


def _changed_workspace(root: Path) -> None:
    messages = [m for m in MESSAGES if m["id"] != "b1m-month"]
    messages = [dict(m, stage="P11w") if m["id"] == "p10w-second" else m for m in messages]
    messages = [dict(m, texts={"ja": {"text": "予定日になりました。"}}) if m["id"] == "p40w-due" else m
                for m in messages]
    messages.append({"id": "b2m-new", "stage": "B2m", "texts": {"ja": {"text": "生後2か月です。"}}})
    for path in (root / "messages").glob("*.yaml"):
        path.unlink()
    write_workspace(root, messages=messages, towns=[dict(TOWNS[0], send_time="09:00"), *TOWNS[1:3]])
    (root / "towns" / "473243.yaml").unlink()


@pytest.fixture
def two_exports(tmp_path: Path, signoff) -> tuple[Path, Path]:
    root = write_workspace(tmp_path / "w")
    run_export(load_workspace(root), ExportRequest(jobs=1, formats=("json", "rapidpro")), tmp_path / "old")
    _changed_workspace(root)
    run_export(load_workspace(root), ExportRequest(jobs=1, formats=("json", "rapidpro")), tmp_path / "new")
    return tmp_path / "old", tmp_path / "new"


def _diffs(old: Path, new: Path) -> tuple[list, DiffTally]:
    tally = DiffTally()
    return list(iter_diffs(open_export(old), open_export(new), tally)), tally


def test_changes_per_town_and_locale(two_exports: tuple[Path, Path]) -> None:
    diffs, tally = _diffs(*two_exports)
    matsumoto = next(d for d in diffs if (d.town, d.locale) == ("202029", "ja"))
    assert matsumoto.counts() == {"added": 1, "changed": 2, "removed": 1}
    moved = next(c for c in matsumoto.entries if c.message_id == "p10w-second")
    assert "stage" in moved.what and (moved.old["stage"], moved.new["stage"]) == ("P10w", "P11w")
    reworded = next(c for c in matsumoto.entries if c.message_id == "p40w-due")
    assert reworded.what == ("text",) and reworded.old["content_hash"] != reworded.new["content_hash"]
    assert reworded.new["text"] == "予定日になりました。" and reworded.new["approval_ref"]
    assert matsumoto.town_changes == {"send_time": {"old": "08:00", "new": "09:00"}}
    yomitan = next(d for d in diffs if d.town == "473243")
    assert yomitan.status == "removed" and all(c.change == "removed" for c in yomitan.entries)
    assert {(d.town, d.locale) for d in diffs} == {("131121", "ja"), ("202029", "en"), ("202029", "ja"),
                                                    ("264652", "ja"), ("473243", "ja")}
    assert tally.catalogs_opened == 9   # 4 catalogs on both sides, 読谷村 only in the old export


def test_unchanged_catalogs_are_not_opened(tmp_path: Path, signoff) -> None:
    root = write_workspace(tmp_path / "w")
    run_export(load_workspace(root), ExportRequest(jobs=1, formats=("json",)), tmp_path / "old")
    write_workspace(root, towns=[dict(TOWNS[0], send_time="09:00"), *TOWNS[1:]])
    run_export(load_workspace(root), ExportRequest(jobs=1, formats=("json",)), tmp_path / "new")
    # a catalog whose hash is the same in both manifests is skipped unread: unreadable on disk,
    # the diff still runs
    target = tmp_path / "old" / "264652" / "ja" / "catalog.json"
    target.chmod(0)
    try:
        diffs, tally = _diffs(tmp_path / "old", tmp_path / "new")
    finally:
        target.chmod(0o644)
    assert {(d.town, d.locale) for d in diffs} == {("202029", "ja"), ("202029", "en")}
    assert all(d.town_changes == {"send_time": {"old": "08:00", "new": "09:00"}} for d in diffs)
    assert (tally.catalogs_compared, tally.catalogs_unchanged, tally.catalogs_opened) == (5, 3, 4)


def test_workers_give_the_same_diff(two_exports: tuple[Path, Path]) -> None:
    one = [d.to_data() for d in iter_diffs(*(open_export(p) for p in two_exports), jobs=1)]
    two = [d.to_data() for d in iter_diffs(*(open_export(p) for p in two_exports), jobs=2, parallel_from=1)]
    assert one == two and len(one) == 5


def test_backend_hints(two_exports: tuple[Path, Path]) -> None:
    diffs, _ = _diffs(*two_exports)
    matsumoto = next(d for d in diffs if (d.town, d.locale) == ("202029", "ja"))
    actions = {(a["action"], a.get("message_id")) for a in matsumoto.hints["rapidpro"]}
    assert ("create_event", "b2m-new") in actions and ("delete_event", "b1m-month") in actions
    assert ("update_event_offset", "p10w-second") in actions and ("update_event_message", "p40w-due") in actions
    assert ("reimport_campaigns", None) in actions   # the send time changed: every event's hour
    created = next(a for a in matsumoto.hints["rapidpro"] if a["action"] == "create_event")
    assert created["event"] == stable_uuid("202029", "ja", "event", "b2m-new")
    rapidpro_doc = json.loads((two_exports[1] / "202029" / "ja" / "rapidpro.json").read_text())
    assert created["event"] in {e["uuid"] for c in rapidpro_doc["campaigns"] for e in c["events"]}
    assert matsumoto.hints["line"][0]["action"] == "rebuild_schedule"


def test_changeset_json_matches_schema(two_exports: tuple[Path, Path]) -> None:
    old, new = (open_export(p) for p in two_exports)
    tally = DiffTally()
    buffer = io.StringIO()
    write_json(buffer, old, new, iter_diffs(old, new, tally), tally)
    data = json.loads(buffer.getvalue())
    jsonschema.Draft202012Validator(SCHEMA).validate(data)
    assert data["counts"]["entries"]["added"] >= 1
    assert data["new"]["catalog_revision"] != data["old"]["catalog_revision"]


def test_text_and_html(two_exports: tuple[Path, Path], tmp_path: Path) -> None:
    old, new = (open_export(p) for p in two_exports)
    tally, buffer = DiffTally(), io.StringIO()
    write_text(buffer, write_html(tmp_path / "pages", iter_diffs(old, new, tally), old, new), tally)
    report = buffer.getvalue()
    assert "202029 松本市 [ja]:" in report and "  ! send time 08:00 → 09:00" in report
    assert "      - 予定日です。\n      + 予定日になりました。" in report
    assert "  + added   b2m-new  B2m" in report and "  - removed b1m-month  B1m" in report
    assert "  ~ changed p10w-second  P10w → P11w  (stage" in report
    assert "473243 読谷村 [ja]: no longer exported" in report
    page = (tmp_path / "pages" / "202029.html").read_text()
    assert "配信時刻" in page and "08:00" in page and "09:00" in page and "予定日になりました。" in page
    assert "<a href=\"202029.html\">" in (tmp_path / "pages" / "index.html").read_text()
    assert {p.name for p in (tmp_path / "pages").iterdir()} == {"index.html", "131121.html", "202029.html",
                                                             "264652.html", "473243.html"}


def test_no_changes(tmp_path: Path, signoff) -> None:
    ws = load_workspace(write_workspace(tmp_path / "w"))
    run_export(ws, ExportRequest(jobs=1), tmp_path / "a")
    run_export(ws, ExportRequest(jobs=1), tmp_path / "b")
    old, new = open_export(tmp_path / "a"), open_export(tmp_path / "b")
    tally, buffer = DiffTally(), io.StringIO()
    write_text(buffer, iter_diffs(old, new, tally), tally)
    assert buffer.getvalue().startswith("no changes\n")
    assert tally.catalogs_opened == 0 and tally.catalogs_unchanged == tally.catalogs_compared == 5


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_cli_refuses_broken_exports(two_exports: tuple[Path, Path], tmp_path: Path) -> None:
    old, new = two_exports
    (tmp_path / "plain").mkdir()
    result = run("export", "diff", str(tmp_path / "plain"), str(new))
    assert result.exit_code == 2 and "is not a kizuna export" in result.output
    # a changed file whose size still matches: caught by its hash before anything is printed
    path = new / "202029" / "ja" / "catalog.json"
    data = path.read_bytes()
    path.write_bytes(data.replace("予定日".encode(), "予定曰".encode(), 1))
    result = run("export", "diff", str(old), str(new), "--html", str(tmp_path / "pages"))
    assert result.exit_code == 2 and "does not match its SHA-256" in result.output
    assert "202029 松本市" not in result.output and not (tmp_path / "pages" / "202029.html").exists()
    path.write_bytes(data + b" ")
    result = run("export", "diff", str(old), str(new))
    assert result.exit_code == 2 and "the manifest says" in result.output
    path.write_bytes(data)
    manifest = json.loads((new / "manifest.json").read_text())
    manifest["schema_version"] = "2.0.0"
    (new / "manifest.json").write_text(json.dumps(manifest))
    result = run("export", "diff", str(old), str(new))
    assert result.exit_code == 2 and "different schema major versions" in result.output
    manifest["schema_version"] = "1.0.0"
    manifest["files"]["../../etc/passwd"] = {"sha256": "0" * 64, "bytes": 1}
    (new / "manifest.json").write_text(json.dumps(manifest))
    result = run("export", "diff", str(old), str(new))
    assert result.exit_code == 2 and "leaves the export folder" in result.output


def test_cli_json_and_verify_all(two_exports: tuple[Path, Path]) -> None:
    old, new = two_exports
    result = run("export", "diff", "--format", "json", "--verify-all", str(old), str(new))
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {c["town"] for c in data["catalogs"]} >= {"202029", "473243"}
    # a file no catalog diff opens, tampered: only --verify-all sees it
    rapidpro = old / "264652" / "ja" / "rapidpro.json"
    raw = rapidpro.read_bytes()
    rapidpro.write_bytes(raw[:-2] + b"x\n")
    assert run("export", "diff", str(old), str(new)).exit_code == 0
    result = run("export", "diff", "--verify-all", str(old), str(new))
    assert result.exit_code == 2 and "rapidpro.json" in result.output


def test_side_summary_names_revision(two_exports: tuple[Path, Path]) -> None:
    side = open_export(two_exports[0])
    assert isinstance(side, ExportSide) and side.summary()["catalog_revision"]
    with pytest.raises(ExportError):
        open_export(two_exports[0] / "202029")
