"""Writers at the same time: two imports editing the same messages, many decisions at once.

Real processes (forked), started together, many trials. Nothing may be lost: every edit ends up
either in its message file or kept as a suggestion, and the decisions log's chain stays whole.
"""
from __future__ import annotations

import multiprocessing
import os
from pathlib import Path
from typing import Any, Callable

import nbformat
import pytest
from click.testing import CliRunner

from kizuna.catalog.workspace import load_workspace
from kizuna.authoring.importer import import_file
from kizuna.authoring.notebooks import write_notebooks
from kizuna.authoring.suggestions import all_suggestions
from kizuna.review.decisions import read_log, verify_log

MESSAGES = 16
TRIALS = 6

fork = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")


def _messages() -> list[dict[str, Any]]:
    return [{"id": f"p{4 + i // 2:02d}w-m{i}", "stage": f"P{4 + i // 2}w{i % 2}d", "topics": ["daily-life"],
             "texts": {"ja": {"text": f"元の本文{i}です。"}}} for i in range(MESSAGES)]


def _edited_notebook(root: Path, out: Path, tag: str) -> tuple[Path, dict[str, str]]:
    """A notebook of every message, each edited with ``tag``; returns it and the edits."""
    [path] = write_notebooks(load_workspace(root), out, findings=False)
    nb = nbformat.read(str(path), as_version=4)
    edits = {}
    for cell in nb.cells:
        mid = cell.get("metadata", {}).get("kizuna", {}).get("id")
        if mid:
            cell.source = edits[mid] = f"{tag}による{mid}の修正です。"
    nbformat.write(nb, str(path))
    return path, edits


def _import(root: str, path: str, go: Any, done: Any) -> None:
    go.wait(10)
    try:
        import_file(load_workspace(Path(root)), Path(path), check=False)
        done.put((path, "ok"))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        done.put((path, repr(exc)))
    finally:
        _leave(done)


def _leave(done: Any) -> None:
    """End a forked child at once (leaving pytest's state alone), after its answer is sent."""
    done.close()
    done.join_thread()
    os._exit(0)


def _run_together(target: Callable[..., None], jobs: list[tuple[Any, ...]]) -> list[Any]:
    ctx = multiprocessing.get_context("fork")
    go, done = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*job, go, done)) for job in jobs]
    for p in procs:
        p.start()
    go.set()
    results = [done.get(timeout=30) for _ in procs]
    for p in procs:
        p.join(30)
    return results


@fork
def test_parallel_imports_of_the_same_messages_lose_no_edit(build: Callable[..., Path], tmp_path: Path) -> None:
    lost = 0
    for trial in range(TRIALS):
        root = build(tmp_path / f"ws{trial}", messages=_messages())
        path_a, edits_a = _edited_notebook(root, tmp_path / f"a{trial}", "A")
        path_b, edits_b = _edited_notebook(root, tmp_path / f"b{trial}", "B")
        results = _run_together(_import, [(str(root), str(path_a)), (str(root), str(path_b))])
        assert all(r == "ok" for _, r in results), results
        ws = load_workspace(root)
        kept = {(s.target.key, s.text) for s in all_suggestions(root)}
        for edits in (edits_a, edits_b):
            for mid, text in edits.items():
                if ws.messages[mid].text("ja") != text and (mid, text) not in kept:
                    lost += 1
        # and one of the two won each message: the other edit is the suggestion
        assert len(kept) == MESSAGES
    assert lost == 0


def _decide(root: str, n: int, who: str, go: Any, done: Any) -> None:
    go.wait(10)
    from kizuna.cli import main  # noqa: PLC0415

    try:
        codes = []
        for i in range(n):
            result = CliRunner().invoke(main, ["-w", root, "review", "decide", "p08w-hello", "--by", who,
                                               "--decision", "comment", "--comment", f"{who} {i}"])
            codes.append(result.exit_code if result.exit_code == 0 else (result.exit_code, result.output))
        done.put((who, codes))
    except BaseException as exc:  # noqa: BLE001
        done.put((who, repr(exc)))
    finally:
        _leave(done)


@fork
def test_parallel_decisions_all_land_on_one_whole_chain(build: Callable[..., Path], tmp_path: Path) -> None:
    per_process, people = 6, ["aoki", "baba", "doi", "aoki"]
    for trial in range(3):
        root = build(tmp_path / f"ws{trial}")
        results = _run_together(_decide, [(str(root), per_process, who) for who in people])
        assert all(codes == [0] * per_process for _, codes in results), results
        assert verify_log(root) == []
        log = read_log(root)
        assert len(log) == per_process * len(people)
        assert sorted(d.comment for d in log) == sorted(f"{w} {i}" for w in people for i in range(per_process))
