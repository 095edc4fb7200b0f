"""Channel rules: what LINE, SMS and e-mail can carry, as small pure functions.

The limits and character tables are shared with the checks (:mod:`catalog.channels`); this
module adds what an export needs on top: splitting into LINE messages and SMS parts, replacing
for ISO-2022-JP (or refusing, naming the place), and the per-channel text of an entry.

* **LINE** (Messaging API): a text message holds at most 5,000 characters counted in UTF-16 code
  units (an emoji outside the BMP counts 2); a push carries 1–5 messages. A longer text is split
  at paragraph breaks, then line breaks, then anywhere between characters; more than 5 messages
  is an error.
* **SMS**: a text that fits the GSM 7-bit alphabet is sent as GSM-7 (160 septets alone, 153 per
  part; characters of the extension table count 2); anything else — every Japanese text — is
  UCS-2: 70 UTF-16 code units alone, 67 per part. At most 10 parts (670 UCS-2 characters).
  Parts never split a surrogate pair or an escape pair.
* **E-mail** in ISO-2022-JP (as many Japanese mobile carriers want) carries only JIS X 0208.
  Characters outside it are replaced by this documented rule, and the text is refused when
  something still cannot be carried:

  1. the usual Windows/JIS look-alikes are mapped to their JIS form: ～→〜, －→−, —→―, ∥→‖;
  2. circled numbers ①–⑳ become (1)–(20);
  3. anything else is replaced by its Unicode NFKC form when that can be carried
     (半角カナ ｶﾞ→ガ, ㈱→(株), №→No, ㍻→平成, Ⅰ→I);
  4. what remains (髙, 﨑, emoji, ...) is an error naming town, message, the character and its
     line and column: replace it in the text, or set the town's ``email_encoding: utf-8``.

  Every replacement made is listed in the canonical JSON (``channels.email.replacements``).
"""
from __future__ import annotations

from functools import lru_cache
from typing import Callable

from kizuna.catalog.channels import (GSM_EXTENDED, LINE_MAX_UNITS, SMS_LIMITS, SMS_MAX_PARTS,
                              jis_encodable, jis_replacement, sms_size, utf16_units)
from kizuna.exports.errors import ChannelError
from kizuna.exports.model import ChannelText, Entry, TownCatalog
from kizuna.catalog.i18n import _

LINE_MAX_MESSAGES = 5
ISO_2022_JP = "iso-2022-jp"


# --- counting and splitting ------------------------------------------------------------------

def _char_units(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def _septets(ch: str) -> int:
    return 2 if ch in GSM_EXTENDED else 1


def hard_split(text: str, limit: int, cost: Callable[[str], int] = _char_units) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` units without breaking a character."""
    if cost is _char_units and len(text) == utf16_units(text) or \
            cost is _septets and not GSM_EXTENDED & set(text):  # one unit a character: slices
        return [text[i:i + limit] for i in range(0, len(text), limit)]
    pieces: list[str] = []
    current: list[str] = []
    used = 0
    for ch in text:
        c = cost(ch)
        if used + c > limit and current:
            pieces.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += c
    if current:
        pieces.append("".join(current))
    return pieces


def split_at_breaks(text: str, limit: int, seps: tuple[str, ...] = ("\n\n", "\n")) -> list[str]:
    """Pack ``text`` into pieces of at most ``limit`` UTF-16 units, breaking at the first kind
    of separator that works (paragraphs, then lines, then anywhere)."""
    if utf16_units(text) <= limit:
        return [text]
    if not seps:
        return hard_split(text, limit)
    sep, rest = seps[0], seps[1:]
    chunks: list[str] = []
    current = ""
    for piece in text.split(sep):
        for part in split_at_breaks(piece, limit, rest):
            candidate = current + sep + part if current else part
            if utf16_units(candidate) <= limit:
                current = candidate
                continue
            if current:
                chunks.append(current)
            current = part
    if current:
        chunks.append(current)
    return chunks


# --- LINE ---------------------------------------------------------------------------------------

def line_messages(text: str, *, where: str = "") -> list[str]:
    """The text messages of one LINE push (1–5 messages of ≤5,000 UTF-16 units each)."""
    chunks = split_at_breaks(text, LINE_MAX_UNITS)
    if len(chunks) > LINE_MAX_MESSAGES:
        raise ChannelError(
            _("the text is {utf16_units} UTF-16 units; a LINE push carries at most "
            "{LINE_MAX_MESSAGES} messages of {LINE_MAX_UNITS}").format(utf16_units=utf16_units(text), LINE_MAX_MESSAGES=LINE_MAX_MESSAGES, LINE_MAX_UNITS=LINE_MAX_UNITS), location=where or None)
    return chunks


# --- SMS ----------------------------------------------------------------------------------------

def sms_parts(text: str, *, where: str = "") -> tuple[str, list[str]]:
    """``(encoding, parts)`` of one SMS; more than 10 parts is an error naming the place."""
    encoding, total, _parts = sms_size(text)
    alone, per_part = SMS_LIMITS[encoding]
    cost = _septets if encoding == "gsm7" else _char_units
    parts = [text] if total <= alone else hard_split(text, per_part, cost)
    if len(parts) > SMS_MAX_PARTS:
        unit = "septets" if encoding == "gsm7" else "characters (UTF-16 units)"
        raise ChannelError(
            _("the SMS text is {total} {unit}; at most {value} fit in "
            "{SMS_MAX_PARTS} parts ({upper}); shorten the message or the town block").format(total=total, unit=unit, value=SMS_MAX_PARTS * per_part, SMS_MAX_PARTS=SMS_MAX_PARTS, upper=encoding.upper()),
            location=where or None)
    return encoding, parts


# --- e-mail -----------------------------------------------------------------------------------

def _position(text: str, index: int) -> str:
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return _("line {line}, column {column}").format(line=line, column=column)


def to_iso2022jp(text: str, *, where: str = "") -> tuple[str, list[tuple[str, str]]]:
    """The text with characters ISO-2022-JP cannot carry replaced (see the module docstring),
    and the replacements made; raises :class:`ChannelError` for what cannot be replaced."""
    if jis_encodable(text):
        return text, []
    out: list[str] = []
    replacements: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        if jis_encodable(text[i]):
            out.append(text[i])
            i += 1
            continue
        j = i
        while j < n and not jis_encodable(text[j]):
            j += 1
        run = text[i:j]
        fixed = jis_replacement(run)
        if not jis_encodable(fixed):
            k = next((k for k, c in enumerate(run) if not jis_encodable(jis_replacement(c))), 0)
            bad = run[k]
            raise ChannelError(
                _("e-mail to this town is ISO-2022-JP, which cannot carry '{bad}' "
                "(U+{ord:04X}) at {position}; "
                "replace it in the text, or set the town's email_encoding: utf-8").format(bad=bad, ord=ord(bad), position=_position(text, i + k)),
                location=where or None)
        replacements.append((run, fixed))
        out.append(fixed)
        i = j
    return "".join(out), replacements


def email_text(text: str, encoding: str, *, where: str = "") -> tuple[str, list[tuple[str, str]]]:
    """The body text for the town's e-mail encoding, and the replacements made."""
    if encoding == ISO_2022_JP:
        return to_iso2022jp(text, where=where)
    return text, []


# --- one entry point per channel -----------------------------------------------------------------

def channel_text(channel: str, text: str, *, email_encoding: str = "utf-8",
                 where: str = "") -> ChannelText:
    """What ``channel`` delivers for ``text`` and the facts a delivery team needs (shared between
    towns sending the same text: do not change the facts mapping)."""
    try:
        return _shared_channel_text(channel, text, email_encoding)
    except ChannelError:
        return _channel_text(channel, text, email_encoding, where)  # raises, naming the place


def _channel_text(channel: str, text: str, email_encoding: str, where: str) -> ChannelText:
    if channel == "line":
        messages = line_messages(text, where=where)
        return ChannelText(text, {"messages": len(messages), "utf16_length": utf16_units(text)})
    if channel == "sms":
        encoding, parts = sms_parts(text, where=where)
        return ChannelText(text, {"encoding": encoding, "parts": len(parts)})
    if channel == "email":
        body, replacements = email_text(text, email_encoding, where=where)
        return ChannelText(body, {"charset": email_encoding,
                                  "replacements": [list(r) for r in replacements]})
    raise ChannelError(_("unknown channel '{channel}'").format(channel=channel), location=where or None)


@lru_cache(maxsize=16384)
def _shared_channel_text(channel: str, text: str, email_encoding: str) -> ChannelText:
    return _channel_text(channel, text, email_encoding, "")


def for_entry(catalog: TownCatalog, entry: Entry, channel: str) -> ChannelText:
    """The entry's text for ``channel``: from the catalog when the town profile names the
    channel, else computed (a format asked for with ``--format``)."""
    found = entry.channels.get(channel)
    if found is not None:
        return found
    return channel_text(channel, entry.delivered_text, email_encoding=catalog.town.email_encoding,
                        where=catalog.where(entry))
