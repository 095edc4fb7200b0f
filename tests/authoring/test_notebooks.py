"""Notebooks: generated, edited as a writer would in JupyterLab, and merged back."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Callable

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from kizuna.catalog import yamlio
from kizuna.catalog.workspace import Workspace, load_workspace
from kizuna.authoring.merge import Verdict
from kizuna.authoring.notebooks import (BANDS, NotebookError, import_notebook, load_schema, notebook_proposals,
                                 read_notebook, write_notebooks)


def _one(ws: Workspace, out: Path, band: str = "pregnancy-early", **kw: Any) -> Path:
    [path] = write_notebooks(ws, out, only=[band], findings=False, **kw)
    return path


def _cells(path: Path) -> tuple[nbformat.NotebookNode, dict[str, Any]]:
    nb = nbformat.read(str(path), as_version=4)
    return nb, {c.metadata["kizuna"]["id"]: c for c in nb.cells if "kizuna" in c.metadata}


def test_generated_notebook_is_valid_and_carries_schema_metadata(ws: Workspace, tmp_path: Path) -> None:
    paths = write_notebooks(ws, tmp_path / "nb", findings=False)
    assert [p.name for p in paths] == ["pregnancy-early.ja.ipynb", "newborn.ja.ipynb"]
    nb = read_notebook(paths[0])
    nbformat.validate(nb)
    _, cells = _cells(paths[0])
    meta = cells["p08w-hello"].metadata["kizuna"]
    assert set(meta) == {"version", "id", "stage", "locale", "base_hash", "checksum"}
    assert meta["base_hash"] == ws.messages["p08w-hello"].content_hash("ja")
    assert cells["p08w-hello"].source == ws.messages["p08w-hello"].text("ja")
    assert cells["p08w-hello"].cell_type == "markdown"
    assert load_schema("cell-metadata-v1.schema.json")["title"].endswith("version 1")


def test_unchanged_notebook_imports_nothing(ws_root: Path, ws: Workspace, tmp_path: Path, files_of: Any) -> None:
    before = files_of(ws_root)
    for path in write_notebooks(ws, tmp_path / "nb", findings=False):
        report = import_notebook(load_workspace(ws_root), path)
        assert report.counts["applied"] == report.counts["conflict"] == 0
    assert files_of(ws_root) == before


def test_edit_text_change_stage_add_and_delete(ws_root: Path, ws: Workspace, tmp_path: Path,
                                                reload: Callable[[], Workspace], files_of: Any) -> None:
    path = _one(ws, tmp_path / "nb")
    nb, cells = _cells(path)
    cells["p08w-hello"].source = "妊娠8週です。ゆっくり過ごしましょう。"
    cells["p12w-checkup"].metadata["kizuna"]["stage"] = "P13w"
    nb.cells.append(nbformat.v4.new_markdown_cell("新しいメッセージです。",
                                                  metadata={"kizuna": {"id": "p10w-new", "stage": "P10w", "topics": ["x"]}}))
    nbformat.write(nb, str(path))
    report = import_notebook(reload(), path)
    assert report.counts == {"applied": 3, "conflict": 0, "unchanged": 0, "refused": 0}
    now = reload()
    assert now.messages["p08w-hello"].text("ja") == "妊娠8週です。ゆっくり過ごしましょう。"
    assert now.messages["p08w-hello"].text("en") == "You are 8 weeks pregnant."  # other locales kept
    assert str(now.messages["p12w-checkup"].stage) == "P13w"
    assert now.messages["p10w-new"].topics == ("x",)
    # delete a cell (in a fresh notebook)
    path = _one(now, tmp_path / "nb2")
    nb, cells = _cells(path)
    nb.cells = [c for c in nb.cells if c.get("metadata", {}).get("kizuna", {}).get("id") != "p10w-new"]
    nbformat.write(nb, str(path))
    report = import_notebook(reload(), path)
    assert report.counts["applied"] == 1 and "p10w-new" not in reload().messages
    # re-import: nothing more
    before = files_of(ws_root)
    again = import_notebook(reload(), path)
    assert again.counts["applied"] == 0 and files_of(ws_root) == before


def test_translation_notebook_keeps_the_recorded_source_hash(ws: Workspace, tmp_path: Path,
                                                             reload: Callable[[], Workspace]) -> None:
    path = _one(ws, tmp_path / "nb", locale="en")
    nb, cells = _cells(path)
    assert list(cells) == ["p08w-hello"]
    cells["p08w-hello"].source = "Week 8."
    nb.cells.append(nbformat.v4.new_markdown_cell("Checkups.", metadata={"kizuna": {"id": "p12w-checkup", "stage": "P12w"}}))
    nbformat.write(nb, str(path))
    report = import_notebook(reload(), path)
    assert report.counts["applied"] == 2, report.render()
    m = reload().messages
    assert m["p08w-hello"].texts["en"].text == "Week 8." and m["p08w-hello"].texts["en"].source_hash == "0" * 16
    assert m["p12w-checkup"].text("en") == "Checkups."


def test_edit_racing_a_workspace_change_is_kept_as_a_suggestion(ws_root: Path, ws: Workspace, tmp_path: Path,
                                                                reload: Callable[[], Workspace]) -> None:
    path = _one(ws, tmp_path / "nb")
    nb, cells = _cells(path)
    cells["p08w-hello"].source = "ライターの修正"
    nbformat.write(nb, str(path))
    # meanwhile someone changes the same message in the workspace
    other = reload()
    other.save_message(other.messages["p08w-hello"].with_text("ja", "別の人の修正"))
    report = import_notebook(reload(), path)
    assert report.counts["conflict"] == 1
    assert reload().messages["p08w-hello"].text("ja") == "別の人の修正"
    kept = yamlio.read(ws_root / "suggestions" / "messages" / "p08w-hello.yaml")["suggestions"]
    assert kept[0]["text"] == "ライターの修正" and kept[0]["change"] == "edit"
    # the conflict stays one suggestion however often it is imported
    import_notebook(reload(), path)
    assert len(yamlio.read(ws_root / "suggestions" / "messages" / "p08w-hello.yaml")["suggestions"]) == 1
    # and the next notebook shows it above the cell
    fresh = write_notebooks(reload(), tmp_path / "nb3", only=["pregnancy-early"], findings=False)[0]
    assert "ライターの修正" in fresh.read_text(encoding="utf-8")


def test_race_between_loading_and_writing(ws_root: Path, ws: Workspace, tmp_path: Path,
                                          reload: Callable[[], Workspace]) -> None:
    """The owner file is read again just before it is written: a change made after the import
    loaded the workspace is not overwritten."""
    path = _one(ws, tmp_path / "nb")
    nb, cells = _cells(path)
    cells["p08w-hello"].source = "ライターの修正"
    nbformat.write(nb, str(path))
    loaded = reload()  # the import's view of the workspace ...
    later = reload()
    later.save_message(later.messages["p08w-hello"].with_text("ja", "直前の修正"))  # ... goes stale
    report = import_notebook(loaded, path)
    assert report.counts["conflict"] == 1
    assert reload().messages["p08w-hello"].text("ja") == "直前の修正"


def test_deleting_a_message_changed_meanwhile_is_a_conflict(ws: Workspace, tmp_path: Path,
                                                            reload: Callable[[], Workspace]) -> None:
    path = _one(ws, tmp_path / "nb")
    nb, _ = _cells(path)
    nb.cells = [c for c in nb.cells if c.get("metadata", {}).get("kizuna", {}).get("id") != "p08w-hello"]
    nbformat.write(nb, str(path))
    other = reload()
    other.save_message(other.messages["p08w-hello"].with_text("ja", "変更"))
    report = import_notebook(reload(), path)
    assert report.counts["conflict"] == 1 and "p08w-hello" in reload().messages


def test_new_cell_with_an_id_added_meanwhile_is_a_conflict(ws: Workspace, tmp_path: Path,
                                                          reload: Callable[[], Workspace]) -> None:
    path = _one(ws, tmp_path / "nb")
    nb, _ = _cells(path)
    nb.cells.append(nbformat.v4.new_markdown_cell("A", metadata={"kizuna": {"id": "b00d-birth", "stage": "B0d"}}))
    nbformat.write(nb, str(path))
    report = import_notebook(reload(), path)
    assert report.counts["conflict"] == 1
    assert reload().messages["b00d-birth"].text("ja") == "ご出産おめでとうございます。"


def test_emptied_cell_is_refused_and_new_translation_of_unknown_message_too(ws: Workspace, tmp_path: Path,
                                                                            reload: Callable[[], Workspace]) -> None:
    path = _one(ws, tmp_path / "nb")
    nb, cells = _cells(path)
    cells["p08w-hello"].source = "  "
    nb.cells.append(nbformat.v4.new_markdown_cell("x", metadata={"kizuna": {"id": "zz", "stage": "P9w", "locale": "en"}}))
    nbformat.write(nb, str(path))
    report = import_notebook(reload(), path)
    assert report.counts["refused"] == 2 and report.counts["applied"] == 0


def test_control_characters_are_removed_with_a_note(ws: Workspace, tmp_path: Path,
                                                    reload: Callable[[], Workspace]) -> None:
    path = _one(ws, tmp_path / "nb")
    nb, cells = _cells(path)
    cells["p08w-hello"].source = "ベル\x07付き"
    nbformat.write(nb, str(path))
    report = import_notebook(reload(), path)
    assert reload().messages["p08w-hello"].text("ja") == "ベル付き"
    assert any("U+0007" in n for n in report.notes)


# --- broken notebooks: an error naming the cell, nothing applied ------------------------------------
def _broken(ws_root: Path, path: Path, match: str) -> None:
    before = _files(ws_root)
    with pytest.raises(NotebookError, match=match):
        import_notebook(load_workspace(ws_root), path)
    assert _files(ws_root) == before


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".kizuna" not in p.relative_to(root).parts}  # .kizuna/: local state


def test_schema_invalid_metadata_names_the_cell(ws_root: Path, ws: Workspace, tmp_path: Path) -> None:
    path = _one(ws, tmp_path / "nb")
    nb, cells = _cells(path)
    cells["p08w-hello"].source = "この編集は適用されない"
    cells["p12w-checkup"].metadata["kizuna"]["stage"] = 12
    cells["p12w-checkup"].metadata["kizuna"]["colour"] = "red"
    nbformat.write(nb, str(path))
    index = next(i for i, c in enumerate(nb.cells) if c.get("id") == "p12w-checkup") + 1
    _broken(ws_root, path, rf"cell {index} \(id p12w-checkup\).*colour.*\n?.*|cell {index} \(id p12w-checkup\)")
    with pytest.raises(NotebookError) as err:
        import_notebook(load_workspace(ws_root), path)
    assert "stage: '12' must be text" in str(err.value) and "colour: no such field here" in str(err.value)


def test_nbformat_invalid_notebook_names_the_cell(ws_root: Path, ws: Workspace, tmp_path: Path) -> None:
    path = _one(ws, tmp_path / "nb")
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw["cells"][2]["cell_type"] = "markdown"
    raw["cells"][2]["outputs"] = []  # a Markdown cell has no outputs
    path.write_text(json.dumps(raw), encoding="utf-8")
    _broken(ws_root, path, r"nbformat rejects.*|cell 3 \(id p08w-hello\)")
    with pytest.raises(NotebookError) as err:
        read_notebook(path)
    assert err.value.location == "cell 3 (id p08w-hello)"


@pytest.mark.parametrize("mutate, match", [
    (lambda nb, c: nb.cells.append(nbformat.v4.new_markdown_cell("dup", metadata={"kizuna": {"id": "p08w-hello", "stage": "P8w"}})),
     r"id 'p08w-hello' is also used by cell"),
    (lambda nb, c: c["p08w-hello"].metadata["kizuna"].update(id="p08w-renamed"),
     r"id or base_hash do not match"),
    (lambda nb, c: c["p08w-hello"].metadata["kizuna"].update(base_hash="f" * 16),
     r"id or base_hash do not match"),
    (lambda nb, c: c["p08w-hello"].metadata["kizuna"].update(stage="P99w"),
     r"stage"),
    (lambda nb, c: c["p08w-hello"].metadata["kizuna"].update(locale="en"),
     r"locale 'en' is not the notebook's"),
    (lambda nb, c: nb.cells.append(nbformat.v4.new_code_cell("1", metadata={"kizuna": {"id": "x", "stage": "P8w"}})),
     r"must be a Markdown cell"),
    (lambda nb, c: nb.metadata.pop("kizuna"), r"not a kizuna notebook"),
    (lambda nb, c: nb.metadata["kizuna"].update(version=2), r"notebook metadata"),
])
def test_broken_notebooks(ws_root: Path, ws: Workspace, tmp_path: Path, mutate: Callable[..., Any], match: str) -> None:
    path = _one(ws, tmp_path / "nb")
    nb, cells = _cells(path)
    cells["p12w-checkup"].source = "この編集は適用されない"
    mutate(nb, cells)
    nbformat.write(nb, str(path))
    _broken(ws_root, path, match)


def test_not_json(ws_root: Path, tmp_path: Path) -> None:
    path = tmp_path / "x.ipynb"
    path.write_text("{not json", encoding="utf-8")
    _broken(ws_root, path, "invalid JSON")


def test_bands_cover_every_stage() -> None:
    from kizuna.catalog.stages import Stage
    for text in ("P0w", "P15w6d", "P16w", "P44w6d", "B0d", "B27d", "B28d", "B11m30d", "B1y", "B2y", "B18y"):
        stage = Stage.parse(text)
        assert sum(b.holds(stage) for b in BANDS) == 1, text


# --- round trip identity (hypothesis) -----------------------------------------------------------------
texts = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r\x85\u2028\u2029"),
                min_size=1, max_size=60).filter(lambda s: s.strip())
stages = st.sampled_from(["P4w", "P12w3d", "P30w", "P41w6d", "B0d", "B13d", "B2m", "B1y6m", "B2y11m"])


@st.composite
def catalogs(draw: Any) -> list[dict[str, Any]]:
    n = draw(st.integers(1, 6))
    out = []
    for i in range(n):
        body = draw(texts) if draw(st.booleans()) else draw(st.sampled_from(["=1+1", "+81", "-x", "@here", "a\n\nb  \n"]))
        entry: dict[str, Any] = {"id": f"m{i}", "stage": draw(stages), "texts": {"ja": {"text": body}}}
        if draw(st.booleans()):
            entry["texts"]["en"] = {"text": draw(texts)}
        out.append(entry)
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages=catalogs())
def test_round_trip_identity(messages: list[dict[str, Any]], build: Any, files_of: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = build(Path(tmp) / "ws", messages=messages)
        ws = load_workspace(root)
        before = files_of(root)
        for locale in ("ja", "en"):
            for path in write_notebooks(ws, Path(tmp) / "nb", locale=locale, findings=False):
                proposals, notes = notebook_proposals(read_notebook(path), path.name)
                assert notes == []
                report = import_notebook(load_workspace(root), path)
                assert set(v.verdict for v in report.lines) <= {Verdict.UNCHANGED}, report.render()
        assert files_of(root) == before


def test_deleting_a_message_a_town_suppresses_is_refused(ws_root: Path, tmp_path: Path,
                                                         reload: Callable[[], Workspace]) -> None:
    data = yamlio.read(ws_root / "towns" / "202029.yaml")
    data["suppress"] = ["p08w-hello"]
    yamlio.write(ws_root / "towns" / "202029.yaml", data)
    path = _one(reload(), tmp_path / "nb")
    nb, _ = _cells(path)
    nb.cells = [c for c in nb.cells if c.get("metadata", {}).get("kizuna", {}).get("id") != "p08w-hello"]
    nbformat.write(nb, str(path))
    report = import_notebook(reload(), path)
    assert report.counts["refused"] == 1 and "suppress" in report.of(Verdict.REFUSED)[0].what
    assert "p08w-hello" in reload().messages


# --- as JupyterLab saves it --------------------------------------------------------------------
def _save_like_jupyterlab(nb: dict[str, Any], path: Path) -> None:
    """JupyterLab 4 writes nbformat 4.5 JSON with one-space indent, sorted keys, sources as lists
    of lines, ``language_info`` and its own cell metadata."""
    for cell in nb["cells"]:
        if isinstance(cell["source"], str):
            cell["source"] = cell["source"].splitlines(True)
    nb["metadata"]["language_info"] = {"name": "python", "version": "3.12.3", "mimetype": "text/x-python"}
    path.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def _raw_cell(nb: dict[str, Any], message_id: str) -> dict[str, Any]:
    return next(c for c in nb["cells"] if c["metadata"].get("kizuna", {}).get("id") == message_id)


def test_a_notebook_as_jupyterlab_saves_it(ws_root: Path, ws: Workspace, tmp_path: Path,
                                           reload: Callable[[], Workspace], files_of: Any) -> None:
    path = _one(ws, tmp_path / "nb")
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["cells"].reverse()                                           # cells reordered
    _raw_cell(nb, "p08w-hello")["source"] = "妊娠8週です。\nゆっくり過ごしましょう。\n"  # edited, trailing newline
    checkup = _raw_cell(nb, "p12w-checkup")
    checkup["source"] = "".join(checkup["source"]) + "\n"          # only a trailing newline added
    checkup["metadata"]["jp-MarkdownHeadingCollapsed"] = True       # JupyterLab's own metadata
    nb["cells"].append({"cell_type": "markdown", "id": "3f2a9c1e-7b5d-4e0f-8a6b-1c2d3e4f5a6b",
                        "metadata": {"kizuna": {"id": "p10w-new", "stage": "P10w"}},
                        "source": ["新しいメッセージです。"]})
    nb["cells"].append({"cell_type": "code", "execution_count": 2, "id": "scratch",
                        "metadata": {"execution": {"iopub.status.idle": "2026-04-01T00:00:00Z"}},
                        "outputs": [{"name": "stdout", "output_type": "stream", "text": ["1\n"]}],
                        "source": ["1"]})
    _save_like_jupyterlab(nb, path)
    report = import_notebook(reload(), path)
    assert report.counts == {"applied": 2, "conflict": 0, "refused": 0, "unchanged": 1}, report.render()
    now = reload()
    assert now.messages["p08w-hello"].text("ja") == "妊娠8週です。\nゆっくり過ごしましょう。"
    assert now.messages["p10w-new"].text("ja") == "新しいメッセージです。"
    before = files_of(ws_root)
    assert import_notebook(reload(), path).counts["applied"] == 0 and files_of(ws_root) == before


@pytest.mark.parametrize("mutate, match", [
    (lambda cells: cells[2].pop("id"), r"cell 3 \(no id\): .*id is missing; add it"),
    (lambda cells: cells[4].update(id=cells[2]["id"]), r"cell 5 \(id p08w-hello\): .*cell id 'p08w-hello' is also the id of cell 3"),
])
def test_what_nbformat_would_quietly_repair_is_an_error(ws_root: Path, ws: Workspace, tmp_path: Path,
                                                         mutate: Callable[..., Any], match: str,
                                                         recwarn: pytest.WarningsRecorder) -> None:
    """A 4.5 notebook with a cell without id, or two cells with one id, is invalid: nbformat
    would give them random ids and warn on the terminal; kizuna names the cell and applies nothing."""
    path = _one(ws, tmp_path / "nb")
    nb = json.loads(path.read_text(encoding="utf-8"))
    _raw_cell(nb, "p12w-checkup")["source"] = "この編集は適用されない"
    mutate(nb["cells"])
    _save_like_jupyterlab(nb, path)
    _broken(ws_root, path, match)
    assert not [w for w in recwarn if "nbformat" in str(w.filename)]


def test_other_nbformat_versions_are_named(ws_root: Path, ws: Workspace, tmp_path: Path) -> None:
    path = _one(ws, tmp_path / "nb")
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["nbformat_minor"] = 4  # 4.4 has no cell ids
    path.write_text(json.dumps(nb), encoding="utf-8")
    _broken(ws_root, path, r"nothing was applied:\n  cell 1 \(id kizuna_intro\): id: no such field here")
    nb["nbformat"] = 3
    path.write_text(json.dumps(nb), encoding="utf-8")
    _broken(ws_root, path, r"kizuna reads nbformat 4 notebooks, this one says nbformat 3")


def test_untouched_cell_with_a_control_character_is_not_an_edit(tmp_path: Path, build: Any, files_of: Any) -> None:
    """Cleaning applies to what a writer typed; a cell as generated proposes its text unchanged."""
    root = build(tmp_path / "ws", messages=[{"id": "p08w-bell", "stage": "P8w", "texts": {"ja": {"text": "ベル\x07付き"}}}])
    [path] = write_notebooks(load_workspace(root), tmp_path / "nb", findings=False)
    before = files_of(root)
    report = import_notebook(load_workspace(root), path)
    assert report.counts["applied"] == 0 and report.notes == [] and files_of(root) == before


def test_markdown_typed_outside_a_message_cell_is_reported(ws: Workspace, tmp_path: Path,
                                                           reload: Callable[[], Workspace]) -> None:
    path = _one(ws, tmp_path / "nb")
    nb, _ = _cells(path)
    nb.cells.append(nbformat.v4.new_markdown_cell("新しいメッセージのつもり", id="stray"))
    nb.cells.append(nbformat.v4.new_markdown_cell("   ", id="blank"))
    nbformat.write(nb, str(path))
    report = import_notebook(reload(), path)
    [note] = report.notes
    assert f"cell {len(nb.cells) - 1} (id stray)" in note and "was not imported" in note


def test_a_one_word_edit_is_a_one_line_diff(ws_root: Path, ws: Workspace, tmp_path: Path,
                                            reload: Callable[[], Workspace]) -> None:
    """The message file keeps one line per line of text, even when the writer pasted a TAB
    (which YAML literal blocks cannot hold: it would turn the whole text into one escaped line)."""
    import difflib
    message_file = ws_root / "messages" / "p12w-checkup.yaml"
    before = message_file.read_text(encoding="utf-8").splitlines()
    path = _one(ws, tmp_path / "nb")
    nb, cells = _cells(path)
    cells["p12w-checkup"].source = cells["p12w-checkup"].source.replace("目安", "目安\tです", 1)
    nbformat.write(nb, str(path))
    report = import_notebook(reload(), path)
    assert any("replaced TAB by a space" in n for n in report.notes)
    after = message_file.read_text(encoding="utf-8").splitlines()
    changed = [l for l in difflib.unified_diff(before, after, lineterm="", n=0) if l[:1] in "+-" and l[:3] not in ("+++", "---")]
    assert changed == ["-      妊婦健診は4週に1回が目安です。", "+      妊婦健診は4週に1回が目安 ですです。"]


def test_the_shipped_schemas_are_valid_and_agree_with_the_catalog() -> None:
    import jsonschema
    from kizuna.catalog.fields import ID_RE, LOCALE_RE
    cell, notebook = load_schema("cell-metadata-v1.schema.json"), load_schema("notebook-metadata-v1.schema.json")
    for schema in (cell, notebook):
        jsonschema.Draft202012Validator.check_schema(schema)
    assert cell["properties"]["id"]["pattern"] == ID_RE.pattern
    assert cell["properties"]["locale"]["pattern"] == notebook["properties"]["locale"]["pattern"] == LOCALE_RE.pattern
    import re
    from kizuna.catalog.stages import Stage
    for text in ("P0w", "P4w", "P12w3d", "P41w6d", "B0d", "B27d", "B2m", "B1y6m", "B2y11m15d", "B18y"):
        assert re.fullmatch(cell["properties"]["stage"]["pattern"], str(Stage.parse(text))), text


def test_a_translation_cannot_move_its_message(ws: Workspace, tmp_path: Path, reload: Callable[[], Workspace]) -> None:
    """The stage is the whole message's: changing it in a translation notebook would move the
    source text and every locale. The text applies at the message's stage, and a note says the
    file's stage was not applied (so does a new translation cell with another stage)."""
    path = _one(ws, tmp_path / "nb", locale="en")
    nb, cells = _cells(path)
    cells["p08w-hello"].metadata["kizuna"]["stage"] = "P9w"
    cells["p08w-hello"].source = "Week 8, take it easy."
    nb.cells.append(nbformat.v4.new_markdown_cell("Checkups.", metadata={"kizuna": {"id": "p12w-checkup", "stage": "P13w"}}))
    nbformat.write(nb, str(path))
    report = import_notebook(reload(), path)
    assert report.counts["applied"] == 2 and report.counts["refused"] == report.counts["conflict"] == 0, report.render()
    assert sum("not applied: a translation follows its message's stage" in n for n in report.notes) == 2
    now = reload()
    assert str(now.messages["p08w-hello"].stage) == "P8w" and now.messages["p08w-hello"].text("en") == "Week 8, take it easy."
    assert str(now.messages["p12w-checkup"].stage) == "P12w" and now.messages["p12w-checkup"].text("en") == "Checkups."
    again = import_notebook(reload(), path)  # nothing more
    assert again.counts["applied"] == again.counts["conflict"] == 0, again.render()


def test_a_new_translation_of_a_message_moved_meanwhile_keeps_the_move(ws: Workspace, tmp_path: Path,
                                                                      reload: Callable[[], Workspace]) -> None:
    """A translator's workbook row made before the message moved must not move it back."""
    from kizuna.authoring.workbooks import TRANSLATION, write_workbook, import_workbook
    import openpyxl
    path = write_workbook(ws, tmp_path / "en.xlsx", locale="en", findings=False)
    book = openpyxl.load_workbook(path)
    sheet = book["翻訳"]
    cols = [c.key for c in TRANSLATION.columns]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(row=r, column=1).value == "b00d-birth")
    sheet.cell(row=row, column=cols.index("text") + 1).value = "Congratulations!"
    book.save(path)
    other = reload()
    from dataclasses import replace
    from kizuna.catalog.stages import Stage
    other.save_message(replace(other.messages["b00d-birth"], stage=Stage.parse("B1d")))
    report = import_workbook(reload(), path)
    assert report.counts["applied"] == 1, report.render()
    m = reload().messages["b00d-birth"]
    assert str(m.stage) == "B1d" and m.text("en") == "Congratulations!"
