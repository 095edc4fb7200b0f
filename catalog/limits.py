"""Every size limit kizuna holds its inputs to, in one place, and the shortening of values
quoted in error messages.

A workspace is written by people and by tools: a file that is far larger, deeper or longer than
any real one is refused with a named error *before* the expensive work (parsing a whole
workbook, expanding YAML, morphological analysis, rendering), so a small hostile or broken file
can never take minutes, gigabytes or a crash. Each limit is far above what a real catalog needs
(the national catalog has about 1,500 texts of a few hundred characters each) and is documented
for users in ``docs/limits.md``.

Error messages never quote a value whole: :func:`shorten` cuts it to a few dozen characters.
"""
from __future__ import annotations

from typing import Any

from kizuna.catalog.errors import KizunaError
from kizuna.catalog.i18n import N_, _

# --- texts ------------------------------------------------------------------------------------
#: Longest text field of a workspace file (a message text, a town block, a note, a comment), in
#: characters. A LINE message carries at most 5,000; twice that leaves room for drafts.
MAX_TEXT_CHARS = 10_000
#: Longest sentence handed to morphological analysis (MeCab through fugashi), in characters.
#: MeCab crashes the process (segmentation fault) on a sentence of about a million characters;
#: a text within :data:`MAX_TEXT_CHARS` never reaches this.
MAX_SENTENCE_CHARS = MAX_TEXT_CHARS

# --- workspace YAML files ---------------------------------------------------------------------
#: Largest YAML file of a workspace (kizuna.yaml, a message, a town, the roster, milestones, a
#: suggestions file), in bytes. The largest sample file is about 4 KB.
MAX_YAML_FILE_BYTES = 2 * 1024 * 1024
#: Deepest nesting of mappings and lists in a workspace YAML file (the deepest real one is 5).
MAX_YAML_DEPTH = 20
#: Most digits of a whole number in a workspace YAML file (a year, a month, a version: 4 do).
MAX_INT_DIGITS = 18

# --- workbooks (.xlsx) ------------------------------------------------------------------------
#: Largest workbook file, in bytes.
MAX_WORKBOOK_BYTES = 50 * 1024 * 1024
#: Largest total size of a workbook's parts once unzipped, in bytes (a zip can hide a
#: gigabyte of repeated text in a few kilobytes).
MAX_WORKBOOK_UNZIPPED_BYTES = 200 * 1024 * 1024
#: Most rows of a sheet (Excel allows 1,048,576; a review workbook of the whole national
#: catalog in three locales has about 5,000).
MAX_WORKBOOK_ROWS = 50_000
#: Most columns of a sheet (kizuna's sheets have fewer than 20).
MAX_WORKBOOK_COLUMNS = 100
#: Longest cell, in characters: a cell becomes a text or a comment.
MAX_CELL_CHARS = MAX_TEXT_CHARS

# --- notebooks (.ipynb) -----------------------------------------------------------------------
#: Largest notebook file, in bytes.
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
#: Deepest nesting of JSON objects and arrays in a notebook (nbformat needs 5 or 6).
MAX_JSON_DEPTH = 64

# --- decisions log ----------------------------------------------------------------------------
#: Longest line of ``decisions.jsonl``, in bytes: an entry holds a text and a comment, each
#: within :data:`MAX_TEXT_CHARS` (at most 4 bytes per character in UTF-8), and some fields.
MAX_LOG_LINE_BYTES = 128 * 1024

# --- templates --------------------------------------------------------------------------------
#: Most characters one rendered template may produce.
MAX_TEMPLATE_OUTPUT_CHARS = 50_000
#: Most loop iterations (all loops together) while rendering one template.
MAX_TEMPLATE_LOOP_ITERATIONS = 10_000
#: Longest time one template may take to render, in seconds.
MAX_TEMPLATE_SECONDS = 2.0
#: Longest string a template may build with ``*``, a format or a padding filter.
MAX_TEMPLATE_PRODUCT = 10_000

# --- error messages ---------------------------------------------------------------------------
#: Longest quotation of a value in an error message, in characters.
MAX_QUOTED_CHARS = 60


class LimitError(KizunaError):
    """An input over one of the limits above; the message names the limit and what to do."""


def shorten(value: Any, limit: int = MAX_QUOTED_CHARS) -> str:
    """A short, printable quotation of ``value`` for an error message: ``str()`` of text, a
    short ``repr()`` of anything else, cut in the middle with its full length when too long,
    control characters and lone surrogates escaped. Never builds the repr of a huge value."""
    if isinstance(value, str):
        text, quote = value, True
    elif isinstance(value, (bytes, bytearray)):
        text, quote = bytes(value[: limit * 4]).decode("utf-8", "replace"), True
        if len(value) > limit * 4:
            text += "…"
    elif isinstance(value, (list, tuple, dict, set, frozenset)):
        return f"<{type(value).__name__} of {len(value)} item(s)>"
    elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"<a number of about {int(value.bit_length() * 0.30103) + 1} digits>"
    else:
        text, quote = repr(value), False
    length = len(text)
    if length > limit:
        half = max(limit // 2 - 2, 1)
        text = f"{text[:half]}…{text[-half:]}"
    text = "".join(_printable(c) for c in text)
    shown = f"'{text}'" if quote else text
    return f"{shown} ({length:,} characters)" if length > limit else shown


def clip(message: str, limit: int = 300) -> str:
    """A message from elsewhere (a library's error) cut to ``limit`` characters, unquoted."""
    if len(message) <= limit:
        return message
    half = limit // 2 - 2
    return f"{message[:half]} … {message[-half:]}"


def _printable(char: str) -> str:
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF or code < 0x20 or code == 0x7F:
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return char


def lone_surrogate(text: str) -> int | None:
    """Offset of the first lone surrogate in ``text`` (a code point no UTF-8 file can hold,
    which JSON's ``\\ud800`` escape can smuggle in), or ``None``."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None


def check_text_length(text: str, *, what: str = N_("the text"), limit: int = MAX_TEXT_CHARS) -> str | None:
    """A sentence saying ``text`` is over ``limit`` characters, or ``None`` when it fits."""
    if len(text) <= limit:
        return None
    return (_("{what} is {count:,} characters long, over the limit of {limit:,} "
            "({text}); shorten or split it").format(what=_(what), count=len(text), limit=limit, text=shorten(text, 30)))
