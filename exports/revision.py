"""The catalog revision an export was made from.

``git:<commit>`` when the workspace is a git work tree with nothing changed or untracked
(``git status --porcelain`` empty), otherwise ``sha256:<digest>`` of its content: SHA-256 over
the sorted list of (workspace-relative path, SHA-256 of the file) of every file. Both leave out
exports themselves — any folder holding a kizuna export manifest, the staging and old folders
of an export in progress, and the folders given as ``exclude`` — and the workspace's derived
folder ``out/`` (review packets, notebooks and workbooks generated from the workspace: what
``.gitignore`` of a new workspace ignores); the digest also leaves out ``.git`` and caches.
The same workspace content always gives the same revision, whatever views were generated.
"""
from __future__ import annotations

import hashlib
import os
import re
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from kizuna.catalog.lock import LOCAL_DIR
from kizuna.exports.atomic import is_export

SKIP_DIRS = {".git", "__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".hypothesis"}
#: the workspace's folder of derived files (catalog.workspace.GITIGNORE), at its top level
DERIVED_DIR = "out"
_TRANSIENT = re.compile(r"^\..+\.(staging|old|pending|commit)-")


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout


class _OutputFolders:
    """Tells whether a path lies in an export folder (under ``root``), with a cache."""

    def __init__(self, root: Path, exclude: Iterable[Path]) -> None:
        self.root = root.resolve()
        self.exclude = {Path(p).resolve() for p in exclude} | {self.root / DERIVED_DIR, self.root / LOCAL_DIR}
        self.is_output_dir = lru_cache(maxsize=None)(self._is_output_dir)

    def _is_output_dir(self, folder: Path) -> bool:
        return folder in self.exclude or bool(_TRANSIENT.match(folder.name)) or is_export(folder)

    def contains(self, path: Path) -> bool:
        path = path.resolve() if not path.is_absolute() else path
        for folder in path.parents:
            if folder == self.root or self.root not in folder.parents:
                return False
            if self.is_output_dir(folder):
                return True
        return False


def git_revision(root: Path, exclude: Iterable[Path] = ()) -> str | None:
    """The HEAD commit when the work tree under ``root`` is clean, else ``None``."""
    head = _git(root, "rev-parse", "--verify", "-q", "HEAD")
    top = _git(root, "rev-parse", "--show-toplevel")
    if not head or not top:
        return None
    status = _git(root, "status", "--porcelain", "-z", "--untracked-files=all", "--", ".")
    if status is None:
        return None
    outputs = _OutputFolders(root, exclude)
    toplevel = Path(top.strip())
    for record in status.split("\0"):
        if len(record) > 3 and not outputs.contains(toplevel / record[3:]):
            return None
    return head.strip()


def content_digest(root: Path, exclude: Iterable[Path] = ()) -> str:
    """SHA-256 of the workspace's files (see the module docstring)."""
    root = root.resolve()
    outputs = _OutputFolders(root, exclude)
    entries: list[tuple[str, str]] = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not outputs.is_output_dir(here / d))
        for name in files:
            path = here / name
            if path.is_symlink():
                continue
            entries.append((path.relative_to(root).as_posix(), hashlib.sha256(path.read_bytes()).hexdigest()))
    digest = hashlib.sha256()
    for rel, file_hash in sorted(entries):
        digest.update(f"{rel}\0{file_hash}\n".encode("utf-8"))
    return digest.hexdigest()


def catalog_revision(root: Path, exclude: Iterable[Path] = ()) -> str:
    """``git:<commit>`` or ``sha256:<digest>`` (see the module docstring)."""
    exclude = list(exclude)
    commit = git_revision(root, exclude)
    return f"git:{commit}" if commit else f"sha256:{content_digest(root, exclude)}"
