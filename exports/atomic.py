"""Atomic replacement of an export folder: write everything to a staging sibling, then swap.

The export is written into ``.<name>.staging-*`` next to the target folder. Only when every file
and the manifest are written is the previous export renamed to ``.<name>.old-*``, the staging
folder renamed to the target, and the old one removed. Any failure before the swap removes the
staging folder and leaves the previous export as it was. If the process dies between the two
renames, the next export finds the target missing and ``.<name>.old-*`` present, and puts the
previous export back first (:func:`recover`).

A target that exists, is not empty and holds no kizuna manifest is refused: kizuna never
replaces a folder it did not write.

On POSIX an export holds an exclusive ``flock`` on the target's parent folder from start to
swap, so two exports into the same place run one after the other, and the next export removes
the staging and old folders that a killed process left behind (no file is created for the
lock, so the workspace's content does not change).
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from kizuna.exports.errors import ExportError

try:  # POSIX: one export at a time per folder, and leftovers of killed exports are removed
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "kizuna-export-manifest"


def is_export(folder: Path) -> bool:
    """True when ``folder`` holds a kizuna export manifest."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("format") == MANIFEST_FORMAT


def check_target(target: Path) -> None:
    """Refuse a target that is a file, or a non-empty folder that is not a kizuna export."""
    if target.exists() and not target.is_dir():
        raise ExportError("is a file; give a folder for the export", path=target)
    if target.is_dir() and any(target.iterdir()) and not is_export(target):
        raise ExportError(f"exists and is not a kizuna export (no {MANIFEST}); choose a new or "
                          "empty folder, kizuna will not replace it", path=target)


def recover(target: Path) -> None:
    """Put a previous export back if a swap was interrupted between its two renames."""
    if target.exists() or not target.parent.is_dir():
        return
    leftovers = sorted(target.parent.glob(f".{target.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if leftovers and is_export(leftovers[-1]):
        os.rename(leftovers[-1], target)


def swap(staging: Path, target: Path) -> None:
    """Replace ``target`` by ``staging`` (two renames; see the module docstring)."""
    if not target.exists():
        os.rename(staging, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.rmdir(old)
    os.rename(target, old)
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


@contextmanager
def locked(folder: Path) -> Iterator[bool]:
    """Hold an exclusive lock on ``folder`` (yields whether a lock is held: not on Windows)."""
    if fcntl is None:  # pragma: no cover - Windows
        yield False
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:  # a file system without flock on folders (some NFS): export unlocked
            yield False
            return
        yield True
    finally:
        os.close(fd)


def leftovers(target: Path) -> list[Path]:
    """Staging and old folders of ``target`` that no running export uses (call under the lock)."""
    found = [*target.parent.glob(f".{target.name}.staging-*"), *target.parent.glob(f".{target.name}.old-*")]
    return sorted(p for p in found if p.is_dir() and not p.is_symlink())


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


@contextmanager
def staged(target: Path) -> Iterator[Path]:
    """A staging folder for a new export of ``target``; swapped in only if the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with locked(target.parent) as exclusive:
        recover(target)
        check_target(target)
        if exclusive:
            for folder in leftovers(target):
                shutil.rmtree(folder, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
        staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; an export is shared
        try:
            yield staging
            swap(staging, target)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
