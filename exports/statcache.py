"""The stat cache of an export folder: which files kizuna can trust without reading them again.

Checking that a previous export is the one its manifest lists (:func:`exports.atomic.ownership_problem`)
would read and hash every file (430,000 on the national workspace, most of a re-export's time).
Like git's index, kizuna instead records, right after it wrote or verified a file, its inode,
size, modification time and change time (ns), with the SHA-256 of the manifest the file belongs
to and the moment the record was made; the next export trusts a file whose ``lstat`` gives the
same four numbers, and hashes every other file as before:

* an edit by hand changes the change time (``ctime``), which no user tool can set back, even if
  the size and the modification time are restored (``touch -r``, ``os.utime``); a replacement
  changes the inode;
* git's "racy" rule: a file whose modification or change time is not strictly older than the
  moment of the record (read from the clock of the export's own file system, with a file made
  there after the stats were taken) could have been changed again within the same clock tick,
  so it is not trusted: it is hashed by the next export;
* the records count only for the manifest they were made with (its SHA-256): another export
  into the folder, or an edited manifest, makes every file hashed again.

The cache is local state: ``<workspace>/.kizuna/cache/exports/<digest of the folder's path>.pickle``
(written only where kizuna keeps local state), never committed, safe to delete (the next export
hashes every file once), and ignored when it is unreadable or of another format.
"""
from __future__ import annotations

import hashlib
import marshal
import os
import pickle
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from kizuna.catalog.loadcache import CACHE_DIR, save_pickle

CACHE_FORMAT = "kizuna-export-stats-v1"
#: inode, size, modification time (ns), change time (ns)
Stat = tuple[int, int, int, int]


def stat_of(st: os.stat_result) -> Stat:
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


@dataclass
class StatCache:
    """The records of one export folder (see the module docstring)."""

    #: SHA-256 of the manifest the records were made with
    manifest: str = ""
    #: the device of the folder (inodes are per device)
    device: int = -1
    stats: dict[str, Stat] = field(default_factory=dict)

    def trusted(self, manifest_digest: str, device: int) -> Mapping[str, Stat]:
        """The records valid for a folder whose manifest has this digest (else none)."""
        return self.stats if manifest_digest == self.manifest and device == self.device else {}


def cache_path(folder: Path) -> Path:
    """The cache file of an export folder, relative to the workspace."""
    key = hashlib.sha256(os.fsencode(os.path.normpath(Path(folder).absolute()))).hexdigest()[:24]
    return CACHE_DIR / "exports" / f"{key}.pickle"


def load(root: Path | None, folder: Path) -> StatCache:
    """The stat cache of ``folder`` kept in the workspace at ``root`` (empty when there is none,
    or it cannot be read)."""
    if root is None:
        return StatCache()
    try:
        with open(Path(root) / cache_path(folder), "rb") as handle:
            data = pickle.load(handle)
        if isinstance(data, dict) and data.get("format") == CACHE_FORMAT:
            return StatCache(str(data["manifest"]), int(data["device"]), marshal.loads(data["stats"]))
    except Exception:  # noqa: BLE001 - a missing or broken cache is an empty one
        pass
    return StatCache()


def file_system_now(folder: Path) -> int:
    """The current time of the file system holding ``folder`` (ns): the modification time of a
    file made there now (file times come from the kernel's coarse clock, not ``time.time``)."""
    fd, name = tempfile.mkstemp(prefix=".kizuna-clock-", dir=folder)
    try:
        return os.fstat(fd).st_mtime_ns
    finally:
        os.close(fd)
        os.unlink(name)


def not_racy(stats: dict[str, Stat], moment: int, recent: Iterable[str] | None = None) -> dict[str, Stat]:
    """``stats`` without the records whose modification or change time is not strictly older
    than ``moment`` (``recent``: the only records that can be that new; ``None``: any)."""
    if recent is None:
        return {rel: st for rel, st in stats.items() if st[2] < moment and st[3] < moment}
    for rel in recent:
        st = stats.get(rel)
        if st is not None and not (st[2] < moment and st[3] < moment):
            del stats[rel]
    return stats


def save(root: Path | None, folder: Path, manifest_digest: str, stats: dict[str, Stat],
         recent: Iterable[str] | None = None) -> None:
    """Record ``stats`` (taken before this call) as the files of the manifest with this digest
    (``recent``: the records taken since the last save, the others being older than it);
    nothing is written where the workspace keeps no local state, and a failure to write the
    cache is not an error of the export (the next one hashes the files instead)."""
    if root is None or not (Path(root) / ".kizuna").is_dir():
        return
    try:
        folder = Path(folder)
        moment = file_system_now(folder.parent)
        device = os.stat(folder).st_dev
        save_pickle(Path(root), cache_path(folder), {
            "format": CACHE_FORMAT, "manifest": manifest_digest, "device": device,
            "stats": marshal.dumps(not_racy(stats, moment, recent))})
    except Exception:  # noqa: BLE001 - a read-only workspace still exports
        return


__all__ = ["CACHE_FORMAT", "Stat", "StatCache", "cache_path", "file_system_now", "load", "not_racy", "save",
           "stat_of"]
