"""The workspace's seal key: the secret that makes a workbook's seals unforgeable by its holder.

A workbook carries, in hidden cells, a seal of every locked cell and of its settings. Anyone can
recompute a plain hash, so the seals are HMAC-SHA256 codes keyed with a per-workspace secret that
never leaves the machine in a workbook or a notebook: ``.kizuna/seal.key`` in the workspace (local
state, ignored by git; made on first use with mode 0600), or the environment variable
``KIZUNA_SEAL_KEY``, which takes precedence. A second clone that imports workbooks made by the
first needs the same key: copy ``.kizuna/seal.key`` across (it is a line of hex digits), or set
``KIZUNA_SEAL_KEY`` to its content on both. Without the key an import refuses every sealed row
(nothing is applied) and says so; a new key only means new workbooks must be made.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from kizuna.catalog.errors import KizunaError
from kizuna.catalog.lock import LOCAL_DIR
from kizuna.catalog.i18n import _

KEY_FILE = "seal.key"
KEY_ENV = "KIZUNA_SEAL_KEY"


class SealKeyError(KizunaError):
    """The seal key is missing, unreadable or not where kizuna keeps it."""


def key_path(root: Path) -> Path:
    return Path(root) / LOCAL_DIR / KEY_FILE


def _decode(text: str) -> bytes:
    text = text.strip()
    if not text:
        raise ValueError("empty")
    return text.encode("utf-8")


def read_key(root: Path) -> bytes | None:
    """The key from ``KIZUNA_SEAL_KEY`` or ``.kizuna/seal.key``; ``None`` when there is none."""
    env = os.environ.get(KEY_ENV)
    if env is not None and env.strip():
        return _decode(env)
    path = key_path(root)
    if path.is_symlink():
        raise SealKeyError(_("is a symbolic link; kizuna reads its seal key only from a real file"), path=path)
    try:
        return _decode(path.read_text(encoding="ascii"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, ValueError):
        raise SealKeyError(_("cannot be read as a seal key (a line of hex digits); restore it from the "
                           "workspace where the workbooks were made, or set {KEY_ENV}").format(KEY_ENV=KEY_ENV), path=path) from None


def seal_key(root: Path) -> bytes:
    """The key, made (32 random bytes, hex, mode 0600) when the workspace has none yet.
    Call while holding the workspace lock: making it is a write."""
    found = read_key(root)
    if found is not None:
        return found
    path = key_path(root)
    folder = path.parent
    if folder.is_symlink():
        raise SealKeyError(_("is a symbolic link; kizuna keeps its local state only in a real folder"), path=folder)
    folder.mkdir(exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# local state of kizuna: never commit (see docs/authoring.md)\n*\n", encoding="utf-8")
    text = secrets.token_hex(32) + "\n"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:
        return seal_key(root)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text)
    return _decode(text)


def mac(key: bytes, *parts: str, size: int = 32) -> str:
    """HMAC-SHA256 of ``parts`` (length-prefixed, so no two lists of parts give the same input),
    as ``size`` hex digits."""
    message = b"".join(len(p.encode("utf-8")).to_bytes(4, "big") + p.encode("utf-8") for p in parts)
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:size]


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
