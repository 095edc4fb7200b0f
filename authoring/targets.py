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
            return (f"message id {_printable(key)} is not valid: lowercase letters, digits and hyphens, "
                    "like p12w-checkup")
        return None
    if not isinstance(key, str) or not TOWN_CODE_RE.match(key):
        return f"town code {_printable(key)} is not valid: six digits, like 202029"
    return None


def target_problem(target: Target) -> str | None:
    """What is wrong with the names of ``target``, or ``None`` when every one fits its grammar."""
    if target.kind not in KINDS:
        return f"kind {_printable(target.kind)} is not one of {', '.join(KINDS)}"
    bad = key_problem(target.kind, target.key)
    if bad:
        return bad
    if target.kind in ("message", "block"):
        if not isinstance(target.locale, str) or not LOCALE_RE.match(target.locale):
            return f"locale {_printable(target.locale)} is not a locale code like ja, ja-easy or en"
    elif target.locale is not None:
        return "a profile field has no locale"
    if target.kind == "message" and target.part:
        return "a message has no part"
    if target.kind == "block":
        try:
            Stage.parse(target.part)
        except (StageError, TypeError):
            return f"stage {_printable(target.part)} is not a stage like P12w3d or B2m"
    if target.kind == "profile" and not (isinstance(target.part, str) and profile_field_ok(target.part)):
        return (f"profile field {_printable(target.part)} is not one kizuna knows "
                f"(contacts.{'|'.join(CONTACT_FIELDS)}, services.NAME, send_time)")
    return None
