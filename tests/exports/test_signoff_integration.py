"""Against the real sign-off package: only approved text is exported, the approval reference is
the digest of the approving decision-log entry, and a changed text drops out."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from kizuna.catalog.workspace import load_workspace
from kizuna.exports.errors import ExportError
from kizuna.exports.runner import ExportRequest, run_export
from kizuna.cli import main
from kizuna.review.decisions import head, read_log
from kizuna.review.signoff import record_decision

from .conftest import MESSAGES, TOWNS, write_workspace

NOW = datetime(2026, 4, 1, 9, 0, tzinfo=timezone.utc)


def entries(out: Path) -> dict[str, dict]:
    data = json.loads((out / "202029/ja/catalog.json").read_text(encoding="utf-8"))
    return {e["message_id"]: e for e in data["entries"]}


def test_only_signed_off_text_with_its_decision_digest(tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "w", towns=[TOWNS[0]])
    ws = load_workspace(root)
    record_decision(ws, message_id="p10w-hello", locale="ja", reviewer="ed", decision="approve", now=NOW)
    record_decision(ws, message_id="P10w", town="202029", locale="ja", reviewer="matsu",
                    decision="approve", now=NOW)
    record_decision(ws, message_id="b0d-born", locale="ja", reviewer="ed", decision="approve", now=NOW)
    out = tmp_path / "out"
    run_export(load_workspace(root), ExportRequest(formats=("json",), jobs=1, as_of=NOW.date()), out)
    got = entries(out)
    assert sorted(got) == ["b0d-born", "p10w-hello"]
    log = read_log(root)
    assert got["p10w-hello"]["approval"] == {
        "approved": True, "status": "approved", "ref": f"decision:{log[0].digest}",
        "block": {"status": "approved", "ref": f"decision:{log[1].digest}"}}
    assert got["p10w-hello"]["has_block"]

    # the text changes: its approval is stale and it leaves the export
    changed = [dict(m, texts={"ja": {"text": "新しい文です。"}}) if m["id"] == "b0d-born" else m for m in MESSAGES]
    write_workspace(root, messages=changed, towns=[TOWNS[0]])
    run_export(load_workspace(root), ExportRequest(formats=("json",), jobs=1, as_of=NOW.date()), out)
    assert sorted(entries(out)) == ["p10w-hello"]
    preview = tmp_path / "preview"
    run_export(load_workspace(root), ExportRequest(formats=("json",), jobs=1, include_unapproved=True,
                                                   as_of=NOW.date()), preview)
    stale = entries(preview)["b0d-born"]
    assert stale["approval"]["status"] == "stale" and not stale["approval"]["approved"]
    assert stale["channels"]["line"]["text"].startswith("【未承認】")


def test_manifest_anchors_the_decisions_log_and_refs_point_into_it(tmp_path: Path) -> None:
    root = write_workspace(tmp_path / "w", towns=[TOWNS[0]])
    ws = load_workspace(root)
    for who, item, town in (("ed", "p10w-hello", None), ("matsu", "P10w", "202029"), ("ed", "b0d-born", None)):
        record_decision(ws, message_id=item, town=town, locale="ja", reviewer=who, decision="approve", now=NOW)
    out = tmp_path / "out"
    manifest = run_export(load_workspace(root), ExportRequest(formats=("json",), jobs=1, as_of=NOW.date()),
                          out).manifest
    count, last = head(root)
    assert manifest["decisions"] == {"entries": count, "head": last} and count == 3
    digests = {d.digest for d in read_log(root)}
    for entry in entries(out).values():
        refs = [entry["approval"]["ref"]] + ([entry["approval"]["block"]["ref"]] if entry["approval"]["block"] else [])
        assert all(r.startswith("decision:") and r.removeprefix("decision:") in digests for r in refs)


def test_a_tampered_decisions_log_stops_the_export(tmp_path: Path) -> None:
    """Approvals read from an edited, reordered or truncated-in-the-middle log cannot be trusted:
    the export (and a preview) refuse, naming the first bad entry, and write nothing."""
    root = write_workspace(tmp_path / "w", towns=[TOWNS[0]])
    ws = load_workspace(root)
    record_decision(ws, message_id="p10w-hello", locale="ja", reviewer="ed", decision="changes", now=NOW)
    record_decision(ws, message_id="b0d-born", locale="ja", reviewer="ed", decision="approve", now=NOW)
    log = root / "decisions.jsonl"
    log.write_text(log.read_text(encoding="utf-8").replace('"changes"', '"approve"', 1), encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(ExportError, match=r"decisions.jsonl line 1 \(entry #1\)"):
        run_export(load_workspace(root), ExportRequest(formats=("json",), jobs=1), out)
    assert not out.exists()
    result = CliRunner().invoke(main, ["-w", str(root), "preview", "--town", "202029", "--due", "2026-06-01"])
    assert result.exit_code == 2 and "kizuna review verify" in result.stderr
