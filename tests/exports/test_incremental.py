"""Incremental export: an export into a folder holding the previous export reuses the files whose
inputs did not change, and its folder is byte for byte what a full export (``--full``) writes.

The manifest has no timestamp (``as_of`` is the date given, here the same for both), and both
exports are made from the same workspace, so every file — the manifest included — is compared
as it is."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Callable

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from kizuna.catalog import yamlio
from kizuna.catalog.workspace import load_workspace
from kizuna.cli import main
from kizuna.exports.errors import ExportError
from kizuna.exports.incremental import NotSpliceable, splice_document, splice_document_at, splice_lines
from kizuna.exports.jsonio import document, lines
from kizuna.exports.runner import ExportRequest, ExportResult, run_export
from kizuna.review import signoff

DAY = date(2026, 11, 27)
#: every format with a layout: every town can be patched
SPLICEABLE = ("json", "line", "sms", "email", "ndjson")


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def export(root: Path, out: Path, **request: object) -> ExportResult:
    return run_export(load_workspace(root), ExportRequest(as_of=DAY, **request), out)  # type: ignore[arg-type]


def edit_message(root: Path) -> None:
    """A writer's fix in a national message every town sends (its approval goes stale)."""
    path = root / "messages" / "b01d-feeding.yaml"
    data = yamlio.read(path)
    data["texts"]["ja"]["text"] = data["texts"]["ja"]["text"].replace("。", "ね。", 1)
    yamlio.write(path, data)


def edit_block(root: Path) -> None:
    path = root / "towns" / "473243.yaml"
    data = yamlio.read(path)
    data["blocks"]["P10w"] = data["blocks"]["P10w"] + "（受付は平日です）"
    yamlio.write(path, data)


def sign_off(root: Path) -> None:
    """Every missing approval of a message not yet signed off in ja (it starts being exported)."""
    ws = load_workspace(root)
    state = signoff.status(ws, now=DAY)[("p22w-mood", "ja")]
    assert state.state != "approved"
    for role in state.missing_roles:
        person = next(r for r in ws.reviewers.values() if role in r.roles)
        signoff.record_decision(ws, message_id="p22w-mood", locale="ja", reviewer=person.id,
                                decision="approve", now=DAY)
    assert signoff.status(load_workspace(root), now=DAY)[("p22w-mood", "ja")].state == "approved"


def edit_config(root: Path) -> None:
    data = yamlio.read(root / "kizuna.yaml")
    data["exports"] = {"rapidpro": {"site": "https://rapidpro.example.jp"}}
    yamlio.write(root / "kizuna.yaml", data)


EDITS: list[tuple[str, Callable[[Path], None]]] = [
    ("message text", edit_message), ("town block", edit_block), ("sign-off", sign_off),
    ("config", edit_config),
]


@pytest.mark.parametrize("formats", [(), SPLICEABLE], ids=["towns' own formats", "spliceable formats"])
def test_an_incremental_export_is_byte_identical_to_a_full_one(sample_path: Path, tmp_path: Path,
                                                                formats: tuple[str, ...]) -> None:
    out = tmp_path / "incremental"
    first = export(sample_path, out, formats=formats, jobs=1)
    assert first.towns == {"rendered": 4}
    seen: dict[str, int] = {}
    for i, (name, edit) in enumerate(EDITS + [("deleted file", lambda root: None)]):
        edit(sample_path)
        if name == "deleted file":
            (out / "473243" / "ja" / "line-push.json").unlink()
            next(iter((out / "202029" / "ja" / "email").iterdir())).unlink()
        result = export(sample_path, out, formats=formats, jobs=2 if i == 1 else 1)
        full = tmp_path / f"full-{i}"
        export(sample_path, full, formats=formats, jobs=1, full=True)
        assert tree(out) == tree(full), name
        for how, count in result.towns.items():
            seen[how] = seen.get(how, 0) + count
        if name == "config":
            assert result.towns == ({"copied": 4} if formats else {"copied": 3, "rendered": 1})  # RapidPro's town
    assert seen.get("copied") and seen.get("rendered")
    if formats:
        assert seen.get("patched"), seen  # a message edit re-renders one stage, not the towns


def test_an_unchanged_workspace_copies_every_town_and_full_renders_them(sample_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    before = tree(out) if export(sample_path, out, jobs=1) else {}
    assert export(sample_path, out, jobs=1).towns == {"copied": 4}
    assert tree(out) == before
    assert export(sample_path, out, jobs=1, full=True).towns == {"rendered": 4}
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["inputs"]) >= {"export", "format:json", "message:b01d-feeding"}
    assert all(len(t["inputs"]) == 32 for t in manifest["towns"].values())


def test_the_cli_says_what_was_reused_and_full_renders_all(sample_path: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(sample_path)
    out = str(tmp_path / "out")
    assert CliRunner().invoke(main, ["export", "--all", "--out", out]).exit_code == 0
    again = CliRunner().invoke(main, ["export", "--all", "--out", out])
    assert again.exit_code == 0 and "4 towns unchanged (files reused)" in again.output
    full = CliRunner().invoke(main, ["export", "--all", "--out", out, "--full"])
    assert full.exit_code == 0 and "unchanged" not in full.output


def test_a_file_changed_since_the_export_still_stops_it(sample_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    export(sample_path, out, jobs=1)
    changed = out / "473243" / "ja" / "catalog.ndjson"
    changed.write_bytes(changed.read_bytes().replace(b"\n", b" \n", 1))
    with pytest.raises(ExportError, match="473243/ja/catalog.ndjson changed since kizuna wrote it"):
        export(sample_path, out, jobs=1)


def item(mid: str, text: str) -> dict[str, str]:
    return {"message_id": mid, "text": text}


def test_splicing_a_document_takes_the_redone_items_and_keeps_the_others() -> None:
    head = [("format", "x"), ("town", {"code": "202029"})]
    old = document(head, ("entries", [item("a", "1"), item("b", "2"), item("c", "3")]))
    fresh = document(head, ("entries", [item("b", "二"), item("d", "4")]))
    want = document(head, ("entries", [item("a", "1"), item("b", "二"), item("d", "4")]))
    assert splice_document(old, fresh, ["a", "b", "d"], {"b", "d", "c"}) == want
    only_removed = document(head, ("entries", []))
    assert splice_document(old, only_removed, ["a", "c"], {"b"}) == document(
        head, ("entries", [item("a", "1"), item("c", "3")]))
    with pytest.raises(NotSpliceable):
        splice_document(document(head, ("entries", [])), fresh, ["b"], {"b"})
    with pytest.raises(NotSpliceable):  # an id the previous file does not have
        splice_document(old, fresh, ["a", "z"], {"b"})
    assert splice_lines(lines([item("a", "1"), item("b", "2")]), lines([item("c", '"q"')]), ["a", "c"], {"b", "c"}) == \
        lines([item("a", "1"), item("c", '"q"')])


@st.composite
def one_edit(draw: st.DrawFn) -> tuple[list[str], set[str], list[str], set[str]]:
    """A previous list of ids, the candidates (messages at a redone stage, or changed), and the
    new order with its redone ids: the ids that are not candidates keep their order."""
    pool = [f"m{i:02d}" for i in range(draw(st.integers(1, 12)))]
    old = draw(st.permutations(pool).flatmap(lambda p: st.lists(st.sampled_from(p), unique=True, min_size=1)))
    candidates = set(draw(st.lists(st.sampled_from(pool), unique=True)))
    redone = set(draw(st.lists(st.sampled_from(sorted(candidates)), unique=True))) if candidates else set()
    order = [mid for mid in old if mid not in candidates]
    for mid in sorted(redone):
        order.insert(draw(st.integers(0, len(order))), mid)
    return old, candidates, order, redone


@given(one_edit(), st.text(alphabet='a"\\\n{},:ね', max_size=6))
def test_splicing_only_the_candidate_lines_gives_the_whole_splice(edit: tuple[list[str], set[str], list[str], set[str]],
                                                                   text: str) -> None:
    old_ids, candidates, order, redone = edit
    head = [("format", "x"), ("town", {"code": "202029"})]
    old = document(head, ("entries", [item(mid, f"old {mid}" + text) for mid in old_ids]))
    fresh = document(head, ("entries", [item(mid, f"new {mid}") for mid in order if mid in redone]))
    if not order:
        with pytest.raises(NotSpliceable):
            splice_document_at(old, fresh, order, redone, candidates)
        return
    want = document(head, ("entries", [item(mid, f"new {mid}" if mid in redone else f"old {mid}" + text)
                                       for mid in order]))
    assert splice_document(old, fresh, order, redone) == want
    assert splice_document_at(old, fresh, order, redone, candidates) == want
    if set(old_ids) & candidates:  # told of no candidate, a line that goes is found by counting
        with pytest.raises(NotSpliceable):
            splice_document_at(old, fresh, order, redone, set())
