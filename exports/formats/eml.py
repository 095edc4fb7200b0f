"""E-mail: one ``.eml`` file per message (``email/<message id>.eml``), proper MIME.

Built with :class:`email.message.EmailMessage` and the SMTP policy (CRLF line ends). The
charset is the town's ``email_encoding``:

* ``iso-2022-jp`` — body ``text/plain; charset="iso-2022-jp"``, ``7bit`` (``base64`` only if a
  line would pass 998 octets), and Subject and From names as RFC 2047 ``=?iso-2022-jp?b?...?=``
  words. Text goes through the documented replacement rule of :mod:`exports.channels`
  (①→(1), 半角カナ→全角, ...) and what cannot be carried is an error naming town and message;
* ``utf-8`` — body ``text/plain; charset="utf-8"``, ``base64``; headers as UTF-8 words.

Headers: ``From`` (``exports.email.from`` and ``from_name`` in kizuna.yaml; defaults
``noreply@example.invalid`` and the town's name), ``To: undisclosed-recipients:;`` (the sender
sets the real one), ``Subject`` (``exports.email.subject``, a template per locale rendered like
message texts; default ``{{ town.name }}より（{{ stage.label }}）``), ``MIME-Version``, and
``X-Kizuna-*`` headers with town, locale, message id, stage, anchor, offset, send time, content
hash and approval. There is no ``Date`` or ``Message-ID`` by default: a mail submission agent adds
them at send time (RFC 6409 §8), and the file stays byte-identical between exports. A sender that
relays the files as they are sets ``exports.email.date_and_message_id: true``: see
:func:`sender_headers`.

Header folding follows RFC 2047 §2 exactly (what ``Header(...).encode()`` without the header
name did not): every encoded-word is at most 75 characters, every header line at most 76
including the header name, and a word holds whole characters (an ISO-2022-JP word ends in
ASCII), so a reader can decode each word on its own.
"""
from __future__ import annotations

import base64
import re
from datetime import date, datetime, time, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any, Mapping

from kizuna.catalog.channels import email_option, email_subject_template
from kizuna.catalog.templating import render, stage_context
from kizuna.exports.channels import ISO_2022_JP, for_entry, to_iso2022jp
from kizuna.exports.errors import ExportError
from kizuna.exports.model import UNAPPROVED_MARK, Entry, OutputFile, TownCatalog
from kizuna.exports.registry import FunctionExporter, Layout
from kizuna.catalog.i18n import _

FOLDER = "email"
DEFAULT_FROM = "noreply@example.invalid"
MAX_LINE_OCTETS = 998
#: RFC 2047 §2: an encoded-word is at most 75 characters; a header line holding one at most 76
MAX_WORD = 75
MAX_HEADER_LINE = 76
JST = timezone(timedelta(hours=9), "JST")
POLICY = policy.SMTP.clone(refold_source="none")


_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_ADDR_SPEC = re.compile(r"^[^\s<>()\[\],;:\\\"@]+@[^\s<>()\[\],;:\\\"@]+$")


def one_line(value: str) -> str:
    """A header value on one line: line breaks and other control characters become a space (a
    rendered subject or a name from the town profile can never add a header)."""
    return _CONTROL.sub(" ", value).strip()


def address(name: str, addr: str, charset: str) -> str:
    """``Name <addr>``: an ASCII name quoted when it has specials (``"City, Office"``), any
    other as RFC 2047 words in ``charset`` (folded for the ``From`` header)."""
    name = one_line(name)
    if name.isascii():
        return header_value("From", formataddr((name, addr)))
    return fold_header("From", encoded_words(name, charset, first_room("From")), tail=f"<{addr}>")


def sender_address(options: Mapping[str, Any], locale: str) -> str:
    sender = str(email_option(options, "from", locale, DEFAULT_FROM)).strip()
    if not _ADDR_SPEC.match(sender):
        raise ExportError(_("'{sender}' is not an e-mail address like kosodate@city.example.jp").format(sender=sender),
                          path="kizuna.yaml", field="exports.email.from")
    return sender


def _word(chunk: str, charset: str) -> str:
    data = chunk.encode("iso2022_jp" if charset == ISO_2022_JP else charset)
    return f"=?{charset}?b?{base64.b64encode(data).decode('ascii')}?="


def encoded_words(value: str, charset: str, first: int = MAX_WORD) -> list[str]:
    """``value`` as RFC 2047 B-encoded words of at most 75 characters each (the first at most
    ``first``: what fits beside the header name), every word holding whole characters (each
    ISO-2022-JP word returns to ASCII at its end)."""
    words: list[str] = []
    chunk = ""
    for char in value:
        limit = min(first, MAX_WORD) if not words else MAX_WORD
        if chunk and len(_word(chunk + char, charset)) > limit:
            words.append(_word(chunk, charset))
            chunk = ""
        chunk += char
    if chunk:
        words.append(_word(chunk, charset))
    return words


def first_room(name: str) -> int:
    """Characters left on the first line of header ``name`` after ``Name: ``."""
    return MAX_HEADER_LINE - len(name) - 2


def fold_header(name: str, words: list[str], tail: str = "") -> str:
    """The value of header ``name`` made of ``words`` (and an ASCII ``tail``, e.g. an address)
    folded at the spaces between them so that no line, ``Name: `` included, passes 76
    characters. A first word that does not fit beside the name starts on the next line."""
    lines: list[str] = []
    line = ""
    room = MAX_HEADER_LINE - len(name) - 2  # "Name: "
    for part in [*words, *([tail] if tail else [])]:
        candidate = f"{line} {part}" if line else part
        if len(candidate) > room and (line or not lines):
            lines.append(line)
            line, room = part, MAX_HEADER_LINE - 1  # a continuation line starts with a space
        else:
            line = candidate
    lines.append(line)
    return "\r\n ".join(lines)


def header_value(name: str, value: str) -> str:
    """An ASCII value for header ``name``, folded at its spaces when the line would pass 76."""
    if len(name) + 2 + len(value) <= MAX_HEADER_LINE:
        return value
    return fold_header(name, value.split(" "))


def encode_header(value: str, charset: str, name: str = "Subject") -> str:
    """An ASCII value for header ``name``: RFC 2047 words in ``charset`` when needed, folded
    to the limits of RFC 2047 §2 (see :func:`encoded_words`, :func:`fold_header`)."""
    if value.isascii():
        return header_value(name, value)
    return fold_header(name, encoded_words(value, charset, first_room(name)))


def send_date(options: Mapping[str, Any]) -> date | None:
    value = options.get("send_date")
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ExportError(_("'{value}' is not a date like 2026-04-01").format(value=value), path="kizuna.yaml",
                          field="exports.email.send_date") from None


def sender_headers(catalog: TownCatalog, entry: Entry, options: Mapping[str, Any],
                   sender: str) -> list[tuple[str, str]]:
    """``Date`` and ``Message-ID`` when ``exports.email.date_and_message_id`` is true.

    ``Date`` is the town's send time (JST, +0900) on ``exports.email.send_date`` or, when that
    is not set, on the ``--as-of`` date of the export: export the files of one sending day with
    ``--as-of`` that day. ``Message-ID`` is ``<message id>.<content hash>.<town>.<locale>@``
    the sender's domain: the same text in the same town always has the same id, and a changed
    text a new one. Without a date the export stops with an error saying what to give.
    """
    flag = options.get("date_and_message_id", False)
    if not isinstance(flag, bool):
        raise ExportError(_("must be true or false"), path="kizuna.yaml",
                          field="exports.email.date_and_message_id")
    if not flag:
        return []
    day = send_date(options)
    if day is None:
        raise ExportError(_("Date needs the sending day: run the export with --as-of DATE (the day "
                          "the files are sent), or set exports.email.send_date"),
                          path="kizuna.yaml", field="exports.email.date_and_message_id")
    hour, minute = (int(x) for x in catalog.send_time.split(":"))
    when = datetime.combine(day, time(hour, minute), tzinfo=JST)
    domain = sender.rsplit("@", 1)[1]
    ident = f"<{entry.message_id}.{entry.content_hash}.{catalog.town.code}.{catalog.locale}@{domain}>"
    return [("Date", format_datetime(when)), ("Message-ID", ident)]


_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=")


def header_limit_violations(data: bytes) -> list[str]:
    """The header lines of an e-mail file that break RFC 2047 §2: a line over 76 characters,
    or an encoded-word over 75 (empty when the file keeps both limits)."""
    head = data.split(b"\r\n\r\n", 1)[0].decode("ascii")
    found = []
    for number, line in enumerate(head.split("\r\n"), 1):
        if len(line) > MAX_HEADER_LINE:
            found.append(f"line {number}: {len(line)} characters: {line}")
        found += [f"line {number}: encoded-word of {len(w)} characters: {w}"
                  for w in _ENCODED_WORD.findall(line) if len(w) > MAX_WORD]
    return found


def body_cte(text: str, charset: str) -> str:
    if charset != ISO_2022_JP:
        return "base64"
    longest = max(len(line.encode("iso2022_jp")) for line in text.split("\n"))
    return "7bit" if longest <= MAX_LINE_OCTETS else "base64"


def message_bytes(catalog: TownCatalog, entry: Entry, options: Mapping[str, Any]) -> bytes:
    """One message as an RFC 5322 / MIME file."""
    town, place = catalog.town, catalog.where(entry)
    charset = town.email_encoding
    body = for_entry(catalog, entry, "email").text
    context = {"town": town.template_context(), "stage": stage_context(entry.stage)}
    subject = one_line(render(email_subject_template(options, catalog.locale), context,
                              where=f"{place}, e-mail subject"))
    if not entry.approved:
        subject = UNAPPROVED_MARK + subject
    from_name = one_line(str(email_option(options, "from_name", catalog.locale, town.name)))
    if charset == ISO_2022_JP:
        subject, _ = to_iso2022jp(subject, where=f"{place}, e-mail subject")
        from_name, _ = to_iso2022jp(from_name, where=f"{place}, e-mail from_name")
    msg = EmailMessage(policy=POLICY)
    sender = sender_address(options, catalog.locale)
    msg.set_raw("From", address(from_name, sender, charset))
    msg.set_raw("To", "undisclosed-recipients:;")
    msg.set_raw("Subject", encode_header(subject, charset, "Subject"))
    for name, value in sender_headers(catalog, entry, options, sender):
        msg.set_raw(name, value)
    msg.set_raw("MIME-Version", "1.0")
    offset = entry.offset
    for name, value in (("Town", town.code), ("Locale", catalog.locale),
                        ("Message-Id", entry.message_id), ("Stage", str(entry.stage)),
                        ("Anchor", entry.anchor),
                        ("Offset", f"months={offset['months']}; days={offset['days']}"),
                        ("Send-Time", catalog.send_time), ("Content-Hash", entry.content_hash),
                        ("Approved", "yes" if entry.approved else "no"),
                        ("Approval-Ref", entry.approval.ref or "none")):
        msg.set_raw(f"X-Kizuna-{name}", header_value(f"X-Kizuna-{name}", value))
    msg.set_content(body, charset=charset, cte=body_cte(body, charset))
    return msg.as_bytes()


def export(catalog: TownCatalog, options: Mapping[str, Any]) -> list[OutputFile]:
    return [OutputFile(f"{FOLDER}/{e.message_id}.eml", message_bytes(catalog, e, options))
            for e in catalog.entries]


EXPORTER = FunctionExporter("e-mail, one .eml per message in the town's charset (email/*.eml)", export,
                              Layout("per-entry", FOLDER, ".eml"))
