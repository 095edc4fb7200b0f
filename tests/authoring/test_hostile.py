"""Hostile or careless files on import: forged seals, ids that are paths, symlinks, broken
suggestions, deletion by copied metadata. Each is refused by name and nothing is written."""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any, Callable

import nbformat
import openpyxl
import pytest
from click.testing import CliRunner

from kizuna.catalog import yamlio
from kizuna.catalog.errors import KizunaError
from kizuna.catalog.hashing import normalise_text
from kizuna.catalog.sealkey import KEY_ENV, key_path, read_key
from kizuna.catalog.workspace import Workspace, load_workspace
from kizuna.authoring.importer import import_file
from kizuna.authoring.merge import Verdict
from kizuna.authoring.notebooks import write_notebooks
from kizuna.authoring.suggestions import SuggestionsError
from kizuna.authoring.workbooks import REVIEW, WorkbookError, row_seal, write_workbook
from kizuna.cli import main


def _col(key: str) -> int:
    return [c.key for c in REVIEW.columns].index(key) + 1


def _review_book(ws: Workspace, out: Path) -> Path:
    return write_workbook(ws, out / "aoki.xlsx", reviewer="aoki", findings=False)


def _forge_row(path: Path, seal: Callable[[dict[str, Any]], str], **values: str) -> None:
    """Edit locked cells of the first data row and write a seal the forger computed."""
    book = openpyxl.load_workbook(path)
    sheet = book[REVIEW.sheet]
    for key, value in values.items():
        sheet.cell(row=2, column=_col(key)).value = value
    row = {c.key: sheet.cell(row=2, column=_col(c.key)).value for c in REVIEW.columns}
    sheet.cell(row=2, column=_col("seal")).value = seal(row)
    book.save(path)


def _old_unkeyed_seal(row: dict[str, Any]) -> str:
    """The seal kizuna wrote before seals were keyed: anyone can compute it."""
    part = lambda v: hashlib.sha256(normalise_text("" if v is None else str(v)).encode()).hexdigest()[:6]  # noqa: E731
    return "v1:" + ".".join(part(row.get(c.key)) for c in REVIEW.sealed)


@pytest.mark.parametrize("evil_id", ["../../kizuna", "/tmp/kizuna-evil", "p08w-hello/../../x"])
def test_recomputed_unkeyed_seal_cannot_smuggle_an_id(ws_root: Path, ws: Workspace, tmp_path: Path,
                                                      files_of: Callable[[Path], dict[str, bytes]],
                                                      evil_id: str) -> None:
    path = _review_book(ws, tmp_path)
    _forge_row(path, _old_unkeyed_seal, id=evil_id, text="上書き")
    before = files_of(ws_root)
    with pytest.raises(WorkbookError, match="seal column was edited"):
        import_file(load_workspace(ws_root), path)
    assert files_of(ws_root) == before
    assert not (tmp_path / "kizuna.yaml").exists() and not Path("/tmp/kizuna-evil.yaml").exists()


def test_seal_recomputed_with_a_guessed_key_is_refused(ws_root: Path, ws: Workspace, tmp_path: Path) -> None:
    path = _review_book(ws, tmp_path)
    _forge_row(path, lambda row: row_seal(REVIEW, row, key=b""), id="b00d-birth", text="上書き")
    with pytest.raises(WorkbookError, match="row 2.*seal column was edited"):
        import_file(load_workspace(ws_root), path)


def test_an_id_that_is_a_path_is_refused_even_when_sealed_with_the_real_key(
        ws_root: Path, ws: Workspace, tmp_path: Path, files_of: Callable[[Path], dict[str, bytes]]) -> None:
    """The second wall: whoever holds the key still cannot make an id into a path."""
    path = _review_book(ws, tmp_path)
    key = read_key(ws_root)
    assert key is not None
    _forge_row(path, lambda row: row_seal(REVIEW, row, key=key), id="../../kizuna", text="上書き")
    before = files_of(ws_root)
    with pytest.raises(WorkbookError, match=r"row 2: message id '\.\./\.\./kizuna' is not valid"):
        import_file(load_workspace(ws_root), path)
    assert files_of(ws_root) == before


def test_seal_key_is_private_local_and_a_second_clone_uses_it(ws_root: Path, ws: Workspace, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    path = _review_book(ws, tmp_path)
    key_file = key_path(ws_root)
    assert key_file.stat().st_mode & 0o777 == 0o600
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(ws_root)], check=True)
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ws_root,
                                capture_output=True, text=True, check=True).stdout
        assert ".kizuna" not in status and "kizuna.yaml" in status
    # a second clone without the key cannot check the seals: named error, nothing applied
    clone = tmp_path / "clone"
    shutil.copytree(ws_root, clone, ignore=shutil.ignore_patterns(".kizuna", ".git"))
    with pytest.raises(WorkbookError, match="no seal key.*seal.key"):
        import_file(load_workspace(clone), path)
    # ... and with the first clone's key (here through the environment) it imports
    monkeypatch.setenv(KEY_ENV, key_file.read_text().strip())
    report = import_file(load_workspace(clone), path)
    assert report.counts["refused"] == report.counts["conflict"] == 0


def test_a_workbook_sealed_with_another_key_is_refused(ws_root: Path, ws: Workspace, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    _review_book(ws, tmp_path / "here")  # this workspace has its own key
    monkeypatch.setenv(KEY_ENV, "another-workspace")
    path = _review_book(ws, tmp_path)
    monkeypatch.delenv(KEY_ENV)
    with pytest.raises(WorkbookError, match="another seal key"):
        import_file(load_workspace(ws_root), path)


# --- notebooks: deletion needs the notebook's sealed record --------------------------------------------
def _notebook(ws: Workspace, out: Path, band: str = "pregnancy-early") -> tuple[Path, Any]:
    [path] = write_notebooks(ws, out, only=[band], findings=False)
    return path, nbformat.read(str(path), as_version=4)


def test_listing_another_notebooks_message_does_not_delete_it(ws_root: Path, ws: Workspace, tmp_path: Path) -> None:
    path, nb = _notebook(ws, tmp_path / "nb")
    birth = ws.messages["b00d-birth"]  # in the newborn band, not in this notebook
    nb.metadata["kizuna"]["cells"]["b00d-birth"] = birth.content_hash("ja")
    nbformat.write(nb, str(path))
    report = import_file(load_workspace(ws_root), path)
    assert "b00d-birth" in load_workspace(ws_root).messages
    [refused] = report.of(Verdict.REFUSED)
    assert "b00d-birth" in refused.what and "not deleted" in refused.what


def test_even_a_resealed_record_cannot_delete_outside_the_notebooks_group(
        ws_root: Path, ws: Workspace, tmp_path: Path) -> None:
    from kizuna.authoring.notebooks import scope_seal

    path, nb = _notebook(ws, tmp_path / "nb")
    meta = nb.metadata["kizuna"]
    meta["cells"]["b00d-birth"] = ws.messages["b00d-birth"].content_hash("ja")
    key = read_key(ws_root)
    assert key is not None
    meta["seal"] = scope_seal(key, meta["locale"], meta["group"], dict(meta["cells"]))
    nbformat.write(nb, str(path))
    report = import_file(load_workspace(ws_root), path)
    assert "b00d-birth" in load_workspace(ws_root).messages
    assert any("not in this notebook's group" in line.what for line in report.of(Verdict.REFUSED))


def test_a_deleted_cell_still_deletes_its_own_message(ws_root: Path, ws: Workspace, tmp_path: Path) -> None:
    path, nb = _notebook(ws, tmp_path / "nb")
    nb.cells = [c for c in nb.cells if c.get("metadata", {}).get("kizuna", {}).get("id") != "p12w-checkup"]
    nbformat.write(nb, str(path))
    report = import_file(load_workspace(ws_root), path)
    assert report.counts["applied"] == 1 and "p12w-checkup" not in load_workspace(ws_root).messages


def test_an_unsealed_notebook_edits_but_does_not_delete(ws_root: Path, ws: Workspace, tmp_path: Path) -> None:
    path, nb = _notebook(ws, tmp_path / "nb")
    del nb.metadata["kizuna"]["seal"]
    nb.cells = [c for c in nb.cells if c.get("metadata", {}).get("kizuna", {}).get("id") != "p12w-checkup"]
    next(c for c in nb.cells if c.get("id") == "p08w-hello").source = "妊娠8週です。"
    nbformat.write(nb, str(path))
    report = import_file(load_workspace(ws_root), path)
    after = load_workspace(ws_root)
    assert "p12w-checkup" in after.messages and after.messages["p08w-hello"].text("ja") == "妊娠8週です。"
    assert report.counts["refused"] == 1 and report.counts["applied"] == 1


# --- suggestions files and symlinks: checked before the first write ---------------------------------------
def _conflicting_notebook(ws_root: Path, tmp_path: Path) -> Path:
    """A notebook editing two messages, one of which changed meanwhile (a conflict to keep)."""
    path, nb = _notebook(load_workspace(ws_root), tmp_path / "nb")
    next(c for c in nb.cells if c.get("id") == "p08w-hello").source = "私の修正"
    next(c for c in nb.cells if c.get("id") == "p12w-checkup").source = "私の修正2"
    nbformat.write(nb, str(path))
    data = yamlio.read(ws_root / "messages" / "p08w-hello.yaml")
    data["texts"]["ja"]["text"] = "他の人の修正"
    yamlio.write(ws_root / "messages" / "p08w-hello.yaml", data)
    return path


@pytest.mark.parametrize(("content", "match"), [
    ("- just\n- a list\n", "must be a mapping"),
    ("suggestions: {a: 1}\n", "must be a list"),
    ("suggestions:\n- id: 0123456789abcdef\n  target: {kind: message, key: ../../kizuna, locale: ja}\n",
     "message id '../../kizuna' is not valid"),
    ("suggestions:\n- id: 0123456789abcdef\n  target: {kind: message, key: b00d-birth, locale: ja}\n",
     "belongs in suggestions/messages/b00d-birth.yaml"),
])
def test_a_broken_suggestions_file_stops_the_import_before_any_write(
        ws_root: Path, tmp_path: Path, files_of: Callable[[Path], dict[str, bytes]], content: str, match: str) -> None:
    path = _conflicting_notebook(ws_root, tmp_path)
    bad = ws_root / "suggestions" / "messages" / "p12w-checkup.yaml"
    bad.parent.mkdir(parents=True)
    bad.write_text(content, encoding="utf-8")
    before = files_of(ws_root)
    result = CliRunner().invoke(main, ["-w", str(ws_root), "author", "import", str(path)])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert "p12w-checkup.yaml" in result.output
    assert match in result.output.replace("\n", " ")
    assert files_of(ws_root) == before


def test_suggestions_read_by_the_views_are_checked_too(ws_root: Path, ws: Workspace, tmp_path: Path) -> None:
    bad = ws_root / "suggestions" / "towns" / "202029.yaml"
    bad.parent.mkdir(parents=True)
    bad.write_text("[1, 2]\n", encoding="utf-8")
    with pytest.raises(SuggestionsError, match="must be a mapping"):
        write_notebooks(ws, tmp_path / "nb", findings=False)


@pytest.mark.parametrize("link", ["suggestions", "messages/p12w-checkup.yaml", "decisions.jsonl"])
def test_symlinks_in_the_workspace_are_refused_before_any_write(
        ws_root: Path, tmp_path: Path, files_of: Callable[[Path], dict[str, bytes]], link: str) -> None:
    path = _conflicting_notebook(ws_root, tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    target = ws_root / link
    if target.exists():
        moved = outside / target.name
        target.rename(moved)
        target.symlink_to(moved)
    else:
        target.symlink_to(outside)
    before, outside_before = files_of(ws_root), files_of(outside)
    with pytest.raises(KizunaError, match="symbolic link"):
        import_file(load_workspace(ws_root), path)
    assert files_of(ws_root) == before and files_of(outside) == outside_before


def test_a_view_written_into_a_symlinked_out_folder_is_refused(ws_root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (ws_root / "out").symlink_to(outside)
    for args in (["author", "notebook", "--out", str(ws_root / "out" / "nb")],
                 ["author", "workbook", "--by", "aoki", "--out", str(ws_root / "out" / "a.xlsx")]):
        result = CliRunner().invoke(main, ["-w", str(ws_root), *args, "--no-findings"])
        assert result.exit_code == 2 and "symbolic link" in result.output
    assert list(outside.iterdir()) == []


def test_a_suggestion_whose_json_target_kind_is_unknown_is_named(ws_root: Path) -> None:
    bad = ws_root / "suggestions" / "messages" / "p08w-hello.yaml"
    bad.parent.mkdir(parents=True)
    bad.write_text(json.dumps({"suggestions": [{"id": "0123456789abcdef",
                                                "target": {"kind": "file", "key": "p08w-hello"}}]}),
                   encoding="utf-8")
    result = CliRunner().invoke(main, ["-w", str(ws_root), "author", "suggestions"])
    assert result.exit_code == 2 and "kind 'file' is not one of" in result.output


def test_a_workbook_with_decisions_and_a_broken_log_applies_nothing(
        ws_root: Path, ws: Workspace, tmp_path: Path, files_of: Callable[[Path], dict[str, bytes]]) -> None:
    path = _review_book(ws, tmp_path)
    (ws_root / "decisions.jsonl").write_text('{"v": 1, "seq": 1, "broken\n', encoding="utf-8")
    book = openpyxl.load_workbook(path)
    sheet = book[REVIEW.sheet]
    sheet.cell(row=2, column=_col("text")).value = "直した本文です。"
    sheet.cell(row=2, column=_col("decision")).value = "承認"
    book.save(path)
    before = files_of(ws_root)
    result = CliRunner().invoke(main, ["-w", str(ws_root), "author", "import", str(path)])
    assert result.exit_code == 2 and "decisions log is broken" in result.output
    assert files_of(ws_root) == before


def test_a_view_under_a_file_is_a_named_error(ws_root: Path, tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    for args in (["author", "notebook", "--out", str(tmp_path / "afile" / "nb")],
                 ["author", "workbook", "--by", "aoki", "--out", str(tmp_path / "afile" / "a.xlsx")]):
        result = CliRunner().invoke(main, ["-w", str(ws_root), *args, "--no-findings"])
        assert result.exit_code == 2 and "afile is a file, not a folder" in result.output, result.output


def test_a_town_code_that_is_a_path_is_refused_even_when_sealed(
        ws_root: Path, ws: Workspace, tmp_path: Path, files_of: Callable[[Path], dict[str, bytes]]) -> None:
    from kizuna.authoring.workbooks import BLOCKS

    path = write_workbook(ws, tmp_path / "town.xlsx", town="202029", findings=False)
    key = read_key(ws_root)
    assert key is not None
    book = openpyxl.load_workbook(path)
    sheet = book[BLOCKS.sheet]
    col = {c.key: i for i, c in enumerate(BLOCKS.columns, start=1)}
    sheet.cell(row=2, column=col["town"]).value = "../../../../tmp/x"
    sheet.cell(row=2, column=col["text"]).value = "書き換え"
    row = {c.key: sheet.cell(row=2, column=col[c.key]).value for c in BLOCKS.columns}
    sheet.cell(row=2, column=col["seal"]).value = row_seal(BLOCKS, row, key=key)
    book.save(path)
    before = files_of(ws_root)
    with pytest.raises(WorkbookError, match=r"town code '\.\./\.\./\.\./\.\./tmp/x' is not valid"):
        import_file(load_workspace(ws_root), path)
    assert files_of(ws_root) == before and not Path("/tmp/x.yaml").exists()
