"""Atomic replacement of an export folder: a staging sibling swapped in, or an in-place update
committed through a journal.

**Staging** (a first export, ``--full``): the export is written into ``.<name>.staging-*`` next
to the target folder. Only when every file and the manifest are written is the previous export
renamed to ``.<name>.old-*``, the staging folder renamed to the target, and the old one removed.
Any failure before the swap removes the staging folder and leaves the previous export as it was.
If the process dies between the two renames, the next export finds the target missing and
``.<name>.old-*`` present, and puts the previous export back first (:func:`recover`).

**In place** (an incremental export into a previous one, :mod:`exports.incremental`): only the
files whose bytes change are written, into ``.<name>.pending-*`` next to the target; the previous
export is not touched while the export runs, and any failure removes the pending folder. To
commit, the list of files to remove is written into the pending folder (the journal), which is
renamed ``.<name>.commit-*`` (the commit point); then the files the new export no longer has
are removed, each new file is renamed into the target (each replaced atomically), and the
manifest is renamed in last. A process that dies during the commit leaves ``.<name>.commit-*``:
the next export finishes it first (:func:`roll_forward`: the removals done, what is left
renamed in, the manifest last), so the folder is again exactly the export its manifest lists. A reader
during the commit (a fraction of a second for a one-message change) may see old and new files
together, each whole.

An export owns only what it wrote. The target may not be the workspace or a folder holding it;
a target that exists and is not empty must be a previous kizuna export whose manifest verifies
(every listed file there with its SHA-256) and that holds no file the manifest does not list.
Anything else is refused, naming the file in the way, and nothing is touched: kizuna never
replaces a folder it did not write, and never deletes a file it did not write. A file whose
inode, size and times are those kizuna recorded right after writing or checking it is trusted
without being read again (:mod:`exports.statcache`, git's index model); every other file is hashed.

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
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, Iterator, Mapping

import orjson

from kizuna.catalog.safepaths import is_inside, write_target
from kizuna.exports import statcache
from kizuna.exports.errors import ExportError
from kizuna.exports.statcache import Stat, StatCache, stat_of
from kizuna.catalog.i18n import _

try:  # POSIX: one export at a time per folder, and leftovers of killed exports are removed
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "kizuna-export-manifest"
#: in a pending or commit folder: the files of the previous export the new one removes
JOURNAL = ".kizuna-commit.json"


def is_export(folder: Path) -> bool:
    """True when ``folder`` holds a kizuna export manifest."""
    try:
        data = orjson.loads((folder / MANIFEST).read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("format") == MANIFEST_FORMAT


def _read_manifest(folder: Path) -> tuple[dict[str, Any], str] | str:
    """The folder's manifest and its SHA-256, or why the folder is not an export kizuna made."""
    try:
        raw = (folder / MANIFEST).read_bytes()
        data = orjson.loads(raw)
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
    return data, hashlib.sha256(raw).hexdigest()


def _listed_files(folder: Path) -> dict[str, Any] | str:
    """The ``files`` of the folder's manifest, or why the folder is not an export kizuna made."""
    found = _read_manifest(folder)
    return found if isinstance(found, str) else found[0]["files"]


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


def _scan(folder: Path) -> tuple[dict[str, Stat], list[str]]:
    """The regular files under ``folder`` with their :func:`~exports.statcache.stat_of`, and
    every other entry that is not a folder (symbolic links, devices...), by relative path."""
    files: dict[str, Stat] = {}
    others: list[str] = []
    stack = [(str(folder), "")]
    while stack:
        here, rel = stack.pop()
        with os.scandir(here) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, f"{rel}{entry.name}/"))
                    continue
                st = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(st.st_mode):
                    files[rel + entry.name] = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
                else:
                    others.append(rel + entry.name)
    return files, others


@dataclass
class Previous:
    """A previous kizuna export in the target, verified against its manifest."""

    manifest: dict[str, Any]
    #: SHA-256 of its manifest file
    digest: str
    #: every listed file that is there (with its SHA-256: checked), and its stat
    present: dict[str, Stat]
    #: the listed files that are not there (an incremental export writes them again)
    missing: set[str] = field(default_factory=set)
    #: the files that were read and hashed (the others: trusted from the stat cache)
    hashed: list[str] = field(default_factory=list)


def _hash_all(folder: Path, rels: list[str]) -> list[str | None]:
    workers = min(8, (os.cpu_count() or 1) * 2)
    step = max(1, len(rels) // (workers * 8) + 1)
    chunks = [rels[i:i + step] for i in range(0, len(rels), step)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        hashed = pool.map(lambda chunk: [_sha256(folder / rel) for rel in chunk], chunks)
        return [digest for chunk in hashed for digest in chunk]


def verify_export(folder: Path, cache: StatCache | None = None) -> Previous | str:
    """The previous kizuna export in ``folder``, verified (see :func:`ownership_problem`), or why
    kizuna may not replace the folder. A file whose inode, size and times are those ``cache``
    recorded with this manifest is trusted without being read (:mod:`exports.statcache`)."""
    found = _read_manifest(folder)
    if isinstance(found, str):
        return found
    data, digest = found
    files: dict[str, Any] = data["files"]
    scanned, others = _scan(folder)
    trusted = (cache or StatCache()).trusted(digest, os.stat(folder).st_dev)
    problems: list[tuple[str, str]] = []  # a listed file changed or not a file (named first)
    scanned.pop(MANIFEST, None)
    strays = list(scanned.keys() - files.keys())  # a file kizuna did not write (named next)
    present = scanned
    to_hash = [rel for rel, _st in scanned.items() - trusted.items() if rel in files]
    for rel in others:
        if rel in files:
            problems.append((rel, _("{rel}, listed in its {MANIFEST}, is not a file").format(rel=rel, MANIFEST=MANIFEST)))
        else:
            strays.append(rel)
    missing = set()
    absent = files.keys() - present.keys() - {r for r, _m in problems}
    if absent:  # a listed file is missing, or is a folder
        for rel in sorted(absent):
            pure = PurePosixPath(rel)
            if pure.is_absolute() or ".." in pure.parts:
                return _("its {MANIFEST} lists a path outside the folder: {rel}").format(MANIFEST=MANIFEST, rel=rel)
            if os.path.lexists(folder / rel):
                problems.append((rel, _("{rel}, listed in its {MANIFEST}, is not a file").format(rel=rel, MANIFEST=MANIFEST)))
            else:
                missing.add(rel)
    to_hash.sort()
    for rel, sha in zip(to_hash, _hash_all(folder, to_hash)):
        if sha == "not a file":
            problems.append((rel, _("{rel}, listed in its {MANIFEST}, is not a file").format(rel=rel, MANIFEST=MANIFEST)))
        elif sha is None:  # gone since the scan
            present.pop(rel, None)
            missing.add(rel)
        elif sha != files[rel]["sha256"]:
            problems.append((rel, _("{rel} changed since kizuna wrote it (its SHA-256 is not the one in {MANIFEST})").format(rel=rel, MANIFEST=MANIFEST)))
    if problems:
        return min(problems)[1]
    for rel in sorted(strays):
        if os.path.islink(folder / rel):
            return _("{rel} is a symbolic link kizuna did not write").format(rel=rel)
        return _("{rel} is not in its {MANIFEST} (kizuna did not write it)").format(rel=rel, MANIFEST=MANIFEST)
    return Previous(data, digest, present, missing, to_hash)


def ownership_problem(folder: Path, cache: StatCache | None = None) -> str | None:
    """Why kizuna may not replace ``folder`` (``None``: it is a previous kizuna export whose
    manifest verifies, and it holds nothing the manifest does not list).

    Every file the manifest lists must be there with its SHA-256 — or missing: nothing is lost
    by replacing a file that is gone, and an incremental export renders it again — and every
    file there (other than the manifest) must be listed: a file someone added, or a file changed
    since, is named, and the folder is left as it is. The files the ``cache`` vouches for are not
    read (:mod:`exports.statcache`); the others are hashed in a few threads."""
    found = verify_export(folder, cache)
    return found if isinstance(found, str) else None


def check_target(target: Path, workspace: Path | None = None, *, verify: bool = True,
                 cache: StatCache | None = None) -> Previous | None:
    """Refuse a target kizuna does not own: a file, a symbolic link, the workspace itself or a
    folder holding it, or a non-empty folder that is not a previous kizuna export whose manifest
    verifies (naming the file that is in the way). Nothing is written or removed then.
    ``verify=False`` checks that a non-empty folder holds a kizuna manifest listing files, without
    reading every file (the first look, before the lock: the full check runs under it).
    Returns the verified previous export (``verify``, a non-empty target), else ``None``."""
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
        found: Any = verify_export(target, cache) if verify else _listed_files(target)
        if isinstance(found, str):
            raise ExportError(_("is not a kizuna export kizuna may replace ({why}); nothing was written "
                              "or removed: choose a new or empty folder, or move that file away").format(why=found), path=target)
        return found if isinstance(found, Previous) else None
    return None


def _siblings(target: Path, kind: str) -> list[Path]:
    found = target.parent.glob(f".{target.name}.{kind}-*")
    return sorted((p for p in found if p.is_dir() and not p.is_symlink()), key=lambda p: p.stat().st_mtime_ns)


def recover(target: Path) -> None:
    """Put a previous export back if a swap was interrupted between its two renames, and finish
    an in-place commit a process did not finish (:func:`roll_forward`)."""
    if not target.parent.is_dir():
        return
    if not target.exists():
        leftovers = sorted(target.parent.glob(f".{target.name}.old-*"), key=lambda p: p.stat().st_mtime)
        if leftovers and is_export(leftovers[-1]):
            os.rename(leftovers[-1], target)
    for commit in _siblings(target, "commit"):
        if target.is_dir() and not target.is_symlink():
            roll_forward(commit, target)
        else:  # nothing to finish it into
            shutil.rmtree(commit, ignore_errors=True)


def _real_folder(target: Path, rel: str, made: set[str], *, create: bool = True) -> bool:
    """Make the folder ``rel`` under ``target`` (and the ones above it), refusing a symbolic link
    or a file on the way; ``made``: the folders known to be real folders. ``create=False``:
    whether the folder is there (nothing is made)."""
    if not rel or rel in made:
        return True
    if not _real_folder(target, os.path.dirname(rel), made, create=create):
        return False
    path = os.path.join(target, rel)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        if not create:
            return False
        os.mkdir(path)
    else:
        if not stat.S_ISDIR(st.st_mode):
            raise ExportError(_("{rel} is not a folder kizuna wrote; nothing more was written").format(rel=rel), path=target)
    made.add(rel)
    return True


def _prune(target: Path, rel: str) -> None:
    """Remove the folders above ``rel`` that are left empty (up to ``target``)."""
    parent = os.path.dirname(rel)
    while parent:
        try:
            os.rmdir(os.path.join(target, parent))
        except OSError:
            return
        parent = os.path.dirname(parent)


def _safe_rel(rel: Any) -> bool:
    pure = PurePosixPath(str(rel))
    return isinstance(rel, str) and bool(pure.parts) and not pure.is_absolute() and ".." not in pure.parts


def roll_forward(commit: Path, target: Path) -> list[str]:
    """Finish the in-place commit of ``commit`` into ``target`` (see the module docstring):
    remove the files its journal lists, rename every file it holds into the target, rename the
    manifest in last, remove the commit folder. Returns the files renamed in. Doing it again
    after an interruption finishes what is left."""
    try:
        remove = orjson.loads((commit / JOURNAL).read_bytes()).get("remove", [])
    except (OSError, ValueError, AttributeError):
        remove = []
    made: set[str] = set()
    for rel in remove:  # first: a file of the new export may take the place of a folder
        if _safe_rel(rel) and _real_folder(target, os.path.dirname(rel), made, create=False):
            path = target / rel
            if os.path.lexists(path) and not os.path.isdir(path):
                os.unlink(path)
                _prune(target, rel)
    made.clear()  # some were removed once empty
    files, _others = _scan(commit)
    moved = []
    for rel in sorted(files):
        if rel in (JOURNAL, MANIFEST):
            continue
        _real_folder(target, os.path.dirname(rel), made)
        os.replace(commit / rel, target / rel)
        moved.append(rel)
    if (commit / MANIFEST).is_file():
        os.replace(commit / MANIFEST, target / MANIFEST)
    shutil.rmtree(commit, ignore_errors=True)
    return moved


def commit(pending: Path, target: Path, remove: Iterable[str]) -> list[str]:
    """Install the files of ``pending`` into ``target`` in place (see the module docstring);
    ``remove``: the files of the previous export the new one does not have."""
    (pending / JOURNAL).write_bytes(orjson.dumps({"remove": sorted(remove)}))
    committed = pending.with_name(pending.name.replace(".pending-", ".commit-", 1))
    os.rename(pending, committed)  # the commit point
    return roll_forward(committed, target)


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
    """Staging, pending and old folders of ``target`` that no running export uses (call under
    the lock, after :func:`recover` finished any commit)."""
    found = [*target.parent.glob(f".{target.name}.staging-*"), *target.parent.glob(f".{target.name}.old-*"),
             *target.parent.glob(f".{target.name}.pending-*")]
    return sorted(p for p in found if p.is_dir() and not p.is_symlink())


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


@dataclass
class Writing:
    """An export being written (yielded by :func:`staged`)."""

    target: Path
    #: where the export's files go: the staging folder, or (in place) the pending folder
    folder: Path
    #: in place: the previous export in the target, verified (``None``: a staging folder)
    previous: Previous | None = None
    #: set by the runner: every file of the new export (the manifest's ``files``)
    files: Iterable[str] = ()
    #: set by the runner: the SHA-256 of the new manifest
    manifest_digest: str = ""
    #: staging: the stat of each file right after it was written (for :mod:`exports.statcache`)
    stats: dict[str, Stat] = field(default_factory=dict)

    @property
    def in_place(self) -> bool:
        return self.previous is not None


def _new_stats(writing: Writing, moved: list[str], removed: set[str]) -> tuple[dict[str, Stat], list[str] | None]:
    """The stat of every file of the new export — as the runner recorded it (staging), or as
    verified before (in place, a file not written again) or taken after its commit — and the
    files whose stat is new (``None``: all)."""
    if writing.previous is None:
        return writing.stats, None
    stats = writing.previous.present
    for rel in removed:
        stats.pop(rel, None)
    for rel in moved:
        stats[rel] = stat_of(os.lstat(writing.target / rel))
    return stats, [*moved, *writing.previous.hashed]


@contextmanager
def staged(target: Path, workspace: Path | None = None, *, in_place: bool = False) -> Iterator[Writing]:
    """A folder for a new export of ``target``, swapped in (or, ``in_place`` into a previous
    export, committed into it) only if the block succeeds. ``workspace``: the workspace exported,
    which the target may not be or hold, and where the stat cache is kept."""
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
        cache = statcache.load(workspace, target)
        previous = check_target(target, workspace, cache=cache)
        if exclusive:
            for folder in leftovers(target):
                shutil.rmtree(folder, ignore_errors=True)
        kind = "pending" if in_place and previous is not None else "staging"
        try:
            folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.{kind}-", dir=target.parent))
        except OSError as exc:
            raise ExportError(_("cannot write the export here: {strerror}").format(strerror=exc.strerror), path=target) from None
        folder.chmod(0o777 & ~_umask())  # mkdtemp makes it private; an export is shared
        writing = Writing(target, folder, previous if kind == "pending" else None)
        try:
            yield writing
            removed: set[str] = set()
            if writing.previous is not None:
                removed = writing.previous.present.keys() - set(writing.files)
                moved = commit(folder, target, removed)
            else:
                swap(folder, target)
                moved = []
            statcache.save(workspace, target, writing.manifest_digest, *_new_stats(writing, moved, removed))
        finally:
            if folder.exists():
                shutil.rmtree(folder, ignore_errors=True)
