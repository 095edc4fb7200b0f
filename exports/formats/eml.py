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
hash and approval. There is no ``Date`` or ``Message-ID``: the sending system adds them at send
time (and the file stays byte-identical between exports).
"""
from __future__ import annotations

import re
from email import policy
from email.header import Header
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any, Mapping

from kizuna.catalog.channels import email_option, email_subject_template
from kizuna.catalog.templating import render, stage_context
from kizuna.exports.channels import ISO_2022_JP, for_entry, to_iso2022jp
from kizuna.exports.errors import ExportError
from kizuna.exports.model import UNAPPROVED_MARK, Entry, OutputFile, TownCatalog
from kizuna.exports.registry import FunctionExporter

FOLDER = "email"
DEFAULT_FROM = "noreply@example.invalid"
MAX_LINE_OCTETS = 998
POLICY = policy.SMTP.clone(refold_source="none")


_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_ADDR_SPEC = re.compile(r"^[^\s<>()\[\],;:\\\"@]+@[^\s<>()\[\],;:\\\"@]+$")


def one_line(value: str) -> str:
    """A header value on one line: line breaks and other control characters become a space (a
    rendered subject or a name from the town profile can never add a header)."""
    return _CONTROL.sub(" ", value).strip()


def address(name: str, addr: str, charset: str) -> str:
    """``Name <addr>``: an ASCII name quoted when it has specials (``"City, Office"``), any
    other as RFC 2047 words in ``charset``."""
    name = one_line(name)
    if name.isascii():
        return formataddr((name, addr))
    return f"{encode_header(name, charset)} <{addr}>"


def sender_address(options: Mapping[str, Any], locale: str) -> str:
    sender = str(email_option(options, "from", locale, DEFAULT_FROM)).strip()
    if not _ADDR_SPEC.match(sender):
        raise ExportError(f"'{sender}' is not an e-mail address like kosodate@city.example.jp",
                          path="kizuna.yaml", field="exports.email.from")
    return sender


def encode_header(value: str, charset: str) -> str:
    """An ASCII header value: RFC 2047 words in ``charset`` when needed, folded at 76."""
    if value.isascii():
        return value
    return Header(value, charset).encode(linesep="\r\n")


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
    msg.set_raw("From", address(from_name, sender_address(options, catalog.locale), charset))
    msg.set_raw("To", "undisclosed-recipients:;")
    msg.set_raw("Subject", encode_header(subject, charset))
    msg.set_raw("MIME-Version", "1.0")
    offset = entry.offset
    for name, value in (("Town", town.code), ("Locale", catalog.locale),
                        ("Message-Id", entry.message_id), ("Stage", str(entry.stage)),
                        ("Anchor", entry.anchor),
                        ("Offset", f"months={offset['months']}; days={offset['days']}"),
                        ("Send-Time", catalog.send_time), ("Content-Hash", entry.content_hash),
                        ("Approved", "yes" if entry.approved else "no"),
                        ("Approval-Ref", entry.approval.ref or "none")):
        msg.set_raw(f"X-Kizuna-{name}", value)
    msg.set_content(body, charset=charset, cte=body_cte(body, charset))
    return msg.as_bytes()


def export(catalog: TownCatalog, options: Mapping[str, Any]) -> list[OutputFile]:
    return [OutputFile(f"{FOLDER}/{e.message_id}.eml", message_bytes(catalog, e, options))
            for e in catalog.entries]


EXPORTER = FunctionExporter("e-mail, one .eml per message in the town's charset (email/*.eml)", export)
