"""Tracks, corrected age and registrant fields in the RapidPro adapter (``rapidpro.json``).

* **Campaigns per track.** The main track keeps its two campaigns (妊娠中, 出生後). Every other
  track with messages gets a campaign and a group of its own, ``<town>(<code>) <track label>
  <locale>``, with events relative to the contact field that starts it: ``birth_date`` for a
  track anchored at the birth, ``<track>_start_date`` (e.g. ``bereavement_start_date``) for a
  track started by an event. A registrant moves between groups as the events of
  ``registrants.events`` say (docs/exports.md, "Tracks for delivery teams").
* **Corrected age.** An after-birth main-track message whose topics follow corrected age is
  relative to ``corrected_birth_date``: the delivery team sets it to the due date for a birth
  before 37 weeks (``registrants.age.preterm_before``) and to the birth date otherwise.
* **Registrant fields** become RapidPro expressions: ``@contact.name``, ``@fields.babies``,
  ``@fields.child_nickname`` (:data:`exports.registrant.RAPIDPRO_TAGS`); a field with a
  ``missing`` value in ``registrants.fields`` falls back to it:
  ``@(default(fields.child_nickname, "赤ちゃん"))``.
* **Dated messages** (seasonal, urgent) are not campaign events — RapidPro campaigns count from
  a contact's date field, not the calendar — so they are left out of ``rapidpro.json``; the
  canonical JSON carries them with their window for a broadcast.
"""
from __future__ import annotations

from typing import Any, Iterator

from kizuna.catalog.tracks import CORRECTED, MAIN
from kizuna.exports.model import Entry, TownCatalog
from kizuna.exports.registrant import RAPIDPRO_TAGS, rapidpro_tags, to_backend

CORRECTED_FIELD = ("corrected_birth_date", "Corrected Birth Date")  # RapidPro labels: ASCII only
#: contact fields the registrant placeholders read (besides the contact's name)
REGISTRANT_FIELDS = [{"key": "babies", "name": "Babies", "type": "number"},
                     {"key": "child_nickname", "name": "Child Nickname", "type": "text"}]


def rapidpro_text(catalog: TownCatalog, entry: Entry) -> str:
    """The delivered text with registrant placeholders as RapidPro expressions."""
    return to_backend(entry.delivered_text, rapidpro_tags(catalog.registrants.fields), backend="rapidpro",
                      where=catalog.where(entry))


def track_field(catalog: TownCatalog, track: str) -> tuple[str, str]:
    """The contact field a non-main track's events are relative to."""
    t = catalog.registrants.tracks.get(track)
    if t is not None and t.anchor == "birth":
        return ("birth_date", "Birth Date")
    # RapidPro keeps only labels matching ^[A-Za-z0-9\- ]+$: the label is made from the track's id
    return (f"{track.replace('-', '_')}_start_date", f"{track.replace('_', ' ').replace('-', ' ').title()} Start Date")


def relative_field(catalog: TownCatalog, entry: Entry, base: tuple[str, str]) -> tuple[str, str]:
    """The contact field an entry's event counts from (``base``: the main track's field)."""
    if entry.track != MAIN:
        return track_field(catalog, entry.track)
    if entry.anchor == "birth" and entry.basis == CORRECTED:
        return CORRECTED_FIELD
    return base


def other_tracks(catalog: TownCatalog) -> list[str]:
    """Tracks other than main that have staged entries, in the order of ``registrants.tracks``."""
    have = {e.track for e in catalog.entries if e.dated is None and e.track != MAIN}
    return [t for t in catalog.registrants.tracks if t in have]


def track_group(catalog: TownCatalog, track: str, uuid: Any) -> dict[str, Any]:
    town = catalog.town
    t = catalog.registrants.tracks.get(track)
    label = t.label if t and t.label else track
    return {"uuid": uuid(town.code, catalog.locale, "group", "track", track),
            "name": f"{town.name}({town.code}) {label} {catalog.locale}"}


def staged(catalog: TownCatalog, track: str, anchor: str | None = None) -> Iterator[Entry]:
    for e in catalog.entries:
        if e.dated is None and e.track == track and (anchor is None or e.anchor == anchor):
            yield e


def extra_fields(catalog: TownCatalog) -> list[dict[str, str]]:
    """Contact fields besides due and birth date the document's events and texts use."""
    fields: dict[str, dict[str, str]] = {}
    if any(e.basis == CORRECTED and e.anchor == "birth" and e.track == MAIN and e.dated is None
           for e in catalog.entries):
        fields[CORRECTED_FIELD[0]] = {"key": CORRECTED_FIELD[0], "name": CORRECTED_FIELD[1], "type": "datetime"}
    for track in other_tracks(catalog):
        key, name = track_field(catalog, track)
        fields.setdefault(key, {"key": key, "name": name, "type": "datetime"})
    fields.pop("birth_date", None)
    used = {p for e in catalog.entries for p in e.placeholders}
    for f in REGISTRANT_FIELDS:
        if any(RAPIDPRO_TAGS[p] == f"@fields.{f['key']}" for p in used):
            fields[f["key"]] = f
    return list(fields.values())
