"""Channel facts shared by the checks and the exports (DESIGN §3, "Channel limits").

* LINE: a text message holds at most 5,000 characters counted in UTF-16 code units.
* SMS: GSM-7 when every character is in the GSM 7-bit alphabet (160 septets alone, 153 per part;
  extension-table characters count 2), else UCS-2 (70 UTF-16 units alone, 67 per part); at most
  10 parts.
* E-mail: the subject is a template per locale (``exports.email.subject`` in kizuna.yaml, default
  ``{{ town.name }}より（{{ stage.label }}）``); Japanese mobile mail lists show about 30
  characters of it, so the checks warn past :data:`EMAIL_SUBJECT_MAX`.
* E-mail in ISO-2022-JP carries JIS X 0208 only; the usual Windows look-alikes and circled
  numbers have a JIS form, and NFKC gives one for 半角カナ, ㈱ and the like.
"""
from __future__ import annotations

import unicodedata
from typing import Any, Mapping

from kizuna.catalog.errors import WorkspaceError
from kizuna.catalog.i18n import _

LINE_MAX_UNITS = 5000
EMAIL_SUBJECT_MAX = 30
DEFAULT_EMAIL_SUBJECTS = {"ja": "{{ town.name }}より（{{ stage.label }}）",
                          "en": "A message from {{ town.name }} ({{ stage.key }})"}
SMS_MAX_PARTS = 10
#: (alone, per part) limits by SMS encoding
SMS_LIMITS = {"gsm7": (160, 153), "ucs2": (70, 67)}
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENDED = frozenset("^{}\\[~]|€\f")
JIS_LOOKALIKES = {"\uff5e": "\u301c", "\uff0d": "\u2212", "\u2014": "\u2015", "\u2225": "\u2016"}
CIRCLED = {chr(0x2460 + i): f"({i + 1})" for i in range(20)}


def utf16_units(text: str) -> int:
    """Length in UTF-16 code units (what LINE, UCS-2 SMS and JavaScript count)."""
    return len(text.encode("utf-16-le")) // 2


def sms_size(text: str) -> tuple[str, int, int]:
    """``(encoding, units, parts)`` of one SMS: ``gsm7`` or ``ucs2``, septets or UTF-16 units."""
    if set(text) <= GSM_BASIC | GSM_EXTENDED:
        encoding, units = "gsm7", len(text) + sum(text.count(ch) for ch in GSM_EXTENDED)
    else:
        encoding, units = "ucs2", utf16_units(text)
    alone, per_part = SMS_LIMITS[encoding]
    return encoding, units, 1 if units <= alone else -(-units // per_part)


def jis_encodable(text: str) -> bool:
    try:
        text.encode("iso2022_jp")
    except UnicodeEncodeError:
        return False
    return True


def jis_replacement(run: str) -> str:
    """A run ISO-2022-JP cannot carry, with look-alikes and circled numbers mapped, then NFKC
    (the result may still not be encodable: check with :func:`jis_encodable`)."""
    mapped = "".join(JIS_LOOKALIKES.get(c) or CIRCLED.get(c) or c for c in run)
    return unicodedata.normalize("NFKC", mapped)


def email_option(options: Mapping[str, Any], key: str, locale: str, default: str) -> str:
    """An ``exports.email`` option: text, or a mapping of locale (or base language) to text."""
    value = options.get(key, default)
    if isinstance(value, Mapping):
        base = locale.split("-")[0]
        value = value.get(locale, value.get(base, default))
    if not isinstance(value, str) or not value:
        raise WorkspaceError(_("must be text, or a mapping of locale to text"),
                             path="kizuna.yaml", field=f"exports.email.{key}")
    return value


def email_subject_template(options: Mapping[str, Any], locale: str) -> str:
    """The subject template for ``locale`` (``exports.email.subject``, else the default)."""
    base = locale.split("-")[0]
    default = DEFAULT_EMAIL_SUBJECTS.get(locale, DEFAULT_EMAIL_SUBJECTS.get(base, DEFAULT_EMAIL_SUBJECTS["en"]))
    return email_option(options, "subject", locale, default)
