"""The export model: what one town gets in one locale, ready for any format.

A :class:`TownCatalog` is the rendered, approved (or marked) list of :class:`Entry` items of one
town in one locale. Formats only read it; they never see the workspace. Everything here is
plain, frozen data, so a catalog can travel to a worker process and two equal workspaces give
equal catalogs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Mapping

from kizuna.catalog.dated import DatedRule
from kizuna.catalog.stages import Stage
from kizuna.catalog.towns import Town
from kizuna.catalog.tracks import Registrants

#: Version of the export contract (canonical JSON, NDJSON, CSV/XLSX columns, manifest).
#: Major: a field removed or changed in meaning; minor: a field added.
SCHEMA_VERSION = "1.1.0"
#: Marker put in front of every delivered text that is not signed off (previews only).
UNAPPROVED_MARK = "【未承認】"
APPROVED = "approved"


def where(town: str, message: str, locale: str) -> str:
    """How every export error names its place (the same words as template errors)."""
    return f"town {town}, message {message} ({locale})"


@dataclass(frozen=True)
class Approval:
    """Sign-off state of one message in one locale and the reference that proves it."""

    status: str
    #: hash of the decision-log entry that approved the current text, or ``None``
    ref: str | None = None

    @property
    def approved(self) -> bool:
        return self.status == APPROVED


@dataclass(frozen=True)
class ChannelText:
    """The text one channel delivers, and what the channel needs to know about it."""

    text: str
    facts: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Entry:
    """One message of one town in one locale."""

    message_id: str
    #: ``national`` or ``local`` (a town's own message)
    source: str
    stage: Stage
    #: the rendered national text, and the town block when it is attached here
    text: str
    #: the locale the text is written in: the catalog's, or a fallback (``ja`` for ``ja-easy``)
    text_locale: str
    has_block: bool
    content_hash: str
    approval: Approval
    #: approval of the town block attached here (``None``: no block)
    block_approval: Approval | None
    #: per channel of the town: the delivered text (marked when unapproved) and its facts
    channels: Mapping[str, ChannelText]
    #: the track the message belongs to (``main`` unless the workspace declares others)
    track: str = "main"
    #: the age an after-birth message follows after a preterm birth: ``chronological`` or
    #: ``corrected`` (from the due date; :mod:`catalog.tracks`)
    basis: str = "chronological"
    #: gestational range the pregnancy ended in for the message to apply (``None``: open)
    gestation: tuple[Stage | None, Stage | None] = (None, None)
    #: the calendar window of a dated message (``None``: a staged message)
    dated: DatedRule | None = None
    #: the rendered variant for twins and more (``None``: ``text`` suits them too)
    multiples_text: str | None = None
    #: registrant fields the text (or its variant) carries as placeholders
    placeholders: tuple[str, ...] = ()

    @property
    def anchor(self) -> str:
        """``due`` (counted from the due date) or ``birth``."""
        return stage_fields(self.stage)[2]

    @property
    def offset(self) -> dict[str, int]:
        """Offset from the anchor: ``{"months": m, "days": d}`` (months only after birth)."""
        return dict(stage_fields(self.stage)[3])

    @property
    def approved(self) -> bool:
        """Signed off as a whole: the message and the attached block (if any)."""
        return self.approval.approved and (self.block_approval is None or self.block_approval.approved)

    @property
    def delivered_text(self) -> str:
        """The text as it is delivered (marked with 【未承認】 when not signed off)."""
        return mark_unapproved(self.text, self.approved)


@dataclass(frozen=True)
class TownCatalog:
    """Everything one town sends in one locale, in delivery order."""

    town: Town
    locale: str
    entries: tuple[Entry, ...]
    include_unapproved: bool = False
    #: why messages were left out: ``unapproved``, ``untranslated``, ``after_end_age``; and
    #: ``unapproved_block``: blocks not attached because they are not signed off
    left_out: Mapping[str, int] = field(default_factory=dict)
    #: things a town editor should know that do not stop the export (e.g. an unused block)
    warnings: tuple[str, ...] = ()
    #: the workspace's tracks, age rules, registrant fields and merge tags (catalog.tracks)
    registrants: Registrants = field(default_factory=Registrants)

    @property
    def send_time(self) -> str:
        return self.town.send_time

    def where(self, entry: Entry) -> str:
        return where(self.town.code, entry.message_id, self.locale)


@dataclass(frozen=True)
class OutputFile:
    """One file an exporter makes; ``path`` is POSIX and relative to ``<town>/<locale>/``."""

    path: str
    data: bytes


@lru_cache(maxsize=8192)
def stage_fields(stage: Stage) -> tuple[str, str, str, dict[str, int]]:
    """Key, Japanese label, anchor and offset of a stage (the same for every town: computed
    once). Do not change the returned offset mapping; copy it."""
    raw = stage.offset()
    return (str(stage), stage.label_ja, str(raw["anchor"]),
            {"months": int(raw.get("months", 0)), "days": int(raw["days"])})


def mark_unapproved(text: str, approved: bool) -> str:
    return text if approved else UNAPPROVED_MARK + text
