"""Atomic replacement of an export folder: write everything to a staging sibling, then swap.

The export is written into ``.<name>.staging-*`` next to the target folder. Only when every file
and the manifest are written is the previous export renamed to ``.<name>.old-*``, the staging
folder renamed to the target, and the old one removed. Any failure before the swap removes the
staging folder and leaves the previous export as it was. If the process dies between the two
renames, the next export finds the target missing and ``.<name>.old-*`` present, and puts the
previous export back first (:func:`recover`).

An export owns only what it wrote. The target may not be the workspace or a folder holding it;
a target that exists and is not empty must be a previous kizuna export whose manifest verifies
(every listed file there with its SHA-256) and that holds no file the manifest does not list.
Anything else is refused, naming the file in the way, and nothing is touched: kizuna never
replaces a folder it did not write, and never deletes a file it did not write.

On POSIX an export holds an exclusive ``flock`` on the target's parent folder from start to
swap, so two exports into the same place run one after the other, and the next export removes
the staging and old folders that a killed process left behind (no file is created for the
lock, so the workspace's content does not change).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any, Iterator

import orjson

from kizuna.catalog.safepaths import is_inside, write_target
from kizuna.exports.errors import ExportError
from kizuna.catalog.i18n import _

try:  # POSIX: one export at a time per folder, and leftovers of killed exports are removed
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "kizuna-export-manifest"


def is_export(folder: Path) -> bool:
    """True when ``folder`` holds a kizuna export manifest."""
    try:
        data = orjson.loads((folder / MANIFEST).read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("format") == MANIFEST_FORMAT


def _listed_files(folder: Path) -> dict[str, Any] | str:
    """The ``files`` of the folder's manifest, or why the folder is not an export kizuna made."""
    try:
        data = orjson.loads((folder / MANIFEST).read_bytes())
    except OSError:
        return _("it holds no {MANIFEST}").format(MANIFEST=MANIFEST)
    except ValueError:
        return _("its {MANIFEST} is not JSON").format(MANIFEST=MANIFEST)
    if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT:
        return _("its {MANIFEST} is not a kizuna export manifest").format(MANIFEST=MANIFEST)
    files = data.get("files")
    if not isinstance(files, dict) or not files or not all(
            isinstance(k, str) and isinstance(v, dict) and isinstance(v.get("sha256"), str) for k, v in files.items()):
        return f"its {MANIFEST} lists no files"
    return files


def _sha256(path: Path) -> str | None:
    """SHA-256 of a regular file (``None``: missing); a symbolic link or a folder is refused."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return "not a file"
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except FileNotFoundError:
        return None


def _walk(folder: Path, rel: str = "") -> Iterator[tuple[str, bool]]:
    """Every file and symbolic link under ``folder``: (relative path, is a symbolic link)."""
    with os.scandir(folder) as entries:
        for entry in entries:
            path = f"{rel}{entry.name}"
            if entry.is_symlink():
                yield path, True
            elif entry.is_dir(follow_symlinks=False):
                yield from _walk(Path(entry.path), path + "/")
            else:
                yield path, False


def ownership_problem(folder: Path) -> str | None:
    """Why kizuna may not replace ``folder`` (``None``: it is a previous kizuna export whose
    manifest verifies, and it holds nothing the manifest does not list).

    Every file the manifest lists must be there with its SHA-256 — or missing: nothing is lost
    by replacing a file that is gone, and an incremental export renders it again — and every
    file there (other than the manifest) must be listed: a file someone added, or a file changed
    since, is named, and the folder is left as it is. The files are hashed in a few threads."""
    files = _listed_files(folder)
    if isinstance(files, str):
        return files
    listed = sorted(files.items())
    for rel, _record in listed:
        pure = PurePosixPath(rel)
        if pure.is_absolute() or ".." in pure.parts:
            return _("its {MANIFEST} lists a path outside the folder: {rel}").format(MANIFEST=MANIFEST, rel=rel)
    workers = min(8, (os.cpu_count() or 1) * 2)
    step = max(1, len(listed) // (workers * 8) + 1)
    chunks = [listed[i:i + step] for i in range(0, len(listed), step)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        hashed = pool.map(lambda chunk: [_sha256(folder / rel) for rel, _record in chunk], chunks)
        digests = [digest for chunk in hashed for digest in chunk]
        for (rel, record), digest in zip(listed, digests):
            if digest == "not a file":
                return _("{rel}, listed in its {MANIFEST}, is not a file").format(rel=rel, MANIFEST=MANIFEST)
            if digest is not None and digest != record["sha256"]:
                return _("{rel} changed since kizuna wrote it (its SHA-256 is not the one in {MANIFEST})").format(rel=rel, MANIFEST=MANIFEST)
    for rel, is_link in sorted(_walk(folder)):
        if is_link:
            return _("{rel} is a symbolic link kizuna did not write").format(rel=rel)
        if rel != MANIFEST and rel not in files:
            return _("{rel} is not in its {MANIFEST} (kizuna did not write it)").format(rel=rel, MANIFEST=MANIFEST)
    return None


def check_target(target: Path, workspace: Path | None = None, *, verify: bool = True) -> None:
    """Refuse a target kizuna does not own: a file, a symbolic link, the workspace itself or a
    folder holding it, or a non-empty folder that is not a previous kizuna export whose manifest
    verifies (naming the file that is in the way). Nothing is written or removed then.
    ``verify=False`` checks that a non-empty folder holds a kizuna manifest listing files, without
    reading every file (the first look, before the lock: the full check runs under it)."""
    if target.is_symlink():
        raise ExportError(_("is a symbolic link; give a real folder for the export"), path=target)
    if target.exists() and not target.is_dir():
        raise ExportError(_("is a file; give a folder for the export"), path=target)
    if workspace is not None:
        here, root = target.resolve(), Path(workspace).resolve()
        if here == root or here in root.parents:
            what = _("is the workspace itself") if here == root else _("holds the workspace {root}").format(root=root)
            raise ExportError(_("{what}; an export replaces its whole folder, so give a folder of its own "
                              "(default: out/exports)").format(what=what), path=target)
    if target.is_dir() and any(target.iterdir()):
        why = ownership_problem(target) if verify else _listed_files(target)
        why = why if isinstance(why, str) else None
        if why is not None:
            raise ExportError(_("is not a kizuna export kizuna may replace ({why}); nothing was written "
                              "or removed: choose a new or empty folder, or move that file away").format(why=why), path=target)


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
    remove_tree(old)


def remove_tree(folder: Path) -> None:
    """``shutil.rmtree(folder)``, its top-level folders (the towns) in a few threads: removing
    files waits on the disk (more so on a file system that discards freed blocks), and an
    export holds thousands."""
    try:
        with os.scandir(folder) as entries:
            children = [entry.path for entry in entries if entry.is_dir(follow_symlinks=False)]
    except OSError:
        children = []
    if len(children) > 1:
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda path: shutil.rmtree(path, ignore_errors=True), children))
    shutil.rmtree(folder, ignore_errors=True)


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
def staged(target: Path, workspace: Path | None = None) -> Iterator[Path]:
    """A staging folder for a new export of ``target``; swapped in only if the block succeeds.
    ``workspace``: the workspace exported, which the target may not be or hold."""
    target = Path(os.path.normpath(Path(target).absolute()))
    check_target(target, workspace, verify=False)  # before anything is made (and again under the lock)
    if workspace is not None and is_inside(workspace, target):
        write_target(workspace, target)  # inside the workspace: no symbolic link on the way
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(_("cannot make the export folder here: {strerror}").format(strerror=exc.strerror), path=target) from None
    with locked(target.parent) as exclusive:
        recover(target)
        check_target(target, workspace)
        if exclusive:
            for folder in leftovers(target):
                shutil.rmtree(folder, ignore_errors=True)
        try:
            staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
        except OSError as exc:
            raise ExportError(_("cannot write the export here: {strerror}").format(strerror=exc.strerror), path=target) from None
        staging.chmod(0o777 & ~_umask())  # mkdtemp makes it private; an export is shared
        try:
            yield staging
            swap(staging, target)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
