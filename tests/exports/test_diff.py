"""``export diff``: added, removed, changed text and moved stage, per town and locale."""
from __future__ import annotations

from pathlib import Path

from kizuna.catalog.workspace import load_workspace
from kizuna.exports.diff import diff_entries, diff_exports, format_text, load_export, to_data
from kizuna.exports.runner import ExportRequest, run_export

from .conftest import MESSAGES, TOWNS, write_workspace


def entry(mid: str, stage: str, text: str) -> dict:
    return {"message_id": mid, "stage": stage, "text": text}


def test_diff_entries_kinds() -> None:
    old = [entry("a", "P10w", "x"), entry("b", "P11w", "y"), entry("c", "B1m", "z")]
    new = [entry("a", "P10w", "x2"), entry("c", "B2m", "z"), entry("d", "B3m", "w")]
    kinds = [(c.kind, c.message_id) for c in diff_entries(old, new)]
    assert kinds == [("text", "a"), ("moved", "c"), ("added", "d"), ("removed", "b")]


def test_diff_two_exports(tmp_path: Path, signoff) -> None:
    root = write_workspace(tmp_path / "w")
    run_export(load_workspace(root), ExportRequest(jobs=1, formats=("json",)), tmp_path / "old")
    messages = [m for m in MESSAGES if m["id"] != "b1m-month"]
    messages = [dict(m, stage="P11w") if m["id"] == "p10w-second" else m for m in messages]
    messages = [dict(m, texts={"ja": {"text": "予定日になりました。"}}) if m["id"] == "p40w-due" else m
                for m in messages]
    messages.append({"id": "b2m-new", "stage": "B2m", "texts": {"ja": {"text": "生後2か月です。"}}})
    for path in (root / "messages").glob("*.yaml"):
        path.unlink()
    write_workspace(root, messages=messages, towns=[dict(TOWNS[0], send_time="09:00"), *TOWNS[1:3]])
    (root / "towns" / "473243.yaml").unlink()
    run_export(load_workspace(root), ExportRequest(jobs=1, formats=("ndjson",)), tmp_path / "new")
    diffs = diff_exports(load_export(tmp_path / "old"), load_export(tmp_path / "new"))
    report = format_text(diffs)
    matsumoto = next(d for d in diffs if (d.town, d.locale) == ("202029", "ja"))
    assert matsumoto.counts() == {"added": 1, "moved": 1, "removed": 1, "text": 1}
    assert matsumoto.notes == ["send time 08:00 → 09:00"]
    assert "202029 松本市 [ja]:" in report
    assert "  > moved   p10w-second  P10w → P11w" in report
    assert "      - 予定日です。\n      + 予定日になりました。" in report
    assert "  + added   b2m-new  B2m" in report and "  - removed b1m-month  B1m" in report
    assert "473243 読谷村 [ja]: no longer exported" in report
    assert to_data(diffs)[0]["town"] == "131121"


def test_no_changes(tmp_path: Path, signoff) -> None:
    ws = load_workspace(write_workspace(tmp_path / "w"))
    run_export(ws, ExportRequest(jobs=1), tmp_path / "a")
    run_export(ws, ExportRequest(jobs=1), tmp_path / "b")
    assert format_text(diff_exports(load_export(tmp_path / "a"), load_export(tmp_path / "b"))) == "no changes\n"
