"""What ships: the one rule that decides which text the readers of a locale get.

Coverage (:mod:`review.coverage`), the export (:mod:`exports.render`) and ``kizuna preview``
all call :func:`select_text`, so what coverage reports is what ships.

For the readers of ``locale`` the candidates are the locale's *chain*: the locale, then its
``fallbacks:`` (``en: ja``) in order (a town block also ends with the source locale). The
first candidate whose text is **exportable** ships:

* the text is signed off (its own approval, in the locale it is written in);
* a translation (any locale but the source locale) also needs its source: the source text is
  signed off too, and the translation's ``source_hash`` is the hash of that approved source
  text (:func:`catalog.hashing.text_hash`). A translation of a source still in review, or of
  an older source text, does not ship — the approved source text ships instead, as a fallback,
  exactly as when no translation exists. (A town block records no ``source_hash``: only the
  source block's approval is required.)

A candidate passed over is recorded with the reason (``untranslated``, ``unapproved``,
``source_unapproved``, ``source_changed``, ``no_source``). When no candidate is exportable,
nothing ships; a preview (``include_unapproved``) then shows the first text of the chain,
marked as not signed off.

Approvals come in as a function ``approved(key, locale) -> bool`` over the sign-off status, so
the same rule runs on :func:`review.signoff.status` (coverage) and on the plain approval map an
export sends to its worker processes.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Mapping, Sequence

from kizuna.catalog.hashing import text_hash
from kizuna.catalog.messages import Message

#: ``approved(item key, locale)``: whether that item is signed off now
Approved = Callable[[str, str], bool]

UNTRANSLATED = "untranslated"
UNAPPROVED = "unapproved"
SOURCE_UNAPPROVED = "source_unapproved"
SOURCE_CHANGED = "source_changed"
NO_SOURCE = "no_source"

#: why a candidate locale was passed over, in Japanese (findings, preview notes)
REASONS_JA = {
    UNTRANSLATED: "翻訳がない",
    UNAPPROVED: "承認されていない",
    SOURCE_UNAPPROVED: "原文が承認されていない",
    SOURCE_CHANGED: "承認された原文と訳した原文が違う（source_hash）",
    NO_SOURCE: "原文がない",
}


@dataclass(frozen=True)
class Selection:
    """What the readers of ``locale`` get of one message (or town block)."""

    #: the readers' locale
    locale: str
    #: the locale of the text that ships; ``None``: nothing ships
    text_locale: str | None
    #: the first locale of the chain with a text at all (what a preview shows when nothing
    #: ships); ``None``: no text for these readers
    first: str | None
    #: candidates passed over, in chain order: ``(locale, reason)``
    skipped: tuple[tuple[str, str], ...] = ()

    @property
    def ships(self) -> bool:
        return self.text_locale is not None

    @property
    def fallback(self) -> bool:
        """The text that ships is written in another locale than the readers'."""
        return self.text_locale is not None and self.text_locale != self.locale

    @property
    def reason(self) -> str | None:
        """Why the readers' own locale does not ship (``None`` when it does)."""
        return next((why for loc, why in self.skipped if loc == self.locale), None)

    def shown(self, include_unapproved: bool) -> str | None:
        """The locale whose text an export shows: what ships, or in a preview the first text."""
        return self.text_locale if self.text_locale is not None or not include_unapproved else self.first

    def gate(self, text_locale: str) -> str | None:
        """Why ``text_locale`` was passed over (``None``: it ships or was not reached)."""
        return next((why for loc, why in self.skipped if loc == text_locale), None)


@lru_cache(maxsize=65536)
def _source_hash(text: str) -> str:
    return text_hash(text)  # the same source text is checked for every town and locale


def why_not(key: str, texts: Mapping[str, Any], locale: str, source_locale: str,
            approved: Approved) -> str | None:
    """Why the text of ``locale`` may not ship (``None``: it may)."""
    if locale not in texts:
        return UNTRANSLATED
    if not approved(key, locale):
        return UNAPPROVED
    if locale == source_locale:
        return None
    if source_locale not in texts:
        return NO_SOURCE
    if not approved(key, source_locale):
        return SOURCE_UNAPPROVED
    entry = texts[locale]
    if hasattr(entry, "source_hash"):  # a message translation records what it was made from
        source = texts[source_locale]
        if entry.source_hash != _source_hash(getattr(source, "text", source)):
            return SOURCE_CHANGED
    return None


def select_texts(key: str, texts: Mapping[str, Any], chain: Sequence[str], source_locale: str,
                 approved: Approved) -> Selection:
    """The selection for one item given its texts by locale (``LocaleText`` of a message, or
    plain strings of a town block) and the readers' chain (their locale first)."""
    chain = tuple(dict.fromkeys(chain))
    skipped: list[tuple[str, str]] = []
    first = next((loc for loc in chain if loc in texts), None)
    for loc in chain:
        why = why_not(key, texts, loc, source_locale, approved)
        if why is None:
            return Selection(chain[0], loc, first, tuple(skipped))
        skipped.append((loc, why))
    return Selection(chain[0], None, first, tuple(skipped))


def select_text(message: Message, chain: Sequence[str], source_locale: str, approved: Approved) -> Selection:
    """What the readers of ``chain[0]`` get of ``message`` (``chain``: their locale, then its
    fallbacks — ``Config.locale_chain``)."""
    return select_texts(message.id, message.texts, chain, source_locale, approved)


def select_block(town_code: str, stage: Any, by_locale: Mapping[str, str], chain: Sequence[str],
                 source_locale: str, approved: Approved) -> Selection:
    """What the readers of ``chain[0]`` get of a town block (the chain ends with the source
    locale: a block falls back to it even without ``fallbacks:``)."""
    return select_texts(f"town:{town_code}:{stage}", by_locale, (*chain, source_locale), source_locale, approved)


def from_statuses(statuses: Mapping[tuple[str, str], Any]) -> Approved:
    """``approved`` over a sign-off status mapping (:func:`review.signoff.status`): a status
    object with ``state`` ``approved``, or anything with a true ``approved`` attribute."""

    def approved(key: str, locale: str) -> bool:
        found = statuses.get((key, locale))
        if found is None:
            return False
        flag = getattr(found, "approved", None)
        if isinstance(flag, bool):
            return flag
        return getattr(found, "state", found) == "approved"

    return approved


def everything_approved(key: str, locale: str) -> bool:
    """An ``approved`` that signs everything off (what a catalog would send once reviewed)."""
    return True


# --- the sign-off status of a loaded workspace, read once ------------------------------------------

_CACHE: dict[int, list[Any]] = {}


def _fingerprint(ws: Any) -> tuple[Any, ...]:
    """What the sign-off status of ``ws`` depends on: its decisions log on disk, its messages,
    towns and config (as loaded objects, compared by identity), and the day."""
    from datetime import date

    from kizuna.review.decisions import log_path

    try:
        st = log_path(ws.root).stat()
        log = (st.st_size, st.st_mtime_ns)
    except OSError:
        log = None
    return (log, date.today(), ws.config, tuple(ws.messages.values()), tuple(ws.towns.values()))


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return (a[0] == b[0] and a[1] == b[1] and a[2] is b[2] and len(a[3]) == len(b[3])
            and len(a[4]) == len(b[4]) and all(x is y for x, y in zip(a[3], b[3]))
            and all(x is y for x, y in zip(a[4], b[4])))


def workspace_approved(ws: Any) -> Approved:
    """``approved`` from the sign-off states of a loaded workspace now
    (:func:`review.signoff.states`), read once per workspace object and kept while its log,
    messages, towns and config stay the same (coverage asks for it once per town and rule)."""
    return _workspace_entry(ws)[2]


def workspace_states(ws: Any) -> Mapping[tuple[str, str], Any]:
    """The state of every item of a loaded workspace now, and when an approval runs out
    (:func:`review.signoff.states`), shared with :func:`workspace_approved`."""
    return _workspace_entry(ws)[3]


def workspace_statuses(ws: Any) -> Mapping[tuple[str, str], Any]:
    """The sign-off status of every item of a loaded workspace now (:func:`review.signoff.status`),
    read once per workspace object (while what :func:`workspace_approved` reads stays the same)."""
    from kizuna.review.signoff import status

    entry = _workspace_entry(ws)
    if entry[4] is None:
        entry[4] = status(ws)
    return entry[4]


def _workspace_entry(ws: Any) -> list[Any]:
    import weakref

    from kizuna.review.signoff import states

    key = id(ws)
    found = _CACHE.get(key)
    now = _fingerprint(ws)
    if found is not None and found[0]() is ws and _same(found[1], now):
        return found
    by_item = states(ws)
    entry = [weakref.ref(ws, lambda _ref, key=key: _CACHE.pop(key, None)), now, from_statuses(by_item), by_item, None]
    _CACHE[key] = entry
    return entry
