"""Paths for writing: a path built from data must lie inside the folder it is meant for, with no symlink.

Names read from files (message ids, town codes, locales, stages) are validated against their grammar
where they are parsed; this module is the second wall: before any write, :func:`write_target` resolves
the path and refuses one that leaves ``root`` or passes through a symbolic link inside it.
:func:`output_target` checks a file a person named with ``--out``: inside the workspace as
:func:`write_target` does; elsewhere the file itself may not be a symbolic link. Both refuse a path
under a file or in a folder that cannot be written, by name, before anything is written.
"""
from __future__ import annotations

import os
from pathlib import Path

from kizuna.catalog.errors import KizunaError
from kizuna.catalog.i18n import _


class UnsafePathError(KizunaError):
    """A write that would land outside its folder, or through a symbolic link."""


def write_target(root: Path, path: Path) -> Path:
    """Return ``path`` (absolute) when it lies inside ``root`` and no part of it below ``root`` is a symlink."""
    base = Path(root).resolve()
    given = Path(path) if Path(path).is_absolute() else base / path
    if ".." in given.parts:
        raise UnsafePathError(_("refused to write outside {base} ('..' in the path)").format(base=base), path=path)
    relative = None
    for start in (Path(root).absolute(), base):
        try:
            relative = given.relative_to(start)
            break
        except ValueError:
            continue
    if relative is None or relative.parts == ():
        raise UnsafePathError(_("refused to write outside {base}").format(base=base), path=path)
    current = base
    for part in relative.parts:
        current = current / part
        if current.is_symlink():
            raise UnsafePathError(_("refused to write through the symbolic link {current}").format(current=current), path=path)
    check_writable_folder(current)
    return current


def check_folder_files(root: Path, folder: Path, suffix: str = ".yaml") -> None:
    """:func:`write_target` for ``folder`` and every ``*suffix`` file in it, in one pass over the
    folder (a national workspace has thousands of message files): the folder lies inside
    ``root`` with no symbolic link on the way, none of its files is a symbolic link, and it can
    be written when it holds any."""
    target = write_target(root, folder)
    found = False
    with os.scandir(target) as entries:
        for entry in entries:
            if not entry.name.endswith(suffix) or entry.name.startswith("."):
                continue
            found = True
            if entry.is_symlink():
                link = target / entry.name
                raise UnsafePathError(_("refused to write through the symbolic link {current}").format(current=link),
                                      path=link)
    if found and not os.access(target, os.W_OK | os.X_OK):
        raise UnsafePathError(_("cannot write here: the folder {ancestor} is not writable").format(ancestor=target),
                              path=target)


def is_inside(root: Path, path: Path) -> bool:
    """True when ``path`` is ``root`` or below it, as written or once symbolic links are resolved."""
    given = Path(path).absolute()
    for start in (Path(root).absolute(), Path(root).resolve()):
        if given == start or start in given.parents:
            return True
    try:
        return Path(root).resolve() in given.resolve().parents
    except OSError:
        return False


def output_target(root: Path, path: Path) -> Path:
    """A file a person named with ``--out``: inside the workspace at ``root`` it is checked as
    :func:`write_target` checks (no symlink below the workspace); elsewhere it is theirs to choose,
    but the file itself must not be a symbolic link (kizuna writes a new file, never through a link)."""
    path = Path(os.path.normpath(Path(path).absolute()))
    if is_inside(root, path):
        return write_target(root, path)
    if path.is_symlink():
        raise UnsafePathError(_("refused to write through the symbolic link {path}").format(path=path), path=path)
    check_writable_folder(path)
    return path


def check_writable_folder(path: Path) -> None:
    """Refuse ``path`` when the nearest existing folder above it is a file or cannot be written
    (a named error instead of a traceback halfway through a command)."""
    ancestor = Path(path).absolute().parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise UnsafePathError(_("cannot write here: {ancestor} is a file, not a folder").format(ancestor=ancestor), path=path)
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise UnsafePathError(_("cannot write here: the folder {ancestor} is not writable").format(ancestor=ancestor), path=path)
