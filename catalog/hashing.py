"""Content hashes with a documented, stable definition.

Sign-off binds an approval to a hash, and translations record the hash of the source text they
were made from, so these definitions are part of the workspace format and never change silently
(a new definition gets a new prefix).

* ``text_hash(text)`` — the text normalised (Unicode NFC, line endings ``\\n``, trailing
  whitespace of every line and of the whole text removed), encoded as UTF-8, hashed with
  SHA-256; the first 16 hex digits. Used for ``source_hash`` of translations.
* ``content_hash(stage, locale, text)`` — SHA-256 over the UTF-8 bytes of
  ``"kizuna-content-v1\\n" + stage + "\\n" + locale + "\\n" + normalised text``; the first 16 hex
  digits. It changes when the text *or the stage* of that locale changes, which is what makes an
  approval stale.
"""
from __future__ import annotations

import hashlib
import unicodedata

CONTENT_HASH_VERSION = "kizuna-content-v1"
HASH_DIGITS = 16


def normalise_text(text: str) -> str:
    """NFC, ``\\n`` line endings, no trailing spaces on lines or at the end."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def _digest(payload: str) -> str:
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:HASH_DIGITS]


def text_hash(text: str) -> str:
    return _digest(normalise_text(text))


def content_hash(stage: str, locale: str, text: str) -> str:
    return _digest(f"{CONTENT_HASH_VERSION}\n{stage}\n{locale}\n{normalise_text(text)}")
