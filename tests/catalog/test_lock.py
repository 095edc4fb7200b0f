"""The workspace lock: one writer at a time, a message naming the holder, a timeout, no trace."""
from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import pytest

from kizuna.catalog.lock import LockError, holds_lock, lock_path, workspace_lock

pytestmark = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")


def _hold(root: str, seconds: float, ready: multiprocessing.synchronize.Event) -> None:  # type: ignore[name-defined]
    with workspace_lock(Path(root), "test holder"):
        ready.set()
        time.sleep(seconds)
    os._exit(0)


def _holder(root: Path, seconds: float) -> multiprocessing.Process:
    ctx = multiprocessing.get_context("fork")
    ready = ctx.Event()
    proc = ctx.Process(target=_hold, args=(str(root), seconds, ready))
    proc.start()
    assert ready.wait(10)
    return proc


def test_a_second_writer_waits_and_is_told_who_holds_the_lock(tmp_path: Path) -> None:
    proc = _holder(tmp_path, 0.4)
    said: list[str] = []
    start = time.monotonic()
    with workspace_lock(tmp_path, "second", notify=said.append):
        waited = time.monotonic() - start
        assert holds_lock(tmp_path)
    proc.join(10)
    assert waited > 0.1
    assert said and f"pid {proc.pid} (test holder)" in said[0] and "another kizuna command" in said[0]


def test_a_writer_gives_up_after_the_timeout_naming_the_holder(tmp_path: Path) -> None:
    proc = _holder(tmp_path, 0.8)
    try:
        with pytest.raises(LockError, match=f"still writing this workspace \\(pid {proc.pid} "):
            with workspace_lock(tmp_path, "second", timeout=0.2, notify=lambda _: None):
                pass
    finally:
        proc.join(10)


def test_the_lock_is_reentrant_and_leaves_no_trace(tmp_path: Path) -> None:
    with workspace_lock(tmp_path, "outer"):
        with workspace_lock(tmp_path, "inner"):
            assert holds_lock(tmp_path) and lock_path(tmp_path).exists()
        assert holds_lock(tmp_path)
    assert not holds_lock(tmp_path)
    assert list(tmp_path.iterdir()) == []  # neither the lock file nor .kizuna/ is left behind


def test_a_symlinked_state_folder_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    root = tmp_path / "ws"
    root.mkdir()
    (root / ".kizuna").symlink_to(elsewhere)
    with pytest.raises(LockError, match="symbolic link"):
        with workspace_lock(root, "x"):
            pass
    assert list(elsewhere.iterdir()) == []
