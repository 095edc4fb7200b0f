"""The merge of edited views back into the catalog: pure decisions, no I/O.

Every editable unit of a view (a message's text in one locale, a town's local block in one
locale, one field of a town profile) is a :class:`Target`. A view records, for each unit it
shows, the *base hash*: the unit's hash in the workspace when the view was generated. On import
each unit yields a :class:`Proposal` (the edited text, or ``None`` for a deleted unit) and
:func:`three_way` compares three hashes:

============================  ===========================  =============
edited vs base                current vs base / edited     verdict
============================  ===========================  =============
edited == base                (anything)                   ``unchanged``
edited != base                current == edited            ``unchanged`` (already there)
edited != base                current == base              ``applied``
edited != base                current differs from both    ``conflict``
============================  ===========================  =============

``None`` stands for "absent" on every side (a new unit has no base; a deleted unit has no
edited hash; a unit removed from the workspace meanwhile has no current hash), so creation and
deletion follow the same table. A conflict is never applied and never dropped: the importer
keeps it as a suggestion (see :mod:`authoring.suggestions`).

The second rule makes every import idempotent: once an edit is applied, the workspace holds the
edited text, so importing the same file again finds ``current == edited`` and does nothing.

For messages the hash is :meth:`catalog.messages.Message.content_hash` (text *and* stage), the
very hash approvals are bound to, so an applied edit makes earlier approvals stale by itself.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Literal

from kizuna.catalog.hashing import content_hash
from kizuna.catalog.i18n import _
from kizuna.catalog.messages import LocaleText, Message
from kizuna.catalog.stages import Stage
from kizuna.catalog.towns import Town

TargetKind = Literal["message", "block", "profile"]

#: Decisions as the sign-off log names them, with the Japanese labels the views show.
DECISION_LABELS: dict[str, str] = {"承認": "approve", "修正依頼": "changes", "コメント": "comment"}
DECISION_NAMES: dict[str, str] = {v: k for k, v in DECISION_LABELS.items()}

#: Characters that make a spreadsheet cell a formula when they start it.
FORMULA_PREFIXES = ("=", "+", "-", "@")

# C0 and C1 control characters except TAB and LF (CR is normalised to LF first).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class Verdict(str, Enum):
    APPLIED = "applied"
    CONFLICT = "conflict"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


@dataclass(frozen=True)
class Target:
    """One editable unit: ``message`` (key = message id), ``block`` (key = town code, part =
    stage) or ``profile`` (key = town code, part = field such as ``contacts.phone``)."""

    kind: TargetKind
    key: str
    locale: str | None = None
    part: str = ""

    def describe(self) -> str:
        if self.kind == "message":
            return f"{self.key} ({self.locale})"
        if self.kind == "block":
            return f"town {self.key} block {self.part} ({self.locale})"
        return f"town {self.key} {self.part}"


@dataclass(frozen=True)
class Proposal:
    """What a view says about one unit after people edited it.

    ``base_hash`` is ``None`` for a unit the view added; ``text`` is ``None`` for a unit the
    view deleted. ``stage`` is the (possibly changed) stage of a message. ``source_hash`` is the
    text hash of the source a translator saw, recorded on an applied translation.
    """

    target: Target
    base_hash: str | None
    text: str | None
    where: str
    stage: str | None = None
    source_hash: str | None = None
    topics: tuple[str, ...] = ()

    @property
    def edited_hash(self) -> str | None:
        return None if self.text is None else unit_hash(self.target, self.stage, self.text)


@dataclass(frozen=True)
class DecisionRequest:
    """A sign-off decision written in a view (``approve``, ``changes`` or ``comment``)."""

    target: Target
    base_hash: str | None
    decision: str
    comment: str
    reviewer: str | None
    where: str


def unit_hash(target: Target, stage: str | None, text: str) -> str:
    """The hash of one unit's content; for messages exactly ``Message.content_hash``."""
    if target.kind == "message":
        if stage is None:
            raise ValueError("a message unit needs its stage to be hashed")
        return content_hash(stage, target.locale or "", text)
    if target.kind == "block":
        return content_hash(target.part, target.locale or "", text)
    return content_hash(f"town:{target.key}", target.part, text)


def three_way(base: str | None, edited: str | None, current: str | None) -> Verdict:
    """The verdict for one unit from its base, edited and current hashes (see module doc)."""
    if edited == base or current == edited:
        return Verdict.UNCHANGED
    if current == base:
        return Verdict.APPLIED
    return Verdict.CONFLICT


# --- cleaning cell text -----------------------------------------------------------------------
def strip_controls(text: str) -> tuple[str, list[str]]:
    """``text`` with CR/LF normalised and control characters removed, and the names of the
    removed ones (``U+0007``) so the importer can say what it did."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    removed = sorted({f"U+{ord(ch):04X}" for ch in _CONTROL_RE.findall(text)})
    return _CONTROL_RE.sub("", text), removed


#: Characters a message text never needs and that would make the message file store the whole
#: text as one escaped line (YAML literal blocks cannot hold them): TAB becomes a space, a
#: zero-width no-break space (U+FEFF, a stray byte-order mark from a paste) is dropped.
_UNBLOCKABLE = {"\t": " ", "\ufeff": ""}


def clean_text(text: str) -> tuple[str, list[str]]:
    """A message, block or profile text as typed, cleaned: what :func:`strip_controls` does,
    plus TAB as a space and U+FEFF removed, so that the text is stored one line per line and a
    one-word edit stays a one-line diff. Returns the text and what was done, for a note."""
    text, removed = strip_controls(text)
    done = [_("removed control characters {removed}").format(removed=', '.join(removed))] if removed else []
    if "\t" in text:
        done.append(_("replaced TAB by a space"))
    if "\ufeff" in text:
        done.append(_("removed U+FEFF"))
    for ch, by in _UNBLOCKABLE.items():
        text = text.replace(ch, by)
    return text, done


def control_characters(text: str) -> list[str]:
    """Names of the control characters in ``text`` (TAB, LF and CR allowed)."""
    return sorted({f"U+{ord(ch):04X}" for ch in _CONTROL_RE.findall(text.replace("\r", ""))})


def formula_like(text: str) -> bool:
    """True when a spreadsheet would take ``text`` for a formula (it starts with = + - @)."""
    return text.startswith(FORMULA_PREFIXES)


# --- applying one proposal to a catalog object (pure) ------------------------------------------
def edit_message(message: Message | None, proposal: Proposal, source_locale: str) -> Message | None:
    """``message`` with ``proposal`` applied; ``None`` when the message is deleted.

    Deleting the source-locale text deletes the message; deleting another locale removes that
    translation. A new message starts with the proposal's locale, stage and topics.
    """
    locale = proposal.target.locale or source_locale
    stage = Stage.parse(proposal.stage) if proposal.stage else None
    if message is None:
        if proposal.text is None or stage is None:
            return None
        return Message(id=proposal.target.key, stage=stage,
                       texts={locale: LocaleText(proposal.text, proposal.source_hash)},
                       topics=proposal.topics)
    if proposal.text is None:
        if locale == source_locale or list(message.texts) == [locale]:
            return None
        return replace(message, texts={k: v for k, v in message.texts.items() if k != locale})
    texts = dict(message.texts)
    old = texts.get(locale)
    source_hash = proposal.source_hash if proposal.source_hash is not None else (old.source_hash if old else None)
    texts[locale] = LocaleText(proposal.text, None if locale == source_locale else source_hash)
    return replace(message, texts=texts, stage=stage or message.stage)


def edit_town(town: Town, proposal: Proposal) -> Town:
    """``town`` with a block or profile proposal applied."""
    target = proposal.target
    if target.kind == "block":
        stage = Stage.parse(target.part)
        blocks = {s: dict(v) for s, v in town.blocks.items()}
        per_locale = blocks.setdefault(stage, {})
        if proposal.text is None:
            per_locale.pop(target.locale or "", None)
        else:
            per_locale[target.locale or ""] = proposal.text
        kept = {s: v for s, v in blocks.items() if v}
        return replace(town, blocks=dict(sorted(kept.items())))
    section, _, name = target.part.partition(".")
    if section in ("contacts", "services"):
        values = dict(getattr(town, section))
        if proposal.text is None:
            values.pop(name, None)
        else:
            values[name] = proposal.text
        return replace(town, **{section: values})
    if target.part == "send_time":
        if not proposal.text:
            raise ValueError("the send time cannot be empty")
        return replace(town, send_time=proposal.text)
    raise ValueError(f"not an editable town field: {target.part}")


def with_local_message(town: Town, message_id: str, message: Message | None) -> Town:
    """``town`` with its local message ``message_id`` replaced (or removed when ``None``)."""
    kept = [m for m in town.local_messages if m.id != message_id]
    if message is not None:
        kept = [message if m.id == message_id else m for m in town.local_messages]
        if not any(m.id == message_id for m in town.local_messages):
            kept.append(replace(message, town=town.code))
    return replace(town, local_messages=tuple(kept))


# --- the report -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportLine:
    verdict: Verdict
    where: str
    what: str


@dataclass
class ImportReport:
    """What one import did, line by line; ``summary()`` is what the CLI prints first."""

    source: str
    lines: list[ReportLine] = field(default_factory=list)
    #: things the import did on the way that are not a verdict (e.g. control characters removed)
    notes: list[str] = field(default_factory=list)

    def add(self, verdict: Verdict, where: str, what: str) -> None:
        self.lines.append(ReportLine(verdict, where, what))

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(line.verdict.value for line in self.lines)
        return {v.value: found.get(v.value, 0) for v in Verdict}

    def of(self, verdict: Verdict) -> list[ReportLine]:
        return [line for line in self.lines if line.verdict is verdict]

    def summary(self) -> str:
        c = self.counts
        return (f"{self.source}: {c['applied']} applied, {c['conflict']} conflicted, "
                f"{c['refused']} refused, {c['unchanged']} unchanged")

    def render(self, *, verbose: bool = False) -> list[str]:
        shown = [ln for ln in self.lines if verbose or ln.verdict is not Verdict.UNCHANGED]
        return ([self.summary()] + [f"  {ln.verdict.value:<9} {ln.where}: {ln.what}" for ln in shown]
                + [f"  note      {n}" for n in self.notes])
