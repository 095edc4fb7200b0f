"""Messages: one national (or town-local) message with all its locales.

A message has an id, a stage, topics, the milestones it covers, a text per locale, notes, and
rule ignores with written reasons. A message belongs to a track (``track:``, default ``main``;
see :mod:`catalog.tracks`), may be limited to pregnancies that ended in a gestational range
(``gestation: {from: P12w}``), may carry a variant of each text for twins and more
(``texts.ja.multiples``), and may be dated instead of staged (``dated:`` instead of ``stage:``;
see :mod:`catalog.dated`; its ``stage`` is then the start of its stage range). Texts are kept normalised (NFC, ``\n`` line ends, no
trailing spaces; :func:`catalog.hashing.normalise_text`), which changes nothing a reader sees
and keeps every text a literal block in its file. A translation records ``source_hash``: the
:func:`~catalog.hashing.text_hash` of the source-locale text it was translated from, so a
changed source shows the translation as stale.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

from kizuna.catalog.dated import DatedRule, dated_from_data
from kizuna.catalog.fields import ID_RE, LOCALE_RE, Fields
from kizuna.catalog.hashing import content_hash, normalise_text, text_hash
from kizuna.catalog.stages import Stage
from kizuna.catalog.i18n import N_
from kizuna.catalog.i18n import _

ID_HINT = "lowercase letters, digits and hyphens, like p12w-checkup"


@dataclass(frozen=True)
class LocaleText:
    text: str
    source_hash: str | None = None
    #: the text for readers with twins or more (``None``: ``text`` suits them too)
    multiples: str | None = None

    @property
    def reviewed_text(self) -> str:
        """What a sign-off is bound to: the text, and the twins variant when there is one."""
        if not self.multiples:
            return self.text
        return f"{self.text}\n\n【双子以上】\n{self.multiples}"

    def for_babies(self, babies: int) -> str:
        """The text for a reader with ``babies`` babies (the variant for 2 or more)."""
        return self.multiples if babies >= 2 and self.multiples else self.text


@dataclass(frozen=True)
class RuleIgnore:
    """A check a message opts out of, with the written reason (kept and shown)."""

    rule: str
    reason: str
    locale: str | None = None


@dataclass(frozen=True)
class Message:
    id: str
    stage: Stage
    texts: Mapping[str, LocaleText]
    topics: tuple[str, ...] = ()
    milestones: tuple[str, ...] = ()
    notes: str = ""
    ignores: tuple[RuleIgnore, ...] = ()
    #: municipality code for a town's own local message; ``None`` for national messages
    town: str | None = field(default=None, compare=True)
    #: the track the message belongs to (:mod:`catalog.tracks`)
    track: str = "main"
    #: sent only when the pregnancy ended (birth or loss) at or after ``[0]`` and before ``[1]``
    gestation: tuple[Stage | None, Stage | None] = (None, None)
    #: a dated message (sent by calendar window) instead of a staged one
    dated: DatedRule | None = None

    @property
    def is_dated(self) -> bool:
        return self.dated is not None

    def applies_to_gestation(self, days: int) -> bool:
        """True when a pregnancy that ended at ``days`` gestational days gets this message."""
        lo, hi = self.gestation
        return (lo is None or days >= lo.days) and (hi is None or days < hi.days)

    @property
    def locales(self) -> list[str]:
        return list(self.texts)

    def text(self, locale: str) -> str | None:
        entry = self.texts.get(locale)
        return entry.text if entry else None

    def content_hash(self, locale: str) -> str:
        """Hash of this locale's text and the stage (what an approval is bound to)."""
        return content_hash(str(self.stage), locale, self.texts[locale].text)

    def variant_hash(self, locale: str) -> str | None:
        """Hash of this locale's twins variant and the stage (``None`` without one)."""
        multiples = self.texts[locale].multiples
        return content_hash(str(self.stage), locale, multiples) if multiples else None

    def is_stale_translation(self, locale: str, source_locale: str) -> bool:
        """True when the source text changed since ``locale`` was translated from it."""
        if locale == source_locale or locale not in self.texts or source_locale not in self.texts:
            return False
        recorded = self.texts[locale].source_hash
        return recorded != text_hash(self.texts[source_locale].text)

    def with_text(self, locale: str, text: str, *, source_locale: str | None = None) -> "Message":
        """A copy with ``locale`` set to ``text``; a translation set through here records the
        current source hash (it was made from the current source)."""
        texts = dict(self.texts)
        source_hash = None
        if source_locale and locale != source_locale and source_locale in texts:
            source_hash = text_hash(texts[source_locale].text)
        elif locale in texts:
            source_hash = texts[locale].source_hash
        multiples = self.texts[locale].multiples if locale in self.texts else None
        texts[locale] = LocaleText(normalise_text(text), source_hash, multiples)
        return replace(self, texts=texts)

    def ignored(self, rule: str, locale: str | None) -> RuleIgnore | None:
        for ig in self.ignores:
            if (ig.rule == rule or rule.startswith(ig.rule + "/")) and ig.locale in (None, locale):
                return ig
        return None


MESSAGE_FIELDS = {"id", "stage", "topics", "milestones", "texts", "notes", "ignore", "track", "gestation",
                  "dated"}


def message_from_data(data: Any, path: str | Path, *, prefix: str = "",
                      town: str | None = None) -> Message:
    """Build a message from its YAML mapping; errors name the file and the field."""
    f = Fields(data, path, prefix)
    f.refuse_unknown(MESSAGE_FIELDS)
    msg_id = f.str("id", pattern=ID_RE, hint=ID_HINT)
    dated = None
    if f.has("dated"):
        if f.has("stage"):
            raise f.error("stage", _("a dated message has no stage: its readers are in dated.stages"))
        dated = dated_from_data(f.data["dated"], path, f.name("dated"))
        stage = dated.stage_from
    else:
        stage = f.stage("stage")
    track = track_of(f)
    gestation = gestation_of(f)
    raw_texts = f.mapping("texts")
    if not raw_texts:
        raise f.error("texts", _("needs at least one locale with a text, e.g. texts: {ja: {text: ...}}"))
    texts: dict[str, LocaleText] = {}
    for locale in raw_texts:
        if not isinstance(locale, str) or not LOCALE_RE.match(locale):
            raise f.error("texts", _("'{locale}' is not a locale code like ja, ja-easy or en").format(locale=locale))
        entry = f.sub("texts").sub(locale)
        entry.refuse_unknown({"text", "source_hash", "multiples"})
        multiples = normalise_text(entry.text("multiples")) if entry.has("multiples") else None
        texts[locale] = LocaleText(normalise_text(entry.text("text")), entry.str("source_hash", "") or None,
                                   multiples)
    ignores = []
    raw_ignores = f.data.get("ignore") or []
    if not isinstance(raw_ignores, list):
        raise f.error("ignore", _("must be a list of {rule, reason} entries"))
    for i, raw in enumerate(raw_ignores):
        g = Fields(raw, path, f.name(f"ignore[{i}]"))
        g.refuse_unknown({"rule", "reason", "locale"})
        ignores.append(RuleIgnore(g.str("rule"), g.text("reason"), g.str("locale", "") or None))
    return Message(
        id=msg_id, stage=stage, texts=texts,
        topics=tuple(f.str_list("topics", pattern=ID_RE, hint=ID_HINT)),
        milestones=tuple(f.str_list("milestones", pattern=ID_RE, hint=ID_HINT)),
        notes=f.str("notes", ""), ignores=tuple(ignores), town=town,
        track=track, gestation=gestation, dated=dated,
    )


def track_of(f: Fields) -> str:
    """The ``track:`` of a message: one track name (a message is in one track only)."""
    raw = f.data.get("track")
    if isinstance(raw, list):
        if len(raw) == 1 and isinstance(raw[0], str):
            raw = raw[0]
        else:
            raise f.error("track", _("a message belongs to one track, not {raw!r}; copy it into a message "
                                   "of its own for the other track").format(raw=raw))
    return f.str("track", "main", pattern=ID_RE, hint=N_("a track name of kizuna.yaml, like main"))


def gestation_of(f: Fields) -> tuple[Stage | None, Stage | None]:
    g = f.sub("gestation")
    if not g.data:
        return (None, None)
    g.refuse_unknown({"from", "until"})
    lo = g.stage("from") if g.has("from") else None
    hi = g.stage("until") if g.has("until") else None
    for key, s in (("from", lo), ("until", hi)):
        if s is not None and s.phase != "P":
            raise g.error(key, _("'{s}' is not a gestational age; write P12w").format(s=s))
    if lo is not None and hi is not None and not lo < hi:
        raise g.error("until", _("the range ends ({hi}) before it starts ({lo})").format(hi=hi, lo=lo))
    return (lo, hi)


def message_to_data(message: Message) -> dict[str, Any]:
    """The YAML mapping of a message, keys in a fixed order (stable diffs)."""
    data: dict[str, Any] = {"id": message.id}
    if message.dated is None:
        data["stage"] = str(message.stage)
    if message.track != "main":
        data["track"] = message.track
    if message.gestation != (None, None):
        lo, hi = message.gestation
        data["gestation"] = {**({"from": str(lo)} if lo else {}), **({"until": str(hi)} if hi else {})}
    if message.dated is not None:
        data["dated"] = message.dated.to_data()
    if message.topics:
        data["topics"] = list(message.topics)
    if message.milestones:
        data["milestones"] = list(message.milestones)
    texts: dict[str, Any] = {}
    for locale, entry in message.texts.items():
        texts[locale] = {"text": entry.text}
        if entry.multiples:
            texts[locale]["multiples"] = entry.multiples
        if entry.source_hash:
            texts[locale]["source_hash"] = entry.source_hash
    data["texts"] = texts
    if message.notes:
        data["notes"] = message.notes
    if message.ignores:
        data["ignore"] = [
            {"rule": ig.rule, **({"locale": ig.locale} if ig.locale else {}), "reason": ig.reason}
            for ig in message.ignores
        ]
    return data
