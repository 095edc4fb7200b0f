r"""RapidPro campaign import file (``rapidpro.json``), the worked example of a delivery adapter.

The file is a RapidPro export document (``version`` "13", ``campaigns``, ``fields``, ``groups``,
empty ``flows`` and ``triggers``) that *Import* in RapidPro accepts. Per town and locale it holds
two campaigns of message events, because a registrant is counted from the due date until birth
and from the birth date after:

* ``<town>(<code>) 妊娠中 <locale>`` on the group of the same name, events relative to the
  contact field ``due_date`` (label ``Due Date``: 出産予定日), ``offset`` in days (negative:
  before the due date);
* ``<town>(<code>) 出生後 <locale>`` on its group, events relative to ``birth_date`` (label
  ``Birth Date``: 生年月日).

Contact-field labels are ASCII because RapidPro accepts only names matching
``^[A-Za-z0-9\- ]+$`` (at most 36 characters; ``ContactField.is_valid_name``) and silently
replaces any other label on import. Campaign and group names may be Japanese but hold at most
64 characters and no ``"`` or ``\`` (RapidPro's ``NameValidator``); a longer or invalid name is
an error here rather than a name RapidPro cuts or rewrites.

When a birth is registered, move the contact from the first group to the second (RapidPro stops
a campaign's events for a contact who leaves its group), so remaining pregnancy messages drop.

Per event: ``event_type`` "M" (a message), ``unit`` "D", ``delivery_hour`` the hour of the
town's send time (RapidPro schedules whole hours; minutes are dropped), ``message`` keyed by the
locale's ISO 639-3 code (``ja``→``jpn``, ``en``→``eng``; ``exports.rapidpro.languages`` maps
others) with ``base_language`` the same, ``start_mode`` "P" (passive: a message does not
interrupt a flow the contact is in; ``exports.rapidpro.start_mode`` changes it).

A campaign message event holds at most 640 characters in a stock RapidPro (its
``MSG_FIELD_SIZE``); a longer delivered text is an error naming town and message.
``exports.rapidpro.max_length`` sets another limit for an install configured otherwise.

RapidPro offsets have no months. A month-based stage (``B2m``, ``B1y6m``) is converted to days
with the mean Gregorian month: ``round(months × 30.436875) + days``; it fires up to **three**
days before or after the calendar date that the canonical JSON states exactly (measured over
every birth date of eight years and every month to 18 years; see the tests).

Re-import: RapidPro matches a campaign and its group by UUID only when the file's ``site`` is
the importing RapidPro's own host (``exports.rapidpro.site``); otherwise it matches them by
**name**. Either way it deletes the campaign's events and creates them again from the file.
UUIDs here are UUID5 of town, locale and message, so the same export is the same file.

Tracks, corrected age, registrant fields (``@contact.name``) and dated messages: see
:mod:`exports.rapidpro_tracks`.
"""
from __future__ import annotations

import re
import uuid
from typing import Any, Mapping

from kizuna.catalog.stages import MEAN_MONTH_DAYS
from kizuna.exports import jsonio
from kizuna.exports.errors import ExportError
from kizuna.exports.model import Entry, OutputFile, TownCatalog
from kizuna.exports.rapidpro_tracks import (extra_fields, other_tracks, rapidpro_text, relative_field, staged,
                                            track_group)
from kizuna.exports.registry import FunctionExporter
from kizuna.catalog.i18n import _

FILENAME = "rapidpro.json"
EXPORT_VERSION = "13"
DEFAULT_SITE = "https://app.rapidpro.io"
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://kizuna.invalid/exports/rapidpro")
ISO639_3 = {"ja": "jpn", "en": "eng", "zh": "zho", "ko": "kor", "pt": "por", "es": "spa",
            "vi": "vie", "tl": "tgl", "ne": "nep", "id": "ind", "th": "tha", "fr": "fra",
            "de": "deu", "my": "mya", "si": "sin", "mn": "mon", "ru": "rus", "uk": "ukr"}
#: contact field key and label (RapidPro: labels ``^[A-Za-z0-9\- ]+$``, at most 36 characters)
FIELDS = {"due": ("due_date", "Due Date"), "birth": ("birth_date", "Birth Date")}
FIELD_LABEL = re.compile(r"^[A-Za-z0-9\- ]+$")
MAX_FIELD_LABEL = 36
#: RapidPro's longest campaign or group name, and the characters a name cannot hold
MAX_NAME = 64
NAME_FORBIDDEN = ('"', "\\", "\0")
PHASE_NAMES = {"due": "妊娠中", "birth": "出生後"}
START_MODES = ("I", "S", "P")
#: RapidPro's MSG_FIELD_SIZE: the longest text of a message campaign event
MAX_LENGTH = 640


def stable_uuid(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def language(locale: str, options: Mapping[str, Any]) -> str:
    """The ISO 639-3 code RapidPro keys translations by."""
    mapping = {**ISO639_3, **dict(options.get("languages") or {})}
    code = mapping.get(locale) or mapping.get(locale.split("-")[0])
    if not code:
        raise ExportError(_("no ISO 639-3 code for locale '{locale}'; add it under "
                          "exports.rapidpro.languages (e.g. {locale}: xxx)").format(locale=locale),
                          path="kizuna.yaml", field="exports.rapidpro.languages")
    return code


def offset_days(entry: Entry) -> int:
    """Days from the anchor (months by the mean Gregorian month; see the module docstring)."""
    offset = entry.offset
    return round(offset["months"] * MEAN_MONTH_DAYS) + offset["days"]


def max_length(options: Mapping[str, Any]) -> int:
    value = options.get("max_length", MAX_LENGTH)
    if type(value) is not int or value < 1:
        raise ExportError(_("must be a whole number of characters, like 640"), path="kizuna.yaml",
                          field="exports.rapidpro.max_length")
    return value


def event(catalog: TownCatalog, entry: Entry, lang: str, start_mode: str,
          limit: int = MAX_LENGTH) -> dict[str, Any]:
    key, label = relative_field(catalog, entry, FIELDS[entry.anchor])
    text = rapidpro_text(catalog, entry)
    if len(text) > limit:
        raise ExportError(_("the text is {count} characters; a RapidPro message event "
                          "holds at most {limit} (exports.rapidpro.max_length): shorten the message or "
                          "the town block").format(count=len(text), limit=limit), location=catalog.where(entry))
    return {
        "uuid": stable_uuid(catalog.town.code, catalog.locale, "event", entry.message_id),
        "event_type": "M",
        "relative_to": {"key": key, "label": label},
        "offset": offset_days(entry),
        "unit": "D",
        "delivery_hour": int(catalog.send_time[:2]),
        "message": {lang: text},
        "base_language": lang,
        "start_mode": start_mode,
    }


def valid_field_label(label: str) -> bool:
    """RapidPro keeps a contact-field label only when this holds (``ContactField.is_valid_name``)."""
    return label == label.strip() and bool(FIELD_LABEL.match(label)) and len(label) <= MAX_FIELD_LABEL


def check_name(name: str, town_code: str) -> str:
    """A campaign or group name RapidPro imports as it is, else an error naming the town."""
    bad = [c for c in NAME_FORBIDDEN if c in name]
    if len(name) > MAX_NAME or bad or name != name.strip():
        raise ExportError(_("the RapidPro campaign name '{name}' must be at most {MAX_NAME} characters "
                          "without \" or \\ (RapidPro would cut or change it): shorten the town's name").format(name=name, MAX_NAME=MAX_NAME),
                          path=f"towns/{town_code}.yaml", field="name")
    return name


def group(catalog: TownCatalog, anchor: str) -> dict[str, Any]:
    town = catalog.town
    name = check_name(f"{town.name}({town.code}) {PHASE_NAMES[anchor]} {catalog.locale}", town.code)
    return {"uuid": stable_uuid(town.code, catalog.locale, "group", anchor), "name": name}


def document(catalog: TownCatalog, options: Mapping[str, Any]) -> dict[str, Any]:
    lang = language(catalog.locale, options)
    start_mode = str(options.get("start_mode", "P"))
    if start_mode not in START_MODES:
        raise ExportError(_("must be one of {START_MODES}").format(START_MODES=', '.join(START_MODES)), path="kizuna.yaml",
                          field="exports.rapidpro.start_mode")
    limit = max_length(options)
    campaigns, groups = [], []
    for anchor in ("due", "birth"):
        grp = group(catalog, anchor)
        groups.append({**grp, "query": None})
        campaigns.append({
            "uuid": stable_uuid(catalog.town.code, catalog.locale, "campaign", anchor),
            "name": grp["name"], "group": grp,
            "events": [event(catalog, e, lang, start_mode, limit) for e in staged(catalog, "main", anchor)],
        })
    for track in other_tracks(catalog):
        grp = track_group(catalog, track, stable_uuid)
        groups.append({**grp, "query": None})
        campaigns.append({
            "uuid": stable_uuid(catalog.town.code, catalog.locale, "campaign", "track", track),
            "name": grp["name"], "group": grp,
            "events": [event(catalog, e, lang, start_mode, limit) for e in staged(catalog, track)],
        })
    return {
        "version": EXPORT_VERSION, "site": str(options.get("site", DEFAULT_SITE)),
        "flows": [], "campaigns": campaigns, "triggers": [],
        "fields": [{"key": k, "name": n, "type": "datetime"} for k, n in FIELDS.values()] + extra_fields(catalog),
        "groups": groups,
    }


def export(catalog: TownCatalog, options: Mapping[str, Any]) -> list[OutputFile]:
    return [OutputFile(FILENAME, jsonio.pretty(document(catalog, options)))]


EXPORTER = FunctionExporter("RapidPro campaign import file, events relative to due/birth date "
                            "(rapidpro.json)", export)
