"""The grammar of an editable unit's names, checked where a view or a suggestions file is read.

A :class:`~authoring.merge.Target` names a file to read and to write (``messages/<id>.yaml``,
``towns/<code>.yaml``, ``suggestions/<kind>/<key>.yaml``), so nothing read from a workbook cell, a
notebook's metadata or a suggestions file becomes a target before its key, locale and part match
their grammar: a message id (lowercase letters, digits, hyphens), a six-digit town code, a locale
code, a stage in kizuna's notation, a profile field kizuna knows.
"""
from __future__ import annotations

import re

from kizuna.catalog.errors import StageError
from kizuna.catalog.fields import ID_RE, LOCALE_RE
from kizuna.catalog.stages import Stage
from kizuna.catalog.towns import CONTACT_FIELDS
from kizuna.authoring.merge import Target
from kizuna.catalog.i18n import _

TOWN_CODE_RE = re.compile(r"^[0-9]{6}$")
SERVICE_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")  # as catalog.towns reads service keys
KINDS = ("message", "block", "profile")


def _printable(value: object) -> str:
    text = str(value)
    return repr(text[:60] + "…") if len(text) > 60 else repr(text)


def profile_field_ok(name: str) -> bool:
    section, dot, key = name.partition(".")
    if not dot:
        return name == "send_time"
    if section == "contacts":
        return key in CONTACT_FIELDS
    return section == "services" and bool(SERVICE_KEY_RE.match(key))


def key_problem(kind: str, key: object) -> str | None:
    """Why ``key`` cannot be the key of a ``kind`` target (a message id or a town code), or ``None``."""
    if kind == "message":
        if not isinstance(key, str) or not ID_RE.match(key):
            return (_("message id {printable} is not valid: lowercase letters, digits and hyphens, "
                    "like p12w-checkup").format(printable=_printable(key)))
        return None
    if not isinstance(key, str) or not TOWN_CODE_RE.match(key):
        return _("town code {printable} is not valid: six digits, like 202029").format(printable=_printable(key))
    return None


def target_problem(target: Target) -> str | None:
    """What is wrong with the names of ``target``, or ``None`` when every one fits its grammar."""
    if target.kind not in KINDS:
        return _("kind {printable} is not one of {KINDS}").format(printable=_printable(target.kind), KINDS=', '.join(KINDS))
    bad = key_problem(target.kind, target.key)
    if bad:
        return bad
    if target.kind in ("message", "block"):
        if not isinstance(target.locale, str) or not LOCALE_RE.match(target.locale):
            return _("locale {printable} is not a locale code like ja, ja-easy or en").format(printable=_printable(target.locale))
    elif target.locale is not None:
        return _("a profile field has no locale")
    if target.kind == "message" and target.part:
        return _("a message has no part")
    if target.kind == "block":
        try:
            Stage.parse(target.part)
        except (StageError, TypeError):
            return _("stage {printable} is not a stage like P12w3d or B2m").format(printable=_printable(target.part))
    if target.kind == "profile" and not (isinstance(target.part, str) and profile_field_ok(target.part)):
        return (_("profile field {printable} is not one kizuna knows "
                "(contacts.{CONTACT_FIELDS}, services.NAME, send_time)").format(printable=_printable(target.part), CONTACT_FIELDS='|'.join(CONTACT_FIELDS)))
    return None
