"""A local cache of loaded message and town files, so loading a national workspace (2,700 YAML
files) reads only the files that changed.

:func:`cached_loader` gives ``load_workspace`` a function that returns the validated object of a
file (a :class:`~catalog.messages.Message` or :class:`~catalog.towns.Town`) from
``<workspace>/.kizuna/cache/files.pickle`` when the file's size, modification time (ns), change
time and inode are those recorded, and otherwise parses and validates it as before. The cache is
local state (never committed, safe to delete), keyed also by the kizuna version and a fingerprint
of its installed code, and by the settings validation depends on (the source locale). A file that
fails validation is never cached: its error is raised on every load. Loading writes nothing;
every command that ran to the end (exit 0 or 1; :func:`kizuna.app.handle_errors`) brings the
caches of what it loaded up to date (:func:`save_pending`), and one that refused its input
writes none (:func:`forget_pending`).
"""
from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

CACHE_DIR = Path(".kizuna") / "cache"
CACHE_FILE = "files.pickle"
CACHE_FORMAT = 1


def code_fingerprint() -> str:
    """The kizuna version and the size and modification time of every module of the catalog
    package (what turns a file into an object)."""
    from kizuna import __version__

    here = Path(__file__).parent
    h = hashlib.sha256(__version__.encode())
    for path in sorted(here.glob("*.py")):
        st = path.stat()
        h.update(f"{path.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()


def file_stamp(path: Path) -> tuple[int, int, int, int] | None:
    """Size, modification and change time (ns) and inode of ``path`` (``None``: it is gone): a
    file with the same stamp is taken as unchanged, the way git's index does."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def save_pickle(root: Path, relative: Path, payload: Any) -> None:
    """Pickle ``payload`` into ``root / relative`` (a local cache file under ``.kizuna/``): the
    path checked to lie inside the workspace, written atomically (a reader never sees half)."""
    from kizuna.catalog.safepaths import write_target
    from kizuna.catalog.yamlio import write_atomic

    root = Path(root)
    write_atomic(write_target(root, root / relative), pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))


@dataclass
class FileCache:
    """Validated objects of a workspace's files, by relative path, for one load."""

    root: Path
    key: str
    entries: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    used: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    changed: bool = False

    def load(self, path: Path, kind: str, make: Callable[[], Any]) -> Any:
        """The object of ``path`` (``kind``: message or town), from the cache when the file is
        unchanged, else ``make()``'s (remembered)."""
        name = f"{kind}:{path.relative_to(self.root)}"
        stamp = file_stamp(path)
        hit = self.entries.get(name)
        if hit is not None and stamp is not None and hit[0] == stamp:
            self.used[name] = hit
            return hit[1]
        obj = make()
        if stamp is not None and stamp == file_stamp(path):
            self.used[name] = (stamp, obj)
        self.changed = True
        return obj

    def save(self) -> None:
        """Write the cache back when a file was read afresh (atomically; a failure to write a
        cache is not an error of the load)."""
        if not self.changed and len(self.used) == len(self.entries):
            return
        if not (self.root / ".kizuna").is_dir():
            return  # only where kizuna already keeps local state (a workspace it has run in)
        try:
            save_pickle(self.root, CACHE_DIR / CACHE_FILE,
                        {"format": CACHE_FORMAT, "key": self.key, "entries": self.used})
        except Exception:  # noqa: BLE001 - a read-only workspace still loads
            return


#: the local caches of each workspace waiting to be written by a command that ran to the end
_PENDING: dict[Path, dict[str, Any]] = {}


def remember_pending(root: Path, name: str, cache: Any) -> None:
    """Keep ``cache`` (anything with ``save()``; ``name`` says which) of the workspace at ``root``
    until a command saves it with :func:`save_loader`."""
    _PENDING.setdefault(Path(root).resolve(), {})[name] = cache


def remember_loader(root: Path, cache: FileCache) -> None:
    """Keep the file cache of the last load of ``root`` until a command saves it (loading itself
    writes nothing: a command refusing bad input leaves the workspace as it was)."""
    remember_pending(root, "files", cache)


def save_pending() -> None:
    """:func:`save_loader` for every workspace this process loaded (a command ran to the end)."""
    for root in list(_PENDING):
        save_loader(root)


def forget_pending() -> None:
    """Drop the caches waiting to be written (a command refused its input: it writes nothing)."""
    _PENDING.clear()


def save_loader(root: Path) -> None:
    """Write the local caches of ``root`` kept since the last save: the file cache of its last
    load and any other (the sign-off memo, :mod:`review.statusmemo`) — a command that ran to the end."""
    for cache in _PENDING.pop(Path(root).resolve(), {}).values():
        cache.save()


def cached_loader(root: Path, source_locale: str) -> FileCache:
    """The file cache of the workspace at ``root`` (empty when missing, foreign or outdated)."""
    root = Path(root)
    key = hashlib.sha256(f"{CACHE_FORMAT}:{code_fingerprint()}:{source_locale}".encode()).hexdigest()
    cache = FileCache(root, key)
    if not (root / ".kizuna").is_dir():
        return cache  # only where kizuna already keeps local state (a workspace it has run in)
    try:
        with open(root / CACHE_DIR / CACHE_FILE, "rb") as handle:
            data = pickle.load(handle)
        if isinstance(data, dict) and data.get("format") == CACHE_FORMAT and data.get("key") == key:
            cache.entries = data["entries"]
    except Exception:  # noqa: BLE001 - a missing or broken cache is an empty one
        pass
    return cache
