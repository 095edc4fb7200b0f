"""The export as a whole: default formats, manifest, determinism, parallelism, atomicity and
the catalog revision."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import jsonschema
import pytest

from kizuna.catalog.errors import KizunaError, TemplateError
from kizuna.catalog.workspace import Workspace, load_workspace
from kizuna.exports import atomic, runner
from kizuna.exports.errors import ExportError
from kizuna.exports.revision import catalog_revision
from kizuna.exports.runner import ExportRequest, run_export, schema_bytes

from .conftest import TOWNS, write_workspace


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_each_town_gets_canonical_json_its_channels_and_backend(ws: Workspace, signoff, tmp_path: Path) -> None:
    result = run_export(ws, ExportRequest(jobs=1), tmp_path / "out")
    towns = result.manifest["towns"]
    assert towns["202029"]["formats"] == ["json", "line", "email", "csv"]
    assert towns["131121"]["formats"] == ["json", "line", "sms", "rapidpro"]
    assert towns["264652"]["formats"] == ["json", "email", "xlsx"]
    assert towns["473243"]["formats"] == ["json", "sms", "line", "ndjson"]
    files = set(result.manifest["files"])
    assert {"202029/ja/catalog.json", "202029/ja/line-push.json", "202029/ja/catalog.csv",
            "202029/ja/email/p10w-hello.eml", "202029/en/catalog.json", "131121/ja/rapidpro.json",
            "131121/ja/sms.json", "264652/ja/catalog.xlsx", "473243/ja/catalog.ndjson",
            "schema/catalog-v1.schema.json"} <= files


def test_format_town_and_locale_options(ws: Workspace, signoff, tmp_path: Path) -> None:
    result = run_export(ws, ExportRequest(towns=("202029",), locales=("en",), formats=("sms",), jobs=1),
                        tmp_path / "out")
    assert [f for f in result.manifest["files"] if not f.startswith("schema/")] == ["202029/en/sms.json"]
    with pytest.raises(ExportError, match="unknown export format 'fax'"):
        run_export(ws, ExportRequest(formats=("fax",)), tmp_path / "x")
    with pytest.raises(KizunaError, match="no town '999999'"):
        run_export(ws, ExportRequest(towns=("999999",)), tmp_path / "x")


def test_unknown_backend_names_the_town_file(tmp_path: Path, signoff) -> None:
    ws = load_workspace(write_workspace(tmp_path / "w", towns=[dict(TOWNS[2], backend="fax")]))
    with pytest.raises(ExportError, match="towns/264652.yaml: backend: unknown export format 'fax'"):
        run_export(ws, ExportRequest(), tmp_path / "out")


def test_manifest_is_valid_and_hashes_every_file(ws: Workspace, signoff, tmp_path: Path) -> None:
    signoff(overrides={("p40w-due", "ja"): "draft"})
    out = tmp_path / "out"
    manifest = run_export(ws, ExportRequest(jobs=1), out).manifest
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8")) == manifest
    jsonschema.validate(manifest, json.loads(schema_bytes("manifest-v1.schema.json")))
    on_disk = tree(out)
    del on_disk["manifest.json"]
    assert set(on_disk) == set(manifest["files"])
    for path, data in on_disk.items():
        assert manifest["files"][path] == {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    assert manifest["counts"]["towns"] == 4 and manifest["counts"]["catalogs"] == 5
    assert manifest["counts"]["left_out"]["unapproved"] == 4   # p40w-due (ja) in each of the 4 towns
    assert manifest["as_of"] is None and manifest["catalog_revision"].startswith("sha256:")


def test_reexport_is_byte_identical_and_independent_of_workers(ws: Workspace, signoff, tmp_path: Path) -> None:
    first = tree(run_export(ws, ExportRequest(jobs=1), tmp_path / "a").out)
    second = tree(run_export(ws, ExportRequest(jobs=1), tmp_path / "a").out)   # over the old one
    parallel = tree(run_export(ws, ExportRequest(jobs=2), tmp_path / "b").out)
    assert first == second == parallel


def test_broken_template_exits_with_nothing_written(tmp_path: Path, signoff) -> None:
    root = write_workspace(tmp_path / "w")
    out = tmp_path / "out"
    run_export(load_workspace(root), ExportRequest(jobs=2), out)
    before = tree(out)
    write_workspace(root, towns=[dict(TOWNS[0], blocks={"P10w": "FAX {{ town.contacts.fax }}"}), *TOWNS[1:]])
    with pytest.raises(TemplateError, match="town 202029, message p10w-hello.*town.contacts.fax"):
        run_export(load_workspace(root), ExportRequest(jobs=2), out)
    assert tree(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.")] == []


def test_failure_mid_export_leaves_previous_export_intact(ws: Workspace, signoff, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    run_export(ws, ExportRequest(jobs=1), out)
    before = tree(out)
    real_write = runner.write_file
    calls = {"n": 0}

    def failing_write(path: Path, data: bytes) -> os.stat_result:
        calls["n"] += 1
        if calls["n"] == 7:
            raise OSError("disk full (injected)")
        return real_write(path, data)

    monkeypatch.setattr(runner, "write_file", failing_write)
    signoff(default="draft")   # the new export would differ
    with pytest.raises(OSError, match="injected"):
        run_export(ws, ExportRequest(jobs=1, include_unapproved=True), out)
    assert calls["n"] == 7
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "ws"]


def test_interrupted_swap_is_recovered(ws: Workspace, signoff, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_export(ws, ExportRequest(jobs=1), out)
    before = tree(out)
    os.rename(out, tmp_path / ".out.old-abc")          # died between the two renames
    atomic.recover(out)
    assert tree(out) == before


def test_refuses_to_replace_a_folder_it_did_not_write(ws: Workspace, signoff, tmp_path: Path) -> None:
    precious = tmp_path / "docs"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    with pytest.raises(ExportError, match="not a kizuna export"):
        run_export(ws, ExportRequest(jobs=1), precious)
    assert (precious / "notes.txt").read_text() == "keep me"


def git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.jp",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.jp"}
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True, env=env).stdout


def test_revision_is_the_commit_when_clean_else_a_digest(ws_root: Path, signoff) -> None:
    git(ws_root, "init", "-q")
    git(ws_root, "add", "-A")
    git(ws_root, "commit", "-q", "--no-gpg-sign", "-m", "x")
    head = git(ws_root, "rev-parse", "HEAD").strip()
    ws = load_workspace(ws_root)
    result = run_export(ws, ExportRequest(jobs=1), ws_root / "out" / "exports")
    assert result.manifest["catalog_revision"] == f"git:{head}"
    # the export inside the workspace does not make it dirty
    assert catalog_revision(ws_root) == f"git:{head}"
    (ws_root / "notes.txt").write_text("draft")
    digest = catalog_revision(ws_root)
    assert digest.startswith("sha256:") and digest == catalog_revision(ws_root)


def test_leftovers_of_a_killed_export_are_removed_by_the_next(ws: Workspace, signoff, tmp_path: Path) -> None:
    """A process killed mid-export (SIGKILL: no cleanup ran) leaves its staging folder, or the
    old export of an interrupted cleanup; the next export into the same place removes them."""
    out = tmp_path / "out"
    run_export(ws, ExportRequest(jobs=1), out)
    for name in (".out.staging-k1ll3d", ".out.old-k1ll3d"):
        (tmp_path / name / "202029").mkdir(parents=True)
        (tmp_path / name / "202029" / "half.json").write_text("{")
    run_export(ws, ExportRequest(jobs=1), out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "ws"]
    assert atomic.is_export(out)


def test_concurrent_exports_into_one_folder_run_one_after_the_other(ws: Workspace, signoff,
                                                                    tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    out = tmp_path / "out"
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda _: run_export(ws, ExportRequest(jobs=1), out), range(3)))
    assert all(r.out == out for r in results)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "ws"]
    assert tree(out) == tree(run_export(ws, ExportRequest(jobs=1), tmp_path / "single").out)


def test_generated_views_in_out_do_not_change_the_revision(ws_root: Path, signoff) -> None:
    """Review packets, notebooks and workbooks are written into the workspace's out/ folder;
    they are derived from the catalog, so they do not change its revision."""
    before = catalog_revision(ws_root)
    (ws_root / "out" / "authoring").mkdir(parents=True)
    (ws_root / "out" / "review-ed.html").write_text("<html>packet</html>")
    (ws_root / "out" / "authoring" / "town.xlsx").write_bytes(b"PK")
    assert catalog_revision(ws_root) == before
    (ws_root / "messages" / "p40w-due.yaml").write_text("id: p40w-due\nstage: P40w\ntexts: {ja: {text: 変更}}\n")
    assert catalog_revision(ws_root) != before


def test_a_named_town_in_a_locale_it_does_not_send_is_an_error(ws: Workspace, signoff, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match=r"town 264652 \(与謝野町\) does not send in en; its locales: ja"):
        run_export(ws, ExportRequest(towns=("264652",), locales=("en",), jobs=1), tmp_path / "x")
    assert not (tmp_path / "x").exists()
    # without --town, --locale picks the towns that send in it
    result = run_export(ws, ExportRequest(locales=("en",), jobs=1), tmp_path / "en")
    assert list(result.manifest["towns"]) == ["202029"]
