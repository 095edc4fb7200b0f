"""The one workspace lock: every command that writes a workspace holds it while it reads, merges and writes.

The lock is an advisory ``flock`` on ``.kizuna/lock`` inside the workspace (the folder of local, never
committed state). A second writer prints who holds it ("another kizuna command is writing this
workspace: pid …") and waits; after ``timeout`` seconds it gives up with a :class:`LockError`. The lock
is re-entrant within one process, so a command may call helpers that take it again. The operating
system releases it when the holder exits, even on a crash, so a stale lock never blocks anyone.
The holder removes the file as it finishes (and ``.kizuna/`` if it made it and it stayed empty), so a
command that changed nothing leaves the folder as it found it; a waiter that then holds the lock of a
removed file opens the new one and waits again.
"""
from __future__ import annotations

import fcntl
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from kizuna.catalog.errors import KizunaError
from kizuna.catalog.i18n import _

LOCAL_DIR = ".kizuna"
LOCK_FILE = "lock"
DEFAULT_TIMEOUT = 120.0
TIMEOUT_ENV = "KIZUNA_LOCK_TIMEOUT"


class LockError(KizunaError):
    """Another kizuna command kept the workspace lock for longer than we could wait."""


_held: dict[Path, int] = {}
_guard = threading.RLock()


def lock_path(root: Path) -> Path:
    """Where the lock file of the workspace at ``root`` lives."""
    return Path(root).resolve() / LOCAL_DIR / LOCK_FILE


def _timeout(timeout: float | None) -> float:
    if timeout is not None:
        return timeout
    try:
        return float(os.environ.get(TIMEOUT_ENV, DEFAULT_TIMEOUT))
    except ValueError:
        return DEFAULT_TIMEOUT


def _holder(fd: int) -> str:
    try:
        return os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown"
    except OSError:
        return "unknown"


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@contextmanager
def workspace_lock(root: Path, command: str = "kizuna", *, timeout: float | None = None,
                   notify: Callable[[str], None] = _say) -> Iterator[None]:
    """Hold the workspace's write lock for the ``with`` body; wait (and say so) while another holds it."""
    key = Path(root).resolve()
    with _guard:
        nested = key in _held
        if nested:
            _held[key] += 1
    if nested:
        try:
            yield
        finally:
            with _guard:
                _held[key] -= 1
        return
    path = lock_path(key)
    limit = _timeout(timeout)
    deadline = time.monotonic() + limit
    told = False
    while True:
        fd, made_dir = _open_lock(path)
        try:
            told = _wait(fd, key, command, limit, deadline, told, notify)
        except BaseException:
            os.close(fd)
            raise
        if _same_file(fd, path):
            break
        # the holder before us removed the file as it finished: lock the file that is there now
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} ({command})".encode(), 0)
        with _guard:
            _held[key] = 1
        try:
            yield
        finally:
            with _guard:
                del _held[key]
            _remove(path, made_dir)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _open_lock(path: Path) -> tuple[int, bool]:
    """Open (creating) the lock file; returns its descriptor and whether ``.kizuna/`` was made now."""
    while True:
        if path.parent.is_symlink() or path.is_symlink():
            raise LockError(_("is a symbolic link; kizuna keeps its lock only in a real folder"), path=path)
        try:
            os.mkdir(path.parent)
            made_dir = True
        except FileExistsError:
            made_dir = False
        except OSError as exc:
            raise LockError(_("cannot take the workspace lock: {strerror}").format(strerror=exc.strerror), path=path) from None
        try:
            return os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644), made_dir
        except FileNotFoundError:  # another command removed an empty .kizuna/ just now: again
            continue
        except OSError as exc:
            raise LockError(_("cannot take the workspace lock: {strerror}").format(strerror=exc.strerror), path=path) from None


def _wait(fd: int, key: Path, command: str, limit: float, deadline: float, told: bool,
          notify: Callable[[str], None]) -> bool:
    """Block until ``fd`` is locked (saying once who holds it); ``LockError`` after the deadline."""
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return told
        except BlockingIOError:
            holder = _holder(fd)
            if not told:
                notify(f"another kizuna command is writing this workspace: {holder}; waiting "
                       f"(up to {limit:g} s)")
                told = True
            if time.monotonic() >= deadline:
                raise LockError(_("another kizuna command is still writing this workspace ({holder}) "
                                "after {limit:g} s; run again when it has finished "
                                "(or raise {TIMEOUT_ENV})").format(holder=holder, limit=limit, TIMEOUT_ENV=TIMEOUT_ENV), path=key) from None
            time.sleep(0.02)


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.fstat(fd).st_ino == os.stat(path, follow_symlinks=False).st_ino
    except FileNotFoundError:
        return False


def _remove(path: Path, made_dir: bool) -> None:
    """Remove the lock file (still holding it), and ``.kizuna/`` when this command made it and it
    stayed empty, so a command leaves no trace in a workspace it did not change."""
    path.unlink(missing_ok=True)
    if made_dir:
        try:
            path.parent.rmdir()
        except OSError:
            pass


def holds_lock(root: Path) -> bool:
    """True when this process holds the lock of the workspace at ``root`` (for assertions in writers)."""
    with _guard:
        return Path(root).resolve() in _held
